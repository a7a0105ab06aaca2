//! The markdown form of the changelog (`spec/API-CHANGELOG.md`), rendered
//! from the JSON form so the two cannot disagree.

use super::{Bump, Changelog, Class, Entry};

/// Renders the whole changelog, newest entry first.
pub fn markdown(log: &Changelog) -> String {
    let mut md = String::from(
        "# Dixa API changelog\n\n\
         What changed in Dixa's spec between the raw specs this client was generated from,\n\
         newest first, and what it means for callers of `dixa-client`. Written by\n\
         `cargo xtask update <spec>` (machine-readable: `spec/api-changelog.json`; do not edit\n\
         either by hand except the notes, which `--note` adds). Classes:\n\n\
         - **breaking on the wire**: a request or response that worked before fails now;\n\
         - **breaking for Rust callers only**: the wire keeps working, Rust code may not compile;\n\
         - **additive**: nothing that worked before stops working.\n",
    );
    for e in &log.entries {
        md.push('\n');
        md.push_str(&entry(e));
    }
    md
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(12)]
}

fn entry(e: &Entry) -> String {
    let mut md = format!(
        "## {} ({} operations) -> {} ({} operations)\n\n",
        short(&e.from.sha256),
        e.from.operations,
        short(&e.to.sha256),
        e.to.operations
    );
    let bump = match e.bump {
        Bump::Major => "**major** (breaking; while the crate is 0.x, the minor number)",
        Bump::Minor => "minor (additive; while the crate is 0.x, the patch number)",
        Bump::None => "none",
    };
    md.push_str(&format!(
        "SemVer bump for `dixa-client`: {bump}. Changes: {} breaking on the wire, {} breaking for Rust callers only, {} additive.\n\n",
        e.counts.breaking_on_wire, e.counts.breaking_for_rust, e.counts.additive
    ));
    let o = &e.operations;
    md.push_str(&format!(
        "Operations: {} added, {} removed, {} changed, {} newly deprecated.\n",
        o.added.len(),
        o.removed.len(),
        o.changed.len(),
        o.deprecated.len()
    ));
    if !e.notes.is_empty() {
        md.push_str("\n### Notes\n\n");
        for n in &e.notes {
            md.push_str(&format!("- {n}\n"));
        }
    }
    if !e.non_exhaustive_candidates.is_empty() {
        md.push_str(&format!(
            "\n### `#[non_exhaustive]`\n\n\
             These generated enums gained variants, which breaks an exhaustive `match` in\n\
             caller code even where the wire is unaffected (open unions and value sets keep\n\
             unknown values as `Unknown`). Generating them `#[non_exhaustive]` would make such\n\
             growth additive: {}.\n",
            e.non_exhaustive_candidates.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
        ));
    }
    for class in [Class::BreakingOnWire, Class::BreakingForRust, Class::Additive] {
        let of: Vec<_> = e.changes.iter().filter(|c| c.class == class).collect();
        if of.is_empty() {
            continue;
        }
        let mut title = class.label().to_string();
        title[..1].make_ascii_uppercase();
        md.push_str(&format!("\n### {title} ({})\n\n| where | what | why |\n|---|---|---|\n", of.len()));
        for c in of {
            md.push_str(&format!("| `{}` | {} | {} |\n", c.location, escape(&c.detail), escape(&c.reason)));
        }
    }
    md
}

/// Keeps a table cell in its cell.
fn escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}
