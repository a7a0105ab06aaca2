//! Tests of the whole pipeline (per-pass unit tests live in tests/ of the crate).
