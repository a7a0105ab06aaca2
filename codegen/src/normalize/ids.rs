//! Pass `ids`: one type per id, and date-time parameters as timestamps.
//!
//! Defects: the spec gives the same id different types in different places
//! (`ActivityLogEntry.conversationId` is int32 while the `conversationId` path
//! parameter is an unbounded integer; `UserPresence.userId` and the `tagId`
//! path parameter are plain strings while `Agent.id` / `Tag.id` are uuids), so
//! a value read from one answer does not fit the next call without a
//! conversion. And date-time query parameters (`fromDatetime`) are plain
//! strings whose description says "date-time ... ISO 8601".
//!
//! Rule:
//! 1. An id family is named `xId`. Members: every property or parameter
//!    named `xId` (camelCase ending in `Id`), and the `id` property of schema
//!    `X` (`Tag.id` is in family `tagId`). Only inline `string` / `integer`
//!    schemas take part.
//! 2. A family whose members are all integers becomes `int64` everywhere (the
//!    widest); one whose members are all strings, at least one with
//!    `format: uuid`, becomes `format: uuid` everywhere. A family mixing
//!    strings and integers is left alone and reported.
//! 3. A `string` parameter whose description says `date-time` gets
//!    `format: date-time`, so the `timestamps` pass makes it a `Timestamp`.
//!
//! Runs before `timestamps`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Context, NormalizeError, METHODS};

const PASS: &str = "ids";

/// Where one member of an id family lives.
enum Site {
    /// `components.schemas[schema].properties[property]`.
    Property(String, String),
    /// Parameter `index` of operation `method` at `path` (or of the path item
    /// when `method` is `None`).
    Parameter(String, Option<&'static str>, usize),
}

fn primitive(schema: &Value) -> Option<(&str, Option<&str>)> {
    if schema.get("$ref").is_some() {
        return None;
    }
    match schema.get("type").and_then(Value::as_str) {
        Some(t @ ("string" | "integer")) => Some((t, schema.get("format").and_then(Value::as_str))),
        _ => None,
    }
}

fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn is_id_name(name: &str) -> bool {
    name.len() > 2 && name.ends_with("Id")
}

pub(crate) fn run(cx: &mut Context) -> Result<(), NormalizeError> {
    let mut families: BTreeMap<String, Vec<Site>> = BTreeMap::new();
    for (name, schema) in cx.schemas() {
        let Some(props) = schema.get("properties").and_then(Value::as_object) else { continue };
        for (prop, s) in props {
            if primitive(s).is_none() {
                continue;
            }
            let family = if prop == "id" {
                format!("{}Id", lower_first(name))
            } else if is_id_name(prop) {
                prop.clone()
            } else {
                continue;
            };
            families.entry(family).or_default().push(Site::Property(name.clone(), prop.clone()));
        }
    }
    let mut date_params = Vec::new();
    if let Some(paths) = cx.spec["paths"].as_object() {
        for (path, item) in paths {
            let ops = std::iter::once((None, item))
                .chain(METHODS.iter().filter_map(|m| item.get(*m).map(|op| (Some(*m), op))));
            for (method, op) in ops {
                let Some(params) = op.get("parameters").and_then(Value::as_array) else { continue };
                for (i, p) in params.iter().enumerate() {
                    let name = p.get("name").and_then(Value::as_str).unwrap_or_default();
                    let Some((ty, format)) = p.get("schema").and_then(primitive) else { continue };
                    if is_id_name(name) {
                        families.entry(name.to_string()).or_default().push(Site::Parameter(path.clone(), method, i));
                    } else if ty == "string"
                        && format.is_none()
                        && p.get("description")
                            .and_then(Value::as_str)
                            .is_some_and(|d| d.to_lowercase().contains("date-time"))
                    {
                        date_params.push((path.clone(), method, i, name.to_string()));
                    }
                }
            }
        }
    }

    for (family, sites) in &families {
        let kinds: Vec<(String, Option<String>)> = sites
            .iter()
            .filter_map(|site| schema_at(cx, site))
            .filter_map(|s| primitive(s).map(|(t, f)| (t.to_string(), f.map(str::to_string))))
            .collect();
        let all_int = kinds.iter().all(|(t, _)| t == "integer");
        let all_str = kinds.iter().all(|(t, _)| t == "string");
        let target: Option<(&str, &str)> = if all_int {
            Some(("integer", "int64"))
        } else if all_str && kinds.iter().any(|(_, f)| f.as_deref() == Some("uuid")) {
            Some(("string", "uuid"))
        } else {
            if !all_int && !all_str {
                cx.report.add(PASS, family, "mixes strings and integers; left as is");
            }
            None
        };
        let Some((ty, format)) = target else { continue };
        let mut changed = Vec::new();
        for site in sites {
            let Some(schema) = schema_at_mut(cx, site) else { continue };
            if schema.get("format").and_then(Value::as_str) == Some(format) {
                continue;
            }
            schema["type"] = Value::String(ty.to_string());
            schema["format"] = Value::String(format.to_string());
            changed.push(site_name(site));
        }
        if !changed.is_empty() {
            cx.report.add(PASS, family, format!("{ty}/{format} everywhere (was not in: {})", changed.join(", ")));
        }
    }

    for (path, method, i, name) in date_params {
        let site = Site::Parameter(path.clone(), method, i);
        if let Some(schema) = schema_at_mut(cx, &site) {
            schema["format"] = Value::String("date-time".into());
            cx.report.add(
                PASS,
                site_name(&site),
                format!("parameter {name}: described as date-time -> format date-time"),
            );
        }
    }
    Ok(())
}

fn site_name(site: &Site) -> String {
    match site {
        Site::Property(schema, prop) => format!("{schema}.{prop}"),
        Site::Parameter(path, Some(m), _) => format!("{} {path}", m.to_uppercase()),
        Site::Parameter(path, None, _) => path.clone(),
    }
}

fn schema_at<'a>(cx: &'a Context, site: &Site) -> Option<&'a Value> {
    match site {
        Site::Property(schema, prop) => cx.schemas().get(schema)?.get("properties")?.get(prop),
        Site::Parameter(path, method, i) => {
            let item = cx.spec["paths"].get(path)?;
            let holder = match method {
                Some(m) => item.get(*m)?,
                None => item,
            };
            holder.get("parameters")?.get(*i)?.get("schema")
        }
    }
}

fn schema_at_mut<'a>(cx: &'a mut Context, site: &Site) -> Option<&'a mut Value> {
    match site {
        Site::Property(schema, prop) => cx.schemas_mut().get_mut(schema)?.get_mut("properties")?.get_mut(prop),
        Site::Parameter(path, method, i) => {
            let item = cx.spec["paths"].get_mut(path)?;
            let holder = match method {
                Some(m) => item.get_mut(*m)?,
                None => item,
            };
            holder.get_mut("parameters")?.get_mut(*i)?.get_mut("schema")
        }
    }
}
