//! [`Shared`]: the Redis-backed limiter (see the parent module for the
//! design and the outage rule).

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use futures::future::BoxFuture;
use redis::aio::MultiplexedConnection;
use sha2::{Digest, Sha256};

use super::{SharedLimit, ENV_REDIS_URL, PROBE_EVERY};
use crate::clock::Clock;
use crate::config::ApiKey;
use crate::error::{Error, Result};
use crate::limit::local::Local;
use crate::limit::{Limiter, RateLimit, Signal, RATE_MARGIN};

/// Processes seen on the key within this window count as sharing it.
const PEER_WINDOW: Duration = Duration::from_secs(10);

/// GCRA in one atomic step, in microseconds. KEYS[1]: the bucket's
/// theoretical arrival time; KEYS[2]: a sorted set of the processes using
/// it. ARGV: interval, tolerance, now (0: Redis's TIME), process id, peer
/// window. Returns {granted (1/0), wait, processes}. Nothing is reserved
/// when it answers "wait".
const SCRIPT: &str = r"
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
if now == 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local window = tonumber(ARGV[5])
redis.call('ZADD', KEYS[2], now, ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
redis.call('PEXPIRE', KEYS[2], math.ceil(window / 1000))
local peers = redis.call('ZCARD', KEYS[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local open = tat - tolerance
if open > now then
  return {0, math.ceil(open - now), peers}
end
local next_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%d', next_tat), 'PX', math.ceil((next_tat - now) / 1000) + 1000)
return {1, 0, peers}
";

/// Gives back one permit whose request never went out: the bucket's
/// theoretical arrival time moves back one interval (KEYS[1]; ARGV[1]: the
/// interval in microseconds), keeping its expiry. A bucket that has expired
/// meanwhile is full anyway.
const REFUND_SCRIPT: &str = r"
local tat = tonumber(redis.call('GET', KEYS[1]))
local ttl = redis.call('PTTL', KEYS[1])
if tat and ttl > 0 then
  redis.call('SET', KEYS[1], string.format('%d', tat - tonumber(ARGV[1])), 'PX', ttl)
end
return 1
";

#[derive(Debug)]
struct Health {
    /// Set during an outage: the local limiter in use, and when to try Redis again.
    outage: Option<(Arc<Local>, Instant)>,
    /// Processes Redis last reported on the key.
    peers: u32,
    /// The connection, once made (dropped on any error, remade on the next try).
    conn: Option<MultiplexedConnection>,
}

/// A limiter whose budget lives in Redis, shared by every process on the key.
pub struct Shared {
    client: redis::Client,
    script: redis::Script,
    refund_script: redis::Script,
    bucket_key: String,
    peers_key: String,
    process_id: String,
    limit: RateLimit,
    interval_us: u64,
    tolerance_us: u64,
    config: SharedLimit,
    clock: Arc<dyn Clock>,
    adaptive: bool,
    /// This process's own rate: the adaptive cut after 429s that come anyway.
    cap: Local,
    health: Mutex<Health>,
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("config", &self.config)
            .field("bucket_key", &self.bucket_key)
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

/// The Redis key of the bucket for an API key: a hash, never the key.
pub fn bucket_key(key: &ApiKey) -> String {
    let digest = Sha256::new().chain_update(b"dixa-rs rate limit\0").chain_update(key.expose_secret()).finalize();
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("dixa-rs:limit:{hex}")
}

/// What one script call said.
enum Answer {
    Granted,
    Wait(Duration),
}

impl Shared {
    /// A limiter for `limit` shared through `config`'s Redis, for the API key
    /// `key`. Checks the URL; connects on first use.
    pub fn new(
        config: &SharedLimit,
        limit: RateLimit,
        key: &ApiKey,
        clock: Arc<dyn Clock>,
        adaptive: bool,
    ) -> Result<Self> {
        let RateLimit::TokenBucket { per_second, burst } = limit else {
            return Err(Error::InvalidInput { what: "shared rate limit", detail: "the rate limit is off".into() });
        };
        // The URL is not echoed: it may carry a password.
        let client = redis::Client::open(config.url.as_str()).map_err(|e| Error::InvalidInput {
            what: ENV_REDIS_URL,
            detail: format!("not a usable Redis URL ({:?}); expected redis://host:port/db", e.kind()),
        })?;
        let interval = 1.0 / (per_second * (1.0 - RATE_MARGIN));
        let client_burst = burst.saturating_sub(1).max(1);
        let bucket_key = bucket_key(key);
        let now = clock.now();
        let cap = Local::new(limit, adaptive, now)
            .ok_or(Error::InvalidInput { what: "shared rate limit", detail: "the rate limit is off".into() })?;
        Ok(Shared {
            client,
            script: redis::Script::new(SCRIPT),
            refund_script: redis::Script::new(REFUND_SCRIPT),
            peers_key: format!("{bucket_key}:processes"),
            bucket_key,
            process_id: format!("{:016x}", fastrand::u64(..)),
            limit,
            interval_us: (interval * 1e6).round() as u64,
            tolerance_us: (interval * 1e6 * f64::from(client_burst - 1)).round() as u64,
            config: config.clone(),
            clock,
            adaptive,
            cap,
            health: Mutex::new(Health { outage: None, peers: 0, conn: None }),
        })
    }

    fn health(&self) -> MutexGuard<'_, Health> {
        self.health.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether this process is on its local fallback right now.
    pub fn in_outage(&self) -> bool {
        self.health().outage.is_some()
    }

    /// The local limiter used during the current outage, if any.
    pub fn fallback_rate(&self) -> Option<f64> {
        self.health().outage.as_ref().map(|(l, _)| l.rate())
    }

    /// The Redis key of this limiter's bucket.
    pub fn key(&self) -> &str {
        &self.bucket_key
    }

    /// One script call, bounded by the timeout.
    async fn ask(&self) -> std::result::Result<Answer, String> {
        let conn = self.health().conn.clone();
        let call = async {
            let mut conn = match conn {
                Some(c) => c,
                None => {
                    let c = self.client.get_multiplexed_async_connection().await.map_err(|e| describe(&e))?;
                    self.health().conn = Some(c.clone());
                    c
                }
            };
            let now_us = if self.config.client_clock {
                let wall = self.clock.wall().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
                // `now` keeps the virtual clock's own progress.
                u64::try_from(wall.as_micros()).unwrap_or(u64::MAX).max(1)
            } else {
                0
            };
            let (granted, wait_us, peers): (i64, i64, i64) = self
                .script
                .key(&self.bucket_key)
                .key(&self.peers_key)
                .arg(self.interval_us)
                .arg(self.tolerance_us)
                .arg(now_us)
                .arg(&self.process_id)
                .arg(PEER_WINDOW.as_micros() as u64)
                .invoke_async(&mut conn)
                .await
                .map_err(|e| describe(&e))?;
            self.health().peers = u32::try_from(peers.max(1)).unwrap_or(u32::MAX);
            Ok(if granted == 1 {
                Answer::Granted
            } else {
                Answer::Wait(Duration::from_micros(u64::try_from(wait_us.max(1)).unwrap_or(1)))
            })
        };
        match tokio::time::timeout(self.config.timeout, call).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(e)) => {
                self.health().conn = None;
                Err(e)
            }
            Err(_) => {
                self.health().conn = None;
                Err(format!("no answer within {} ms", self.config.timeout.as_millis()))
            }
        }
    }

    /// Switches to (or stays on) the local fallback after a failed call.
    fn enter_outage(&self, now: Instant, why: &str) -> Arc<Local> {
        let mut h = self.health();
        if let Some((local, next)) = &mut h.outage {
            *next = now + PROBE_EVERY;
            return Arc::clone(local);
        }
        let divisor = self.config.fallback_divisor.unwrap_or(h.peers.max(1));
        let RateLimit::TokenBucket { per_second, burst } = self.limit else { unreachable!("checked in new") };
        let rate = per_second / f64::from(divisor);
        let local = Arc::new(
            Local::new(RateLimit::per_second(rate, burst), self.adaptive, now).expect("a token bucket is not off"),
        );
        // No burst on top of what the shared budget just let through.
        local.drain_burst(now);
        tracing::warn!(
            reason = why,
            fallback_rate = rate,
            divisor,
            "the shared rate limit in Redis is unreachable: limiting this process locally at rate / {divisor} until it answers"
        );
        h.outage = Some((Arc::clone(&local), now + PROBE_EVERY));
        local
    }

    async fn acquire_at(&self, now: Instant) -> std::result::Result<(), Duration> {
        let cap_wait = self.cap.ready_in(now);
        if !cap_wait.is_zero() {
            return Err(cap_wait);
        }
        let waiting_out = {
            let h = self.health();
            h.outage.as_ref().filter(|(_, next)| now < *next).map(|(l, _)| Arc::clone(l))
        };
        if let Some(local) = waiting_out {
            return local.try_take(now);
        }
        match self.ask().await {
            Ok(answer) => {
                if self.health().outage.take().is_some() {
                    tracing::info!("the shared rate limit in Redis answers again: back to the shared budget");
                }
                match answer {
                    Answer::Granted => {
                        self.cap.take(now);
                        Ok(())
                    }
                    Answer::Wait(wait) => Err(wait),
                }
            }
            Err(why) => self.enter_outage(now, &why).try_take(now),
        }
    }
}

/// A Redis error in words, without the URL or credentials.
fn describe(e: &redis::RedisError) -> String {
    if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connection_refusal() {
        "connection refused".to_owned()
    } else if e.is_io_error() || e.is_connection_dropped() {
        "connection lost".to_owned()
    } else {
        format!("Redis error ({:?})", e.kind())
    }
}

impl Limiter for Shared {
    fn try_acquire(&self, now: Instant) -> BoxFuture<'_, std::result::Result<(), Duration>> {
        Box::pin(self.acquire_at(now))
    }

    fn spacing(&self) -> Duration {
        self.cap.spacing()
    }

    /// During an outage the permit goes back to the local fallback; else to
    /// this process's own cap and, in the background (a drop cannot wait),
    /// to the bucket in Redis. Without a runtime or a connection the Redis
    /// part is skipped: the shared budget then loses one permit, which is
    /// the safe side.
    fn refund(&self, _now: Instant) {
        let (fallback, conn) = {
            let h = self.health();
            (h.outage.as_ref().map(|(l, _)| Arc::clone(l)), h.conn.clone())
        };
        if let Some(local) = fallback {
            local.give_back();
            return;
        }
        self.cap.give_back();
        let (Some(mut conn), Ok(runtime)) = (conn, tokio::runtime::Handle::try_current()) else { return };
        let (script, key, interval, timeout) =
            (self.refund_script.clone(), self.bucket_key.clone(), self.interval_us, self.config.timeout);
        runtime.spawn(async move {
            let mut invocation = script.key(&key);
            invocation.arg(interval);
            let call = invocation.invoke_async::<i64>(&mut conn);
            if let Ok(Err(e)) = tokio::time::timeout(timeout, call).await {
                tracing::debug!(error = describe(&e), "could not give a permit back to the shared budget");
            }
        });
    }

    fn observe(&self, signal: Signal, sent_at: Instant, now: Instant) {
        self.cap.observe_answer(signal, sent_at, now);
        let fallback = self.health().outage.as_ref().map(|(l, _)| Arc::clone(l));
        if let Some(local) = fallback {
            local.observe_answer(signal, sent_at, now);
        }
    }
}
