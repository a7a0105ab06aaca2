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
//! The builder of every bulk operation (its body is one list of items;
//! chosen by rule at generation time, see [`dixa_client::OPERATIONS`])
//! implements [`dixa_client::runtime::Bulk`], and [`SendChunked`] (in the
//! [`prelude`](crate::prelude)) gives it `.send_chunked(items)`: the items are
//! split to the operation's per-call limit ([`BulkLimit`], data generated from
//! the spec: documented, inferred from a twin operation, or the default),
//! sent one chunk after another (the client's rate limiter paces them), and
//! the typed per-item outcomes merged in input order.
//!
//! ```no_run
//! # async fn run(client: dixa_client_ext::DixaClient, queue_id: uuid::Uuid, ids: Vec<uuid::Uuid>) {
//! use dixa_client_ext::prelude::*;
//!
//! match client.assign_members().queue_id(queue_id).send_chunked(ids).await {
//!     Ok(outcomes) => match outcomes.into_result() {
//!         Ok(added) => println!("added {}", added.len()),
//!         Err(failed) => eprintln!("{failed}"), // "2 of 25 bulk items failed (NotFound: 2); ..."
//!     },
//!     // A whole call failed: what completed and what is left are kept.
//!     Err(stopped) => eprintln!("{stopped}; {} items to retry", stopped.remaining.len()),
//! }
//! # }
//! ```
mod chunking;
mod outcomes;

pub use chunking::{send_chunked, BulkInterrupted, BulkRun, SendChunked};
pub use dixa_client::runtime::{BulkLimit, LimitSource};
pub use outcomes::{unknown_outcome, BulkErrorKind, BulkFailure, BulkFailures, BulkOutcome, BulkOutcomes, BulkSuccess};
