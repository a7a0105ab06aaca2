//! Request validation against the wire spec: the OpenAPI 3.0 schema subset
//! the Dixa spec uses (type, format, enum, nullable, required, properties,
//! additionalProperties, items, uniqueItems, oneOf with or without a `_type`
//! discriminator, anyOf, allOf, `$ref`).
//!
//! A violation names where it is (`body.agentIds[0]`, `query parameter
//! pageLimit`) and what is wrong, and the fake answers it as Dixa does: 400
//! `{"message": "Invalid value for: ..."}`.

use serde_json::Value;

use crate::spec::{path_values, resolve, Location, SpecOperation};

/// The first thing wrong with a value, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Violation {
    /// A JSON-path-like location: `body.agentIds[0]`.
    pub(crate) at: String,
    /// What is wrong.
    pub(crate) problem: String,
}

impl Violation {
    fn new(at: &str, problem: impl Into<String>) -> Self {
        Violation { at: at.to_owned(), problem: problem.into() }
    }
}

/// A short rendering of `v` for messages (long values are cut).
fn show(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 40 {
        format!("{}...", s.chars().take(40).collect::<String>())
    } else {
        s
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Checks `value` against `schema` (resolving `$ref`s in `doc`).
pub(crate) fn check(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), Violation> {
    let Some(schema) = resolve(doc, schema) else {
        return Err(Violation::new(at, "the spec refers to a schema it does not have"));
    };
    let Some(s) = schema.as_object() else { return Ok(()) };
    if value.is_null() {
        let nullable = s.get("nullable").and_then(Value::as_bool).unwrap_or(false);
        if nullable || (s.get("type").is_none() && s.get("oneOf").is_none() && s.get("anyOf").is_none()) {
            return Ok(());
        }
    }
    if let Some(members) = s.get("allOf").and_then(Value::as_array) {
        for m in members {
            check(doc, m, value, at)?;
        }
    }
    if let Some(members) = s.get("anyOf").and_then(Value::as_array) {
        let mut first = None;
        if !members.iter().any(|m| match check(doc, m, value, at) {
            Ok(()) => true,
            Err(e) => {
                first.get_or_insert(e);
                false
            }
        }) {
            return Err(first.unwrap_or_else(|| Violation::new(at, "matches no alternative")));
        }
    }
    if let Some(members) = s.get("oneOf").and_then(Value::as_array) {
        check_one_of(doc, s, members, value, at)?;
    }
    if let Some(t) = s.get("type").and_then(Value::as_str) {
        check_type(doc, s, t, value, at)?;
    }
    if let Some(allowed) = s.get("enum").and_then(Value::as_array) {
        if !allowed.contains(value) {
            let list: Vec<String> = allowed.iter().map(show).collect();
            return Err(Violation::new(at, format!("{} is not one of [{}]", show(value), list.join(", "))));
        }
    }
    Ok(())
}

/// `oneOf`: by the `_type` tag when the union has a discriminator (as the
/// wire decides), else exactly one member must match.
fn check_one_of(
    doc: &Value,
    s: &serde_json::Map<String, Value>,
    members: &[Value],
    value: &Value,
    at: &str,
) -> Result<(), Violation> {
    if let Some(d) = s.get("discriminator") {
        let prop = d.get("propertyName").and_then(Value::as_str).unwrap_or("_type");
        let Some(obj) = value.as_object() else {
            return Err(Violation::new(at, format!("expected an object, got {}", type_name(value))));
        };
        let tags: Vec<&str> = d
            .get("mapping")
            .and_then(Value::as_object)
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let tag_at = format!("{at}.{prop}");
        let Some(tag) = obj.get(prop) else {
            return Err(Violation::new(&tag_at, format!("missing; one of [{}] is required", tags.join(", "))));
        };
        let target =
            tag.as_str().and_then(|t| d.pointer(&format!("/mapping/{}", t.replace('~', "~0").replace('/', "~1"))));
        let Some(target) = target else {
            return Err(Violation::new(
                &tag_at,
                format!("unknown tag {}, expected one of [{}]", show(tag), tags.join(", ")),
            ));
        };
        return check(doc, &serde_json::json!({ "$ref": target }), value, at);
    }
    let mut matched = 0;
    let mut first = None;
    for m in members {
        match check(doc, m, value, at) {
            Ok(()) => matched += 1,
            Err(e) => {
                first.get_or_insert(e);
            }
        }
    }
    match matched {
        1 => Ok(()),
        0 => Err(first.unwrap_or_else(|| Violation::new(at, "matches no alternative"))),
        n => Err(Violation::new(at, format!("matches {n} alternatives of a oneOf; exactly one must match"))),
    }
}

fn check_type(
    doc: &Value,
    s: &serde_json::Map<String, Value>,
    t: &str,
    value: &Value,
    at: &str,
) -> Result<(), Violation> {
    let format = s.get("format").and_then(Value::as_str);
    let wrong = || Violation::new(at, format!("expected {}, got {}", article(t), type_name(value)));
    match t {
        "string" => {
            let text = value.as_str().ok_or_else(wrong)?;
            let chars = text.chars().count() as u64;
            if s.get("minLength").and_then(Value::as_u64).is_some_and(|min| chars < min) {
                return Err(Violation::new(
                    at,
                    format!("{} is shorter than minLength {}", show(value), s["minLength"]),
                ));
            }
            if s.get("maxLength").and_then(Value::as_u64).is_some_and(|max| chars > max) {
                return Err(Violation::new(at, format!("{} is longer than maxLength {}", show(value), s["maxLength"])));
            }
            match format {
                Some("uuid") if !is_uuid(text) => {
                    Err(Violation::new(at, format!("expected a UUID, got {}", show(value))))
                }
                Some("date-time") if !is_date_time(text) => {
                    Err(Violation::new(at, format!("expected an RFC 3339 date-time, got {}", show(value))))
                }
                _ => Ok(()),
            }
        }
        "integer" => {
            if value.is_u64() && value.as_i64().is_none() {
                return Err(Violation::new(at, format!("{} is out of the int64 range", show(value))));
            }
            let n = value.as_i64().ok_or_else(wrong)?;
            if format == Some("int32") && i32::try_from(n).is_err() {
                return Err(Violation::new(at, format!("{n} is out of the int32 range")));
            }
            check_bounds(s, n as f64, value, at)
        }
        "number" => check_bounds(s, value.as_f64().ok_or_else(wrong)?, value, at),
        "boolean" => value.as_bool().map(|_| ()).ok_or_else(wrong),
        "array" => {
            let items = value.as_array().ok_or_else(wrong)?;
            let n = items.len() as u64;
            if s.get("minItems").and_then(Value::as_u64).is_some_and(|min| n < min) {
                return Err(Violation::new(at, format!("{n} items, fewer than minItems {}", s["minItems"])));
            }
            if s.get("maxItems").and_then(Value::as_u64).is_some_and(|max| n > max) {
                return Err(Violation::new(at, format!("{n} items, more than maxItems {}", s["maxItems"])));
            }
            if let Some(item_schema) = s.get("items") {
                for (i, item) in items.iter().enumerate() {
                    check(doc, item_schema, item, &format!("{at}[{i}]"))?;
                }
            }
            if s.get("uniqueItems").and_then(Value::as_bool) == Some(true) {
                for (i, item) in items.iter().enumerate() {
                    if items[..i].contains(item) {
                        return Err(Violation::new(&format!("{at}[{i}]"), format!("{} is repeated", show(item))));
                    }
                }
            }
            Ok(())
        }
        "object" => {
            let obj = value.as_object().ok_or_else(wrong)?;
            let props = s.get("properties").and_then(Value::as_object);
            if let Some(required) = s.get("required").and_then(Value::as_array) {
                for r in required.iter().filter_map(Value::as_str) {
                    if !obj.contains_key(r) {
                        return Err(Violation::new(&format!("{at}.{r}"), "missing required field"));
                    }
                }
            }
            for (k, v) in obj {
                let child = format!("{at}.{k}");
                match (props.and_then(|p| p.get(k)), s.get("additionalProperties")) {
                    (Some(p), _) => check(doc, p, v, &child)?,
                    (None, Some(Value::Bool(false))) => return Err(Violation::new(&child, "unknown field")),
                    (None, Some(extra @ Value::Object(_))) => check(doc, extra, v, &child)?,
                    (None, _) => {}
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// `minimum` / `maximum` (with OpenAPI 3.0's boolean `exclusive*` flags).
fn check_bounds(s: &serde_json::Map<String, Value>, n: f64, value: &Value, at: &str) -> Result<(), Violation> {
    let flag = |k: &str| s.get(k).and_then(Value::as_bool).unwrap_or(false);
    if let Some(min) = s.get("minimum").and_then(Value::as_f64) {
        if n < min || (flag("exclusiveMinimum") && n == min) {
            return Err(Violation::new(at, format!("{} is below the minimum {min}", show(value))));
        }
    }
    if let Some(max) = s.get("maximum").and_then(Value::as_f64) {
        if n > max || (flag("exclusiveMaximum") && n == max) {
            return Err(Violation::new(at, format!("{} is above the maximum {max}", show(value))));
        }
    }
    Ok(())
}

fn article(t: &str) -> String {
    match t {
        "integer" | "object" | "array" => format!("an {t}"),
        _ => format!("a {t}"),
    }
}

/// `8-4-4-4-12` hexadecimal digits.
pub(crate) fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// `YYYY-MM-DDTHH:MM:SS[.f](Z|±HH:MM)`, optionally followed by Dixa's
/// zone-id suffix (`[GMT]`).
fn is_date_time(s: &str) -> bool {
    let s = match s.find('[') {
        Some(i) if s.ends_with(']') => &s[..i],
        _ => s,
    };
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    if b.len() < 20 || !digits(0..4) || b[4] != b'-' || !digits(5..7) || b[7] != b'-' || !digits(8..10) {
        return false;
    }
    if !matches!(b[10], b'T' | b't') || !digits(11..13) || b[13] != b':' || !digits(14..16) || b[16] != b':' {
        return false;
    }
    if !digits(17..19) {
        return false;
    }
    // The fields must name a real instant (RFC 3339 section 5.7), not just
    // have the right shape: `12:99:00` or `02-30` is no date-time.
    let num = |r: std::ops::Range<usize>| std::str::from_utf8(&b[r]).ok().and_then(|t| t.parse::<u32>().ok());
    let (Some(year), Some(month), Some(day)) = (num(0..4), num(5..7), num(8..10)) else { return false };
    let (Some(hour), Some(minute), Some(second)) = (num(11..13), num(14..16), num(17..19)) else { return false };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    if day == 0 || day > days_in_month || hour > 23 || minute > 59 || second > 60 {
        return false;
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    match &b[i..] {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => {
            [h1, h2, m1, m2].iter().all(|d| d.is_ascii_digit())
                && (h1 - b'0') * 10 + (h2 - b'0') <= 23
                && (m1 - b'0') * 10 + (m2 - b'0') <= 59
        }
        _ => false,
    }
}

/// A query or path value read as the JSON value its schema describes, so it
/// can be checked by [`check`]: `"25"` for an integer is `25`; a value that
/// cannot be read that way stays a string (and fails the type check).
fn typed(doc: &Value, schema: &Value, raw: &str) -> Value {
    let t = resolve(doc, schema).and_then(|s| s.get("type")).and_then(Value::as_str);
    match t {
        Some("integer") => raw.parse::<i64>().map(Value::from).unwrap_or_else(|_| Value::String(raw.to_owned())),
        Some("number") => raw
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(raw.to_owned())),
        Some("boolean") => match raw {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::String(raw.to_owned()),
        },
        _ => Value::String(raw.to_owned()),
    }
}

/// Checks a request (path values, query string, body) against `op`; the
/// error is the message of Dixa's 400.
pub(crate) fn request(
    doc: &Value,
    op: &SpecOperation,
    path: &str,
    query: Option<&str>,
    body: &[u8],
) -> Result<(), String> {
    let path_vals = path_values(&op.template, path);
    let query_pairs: Vec<(String, String)> =
        form_urlencoded::parse(query.unwrap_or("").as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    for p in &op.params {
        let (label, raw) = match p.location {
            Location::Path => (
                format!("path parameter {}", p.name),
                path_vals.iter().find(|(n, _)| *n == p.name).map(|(_, v)| v.clone()),
            ),
            Location::Query => (
                format!("query parameter {}", p.name),
                query_pairs.iter().find(|(k, _)| *k == p.name).map(|(_, v)| v.clone()),
            ),
        };
        match raw {
            None if p.required => return Err(format!("Invalid value for: {label} (missing required parameter)")),
            None => {}
            Some(raw) => {
                if p.location == Location::Path && raw.is_empty() {
                    return Err(format!("Invalid value for: {label} (must not be empty)"));
                }
                let value = typed(doc, &p.schema, &raw);
                if let Err(v) = check(doc, &p.schema, &value, &label) {
                    return Err(format!("Invalid value for: {} ({})", v.at, v.problem));
                }
            }
        }
    }
    if let Some(expected) = &op.body {
        // Only no bytes at all is "no body": whitespace is malformed JSON.
        if body.is_empty() {
            if expected.required {
                return Err(format!("Invalid value for: body (a {} body is required)", expected.media_type));
            }
            return Ok(());
        }
        if !expected.is_json() {
            return Ok(());
        }
        let schema = &expected.schema;
        let value: Value =
            serde_json::from_slice(body).map_err(|e| format!("Invalid value for: body (malformed JSON: {e})"))?;
        check(doc, schema, &value, "body").map_err(|v| format!("Invalid value for: {} ({})", v.at, v.problem))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn uuid_and_date_time_shapes() {
        assert!(is_uuid("123e4567-e89b-12d3-a456-426614174000"));
        assert!(
            !is_uuid("")
                && !is_uuid("123e4567e89b12d3a456426614174000")
                && !is_uuid("123e4567-e89b-12d3-a456-42661417400g")
        );
        assert!(is_date_time("2021-12-01T12:46:36.581Z[GMT]"));
        assert!(is_date_time("2021-12-01T12:46:36+01:00"));
        assert!(!is_date_time("2021-12-01 12:46:36") && !is_date_time("yesterday"));
        // The right shape, but no real instant.
        for bad in [
            "2024-01-01T12:99:00Z",
            "2024-01-01T24:00:00Z",
            "2024-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-04-31T00:00:00Z",
            "2024-01-00T00:00:00Z",
            "2024-01-01T00:00:61Z",
            "2024-01-01T00:00:00+24:00",
            "2024-01-01T00:00:00+01:60",
        ] {
            assert!(!is_date_time(bad), "{bad}");
        }
        assert!(is_date_time("2024-02-29T23:59:60Z") && is_date_time("2024-01-01T00:00:00-09:51"));
    }

    #[test]
    fn violations_name_the_place() {
        let doc = json!({ "components": { "schemas": {
            "U": { "oneOf": [ { "$ref": "#/components/schemas/A" } ],
                   "discriminator": { "propertyName": "_type", "mapping": { "A": "#/components/schemas/A" } } },
            "A": { "type": "object", "required": ["_type", "n"], "properties": {
                "_type": { "type": "string", "enum": ["A"] }, "n": { "type": "integer", "format": "int32" } } }
        } } });
        let s = json!({ "type": "object", "properties": { "u": { "$ref": "#/components/schemas/U" },
            "ids": { "type": "array", "items": { "type": "string", "format": "uuid" } } } });
        let err = |v: Value| check(&doc, &s, &v, "body").unwrap_err();
        assert_eq!(err(json!({ "ids": [""] })).at, "body.ids[0]");
        assert_eq!(err(json!({ "u": { "n": 1 } })).at, "body.u._type");
        let unknown = err(json!({ "u": { "_type": "B", "n": 1 } }));
        assert!(unknown.problem.contains("unknown tag \"B\""), "{unknown:?}");
        assert_eq!(err(json!({ "u": { "_type": "A" } })).at, "body.u.n");
        assert!(err(json!({ "u": { "_type": "A", "n": 3_000_000_000u64 } })).problem.contains("int32"));
        assert!(check(&doc, &s, &json!({ "u": { "_type": "A", "n": 1 }, "ids": [] }), "body").is_ok());
    }
}
