//! Malformed requests never break the fake: every one gets a JSON
//! `{"message": ...}` 4xx (never a 5xx or a dropped connection), and the
//! server keeps serving afterwards.

use base64::Engine as _;
use dixa_fake::FakeDixa;
use serde_json::{json, Value};

/// A `pageKey` as the fake encodes it, with whatever numbers we like.
fn cursor(resource: &str, offset: u64, limit: u64) -> String {
    let raw = json!({"r": resource, "o": offset, "l": limit}).to_string();
    base64::engine::general_purpose::STANDARD.encode(raw)
}

#[tokio::test]
async fn malformed_requests_get_a_json_400_and_the_fake_keeps_serving() {
    let fake = FakeDixa::builder().spawn().await;
    let base = fake.base_url();
    let c = reqwest::Client::new();
    let agent = fake.agent_id(0);
    let user = fake.end_user_id(0);
    let conv = fake.conversation_id(0);
    let tag = fake.tag_id(0);
    let queue = fake.queue_id(0);
    let team = fake.team_id(0);
    let paths: Vec<String> = vec![
        "/v1/agents".into(),
        "/v1/agents/bulk".into(),
        "/v1/agents/presence".into(),
        format!("/v1/agents/{agent}"),
        "/v1/agents/not-a-uuid".into(),
        format!("/v1/agents/{agent}/presence"),
        format!("/v1/agents/{agent}/teams"),
        "/v1/endusers".into(),
        "/v1/endusers/bulk".into(),
        format!("/v1/endusers/{user}"),
        format!("/v1/endusers/{user}/conversations"),
        "/v1/conversations/activitylog".into(),
        format!("/v1/conversations/{conv}"),
        "/v1/conversations/-1".into(),
        "/v1/conversations/99999999999999999999999".into(),
        format!("/v1/conversations/{conv}/activitylog"),
        format!("/v1/conversations/{conv}/messages"),
        format!("/v1/conversations/{conv}/tags"),
        format!("/v1/conversations/{conv}/tags/{tag}"),
        format!("/v1/conversations/{conv}/notes/bulk"),
        "/v1/search/conversations/".into(),
        "/v1/tags".into(),
        format!("/v1/tags/{tag}"),
        format!("/v1/tags/{tag}/activate"),
        "/v1/queues".into(),
        format!("/v1/queues/{queue}"),
        format!("/v1/queues/{queue}/members"),
        "/v1/teams".into(),
        format!("/v1/teams/{team}"),
        format!("/v1/teams/{team}/agents"),
        format!("/v1/teams/{team}/presence"),
        "/v1/analytics/records".into(),
        "/v1/analytics/metrics".into(),
        "/v1/analytics/filter/channel".into(),
    ];
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let bodies: Vec<Option<Vec<u8>>> = vec![
        None,
        Some(b"{".to_vec()),
        Some(b"null".to_vec()),
        Some(b"[]".to_vec()),
        Some(b"{}".to_vec()),
        Some(b"{\"data\": 5}".to_vec()),
        Some(b"{\"data\": [1, \"x\", null, {}]}".to_vec()),
        Some(b"{\"agentIds\": [1, 2]}".to_vec()),
        Some(b"{\"agentIds\": \"x\"}".to_vec()),
        Some(b"\xff\xfe\x00garbage".to_vec()),
        Some(deep.into_bytes()),
    ];
    let queries: Vec<String> = vec![
        "pageKey=!!!not-base64".into(),
        format!("pageKey={}", base64::engine::general_purpose::STANDARD.encode("{not json")),
        format!("pageKey={}", base64::engine::general_purpose::STANDARD.encode("[1,2,3]")),
        "pageLimit=99999999999999999999999".into(),
        "pageLimit=-1".into(),
        "pageLimit=0".into(),
        "pageLimit=1000000".into(),
        "pageKey=&pageLimit=".into(),
    ];
    // Cursors that decode but carry absurd numbers, for every list resource.
    let mut queries = queries;
    for resource in
        ["agents", "endusers", "activitylog", "analytics-records", "analytics-metrics", "search-conversations"]
    {
        queries.push(format!("pageKey={}", urlencode(&cursor(resource, u64::MAX, 1000))));
        queries.push(format!("pageKey={}", urlencode(&cursor(resource, 0, u64::MAX))));
        queries.push(format!("pageKey={}&pageLimit=1000", urlencode(&cursor(resource, u64::MAX - 1, 1))));
    }

    let mut checked = 0;
    let mut check = |what: String, status: u16, body: bytes::Bytes| {
        assert!(status < 500, "{what}: {status} {}", String::from_utf8_lossy(&body));
        if status >= 400 {
            let v: Value = serde_json::from_slice(&body).unwrap_or_else(|e| {
                panic!("{what}: {status} body is not JSON ({e}): {}", String::from_utf8_lossy(&body))
            });
            assert!(v["message"].is_string(), "{what}: {status} {v}");
        }
        checked += 1;
    };
    for path in &paths {
        for q in &queries {
            let what = format!("GET {path}?{q}");
            let r = c.get(format!("{base}{path}?{q}")).send().await.unwrap_or_else(|e| panic!("{what}: {e}"));
            let status = r.status().as_u16();
            check(what, status, r.bytes().await.unwrap());
        }
        for method in [reqwest::Method::POST, reqwest::Method::PUT, reqwest::Method::PATCH, reqwest::Method::DELETE] {
            for body in &bodies {
                let what = format!(
                    "{method} {path} body {:?}",
                    body.as_ref().map(|b| String::from_utf8_lossy(&b[..b.len().min(30)]).into_owned())
                );
                let mut req = c.request(method.clone(), format!("{base}{path}"));
                if let Some(b) = body {
                    req = req.header("content-type", "application/json").body(b.clone());
                }
                let r = req.send().await.unwrap_or_else(|e| panic!("{what}: {e}"));
                let status = r.status().as_u16();
                check(what, status, r.bytes().await.unwrap());
            }
        }
    }
    assert!(checked > 1000, "{checked}");
    // Still serving.
    let r = c.get(format!("{base}/v1/agents")).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn an_oversized_body_is_refused_not_buffered() {
    let fake = FakeDixa::builder().spawn().await;
    let c = reqwest::Client::new();
    let big = vec![b' '; 64 << 20];
    let r = c
        .post(format!("{}/v1/tags", fake.base_url()))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await;
    // Either refused with a JSON error or cut off; never accepted.
    if let Ok(r) = r {
        let status = r.status().as_u16();
        let body = r.bytes().await.unwrap_or_default();
        assert_eq!(status, 413, "{}", String::from_utf8_lossy(&body));
        let v: Value = serde_json::from_slice(&body)
            .unwrap_or_else(|e| panic!("413 body is not JSON ({e}): {}", String::from_utf8_lossy(&body)));
        assert!(v["message"].is_string(), "{v}");
    }
    assert_eq!(c.get(format!("{}/v1/agents", fake.base_url())).send().await.unwrap().status(), 200);
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

#[tokio::test]
async fn counting_unknown_paths_uses_bounded_memory() {
    let fake = FakeDixa::builder().spawn().await;
    let c = reqwest::Client::new();
    for i in 0..1500 {
        let r = c.get(format!("{}/v1/no/such/{i}", fake.base_url())).send().await.unwrap();
        assert_eq!(r.status(), 404);
    }
    let stats = fake.stats();
    let unmatched = stats.unmatched();
    assert!(unmatched.len() <= 1001, "{} distinct entries kept", unmatched.len());
    // Every request is still counted.
    assert_eq!(unmatched.values().sum::<u64>(), 1500);
    assert_eq!(unmatched.get(&("GET".to_owned(), "/v1/no/such/7".to_owned())), Some(&1));
}
