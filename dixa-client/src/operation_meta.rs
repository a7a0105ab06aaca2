//! [`OperationMeta`]: what the runtime layer needs to know per operation.

use crate::runtime::BulkLimit;

/// One operation of the API (see [`crate::OPERATIONS`]), generated from the spec.
///
/// The runtime uses it to name spans by path template (not by the concrete
/// URL, which holds ids), to check page cursors, and to chunk bulk calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct OperationMeta {
    /// The normalized operationId, snake_case: also the client method that
    /// starts the call (`get_agent`).
    pub operation_id: &'static str,
    /// The operationId in the raw spec (`Agents_downgradeAgent`).
    pub spec_operation_id: &'static str,
    /// The upper-case HTTP method.
    pub method: &'static str,
    /// The path template, e.g. `/v1/agents/{agentId}`.
    pub path: &'static str,
    /// The client method that starts it (same as `operation_id`).
    pub rust_method: &'static str,
    /// The builder type in [`crate::builder`].
    pub builder: &'static str,
    /// Takes a `pageKey` query parameter or returns `meta.next`; its builder
    /// implements [`crate::runtime::Paginated`].
    pub paginated: bool,
    /// For a bulk operation (its body is one list of items), the per-call
    /// limit; its builder implements [`crate::runtime::Bulk`].
    pub bulk: Option<BulkLimit>,
}

impl OperationMeta {
    /// The operation whose id is `operation_id`.
    pub fn find(operation_id: &str) -> Option<&'static OperationMeta> {
        crate::OPERATIONS.iter().find(|op| op.operation_id == operation_id)
    }
}
