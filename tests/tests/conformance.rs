//! Conformance: every request example of the spec and every response sample
//! of Dixa's Redoc page (kept in the raw spec the client is generated from:
//! `spec/dixa-v1.current.json`, or the seed `spec/dixa-v1.json` before the
//! first update) decodes into its generated type and re-encodes to equal JSON.
//!
//! A spec update can keep an old example whose schema changed under it (the
//! newer spec made `GetMetricDataInput` a `_type` union but kept its untagged
//! example). Such an example is STALE, not a failure, only when all of these
//! hold: it fails to decode, the same example is in the seed at the same
//! place, and the newest API changelog entry lists a wire-breaking change of
//! its raw schema. Every other failure fails the test.
//!
//! The values come from the RAW spec (what Dixa documents); the schema each
//! one is checked against comes from the NORMALIZED spec (what the client is
//! generated from), matched by method and path. An example whose schema is
//! missing from [`roundtrip`] fails the test, so a new spec cannot add an
//! example that is silently skipped.

use dixa_client::types;
use serde_json::Value;
use std::collections::BTreeMap;

/// Decodes `value` as the generated type for `schema` and encodes it back.
/// `None` when the schema has no entry here (a test failure).
fn roundtrip(schema: &str, value: &Value) -> Option<Result<Value, String>> {
    // typify names a schema by dropping `_` and re-casing (`Map_UUID_...` is
    // `MapUuid...`), so names are compared case-insensitively without `_`.
    let wanted = schema.replace('_', "").to_lowercase();
    macro_rules! registry {
        ($($name:ident),* $(,)?) => {{
            $(if stringify!($name).to_lowercase() == wanted {
                return Some(
                    serde_json::from_value::<types::$name>(value.clone())
                        .map_err(|e| format!("decode: {e}"))
                        .and_then(|typed| serde_json::to_value(&typed).map_err(|e| format!("encode: {e}"))),
                );
            })*
            None
        }};
    }
    registry!(
        // request bodies
        AgentsBulkPatchRequest,
        AgentsToTeamInput,
        AgentsUpdateBulkRequest,
        BulkCreateInternalNoteInput,
        BulkPatchEndUsersInput,
        BulkQueueEndpointInput,
        BulkUpdateEndUsersInput,
        ClaimConversationInput,
        CloseConversationInput,
        CreateAgentInput,
        CreateAgentsInput,
        CreateConversationInput,
        CreateEndUserInput,
        CreateEndUsersInput,
        CreateInternalNoteInput,
        CreateMessageInput,
        CreateQueueInput,
        CreateTagInput,
        CreateTeamInput,
        CreateWebhookSubscriptionInput,
        DeleteAgentsFromTeamInput,
        GetMetricDataInput,
        GetMetricRecordsDataInput,
        MapUuidOptionAttributeValue,
        PatchAgentInput,
        PatchEndUserInput,
        PatchWebhookSubscriptionInput,
        ReopenConversationInput,
        TransferConversationInput,
        UpdateAgentInput,
        UpdateEndUserInput,
        // response bodies
        ListAgentsOutput,
        BulkUpdateAgentOutput,
        AgentOutput,
        CreateAgentsOutput,
        AgentsListPresenceResponse,
        ApiError,
        UserPresenceOutput,
        AgentTeamsOutput,
    )
}

fn load(name: &str) -> Value {
    let path = format!("{}/../spec/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {path}: {e}"))
}

fn ref_name(schema: &Value) -> String {
    schema["$ref"].as_str().and_then(|r| r.rsplit('/').next()).unwrap_or("<inline schema>").to_string()
}

/// One documented example: where it is, the schema it must fit, its value.
struct Case {
    label: String,
    schema: String,
    value: Value,
    is_request: bool,
    /// The schema the RAW spec names for it (changelog locations use these).
    raw_schema: String,
    /// The seed spec has the same example at the same place.
    in_seed: bool,
}

/// The raw spec the client is generated from.
fn current_raw() -> Value {
    let current = format!("{}/../spec/dixa-v1.current.json", env!("CARGO_MANIFEST_DIR"));
    if std::path::Path::new(&current).exists() {
        load("dixa-v1.current.json")
    } else {
        load("dixa-v1.json")
    }
}

/// Raw schema -> the wire-breaking change the newest changelog entry lists
/// for it (shape changed, a required property added, ...).
fn broken_schemas() -> BTreeMap<String, String> {
    let path = format!("{}/../spec/api-changelog.json", env!("CARGO_MANIFEST_DIR"));
    let Ok(text) = std::fs::read_to_string(&path) else { return BTreeMap::new() };
    let log: Value = serde_json::from_str(&text).expect("api-changelog.json parses");
    let mut out = BTreeMap::new();
    for c in log["entries"][0]["changes"].as_array().into_iter().flatten() {
        let kind = c["kind"].as_str().unwrap_or_default();
        if c["class"] == "breaking-on-wire" && (kind.starts_with("schema.") || kind.starts_with("property.")) {
            let location = c["location"].as_str().unwrap_or_default();
            let schema = location.split('.').next().unwrap_or_default().to_string();
            out.entry(schema).or_insert(format!("{location}: {}", c["detail"].as_str().unwrap_or_default()));
        }
    }
    out
}

fn media_examples(media: &Value) -> Vec<(Option<String>, Value)> {
    let mut out = Vec::new();
    if let Some(v) = media.get("example") {
        out.push((None, v.clone()));
    }
    if let Some(map) = media.get("examples").and_then(Value::as_object) {
        for (k, v) in map {
            out.push((Some(k.clone()), v.get("value").cloned().unwrap_or_else(|| v.clone())));
        }
    }
    out
}

fn cases() -> Vec<Case> {
    let raw = current_raw();
    let seed = load("dixa-v1.json");
    let normalized = load("dixa-v1.normalized.json");
    let mut cases = Vec::new();
    for (path, item) in raw["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let norm_op = &normalized["paths"][path][method];
            assert!(norm_op.is_object(), "{method} {path} is missing from the normalized spec");
            let base = format!("{} {path}", method.to_uppercase());
            if let Some(content) = op["requestBody"]["content"].as_object() {
                for (ct, media) in content {
                    let schema = ref_name(&norm_op["requestBody"]["content"][ct]["schema"]);
                    let raw_schema = ref_name(&media["schema"]);
                    let seed_examples = media_examples(&seed["paths"][path][method]["requestBody"]["content"][ct]);
                    for (name, value) in media_examples(media) {
                        let in_seed = seed_examples.iter().any(|(_, v)| *v == value);
                        let label = match name {
                            Some(n) => format!("{base} request ({n})"),
                            None => format!("{base} request"),
                        };
                        let raw_schema = raw_schema.clone();
                        cases.push(Case {
                            label,
                            schema: schema.clone(),
                            value,
                            is_request: true,
                            raw_schema,
                            in_seed,
                        });
                    }
                }
            }
            if let Some(responses) = op["responses"].as_object() {
                for (code, response) in responses {
                    let Some(content) = response["content"].as_object() else { continue };
                    for (ct, media) in content {
                        let schema = ref_name(&norm_op["responses"][code]["content"][ct]["schema"]);
                        let raw_schema = ref_name(&media["schema"]);
                        let seed_examples =
                            media_examples(&seed["paths"][path][method]["responses"][code]["content"][ct]);
                        for (_, value) in media_examples(media) {
                            let in_seed = seed_examples.iter().any(|(_, v)| *v == value);
                            let label = format!("{base} response {code}");
                            let raw_schema = raw_schema.clone();
                            cases.push(Case {
                                label,
                                schema: schema.clone(),
                                value,
                                is_request: false,
                                raw_schema,
                                in_seed,
                            });
                        }
                    }
                }
            }
        }
    }
    cases
}

/// Lists the JSON paths where `a` and `b` differ (for readable failures).
fn diff(a: &Value, b: &Value, at: &str, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                match y.get(k) {
                    Some(w) => diff(v, w, &format!("{at}.{k}"), out),
                    None if v.as_array().is_some_and(Vec::is_empty) => {
                        out.push(format!("{at}.{k}: {EMPTY_LIST_OMITTED}"))
                    }
                    None => out.push(format!("{at}.{k}: dropped on re-encode")),
                }
            }
            for k in y.keys().filter(|k| !x.contains_key(*k)) {
                out.push(format!("{at}.{k}: added on re-encode"));
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                diff(v, w, &format!("{at}[{i}]"), out);
            }
        }
        _ if a == b => {}
        // A timestamp with a zone-id suffix (`...Z[GMT]`, in Dixa's own
        // request examples) is sent as RFC 3339 without it: Dixa answers the
        // suffixed form with a 400.
        (Value::String(x), Value::String(y))
            if x.strip_suffix(']').and_then(|t| t.split_once('[')).is_some_and(|(base, _)| base == y) => {}
        // Numbers compare by value: `1.0` and `1` are the same JSON number to Dixa.
        (Value::Number(x), Value::Number(y)) if x.as_f64() == y.as_f64() => {}
        _ => out.push(format!("{at}: {a} became {b}")),
    }
}

/// The one documented exception. Response types keep optional lists as plain
/// `Vec` (an absent list and an empty one mean the same to a reader, and
/// `Option<Vec<_>>` on every response field would burden every caller), so an
/// empty list in a RESPONSE is omitted when re-encoded. Request types keep
/// the difference (`Option<Vec<_>>`), because there `[]` clears a list.
const EMPTY_LIST_OMITTED: &str = "empty list omitted (response exception)";

#[test]
fn every_documented_example_round_trips_through_its_generated_type() {
    let cases = cases();
    let requests = cases.iter().filter(|c| c.is_request).count();
    let responses = cases.len() - requests;
    // The recovery found 34 request examples and 12 Redoc response samples
    // (11 success samples and one 400 body); losing one must not go unnoticed.
    assert_eq!((requests, responses), (34, 12), "number of documented examples changed");

    let broken = broken_schemas();
    let mut report = BTreeMap::new();
    let mut failures = Vec::new();
    for case in &cases {
        let stale = case.in_seed.then(|| broken.get(&case.raw_schema)).flatten();
        let outcome = match roundtrip(&case.schema, &case.value) {
            None => format!("NO TYPE REGISTERED for schema {}", case.schema),
            Some(Err(e)) if e.starts_with("decode") && stale.is_some() => {
                format!("STALE example (predates {}): {e}", stale.unwrap_or(&String::new()))
            }
            Some(Err(e)) => format!("FAILED {e}"),
            Some(Ok(back)) => {
                let mut diffs = Vec::new();
                diff(&case.value, &back, "$", &mut diffs);
                let omitted = diffs.iter().filter(|d| d.ends_with(EMPTY_LIST_OMITTED)).count();
                let allowed = !case.is_request && omitted == diffs.len();
                match (diffs.is_empty(), allowed) {
                    (true, _) => "exact".to_string(),
                    (false, true) => format!("exact but {omitted} empty response list(s) omitted"),
                    (false, false) => format!("DIFFERS {}", diffs.join("; ")),
                }
            }
        };
        if outcome.starts_with("DIFFERS") || outcome.starts_with("FAILED") || outcome.starts_with("NO TYPE") {
            failures.push(format!("{} [{}]: {outcome}", case.label, case.schema));
        }
        let key = format!("{} [{}]", case.label, case.schema);
        // Several examples can share a label (one operation, several named examples).
        let n = report.keys().filter(|k: &&String| k.starts_with(&key)).count();
        report.insert(if n == 0 { key } else { format!("{key} #{n}") }, outcome);
    }
    let exact = report.values().filter(|o| *o == "exact").count();
    insta::assert_json_snapshot!("conformance_report", report);
    // All request examples must be exact (requests are what Dixa receives),
    // except stale ones, which the snapshot pins by name.
    assert!(
        cases
            .iter()
            .filter(|c| c.is_request)
            .all(|c| report.iter().any(|(k, o)| k.starts_with(&c.label) && (o == "exact" || o.starts_with("STALE")))),
        "a request example does not round-trip exactly"
    );
    println!("{exact} of {} examples round-trip exactly", cases.len());
    assert!(failures.is_empty(), "examples that do not round-trip:\n{}", failures.join("\n"));
}
