//! Pass `multipart`: `multipart/form-data` request bodies become raw bodies.
//!
//! Defect: progenitor 0.15 cannot generate a `multipart/form-data` request
//! body (it stops with "unexpected content type"), so one upload operation
//! would make the whole client fail to generate.
//!
//! Rule: a request body offered as `multipart/form-data` (and not as JSON)
//! is turned into `application/octet-stream` (progenitor's raw body: the
//! builder takes any `Into<reqwest::Body>`), and the operation is recorded
//! in [`crate::normalize::Normalized::multipart_operations`]. The generated
//! `MULTIPART_OPERATIONS` list lets `dixa-client`'s hook send such a body
//! with the `multipart/form-data; boundary=...` content type its encoder
//! (`dixa_client::multipart::Form`) wrote. The multipart schema (the form's
//! fields) is kept in the body's description for readers. A body that also
//! offers JSON keeps only JSON.

use serde_json::{json, Value};

use super::{Context, NormalizeError, METHODS};

const PASS: &str = "multipart";
const MULTIPART: &str = "multipart/form-data";

pub(crate) fn run(cx: &mut Context) -> Result<Vec<String>, NormalizeError> {
    let mut found = Vec::new();
    let paths: Vec<String> = cx.spec["paths"].as_object().map(|p| p.keys().cloned().collect()).unwrap_or_default();
    for path in paths {
        for m in METHODS {
            let location = format!("{} {path}", m.to_uppercase());
            let Some(op) = cx.spec["paths"][&path].get_mut(m) else { continue };
            let Some(content) = op.pointer_mut("/requestBody/content").and_then(Value::as_object_mut) else {
                continue;
            };
            if !content.contains_key(MULTIPART) {
                continue;
            }
            if content.contains_key("application/json") {
                content.remove(MULTIPART);
                cx.report.add(PASS, &location, "multipart/form-data dropped: the body is also offered as JSON");
                continue;
            }
            if content.len() > 1 {
                return Err(NormalizeError::shape(
                    PASS,
                    location,
                    "a multipart/form-data body offered with other non-JSON media types; no rule picks one",
                ));
            }
            let form = content[MULTIPART].get("schema").cloned().unwrap_or(Value::Null);
            let fields = form
                .get("$ref")
                .and_then(Value::as_str)
                .map(|r| format!("the form `{}`", r.rsplit('/').next().unwrap_or(r)))
                .unwrap_or_else(|| "an inline form".to_string());
            content.remove(MULTIPART);
            content.insert(
                "application/octet-stream".into(),
                json!({ "schema": { "type": "string", "format": "binary",
                    "description": format!("A multipart/form-data body ({fields}): build it with `dixa_client::multipart::Form`.") } }),
            );
            let id = op.get("operationId").and_then(Value::as_str).unwrap_or_default().to_string();
            cx.report.add(PASS, &location, format!("multipart/form-data body ({fields}) sent as a raw body"));
            found.push(id);
        }
    }
    Ok(found)
}
