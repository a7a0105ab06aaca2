//! Chunking: a list of items sent in calls of at most the operation's limit,
//! one after another, outcomes merged in input order.

use std::fmt;
use std::future::Future;

use dixa_client::runtime::{Bulk, Runtime};

use super::{BulkOutcomes, LimitSource};
use crate::client::DixaClient;
use crate::error::Error;

/// The result of a chunked bulk run: merged outcomes, or where it stopped.
pub type BulkRun<I, T> = std::result::Result<BulkOutcomes<T>, BulkInterrupted<I, T>>;

/// Chunked, typed-outcome calls for the builder of every bulk operation;
/// see [`crate::bulk`].
///
/// Implemented for every generated builder that implements [`Bulk`] on a
/// [`DixaClient`]; bring it in with `use dixa_client_ext::prelude::*`.
pub trait SendChunked: Bulk<Runtime = DixaClient> + Sized + Send + Sync {
    /// Sends `items` in chunks of the operation's limit ([`Bulk::limit`]).
    fn send_chunked(self, items: Vec<Self::Item>) -> impl Future<Output = BulkRun<Self::Item, Self::Success>> + Send {
        let max = self.limit().max_items;
        self.send_chunked_by(items, max)
    }

    /// Sends `items` in chunks of at most `max_per_call` (for a limit Dixa
    /// told you about). Above a documented or inferred limit, or 0, it is
    /// refused with [`Error::InvalidInput`] before anything is sent; the
    /// project default for undocumented limits may be raised.
    fn send_chunked_by(
        self,
        items: Vec<Self::Item>,
        max_per_call: usize,
    ) -> impl Future<Output = BulkRun<Self::Item, Self::Success>> + Send {
        async move {
            let limit = self.limit();
            if max_per_call > limit.max_items && limit.source != LimitSource::ProjectDefault {
                return Err(BulkInterrupted {
                    error: Error::InvalidInput {
                        what: "bulk chunk size",
                        detail: format!(
                            "{max_per_call} items per call is above this operation's limit of {} ({:?})",
                            limit.max_items, limit.source
                        ),
                    },
                    completed: BulkOutcomes::new(),
                    in_failed_chunk: 0,
                    remaining: items,
                });
            }
            let builder = &self;
            send_chunked(items, max_per_call, move |chunk: &[Self::Item]| {
                let request = builder.chunk_request(chunk);
                let sent = chunk.to_vec();
                let client = builder.runtime();
                async move {
                    let answer = client.execute::<Self::Answer>(request?).await?.into_value();
                    Ok(BulkOutcomes::from_outcomes(Self::outcomes(answer, &sent)))
                }
            })
            .await
        }
    }
}

impl<B: Bulk<Runtime = DixaClient> + Send + Sync> SendChunked for B {}

/// A chunked bulk run stopped by an error that is not a per-item outcome
/// (transport, timeout, an API error for the whole call, ...).
///
/// Nothing is lost: the outcomes of the chunks that completed, the error, and
/// the items not known to have been applied are all here, so the caller can
/// report, fix and resume.
#[derive(Debug)]
#[non_exhaustive]
pub struct BulkInterrupted<I, T> {
    /// Why the run stopped.
    pub error: Error,
    /// Merged outcomes of the chunks that completed before the error, and
    /// for [`Error::BulkOutcomeMismatch`] also the outcomes the failing call
    /// did return (which of its items they belong to is unknown).
    pub completed: BulkOutcomes<T>,
    /// The failing chunk's items followed by the never-sent ones, in input
    /// order. The first `in_failed_chunk` of them were sent in the failing
    /// call; whether Dixa applied them is unknown when the error is a timeout
    /// or a lost connection.
    pub remaining: Vec<I>,
    /// How many of `remaining` were in the call that failed.
    pub in_failed_chunk: usize,
}

impl<I, T> fmt::Display for BulkInterrupted<I, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "bulk run stopped after {} outcomes ({} failed) with {} items left \
             ({} of them in the failing call): {}",
            self.completed.len(),
            self.completed.failure_count(),
            self.remaining.len(),
            self.in_failed_chunk,
            self.error
        )
    }
}

impl<I: fmt::Debug, T: fmt::Debug> std::error::Error for BulkInterrupted<I, T> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// Sends `items` in chunks of at most `max_per_call`, one chunk after
/// another, and merges the outcomes in input order.
///
/// `send` gets one chunk as a slice and returns the future of its call; the
/// future must not borrow the slice (build the request body before
/// returning it), which lets the items of a failing chunk be handed back in
/// [`BulkInterrupted::remaining`] without cloning them.
///
/// Chunks are sequential on purpose: bulk calls mutate data, so a failing
/// call must stop the run before later chunks are sent, and the client's rate
/// limiter already paces the calls. A `max_per_call` of 0 is refused with
/// [`Error::InvalidInput`] before anything is sent.
pub async fn send_chunked<I, T, F, Fut>(
    mut items: Vec<I>,
    max_per_call: usize,
    mut send: F,
) -> Result<BulkOutcomes<T>, BulkInterrupted<I, T>>
where
    F: FnMut(&[I]) -> Fut,
    Fut: Future<Output = Result<BulkOutcomes<T>, Error>>,
{
    if max_per_call == 0 {
        return Err(BulkInterrupted {
            error: Error::InvalidInput {
                what: "bulk chunk size",
                detail: "it must be at least 1 item per call".to_owned(),
            },
            completed: BulkOutcomes::new(),
            in_failed_chunk: 0,
            remaining: items,
        });
    }
    let mut merged = BulkOutcomes::new();
    let mut start = 0;
    while start < items.len() {
        let end = items.len().min(start + max_per_call);
        let call = send(&items[start..end]);
        match call.await {
            // One outcome per item sent, or the outcomes cannot be matched
            // to items: keep what came back, stop, and say so.
            Ok(outcomes) if outcomes.len() != end - start => {
                let received = outcomes.len();
                merged.merge(outcomes);
                return Err(BulkInterrupted {
                    error: Error::BulkOutcomeMismatch { sent: end - start, received },
                    completed: merged,
                    in_failed_chunk: end - start,
                    remaining: items.drain(start..).collect(),
                });
            }
            Ok(outcomes) => merged.merge(outcomes),
            Err(error) => {
                return Err(BulkInterrupted {
                    error,
                    completed: merged,
                    in_failed_chunk: end - start,
                    remaining: items.drain(start..).collect(),
                });
            }
        }
        start = end;
    }
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    #[test]
    fn documented_limits_say_where_they_come_from() {
        let limit = |method: &str, path: &str| {
            dixa_client::OPERATIONS.iter().find(|op| op.method == method && op.path == path).and_then(|op| op.bulk)
        };
        let remove = limit("DELETE", "/v1/queues/{queueId}/members").unwrap();
        assert_eq!(remove.max_items, 10);
        assert!(matches!(remove.source, LimitSource::Documented(s) if s.contains("Up to 10")), "{remove:?}");
        let add = limit("PATCH", "/v1/queues/{queueId}/members").unwrap();
        assert_eq!(add.max_items, 10);
        assert!(matches!(add.source, LimitSource::Inferred(s) if s.contains("DELETE")), "{add:?}");
        let create = limit("POST", "/v1/agents/bulk").unwrap();
        assert_eq!((create.max_items, create.source), (100, LimitSource::ProjectDefault));
        assert_eq!(limit("GET", "/v1/agents"), None);
    }

    fn ok_chunk(chunk: &[u32]) -> BulkOutcomes<Value> {
        BulkOutcomes::from_outcomes(chunk.iter().map(|n| {
            if n % 4 == 0 {
                json!({"_type": "BulkActionFailure", "error": {"_type": "NotFound", "id": n.to_string(), "message": "no"}})
            } else {
                json!({"_type": "BulkActionSuccess", "data": n})
            }
        }))
    }

    #[tokio::test]
    async fn chunks_are_sent_in_order_and_merged() {
        let mut calls = Vec::new();
        let merged = send_chunked((1..=25).collect::<Vec<u32>>(), 10, |chunk: &[u32]| {
            calls.push(chunk.to_vec());
            let out = ok_chunk(chunk);
            async move { Ok(out) }
        })
        .await
        .unwrap();
        assert_eq!(calls.iter().map(Vec::len).collect::<Vec<_>>(), [10, 10, 5]);
        assert_eq!(calls[2], [21, 22, 23, 24, 25]);
        assert_eq!(merged.len(), 25);
        assert_eq!(merged.failure_count(), 6); // 4, 8, ..., 24
        let ids: Vec<_> = merged.failures().iter().map(|f| (f.index, f.id.clone().unwrap())).collect();
        assert_eq!(ids[5], (23, "24".to_owned()));
    }

    #[tokio::test]
    async fn a_failing_chunk_stops_the_run_and_hands_back_what_is_left() {
        let mut sent = 0;
        let err = send_chunked((1..=25).collect::<Vec<u32>>(), 10, |chunk: &[u32]| {
            sent += 1;
            let out = if sent == 2 {
                Err(Error::InvalidInput { what: "test", detail: "boom".into() })
            } else {
                Ok(ok_chunk(chunk))
            };
            async move { out }
        })
        .await
        .unwrap_err();
        assert_eq!(sent, 2, "no chunk is sent after a failing one");
        assert_eq!(err.completed.len(), 10);
        assert_eq!(err.in_failed_chunk, 10);
        assert_eq!(err.remaining, (11..=25).collect::<Vec<u32>>());
        assert!(err.to_string().contains("15 items left"), "{err}");
    }

    #[tokio::test]
    async fn a_zero_chunk_size_sends_nothing() {
        let err = send_chunked(vec![1u32, 2], 0, |_: &[u32]| async { Ok::<_, Error>(BulkOutcomes::<Value>::new()) })
            .await
            .unwrap_err();
        assert!(matches!(err.error, Error::InvalidInput { .. }));
        assert_eq!(err.remaining, [1, 2]);
    }
}
