//! The one error type of the hand-written layer.
//!
//! Every failure a caller can meet is a variant of [`Error`], and the variants
//! tell apart what a caller handles differently: a request that was never sent
//! (bad input), one that never got an answer (transport, timeout), one the
//! server refused for load (rate limited, after all retries), one it refused
//! on its merits (API error with Dixa's `message`), and an answer we could not
//! read (decode error with the JSON path of the failing field).
//!
//! No variant holds the API key, and no message is built from a request's
//! headers, so the key cannot leak through an error.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::StatusCode;

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Why an error answer's body is incomplete ([`Error::Api::cut`](Error::Api)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BodyCut {
    /// The attempt's timeout fired while the body was being read.
    Timeout,
    /// The connection closed or failed before the body's end.
    Connection,
}

impl BodyCut {
    /// The token the transport passes this in, between its layers.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            BodyCut::Timeout => "timeout",
            BodyCut::Connection => "connection",
        }
    }

    /// The inverse of [`BodyCut::as_str`].
    pub(crate) fn parse(token: &str) -> Option<BodyCut> {
        match token {
            "timeout" => Some(BodyCut::Timeout),
            "connection" => Some(BodyCut::Connection),
            _ => None,
        }
    }
}

/// Which timeout fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeoutKind {
    /// One attempt (one HTTP exchange) took longer than
    /// [`Config::attempt_timeout`](crate::config::Config::attempt_timeout).
    /// Idempotent requests are retried before this surfaces.
    Attempt,
    /// The whole call, retries and waits included, overran
    /// [`Config::call_timeout`](crate::config::Config::call_timeout).
    Call,
}

impl fmt::Display for TimeoutKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeoutKind::Attempt => "attempt",
            TimeoutKind::Call => "call",
        })
    }
}

/// Everything that can go wrong when talking to Dixa through this crate.
///
/// `Debug` (what `fn main() -> Result<(), Error>` prints) is concise: the
/// variant, its fields, and a body as text cut at [`DEBUG_BODY`] bytes.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input was rejected before anything was sent (invalid base URL,
    /// page limit out of range, missing `DIXA_API_KEY`, ...).
    #[error("invalid {what}: {detail} (nothing was sent to Dixa)")]
    InvalidInput {
        /// What was invalid, e.g. `"base URL"` or `"DIXA_API_KEY"`.
        what: &'static str,
        /// Why, in words a person can act on.
        detail: String,
    },

    /// The request did not get an HTTP answer: DNS, connect, TLS, connection
    /// reset, or the body could not be read. Retried first for idempotent
    /// methods.
    #[error("{}", transport_message(context, source))]
    Transport {
        /// What was being done, e.g. `"sending request"`, `"reading response body"`.
        context: &'static str,
        /// The underlying error from reqwest/hyper.
        #[source]
        source: reqwest::Error,
    },

    /// A timeout fired.
    #[error("{}", timeout_message(*kind, *after))]
    Timeout {
        /// Whether one attempt or the whole call timed out.
        kind: TimeoutKind,
        /// The limit that was exceeded, when known.
        after: Option<Duration>,
    },

    /// Dixa kept answering 429 Too Many Requests until the retries ran out.
    #[error("{}", rate_limited_message(*attempts, *retry_after))]
    RateLimited {
        /// How many attempts were made (0 when unknown).
        attempts: u32,
        /// The `Retry-After` of the last 429, if it carried one.
        retry_after: Option<Duration>,
        /// The status of the last answer (429).
        status: StatusCode,
        /// The raw body of the last answer.
        body: Bytes,
    },

    /// Dixa answered with a non-success status (other than a final 429).
    #[error("{}", api_message(*status, message.as_deref(), body, *cut))]
    Api {
        /// The HTTP status.
        status: StatusCode,
        /// Dixa's `message` member, when the body was `{"message": ...}`.
        message: Option<String>,
        /// The raw body (HTML from a proxy, empty, or Dixa's JSON): when
        /// `cut` is set, only the part that arrived.
        body: Bytes,
        /// Set when reading the body stopped before its end (the attempt
        /// timed out or the connection dropped mid-body), so an empty or
        /// short `body` is not what the server meant to say.
        cut: Option<BodyCut>,
    },

    /// The answer's body could not be decoded into the expected type.
    #[error("{}", decode_message(*status, path, message, body))]
    Decode {
        /// The HTTP status of the answer, when known.
        status: Option<StatusCode>,
        /// Where decoding failed: a JSON path such as
        /// `data[3].attributes._type`, or `line L column C` when only the
        /// position is known.
        path: String,
        /// The decoder's message.
        message: String,
        /// The raw body, for logging or a lenient re-parse.
        body: Bytes,
    },

    /// A paginated listing handed back a cursor it had already handed back;
    /// following it would loop forever.
    #[error("pagination loop: Dixa returned the cursor `{cursor}` twice; stopping instead of looping (resume later from the last good cursor)")]
    PaginationLoop {
        /// The repeated cursor (`pageKey`).
        cursor: String,
    },

    /// A `meta.next` link pointed at another host. It is not followed, so the
    /// API key never leaves the configured host.
    #[error("refused to follow a pagination link to another host ({url}); the API key is only sent to the configured base URL")]
    ForeignNextLink {
        /// The foreign link's origin (scheme, host, port), never its full
        /// query, which could carry a cursor.
        url: String,
    },

    /// A `meta.next` link on the configured host embeds credentials
    /// (`user:password@`). It is not followed: the key would travel with
    /// someone else's credentials, and they would reach logs.
    #[error("refused to follow a pagination link that embeds credentials (user:password@) on {url}; Dixa never sends such links")]
    CredentialsInLink {
        /// The link's origin (scheme, host, port), without the credentials.
        url: String,
    },

    /// A write (a non-idempotent request: POST, PATCH) was sent, and no
    /// complete answer proves it did not run: the connection was lost after
    /// sending, an attempt timed out, the body of the answer was cut, or a
    /// 5xx came back (a proxy's 502 can come after Dixa acted). Dixa may
    /// have applied it. `source` is what happened.
    #[error("the {method} request may have been applied by Dixa: it was sent and no complete answer proves it did not run; do not retry it blindly (a retry can apply it twice), check the resource's state first. Cause: {source}")]
    MayHaveBeenApplied {
        /// The request's method.
        method: reqwest::Method,
        /// The failure as it would otherwise have been reported.
        #[source]
        source: Box<Error>,
    },

    /// The TLS handshake failed for a reason a retry cannot fix (an untrusted
    /// or expired certificate, a name mismatch, no common protocol).
    /// Nothing was sent; not retried.
    #[error("TLS handshake with {host} failed: {detail} (nothing was sent; not retried). For a private CA or a TLS-inspecting proxy, add its root certificate with Config::add_root_certificate")]
    Tls {
        /// The host the client connected to.
        host: String,
        /// The TLS library's reason, e.g. `invalid peer certificate: UnknownIssuer`.
        detail: String,
        /// The underlying error from reqwest.
        #[source]
        source: reqwest::Error,
    },

    /// A success body was larger than
    /// [`Config::max_body_size`](crate::config::Config::max_body_size).
    /// Reading stopped at the limit; nothing past it was buffered.
    #[error("Dixa's answer ({status}) is larger than the {limit}-byte limit; reading stopped there (raise Config::max_body_size if answers this large are legitimate)")]
    BodyTooLarge {
        /// The status of the answer.
        status: StatusCode,
        /// The limit in bytes.
        limit: u64,
    },

    /// A bulk call came back with a different number of outcomes than the
    /// items it sent, so outcomes cannot be trusted to match items. The
    /// outcomes that did come back are kept in
    /// [`BulkInterrupted::completed`](crate::bulk::BulkInterrupted).
    #[error("Dixa answered a bulk call of {sent} items with {received} outcomes; the outcomes that came back are kept, but which items the missing or extra ones belong to is unknown: check those items' state before sending them again")]
    BulkOutcomeMismatch {
        /// Items sent in the call.
        sent: usize,
        /// Outcomes received.
        received: usize,
    },

    /// A custom error raised by a client hook of the generated client.
    #[error("client hook failed: {detail}")]
    Client {
        /// The hook's message.
        detail: String,
    },
}

/// At most this many bytes of a body are shown by `Debug`.
pub const DEBUG_BODY: usize = 200;

/// A body in `Debug`: its length and its start as text, never raw bytes.
struct BodyPreview<'a>(&'a Bytes);

impl fmt::Debug for BodyPreview<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let body = self.0;
        let shown = String::from_utf8_lossy(&body[..body.len().min(DEBUG_BODY)]);
        if body.len() > DEBUG_BODY {
            write!(f, "{shown:?}... ({} bytes)", body.len())
        } else {
            write!(f, "{shown:?}")
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidInput { what, detail } => {
                f.debug_struct("InvalidInput").field("what", what).field("detail", detail).finish()
            }
            Error::Transport { context, source } => {
                f.debug_struct("Transport").field("context", context).field("source", &source.to_string()).finish()
            }
            Error::Timeout { kind, after } => {
                f.debug_struct("Timeout").field("kind", kind).field("after", after).finish()
            }
            Error::RateLimited { attempts, retry_after, status, body } => f
                .debug_struct("RateLimited")
                .field("attempts", attempts)
                .field("retry_after", retry_after)
                .field("status", &status.as_u16())
                .field("body", &BodyPreview(body))
                .finish(),
            Error::Api { status, message, body, cut } => {
                let mut d = f.debug_struct("Api");
                d.field("status", &status.as_u16()).field("message", message).field("body", &BodyPreview(body));
                if let Some(cut) = cut {
                    d.field("cut", cut);
                }
                d.finish()
            }
            Error::Decode { status, path, message, body } => f
                .debug_struct("Decode")
                .field("status", &status.map(|s| s.as_u16()))
                .field("path", path)
                .field("message", message)
                .field("body", &BodyPreview(body))
                .finish(),
            Error::PaginationLoop { cursor } => f.debug_struct("PaginationLoop").field("cursor", cursor).finish(),
            Error::ForeignNextLink { url } => f.debug_struct("ForeignNextLink").field("url", url).finish(),
            Error::CredentialsInLink { url } => f.debug_struct("CredentialsInLink").field("url", url).finish(),
            Error::MayHaveBeenApplied { method, source } => {
                f.debug_struct("MayHaveBeenApplied").field("method", &method.as_str()).field("source", source).finish()
            }
            Error::Tls { host, detail, .. } => {
                f.debug_struct("Tls").field("host", host).field("detail", detail).finish()
            }
            Error::BodyTooLarge { status, limit } => {
                f.debug_struct("BodyTooLarge").field("status", &status.as_u16()).field("limit", limit).finish()
            }
            Error::BulkOutcomeMismatch { sent, received } => {
                f.debug_struct("BulkOutcomeMismatch").field("sent", sent).field("received", received).finish()
            }
            Error::Client { detail } => f.debug_struct("Client").field("detail", detail).finish(),
        }
    }
}

impl Error {
    /// Whether the same call may succeed if made again later: no answer
    /// (transport, timeout), rate limited, or a 5xx / 408 answer. The
    /// client has already retried what was safe to retry; this is for the
    /// caller's own, slower retry (a queue, the next run). A write that
    /// [may have been applied](Error::may_have_been_applied) is never
    /// retryable: check the resource's state first.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport { .. } | Error::Timeout { .. } | Error::RateLimited { .. } => true,
            Error::Api { status, .. } => status.is_server_error() || *status == StatusCode::REQUEST_TIMEOUT,
            _ => false,
        }
    }

    /// Whether this is a write that was sent and may have been applied
    /// ([`Error::MayHaveBeenApplied`]): do not retry it blindly.
    pub fn may_have_been_applied(&self) -> bool {
        matches!(self, Error::MayHaveBeenApplied { .. })
    }

    /// Whether the request is known not to have reached Dixa: refused
    /// before sending, no connection could be made, or the TLS handshake
    /// failed. Such a request is safe to send again whatever its method.
    pub fn was_not_sent(&self) -> bool {
        match self {
            Error::InvalidInput { .. } | Error::Tls { .. } => true,
            Error::Transport { source, .. } => source.is_connect(),
            _ => false,
        }
    }

    /// Whether Dixa answered 404: the resource does not exist (or this key
    /// cannot see it).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(StatusCode::NOT_FOUND)
    }

    /// Whether Dixa answered 429 until the retries ran out.
    pub fn is_rate_limited(&self) -> bool {
        self.status() == Some(StatusCode::TOO_MANY_REQUESTS)
    }

    /// The error under [`Error::MayHaveBeenApplied`], or `self`.
    pub fn cause(&self) -> &Error {
        match self {
            Error::MayHaveBeenApplied { source, .. } => source,
            other => other,
        }
    }

    /// The HTTP status of the answer this error came from, if any.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::MayHaveBeenApplied { source, .. } => source.status(),
            Error::BodyTooLarge { status, .. } => Some(*status),
            Error::RateLimited { status, .. } | Error::Api { status, .. } => Some(*status),
            Error::Decode { status, .. } => *status,
            Error::Transport { source, .. } => source.status(),
            _ => None,
        }
    }

    /// The raw body of the answer this error came from, if any.
    pub fn body(&self) -> Option<&Bytes> {
        match self {
            Error::MayHaveBeenApplied { source, .. } => source.body(),
            Error::RateLimited { body, .. } | Error::Api { body, .. } | Error::Decode { body, .. } => Some(body),
            _ => None,
        }
    }

    /// Dixa's `message`, when the error body carried one.
    pub fn api_message(&self) -> Option<&str> {
        match self {
            Error::MayHaveBeenApplied { source, .. } => source.api_message(),
            Error::Api { message, .. } => message.as_deref(),
            _ => None,
        }
    }

    /// Builds the error for a non-success answer whose body is already read:
    /// 429 becomes [`Error::RateLimited`] (with the `Retry-After` from
    /// `headers`), everything else [`Error::Api`] with Dixa's `message` when
    /// the body is `{"message": "..."}`.
    pub fn from_status(status: StatusCode, headers: &HeaderMap, body: Bytes, attempts: u32) -> Error {
        Self::from_status_at(status, headers, body, attempts, std::time::SystemTime::now())
    }

    /// Like [`Error::from_status`], reading an HTTP-date `Retry-After`
    /// relative to `now` (the injected wall clock).
    pub fn from_status_at(
        status: StatusCode,
        headers: &HeaderMap,
        body: Bytes,
        attempts: u32,
        now: std::time::SystemTime,
    ) -> Error {
        if status == StatusCode::TOO_MANY_REQUESTS {
            let retry_after = headers
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| crate::retry::parse_retry_after(v, now));
            return Error::RateLimited { attempts, retry_after, status, body };
        }
        Error::Api { status, message: message_from_body(&body), body, cut: None }
    }

    /// Marks an [`Error::Api`] whose body stopped arriving before its end.
    pub(crate) fn with_body_cut(self, why: Option<BodyCut>) -> Error {
        match (self, why) {
            (Error::Api { status, message, body, .. }, Some(why)) => {
                Error::Api { status, message, body, cut: Some(why) }
            }
            (other, _) => other,
        }
    }

    /// Maps a reqwest error: timeouts become [`Error::Timeout`] (an attempt
    /// timeout; reqwest cannot tell which limit fired), the rest
    /// [`Error::Transport`].
    pub(crate) fn from_reqwest(e: reqwest::Error, context: &'static str) -> Error {
        let e = without_query(e);
        if let Some((status, limit)) = crate::transport::body_too_large(&e) {
            return Error::BodyTooLarge { status, limit };
        }
        if let Some(detail) = crate::transport::tls_failure(&e) {
            let host = e.url().and_then(|u| u.host_str()).unwrap_or("the server").to_owned();
            return Error::Tls { host, detail, source: e };
        }
        if e.is_timeout() {
            Error::Timeout { kind: TimeoutKind::Attempt, after: None }
        } else if e.is_builder() {
            Error::InvalidInput { what: "request", detail: e.to_string() }
        } else {
            Error::Transport { context, source: e }
        }
    }
}

/// Drops the query string from the URL a reqwest error names (its Display
/// shows it): queries carry cursors and personal data (`?email=`,
/// `?phone=`), and errors end up in logs. The path stays, to say which call
/// failed; this matches what the tracing span records.
pub(crate) fn without_query(mut e: reqwest::Error) -> reqwest::Error {
    if let Some(url) = e.url_mut() {
        url.set_query(None);
        url.set_fragment(None);
    }
    e
}

impl From<dixa_client::path::PathParamError> for Error {
    /// A path parameter that would change the request path: nothing was sent.
    fn from(e: dixa_client::path::PathParamError) -> Self {
        Error::InvalidInput { what: "path parameter", detail: e.to_string() }
    }
}

impl From<reqwest::Error> for Error {
    fn from(e: reqwest::Error) -> Self {
        Error::from_reqwest(e, "sending request")
    }
}

/// Decodes a JSON body into `T`: the one decode path of every call.
///
/// serde_json alone first: tracking the JSON path costs an allocation per
/// member and a third of the throughput on every success, to serve the rare
/// failure. Only when that fails are the same bytes decoded again with
/// `serde_path_to_error`, so [`Error::Decode`] names the JSON path of the
/// first field that does not fit (e.g. `data[3].attributes._type`), exactly
/// as a tracked decode would have.
///
/// The body is checked to be UTF-8 once, as a whole, and then read as a
/// `&str`: `serde_json::from_slice` checks every string it meets on its own
/// (a call per member name and value), which took 10-14% of a page's decode
/// time. A body that is not UTF-8 takes the `from_slice` route, which
/// reports where the bad bytes are.
pub fn decode_json<T: serde::de::DeserializeOwned>(status: StatusCode, body: Bytes) -> Result<T> {
    let fast = match std::str::from_utf8(&body) {
        Ok(text) => serde_json::from_str::<T>(text),
        Err(_) => serde_json::from_slice::<T>(&body),
    };
    match fast {
        Ok(value) => Ok(value),
        Err(fast) => Err(decode_failure::<T>(status, body, fast)),
    }
}

/// The error for a body that did not decode as `T` (`fast` is how the
/// untracked decode failed): decodes it again with path tracking and reports
/// that decode's path and message.
pub(crate) fn decode_failure<T: serde::de::DeserializeOwned>(
    status: StatusCode,
    body: Bytes,
    fast: serde_json::Error,
) -> Error {
    let mut de = serde_json::Deserializer::from_slice(&body);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Err(e) => {
            let path = e.path().to_string();
            decode_error(status, path, e.into_inner(), body)
        }
        // Trailing bytes after the value: reported by position.
        Ok(_) => match de.end() {
            Err(e) => decode_error(status, String::new(), e, body),
            // Decodes when tracked (a deserializer that behaves differently
            // under a wrapper): report the untracked failure by position.
            Ok(()) => decode_error(status, String::new(), fast, body),
        },
    }
}

fn decode_error(status: StatusCode, path: String, e: serde_json::Error, body: Bytes) -> Error {
    // A failure at the root (not JSON at all, trailing bytes) has no useful
    // path; give the position instead.
    let path = if path.is_empty() || path == "." { format!("line {} column {}", e.line(), e.column()) } else { path };
    Error::Decode { status: Some(status), path, message: e.to_string(), body }
}

/// Dixa's `message` from an error body `{"message": "..."}`; `None` for any
/// other body (HTML from a proxy, empty, other JSON).
pub fn message_from_body(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    value.get("message")?.as_str().map(str::to_owned)
}

impl From<dixa_client::runtime::RequestError> for Error {
    /// A builder that could not describe its request: nothing was sent.
    fn from(e: dixa_client::runtime::RequestError) -> Self {
        use dixa_client::runtime::RequestError as R;
        let what = match &e {
            R::PathParam(_) => "path parameter",
            R::Missing(_) => "request",
            _ => "request body",
        };
        Error::InvalidInput { what, detail: e.to_string() }
    }
}

fn looks_like_json(body: &[u8]) -> bool {
    matches!(
        body.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n')
    )
}

/// At most this many bytes of a non-JSON body are quoted in a message.
const SNIPPET: usize = 80;

fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(SNIPPET)]);
    let one_line: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if body.len() > SNIPPET {
        format!("{}...", one_line.trim())
    } else {
        one_line.trim().to_owned()
    }
}

fn timeout_message(kind: TimeoutKind, after: Option<Duration>) -> String {
    let after = after.map(|d| format!(" after {d:?}")).unwrap_or_default();
    match kind {
        TimeoutKind::Attempt => format!(
            "a request to Dixa timed out{after}; the network or Dixa is slow (raise Config::attempt_timeout if answers are legitimately slow)"
        ),
        TimeoutKind::Call => format!(
            "the call to Dixa did not finish within its deadline{after}, retries included (raise Config::call_timeout)"
        ),
    }
}

/// Names the root cause in the top-level message: reqwest's own Display
/// says only "error sending request", the reason is levels down the chain.
fn transport_message(context: &str, source: &reqwest::Error) -> String {
    let mut causes: Vec<String> = Vec::new();
    let mut next: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(source);
    while let Some(e) = next {
        let text = e.to_string();
        if !text.is_empty() && !causes.iter().any(|c| c.contains(&text)) {
            causes.push(text);
        }
        next = e.source();
    }
    let sent = if source.is_connect() { " (no connection was made: nothing was sent)" } else { "" };
    let cause = causes.last().map(|c| format!(" ({c})")).unwrap_or_default();
    format!("no usable answer from Dixa ({context}){sent}; check the network and the base URL: {source}{cause}")
}

fn rate_limited_message(attempts: u32, retry_after: Option<Duration>) -> String {
    let attempts = if attempts > 0 { format!(" after {attempts} attempts") } else { String::new() };
    let wait = match retry_after {
        Some(d) => format!("; Dixa asked to wait {d:?} before retrying"),
        None => String::new(),
    };
    format!(
        "rate limited by Dixa (429){attempts}{wait}; another client may share this API key, or the client-side limit is set above Dixa's 10 requests per second"
    )
}

fn api_message(status: StatusCode, message: Option<&str>, body: &Bytes, cut: Option<BodyCut>) -> String {
    let hint = match status.as_u16() {
        401 => " (check DIXA_API_KEY and the auth scheme: raw token or Bearer)",
        403 => " (the API key is not allowed to do this)",
        404 => " (the resource does not exist or this key cannot see it)",
        409 => " (conflicts with the resource's current state)",
        400 | 422 => " (the request was rejected as invalid)",
        500..=599 => " (a server-side failure)",
        300..=399 => " (a redirect, not followed: Dixa's API does not redirect, so the base URL is probably wrong, e.g. http instead of https)",
        _ => "",
    };
    if let Some(cut) = cut {
        let why = match cut {
            BodyCut::Timeout => "the attempt timed out while reading it",
            BodyCut::Connection => "the connection dropped while reading it",
        };
        let arrived = match message {
            Some(m) => format!(": {m}"),
            None if body.is_empty() => String::new(),
            None => format!(", `{}`", snippet(body)),
        };
        return format!(
            "Dixa answered {status}{hint}; its body was cut off after {} bytes ({why}){arrived}",
            body.len()
        );
    }
    match message {
        Some(m) => format!("Dixa answered {status}: {m}{hint}"),
        None if body.is_empty() => format!("Dixa answered {status} with an empty body{hint}"),
        None if !looks_like_json(body) => format!(
            "Dixa answered {status} with a non-JSON body ({} bytes: `{}`), probably from a proxy or gateway{hint}",
            body.len(),
            snippet(body)
        ),
        None => format!("Dixa answered {status}: {}{hint}", snippet(body)),
    }
}

fn decode_message(status: Option<StatusCode>, path: &str, message: &str, body: &Bytes) -> String {
    let status = status.map(|s| format!(" ({s})")).unwrap_or_default();
    format!(
        "could not decode Dixa's answer{status} at `{path}`: {message} ({} bytes; the API may have changed shape, see Error::body for the raw JSON)",
        body.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Page {
        data: Vec<Item>,
    }
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Item {
        attributes: Attrs,
    }
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Attrs {
        #[serde(rename = "_type")]
        kind: u32,
    }

    #[test]
    fn decode_json_reports_the_json_path() {
        let body = Bytes::from_static(
            br#"{"data":[{"attributes":{"_type":1}},{"attributes":{"_type":2}},{"attributes":{"_type":3}},{"attributes":{"_type":"x"}}]}"#,
        );
        let err = decode_json::<Page>(StatusCode::OK, body.clone()).unwrap_err();
        match &err {
            Error::Decode { status, path, body: b, .. } => {
                assert_eq!(*status, Some(StatusCode::OK));
                assert_eq!(path, "data[3].attributes._type");
                assert_eq!(b, &body);
            }
            other => panic!("expected Decode, got {other:?}"),
        }
        assert!(err.to_string().contains("data[3].attributes._type"), "{err}");
    }

    /// The decode as it was before the fast path: path tracking on every
    /// call. The fast path must fail exactly like it.
    fn decode_tracked_always<T: serde::de::DeserializeOwned>(status: StatusCode, body: Bytes) -> Result<T> {
        let mut de = serde_json::Deserializer::from_slice(&body);
        match serde_path_to_error::deserialize::<_, T>(&mut de) {
            Ok(v) => match de.end() {
                Ok(()) => Ok(v),
                Err(e) => Err(decode_error(status, String::new(), e, body)),
            },
            Err(e) => {
                let path = e.path().to_string();
                Err(decode_error(status, path, e.into_inner(), body))
            }
        }
    }

    /// Bad bodies for a page of conversations: the failure first, last and
    /// amid the members of a union, in nested unions, in a timestamp, at
    /// the root, and not JSON at all.
    const BAD_CONVERSATION_PAGES: &[&str] = &[
        r#"{"data":[{"_type":"EmailConversation","id":"x","channel":"Email"}]}"#,
        r#"{"data":[{"id":"x","channel":"Email","_type":"EmailConversation"}]}"#,
        r#"{"data":[{"channel":"Email","_type":"ChatConversation","id":1,"requesterId":"nope"}]}"#,
        r#"{"data":[{"_type":"SmsConversation","id":1,"channel":"Sms","requesterId":"00000000-0000-4000-8000-000000000001","createdAt":"yesterday"}]}"#,
        r#"{"data":[{"queue":{"id":5},"_type":"SmsConversation"}]}"#,
        r#"{"data":[{"_type":"EmailConversation","link":{"parentId":"x","_type":"FollowUp"}}]}"#,
        r#"{"data":[{"link":{"_type":"FollowUp","parentId":"x"},"_type":"EmailConversation"}]}"#,
        r#"{"data":[{"link":{"parentId":[],"_type":"FollowUp"},"_type":"EmailConversation"}]}"#,
        r#"{"data":[{"customAttributes":[{"id":"x"},{"id":1}],"_type":"EmailConversation"}]}"#,
        r#"{"data":[{"customAttributes":[{"id":"3385ea26-cf9f-4dcb-b5ea-0ca700000000","name":"n","identifier":"i","value":["a",7]}],"_type":"EmailConversation"}]}"#,
        r#"{"data":[{"_type":"EmailConversation","customAttributes":[{"id":"3385ea26-cf9f-4dcb-b5ea-0ca700000000","name":"n","identifier":"i","value":7}]}]}"#,
        r#"{"data":[{"id":1,"channel":"Email"}]}"#,
        r#"{"data":[{"_type":7,"id":1}]}"#,
        r#"{"data":[{"_type":null}]}"#,
        r#"{"data":{}}"#,
        r#"{"data":[]} trailing"#,
        r#"{"data":[{"_type":"EmailConversation","id":1"#,
        "<html>502 Bad Gateway</html>",
        "",
    ];

    /// Bad bodies for a page of messages (unions three deep).
    const BAD_MESSAGE_PAGES: &[&str] = &[
        r#"{"data":[{"attributes":{"from":{"email":5},"_type":"EmailAttributes","isAutoReply":false}}]}"#,
        r#"{"data":[{"attributes":{"_type":"EmailAttributes","from":{"email":5}}}]}"#,
        r#"{"data":[{"attributes":{"emailContent":{"content":{"value":1,"_type":"Html"},"_type":"Regular"},"_type":"EmailAttributes"}}]}"#,
        r#"{"data":[{"attributes":{"to":[{"email":"a"},{"email":false}],"_type":"EmailAttributes"}}]}"#,
        r#"{"data":[{"attributes":{"content":{"_type":"Text"},"_type":"ChatAttributes"}}]}"#,
        r#"{"data":[{"id":"00000000-0000-4000-8000-000000000001","attributes":{"direction":"Inbound"}}]}"#,
    ];

    /// `decode_body` reads an empty body as `null` (for `204`), so its error
    /// for `""` differs from a tracked decode of `""` by design.
    fn body_is_blank(e: &Error) -> bool {
        matches!(e, Error::Decode { body, .. } if body.as_ref() == b"null")
    }

    #[test]
    fn the_fast_path_fails_exactly_like_a_tracked_decode() {
        fn same<T: serde::de::DeserializeOwned + fmt::Debug>(body: &str) {
            let body = Bytes::copy_from_slice(body.as_bytes());
            let old = decode_tracked_always::<T>(StatusCode::OK, body.clone()).expect_err("a bad body");
            let new = decode_json::<T>(StatusCode::OK, body.clone()).expect_err("a bad body");
            assert_eq!(format!("{new:?}"), format!("{old:?}"), "body: {body:?}");
            assert_eq!(new.to_string(), old.to_string());
            // The generated calls' decode (an empty-body guard, then decode_json).
            let from_call = crate::client::decode_body::<T>(StatusCode::OK, body).expect_err("a bad body");
            if !body_is_blank(&from_call) {
                assert_eq!(format!("{from_call:?}"), format!("{old:?}"));
            }
        }
        for body in BAD_CONVERSATION_PAGES {
            same::<dixa_client::types::ListEndUserConversationsOutput>(body);
        }
        for body in BAD_MESSAGE_PAGES {
            same::<dixa_client::types::ListMessagesOutput>(body);
        }
    }

    /// The fast path reads a UTF-8 body as `&str`; one that is not UTF-8
    /// (a bad byte in a member name, in a value, in a captured member before
    /// `_type`) fails exactly like a tracked decode of the bytes, and
    /// non-ASCII text, escaped or not, decodes the same either way.
    #[test]
    fn utf8_is_checked_once_and_bad_bytes_fail_like_a_tracked_decode() {
        type Page = dixa_client::types::ListMessagesOutput;
        let bad: [&[u8]; 3] = [
            b"{\"data\":[{\"attributes\":{\"_type\":\"ChatAttributes\",\"direction\":\"In\xffbound\"}}]}",
            b"{\"data\":[{\"attributes\":{\"dir\xc3ction\":\"Inbound\",\"_type\":\"ChatAttributes\"}}]}",
            b"{\"data\":[{\"attributes\":{\"content\":{\"value\":\"\xed\xa0\x80\",\"_type\":\"Text\"},\"_type\":\"ChatAttributes\"}}]}",
        ];
        for body in bad {
            let body = Bytes::copy_from_slice(body);
            let old = decode_tracked_always::<Page>(StatusCode::OK, body.clone()).expect_err("not UTF-8");
            let new = decode_json::<Page>(StatusCode::OK, body.clone()).expect_err("not UTF-8");
            assert_eq!(format!("{new:?}"), format!("{old:?}"), "body: {body:?}");
        }
        let good = r#"{"data":[{"id":"00000000-0000-4000-8000-000000000001","authorId":"00000000-0000-4000-8000-000000000002","createdAt":"2024-01-11T00:00:00Z","attributes":{"content":{"value":"Grüße \u00fc \ud83d\ude00 😀","_type":"Text"},"direction":"Inbound","isAutomated":false,"_type":"ChatAttributes"}}]}"#;
        let fast = decode_json::<Page>(StatusCode::OK, Bytes::from_static(good.as_bytes())).expect("decodes");
        let slice: Page = serde_json::from_slice(good.as_bytes()).expect("decodes");
        assert_eq!(format!("{fast:?}"), format!("{slice:?}"));
        assert!(format!("{fast:?}").contains("Grüße ü 😀 😀"), "{fast:?}");
    }

    #[test]
    fn a_failure_inside_a_member_before_type_names_its_path() {
        let body = Bytes::from_static(
            br#"{"data":[{"attributes":{"to":[{"email":"a"},{"email":false}],"_type":"EmailAttributes"}}]}"#,
        );
        match decode_json::<dixa_client::types::ListMessagesOutput>(StatusCode::OK, body).unwrap_err() {
            Error::Decode { path, message, .. } => {
                assert_eq!(path, "data[0].attributes");
                assert!(message.starts_with("to[1].email: invalid type: boolean `false`"), "{message}");
            }
            other => panic!("expected Decode, got {other:?}"),
        }
    }

    #[test]
    fn decode_json_of_non_json_gives_a_position() {
        let err = decode_json::<Page>(StatusCode::OK, Bytes::from_static(b"<html>")).unwrap_err();
        match err {
            Error::Decode { path, .. } => assert_eq!(path, "line 1 column 1"),
            other => panic!("expected Decode, got {other:?}"),
        }
    }

    #[test]
    fn decode_json_rejects_trailing_garbage() {
        let err = decode_json::<serde_json::Value>(StatusCode::OK, Bytes::from_static(b"{} x")).unwrap_err();
        assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    }

    #[test]
    fn message_is_read_from_dixa_error_bodies_only() {
        assert_eq!(message_from_body(br#"{"message":"Agent not found"}"#).as_deref(), Some("Agent not found"));
        assert_eq!(message_from_body(b"<html>502</html>"), None);
        assert_eq!(message_from_body(b""), None);
        assert_eq!(message_from_body(br#"{"error":"x"}"#), None);
    }

    #[test]
    fn from_status_maps_429_with_retry_after() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "7".parse().unwrap());
        let err = Error::from_status(StatusCode::TOO_MANY_REQUESTS, &headers, Bytes::new(), 4);
        match err {
            Error::RateLimited { attempts, retry_after, status, .. } => {
                assert_eq!(attempts, 4);
                assert_eq!(retry_after, Some(Duration::from_secs(7)));
                assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
            }
            other => panic!("expected RateLimited, got {other:?}"),
        }
    }

    #[test]
    fn html_502_is_an_api_error_without_message() {
        let body = Bytes::from_static(b"<html><body>502 Bad Gateway</body></html>");
        let err = Error::from_status(StatusCode::BAD_GATEWAY, &HeaderMap::new(), body.clone(), 1);
        match &err {
            Error::Api { status, message, body: b, cut } => {
                assert_eq!(*cut, None);
                assert_eq!(*status, StatusCode::BAD_GATEWAY);
                assert_eq!(*message, None);
                assert_eq!(b, &body);
            }
            other => panic!("expected Api, got {other:?}"),
        }
        let text = err.to_string();
        assert!(text.contains("non-JSON") && text.contains("502"), "{text}");
    }

    #[test]
    fn helpers_classify_and_debug_is_concise() {
        let big = Bytes::from(vec![b'x'; 5000]);
        let err = Error::from_status(StatusCode::BAD_GATEWAY, &HeaderMap::new(), big, 1);
        assert!(err.is_retryable() && !err.is_not_found() && !err.is_rate_limited());
        let debug = format!("{err:?}");
        assert!(debug.starts_with("Api { status: 502"), "{debug}");
        assert!(debug.contains("(5000 bytes)") && debug.len() < DEBUG_BODY + 120, "{debug}");
        let not_found = Error::from_status(
            StatusCode::NOT_FOUND,
            &HeaderMap::new(),
            Bytes::from_static(br#"{"message":"gone"}"#),
            1,
        );
        assert!(not_found.is_not_found() && !not_found.is_retryable());
        assert_eq!(not_found.api_message(), Some("gone"));
        let limited = Error::from_status(StatusCode::TOO_MANY_REQUESTS, &HeaderMap::new(), Bytes::new(), 4);
        assert!(limited.is_rate_limited() && limited.is_retryable());
        let input = Error::InvalidInput { what: "x", detail: "y".into() };
        assert!(!input.is_retryable() && input.status().is_none());
        assert!(Error::Timeout { kind: TimeoutKind::Call, after: None }.is_retryable());
    }
}
