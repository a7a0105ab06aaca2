//! A 200 whose body is cut off mid-read (Content-Length promises more than the
//! server sends: a dropped connection, a proxy closing early) is a failed
//! attempt: retried for idempotent methods, never for POST, through the
//! generated operations and the fake Dixa.

use std::sync::Arc;

use dixa_client::types;
use dixa_client_ext::clock::ManualClock;
use dixa_client_ext::retry::FixedRandom;
use dixa_client_ext::{Config, DixaClient, Error, RateLimit};
use dixa_fake::{FakeDixa, Method};

fn client(fake: &FakeDixa, clock: &ManualClock) -> DixaClient {
    let config = Config::new("test-key")
        .base_url(fake.base_url())
        .rate_limit(RateLimit::off())
        .clock(Arc::new(clock.clone()))
        .random(Arc::new(FixedRandom(1.0)));
    DixaClient::new(config).expect("client")
}

#[tokio::test]
async fn a_truncated_get_body_is_retried_and_the_call_succeeds() {
    let fake = FakeDixa::builder().spawn().await;
    fake.faults().truncated_body(Method::GET, "/v1/tags", 1);
    let clock = ManualClock::new();
    let c = client(&fake, &clock);

    let tags = c.tags_list_tags().send().await.expect("the second attempt succeeds");
    assert!(!tags.is_empty());
    assert_eq!(fake.stats().received("GET", "/v1/tags"), 2, "one cut attempt, one retry");
    let stats = c.stats();
    assert_eq!((stats.attempts, stats.retries), (2, 1));
    assert_eq!(clock.sleeps().len(), 1, "the retry backed off on the injected clock");
}

#[tokio::test]
async fn a_truncated_post_body_is_not_retried_and_ran_once() {
    let fake = FakeDixa::builder().spawn().await;
    fake.faults().truncated_body(Method::POST, "/v1/tags", 1);
    let clock = ManualClock::new();
    let c = client(&fake, &clock);

    let body = types::CreateTagInput { color: None, name: "cut-off".into() };
    let err = c.create_tag().body(body).send().await.expect_err("the body was cut");
    // The answer started, so Dixa ran it: reported as possibly applied.
    assert!(err.may_have_been_applied(), "{err:?}");
    assert!(matches!(err.cause(), Error::Transport { .. }), "expected a transport error, got {err:?}");
    assert_eq!(fake.stats().received("POST", "/v1/tags"), 1, "a POST is never sent twice");
    assert_eq!(c.stats().retries, 0);
    assert!(clock.sleeps().is_empty());
}
