//! Next links: resolving them against the base URL without ever leaving its
//! origin, and telling a repeated cursor from a new one.

use reqwest::Url;

use super::PAGE_KEY;
use crate::error::{Error, Result};

/// An origin that never resolves, used only to let `Url` encode paths.
fn placeholder_url() -> Result<Url> {
    Url::parse("http://placeholder.invalid/")
        .map_err(|e| Error::InvalidInput { what: "request", detail: format!("building a page request failed: {e}") })
}

/// The `pageKey` of a link in any form (absolute, root-relative, query-only).
pub(super) fn page_key_of(link: &str) -> Option<String> {
    let url = placeholder_url().ok()?.join(link).ok()?;
    url.query_pairs().find(|(k, _)| k == PAGE_KEY).map(|(_, v)| v.into_owned())
}

/// Resolves a `meta.next` link against the configured base URL.
///
/// - root-relative (`/v1/...`): appended to `base` the way the generated
///   client appends its paths, so a base path prefix is kept;
/// - absolute: accepted only with the base URL's scheme, host and port;
/// - scheme-relative (`//host/...`): resolved with the base scheme, then
///   checked like an absolute link;
/// - any other relative reference (`?pageKey=...`): resolved against
///   `current`, the URL of the page that returned it (RFC 3986).
///
/// A link to another origin is [`Error::ForeignNextLink`], one carrying
/// credentials [`Error::CredentialsInLink`] (both name only its origin).
pub(super) fn resolve_link(base: &Url, current: &Url, link: &str) -> Result<Url> {
    let link = link.trim();
    let bad = |detail: String| Error::Decode {
        status: None,
        path: "meta.next".to_owned(),
        message: detail,
        body: bytes::Bytes::new(),
    };
    let url = if link.starts_with("//") {
        Url::parse(&format!("{}:{}", base.scheme(), link)).map_err(|e| bad(format!("next link is not a URL: {e}")))?
    } else if link.starts_with('/') {
        let mut root = base.clone();
        root.set_query(None);
        root.set_fragment(None);
        Url::parse(&format!("{}{}", root.as_str().trim_end_matches('/'), link))
            .map_err(|e| bad(format!("next link is not a URL path: {e}")))?
    } else {
        // Absolute links come back unchanged from `join`; other relative
        // references resolve against the page that sent them.
        current.join(link).map_err(|e| bad(format!("next link is not a URL: {e}")))?
    };
    let same_origin = url.scheme() == base.scheme()
        && url.host_str() == base.host_str()
        && url.port_or_known_default() == base.port_or_known_default();
    let has_credentials = !url.username().is_empty() || url.password().is_some();
    if !same_origin || has_credentials {
        let origin = match url.host_str() {
            Some(host) => match url.port() {
                Some(port) => format!("{}://{}:{}", url.scheme(), host, port),
                None => format!("{}://{}", url.scheme(), host),
            },
            None => format!("{}:", url.scheme()),
        };
        if same_origin {
            return Err(Error::CredentialsInLink { url: origin });
        }
        return Err(Error::ForeignNextLink { url: origin });
    }
    Ok(url)
}

/// The identity of a cursor for loop detection: its `pageKey` when it has
/// one (the position in the listing, whatever `pageLimit` accompanies it),
/// else the path with the decoded query pairs in sorted order, so that a
/// link repeating an earlier one in another parameter order or percent-
/// encoding is caught at once rather than after one more lap.
pub(super) fn cursor_identity(url: &Url) -> String {
    if let Some((_, v)) = url.query_pairs().find(|(k, _)| k == PAGE_KEY) {
        return format!("{PAGE_KEY}={v}");
    }
    let mut pairs: Vec<(String, String)> = url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    pairs.sort();
    let mut canonical = url.clone();
    canonical.set_fragment(None);
    canonical.set_query(None);
    if !pairs.is_empty() {
        canonical.query_pairs_mut().extend_pairs(pairs);
    }
    canonical.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn root_relative_links_are_appended_to_the_base() {
        let base = url("https://dev.dixa.io/");
        let got = resolve_link(&base, &base, "/v1/search/conversations/?pageKey=abc").unwrap();
        assert_eq!(got.as_str(), "https://dev.dixa.io/v1/search/conversations/?pageKey=abc");
    }

    #[test]
    fn root_relative_links_keep_a_base_path_prefix() {
        let base = url("http://127.0.0.1:8080/proxy/dixa");
        let got = resolve_link(&base, &base, "/v1/agents?pageKey=a%2Bb").unwrap();
        assert_eq!(got.as_str(), "http://127.0.0.1:8080/proxy/dixa/v1/agents?pageKey=a%2Bb");
    }

    #[test]
    fn absolute_links_to_the_same_origin_are_followed() {
        let base = url("https://dev.dixa.io/");
        let got = resolve_link(&base, &base, "https://dev.dixa.io:443/v1/agents?pageKey=x").unwrap();
        assert_eq!(got.as_str(), "https://dev.dixa.io/v1/agents?pageKey=x");
    }

    #[test]
    fn foreign_links_are_refused_naming_only_the_origin() {
        let base = url("https://dev.dixa.io/");
        for (link, origin) in [
            ("https://evil.example/v1/agents?pageKey=x", "https://evil.example"),
            ("http://dev.dixa.io/v1/agents?pageKey=x", "http://dev.dixa.io"),
            ("https://dev.dixa.io:8443/v1/agents?pageKey=x", "https://dev.dixa.io:8443"),
            ("//evil.example/v1/agents?pageKey=x", "https://evil.example"),
        ] {
            match resolve_link(&base, &base, link) {
                Err(Error::ForeignNextLink { url }) => assert_eq!(url, origin, "{link}"),
                other => panic!("{link}: expected ForeignNextLink, got {other:?}"),
            }
        }
        // Credentials on the configured host: refused, and not called another host.
        match resolve_link(&base, &base, "https://user:pw@dev.dixa.io/v1/agents") {
            Err(e @ Error::CredentialsInLink { .. }) => {
                assert!(matches!(&e, Error::CredentialsInLink { url } if url == "https://dev.dixa.io"));
                let text = e.to_string();
                assert!(!text.contains("another host") && !text.contains("pw"), "{text}");
            }
            other => panic!("expected CredentialsInLink, got {other:?}"),
        }
    }

    #[test]
    fn tricky_links_never_leave_the_configured_origin() {
        let base = url("https://dev.dixa.io/");
        let current = url("https://dev.dixa.io/v1/agents?pageLimit=2");
        // Followed, on the configured origin.
        for (link, want) in [
            // A backslash is a slash in special schemes: still a path on our host.
            ("/\\evil.example/v1/agents", "https://dev.dixa.io//evil.example/v1/agents"),
            ("/@evil.example/v1", "https://dev.dixa.io/@evil.example/v1"),
            ("HTTPS://DEV.DIXA.IO/v1/agents?pageKey=x", "https://dev.dixa.io/v1/agents?pageKey=x"),
            ("//dev.dixa.io/v1/agents?pageKey=x", "https://dev.dixa.io/v1/agents?pageKey=x"),
            // A path without a leading slash is relative to the current page (RFC 3986).
            ("v1/agents?pageKey=x", "https://dev.dixa.io/v1/v1/agents?pageKey=x"),
            ("  /v1/agents?pageKey=x  ", "https://dev.dixa.io/v1/agents?pageKey=x"),
        ] {
            let got = resolve_link(&base, &current, link).unwrap_or_else(|e| panic!("{link}: {e}"));
            assert_eq!(got.as_str(), want, "{link}");
        }
        // Refused: another origin, or credentials, however spelled.
        for link in [
            "\\\\evil.example/v1/agents",
            "https://dev.dixa.io@evil.example/v1/agents",
            "https://dev.dixa.io.evil.example/v1/agents",
            "http://dev.dixa.io:443/v1/agents",
            "//user@dev.dixa.io/v1/agents",
            "https://:pw@dev.dixa.io/v1/agents",
            "ftp://dev.dixa.io/v1/agents",
        ] {
            match resolve_link(&base, &current, link) {
                Err(Error::ForeignNextLink { url }) => {
                    assert!(!url.contains("pw") && !url.contains("user"), "{link}: {url}");
                    assert!(!link.contains("@dev.dixa.io"), "{link}: same host, but called another host");
                }
                Err(Error::CredentialsInLink { url }) => {
                    assert!(!url.contains("pw") && !url.contains("user"), "{link}: {url}");
                    assert!(link.contains("@dev.dixa.io"), "{link}: another host, but called credentials");
                    assert!(!Error::CredentialsInLink { url }.to_string().contains("another host"));
                }
                other => panic!("{link}: expected ForeignNextLink, got {other:?}"),
            }
        }
    }

    #[test]
    fn cursor_identity_ignores_query_order_and_percent_encoding() {
        let a = url("https://dev.dixa.io/v1/agents/?pageKey=YWJj%3D%3D&pageLimit=10");
        let b = url("https://dev.dixa.io/v1/agents/?pageLimit=10&pageKey=YWJj==");
        let c = url("https://dev.dixa.io/v1/agents/?pageKey=%59%57%4A%6A%3D%3D");
        assert_eq!(cursor_identity(&a), cursor_identity(&b));
        assert_eq!(cursor_identity(&a), cursor_identity(&c));
        // A different cursor is a different identity.
        let d = url("https://dev.dixa.io/v1/agents/?pageKey=YWJk%3D%3D");
        assert_ne!(cursor_identity(&a), cursor_identity(&d));
    }

    #[test]
    fn query_only_links_resolve_against_the_current_page() {
        let base = url("https://dev.dixa.io/");
        let current = url("https://dev.dixa.io/v1/agents?pageLimit=2");
        let got = resolve_link(&base, &current, "?pageKey=next").unwrap();
        assert_eq!(got.as_str(), "https://dev.dixa.io/v1/agents?pageKey=next");
    }

    #[test]
    fn cursor_identity_is_the_page_key_whatever_the_limit() {
        let a = url("https://dev.dixa.io/v1/agents?pageKey=k1&pageLimit=10");
        let b = url("https://dev.dixa.io/v1/agents?pageLimit=50&pageKey=k1");
        assert_eq!(cursor_identity(&a), cursor_identity(&b));
        let c = url("https://dev.dixa.io/v1/agents?pageLimit=50");
        assert_eq!(cursor_identity(&c), c.as_str());
        // Without a pageKey: the same query in another order or encoding is the same cursor.
        let d = url("https://dev.dixa.io/v1/agents?pageLimit=50&email=a%40b.c");
        let e = url("https://dev.dixa.io/v1/agents?email=a@b.c&pageLimit=50");
        assert_eq!(cursor_identity(&d), cursor_identity(&e));
        let f = url("https://dev.dixa.io/v1/agents?email=a@b.c&pageLimit=51");
        assert_ne!(cursor_identity(&d), cursor_identity(&f));
    }

    #[test]
    fn page_key_is_read_from_any_link_form() {
        assert_eq!(page_key_of("/v1/agents?pageKey=a%3D%3D").as_deref(), Some("a=="));
        assert_eq!(page_key_of("https://dev.dixa.io/v1/x?pageLimit=1&pageKey=b").as_deref(), Some("b"));
        assert_eq!(page_key_of("/v1/agents?pageLimit=1"), None);
    }
}
