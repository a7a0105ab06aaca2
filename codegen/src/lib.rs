//! Turns Dixa's published API documentation into the `dixa-client` crate.
//!
//! The pipeline has three stages, each in its own module:
//! 1. [`recover`]: rebuild the raw OpenAPI spec (`spec/dixa-v1.json`) from the
//!    text renderings kept in `spec/sources/`.
//! 2. [`normalize`]: named passes that fix the raw spec's defects (untagged
//!    `_type` unions, deprecated fields, clash suffixes, ...).
//! 3. [`generate`]: drive progenitor and emit one prettyplease-formatted file.

pub mod changelog;
pub mod generate;
pub mod normalize;
pub mod recover;
