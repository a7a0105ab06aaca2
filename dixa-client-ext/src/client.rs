//! [`DixaClient`]: the one-line entry point, and the runtime of every
//! generated operation.
//!
//! ```no_run
//! # async fn demo() -> dixa_client_ext::Result<()> {
//! let client = dixa_client_ext::DixaClient::from_env()?;
//! let agents = client.list_agents().page_limit(10).send().await?;
//! # let _ = agents; Ok(()) }
//! ```
//!
//! Every operation of the API is a method of `DixaClient` named after it
//! (generated: `dixa_client::impl_operations!`), returning its builder;
//! `send()` goes through [`Runtime::execute`] below: auth, rate limit,
//! retries, timeouts, tracing, then the body decoded once.
//!
//! A `DixaClient` is cheap to clone; every clone shares the connection pool,
//! the rate limiter, the retry budget and the counters.

use std::sync::Arc;

use bytes::Bytes;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode, Url};

use dixa_client::runtime::{Request, Response, Runtime};

use crate::config::Config;
use crate::error::{decode_json, Error, Result};
use crate::transport::{may_have_been_applied, read_partial, DixaTransport, Stats, ATTEMPTS_HEADER, BODY_CUT_HEADER};

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
        Ok(DixaClient { inner: Arc::new(Inner { http, transport, base_url, config }) })
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
        self.send_with_body(method, url, json_body, None, operation_id).await
    }

    /// [`DixaClient::send_raw`] with either body form: JSON, or bytes with
    /// their content type (a generated operation whose body is bytes).
    async fn send_with_body(
        &self,
        method: Method,
        url: Url,
        json_body: Option<&serde_json::Value>,
        raw_body: Option<&dixa_client::runtime::RawBody>,
        operation_id: &'static str,
    ) -> Result<RawResponse> {
        if url.origin() != self.inner.base_url.origin() {
            return Err(Error::ForeignNextLink { url: url.origin().ascii_serialization() });
        }
        let mut builder = self.inner.http.request(method, url);
        if let Some(body) = json_body {
            builder = builder.json(body);
        }
        if let Some(raw) = raw_body {
            builder = builder.header(reqwest::header::CONTENT_TYPE, raw.content_type.as_str()).body(raw.bytes.clone());
        }
        let request = builder
            .build()
            .map_err(|e| Error::InvalidInput { what: "request", detail: e.without_url().to_string() })?;
        let method = request.method().clone();
        let resp =
            self.inner.transport.call(&self.inner.http, request, operation_id).await.map_err(|f| f.into_error())?;
        let status = resp.status();
        let mut headers = resp.headers().clone();
        // The transport's attempt count is for this crate's errors, not a
        // header the server sent: callers never see it.
        let attempts =
            headers.remove(ATTEMPTS_HEADER).and_then(|v| v.to_str().ok().and_then(|v| v.parse().ok())).unwrap_or(0);
        if status.is_success() {
            let body = resp.bytes().await.map_err(|e| Error::from_reqwest(e, "reading response body"))?;
            return Ok(RawResponse { status, headers, body });
        }
        let cut = headers.remove(BODY_CUT_HEADER).and_then(|v| v.to_str().ok().and_then(crate::error::BodyCut::parse));
        // The transport has buffered the body already.
        let (body, _) = read_partial(resp, usize::MAX).await;
        let error =
            Error::from_status_at(status, &headers, body, attempts, self.inner.config.clock.wall()).with_body_cut(cut);
        if may_have_been_applied(&method, Ok(status)) {
            return Err(Error::MayHaveBeenApplied { method, source: Box::new(error) });
        }
        Err(error)
    }

    /// The absolute URL of a generated request: the base URL (its path kept
    /// as a prefix) + the already encoded path + the query.
    pub(crate) fn request_url(&self, request: &Request) -> Result<Url> {
        let mut url = Url::parse(&format!("{}{}", self.inner.base_url.as_str().trim_end_matches('/'), request.path))
            .map_err(|e| Error::InvalidInput { what: "request path", detail: e.to_string() })?;
        if !request.query.is_empty() {
            url.query_pairs_mut().extend_pairs(request.query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        Ok(url)
    }
}

/// Decodes a success body through [`decode_json`], the one decode path
/// (fast, with the JSON path tracked only when decoding fails). An empty
/// body reads as `null` (what `()` decodes from, for `204` answers).
pub(crate) fn decode_body<T: serde::de::DeserializeOwned>(status: StatusCode, body: Bytes) -> Result<T> {
    let body = if body.iter().all(u8::is_ascii_whitespace) { Bytes::from_static(b"null") } else { body };
    decode_json::<T>(status, body)
}

// One inherent method per operation (`client.get_agent()`), generated.
dixa_client::impl_operations!(DixaClient);

impl Runtime for DixaClient {
    type Error = Error;

    /// Sends a generated operation's request through the pipeline (auth,
    /// rate limit, retries, timeouts, tracing) and decodes the success body.
    fn execute<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        request: Request,
    ) -> impl std::future::Future<Output = Result<Response<T>>> + Send {
        async move {
            let url = self.request_url(&request)?;
            let method = Method::from_bytes(request.operation.method.as_bytes())
                .map_err(|e| Error::InvalidInput { what: "request method", detail: e.to_string() })?;
            let raw = self
                .send_with_body(
                    method,
                    url,
                    request.body.as_ref(),
                    request.raw_body.as_ref(),
                    request.operation.operation_id,
                )
                .await?;
            let value = decode_body::<T>(raw.status, raw.body)?;
            Ok(Response::new(raw.status, raw.headers, value))
        }
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

/// The reqwest client: connect timeout, pool, the TLS backend the crate's
/// features chose (`rustls-ring` by default, `rustls-aws-lc`, `native-tls`)
/// with the platform's CA store plus the configured extra roots, the
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
    install_crypto_provider();
    let setup = |what: &'static str| move |e: reqwest::Error| Error::InvalidInput { what, detail: e.to_string() };
    let builder = reqwest::Client::builder()
        .connect_timeout(config.connect_timeout)
        .pool_max_idle_per_host(config.pool_max_idle_per_host)
        .redirect(reqwest::redirect::Policy::none());
    #[cfg(feature = "native-tls")]
    let builder = if cfg!(any(feature = "rustls-ring", feature = "rustls-aws-lc")) {
        builder
    } else {
        builder.tls_backend_native()
    };
    let mut builder = builder;
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

/// With `rustls-ring`, makes ring rustls's process-wide crypto provider if
/// none is installed yet: reqwest built with `rustls-no-provider` (what
/// keeps aws-lc-sys out of the build) needs one before any client is built.
/// Call it first if your program builds its own reqwest clients before a
/// [`DixaClient`]; it does nothing when a provider is already installed or
/// the feature is off.
pub fn install_crypto_provider() {
    #[cfg(feature = "rustls-ring")]
    {
        // Err only means another provider is installed, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_with_defaults_and_rejects_bad_base_url() {
        let client = DixaClient::new(Config::new("k")).unwrap();
        assert_eq!(client.base_url().as_str(), "https://dev.dixa.io/");
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

    /// With the default features, a plain reqwest client in the same program
    /// constructs once a DixaClient was built (rustls-no-provider needs a
    /// process-wide provider, which the first DixaClient installs).
    #[test]
    fn other_reqwest_clients_in_the_same_build_still_construct() {
        let _client = DixaClient::new(Config::new("k")).unwrap();
        let _plain = reqwest::Client::new();
    }

    #[test]
    fn loopback_detection() {
        assert!(is_loopback(&Url::parse("http://127.0.0.1:8080").unwrap()));
        assert!(is_loopback(&Url::parse("http://localhost").unwrap()));
        assert!(is_loopback(&Url::parse("http://[::1]:1").unwrap()));
        assert!(!is_loopback(&Url::parse("http://dev.dixa.io").unwrap()));
    }
}
