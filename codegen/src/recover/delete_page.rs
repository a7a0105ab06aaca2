//! Parser for `catalog-delete-endpoints.txt`: the catalog's page for the
//! DELETE endpoints, the only rendering that shows operationIds.
//!
//! ```text
//! DELETE /v1/agents/{agentId}
//!
//! Downgrade an agent/admin to become an end user.
//!
//! operationId: Agents_downgradeAgent
//! ...
//! Responses
//!
//! 204
//!
//! The agent/admin was successfully downgraded to end user
//! ...
//! DELETE /v1/agents/{agentId}      <- closes the card
//! ```

use super::error::{RecoverError, Source};
use super::redoc::{parse_responses, Response};

/// One DELETE operation card.
#[derive(Debug, Clone)]
pub(crate) struct DeleteOp {
    /// Path template.
    pub(crate) path: String,
    /// The tag the page groups the card under (`Agents 1 endpoints`).
    pub(crate) tag: String,
    /// The operationId as printed.
    pub(crate) operation_id: String,
    /// Responses in order.
    pub(crate) responses: Vec<Response>,
}

/// What the DELETE page yields.
pub(crate) struct DeletePage {
    /// `OpenAPI` version shown in the page header.
    pub(crate) openapi: String,
    /// The endpoint count the page header claims.
    pub(crate) endpoints: usize,
    /// The schema count the page header claims.
    pub(crate) schemas: usize,
    /// The DELETE operations.
    pub(crate) ops: Vec<DeleteOp>,
}

const OPERATION_ID: &str = "operationId: ";

/// The value on the line after a header label (`Endpoints` then `84`).
fn header_value<'a>(src: &'a Source, label: &str) -> Result<&'a str, RecoverError> {
    let at = src
        .lines
        .iter()
        .position(|l| l.trim() == label)
        .ok_or_else(|| src.missing(format!("header field `{label}`")))?;
    Ok(src.line(at + 1).trim())
}

fn header_count(src: &Source, label: &str) -> Result<usize, RecoverError> {
    let value = header_value(src, label)?;
    value.parse().map_err(|_| src.missing(format!("a number after `{label}` (found {value:?})")))
}

/// Parses the DELETE page.
pub(crate) fn parse(src: &Source) -> Result<DeletePage, RecoverError> {
    let openapi = header_value(src, "OpenAPI")?.to_string();
    let endpoints = header_count(src, "Endpoints")?;
    let schemas = header_count(src, "Schemas")?;
    let schemas_at =
        src.lines.iter().rposition(|l| l.trim() == "Schemas").ok_or_else(|| src.missing("the `Schemas` part"))?;

    let mut ops = Vec::new();
    let mut tag = None;
    for idx in 0..schemas_at {
        let line = src.line(idx).trim();
        if let Some(name) = line
            .strip_suffix(" endpoints")
            .and_then(|l| l.rsplit_once(' '))
            .filter(|(_, count)| count.parse::<usize>().is_ok())
        {
            tag = Some(name.0.to_string());
        }
        let Some(operation_id) = line.strip_prefix(OPERATION_ID) else {
            continue;
        };
        // The card's `DELETE /path` line is four lines up: path, blank,
        // description, blank, operationId.
        let path = idx
            .checked_sub(4)
            .map(|i| src.line(i).trim())
            .and_then(|l| l.strip_prefix("DELETE "))
            .ok_or_else(|| src.err(idx, "expected `DELETE /path` four lines above the operationId"))?;
        let responses_at = (idx..schemas_at)
            .find(|&i| src.line(i).trim() == "Responses")
            .ok_or_else(|| src.err(idx, format!("card {operation_id} has no `Responses`")))?;
        let close_at = (responses_at..schemas_at)
            .find(|&i| src.line(i).trim().starts_with("DELETE "))
            .ok_or_else(|| src.err(responses_at, format!("card {operation_id} is not closed")))?;
        let responses = parse_responses(src, responses_at + 1, close_at)?;
        let tag = tag.clone().ok_or_else(|| src.err(idx, "operation card before any `Tag N endpoints` heading"))?;
        ops.push(DeleteOp { path: path.to_string(), tag, operation_id: operation_id.trim().to_string(), responses });
    }
    Ok(DeletePage { openapi, endpoints, schemas, ops })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINI: &str = "OpenAPI\n3.0.3\nEndpoints\n84\nSchemas\n299\nTeams 1 endpoints\n\nDELETE /v1/teams/{teamId}\n\nDelete a team.\n\noperationId: Teams_removeTeam\n\nResponses\n\n204\n\nDeleted\n\nDELETE /v1/teams/{teamId}\n\nSchemas\n";

    #[test]
    fn parses_a_card() {
        let page = parse(&Source::from_text("d", MINI)).expect("parses");
        assert_eq!((page.openapi.as_str(), page.endpoints, page.schemas), ("3.0.3", 84, 299));
        assert_eq!(page.ops.len(), 1);
        assert_eq!(page.ops[0].tag, "Teams");
        assert_eq!(page.ops[0].operation_id, "Teams_removeTeam");
        assert_eq!(page.ops[0].responses[0].status, "204");
    }

    #[test]
    fn broken_cards_are_errors() {
        for broken in [
            MINI.replace("Endpoints\n84", "Endpoints\nmany"),
            MINI.replace("DELETE /v1/teams/{teamId}\n\nDelete", "X\n\nDelete"),
            MINI.replace("Responses\n", ""),
        ] {
            assert!(parse(&Source::from_text("d", &broken)).is_err(), "{broken:?}");
        }
    }
}
