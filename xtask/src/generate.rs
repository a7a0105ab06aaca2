//! `cargo xtask generate` and the generation half of `cargo xtask check`.
//!
//! generate: read the current raw spec (`spec/dixa-v1.current.json`, or the
//! seed `spec/dixa-v1.json` before the first `cargo xtask update`), normalize
//! it, run the generator, and write the normalized spec, the wire document,
//! `dixa-client/src/generated.rs` and `dixa-client/OPERATIONS.md` (and the
//! decode benchmark's serde baseline, derived from the generated client),
//! printing which files changed and the time.
//! check: the same in memory; any difference is an error with a unified diff
//! per file and the command that fixes it.
use std::path::Path;
use std::time::Instant;

use dixa_codegen::generate::{generate_parsed, REGENERATE_COMMAND};
use dixa_codegen::tagged_mirror::MIRROR_PATH;

pub(crate) const NORMALIZED: &str = "spec/dixa-v1.normalized.json";
pub(crate) const WIRE: &str = dixa_codegen::wire::WIRE_SPEC_FILE;
pub(crate) const CLIENT: &str = "dixa-client/src/generated.rs";
pub(crate) const OPERATIONS: &str = "dixa-client/OPERATIONS.md";

/// How many diff lines a check failure prints per file; a regenerated
/// client can differ in thousands of lines, and the first hunks say enough.
const MAX_DIFF_LINES: usize = 60;

/// Regenerates the normalized spec and `dixa-client`; with `check`, fails on drift.
pub fn run(root: &Path, check: bool) -> Result<(), String> {
    let started = Instant::now();
    // The raw spec, relative to the workspace root (also named in the header).
    let spec = crate::update::current_spec(root);
    let raw = std::fs::read(root.join(spec))
        .map_err(|e| format!("cannot read {spec}: {e} (run `cargo xtask recover` first)"))?;
    let (generated, tree) = generate_parsed(&raw, spec).map_err(|e| format!("generate: {e}"))?;
    let mirror = dixa_codegen::tagged_mirror::render_file(&tree).map_err(|e| format!("tagged mirror: {e}"))?;
    let elapsed = started.elapsed();
    let outputs = [
        (NORMALIZED, &generated.normalized_spec),
        (WIRE, &generated.wire_spec),
        (CLIENT, &generated.client),
        (OPERATIONS, &generated.operations_md),
        (MIRROR_PATH, &mirror),
    ];
    let custom = &generated.normalized.custom;
    let summary = format!(
        "{} operations, {} unions, {} open enums, {} generated lines, in {:.2?}",
        generated.normalized.operations.len(),
        custom.unions.len(),
        custom.open_enums.len(),
        generated.client.lines().count(),
        elapsed
    );

    if check {
        let mut problems = Vec::new();
        for (rel, fresh) in outputs {
            let committed = std::fs::read_to_string(root.join(rel)).unwrap_or_default();
            if committed != *fresh {
                problems.push(format!("{rel} is stale:\n{}", unified_diff(rel, &committed, fresh)));
            }
        }
        if problems.is_empty() {
            println!(
                "generate: {NORMALIZED}, {WIRE}, {CLIENT}, {OPERATIONS} and {MIRROR_PATH} are up to date ({summary})"
            );
            return Ok(());
        }
        return Err(format!("{}\nfix: {REGENERATE_COMMAND}", problems.join("\n")));
    }

    for (rel, fresh) in outputs {
        let path = root.join(rel);
        let committed = std::fs::read_to_string(&path).ok();
        if committed.as_deref() == Some(fresh.as_str()) {
            println!("generate: {rel} unchanged");
        } else {
            std::fs::write(&path, fresh).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            println!("generate: {rel} {}", if committed.is_some() { "updated" } else { "created" });
        }
    }
    println!("generate: {summary}");
    Ok(())
}

/// A unified diff (3 lines of context) of `old` -> `new`, cut after
/// [`MAX_DIFF_LINES`] lines with a note of how many were left out.
fn unified_diff(rel: &str, old: &str, new: &str) -> String {
    let diff = similar::TextDiff::from_lines(old, new);
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{rel} (committed)"), &format!("b/{rel} (regenerated)"))
        .to_string();
    let total = text.lines().count();
    if total <= MAX_DIFF_LINES {
        return text;
    }
    let mut out: String = text.lines().take(MAX_DIFF_LINES).map(|l| format!("{l}\n")).collect();
    out.push_str(&format!("... {} more diff lines not shown\n", total - MAX_DIFF_LINES));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_difference_is_shown_as_a_unified_diff() {
        let diff = unified_diff("x.rs", "a\nb\nc\n", "a\nB\nc\n");
        assert!(diff.starts_with("--- a/x.rs (committed)\n+++ b/x.rs (regenerated)\n"), "{diff}");
        assert!(diff.contains("-b\n+B\n"), "{diff}");
    }

    #[test]
    fn a_large_difference_is_cut_with_a_count() {
        let old: String = (0..500).map(|i| format!("line {i}\n")).collect();
        let new: String = (0..500).map(|i| format!("LINE {i}\n")).collect();
        let diff = unified_diff("big.rs", &old, &new);
        assert_eq!(diff.lines().count(), MAX_DIFF_LINES + 1);
        assert!(diff.trim_end().ends_with("more diff lines not shown"), "{}", diff.lines().last().unwrap_or_default());
    }
}
