//! `/v1/agents...`

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;
use bytes::Bytes;
use http::Uri;
use serde_json::{json, Map, Value};

use super::{bulk_items, data_with_status, object_body, ok_data, require_uuid};
use crate::data::{rfc3339, uuid, Kind, EPOCH};
use crate::error::ApiError;
use crate::model::{self, apply_patch, bulk_failure, bulk_success, Person};
use crate::pagination::{self, PageBody};
use crate::server::{json_response, no_content_effect, with_effect, App};
use crate::state::OrgState;

type AppState = State<Arc<App>>;

fn not_found(id: &str) -> ApiError {
    ApiError::not_found("Agent", id)
}

fn matches_contact(p: &Person, email: Option<&String>, phone: Option<&String>) -> bool {
    let email_ok = email.is_none_or(|e| {
        p.email.as_deref().is_some_and(|x| x.eq_ignore_ascii_case(e))
            || p.additional_emails.iter().any(|x| x.eq_ignore_ascii_case(e))
    });
    let phone_ok = phone.is_none_or(|ph| {
        p.phone_number.as_deref() == Some(ph.as_str()) || p.additional_phone_numbers.iter().any(|x| x == ph)
    });
    email_ok && phone_ok
}

/// `GET /v1/agents`: paginated, filtered by `email` or `phone` (not both).
pub(crate) async fn list(State(app): AppState, uri: Uri) -> Result<Response, ApiError> {
    let req = pagination::parse(uri.query(), "agents", &["email", "phone"], None)?;
    let email = req.filters.get("email");
    let phone = req.filters.get("phone");
    if email.is_some() && phone.is_some() {
        return Err(ApiError::bad_request("Invalid filters: Cannot provide both phone number and email address"));
    }
    let resp = {
        let st = app.read();
        let matching: Vec<&Person> =
            st.active_agents().map(|(_, a)| a).filter(|a| matches_contact(a, email, phone)).collect();
        let (range, meta) = req.window(&app, uri.path(), "/v1/agents", matching.len());
        json_response(200, &PageBody { data: &matching[range], meta })
    };
    app.page_delay().await;
    Ok(resp)
}

/// Builds a new agent at `index` from a `CreateAgentInput`.
fn new_agent(st: &OrgState, index: u64, input: &Map<String, Value>) -> Result<Person, String> {
    let mut p = Person {
        id: uuid(Kind::Agent, index),
        created_at: rfc3339(EPOCH + 86_400 * 400 + index as i64),
        display_name: String::new(),
        email: None,
        phone_number: None,
        additional_emails: Vec::new(),
        additional_phone_numbers: Vec::new(),
        first_name: None,
        last_name: None,
        middle_names: Vec::new(),
        avatar_url: None,
        external_id: None,
        roles: Some(vec!["Agent".to_owned()]),
    };
    apply_patch(&mut p, input, true, false)?;
    if p.display_name.trim().is_empty() {
        return Err("Invalid value for field displayName: required and must not be empty".to_owned());
    }
    let Some(email) = p.email.clone() else {
        return Err("Invalid value for field email: required".to_owned());
    };
    if st.active_agents().any(|(_, a)| a.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(&email))) {
        return Err(format!("Duplicate email address [{email}]"));
    }
    Ok(p)
}

/// `POST /v1/agents`: create one agent (201).
pub(crate) async fn create(State(app): AppState, body: Bytes) -> Result<Response, ApiError> {
    let input = object_body(&body)?;
    let mut st = app.write();
    let index = st.agents.len() as u64;
    let agent = new_agent(&st, index, &input).map_err(|m| {
        if m.starts_with("Duplicate") {
            ApiError::conflict(m)
        } else {
            ApiError::bad_request(format!("Validation failure during agent creation: {m}"))
        }
    })?;
    st.agents.push(Some(agent.clone()));
    Ok(with_effect(data_with_status(201, agent)))
}

/// `POST /v1/agents/bulk`: create agents, one outcome per input (201).
pub(crate) async fn bulk_create(State(app): AppState, body: Bytes) -> Result<Response, ApiError> {
    let items = bulk_items(&body)?;
    let mut st = app.write();
    let mut outcomes = Vec::with_capacity(items.len());
    let mut changed = false;
    for item in &items {
        let index = st.agents.len() as u64;
        let result = match item.as_object() {
            Some(input) => new_agent(&st, index, input),
            None => Err("Invalid value: expected an object".to_owned()),
        };
        match result {
            Ok(agent) => {
                outcomes.push(bulk_success(json!(agent)));
                st.agents.push(Some(agent));
                changed = true;
            }
            Err(m) => outcomes.push(bulk_failure("Validation", None, &format!("Create Agent failed: {m}"))),
        }
    }
    let resp = data_with_status(201, outcomes);
    Ok(if changed { with_effect(resp) } else { resp })
}

/// Shared by bulk patch (`PATCH`) and bulk update (`PUT`).
fn bulk_change(app: &App, body: &Bytes, require_display_name: bool) -> Result<Response, ApiError> {
    let items = bulk_items(body)?;
    let mut st = app.write();
    let mut outcomes = Vec::with_capacity(items.len());
    let mut changed = false;
    for item in &items {
        let Some(fields) = item.as_object() else {
            outcomes.push(bulk_failure("Validation", None, "Invalid value: expected an object"));
            continue;
        };
        let Some(id) = fields.get("id").and_then(Value::as_str) else {
            outcomes.push(bulk_failure("Validation", None, "Invalid value for field id: required"));
            continue;
        };
        let Some(index) = st.agent_index(id) else {
            outcomes.push(bulk_failure("NotFound", Some(id), &format!("Agent [{id}] could not be found")));
            continue;
        };
        if require_display_name && !fields.contains_key("displayName") {
            outcomes.push(bulk_failure("Validation", Some(id), "Invalid value for field displayName: required"));
            continue;
        }
        let Some(Some(mut agent)) = st.agents.get(index as usize).cloned() else {
            outcomes.push(bulk_failure("NotFound", Some(id), &format!("Agent [{id}] could not be found")));
            continue;
        };
        match apply_patch(&mut agent, fields, false, false) {
            Err(m) => outcomes.push(bulk_failure("Validation", Some(id), &m)),
            Ok(false) => {
                outcomes.push(bulk_failure("EmptyPatchSet", Some(id), "The patch contains no fields to change"))
            }
            Ok(true) => {
                outcomes.push(bulk_success(json!(agent)));
                st.agents[index as usize] = Some(agent);
                changed = true;
            }
        }
    }
    let resp = ok_data(outcomes);
    Ok(if changed { with_effect(resp) } else { resp })
}

/// `PATCH /v1/agents`: bulk patch with mixed outcomes.
pub(crate) async fn bulk_patch(State(app): AppState, body: Bytes) -> Result<Response, ApiError> {
    bulk_change(&app, &body, false)
}

/// `PUT /v1/agents`: bulk update (displayName required) with mixed outcomes.
pub(crate) async fn bulk_update(State(app): AppState, body: Bytes) -> Result<Response, ApiError> {
    bulk_change(&app, &body, true)
}

/// `GET /v1/agents/{agentId}`.
pub(crate) async fn get_one(State(app): AppState, Path(id): Path<String>) -> Result<Response, ApiError> {
    require_uuid("agentId", &id)?;
    let st = app.read();
    st.agent(&id).map(ok_data).ok_or_else(|| not_found(&id))
}

fn change_one(app: &App, id: &str, body: &Bytes, require_display_name: bool) -> Result<Response, ApiError> {
    require_uuid("agentId", id)?;
    let fields = object_body(body)?;
    if require_display_name && !fields.contains_key("displayName") {
        return Err(ApiError::bad_request("Invalid value for: body (displayName is required)"));
    }
    let mut st = app.write();
    let index = st.agent_index(id).ok_or_else(|| not_found(id))?;
    let Some(Some(mut agent)) = st.agents.get(index as usize).cloned() else {
        return Err(not_found(id));
    };
    apply_patch(&mut agent, &fields, false, false)
        .map_err(|m| ApiError::bad_request(format!("Validation failure during update: {m}")))?;
    st.agents[index as usize] = Some(agent.clone());
    Ok(with_effect(ok_data(agent)))
}

/// `PATCH /v1/agents/{agentId}`.
pub(crate) async fn patch_one(State(app): AppState, Path(id): Path<String>, body: Bytes) -> Result<Response, ApiError> {
    change_one(&app, &id, &body, false)
}

/// `PUT /v1/agents/{agentId}`.
pub(crate) async fn update_one(
    State(app): AppState,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    change_one(&app, &id, &body, true)
}

/// `DELETE /v1/agents/{agentId}`: downgrade to end user (204).
pub(crate) async fn downgrade(State(app): AppState, Path(id): Path<String>) -> Result<Response, ApiError> {
    require_uuid("agentId", &id)?;
    let mut st = app.write();
    let index = st.agent_index(&id).ok_or_else(|| not_found(&id))?;
    st.agents[index as usize] = None;
    for q in &mut st.queues {
        q.members.remove(&index);
    }
    for t in &mut st.teams {
        t.members.remove(&index);
    }
    Ok(no_content_effect())
}

/// `GET /v1/agents/presence`: a BARE array, no envelope.
pub(crate) async fn presence_list(State(app): AppState) -> Response {
    let st = app.read();
    let all: Vec<Value> = st.active_agents().map(|(i, a)| model::presence(i, &a.id)).collect();
    json_response(200, &all)
}

/// `GET /v1/agents/{agentId}/presence`.
pub(crate) async fn presence_one(State(app): AppState, Path(id): Path<String>) -> Result<Response, ApiError> {
    require_uuid("agentId", &id)?;
    let st = app.read();
    let index = st.agent_index(&id).ok_or_else(|| not_found(&id))?;
    Ok(ok_data(model::presence(index, &id)))
}

/// `GET /v1/agents/{agentId}/teams`: `{"data": [{"id": ...}]}`.
pub(crate) async fn teams_of(State(app): AppState, Path(id): Path<String>) -> Result<Response, ApiError> {
    require_uuid("agentId", &id)?;
    let st = app.read();
    let index = st.agent_index(&id).ok_or_else(|| not_found(&id))?;
    let teams: Vec<Value> =
        st.teams.iter().filter(|t| t.members.contains(&index)).map(|t| json!({ "id": t.id })).collect();
    Ok(ok_data(teams))
}
