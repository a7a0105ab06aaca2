//! The API changelog: what changed between two raw specs, for the wire and
//! for Rust callers of the generated client, and the semver bump it implies.
//!
//! A generic OpenAPI diff tool classifies by the spec alone. This one also
//! knows what the generated client does with a change: response unions and
//! value sets are OPEN (an `Unknown` variant keeps what this client does not
//! know), so a new response union variant does not break the wire for it,
//! while the Rust enum that gained a variant still breaks an exhaustive
//! `match`. So an entry is computed from both raw specs (`spec_diff`) AND
//! both generated Rust surfaces ([`Surface`], read from the syntax of the
//! two `generated.rs`), and every change carries one [`Class`] and its reason.
//!
//! The changelog is history: [`Changelog`] holds the entries newest first,
//! kept as JSON (machine-readable, the source of truth) and rendered to
//! markdown (`render`).

mod render;
mod spec_diff;
mod surface;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::normalize::Normalized;

pub use render::markdown;
pub use surface::Surface;

/// How a change affects callers of `dixa-client`, most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    /// Requests or responses that worked before fail now (or silently lose data).
    BreakingOnWire,
    /// The wire keeps working, but Rust code written against the old client
    /// may not compile (a new variant in an exhaustive enum, a removed field).
    BreakingForRust,
    /// Nothing that worked before stops working.
    Additive,
}

impl Class {
    /// A short label for the markdown.
    pub fn label(self) -> &'static str {
        match self {
            Class::BreakingOnWire => "breaking on the wire",
            Class::BreakingForRust => "breaking for Rust callers only",
            Class::Additive => "additive",
        }
    }
}

/// One change, classified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// The class.
    pub class: Class,
    /// What kind of change, e.g. `operation.removed`, `property.added`,
    /// `enum.variant-added`: stable, for machines.
    pub kind: String,
    /// Where: `GET /v1/agents`, `Schema.property`, `types::Enum`.
    pub location: String,
    /// What changed, in words.
    pub detail: String,
    /// Why it has this class.
    pub reason: String,
    /// The Rust type, change family and member (variant or JSON field name)
    /// this change shows up as in the generated client, to pair it with the
    /// Rust surface's view of the same fact; not part of the changelog.
    #[serde(skip)]
    pub(crate) rust_key: Option<RustKey>,
}

/// How a spec change shows in the generated Rust: `(type, family, member)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RustKey {
    pub type_name: String,
    pub family: &'static str,
    pub member: String,
}

/// Which raw spec an entry starts or ends at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecId {
    /// SHA-256 of the raw spec file's bytes.
    pub sha256: String,
    /// `info.version` of the spec.
    pub version: String,
    /// Number of operations.
    pub operations: usize,
}

impl SpecId {
    /// Identifies the raw spec `bytes` (parsed as `spec`) with `operations` operations.
    pub fn of(bytes: &[u8], spec: &Value, operations: usize) -> Self {
        SpecId {
            sha256: sha256_hex(bytes),
            version: spec.pointer("/info/version").and_then(Value::as_str).unwrap_or("?").to_string(),
            operations,
        }
    }
}

/// The SemVer bump a change set implies for `dixa-client`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Bump {
    /// Nothing changed for callers.
    None,
    /// Additive changes only.
    Minor,
    /// Something breaks (on the wire or for Rust).
    Major,
}

/// The counts of an entry's changes by class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// [`Class::BreakingOnWire`].
    pub breaking_on_wire: usize,
    /// [`Class::BreakingForRust`].
    pub breaking_for_rust: usize,
    /// [`Class::Additive`].
    pub additive: usize,
}

/// Operation-level summary of an entry (what `cargo xtask update` prints).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationSummary {
    /// `METHOD /path` of the operations added.
    pub added: Vec<String>,
    /// `METHOD /path` of the operations removed.
    pub removed: Vec<String>,
    /// `METHOD /path` of the operations whose parameters, body or responses changed.
    pub changed: Vec<String>,
    /// `METHOD /path` of the operations newly marked deprecated.
    pub deprecated: Vec<String>,
}

/// One changelog entry: the change from one raw spec to the next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The spec before.
    pub from: SpecId,
    /// The spec after.
    pub to: SpecId,
    /// The SemVer bump for `dixa-client`.
    pub bump: Bump,
    /// Counts by class.
    pub counts: Counts,
    /// Operation-level summary.
    pub operations: OperationSummary,
    /// Enums that gained variants, so that the change broke exhaustive
    /// matches; `#[non_exhaustive]` on them would make such changes additive.
    pub non_exhaustive_candidates: Vec<String>,
    /// Hand-written notes: normalization rules changed for this spec, and why.
    pub notes: Vec<String>,
    /// Every change, most severe class first.
    pub changes: Vec<Change>,
}

/// The whole changelog, newest entry first (`spec/api-changelog.json`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changelog {
    /// The entries, newest first.
    pub entries: Vec<Entry>,
}

impl Changelog {
    /// Reads the JSON form.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The JSON form: pretty, with a final newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a changelog always serializes");
        s.push('\n');
        s
    }
}

/// One side of a comparison: the raw spec and what the generator made of it.
///
/// Only the normalization and the Rust surface are needed, not a whole
/// generation run: the side an update starts from is the committed client,
/// whose surface is read from its text ([`Surface::parse`]).
pub struct Side<'a> {
    /// The raw spec file's bytes.
    pub raw_bytes: &'a [u8],
    /// The raw spec, parsed.
    pub raw: &'a Value,
    /// The normalization of that spec.
    pub normalized: &'a Normalized,
    /// The public surface of the client generated from it.
    pub surface: &'a Surface,
}

/// Computes the entry for the change `old` -> `new`, with `notes`.
pub fn compute(old: &Side<'_>, new: &Side<'_>, notes: Vec<String>) -> Entry {
    let (mut changes, operations) = crate::timing::step("changelog: spec diff", || spec_diff::diff(old, new));
    let rust = surface::diff(old.surface, new.surface);
    let non_exhaustive_candidates = rust.grown_enums.clone();
    merge_rust(&mut changes, rust.changes);
    // The pairing keys have done their job; the stored entry is what a
    // reader sees, and an entry read back from JSON must compare equal.
    changes.iter_mut().for_each(|c| c.rust_key = None);
    changes.sort_by(|a, b| (a.class, &a.kind, &a.location).cmp(&(b.class, &b.kind, &b.location)));
    changes.dedup();
    let mut counts = Counts::default();
    for c in &changes {
        match c.class {
            Class::BreakingOnWire => counts.breaking_on_wire += 1,
            Class::BreakingForRust => counts.breaking_for_rust += 1,
            Class::Additive => counts.additive += 1,
        }
    }
    let bump = if counts.breaking_on_wire + counts.breaking_for_rust > 0 {
        Bump::Major
    } else if counts.additive > 0 {
        Bump::Minor
    } else {
        Bump::None
    };
    Entry {
        from: SpecId::of(old.raw_bytes, old.raw, old.normalized.operations.len()),
        to: SpecId::of(new.raw_bytes, new.raw, new.normalized.operations.len()),
        bump,
        counts,
        operations,
        non_exhaustive_candidates,
        notes,
        changes,
    }
}

/// Adds the Rust surface changes a spec change does not already explain.
///
/// A spec change names its schema; the Rust change of the same type (typify
/// names types after schemas) is the same fact seen from Rust, so it only
/// raises the spec change's class when Rust sees it as worse (a new union
/// variant is harmless on the wire for this client, but the enum gained a
/// variant). Everything else (types the normalizer introduced, builders,
/// client methods) stands as its own entry.
fn merge_rust(changes: &mut Vec<Change>, rust: Vec<Change>) {
    for r in rust {
        let explained = changes.iter_mut().find(|c| c.rust_key.is_some() && c.rust_key == r.rust_key);
        match explained {
            Some(c) if r.class < c.class => {
                c.class = r.class;
                c.reason = format!("{} For Rust: {}", c.reason, r.reason);
            }
            Some(_) => {}
            None => changes.push(r),
        }
    }
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}
