//! Typed bulk outcomes: partition, count, and "all succeeded or here is what failed".
//!
//! Dixa's bulk endpoints answer `200` with one outcome per input item, each an
//! object tagged `"_type": "BulkActionSuccess"` (with `data`) or
//! `"_type": "BulkActionFailure"` (with an `error` tagged `NotFound`,
//! `Validation`, ...). The spec has four shapes of that union
//! (`BulkActionOutcome_BulkError_Agent`, `_BulkError_EndUser`, `_BulkError_UUID`
//! and `_ErrorResponse_InternalNoteData`); [`BulkOutcome`] is the one trait over
//! all of them (and over raw [`serde_json::Value`]s), and [`BulkOutcomes`] is
//! what a caller works with:
//!
//! ```
//! use dixa_client_ext::bulk::{BulkErrorKind, BulkOutcomes};
//! use serde_json::json;
//!
//! let wire = vec![
//!     json!({"_type": "BulkActionSuccess", "data": "1e9a5cb0-37e1-4c3b-9d4b-3d2f56b5a1a0"}),
//!     json!({"_type": "BulkActionFailure",
//!            "error": {"_type": "NotFound", "id": "x", "message": "no such agent"}}),
//! ];
//! let outcomes = BulkOutcomes::from_outcomes(wire);
//! assert_eq!((outcomes.success_count(), outcomes.failure_count()), (1, 1));
//! assert_eq!(outcomes.failures()[0].kind, BulkErrorKind::NotFound);
//! let failed = outcomes.into_result().unwrap_err();
//! assert_eq!(failed.failures()[0].id.as_deref(), Some("x"));
//! ```
//!
//! An outcome this client cannot classify (a new `_type` the API added later)
//! is counted as a FAILURE with kind [`BulkErrorKind::UnknownOutcome`] and its
//! raw JSON kept: an item is reported as succeeded only when the server said so.
//!
//! Large inputs go through [`send_chunked`], which splits them to an endpoint's
//! limit (see [`BulkEndpoint::limit`] for each limit and where it comes
//! from), sends the chunks one after another (the client's rate limiter paces
//! them) and merges the outcomes. Each bulk endpoint has a typed helper on
//! `client.bulk()` (see [`ops::BulkClient`]):
//!
//! | helper | endpoint | per call | success value |
//! |---|---|---|---|
//! | `patch_agents` | `PATCH /v1/agents` | 100 (default) | `Agent` |
//! | `update_agents` | `PUT /v1/agents` | 100 (default) | `Agent` |
//! | `create_agents` | `POST /v1/agents/bulk` | 100 (default) | `Agent` |
//! | `patch_end_users` | `PATCH /v1/endusers` | 100 (default) | `EndUser` |
//! | `update_end_users` | `PUT /v1/endusers` | 100 (default) | `EndUser` |
//! | `create_end_users` | `POST /v1/endusers/bulk` | 100 (default) | `EndUser` |
//! | `create_notes` | `POST /v1/conversations/{id}/notes/bulk` | 100 (default) | `InternalNoteData` |
//! | `add_queue_members` | `PATCH /v1/queues/{id}/members` | 10 (inferred) | agent id |
//! | `remove_queue_members` | `DELETE /v1/queues/{id}/members` | 10 (documented) | agent id (204) |
//! | `add_team_members` | `PATCH /v1/teams/{id}/agents` | 100 (default) | agent id (204) |
//! | `remove_team_members` | `DELETE /v1/teams/{id}/agents` | 100 (default) | agent id (204) |
//!
//! ```no_run
//! # async fn run(client: dixa_client_ext::client::DixaClient, ids: Vec<uuid::Uuid>) {
//! match client.bulk().add_queue_members("queue-id", ids).await {
//!     Ok(outcomes) => match outcomes.into_result() {
//!         Ok(added) => println!("added {}", added.len()),
//!         Err(failed) => eprintln!("{failed}"), // "2 of 25 bulk items failed (NotFound: 2); ..."
//!     },
//!     // A whole call failed: what completed and what is left are kept.
//!     Err(stopped) => eprintln!("{stopped}; {} items to retry", stopped.remaining.len()),
//! }
//! # }
//! ```

pub mod ops;
mod typed;

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;

use serde_json::Value;

use crate::error::Error;

/// Why one item of a bulk call failed: the `_type` of Dixa's `BulkError`
/// union (or `ErrorResponse` for bulk note creation).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum BulkErrorKind {
    /// `EmptyPatchSet`: the patch for this item changed nothing.
    EmptyPatchSet,
    /// `ErrorResponse`: a generic error with only a message.
    ErrorResponse,
    /// `Infrastructure`: Dixa failed internally on this item; it may succeed later.
    Infrastructure,
    /// `Integrity`: the item conflicts with existing data (e.g. a duplicate).
    Integrity,
    /// `InvalidArgument`: the request for this item was malformed (only a message).
    InvalidArgument,
    /// `NotFound`: the entity the item refers to does not exist.
    NotFound,
    /// `Validation`: the item's data was rejected.
    Validation,
    /// An error `_type` this client does not know (the API added one after
    /// the spec snapshot), exactly as sent. The raw JSON is in
    /// [`BulkFailure::raw`].
    Unknown(String),
    /// The outcome itself was neither `BulkActionSuccess` nor
    /// `BulkActionFailure` (its `_type`, or empty when it had none). Counted
    /// as a failure because nothing says the item succeeded; the raw JSON is
    /// in [`BulkFailure::raw`].
    UnknownOutcome(String),
}

impl BulkErrorKind {
    /// The kind for an error's wire `_type` tag.
    ///
    /// Accepts the exporter's clash-breaking spelling `NotFound1` too, since
    /// some generated clients send it (see WIRE-FACTS).
    pub fn from_tag(tag: &str) -> Self {
        match tag {
            "EmptyPatchSet" => Self::EmptyPatchSet,
            "ErrorResponse" => Self::ErrorResponse,
            "Infrastructure" => Self::Infrastructure,
            "Integrity" => Self::Integrity,
            "InvalidArgument" => Self::InvalidArgument,
            "NotFound" | "NotFound1" => Self::NotFound,
            "Validation" => Self::Validation,
            other => Self::Unknown(other.to_owned()),
        }
    }

    /// The wire name of this kind (`"NotFound"`, ..., or the unknown tag).
    pub fn as_str(&self) -> &str {
        match self {
            Self::EmptyPatchSet => "EmptyPatchSet",
            Self::ErrorResponse => "ErrorResponse",
            Self::Infrastructure => "Infrastructure",
            Self::Integrity => "Integrity",
            Self::InvalidArgument => "InvalidArgument",
            Self::NotFound => "NotFound",
            Self::Validation => "Validation",
            Self::Unknown(tag) => tag,
            Self::UnknownOutcome(tag) => tag,
        }
    }

    /// Whether retrying the same item later may succeed (only
    /// `Infrastructure` says so; unknown kinds are treated as permanent).
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Infrastructure)
    }
}

impl fmt::Display for BulkErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unknown(tag) => write!(f, "unknown error kind {tag:?}"),
            Self::UnknownOutcome(tag) if tag.is_empty() => f.write_str("untagged outcome"),
            Self::UnknownOutcome(tag) => write!(f, "unknown outcome {tag:?}"),
            known => f.write_str(known.as_str()),
        }
    }
}

/// One item of a bulk call that did not succeed.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct BulkFailure {
    /// Position of this outcome in the response (for a chunked call, in the
    /// merged responses). Dixa answers one outcome per input item in input
    /// order in every documented sample, so this is normally the input index;
    /// the spec does not promise it, hence [`BulkFailure::id`].
    pub index: usize,
    /// The id the wire gives for the failed item (`error.id`), when it gives
    /// one; `ErrorResponse` failures carry only a message.
    pub id: Option<String>,
    /// What went wrong.
    pub kind: BulkErrorKind,
    /// Dixa's message, when the error has one.
    pub message: Option<String>,
    /// The raw JSON of the error (for unknown kinds: of the whole outcome),
    /// kept so that nothing the server said is lost. `None` for known kinds
    /// decoded from typed values.
    pub raw: Option<Value>,
}

impl BulkFailure {
    /// A failure of `kind` (index 0 until a [`BulkOutcomes`] places it).
    pub fn new(kind: BulkErrorKind, id: Option<String>, message: Option<String>) -> Self {
        Self { index: 0, id, kind, message, raw: None }
    }

    /// The same failure with its raw JSON attached.
    pub fn with_raw(mut self, raw: Value) -> Self {
        self.raw = Some(raw);
        self
    }

    /// Classifies a raw `error` object (`{"_type": "NotFound", "id": .., "message": ..}`).
    pub fn from_error_json(error: Value) -> Self {
        let tag = error.get("_type").and_then(Value::as_str).unwrap_or("");
        let kind = if tag.is_empty() {
            // Bulk note creation sends a plain ErrorResponse, which may carry
            // no tag: a message alone is still an error.
            BulkErrorKind::ErrorResponse
        } else {
            BulkErrorKind::from_tag(tag)
        };
        let id = error.get("id").and_then(json_id);
        let message = error.get("message").and_then(Value::as_str).map(str::to_owned);
        let keep_raw = matches!(kind, BulkErrorKind::Unknown(_));
        let failure = Self::new(kind, id, message);
        if keep_raw {
            failure.with_raw(error)
        } else {
            failure
        }
    }
}

/// Ids are strings on the wire, but accept numbers rather than drop them.
fn json_id(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl fmt::Display for BulkFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "item {}", self.index)?;
        if let Some(id) = &self.id {
            write!(f, " (id {id})")?;
        }
        write!(f, ": {}", self.kind)?;
        if let Some(message) = &self.message {
            write!(f, ": {message}")?;
        }
        Ok(())
    }
}

/// One bulk outcome as received: the four generated `BulkActionOutcome_*`
/// unions implement it, and so does a raw [`serde_json::Value`].
pub trait BulkOutcome {
    /// What a success carries: the created/updated entity, or the agent id for
    /// queue membership changes.
    type Success;

    /// Splits this outcome into its success value or its failure (the
    /// failure's `index` is filled in by [`BulkOutcomes`]).
    // The failure is moved straight into a `BulkOutcomes` list, once per
    // item; boxing it would add an allocation per failure for nothing.
    #[allow(clippy::result_large_err)]
    fn classify(self) -> Result<Self::Success, BulkFailure>;
}

impl BulkOutcome for Value {
    /// The `data` member of a `BulkActionSuccess`.
    type Success = Value;

    fn classify(self) -> Result<Value, BulkFailure> {
        let tag = self.get("_type").and_then(Value::as_str).unwrap_or("").to_owned();
        match (tag.as_str(), self) {
            ("BulkActionSuccess", Value::Object(mut map)) => match map.remove("data") {
                Some(data) => Ok(data),
                None => Err(unknown_outcome(tag, Value::Object(map))),
            },
            ("BulkActionFailure", Value::Object(mut map)) => match map.remove("error") {
                Some(error) => Err(BulkFailure::from_error_json(error)),
                None => Err(unknown_outcome(tag, Value::Object(map))),
            },
            (_, other) => Err(unknown_outcome(tag, other)),
        }
    }
}

/// A failure for an outcome that is neither a well-formed success nor failure.
pub fn unknown_outcome(tag: String, raw: Value) -> BulkFailure {
    let id = raw
        .get("data")
        .and_then(|d| d.get("id").or(Some(d)))
        .and_then(json_id)
        .or_else(|| raw.get("id").and_then(json_id));
    let message = raw
        .get("message")
        .or_else(|| raw.get("error").and_then(|e| e.get("message")))
        .and_then(Value::as_str)
        .map(str::to_owned);
    BulkFailure::new(BulkErrorKind::UnknownOutcome(tag), id, message).with_raw(raw)
}

/// A whole bulk response body (`{"data": [outcome, ...]}`): the generated
/// `*Output` types of the bulk endpoints implement it.
pub trait BulkOutput {
    /// The outcome union of this endpoint.
    type Outcome: BulkOutcome;

    /// The outcomes, in response order.
    fn into_outcomes(self) -> Vec<Self::Outcome>;
}

impl<O: BulkOutcome> BulkOutput for Vec<O> {
    type Outcome = O;
    fn into_outcomes(self) -> Vec<O> {
        self
    }
}

/// One item of a bulk call that succeeded.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct BulkSuccess<T> {
    /// Position of this outcome in the (merged) response; see [`BulkFailure::index`].
    pub index: usize,
    /// What the server returned for the item.
    pub value: T,
}

/// The classified outcomes of one bulk call, or of several merged chunks.
///
/// Holds successes and failures separately, each with its position, so that
/// counting and reporting never re-scan the response.
#[derive(Clone, Debug, PartialEq)]
pub struct BulkOutcomes<T> {
    successes: Vec<BulkSuccess<T>>,
    failures: Vec<BulkFailure>,
    len: usize,
}

impl<T> Default for BulkOutcomes<T> {
    fn default() -> Self {
        Self { successes: Vec::new(), failures: Vec::new(), len: 0 }
    }
}

impl<T> BulkOutcomes<T> {
    /// No outcomes yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Classifies outcomes in response order.
    pub fn from_outcomes<O, I>(outcomes: I) -> Self
    where
        O: BulkOutcome<Success = T>,
        I: IntoIterator<Item = O>,
    {
        let mut all = Self::new();
        all.extend_outcomes(outcomes);
        all
    }

    /// Classifies a whole bulk response body.
    pub fn from_output<P>(output: P) -> Self
    where
        P: BulkOutput,
        P::Outcome: BulkOutcome<Success = T>,
    {
        Self::from_outcomes(output.into_outcomes())
    }

    /// Appends one outcome at the next position.
    pub fn push<O: BulkOutcome<Success = T>>(&mut self, outcome: O) {
        let index = self.len;
        self.len += 1;
        match outcome.classify() {
            Ok(value) => self.successes.push(BulkSuccess { index, value }),
            Err(mut failure) => {
                failure.index = index;
                self.failures.push(failure);
            }
        }
    }

    /// Records a success that the server confirmed without a per-item outcome
    /// (an endpoint answering `204` for the whole batch).
    pub fn push_success(&mut self, value: T) {
        let index = self.len;
        self.len += 1;
        self.successes.push(BulkSuccess { index, value });
    }

    /// Appends outcomes in order after the ones already held.
    pub fn extend_outcomes<O, I>(&mut self, outcomes: I)
    where
        O: BulkOutcome<Success = T>,
        I: IntoIterator<Item = O>,
    {
        for outcome in outcomes {
            self.push(outcome);
        }
    }

    /// Appends another call's outcomes after these, shifting its positions so
    /// that they continue where these end (how chunks are merged).
    pub fn merge(&mut self, other: BulkOutcomes<T>) {
        let offset = self.len;
        self.len += other.len;
        self.successes.extend(other.successes.into_iter().map(|mut s| {
            s.index += offset;
            s
        }));
        self.failures.extend(other.failures.into_iter().map(|mut f| {
            f.index += offset;
            f
        }));
    }

    /// Number of outcomes (successes plus failures).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no outcomes at all.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of items that succeeded.
    pub fn success_count(&self) -> usize {
        self.successes.len()
    }

    /// Number of items that failed (including unclassifiable outcomes).
    pub fn failure_count(&self) -> usize {
        self.failures.len()
    }

    /// Whether every item succeeded (true for no items).
    pub fn all_succeeded(&self) -> bool {
        self.failures.is_empty()
    }

    /// The successes, in response order.
    pub fn successes(&self) -> &[BulkSuccess<T>] {
        &self.successes
    }

    /// The failures, in response order.
    pub fn failures(&self) -> &[BulkFailure] {
        &self.failures
    }

    /// Failure counts per kind, sorted by kind (for reports and metrics).
    pub fn failure_counts(&self) -> BTreeMap<BulkErrorKind, usize> {
        count_kinds(&self.failures)
    }

    /// The successes and failures, each in response order.
    pub fn into_parts(self) -> (Vec<BulkSuccess<T>>, Vec<BulkFailure>) {
        (self.successes, self.failures)
    }

    /// `Ok` with every success value (in order) when nothing failed, else
    /// `Err` listing what failed (and still holding what succeeded).
    pub fn into_result(self) -> Result<Vec<T>, BulkFailures<T>> {
        if self.failures.is_empty() {
            Ok(self.successes.into_iter().map(|s| s.value).collect())
        } else {
            Err(BulkFailures { len: self.len, successes: self.successes, failures: self.failures })
        }
    }
}

fn count_kinds(failures: &[BulkFailure]) -> BTreeMap<BulkErrorKind, usize> {
    let mut counts = BTreeMap::new();
    for failure in failures {
        *counts.entry(failure.kind.clone()).or_insert(0) += 1;
    }
    counts
}

/// The `Err` of [`BulkOutcomes::into_result`]: at least one item failed.
///
/// Its `Display` says how many failed, of which kinds, and the first few
/// failures with their ids and messages; the successes stay available so a
/// caller can record them before handling the failures.
#[derive(Clone, Debug, PartialEq)]
pub struct BulkFailures<T> {
    len: usize,
    successes: Vec<BulkSuccess<T>>,
    failures: Vec<BulkFailure>,
}

impl<T> BulkFailures<T> {
    /// What failed, in response order (never empty).
    pub fn failures(&self) -> &[BulkFailure] {
        &self.failures
    }

    /// What succeeded alongside the failures, in response order.
    pub fn successes(&self) -> &[BulkSuccess<T>] {
        &self.successes
    }

    /// Number of outcomes in the call (successes plus failures).
    pub fn total(&self) -> usize {
        self.len
    }

    /// Failure counts per kind.
    pub fn failure_counts(&self) -> BTreeMap<BulkErrorKind, usize> {
        count_kinds(&self.failures)
    }

    /// Back to the full outcomes.
    pub fn into_outcomes(self) -> BulkOutcomes<T> {
        BulkOutcomes { successes: self.successes, failures: self.failures, len: self.len }
    }
}

/// How many failures `Display` lists one by one before summarising.
const DISPLAYED_FAILURES: usize = 5;

impl<T> fmt::Display for BulkFailures<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} of {} bulk items failed (", self.failures.len(), self.len)?;
        for (i, (kind, n)) in self.failure_counts().iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{kind}: {n}")?;
        }
        f.write_str(")")?;
        for failure in self.failures.iter().take(DISPLAYED_FAILURES) {
            write!(f, "; {failure}")?;
        }
        if self.failures.len() > DISPLAYED_FAILURES {
            write!(f, "; and {} more", self.failures.len() - DISPLAYED_FAILURES)?;
        }
        Ok(())
    }
}

impl<T: fmt::Debug> std::error::Error for BulkFailures<T> {}

/// Where a bulk endpoint's per-call item limit comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LimitSource {
    /// Stated in the spec; the text says where.
    Documented(&'static str),
    /// The endpoint takes the same input schema as one with a documented
    /// limit; the text says which. Applied because exceeding it fails the
    /// whole call, while staying under it costs only an extra request.
    Inferred(&'static str),
    /// No limit is documented: this crate's conservative default
    /// ([`UNDOCUMENTED_CHUNK`]) so that one call never carries an unbounded
    /// payload. Override it per call if Dixa tells you otherwise.
    ProjectDefault,
}

/// Chunk size used for bulk endpoints whose limit is not documented.
pub const UNDOCUMENTED_CHUNK: usize = 100;

/// The bulk endpoints of the spec (those answering with per-item outcomes,
/// and the membership changes that take a list of agent ids), with their
/// per-call limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BulkEndpoint {
    /// `PATCH /v1/agents`: bulk patch agents/admins.
    PatchAgents,
    /// `PUT /v1/agents`: bulk update agents/admins.
    UpdateAgents,
    /// `POST /v1/agents/bulk`: create agents in bulk.
    CreateAgents,
    /// `PATCH /v1/endusers`: bulk patch end users.
    PatchEndUsers,
    /// `PUT /v1/endusers`: bulk update end users.
    UpdateEndUsers,
    /// `POST /v1/endusers/bulk`: create end users in bulk.
    CreateEndUsers,
    /// `POST /v1/conversations/{conversationId}/notes/bulk`: create internal notes.
    CreateNotes,
    /// `PATCH /v1/queues/{queueId}/members`: assign agents/admins to a queue.
    AddQueueMembers,
    /// `DELETE /v1/queues/{queueId}/members`: remove agents/admins from a queue.
    RemoveQueueMembers,
    /// `PATCH /v1/teams/{teamId}/agents`: add agents/admins to a team (204,
    /// no per-item outcomes).
    AddTeamMembers,
    /// `DELETE /v1/teams/{teamId}/agents`: remove agents/admins from a team
    /// (204, no per-item outcomes).
    RemoveTeamMembers,
}

impl BulkEndpoint {
    /// Every bulk endpoint, in spec order.
    pub const ALL: &'static [BulkEndpoint] = &[
        Self::PatchAgents,
        Self::UpdateAgents,
        Self::CreateAgents,
        Self::PatchEndUsers,
        Self::UpdateEndUsers,
        Self::CreateEndUsers,
        Self::CreateNotes,
        Self::AddQueueMembers,
        Self::RemoveQueueMembers,
        Self::AddTeamMembers,
        Self::RemoveTeamMembers,
    ];

    /// HTTP method and path template, as in the spec.
    pub fn route(self) -> (&'static str, &'static str) {
        match self {
            Self::PatchAgents => ("PATCH", "/v1/agents"),
            Self::UpdateAgents => ("PUT", "/v1/agents"),
            Self::CreateAgents => ("POST", "/v1/agents/bulk"),
            Self::PatchEndUsers => ("PATCH", "/v1/endusers"),
            Self::UpdateEndUsers => ("PUT", "/v1/endusers"),
            Self::CreateEndUsers => ("POST", "/v1/endusers/bulk"),
            Self::CreateNotes => ("POST", "/v1/conversations/{conversationId}/notes/bulk"),
            Self::AddQueueMembers => ("PATCH", "/v1/queues/{queueId}/members"),
            Self::RemoveQueueMembers => ("DELETE", "/v1/queues/{queueId}/members"),
            Self::AddTeamMembers => ("PATCH", "/v1/teams/{teamId}/agents"),
            Self::RemoveTeamMembers => ("DELETE", "/v1/teams/{teamId}/agents"),
        }
    }

    /// Maximum items per call and where that number comes from.
    pub fn limit(self) -> (usize, LimitSource) {
        match self {
            Self::RemoveQueueMembers => (
                10,
                LimitSource::Documented(
                    "requestBody.description of DELETE /v1/queues/{queueId}/members: \
                     \"Up to 10 members can be specified.\"",
                ),
            ),
            Self::AddQueueMembers => (
                10,
                LimitSource::Inferred(
                    "same input schema (BulkQueueEndpointInput) as \
                     DELETE /v1/queues/{queueId}/members, documented at 10",
                ),
            ),
            _ => (UNDOCUMENTED_CHUNK, LimitSource::ProjectDefault),
        }
    }

    /// Maximum items per call.
    pub fn max_items(self) -> usize {
        self.limit().0
    }
}

/// A chunked bulk run stopped by an error that is not a per-item outcome
/// (transport, timeout, an API error for the whole call, ...).
///
/// Nothing is lost: the outcomes of the chunks that completed, the error, and
/// the items not known to have been applied are all here, so the caller can
/// report, fix and resume.
#[derive(Debug)]
#[non_exhaustive]
pub struct BulkInterrupted<I, T> {
    /// Why the run stopped.
    pub error: Error,
    /// Merged outcomes of the chunks that completed before the error.
    pub completed: BulkOutcomes<T>,
    /// The failing chunk's items followed by the never-sent ones, in input
    /// order. The first `in_failed_chunk` of them were sent in the failing
    /// call; whether Dixa applied them is unknown when the error is a timeout
    /// or a lost connection.
    pub remaining: Vec<I>,
    /// How many of `remaining` were in the call that failed.
    pub in_failed_chunk: usize,
}

impl<I, T> fmt::Display for BulkInterrupted<I, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "bulk run stopped after {} outcomes ({} failed) with {} items left \
             ({} of them in the failing call): {}",
            self.completed.len(),
            self.completed.failure_count(),
            self.remaining.len(),
            self.in_failed_chunk,
            self.error
        )
    }
}

impl<I: fmt::Debug, T: fmt::Debug> std::error::Error for BulkInterrupted<I, T> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// Sends `items` in chunks of at most `max_per_call`, one chunk after
/// another, and merges the outcomes in input order.
///
/// `send` gets one chunk as a slice and returns the future of its call; the
/// future must not borrow the slice (build the request body before
/// returning it), which lets the items of a failing chunk be handed back in
/// [`BulkInterrupted::remaining`] without cloning them.
///
/// Chunks are sequential on purpose: bulk calls mutate data, so a failing
/// call must stop the run before later chunks are sent, and the client's rate
/// limiter already paces the calls. A `max_per_call` of 0 is refused with
/// [`Error::InvalidInput`] before anything is sent.
pub async fn send_chunked<I, T, F, Fut>(
    mut items: Vec<I>,
    max_per_call: usize,
    mut send: F,
) -> Result<BulkOutcomes<T>, BulkInterrupted<I, T>>
where
    F: FnMut(&[I]) -> Fut,
    Fut: Future<Output = Result<BulkOutcomes<T>, Error>>,
{
    if max_per_call == 0 {
        return Err(BulkInterrupted {
            error: Error::InvalidInput {
                what: "bulk chunk size",
                detail: "it must be at least 1 item per call".to_owned(),
            },
            completed: BulkOutcomes::new(),
            in_failed_chunk: 0,
            remaining: items,
        });
    }
    let mut merged = BulkOutcomes::new();
    let mut start = 0;
    while start < items.len() {
        let end = items.len().min(start + max_per_call);
        let call = send(&items[start..end]);
        match call.await {
            Ok(outcomes) => merged.merge(outcomes),
            Err(error) => {
                return Err(BulkInterrupted {
                    error,
                    completed: merged,
                    in_failed_chunk: end - start,
                    remaining: items.drain(start..).collect(),
                });
            }
        }
        start = end;
    }
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn error_tags_map_to_kinds_including_the_exporter_suffix() {
        for (tag, kind) in [
            ("EmptyPatchSet", BulkErrorKind::EmptyPatchSet),
            ("ErrorResponse", BulkErrorKind::ErrorResponse),
            ("Infrastructure", BulkErrorKind::Infrastructure),
            ("Integrity", BulkErrorKind::Integrity),
            ("InvalidArgument", BulkErrorKind::InvalidArgument),
            ("NotFound", BulkErrorKind::NotFound),
            ("NotFound1", BulkErrorKind::NotFound),
            ("Validation", BulkErrorKind::Validation),
            ("RateLimitedItem", BulkErrorKind::Unknown("RateLimitedItem".into())),
        ] {
            assert_eq!(BulkErrorKind::from_tag(tag), kind, "{tag}");
        }
        assert!(BulkErrorKind::Infrastructure.is_transient());
        assert!(!BulkErrorKind::Validation.is_transient());
    }

    #[test]
    fn raw_outcomes_classify_with_ids_messages_and_raw_json_for_unknowns() {
        let outcomes = BulkOutcomes::from_outcomes(vec![
            json!({"_type": "BulkActionSuccess", "data": {"id": "a1"}}),
            json!({"_type": "BulkActionFailure", "error": {"_type": "Validation", "id": "a2", "message": "bad email"}}),
            json!({"_type": "BulkActionFailure", "error": {"_type": "Quota", "id": "a3", "message": "later", "extra": 1}}),
            json!({"_type": "BulkActionSkipped", "data": {"id": "a4"}}),
            json!({"_type": "BulkActionFailure", "error": {"message": "note failed"}}),
            json!("not an object"),
        ]);
        assert_eq!(outcomes.len(), 6);
        assert_eq!(outcomes.success_count(), 1);
        assert_eq!(outcomes.failure_count(), 5);
        assert_eq!(outcomes.successes()[0].value, json!({"id": "a1"}));
        let f = outcomes.failures();
        assert_eq!((f[0].index, f[0].id.as_deref(), &f[0].kind), (1, Some("a2"), &BulkErrorKind::Validation));
        assert_eq!(f[0].message.as_deref(), Some("bad email"));
        assert_eq!(f[0].raw, None);
        assert_eq!(f[1].kind, BulkErrorKind::Unknown("Quota".into()));
        assert_eq!(f[1].raw.as_ref().unwrap()["extra"], json!(1));
        assert_eq!(f[2].kind, BulkErrorKind::UnknownOutcome("BulkActionSkipped".into()));
        assert_eq!(f[2].id.as_deref(), Some("a4"));
        assert_eq!((f[3].kind.clone(), f[3].id.clone()), (BulkErrorKind::ErrorResponse, None));
        assert_eq!(f[4].kind, BulkErrorKind::UnknownOutcome(String::new()));
        assert_eq!(f[4].index, 5);
    }

    #[test]
    fn merge_continues_positions_and_into_result_lists_failures() {
        let mut all: BulkOutcomes<Value> = BulkOutcomes::from_outcomes(vec![
            json!({"_type": "BulkActionSuccess", "data": "u1"}),
            json!({"_type": "BulkActionFailure", "error": {"_type": "NotFound", "id": "u2", "message": "gone"}}),
        ]);
        all.merge(BulkOutcomes::from_outcomes(vec![
            json!({"_type": "BulkActionFailure", "error": {"_type": "NotFound", "id": "u3", "message": "gone"}}),
            json!({"_type": "BulkActionSuccess", "data": "u4"}),
        ]));
        assert_eq!(all.len(), 4);
        let indices: Vec<usize> = all.failures().iter().map(|f| f.index).collect();
        assert_eq!(indices, [1, 2]);
        assert_eq!(all.successes()[1].index, 3);
        assert_eq!(all.failure_counts().get(&BulkErrorKind::NotFound), Some(&2));
        let err = all.clone().into_result().unwrap_err();
        assert_eq!(err.total(), 4);
        assert_eq!(err.successes().len(), 2);
        let text = err.to_string();
        assert!(text.starts_with("2 of 4 bulk items failed (NotFound: 2)"), "{text}");
        assert!(text.contains("item 2 (id u3): NotFound: gone"), "{text}");
        assert_eq!(err.into_outcomes(), all);
    }

    #[test]
    fn all_successes_give_ok_values_in_order() {
        let outcomes: BulkOutcomes<Value> = BulkOutcomes::from_outcomes(vec![
            json!({"_type": "BulkActionSuccess", "data": 1}),
            json!({"_type": "BulkActionSuccess", "data": 2}),
        ]);
        assert!(outcomes.all_succeeded());
        assert_eq!(outcomes.into_result().unwrap(), vec![json!(1), json!(2)]);
    }

    #[test]
    fn long_failure_lists_are_summarised() {
        let outcomes: BulkOutcomes<Value> = BulkOutcomes::from_outcomes((0..8).map(|i| {
            json!({"_type": "BulkActionFailure", "error": {"_type": "Integrity", "id": format!("i{i}"), "message": "dup"}})
        }));
        let text = outcomes.into_result().unwrap_err().to_string();
        assert!(text.contains("; and 3 more"), "{text}");
        assert!(!text.contains("i5"), "{text}");
    }

    #[test]
    fn documented_limits_say_where_they_come_from() {
        assert_eq!(BulkEndpoint::RemoveQueueMembers.max_items(), 10);
        assert!(
            matches!(BulkEndpoint::RemoveQueueMembers.limit().1, LimitSource::Documented(s) if s.contains("Up to 10"))
        );
        assert_eq!(BulkEndpoint::AddQueueMembers.max_items(), 10);
        assert!(matches!(BulkEndpoint::AddQueueMembers.limit().1, LimitSource::Inferred(_)));
        assert_eq!(BulkEndpoint::CreateAgents.limit(), (UNDOCUMENTED_CHUNK, LimitSource::ProjectDefault));
    }

    fn ok_chunk(chunk: &[u32]) -> BulkOutcomes<Value> {
        BulkOutcomes::from_outcomes(chunk.iter().map(|n| {
            if n % 4 == 0 {
                json!({"_type": "BulkActionFailure", "error": {"_type": "NotFound", "id": n.to_string(), "message": "no"}})
            } else {
                json!({"_type": "BulkActionSuccess", "data": n})
            }
        }))
    }

    #[tokio::test]
    async fn chunks_are_sent_in_order_and_merged() {
        let mut calls = Vec::new();
        let merged = send_chunked((1..=25).collect::<Vec<u32>>(), 10, |chunk: &[u32]| {
            calls.push(chunk.to_vec());
            let out = ok_chunk(chunk);
            async move { Ok(out) }
        })
        .await
        .unwrap();
        assert_eq!(calls.iter().map(Vec::len).collect::<Vec<_>>(), [10, 10, 5]);
        assert_eq!(calls[2], [21, 22, 23, 24, 25]);
        assert_eq!(merged.len(), 25);
        assert_eq!(merged.failure_count(), 6); // 4, 8, ..., 24
        let ids: Vec<_> = merged.failures().iter().map(|f| (f.index, f.id.clone().unwrap())).collect();
        assert_eq!(ids[5], (23, "24".to_owned()));
    }

    #[tokio::test]
    async fn a_failing_chunk_stops_the_run_and_hands_back_what_is_left() {
        let mut sent = 0;
        let err = send_chunked((1..=25).collect::<Vec<u32>>(), 10, |chunk: &[u32]| {
            sent += 1;
            let out = if sent == 2 {
                Err(Error::InvalidInput { what: "test", detail: "boom".into() })
            } else {
                Ok(ok_chunk(chunk))
            };
            async move { out }
        })
        .await
        .unwrap_err();
        assert_eq!(sent, 2, "no chunk is sent after a failing one");
        assert_eq!(err.completed.len(), 10);
        assert_eq!(err.in_failed_chunk, 10);
        assert_eq!(err.remaining, (11..=25).collect::<Vec<u32>>());
        assert!(err.to_string().contains("15 items left"), "{err}");
    }

    #[tokio::test]
    async fn a_zero_chunk_size_sends_nothing() {
        let err = send_chunked(vec![1u32, 2], 0, |_: &[u32]| async { Ok::<_, Error>(BulkOutcomes::<Value>::new()) })
            .await
            .unwrap_err();
        assert!(matches!(err.error, Error::InvalidInput { .. }));
        assert_eq!(err.remaining, [1, 2]);
    }
}
