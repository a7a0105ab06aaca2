//! Shared helpers for the workspace tests, and the contract driver: a
//! schema-valid request for every operation of the wire spec, each answer
//! decoded with the generated client's types.
//!
//! Used against the fake by `tests/tests/contract.rs`, and against a Prism
//! mock of the wire spec in CI (`contract/run`, `examples/decode_mock.rs`):
//! a mock built by a tool that never saw our code is the independent check
//! that the client decodes what the spec says the wire carries.

use dixa_fake::wire::{self, Location, SpecOperation};
use serde_json::Value;

mod registry {
    include!(concat!(env!("OUT_DIR"), "/decode_registry.rs"));
}

pub use registry::decode_as;

/// What one request of [`exercise`] got.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// `METHOD /template`.
    pub operation: String,
    /// The answer's status (0: no answer).
    pub status: u16,
    /// Whether the answer was the operation's success status.
    pub success: bool,
    /// For a success: whether the body decoded into the generated type
    /// (`Err` says why not); for anything else, the answer's text.
    pub decoded: Result<(), String>,
}

/// The component schema name of a `$ref` schema.
fn ref_name(schema: &Value) -> Option<&str> {
    schema.get("$ref")?.as_str()?.strip_prefix("#/components/schemas/")
}

/// Percent-encodes one path segment.
fn segment(raw: &str) -> String {
    percent_encoding::utf8_percent_encode(raw, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Sends one schema-valid request per operation of the wire spec to `base`
/// and decodes the answers. `id` gives a value for a path parameter by
/// name (a seeded entity's id), `None` for a sample of its schema.
pub async fn exercise(
    client: &reqwest::Client,
    base: &str,
    auth: Option<&str>,
    id: &dyn Fn(&str) -> Option<String>,
) -> Vec<Outcome> {
    // Deletions last, so they do not remove what the others ask for.
    let mut operations: Vec<&SpecOperation> = wire::operations().iter().collect();
    operations.sort_by_key(|op| op.method == reqwest::Method::DELETE);
    let mut out = Vec::with_capacity(operations.len());
    for op in operations {
        out.push(exercise_one(client, base, auth, id, op).await);
    }
    out
}

async fn exercise_one(
    client: &reqwest::Client,
    base: &str,
    auth: Option<&str>,
    id: &dyn Fn(&str) -> Option<String>,
    op: &SpecOperation,
) -> Outcome {
    let value_of = |name: &str, schema: &Value| match id(name) {
        Some(v) => v,
        None => match wire::sample(schema, name) {
            Value::String(s) => s,
            other => other.to_string(),
        },
    };
    let mut path = op.template.clone();
    let mut query = Vec::new();
    for p in &op.params {
        match p.location {
            Location::Path => path = path.replace(&format!("{{{}}}", p.name), &segment(&value_of(&p.name, &p.schema))),
            Location::Query if p.required => query.push((p.name.clone(), value_of(&p.name, &p.schema))),
            Location::Query => {}
        }
    }
    let operation = format!("{} {}", op.method, op.template);
    let mut req = client.request(op.method.clone(), format!("{base}{path}")).query(&query);
    if let Some(key) = auth {
        req = req.header("Authorization", key);
    }
    match &op.body {
        Some(b) if b.is_json() => req = req.json(&wire::sample(&b.schema, "body")),
        // An upload: any bytes of its media type.
        Some(b) => req = req.header("Content-Type", b.media_type.as_str()).body("sample upload"),
        None => {}
    }
    let resp = match req.send().await {
        Ok(r) => r,
        Err(e) => return Outcome { operation, status: 0, success: false, decoded: Err(e.to_string()) },
    };
    let status = resp.status().as_u16();
    let body = resp.bytes().await.unwrap_or_default();
    let success = status == op.success.0;
    let decoded = if !success {
        Err(String::from_utf8_lossy(&body).chars().take(300).collect())
    } else {
        match op.success.1.as_ref() {
            None => Ok(()),
            Some(schema) => match ref_name(schema) {
                Some(name) => decode_as(name, &body).unwrap_or_else(|| Err(format!("no generated type for {name}"))),
                None => Err("inline response schema: no generated type".to_string()),
            },
        }
    };
    Outcome { operation, status, success, decoded }
}
