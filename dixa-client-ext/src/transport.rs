//! [`DixaTransport`]: the pipeline every request goes through, whether it
//! comes from a generated operation (through `dixa_client::hooks::Transport`)
//! or from [`DixaClient::send_raw`](crate::client::DixaClient::send_raw).
//!
//! Per attempt: wait for the shared rate limiter; set `Authorization` (marked
//! sensitive) and `User-Agent`; set the attempt timeout, capped by what is left
//! of the call deadline; send; classify the outcome; ask
//! [`retry::decide`]; sleep on the injected clock; send
//! a clone of the request again. A request whose body is a stream cannot be
//! cloned and is sent once.
//!
//! Each call runs in a `tracing` span `dixa.call` with the fields
//! `operation`, `method`, `path` (the path template when known, never the
//! query string), `status`, `attempt` and `duration_ms`. Bodies, headers and
//! the key are never recorded.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, CONTENT_LENGTH, RETRY_AFTER, USER_AGENT};
use reqwest::StatusCode;
use tracing::Instrument;

use crate::clock::Clock;
use crate::config::Config;
use crate::error::{BodyCut, Error, Result, TimeoutKind};
use crate::limit::{RateLimiter, Signal};
use crate::retry::{self, Decision, GiveUpReason, Outcome, RandomSource, RetryBudget, RetryConfig, RetryInput};

/// Response header the transport adds to the final answer of a call: how many
/// attempts it took. [`Error`]'s conversions read it to fill
/// [`Error::RateLimited::attempts`](Error::RateLimited).
pub const ATTEMPTS_HEADER: &str = "x-dixa-rs-attempts";

/// Header the transport adds to an error answer whose body stopped arriving
/// before its end ([`BodyCut::as_str`]); the client turns it into
/// [`Error::Api::cut`](Error::Api) and strips it, like [`ATTEMPTS_HEADER`].
pub(crate) const BODY_CUT_HEADER: &str = "x-dixa-rs-body-cut";

/// Error bodies are buffered (so the connection is reused and the error can
/// carry them); larger ones are cut here, which no Dixa error body reaches.
const MAX_ERROR_BODY: usize = 1 << 20;

/// Counters of what the transport did, shared by all clones of a client.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Calls started (one per operation or `send_raw`).
    pub calls: u64,
    /// HTTP attempts sent (calls plus retries).
    pub attempts: u64,
    /// Retries made.
    pub retries: u64,
    /// 429 answers seen.
    pub throttled: u64,
    /// 5xx answers seen.
    pub server_errors: u64,
    /// Attempts that ended without an answer (connect, reset, ...).
    pub connection_errors: u64,
    /// Attempts that timed out.
    pub timeouts: u64,
    /// Retries refused because the shared budget was empty.
    pub budget_exhausted: u64,
    /// Attempts that had to wait for the rate limiter.
    pub rate_limited_waits: u64,
    /// Total time spent waiting for the rate limiter.
    pub rate_limited_wait: Duration,
    /// Total time spent waiting between retries.
    pub retry_wait: Duration,
}

#[derive(Debug, Default)]
struct Counters {
    calls: AtomicU64,
    attempts: AtomicU64,
    retries: AtomicU64,
    throttled: AtomicU64,
    server_errors: AtomicU64,
    connection_errors: AtomicU64,
    timeouts: AtomicU64,
    budget_exhausted: AtomicU64,
    rate_limited_waits: AtomicU64,
    rate_limited_wait_ns: AtomicU64,
    retry_wait_ns: AtomicU64,
}

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

fn add_duration(c: &AtomicU64, d: Duration) {
    c.fetch_add(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX), Ordering::Relaxed);
}

/// Why a call produced no usable response, with what the transport knows and
/// reqwest's error does not say.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) error: reqwest::Error,
    /// Set when the error is a timeout: which limit bound the attempt.
    pub(crate) timeout: Option<(TimeoutKind, Duration)>,
    /// Set when a write was sent and may have been applied.
    pub(crate) may_have_been_applied: Option<reqwest::Method>,
}

impl Failure {
    pub(crate) fn into_error(self) -> Error {
        let error = match self.timeout {
            Some((kind, after)) => Error::Timeout { kind, after: Some(after) },
            None => Error::from_reqwest(self.error, "sending request"),
        };
        match self.may_have_been_applied {
            Some(method) => Error::MayHaveBeenApplied { method, source: Box::new(error) },
            None => error,
        }
    }
}

/// Whether a request whose final attempt ended with `outcome` may have been
/// applied by Dixa although the caller gets an error: a write (not
/// idempotent) that was sent, with no complete answer proving it did not
/// run. Only a connection that was never made (connect, TLS handshake)
/// proves a request unsent; a reset after sending looks the same to the
/// client whether Dixa's handler ran or not. A 5xx proves nothing either (a
/// proxy's 502 can come after Dixa acted); a 429 or another 4xx is Dixa
/// refusing before acting, and a 2xx succeeded.
pub(crate) fn may_have_been_applied(
    method: &reqwest::Method,
    outcome: std::result::Result<StatusCode, &reqwest::Error>,
) -> bool {
    if retry::is_idempotent(method) {
        return false;
    }
    match outcome {
        Ok(status) => status.is_server_error(),
        Err(e) => !(e.is_connect() || tls_failure(e).is_some()),
    }
}

/// What a synthetic body error carries when a success body passes the cap.
#[derive(Debug)]
struct BodyTooLargeMarker {
    status: StatusCode,
    limit: u64,
}

impl std::fmt::Display for BodyTooLargeMarker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the response body ({}) is larger than the {}-byte limit", self.status, self.limit)
    }
}

impl std::error::Error for BodyTooLargeMarker {}

/// Every error in `e`'s source chain, looking inside `io::Error`s too
/// (their `source` skips the error they wrap, which is where rustls's is).
fn causes<'a>(e: &'a (dyn std::error::Error + 'static)) -> Vec<&'a (dyn std::error::Error + 'static)> {
    let mut out = Vec::new();
    let mut next = Some(e);
    while let Some(err) = next {
        out.push(err);
        next = match err.downcast_ref::<std::io::Error>().and_then(std::io::Error::get_ref) {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => err.source(),
        };
    }
    out
}

/// The status and limit, when `e` is the transport's "success body too large".
pub(crate) fn body_too_large(e: &reqwest::Error) -> Option<(StatusCode, u64)> {
    causes(e).into_iter().find_map(|c| c.downcast_ref::<BodyTooLargeMarker>()).map(|m| (m.status, m.limit))
}

/// The TLS library's reason, when `e` is a failed TLS handshake (an
/// untrusted certificate, a name mismatch, no common protocol version):
/// failures that a retry cannot fix.
pub(crate) fn tls_failure(e: &reqwest::Error) -> Option<String> {
    causes(e).into_iter().find_map(|c| c.downcast_ref::<rustls::Error>()).map(ToString::to_string)
}

/// The retrying, rate-limited, authenticating transport (see the module docs).
pub struct DixaTransport {
    auth: HeaderValue,
    user_agent: HeaderValue,
    retry: RetryConfig,
    budget: Option<RetryBudget>,
    limiter: RateLimiter,
    clock: Arc<dyn Clock>,
    random: Arc<dyn RandomSource>,
    attempt_timeout: Option<Duration>,
    call_timeout: Option<Duration>,
    max_body_size: u64,
    counters: Counters,
}

impl std::fmt::Debug for DixaTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `auth` is deliberately left out.
        f.debug_struct("DixaTransport")
            .field("retry", &self.retry)
            .field("limiter", &self.limiter)
            .field("attempt_timeout", &self.attempt_timeout)
            .field("call_timeout", &self.call_timeout)
            .finish_non_exhaustive()
    }
}

impl DixaTransport {
    /// Builds the transport for `config` (checks the key and the user agent).
    pub fn new(config: &Config) -> Result<Self> {
        let auth = config.auth_scheme.header_value(&config.api_key)?;
        let user_agent = HeaderValue::from_str(&config.user_agent).map_err(|_| Error::InvalidInput {
            what: "user agent",
            detail: "it contains characters not allowed in an HTTP header".into(),
        })?;
        Ok(DixaTransport {
            auth,
            user_agent,
            budget: config.retry.budget.map(RetryBudget::new),
            retry: config.retry.clone(),
            limiter: RateLimiter::from_config(config)?,
            clock: Arc::clone(&config.clock),
            random: Arc::clone(&config.random),
            attempt_timeout: config.attempt_timeout,
            call_timeout: config.call_timeout,
            max_body_size: config.max_body_size,
            counters: Counters::default(),
        })
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> Stats {
        let c = &self.counters;
        let n = |a: &AtomicU64| a.load(Ordering::Relaxed);
        Stats {
            calls: n(&c.calls),
            attempts: n(&c.attempts),
            retries: n(&c.retries),
            throttled: n(&c.throttled),
            server_errors: n(&c.server_errors),
            connection_errors: n(&c.connection_errors),
            timeouts: n(&c.timeouts),
            budget_exhausted: n(&c.budget_exhausted),
            rate_limited_waits: n(&c.rate_limited_waits),
            rate_limited_wait: Duration::from_nanos(n(&c.rate_limited_wait_ns)),
            retry_wait: Duration::from_nanos(n(&c.retry_wait_ns)),
        }
    }

    /// Tokens left in the shared retry budget (`None`: no budget).
    pub fn retry_budget_available(&self) -> Option<u32> {
        self.budget.as_ref().map(RetryBudget::available)
    }

    /// Runs one call through the pipeline, inside its tracing span.
    pub(crate) async fn call(
        &self,
        client: &reqwest::Client,
        request: reqwest::Request,
        operation_id: &'static str,
    ) -> std::result::Result<reqwest::Response, Failure> {
        let span = tracing::info_span!(
            "dixa.call",
            operation = operation_id,
            method = %request.method(),
            path = %path_template(operation_id, request.url()),
            status = tracing::field::Empty,
            attempt = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        );
        self.run(client, request).instrument(span).await
    }

    async fn run(
        &self,
        client: &reqwest::Client,
        mut request: reqwest::Request,
    ) -> std::result::Result<reqwest::Response, Failure> {
        let span = tracing::Span::current();
        bump(&self.counters.calls);
        let start = self.clock.now();
        let headers = request.headers_mut();
        headers.insert(AUTHORIZATION, self.auth.clone());
        headers.insert(USER_AGENT, self.user_agent.clone());
        let method = request.method().clone();
        let mut next = request;
        let mut attempt: u32 = 0;
        // The cost of the latest retry: refunded in full if the call then
        // succeeds (aws-sdk's standard mode), see `retry`'s module docs.
        let mut last_retry_cost: u32 = 0;
        loop {
            attempt += 1;
            span.record("attempt", attempt);
            // Keep the original for a retry; a streamed body cannot be
            // cloned, so such a request is sent once, as it is.
            let (mut to_send, kept) = match next.try_clone() {
                Some(clone) => (clone, Some(next)),
                None => (next, None),
            };

            let deadline = self.call_timeout.map(|t| start + t);
            let (waited, permit) = match self.limiter_wait(deadline).await {
                Ok(permit) => (permit.waited(), Some(permit)),
                Err(wait) => {
                    // The limiter's slot comes at or after the call deadline:
                    // fail now, unsent, instead of sleeping past the deadline
                    // and then sending a request (perhaps a POST) that the
                    // caller will be told timed out.
                    tracing::debug!(
                        attempt,
                        limiter_wait_ms = wait.as_millis() as u64,
                        "call deadline before the rate limiter's slot"
                    );
                    if let Some(error) = deadline_error().await {
                        let elapsed = self.clock.now().saturating_duration_since(start);
                        span.record("duration_ms", elapsed.as_millis() as u64);
                        let timeout = (TimeoutKind::Call, self.call_timeout.unwrap_or_default());
                        return Err(Failure { error, timeout: Some(timeout), may_have_been_applied: None });
                    }
                    (wait, None)
                }
            };
            if let Some(permit) = permit {
                // The caller's own timeout (a `tokio::time::timeout` or a
                // `select!` around the call) may have expired as the permit
                // came: let it act before the request is handed over, so
                // that a caller who is gone gives the permit back (it is a
                // guard) instead of spending it on a request no one waits
                // for. `yield_now` (not a bare self-wake) because tokio
                // defers the task until its timer driver has run, which is
                // what fires an expired timeout. From here on it is spent.
                tokio::task::yield_now().await;
                permit.spend();
            }
            let elapsed = self.clock.now().saturating_duration_since(start);
            let (timeout, bound_by_call) = self.attempt_limit(elapsed);
            *to_send.timeout_mut() = timeout;
            bump(&self.counters.attempts);
            tracing::trace!(attempt, limiter_wait_ms = waited.as_millis() as u64, "sending");

            // A success body is read here, inside the attempt and its
            // timeout, so a body cut mid-read (a dropped connection, a proxy
            // closing early) is a failed attempt that the retry policy sees,
            // retried for idempotent methods, instead of an error surfacing
            // after the transport has already handed the response over.
            let sent_at = self.clock.now();
            let result = match client.execute(to_send).await {
                Ok(resp) if resp.status().is_success() => buffer_body(resp, self.max_body_size).await,
                other => other,
            };
            let elapsed = self.clock.now().saturating_duration_since(start);

            let mut retry_after = None;
            let outcome = match &result {
                Ok(resp) => {
                    let status = resp.status();
                    span.record("status", status.as_u16());
                    if status == StatusCode::TOO_MANY_REQUESTS {
                        bump(&self.counters.throttled);
                    } else if status.is_server_error() {
                        bump(&self.counters.server_errors);
                    }
                    retry_after = resp.headers().get(RETRY_AFTER).and_then(|v| v.to_str().ok()).map(str::to_owned);
                    // The limiter learns from every answer: a 429 lowers the
                    // adaptive rate (and a Retry-After pauses it).
                    let signal = if status == StatusCode::TOO_MANY_REQUESTS {
                        let retry_after =
                            retry_after.as_deref().and_then(|v| retry::parse_retry_after(v, self.clock.wall()));
                        Signal::Throttled { retry_after }
                    } else {
                        Signal::Accepted
                    };
                    self.limiter.observe(signal, sent_at);
                    None
                }
                // Not retried: the same answer would be too large again,
                // and a certificate does not become trusted by retrying.
                Err(e) if body_too_large(e).is_some() || tls_failure(e).is_some() => {
                    bump(&self.counters.connection_errors);
                    Some(Outcome::Status { status: StatusCode::BAD_REQUEST, retry_after: None })
                }
                Err(e) if e.is_timeout() => {
                    bump(&self.counters.timeouts);
                    Some(Outcome::AttemptTimeout)
                }
                Err(e) => {
                    bump(&self.counters.connection_errors);
                    // reqwest reports a body cut mid-read by `bytes()` as a
                    // decode error wrapping the body error; the transport
                    // decodes nothing itself, so `is_decode` here can only
                    // mean the body did not arrive whole.
                    if e.is_connect() || e.is_request() || e.is_body() || e.is_decode() {
                        Some(Outcome::ConnectionError)
                    } else {
                        // Builder, redirect or decode errors: sending again cannot help.
                        Some(Outcome::Status { status: StatusCode::BAD_REQUEST, retry_after: None })
                    }
                }
            };
            let outcome = match (outcome, &result) {
                (Some(o), _) => o,
                (None, Ok(resp)) => Outcome::Status { status: resp.status(), retry_after: retry_after.as_deref() },
                // `outcome` is `None` only for `Ok` results.
                (None, Err(_)) => Outcome::ConnectionError,
            };

            let decision = retry::decide(
                &self.retry,
                &RetryInput {
                    method: &method,
                    attempt,
                    outcome,
                    elapsed,
                    deadline: self.call_timeout,
                    budget_available: self.budget.as_ref().map(RetryBudget::available),
                    replayable: kept.is_some(),
                    now_wall: self.clock.wall(),
                    jitter: self.random.unit(),
                },
            );
            let call_deadline_fired = bound_by_call && matches!(&result, Err(e) if e.is_timeout());
            let decision = match decision {
                // The attempt was cut at the call deadline: the call is over.
                Decision::Retry { .. } if call_deadline_fired => Decision::GiveUp(GiveUpReason::Deadline),
                Decision::Retry { cost, .. } if !self.withdraw(cost) => Decision::GiveUp(GiveUpReason::BudgetExhausted),
                d => d,
            };
            if decision == Decision::GiveUp(GiveUpReason::BudgetExhausted) {
                bump(&self.counters.budget_exhausted);
            }

            match (decision, kept) {
                (Decision::Retry { after, reason, cost }, Some(original)) => {
                    bump(&self.counters.retries);
                    last_retry_cost = cost;
                    tracing::debug!(attempt, ?reason, wait_ms = after.as_millis() as u64, "retrying");
                    // Drain a small error body so the connection can be reused.
                    if let Ok(resp) = result {
                        let _ = read_partial(resp, MAX_ERROR_BODY).await;
                    }
                    add_duration(&self.counters.retry_wait_ns, after);
                    self.clock.sleep(after).await;
                    next = original;
                }
                (decision, _) => {
                    span.record("duration_ms", elapsed.as_millis() as u64);
                    if attempt > 1 || !matches!(decision, Decision::GiveUp(GiveUpReason::NotRetryable)) {
                        tracing::debug!(attempt, ?decision, "final outcome");
                    }
                    let timeout_fired = match &result {
                        Err(error) if error.is_timeout() => Some(match (bound_by_call, timeout) {
                            (true, _) => (TimeoutKind::Call, self.call_timeout.unwrap_or_default()),
                            (false, Some(t)) => (TimeoutKind::Attempt, t),
                            (false, None) => (TimeoutKind::Attempt, Duration::ZERO),
                        }),
                        _ => None,
                    };
                    let unknown = may_have_been_applied(&method, result.as_ref().map(reqwest::Response::status))
                        .then(|| method.clone());
                    return match result {
                        Ok(resp) => {
                            let status = resp.status();
                            if !status.is_server_error() && status != StatusCode::TOO_MANY_REQUESTS {
                                if let Some(b) = &self.budget {
                                    b.record_success(last_retry_cost);
                                }
                            }
                            Ok(finish_response(resp, attempt).await)
                        }
                        // Without its query, also for callers of the
                        // generated client who never convert to our Error.
                        Err(error) => Err(Failure {
                            error: crate::error::without_query(error),
                            timeout: timeout_fired,
                            may_have_been_applied: unknown,
                        }),
                    };
                }
            }
        }
    }

    /// Waits for the rate limiter's permit; `Err(wait)`, without sleeping
    /// past it, when it would come at or after `deadline`. Dropped mid-wait
    /// (a timeout around the call), it leaves the limiter's queue and costs
    /// the callers behind it nothing.
    async fn limiter_wait(
        &self,
        deadline: Option<std::time::Instant>,
    ) -> std::result::Result<crate::limit::Permit<'_>, Duration> {
        let permit = self.limiter.permit_before(deadline).await?;
        let waited = permit.waited();
        if !waited.is_zero() {
            bump(&self.counters.rate_limited_waits);
            add_duration(&self.counters.rate_limited_wait_ns, waited);
        }
        Ok(permit)
    }

    /// The timeout for the next attempt, and whether it is the call deadline
    /// (rather than the attempt timeout) that sets it.
    fn attempt_limit(&self, elapsed: Duration) -> (Option<Duration>, bool) {
        let remaining = self.call_timeout.map(|t| {
            // Past the deadline (only if draining an error body before a
            // retry took the rest; rate-limit waits never pass it): still
            // send, with a minimal timeout, so reqwest reports a genuine
            // timeout.
            t.saturating_sub(elapsed).max(Duration::from_millis(1))
        });
        match (self.attempt_timeout, remaining) {
            (Some(a), Some(r)) if r < a => (Some(r), true),
            (Some(a), _) => (Some(a), false),
            (None, Some(r)) => (Some(r), true),
            (None, None) => (None, false),
        }
    }

    fn withdraw(&self, cost: u32) -> bool {
        match &self.budget {
            Some(b) if cost > 0 => b.try_withdraw(cost),
            _ => true,
        }
    }
}

/// A `reqwest::Error` that reports a timeout, for a call that ends at its
/// deadline before sending: the generated client's transport seam can only
/// return reqwest errors, and reqwest has no public constructor, so this one
/// comes from reading a local body whose stream fails with `TimedOut` (no
/// I/O). `None` only if reqwest stopped reporting that as an error.
async fn deadline_error() -> Option<reqwest::Error> {
    let failing = futures::stream::once(async {
        Err::<Bytes, _>(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "the call deadline comes before the rate limiter allows another request",
        ))
    });
    let resp = reqwest::Response::from(http::Response::new(reqwest::Body::wrap_stream(failing)));
    resp.bytes().await.err().filter(reqwest::Error::is_timeout)
}

/// Reads a whole (success) body of at most `limit` bytes, and hands back a
/// response that carries it. A larger body fails the attempt with a body
/// error that [`body_too_large`] recognizes: refused up front when its
/// `Content-Length` says so, else as soon as the bytes read pass the limit,
/// so nothing past the limit is ever buffered.
async fn buffer_body(
    mut resp: reqwest::Response,
    limit: u64,
) -> std::result::Result<reqwest::Response, reqwest::Error> {
    let (status, version, url, headers) = (resp.status(), resp.version(), resp.url().clone(), resp.headers().clone());
    let too_large = || synthetic_body_error(std::io::Error::other(BodyTooLargeMarker { status, limit }));
    let declared = resp.content_length();
    if declared.is_some_and(|n| n > limit) {
        return too_large()
            .await
            .map(|e| Err(e))
            .unwrap_or_else(|| Ok(rebuild(status, version, url, headers, Bytes::new())));
    }
    let mut buf = BytesMut::with_capacity(usize::try_from(declared.unwrap_or(0)).unwrap_or(0));
    while let Some(chunk) = resp.chunk().await? {
        if (buf.len() as u64).saturating_add(chunk.len() as u64) > limit {
            return too_large()
                .await
                .map(|e| Err(e))
                .unwrap_or_else(|| Ok(rebuild(status, version, url, headers, Bytes::new())));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(rebuild(status, version, url, headers, buf.freeze()))
}

/// A `reqwest::Error` reporting a body that failed with `cause` (reqwest has
/// no public constructor; see [`deadline_error`]). `None` only if reqwest
/// stopped reporting a failing body stream as an error.
async fn synthetic_body_error(cause: std::io::Error) -> Option<reqwest::Error> {
    let failing = futures::stream::once(async move { Err::<Bytes, _>(cause) });
    let resp = reqwest::Response::from(http::Response::new(reqwest::Body::wrap_stream(failing)));
    resp.bytes().await.err()
}

/// Adds the attempts header, and buffers a non-success body so the error
/// conversions can read it without awaiting. A body that stops arriving
/// (the attempt timeout, a dropped connection) keeps the bytes that came and
/// says it was cut, so the error never calls a cut body an empty one.
async fn finish_response(mut resp: reqwest::Response, attempts: u32) -> reqwest::Response {
    resp.headers_mut().insert(HeaderName::from_static(ATTEMPTS_HEADER), HeaderValue::from(attempts));
    if resp.status().is_success() {
        return resp;
    }
    let (status, version, url, mut headers) =
        (resp.status(), resp.version(), resp.url().clone(), resp.headers().clone());
    let (body, cut) = read_partial(resp, MAX_ERROR_BODY).await;
    headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
    // Only this transport says a body was cut, never the server.
    headers.remove(BODY_CUT_HEADER);
    if let Some(cut) = cut {
        headers.insert(HeaderName::from_static(BODY_CUT_HEADER), HeaderValue::from_static(cut.as_str()));
    }
    rebuild(status, version, url, headers, body)
}

/// Reads up to `cap` bytes of a body, keeping what arrived when the read
/// fails, and why it stopped early.
pub(crate) async fn read_partial(mut resp: reqwest::Response, cap: usize) -> (Bytes, Option<BodyCut>) {
    let mut buf = BytesMut::new();
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                let room = cap.saturating_sub(buf.len());
                buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
                if buf.len() >= cap {
                    return (buf.freeze(), None);
                }
            }
            Ok(None) => return (buf.freeze(), None),
            Err(e) => {
                let why = if e.is_timeout() { BodyCut::Timeout } else { BodyCut::Connection };
                return (buf.freeze(), Some(why));
            }
        }
    }
}

/// A response with the given parts around an already-read body.
fn rebuild(
    status: StatusCode,
    version: http::Version,
    url: reqwest::Url,
    headers: HeaderMap,
    body: Bytes,
) -> reqwest::Response {
    let builder = http::Response::builder().status(status).version(version);
    let builder = reqwest::ResponseBuilderExt::url(builder, url);
    match builder.body(body) {
        Ok(mut rebuilt) => {
            *rebuilt.headers_mut() = headers;
            reqwest::Response::from(rebuilt)
        }
        // Unreachable with a status and version taken from a real response;
        // fall back to an empty answer with the same status.
        Err(_) => {
            let mut empty = http::Response::new(Bytes::new());
            *empty.status_mut() = status;
            reqwest::Response::from(empty)
        }
    }
}

/// The path recorded in the span for `operation_id`: the operation's path
/// template from `dixa_client::OPERATIONS` (e.g. `/v1/agents/{agentId}`, so
/// ids stay out of traces and spans group by operation), or for ids it does
/// not know (`send_raw` callers) the URL path, never the query string, which
/// may carry a cursor.
pub fn path_template(operation_id: &str, url: &reqwest::Url) -> String {
    match dixa_client::OperationMeta::find(operation_id) {
        Some(op) => op.path.to_owned(),
        None => url.path().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_template_comes_from_the_operation_table() {
        let op = dixa_client::OPERATIONS
            .iter()
            .find(|op| op.path.contains('{'))
            .expect("some operation has a path parameter");
        let url = reqwest::Url::parse("https://dev.dixa.io/v1/some/concrete-id-123?pageKey=abc").unwrap();
        assert_eq!(path_template(op.operation_id, &url), op.path);
        // Unknown ids (send_raw) fall back to the URL path, without the query.
        assert_eq!(path_template("not_an_operation", &url), "/v1/some/concrete-id-123");
    }

    #[test]
    fn attempt_limit_is_capped_by_the_call_deadline() {
        let config =
            Config::new("k").attempt_timeout(Some(Duration::from_secs(30))).call_timeout(Some(Duration::from_secs(40)));
        let t = DixaTransport::new(&config).unwrap();
        assert_eq!(t.attempt_limit(Duration::ZERO), (Some(Duration::from_secs(30)), false));
        assert_eq!(t.attempt_limit(Duration::from_secs(25)), (Some(Duration::from_secs(15)), true));
        assert_eq!(t.attempt_limit(Duration::from_secs(99)), (Some(Duration::from_millis(1)), true));
        let t = DixaTransport::new(&Config::new("k").attempt_timeout(None).call_timeout(None)).unwrap();
        assert_eq!(t.attempt_limit(Duration::from_secs(99)), (None, false));
    }

    #[test]
    fn debug_leaves_out_the_auth_header() {
        let t = DixaTransport::new(&Config::new("secret-key-xyz")).unwrap();
        assert!(!format!("{t:?}").contains("secret-key-xyz"));
    }
}
