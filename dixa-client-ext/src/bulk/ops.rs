//! Chunked calls to each bulk endpoint: `client.bulk().add_queue_members(..)`.
//!
//! Every helper splits its input to the endpoint's per-call limit
//! ([`BulkEndpoint::limit`]), sends the chunks one after another through the
//! client (auth, rate limiter, retries: POST and PATCH are never retried on
//! 5xx), and merges the per-item outcomes in input order. A call that fails
//! as a whole stops the run with [`BulkInterrupted`], which keeps the
//! outcomes so far and the items not yet applied.

use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use dixa_client::types;
use uuid::Uuid;

#[allow(unused_imports)] // referenced by the docs of the typed helpers
use super::UNDOCUMENTED_CHUNK;
use super::{send_chunked, BulkEndpoint, BulkInterrupted, BulkOutcome, BulkOutcomes};
use crate::client::DixaClient;
use crate::error::Error;
use crate::paginate::decode_page;
use crate::paginate::ops::operation_id;

/// The result of a chunked bulk run: merged outcomes, or where it stopped.
pub type BulkRun<I, T> = std::result::Result<BulkOutcomes<T>, BulkInterrupted<I, T>>;

/// How a bulk endpoint wants its items in the request body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyShape {
    /// A bare JSON array (`PATCH`/`PUT /v1/agents`).
    Array,
    /// `{"data": [...]}` (bulk creates, end user bulk patch/update, notes).
    Data,
    /// `{"agentIds": [...]}` (queue membership).
    AgentIds,
}

impl BulkEndpoint {
    /// The body shape the spec gives this endpoint's request.
    pub fn body_shape(self) -> BodyShape {
        match self {
            Self::PatchAgents | Self::UpdateAgents => BodyShape::Array,
            Self::AddQueueMembers | Self::RemoveQueueMembers | Self::AddTeamMembers | Self::RemoveTeamMembers => {
                BodyShape::AgentIds
            }
            _ => BodyShape::Data,
        }
    }

    /// The generated client's operation id (for tracing), from
    /// `dixa_client::OPERATIONS`.
    pub fn operation_id(self) -> &'static str {
        // Looked up at compile time: a bulk route missing from the generated
        // client fails the build.
        const IDS: [&str; 11] = [
            operation_id("PATCH", "/v1/agents"),
            operation_id("PUT", "/v1/agents"),
            operation_id("POST", "/v1/agents/bulk"),
            operation_id("PATCH", "/v1/endusers"),
            operation_id("PUT", "/v1/endusers"),
            operation_id("POST", "/v1/endusers/bulk"),
            operation_id("POST", "/v1/conversations/{conversationId}/notes/bulk"),
            operation_id("PATCH", "/v1/queues/{queueId}/members"),
            operation_id("DELETE", "/v1/queues/{queueId}/members"),
            operation_id("PATCH", "/v1/teams/{teamId}/agents"),
            operation_id("DELETE", "/v1/teams/{teamId}/agents"),
        ];
        let index = BulkEndpoint::ALL.iter().position(|e| *e == self).unwrap_or(0);
        IDS[index]
    }

    /// Whether the spec documents a `204` with no per-item outcomes for a
    /// successful call (removing queue members, team membership changes), in
    /// which case every item of the chunk counts as succeeded.
    pub fn answers_without_outcomes(self) -> bool {
        matches!(self, Self::RemoveQueueMembers | Self::AddTeamMembers | Self::RemoveTeamMembers)
    }
}

/// Bulk helpers of a [`DixaClient`]; see [`DixaClient::bulk`].
#[derive(Clone, Debug)]
pub struct BulkClient<'a> {
    client: &'a DixaClient,
}

impl DixaClient {
    /// Chunked, outcome-typed bulk calls: `client.bulk().add_queue_members(..)`.
    pub fn bulk(&self) -> BulkClient<'_> {
        BulkClient { client: self }
    }
}

/// One successful item of a queue membership change, when the call answered
/// without per-item outcomes: the agent id that was sent.
fn sent_id<I: Serialize>(item: &I) -> Value {
    serde_json::to_value(item).unwrap_or(Value::Null)
}

impl BulkClient<'_> {
    /// Sends `items` to `endpoint` in chunks of `max_per_call` (default: the
    /// endpoint's limit; a larger value is refused), decoding each outcome as
    /// `O`. `path_params` fill the path template's `{name}`s in order.
    ///
    /// This is the engine under the typed helpers; use it directly with
    /// `O = serde_json::Value` to work on raw outcomes.
    pub async fn send<I, O>(
        &self,
        endpoint: BulkEndpoint,
        path_params: &[&str],
        items: Vec<I>,
        max_per_call: Option<usize>,
    ) -> BulkRun<I, O::Success>
    where
        I: Serialize,
        O: BulkOutcome + DeserializeOwned,
        O::Success: DeserializeOwned,
    {
        let limit = endpoint.max_items();
        let chunk = max_per_call.unwrap_or(limit);
        if chunk > limit {
            return Err(BulkInterrupted {
                error: Error::InvalidInput {
                    what: "bulk chunk size",
                    detail: format!(
                        "{chunk} items per call exceeds the limit of {limit} for {} {}",
                        endpoint.route().0,
                        endpoint.route().1
                    ),
                },
                completed: BulkOutcomes::new(),
                in_failed_chunk: 0,
                remaining: items,
            });
        }
        let url = match self.url(endpoint, path_params) {
            Ok(url) => url,
            Err(error) => {
                return Err(BulkInterrupted {
                    error,
                    completed: BulkOutcomes::new(),
                    in_failed_chunk: 0,
                    remaining: items,
                })
            }
        };
        let method = Method::from_bytes(endpoint.route().0.as_bytes()).unwrap_or(Method::POST);
        send_chunked(items, chunk, |slice: &[I]| {
            // Build everything the call needs before returning the future, so
            // it does not borrow the chunk.
            let body = body_for(endpoint.body_shape(), slice);
            let confirmed: Option<Vec<Value>> =
                endpoint.answers_without_outcomes().then(|| slice.iter().map(sent_id).collect());
            let client = self.client.clone();
            let method = method.clone();
            let url = url.clone();
            async move {
                let body = body?;
                let raw = client.send_raw(method, url, Some(&body), endpoint.operation_id()).await?;
                if raw.body.iter().all(u8::is_ascii_whitespace) {
                    if let Some(ids) = confirmed {
                        // 204: the whole chunk succeeded. Decode each sent id
                        // as the success type (the agent id).
                        let mut outcomes = BulkOutcomes::new();
                        for id in ids {
                            let value = serde_json::from_value::<O::Success>(id).map_err(|e| Error::Decode {
                                status: Some(raw.status),
                                path: "agentIds[]".to_owned(),
                                message: e.to_string(),
                                body: raw.body.clone(),
                            })?;
                            outcomes.push_success(value);
                        }
                        return Ok(outcomes);
                    }
                }
                let envelope: OutcomeEnvelope<O> = decode_page(raw.status, raw.body)?;
                Ok(BulkOutcomes::from_outcomes(envelope.data))
            }
        })
        .await
    }

    /// The endpoint's URL: its template's `{name}`s filled in order, each
    /// value encoded by [`dixa_client::path::encode_segment`] (the rule of
    /// the generated client), so an id can never change the path's shape.
    fn url(&self, endpoint: BulkEndpoint, path_params: &[&str]) -> Result<Url, Error> {
        let template: &'static str = endpoint.route().1;
        let mut params = path_params.iter();
        let mut url = self.client.base_url().clone();
        let mut path = url.path().trim_end_matches('/').to_owned();
        for segment in template.trim_start_matches('/').split('/') {
            path.push('/');
            match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => {
                    let value = params.next().copied().unwrap_or("");
                    path.push_str(&dixa_client::path::encode_segment(name, value)?);
                }
                None => path.push_str(segment),
            }
        }
        // Already encoded, with no dot segments left for the parser to resolve.
        url.set_path(&path);
        Ok(url)
    }

    /// `PATCH /v1/agents`: patches agents/admins, [`UNDOCUMENTED_CHUNK`] per call.
    pub async fn patch_agents(
        &self,
        items: Vec<types::BulkPatchAgentInput>,
    ) -> BulkRun<types::BulkPatchAgentInput, types::Agent> {
        self.send::<_, types::BulkActionOutcomeBulkErrorAgent>(BulkEndpoint::PatchAgents, &[], items, None).await
    }

    /// `PUT /v1/agents`: updates agents/admins, [`UNDOCUMENTED_CHUNK`] per call.
    pub async fn update_agents(
        &self,
        items: Vec<types::BulkUpdateAgentInput>,
    ) -> BulkRun<types::BulkUpdateAgentInput, types::Agent> {
        self.send::<_, types::BulkActionOutcomeBulkErrorAgent>(BulkEndpoint::UpdateAgents, &[], items, None).await
    }

    /// `POST /v1/agents/bulk`: creates agents, [`UNDOCUMENTED_CHUNK`] per call.
    /// Not retried on 5xx (POST): a failed call is reported, never replayed.
    pub async fn create_agents(
        &self,
        items: Vec<types::CreateAgentInput>,
    ) -> BulkRun<types::CreateAgentInput, types::Agent> {
        self.send::<_, types::BulkActionOutcomeBulkErrorAgent>(BulkEndpoint::CreateAgents, &[], items, None).await
    }

    /// `PATCH /v1/endusers`: patches end users, [`UNDOCUMENTED_CHUNK`] per call.
    pub async fn patch_end_users(
        &self,
        items: Vec<types::BulkPatchEndUserInput>,
    ) -> BulkRun<types::BulkPatchEndUserInput, types::EndUser> {
        self.send::<_, types::BulkActionOutcomeBulkErrorEndUser>(BulkEndpoint::PatchEndUsers, &[], items, None).await
    }

    /// `PUT /v1/endusers`: updates end users, [`UNDOCUMENTED_CHUNK`] per call.
    pub async fn update_end_users(
        &self,
        items: Vec<types::BulkUpdateEndUserInput>,
    ) -> BulkRun<types::BulkUpdateEndUserInput, types::EndUser> {
        self.send::<_, types::BulkActionOutcomeBulkErrorEndUser>(BulkEndpoint::UpdateEndUsers, &[], items, None).await
    }

    /// `POST /v1/endusers/bulk`: creates end users, [`UNDOCUMENTED_CHUNK`] per call.
    pub async fn create_end_users(
        &self,
        items: Vec<types::CreateEndUserInput>,
    ) -> BulkRun<types::CreateEndUserInput, types::EndUser> {
        self.send::<_, types::BulkActionOutcomeBulkErrorEndUser>(BulkEndpoint::CreateEndUsers, &[], items, None).await
    }

    /// `POST /v1/conversations/{conversationId}/notes/bulk`: creates internal
    /// notes in one conversation, [`UNDOCUMENTED_CHUNK`] per call.
    pub async fn create_notes(
        &self,
        conversation_id: impl std::fmt::Display,
        items: Vec<types::CreateInternalNoteInput>,
    ) -> BulkRun<types::CreateInternalNoteInput, types::InternalNoteData> {
        let id = conversation_id.to_string();
        self.send::<_, types::BulkActionOutcomeErrorResponseInternalNoteData>(
            BulkEndpoint::CreateNotes,
            &[&id],
            items,
            None,
        )
        .await
    }

    /// `PATCH /v1/queues/{queueId}/members`: assigns agents/admins to a
    /// queue, 10 per call. Each success is the agent id.
    pub async fn add_queue_members(&self, queue_id: &str, agent_ids: Vec<Uuid>) -> BulkRun<Uuid, Uuid> {
        self.send::<_, types::BulkActionOutcomeBulkErrorUuid>(
            BulkEndpoint::AddQueueMembers,
            &[queue_id],
            agent_ids,
            None,
        )
        .await
    }

    /// `DELETE /v1/queues/{queueId}/members`: removes agents/admins from a
    /// queue, 10 per call (documented). Dixa answers `204` without per-item
    /// outcomes, so every id of a successful call counts as removed (if a
    /// deployment answers with outcomes, they are used instead).
    pub async fn remove_queue_members(&self, queue_id: &str, agent_ids: Vec<Uuid>) -> BulkRun<Uuid, Uuid> {
        self.send::<_, types::BulkActionOutcomeBulkErrorUuid>(
            BulkEndpoint::RemoveQueueMembers,
            &[queue_id],
            agent_ids,
            None,
        )
        .await
    }
}

impl BulkClient<'_> {
    /// `PATCH /v1/teams/{teamId}/agents`: adds agents/admins to a team,
    /// [`UNDOCUMENTED_CHUNK`] per call. Dixa answers `204`; every id of a
    /// successful call counts as added.
    pub async fn add_team_members(&self, team_id: &str, agent_ids: Vec<Uuid>) -> BulkRun<Uuid, Uuid> {
        self.send::<_, types::BulkActionOutcomeBulkErrorUuid>(BulkEndpoint::AddTeamMembers, &[team_id], agent_ids, None)
            .await
    }

    /// `DELETE /v1/teams/{teamId}/agents`: removes agents/admins from a team,
    /// [`UNDOCUMENTED_CHUNK`] per call. Dixa answers `204`; every id of a
    /// successful call counts as removed.
    pub async fn remove_team_members(&self, team_id: &str, agent_ids: Vec<Uuid>) -> BulkRun<Uuid, Uuid> {
        self.send::<_, types::BulkActionOutcomeBulkErrorUuid>(
            BulkEndpoint::RemoveTeamMembers,
            &[team_id],
            agent_ids,
            None,
        )
        .await
    }
}

/// A bulk response body.
#[derive(serde::Deserialize)]
struct OutcomeEnvelope<O> {
    // Required: `{}` is a decode error, not "0 outcomes" (then checked
    // against the items sent by `send_chunked`).
    data: Vec<O>,
}

/// Serializes one chunk into the endpoint's body shape.
fn body_for<I: Serialize>(shape: BodyShape, items: &[I]) -> Result<Value, Error> {
    let array = serde_json::to_value(items).map_err(|e| Error::InvalidInput {
        what: "bulk items",
        detail: format!("could not be serialized to JSON: {e}"),
    })?;
    Ok(match shape {
        BodyShape::Array => array,
        BodyShape::Data => serde_json::json!({ "data": array }),
        BodyShape::AgentIds => serde_json::json!({ "agentIds": array }),
    })
}
