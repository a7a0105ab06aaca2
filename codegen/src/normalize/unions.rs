//! Pass `unions`: `oneOf` unions become `_type`-tagged enums.
//!
//! Defect: every `oneOf` in the spec is, on the wire, an object whose `_type`
//! member names the variant, but the spec declares neither a `discriminator`
//! nor a `_type` property on the variants. typify then emits
//! `#[serde(untagged)]` enums that pick the FIRST variant whose shape fits:
//! an empty `NoAuth` swallows `TokenAuth`, `Text` decodes as `Html`, and
//! serializing drops `_type`.
//!
//! Rule: every component schema that is a `oneOf` of `$ref`s to object
//! schemas is a tagged union (an inline one in a property is first lifted
//! into a component named `{Holder}{Property}`). The pass records it as a custom [`Union`] (the
//! generator emits the enum and typify's structs refer to it through a
//! replacement) with one variant per member, tagged with [`wire_tag`] of the
//! member's schema name (generic arguments and clash suffixes dropped). The
//! variant payloads stay typify-generated named structs. A union that can
//! occur in a response is OPEN (an `Unknown` variant keeps unknown tags and
//! their JSON); a request-only one is closed. A variant that declares `_type`
//! itself has it removed (the union owns the tag). Two members with the same
//! wire tag (or the same Rust variant name), inline members, or members that
//! are not objects are errors: the union could not be decoded by its tag.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{
    names::{rust_type_name, wire_tag},
    ref_name, schema_ref,
    usage::Usage,
    Context, NormalizeError, Union, UnionVariant,
};

const PASS: &str = "unions";

/// Lifts every inline `oneOf` whose members are all `$ref`s (a property, or
/// a property's array items) into a component schema `{Holder}{Property}`
/// (items singular, as value sets name them), so the rule below covers it:
/// left inline, typify would emit an untagged enum. A `oneOf` of inline
/// shapes (a string or a list of strings) is not a `_type` union and stays.
fn lift_inline_unions(cx: &mut Context) -> Result<(), NormalizeError> {
    let all_refs = |v: &Value| {
        v.get("oneOf")
            .and_then(Value::as_array)
            .is_some_and(|m| !m.is_empty() && m.iter().all(|m| ref_name(m).is_some()))
    };
    let mut found = Vec::new();
    for (holder, s) in cx.schemas() {
        let Some(props) = s.get("properties").and_then(Value::as_object) else { continue };
        for (prop, p) in props {
            if all_refs(p) {
                found.push((holder.clone(), prop.clone(), false));
            } else if p.get("items").is_some_and(all_refs) {
                found.push((holder.clone(), prop.clone(), true));
            }
        }
    }
    for (holder, prop, item) in found {
        let mut base = rust_type_name(&prop);
        if item && base.ends_with('s') && !base.ends_with("ss") {
            base.pop();
        }
        let name = format!("{}{base}", rust_type_name(&holder));
        let slot = &mut cx.schemas_mut()[&holder]["properties"][&prop];
        let slot = if item { &mut slot["items"] } else { slot };
        let union = std::mem::replace(slot, schema_ref(&name));
        cx.add_schema(PASS, &name, &format!("the inline oneOf of {holder}.{prop}"), union)?;
        cx.report.add(PASS, format!("{holder}.{prop}"), format!("inline oneOf lifted into {name}"));
    }
    Ok(())
}

pub(crate) fn run(cx: &mut Context) -> Result<(), NormalizeError> {
    lift_inline_unions(cx)?;
    let usage = Usage::of(cx);
    let mut unions = Vec::new();
    for (name, s) in cx.schemas() {
        let Some(members) = s.get("oneOf") else { continue };
        let members = members.as_array().ok_or_else(|| NormalizeError::shape(PASS, name, "oneOf is not an array"))?;
        if members.is_empty() {
            return Err(NormalizeError::shape(PASS, name, "oneOf has no members; no value could be decoded"));
        }
        if s.get("properties").is_some() {
            return Err(NormalizeError::shape(
                PASS,
                name,
                "a oneOf schema with its own properties is not a `_type` union",
            ));
        }
        let mut variants = Vec::new();
        for (i, m) in members.iter().enumerate() {
            let member = ref_name(m).ok_or_else(|| {
                NormalizeError::shape(
                    PASS,
                    name,
                    format!("oneOf member {i} is inline; `_type` unions need named variant schemas"),
                )
            })?;
            let target = cx
                .schemas()
                .get(member)
                .ok_or_else(|| NormalizeError::shape(PASS, name, format!("oneOf member `{member}` does not exist")))?;
            let is_object = target.get("type").and_then(Value::as_str) == Some("object")
                || (target.get("type").is_none() && target.get("properties").is_some());
            if !is_object || target.get("oneOf").is_some() {
                return Err(NormalizeError::shape(
                    PASS,
                    name,
                    format!("oneOf member `{member}` is not a plain object schema; it cannot carry a `_type` tag"),
                ));
            }
            variants.push(UnionVariant {
                tag: wire_tag(member, &cx.raw_schema_names),
                rust_name: String::new(),
                schema: member.to_string(),
                payload: rust_type_name(member),
            });
        }
        let mut by_tag: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for v in &variants {
            by_tag.entry(&v.tag).or_default().push(&v.schema);
        }
        if let Some((tag, schemas)) = by_tag.iter().find(|(_, s)| s.len() > 1) {
            return Err(NormalizeError::shape(
                PASS,
                name,
                format!(
                    "members {} all have wire tag `{tag}`; the union cannot be decoded by `_type`",
                    schemas.join(", ")
                ),
            ));
        }
        let mut by_rust_name: BTreeMap<String, &str> = BTreeMap::new();
        for v in &mut variants {
            // The tag is the variant name unless it is not an identifier or
            // would collide with the fallback variant.
            let candidate = rust_type_name(&v.tag);
            v.rust_name =
                if candidate == "Unknown" { format!("{candidate}{}", rust_type_name(name)) } else { candidate };
            if let Some(other) = by_rust_name.insert(v.rust_name.clone(), &v.schema) {
                return Err(NormalizeError::shape(
                    PASS,
                    name,
                    format!(
                        "members `{other}` and `{}` both become Rust variant `{}`; the enum cannot hold both",
                        v.schema, v.rust_name
                    ),
                ));
            }
        }
        unions.push(Union {
            schema: name.clone(),
            rust_name: rust_type_name(name),
            description: s.get("description").and_then(Value::as_str).map(str::to_string),
            variants,
            open: usage.in_response(name),
        });
    }

    for u in &unions {
        for v in &u.variants {
            let props = cx.schemas_mut()[&v.schema].get_mut("properties").and_then(Value::as_object_mut);
            if let Some(props) = props {
                if props.remove("_type").is_some() {
                    if let Some(req) = cx.schemas_mut()[&v.schema].get_mut("required").and_then(Value::as_array_mut) {
                        req.retain(|r| r != "_type");
                    }
                    cx.report.add(
                        PASS,
                        &v.schema,
                        format!("removed its own `_type` property (union {} owns the tag)", u.schema),
                    );
                }
            }
        }
        let tags: Vec<String> = u
            .variants
            .iter()
            .map(|v| if v.tag == v.schema { v.tag.clone() } else { format!("{}={}", v.schema, v.tag) })
            .collect();
        cx.report.add(
            PASS,
            &u.schema,
            format!("{} union by `_type` [{}]", if u.open { "open" } else { "closed (request-only)" }, tags.join(", ")),
        );
        // Document the tagging in the normalized spec the OpenAPI way (typify
        // ignores `discriminator`; the generator emits the enum itself).
        let mapping: serde_json::Map<String, Value> =
            u.variants.iter().map(|v| (v.tag.clone(), schema_ref(&v.schema)["$ref"].clone())).collect();
        cx.schemas_mut()[&u.schema]["discriminator"] =
            serde_json::json!({ "propertyName": "_type", "mapping": mapping });
        let path = format!("crate::types::{}", u.rust_name);
        cx.replace(&u.schema, path);
    }
    cx.custom.unions = unions;
    Ok(())
}
