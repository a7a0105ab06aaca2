//! Pass `timestamps`: lenient, byte-exact timestamps.
//!
//! Defect: Dixa sends some timestamps with a zone-id suffix
//! (`2021-12-01T12:46:36.581Z[GMT]`) that RFC 3339 parsers (chrono, as typify
//! uses for `format: date-time`) reject, failing the whole response.
//!
//! Rule: every `{type: string, format: date-time}` schema (anywhere in the
//! component schemas or in operation parameters) is replaced by a reference
//! to one [`TIMESTAMP`] schema, which the generator maps to the hand-written
//! `dixa_client::Timestamp`: it parses both forms and re-serializes exactly
//! the string it read. (A `$ref` cannot carry a description in OpenAPI 3.0,
//! so the property's own description is dropped; the report lists each use.)
//! A named date-time schema is kept and generated as `Timestamp` as well.

use serde_json::{json, Value};

use super::{schema_ref, Context, NormalizeError, TIMESTAMP};

const PASS: &str = "timestamps";

pub(crate) fn run(cx: &mut Context) -> Result<(), NormalizeError> {
    let mut hits = Vec::new();
    let names: Vec<String> = cx.schemas().keys().cloned().collect();
    let mut aliases = Vec::new();
    for name in names {
        let mut s = cx.schemas_mut()[&name].take();
        if is_date_time(&s) {
            // A named alias (`Instant: {type: string, format: date-time}`):
            // keep it, and generate it as the lenient type too.
            aliases.push(name.clone());
        } else {
            rewrite(&mut s, &name, &mut hits);
        }
        cx.schemas_mut()[&name] = s;
    }
    for alias in aliases {
        cx.replace(&alias, "crate::Timestamp".to_string());
        cx.report.add(PASS, &alias, "named date-time schema -> Timestamp");
    }
    if let Some(paths) = cx.spec["paths"].as_object_mut() {
        for (path, item) in paths.iter_mut() {
            rewrite(item, path, &mut hits);
        }
    }
    if hits.is_empty() {
        return Ok(());
    }
    cx.add_schema(
        PASS,
        TIMESTAMP,
        "the lenient timestamp",
        json!({ "type": "string", "format": "date-time", "description": "An RFC 3339 timestamp, possibly with a zone-id suffix (`...Z[GMT]`)." }),
    )?;
    cx.replace(TIMESTAMP, "crate::Timestamp".to_string());
    for h in hits {
        cx.report.add(PASS, h, "date-time -> Timestamp");
    }
    Ok(())
}

fn is_date_time(v: &Value) -> bool {
    v.get("type").and_then(Value::as_str) == Some("string")
        && v.get("format").and_then(Value::as_str) == Some("date-time")
}

/// Rewrites every date-time schema below `v` (not `v` itself) to a `$ref`.
fn rewrite(v: &mut Value, at: &str, hits: &mut Vec<String>) {
    rewrite_in(v, at, hits, false);
}

/// [`rewrite`]; `names` says the keys of `v` are property names.
fn rewrite_in(v: &mut Value, at: &str, hits: &mut Vec<String>, names: bool) {
    match v {
        Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                // Examples are data, not schemas (but a property may be
                // NAMED `example`).
                if !names && (k == "example" || k == "examples") {
                    continue;
                }
                let here = format!("{at}.{k}");
                if is_date_time(child) {
                    *child = schema_ref(TIMESTAMP);
                    hits.push(here.replace(".properties.", ".").replace(".schema", ""));
                } else {
                    rewrite_in(child, &here, hits, !names && k == "properties");
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter_mut().enumerate() {
                let here = format!("{at}[{i}]");
                if is_date_time(child) {
                    *child = schema_ref(TIMESTAMP);
                    hits.push(here);
                } else {
                    rewrite_in(child, &here, hits, false);
                }
            }
        }
        _ => {}
    }
}
