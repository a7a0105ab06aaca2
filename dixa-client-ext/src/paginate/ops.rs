//! One request type per paginated operation of the spec.
//!
//! Each type is named after the operation, takes the operation's required
//! parameters in `new(...)` and its optional ones as builder methods named
//! after the query parameter in snake_case, and is streamed with
//! [`DixaClient::paginate`](crate::client::DixaClient::paginate):
//!
//! | operation | request type | item |
//! |---|---|---|
//! | `GET /v1/agents` | [`ListAgents`] | `Agent` |
//! | `GET /v1/analytics/filter/{filterAttribute}` | [`ListFilterValues`] | `FilterValue` |
//! | `GET /v1/analytics/metrics` | [`ListMetrics`] | `MetricMetadata` |
//! | `GET /v1/analytics/records` | [`ListRecords`] | `MetricRecordMetadata` |
//! | `POST /v1/analytics/records` | [`GetRecordsData`] | `MetricRecord` |
//! | `GET /v1/conversations/activitylog` | [`ListActivityLog`] | `ActivityLogEntry` |
//! | `GET /v1/endusers` | [`ListEndUsers`] | `EndUser` |
//! | `GET /v1/endusers/{userId}/conversations` | [`ListEndUserConversations`] | `Conversation` |
//! | `GET /v1/search/conversations` | [`SearchConversations`] | `ConversationSearchHit` |
//! | `GET /v1/teams/{teamId}/presence` | [`ListTeamPresence`] | `UserPresence` |
//! | `POST /v1/search/conversations` | [`SearchConversationsWithFilters`] | `ConversationSearchWithFiltersHit` |
//! | `GET /v1/knowledge/collections` | [`ListKnowledgeCollections`] | `Collection` |
//! | `GET /v1/templates` | [`ListTemplates`] | `Template` |
//!
//! The last three are TEMPORARY hand-written forms for operations of Dixa's
//! newer spec, until the generated pagination forms (issue 6) replace this
//! whole module.
//!
//! [`PAGINATED_OPERATIONS`] lists them for tooling; a test checks it against
//! the generated client's operation table so that a paginated operation added
//! to the spec cannot go without a stream.

use dixa_client::types;
use reqwest::Method;
use serde::Serialize;
use serde_json::Value;

use super::{FirstRequest, PaginatedRequest, PAGE_LIMIT};
use crate::error::{Error, Result};

pub use pages::*;

/// The page body types of the paginated operations: the generated `*Output`s.
mod pages {
    use super::super::PageEnvelope;
    use dixa_client::types;

    /// Implements [`PageEnvelope`] for a generated list output.
    macro_rules! envelope {
        ($($alias:ident = $output:ident => $item:ty),* $(,)?) => {$(
            impl PageEnvelope for types::$output {
                type Item = $item;
                fn into_parts(self) -> (Vec<$item>, Option<String>) {
                    (self.data, self.meta.and_then(|m| m.next))
                }
            }
            #[doc = concat!("Page body of a paginated operation: the generated `", stringify!($output), "`.")]
            pub type $alias = types::$output;
        )*};
    }

    envelope! {
        ListAgentsPage = ListAgentsOutput => types::Agent,
        ListFilterValuesPage = GetFilterValuesOutput => types::FilterValue,
        ListMetricsPage = GetMetricsOutput => types::MetricMetadata,
        ListRecordsPage = GetMetricRecordsOutput => types::MetricRecordMetadata,
        GetRecordsDataPage = GetMetricRecordsDataOutput => types::MetricRecord,
        ListActivityLogPage = ListActivityLogOutput => types::ActivityLogEntry,
        ListEndUsersPage = ListEndUsersOutput => types::EndUser,
        ListEndUserConversationsPage = ListEndUserConversationsOutput => types::Conversation,
        SearchConversationsPage = SearchOutput => types::ConversationSearchHit,
        ListTeamPresencePage = ListPresenceOutput => types::UserPresence,
        SearchConversationsWithFiltersPage = SearchConversationsWithFiltersOutput => types::ConversationSearchWithFiltersHit,
        ListTemplatesPage = ListTemplatesOutput => types::Template,
    }

    /// Page body of `GET /v1/knowledge/collections`. The spec declares a
    /// `pageKey` parameter but no `meta` in the response, so there is no
    /// next link to follow: the stream ends after the first page.
    pub type ListKnowledgeCollectionsPage = types::ListKnowledgeCollectionsOutput;

    impl PageEnvelope for types::ListKnowledgeCollectionsOutput {
        type Item = types::Collection;
        fn into_parts(self) -> (Vec<types::Collection>, Option<String>) {
            (self.data, None)
        }
    }
}

/// A paginated operation as listed in [`PAGINATED_OPERATIONS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PaginatedOperation {
    /// The generated client's operation id (`dixa_client::OPERATIONS`), used for tracing.
    pub operation_id: &'static str,
    /// HTTP method, upper case.
    pub method: &'static str,
    /// Path template as in the spec.
    pub path: &'static str,
    /// The request type's name in this module.
    pub request_type: &'static str,
}

/// Declares the method and path of a request type and registers it.
macro_rules! paginated_ops {
    ($($ty:ident => ($method:literal, $path:literal)),* $(,)?) => {
        $(
            impl $ty {
                /// HTTP method of this operation.
                pub const METHOD: &'static str = $method;
                /// Path template of this operation, as in the spec.
                pub const PATH: &'static str = $path;
            }
        )*

        /// Every paginated operation of the spec and the request type that streams it.
        pub const PAGINATED_OPERATIONS: &[PaginatedOperation] = &[
            $(PaginatedOperation {
                operation_id: operation_id($method, $path),
                method: $method,
                path: $path,
                request_type: stringify!($ty),
            }),*
        ];
    };
}

paginated_ops! {
    ListAgents => ("GET", "/v1/agents"),
    ListFilterValues => ("GET", "/v1/analytics/filter/{filterAttribute}"),
    ListMetrics => ("GET", "/v1/analytics/metrics"),
    ListRecords => ("GET", "/v1/analytics/records"),
    GetRecordsData => ("POST", "/v1/analytics/records"),
    ListActivityLog => ("GET", "/v1/conversations/activitylog"),
    ListEndUsers => ("GET", "/v1/endusers"),
    ListEndUserConversations => ("GET", "/v1/endusers/{userId}/conversations"),
    SearchConversations => ("GET", "/v1/search/conversations"),
    ListTeamPresence => ("GET", "/v1/teams/{teamId}/presence"),
    SearchConversationsWithFilters => ("POST", "/v1/search/conversations"),
    ListKnowledgeCollections => ("GET", "/v1/knowledge/collections"),
    ListTemplates => ("GET", "/v1/templates"),
}

/// The generated client's operation id for `method` and `path`, looked up
/// in `dixa_client::OPERATIONS` at compile time: an operation missing from
/// the generated client (a renamed path, a wrong method) fails the build.
pub(crate) const fn operation_id(method: &str, path: &str) -> &'static str {
    const fn same(a: &str, b: &str) -> bool {
        let (a, b) = (a.as_bytes(), b.as_bytes());
        if a.len() != b.len() {
            return false;
        }
        let mut i = 0;
        while i < a.len() {
            if a[i] != b[i] {
                return false;
            }
            i += 1;
        }
        true
    }
    let ops = dixa_client::OPERATIONS;
    let mut i = 0;
    while i < ops.len() {
        if same(ops[i].method, method) && same(ops[i].path, path) {
            return ops[i].operation_id;
        }
        i += 1;
    }
    panic!("no such operation in dixa_client::OPERATIONS")
}

/// `pageLimit` as a query pair, refusing 0 before anything is sent.
fn page_limit_pair(limit: Option<u32>) -> Result<Option<(&'static str, String)>> {
    match limit {
        Some(0) => Err(Error::InvalidInput { what: "page limit", detail: "pageLimit must be at least 1".to_owned() }),
        Some(n) => Ok(Some((PAGE_LIMIT, n.to_string()))),
        None => Ok(None),
    }
}

/// Refuses an empty path parameter, which would change the path's meaning.
fn path_param<'a>(name: &'static str, value: &'a str) -> Result<&'a str> {
    if value.is_empty() {
        Err(Error::InvalidInput { what: "path parameter", detail: format!("`{name}` must not be empty") })
    } else {
        Ok(value)
    }
}

/// Builds the first request from a path (split on `/`; `{name}` segments
/// replaced by the given values) and optional query pairs.
fn first(
    method: Method,
    segments: &[&str],
    query: Vec<Option<(&'static str, String)>>,
    body: Option<Value>,
) -> Result<FirstRequest> {
    FirstRequest::new(method, segments.iter().copied(), query.into_iter().flatten(), body)
}

fn opt(name: &'static str, value: &Option<String>) -> Option<(&'static str, String)> {
    value.as_ref().map(|v| (name, v.clone()))
}

/// `GET /v1/agents`: all agents/admins, optionally filtered by email or
/// phone (mutually exclusive: Dixa answers 400 when both are given).
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct ListAgents {
    page_limit: Option<u32>,
    email: Option<String>,
    phone: Option<String>,
}

impl ListAgents {
    /// All agents.
    pub fn new() -> Self {
        Self::default()
    }
    /// Items per page (`pageLimit`, at least 1).
    pub fn page_limit(mut self, n: u32) -> Self {
        self.page_limit = Some(n);
        self
    }
    /// Only the agent with this email.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }
    /// Only the agent with this phone number.
    pub fn phone(mut self, phone: impl Into<String>) -> Self {
        self.phone = Some(phone.into());
        self
    }
}

impl PaginatedRequest for ListAgents {
    type Page = ListAgentsPage;
    const OPERATION_ID: &'static str = operation_id(Self::METHOD, Self::PATH);
    fn first_request(&self) -> Result<FirstRequest> {
        first(
            Method::GET,
            &["v1", "agents"],
            vec![page_limit_pair(self.page_limit)?, opt("email", &self.email), opt("phone", &self.phone)],
            None,
        )
    }
}

/// `GET /v1/analytics/filter/{filterAttribute}`: the values a filter attribute takes.
#[derive(Clone, Debug)]
#[must_use]
pub struct ListFilterValues {
    filter_attribute: String,
    page_limit: Option<u32>,
}

impl ListFilterValues {
    /// Values of `filter_attribute`.
    pub fn new(filter_attribute: impl Into<String>) -> Self {
        Self { filter_attribute: filter_attribute.into(), page_limit: None }
    }
    /// Items per page (`pageLimit`, at least 1).
    pub fn page_limit(mut self, n: u32) -> Self {
        self.page_limit = Some(n);
        self
    }
}

impl PaginatedRequest for ListFilterValues {
    type Page = ListFilterValuesPage;
    const OPERATION_ID: &'static str = operation_id(Self::METHOD, Self::PATH);
    fn first_request(&self) -> Result<FirstRequest> {
        let attr = path_param("filterAttribute", &self.filter_attribute)?;
        first(Method::GET, &["v1", "analytics", "filter", attr], vec![page_limit_pair(self.page_limit)?], None)
    }
}

/// `GET /v1/analytics/metrics`: the available metric ids.
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct ListMetrics {
    page_limit: Option<u32>,
}

impl ListMetrics {
    /// All metrics.
    pub fn new() -> Self {
        Self::default()
    }
    /// Items per page (`pageLimit`, at least 1).
    pub fn page_limit(mut self, n: u32) -> Self {
        self.page_limit = Some(n);
        self
    }
}

impl PaginatedRequest for ListMetrics {
    type Page = ListMetricsPage;
    const OPERATION_ID: &'static str = operation_id(Self::METHOD, Self::PATH);
    fn first_request(&self) -> Result<FirstRequest> {
        first(Method::GET, &["v1", "analytics", "metrics"], vec![page_limit_pair(self.page_limit)?], None)
    }
}

/// `GET /v1/analytics/records`: the available record ids.
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct ListRecords {
    page_limit: Option<u32>,
}

impl ListRecords {
    /// All records.
    pub fn new() -> Self {
        Self::default()
    }
    /// Items per page (`pageLimit`, at least 1).
    pub fn page_limit(mut self, n: u32) -> Self {
        self.page_limit = Some(n);
        self
    }
}

impl PaginatedRequest for ListRecords {
    type Page = ListRecordsPage;
    const OPERATION_ID: &'static str = operation_id(Self::METHOD, Self::PATH);
    fn first_request(&self) -> Result<FirstRequest> {
        first(Method::GET, &["v1", "analytics", "records"], vec![page_limit_pair(self.page_limit)?], None)
    }
}

/// `POST /v1/analytics/records`: unaggregated records of a metric.
///
/// Dixa pages this POST by re-posting the same body with `?pageKey=` from
/// `meta.next`; the stream does exactly that, and the body travels in the
/// [`PageCursor`](super::PageCursor) so a resumed export re-posts it too.
#[derive(Clone, Debug)]
#[must_use]
pub struct GetRecordsData {
    body: std::result::Result<Value, String>,
    page_limit: Option<u32>,
}

impl GetRecordsData {
    /// Records matching `body` (the spec's `GetMetricRecordsDataInput`: `id`,
    /// `periodFilter`, `timezone`, optional `filters`). A body that cannot be
    /// serialized to JSON is reported by the stream before anything is sent.
    pub fn new(body: &impl Serialize) -> Self {
        Self { body: serde_json::to_value(body).map_err(|e| e.to_string()), page_limit: None }
    }
    /// Items per page (`pageLimit`, at least 1).
    pub fn page_limit(mut self, n: u32) -> Self {
        self.page_limit = Some(n);
        self
    }
}

impl PaginatedRequest for GetRecordsData {
    type Page = GetRecordsDataPage;
    const OPERATION_ID: &'static str = operation_id(Self::METHOD, Self::PATH);
    fn first_request(&self) -> Result<FirstRequest> {
        let body =
            self.body.clone().map_err(|detail| Error::InvalidInput { what: "analytics records body", detail })?;
        first(Method::POST, &["v1", "analytics", "records"], vec![page_limit_pair(self.page_limit)?], Some(body))
    }
}

/// `GET /v1/conversations/activitylog`: the organization's activity log.
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct ListActivityLog {
    page_limit: Option<u32>,
    from_datetime: Option<String>,
    to_datetime: Option<String>,
}

impl ListActivityLog {
    /// The whole activity log.
    pub fn new() -> Self {
        Self::default()
    }
    /// Items per page (`pageLimit`, at least 1).
    pub fn page_limit(mut self, n: u32) -> Self {
        self.page_limit = Some(n);
        self
    }
    /// Entries from this instant (`fromDatetime`, ISO 8601, e.g. `2024-01-01T00:00:00Z`).
    pub fn from_datetime(mut self, at: impl Into<String>) -> Self {
        self.from_datetime = Some(at.into());
        self
    }
    /// Entries up to this instant (`toDatetime`, ISO 8601).
    pub fn to_datetime(mut self, at: impl Into<String>) -> Self {
        self.to_datetime = Some(at.into());
        self
    }
}

impl PaginatedRequest for ListActivityLog {
    type Page = ListActivityLogPage;
    const OPERATION_ID: &'static str = operation_id(Self::METHOD, Self::PATH);
    fn first_request(&self) -> Result<FirstRequest> {
        first(
            Method::GET,
            &["v1", "conversations", "activitylog"],
            vec![
                page_limit_pair(self.page_limit)?,
                opt("fromDatetime", &self.from_datetime),
                opt("toDatetime", &self.to_datetime),
            ],
            None,
        )
    }
}

/// `GET /v1/endusers`: all end users, optionally filtered by email, phone or
/// external id (mutually exclusive).
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct ListEndUsers {
    page_limit: Option<u32>,
    email: Option<String>,
    phone: Option<String>,
    external_id: Option<String>,
}

impl ListEndUsers {
    /// All end users.
    pub fn new() -> Self {
        Self::default()
    }
    /// Items per page (`pageLimit`, at least 1).
    pub fn page_limit(mut self, n: u32) -> Self {
        self.page_limit = Some(n);
        self
    }
    /// Only the end user with this email.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }
    /// Only the end user with this phone number.
    pub fn phone(mut self, phone: impl Into<String>) -> Self {
        self.phone = Some(phone.into());
        self
    }
    /// Only the end user with this external id.
    pub fn external_id(mut self, id: impl Into<String>) -> Self {
        self.external_id = Some(id.into());
        self
    }
}

impl PaginatedRequest for ListEndUsers {
    type Page = ListEndUsersPage;
    const OPERATION_ID: &'static str = operation_id(Self::METHOD, Self::PATH);
    fn first_request(&self) -> Result<FirstRequest> {
        first(
            Method::GET,
            &["v1", "endusers"],
            vec![
                page_limit_pair(self.page_limit)?,
                opt("email", &self.email),
                opt("phone", &self.phone),
                opt("externalId", &self.external_id),
            ],
            None,
        )
    }
}

/// `GET /v1/endusers/{userId}/conversations`: conversations an end user requested.
#[derive(Clone, Debug)]
#[must_use]
pub struct ListEndUserConversations {
    user_id: String,
    page_limit: Option<u32>,
}

impl ListEndUserConversations {
    /// Conversations of the end user `user_id`.
    pub fn new(user_id: impl Into<String>) -> Self {
        Self { user_id: user_id.into(), page_limit: None }
    }
    /// Items per page (`pageLimit`, at least 1).
    pub fn page_limit(mut self, n: u32) -> Self {
        self.page_limit = Some(n);
        self
    }
}

impl PaginatedRequest for ListEndUserConversations {
    type Page = ListEndUserConversationsPage;
    const OPERATION_ID: &'static str = operation_id(Self::METHOD, Self::PATH);
    fn first_request(&self) -> Result<FirstRequest> {
        let user = path_param("userId", &self.user_id)?;
        first(Method::GET, &["v1", "endusers", user, "conversations"], vec![page_limit_pair(self.page_limit)?], None)
    }
}

/// `GET /v1/search/conversations`: conversations containing a text.
#[derive(Clone, Debug)]
#[must_use]
pub struct SearchConversations {
    query: String,
    exact_match: Option<bool>,
    page_limit: Option<u32>,
}

impl SearchConversations {
    /// Conversations matching `query`.
    pub fn new(query: impl Into<String>) -> Self {
        Self { query: query.into(), exact_match: None, page_limit: None }
    }
    /// Only exact matches (`exactMatch`; Dixa's default is false).
    pub fn exact_match(mut self, exact: bool) -> Self {
        self.exact_match = Some(exact);
        self
    }
    /// Items per page (`pageLimit`, at least 1).
    pub fn page_limit(mut self, n: u32) -> Self {
        self.page_limit = Some(n);
        self
    }
}

impl PaginatedRequest for SearchConversations {
    type Page = SearchConversationsPage;
    const OPERATION_ID: &'static str = operation_id(Self::METHOD, Self::PATH);
    fn first_request(&self) -> Result<FirstRequest> {
        first(
            Method::GET,
            &["v1", "search", "conversations"],
            vec![
                page_limit_pair(self.page_limit)?,
                Some(("query", self.query.clone())),
                self.exact_match.map(|b| ("exactMatch", b.to_string())),
            ],
            None,
        )
    }
}

/// `GET /v1/teams/{teamId}/presence`: presence of every agent/admin in a team.
#[derive(Clone, Debug)]
#[must_use]
pub struct ListTeamPresence {
    team_id: String,
    page_limit: Option<u32>,
}

impl ListTeamPresence {
    /// Presence of the members of team `team_id`.
    pub fn new(team_id: impl Into<String>) -> Self {
        Self { team_id: team_id.into(), page_limit: None }
    }
    /// Items per page (`pageLimit`, at least 1).
    pub fn page_limit(mut self, n: u32) -> Self {
        self.page_limit = Some(n);
        self
    }
}

impl PaginatedRequest for ListTeamPresence {
    type Page = ListTeamPresencePage;
    const OPERATION_ID: &'static str = operation_id(Self::METHOD, Self::PATH);
    fn first_request(&self) -> Result<FirstRequest> {
        let team = path_param("teamId", &self.team_id)?;
        first(Method::GET, &["v1", "teams", team, "presence"], vec![page_limit_pair(self.page_limit)?], None)
    }
}

// ---- TEMPORARY until the generated pagination forms land (issue 6) ----

/// `POST /v1/search/conversations`: conversations matching structured
/// filters. Paged like the analytics records: the same body is re-posted
/// with `?pageKey=` from `meta.next`.
#[derive(Clone, Debug)]
#[must_use]
pub struct SearchConversationsWithFilters {
    body: std::result::Result<Value, String>,
    page_limit: Option<u32>,
}

impl SearchConversationsWithFilters {
    /// Conversations matching `body` (the spec's `SearchParametersInput`).
    pub fn new(body: &impl Serialize) -> Self {
        Self { body: serde_json::to_value(body).map_err(|e| e.to_string()), page_limit: None }
    }
    /// Items per page (`pageLimit`, at least 1).
    pub fn page_limit(mut self, n: u32) -> Self {
        self.page_limit = Some(n);
        self
    }
}

impl PaginatedRequest for SearchConversationsWithFilters {
    type Page = SearchConversationsWithFiltersPage;
    const OPERATION_ID: &'static str = operation_id(Self::METHOD, Self::PATH);
    fn first_request(&self) -> Result<FirstRequest> {
        let body = self.body.clone().map_err(|detail| Error::InvalidInput { what: "search filters body", detail })?;
        first(Method::POST, &["v1", "search", "conversations"], vec![page_limit_pair(self.page_limit)?], Some(body))
    }
}

/// `GET /v1/knowledge/collections`: the knowledge base's collections.
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct ListKnowledgeCollections {
    page_limit: Option<u32>,
}

impl ListKnowledgeCollections {
    /// All collections.
    pub fn new() -> Self {
        Self::default()
    }
    /// Items per page (`pageLimit`, at least 1).
    pub fn page_limit(mut self, n: u32) -> Self {
        self.page_limit = Some(n);
        self
    }
}

impl PaginatedRequest for ListKnowledgeCollections {
    type Page = ListKnowledgeCollectionsPage;
    const OPERATION_ID: &'static str = operation_id(Self::METHOD, Self::PATH);
    fn first_request(&self) -> Result<FirstRequest> {
        first(Method::GET, &["v1", "knowledge", "collections"], vec![page_limit_pair(self.page_limit)?], None)
    }
}

/// `GET /v1/templates`: message templates, optionally of one type.
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct ListTemplates {
    page_limit: Option<u32>,
    kind: Option<types::ListTemplatesType>,
}

impl ListTemplates {
    /// All templates.
    pub fn new() -> Self {
        Self::default()
    }
    /// Items per page (`pageLimit`, at least 1).
    pub fn page_limit(mut self, n: u32) -> Self {
        self.page_limit = Some(n);
        self
    }
    /// Only templates of this type (`type`).
    pub fn kind(mut self, kind: types::ListTemplatesType) -> Self {
        self.kind = Some(kind);
        self
    }
}

impl PaginatedRequest for ListTemplates {
    type Page = ListTemplatesPage;
    const OPERATION_ID: &'static str = operation_id(Self::METHOD, Self::PATH);
    fn first_request(&self) -> Result<FirstRequest> {
        first(
            Method::GET,
            &["v1", "templates"],
            vec![page_limit_pair(self.page_limit)?, self.kind.as_ref().map(|k| ("type", k.to_string()))],
            None,
        )
    }
}
