//! `/v1/knowledge/...`: collections, their catalogs, and articles (get, create).
//!
//! Three seed collections hold two articles each; created articles are
//! stored. Articles are kept as the spec's `Article` JSON per language, so
//! `?language=` picks a translation as Dixa does.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;
use bytes::Bytes;
use http::Uri;
use serde_json::{json, Value};

use super::{object_body, ok_data};
use crate::data::{rfc3339, EPOCH};
use crate::error::ApiError;
use crate::server::{with_effect, App};

type AppState = State<Arc<App>>;

/// Seed collections: (title, description, article titles).
const SEED: [(&str, &str, [&str; 2]); 3] = [
    ("Getting started", "Set up your account and first channels", ["Create your account", "Connect an email channel"]),
    ("Billing", "Invoices, plans and payment methods", ["Download an invoice", "Change your plan"]),
    (
        "Troubleshooting",
        "When something does not work as expected",
        ["Emails are not arriving", "Reset two-factor login"],
    ),
];

/// A stored knowledge article: id, parent collection, tags, translations.
#[derive(Clone, Debug)]
pub(crate) struct ArticleRec {
    pub(crate) id: String,
    pub(crate) parent: Option<String>,
    pub(crate) tags: Vec<String>,
    pub(crate) created_at: String,
    /// (languageId, title, html content, published)
    pub(crate) translations: Vec<(String, String, String, bool)>,
}

fn collection_id(i: usize) -> String {
    format!("kb-collection-{i}")
}

/// The seed articles, in catalog order.
pub(crate) fn seed_articles() -> Vec<ArticleRec> {
    let mut out = Vec::new();
    for (c, (_, _, titles)) in SEED.iter().enumerate() {
        for (a, title) in titles.iter().enumerate() {
            let n = c * 2 + a;
            out.push(ArticleRec {
                id: format!("kb-article-{n}"),
                parent: Some(collection_id(c)),
                tags: vec![SEED[c].0.to_lowercase().replace(' ', "-")],
                created_at: rfc3339(EPOCH + n as i64 * 86_400),
                translations: vec![(
                    "en".into(),
                    (*title).into(),
                    format!("<p>{title}: step-by-step guide.</p>"),
                    true,
                )],
            });
        }
    }
    out
}

fn collection_json(i: usize) -> Value {
    let (title, description, _) = SEED[i];
    json!({ "id": collection_id(i), "title": title, "description": description, "internalKbEnabled": i != 1,
            "restrictions": { "isRestricted": false } })
}

fn translation_json(a: &ArticleRec, t: &(String, String, String, bool)) -> Value {
    let plaintext: String = {
        let mut inside = false;
        t.2.chars()
            .filter(|c| {
                match c {
                    '<' => inside = true,
                    '>' => {
                        inside = false;
                        return false;
                    }
                    _ => {}
                }
                !inside
            })
            .collect()
    };
    json!({ "availableAt": { "helpCenterLinks": [] }, "contents": { "html": t.2, "plaintext": plaintext },
            "createdAt": a.created_at, "updatedAt": a.created_at, "isIndexedVersion": t.3,
            "language": t.0, "title": t.1 })
}

/// The spec's `Article` for `a` in `language` (or its first translation).
fn article_json(a: &ArticleRec, language: Option<&str>) -> Option<Value> {
    let t = match language {
        Some(l) => a.translations.iter().find(|t| t.0 == l)?,
        None => a.translations.first()?,
    };
    let mut translation = json!({ "draft": translation_json(a, t) });
    if t.3 {
        translation["published"] = translation_json(a, t);
    }
    Some(json!({ "id": a.id, "createdAt": a.created_at, "updatedAt": a.created_at,
        "restrictions": { "isRestricted": false }, "tags": a.tags,
        "parentCollections": a.parent.iter().collect::<Vec<_>>(), "isDefaultLocation": true,
        "translation": translation }))
}

fn language(uri: &Uri) -> Option<String> {
    form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "language")
        .map(|(_, v)| v.into_owned())
}

/// `GET /v1/knowledge/collections` (one page: the spec's output has no `meta`).
pub(crate) async fn collections() -> Response {
    ok_data((0..SEED.len()).map(collection_json).collect::<Vec<_>>())
}

/// `GET /v1/knowledge/collections/{collectionId}/catalog`: the articles of a collection.
pub(crate) async fn catalog(State(app): AppState, Path(id): Path<String>, uri: Uri) -> Result<Response, ApiError> {
    if !(0..SEED.len()).any(|i| collection_id(i) == id) {
        return Err(ApiError::not_found("Collection", &id));
    }
    let lang = language(&uri).unwrap_or_else(|| "en".into());
    let st = app.read();
    let articles: Vec<Value> = st
        .articles
        .iter()
        .filter(|a| a.parent.as_deref() == Some(id.as_str()))
        .filter_map(|a| {
            let t = a.translations.iter().find(|t| t.0 == lang)?;
            Some(json!({ "id": a.id, "title": { "languageId": t.0, "title": t.1 } }))
        })
        .collect();
    Ok(ok_data(json!({ "articles": articles, "categories": [] })))
}

/// `GET /v1/knowledge/articles/{articleId}?language=`.
pub(crate) async fn get_article(State(app): AppState, Path(id): Path<String>, uri: Uri) -> Result<Response, ApiError> {
    let st = app.read();
    let a = st.articles.iter().find(|a| a.id == id).ok_or_else(|| ApiError::not_found("Article", &id))?;
    let lang = language(&uri);
    let body = article_json(a, lang.as_deref())
        .ok_or_else(|| ApiError::not_found("Article translation", &format!("{id}/{}", lang.unwrap_or_default())))?;
    Ok(ok_data(body))
}

/// `POST /v1/knowledge/articles` (200): at least one translation with a
/// `languageId` and a non-blank `title`; `parentId` must be a collection.
pub(crate) async fn create_article(State(app): AppState, body: Bytes) -> Result<Response, ApiError> {
    let input = object_body(&body)?;
    let bad = |what: &str| ApiError::bad_request(format!("Invalid value for: body ({what})"));
    let translations = input
        .get("translations")
        .and_then(Value::as_array)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| bad("translations must hold at least one translation"))?;
    let mut parsed = Vec::new();
    for t in translations {
        let language = t.get("languageId").and_then(Value::as_str).filter(|l| !l.is_empty());
        let title = t.get("title").and_then(Value::as_str).map(str::trim).filter(|t| !t.is_empty());
        let (Some(language), Some(title)) = (language, title) else {
            return Err(bad("each translation needs a languageId and a title"));
        };
        let content = t.get("content").and_then(Value::as_str).unwrap_or_default();
        parsed.push((language.to_owned(), title.to_owned(), content.to_owned(), false));
    }
    let parent = match input.get("parentId") {
        None | Some(Value::Null) => None,
        Some(Value::String(p)) if (0..SEED.len()).any(|i| collection_id(i) == *p) => Some(p.clone()),
        Some(other) => return Err(ApiError::not_found("Collection", other.as_str().unwrap_or("?"))),
    };
    let tags = input
        .get("tags")
        .and_then(Value::as_array)
        .map(|t| t.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default();
    let mut st = app.write();
    let n = st.articles.len();
    let rec = ArticleRec {
        id: format!("kb-article-{n}"),
        parent,
        tags,
        created_at: rfc3339(EPOCH + 30 * 86_400 + n as i64 * 60),
        translations: parsed,
    };
    let out = article_json(&rec, None).expect("a created article has a translation");
    st.articles.push(rec);
    Ok(with_effect(ok_data(out)))
}
