//! Benchmark: the rate limiter where real deployments strain it, all
//! against the fake Dixa's per-key limit of 10 requests/s, bursts of 4 (the
//! referee: it counts every request and every 429), in one run:
//!
//! 1. cancellation storm: 100 workers in one client, each wrapping every
//!    call in its own 5 s `tokio::time::timeout`, default limiter: successful
//!    calls/s as a fraction of the limit (target >= 0.95; before the FIFO
//!    limiter: 0.0);
//! 2. N = 1, 4, 16 workers as separate PROCESSES on one key (this binary
//!    re-executed with `--worker`), each with 4 concurrent tasks and the
//!    default config: with the shared Redis limiter (targets: >= 0.95 of
//!    the limit, 0 x 429) and with the adaptive rate only (target: 429s
//!    under 2% of the requests). Counted over 60 s after a 5 s warm-up
//!    (the warm-up of N cold clients with a burst each is reported apart,
//!    and the window's two halves too: a cold fleet settles for tens of
//!    seconds);
//! 3. the Redis limiter's added latency per permit on loopback, p50/p99
//!    (a permit from Redis vs from the local limiter, no waiting).
//!
//! Run: `cargo bench -p dixa-client-ext --features redis --bench limiter`
//! (about 8 minutes). Shorter: `-- --storm-secs 20 --secs 15 --warmup 5`
//! (or DIXA_BENCH_STORM_SECS, DIXA_BENCH_SECS, DIXA_BENCH_WARMUP);
//! `--only storm|shared|adaptive|latency`; `--workers 16` (or `1,4`) picks
//! the N of part 2. Parts 2 (shared) and 3 need
//! `redis-server` on PATH (or DIXA_TEST_REDIS_SERVER) and the feature.

mod common;

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{BenchResult, Target};
use dixa_client_ext::client::DixaClient;
use dixa_client_ext::config::Config;
use dixa_fake::FakeDixa;

const LIMIT_RPS: u32 = 10;
const LIMIT_BURST: u32 = 4;
const WORKER_TASKS: usize = 4;

fn main() -> BenchResult {
    let args = common::args();
    if common::flag(&args, "worker") {
        return worker(&args);
    }
    let smoke = common::is_smoke();
    let storm_secs = common::num_option(&args, "storm-secs", "DIXA_BENCH_STORM_SECS", if smoke { 2 } else { 60 })?;
    let secs = common::num_option(&args, "secs", "DIXA_BENCH_SECS", if smoke { 2 } else { 60 })?;
    let warmup = common::num_option(&args, "warmup", "DIXA_BENCH_WARMUP", if smoke { 1 } else { 5 })?;
    let only = common::str_option(&args, "only");
    let wants = |part: &str| only.as_deref().is_none_or(|o| o == part);
    let workers: Vec<usize> = match common::str_option(&args, "workers") {
        None => vec![1, 4, 16],
        Some(list) => list
            .split(',')
            .map(|n| n.trim().parse().map_err(|e| format!("--workers {list}: {e}")))
            .collect::<Result<_, _>>()?,
    };
    common::print_header(
        "limiter",
        &format!("fake Dixa limit {LIMIT_RPS}/s burst {LIMIT_BURST}; storm {storm_secs} s; N workers {warmup} s warm-up + {secs} s"),
    );
    let mut summary: Vec<String> = Vec::new();

    if wants("storm") {
        println!();
        println!("-- 1. cancellation storm: 100 workers, each call in a 5 s timeout, default limiter, {storm_secs} s");
        let (ok, timed_out, failed, server_429s, received, permits) = storm(storm_secs)?;
        let fraction = ok as f64 / storm_secs as f64 / f64::from(LIMIT_RPS);
        println!("  successes {ok}, caller timeouts {timed_out}, failed {failed}; server, within the {storm_secs} s: {received} requests, {server_429s} x 429");
        println!(
            "  server answers within the window whose caller had already given up (sent in the last moments of its 5 s): {}; \
             as a fraction of the limit the server answered {:.3}",
            received.saturating_sub(ok + server_429s),
            received as f64 / storm_secs as f64 / f64::from(LIMIT_RPS)
        );
        println!(
            "  permits spent within the window (requests handed to the connection; permits whose caller \
             left before that were given back): {permits} = {:.3} of the limit",
            permits as f64 / storm_secs as f64 / f64::from(LIMIT_RPS)
        );
        common::verdict(
            "limiter.storm",
            "successful calls/s as a fraction of the limit",
            fraction,
            Target::AtLeast(0.95),
        );
        summary.push(format!(
            "storm (100 workers, 5 s timeouts)   {fraction:.3} of the limit, {server_429s} x 429 (before: 0.0)"
        ));
    }

    for (mode, part) in [("shared", "shared"), ("adaptive", "adaptive")] {
        if !wants(part) {
            continue;
        }
        if mode == "shared" && !cfg!(feature = "redis") {
            println!();
            println!("-- 2. shared: not measured (build with --features redis)");
            continue;
        }
        #[cfg(feature = "redis")]
        let redis = if mode == "shared" { Some(redis_server::RedisServer::start()?) } else { None };
        #[cfg(not(feature = "redis"))]
        let redis: Option<()> = None;
        for &n in &workers {
            println!();
            println!("-- 2. {n} worker processes x {WORKER_TASKS} tasks on one key, {mode} limiter");
            #[cfg(feature = "redis")]
            let url = redis.as_ref().map(|r| r.url());
            #[cfg(not(feature = "redis"))]
            let url: Option<String> = {
                let _ = &redis;
                None
            };
            let r = processes(n, mode, url.as_deref(), warmup, secs)?;
            let fraction = r.accepted as f64 / secs as f64 / f64::from(LIMIT_RPS);
            let share_429 = r.rejected as f64 / r.received.max(1) as f64;
            println!(
                "  measured {secs} s: {} requests, {} accepted, {} x 429 ({:.2}%); warm-up {warmup} s: {} requests, {} x 429; calls failed: {}",
                r.received,
                r.accepted,
                r.rejected,
                share_429 * 100.0,
                r.warm_received,
                r.warm_rejected,
                r.failed
            );
            let name = format!("limiter.{mode}.n{n}");
            common::verdict(
                &format!("{name}.throughput"),
                "accepted/s as a fraction of the limit",
                fraction,
                Target::AtLeast(0.95),
            );
            if mode == "shared" {
                common::verdict_count(&format!("{name}.429s"), "429s at the fake", r.rejected, 0);
            } else {
                common::verdict(&format!("{name}.429_share"), "429s / requests", share_429, Target::AtMost(0.02));
            }
            summary.push(format!(
                "N={n:<2} {mode:<8}  {fraction:.3} of the limit, {} x 429 = {:.2}% of requests (warm-up: {} x 429 of {})",
                r.rejected,
                share_429 * 100.0,
                r.warm_rejected,
                r.warm_received
            ));
        }
    }

    #[cfg(feature = "redis")]
    if wants("latency") {
        println!();
        println!("-- 3. added latency of a permit from Redis (loopback) vs from the local limiter");
        let (local, shared) = latency(if smoke { 200 } else { 5_000 })?;
        let p = |v: &[f64], q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
        println!(
            "  local:  p50 {:.1} us, p99 {:.1} us\n  redis:  p50 {:.1} us, p99 {:.1} us",
            p(&local, 0.5),
            p(&local, 0.99),
            p(&shared, 0.5),
            p(&shared, 0.99)
        );
        summary.push(format!(
            "Redis permit latency                 p50 {:.0} us, p99 {:.0} us (local: p50 {:.1} us, p99 {:.1} us)",
            p(&shared, 0.5),
            p(&shared, 0.99),
            p(&local, 0.5),
            p(&local, 0.99)
        ));
    }

    println!();
    println!("== summary");
    for line in summary {
        println!("  {line}");
    }
    Ok(())
}

/// The cancellation storm; returns (successes, caller timeouts, other
/// failures, server 429s, server requests, permits given), within the window.
fn storm(secs: u64) -> BenchResult<(u64, u64, u64, u64, u64, u64)> {
    let fake = FakeDixa::builder().agents(4).rate_limit(LIMIT_RPS, LIMIT_BURST).spawn_dedicated()?;
    let rt = common::client_runtime()?;
    let id: uuid::Uuid = fake.agent_id(0).parse()?;
    let client = DixaClient::new(Config::new("storm-key").base_url(fake.base_url()))?;
    let counts = Arc::new([AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)]);
    let end = Instant::now() + Duration::from_secs(secs);
    // What the server saw within the window (calls still running after it are not counted).
    let s = std::thread::scope(|scope| {
        let snapshot = scope.spawn(|| {
            std::thread::sleep(end.saturating_duration_since(Instant::now()));
            (fake.stats(), client.stats())
        });
        run_storm(&rt, &client, id, &counts, end);
        snapshot.join()
    })
    .map_err(|_| "snapshot thread")?;
    let (s, c) = s;
    let n = |i: usize| counts[i].load(Ordering::Relaxed);
    Ok((n(0), n(1), n(2), s.rate_limited(), s.total_received(), c.attempts))
}

/// 100 workers calling in a loop, each call in a 5 s timeout, until `end`.
fn run_storm(
    rt: &tokio::runtime::Runtime,
    client: &DixaClient,
    id: uuid::Uuid,
    counts: &Arc<[AtomicU64; 3]>,
    end: Instant,
) {
    rt.block_on(async {
        let tasks: Vec<_> = (0..100)
            .map(|_| {
                let (client, counts) = (client.clone(), Arc::clone(counts));
                tokio::spawn(async move {
                    while Instant::now() < end {
                        let call = client.get_agent().agent_id(id).send();
                        let slot = match tokio::time::timeout(Duration::from_secs(5), call).await {
                            Ok(Ok(_)) if Instant::now() <= end => 0,
                            Ok(Ok(_)) => continue,
                            Err(_) => 1,
                            Ok(Err(_)) => 2,
                        };
                        counts[slot].fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        for t in tasks {
            let _ = t.await;
        }
    });
}

struct ProcessRun {
    received: u64,
    rejected: u64,
    accepted: u64,
    warm_received: u64,
    warm_rejected: u64,
    failed: u64,
}

/// N worker processes on one key against one fake; the fake counts.
fn processes(n: usize, mode: &str, redis_url: Option<&str>, warmup: u64, secs: u64) -> BenchResult<ProcessRun> {
    let fake = FakeDixa::builder().agents(4).rate_limit(LIMIT_RPS, LIMIT_BURST).spawn_dedicated()?;
    let exe = std::env::current_exe()?;
    let mut children = Vec::new();
    for _ in 0..n {
        let mut cmd = Command::new(&exe);
        cmd.args(["--bench", "--worker", "--base-url", &fake.base_url(), "--mode", mode])
            .args(["--agent-id", &fake.agent_id(0)])
            .args(["--run-secs", &(warmup + secs + 1).to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if let Some(url) = redis_url {
            cmd.args(["--redis", url]);
        }
        children.push(cmd.spawn()?);
    }
    std::thread::sleep(Duration::from_secs(warmup));
    let warm = fake.stats();
    fake.reset_stats();
    // Where in the window the 429s fall (a fleet still settling vs steady).
    let start = Instant::now();
    let mut per_second = Vec::new();
    // (429s, requests) in each half of the window: settling vs settled.
    let mut halves = [(0u64, 0u64); 2];
    let (mut last, mut last_received) = (0, 0);
    for second in 1..=secs {
        std::thread::sleep((start + Duration::from_secs(second)).saturating_duration_since(Instant::now()));
        let stats = fake.stats();
        let (now, received) = (stats.rate_limited(), stats.total_received());
        per_second.push((now - last).to_string());
        let half = &mut halves[usize::from(second > secs / 2)];
        half.0 += now - last;
        half.1 += received - last_received;
        (last, last_received) = (now, received);
    }
    println!("  429s in each second of the window: {}", per_second.join(" "));
    let pct = |(rejected, received): (u64, u64)| rejected as f64 * 100.0 / received.max(1) as f64;
    println!(
        "  429s / requests, first half of the window: {} / {} ({:.2}%); second half: {} / {} ({:.2}%)",
        halves[0].0,
        halves[0].1,
        pct(halves[0]),
        halves[1].0,
        halves[1].1,
        pct(halves[1])
    );
    let s = fake.stats();
    let mut failed = 0;
    for child in children {
        let out = child.wait_with_output()?;
        let text = String::from_utf8_lossy(&out.stdout);
        failed += text
            .lines()
            .find_map(|l| l.strip_prefix("WORKER failed="))
            .and_then(|v| v.trim().parse::<u64>().ok())
            .ok_or_else(|| format!("a worker printed no result: {text}"))?;
    }
    Ok(ProcessRun {
        received: s.total_received(),
        rejected: s.rate_limited(),
        accepted: s.total_received() - s.rate_limited(),
        warm_received: warm.total_received(),
        warm_rejected: warm.rate_limited(),
        failed,
    })
}

/// One worker process: default config on the shared key, calls until the end.
fn worker(args: &[String]) -> BenchResult {
    let args = args.to_vec();
    let base = common::str_option(&args, "base-url").ok_or("--base-url")?;
    let mode = common::str_option(&args, "mode").ok_or("--mode")?;
    let secs = common::num_option(&args, "run-secs", "-", 10)?;
    let mut config = Config::new("one-key-many-workers").base_url(base);
    if mode == "shared" {
        let url = common::str_option(&args, "redis").ok_or("--redis")?;
        config = config.shared_limit(Some(dixa_client_ext::SharedLimit::redis(url)));
    }
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let failed = rt.block_on(async move {
        let client = DixaClient::new(config)?;
        let id: uuid::Uuid = common::str_option(&args, "agent-id").ok_or("--agent-id")?.parse()?;
        let end = Instant::now() + Duration::from_secs(secs);
        let tasks: Vec<_> = (0..WORKER_TASKS)
            .map(|_| {
                let client = client.clone();
                tokio::spawn(async move {
                    let mut failed = 0u64;
                    while Instant::now() < end {
                        match client.get_agent().agent_id(id).send().await {
                            Err(dixa_client_ext::Error::RateLimited { .. }) => failed += 1,
                            Err(dixa_client_ext::Error::Timeout { .. } | dixa_client_ext::Error::Transport { .. }) => {
                                failed += 1
                            }
                            _ => {}
                        }
                    }
                    failed
                })
            })
            .collect();
        let mut failed = 0;
        for t in tasks {
            failed += t.await?;
        }
        BenchResult::Ok(failed)
    })?;
    println!("WORKER failed={failed}");
    Ok(())
}

/// Time per permit, in microseconds (sorted): local limiter vs Redis.
#[cfg(feature = "redis")]
fn latency(samples: usize) -> BenchResult<(Vec<f64>, Vec<f64>)> {
    use dixa_client_ext::clock::{Clock, SystemClock};
    use dixa_client_ext::config::ApiKey;
    use dixa_client_ext::limit::local::Local;
    use dixa_client_ext::limit::shared::Shared;
    use dixa_client_ext::limit::{RateLimit, SharedLimit};

    let redis = redis_server::RedisServer::start()?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    // A rate no permit has to wait for: what is measured is the asking.
    let limit = RateLimit::per_second(1e9, 1_000_000);
    let local = Local::new(limit, false, clock.now()).ok_or("local")?;
    let shared =
        Shared::new(&SharedLimit::redis(redis.url()), limit, &ApiKey::new("latency"), Arc::clone(&clock), false)?;
    rt.block_on(async {
        let a = time_permits(&local, samples).await?;
        let b = time_permits(&shared, samples).await?;
        Ok((a, b))
    })
}

/// `samples` permits from `limiter`, each timed (after 100 unrecorded ones).
#[cfg(feature = "redis")]
async fn time_permits(limiter: &dyn dixa_client_ext::limit::Limiter, samples: usize) -> BenchResult<Vec<f64>> {
    let mut v = Vec::with_capacity(samples + 100);
    for _ in 0..samples + 100 {
        let t = Instant::now();
        limiter.try_acquire(Instant::now()).await.map_err(|w| format!("a permit waited {w:?}"))?;
        v.push(t.elapsed().as_secs_f64() * 1e6);
    }
    v.drain(..100);
    v.sort_by(f64::total_cmp);
    Ok(v)
}

#[cfg(feature = "redis")]
mod redis_server {
    //! A `redis-server` for the bench on a free loopback port.
    use std::process::{Child, Command, Stdio};
    use std::time::Duration;

    use super::BenchResult;

    pub struct RedisServer {
        child: Child,
        port: u16,
    }

    impl RedisServer {
        pub fn start() -> BenchResult<RedisServer> {
            let binary = std::env::var("DIXA_TEST_REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
            let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
            let child = Command::new(&binary)
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| {
                    format!("cannot start {binary} ({e}): install redis-server or set DIXA_TEST_REDIS_SERVER")
                })?;
            let server = RedisServer { child, port };
            for _ in 0..200 {
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Ok(server);
                }
                std::thread::sleep(Duration::from_millis(25));
            }
            Err("redis-server did not start".into())
        }

        pub fn url(&self) -> String {
            format!("redis://127.0.0.1:{}/0", self.port)
        }
    }

    impl Drop for RedisServer {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
