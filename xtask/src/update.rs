//! `cargo xtask update <spec.json> [--note TEXT]...` and the changelog half
//! of `cargo xtask check`.
//!
//! File layout (see the README, "When Dixa changes its spec"):
//! - `spec/dixa-v1.json`: the SEED, recovered from `spec/sources/` by
//!   `cargo xtask recover` and checked byte for byte by CI. It is the
//!   baseline the first changelog entry starts from and is never
//!   overwritten by an update.
//! - `spec/dixa-v1.current.json`: the raw spec the client is generated
//!   from, exactly the bytes `update` was given. Absent until the first
//!   update: until then the seed is current.
//! - `spec/api-changelog.json` (entries, newest first; the source of truth)
//!   and `spec/API-CHANGELOG.md` (rendered from it).
//!
//! Everything is computed in memory first (validation, normalization,
//! generation of both sides, the changelog entry); files are written only
//! when all of it succeeded, so a bad spec leaves the repository unchanged.

use std::path::Path;
use std::time::Instant;

use dixa_codegen::changelog::{self, sha256_hex, Changelog, Entry, Side, Surface};
use dixa_codegen::generate::{generate_parsed, header, Generated};
use dixa_codegen::normalize::Normalized;
use dixa_codegen::timing::step;
use serde_json::Value;

use crate::generate::{CLIENT, NORMALIZED, OPERATIONS, WIRE};
use dixa_codegen::tagged_mirror::MIRROR_PATH;

/// The recovered seed spec (baseline).
pub const SEED: &str = "spec/dixa-v1.json";
/// The current raw spec, once an update has happened.
pub const CURRENT: &str = "spec/dixa-v1.current.json";
/// The machine-readable changelog.
pub const CHANGELOG_JSON: &str = "spec/api-changelog.json";
/// The rendered changelog.
pub const CHANGELOG_MD: &str = "spec/API-CHANGELOG.md";

/// The raw spec generation reads: the current one, or the seed before the first update.
pub fn current_spec(root: &Path) -> &'static str {
    if root.join(CURRENT).exists() {
        CURRENT
    } else {
        SEED
    }
}

/// What one update produced, for the summary line.
pub struct Outcome {
    /// The files written (relative paths); empty when nothing changed.
    pub written: Vec<&'static str>,
    /// The entry for the new spec (`None` when the spec is the seed itself).
    pub entry: Option<Entry>,
}

/// Runs `cargo xtask update` with `args` (the spec path and `--note`s).
pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let mut path = None;
    let mut notes = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--note" => notes.push(it.next().ok_or("--note needs a text")?.clone()),
            other if path.is_none() => path = Some(other.to_string()),
            other => return Err(format!("unexpected argument `{other}`")),
        }
    }
    let path = path.ok_or("usage: cargo xtask update <openapi.json> [--note TEXT]...")?;
    let started = Instant::now();
    let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let outcome = update(root, &bytes, &path, notes)?;
    let elapsed = started.elapsed();
    match &outcome.entry {
        Some(e) => println!(
            "update: {} -> {} operations: {} added, {} removed, {} changed, {} deprecated; \
             {} breaking on the wire, {} breaking for Rust only, {} additive; semver bump {:?}",
            e.from.operations,
            e.to.operations,
            e.operations.added.len(),
            e.operations.removed.len(),
            e.operations.changed.len(),
            e.operations.deprecated.len(),
            e.counts.breaking_on_wire,
            e.counts.breaking_for_rust,
            e.counts.additive,
            e.bump
        ),
        None => println!("update: {path} is the seed spec; nothing to log"),
    }
    if outcome.written.is_empty() {
        println!("update: nothing changed ({elapsed:.2?})");
    } else {
        println!("update: wrote {} ({elapsed:.2?}); review {CHANGELOG_MD}", outcome.written.join(", "));
    }
    Ok(())
}

/// Validates that `raw` is a JSON OpenAPI 3.0.x document; the error says what is wrong.
pub fn validate(bytes: &[u8], file: &str) -> Result<Value, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("{file} is not UTF-8 text: {e}"))?;
    let trimmed = text.trim_start();
    if !trimmed.starts_with('{') {
        return Err(format!(
            "{file} is not a JSON object{}",
            if trimmed.starts_with("openapi:") || trimmed.starts_with("swagger:") || trimmed.starts_with("---") {
                " (it looks like YAML: convert it to JSON first, e.g. `yq -o json`)"
            } else {
                ""
            }
        ));
    }
    let spec: Value = serde_json::from_str(text).map_err(|e| format!("{file} is not valid JSON: {e}"))?;
    match spec.get("openapi").and_then(Value::as_str) {
        Some(v) if v.starts_with("3.0.") => Ok(spec),
        Some(v) => Err(format!("{file}: `openapi` is \"{v}\"; only OpenAPI 3.0.x is supported")),
        None if spec.get("swagger").is_some() => {
            Err(format!("{file}: a Swagger 2.0 document; only OpenAPI 3.0.x is supported (convert it first)"))
        }
        None => Err(format!("{file}: no `openapi` version member; not an OpenAPI 3.0.x document")),
    }
}

/// One side of the comparison, owned.
struct Loaded {
    bytes: Vec<u8>,
    raw: Value,
    normalized: Normalized,
    surface: Surface,
}

impl Loaded {
    fn side(&self) -> Side<'_> {
        Side { raw_bytes: &self.bytes, raw: &self.raw, normalized: &self.normalized, surface: &self.surface }
    }
}

/// The side an update goes to: generated in full (its files are written),
/// its surface and the decode mirror read from the generated syntax tree.
struct Fresh {
    loaded: Loaded,
    generated: Generated,
    mirror: String,
}

/// Validates and generates the spec `bytes` (read from `file`, stored as `generated_as`).
fn fresh(bytes: Vec<u8>, file: &str, generated_as: &str) -> Result<Fresh, String> {
    let raw = step("update: validate", || validate(&bytes, file))?;
    let (loaded, generated, mirror) = generated_side(bytes, raw, file, generated_as, true)?;
    Ok(Fresh { loaded, generated, mirror: mirror.unwrap_or_default() })
}

/// Generates the validated spec `bytes` (read from `file`, stored as
/// `generated_as`); its surface, and the decode mirror when `with_mirror`,
/// are read from the syntax tree generated.
fn generated_side(
    bytes: Vec<u8>,
    raw: Value,
    file: &str,
    generated_as: &str,
    with_mirror: bool,
) -> Result<(Loaded, Generated, Option<String>), String> {
    let (generated, tree) =
        step("update: generate", || generate_parsed(&bytes, generated_as)).map_err(|e| format!("{file}: {e}"))?;
    let surface = step("update: surface of the tree", || Surface::of(&tree));
    let mirror = with_mirror
        .then(|| {
            step("update: tagged mirror", || dixa_codegen::tagged_mirror::render_file(&tree))
                .map_err(|e| format!("tagged mirror: {e}"))
        })
        .transpose()?;
    let loaded = Loaded { bytes, raw, normalized: generated.normalized.clone(), surface };
    Ok((loaded, generated, mirror))
}

/// A side that is already generated and committed (the spec an update
/// starts from, or the current spec for `check`): normalized again, but
/// its client is not generated again when the committed `generated.rs`
/// says it was generated from exactly these bytes stored as `file` by this
/// generator (its header names the spec's SHA-256 and the generator
/// versions; `cargo xtask check` keeps the rest of it equal to a fresh
/// generation). Otherwise (the seed, once an update has replaced its
/// client) it is generated.
fn committed(root: &Path, bytes: Vec<u8>, file: &str) -> Result<Loaded, String> {
    let raw = step("update: validate", || validate(&bytes, file))?;
    let client = std::fs::read_to_string(root.join(CLIENT)).unwrap_or_default();
    if client.starts_with(&header(&bytes, file)) {
        let normalized = step("update: normalize", || dixa_codegen::normalize::normalize(&raw))
            .map_err(|e| format!("{file}: {e}"))?;
        let surface = Surface::parse(&client).map_err(|e| format!("{CLIENT} does not parse: {e}"))?;
        return Ok(Loaded { bytes, raw, normalized, surface });
    }
    generated_side(bytes, raw, file, file, false).map(|(loaded, _, _)| loaded)
}

/// Runs `a` on a new thread while `b` runs on this one (the two sides of a
/// comparison are independent), and returns both results.
fn both<A: Send, B>(a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B) -> (A, B) {
    std::thread::scope(|s| {
        // syn parses recursively: give the thread the main thread's stack.
        let a = std::thread::Builder::new().stack_size(64 << 20).spawn_scoped(s, a).expect("cannot start a thread");
        let b = b();
        (a.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)), b)
    })
}

fn read(root: &Path, rel: &str) -> Result<Vec<u8>, String> {
    std::fs::read(root.join(rel)).map_err(|e| format!("cannot read {rel}: {e}"))
}

fn read_changelog(root: &Path) -> Result<Changelog, String> {
    match std::fs::read_to_string(root.join(CHANGELOG_JSON)) {
        Ok(text) => Changelog::from_json(&text).map_err(|e| format!("{CHANGELOG_JSON}: {e}")),
        Err(_) => Ok(Changelog::default()),
    }
}

/// The update itself: every file's new content is computed before any is written.
pub fn update(root: &Path, bytes: &[u8], file: &str, notes: Vec<String>) -> Result<Outcome, String> {
    let seed_bytes = read(root, SEED)?;
    let current_rel = current_spec(root);
    let current_bytes = read(root, current_rel)?;
    let mut log = read_changelog(root)?;
    let new_sha = sha256_hex(bytes);
    let same_again = new_sha == sha256_hex(&current_bytes);

    // Which side the entry starts from, if one is computed (see below).
    let start: Result<Option<(Vec<u8>, &str)>, String> = if same_again {
        match log.entries.first() {
            Some(newest) if newest.to.sha256 == new_sha => {
                Ok((newest.from.sha256 == sha256_hex(&seed_bytes)).then(|| (seed_bytes.clone(), SEED)))
            }
            _ if current_rel == SEED => Ok(None),
            _ => Err(format!("{CHANGELOG_JSON} has no entry ending at {current_rel}; restore it from git")),
        }
    } else {
        Ok(Some((current_bytes.clone(), current_rel)))
    };
    // The new side and the old one are independent: generate them side by side.
    let (new, old) = both(
        || fresh(bytes.to_vec(), file, CURRENT),
        || match &start {
            Ok(Some((old_bytes, old_rel))) => Some(committed(root, old_bytes.clone(), old_rel)),
            _ => None,
        },
    );
    // The given file's own errors first: they are what the user must fix.
    let new = new?;
    start?;
    let old = old.transpose()?;

    let entry = if same_again {
        // Same spec again: recompute its entry when its starting point is
        // still on disk (the seed), so codegen fixes reach the changelog;
        // otherwise keep it, adding any new notes.
        match log.entries.first().cloned() {
            Some(mut newest) if newest.to.sha256 == new_sha => {
                let mut kept_notes = newest.notes.clone();
                kept_notes.extend(notes.into_iter().filter(|n| !newest.notes.contains(n)));
                match &old {
                    Some(old) => newest = changelog::compute(&old.side(), &new.loaded.side(), kept_notes),
                    None => newest.notes = kept_notes,
                }
                log.entries[0] = newest.clone();
                Some(newest)
            }
            _ => None,
        }
    } else {
        let old = old.as_ref().expect("a different spec always has a starting side");
        let entry = changelog::compute(&old.side(), &new.loaded.side(), notes);
        log.entries.insert(0, entry.clone());
        Some(entry)
    };

    // Everything `cargo xtask generate` writes, so `check` passes right after.
    let Fresh { generated, mirror, .. } = new;
    let mut outputs: Vec<(&'static str, Vec<u8>)> = vec![
        (NORMALIZED, generated.normalized_spec.into_bytes()),
        (WIRE, generated.wire_spec.into_bytes()),
        (CLIENT, generated.client.into_bytes()),
        (OPERATIONS, generated.operations_md.into_bytes()),
        (MIRROR_PATH, mirror.into_bytes()),
    ];
    if entry.is_some() {
        outputs.push((CURRENT, bytes.to_vec()));
        outputs.push((CHANGELOG_JSON, log.to_json().into_bytes()));
        outputs.push((CHANGELOG_MD, changelog::markdown(&log).into_bytes()));
    }
    let mut written = Vec::new();
    for (rel, content) in outputs {
        let path = root.join(rel);
        if std::fs::read(&path).ok().as_deref() == Some(content.as_slice()) {
            continue;
        }
        // Write beside, then rename: a crash never leaves half a file.
        let tmp = path.with_extension("update-tmp");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        std::fs::write(&tmp, &content).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
        std::fs::rename(&tmp, &path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        written.push(rel);
    }
    Ok(Outcome { written, entry })
}

/// The changelog half of `cargo xtask check`: the markdown is the rendering
/// of the JSON, the newest entry ends at the current spec, and when that
/// entry starts at the seed, recomputing it gives the same entry.
pub fn check(root: &Path) -> Result<(), String> {
    let fix = format!("fix: cargo xtask update {CURRENT}");
    let log = read_changelog(root)?;
    let md = std::fs::read_to_string(root.join(CHANGELOG_MD)).unwrap_or_default();
    if current_spec(root) == SEED {
        if log.entries.is_empty() {
            println!("changelog: no update yet (the seed is the current spec)");
            return Ok(());
        }
        return Err(format!("{CHANGELOG_JSON} has entries but {CURRENT} is missing; restore it from git"));
    }
    if md != changelog::markdown(&log) {
        return Err(format!("{CHANGELOG_MD} is not the rendering of {CHANGELOG_JSON}\n{fix}"));
    }
    let current = read(root, CURRENT)?;
    let newest = log.entries.first().ok_or_else(|| format!("{CHANGELOG_JSON} has no entries\n{fix}"))?;
    if newest.to.sha256 != sha256_hex(&current) {
        return Err(format!("the newest entry of {CHANGELOG_JSON} does not end at {CURRENT}\n{fix}"));
    }
    let seed = read(root, SEED)?;
    if newest.from.sha256 == sha256_hex(&seed) {
        // The seed's client is generated again; the current one is the
        // committed client (the generation half of `check` compares it
        // with a fresh generation).
        let (old, new) = both(|| committed(root, seed, SEED), || committed(root, current, CURRENT));
        let fresh = changelog::compute(&old?.side(), &new?.side(), newest.notes.clone());
        if fresh != *newest {
            return Err(format!("the newest entry of {CHANGELOG_JSON} is stale (codegen changed since)\n{fix}"));
        }
    }
    println!("changelog: {CHANGELOG_JSON} and {CHANGELOG_MD} are up to date ({} entries)", log.entries.len());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    /// A scratch copy of the files `update` reads and writes.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Self {
            let repo = crate::workspace_root();
            let dir = std::env::temp_dir().join(format!("xtask-update-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            for rel in [SEED, NORMALIZED, CLIENT, OPERATIONS] {
                let to = dir.join(rel);
                std::fs::create_dir_all(to.parent().unwrap()).unwrap();
                std::fs::copy(repo.join(rel), to).unwrap();
            }
            Scratch(dir)
        }

        /// Every file under the scratch root and its bytes.
        fn files(&self) -> BTreeMap<PathBuf, Vec<u8>> {
            fn walk(dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
                for e in std::fs::read_dir(dir).unwrap() {
                    let p = e.unwrap().path();
                    if p.is_dir() {
                        walk(&p, out)
                    } else {
                        out.insert(p.clone(), std::fs::read(&p).unwrap());
                    }
                }
            }
            let mut out = BTreeMap::new();
            walk(&self.0, &mut out);
            out
        }

        fn seed(&self) -> Value {
            serde_json::from_slice(&std::fs::read(self.0.join(SEED)).unwrap()).unwrap()
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn bytes(v: &Value) -> Vec<u8> {
        serde_json::to_vec_pretty(v).unwrap()
    }

    #[test]
    fn an_update_writes_everything_once_and_a_rerun_changes_nothing() {
        let s = Scratch::new("ok");
        let mut spec = s.seed();
        spec["paths"].as_object_mut().unwrap().remove("/v1/tags/{tagId}/deactivate");
        spec["components"]["schemas"]["Tag"]["properties"]["state"]["description"] =
            "values: [Active, Inactive, Archived]".into();
        let out = update(&s.0, &bytes(&spec), "new.json", vec!["a note".into()]).unwrap();
        assert_eq!(
            out.written,
            vec![NORMALIZED, WIRE, CLIENT, OPERATIONS, MIRROR_PATH, CURRENT, CHANGELOG_JSON, CHANGELOG_MD],
            "all eight artifacts"
        );
        let e = out.entry.unwrap();
        assert_eq!((e.operations.removed.len(), e.counts.breaking_on_wire), (1, 1));
        assert_eq!(std::fs::read(s.0.join(CURRENT)).unwrap(), bytes(&spec), "stored as given");
        check(&s.0).unwrap_or_else(|e| panic!("the drift check accepts a fresh update: {e}"));

        let before = s.files();
        let again = update(&s.0, &bytes(&spec), "new.json", vec!["a note".into()]).unwrap();
        assert!(again.written.is_empty(), "idempotent: {:?}", again.written);
        assert_eq!(s.files(), before);

        std::fs::write(s.0.join(CHANGELOG_MD), "edited\n").unwrap();
        let err = check(&s.0).unwrap_err();
        assert!(err.contains("API-CHANGELOG.md is not the rendering") && err.contains("cargo xtask update"), "{err}");
    }

    /// Runs an update that must fail and checks the scratch repo is untouched.
    fn fails(name: &str, spec: &[u8]) -> String {
        let s = Scratch::new(name);
        let before = s.files();
        let err = update(&s.0, spec, "bad.json", Vec::new()).err().expect("the update must fail");
        assert_eq!(s.files(), before, "nothing written on failure: {err}");
        err
    }

    #[test]
    fn a_spec_that_is_not_openapi_3_0_is_rejected_naming_the_version() {
        let mut spec = Scratch::new("v").seed();
        spec["openapi"] = "3.1.0".into();
        let err = fails("v31", &bytes(&spec));
        assert!(err.contains("`openapi` is \"3.1.0\"; only OpenAPI 3.0.x"), "{err}");
        let err = fails("swagger", br#"{"swagger": "2.0", "paths": {}}"#);
        assert!(err.contains("Swagger 2.0"), "{err}");
        let err = fails("yaml", b"openapi: 3.0.3\n");
        assert!(err.contains("looks like YAML"), "{err}");
    }

    #[test]
    fn a_dangling_ref_is_rejected_naming_where_it_is() {
        let mut spec = Scratch::new("r").seed();
        spec["components"]["schemas"]["Tag"]["properties"]["owner"] =
            serde_json::json!({ "$ref": "#/components/schemas/Nobody" });
        let err = fails("dangling", &bytes(&spec));
        assert!(err.contains("components.schemas.Tag.properties.owner") && err.contains("Nobody"), "{err}");
    }

    #[test]
    fn a_union_the_rules_cannot_tag_is_rejected_naming_it() {
        let mut spec = Scratch::new("u").seed();
        let schemas = spec["components"]["schemas"].as_object_mut().unwrap();
        let text = serde_json::json!({ "type": "object", "properties": { "value": { "type": "string" } } });
        schemas.insert("Markdown".into(), text.clone());
        schemas.insert("Markdown2".into(), text);
        let members = schemas["Content"]["oneOf"].as_array_mut().unwrap();
        members.push(serde_json::json!({ "$ref": "#/components/schemas/Markdown" }));
        members.push(serde_json::json!({ "$ref": "#/components/schemas/Markdown2" }));
        let err = fails("untaggable", &bytes(&spec));
        assert!(err.contains("Content") && err.contains("wire tag `Markdown`"), "{err}");
    }
}
