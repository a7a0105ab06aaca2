//! Client-side rate limiting: one [`Limiter`] trait with three
//! implementations, behind one first-come-first-served front door,
//! [`RateLimiter`], shared by every clone of a client.
//!
//! - [`local::Local`]: a GCRA token bucket in this process (Dixa's 10/s,
//!   bursts of 4, by default).
//! - adaptive: the same bucket whose rate follows [`adaptive::next_rate`], a
//!   pure function of what the server answered: after a 429 the client slows
//!   itself down, and climbs back gradually when the 429s stop (on by
//!   default, see [`crate::config::Config::adaptive_rate`]).
//! - [`shared`]: one budget in Redis for every process on every machine that
//!   uses the same API key (cargo feature `redis`).
//!
//! # Why a queue in front, and nothing reserved
//!
//! A limiter that hands every caller a future send slot at once has to get
//! the slot back when the caller goes away (a `tokio::time::timeout` or a
//! `select!` around the call). A slot in the middle of the schedule cannot be
//! given to anyone else without breaking the order, so a storm of cancelled
//! callers leaves the schedule full of slots no one uses, and the live ones
//! wait behind them: 100 workers with 5 s timeouts at 10/s got 0.0 calls/s.
//!
//! Here waiters queue in arrival order and only the one at the head asks the
//! limiter, with [`Limiter::try_acquire`]: "a permit now, or how long until
//! there may be one". Nothing is reserved while anyone waits, so a waiter
//! that leaves, at the head or behind it, costs the others nothing: the next
//! one simply moves up. Only the head sleeps (on the injected clock); the
//! others are parked until they reach the head, so there is no polling.
//!
//! # A permit is spent only by a request that goes out
//!
//! The same storm also cancels callers just AFTER their permit came: in a
//! saturated line with a uniform caller timeout, the waiter at the head is
//! always the oldest one, with only moments left, and its timer and its
//! permit often fire in the same wake-up. A permit taken by a caller that
//! then goes away sends nothing, yet it would use up one of the server's
//! requests for that second. So a permit is a guard, [`Permit`]: the
//! transport marks it [`Permit::spend`] as it hands the request to the
//! connection, and a permit dropped before that is given back to the
//! limiter ([`Limiter::refund`]) and the head of the line is woken to take
//! it at once. (Before spending it, the transport yields once, so a caller
//! whose own timeout fired in the same wake-up gives the permit back rather
//! than sending a request no one waits for.) A permit dropped after it was
//! spent is not given back: the request may have reached the server.

pub mod adaptive;
mod fifo;
#[cfg(test)]
mod fleet_sim;
pub mod local;
pub mod shared;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;

use crate::clock::Clock;
use crate::error::{Error, Result};

pub use shared::SharedLimit;

/// The fraction by which the limiter runs below the configured rate.
///
/// Matching the server's bucket exactly is not enough: requests reach the
/// server later than they leave, by a varying amount, so two requests sent
/// one slot apart can arrive closer together, and a server bucket that is one
/// token short rejects the second. The limiter therefore runs this much (2%)
/// below the configured rate and keeps one token of the configured burst in
/// reserve (burst 4 sends at most 3 back to back). That absorbs an arrival
/// jitter of about one slot (100 ms at 10/s) and costs 2% of throughput.
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

/// What the server said about a request a limiter let through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// An answer that was not a 429 (any status: the server did not throttle it).
    Accepted,
    /// A 429, with the `Retry-After` it carried, if any (already parsed).
    Throttled {
        /// How long the server asked the client to wait.
        retry_after: Option<Duration>,
    },
}

/// A source of send permits. Implementations reserve nothing for a caller
/// that is told to wait, so callers may give up at any time.
pub trait Limiter: Send + Sync + fmt::Debug {
    /// Takes a permit if one is free at `now`; otherwise says how long until
    /// one may be (`Err(wait)`, never zero), taking nothing.
    fn try_acquire(&self, now: Instant) -> BoxFuture<'_, std::result::Result<(), Duration>>;

    /// The time between permits at the current rate: the front door's
    /// estimate of how long each waiter ahead of a caller takes.
    fn spacing(&self) -> Duration;

    /// What the server answered to a request sent at `sent_at`.
    fn observe(&self, signal: Signal, sent_at: Instant, now: Instant);

    /// Takes back a permit given by [`Limiter::try_acquire`] whose request
    /// never went out (its caller gave up first): the budget is as if it
    /// had not been taken.
    fn refund(&self, now: Instant);
}

/// The limiter every clone of a client shares: callers are served first
/// come, first served, one permit at a time from the configured
/// [`Limiter`] (see the module docs).
pub struct RateLimiter {
    clock: Arc<dyn Clock>,
    inner: Option<(Arc<dyn Limiter>, fifo::Fifo)>,
}

impl fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiter").field("limiter", &self.inner.as_ref().map(|(l, _)| l)).finish_non_exhaustive()
    }
}

impl RateLimiter {
    /// A local, fixed-rate limiter for `limit` on `clock` (not adaptive).
    pub fn new(limit: RateLimit, clock: Arc<dyn Clock>) -> Result<Self> {
        limit.validate()?;
        let limiter = local::Local::new(limit, false, clock.now()).map(|l| Arc::new(l) as Arc<dyn Limiter>);
        Ok(Self::with_limiter(limiter, clock))
    }

    /// A front door for `limiter` (`None`: no limit).
    pub fn with_limiter(limiter: Option<Arc<dyn Limiter>>, clock: Arc<dyn Clock>) -> Self {
        RateLimiter { clock, inner: limiter.map(|l| (l, fifo::Fifo::default())) }
    }

    /// The limiter a [`Config`](crate::config::Config) asks for: local,
    /// adaptive unless turned off, shared through Redis when configured.
    pub fn from_config(config: &crate::config::Config) -> Result<Self> {
        let limit = *config.rate_limit_config();
        limit.validate()?;
        let clock = Arc::clone(&config.clock);
        let adaptive = config.adaptive;
        let limiter: Option<Arc<dyn Limiter>> = match (&config.shared_limit, limit) {
            (_, RateLimit::Off) => None,
            (Some(shared), limit) => Some(shared.build(limit, config.api_key(), Arc::clone(&clock), adaptive)?),
            (None, limit) => local::Local::new(limit, adaptive, clock.now()).map(|l| Arc::new(l) as Arc<dyn Limiter>),
        };
        Ok(Self::with_limiter(limiter, clock))
    }

    /// Waits (on the injected clock) until a request may be sent, and
    /// returns how long that was; the permit is spent (see
    /// [`RateLimiter::permit_before`] for one that can be given back).
    /// Dropped mid-wait, it leaves the queue and the waiters behind it move up.
    pub async fn acquire(&self) -> Duration {
        match self.acquire_before(None).await {
            Ok(wait) | Err(wait) => wait,
        }
    }

    /// Like [`RateLimiter::acquire`], but gives up, without sleeping past
    /// it, when the permit would come at or after `deadline`: `Err(wait)`
    /// with the wait it would have taken (an estimate when others are ahead:
    /// one [`Limiter::spacing`] each). A call that cannot be sent before its
    /// deadline should fail now rather than sleep past it.
    pub async fn acquire_before(&self, deadline: Option<Instant>) -> std::result::Result<Duration, Duration> {
        self.permit_before(deadline).await.map(Permit::spend)
    }

    /// Like [`RateLimiter::acquire_before`], but the permit is a guard:
    /// dropped before [`Permit::spend`] (its caller went away before the
    /// request went out), it is given back to the limiter, and the first
    /// waiter in line takes it at once.
    pub async fn permit_before(&self, deadline: Option<Instant>) -> std::result::Result<Permit<'_>, Duration> {
        let Some((limiter, fifo)) = &self.inner else {
            return Ok(Permit { door: None, waited: Duration::ZERO });
        };
        let start = self.clock.now();
        let (ticket, ahead) = fifo.join();
        if let Some(deadline) = deadline {
            // Everyone ahead takes at least one spacing (unless they leave).
            let estimate = limiter.spacing() * u32::try_from(ahead).unwrap_or(u32::MAX);
            if ahead > 0 && start + estimate >= deadline {
                return Err(estimate);
            }
        }
        ticket.turn().await;
        loop {
            let now = self.clock.now();
            match limiter.try_acquire(now).await {
                Ok(()) => {
                    ticket.done();
                    let waited = self.clock.now().saturating_duration_since(start);
                    return Ok(Permit { door: Some(self), waited });
                }
                Err(wait) => {
                    let waited = now.saturating_duration_since(start);
                    if deadline.is_some_and(|d| now + wait >= d) {
                        return Err(waited + wait);
                    }
                    ticket.sleep_or_returned(self.clock.sleep(wait)).await;
                }
            }
        }
    }

    /// A permit that was not spent goes back.
    fn refund(&self) {
        if let Some((limiter, fifo)) = &self.inner {
            limiter.refund(self.clock.now());
            fifo.permit_returned();
        }
    }

    /// Tells the limiter what the server answered (the adaptive rate and
    /// `Retry-After` pauses follow it).
    pub fn observe(&self, signal: Signal, sent_at: Instant) {
        if let Some((limiter, _)) = &self.inner {
            limiter.observe(signal, sent_at, self.clock.now());
        }
    }

    /// Whether a limit is in force.
    pub fn is_enabled(&self) -> bool {
        self.inner.is_some()
    }

    /// Callers waiting for a permit right now.
    pub fn waiting(&self) -> usize {
        self.inner.as_ref().map_or(0, |(_, fifo)| fifo.len())
    }
}

/// A permit from [`RateLimiter::permit_before`]: spend it as the request
/// goes out; dropped unspent, it goes back to the limiter (see the module
/// docs).
#[must_use = "a permit dropped unspent is given back"]
pub struct Permit<'a> {
    /// `None` once spent (or when there is no limit).
    door: Option<&'a RateLimiter>,
    waited: Duration,
}

impl fmt::Debug for Permit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit").field("waited", &self.waited).field("spent", &self.door.is_none()).finish()
    }
}

impl Permit<'_> {
    /// How long the caller waited for it.
    pub fn waited(&self) -> Duration {
        self.waited
    }

    /// The request is going out: the permit is used, never given back.
    /// Returns how long the caller waited for it.
    pub fn spend(mut self) -> Duration {
        self.door = None;
        self.waited
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if let Some(door) = self.door.take() {
            tracing::trace!("a rate-limit permit was given back unused (its caller went away before sending)");
            door.refund();
        }
    }
}
