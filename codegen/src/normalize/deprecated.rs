//! Pass `deprecated`: deprecated "type" unions become tolerant plain values.
//!
//! Defect: fields like `ActivityLogEntry.activityType` reference a schema that
//! is `deprecated: true` and a `oneOf` of EMPTY objects (one per former value,
//! e.g. `ConversationAssignedActivityType`). Generated as written, every value
//! decodes as the first empty variant and the value itself is lost; on the
//! wire the field is a STRING (one public client's inference; not certain).
//! Rule: a component schema that is deprecated and whose `oneOf` variants are
//! all property-less objects is deleted; every property referencing it
//! becomes `{deprecated: true}` (any JSON value, so an object where a string
//! was expected cannot fail a whole response) on schemas that can arrive in
//! a response, `{type: string, deprecated: true}` on request-only ones, no
//! longer required (deprecated means Dixa will stop sending it, and its
//! absence must not fail a whole page), and is recorded so the generator
//! marks the field `#[deprecated]` (typify has no deprecation support). The note points to the `_type` member when the
//! holding schema has one (it carries the same information, supported). The
//! now-unreferenced empty variant schemas are deleted too.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use super::usage::{collect_refs, Usage};
use super::{ref_name, Context, DeprecatedField, NormalizeError};

const PASS: &str = "deprecated";

pub(crate) fn run(cx: &mut Context) -> Result<(), NormalizeError> {
    let mut targets: Vec<(String, Vec<String>)> = Vec::new();
    for (name, s) in cx.schemas() {
        if s.get("deprecated") != Some(&Value::Bool(true)) {
            continue;
        }
        let Some(variants) = s.get("oneOf").and_then(Value::as_array) else { continue };
        let mut names = Vec::new();
        let mut all_empty = true;
        for v in variants {
            let resolved = ref_name(v).and_then(|n| {
                names.push(n.to_string());
                cx.schemas().get(n)
            });
            let empty = resolved.or(Some(v)).is_some_and(|r| {
                r.get("properties").and_then(Value::as_object).is_none_or(|p| p.is_empty())
                    && r.get("oneOf").is_none()
                    && r.get("allOf").is_none()
            });
            all_empty &= empty;
        }
        if all_empty {
            targets.push((name.clone(), names));
        }
    }

    let usage = Usage::of(cx);
    for (target, variants) in targets {
        let description = cx.schemas()[&target].get("description").and_then(Value::as_str).map(str::to_string);
        let holders: Vec<String> = cx.schemas().keys().cloned().collect();
        let mut uses = 0;
        for holder in holders {
            let Some(props) = cx.schemas()[&holder].get("properties").and_then(Value::as_object) else { continue };
            let hits: Vec<String> =
                props.iter().filter(|(_, p)| ref_name(p) == Some(target.as_str())).map(|(k, _)| k.clone()).collect();
            let has_type = props.contains_key("_type");
            for prop in hits {
                uses += 1;
                let in_response = usage.in_response(&holder);
                let kept = if in_response { "any JSON value (a string on the wire so far)" } else { "a plain string" };
                let note = if has_type {
                    format!("deprecated by Dixa: kept as {kept}; use `_type` instead (it carries the same information)")
                } else {
                    format!("deprecated by Dixa: kept as {kept}")
                };
                let mut doc = description.clone().unwrap_or_default();
                if !doc.is_empty() {
                    doc.push_str("\n\n");
                }
                doc.push_str(&format!("Deprecated: {note}. Former values: {}.", variant_values(&variants)));
                // What Dixa sends in a deprecated field is an inference (the
                // spec says empty objects, one public client says string):
                // a response must not fail over it, so it keeps any JSON.
                cx.schemas_mut()[&holder]["properties"][&prop] = if in_response {
                    json!({ "deprecated": true, "description": doc })
                } else {
                    json!({ "type": "string", "deprecated": true, "description": doc })
                };
                if let Some(required) = cx.schemas_mut()[&holder].get_mut("required").and_then(Value::as_array_mut) {
                    required.retain(|r| r.as_str() != Some(prop.as_str()));
                }
                cx.report.add(
                    PASS,
                    format!("{holder}.{prop}"),
                    format!(
                        "{target} (deprecated oneOf of empty objects) -> deprecated optional {}",
                        if in_response { "JSON value" } else { "string" }
                    ),
                );
                cx.deprecated_fields.push(DeprecatedField { schema: holder.clone(), property: prop.clone(), note });
            }
        }
        let leftover = remaining_refs(cx);
        if leftover.contains(&target) {
            return Err(NormalizeError::shape(
                PASS,
                target,
                "deprecated empty-object union is referenced other than as an object property; no rule rewrites that",
            ));
        }
        cx.schemas_mut().remove(&target);
        cx.report.add(PASS, &target, format!("removed (was used by {uses} field(s))"));
        let leftover = remaining_refs(cx);
        for v in variants {
            if !leftover.contains(&v) && cx.schemas_mut().remove(&v).is_some() {
                cx.report.add(PASS, &v, format!("removed (empty variant of {target}, no longer referenced)"));
            }
        }
    }
    Ok(())
}

/// The former variant schema names, listed in the field's doc so nothing the
/// spec said is lost.
fn variant_values(variants: &[String]) -> String {
    variants.join(", ")
}

fn remaining_refs(cx: &Context) -> BTreeSet<String> {
    let mut out = Vec::new();
    collect_refs(&cx.spec, &mut out);
    out.into_iter().collect()
}
