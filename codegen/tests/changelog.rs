//! The changelog of a synthetic spec update (the seed spec with one change
//! of each kind the issue names), and its classes.

use std::path::PathBuf;

use dixa_codegen::changelog::{compute, markdown, Changelog, Class, Side, Surface};
use dixa_codegen::generate::{generate, generate_parsed};
use serde_json::{json, Value};

fn seed() -> Vec<u8> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::read(root.join("spec/dixa-v1.json")).expect("the seed spec is committed")
}

/// The seed with: an operation removed, a required request property added,
/// a response property removed, a response union variant with a clash
/// suffix (`Markdown2`, beside a new `Markdown`), an enum value added, and
/// a paginated operation added.
pub fn synthetic(seed: &[u8]) -> Value {
    let mut s: Value = serde_json::from_slice(seed).unwrap();
    let paths = s["paths"].as_object_mut().unwrap();
    paths.remove("/v1/tags/{tagId}/deactivate");
    let mut list = paths["/v1/tags"]["get"].clone();
    list["operationId"] = json!("Tags_listArchivedTags");
    list["parameters"] = json!([
        { "name": "pageKey", "in": "query", "required": false, "schema": { "type": "string" } },
        { "name": "pageLimit", "in": "query", "required": false, "schema": { "type": "integer", "format": "int32" } }
    ]);
    list["responses"]["200"] = json!({ "description": "The archived tags", "content": { "application/json": {
        "schema": { "$ref": "#/components/schemas/ListArchivedTagsOutput" } } } });
    paths.insert("/v1/tags/archived".into(), json!({ "get": list }));
    let c = s["components"]["schemas"].as_object_mut().unwrap();
    c["CreateTagInput"]["properties"]["group"] = json!({ "type": "string" });
    c["CreateTagInput"]["required"].as_array_mut().unwrap().push(json!("group"));
    c["Tag"]["properties"].as_object_mut().unwrap().remove("color");
    c["Tag"]["properties"]["state"]["description"] = json!("values: [Active, Inactive, Archived]");
    let text = json!({ "type": "object", "required": ["value"], "properties": { "value": { "type": "string" } } });
    c.insert("Markdown".into(), text.clone());
    c.insert("Markdown2".into(), text);
    c["Content"]["oneOf"].as_array_mut().unwrap().push(json!({ "$ref": "#/components/schemas/Markdown" }));
    c["EmailContent"]["oneOf"].as_array_mut().unwrap().push(json!({ "$ref": "#/components/schemas/Markdown2" }));
    c.insert(
        "ListArchivedTagsOutput".into(),
        json!({ "type": "object", "required": ["data"], "properties": {
            "data": { "type": "array", "items": { "$ref": "#/components/schemas/Tag" } },
            "meta": { "$ref": "#/components/schemas/PaginationLinks" } } }),
    );
    s
}

#[test]
fn a_synthetic_update_is_classified_change_by_change() {
    let old_bytes = seed();
    let old_raw: Value = serde_json::from_slice(&old_bytes).unwrap();
    let new_raw = synthetic(&old_bytes);
    let new_bytes = serde_json::to_vec_pretty(&new_raw).unwrap();
    let old_gen = generate(&old_bytes, "old.json").unwrap_or_else(|e| panic!("{e}"));
    let (new_gen, new_tree) = generate_parsed(&new_bytes, "new.json").unwrap_or_else(|e| panic!("{e}"));

    // The new client: generated, valid Rust (generate parses it), the new
    // operation paginated, the clash suffix dropped from the wire tag.
    let op = new_gen.normalized.operations.iter().find(|o| o.path == "/v1/tags/archived").expect("new operation");
    assert!(op.paginated, "pageKey + meta.next: streamed like every list");
    assert!(new_gen.client.contains("Self::Markdown(_) => \"Markdown\""), "Markdown2 is sent as `Markdown`");
    // As `cargo xtask update` does: the old surface from the (committed)
    // client's text, the new one from the tree the generator hands back;
    // the two ways of reading a client agree.
    let old_surface = Surface::parse(&old_gen.client).expect("the old client parses");
    let new_surface = Surface::of(&new_tree);
    assert_eq!(Surface::parse(&new_gen.client).unwrap(), new_surface, "tree and text have the same surface");

    let entry = compute(
        &Side { raw_bytes: &old_bytes, raw: &old_raw, normalized: &old_gen.normalized, surface: &old_surface },
        &Side { raw_bytes: &new_bytes, raw: &new_raw, normalized: &new_gen.normalized, surface: &new_surface },
        vec!["synthetic".into()],
    );
    let class_of = |kind: &str, location: &str| {
        entry
            .changes
            .iter()
            .find(|c| c.kind == kind && c.location == location)
            .unwrap_or_else(|| panic!("no {kind} at {location}: {:#?}", entry.changes))
            .class
    };
    assert_eq!(class_of("operation.removed", "PATCH /v1/tags/{tagId}/deactivate"), Class::BreakingOnWire);
    assert_eq!(class_of("property.added", "CreateTagInput.group"), Class::BreakingOnWire);
    assert_eq!(class_of("property.removed", "Tag.color"), Class::BreakingOnWire);
    // Open on the response side: not breaking on the wire, but the enums grew.
    assert_eq!(class_of("union.variant-added", "EmailContent"), Class::BreakingForRust);
    assert_eq!(class_of("union.variant-added", "Content"), Class::BreakingForRust);
    assert_eq!(class_of("enum.value-added", "TagState"), Class::BreakingForRust);
    assert_eq!(class_of("operation.added", "GET /v1/tags/archived"), Class::Additive);
    let added = entry.changes.iter().find(|c| c.location == "EmailContent").unwrap();
    assert!(added.reason.contains("oasdiff") && added.detail.contains("wire tag `Markdown`"), "{added:?}");
    assert!(entry.non_exhaustive_candidates.contains(&"types::EmailContent".to_string()));
    assert_eq!(entry.bump, dixa_codegen::changelog::Bump::Major);
    assert_eq!((entry.operations.added.len(), entry.operations.removed.len()), (1, 1));

    let log = Changelog { entries: vec![entry] };
    assert_eq!(Changelog::from_json(&log.to_json()).unwrap(), log, "the JSON form round-trips");
    insta::assert_snapshot!("synthetic_update", markdown(&log));
}
