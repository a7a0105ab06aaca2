//! Lazy pagination over Dixa's `{"data": [...], "meta": {"next": ...}}` lists.
//!
//! Every paginated operation of the spec has a request type in [`ops`] (e.g.
//! [`ops::ListAgents`]); hand it to [`DixaClient::paginate`] and pick a stream:
//!
//! ```no_run
//! # async fn run(client: dixa_client_ext::client::DixaClient) -> dixa_client_ext::error::Result<()> {
//! use dixa_client_ext::paginate::ops::ListAgents;
//! use futures::TryStreamExt;
//!
//! // One item at a time, fetching pages as they are needed.
//! let mut agents = client.paginate(ListAgents::new().page_limit(100)).items();
//! while let Some(agent) = agents.try_next().await? {
//!     println!("{:?}", agent.id);
//! }
//!
//! // One page at a time, with the cursor to resume after it.
//! let mut pages = client.paginate(ListAgents::new()).pages();
//! while let Some(page) = pages.try_next().await? {
//!     // ... process page.items(), then persist page.next_cursor() ...
//! }
//! # Ok(()) }
//! ```
//!
//! # What the streams guarantee
//! - **Lazy, one page in memory.** A page is requested only when the consumer
//!   asks for an item beyond the current page; nothing is collected. With
//!   [`Paginator::prefetch`] on, at most one further page is fetched ahead.
//! - **Next links followed as given.** `meta.next` is followed whether it is
//!   root-relative (`/v1/...?pageKey=...`, appended to the configured base URL
//!   exactly as the generated client appends its paths, so a base URL with a
//!   path prefix works) or absolute. The first request's query is never
//!   re-sent beside the `pageKey`: the cursor already encodes it.
//! - **The key stays home.** A next link to another scheme, host or port
//!   (including a scheme-relative `//host/...` and links carrying
//!   credentials) is refused with [`Error::ForeignNextLink`].
//! - **No loops.** Every cursor followed is remembered; a next link whose
//!   cursor (its `pageKey`, or when it has none its path and query, in any
//!   parameter order or encoding) was already followed ends the stream with
//!   [`Error::PaginationLoop`]. The set grows
//!   with the number of pages (one short string each), not with items.
//! - **Empty pages.** An empty page with a next link is followed; an empty
//!   page without one ends the stream.
//! - **Errors end the stream.** An error is yielded once and then the stream
//!   ends (it is a [`FusedStream`]). The items of the page that carried a bad
//!   next link are yielded before the error.
//! - **Resumable.** [`Page::next_cursor`] and [`Items::resume_point`] return a
//!   [`PageCursor`] (serde-serializable) from which
//!   [`Paginator::resume`] continues after a crash. For
//!   `POST /v1/analytics/records` the cursor carries the request body too,
//!   since that operation re-posts its body with each `?pageKey=`.
//!
//! # Prefetch
//! Off by default, so that a consumer that stops early never causes a request
//! it did not ask for (each request counts against Dixa's per-key rate and
//! daily budget) and requests go out strictly in consumption order. Turn it on
//! with [`Paginator::prefetch`] for long exports where the consumer does real
//! work per page: the next page's request is spawned on the tokio runtime (on
//! a clone of the client, so it shares the rate limiter and connection pool)
//! as soon as a page is handed out, bounded to one page ahead. Dropping the
//! stream aborts a prefetch in flight. Without a tokio runtime, prefetch
//! silently falls back to fetching on demand.

pub mod ops;

use std::collections::HashSet;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use futures::stream::{FusedStream, Stream};
use futures::FutureExt;
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::client::DixaClient;
use crate::error::{decode_json, Error, Result};

/// The query parameter that carries Dixa's opaque page cursor.
pub const PAGE_KEY: &str = "pageKey";

/// The query parameter that sets the page size.
pub const PAGE_LIMIT: &str = "pageLimit";

/// A decoded page body: its items and its `meta.next` link.
///
/// Implemented for every generated `*Output` of a paginated operation and for
/// the generic [`Envelope`].
pub trait PageEnvelope: DeserializeOwned + Send + 'static {
    /// One element of `data`.
    type Item: Send + 'static;

    /// The page's items and its `meta.next` link, if any.
    fn into_parts(self) -> (Vec<Self::Item>, Option<String>);
}

/// `meta` of a list response (the spec's `PaginationLinks`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Links {
    /// Link to the next page, root-relative or absolute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// Link to the previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
}

/// A generic list envelope `{"data": [T], "meta": {"next": ...}}`, for item
/// types of your own (and the tests).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(bound(deserialize = "T: serde::de::DeserializeOwned"))]
pub struct Envelope<T> {
    /// The page's items (absent is read as empty).
    #[serde(default = "Vec::new")]
    pub data: Vec<T>,
    /// The pagination links.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Links>,
}

impl<T: DeserializeOwned + Send + 'static> PageEnvelope for Envelope<T> {
    type Item = T;
    fn into_parts(self) -> (Vec<T>, Option<String>) {
        (self.data, self.meta.and_then(|m| m.next))
    }
}

/// The first request of a paginated operation, before any cursor exists.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct FirstRequest {
    /// HTTP method (GET for every list, POST for analytics records).
    pub method: Method,
    /// Path and query relative to the base URL, starting with `/v1/`
    /// (path parameters already percent-encoded).
    pub link: String,
    /// JSON body re-sent with every page (analytics records only).
    pub body: Option<Value>,
}

impl FirstRequest {
    /// A first request to `path_segments` (each percent-encoded as one
    /// segment, like the generated client does) with `query` pairs.
    pub fn new<'a>(
        method: Method,
        path_segments: impl IntoIterator<Item = &'a str>,
        query: impl IntoIterator<Item = (&'a str, String)>,
        body: Option<Value>,
    ) -> Result<Self> {
        // Build on a throwaway origin so that `url` does the encoding; only
        // the path and query are kept.
        let mut url = placeholder_url()?;
        {
            let mut segments = url.path_segments_mut().map_err(|()| Error::InvalidInput {
                what: "request",
                detail: "building the first page request failed".to_owned(),
            })?;
            segments.clear();
            for segment in path_segments {
                segments.push(segment);
            }
        }
        let mut any = false;
        {
            let mut pairs = url.query_pairs_mut();
            for (name, value) in query {
                pairs.append_pair(name, &value);
                any = true;
            }
        }
        let link = match url.query() {
            Some(q) if any => format!("{}?{q}", url.path()),
            _ => url.path().to_owned(),
        };
        Ok(Self { method, link, body })
    }
}

/// A paginated operation: each request type in [`ops`] implements it.
pub trait PaginatedRequest {
    /// The decoded page body.
    type Page: PageEnvelope;

    /// The spec's operationId (used for tracing and to check cursors).
    const OPERATION_ID: &'static str;

    /// Builds the first request. An error here (e.g. a page limit of 0) is
    /// yielded by the stream before anything is sent.
    fn first_request(&self) -> Result<FirstRequest>;
}

/// Where a paginated listing stands: enough to continue it in another process.
///
/// Holds the operation, the link to fetch (as the server sent it, or the
/// first request's root-relative link), the body for operations that re-post
/// one, and how many items of that page were already handed out. It holds no
/// credentials; the `pageKey` in it is Dixa's opaque cursor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageCursor {
    operation_id: String,
    link: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    body: Option<Value>,
    #[serde(default, skip_serializing_if = "is_zero")]
    skip: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl PageCursor {
    /// The operationId this cursor belongs to.
    pub fn operation_id(&self) -> &str {
        &self.operation_id
    }

    /// The link the next fetch follows (root-relative or absolute).
    pub fn link(&self) -> &str {
        &self.link
    }

    /// The body re-posted with the link (analytics records only).
    pub fn body(&self) -> Option<&Value> {
        self.body.as_ref()
    }

    /// How many items at the start of that page were already handed out and
    /// are skipped on resume.
    pub fn skip(&self) -> usize {
        self.skip
    }

    /// The link's `pageKey`, if it has one (none for a first page).
    pub fn page_key(&self) -> Option<String> {
        page_key_of(&self.link)
    }
}

impl fmt::Display for PageCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}", self.operation_id, self.link)?;
        if self.skip > 0 {
            write!(f, " (skipping {} items)", self.skip)?;
        }
        Ok(())
    }
}

/// An origin that never resolves, used only to let `Url` encode paths.
fn placeholder_url() -> Result<Url> {
    Url::parse("http://placeholder.invalid/")
        .map_err(|e| Error::InvalidInput { what: "request", detail: format!("building a page request failed: {e}") })
}

/// The `pageKey` of a link in any form (absolute, root-relative, query-only).
fn page_key_of(link: &str) -> Option<String> {
    let url = placeholder_url().ok()?.join(link).ok()?;
    url.query_pairs().find(|(k, _)| k == PAGE_KEY).map(|(_, v)| v.into_owned())
}

/// Resolves a `meta.next` link against the configured base URL.
///
/// - root-relative (`/v1/...`): appended to `base` the way the generated
///   client appends its paths, so a base path prefix is kept;
/// - absolute: accepted only with the base URL's scheme, host and port;
/// - scheme-relative (`//host/...`): resolved with the base scheme, then
///   checked like an absolute link;
/// - any other relative reference (`?pageKey=...`): resolved against
///   `current`, the URL of the page that returned it (RFC 3986).
///
/// A link to another origin, or one carrying credentials, is
/// [`Error::ForeignNextLink`] (naming only its origin).
pub fn resolve_link(base: &Url, current: &Url, link: &str) -> Result<Url> {
    let link = link.trim();
    let bad = |detail: String| Error::Decode {
        status: None,
        path: "meta.next".to_owned(),
        message: detail,
        body: bytes::Bytes::new(),
    };
    let url = if link.starts_with("//") {
        Url::parse(&format!("{}:{}", base.scheme(), link)).map_err(|e| bad(format!("next link is not a URL: {e}")))?
    } else if link.starts_with('/') {
        let mut root = base.clone();
        root.set_query(None);
        root.set_fragment(None);
        Url::parse(&format!("{}{}", root.as_str().trim_end_matches('/'), link))
            .map_err(|e| bad(format!("next link is not a URL path: {e}")))?
    } else {
        // Absolute links come back unchanged from `join`; other relative
        // references resolve against the page that sent them.
        current.join(link).map_err(|e| bad(format!("next link is not a URL: {e}")))?
    };
    let same_origin = url.scheme() == base.scheme()
        && url.host_str() == base.host_str()
        && url.port_or_known_default() == base.port_or_known_default();
    let has_credentials = !url.username().is_empty() || url.password().is_some();
    if !same_origin || has_credentials {
        let origin = match url.host_str() {
            Some(host) => match url.port() {
                Some(port) => format!("{}://{}:{}", url.scheme(), host, port),
                None => format!("{}://{}", url.scheme(), host),
            },
            None => format!("{}:", url.scheme()),
        };
        return Err(Error::ForeignNextLink { url: origin });
    }
    Ok(url)
}

/// Decodes a page: [`decode_json`], the client's one decode path (fast, with
/// the JSON path tracked only when decoding fails).
pub(crate) fn decode_page<T: DeserializeOwned>(status: reqwest::StatusCode, body: bytes::Bytes) -> Result<T> {
    decode_json::<T>(status, body)
}

/// The identity of a cursor for loop detection: its `pageKey` when it has
/// one (the position in the listing, whatever `pageLimit` accompanies it),
/// else the path with the decoded query pairs in sorted order, so that a
/// link repeating an earlier one in another parameter order or percent-
/// encoding is caught at once rather than after one more lap.
fn cursor_identity(url: &Url) -> String {
    if let Some((_, v)) = url.query_pairs().find(|(k, _)| k == PAGE_KEY) {
        return format!("{PAGE_KEY}={v}");
    }
    let mut pairs: Vec<(String, String)> = url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    pairs.sort();
    let mut canonical = url.clone();
    canonical.set_fragment(None);
    canonical.set_query(None);
    if !pairs.is_empty() {
        canonical.query_pairs_mut().extend_pairs(pairs);
    }
    canonical.into()
}

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

/// A paginated listing ready to stream; made by [`DixaClient::paginate`].
#[must_use = "a Paginator does nothing until turned into a stream with .items() or .pages()"]
pub struct Paginator<P: PageEnvelope> {
    client: DixaClient,
    operation_id: &'static str,
    start: Result<PageCursor>,
    method: Method,
    prefetch: bool,
    _page: std::marker::PhantomData<fn() -> P>,
}

impl<P: PageEnvelope> fmt::Debug for Paginator<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Paginator")
            .field("operation_id", &self.operation_id)
            .field("start", &self.start)
            .field("prefetch", &self.prefetch)
            .finish_non_exhaustive()
    }
}

impl DixaClient {
    /// Streams a paginated operation; see [`crate::paginate`].
    ///
    /// `request` is one of the types in [`crate::paginate::ops`] (one per
    /// paginated operation of the spec), e.g.
    /// `client.paginate(ListAgents::new().page_limit(100)).items()`.
    pub fn paginate<R: PaginatedRequest>(&self, request: R) -> Paginator<R::Page> {
        let (method, start) = match request.first_request() {
            Ok(first) => (
                first.method,
                Ok(PageCursor {
                    operation_id: R::OPERATION_ID.to_owned(),
                    link: first.link,
                    body: first.body,
                    skip: 0,
                }),
            ),
            Err(e) => (Method::GET, Err(e)),
        };
        Paginator {
            client: self.clone(),
            operation_id: R::OPERATION_ID,
            start,
            method,
            prefetch: false,
            _page: std::marker::PhantomData,
        }
    }
}

impl<P: PageEnvelope> Paginator<P> {
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
enum Fetch<P: PageEnvelope> {
    Inline(BoxFuture<'static, Fetched<P>>),
    Spawned(tokio::task::JoinHandle<Fetched<P>>),
}

impl<P: PageEnvelope> Drop for Fetch<P> {
    fn drop(&mut self) {
        // A prefetch nobody will read is cancelled rather than left running.
        if let Fetch::Spawned(handle) = self {
            handle.abort();
        }
    }
}

impl<P: PageEnvelope> Future for Fetch<P> {
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

enum State<P: PageEnvelope> {
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
pub struct Pages<P: PageEnvelope> {
    client: DixaClient,
    operation_id: &'static str,
    method: Method,
    prefetch: bool,
    seen: HashSet<String>,
    state: State<P>,
}

impl<P: PageEnvelope> fmt::Debug for Pages<P> {
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

impl<P: PageEnvelope> Pages<P> {
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
            decode_page::<P>(raw.status, raw.body)
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

impl<P: PageEnvelope> Stream for Pages<P> {
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
impl<P: PageEnvelope> Unpin for Pages<P> {}
impl<P: PageEnvelope> Unpin for Items<P> {}

impl<P: PageEnvelope> FusedStream for Pages<P> {
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
pub struct Items<P: PageEnvelope> {
    pages: Pages<P>,
    current: Option<CurrentPage<P::Item>>,
    start: Option<PageCursor>,
}

impl<P: PageEnvelope> fmt::Debug for Items<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Items")
            .field("pages", &self.pages)
            .field("resume_point", &self.resume_point())
            .finish_non_exhaustive()
    }
}

impl<P: PageEnvelope> Items<P> {
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

impl<P: PageEnvelope> Stream for Items<P> {
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

impl<P: PageEnvelope> FusedStream for Items<P> {
    fn is_terminated(&self) -> bool {
        self.pages.is_terminated() && self.current.as_ref().is_none_or(|p| p.items.as_slice().is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn root_relative_links_are_appended_to_the_base() {
        let base = url("https://dev.dixa.io/");
        let got = resolve_link(&base, &base, "/v1/search/conversations/?pageKey=abc").unwrap();
        assert_eq!(got.as_str(), "https://dev.dixa.io/v1/search/conversations/?pageKey=abc");
    }

    #[test]
    fn root_relative_links_keep_a_base_path_prefix() {
        let base = url("http://127.0.0.1:8080/proxy/dixa");
        let got = resolve_link(&base, &base, "/v1/agents?pageKey=a%2Bb").unwrap();
        assert_eq!(got.as_str(), "http://127.0.0.1:8080/proxy/dixa/v1/agents?pageKey=a%2Bb");
    }

    #[test]
    fn absolute_links_to_the_same_origin_are_followed() {
        let base = url("https://dev.dixa.io/");
        let got = resolve_link(&base, &base, "https://dev.dixa.io:443/v1/agents?pageKey=x").unwrap();
        assert_eq!(got.as_str(), "https://dev.dixa.io/v1/agents?pageKey=x");
    }

    #[test]
    fn foreign_links_are_refused_naming_only_the_origin() {
        let base = url("https://dev.dixa.io/");
        for (link, origin) in [
            ("https://evil.example/v1/agents?pageKey=x", "https://evil.example"),
            ("http://dev.dixa.io/v1/agents?pageKey=x", "http://dev.dixa.io"),
            ("https://dev.dixa.io:8443/v1/agents?pageKey=x", "https://dev.dixa.io:8443"),
            ("//evil.example/v1/agents?pageKey=x", "https://evil.example"),
            ("https://user:pw@dev.dixa.io/v1/agents", "https://dev.dixa.io"),
        ] {
            match resolve_link(&base, &base, link) {
                Err(Error::ForeignNextLink { url }) => assert_eq!(url, origin, "{link}"),
                other => panic!("{link}: expected ForeignNextLink, got {other:?}"),
            }
        }
    }

    #[test]
    fn tricky_links_never_leave_the_configured_origin() {
        let base = url("https://dev.dixa.io/");
        let current = url("https://dev.dixa.io/v1/agents?pageLimit=2");
        // Followed, on the configured origin.
        for (link, want) in [
            // A backslash is a slash in special schemes: still a path on our host.
            ("/\\evil.example/v1/agents", "https://dev.dixa.io//evil.example/v1/agents"),
            ("/@evil.example/v1", "https://dev.dixa.io/@evil.example/v1"),
            ("HTTPS://DEV.DIXA.IO/v1/agents?pageKey=x", "https://dev.dixa.io/v1/agents?pageKey=x"),
            ("//dev.dixa.io/v1/agents?pageKey=x", "https://dev.dixa.io/v1/agents?pageKey=x"),
            // A path without a leading slash is relative to the current page (RFC 3986).
            ("v1/agents?pageKey=x", "https://dev.dixa.io/v1/v1/agents?pageKey=x"),
            ("  /v1/agents?pageKey=x  ", "https://dev.dixa.io/v1/agents?pageKey=x"),
        ] {
            let got = resolve_link(&base, &current, link).unwrap_or_else(|e| panic!("{link}: {e}"));
            assert_eq!(got.as_str(), want, "{link}");
        }
        // Refused: another origin, or credentials, however spelled.
        for link in [
            "\\\\evil.example/v1/agents",
            "https://dev.dixa.io@evil.example/v1/agents",
            "https://dev.dixa.io.evil.example/v1/agents",
            "http://dev.dixa.io:443/v1/agents",
            "//user@dev.dixa.io/v1/agents",
            "https://:pw@dev.dixa.io/v1/agents",
            "ftp://dev.dixa.io/v1/agents",
        ] {
            match resolve_link(&base, &current, link) {
                Err(Error::ForeignNextLink { url }) => {
                    assert!(!url.contains("pw") && !url.contains("user"), "{link}: {url}")
                }
                other => panic!("{link}: expected ForeignNextLink, got {other:?}"),
            }
        }
    }

    #[test]
    fn cursor_identity_ignores_query_order_and_percent_encoding() {
        let a = url("https://dev.dixa.io/v1/agents/?pageKey=YWJj%3D%3D&pageLimit=10");
        let b = url("https://dev.dixa.io/v1/agents/?pageLimit=10&pageKey=YWJj==");
        let c = url("https://dev.dixa.io/v1/agents/?pageKey=%59%57%4A%6A%3D%3D");
        assert_eq!(cursor_identity(&a), cursor_identity(&b));
        assert_eq!(cursor_identity(&a), cursor_identity(&c));
        // A different cursor is a different identity.
        let d = url("https://dev.dixa.io/v1/agents/?pageKey=YWJk%3D%3D");
        assert_ne!(cursor_identity(&a), cursor_identity(&d));
    }

    #[test]
    fn query_only_links_resolve_against_the_current_page() {
        let base = url("https://dev.dixa.io/");
        let current = url("https://dev.dixa.io/v1/agents?pageLimit=2");
        let got = resolve_link(&base, &current, "?pageKey=next").unwrap();
        assert_eq!(got.as_str(), "https://dev.dixa.io/v1/agents?pageKey=next");
    }

    #[test]
    fn cursor_identity_is_the_page_key_whatever_the_limit() {
        let a = url("https://dev.dixa.io/v1/agents?pageKey=k1&pageLimit=10");
        let b = url("https://dev.dixa.io/v1/agents?pageLimit=50&pageKey=k1");
        assert_eq!(cursor_identity(&a), cursor_identity(&b));
        let c = url("https://dev.dixa.io/v1/agents?pageLimit=50");
        assert_eq!(cursor_identity(&c), c.as_str());
        // Without a pageKey: the same query in another order or encoding is the same cursor.
        let d = url("https://dev.dixa.io/v1/agents?pageLimit=50&email=a%40b.c");
        let e = url("https://dev.dixa.io/v1/agents?email=a@b.c&pageLimit=50");
        assert_eq!(cursor_identity(&d), cursor_identity(&e));
        let f = url("https://dev.dixa.io/v1/agents?email=a@b.c&pageLimit=51");
        assert_ne!(cursor_identity(&d), cursor_identity(&f));
    }

    #[test]
    fn page_key_is_read_from_any_link_form() {
        assert_eq!(page_key_of("/v1/agents?pageKey=a%3D%3D").as_deref(), Some("a=="));
        assert_eq!(page_key_of("https://dev.dixa.io/v1/x?pageLimit=1&pageKey=b").as_deref(), Some("b"));
        assert_eq!(page_key_of("/v1/agents?pageLimit=1"), None);
    }

    #[test]
    fn first_requests_encode_path_segments_and_query() {
        let first = FirstRequest::new(
            Method::GET,
            ["v1", "teams", "a/b c", "presence"],
            [("pageLimit", "5".to_owned()), ("query", "x&y=z ü".to_owned())],
            None,
        )
        .unwrap();
        assert_eq!(first.link, "/v1/teams/a%2Fb%20c/presence?pageLimit=5&query=x%26y%3Dz+%C3%BC");
        let bare = FirstRequest::new(Method::GET, ["v1", "agents"], [], None).unwrap();
        assert_eq!(bare.link, "/v1/agents");
    }

    #[test]
    fn cursors_round_trip_through_json() {
        let cursor = PageCursor {
            operation_id: "get_records_data".into(),
            link: "/v1/analytics/records?pageKey=k".into(),
            body: Some(serde_json::json!({"id": "closed_conversations"})),
            skip: 3,
        };
        let text = serde_json::to_string(&cursor).unwrap();
        let back: PageCursor = serde_json::from_str(&text).unwrap();
        assert_eq!(back, cursor);
        assert_eq!(back.page_key().as_deref(), Some("k"));
        // Optional parts are omitted, and read back as absent.
        let plain: PageCursor = serde_json::from_str(r#"{"operation_id":"list_agents","link":"/v1/agents"}"#).unwrap();
        assert_eq!((plain.body(), plain.skip()), (None, 0));
    }
}
