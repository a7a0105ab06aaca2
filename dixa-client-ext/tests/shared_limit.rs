//! The Redis-backed shared rate limit, against a real `redis-server` that
//! the test starts on a free loopback port (see `redis_server`), with the
//! fake Dixa's per-key limit as the referee. Built with the `redis` feature
//! (`cargo xtask test` turns it on); without `redis-server` these tests fail.

#![cfg(feature = "redis")]

mod redis_server;

use std::sync::Arc;
use std::time::Duration;

use dixa_client_ext::clock::{Clock, ManualClock};
use dixa_client_ext::config::{ApiKey, Config};
use dixa_client_ext::limit::shared::{bucket_key, Shared};
use dixa_client_ext::limit::{Limiter, RateLimit, RateLimiter, SharedLimit, Signal, RATE_MARGIN};
use dixa_client_ext::retry::RetryConfig;
use dixa_client_ext::DixaClient;
use dixa_fake::FakeDixa;
use redis_server::RedisServer;

/// The limiter's interval as the script sees it (whole microseconds).
fn interval(per_second: f64) -> Duration {
    Duration::from_micros((1e6 / (per_second * (1.0 - RATE_MARGIN))).round() as u64)
}

/// Equal within a microsecond (the script counts whole microseconds).
fn close(a: Duration, b: Duration) -> bool {
    a.abs_diff(b) <= Duration::from_micros(1)
}

/// A "process": its own shared limiter on `url`, on the virtual clock.
fn process(key: &str, clock: &ManualClock, shared: SharedLimit) -> (Arc<Shared>, RateLimiter) {
    let clock: Arc<dyn Clock> = Arc::new(clock.clone());
    let shared = Arc::new(
        Shared::new(&shared.client_clock(true), RateLimit::default(), &ApiKey::new(key), Arc::clone(&clock), false)
            .unwrap(),
    );
    let front = RateLimiter::with_limiter(Some(Arc::clone(&shared) as Arc<dyn Limiter>), clock);
    (shared, front)
}

#[tokio::test]
async fn processes_on_one_key_share_one_bucket() {
    let redis = RedisServer::start();
    let clock = ManualClock::new();
    let (_, a) = process("key-1", &clock, SharedLimit::redis(redis.url()));
    let (_, b) = process("key-1", &clock, SharedLimit::redis(redis.url()));
    let (_, other) = process("key-2", &clock, SharedLimit::redis(redis.url()));
    // One burst (3: the server's 4 less the reserve) between the two processes.
    assert_eq!(a.acquire().await, Duration::ZERO);
    assert_eq!(b.acquire().await, Duration::ZERO);
    assert_eq!(a.acquire().await, Duration::ZERO);
    // The fourth waits one interval, whichever process asks.
    assert_eq!(b.acquire().await, interval(10.0));
    assert_eq!(a.acquire().await, interval(10.0));
    // Another key has its own budget.
    for _ in 0..3 {
        assert_eq!(other.acquire().await, Duration::ZERO);
    }
    // Alternating processes, 20 permits take 20 intervals, as one would.
    let t = clock.elapsed();
    for i in 0..20 {
        if i % 2 == 0 {
            a.acquire().await
        } else {
            b.acquire().await
        };
    }
    assert_eq!(clock.elapsed() - t, interval(10.0) * 20);
}

#[tokio::test]
async fn redis_sees_a_hash_of_the_key_never_the_key() {
    let redis = RedisServer::start();
    let clock = ManualClock::new();
    let secret = "super-secret-api-token-42";
    let (shared, front) = process(secret, &clock, SharedLimit::redis(redis.url()));
    front.acquire().await;
    let mut conn = redis.connection();
    let keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut conn).unwrap();
    assert!(!keys.is_empty());
    for k in &keys {
        assert!(!k.contains(secret) && !k.contains("super-secret"), "{k}");
        assert!(k.starts_with(shared.key()), "{k}");
    }
    let key = bucket_key(&ApiKey::new(secret));
    assert_eq!(shared.key(), key);
    assert_eq!(key.len(), "dixa-rs:limit:".len() + 32);
    let value: String = redis::cmd("GET").arg(&key).query(&mut conn).unwrap();
    assert!(!value.contains("secret"));
}

#[tokio::test]
async fn a_caller_that_gives_up_takes_nothing_from_the_shared_budget() {
    let redis = RedisServer::start();
    let clock = ManualClock::new();
    let (_, a) = process("k", &clock, SharedLimit::redis(redis.url()));
    let (_, b) = process("k", &clock, SharedLimit::redis(redis.url()));
    for _ in 0..3 {
        a.acquire().await;
    }
    // A's next caller cannot make it before its deadline and gives up ...
    let deadline = clock.now() + Duration::from_millis(50);
    let refused = a.acquire_before(Some(deadline)).await.unwrap_err();
    assert!(close(refused, interval(10.0)), "{refused:?}");
    // ... and B gets the very next permit, as if A's caller had never come.
    assert_eq!(b.acquire().await, interval(10.0));
}

#[tokio::test]
async fn redis_down_falls_back_to_a_local_limit_at_rate_over_the_processes_seen_then_recovers() {
    let mut redis = RedisServer::start();
    let clock = ManualClock::new();
    let shared = SharedLimit::redis(redis.url()).timeout(Duration::from_millis(200));
    let (a, front_a) = process("k", &clock, shared.clone());
    let (_b, front_b) = process("k", &clock, shared);
    front_a.acquire().await;
    front_b.acquire().await;
    // A's last call to Redis saw both processes.
    front_a.acquire().await;
    assert!(!a.in_outage());

    redis.stop();
    clock.advance(Duration::from_secs(5));
    // Still limited: locally, at 10/s divided by the 2 processes Redis saw.
    assert_eq!(front_a.acquire().await, Duration::ZERO);
    assert!(a.in_outage());
    let rate = a.fallback_rate().unwrap();
    assert!((rate - 5.0).abs() < 1e-6, "{rate}");
    // The fallback opens without a burst: each permit one interval at 5/s.
    let t = clock.elapsed();
    for _ in 0..5 {
        front_a.acquire().await;
    }
    assert_eq!(clock.elapsed() - t, Duration::from_secs_f64(1.0 / (5.0 * (1.0 - RATE_MARGIN))) * 5);

    // Redis comes back (empty): after the probe interval the shared budget is used again.
    redis.restart();
    clock.advance(Duration::from_secs(2));
    front_a.acquire().await;
    assert!(!a.in_outage(), "back on Redis");
    assert_eq!(a.fallback_rate(), None);
}

#[tokio::test]
async fn unreachable_from_the_start_uses_the_configured_divisor_never_no_limit() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("redis://127.0.0.1:{port}/0");
    let clock = ManualClock::new();
    let (a, front) = process("k", &clock, SharedLimit::redis(url.clone()).fallback_divisor(4));
    let (b, front_b) = process("k", &clock, SharedLimit::redis(url.clone()));
    front.acquire().await;
    front_b.acquire().await;
    assert!((a.fallback_rate().unwrap() - 2.5).abs() < 1e-6);
    // Never reached, no divisor given: the full rate, locally (and adaptive in a client).
    assert!((b.fallback_rate().unwrap() - 10.0).abs() < 1e-6);
    let t = clock.elapsed();
    for _ in 0..4 {
        front.acquire().await;
    }
    assert_eq!(clock.elapsed() - t, Duration::from_secs_f64(1.0 / (2.5 * (1.0 - RATE_MARGIN))) * 4);
}

#[tokio::test]
async fn a_slow_redis_is_treated_as_down_until_it_answers_in_time() {
    let redis = RedisServer::start();
    let clock = ManualClock::new();
    let shared = SharedLimit::redis(redis.url()).timeout(Duration::from_millis(100));
    let (a, front) = process("k", &clock, shared);
    front.acquire().await;
    // Every client's commands stall for 800 ms.
    let mut admin = redis.connection();
    redis::cmd("CLIENT").arg("PAUSE").arg(800).arg("ALL").query::<()>(&mut admin).unwrap();
    clock.advance(Duration::from_secs(1));
    front.acquire().await;
    assert!(a.in_outage(), "an 800 ms stall is past the 100 ms timeout");
    // The pausing connection is paused too: this returns when the stall ends.
    redis::cmd("PING").query::<String>(&mut admin).unwrap();
    clock.advance(Duration::from_secs(2));
    front.acquire().await;
    assert!(!a.in_outage());
}

#[tokio::test]
async fn adaptive_cuts_still_apply_on_top_of_the_shared_budget() {
    let redis = RedisServer::start();
    let clock = ManualClock::new();
    let c: Arc<dyn Clock> = Arc::new(clock.clone());
    let shared = Shared::new(
        &SharedLimit::redis(redis.url()).client_clock(true),
        RateLimit::default(),
        &ApiKey::new("k"),
        Arc::clone(&c),
        true,
    )
    .unwrap();
    let now = clock.now();
    shared.observe(Signal::Throttled { retry_after: Some(Duration::from_secs(2)) }, now, now);
    assert_eq!(shared.try_acquire(now).await, Err(Duration::from_secs(2)));
}

/// Two clients (as two workers on one key) through the whole stack against
/// the fake Dixa's per-key limit: with the shared limit, the fake sends no
/// 429; each with its own local limit, they overrun it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clients_on_one_key_stay_under_the_fakes_limit_only_when_shared() {
    let redis = RedisServer::start();
    for shared in [true, false] {
        // Dixa's own numbers: the reserve token absorbs up to 100 ms of
        // scheduling jitter, so a loaded test machine does not draw a 429.
        let fake = FakeDixa::builder().agents(4).rate_limit(10, 4).spawn().await;
        let clients: Vec<DixaClient> = (0..2)
            .map(|_| {
                let mut config = Config::new("one-key")
                    .base_url(fake.base_url())
                    .rate_limit(RateLimit::per_second(10.0, 4))
                    .adaptive_rate(false)
                    .retry(RetryConfig::disabled());
                if shared {
                    config = config.shared_limit(Some(SharedLimit::redis(redis.url())));
                }
                DixaClient::new(config).unwrap()
            })
            .collect();
        let id: uuid::Uuid = fake.agent_id(0).parse().unwrap();
        let tasks: Vec<_> = clients
            .iter()
            .map(|c| {
                let c = c.clone();
                tokio::spawn(async move {
                    let mut failed = 0;
                    for _ in 0..15 {
                        if c.get_agent().agent_id(id).send().await.is_err() {
                            failed += 1;
                        }
                    }
                    failed
                })
            })
            .collect();
        let mut failed = 0;
        for t in tasks {
            failed += t.await.unwrap();
        }
        let rejected = fake.stats().rate_limited();
        if shared {
            assert_eq!((rejected, failed), (0, 0), "shared: the fake rejected {rejected}");
        } else {
            // Two clients at 10/s each against 10/s: about a third of the 30 calls bounce.
            assert!(rejected > 5, "separate limits overrun the key's limit: {rejected} 429s");
        }
    }
}

#[test]
fn a_bad_redis_url_is_a_typed_error_that_does_not_echo_it() {
    let err = DixaClient::new(Config::new("k").shared_limit(Some(SharedLimit::redis("http://:hunter2@cache:1/0"))))
        .unwrap_err();
    assert!(matches!(err, dixa_client_ext::Error::InvalidInput { what: "DIXA_RATE_LIMIT_REDIS_URL", .. }), "{err:?}");
    assert!(!err.to_string().contains("hunter2"), "{err}");
}
