//! Parser for `catalog-full-spec.txt`: the API catalog's text rendering.
//!
//! Layout (one block per operation, then the schemas):
//! ```text
//! https://dev.dixa.io
//! /v1/agents/{agentId}            <- path
//! Get an agent/admin by id.       <- description
//! | Name | In | Required | Type | Description |   <- optional table
//! |---|---|---|---|---|
//! | agentId | path | required | string | The agent/admin id |
//! { "content": ... }              <- optional requestBody JSON
//! GET /v1/agents/{agentId}        <- method and path
//! ...
//! ActivityLogAttribute            <- first schema name
//! { ... }                         <- its JSON
//! ```

use serde_json::{Map, Value};

use super::error::{RecoverError, Source};

/// The line that opens the schema part of the rendering.
const FIRST_SCHEMA: &str = "ActivityLogAttribute";

/// One row of a catalog parameter table, as printed.
#[derive(Debug, Clone)]
pub(crate) struct RawParam {
    /// The name; `None` when the row lost it (the row then starts with the
    /// location: `| query | optional | string | ... | |`).
    pub(crate) name: Option<String>,
    /// `path` or `query`.
    pub(crate) location: String,
    /// `required` column.
    pub(crate) required: bool,
    /// `Type` column (`string`, `integer`, `boolean`).
    pub(crate) ty: String,
    /// Description column; empty when the catalog shows none.
    pub(crate) description: String,
    /// 0-based line of the row, for errors and the report.
    pub(crate) line: usize,
}

/// One operation block of the catalog.
#[derive(Debug, Clone)]
pub(crate) struct CatalogOp {
    /// Upper-case HTTP method.
    pub(crate) method: String,
    /// Path template.
    pub(crate) path: String,
    /// The single description line.
    pub(crate) description: String,
    /// Parameter rows in table order.
    pub(crate) params: Vec<RawParam>,
    /// The requestBody object, verbatim.
    pub(crate) request_body: Option<Value>,
}

/// Everything the catalog rendering yields.
pub(crate) struct Catalog {
    /// The server URL printed above the first operation.
    pub(crate) server: String,
    /// Operations in rendering order.
    pub(crate) ops: Vec<CatalogOp>,
    /// `components.schemas`, in rendering order.
    pub(crate) schemas: Map<String, Value>,
}

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// Splits `GET /v1/x` into method and path, if the line has that shape.
fn method_line(line: &str) -> Option<(&str, &str)> {
    let (method, path) = line.split_once(' ')?;
    (METHODS.contains(&method) && path.starts_with('/') && !path.contains(' ')).then_some((method, path))
}

/// Parses the whole catalog rendering.
pub(crate) fn parse(src: &Source) -> Result<Catalog, RecoverError> {
    let first_op = src
        .lines
        .iter()
        .position(|l| l.starts_with("/v1/"))
        .ok_or_else(|| src.missing("an operation block (a line starting with /v1/)"))?;
    let server = (0..first_op)
        .rev()
        .map(|i| src.line(i).trim())
        .find(|l| l.starts_with("https://"))
        .ok_or_else(|| src.missing("the server URL above the first operation"))?
        .to_string();
    let schemas_at = src
        .lines
        .iter()
        .position(|l| l == FIRST_SCHEMA)
        .ok_or_else(|| src.missing(format!("the schema part (line `{FIRST_SCHEMA}`)")))?;

    let mut ops = Vec::new();
    let mut idx = first_op;
    while idx < schemas_at {
        if src.line(idx).trim().is_empty() {
            idx += 1;
            continue;
        }
        let (op, next) = parse_op(src, idx, schemas_at)?;
        ops.push(op);
        idx = next;
    }
    let schemas = parse_schemas(src, schemas_at)?;
    Ok(Catalog { server, ops, schemas })
}

/// Parses one operation block starting at its path line.
fn parse_op(src: &Source, start: usize, end: usize) -> Result<(CatalogOp, usize), RecoverError> {
    let path = src.line(start);
    if !path.starts_with('/') {
        return Err(src.err(start, format!("expected a path line, found {path:?}")));
    }
    let description = src.line(start + 1);
    if description.is_empty()
        || description.starts_with('|')
        || description == "{"
        || method_line(description).is_some()
    {
        return Err(src.err(start + 1, format!("expected the description of {path}")));
    }
    let mut idx = start + 2;
    let mut params = Vec::new();
    if src.line(idx).starts_with("| Name |") {
        idx += 1;
        if !src.line(idx).starts_with("|---") {
            return Err(src.err(idx, "expected the table separator row `|---|`"));
        }
        idx += 1;
        while src.line(idx).starts_with('|') {
            params.push(parse_row(src, idx)?);
            idx += 1;
        }
    }
    let mut request_body = None;
    if src.line(idx) == "{" {
        let (value, next) = src.json_block(idx, false)?;
        request_body = Some(value);
        idx = next;
    }
    let Some((method, method_path)) = method_line(src.line(idx)) else {
        return Err(src.err(idx, format!("expected `METHOD {path}` closing the block, found {:?}", src.line(idx))));
    };
    if idx >= end {
        return Err(src.err(idx, "operation block runs into the schema part"));
    }
    if method_path != path {
        return Err(src.err(idx, format!("block opened with {path} but closes with {method_path}")));
    }
    Ok((
        CatalogOp {
            method: method.to_string(),
            path: path.to_string(),
            description: description.to_string(),
            params,
            request_body,
        },
        idx + 1,
    ))
}

/// Parses one parameter row. Well-formed rows have five cells (the last may
/// be missing when there is no description); a row whose first cell is a
/// location lost its name.
fn parse_row(src: &Source, idx: usize) -> Result<RawParam, RecoverError> {
    let line = src.line(idx).trim();
    let inner = line.trim_start_matches('|').trim_end_matches('|');
    let cells: Vec<&str> = inner.split('|').map(str::trim).collect();
    let is_location = |c: &str| c == "path" || c == "query";
    let is_required = |c: &str| c == "required" || c == "optional";
    let get = |i: usize| cells.get(i).copied().unwrap_or("");
    let (name, rest) = if is_location(get(1)) && is_required(get(2)) {
        (Some(get(0).to_string()), 1)
    } else if is_location(get(0)) && is_required(get(1)) {
        (None, 0)
    } else {
        return Err(src.err(idx, format!("parameter row has an unknown shape: {line}")));
    };
    let ty = get(rest + 2);
    if ty.is_empty() {
        return Err(src.err(idx, "parameter row has no type"));
    }
    Ok(RawParam {
        name,
        location: get(rest).to_string(),
        required: get(rest + 1) == "required",
        ty: ty.to_string(),
        description: get(rest + 3).to_string(),
        line: idx,
    })
}

/// Parses `name` line + JSON pairs until the end of the file.
fn parse_schemas(src: &Source, start: usize) -> Result<Map<String, Value>, RecoverError> {
    let mut schemas = Map::new();
    let mut idx = start;
    while idx < src.lines.len() {
        let name = src.line(idx).trim();
        if name.is_empty() {
            idx += 1;
            continue;
        }
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(src.err(idx, format!("expected a schema name, found {name:?}")));
        }
        let (value, next) = src.json_block(idx + 1, false)?;
        if schemas.insert(name.to_string(), value).is_some() {
            return Err(src.err(idx, format!("schema {name} appears twice")));
        }
        idx = next;
    }
    Ok(schemas)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINI: &str = "header\nhttps://dev.example\n/v1/x/{id}\nGet x.\n| Name | In | Required | Type | Description |\n|---|---|---|---|---|\n| id | path | required | string |\n| query | optional | string | lost name | |\nGET /v1/x/{id}\nActivityLogAttribute\n{\n\"type\": \"object\"\n}\n";

    #[test]
    fn parses_a_block_with_a_nameless_row() {
        let cat = parse(&Source::from_text("c", MINI)).expect("parses");
        assert_eq!(cat.server, "https://dev.example");
        assert_eq!(cat.ops.len(), 1);
        let op = &cat.ops[0];
        assert_eq!((op.method.as_str(), op.path.as_str()), ("GET", "/v1/x/{id}"));
        assert_eq!(op.params[0].name.as_deref(), Some("id"));
        assert_eq!(op.params[0].description, "");
        assert_eq!(op.params[1].name, None);
        assert_eq!(op.params[1].description, "lost name");
        assert_eq!(cat.schemas.len(), 1);
    }

    #[test]
    fn mismatched_closing_line_is_reported_with_its_line() {
        let text = MINI.replace("GET /v1/x/{id}", "GET /v1/y");
        let err = parse(&Source::from_text("c", &text)).err().expect("fails").to_string();
        assert!(err.starts_with("c:9:"), "{err}");
    }

    #[test]
    fn odd_rows_and_missing_parts_are_errors_not_panics() {
        let text = MINI.replace("| id | path | required | string |", "| id | cookie | x |");
        assert!(parse(&Source::from_text("c", &text)).is_err());
        assert!(parse(&Source::from_text("c", "nothing here")).is_err());
        let text = MINI.replace("ActivityLogAttribute", "Not a name!");
        assert!(parse(&Source::from_text("c", &text)).is_err());
    }
}
