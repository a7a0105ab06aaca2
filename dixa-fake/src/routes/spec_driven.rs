//! Every operation of the wire spec without a stateful handler: answered
//! from its success response schema (see [`crate::sample`]), and the request
//! check every operation goes through first.

use axum::body::Body;
use axum::extract::{MatchedPath, Request};
use axum::response::Response;
use http::{Method, StatusCode, Uri};
use serde_json::Value;

use crate::sample::sample;
use crate::server::{json_response, message_response, with_effect};
use crate::spec::{path_values, Spec, SpecOperation};
use crate::validate;

/// The largest request body the fake reads (axum's default limit).
const MAX_BODY: usize = 2 << 20;

/// The spec operation a request is for, by method and matched template.
pub(crate) fn operation_of(method: &Method, matched: Option<&str>) -> Option<&'static SpecOperation> {
    Spec::get().operation(method, matched?)
}

/// Checks a request against its operation's parameters and body schema.
/// On success, the request comes back with its body buffered; otherwise the
/// answer is Dixa's 400 (or 413 for a body over [`MAX_BODY`]).
pub(crate) async fn admit(op: &SpecOperation, req: Request) -> Result<Request, Response> {
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => return Err(message_response(413, "Payload Too Large: the request body is over 2 MiB")),
    };
    let spec = Spec::get();
    if let Err(message) = validate::request(&spec.doc, op, parts.uri.path(), parts.uri.query(), &bytes) {
        return Err(message_response(400, &message));
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// Answers an operation the fake keeps no state for: the success status and
/// a sample of its response schema, with the path's id where the answer has
/// an `id` of the same shape (`GET /v1/webhooks/{id}` answers that id).
pub(crate) async fn answer(method: Method, matched: Option<MatchedPath>, uri: Uri) -> Response {
    let Some(op) = operation_of(&method, matched.as_ref().map(MatchedPath::as_str)) else {
        return message_response(405, &format!("Method {method} is not allowed on {}", uri.path()));
    };
    let resp = response_for(op, uri.path());
    if method == Method::GET {
        resp
    } else {
        // The operation is taken as done: count it like a stateful write.
        with_effect(resp)
    }
}

/// The answer of `op` for a request to `path`.
pub(crate) fn response_for(op: &SpecOperation, path: &str) -> Response {
    let spec = Spec::get();
    let (status, schema) = &op.success;
    let Some(schema) = schema else {
        let mut resp = Response::new(Body::empty());
        *resp.status_mut() = StatusCode::from_u16(*status).unwrap_or(StatusCode::NO_CONTENT);
        return resp;
    };
    let mut body = sample(&spec.doc, schema, "body");
    echo_path_id(&spec.doc, schema, &mut body, op, path);
    json_response(*status, &body)
}

/// Puts the last path parameter into `data.id` when the result still fits
/// the schema (an integer id for an integer, a UUID for a UUID).
fn echo_path_id(doc: &Value, schema: &Value, body: &mut Value, op: &SpecOperation, path: &str) {
    let Some((_, raw)) = path_values(&op.template, path).pop() else { return };
    let Some(id) = body.get_mut("data").and_then(|d| d.get_mut("id")) else { return };
    let candidate = match id {
        Value::Number(_) => raw.parse::<i64>().map(Value::from).ok(),
        Value::String(_) => Some(Value::String(raw)),
        _ => None,
    };
    let Some(candidate) = candidate else { return };
    let previous = std::mem::replace(id, candidate);
    if validate::check(doc, schema, body, "body").is_err() {
        if let Some(id) = body.get_mut("data").and_then(|d| d.get_mut("id")) {
            *id = previous;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Location;
    use crate::FakeDixa;

    /// A schema-valid value for each path parameter: the fake's own ids
    /// where the name says which entity, a sample of the schema otherwise.
    fn path_value(fake: &FakeDixa, name: &str, schema: &Value) -> String {
        match name {
            "agentId" => fake.agent_id(0),
            "userId" => fake.end_user_id(0),
            "conversationId" => fake.conversation_id(0).to_string(),
            "tagId" => fake.tag_id(0),
            "queueId" => fake.queue_id(0),
            "teamId" => fake.team_id(0),
            // Matches every seed conversation's topic, so lists have pages.
            "query" => "e".to_owned(),
            _ => match sample(&Spec::get().doc, schema, name) {
                Value::String(s) => s,
                other => other.to_string(),
            },
        }
    }

    /// The `meta.next` of the first one-item page of the list at `path`.
    async fn first_next_link(fake: &FakeDixa, client: &reqwest::Client, path: &str) -> String {
        let list = Spec::get().operation(&Method::GET, path).expect("the list of a next-page route");
        let mut query = vec![("pageLimit".to_owned(), "1".to_owned())];
        for p in list.params.iter().filter(|p| p.required && p.location == Location::Query) {
            query.push((p.name.clone(), path_value(fake, &p.name, &p.schema)));
        }
        let url = format!("{}{path}", fake.base_url());
        let page: Value = client.get(url).query(&query).send().await.expect("send").json().await.expect("json");
        let next = page["meta"]["next"].as_str().expect("a first page with a next link");
        format!("{}{next}", fake.base_url())
    }

    #[tokio::test]
    async fn every_operation_of_the_spec_is_answered_with_a_schema_valid_body() {
        let spec = Spec::get();
        let fake = FakeDixa::builder().agents(5).end_users(5).conversations(5).spawn().await;
        let client = reqwest::Client::new();
        let mut answered = 0;
        let mut problems = Vec::new();
        let mut refused = Vec::new();
        // Deletions last, so they do not remove what the others ask for.
        let mut operations: Vec<&SpecOperation> = spec.operations.iter().collect();
        operations.sort_by_key(|op| op.method == Method::DELETE);
        for op in operations {
            let mut path = op.template.clone();
            let mut query = Vec::new();
            for p in &op.params {
                let value = path_value(&fake, &p.name, &p.schema);
                match p.location {
                    Location::Path => path = path.replace(&format!("{{{}}}", p.name), &value),
                    // Optional query parameters are left out: a page key must
                    // be one the fake issued.
                    Location::Query if p.required && p.name == "pageKey" => {}
                    Location::Query if p.required => query.push((p.name.clone(), value)),
                    Location::Query => {}
                }
            }
            let mut url = format!("{}{path}", fake.base_url());
            if op.params.iter().any(|p| p.name == "pageKey" && p.required) {
                // A next-page route: follow the first page's `meta.next`.
                url = first_next_link(&fake, &client, path.trim_end_matches('/')).await;
            }
            let mut req = client.request(op.method.clone(), url).query(&query);
            match &op.body {
                Some(b) if b.is_json() => req = req.json(&sample(&spec.doc, &b.schema, "body")),
                Some(b) => req = req.header("content-type", b.media_type.as_str()).body("sample upload"),
                None => {}
            }
            let what = format!("{} {}", op.method, op.template);
            let resp = req.send().await.expect("send");
            let status = resp.status().as_u16();
            let body = resp.bytes().await.unwrap_or_default();
            let text = String::from_utf8_lossy(&body).into_owned();
            if status == 405 || text.contains("No endpoint") || status >= 500 || text.contains("Invalid value for") {
                problems.push(format!("{what}: {status} {text}"));
                continue;
            }
            answered += 1;
            if status == op.success.0 {
                if let Some(schema) = &op.success.1 {
                    let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    if let Err(v) = validate::check(&spec.doc, schema, &value, "response") {
                        problems.push(format!("{what}: answer does not fit its schema: {}: {}", v.at, v.problem));
                    }
                }
            } else {
                refused.push(format!("{what}: {status} {text}"));
            }
        }
        // Stateful handlers may refuse a sample (an id they do not hold, a
        // rule of their own), but at most one operation in ten.
        assert!(refused.len() * 10 <= spec.operations.len(), "{} refused:\n{}", refused.len(), refused.join("\n"));
        assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
        assert_eq!(answered, spec.operations.len());
        assert!(answered >= 84, "83 operations and the search next-page route: {answered}");
    }

    #[test]
    fn the_stateful_routes_are_all_operations_of_the_spec() {
        let spec = Spec::get();
        let paths: Vec<&str> = crate::routes::routes().iter().map(|(p, _)| *p).collect();
        for p in paths {
            assert!(spec.templates().contains(&p), "stateful route {p} is not a path of the spec");
        }
    }
}
