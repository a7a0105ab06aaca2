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
    raw: String,
    at: DateTime<FixedOffset>,
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
        Ok(Self { raw: s.to_string(), at })
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
        &self.raw
    }

    /// The value as RFC 3339, what [`Serialize`](serde::Serialize) and
    /// [`Display`](fmt::Display) write: the input itself when it was RFC
    /// 3339, else the input without its `[zone]` suffix, else (a zone id
    /// without an offset, `...581[UTC]`) the instant formatted with `Z`.
    pub fn to_rfc3339(&self) -> std::borrow::Cow<'_, str> {
        match self.raw.strip_suffix(']').and_then(|t| t.split_once('[')) {
            None => std::borrow::Cow::Borrowed(&self.raw),
            Some((base, _)) if DateTime::parse_from_rfc3339(base).is_ok() => std::borrow::Cow::Borrowed(base),
            Some(_) => std::borrow::Cow::Owned(self.at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
        }
    }

    /// The zone id suffix (`GMT` in `...Z[GMT]`), if the input had one.
    pub fn zone_id(&self) -> Option<&str> {
        self.raw.strip_suffix(']').and_then(|t| t.split_once('[')).map(|(_, z)| z)
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
        Self { raw: at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true), at }
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
        write!(f, "Timestamp({:?})", self.raw)
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
