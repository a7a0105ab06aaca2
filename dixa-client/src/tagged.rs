//! Runtime support for the generated `_type` unions and open enums.
//!
//! The generated union enums call [`serialize`] and [`deserialize`]; they are
//! public only so generated code can reach them, and are not meant to be
//! called directly. [`UnknownVariant`] is what callers see when Dixa sends a
//! variant this client does not know.

mod captured;

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::ser::{Serialize, Serializer};
use serde::Deserialize;
use serde_json::{Map, Value};

use captured::{Capture, Node, Replay};

/// A union variant this client does not know: Dixa added it after the client
/// was generated. Keeps the tag and the whole raw object (including `_type`),
/// and serializes back exactly that object.
#[derive(Clone, Debug, PartialEq)]
pub struct UnknownVariant {
    /// The `_type` value Dixa sent.
    pub tag: String,
    /// The whole JSON object as received, `_type` included.
    pub raw: Value,
}

/// Implemented by every generated `_type` union; used by [`deserialize`].
pub trait TaggedUnion: Sized {
    /// The union's schema name, for error messages.
    const NAME: &'static str;
    /// The wire tags this client knows.
    const TAGS: &'static [&'static str];
    /// Decodes the variant `tag` (one of [`Self::TAGS`]) from the object's
    /// other members.
    fn from_variant<'de, D: Deserializer<'de>>(tag: &str, deserializer: D) -> Result<Self, D::Error>;
    /// The value for an unknown tag: `Some` for unions that can arrive in a
    /// response (open), `None` for request-only (closed) unions.
    fn from_unknown(unknown: UnknownVariant) -> Option<Self>;
}

/// Serializes `value` (a struct or map) as an object whose first member is
/// `"_type": tag`.
pub fn serialize<S: Serializer, T: Serialize>(serializer: S, tag: &str, value: &T) -> Result<S::Ok, S::Error> {
    #[derive(serde::Serialize)]
    struct Tagged<'a, T> {
        #[serde(rename = "_type")]
        tag: &'a str,
        #[serde(flatten)]
        value: &'a T,
    }
    Tagged { tag, value }.serialize(serializer)
}

/// Deserializes a `_type` union by its tag, never by shape.
///
/// When `_type` comes first (as Dixa sends it), the members after it stream
/// straight into the variant's struct: no buffering, and a nested error
/// keeps its whole JSON path for `serde_path_to_error`. Members before
/// `_type` are captured in one flat arena whose strings borrow from the
/// input (no `serde_json::Value` tree; see the `captured` module) and replayed into
/// the struct once the tag is known; an error inside one names its path in
/// the message (`from.email: invalid type ...`), since the document's path
/// tracker cannot see into the replay. An unknown tag collects the whole
/// object into an [`UnknownVariant`] (open unions) or fails naming the known
/// tags (closed). A second `_type` after the first is ignored, like any
/// member the variant does not declare.
pub fn deserialize<'de, U: TaggedUnion, D: Deserializer<'de>>(deserializer: D) -> Result<U, D::Error> {
    deserializer.deserialize_map(UnionVisitor(PhantomData))
}

struct UnionVisitor<U>(PhantomData<U>);

impl<'de, U: TaggedUnion> Visitor<'de> for UnionVisitor<U> {
    type Value = U;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {} object with a `_type` member", U::NAME)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<U, A::Error> {
        // Members before `_type`, as key, value, key, value, ... nodes; an
        // arena is taken only when the first member is not `_type`.
        let mut before: Option<Vec<Node<'de>>> = None;
        let result = union_from_map::<U, A>(&mut map, &mut before);
        if let Some(arena) = before {
            captured::give_back(arena);
        }
        result
    }
}

/// Reads a union object's members up to `_type` (into the arena `before`,
/// taken on the first member that is not `_type`) and decodes the variant.
fn union_from_map<'de, U: TaggedUnion, A: MapAccess<'de>>(
    map: &mut A,
    before: &mut Option<Vec<Node<'de>>>,
) -> Result<U, A::Error> {
    while let Some(key) = map.next_key_seed(KeySeed)? {
        if let Key::Other(name) = key {
            let arena = before.get_or_insert_with(captured::take_arena);
            arena.push(Node::Str(name));
            map.next_value_seed(Capture(arena))?;
            continue;
        }
        let before: &[Node<'de>] = before.as_deref().unwrap_or(&[]);
        match map.next_value_seed(TagSeed(U::TAGS))? {
            Ok(tag) => {
                let failed = Cell::new(None);
                let rest = Chained { before, next: 0, pending: None, failed: &failed, rest: map };
                return U::from_variant(tag, de::value::MapAccessDeserializer::new(rest));
            }
            Err(tag) => {
                let mut raw = Map::new();
                let failed = Cell::new(None);
                let mut at = 0;
                while at < before.len() {
                    let value = at + 1;
                    if let Node::Str(name) = &before[at] {
                        raw.insert(
                            name.to_string(),
                            Value::deserialize(Replay::<A::Error>::new(before, value, &failed))?,
                        );
                    }
                    at = captured::end_of(before, value);
                }
                raw.insert("_type".to_string(), Value::String(tag.clone()));
                while let Some((k, v)) = map.next_entry::<String, Value>()? {
                    raw.insert(k, v);
                }
                return U::from_unknown(UnknownVariant { tag: tag.clone(), raw: Value::Object(raw) })
                    .ok_or_else(|| de::Error::unknown_variant(&tag, U::TAGS));
            }
        }
    }
    Err(de::Error::missing_field("_type"))
}

/// A member name of a union object: `_type`, or another one (kept, since it
/// must be captured when it comes before `_type`; borrowed from the input
/// when the deserializer lends it).
enum Key<'de> {
    Type,
    Other(Cow<'de, str>),
}

struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key<'de>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Key<'de>, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Key<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
        Ok(if v == "_type" { Key::Type } else { Key::Other(Cow::Borrowed(v)) })
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
        Ok(if v == "_type" { Key::Type } else { Key::Other(Cow::Owned(v.to_string())) })
    }
}

/// Reads the `_type` value: `Ok` with the known tag (no allocation), `Err`
/// with the unknown tag as sent.
struct TagSeed(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for TagSeed {
    type Value = Result<&'static str, String>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for TagSeed {
    type Value = Result<&'static str, String>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a `_type` string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(self.0.iter().find(|t| **t == v).copied().ok_or_else(|| v.to_string()))
    }
}

/// The members captured before `_type`, replayed, then the rest of the live
/// map.
struct Chained<'a, 'de, A> {
    before: &'a [Node<'de>],
    /// The index of the next captured key.
    next: usize,
    /// The captured member whose key was just handed out: (key, value index).
    pending: Option<(&'a str, usize)>,
    /// Where in `before` a replay failed (see [`captured::path_within`]).
    failed: &'a Cell<Option<usize>>,
    rest: A,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Chained<'_, 'de, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
        if self.next < self.before.len() {
            let key = self.next;
            let value = key + 1;
            self.next = captured::end_of(self.before, value);
            let name = match &self.before[key] {
                Node::Str(name) => name.as_ref(),
                _ => "",
            };
            self.pending = Some((name, value));
            return seed.deserialize(Replay::<A::Error>::new(self.before, key, self.failed)).map(Some);
        }
        self.rest.next_key_seed(seed)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        match self.pending.take() {
            // A captured member is replayed out of sight of a path-tracking
            // deserializer wrapped around the whole document: its path ends
            // at this object. The replay remembers where it failed; put the
            // rest of the path in the message (`from.email: invalid type ...`).
            Some((key, value)) => {
                self.failed.set(None);
                seed.deserialize(Replay::<A::Error>::new(self.before, value, self.failed)).map_err(|e| {
                    let inner = self.failed.get().map(|at| captured::path_within(self.before, value, at));
                    let at = match inner.as_deref() {
                        None | Some("") => key.to_string(),
                        Some(inner) if inner.starts_with('[') => format!("{key}{inner}"),
                        Some(inner) => format!("{key}.{inner}"),
                    };
                    de::Error::custom(format_args!("{at}: {e}"))
                })
            }
            None => self.rest.next_value_seed(seed),
        }
    }
}

/// Deserializes an open string enum: every string is accepted, unknown ones
/// become the enum's `Unknown(String)` through `From<&str>`.
pub fn deserialize_open_str<'de, T: for<'a> From<&'a str>, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<T, D::Error> {
    struct V<T>(PhantomData<T>);
    impl<T: for<'a> From<&'a str>> Visitor<'_> for V<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
            Ok(T::from(v))
        }
    }
    deserializer.deserialize_str(V(PhantomData))
}
