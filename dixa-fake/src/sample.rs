//! Schema-valid sample values built from the wire spec, for operations the
//! fake keeps no state for.
//!
//! A schema's own `example` is used when it fits the schema (the spec's
//! examples are Dixa's); otherwise a value is built from the type, format
//! and property name, deterministic so that two runs serve the same bytes.
//! Unions take their first variant, with its `_type` tag (every variant
//! declares it in the wire spec). Optional properties are filled down to a
//! few levels, so answers look like Dixa's and still stay small.

use serde_json::{json, Map, Value};

use crate::spec::resolve;
use crate::validate;

/// Levels below which only required properties are filled (and no list
/// items are made): keeps answers small and ends recursive schemas.
const FULL_DEPTH: usize = 4;
/// Levels after which nothing more is built at all.
const MAX_DEPTH: usize = 12;

/// A sample value for `schema`; `name` is the property holding it (it picks
/// realistic strings: an `email` looks like an e-mail address).
pub(crate) fn sample(doc: &Value, schema: &Value, name: &str) -> Value {
    build(doc, schema, name, 0)
}

fn build(doc: &Value, schema: &Value, name: &str, depth: usize) -> Value {
    let Some(s) = resolve(doc, schema) else { return Value::Null };
    if depth > MAX_DEPTH {
        return Value::Null;
    }
    if let Some(example) = s.get("example") {
        if validate::check(doc, s, example, "example").is_ok() {
            return example.clone();
        }
    }
    if let Some(first) = s.get("enum").and_then(Value::as_array).and_then(|e| e.iter().find(|v| !v.is_null())) {
        return first.clone();
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(first) = s.get(key).and_then(Value::as_array).and_then(|m| m.first()) {
            return build(doc, first, name, depth + 1);
        }
    }
    if let Some(members) = s.get("allOf").and_then(Value::as_array) {
        let mut merged = Map::new();
        for m in members {
            if let Value::Object(part) = build(doc, m, name, depth + 1) {
                merged.extend(part);
            }
        }
        return Value::Object(merged);
    }
    let format = s.get("format").and_then(Value::as_str);
    match s.get("type").and_then(Value::as_str) {
        Some("string") => {
            let mut text = string_for(name, format);
            let min = s.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
            while text.chars().count() < min {
                text.push('x');
            }
            if let Some(max) = s.get("maxLength").and_then(Value::as_u64) {
                text = text.chars().take(max as usize).collect();
            }
            json!(text)
        }
        Some("integer") => json!(within(s, integer_for(name) as f64) as i64),
        Some("number") => json!(within(s, 12.5)),
        Some("boolean") => json!(true),
        Some("array") => {
            let min = s.get("minItems").and_then(Value::as_u64).unwrap_or(0) as usize;
            let count = if depth >= FULL_DEPTH { min } else { min.max(1) };
            if count == 0 {
                return json!([]);
            }
            let item = s.get("items").map(|i| build(doc, i, &singular(name), depth + 1)).unwrap_or(Value::Null);
            if item.is_null() {
                json!([])
            } else {
                // Distinct items when there must be several (`uniqueItems`).
                Value::Array((0..count).map(|i| distinct(&item, i)).collect())
            }
        }
        Some("object") | None => {
            let required: Vec<&str> = s
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let mut out = Map::new();
            if let Some(props) = s.get("properties").and_then(Value::as_object) {
                for (k, p) in props {
                    let deprecated = resolve(doc, p).and_then(|p| p.get("deprecated")) == Some(&Value::Bool(true));
                    // A sample cannot know a real next page: no page links.
                    let link = k == "next" || k == "previous";
                    if !required.contains(&k.as_str()) && (depth >= FULL_DEPTH || deprecated || link) {
                        continue;
                    }
                    let v = build(doc, p, k, depth + 1);
                    if !v.is_null() || required.contains(&k.as_str()) {
                        out.insert(k.clone(), v);
                    }
                }
            }
            Value::Object(out)
        }
        Some(_) => Value::Null,
    }
}

/// `n` moved into the schema's `minimum` / `maximum`.
fn within(s: &Value, n: f64) -> f64 {
    let mut n = n;
    if let Some(min) = s.get("minimum").and_then(Value::as_f64) {
        if n < min || (s.get("exclusiveMinimum") == Some(&Value::Bool(true)) && n <= min) {
            n = min.floor() + 1.0;
        }
    }
    if let Some(max) = s.get("maximum").and_then(Value::as_f64) {
        if n > max || (s.get("exclusiveMaximum") == Some(&Value::Bool(true)) && n >= max) {
            n = max.ceil() - 1.0;
        }
    }
    n
}

/// The `i`-th copy of a sample item: strings and integers made distinct.
fn distinct(item: &Value, i: usize) -> Value {
    match item {
        Value::String(s) if i > 0 => json!(format!("{s}{i}")),
        Value::Number(n) if i > 0 => n.as_i64().map(|n| json!(n + i as i64)).unwrap_or_else(|| item.clone()),
        _ => item.clone(),
    }
}

fn singular(name: &str) -> String {
    name.strip_suffix('s').filter(|s| !s.is_empty()).unwrap_or(name).to_owned()
}

/// A realistic string for a property called `name`.
fn string_for(name: &str, format: Option<&str>) -> String {
    let lower = name.to_ascii_lowercase();
    match format {
        Some("uuid") => return "8b2e31ea-4f7c-4d3a-9c59-1f0e6a7b2c10".to_owned(),
        Some("date-time") => return "2024-03-01T09:30:00Z".to_owned(),
        _ => {}
    }
    if lower.contains("email") {
        "jane.doe@example.com".to_owned()
    } else if lower.contains("phone") {
        "+4512345678".to_owned()
    } else if lower.contains("url") || lower.contains("uri") {
        "https://example.com/resource".to_owned()
    } else if lower.ends_with("at") || lower.contains("date") || lower.contains("time") {
        "2024-03-01T09:30:00Z".to_owned()
    } else if lower == "id" || lower.ends_with("id") {
        "2f1c6d4e-7a8b-4c9d-8e0f-112233445566".to_owned()
    } else if lower.contains("name") {
        "Jane Doe".to_owned()
    } else {
        format!("example {name}")
    }
}

fn integer_for(name: &str) -> i64 {
    let lower = name.to_ascii_lowercase();
    if lower.contains("id") {
        10_001
    } else {
        3
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_union_sample_carries_its_variant_tag_and_validates() {
        let doc = json!({ "components": { "schemas": {
            "U": { "oneOf": [ { "$ref": "#/components/schemas/A" } ],
                   "discriminator": { "propertyName": "_type", "mapping": { "A": "#/components/schemas/A" } } },
            "A": { "type": "object", "required": ["_type", "id"], "properties": {
                "_type": { "type": "string", "enum": ["A"] }, "id": { "type": "string", "format": "uuid" },
                "email": { "type": "string" }, "list": { "type": "array", "items": { "$ref": "#/components/schemas/U" } } } }
        } } });
        let s = json!({ "$ref": "#/components/schemas/U" });
        let v = sample(&doc, &s, "data");
        assert_eq!(v["_type"], "A");
        assert_eq!(v["email"], "jane.doe@example.com");
        assert_eq!(v["list"][0]["_type"], "A", "{v}");
        validate::check(&doc, &s, &v, "data").expect("the sample fits its schema");
    }
}
