//! Pass `operations`: readable, predictable method names.
//!
//! Defect: the spec's operationIds are `Tag_verbNoun` (`Agents_downgradeAgent`);
//! progenitor turns them into methods like `agents_downgrade_agent`, which
//! repeat the tag. Rule: drop a `Tag_` prefix that is one of the operation's
//! own `tags` (an id like `list_agents_v2` has no such prefix and is kept
//! whole) and snake-case the rest (`downgrade_agent`); when two operations
//! would get the same name, both keep the full snake-cased id (`agents_list`,
//! `teams_list`), so the result never depends on which operation was seen
//! first. An operation without an operationId gets one from its method and
//! path (`get_v1_agents_agent_id`), so a future spec that omits one still
//! generates. Names are put in the form progenitor emits ([`method_name`]:
//! `type` -> `type_`), because progenitor hands that form to hooks and the
//! `OPERATIONS` table must match it.
//!
//! The pass also records each operation's metadata (method, path template,
//! whether it is paginated) for the generated `OPERATIONS` table.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{names::method_name, ref_name, Context, NormalizeError, Operation, METHODS};

const PASS: &str = "operations";

pub(crate) fn run(cx: &mut Context) -> Result<(), NormalizeError> {
    // (path, method, raw id, the id without its tag prefix)
    let mut found = Vec::new();
    let paths = cx.spec["paths"].as_object().cloned().unwrap_or_default();
    for (path, item) in &paths {
        for m in METHODS {
            let Some(op) = item.get(m) else { continue };
            let id = match op.get("operationId") {
                Some(Value::String(s)) if !s.is_empty() => s.clone(),
                // No tag prefix here, so the verb survives.
                None => format!("{m}_{}", path.replace(['/', '{', '}', '-'], "_")),
                Some(other) => {
                    return Err(NormalizeError::shape(
                        PASS,
                        format!("{} {path}", m.to_uppercase()),
                        format!("operationId is not a non-empty string: {other}"),
                    ))
                }
            };
            let tags: Vec<&str> = op
                .get("tags")
                .and_then(Value::as_array)
                .map(|t| t.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let short = match id.split_once('_') {
                Some((prefix, rest)) if !rest.is_empty() && tags.contains(&prefix) => method_name(rest),
                _ => method_name(&id),
            };
            found.push((path.clone(), m, id, short));
        }
    }

    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for (_, _, _, short) in &found {
        *counts.entry(short.clone()).or_default() += 1;
    }
    let mut seen_full: BTreeMap<String, String> = BTreeMap::new();
    for (path, m, id, short) in found {
        let new_id = if counts[&short] > 1 { method_name(&id) } else { short.clone() };
        let location = format!("{} {path}", m.to_uppercase());
        if let Some(other) = seen_full.insert(new_id.clone(), location.clone()) {
            return Err(NormalizeError::shape(
                PASS,
                location,
                format!("operation name `{new_id}` is also the name of {other}; operationIds must differ after snake-casing"),
            ));
        }
        let paginated = is_paginated(&cx.spec["paths"][&path][m], &cx.spec);
        cx.spec["paths"][&path][m]["operationId"] = Value::String(new_id.clone());
        let note = if new_id != short { " (tag kept: the short name is shared)" } else { "" };
        cx.report.add(
            PASS,
            &location,
            format!("operationId {id} -> {new_id}{note}{}", if paginated { "; paginated" } else { "" }),
        );
        cx.operations.push(Operation {
            spec_operation_id: id,
            operation_id: new_id,
            method: m.to_uppercase(),
            path,
            paginated,
        });
    }
    Ok(())
}

/// An operation is paginated when it takes a `pageKey` query parameter or a
/// success response's body has `meta.next` (Dixa's `PaginationLinks`).
fn is_paginated(op: &Value, spec: &Value) -> bool {
    let resolve = |v: &Value| -> Option<Value> {
        match ref_name(v) {
            Some(n) => spec["components"]["schemas"].get(n).cloned(),
            None => Some(v.clone()),
        }
    };
    let takes_page_key =
        op["parameters"].as_array().is_some_and(|ps| ps.iter().any(|p| p["name"] == "pageKey" && p["in"] == "query"));
    let returns_next = op["responses"].as_object().is_some_and(|rs| {
        rs.iter().filter(|(code, _)| code.starts_with('2')).any(|(_, r)| {
            r["content"].as_object().is_some_and(|c| {
                c.values().any(|mt| {
                    resolve(&mt["schema"])
                        .and_then(|body| resolve(&body["properties"]["meta"]))
                        .is_some_and(|meta| meta["properties"].get("next").is_some())
                })
            })
        })
    });
    takes_page_key || returns_next
}
