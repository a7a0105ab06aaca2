//! The endpoints: the wire spec's routing table, with stateful handlers where
//! tests and the tour need state and spec-driven answers everywhere else.

mod activity;
mod agents;
mod analytics;
mod business_hours;
mod conversations;
mod endusers;
pub(crate) mod knowledge;
mod org;
pub(crate) mod spec_driven;

use std::sync::Arc;

use axum::routing::{get, MethodRouter};
use axum::Router;
use bytes::Bytes;
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::error::ApiError;
use crate::server::{self, App};
use crate::spec::Spec;

type Routes = Vec<(&'static str, MethodRouter<Arc<App>>)>;

/// The routes with stateful handlers. Path templates are the spec's, so
/// [`crate::Stats`] is keyed by them; every (method, template) here must be
/// an operation of the spec (a test checks), and every other operation of
/// the spec is answered by [`spec_driven::answer`].
pub(crate) fn routes() -> Routes {
    use axum::routing::{patch, post, put};
    vec![
        ("/v1/agents", get(agents::list).post(agents::create).put(agents::bulk_update).patch(agents::bulk_patch)),
        ("/v1/agents/bulk", post(agents::bulk_create)),
        ("/v1/agents/presence", get(agents::presence_list)),
        (
            "/v1/agents/{agentId}",
            get(agents::get_one).patch(agents::patch_one).put(agents::update_one).delete(agents::downgrade),
        ),
        ("/v1/agents/{agentId}/presence", get(agents::presence_one)),
        ("/v1/agents/{agentId}/teams", get(agents::teams_of)),
        (
            "/v1/endusers",
            get(endusers::list).post(endusers::create).put(endusers::bulk_update).patch(endusers::bulk_patch),
        ),
        ("/v1/endusers/bulk", post(endusers::bulk_create)),
        ("/v1/endusers/{userId}", get(endusers::get_one).patch(endusers::patch_one).put(endusers::update_one)),
        ("/v1/endusers/{userId}/conversations", get(endusers::conversations)),
        ("/v1/conversations/activitylog", get(activity::list)),
        ("/v1/conversations/import", post(conversations::import)),
        ("/v1/conversations/{conversationId}/tags/bulk", post(conversations::tag_bulk)),
        ("/v1/conversations/{conversationId}", get(conversations::get_one)),
        ("/v1/conversations/{conversationId}/activitylog", get(activity::of_conversation)),
        ("/v1/conversations/{conversationId}/messages", get(conversations::messages)),
        ("/v1/conversations/{conversationId}/tags", get(conversations::tags)),
        ("/v1/conversations/{conversationId}/tags/{tagId}", put(conversations::tag).delete(conversations::untag)),
        ("/v1/search/conversations", get(conversations::search)),
        // Dixa's own next links carry a trailing slash on this list.
        ("/v1/search/conversations/", get(conversations::search)),
        ("/v1/tags", get(org::list_tags).post(org::create_tag)),
        ("/v1/tags/{tagId}", get(org::get_tag)),
        ("/v1/tags/{tagId}/activate", patch(org::activate_tag)),
        ("/v1/tags/{tagId}/deactivate", patch(org::deactivate_tag)),
        ("/v1/queues", get(org::list_queues)),
        ("/v1/queues/{queueId}", get(org::get_queue)),
        (
            "/v1/queues/{queueId}/members",
            get(org::queue_members).patch(org::add_queue_members).delete(org::remove_queue_members),
        ),
        ("/v1/teams", get(org::list_teams).post(org::create_team)),
        ("/v1/teams/{teamId}", get(org::get_team).delete(org::delete_team)),
        (
            "/v1/teams/{teamId}/agents",
            get(org::team_agents).patch(org::add_team_agents).delete(org::remove_team_agents),
        ),
        ("/v1/teams/{teamId}/presence", get(org::team_presence)),
        ("/v1/analytics/records", get(analytics::list_records).post(analytics::records_data)),
        ("/v1/analytics/metrics", get(analytics::list_metrics)),
        ("/v1/analytics/filter/{filterAttribute}", get(analytics::filter_values)),
        ("/v1/knowledge/collections", get(knowledge::collections)),
        ("/v1/knowledge/collections/{collectionId}/catalog", get(knowledge::catalog)),
        ("/v1/knowledge/articles", post(knowledge::create_article)),
        ("/v1/knowledge/articles/{articleId}", get(knowledge::get_article)),
        ("/v1/business-hours/schedules", get(business_hours::schedules)),
        ("/v1/business-hours/schedules/{scheduleId}/status", get(business_hours::status)),
    ]
}

/// The canonical path templates of the spec (trailing-slash aliases folded).
pub(crate) fn templates() -> Vec<&'static str> {
    let mut t: Vec<&'static str> = Vec::new();
    for p in Spec::get().templates() {
        let p = p.strip_suffix('/').filter(|s| !s.is_empty()).unwrap_or(p);
        if !t.contains(&p) {
            t.push(p);
        }
    }
    t
}

/// The router: every path of the spec behind the pipeline (its stateful
/// handlers, [`spec_driven::answer`] for the other methods), a JSON 404 for
/// the rest.
pub(crate) fn router(app: Arc<App>, routes: Routes) -> Router {
    let mut stateful: std::collections::HashMap<&str, MethodRouter<Arc<App>>> = routes.into_iter().collect();
    let mut r = Router::new();
    for template in Spec::get().templates() {
        let methods = stateful.remove(template).unwrap_or_default();
        r = r.route(template, methods.fallback(spec_driven::answer));
    }
    r.route_layer(axum::middleware::from_fn_with_state(app.clone(), server::pipeline))
        .fallback(server::unknown_route)
        .method_not_allowed_fallback(server::method_not_allowed)
        .with_state(app)
}

// ------------------------------------------------------------- helpers ----

/// Parses a JSON request body.
pub(crate) fn json_body(body: &Bytes) -> Result<Value, ApiError> {
    if body.is_empty() {
        return Err(ApiError::invalid_body("a JSON body is required"));
    }
    serde_json::from_slice(body).map_err(ApiError::invalid_body)
}

/// A JSON object body.
pub(crate) fn object_body(body: &Bytes) -> Result<Map<String, Value>, ApiError> {
    match json_body(body)? {
        Value::Object(m) => Ok(m),
        _ => Err(ApiError::invalid_body("expected a JSON object")),
    }
}

/// The required, non-blank `name` of a create body (tags, teams), trimmed.
pub(crate) fn required_name(input: &Map<String, Value>) -> Result<&str, ApiError> {
    input
        .get("name")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiError::bad_request("Invalid value for: body (name is required)"))
}

/// The items of a bulk body: `{"data": [...]}` as the schemas say, or a bare
/// array as some operations (and Dixa's Redoc) show.
pub(crate) fn bulk_items(body: &Bytes) -> Result<Vec<Value>, ApiError> {
    match json_body(body)? {
        Value::Array(items) => Ok(items),
        Value::Object(mut m) => match m.remove("data") {
            Some(Value::Array(items)) => Ok(items),
            _ => Err(ApiError::invalid_body("expected {\"data\": [...]}")),
        },
        _ => Err(ApiError::invalid_body("expected an array of items")),
    }
}

/// The `agentIds` of a `BulkQueueEndpointInput` / `AgentsToTeamInput`.
pub(crate) fn agent_ids(body: &Bytes) -> Result<Vec<String>, ApiError> {
    let m = object_body(body)?;
    match m.get("agentIds") {
        Some(Value::Array(ids)) => ids
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| ApiError::invalid_body("agentIds must be an array of strings")),
        None => Ok(Vec::new()),
        Some(_) => Err(ApiError::invalid_body("agentIds must be an array of strings")),
    }
}

/// `200 {"data": ...}`.
pub(crate) fn ok_data<T: Serialize>(data: T) -> axum::response::Response {
    server::json_response(200, &json!({ "data": data }))
}

/// `{status} {"data": ...}`.
pub(crate) fn data_with_status<T: Serialize>(status: u16, data: T) -> axum::response::Response {
    server::json_response(status, &json!({ "data": data }))
}

/// Refuses a path id that is not shaped like a UUID, as Dixa does.
pub(crate) fn require_uuid(name: &str, id: &str) -> Result<(), ApiError> {
    if crate::data::looks_like_uuid(id) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!("Invalid value for: path parameter {name}")))
    }
}
