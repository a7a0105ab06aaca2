//! The wire document (`spec/dixa-v1.wire.json`): every union variant declares
//! the `_type` tag the wire uses, checked against the tags WIRE-FACTS lists
//! (gathered from other clients, not from our own rule), and the rules for
//! nullables and trailing-slash routes hold.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use dixa_codegen::normalize::normalize;
use dixa_codegen::wire::{declared_tags, wire_spec, WIRE_SPEC_FILE};
use serde_json::{json, Value};

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn committed() -> Value {
    let text = std::fs::read_to_string(root().join(WIRE_SPEC_FILE)).expect("the wire document is committed");
    serde_json::from_str(&text).expect("the wire document is JSON")
}

/// The "Known wire tags" block of WIRE-FACTS, as `group -> tags`: each line
/// `- Group: A, B; Group2: C` (groups with their tags, separated by `;`).
fn wire_facts_tags() -> BTreeMap<String, BTreeSet<String>> {
    let path = root().join("../shared/WIRE-FACTS.md");
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e} (kept beside the repo)", path.display()));
    let start = text.find("Known wire tags").expect("WIRE-FACTS has a 'Known wire tags' list");
    let block = &text[start..];
    let block = &block[block.find('\n').unwrap_or(0)..];
    let end = block.find("- Search filter fields").expect("the list ends before the search filter note");
    let mut groups = BTreeMap::new();
    let mut current = String::new();
    for line in block[..end].lines() {
        let line = line.trim().trim_start_matches("- ");
        for part in line.split(';') {
            let tags = match part.split_once(':') {
                Some((group, tags)) => {
                    current = group.trim().to_string();
                    tags
                }
                None => part,
            };
            let entry: &mut BTreeSet<String> = groups.entry(current.clone()).or_default();
            entry.extend(tags.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_string));
        }
    }
    groups.retain(|_, tags| !tags.is_empty());
    groups
}

#[test]
fn every_variant_declares_its_wire_tag_as_wire_facts_lists_it() {
    let doc = committed();
    let declared = declared_tags(&doc);
    assert!(declared.len() >= 89, "{} variants declared (89 in the 83-operation spec)", declared.len());
    let schemas = &doc["components"]["schemas"];
    for (union, variant, tag) in &declared {
        let v = &schemas[variant];
        assert_eq!(v["properties"]["_type"]["enum"], json!([tag]), "{union} -> {variant}: one value, the tag");
        assert_eq!(v["properties"]["_type"]["type"], "string", "{variant}");
        assert!(v["required"].as_array().is_some_and(|r| r.contains(&json!("_type"))), "{variant}: _type required");
        let mapping = &schemas[union]["discriminator"];
        assert_eq!(mapping["propertyName"], "_type", "{union}");
        assert_eq!(mapping["mapping"][tag], json!(format!("#/components/schemas/{variant}")), "{union}: {tag}");
        // No exporter artifacts on the wire: generic arguments, clash digits.
        assert!(!tag.contains('_') && !tag.ends_with(|c: char| c.is_ascii_digit()), "{variant}: tag {tag}");
    }
    let all: BTreeSet<&str> = declared.iter().map(|(_, _, t)| t.as_str()).collect();
    let facts = wire_facts_tags();
    assert!(facts.len() >= 10, "parsed WIRE-FACTS groups: {facts:?}");
    for (group, tags) in &facts {
        for tag in tags {
            assert!(all.contains(tag.as_str()), "WIRE-FACTS {group} tag {tag} is declared by no variant");
        }
    }
    // The corrections WIRE-FACTS spells out, by variant schema.
    let tag_of = |variant: &str| declared.iter().find(|(_, v, _)| v == variant).map(|(_, _, t)| t.clone());
    assert_eq!(tag_of("NotFound1").as_deref(), Some("NotFound"));
    assert_eq!(tag_of("Text1").as_deref(), Some("Text"));
    assert_eq!(tag_of("BulkActionSuccess_BulkError_Agent").as_deref(), Some("BulkActionSuccess"));
    assert_eq!(tag_of("BulkActionFailure_ErrorResponse_InternalNoteData").as_deref(), Some("BulkActionFailure"));
}

#[test]
fn the_generator_input_keeps_variants_untagged() {
    // The union enums own `_type`; a declared `_type` in the normalized spec
    // would become a second field in typify's payload structs.
    let text = std::fs::read_to_string(root().join("spec/dixa-v1.normalized.json")).expect("normalized spec");
    let normalized: Value = serde_json::from_str(&text).expect("JSON");
    for (_, variant, _) in declared_tags(&committed()) {
        assert!(normalized["components"]["schemas"][&variant]["properties"].get("_type").is_none(), "{variant}");
    }
}

#[test]
fn nullable_values_are_typed_and_the_search_next_link_route_exists() {
    let doc = committed();
    fn walk(v: &Value, at: &str, bad: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if m.get("nullable") == Some(&Value::Bool(true)) && !m.contains_key("type") {
                    bad.push(at.to_string());
                }
                for (k, c) in m {
                    if k != "example" && k != "examples" {
                        walk(c, &format!("{at}.{k}"), bad);
                    }
                }
            }
            Value::Array(items) => items.iter().enumerate().for_each(|(i, c)| walk(c, &format!("{at}[{i}]"), bad)),
            _ => {}
        }
    }
    let mut bad = Vec::new();
    walk(&doc, "$", &mut bad);
    assert!(bad.is_empty(), "untyped nullable at {bad:?}");
    let values = &doc["components"]["schemas"]["Map_UUID_Option_AttributeValue"]["additionalProperties"];
    assert!(values["anyOf"].as_array().is_some_and(|m| m.iter().all(|m| m["nullable"] == true)), "{values}");

    let next = &doc["paths"]["/v1/search/conversations/"]["get"];
    let params: Vec<&str> =
        next["parameters"].as_array().expect("params").iter().filter_map(|p| p["name"].as_str()).collect();
    assert_eq!(params, ["pageLimit", "pageKey"]);
    assert_eq!(next["parameters"][1]["required"], true);
}

#[test]
fn overlapping_variants_and_untyped_nullables_in_a_synthetic_spec() {
    let mut spec = common::dixa_like();
    let schemas = spec["components"]["schemas"].as_object_mut().expect("schemas");
    schemas.insert(
        "Map_UUID_Option_Value".into(),
        json!({
            "type": "object",
            "additionalProperties": { "oneOf": [ { "type": "string" }, common::r("Page") ] }
        }),
    );
    let normalized = normalize(&spec).expect("normalizes");
    let doc = wire_spec(&normalized).expect("wire document");
    // Every variant of every union of the synthetic spec is tagged.
    let declared = declared_tags(&doc);
    assert!(!declared.is_empty());
    assert!(declared.iter().all(|(_, _, t)| !t.is_empty()), "{declared:?}");
    let text1 = &doc["components"]["schemas"]["Text1"];
    assert_eq!(text1["properties"]["_type"]["enum"], json!(["Text"]), "clash suffix dropped");
    // Html and Text1 have the same shape: only the tag tells them apart.
    assert_eq!(doc["components"]["schemas"]["Html"]["properties"]["_type"]["enum"], json!(["Html"]));
    // A $ref member cannot carry `nullable`: null gets its own member.
    let values = &doc["components"]["schemas"]["Map_UUID_Option_Value"]["additionalProperties"];
    let members = values["anyOf"].as_array().expect("anyOf");
    assert_eq!(members[0], json!({ "type": "string", "nullable": true }));
    assert_eq!(members.last(), Some(&json!({ "type": "string", "nullable": true, "enum": [null] })));
}
