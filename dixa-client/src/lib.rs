//! Typed client for the Dixa API v1 (placeholder until generation lands).
pub mod hooks;
pub use hooks::{Hooks, Transport};
