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
    let Recovery { spec, report } = recover(&root.join(SOURCES)).map_err(|e| format!("recover: {e}"))?;
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
            std::fs::write(&path, fresh).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            println!("recover: {rel} {}", if committed.is_some() { "updated" } else { "created" });
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
        let line_no = change.old_index().or(change.new_index()).map_or(0, |i| i + 1);
        out.push_str(&format!("  {sign}{line_no:>6}: {}", change.value()));
        if !change.value().ends_with('\n') {
            out.push('\n');
        }
        shown += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_show_line_numbers_and_signs() {
        let out = first_differences("a\nb\nc\n", "a\nB\nc\n");
        assert_eq!(out, "  -     2: b\n  +     2: B\n");
    }

    #[test]
    fn differences_are_capped() {
        let old: String = (0..100).map(|i| format!("{i}\n")).collect();
        let out = first_differences(&old, "");
        assert_eq!(out.lines().count(), SHOWN_LINES + 1);
        assert!(out.ends_with("  ...\n"));
    }

    #[test]
    fn check_fails_with_the_fix_command_when_sources_are_missing_or_stale() {
        let dir = std::env::temp_dir().join(format!("xtask-recover-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("spec")).expect("temp dir");
        // No sources at all: a readable error naming the file.
        let err = run(&dir, true).expect_err("no sources");
        assert!(err.contains("catalog-full-spec.txt"), "{err}");
        // Real sources, no committed outputs: drift, with the fix command.
        let real = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/sources");
        let sources = dir.join(SOURCES);
        std::fs::create_dir_all(&sources).expect("sources dir");
        for name in ["catalog-full-spec.txt", "catalog-delete-endpoints.txt", "redoc-agents.txt"] {
            std::fs::copy(real.join(name), sources.join(name)).expect("copy source");
        }
        let err = run(&dir, true).expect_err("stale");
        assert!(err.contains("spec/dixa-v1.json differs") && err.ends_with("fix: cargo xtask recover"), "{err}");
        // Writing makes the check pass.
        run(&dir, false).expect("write");
        run(&dir, true).expect("up to date");
        std::fs::remove_dir_all(&dir).ok();
    }
}
