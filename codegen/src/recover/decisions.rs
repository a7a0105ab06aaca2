//! The recovery's decisions, as data: every choice the renderings do not
//! dictate is a row here together with the reason for it. RECOVERY.md is
//! generated from these rows, so the reasoning and the spec cannot drift.

/// How the tag of an operation is chosen: the first path segment after
/// `/v1/`, spelled as below.
///
/// Why: the DELETE page groups by tag, and there
/// `DELETE /v1/conversations/{conversationId}/tags/{tagId}` is under
/// `Conversations` (not `Tags`) and `DELETE /v1/teams/{teamId}/agents` under
/// `Teams` (not `Agents`): the tag follows the first segment, not the
/// resource acted on. Multi-word segments are written without a space so
/// that the tag can prefix an operationId (`Tag_verbNoun`).
pub(crate) const TAGS: &[(&str, &str)] = &[
    ("agents", "Agents"),
    ("analytics", "Analytics"),
    ("anonymization", "Anonymization"),
    ("contact-endpoints", "ContactEndpoints"),
    ("conversations", "Conversations"),
    ("custom-attributes", "CustomAttributes"),
    ("endusers", "EndUsers"),
    ("queues", "Queues"),
    ("search", "Search"),
    ("tags", "Tags"),
    ("teams", "Teams"),
    ("webhooks", "Webhooks"),
];

/// Why tags follow the first path segment (printed in RECOVERY.md).
pub(crate) const TAG_RULE: &str = "The DELETE page files `DELETE /v1/conversations/{conversationId}/tags/{tagId}` under Conversations and `DELETE /v1/teams/{teamId}/agents` under Teams, \
so the tag follows the first segment, not the resource acted on; multi-word names are written without spaces so they can prefix an operationId.";

/// The rule by which the operationIds not shown on the DELETE page were
/// chosen (printed in RECOVERY.md).
pub(crate) const OPERATION_ID_RULE: &str = "`<Tag>_<verb><Noun>`, lowerCamel after the underscore, like the six ids the DELETE page shows. \
Verb: a GET uses `list` when it answers a collection (`data` is an array, or a bare array) and `get` when it answers one object; \
the search operation keeps `search`. Other methods use the verb their description starts with (create, patch, update, add, assign, tag, claim, \
`Get data of ...` -> get), except that action paths use their action segment (`/close` -> close for `Mark a conversation as closed`, \
`/transfer/queue` -> transfer, `/anonymize` -> anonymize, `/activate`, `/deactivate`). \
Noun: the resource as the description names it, singular for one and plural for many, in the tag's own words where the known ids use them \
(`Queues_removeMembersBulk`, `Teams_removeMembers`: members of a queue or team are `Members`; `Webhooks_deleteSubscription`: a webhook subscription is a `Subscription`); \
a qualifier is added only where two operations would otherwise get the same id (`Conversations_listActivityLogs` for the organization's, \
`Conversations_listConversationActivityLog` for one conversation's). \
`Bulk` is appended when the description says bulk or in bulk, or the path ends in `/bulk`, and a single-entity form of the same verb exists \
(`Queues_removeMembersBulk` is the known precedent).";

/// Why a success response was given its status and schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Why {
    /// The Output named after this operation (List/Get/Create/Patch/Update +
    /// resource), whose `data` has the resource's type.
    OwnOutput,
    /// `AgentOutput` (`{data: Agent}`) is the only schema of that shape; the
    /// Redoc response sample of this operation has exactly that shape.
    SharedAgentOutput,
    /// `BulkUpdateAgentOutput` is the only schema of bulk agent outcomes
    /// besides `CreateAgentsOutput`; the Redoc sample has that shape.
    SharedBulkAgentOutput,
    /// `AnonymizeEntityOutput` (`{data: AnonymizationRequestStatus}`) is the
    /// only schema carrying an anonymization request status.
    SharedAnonymizeOutput,
    /// `GET /v1/teams/{teamId}` has no Output of its own; `CreateTeamOutput`
    /// (`{data: Team1}`) is the only schema wrapping one team.
    SharedTeamOutput,
    /// `GET /v1/agents/presence` answers a bare array
    /// (`AgentsListPresenceResponse`, an unreferenced non-Output schema);
    /// the Redoc sample is a bare array, WIRE-FACTS agrees.
    BareArray,
    /// An action endpoint with no Output schema answers 204 without a body.
    Action,
}

impl Why {
    /// The sentence written into RECOVERY.md.
    pub(crate) fn text(self) -> &'static str {
        match self {
            Why::OwnOutput => "the `...Output` schema named after this operation; its `data` is this operation's resource (Output schemas are referenced by nothing else)",
            Why::SharedAgentOutput => "`AgentOutput` (`{data: Agent}`) is the only schema wrapping one agent; the Redoc response sample of this operation has that shape. Shared by the four single-agent operations (no other Output exists for them)",
            Why::SharedBulkAgentOutput => "bulk agent outcomes (`BulkActionOutcome_BulkError_Agent`) appear only in `BulkUpdateAgentOutput` and `CreateAgentsOutput`; the Redoc sample of this operation has that shape. Shared by bulk patch and bulk update",
            Why::SharedAnonymizeOutput => "`AnonymizeEntityOutput` (`{data: AnonymizationRequestStatus}`) is the only schema carrying an anonymization request status; shared by the three anonymize requests and the status lookup",
            Why::SharedTeamOutput => "this operation has no Output of its own; `CreateTeamOutput` (`{data: Team1}`) is the only schema wrapping one team",
            Why::BareArray => "the Redoc sample is a bare array of presences; `AgentsListPresenceResponse` (array of `UserPresence`) is the only unreferenced schema of that shape (WIRE-FACTS: no envelope)",
            Why::Action => "action endpoint: no `...Output` schema belongs to it, so it answers 204 without a body (as every action the renderings show does)",
        }
    }
}

/// One operation's recorded decisions.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OpDecision {
    /// Upper-case method.
    pub(crate) method: &'static str,
    /// Path template.
    pub(crate) path: &'static str,
    /// The operationId (checked against the DELETE page where it shows one).
    pub(crate) operation_id: &'static str,
    /// Success status (checked against Redoc / DELETE page where shown).
    pub(crate) status: u16,
    /// Success body schema, `None` for 204.
    pub(crate) schema: Option<&'static str>,
    /// Why this status and schema.
    pub(crate) why: Why,
}

const fn op(
    method: &'static str,
    path: &'static str,
    operation_id: &'static str,
    status: u16,
    schema: Option<&'static str>,
    why: Why,
) -> OpDecision {
    OpDecision { method, path, operation_id, status, schema, why }
}

use Why::*;

/// Why POST creations answer 201 when no rendering shows it (printed in
/// RECOVERY.md).
pub(crate) const STATUS_RULE: &str = "Success statuses not shown by any rendering follow the ones Redoc shows: \
POST operations that create something answer 201 (Redoc: `POST /v1/agents` and `POST /v1/agents/bulk` answer 201); \
every other operation with a body answers 200 (Redoc: GET, PATCH, PUT answer 200), including the two analytics POSTs, which query rather than create; \
operations without an Output answer 204.";

/// Every operation the renderings show, with the decisions for it.
// One row per line keeps the table reviewable.
#[rustfmt::skip]
pub(crate) const OPERATIONS: &[OpDecision] = &[
    op("GET", "/v1/agents", "Agents_listAgents", 200, Some("ListAgentsOutput"), OwnOutput),
    op("PATCH", "/v1/agents", "Agents_patchAgentsBulk", 200, Some("BulkUpdateAgentOutput"), SharedBulkAgentOutput),
    op("POST", "/v1/agents", "Agents_createAgent", 201, Some("AgentOutput"), SharedAgentOutput),
    op("PUT", "/v1/agents", "Agents_updateAgentsBulk", 200, Some("BulkUpdateAgentOutput"), OwnOutput),
    op("POST", "/v1/agents/bulk", "Agents_createAgentsBulk", 201, Some("CreateAgentsOutput"), OwnOutput),
    op("GET", "/v1/agents/presence", "Agents_listPresence", 200, Some("AgentsListPresenceResponse"), BareArray),
    op("DELETE", "/v1/agents/{agentId}", "Agents_downgradeAgent", 204, None, Action),
    op("GET", "/v1/agents/{agentId}", "Agents_getAgent", 200, Some("AgentOutput"), SharedAgentOutput),
    op("PATCH", "/v1/agents/{agentId}", "Agents_patchAgent", 200, Some("AgentOutput"), SharedAgentOutput),
    op("PUT", "/v1/agents/{agentId}", "Agents_updateAgent", 200, Some("AgentOutput"), SharedAgentOutput),
    op("GET", "/v1/agents/{agentId}/presence", "Agents_getPresence", 200, Some("UserPresenceOutput"), OwnOutput),
    op("GET", "/v1/agents/{agentId}/teams", "Agents_listTeams", 200, Some("AgentTeamsOutput"), OwnOutput),
    op("GET", "/v1/analytics/filter/{filterAttribute}", "Analytics_listFilterValues", 200, Some("GetFilterValuesOutput"), OwnOutput),
    op("GET", "/v1/analytics/metrics", "Analytics_listMetrics", 200, Some("GetMetricsOutput"), OwnOutput),
    op("POST", "/v1/analytics/metrics", "Analytics_getMetricData", 200, Some("GetMetricDataOutput"), OwnOutput),
    op("GET", "/v1/analytics/metrics/{metricId}", "Analytics_getMetric", 200, Some("GetMetricOutput"), OwnOutput),
    op("GET", "/v1/analytics/records", "Analytics_listRecords", 200, Some("GetMetricRecordsOutput"), OwnOutput),
    op("POST", "/v1/analytics/records", "Analytics_getMetricRecordsData", 200, Some("GetMetricRecordsDataOutput"), OwnOutput),
    op("GET", "/v1/analytics/records/{recordId}", "Analytics_getRecord", 200, Some("GetMetricRecordOutput"), OwnOutput),
    op("GET", "/v1/anonymization/request/{requestId}", "Anonymization_getRequest", 200, Some("AnonymizeEntityOutput"), SharedAnonymizeOutput),
    op("GET", "/v1/contact-endpoints", "ContactEndpoints_listContactEndpoints", 200, Some("ListContactPointsOutput"), OwnOutput),
    op("GET", "/v1/contact-endpoints/{contactEndpointId}", "ContactEndpoints_getContactEndpoint", 200, Some("GetContactPointByIdOutput"), OwnOutput),
    op("POST", "/v1/conversations", "Conversations_createConversation", 201, Some("CreateConversationOutput"), OwnOutput),
    op("GET", "/v1/conversations/activitylog", "Conversations_listActivityLogs", 200, Some("ListActivityLogOutput"), OwnOutput),
    op("GET", "/v1/conversations/flows", "Conversations_listFlows", 200, Some("ListFlowsOutput"), OwnOutput),
    op("GET", "/v1/conversations/{conversationId}", "Conversations_getConversation", 200, Some("GetConversationOutput"), OwnOutput),
    op("GET", "/v1/conversations/{conversationId}/activitylog", "Conversations_listConversationActivityLog", 200, Some("GetActivityLogOutput"), OwnOutput),
    op("PUT", "/v1/conversations/{conversationId}/claim", "Conversations_claimConversation", 204, None, Action),
    op("PUT", "/v1/conversations/{conversationId}/close", "Conversations_closeConversation", 204, None, Action),
    op("GET", "/v1/conversations/{conversationId}/linked", "Conversations_listLinkedConversations", 200, Some("ListLinkedConversationsOutput"), OwnOutput),
    op("POST", "/v1/conversations/{conversationId}/messages", "Conversations_addMessage", 201, Some("CreateMessageOutput"), OwnOutput),
    op("PUT", "/v1/conversations/{conversationId}/reopen", "Conversations_reopenConversation", 204, None, Action),
    op("PUT", "/v1/conversations/{conversationId}/transfer/queue", "Conversations_transferConversation", 204, None, Action),
    op("PATCH", "/v1/conversations/{conversationId}/anonymize", "Conversations_anonymizeConversation", 200, Some("AnonymizeEntityOutput"), SharedAnonymizeOutput),
    op("PATCH", "/v1/conversations/{conversationId}/messages/{messageId}/anonymize", "Conversations_anonymizeMessage", 200, Some("AnonymizeEntityOutput"), SharedAnonymizeOutput),
    op("PATCH", "/v1/conversations/{conversationId}/custom-attributes", "Conversations_patchCustomAttributes", 200, Some("PatchConversationCustomAttributesOutput"), OwnOutput),
    op("GET", "/v1/conversations/{conversationId}/notes", "Conversations_listInternalNotes", 200, Some("ListInternalNotesOutput"), OwnOutput),
    op("POST", "/v1/conversations/{conversationId}/notes", "Conversations_createInternalNote", 201, Some("CreateNoteOutput"), OwnOutput),
    op("POST", "/v1/conversations/{conversationId}/notes/bulk", "Conversations_createInternalNotesBulk", 201, Some("BulkCreateNoteOutput"), OwnOutput),
    op("GET", "/v1/conversations/{conversationId}/messages", "Conversations_listMessages", 200, Some("ListMessagesOutput"), OwnOutput),
    op("GET", "/v1/conversations/{conversationId}/rating", "Conversations_listRatings", 200, Some("ListConversationRatingsOutput"), OwnOutput),
    op("GET", "/v1/conversations/{conversationId}/tags", "Conversations_listTags", 200, Some("ConversationTagsOutput"), OwnOutput),
    op("DELETE", "/v1/conversations/{conversationId}/tags/{tagId}", "Conversations_untagConversation", 204, None, Action),
    op("PUT", "/v1/conversations/{conversationId}/tags/{tagId}", "Conversations_tagConversation", 204, None, Action),
    op("GET", "/v1/custom-attributes", "CustomAttributes_listCustomAttributes", 200, Some("ListCustomAttributesDefinitionsOutput"), OwnOutput),
    op("GET", "/v1/endusers", "EndUsers_listEndUsers", 200, Some("ListEndUsersOutput"), OwnOutput),
    op("PATCH", "/v1/endusers", "EndUsers_patchEndUsersBulk", 200, Some("BulkPatchEndUsersOutput"), OwnOutput),
    op("POST", "/v1/endusers", "EndUsers_createEndUser", 201, Some("CreateEndUserOutput"), OwnOutput),
    op("PUT", "/v1/endusers", "EndUsers_updateEndUsersBulk", 200, Some("BulkUpdateEndUsersOutput"), OwnOutput),
    op("POST", "/v1/endusers/bulk", "EndUsers_createEndUsersBulk", 201, Some("CreateEndUsersOutput"), OwnOutput),
    op("GET", "/v1/endusers/{userId}", "EndUsers_getEndUser", 200, Some("GetEndUserOutput"), OwnOutput),
    op("PATCH", "/v1/endusers/{userId}", "EndUsers_patchEndUser", 200, Some("PatchEndUserOutput"), OwnOutput),
    op("PUT", "/v1/endusers/{userId}", "EndUsers_updateEndUser", 200, Some("UpdateEndUserOutput"), OwnOutput),
    op("GET", "/v1/endusers/{userId}/conversations", "EndUsers_listConversations", 200, Some("ListEndUserConversationsOutput"), OwnOutput),
    op("PATCH", "/v1/endusers/{userId}/anonymize", "EndUsers_anonymizeEndUser", 200, Some("AnonymizeEntityOutput"), SharedAnonymizeOutput),
    op("PATCH", "/v1/endusers/{userId}/custom-attributes", "EndUsers_patchCustomAttributes", 200, Some("PatchEndUserCustomAttributesOutput"), OwnOutput),
    op("GET", "/v1/queues", "Queues_listQueues", 200, Some("ListQueuesOutput"), OwnOutput),
    op("POST", "/v1/queues", "Queues_createQueue", 201, Some("CreateQueueOutput"), OwnOutput),
    op("GET", "/v1/queues/{queueId}", "Queues_getQueue", 200, Some("GetQueueByIdOutput"), OwnOutput),
    op("DELETE", "/v1/queues/{queueId}/members", "Queues_removeMembersBulk", 204, None, Action),
    op("GET", "/v1/queues/{queueId}/members", "Queues_listMembers", 200, Some("QueueMembersOutput"), OwnOutput),
    op("PATCH", "/v1/queues/{queueId}/members", "Queues_assignMembers", 200, Some("BulkQueueEndpointOutput"), OwnOutput),
    op("GET", "/v1/search/conversations", "Search_searchConversations", 200, Some("SearchOutput"), OwnOutput),
    op("GET", "/v1/tags", "Tags_listTags", 200, Some("ListTagsOutput"), OwnOutput),
    op("POST", "/v1/tags", "Tags_createTag", 201, Some("CreateTagOutput"), OwnOutput),
    op("GET", "/v1/tags/{tagId}", "Tags_getTag", 200, Some("GetTagOutput"), OwnOutput),
    op("PATCH", "/v1/tags/{tagId}/activate", "Tags_activateTag", 204, None, Action),
    op("PATCH", "/v1/tags/{tagId}/deactivate", "Tags_deactivateTag", 204, None, Action),
    op("GET", "/v1/teams", "Teams_listTeams", 200, Some("ListTeamsOutput"), OwnOutput),
    op("POST", "/v1/teams", "Teams_createTeam", 201, Some("CreateTeamOutput"), OwnOutput),
    op("DELETE", "/v1/teams/{teamId}", "Teams_removeTeam", 204, None, Action),
    op("GET", "/v1/teams/{teamId}", "Teams_getTeam", 200, Some("CreateTeamOutput"), SharedTeamOutput),
    op("DELETE", "/v1/teams/{teamId}/agents", "Teams_removeMembers", 204, None, Action),
    op("GET", "/v1/teams/{teamId}/agents", "Teams_listMembers", 200, Some("ListTeamMembersOutput"), OwnOutput),
    op("PATCH", "/v1/teams/{teamId}/agents", "Teams_addMembers", 204, None, Action),
    op("GET", "/v1/teams/{teamId}/presence", "Teams_listPresence", 200, Some("ListPresenceOutput"), OwnOutput),
    op("GET", "/v1/webhooks", "Webhooks_listSubscriptions", 200, Some("ListWebhookSubscriptionsEndpointOutput"), OwnOutput),
    op("POST", "/v1/webhooks", "Webhooks_createSubscription", 201, Some("CreateWebhookSubscriptionOutput"), OwnOutput),
    op("DELETE", "/v1/webhooks/{webhookSubscriptionId}", "Webhooks_deleteSubscription", 204, None, Action),
    op("GET", "/v1/webhooks/{webhookSubscriptionId}", "Webhooks_getSubscription", 200, Some("GetWebhookSubscriptionOutput"), OwnOutput),
    op("PATCH", "/v1/webhooks/{webhookSubscriptionId}", "Webhooks_patchSubscription", 200, Some("PatchWebhookSubscriptionOutput"), OwnOutput),
    op("GET", "/v1/webhooks/{webhookSubscriptionId}/delivery-status", "Webhooks_listDeliveryStatuses", 200, Some("GetWebhookLastDeliveryStatusOutput"), OwnOutput),
    op("GET", "/v1/webhooks/{webhookSubscriptionId}/delivery-status/logs/{event}", "Webhooks_listEventLogs", 200, Some("GetWebhookEventDeliveryLogsOutput"), OwnOutput),
];

/// Catalog parameter rows that lost their name, for operations Redoc does
/// not show: (method, path, description as printed, name, why).
///
/// (The same defect on `GET /v1/agents` is repaired from the Redoc page,
/// which lists the parameter with the same description under its name.)
pub(crate) const NAMELESS_PARAMS: &[(&str, &str, &str, &str, &str)] = &[(
    "GET",
    "/v1/endusers",
    "Filter by the contact's email",
    "email",
    "the row is malformed exactly like the `email` row of `GET /v1/agents` (name cell lost, columns shifted left, a spare empty cell at the end), which Redoc shows as query parameter `email`; \
the operation's description says it filters by `email or phone number`, and the sibling rows are `phone` and `externalId`",
)];

/// How error responses are inferred (printed in RECOVERY.md).
pub(crate) const ERROR_RULE: &str = "Errors of operations no rendering shows responses for follow the operations that are shown \
(the Redoc page and the DELETE page; the counts are below): \
400 `BadRequest` always; 404 `NotFound` when the path has a parameter; 500 `ServerError` always. \
The 404 and 500 descriptions are the ones every shown operation uses word for word. \
The 400 description is built the way every shown one starts: `Invalid value for: path parameter <p>` per path parameter, then `Invalid value extracted from request context`, \
then `Invalid value for: query parameter <q>` per query parameter, then `Invalid value for: body` if there is a body \
(operation-specific validation messages that some shown ones append cannot be inferred and are left out). \
The schemas follow the status by name: 400 `BadRequest`, 404 `NotFound`, 500 `ServerError` (the DELETE agent 400 sample `{\"message\": ...}` has that shape). \
`Unauthorized` and `Conflict` exist in components but no rendering attaches a 401 or 409 to any operation, so none is added.";

/// The 404 description every shown operation uses.
pub(crate) const NOT_FOUND_TEXT: &str = "An entity in this request could not be found";
/// The 500 description every shown operation uses.
pub(crate) const SERVER_ERROR_TEXT: &str = "Internal failure during request processing";

/// The error schema a status code refers to.
pub(crate) fn error_schema(status: &str) -> Option<&'static str> {
    match status {
        "400" => Some("BadRequest"),
        "401" => Some("Unauthorized"),
        "404" => Some("NotFound"),
        "409" => Some("Conflict"),
        "500" => Some("ServerError"),
        _ => None,
    }
}

/// The security scheme decision (printed in RECOVERY.md).
pub(crate) const SECURITY_RULE: &str = "Redoc prints `Security ApiKeyAuth` on every operation, so the scheme is named `ApiKeyAuth` and applied globally. \
It is declared as `type: apiKey, in: header, name: Authorization`: Dixa's docs call it bearer authentication, but the token is sent in the `Authorization` header either raw or as `Bearer <token>` \
(WIRE-FACTS; the deprecated Integrations API's samples send it raw). An `http`/`bearer` scheme would force the `Bearer ` prefix, which the raw form does not have; \
an `apiKey` scheme in the `Authorization` header describes both.";

/// What the 84th operation finding is (printed in RECOVERY.md).
pub(crate) const MISSING_OPERATION: &str = "The catalog header says 84 endpoints; 83 distinct method+path pairs are shown in `catalog-full-spec.txt`. \
The 12 Agents operations on the Redoc page are exactly the catalog's 12; the DELETE page's 6 cards are exactly the catalog's 6 DELETE operations; \
every `...Output` schema is accounted for by a visible operation (see the table). \
The one schema that hints at an unseen operation is `AnonymizeEntityInput` (`entityId`, `_type` Conversation/Message/User, `forceAnonymization`): \
it is the only request-shaped (`...Input`) schema no visible operation uses, and its success body would be `AnonymizeEntityOutput` (already used). \
But no rendering shows that operation's method, path, parameters, description or responses, so it is NOT added: adding it would mean inventing its path. \
If a real copy of the spec appears, look there for an anonymization operation taking `AnonymizeEntityInput`.";
