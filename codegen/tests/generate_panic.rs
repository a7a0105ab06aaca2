//! progenitor panics are caught and reported with the operation that causes
//! them. (Own test binary: catching swaps the process-wide panic hook.)

mod common;

use dixa_codegen::generate::{generate, GenerateError};
use serde_json::json;

#[test]
fn a_progenitor_panic_names_the_operation() {
    let mut spec = common::dixa_like();
    // Two different success types: progenitor asserts `response_types.len() <= 1`.
    spec["paths"]["/v1/conversations"]["post"]["responses"]["200"] = common::ok("Page");
    spec["paths"]["/v1/other"] =
        json!({ "get": { "operationId": "Other_get", "responses": { "200": common::ok("Page") } } });
    match generate(spec.to_string().as_bytes(), "spec.json") {
        Err(GenerateError::Panic { operation, message }) => {
            assert_eq!(operation.as_deref(), Some("POST /v1/conversations (Conversations_createConversation)"));
            assert!(message.contains("response_types.len() <= 1"), "{message}");
        }
        Err(other) => panic!("expected a caught panic, got {other}"),
        Ok(_) => panic!("expected a caught panic, generation succeeded"),
    }
}

#[test]
fn a_failure_outside_every_operation_names_none() {
    // A component schema openapiv3 cannot read (an OpenAPI 3.1 type list)
    // fails every operation "alone" too; blaming the first one would send
    // the reader to the wrong place.
    let mut spec = common::dixa_like();
    spec["components"]["schemas"]["Unused"] = json!({ "type": ["string", "null"] });
    match generate(spec.to_string().as_bytes(), "spec.json") {
        Err(GenerateError::Progenitor { operation, message }) => {
            assert_eq!(operation, None, "{message}");
            assert!(message.contains("openapiv3"), "{message}");
        }
        Err(other) => panic!("expected a progenitor error, got {other}"),
        Ok(_) => panic!("expected an error"),
    }
}

#[test]
fn odd_unicode_in_names_and_values_never_panics() {
    // `²` is alphanumeric but not an identifier character: an identifier
    // built from it makes proc-macro2 panic unless names follow XID rules.
    let mut spec = common::dixa_like();
    spec["components"]["schemas"]["ChatConversation"]["properties"]["unit"] =
        json!({ "type": "string", "description": "values: [m², km²]" });
    spec["components"]["schemas"]["Area²"] = json!({ "type": "object", "properties": { "v": { "type": "integer" } } });
    spec["components"]["schemas"]["Conversation"]["oneOf"].as_array_mut().unwrap().push(common::r("Area²"));
    let result = std::panic::catch_unwind(|| generate(spec.to_string().as_bytes(), "spec.json").map(|g| g.client));
    match result {
        Ok(Ok(client)) => {
            assert!(client.contains("pub enum Unit {"), "the value set is generated");
            // The union's payload is typify's struct, under the name typify gave it.
            assert!(
                client.contains("pub struct Area {") && client.contains("Area(Area)"),
                "payload naming agrees with typify"
            );
        }
        Ok(Err(e)) => panic!("expected generation to succeed, got {e}"),
        Err(_) => panic!("generation panicked"),
    }
}
