//! Fault injection, side-effect counting, bulk outcomes and wire shapes.

use std::time::Duration;

use dixa_fake::{FakeDixa, Fault, FaultKind, Method};
use serde_json::{json, Value};

fn client() -> reqwest::Client {
    // No pooling surprises: a reset connection must not poison later requests.
    reqwest::Client::builder().pool_max_idle_per_host(0).build().expect("client")
}

#[tokio::test]
async fn status_faults_hit_the_next_n_matching_requests_only() {
    let fake = FakeDixa::builder().spawn().await;
    let c = client();
    let url = format!("{}/v1/agents", fake.base_url());
    fake.faults().status(Method::GET, "/v1/agents", 503, 2);
    assert_eq!(fake.faults().pending(), 2);
    // Another method on the same path is not matched.
    let r = c.post(&url).json(&json!({})).send().await.expect("send");
    assert_eq!(r.status(), 400, "empty create input is a validation error, not the fault");
    for _ in 0..2 {
        let r = c.get(&url).send().await.expect("send");
        assert_eq!(r.status(), 503);
        let body: Value = r.json().await.expect("json error body");
        assert!(body["message"].is_string());
    }
    assert_eq!(c.get(&url).send().await.expect("send").status(), 200);
    assert_eq!(fake.faults().pending(), 0);
    let stats = fake.stats();
    assert_eq!(stats.received("GET", "/v1/agents"), 3);
    assert_eq!(stats.responses_with_status(503), 2);
}

#[tokio::test]
async fn html_502_and_empty_bodies() {
    let fake = FakeDixa::builder().spawn().await;
    let c = client();
    let url = format!("{}/v1/tags", fake.base_url());
    fake.faults()
        .html_status(Method::GET, "/v1/tags", 502, 1)
        .inject(Fault::new(FaultKind::EmptyStatus(500)).on(Method::GET, "/v1/tags"));
    let r = c.get(&url).send().await.expect("send");
    assert_eq!(r.status(), 502);
    assert_eq!(r.headers()["content-type"], "text/html");
    assert!(r.text().await.expect("text").contains("502 Bad Gateway"));
    let r = c.get(&url).send().await.expect("send");
    assert_eq!(r.status(), 500);
    assert!(r.bytes().await.expect("bytes").is_empty());
}

#[tokio::test]
async fn injected_429_with_and_without_retry_after() {
    let fake = FakeDixa::builder().spawn().await;
    let c = client();
    let url = format!("{}/v1/queues", fake.base_url());
    fake.faults().too_many_requests(Method::GET, "/v1/queues", Some(3), 1).too_many_requests(
        Method::GET,
        "/v1/queues",
        None,
        1,
    );
    let r = c.get(&url).send().await.expect("send");
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "3");
    let r = c.get(&url).send().await.expect("send");
    assert_eq!(r.status(), 429);
    assert!(r.headers().get("retry-after").is_none());
    assert_eq!(c.get(&url).send().await.expect("send").status(), 200);
    assert_eq!(fake.stats().rate_limited(), 0, "faults are not the limiter");
    assert_eq!(fake.stats().responses_with_status(429), 2);
}

#[tokio::test]
async fn connection_reset_sends_no_response() {
    let fake = FakeDixa::builder().spawn().await;
    let c = client();
    let url = format!("{}/v1/agents", fake.base_url());
    fake.faults().connection_reset(Method::GET, "/v1/agents", 1);
    let err = c.get(&url).send().await.expect_err("the connection is reset");
    assert!(err.status().is_none(), "{err:?}");
    assert!(!err.is_timeout(), "{err:?}");
    assert_eq!(c.get(&url).send().await.expect("send").status(), 200);
    assert_eq!(fake.stats().received("GET", "/v1/agents"), 2);
}

#[tokio::test]
async fn truncated_and_cut_bodies_fail_to_read_or_decode() {
    let fake = FakeDixa::builder().spawn().await;
    let c = client();
    let url = format!("{}/v1/agents?pageLimit=20", fake.base_url());
    fake.faults().truncated_body(Method::GET, "/v1/agents", 1);
    let r = c.get(&url).send().await.expect("headers arrive");
    assert_eq!(r.status(), 200);
    assert!(r.bytes().await.is_err(), "the body ends before Content-Length");

    fake.faults().cut_json(Method::GET, "/v1/agents", 1);
    let r = c.get(&url).send().await.expect("send");
    assert_eq!(r.status(), 200);
    let bytes = r.bytes().await.expect("a well-framed body");
    assert!(!bytes.is_empty());
    assert!(serde_json::from_slice::<Value>(&bytes).is_err(), "cut JSON must not parse");
}

#[tokio::test]
async fn slow_responses_trip_a_client_timeout() {
    let fake = FakeDixa::builder().spawn().await;
    let c = reqwest::Client::builder().timeout(Duration::from_millis(100)).build().expect("client");
    let url = format!("{}/v1/teams", fake.base_url());
    fake.faults().slow(Method::GET, "/v1/teams", Duration::from_secs(30), 1);
    let err = c.get(&url).send().await.expect_err("too slow");
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(c.get(&url).send().await.expect("send").status(), 200);
}

#[tokio::test]
async fn side_effects_are_counted_once_per_applied_request() {
    let fake = FakeDixa::builder().spawn().await;
    let c = client();
    let url = format!("{}/v1/tags", fake.base_url());
    // A POST that hits a 503 before the handler: received, no effect.
    fake.faults().status(Method::POST, "/v1/tags", 503, 1);
    let r = c.post(&url).json(&json!({ "name": "returns" })).send().await.expect("send");
    assert_eq!(r.status(), 503);
    let stats = fake.stats();
    assert_eq!((stats.received("POST", "/v1/tags"), stats.side_effects("POST", "/v1/tags")), (1, 0));

    let r = c.post(&url).json(&json!({ "name": "returns", "color": "#123456" })).send().await.expect("send");
    assert_eq!(r.status(), 200, "POST /v1/tags answers 200 since the newer spec");
    let created: Value = r.json().await.expect("json");
    assert_eq!(created["data"]["state"], "Active");
    // The same name again is a conflict, and not a side effect.
    let r = c.post(&url).json(&json!({ "name": "Returns" })).send().await.expect("send");
    assert_eq!(r.status(), 409);
    let stats = fake.stats();
    assert_eq!((stats.received("POST", "/v1/tags"), stats.side_effects("POST", "/v1/tags")), (3, 1));

    // A fault after the handler: the effect happened, the answer was lost.
    fake.faults().inject(Fault::new(FaultKind::ConnectionReset).on(Method::POST, "/v1/tags").after_handler());
    assert!(c.post(&url).json(&json!({ "name": "lost-answer" })).send().await.is_err());
    assert_eq!(fake.stats().side_effects("POST", "/v1/tags"), 2);
    let (_, tags) = (0, c.get(&url).send().await.expect("send").json::<Value>().await.expect("json"));
    assert!(tags["data"].as_array().expect("tags").iter().any(|t| t["name"] == "lost-answer"));
}

#[tokio::test]
async fn tagging_a_conversation_is_a_counted_side_effect() {
    let fake = FakeDixa::builder().conversations(30).spawn().await;
    let c = client();
    let base = fake.base_url();
    let conv = fake.conversation_id(1);
    let tag = fake.tag_id(3);
    let url = format!("{base}/v1/conversations/{conv}/tags/{tag}");
    for _ in 0..2 {
        assert_eq!(c.put(&url).send().await.expect("send").status(), 204);
    }
    let tags: Value =
        c.get(format!("{base}/v1/conversations/{conv}/tags")).send().await.expect("send").json().await.expect("json");
    assert_eq!(tags["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(tags["data"][0]["id"], json!(tag));
    let template = "/v1/conversations/{conversationId}/tags/{tagId}";
    assert_eq!(fake.stats().side_effects("PUT", template), 2);

    // Inactive tags cannot be used; unknown conversations are 404.
    let inactive = format!("{base}/v1/conversations/{conv}/tags/{}", fake.tag_id(8));
    assert_eq!(c.put(&inactive).send().await.expect("send").status(), 400);
    let unknown = format!("{base}/v1/conversations/999999/tags/{tag}");
    assert_eq!(c.put(&unknown).send().await.expect("send").status(), 404);
    assert_eq!(c.delete(&url).send().await.expect("send").status(), 204);
    assert_eq!(fake.stats().side_effects("PUT", template), 2);
    assert_eq!(fake.stats().side_effects("DELETE", template), 1);
}

fn outcome_types(body: &Value) -> Vec<(String, Option<String>)> {
    body["data"]
        .as_array()
        .expect("outcomes")
        .iter()
        .map(|o| (o["_type"].as_str().unwrap_or("?").to_owned(), o["error"]["_type"].as_str().map(str::to_owned)))
        .collect()
}

#[tokio::test]
async fn bulk_agent_patch_returns_mixed_outcomes() {
    let fake = FakeDixa::builder().agents(5).spawn().await;
    let c = client();
    let body = json!([
        { "id": fake.agent_id(0), "displayName": "Renamed Agent" },
        { "id": fake.missing_id(), "displayName": "Ghost" },
        { "id": fake.agent_id(1), "displayName": "" },
        { "id": fake.agent_id(2) },
    ]);
    let r = c.patch(format!("{}/v1/agents", fake.base_url())).json(&body).send().await.expect("send");
    assert_eq!(r.status(), 200);
    let out: Value = r.json().await.expect("json");
    let s = |t: &str, e: Option<&str>| (t.to_owned(), e.map(str::to_owned));
    assert_eq!(
        outcome_types(&out),
        [
            s("BulkActionSuccess", None),
            s("BulkActionFailure", Some("NotFound")),
            s("BulkActionFailure", Some("Validation")),
            s("BulkActionFailure", Some("EmptyPatchSet")),
        ]
    );
    assert_eq!(out["data"][0]["data"]["displayName"], "Renamed Agent");
    assert_eq!(out["data"][1]["error"]["id"], json!(fake.missing_id()));
    assert!(out["data"][2]["error"]["message"].as_str().is_some_and(|m| m.contains("displayName")));
    assert_eq!(fake.stats().side_effects("PATCH", "/v1/agents"), 1);
    let one: Value = c
        .get(format!("{}/v1/agents/{}", fake.base_url(), fake.agent_id(0)))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(one["data"]["displayName"], "Renamed Agent");
}

#[tokio::test]
async fn bulk_end_user_patch_and_agent_bulk_create() {
    let fake = FakeDixa::builder().agents(3).end_users(100).spawn().await;
    let c = client();
    let base = fake.base_url();
    // An id that is no UUID fails the whole request, as the spec's schema says.
    let body = json!({ "data": [
        { "id": fake.end_user_id(7), "externalId": "CRM-NEW" },
        { "id": "not-a-uuid", "displayName": "X" },
    ]});
    let r = c.patch(format!("{base}/v1/endusers")).json(&body).send().await.expect("send");
    assert_eq!(r.status(), 400);
    let message = r.json::<Value>().await.expect("json")["message"].as_str().unwrap_or_default().to_owned();
    assert!(message.contains("body.data[1].id"), "{message}");
    let body = json!({ "data": [
        { "id": fake.end_user_id(7), "externalId": "CRM-NEW" },
        { "id": fake.end_user_id(100), "displayName": "Beyond the seed" },
    ]});
    let out: Value =
        c.patch(format!("{base}/v1/endusers")).json(&body).send().await.expect("send").json().await.expect("json");
    let types: Vec<_> = outcome_types(&out).into_iter().map(|(_, e)| e).collect();
    assert_eq!(types, [None, Some("NotFound".into())]);
    let found: Value =
        c.get(format!("{base}/v1/endusers?externalId=CRM-NEW")).send().await.expect("send").json().await.expect("json");
    assert_eq!(found["data"][0]["id"], json!(fake.end_user_id(7)));

    let body = json!({ "data": [
        { "displayName": "New Person", "email": "new.person@acme.example" },
        { "displayName": "", "email": "empty@acme.example" },
    ]});
    let r = c.post(format!("{base}/v1/agents/bulk")).json(&body).send().await.expect("send");
    assert_eq!(r.status(), 201);
    let out: Value = r.json().await.expect("json");
    let types: Vec<_> = outcome_types(&out).into_iter().map(|(_, e)| e).collect();
    assert_eq!(types, [None, Some("Validation".into())]);
    let agents: Value = c.get(format!("{base}/v1/agents")).send().await.expect("send").json().await.expect("json");
    assert_eq!(agents["data"].as_array().map(Vec::len), Some(4));
}

#[tokio::test]
async fn queue_members_take_at_most_ten_and_delete_carries_a_body() {
    let fake = FakeDixa::builder().agents(20).spawn().await;
    let c = client();
    let url = format!("{}/v1/queues/{}/members", fake.base_url(), fake.queue_id(2));
    let eleven: Vec<String> = (0..11).map(|i| fake.agent_id(i)).collect();
    let r = c.patch(&url).json(&json!({ "agentIds": eleven })).send().await.expect("send");
    assert_eq!(r.status(), 400);
    // Ids that are no UUIDs fail the request, naming the item.
    let r = c.patch(&url).json(&json!({ "agentIds": [fake.agent_id(1), ""] })).send().await.expect("send");
    assert_eq!(r.status(), 400);
    let message = r.json::<Value>().await.expect("json")["message"].as_str().unwrap_or_default().to_owned();
    assert!(message.contains("body.agentIds[1]"), "{message}");
    // The spec has no POST on this path.
    assert_eq!(c.post(&url).json(&json!({ "agentIds": [] })).send().await.expect("send").status(), 405);
    let ids = json!([fake.agent_id(1), fake.missing_id()]);
    let out: Value =
        c.patch(&url).json(&json!({ "agentIds": ids })).send().await.expect("send").json().await.expect("json");
    assert_eq!(out["data"][0], json!({ "_type": "BulkActionSuccess", "data": fake.agent_id(1) }));
    assert_eq!(out["data"][1]["error"]["_type"], "NotFound");
    let members = |v: &Value| -> Vec<String> {
        v["data"].as_array().expect("members").iter().map(|m| m["agentId"].as_str().unwrap_or("").to_owned()).collect()
    };
    let before: Value = c.get(&url).send().await.expect("send").json().await.expect("json");
    assert!(members(&before).contains(&fake.agent_id(1)));
    let r = c.delete(&url).json(&json!({ "agentIds": [fake.agent_id(1)] })).send().await.expect("send");
    assert_eq!(r.status(), 204);
    let after: Value = c.get(&url).send().await.expect("send").json().await.expect("json");
    assert!(!members(&after).contains(&fake.agent_id(1)));
    assert_eq!(fake.stats().side_effects("DELETE", "/v1/queues/{queueId}/members"), 1);
}

#[tokio::test]
async fn team_agents_are_removed_with_a_json_body() {
    let fake = FakeDixa::builder().agents(9).spawn().await;
    let c = client();
    let url = format!("{}/v1/teams/{}/agents", fake.base_url(), fake.team_id(0));
    let list = |v: Value| -> Vec<String> {
        v["data"].as_array().expect("members").iter().map(|m| m["id"].as_str().unwrap_or("").to_owned()).collect()
    };
    let before = list(c.get(&url).send().await.expect("send").json().await.expect("json"));
    assert_eq!(before, [fake.agent_id(0), fake.agent_id(3), fake.agent_id(6)]);
    let r = c.delete(&url).json(&json!({ "agentIds": [fake.agent_id(3)] })).send().await.expect("send");
    assert_eq!(r.status(), 204);
    let after = list(c.get(&url).send().await.expect("send").json().await.expect("json"));
    assert_eq!(after, [fake.agent_id(0), fake.agent_id(6)]);
}

#[tokio::test]
async fn wire_shapes_presence_conversations_and_unknown_variants() {
    let fake =
        FakeDixa::builder().agents(6).end_users(50).conversations(120).with_unknown_conversation_type(12).spawn().await;
    let c = client();
    let base = fake.base_url();
    let presence: Value =
        c.get(format!("{base}/v1/agents/presence")).send().await.expect("send").json().await.expect("json");
    assert_eq!(presence.as_array().map(Vec::len), Some(6), "a bare array: {presence}");
    assert!(presence[0]["connectionStatus"].is_string());

    let conv: Value = c
        .get(format!("{base}/v1/conversations/{}", fake.conversation_id(0)))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(conv["data"]["_type"], "EmailConversation");
    assert!(conv["data"]["fromEmail"].is_string() && conv["data"]["integrationEmail"].is_string());

    let requester = fake.conversation_requester_id(12);
    let url = format!("{base}/v1/endusers/{requester}/conversations?pageLimit=100");
    let list: Value = c.get(&url).send().await.expect("send").json().await.expect("json");
    let types: Vec<&str> = list["data"].as_array().expect("data").iter().filter_map(|c| c["_type"].as_str()).collect();
    assert!(types.contains(&"InstagramConversation"), "{types:?}");
    let distinct: std::collections::BTreeSet<&str> = types.iter().copied().collect();
    assert!(distinct.len() >= 9, "several channels per user: {distinct:?}");
    for known in ["EmailConversation", "PstnPhoneConversation", "SmsConversation", "MessengerConversation"] {
        assert!(types.contains(&known), "{known} missing from {types:?}");
    }
    assert!(list["data"].as_array().expect("data").iter().all(|c| c["requesterId"] == json!(requester)));

    let msgs: Value = c
        .get(format!("{base}/v1/conversations/{}/messages", fake.conversation_id(0)))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(msgs["data"][0]["attributes"]["_type"], "EmailAttributes");
    assert_eq!(msgs["data"][0]["attributes"]["emailContent"]["_type"], "Regular");

    let r = c.get(format!("{base}/v1/no/such/thing")).send().await.expect("send");
    assert_eq!(r.status(), 404);
    let body: Value = r.json().await.expect("json");
    assert!(body["message"].is_string());
    let r = c.delete(format!("{base}/v1/tags")).send().await.expect("send");
    assert_eq!(r.status(), 405);
    let body: Value = r.json().await.expect("json");
    assert!(body["message"].is_string());
    let stats = fake.stats();
    assert_eq!(stats.unmatched().values().sum::<u64>(), 2, "{stats:?}");
    assert_eq!((stats.responses_with_status(404), stats.responses_with_status(405)), (1, 1));
}

#[tokio::test]
async fn dedicated_runtime_and_shutdown() {
    let fake = FakeDixa::builder().agents(2).spawn_dedicated().expect("spawn");
    let c = client();
    let url = format!("{}/v1/agents", fake.base_url());
    assert_eq!(c.get(&url).send().await.expect("send").status(), 200);
    drop(fake);

    let fake = FakeDixa::builder().spawn().await;
    let url = format!("{}/v1/agents", fake.base_url());
    assert_eq!(c.get(&url).send().await.expect("send").status(), 200);
    fake.shutdown().await;
    assert!(c.get(&url).send().await.is_err(), "nothing listens after shutdown");
}
