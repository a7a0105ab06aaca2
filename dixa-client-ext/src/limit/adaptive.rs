//! The adaptive rate: after a 429 the client lowers its own rate, and when
//! the 429s stop it climbs back, gradually, to the configured rate (never
//! above: Dixa's limit is known). [`next_rate`] decides; it is a pure
//! function of the state, the configuration and one observation, so it is
//! tested by tables like [`crate::retry::decide`].
//!
//! The shape follows the CUBIC-style token bucket of aws-sdk-rust's adaptive
//! retry mode (a multiplicative cut on a throttle, then a cubic climb that is
//! fast far from the rate of the last cut, flat near it, and probes beyond it),
//! with four changes for an API whose limit is known and low:
//!
//! - the ceiling is the configured rate;
//! - one cut per "generation": a 429 for a request sent before the last cut
//!   says nothing about the new rate (it left at the old one), so it does not
//!   cut again; otherwise the requests in flight at the first 429 would cut
//!   the rate to the floor one after another;
//! - the climb back to the last cut's rate takes [`AdaptiveConfig::recovery`]
//!   scaled by `(ceiling / rate at the cut)^1.5`: a client that was cut at a
//!   tenth of the limit (it shares the key with about ten others) climbs about
//!   thirty times more slowly, so a fleet of N clients probes the server less
//!   often than one client would, instead of N times as often. (In the
//!   fleet simulation of the tests, 16 clients over a minute after a cold
//!   start: plain ratio 1.66% of requests answered 429 at 0.844 of the
//!   limit, power 1.5 1.40% at 0.853, power 2 1.13% at 0.867 but two
//!   clients then fill only 0.812 of it, against 0.836.)
//! - a climb never lowers the rate. CUBIC's curve starts at `beta` times
//!   the rate it remembers; after a fast-convergence cut (below) that is
//!   under the rate the cut set, so without this rule the first answer after
//!   such a cut lowered the rate a second time, to 0.375 of what the client
//!   had sent at (RFC 8312 starts the curve at the rate the cut set).
//!
//! The rate cut is taken from the smaller of the current rate and the rate
//! of accepted answers measured over the last window (when known): a client
//! that only got 2 of its 10 requests per second through learns its share in
//! one cut instead of several.
//!
//! A cut the client makes before it has run for a whole window (so with no
//! measured rate: typically a cold start with others already on the key,
//! or many clients starting together) remembers only the rate it cut to,
//! not the rate it was cut from: those requests were sent at a rate that
//! no answer had yet confirmed, so there is nothing to climb back to. (N
//! clients starting together at the configured rate each cut three or four
//! times in their first second; remembering the rates they were cut from
//! left the fleet's remembered rates adding up to about twice the limit,
//! and the climbs back to them were refused for the next half minute.)
//!
//! The rate the climb levels off at (`last_max`) follows CUBIC's "fast
//! convergence" (RFC 8312, 4.6): when a cut comes from below the last
//! cut's rate, the client remembers `(1 + beta) / 2` of it (0.75), not all of it.
//! The accepted rates of N clients measured while the server was
//! refusing add up to the limit exactly, so without it the fleet's climbs
//! level off at the limit itself, where a burst of 4 at the server refuses
//! every chance clump of requests from independent clients; with it they
//! level off below it.
//!
//! A `Retry-After` also pauses the whole client until it has passed (capped
//! at [`AdaptiveConfig::max_pause`]).
//!
//! Two rules keep a client that shares the key from sending in clumps, which
//! a server bucket of 4 refuses even when the fleet's average is under the
//! limit: a 429 empties the client's own bucket (the next request goes one
//! whole interval later, no burst saved up before it; the limiter applies
//! this), and below the ceiling the client's burst shrinks with its rate
//! ([`burst_at`]): a client running at a quarter of the limit holds a
//! quarter of the server's burst, not all of it. (Before these rules, a
//! cut, which lengthens the interval, lengthened the burst tolerance with
//! it and released two or three requests at once right after each 429.)

use std::time::Duration;

use super::Signal;

/// The constants of the adaptive rate.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct AdaptiveConfig {
    /// The configured rate: never exceeded (requests per second).
    pub ceiling: f64,
    /// The lowest rate a cut goes to (requests per second).
    pub floor: f64,
    /// The factor of a cut (0.5: see [`AdaptiveConfig::for_rate`]).
    pub beta: f64,
    /// How long a lone client (cut from the ceiling) takes to climb back.
    pub recovery: Duration,
    /// The longest `Retry-After` pause honoured.
    pub max_pause: Duration,
}

impl AdaptiveConfig {
    /// The defaults for a configured rate of `ceiling` per second: floor
    /// at 1% of it, cut by 0.5, 10 s to recover, pauses up to 60 s.
    ///
    /// The cut is TCP Reno's halving rather than CUBIC's and aws-sdk-rust's
    /// 0.7: the server's burst (4 at Dixa) leaves a fleet of clients on one
    /// key almost no room for chance clumps, so headroom below the limit is
    /// worth more than a fast return to it; a lone client, which the margin
    /// keeps from 429s anyway, still climbs back within the recovery time.
    /// Measured with 16 processes on one key (20 s windows): 0.7 gave 7.3%
    /// of the requests answered 429, 0.5 gave 3.4-5.0%.
    pub fn for_rate(ceiling: f64) -> Self {
        AdaptiveConfig {
            ceiling,
            floor: ceiling / 100.0,
            beta: 0.5,
            recovery: Duration::from_secs(10),
            max_pause: Duration::from_secs(60),
        }
    }
}

/// Where the adaptive rate stands. Times are seconds since the limiter began.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdaptiveState {
    /// The rate in force (requests per second).
    pub rate: f64,
    /// The rate just before the last cut (CUBIC's `W_max`).
    pub last_max: f64,
    /// When the last cut happened; `None` at the ceiling.
    pub last_cut: Option<f64>,
    /// No request before this time (from a `Retry-After`).
    pub paused_until: Option<f64>,
}

impl AdaptiveState {
    /// At the ceiling, no cut, no pause.
    pub fn at_ceiling(config: &AdaptiveConfig) -> Self {
        AdaptiveState { rate: config.ceiling, last_max: config.ceiling, last_cut: None, paused_until: None }
    }
}

/// One answer from the server, as the adaptive rate sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observation {
    /// What the server said.
    pub signal: Signal,
    /// When the request was sent (seconds since the limiter began).
    pub sent_at: f64,
    /// Now (seconds since the limiter began).
    pub now: f64,
    /// Answers that were not 429 per second over the last window, if the
    /// limiter has run for a whole window.
    pub accepted_rate: Option<f64>,
}

/// The longest climb back, whatever the ratio of ceiling to cut.
const MAX_RECOVERY_SECS: f64 = 600.0;

/// The power of `ceiling / last cut's rate` that lengthens the climb back
/// (see the module docs).
const RECOVERY_SHARE_POWER: f64 = 1.5;

/// The next state after `obs` (see the module docs for the rule).
pub fn next_rate(config: &AdaptiveConfig, state: &AdaptiveState, obs: &Observation) -> AdaptiveState {
    let mut next = *state;
    // A pause that has passed is forgotten.
    if next.paused_until.is_some_and(|p| p <= obs.now) {
        next.paused_until = None;
    }
    match obs.signal {
        Signal::Throttled { retry_after } => {
            if let Some(after) = retry_after {
                let until = obs.now + after.min(config.max_pause).as_secs_f64();
                next.paused_until = Some(next.paused_until.map_or(until, |p| p.max(until)));
            }
            if state.last_cut.is_some_and(|cut| obs.sent_at <= cut) {
                // Sent at the old rate (or as it was cut): no news about the new one.
                return next;
            }
            let base = match obs.accepted_rate {
                Some(accepted) => accepted.min(state.rate),
                None => state.rate,
            };
            // CUBIC's fast convergence: cut below the last cut's rate, the
            // client remembers less than it had, so the climb levels off
            // below its share and the fleet below the limit (see the docs).
            let remembered = if base < state.last_max { base * (1.0 + config.beta) / 2.0 } else { base };
            next.rate = (base * config.beta).clamp(config.floor, config.ceiling);
            // No measured rate yet: nothing confirmed above the new rate.
            next.last_max = match obs.accepted_rate {
                Some(_) => remembered.clamp(config.floor, config.ceiling),
                None => next.rate,
            };
            next.last_cut = Some(obs.now);
        }
        Signal::Accepted => {
            let Some(cut) = state.last_cut else { return next };
            let rate = cubic(config, state.last_max, obs.now - cut);
            if rate >= config.ceiling {
                next.rate = config.ceiling;
                next.last_max = config.ceiling;
                next.last_cut = None;
            } else {
                // The curve starts below a fast-convergence cut's rate: wait for it.
                next.rate = rate.max(config.floor).max(state.rate);
            }
        }
    }
    next
}

/// How many requests a client may send back to back at `rate`, when it may
/// send `full` at the ceiling: in proportion to its share of the ceiling,
/// rounded down, at least one.
pub fn burst_at(config: &AdaptiveConfig, full: u32, rate: f64) -> u32 {
    let share = (rate / config.ceiling).clamp(0.0, 1.0);
    // The epsilon keeps an exact share (3 x 2/3) from rounding down.
    ((f64::from(full) * share + 1e-9).floor() as u32).clamp(1, full.max(1))
}

/// The CUBIC curve `t` seconds after a cut from `last_max`: `beta * last_max`
/// at 0, back to `last_max` at the recovery time `k`, then probing beyond.
fn cubic(config: &AdaptiveConfig, last_max: f64, t: f64) -> f64 {
    let share = (config.ceiling / last_max.max(config.floor)).max(1.0);
    let k = (config.recovery.as_secs_f64() * share.powf(RECOVERY_SHARE_POWER)).clamp(f64::EPSILON, MAX_RECOVERY_SECS);
    let c = last_max * (1.0 - config.beta) / k.powi(3);
    last_max + c * (t.max(0.0) - k).powi(3)
}

#[cfg(test)]
mod tests {
    use super::*;

    const THROTTLED: Signal = Signal::Throttled { retry_after: None };

    fn config() -> AdaptiveConfig {
        AdaptiveConfig::for_rate(10.0)
    }

    fn state(rate: f64, last_max: f64, last_cut: Option<f64>) -> AdaptiveState {
        AdaptiveState { rate, last_max, last_cut, paused_until: None }
    }

    fn obs(signal: Signal, sent_at: f64, now: f64, accepted_rate: Option<f64>) -> Observation {
        Observation { signal, sent_at, now, accepted_rate }
    }

    /// What, state before, observation, expected rate, last_max and last_cut.
    type Row = (&'static str, AdaptiveState, Observation, f64, f64, Option<f64>);

    #[test]
    fn decision_table() {
        let c = config();
        let rows: Vec<Row> = vec![
            (
                "success at the ceiling stays there",
                AdaptiveState::at_ceiling(&c),
                obs(Signal::Accepted, 0.9, 1.0, None),
                10.0,
                10.0,
                None,
            ),
            (
                "first 429 cuts by beta",
                AdaptiveState::at_ceiling(&c),
                obs(THROTTLED, 4.9, 5.0, Some(10.0)),
                5.0,
                10.0,
                Some(5.0),
            ),
            (
                "a 429 for a request sent before the cut does not cut again",
                state(5.0, 10.0, Some(5.0)),
                obs(THROTTLED, 4.95, 5.1, None),
                5.0,
                10.0,
                Some(5.0),
            ),
            (
                "a 429 for a request sent after the cut cuts again (fast convergence remembers 0.75 of it)",
                state(5.0, 10.0, Some(5.0)),
                obs(THROTTLED, 5.2, 5.3, Some(5.0)),
                2.5,
                3.75,
                Some(5.3),
            ),
            (
                "the measured accepted rate sets the base when lower",
                AdaptiveState::at_ceiling(&c),
                obs(THROTTLED, 9.0, 9.0, Some(2.0)),
                1.0,
                1.5,
                Some(9.0),
            ),
            (
                "a cut from at or above the last cut's rate remembers all of it",
                state(8.0, 8.0, Some(1.0)),
                obs(THROTTLED, 3.0, 3.0, Some(8.0)),
                4.0,
                8.0,
                Some(3.0),
            ),
            (
                "a measured rate above the current rate is ignored",
                state(5.0, 7.0, Some(1.0)),
                obs(THROTTLED, 3.0, 3.0, Some(9.0)),
                2.5,
                3.75,
                Some(3.0),
            ),
            (
                "a cut before a whole window has run (no measured rate) remembers only the rate it cut to",
                AdaptiveState::at_ceiling(&c),
                obs(THROTTLED, 0.4, 0.5, None),
                5.0,
                5.0,
                Some(0.5),
            ),
            (
                "cuts stop at the floor",
                state(0.1, 0.12, Some(1.0)),
                obs(THROTTLED, 2.0, 2.0, None),
                0.1,
                0.1,
                Some(2.0),
            ),
            (
                "just after a cut the climb starts at the cut rate",
                state(5.0, 10.0, Some(5.0)),
                obs(Signal::Accepted, 5.0, 5.0, None),
                5.0,
                10.0,
                Some(5.0),
            ),
            (
                "halfway through the recovery time: 5 + 5 * (1 - 1/8)",
                state(5.0, 10.0, Some(0.0)),
                obs(Signal::Accepted, 5.0, 5.0, None),
                9.375,
                10.0,
                Some(0.0),
            ),
            (
                "back at the ceiling after the recovery time, cut forgotten",
                state(9.9, 10.0, Some(0.0)),
                obs(Signal::Accepted, 10.0, 10.0, None),
                10.0,
                10.0,
                None,
            ),
            (
                "a client cut at a quarter of the limit climbs 4^1.5 = 8x more slowly: 80 s to get back",
                state(1.25, 2.5, Some(0.0)),
                obs(Signal::Accepted, 40.0, 40.0, None),
                2.5 - 1.25 / 8.0,
                2.5,
                Some(0.0),
            ),
            (
                "and probes beyond its last cut after that",
                state(2.5, 2.5, Some(0.0)),
                obs(Signal::Accepted, 160.0, 160.0, None),
                3.75,
                2.5,
                Some(0.0),
            ),
            (
                "a climb never lowers the rate: after a fast-convergence cut the curve starts below it",
                state(2.5, 3.75, Some(5.3)),
                obs(Signal::Accepted, 5.4, 5.4, None),
                2.5,
                3.75,
                Some(5.3),
            ),
            (
                "never above the ceiling",
                state(9.0, 9.9, Some(0.0)),
                obs(Signal::Accepted, 1000.0, 1000.0, None),
                10.0,
                10.0,
                None,
            ),
        ];
        for (what, before, o, rate, last_max, last_cut) in rows {
            let after = next_rate(&c, &before, &o);
            assert!((after.rate - rate).abs() < 1e-9, "{what}: rate {} != {rate}", after.rate);
            assert!((after.last_max - last_max).abs() < 1e-9, "{what}: last_max {} != {last_max}", after.last_max);
            assert_eq!(after.last_cut, last_cut, "{what}");
            assert!(after.rate <= c.ceiling && after.rate >= c.floor, "{what}");
        }
    }

    #[test]
    fn the_burst_shrinks_with_the_rate() {
        let c = config();
        // (full burst, rate, burst at that rate)
        let rows = [
            (3, 10.0, 3),
            (3, 9.99, 2),
            (3, 7.0, 2),
            (3, 20.0 / 3.0, 2),
            (3, 6.0, 1),
            (3, 0.6, 1),
            (3, 0.1, 1),
            (1, 10.0, 1),
            (1, 0.1, 1),
            (9, 5.0, 4),
        ];
        for (full, rate, burst) in rows {
            assert_eq!(burst_at(&c, full, rate), burst, "full {full} at {rate}/s");
        }
    }

    #[test]
    fn retry_after_pauses_even_without_a_cut() {
        let c = config();
        let cut = state(7.0, 10.0, Some(5.0));
        let ra = |s| Signal::Throttled { retry_after: Some(Duration::from_secs(s)) };
        // Sent before the cut: no new cut, but the pause holds.
        let after = next_rate(&c, &cut, &obs(ra(3), 4.0, 6.0, None));
        assert_eq!((after.rate, after.paused_until), (7.0, Some(9.0)));
        // A longer one extends it, a shorter one does not shorten it.
        let after = next_rate(&c, &after, &obs(ra(1), 4.0, 6.5, None));
        assert_eq!(after.paused_until, Some(9.0));
        // Capped at max_pause.
        let after = next_rate(&c, &cut, &obs(ra(3600), 4.0, 6.0, None));
        assert_eq!(after.paused_until, Some(66.0));
        // Forgotten once passed.
        let after = next_rate(&c, &after, &obs(Signal::Accepted, 70.0, 70.0, None));
        assert_eq!(after.paused_until, None);
    }

    #[test]
    fn the_climb_is_monotonic_and_reaches_the_ceiling() {
        let c = config();
        let mut s = next_rate(&c, &AdaptiveState::at_ceiling(&c), &obs(THROTTLED, 0.0, 0.0, Some(10.0)));
        let mut previous = s.rate;
        for tenth in 1..=200 {
            let t = f64::from(tenth) / 10.0;
            s = next_rate(&c, &s, &obs(Signal::Accepted, t, t, None));
            assert!(s.rate >= previous, "at {t} s: {} < {previous}", s.rate);
            previous = s.rate;
        }
        assert_eq!(s.rate, 10.0);
        assert_eq!(s.last_cut, None);
    }
}
