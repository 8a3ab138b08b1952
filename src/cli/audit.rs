//! The flags of `harden audit`: which rules run, at which severity the audit
//! fails, the Pod Security level and version, the waiver file. Behaviour is
//! in [`crate::commands::audit`].

use std::path::PathBuf;

use super::AuditFormat;
use crate::audit::rules::{Family, Severity};

/// The flags of `harden audit`.
#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// Manifest files or directories (searched for .yaml, .yml and .json).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Report format.
    #[arg(long, value_enum, default_value_t = AuditFormat::Text)]
    pub format: AuditFormat,
    /// Lowest severity that makes the audit fail.
    #[arg(long, value_enum, default_value_t = Severity::Low)]
    pub fail_on: Severity,
    /// Lowest severity shown in the text report (display only: the exit
    /// status still follows --fail-on; JSON and SARIF keep everything).
    #[arg(long, value_enum, default_value_t = Severity::Low)]
    pub min_severity: Severity,
    /// Pod Security level [default: the namespace's enforce label, else restricted].
    #[arg(long, value_parser = ["baseline", "restricted"])]
    pub pss_level: Option<String>,
    /// Pod Security version, e.g. v1.30 [default: the namespace's label, else the newest known].
    #[arg(long, value_name = "VERSION")]
    pub pss_version: Option<String>,
    /// Run only these rule families.
    #[arg(long, value_enum, value_delimiter = ',')]
    pub only: Vec<Family>,
    /// Run only this rule (repeatable), e.g. --rule control/image-latest.
    #[arg(long = "rule", value_name = "ID")]
    pub rules: Vec<String>,
    /// Do not run this rule (repeatable).
    #[arg(long = "skip-rule", value_name = "ID")]
    pub skip_rules: Vec<String>,
    /// Waiver file [default: harden-waivers.yaml at the repository root, when present].
    #[arg(long, value_name = "FILE")]
    pub waivers: Option<PathBuf>,
    /// Show waived findings in the text report.
    #[arg(long)]
    pub show_waived: bool,
    /// Refuse every `harden.dev/waive` annotation: only the waiver file waives.
    #[arg(long)]
    pub no_annotation_waivers: bool,
}
