//! Pass `envelopes`: a success envelope decodes only with its `data`.
//!
//! Defect: the spec never lists `data` as required in the `{"data": ...}`
//! envelopes of success bodies, so typify gives it `#[serde(default)]`:
//! `{}`, `{"message": "..."}` or any body without `data` then decodes as an
//! empty list, and a listing or an export returns Ok(nothing) on a malformed
//! 200 (37 of 62 response types did).
//!
//! Rule: every schema that is the JSON body of a 2xx response (by `$ref` or
//! inline) and has a `data` property gets `data` in `required`. The wire
//! always sends it (WIRE-FACTS, "Envelope and pagination"), so a body
//! without it is a `Decode` error naming `data`, never an empty success.
//! Request bodies with a `data` member are left alone: there the field's
//! optionality is the caller's business.

use serde_json::Value;

use super::{ref_name, Context, NormalizeError, METHODS};

const PASS: &str = "envelopes";

/// Where the envelope is: a component schema, or inline in an operation.
enum Target {
    Component(String),
    Inline { path: String, method: &'static str, status: String },
}

pub(crate) fn run(cx: &mut Context) -> Result<(), NormalizeError> {
    let mut targets = Vec::new();
    let paths = cx.spec["paths"].as_object().cloned().unwrap_or_default();
    for (path, item) in &paths {
        for method in METHODS {
            let Some(responses) = item.get(method).and_then(|op| op.get("responses")).and_then(Value::as_object) else {
                continue;
            };
            for (status, response) in responses {
                if !status.starts_with('2') {
                    continue;
                }
                let Some(schema) = response.pointer("/content/application~1json/schema") else { continue };
                match ref_name(schema) {
                    Some(name) => targets.push(Target::Component(name.to_owned())),
                    None => targets.push(Target::Inline { path: path.clone(), method, status: status.clone() }),
                }
            }
        }
    }
    for target in targets {
        let (schema, subject) = match &target {
            Target::Component(name) => (cx.schemas_mut().get_mut(name), name.clone()),
            Target::Inline { path, method, status } => (
                cx.spec["paths"][path.as_str()][*method]["responses"][status.as_str()]
                    .pointer_mut("/content/application~1json/schema"),
                format!("{} {path} {status}", method.to_uppercase()),
            ),
        };
        let Some(schema) = schema.and_then(Value::as_object_mut) else { continue };
        if !schema.get("properties").and_then(Value::as_object).is_some_and(|p| p.contains_key("data")) {
            continue;
        }
        let required = schema.entry("required").or_insert_with(|| Value::Array(Vec::new()));
        let Some(required) = required.as_array_mut() else {
            return Err(NormalizeError::shape(PASS, subject, "`required` is not an array"));
        };
        if required.iter().any(|r| r == "data") {
            continue;
        }
        required.push(Value::String("data".into()));
        cx.report.add(PASS, &subject, "data required (the wire always sends it; a body without it is a decode error)");
    }
    Ok(())
}
