//! `harden audit`: judge manifests on disk, ours or anyone's, offline, so
//! code review and CI can gate on the ten controls and the Pod Security
//! Standards without a cluster; `render` runs the same audit on its own
//! output before writing anything.
//!
//! [`stream`] streams: a first pass reads each document (one line at a
//! time, never a whole file), keeps only what cross-object rules need (the
//! [`rules::Index`]) and drops the document; a second pass parses each
//! document again, judges it and hands its findings on in report order as
//! soon as their place is known. Memory stays near the size of the largest
//! document plus the index, however many objects a file holds and however
//! many findings they give. A document that cannot be parsed is a finding
//! (`input/unparsable`) and the run goes on.

pub mod level;
pub mod manifests;
pub mod pss;
pub mod pss_fixtures;
pub mod report;
pub mod rule;
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
/// spec accepts pinned by tag, Dapr API logging turned off) are not held
/// against it.
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
    let findings = rules::audit_for(&objects, &selection, choice, model.facts.dns.clone());
    let declared = |finding: &Finding| {
        let rule = finding.rule;
        if rule == &rules::rbac::RBAC_SECRETS || rule == &rules::rbac::RBAC_NAMED_SECRETS {
            model.api_access.as_ref().is_some_and(|a| a.grants_secrets)
        } else if rule == &rules::controls::IMAGE_DIGEST {
            !model.workload.pinned_by_digest
        } else if rule == &rules::dapr::DAPR_API_LOGGING {
            // `dapr.apiLogging: false` (allowed without a compliance framework).
            model.dapr.as_ref().is_some_and(|d| !d.api_logging)
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

/// How much an audit read.
#[derive(Debug, Default, Clone, Copy)]
pub struct Scope {
    pub files: usize,
    pub objects: usize,
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
    start_line: usize,
    chunk: &str,
    skip: bool,
    mut on_object: impl FnMut(Option<&Object<'_>>),
    mut on_error: impl FnMut(Finding),
) {
    if skip && skippable(chunk) {
        on_object(None);
        return;
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

/// Audits the files under `paths` (see the module comment) and collects
/// the findings, sorted.
pub fn run(
    paths: &[PathBuf],
    selection: &Selection,
    pss: PssChoice,
    waivers: Waivers,
) -> Result<Outcome, String> {
    let mut findings = Vec::new();
    let dns = crate::platform::cluster::DnsFacts::default();
    let scope = stream(paths, selection, pss, waivers, dns, &mut |f| {
        findings.push(f)
    })?;
    Ok(Outcome {
        findings,
        files: scope.files,
        objects: scope.objects,
    })
}

/// Audits the files under `paths` for a cluster whose DNS is `dns`,
/// streaming (see the module comment), and
/// hands each finding to `emit` in the order of [`rules::sort`], without
/// duplicates, as soon as no later finding can come before it: a document's
/// findings lie on its own lines, so they are out once the next document
/// starts. Only the cross-object findings (and waiver problems) are held
/// until their place comes. Errors are for input that is not there at all:
/// a missing path, an unreadable file, no Kubernetes object anywhere.
pub fn stream(
    paths: &[PathBuf],
    selection: &Selection,
    pss: PssChoice,
    mut waivers: Waivers,
    dns: crate::platform::cluster::DnsFacts,
    emit: &mut dyn FnMut(Finding),
) -> Result<Scope, String> {
    let files = manifests::files(paths)?;
    let mut index = Index {
        dns,
        ..Index::default()
    };
    let mut scope = Scope {
        files: files.len(),
        objects: 0,
    };
    let mut kubernetes_objects = 0;
    let mut unparsable = false;
    let shown: Vec<String> = files.iter().map(|f| crate::load::display_path(f)).collect();
    for (file, shown) in files.iter().zip(&shown) {
        manifests::read_documents(file, shown, |start_line, chunk| {
            each_object(
                shown,
                start_line,
                chunk,
                true,
                |object| match object {
                    None => kubernetes_objects += 1,
                    Some(object) => {
                        if !object.kind().is_empty() && object.document.get("apiVersion").is_some()
                        {
                            kubernetes_objects += 1;
                        }
                        index.add_owned(object);
                        waivers.add_annotation(object);
                    }
                },
                |_| unparsable = true,
            );
        })?;
    }
    if kubernetes_objects == 0 && !unparsable {
        let shown: Vec<String> = paths.iter().map(|p| crate::load::display_path(p)).collect();
        return Err(format!(
            "no Kubernetes manifests (objects with apiVersion and kind) in {}: check the path; directories are searched for .yaml, .yml and .json files",
            shown.join(", ")
        ));
    }
    // Cross-object findings and waiver problems, placed as they fall.
    let mut held = Vec::new();
    rules::judge_index(&index, selection, pss, &mut held);
    held.append(&mut waivers.findings);
    waivers.apply(&mut held);
    rules::sort_stable(&mut held);
    let mut merge = Merge {
        held: held.into(),
        last: None,
        emit: &mut *emit,
    };
    // Findings are ordered by file name as shown, then line.
    let mut order: Vec<usize> = (0..files.len()).collect();
    order.sort_by(|&a, &b| shown[a].cmp(&shown[b]));
    let mut batch = Vec::new();
    let object_rules = rules::ObjectRules::of(selection);
    for i in order {
        let shown = shown[i].as_str();
        merge.release(&mut batch, &waivers, shown, 0);
        manifests::read_documents(&files[i], shown, |start_line, chunk| {
            merge.release(&mut batch, &waivers, shown, start_line);
            let mut unparsable = None;
            each_object(
                shown,
                start_line,
                chunk,
                false,
                |object| {
                    if let Some(object) = object {
                        scope.objects += 1;
                        rules::judge_object(object, &index, &object_rules, pss, &mut batch);
                    }
                },
                |finding| unparsable = Some(finding),
            );
            batch.extend(unparsable);
        })?;
        merge.release(&mut batch, &waivers, shown, usize::MAX);
    }
    merge.finish();
    // Waivers of the file that waived nothing, once every finding is known.
    for finding in waivers.stale(selection) {
        emit(finding);
    }
    Ok(scope)
}

/// Puts the findings of the documents read so far and the held ones in
/// order, and hands them on.
struct Merge<'a> {
    /// Sorted; each goes out when the reading has passed its place.
    held: std::collections::VecDeque<Finding>,
    /// The last finding in order, kept back to drop duplicates of it.
    last: Option<Finding>,
    emit: &'a mut dyn FnMut(Finding),
}

impl Merge<'_> {
    /// Hands on every finding before line `line` of `file` (the reading
    /// is there): those of `batch`, waived where a waiver says so, and the
    /// held ones, merged in order (the batch's first on a tie, as a stable
    /// sort of all findings would put them).
    fn release(&mut self, batch: &mut Vec<Finding>, waivers: &Waivers, file: &str, line: usize) {
        let before = |f: &Finding| (f.file.as_str(), f.line) < (file, line);
        if batch.is_empty() && self.held.front().is_none_or(|f| !before(f)) {
            return;
        }
        waivers.apply(batch);
        rules::sort_stable(batch);
        let ready = batch.partition_point(|f| before(f));
        let rest = batch.split_off(ready);
        let mut ready = std::mem::replace(batch, rest).into_iter().peekable();
        loop {
            let held = self.held.front().filter(|f| before(f));
            let next = match (ready.peek(), held) {
                (None, None) => break,
                (Some(a), Some(b)) if rules::order(a, b).is_gt() => self.held.pop_front(),
                (Some(_), _) => ready.next(),
                (None, Some(_)) => self.held.pop_front(),
            };
            if let Some(finding) = next {
                self.push(finding);
            }
        }
    }

    fn push(&mut self, finding: Finding) {
        if self.last.as_ref() == Some(&finding) {
            return;
        }
        if let Some(previous) = self.last.replace(finding) {
            (self.emit)(previous);
        }
    }

    /// Hands on the rest.
    fn finish(mut self) {
        while let Some(finding) = self.held.pop_front() {
            self.push(finding);
        }
        if let Some(last) = self.last.take() {
            (self.emit)(last);
        }
    }
}
