//! [`PageCursor`]: where a listing stands, serializable, to resume it elsewhere.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::links::page_key_of;

/// Where a paginated listing stands: enough to continue it in another process.
///
/// Holds the operation, the link to fetch (as the server sent it, or the
/// first request's root-relative link), the body for operations that re-post
/// one, and how many items of that page were already handed out. It holds no
/// credentials; the `pageKey` in it is Dixa's opaque cursor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageCursor {
    pub(super) operation_id: String,
    pub(super) link: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) body: Option<Value>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub(super) skip: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl PageCursor {
    /// The operationId this cursor belongs to.
    pub fn operation_id(&self) -> &str {
        &self.operation_id
    }

    /// The link the next fetch follows (root-relative or absolute).
    pub fn link(&self) -> &str {
        &self.link
    }

    /// The body re-posted with the link (analytics records only).
    pub fn body(&self) -> Option<&Value> {
        self.body.as_ref()
    }

    /// How many items at the start of that page were already handed out and
    /// are skipped on resume.
    pub fn skip(&self) -> usize {
        self.skip
    }

    /// The link's `pageKey`, if it has one (none for a first page).
    pub fn page_key(&self) -> Option<String> {
        page_key_of(&self.link)
    }
}

impl fmt::Display for PageCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}", self.operation_id, self.link)?;
        if self.skip > 0 {
            write!(f, " (skipping {} items)", self.skip)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_through_json() {
        let cursor = PageCursor {
            operation_id: "get_records_data".into(),
            link: "/v1/analytics/records?pageKey=k".into(),
            body: Some(serde_json::json!({"id": "closed_conversations"})),
            skip: 3,
        };
        let text = serde_json::to_string(&cursor).unwrap();
        let back: PageCursor = serde_json::from_str(&text).unwrap();
        assert_eq!(back, cursor);
        assert_eq!(back.page_key().as_deref(), Some("k"));
        // Optional parts are omitted, and read back as absent.
        let plain: PageCursor = serde_json::from_str(r#"{"operation_id":"list_agents","link":"/v1/agents"}"#).unwrap();
        assert_eq!((plain.body(), plain.skip()), (None, 0));
    }
}
