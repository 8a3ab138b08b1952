//! `harden audit`: judge manifests on disk, ours or anyone's, offline, so
//! code review and CI can gate on the ten controls and the Pod Security
//! Standards without a cluster; `render` runs the same audit on its own
//! output before writing anything.

pub mod cilium;
pub mod manifests;
pub mod pss;
pub mod pss_fixtures;
pub mod report;
pub mod rules;

use crate::model::Model;
use crate::render::GeneratedFile;
use manifests::Manifest;
use pss::{Level, Version};
use rules::{Family, Finding, PssChoice};

/// Audits rendered files as `render` is about to write them: Pod Security
/// restricted at the spec's pinned version and the ten controls. Findings
/// the spec declares on purpose (a granted Secrets permission, an image the
/// spec accepts pinned by tag) are not held against it.
pub fn self_check(model: &Model, files: &[GeneratedFile]) -> Result<Vec<Finding>, String> {
    let mut manifests = Vec::new();
    for file in files.iter().filter(|f| {
        f.name.ends_with(".yaml") && f.name != crate::platform::names::KUSTOMIZATION_FILE
    }) {
        manifests.extend(Manifest::parse_all(&file.name, &file.content)?);
    }
    let choice = PssChoice {
        level: Some(Level::Restricted),
        version: Version::parse(&model.pss_version),
    };
    let findings = rules::audit(
        &manifests,
        &[Family::Pss, Family::Controls, Family::Hardening],
        choice,
    );
    let declared = |finding: &Finding| match finding.rule {
        "control/rbac-secrets" => model.api_access.as_ref().is_some_and(|a| a.grants_secrets),
        "control/image-digest" => !model.workload.pinned_by_digest,
        _ => false,
    };
    Ok(findings.into_iter().filter(|f| !declared(f)).collect())
}
