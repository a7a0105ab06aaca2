//! The wrong decodings an untagged, spec-faithful client makes (issue 2),
//! each pinned by a test, plus open enums, timestamps and request arrays.

use dixa_client::types::{self, BulkError, Content, Conversation, CreateMessageInput, WebhookAuthorization};
use dixa_client::{StringOrTag, Timestamp};
use serde_json::{json, Value};

#[test]
fn token_auth_is_not_swallowed_by_the_empty_no_auth() {
    let auth: WebhookAuthorization =
        serde_json::from_value(json!({ "_type": "TokenAuth", "value": "s3cret" })).unwrap();
    match &auth {
        WebhookAuthorization::TokenAuth(t) => assert_eq!(t.value, "s3cret"),
        other => panic!("decoded as {other:?}"),
    }
    let none: WebhookAuthorization = serde_json::from_value(json!({ "_type": "NoAuth" })).unwrap();
    assert!(matches!(none, WebhookAuthorization::NoAuth(_)));
    assert_eq!(serde_json::to_value(&none).unwrap(), json!({ "_type": "NoAuth" }));
}

#[test]
fn text_content_is_not_decoded_as_html() {
    let c: Content = serde_json::from_value(json!({ "_type": "Text", "value": "hi" })).unwrap();
    assert!(matches!(&c, Content::Text(t) if t.value == "hi"), "{c:?}");
    let h: Content = serde_json::from_value(json!({ "_type": "Html", "value": "<p>hi</p>" })).unwrap();
    assert!(matches!(h, Content::Html(_)));
}

#[test]
fn outbound_message_keeps_its_agent_id() {
    let wire = json!({
        "_type": "Outbound",
        "agentId": "3f1c0a7e-8a9f-4a57-9a55-2f6f5b0c1d2e",
        "content": { "_type": "Text", "value": "hello" }
    });
    let msg: CreateMessageInput = serde_json::from_value(wire.clone()).unwrap();
    match &msg {
        CreateMessageInput::Outbound(o) => assert_eq!(o.agent_id.to_string(), "3f1c0a7e-8a9f-4a57-9a55-2f6f5b0c1d2e"),
        other => panic!("decoded as {other:?}"),
    }
    assert_eq!(serde_json::to_value(&msg).unwrap(), wire);
}

#[test]
fn bulk_error_not_found_is_not_empty_patch_set_and_uses_the_wire_tag() {
    let e: BulkError = serde_json::from_value(json!({ "_type": "NotFound", "id": "a", "message": "gone" })).unwrap();
    assert!(matches!(e, BulkError::NotFound(_)), "{e:?}");
    assert_eq!(e.tag(), "NotFound");
    // The schema is `NotFound1`; the wire tag is not.
    let sent = serde_json::to_value(&e).unwrap();
    assert_eq!(sent["_type"], "NotFound");
    let as_spec_name: BulkError =
        serde_json::from_value(json!({ "_type": "NotFound1", "id": "a", "message": "m" })).unwrap();
    assert!(matches!(as_spec_name, BulkError::Unknown(_)), "`NotFound1` is not a Dixa tag");
    let empty: BulkError =
        serde_json::from_value(json!({ "_type": "EmptyPatchSet", "id": "a", "message": "m" })).unwrap();
    assert!(matches!(empty, BulkError::EmptyPatchSet(_)));
}

#[test]
fn serializing_a_union_writes_type() {
    let c = Content::Text(types::Text { value: "hi".into() });
    assert_eq!(serde_json::to_value(&c).unwrap(), json!({ "_type": "Text", "value": "hi" }));
    assert_eq!(serde_json::to_string(&c).unwrap(), r#"{"_type":"Text","value":"hi"}"#);
}

#[test]
fn preset_value_reads_both_forms_and_sends_the_object_form() {
    let object: types::Preset = serde_json::from_value(json!({ "value": { "_type": "PreviousWeek" } })).unwrap();
    let string: types::Preset = serde_json::from_value(json!({ "value": "PreviousWeek" })).unwrap();
    assert_eq!(object.value, StringOrTag(types::PresetValue::PreviousWeek));
    assert_eq!(string.value, object.value);
    assert_eq!(serde_json::to_value(&string).unwrap(), json!({ "value": { "_type": "PreviousWeek" } }));
    let filter: types::PeriodFilter =
        serde_json::from_value(json!({ "_type": "Preset", "value": { "_type": "ThisMonth" } })).unwrap();
    assert_eq!(serde_json::to_value(&filter).unwrap(), json!({ "_type": "Preset", "value": { "_type": "ThisMonth" } }));
}

#[test]
fn unknown_enum_values_decode_as_unknown_and_are_sent_back() {
    let d: types::DirectionValue = serde_json::from_value(json!("Sideways")).unwrap();
    assert_eq!(d, types::DirectionValue::Unknown("Sideways".into()));
    assert_eq!(serde_json::to_value(&d).unwrap(), json!("Sideways"));
    let known: types::ChannelValue = serde_json::from_value(json!("WidgetChat")).unwrap();
    assert_eq!(known, types::ChannelValue::WidgetChat);
    assert_eq!(known.to_string(), "WidgetChat");
}

/// One email conversation as Dixa sends it, with id `id`.
fn email_conversation(id: u64) -> Value {
    json!({
        "_type": "EmailConversation",
        "id": id,
        "requesterId": "3f1c0a7e-8a9f-4a57-9a55-2f6f5b0c1d2e",
        "channel": "Email",
        "createdAt": "2021-12-01T12:46:36.581Z",
        "toEmail": "support@example.com",
        "fromEmail": "customer@example.com",
        "integrationEmail": "x@email.dixa.io",
        "state": "Open"
    })
}

#[test]
fn a_page_with_one_unknown_conversation_type_decodes_the_other_99() {
    let mut data: Vec<Value> = (0..100).map(email_conversation).collect();
    data[42] = json!({ "_type": "VideoCallConversation", "id": 42, "channel": "Video" });
    let page: types::ListEndUserConversationsOutput =
        serde_json::from_value(json!({ "data": data, "meta": { "next": "/v1/endusers/x/conversations?pageKey=abc" } }))
            .unwrap();
    assert_eq!(page.data.len(), 100);
    let known = page.data.iter().filter(|c| matches!(c, Conversation::EmailConversation(_))).count();
    assert_eq!(known, 99);
    match &page.data[42] {
        Conversation::Unknown(u) => {
            assert_eq!(u.tag, "VideoCallConversation");
            assert_eq!(u.raw["channel"], "Video");
        }
        other => panic!("decoded as {other:?}"),
    }
}

#[test]
fn an_unknown_channel_inside_a_known_conversation_is_kept() {
    let mut c = email_conversation(1);
    c["channel"] = json!("CarrierPigeon");
    let decoded: Conversation = serde_json::from_value(c.clone()).unwrap();
    match &decoded {
        Conversation::EmailConversation(e) => {
            assert_eq!(e.channel, types::ChannelValue::Unknown("CarrierPigeon".into()))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(serde_json::to_value(&decoded).unwrap(), c);
}

#[test]
fn timestamps_accept_the_zone_id_form_and_are_sent_as_rfc3339() {
    for (raw, sent) in [
        ("2021-12-01T12:46:36.581Z[GMT]", "2021-12-01T12:46:36.581Z"),
        ("2021-12-01T12:46:36.581Z", "2021-12-01T12:46:36.581Z"),
        ("2021-12-01T13:46:36+01:00", "2021-12-01T13:46:36+01:00"),
        ("2021-12-01T12:46:36.581[UTC]", "2021-12-01T12:46:36.581Z"),
    ] {
        let t: Timestamp = serde_json::from_value(json!(raw)).unwrap_or_else(|e| panic!("{raw}: {e}"));
        // Dixa answers `...Z[GMT]` in a request with a 400: always RFC 3339,
        // byte for byte when the input already was.
        assert_eq!(serde_json::to_value(&t).unwrap(), json!(sent), "{raw}");
        assert_eq!(t.to_string(), sent, "{raw}: Display (query parameters)");
        assert!(chrono::DateTime::parse_from_rfc3339(sent).is_ok());
        assert_eq!(t.as_str(), raw, "the input is kept");
        assert_eq!(
            t.to_utc().to_rfc3339(),
            "2021-12-01T12:46:36.581+00:00".replace(".581", if raw.contains(".581") { ".581" } else { "" })
        );
    }
    let gmt: Timestamp = "2021-12-01T12:46:36.581Z[GMT]".parse().unwrap();
    assert_eq!(gmt.zone_id(), Some("GMT"));
    assert_eq!(gmt, "2021-12-01T12:46:36.581Z".parse::<Timestamp>().unwrap(), "equality is by instant");
    for bad in ["yesterday", "2021-12-01T12:46:36.581Z[]", "2021-12-01T12:46:36.581[Europe/Paris]", ""] {
        assert!(bad.parse::<Timestamp>().is_err(), "{bad} must be rejected");
    }
    let err = serde_json::from_value::<Timestamp>(json!("nope")).unwrap_err().to_string();
    assert!(err.contains("nope"), "{err}");
}

#[test]
fn request_bodies_send_an_empty_list_but_omit_an_absent_one() {
    let mut patch =
        types::BulkPatchAgentInput::builder().id("agent-1").try_into().map(|b: types::BulkPatchAgentInput| b).unwrap();
    patch.middle_names = Some(vec![]);
    let sent = serde_json::to_value(&patch).unwrap();
    assert_eq!(sent["middleNames"], json!([]), "Some(vec![]) clears the list: {sent}");
    patch.middle_names = None;
    let sent = serde_json::to_value(&patch).unwrap();
    assert!(sent.get("middleNames").is_none(), "None leaves it alone: {sent}");
}

#[test]
fn deprecated_fields_keep_whatever_json_dixa_sends() {
    let entry: types::ActivityLogEntry = serde_json::from_value(json!({
        "id": "3f1c0a7e-8a9f-4a57-9a55-2f6f5b0c1d2e",
        "conversationId": 7,
        "activityTimestamp": "2021-12-01T12:46:36.581Z[GMT]",
        "activityType": "NoteAdded",
        "_type": "NoteAdded"
    }))
    .unwrap();
    #[allow(deprecated)]
    let activity_type = entry.activity_type.clone();
    assert_eq!(activity_type, Some(json!("NoteAdded")));
    assert_eq!(entry.type_, types::ActivityLogEntryType::NoteAdded);
    // What a deprecated field holds is an inference: an object where a
    // string was expected must not fail the response.
    let status: types::AnonymizationRequestStatus = serde_json::from_value(json!({
        "id": "3f1c0a7e-8a9f-4a57-9a55-2f6f5b0c1d2e",
        "_type": "UserAnonymizationType",
        "entityType": {"_type": "UserAnonymizationType", "extra": [1]},
        "initiatedAt": "2021-12-01T12:46:36.581Z",
        "targetEntityId": "x",
        "requestedBy": "3f1c0a7e-8a9f-4a57-9a55-2f6f5b0c1d2e"
    }))
    .expect("an object in a deprecated field decodes");
    #[allow(deprecated)]
    let entity_type = status.entity_type.clone();
    assert_eq!(entity_type, Some(json!({"_type": "UserAnonymizationType", "extra": [1]})));
    let back = serde_json::to_value(&status).unwrap();
    assert_eq!(back["entityType"]["extra"], json!([1]), "kept as sent: {back}");
}

#[test]
fn a_deprecated_field_dixa_stops_sending_does_not_fail_the_entry() {
    // Deprecated means it will go away: its absence must not fail a page.
    let entry: types::ActivityLogEntry = serde_json::from_value(json!({
        "id": "3f1c0a7e-8a9f-4a57-9a55-2f6f5b0c1d2e",
        "conversationId": 7,
        "activityTimestamp": "2021-12-01T12:46:36.581Z[GMT]",
        "_type": "NoteAdded"
    }))
    .expect("decodes without activityType");
    #[allow(deprecated)]
    let activity_type = entry.activity_type.clone();
    assert_eq!(activity_type, None);
    let status: types::AnonymizationRequestStatus = serde_json::from_value(json!({
        "id": "3f1c0a7e-8a9f-4a57-9a55-2f6f5b0c1d2e",
        "_type": "UserAnonymizationType",
        "initiatedAt": "2021-12-01T12:46:36.581Z",
        "targetEntityId": "x",
        "requestedBy": "3f1c0a7e-8a9f-4a57-9a55-2f6f5b0c1d2e"
    }))
    .expect("decodes without entityType");
    #[allow(deprecated)]
    let entity_type = status.entity_type.clone();
    assert_eq!(entity_type, None);
}

#[test]
fn nested_failures_inside_unions_keep_their_json_path() {
    let bad = json!({ "data": [ email_conversation(1), { "_type": "EmailConversation", "id": "not a number" } ] });
    let err = serde_path_to_error::deserialize::<_, types::ListEndUserConversationsOutput>(bad).unwrap_err();
    assert_eq!(err.path().to_string(), "data[1].id", "{err}");
}

#[test]
fn unions_decode_from_text_with_type_anywhere_and_fail_clearly_without_it() {
    let late = r#"{"value":"hi","_type":"Text"}"#;
    assert!(matches!(serde_json::from_str::<Content>(late).unwrap(), Content::Text(t) if t.value == "hi"));
    let unknown = r#"{"a":1,"_type":"RichText","b":[true]}"#;
    match serde_json::from_str::<Content>(unknown).unwrap() {
        Content::Unknown(u) => {
            assert_eq!(u.tag, "RichText");
            assert_eq!(serde_json::to_string(&u.raw).unwrap(), unknown, "raw keeps member order");
        }
        other => panic!("{other:?}"),
    }
    let err = serde_json::from_str::<Content>(r#"{"value":"hi"}"#).unwrap_err().to_string();
    assert!(err.contains("missing field `_type`"), "{err}");
    let err = serde_json::from_str::<types::CreateMessageInput>(r#"{"_type":"Sideways"}"#).unwrap_err().to_string();
    assert!(err.contains("Sideways") && err.contains("Inbound"), "closed unions name the known tags: {err}");
}

#[test]
fn a_custom_attribute_can_be_cleared_with_null() {
    // `Map[UUID, Option[AttributeValue]]`: `null` clears an attribute.
    let wire =
        json!({ "2f5515b6-7e98-4f4d-9010-bfd2a27d4f35": null, "e14708a6-eed9-495c-9d88-c72331e9e247": ["a", "b"] });
    let patch: types::MapUuidOptionAttributeValue = serde_json::from_value(wire.clone()).expect("null is a value");
    assert!(patch.0["2f5515b6-7e98-4f4d-9010-bfd2a27d4f35"].is_none());
    assert_eq!(serde_json::to_value(&patch).unwrap(), wire, "null is sent, not dropped");
}
