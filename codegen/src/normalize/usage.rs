//! Which component schemas can occur in requests and which in responses.
//!
//! Forward compatibility only matters for what Dixa SENDS: a value set or
//! union reachable from a response must decode values it does not know,
//! while request-only ones stay closed so callers cannot send garbage.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{ref_name, Context, METHODS};

/// The schema names reachable from request parts and from response parts.
#[derive(Debug, Default)]
pub(crate) struct Usage {
    pub request: BTreeSet<String>,
    pub response: BTreeSet<String>,
}

impl Usage {
    /// Computes reachability over `$ref`s, starting from every operation's
    /// parameters and request body (request side) and responses (response side).
    pub fn of(cx: &Context) -> Self {
        let mut request_roots = Vec::new();
        let mut response_roots = Vec::new();
        if let Some(paths) = cx.spec["paths"].as_object() {
            for item in paths.values() {
                if let Some(params) = item.get("parameters") {
                    request_roots.push(params);
                }
                for m in METHODS {
                    let Some(op) = item.get(m) else { continue };
                    if let Some(p) = op.get("parameters") {
                        request_roots.push(p);
                    }
                    if let Some(b) = op.get("requestBody") {
                        request_roots.push(b);
                    }
                    if let Some(r) = op.get("responses") {
                        response_roots.push(r);
                    }
                }
            }
        }
        Self { request: closure(cx, &request_roots), response: closure(cx, &response_roots) }
    }

    /// Whether schema `name` can occur in a response.
    pub fn in_response(&self, name: &str) -> bool {
        self.response.contains(name)
    }
}

/// All schema names referenced, directly or transitively, from `roots`.
fn closure(cx: &Context, roots: &[&Value]) -> BTreeSet<String> {
    let schemas = cx.schemas();
    let mut seen = BTreeSet::new();
    let mut todo = Vec::new();
    for root in roots {
        collect_refs_through_components(&cx.spec, root, &mut todo, 0);
    }
    while let Some(name) = todo.pop() {
        if seen.insert(name.clone()) {
            if let Some(s) = schemas.get(&name) {
                collect_refs(s, &mut todo);
            }
        }
    }
    seen
}

/// Like [`collect_refs`], but also looks inside the other components a
/// `$ref` may name (`#/components/responses/X`, `.../parameters/X`,
/// `.../requestBodies/X`): what they contain belongs to the same side.
fn collect_refs_through_components(doc: &Value, v: &Value, out: &mut Vec<String>, depth: usize) {
    // Components may refer to each other; a malformed spec could loop.
    if depth > 32 {
        return;
    }
    match v {
        Value::Object(map) => {
            if let Some(target) = map.get("$ref").and_then(Value::as_str) {
                if let Some(name) = ref_name(v) {
                    out.push(name.to_string());
                } else if let Some(resolved) = target.strip_prefix('#').and_then(|p| doc.pointer(p)) {
                    collect_refs_through_components(doc, resolved, out, depth + 1);
                }
            }
            for child in map.values() {
                collect_refs_through_components(doc, child, out, depth);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_refs_through_components(doc, i, out, depth)),
        _ => {}
    }
}

/// Pushes every component schema name `$ref`-erenced anywhere inside `v`.
pub(crate) fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            if let Some(name) = ref_name(v) {
                out.push(name.to_string());
            }
            for child in map.values() {
                collect_refs(child, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_refs(i, out)),
        _ => {}
    }
}
