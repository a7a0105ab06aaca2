//! Servers that misbehave: writes whose outcome is unknown, redirects to
//! elsewhere, bodies past the cap, success bodies without `data`, bulk
//! answers with missing outcomes.

mod loopback_server;

use dixa_client::types;
use dixa_client_ext::client::DixaClient;
use dixa_client_ext::config::Config;
use dixa_client_ext::error::Error;
use dixa_client_ext::prelude::*;
use dixa_client_ext::rate_limit::RateLimit;
use dixa_fake::{FakeDixa, Fault, FaultKind, Method};
use futures::StreamExt;
use loopback_server::{Reply, Server};
use reqwest::StatusCode;
use serde_json::json;

fn config(base: &str) -> Config {
    Config::new("test-key-not-secret").base_url(base).rate_limit(RateLimit::off())
}

fn client(base: &str) -> DixaClient {
    DixaClient::new(config(base)).expect("client")
}

fn tag_input(name: &str) -> types::CreateTagInput {
    types::CreateTagInput { color: None, name: name.into() }
}

#[tokio::test]
async fn a_post_reset_after_the_server_acted_may_have_been_applied() {
    let fake = FakeDixa::builder().spawn().await;
    fake.faults().inject(Fault::new(FaultKind::ConnectionReset).on(Method::POST, "/v1/tags").after_handler());
    let c = client(&fake.base_url());
    let err = c.create_tag().body(tag_input("lost-answer")).send().await.unwrap_err();
    assert_eq!(fake.stats().side_effects("POST", "/v1/tags"), 1, "the server created the tag");
    assert!(err.may_have_been_applied(), "{err:?}");
    assert!(!err.was_not_sent());
    let text = err.to_string();
    assert!(text.contains("may have been applied") && text.contains("do not retry it blindly"), "{text}");
    assert_eq!(c.stats().retries, 0, "never re-sent");
}

#[tokio::test]
async fn a_post_after_a_proxy_502_that_followed_the_handler_may_have_been_applied() {
    let fake = FakeDixa::builder().spawn().await;
    fake.faults().inject(Fault::new(FaultKind::HtmlStatus(502)).on(Method::POST, "/v1/tags").after_handler());
    let c = client(&fake.base_url());
    let err = c.create_tag().body(tag_input("proxy")).send().await.unwrap_err();
    assert_eq!(fake.stats().side_effects("POST", "/v1/tags"), 1);
    assert!(err.may_have_been_applied(), "{err:?}");
    assert_eq!(err.status(), Some(StatusCode::BAD_GATEWAY));
    assert!(!err.to_string().contains("may succeed later"), "{err}");
}

#[tokio::test]
async fn a_post_whose_connection_was_refused_before_sending_is_not_sent() {
    // A port nothing listens on: the reset comes before any byte is sent.
    let unused = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", unused.local_addr().unwrap());
    drop(unused);
    let c = client(&base);
    let err = c.create_tag().body(tag_input("never-sent")).send().await.unwrap_err();
    assert!(!err.may_have_been_applied(), "{err:?}");
    assert!(err.was_not_sent(), "{err:?}");
    assert!(err.to_string().contains("nothing was sent"), "{err}");
}

#[tokio::test]
async fn a_post_refused_with_429_or_400_is_not_reported_as_possibly_applied() {
    let server = Server::start(vec![Reply::json(400, r#"{"message":"bad name"}"#)]).await;
    let c = client(&server.base_url());
    let err = c.create_tag().body(tag_input("x")).send().await.unwrap_err();
    assert!(!err.may_have_been_applied(), "{err:?}");
    assert_eq!(err.api_message(), Some("bad name"));
}

#[tokio::test]
async fn redirects_are_never_followed_nor_bodies_resent() {
    let elsewhere = Server::start(vec![Reply::json(200, r#"{"data":[]}"#)]).await;
    let targets = [
        format!("http://127.0.0.2:{}/v1/tags", elsewhere.port()),
        format!("http://127.0.0.1:{}/v1/tags", elsewhere.port()),
        format!("https://127.0.0.1:{}/v1/tags", elsewhere.port()),
        "/v1/tags/other".to_owned(),
    ];
    for status in [301u16, 302, 307, 308] {
        for target in &targets {
            let server = Server::start(vec![Reply::status(status).header("location", target)]).await;
            let c = client(&server.base_url());
            let err = c.tags_list_tags().send().await.unwrap_err();
            assert_eq!(err.status().map(|s| s.as_u16()), Some(status), "{status} -> {target}: {err:?}");
            assert!(err.to_string().contains("not followed"), "{err}");
            let err = c.create_tag().body(tag_input("pii")).send().await.unwrap_err();
            assert_eq!(err.status().map(|s| s.as_u16()), Some(status), "{status} -> {target}: {err:?}");
            assert_eq!(server.count(), 2, "{status} -> {target}: only the two original requests");
        }
    }
    assert_eq!(elsewhere.count(), 0, "no redirect reached the other server");
}

#[tokio::test]
async fn a_success_body_past_the_cap_is_a_typed_error() {
    let big = format!(
        r#"{{"data":[{}]}}"#,
        vec![r#"{"id":"3f1c0a7e-8a9f-4a57-9a55-2f6f5b0c1d2e","name":"t","state":"Active"}"#; 500].join(",")
    );
    let server = Server::start(vec![Reply::json(200, &big)]).await;
    let c = DixaClient::new(config(&server.base_url()).max_body_size(10_000)).unwrap();
    let err = c.tags_list_tags().send().await.unwrap_err();
    assert!(matches!(err, Error::BodyTooLarge { status: StatusCode::OK, limit: 10_000 }), "{err:?}");
    assert!(err.to_string().contains("max_body_size"), "{err}");
    assert_eq!(server.count(), 1, "not retried");
    // Under the cap: fine.
    let c = DixaClient::new(config(&server.base_url()).max_body_size(big.len() as u64)).unwrap();
    c.tags_list_tags().send().await.expect("a body exactly at the cap is read");
}

#[tokio::test]
async fn a_listing_answered_200_without_data_is_a_decode_error_not_an_empty_list() {
    for body in ["{}", r#"{"message":"x"}"#] {
        let server = Server::start(vec![Reply::json(200, body)]).await;
        let c = client(&server.base_url());
        let err = c.tags_list_tags().send().await.unwrap_err();
        match &err {
            Error::Decode { message, .. } => assert!(message.contains("data"), "{body}: {message}"),
            other => panic!("{body}: expected Decode, got {other:?}"),
        }
        let first = c.list_agents().pages().next().await.expect("one item");
        assert!(matches!(first, Err(Error::Decode { .. })), "{body}: {first:?}");
    }
}

#[tokio::test]
async fn bulk_with_fewer_outcomes_than_items_keeps_what_came_back() {
    let agent = |n: u128| uuid::Uuid::from_u128(n);
    let one_outcome = json!({"data": [{"_type": "BulkActionSuccess", "data": agent(1).to_string()}]});
    for body in [one_outcome, json!({"data": []})] {
        let server = Server::start(vec![Reply::ok_json(body.clone())]).await;
        let c = client(&server.base_url());
        let run = c.assign_members().queue_id(agent(9)).send_chunked(vec![agent(1), agent(2)]).await;
        let stopped = run.expect_err("outcomes missing");
        match stopped.error {
            Error::BulkOutcomeMismatch { sent, received } => {
                assert_eq!(sent, 2);
                assert_eq!(received, body["data"].as_array().unwrap().len());
            }
            ref other => panic!("expected BulkOutcomeMismatch, got {other:?}"),
        }
        assert_eq!(stopped.completed.len(), body["data"].as_array().unwrap().len(), "what came back is kept");
        assert_eq!(stopped.in_failed_chunk, 2);
        assert_eq!(stopped.remaining, vec![agent(1), agent(2)]);
    }
    // `{}`: no `data` at all is a decode error.
    let server = Server::start(vec![Reply::ok_json(json!({}))]).await;
    let c = client(&server.base_url());
    let stopped =
        c.assign_members().queue_id(agent(9)).send_chunked(vec![agent(1), agent(2)]).await.expect_err("no data");
    assert!(matches!(stopped.error, Error::Decode { .. }), "{:?}", stopped.error);
}
