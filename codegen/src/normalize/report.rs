//! The human-readable normalization report.

use std::fmt;

/// What the passes changed, one line per change, in pass order.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    /// The lines, in the order the passes produced them.
    pub lines: Vec<ReportLine>,
}

/// One change made by one pass.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReportLine {
    /// The pass name (its module name).
    pub pass: &'static str,
    /// What was changed: `Schema`, `Schema.property` or `GET /v1/...`.
    pub subject: String,
    /// What the pass did.
    pub change: String,
}

impl Report {
    pub(crate) fn add(&mut self, pass: &'static str, subject: impl Into<String>, change: impl Into<String>) {
        self.lines.push(ReportLine { pass, subject: subject.into(), change: change.into() });
    }

    /// The lines of one pass.
    pub fn of_pass<'a>(&'a self, pass: &'a str) -> impl Iterator<Item = &'a ReportLine> + 'a {
        self.lines.iter().filter(move |l| l.pass == pass)
    }
}

impl fmt::Display for Report {
    /// One `[pass] subject: change` line per change, grouped by pass.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut last = "";
        for line in &self.lines {
            if line.pass != last {
                writeln!(f, "## {}", line.pass)?;
                last = line.pass;
            }
            writeln!(f, "{}: {}", line.subject, line.change)?;
        }
        Ok(())
    }
}
