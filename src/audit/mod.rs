//! `harden audit`: judge manifests on disk, ours or anyone's, offline, so
//! code review and CI can gate on the ten controls and the Pod Security
//! Standards without a cluster; `render` runs the same audit on its own
//! output before writing anything.
//!
//! [`run`] streams: a first pass reads each document, keeps only what
//! cross-object rules need (the [`rules::Index`]) and drops the document; a
//! second pass parses each document again and judges it. Memory stays near
//! the size of the largest file, however many objects it holds. A document
//! that cannot be parsed is a finding (`input/unparsable`) and the run goes
//! on.

pub mod cilium;
pub mod manifests;
pub mod pss;
pub mod pss_fixtures;
pub mod report;
pub mod rules;
pub mod waivers;

use std::path::PathBuf;

use crate::model::Model;
use crate::render::GeneratedFile;
use manifests::{Manifest, Object};
use pss::{Level, Version};
use rules::{Finding, Index, PssChoice, Selection, input};
use waivers::Waivers;

/// Audits rendered files as `render` is about to write them: Pod Security
/// restricted at the spec's pinned version, the ten controls and the
/// network-policy rules (but `netpol/selects-nothing`). Findings
/// the spec declares on purpose (a granted Secrets permission, an image the
/// spec accepts pinned by tag) are not held against it.
pub fn self_check(model: &Model, files: &[GeneratedFile]) -> Result<Vec<Finding>, String> {
    let mut manifests = Vec::new();
    for file in files.iter().filter(|f| {
        f.name.ends_with(".yaml") && f.name != crate::platform::names::KUSTOMIZATION_FILE
    }) {
        manifests.extend(Manifest::parse_all(&file.name, &file.content)?);
    }
    Ok(self_check_manifests(model, &manifests))
}

/// [`self_check`] over the rendered YAML files, already parsed (a render
/// parses its output once, for the self-audit and the proof); those of
/// kustomization.yaml are skipped, as [`self_check`] skips the file.
pub fn self_check_manifests(model: &Model, manifests: &[Manifest]) -> Vec<Finding> {
    let objects: Vec<Object<'_>> = manifests
        .iter()
        .filter(|m| m.file != crate::platform::names::KUSTOMIZATION_FILE)
        .flat_map(Object::all_of)
        .collect();
    let choice = PssChoice {
        level: Some(Level::Restricted),
        version: Version::parse(&model.pss_version),
    };
    // A peer policy selects pods another team deploys (the other end of a
    // declared flow), so it selects nothing in this output by design.
    let mut selection = Selection::all();
    selection.skip.insert(rules::network::SELECTS_NOTHING.id);
    let findings = rules::audit(&objects, &selection, choice);
    let declared = |finding: &Finding| {
        let rule = finding.rule;
        if rule == &rules::controls::RBAC_SECRETS || rule == &rules::controls::RBAC_NAMED_SECRETS {
            model.api_access.as_ref().is_some_and(|a| a.grants_secrets)
        } else if rule == &rules::controls::IMAGE_DIGEST {
            !model.workload.pinned_by_digest
        } else {
            false
        }
    };
    findings.into_iter().filter(|f| !declared(f)).collect()
}

/// What an audit found, and over how much.
#[derive(Debug, Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub files: usize,
    pub objects: usize,
}

impl Outcome {
    /// Whether the input itself was at fault (exit status 2).
    pub fn input_error(&self) -> bool {
        self.findings
            .iter()
            .any(|f| input::ERRORS.contains(&f.rule))
    }
}

/// Kinds the first pass must read: what [`Index::add`] keeps.
const INDEXED_KINDS: &[&str] = &[
    "Namespace",
    "NetworkPolicy",
    "CiliumNetworkPolicy",
    "Service",
    "ServiceAccount",
    "Configuration",
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
    "ReplicationController",
];

/// Whether the first pass can skip a document without parsing it: its
/// top-level `kind:` line names a kind the index does not keep (most of
/// the bytes of real repositories are CustomResourceDefinitions), it is not
/// a List, and it carries no waiver annotation. Anything unusual (no such
/// line, JSON) is parsed.
fn skippable(chunk: &str) -> bool {
    let kind = chunk
        .lines()
        .find_map(|line| line.strip_prefix("kind:"))
        .map(|k| k.trim().trim_matches(['"', '\'']));
    match kind {
        Some(kind) => {
            !kind.is_empty()
                && !kind.ends_with("List")
                && !INDEXED_KINDS.contains(&kind)
                && !chunk.contains(waivers::ANNOTATION)
                && chunk.lines().any(|l| l.starts_with("apiVersion:"))
        }
        None => false,
    }
}

/// One document of a file: its objects, or the parse error as a finding.
/// With `skip`, documents that [`skippable`] judges are only counted.
fn each_object(
    file: &str,
    text: &str,
    skip: bool,
    mut on_object: impl FnMut(Option<&Object<'_>>),
    mut on_error: impl FnMut(Finding),
) {
    for (start_line, chunk) in manifests::documents(text) {
        if skip && skippable(chunk) {
            on_object(None);
            continue;
        }
        match manifests::parse_document(file, start_line, chunk) {
            Ok(parsed) => {
                for manifest in &parsed {
                    for object in Object::all_of(manifest) {
                        on_object(Some(&object));
                    }
                }
            }
            Err(error) => on_error(Finding {
                rule: &input::UNPARSABLE,
                resource: String::new(),
                file: file.to_string(),
                line: error.line,
                message: error.message,
                fix: input::UNPARSABLE.fix.to_string(),
                suppressed: None,
            }),
        }
    }
}

/// Audits the files under `paths`, streaming (see the module comment).
/// Errors are for input that is not there at all: a missing path, an
/// unreadable file, no Kubernetes object anywhere.
pub fn run(
    paths: &[PathBuf],
    selection: &Selection,
    pss: PssChoice,
    mut waivers: Waivers,
) -> Result<Outcome, String> {
    let files = manifests::files(paths)?;
    let mut index = Index::default();
    let mut outcome = Outcome {
        files: files.len(),
        ..Outcome::default()
    };
    let mut kubernetes_objects = 0;
    let mut unparsable = false;
    let mut errors = Vec::new();
    for file in &files {
        let source = manifests::read(file)?;
        each_object(
            &source.shown,
            &source.text,
            true,
            |object| match object {
                None => kubernetes_objects += 1,
                Some(object) => {
                    if !object.kind().is_empty() && object.document.get("apiVersion").is_some() {
                        kubernetes_objects += 1;
                    }
                    index.add(object);
                    waivers.add_annotation(object);
                }
            },
            |_| unparsable = true,
        );
    }
    if kubernetes_objects == 0 && !unparsable {
        let shown: Vec<String> = paths.iter().map(|p| crate::load::display_path(p)).collect();
        return Err(format!(
            "no Kubernetes manifests (objects with apiVersion and kind) in {}: check the path; directories are searched for .yaml, .yml and .json files",
            shown.join(", ")
        ));
    }
    for file in &files {
        let source = manifests::read(file)?;
        each_object(
            &source.shown,
            &source.text,
            false,
            |object| {
                if let Some(object) = object {
                    outcome.objects += 1;
                    rules::judge_object(object, &index, selection, pss, &mut outcome.findings);
                }
            },
            |finding| errors.push(finding),
        );
    }
    outcome.findings.append(&mut errors);
    rules::judge_index(&index, selection, pss, &mut outcome.findings);
    outcome.findings.append(&mut waivers.findings);
    waivers.apply(&mut outcome.findings);
    rules::sort(&mut outcome.findings);
    Ok(outcome)
}
