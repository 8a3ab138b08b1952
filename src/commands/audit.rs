//! `harden audit`: read manifests, run the rules, print the report.

use std::io::Write;
use std::path::PathBuf;

use super::{AuditFormat, Status};
use crate::audit::pss::{Level, Version};
use crate::audit::rules::{self, Family, PssChoice, Severity};
use crate::audit::{manifests, report};

pub struct Options {
    pub format: AuditFormat,
    pub fail_on: Severity,
    pub pss_level: Option<String>,
    pub pss_version: Option<String>,
    pub only: Vec<Family>,
}

pub fn run(
    paths: &[PathBuf],
    options: &Options,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Status {
    let version = match options.pss_version.as_deref() {
        None => None,
        Some(text) => match Version::parse(text).filter(|v| {
            (crate::model::OLDEST_PSS_MINOR..=crate::model::NEWEST_PSS_MINOR).contains(&v.0)
        }) {
            Some(version) => Some(version),
            None => {
                let _ = writeln!(
                    stderr,
                    "error: --pss-version {text:?} is not a supported version; use v1.{} to v1.{}",
                    crate::model::OLDEST_PSS_MINOR,
                    crate::model::NEWEST_PSS_MINOR
                );
                return Status::Error;
            }
        },
    };
    let choice = PssChoice {
        level: options.pss_level.as_deref().and_then(Level::parse),
        version,
    };
    let manifests = match manifests::load(paths) {
        Ok(manifests) => manifests,
        Err(error) => {
            let _ = writeln!(stderr, "error: {error}");
            return Status::Error;
        }
    };
    let families = if options.only.is_empty() {
        vec![Family::Pss, Family::Controls, Family::Hardening]
    } else {
        options.only.clone()
    };
    let findings = rules::audit(&manifests, &families, choice);
    let files = manifests
        .iter()
        .map(|m| m.file.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let output = match options.format {
        AuditFormat::Text => report::text(&findings, files, manifests.len()),
        AuditFormat::Json => report::json(&findings, files, manifests.len()) + "\n",
        AuditFormat::Sarif => {
            serde_json::to_string_pretty(&report::sarif(&findings)).unwrap_or_default() + "\n"
        }
    };
    let _ = write!(stdout, "{output}");
    if findings.iter().any(|f| f.severity >= options.fail_on) {
        Status::Findings
    } else {
        Status::Clean
    }
}
