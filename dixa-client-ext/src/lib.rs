//! The Rust client for the Dixa API v1: every operation, typed, behind auth,
//! retries, rate limiting, timeouts and tracing; lazy pagination streams and
//! chunked bulk calls with typed outcomes.
//!
//! The only crate to depend on: it re-exports the generated [`types`], the
//! [`Timestamp`] and [`Uuid`] the API uses, and what a caller needs from
//! `futures` ([`prelude`]).
//!
//! ```no_run
//! use dixa_client_ext::prelude::*;
//!
//! # async fn demo(conversation_id: i64) -> dixa_client_ext::Result<()> {
//! // DIXA_API_KEY (and optionally DIXA_BASE_URL); the key never appears in logs or errors.
//! let client = DixaClient::from_env()?;
//!
//! // One call shape for every operation: the builder, then `send()`, which
//! // returns the resource itself (the envelope's `data`).
//! let conversation = client.get_conversation().conversation_id(conversation_id).send().await?;
//! println!("{} {:?} created at {:?}", conversation.tag(), conversation.id(), conversation.created_at());
//!
//! // Paginated operations stream on the same builder (lazy, one page in memory).
//! let mut users = client.list_end_users().page_limit(100).items();
//! while let Some(user) = users.try_next().await? {
//!     println!("{}", user.id);
//! }
//! # Ok(()) }
//! ```
//!
//! - Every operation: `client.<operation>()` (named after the spec's
//!   operationId, see [`OPERATIONS`]) returns its builder
//!   ([`builder`]); `.send()` returns the resource, `.send_with_response()`
//!   the whole answer with status and headers.
//! - Paginated operations: `.items()`, `.pages()`, `.resume(cursor)`
//!   ([`paginate`]).
//! - Bulk operations: `.send_chunked(items)` with typed, partitioned
//!   outcomes ([`bulk`]).
//! - One error type, [`Error`], with `is_retryable()`, `is_not_found()`,
//!   `status()`, `api_message()`.
//! - A limiter shared by all clones keeps a client under Dixa's 10 req/s
//!   ([`RateLimit`]); what is retried and how long to wait is [`RetryConfig`].
//!   The limiter slows down after a 429, and with the `redis` feature is
//!   shared by every process on the key ([`limit`]).

pub mod bulk;
pub mod client;
pub mod clock;
pub mod config;
pub mod error;
pub mod limit;
pub mod paginate;
/// The limiter's former home, kept so that existing imports
/// (`dixa_client_ext::rate_limit::RateLimit`) keep working; see [`limit`].
pub mod rate_limit {
    pub use crate::limit::{RateLimit, RateLimiter, RATE_MARGIN};
}
pub mod retry;
mod transport;

pub use client::{install_crypto_provider, DixaClient};
pub use config::{ApiKey, AuthScheme, Config};
pub use error::{Error, Result};
pub use limit::{RateLimit, SharedLimit};
pub use retry::RetryConfig;
/// What the transport did, counted across all clones of a client ([`DixaClient::stats`]).
pub use transport::Stats;

/// One builder per operation (made by the client's methods).
pub use dixa_client::builder;
/// `multipart/form-data` bodies for the operations that upload files
/// (`client.upload_attachments().body(Form::new().file(...).into_bytes())`).
pub use dixa_client::multipart;
/// The whole answer of `send_with_response()`: status, headers, decoded body.
pub use dixa_client::runtime::Response;
/// The generated types of the API (requests, responses, `_type` unions).
pub use dixa_client::types;
pub use dixa_client::{OperationMeta, StringOrTag, Timestamp, TimestampError, UnknownVariant, OPERATIONS};
/// The `futures` crate, for stream combinators beyond the [`prelude`]'s.
pub use futures;
/// The id type of agents, end users, tags, queues, ... (the `uuid` crate's).
pub use uuid::Uuid;

/// `use dixa_client_ext::prelude::*;` brings the client, the error, the
/// types, and the traits that add `.items()` / `.pages()` (paginated
/// operations), `.send_chunked()` (bulk operations) and `try_next()` (streams).
pub mod prelude {
    pub use crate::bulk::SendChunked as _;
    pub use crate::paginate::Paginate as _;
    pub use crate::{types, Config, DixaClient, Error, Timestamp, Uuid};
    pub use futures::{StreamExt as _, TryStreamExt as _};
}

/// Compiles the README's Rust example, so the README stays true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
