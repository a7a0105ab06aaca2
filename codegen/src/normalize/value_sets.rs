//! Pass `value_sets`: string value sets become enums, open where Dixa sends them.
//!
//! Defects: (1) most value sets are only written in descriptions
//! (`"values: [Inbound, Internal, Outbound]"`), so typify types them as
//! `String`; (2) typify's enums are closed, so a value Dixa adds later fails
//! the whole response (one new channel breaks a page of 100 conversations).
//!
//! Rule: a `type: string` schema whose description contains `values: [...]`
//! or that has an `enum` is a value set (values sorted). Inline ones (object
//! properties and array items) are lifted into named component schemas:
//! identical value sets share one type, named after the property in
//! PascalCase (array items singular: `roles` -> `Role`; names too generic to
//! stand alone, like `_type` or `value`, get the schema name in front:
//! `ActivityLogEntryType`). When a component schema already has that name,
//! the set is named `{Name}Value` (`ChannelValue`), still one shared type.
//! When two different value sets want the same name,
//! the one used most keeps it and each use of the others is named
//! `{Schema}{Property}` (`CallbackDirection`). A value set reachable from a
//! response is emitted by the generator as an OPEN enum (`Unknown(String)`
//! keeps and re-sends unknown values); request-only ones stay closed typify
//! enums.
//!
//! A set shared by a request field and a response field (webhook `events`,
//! queue `offerAlgorithm`, metric aggregations) is ONE open type, on purpose:
//! callers read a subscription and send its events back (read-modify-write);
//! with a closed request-side twin, an event Dixa added since generation
//! could not be sent back and a PATCH would silently unsubscribe it.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use super::{names::rust_type_name, ref_name, schema_ref, usage::Usage, Context, NormalizeError, OpenEnum, METHODS};

const PASS: &str = "value_sets";

/// Property names too generic to name a type on their own.
const GENERIC: [&str; 6] = ["Type", "Value", "Values", "Id", "Name", "Kind"];

/// The sorted values of a string value set (`enum` or `values: [...]` in the
/// description), or `None` when `s` is not one.
pub(crate) fn parse_value_set(s: &Value) -> Option<Vec<String>> {
    if s.get("type").and_then(Value::as_str) != Some("string") {
        return None;
    }
    let mut values: Vec<String> = if let Some(e) = s.get("enum").and_then(Value::as_array) {
        e.iter().filter_map(Value::as_str).map(str::to_string).collect()
    } else {
        let d = s.get("description").and_then(Value::as_str)?;
        let start = d.find("values: [")? + "values: [".len();
        let len = d[start..].find(']')?;
        // Writers quote values now and then (`"A"`, `'A'`, `` `A` ``); the
        // quotes are not part of the value on the wire.
        d[start..start + len]
            .split(',')
            .map(|v| v.trim().trim_matches(|c| matches!(c, '"' | '\'' | '`')).trim())
            .filter(|v| !v.is_empty())
            .map(str::to_string)
            .collect()
    };
    values.sort();
    values.dedup();
    (!values.is_empty()).then_some(values)
}

/// Where one inline value set was found.
#[derive(Debug, Clone)]
struct Occurrence {
    schema: String,
    property: String,
    /// The value set is on the property's array `items`.
    item: bool,
    values: Vec<String>,
}

impl Occurrence {
    fn label(&self) -> String {
        format!("{}.{}{}", self.schema, self.property, if self.item { "[]" } else { "" })
    }

    /// The type name this occurrence suggests on its own.
    fn candidate(&self) -> String {
        let mut base = rust_type_name(self.property.trim_start_matches('_'));
        if self.item && base.ends_with('s') && !base.ends_with("ss") {
            base.pop();
        }
        if GENERIC.contains(&base.as_str()) {
            format!("{}{base}", rust_type_name(&self.schema))
        } else {
            base
        }
    }

    fn qualified(&self) -> String {
        let c = self.candidate();
        let schema = rust_type_name(&self.schema);
        if c.starts_with(&schema) {
            c
        } else {
            format!("{schema}{c}")
        }
    }
}

/// Fails when two values of one set would become the same Rust variant
/// (`fast lane` and `fast-lane` are both `FastLane`): typify panics on that
/// for closed sets and the open enum would not compile.
fn check_distinct(values: &[String], location: &str) -> Result<(), NormalizeError> {
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for v in values {
        let variant = rust_type_name(v);
        if let Some(other) = seen.insert(variant.clone(), v) {
            return Err(NormalizeError::shape(
                PASS,
                location,
                format!(
                    "values `{other}` and `{v}` both become Rust variant `{variant}`; the enum cannot tell them apart"
                ),
            ));
        }
    }
    Ok(())
}

pub(crate) fn run(cx: &mut Context) -> Result<(), NormalizeError> {
    let usage = Usage::of(cx);
    let mut named = Vec::new();
    let mut inline = Vec::new();
    for (name, s) in cx.schemas() {
        if let Some(values) = parse_value_set(s) {
            check_distinct(&values, name)?;
            named.push((name.clone(), values));
            continue;
        }
        let Some(props) = s.get("properties").and_then(Value::as_object) else { continue };
        for (prop, p) in props {
            let (target, item) = match p.get("items") {
                Some(items) if p.get("type").and_then(Value::as_str) == Some("array") => (items, true),
                _ => (p, false),
            };
            if let Some(values) = parse_value_set(target) {
                check_distinct(&values, &format!("{name}.{prop}"))?;
                inline.push(Occurrence { schema: name.clone(), property: prop.clone(), item, values });
            }
        }
    }

    // Group identical value sets and pick each group's preferred name.
    let mut groups: BTreeMap<Vec<String>, Vec<Occurrence>> = BTreeMap::new();
    for o in inline {
        groups.entry(o.values.clone()).or_default().push(o);
    }
    let mut by_name: BTreeMap<String, Vec<Vec<Occurrence>>> = BTreeMap::new();
    for occs in groups.into_values() {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for o in &occs {
            *counts.entry(o.candidate()).or_default() += 1;
        }
        let best =
            counts.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))).map(|(n, _)| n.clone()).unwrap_or_default();
        by_name.entry(best).or_default().push(occs);
    }
    let existing: BTreeSet<String> = cx.schemas().keys().cloned().collect();
    let mut assigned: BTreeMap<String, Vec<Occurrence>> = BTreeMap::new();
    let mut assign = |name: String, occs: Vec<Occurrence>| -> Result<(), NormalizeError> {
        if existing.contains(&name) || assigned.contains_key(&name) {
            return Err(NormalizeError::NameClash {
                pass: PASS,
                name,
                purpose: format!(
                    "the value set of {}",
                    occs.iter().map(Occurrence::label).collect::<Vec<_>>().join(", ")
                ),
            });
        }
        assigned.insert(name, occs);
        Ok(())
    };
    for (name, mut gs) in by_name {
        gs.sort_by_key(|g| std::cmp::Reverse(g.len()));
        // A component schema may already hold the name (a newer spec added
        // an object `Channel`): the set is still ONE type, `{Name}Value`,
        // not one `{Schema}{Property}` type per use.
        let name = if existing.contains(&name) { format!("{name}Value") } else { name };
        let keeper = !existing.contains(&name) && (gs.len() == 1 || gs[0].len() > gs[1].len());
        let mut rest = gs.into_iter();
        if keeper {
            let first = rest.next().unwrap_or_default();
            assign(name, first)?;
        }
        for g in rest {
            for o in g {
                assign(o.qualified(), vec![o])?;
            }
        }
    }

    // Lift the inline sets into named schemas.
    for (name, occs) in assigned {
        let values = occs[0].values.clone();
        let used_by: Vec<String> = occs.iter().map(Occurrence::label).collect();
        let open = occs.iter().any(|o| usage.in_response(&o.schema));
        cx.add_schema(
            PASS,
            &name,
            "a lifted value set",
            json!({ "type": "string", "enum": values, "description": format!("Values of {}.", used_by.join(", ")) }),
        )?;
        for o in &occs {
            let p = &mut cx.schemas_mut()[&o.schema]["properties"][&o.property];
            if o.item {
                p["items"] = schema_ref(&name);
            } else {
                *p = schema_ref(&name);
            }
        }
        finish(cx, &name, values, used_by, open, "lifted from");
    }
    for (name, values) in named {
        let open = usage.in_response(&name);
        finish(cx, &name, values.clone(), vec![name.clone()], open, "named schema");
        if !open {
            // Make the closed set explicit for typify (descriptions alone give String).
            cx.schemas_mut()[&name]["enum"] = json!(values);
        }
    }
    lift_parameters(cx)
}

/// Value sets written in an operation parameter's description (`Possible
/// values: [EmailEndpoint, TelephonyEndpoint]` on a plain string parameter).
///
/// The parameter gets the existing value-set type with exactly these values
/// if there is one (so a value read from a response can be passed back; it
/// is open if Dixa also sends it), else a new CLOSED enum (parameters are
/// request-side) named after the parameter, with the operation's name in
/// front when the parameter's name is too generic or already taken
/// (`ListFlowsChannel`). Path-level parameters are not searched (the spec
/// has none).
fn lift_parameters(cx: &mut Context) -> Result<(), NormalizeError> {
    let paths: Vec<String> = cx.spec["paths"].as_object().map(|p| p.keys().cloned().collect()).unwrap_or_default();
    for path in paths {
        for m in METHODS {
            let Some(op) = cx.spec["paths"][&path].get(m) else { continue };
            let op_name = op.get("operationId").and_then(Value::as_str).map(rust_type_name).unwrap_or_default();
            let count = op.get("parameters").and_then(Value::as_array).map_or(0, Vec::len);
            for i in 0..count {
                let prm = &cx.spec["paths"][&path][m]["parameters"][i];
                let Some(schema) = prm.get("schema").filter(|s| ref_name(s).is_none() && s.get("enum").is_none())
                else {
                    continue;
                };
                // The list may be in the parameter's description or its schema's.
                let values = parse_value_set(schema).or_else(|| {
                    let mut probe = schema.clone();
                    probe["description"] = prm.get("description")?.clone();
                    parse_value_set(&probe)
                });
                let Some(values) = values else { continue };
                let pname = prm.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
                let location = format!("{} {path} parameter `{pname}`", m.to_uppercase());
                check_distinct(&values, &location)?;
                let same = cx
                    .schemas()
                    .iter()
                    .find(|(_, s)| parse_value_set(s).as_ref() == Some(&values))
                    .map(|(n, _)| n.clone());
                let name = match same {
                    Some(existing) => {
                        cx.report.add(
                            PASS,
                            &location,
                            format!("value set [{}] -> {existing} (same values)", values.join(", ")),
                        );
                        existing
                    }
                    None => {
                        let base = rust_type_name(pname.trim_start_matches('_'));
                        let qualified = format!("{op_name}{base}");
                        let name = if GENERIC.contains(&base.as_str()) || cx.schemas().contains_key(&base) {
                            qualified
                        } else {
                            base
                        };
                        let description = format!(
                            "Values of the `{pname}` parameter of {}.",
                            location.split(" parameter").next().unwrap_or_default()
                        );
                        cx.add_schema(
                            PASS,
                            &name,
                            &format!("the value set of {location}"),
                            json!({ "type": "string", "enum": values, "description": description }),
                        )?;
                        let how = format!("parameter `{pname}` of");
                        finish(
                            cx,
                            &name,
                            values,
                            vec![location.split(" parameter").next().unwrap_or_default().to_string()],
                            false,
                            &how,
                        );
                        name
                    }
                };
                cx.spec["paths"][&path][m]["parameters"][i]["schema"] = schema_ref(&name);
            }
        }
    }
    Ok(())
}

fn finish(cx: &mut Context, name: &str, values: Vec<String>, used_by: Vec<String>, open: bool, how: &str) {
    cx.report.add(
        PASS,
        name,
        format!(
            "{} enum [{}] ({how} {})",
            if open { "open" } else { "closed (request-only)" },
            values.join(", "),
            used_by.join(", ")
        ),
    );
    if open {
        let rust = rust_type_name(name);
        cx.replace(name, format!("crate::types::{rust}"));
        cx.custom.open_enums.push(OpenEnum { name: rust, values, used_by });
    }
}
