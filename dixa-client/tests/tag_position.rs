//! `_type` anywhere in a union object: first, last, in the middle,
//! duplicated, missing, not a string; decoded from text (members before
//! `_type` borrowed from the input), from a reader and from a `Value` (owned
//! strings), with unknown variants keeping their raw JSON and failures inside
//! members before `_type` naming their path.

use dixa_client::types::{self, Attributes, Content, Conversation, ConversationLink, EmailContent};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

/// An e-mail conversation with `_type` at member index `at` (clamped to the
/// end), every other member in a fixed order.
fn conversation_with_type_at(at: usize) -> String {
    let members = [
        r#""id":42"#,
        r#""requesterId":"00000000-0000-4000-8000-000000000001""#,
        r#""channel":"Email""#,
        r#""createdAt":"2021-12-01T12:46:36.581Z[GMT]""#,
        r#""queue":{"id":"00000000-0000-4000-8000-000000000002","queuedAt":"2021-12-01T12:46:39Z"}"#,
        r#""customAttributes":[{"id":"00000000-0000-4000-8000-000000000003","name":"Order","identifier":"order","value":"4\"2"}]"#,
        r#""link":{"parentId":41,"_type":"FollowUp"}"#,
        r#""subject":"Where is my order?""#,
        r#""fromEmail":"a@example.com""#,
        r#""toEmail":"support@example.com""#,
        r#""integrationEmail":"acme@email.dixa.io""#,
    ];
    let mut parts: Vec<&str> = members.to_vec();
    parts.insert(at.min(parts.len()), r#""_type":"EmailConversation""#);
    format!("{{{}}}", parts.join(","))
}

/// A decode error without serde_json's position (a reader and a slice count
/// columns differently).
fn without_position(e: serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// Decodes `text` from a slice (members before `_type` borrowed) and from a
/// reader (owned strings); both must agree.
fn decode_text<T: DeserializeOwned + std::fmt::Debug>(text: &str) -> Result<T, String> {
    let from_slice = serde_json::from_slice::<T>(text.as_bytes()).map_err(without_position);
    let from_reader = serde_json::from_reader::<_, T>(text.as_bytes()).map_err(without_position);
    assert_eq!(format!("{from_slice:?}"), format!("{from_reader:?}"), "slice and reader disagree on {text}");
    from_slice
}

/// [`decode_text`], and from a `Value` too (for documents without duplicate
/// keys, which a `Value` cannot hold).
fn decode_all_ways<T: DeserializeOwned + std::fmt::Debug>(text: &str) -> Result<T, String> {
    let from_text = decode_text::<T>(text);
    let value = serde_json::from_str::<Value>(text).expect("valid JSON");
    let from_value = serde_json::from_value::<T>(value).map_err(without_position);
    assert_eq!(format!("{from_text:?}"), format!("{from_value:?}"), "text and Value disagree on {text}");
    from_text
}

#[test]
fn type_first_middle_and_last_decode_the_same_conversation() {
    let first = decode_all_ways::<Conversation>(&conversation_with_type_at(0)).unwrap();
    let Conversation::EmailConversation(email) = &first else { panic!("{first:?}") };
    assert_eq!(email.id, 42);
    assert_eq!(email.custom_attributes.len(), 1);
    assert!(matches!(&email.link, Some(ConversationLink::FollowUp(f)) if f.parent_id == 41));
    let reference = serde_json::to_value(&first).unwrap();
    for at in 1..=11 {
        let text = conversation_with_type_at(at);
        let decoded = decode_all_ways::<Conversation>(&text).unwrap_or_else(|e| panic!("_type at {at}: {e}"));
        assert_eq!(serde_json::to_value(&decoded).unwrap(), reference, "_type at {at}");
    }
}

#[test]
fn unknown_variants_keep_their_raw_json_wherever_type_is() {
    for at in 0..=11 {
        let text = conversation_with_type_at(at).replace("EmailConversation", "InstagramConversation");
        let decoded = decode_all_ways::<Conversation>(&text).unwrap();
        let Conversation::Unknown(unknown) = decoded else { panic!("_type at {at}: {decoded:?}") };
        assert_eq!(unknown.tag, "InstagramConversation");
        assert_eq!(serde_json::to_string(&unknown.raw).unwrap(), text, "_type at {at}: raw JSON, member order kept");
    }
}

#[test]
fn a_duplicated_type_is_read_once_the_first_one_wins() {
    let text = r#"{"value":"hi","_type":"Text","_type":"Html"}"#;
    assert!(matches!(decode_text::<Content>(text).unwrap(), Content::Text(t) if t.value == "hi"));
    let text = r#"{"_type":"Html","value":"<p>","_type":"Text"}"#;
    assert!(matches!(decode_text::<Content>(text).unwrap(), Content::Html(h) if h.value == "<p>"));
}

#[test]
fn a_missing_or_non_string_type_fails_clearly() {
    for text in [r#"{"value":"hi"}"#, "{}"] {
        let err = decode_all_ways::<Content>(text).unwrap_err();
        assert!(err.contains("missing field `_type`"), "{text}: {err}");
    }
    for (text, found) in [
        (r#"{"value":"hi","_type":7}"#, "integer `7`"),
        (r#"{"_type":null,"value":"hi"}"#, "null"),
        (r#"{"_type":{"name":"Text"}}"#, "map"),
        (r#"{"value":"hi","_type":["Text"]}"#, "sequence"),
    ] {
        let err = decode_all_ways::<Content>(text).unwrap_err();
        assert!(err.contains(found) && err.contains("a `_type` string"), "{text}: {err}");
    }
    let err = decode_all_ways::<Content>(r#"["Text"]"#).unwrap_err();
    assert!(decode_text::<Content>("{").is_err());
    assert!(err.contains("a Content object with a `_type` member"), "{err}");
}

#[test]
fn a_closed_union_refuses_an_unknown_tag_after_other_members() {
    let err =
        decode_all_ways::<types::CreateMessageInput>(r#"{"content":{"value":"x"},"_type":"Sideways"}"#).unwrap_err();
    assert!(err.contains("Sideways") && err.contains("Inbound"), "{err}");
}

/// The path a document-wide tracker reports and the message of a failure.
fn tracked_failure<T: DeserializeOwned + std::fmt::Debug>(text: &str) -> (String, String) {
    let mut de = serde_json::Deserializer::from_str(text);
    let err = serde_path_to_error::deserialize::<_, T>(&mut de).expect_err("a bad document");
    (err.path().to_string(), err.inner().to_string())
}

#[test]
fn failures_inside_members_before_type_name_their_path() {
    let cases = [
        // (document, tracked path, message prefix)
        (r#"{"data":[{"id":"x","_type":"EmailConversation"}]}"#, "data[0]", "id: invalid type: string \"x\""),
        (
            r#"{"data":[{"queue":{"id":"00000000-0000-4000-8000-000000000002","queuedAt":5},"_type":"SmsConversation"}]}"#,
            "data[0]",
            "queue.queuedAt: invalid type: integer `5`",
        ),
        (
            r#"{"data":[{"customAttributes":[{"id":"00000000-0000-4000-8000-000000000003","name":"a","identifier":"b","value":"x"},{"id":1}],"_type":"SmsConversation"}]}"#,
            "data[0]",
            "customAttributes[1].id: invalid type: integer `1`",
        ),
        // A nested union with `_type` first inside a member before `_type`:
        // the replay tracks the path into it.
        (
            r#"{"data":[{"link":{"_type":"FollowUp","parentId":"x"},"_type":"EmailConversation"}]}"#,
            "data[0]",
            "link.parentId: invalid type: string \"x\"",
        ),
        // Both late: each union names its own part of the path.
        (
            r#"{"data":[{"link":{"parentId":"x","_type":"FollowUp"},"_type":"EmailConversation"}]}"#,
            "data[0]",
            "link: parentId: invalid type: string \"x\"",
        ),
        // A missing field is reported at the object that lacks it.
        (r#"{"data":[{"queue":{},"_type":"SmsConversation"}]}"#, "data[0]", "queue: missing field `id`"),
        // `_type` first: the document's tracker sees the whole path.
        (r#"{"data":[{"_type":"EmailConversation","id":"x"}]}"#, "data[0].id", "invalid type: string \"x\""),
    ];
    for (text, path, message) in cases {
        let (got_path, got_message) = tracked_failure::<types::ListEndUserConversationsOutput>(text);
        assert_eq!(got_path, path, "{text}");
        assert!(got_message.starts_with(message), "{text}: {got_message}");
        // The same failure without a tracker still says where inside the member.
        let plain = serde_json::from_str::<types::ListEndUserConversationsOutput>(text).unwrap_err().to_string();
        assert!(plain.starts_with(message), "{text}: {plain}");
    }
    let text = r#"{"data":[{"attributes":{"emailContent":{"content":{"value":1,"_type":"Html"},"_type":"Regular"},"_type":"EmailAttributes"}}]}"#;
    let (path, message) = tracked_failure::<types::ListMessagesOutput>(text);
    assert_eq!(path, "data[0].attributes");
    assert!(message.starts_with("emailContent: content: value: invalid type: integer `1`"), "{message}");
}

#[test]
fn members_before_type_decode_from_escaped_keys_and_strings() {
    // Escaped strings cannot be borrowed from the input; they are owned.
    let text = r#"{"v\u0061lue":"line\nbreak \u00e9","_type":"Text"}"#;
    assert!(matches!(decode_all_ways::<Content>(text).unwrap(), Content::Text(t) if t.value == "line\nbreak é"));
}

#[test]
fn a_message_page_with_type_last_everywhere_round_trips() {
    let message = json!({
        "id": "00000000-0000-4000-8000-000000000009",
        "authorId": "00000000-0000-4000-8000-000000000001",
        "createdAt": "2021-12-01T12:46:36Z",
        "attributes": {
            "from": { "email": "a@example.com" },
            "to": [{ "email": "b@example.com" }],
            "cc": [], "bcc": [],
            "direction": "Inbound",
            "isAutoReply": false,
            "emailContent": { "content": { "value": "<p>hi</p>", "_type": "Html" }, "_type": "Regular" },
            "attachments": [], "inlineImages": [],
            "_type": "EmailAttributes",
        },
    });
    let text = json!({ "data": [message.clone(), message] }).to_string();
    let page: types::ListMessagesOutput = decode_all_ways(&text).unwrap();
    for m in &page.data {
        let Attributes::EmailAttributes(email) = &m.attributes else { panic!("{m:?}") };
        assert!(
            matches!(&email.email_content, Some(EmailContent::Regular(r)) if matches!(&r.content, Content::Html(h) if h.value == "<p>hi</p>"))
        );
    }
}
