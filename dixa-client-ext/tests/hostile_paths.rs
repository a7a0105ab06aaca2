//! Hostile path parameter values through every operation with a string path
//! parameter that can be called without a body (`send()` of the generated
//! builders), and through the stream form of the paginated one (the
//! pagination engine), asserting the
//! request line the server received: a value is one percent-encoded
//! segment, or the call is refused before anything is sent. (Operations
//! that need a body build their URL with the same generated code;
//! `dixa-client/tests/paths.rs` checks that every generated URL routes every
//! parameter through the same function. Ids whose family the `ids`
//! normalization rule types as uuid or integer take no strings at all: a
//! hostile value cannot be expressed for them.)

mod loopback_server;

use std::future::Future;
use std::pin::Pin;

use dixa_client_ext::client::DixaClient;
use dixa_client_ext::config::Config;
use dixa_client_ext::error::{Error, Result};
use dixa_client_ext::prelude::*;
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
                    let $api = &c;
                    $build.send().await.map(|_| ())
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
        op!("/v1/webhooks/00000000-0000-0000-0000-000000000001/delivery-status/logs/{}", |a, v| a
            .list_event_logs()
            .webhook_subscription_id(dixa_client_ext::Uuid::from_u128(1))
            .event(v)),
    ]
}

fn stream_and_bulk_forms() -> Vec<(&'static str, Caller)> {
    /// The first page of a listing: the request the stream sends first.
    fn first_page<P>(pages: P) -> Call
    where
        P: futures::Stream<Item = Result<()>> + Send + 'static,
    {
        Box::pin(async move {
            let mut pages = Box::pin(pages);
            match pages.next().await {
                Some(Err(e)) => Err(e),
                _ => Ok(()),
            }
        })
    }
    vec![(
        "/v1/analytics/filter/{}",
        Box::new(|c: DixaClient, v| first_page(c.list_filter_values().filter_attribute(v).pages().map_ok(|_| ())))
            as Caller,
    )]
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
async fn hostile_values_never_change_the_path_of_streams_and_bulk_calls() {
    check("stream/bulk", stream_and_bulk_forms()).await;
}
