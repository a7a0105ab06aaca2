//! The typed error of recovery, and the line-oriented view of a rendering.

use std::path::{Path, PathBuf};

/// Why the spec could not be recovered from the renderings.
///
/// Every variant names the rendering (and, where there is one, the 1-based
/// line) so that a maintainer who updates a file in `spec/sources/` can go
/// straight to the spot the recovery did not understand.
#[derive(Debug, thiserror::Error)]
pub enum RecoverError {
    /// A rendering could not be read from disk.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file that failed.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A line did not have the shape the rendering uses everywhere else.
    #[error("{file}:{line}: {what}")]
    Parse {
        /// The rendering's file name.
        file: String,
        /// 1-based line number.
        line: usize,
        /// What was expected and what was found.
        what: String,
    },
    /// A JSON block in a rendering did not parse.
    #[error("{file}:{line}: JSON block does not parse: {source}")]
    Json {
        /// The rendering's file name.
        file: String,
        /// 1-based line where the JSON block starts.
        line: usize,
        /// serde_json's complaint (its line is relative to the block).
        #[source]
        source: serde_json::Error,
    },
    /// Something the recovery needs is absent from a rendering.
    #[error("{file}: {what} not found")]
    Missing {
        /// The rendering's file name.
        file: String,
        /// What was looked for.
        what: String,
    },
    /// Two renderings (or a rendering and a recorded inference) contradict
    /// each other in a way recovery must not silently paper over.
    #[error("inconsistent renderings: {0}")]
    Inconsistent(String),
}

/// One rendering held as lines, so that every error can cite a line number.
pub(crate) struct Source {
    /// File name inside `spec/sources/`, used in errors.
    pub(crate) name: String,
    /// The lines, without their terminators.
    pub(crate) lines: Vec<String>,
}

impl Source {
    /// Reads `dir/name`.
    pub(crate) fn load(dir: &Path, name: &str) -> Result<Self, RecoverError> {
        let path = dir.join(name);
        let text = std::fs::read_to_string(&path).map_err(|source| RecoverError::Io { path: path.clone(), source })?;
        Ok(Self::from_text(name, &text))
    }

    /// Wraps text already in memory (used by tests with odd input).
    pub(crate) fn from_text(name: &str, text: &str) -> Self {
        Self { name: name.to_string(), lines: text.lines().map(str::to_string).collect() }
    }

    /// The line at 0-based `idx`, or "" past the end (callers then report
    /// what they expected instead of indexing out of bounds).
    pub(crate) fn line(&self, idx: usize) -> &str {
        self.lines.get(idx).map(String::as_str).unwrap_or("")
    }

    /// A parse error at 0-based line `idx`.
    pub(crate) fn err(&self, idx: usize, what: impl Into<String>) -> RecoverError {
        RecoverError::Parse { file: self.name.clone(), line: idx + 1, what: what.into() }
    }

    /// A "not found" error for this file.
    pub(crate) fn missing(&self, what: impl Into<String>) -> RecoverError {
        RecoverError::Missing { file: self.name.clone(), what: what.into() }
    }

    /// Parses the JSON value that starts on 0-based line `start` (which
    /// must begin with `{` or `[`) and returns it with the index of the line
    /// after it. `strip_bullets` removes the `•` markers Redoc draws in front
    /// of object members and array items.
    pub(crate) fn json_block(
        &self,
        start: usize,
        strip_bullets: bool,
    ) -> Result<(serde_json::Value, usize), RecoverError> {
        let first = self.line(start).trim_start();
        if !(first.starts_with('{') || first.starts_with('[')) {
            return Err(self.err(start, format!("expected a JSON block, found {first:?}")));
        }
        let mut depth: i64 = 0;
        let mut in_string = false;
        let mut escaped = false;
        let mut text = String::new();
        let mut idx = start;
        while idx < self.lines.len() {
            let raw = self.line(idx);
            let line = if strip_bullets { strip_bullet(raw) } else { raw.to_string() };
            for c in line.chars() {
                if in_string {
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        in_string = false;
                    }
                    continue;
                }
                match c {
                    '"' => in_string = true,
                    '{' | '[' => depth += 1,
                    '}' | ']' => depth -= 1,
                    _ => {}
                }
            }
            text.push_str(&line);
            text.push('\n');
            idx += 1;
            if depth <= 0 && !in_string {
                let value = serde_json::from_str(&text).map_err(|source| RecoverError::Json {
                    file: self.name.clone(),
                    line: start + 1,
                    source,
                })?;
                return Ok((value, idx));
            }
        }
        Err(self.err(start, "JSON block is not closed before the end of the file"))
    }
}

/// Removes Redoc's bullet (`•` and the space after it) at the start of a
/// line's content, keeping the indentation. Bullets inside string values are
/// left alone because only the first non-blank character is looked at.
fn strip_bullet(line: &str) -> String {
    let content = line.trim_start();
    let indent = &line[..line.len() - content.len()];
    match content.strip_prefix('•') {
        Some(rest) => format!("{indent}{}", rest.strip_prefix(' ').unwrap_or(rest)),
        None => line.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_block_handles_brackets_inside_strings() {
        let src = Source::from_text("t", "x\n{\n\"a\": \"}]{\",\n\"b\": [ ]\n}\ny");
        let (value, next) = src.json_block(1, false).expect("parses");
        assert_eq!(value, serde_json::json!({"a": "}]{", "b": []}));
        assert_eq!(next, 5);
    }

    #[test]
    fn json_block_strips_redoc_bullets() {
        let src = Source::from_text("t", "{\n  • \"a\": [\n    • \"• x\"\n    ]\n}");
        let (value, _) = src.json_block(0, true).expect("parses");
        assert_eq!(value, serde_json::json!({"a": ["• x"]}));
    }

    #[test]
    fn unclosed_or_invalid_json_is_an_error_with_a_line() {
        let src = Source::from_text("t", "a\n{\n\"a\": 1");
        let err = src.json_block(1, false).unwrap_err().to_string();
        assert!(err.starts_with("t:2:"), "{err}");
        let src = Source::from_text("t", "{\n\"a\" 1\n}");
        assert!(matches!(src.json_block(0, false), Err(RecoverError::Json { line: 1, .. })));
        assert!(src.json_block(5, false).is_err());
    }
}
