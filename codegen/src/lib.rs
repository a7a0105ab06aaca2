//! Turns Dixa's published API documentation into the `dixa-client` crate.
//!
//! The pipeline has three stages, each in its own module:
//! 1. [`recover`]: rebuild the raw OpenAPI spec (`spec/dixa-v1.json`) from the
//!    text renderings kept in `spec/sources/`.
//! 2. [`normalize`]: named passes that fix the raw spec's defects (untagged
//!    `_type` unions, deprecated fields, clash suffixes, ...).
//! 3. [`generate`]: drive progenitor and emit one prettyplease-formatted file.
//!
//! [`tagged_mirror`] derives the decode benchmark's serde baseline from the
//! generated client.
//! [`wire`] derives the wire document (`spec/dixa-v1.wire.json`) from the
//! normalized spec: the Dixa spec as the wire really is, for other tools.

pub mod calls;
pub mod changelog;
pub mod generate;
pub mod normalize;
pub mod recover;
pub mod tagged_mirror;
pub mod timing;
pub mod wire;
