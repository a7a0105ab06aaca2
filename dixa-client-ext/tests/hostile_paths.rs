//! Hostile path parameter values through every operation with a string path
//! parameter that can be called without a body (generated builders), the
//! paginated operations with a path parameter and the bulk endpoints with
//! one (hand-written URL building), asserting the request line the server
//! received: a value is one percent-encoded segment, or the call is refused
//! before anything is sent. (Operations that need a body build their URL
//! with the same generated code; `dixa-client/tests/paths.rs` checks that
//! every generated URL routes every parameter through the same function.)

mod loopback_server;

use std::future::Future;
use std::pin::Pin;

use dixa_client_ext::client::DixaClient;
use dixa_client_ext::config::Config;
use dixa_client_ext::error::{Error, Result};
use dixa_client_ext::paginate::ops::{ListEndUserConversations, ListFilterValues, ListTeamPresence};
use dixa_client_ext::rate_limit::RateLimit;
use dixa_client_ext::retry::RetryConfig;
use futures::StreamExt;
use loopback_server::{Reply, Server};

/// Each hostile value and the segment it must arrive as (`None`: refused).
fn table() -> Vec<(String, Option<String>)> {
    let long = "x".repeat(100_000);
    vec![
        ("..".into(), None),
        (".".into(), None),
        ("".into(), None),
        ("..\\..\\x".into(), Some("..%5C..%5Cx".into())),
        ("\\".into(), Some("%5C".into())),
        ("%2e%2e".into(), Some("%252e%252e".into())),
        ("a/b".into(), Some("a%2Fb".into())),
        ("?".into(), Some("%3F".into())),
        ("#".into(), Some("%23".into())),
        ("a\tb".into(), Some("a%09b".into())),
        ("a\nb".into(), Some("a%0Ab".into())),
        ("a\0b".into(), Some("a%00b".into())),
        ("ü日".into(), Some("%C3%BC%E6%97%A5".into())),
        ("../agents".into(), Some("..%2Fagents".into())),
        // No Dixa id is near this long, and no URI this long can be sent.
        (long, None),
    ]
}

type Call = Pin<Box<dyn Future<Output = Result<()>> + Send>>;
type Caller = Box<dyn Fn(DixaClient, String) -> Call>;

/// One generated operation: its path template (`{}` where the value goes)
/// and how to call it with the value.
macro_rules! op {
    ($template:literal, |$api:ident, $v:ident| $build:expr) => {
        (
            $template,
            Box::new(|c: DixaClient, $v: String| -> Call {
                Box::pin(async move {
                    let $api = c.api();
                    c.call($build.send()).await.map(|_| ())
                })
            }) as Caller,
        )
    };
}

fn generated_operations() -> Vec<(&'static str, Caller)> {
    vec![
        op!("/v1/analytics/filter/{}", |a, v| a.list_filter_values().filter_attribute(v)),
        op!("/v1/analytics/metrics/{}", |a, v| a.get_metric().metric_id(v)),
        op!("/v1/analytics/records/{}", |a, v| a.get_record().record_id(v)),
        op!("/v1/anonymization/request/{}", |a, v| a.get_request().request_id(v)),
        op!("/v1/contact-endpoints/{}", |a, v| a.get_contact_endpoint().contact_endpoint_id(v)),
        op!("/v1/conversations/7/tags/{}", |a, v| a.tag_conversation().conversation_id(7).tag_id(v)),
        op!("/v1/conversations/7/tags/{}", |a, v| a.untag_conversation().conversation_id(7).tag_id(v)),
        op!("/v1/endusers/{}", |a, v| a.get_end_user().user_id(v)),
        op!("/v1/endusers/{}/conversations", |a, v| a.list_conversations().user_id(v)),
        op!("/v1/queues/{}", |a, v| a.get_queue().queue_id(v)),
        op!("/v1/queues/{}/members", |a, v| a.queues_list_members().queue_id(v)),
        op!("/v1/tags/{}", |a, v| a.get_tag().tag_id(v)),
        op!("/v1/tags/{}/activate", |a, v| a.activate_tag().tag_id(v)),
        op!("/v1/tags/{}/deactivate", |a, v| a.deactivate_tag().tag_id(v)),
        op!("/v1/teams/{}", |a, v| a.get_team().team_id(v)),
        op!("/v1/teams/{}", |a, v| a.remove_team().team_id(v)),
        op!("/v1/teams/{}/agents", |a, v| a.teams_list_members().team_id(v)),
        op!("/v1/teams/{}/presence", |a, v| a.teams_list_presence().team_id(v)),
        op!("/v1/webhooks/{}", |a, v| a.get_subscription().webhook_subscription_id(v)),
        op!("/v1/webhooks/{}", |a, v| a.delete_subscription().webhook_subscription_id(v)),
        op!("/v1/webhooks/{}/delivery-status", |a, v| a.list_delivery_statuses().webhook_subscription_id(v)),
        op!("/v1/webhooks/w1/delivery-status/logs/{}", |a, v| a
            .list_event_logs()
            .webhook_subscription_id("w1")
            .event(v)),
        op!("/v1/webhooks/{}/delivery-status/logs/ConversationCreated", |a, v| a
            .list_event_logs()
            .webhook_subscription_id(v)
            .event("ConversationCreated")),
    ]
}

fn hand_written_operations() -> Vec<(&'static str, Caller)> {
    fn first_page<R>(c: DixaClient, request: R) -> Call
    where
        R: dixa_client_ext::paginate::PaginatedRequest + Send + 'static,
        R::Page: 'static,
    {
        Box::pin(async move {
            match c.paginate(request).pages().next().await {
                Some(Err(e)) => Err(e),
                _ => Ok(()),
            }
        })
    }
    let agent = uuid::Uuid::from_u128(1);
    vec![
        ("/v1/analytics/filter/{}", Box::new(|c, v| first_page(c, ListFilterValues::new(v))) as Caller),
        ("/v1/endusers/{}/conversations", Box::new(|c, v| first_page(c, ListEndUserConversations::new(v)))),
        ("/v1/teams/{}/presence", Box::new(|c, v| first_page(c, ListTeamPresence::new(v)))),
        (
            "/v1/teams/{}/agents",
            Box::new(move |c, v| {
                Box::pin(
                    async move { c.bulk().add_team_members(&v, vec![agent]).await.map(|_| ()).map_err(|i| i.error) },
                )
            }),
        ),
        (
            "/v1/queues/{}/members",
            Box::new(move |c, v| {
                Box::pin(
                    async move { c.bulk().add_queue_members(&v, vec![agent]).await.map(|_| ()).map_err(|i| i.error) },
                )
            }),
        ),
    ]
}

async fn check(kind: &str, operations: Vec<(&'static str, Caller)>) {
    // 404 is final: one request per call, whatever the operation decodes.
    let server = Server::start(vec![Reply::json(404, r#"{"message":"no"}"#)]).await;
    let config =
        Config::new("k").base_url(server.base_url()).rate_limit(RateLimit::off()).retry(RetryConfig::disabled());
    let client = DixaClient::new(config).unwrap();
    let mut cases = 0;
    for (template, call) in &operations {
        for (value, expected) in table() {
            let before = server.count();
            let result = call(client.clone(), value.clone()).await;
            let shown = if value.len() > 20 { format!("{} chars", value.len()) } else { format!("{value:?}") };
            match expected {
                None => {
                    let err = result.expect_err("refused");
                    assert!(
                        matches!(err, Error::InvalidInput { .. }),
                        "{kind} {template} with {shown}: expected InvalidInput, got {err:?}"
                    );
                    assert!(err.to_string().contains("path"), "{kind} {template}: {err}");
                    assert_eq!(server.count(), before, "{kind} {template} with {shown}: nothing may be sent");
                }
                Some(segment) => {
                    assert_eq!(server.count(), before + 1, "{kind} {template} with {shown}: one request ({result:?})");
                    let got = server.requests().pop().unwrap();
                    let want = template.replace("{}", &segment);
                    assert_eq!(got.path(), want, "{kind} {template} with {shown}");
                }
            }
            cases += 1;
        }
    }
    assert_eq!(cases, operations.len() * table().len());
}

#[tokio::test]
async fn hostile_values_never_change_the_path_of_generated_operations() {
    check("generated", generated_operations()).await;
}

#[tokio::test]
async fn hostile_values_never_change_the_path_of_hand_written_urls() {
    check("hand-written", hand_written_operations()).await;
}
