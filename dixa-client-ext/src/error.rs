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
use futures::FutureExt;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::StatusCode;

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

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
#[derive(Debug, thiserror::Error)]
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
    #[error("no usable answer from Dixa ({context}); check the network and the base URL: {source}")]
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
    #[error("{}", api_message(*status, message.as_deref(), body))]
    Api {
        /// The HTTP status.
        status: StatusCode,
        /// Dixa's `message` member, when the body was `{"message": ...}`.
        message: Option<String>,
        /// The raw body (HTML from a proxy, empty, or Dixa's JSON).
        body: Bytes,
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

    /// A custom error raised by a client hook of the generated client.
    #[error("client hook failed: {detail}")]
    Client {
        /// The hook's message.
        detail: String,
    },
}

impl Error {
    /// The HTTP status of the answer this error came from, if any.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::RateLimited { status, .. } | Error::Api { status, .. } => Some(*status),
            Error::Decode { status, .. } => *status,
            Error::Transport { source, .. } => source.status(),
            _ => None,
        }
    }

    /// The raw body of the answer this error came from, if any.
    pub fn body(&self) -> Option<&Bytes> {
        match self {
            Error::RateLimited { body, .. } | Error::Api { body, .. } | Error::Decode { body, .. } => Some(body),
            _ => None,
        }
    }

    /// Dixa's `message`, when the error body carried one.
    pub fn api_message(&self) -> Option<&str> {
        match self {
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
        Error::Api { status, message: message_from_body(&body), body }
    }

    /// Maps a reqwest error: timeouts become [`Error::Timeout`] (an attempt
    /// timeout; reqwest cannot tell which limit fired), the rest
    /// [`Error::Transport`].
    pub(crate) fn from_reqwest(e: reqwest::Error, context: &'static str) -> Error {
        let e = without_query(e);
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
pub fn decode_json<T: serde::de::DeserializeOwned>(status: StatusCode, body: Bytes) -> Result<T> {
    match serde_json::from_slice::<T>(&body) {
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

/// The number of attempts the transport recorded on a final answer.
fn attempts_from_headers(headers: &HeaderMap) -> u32 {
    headers
        .get(crate::transport::ATTEMPTS_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

impl<E: serde::Serialize> From<progenitor_client::Error<E>> for Error {
    fn from(e: progenitor_client::Error<E>) -> Self {
        use progenitor_client::Error as P;
        match e {
            P::InvalidRequest(detail) => Error::InvalidInput { what: "request", detail },
            P::CommunicationError(e) => Error::from_reqwest(e, "sending request"),
            P::InvalidUpgrade(e) => Error::from_reqwest(e, "upgrading connection"),
            P::ResponseBodyError(e) => Error::from_reqwest(e, "reading response body"),
            P::ErrorResponse(rv) => {
                let status = rv.status();
                let headers = rv.headers().clone();
                let attempts = attempts_from_headers(&headers);
                // The typed body was already decoded; re-encode it so callers
                // still get bytes. Its `message` is read generically.
                let value = serde_json::to_value(rv.into_inner()).unwrap_or(serde_json::Value::Null);
                let body = Bytes::from(serde_json::to_vec(&value).unwrap_or_default());
                let mut err = Error::from_status(status, &headers, body, attempts);
                if let Error::Api { message, .. } = &mut err {
                    *message = value.get("message").and_then(|m| m.as_str()).map(str::to_owned);
                }
                err
            }
            P::InvalidResponsePayload(body, e) => {
                // progenitor dropped the status here; the path cannot be
                // recovered generically, so give the position.
                let message = if looks_like_json(&body) {
                    e.to_string()
                } else {
                    format!("the body is not JSON ({e}); probably an error page from a proxy or gateway")
                };
                Error::Decode { status: None, path: format!("line {} column {}", e.line(), e.column()), message, body }
            }
            P::UnexpectedResponse(resp) => {
                let status = resp.status();
                let headers = resp.headers().clone();
                let attempts = attempts_from_headers(&headers);
                // The transport buffers every non-success body, so reading it
                // completes on the first poll; a streaming body (not from our
                // transport) is left unread rather than blocking here.
                let body = resp.bytes().now_or_never().and_then(|r| r.ok()).unwrap_or_default();
                Error::from_status(status, &headers, body, attempts)
            }
            P::Custom(detail) => Error::Client { detail },
        }
    }
}

impl Error {
    /// Converts a generated operation's error using what the transport
    /// recorded about the call: an undecodable body keeps its status (an
    /// HTML 502 becomes [`Error::Api`], a bad success body an
    /// [`Error::Decode`] with the JSON path found by re-decoding it as `T`),
    /// and a timeout says which limit fired.
    pub(crate) fn from_progenitor_recorded<T, E>(
        e: progenitor_client::Error<E>,
        record: &crate::transport::CallRecord,
        now: std::time::SystemTime,
    ) -> Error
    where
        T: serde::de::DeserializeOwned,
        E: serde::Serialize,
    {
        use progenitor_client::Error as P;
        match (e, record.status) {
            // progenitor decoded without path tracking (the fast path);
            // decode again with it for the error only.
            (P::InvalidResponsePayload(body, fast), Some(status)) if status.is_success() => {
                decode_failure::<T>(status, body, fast)
            }
            (P::InvalidResponsePayload(body, _), Some(status)) => {
                Error::from_status_at(status, &record.headers, body, record.attempts, now)
            }
            (P::CommunicationError(err), _) if err.is_timeout() => match record.timeout {
                Some((kind, after)) => Error::Timeout { kind, after: Some(after) },
                None => Error::from_reqwest(err, "sending request"),
            },
            (e, _) => {
                let mut err: Error = e.into();
                // The plain conversion has no clock; read an HTTP-date
                // `Retry-After` against the injected wall clock, as the
                // retry policy did.
                if let Error::RateLimited { retry_after, .. } = &mut err {
                    *retry_after = record
                        .headers
                        .get(RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| crate::retry::parse_retry_after(v, now))
                        .or(*retry_after);
                }
                err
            }
        }
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

fn api_message(status: StatusCode, message: Option<&str>, body: &Bytes) -> String {
    let hint = match status.as_u16() {
        401 => " (check DIXA_API_KEY and the auth scheme: raw token or Bearer)",
        403 => " (the API key is not allowed to do this)",
        404 => " (the resource does not exist or this key cannot see it)",
        409 => " (conflicts with the resource's current state)",
        400 | 422 => " (the request was rejected as invalid)",
        500..=599 => " (a server-side failure; it may succeed later)",
        _ => "",
    };
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

    #[test]
    fn the_fast_path_fails_exactly_like_a_tracked_decode() {
        fn same<T: serde::de::DeserializeOwned + fmt::Debug>(body: &str) {
            let body = Bytes::copy_from_slice(body.as_bytes());
            let old = decode_tracked_always::<T>(StatusCode::OK, body.clone()).expect_err("a bad body");
            let new = decode_json::<T>(StatusCode::OK, body.clone()).expect_err("a bad body");
            assert_eq!(format!("{new:?}"), format!("{old:?}"), "body: {body:?}");
            assert_eq!(new.to_string(), old.to_string());
            // progenitor's own (untracked) decode, converted by the client.
            let fast = serde_json::from_slice::<T>(&body).expect_err("a bad body");
            let record = crate::transport::CallRecord { status: Some(StatusCode::OK), ..Default::default() };
            let from_progenitor = Error::from_progenitor_recorded::<T, ApiError>(
                progenitor_client::Error::InvalidResponsePayload(body, fast),
                &record,
                std::time::SystemTime::UNIX_EPOCH,
            );
            assert_eq!(format!("{from_progenitor:?}"), format!("{old:?}"));
        }
        for body in BAD_CONVERSATION_PAGES {
            same::<dixa_client::types::ListEndUserConversationsOutput>(body);
        }
        for body in BAD_MESSAGE_PAGES {
            same::<dixa_client::types::ListMessagesOutput>(body);
        }
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
            Error::Api { status, message, body: b } => {
                assert_eq!(*status, StatusCode::BAD_GATEWAY);
                assert_eq!(*message, None);
                assert_eq!(b, &body);
            }
            other => panic!("expected Api, got {other:?}"),
        }
        let text = err.to_string();
        assert!(text.contains("non-JSON") && text.contains("502"), "{text}");
    }

    #[derive(serde::Serialize)]
    struct ApiError {
        message: String,
    }

    #[test]
    fn progenitor_invalid_request_is_invalid_input() {
        let err: Error = progenitor_client::Error::<ApiError>::InvalidRequest("bad".into()).into();
        assert!(matches!(err, Error::InvalidInput { what: "request", .. }));
    }

    #[test]
    fn progenitor_invalid_payload_keeps_bytes_and_position() {
        let body = Bytes::from_static(b"<html>");
        let serde_err = serde_json::from_slice::<serde_json::Value>(&body).unwrap_err();
        let err: Error = progenitor_client::Error::<ApiError>::InvalidResponsePayload(body.clone(), serde_err).into();
        match err {
            Error::Decode { path, body: b, message, .. } => {
                assert_eq!(path, "line 1 column 1");
                assert_eq!(b, body);
                assert!(message.contains("not JSON"), "{message}");
            }
            other => panic!("expected Decode, got {other:?}"),
        }
    }

    #[test]
    fn progenitor_unexpected_response_reads_buffered_body() {
        let http = http::Response::builder()
            .status(502)
            .header(crate::transport::ATTEMPTS_HEADER, "3")
            .body(Bytes::from_static(b"<html>bad gateway</html>"))
            .unwrap();
        let resp = reqwest::Response::from(http);
        let err: Error = progenitor_client::Error::<ApiError>::UnexpectedResponse(resp).into();
        match err {
            Error::Api { status, message, body } => {
                assert_eq!(status, StatusCode::BAD_GATEWAY);
                assert_eq!(message, None);
                assert_eq!(&body[..], b"<html>bad gateway</html>");
            }
            other => panic!("expected Api, got {other:?}"),
        }
    }

    #[test]
    fn progenitor_unexpected_429_is_rate_limited_with_attempts() {
        let http = http::Response::builder()
            .status(429)
            .header(crate::transport::ATTEMPTS_HEADER, "4")
            .header(RETRY_AFTER, "2")
            .body(Bytes::new())
            .unwrap();
        let err: Error = progenitor_client::Error::<ApiError>::UnexpectedResponse(reqwest::Response::from(http)).into();
        match err {
            Error::RateLimited { attempts, retry_after, .. } => {
                assert_eq!(attempts, 4);
                assert_eq!(retry_after, Some(Duration::from_secs(2)));
            }
            other => panic!("expected RateLimited, got {other:?}"),
        }
    }

    #[test]
    fn progenitor_error_response_keeps_status_message_and_retry_after() {
        let mut headers = HeaderMap::new();
        headers.insert(crate::transport::ATTEMPTS_HEADER, "1".parse().unwrap());
        let rv = progenitor_client::ResponseValue::new(
            ApiError { message: "Conversation 42 not found".into() },
            StatusCode::NOT_FOUND,
            headers.clone(),
        );
        let err: Error = progenitor_client::Error::ErrorResponse(rv).into();
        match &err {
            Error::Api { status, message, body } => {
                assert_eq!(*status, StatusCode::NOT_FOUND);
                assert_eq!(message.as_deref(), Some("Conversation 42 not found"));
                assert_eq!(&body[..], br#"{"message":"Conversation 42 not found"}"#);
            }
            other => panic!("expected Api, got {other:?}"),
        }
        headers.insert(RETRY_AFTER, "9".parse().unwrap());
        headers.insert(crate::transport::ATTEMPTS_HEADER, "4".parse().unwrap());
        let rv = progenitor_client::ResponseValue::new(
            ApiError { message: "slow".into() },
            StatusCode::TOO_MANY_REQUESTS,
            headers,
        );
        let err: Error = progenitor_client::Error::ErrorResponse(rv).into();
        assert!(
            matches!(err, Error::RateLimited { attempts: 4, retry_after: Some(d), .. } if d == Duration::from_secs(9)),
            "{err:?}"
        );
    }

    #[test]
    fn progenitor_custom_is_client_error() {
        let err: Error = progenitor_client::Error::<ApiError>::Custom("hook".into()).into();
        assert!(matches!(err, Error::Client { .. }));
    }
}
