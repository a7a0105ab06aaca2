//! Path parameters as URL path segments: the one rule every URL this
//! workspace builds follows (the generated builders and the hand-written
//! pagination and bulk layers), so that a value can never change the shape
//! of the request path.
//!
//! Ids often come from data (a webhook, a CSV), so a value is treated as
//! hostile: every byte outside RFC 3986's unreserved set (`A-Z a-z 0-9 - . _
//! ~`) is percent-encoded, including `/`, `\`, `?`, `#`, `%`, spaces,
//! controls and the bytes of non-ASCII UTF-8. Encoding alone cannot make the
//! segments `.` and `..` safe: the WHATWG URL parser reqwest uses treats
//! `%2e`/`%2E` as a dot when it resolves dot segments, so `..` would still
//! climb one level. Those values, and the empty one (which would address the
//! collection instead of an item), are refused.

use std::fmt;

/// Why a path parameter was refused; see [`encode_segment`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PathParamProblem {
    /// The value is empty: the path would lose a segment.
    Empty,
    /// The value is `.` or `..`: URL resolution would remove the segment or
    /// climb to the parent path, encoded or not.
    DotSegment,
    /// The encoded value is longer than [`MAX_SEGMENT_LEN`]: no Dixa id is
    /// near it, and URIs past 64 KiB cannot even be built (proxies refuse
    /// request lines past about 8 KiB).
    TooLong,
}

/// The longest encoded segment [`encode_segment`] accepts, in bytes.
pub const MAX_SEGMENT_LEN: usize = 2048;

/// A path parameter value that would change the shape of the request path.
///
/// Display names the parameter and why it was refused; the value itself is
/// only quoted for the dot segments (it is then `.` or `..`, never data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathParamError {
    param: &'static str,
    problem: PathParamProblem,
    dots: &'static str,
}

impl PathParamError {
    /// The parameter that was refused, e.g. `"team_id"`.
    pub fn param(&self) -> &'static str {
        self.param
    }

    /// Why it was refused.
    pub fn problem(&self) -> PathParamProblem {
        self.problem
    }
}

impl fmt::Display for PathParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.problem {
            PathParamProblem::Empty => write!(
                f,
                "path parameter `{}` is empty; an empty segment would address a different resource",
                self.param
            ),
            PathParamProblem::DotSegment => write!(
                f,
                "path parameter `{}` is `{}`, a dot segment that URL resolution turns into another path \
                 (encoding does not prevent it); refused",
                self.param, self.dots
            ),
            PathParamProblem::TooLong => write!(
                f,
                "path parameter `{}` is longer than {MAX_SEGMENT_LEN} bytes once encoded; no Dixa id is that long",
                self.param
            ),
        }
    }
}

impl std::error::Error for PathParamError {}

/// `value` as one percent-encoded path segment, or an error naming `param`
/// when no encoding keeps it one segment (`""`, `"."`, `".."`) or it is
/// longer than [`MAX_SEGMENT_LEN`] once encoded.
///
/// ```
/// use dixa_client::path::encode_segment;
/// assert_eq!(encode_segment("team_id", "a/b?c").unwrap(), "a%2Fb%3Fc");
/// assert!(encode_segment("team_id", "..").is_err());
/// ```
pub fn encode_segment(param: &'static str, value: &str) -> Result<String, PathParamError> {
    let refuse = |problem, dots| Err(PathParamError { param, problem, dots });
    match value {
        "" => return refuse(PathParamProblem::Empty, ""),
        "." => return refuse(PathParamProblem::DotSegment, "."),
        ".." => return refuse(PathParamProblem::DotSegment, ".."),
        _ => {}
    }
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(value.len());
    for &byte in value.as_bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
    }
    if out.len() > MAX_SEGMENT_LEN {
        return refuse(PathParamProblem::TooLong, "");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_everything_outside_unreserved() {
        let table: &[(&str, &str)] = &[
            ("abc-DEF_012.~", "abc-DEF_012.~"),
            ("a/b", "a%2Fb"),
            ("a\\b", "a%5Cb"),
            ("..\\..\\agents", "..%5C..%5Cagents"),
            ("../agents", "..%2Fagents"),
            ("...", "..."),
            (".a", ".a"),
            ("%2e%2e", "%252e%252e"),
            ("%2E", "%252E"),
            ("?", "%3F"),
            ("#", "%23"),
            ("a b", "a%20b"),
            ("a+b", "a%2Bb"),
            ("a\tb", "a%09b"),
            ("a\nb", "a%0Ab"),
            ("a\rb", "a%0Db"),
            ("\0", "%00"),
            ("\u{7f}", "%7F"),
            ("ü", "%C3%BC"),
            ("日本", "%E6%97%A5%E6%9C%AC"),
            ("a;b=c&d", "a%3Bb%3Dc%26d"),
            ("@:", "%40%3A"),
        ];
        for (value, encoded) in table {
            assert_eq!(encode_segment("p", value).as_deref(), Ok(*encoded), "{value:?}");
        }
    }

    #[test]
    fn refuses_values_that_cannot_stay_one_segment() {
        let long = "x".repeat(100_000);
        let encoded_too_long = "/".repeat(MAX_SEGMENT_LEN / 3 + 1);
        let table: &[(&str, PathParamProblem)] = &[
            ("", PathParamProblem::Empty),
            (".", PathParamProblem::DotSegment),
            ("..", PathParamProblem::DotSegment),
            (&long, PathParamProblem::TooLong),
            (&encoded_too_long, PathParamProblem::TooLong),
        ];
        assert!(encode_segment("p", &"x".repeat(MAX_SEGMENT_LEN)).is_ok());
        for (value, problem) in table {
            let err = encode_segment("team_id", value).unwrap_err();
            assert_eq!(err.param(), "team_id");
            assert_eq!(err.problem(), *problem, "{value:?}");
            let text = err.to_string();
            assert!(text.contains("`team_id`"), "{text}");
        }
        assert!(encode_segment("x", "..").unwrap_err().to_string().contains("`..`"));
    }

    #[test]
    fn every_encoded_segment_parses_back_to_the_same_path() {
        // Whatever the value, the URL parser keeps exactly one segment.
        let long = "x".repeat(MAX_SEGMENT_LEN);
        for value in ["a/b", "..\\..\\x", "\\", "%2e%2e", "?", "#", "\t", "\n", "\0", "ü", long.as_str(), ". .", ".%"]
        {
            let segment = encode_segment("p", value).unwrap();
            let url = reqwest::Url::parse(&format!("https://h.invalid/v1/teams/{segment}/agents")).unwrap();
            let segments: Vec<&str> = url.path_segments().unwrap().collect();
            assert_eq!(segments.len(), 4, "{value:?} -> {}", url.path());
            assert_eq!(segments[2], segment, "{value:?}");
        }
    }
}
