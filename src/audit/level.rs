//! Pod Security levels and Kubernetes minor versions, as the audit's
//! options, the namespace labels and the checks name them.

/// A Pod Security level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Baseline,
    Restricted,
}

impl Level {
    pub fn parse(text: &str) -> Option<Level> {
        match text {
            "baseline" => Some(Level::Baseline),
            "restricted" => Some(Level::Restricted),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        }
    }
}

/// A Kubernetes minor version, `1.N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(pub u32);

impl Version {
    /// Parses `v1.30` or `1.30`.
    pub fn parse(text: &str) -> Option<Version> {
        let minor = text.strip_prefix('v').unwrap_or(text).strip_prefix("1.")?;
        minor.parse().ok().map(Version)
    }

    pub fn newest() -> Version {
        Version(crate::model::NEWEST_PSS_MINOR)
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "v1.{}", self.0)
    }
}
