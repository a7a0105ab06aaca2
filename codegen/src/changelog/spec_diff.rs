//! The wire view: what changed between two specs, classified by what it
//! does to requests and responses of THIS client.
//!
//! Operations, parameters, bodies, responses and component schemas are
//! compared on the raw specs. Value sets are compared on the normalized
//! specs, where the normalizer has given every inline value set its own
//! named schema (the name of the Rust enum), so the change names the type a
//! caller sees. Which side a schema is on (request, response, both) comes
//! from the normalizer's reachability analysis; direction decides the class:
//! a new property is harmless in a response (serde skips unknown fields) and
//! breaking in a request when required.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::{Change, Class, OperationSummary, RustKey, Side};
use crate::normalize::{self, rust_type_name, wire_tag, METHODS};

/// Which side(s) of the API a schema is reachable from.
struct Sides {
    request: BTreeSet<String>,
    response: BTreeSet<String>,
}

impl Sides {
    fn of(old: &Side<'_>, new: &Side<'_>) -> Self {
        let mut request = BTreeSet::new();
        let mut response = BTreeSet::new();
        for side in [old, new] {
            for spec in [side.raw, &side.normalized.spec] {
                if let Ok(cx) = normalize::Context::new(spec) {
                    let usage = normalize::usage::Usage::of(&cx);
                    request.extend(usage.request);
                    response.extend(usage.response);
                }
            }
        }
        Sides { request, response }
    }

    /// Whether `schema` can be sent (unknown schemas count as both sides:
    /// the conservative reading).
    fn request(&self, schema: &str) -> bool {
        self.request.contains(schema) || !self.response.contains(schema)
    }

    /// Whether `schema` can be received.
    fn response(&self, schema: &str) -> bool {
        self.response.contains(schema) || !self.request.contains(schema)
    }
}

/// A change builder: the class, kind, location, detail and reason.
fn change(class: Class, kind: &str, location: impl Into<String>, detail: impl Into<String>, reason: &str) -> Change {
    Change {
        class,
        kind: kind.to_string(),
        location: location.into(),
        detail: detail.into(),
        reason: reason.to_string(),
        rust_key: None,
    }
}

/// The Rust-side key of a schema-level change.
fn key(schema: &str, family: &'static str, member: &str) -> Option<RustKey> {
    Some(RustKey { type_name: rust_type_name(schema), family, member: member.to_string() })
}

/// All wire-level changes from `old` to `new`, and the operation summary.
pub(crate) fn diff(old: &Side<'_>, new: &Side<'_>) -> (Vec<Change>, OperationSummary) {
    let sides = Sides::of(old, new);
    let mut out = Vec::new();
    let summary = operations(old, new, &mut out);
    schemas(old.raw, new.raw, &sides, &mut out);
    value_sets(&old.normalized.spec, &new.normalized.spec, &sides, &mut out);
    (out, summary)
}

/// `METHOD /path` -> operation object.
fn ops(spec: &Value) -> BTreeMap<String, &Value> {
    let mut out = BTreeMap::new();
    for (path, item) in spec.get("paths").and_then(Value::as_object).into_iter().flatten() {
        for m in METHODS {
            if let Some(op) = item.get(m) {
                out.insert(format!("{} {path}", m.to_uppercase()), op);
            }
        }
    }
    out
}

/// The Rust method name of operation `METHOD /path` on one side.
fn method_of(side: &Side<'_>, name: &str) -> Option<RustKey> {
    let op = side.normalized.operations.iter().find(|o| format!("{} {}", o.method, o.path) == name)?;
    Some(RustKey { type_name: "Client".into(), family: "method", member: op.operation_id.clone() })
}

fn operations(old_side: &Side<'_>, new_side: &Side<'_>, out: &mut Vec<Change>) -> OperationSummary {
    let (old, new) = (old_side.raw, new_side.raw);
    let (old_ops, new_ops) = (ops(old), ops(new));
    let mut summary = OperationSummary::default();
    for (name, op) in &old_ops {
        if !new_ops.contains_key(name) {
            summary.removed.push(name.clone());
            out.push(Change {
                rust_key: method_of(old_side, name),
                ..change(
                    Class::BreakingOnWire,
                    "operation.removed",
                    name,
                    format!("operation removed ({})", op_id(op)),
                    "Calls to it now fail; its `Client` method is gone.",
                )
            });
        }
    }
    for (name, op) in &new_ops {
        let Some(before) = old_ops.get(name) else {
            summary.added.push(name.clone());
            let deprecated = if is_deprecated(op) { ", deprecated" } else { "" };
            let paginated = new_side
                .normalized
                .operations
                .iter()
                .any(|o| o.paginated && format!("{} {}", o.method, o.path) == *name);
            let paginated = if paginated { ", paginated" } else { "" };
            out.push(Change {
                rust_key: method_of(new_side, name),
                ..change(
                    Class::Additive,
                    "operation.added",
                    name,
                    format!("operation added ({}{deprecated}{paginated})", op_id(op)),
                    "A new `Client` method; nothing existing changes.",
                )
            });
            continue;
        };
        if is_deprecated(op) && !is_deprecated(before) {
            summary.deprecated.push(name.clone());
            out.push(change(
                Class::Additive,
                "operation.deprecated",
                name,
                "operation marked deprecated",
                "It still works; plan to move off it.",
            ));
        }
        let n = out.len();
        parameters(name, before, op, old, new, out);
        bodies(name, before, op, old, new, out);
        responses(name, before, op, old, new, out);
        if out.len() > n {
            summary.changed.push(name.clone());
        }
    }
    summary
}

fn op_id(op: &Value) -> &str {
    op.get("operationId").and_then(Value::as_str).unwrap_or("no operationId")
}

fn is_deprecated(v: &Value) -> bool {
    v.get("deprecated").and_then(Value::as_bool).unwrap_or(false)
}

/// Follows a `$ref` into the document (parameters, bodies, responses may be refs).
fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    let mut v = v;
    for _ in 0..8 {
        match v.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')).and_then(|p| doc.pointer(p)) {
            Some(target) => v = target,
            None => break,
        }
    }
    v
}

/// `(in, name)` -> (required, schema) of an operation's parameters.
fn params<'a>(doc: &'a Value, op: &'a Value) -> BTreeMap<(String, String), (bool, &'a Value)> {
    op.get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|p| resolve(doc, p))
        .filter_map(|p| {
            let name = p.get("name")?.as_str()?.to_string();
            let location = p.get("in")?.as_str()?.to_string();
            let required = p.get("required").and_then(Value::as_bool).unwrap_or(false);
            Some(((location, name), (required, p.get("schema").unwrap_or(&Value::Null))))
        })
        .collect()
}

fn parameters(name: &str, before: &Value, after: &Value, old: &Value, new: &Value, out: &mut Vec<Change>) {
    let (a, b) = (params(old, before), params(new, after));
    for ((location, p), (required, _)) in &a {
        if !b.contains_key(&(location.clone(), p.clone())) {
            out.push(change(
                Class::BreakingForRust,
                "parameter.removed",
                name,
                format!("{location} parameter `{p}` removed{}", if *required { " (was required)" } else { "" }),
                "Dixa no longer reads it (sending it is harmless); its builder method is gone.",
            ));
        }
    }
    for ((location, p), (required, schema)) in &b {
        match a.get(&(location.clone(), p.clone())) {
            None if *required => out.push(change(
                Class::BreakingOnWire,
                "parameter.added",
                name,
                format!("required {location} parameter `{p}` added"),
                "Requests without it are rejected; existing calls must set it.",
            )),
            None => out.push(change(
                Class::Additive,
                "parameter.added",
                name,
                format!("optional {location} parameter `{p}` added"),
                "A new optional builder method.",
            )),
            Some((was_required, old_schema)) => {
                if *required && !was_required {
                    out.push(change(
                        Class::BreakingOnWire,
                        "parameter.required",
                        name,
                        format!("{location} parameter `{p}` became required"),
                        "Calls that omitted it are rejected.",
                    ));
                } else if !required && *was_required {
                    out.push(change(
                        Class::Additive,
                        "parameter.optional",
                        name,
                        format!("{location} parameter `{p}` became optional"),
                        "Calls that set it keep working.",
                    ));
                }
                if shape(old_schema) != shape(schema) {
                    out.push(change(
                        Class::BreakingOnWire,
                        "parameter.type-changed",
                        name,
                        format!("{location} parameter `{p}`: {} -> {}", shape(old_schema), shape(schema)),
                        "Values valid before may be rejected now.",
                    ));
                }
            }
        }
    }
}

/// The JSON body schema of a request body or response, as a short text.
fn body_shape(doc: &Value, holder: &Value) -> Option<String> {
    let content = resolve(doc, holder).get("content")?.as_object()?;
    let (media, mt) = content.iter().next()?;
    Some(format!("{media} {}", shape(mt.get("schema").unwrap_or(&Value::Null))))
}

fn bodies(name: &str, before: &Value, after: &Value, old: &Value, new: &Value, out: &mut Vec<Change>) {
    let a = before.get("requestBody").map(|b| (body_shape(old, b), required(resolve(old, b))));
    let b = after.get("requestBody").map(|b| (body_shape(new, b), required(resolve(new, b))));
    match (a, b) {
        (None, Some((shape, req))) => out.push(change(
            if req { Class::BreakingOnWire } else { Class::Additive },
            "request-body.added",
            name,
            format!("request body added: {}", shape.unwrap_or_default()),
            if req { "A required body: existing calls send none and are rejected." } else { "Optional." },
        )),
        (Some((shape, _)), None) => out.push(change(
            Class::BreakingForRust,
            "request-body.removed",
            name,
            format!("request body removed (was {})", shape.unwrap_or_default()),
            "Dixa no longer reads a body; the builder's body methods are gone.",
        )),
        (Some((s1, r1)), Some((s2, r2))) => {
            if s1 != s2 {
                out.push(change(
                    Class::BreakingOnWire,
                    "request-body.type-changed",
                    name,
                    format!("request body {} -> {}", s1.unwrap_or_default(), s2.unwrap_or_default()),
                    "Another body type: old bodies may be rejected.",
                ));
            }
            if r2 && !r1 {
                out.push(change(
                    Class::BreakingOnWire,
                    "request-body.required",
                    name,
                    "request body became required",
                    "Calls without a body are rejected.",
                ));
            }
        }
        (None, None) => {}
    }
}

fn required(v: &Value) -> bool {
    v.get("required").and_then(Value::as_bool).unwrap_or(false)
}

fn responses(name: &str, before: &Value, after: &Value, old: &Value, new: &Value, out: &mut Vec<Change>) {
    let statuses = |op: &Value, doc: &Value| -> BTreeMap<String, Option<String>> {
        op.get("responses")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(code, r)| (code.clone(), body_shape(doc, r)))
            .collect()
    };
    let (a, b) = (statuses(before, old), statuses(after, new));
    let success = |m: &BTreeMap<String, Option<String>>| -> Vec<String> {
        m.keys().filter(|c| c.starts_with('2')).cloned().collect()
    };
    let (sa, sb) = (success(&a), success(&b));
    if sa != sb {
        out.push(change(
            Class::BreakingOnWire,
            "response.success-status-changed",
            name,
            format!("success status {} -> {}", sa.join("/"), sb.join("/")),
            "The generated client accepts only the declared success statuses; an old client treats the new one as an unexpected response.",
        ));
    }
    for code in sa.iter().filter(|c| sb.contains(c)) {
        if a[code] != b[code] {
            out.push(change(
                Class::BreakingOnWire,
                "response.body-changed",
                name,
                format!(
                    "{code} body {} -> {}",
                    a[code].clone().unwrap_or_else(|| "none".into()),
                    b[code].clone().unwrap_or_else(|| "none".into())
                ),
                "Another response type: an old client decodes it as the old one.",
            ));
        }
    }
    let errors = |m: &BTreeMap<String, Option<String>>| -> BTreeSet<String> {
        m.keys().filter(|c| !c.starts_with('2')).cloned().collect()
    };
    let (ea, eb) = (errors(&a), errors(&b));
    if ea != eb {
        let added: Vec<_> = eb.difference(&ea).cloned().collect();
        let removed: Vec<_> = ea.difference(&eb).cloned().collect();
        out.push(change(
            Class::Additive,
            "response.error-statuses-changed",
            name,
            format!("declared error statuses: added [{}], removed [{}]", added.join(", "), removed.join(", ")),
            "Every error status decodes into the one `ApiError` (status + message), declared or not.",
        ));
    }
}

/// A short type description of a schema: `$ref` name, or type/format/items.
fn shape(s: &Value) -> String {
    if let Some(name) = normalize::ref_name(s) {
        return name.to_string();
    }
    let t = s.get("type").and_then(Value::as_str).unwrap_or("any");
    let f = s.get("format").and_then(Value::as_str).map(|f| format!("({f})")).unwrap_or_default();
    match t {
        "array" => format!("array<{}>", shape(s.get("items").unwrap_or(&Value::Null))),
        _ if s.get("oneOf").is_some() => "oneOf".into(),
        _ => format!("{t}{f}"),
    }
}

fn component_schemas(spec: &Value) -> Map<String, Value> {
    spec.pointer("/components/schemas").and_then(Value::as_object).cloned().unwrap_or_default()
}

fn schemas(old: &Value, new: &Value, sides: &Sides, out: &mut Vec<Change>) {
    let (a, b) = (component_schemas(old), component_schemas(new));
    let names_old: BTreeSet<String> = a.keys().cloned().collect();
    let names_new: BTreeSet<String> = b.keys().cloned().collect();
    for name in names_old.difference(&names_new) {
        out.push(Change {
            rust_key: key(name, "type-removed", ""),
            ..change(
                Class::BreakingForRust,
                "schema.removed",
                name.as_str(),
                "schema removed",
                "No operation uses it any more (an operation that did is listed separately); its Rust type is gone.",
            )
        });
    }
    for name in names_new.difference(&names_old) {
        out.push(Change {
            rust_key: key(name, "type-added", ""),
            ..change(Class::Additive, "schema.added", name.as_str(), "schema added", "A new type.")
        });
    }
    for name in names_old.intersection(&names_new) {
        schema(name, &a[name], &b[name], &names_new, sides, out);
    }
}

fn props(s: &Value) -> Map<String, Value> {
    s.get("properties").and_then(Value::as_object).cloned().unwrap_or_default()
}

fn required_set(s: &Value) -> BTreeSet<String> {
    s.get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(String::from)
        .collect()
}

fn members(s: &Value) -> Vec<String> {
    s.get("oneOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| normalize::ref_name(m).map(String::from))
        .collect()
}

fn schema(name: &str, a: &Value, b: &Value, all_new: &BTreeSet<String>, sides: &Sides, out: &mut Vec<Change>) {
    let (req, resp) = (sides.request(name), sides.response(name));
    let (pa, pb) = (props(a), props(b));
    let (ra, rb) = (required_set(a), required_set(b));
    let was_union = a.get("oneOf").is_some();
    let is_union = b.get("oneOf").is_some();
    if was_union != is_union {
        out.push(change(
            Class::BreakingOnWire,
            "schema.shape-changed",
            name,
            if is_union { "became a `_type` union (was an object)" } else { "became an object (was a union)" },
            "Another JSON shape: bodies of the old shape are rejected or misread.",
        ));
    }
    for (p, _) in pa.iter().filter(|(p, _)| !pb.contains_key(*p)) {
        let (class, reason) = if resp {
            (
                Class::BreakingOnWire,
                "A removed response field: an old client that requires it fails to decode, one that made it optional silently sees none.",
            )
        } else {
            (Class::Additive, "Request-only: Dixa no longer reads it; sending it is harmless.")
        };
        out.push(Change {
            rust_key: key(name, "field-removed", p),
            ..change(class, "property.removed", format!("{name}.{p}"), "property removed", reason)
        });
    }
    for (p, s) in pb.iter().filter(|(p, _)| !pa.contains_key(*p)) {
        let required = rb.contains(p);
        let (class, reason) = if req && required {
            (Class::BreakingOnWire, "A new REQUIRED request field: bodies without it are rejected.")
        } else if req {
            (Class::Additive, "Optional in requests.")
        } else {
            (Class::Additive, "Response-only: older clients skip fields they do not know.")
        };
        out.push(Change {
            rust_key: key(name, "field-added", p),
            ..change(
                class,
                "property.added",
                format!("{name}.{p}"),
                format!("{} property added ({})", if required { "required" } else { "optional" }, shape(s)),
                reason,
            )
        });
    }
    for (p, s) in pb.iter().filter(|(p, _)| pa.contains_key(*p)) {
        let (old_shape, new_shape) = (shape(&pa[p]), shape(s));
        if old_shape != new_shape {
            out.push(Change {
                rust_key: key(name, "field-type-changed", p),
                ..change(
                    Class::BreakingOnWire,
                    "property.type-changed",
                    format!("{name}.{p}"),
                    format!("type {old_shape} -> {new_shape}"),
                    "Values of the old type are rejected or fail to decode.",
                )
            });
        }
        match (ra.contains(p), rb.contains(p)) {
            (false, true) if req => out.push(Change {
                rust_key: key(name, "field-type-changed", p),
                ..change(
                    Class::BreakingOnWire,
                    "property.required-changed",
                    format!("{name}.{p}"),
                    "became required",
                    "Request bodies without it are rejected.",
                )
            }),
            (true, false) if resp => out.push(Change {
                rust_key: key(name, "field-type-changed", p),
                ..change(
                    Class::BreakingOnWire,
                    "property.required-changed",
                    format!("{name}.{p}"),
                    "became optional",
                    "Responses may omit it: an old client that requires it fails to decode them.",
                )
            }),
            (x, y) if x != y => out.push(Change {
                rust_key: key(name, "field-type-changed", p),
                ..change(
                    Class::Additive,
                    "property.required-changed",
                    format!("{name}.{p}"),
                    if y { "became required" } else { "became optional" },
                    "Harmless in this direction on the wire.",
                )
            }),
            _ => {}
        }
    }
    if is_union && was_union {
        let (ma, mb) = (members(a), members(b));
        for m in mb.iter().filter(|m| !ma.contains(m)) {
            let tag = wire_tag(m, all_new);
            let (class, reason) = if resp {
                (
                    Class::Additive,
                    "Not breaking on the wire for this client: response unions are open, and a client generated before it decodes the new tag as `Unknown` with its raw JSON (a generic diff such as oasdiff calls a new response union variant breaking).",
                )
            } else {
                (Class::Additive, "Request-only union: a new choice for callers.")
            };
            out.push(Change {
                rust_key: key(name, "variant-added", &rust_type_name(&tag)),
                ..change(class, "union.variant-added", name, format!("variant `{m}` added (wire tag `{tag}`)"), reason)
            });
        }
        for m in ma.iter().filter(|m| !mb.contains(m)) {
            let (class, reason) = if req {
                (Class::BreakingOnWire, "Requests sending this variant are rejected.")
            } else {
                (Class::Additive, "Response-only: Dixa stops sending it.")
            };
            out.push(Change {
                rust_key: key(name, "variant-removed", &rust_type_name(&wire_tag(m, all_new))),
                ..change(class, "union.variant-removed", name, format!("variant `{m}` removed"), reason)
            });
        }
    }
}

/// Value sets of the normalized specs: top-level schemas only (the
/// normalizer lifted every inline set into a named one).
fn value_sets(old: &Value, new: &Value, sides: &Sides, out: &mut Vec<Change>) {
    let sets = |spec: &Value| -> BTreeMap<String, Vec<String>> {
        component_schemas(spec)
            .iter()
            .filter_map(|(n, s)| {
                let values = s.get("enum").and_then(Value::as_array)?;
                Some((n.clone(), values.iter().filter_map(Value::as_str).map(String::from).collect()))
            })
            .collect()
    };
    let (a, b) = (sets(old), sets(new));
    for (name, values) in &b {
        let Some(before) = a.get(name) else { continue };
        let (req, resp) = (sides.request(name), sides.response(name));
        for v in values.iter().filter(|v| !before.contains(v)) {
            let reason = if resp {
                "Open value set: a client generated before it decodes the value as `Unknown(\"...\")` and sends it back unchanged."
            } else {
                "Request-only: a new value callers may send."
            };
            out.push(Change {
                rust_key: key(name, "variant-added", &variant_name(v)),
                ..change(Class::Additive, "enum.value-added", name.as_str(), format!("value `{v}` added"), reason)
            });
        }
        for v in before.iter().filter(|v| !values.contains(v)) {
            let (class, reason) = if req {
                (Class::BreakingOnWire, "Requests sending it are rejected.")
            } else {
                (Class::Additive, "Response-only: Dixa stops sending it.")
            };
            out.push(Change {
                rust_key: key(name, "variant-removed", &variant_name(v)),
                ..change(class, "enum.value-removed", name.as_str(), format!("value `{v}` removed"), reason)
            });
        }
    }
}

/// The Rust variant name the generator gives value `v` of a value set.
fn variant_name(v: &str) -> String {
    let n = rust_type_name(v);
    if n == "Unknown" {
        "UnknownValue".into()
    } else {
        n
    }
}
