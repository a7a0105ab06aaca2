//! The retry policy end to end, against a loopback server that counts
//! requests, with the injected clock: no test sleeps for a backoff.

mod loopback_server;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use dixa_client_ext::client::DixaClient;
use dixa_client_ext::clock::ManualClock;
use dixa_client_ext::config::{AuthScheme, Config};
use dixa_client_ext::error::{Error, TimeoutKind};
use dixa_client_ext::rate_limit::RateLimit;
use dixa_client_ext::retry::{BudgetConfig, FixedRandom, RetryConfig};
use loopback_server::{Reply, Server};
use reqwest::{Method, StatusCode};
use serde_json::json;

const KEY: &str = "test-key-0123456789";

fn client(server: &Server, clock: &ManualClock) -> DixaClient {
    client_with(server, clock, |c| c)
}

fn client_with(server: &Server, clock: &ManualClock, f: impl FnOnce(Config) -> Config) -> DixaClient {
    let config = Config::new(KEY)
        .base_url(server.base_url())
        .rate_limit(RateLimit::off())
        .clock(Arc::new(clock.clone()))
        .random(Arc::new(FixedRandom(1.0)));
    DixaClient::new(f(config)).unwrap()
}

#[tokio::test]
async fn post_hitting_503_is_not_retried_and_ran_once() {
    let server = Server::start(vec![Reply::json(503, r#"{"message":"down"}"#), Reply::status(200)]).await;
    let clock = ManualClock::new();
    let c = client(&server, &clock);
    let err = c
        .send_raw(
            Method::POST,
            server.url("/v1/conversations"),
            Some(&json!({"x": 1})),
            "Conversations_createConversation",
        )
        .await
        .unwrap_err();
    assert_eq!(server.count(), 1, "the server must have seen the POST exactly once");
    // A 5xx proves nothing about a write: a proxy's 502 can come after Dixa acted.
    assert!(err.may_have_been_applied(), "{err:?}");
    assert!(err.to_string().contains("do not retry it blindly"), "{err}");
    match err.cause() {
        Error::Api { status, message, .. } => {
            let status = *status;
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(message.as_deref(), Some("down"));
        }
        other => panic!("expected Api, got {other:?}"),
    }
    assert!(clock.sleeps().is_empty());
    let stats = c.stats();
    assert_eq!((stats.attempts, stats.retries, stats.server_errors), (1, 0, 1));
}

#[tokio::test]
async fn patch_hitting_503_is_not_retried() {
    let server = Server::start(vec![Reply::status(503), Reply::status(200)]).await;
    let clock = ManualClock::new();
    let err = client(&server, &clock)
        .send_raw(Method::PATCH, server.url("/v1/agents/a1"), Some(&json!({})), "Agents_patchAgent")
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn get_hitting_503_twice_then_200_succeeds() {
    let server = Server::start(vec![
        Reply::status(503),
        Reply::body(503, "text/html", "<html>busy</html>"),
        Reply::json(200, r#"{"data":[]}"#),
    ])
    .await;
    let clock = ManualClock::new();
    let c = client(&server, &clock);
    let resp = c.send_raw(Method::GET, server.url("/v1/agents"), None, "Agents_listAgents").await.unwrap();
    assert_eq!(resp.status, StatusCode::OK);
    assert_eq!(&resp.body[..], br#"{"data":[]}"#);
    assert_eq!(server.count(), 3);
    // Full jitter pinned at 1.0: the caps of attempts 1 and 2 (250 ms, 500 ms).
    assert_eq!(clock.sleeps(), vec![Duration::from_millis(250), Duration::from_millis(500)]);
    let stats = c.stats();
    assert_eq!((stats.calls, stats.attempts, stats.retries), (1, 3, 2));
}

#[tokio::test]
async fn put_and_delete_are_retried_after_5xx() {
    for method in [Method::PUT, Method::DELETE] {
        let server = Server::start(vec![Reply::status(502), Reply::status(504), Reply::status(204)]).await;
        let clock = ManualClock::new();
        let resp = client(&server, &clock)
            .send_raw(method.clone(), server.url("/v1/queues/q/members"), Some(&json!({"agentIds": ["a"]})), "op")
            .await
            .unwrap();
        assert_eq!(resp.status, StatusCode::NO_CONTENT, "{method}");
        assert_eq!(server.count(), 3, "{method}");
        // The JSON body is re-sent identically on each attempt.
        let bodies: Vec<_> = server.requests().into_iter().map(|r| r.body).collect();
        assert!(bodies.iter().all(|b| b == br#"{"agentIds":["a"]}"#), "{method}: {bodies:?}");
    }
}

#[tokio::test]
async fn retry_after_seconds_is_waited_exactly_on_the_injected_clock() {
    let server = Server::start(vec![Reply::status(429).header("retry-after", "7"), Reply::json(200, "{}")]).await;
    let clock = ManualClock::new();
    let c = client(&server, &clock);
    let resp = c.send_raw(Method::GET, server.url("/v1/agents"), None, "Agents_listAgents").await.unwrap();
    assert_eq!(resp.status, StatusCode::OK);
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(7)]);
    assert_eq!(clock.elapsed(), Duration::from_secs(7));
    assert_eq!(server.count(), 2);
    assert_eq!(c.stats().throttled, 1);
}

#[tokio::test]
async fn retry_after_http_date_is_waited_exactly() {
    let server = Server::start(vec![
        Reply::status(429).header("retry-after", "Wed, 21 Oct 2015 07:28:12 GMT"),
        Reply::json(200, "{}"),
    ])
    .await;
    // Wall clock at 2015-10-21T07:28:00Z: the date is 12 s away.
    let clock = ManualClock::with_wall(SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480));
    let c = client(&server, &clock);
    c.send_raw(Method::GET, server.url("/v1/agents"), None, "Agents_listAgents").await.unwrap();
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(12)]);
}

#[tokio::test]
async fn post_hitting_429_is_retried_because_the_server_did_not_act() {
    let server =
        Server::start(vec![Reply::status(429).header("retry-after", "1"), Reply::json(201, r#"{"data":{}}"#)]).await;
    let clock = ManualClock::new();
    let resp = client(&server, &clock)
        .send_raw(Method::POST, server.url("/v1/tags"), Some(&json!({"name": "vip"})), "Tags_createTag")
        .await
        .unwrap();
    assert_eq!(resp.status, StatusCode::CREATED);
    assert_eq!(server.count(), 2);
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(1)]);
}

#[tokio::test]
async fn throttle_without_retry_after_backs_off_exponentially() {
    let server = Server::start(vec![Reply::status(429), Reply::status(429), Reply::status(200)]).await;
    let clock = ManualClock::new();
    client(&server, &clock).send_raw(Method::GET, server.url("/v1/agents"), None, "op").await.unwrap();
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(1), Duration::from_secs(2)]);
}

#[tokio::test]
async fn persistent_429_becomes_rate_limited_with_the_last_retry_after() {
    let server = Server::start(vec![
        Reply::status(429).header("retry-after", "1"),
        Reply::status(429).header("retry-after", "2"),
        Reply::status(429).header("retry-after", "3"),
        Reply::json(429, r#"{"message":"slow down"}"#).header("retry-after", "5"),
    ])
    .await;
    let clock = ManualClock::new();
    let err = client(&server, &clock).send_raw(Method::GET, server.url("/v1/agents"), None, "op").await.unwrap_err();
    assert_eq!(server.count(), 4);
    match &err {
        Error::RateLimited { attempts, retry_after, status, body } => {
            assert_eq!(*attempts, 4);
            assert_eq!(*retry_after, Some(Duration::from_secs(5)));
            assert_eq!(*status, StatusCode::TOO_MANY_REQUESTS);
            assert_eq!(&body[..], br#"{"message":"slow down"}"#);
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
    assert!(err.to_string().contains("after 4 attempts"), "{err}");
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(1), Duration::from_secs(2), Duration::from_secs(3)]);
}

#[tokio::test]
async fn retry_after_that_overruns_the_deadline_gives_up_at_once() {
    let server = Server::start(vec![Reply::status(429).header("retry-after", "30"), Reply::status(200)]).await;
    let clock = ManualClock::new();
    let c = client_with(&server, &clock, |c| c.call_timeout(Some(Duration::from_secs(10))));
    let err = c.send_raw(Method::GET, server.url("/v1/agents"), None, "op").await.unwrap_err();
    assert!(matches!(err, Error::RateLimited { attempts: 1, .. }), "{err:?}");
    assert!(clock.sleeps().is_empty());
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn other_4xx_are_never_retried() {
    for status in [400u16, 401, 403, 404, 409, 422] {
        let server = Server::start(vec![Reply::json(status, r#"{"message":"no"}"#), Reply::status(200)]).await;
        let clock = ManualClock::new();
        let err =
            client(&server, &clock).send_raw(Method::GET, server.url("/v1/agents/x"), None, "op").await.unwrap_err();
        assert_eq!(err.status().map(|s| s.as_u16()), Some(status));
        assert_eq!(server.count(), 1, "{status}");
    }
}

#[tokio::test]
async fn dropped_connection_is_retried_for_get_but_not_post() {
    let server = Server::start(vec![Reply::Drop, Reply::json(200, "{}")]).await;
    let clock = ManualClock::new();
    let c = client(&server, &clock);
    c.send_raw(Method::GET, server.url("/v1/agents"), None, "op").await.unwrap();
    assert_eq!(server.count(), 2);
    assert_eq!(c.stats().connection_errors, 1);

    let server = Server::start(vec![Reply::Drop, Reply::json(200, "{}")]).await;
    let c = client(&server, &clock);
    let err = c.send_raw(Method::POST, server.url("/v1/tags"), Some(&json!({})), "op").await.unwrap_err();
    assert!(err.may_have_been_applied(), "a reset after sending: {err:?}");
    assert!(matches!(err.cause(), Error::Transport { .. }), "{err:?}");
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn attempt_timeout_on_post_is_reported_and_not_retried() {
    let server = Server::start(vec![Reply::Hang]).await;
    let clock = ManualClock::new();
    let c = client_with(&server, &clock, |c| c.attempt_timeout(Some(Duration::from_millis(100))));
    let err = c.send_raw(Method::POST, server.url("/v1/tags"), Some(&json!({})), "op").await.unwrap_err();
    assert!(err.may_have_been_applied(), "{err:?}");
    match err.cause() {
        Error::Timeout { kind, after } => {
            assert_eq!(*kind, TimeoutKind::Attempt);
            assert_eq!(*after, Some(Duration::from_millis(100)));
        }
        other => panic!("expected Timeout, got {other:?}"),
    }
    assert_eq!(server.count(), 1);
    assert_eq!(c.stats().timeouts, 1);
}

#[tokio::test]
async fn attempt_timeout_on_get_is_retried_up_to_max_attempts() {
    let server = Server::start(vec![Reply::Hang]).await;
    let clock = ManualClock::new();
    let c = client_with(&server, &clock, |c| {
        c.attempt_timeout(Some(Duration::from_millis(50))).retry(RetryConfig::default().max_attempts(2))
    });
    let err = c.send_raw(Method::GET, server.url("/v1/agents"), None, "op").await.unwrap_err();
    assert!(matches!(err, Error::Timeout { kind: TimeoutKind::Attempt, .. }), "{err:?}");
    assert_eq!(server.count(), 2);
    assert_eq!(c.stats().timeouts, 2);
}

#[tokio::test]
async fn the_retry_budget_is_shared_by_clones() {
    let server = Server::start(vec![Reply::status(503)]).await;
    let clock = ManualClock::new();
    let budget = BudgetConfig::default().capacity(10);
    let a = client_with(&server, &clock, |c| c.retry(RetryConfig::default().budget(Some(budget))));
    let b = a.clone();
    // Two retries (5 tokens each) empty the budget...
    let _ = a.send_raw(Method::GET, server.url("/v1/agents"), None, "op").await.unwrap_err();
    assert_eq!(server.count(), 3);
    assert_eq!(b.retry_budget_available(), Some(0));
    // ...so the clone's call is not retried at all.
    let _ = b.send_raw(Method::GET, server.url("/v1/agents"), None, "op").await.unwrap_err();
    assert_eq!(server.count(), 4);
    assert_eq!(a.stats().budget_exhausted, 2);
}

#[tokio::test]
async fn successes_refill_the_budget() {
    let server = Server::start(vec![Reply::status(503), Reply::status(200)]).await;
    let clock = ManualClock::new();
    let budget = BudgetConfig::default().capacity(10);
    let c = client_with(&server, &clock, |c| c.retry(RetryConfig::default().budget(Some(budget))));
    // 503 then 200: the retry's 5 tokens come back with its success
    // (aws-sdk's standard mode), so a retry that works costs nothing.
    c.send_raw(Method::GET, server.url("/v1/agents"), None, "op").await.unwrap();
    assert_eq!(c.retry_budget_available(), Some(10));
    // A retry that fails for good keeps its cost; first-time successes
    // refund 1 each, up to the capacity.
    let server = Server::start(vec![Reply::status(503), Reply::status(503), Reply::status(404)]).await;
    let c = client_with(&server, &clock, |c| {
        c.retry(RetryConfig::default().max_attempts(2).budget(Some(BudgetConfig::default().capacity(10))))
    });
    c.send_raw(Method::GET, server.url("/v1/agents"), None, "op").await.unwrap_err();
    assert_eq!(c.retry_budget_available(), Some(5));
    for _ in 0..10 {
        c.send_raw(Method::GET, server.url("/v1/agents"), None, "op").await.unwrap_err();
    }
    assert_eq!(c.retry_budget_available(), Some(10));
}

#[tokio::test]
async fn auth_and_user_agent_are_sent_on_every_attempt() {
    let server = Server::start(vec![Reply::status(503), Reply::status(200)]).await;
    let clock = ManualClock::new();
    client(&server, &clock).send_raw(Method::GET, server.url("/v1/agents"), None, "op").await.unwrap();
    for r in server.requests() {
        assert_eq!(r.header("authorization"), Some(KEY));
        assert!(r.header("user-agent").unwrap().starts_with("dixa-rs/"));
    }

    let server = Server::start(vec![Reply::status(200)]).await;
    let c = client_with(&server, &clock, |c| c.auth_scheme(AuthScheme::Bearer).user_agent("my-app/1"));
    c.send_raw(Method::GET, server.url("/v1/agents"), None, "op").await.unwrap();
    let r = &server.requests()[0];
    assert_eq!(r.header("authorization"), Some(format!("Bearer {KEY}").as_str()));
    assert_eq!(r.header("user-agent"), Some("my-app/1"));
}

#[tokio::test]
async fn generated_operations_are_retried_and_show_only_the_servers_headers() {
    let server =
        Server::start(vec![Reply::status(503), Reply::json(200, r#"{"data":[]}"#).header("x-request-id", "r-1")]).await;
    let clock = ManualClock::new();
    let c = client(&server, &clock);
    let response = c.list_agents().send_with_response().await.unwrap();
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.headers["x-request-id"], "r-1");
    // The transport's attempt count is internal: no invented header.
    assert!(response.headers.keys().all(|k| !k.as_str().starts_with("x-dixa-rs")), "{:?}", response.headers);
    assert_eq!(server.count(), 2);
    assert_eq!(server.requests()[1].header("authorization"), Some(KEY));
}

// Generated operations.

const TAG: &str = r#"{"id":"6f1c2a44-8d7e-4a55-9e0b-3c8f5d2a1b00","name":"vip","state":"Active"}"#;

#[tokio::test]
async fn generated_get_hitting_503_twice_then_200_succeeds() {
    let server = Server::start(vec![
        Reply::status(503),
        Reply::json(503, r#"{"message":"busy"}"#),
        Reply::json(200, &format!(r#"{{"data":[{TAG}]}}"#)),
    ])
    .await;
    let clock = ManualClock::new();
    let c = client(&server, &clock);
    let tags = c.tags_list_tags().send().await.unwrap();
    assert_eq!(tags.len(), 1);
    assert_eq!(tags[0].name, "vip");
    assert_eq!(server.count(), 3);
    assert_eq!(clock.sleeps(), vec![Duration::from_millis(250), Duration::from_millis(500)]);
    assert!(server.requests().iter().all(|r| r.method == "GET" && r.target == "/v1/tags"));
}

#[tokio::test]
async fn generated_post_hitting_503_runs_once() {
    let server = Server::start(vec![
        Reply::json(503, r#"{"message":"down"}"#),
        Reply::json(200, &format!(r#"{{"data":{TAG}}}"#)),
    ])
    .await;
    let clock = ManualClock::new();
    let c = client(&server, &clock);
    let input = dixa_client::types::CreateTagInput { color: None, name: "vip".into() };
    let err = c.create_tag().body(input).send().await.unwrap_err();
    assert_eq!(server.count(), 1);
    assert!(err.may_have_been_applied(), "{err:?}");
    match err.cause() {
        Error::Api { status, message, .. } => {
            assert_eq!(*status, StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(message.as_deref(), Some("down"));
        }
        other => panic!("expected Api, got {other:?}"),
    }
}

#[tokio::test]
async fn generated_post_hitting_429_waits_retry_after_and_succeeds() {
    let server = Server::start(vec![
        Reply::status(429).header("retry-after", "7"),
        Reply::json(200, &format!(r#"{{"data":{TAG}}}"#)),
    ])
    .await;
    let clock = ManualClock::new();
    let c = client(&server, &clock);
    let input = dixa_client::types::CreateTagInput { color: None, name: "vip".into() };
    let created = c.create_tag().body(input).send().await.unwrap();
    assert_eq!(created.name, "vip");
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(7)]);
    assert_eq!(server.count(), 2);
    // Only our headers are set: no `api-version` (progenitor used to add one).
    let r = &server.requests()[1];
    assert_eq!(r.header("authorization"), Some(KEY));
    assert_eq!(r.header("api-version"), None);
}

#[tokio::test]
async fn proxy_pages_on_get_are_retried_then_surface_as_api_errors_with_the_raw_body() {
    const HTML: &str = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    for (reply, status, body) in [
        (Reply::body(502, "text/html", HTML), StatusCode::BAD_GATEWAY, HTML),
        (Reply::status(503), StatusCode::SERVICE_UNAVAILABLE, ""),
    ] {
        // Through send_raw and through a generated operation.
        for generated in [false, true] {
            let server = Server::start(vec![reply.clone()]).await;
            let clock = ManualClock::new();
            let c = client(&server, &clock);
            let err = if generated {
                c.tags_list_tags().send().await.unwrap_err()
            } else {
                c.send_raw(Method::GET, server.url("/v1/tags"), None, "op").await.unwrap_err()
            };
            assert_eq!(server.count(), 4, "{status} generated={generated}: every attempt used");
            match &err {
                Error::Api { status: s, message, body: b, cut } => {
                    assert_eq!(*cut, None, "generated={generated}");
                    assert_eq!(*s, status, "generated={generated}");
                    assert_eq!(message, &None);
                    assert_eq!(b.as_ref(), body.as_bytes(), "generated={generated}");
                }
                other => panic!("{status} generated={generated}: expected Api, got {other:?}"),
            }
        }
    }
}

#[tokio::test]
async fn generated_final_429_reads_an_http_date_retry_after_on_the_injected_wall_clock() {
    let server = Server::start(vec![Reply::status(429).header("retry-after", "Wed, 21 Oct 2015 07:28:30 GMT")]).await;
    // The injected wall clock reads 2015-10-21T07:28:00Z: the date is 30 s ahead.
    let clock = ManualClock::with_wall(SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480));
    let c = client_with(&server, &clock, |c| c.retry(RetryConfig::disabled()));
    let err = c.tags_list_tags().send().await.unwrap_err();
    match err {
        Error::RateLimited { retry_after, attempts, .. } => {
            assert_eq!(retry_after, Some(Duration::from_secs(30)));
            assert_eq!(attempts, 1);
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
}
