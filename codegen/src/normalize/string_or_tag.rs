//! Pass `string_or_tag`: names the spec types as strings but its own
//! examples send as `{"_type": name}` accept both forms.
//!
//! Defect (WIRE-FACTS, "known spec/example disagreements"): the spec types
//! `Preset.value` as a string (`"PreviousWeek"`), but the spec's own request
//! examples, Dixa's CLI and Dixa's MCP server send the object form
//! `{"_type": "PreviousWeek"}`. Dixa's tools are the better evidence of what
//! the server accepts, and a client reading stored filters meets both.
//!
//! Rule: walk every request example alongside its schema (following `$ref`s,
//! picking union variants by their `_type`, or, for an example without one,
//! every variant that declares all of its members); wherever the schema says "a
//! string with a value set" and the example holds an object whose `_type` is
//! a string, that property (`Schema.property`) gets both forms: its value set
//! becomes schema `{Schema}{Property}` (made open or closed by the
//! `value_sets` pass like any other), and the property becomes
//! `dixa_client::StringOrTag<{Schema}{Property}>`, which reads `"X"` and
//! `{"_type": "X"}` and writes the object form. A future spec whose examples
//! show the object form elsewhere is covered the same way.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{
    names::wire_tag, ref_name, rust_type_name, schema_ref, value_sets::parse_value_set, Context, NormalizeError,
    METHODS,
};

const PASS: &str = "string_or_tag";

pub(crate) fn run(cx: &mut Context) -> Result<(), NormalizeError> {
    // (schema, property) -> the operations whose examples show the object form.
    let mut found: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    let paths = cx.spec["paths"].as_object().cloned().unwrap_or_default();
    for (path, item) in &paths {
        for m in METHODS {
            let Some(content) =
                item.get(m).and_then(|op| op.pointer("/requestBody/content")).and_then(Value::as_object)
            else {
                continue;
            };
            for mt in content.values() {
                let Some(schema) = mt.get("schema") else { continue };
                let mut examples: Vec<&Value> = mt.get("example").into_iter().collect();
                if let Some(named) = mt.get("examples").and_then(Value::as_object) {
                    examples.extend(named.values().filter_map(|e| e.get("value")));
                }
                for example in examples {
                    let mut hits = Vec::new();
                    walk(cx, schema, None, example, 0, &mut hits);
                    for hit in hits {
                        found.entry(hit).or_default().push(format!("{} {path}", m.to_uppercase()));
                    }
                }
            }
        }
    }

    for ((schema, property), mut seen_in) in found {
        let location = format!("{schema}.{property}");
        let prop = &cx.schemas()[&schema]["properties"][&property];
        let values = parse_value_set(prop).ok_or_else(|| {
            NormalizeError::shape(PASS, &location, "expected a string value set (checked while walking)")
        })?;
        let description = prop.get("description").and_then(Value::as_str).unwrap_or_default().to_string();
        let value_schema = format!("{}{}", rust_type_name(&schema), rust_type_name(&property));
        let wrapper = format!("{value_schema}StringOrTag");
        cx.add_schema(
            PASS,
            &value_schema,
            &format!("the value set of {location}"),
            json!({ "type": "string", "description": description, "enum": values }),
        )?;
        cx.add_schema(
            PASS,
            &wrapper,
            &format!("the two wire forms of {location}"),
            json!({
                "description": format!("A {value_schema}, read as `\"X\"` or `{{\"_type\": \"X\"}}`, sent in the object form."),
                "oneOf": [ schema_ref(&value_schema), { "type": "object", "required": ["_type"], "properties": { "_type": schema_ref(&value_schema) } } ]
            }),
        )?;
        cx.schemas_mut()[&schema]["properties"][&property] = schema_ref(&wrapper);
        cx.replace(&wrapper, format!("crate::StringOrTag<crate::types::{}>", rust_type_name(&value_schema)));
        seen_in.dedup();
        cx.report.add(
            PASS,
            location,
            format!(
                "string -> StringOrTag<{value_schema}> (examples of {} send {{\"_type\": \"X\"}}): reads \"X\" and {{\"_type\": \"X\"}}, sends the object form",
                seen_in.join(", ")
            ),
        );
    }
    Ok(())
}

/// Walks `example` along `schema` (inside component `holder`, if any) and
/// records `(holder, property)` where a string value set is sent as an object.
fn walk(
    cx: &Context,
    schema: &Value,
    holder: Option<&str>,
    example: &Value,
    depth: usize,
    hits: &mut Vec<(String, String)>,
) {
    // Examples are finite, but a malformed spec could make `$ref`s loop.
    if depth > 64 {
        return;
    }
    if let Some(name) = ref_name(schema) {
        let Some(target) = cx.schemas().get(name) else { return };
        if let Some(u) = cx.custom.unions.iter().find(|u| u.schema == name) {
            let Some(tag) = example.get("_type").and_then(Value::as_str) else {
                // An example written before the schema became a union (no
                // `_type`): follow every variant that declares all of the
                // example's members. Examples are documentation, not wire
                // data, so matching them by shape cannot misdecode anything.
                let keys: Vec<&String> = example.as_object().map(|o| o.keys().collect()).unwrap_or_default();
                for v in &u.variants {
                    let props =
                        cx.schemas().get(&v.schema).and_then(|s| s.get("properties")).and_then(Value::as_object);
                    if !keys.is_empty() && props.is_some_and(|p| keys.iter().all(|k| p.contains_key(*k))) {
                        walk(cx, &schema_ref(&v.schema), None, example, depth + 1, hits);
                    }
                }
                return;
            };
            if let Some(v) =
                u.variants.iter().find(|v| v.tag == tag || wire_tag(&v.schema, &cx.raw_schema_names) == tag)
            {
                let variant = schema_ref(&v.schema);
                walk(cx, &variant, None, example, depth + 1, hits);
            }
            return;
        }
        walk(cx, target, Some(name), example, depth + 1, hits);
        return;
    }
    match example {
        Value::Object(fields) => {
            let Some(props) = schema.get("properties").and_then(Value::as_object) else { return };
            for (key, value) in fields {
                let Some(p) = props.get(key) else { continue };
                let object_form = value.get("_type").is_some_and(Value::is_string);
                if object_form && parse_value_set(p).is_some() {
                    if let Some(h) = holder {
                        hits.push((h.to_string(), key.clone()));
                    }
                } else {
                    walk(cx, p, None, value, depth + 1, hits);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for item in items {
                    walk(cx, item_schema, None, item, depth + 1, hits);
                }
            }
        }
        _ => {}
    }
}
