//! Step timings for profiling generation and `cargo xtask update`: with
//! `DIXA_CODEGEN_TIMINGS` set, every [`step`] prints its name and wall time
//! to stderr. Off by default: the output of the commands stays the same.

use std::sync::OnceLock;
use std::time::Instant;

fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("DIXA_CODEGEN_TIMINGS").is_some())
}

/// Runs `f`, printing `what` and how long it took when timings are on.
pub fn step<T>(what: &str, f: impl FnOnce() -> T) -> T {
    if !enabled() {
        return f();
    }
    let started = Instant::now();
    let out = f();
    eprintln!("timing: {what:<40} {:>8.1} ms", started.elapsed().as_secs_f64() * 1e3);
    out
}
