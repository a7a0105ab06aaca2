//! A tiny HTTP/1.1 server on 127.0.0.1 shared by the integration tests of
//! this crate (transport, errors, rate limit, secrets, pagination, bulk): it
//! answers from a script of replies (the last one repeats) or from a closure
//! that sees the request, and records every request so a test can check
//! exactly what was sent. Each reply closes its connection, so every attempt
//! is a fresh exchange the server can count.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Answer with this status, headers and body.
    Respond {
        /// The HTTP status code.
        status: u16,
        /// Extra response headers (content-length and connection are added).
        headers: Vec<(String, String)>,
        /// The response body bytes.
        body: Vec<u8>,
    },
    /// Send the status line, headers and the first `sent` bytes of a body
    /// whose `content-length` promises `promised` bytes, then either close
    /// the connection (`then_close`) or hold it open without sending more
    /// (the client's attempt timeout fires mid-body).
    CutBody {
        /// The HTTP status code.
        status: u16,
        /// The body bytes that are sent.
        sent: Vec<u8>,
        /// The length the `content-length` header promises.
        promised: usize,
        /// Close after `sent` (true) or stall (false).
        then_close: bool,
    },
    /// Close the connection without answering (the client sees a reset/EOF).
    Drop,
    /// Never answer (the client's timeout fires).
    Hang,
}

impl Reply {
    /// A bare status with an empty body.
    pub fn status(status: u16) -> Reply {
        Reply::Respond { status, headers: Vec::new(), body: Vec::new() }
    }

    /// A JSON body.
    pub fn json(status: u16, body: &str) -> Reply {
        Reply::Respond {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    /// 200 with `value` serialized as a JSON body.
    pub fn ok_json(value: serde_json::Value) -> Reply {
        Reply::json(200, &value.to_string())
    }

    /// Any body with the given content type.
    pub fn body(status: u16, content_type: &str, body: &str) -> Reply {
        Reply::Respond {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.as_bytes().to_vec(),
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        if let Reply::Respond { headers, .. } = &mut self {
            headers.push((name.into(), value.into()));
        }
        self
    }
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// `GET`, `POST`, ...
    pub method: String,
    /// Path and query as sent, e.g. `/v1/agents?pageKey=abc`.
    pub target: String,
    /// Header names (as sent) and values.
    pub headers: Vec<(String, String)>,
    /// The request body.
    pub body: Vec<u8>,
}

impl Recorded {
    /// The first value of header `name` (compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The path of the target without the query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    /// The query string of the target, if any.
    pub fn query(&self) -> Option<&str> {
        self.target.split_once('?').map(|(_, q)| q)
    }

    /// The body parsed as JSON; panics (failing the test) if it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("request body is JSON")
    }
}

/// Chooses the reply to a request.
pub type Responder = Arc<dyn Fn(&Recorded) -> Reply + Send + Sync>;

/// A running loopback server; its tasks end with the test's runtime.
pub struct Server {
    /// The address it listens on (127.0.0.1, an OS-chosen port).
    pub addr: SocketAddr,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

impl Server {
    /// Starts a server answering `script` in order, then repeating its last reply.
    pub async fn start(script: Vec<Reply>) -> Server {
        assert!(!script.is_empty());
        let script = Mutex::new(VecDeque::from(script));
        Self::start_fn(move |_| {
            let mut s = script.lock().unwrap();
            if s.len() > 1 {
                s.pop_front().unwrap()
            } else {
                s.front().cloned().unwrap()
            }
        })
        .await
    }

    /// Starts a server answering each request with `responder`'s reply.
    pub async fn start_fn(responder: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let responder: Responder = Arc::new(responder);
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (s, r) = (Arc::clone(&responder), Arc::clone(&requests));
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                let (s, r) = (Arc::clone(&s), Arc::clone(&r));
                tokio::spawn(async move { serve(stream, s, r).await });
            }
        });
        Server { addr, requests }
    }

    /// The base URL to configure the client with.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// A full URL on this server.
    pub fn url(&self, path: &str) -> reqwest::Url {
        reqwest::Url::parse(&format!("http://{}{}", self.addr, path)).unwrap()
    }

    /// How many requests arrived.
    pub fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

async fn serve(mut stream: TcpStream, responder: Responder, requests: Arc<Mutex<Vec<Recorded>>>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or_default().split(' ');
    let method = first.next().unwrap_or_default().to_string();
    let target = first.next().unwrap_or_default().to_string();
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':').map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))).collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < len {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => body.extend_from_slice(&chunk[..n]),
        }
    }
    let recorded = Recorded { method, target, headers, body };
    let reply = responder(&recorded);
    requests.lock().unwrap().push(recorded);
    match reply {
        Reply::Respond { status, headers, body } => {
            let mut out = format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n", body.len());
            for (k, v) in headers {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
            out.push_str("\r\n");
            let mut bytes = out.into_bytes();
            bytes.extend_from_slice(&body);
            let _ = stream.write_all(&bytes).await;
            let _ = stream.shutdown().await;
        }
        Reply::CutBody { status, sent, promised, then_close } => {
            let head = format!("HTTP/1.1 {status} X\r\ncontent-length: {promised}\r\ncontent-type: text/plain\r\n\r\n");
            let mut bytes = head.into_bytes();
            bytes.extend_from_slice(&sent);
            let _ = stream.write_all(&bytes).await;
            let _ = stream.flush().await;
            if then_close {
                drop(stream);
            } else {
                let mut sink = [0u8; 64];
                while let Ok(n) = stream.read(&mut sink).await {
                    if n == 0 {
                        break;
                    }
                }
            }
        }
        Reply::Drop => drop(stream),
        Reply::Hang => {
            // Hold the connection open; the runtime ends this task with the test.
            let mut sink = [0u8; 64];
            while let Ok(n) = stream.read(&mut sink).await {
                if n == 0 {
                    break;
                }
            }
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
