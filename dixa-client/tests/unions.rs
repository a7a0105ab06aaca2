//! Every variant of every `_type` union round-trips with its wire tag, and
//! unknown tags decode as `Unknown` (open unions) or fail (closed ones).
//!
//! The instances are built from the normalized spec itself (the
//! `discriminator.mapping` the `unions` pass writes), so a variant added to
//! the spec is tested without editing this file; the union list below is
//! checked against the spec so a new union cannot be missed either.

use dixa_client::types;
use serde_json::{json, Map, Value};

fn spec() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/dixa-v1.normalized.json"))
        .expect("the normalized spec is committed");
    serde_json::from_str(&text).expect("the normalized spec is JSON")
}

/// A JSON instance of `schema` with every property filled in (required only
/// below `depth` 6, to stop recursive schemas); timestamps in RFC 3339, the
/// form they are written back in.
fn instance(schema: &Value, spec: &Value, depth: usize) -> Value {
    let schemas = &spec["components"]["schemas"];
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.trim_start_matches("#/components/schemas/");
        if name == "Timestamp" {
            return json!("2021-12-01T12:46:36.581Z");
        }
        let target = &schemas[name];
        if let Some(mapping) = target.pointer("/discriminator/mapping").and_then(Value::as_object) {
            let (tag, variant) = mapping.iter().next().expect("a union has variants");
            return tagged(tag, instance(&json!({ "$ref": variant }), spec, depth + 1));
        }
        return instance(target, spec, depth + 1);
    }
    if let Some(members) = schema.get("oneOf").and_then(Value::as_array) {
        // Untagged wrappers (e.g. StringOrTag): their last member is the form we send.
        return instance(members.last().expect("oneOf has members"), spec, depth + 1);
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return values[0].clone();
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("string") => match schema.get("format").and_then(Value::as_str) {
            Some("uuid") => json!("00000000-0000-0000-0000-000000000001"),
            Some("date") => json!("2021-12-01"),
            _ => json!("x"),
        },
        Some("integer") => json!(1),
        Some("number") => json!(1.5),
        Some("boolean") => json!(true),
        Some("array") => json!([instance(&schema["items"], spec, depth + 1)]),
        Some("object") | None => {
            let mut out = Map::new();
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (name, p) in props {
                    if depth < 6 || required.contains(&name.as_str()) {
                        out.insert(name.clone(), instance(p, spec, depth + 1));
                    }
                }
            } else if let Some(ap) = schema.get("additionalProperties").filter(|ap| ap.is_object()) {
                out.insert("key".into(), instance(ap, spec, depth + 1));
            } else if schema.get("type").is_none() {
                return json!("any");
            }
            Value::Object(out)
        }
        Some(other) => panic!("no instance rule for type {other}"),
    }
}

/// `{"_type": tag, ...fields}` with `_type` first, as Dixa sends it.
fn tagged(tag: &str, fields: Value) -> Value {
    let mut out = Map::new();
    out.insert("_type".into(), json!(tag));
    if let Value::Object(fields) = fields {
        out.extend(fields);
    }
    Value::Object(out)
}

/// Round-trips every variant of union `$ty` (schema `$schema`) and checks the
/// unknown-tag behaviour; returns the number of variants checked.
macro_rules! check_union {
    ($spec:expr, $schema:literal, $ty:ty, open = $open:literal) => {{
        let spec = $spec;
        let mapping = spec["components"]["schemas"][$schema]["discriminator"]["mapping"]
            .as_object()
            .unwrap_or_else(|| panic!("{} has a discriminator mapping", $schema))
            .clone();
        for (tag, variant) in &mapping {
            let wire = tagged(tag, instance(&json!({ "$ref": variant }), spec, 0));
            let decoded: $ty = serde_json::from_value(wire.clone())
                .unwrap_or_else(|e| panic!("{} variant {tag} does not decode: {e}\n{wire:#}", $schema));
            assert_eq!(decoded.tag(), tag, "{} decoded {wire} as another variant", $schema);
            assert!(!format!("{decoded:?}").starts_with("Unknown("), "{} {tag} decoded as Unknown", $schema);
            let encoded = serde_json::to_value(&decoded).expect("serializes");
            assert_eq!(encoded, wire, "{} variant {tag} does not round-trip", $schema);
            assert_eq!(encoded.as_object().and_then(|o| o.keys().next()).map(String::as_str), Some("_type"), "`_type` is written first");

            // `_type` last: still decoded by the tag, not by shape.
            let mut moved = wire.as_object().cloned().expect("object");
            let t = moved.shift_remove("_type").expect("has _type");
            moved.insert("_type".into(), t);
            let late: $ty = serde_json::from_value(Value::Object(moved)).expect("decodes with `_type` last");
            assert_eq!(late.tag(), tag);
        }
        let unknown = json!({ "_type": "AddedByDixaLater", "someField": [1, 2] });
        let decoded = serde_json::from_value::<$ty>(unknown.clone());
        if $open {
            let decoded = decoded.unwrap_or_else(|e| panic!("open union {} rejects an unknown tag: {e}", $schema));
            assert_eq!(decoded.tag(), "AddedByDixaLater");
            assert_eq!(serde_json::to_value(&decoded).expect("serializes"), unknown, "Unknown re-sends the raw JSON");
        } else {
            let err = decoded.expect_err("closed (request-only) unions reject unknown tags").to_string();
            assert!(err.contains("AddedByDixaLater"), "error names the tag: {err}");
        }
        (String::from($schema), mapping.len())
    }};
}

#[test]
fn every_variant_of_every_union_round_trips_with_its_wire_tag() {
    let spec = spec();
    let checked = vec![
        check_union!(&spec, "ActivityLogAttribute", types::ActivityLogAttribute, open = true),
        check_union!(&spec, "AggregateValue", types::AggregateValue, open = true),
        check_union!(&spec, "Attributes", types::Attributes, open = true),
        check_union!(&spec, "BulkActionOutcome_BulkError_Agent", types::BulkActionOutcomeBulkErrorAgent, open = true),
        check_union!(
            &spec,
            "BulkActionOutcome_BulkError_EndUser",
            types::BulkActionOutcomeBulkErrorEndUser,
            open = true
        ),
        check_union!(&spec, "BulkActionOutcome_BulkError_UUID", types::BulkActionOutcomeBulkErrorUuid, open = true),
        check_union!(
            &spec,
            "BulkActionOutcome_ErrorResponse_InternalNoteData",
            types::BulkActionOutcomeErrorResponseInternalNoteData,
            open = true
        ),
        check_union!(&spec, "BulkError", types::BulkError, open = true),
        check_union!(&spec, "BusinessHourExceptionType", types::BusinessHourExceptionType, open = true),
        check_union!(&spec, "BusinessHourRegularType", types::BusinessHourRegularType, open = true),
        check_union!(&spec, "BusinessHourStatus", types::BusinessHourStatus, open = true),
        check_union!(&spec, "BusinessHourStatus1", types::BusinessHourStatus1, open = true),
        check_union!(&spec, "BusinessHourType", types::BusinessHourType, open = true),
        check_union!(&spec, "ChannelAvailability", types::ChannelAvailability, open = true),
        check_union!(&spec, "ChannelAvailabilityError", types::ChannelAvailabilityError, open = true),
        check_union!(&spec, "ChannelAvailabilityOutcome", types::ChannelAvailabilityOutcome, open = true),
        check_union!(&spec, "ChannelOperator", types::ChannelOperator, open = false),
        check_union!(&spec, "Condition1", types::Condition1, open = true),
        check_union!(&spec, "ContactEndpoint", types::ContactEndpoint, open = true),
        check_union!(&spec, "Content", types::Content, open = true),
        check_union!(&spec, "Conversation", types::Conversation, open = true),
        check_union!(&spec, "ConversationLink", types::ConversationLink, open = true),
        check_union!(&spec, "CreateConversationInput", types::CreateConversationInput, open = false),
        check_union!(&spec, "CreateMessageInput", types::CreateMessageInput, open = false),
        check_union!(&spec, "CustomAttributeInputDefinition", types::CustomAttributeInputDefinition, open = true),
        check_union!(&spec, "CustomAttributeOperator", types::CustomAttributeOperator, open = false),
        check_union!(&spec, "DeliveryStatus", types::DeliveryStatus, open = true),
        check_union!(&spec, "DirectionOperator", types::DirectionOperator, open = false),
        check_union!(&spec, "DurationOperator", types::DurationOperator, open = false),
        check_union!(&spec, "EmailContent", types::EmailContent, open = true),
        check_union!(
            &spec,
            "FieldCanHaveMultipleValuesOrBeEmptyOperator",
            types::FieldCanHaveMultipleValuesOrBeEmptyOperator,
            open = false
        ),
        check_union!(
            &spec,
            "FieldCanHaveSingleValueOrBeEmptyOperator",
            types::FieldCanHaveSingleValueOrBeEmptyOperator,
            open = false
        ),
        check_union!(&spec, "FieldHasSingleValueOperator", types::FieldHasSingleValueOperator, open = false),
        check_union!(&spec, "FieldType", types::FieldType, open = true),
        check_union!(&spec, "Filters1", types::Filters1, open = true),
        check_union!(&spec, "FormAttributeValue", types::FormAttributeValue, open = true),
        check_union!(&spec, "GetMetricDataInput", types::GetMetricDataInput, open = false),
        check_union!(&spec, "GetMetricRecordsDataInput", types::GetMetricRecordsDataInput, open = false),
        check_union!(&spec, "ImportMessageInput", types::ImportMessageInput, open = false),
        check_union!(&spec, "MimeType", types::MimeType, open = true),
        check_union!(&spec, "PeriodFilter", types::PeriodFilter, open = false),
        check_union!(&spec, "PrimitiveField", types::PrimitiveField, open = true),
        check_union!(&spec, "SearchField", types::SearchField, open = false),
        check_union!(&spec, "StatusOperator", types::StatusOperator, open = false),
        check_union!(&spec, "SubmittedRatingResult", types::SubmittedRatingResult, open = true),
        check_union!(&spec, "Template", types::Template, open = true),
        check_union!(&spec, "TimestampOperator", types::TimestampOperator, open = false),
        check_union!(&spec, "WebhookAuthorization", types::WebhookAuthorization, open = false),
    ];
    let mut in_spec: Vec<String> = spec["components"]["schemas"]
        .as_object()
        .expect("schemas")
        .iter()
        .filter(|(_, s)| s.get("discriminator").is_some())
        .map(|(n, _)| n.clone())
        .collect();
    in_spec.sort();
    let mut listed: Vec<String> = checked.iter().map(|(n, _)| n.clone()).collect();
    listed.sort();
    assert_eq!(listed, in_spec, "every union of the spec is checked here");
    let variants: usize = checked.iter().map(|(_, n)| n).sum();
    assert!(variants >= 90, "expected the ~95 variants of the spec, checked {variants}");
}

#[test]
fn all_wire_tags_from_wire_facts_are_produced() {
    // WIRE-FACTS.md, "Known wire tags": each must be a tag of some union.
    let known = [
        "AnonymizedConversation",
        "ChatConversation",
        "ContactFormConversation",
        "EmailConversation",
        "FacebookMessengerConversation",
        "GenericConversation",
        "MessengerConversation",
        "PstnPhoneConversation",
        "SmsConversation",
        "TwitterConversation",
        "WhatsAppConversation",
        "EmailForward",
        "FollowUp",
        "SideConversation",
        "Callback",
        "Chat",
        "ContactForm",
        "Email",
        "Sms",
        "Inbound",
        "Outbound",
        "Html",
        "Text",
        "Regular",
        "TooLarge",
        "BulkActionSuccess",
        "BulkActionFailure",
        "EmptyPatchSet",
        "ErrorResponse",
        "Infrastructure",
        "Integrity",
        "NotFound",
        "Validation",
        "CallRecordingAttributes",
        "ChatAttributes",
        "ContactFormAttributes",
        "EmailAttributes",
        "FacebookMessengerAttributes",
        "GenericAttributes",
        "PhoneAttributes",
        "SmsAttributes",
        "TwitterAttributes",
        "WhatsAppAttributes",
        "BasicAuth",
        "NoAuth",
        "TokenAuth",
        "DeliveryDetail",
        "NoRecentDelivery",
        "EmailEndpoint",
        "TelephonyEndpoint",
        "Interval",
        "Preset",
        "LongAggregateValue",
        "DoubleAggregateValue",
    ];
    let spec = spec();
    let tags: std::collections::BTreeSet<String> = spec["components"]["schemas"]
        .as_object()
        .expect("schemas")
        .values()
        .filter_map(|s| s.pointer("/discriminator/mapping").and_then(Value::as_object))
        .flat_map(|m| m.keys().cloned())
        .collect();
    let missing: Vec<&str> = known.iter().copied().filter(|t| !tags.contains(*t)).collect();
    assert!(missing.is_empty(), "wire tags not produced: {missing:?}");
    for wrong in ["NotFound1", "Text1", "BulkActionSuccess_BulkError_Agent"] {
        assert!(!tags.contains(wrong), "{wrong} is not a wire tag");
    }
}

#[test]
fn each_union_decodes_every_wire_tag_wire_facts_lists_for_it() {
    // WIRE-FACTS.md, "Known wire tags", union by union, against the tags the
    // generated Rust enums dispatch on (not only the normalized spec).
    use dixa_client::tagged::TaggedUnion;
    fn tags<U: TaggedUnion>() -> Vec<&'static str> {
        let mut t = U::TAGS.to_vec();
        t.sort_unstable();
        t
    }
    let sorted = |list: &[&'static str]| {
        let mut l = list.to_vec();
        l.sort_unstable();
        l
    };
    let bulk = sorted(&["BulkActionSuccess", "BulkActionFailure"]);
    let cases: Vec<(&str, Vec<&str>, Vec<&str>)> = vec![
        (
            "Conversation",
            tags::<types::Conversation>(),
            sorted(&[
                "AnonymizedConversation",
                "ChatConversation",
                "ContactFormConversation",
                "EmailConversation",
                "FacebookMessengerConversation",
                "GenericConversation",
                "MessengerConversation",
                "PstnPhoneConversation",
                "SmsConversation",
                "TwitterConversation",
                "WhatsAppConversation",
            ]),
        ),
        (
            "ConversationLink",
            tags::<types::ConversationLink>(),
            sorted(&["EmailForward", "FollowUp", "SideConversation"]),
        ),
        (
            "CreateConversationInput",
            tags::<types::CreateConversationInput>(),
            sorted(&["Callback", "Chat", "ContactForm", "Email", "Sms"]),
        ),
        ("CreateMessageInput", tags::<types::CreateMessageInput>(), sorted(&["Inbound", "Outbound"])),
        ("Content", tags::<types::Content>(), sorted(&["Html", "Text"])),
        ("EmailContent", tags::<types::EmailContent>(), sorted(&["Regular", "TooLarge"])),
        ("BulkActionOutcome_BulkError_Agent", tags::<types::BulkActionOutcomeBulkErrorAgent>(), bulk.clone()),
        ("BulkActionOutcome_BulkError_EndUser", tags::<types::BulkActionOutcomeBulkErrorEndUser>(), bulk.clone()),
        ("BulkActionOutcome_BulkError_UUID", tags::<types::BulkActionOutcomeBulkErrorUuid>(), bulk.clone()),
        (
            "BulkActionOutcome_ErrorResponse_InternalNoteData",
            tags::<types::BulkActionOutcomeErrorResponseInternalNoteData>(),
            bulk.clone(),
        ),
        (
            "BulkError",
            tags::<types::BulkError>(),
            sorted(&["EmptyPatchSet", "ErrorResponse", "Infrastructure", "Integrity", "NotFound", "Validation"]),
        ),
        (
            "Attributes",
            tags::<types::Attributes>(),
            sorted(&[
                "CallRecordingAttributes",
                "ChatAttributes",
                "ContactFormAttributes",
                "EmailAttributes",
                "FacebookMessengerAttributes",
                "GenericAttributes",
                "PhoneAttributes",
                "SmsAttributes",
                "TwitterAttributes",
                "WhatsAppAttributes",
            ]),
        ),
        ("WebhookAuthorization", tags::<types::WebhookAuthorization>(), sorted(&["BasicAuth", "NoAuth", "TokenAuth"])),
        ("DeliveryStatus", tags::<types::DeliveryStatus>(), sorted(&["DeliveryDetail", "NoRecentDelivery"])),
        ("ContactEndpoint", tags::<types::ContactEndpoint>(), sorted(&["EmailEndpoint", "TelephonyEndpoint"])),
        ("PeriodFilter", tags::<types::PeriodFilter>(), sorted(&["Interval", "Preset"])),
        ("AggregateValue", tags::<types::AggregateValue>(), sorted(&["DoubleAggregateValue", "LongAggregateValue"])),
    ];
    // WIRE-FACTS lists the tags public clients have seen; Dixa's newer spec
    // adds variants to some of these unions (Content: Markdown, BulkError:
    // InvalidArgument, ...), so each listed tag must be generated, not
    // every generated one listed.
    for (union, generated, wire) in cases {
        let missing: Vec<&&str> = wire.iter().filter(|t| !generated.contains(t)).collect();
        assert!(missing.is_empty(), "{union}: WIRE-FACTS tags {missing:?} are not generated ({generated:?})");
    }
}
