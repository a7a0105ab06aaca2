//! Benchmark: prefetch on vs off.
//!
//! The fake server adds 20 ms of latency to every list page; the consumer
//! works 10 ms per page (a `tokio::time::sleep` standing in for real work,
//! e.g. writing the page to a database). Without prefetch the two add up per
//! page; with it the next page's request overlaps the work. Wall time of N
//! pages (default 100) each way, repetitions alternating, medians; ratio
//! off/on, target >= 1.4.
//!
//! Run: `cargo bench -p dixa-client-ext --bench prefetch [-- --pages 100 --reps 3]`.

mod common;

use std::time::{Duration, Instant};

use common::{BenchResult, Target};
use dixa_client_ext::client::DixaClient;
use dixa_client_ext::config::Config;
use dixa_client_ext::paginate::Paginate;
use dixa_client_ext::rate_limit::RateLimit;
use dixa_fake::FakeDixa;
use futures::TryStreamExt;

const PAGE_LIMIT: i32 = 100;
const SERVER_LATENCY: Duration = Duration::from_millis(20);
const WORK_PER_PAGE: Duration = Duration::from_millis(10);

fn main() -> BenchResult {
    let args = common::args();
    let smoke = common::is_smoke();
    let pages = common::num_option(&args, "pages", "DIXA_BENCH_PAGES", if smoke { 5 } else { 100 })?.max(1) as usize;
    let reps = common::num_option(&args, "reps", "DIXA_BENCH_REPS", if smoke { 1 } else { 3 })?.max(1) as usize;

    common::print_header(
        "prefetch",
        &format!(
            "{pages} pages of {PAGE_LIMIT}, server latency {} per page, consumer work {} per page",
            common::ms(SERVER_LATENCY),
            common::ms(WORK_PER_PAGE)
        ),
    );
    let fake =
        FakeDixa::builder().end_users(pages * PAGE_LIMIT as usize).page_latency(SERVER_LATENCY).spawn_dedicated()?;
    let rt = common::client_runtime()?;
    // The limiter is off: this measures overlap, not throttling (at Dixa's
    // 10/s a 30 ms page would be limiter-bound either way).
    let client = DixaClient::new(Config::new("bench-key").base_url(fake.base_url()).rate_limit(RateLimit::off()))?;

    let (off, on) = rt.block_on(async {
        // Warm-up: open the connections (two: prefetch overlaps requests).
        run(&client, 3, true).await?;
        let mut off = Vec::new();
        let mut on = Vec::new();
        for rep in 0..reps {
            let order = if rep % 2 == 0 { [false, true] } else { [true, false] };
            for prefetch in order {
                let elapsed = run(&client, pages, prefetch).await?;
                println!(
                    "rep {}: prefetch {:<3} {:>10} ({:.1} ms/page)",
                    rep + 1,
                    if prefetch { "on" } else { "off" },
                    common::ms(elapsed),
                    elapsed.as_secs_f64() * 1e3 / pages as f64
                );
                if prefetch {
                    on.push(elapsed.as_secs_f64())
                } else {
                    off.push(elapsed.as_secs_f64())
                }
            }
        }
        BenchResult::Ok((common::median(&off), common::median(&on)))
    })?;
    println!();
    println!("median over {reps} repetitions:");
    println!(
        "  prefetch off  {:>8.1} ms  ({:.1} ms/page; ideal {} + {} = 30 ms)",
        off * 1e3,
        off * 1e3 / pages as f64,
        20,
        10
    );
    println!(
        "  prefetch on   {:>8.1} ms  ({:.1} ms/page; ideal max(20, 10) = 20 ms)",
        on * 1e3,
        on * 1e3 / pages as f64
    );
    common::verdict("prefetch.speedup", "wall time ratio off/on", off / on, Target::AtLeast(1.4));
    drop(rt);
    drop(fake);
    Ok(())
}

/// Consumes `pages` pages, working `WORK_PER_PAGE` on each; returns the wall time.
async fn run(client: &DixaClient, pages: usize, prefetch: bool) -> BenchResult<Duration> {
    let start = Instant::now();
    let mut stream = client.list_end_users().page_limit(PAGE_LIMIT).paginator().prefetch(prefetch).pages();
    let mut seen = 0;
    while seen < pages {
        let Some(page) = stream.try_next().await? else {
            break;
        };
        std::hint::black_box(page.items());
        tokio::time::sleep(WORK_PER_PAGE).await;
        seen += 1;
    }
    if seen != pages {
        return Err(format!("expected {pages} pages, got {seen}").into());
    }
    Ok(start.elapsed())
}
