//! The fake checks every request against the wire spec and answers a
//! violation as Dixa does: 400 `{"message": ...}` naming the field. And it
//! answers operations it keeps no state for, with the right route.

use dixa_fake::{wire, FakeDixa};
use serde_json::{json, Value};

/// A schema-valid body for an operation of the spec (the fake's sampler),
/// and the operation's success status: a test then breaks one field, so it
/// keeps testing that field when the spec adds others.
fn valid_body(method: &str, template: &str) -> (Value, u16) {
    let op = wire::operations()
        .iter()
        .find(|op| op.method.as_str() == method && op.template == template)
        .unwrap_or_else(|| panic!("{method} {template} is an operation of the spec"));
    let body = op.body.as_ref().expect("the operation takes a body");
    (wire::sample(&body.schema, "body"), op.success.0)
}

/// Sends `method path` with an optional JSON body; status and message.
async fn call(fake: &FakeDixa, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, String) {
    let mut req = reqwest::Client::new().request(method, format!("{}{path}", fake.base_url()));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("send");
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    (status, body["message"].as_str().unwrap_or_default().to_owned())
}

fn assert_names(result: (u16, String), field: &str) {
    let (status, message) = result;
    assert_eq!(status, 400, "{message}");
    assert!(message.starts_with("Invalid value for:"), "Dixa's wording: {message}");
    assert!(message.contains(field), "the message names {field}: {message}");
}

#[tokio::test]
async fn a_missing_required_field_is_refused_by_name() {
    let fake = FakeDixa::builder().spawn().await;
    let r = call(&fake, reqwest::Method::POST, "/v1/agents", Some(json!({ "displayName": "No Mail" }))).await;
    assert_names(r, "body.email (missing required field)");
    let r = call(&fake, reqwest::Method::POST, "/v1/webhooks", Some(json!({ "name": "n", "url": "https://x" }))).await;
    assert_names(r, "body.authorization");
    // A required body that is absent.
    let r = call(&fake, reqwest::Method::POST, "/v1/tags", None).await;
    assert_names(r, "body");
    // An optional body may be absent, but what is sent must be JSON.
    let close = format!("{}/v1/conversations/{}/close", fake.base_url(), fake.conversation_id(0));
    let c = reqwest::Client::new();
    assert_eq!(c.put(&close).send().await.expect("send").status(), 204);
    let r = c.put(&close).header("content-type", "application/json").body("\n").send().await.expect("send");
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn a_wrong_type_is_refused_by_name() {
    let fake = FakeDixa::builder().spawn().await;
    let agent = format!("/v1/agents/{}", fake.agent_id(0));
    let r = call(&fake, reqwest::Method::PATCH, &agent, Some(json!({ "displayName": 5 }))).await;
    assert_names(r, "body.displayName (expected a string, got an integer)");
    // null where the spec does not allow it.
    let r = call(&fake, reqwest::Method::PATCH, &agent, Some(json!({ "phoneNumber": null }))).await;
    assert_names(r, "body.phoneNumber");
    // An empty id among UUIDs.
    let members = format!("/v1/teams/{}/agents", fake.team_id(0));
    let r = call(&fake, reqwest::Method::PATCH, &members, Some(json!({ "agentIds": [fake.agent_id(1), ""] }))).await;
    assert_names(r, "body.agentIds[1]");
    // Parameters are typed too.
    let r = call(&fake, reqwest::Method::GET, "/v1/agents?pageLimit=many", None).await;
    assert_names(r, "query parameter pageLimit");
    let r = call(&fake, reqwest::Method::GET, "/v1/conversations/not-a-number", None).await;
    assert_names(r, "path parameter conversationId");
}

#[tokio::test]
async fn an_unknown_request_enum_value_is_refused_by_name() {
    let fake = FakeDixa::builder().spawn().await;
    let r = call(&fake, reqwest::Method::GET, "/v1/conversations/flows?channel=CarrierPigeon", None).await;
    assert_names(r, "query parameter channel");
    let (mut body, _) = valid_body("POST", "/v1/webhooks");
    body["events"] = json!(["ConversationCreated", "NoSuchEvent"]);
    let r = call(&fake, reqwest::Method::POST, "/v1/webhooks", Some(body)).await;
    assert_names(r, "body.events[1]");
}

#[tokio::test]
async fn a_wrong_type_tag_is_refused_by_name() {
    let fake = FakeDixa::builder().spawn().await;
    let messages = format!("/v1/conversations/{}/messages", fake.conversation_id(0));
    let (valid, success) = valid_body("POST", "/v1/conversations/{conversationId}/messages");
    assert!(valid["_type"].is_string() && valid["content"]["_type"].is_string(), "a tagged sample: {valid}");
    let mut bad = valid.clone();
    bad["_type"] = json!("NoSuchMessage");
    let r = call(&fake, reqwest::Method::POST, &messages, Some(bad)).await;
    assert_names(r, "body._type (unknown tag \"NoSuchMessage\"");
    // The tag decides the variant, so a nested one is checked by its own schema.
    let mut bad = valid.clone();
    bad["content"]["_type"] = json!("NoSuchContent");
    assert_names(call(&fake, reqwest::Method::POST, &messages, Some(bad)).await, "body.content._type");
    let mut untagged = valid.clone();
    untagged.as_object_mut().expect("an object").remove("_type");
    assert_names(call(&fake, reqwest::Method::POST, &messages, Some(untagged)).await, "body._type (missing");
    // The right tags pass the check.
    assert_eq!(call(&fake, reqwest::Method::POST, &messages, Some(valid)).await.0, success);
}

#[tokio::test]
async fn routes_are_the_specs() {
    let fake = FakeDixa::builder().spawn().await;
    // `flows` is a path of its own, not a conversation id.
    let (status, message) = call(&fake, reqwest::Method::GET, "/v1/conversations/flows", None).await;
    assert_eq!(status, 200, "{message}");
    // Operations without state are answered from the spec, with `_type` tags.
    let hook = "0b5c7a52-93f1-4c8e-a4a2-5e0d1c2b3a49";
    let resp = reqwest::get(format!("{}/v1/webhooks/{hook}", fake.base_url())).await.expect("send");
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["data"]["id"], hook, "the path's id is echoed: {body}");
    let resp = reqwest::get(format!("{}/v1/contact-endpoints", fake.base_url())).await.expect("send");
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["data"][0]["_type"], "EmailEndpoint", "{body}");
    let (status, _) = call(
        &fake,
        reqwest::Method::PUT,
        &format!("/v1/conversations/{}/claim", fake.conversation_id(0)),
        Some(json!({ "agentId": fake.agent_id(0) })),
    )
    .await;
    assert_eq!(status, 204);
    // A method the spec lacks on a path it has.
    let (status, _) = call(
        &fake,
        reqwest::Method::POST,
        &format!("/v1/queues/{}/members", fake.queue_id(0)),
        Some(json!({ "agentIds": [] })),
    )
    .await;
    assert_eq!(status, 405);
}
