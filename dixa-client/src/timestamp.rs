//! [`Timestamp`]: Dixa's timestamps, read leniently, written as RFC 3339.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};

/// A point in time as Dixa sent it.
///
/// Parses RFC 3339 (`2021-12-01T12:46:36.581Z`) and the zone-id form some
/// Dixa services send (`2021-12-01T12:46:36.581Z[GMT]`, Java's
/// `ZonedDateTime` format), which plain RFC 3339 parsers reject. Keeps the
/// string it was read from ([`Timestamp::as_str`]), but serializes and
/// displays RFC 3339 ([`Timestamp::to_rfc3339`]): the zone-id suffix is
/// dropped, because Dixa answers a request carrying `...Z[GMT]` with a 400,
/// so a value read from a response must be sendable in a request. An RFC
/// 3339 input is written back byte for byte. Equality, ordering and hashing
/// compare the instant, not the text.
#[derive(Clone)]
pub struct Timestamp {
    raw: Raw,
    at: DateTime<FixedOffset>,
}

/// Room for the text of a timestamp inside the value itself: every form
/// Dixa sends fits (`2024-01-11T00:00:00Z`, 20 bytes; with milliseconds and
/// a zone id, `2021-12-01T12:46:36.581Z[GMT]`, 29), so reading one costs no
/// allocation. A conversation holds four timestamps: as `String`s they were
/// half of its allocations when decoding a page.
const INLINE: usize = 30;

/// The text a [`Timestamp`] was read from (or formatted as): inline up to
/// [`INLINE`] bytes, else on the heap.
#[derive(Clone)]
enum Raw {
    Inline { len: u8, bytes: [u8; INLINE] },
    Heap(Box<str>),
}

impl Raw {
    fn new(s: &str) -> Raw {
        if s.len() <= INLINE {
            let mut bytes = [0; INLINE];
            bytes[..s.len()].copy_from_slice(s.as_bytes());
            Raw::Inline { len: s.len() as u8, bytes }
        } else {
            Raw::Heap(s.into())
        }
    }

    fn as_str(&self) -> &str {
        match self {
            // `bytes[..len]` is a copy of a whole `&str` (see `new`), so the
            // check always passes; it costs a few ns on at most 30 bytes and
            // keeps this crate free of `unsafe`.
            Raw::Inline { len, bytes } => std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default(),
            Raw::Heap(s) => s,
        }
    }
}

/// A string that is not a timestamp in any form [`Timestamp`] accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid timestamp {input:?}: expected RFC 3339, optionally followed by a zone id like `[GMT]`")]
pub struct TimestampError {
    /// The rejected input.
    pub input: String,
}

impl Timestamp {
    /// Parses `s` (see the type docs for the accepted forms).
    pub fn parse(s: &str) -> Result<Self, TimestampError> {
        let err = || TimestampError { input: s.to_string() };
        let (base, zone) = match s.strip_suffix(']').and_then(|t| t.split_once('[')) {
            Some((base, zone)) if !zone.is_empty() => (base, Some(zone)),
            Some(_) => return Err(err()),
            None => (s, None),
        };
        let at = match DateTime::parse_from_rfc3339(base) {
            Ok(at) => at,
            // `2021-12-01T12:46:36.581[UTC]`: no offset, but a zone id that
            // names UTC itself. Other zone ids would need a tz database.
            Err(_) if zone.is_some_and(is_utc_zone) => {
                let naive = NaiveDateTime::parse_from_str(base, "%Y-%m-%dT%H:%M:%S%.f").map_err(|_| err())?;
                Utc.from_utc_datetime(&naive).fixed_offset()
            }
            Err(_) => return Err(err()),
        };
        Ok(Self { raw: Raw::new(s), at })
    }

    /// The instant, with the offset Dixa sent.
    pub fn as_datetime(&self) -> DateTime<FixedOffset> {
        self.at
    }

    /// The instant in UTC.
    pub fn to_utc(&self) -> DateTime<Utc> {
        self.at.with_timezone(&Utc)
    }

    /// The exact string this value was read from (or formatted as).
    pub fn as_str(&self) -> &str {
        self.raw.as_str()
    }

    /// The value as RFC 3339, what [`Serialize`](serde::Serialize) and
    /// [`Display`](fmt::Display) write: the input itself when it was RFC
    /// 3339, else the input without its `[zone]` suffix, else (a zone id
    /// without an offset, `...581[UTC]`) the instant formatted with `Z`.
    pub fn to_rfc3339(&self) -> std::borrow::Cow<'_, str> {
        let raw = self.raw.as_str();
        match raw.strip_suffix(']').and_then(|t| t.split_once('[')) {
            None => std::borrow::Cow::Borrowed(raw),
            Some((base, _)) if DateTime::parse_from_rfc3339(base).is_ok() => std::borrow::Cow::Borrowed(base),
            Some(_) => std::borrow::Cow::Owned(self.at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
        }
    }

    /// The zone id suffix (`GMT` in `...Z[GMT]`), if the input had one.
    pub fn zone_id(&self) -> Option<&str> {
        self.raw.as_str().strip_suffix(']').and_then(|t| t.split_once('[')).map(|(_, z)| z)
    }
}

fn is_utc_zone(zone: &str) -> bool {
    matches!(zone, "GMT" | "UTC" | "Z" | "Etc/UTC" | "Etc/GMT" | "UCT" | "Zulu")
}

impl<Tz: TimeZone> From<DateTime<Tz>> for Timestamp {
    /// Formats as RFC 3339 with `Z` for UTC and only as many fractional
    /// digits as the value needs (the form Dixa documents).
    fn from(at: DateTime<Tz>) -> Self {
        let at = at.fixed_offset();
        Self { raw: Raw::new(&at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)), at }
    }
}

impl FromStr for Timestamp {
    type Err = TimestampError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 (see [`Timestamp::to_rfc3339`]); query parameters use it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({:?})", self.raw.as_str())
    }
}

impl PartialEq for Timestamp {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at
    }
}

impl Eq for Timestamp {}

impl PartialOrd for Timestamp {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Timestamp {
    fn cmp(&self, other: &Self) -> Ordering {
        self.at.cmp(&other.at)
    }
}

impl Hash for Timestamp {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.to_utc().hash(state);
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an RFC 3339 timestamp, optionally with a `[zone]` suffix")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Timestamp, E> {
                Timestamp::parse(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_is_kept_exactly_inline_or_on_the_heap() {
        for raw in [
            "2024-01-11T00:00:00Z",                         // 20 bytes: inline
            "2021-12-01T12:46:36.581Z[GMT]",                // 29: inline
            "2021-12-01T12:46:36.5810Z[GMT]",               // 30: the last inline length
            "2021-12-01T12:46:36.58100Z[GMT]",              // 31: heap
            "2021-12-01T12:46:36.581123456+02:00[Etc/UTC]", // heap
        ] {
            let t = Timestamp::parse(raw).unwrap_or_else(|e| panic!("{raw}: {e}"));
            assert_eq!(t.as_str(), raw);
            assert_eq!(matches!(t.raw, Raw::Inline { .. }), raw.len() <= INLINE, "{raw}");
            assert_eq!(t.clone().as_str(), raw);
            assert_eq!(format!("{t:?}"), format!("Timestamp({raw:?})"));
            assert_eq!(t.zone_id().is_some(), raw.ends_with(']'));
        }
        let long = DateTime::parse_from_rfc3339("2021-12-01T12:46:36.123456789+05:30").unwrap();
        let t = Timestamp::from(long);
        assert_eq!(t.as_str(), "2021-12-01T12:46:36.123456789+05:30");
        assert_eq!(t.as_datetime(), long);
    }
}
