//! Fault injection: make the next N matching requests fail in a chosen way,
//! and hooks that bend pagination links.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use http::Method;

/// What an injected fault does to a request.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultKind {
    /// Answer with this status and a Dixa-style `{"message": ...}` JSON body.
    Status(u16),
    /// Answer with this status and an HTML page, as a proxy or load balancer
    /// would (e.g. a 502 from the edge).
    HtmlStatus(u16),
    /// Answer with this status and an empty body.
    EmptyStatus(u16),
    /// Answer 429 with a `{"message"}` body and, when given, this raw
    /// `Retry-After` header value (`"2"`, an HTTP-date, or anything else).
    TooManyRequests {
        /// The raw `Retry-After` value; `None` sends no header.
        retry_after: Option<String>,
    },
    /// Close the connection with a TCP reset without sending any response.
    ConnectionReset,
    /// Send the real response's status and headers with a `Content-Length`
    /// larger than the body, send half of the body, then close the connection.
    TruncatedBody,
    /// Send a complete, well-framed 200 response whose JSON body is cut in
    /// half (so it does not parse).
    CutJson,
    /// Wait this long before handling the request normally.
    Slow(Duration),
}

/// One fault rule: which requests it matches, what it does, how many times.
///
/// ```
/// use dixa_fake::{Fault, FaultKind, Method};
/// // The next two GETs under /v1/agents answer 503.
/// let f = Fault::new(FaultKind::Status(503)).on(Method::GET, "/v1/agents").times(2);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    pub(crate) kind: FaultKind,
    pub(crate) method: Option<Method>,
    pub(crate) path_prefix: String,
    pub(crate) remaining: usize,
    pub(crate) after_handler: bool,
}

impl Fault {
    /// A fault of `kind` that matches the next request of any method on any
    /// path, once.
    pub fn new(kind: FaultKind) -> Self {
        Fault { kind, method: None, path_prefix: "/".to_owned(), remaining: 1, after_handler: false }
    }

    /// Matches only `method` on paths starting with `path_prefix` (the path
    /// without query, e.g. `/v1/agents`).
    pub fn on(mut self, method: Method, path_prefix: impl Into<String>) -> Self {
        self.method = Some(method);
        self.path_prefix = path_prefix.into();
        self
    }

    /// Matches any method on paths starting with `path_prefix`.
    pub fn on_any_method(mut self, path_prefix: impl Into<String>) -> Self {
        self.method = None;
        self.path_prefix = path_prefix.into();
        self
    }

    /// Applies to the next `n` matching requests (default 1).
    pub fn times(mut self, n: usize) -> Self {
        self.remaining = n;
        self
    }

    /// Runs the request's handler first (its side effect is applied and
    /// counted), then replaces the response with the fault: the case of a
    /// POST that succeeded on the server but whose answer was lost.
    /// Ignored for [`FaultKind::Slow`].
    pub fn after_handler(mut self) -> Self {
        self.after_handler = true;
        self
    }

    fn matches(&self, method: &Method, path: &str) -> bool {
        self.remaining > 0 && self.method.as_ref().is_none_or(|m| m == method) && path.starts_with(&self.path_prefix)
    }
}

/// A persistent pagination hook (until [`Faults::clear`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum LinkHook {
    /// Pages after the first repeat the cursor they were requested with.
    Repeat,
    /// `meta.next` points at another host.
    Foreign,
    /// The last page with items links to one more, empty, page.
    EmptyFinalPage,
}

#[derive(Default)]
pub(crate) struct FaultsInner {
    armed: AtomicBool,
    rules: Mutex<Vec<Fault>>,
    hooks_armed: AtomicBool,
    hooks: Mutex<Vec<(String, LinkHook)>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl FaultsInner {
    /// Takes one use of the first rule matching the request, if any. The
    /// atomic flag keeps the common no-fault case free of locking.
    pub(crate) fn take(&self, method: &Method, path: &str) -> Option<Fault> {
        if !self.armed.load(Ordering::Acquire) {
            return None;
        }
        let mut rules = lock(&self.rules);
        let pos = rules.iter().position(|r| r.matches(method, path))?;
        rules[pos].remaining -= 1;
        let fault = rules[pos].clone();
        if rules[pos].remaining == 0 {
            rules.remove(pos);
        }
        if rules.is_empty() {
            self.armed.store(false, Ordering::Release);
        }
        Some(fault)
    }

    /// The hooks that apply to a list served at `path`.
    pub(crate) fn hooks_for(&self, path: &str) -> Vec<LinkHook> {
        if !self.hooks_armed.load(Ordering::Acquire) {
            return Vec::new();
        }
        lock(&self.hooks)
            .iter()
            .filter(|(prefix, _)| path.starts_with(prefix.as_str()))
            .map(|(_, h)| h.clone())
            .collect()
    }
}

/// A handle to inject faults into a running [`crate::FakeDixa`]; cheap to
/// clone, usable from any thread.
#[derive(Clone)]
pub struct Faults {
    pub(crate) inner: Arc<FaultsInner>,
}

impl std::fmt::Debug for Faults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Faults").field("pending", &self.pending()).finish()
    }
}

impl Faults {
    /// Arms `fault`. Rules are tried in the order they were injected; each
    /// matching request uses up one of the first matching rule's `times`.
    pub fn inject(&self, fault: Fault) -> &Self {
        if fault.remaining > 0 {
            lock(&self.inner.rules).push(fault);
            self.inner.armed.store(true, Ordering::Release);
        }
        self
    }

    /// The next `times` requests of `method` under `path_prefix` answer
    /// `status` with a `{"message"}` body (use 429 via
    /// [`Faults::too_many_requests`] to control `Retry-After`).
    pub fn status(&self, method: Method, path_prefix: &str, status: u16, times: usize) -> &Self {
        self.inject(Fault::new(FaultKind::Status(status)).on(method, path_prefix).times(times))
    }

    /// The next `times` requests answer `status` with an HTML body.
    pub fn html_status(&self, method: Method, path_prefix: &str, status: u16, times: usize) -> &Self {
        self.inject(Fault::new(FaultKind::HtmlStatus(status)).on(method, path_prefix).times(times))
    }

    /// The next `times` requests answer 429, with `Retry-After: <secs>` when
    /// `retry_after_secs` is given and no such header otherwise.
    pub fn too_many_requests(
        &self,
        method: Method,
        path_prefix: &str,
        retry_after_secs: Option<u64>,
        times: usize,
    ) -> &Self {
        let kind = FaultKind::TooManyRequests { retry_after: retry_after_secs.map(|s| s.to_string()) };
        self.inject(Fault::new(kind).on(method, path_prefix).times(times))
    }

    /// The next `times` requests have their connection reset, unanswered.
    pub fn connection_reset(&self, method: Method, path_prefix: &str, times: usize) -> &Self {
        self.inject(Fault::new(FaultKind::ConnectionReset).on(method, path_prefix).times(times))
    }

    /// The next `times` responses are cut short of their `Content-Length`.
    pub fn truncated_body(&self, method: Method, path_prefix: &str, times: usize) -> &Self {
        self.inject(Fault::new(FaultKind::TruncatedBody).on(method, path_prefix).times(times))
    }

    /// The next `times` responses are 200s whose JSON is cut in half.
    pub fn cut_json(&self, method: Method, path_prefix: &str, times: usize) -> &Self {
        self.inject(Fault::new(FaultKind::CutJson).on(method, path_prefix).times(times))
    }

    /// The next `times` requests are delayed by `delay`, then served.
    pub fn slow(&self, method: Method, path_prefix: &str, delay: Duration, times: usize) -> &Self {
        self.inject(Fault::new(FaultKind::Slow(delay)).on(method, path_prefix).times(times))
    }

    /// From the second page on, lists under `path_prefix` answer with a
    /// `meta.next` equal to the link that fetched the page: a client that does
    /// not guard against repeated cursors loops forever.
    pub fn repeat_next_link(&self, path_prefix: &str) -> &Self {
        self.hook(path_prefix, LinkHook::Repeat)
    }

    /// Lists under `path_prefix` answer with a `meta.next` on another host
    /// (`http://127.0.0.2:<port>`, where nothing listens for the fake).
    pub fn foreign_next_link(&self, path_prefix: &str) -> &Self {
        self.hook(path_prefix, LinkHook::Foreign)
    }

    /// Lists under `path_prefix` end with one extra page that has no items
    /// and no `meta.next`.
    pub fn empty_final_page(&self, path_prefix: &str) -> &Self {
        self.hook(path_prefix, LinkHook::EmptyFinalPage)
    }

    fn hook(&self, path_prefix: &str, hook: LinkHook) -> &Self {
        lock(&self.inner.hooks).push((path_prefix.to_owned(), hook));
        self.inner.hooks_armed.store(true, Ordering::Release);
        self
    }

    /// Disarms every pending fault and pagination hook.
    pub fn clear(&self) {
        lock(&self.inner.rules).clear();
        self.inner.armed.store(false, Ordering::Release);
        lock(&self.inner.hooks).clear();
        self.inner.hooks_armed.store(false, Ordering::Release);
    }

    /// How many faulted requests are still pending, summed over all rules.
    pub fn pending(&self) -> usize {
        lock(&self.inner.rules).iter().map(|r| r.remaining).sum()
    }
}
