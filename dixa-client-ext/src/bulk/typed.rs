//! [`BulkOutcome`] and [`BulkOutput`] for the generated bulk types.
//!
//! The four `BulkActionOutcome_*` unions of the spec differ only in what a
//! success carries; their failures carry Dixa's `BulkError` union (or a plain
//! `ErrorResponse` for bulk note creation). Each maps onto the one
//! [`BulkOutcomes`](super::BulkOutcomes) model here.

use dixa_client::types;

use super::{unknown_outcome, BulkErrorKind, BulkFailure, BulkOutcome, BulkOutput};

impl From<types::BulkError> for BulkFailure {
    fn from(error: types::BulkError) -> Self {
        use types::BulkError as E;
        match error {
            E::EmptyPatchSet(e) => BulkFailure::new(BulkErrorKind::EmptyPatchSet, Some(e.id), Some(e.message)),
            E::ErrorResponse(e) => BulkFailure::new(BulkErrorKind::ErrorResponse, None, Some(e.message)),
            E::Infrastructure(e) => BulkFailure::new(BulkErrorKind::Infrastructure, Some(e.id), Some(e.message)),
            E::Integrity(e) => BulkFailure::new(BulkErrorKind::Integrity, Some(e.id), Some(e.message)),
            E::InvalidArgument(e) => BulkFailure::new(BulkErrorKind::InvalidArgument, None, Some(e.message)),
            E::NotFound(e) => BulkFailure::new(BulkErrorKind::NotFound, Some(e.id), Some(e.message)),
            E::Validation(e) => BulkFailure::new(BulkErrorKind::Validation, e.id, Some(e.message)),
            // A kind added after generation: read what we can from the raw
            // object and keep it whole.
            E::Unknown(u) => BulkFailure::from_error_json(u.raw),
        }
    }
}

impl From<types::ErrorResponse> for BulkFailure {
    fn from(error: types::ErrorResponse) -> Self {
        BulkFailure::new(BulkErrorKind::ErrorResponse, None, Some(error.message))
    }
}

/// Implements [`BulkOutcome`] for a generated outcome union.
macro_rules! outcome {
    ($union:ident => $success:ty) => {
        impl BulkOutcome for types::$union {
            type Success = $success;
            fn classify(self) -> Result<$success, BulkFailure> {
                match self {
                    types::$union::BulkActionSuccess(s) => Ok(s.data),
                    types::$union::BulkActionFailure(f) => Err(f.error.into()),
                    types::$union::Unknown(u) => Err(unknown_outcome(u.tag, u.raw)),
                }
            }
        }
    };
}

outcome!(BulkActionOutcomeBulkErrorAgent => types::Agent);
outcome!(BulkActionOutcomeBulkErrorEndUser => types::EndUser);
outcome!(BulkActionOutcomeBulkErrorUuid => uuid::Uuid);
outcome!(BulkActionOutcomeErrorResponseInternalNoteData => types::InternalNoteData);

/// Implements [`BulkOutput`] for a generated bulk response body.
macro_rules! output {
    ($($output:ident => $union:ident),* $(,)?) => {$(
        impl BulkOutput for types::$output {
            type Outcome = types::$union;
            fn into_outcomes(self) -> Vec<types::$union> {
                self.data
            }
        }
    )*};
}

output! {
    BulkUpdateAgentOutput => BulkActionOutcomeBulkErrorAgent,
    CreateAgentsOutput => BulkActionOutcomeBulkErrorAgent,
    BulkPatchEndUsersOutput => BulkActionOutcomeBulkErrorEndUser,
    BulkUpdateEndUsersOutput => BulkActionOutcomeBulkErrorEndUser,
    CreateEndUsersOutput => BulkActionOutcomeBulkErrorEndUser,
    BulkCreateNoteOutput => BulkActionOutcomeErrorResponseInternalNoteData,
    BulkQueueEndpointOutput => BulkActionOutcomeBulkErrorUuid,
}

#[cfg(test)]
mod tests {
    use super::super::BulkOutcomes;
    use super::*;
    use serde_json::json;

    #[test]
    fn generated_uuid_outcomes_partition_like_raw_ones() {
        let id = "1e9a5cb0-37e1-4c3b-9d4b-3d2f56b5a1a0";
        let body = json!({"data": [
            {"_type": "BulkActionSuccess", "data": id},
            {"_type": "BulkActionFailure", "error": {"_type": "NotFound", "id": "x1", "message": "Agent [x1] could not be found"}},
            {"_type": "BulkActionFailure", "error": {"_type": "Validation", "message": "not a UUID"}},
            {"_type": "BulkActionFailure", "error": {"_type": "Throttled", "id": "x3", "message": "later", "retryIn": 5}},
            {"_type": "BulkActionDeferred", "data": id},
        ]});
        let output: types::BulkQueueEndpointOutput = serde_json::from_value(body).unwrap();
        let outcomes = BulkOutcomes::from_output(output);
        assert_eq!(outcomes.len(), 5);
        assert_eq!(outcomes.successes()[0].value.to_string(), id);
        let f = outcomes.failures();
        assert_eq!((f[0].index, &f[0].kind, f[0].id.as_deref()), (1, &BulkErrorKind::NotFound, Some("x1")));
        assert_eq!(f[0].message.as_deref(), Some("Agent [x1] could not be found"));
        assert_eq!((&f[1].kind, f[1].id.as_deref()), (&BulkErrorKind::Validation, None));
        assert_eq!(f[2].kind, BulkErrorKind::Unknown("Throttled".into()));
        assert_eq!(f[2].id.as_deref(), Some("x3"));
        assert_eq!(f[2].raw.as_ref().unwrap()["retryIn"], json!(5));
        assert_eq!(f[3].kind, BulkErrorKind::UnknownOutcome("BulkActionDeferred".into()));
        assert_eq!(f[3].raw.as_ref().unwrap()["_type"], json!("BulkActionDeferred"));
    }

    /// Every failure kind and an unknown outcome, as one body.
    fn all_failure_kinds() -> serde_json::Value {
        json!({"data": [
            {"_type": "BulkActionFailure", "error": {"_type": "NotFound", "id": "a", "message": "m0"}},
            {"_type": "BulkActionFailure", "error": {"_type": "Validation", "id": "b", "message": "m1"}},
            {"_type": "BulkActionFailure", "error": {"_type": "Integrity", "id": "c", "message": "m2"}},
            {"_type": "BulkActionFailure", "error": {"_type": "EmptyPatchSet", "id": "d", "message": "m3"}},
            {"_type": "BulkActionFailure", "error": {"_type": "Infrastructure", "id": "e", "message": "m4"}},
            {"_type": "BulkActionFailure", "error": {"_type": "ErrorResponse", "message": "m5"}},
            {"_type": "BulkActionFailure", "error": {"_type": "QuotaExceeded", "id": "g", "message": "m6"}},
            {"_type": "BulkActionPending", "id": "h", "message": "m7"},
        ]})
    }

    fn assert_all_failure_kinds(outcomes: &BulkOutcomes<impl std::fmt::Debug>) {
        assert_eq!((outcomes.len(), outcomes.success_count()), (8, 0));
        let want = [
            BulkErrorKind::NotFound,
            BulkErrorKind::Validation,
            BulkErrorKind::Integrity,
            BulkErrorKind::EmptyPatchSet,
            BulkErrorKind::Infrastructure,
            BulkErrorKind::ErrorResponse,
            BulkErrorKind::Unknown("QuotaExceeded".into()),
            BulkErrorKind::UnknownOutcome("BulkActionPending".into()),
        ];
        for (i, (f, kind)) in outcomes.failures().iter().zip(want).enumerate() {
            assert_eq!((f.index, &f.kind), (i, &kind));
            // ErrorResponse has no id in the spec; `index` still locates the item.
            let id = ["a", "b", "c", "d", "e", "", "g", "h"][i];
            assert_eq!(f.id.as_deref(), Some(id).filter(|id| !id.is_empty()), "{f}");
            assert_eq!(f.message.as_deref(), Some(format!("m{i}").as_str()), "{f}");
        }
        // Unknowns keep their raw JSON for the caller.
        assert!(outcomes.failures()[6].raw.is_some() && outcomes.failures()[7].raw.is_some());
    }

    #[test]
    fn agent_and_end_user_outcomes_classify_every_failure_kind_and_unknowns() {
        let agents: types::BulkUpdateAgentOutput = serde_json::from_value(all_failure_kinds()).unwrap();
        assert_all_failure_kinds(&BulkOutcomes::from_output(agents));
        let users: types::BulkPatchEndUsersOutput = serde_json::from_value(all_failure_kinds()).unwrap();
        assert_all_failure_kinds(&BulkOutcomes::from_output(users));
        let ids: types::BulkQueueEndpointOutput = serde_json::from_value(all_failure_kinds()).unwrap();
        assert_all_failure_kinds(&BulkOutcomes::from_output(ids));
    }

    #[test]
    fn an_unknown_note_outcome_is_a_failure_with_its_raw_json() {
        let body = json!({"data": [{"_type": "BulkActionSkipped", "id": "n1", "message": "duplicate"}]});
        let output: types::BulkCreateNoteOutput = serde_json::from_value(body).unwrap();
        let err = BulkOutcomes::from_output(output).into_result().unwrap_err();
        let f = &err.failures()[0];
        assert_eq!(f.kind, BulkErrorKind::UnknownOutcome("BulkActionSkipped".into()));
        assert_eq!((f.id.as_deref(), f.message.as_deref()), (Some("n1"), Some("duplicate")));
    }

    #[test]
    fn note_failures_are_error_responses() {
        let body = json!({"data": [
            {"_type": "BulkActionFailure", "error": {"message": "conversation is closed"}},
        ]});
        let output: types::BulkCreateNoteOutput = serde_json::from_value(body).unwrap();
        let err = BulkOutcomes::from_output(output).into_result().unwrap_err();
        assert_eq!(err.failures()[0].kind, BulkErrorKind::ErrorResponse);
        assert_eq!(err.failures()[0].message.as_deref(), Some("conversation is closed"));
    }
}
