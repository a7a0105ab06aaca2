//! Recovery of the raw Dixa v1 OpenAPI spec from the text renderings kept in
//! `spec/sources/`.
//!
//! No JSON copy of Dixa's spec is available offline; three renderings of it
//! are. This module reads them and rebuilds `spec/dixa-v1.json` byte for byte,
//! so the raw spec is reproducible from the repository alone and CI can prove
//! that the committed file is what the renderings give.
//!
//! What comes from where:
//! - `catalog-full-spec.txt`: every operation (path, method, description,
//!   parameter table, requestBody verbatim) and all `components.schemas`.
//! - `redoc-agents.txt` (Dixa's own page, Agents tag): summaries, parameter
//!   formats, `uniqueItems` on request properties, responses, request and
//!   response samples. Where it shows the same thing as the catalog
//!   differently, Redoc wins and the correction is recorded.
//! - `catalog-delete-endpoints.txt`: six operationIds, the DELETE
//!   operations' responses, the OpenAPI version and the endpoint count.
//!
//! Everything no rendering shows is decided in the private `decisions` module (as data, with
//! the reason next to it) and listed in the generated `spec/RECOVERY.md`.
//! The raw spec keeps Dixa's quirks (three same-shaped error schemas per
//! operation, `Preset.value`, `[GMT]` timestamps): normalization fixes them.

mod catalog;
mod decisions;
mod delete_page;
mod error;
mod redoc;
mod report;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde_json::{json, Map, Value};

pub use error::RecoverError;
use error::Source;

/// The catalog's full text rendering.
pub const CATALOG_FILE: &str = "catalog-full-spec.txt";
/// The catalog's page for the DELETE endpoints.
pub const DELETE_PAGE_FILE: &str = "catalog-delete-endpoints.txt";
/// Dixa's Redoc page for the Agents tag.
pub const REDOC_FILE: &str = "redoc-agents.txt";

/// The products of a recovery: the spec and the report that explains it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovery {
    /// The exact text of `spec/dixa-v1.json`.
    pub spec: String,
    /// The exact text of `spec/RECOVERY.md`.
    pub report: String,
}

/// Rebuilds the raw spec from the renderings in `sources_dir` and returns the
/// exact text of `spec/dixa-v1.json` (2-space pretty JSON, keys in rendering
/// order, trailing newline).
pub fn recover_spec(sources_dir: &Path) -> Result<String, RecoverError> {
    recover(sources_dir).map(|r| r.spec)
}

/// Rebuilds the raw spec and its report (`spec/RECOVERY.md`).
pub fn recover(sources_dir: &Path) -> Result<Recovery, RecoverError> {
    recover_from(
        &Source::load(sources_dir, CATALOG_FILE)?,
        &Source::load(sources_dir, DELETE_PAGE_FILE)?,
        &Source::load(sources_dir, REDOC_FILE)?,
    )
}

/// Recovery from renderings already in memory.
fn recover_from(catalog: &Source, delete_page: &Source, redoc: &Source) -> Result<Recovery, RecoverError> {
    let catalog = catalog::parse(catalog)?;
    let delete_page = delete_page::parse(delete_page)?;
    let redoc = redoc::parse(redoc)?;
    let (spec, log) = build(&catalog, &delete_page, &redoc)?;
    let mut text = serde_json::to_string_pretty(&spec)
        .map_err(|e| RecoverError::Inconsistent(format!("spec does not serialize: {e}")))?;
    text.push('\n');
    let report = report::render(&log, &delete_page, catalog.ops.len(), catalog.schemas.len());
    Ok(Recovery { spec: text, report })
}

/// One response of one operation, as the report lists it.
#[derive(Debug, Clone)]
pub(crate) struct ResponseRow {
    /// `METHOD /path`.
    pub(crate) op: String,
    /// Status code.
    pub(crate) status: String,
    /// Referenced schema, if any.
    pub(crate) schema: Option<String>,
    /// Which rendering shows the status and description, or `inferred`.
    pub(crate) shown_by: Option<&'static str>,
    /// Why the schema (and, when inferred, the status) was chosen.
    pub(crate) why: String,
}

/// One operation's identity, as the report lists it.
#[derive(Debug, Clone)]
pub(crate) struct OpRow {
    /// `METHOD /path`.
    pub(crate) op: String,
    /// Its tag.
    pub(crate) tag: String,
    /// Its operationId.
    pub(crate) operation_id: String,
    /// Whether the DELETE page shows the id (otherwise chosen by the rule).
    pub(crate) known: bool,
}

/// What the recovery did beyond copying, for the report.
#[derive(Debug, Default)]
pub(crate) struct Log {
    /// Every operation.
    pub(crate) ops: Vec<OpRow>,
    /// Every response.
    pub(crate) responses: Vec<ResponseRow>,
    /// Corrections of the catalog: (where, what, why).
    pub(crate) corrections: Vec<(String, String, String)>,
    /// Request examples (single `example` or each of `examples`).
    pub(crate) request_examples: usize,
    /// Redoc response samples placed as response examples.
    pub(crate) response_samples: usize,
    /// For every operation whose responses a rendering shows: whether its
    /// path has a parameter, and the statuses shown (evidence for the error
    /// rule, counted in the report).
    pub(crate) shown: Vec<(bool, Vec<String>)>,
}

fn op_key(method: &str, path: &str) -> String {
    format!("{method} {path}")
}

/// Assembles the spec from the parsed renderings and the decisions.
fn build(
    catalog: &catalog::Catalog,
    delete_page: &delete_page::DeletePage,
    redoc: &redoc::Redoc,
) -> Result<(Value, Log), RecoverError> {
    let mut log = Log::default();
    if delete_page.schemas != catalog.schemas.len() {
        return Err(RecoverError::Inconsistent(format!(
            "{DELETE_PAGE_FILE} says {} schemas, {CATALOG_FILE} has {}",
            delete_page.schemas,
            catalog.schemas.len()
        )));
    }
    let decisions: HashMap<String, &decisions::OpDecision> =
        decisions::OPERATIONS.iter().map(|d| (op_key(d.method, d.path), d)).collect();
    let redoc_ops: HashMap<String, &redoc::RedocOp> =
        redoc.ops.iter().map(|o| (op_key(&o.method, &o.path), o)).collect();
    let delete_ops: HashMap<&str, &delete_page::DeleteOp> =
        delete_page.ops.iter().map(|o| (o.path.as_str(), o)).collect();

    // Every visible operation has a decision, and every decision an operation.
    let mut seen = BTreeMap::new();
    for op in &catalog.ops {
        let key = op_key(&op.method, &op.path);
        if seen.insert(key.clone(), ()).is_some() {
            return Err(RecoverError::Inconsistent(format!("{CATALOG_FILE} shows {key} twice")));
        }
        if !decisions.contains_key(&key) {
            return Err(RecoverError::Inconsistent(format!(
                "{key} is in {CATALOG_FILE} but has no row in recover::decisions::OPERATIONS"
            )));
        }
    }
    for key in decisions.keys().chain(redoc_ops.keys()) {
        if !seen.contains_key(key) {
            return Err(RecoverError::Inconsistent(format!("{key} is not in {CATALOG_FILE}")));
        }
    }
    for path in delete_ops.keys() {
        if !seen.contains_key(&op_key("DELETE", path)) {
            return Err(RecoverError::Inconsistent(format!("DELETE {path} is not in {CATALOG_FILE}")));
        }
    }

    let security_name = redoc
        .ops
        .first()
        .map(|o| o.security.clone())
        .ok_or_else(|| RecoverError::Inconsistent(format!("{REDOC_FILE} shows no operation")))?;
    if let Some(other) = redoc.ops.iter().find(|o| o.security != security_name) {
        return Err(RecoverError::Inconsistent(format!(
            "{REDOC_FILE}: {} {} uses security {} but others use {security_name}",
            other.method, other.path, other.security
        )));
    }

    let mut schemas = catalog.schemas.clone();
    let mut paths = Map::new();
    for op in &catalog.ops {
        let key = op_key(&op.method, &op.path);
        let redoc_op = redoc_ops.get(&key).copied();
        let delete_op = (op.method == "DELETE").then(|| delete_ops.get(op.path.as_str()).copied()).flatten();
        let decision = decisions
            .get(&key)
            .copied()
            .ok_or_else(|| RecoverError::Inconsistent(format!("{key} has no row in recover::decisions::OPERATIONS")))?;
        let value = build_op(op, decision, redoc_op, delete_op, &redoc.ops, &mut schemas, &mut log)?;
        let item = paths.entry(op.path.clone()).or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(item) = item {
            item.insert(op.method.to_ascii_lowercase(), value);
        }
    }

    let spec = json!({
        "openapi": delete_page.openapi,
        "info": { "title": redoc.title, "version": redoc.version },
        "servers": [ { "url": catalog.server } ],
        "security": [ { security_name.clone(): [] } ],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                security_name: { "type": "apiKey", "in": "header", "name": "Authorization" }
            }
        }
    });
    Ok((spec, log))
}

/// The tag of a path: its first segment after `/v1/`, per [`decisions::TAGS`].
fn tag_of(path: &str) -> Result<&'static str, RecoverError> {
    let segment = path.trim_start_matches("/v1/").split('/').next().unwrap_or("");
    decisions::TAGS
        .iter()
        .find(|(s, _)| *s == segment)
        .map(|(_, tag)| *tag)
        .ok_or_else(|| RecoverError::Inconsistent(format!("no tag recorded for path segment {segment:?} ({path})")))
}

/// Builds one operation object.
fn build_op(
    op: &catalog::CatalogOp,
    decision: &decisions::OpDecision,
    redoc_op: Option<&redoc::RedocOp>,
    delete_op: Option<&delete_page::DeleteOp>,
    all_redoc: &[redoc::RedocOp],
    schemas: &mut Map<String, Value>,
    log: &mut Log,
) -> Result<Value, RecoverError> {
    let key = op_key(&op.method, &op.path);
    let tag = tag_of(&op.path)?;
    if !decision.operation_id.starts_with(&format!("{tag}_")) {
        return Err(RecoverError::Inconsistent(format!(
            "{key}: operationId {} does not start with its tag {tag}_",
            decision.operation_id
        )));
    }
    if let Some(d) = delete_op {
        if d.operation_id != decision.operation_id || d.tag != tag {
            return Err(RecoverError::Inconsistent(format!(
                "{key}: {DELETE_PAGE_FILE} shows {} under {}, decisions say {} under {tag}",
                d.operation_id, d.tag, decision.operation_id
            )));
        }
    }
    log.ops.push(OpRow {
        op: key.clone(),
        tag: tag.to_string(),
        operation_id: decision.operation_id.to_string(),
        known: delete_op.is_some(),
    });

    let mut out = Map::new();
    out.insert("tags".into(), json!([tag]));
    if let Some(r) = redoc_op {
        out.insert("summary".into(), json!(r.summary));
        if r.description != op.description {
            return Err(RecoverError::Inconsistent(format!(
                "{key}: Redoc's description {:?} differs from the catalog's {:?}",
                r.description, op.description
            )));
        }
    }
    out.insert("description".into(), json!(op.description));
    out.insert("operationId".into(), json!(decision.operation_id));

    let params = build_params(op, redoc_op, all_redoc, log)?;
    if !params.is_empty() {
        out.insert("parameters".into(), Value::Array(params.clone()));
    }
    if let Some(body) = &op.request_body {
        let body = build_body(&key, body, redoc_op, schemas, log)?;
        out.insert("requestBody".into(), body);
    }
    let responses = build_responses(op, decision, redoc_op, delete_op, &params, log)?;
    out.insert("responses".into(), responses);
    Ok(Value::Object(out))
}

/// Builds the parameter list: catalog rows, names repaired, formats from Redoc.
fn build_params(
    op: &catalog::CatalogOp,
    redoc_op: Option<&redoc::RedocOp>,
    all_redoc: &[redoc::RedocOp],
    log: &mut Log,
) -> Result<Vec<Value>, RecoverError> {
    let key = op_key(&op.method, &op.path);
    let mut out = Vec::new();
    for raw in &op.params {
        let name = match &raw.name {
            Some(name) => name.clone(),
            None => repair_name(&key, op, raw, redoc_op, log)?,
        };
        let mut schema = Map::new();
        schema.insert("type".into(), json!(raw.ty));
        if let Some(r) = redoc_op {
            let shown = r.params.iter().find(|p| p.name == name && p.location == raw.location).ok_or_else(|| {
                RecoverError::Inconsistent(format!("{key}: parameter {name} is not on the Redoc page"))
            })?;
            if shown.ty != raw.ty || shown.required != raw.required || shown.description != raw.description {
                return Err(RecoverError::Inconsistent(format!(
                    "{key}: parameter {name} differs between catalog and Redoc beyond its format"
                )));
            }
            if let Some(format) = &shown.format {
                schema.insert("format".into(), json!(format));
                log.corrections.push((
                    format!("{key} parameter `{name}`"),
                    format!("format `{format}` added"),
                    "Redoc shows it (`<format>` after the type); the catalog's Type column never shows formats".into(),
                ));
            }
        } else if let Some((format, from)) = same_parameter_format(raw, &name, all_redoc) {
            schema.insert("format".into(), json!(format));
            log.corrections.push((
                format!("{key} parameter `{name}`"),
                format!("format `{format}` added (inferred)"),
                format!("the same parameter (name, location, type and description word for word) has format `{format}` on the Redoc page ({from}); the catalog's Type column drops formats"),
            ));
        }
        let mut param = Map::new();
        param.insert("name".into(), json!(name));
        param.insert("in".into(), json!(raw.location));
        if !raw.description.is_empty() {
            param.insert("description".into(), json!(raw.description));
        }
        param.insert("required".into(), json!(raw.required));
        param.insert("schema".into(), Value::Object(schema));
        out.push(Value::Object(param));
    }
    if let Some(r) = redoc_op {
        if r.params.len() != out.len() {
            return Err(RecoverError::Inconsistent(format!(
                "{key}: Redoc shows {} parameters, the catalog {}",
                r.params.len(),
                out.len()
            )));
        }
    }
    Ok(out)
}

/// The format Redoc gives an identical parameter of another operation.
fn same_parameter_format(
    raw: &catalog::RawParam,
    name: &str,
    all_redoc: &[redoc::RedocOp],
) -> Option<(String, String)> {
    all_redoc.iter().find_map(|r| {
        r.params
            .iter()
            .find(|p| {
                p.name == name && p.location == raw.location && p.ty == raw.ty && p.description == raw.description
            })
            .and_then(|p| p.format.clone().map(|f| (f, format!("{} {}", r.method, r.path))))
    })
}

/// Gives a nameless catalog row its name: from the Redoc page when it shows
/// the operation, else from [`decisions::NAMELESS_PARAMS`].
fn repair_name(
    key: &str,
    op: &catalog::CatalogOp,
    raw: &catalog::RawParam,
    redoc_op: Option<&redoc::RedocOp>,
    log: &mut Log,
) -> Result<String, RecoverError> {
    let printed = format!(
        "the catalog row (line {}) lost its name: `| {} | {} | {} | {} | |`",
        raw.line + 1,
        raw.location,
        if raw.required { "required" } else { "optional" },
        raw.ty,
        raw.description
    );
    if let Some(r) = redoc_op {
        let shown =
            r.params.iter().find(|p| p.location == raw.location && p.description == raw.description).ok_or_else(
                || {
                    RecoverError::Inconsistent(format!(
                        "{key}: {printed}, and Redoc shows no parameter with that description"
                    ))
                },
            )?;
        log.corrections.push((
            format!("{key} parameter `{}`", shown.name),
            "name restored".into(),
            format!("{printed}; Redoc lists `{}` ({} query parameter) with the same description", shown.name, shown.ty),
        ));
        return Ok(shown.name.clone());
    }
    let (_, _, _, name, why) = decisions::NAMELESS_PARAMS
        .iter()
        .find(|(m, p, d, _, _)| *m == op.method && *p == op.path && *d == raw.description)
        .ok_or_else(|| {
            RecoverError::Inconsistent(format!("{key}: {printed}, and no rendering or recorded decision names it"))
        })?;
    log.corrections.push((
        format!("{key} parameter `{name}`"),
        "name restored (inferred)".into(),
        format!("{printed}; {why}"),
    ));
    Ok((*name).to_string())
}

/// The request body: the catalog's verbatim, with Redoc's sample where the
/// two disagree, and `uniqueItems` added to the schemas Redoc marks unique.
fn build_body(
    key: &str,
    body: &Value,
    redoc_op: Option<&redoc::RedocOp>,
    schemas: &mut Map<String, Value>,
    log: &mut Log,
) -> Result<Value, RecoverError> {
    let catalog_required = body.get("required").and_then(Value::as_bool).unwrap_or(false);
    let mut body = body.clone();
    let media = body
        .pointer_mut("/content/application~1json")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| RecoverError::Inconsistent(format!("{key}: requestBody has no application/json content")))?;
    if let Some(Value::Object(examples)) = media.get("examples") {
        log.request_examples += examples.len();
    } else if media.contains_key("example") {
        log.request_examples += 1;
    }
    let schema_name = media
        .get("schema")
        .and_then(|s| s.get("$ref"))
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
        .map(str::to_string);
    let Some(r) = redoc_op else { return Ok(body) };
    if r.body_required != Some(catalog_required) {
        return Err(RecoverError::Inconsistent(format!(
            "{key}: the catalog's requestBody has required={catalog_required}, Redoc shows {:?}",
            r.body_required
        )));
    }

    if let Some(sample) = &r.request_sample {
        match media.get("example") {
            Some(example) if example == sample => {}
            Some(_) => {
                media.insert("example".into(), sample.clone());
                log.corrections.push((
                    format!("{key} request example"),
                    "replaced by the Redoc request sample".into(),
                    "the two renderings of the same example disagree in a value (the catalog's shows an `X` appended to an id); Redoc is Dixa's own rendering".into(),
                ));
            }
            None => {
                return Err(RecoverError::Inconsistent(format!(
                    "{key}: Redoc has a request sample, the catalog no example"
                )));
            }
        }
    }

    if r.body_props.is_empty() {
        return Ok(body);
    }
    // The properties Redoc lists are those of the body schema, or of its
    // items when the body is an array.
    let mut target =
        schema_name.ok_or_else(|| RecoverError::Inconsistent(format!("{key}: requestBody schema is not a $ref")))?;
    if let Some(item) = schemas
        .get(&target)
        .filter(|s| s.get("type").and_then(Value::as_str) == Some("array"))
        .and_then(|s| s.pointer("/items/$ref"))
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
    {
        target = item.to_string();
    }
    let schema = schemas
        .get_mut(&target)
        .and_then(Value::as_object_mut)
        .ok_or_else(|| RecoverError::Inconsistent(format!("{key}: schema {target} is missing")))?;
    let required: Vec<String> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default();
    for prop in &r.body_props {
        if required.contains(&prop.name) != prop.required {
            return Err(RecoverError::Inconsistent(format!(
                "{key}: {REDOC_FILE}:{} marks {}.{} {}required, the catalog schema does not agree",
                prop.line + 1,
                target,
                prop.name,
                if prop.required { "" } else { "not " }
            )));
        }
        let Some(property) =
            schema.get_mut("properties").and_then(|p| p.get_mut(&prop.name)).and_then(Value::as_object_mut)
        else {
            return Err(RecoverError::Inconsistent(format!(
                "{key}: {REDOC_FILE}:{} shows {}.{} which the catalog schema lacks",
                prop.line + 1,
                target,
                prop.name
            )));
        };
        if prop.ty.ends_with(" unique") && !property.contains_key("uniqueItems") {
            if property.get("type").and_then(Value::as_str) != Some("array") {
                return Err(RecoverError::Inconsistent(format!(
                    "{key}: Redoc marks {target}.{} unique but it is not an array",
                    prop.name
                )));
            }
            property.insert("uniqueItems".into(), json!(true));
            log.corrections.push((
                format!("schema `{target}` property `{}`", prop.name),
                "`uniqueItems: true` added".into(),
                format!(
                    "Redoc shows it as `{}` (request body of {key}); the catalog's schema JSON drops `uniqueItems`",
                    prop.ty
                ),
            ));
        }
    }
    Ok(body)
}

/// The synthesized 400 description for operations no rendering shows.
fn bad_request_text(params: &[Value], has_body: bool) -> String {
    let names = |loc: &str| -> Vec<String> {
        params
            .iter()
            .filter(|p| p.get("in").and_then(Value::as_str) == Some(loc))
            .filter_map(|p| p.get("name").and_then(Value::as_str))
            .map(str::to_string)
            .collect()
    };
    let mut parts: Vec<String> =
        names("path").iter().map(|n| format!("Invalid value for: path parameter {n}")).collect();
    parts.push("Invalid value extracted from request context".into());
    parts.extend(names("query").iter().map(|n| format!("Invalid value for: query parameter {n}")));
    if has_body {
        parts.push("Invalid value for: body".into());
    }
    parts.join(", ")
}

/// The response object for one status.
fn response_value(description: &str, schema: Option<&str>, example: Option<&Value>) -> Value {
    let mut response = Map::new();
    response.insert("description".into(), json!(description));
    if let Some(schema) = schema {
        let mut media = Map::new();
        media.insert("schema".into(), json!({ "$ref": format!("#/components/schemas/{schema}") }));
        if let Some(example) = example {
            media.insert("example".into(), example.clone());
        }
        response.insert("content".into(), json!({ "application/json": media }));
    }
    Value::Object(response)
}

/// Reason phrases used as descriptions of inferred success responses: no
/// rendering gives Dixa's wording for them, and inventing prose would look
/// like Dixa's.
fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        _ => "No Content",
    }
}

/// Builds the responses: shown ones from Redoc / the DELETE page, the rest
/// by the rules in [`decisions`].
fn build_responses(
    op: &catalog::CatalogOp,
    decision: &decisions::OpDecision,
    redoc_op: Option<&redoc::RedocOp>,
    delete_op: Option<&delete_page::DeleteOp>,
    params: &[Value],
    log: &mut Log,
) -> Result<Value, RecoverError> {
    let key = op_key(&op.method, &op.path);
    let shown: Option<(&[redoc::Response], &'static str)> = match (redoc_op, delete_op) {
        (Some(r), Some(d)) => {
            if r.responses != d.responses {
                return Err(RecoverError::Inconsistent(format!(
                    "{key}: Redoc and the DELETE page show different responses"
                )));
            }
            Some((&r.responses, "Redoc + DELETE page"))
        }
        (Some(r), None) => Some((&r.responses, "Redoc")),
        (None, Some(d)) => Some((&d.responses, "DELETE page")),
        (None, None) => None,
    };
    let sample = redoc_op.and_then(|r| r.response_sample.as_ref());
    let mut out = Map::new();
    let success_schema = decision.schema;
    let has_path_param = params.iter().any(|p| p.get("in").and_then(Value::as_str) == Some("path"));
    if let Some((responses, by)) = shown {
        log.shown.push((has_path_param, responses.iter().map(|r| r.status.clone()).collect()));
        let success = responses
            .iter()
            .find(|r| r.status.starts_with('2'))
            .ok_or_else(|| RecoverError::Inconsistent(format!("{key}: {by} shows no success response")))?;
        if success.status != decision.status.to_string() {
            return Err(RecoverError::Inconsistent(format!(
                "{key}: {by} shows {}, decisions say {}",
                success.status, decision.status
            )));
        }
        // Redoc draws the sample of the first response that has a body.
        let sample_status = responses.iter().find(|r| r.status != "204").map(|r| r.status.clone());
        for response in responses {
            let (schema, why) = if response.status.starts_with('2') {
                (success_schema, format!("schema inferred: {}", decision.why.text()))
            } else {
                let schema = decisions::error_schema(&response.status).ok_or_else(|| {
                    RecoverError::Inconsistent(format!("{key}: no error schema for status {}", response.status))
                })?;
                (Some(schema), "schema inferred: error schemas follow the status by name".to_string())
            };
            let example = (sample_status.as_deref() == Some(response.status.as_str())).then_some(sample).flatten();
            if example.is_some() {
                log.response_samples += 1;
            }
            out.insert(response.status.clone(), response_value(&response.description, schema, example));
            log.responses.push(ResponseRow {
                op: key.clone(),
                status: response.status.clone(),
                schema: schema.map(str::to_string),
                shown_by: Some(by),
                why,
            });
        }
        return Ok(Value::Object(out));
    }
    if sample.is_some() {
        return Err(RecoverError::Inconsistent(format!("{key}: a sample without responses")));
    }
    let status = decision.status.to_string();
    out.insert(status.clone(), response_value(reason_phrase(decision.status), success_schema, None));
    log.responses.push(ResponseRow {
        op: key.clone(),
        status,
        schema: success_schema.map(str::to_string),
        shown_by: None,
        why: format!("{} Status {}: by the status rule.", decision.why.text(), decision.status),
    });
    let errors = [
        ("400", Some(bad_request_text(params, op.request_body.is_some())), "400 always"),
        ("404", has_path_param.then(|| decisions::NOT_FOUND_TEXT.to_string()), "404 when the path has a parameter"),
        ("500", Some(decisions::SERVER_ERROR_TEXT.to_string()), "500 always"),
    ];
    for (status, description, why) in errors {
        let Some(description) = description else {
            continue;
        };
        let schema = decisions::error_schema(status);
        out.insert(status.to_string(), response_value(&description, schema, None));
        log.responses.push(ResponseRow {
            op: key.clone(),
            status: status.to_string(),
            schema: schema.map(str::to_string),
            shown_by: None,
            why: format!("error rule: {why}"),
        });
    }
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn real(name: &str) -> String {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/sources").join(name);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// Damaged renderings (a line dropped, a line garbled, the file cut
    /// short) must give an error or a spec, never a panic.
    #[test]
    fn damaged_renderings_never_panic() {
        let files = [real(CATALOG_FILE), real(DELETE_PAGE_FILE), real(REDOC_FILE)];
        let mut errors = 0;
        let mut total = 0;
        for which in 0..files.len() {
            let lines: Vec<&str> = files[which].lines().collect();
            // Prime steps visit every kind of line while keeping the test
            // to a couple of seconds in debug builds.
            for at in (0..lines.len()).step_by([499, 67, 37][which]) {
                let damaged = [
                    lines.iter().enumerate().filter(|(i, _)| *i != at).map(|(_, l)| *l).collect::<Vec<_>>().join("\n"),
                    lines
                        .iter()
                        .enumerate()
                        .map(|(i, l)| if i == at { "| ? |" } else { l })
                        .collect::<Vec<_>>()
                        .join("\n"),
                    lines[..at].join("\n"),
                ];
                for text in damaged {
                    let mut sources: Vec<Source> = [CATALOG_FILE, DELETE_PAGE_FILE, REDOC_FILE]
                        .iter()
                        .zip(&files)
                        .map(|(name, text)| Source::from_text(name, text))
                        .collect();
                    sources[which] = Source::from_text("damaged", &text);
                    total += 1;
                    if recover_from(&sources[0], &sources[1], &sources[2]).is_err() {
                        errors += 1;
                    }
                }
            }
        }
        // Structural damage must be detected; damage that leaves valid
        // content (a dropped blank line or JSON member) may pass, and the
        // committed-file check then catches the change.
        assert!(errors * 2 > total, "only {errors} of {total} damaged inputs were rejected");
    }

    #[test]
    fn error_messages_name_file_and_line() {
        let catalog = real(CATALOG_FILE).replacen("GET /v1/agents/presence", "GET /v1/agents/presencе", 1);
        let err = recover_from(
            &Source::from_text(CATALOG_FILE, &catalog),
            &Source::from_text(DELETE_PAGE_FILE, &real(DELETE_PAGE_FILE)),
            &Source::from_text(REDOC_FILE, &real(REDOC_FILE)),
        )
        .expect_err("mismatched closing line");
        let text = err.to_string();
        assert!(text.starts_with("catalog-full-spec.txt:") && text.contains("/v1/agents/presence"), "{text}");
    }

    #[test]
    fn a_contradiction_between_renderings_is_an_error() {
        // Redoc and the catalog must agree on descriptions.
        let redoc = real(REDOC_FILE).replacen("Get an agent/admin by id.", "Fetch an agent.", 1);
        let err = recover_from(
            &Source::from_text(CATALOG_FILE, &real(CATALOG_FILE)),
            &Source::from_text(DELETE_PAGE_FILE, &real(DELETE_PAGE_FILE)),
            &Source::from_text(REDOC_FILE, &redoc),
        )
        .expect_err("contradiction");
        assert!(matches!(err, RecoverError::Inconsistent(_)), "{err}");
        // The DELETE page's operationIds must match the recorded ones.
        let page = real(DELETE_PAGE_FILE).replacen("Teams_removeTeam", "Teams_deleteTeam", 1);
        let err = recover_from(
            &Source::from_text(CATALOG_FILE, &real(CATALOG_FILE)),
            &Source::from_text(DELETE_PAGE_FILE, &page),
            &Source::from_text(REDOC_FILE, &real(REDOC_FILE)),
        )
        .expect_err("operationId contradiction");
        assert!(err.to_string().contains("Teams_deleteTeam"), "{err}");
    }
}
