//! Wire shapes of the entities the fake serves, as the spec's schemas
//! describe them, with the `_type` tags that Dixa puts on `oneOf` variants.

use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::data::{self, ascii_lower, pick, rfc3339, uuid, Kind, EPOCH};

/// An agent (schema `Agent`) or an end user (schema `EndUser`): the two share
/// their fields, agents add `roles`, end users add `externalId`.
#[derive(Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Person {
    pub(crate) id: String,
    pub(crate) created_at: String,
    pub(crate) display_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) phone_number: Option<String>,
    pub(crate) additional_emails: Vec<String>,
    pub(crate) additional_phone_numbers: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) last_name: Option<String>,
    pub(crate) middle_names: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) avatar_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) external_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) roles: Option<Vec<String>>,
}

/// Agent number `i` of the seed data.
pub(crate) fn agent(i: u64) -> Person {
    let (first, last) = data::name(i, 1);
    let roles = match i % 10 {
        0 => vec!["Agent".to_owned(), "Admin".to_owned()],
        3 => vec!["Agent".to_owned(), "TeamLead".to_owned()],
        _ => vec!["Agent".to_owned()],
    };
    Person {
        id: uuid(Kind::Agent, i),
        created_at: rfc3339(EPOCH + (i as i64) * 3_607),
        display_name: format!("{first} {last}"),
        email: Some(format!("{}.{}.{i}@support.acme.example", ascii_lower(first), ascii_lower(last))),
        phone_number: Some(format!("+4530{:06}", i % 1_000_000)),
        additional_emails: Vec::new(),
        additional_phone_numbers: if i % 4 == 1 { vec![format!("+4570{:06}", i % 1_000_000)] } else { Vec::new() },
        first_name: Some(first.to_owned()),
        last_name: Some(last.to_owned()),
        middle_names: Vec::new(),
        avatar_url: i.is_multiple_of(3).then(|| format!("https://avatars.acme.example/agents/{i}.png")),
        external_id: None,
        roles: Some(roles),
    }
}

/// End user number `i` of the seed data (generated, never stored).
pub(crate) fn end_user(i: u64) -> Person {
    let (first, last) = data::name(i, 2);
    Person {
        id: uuid(Kind::EndUser, i),
        created_at: rfc3339(EPOCH + (i as i64) * 61),
        display_name: format!("{first} {last}"),
        email: Some(end_user_email(i)),
        phone_number: (i % 5 != 4).then(|| format!("+4540{:06}", i % 1_000_000)),
        additional_emails: if i.is_multiple_of(7) {
            vec![format!("{}.{i}@home.example", ascii_lower(first))]
        } else {
            Vec::new()
        },
        additional_phone_numbers: Vec::new(),
        first_name: Some(first.to_owned()),
        last_name: Some(last.to_owned()),
        middle_names: if i.is_multiple_of(11) { vec!["Marie".to_owned()] } else { Vec::new() },
        avatar_url: None,
        external_id: Some(format!("CRM-{:07}", i)),
        roles: None,
    }
}

/// The primary e-mail of seed end user `i`; [`end_user_index_from_email`]
/// reads the index back so that e-mail filters need no scan.
pub(crate) fn end_user_email(i: u64) -> String {
    let (first, last) = data::name(i, 2);
    format!("{}.{}.{i}@customers.example", ascii_lower(first), ascii_lower(last))
}

/// The seed end-user index an e-mail of [`end_user_email`]'s shape names.
pub(crate) fn end_user_index_from_email(email: &str) -> Option<u64> {
    let local = email.strip_suffix("@customers.example")?;
    local.rsplit('.').next()?.parse().ok()
}

/// Why a patch was refused: a message for a `Validation` error.
pub(crate) type PatchError = String;

/// Applies the JSON fields of a (bulk) patch or update to `p`. Returns
/// whether any field was present. `allow_email` and `allow_external_id`
/// follow the schemas: agents cannot change their e-mail by patch.
pub(crate) fn apply_patch(
    p: &mut Person,
    patch: &Map<String, Value>,
    allow_email: bool,
    allow_external_id: bool,
) -> Result<bool, PatchError> {
    fn string(name: &str, v: &Value) -> Result<String, PatchError> {
        v.as_str().map(str::to_owned).ok_or_else(|| format!("Invalid value for field {name}: expected a string"))
    }
    fn strings(name: &str, v: &Value) -> Result<Vec<String>, PatchError> {
        v.as_array()
            .and_then(|a| a.iter().map(|s| s.as_str().map(str::to_owned)).collect())
            .ok_or_else(|| format!("Invalid value for field {name}: expected an array of strings"))
    }
    let mut changed = false;
    for (k, v) in patch {
        if k == "id" {
            continue;
        }
        if v.is_null() {
            continue;
        }
        changed = true;
        match k.as_str() {
            "displayName" => {
                let s = string(k, v)?;
                if s.trim().is_empty() {
                    return Err("Invalid value for field displayName: must not be empty".to_owned());
                }
                p.display_name = s;
            }
            "firstName" => p.first_name = Some(string(k, v)?),
            "lastName" => p.last_name = Some(string(k, v)?),
            "avatarUrl" => p.avatar_url = Some(string(k, v)?),
            "phoneNumber" => {
                let s = string(k, v)?;
                if !s.starts_with('+') || s.len() < 6 || !s[1..].bytes().all(|b| b.is_ascii_digit()) {
                    return Err(format!("Invalid phone number [{s}]: expected E.164, e.g. +4512345678"));
                }
                p.phone_number = Some(s);
            }
            "middleNames" => p.middle_names = strings(k, v)?,
            "additionalEmails" => p.additional_emails = strings(k, v)?,
            "additionalPhoneNumbers" => p.additional_phone_numbers = strings(k, v)?,
            "email" if allow_email => {
                let s = string(k, v)?;
                if !s.contains('@') {
                    return Err(format!("Invalid email address [{s}]"));
                }
                p.email = Some(s);
            }
            "externalId" if allow_external_id => p.external_id = Some(string(k, v)?),
            other => return Err(format!("Unknown field [{other}]")),
        }
    }
    Ok(changed)
}

/// A `BulkActionSuccess` outcome around `data`.
pub(crate) fn bulk_success(data: Value) -> Value {
    json!({ "_type": "BulkActionSuccess", "data": data })
}

/// A `BulkActionFailure` outcome with a `BulkError` of `kind`
/// (`NotFound`, `Validation`, `EmptyPatchSet`, ...).
pub(crate) fn bulk_failure(kind: &str, id: Option<&str>, message: &str) -> Value {
    let mut error = Map::new();
    error.insert("_type".into(), json!(kind));
    if let Some(id) = id {
        error.insert("id".into(), json!(id));
    }
    error.insert("message".into(), json!(message));
    json!({ "_type": "BulkActionFailure", "error": error })
}

/// A presence record (schema `UserPresence`) for agent `i`.
pub(crate) fn presence(i: u64, id: &str) -> Value {
    let online = i % 3 != 2;
    let channels: &[&str] = match i % 4 {
        0 => &["Email", "WidgetChat"],
        1 => &["PstnPhone"],
        2 => &[],
        _ => &["Email", "FacebookMessenger", "Sms"],
    };
    json!({
        "userId": id,
        "requestTime": data::local_millis(EPOCH + 86_400 * 30, 935),
        "lastSeen": data::local_millis(EPOCH + 86_400 * 30 - (i as i64 % 600), 120),
        "presenceStatus": if i % 5 == 4 { "Away" } else { "Working" },
        "connectionStatus": if online { "Online" } else { "Offline" },
        "activeChannels": if online { channels } else { &[] },
    })
}

// ---------------------------------------------------------------- tags ----

/// Seed tags: (name, color, active).
pub(crate) const SEED_TAGS: [(&str, &str, bool); 9] = [
    ("billing", "#1F77B4", true),
    ("refund", "#FF7F0E", true),
    ("shipping", "#2CA02C", true),
    ("vip", "#D62728", true),
    ("bug", "#9467BD", true),
    ("feature-request", "#8C564B", true),
    ("complaint", "#E377C2", true),
    ("urgent", "#7F7F7F", true),
    ("legacy-import", "#BCBD22", false),
];

/// A tag (schema `Tag`).
pub(crate) fn tag(id: &str, name: &str, color: Option<&str>, active: bool) -> Value {
    let mut t = json!({ "id": id, "name": name, "state": if active { "Active" } else { "Inactive" } });
    if let Some(c) = color {
        t["color"] = json!(c);
    }
    t
}

// ------------------------------------------------------- conversations ----

/// The conversation variants the fake rotates through: (wire `_type`,
/// `channel`).
pub(crate) const CONVERSATION_TYPES: [(&str, &str); 11] = [
    ("EmailConversation", "Email"),
    ("ChatConversation", "WidgetChat"),
    ("SmsConversation", "Sms"),
    ("PstnPhoneConversation", "PstnPhone"),
    ("MessengerConversation", "Messenger"),
    ("FacebookMessengerConversation", "FacebookMessenger"),
    ("WhatsAppConversation", "WhatsApp"),
    ("ContactFormConversation", "ContactForm"),
    ("TwitterConversation", "Twitter"),
    ("GenericConversation", "Voicemail"),
    ("AnonymizedConversation", "Email"),
];

/// The first conversation id; conversation `i` has id `FIRST_CONVERSATION_ID + i`.
pub(crate) const FIRST_CONVERSATION_ID: u64 = 10_001;

const TOPICS: [&str; 12] = [
    "Where is my order #{n}?",
    "Refund for a damaged item",
    "Cannot log in to my account",
    "Invoice {n} looks wrong",
    "Change of delivery address",
    "Cancel my subscription",
    "Password reset link expired",
    "Question about the warranty",
    "Payment failed twice",
    "Shipping to Norway",
    "Discount code not accepted",
    "Order #{n} arrived broken",
];

/// The topic of conversation `i`: its e-mail subject and first message.
pub(crate) fn topic(i: u64) -> String {
    TOPICS[(i % TOPICS.len() as u64) as usize].replace("{n}", &(40_000 + i * 7).to_string())
}

/// How many end users the conversations are spread over: a few users with
/// many conversations each, so per-user lists span several channels.
pub(crate) fn requester_pool(conversations: usize, end_users: usize) -> u64 {
    ((conversations / 12).max(1).min(end_users.max(1))) as u64
}

/// Everything needed to render conversation `i`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ConvCtx {
    pub(crate) agents: u64,
    pub(crate) queues: u64,
    pub(crate) pool: u64,
    pub(crate) unknown: Option<u64>,
}

/// The requester (end-user index) of conversation `i`.
pub(crate) fn requester_of(i: u64, ctx: &ConvCtx) -> u64 {
    i % ctx.pool
}

/// The `state` of conversation `i`.
pub(crate) fn conversation_state(i: u64) -> &'static str {
    const STATES: [&str; 5] = ["Closed", "Open", "Pending", "Closed", "AwaitingPending"];
    STATES[(i % STATES.len() as u64) as usize]
}

/// Conversation `i` (schema `Conversation`, one of its variants, or the
/// unknown `InstagramConversation` when the hook selects `i`).
pub(crate) fn conversation(i: u64, ctx: &ConvCtx) -> Value {
    let id = FIRST_CONVERSATION_ID + i;
    let created = EPOCH + 86_400 * 10 + (i as i64) * 1_811;
    let requester = uuid(Kind::EndUser, requester_of(i, ctx));
    let state = conversation_state(i);
    if ctx.unknown == Some(i) {
        return json!({
            "_type": "InstagramConversation",
            "id": id,
            "requesterId": requester,
            "channel": "Instagram",
            "createdAt": rfc3339(created),
            "state": state,
            "direction": "Inbound",
            "instagramHandle": format!("@customer_{i}"),
            "storyReply": true,
        });
    }
    let (ty, channel) = CONVERSATION_TYPES[(i % CONVERSATION_TYPES.len() as u64) as usize];
    let mut c = Map::new();
    c.insert("_type".into(), json!(ty));
    c.insert("id".into(), json!(id));
    c.insert("requesterId".into(), json!(requester));
    c.insert("channel".into(), json!(channel));
    c.insert("createdAt".into(), json!(rfc3339(created)));
    c.insert("state".into(), json!(state));
    c.insert("stateUpdatedAt".into(), json!(rfc3339(created + 5_400)));
    c.insert("direction".into(), json!(if i % 6 == 5 { "Outbound" } else { "Inbound" }));
    if ty == "AnonymizedConversation" {
        c.insert("anonymizedAt".into(), json!(rfc3339(created + 86_400 * 40)));
        return Value::Object(c);
    }
    if ctx.queues > 0 {
        c.insert("queue".into(), json!({ "id": uuid(Kind::Queue, i % ctx.queues), "queuedAt": rfc3339(created + 3) }));
    }
    if ctx.agents > 0 && state != "Pending" {
        c.insert(
            "assignment".into(),
            json!({ "agentId": uuid(Kind::Agent, pick(i, 9) % ctx.agents), "assignedAt": rfc3339(created + 60) }),
        );
    }
    if i.is_multiple_of(4) {
        c.insert(
            "customAttributes".into(),
            json!([{
                "id": uuid(Kind::CustomAttribute, 0),
                "name": "Order number",
                "identifier": "order_number",
                "value": format!("{}", 40_000 + i * 7),
            }]),
        );
    }
    if i % 9 == 8 {
        c.insert("link".into(), json!({ "_type": "FollowUp", "parentId": id - 1 }));
    }
    let customer = end_user_email(requester_of(i, ctx));
    match ty {
        "EmailConversation" | "ContactFormConversation" => {
            c.insert("subject".into(), json!(topic(i)));
            c.insert("fromEmail".into(), json!(customer));
            c.insert("toEmail".into(), json!("support@acme.example"));
            c.insert("integrationEmail".into(), json!("acme@email.dixa.io"));
            c.insert("language".into(), json!("en"));
        }
        "ChatConversation" => {
            c.insert("language".into(), json!("en"));
            c.insert(
                "browserInfo".into(),
                json!({ "name": "Firefox", "version": "128.0", "ipAddress": "192.0.2.10", "originatingUrl": "https://shop.acme.example/help" }),
            );
        }
        "MessengerConversation" => {
            c.insert("language".into(), json!("da"));
        }
        "SmsConversation" => {
            c.insert("fromNumber".into(), json!(format!("+4540{:06}", requester_of(i, ctx))));
            c.insert("toNumber".into(), json!("+4589880000"));
        }
        "TwitterConversation" => {
            c.insert("conversationType".into(), json!(if i.is_multiple_of(2) { "DirectMessage" } else { "Tweet" }));
            c.insert("endUserTwitterId".into(), json!(format!("{}", 1_500_000_000 + i)));
            c.insert("contactPointTwitterId".into(), json!("acme_support"));
        }
        "GenericConversation" => {
            c.insert("fromContactPointId".into(), json!(format!("+4540{:06}", requester_of(i, ctx))));
            c.insert("toContactPointId".into(), json!("+4589880000"));
        }
        _ => {}
    }
    Value::Object(c)
}

/// The messages of conversation `i` (schema `Message`), with attributes of
/// the variant that matches its channel.
pub(crate) fn messages(i: u64, ctx: &ConvCtx) -> Vec<Value> {
    let created = EPOCH + 86_400 * 10 + (i as i64) * 1_811;
    let requester_index = requester_of(i, ctx);
    let requester = uuid(Kind::EndUser, requester_index);
    let agent = if ctx.agents > 0 { uuid(Kind::Agent, pick(i, 9) % ctx.agents) } else { requester.clone() };
    let customer = end_user_email(requester_index);
    let question = topic(i);
    let answer = "Thanks for reaching out! I have looked into it and it is sorted now.".to_owned();
    let msg = |n: u64, author: &str, attributes: Value| {
        json!({
            "id": uuid(Kind::Message, i * 8 + n),
            "authorId": author,
            "createdAt": rfc3339(created + (n as i64) * 900),
            "attributes": attributes,
        })
    };
    let text = |v: &str| json!({ "_type": "Text", "value": v });
    let content_pair = |ty: &str| {
        vec![
            msg(
                0,
                &requester,
                json!({ "_type": ty, "content": text(&question), "direction": "Inbound", "attachments": [] }),
            ),
            msg(
                1,
                &agent,
                json!({ "_type": ty, "content": text(&answer), "direction": "Outbound", "attachments": [] }),
            ),
        ]
    };
    if ctx.unknown == Some(i) {
        return vec![msg(
            0,
            &requester,
            json!({ "_type": "InstagramAttributes", "content": text(&question), "direction": "Inbound" }),
        )];
    }
    let (ty, _) = CONVERSATION_TYPES[(i % CONVERSATION_TYPES.len() as u64) as usize];
    match ty {
        "EmailConversation" | "ContactFormConversation" => {
            let attr = if ty == "EmailConversation" { "EmailAttributes" } else { "ContactFormAttributes" };
            let email = |from: &str, to: &str, body: &str, dir: &str| {
                json!({
                    "_type": attr,
                    "from": { "email": from },
                    "to": [{ "email": to }],
                    "cc": [], "bcc": [],
                    "direction": dir,
                    "isAutoReply": false,
                    "emailContent": { "_type": "Regular", "content": { "_type": "Html", "value": format!("<p>{body}</p>") } },
                    "attachments": if dir == "Inbound" && i.is_multiple_of(3) {
                        json!([{ "url": format!("https://files.acme.example/{i}/photo.jpg"), "prettyName": "photo.jpg" }])
                    } else { json!([]) },
                    "inlineImages": [],
                })
            };
            vec![
                msg(0, &requester, email(&customer, "support@acme.example", &question, "Inbound")),
                msg(1, &agent, email("support@acme.example", &customer, &answer, "Outbound")),
                msg(2, &requester, email(&customer, "support@acme.example", "Great, thank you!", "Inbound")),
            ]
        }
        "ChatConversation" => vec![
            msg(
                0,
                &requester,
                json!({ "_type": "ChatAttributes", "content": text(&question), "direction": "Inbound", "isAutomated": false, "attachments": [] }),
            ),
            msg(
                1,
                &agent,
                json!({ "_type": "ChatAttributes", "content": text("Hi! Let me check that for you."), "direction": "Outbound", "isAutomated": true, "attachments": [] }),
            ),
            msg(
                2,
                &agent,
                json!({ "_type": "ChatAttributes", "content": text(&answer), "direction": "Outbound", "isAutomated": false, "attachments": [] }),
            ),
        ],
        "PstnPhoneConversation" => vec![
            msg(
                0,
                &requester,
                json!({ "_type": "PhoneAttributes", "from": format!("+4540{:06}", requester_index), "to": "+4589880000", "duration": 180 + (i % 300) as i64, "direction": "Inbound" }),
            ),
            msg(
                1,
                &agent,
                json!({ "_type": "CallRecordingAttributes", "recording": format!("https://recordings.acme.example/{i}.mp3"), "duration": 180 + (i % 300) as i64 }),
            ),
        ],
        "SmsConversation" => content_pair("SmsAttributes"),
        "FacebookMessengerConversation" => content_pair("FacebookMessengerAttributes"),
        "WhatsAppConversation" => content_pair("WhatsAppAttributes"),
        "TwitterConversation" => content_pair("TwitterAttributes"),
        "AnonymizedConversation" => Vec::new(),
        _ => content_pair("GenericAttributes"),
    }
}

// ------------------------------------------------------ queues & teams ----

/// Seed queues: (name, is default).
pub(crate) const SEED_QUEUES: [(&str, bool); 3] = [("Customer Service", true), ("Billing", false), ("VIP", false)];

/// Seed teams.
pub(crate) const SEED_TEAMS: [&str; 3] = ["Tier 1", "Tier 2", "Escalations"];

/// A queue (schema `Queue1`).
pub(crate) fn queue(id: &str, name: &str, is_default: bool, priority: i64) -> Value {
    json!({
        "id": id,
        "name": name,
        "isDefault": is_default,
        "organizationId": uuid(Kind::Org, 0),
        "priority": priority,
        "offerTimeout": 30,
        "wrapupTimeout": 10,
        "memberListType": "Default",
        "offeringAlgorithm": if is_default { "AllAtOnce" } else { "LongestIdle" },
        "queueThresholds": { "WaitingConversations": 10, "LongestWait": 600 },
        "slaCalculationMethod": "AbandonedIgnored",
        "doNotOfferTimeouts": { "WidgetChat": 1 },
        "isDoNotOfferEnabled": false,
        "preferredAgentTimeouts": { "Email": 43200, "PstnPhone": 300 },
        "isPreferredAgentEnabled": false,
        "offerAbandonedConversations": false,
        "personalAgentOfflineTimeout": 500,
        "preferredAgentOfflineTimeout": 500,
        "usages": { "queueId": id, "usages": { "Email": ["support@acme.example"] } },
    })
}
