//! The wire document: the normalized spec as the wire really is, for tools
//! that did not see our code (schemathesis, Prism, validators, other
//! generators), written to `spec/dixa-v1.wire.json`.
//!
//! Why a second document: the normalized spec is what progenitor and typify
//! read, and the generator emits the `_type` unions itself (see
//! [`crate::generate`]). Declaring `_type` on the variant schemas there would
//! give every typify payload struct a `_type` field of its own, fighting the
//! union's tag. So the normalized spec stays the generator's input, and this
//! module derives the document generic tools can use from it, by rules:
//! - every variant of a `_type` union declares `_type` (required, one value:
//!   its wire tag, generic arguments and clash suffixes dropped), and the
//!   union carries `discriminator` with `propertyName: _type` and a
//!   `mapping`; so overlapping variants (`Html`/`Text`, the bare `NoAuth`,
//!   `Inbound`/`Outbound`) are told apart by the tag, as the wire does;
//! - `nullable` is only meaningful beside a `type` in OpenAPI 3.0: an
//!   untyped `nullable` schema (a `oneOf` of typed shapes, or a `$ref`)
//!   becomes an `anyOf` whose members carry the `nullable` themselves;
//! - statuses as the wire answers them: every secured operation documents
//!   401 (a missing or wrong key) and 429 (over the rate limit), and every
//!   operation with a path parameter documents 404 (an id that names
//!   nothing); a POST (a create) documents 409 for a duplicate (Dixa's
//!   components define `Conflict`, yet no operation lists it); each with
//!   Dixa's `{"message": ...}` body;
//! - routes as the wire uses them: a list whose `meta.next` link Dixa writes
//!   with a trailing slash (WIRE-FACTS: `/v1/search/conversations/?pageKey=`)
//!   also has that path, taking the `pageKey` (and `pageLimit`) only.
//!
//! Every step is a rule over the normalized spec and the union table the
//! normalizer built, except the trailing-slash routes: the spec cannot say
//! which lists Dixa links that way, so they are named in
//! [`TRAILING_SLASH_NEXT_LINKS`] as the wire fact they are.

use serde_json::{json, Map, Value};

use crate::normalize::{self, Normalized};

/// The wire document's path, relative to the workspace root.
pub const WIRE_SPEC_FILE: &str = "spec/dixa-v1.wire.json";

/// List operations whose `meta.next` links carry a trailing slash before the
/// query on the wire (a wire fact, not in the spec: see WIRE-FACTS).
pub const TRAILING_SLASH_NEXT_LINKS: &[&str] = &["/v1/search/conversations"];

/// The query parameters a next-page link carries (the page key encodes the rest).
const NEXT_LINK_PARAMETERS: &[&str] = &["pageKey", "pageLimit"];

/// Why the wire document could not be derived.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The normalized spec has a shape the rules do not cover.
    #[error("wire document: {location}: {problem}")]
    Shape {
        /// The schema or path.
        location: String,
        /// What was expected and found.
        problem: String,
    },
}

fn shape(location: impl Into<String>, problem: impl Into<String>) -> WireError {
    WireError::Shape { location: location.into(), problem: problem.into() }
}

/// Derives the wire document from the normalizer's result. Pure.
pub fn wire_spec(normalized: &Normalized) -> Result<Value, WireError> {
    let mut doc = normalized.spec.clone();
    declare_tags(&mut doc, normalized)?;
    type_nullables(&mut doc);
    document_error_statuses(&mut doc);
    add_trailing_slash_routes(&mut doc)?;
    let info = doc.get_mut("info").and_then(Value::as_object_mut).ok_or_else(|| shape("info", "missing"))?;
    info.insert(
        "description".into(),
        Value::String(
            "The Dixa API v1 as the wire really is: every `oneOf` variant declares its `_type` tag, \
             unions carry a discriminator, nullable values are typed, and routes are the ones the wire uses. \
             Derived by dixa-rs (`cargo xtask generate`) from Dixa's published documentation."
                .into(),
        ),
    );
    Ok(doc)
}

/// The wire document as file text: pretty JSON and a final newline.
pub fn wire_spec_text(normalized: &Normalized) -> Result<String, WireError> {
    let doc = wire_spec(normalized)?;
    let mut text = serde_json::to_string_pretty(&doc).map_err(|e| shape("document", e.to_string()))?;
    text.push('\n');
    Ok(text)
}

/// `_type` on every variant, and the discriminator on every union.
fn declare_tags(doc: &mut Value, normalized: &Normalized) -> Result<(), WireError> {
    let schemas = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| shape("components.schemas", "missing"))?;
    for union in &normalized.custom.unions {
        let mut mapping = Map::new();
        for v in &union.variants {
            mapping.insert(v.tag.clone(), json!(format!("#/components/schemas/{}", v.schema)));
            let variant = schemas
                .get_mut(&v.schema)
                .and_then(Value::as_object_mut)
                .ok_or_else(|| shape(&v.schema, format!("variant of {} is not an object schema", union.schema)))?;
            let tag_schema = json!({
                "type": "string",
                "enum": [v.tag],
                "description": format!("The wire tag of this `{}` variant.", union.schema),
            });
            // A variant shared by two unions (FieldType, PrimitiveField) must
            // have the same tag in both, or it could not satisfy either.
            if let Some(existing) = variant.get("properties").and_then(|p| p.get("_type")) {
                if existing["enum"] != tag_schema["enum"] {
                    return Err(shape(
                        &v.schema,
                        format!("declared `_type` {} but union {} tags it `{}`", existing["enum"], union.schema, v.tag),
                    ));
                }
                continue;
            }
            variant.entry("type").or_insert_with(|| json!("object"));
            // `_type` first: it is what a reader (and a decoder) looks at first.
            let mut props = Map::new();
            props.insert("_type".into(), tag_schema);
            if let Some(Value::Object(old)) = variant.remove("properties") {
                props.extend(old);
            }
            let mut required = vec![json!("_type")];
            if let Some(Value::Array(old)) = variant.remove("required") {
                required.extend(old.into_iter().filter(|r| r != "_type"));
            }
            insert_after_type(variant, props, required);
        }
        let u = schemas
            .get_mut(&union.schema)
            .and_then(Value::as_object_mut)
            .ok_or_else(|| shape(&union.schema, "union schema missing"))?;
        u.insert("discriminator".into(), json!({ "propertyName": "_type", "mapping": mapping }));
    }
    Ok(())
}

/// Re-inserts `required` and `properties` right after `type`, keeping the
/// document's usual key order (type, required, properties, ...).
fn insert_after_type(schema: &mut Map<String, Value>, props: Map<String, Value>, required: Vec<Value>) {
    let old = std::mem::take(schema);
    for (k, v) in old {
        let is_type = k == "type";
        schema.insert(k, v);
        if is_type {
            schema.insert("required".into(), Value::Array(required.clone()));
            schema.insert("properties".into(), Value::Object(props.clone()));
        }
    }
}

/// Rewrites every untyped `nullable: true` schema so that `null` is allowed
/// by OpenAPI 3.0's rules (where `nullable` without `type` has no effect).
fn type_nullables(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if map.get("nullable") == Some(&Value::Bool(true)) && !map.contains_key("type") {
                map.remove("nullable");
                let description = map.remove("description");
                let members = match map.remove("oneOf").or_else(|| map.remove("anyOf")) {
                    Some(Value::Array(ms)) => ms,
                    Some(other) => vec![other],
                    None => vec![Value::Object(std::mem::take(map))],
                };
                // Typed members admit null themselves; `$ref` members cannot
                // (OpenAPI 3.0 ignores a `$ref`'s siblings), so null then gets
                // a member of its own. `anyOf`: null may match several members.
                let mut any_of = Vec::with_capacity(members.len() + 1);
                let mut all_typed = true;
                for mut m in members {
                    match m.as_object_mut() {
                        Some(obj) if obj.contains_key("type") => {
                            obj.insert("nullable".into(), Value::Bool(true));
                        }
                        _ => all_typed = false,
                    }
                    any_of.push(m);
                }
                if !all_typed {
                    any_of.push(json!({ "type": "string", "nullable": true, "enum": [null] }));
                }
                map.clear();
                if let Some(d) = description {
                    map.insert("description".into(), d);
                }
                map.insert("anyOf".into(), Value::Array(any_of));
            }
            for (k, child) in map.iter_mut() {
                if k != "example" && k != "examples" {
                    type_nullables(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(type_nullables),
        _ => {}
    }
}

/// Error statuses every Dixa operation can answer that the published spec
/// leaves out (WIRE-FACTS: auth, rate limit; error bodies are `{"message"}`).
fn document_error_statuses(doc: &mut Value) {
    let secured_by_default = doc.get("security").and_then(Value::as_array).is_some_and(|s| !s.is_empty());
    let error = |description: &str| {
        json!({
            "description": description,
            "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{}", normalize::API_ERROR) } } }
        })
    };
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else { return };
    for item in paths.values_mut() {
        let shared_path_param =
            item.get("parameters").and_then(Value::as_array).is_some_and(|ps| ps.iter().any(|p| p["in"] == "path"));
        let Some(item) = item.as_object_mut() else { continue };
        for (method, op) in item.iter_mut() {
            if !normalize::METHODS.contains(&method.as_str()) {
                continue;
            }
            let secured = match op.get("security").and_then(Value::as_array) {
                Some(s) => !s.is_empty(),
                None => secured_by_default,
            };
            let path_param = shared_path_param
                || op
                    .get("parameters")
                    .and_then(Value::as_array)
                    .is_some_and(|ps| ps.iter().any(|p| p["in"] == "path"));
            let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else { continue };
            let mut add = |code: &str, description: &str| {
                if !responses.contains_key(code) {
                    responses.insert(code.to_string(), error(description));
                }
            };
            if secured {
                add("401", "The API key is missing or not valid");
                add("429", "Too many requests: over the rate limit of the API key");
            }
            if path_param {
                add("404", "No entity has the id in the path");
            }
            if method == "post" && !responses.contains_key("409") {
                responses.insert("409".into(), error("Conflict: the entity would duplicate an existing one"));
            }
        }
    }
}

/// Adds `{path}/` beside every list in [`TRAILING_SLASH_NEXT_LINKS`], with
/// only the next-link parameters (`pageKey` required).
fn add_trailing_slash_routes(doc: &mut Value) -> Result<(), WireError> {
    let paths = doc.get_mut("paths").and_then(Value::as_object_mut).ok_or_else(|| shape("paths", "missing"))?;
    for path in TRAILING_SLASH_NEXT_LINKS {
        let Some(item) = paths.get(*path).cloned() else { continue };
        let mut item = item;
        let get = item
            .get_mut("get")
            .and_then(Value::as_object_mut)
            .ok_or_else(|| shape(*path, "a list with trailing-slash next links must have a GET operation"))?;
        let id = get.get("operationId").and_then(Value::as_str).unwrap_or("list").to_string();
        get.insert("operationId".into(), json!(format!("{id}_next_page")));
        get.insert(
            "description".into(),
            json!(format!(
                "The next page of `GET {path}`, as Dixa's `meta.next` links write it (with a trailing slash); \
                 the page key encodes the original query."
            )),
        );
        if let Some(Value::Array(params)) = get.get_mut("parameters") {
            params.retain(|p| p["in"] != "query" || NEXT_LINK_PARAMETERS.contains(&p["name"].as_str().unwrap_or("")));
            for p in params.iter_mut() {
                if p["name"] == "pageKey" {
                    p["required"] = json!(true);
                }
            }
        }
        // Only the GET: the other methods of the path have no such links.
        if let Some(obj) = item.as_object_mut() {
            obj.retain(|k, _| k == "get" || !normalize::METHODS.contains(&k.as_str()));
        }
        paths.insert(format!("{path}/"), item);
    }
    Ok(())
}

/// The union variants of the wire document and the tag each declares, as
/// `(union, variant schema, tag)`, for checks against known wire tags.
pub fn declared_tags(doc: &Value) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let Some(schemas) = doc.pointer("/components/schemas").and_then(Value::as_object) else { return out };
    for (name, s) in schemas {
        let Some(mapping) = s.pointer("/discriminator/mapping").and_then(Value::as_object) else { continue };
        for target in mapping.values() {
            let Some(variant) = target.as_str().and_then(|t| t.strip_prefix("#/components/schemas/")) else {
                continue;
            };
            let tag = schemas
                .get(variant)
                .and_then(|v| v.pointer("/properties/_type/enum/0"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            out.push((name.clone(), variant.to_string(), tag));
        }
    }
    out
}
