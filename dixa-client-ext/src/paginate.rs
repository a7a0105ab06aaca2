//! Lazy pagination over Dixa's `{"data": [...], "meta": {"next": ...}}` lists.
//!
//! The builder of every operation the spec marks as paginated (it takes a
//! `pageKey` or answers with `meta.next`) implements
//! [`dixa_client::runtime::Paginated`] (generated), and [`Paginate`] (in the
//! [`prelude`](crate::prelude)) gives it `.items()`, `.pages()` and
//! `.resume(cursor)`: the same builder, the same parameters, as a stream.
//!
//! ```no_run
//! # async fn run(client: dixa_client_ext::DixaClient) -> dixa_client_ext::Result<()> {
//! use dixa_client_ext::prelude::*;
//!
//! // One item at a time, fetching pages as they are needed.
//! let mut agents = client.list_agents().page_limit(100).items();
//! while let Some(agent) = agents.try_next().await? {
//!     println!("{:?}", agent.id);
//! }
//!
//! // One page at a time, with the cursor to resume after it.
//! let mut pages = client.list_agents().pages();
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
//!   ends (it is a [`FusedStream`](futures::stream::FusedStream)). The items of the page that carried a bad
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
mod cursor;
mod links;
mod stream;

use dixa_client::runtime::{Paginated, Request};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::client::DixaClient;
use crate::error::Error;

pub use cursor::PageCursor;
pub use stream::{Items, Page, Pages, Paginator};

pub use dixa_client::runtime::PageBody;

/// The query parameter that carries Dixa's opaque page cursor.
pub const PAGE_KEY: &str = "pageKey";

/// The query parameter that sets the page size.
pub const PAGE_LIMIT: &str = "pageLimit";

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
    /// The page's items. Required: the wire always sends `data`, and a
    /// body without it (`{}`, `{"message": ...}`) is a decode error, never
    /// an empty page.
    pub data: Vec<T>,
    /// The pagination links.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Links>,
}

impl<T: DeserializeOwned + Send + 'static> PageBody for Envelope<T> {
    type Item = T;
    fn into_parts(self) -> (Vec<T>, Option<String>) {
        (self.data, self.meta.and_then(|m| m.next))
    }
}

/// The root-relative link of a generated request: its encoded path and
/// its query, form-encoded like the links Dixa sends.
fn first_link(request: &Request) -> String {
    if request.query.is_empty() {
        return request.path.clone();
    }
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(request.query.iter().map(|(k, v)| (*k, v.as_str())))
        .finish();
    format!("{}?{query}", request.path)
}

/// Streams for the builder of every paginated operation; see [`crate::paginate`].
///
/// Implemented for every generated builder that implements
/// [`Paginated`] on a [`DixaClient`]; bring it in with
/// `use dixa_client_ext::prelude::*`.
pub trait Paginate: Paginated<Runtime = DixaClient> + Sized {
    /// The listing as a [`Paginator`] (to turn prefetch on, or resume).
    /// A builder error (a missing required parameter, a refused path
    /// parameter) is yielded by the stream before anything is sent.
    fn paginator(self) -> Paginator<Self::Page> {
        let client = self.runtime().clone();
        let (operation_id, method, start) = match self.first_request() {
            Ok(request) => {
                let method = Method::from_bytes(request.operation.method.as_bytes()).unwrap_or(Method::GET);
                let cursor = PageCursor {
                    operation_id: request.operation.operation_id.to_owned(),
                    link: first_link(&request),
                    body: request.body.clone(),
                    skip: 0,
                };
                (request.operation.operation_id, method, Ok(cursor))
            }
            Err(e) => ("", Method::GET, Err(Error::from(e))),
        };
        Paginator { client, operation_id, start, method, prefetch: false, _page: std::marker::PhantomData }
    }

    /// A lazy stream of the items of every page.
    fn items(self) -> Items<Self::Page> {
        self.paginator().items()
    }

    /// A lazy stream of pages, each with the cursor to resume after it.
    fn pages(self) -> Pages<Self::Page> {
        self.paginator().pages()
    }

    /// The listing continued from `cursor` (from [`Page::next_cursor`] or
    /// [`Items::resume_point`]); see [`Paginator::resume`].
    fn resume(self, cursor: PageCursor) -> Paginator<Self::Page> {
        self.paginator().resume(cursor)
    }
}

impl<B: Paginated<Runtime = DixaClient>> Paginate for B {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_links_keep_the_encoded_path_and_form_encode_the_query() {
        let op = dixa_client::OPERATIONS.iter().find(|op| op.paginated).unwrap();
        let request = Request::new(
            op,
            "/v1/teams/a%2Fb%20c/presence".into(),
            vec![("pageLimit", "5".into()), ("query", "x&y=z ü".into())],
            None,
        );
        assert_eq!(first_link(&request), "/v1/teams/a%2Fb%20c/presence?pageLimit=5&query=x%26y%3Dz+%C3%BC");
        let bare = Request::new(op, "/v1/agents".into(), vec![], None);
        assert_eq!(first_link(&bare), "/v1/agents");
    }
}
