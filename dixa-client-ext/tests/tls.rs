//! TLS against a loopback server whose certificate is signed by a private
//! CA (committed under `tests/tls/`, made by `make-certs.sh` with openssl):
//! refused by default, once and without retries, with the reason in the
//! top-level message; accepted once the CA is added to `Config`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use dixa_client_ext::client::DixaClient;
use dixa_client_ext::config::Config;
use dixa_client_ext::error::Error;
use dixa_client_ext::rate_limit::RateLimit;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};

const CA: &[u8] = include_bytes!("tls/ca.pem");
const CERT: &[u8] = include_bytes!("tls/server.pem");
const KEY: &[u8] = include_bytes!("tls/server.key");

/// Starts the TLS server; returns its port and a count of TCP connections.
async fn tls_server() -> (u16, Arc<AtomicUsize>) {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(CERT).map(|c| c.unwrap()).collect();
    let key = PrivateKeyDer::from_pem_slice(KEY).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&connections);
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else { return };
            count.fetch_add(1, Ordering::SeqCst);
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                let mut buf = vec![0u8; 8192];
                let mut head = Vec::new();
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let body = r#"{"data":[]}"#;
                let reply = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(reply.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (port, connections)
}

fn config(port: u16) -> Config {
    Config::new("test-key-not-secret").base_url(format!("https://127.0.0.1:{port}")).rate_limit(RateLimit::off())
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused_once_and_named() {
    let (port, connections) = tls_server().await;
    let c = DixaClient::new(config(port)).unwrap();
    let err = c.tags_list_tags().send().await.unwrap_err();
    match &err {
        Error::Tls { host, detail, .. } => {
            assert_eq!(host, "127.0.0.1");
            assert!(detail.contains("certificate"), "{detail}");
        }
        other => panic!("expected Tls, got {other:?}"),
    }
    let text = err.to_string();
    assert!(text.contains("TLS handshake") && text.contains("certificate"), "{text}");
    assert!(text.contains("add_root_certificate"), "{text}");
    assert!(err.was_not_sent());
    assert_eq!(connections.load(Ordering::SeqCst), 1, "not retried");
    assert_eq!((c.stats().attempts, c.stats().retries), (1, 0));
}

#[tokio::test]
async fn the_private_ca_in_config_is_trusted_in_addition_to_the_system_roots() {
    let (port, _) = tls_server().await;
    let c = DixaClient::new(config(port).add_root_certificate(CA)).unwrap();
    let tags = c.tags_list_tags().send().await.expect("trusted through the configured CA");
    assert!(tags.is_empty());
}

#[test]
fn a_root_certificate_that_is_not_one_is_refused_when_the_client_is_built() {
    let err = DixaClient::new(Config::new("k").add_root_certificate(b"not a certificate".to_vec())).unwrap_err();
    assert!(matches!(err, Error::InvalidInput { what: "root certificate", .. }), "{err:?}");
}

#[test]
fn a_proxy_is_configurable_and_its_credentials_stay_out_of_debug_and_errors() {
    let config = Config::new("k").proxy("http://user:hunter2@proxy.example:3128");
    assert!(!format!("{config:?}").contains("hunter2"));
    DixaClient::new(config).expect("a proxy URL");
    let err = DixaClient::new(Config::new("k").proxy("::not a url hunter2")).unwrap_err();
    assert!(matches!(err, Error::InvalidInput { what: "proxy", .. }), "{err:?}");
    assert!(!err.to_string().contains("hunter2"));
}
