//! Operations of Dixa's newer spec, end to end: the generated methods
//! through `DixaClient` (auth, limiter, retries, typed errors) against the
//! fake's new routes, and every new fake response round-trips through its
//! generated type.

use dixa_client::types;
use dixa_client_ext::client::DixaClient;
use dixa_client_ext::config::Config;
use dixa_client_ext::error::Error;
use dixa_client_ext::rate_limit::RateLimit;
use dixa_fake::FakeDixa;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

mod loopback_server;

use loopback_server::{Reply, Server};

fn client(base: &str) -> DixaClient {
    DixaClient::new(Config::new("test-key-not-secret").base_url(base).rate_limit(RateLimit::off())).expect("client")
}

/// Fetches `path` raw and checks the body decodes as `T` and re-encodes equal.
async fn round_trips<T: DeserializeOwned + Serialize>(fake: &FakeDixa, path: &str) -> T {
    let raw: Value = reqwest::Client::new()
        .get(format!("{}{path}", fake.base_url()))
        .header("authorization", "test-key-not-secret")
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    let typed: T = serde_json::from_value(raw.clone()).unwrap_or_else(|e| panic!("{path}: {e}\n{raw}"));
    // Response types keep optional lists as plain `Vec`s, which re-encode an
    // empty list as absent (the conformance test's documented exception).
    assert_eq!(serde_json::to_value(&typed).unwrap(), without_empty_lists(raw.clone()), "{path} round-trips");
    typed
}

fn without_empty_lists(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(_, v)| !v.as_array().is_some_and(Vec::is_empty))
                .map(|(k, v)| (k, without_empty_lists(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_empty_lists).collect()),
        other => other,
    }
}

#[tokio::test]
async fn knowledge_articles_are_listed_fetched_and_created() {
    let fake = FakeDixa::builder().spawn().await;
    let c = client(&fake.base_url());
    let collections = c.list_collections().send().await.expect("collections");
    assert_eq!(collections.len(), 3);
    let first = collections[0].id.clone();
    let catalog = c.get_collection_catalog().collection_id(first.clone()).send().await.expect("catalog");
    assert_eq!(catalog.articles.len(), 2);

    let input: types::CreateKnowledgeArticleInput = serde_json::from_value(json!({
        "parentId": first, "tags": ["returns"],
        "translations": [ { "languageId": "en", "title": "Return a parcel", "content": "<p>Print the <b>label</b>.</p>" } ]
    }))
    .unwrap();
    let created = c.create_article().body(input).send().await.expect("create");
    let id = created.id.clone();
    let got = c.get_article().article_id(id.clone()).language("en").send().await.expect("get");
    let draft = &got.translation.as_ref().expect("translation").draft;
    assert_eq!((draft.title.as_str(), draft.contents.plaintext.as_str()), ("Return a parcel", "Print the label."));
    let catalog = c.get_collection_catalog().collection_id(first).send().await.expect("catalog");
    assert!(catalog.articles.iter().any(|a| a.id == id), "the new article is in its collection");

    let empty: types::CreateKnowledgeArticleInput = serde_json::from_value(json!({ "translations": [] })).unwrap();
    match c.create_article().body(empty).send().await {
        Err(Error::Api { status, message, .. }) => {
            assert_eq!(status.as_u16(), 400);
            assert!(message.unwrap_or_default().contains("translations"));
        }
        other => panic!("expected a 400, got {other:?}"),
    }
    match c.get_article().article_id("kb-article-404").send().await {
        Err(Error::Api { status, .. }) => assert_eq!(status.as_u16(), 404),
        other => panic!("expected a 404, got {other:?}"),
    }
}

#[tokio::test]
async fn a_conversation_is_imported_and_exists_afterwards() {
    let fake = FakeDixa::builder().spawn().await;
    let c = client(&fake.base_url());
    let input: types::GenericConversationImport = serde_json::from_value(json!({
        "createdAt": "2024-03-01T10:00:00Z", "direction": "Inbound", "genericChannelName": "legacy-helpdesk",
        "requesterId": fake.end_user_id(1),
        "messages": [
            { "_type": "InboundImport", "createdAt": "2024-03-01T10:00:00Z", "content": { "_type": "Text", "value": "Where is my order?" } },
            { "_type": "OutboundImport", "createdAt": "2024-03-01T10:05:00Z", "agentId": fake.agent_id(0),
              "content": { "_type": "Html", "value": "<p>On its way.</p>" } }
        ]
    }))
    .unwrap();
    let imported = c.import_conversation().body(input).send().await.expect("import");
    assert!(imported.partial_errors.is_empty());
    let got = c.get_conversation().conversation_id(imported.id).send().await.expect("exists");
    assert_eq!(serde_json::to_value(&got).unwrap()["id"], json!(imported.id));

    // A message type the spec does not know is refused by the fake's request
    // validation, naming where it is (the real importer's partial errors are
    // for messages that are valid but cannot be imported).
    let raw = reqwest::Client::new()
        .post(format!("{}/v1/conversations/import", fake.base_url()))
        .header("authorization", "test-key-not-secret")
        .json(&json!({ "createdAt": "2024-03-01T10:00:00Z", "direction": "Outbound", "genericChannelName": "x",
                       "requesterId": fake.end_user_id(2), "messages": [ { "_type": "FaxImport" } ] }))
        .send()
        .await
        .expect("send");
    assert_eq!(raw.status(), 400);
    let body: Value = raw.json().await.expect("a Dixa error body");
    let message = body["message"].as_str().expect("a message");
    assert!(message.contains("messages[0]"), "{message}");
}

#[tokio::test]
async fn bulk_tagging_applies_tags_by_name_and_creates_missing_ones() {
    let fake = FakeDixa::builder().spawn().await;
    let c = client(&fake.base_url());
    let conversation = 10_002_i64; // the seed's second conversation, untagged
    let input: types::BulkTagConversationInput =
        serde_json::from_value(json!({ "data": [ { "name": "VIP" }, { "name": "needs-callback" } ] })).unwrap();
    c.tag_conversation_bulk().conversation_id(conversation).body(input).send().await.expect("202");
    let tags = c.conversations_list_tags().conversation_id(conversation).send().await.expect("tags");
    let mut names: Vec<String> = tags.iter().map(|t| t.name.to_lowercase()).collect();
    names.sort();
    assert_eq!(names, ["needs-callback", "vip"]);
}

#[tokio::test]
async fn business_hours_status_follows_the_schedule() {
    let fake = FakeDixa::builder().spawn().await;
    let c = client(&fake.base_url());
    let schedules = c.list_schedules().send().await.expect("schedules");
    let support = schedules.schedules[0].id.clone();
    // 2024-01-01 was a Monday.
    let open = c
        .get_open_status()
        .schedule_id(support.clone())
        .timestamp("2024-01-01T09:30:00Z")
        .send()
        .await
        .expect("status");
    assert!(open.is_open);
    assert_eq!(open.closes_at.map(|t| t.to_string()).as_deref(), Some("2024-01-01T17:00:00Z"));
    let saturday =
        c.get_open_status().schedule_id(support).timestamp("2024-01-06T12:00:00Z").send().await.expect("status");
    assert!(!saturday.is_open);
    assert_eq!(saturday.opens_at.map(|t| t.to_string()).as_deref(), Some("2024-01-08T08:00:00Z"));
}

#[tokio::test]
async fn the_fakes_new_responses_round_trip_through_their_generated_types() {
    let fake = FakeDixa::builder().spawn().await;
    round_trips::<types::ListKnowledgeCollectionsOutput>(&fake, "/v1/knowledge/collections").await;
    round_trips::<types::GetKnowledgeCollectionCatalogOutput>(
        &fake,
        "/v1/knowledge/collections/kb-collection-1/catalog",
    )
    .await;
    round_trips::<types::GetKnowledgeArticleOutput>(&fake, "/v1/knowledge/articles/kb-article-3").await;
    round_trips::<types::ListBusinessHoursSchedulesOutput>(&fake, "/v1/business-hours/schedules").await;
    round_trips::<types::GetBusinessOpenStatusOutput>(
        &fake,
        "/v1/business-hours/schedules/bh-billing/status?timestamp=2024-01-02T10:00:00Z",
    )
    .await;
}

/// A file upload (a multipart form, which progenitor cannot type) goes out as
/// the caller's bytes with the form's boundary in its content type, through
/// the same pipeline as every call; a missing body sends nothing.
#[tokio::test]
async fn an_upload_sends_the_form_bytes_with_their_boundary() {
    let server = Server::start(vec![Reply::ok_json(json!({"data": []}))]).await;
    let c = client(&server.base_url());
    let form = dixa_client_ext::multipart::Form::new().file("files", "faq.txt", "text/plain", b"hello".to_vec());
    let bytes = form.into_bytes();
    let _ = c.upload_attachments().body(bytes.clone()).send().await;
    let sent = server.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].method, "POST");
    assert_eq!(sent[0].path(), "/v1/knowledge/articles/attachments");
    assert_eq!(sent[0].header("content-type"), Some("multipart/form-data; boundary=dixa-rs-form-boundary-0"));
    assert_eq!(sent[0].body, bytes);
    let err = c.upload_attachments().send().await.expect_err("no body");
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
    assert_eq!(server.count(), 1, "nothing sent without a body");
}
