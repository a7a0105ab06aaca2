//! The client-side rate limiter through the whole client, on the manual
//! clock: exact virtual waits, sharing between clones, and no 429 from a
//! server that enforces Dixa's own bucket.

mod loopback_server;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use dixa_client_ext::client::DixaClient;
use dixa_client_ext::clock::{Clock, ManualClock};
use dixa_client_ext::config::Config;
use dixa_client_ext::limit::{RateLimit, RATE_MARGIN};
use dixa_client_ext::retry::{FixedRandom, RetryConfig};
use loopback_server::{Reply, Server};
use reqwest::Method;

fn interval(per_second: f64) -> Duration {
    Duration::from_secs_f64(1.0 / (per_second * (1.0 - RATE_MARGIN)))
}

fn client(server: &Server, clock: &ManualClock, limit: RateLimit, retry: RetryConfig) -> DixaClient {
    DixaClient::new(
        Config::new("k")
            .base_url(server.base_url())
            .rate_limit(limit)
            .retry(retry)
            .clock(Arc::new(clock.clone()))
            .random(Arc::new(FixedRandom(1.0))),
    )
    .unwrap()
}

#[tokio::test]
async fn sequential_calls_take_exactly_the_expected_virtual_time() {
    let server = Server::start(vec![Reply::json(200, "{}")]).await;
    let clock = ManualClock::new();
    let c = client(&server, &clock, RateLimit::default(), RetryConfig::default());
    for _ in 0..20 {
        c.send_raw(Method::GET, server.url("/v1/agents"), None, "op").await.unwrap();
    }
    assert_eq!(server.count(), 20);
    // Three go at once (burst 4 less the reserve token), the other 17 one slot apart.
    assert_eq!(clock.elapsed(), interval(10.0) * 17);
    let stats = c.stats();
    assert_eq!(stats.rate_limited_waits, 17);
    assert_eq!(stats.rate_limited_wait, interval(10.0) * 17);
}

#[tokio::test]
async fn clones_share_one_limiter() {
    let server = Server::start(vec![Reply::json(200, "{}")]).await;
    let clock = ManualClock::new();
    let a = client(&server, &clock, RateLimit::default(), RetryConfig::default());
    let b = a.clone();
    for i in 0..10 {
        let c = if i % 2 == 0 { &a } else { &b };
        c.send_raw(Method::GET, server.url("/v1/agents"), None, "op").await.unwrap();
    }
    assert_eq!(clock.elapsed(), interval(10.0) * 7);
    assert_eq!(b.stats().rate_limited_waits, 7);
}

#[tokio::test]
async fn separate_clients_do_not_share_a_limiter() {
    let server = Server::start(vec![Reply::json(200, "{}")]).await;
    let clock = ManualClock::new();
    let a = client(&server, &clock, RateLimit::default(), RetryConfig::default());
    let b = client(&server, &clock, RateLimit::default(), RetryConfig::default());
    for c in [&a, &b] {
        for _ in 0..3 {
            c.send_raw(Method::GET, server.url("/v1/agents"), None, "op").await.unwrap();
        }
    }
    assert_eq!(clock.elapsed(), Duration::ZERO);
}

#[tokio::test]
async fn concurrent_callers_are_paced_together() {
    let server = Server::start(vec![Reply::json(200, "{}")]).await;
    let clock = ManualClock::new();
    let c = client(&server, &clock, RateLimit::per_second(100.0, 4), RetryConfig::default());
    let tasks: Vec<_> = (0..30)
        .map(|_| {
            let c = c.clone();
            let url = server.url("/v1/agents");
            tokio::spawn(async move { c.send_raw(Method::GET, url, None, "op").await.map(|_| ()) })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(server.count(), 30);
    // The last of 30 slots opens 27 intervals after the first.
    assert_eq!(clock.elapsed(), interval(100.0) * 27);
    assert_eq!(c.stats().rate_limited_waits, 27);
}

#[tokio::test]
async fn off_means_no_waits() {
    let server = Server::start(vec![Reply::json(200, "{}")]).await;
    let clock = ManualClock::new();
    let c = client(&server, &clock, RateLimit::off(), RetryConfig::default());
    for _ in 0..20 {
        c.send_raw(Method::GET, server.url("/v1/agents"), None, "op").await.unwrap();
    }
    assert_eq!(clock.elapsed(), Duration::ZERO);
    assert_eq!(c.stats().rate_limited_waits, 0);
}

/// A server enforcing a token bucket of `rate`/s with bursts of `burst` on
/// the test's virtual clock, answering 429 (without Retry-After) when empty.
async fn bucket_server(clock: &ManualClock, rate: f64, burst: f64) -> (Server, Arc<Mutex<u32>>) {
    let rejected = Arc::new(Mutex::new(0u32));
    let state = Mutex::new((burst, clock.now()));
    let (clock, r) = (clock.clone(), Arc::clone(&rejected));
    let server = Server::start_fn(move |_| {
        let mut s = state.lock().unwrap();
        let now = clock.now();
        let refill = now.saturating_duration_since(s.1).as_secs_f64() * rate;
        s.0 = (s.0 + refill).min(burst);
        s.1 = now;
        if s.0 >= 1.0 - 1e-9 {
            s.0 -= 1.0;
            Reply::json(200, "{}")
        } else {
            *r.lock().unwrap() += 1;
            Reply::status(429)
        }
    })
    .await;
    (server, rejected)
}

#[tokio::test]
async fn a_lone_client_never_sees_a_429_from_a_server_with_the_same_limit() {
    let clock = ManualClock::new();
    let (server, rejected) = bucket_server(&clock, 10.0, 4.0).await;
    // No retries: a single 429 would surface as an error.
    let c = client(&server, &clock, RateLimit::default(), RetryConfig::disabled());
    for i in 0..200 {
        c.send_raw(Method::GET, server.url("/v1/agents"), None, "op")
            .await
            .unwrap_or_else(|e| panic!("request {i}: {e}"));
    }
    assert_eq!(*rejected.lock().unwrap(), 0);
    assert_eq!(c.stats().throttled, 0);
    // And the pace is within the margin of the limit: 200 requests at 98% of 10/s.
    assert_eq!(clock.elapsed(), interval(10.0) * 197);
}

#[tokio::test]
async fn without_the_limiter_the_same_server_answers_429() {
    let clock = ManualClock::new();
    let (server, rejected) = bucket_server(&clock, 10.0, 4.0).await;
    let c = client(&server, &clock, RateLimit::off(), RetryConfig::disabled());
    let mut errors = 0;
    for _ in 0..20 {
        if c.send_raw(Method::GET, server.url("/v1/agents"), None, "op").await.is_err() {
            errors += 1;
        }
    }
    // Virtual time does not move: the burst of 4 passes, the rest is refused.
    assert_eq!(errors, 16);
    assert_eq!(*rejected.lock().unwrap(), 16);
    assert_eq!(c.stats().throttled, 16);
}

#[tokio::test]
async fn throttled_retries_absorb_an_over_eager_limit() {
    // Client configured above the server's rate: 429s happen, and are retried.
    let clock = ManualClock::new();
    let (server, _) = bucket_server(&clock, 10.0, 4.0).await;
    let c = client(&server, &clock, RateLimit::per_second(40.0, 8), RetryConfig::default());
    for i in 0..40 {
        c.send_raw(Method::GET, server.url("/v1/agents"), None, "op")
            .await
            .unwrap_or_else(|e| panic!("request {i}: {e}"));
    }
    let stats = c.stats();
    assert!(stats.throttled > 0, "{stats:?}");
    assert_eq!(stats.retries, stats.throttled);
}

#[tokio::test]
async fn a_rate_limit_wait_past_the_call_deadline_fails_at_once_without_sending() {
    // 1 request per second, burst 1 (so every call after the first waits a
    // full slot), against a call deadline of half a second.
    let server = Server::start(vec![Reply::json(200, "{}")]).await;
    let clock = ManualClock::new();
    let c = DixaClient::new(
        Config::new("k")
            .base_url(server.base_url())
            .rate_limit(RateLimit::per_second(1.0, 1))
            .call_timeout(Some(Duration::from_millis(500)))
            .clock(Arc::new(clock.clone())),
    )
    .unwrap();
    c.send_raw(Method::POST, server.url("/v1/tags"), None, "op").await.unwrap();
    let err = c.send_raw(Method::POST, server.url("/v1/tags"), None, "op").await.unwrap_err();
    assert!(
        matches!(err, dixa_client_ext::error::Error::Timeout { kind: dixa_client_ext::error::TimeoutKind::Call, .. }),
        "{err:?}"
    );
    // The same through a generated operation and DixaClient::call.
    let input = dixa_client::types::CreateTagInput { color: None, name: "vip".into() };
    let err = c.create_tag().body(input).send().await.unwrap_err();
    assert!(
        matches!(err, dixa_client_ext::error::Error::Timeout { kind: dixa_client_ext::error::TimeoutKind::Call, .. }),
        "{err:?}"
    );
    // Nothing slept past the deadline, and the POSTs were not sent.
    assert!(clock.sleeps().is_empty(), "slept {:?}", clock.sleeps());
    assert_eq!(server.count(), 1);
    // The refused call gave its slot back: once the first slot has passed,
    // the next call goes without waiting.
    clock.advance(interval(1.0));
    c.send_raw(Method::POST, server.url("/v1/tags"), None, "op").await.unwrap();
    assert!(clock.sleeps().is_empty(), "slept {:?}", clock.sleeps());
    assert_eq!(server.count(), 2);
}

/// Runs `calls` sequential calls with default retries against a server
/// limited to `server_rate`/s (burst 2) while the client is configured for
/// 10/s, as when other workers share the key: the 429s the server sent.
async fn oversubscribed(adaptive: bool, calls: usize, server_rate: f64) -> (u32, Duration, DixaClient) {
    let clock = ManualClock::new();
    let (server, rejected) = bucket_server(&clock, server_rate, 2.0).await;
    let c = DixaClient::new(
        Config::new("k")
            .base_url(server.base_url())
            .adaptive_rate(adaptive)
            .clock(Arc::new(clock.clone()))
            .random(Arc::new(FixedRandom(0.5))),
    )
    .unwrap();
    for i in 0..calls {
        c.send_raw(Method::GET, server.url("/v1/agents"), None, "op")
            .await
            .unwrap_or_else(|e| panic!("request {i}: {e}"));
    }
    let r = *rejected.lock().unwrap();
    (r, clock.elapsed(), c)
}

#[tokio::test]
async fn the_adaptive_rate_learns_a_lower_server_limit_and_stops_drawing_429s() {
    let (fixed_429s, _, _) = oversubscribed(false, 300, 2.5).await;
    let (adaptive_429s, elapsed, c) = oversubscribed(true, 300, 2.5).await;
    // At a fixed 10/s against 2.5/s, most first attempts bounce.
    assert!(fixed_429s > 200, "fixed: {fixed_429s}");
    // Adaptive: a few cuts to learn the rate, then it holds it.
    assert!(adaptive_429s * 10 < fixed_429s, "adaptive {adaptive_429s} vs fixed {fixed_429s}");
    assert!(adaptive_429s <= 15, "adaptive: {adaptive_429s}");
    assert_eq!(c.stats().throttled, u64::from(adaptive_429s));
    // And it still uses most of what the server allows (it probes for more
    // now and then, and backs off 30% when it finds the limit).
    let rate = 300.0 / elapsed.as_secs_f64();
    assert!(rate > 2.5 * 0.7 && rate <= 2.5 * 1.05, "{rate}/s");
}

/// A caller whose own timeout fires as its permit comes (the same wake-up)
/// sends nothing and gives the permit back: the next call goes at once. A
/// caller that gives up after its request went out does not: the server
/// may have counted it, so the next call waits its turn.
#[tokio::test]
async fn a_call_dropped_before_sending_gives_its_permit_back_and_one_dropped_after_does_not() {
    use std::future::Future;
    let limit = RateLimit::per_second(1.0, 2); // one at a time, one per second

    // Dropped at the first point where the caller's timer could act: the
    // permit was given, the request not yet handed over.
    let server = Server::start(vec![Reply::json(200, "{}")]).await;
    let clock = ManualClock::new();
    let c = client(&server, &clock, limit, RetryConfig::default());
    let mut call = Box::pin(c.send_raw(Method::GET, server.url("/v1/agents"), None, "op"));
    let waker = futures::task::noop_waker();
    assert!(call.as_mut().poll(&mut std::task::Context::from_waker(&waker)).is_pending());
    drop(call);
    c.send_raw(Method::GET, server.url("/v1/agents"), None, "op").await.unwrap();
    assert_eq!(clock.elapsed(), Duration::ZERO, "the dropped call's permit was given back");
    assert_eq!(server.count(), 1, "the dropped call sent nothing");

    // Dropped after the request reached the server (it never answers).
    let server = Server::start(vec![Reply::Hang, Reply::json(200, "{}")]).await;
    let clock = ManualClock::new();
    let c = client(&server, &clock, limit, RetryConfig::default());
    let mut call = Box::pin(c.send_raw(Method::GET, server.url("/v1/agents"), None, "op"));
    tokio::select! {
        _ = &mut call => panic!("the server never answers"),
        () = async { while server.count() == 0 { tokio::time::sleep(Duration::from_millis(5)).await } } => {}
    }
    drop(call);
    c.send_raw(Method::GET, server.url("/v1/agents"), None, "op").await.unwrap();
    assert_eq!(clock.elapsed(), interval(1.0), "a sent request's permit is not given back");
    assert_eq!(server.count(), 2);
}
