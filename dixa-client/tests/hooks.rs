//! The `ClientHooks` impl: requests go through the installed `Transport`,
//! without progenitor's undocumented `api-version` header.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use dixa_client::hooks::{Transport, TransportFuture};
use dixa_client::{Client, Hooks, OperationMeta, OPERATIONS};

/// Serves one request on 127.0.0.1 with `body`; returns the base URL and the
/// received request head (lower-cased header lines).
fn one_shot_server(body: &'static str) -> (String, std::thread::JoinHandle<Vec<String>>) {
    one_shot_server_with_status("200 OK", body)
}

/// [`one_shot_server`] answering with status line `status`.
fn one_shot_server_with_status(
    status: &'static str,
    body: &'static str,
) -> (String, std::thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let handle = std::thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        let mut reader = BufReader::new(stream.try_clone().expect("clone"));
        let mut head = Vec::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).expect("read") == 0 || line == "\r\n" {
                break;
            }
            head.push(line.trim_end().to_ascii_lowercase());
        }
        let mut stream = stream;
        write!(stream, "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len())
            .expect("write");
        head
    });
    (url, handle)
}

const TAG: &str = r#"{"data":{"id":"3f1c0a7e-8a9f-4a57-9a55-2f6f5b0c1d2e","name":"vip","state":"Active"}}"#;

#[tokio::test]
async fn requests_carry_no_api_version_header() {
    let (url, server) = one_shot_server(TAG);
    let client = Client::new(&url, Hooks::none());
    let tag = client.get_tag().tag_id("3f1c0a7e-8a9f-4a57-9a55-2f6f5b0c1d2e").send().await.expect("200");
    assert_eq!(tag.status(), 200);
    let head = server.join().expect("server thread");
    assert!(head[0].starts_with("get /v1/tags/3f1c0a7e"), "{head:?}");
    assert!(!head.iter().any(|h| h.starts_with("api-version")), "api-version was sent: {head:?}");
}

/// Records which operations it sent, then sends with plain reqwest.
#[derive(Default)]
struct Recording(Mutex<Vec<&'static str>>);

impl Transport for Recording {
    fn execute<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        operation_id: &'static str,
    ) -> TransportFuture<'a> {
        self.0.lock().expect("not poisoned").push(operation_id);
        Box::pin(client.execute(request))
    }
}

#[tokio::test]
async fn requests_go_through_the_installed_transport_with_the_operation_id() {
    let (url, server) = one_shot_server(TAG);
    let recording = Arc::new(Recording::default());
    let client = Client::new(&url, Hooks::with_transport(recording.clone()));
    client.get_tag().tag_id("3f1c0a7e-8a9f-4a57-9a55-2f6f5b0c1d2e").send().await.expect("200");
    server.join().expect("server thread");
    let seen = recording.0.lock().expect("not poisoned").clone();
    assert_eq!(seen, vec!["get_tag"]);
    let meta = OperationMeta::find("get_tag").expect("get_tag is in OPERATIONS");
    assert_eq!((meta.method, meta.path, meta.spec_operation_id), ("GET", "/v1/tags/{tagId}", "Tags_getTag"));
}

#[test]
fn operations_table_is_complete_and_consistent() {
    assert_eq!(OPERATIONS.len(), 123);
    let mut ids: Vec<&str> = OPERATIONS.iter().map(|o| o.operation_id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), OPERATIONS.len(), "operation ids are unique");
    for op in OPERATIONS {
        assert_eq!(op.operation_id, op.rust_method);
        assert!(op.path.starts_with("/v1/"), "{op:?}");
        assert!(["GET", "PUT", "POST", "PATCH", "DELETE"].contains(&op.method), "{op:?}");
    }
    let paginated: Vec<&str> = OPERATIONS.iter().filter(|o| o.paginated).map(|o| o.operation_id).collect();
    for expected in ["search_conversations", "list_end_users", "list_agents", "get_metric_records_data"] {
        assert!(paginated.contains(&expected), "{expected} is paginated: {paginated:?}");
    }
    assert!(!paginated.contains(&"get_tag"));
}

#[test]
fn operation_futures_are_send_so_callers_can_spawn_them() {
    fn assert_send<T: Send>(_: &T) {}
    let client = Client::new("http://127.0.0.1:9", Hooks::none());
    let future = client.get_tag().tag_id("x").send();
    assert_send(&future);
}

#[tokio::test]
async fn an_error_response_keeps_its_status_and_dixa_message() {
    // Every operation's 4xx/5xx is the one `ApiError`; the status stays on it.
    for (status, code) in [("404 Not Found", 404), ("400 Bad Request", 400), ("500 Internal Server Error", 500)] {
        let (url, server) = one_shot_server_with_status(status, r#"{"message":"Tag 3f1c not found"}"#);
        let client = Client::new(&url, Hooks::none());
        let err = client.get_tag().tag_id("3f1c0a7e-8a9f-4a57-9a55-2f6f5b0c1d2e").send().await.expect_err(status);
        match err {
            dixa_client::Error::ErrorResponse(rv) => {
                assert_eq!(rv.status().as_u16(), code);
                assert_eq!(rv.message, "Tag 3f1c not found");
            }
            other => panic!("{status}: expected ErrorResponse, got {other:?}"),
        }
        server.join().expect("server thread");
    }
}

#[tokio::test]
async fn a_closed_query_value_set_refuses_an_unknown_value_before_sending() {
    // `channel` of GET /v1/conversations/flows: "Possible values: [...]" in
    // the parameter's description, a closed enum on the request side.
    let (url, server) = one_shot_server(r#"{"data":[]}"#);
    let client = Client::new(&url, Hooks::none());
    let err = client.list_flows().channel("CarrierPigeon").send().await.expect_err("not a channel");
    assert!(matches!(err, dixa_client::Error::InvalidRequest(ref m) if m.contains("channel")), "{err:?}");
    client.list_flows().channel("Email").send().await.expect("a known channel is sent");
    let head = server.join().expect("server thread");
    assert!(head[0].starts_with("get /v1/conversations/flows?channel=email"), "{head:?}");
}
