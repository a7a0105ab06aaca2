//! `/v1/endusers...`
//!
//! End users are generated from their index on every request (see
//! `model::end_user`), so a 100,000-user export costs no memory and each page
//! is serialized straight from 100 small structs.

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
use crate::server::{json_response, with_effect, App};
use crate::state::OrgState;

type AppState = State<Arc<App>>;

fn not_found(id: &str) -> ApiError {
    ApiError::not_found("End user", id)
}

/// Indices of end users matching one contact filter, without scanning the
/// generated population: seed contact details encode their index.
fn filtered(st: &OrgState, key: &str, value: &str) -> Vec<u64> {
    let seed_guess = match key {
        "email" => model::end_user_index_from_email(&value.to_ascii_lowercase()),
        "phone" => value.strip_prefix("+4540").and_then(|d| d.parse().ok()),
        _ => value.strip_prefix("CRM-").and_then(|d| d.parse().ok()),
    };
    let hit = |p: &Person| match key {
        "email" => {
            p.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(value))
                || p.additional_emails.iter().any(|e| e.eq_ignore_ascii_case(value))
        }
        "phone" => p.phone_number.as_deref() == Some(value) || p.additional_phone_numbers.iter().any(|x| x == value),
        _ => p.external_id.as_deref() == Some(value),
    };
    let mut out: Vec<u64> = Vec::new();
    if let Some(i) = seed_guess.filter(|i| *i < st.seed_end_users) {
        if !st.end_user_overrides.contains_key(&i) && hit(&model::end_user(i)) {
            out.push(i);
        }
    }
    out.extend(st.end_user_overrides.iter().filter(|(_, p)| hit(p)).map(|(i, _)| *i));
    out.extend(
        st.created_end_users.iter().enumerate().filter(|(_, p)| hit(p)).map(|(k, _)| st.seed_end_users + k as u64),
    );
    out.sort_unstable();
    out.dedup();
    out
}

/// `GET /v1/endusers`: paginated; filters `email`, `phone`, `externalId`.
pub(crate) async fn list(State(app): AppState, uri: Uri) -> Result<Response, ApiError> {
    let req = pagination::parse(uri.query(), "endusers", &["email", "phone", "externalId"], None)?;
    if req.filters.contains_key("email") && req.filters.contains_key("phone") {
        return Err(ApiError::bad_request("Invalid filters: Cannot provide both phone number and email address"));
    }
    let resp = {
        let st = app.read();
        match req.filters.iter().next() {
            None => {
                let total = st.end_user_count() as usize;
                let (range, meta) = req.window(&app, uri.path(), "/v1/endusers", total);
                let items: Vec<Person> = range.filter_map(|i| st.end_user(i as u64)).collect();
                page(&items, meta)
            }
            Some((k, v)) => {
                let idx = filtered(&st, k, v);
                let (range, meta) = req.window(&app, uri.path(), "/v1/endusers", idx.len());
                let items: Vec<Person> = idx[range].iter().filter_map(|i| st.end_user(*i)).collect();
                page(&items, meta)
            }
        }
    };
    app.page_delay().await;
    Ok(resp)
}

/// Serializes one page (a helper so both branches of `list` share it).
fn page(items: &[Person], meta: Option<pagination::Meta>) -> Response {
    json_response(200, &PageBody { data: items, meta })
}

fn new_end_user(index: u64, input: &Map<String, Value>) -> Result<Person, String> {
    let mut p = Person {
        id: uuid(Kind::EndUser, index),
        created_at: rfc3339(EPOCH + 86_400 * 400 + (index % 86_400) as i64),
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
        roles: None,
    };
    apply_patch(&mut p, input, true, true)?;
    if p.email.is_none() && p.phone_number.is_none() {
        return Err("An end user needs an email address or a phone number".to_owned());
    }
    if p.display_name.is_empty() {
        p.display_name = p.email.clone().or_else(|| p.phone_number.clone()).unwrap_or_default();
    }
    Ok(p)
}

/// `POST /v1/endusers`: create one end user (201).
pub(crate) async fn create(State(app): AppState, body: Bytes) -> Result<Response, ApiError> {
    let input = object_body(&body)?;
    let mut st = app.write();
    let index = st.end_user_count();
    let p = new_end_user(index, &input)
        .map_err(|m| ApiError::bad_request(format!("Validation failure during end user creation: {m}")))?;
    st.created_end_users.push(p.clone());
    Ok(with_effect(data_with_status(201, p)))
}

/// `POST /v1/endusers/bulk`: create end users, one outcome each (201).
pub(crate) async fn bulk_create(State(app): AppState, body: Bytes) -> Result<Response, ApiError> {
    let items = bulk_items(&body)?;
    let mut st = app.write();
    let mut outcomes = Vec::with_capacity(items.len());
    let mut changed = false;
    for item in &items {
        let index = st.end_user_count();
        let result = item
            .as_object()
            .ok_or_else(|| "Invalid value: expected an object".to_owned())
            .and_then(|input| new_end_user(index, input));
        match result {
            Ok(p) => {
                outcomes.push(bulk_success(json!(p)));
                st.created_end_users.push(p);
                changed = true;
            }
            Err(m) => outcomes.push(bulk_failure("Validation", None, &m)),
        }
    }
    let resp = data_with_status(201, outcomes);
    Ok(if changed { with_effect(resp) } else { resp })
}

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
        if !crate::data::looks_like_uuid(id) {
            outcomes.push(bulk_failure(
                "Validation",
                Some(id),
                &format!("Invalid value for field id: [{id}] is not a UUID"),
            ));
            continue;
        }
        let Some(index) = st.end_user_index(id) else {
            outcomes.push(bulk_failure("NotFound", Some(id), &format!("End user [{id}] could not be found")));
            continue;
        };
        if require_display_name && !fields.contains_key("displayName") {
            outcomes.push(bulk_failure("Validation", Some(id), "Invalid value for field displayName: required"));
            continue;
        }
        let Some(mut p) = st.end_user(index) else {
            outcomes.push(bulk_failure("NotFound", Some(id), &format!("End user [{id}] could not be found")));
            continue;
        };
        match apply_patch(&mut p, fields, true, true) {
            Err(m) => outcomes.push(bulk_failure("Validation", Some(id), &m)),
            Ok(false) => {
                outcomes.push(bulk_failure("EmptyPatchSet", Some(id), "The patch contains no fields to change"))
            }
            Ok(true) => {
                outcomes.push(bulk_success(json!(p)));
                st.put_end_user(index, p);
                changed = true;
            }
        }
    }
    let resp = ok_data(outcomes);
    Ok(if changed { with_effect(resp) } else { resp })
}

/// `PATCH /v1/endusers`: bulk patch with mixed outcomes.
pub(crate) async fn bulk_patch(State(app): AppState, body: Bytes) -> Result<Response, ApiError> {
    bulk_change(&app, &body, false)
}

/// `PUT /v1/endusers`: bulk update with mixed outcomes.
pub(crate) async fn bulk_update(State(app): AppState, body: Bytes) -> Result<Response, ApiError> {
    bulk_change(&app, &body, true)
}

/// `GET /v1/endusers/{userId}`.
pub(crate) async fn get_one(State(app): AppState, Path(id): Path<String>) -> Result<Response, ApiError> {
    require_uuid("userId", &id)?;
    let st = app.read();
    st.end_user_index(&id).and_then(|i| st.end_user(i)).map(ok_data).ok_or_else(|| not_found(&id))
}

fn change_one(app: &App, id: &str, body: &Bytes, require_display_name: bool) -> Result<Response, ApiError> {
    require_uuid("userId", id)?;
    let fields = object_body(body)?;
    if require_display_name && !fields.contains_key("displayName") {
        return Err(ApiError::bad_request("Invalid value for: body (displayName is required)"));
    }
    let mut st = app.write();
    let index = st.end_user_index(id).ok_or_else(|| not_found(id))?;
    let mut p = st.end_user(index).ok_or_else(|| not_found(id))?;
    apply_patch(&mut p, &fields, true, true)
        .map_err(|m| ApiError::bad_request(format!("Validation failure during update: {m}")))?;
    st.put_end_user(index, p.clone());
    Ok(with_effect(ok_data(p)))
}

/// `PATCH /v1/endusers/{userId}`.
pub(crate) async fn patch_one(State(app): AppState, Path(id): Path<String>, body: Bytes) -> Result<Response, ApiError> {
    change_one(&app, &id, &body, false)
}

/// `PUT /v1/endusers/{userId}`.
pub(crate) async fn update_one(
    State(app): AppState,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    change_one(&app, &id, &body, true)
}

/// `GET /v1/endusers/{userId}/conversations`: paginated conversations the
/// user requested, of several channels (schema `Conversation`).
pub(crate) async fn conversations(
    State(app): AppState,
    Path(id): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    require_uuid("userId", &id)?;
    let resource = format!("enduser-conversations:{id}");
    let req = pagination::parse(uri.query(), &resource, &[], None)?;
    let resp = {
        let st = app.read();
        let user = st.end_user_index(&id).ok_or_else(|| not_found(&id))?;
        let ctx = st.conv_ctx;
        // Conversation i belongs to user i % pool: user u owns u, u+pool, ...
        let owned = if user < ctx.pool && user < st.conversations {
            ((st.conversations - user - 1) / ctx.pool + 1) as usize
        } else {
            0
        };
        let (range, meta) = req.window(&app, uri.path(), uri.path(), owned);
        let items: Vec<Value> = range.map(|k| model::conversation(user + k as u64 * ctx.pool, &ctx)).collect();
        json_response(200, &PageBody { data: &items, meta })
    };
    app.page_delay().await;
    Ok(resp)
}
