//! Request and side-effect counters.
//!
//! Counters for the known routes are allocated once at start-up and bumped
//! with relaxed atomics, so counting adds no lock to the hot path. Only
//! requests to unknown routes (rare, and always a client bug) take a mutex.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use http::Method;

const METHODS: [&str; 6] = ["GET", "POST", "PUT", "PATCH", "DELETE", "OTHER"];

fn method_slot(method: &Method) -> usize {
    match *method {
        Method::GET => 0,
        Method::POST => 1,
        Method::PUT => 2,
        Method::PATCH => 3,
        Method::DELETE => 4,
        _ => 5,
    }
}

#[derive(Default)]
struct Slot {
    received: AtomicU64,
    side_effects: AtomicU64,
}

/// The live counters, shared by every request handler.
/// Distinct (method, path) pairs of unmatched requests kept apart; the
/// rest are counted under ([`OTHER`], [`OTHER`]).
pub(crate) const MAX_UNMATCHED: usize = 1000;

/// The key under which unmatched requests beyond [`MAX_UNMATCHED`] distinct
/// ones are counted (method and path both).
pub(crate) const OTHER: &str = "(other)";

pub(crate) struct Counters {
    routes: HashMap<&'static str, [Slot; 6]>,
    unmatched: Mutex<BTreeMap<(String, String), u64>>,
    statuses: Vec<AtomicU64>,
    rate_limited: AtomicU64,
}

impl Counters {
    pub(crate) fn new(templates: &[&'static str]) -> Self {
        Counters {
            routes: templates.iter().map(|t| (*t, Default::default())).collect(),
            unmatched: Mutex::new(BTreeMap::new()),
            statuses: (0..600).map(|_| AtomicU64::new(0)).collect(),
            rate_limited: AtomicU64::new(0),
        }
    }

    fn slot(&self, method: &Method, template: &str) -> Option<&Slot> {
        self.routes.get(template).map(|s| &s[method_slot(method)])
    }

    pub(crate) fn received(&self, method: &Method, template: Option<&str>, path: &str) {
        match template.and_then(|t| self.slot(method, t)) {
            Some(slot) => {
                slot.received.fetch_add(1, Ordering::Relaxed);
            }
            None => {
                // A poisoned lock only means another request panicked while
                // counting; the map itself is still consistent.
                let mut map = self.unmatched.lock().unwrap_or_else(|e| e.into_inner());
                let key = (method.as_str().to_owned(), path.to_owned());
                // Past the cap, new paths share one entry, so a long-running
                // fake probed with endless distinct paths stays bounded.
                let key = if map.len() >= MAX_UNMATCHED && !map.contains_key(&key) {
                    (OTHER.to_owned(), OTHER.to_owned())
                } else {
                    key
                };
                *map.entry(key).or_default() += 1;
            }
        }
    }

    pub(crate) fn side_effect(&self, method: &Method, template: &str) {
        if let Some(slot) = self.slot(method, template) {
            slot.side_effects.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn status(&self, status: u16) {
        if let Some(c) = self.statuses.get(status as usize) {
            c.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn rate_limited(&self) {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn reset(&self) {
        for slots in self.routes.values() {
            for s in slots {
                s.received.store(0, Ordering::Relaxed);
                s.side_effects.store(0, Ordering::Relaxed);
            }
        }
        self.unmatched.lock().unwrap_or_else(|e| e.into_inner()).clear();
        for s in &self.statuses {
            s.store(0, Ordering::Relaxed);
        }
        self.rate_limited.store(0, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> Stats {
        let mut routes = BTreeMap::new();
        for (template, slots) in &self.routes {
            for (i, s) in slots.iter().enumerate() {
                let received = s.received.load(Ordering::Relaxed);
                let side_effects = s.side_effects.load(Ordering::Relaxed);
                if received > 0 || side_effects > 0 {
                    routes
                        .insert((METHODS[i].to_owned(), (*template).to_owned()), RouteStats { received, side_effects });
                }
            }
        }
        let unmatched = self.unmatched.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let statuses = self
            .statuses
            .iter()
            .enumerate()
            .filter_map(|(code, c)| {
                let n = c.load(Ordering::Relaxed);
                (n > 0).then_some((code as u16, n))
            })
            .collect();
        Stats { routes, unmatched, statuses, rate_limited: self.rate_limited.load(Ordering::Relaxed) }
    }
}

/// Counts for one (method, path template) pair.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RouteStats {
    /// Requests that reached the server, whatever happened to them (faults,
    /// 401, 429 and 4xx included).
    pub received: u64,
    /// Requests whose handler changed the fake's state (a created agent, a
    /// tagged conversation, ...). A faulted, throttled or rejected request
    /// never counts; a fault injected *after* the handler does.
    pub side_effects: u64,
}

/// A snapshot of the fake's counters, taken by [`crate::FakeDixa::stats`].
///
/// Routes are keyed by method and the spec's path template, e.g.
/// `("PUT", "/v1/conversations/{conversationId}/tags/{tagId}")`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    routes: BTreeMap<(String, String), RouteStats>,
    unmatched: BTreeMap<(String, String), u64>,
    statuses: BTreeMap<u16, u64>,
    rate_limited: u64,
}

impl Stats {
    /// Counts for `method` (e.g. `"POST"`) on the path `template`.
    pub fn route(&self, method: &str, template: &str) -> RouteStats {
        self.routes.get(&(method.to_ascii_uppercase(), template.to_owned())).copied().unwrap_or_default()
    }

    /// Requests received for `method` on the path `template`.
    pub fn received(&self, method: &str, template: &str) -> u64 {
        self.route(method, template).received
    }

    /// Side effects applied for `method` on the path `template`.
    pub fn side_effects(&self, method: &str, template: &str) -> u64 {
        self.route(method, template).side_effects
    }

    /// Every request received, on known and unknown routes.
    pub fn total_received(&self) -> u64 {
        self.routes.values().map(|r| r.received).sum::<u64>() + self.unmatched.values().sum::<u64>()
    }

    /// 429 responses sent by the fake's rate limiter (not by injected faults).
    pub fn rate_limited(&self) -> u64 {
        self.rate_limited
    }

    /// Responses sent with `status`, whatever produced them. Connection
    /// resets send no status and are not counted here.
    pub fn responses_with_status(&self, status: u16) -> u64 {
        self.statuses.get(&status).copied().unwrap_or(0)
    }

    /// Requests to paths that match no route, keyed by (method, path); after
    /// 1000 distinct pairs, further new ones are counted under
    /// `("(other)", "(other)")`, so memory stays bounded.
    pub fn unmatched(&self) -> &BTreeMap<(String, String), u64> {
        &self.unmatched
    }

    /// Every (method, template) pair with a non-zero count.
    pub fn routes(&self) -> impl Iterator<Item = ((&str, &str), RouteStats)> {
        self.routes.iter().map(|((m, t), s)| ((m.as_str(), t.as_str()), *s))
    }
}
