//! A fleet of adaptive clients on one key, simulated in virtual time: N
//! [`Local`] limiters (the real ones, with their real adaptive rule) each
//! driving 4 tasks against a server bucket like Dixa's (10/s, bursts of 4),
//! with the client's default retry waits after a 429. Seeded, so each run
//! is the same run: the figures below are properties of the code, not of
//! the machine, and a change to the adaptive rule that makes a fleet
//! noisier fails here before anyone runs the (wall-clock) `limiter` bench.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::time::{Duration, Instant};

use super::local::Local;
use super::{RateLimit, Signal};

const RATE: f64 = 10.0;
const BURST: f64 = 4.0;
const TASKS: usize = 4;
/// The client's default retry policy for a 429 without `Retry-After`.
const MAX_ATTEMPTS: u32 = 4;
const THROTTLE_BASE_SECS: f64 = 1.0;
const MAX_DELAY_SECS: f64 = 20.0;

/// What one simulated run counted at the server after the warm-up.
#[derive(Debug, Default)]
struct Counted {
    requests: u64,
    refused: u64,
}

// Ordered only to sit in the heap: ties in time are broken by the sequence
// number before an event is ever compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    /// A task wants a permit (attempt number).
    Wants { client: usize, attempt: u32 },
    /// The client's limiter may have a permit now.
    Poll { client: usize },
    /// A request reaches the server.
    Arrives { client: usize, attempt: u32, sent_at: u64 },
    /// Its answer reaches the client.
    Answer { client: usize, attempt: u32, sent_at: u64, accepted: bool },
}

struct Fleet {
    base: Instant,
    clients: Vec<Local>,
    /// Attempts waiting for a permit, per client, first come first served.
    waiting: Vec<VecDeque<u32>>,
    /// A poll already scheduled, per client (one at a time).
    poll_at: Vec<Option<u64>>,
    /// (time, sequence number, event): earliest first, then in order of scheduling.
    events: BinaryHeap<Reverse<(u64, u64, Event)>>,
    scheduled: u64,
    rng: fastrand::Rng,
    tokens: f64,
    refilled_at: u64,
}

/// Nanoseconds of virtual time.
fn ns(secs: f64) -> u64 {
    (secs * 1e9) as u64
}

impl Fleet {
    fn new(n: usize, seed: u64) -> Fleet {
        let base = Instant::now();
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut fleet = Fleet {
            base,
            clients: Vec::new(),
            waiting: vec![VecDeque::new(); n],
            poll_at: vec![None; n],
            events: BinaryHeap::new(),
            scheduled: 0,
            rng: fastrand::Rng::with_seed(seed ^ 0x5eed),
            tokens: BURST,
            refilled_at: 0,
        };
        for client in 0..n {
            // Processes started together, within 50 ms of each other.
            let start = ns(rng.f64() * 0.05);
            let local = Local::new(RateLimit::default(), true, base + Duration::from_nanos(start)).unwrap();
            local.seed_jitter(rng.u64(..));
            fleet.clients.push(local);
            for _ in 0..TASKS {
                fleet.at(start, Event::Wants { client, attempt: 1 });
            }
        }
        fleet
    }

    fn at(&mut self, t: u64, event: Event) {
        self.scheduled += 1;
        self.events.push(Reverse((t, self.scheduled, event)));
    }

    fn instant(&self, t: u64) -> Instant {
        self.base + Duration::from_nanos(t)
    }

    fn poll_later(&mut self, client: usize, t: u64) {
        if self.poll_at[client].is_none_or(|p| p > t) {
            self.poll_at[client] = Some(t);
            self.at(t, Event::Poll { client });
        }
    }

    /// Runs `secs` of virtual time; counts what the server saw after `warmup`.
    fn run(mut self, warmup: f64, secs: f64) -> Counted {
        let (warmup, end) = (ns(warmup), ns(warmup + secs));
        let mut counted = Counted::default();
        while let Some(Reverse((t, _, event))) = self.events.pop() {
            if t > end {
                break;
            }
            match event {
                Event::Wants { client, attempt } => {
                    self.waiting[client].push_back(attempt);
                    self.poll_later(client, t);
                }
                Event::Poll { client } => {
                    if self.poll_at[client] != Some(t) {
                        continue;
                    }
                    self.poll_at[client] = None;
                    if self.waiting[client].is_empty() {
                        continue;
                    }
                    match self.clients[client].try_take(self.instant(t)) {
                        Ok(()) => {
                            let attempt = self.waiting[client].pop_front().unwrap();
                            let delay = ns(0.0004 + self.rng.f64() * 0.0008);
                            self.at(t + delay, Event::Arrives { client, attempt, sent_at: t });
                            self.poll_later(client, t);
                        }
                        Err(wait) => self.poll_later(client, t + (wait.as_nanos() as u64).max(1)),
                    }
                }
                Event::Arrives { client, attempt, sent_at } => {
                    let elapsed = (t - self.refilled_at) as f64 / 1e9;
                    self.tokens = (self.tokens + elapsed * RATE).min(BURST);
                    self.refilled_at = t;
                    let accepted = self.tokens >= 1.0;
                    if accepted {
                        self.tokens -= 1.0;
                    }
                    if t >= warmup {
                        counted.requests += 1;
                        counted.refused += u64::from(!accepted);
                    }
                    let delay = ns(0.0005 + self.rng.f64() * 0.0005);
                    self.at(t + delay, Event::Answer { client, attempt, sent_at, accepted });
                }
                Event::Answer { client, attempt, sent_at, accepted } => {
                    let signal = if accepted { Signal::Accepted } else { Signal::Throttled { retry_after: None } };
                    self.clients[client].observe_answer(signal, self.instant(sent_at), self.instant(t));
                    if accepted || attempt >= MAX_ATTEMPTS {
                        self.at(t, Event::Wants { client, attempt: 1 });
                    } else {
                        let cap = (THROTTLE_BASE_SECS * f64::from(1u32 << (attempt - 1))).min(MAX_DELAY_SECS);
                        let wait = ns(cap * self.rng.f64());
                        self.at(t + wait, Event::Wants { client, attempt: attempt + 1 });
                    }
                    // The limiter's rate may have changed: look again.
                    self.poll_later(client, t);
                }
            }
        }
        counted
    }
}

/// 429 share and accepted/s as a fraction of the limit, summed over seeds.
fn fleet(n: usize, seeds: u64, warmup: f64, secs: f64) -> (f64, f64) {
    let (mut requests, mut refused) = (0, 0);
    for seed in 0..seeds {
        let c = Fleet::new(n, seed).run(warmup, secs);
        requests += c.requests;
        refused += c.refused;
    }
    let accepted = (requests - refused) as f64 / (seeds as f64 * secs * RATE);
    (refused as f64 / requests.max(1) as f64, accepted)
}

/// The `limiter` bench's scenario (N processes, 4 tasks each, cold start
/// together, counted for a minute after a 5 s warm-up), 20 seeds each.
/// The 429 bound is the (under 2% of requests); the throughput
/// bounds are what each fleet size reaches with the current rule, less a
/// margin, so that a rule that buys fewer 429s with idle capacity fails too.
/// Figures with this rule (with the rule before it):
/// N=1 0% at 0.980; N=2 0.27% at 0.836; N=4 0.32% at 0.906 (0.75% at
/// 0.905); N=8 0.42% at 0.895; N=16 1.40% at 0.853 (2.55% at 0.823).
/// The first 30 s alone, at N=16: 2.24% (the fleet is still settling from
/// its cold start; the bench prints both halves of its window).
#[test]
fn fleets_on_one_key_settle_under_two_percent_429s() {
    // (processes, highest 429 share, lowest accepted fraction of the limit)
    let rows = [(1, 0.0, 0.97), (2, 0.02, 0.80), (4, 0.02, 0.85), (8, 0.02, 0.85), (16, 0.02, 0.80)];
    for (n, max_refused, min_accepted) in rows {
        let (refused, accepted) = fleet(n, 20, 5.0, 60.0);
        assert!(refused <= max_refused, "N={n}: {:.2}% of requests answered 429", refused * 100.0);
        assert!(accepted >= min_accepted, "N={n}: {accepted:.3} of the limit");
    }
}
