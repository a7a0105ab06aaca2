//! Peak memory on a huge success body: a loopback server answers
//! `GET /v1/tags` with 1 GiB of chunked JSON (no `Content-Length`, so the
//! cap must trip while reading), and the client reads it:
//!
//! 1. with the default cap (`Config::max_body_size`, 16 MiB): the call
//!    fails with `Error::BodyTooLarge`; target: peak RSS growth during the
//!    call under 2x the cap (nothing past the cap is buffered);
//! 2. the baseline, cap removed (`max_body_size(u64::MAX)`, what the client
//!    did before): reads the whole body.
//!
//! Peak RSS is `VmHWM` from `/proc/self/status`, reset before each call by
//! writing 5 to `/proc/self/clear_refs` (Linux only; elsewhere "not
//! measured"). Run: `cargo bench -p dixa-client-ext --bench body_cap`
//! (`-- --mib N` for another body size).

mod common;

use std::time::Instant;

use common::{BenchResult, Target};
use dixa_client_ext::client::DixaClient;
use dixa_client_ext::config::{Config, DEFAULT_MAX_BODY_SIZE};
use dixa_client_ext::error::Error;
use dixa_client_ext::rate_limit::RateLimit;
use dixa_client_ext::retry::RetryConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const CHUNK: usize = 64 * 1024;

fn main() -> BenchResult {
    let args = common::args();
    let default_mib = if common::is_smoke() { 48 } else { 1024 };
    let mib = common::num_option(&args, "mib", "DIXA_BENCH_MIB", default_mib)?.max(1);
    common::print_header("body_cap", &format!("GET answered with {mib} MiB of chunked JSON"));
    let rt = common::client_runtime()?;
    rt.block_on(async {
        let port = serve(mib * 1024 * 1024).await?;
        let base = format!("http://127.0.0.1:{port}");
        let cap = DEFAULT_MAX_BODY_SIZE;
        println!();
        println!("-- 1: default cap ({} MiB)", cap / (1024 * 1024));
        let capped = measure(&base, cap).await?;
        println!("-- 2: baseline, no cap");
        let uncapped = measure(&base, u64::MAX).await?;
        println!();
        match (capped, uncapped) {
            (Some(c), Some(u)) => {
                println!(
                    "peak RSS growth: {:.1} MiB with the cap, {:.1} MiB without ({:.3}x the baseline)",
                    c as f64 / 1024.0,
                    u as f64 / 1024.0,
                    c as f64 / u.max(1) as f64
                );
                common::verdict(
                    "body_cap.peak_growth_over_cap",
                    "peak RSS growth during the capped call / the cap",
                    (c * 1024) as f64 / cap as f64,
                    Target::AtMost(2.0),
                );
            }
            _ => println!("peak RSS not measured (no /proc/self/clear_refs or VmHWM here)"),
        }
        Ok(())
    })
}

/// Resets the peak-RSS counter; `false` where that is not possible.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn rss_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|l| l.strip_prefix(field)).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// One call with `cap`; returns the peak RSS growth in KiB.
async fn measure(base: &str, cap: u64) -> BenchResult<Option<u64>> {
    let config = Config::new("bench-key")
        .base_url(base)
        .rate_limit(RateLimit::off())
        .retry(RetryConfig::disabled())
        .attempt_timeout(None)
        .call_timeout(None)
        .max_body_size(cap);
    let client = DixaClient::new(config)?;
    let can_reset = reset_peak();
    let before = rss_kib("VmRSS:");
    let start = Instant::now();
    let result = client.tags_list_tags().send().await;
    let peak = rss_kib("VmHWM:");
    let outcome = match &result {
        Ok(_) => "Ok".to_owned(),
        Err(Error::BodyTooLarge { limit, .. }) => format!("BodyTooLarge (limit {limit} bytes)"),
        Err(e) => format!("{}", e.to_string().chars().take(100).collect::<String>()),
    };
    drop(result);
    let growth = match (can_reset, before, peak) {
        (true, Some(b), Some(p)) => Some(p.saturating_sub(b)),
        _ => None,
    };
    println!(
        "  outcome: {outcome}; {:.2} s; RSS before {} KiB, peak {} KiB, growth {}",
        start.elapsed().as_secs_f64(),
        before.map_or("?".into(), |v| v.to_string()),
        peak.map_or("?".into(), |v| v.to_string()),
        growth.map_or("not measured".into(), |g| format!("{:.1} MiB", g as f64 / 1024.0)),
    );
    Ok(growth)
}

/// A server answering every request with `total` bytes of chunked JSON
/// whitespace inside `{"data":[ ... ]}`; generated as it is sent, so the
/// server holds one chunk, not the body.
async fn serve(total: u64) -> BenchResult<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else { return };
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let header = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
                if stream.write_all(header.as_bytes()).await.is_err() {
                    return;
                }
                let mut chunk = vec![b' '; CHUNK];
                chunk[..9].copy_from_slice(b"{\"data\":[");
                let mut sent = 0u64;
                while sent < total {
                    let frame = format!("{:x}\r\n", chunk.len());
                    if stream.write_all(frame.as_bytes()).await.is_err()
                        || stream.write_all(&chunk).await.is_err()
                        || stream.write_all(b"\r\n").await.is_err()
                    {
                        return;
                    }
                    sent += chunk.len() as u64;
                    chunk[..9].fill(b' ');
                }
                let _ = stream.write_all(b"2\r\n]}\r\n0\r\n\r\n").await;
            });
        }
    });
    Ok(port)
}
