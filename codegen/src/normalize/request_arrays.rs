//! Pass `request_arrays`: request bodies keep "absent" apart from "empty list".
//!
//! Defect: typify types an optional array as `Vec<T>` with
//! `skip_serializing_if = "Vec::is_empty"`, so `"middleNames": []` is never
//! sent and a PATCH meant to clear a list silently does nothing.
//!
//! Rule: in every schema reachable from a request, an optional (not
//! `required`) property of type array is made `nullable`, which typify types
//! as `Option<Vec<T>>`: `None` is omitted, `Some(vec![])` is sent as `[]`.
//! Response-only schemas keep `Vec<T>` (an absent list reads as empty, which
//! is what callers want there).

use serde_json::Value;

use super::{usage::Usage, Context, NormalizeError};

const PASS: &str = "request_arrays";

pub(crate) fn run(cx: &mut Context) -> Result<(), NormalizeError> {
    let usage = Usage::of(cx);
    let names: Vec<String> = usage.request.iter().cloned().collect();
    for name in names {
        let Some(schema) = cx.schemas_mut().get_mut(&name) else { continue };
        let required: Vec<String> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default();
        let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) else { continue };
        let mut changed = Vec::new();
        for (prop, p) in props.iter_mut() {
            if required.contains(prop) || p.get("type").and_then(Value::as_str) != Some("array") {
                continue;
            }
            if p.get("nullable") != Some(&Value::Bool(true)) {
                p["nullable"] = Value::Bool(true);
                changed.push(prop.clone());
            }
        }
        for prop in changed {
            cx.report.add(PASS, format!("{name}.{prop}"), "optional array -> nullable (Option<Vec<_>>: Some(vec![]) is sent as [])");
        }
    }
    Ok(())
}
