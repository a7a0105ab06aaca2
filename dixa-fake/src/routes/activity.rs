//! `/v1/conversations/activitylog` and `/v1/conversations/{id}/activitylog`.
//!
//! Each conversation has three entries: created by the customer (with a
//! `ConversationCreatedAttribute`), assigned (with a
//! `ConversationAssignedAttribute`) and, for closed ones, closed (no
//! `attributes`, as on many real entries). `activityType` is sent as a plain
//! string, which is what the wire carries for that deprecated member.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;
use http::Uri;
use serde_json::{json, Map, Value};

use super::ok_data;
use crate::data::{pick, rfc3339, uuid, Kind, EPOCH};
use crate::error::ApiError;
use crate::model::{self, FIRST_CONVERSATION_ID};
use crate::pagination::{self, PageBody};
use crate::server::{json_response, App};
use crate::state::OrgState;

type AppState = State<Arc<App>>;

const ENTRIES_PER_CONVERSATION: u64 = 3;

/// When entry `k` of conversation `i` happened (seconds since the Unix
/// epoch), or `None` when that conversation has no such entry: only closed
/// conversations have a closing entry, and assignment needs agents.
fn entry_time(st: &OrgState, i: u64, k: u64) -> Option<i64> {
    let created = EPOCH + 86_400 * 10 + (i as i64) * 1_811;
    match k {
        0 => Some(created),
        1 => (st.conv_ctx.agents > 0).then_some(created + 60),
        _ => (model::conversation_state(i) == "Closed").then_some(created + 5_400),
    }
}

/// Entry `k` (0..3) of conversation `i` (see [`entry_time`]).
fn entry(st: &OrgState, i: u64, k: u64) -> Option<Value> {
    let at = entry_time(st, i, k)?;
    let agents = st.conv_ctx.agents;
    let agent = (agents > 0).then(|| pick(i, 9) % agents);
    let (ty, attributes, author) = match k {
        0 => (
            "ConversationCreatedByCustomer",
            Some(json!({ "_type": "ConversationCreatedAttribute", "subject": model::topic(i) })),
            Some(json!({ "id": uuid(Kind::EndUser, model::requester_of(i, &st.conv_ctx)) })),
        ),
        1 => {
            let a = agent?;
            let name =
                st.agents.get(a as usize).and_then(|p| p.as_ref()).map(|p| p.display_name.clone()).unwrap_or_default();
            (
                "ConversationAssigned",
                Some(
                    json!({ "_type": "ConversationAssignedAttribute", "agentId": uuid(Kind::Agent, a), "agentName": name }),
                ),
                None,
            )
        }
        _ => ("ConversationClosed", None, agent.map(|a| json!({ "id": uuid(Kind::Agent, a) }))),
    };
    let mut e = Map::new();
    e.insert("id".into(), json!(uuid(Kind::Message, 1_000_000_000 + i * 4 + k)));
    e.insert("_type".into(), json!(ty));
    e.insert("activityType".into(), json!(ty));
    e.insert("conversationId".into(), json!(FIRST_CONVERSATION_ID + i));
    e.insert("activityTimestamp".into(), json!(rfc3339(at)));
    if let Some(a) = author {
        e.insert("author".into(), a);
    }
    if let Some(a) = attributes {
        e.insert("attributes".into(), a);
    }
    Some(Value::Object(e))
}

/// Compares the `YYYY-MM-DDTHH:MM:SS` prefixes of two timestamps.
fn prefix(s: &str) -> &str {
    s.get(..19).unwrap_or(s)
}

/// `GET /v1/conversations/activitylog`: paginated, filtered by
/// `fromDatetime` / `toDatetime`.
pub(crate) async fn list(State(app): AppState, uri: Uri) -> Result<Response, ApiError> {
    let req = pagination::parse(uri.query(), "activitylog", &["fromDatetime", "toDatetime"], None)?;
    let from = req.filters.get("fromDatetime").cloned();
    let to = req.filters.get("toDatetime").cloned();
    let resp = {
        let st = app.read();
        // Select entries by their computed timestamps first, and render
        // only the requested page: a large log costs no JSON per request.
        let selected: Vec<(u64, u64)> = (0..st.conversations)
            .flat_map(|i| (0..ENTRIES_PER_CONVERSATION).map(move |k| (i, k)))
            .filter(|(i, k)| {
                entry_time(&st, *i, *k).is_some_and(|at| {
                    let ts = rfc3339(at);
                    from.as_deref().is_none_or(|f| prefix(&ts) >= prefix(f))
                        && to.as_deref().is_none_or(|t| prefix(&ts) <= prefix(t))
                })
            })
            .collect();
        let (range, meta) = req.window(&app, uri.path(), "/v1/conversations/activitylog", selected.len());
        let data: Vec<Value> = selected[range].iter().filter_map(|(i, k)| entry(&st, *i, *k)).collect();
        json_response(200, &PageBody { data: &data, meta })
    };
    app.page_delay().await;
    Ok(resp)
}

/// `GET /v1/conversations/{conversationId}/activitylog`.
pub(crate) async fn of_conversation(State(app): AppState, Path(id): Path<String>) -> Result<Response, ApiError> {
    if id.parse::<u64>().is_err() {
        return Err(ApiError::bad_request("Invalid value for: path parameter conversationId"));
    }
    let st = app.read();
    let i = st.conversation_index(&id).ok_or_else(|| ApiError::not_found("Conversation", &id))?;
    let entries: Vec<Value> = (0..ENTRIES_PER_CONVERSATION).filter_map(|k| entry(&st, i, k)).collect();
    Ok(ok_data(entries))
}
