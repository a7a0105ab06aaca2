//! Runtime support for the generated `_type` unions and open enums.
//!
//! The generated union enums call [`serialize`] and [`deserialize`]; they are
//! public only so generated code can reach them, and are not meant to be
//! called directly. [`UnknownVariant`] is what callers see when Dixa sends a
//! variant this client does not know.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, Visitor};
use serde::ser::{Serialize, Serializer};
use serde_json::{Map, Value};

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
/// Members before `_type` are buffered as JSON values (none when, as Dixa
/// does, `_type` comes first); the members after it stream straight into the
/// variant's struct, so nested errors keep their path for
/// `serde_path_to_error`. An unknown tag collects the whole object into an
/// [`UnknownVariant`] (open unions) or fails naming the known tags (closed).
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
        let mut before: Vec<(String, Value)> = Vec::new();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            if let Key::Other(name) = key {
                before.push((name, map.next_value()?));
                continue;
            }
            match map.next_value_seed(TagSeed(U::TAGS))? {
                Ok(tag) => {
                    let rest = Chained { before: before.into_iter(), pending: None, rest: map };
                    return U::from_variant(tag, de::value::MapAccessDeserializer::new(rest));
                }
                Err(tag) => {
                    let mut raw = Map::new();
                    for (k, v) in before {
                        raw.insert(k, v);
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
}

/// A member name of a union object: `_type`, or another one (kept, since it
/// must be buffered when it comes before `_type`). Matching `_type` on the
/// borrowed string avoids allocating in the common case where it is first.
enum Key {
    Type,
    Other(String),
}

struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Key, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for KeySeed {
    type Value = Key;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
        Ok(if v == "_type" { Key::Type } else { Key::Other(v.to_string()) })
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

/// The members buffered before `_type`, then the rest of the live map.
struct Chained<I, A> {
    before: I,
    /// The buffered member whose key was just handed out, and its value.
    pending: Option<(String, Value)>,
    rest: A,
}

impl<'de, I: Iterator<Item = (String, Value)>, A: MapAccess<'de>> MapAccess<'de> for Chained<I, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
        if let Some((key, value)) = self.before.next() {
            let out = seed.deserialize(IntoDeserializer::<A::Error>::into_deserializer(key.as_str())).map(Some);
            self.pending = Some((key, value));
            return out;
        }
        self.rest.next_key_seed(seed)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        match self.pending.take() {
            // A buffered member is decoded from a `Value`, out of sight of a
            // path-tracking deserializer wrapped around the whole document:
            // its path ends at this object. Track the path inside the member
            // here and put it in the message (`from.email: invalid type ...`).
            Some((key, value)) => {
                let mut track = serde_path_to_error::Track::new();
                seed.deserialize(serde_path_to_error::Deserializer::new(value, &mut track)).map_err(|e| {
                    let inner = track.path().to_string();
                    let at = if inner == "." {
                        key
                    } else if inner.starts_with('[') {
                        format!("{key}{inner}")
                    } else {
                        format!("{key}.{inner}")
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
