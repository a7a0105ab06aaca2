//! `multipart/form-data` bodies, for the operations progenitor cannot type.
//!
//! progenitor 0.15 does not generate multipart request bodies, so the
//! normalizer turns them into raw bodies (see [`crate::MULTIPART_OPERATIONS`]);
//! [`Form`] encodes one, and the generated builder gives such an operation's
//! request the `multipart/form-data; boundary=...` content type read back
//! from the body ([`crate::runtime::RawBody`]), so callers never write the
//! header themselves:
//!
//! ```
//! use dixa_client::multipart::Form;
//! let body = Form::new().file("files", "faq.pdf", "application/pdf", b"%PDF-1.7 ...".to_vec()).into_bytes();
//! // Then: `client.upload_attachments().body(body).send().await`.
//! assert!(body.starts_with(b"--dixa-rs-form-boundary-0\r\n"));
//! ```

/// A `multipart/form-data` body under construction (RFC 7578).
#[derive(Clone, Debug, Default)]
pub struct Form {
    parts: Vec<Part>,
}

#[derive(Clone, Debug)]
struct Part {
    name: String,
    filename: Option<String>,
    content_type: Option<String>,
    data: Vec<u8>,
}

impl Form {
    /// An empty form.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a text field.
    pub fn text(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.parts.push(Part {
            name: name.into(),
            filename: None,
            content_type: None,
            data: value.into().into_bytes(),
        });
        self
    }

    /// Adds a file field (repeat the name for several files in one field).
    pub fn file(
        mut self,
        name: impl Into<String>,
        filename: impl Into<String>,
        content_type: impl Into<String>,
        data: impl Into<Vec<u8>>,
    ) -> Self {
        self.parts.push(Part {
            name: name.into(),
            filename: Some(filename.into()),
            content_type: Some(content_type.into()),
            data: data.into(),
        });
        self
    }

    /// A boundary that occurs in no part (deterministic: the same form
    /// always encodes to the same bytes).
    fn boundary(&self) -> String {
        (0u64..)
            .map(|n| format!("dixa-rs-form-boundary-{n}"))
            .find(|b| !self.parts.iter().any(|p| contains(&p.data, b.as_bytes())))
            .expect("some counter value is absent from finite data")
    }

    /// The encoded body; it starts with `--{boundary}\r\n`, which the
    /// client hook reads to set the content type.
    pub fn into_bytes(self) -> Vec<u8> {
        let boundary = self.boundary();
        let mut out = Vec::new();
        for p in &self.parts {
            out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            let mut disposition = format!("Content-Disposition: form-data; name=\"{}\"", escape(&p.name));
            if let Some(f) = &p.filename {
                disposition.push_str(&format!("; filename=\"{}\"", escape(f)));
            }
            out.extend_from_slice(disposition.as_bytes());
            out.extend_from_slice(b"\r\n");
            if let Some(ct) = &p.content_type {
                // A header value cannot hold a line break; drop any.
                let ct: String = ct.chars().filter(|c| !c.is_control()).collect();
                out.extend_from_slice(format!("Content-Type: {ct}\r\n").as_bytes());
            }
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(&p.data);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        out
    }
}

/// Field names and file names are quoted strings: escape `"` and line
/// breaks as browsers do (WHATWG), so a name cannot end its header.
fn escape(s: &str) -> String {
    s.replace('"', "%22").replace('\r', "%0D").replace('\n', "%0A")
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The content type of a body [`Form::into_bytes`] wrote, read from its
/// first line; `None` when the body does not start with a boundary line.
pub(crate) fn content_type_of(body: &[u8]) -> Option<String> {
    let rest = body.strip_prefix(b"--")?;
    let end = rest.windows(2).position(|w| w == b"\r\n")?;
    let boundary = std::str::from_utf8(&rest[..end]).ok()?;
    // RFC 2046 boundary characters only: never copy arbitrary bytes into a header.
    let ok = !boundary.is_empty()
        && boundary.len() <= 70
        && boundary.bytes().all(|b| b.is_ascii_alphanumeric() || b"'()+_,-./:=?".contains(&b));
    ok.then(|| format!("multipart/form-data; boundary={boundary}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_encodes_fields_and_files_with_a_boundary_absent_from_the_data() {
        let body = Form::new()
            .text("note", "dixa-rs-form-boundary-0 appears here")
            .file("files", "a \"b\".txt", "text/plain", b"hello".to_vec())
            .into_bytes();
        let text = String::from_utf8(body.clone()).unwrap();
        let expected = "--dixa-rs-form-boundary-1\r\n\
            Content-Disposition: form-data; name=\"note\"\r\n\r\n\
            dixa-rs-form-boundary-0 appears here\r\n\
            --dixa-rs-form-boundary-1\r\n\
            Content-Disposition: form-data; name=\"files\"; filename=\"a %22b%22.txt\"\r\n\
            Content-Type: text/plain\r\n\r\n\
            hello\r\n\
            --dixa-rs-form-boundary-1--\r\n";
        assert_eq!(text, expected);
        assert_eq!(content_type_of(&body).as_deref(), Some("multipart/form-data; boundary=dixa-rs-form-boundary-1"));
    }

    #[test]
    fn a_raw_body_takes_the_content_type_only_from_a_boundary_line() {
        let form = crate::runtime::RawBody::new(Form::new().text("a", "b").into_bytes());
        assert_eq!(form.content_type, "multipart/form-data; boundary=dixa-rs-form-boundary-0");
        let other = crate::runtime::RawBody::new(b"--bad\nboundary\r\n".to_vec());
        assert_eq!(other.content_type, "application/octet-stream");
        assert_eq!(content_type_of(b"--bad\nboundary\r\n"), None);
        assert_eq!(content_type_of(b"{\"json\": 1}"), None);
        assert_eq!(content_type_of(b"--a b\r\n"), None, "a space is no boundary character");
    }
}
