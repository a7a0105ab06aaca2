//! Dixa's error responses: a status and a `{"message": "..."}` body (schemas
//! BadRequest, NotFound, Unauthorized, Conflict, ServerError).

use axum::response::{IntoResponse, Response};

/// An error answer from a handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: u16,
    pub(crate) message: String,
}

impl ApiError {
    pub(crate) fn new(status: u16, message: impl Into<String>) -> Self {
        ApiError { status, message: message.into() }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, message)
    }

    pub(crate) fn not_found(what: &str, id: &str) -> Self {
        Self::new(404, format!("{what} [{id}] could not be found"))
    }

    pub(crate) fn conflict(message: impl Into<String>) -> Self {
        Self::new(409, message)
    }

    /// The body for an invalid JSON request body, worded like Dixa's.
    pub(crate) fn invalid_body(detail: impl std::fmt::Display) -> Self {
        Self::bad_request(format!("Invalid value for: body ({detail})"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        crate::server::message_response(self.status, &self.message)
    }
}
