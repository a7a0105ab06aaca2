//! [`StringOrTag`]: a name Dixa reads in two forms.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};

/// A name that Dixa's spec types as a string (`"PreviousWeek"`) but that the
/// spec's own examples, Dixa's CLI and its MCP server send as an object
/// (`{"_type": "PreviousWeek"}`), e.g. `Preset.value`.
///
/// Reads both forms; always sends the object form, the one Dixa's own tools
/// use (the better evidence of what the server accepts).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StringOrTag<T>(pub T);

impl<T> StringOrTag<T> {
    /// The name.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> From<T> for StringOrTag<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

impl<T: Serialize> Serialize for StringOrTag<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry("_type", &self.0)?;
        map.end()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for StringOrTag<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = StringOrTag<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a name as a string or as {\"_type\": name}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                T::deserialize(de::value::StrDeserializer::<E>::new(v)).map(StringOrTag)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut found = None;
                while let Some(key) = map.next_key::<String>()? {
                    if key == "_type" && found.is_none() {
                        found = Some(map.next_value::<T>()?);
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                found.map(StringOrTag).ok_or_else(|| de::Error::missing_field("_type"))
            }
        }
        deserializer.deserialize_any(V(PhantomData))
    }
}
