//! Dixa-style cursor pagination.
//!
//! A `pageKey` is base64 of a small JSON object that holds the whole original
//! query (resource, offset, limit, filters and, for POSTed queries, a hash of
//! the body), so the server needs nothing else to serve the next page. As on
//! the real API, a request that carries a `pageKey` may change `pageLimit` but
//! must not repeat the other query parameters: the fake answers 400 if it
//! does, which is how tests prove a client does not re-send its first query.

use std::collections::BTreeMap;
use std::ops::Range;

use base64::Engine as _;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::faults::LinkHook;
use crate::server::App;

/// Page size when the first request names none.
pub(crate) const DEFAULT_PAGE_LIMIT: usize = 50;
/// Largest page the fake serves; larger requests are a 400, as on Dixa.
pub(crate) const MAX_PAGE_LIMIT: usize = 1000;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
struct Cursor {
    r: String,
    o: usize,
    l: usize,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    f: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    h: Option<u64>,
}

impl Cursor {
    fn encode(&self) -> String {
        // Serializing a plain struct of strings and integers cannot fail.
        let json = serde_json::to_vec(self).unwrap_or_default();
        base64::engine::general_purpose::STANDARD.encode(json)
    }

    fn decode(key: &str) -> Option<Cursor> {
        let json = base64::engine::general_purpose::STANDARD.decode(key).ok()?;
        serde_json::from_slice(&json).ok()
    }
}

/// A parsed list request: where to start, how many, and the query's filters.
#[derive(Debug)]
pub(crate) struct PageRequest {
    resource: String,
    pub(crate) offset: usize,
    pub(crate) limit: usize,
    pub(crate) filters: BTreeMap<String, String>,
    body_hash: Option<u64>,
    /// The cursor this request came with, if it was not a first page.
    current_key: Option<String>,
}

/// Parses the query string of a paginated list request.
///
/// `resource` names the list (a cursor for another list is refused),
/// `filter_names` are the query parameters that belong in the cursor, and
/// `body_hash` binds the cursor to a POSTed query body.
pub(crate) fn parse(
    raw_query: Option<&str>,
    resource: &str,
    filter_names: &[&str],
    body_hash: Option<u64>,
) -> Result<PageRequest, ApiError> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(raw_query.unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut page_key = None;
    let mut page_limit = None;
    let mut others = Vec::new();
    for (k, v) in pairs {
        match k.as_str() {
            "pageKey" => page_key = Some(v),
            "pageLimit" => {
                let n: usize =
                    v.parse().map_err(|_| ApiError::bad_request("Invalid value for: query parameter pageLimit"))?;
                if n == 0 || n > MAX_PAGE_LIMIT {
                    return Err(ApiError::bad_request(format!(
                        "Invalid value for: query parameter pageLimit (must be between 1 and {MAX_PAGE_LIMIT})"
                    )));
                }
                page_limit = Some(n);
            }
            _ => others.push((k, v)),
        }
    }
    if let Some(key) = page_key {
        if let Some((name, _)) = others.first() {
            return Err(ApiError::bad_request(format!(
                "Invalid query: pageKey already encodes the original query and cannot be combined with `{name}` (only pageLimit may accompany it)"
            )));
        }
        let cursor = Cursor::decode(&key)
            .filter(|c| c.r == resource && (1..=MAX_PAGE_LIMIT).contains(&c.l))
            .ok_or_else(|| ApiError::bad_request("Invalid value for: query parameter pageKey"))?;
        if cursor.h != body_hash {
            return Err(ApiError::bad_request(
                "Invalid pageKey: the request body differs from the one the pageKey was issued for",
            ));
        }
        return Ok(PageRequest {
            resource: resource.to_owned(),
            offset: cursor.o,
            limit: page_limit.unwrap_or(cursor.l),
            filters: cursor.f,
            body_hash,
            current_key: Some(key),
        });
    }
    // Parameters a list does not know are ignored, as servers usually do.
    let filters: BTreeMap<String, String> =
        others.into_iter().filter(|(k, _)| filter_names.contains(&k.as_str())).collect();
    Ok(PageRequest {
        resource: resource.to_owned(),
        offset: 0,
        limit: page_limit.unwrap_or(DEFAULT_PAGE_LIMIT),
        filters,
        body_hash,
        current_key: None,
    })
}

/// Characters escaped in a `pageKey` query value: everything but the
/// unreserved set, so base64's `+`, `/` and `=` survive the round trip.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// The `meta` member of a list response.
#[derive(Serialize, Debug, Default)]
pub(crate) struct Meta {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) next: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) previous: Option<String>,
}

/// A list response `{"data": [...], "meta": {...}}`; `meta` is left out when
/// it has no links, as on a single-page list.
#[derive(Serialize)]
pub(crate) struct PageBody<'a, T: Serialize> {
    pub(crate) data: &'a [T],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) meta: Option<Meta>,
}

impl PageRequest {
    /// The slice of a list of `total` items this request asks for, and the
    /// links to put in `meta`. `link_path` is the path the links point at
    /// (Dixa adds a trailing slash on some lists); `request_path` selects the
    /// pagination hooks armed by tests.
    pub(crate) fn window(
        &self,
        app: &App,
        request_path: &str,
        link_path: &str,
        total: usize,
    ) -> (Range<usize>, Option<Meta>) {
        let start = self.offset.min(total);
        let end = self.offset.saturating_add(self.limit).min(total);
        let hooks = app.faults.hooks_for(request_path);
        let origin = if hooks.contains(&LinkHook::Foreign) {
            format!("http://127.0.0.2:{}", app.port)
        } else if app.config.absolute_next_links {
            app.base_url.clone()
        } else {
            String::new()
        };
        let link = |offset: usize| {
            let cursor = Cursor {
                r: self.resource.clone(),
                o: offset,
                l: self.limit,
                f: self.filters.clone(),
                h: self.body_hash,
            };
            link_for_key(&origin, link_path, &cursor.encode())
        };
        let mut meta = Meta::default();
        if end < total {
            meta.next = Some(match (&self.current_key, hooks.contains(&LinkHook::Repeat)) {
                (Some(key), true) => link_for_key(&origin, link_path, key),
                _ => link(end),
            });
        } else if start < end && hooks.contains(&LinkHook::EmptyFinalPage) {
            meta.next = Some(link(total));
        }
        if start > 0 {
            meta.previous = Some(link(start.saturating_sub(self.limit)));
        }
        let meta = (meta.next.is_some() || meta.previous.is_some()).then_some(meta);
        (start..end, meta)
    }
}

fn link_for_key(origin: &str, path: &str, key: &str) -> String {
    format!("{origin}{path}?pageKey={}", utf8_percent_encode(key, QUERY_VALUE))
}

/// A hash of a JSON body that ignores object key order and whitespace, so a
/// client that re-serializes the same query still matches its cursor.
pub(crate) fn body_hash(value: &serde_json::Value) -> u64 {
    use std::hash::{Hash, Hasher};
    fn feed(v: &serde_json::Value, h: &mut std::collections::hash_map::DefaultHasher) {
        match v {
            serde_json::Value::Object(map) => {
                let mut keys: Vec<_> = map.keys().collect();
                keys.sort();
                7u8.hash(h);
                for k in keys {
                    k.hash(h);
                    feed(&map[k], h);
                }
            }
            serde_json::Value::Array(items) => {
                8u8.hash(h);
                items.len().hash(h);
                items.iter().for_each(|i| feed(i, h));
            }
            other => other.to_string().hash(h),
        }
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    feed(value, &mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_rejects_garbage() {
        let c = Cursor {
            r: "agents".into(),
            o: 100,
            l: 25,
            f: [("email".to_owned(), "a+b@x.io".to_owned())].into(),
            h: None,
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        assert_eq!(Cursor::decode("not base64!"), None);
    }

    #[test]
    fn page_key_with_other_parameters_is_refused() {
        let key = Cursor { r: "agents".into(), o: 2, l: 2, f: Default::default(), h: None }.encode();
        let q = format!("pageKey={}&email=x", utf8_percent_encode(&key, QUERY_VALUE));
        let err = parse(Some(&q), "agents", &["email"], None).unwrap_err();
        assert_eq!(err.status, 400);
        let q = format!("pageKey={}&pageLimit=7", utf8_percent_encode(&key, QUERY_VALUE));
        let ok = parse(Some(&q), "agents", &["email"], None).unwrap();
        assert_eq!((ok.offset, ok.limit), (2, 7));
        assert!(parse(Some(&q), "endusers", &[], None).is_err(), "cursor of another list");
    }

    #[test]
    fn body_hash_ignores_key_order() {
        let a = serde_json::json!({"id": "x", "timezone": "UTC", "filters": [1, 2]});
        let b = serde_json::json!({"filters": [1, 2], "timezone": "UTC", "id": "x"});
        let c = serde_json::json!({"filters": [2, 1], "timezone": "UTC", "id": "x"});
        assert_eq!(body_hash(&a), body_hash(&b));
        assert_ne!(body_hash(&a), body_hash(&c));
    }
}
