//! Injected time, so retry and rate-limit waits are testable without sleeping.
//!
//! The transport, the retry policy and the rate limiter never call
//! `tokio::time` or `SystemTime::now()` directly: they ask a [`Clock`].
//! [`SystemClock`] is the real one; `ManualClock` (feature `test-util`) is a virtual clock for
//! tests and benchmarks whose sleeps return at once, move its time forward and
//! are recorded, so a test can assert "waited exactly 7 s".

#[cfg(any(test, feature = "test-util"))]
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use futures::future::BoxFuture;

/// A source of time: a monotonic now, a wall-clock now, and sleeping.
pub trait Clock: Send + Sync + 'static {
    /// The monotonic now, for deadlines and token buckets.
    fn now(&self) -> Instant;
    /// The wall-clock now, for `Retry-After` given as an HTTP date.
    fn wall(&self) -> SystemTime;
    /// A future that completes after `d`.
    fn sleep(&self, d: Duration) -> BoxFuture<'static, ()>;
}

/// The real clock: `Instant::now()`, `SystemTime::now()` and `tokio::time::sleep`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn wall(&self) -> SystemTime {
        SystemTime::now()
    }

    fn sleep(&self, d: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(d))
    }
}

#[cfg(any(test, feature = "test-util"))]
#[derive(Debug)]
struct ManualState {
    /// Virtual time elapsed since the clock was made.
    offset: Duration,
    /// Every sleep requested, in order.
    sleeps: Vec<Duration>,
}

#[cfg(any(test, feature = "test-util"))]
/// A virtual clock for tests and benchmarks.
///
/// `sleep(d)` completes on its first poll and moves virtual time to at least
/// `t + d`, where `t` is the virtual time when `sleep` was called; so tasks
/// sleeping concurrently end at the latest of their deadlines, as with a real
/// clock, rather than adding up. Each requested duration is recorded.
/// Clones share the same time and record.
#[derive(Debug, Clone)]
pub struct ManualClock {
    origin: Instant,
    wall_origin: SystemTime,
    state: Arc<Mutex<ManualState>>,
}

#[cfg(any(test, feature = "test-util"))]
impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(any(test, feature = "test-util"))]
impl ManualClock {
    /// A virtual clock starting now, with the wall clock at the real now.
    pub fn new() -> Self {
        Self::with_wall(SystemTime::now())
    }

    /// A virtual clock whose wall clock starts at `wall` (for HTTP-date tests).
    pub fn with_wall(wall: SystemTime) -> Self {
        Self {
            origin: Instant::now(),
            wall_origin: wall,
            state: Arc::new(Mutex::new(ManualState { offset: Duration::ZERO, sleeps: Vec::new() })),
        }
    }

    fn state(&self) -> MutexGuard<'_, ManualState> {
        // A panic while holding this lock cannot leave the state inconsistent
        // (each update is a single assignment), so poisoning is ignored.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Moves virtual time forward by `d` without recording a sleep.
    pub fn advance(&self, d: Duration) {
        self.state().offset += d;
    }

    /// Virtual time elapsed since the clock was made.
    pub fn elapsed(&self) -> Duration {
        self.state().offset
    }

    /// Every sleep requested so far, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.state().sleeps.clone()
    }

    /// The sum of all sleeps requested so far.
    pub fn total_slept(&self) -> Duration {
        self.state().sleeps.iter().sum()
    }

    /// Forgets the recorded sleeps (virtual time is kept).
    pub fn clear_sleeps(&self) {
        self.state().sleeps.clear();
    }
}

#[cfg(any(test, feature = "test-util"))]
impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.origin + self.state().offset
    }

    fn wall(&self) -> SystemTime {
        self.wall_origin + self.state().offset
    }

    fn sleep(&self, d: Duration) -> BoxFuture<'static, ()> {
        let target = {
            let mut s = self.state();
            s.sleeps.push(d);
            s.offset + d
        };
        let state = Arc::clone(&self.state);
        Box::pin(async move {
            let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
            if s.offset < target {
                s.offset = target;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn manual_sleep_advances_and_records() {
        let clock = ManualClock::new();
        let t0 = clock.now();
        clock.sleep(Duration::from_secs(7)).await;
        assert_eq!(clock.now() - t0, Duration::from_secs(7));
        assert_eq!(clock.sleeps(), vec![Duration::from_secs(7)]);
    }

    #[tokio::test]
    async fn concurrent_sleeps_end_at_the_latest_deadline() {
        let clock = ManualClock::new();
        let a = clock.sleep(Duration::from_millis(100));
        let b = clock.sleep(Duration::from_millis(300));
        let c = clock.sleep(Duration::from_millis(200));
        futures::join!(a, b, c);
        assert_eq!(clock.elapsed(), Duration::from_millis(300));
        assert_eq!(clock.total_slept(), Duration::from_millis(600));
    }

    #[test]
    fn wall_moves_with_virtual_time() {
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let clock = ManualClock::with_wall(start);
        clock.advance(Duration::from_secs(5));
        assert_eq!(clock.wall(), start + Duration::from_secs(5));
    }
}
