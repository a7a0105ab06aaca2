//! Benchmark: 2,000 calls against a server limit of 100 requests per second
//! with bursts of 4 (a scaled stand-in for Dixa's 10/s, bursts of 4).
//!
//! Each call is `GET /v1/agents/{agentId}` through the generated client
//! (`client.get_agent().agent_id(id).send()`), made by a few
//! concurrent tasks sharing one `DixaClient`.
//!
//! 1. Client limiter on, configured at the server's own numbers
//!    (`RateLimit::per_second(100.0, 4)`; the limiter applies its safety
//!    margin itself): achieved throughput as a fraction of 100/s (target
//!    at least 0.95) and the 429s received, counted by the fake and by the
//!    client (target 0).
//! 2. The same run with the client limiter off, for contrast: 429s, retries,
//!    failed calls, throughput. The fake sends no `Retry-After` (Dixa does not
//!    document one), so the client backs off with jitter.
//!
//! Run: `cargo bench -p dixa-client-ext --bench rate_limit`
//! (`-- --calls 500` or `DIXA_BENCH_CALLS=500` for a quick check;
//! `--tasks N` for the concurrency, default 4; `--skip-off` to skip run 2;
//! `--no-margin` to configure the limiter so that its safety margin is
//! cancelled, i.e. it sends at exactly the server's rate and burst: shows
//! what scheduling jitter does without the margin).

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{BenchResult, Target};
use dixa_client_ext::client::DixaClient;
use dixa_client_ext::config::Config;
use dixa_client_ext::error::Error;
use dixa_client_ext::limit::{RateLimit, RATE_MARGIN};
use dixa_client_ext::Stats;
use dixa_fake::FakeDixa;

/// The server's limit: requests per second and burst.
const SERVER_RPS: u32 = 100;
const SERVER_BURST: u32 = 4;
/// Seed agents whose ids the calls rotate through.
const AGENTS: usize = 25;

fn main() -> BenchResult {
    let args = common::args();
    let default_calls = if common::is_smoke() { 20 } else { 2_000 };
    let calls = common::num_option(&args, "calls", "DIXA_BENCH_CALLS", default_calls)?.max(1) as usize;
    let tasks = common::num_option(&args, "tasks", "DIXA_BENCH_TASKS", 4)?.max(1) as usize;
    let skip_off = common::flag(&args, "skip-off");
    let no_margin = common::flag(&args, "no-margin");

    common::print_header(
        "rate_limit",
        &format!(
            "{calls} x GET /v1/agents/{{agentId}}, {tasks} concurrent tasks on one client, server limit {SERVER_RPS}/s burst {SERVER_BURST}"
        ),
    );
    let rt = common::client_runtime()?;

    println!();
    let limit = if no_margin {
        // The limiter runs RATE_MARGIN below the configured rate and keeps
        // one token of the burst in reserve; undo both.
        let rps = f64::from(SERVER_RPS) / (1.0 - RATE_MARGIN);
        println!("-- run 1: client limiter ON at exactly the server's numbers (margin cancelled: RateLimit::per_second({rps:.2}, {}))", SERVER_BURST + 1);
        RateLimit::per_second(rps, SERVER_BURST + 1)
    } else {
        println!("-- run 1: client limiter ON, RateLimit::per_second({SERVER_RPS}.0, {SERVER_BURST})");
        RateLimit::per_second(f64::from(SERVER_RPS), SERVER_BURST)
    };
    let on = rt.block_on(run(limit, calls, tasks))?;
    on.print();
    let fraction = on.ok as f64 / on.elapsed.as_secs_f64() / f64::from(SERVER_RPS);
    common::verdict(
        "rate_limit.throughput",
        "successful calls/s as a fraction of 100/s",
        fraction,
        Target::AtLeast(0.95),
    );
    common::verdict_count("rate_limit.429s_at_server", "429s sent by the fake", on.server_429s, 0);
    common::verdict_count("rate_limit.429s_at_client", "429s seen by the client", on.client.throttled, 0);
    common::verdict_count("rate_limit.failed_calls", "calls that failed", on.failed(), 0);

    if skip_off {
        println!();
        println!("-- run 2 skipped (--skip-off)");
        return Ok(());
    }
    println!();
    println!("-- run 2 (contrast): client limiter OFF, default retries, no Retry-After from the server");
    let off = rt.block_on(run(RateLimit::off(), calls, tasks))?;
    off.print();
    println!(
        "contrast: limiter off reached {:.1}% of the limit with {} 429s and {} failed calls; limiter on reached {:.1}% with {} 429s",
        off.ok as f64 / off.elapsed.as_secs_f64() / f64::from(SERVER_RPS) * 100.0,
        off.server_429s,
        off.failed(),
        fraction * 100.0,
        on.server_429s,
    );
    Ok(())
}

/// What one run measured.
struct Report {
    calls: usize,
    ok: usize,
    failures: BTreeMap<String, usize>,
    elapsed: Duration,
    client: Stats,
    server_received: u64,
    server_429s: u64,
}

impl Report {
    fn failed(&self) -> u64 {
        self.failures.values().sum::<usize>() as u64
    }

    fn print(&self) {
        let secs = self.elapsed.as_secs_f64();
        println!("  calls                {:>8}  ({} succeeded, {} failed)", self.calls, self.ok, self.failed());
        for (kind, n) in &self.failures {
            println!("    failed: {n} x {kind}");
        }
        println!("  wall time            {:>8.2} s", secs);
        println!(
            "  throughput           {:>8.1} successful calls/s ({:.1}% of {SERVER_RPS}/s)",
            self.ok as f64 / secs,
            self.ok as f64 / secs / f64::from(SERVER_RPS) * 100.0
        );
        println!("  server: requests     {:>8}, 429s sent {}", self.server_received, self.server_429s);
        println!(
            "  client: attempts     {:>8}, 429s seen {}, retries {}, retry wait {:.1} s, limiter waits {} ({:.1} s total)",
            self.client.attempts,
            self.client.throttled,
            self.client.retries,
            self.client.retry_wait.as_secs_f64(),
            self.client.rate_limited_waits,
            self.client.rate_limited_wait.as_secs_f64(),
        );
    }
}

/// Runs `calls` calls on `tasks` tasks against a fresh fake with the server
/// limit, through a fresh client with `limit` (so no state carries over).
async fn run(limit: RateLimit, calls: usize, tasks: usize) -> BenchResult<Report> {
    let fake = FakeDixa::builder().agents(AGENTS).rate_limit(SERVER_RPS, SERVER_BURST).spawn_dedicated()?;
    let ids: Vec<uuid::Uuid> = (0..AGENTS).map(|i| fake.agent_id(i).parse()).collect::<Result<_, _>>()?;
    let ids = Arc::new(ids);
    let client = DixaClient::new(Config::new("bench-key").base_url(fake.base_url()).rate_limit(limit))?;

    // Open the connections before timing: pooled connections are part of a
    // running client, not of its throughput. The warm-up uses the server's
    // burst, so wait for the bucket to refill before starting the clock.
    let warm: Vec<_> = (0..tasks.min(SERVER_BURST as usize))
        .map(|i| {
            let (client, id) = (client.clone(), ids[i % ids.len()]);
            tokio::spawn(async move { client.get_agent().agent_id(id).send().await.map(|_| ()) })
        })
        .collect();
    for w in warm {
        w.await??;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    fake.reset_stats();
    let before = client.stats();

    let next = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(Mutex::new(BTreeMap::<String, usize>::new()));
    let start = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let (client, ids, next, failures) =
                (client.clone(), Arc::clone(&ids), Arc::clone(&next), Arc::clone(&failures));
            tokio::spawn(async move {
                let mut ok = 0usize;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= calls {
                        break;
                    }
                    let id = ids[i % ids.len()];
                    match client.get_agent().agent_id(id).send().await {
                        Ok(agent) => {
                            std::hint::black_box(agent);
                            ok += 1;
                        }
                        Err(e) => {
                            let mut f = failures.lock().unwrap_or_else(|p| p.into_inner());
                            *f.entry(failure_kind(&e)).or_default() += 1;
                        }
                    }
                }
                ok
            })
        })
        .collect();
    let mut ok = 0;
    for h in handles {
        ok += h.await?;
    }
    let elapsed = start.elapsed();
    let after = client.stats();
    let server = fake.stats();
    let failures = Arc::try_unwrap(failures)
        .map_err(|_| "a task still holds the failure map")?
        .into_inner()
        .unwrap_or_else(|p| p.into_inner());
    Ok(Report {
        calls,
        ok,
        failures,
        elapsed,
        client: diff(after, before),
        server_received: server.total_received(),
        server_429s: server.rate_limited(),
    })
}

/// The client's counters during the timed part only.
fn diff(after: Stats, before: Stats) -> Stats {
    let mut d = after;
    d.calls -= before.calls;
    d.attempts -= before.attempts;
    d.retries -= before.retries;
    d.throttled -= before.throttled;
    d.server_errors -= before.server_errors;
    d.connection_errors -= before.connection_errors;
    d.timeouts -= before.timeouts;
    d.budget_exhausted -= before.budget_exhausted;
    d.rate_limited_waits -= before.rate_limited_waits;
    d.rate_limited_wait = d.rate_limited_wait.saturating_sub(before.rate_limited_wait);
    d.retry_wait = d.retry_wait.saturating_sub(before.retry_wait);
    d
}

/// A short name for a failed call's error, to group them.
fn failure_kind(e: &Error) -> String {
    match e {
        Error::RateLimited { .. } => "rate limited after all retries".to_owned(),
        Error::Timeout { .. } => "timeout".to_owned(),
        Error::Transport { .. } => "transport".to_owned(),
        Error::Api { status, .. } => format!("API error {status}"),
        other => format!("{other}"),
    }
}
