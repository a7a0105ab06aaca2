//! [`DixaClient`]: the one-line entry point.
//!
//! ```no_run
//! # async fn demo() -> dixa_client_ext::error::Result<()> {
//! let client = dixa_client_ext::client::DixaClient::from_env()?;
//! # let _ = client; Ok(()) }
//! ```
//!
//! A `DixaClient` is cheap to clone; every clone shares the connection pool,
//! the rate limiter, the retry budget and the counters.

use std::sync::Arc;

use bytes::Bytes;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode, Url};

use crate::config::Config;
use crate::error::{decode_json, Error, Result};
use crate::transport::{may_have_been_applied, read_capped, DixaTransport, Stats, ATTEMPTS_HEADER};

/// The generated client that [`DixaClient::api`] hands out (and that
/// `DixaClient` derefs to): every operation of the Dixa API.
pub type Api = dixa_client::Client;

/// Builds the generated client on the shared pool and transport.
fn build_api(base_url: &Url, http: reqwest::Client, transport: Arc<DixaTransport>) -> Api {
    // Generated paths begin with `/v1/`, so the base is given without a
    // trailing slash.
    let baseurl = base_url.as_str().trim_end_matches('/');
    dixa_client::Client::new_with_client(baseurl, http, dixa_client::Hooks::with_transport(transport))
}

/// An answer read in full, from [`DixaClient::send_raw`].
#[derive(Debug, Clone)]
pub struct RawResponse {
    /// The status (always a success; errors are returned as [`Error`]).
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
}

impl RawResponse {
    /// Decodes the body as JSON, with the JSON path of any failing field.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        decode_json(self.status, self.body.clone())
    }
}

struct Inner {
    api: Api,
    http: reqwest::Client,
    transport: Arc<DixaTransport>,
    base_url: Url,
    config: Config,
}

/// The Dixa client: the generated operations, behind auth, rate limiting,
/// retries, timeouts and tracing. Clones share everything.
#[derive(Clone)]
pub struct DixaClient {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for DixaClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DixaClient")
            .field("base_url", &self.inner.base_url.as_str())
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl DixaClient {
    /// A client configured from `DIXA_API_KEY` (required), `DIXA_BASE_URL`
    /// and `DIXA_AUTH_SCHEME` (optional); see [`Config::from_env`].
    pub fn from_env() -> Result<Self> {
        Self::new(Config::from_env()?)
    }

    /// A client for `config`. Fails with [`Error::InvalidInput`] on an
    /// invalid base URL, key, user agent or rate limit; sends nothing.
    pub fn new(config: Config) -> Result<Self> {
        let base_url = config.parsed_base_url()?;
        if base_url.scheme() == "http" && !is_loopback(&base_url) {
            tracing::warn!(
                host = base_url.host_str().unwrap_or_default(),
                "the Dixa base URL uses plain http to a non-loopback host: the API key travels unencrypted"
            );
        }
        let transport = Arc::new(DixaTransport::new(&config)?);
        let http = build_http(&config)?;
        let api = build_api(&base_url, http.clone(), Arc::clone(&transport));
        Ok(DixaClient { inner: Arc::new(Inner { api, http, transport, base_url, config }) })
    }

    /// The generated client: every operation of the Dixa API.
    pub fn api(&self) -> &Api {
        &self.inner.api
    }

    /// The configured base URL (validated, no query).
    pub fn base_url(&self) -> &Url {
        &self.inner.base_url
    }

    /// The configuration this client was built from.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The shared reqwest client (connection pool). Requests sent on it
    /// directly bypass auth, limits and retries.
    pub fn http_client(&self) -> &reqwest::Client {
        &self.inner.http
    }

    /// A snapshot of the transport's counters (shared by all clones).
    pub fn stats(&self) -> Stats {
        self.inner.transport.stats()
    }

    /// Tokens left in the shared retry budget (`None`: no budget).
    pub fn retry_budget_available(&self) -> Option<u32> {
        self.inner.transport.retry_budget_available()
    }

    /// Awaits a generated operation and converts its outcome: the decoded
    /// body on success, this crate's [`Error`] otherwise.
    ///
    /// ```no_run
    /// # async fn demo(client: dixa_client_ext::client::DixaClient, id: uuid::Uuid) -> dixa_client_ext::error::Result<()> {
    /// let agent = client.call(client.get_agent().agent_id(id).send()).await?;
    /// # let _ = agent; Ok(()) }
    /// ```
    ///
    /// Prefer it to `?` on the operation's own error: progenitor's error
    /// drops the status of an undecodable body and cannot say which timeout
    /// fired, and this fills both in from what the transport saw. An HTML
    /// 502 from a proxy becomes [`Error::Api`] with its raw bytes, and a
    /// success body that does not fit becomes [`Error::Decode`] with the JSON
    /// path of the failing field (e.g. `data[3].attributes._type`).
    pub async fn call<T, E, F>(&self, operation: F) -> Result<T>
    where
        F: std::future::Future<
            Output = std::result::Result<progenitor_client::ResponseValue<T>, progenitor_client::Error<E>>,
        >,
        T: serde::de::DeserializeOwned,
        E: serde::Serialize,
    {
        use crate::transport::{CallRecord, CALL_RECORD};
        let (result, record) = CALL_RECORD
            .scope(std::cell::RefCell::new(CallRecord::default()), async {
                let result = operation.await;
                let record = CALL_RECORD.with(|r| r.borrow().clone());
                (result, record)
            })
            .await;
        match result {
            Ok(value) => Ok(value.into_inner()),
            Err(e) => {
                let error = Error::from_progenitor_recorded::<T, E>(e, &record, self.inner.config.clock.wall());
                match record.may_have_been_applied {
                    Some(method) => Err(Error::MayHaveBeenApplied { method, source: Box::new(error) }),
                    None => Err(error),
                }
            }
        }
    }

    /// Sends one request through the same pipeline as the generated
    /// operations (auth, rate limit, retries, timeouts, tracing) and reads
    /// the answer in full. Non-success answers come back as
    /// [`Error::Api`] / [`Error::RateLimited`].
    ///
    /// `url` must be on the configured host: anything else is refused with
    /// [`Error::ForeignNextLink`], so the key never leaves that host.
    /// `operation_id` names the call in traces (e.g. `"Agents_listAgents"`).
    pub async fn send_raw(
        &self,
        method: Method,
        url: Url,
        json_body: Option<&serde_json::Value>,
        operation_id: &'static str,
    ) -> Result<RawResponse> {
        if url.origin() != self.inner.base_url.origin() {
            return Err(Error::ForeignNextLink { url: url.origin().ascii_serialization() });
        }
        let mut builder = self.inner.http.request(method, url);
        if let Some(body) = json_body {
            builder = builder.json(body);
        }
        let request = builder
            .build()
            .map_err(|e| Error::InvalidInput { what: "request", detail: e.without_url().to_string() })?;
        let method = request.method().clone();
        let resp =
            self.inner.transport.call(&self.inner.http, request, operation_id).await.map_err(|f| f.into_error())?;
        let status = resp.status();
        let headers = resp.headers().clone();
        if status.is_success() {
            let body = resp.bytes().await.map_err(|e| Error::from_reqwest(e, "reading response body"))?;
            return Ok(RawResponse { status, headers, body });
        }
        let attempts =
            headers.get(ATTEMPTS_HEADER).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).unwrap_or(0);
        // The transport has buffered the body already.
        let body = read_capped(resp, usize::MAX).await.unwrap_or_default();
        let error = Error::from_status_at(status, &headers, body, attempts, self.inner.config.clock.wall());
        if may_have_been_applied(&method, Ok(status)) {
            return Err(Error::MayHaveBeenApplied { method, source: Box::new(error) });
        }
        Err(error)
    }
}

impl std::ops::Deref for DixaClient {
    type Target = Api;

    /// The generated operations, callable on the client itself.
    fn deref(&self) -> &Api {
        &self.inner.api
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The reqwest client: connect timeout, pool, reqwest's standard TLS
/// (rustls, the platform's CA store) plus the configured extra roots, the
/// configured proxy, and no redirects.
///
/// Redirects are never followed (reqwest follows up to 10, to any host, and
/// re-sends a POST body on 307/308). Dixa's API does not redirect, so a 3xx
/// means the base URL is wrong or something in between intercepts; it comes
/// back as an [`Error::Api`] with the 3xx status, saying so. Following only
/// same-origin redirects for idempotent methods was the alternative, but
/// reqwest's policy cannot see the method, and a server-chosen path on the
/// same host still lets the network change where a request goes.
fn build_http(config: &Config) -> Result<reqwest::Client> {
    let setup = |what: &'static str| move |e: reqwest::Error| Error::InvalidInput { what, detail: e.to_string() };
    let mut builder = reqwest::Client::builder()
        .connect_timeout(config.connect_timeout)
        .pool_max_idle_per_host(config.pool_max_idle_per_host)
        .redirect(reqwest::redirect::Policy::none());
    for cert in &config.root_certificates {
        let not_pem = || Error::InvalidInput {
            what: "root certificate",
            detail: "expected PEM (-----BEGIN CERTIFICATE-----); convert DER with `openssl x509 -inform der`".into(),
        };
        if !cert.trim_ascii_start().starts_with(b"-----BEGIN CERTIFICATE-----") {
            return Err(not_pem());
        }
        let parsed = reqwest::Certificate::from_pem_bundle(cert).map_err(setup("root certificate"))?;
        if parsed.is_empty() {
            return Err(not_pem());
        }
        builder = builder.tls_certs_merge(parsed);
    }
    if let Some(proxy) = &config.proxy {
        // reqwest's message could quote the URL, credentials included.
        let proxy = reqwest::Proxy::all(proxy.as_str()).map_err(|_| Error::InvalidInput {
            what: "proxy",
            detail: "not a proxy URL (expected e.g. http://proxy.example:3128)".into(),
        })?;
        builder = builder.proxy(proxy);
    }
    builder.build().map_err(setup("HTTP client setup"))
}

#[cfg(test)]
mod tests {
    use super::*;

    use progenitor_client::ClientInfo;

    #[test]
    fn builds_with_defaults_and_rejects_bad_base_url() {
        let client = DixaClient::new(Config::new("k")).unwrap();
        assert_eq!(client.base_url().as_str(), "https://dev.dixa.io/");
        assert_eq!(client.api().baseurl(), "https://dev.dixa.io");
        let err = DixaClient::new(Config::new("k").base_url("dev.dixa.io")).unwrap_err();
        assert!(matches!(err, Error::InvalidInput { what: "base URL", .. }), "{err:?}");
    }

    #[test]
    fn debug_does_not_show_the_key() {
        let client = DixaClient::new(Config::new("very-secret-key")).unwrap();
        let text = format!("{client:?}");
        assert!(!text.contains("very-secret-key"), "{text}");
    }

    #[tokio::test]
    async fn send_raw_refuses_other_hosts() {
        let client = DixaClient::new(Config::new("k").base_url("http://127.0.0.1:9")).unwrap();
        let err = client
            .send_raw(Method::GET, Url::parse("https://evil.example/v1/agents?pageKey=abc").unwrap(), None, "t")
            .await
            .unwrap_err();
        match err {
            Error::ForeignNextLink { url } => assert_eq!(url, "https://evil.example"),
            other => panic!("expected ForeignNextLink, got {other:?}"),
        }
        assert_eq!(client.stats().attempts, 0);
    }

    /// Regression: with `rustls-no-provider` in the feature set, any reqwest
    /// client built without a preconfigured TLS backend panicked, including
    /// progenitor's own `Client::new` in an application using this crate.
    #[test]
    fn other_reqwest_clients_in_the_same_build_still_construct() {
        let _plain = reqwest::Client::new();
        let generated = dixa_client::Client::new("https://dev.dixa.io", dixa_client::Hooks::none());
        assert_eq!(generated.baseurl(), "https://dev.dixa.io");
    }

    #[test]
    fn loopback_detection() {
        assert!(is_loopback(&Url::parse("http://127.0.0.1:8080").unwrap()));
        assert!(is_loopback(&Url::parse("http://localhost").unwrap()));
        assert!(is_loopback(&Url::parse("http://[::1]:1").unwrap()));
        assert!(!is_loopback(&Url::parse("http://dev.dixa.io").unwrap()));
    }
}
