//! Benchmark: streaming 100,000 end users in 1,000 pages (`pageLimit` 100).
//!
//! 1. Throughput: `client.list_end_users().page_limit(100).items()`
//!    against a hand-written loop that uses reqwest and serde_json directly,
//!    on the SAME `reqwest::Client` (connection pool, from
//!    `DixaClient::http_client`), decoding the same generated
//!    `ListEndUsersOutput` and following `meta.next` itself. Seven
//!    repetitions, each running both back to back in alternating order;
//!    medians of items/s, and the verdict on the median of the
//!    per-repetition ratios client/loop, target >= 0.9.
//! 2. Memory: peak RSS of a child process that streams 100,000 items through
//!    the client, against one that streams 1,000; ratio target <= 1.2. The
//!    children are this binary re-executed with `--rss-child URL N`; they
//!    talk to the parent's fake server, so the server's memory is not
//!    counted.
//!
//! Run: `cargo bench -p dixa-client-ext --bench pagination [-- --reps 5]`.
//! `-- --breakdown` adds intermediate variants (the loop with the client's
//! attempt timeout, a loop over `send_raw`, `.pages()`) to show which layer
//! costs what; they are printed for diagnosis and have no target.
//! `-- --only items|loop|loop-timeout|send-raw|pages` runs one variant and
//! nothing else (for a profiler: `valgrind --tool=callgrind
//! target/release/deps/pagination-* --bench --only items --reps 1`; without
//! `--bench` the binary makes a smoke run, as under `cargo test --benches`).

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use common::{BenchResult, Target};
use dixa_client::types::ListEndUsersOutput;
use dixa_client_ext::client::DixaClient;
use dixa_client_ext::config::Config;
use dixa_client_ext::paginate::Paginate;
use dixa_client_ext::rate_limit::RateLimit;
use dixa_fake::FakeDixa;
use futures::TryStreamExt;

/// Items in the full listing (1,000 pages of 100); 2,000 in a smoke run.
const ITEMS: usize = 100_000;
const SMOKE_ITEMS: usize = 2_000;
/// `pageLimit` of every request.
const PAGE_LIMIT: i32 = 100;
/// Items streamed by the small RSS child (10 pages); 100 in a smoke run.
const SMALL_ITEMS: usize = 1_000;
const SMOKE_SMALL_ITEMS: usize = 100;
/// Any key: the fake accepts all of them by default.
const KEY: &str = "bench-key";

fn main() -> BenchResult {
    let args = common::args();
    if let Some(i) = args.iter().position(|a| a == "--rss-child") {
        let url = args.get(i + 1).ok_or("--rss-child needs a base URL")?;
        let n: usize = args.get(i + 2).ok_or("--rss-child needs an item count")?.parse()?;
        return rss_child(url, n);
    }
    let smoke = common::is_smoke();
    let reps = common::num_option(&args, "reps", "DIXA_BENCH_REPS", if smoke { 1 } else { 7 })?.max(1) as usize;
    let (items, small_items) = if smoke { (SMOKE_ITEMS, SMOKE_SMALL_ITEMS) } else { (ITEMS, SMALL_ITEMS) };

    common::print_header(
        "pagination",
        &format!(
            "{items} end users in {} pages (pageLimit {PAGE_LIMIT}), fake Dixa on loopback (own runtime)",
            items / PAGE_LIMIT as usize
        ),
    );
    let fake = FakeDixa::builder().end_users(items).spawn_dedicated()?;
    let rt = common::client_runtime()?;
    let client = client_for(&fake.base_url())?;

    if let Some(name) = common::str_option(&args, "only") {
        // Profiling aid: one variant only (e.g. under valgrind), no verdict.
        let v = Variant::parse(&name)
            .ok_or_else(|| format!("--only: unknown variant `{name}` (items, loop, loop-timeout, send-raw, pages)"))?;
        rt.block_on(throughput(&client, &fake.base_url(), items, reps, &[v]))?;
        return Ok(());
    }
    let variants: &[Variant] = if common::flag(&args, "breakdown") {
        &[Variant::Items, Variant::Loop, Variant::LoopTimeout, Variant::SendRaw, Variant::Pages]
    } else {
        &[Variant::Items, Variant::Loop]
    };
    let rates = rt.block_on(throughput(&client, &fake.base_url(), items, reps, variants))?;
    println!();
    println!("median over {reps} repetitions:");
    let loop_median = common::median(&rates[1]);
    for (v, r) in variants.iter().zip(&rates) {
        println!(
            "  {:<30} {:>10.0} items/s  ({:.3}x the loop)",
            v.label(),
            common::median(r),
            common::median(r) / loop_median
        );
    }
    // Each repetition runs both back to back, so their ratio cancels slow
    // drifts of the machine's load (other processes on 2 cores); its median
    // is the verdict. The ratio of the two medians is printed beside it.
    let paired: Vec<f64> = rates[0].iter().zip(&rates[1]).map(|(c, l)| c / l).collect();
    println!(
        "  per-repetition ratios client/loop: {}",
        paired.iter().map(|r| format!("{r:.3}")).collect::<Vec<_>>().join(" ")
    );
    println!("  ratio of the medians client/loop: {:.3}", common::median(&rates[0]) / loop_median);
    common::verdict(
        "pagination.throughput",
        "items/s ratio client/loop (median of per-repetition ratios)",
        common::median(&paired),
        Target::AtLeast(0.9),
    );

    println!();
    println!("peak RSS of a child streaming through the client (VmHWM):");
    let small = rss_of_child(&fake.base_url(), small_items)?;
    let large = rss_of_child(&fake.base_url(), items)?;
    match (small, large) {
        (Some(small), Some(large)) => {
            println!("  {small_items:>7} items: {small:>7} KiB");
            println!("  {items:>7} items: {large:>7} KiB");
            common::verdict(
                "pagination.memory",
                &format!("peak RSS ratio {items}/{small_items} items"),
                large as f64 / small as f64,
                Target::AtMost(1.2),
            );
        }
        _ => {
            println!("RESULT pagination.memory: not measured (no /proc/self/status on this system)")
        }
    }
    drop(rt);
    drop(fake);
    Ok(())
}

/// The client as the issue specifies it: rate limiter off, default retries.
fn client_for(base_url: &str) -> BenchResult<DixaClient> {
    Ok(DixaClient::new(Config::new(KEY).base_url(base_url).rate_limit(RateLimit::off()))?)
}

/// A way of streaming the listing.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Variant {
    /// `client.list_end_users().items()`: what is measured against the target.
    Items,
    /// The hand-written reqwest + serde_json loop: the baseline.
    Loop,
    /// The loop with the client's per-attempt timeout set on each request.
    LoopTimeout,
    /// The loop, sending through `DixaClient::send_raw` (the transport).
    SendRaw,
    /// `client.list_end_users().pages()`.
    Pages,
}

impl Variant {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "items" => Variant::Items,
            "loop" => Variant::Loop,
            "loop-timeout" => Variant::LoopTimeout,
            "send-raw" => Variant::SendRaw,
            "pages" => Variant::Pages,
            _ => return None,
        })
    }

    fn label(self) -> &'static str {
        match self {
            Variant::Items => "client .items()",
            Variant::Loop => "hand-written loop",
            Variant::LoopTimeout => "loop + 30 s request timeout",
            Variant::SendRaw => "loop over send_raw",
            Variant::Pages => "client .pages()",
        }
    }

    async fn run(self, client: &DixaClient, base_url: &str, limit: usize) -> BenchResult<usize> {
        match self {
            Variant::Items => via_client(client, limit).await,
            Variant::Loop => via_loop(client, base_url, limit, LoopSend::Plain).await,
            Variant::LoopTimeout => via_loop(client, base_url, limit, LoopSend::WithTimeout).await,
            Variant::SendRaw => via_loop(client, base_url, limit, LoopSend::SendRaw).await,
            Variant::Pages => via_pages(client, limit).await,
        }
    }
}

/// Median items/s of each variant, in the order given.
async fn throughput(
    client: &DixaClient,
    base_url: &str,
    total: usize,
    reps: usize,
    variants: &[Variant],
) -> BenchResult<Vec<Vec<f64>>> {
    // Warm-up: open the pooled connection and fault in the code paths.
    for v in variants {
        v.run(client, base_url, total.min(10_000)).await?;
    }
    let mut rates = vec![Vec::with_capacity(reps); variants.len()];
    for rep in 0..reps {
        // Alternate the order, so neither always runs on a warmer (or more
        // fragmented) heap, or first after a pause.
        let mut order: Vec<usize> = (0..variants.len()).collect();
        if rep % 2 == 1 {
            order.reverse();
        }
        for i in order {
            let v = variants[i];
            let (items, elapsed) = time(v.run(client, base_url, total)).await?;
            if items != total {
                return Err(format!("{}: expected {total} items, got {items}", v.label()).into());
            }
            let rate = items as f64 / elapsed.as_secs_f64();
            println!(
                "rep {}: {:<32} {:>9} items in {:>9} ({:>9.0} items/s, {:>6.1} us/page)",
                rep + 1,
                v.label(),
                items,
                common::ms(elapsed),
                rate,
                elapsed.as_secs_f64() * 1e6 / (items as f64 / f64::from(PAGE_LIMIT)),
            );
            rates[i].push(rate);
        }
    }
    Ok(rates)
}

async fn time<F: std::future::Future<Output = BenchResult<usize>>>(f: F) -> BenchResult<(usize, Duration)> {
    let start = Instant::now();
    let n = f.await?;
    Ok((n, start.elapsed()))
}

/// Streams up to `limit` end users through the client's item stream.
async fn via_client(client: &DixaClient, limit: usize) -> BenchResult<usize> {
    let mut items = client.list_end_users().page_limit(PAGE_LIMIT).items();
    let mut n = 0;
    while n < limit {
        match items.try_next().await? {
            Some(user) => {
                black_box(&user);
                n += 1;
            }
            None => break,
        }
    }
    Ok(n)
}

/// Streams up to `limit` end users through the client's page stream.
async fn via_pages(client: &DixaClient, limit: usize) -> BenchResult<usize> {
    let mut pages = client.list_end_users().page_limit(PAGE_LIMIT).pages();
    let mut n = 0;
    while let Some(page) = pages.try_next().await? {
        for user in page {
            black_box(&user);
            n += 1;
            if n >= limit {
                return Ok(n);
            }
        }
    }
    Ok(n)
}

/// How the hand-written loop sends each request.
#[derive(Clone, Copy, PartialEq, Eq)]
enum LoopSend {
    /// reqwest directly: the baseline.
    Plain,
    /// reqwest directly, with the client's default attempt timeout.
    WithTimeout,
    /// `DixaClient::send_raw` (auth, limiter, retries, timeouts, span).
    SendRaw,
}

/// The baseline: what a careful user would write with reqwest and serde_json
/// alone, on the client's own connection pool and with the same
/// `Authorization` header, decoding the same generated page type.
async fn via_loop(client: &DixaClient, base_url: &str, limit: usize, send: LoopSend) -> BenchResult<usize> {
    let http = client.http_client();
    let base = base_url.trim_end_matches('/');
    let mut url = format!("{base}/v1/endusers?pageLimit={PAGE_LIMIT}");
    let mut n = 0;
    loop {
        let body = match send {
            LoopSend::SendRaw => {
                let url = reqwest::Url::parse(&url)?;
                client.send_raw(reqwest::Method::GET, url, None, "list_end_users").await?.body
            }
            LoopSend::Plain | LoopSend::WithTimeout => {
                let mut req = http.get(&url).header(reqwest::header::AUTHORIZATION, KEY);
                if send == LoopSend::WithTimeout {
                    req = req.timeout(Duration::from_secs(30));
                }
                req.send().await?.error_for_status()?.bytes().await?
            }
        };
        let page: ListEndUsersOutput = serde_json::from_slice(&body)?;
        for user in page.data {
            black_box(&user);
            n += 1;
            if n >= limit {
                return Ok(n);
            }
        }
        match page.meta.and_then(|m| m.next) {
            // The fake's links are root-relative (`/v1/endusers?pageKey=...`).
            Some(next) if next.starts_with('/') => url = format!("{base}{next}"),
            Some(next) => url = next,
            None => return Ok(n),
        }
    }
}

/// Re-executes this binary to stream `n` items and reads its peak RSS.
fn rss_of_child(base_url: &str, n: usize) -> BenchResult<Option<u64>> {
    let exe = std::env::current_exe()?;
    let out = std::process::Command::new(exe).args(["--rss-child", base_url, &n.to_string()]).output()?;
    if !out.status.success() {
        return Err(format!(
            "the RSS child for {n} items failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut result = None;
    for line in stdout.lines() {
        if let Some(v) = line.strip_prefix("RSS_CHILD ") {
            let mut parts = v.split_whitespace();
            let items: usize = parts.next().unwrap_or("0").parse()?;
            if items != n {
                return Err(format!("the RSS child streamed {items} items, expected {n}").into());
            }
            result = match parts.next() {
                Some("unknown") | None => None,
                Some(kib) => Some(kib.parse()?),
            };
        }
    }
    Ok(result)
}

/// The child: builds a client on a fresh runtime, streams `n` items and
/// prints `RSS_CHILD <items> <VmHWM KiB>`.
fn rss_child(base_url: &str, n: usize) -> BenchResult {
    let rt = common::client_runtime()?;
    let client = client_for(base_url)?;
    let items = rt.block_on(via_client(&client, n))?;
    let peak = common::peak_rss_kib().map_or_else(|| "unknown".to_owned(), |k| k.to_string());
    println!("RSS_CHILD {items} {peak}");
    Ok(())
}
