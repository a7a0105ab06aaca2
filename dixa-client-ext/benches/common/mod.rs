//! Helpers shared by the benchmark binaries (`harness = false`): argument
//! parsing, statistics, result lines, peak RSS.
//!
//! Each bench includes this module with `mod common;` and uses only part of
//! it, hence the `dead_code` allowance below.

#![allow(dead_code)]

use std::time::Duration;

/// A boxed error for `main`: a benchmark that cannot run says why and exits
/// non-zero, but never asserts on its measurements.
pub type BenchResult<T = ()> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Whether this is a smoke run: the binary was started without `--bench`,
/// i.e. by `cargo test --benches` / `--all-targets` rather than by
/// `cargo bench` (which passes `--bench`). A smoke run uses tiny sizes so a
/// test suite stays fast, and judges nothing. Run the binary directly with
/// `--bench` for a real measurement.
pub fn is_smoke() -> bool {
    !std::env::args().skip(1).any(|a| a == "--bench")
}

/// The benchmark's own arguments: everything after the binary name, minus
/// the flags `cargo bench` and `cargo test` add (`--bench`, `--test`, ...).
pub fn args() -> Vec<String> {
    std::env::args()
        .skip(1)
        .filter(|a| !matches!(a.as_str(), "--bench" | "--test" | "--nocapture" | "--quiet" | "-q"))
        .collect()
}

/// The value of `--name VALUE` (or `--name=VALUE`) in `args`, else the
/// environment variable `env`, else `default`.
pub fn num_option(args: &[String], name: &str, env: &str, default: u64) -> BenchResult<u64> {
    let flag = format!("--{name}");
    if args.last() == Some(&flag) {
        return Err(format!("{flag} needs a number").into());
    }
    let found = str_option(args, name).or_else(|| std::env::var(env).ok().filter(|v| !v.trim().is_empty()));
    match found {
        Some(v) => v.trim().parse().map_err(|_| format!("{flag} / {env}: `{v}` is not a whole number").into()),
        None => Ok(default),
    }
}

/// The value of `--name VALUE` (or `--name=VALUE`) in `args`.
pub fn str_option(args: &[String], name: &str) -> Option<String> {
    let flag = format!("--{name}");
    let prefix = format!("--{name}=");
    let mut found = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if *a == flag {
            found = it.next().cloned();
        } else if let Some(v) = a.strip_prefix(&prefix) {
            found = Some(v.to_owned());
        }
    }
    found
}

/// Whether `--name` is among `args`.
pub fn flag(args: &[String], name: &str) -> bool {
    let flag = format!("--{name}");
    args.contains(&flag)
}

/// The median of `values` (the mean of the middle two for an even count).
pub fn median(values: &[f64]) -> f64 {
    let mut v: Vec<f64> = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// Formats a duration in milliseconds with one decimal.
pub fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

/// Which way a target bounds its ratio.
#[derive(Clone, Copy)]
pub enum Target {
    /// The ratio must be at least this.
    AtLeast(f64),
    /// The ratio must be at most this.
    AtMost(f64),
}

/// Prints the line a reader looks for: the ratio, its target and PASS/FAIL.
/// Returns whether it passed (printed only: a benchmark never fails a build).
pub fn verdict(name: &str, what: &str, ratio: f64, target: Target) -> bool {
    let (ok, bound) = match target {
        Target::AtLeast(t) => (ratio >= t, format!(">= {t:.2}")),
        Target::AtMost(t) => (ratio <= t, format!("<= {t:.2}")),
    };
    println!("RESULT {name}: {what} = {ratio:.3} (target {bound}): {}", pass_fail(ok));
    ok
}

fn pass_fail(ok: bool) -> &'static str {
    match (is_smoke(), ok) {
        (true, _) => "not judged (smoke run; use cargo bench)",
        (false, true) => "PASS",
        (false, false) => "FAIL",
    }
}

/// Prints a PASS/FAIL line for a count that must equal `expected`.
pub fn verdict_count(name: &str, what: &str, count: u64, expected: u64) -> bool {
    let ok = count == expected;
    println!("RESULT {name}: {what} = {count} (target {expected}): {}", pass_fail(ok));
    ok
}

/// This process's peak resident set size in KiB (`VmHWM` in
/// `/proc/self/status`), or `None` where that file does not exist.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The client's tokio runtime: multi-threaded with the default worker count
/// (one per core), as an application would use. The fake server runs on its
/// own runtime (`spawn_dedicated`).
pub fn client_runtime() -> BenchResult<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}

/// The machine, for the report header.
pub fn print_header(name: &str, description: &str) {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    println!("== {name}: {description}");
    println!(
        "   (machine: {cores} cores; profile: {}{})",
        if cfg!(debug_assertions) { "debug (numbers not meaningful)" } else { "optimized" },
        if is_smoke() { "; SMOKE RUN with tiny sizes: started without --bench" } else { "" }
    );
}
