//! Parser for `redoc-agents.txt`: Dixa's own Redoc page for the Agents tag.
//!
//! Each operation is drawn as:
//! ```text
//! Get agent                       <- summary
//!
//! Get an agent/admin by id.       <- description
//!
//! SecurityApiKeyAuth              <- security scheme name after "Security"
//! Request
//! path Parameters
//! agentId
//! required
//! string <uuid>                   <- type <format>
//!
//! The agent/admin id
//!
//! Request Body schema: application/json   (optional section)
//! ...
//! Responses
//! 200
//!
//! The agent/admin
//! ...
//! get/v1/agents/{agentId}
//! Request samples
//! application/json                (only when there is a body)
//! { • "a": ... }
//! Response samples
//! application/json
//! { • "data": ... }
//! ```

use serde_json::Value;

use super::error::{RecoverError, Source};

/// The marker line that every operation carries.
const SECURITY_PREFIX: &str = "Security";

/// A parameter as Redoc lists it.
#[derive(Debug, Clone)]
pub(crate) struct RedocParam {
    /// Parameter name.
    pub(crate) name: String,
    /// `path` or `query`.
    pub(crate) location: String,
    /// Whether Redoc marks it required.
    pub(crate) required: bool,
    /// Base type (`string`, `integer`).
    pub(crate) ty: String,
    /// Format in angle brackets (`uuid`, `int32`), if shown.
    pub(crate) format: Option<String>,
    /// Description line.
    pub(crate) description: String,
}

/// A request body property as Redoc lists it.
#[derive(Debug, Clone)]
pub(crate) struct RedocProp {
    /// Property name.
    pub(crate) name: String,
    /// Whether Redoc marks it required.
    pub(crate) required: bool,
    /// The type line, e.g. `Array of strings unique`.
    pub(crate) ty: String,
    /// 0-based line of the name, for errors.
    pub(crate) line: usize,
}

/// A response code with its description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Response {
    /// Status code as printed (`200`).
    pub(crate) status: String,
    /// Description as printed.
    pub(crate) description: String,
}

/// One operation of the Redoc page.
#[derive(Debug, Clone)]
pub(crate) struct RedocOp {
    /// Upper-case HTTP method.
    pub(crate) method: String,
    /// Path template.
    pub(crate) path: String,
    /// The operation's summary (its heading).
    pub(crate) summary: String,
    /// The description under the heading.
    pub(crate) description: String,
    /// The security scheme name (`ApiKeyAuth`).
    pub(crate) security: String,
    /// Parameters in Redoc's (alphabetical) order.
    pub(crate) params: Vec<RedocParam>,
    /// Whether Redoc marks the request body required (`None`: no body).
    pub(crate) body_required: Option<bool>,
    /// Request body properties, if Redoc expands them.
    pub(crate) body_props: Vec<RedocProp>,
    /// Responses in order.
    pub(crate) responses: Vec<Response>,
    /// The request sample, if drawn.
    pub(crate) request_sample: Option<Value>,
    /// The response sample drawn (Redoc shows the first response that has a
    /// body), if any.
    pub(crate) response_sample: Option<Value>,
}

/// Everything the Redoc page yields.
pub(crate) struct Redoc {
    /// API title from the page heading (`Dixa API (v1)`).
    pub(crate) title: String,
    /// API version from the page heading.
    pub(crate) version: String,
    /// Operations in page order.
    pub(crate) ops: Vec<RedocOp>,
}

/// `get/v1/agents` -> (`GET`, `/v1/agents`).
fn method_path(line: &str) -> Option<(String, String)> {
    let at = line.find('/')?;
    let (method, path) = line.split_at(at);
    let upper = method.to_ascii_uppercase();
    (["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&upper.as_str())
        && method.chars().all(|c| c.is_ascii_lowercase())
        && !path.contains(' '))
    .then(|| (upper, path.to_string()))
}

fn is_status(line: &str) -> bool {
    line.len() == 3 && line.chars().all(|c| c.is_ascii_digit())
}

/// Parses the Redoc page.
pub(crate) fn parse(src: &Source) -> Result<Redoc, RecoverError> {
    let heading =
        src.lines.iter().map(|l| l.trim()).find(|l| !l.is_empty()).ok_or_else(|| src.missing("the page heading"))?;
    let (title, version) = heading
        .strip_suffix(')')
        .and_then(|h| h.rsplit_once(" ("))
        .ok_or_else(|| src.err(0, format!("expected `Title (version)`, found {heading:?}")))?;

    let markers: Vec<usize> = (0..src.lines.len())
        .filter(|&i| {
            let l = src.line(i);
            l.starts_with(SECURITY_PREFIX) && l.len() > SECURITY_PREFIX.len() && !l.contains(' ')
        })
        .collect();
    if markers.is_empty() {
        return Err(src.missing("any operation (a `Security...` line)"));
    }
    let mut ops = Vec::new();
    for (k, &marker) in markers.iter().enumerate() {
        // The summary sits 4 lines above the marker: summary, blank,
        // description, blank, Security....
        let Some(start) = marker.checked_sub(4) else {
            return Err(src.err(marker, "operation heading missing above the security line"));
        };
        let end = markers.get(k + 1).map_or(src.lines.len(), |&m| m.saturating_sub(4));
        ops.push(parse_op(src, start, marker, end)?);
    }
    Ok(Redoc { title: title.to_string(), version: version.to_string(), ops })
}

/// Parses one operation between `start` (summary) and `end` (exclusive).
fn parse_op(src: &Source, start: usize, marker: usize, end: usize) -> Result<RedocOp, RecoverError> {
    let summary = src.line(start).trim();
    let description = src.line(start + 2).trim();
    if summary.is_empty()
        || description.is_empty()
        || !src.line(start + 1).trim().is_empty()
        || !src.line(start + 3).trim().is_empty()
    {
        return Err(src.err(start, "expected `summary`, blank, `description`, blank above the security line"));
    }
    let security = src.line(marker)[SECURITY_PREFIX.len()..].to_string();
    let responses_at = (marker..end)
        .find(|&i| src.line(i) == "Responses")
        .ok_or_else(|| src.err(marker, format!("operation {summary:?} has no `Responses` section")))?;
    let mp_at = (responses_at..end)
        .find(|&i| method_path(src.line(i)).is_some())
        .ok_or_else(|| src.err(responses_at, format!("operation {summary:?} has no `method/path` line")))?;
    let (method, path) = method_path(src.line(mp_at)).ok_or_else(|| src.err(mp_at, "expected a method/path line"))?;

    let mut params = Vec::new();
    let mut body_props = Vec::new();
    let mut body_required = None;
    let mut idx = marker + 1;
    while idx < responses_at {
        let line = src.line(idx).trim();
        if let Some(location) = line.strip_suffix(" Parameters") {
            idx = parse_params(src, idx + 1, responses_at, location, &mut params)?;
        } else if line.starts_with("Request Body schema:") {
            body_required = Some(src.line(idx + 1).trim() == "required");
            idx = parse_body(src, idx + 1, responses_at, &mut body_props)?;
        } else {
            idx += 1;
        }
    }
    let responses = parse_responses(src, responses_at + 1, mp_at)?;

    let mut idx = mp_at + 1;
    let mut request_sample = None;
    let mut response_sample = None;
    for (heading, slot) in [("Request samples", &mut request_sample), ("Response samples", &mut response_sample)] {
        if src.line(idx).trim() != heading {
            return Err(src.err(idx, format!("expected `{heading}` for {method} {path}")));
        }
        idx += 1;
        if src.line(idx).trim() == "application/json" {
            let (value, next) = src.json_block(idx + 1, true)?;
            *slot = Some(value);
            idx = next;
        }
    }
    Ok(RedocOp {
        method,
        path,
        summary: summary.to_string(),
        description: description.to_string(),
        security,
        params,
        body_required,
        body_props,
        responses,
        request_sample,
        response_sample,
    })
}

/// True for lines that open another part of the Request section.
fn is_section(line: &str) -> bool {
    line.ends_with(" Parameters") || line.starts_with("Request Body schema:") || line == "Responses"
}

/// Parses `name`, `[required]`, `type [<format>]`, blank, `description` groups.
fn parse_params(
    src: &Source,
    mut idx: usize,
    end: usize,
    location: &str,
    out: &mut Vec<RedocParam>,
) -> Result<usize, RecoverError> {
    while idx < end {
        let name = src.line(idx).trim();
        if name.is_empty() {
            idx += 1;
            continue;
        }
        if is_section(name) {
            break;
        }
        idx += 1;
        let required = src.line(idx).trim() == "required";
        if required {
            idx += 1;
        }
        let ty_line = src.line(idx).trim();
        if ty_line.is_empty() || idx >= end {
            return Err(src.err(idx, format!("parameter {name} has no type line")));
        }
        let (ty, format) = match ty_line.split_once(" <") {
            Some((ty, rest)) => {
                let format =
                    rest.strip_suffix('>').ok_or_else(|| src.err(idx, format!("unclosed format in {ty_line:?}")))?;
                (ty.to_string(), Some(format.to_string()))
            }
            None => (ty_line.to_string(), None),
        };
        idx += 1;
        while idx < end && src.line(idx).trim().is_empty() {
            idx += 1;
        }
        let description = src.line(idx).trim();
        if idx >= end || is_section(description) {
            return Err(src.err(idx, format!("parameter {name} has no description")));
        }
        idx += 1;
        out.push(RedocParam {
            name: name.to_string(),
            location: location.to_string(),
            required,
            ty,
            format,
            description: description.to_string(),
        });
    }
    Ok(idx)
}

/// Parses the body: `required|optional`, blank, description, then either
/// `Array of objects (X)` or property groups like parameters.
fn parse_body(src: &Source, mut idx: usize, end: usize, out: &mut Vec<RedocProp>) -> Result<usize, RecoverError> {
    let flag = src.line(idx).trim();
    if flag != "required" && flag != "optional" {
        return Err(src.err(idx, format!("expected `required` or `optional`, found {flag:?}")));
    }
    idx += 1;
    while idx < end && src.line(idx).trim().is_empty() {
        idx += 1;
    }
    // The body's description.
    idx += 1;
    while idx < end {
        let name = src.line(idx).trim();
        if name.is_empty() || name == "Array" || name.starts_with("Array of objects (") {
            idx += 1;
            continue;
        }
        if is_section(name) {
            break;
        }
        let name_at = idx;
        idx += 1;
        let required = src.line(idx).trim() == "required";
        if required {
            idx += 1;
        }
        let ty = src.line(idx).trim();
        if ty.is_empty() || idx >= end {
            return Err(src.err(idx, format!("body property {name} has no type line")));
        }
        idx += 1;
        while idx < end && src.line(idx).trim().is_empty() {
            idx += 1;
        }
        // The property's description.
        idx += 1;
        out.push(RedocProp { name: name.to_string(), required, ty: ty.to_string(), line: name_at });
    }
    Ok(idx)
}

/// Parses `code`, blank, `description` groups up to `end`.
pub(crate) fn parse_responses(src: &Source, mut idx: usize, end: usize) -> Result<Vec<Response>, RecoverError> {
    let mut out = Vec::new();
    while idx < end {
        let line = src.line(idx).trim();
        if line.is_empty() {
            idx += 1;
            continue;
        }
        if !is_status(line) {
            return Err(src.err(idx, format!("expected a status code, found {line:?}")));
        }
        idx += 1;
        while idx < end && src.line(idx).trim().is_empty() {
            idx += 1;
        }
        let description = src.line(idx).trim();
        if idx >= end || description.is_empty() || is_status(description) {
            return Err(src.err(idx, format!("response {line} has no description")));
        }
        out.push(Response { status: line.to_string(), description: description.to_string() });
        idx += 1;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINI: &str = "Dixa API (v1)\n\nAgents\n\nGet agent\n\nGet an agent.\n\nSecurityApiKeyAuth\nRequest\npath Parameters\nagentId\nrequired\nstring <uuid>\n\nThe id\n\nResponses\n200\n\nThe agent\n\n404\n\nNot found\n\nget/v1/agents/{agentId}\nRequest samples\nResponse samples\napplication/json\n{\n  • \"data\": [ ]\n}\n";

    #[test]
    fn parses_one_operation() {
        let redoc = parse(&Source::from_text("r", MINI)).expect("parses");
        assert_eq!((redoc.title.as_str(), redoc.version.as_str()), ("Dixa API", "v1"));
        let op = &redoc.ops[0];
        assert_eq!((op.method.as_str(), op.path.as_str()), ("GET", "/v1/agents/{agentId}"));
        assert_eq!(op.summary, "Get agent");
        assert_eq!(op.security, "ApiKeyAuth");
        assert_eq!(op.params[0].format.as_deref(), Some("uuid"));
        assert!(op.params[0].required);
        assert_eq!(op.responses.len(), 2);
        assert_eq!(op.request_sample, None);
        assert_eq!(op.response_sample, Some(serde_json::json!({"data": []})));
    }

    #[test]
    fn broken_pages_are_errors_not_panics() {
        for broken in [
            MINI.replace("Responses\n", ""),
            MINI.replace("get/v1", "fetch/v1"),
            MINI.replace("200\n", "2xx\n"),
            MINI.replace("Dixa API (v1)", "Dixa API"),
            "SecurityX\n".to_string(),
            String::new(),
        ] {
            assert!(parse(&Source::from_text("r", &broken)).is_err(), "{broken:?}");
        }
    }
}
