//! Writes `decode_registry.rs`: for every response schema of the wire spec,
//! a match arm decoding a body into the generated type of that schema.
//!
//! A rule over the spec, not a list: a new operation's response type is in
//! the registry the day the spec has it, and a schema without a generated
//! type is a compile error here rather than a silently skipped check.

use std::collections::BTreeSet;
use std::path::Path;

use heck::ToPascalCase;
use serde_json::Value;

const WIRE_SPEC: &str = "../spec/dixa-v1.wire.json";

fn main() {
    println!("cargo:rerun-if-changed={WIRE_SPEC}");
    println!("cargo:rerun-if-changed=build.rs");
    let text = std::fs::read_to_string(WIRE_SPEC).expect("spec/dixa-v1.wire.json is committed");
    let doc: Value = serde_json::from_str(&text).expect("the wire spec is JSON");
    let mut names = BTreeSet::new();
    for item in doc["paths"].as_object().into_iter().flat_map(|p| p.values()) {
        for op in item.as_object().into_iter().flat_map(|i| i.values()) {
            for (code, response) in op["responses"].as_object().into_iter().flatten() {
                if !code.starts_with('2') {
                    continue;
                }
                let schema = &response["content"]["application/json"]["schema"]["$ref"];
                if let Some(name) = schema.as_str().and_then(|r| r.strip_prefix("#/components/schemas/")) {
                    names.insert(name.to_string());
                }
            }
        }
    }
    let mut out = String::from(
        "/// Decodes `body` as the generated type of the component schema `schema`;\n\
         /// `None` when no response of the wire spec uses that schema.\n\
         pub fn decode_as(schema: &str, body: &[u8]) -> Option<Result<(), String>> {\n    Some(match schema {\n",
    );
    for name in &names {
        // typify's type name for a schema (identifier-like names: PascalCase).
        let rust = name.to_pascal_case();
        out.push_str(&format!(
            "        {name:?} => serde_json::from_slice::<dixa_client::types::{rust}>(body).map(|_| ()).map_err(|e| e.to_string()),\n"
        ));
    }
    out.push_str("        _ => return None,\n    })\n}\n");
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("decode_registry.rs");
    std::fs::write(dest, out).expect("write decode_registry.rs");
}
