//! Pass `request_arrays`: request bodies keep "absent" apart from "empty list".
//!
//! Defect: typify types an optional array as `Vec<T>` with
//! `skip_serializing_if = "Vec::is_empty"`, so `"middleNames": []` is never
//! sent and a PATCH meant to clear a list silently does nothing.
//!
//! Rule: in every schema a request can contain (component schemas reachable
//! from a request, and request bodies written inline), an optional (not
//! `required`) property of type array is made `nullable`, which typify types
//! as `Option<Vec<T>>`: `None` is omitted, `Some(vec![])` is sent as `[]`.
//! Inline objects inside those schemas (a property or array item that is an
//! object without a `$ref`) get the same rule, since typify turns them into
//! structs of their own. Response-only schemas keep `Vec<T>` (an absent list
//! reads as empty, which is what callers want there).

use serde_json::Value;

use super::{usage::Usage, Context, NormalizeError, METHODS};

const PASS: &str = "request_arrays";

pub(crate) fn run(cx: &mut Context) -> Result<(), NormalizeError> {
    let usage = Usage::of(cx);
    let mut changed = Vec::new();
    for name in &usage.request {
        if let Some(schema) = cx.schemas_mut().get_mut(name) {
            nullable_optional_arrays(schema, name, &mut changed);
        }
    }
    let paths: Vec<String> = cx.spec["paths"].as_object().map(|p| p.keys().cloned().collect()).unwrap_or_default();
    for path in paths {
        for m in METHODS {
            let location = format!("{} {path} body", m.to_uppercase());
            let Some(content) = cx.spec["paths"][&path]
                .get_mut(m)
                .and_then(|op| op.pointer_mut("/requestBody/content"))
                .and_then(Value::as_object_mut)
            else {
                continue;
            };
            for mt in content.values_mut() {
                if let Some(schema) = mt.get_mut("schema") {
                    nullable_optional_arrays(schema, &location, &mut changed);
                }
            }
        }
    }
    for at in changed {
        cx.report.add(PASS, at, "optional array -> nullable (Option<Vec<_>>: Some(vec![]) is sent as [])");
    }
    Ok(())
}

/// Applies the rule to the inline object `schema` (a `$ref` is left alone:
/// its target is handled as a component) and to inline objects inside it.
fn nullable_optional_arrays(schema: &mut Value, at: &str, changed: &mut Vec<String>) {
    if let Some(items) = schema.get_mut("items") {
        nullable_optional_arrays(items, &format!("{at}[]"), changed);
    }
    let required: Vec<String> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default();
    let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) else { return };
    for (prop, p) in props.iter_mut() {
        let here = format!("{at}.{prop}");
        let is_array = p.get("type").and_then(Value::as_str) == Some("array");
        if is_array && !required.contains(prop) && p.get("nullable") != Some(&Value::Bool(true)) {
            p["nullable"] = Value::Bool(true);
            changed.push(here.clone());
        }
        nullable_optional_arrays(p, &here, changed);
    }
}
