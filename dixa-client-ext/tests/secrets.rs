//! The API key never shows: not in captured tracing output (at TRACE level,
//! over successes, retries and failures), not in any error's Display or
//! Debug, not in the Debug of the client or its configuration.

mod loopback_server;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dixa_client_ext::client::DixaClient;
use dixa_client_ext::clock::ManualClock;
use dixa_client_ext::config::{ApiKey, AuthScheme, Config};
use dixa_client_ext::error::{Error, TimeoutKind};
use dixa_client_ext::rate_limit::RateLimit;
use dixa_client_ext::retry::{FixedRandom, RetryConfig};
use loopback_server::{Reply, Server};
use reqwest::{Method, StatusCode};
use serde_json::json;
use tracing_subscriber::fmt::format::FmtSpan;

const KEY: &str = "dixa-secret-KEY-7f3a9c";

/// A `MakeWriter` that appends everything to a shared buffer.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Capture {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// A `log` logger writing every record into the same capture.
struct LogCapture(Capture);

impl log::Log for LogCapture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        let mut w = self.0.clone();
        let _ = writeln!(w, "log {} {}: {}", record.level(), record.target(), record.args());
    }
    fn flush(&self) {}
}

fn client(server: &Server, scheme: AuthScheme) -> DixaClient {
    DixaClient::new(
        Config::new(KEY)
            .auth_scheme(scheme)
            .base_url(server.base_url())
            .rate_limit(RateLimit::per_second(1000.0, 2))
            .clock(Arc::new(ManualClock::new()))
            .random(Arc::new(FixedRandom(0.5))),
    )
    .unwrap()
}

fn assert_no_key(what: &str, text: &str) {
    assert!(!text.contains(KEY), "{what} contains the API key:\n{text}");
    // Nor a recognisable part of it.
    assert!(!text.contains("7f3a9c"), "{what} contains part of the API key:\n{text}");
}

/// The process-wide capturing subscriber. Global rather than scoped: tests
/// of this file run on several threads, and a scoped subscriber can miss
/// callsites whose interest another thread cached first. Every test's output
/// lands here, which only widens what is checked for the key.
fn capture() -> &'static Capture {
    static CAPTURE: std::sync::OnceLock<Capture> = std::sync::OnceLock::new();
    CAPTURE.get_or_init(|| {
        let capture = Capture::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(capture.clone())
            .with_max_level(tracing::Level::TRACE)
            .with_span_events(FmtSpan::CLOSE)
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("no other global subscriber in this test binary");
        // reqwest logs through the `log` crate (hyper-util through
        // `tracing`): capture its records too, at every level.
        log::set_logger(Box::leak(Box::new(LogCapture(capture.clone())))).expect("no other logger in this test binary");
        log::set_max_level(log::LevelFilter::Trace);
        capture
    })
}

#[tokio::test]
async fn the_key_is_absent_from_tracing_output() {
    let capture = capture();

    let server = Server::start(vec![
        Reply::json(200, r#"{"data":[]}"#),
        Reply::status(503),
        Reply::json(200, "{}"),
        Reply::status(429).header("retry-after", "1"),
        Reply::json(200, "{}"),
        Reply::json(401, r#"{"message":"Unauthorized"}"#),
        Reply::Drop,
        Reply::json(200, "{}"),
    ])
    .await;
    for scheme in [AuthScheme::Raw, AuthScheme::Bearer] {
        let c = client(&server, scheme);
        let _ = c
            .send_raw(Method::GET, server.url("/v1/agents?pageKey=cursor-abc&pageLimit=2"), None, "Agents_listAgents")
            .await;
        let _ = c.send_raw(Method::GET, server.url("/v1/agents/a1"), None, "Agents_getAgent").await;
        let _ = c.send_raw(Method::POST, server.url("/v1/tags"), Some(&json!({"name": "vip"})), "Tags_createTag").await;
        let _ = c.send_raw(Method::DELETE, server.url("/v1/tags/t1"), None, "Tags_deleteTag").await;
        let _ = c.send_raw(Method::GET, server.url("/v1/agents"), None, "Agents_listAgents").await;
    }
    // Requests really carried the key, so its absence below means something.
    assert!(server.requests().iter().any(|r| r.header("authorization") == Some(KEY)));
    assert!(server.requests().iter().any(|r| r.header("authorization") == Some(&format!("Bearer {KEY}"))));

    let out = capture.text();
    assert_no_key("tracing output", &out);
    // reqwest's own `log` records were captured (and checked above).
    assert!(
        out.contains("log DEBUG reqwest::connect: starting new connection"),
        "no reqwest log records captured:\n{out}"
    );
    // The span carries what it should...
    for needle in [
        "dixa.call",
        "operation=\"Agents_listAgents\"",
        "method=GET",
        "path=/v1/agents",
        "status=200",
        "attempt=",
        "duration_ms=",
        "retrying",
    ] {
        assert!(out.contains(needle), "tracing output lacks `{needle}`:\n{out}");
    }
    // ...and not the query string (cursors) or bodies.
    assert!(!out.contains("cursor-abc"), "query string in tracing output:\n{out}");
    assert!(!out.contains("vip"), "request body in tracing output:\n{out}");
    assert!(!out.contains("Unauthorized"), "response body in tracing output:\n{out}");
}

/// One error of every variant, most from real failures of a client that
/// holds the key.
async fn every_error() -> Vec<Error> {
    let mut errors = Vec::new();
    let server = Server::start(vec![
        Reply::json(404, r#"{"message":"nope"}"#),
        Reply::status(429).header("retry-after", "3"),
        Reply::json(200, r#"{"data":{"id":7}}"#),
        Reply::Hang,
    ])
    .await;
    let c = DixaClient::new(
        Config::new(KEY)
            .base_url(server.base_url())
            .rate_limit(RateLimit::off())
            .retry(RetryConfig::disabled())
            .attempt_timeout(Some(Duration::from_millis(50)))
            .clock(Arc::new(ManualClock::new())),
    )
    .unwrap();
    let get = |path: &str| c.send_raw(Method::GET, server.url(path), None, "op");
    errors.push(get("/v1/a").await.unwrap_err()); // Api
    errors.push(get("/v1/b").await.unwrap_err()); // RateLimited
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct D {
        data: Inner,
    }
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        id: String,
    }
    errors.push(get("/v1/c").await.unwrap().json::<D>().unwrap_err()); // Decode
    errors.push(get("/v1/d").await.unwrap_err()); // Timeout
    errors.push(
        c.send_raw(Method::GET, reqwest::Url::parse("https://other.example/v1/x").unwrap(), None, "op")
            .await
            .unwrap_err(),
    ); // ForeignNextLink
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let closed =
        DixaClient::new(Config::new(KEY).base_url(format!("http://127.0.0.1:{port}")).retry(RetryConfig::disabled()))
            .unwrap();
    errors.push(
        closed
            .send_raw(Method::GET, reqwest::Url::parse(&format!("http://127.0.0.1:{port}/v1/x")).unwrap(), None, "op")
            .await
            .unwrap_err(),
    ); // Transport
    errors.push(DixaClient::new(Config::new(format!("{KEY}\n"))).unwrap_err()); // InvalidInput (bad key)
    errors.push(Error::PaginationLoop { cursor: "c1".into() });
    errors.push(Error::Client { detail: "hook".into() });
    errors.push(Error::Timeout { kind: TimeoutKind::Call, after: Some(Duration::from_secs(1)) });
    errors.push(Error::from_status(
        StatusCode::BAD_GATEWAY,
        &Default::default(),
        bytes::Bytes::from_static(b"<html>"),
        1,
    ));
    errors
}

fn variant(e: &Error) -> &'static str {
    match e {
        Error::InvalidInput { .. } => "InvalidInput",
        Error::Transport { .. } => "Transport",
        Error::Timeout { .. } => "Timeout",
        Error::RateLimited { .. } => "RateLimited",
        Error::Api { .. } => "Api",
        Error::Decode { .. } => "Decode",
        Error::PaginationLoop { .. } => "PaginationLoop",
        Error::ForeignNextLink { .. } => "ForeignNextLink",
        Error::Client { .. } => "Client",
        _ => "other",
    }
}

#[tokio::test]
async fn the_key_is_absent_from_every_error() {
    let capture = capture();
    let errors = every_error().await;
    let mut seen: Vec<&str> = errors.iter().map(variant).collect();
    seen.sort();
    seen.dedup();
    assert_eq!(
        seen,
        [
            "Api",
            "Client",
            "Decode",
            "ForeignNextLink",
            "InvalidInput",
            "PaginationLoop",
            "RateLimited",
            "Timeout",
            "Transport"
        ]
    );
    for e in &errors {
        assert_no_key("Display", &e.to_string());
        assert_no_key("Debug", &format!("{e:?}"));
        assert_no_key("alternate Debug", &format!("{e:#?}"));
        // The whole source chain too.
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            assert_no_key("source Display", &s.to_string());
            assert_no_key("source Debug", &format!("{s:?}"));
            source = s.source();
        }
    }
    assert_no_key("tracing output", &capture.text());
}

#[test]
fn the_key_is_absent_from_debug_of_client_and_config() {
    let config = Config::new(KEY).auth_scheme(AuthScheme::Bearer);
    assert_no_key("Config Debug", &format!("{config:?} {config:#?}"));
    let key = ApiKey::new(KEY);
    assert_eq!(format!("{key:?}"), "ApiKey(<redacted>)");
    assert_eq!(key.to_string(), "ApiKey(<redacted>)");
    let client = DixaClient::new(config).unwrap();
    assert_no_key("DixaClient Debug", &format!("{client:?} {client:#?}"));
    assert_no_key("builder Debug", &format!("{:?}", client.get_agent().agent_id(uuid::Uuid::nil())));
}

#[test]
fn the_auth_header_is_marked_sensitive() {
    for scheme in [AuthScheme::Raw, AuthScheme::Bearer] {
        let value = scheme.header_value(&ApiKey::new(KEY)).unwrap();
        assert!(value.is_sensitive());
        assert_no_key("HeaderValue Debug", &format!("{value:?}"));
    }
}
