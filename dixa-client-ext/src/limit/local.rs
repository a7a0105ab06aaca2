//! [`Local`]: the limiter of one process, a GCRA (the "virtual scheduling"
//! form of a token bucket) whose rate is fixed or adaptive.
//!
//! It answers "a permit now, or how long until one": it never reserves a
//! future slot, so the queue in front of it ([`super::RateLimiter`]) can
//! let waiters leave at any time without leaving holes in a schedule. Waits
//! use the monotonic clock, so wall-clock jumps do not move them. It runs
//! [`super::RATE_MARGIN`] below the configured rate and keeps one token of the
//! burst in reserve (see there why).

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;

use super::adaptive::{self, AdaptiveConfig, AdaptiveState, Observation};
use super::{Limiter, RateLimit, Signal, RATE_MARGIN};

/// The window over which accepted answers are counted for the adaptive cut.
const ACCEPTED_WINDOW: Duration = Duration::from_secs(2);

#[derive(Debug)]
struct Gcra {
    /// Tokens the client may send back to back at the configured rate (the
    /// server's burst less one).
    full_burst: u32,
    /// Tokens it may send back to back at the rate in force (smaller after
    /// an adaptive cut, see [`adaptive::burst_at`]).
    burst: u32,
    /// Time between sends at the (margined) rate in force.
    interval: Duration,
    /// The theoretical arrival time of the next send.
    tat: Option<Instant>,
    /// No send before this (a `Retry-After`).
    paused_until: Option<Instant>,
}

impl Gcra {
    fn new(per_second: f64, server_burst: u32) -> Self {
        let burst = server_burst.saturating_sub(1).max(1);
        let mut g = Gcra { full_burst: burst, burst, interval: Duration::ZERO, tat: None, paused_until: None };
        g.set_rate(per_second);
        g
    }

    fn set_rate(&mut self, per_second: f64) {
        self.interval = Duration::from_secs_f64(1.0 / (per_second * (1.0 - RATE_MARGIN)));
    }

    /// How long until a send conforms (zero: now).
    fn ready_in(&self, now: Instant) -> Duration {
        let tolerance = self.interval * (self.burst - 1);
        let tat = self.tat.map_or(now, |t| t.max(now));
        // The slot opens `tolerance` before its theoretical time.
        let open = tat.checked_sub(tolerance).unwrap_or(tat);
        let paused = self.paused_until.map_or(Duration::ZERO, |p| p.saturating_duration_since(now));
        open.saturating_duration_since(now).max(paused)
    }

    fn take(&mut self, now: Instant) {
        self.tat = Some(self.tat.map_or(now, |t| t.max(now)) + self.interval);
    }

    /// The server just refused a request (a 429): its bucket is empty, so
    /// this one is emptied too: the next permit comes `1 + jitter` (jitter
    /// in `[0, 1)`) intervals from now, with no burst saved up before the
    /// 429 on top. The jitter keeps clients that were refused together
    /// from sending together again one interval later, and again after
    /// that (measured: three clients cut to the same rate by the same
    /// burst of 429s collided every interval for a minute).
    fn empty(&mut self, now: Instant, jitter: f64) {
        let tolerance = self.interval * (self.burst - 1);
        let empty = now + tolerance + self.interval.mul_f64(1.0 + jitter.clamp(0.0, 1.0));
        self.tat = Some(self.tat.map_or(empty, |t| t.max(empty)));
    }

    /// Undoes one [`Gcra::take`]: the theoretical arrival time moves back
    /// one interval (a time already past gives no credit beyond the burst:
    /// [`Gcra::ready_in`] reads it as now).
    fn give_back(&mut self) {
        if let Some(t) = self.tat {
            self.tat = Some(t.checked_sub(self.interval).unwrap_or(t));
        }
    }
}

#[derive(Debug)]
struct State {
    gcra: Gcra,
    /// `Some` when the rate is adaptive.
    adaptive: Option<AdaptiveState>,
    /// When answers that were not 429 arrived, over the last window.
    accepted: VecDeque<Instant>,
    /// Draws the jitter of [`Gcra::empty`].
    rng: fastrand::Rng,
    /// A fixed jitter instead (tests).
    #[cfg(test)]
    fixed_jitter: Option<f64>,
}

impl State {
    fn jitter(&mut self) -> f64 {
        #[cfg(test)]
        if let Some(j) = self.fixed_jitter {
            return j;
        }
        self.rng.f64()
    }
}

/// A token bucket in this process, fixed-rate or adaptive.
#[derive(Debug)]
pub struct Local {
    origin: Instant,
    adaptive: Option<AdaptiveConfig>,
    state: Mutex<State>,
}

impl Local {
    /// A limiter for `limit` (`None` for [`RateLimit::Off`]), adaptive or
    /// not, whose clock starts at `now`. Call [`RateLimit::validate`] first.
    pub fn new(limit: RateLimit, adaptive: bool, now: Instant) -> Option<Self> {
        let RateLimit::TokenBucket { per_second, burst } = limit else { return None };
        let config = adaptive.then(|| AdaptiveConfig::for_rate(per_second));
        Some(Local {
            origin: now,
            adaptive: config,
            state: Mutex::new(State {
                gcra: Gcra::new(per_second, burst),
                adaptive: config.as_ref().map(AdaptiveState::at_ceiling),
                accepted: VecDeque::new(),
                rng: fastrand::Rng::new(),
                #[cfg(test)]
                fixed_jitter: None,
            }),
        })
    }

    /// Seeds the jitter after a 429 (simulations that must repeat).
    #[cfg(test)]
    pub(super) fn seed_jitter(&self, seed: u64) {
        self.state().rng = fastrand::Rng::with_seed(seed);
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Each update completes before anything can panic.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How long until a permit is free, without taking it.
    pub fn ready_in(&self, now: Instant) -> Duration {
        self.state().gcra.ready_in(now)
    }

    /// Takes a permit now, whether or not one is free (the caller has
    /// checked [`Local::ready_in`] and then waited on something else).
    pub fn take(&self, now: Instant) {
        self.state().gcra.take(now);
    }

    /// Gives back a permit taken by [`Local::try_take`] or [`Local::take`]
    /// whose request never went out.
    pub fn give_back(&self) {
        self.state().gcra.give_back();
    }

    /// Spends the burst: the next permit is free now, the one after it a
    /// full interval later (a limiter taking over from another).
    pub fn drain_burst(&self, now: Instant) {
        let mut s = self.state();
        let tolerance = s.gcra.interval * (s.gcra.burst - 1);
        s.gcra.tat = Some(now + tolerance);
    }

    /// Takes a permit if one is free now, else says how long until one is.
    pub fn try_take(&self, now: Instant) -> Result<(), Duration> {
        let mut s = self.state();
        match s.gcra.ready_in(now) {
            wait if wait.is_zero() => {
                s.gcra.take(now);
                Ok(())
            }
            wait => Err(wait),
        }
    }

    /// The rate in force, in requests per second (before the margin).
    pub fn rate(&self) -> f64 {
        let s = self.state();
        s.adaptive.map_or(1.0 / s.gcra.interval.as_secs_f64() / (1.0 - RATE_MARGIN), |a| a.rate)
    }

    fn secs(&self, t: Instant) -> f64 {
        t.saturating_duration_since(self.origin).as_secs_f64()
    }

    /// Feeds an answer to the adaptive rate (no-op when fixed).
    pub fn observe_answer(&self, signal: Signal, sent_at: Instant, now: Instant) {
        let Some(config) = &self.adaptive else { return };
        let mut guard = self.state();
        let s = &mut *guard;
        let Some(before) = s.adaptive else { return };
        while s.accepted.front().is_some_and(|&t| now.saturating_duration_since(t) > ACCEPTED_WINDOW) {
            s.accepted.pop_front();
        }
        if signal == Signal::Accepted {
            s.accepted.push_back(now);
        }
        // Counted to the window's resolution: "none in the window" says
        // the share is under one per window, not that it is zero (which
        // would cut to the floor, measured: 7 of 16 clients starting
        // together sat at the floor, 0.1/s, for minutes).
        let accepted_rate = (now.saturating_duration_since(self.origin) >= ACCEPTED_WINDOW)
            .then(|| s.accepted.len().max(1) as f64 / ACCEPTED_WINDOW.as_secs_f64());
        let obs = Observation { signal, sent_at: self.secs(sent_at), now: self.secs(now), accepted_rate };
        let after = adaptive::next_rate(config, &before, &obs);
        if after.rate != before.rate {
            if after.rate < before.rate {
                tracing::debug!(
                    from = before.rate,
                    to = after.rate,
                    "rate limited by the server: lowering the client's rate"
                );
            }
            s.gcra.set_rate(after.rate);
            s.gcra.burst = adaptive::burst_at(config, s.gcra.full_burst, after.rate);
        }
        if matches!(signal, Signal::Throttled { .. }) {
            let jitter = s.jitter();
            s.gcra.empty(now, jitter);
        }
        s.gcra.paused_until = after.paused_until.map(|p| self.origin + Duration::from_secs_f64(p));
        s.adaptive = Some(after);
    }
}

impl Limiter for Local {
    fn try_acquire(&self, now: Instant) -> BoxFuture<'_, Result<(), Duration>> {
        Box::pin(std::future::ready(self.try_take(now)))
    }

    fn spacing(&self) -> Duration {
        self.state().gcra.interval
    }

    fn observe(&self, signal: Signal, sent_at: Instant, now: Instant) {
        self.observe_answer(signal, sent_at, now);
    }

    fn refund(&self, _now: Instant) {
        self.give_back();
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::sync::Arc;

    use super::super::{Permit, RateLimiter};
    use super::*;
    use crate::clock::{Clock, ManualClock};
    use crate::error::Error;

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
        let order = Arc::new(Mutex::new(Vec::new()));
        let tasks: Vec<_> = (0..20)
            .map(|i| {
                let (l, order, clock) = (&l, Arc::clone(&order), clock.clone());
                async move {
                    l.acquire().await;
                    order.lock().unwrap().push((i, clock.elapsed()));
                }
            })
            .collect();
        futures::future::join_all(tasks).await;
        let order = order.lock().unwrap().clone();
        let expected: Vec<(usize, Duration)> =
            (0..20).map(|i| (i, interval(10.0) * (i as u32).saturating_sub(2))).collect();
        assert_eq!(order, expected);
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

    /// A clock whose time only moves when the test says so, and whose sleeps
    /// finish once it has: a waiter stays mid-wait until the test moves time.
    #[derive(Clone)]
    struct SteppedClock(ManualClock);

    impl Clock for SteppedClock {
        fn now(&self) -> Instant {
            self.0.now()
        }
        fn wall(&self) -> std::time::SystemTime {
            self.0.wall()
        }
        fn sleep(&self, d: Duration) -> BoxFuture<'static, ()> {
            let (clock, until) = (self.0.clone(), self.0.elapsed() + d);
            Box::pin(futures::future::poll_fn(move |cx| {
                if clock.elapsed() >= until {
                    std::task::Poll::Ready(())
                } else {
                    // The test polls again after moving time.
                    let _ = cx;
                    std::task::Poll::Pending
                }
            }))
        }
    }

    type Waiter<'a> = std::pin::Pin<Box<dyn Future<Output = Duration> + 'a>>;

    /// Polls every waiter once; returns the indices that completed.
    fn poll_all(waiters: &mut [Option<Waiter<'_>>]) -> Vec<usize> {
        let waker = futures::task::noop_waker();
        let mut cx = std::task::Context::from_waker(&waker);
        let mut done = Vec::new();
        for (i, w) in waiters.iter_mut().enumerate() {
            if let Some(f) = w {
                if f.as_mut().poll(&mut cx).is_ready() {
                    *w = None;
                    done.push(i);
                }
            }
        }
        done
    }

    /// The whole point of the queue: callers that leave (timeouts around
    /// calls) never hold back the ones behind them, wherever they stood.
    #[test]
    fn cancelled_waiters_never_hold_back_the_ones_behind() {
        for pattern in ["head", "middle", "alternate", "all-but-last"] {
            let clock = SteppedClock(ManualClock::new());
            let l = RateLimiter::new(RateLimit::default(), Arc::new(clock.clone())).unwrap();
            let mut waiters: Vec<Option<Waiter<'_>>> =
                (0..12).map(|_| Some(Box::pin(l.acquire()) as Waiter<'_>)).collect();
            // The first 3 go at once (the burst); the rest queue.
            assert_eq!(poll_all(&mut waiters), vec![0, 1, 2], "{pattern}");
            let cancel: Vec<usize> = match pattern {
                "head" => vec![3],
                "middle" => vec![5, 6, 7],
                "alternate" => vec![3, 5, 7, 9],
                _ => (3..11).collect(),
            };
            for &i in &cancel {
                waiters[i] = None;
            }
            // One interval at a time, the next LIVE waiter in order goes.
            let live: Vec<usize> = (3..12).filter(|i| !cancel.contains(i)).collect();
            let mut served = Vec::new();
            for _ in &live {
                clock.0.advance(interval(10.0));
                let done = poll_all(&mut waiters);
                assert_eq!(done.len(), 1, "{pattern}: exactly one per interval, got {done:?}");
                served.extend(done);
            }
            assert_eq!(served, live, "{pattern}: in arrival order, no slot lost to the cancelled");
        }
    }

    /// A permit dropped before it was spent (its caller went away before
    /// the request went out) goes back; one dropped after it was spent
    /// (the request may have reached the server) does not.
    #[tokio::test]
    async fn an_unspent_permit_is_given_back_and_a_spent_one_is_not() {
        // (what, how the permit ends, the next caller's wait)
        type Row = (&'static str, fn(Permit<'_>), Duration);
        let rows: [Row; 2] = [
            ("dropped before sending: given back", |p| drop(p), Duration::ZERO),
            (
                "spent (the request went out), then dropped",
                |p| {
                    let _ = p.spend();
                },
                interval(1.0),
            ),
        ];
        for (what, end, next_wait) in rows {
            // One request per second, one at a time: the first permit is free.
            let (l, clock) = limiter(RateLimit::per_second(1.0, 2));
            let permit = l.permit_before(None).await.unwrap();
            assert_eq!(permit.waited(), Duration::ZERO, "{what}");
            end(permit);
            assert_eq!(l.acquire().await, next_wait, "{what}");
            assert_eq!(clock.elapsed(), next_wait, "{what}");
        }
        // Given back twice in a row (two callers gone) still leaves only
        // the burst: no credit piles up.
        let (l, clock) = limiter(RateLimit::per_second(1.0, 2));
        drop(l.permit_before(None).await.unwrap());
        drop(l.permit_before(None).await.unwrap());
        l.acquire().await;
        assert_eq!(clock.elapsed(), Duration::ZERO);
        l.acquire().await;
        assert_eq!(clock.elapsed(), interval(1.0), "one permit back, not two");
    }

    /// The first in line, asleep until the next permit, takes a permit that
    /// comes back at once, without waiting for its sleep; the ones behind
    /// keep their order.
    #[test]
    fn a_permit_given_back_goes_to_the_first_in_line_at_once() {
        let clock = SteppedClock(ManualClock::new());
        let l = RateLimiter::new(RateLimit::per_second(1.0, 2), Arc::new(clock.clone())).unwrap();
        let waker = futures::task::noop_waker();
        let mut cx = std::task::Context::from_waker(&waker);
        let mut first = Box::pin(l.permit_before(None));
        let std::task::Poll::Ready(Ok(permit)) = first.as_mut().poll(&mut cx) else { panic!("the first is free") };
        drop(first);
        let mut waiters: Vec<Option<Waiter<'_>>> = (0..2).map(|_| Some(Box::pin(l.acquire()) as Waiter<'_>)).collect();
        assert!(poll_all(&mut waiters).is_empty(), "both wait for the next second");
        // The holder goes away before sending: the head takes the permit now.
        drop(permit);
        assert_eq!(poll_all(&mut waiters), vec![0]);
        assert_eq!(clock.0.elapsed(), Duration::ZERO);
        // The next one still waits a whole interval.
        assert!(poll_all(&mut waiters).is_empty());
        clock.0.advance(interval(1.0));
        assert_eq!(poll_all(&mut waiters), vec![1]);
    }

    #[tokio::test]
    async fn a_deadline_before_the_permit_fails_at_once_and_leaves_the_line() {
        let (l, clock) = limiter(RateLimit::per_second(1.0, 1));
        l.acquire().await;
        let deadline = clock.now() + Duration::from_millis(500);
        assert_eq!(l.acquire_before(Some(deadline)).await, Err(interval(1.0)));
        assert!(clock.sleeps().is_empty());
        assert_eq!(l.waiting(), 0);
        // A deadline after the permit is met.
        let deadline = clock.now() + Duration::from_secs(2);
        assert_eq!(l.acquire_before(Some(deadline)).await, Ok(interval(1.0)));
    }

    #[tokio::test]
    async fn a_deadline_behind_a_long_line_fails_before_joining_it() {
        let clock = SteppedClock(ManualClock::new());
        let l = RateLimiter::new(RateLimit::default(), Arc::new(clock.clone())).unwrap();
        let mut waiters: Vec<Option<Waiter<'_>>> = (0..13).map(|_| Some(Box::pin(l.acquire()) as Waiter<'_>)).collect();
        poll_all(&mut waiters);
        assert_eq!(l.waiting(), 10);
        let deadline = clock.now() + Duration::from_millis(500);
        assert_eq!(l.acquire_before(Some(deadline)).await, Err(interval(10.0) * 10));
        assert_eq!(l.waiting(), 10);
    }

    /// An adaptive limiter that has run for a whole window at `rate`
    /// answers accepted, as of `t0` (so a cut at `t0` is measured, not blind).
    fn warmed(rate: u32, t0: Instant) -> Local {
        let window = Duration::from_secs(2);
        let local = Local::new(RateLimit::default(), true, t0 - window - window).unwrap();
        for i in 0..rate * 2 {
            let at = t0 - window + window / (rate * 2) * (i + 1);
            local.observe_answer(Signal::Accepted, at, at);
        }
        local
    }

    #[tokio::test]
    async fn adaptive_rate_slows_down_after_a_429_and_honours_retry_after() {
        let clock = ManualClock::new();
        let t0 = clock.now() + Duration::from_secs(10);
        let local = warmed(10, t0);
        local.observe_answer(Signal::Throttled { retry_after: None }, t0, t0);
        assert!((local.rate() - 5.0).abs() < 1e-9);
        assert_eq!(local.spacing(), interval(5.0));
        // A Retry-After pauses every permit until it has passed.
        local.observe_answer(Signal::Throttled { retry_after: Some(Duration::from_secs(3)) }, t0, t0);
        assert_eq!(local.ready_in(t0), Duration::from_secs(3));
        let later = t0 + Duration::from_secs(10);
        local.observe_answer(Signal::Accepted, later, later);
        assert_eq!(local.rate(), 10.0, "recovered after 10 s without a 429");
        // A fixed-rate limiter ignores the answers.
        let fixed = Local::new(RateLimit::default(), false, t0).unwrap();
        // A cut in the first window (no measured rate yet, a cold start
        // among others) remembers only the rate it cut to: 10 s on, no climb.
        let cold = Local::new(RateLimit::default(), true, t0).unwrap();
        cold.observe_answer(Signal::Throttled { retry_after: None }, t0, t0);
        cold.observe_answer(Signal::Accepted, later, later);
        assert!((cold.rate() - 5.0).abs() < 1e-9, "{}", cold.rate());
        fixed.observe_answer(Signal::Throttled { retry_after: Some(Duration::from_secs(3)) }, t0, t0);
        assert!((fixed.rate() - 10.0).abs() < 1e-6);
        assert_eq!(fixed.ready_in(t0), Duration::ZERO);
    }

    /// After a 429 the client sends no clump: its bucket is emptied (the
    /// next permit is one interval of the new rate later) and its burst
    /// shrinks with its rate; back at the ceiling, the full burst returns.
    #[test]
    fn a_429_empties_the_bucket_and_a_cut_shrinks_the_burst() {
        let clock = ManualClock::new();
        let t0 = clock.now() + Duration::from_secs(10);
        let local = warmed(10, t0);
        local.state().fixed_jitter = Some(0.0);
        assert_eq!(local.try_take(t0), Ok(()), "one of the burst of 3 used");
        local.observe_answer(Signal::Throttled { retry_after: None }, t0, t0);
        assert!((local.rate() - 5.0).abs() < 1e-9);
        assert_eq!(local.ready_in(t0), interval(5.0), "no burst saved up before the 429");
        // At 5/s the burst is 1 (of 3): however long it waits, one at a time.
        let later = t0 + Duration::from_secs(1);
        local.observe_answer(Signal::Throttled { retry_after: None }, t0, later);
        let refilled = later + interval(5.0) * 10;
        assert_eq!(local.try_take(refilled), Ok(()));
        assert!(local.try_take(refilled).is_err());
        // A 429 that arrives while the bucket is already empty further out
        // does not move it closer.
        let before = local.ready_in(refilled);
        local.observe_answer(Signal::Throttled { retry_after: None }, t0, refilled);
        assert!(local.ready_in(refilled) >= before);
        // Back at the ceiling: the full burst of 3.
        let recovered = refilled + Duration::from_secs(30);
        local.observe_answer(Signal::Accepted, recovered, recovered);
        assert_eq!(local.rate(), 10.0);
        for _ in 0..3 {
            assert_eq!(local.try_take(recovered + Duration::from_secs(5)), Ok(()));
        }
        assert!(local.try_take(recovered + Duration::from_secs(5)).is_err());
    }

    /// The wait after a 429 is one interval plus a random part of one, so
    /// clients refused together do not send together again.
    #[test]
    fn the_wait_after_a_429_is_jittered() {
        let clock = ManualClock::new();
        let t0 = clock.now();
        for (jitter, wait) in [(0.0, 1.0), (0.5, 1.5), (0.999, 1.999), (7.0, 2.0)] {
            let local = Local::new(RateLimit::per_second(1.0, 2), true, t0).unwrap();
            local.state().fixed_jitter = Some(jitter);
            local.observe_answer(Signal::Throttled { retry_after: None }, t0, t0);
            let expected = interval(0.5).mul_f64(wait);
            let got = local.ready_in(t0);
            assert!(got.abs_diff(expected) < Duration::from_micros(1), "jitter {jitter}: {got:?} != {expected:?}");
        }
        // Drawn: within [1, 2) intervals, and not all the same.
        let waits: Vec<Duration> = (0..20)
            .map(|_| {
                let local = Local::new(RateLimit::per_second(1.0, 2), true, t0).unwrap();
                local.observe_answer(Signal::Throttled { retry_after: None }, t0, t0);
                local.ready_in(t0)
            })
            .collect();
        assert!(waits.iter().all(|w| *w >= interval(0.5) && *w < interval(0.5) * 2), "{waits:?}");
        assert!(waits.iter().any(|w| *w != waits[0]), "{waits:?}");
    }

    #[test]
    fn burst_of_one_still_sends() {
        let l = Local::new(RateLimit::per_second(5.0, 1), false, Instant::now()).unwrap();
        let now = Instant::now();
        assert_eq!(l.try_take(now), Ok(()));
        assert_eq!(l.try_take(now), Err(interval(5.0)));
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
