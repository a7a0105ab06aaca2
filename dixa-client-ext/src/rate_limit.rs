//! The client-side rate limiter: a token bucket shared by every clone of a
//! client, so a lone client stays under Dixa's limit instead of bouncing off
//! it with 429s.
//!
//! It is a GCRA (the "virtual scheduling" form of a token bucket): each
//! [`RateLimiter::acquire`] reserves the next free send slot at once, under a
//! short lock, then sleeps on the injected clock until that slot. Slots are
//! handed out in call order, so many waiting tasks are served first come,
//! first served and none starves.
//!
//! A task dropped while waiting (a `select!`, a timeout around the call, a
//! dropped stream) gives its slot back: otherwise a batch of cancelled calls
//! would push the schedule into the future and stall every later call for as
//! long as the cancelled ones would have taken. A slot at the end of the
//! schedule is returned at once; one with live waiters after it is returned
//! when they are gone (it cannot be handed to someone else without breaking
//! the order or bursting above the limit), and is forgotten once its time has
//! passed. Waits use the monotonic clock, so wall-clock jumps do not move them.
//!
//! # Safety margin
//!
//! Matching the server's bucket exactly is not enough: requests reach the
//! server later than they leave, by a varying amount, so two requests sent
//! one slot apart can arrive closer together, and a server bucket that is one
//! token short rejects the second. The limiter therefore runs
//! [`RATE_MARGIN`] (2%) below the configured rate and keeps one token of the
//! configured burst in reserve (burst 4 sends at most 3 back to back). That
//! absorbs an arrival jitter of about one slot (100 ms at 10/s, 10 ms at
//! 100/s) and costs 2% of throughput, within the 5% the benchmarks allow.
//! What it cannot absorb is another client (or an earlier run) using the same
//! key: the retry policy's 429 handling covers that.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::clock::Clock;
use crate::error::{Error, Result};

/// The fraction by which the limiter runs below the configured rate.
pub const RATE_MARGIN: f64 = 0.02;

/// The client-side rate limit.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum RateLimit {
    /// No client-side limit.
    Off,
    /// A token bucket matching the server's: `per_second` sustained,
    /// `burst` back to back (the limiter applies its safety margin itself).
    TokenBucket {
        /// Sustained requests per second.
        per_second: f64,
        /// Largest burst the server accepts.
        burst: u32,
    },
}

impl Default for RateLimit {
    /// Dixa's documented limit: 10 requests per second, bursts of 4.
    fn default() -> Self {
        RateLimit::TokenBucket { per_second: 10.0, burst: 4 }
    }
}

impl RateLimit {
    /// No client-side limit.
    pub fn off() -> Self {
        RateLimit::Off
    }

    /// A server limit of `per_second` requests per second with bursts of `burst`.
    pub fn per_second(per_second: f64, burst: u32) -> Self {
        RateLimit::TokenBucket { per_second, burst }
    }

    /// Checks the numbers: a positive finite rate and a burst of at least 1.
    pub fn validate(&self) -> Result<()> {
        match *self {
            RateLimit::Off => Ok(()),
            RateLimit::TokenBucket { per_second, burst } => {
                if !(per_second.is_finite() && per_second > 0.0) {
                    return Err(Error::InvalidInput {
                        what: "rate limit",
                        detail: format!("{per_second} requests per second is not a positive number; use RateLimit::off() to disable"),
                    });
                }
                if burst == 0 {
                    return Err(Error::InvalidInput {
                        what: "rate limit",
                        detail: "a burst of 0 would never send".into(),
                    });
                }
                Ok(())
            }
        }
    }
}

#[derive(Debug)]
struct Gcra {
    /// Time between sends at the (margined) sustained rate.
    interval: Duration,
    /// How far ahead of the schedule a send may go: (burst - 1) intervals.
    tolerance: Duration,
    /// The theoretical arrival time of the next send.
    tat: Option<Instant>,
    /// Ends (the `tat` each set) of slots given up by dropped waiters while
    /// live ones came after them; returned when they reach the tail.
    abandoned: Vec<Instant>,
}

impl Gcra {
    /// Gives back the slot that ended at `end`: rewinds the schedule when it
    /// is the last, and then every abandoned slot that becomes the last.
    fn release(&mut self, end: Instant, now: Instant) {
        // Slots whose time has passed no longer hold anyone back.
        self.abandoned.retain(|&e| e > now);
        if self.tat != Some(end) {
            if end > now {
                self.abandoned.push(end);
            }
            return;
        }
        let mut tail = end;
        loop {
            tail = tail.checked_sub(self.interval).unwrap_or(tail);
            match self.abandoned.iter().position(|&e| e == tail) {
                Some(i) if !self.interval.is_zero() => {
                    self.abandoned.swap_remove(i);
                }
                _ => break,
            }
        }
        self.tat = Some(tail);
    }
}

/// A rate limiter shared (through `Arc`) by every clone of a client.
pub struct RateLimiter {
    clock: Arc<dyn Clock>,
    state: Option<Mutex<Gcra>>,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter").field("state", &self.state).finish_non_exhaustive()
    }
}

impl RateLimiter {
    /// A limiter for `limit` on `clock`.
    pub fn new(limit: RateLimit, clock: Arc<dyn Clock>) -> Result<Self> {
        limit.validate()?;
        let state = match limit {
            RateLimit::Off => None,
            RateLimit::TokenBucket { per_second, burst } => {
                let interval = Duration::from_secs_f64(1.0 / (per_second * (1.0 - RATE_MARGIN)));
                // One token of the server's burst is kept in reserve.
                let client_burst = burst.saturating_sub(1).max(1);
                Some(Mutex::new(Gcra {
                    interval,
                    tolerance: interval * (client_burst - 1),
                    tat: None,
                    abandoned: Vec::new(),
                }))
            }
        };
        Ok(RateLimiter { clock, state })
    }

    /// Reserves the next send slot and returns how long to wait for it
    /// (zero when a token is free). Does not sleep. The slot is spent even if
    /// the caller never sends; [`RateLimiter::acquire`] gives it back when
    /// dropped mid-wait, so prefer it.
    pub fn reserve(&self) -> Duration {
        self.reserve_slot().0
    }

    /// Reserves a slot: the wait, and the slot's end (to give it back).
    fn reserve_slot(&self) -> (Duration, Option<Instant>) {
        let Some(state) = &self.state else { return (Duration::ZERO, None) };
        let now = self.clock.now();
        let mut g = state.lock().unwrap_or_else(|p| p.into_inner());
        let tat = g.tat.map_or(now, |t| t.max(now));
        let end = tat + g.interval;
        g.tat = Some(end);
        // The slot opens `tolerance` before its theoretical time.
        let wait = (tat.checked_sub(g.tolerance).unwrap_or(tat)).saturating_duration_since(now);
        (wait, Some(end))
    }

    fn release(&self, end: Instant) {
        if let Some(state) = &self.state {
            let now = self.clock.now();
            state.lock().unwrap_or_else(|p| p.into_inner()).release(end, now);
        }
    }

    /// Waits (on the injected clock) until a request may be sent, and
    /// returns how long that was. Dropped mid-wait, it gives its slot back.
    pub async fn acquire(&self) -> Duration {
        match self.acquire_within(None).await {
            Ok(wait) | Err(wait) => wait,
        }
    }

    /// Like [`RateLimiter::acquire`], but when the wait would be `limit` or
    /// longer, gives the slot back at once and returns `Err(wait)` without
    /// sleeping: a call that cannot be sent before its deadline should fail
    /// now rather than sleep past it.
    pub async fn acquire_within(&self, limit: Option<Duration>) -> std::result::Result<Duration, Duration> {
        let (wait, end) = self.reserve_slot();
        if wait.is_zero() {
            return Ok(wait);
        }
        let Some(end) = end else { return Ok(wait) };
        if limit.is_some_and(|limit| wait >= limit) {
            self.release(end);
            return Err(wait);
        }
        /// Gives the slot back unless the wait completed.
        struct Slot<'a> {
            limiter: &'a RateLimiter,
            end: Option<Instant>,
        }
        impl Drop for Slot<'_> {
            fn drop(&mut self) {
                if let Some(end) = self.end {
                    self.limiter.release(end);
                }
            }
        }
        let mut slot = Slot { limiter: self, end: Some(end) };
        self.clock.sleep(wait).await;
        slot.end = None;
        Ok(wait)
    }

    /// Whether a limit is in force.
    pub fn is_enabled(&self) -> bool {
        self.state.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn limiter(limit: RateLimit) -> (RateLimiter, ManualClock) {
        let clock = ManualClock::new();
        (RateLimiter::new(limit, Arc::new(clock.clone())).unwrap(), clock)
    }

    fn interval(per_second: f64) -> Duration {
        Duration::from_secs_f64(1.0 / (per_second * (1.0 - RATE_MARGIN)))
    }

    #[tokio::test]
    async fn burst_then_steady_rate() {
        let (l, clock) = limiter(RateLimit::default());
        for _ in 0..3 {
            l.acquire().await;
        }
        assert_eq!(clock.elapsed(), Duration::ZERO, "the first 3 go at once");
        l.acquire().await;
        assert_eq!(clock.elapsed(), interval(10.0));
        for _ in 0..10 {
            l.acquire().await;
        }
        assert_eq!(clock.elapsed(), interval(10.0) * 11);
    }

    #[tokio::test]
    async fn n_acquisitions_take_the_expected_virtual_time() {
        let (l, clock) = limiter(RateLimit::per_second(100.0, 4));
        for _ in 0..1003 {
            l.acquire().await;
        }
        // 3 free, then 1000 at the margined rate.
        assert_eq!(clock.elapsed(), interval(100.0) * 1000);
    }

    #[tokio::test]
    async fn concurrent_waiters_are_served_in_order_at_the_rate() {
        let (l, clock) = limiter(RateLimit::default());
        let l = Arc::new(l);
        let waits: Vec<Duration> = (0..20).map(|_| l.reserve()).collect();
        let expected: Vec<Duration> = (0..20u32).map(|i| interval(10.0) * i.saturating_sub(2)).collect();
        assert_eq!(waits, expected);
        // Tasks sleeping concurrently end at the last slot, not the sum.
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let l = Arc::clone(&l);
                async move { l.acquire().await }
            })
            .collect();
        futures::future::join_all(tasks).await;
        // The 40th slot (index 39) opens 2 slots early (the burst tolerance).
        assert_eq!(clock.elapsed(), interval(10.0) * 37);
    }

    #[tokio::test]
    async fn idle_time_refills_the_burst_but_no_more() {
        let (l, clock) = limiter(RateLimit::default());
        for _ in 0..3 {
            l.acquire().await;
        }
        clock.advance(Duration::from_secs(60));
        let t = clock.elapsed();
        for _ in 0..3 {
            l.acquire().await;
        }
        assert_eq!(clock.elapsed(), t, "burst refilled after idling");
        l.acquire().await;
        assert_eq!(clock.elapsed(), t + interval(10.0), "but only the burst");
    }

    #[tokio::test]
    async fn never_exceeds_the_server_bucket() {
        // Simulate the server's own token bucket (rate 10/s, burst 4) over the
        // client's send times: no send may find it empty.
        let (l, clock) = limiter(RateLimit::default());
        let (rate, burst) = (10.0_f64, 4.0_f64);
        let mut tokens = burst;
        let mut last = Duration::ZERO;
        for i in 0..500 {
            l.acquire().await;
            let now = clock.elapsed();
            tokens = (tokens + (now - last).as_secs_f64() * rate).min(burst);
            last = now;
            assert!(tokens >= 1.0 - 1e-9, "request {i} at {now:?} would get a 429");
            tokens -= 1.0;
            // Sustained, the server bucket keeps a token of headroom beyond this send.
            if i > 50 {
                assert!(tokens >= 1.0 - 1e-6, "no reserve left at request {i}");
            }
        }
    }

    #[tokio::test]
    async fn off_never_waits() {
        let (l, clock) = limiter(RateLimit::off());
        assert!(!l.is_enabled());
        for _ in 0..1000 {
            l.acquire().await;
        }
        assert_eq!(clock.elapsed(), Duration::ZERO);
        assert!(clock.sleeps().is_empty());
    }

    /// A clock frozen in time whose sleeps never finish: a waiter stays
    /// mid-wait until it is dropped.
    struct FrozenClock(Instant);

    impl Clock for FrozenClock {
        fn now(&self) -> Instant {
            self.0
        }
        fn wall(&self) -> std::time::SystemTime {
            std::time::SystemTime::UNIX_EPOCH
        }
        fn sleep(&self, _: Duration) -> futures::future::BoxFuture<'static, ()> {
            Box::pin(futures::future::pending())
        }
    }

    /// Starts `n` acquisitions and leaves each mid-wait.
    fn waiting(l: &RateLimiter, n: usize) -> Vec<futures::future::BoxFuture<'_, ()>> {
        let waker = futures::task::noop_waker();
        let mut cx = std::task::Context::from_waker(&waker);
        (0..n)
            .map(|_| {
                let mut fut: futures::future::BoxFuture<'_, ()> = Box::pin(async move {
                    l.acquire().await;
                });
                assert!(fut.as_mut().poll(&mut cx).is_pending());
                fut
            })
            .collect()
    }

    #[test]
    fn dropped_waiters_give_their_slots_back_in_any_order() {
        for reverse in [false, true] {
            let l = RateLimiter::new(RateLimit::default(), Arc::new(FrozenClock(Instant::now()))).unwrap();
            for _ in 0..3 {
                assert_eq!(l.reserve(), Duration::ZERO);
            }
            // 100 callers wait, then are cancelled (e.g. by a timeout around them).
            let mut w = waiting(&l, 100);
            if reverse {
                w.reverse();
            }
            drop(w);
            // The next caller waits one slot, as if they had never come.
            assert_eq!(l.reserve(), interval(10.0), "reverse drop order: {reverse}");
        }
    }

    #[test]
    fn a_live_waiter_keeps_its_slot_when_others_around_it_are_dropped() {
        let l = RateLimiter::new(RateLimit::default(), Arc::new(FrozenClock(Instant::now()))).unwrap();
        for _ in 0..3 {
            l.reserve();
        }
        let mut before = waiting(&l, 2); // slots 1, 2
        let live = waiting(&l, 1); // slot 3
        let after = waiting(&l, 5); // slots 4..8
        before.clear();
        drop(after);
        // Slots 1 and 2 are holes before a live waiter; the tail after it is free again.
        assert_eq!(l.reserve(), interval(10.0) * 4);
        drop(live);
    }

    #[test]
    fn burst_of_one_still_sends() {
        let (l, _) = limiter(RateLimit::per_second(5.0, 1));
        assert_eq!(l.reserve(), Duration::ZERO);
        assert_eq!(l.reserve(), interval(5.0));
    }

    #[test]
    fn invalid_limits_are_rejected() {
        for bad in [
            RateLimit::per_second(0.0, 4),
            RateLimit::per_second(f64::NAN, 4),
            RateLimit::per_second(-1.0, 4),
            RateLimit::per_second(10.0, 0),
        ] {
            let err = RateLimiter::new(bad, Arc::new(ManualClock::new())).unwrap_err();
            assert!(matches!(err, Error::InvalidInput { what: "rate limit", .. }), "{bad:?}");
        }
    }
}
