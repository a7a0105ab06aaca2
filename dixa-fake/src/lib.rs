//! An in-process fake Dixa API server on loopback.
//!
//! `dixa-fake` is the whole project's test double and the quick start's
//! embedded default: an HTTP/1.1 server on `127.0.0.1` that answers the Dixa
//! API v1 endpoints with realistic, deterministic data in exactly the wire
//! shapes of the spec (envelopes, `meta.next` links, `_type` tags on `oneOf`
//! variants), plus the misbehaviours a production client must survive:
//! rate limiting with and without `Retry-After`, 5xx and HTML error pages,
//! connection resets, truncated bodies, slow responses, repeating and foreign
//! next links. It deliberately does not depend on `dixa-client`: it is a pure
//! JSON server, so it also tests the client's decoding honestly.
//!
//! ```no_run
//! # async fn demo() {
//! use dixa_fake::{FakeDixa, Method};
//! let fake = FakeDixa::builder().agents(30).end_users(1_000).spawn().await;
//! let url = format!("{}/v1/agents?pageLimit=10", fake.base_url());
//! // ... point a client at `fake.base_url()` ...
//! fake.faults().status(Method::POST, "/v1/agents", 503, 1);
//! assert_eq!(fake.stats().side_effects("POST", "/v1/agents"), 0);
//! # }
//! ```
//!
//! # Data
//! Sizes are set on the builder; everything else derives from the index of
//! an entity, so two fakes with the same sizes serve identical bytes. End
//! users are generated per request, never stored (100,000 cost nothing).
//! Ids are UUIDs (conversation ids are integers from 10001); the accessors on
//! [`FakeDixa`] (`agent_id`, `end_user_id`, ...) give the id of entity `i`.
//!
//! # Pagination
//! Lists take `pageLimit` (default 50, at most 1000) and answer
//! `{"data": [...], "meta": {"next": ..., "previous": ...}}`. `meta.next` is
//! root-relative by default (`/v1/agents?pageKey=...`; the conversation
//! search adds Dixa's trailing slash: `/v1/search/conversations/?pageKey=`),
//! absolute with [`FakeDixaBuilder::absolute_next_links`]. A `pageKey`
//! encodes the whole original query: a request that carries one together
//! with any parameter other than `pageLimit` gets a 400, so tests can prove a
//! client never re-sends its first query. The last page has no `meta.next`.
//!
//! # Endpoints
//! Every operation of the wire spec (`spec/dixa-v1.wire.json`, embedded):
//! the routing table is derived from it, so an operation is answered the
//! day the spec has it, and a method the spec lacks on a known path is a
//! 405. Every request is first checked against the operation (path and
//! query parameters, body shape, types, required fields, enums, `_type`
//! tags); a violation is a 400 `{"message": "Invalid value for: body.agentIds[0] (...)"}`
//! naming the field.
//!
//! Stateful handlers serve what tests and the tour need (paths and
//! parameter names are the spec's; they key [`Stats`]):
//! - agents: `GET|POST|PUT|PATCH /v1/agents` (list paginated, filters `email`
//!   / `phone`; PUT and PATCH are bulk), `POST /v1/agents/bulk`,
//!   `GET /v1/agents/presence` (a bare array),
//!   `GET|PATCH|PUT|DELETE /v1/agents/{agentId}`,
//!   `GET /v1/agents/{agentId}/presence`, `GET /v1/agents/{agentId}/teams`
//! - end users: `GET|POST|PUT|PATCH /v1/endusers` (list paginated, filters
//!   `email` / `phone` / `externalId`; PUT and PATCH are bulk),
//!   `POST /v1/endusers/bulk`, `GET|PATCH|PUT /v1/endusers/{userId}`,
//!   `GET /v1/endusers/{userId}/conversations` (paginated)
//! - conversations: `GET /v1/conversations/{conversationId}`, `.../messages`,
//!   `.../tags`, `.../activitylog`, `PUT|DELETE .../tags/{tagId}`;
//!   `GET /v1/conversations/activitylog` (paginated, `fromDatetime` /
//!   `toDatetime`); `GET /v1/search/conversations?query=` (paginated,
//!   trailing-slash next)
//! - `GET|POST /v1/tags`, `GET /v1/tags/{tagId}`,
//!   `PATCH /v1/tags/{tagId}/activate|deactivate`
//! - `GET /v1/queues`, `GET /v1/queues/{queueId}`,
//!   `GET|PATCH|DELETE /v1/queues/{queueId}/members` (at most 10 ids a
//!   call, DELETE with a JSON body)
//! - `GET|POST /v1/teams`, `GET|DELETE /v1/teams/{teamId}`,
//!   `GET|PATCH|DELETE /v1/teams/{teamId}/agents` (DELETE with a JSON body),
//!   `GET /v1/teams/{teamId}/presence` (paginated)
//! - `GET /v1/analytics/metrics`, `GET /v1/analytics/filter/{filterAttribute}`
//!   and `GET /v1/analytics/records` (all paginated); `POST /v1/analytics/records`
//!   (paginated by re-posting the same body with `?pageKey=`; another body
//!   with that key is a 400)
//!
//! Together these cover every paginated operation of the spec. Every other
//! operation answers its success status with a schema-valid body built from
//! the spec's schemas and examples (`_type` tags included; the path's id
//! echoed where the answer has an `id` of that shape).
//!
//! Bulk endpoints answer one `BulkActionSuccess` / `BulkActionFailure` per
//! item; failures carry an `error` tagged `NotFound` (unknown id),
//! `Validation` (bad input, e.g. an empty `displayName`) or `EmptyPatchSet`
//! (a patch with nothing to change). Unknown paths answer 404
//! `{"message": ...}`.
//!
//! # Faults and counters
//! [`FakeDixa::faults`] arms [`Fault`]s for the next N requests matching a
//! method and a path prefix (status codes with JSON, HTML or empty bodies,
//! 429 with or without `Retry-After`, connection resets, truncated or cut
//! bodies, slow answers) and pagination hooks (repeating, foreign-host and
//! empty-final-page next links). [`FakeDixa::stats`] counts requests
//! received and side effects applied per (method, path template), so a test
//! can prove that a POST ran exactly once.

#![warn(missing_docs)]

mod data;
mod error;
mod faults;
mod model;
mod pagination;
mod routes;
mod sample;
mod server;
mod spec;
mod state;
mod stats;
mod validate;

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use faults::{Fault, FaultKind, Faults};

/// The wire spec the fake serves (`spec/dixa-v1.wire.json`, embedded), for
/// contract tests of a client: every operation with its parameters and
/// schemas, and schema-valid sample values (`_type` tags included) to build
/// requests from.
pub mod wire {
    pub use crate::spec::{Location, Param, RequestBody, SpecOperation};

    /// Every operation of the wire spec, in document order.
    pub fn operations() -> &'static [SpecOperation] {
        &crate::spec::Spec::get().operations
    }

    /// The whole wire document (schemas are `$ref`s into it).
    pub fn document() -> &'static serde_json::Value {
        &crate::spec::Spec::get().doc
    }

    /// A schema-valid sample of `schema`; `name` is the property or
    /// parameter it is for (it picks realistic strings).
    pub fn sample(schema: &serde_json::Value, name: &str) -> serde_json::Value {
        crate::sample::sample(document(), schema, name)
    }
}
pub use http::Method;
pub use stats::{RouteStats, Stats};

use crate::data::{uuid, Kind};
use crate::server::{App, Config};

/// How the rate limiter's 429 responses carry `Retry-After`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RetryAfterMode {
    /// No `Retry-After` header (Dixa does not document one).
    #[default]
    None,
    /// `Retry-After: <n>`, always this many seconds.
    Seconds(u64),
    /// `Retry-After: <HTTP-date>`: now plus the time until a token is free,
    /// rounded up to whole seconds (at least one).
    HttpDate,
}

/// Configures a [`FakeDixa`] before it starts. Defaults: 25 agents, 250 end
/// users, 120 conversations, no latency, no rate limit, root-relative links,
/// any (or no) API key accepted.
#[derive(Clone)]
pub struct FakeDixaBuilder {
    config: Config,
}

impl std::fmt::Debug for FakeDixaBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeDixaBuilder").field("config", &self.config).finish()
    }
}

impl Default for FakeDixaBuilder {
    fn default() -> Self {
        FakeDixaBuilder {
            config: Config {
                agents: 25,
                end_users: 250,
                conversations: 120,
                page_latency: Duration::ZERO,
                rate_limit: None,
                retry_after: RetryAfterMode::None,
                absolute_next_links: false,
                api_key: None,
                unknown_conversation: None,
            },
        }
    }
}

impl FakeDixaBuilder {
    /// Number of seed agents (with names, e-mails, phone numbers, roles).
    pub fn agents(mut self, n: usize) -> Self {
        self.config.agents = n;
        self
    }

    /// Number of seed end users, generated on the fly (100,000 is cheap).
    pub fn end_users(mut self, n: usize) -> Self {
        self.config.end_users = n;
        self
    }

    /// Number of conversations, rotating through the channels (email, chat,
    /// sms, pstn phone, messenger, facebook messenger, whatsapp, contact
    /// form, twitter, generic, anonymized).
    pub fn conversations(mut self, n: usize) -> Self {
        self.config.conversations = n;
        self
    }

    /// Server-side latency added to every page of a paginated list.
    pub fn page_latency(mut self, latency: Duration) -> Self {
        self.config.page_latency = latency;
        self
    }

    /// A token bucket per API key: `rps` tokens per second, at most `burst`
    /// at once. Requests over it get 429 (see [`Self::retry_after`]).
    pub fn rate_limit(mut self, rps: u32, burst: u32) -> Self {
        self.config.rate_limit = Some((rps, burst));
        self
    }

    /// How rate-limited responses carry `Retry-After` (default: not at all).
    pub fn retry_after(mut self, mode: RetryAfterMode) -> Self {
        self.config.retry_after = mode;
        self
    }

    /// Absolute `meta.next` links (`http://127.0.0.1:PORT/v1/...`) instead of
    /// the default root-relative ones, as some deployments send.
    pub fn absolute_next_links(mut self, absolute: bool) -> Self {
        self.config.absolute_next_links = absolute;
        self
    }

    /// When set, requests must carry this key in `Authorization`, raw or as
    /// `Bearer <key>`; others get 401 `{"message": ...}`.
    pub fn api_key(mut self, key: Option<String>) -> Self {
        self.config.api_key = key;
        self
    }

    /// Makes conversation `index` an `InstagramConversation`, a variant the
    /// spec does not know, wherever it appears (by id, in the end user's
    /// conversation list, its messages with `InstagramAttributes`), so
    /// forward-compatibility can be tested.
    pub fn with_unknown_conversation_type(mut self, index: usize) -> Self {
        self.config.unknown_conversation = Some(index);
        self
    }

    /// Starts the server on `127.0.0.1:0` on the current tokio runtime.
    ///
    /// # Panics
    /// If no loopback port can be bound: the machine cannot run any test
    /// server then. Use [`Self::try_spawn`] to handle that as an error.
    pub async fn spawn(self) -> FakeDixa {
        match self.try_spawn().await {
            Ok(fake) => fake,
            Err(e) => panic!("dixa-fake: cannot listen on 127.0.0.1: {e}"),
        }
    }

    /// Starts the server on `127.0.0.1:0`, or says why it could not.
    pub async fn try_spawn(self) -> std::io::Result<FakeDixa> {
        self.try_spawn_on_port(0).await
    }

    /// Starts the server on `127.0.0.1:port` (0 picks a free port).
    pub async fn try_spawn_on_port(self, port: u16) -> std::io::Result<FakeDixa> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let (app, router) = self.assemble(listener.local_addr()?.port());
        let (tx, rx) = watch::channel(false);
        let task = tokio::spawn(server::serve(listener, router, rx));
        Ok(FakeDixa { app, shutdown: tx, task: Some(task), runtime: None })
    }

    /// Starts the server on its own two-thread tokio runtime, so it never
    /// competes with the caller's runtime (benchmarks, blocking callers).
    /// Usable inside or outside an async context.
    pub fn spawn_dedicated(self) -> std::io::Result<FakeDixa> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("dixa-fake")
            .enable_all()
            .build()?;
        let std_listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        std_listener.set_nonblocking(true)?;
        let (app, router) = self.assemble(std_listener.local_addr()?.port());
        let (tx, rx) = watch::channel(false);
        let task = runtime.spawn(async move {
            // from_std needs a runtime context: this task runs in the fake's.
            if let Ok(listener) = TcpListener::from_std(std_listener) {
                server::serve(listener, router, rx).await;
            }
        });
        Ok(FakeDixa { app, shutdown: tx, task: Some(task), runtime: Some(runtime) })
    }

    fn assemble(self, port: u16) -> (Arc<App>, axum::Router) {
        let routes = routes::routes();
        let templates = routes::templates();
        let app = Arc::new(App::new(self.config, port, &templates));
        let router = routes::router(app.clone(), routes);
        (app, router)
    }
}

/// Conversation `i` and its messages exactly as a fake with the default seed
/// (25 agents, 250 end users, 3 queues) and `conversations` conversations
/// serves them, without a server: for benchmarks that decode the fake's
/// shapes in memory.
pub fn sample_conversation(i: u64, conversations: usize) -> (serde_json::Value, Vec<serde_json::Value>) {
    let ctx = model::ConvCtx {
        agents: 25,
        queues: model::SEED_QUEUES.len() as u64,
        pool: model::requester_pool(conversations, 250),
        unknown: None,
    };
    (model::conversation(i, &ctx), model::messages(i, &ctx))
}

/// A running fake Dixa. Dropping it (or [`FakeDixa::shutdown`]) stops it.
pub struct FakeDixa {
    app: Arc<App>,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for FakeDixa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeDixa").field("base_url", &self.app.base_url).field("config", &self.app.config).finish()
    }
}

impl FakeDixa {
    /// A builder with the default data sizes.
    pub fn builder() -> FakeDixaBuilder {
        FakeDixaBuilder::default()
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        self.app.base_url.clone()
    }

    /// The port the fake listens on.
    pub fn port(&self) -> u16 {
        self.app.port
    }

    /// A snapshot of the request, side-effect and status counters.
    pub fn stats(&self) -> Stats {
        self.app.counters.snapshot()
    }

    /// Zeroes every counter (e.g. between benchmark phases).
    pub fn reset_stats(&self) {
        self.app.counters.reset();
    }

    /// The handle to inject faults and pagination hooks.
    pub fn faults(&self) -> Faults {
        Faults { inner: self.app.faults.clone() }
    }

    /// The id of seed agent `i` (valid for `i < agents`).
    pub fn agent_id(&self, i: usize) -> String {
        uuid(Kind::Agent, i as u64)
    }

    /// The id of seed end user `i` (valid for `i < end_users`).
    pub fn end_user_id(&self, i: usize) -> String {
        uuid(Kind::EndUser, i as u64)
    }

    /// The numeric id of conversation `i` (valid for `i < conversations`).
    pub fn conversation_id(&self, i: usize) -> i64 {
        (model::FIRST_CONVERSATION_ID + i as u64) as i64
    }

    /// The id of the end user who requested conversation `i`: the user whose
    /// `/v1/endusers/{userId}/conversations` list contains it.
    pub fn conversation_requester_id(&self, i: usize) -> String {
        let ctx = self.app.read().conv_ctx;
        uuid(Kind::EndUser, model::requester_of(i as u64, &ctx))
    }

    /// The id of seed tag `i` (0..8 are active, 8 is the inactive
    /// `legacy-import`).
    pub fn tag_id(&self, i: usize) -> String {
        uuid(Kind::Tag, i as u64)
    }

    /// The id of seed queue `i` (0..3).
    pub fn queue_id(&self, i: usize) -> String {
        uuid(Kind::Queue, i as u64)
    }

    /// The id of seed team `i` (0..3).
    pub fn team_id(&self, i: usize) -> String {
        uuid(Kind::Team, i as u64)
    }

    /// An id shaped like the fake's ids that names no entity, for NotFound
    /// cases.
    pub fn missing_id(&self) -> String {
        uuid(Kind::Agent, u32::MAX as u64)
    }

    /// Stops accepting connections, closes open ones and waits for the
    /// accept loop to end.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if self.runtime.is_none() {
            if let Some(task) = self.task.take() {
                let _ = task.await;
            }
        }
        // A dedicated runtime is shut down by Drop.
    }
}

impl Drop for FakeDixa {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(rt) = self.runtime.take() {
            // Safe inside or outside an async context, unlike dropping it.
            rt.shutdown_background();
        }
    }
}
