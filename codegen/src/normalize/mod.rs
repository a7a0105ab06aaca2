//! Normalization: named passes that turn Dixa's raw OpenAPI spec into one
//! progenitor can generate a wire-correct client from.
//!
//! Every pass is a RULE over the spec's shapes, not a list of today's schema
//! names, so that a newer spec (new unions, new variants, new `Foo2` clash
//! suffixes, new value sets) normalizes without code changes. Each pass:
//! - has a module doc naming the defect of the raw spec it fixes,
//! - adds lines to the [`Report`] saying what it changed and where,
//! - returns a [`NormalizeError`] naming the schema or operation when it meets
//!   a shape it does not understand (never panics on spec content).
//!
//! Some fixes cannot be expressed in OpenAPI for progenitor/typify (tagged
//! unions whose tag is not declared, open enums, deprecated fields); those
//! passes record "custom types" in [`Normalized`] that the generator emits
//! itself and wires in with typify replacements.

mod deprecated;
mod envelopes;
mod errors;
mod ids;
mod multipart;
mod names;
mod open_objects;
mod operations;
mod optional_values;
mod report;
mod request_arrays;
mod string_or_tag;
mod timestamps;
mod unions;
pub(crate) mod usage;
mod value_sets;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

pub use names::{method_name, rust_type_name, snake, wire_tag};
pub use report::{Report, ReportLine};

/// The name of the one error schema every operation's 4xx/5xx responses
/// share after normalization (`dixa-client-ext` depends on this name).
pub const API_ERROR: &str = "ApiError";
/// The schema every `format: date-time` string is rewritten to reference.
pub const TIMESTAMP: &str = "Timestamp";

/// The result of [`normalize`].
#[derive(Debug, Clone)]
pub struct Normalized {
    /// The normalized OpenAPI document (written to `spec/dixa-v1.normalized.json`).
    pub spec: Value,
    /// Types the generator emits itself instead of letting typify derive them.
    pub custom: CustomTypes,
    /// One entry per operation, in spec order (paths, then methods).
    pub operations: Vec<Operation>,
    /// Struct fields to mark `#[deprecated]` in the generated Rust.
    pub deprecated_fields: Vec<DeprecatedField>,
    /// What each pass changed.
    pub report: Report,
    /// Rust type names of the schemas reachable from a request (parameters
    /// and bodies): the types callers construct.
    pub request_types: BTreeSet<String>,
    /// Rust type names of the schemas reachable from a response: the types
    /// callers read (and may write again, e.g. to export them).
    pub response_types: BTreeSet<String>,
    /// Normalized operationIds whose request body is `multipart/form-data`
    /// (sent as a raw body; see the `multipart` pass).
    pub multipart_operations: Vec<String>,
}

/// Types that codegen emits itself (see the `unions` and `value_sets` passes).
#[derive(Debug, Clone, Default)]
pub struct CustomTypes {
    /// `_type`-tagged unions.
    pub unions: Vec<Union>,
    /// String value sets that can arrive in a response (open: `Unknown(String)`).
    pub open_enums: Vec<OpenEnum>,
    /// Schema name (typify's PascalCase form) -> Rust type path that replaces it.
    pub replacements: BTreeMap<String, String>,
}

/// A `oneOf` union whose variants are told apart by a `_type` member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Union {
    /// The component schema name in the spec.
    pub schema: String,
    /// The Rust type name.
    pub rust_name: String,
    /// The schema's description, if any.
    pub description: Option<String>,
    /// The variants, in spec order.
    pub variants: Vec<UnionVariant>,
    /// Whether the union can occur in a response, so it needs an `Unknown` variant.
    pub open: bool,
}

/// One variant of a [`Union`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnionVariant {
    /// The `_type` value on the wire.
    pub tag: String,
    /// The Rust enum variant name.
    pub rust_name: String,
    /// The variant's component schema name (its payload type).
    pub schema: String,
    /// The payload's Rust type name (typify's name for `schema`).
    pub payload: String,
}

/// A string value set that may grow: emitted with an `Unknown(String)` variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenEnum {
    /// The component schema name (also the Rust type name).
    pub name: String,
    /// The known values, sorted.
    pub values: Vec<String>,
    /// Where the value set was found (`Schema.property`), for the doc comment.
    pub used_by: Vec<String>,
}

/// A struct field the generator marks `#[deprecated]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeprecatedField {
    /// The component schema holding the property.
    pub schema: String,
    /// The property's JSON name.
    pub property: String,
    /// The deprecation note.
    pub note: String,
}

/// One operation of the normalized spec, as the generated client exposes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// The operationId in the raw spec.
    pub spec_operation_id: String,
    /// The normalized operationId: also the Rust method name and the
    /// `OperationInfo::operation_id` the generated code passes to hooks.
    pub operation_id: String,
    /// Upper-case HTTP method.
    pub method: String,
    /// The path template, e.g. `/v1/agents/{agentId}`.
    pub path: String,
    /// Whether the operation takes a `pageKey` or returns `meta.next`.
    pub paginated: bool,
}

/// A spec shape the normalizer does not understand, or a name it cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NormalizeError {
    /// A schema, operation or document part has a shape no rule covers.
    #[error("normalize pass `{pass}`: {location}: {problem}")]
    UnexpectedShape {
        /// The pass that met the shape.
        pass: &'static str,
        /// The schema (`Schema.property`) or operation (`GET /v1/...`).
        location: String,
        /// What was expected and found.
        problem: String,
    },
    /// A name the normalizer must introduce is already taken.
    #[error("normalize pass `{pass}`: cannot introduce `{name}` for {purpose}: the name is already used")]
    NameClash {
        /// The pass that needed the name.
        pass: &'static str,
        /// The name.
        name: String,
        /// Why the pass needed it.
        purpose: String,
    },
}

impl NormalizeError {
    pub(crate) fn shape(pass: &'static str, location: impl Into<String>, problem: impl Into<String>) -> Self {
        Self::UnexpectedShape { pass, location: location.into(), problem: problem.into() }
    }
}

/// Shared state the passes read and extend.
pub(crate) struct Context {
    pub spec: Value,
    /// Component schema names of the RAW spec (clash suffixes are judged against these).
    pub raw_schema_names: BTreeSet<String>,
    pub custom: CustomTypes,
    pub operations: Vec<Operation>,
    pub deprecated_fields: Vec<DeprecatedField>,
    pub report: Report,
}

impl Context {
    pub fn new(raw: &Value) -> Result<Self, NormalizeError> {
        let spec = raw.clone();
        let schemas = spec
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .ok_or_else(|| NormalizeError::shape("load", "components.schemas", "missing or not an object"))?;
        let paths = spec
            .get("paths")
            .and_then(Value::as_object)
            .ok_or_else(|| NormalizeError::shape("load", "paths", "missing or not an object"))?;
        // The passes index into path items and operations as objects.
        for (path, item) in paths {
            let item = item.as_object().ok_or_else(|| {
                NormalizeError::shape("load", format!("paths.{path}"), "a path item must be an object")
            })?;
            for m in METHODS {
                if item.get(m).is_some_and(|op| !op.is_object()) {
                    return Err(NormalizeError::shape(
                        "load",
                        format!("{} {path}", m.to_uppercase()),
                        "an operation must be an object",
                    ));
                }
            }
        }
        let raw_schema_names = schemas.keys().cloned().collect();
        check_refs(&spec, &spec, &mut Vec::new(), false)?;
        Ok(Self {
            spec,
            raw_schema_names,
            custom: CustomTypes::default(),
            operations: Vec::new(),
            deprecated_fields: Vec::new(),
            report: Report::default(),
        })
    }

    /// The component schemas (checked present in [`Context::new`]).
    pub fn schemas(&self) -> &Map<String, Value> {
        self.spec["components"]["schemas"].as_object().expect("checked in Context::new")
    }

    /// The component schemas, mutably.
    pub fn schemas_mut(&mut self) -> &mut Map<String, Value> {
        self.spec["components"]["schemas"].as_object_mut().expect("checked in Context::new")
    }

    /// Adds a new component schema; fails if the name is taken.
    pub fn add_schema(
        &mut self,
        pass: &'static str,
        name: &str,
        purpose: &str,
        schema: Value,
    ) -> Result<(), NormalizeError> {
        if self.schemas().contains_key(name) {
            return Err(NormalizeError::NameClash { pass, name: name.to_string(), purpose: purpose.to_string() });
        }
        self.schemas_mut().insert(name.to_string(), schema);
        Ok(())
    }

    /// Replaces schema `name` in the generated code by the Rust type `path`.
    pub fn replace(&mut self, name: &str, path: String) {
        self.custom.replacements.insert(rust_type_name(name), path);
    }
}

/// Fails on the first local `$ref` that points to nothing, naming where it is
/// (`components.schemas.X.properties.y`).
///
/// Without this, progenitor panics (`$ref ... is missing`) on the first use it
/// meets, which may be far from the dangling reference. Examples are data and
/// are not searched; `names` says the keys of `v` are property names (a
/// property may be NAMED `example`).
fn check_refs<'a>(doc: &Value, v: &'a Value, at: &mut Vec<&'a str>, names: bool) -> Result<(), NormalizeError> {
    match v {
        Value::Object(map) => {
            if let Some(target) = map.get("$ref").and_then(Value::as_str) {
                let resolves = target.strip_prefix('#').is_some_and(|p| doc.pointer(p).is_some());
                if target.starts_with('#') && !resolves {
                    return Err(NormalizeError::shape(
                        "load",
                        at.join("."),
                        format!("$ref `{target}` points to nothing in the document"),
                    ));
                }
            }
            for (k, child) in map {
                if !names && (k == "example" || k == "examples") {
                    continue;
                }
                at.push(k);
                check_refs(doc, child, at, !names && k == "properties")?;
                at.pop();
            }
        }
        Value::Array(items) => {
            for child in items {
                check_refs(doc, child, at, false)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// HTTP methods an OpenAPI path item may hold, in the order they are visited.
pub(crate) const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// The `$ref` target name if `v` is `{"$ref": "#/components/schemas/NAME"}`.
pub(crate) fn ref_name(v: &Value) -> Option<&str> {
    v.get("$ref")?.as_str()?.strip_prefix("#/components/schemas/")
}

/// `{"$ref": "#/components/schemas/NAME"}`.
pub(crate) fn schema_ref(name: &str) -> Value {
    serde_json::json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// Runs every pass, in order, over `raw`.
///
/// Order matters: operation names first (later report lines use them and
/// `multipart` records the normalized ids), error
/// responses before usage analysis (so error schemas do not count as
/// payloads), deprecated fields before unions (their empty-object `oneOf`s
/// are not `_type` unions), `string_or_tag` after unions (it walks examples
/// through them) and before value sets (it lifts its own value sets),
/// `optional_values`, `open_objects`, `envelopes`, timestamps and request arrays after the
/// passes that move schemas around (they only annotate).
pub fn normalize(raw: &Value) -> Result<Normalized, NormalizeError> {
    let mut cx = Context::new(raw)?;
    operations::run(&mut cx)?;
    let multipart_operations = multipart::run(&mut cx)?;
    errors::run(&mut cx)?;
    deprecated::run(&mut cx)?;
    optional_values::run(&mut cx)?;
    open_objects::run(&mut cx)?;
    envelopes::run(&mut cx)?;
    unions::run(&mut cx)?;
    string_or_tag::run(&mut cx)?;
    value_sets::run(&mut cx)?;
    ids::run(&mut cx)?;
    timestamps::run(&mut cx)?;
    request_arrays::run(&mut cx)?;
    let usage = usage::Usage::of(&cx);
    let request_types = usage.request.iter().map(|s| rust_type_name(s)).collect();
    let response_types = usage.response.iter().map(|s| rust_type_name(s)).collect();
    Ok(Normalized {
        request_types,
        response_types,
        multipart_operations,
        spec: cx.spec,
        custom: cx.custom,
        operations: cx.operations,
        deprecated_fields: cx.deprecated_fields,
        report: cx.report,
    })
}
