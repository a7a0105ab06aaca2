//! Pass `errors`: one error type per operation.
//!
//! Defect: each operation lists several error responses (400 BadRequest,
//! 404 NotFound, 500 ServerError, ...) with distinct schemas of the same shape
//! `{message: string}`. progenitor supports one error type per operation and
//! PANICS on more (`assertion failed: response_types.len() <= 1`). Rule: every
//! 4xx, 5xx and `default` response whose JSON body is an object with a string
//! `message` (and no other required member) is pointed at one shared schema
//! [`API_ERROR`]; the status stays available from the response. Any other
//! error body shape is an error naming the operation, since merging it would
//! lose information. Responses written as `$ref`s to
//! `components.responses` are inlined first (they may be shared by several
//! operations, and the rewrite is per operation).

use serde_json::{json, Value};

use super::{ref_name, schema_ref, Context, NormalizeError, API_ERROR, METHODS};

const PASS: &str = "errors";

pub(crate) fn run(cx: &mut Context) -> Result<(), NormalizeError> {
    cx.add_schema(
        PASS,
        API_ERROR,
        "the shared error body",
        json!({
            "type": "object",
            "description": "The body of every Dixa error response (4xx and 5xx): a human-readable `message`. The HTTP status is on the response.",
            "required": ["message"],
            "properties": { "message": { "type": "string", "description": "What went wrong." } }
        }),
    )?;
    let paths: Vec<String> = cx.spec["paths"].as_object().map(|p| p.keys().cloned().collect()).unwrap_or_default();
    for path in paths {
        for m in METHODS {
            let location = format!("{} {path}", m.to_uppercase());
            inline_response_refs(cx, &path, m, &location)?;
            let Some(responses) =
                cx.spec["paths"][&path].get(m).and_then(|op| op.get("responses")).and_then(Value::as_object)
            else {
                continue;
            };
            let mut merged = Vec::new();
            for (status, response) in responses {
                let is_error = status == "default" || status.starts_with('4') || status.starts_with('5');
                if !is_error {
                    continue;
                }
                let Some(content) = response.get("content").and_then(Value::as_object) else { continue };
                for (media, mt) in content {
                    let Some(schema) = mt.get("schema") else { continue };
                    let (name, resolved) = match ref_name(schema) {
                        Some(n) => (n.to_string(), cx.schemas().get(n).cloned().unwrap_or(Value::Null)),
                        None => ("inline schema".to_string(), schema.clone()),
                    };
                    if name == API_ERROR {
                        continue;
                    }
                    if !is_message_body(&resolved) {
                        return Err(NormalizeError::shape(
                            PASS,
                            format!("{location} response {status} ({media})"),
                            format!("error body `{name}` is not an object with a string `message`; cannot merge it into {API_ERROR}"),
                        ));
                    }
                    merged.push((status.clone(), media.clone(), name));
                }
            }
            for (status, media, name) in merged {
                cx.spec["paths"][&path][m]["responses"][&status]["content"][&media]["schema"] = schema_ref(API_ERROR);
                cx.report.add(PASS, &location, format!("{status}: {name} -> {API_ERROR}"));
            }
        }
    }
    Ok(())
}

/// Replaces each response written as `{"$ref": "#/components/responses/X"}`
/// by a copy of `X`, so its body schema can be pointed at [`API_ERROR`] for
/// this operation alone.
fn inline_response_refs(cx: &mut Context, path: &str, m: &str, location: &str) -> Result<(), NormalizeError> {
    let Some(responses) = cx.spec["paths"][path].get(m).and_then(|op| op.get("responses")).and_then(Value::as_object)
    else {
        return Ok(());
    };
    let mut resolved = Vec::new();
    for (status, response) in responses {
        let Some(target) = response.get("$ref").and_then(Value::as_str) else { continue };
        let found = target.strip_prefix('#').and_then(|p| cx.spec.pointer(p)).filter(|r| r.get("$ref").is_none());
        let found = found.ok_or_else(|| {
            NormalizeError::shape(
                PASS,
                format!("{location} response {status}"),
                format!("`{target}` is not a response object this pass can inline"),
            )
        })?;
        resolved.push((status.clone(), found.clone()));
    }
    for (status, response) in resolved {
        cx.spec["paths"][path][m]["responses"][&status] = response;
    }
    Ok(())
}

/// `{type: object, properties: {message: {type: string}}}` with nothing else required.
fn is_message_body(s: &Value) -> bool {
    let message_is_string = s.pointer("/properties/message/type").and_then(Value::as_str) == Some("string");
    let other_required = s.get("required").and_then(Value::as_array).is_some_and(|r| r.iter().any(|n| n != "message"));
    message_is_string && !other_required
}
