//! `/v1/analytics/records`: the one POST list, paged by re-posting the same
//! body with `?pageKey=` from `meta.next`.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use bytes::Bytes;
use http::Uri;
use serde_json::{json, Value};

use super::json_body;
use crate::data::{pick, rfc3339, uuid, Kind, EPOCH};
use crate::error::ApiError;
use crate::model::{CONVERSATION_TYPES, FIRST_CONVERSATION_ID};
use crate::pagination::{self, PageBody};
use crate::server::{json_response, App};

type AppState = State<Arc<App>>;

/// The record ids the fake knows, with their descriptions.
const RECORDS: [(&str, &str); 3] = [
    ("closed_conversations", "Conversations closed in the period, one record per conversation"),
    ("created_conversations", "Conversations created in the period, one record per conversation"),
    ("messages", "Messages sent or received in the period"),
];

/// `GET /v1/analytics/records`: paginated `MetricRecordMetadata`.
pub(crate) async fn list_records(State(app): AppState, uri: Uri) -> Result<Response, ApiError> {
    let req = pagination::parse(uri.query(), "analytics-records", &[], None)?;
    let (range, meta) = req.window(&app, uri.path(), "/v1/analytics/records", RECORDS.len());
    let data: Vec<Value> = RECORDS[range]
        .iter()
        .map(|(id, description)| {
            json!({
                "id": id,
                "description": description,
                "filters": [
                    { "filterAttribute": "channel", "description": "The conversation channel" },
                    { "filterAttribute": "initial_direction", "description": "INBOUND or OUTBOUND" }
                ],
                "fieldsMetadata": [
                    { "field": "conversation_id", "description": "The conversation id", "nullable": false },
                    { "field": "channel", "description": "The conversation channel", "nullable": false },
                    { "field": "assignee_id", "description": "The assigned agent", "nullable": true }
                ],
                "relatedMetricIds": [id],
            })
        })
        .collect();
    let resp = json_response(200, &PageBody { data: &data, meta });
    app.page_delay().await;
    Ok(resp)
}

/// `POST /v1/analytics/records` with a `GetMetricRecordsDataInput` body:
/// paginated `MetricRecord`s. A `pageKey` is only valid with the same body.
pub(crate) async fn records_data(State(app): AppState, uri: Uri, body: Bytes) -> Result<Response, ApiError> {
    let input = json_body(&body)?;
    let Some(obj) = input.as_object() else {
        return Err(ApiError::invalid_body("expected a JSON object"));
    };
    let id = obj.get("id").and_then(Value::as_str).ok_or_else(|| ApiError::invalid_body("id is required"))?;
    if !RECORDS.iter().any(|(r, _)| *r == id) {
        return Err(ApiError::bad_request(format!("Unknown record id [{id}]")));
    }
    if !obj.get("timezone").is_some_and(Value::is_string) {
        return Err(ApiError::invalid_body("timezone is required"));
    }
    match obj.get("periodFilter").and_then(|p| p.get("_type")).and_then(Value::as_str) {
        Some("Preset" | "Interval") => {}
        _ => return Err(ApiError::invalid_body("periodFilter with _type Preset or Interval is required")),
    }
    let req = pagination::parse(uri.query(), "analytics-records-data", &[], Some(pagination::body_hash(&input)))?;
    let resp = {
        let st = app.read();
        let total = st.conversations as usize;
        let agents = st.conv_ctx.agents;
        let (range, meta) = req.window(&app, uri.path(), "/v1/analytics/records", total);
        let data: Vec<Value> = range
            .map(|i| {
                let i = i as u64;
                let (_, channel) = CONVERSATION_TYPES[(i % CONVERSATION_TYPES.len() as u64) as usize];
                let mut fields = vec![
                    json!({ "name": "conversation_id", "field": { "_type": "LongField", "value": FIRST_CONVERSATION_ID + i } }),
                    json!({ "name": "channel", "field": { "_type": "StringField", "value": channel.to_ascii_lowercase() } }),
                ];
                if agents > 0 {
                    fields.push(json!({
                        "name": "assignee_id",
                        "field": { "_type": "UUIDField", "value": uuid(Kind::Agent, pick(i, 9) % agents) },
                    }));
                }
                json!({
                    "primaryTimestampField": { "name": "closed_at", "timestamp": rfc3339(EPOCH + 86_400 * 11 + i as i64 * 1_811) },
                    "value": { "_type": "LongField", "value": 1 },
                    "fields": fields,
                })
            })
            .collect();
        json_response(200, &PageBody { data: &data, meta })
    };
    app.page_delay().await;
    Ok(resp)
}

/// The metric ids the fake knows, with their descriptions.
const METRICS: [(&str, &str, &str); 4] = [
    ("closed_conversations", "Number of conversations closed in the period", "closed_conversations"),
    ("created_conversations", "Number of conversations created in the period", "created_conversations"),
    ("first_response_time", "Time until the first agent response", "messages"),
    ("messages_sent", "Messages sent by agents", "messages"),
];

/// `GET /v1/analytics/metrics`: paginated `MetricMetadata`.
pub(crate) async fn list_metrics(State(app): AppState, uri: Uri) -> Result<Response, ApiError> {
    let req = pagination::parse(uri.query(), "analytics-metrics", &[], None)?;
    let (range, meta) = req.window(&app, uri.path(), "/v1/analytics/metrics", METRICS.len());
    let data: Vec<Value> = METRICS[range]
        .iter()
        .map(|(id, description, record)| {
            json!({
                "id": id,
                "description": description,
                "filters": [{ "filterAttribute": "channel", "description": "The conversation channel" }],
                "aggregations": [
                    { "measure": "Count", "description": "How many" },
                    { "measure": "Average" }
                ],
                "relatedRecordIds": [record],
            })
        })
        .collect();
    let resp = json_response(200, &PageBody { data: &data, meta });
    app.page_delay().await;
    Ok(resp)
}

/// `GET /v1/analytics/filter/{filterAttribute}`: paginated `FilterValue`s
/// for `channel`, `initial_direction`, `queue_id` and `agent_id`.
pub(crate) async fn filter_values(
    State(app): AppState,
    axum::extract::Path(attribute): axum::extract::Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let resource = format!("analytics-filter:{attribute}");
    let req = pagination::parse(uri.query(), &resource, &[], None)?;
    let values: Vec<Value> = {
        let st = app.read();
        match attribute.as_str() {
            "channel" => CONVERSATION_TYPES
                .iter()
                .map(|(_, c)| c.to_ascii_lowercase())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .map(|c| json!({ "value": c }))
                .collect(),
            "initial_direction" => vec![
                json!({ "value": "INBOUND", "label": "Inbound" }),
                json!({ "value": "OUTBOUND", "label": "Outbound" }),
            ],
            "queue_id" => st.queues.iter().map(|q| json!({ "value": q.id, "label": q.name })).collect(),
            "agent_id" => st.active_agents().map(|(_, a)| json!({ "value": a.id, "label": a.display_name })).collect(),
            _ => return Err(ApiError::not_found("Filter attribute", &attribute)),
        }
    };
    let path = uri.path().to_owned();
    let (range, meta) = req.window(&app, &path, &path, values.len());
    let resp = json_response(200, &PageBody { data: &values[range], meta });
    app.page_delay().await;
    Ok(resp)
}
