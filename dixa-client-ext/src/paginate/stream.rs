//! The streams: [`Paginator`] (a listing ready to stream), [`Pages`] and
//! [`Items`], lazy and fused, with prefetch and resume points.

use std::collections::HashSet;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use futures::stream::{FusedStream, Stream};
use futures::FutureExt;
use reqwest::{Method, Url};

use super::links::{cursor_identity, resolve_link};
use super::{PageBody, PageCursor};
use crate::client::{decode_body, DixaClient};
use crate::error::{Error, Result};

/// One fetched page.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Page<T> {
    items: Vec<T>,
    cursor: PageCursor,
    next: Option<PageCursor>,
}

impl<T> Page<T> {
    /// The page's items (after any skip requested by a resumed cursor).
    pub fn items(&self) -> &[T] {
        &self.items
    }

    /// Takes the items.
    pub fn into_items(self) -> Vec<T> {
        self.items
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the page had no items (Dixa may send empty pages with a next link).
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The cursor that fetched this page; resuming from it fetches it again.
    pub fn cursor(&self) -> &PageCursor {
        &self.cursor
    }

    /// The cursor of the page after this one, or `None` when this is the
    /// last. Persist it after processing this page to resume after it. (The
    /// stream validates the link before following it: a foreign or repeated
    /// one is reported as the stream's next item.)
    pub fn next_cursor(&self) -> Option<&PageCursor> {
        self.next.as_ref()
    }
}

impl<T> IntoIterator for Page<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

/// A paginated listing ready to stream; made by [`Paginate::paginator`](super::Paginate::paginator).
#[must_use = "a Paginator does nothing until turned into a stream with .items() or .pages()"]
pub struct Paginator<P: PageBody> {
    pub(super) client: DixaClient,
    pub(super) operation_id: &'static str,
    pub(super) start: Result<PageCursor>,
    pub(super) method: Method,
    pub(super) prefetch: bool,
    pub(super) _page: std::marker::PhantomData<fn() -> P>,
}

impl<P: PageBody> fmt::Debug for Paginator<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Paginator")
            .field("operation_id", &self.operation_id)
            .field("start", &self.start)
            .field("prefetch", &self.prefetch)
            .finish_non_exhaustive()
    }
}

impl<P: PageBody> Paginator<P> {
    /// Fetches the next page while the caller consumes the current one
    /// (default off; see the module docs).
    pub fn prefetch(mut self, on: bool) -> Self {
        self.prefetch = on;
        self
    }

    /// Continues from `cursor` (from [`Page::next_cursor`],
    /// [`Page::cursor`] or [`Items::resume_point`]) instead of the first
    /// page. The request's own parameters are not used: the cursor encodes
    /// them. A cursor of another operation is refused with
    /// [`Error::InvalidInput`] when the stream is first polled.
    pub fn resume(mut self, cursor: PageCursor) -> Self {
        self.start = if cursor.operation_id != self.operation_id {
            Err(Error::InvalidInput {
                what: "page cursor",
                detail: format!(
                    "the cursor belongs to operation `{}`, not `{}`",
                    cursor.operation_id, self.operation_id
                ),
            })
        } else {
            Ok(cursor)
        };
        self
    }

    /// The cursor the stream will start from (the first page, or the one
    /// given to [`Paginator::resume`]).
    pub fn start_cursor(&self) -> Option<&PageCursor> {
        self.start.as_ref().ok()
    }

    /// A stream of pages.
    pub fn pages(self) -> Pages<P> {
        Pages {
            client: self.client,
            operation_id: self.operation_id,
            method: self.method,
            prefetch: self.prefetch,
            seen: HashSet::new(),
            state: match self.start {
                Ok(cursor) => State::Start(cursor),
                Err(e) => State::Failed(e),
            },
        }
    }

    /// A stream of items, across pages.
    pub fn items(self) -> Items<P> {
        let start = self.start.as_ref().ok().cloned();
        Items { pages: self.pages(), current: None, start }
    }
}

type Fetched<P> = Result<P>;

/// An in-flight page request: polled in place, or spawned ahead (prefetch).
enum Fetch<P: PageBody> {
    Inline(BoxFuture<'static, Fetched<P>>),
    Spawned(tokio::task::JoinHandle<Fetched<P>>),
}

impl<P: PageBody> Drop for Fetch<P> {
    fn drop(&mut self) {
        // A prefetch nobody will read is cancelled rather than left running.
        if let Fetch::Spawned(handle) = self {
            handle.abort();
        }
    }
}

impl<P: PageBody> Future for Fetch<P> {
    type Output = Fetched<P>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Fetched<P>> {
        match self.get_mut() {
            Fetch::Inline(fut) => fut.poll_unpin(cx),
            Fetch::Spawned(handle) => match handle.poll_unpin(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(Ok(page)) => Poll::Ready(page),
                Poll::Ready(Err(join)) => {
                    if join.is_panic() {
                        // A panic in the fetch is a bug; surface it to the
                        // consumer as the panic it is.
                        std::panic::resume_unwind(join.into_panic());
                    }
                    // Cancelled: only happens when the runtime shuts down.
                    Poll::Ready(Err(Error::Client {
                        detail: "the page prefetch task was cancelled (the tokio runtime is shutting down)".to_owned(),
                    }))
                }
            },
        }
    }
}

enum State<P: PageBody> {
    /// Nothing fetched yet.
    Start(PageCursor),
    /// A page request is in flight (or, without prefetch, created but not yet
    /// polled: futures are lazy, so nothing is sent until the consumer asks).
    Fetching { cursor: PageCursor, url: Url, fetch: Fetch<P> },
    /// The next thing to yield is this error.
    Failed(Error),
    /// Ended.
    Done,
}

/// A lazy stream of [`Page`]s; see [`crate::paginate`].
#[must_use = "streams do nothing unless polled"]
pub struct Pages<P: PageBody> {
    client: DixaClient,
    operation_id: &'static str,
    method: Method,
    prefetch: bool,
    seen: HashSet<String>,
    state: State<P>,
}

impl<P: PageBody> fmt::Debug for Pages<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Start(_) => "start",
            State::Fetching { .. } => "fetching",
            State::Failed(_) => "failed",
            State::Done => "done",
        };
        f.debug_struct("Pages")
            .field("operation_id", &self.operation_id)
            .field("pages_followed", &self.seen.len())
            .field("state", &state)
            .finish_non_exhaustive()
    }
}

impl<P: PageBody> Pages<P> {
    /// The cursor of the page that will be yielded next (in flight or not yet
    /// requested); `None` once the stream has ended or failed.
    pub fn resume_point(&self) -> Option<&PageCursor> {
        match &self.state {
            State::Start(cursor) | State::Fetching { cursor, .. } => Some(cursor),
            State::Failed(_) | State::Done => None,
        }
    }

    /// Resolves `cursor`, checks it for loops, and makes its request.
    /// `current` is the URL of the page whose `meta.next` it came from.
    fn begin(&mut self, cursor: PageCursor, current: Option<&Url>, spawn: bool) -> State<P> {
        let base = self.client.base_url().clone();
        let url = match resolve_link(&base, current.unwrap_or(&base), &cursor.link) {
            Ok(url) => url,
            Err(e) => return State::Failed(e),
        };
        if !self.seen.insert(cursor_identity(&url)) {
            return State::Failed(Error::PaginationLoop {
                cursor: cursor.page_key().unwrap_or_else(|| cursor.link.clone()),
            });
        }
        let client = self.client.clone();
        let method = self.method.clone();
        let body = cursor.body.clone();
        let operation_id = self.operation_id;
        let request_url = url.clone();
        let fut = async move {
            let raw = client.send_raw(method, request_url, body.as_ref(), operation_id).await?;
            decode_body::<P>(raw.status, raw.body)
        };
        let fetch = if spawn {
            match tokio::runtime::Handle::try_current() {
                Ok(handle) => Fetch::Spawned(handle.spawn(fut)),
                Err(_) => Fetch::Inline(fut.boxed()),
            }
        } else {
            Fetch::Inline(fut.boxed())
        };
        State::Fetching { cursor, url, fetch }
    }
}

impl<P: PageBody> Stream for Pages<P> {
    type Item = Result<Page<P::Item>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        // Every field is Unpin (the in-flight future is boxed or a JoinHandle).
        let this = self.get_mut();
        loop {
            match std::mem::replace(&mut this.state, State::Done) {
                State::Done => return Poll::Ready(None),
                State::Failed(e) => return Poll::Ready(Some(Err(e))),
                State::Start(cursor) => {
                    // The first page is never spawned: nothing is sent before
                    // the consumer polls.
                    this.state = this.begin(cursor, None, false);
                }
                State::Fetching { cursor, url, mut fetch } => {
                    let page = match Pin::new(&mut fetch).poll(cx) {
                        Poll::Pending => {
                            this.state = State::Fetching { cursor, url, fetch };
                            return Poll::Pending;
                        }
                        Poll::Ready(Err(e)) => return Poll::Ready(Some(Err(e))),
                        Poll::Ready(Ok(page)) => page,
                    };
                    let (mut items, next) = page.into_parts();
                    if cursor.skip > 0 {
                        items.drain(..cursor.skip.min(items.len()));
                    }
                    let next = next.filter(|link| !link.trim().is_empty()).map(|link| PageCursor {
                        operation_id: cursor.operation_id.clone(),
                        link,
                        body: cursor.body.clone(),
                        skip: 0,
                    });
                    this.state = match &next {
                        Some(next) => this.begin(next.clone(), Some(&url), this.prefetch),
                        None => State::Done,
                    };
                    return Poll::Ready(Some(Ok(Page { items, cursor, next })));
                }
            }
        }
    }
}

// The streams never pin their fields structurally: the in-flight request is
// boxed or a JoinHandle and items are moved out by value, so they are Unpin
// whatever the item type.
impl<P: PageBody> Unpin for Pages<P> {}
impl<P: PageBody> Unpin for Items<P> {}

impl<P: PageBody> FusedStream for Pages<P> {
    fn is_terminated(&self) -> bool {
        matches!(self.state, State::Done)
    }
}

/// The page whose items [`Items`] is handing out.
struct CurrentPage<T> {
    items: std::vec::IntoIter<T>,
    cursor: PageCursor,
    taken: usize,
    next: Option<PageCursor>,
}

/// A lazy stream of items across pages; see [`crate::paginate`].
#[must_use = "streams do nothing unless polled"]
pub struct Items<P: PageBody> {
    pages: Pages<P>,
    current: Option<CurrentPage<P::Item>>,
    start: Option<PageCursor>,
}

impl<P: PageBody> fmt::Debug for Items<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Items")
            .field("pages", &self.pages)
            .field("resume_point", &self.resume_point())
            .finish_non_exhaustive()
    }
}

impl<P: PageBody> Items<P> {
    /// Where to resume so that exactly the items not yet yielded come next
    /// (assuming Dixa serves the same page again for the same cursor): the
    /// current page's cursor with a skip count, or the next page's cursor
    /// once the current page is used up. `None` once every item was yielded.
    ///
    /// After a transport or API error this is the cursor of the page that
    /// could not be fetched, so resuming retries exactly that page. After
    /// [`Error::ForeignNextLink`] or [`Error::PaginationLoop`] it is the
    /// refused cursor, which will be refused again.
    pub fn resume_point(&self) -> Option<PageCursor> {
        match &self.current {
            Some(page) if !page.items.as_slice().is_empty() => {
                Some(PageCursor { skip: page.cursor.skip + page.taken, ..page.cursor.clone() })
            }
            Some(page) => page.next.clone(),
            None => self.start.clone(),
        }
    }

    /// The page stream underneath (e.g. to inspect its state).
    pub fn pages(&self) -> &Pages<P> {
        &self.pages
    }
}

impl<P: PageBody> Stream for Items<P> {
    type Item = Result<P::Item>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(page) = &mut this.current {
                if let Some(item) = page.items.next() {
                    page.taken += 1;
                    return Poll::Ready(Some(Ok(item)));
                }
            }
            match Pin::new(&mut this.pages).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(Some(Ok(page))) => {
                    this.current = Some(CurrentPage {
                        items: page.items.into_iter(),
                        cursor: page.cursor,
                        taken: 0,
                        next: page.next,
                    });
                }
            }
        }
    }
}

impl<P: PageBody> FusedStream for Items<P> {
    fn is_terminated(&self) -> bool {
        self.pages.is_terminated() && self.current.as_ref().is_none_or(|p| p.items.as_slice().is_empty())
    }
}
