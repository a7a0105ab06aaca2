//! One section per normalization pass: each pass's rule on synthetic specs,
//! including shapes today's spec does not have (new unions, new variants,
//! new clash suffixes), and the typed errors for shapes no rule covers.

mod common;

use common::{dixa_like, error, r};
use dixa_codegen::normalize::{normalize, NormalizeError, Normalized};
use serde_json::{json, Value};

fn run(spec: &Value) -> Normalized {
    normalize(spec).unwrap_or_else(|e| panic!("normalize failed: {e}"))
}

fn lines(n: &Normalized, pass: &str) -> Vec<String> {
    n.report.of_pass(pass).map(|l| format!("{}: {}", l.subject, l.change)).collect()
}

fn schema<'a>(n: &'a Normalized, name: &str) -> &'a Value {
    &n.spec["components"]["schemas"][name]
}

// ---- operations ----------------------------------------------------------

#[test]
fn operations_drop_the_tag_prefix_and_snake_case() {
    let n = run(&dixa_like());
    let ids: Vec<(&str, &str, bool)> =
        n.operations.iter().map(|o| (o.spec_operation_id.as_str(), o.operation_id.as_str(), o.paginated)).collect();
    assert_eq!(
        ids,
        vec![
            ("Conversations_listConversations", "list_conversations", true),
            ("Conversations_createConversation", "create_conversation", false)
        ]
    );
    assert_eq!(n.spec["paths"]["/v1/conversations"]["get"]["operationId"], "list_conversations");
    assert!(lines(&n, "operations")[0].contains("Conversations_listConversations -> list_conversations; paginated"));
}

#[test]
fn operations_keep_the_tag_only_when_short_names_collide() {
    let mut spec = dixa_like();
    spec["paths"]["/v1/teams"] = json!({ "get": { "operationId": "Teams_listConversations", "tags": ["Teams"], "responses": { "200": common::ok("Page") } } });
    let n = run(&spec);
    let ids: Vec<&str> = n.operations.iter().map(|o| o.operation_id.as_str()).collect();
    assert!(ids.contains(&"conversations_list_conversations") && ids.contains(&"teams_list_conversations"), "{ids:?}");
    assert!(ids.contains(&"create_conversation"), "non-colliding names stay short: {ids:?}");
}

#[test]
fn operations_paginated_by_meta_next_without_page_key() {
    let mut spec = dixa_like();
    spec["paths"]["/v1/conversations"]["get"]["parameters"] = json!([]);
    let n = run(&spec);
    assert!(n.operations[0].paginated, "Page has meta.next");
    assert!(!n.operations[1].paginated);
}

// ---- multipart ---------------------------------------------------------

#[test]
fn multipart_bodies_become_raw_bodies_and_are_listed() {
    let mut spec = dixa_like();
    spec["paths"]["/v1/conversations"]["post"]["requestBody"] = json!({ "required": true, "content": {
        "multipart/form-data": { "schema": r("CreateInput") } } });
    let n = run(&spec);
    let content = &n.spec["paths"]["/v1/conversations"]["post"]["requestBody"]["content"];
    assert_eq!(content.as_object().unwrap().keys().collect::<Vec<_>>(), ["application/octet-stream"]);
    assert_eq!(content["application/octet-stream"]["schema"]["format"], "binary");
    assert_eq!(n.multipart_operations, ["create_conversation"]);
    assert_eq!(
        lines(&n, "multipart"),
        ["POST /v1/conversations: multipart/form-data body (the form `CreateInput`) sent as a raw body"]
    );
}

#[test]
fn multipart_beside_json_keeps_json_and_other_media_types_are_an_error() {
    let mut spec = dixa_like();
    let body = &mut spec["paths"]["/v1/conversations"]["post"]["requestBody"]["content"];
    body["multipart/form-data"] = json!({ "schema": r("CreateInput") });
    let n = run(&spec);
    let content = &n.spec["paths"]["/v1/conversations"]["post"]["requestBody"]["content"];
    assert_eq!(content.as_object().unwrap().keys().collect::<Vec<_>>(), ["application/json"]);
    assert!(n.multipart_operations.is_empty());

    let mut spec = dixa_like();
    spec["paths"]["/v1/conversations"]["post"]["requestBody"]["content"] = json!({
        "multipart/form-data": { "schema": r("CreateInput") }, "text/plain": { "schema": { "type": "string" } } });
    let err = normalize(&spec).unwrap_err();
    assert!(err.to_string().contains("POST /v1/conversations") && err.to_string().contains("multipart"), "{err}");
}

// ---- errors --------------------------------------------------------------

#[test]
fn errors_merge_into_one_api_error_schema() {
    let n = run(&dixa_like());
    for (method, status) in [("get", "400"), ("get", "404"), ("get", "500"), ("post", "400"), ("post", "500")] {
        let s =
            &n.spec["paths"]["/v1/conversations"][method]["responses"][status]["content"]["application/json"]["schema"];
        assert_eq!(s, &r("ApiError"), "{method} {status}");
    }
    assert_eq!(schema(&n, "ApiError")["required"], json!(["message"]));
    assert_eq!(lines(&n, "errors").len(), 5);
}

#[test]
fn errors_with_another_shape_are_rejected_naming_the_operation() {
    let mut spec = dixa_like();
    spec["components"]["schemas"]["Weird"] =
        json!({ "type": "object", "required": ["code"], "properties": { "code": { "type": "integer" } } });
    spec["paths"]["/v1/conversations"]["post"]["responses"]["409"] = error("Weird");
    match normalize(&spec) {
        Err(NormalizeError::UnexpectedShape { pass: "errors", location, problem }) => {
            assert!(location.contains("POST /v1/conversations response 409"), "{location}");
            assert!(problem.contains("Weird"), "{problem}");
        }
        other => panic!("expected an errors-pass error, got {other:?}"),
    }
}

#[test]
fn errors_refuse_to_shadow_an_existing_api_error() {
    let mut spec = dixa_like();
    spec["components"]["schemas"]["ApiError"] = json!({ "type": "object" });
    assert!(matches!(normalize(&spec), Err(NormalizeError::NameClash { name, .. }) if name == "ApiError"));
}

// ---- deprecated ----------------------------------------------------------

#[test]
fn deprecated_empty_object_unions_become_deprecated_strings() {
    let n = run(&dixa_like());
    let kind = &schema(&n, "EmailConversation")["properties"]["kind"];
    // In a response: any JSON value, so an object where a string was
    // inferred cannot fail the response.
    assert!(kind.get("type").is_none(), "{kind}");
    assert_eq!(kind["deprecated"], true);
    assert!(kind["description"].as_str().is_some_and(|d| d.contains("use `_type`")), "points to _type: {kind}");
    assert_eq!(schema(&n, "EmailConversation")["required"], json!(["id", "createdAt"]), "unchanged: kind was optional");
    for gone in ["DeprecatedKind", "EmailKind", "ChatKind"] {
        assert!(schema(&n, gone).is_null(), "{gone} removed");
    }
    assert_eq!(n.deprecated_fields.len(), 1);
    assert_eq!(
        (n.deprecated_fields[0].schema.as_str(), n.deprecated_fields[0].property.as_str()),
        ("EmailConversation", "kind")
    );
}

#[test]
fn deprecated_fields_are_no_longer_required() {
    let mut spec = dixa_like();
    spec["components"]["schemas"]["ChatConversation"]["properties"]["kind"] = r("DeprecatedKind");
    spec["components"]["schemas"]["ChatConversation"]["required"] = json!(["id", "kind"]);
    let n = run(&spec);
    assert_eq!(schema(&n, "ChatConversation")["required"], json!(["id"]));
}

#[test]
fn deprecated_rule_is_keyed_on_shape_not_name() {
    let mut spec = dixa_like();
    // Renamed, and a new holder: still found.
    let kind = spec["components"]["schemas"]["DeprecatedKind"].take();
    spec["components"]["schemas"].as_object_mut().unwrap().remove("DeprecatedKind");
    spec["components"]["schemas"]["LegacyChannelKind"] = kind;
    spec["components"]["schemas"]["EmailConversation"]["properties"]["kind"] = r("LegacyChannelKind");
    spec["components"]["schemas"]["ChatConversation"]["properties"]["legacy"] = r("LegacyChannelKind");
    let n = run(&spec);
    assert_eq!(n.deprecated_fields.len(), 2);
    // Not deprecated: a union of empty objects stays a union (NoAuth-like).
    let mut spec = dixa_like();
    spec["components"]["schemas"]["DeprecatedKind"].as_object_mut().unwrap().remove("deprecated");
    let n = run(&spec);
    assert!(n.deprecated_fields.is_empty());
    assert!(n.custom.unions.iter().any(|u| u.schema == "DeprecatedKind"));
}

// ---- unions --------------------------------------------------------------

#[test]
fn unions_are_tagged_by_wire_tag_and_open_when_in_responses() {
    let n = run(&dixa_like());
    let conv = n.custom.unions.iter().find(|u| u.schema == "Conversation").expect("Conversation");
    assert!(conv.open, "Conversation is in a response");
    let tags: Vec<&str> = conv.variants.iter().map(|v| v.tag.as_str()).collect();
    assert_eq!(tags, ["EmailConversation", "ChatConversation"]);
    let content = n.custom.unions.iter().find(|u| u.schema == "Content").expect("Content");
    assert!(!content.open, "Content is request-only here");
    let text = &content.variants[1];
    assert_eq!(
        (text.schema.as_str(), text.tag.as_str(), text.rust_name.as_str(), text.payload.as_str()),
        ("Text1", "Text", "Text", "Text1")
    );
    assert_eq!(schema(&n, "Content")["discriminator"]["mapping"]["Text"], "#/components/schemas/Text1");
    assert_eq!(n.custom.replacements.get("Conversation").map(String::as_str), Some("crate::types::Conversation"));
}

#[test]
fn unions_rule_covers_a_future_spec() {
    // A new union, a new variant of an existing one, generic instances and a
    // `2` clash suffix: none of these names appear in the code.
    let mut spec = dixa_like();
    let s = &mut spec["components"]["schemas"];
    s["VideoConversation"] = json!({ "type": "object", "properties": { "id": { "type": "integer" } } });
    s["Conversation"]["oneOf"].as_array_mut().unwrap().push(r("VideoConversation"));
    s["Bike"] = json!({ "type": "object" });
    s["Bike2"] = json!({ "type": "object", "properties": { "gears": { "type": "integer" } } });
    s["Outcome_Car_UUID"] = json!({ "type": "object", "properties": { "id": { "type": "string" } } });
    s["Vehicle"] = json!({ "oneOf": [ r("Bike2"), r("Outcome_Car_UUID") ] });
    s["Page"]["properties"]["vehicle"] = r("Vehicle");
    let n = run(&spec);
    let conv = n.custom.unions.iter().find(|u| u.schema == "Conversation").unwrap();
    assert_eq!(conv.variants.last().unwrap().tag, "VideoConversation");
    let vehicle = n.custom.unions.iter().find(|u| u.schema == "Vehicle").expect("new union found");
    let tags: Vec<&str> = vehicle.variants.iter().map(|v| v.tag.as_str()).collect();
    assert_eq!(tags, ["Bike", "Outcome"]);
    assert!(vehicle.open);
    assert!(lines(&n, "unions")
        .iter()
        .any(|l| l.starts_with("Vehicle: open union by `_type` [Bike2=Bike, Outcome_Car_UUID=Outcome]")));
}

#[test]
fn unions_remove_a_variant_own_type_property() {
    let n = run(&dixa_like());
    assert!(schema(&n, "EmailConversation")["properties"].get("_type").is_none());
    assert!(lines(&n, "unions").iter().any(|l| l.starts_with("EmailConversation: removed its own `_type`")));
}

#[test]
fn unions_reject_inline_members_and_duplicate_tags() {
    let mut spec = dixa_like();
    spec["components"]["schemas"]["Conversation"]["oneOf"].as_array_mut().unwrap().push(json!({ "type": "object" }));
    match normalize(&spec) {
        Err(NormalizeError::UnexpectedShape { pass: "unions", location, problem }) => {
            assert_eq!(location, "Conversation");
            assert!(problem.contains("inline"), "{problem}");
        }
        other => panic!("{other:?}"),
    }
    let mut spec = dixa_like();
    spec["components"]["schemas"]["Content"]["oneOf"].as_array_mut().unwrap().push(r("Text"));
    match normalize(&spec) {
        Err(NormalizeError::UnexpectedShape { pass: "unions", location, problem }) => {
            assert_eq!(location, "Content");
            assert!(problem.contains("wire tag `Text`"), "{problem}");
        }
        other => panic!("{other:?}"),
    }
}

// ---- value_sets ----------------------------------------------------------

#[test]
fn value_sets_share_a_type_and_are_open_on_the_response_side() {
    let n = run(&dixa_like());
    // Same set in two conversation schemas (order differs): one type.
    assert_eq!(schema(&n, "EmailConversation")["properties"]["direction"], r("Direction"));
    assert_eq!(schema(&n, "ChatConversation")["properties"]["direction"], r("Direction"));
    let direction = n.custom.open_enums.iter().find(|e| e.name == "Direction").expect("open");
    assert_eq!(direction.values, ["Inbound", "Outbound"]);
    // Request-only: closed, left to typify as an enum.
    assert_eq!(schema(&n, "Priority")["enum"], json!(["High", "Low"]));
    assert!(!n.custom.open_enums.iter().any(|e| e.name == "Priority"));
    // `_type` is too generic a name alone.
    assert_eq!(schema(&n, "Created")["properties"]["_type"], r("CreatedType"));
}

#[test]
fn value_sets_with_a_contested_name_qualify_the_minority() {
    let mut spec = dixa_like();
    spec["components"]["schemas"]["CreateInput"]["properties"]["direction"] =
        json!({ "type": "string", "description": "values: [Inbound, Outbound, Internal]" });
    let n = run(&spec);
    assert_eq!(schema(&n, "CreateInput")["properties"]["direction"], r("CreateInputDirection"));
    assert_eq!(schema(&n, "ChatConversation")["properties"]["direction"], r("Direction"));
    assert!(lines(&n, "value_sets").iter().any(|l| l.starts_with("CreateInputDirection: closed")));
}

#[test]
fn value_sets_whose_name_a_schema_holds_still_share_one_type() {
    // A newer spec adds an object schema `Direction` (a search filter): the
    // value set shared by both conversations stays one type, `DirectionValue`.
    let mut spec = dixa_like();
    spec["components"]["schemas"]["Direction"] =
        json!({ "type": "object", "properties": { "operator": { "type": "string" } } });
    let n = run(&spec);
    assert_eq!(schema(&n, "EmailConversation")["properties"]["direction"], r("DirectionValue"));
    assert_eq!(schema(&n, "ChatConversation")["properties"]["direction"], r("DirectionValue"));
    assert!(n.custom.open_enums.iter().any(|e| e.name == "DirectionValue" && e.used_by.len() == 2));
    assert_eq!(schema(&n, "Direction")["type"], "object", "the schema that holds the name is untouched");
}

// ---- string_or_tag -----------------------------------------------------

/// `dixa_like` plus a `Preset` variant in a request union, with an example
/// that sends the preset name as `{"_type": name}`.
fn with_preset(example_value: Value) -> Value {
    let mut spec = dixa_like();
    let s = &mut spec["components"]["schemas"];
    s["Preset"] = json!({ "type": "object", "required": ["value"], "properties": { "value": { "type": "string", "description": "values: [Today, ThisWeek]" } } });
    s["Interval"] = json!({ "type": "object", "properties": { "start": { "type": "string" } } });
    s["PeriodFilter"] = json!({ "oneOf": [ r("Interval"), r("Preset") ] });
    s["CreateInput"]["properties"]["periods"] = json!({ "type": "array", "items": r("PeriodFilter") });
    spec["paths"]["/v1/conversations"]["post"]["requestBody"]["content"]["application/json"]["example"] =
        json!({ "subject": "s", "periods": [ { "_type": "Preset", "value": example_value } ] });
    spec
}

#[test]
fn string_or_tag_follows_the_examples_through_unions() {
    let n = run(&with_preset(json!({ "_type": "ThisWeek" })));
    assert_eq!(schema(&n, "Preset")["properties"]["value"], r("PresetValueStringOrTag"));
    assert_eq!(schema(&n, "PresetValue")["enum"], json!(["ThisWeek", "Today"]));
    assert_eq!(
        n.custom.replacements.get("PresetValueStringOrTag").map(String::as_str),
        Some("crate::StringOrTag<crate::types::PresetValue>")
    );
    assert!(lines(&n, "string_or_tag")[0].contains("examples of POST /v1/conversations"));
}

#[test]
fn string_or_tag_follows_an_untagged_example_into_the_variants_that_fit_it() {
    // The body became a union after its example was written (the newer
    // spec's GetMetricDataInput): the example has no `_type`, and only the
    // variant declaring all its members is followed.
    let mut spec = with_preset(json!({ "_type": "ThisWeek" }));
    let s = &mut spec["components"]["schemas"];
    s["ByPeriod"] =
        json!({ "type": "object", "properties": { "id": { "type": "string" }, "period": r("PeriodFilter") } });
    s["ByCsid"] =
        json!({ "type": "object", "properties": { "id": { "type": "string" }, "csid": { "type": "integer" } } });
    s["MetricInput"] = json!({ "oneOf": [ r("ByCsid"), r("ByPeriod") ] });
    let post = &mut spec["paths"]["/v1/conversations"]["post"]["requestBody"]["content"]["application/json"];
    post["schema"] = r("MetricInput");
    post["example"] = json!({ "id": "m", "period": { "_type": "Preset", "value": { "_type": "ThisWeek" } } });
    let n = run(&spec);
    assert_eq!(schema(&n, "Preset")["properties"]["value"], r("PresetValueStringOrTag"));
}

#[test]
fn string_or_tag_leaves_strings_the_examples_send_as_strings() {
    let n = run(&with_preset(json!("ThisWeek")));
    assert!(lines(&n, "string_or_tag").is_empty());
    assert_eq!(schema(&n, "Preset")["properties"]["value"], r("PresetValue"), "an ordinary lifted value set");
}

// ---- timestamps ----------------------------------------------------------

#[test]
fn timestamps_reference_the_lenient_type_everywhere() {
    let mut spec = dixa_like();
    spec["paths"]["/v1/conversations"]["get"]["parameters"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "name": "since", "in": "query", "schema": { "type": "string", "format": "date-time" } }));
    let n = run(&spec);
    assert_eq!(schema(&n, "EmailConversation")["properties"]["createdAt"], r("Timestamp"));
    assert_eq!(n.spec["paths"]["/v1/conversations"]["get"]["parameters"][1]["schema"], r("Timestamp"));
    assert_eq!(n.custom.replacements.get("Timestamp").map(String::as_str), Some("crate::Timestamp"));
    assert_eq!(lines(&n, "timestamps").len(), 2);
}

// ---- request_arrays ------------------------------------------------------

#[test]
fn request_arrays_become_nullable_only_on_the_request_side() {
    let n = run(&dixa_like());
    assert_eq!(schema(&n, "CreateInput")["properties"]["middleNames"]["nullable"], true);
    assert!(schema(&n, "Page")["properties"]["data"].get("nullable").is_none(), "response-only stays Vec");
    assert_eq!(lines(&n, "request_arrays").len(), 2);
}

// ---- whole pipeline ------------------------------------------------------

#[test]
fn a_document_without_schemas_is_a_typed_error() {
    let err = normalize(&json!({ "openapi": "3.0.3", "paths": {} })).unwrap_err();
    assert!(err.to_string().contains("components.schemas"), "{err}");
}

#[test]
fn operations_without_an_id_are_named_with_their_method() {
    // The synthesized id must not lose its verb to the tag-prefix rule:
    // `get_v1_agents_agent_id`, not `v1_agents_agent_id`.
    let mut spec = dixa_like();
    spec["paths"]["/v1/agents/{agentId}"] = json!({
        "get": { "responses": { "200": common::ok("Created") } }
    });
    spec["paths"]["/v1/teams/{teamId}"] = json!({
        "get": { "responses": { "200": common::ok("Created") } },
        "delete": { "responses": { "204": { "description": "gone" } } }
    });
    let n = run(&spec);
    let ids: Vec<&str> = n.operations.iter().map(|o| o.operation_id.as_str()).collect();
    for id in ["get_v1_agents_agent_id", "get_v1_teams_team_id", "delete_v1_teams_team_id"] {
        assert!(ids.contains(&id), "{id} missing: {ids:?}");
    }
}

#[test]
fn operations_drop_only_a_prefix_that_is_one_of_their_tags() {
    // `list_agents_v2` is a plain snake_case id, not `Tag_rest`: keep it whole.
    let mut spec = dixa_like();
    spec["paths"]["/v1/agents"] = json!({ "get": { "operationId": "list_agents_v2", "tags": ["Agents"], "responses": { "200": common::ok("Created") } } });
    let n = run(&spec);
    let ids: Vec<&str> = n.operations.iter().map(|o| o.operation_id.as_str()).collect();
    assert!(ids.contains(&"list_agents_v2"), "{ids:?}");
    assert!(ids.contains(&"list_conversations"), "tag prefixes are still dropped: {ids:?}");
}

#[test]
fn operation_names_are_the_identifiers_progenitor_emits() {
    // progenitor sanitizes method names (`type` -> `type_`, `3dSecure` ->
    // `_3d_secure`) and passes the sanitized name to hooks; OPERATIONS must
    // carry the same name or `OperationMeta::find` misses the operation.
    let mut spec = dixa_like();
    spec["paths"]["/v1/x"] =
        json!({ "get": { "operationId": "X_type", "tags": ["X"], "responses": { "200": common::ok("Created") } } });
    spec["paths"]["/v1/y"] =
        json!({ "get": { "operationId": "Y_3dSecure", "tags": ["Y"], "responses": { "200": common::ok("Created") } } });
    let n = run(&spec);
    let ids: Vec<&str> = n.operations.iter().map(|o| o.operation_id.as_str()).collect();
    assert!(ids.contains(&"type_") && ids.contains(&"_3d_secure"), "{ids:?}");
}

// ---- load: shapes no pass should meet ---------------------------------------

#[test]
fn a_dangling_ref_is_a_typed_error_naming_where_it_is() {
    // progenitor would panic (`$ref ... is missing`) and the panic could only
    // be pinned on some operation that happens to reach it.
    let mut spec = dixa_like();
    spec["components"]["schemas"]["ChatConversation"]["properties"]["agent"] = r("Agent");
    match normalize(&spec) {
        Err(NormalizeError::UnexpectedShape { pass: "load", location, problem }) => {
            assert_eq!(location, "components.schemas.ChatConversation.properties.agent");
            assert!(problem.contains("#/components/schemas/Agent"), "{problem}");
        }
        other => panic!("{other:?}"),
    }
    let mut spec = dixa_like();
    spec["paths"]["/v1/conversations"]["get"]["responses"]["200"] = common::ok("Gone");
    let err = normalize(&spec).unwrap_err().to_string();
    assert!(err.contains("paths./v1/conversations.get.responses.200") && err.contains("Gone"), "{err}");
}

#[test]
fn values_that_map_to_the_same_rust_name_are_a_typed_error() {
    // typify would panic ("Failed to make unique variant names") on the
    // closed one; the open one would emit two variants with one name.
    for holder in ["CreateInput", "ChatConversation"] {
        let mut spec = dixa_like();
        spec["components"]["schemas"][holder]["properties"]["mode"] =
            json!({ "type": "string", "description": "values: [fast lane, fast-lane]" });
        match normalize(&spec) {
            Err(NormalizeError::UnexpectedShape { pass: "value_sets", location, problem }) => {
                assert_eq!(location, format!("{holder}.mode"));
                assert!(
                    problem.contains("fast lane") && problem.contains("fast-lane") && problem.contains("FastLane"),
                    "{problem}"
                );
            }
            other => panic!("{holder}: {other:?}"),
        }
    }
}

#[test]
fn values_lists_drop_quotes_around_values() {
    // `values: ["A", 'B', `C`]` names A, B and C; the quotes are not on the wire.
    let mut spec = dixa_like();
    spec["components"]["schemas"]["ChatConversation"]["properties"]["mode"] =
        json!({ "type": "string", "description": "Possible values: [\"Fast\", 'Slow', `Mid-way`, ]." });
    let n = run(&spec);
    let mode = n.custom.open_enums.iter().find(|e| e.name == "Mode").expect("lifted");
    assert_eq!(mode.values, ["Fast", "Mid-way", "Slow"]);
}

#[test]
fn union_variants_that_map_to_the_same_rust_name_are_a_typed_error() {
    let mut spec = dixa_like();
    spec["components"]["schemas"]["video-call"] = json!({ "type": "object" });
    spec["components"]["schemas"]["VideoCall"] = json!({ "type": "object" });
    let members = spec["components"]["schemas"]["Conversation"]["oneOf"].as_array_mut().unwrap();
    members.push(r("video-call"));
    members.push(r("VideoCall"));
    match normalize(&spec) {
        Err(NormalizeError::UnexpectedShape { pass: "unions", location, problem }) => {
            assert_eq!(location, "Conversation");
            assert!(problem.contains("video-call") && problem.contains("VideoCall"), "{problem}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn request_arrays_rule_covers_inline_bodies_and_nested_objects() {
    // Today's spec names every request body; a future one may not.
    let mut spec = dixa_like();
    spec["paths"]["/v1/conversations"]["put"] = json!({
        "operationId": "Conversations_replaceConversations",
        "tags": ["Conversations"],
        "requestBody": { "content": { "application/json": { "schema": {
            "type": "object",
            "properties": {
                "ids": { "type": "array", "items": { "type": "string" } },
                "filter": { "type": "object", "properties": { "tags": { "type": "array", "items": { "type": "string" } } } }
            }
        } } } },
        "responses": { "204": { "description": "done" } }
    });
    spec["components"]["schemas"]["CreateInput"]["properties"]["extra"] =
        json!({ "type": "object", "properties": { "labels": { "type": "array", "items": { "type": "string" } } } });
    let n = run(&spec);
    let body = &n.spec["paths"]["/v1/conversations"]["put"]["requestBody"]["content"]["application/json"]["schema"];
    assert_eq!(body["properties"]["ids"]["nullable"], true, "{body}");
    assert_eq!(body["properties"]["filter"]["properties"]["tags"]["nullable"], true, "{body}");
    assert_eq!(schema(&n, "CreateInput")["properties"]["extra"]["properties"]["labels"]["nullable"], true);
}

#[test]
fn operation_ids_equal_after_snake_casing_are_a_typed_error() {
    let mut spec = dixa_like();
    spec["paths"]["/v1/other"] = json!({ "get": { "operationId": "Conversations_list_conversations", "tags": ["Conversations"], "responses": { "200": common::ok("Created") } } });
    match normalize(&spec) {
        Err(NormalizeError::UnexpectedShape { pass: "operations", location, problem }) => {
            assert_eq!(location, "GET /v1/other");
            assert!(
                problem.contains("conversations_list_conversations") && problem.contains("GET /v1/conversations"),
                "{problem}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_path_item_that_is_not_an_object_is_a_typed_error() {
    let mut spec = dixa_like();
    spec["paths"]["/v1/broken"] = json!([]);
    match normalize(&spec) {
        Err(NormalizeError::UnexpectedShape { pass: "load", location, .. }) => assert_eq!(location, "paths./v1/broken"),
        other => panic!("{other:?}"),
    }
    let mut spec = dixa_like();
    spec["paths"]["/v1/conversations"]["get"] = json!("list");
    match normalize(&spec) {
        Err(NormalizeError::UnexpectedShape { pass: "load", location, .. }) => {
            assert_eq!(location, "GET /v1/conversations")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_named_date_time_schema_is_a_timestamp_too() {
    let mut spec = dixa_like();
    spec["components"]["schemas"]["Instant"] = json!({ "type": "string", "format": "date-time" });
    spec["components"]["schemas"]["ChatConversation"]["properties"]["closedAt"] = r("Instant");
    let n = run(&spec);
    assert_eq!(n.custom.replacements.get("Instant").map(String::as_str), Some("crate::Timestamp"));
    assert!(lines(&n, "timestamps").iter().any(|l| l.starts_with("Instant: ")), "{:?}", lines(&n, "timestamps"));
}

#[test]
fn a_union_reached_through_a_response_ref_is_open() {
    // `responses: {"200": {"$ref": "#/components/responses/Page"}}` is valid
    // OpenAPI; the union behind it still arrives in a response.
    let mut spec = dixa_like();
    spec["components"]["responses"] = json!({ "PageResponse": common::ok("Page") });
    spec["paths"]["/v1/conversations"]["get"]["responses"]["200"] =
        json!({ "$ref": "#/components/responses/PageResponse" });
    let n = run(&spec);
    let conv = n.custom.unions.iter().find(|u| u.schema == "Conversation").expect("Conversation");
    assert!(conv.open, "reachable from a response through components.responses");
    assert!(n.custom.open_enums.iter().any(|e| e.name == "Direction"), "its value sets are open too");
}

#[test]
fn errors_behind_a_response_ref_are_merged_too() {
    let mut spec = dixa_like();
    spec["components"]["responses"] = json!({ "NotFoundResponse": error("NotFound") });
    spec["paths"]["/v1/conversations"]["get"]["responses"]["404"] =
        json!({ "$ref": "#/components/responses/NotFoundResponse" });
    let n = run(&spec);
    let s = &n.spec["paths"]["/v1/conversations"]["get"]["responses"]["404"]["content"]["application/json"]["schema"];
    assert_eq!(s, &r("ApiError"), "inlined and merged, or progenitor would see two error types");
}

// ---- optional_values ---------------------------------------------------------

#[test]
fn map_values_the_exporter_names_option_are_nullable() {
    // `Map_UUID_Option_AttributeValue` is Scala's `Map[UUID, Option[AttributeValue]]`:
    // `null` clears a value, so the client must be able to send and read it.
    let mut spec = dixa_like();
    let s = &mut spec["components"]["schemas"];
    s["Map_UUID_Option_Label"] = json!({ "type": "object", "additionalProperties": { "type": "string" } });
    s["Map_UUID_Label"] = json!({ "type": "object", "additionalProperties": { "type": "string" } });
    s["Map_Option_Label"] = json!({ "type": "object", "additionalProperties": { "type": "string" } });
    s["CreateInput"]["properties"]["labels"] = r("Map_UUID_Option_Label");
    s["CreateInput"]["properties"]["fixed"] = r("Map_UUID_Label");
    s["CreateInput"]["properties"]["odd"] = r("Map_Option_Label");
    let n = run(&spec);
    assert_eq!(schema(&n, "Map_UUID_Option_Label")["additionalProperties"]["nullable"], true);
    assert!(schema(&n, "Map_UUID_Label")["additionalProperties"].get("nullable").is_none());
    assert!(
        schema(&n, "Map_Option_Label")["additionalProperties"].get("nullable").is_none(),
        "Option as the KEY type is not a value option"
    );
    assert_eq!(
        lines(&n, "optional_values"),
        ["Map_UUID_Option_Label: map values are Option[...] -> nullable (null clears a value)"]
    );
}

#[test]
fn a_union_without_members_is_a_typed_error() {
    // A closed enum without variants would not compile (`match self {}` on `&Self`).
    let mut spec = dixa_like();
    spec["components"]["schemas"]["Content"]["oneOf"] = json!([]);
    match normalize(&spec) {
        Err(NormalizeError::UnexpectedShape { pass: "unions", location, problem }) => {
            assert_eq!(location, "Content");
            assert!(problem.contains("no members"), "{problem}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_inline_one_of_named_variants_is_lifted_into_a_tagged_union() {
    // Left inline, typify would emit an untagged enum (decoding by shape).
    let mut spec = dixa_like();
    spec["components"]["schemas"]["ChatConversation"]["properties"]["body"] =
        json!({ "oneOf": [ r("Html"), r("Text1") ] });
    spec["components"]["schemas"]["ChatConversation"]["properties"]["parts"] =
        json!({ "type": "array", "items": { "oneOf": [ r("Html"), r("Text1") ] } });
    let n = run(&spec);
    assert_eq!(schema(&n, "ChatConversation")["properties"]["body"], r("ChatConversationBody"));
    assert_eq!(schema(&n, "ChatConversation")["properties"]["parts"]["items"], r("ChatConversationPart"));
    for name in ["ChatConversationBody", "ChatConversationPart"] {
        let u = n.custom.unions.iter().find(|u| u.schema == name).unwrap_or_else(|| panic!("{name} is a union"));
        assert!(u.open, "{name} arrives in a response");
        let tags: Vec<&str> = u.variants.iter().map(|v| v.tag.as_str()).collect();
        assert_eq!(tags, ["Html", "Text"]);
    }
    // A oneOf of primitives (string or list of strings) is not a `_type` union: left alone.
    let mut spec = dixa_like();
    let shape = json!({ "oneOf": [ { "type": "string" }, { "type": "array", "items": { "type": "string" } } ] });
    spec["components"]["schemas"]["ChatConversation"]["properties"]["value"] = shape.clone();
    let n = run(&spec);
    assert_eq!(schema(&n, "ChatConversation")["properties"]["value"], shape);
}

#[test]
fn a_property_named_example_is_a_schema_not_example_data() {
    // `example`/`examples` hold data only where OpenAPI puts them, not as
    // property names inside `properties`.
    let mut spec = dixa_like();
    spec["components"]["schemas"]["ChatConversation"]["properties"]["example"] =
        json!({ "type": "string", "format": "date-time" });
    let n = run(&spec);
    assert_eq!(schema(&n, "ChatConversation")["properties"]["example"], r("Timestamp"));
    let mut spec = dixa_like();
    spec["components"]["schemas"]["ChatConversation"]["properties"]["examples"] = r("Nowhere");
    assert!(matches!(normalize(&spec), Err(NormalizeError::UnexpectedShape { pass: "load", .. })));
}

#[test]
fn value_sets_in_parameter_descriptions_become_closed_enums() {
    let mut spec = dixa_like();
    let params = spec["paths"]["/v1/conversations"]["get"]["parameters"].as_array_mut().unwrap();
    params.push(json!({ "name": "_type", "in": "query", "description": "Filter. Possible values: [EmailEndpoint, TelephonyEndpoint]", "schema": { "type": "string" } }));
    params.push(json!({ "name": "priority", "in": "query", "description": "Possible values: [Low, High]", "schema": { "type": "string" } }));
    params.push(json!({ "name": "direction", "in": "query", "schema": { "type": "string", "description": "values: [Inbound, Outbound, Sideways]" } }));
    let n = run(&spec);
    let p = &n.spec["paths"]["/v1/conversations"]["get"]["parameters"];
    // `_type` alone is too generic: the operation's name goes in front.
    assert_eq!(p[1]["schema"], r("ListConversationsType"));
    assert_eq!(schema(&n, "ListConversationsType")["enum"], json!(["EmailEndpoint", "TelephonyEndpoint"]));
    // The same values as an existing set: that type is reused.
    assert_eq!(p[2]["schema"], r("Priority"));
    // `Direction` is taken by another value set: qualified by the operation.
    assert_eq!(p[3]["schema"], r("ListConversationsDirection"));
    assert!(!n.custom.open_enums.iter().any(|e| e.name.starts_with("ListConversations")), "request-side: closed");
    assert!(lines(&n, "value_sets").iter().any(|l| l.starts_with("ListConversationsType: closed (request-only) enum [EmailEndpoint, TelephonyEndpoint] (parameter `_type` of GET /v1/conversations)")), "{:?}", lines(&n, "value_sets"));
}

// ---- open_objects --------------------------------------------------------------

#[test]
fn response_objects_accept_members_added_later() {
    // typify turns `additionalProperties: false` into deny_unknown_fields: one
    // new member in a response would fail the whole page.
    let mut spec = dixa_like();
    spec["components"]["schemas"]["ChatConversation"]["additionalProperties"] = json!(false);
    spec["components"]["schemas"]["CreateInput"]["additionalProperties"] = json!(false);
    let n = run(&spec);
    assert!(schema(&n, "ChatConversation").get("additionalProperties").is_none());
    assert_eq!(
        schema(&n, "CreateInput")["additionalProperties"],
        false,
        "request-only: callers still get typos caught"
    );
    assert_eq!(
        lines(&n, "open_objects"),
        ["ChatConversation: additionalProperties: false removed (Dixa adds members; unknown ones are ignored)"]
    );
}

// ---- envelopes -----------------------------------------------------------

#[test]
fn envelopes_of_success_bodies_require_data() {
    let mut spec = dixa_like();
    // A request body with a `data` member stays as it is.
    spec["components"]["schemas"]["CreateInput"]["properties"]["data"] = json!({ "type": "array", "items": {} });
    // An inline success body is covered too.
    spec["paths"]["/v1/conversations"]["put"] = json!({
        "operationId": "Conversations_put",
        "requestBody": common::body("CreateInput"),
        "responses": { "200": { "description": "ok", "content": { "application/json": { "schema": {
            "type": "object", "properties": { "data": { "type": "string" } } } } } } }
    });
    let n = run(&spec);
    assert_eq!(schema(&n, "Page")["required"], json!(["data"]));
    assert_eq!(schema(&n, "Created")["required"], json!(["data"]));
    assert!(schema(&n, "CreateInput")["required"].as_array().unwrap().iter().all(|r| r != "data"));
    let inline =
        &n.spec["paths"]["/v1/conversations"]["put"]["responses"]["200"]["content"]["application/json"]["schema"];
    assert_eq!(inline["required"], json!(["data"]));
    let mut changed = lines(&n, "envelopes");
    changed.sort();
    assert_eq!(changed.len(), 3, "{changed:?}");
    assert!(changed[0].starts_with("Created: data required"), "{changed:?}");
    assert!(changed[2].starts_with("Page: data required"), "{changed:?}");
}

// ---- ids -------------------------------------------------------------------

#[test]
fn ids_one_type_per_id_family_and_date_time_parameters() {
    let mut spec = dixa_like();
    let s = &mut spec["components"]["schemas"];
    s["Tag"] = json!({ "type": "object", "properties": { "id": { "type": "string", "format": "uuid" } } });
    s["Presence"] = json!({ "type": "object", "properties": {
        "tagId": { "type": "string" },
        "conversationId": { "type": "integer", "format": "int32" },
        "orderId": { "type": "string" },
        "mixedId": { "type": "string" }
    } });
    s["Other"] = json!({ "type": "object", "properties": {
        "conversationId": { "type": "integer", "format": "int64" },
        "mixedId": { "type": "integer" }
    } });
    spec["paths"]["/v1/tags/{tagId}"] = json!({ "get": {
        "operationId": "Tags_getTag", "tags": ["Tags"],
        "parameters": [
            { "name": "tagId", "in": "path", "required": true, "schema": { "type": "string" } },
            { "name": "fromDatetime", "in": "query", "schema": { "type": "string" }, "description": "Starting date-time filter (ISO 8601)" },
            { "name": "query", "in": "query", "schema": { "type": "string" }, "description": "free text" }
        ],
        "responses": { "200": common::ok("Tag") } } });
    let n = run(&spec);
    // A uuid anywhere in the family makes every member a uuid (Tag.id is in `tagId`).
    assert_eq!(schema(&n, "Presence")["properties"]["tagId"]["format"], "uuid");
    let params = &n.spec["paths"]["/v1/tags/{tagId}"]["get"]["parameters"];
    assert_eq!(params[0]["schema"]["format"], "uuid");
    // Integers widen to int64.
    assert_eq!(schema(&n, "Presence")["properties"]["conversationId"]["format"], "int64");
    // Strings without a uuid, and a family mixing strings and integers, stay as they are.
    assert_eq!(schema(&n, "Presence")["properties"]["orderId"].get("format"), None);
    assert_eq!(schema(&n, "Presence")["properties"]["mixedId"], json!({ "type": "string" }));
    assert!(lines(&n, "ids").iter().any(|l| l.starts_with("mixedId: mixes")), "{:?}", lines(&n, "ids"));
    // A parameter described as date-time becomes a Timestamp; others do not.
    assert_eq!(params[1]["schema"], r("Timestamp"));
    assert_eq!(params[2]["schema"], json!({ "type": "string" }));
}
