//! [`OperationMeta`]: what the hand-written layer needs to know per operation.

/// One operation of the generated [`crate::Client`] (see [`crate::OPERATIONS`]).
///
/// `dixa-client-ext` uses it to name spans by path template (not by the
/// concrete URL, which holds ids) and to check that every paginated
/// operation is covered by its pagination helpers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct OperationMeta {
    /// The id the generated code passes to hooks as
    /// `progenitor_client::OperationInfo::operation_id` (the normalized
    /// operationId, snake_case).
    pub operation_id: &'static str,
    /// The operationId in the raw spec (`Agents_downgradeAgent`).
    pub spec_operation_id: &'static str,
    /// The upper-case HTTP method.
    pub method: &'static str,
    /// The path template, e.g. `/v1/agents/{agentId}`.
    pub path: &'static str,
    /// The `Client` method that calls it.
    pub rust_method: &'static str,
    /// Takes a `pageKey` query parameter or returns `meta.next`.
    pub paginated: bool,
}

impl OperationMeta {
    /// The operation whose hook `operation_id` is `operation_id`.
    pub fn find(operation_id: &str) -> Option<&'static OperationMeta> {
        crate::OPERATIONS.iter().find(|op| op.operation_id == operation_id)
    }
}
