//! The HTTP server: accept loop, per-request pipeline (counting, faults, auth,
//! rate limit) and response helpers.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use bytes::Bytes;
use http::{header, HeaderValue, Method, StatusCode};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use serde::Serialize;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};

use crate::faults::{Fault, FaultKind, FaultsInner};
use crate::state::OrgState;
use crate::stats::Counters;
use crate::RetryAfterMode;

/// The fake's configuration, fixed at spawn time.
#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) agents: usize,
    pub(crate) end_users: usize,
    pub(crate) conversations: usize,
    pub(crate) page_latency: Duration,
    pub(crate) rate_limit: Option<(u32, u32)>,
    pub(crate) retry_after: RetryAfterMode,
    pub(crate) absolute_next_links: bool,
    pub(crate) api_key: Option<String>,
    pub(crate) unknown_conversation: Option<usize>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The API key is a secret even in a fake: never print it.
        f.debug_struct("Config")
            .field("agents", &self.agents)
            .field("end_users", &self.end_users)
            .field("conversations", &self.conversations)
            .field("page_latency", &self.page_latency)
            .field("rate_limit", &self.rate_limit)
            .field("retry_after", &self.retry_after)
            .field("absolute_next_links", &self.absolute_next_links)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("unknown_conversation", &self.unknown_conversation)
            .finish()
    }
}

/// Everything a request handler can reach.
pub(crate) struct App {
    pub(crate) config: Config,
    pub(crate) base_url: String,
    pub(crate) port: u16,
    pub(crate) counters: Counters,
    pub(crate) faults: Arc<FaultsInner>,
    limiter: Option<Limiter>,
    pub(crate) state: RwLock<OrgState>,
}

impl App {
    pub(crate) fn new(config: Config, port: u16, templates: &[&'static str]) -> Self {
        let limiter = config.rate_limit.map(|(rps, burst)| Limiter::new(rps, burst));
        App {
            state: RwLock::new(OrgState::new(&config)),
            base_url: format!("http://127.0.0.1:{port}"),
            port,
            counters: Counters::new(templates),
            faults: Arc::new(FaultsInner::default()),
            limiter,
            config,
        }
    }

    /// Reads the organization state. A poisoned lock (a panicking handler)
    /// leaves data that is still valid JSON-wise, so keep serving it.
    pub(crate) fn read(&self) -> std::sync::RwLockReadGuard<'_, OrgState> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes the organization state (see [`App::read`] on poisoning).
    pub(crate) fn write(&self) -> std::sync::RwLockWriteGuard<'_, OrgState> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The configured server latency for one list page.
    pub(crate) async fn page_delay(&self) {
        if !self.config.page_latency.is_zero() {
            tokio::time::sleep(self.config.page_latency).await;
        }
    }
}

/// Buckets kept before refilled ones are swept out.
const MAX_BUCKETS: usize = 1024;

/// A token bucket per API key, refilled continuously.
struct Limiter {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl Limiter {
    fn new(rps: u32, burst: u32) -> Self {
        Limiter { rate: f64::from(rps.max(1)), burst: f64::from(burst.max(1)), buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes a token for `key`, or says how long until one is available.
    fn take(&self, key: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= MAX_BUCKETS && !buckets.contains_key(key) {
            // A bucket that has refilled is the same as no bucket: drop those,
            // so that endless distinct keys (no key check configured) cannot
            // grow the map without bound.
            let (rate, burst) = (self.rate, self.burst);
            buckets.retain(|_, (tokens, last)| *tokens + now.duration_since(*last).as_secs_f64() * rate < burst);
        }
        let (tokens, last) = buckets.entry(key.to_owned()).or_insert((self.burst, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * self.rate).min(self.burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - *tokens) / self.rate))
        }
    }
}

/// Marks a response whose handler changed the fake's state.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SideEffect;

/// Lets a request's pipeline reset the connection it arrived on.
#[derive(Clone)]
struct ConnCtl(Arc<Notify>);

/// A JSON response with `status`.
pub(crate) fn json_response<T: Serialize + ?Sized>(status: u16, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => raw_response(status, "application/json", Bytes::from(bytes)),
        Err(e) => message_response(500, &format!("fake failed to serialize a response: {e}")),
    }
}

/// A Dixa error body `{"message": ...}` with `status`.
pub(crate) fn message_response(status: u16, message: &str) -> Response {
    let body = serde_json::json!({ "message": message });
    raw_response(status, "application/json", Bytes::from(body.to_string()))
}

/// A response with the given content type and body.
pub(crate) fn raw_response(status: u16, content_type: &'static str, body: Bytes) -> Response {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

/// 204 No Content, marked as a side effect.
pub(crate) fn no_content_effect() -> Response {
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = StatusCode::NO_CONTENT;
    resp.extensions_mut().insert(SideEffect);
    resp
}

/// Marks `resp` as having changed state.
pub(crate) fn with_effect(mut resp: Response) -> Response {
    resp.extensions_mut().insert(SideEffect);
    resp
}

/// The route template a request matched, with Dixa's trailing-slash alias
/// folded into the canonical template.
fn template_of(req: &Request) -> Option<String> {
    req.extensions().get::<MatchedPath>().map(|m| {
        let t = m.as_str();
        t.strip_suffix('/').filter(|s| !s.is_empty()).unwrap_or(t).to_owned()
    })
}

/// The per-request pipeline: count, inject faults, check the key and the
/// rate limit, run the handler, count the side effect.
pub(crate) async fn pipeline(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let matched = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_owned());
    let Some(operation) = crate::routes::spec_driven::operation_of(&method, matched.as_deref()) else {
        // A path of the spec, but not with this method: say which it has.
        let allowed = crate::spec::Spec::get().methods_of(matched.as_deref().unwrap_or_default()).join(", ");
        let mut resp = method_not_allowed(State(app), method, req.uri().clone()).await;
        if let Ok(v) = HeaderValue::from_str(&allowed) {
            resp.headers_mut().insert(header::ALLOW, v);
        }
        return resp;
    };
    let template = template_of(&req);
    app.counters.received(&method, template.as_deref(), &path);
    let conn = req.extensions().get::<ConnCtl>().cloned();

    let origin = Origin { method: &method, template: template.as_deref(), operation };
    let resp = match app.faults.take(&method, &path) {
        None => handle(&app, &origin, req, next).await,
        Some(fault) => apply_fault(&app, &origin, fault, conn, req, next).await,
    };
    let resp = json_rejection(resp).await;
    app.counters.status(resp.status().as_u16());
    resp
}

/// axum's own extractor rejections (e.g. 413 for a body over its default
/// 2 MB limit) answer in plain text; Dixa answers every error as
/// `{"message": ...}`, and clients under test parse that, so the text is
/// wrapped.
async fn json_rejection(resp: Response) -> Response {
    let plain_text = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    if !(resp.status().is_client_error() && plain_text) {
        return resp;
    }
    let status = resp.status().as_u16();
    // Rejection texts are one line; the cap only guards against surprises.
    let text = axum::body::to_bytes(resp.into_body(), 64 * 1024).await.unwrap_or_default();
    message_response(status, String::from_utf8_lossy(&text).trim())
}

/// Which route a request is for, to count its side effect.
struct Origin<'a> {
    method: &'a Method,
    template: Option<&'a str>,
    operation: &'static crate::spec::SpecOperation,
}

/// Runs the guarded handler and counts its side effect as soon as it has
/// happened, so that a fault replacing the answer afterwards (even a
/// connection reset) cannot hide it.
async fn handle(app: &App, origin: &Origin<'_>, req: Request, next: Next) -> Response {
    let resp = guarded(app, origin.operation, req, next).await;
    if resp.extensions().get::<SideEffect>().is_some() && resp.status().is_success() {
        if let Some(t) = origin.template {
            app.counters.side_effect(origin.method, t);
        }
    }
    resp
}

/// Authentication, rate limiting, the request check against the spec, then
/// the handler.
async fn guarded(app: &App, operation: &crate::spec::SpecOperation, req: Request, next: Next) -> Response {
    let auth = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(|v| strip_bearer(v.trim()));
    if let Some(expected) = &app.config.api_key {
        if auth != Some(expected.as_str()) {
            return message_response(401, "Unauthorized: missing or invalid API key in the Authorization header");
        }
    }
    if let Some(limiter) = &app.limiter {
        if let Err(wait) = limiter.take(auth.unwrap_or("")) {
            app.counters.rate_limited();
            let header = match app.config.retry_after {
                RetryAfterMode::None => None,
                RetryAfterMode::Seconds(s) => Some(s.to_string()),
                RetryAfterMode::HttpDate => {
                    let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
                    Some(httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(secs)))
                }
            };
            return too_many_requests(header.as_deref());
        }
    }
    match crate::routes::spec_driven::admit(operation, req).await {
        Ok(req) => next.run(req).await,
        Err(refused) => refused,
    }
}

fn strip_bearer(v: &str) -> &str {
    match v.get(..7) {
        Some(p) if p.eq_ignore_ascii_case("bearer ") => v[7..].trim_start(),
        _ => v,
    }
}

fn too_many_requests(retry_after: Option<&str>) -> Response {
    let mut resp = message_response(429, "Too Many Requests: rate limit exceeded");
    if let Some(v) = retry_after.and_then(|v| HeaderValue::from_str(v).ok()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

const HTML_502: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

fn canned(kind: &FaultKind) -> Option<Response> {
    Some(match kind {
        FaultKind::Status(s) => message_response(*s, &format!("Injected fault: HTTP {s}")),
        FaultKind::HtmlStatus(s) => {
            let body = if *s == 502 {
                HTML_502.to_owned()
            } else {
                format!("<html><head><title>{s}</title></head><body><h1>Error {s}</h1></body></html>\r\n")
            };
            raw_response(*s, "text/html", Bytes::from(body))
        }
        FaultKind::EmptyStatus(s) => {
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::from_u16(*s).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            r
        }
        FaultKind::TooManyRequests { retry_after } => too_many_requests(retry_after.as_deref()),
        _ => return None,
    })
}

async fn apply_fault(
    app: &App,
    origin: &Origin<'_>,
    fault: Fault,
    conn: Option<ConnCtl>,
    req: Request,
    next: Next,
) -> Response {
    if let FaultKind::Slow(delay) = fault.kind {
        tokio::time::sleep(delay).await;
        return handle(app, origin, req, next).await;
    }
    let body_fault = matches!(fault.kind, FaultKind::TruncatedBody | FaultKind::CutJson);
    let real = if fault.after_handler || body_fault { Some(handle(app, origin, req, next).await) } else { None };
    if let FaultKind::ConnectionReset = fault.kind {
        if let Some(ConnCtl(kill)) = conn {
            kill.notify_one();
            // The connection task drops this future with the connection.
            std::future::pending::<()>().await;
        }
        return message_response(500, "fake could not reset the connection");
    }
    if let Some(resp) = canned(&fault.kind) {
        return resp;
    }
    let Some(real) = real else {
        return message_response(500, "fake fault without a response");
    };
    let (mut parts, body) = real.into_parts();
    let full = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(_) => Bytes::new(),
    };
    let half = full.slice(..full.len() / 2);
    parts.headers.remove(header::CONTENT_LENGTH);
    let body = if let FaultKind::TruncatedBody = fault.kind {
        // Promise the full length, deliver half: hyper aborts the connection
        // when the body ends early, and the client sees an incomplete message.
        parts.headers.insert(header::CONTENT_LENGTH, HeaderValue::from(full.len().max(1) as u64));
        // Pause after the partial chunk so hyper flushes the head and the
        // half body before it notices the early end and drops the connection.
        let chunks = futures::stream::unfold(Some(half), |chunk| async move {
            match chunk {
                Some(c) => Some((Ok::<_, Infallible>(c), None)),
                None => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    None
                }
            }
        });
        Body::from_stream(chunks)
    } else {
        Body::from(half)
    };
    Response::from_parts(parts, body)
}

/// Requests to paths that no route knows: 404 with a Dixa-style body.
pub(crate) async fn unknown_route(State(app): State<Arc<App>>, method: Method, uri: http::Uri) -> Response {
    app.counters.received(&method, None, uri.path());
    app.counters.status(404);
    message_response(404, &format!("No endpoint {method} {}", uri.path()))
}

/// A known path with a method it does not support.
pub(crate) async fn method_not_allowed(State(app): State<Arc<App>>, method: Method, uri: http::Uri) -> Response {
    app.counters.received(&method, None, uri.path());
    app.counters.status(405);
    message_response(405, &format!("Method {method} is not allowed on {}", uri.path()))
}

/// Accepts connections until `shutdown` flips.
pub(crate) async fn serve(listener: TcpListener, router: axum::Router, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                // Accept errors (e.g. out of file descriptors) are transient:
                // back off briefly rather than spinning or stopping the fake.
                match accepted {
                    Ok((stream, _)) => {
                        tokio::spawn(connection(stream, router.clone(), shutdown.clone()));
                    }
                    Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
                }
            }
            _ = shutdown.changed() => break,
        }
    }
}

async fn connection(stream: TcpStream, router: axum::Router, mut shutdown: watch::Receiver<bool>) {
    let _ = stream.set_nodelay(true);
    // Keep a duplicate of the socket so a reset fault can set SO_LINGER=0 on
    // it after the stream itself has moved into hyper.
    let (stream, dup) = match stream.into_std().and_then(|s| Ok((s.try_clone()?, s))) {
        Ok((dup, s)) => match TcpStream::from_std(s) {
            Ok(s) => (s, dup),
            Err(_) => return,
        },
        Err(_) => return,
    };
    let kill = Arc::new(Notify::new());
    let ctl = ConnCtl(kill.clone());
    let svc = hyper::service::service_fn(move |mut req: http::Request<Incoming>| {
        req.extensions_mut().insert(ctl.clone());
        let svc = TowerToHyperService::new(router.clone());
        async move { hyper::service::Service::call(&svc, req).await }
    });
    let conn = hyper::server::conn::http1::Builder::new().keep_alive(true).serve_connection(TokioIo::new(stream), svc);
    tokio::select! {
        _ = conn => {}
        _ = kill.notified() => {
            let _ = socket2::SockRef::from(&dup).set_linger(Some(Duration::ZERO));
        }
        _ = shutdown.changed() => {}
    }
    drop(dup);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_buckets_of_idle_keys_are_swept() {
        let limiter = Limiter::new(1000, 4);
        for i in 0..5000 {
            let _ = limiter.take(&format!("key-{i}"));
            if i % 1000 == 0 {
                // Let earlier buckets refill (1 token takes 1 ms at 1000/s).
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        let n = limiter.buckets.lock().unwrap().len();
        assert!(n <= MAX_BUCKETS + 1000, "{n} buckets kept");
        // A key still limited keeps its bucket: 4 go, the 5th is refused.
        for _ in 0..4 {
            assert!(limiter.take("busy").is_ok());
        }
        assert!(limiter.take("busy").is_err());
    }
}
