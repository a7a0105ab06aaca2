//! `cargo xtask test [cargo test args]`: the whole workspace suite, with the
//! shared rate limit's tests against a real `redis-server` compiled in.
//!
//! It finds `redis-server` (`DIXA_TEST_REDIS_SERVER`, then `PATH`), installs
//! it with apt-get when it is missing and this runs as root on a Debian-like
//! system, and otherwise stops with what to do. The Redis tests themselves
//! fail (never skip) without it, so a green run always includes them.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Environment variable the Redis tests read for the binary (shared with
/// `dixa-client-ext/tests/redis_server`).
const ENV_REDIS_SERVER: &str = "DIXA_TEST_REDIS_SERVER";

/// Runs the suite; `extra` goes to `cargo test` (e.g. `--locked`).
pub fn run(root: &Path, extra: &[String]) -> Result<(), String> {
    let redis = match find_redis() {
        Some(p) => p,
        None => install_redis()?,
    };
    eprintln!("xtask test: redis-server is {}", redis.display());
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(root)
        .args(["test", "--workspace", "--features", "dixa-client-ext/redis"])
        .args(extra)
        .env(ENV_REDIS_SERVER, &redis)
        .status()
        .map_err(|e| format!("could not run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("cargo test failed ({status})"))
    }
}

fn find_redis() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(ENV_REDIS_SERVER).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p)).filter(|p| p.is_file());
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/bin", "/usr/sbin", "/usr/local/bin"].map(PathBuf::from))
        .map(|dir| dir.join("redis-server"))
        .find(|p| p.is_file())
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn install_redis() -> Result<PathBuf, String> {
    let how = "install redis-server (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis) \
               or set DIXA_TEST_REDIS_SERVER to its path, then run `cargo xtask test` again";
    if !is_root() || find_in_path("apt-get").is_none() {
        return Err(format!("redis-server not found, and this is not root on a system with apt-get: {how}"));
    }
    eprintln!("xtask test: redis-server not found; installing it with apt-get");
    let ok = |args: &[&str]| {
        Command::new("apt-get").args(args).env("DEBIAN_FRONTEND", "noninteractive").status().is_ok_and(|s| s.success())
    };
    if !(ok(&["update", "-qq"]) && ok(&["install", "-y", "-qq", "redis-server"])) {
        return Err(format!("apt-get could not install redis-server: {how}"));
    }
    find_redis().ok_or_else(|| format!("apt-get installed redis-server but it is not on PATH: {how}"))
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|p| p.is_file())
}
