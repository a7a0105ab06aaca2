//! The generator over the real spec and over a synthetic future spec, the
//! header, and snapshots of what normalization did to the real spec.

mod common;

use dixa_codegen::changelog::Surface;
use dixa_codegen::generate::{
    generate, generate_parsed, header, Generated, PRETTYPLEASE_VERSION, PROGENITOR_VERSION, TYPIFY_VERSION,
};
use dixa_codegen::tagged_mirror;
use serde_json::json;

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

fn real() -> Generated {
    let raw = std::fs::read(root().join("spec/dixa-v1.json")).expect("spec/dixa-v1.json is committed");
    generate(&raw, "spec/dixa-v1.json").unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn generator_version_constants_match_cargo_lock() {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).expect("Cargo.lock");
    for (name, version) in
        [("progenitor-impl", PROGENITOR_VERSION), ("typify", TYPIFY_VERSION), ("prettyplease", PRETTYPLEASE_VERSION)]
    {
        let entry = format!("name = \"{name}\"\nversion = \"{version}\"\n");
        assert!(lock.contains(&entry), "Cargo.lock does not pin {name} {version}; update the constant in generate.rs");
    }
}

#[test]
fn real_spec_generates_with_header_unions_and_deprecations() {
    let g = real();
    let head: Vec<&str> = g.client.lines().take(4).collect();
    assert!(head[0].contains("DO NOT EDIT") && head[0].contains("cargo xtask generate"), "{head:?}");
    let sha = head[1].split("SHA-256 ").nth(1).expect("sha in header").trim_end_matches(')');
    assert_eq!(sha.len(), 64);
    assert!(
        head[2].contains(&format!("progenitor-impl {PROGENITOR_VERSION}"))
            && head[2].contains(&format!("typify {TYPIFY_VERSION}"))
    );
    for u in &g.normalized.custom.unions {
        assert!(g.client.contains(&format!("pub enum {} {{", u.rust_name)), "union {} emitted", u.schema);
        for v in &u.variants {
            assert!(
                g.client.contains(&format!("pub struct {} ", v.payload))
                    || g.client.contains(&format!("pub struct {}(", v.payload)),
                "payload {} of {} is typify's named struct (rust_type_name matches typify)",
                v.payload,
                u.schema
            );
        }
    }
    for e in &g.normalized.custom.open_enums {
        assert!(g.client.contains(&format!("pub enum {} {{", e.name)), "open enum {}", e.name);
    }
    assert_eq!(g.client.matches("#[deprecated(").count(), g.normalized.deprecated_fields.len());
    assert_eq!(g.normalized.deprecated_fields.len(), 3);
    assert!(!g.client.contains("```ignore"));
    assert!(g.client.contains("pub const OPERATIONS: &[crate::OperationMeta]"));
    assert_eq!(
        g.operations_md.lines().filter(|l| l.starts_with("| ") && l.contains("/v1/")).count(),
        g.normalized.operations.len()
    );
    // Struct builders only for what callers construct (request types).
    assert!(g.client.contains("pub fn builder() -> builder::BulkPatchAgentInput"));
    assert!(
        g.client.contains("pub fn builder() -> builder::CreateMessageInputOutbound")
            || g.client.contains("pub fn builder() -> builder::Outbound")
    );
    assert!(!g.client.contains("builder::AgentOutput"), "response-only types have no builder");
    // Request-only types decode only with the `deserialize-requests` feature;
    // what a response contains always decodes (and encodes, for exports).
    let squeezed_client = squeezed(&g.client);
    assert!(squeezed_client.contains(
        "#[derive(::serde::Serialize,Clone,Debug)]#[cfg_attr(feature=\"deserialize-requests\",derive(::serde::Deserialize))]pubstructBulkPatchAgentInput{"
    ));
    assert!(
        squeezed_client.contains("#[derive(::serde::Deserialize,::serde::Serialize,Clone,Debug)]pubstructAgentOutput{")
    );
    // Only progenitor's types are kept: the builders are ours, generic over the runtime.
    assert!(!g.client.contains("pub struct Client"), "progenitor's client is not emitted");
    assert!(!g.client.contains("progenitor_client"), "the generated code does not depend on progenitor-client");
    assert!(g.client.contains("pub mod builder {"));
    assert!(g.client.contains("macro_rules! impl_operations"));
}

/// Whitespace-free text, so checks do not depend on prettyplease's wrapping.
fn squeezed(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Every operation the rules mark paginated has the paginated form on its own
/// builder, every bulk one the bulk form, and no other builder has either.
#[test]
fn every_paginated_and_bulk_operation_has_its_form() {
    let g = real();
    let code = squeezed(&g.client);
    let mut paginated = 0;
    let mut bulk = 0;
    for (op, call) in g.normalized.operations.iter().zip(&g.calls) {
        let builder = &call.builder;
        let has = |form: &str| code.contains(&format!("crate::runtime::{form}for{builder}<'a,C>"));
        assert_eq!(has("Paginated"), op.paginated, "{} {} paginated form", op.method, op.path);
        let marked_bulk = call.bulk.is_some();
        assert_eq!(has("Bulk"), marked_bulk, "{} {} bulk form", op.method, op.path);
        paginated += usize::from(op.paginated);
        bulk += usize::from(marked_bulk);
    }
    assert_eq!((paginated, bulk), (10, 11), "the snapshot spec's paginated and bulk operations");
}

#[test]
fn send_returns_the_envelopes_data_and_pages_whole() {
    let code = squeezed(&real().client);
    // GET /v1/conversations/{conversationId} answers {"data": Conversation}.
    assert!(
        code.contains("pubfnsend(self,)->impl::std::future::Future<Output=::std::result::Result<crate::types::Conversation,C::Error>,>+::std::marker::Send+'a{crate::runtime::send::<C,types::GetConversationOutput,crate::types::Conversation,>(self.__client,self.request(),|body:types::GetConversationOutput|body.data,)"),
        "get_conversation returns the conversation: the envelope's data"
    );
    // A page keeps its `meta`.
    assert!(code.contains("Result<types::ListAgentsOutput,C::Error>"));
    // Every path parameter goes through the one encoding rule.
    assert!(code.contains("crate::path::encode_segment(\"conversationId\",&conversation_id.to_string())?"));
}

#[test]
fn a_paginated_operation_without_a_page_answer_is_a_generation_error() {
    let mut spec = common::dixa_like();
    spec["paths"]["/v1/z"] = json!({ "get": {
        "operationId": "Z_listZ", "tags": ["Z"],
        "parameters": [{"name": "pageKey", "in": "query", "schema": {"type": "string"}}],
        "responses": { "200": common::ok("Created") } } });
    let err = generate(spec.to_string().as_bytes(), "spec.json").unwrap_err().to_string();
    assert!(err.contains("list_z") && err.contains("paginated"), "{err}");
}

/// `update` and `generate` read the client's items from the tree the
/// generator hands back instead of parsing the printed text again; both
/// readings must give the same decode mirror and the same changelog surface,
/// and `header` must be what the text starts with (update recognizes a
/// committed client by it).
#[test]
fn the_generated_tree_reads_like_its_printed_text() {
    let raw = std::fs::read(root().join("spec/dixa-v1.json")).expect("spec/dixa-v1.json is committed");
    let (g, tree) = generate_parsed(&raw, "spec/dixa-v1.json").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(tagged_mirror::render_file(&tree).unwrap(), tagged_mirror::render(&g.client).unwrap());
    assert_eq!(Surface::of(&tree), Surface::parse(&g.client).unwrap());
    assert!(g.client.starts_with(&header(&raw, "spec/dixa-v1.json")));
    assert!(!g.client.starts_with(&header(&raw, "spec/dixa-v1.current.json")), "the header names the file");
}

#[test]
fn generation_is_deterministic() {
    let (a, b) = (real(), real());
    assert_eq!(a.client, b.client);
    assert_eq!(a.normalized_spec, b.normalized_spec);
}

#[test]
fn a_future_spec_generates_its_new_union_and_variant() {
    let mut spec = common::dixa_like();
    let s = &mut spec["components"]["schemas"];
    s["VideoConversation"] = json!({ "type": "object", "properties": { "id": { "type": "integer" } } });
    s["Conversation"]["oneOf"].as_array_mut().unwrap().push(common::r("VideoConversation"));
    s["Bike"] = json!({ "type": "object" });
    s["Bike2"] = json!({ "type": "object", "properties": { "gears": { "type": "integer" } } });
    s["Vehicle"] = json!({ "oneOf": [ common::r("Bike2"), common::r("Bike") ] });
    s["Page"]["properties"]["vehicle"] = common::r("Vehicle");
    // Bike and Bike2 both have wire tag `Bike`: refused with the schema named.
    let err = generate(spec.to_string().as_bytes(), "future.json").unwrap_err().to_string();
    assert!(err.contains("Vehicle") && err.contains("`Bike`"), "{err}");
    spec["components"]["schemas"]["Vehicle"] = json!({ "oneOf": [ common::r("Bike2") ] });
    let g = generate(spec.to_string().as_bytes(), "future.json").unwrap_or_else(|e| panic!("{e}"));
    assert!(g.client.contains("VideoConversation(VideoConversation)"));
    assert!(g.client.contains("Bike(Bike2)"), "variant named by its wire tag, payload by its schema");
    assert!(g.client.contains("\"Bike\" =>"), "decoded by the wire tag");
}

#[test]
fn invalid_json_names_the_file() {
    let err = generate(b"{ nope", "spec/broken.json").unwrap_err().to_string();
    assert!(err.contains("spec/broken.json"), "{err}");
}

#[test]
fn snapshot_normalization_report() {
    insta::assert_snapshot!("report", real().report.to_string());
}

#[test]
fn snapshot_unions_and_value_sets() {
    let g = real();
    let unions: Vec<_> = g
        .normalized
        .custom
        .unions
        .iter()
        .map(|u| json!({
            "schema": u.schema, "rust": u.rust_name, "open": u.open,
            "variants": u.variants.iter().map(|v| format!("{} -> {}({})", v.tag, v.rust_name, v.payload)).collect::<Vec<_>>()
        }))
        .collect();
    insta::assert_json_snapshot!("unions", unions);
    let enums: Vec<_> = g
        .normalized
        .custom
        .open_enums
        .iter()
        .map(|e| json!({ "name": e.name, "values": e.values, "used_by": e.used_by }))
        .collect();
    insta::assert_json_snapshot!("open_enums", enums);
}

#[test]
fn every_operation_name_is_the_generated_method_name() {
    // Also over odd ids (keywords, leading digits), which progenitor renames.
    let mut spec = common::dixa_like();
    spec["paths"]["/v1/x"] =
        json!({ "get": { "operationId": "X_type", "tags": ["X"], "responses": { "200": common::ok("Created") } } });
    spec["paths"]["/v1/y"] =
        json!({ "get": { "operationId": "Y_3dSecure", "tags": ["Y"], "responses": { "200": common::ok("Created") } } });
    for g in [real(), generate(spec.to_string().as_bytes(), "spec.json").unwrap_or_else(|e| panic!("{e}"))] {
        for op in &g.normalized.operations {
            // prettyplease may wrap the signature: compare without whitespace.
            let emitted = squeezed(&g.client).contains(&format!("pubfn{}(&self)->$crate::builder::", op.operation_id));
            assert!(
                emitted,
                "OPERATIONS names `{}` but no client method of that name is generated for {} {}",
                op.operation_id, op.method, op.path
            );
            assert!(
                g.client.contains(&format!("operation_id: \"{}\"", op.operation_id)),
                "hooks get `{}`",
                op.operation_id
            );
        }
    }
}
