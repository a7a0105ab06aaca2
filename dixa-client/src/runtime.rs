//! What the generated call builders need from whoever sends requests.
//!
//! Every operation has a generated builder in [`crate::builder`] (one struct
//! per operation, typed setters, `send()`), generic over a [`Runtime`]: the
//! builder turns its parameters into a [`Request`] (path segments encoded by
//! [`crate::path::encode_segment`], query pairs, JSON body) and hands it to
//! [`Runtime::execute`], which sends it and decodes the success body.
//! `dixa-client-ext`'s `DixaClient` is the runtime users get: auth, rate
//! limiting, retries, timeouts and tracing, with its own error type. This
//! crate stays free of any transport, so the builders are plain data plus one
//! call.
//!
//! Paginated and bulk operations are marked by rule at generation time: their
//! builders also implement [`Paginated`] and [`Bulk`], which the runtime
//! layer turns into streams and chunked calls on the same builder.

use std::future::Future;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::path::PathParamError;
use crate::{OperationMeta, UnknownVariant};

/// One request of an operation, as the generated builder describes it.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Request {
    /// The operation (method, path template, paginated, bulk limit).
    pub operation: &'static OperationMeta,
    /// The path, starting with `/v1/`, every parameter already encoded as
    /// one segment.
    pub path: String,
    /// Query pairs in parameter order, unencoded.
    pub query: Vec<(&'static str, String)>,
    /// The JSON body, if the operation has one and it was set.
    pub body: Option<serde_json::Value>,
    /// A raw body instead of JSON (operations whose body is bytes, e.g. a
    /// multipart form), with its content type.
    pub raw_body: Option<RawBody>,
}

/// A request body sent as bytes, not JSON.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RawBody {
    /// The `Content-Type` to send: `multipart/form-data; boundary=...` when
    /// the bytes are a [`crate::multipart::Form`], else
    /// `application/octet-stream`.
    pub content_type: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

impl RawBody {
    /// `bytes` with the content type read from them (see [`RawBody::content_type`]).
    pub fn new(bytes: Vec<u8>) -> Self {
        let content_type =
            crate::multipart::content_type_of(&bytes).unwrap_or_else(|| "application/octet-stream".to_owned());
        Self { content_type, bytes }
    }
}

impl std::fmt::Debug for RawBody {
    /// The content type and the length: bodies may be large or personal.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawBody").field("content_type", &self.content_type).field("len", &self.bytes.len()).finish()
    }
}

impl Request {
    /// A request for `operation` (used by the generated builders).
    pub fn new(
        operation: &'static OperationMeta,
        path: String,
        query: Vec<(&'static str, String)>,
        body: Option<serde_json::Value>,
    ) -> Self {
        Self { operation, path, query, body, raw_body: None }
    }

    /// The same request with `raw` as its body (used by the generated
    /// builders of operations whose body is bytes).
    pub fn with_raw_body(mut self, raw: Option<RawBody>) -> Self {
        self.raw_body = raw;
        self
    }
}

/// Why a builder could not describe its request; nothing was sent.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// A required parameter (or body) was not set; names it as in the spec.
    #[error("required parameter `{0}` is not set")]
    Missing(&'static str),
    /// A path parameter would change the shape of the path.
    #[error(transparent)]
    PathParam(#[from] PathParamError),
    /// The body could not be serialized to JSON.
    #[error("the request body could not be serialized to JSON: {0}")]
    Body(String),
}

/// Serializes a body (used by the generated builders).
pub fn to_json<T: Serialize + ?Sized>(body: &T) -> Result<serde_json::Value, RequestError> {
    serde_json::to_value(body).map_err(|e| RequestError::Body(e.to_string()))
}

/// Serializes the items of one bulk chunk into the operation's body shape:
/// the array itself, or an object whose only member `key` holds it.
pub fn bulk_body<T: Serialize>(key: Option<&str>, items: &[T]) -> Result<serde_json::Value, RequestError> {
    let array = to_json(items)?;
    Ok(match key {
        Some(key) => {
            let mut object = serde_json::Map::with_capacity(1);
            object.insert(key.to_owned(), array);
            serde_json::Value::Object(object)
        }
        None => array,
    })
}

/// A decoded success answer with its status and headers.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Response<T> {
    /// The HTTP status (a success).
    pub status: http::StatusCode,
    /// The response headers, as the server sent them.
    pub headers: http::HeaderMap,
    /// The decoded body (the whole body, envelope included).
    pub value: T,
}

impl<T> Response<T> {
    /// A response (used by runtimes).
    pub fn new(status: http::StatusCode, headers: http::HeaderMap, value: T) -> Self {
        Self { status, headers, value }
    }

    /// The decoded body.
    pub fn into_value(self) -> T {
        self.value
    }
}

/// Sends the requests of the generated builders.
///
/// Implemented by `dixa_client_ext::DixaClient`; tests may implement it to
/// look at requests without a network.
pub trait Runtime: Sync {
    /// What a call fails with; a [`RequestError`] converts into it.
    type Error: From<RequestError> + Send;

    /// Sends `request` and decodes its success body as `T` (an empty body
    /// reads as JSON `null`, which is what `()` decodes from).
    fn execute<T: DeserializeOwned + Send + 'static>(
        &self,
        request: Request,
    ) -> impl Future<Output = Result<Response<T>, Self::Error>> + Send;
}

/// The conversion of a setter of a request type's builder
/// (`types::builder::X`): `value` converted, or the message saying which
/// field `field` it was for. One generic body for every setter.
#[doc(hidden)]
pub fn convert<T, U>(value: T, field: &str) -> Result<U, String>
where
    T: TryInto<U>,
    T::Error: std::fmt::Display,
{
    value.try_into().map_err(|e| format!("error converting supplied value for {field}: {e}"))
}

/// A builder's `send()`: executes `request` (or fails with why it could not
/// be made, sending nothing), decodes the answer as `B` and turns it into
/// the resource with `into` (the envelope's `data`, or the body itself).
///
/// One generic body for every operation: with an `async fn send` per
/// builder, the compiler built and checked a state machine per operation,
/// the largest part of this crate's build time.
pub fn send<'a, C, B, T>(
    client: &'a C,
    request: Result<Request, RequestError>,
    into: fn(B) -> T,
) -> impl Future<Output = Result<T, C::Error>> + Send + 'a
where
    C: Runtime,
    B: DeserializeOwned + Send + 'static,
    T: 'a,
{
    async move { Ok(into(client.execute::<B>(request?).await?.value)) }
}

/// A builder's `send_with_response()`: [`send`], returning the whole
/// decoded answer with its status and headers.
pub fn send_with_response<'a, C, B>(
    client: &'a C,
    request: Result<Request, RequestError>,
) -> impl Future<Output = Result<Response<B>, C::Error>> + Send + 'a
where
    C: Runtime,
    B: DeserializeOwned + Send + 'static,
{
    async move { client.execute::<B>(request?).await }
}

/// A decoded page of a paginated operation: its items and `meta.next`.
pub trait PageBody: DeserializeOwned + Send + 'static {
    /// One element of `data`.
    type Item: Send + 'static;

    /// The page's items and its next link, if any.
    fn into_parts(self) -> (Vec<Self::Item>, Option<String>);
}

/// A builder of an operation the spec marks as paginated (it takes a
/// `pageKey` or answers with `meta.next`); generated for each such
/// operation.
pub trait Paginated {
    /// The runtime the builder was made on.
    type Runtime: Runtime;
    /// The page body.
    type Page: PageBody;

    /// The runtime the builder was made on.
    fn runtime(&self) -> &Self::Runtime;

    /// The first page's request, with every parameter set on the builder.
    fn first_request(&self) -> Result<Request, RequestError>;
}

/// Where a bulk operation's per-call item limit comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LimitSource {
    /// Stated in the spec; the text says where.
    Documented(&'static str),
    /// The operation takes the same input schema as one with a documented
    /// limit; the text says which. Applied because exceeding it fails the
    /// whole call, while staying under it costs only an extra request.
    Inferred(&'static str),
    /// No limit is documented: a conservative default so that one call never
    /// carries an unbounded payload.
    ProjectDefault,
}

/// A bulk operation's per-call item limit and where it comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct BulkLimit {
    /// Maximum items per call.
    pub max_items: usize,
    /// Where that number comes from.
    pub source: LimitSource,
}

impl BulkLimit {
    /// A limit (used by the generated operation table).
    pub const fn new(max_items: usize, source: LimitSource) -> Self {
        Self { max_items, source }
    }
}

/// What one item of a bulk call came to, as the wire said it.
#[derive(Clone, Debug)]
pub enum BulkItemOutcome<S, F> {
    /// `BulkActionSuccess`, with its `data`.
    Success(S),
    /// `BulkActionFailure`, with its `error`.
    Failure(F),
    /// An outcome this client does not know, kept whole.
    Unknown(UnknownVariant),
}

/// A builder of a bulk operation (its body is one list of items); generated
/// for each such operation, with its limit in [`OperationMeta::bulk`].
pub trait Bulk {
    /// The runtime the builder was made on.
    type Runtime: Runtime;
    /// One input item.
    type Item: Serialize + Clone + Send + 'static;
    /// The decoded answer of one call.
    type Answer: DeserializeOwned + Send + 'static;
    /// What a succeeded item carries (the item itself when the operation
    /// answers `204` without per-item outcomes).
    type Success: Send + 'static;
    /// What a failed item carries.
    type Failure: Serialize + Send + 'static;

    /// The runtime the builder was made on.
    fn runtime(&self) -> &Self::Runtime;

    /// The operation's per-call limit.
    fn limit(&self) -> BulkLimit;

    /// The request for one chunk of items (the builder's other parameters
    /// as set; any body set on the builder is replaced by the chunk).
    fn chunk_request(&self, items: &[Self::Item]) -> Result<Request, RequestError>;

    /// The per-item outcomes of one call that sent `sent`.
    fn outcomes(answer: Self::Answer, sent: &[Self::Item]) -> Vec<BulkItemOutcome<Self::Success, Self::Failure>>;
}

/// The failure type of bulk operations that answer without per-item
/// outcomes (`204`): no item can fail on its own, so it has no values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoFailure {}

impl Serialize for NoFailure {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        match *self {}
    }
}
