//! `/v1/conversations...` and `/v1/search/conversations`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;
use http::Uri;
use serde_json::{json, Value};

use super::ok_data;
use crate::data::{uuid, Kind};
use crate::error::ApiError;
use crate::model::{self, FIRST_CONVERSATION_ID};
use crate::pagination::{self, PageBody};
use crate::server::{json_response, no_content_effect, App};
use crate::state::OrgState;

type AppState = State<Arc<App>>;

/// The index of conversation `id`, or the error Dixa gives.
fn conversation_index(st: &OrgState, id: &str) -> Result<u64, ApiError> {
    if id.parse::<u64>().is_err() {
        return Err(ApiError::bad_request("Invalid value for: path parameter conversationId"));
    }
    st.conversation_index(id).ok_or_else(|| ApiError::not_found("Conversation", id))
}

/// `GET /v1/conversations/{conversationId}`.
pub(crate) async fn get_one(State(app): AppState, Path(id): Path<String>) -> Result<Response, ApiError> {
    let st = app.read();
    let i = conversation_index(&st, &id)?;
    Ok(ok_data(model::conversation(i, &st.conv_ctx)))
}

/// `GET /v1/conversations/{conversationId}/messages`.
pub(crate) async fn messages(State(app): AppState, Path(id): Path<String>) -> Result<Response, ApiError> {
    let st = app.read();
    let i = conversation_index(&st, &id)?;
    Ok(ok_data(model::messages(i, &st.conv_ctx)))
}

fn tag_json(st: &OrgState, t: usize) -> Value {
    let t = &st.tags[t];
    model::tag(&t.id, &t.name, t.color.as_deref(), t.active)
}

/// `GET /v1/conversations/{conversationId}/tags`.
pub(crate) async fn tags(State(app): AppState, Path(id): Path<String>) -> Result<Response, ApiError> {
    let st = app.read();
    let i = conversation_index(&st, &id)?;
    let tags: Vec<Value> = st.tags_of(i).into_iter().map(|t| tag_json(&st, t)).collect();
    Ok(ok_data(tags))
}

/// `PUT /v1/conversations/{conversationId}/tags/{tagId}` (204). Only active
/// tags may be used.
pub(crate) async fn tag(
    State(app): AppState,
    Path((id, tag_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let mut st = app.write();
    let i = conversation_index(&st, &id)?;
    let t = st.tag_index(&tag_id).ok_or_else(|| ApiError::not_found("Tag", &tag_id))?;
    if !st.tags[t].active {
        return Err(ApiError::bad_request(format!(
            "Tag [{tag_id}] is inactive: only active tags can be added to a conversation"
        )));
    }
    let mut current = st.tags_of(i);
    current.insert(t);
    st.conversation_tags.insert(i, current);
    Ok(no_content_effect())
}

/// `DELETE /v1/conversations/{conversationId}/tags/{tagId}` (204).
pub(crate) async fn untag(
    State(app): AppState,
    Path((id, tag_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let mut st = app.write();
    let i = conversation_index(&st, &id)?;
    let t = st.tag_index(&tag_id).ok_or_else(|| ApiError::not_found("Tag", &tag_id))?;
    let mut current = st.tags_of(i);
    current.remove(&t);
    st.conversation_tags.insert(i, current);
    Ok(no_content_effect())
}

/// `GET /v1/search/conversations?query=...&exactMatch=...`: paginated
/// `ConversationSearchHit`s; `meta.next` carries Dixa's trailing slash
/// (`/v1/search/conversations/?pageKey=...`).
pub(crate) async fn search(State(app): AppState, uri: Uri) -> Result<Response, ApiError> {
    let req = pagination::parse(uri.query(), "search-conversations", &["query", "exactMatch"], None)?;
    let Some(query) = req.filters.get("query").filter(|q| !q.trim().is_empty()) else {
        return Err(ApiError::bad_request("Invalid value for: query parameter query (required, non-empty)"));
    };
    let exact = match req.filters.get("exactMatch").map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(ApiError::bad_request("Invalid value for: query parameter exactMatch"));
        }
    };
    let resp = {
        let st = app.read();
        let needle = if exact { query.clone() } else { query.to_lowercase() };
        let hits: Vec<u64> = (0..st.conversations)
            .filter(|i| st.conv_ctx.unknown != Some(*i))
            .filter(|i| {
                let topic = model::topic(*i);
                if exact {
                    topic.contains(&needle)
                } else {
                    topic.to_lowercase().contains(&needle)
                }
            })
            .collect();
        let (range, meta) = req.window(&app, uri.path(), "/v1/search/conversations/", hits.len());
        let data: Vec<Value> = hits[range]
            .iter()
            .map(|i| {
                let topic = model::topic(*i);
                let highlighted = highlight(&topic, query);
                json!({
                    "_type": "ConversationSearchHit",
                    "id": FIRST_CONVERSATION_ID + i,
                    "highlights": { "subject": [highlighted.clone()] },
                    "innerHits": [{
                        "id": uuid(Kind::Message, i * 8),
                        "highlight": { "content": highlighted },
                    }],
                })
            })
            .collect();
        json_response(200, &PageBody { data: &data, meta })
    };
    app.page_delay().await;
    Ok(resp)
}

/// Wraps the first case-insensitive match of `query` in `<em>` tags.
fn highlight(text: &str, query: &str) -> String {
    let lower = text.to_lowercase();
    match lower.find(&query.to_lowercase()) {
        // Lower-casing the ASCII topics keeps byte offsets aligned.
        Some(start) if text.is_char_boundary(start) && text.is_char_boundary(start + query.len()) => {
            let end = start + query.len();
            format!("{}<em>{}</em>{}", &text[..start], &text[start..end], &text[end..])
        }
        _ => text.to_owned(),
    }
}

/// `POST /v1/conversations/import` (201): a generic-channel conversation
/// with its history. The required members are checked; a message that
/// cannot be imported (an unknown `_type`, no content) is skipped and
/// reported in `partialErrors`, as Dixa does, and the rest is imported.
pub(crate) async fn import(State(app): AppState, body: bytes::Bytes) -> Result<Response, ApiError> {
    let input = super::object_body(&body)?;
    for required in ["createdAt", "direction", "genericChannelName", "requesterId"] {
        if input.get(required).and_then(Value::as_str).is_none_or(str::is_empty) {
            return Err(ApiError::bad_request(format!("Invalid value for: body ({required} is required)")));
        }
    }
    if !matches!(input["direction"].as_str(), Some("Inbound" | "Outbound")) {
        return Err(ApiError::bad_request("Invalid value for: body (direction must be Inbound or Outbound)"));
    }
    let mut partial = Vec::new();
    for (n, m) in input.get("messages").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let known = matches!(m.get("_type").and_then(Value::as_str), Some("InboundImport" | "OutboundImport"));
        if !known {
            partial.push(json!({ "message": format!("message {n}: unknown message type, not imported") }));
        } else if m.get("content").is_none_or(|c| c.get("_type").is_none()) {
            partial.push(json!({ "message": format!("message {n}: content is required, not imported") }));
        }
    }
    let mut st = app.write();
    let id = FIRST_CONVERSATION_ID + st.conversations;
    st.conversations += 1;
    Ok(crate::server::with_effect(super::data_with_status(201, json!({ "id": id, "partialErrors": partial }))))
}

/// `POST /v1/conversations/{conversationId}/tags/bulk` (202, no body): tags
/// by name; a name no tag has yet creates an active tag, as in Dixa's UI.
pub(crate) async fn tag_bulk(
    State(app): AppState,
    Path(id): Path<String>,
    body: bytes::Bytes,
) -> Result<Response, ApiError> {
    let items = super::bulk_items(&body)?;
    let mut names = Vec::new();
    for item in &items {
        match item.get("name").and_then(Value::as_str).map(str::trim).filter(|n| !n.is_empty()) {
            Some(n) => names.push(n.to_owned()),
            None => return Err(ApiError::bad_request("Invalid value for: body (each tag needs a name)")),
        }
    }
    let mut st = app.write();
    let i = conversation_index(&st, &id)?;
    let mut current = st.tags_of(i);
    for name in names {
        let t = match st.tags.iter().position(|t| t.name.eq_ignore_ascii_case(&name)) {
            Some(t) => t,
            None => {
                let n = st.tags.len() as u64;
                st.tags.push(crate::state::TagRec { id: uuid(Kind::Tag, n), name, color: None, active: true });
                st.tags.len() - 1
            }
        };
        current.insert(t);
    }
    st.conversation_tags.insert(i, current);
    let mut resp = no_content_effect();
    *resp.status_mut() = http::StatusCode::ACCEPTED;
    Ok(resp)
}
