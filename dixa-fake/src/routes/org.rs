//! `/v1/tags...`, `/v1/queues...`, `/v1/teams...`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;
use bytes::Bytes;
use http::Uri;
use serde_json::{json, Value};

use super::{agent_ids, data_with_status, object_body, ok_data, require_uuid, required_name};
use crate::data::{looks_like_uuid, uuid, Kind};
use crate::error::ApiError;
use crate::model::{self, bulk_failure, bulk_success};
use crate::pagination::{self, PageBody};
use crate::server::{json_response, no_content_effect, with_effect, App};
use crate::state::{OrgState, TagRec, TeamRec};

type AppState = State<Arc<App>>;

/// Dixa's documented limit of agents per queue-membership call.
const QUEUE_MEMBERS_PER_CALL: usize = 10;

// ---------------------------------------------------------------- tags ----

fn tag_json(t: &TagRec) -> Value {
    model::tag(&t.id, &t.name, t.color.as_deref(), t.active)
}

/// `GET /v1/tags`.
pub(crate) async fn list_tags(State(app): AppState) -> Response {
    let st = app.read();
    ok_data(st.tags.iter().map(tag_json).collect::<Vec<_>>())
}

/// `POST /v1/tags` (200 since the newer spec; 201 before); a duplicate name is a 409.
pub(crate) async fn create_tag(State(app): AppState, body: Bytes) -> Result<Response, ApiError> {
    let input = object_body(&body)?;
    let name = required_name(&input)?;
    let color = match input.get("color") {
        None | Some(Value::Null) => None,
        Some(Value::String(c)) => Some(c.clone()),
        Some(_) => return Err(ApiError::bad_request("Invalid value for: body (color must be a string)")),
    };
    let mut st = app.write();
    if st.tags.iter().any(|t| t.name.eq_ignore_ascii_case(name)) {
        return Err(ApiError::conflict(format!("A tag named [{name}] already exists")));
    }
    let rec = TagRec { id: uuid(Kind::Tag, st.tags.len() as u64), name: name.to_owned(), color, active: true };
    let out = tag_json(&rec);
    st.tags.push(rec);
    Ok(with_effect(data_with_status(200, out)))
}

/// `GET /v1/tags/{tagId}`.
pub(crate) async fn get_tag(State(app): AppState, Path(id): Path<String>) -> Result<Response, ApiError> {
    require_uuid("tagId", &id)?;
    let st = app.read();
    let t = st.tag_index(&id).ok_or_else(|| ApiError::not_found("Tag", &id))?;
    Ok(ok_data(tag_json(&st.tags[t])))
}

fn set_tag_state(app: &App, id: &str, active: bool) -> Result<Response, ApiError> {
    require_uuid("tagId", id)?;
    let mut st = app.write();
    let t = st.tag_index(id).ok_or_else(|| ApiError::not_found("Tag", id))?;
    st.tags[t].active = active;
    Ok(no_content_effect())
}

/// `PATCH /v1/tags/{tagId}/activate` (204).
pub(crate) async fn activate_tag(State(app): AppState, Path(id): Path<String>) -> Result<Response, ApiError> {
    set_tag_state(&app, &id, true)
}

/// `PATCH /v1/tags/{tagId}/deactivate` (204).
pub(crate) async fn deactivate_tag(State(app): AppState, Path(id): Path<String>) -> Result<Response, ApiError> {
    set_tag_state(&app, &id, false)
}

// -------------------------------------------------------------- queues ----

fn queue_json(q: &crate::state::QueueRec) -> Value {
    model::queue(&q.id, &q.name, q.is_default, q.priority)
}

/// `GET /v1/queues`.
pub(crate) async fn list_queues(State(app): AppState) -> Response {
    let st = app.read();
    ok_data(st.queues.iter().map(queue_json).collect::<Vec<_>>())
}

/// `GET /v1/queues/{queueId}`.
pub(crate) async fn get_queue(State(app): AppState, Path(id): Path<String>) -> Result<Response, ApiError> {
    let st = app.read();
    let q = st.queues.iter().find(|q| q.id == id).ok_or_else(|| ApiError::not_found("Queue", &id))?;
    Ok(ok_data(queue_json(q)))
}

/// `GET /v1/queues/{queueId}/members` (schema `QueueMembersOutput`).
pub(crate) async fn queue_members(State(app): AppState, Path(id): Path<String>) -> Result<Response, ApiError> {
    let st = app.read();
    let q = st.queues.iter().find(|q| q.id == id).ok_or_else(|| ApiError::not_found("Queue", &id))?;
    let members: Vec<Value> =
        q.members.iter().map(|(a, prio)| json!({ "agentId": uuid(Kind::Agent, *a), "priority": prio })).collect();
    Ok(ok_data(members))
}

fn check_member_limit(ids: &[String]) -> Result<(), ApiError> {
    if ids.len() > QUEUE_MEMBERS_PER_CALL {
        return Err(ApiError::bad_request(format!(
            "Invalid value for: body (up to {QUEUE_MEMBERS_PER_CALL} members can be specified, got {})",
            ids.len()
        )));
    }
    Ok(())
}

/// `PATCH` (and `POST`) `/v1/queues/{queueId}/members`: assign up to 10
/// agents; one `BulkActionOutcome_BulkError_UUID` per id.
pub(crate) async fn add_queue_members(
    State(app): AppState,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let ids = agent_ids(&body)?;
    check_member_limit(&ids)?;
    let mut st = app.write();
    let indices: Vec<Result<u64, Value>> = ids.iter().map(|a| agent_outcome(&st, a)).collect();
    let q = st.queue_mut(&id).ok_or_else(|| ApiError::not_found("Queue", &id))?;
    let mut changed = false;
    let outcomes: Vec<Value> = ids
        .iter()
        .zip(indices)
        .map(|(agent_id, r)| match r {
            Ok(i) => {
                q.members.entry(i).or_insert(1);
                changed = true;
                bulk_success(json!(agent_id))
            }
            Err(failure) => failure,
        })
        .collect();
    let resp = ok_data(outcomes);
    Ok(if changed { with_effect(resp) } else { resp })
}

/// The agent index for a bulk membership id, or its failure outcome.
fn agent_outcome(st: &OrgState, agent_id: &str) -> Result<u64, Value> {
    if !looks_like_uuid(agent_id) {
        return Err(bulk_failure("Validation", Some(agent_id), &format!("Invalid agent id [{agent_id}]: not a UUID")));
    }
    st.agent_index(agent_id)
        .ok_or_else(|| bulk_failure("NotFound", Some(agent_id), &format!("Agent [{agent_id}] could not be found")))
}

/// `DELETE /v1/queues/{queueId}/members` with a JSON body (204).
pub(crate) async fn remove_queue_members(
    State(app): AppState,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let ids = agent_ids(&body)?;
    check_member_limit(&ids)?;
    if let Some(bad) = ids.iter().find(|a| !looks_like_uuid(a)) {
        return Err(ApiError::bad_request(format!("Invalid value for: body (agent id [{bad}] is not a UUID)")));
    }
    let mut st = app.write();
    let indices: Vec<u64> = ids.iter().filter_map(|a| st.agent_index(a)).collect();
    let q = st.queue_mut(&id).ok_or_else(|| ApiError::not_found("Queue", &id))?;
    for i in indices {
        q.members.remove(&i);
    }
    Ok(no_content_effect())
}

// --------------------------------------------------------------- teams ----

fn team_json(t: &TeamRec) -> Value {
    json!({ "id": t.id, "name": t.name })
}

/// `GET /v1/teams` (schema `ListTeamsOutput`).
pub(crate) async fn list_teams(State(app): AppState) -> Response {
    let st = app.read();
    ok_data(st.teams.iter().map(team_json).collect::<Vec<_>>())
}

/// `POST /v1/teams` (201).
pub(crate) async fn create_team(State(app): AppState, body: Bytes) -> Result<Response, ApiError> {
    let input = object_body(&body)?;
    let name = required_name(&input)?;
    let mut st = app.write();
    let rec =
        TeamRec { id: uuid(Kind::Team, st.teams.len() as u64), name: name.to_owned(), members: Default::default() };
    let out = team_json(&rec);
    st.teams.push(rec);
    Ok(with_effect(data_with_status(201, out)))
}

/// `GET /v1/teams/{teamId}`.
pub(crate) async fn get_team(State(app): AppState, Path(id): Path<String>) -> Result<Response, ApiError> {
    let st = app.read();
    let t = st.teams.iter().find(|t| t.id == id).ok_or_else(|| ApiError::not_found("Team", &id))?;
    Ok(ok_data(team_json(t)))
}

/// `DELETE /v1/teams/{teamId}` (204).
pub(crate) async fn delete_team(State(app): AppState, Path(id): Path<String>) -> Result<Response, ApiError> {
    let mut st = app.write();
    let before = st.teams.len();
    st.teams.retain(|t| t.id != id);
    if st.teams.len() == before {
        return Err(ApiError::not_found("Team", &id));
    }
    Ok(no_content_effect())
}

/// `GET /v1/teams/{teamId}/agents` (schema `ListTeamMembersOutput`).
pub(crate) async fn team_agents(State(app): AppState, Path(id): Path<String>) -> Result<Response, ApiError> {
    let st = app.read();
    let t = st.teams.iter().find(|t| t.id == id).ok_or_else(|| ApiError::not_found("Team", &id))?;
    let members: Vec<Value> = t
        .members
        .iter()
        .filter_map(|i| st.agents.get(*i as usize)?.as_ref())
        .map(|a| {
            let mut m = json!({ "id": a.id, "name": a.display_name });
            if let Some(e) = &a.email {
                m["email"] = json!(e);
            }
            if let Some(p) = &a.phone_number {
                m["phoneNumber"] = json!(p);
            }
            m
        })
        .collect();
    Ok(ok_data(members))
}

/// `PATCH /v1/teams/{teamId}/agents` (200 without a body since the newer
/// spec; 204 before); an unknown agent is a 404.
pub(crate) async fn add_team_agents(
    State(app): AppState,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let ids = agent_ids(&body)?;
    let mut st = app.write();
    let mut indices = Vec::with_capacity(ids.len());
    for a in &ids {
        indices.push(st.agent_index(a).ok_or_else(|| ApiError::not_found("Agent", a))?);
    }
    let t = st.team_mut(&id).ok_or_else(|| ApiError::not_found("Team", &id))?;
    t.members.extend(indices);
    let mut resp = no_content_effect();
    *resp.status_mut() = axum::http::StatusCode::OK;
    Ok(resp)
}

/// `DELETE /v1/teams/{teamId}/agents` with a JSON body (204).
pub(crate) async fn remove_team_agents(
    State(app): AppState,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let ids = agent_ids(&body)?;
    let mut st = app.write();
    let indices: Vec<u64> = ids.iter().filter_map(|a| st.agent_index(a)).collect();
    let t = st.team_mut(&id).ok_or_else(|| ApiError::not_found("Team", &id))?;
    for i in indices {
        t.members.remove(&i);
    }
    Ok(no_content_effect())
}

/// `GET /v1/teams/{teamId}/presence`: paginated presence of the members.
pub(crate) async fn team_presence(
    State(app): AppState,
    Path(id): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let resource = format!("team-presence:{id}");
    let req = pagination::parse(uri.query(), &resource, &[], None)?;
    let resp = {
        let st = app.read();
        let t = st.teams.iter().find(|t| t.id == id).ok_or_else(|| ApiError::not_found("Team", &id))?;
        let members: Vec<u64> =
            t.members.iter().copied().filter(|i| st.agents.get(*i as usize).is_some_and(Option::is_some)).collect();
        let (range, meta) = req.window(&app, uri.path(), uri.path(), members.len());
        let data: Vec<Value> = members[range].iter().map(|i| model::presence(*i, &uuid(Kind::Agent, *i))).collect();
        json_response(200, &PageBody { data: &data, meta })
    };
    app.page_delay().await;
    Ok(resp)
}
