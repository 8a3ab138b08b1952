//! Problems found in a user's spec, and how they are shown.
//!
//! Every problem names the field path, the bad value and the fix; the file,
//! line and column are attached when the spec is reported, so that the same
//! problem reads the same whether it comes from `validate`, `render` or the
//! wizard (which has no file).

use std::fmt;

use crate::yaml::{Locations, Position};

/// One problem in a spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Field path in the spec, e.g. `egress[1].cidr`; empty for the document.
    pub path: String,
    /// What is wrong, quoting the bad value.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
}

impl Problem {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            path: path.into(),
            message: message.into(),
            help: None,
        }
    }

    pub fn help(mut self, help: impl Into<String>) -> Problem {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)?;
        } else {
            write!(f, "{}: {}", self.path, self.message)?;
        }
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

/// All the problems of one spec file, ready to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecReport {
    pub file: String,
    pub problems: Vec<(Option<Position>, Problem)>,
}

impl SpecReport {
    pub fn new(file: &str, problems: Vec<Problem>, locations: &Locations) -> SpecReport {
        let mut problems: Vec<_> = problems
            .into_iter()
            .map(|problem| (locations.find(&problem.path), problem))
            .collect();
        // File order reads best; problems without a position come last.
        problems.sort_by_key(|(position, _)| match position {
            Some(p) => (0, p.line, p.column),
            None => (1, 0, 0),
        });
        SpecReport {
            file: file.to_string(),
            problems,
        }
    }
}

/// The most problems printed for one spec; the rest are counted.
pub const MAX_SHOWN_PROBLEMS: usize = 50;

impl fmt::Display for SpecReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (position, problem) in self.problems.iter().take(MAX_SHOWN_PROBLEMS) {
            match position {
                Some(position) => writeln!(f, "error: {}:{position}: {problem}", self.file)?,
                None => writeln!(f, "error: {}: {problem}", self.file)?,
            }
        }
        let count = self.problems.len();
        if count > MAX_SHOWN_PROBLEMS {
            writeln!(
                f,
                "error: {}: … and {} more problems",
                self.file,
                count - MAX_SHOWN_PROBLEMS
            )?;
        }
        write!(
            f,
            "{}: {count} problem{} found",
            self.file,
            if count == 1 { "" } else { "s" }
        )
    }
}
