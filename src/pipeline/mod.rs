//! The one pipeline below the commands: find the specs, open their
//! workspace, load, render and verify them, in memory. Every command that
//! renders (`render`, `check`, `diff`, `posture`, `reach`) goes through
//! here, so a spec renders the same way whichever command asked; the
//! commands only parse their arguments, call this, and print.
//!
//! Nothing here prints or writes files: a verification that refuses the
//! output comes back as a [`Verdict`] holding the report to show.
//!
//! - [`find`]: which files are specs, and which specs form one system;
//! - [`outputs`]: render a system's outputs (shared namespaces and
//!   services) and verify them together;
//! - [`scope`]: which specs a command judges (no path: the workspace; a
//!   spec of a workspace: with its workspace).

pub mod find;
pub mod outputs;
pub mod scope;

use std::path::Path;

use crate::error::{Error, Status};
use crate::load;
use crate::model::Model;
use crate::render::{self, GeneratedFile, Written};
use crate::templates::Templates;
use crate::text::pushln;
use crate::workspace::{Workspace, shown};

/// The templates to render with: an organisation's directory over the
/// embedded ones, or the embedded ones alone.
pub fn templates(custom: Option<&Path>) -> Result<Templates, Error> {
    match custom {
        Some(dir) => Ok(Templates::with_overrides(dir)?),
        None => embedded_templates(),
    }
}

/// The embedded templates; that they do not compile is a bug in harden.
pub fn embedded_templates() -> Result<Templates, Error> {
    Templates::embedded()
        .map_err(|error| Error::Templates(crate::templates::LoadError::Embedded(error)))
}

/// The templates to render with: `--templates`, else the workspace's
/// `templates` directory, else the embedded ones.
pub fn workspace_templates(workspace: &Workspace, flag: Option<&Path>) -> Result<Templates, Error> {
    let dir = flag
        .map(Path::to_path_buf)
        .or_else(|| workspace.templates_dir());
    templates(dir.as_deref())
}

/// One spec, rendered in memory: its workspace, the templates, the model
/// and the files.
pub struct Prepared {
    pub workspace: Workspace,
    pub templates: Templates,
    pub model: Model,
    pub files: Vec<GeneratedFile>,
    /// The objects of the files harden wrote itself (the guard's).
    pub written: Written,
}

/// The workspace, templates, model and rendered files of `spec`. With
/// `nothing_written`, an error loading or rendering the spec says that
/// nothing was written (as `render`'s do).
pub fn prepare(
    spec: &Path,
    templates_dir: Option<&Path>,
    nothing_written: bool,
) -> Result<Prepared, Error> {
    let said = |error: Error| {
        if nothing_written {
            error.nothing_written()
        } else {
            error
        }
    };
    let workspace = load::workspace(spec).map_err(|e| said(e.into()))?;
    let templates = workspace_templates(&workspace, templates_dir)?;
    let (model, files, written) =
        render_spec_written(spec, &workspace, &templates).map_err(said)?;
    Ok(Prepared {
        workspace,
        templates,
        model,
        files,
        written,
    })
}

/// Loads, validates and renders one spec: the one render path that `render`,
/// `check` and `diff` share.
pub fn render_spec(
    spec: &Path,
    templates: &Templates,
) -> Result<(Model, Vec<GeneratedFile>), Error> {
    let workspace = load::workspace(spec)?;
    render_spec_in(spec, &workspace, templates)
}

/// [`render_spec`] for a spec of a known workspace.
pub fn render_spec_in(
    spec: &Path,
    workspace: &Workspace,
    templates: &Templates,
) -> Result<(Model, Vec<GeneratedFile>), Error> {
    render_spec_written(spec, workspace, templates).map(|(model, files, _)| (model, files))
}

/// [`render_spec_in`], with the objects of the files harden wrote itself.
fn render_spec_written(
    spec: &Path,
    workspace: &Workspace,
    templates: &Templates,
) -> Result<(Model, Vec<GeneratedFile>, Written), Error> {
    let model = load::load_spec_in(spec, workspace)?;
    let (files, written) = render::render_written(&model, templates)?;
    Ok((model, files, written))
}

/// Whether rendered output may be written: clean, or refused with the
/// report that says why (the self-audit's findings, the flows the policies
/// get wrong), to be shown on standard error.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The report, one line per finding and a last line saying that
    /// nothing was written; empty when the output is clean.
    pub report: String,
}

impl Verdict {
    /// Whether nothing refused the output.
    pub fn is_clean(&self) -> bool {
        self.report.is_empty()
    }

    /// [`Status::Clean`], or [`Status::Findings`] when refused.
    pub fn status(&self) -> Status {
        if self.is_clean() {
            Status::Clean
        } else {
            Status::Findings
        }
    }

    /// This verdict and `other`'s report, in order.
    pub fn and(mut self, other: Verdict) -> Verdict {
        self.report.push_str(&other.report);
        self
    }
}

/// The files and objects the self-audit judged: the rendered manifests
/// (every YAML file but kustomization.yaml, as
/// [`crate::audit::self_check_manifests`] reads them) and the documents in
/// them.
fn self_audit_scope(
    files: &[GeneratedFile],
    manifests: &[crate::audit::manifests::Manifest],
) -> (usize, usize) {
    let audited =
        |name: &str| name.ends_with(".yaml") && name != crate::platform::names::KUSTOMIZATION_FILE;
    (
        files.iter().filter(|f| audited(&f.name)).count(),
        manifests.iter().filter(|m| audited(&m.file)).count(),
    )
}

/// The rendered output of `spec` must pass its own audit, and its policies
/// must allow exactly what the model needs, before anything is written.
/// When they do not, the verdict holds the findings (nothing may be
/// written); a bug is an error. Also gives back the objects read from the
/// rendered YAML files (kustomization.yaml's among them), for a caller that
/// judges them again (a system's proof over all its outputs) without
/// parsing them again.
pub fn verify_read(
    spec: &Path,
    model: &Model,
    files: &[GeneratedFile],
    written: &Written,
    templates: &Templates,
) -> Result<(Verdict, Vec<crate::objects::Manifest>), Error> {
    // Each templated YAML file is parsed once, here (those harden wrote
    // itself are taken as built); the audit and the proof share the
    // documents.
    let manifests = render::read_back(model, files, written, templates)
        .map_err(|bug| Error::from(bug).nothing_written())?;
    let verdict = judge(spec, model, files, &manifests)?;
    Ok((verdict, manifests))
}

/// The self-audit and the flow proof of `spec`'s rendered `files`, read
/// as `manifests`.
fn judge(
    spec: &Path,
    model: &Model,
    files: &[GeneratedFile],
    manifests: &[crate::objects::Manifest],
) -> Result<Verdict, Error> {
    let mut report = String::new();
    // The output must pass its own audit before anything is written.
    let findings = crate::audit::self_check_manifests(model, manifests);
    if !findings.is_empty() {
        let (audited, objects) = self_audit_scope(files, manifests);
        report.push_str(&crate::audit::report::text(&findings, audited, objects));
        pushln!(
            report,
            "error: the rendered output of {} fails its own security audit; nothing was written",
            shown(spec)
        );
        return Ok(Verdict { report });
    }
    // ... and its policies must allow exactly what the model needs.
    let documents: Vec<&serde_json::Value> = manifests.iter().map(|m| &*m.document).collect();
    match crate::proof::prove_documents(model, &documents) {
        Ok(proof) if proof.violations.is_empty() => Ok(Verdict::default()),
        Ok(proof) => {
            for violation in &proof.violations {
                pushln!(report, "error: {violation}");
            }
            pushln!(
                report,
                "error: the rendered network policies of {} do not allow exactly the flows the spec needs \
                 ({} of {} checked flows wrong); nothing was written",
                shown(spec),
                proof.violations.len(),
                proof.allowed + proof.denied
            );
            Ok(Verdict { report })
        }
        Err(bug) => Err(Error::Internal(format!(
            "the rendered network policies cannot be evaluated: {bug}"
        ))
        .nothing_written()),
    }
}
