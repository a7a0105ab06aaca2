//! The seam between the generated client and the hand-written layer above it.
//!
//! progenitor lets a client carry an "inner" value and route every request
//! through `ClientHooks::exec`. The generated `Client` carries a [`Hooks`], and
//! `lib.rs` implements `ClientHooks` so that each request goes to the
//! [`Transport`] installed there (retries, rate limiting, auth and tracing live
//! in `dixa-client-ext`), or straight to reqwest when none is installed.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// A boxed, `Send` future returned by a [`Transport`].
pub type TransportFuture<'a> = Pin<Box<dyn Future<Output = reqwest::Result<reqwest::Response>> + Send + 'a>>;

/// Sends one fully built request on behalf of a generated operation.
///
/// Implementations may send it several times (retries), delay it (rate
/// limiting) or decorate it (auth headers), but must return the final
/// response or transport error unchanged in meaning.
pub trait Transport: Send + Sync + 'static {
    /// Executes `request` for the operation whose OpenAPI operationId is
    /// `operation_id`, using `client`'s connection pool.
    fn execute<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        operation_id: &'static str,
    ) -> TransportFuture<'a>;
}

/// The value the generated `Client` carries: an optional [`Transport`].
#[derive(Clone, Default)]
pub struct Hooks {
    transport: Option<Arc<dyn Transport>>,
}

impl Hooks {
    /// Hooks that send every request with plain reqwest.
    pub fn none() -> Self {
        Self::default()
    }

    /// Hooks that send every request through `transport`.
    pub fn with_transport(transport: Arc<dyn Transport>) -> Self {
        Self { transport: Some(transport) }
    }

    /// The installed transport, if any.
    pub fn transport(&self) -> Option<&Arc<dyn Transport>> {
        self.transport.as_ref()
    }
}

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hooks").field("transport", &self.transport.as_ref().map(|_| "<installed>")).finish()
    }
}
