//! Deterministic synthetic data: ids, names, timestamps.
//!
//! Everything is a pure function of an entity kind and an index, so two fakes
//! built with the same sizes serve byte-identical data, and large collections
//! (100,000 end users) are generated on the fly instead of being stored.

/// The entity kinds whose ids the fake mints. The kind is embedded in the id so
/// that an id can be mapped back to its index without a lookup table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u16)]
pub(crate) enum Kind {
    Agent = 0x0a61,
    EndUser = 0x0e05,
    Tag = 0x7a90,
    Queue = 0x0c0e,
    Team = 0x7ea3,
    Message = 0x3e55,
    Org = 0x0061,
    CustomAttribute = 0x0ca7,
}

/// SplitMix64: a tiny, well-mixed hash so ids look random but are stable.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A version-4-shaped UUID for entity `index` of `kind`. The last 12 hex
/// digits carry the kind and the index, which [`parse_id`] reads back.
pub(crate) fn uuid(kind: Kind, index: u64) -> String {
    let h = mix(((kind as u64) << 48) ^ index ^ 0xD1CA_0000_0000_0000);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:x}{:03x}-{:04x}{:08x}",
        (h >> 32) as u32,
        (h >> 16) & 0xffff,
        h & 0xfff,
        8 | ((h >> 60) & 3),
        (h >> 40) & 0xfff,
        kind as u16,
        index as u32
    )
}

/// The index of an id minted by [`uuid`] for `kind`, if `id` is one.
pub(crate) fn parse_id(kind: Kind, id: &str) -> Option<u64> {
    if id.len() != 36 || !id.is_ascii() {
        return None;
    }
    let tail = &id[24..];
    let k = u16::from_str_radix(&tail[..4], 16).ok()?;
    if k != kind as u16 {
        return None;
    }
    let index = u64::from_str_radix(&tail[4..], 16).ok()?;
    (uuid(kind, index) == id).then_some(index)
}

/// True when `s` has the textual shape of a UUID (any version).
pub(crate) fn looks_like_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// 2024-01-01T00:00:00Z: the fake organization's epoch.
pub(crate) const EPOCH: i64 = 1_704_067_200;

/// Formats seconds since the Unix epoch as RFC 3339 in UTC (`...Z`).
pub(crate) fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, (rem % 3600) / 60, rem % 60)
}

/// Like [`rfc3339`] but with milliseconds and no zone, the shape of the
/// presence endpoints' `requestTime`/`lastSeen` in Dixa's own samples.
pub(crate) fn local_millis(secs: i64, millis: u32) -> String {
    let s = rfc3339(secs);
    format!("{}.{millis:03}", &s[..19])
}

/// Howard Hinnant's days-to-civil conversion (proleptic Gregorian).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

const FIRST: [&str; 24] = [
    "Alice", "Bjørn", "Carla", "David", "Emma", "Farid", "Greta", "Henrik", "Ingrid", "Jonas", "Karin", "Lars", "Maja",
    "Nils", "Olivia", "Peter", "Rasmus", "Sofie", "Tobias", "Ulla", "Victor", "Wilma", "Yusuf", "Zoe",
];
const LAST: [&str; 20] = [
    "Andersen",
    "Brown",
    "Christensen",
    "Dahl",
    "Eriksen",
    "Fischer",
    "García",
    "Hansen",
    "Iversen",
    "Jensen",
    "Kowalski",
    "Larsen",
    "Madsen",
    "Nielsen",
    "Olsen",
    "Pedersen",
    "Quist",
    "Rasmussen",
    "Schmidt",
    "Thomsen",
];

/// First and last name of person `index` in a population (`salt` separates
/// agents from end users so they do not share names in lockstep).
pub(crate) fn name(index: u64, salt: u64) -> (&'static str, &'static str) {
    let h = mix(index ^ (salt << 40));
    (FIRST[(h % FIRST.len() as u64) as usize], LAST[((h >> 20) % LAST.len() as u64) as usize])
}

/// Lower-cases a name and maps the Nordic/Spanish letters to ASCII, for
/// e-mail local parts.
pub(crate) fn ascii_lower(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'ø' | 'Ø' => 'o',
            'í' | 'Í' => 'i',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// A deterministic pseudo-random number for (`index`, `salt`).
pub(crate) fn pick(index: u64, salt: u64) -> u64 {
    mix(index.wrapping_mul(0x100_0193) ^ salt.rotate_left(17))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_are_kind_specific() {
        for i in [0, 1, 99_999, 4_000_000_000] {
            let id = uuid(Kind::EndUser, i);
            assert!(looks_like_uuid(&id), "{id}");
            assert_eq!(parse_id(Kind::EndUser, &id), Some(i));
            assert_eq!(parse_id(Kind::Agent, &id), None);
        }
        assert_ne!(uuid(Kind::Agent, 1), uuid(Kind::EndUser, 1));
        // A forged id with the right tail but the wrong hash is refused.
        let mut forged = uuid(Kind::Agent, 3);
        forged.replace_range(0..1, if forged.starts_with('0') { "1" } else { "0" });
        assert_eq!(parse_id(Kind::Agent, &forged), None);
    }

    #[test]
    fn timestamps_format_as_rfc3339() {
        assert_eq!(rfc3339(EPOCH), "2024-01-01T00:00:00Z");
        assert_eq!(rfc3339(EPOCH + 59 * 86_400 + 3_723), "2024-02-29T01:02:03Z");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(local_millis(EPOCH, 935), "2024-01-01T00:00:00.935");
    }
}
