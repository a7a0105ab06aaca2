//! Client configuration: key, auth scheme, base URL, timeouts, user agent,
//! retries, rate limit, and the injected clock and randomness.
//!
//! ```no_run
//! use std::time::Duration;
//! use dixa_client_ext::config::{AuthScheme, Config};
//!
//! let config = Config::new("my-api-key")
//!     .auth_scheme(AuthScheme::Bearer)
//!     .attempt_timeout(Some(Duration::from_secs(10)));
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderValue;
use reqwest::Url;

use crate::clock::{Clock, SystemClock};
use crate::error::{Error, Result};
use crate::limit::shared::ENV_REDIS_URL;
use crate::limit::{RateLimit, SharedLimit};
use crate::retry::{RandomSource, RetryConfig, SystemRandom};

/// Dixa's production API.
pub const DEFAULT_BASE_URL: &str = "https://dev.dixa.io";

/// Environment variable holding the API key (required by [`Config::from_env`]).
pub const ENV_API_KEY: &str = "DIXA_API_KEY";
/// Environment variable overriding the base URL (optional).
pub const ENV_BASE_URL: &str = "DIXA_BASE_URL";
/// Environment variable choosing the auth scheme: `raw` (default) or `bearer`.
pub const ENV_AUTH_SCHEME: &str = "DIXA_AUTH_SCHEME";

/// The default cap on a success body: 16 MiB.
///
/// The largest legitimate page is about 100 conversations (or 1,000 small
/// records), one or two MiB of JSON; 16 MiB leaves ~8x headroom while
/// keeping 32 concurrent calls under ~512 MiB in the worst case. A body
/// past it is [`Error::BodyTooLarge`].
pub const DEFAULT_MAX_BODY_SIZE: u64 = 16 * 1024 * 1024;

/// The default `User-Agent`: `dixa-rs/<crate version>`.
pub const DEFAULT_USER_AGENT: &str = concat!("dixa-rs/", env!("CARGO_PKG_VERSION"));

/// A Dixa API key. Its `Debug` and `Display` print `ApiKey(<redacted>)`, and
/// no error message of this crate is built from it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> Self {
        ApiKey(key.into())
    }

    /// The key itself, for the one place that must send it.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

impl From<String> for ApiKey {
    fn from(s: String) -> Self {
        ApiKey(s)
    }
}

impl From<&str> for ApiKey {
    fn from(s: &str) -> Self {
        ApiKey(s.to_owned())
    }
}

/// How the key goes into the `Authorization` header. Dixa accepts both; raw
/// is what most public clients send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthScheme {
    /// `Authorization: <key>`.
    #[default]
    Raw,
    /// `Authorization: Bearer <key>`.
    Bearer,
}

impl AuthScheme {
    /// The `Authorization` header value for `key`, marked sensitive so that
    /// hyper and reqwest never print it.
    pub fn header_value(self, key: &ApiKey) -> Result<HeaderValue> {
        let secret = key.expose_secret();
        if secret.trim().is_empty() {
            return Err(Error::InvalidInput { what: "API key", detail: "it is empty".into() });
        }
        let text = match self {
            AuthScheme::Raw => secret.to_owned(),
            AuthScheme::Bearer => format!("Bearer {secret}"),
        };
        // The error from HeaderValue would not echo the key, but say why in
        // our own words anyway and never quote the value.
        let mut value = HeaderValue::from_str(&text).map_err(|_| Error::InvalidInput {
            what: "API key",
            detail: "it contains characters not allowed in an HTTP header (a newline or other control character?)"
                .into(),
        })?;
        value.set_sensitive(true);
        Ok(value)
    }

    fn parse(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "raw" => Ok(AuthScheme::Raw),
            "bearer" => Ok(AuthScheme::Bearer),
            _ => Err(Error::InvalidInput {
                what: "DIXA_AUTH_SCHEME",
                detail: format!("`{s}` is neither `raw` nor `bearer`"),
            }),
        }
    }
}

/// Everything [`DixaClient::new`](crate::client::DixaClient::new) needs.
///
/// Defaults: base URL `https://dev.dixa.io`, raw auth, connect timeout 10 s,
/// attempt timeout 30 s, call timeout 120 s, user agent `dixa-rs/<version>`,
/// [`RetryConfig::default`], [`RateLimit::default`] (10 requests per second,
/// bursts of 4) with the adaptive rate on, no shared limit, the system clock
/// and randomness.
#[derive(Clone)]
pub struct Config {
    pub(crate) api_key: ApiKey,
    pub(crate) auth_scheme: AuthScheme,
    pub(crate) base_url: String,
    pub(crate) connect_timeout: Duration,
    pub(crate) attempt_timeout: Option<Duration>,
    pub(crate) call_timeout: Option<Duration>,
    pub(crate) user_agent: String,
    pub(crate) retry: RetryConfig,
    pub(crate) rate_limit: RateLimit,
    pub(crate) adaptive: bool,
    pub(crate) shared_limit: Option<SharedLimit>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) random: Arc<dyn RandomSource>,
    pub(crate) pool_max_idle_per_host: usize,
    pub(crate) max_body_size: u64,
    pub(crate) root_certificates: Vec<Vec<u8>>,
    pub(crate) proxy: Option<String>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("api_key", &self.api_key)
            .field("auth_scheme", &self.auth_scheme)
            .field("base_url", &self.base_url)
            .field("connect_timeout", &self.connect_timeout)
            .field("attempt_timeout", &self.attempt_timeout)
            .field("call_timeout", &self.call_timeout)
            .field("user_agent", &self.user_agent)
            .field("retry", &self.retry)
            .field("rate_limit", &self.rate_limit)
            .field("adaptive", &self.adaptive)
            .field("shared_limit", &self.shared_limit)
            .field("pool_max_idle_per_host", &self.pool_max_idle_per_host)
            .field("max_body_size", &self.max_body_size)
            .field("root_certificates", &self.root_certificates.len())
            // Only whether one is set: a proxy URL can embed credentials.
            .field("proxy", &self.proxy.as_ref().map(|_| "<set>"))
            .finish_non_exhaustive()
    }
}

impl Config {
    /// A configuration with `api_key` and every default.
    pub fn new(api_key: impl Into<ApiKey>) -> Self {
        Config {
            api_key: api_key.into(),
            auth_scheme: AuthScheme::Raw,
            base_url: DEFAULT_BASE_URL.to_owned(),
            connect_timeout: Duration::from_secs(10),
            attempt_timeout: Some(Duration::from_secs(30)),
            call_timeout: Some(Duration::from_secs(120)),
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            retry: RetryConfig::default(),
            rate_limit: RateLimit::default(),
            adaptive: true,
            shared_limit: None,
            clock: Arc::new(SystemClock),
            random: Arc::new(SystemRandom),
            pool_max_idle_per_host: 32,
            max_body_size: DEFAULT_MAX_BODY_SIZE,
            root_certificates: Vec::new(),
            proxy: None,
        }
    }

    /// Reads `DIXA_API_KEY` (required), `DIXA_BASE_URL`,
    /// `DIXA_AUTH_SCHEME` (`raw` or `bearer`) and `DIXA_RATE_LIMIT_REDIS_URL`
    /// (a rate limit shared through Redis, needs the `redis` feature), the
    /// last three optional.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`Config::from_env`], reading variables through `lookup` (for
    /// tests, or another source of settings).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let key = lookup(ENV_API_KEY).filter(|k| !k.trim().is_empty()).ok_or(Error::InvalidInput {
            what: "DIXA_API_KEY",
            detail: "the environment variable is not set or empty; set it to an API token from Dixa's settings".into(),
        })?;
        let mut config = Config::new(key.trim().to_owned());
        if let Some(url) = lookup(ENV_BASE_URL).filter(|u| !u.trim().is_empty()) {
            config.base_url = url.trim().to_owned();
            // Fail here, naming the variable, rather than later.
            config.parsed_base_url()?;
        }
        if let Some(scheme) = lookup(ENV_AUTH_SCHEME) {
            config.auth_scheme = AuthScheme::parse(&scheme)?;
        }
        if let Some(url) = lookup(ENV_REDIS_URL).filter(|u| !u.trim().is_empty()) {
            config.shared_limit = Some(SharedLimit::redis(url.trim()));
        }
        Ok(config)
    }

    /// Sets the auth scheme (default raw).
    pub fn auth_scheme(mut self, scheme: AuthScheme) -> Self {
        self.auth_scheme = scheme;
        self
    }

    /// Sets the base URL (default `https://dev.dixa.io`); validated when the
    /// client is built: http or https, a host, no query, no credentials.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Sets the TCP+TLS connect timeout (default 10 s).
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = d;
        self
    }

    /// Sets the timeout of one attempt, headers and body (default 30 s;
    /// `None` for no limit besides the call timeout).
    pub fn attempt_timeout(mut self, d: Option<Duration>) -> Self {
        self.attempt_timeout = d;
        self
    }

    /// Sets the deadline of a whole call, rate-limit waits and retries
    /// included (default 120 s; `None` for no deadline).
    pub fn call_timeout(mut self, d: Option<Duration>) -> Self {
        self.call_timeout = d;
        self
    }

    /// Sets the `User-Agent` (default `dixa-rs/<version>`).
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = ua.into();
        self
    }

    /// Sets the retry policy.
    pub fn retry(mut self, retry: RetryConfig) -> Self {
        self.retry = retry;
        self
    }

    /// Sets the client-side rate limit ([`RateLimit::off`] to disable).
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = limit;
        self
    }

    /// Turns the adaptive rate on or off (default on): after a 429 the client
    /// lowers its own rate and climbs back gradually, never above the
    /// configured rate (see [`crate::limit::adaptive`]).
    pub fn adaptive_rate(mut self, on: bool) -> Self {
        self.adaptive = on;
        self
    }

    /// Shares the rate limit with every process using the same API key
    /// through Redis (needs the `redis` feature; see [`crate::limit::shared`]).
    /// `None` (the default) limits this client alone.
    pub fn shared_limit(mut self, shared: Option<SharedLimit>) -> Self {
        self.shared_limit = shared;
        self
    }

    /// Injects the clock (e.g. a `clock::ManualClock`, feature `test-util`, in tests).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Injects the randomness used for backoff jitter (e.g. a seeded
    /// `retry::SeededRandom`, feature `test-util`, in tests).
    pub fn random(mut self, random: Arc<dyn RandomSource>) -> Self {
        self.random = random;
        self
    }

    /// Sets how many idle connections per host the pool keeps (default 32).
    pub fn pool_max_idle_per_host(mut self, n: usize) -> Self {
        self.pool_max_idle_per_host = n;
        self
    }

    /// Sets the largest success body read, in bytes (default
    /// [`DEFAULT_MAX_BODY_SIZE`], 16 MiB). A larger answer fails with
    /// [`Error::BodyTooLarge`] and nothing past the limit is buffered.
    pub fn max_body_size(mut self, bytes: u64) -> Self {
        self.max_body_size = bytes;
        self
    }

    /// Trusts more root certificates (PEM, one or more `BEGIN CERTIFICATE`
    /// blocks) IN ADDITION to the platform's roots: a private CA, or a
    /// TLS-inspecting corporate proxy. Checked when the client is built.
    /// (Unlike `SSL_CERT_FILE`, which replaces the system roots.)
    pub fn add_root_certificate(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.root_certificates.push(pem.into());
        self
    }

    /// Sends every request through this proxy (`http://`, `https://` or
    /// `socks5://` URL, credentials allowed: they never appear in `Debug`
    /// or errors). Without it, reqwest's `HTTPS_PROXY`/`NO_PROXY`
    /// environment variables apply.
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = Some(url.into());
        self
    }

    /// The API key.
    pub fn api_key(&self) -> &ApiKey {
        &self.api_key
    }

    /// The configured retry policy.
    pub fn retry_config(&self) -> &RetryConfig {
        &self.retry
    }

    /// The configured rate limit.
    pub fn rate_limit_config(&self) -> &RateLimit {
        &self.rate_limit
    }

    /// The configured shared limit, if any.
    pub fn shared_limit_config(&self) -> Option<&SharedLimit> {
        self.shared_limit.as_ref()
    }

    /// The base URL, parsed and checked, without a trailing slash in its path.
    pub fn parsed_base_url(&self) -> Result<Url> {
        parse_base_url(&self.base_url)
    }
}

/// Parses and checks a base URL: http or https, a host, no query, fragment
/// or credentials (credentials would end up in error messages and logs).
pub fn parse_base_url(raw: &str) -> Result<Url> {
    let invalid = |detail: String| Error::InvalidInput { what: "base URL", detail };
    let mut url = Url::parse(raw.trim())
        .map_err(|e| invalid(format!("`{raw}` is not a URL ({e}); expected e.g. {DEFAULT_BASE_URL}")))?;
    if url.scheme() != "https" && url.scheme() != "http" {
        return Err(invalid(format!("scheme `{}` is not http or https", url.scheme())));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("it has no host".into()));
    }
    if url.query().is_some() {
        return Err(invalid("it has a query string; give only scheme, host and an optional path prefix".into()));
    }
    if url.fragment().is_some() {
        return Err(invalid("it has a fragment (#...)".into()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        // Do not echo the URL: it holds credentials.
        return Err(invalid("it embeds credentials; pass the API key through Config::new or DIXA_API_KEY".into()));
    }
    // Generated paths start with `/v1/...`: keep the prefix without its
    // trailing slash so joining does not produce `//v1`.
    let path = url.path().trim_end_matches('/').to_owned();
    url.set_path(&path);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn api_key_is_redacted() {
        let key = ApiKey::new("super-secret-123");
        assert_eq!(format!("{key:?}"), "ApiKey(<redacted>)");
        assert_eq!(format!("{key}"), "ApiKey(<redacted>)");
        let config = Config::new("super-secret-123");
        assert!(!format!("{config:?}").contains("super-secret-123"));
    }

    #[test]
    fn auth_header_values() {
        let key = ApiKey::new("k1");
        let raw = AuthScheme::Raw.header_value(&key).unwrap();
        assert_eq!(raw.to_str().unwrap(), "k1");
        assert!(raw.is_sensitive());
        let bearer = AuthScheme::Bearer.header_value(&key).unwrap();
        assert_eq!(bearer.to_str().unwrap(), "Bearer k1");
        assert!(bearer.is_sensitive());
    }

    #[test]
    fn bad_keys_are_rejected_without_echo() {
        let err = AuthScheme::Raw.header_value(&ApiKey::new("abc\ndef-secret")).unwrap_err();
        assert!(!err.to_string().contains("secret"), "{err}");
        assert!(matches!(err, Error::InvalidInput { what: "API key", .. }));
        assert!(AuthScheme::Raw.header_value(&ApiKey::new("  ")).is_err());
    }

    #[test]
    fn from_env_requires_the_key() {
        let err = Config::from_lookup(lookup(&[])).unwrap_err();
        assert!(matches!(err, Error::InvalidInput { what: "DIXA_API_KEY", .. }));
        let err = Config::from_lookup(lookup(&[(ENV_API_KEY, "")])).unwrap_err();
        assert!(matches!(err, Error::InvalidInput { what: "DIXA_API_KEY", .. }));
    }

    #[test]
    fn from_env_reads_all_three() {
        let c = Config::from_lookup(lookup(&[
            (ENV_API_KEY, "abc"),
            (ENV_BASE_URL, "http://127.0.0.1:8080/"),
            (ENV_AUTH_SCHEME, "Bearer"),
        ]))
        .unwrap();
        assert_eq!(c.api_key().expose_secret(), "abc");
        assert_eq!(c.auth_scheme, AuthScheme::Bearer);
        assert_eq!(c.parsed_base_url().unwrap().as_str(), "http://127.0.0.1:8080/");
        let c = Config::from_lookup(lookup(&[(ENV_API_KEY, "abc")])).unwrap();
        assert_eq!(c.auth_scheme, AuthScheme::Raw);
        assert_eq!(c.shared_limit_config(), None);
        assert!(c.adaptive);
        let c = Config::from_lookup(lookup(&[(ENV_API_KEY, "abc"), (ENV_REDIS_URL, " redis://127.0.0.1:6390/2 ")]))
            .unwrap();
        assert_eq!(c.shared_limit_config(), Some(&SharedLimit::redis("redis://127.0.0.1:6390/2")));
        assert_eq!(c.parsed_base_url().unwrap().as_str(), "https://dev.dixa.io/");
    }

    #[test]
    fn from_env_rejects_bad_values() {
        let err = Config::from_lookup(lookup(&[(ENV_API_KEY, "abc"), (ENV_AUTH_SCHEME, "basic")])).unwrap_err();
        assert!(matches!(err, Error::InvalidInput { what: "DIXA_AUTH_SCHEME", .. }));
        let err = Config::from_lookup(lookup(&[(ENV_API_KEY, "abc"), (ENV_BASE_URL, "ftp://x")])).unwrap_err();
        assert!(matches!(err, Error::InvalidInput { what: "base URL", .. }));
    }

    #[test]
    fn base_url_validation() {
        assert_eq!(parse_base_url("https://dev.dixa.io").unwrap().as_str(), "https://dev.dixa.io/");
        assert_eq!(parse_base_url("http://localhost:3000/prefix/").unwrap().path(), "/prefix");
        for bad in [
            "not a url",
            "ftp://dev.dixa.io",
            "https://dev.dixa.io?x=1",
            "https://dev.dixa.io#f",
            "https://u:p@dev.dixa.io",
            "file:///tmp",
        ] {
            let err = parse_base_url(bad).unwrap_err();
            assert!(matches!(err, Error::InvalidInput { what: "base URL", .. }), "{bad}: {err:?}");
        }
        let err = parse_base_url("https://user:hunter2@dev.dixa.io").unwrap_err();
        assert!(!err.to_string().contains("hunter2"));
    }

    #[test]
    fn default_user_agent_names_the_crate() {
        assert!(DEFAULT_USER_AGENT.starts_with("dixa-rs/"));
    }
}
