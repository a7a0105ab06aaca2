//! Production layer over [`dixa_client`]: auth, retries, rate limiting,
//! pagination streams and bulk outcomes.
//!
//! Start with [`DixaClient`]: `DixaClient::from_env()?` (reads `DIXA_API_KEY`
//! and optionally `DIXA_BASE_URL`) or `DixaClient::new(Config::new(key))`.
//!
//! - Every generated operation: `client.call(client.api().get_agent()...send())`;
//!   `call` turns progenitor's error into an [`Error`] that keeps the status,
//!   Dixa's message, the raw body and, for undecodable bodies, the JSON path.
//! - Every paginated operation as a lazy stream: [`paginate`].
//! - Bulk endpoints with typed, partitioned outcomes and chunking: [`bulk`].
//! - What is retried and how long to wait is a pure function: [`retry::decide`].
//! - A limiter shared by all clones keeps a client under Dixa's 10 req/s,
//!   slows down after a 429, and with the `redis` feature is shared by every
//!   process on the key: [`limit`].
//! - Time is injected ([`clock`]), so tests never sleep.

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
pub mod transport;

pub use client::DixaClient;
pub use config::{ApiKey, AuthScheme, Config};
pub use error::{Error, Result};
pub use limit::{RateLimit, SharedLimit};
pub use retry::RetryConfig;

/// Compiles the README's Rust example, so the README stays true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
