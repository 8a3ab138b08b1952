//! The security impact of a change to sigstore `ClusterImagePolicy` objects
//! and the namespace label that opts a namespace in to the
//! policy-controller: a policy is a protection, so removing it widens.
//!
//! Widened: a policy removed (its images run unsigned), a namespace's
//! `policy.sigstore.dev/include: "true"` label removed, `mode: warn`, a glob
//! that matches more than one repository, a signer accepted that was not
//! (another issuer, a subject replaced by a `subjectRegExp`, a new key, a
//! `static` authority), a required attestation dropped. A subject replaced
//! by another subject of the same issuer is a change of signer, reported as
//! changed. Semantics: sigstore/policy-controller v0.15.1
//! `pkg/apis/policy/v1beta1/clusterimagepolicy_types.go` (authorities are
//! alternatives: an image passes with any one of them) and
//! `pkg/apis/glob/glob.go` (glob matching).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::{Direction, Impact};
use crate::objects::value::At;
use crate::platform::sigstore;

const AREA: &str = "image signature";

/// What one policy requires, reduced to comparable facts.
#[derive(Default)]
struct Policy {
    mode: String,
    globs: BTreeSet<String>,
    /// One line per accepted signer: `issuer X subject Y`,
    /// `issuer X subjectRegExp R`, `key ...`, `static pass`.
    signers: BTreeSet<String>,
    /// Required attestations' predicate types.
    attestations: BTreeSet<String>,
}

fn text(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::to_string)
}

fn policies(documents: &[Value]) -> BTreeMap<String, Policy> {
    let mut out = BTreeMap::new();
    for document in documents {
        if document.get("kind").and_then(Value::as_str) != Some(sigstore::POLICY_KIND) {
            continue;
        }
        let name = document
            .at("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let spec = &document["spec"];
        let mut policy = Policy {
            mode: text(spec, "mode").unwrap_or_else(|| sigstore::MODE_ENFORCE.into()),
            ..Policy::default()
        };
        for image in spec["images"].as_array().into_iter().flatten() {
            policy.globs.insert(text(image, "glob").unwrap_or_default());
        }
        for authority in spec["authorities"].as_array().into_iter().flatten() {
            signers(authority, &mut policy.signers);
            for attestation in authority["attestations"].as_array().into_iter().flatten() {
                policy
                    .attestations
                    .insert(text(attestation, "predicateType").unwrap_or_default());
            }
        }
        out.insert(name, policy);
    }
    out
}

fn signers(authority: &Value, out: &mut BTreeSet<String>) {
    if let Some(keyless) = authority.get("keyless") {
        for identity in keyless["identities"].as_array().into_iter().flatten() {
            let issuer = match (text(identity, "issuer"), text(identity, "issuerRegExp")) {
                (Some(issuer), _) => format!("issuer {issuer}"),
                (None, Some(regexp)) => format!("issuerRegExp {regexp}"),
                (None, None) => "any issuer".into(),
            };
            let subject = match (text(identity, "subject"), text(identity, "subjectRegExp")) {
                (Some(subject), _) => format!("subject {subject}"),
                (None, Some(regexp)) => format!("subjectRegExp {regexp}"),
                (None, None) => "any subject".into(),
            };
            out.insert(format!("{issuer} {subject}"));
        }
    }
    if let Some(key) = authority.get("key") {
        let which = text(key, "kms")
            .map(|kms| format!("kms {kms}"))
            .or_else(|| {
                key["secretRef"]["name"]
                    .as_str()
                    .map(|s| format!("secret {s}"))
            })
            .or_else(|| text(key, "data").map(|_| "an inline key".to_string()))
            .unwrap_or_else(|| "a key".into());
        out.insert(format!("key {which}"));
    }
    if authority.get("static").is_some() {
        let action = text(&authority["static"], "action").unwrap_or_default();
        out.insert(format!("static {action}"));
    }
}

/// The namespaces labelled for the policy-controller.
fn included(documents: &[Value]) -> BTreeSet<String> {
    documents
        .iter()
        .filter(|d| d.get("kind").and_then(Value::as_str) == Some("Namespace"))
        .filter(|d| {
            d["metadata"]["labels"]
                .get(sigstore::INCLUDE_LABEL)
                .and_then(Value::as_str)
                == Some(sigstore::INCLUDE_VALUE)
        })
        .filter_map(|d| d.at("/metadata/name").and_then(Value::as_str))
        .map(str::to_string)
        .collect()
}

fn impact(direction: Direction, detail: String) -> Impact {
    Impact {
        direction,
        area: AREA.into(),
        detail,
    }
}

/// The issuer of a signer line (`X` of `issuer X subject Y` or `issuer X
/// subjectRegExp R`).
fn issuer_of(signer: &str) -> Option<&str> {
    signer
        .strip_prefix("issuer ")
        .and_then(|rest| rest.split_once(" subject").map(|(issuer, _)| issuer))
}

/// The impacts of the change from `before` to `after`.
pub(super) fn impacts(before: &[Value], after: &[Value]) -> Vec<Impact> {
    let mut out = Vec::new();
    let (old_included, new_included) = (included(before), included(after));
    for namespace in old_included.difference(&new_included) {
        out.push(impact(
            Direction::Widened,
            format!("namespace {namespace} no longer opts in to the policy-controller ({}): its pods' images are not checked", sigstore::INCLUDE_LABEL),
        ));
    }
    for namespace in new_included.difference(&old_included) {
        out.push(impact(
            Direction::Narrowed,
            format!("namespace {namespace} opts in to the policy-controller"),
        ));
    }
    let (old, new) = (policies(before), policies(after));
    for (name, policy) in &old {
        let Some(now) = new.get(name) else {
            out.push(impact(
                Direction::Widened,
                format!(
                    "ClusterImagePolicy {name} removed: images matching {} need no signature",
                    join(&policy.globs)
                ),
            ));
            continue;
        };
        compare(name, policy, now, &mut out);
    }
    for (name, policy) in &new {
        if !old.contains_key(name) {
            out.push(impact(
                Direction::Narrowed,
                format!(
                    "ClusterImagePolicy {name} requires a signature by {} on images matching {}",
                    join(&policy.signers),
                    join(&policy.globs)
                ),
            ));
        }
    }
    out
}

fn join(set: &BTreeSet<String>) -> String {
    set.iter().cloned().collect::<Vec<_>>().join(", ")
}

fn compare(name: &str, old: &Policy, new: &Policy, out: &mut Vec<Impact>) {
    if old.mode != new.mode {
        let direction = if new.mode == sigstore::MODE_ENFORCE {
            Direction::Narrowed
        } else {
            Direction::Widened
        };
        out.push(impact(
            direction,
            format!(
                "ClusterImagePolicy {name} mode: {} -> {}",
                old.mode, new.mode
            ),
        ));
    }
    let old_repositories: BTreeSet<&str> = old
        .globs
        .iter()
        .filter_map(|g| sigstore::glob_repository(g))
        .collect();
    for glob in new.globs.difference(&old.globs) {
        let direction = match sigstore::glob_repository(glob) {
            // A digest glob gaining the tag form (or back) of a repository
            // it already covered.
            Some(repository) if old_repositories.contains(repository) => Direction::Changed,
            // Another repository: the policy covers more images (a
            // protection added there), but not a wider signer.
            Some(_) => Direction::Changed,
            None => Direction::Widened,
        };
        let detail = if direction == Direction::Widened {
            format!("ClusterImagePolicy {name} glob {glob} matches more than one repository")
        } else {
            format!("ClusterImagePolicy {name} also matches {glob}")
        };
        out.push(impact(direction, detail));
    }
    for glob in old.globs.difference(&new.globs) {
        out.push(impact(
            Direction::Changed,
            format!("ClusterImagePolicy {name} no longer matches {glob}"),
        ));
    }
    let removed: Vec<&String> = old.signers.difference(&new.signers).collect();
    let mut replaced = BTreeSet::new();
    for signer in new.signers.difference(&old.signers) {
        // The removed signer of the same issuer this one replaces, if any.
        let same_issuer = removed
            .iter()
            .find(|r| issuer_of(r).is_some() && issuer_of(r) == issuer_of(signer));
        let exact = signer.contains(" subject ");
        let (direction, detail) = match same_issuer {
            Some(old_signer) if exact => {
                replaced.insert(old_signer.as_str());
                if old_signer.contains(" subject ") {
                    // Another exact subject: another signer, no wider.
                    (
                        Direction::Changed,
                        format!("ClusterImagePolicy {name} signer: {old_signer} -> {signer}"),
                    )
                } else {
                    (
                        Direction::Narrowed,
                        format!("ClusterImagePolicy {name} signer: {old_signer} -> {signer}"),
                    )
                }
            }
            Some(old_signer) => {
                replaced.insert(old_signer.as_str());
                (
                    Direction::Widened,
                    format!("ClusterImagePolicy {name} signer: {old_signer} -> {signer}"),
                )
            }
            None if signer.starts_with("static pass") => (
                Direction::Widened,
                format!(
                    "ClusterImagePolicy {name} admits every image without a signature (static pass)"
                ),
            ),
            None => (
                Direction::Widened,
                format!("ClusterImagePolicy {name} accepts signatures by {signer}"),
            ),
        };
        out.push(impact(direction, detail));
    }
    for signer in removed.iter().filter(|r| !replaced.contains(r.as_str())) {
        out.push(impact(
            Direction::Narrowed,
            format!("ClusterImagePolicy {name} no longer accepts signatures by {signer}"),
        ));
    }
    for attestation in old.attestations.difference(&new.attestations) {
        out.push(impact(
            Direction::Widened,
            format!("ClusterImagePolicy {name} no longer requires the attestation {attestation}"),
        ));
    }
    for attestation in new.attestations.difference(&old.attestations) {
        out.push(impact(
            Direction::Narrowed,
            format!("ClusterImagePolicy {name} requires the attestation {attestation}"),
        ));
    }
}
