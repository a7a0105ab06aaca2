//! `cargo xtask recover [--check]`: rebuild the raw spec and its report from
//! the renderings in `spec/sources/`.
use std::path::Path;

use dixa_codegen::recover::{recover, Recovery};

/// Where the outputs live, relative to the workspace root.
const SPEC: &str = "spec/dixa-v1.json";
const REPORT: &str = "spec/RECOVERY.md";
const SOURCES: &str = "spec/sources";

/// How many differing lines a `--check` failure prints per file.
const SHOWN_LINES: usize = 20;

/// Rebuilds `spec/dixa-v1.json` and `spec/RECOVERY.md`; with `check`,
/// writes nothing and fails if either committed file differs.
pub fn run(root: &Path, check: bool) -> Result<(), String> {
    let Recovery { spec, report } =
        recover(&root.join(SOURCES)).map_err(|e| format!("recover: {e}"))?;
    let outputs = [(SPEC, spec), (REPORT, report)];
    if check {
        let mut problems = Vec::new();
        for (rel, fresh) in &outputs {
            let committed = std::fs::read_to_string(root.join(rel)).unwrap_or_default();
            if &committed != fresh {
                problems.push(format!(
                    "{rel} differs from what the renderings give:\n{}",
                    first_differences(&committed, fresh)
                ));
            }
        }
        if problems.is_empty() {
            println!("recover: {SPEC} and {REPORT} are up to date");
            return Ok(());
        }
        return Err(format!("{}\nfix: cargo xtask recover", problems.join("\n")));
    }
    for (rel, fresh) in &outputs {
        let path = root.join(rel);
        let committed = std::fs::read_to_string(&path).ok();
        if committed.as_deref() == Some(fresh.as_str()) {
            println!("recover: {rel} unchanged");
        } else {
            std::fs::write(&path, fresh)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            println!(
                "recover: {rel} {}",
                if committed.is_some() {
                    "updated"
                } else {
                    "created"
                }
            );
        }
    }
    Ok(())
}

/// A short unified diff of the first differing lines.
fn first_differences(old: &str, new: &str) -> String {
    let diff = similar::TextDiff::from_lines(old, new);
    let mut out = String::new();
    let mut shown = 0;
    for change in diff.iter_all_changes() {
        let sign = match change.tag() {
            similar::ChangeTag::Equal => continue,
            similar::ChangeTag::Delete => '-',
            similar::ChangeTag::Insert => '+',
        };
        if shown == SHOWN_LINES {
            out.push_str("  ...\n");
            break;
        }
        let line_no = change
            .old_index()
            .or(change.new_index())
            .map_or(0, |i| i + 1);
        out.push_str(&format!("  {sign}{line_no:>6}: {}", change.value()));
        if !change.value().ends_with('\n') {
            out.push('\n');
        }
        shown += 1;
    }
    out
}
