//! Forward compatibility at page scale: Dixa adds union variants and enum
//! values after this client was generated, in any nesting. A page of 100
//! must decode every item, keep what it does not know (raw JSON, `_type`
//! included) and send it back unchanged.

use dixa_client::types::{self, Attributes, Conversation, ConversationLink, EmailContent};
use serde_json::{json, Value};

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
        "state": "Open",
        "link": { "_type": "FollowUp", "parentId": 1 }
    })
}

#[test]
fn a_conversation_page_with_unknowns_at_three_depths_decodes_fully() {
    let mut data: Vec<Value> = (0..100).map(email_conversation).collect();
    // 1. A conversation type this client does not know, `_type` in the middle.
    data[42] = json!({ "id": 42, "_type": "VideoCallConversation", "channel": "Video", "nested": { "_type": "X" } });
    // 2. A known conversation with an unknown state (nested value set) and an
    //    unknown link type (nested union).
    data[7]["state"] = json!("Snoozed");
    data[7]["direction"] = json!("Sideways");
    data[7]["link"] = json!({ "_type": "MergedInto", "targetId": 9, "at": "2030-01-01T00:00:00Z[GMT]" });
    let wire = json!({ "data": data, "meta": { "next": "/v1/endusers/x/conversations/?pageKey=abc" } });

    let page: types::ListEndUserConversationsOutput =
        serde_json::from_value(wire.clone()).expect("the whole page decodes");
    assert_eq!(page.data.len(), 100);
    let known = page.data.iter().filter(|c| matches!(c, Conversation::EmailConversation(_))).count();
    assert_eq!(known, 99);

    match &page.data[42] {
        Conversation::Unknown(u) => {
            assert_eq!(u.tag, "VideoCallConversation");
            assert_eq!(u.raw, wire["data"][42], "the raw object, `_type` included");
        }
        other => panic!("decoded as {other:?}"),
    }
    match &page.data[7] {
        Conversation::EmailConversation(e) => {
            assert_eq!(e.state, Some(types::State::Unknown("Snoozed".into())));
            assert_eq!(e.direction, Some(types::DirectionValue::Unknown("Sideways".into())));
            match &e.link {
                Some(ConversationLink::Unknown(u)) => {
                    assert_eq!(u.tag, "MergedInto");
                    assert_eq!(u.raw["_type"], "MergedInto");
                    assert_eq!(u.raw["targetId"], 9);
                }
                other => panic!("link decoded as {other:?}"),
            }
        }
        other => panic!("decoded as {other:?}"),
    }
    assert!(
        matches!(&page.data[8], Conversation::EmailConversation(e) if matches!(e.link, Some(ConversationLink::FollowUp(_))))
    );

    // Everything re-encodes to what was read (the page is a response type,
    // so only members the client dropped as empty could differ: none here).
    let back = serde_json::to_value(&page).unwrap();
    assert_eq!(back["data"], wire["data"]);
}

fn message(i: usize, attributes: Value) -> Value {
    json!({
        "id": format!("00000000-0000-0000-0000-{i:012}"),
        "authorId": "3f1c0a7e-8a9f-4a57-9a55-2f6f5b0c1d2e",
        "createdAt": "2021-12-01T12:46:36.581Z",
        "attributes": attributes
    })
}

#[test]
fn a_message_page_with_unknown_attributes_and_unknown_nested_content_decodes_fully() {
    let email = |content: Value| {
        json!({ "_type": "EmailAttributes", "from": { "email": "a@example.com" }, "isAutoReply": false,
                "emailContent": { "_type": "Regular", "content": content } })
    };
    let mut data: Vec<Value> = (0..100).map(|i| message(i, email(json!({ "_type": "Text", "value": "hi" })))).collect();
    data[3] = message(3, json!({ "_type": "VideoAttributes", "durationSeconds": 12 }));
    data[4] = message(4, email(json!({ "_type": "RichText", "value": "{\\rtf1 hi}" })));
    data[5] = message(
        5,
        json!({ "_type": "EmailAttributes", "from": { "email": "a@example.com" }, "isAutoReply": false,
                                 "emailContent": { "_type": "Truncated", "bytes": 1 } }),
    );
    let wire = json!({ "data": data });
    let page: types::ListMessagesOutput = serde_json::from_value(wire.clone()).expect("the whole page decodes");
    assert_eq!(page.data.len(), 100);
    assert!(
        matches!(&page.data[3].attributes, Attributes::Unknown(u) if u.tag == "VideoAttributes" && u.raw == wire["data"][3]["attributes"])
    );
    let content_of = |i: usize| match &page.data[i].attributes {
        Attributes::EmailAttributes(a) => a.email_content.clone(),
        other => panic!("message {i}: {other:?}"),
    };
    assert!(
        matches!(content_of(4), Some(EmailContent::Regular(r)) if matches!(&r.content, types::Content::Unknown(u) if u.tag == "RichText"))
    );
    assert!(matches!(content_of(5), Some(EmailContent::Unknown(u)) if u.tag == "Truncated"));
    assert!(matches!(content_of(0), Some(EmailContent::Regular(r)) if matches!(&r.content, types::Content::Text(_))));
    assert_eq!(serde_json::to_value(&page).unwrap(), wire);
}

#[test]
fn a_union_serializes_type_as_its_first_member() {
    // Some servers dispatch on the first member; Dixa's own tools put it first.
    let link = ConversationLink::FollowUp(types::FollowUp { parent_id: 1 });
    assert_eq!(serde_json::to_string(&link).unwrap(), r#"{"_type":"FollowUp","parentId":1}"#);
}

#[test]
fn a_nested_failure_before_the_tag_keeps_its_json_path() {
    // `_type` last: the members before it are captured and replayed out of
    // sight of the document's path tracker, so the path ends at the union
    // object and the message carries the rest of it.
    let bad = json!({ "data": [ { "id": "not a number", "channel": "Email", "_type": "EmailConversation" } ] });
    let err = serde_path_to_error::deserialize::<_, types::ListEndUserConversationsOutput>(bad).unwrap_err();
    assert_eq!(err.path().to_string(), "data[0]", "{err}");
    assert!(err.inner().to_string().starts_with("id: invalid type: string \"not a number\""), "{err}");
    let bad = json!({ "data": [ message(0, json!({ "from": { "email": 5 }, "_type": "EmailAttributes", "isAutoReply": false })) ] });
    let err = serde_path_to_error::deserialize::<_, types::ListMessagesOutput>(bad).unwrap_err();
    assert_eq!(err.path().to_string(), "data[0].attributes", "{err}");
    assert!(err.inner().to_string().starts_with("from.email: invalid type: integer `5`"), "{err}");
    // `_type` first (as Dixa sends it): the whole path is tracked.
    let bad = json!({ "data": [ message(0, json!({ "_type": "EmailAttributes", "from": { "email": 5 }, "isAutoReply": false })) ] });
    let err = serde_path_to_error::deserialize::<_, types::ListMessagesOutput>(bad).unwrap_err();
    assert_eq!(err.path().to_string(), "data[0].attributes.from.email", "{err}");
}
