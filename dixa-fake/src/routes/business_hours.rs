//! `/v1/business-hours/schedules...`: two seed schedules and whether each is
//! open at a given time.

use axum::extract::Path;
use axum::response::Response;
use http::Uri;
use serde_json::json;

use super::ok_data;
use crate::data::rfc3339;
use crate::error::ApiError;

/// (id, name, opening hour, closing hour) in UTC, Monday to Friday.
const SCHEDULES: [(&str, &str, i64, i64); 2] =
    [("bh-support", "Support desk (Mon-Fri 08-17 UTC)", 8, 17), ("bh-billing", "Billing (Mon-Fri 09-15 UTC)", 9, 15)];

/// `GET /v1/business-hours/schedules`.
pub(crate) async fn schedules() -> Response {
    let list: Vec<_> = SCHEDULES.iter().map(|(id, name, ..)| json!({ "id": id, "name": name })).collect();
    ok_data(json!({ "schedules": list }))
}

/// `GET /v1/business-hours/schedules/{scheduleId}/status?timestamp=`:
/// open or closed at `timestamp` (RFC 3339; now when absent), with the
/// next change.
pub(crate) async fn status(Path(id): Path<String>, uri: Uri) -> Result<Response, ApiError> {
    let (_, _, open, close) =
        SCHEDULES.iter().find(|s| s.0 == id).copied().ok_or_else(|| ApiError::not_found("Schedule", &id))?;
    let at = match form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()).find(|(k, _)| k == "timestamp") {
        Some((_, v)) => {
            parse_rfc3339(&v).ok_or_else(|| ApiError::bad_request("Invalid value for: query parameter timestamp"))?
        }
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or_default(),
    };
    let is_open = |t: i64| {
        let weekday = (t.div_euclid(86_400) + 3).rem_euclid(7); // 0 = Monday (1970-01-01 was a Thursday)
        let hour = t.rem_euclid(86_400) / 3600;
        weekday < 5 && (open..close).contains(&hour)
    };
    let now_open = is_open(at);
    // The next change: the first whole hour after `at` whose state differs.
    let mut next = at - at.rem_euclid(3600) + 3600;
    while is_open(next) == now_open {
        next += 3600;
    }
    let mut data = json!({ "isOpen": now_open, "timestamp": rfc3339(at) });
    data[if now_open { "closesAt" } else { "opensAt" }] = json!(rfc3339(next));
    Ok(ok_data(data))
}

/// Seconds since the epoch of `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`.
fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> { s.get(r)?.parse().ok() };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (y, m, d, hh, mm, ss) = (num(0..4)?, num(5..7)?, num(8..10)?, num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        rest = &frac[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6 && (rest.starts_with('+') || rest.starts_with('-')) && &rest[3..4] == ":" => {
            let h: i64 = rest[1..3].parse().ok()?;
            let mi: i64 = rest[4..6].parse().ok()?;
            let sign = if rest.starts_with('-') { -1 } else { 1 };
            sign * (h * 3600 + mi * 60)
        }
        _ => return None,
    };
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss - offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_parses_with_fractions_and_offsets_and_rejects_garbage() {
        assert_eq!(parse_rfc3339("2024-01-01T00:00:00Z"), Some(1_704_067_200));
        assert_eq!(parse_rfc3339("2024-01-01T01:00:00.250+01:00"), Some(1_704_067_200));
        assert_eq!(rfc3339(parse_rfc3339("2024-02-29T12:34:56Z").unwrap()), "2024-02-29T12:34:56Z");
        for bad in ["2024-13-01T00:00:00Z", "yesterday", "2024-01-01 00:00:00Z", "2024-01-01T00:00:00"] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }
}
