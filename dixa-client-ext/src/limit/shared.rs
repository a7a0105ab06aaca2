//! A rate limit shared through Redis by every process, on every machine,
//! that uses the same API key: Dixa's limit is per key, so four workers with
//! a local limiter each send four times the limit (72% of their requests
//! answered 429, measured).
//!
//! Built with the cargo feature `redis`; configured by
//! [`Config::shared_limit`](crate::config::Config::shared_limit) or the
//! environment variable [`ENV_REDIS_URL`] (`DIXA_RATE_LIMIT_REDIS_URL`).
//! Without the feature, asking for it is an
//! [`crate::error::Error::InvalidInput`] at
//! client construction, never a silent local limit.
//!
//! # How
//!
//! One GCRA bucket in Redis, updated by a Lua script (atomic: Redis runs one
//! script at a time), under the key `dixa-rs:limit:<hash>` where `<hash>` is
//! a SHA-256 of the API key: the key itself never reaches Redis. The script
//! takes a permit if one is free and otherwise answers how long until one
//! may be, reserving nothing, like the local limiter: so the same queue in
//! front of it gives first come, first served within a process, and a
//! caller that gives up costs nobody anything. Across processes, the first
//! waiter of each process asks when its wait is over, and the first to ask
//! gets the permit (fair as far as Redis allows: no process is favoured, but
//! the order across processes is the order of arrival at Redis, not of the
//! callers). Time is Redis's `TIME`, so the machines' clocks need not agree.
//! The same margin as the local limiter applies (2% under the rate, one
//! token of the burst in reserve), and the per-process adaptive rate still
//! cuts in if 429s arrive anyway (another client on the key that does not
//! use Redis).
//!
//! # When Redis is slow or down
//!
//! A script call that fails, or takes longer than
//! [`SharedLimit::timeout`] (default 250 ms), switches the process to a
//! LOCAL limiter at `rate / N`, with a warning (once per outage): `N` is
//! [`SharedLimit::fallback_divisor`] if set, otherwise the number of
//! processes Redis saw sharing the key in the last 10 s (each script call
//! records its caller), or 1 if Redis was never reached. That local limiter
//! is adaptive, so 429s slow it further. Never no limit. Redis is tried
//! again once a second (each try delays one request by at most the
//! timeout); when it answers, the shared budget is back, with an info log.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::clock::Clock;
use crate::config::ApiKey;
#[cfg(not(feature = "redis"))]
use crate::error::Error;
use crate::error::Result;

use super::{Limiter, RateLimit};

#[cfg(feature = "redis")]
mod redis_limiter;
#[cfg(feature = "redis")]
pub use redis_limiter::{bucket_key, Shared};

/// Environment variable naming the Redis server of the shared limit, e.g.
/// `redis://127.0.0.1:6379/0` (read by [`Config::from_env`](crate::config::Config::from_env)).
pub const ENV_REDIS_URL: &str = "DIXA_RATE_LIMIT_REDIS_URL";

/// How long a Redis script call may take before the limiter falls back.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(250);

/// How often Redis is tried again during an outage.
pub const PROBE_EVERY: Duration = Duration::from_secs(1);

/// Where a shared rate limit lives, and what to do when it cannot be reached.
#[derive(Clone, PartialEq, Eq)]
pub struct SharedLimit {
    pub(crate) url: String,
    pub(crate) timeout: Duration,
    pub(crate) fallback_divisor: Option<u32>,
    pub(crate) client_clock: bool,
}

impl fmt::Debug for SharedLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may carry a password: show only its scheme.
        let scheme = self.url.split_once("://").map_or("?", |(s, _)| s);
        f.debug_struct("SharedLimit")
            .field("url", &format_args!("{scheme}://<redacted>"))
            .field("timeout", &self.timeout)
            .field("fallback_divisor", &self.fallback_divisor)
            .field("client_clock", &self.client_clock)
            .finish()
    }
}

impl SharedLimit {
    /// A limit shared through the Redis server at `url`
    /// (`redis://[:password@]host[:port][/db]`).
    pub fn redis(url: impl Into<String>) -> Self {
        SharedLimit { url: url.into(), timeout: DEFAULT_TIMEOUT, fallback_divisor: None, client_clock: false }
    }

    /// How long a Redis call may take before this process falls back to its
    /// local limiter (default 250 ms).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// During an outage, run locally at `rate / n` (default: the number of
    /// processes Redis last saw on the key).
    pub fn fallback_divisor(mut self, n: u32) -> Self {
        self.fallback_divisor = Some(n.max(1));
        self
    }

    /// Uses the client's injected clock (its wall time) instead of Redis's
    /// `TIME` for the bucket. For tests on a virtual clock; in production
    /// Redis's clock is the one every machine agrees on.
    pub fn client_clock(mut self, on: bool) -> Self {
        self.client_clock = on;
        self
    }

    /// Builds the limiter for `limit` and the API key `key`.
    #[cfg(feature = "redis")]
    pub(crate) fn build(
        &self,
        limit: RateLimit,
        key: &ApiKey,
        clock: Arc<dyn Clock>,
        adaptive: bool,
    ) -> Result<Arc<dyn Limiter>> {
        Ok(Arc::new(Shared::new(self, limit, key, clock, adaptive)?))
    }

    /// Without the `redis` feature a shared limit cannot be honoured: say so.
    #[cfg(not(feature = "redis"))]
    pub(crate) fn build(
        &self,
        _limit: RateLimit,
        _key: &ApiKey,
        _clock: Arc<dyn Clock>,
        _adaptive: bool,
    ) -> Result<Arc<dyn Limiter>> {
        Err(Error::InvalidInput {
            what: "shared rate limit",
            detail: format!(
                "a Redis-backed limit was asked for (Config::shared_limit or {ENV_REDIS_URL}), but dixa-client-ext was built without its `redis` feature"
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_url() {
        let s = SharedLimit::redis("redis://:hunter2@cache.internal:6379/0");
        let text = format!("{s:?}");
        assert!(!text.contains("hunter2") && !text.contains("cache.internal"), "{text}");
        assert!(text.contains("redis://<redacted>"), "{text}");
    }

    #[cfg(not(feature = "redis"))]
    #[test]
    fn without_the_feature_asking_for_it_is_an_error() {
        let clock: Arc<dyn Clock> = Arc::new(crate::clock::ManualClock::new());
        let err = SharedLimit::redis("redis://127.0.0.1:1")
            .build(RateLimit::default(), &ApiKey::new("k"), clock, true)
            .unwrap_err();
        assert!(matches!(err, Error::InvalidInput { what: "shared rate limit", .. }), "{err:?}");
        assert!(err.to_string().contains("`redis` feature"), "{err}");
    }
}
