//! Bulk outcomes end to end: mixed outcomes from the fake Dixa partitioned
//! correctly, 25 queue members chunked into 10 + 10 + 5 with merged outcomes,
//! the 204 answer of member removal, and a run stopped by a failing call.

mod loopback_server;

use dixa_client_ext::bulk::{BulkErrorKind, BulkOutcomes, SendChunked};
use dixa_client_ext::client::DixaClient;
use dixa_client_ext::config::Config;
use dixa_client_ext::error::Error;
use dixa_client_ext::rate_limit::RateLimit;
use dixa_client_ext::types;
use dixa_fake::FakeDixa;
use loopback_server::{Recorded, Reply, Server};
use serde_json::{json, Value};
use uuid::Uuid;

fn client(base: &str) -> DixaClient {
    DixaClient::new(Config::new("test-key-not-secret").base_url(base).rate_limit(RateLimit::off())).expect("client")
}

fn uuid(s: &str) -> Uuid {
    s.parse().expect("uuid")
}

/// A UUID that is no agent of the fake.
fn stranger(n: u8) -> Uuid {
    Uuid::from_bytes([0xee, n, 0, 0, 0, 0, 0x40, 0, 0x80, 0, 0, 0, 0, 0, 0, n])
}

const MEMBERS: &str = "/v1/queues/{queueId}/members";

#[tokio::test]
async fn mixed_queue_outcomes_from_the_fake_are_partitioned() {
    let fake = FakeDixa::builder().agents(12).spawn().await;
    let c = client(&fake.base_url());
    let queue = fake.queue_id(0);
    let ids = vec![uuid(&fake.agent_id(1)), stranger(1), uuid(&fake.agent_id(2)), stranger(2)];
    let outcomes = c.assign_members().queue_id(uuid(&queue)).send_chunked(ids.clone()).await.expect("one call");

    assert_eq!((outcomes.len(), outcomes.success_count(), outcomes.failure_count()), (4, 2, 2));
    let ok: Vec<(usize, Uuid)> = outcomes.successes().iter().map(|s| (s.index, s.value)).collect();
    assert_eq!(ok, [(0, ids[0]), (2, ids[2])]);
    for (failure, (index, id)) in outcomes.failures().iter().zip([(1, ids[1]), (3, ids[3])]) {
        assert_eq!(failure.index, index);
        assert_eq!(failure.kind, BulkErrorKind::NotFound);
        assert_eq!(failure.id.as_deref(), Some(id.to_string().as_str()));
        assert!(failure.message.as_deref().is_some_and(|m| m.contains("could not be found")), "{failure:?}");
    }
    let err = outcomes.into_result().unwrap_err();
    assert_eq!(err.failures().len(), 2);
    assert!(err.to_string().starts_with("2 of 4 bulk items failed (NotFound: 2)"), "{err}");
    assert_eq!(fake.stats().received("PATCH", MEMBERS), 1);
}

#[tokio::test]
async fn twenty_five_members_go_out_as_ten_ten_five_and_merge() {
    let fake = FakeDixa::builder().agents(30).spawn().await;
    let c = client(&fake.base_url());
    // Every fifth id is unknown to the fake: items 4, 9, 14, 19, 24.
    let ids: Vec<Uuid> =
        (0..25).map(|i| if i % 5 == 4 { stranger(i as u8) } else { uuid(&fake.agent_id(i)) }).collect();
    let outcomes = c.assign_members().queue_id(uuid(&fake.queue_id(1))).send_chunked(ids.clone()).await.expect("run");

    // The fake refuses more than 10 ids per call with a 400: three calls
    // that all succeeded prove the chunking.
    assert_eq!(fake.stats().received("PATCH", MEMBERS), 3);
    assert_eq!(outcomes.len(), 25);
    assert_eq!(outcomes.success_count(), 20);
    let failed: Vec<(usize, String)> =
        outcomes.failures().iter().map(|f| (f.index, f.id.clone().unwrap_or_default())).collect();
    let expected: Vec<(usize, String)> = [4, 9, 14, 19, 24].iter().map(|&i| (i, ids[i].to_string())).collect();
    assert_eq!(failed, expected, "positions continue across chunks");
    let succeeded: Vec<Uuid> = outcomes.successes().iter().map(|s| s.value).collect();
    let expected_ok: Vec<Uuid> = ids.iter().enumerate().filter(|(i, _)| i % 5 != 4).map(|(_, id)| *id).collect();
    assert_eq!(succeeded, expected_ok);
}

#[tokio::test]
async fn chunks_carry_the_documented_body_and_are_sequential() {
    let server = Server::start_fn(|req: &Recorded| {
        let ids = req.json()["agentIds"].as_array().cloned().unwrap_or_default();
        let data: Vec<Value> = ids.into_iter().map(|id| json!({"_type": "BulkActionSuccess", "data": id})).collect();
        Reply::ok_json(json!({ "data": data }))
    })
    .await;
    let c = client(&server.base_url());
    let ids: Vec<Uuid> = (0..25).map(stranger).collect();
    let outcomes = c.assign_members().queue_id(stranger(200)).send_chunked(ids.clone()).await.unwrap();
    assert!(outcomes.all_succeeded());
    let requests = server.requests();
    let sizes: Vec<usize> = requests.iter().map(|r| r.json()["agentIds"].as_array().unwrap().len()).collect();
    assert_eq!(sizes, [10, 10, 5]);
    let sent: Vec<String> = requests
        .iter()
        .flat_map(|r| r.json()["agentIds"].as_array().unwrap().clone())
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(sent, ids.iter().map(Uuid::to_string).collect::<Vec<_>>(), "input order kept");
    for r in &requests {
        assert_eq!((r.method.as_str(), r.path()), ("PATCH", format!("/v1/queues/{}/members", stranger(200)).as_str()));
    }
    assert_eq!(outcomes.into_result().unwrap(), ids);
}

#[tokio::test]
async fn removing_members_counts_a_204_as_success_for_every_id() {
    let fake = FakeDixa::builder().agents(30).spawn().await;
    let c = client(&fake.base_url());
    let ids: Vec<Uuid> = (0..12).map(|i| uuid(&fake.agent_id(i))).collect();
    let outcomes =
        c.remove_members_bulk().queue_id(uuid(&fake.queue_id(0))).send_chunked(ids.clone()).await.expect("run");
    assert_eq!(fake.stats().received("DELETE", MEMBERS), 2, "10 + 2");
    assert_eq!(outcomes.into_result().unwrap(), ids);
}

#[tokio::test]
async fn a_failing_call_stops_the_run_and_keeps_what_completed() {
    let server = Server::start_fn(|req: &Recorded| {
        let ids = req.json()["agentIds"].as_array().cloned().unwrap_or_default();
        if ids.first() == Some(&json!(stranger(10).to_string())) {
            return Reply::json(404, r#"{"message":"Queue not found"}"#);
        }
        let data: Vec<Value> = ids.into_iter().map(|id| json!({"_type": "BulkActionSuccess", "data": id})).collect();
        Reply::ok_json(json!({ "data": data }))
    })
    .await;
    let c = client(&server.base_url());
    let ids: Vec<Uuid> = (0..25).map(stranger).collect();
    let stopped = c.assign_members().queue_id(stranger(201)).send_chunked(ids.clone()).await.unwrap_err();
    assert!(matches!(&stopped.error, Error::Api { status, .. } if status.as_u16() == 404), "{:?}", stopped.error);
    assert_eq!(stopped.completed.success_count(), 10);
    assert_eq!(stopped.in_failed_chunk, 10);
    assert_eq!(stopped.remaining, ids[10..].to_vec());
    assert_eq!(server.requests().len(), 2, "the third chunk is never sent");
}

#[tokio::test]
async fn a_chunk_size_above_the_limit_is_refused_before_sending() {
    let server = Server::start_fn(|_: &Recorded| Reply::ok_json(json!({"data": []}))).await;
    let c = client(&server.base_url());
    let stopped = c.assign_members().queue_id(stranger(201)).send_chunked_by(vec![stranger(1)], 11).await.unwrap_err();
    assert!(matches!(stopped.error, Error::InvalidInput { what: "bulk chunk size", .. }));
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn bulk_agent_patch_through_the_fake_types_every_outcome_kind() {
    let fake = FakeDixa::builder().agents(3).spawn().await;
    let c = client(&fake.base_url());
    let patch = |v: Value| -> types::BulkPatchAgentInput { serde_json::from_value(v).unwrap() };
    let missing = stranger(7).to_string();
    let inputs = vec![
        patch(json!({"id": fake.agent_id(0), "displayName": "Renamed Agent"})),
        patch(json!({"id": missing})),
        patch(json!({"id": fake.agent_id(1)})),
    ];
    let outcomes: BulkOutcomes<types::Agent> = c.patch_agents_bulk().send_chunked(inputs).await.expect("run");
    assert_eq!(fake.stats().received("PATCH", "/v1/agents"), 1);
    assert_eq!(outcomes.len(), 3);
    let ok = &outcomes.successes()[0];
    assert_eq!((ok.index, ok.value.display_name.as_str()), (0, "Renamed Agent"));
    let kinds: Vec<(usize, BulkErrorKind, Option<String>)> =
        outcomes.failures().iter().map(|f| (f.index, f.kind.clone(), f.id.clone())).collect();
    assert_eq!(
        kinds,
        [(1, BulkErrorKind::NotFound, Some(missing)), (2, BulkErrorKind::EmptyPatchSet, Some(fake.agent_id(1))),]
    );
    let counts = outcomes.failure_counts();
    assert_eq!((counts[&BulkErrorKind::NotFound], counts[&BulkErrorKind::EmptyPatchSet]), (1, 1));
}

#[tokio::test]
async fn team_membership_changes_count_204_as_success() {
    let fake = FakeDixa::builder().agents(9).spawn().await;
    let c = client(&fake.base_url());
    let team = fake.team_id(0);
    let ids: Vec<Uuid> = (0..9).map(|i| uuid(&fake.agent_id(i))).collect();
    let added = c.add_members().team_id(uuid(&team)).send_chunked(ids.clone()).await.expect("add");
    assert_eq!(added.into_result().unwrap(), ids);
    let removed = c.remove_members().team_id(uuid(&team)).send_chunked(ids[..3].to_vec()).await.expect("remove");
    assert_eq!(removed.success_count(), 3);
    assert_eq!(fake.stats().received("PATCH", "/v1/teams/{teamId}/agents"), 1);
    assert_eq!(fake.stats().received("DELETE", "/v1/teams/{teamId}/agents"), 1);
}

/// The rule marks exactly the operations whose body is one list of items
/// answered with per-item outcomes or nothing as bulk (the eleven of the
/// snapshot spec and the newer spec's bulk tagging), each with a limit of at
/// least 1; the newer spec's list-bodied article translations, answered with
/// the stored list, are not bulk.
#[test]
fn the_bulk_operations_of_the_table_are_the_list_bodied_ones() {
    let mut bulk: Vec<(&str, &str)> =
        dixa_client::OPERATIONS.iter().filter(|o| o.bulk.is_some()).map(|o| (o.method, o.path)).collect();
    bulk.sort();
    assert_eq!(
        bulk,
        [
            ("DELETE", "/v1/queues/{queueId}/members"),
            ("DELETE", "/v1/teams/{teamId}/agents"),
            ("PATCH", "/v1/agents"),
            ("PATCH", "/v1/endusers"),
            ("PATCH", "/v1/queues/{queueId}/members"),
            ("PATCH", "/v1/teams/{teamId}/agents"),
            ("POST", "/v1/agents/bulk"),
            ("POST", "/v1/conversations/{conversationId}/notes/bulk"),
            ("POST", "/v1/conversations/{conversationId}/tags/bulk"),
            ("POST", "/v1/endusers/bulk"),
            ("PUT", "/v1/agents"),
            ("PUT", "/v1/endusers"),
        ]
    );
    assert!(dixa_client::OPERATIONS.iter().filter_map(|o| o.bulk).all(|l| l.max_items >= 1));
}
