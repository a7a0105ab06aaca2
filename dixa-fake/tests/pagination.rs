//! Pagination, auth and rate limiting, driven with plain reqwest.

use std::collections::HashSet;

use dixa_fake::{FakeDixa, RetryAfterMode};
use serde_json::{json, Value};

async fn get(c: &reqwest::Client, url: &str) -> (u16, Value) {
    let r = c.get(url).send().await.expect("request reaches the fake");
    let status = r.status().as_u16();
    (status, r.json().await.expect("JSON body"))
}

/// Follows `meta.next` from `first` to the end, resolving root-relative
/// links against the base URL, and returns the pages.
async fn walk(c: &reqwest::Client, base: &str, first: &str) -> Vec<Value> {
    let mut pages = Vec::new();
    let mut url = format!("{base}{first}");
    loop {
        let (status, body) = get(c, &url).await;
        assert_eq!(status, 200, "{url}: {body}");
        let next = body["meta"]["next"].as_str().map(str::to_owned);
        pages.push(body);
        match next {
            Some(n) if n.starts_with('/') => url = format!("{base}{n}"),
            Some(n) => url = n,
            None => return pages,
        }
        assert!(pages.len() < 1_000, "runaway pagination");
    }
}

#[tokio::test]
async fn agents_walk_uses_root_relative_links_without_resending_the_query() {
    let fake = FakeDixa::builder().agents(23).spawn().await;
    let c = reqwest::Client::new();
    let pages = walk(&c, &fake.base_url(), "/v1/agents?pageLimit=5").await;
    assert_eq!(pages.len(), 5);
    let mut ids = HashSet::new();
    for (n, page) in pages.iter().enumerate() {
        let data = page["data"].as_array().expect("data array");
        assert_eq!(data.len(), if n < 4 { 5 } else { 3 });
        for a in data {
            assert!(a["email"].as_str().is_some_and(|e| e.contains('@')), "{a}");
            assert!(a["phoneNumber"].as_str().is_some_and(|p| p.starts_with('+')), "{a}");
            assert!(a["displayName"].as_str().is_some_and(|d| d.contains(' ')), "{a}");
            ids.insert(a["id"].as_str().expect("id").to_owned());
        }
        if n < 4 {
            let next = page["meta"]["next"].as_str().expect("next on every page but the last");
            assert!(next.starts_with("/v1/agents?pageKey="), "{next}");
            assert!(!next.contains("pageLimit"), "{next}");
        } else {
            assert!(page["meta"].get("next").is_none(), "last page has no next: {page}");
        }
    }
    assert_eq!(ids.len(), 23);
    assert!(ids.contains(&fake.agent_id(22)));
    assert_eq!(fake.stats().received("GET", "/v1/agents"), 5);
}

#[tokio::test]
async fn a_page_key_with_other_query_parameters_is_a_400() {
    let fake = FakeDixa::builder().agents(10).spawn().await;
    let c = reqwest::Client::new();
    let base = fake.base_url();
    let (_, first) = get(&c, &format!("{base}/v1/agents?pageLimit=3&email=x@y.z")).await;
    assert_eq!(first["data"].as_array().map(Vec::len), Some(0), "no agent has that e-mail");
    let (_, first) = get(&c, &format!("{base}/v1/agents?pageLimit=3")).await;
    let next = first["meta"]["next"].as_str().expect("next");
    let (status, body) = get(&c, &format!("{base}{next}&pageLimit=3&phone=%2B4530000001")).await;
    assert_eq!(status, 400);
    assert!(body["message"].as_str().is_some_and(|m| m.contains("phone")), "{body}");
    // pageLimit alone may accompany a pageKey, and changes the page size.
    let (status, body) = get(&c, &format!("{base}{next}&pageLimit=4")).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"].as_array().map(Vec::len), Some(4));
    assert_eq!(body["data"][0]["id"], json!(fake.agent_id(3)));
    // A garbled cursor is refused too.
    let (status, _) = get(&c, &format!("{base}/v1/agents?pageKey=bm90LWEtY3Vyc29y")).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn filters_are_kept_in_the_cursor() {
    let fake = FakeDixa::builder().agents(12).end_users(500).spawn().await;
    let c = reqwest::Client::new();
    let base = fake.base_url();
    let (_, one) = get(&c, &format!("{base}/v1/endusers/{}", fake.end_user_id(42))).await;
    let email = one["data"]["email"].as_str().expect("email").to_owned();
    let url = format!("{base}/v1/endusers?email={email}");
    let (status, found) = get(&c, &url).await;
    assert_eq!(status, 200);
    assert_eq!(found["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(found["data"][0]["id"], json!(fake.end_user_id(42)));
    let (status, body) = get(&c, &format!("{base}/v1/agents?email=a@b.c&phone=%2B1")).await;
    assert_eq!(status, 400, "email and phone are mutually exclusive: {body}");
}

#[tokio::test]
async fn ten_thousand_end_users_stream_in_pages_with_unique_ids() {
    let fake = FakeDixa::builder().end_users(10_000).spawn().await;
    let c = reqwest::Client::new();
    let pages = walk(&c, &fake.base_url(), "/v1/endusers?pageLimit=1000").await;
    assert_eq!(pages.len(), 10);
    let ids: HashSet<String> = pages
        .iter()
        .flat_map(|p| p["data"].as_array().cloned().unwrap_or_default())
        .map(|u| u["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(ids.len(), 10_000);
    assert!(ids.contains(&fake.end_user_id(9_999)));
}

#[tokio::test]
async fn absolute_links_and_the_search_trailing_slash() {
    let fake = FakeDixa::builder().agents(4).absolute_next_links(true).spawn().await;
    let c = reqwest::Client::new();
    let base = fake.base_url();
    let (_, page) = get(&c, &format!("{base}/v1/agents?pageLimit=2")).await;
    let next = page["meta"]["next"].as_str().expect("next");
    assert!(next.starts_with(&format!("{base}/v1/agents?pageKey=")), "{next}");

    let fake = FakeDixa::builder().conversations(120).spawn().await;
    let base = fake.base_url();
    let (_, page) = get(&c, &format!("{base}/v1/search/conversations?query=order&pageLimit=3")).await;
    let next = page["meta"]["next"].as_str().expect("next");
    assert!(next.starts_with("/v1/search/conversations/?pageKey="), "{next}");
    let pages = walk(&c, &base, "/v1/search/conversations?query=order&pageLimit=3").await;
    let hits: Vec<&Value> = pages.iter().flat_map(|p| p["data"].as_array().into_iter().flatten()).collect();
    assert_eq!(hits.len(), 20, "two of twelve topics mention an order, 120 conversations");
    assert!(hits.iter().all(|h| h["_type"] == "ConversationSearchHit"));
    assert!(hits[0]["highlights"]["subject"][0].as_str().is_some_and(|s| s.contains("<em>")));
    let stats = fake.stats();
    assert_eq!(stats.received("GET", "/v1/search/conversations"), 1 + pages.len() as u64);
}

#[tokio::test]
async fn repeating_foreign_and_empty_final_links() {
    let fake = FakeDixa::builder().agents(9).spawn().await;
    let c = reqwest::Client::new();
    let base = fake.base_url();

    fake.faults().repeat_next_link("/v1/agents");
    let (_, p1) = get(&c, &format!("{base}/v1/agents?pageLimit=3")).await;
    let n1 = p1["meta"]["next"].as_str().expect("next").to_owned();
    let (_, p2) = get(&c, &format!("{base}{n1}")).await;
    assert_eq!(p2["meta"]["next"].as_str(), Some(n1.as_str()), "page 2 links to itself");

    fake.faults().clear();
    fake.faults().foreign_next_link("/v1/agents");
    let (_, p1) = get(&c, &format!("{base}/v1/agents?pageLimit=3")).await;
    let next = p1["meta"]["next"].as_str().expect("next");
    assert!(next.starts_with("http://127.0.0.2:"), "{next}");

    fake.faults().clear();
    fake.faults().empty_final_page("/v1/agents");
    let pages = walk(&c, &base, "/v1/agents?pageLimit=3").await;
    assert_eq!(pages.len(), 4);
    assert_eq!(pages[3]["data"], json!([]));
    assert!(pages[3]["meta"].get("next").is_none());
}

#[tokio::test]
async fn analytics_records_page_by_reposting_the_same_body() {
    let fake = FakeDixa::builder().conversations(25).spawn().await;
    let c = reqwest::Client::new();
    let base = fake.base_url();
    let body = json!({
        "_type": "GetMetricRecordsDataInputPeriodFilter",
        "id": "closed_conversations",
        "timezone": "Europe/Copenhagen",
        "periodFilter": { "_type": "Preset", "value": { "_type": "PreviousWeek" } },
    });
    let mut url = format!("{base}/v1/analytics/records?pageLimit=10");
    let mut records = 0;
    let mut posts = 0;
    loop {
        let r = c.post(&url).json(&body).send().await.expect("post");
        assert_eq!(r.status(), 200);
        let page: Value = r.json().await.expect("json");
        posts += 1;
        records += page["data"].as_array().map(Vec::len).unwrap_or(0);
        assert_eq!(page["data"][0]["fields"][0]["field"]["_type"], "LongField");
        match page["meta"]["next"].as_str() {
            Some(next) => url = format!("{base}{next}"),
            None => break,
        }
        // The cursor is bound to the body: a different body is refused.
        let other = json!({ "_type": "GetMetricRecordsDataInputPeriodFilter", "id": "messages", "timezone": "UTC", "periodFilter": { "_type": "Preset", "value": "Today" } });
        let r = c.post(&url).json(&other).send().await.expect("post");
        assert_eq!(r.status(), 400);
    }
    assert_eq!((records, posts), (25, 3));
}

#[tokio::test]
async fn an_api_key_is_required_when_configured() {
    let fake = FakeDixa::builder().api_key(Some("s3cret".into())).spawn().await;
    let c = reqwest::Client::new();
    let url = format!("{}/v1/agents", fake.base_url());
    let r = c.get(&url).send().await.expect("send");
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.expect("json");
    assert!(body["message"].is_string());
    assert!(!body.to_string().contains("s3cret"));
    let r = c.get(&url).header("Authorization", "wrong").send().await.expect("send");
    assert_eq!(r.status(), 401);
    for auth in ["s3cret", "Bearer s3cret", "bearer s3cret"] {
        let r = c.get(&url).header("Authorization", auth).send().await.expect("send");
        assert_eq!(r.status(), 200, "{auth}");
    }
    assert_eq!(fake.stats().responses_with_status(401), 2);
    assert!(!format!("{fake:?}").contains("s3cret"));
}

#[tokio::test]
async fn the_rate_limit_answers_429_without_retry_after_by_default() {
    // One token per second and a burst of 2: the third immediate request
    // finds the bucket empty (refilling one token takes a full second).
    let fake = FakeDixa::builder().rate_limit(1, 2).spawn().await;
    let c = reqwest::Client::new();
    let url = format!("{}/v1/tags", fake.base_url());
    let mut statuses = Vec::new();
    let mut last = None;
    for _ in 0..3 {
        let r = c.get(&url).send().await.expect("send");
        statuses.push(r.status().as_u16());
        last = Some(r);
    }
    assert_eq!(statuses, [200, 200, 429]);
    let last = last.expect("three responses");
    assert!(last.headers().get("retry-after").is_none());
    let body: Value = last.json().await.expect("json");
    assert!(body["message"].is_string());
    let stats = fake.stats();
    assert_eq!(stats.rate_limited(), 1);
    assert_eq!(stats.received("GET", "/v1/tags"), 3);
}

#[tokio::test]
async fn the_rate_limit_is_per_key_and_can_send_retry_after() {
    let fake = FakeDixa::builder().rate_limit(1, 1).retry_after(RetryAfterMode::Seconds(7)).spawn().await;
    let c = reqwest::Client::new();
    let url = format!("{}/v1/queues", fake.base_url());
    let a1 = c.get(&url).header("Authorization", "key-a").send().await.expect("send");
    let a2 = c.get(&url).header("Authorization", "Bearer key-a").send().await.expect("send");
    let b1 = c.get(&url).header("Authorization", "key-b").send().await.expect("send");
    assert_eq!((a1.status().as_u16(), a2.status().as_u16(), b1.status().as_u16()), (200, 429, 200));
    assert_eq!(a2.headers()["retry-after"], "7");

    let fake = FakeDixa::builder().rate_limit(1, 1).retry_after(RetryAfterMode::HttpDate).spawn().await;
    let url = format!("{}/v1/queues", fake.base_url());
    let _ = c.get(&url).send().await.expect("send");
    let r = c.get(&url).send().await.expect("send");
    assert_eq!(r.status(), 429);
    let date = r.headers()["retry-after"].to_str().expect("ascii").to_owned();
    assert!(date.ends_with(" GMT") && date.len() == 29, "IMF-fixdate: {date}");
}

#[tokio::test]
async fn every_paginated_get_list_of_the_spec_walks_to_its_end() {
    let fake = FakeDixa::builder().agents(12).end_users(30).conversations(40).spawn().await;
    let c = reqwest::Client::new();
    let base = fake.base_url();
    let lists = [
        "/v1/agents?pageLimit=5".to_owned(),
        "/v1/endusers?pageLimit=7".to_owned(),
        format!("/v1/endusers/{}/conversations?pageLimit=2", fake.conversation_requester_id(0)),
        "/v1/search/conversations?query=order&exactMatch=false&pageLimit=2".to_owned(),
        format!("/v1/teams/{}/presence?pageLimit=2", fake.team_id(1)),
        "/v1/analytics/records?pageLimit=2".to_owned(),
        "/v1/analytics/metrics?pageLimit=3".to_owned(),
        "/v1/analytics/filter/channel?pageLimit=4".to_owned(),
        "/v1/conversations/activitylog?pageLimit=25&fromDatetime=2024-01-11T01:00:00Z".to_owned(),
    ];
    for first in &lists {
        let pages = walk(&c, &base, first).await;
        assert!(pages.len() >= 2, "{first}: expected several pages, got {}", pages.len());
        let items: usize = pages.iter().map(|p| p["data"].as_array().map(Vec::len).unwrap_or(0)).sum();
        assert!(items > pages.len(), "{first}: {items} items");
    }
    let (_, log) = get(&c, &format!("{base}/v1/conversations/activitylog?pageLimit=1")).await;
    let entry = &log["data"][0];
    assert_eq!(entry["_type"], "ConversationCreatedByCustomer");
    assert_eq!(entry["activityType"], "ConversationCreatedByCustomer", "a plain string on the wire");
    assert_eq!(entry["attributes"]["_type"], "ConversationCreatedAttribute");
    let (status, _) = get(&c, &format!("{base}/v1/analytics/filter/no_such_attribute")).await;
    assert_eq!(status, 404);
}
