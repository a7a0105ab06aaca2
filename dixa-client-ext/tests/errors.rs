//! Errors as a caller meets them: each failure lands in its own variant, with
//! a message a person can act on.

mod loopback_server;

use std::sync::Arc;
use std::time::Duration;

use dixa_client_ext::client::DixaClient;
use dixa_client_ext::clock::ManualClock;
use dixa_client_ext::config::Config;
use dixa_client_ext::error::{decode_json, BodyCut, Error, TimeoutKind};
use dixa_client_ext::rate_limit::RateLimit;
use dixa_client_ext::retry::RetryConfig;
use loopback_server::{Reply, Server};
use reqwest::{Method, StatusCode};

fn client(base_url: &str) -> DixaClient {
    DixaClient::new(
        Config::new("k")
            .base_url(base_url)
            .rate_limit(RateLimit::off())
            .retry(RetryConfig::disabled())
            .clock(Arc::new(ManualClock::new())),
    )
    .unwrap()
}

async fn fail_with(reply: Reply) -> Error {
    let server = Server::start(vec![reply]).await;
    client(&server.base_url())
        .send_raw(Method::GET, server.url("/v1/agents/a1"), None, "Agents_getAgent")
        .await
        .unwrap_err()
}

#[test]
fn error_is_send_sync_static() {
    fn check<T: Send + Sync + 'static + std::error::Error>() {}
    check::<Error>();
}

#[tokio::test]
async fn dixa_error_body_gives_message_and_hint() {
    let err = fail_with(Reply::json(404, r#"{"message":"Agent a1 not found"}"#)).await;
    match &err {
        Error::Api { status, message, body, cut } => {
            assert_eq!(*cut, None, "a whole body is not cut");
            assert_eq!(*status, StatusCode::NOT_FOUND);
            assert_eq!(message.as_deref(), Some("Agent a1 not found"));
            assert_eq!(&body[..], br#"{"message":"Agent a1 not found"}"#);
        }
        other => panic!("expected Api, got {other:?}"),
    }
    assert_eq!(err.api_message(), Some("Agent a1 not found"));
    let text = err.to_string();
    assert!(text.contains("404") && text.contains("Agent a1 not found") && text.contains("does not exist"), "{text}");
}

#[tokio::test]
async fn unauthorized_points_at_the_key_and_scheme() {
    let err = fail_with(Reply::json(401, r#"{"message":"Unauthorized"}"#)).await;
    let text = err.to_string();
    assert!(text.contains("DIXA_API_KEY") && text.contains("Bearer"), "{text}");
}

#[tokio::test]
async fn html_from_a_proxy_is_an_api_error_with_raw_bytes() {
    let html = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
    let err = fail_with(Reply::body(502, "text/html", html)).await;
    match &err {
        Error::Api { status, message, body, cut } => {
            assert_eq!(*cut, None, "a whole body is not cut");
            assert_eq!(*status, StatusCode::BAD_GATEWAY);
            assert_eq!(*message, None);
            assert_eq!(&body[..], html.as_bytes());
        }
        other => panic!("expected Api, got {other:?}"),
    }
    let text = err.to_string();
    assert!(text.contains("non-JSON") && text.contains("502 Bad Gateway"), "{text}");
}

#[tokio::test]
async fn empty_error_body_says_so() {
    let err = fail_with(Reply::status(500)).await;
    assert!(matches!(&err, Error::Api { message: None, body, .. } if body.is_empty()), "{err:?}");
    assert!(err.to_string().contains("empty body"), "{err}");
}

/// A 503 whose body stops arriving: the attempt timeout (a real 300 ms one;
/// nothing here asserts on time) or a dropped connection.
async fn cut_503(sent: &[u8], then_close: bool) -> Error {
    let server =
        Server::start(vec![Reply::CutBody { status: 503, sent: sent.to_vec(), promised: 4096, then_close }]).await;
    let c = DixaClient::new(
        Config::new("k")
            .base_url(server.base_url())
            .rate_limit(RateLimit::off())
            .retry(RetryConfig::disabled())
            .attempt_timeout(Some(Duration::from_millis(300)))
            .clock(Arc::new(ManualClock::new())),
    )
    .unwrap();
    c.send_raw(Method::GET, server.url("/v1/agents/a1"), None, "Agents_getAgent").await.unwrap_err()
}

#[tokio::test]
async fn a_503_body_cut_by_the_attempt_timeout_is_not_called_empty() {
    let err = cut_503(b"", false).await;
    assert!(
        matches!(&err, Error::Api { status, body, cut: Some(BodyCut::Timeout), .. }
            if *status == StatusCode::SERVICE_UNAVAILABLE && body.is_empty()),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(!text.contains("empty body"), "{text}");
    assert!(text.contains("cut off after 0 bytes") && text.contains("timed out"), "{text}");
    assert!(format!("{err:?}").contains("cut: Timeout"), "{err:?}");
    assert!(err.is_retryable(), "a 503 stays retryable");

    // What arrived before the cut is kept and shown.
    let err = cut_503(b"upstream overlo", false).await;
    assert!(matches!(&err, Error::Api { body, cut: Some(BodyCut::Timeout), .. } if &body[..] == b"upstream overlo"));
    assert!(err.to_string().contains("after 15 bytes") && err.to_string().contains("upstream overlo"), "{err}");
}

#[tokio::test]
async fn a_503_body_cut_by_a_dropped_connection_says_so() {
    let err = cut_503(b"<html>", true).await;
    assert!(
        matches!(&err, Error::Api { body, cut: Some(BodyCut::Connection), .. } if &body[..] == b"<html>"),
        "{err:?}"
    );
    assert!(err.to_string().contains("connection dropped"), "{err}");
}

#[tokio::test]
async fn a_server_cannot_claim_its_own_body_was_cut() {
    // The transport's internal marker, sent by the server: neither believed
    // nor handed to the caller.
    let reply = Reply::status(503).header("x-dixa-rs-body-cut", "timeout");
    let err = fail_with(reply).await;
    assert!(matches!(&err, Error::Api { cut: None, .. }), "{err:?}");
    assert!(err.to_string().contains("empty body"), "{err}");
}

#[tokio::test]
async fn undecodable_success_body_names_the_json_path() {
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Page {
        data: Vec<Entry>,
    }
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Entry {
        id: String,
        attributes: Option<Attrs>,
    }
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Attrs {
        #[serde(rename = "_type")]
        kind: String,
    }
    let body =
        r#"{"data":[{"id":"a"},{"id":"b"},{"id":"c","attributes":{"_type":"X"}},{"id":"d","attributes":{"_type":7}}]}"#;
    let server = Server::start(vec![Reply::json(200, body)]).await;
    let raw = client(&server.base_url()).send_raw(Method::GET, server.url("/v1/x"), None, "op").await.unwrap();
    let err = raw.json::<Page>().unwrap_err();
    match &err {
        Error::Decode { status, path, body: b, .. } => {
            assert_eq!(*status, Some(StatusCode::OK));
            assert_eq!(path, "data[3].attributes._type");
            assert_eq!(&b[..], body.as_bytes());
        }
        other => panic!("expected Decode, got {other:?}"),
    }
    assert!(err.to_string().contains("data[3].attributes._type"), "{err}");
    assert_eq!(err.status(), Some(StatusCode::OK));
    assert_eq!(err.body().map(|b| b.len()), Some(body.len()));
}

#[tokio::test]
async fn refused_connection_is_a_transport_error() {
    // Bind then drop, so the port is (very likely) closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let c = client(&base);
    let err = c
        .send_raw(Method::GET, reqwest::Url::parse(&format!("{base}/v1/agents")).unwrap(), None, "op")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(std::error::Error::source(&err).is_some());
    assert!(err.to_string().contains("check the network"), "{err}");
}

#[tokio::test]
async fn transport_errors_keep_the_path_but_not_the_query_string() {
    // Query strings carry cursors and personal data (`?email=`, `?phone=`);
    // errors end up in logs, so they name the path only, as the span does.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let url = format!("{base}/v1/endusers?email=jane%40example.com&pageKey=cursor-xyz");
    let err = client(&base).send_raw(Method::GET, reqwest::Url::parse(&url).unwrap(), None, "op").await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    let mut texts = vec![err.to_string(), format!("{err:?}")];
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        texts.push(s.to_string());
        source = s.source();
    }
    for text in texts {
        assert!(!text.contains("jane") && !text.contains("cursor-xyz"), "query string in an error: {text}");
    }
    assert!(err.to_string().contains("/v1/endusers"), "{err}");
}

#[tokio::test]
async fn call_deadline_is_reported_as_a_call_timeout() {
    let server = Server::start(vec![Reply::Hang]).await;
    let c = DixaClient::new(
        Config::new("k")
            .base_url(server.base_url())
            .rate_limit(RateLimit::off())
            .attempt_timeout(Some(Duration::from_secs(30)))
            .call_timeout(Some(Duration::from_millis(80)))
            .clock(Arc::new(ManualClock::new())),
    )
    .unwrap();
    let err = c.send_raw(Method::GET, server.url("/v1/agents"), None, "op").await.unwrap_err();
    match &err {
        Error::Timeout { kind, after } => {
            assert_eq!(*kind, TimeoutKind::Call);
            assert_eq!(*after, Some(Duration::from_millis(80)));
        }
        other => panic!("expected Timeout, got {other:?}"),
    }
    assert!(err.to_string().contains("call_timeout"), "{err}");
    // Once the deadline has fired there is no retry, even for a GET.
    assert_eq!(server.count(), 1);
    assert_eq!(c.stats().retries, 0);
}

#[test]
fn invalid_inputs_are_never_sent_and_say_what() {
    let cases: Vec<(Config, &str)> = vec![
        (Config::new("k").base_url("ftp://dev.dixa.io"), "base URL"),
        (Config::new("k").base_url("https://dev.dixa.io/?a=b"), "base URL"),
        (Config::new("k").rate_limit(RateLimit::per_second(0.0, 4)), "rate limit"),
        (Config::new("k").user_agent("bad\nagent"), "user agent"),
        (Config::new(""), "API key"),
    ];
    for (config, what) in cases {
        let err = DixaClient::new(config).unwrap_err();
        match &err {
            Error::InvalidInput { what: w, .. } => assert_eq!(*w, what),
            other => panic!("expected InvalidInput({what}), got {other:?}"),
        }
        assert!(err.to_string().contains("nothing was sent"), "{err}");
    }
    let err = Config::from_lookup(|_| None).unwrap_err();
    assert!(err.to_string().contains("DIXA_API_KEY"), "{err}");
}

#[test]
fn decode_json_helper_is_usable_directly() {
    let v: serde_json::Value = decode_json(StatusCode::OK, bytes::Bytes::from_static(br#"{"a":1}"#)).unwrap();
    assert_eq!(v["a"], 1);
}

#[test]
fn pagination_errors_read_well() {
    let e = Error::PaginationLoop { cursor: "abc".into() };
    assert!(e.to_string().contains("`abc` twice"), "{e}");
    let e = Error::ForeignNextLink { url: "https://elsewhere.example".into() };
    assert!(e.to_string().contains("elsewhere.example") && e.to_string().contains("API key"), "{e}");
}

// Generated operations: the same errors as `send_raw`, with the status and
// the JSON path of a bad body.

const TAG: &str = r#"{"id":"6f1c2a44-8d7e-4a55-9e0b-3c8f5d2a1b00","name":"vip","state":"Active"}"#;

#[tokio::test]
async fn generated_op_html_500_keeps_its_status() {
    let html = "<html><body>Internal error</body></html>";
    let server = Server::start(vec![Reply::body(500, "text/html", html)]).await;
    let c = client(&server.base_url());
    let err = c.tags_list_tags().send().await.unwrap_err();
    match &err {
        Error::Api { status, message, body, cut } => {
            assert_eq!(*cut, None, "a whole body is not cut");
            assert_eq!(*status, StatusCode::INTERNAL_SERVER_ERROR);
            assert_eq!(*message, None);
            assert_eq!(&body[..], html.as_bytes());
        }
        other => panic!("expected Api, got {other:?}"),
    }
}

#[tokio::test]
async fn generated_op_bad_success_body_names_the_json_path() {
    let body =
        format!(r#"{{"data":[{TAG},{{"id":"6f1c2a44-8d7e-4a55-9e0b-3c8f5d2a1b01","name":7,"state":"Active"}}]}}"#);
    let server = Server::start(vec![Reply::json(200, &body)]).await;
    let c = client(&server.base_url());
    let err = c.tags_list_tags().send().await.unwrap_err();
    match &err {
        Error::Decode { status, path, body: b, .. } => {
            assert_eq!(*status, Some(StatusCode::OK));
            assert_eq!(path, "data[1].name");
            assert_eq!(&b[..], body.as_bytes());
        }
        other => panic!("expected Decode, got {other:?}"),
    }
}

#[tokio::test]
async fn generated_op_dixa_error_keeps_status_and_message() {
    let server = Server::start(vec![Reply::json(404, r#"{"message":"Tag not found"}"#)]).await;
    let c = client(&server.base_url());
    let id = uuid::Uuid::nil();
    let err = c.get_tag().tag_id(id).send().await.unwrap_err();
    assert!(
        matches!(&err, Error::Api { status, message: Some(m), .. } if *status == StatusCode::NOT_FOUND && m == "Tag not found"),
        "{err:?}"
    );
    assert_eq!(err.status(), Some(StatusCode::NOT_FOUND));
    assert_eq!(err.api_message(), Some("Tag not found"));
}

#[tokio::test]
async fn generated_op_call_deadline_is_a_call_timeout() {
    let server = Server::start(vec![Reply::Hang]).await;
    let c = DixaClient::new(
        Config::new("k")
            .base_url(server.base_url())
            .rate_limit(RateLimit::off())
            .call_timeout(Some(Duration::from_millis(60)))
            .clock(Arc::new(ManualClock::new())),
    )
    .unwrap();
    let err = c.tags_list_tags().send().await.unwrap_err();
    assert!(
        matches!(err, Error::Timeout { kind: TimeoutKind::Call, after: Some(d) } if d == Duration::from_millis(60)),
        "{err:?}"
    );
    assert_eq!(server.count(), 1);
}
