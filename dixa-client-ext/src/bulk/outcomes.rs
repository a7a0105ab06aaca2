//! Per-item outcomes of bulk calls: classified, partitioned, counted.

use std::collections::BTreeMap;
use std::fmt;

use dixa_client::runtime::BulkItemOutcome;
use serde_json::Value;

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

impl<S, F: serde::Serialize> BulkOutcome for BulkItemOutcome<S, F> {
    type Success = S;

    fn classify(self) -> Result<S, BulkFailure> {
        match self {
            BulkItemOutcome::Success(value) => Ok(value),
            // Classified from its JSON, like a raw outcome: one rule for
            // every error type the spec has (the `BulkError` union, a plain
            // `ErrorResponse`) and any it adds.
            BulkItemOutcome::Failure(error) => {
                Err(BulkFailure::from_error_json(serde_json::to_value(error).unwrap_or(Value::Null)))
            }
            BulkItemOutcome::Unknown(unknown) => Err(unknown_outcome(unknown.tag, unknown.raw)),
        }
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
}
