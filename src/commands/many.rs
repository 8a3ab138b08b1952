//! `validate`, `render` and `graph` over many specs compiled as one system
//! ([`crate::system`]): a directory, or several spec files. `validate` and
//! `render` given one spec file keep their single-spec behaviour
//! ([`crate::pipeline::find::is_system`] decides).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::Format;
use crate::error::{Error, Status};
use crate::pipeline::find::spec_files;
use crate::pipeline::outputs::{render_system, services_of};
use crate::pipeline::scope::Scope;
use crate::pipeline::{self};
use crate::system::{self, Severity, System, SystemProblem, graph, summary};
use crate::write::{self, WriteError};

fn print_problems(problems: &[SystemProblem], stderr: &mut dyn Write) -> std::io::Result<()> {
    for problem in problems {
        writeln!(stderr, "{problem}")?;
    }
    Ok(())
}

/// `harden validate [DIR|SPEC...]`: every spec, and the flows between them;
/// with a focus (specs of a workspace), only what involves the specs named.
pub fn validate(
    scope: &Scope,
    quiet: bool,
    format: Format,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<Status, Error> {
    let files = spec_files(&scope.all)?;
    let reported = match &scope.focus {
        Some(focus) => spec_files(focus)?,
        None => files.clone(),
    };
    let shown: Vec<String> = reported
        .iter()
        .map(|f| crate::workspace::shown(f))
        .collect();
    let (mut problems, _) = match system::compile(&files) {
        Ok(system) => (system.problems, Status::Clean),
        Err(problems) => (problems, Status::Error),
    };
    if scope.focus.is_some() {
        problems.retain(|p| shown.iter().any(|file| p.involves(file)));
    }
    let status = if problems.iter().any(|p| p.severity == Severity::Error) {
        Status::Error
    } else {
        Status::Clean
    };
    let valid = |file: &str| {
        !problems
            .iter()
            .any(|p| p.severity == Severity::Error && p.involves(file))
    };
    match format {
        Format::Json => {
            let specs: Vec<serde_json::Value> = shown
                .iter()
                .map(|file| {
                    let found: Vec<serde_json::Value> = problems
                        .iter()
                        .filter(|p| p.file == *file)
                        .map(|p| {
                            serde_json::json!({
                                "severity": p.severity,
                                "line": p.position.map(|p| p.line),
                                "column": p.position.map(|p| p.column),
                                "path": p.path,
                                "message": p.message,
                                "help": p.help,
                                "others": p.others,
                            })
                        })
                        .collect();
                    serde_json::json!({"file": file, "valid": valid(file), "problems": found})
                })
                .collect();
            writeln!(
                stdout,
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({ "specs": specs }))
                    .unwrap_or_default()
            )?;
        }
        Format::Text => {
            if !quiet {
                for file in shown.iter().filter(|f| valid(f)) {
                    writeln!(stdout, "{file}: valid")?;
                }
            }
            print_problems(&problems, stderr)?;
            if !problems.is_empty() {
                writeln!(stderr, "{}", summary(&problems, reported.len()))?;
            }
        }
    }
    Ok(status)
}

/// `harden render DIR|SPEC...`: renders every spec of a valid system; nothing
/// is written unless every spec's output is valid and can be written. With
/// `focus`, `paths` are the specs of its workspace and only the focused
/// specs' outputs (and their shared namespaces') are rendered: a spec of a
/// workspace renders as the whole workspace would render it. `out`, with
/// one spec in focus, is where that spec's output goes; its shared
/// namespace's output is then not written.
#[allow(clippy::too_many_arguments)]
pub fn render(
    paths: &[PathBuf],
    focus: Option<&[PathBuf]>,
    out: Option<&Path>,
    force: bool,
    quiet: bool,
    templates_dir: Option<&Path>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<Status, Error> {
    let files = spec_files(paths)?;
    let system = system::compile(&files).map_err(|problems| Error::System {
        summary: format!("{}; nothing was written", summary(&problems, files.len())),
        problems,
    })?;
    print_problems(&system.problems, stderr)?;
    // Output whose spec was moved or deleted may be taken over (see write).
    let workspace = files.first().and_then(|f| crate::load::workspace(f).ok());
    let spec_exists = |id: &str| workspace.as_ref().is_none_or(|w| w.spec_exists(id));
    // `--templates`, else the workspace's own, as `check` and `diff` use.
    let templates = match &workspace {
        Some(workspace) => pipeline::workspace_templates(workspace, templates_dir)?,
        None => pipeline::templates(templates_dir)?,
    };
    let focus = focus.map(|specs| services_of(&system, specs));
    let (mut rendered, verdict) =
        render_system(&system, focus.as_deref(), &templates).map_err(Error::nothing_written)?;
    if let (Some(out), Some(&[index])) = (out, focus.as_deref()) {
        let dir = system.services[index].out_dir();
        rendered.retain(|output| output.dir == dir);
        for output in &mut rendered {
            output.dir = out.to_path_buf();
        }
    }
    if !verdict.is_clean() {
        write!(stderr, "{}", verdict.report)?;
        writeln!(stderr, "nothing was written")?;
        return Ok(verdict.status());
    }
    if !force {
        let conflicts: Vec<_> = rendered
            .iter()
            .flat_map(|output| write::conflicts(&output.dir, &output.files, &spec_exists))
            .collect();
        if !conflicts.is_empty() {
            return Err(Error::Write(WriteError::Conflicts(conflicts)).nothing_written());
        }
    }
    for output in &rendered {
        let out = &output.dir;
        let written = write::write_all(out, &output.files, force, &spec_exists)?;
        if !quiet {
            writeln!(
                stdout,
                "rendered {} to {}: {}",
                output.source,
                crate::workspace::shown(out),
                written.counts()
            )?;
        }
    }
    Ok(Status::Clean)
}

/// `harden graph [DIR|SPEC...]`: draws the system, or with one spec of a
/// workspace named, that spec's neighbourhood in it. Exits 0 when every
/// flow is declared at both ends, 1 when blocked flows were drawn, 2 when a
/// spec is invalid on its own (nothing drawn).
pub fn graph(
    scope: &Scope,
    format: graph::Format,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<Status, Error> {
    let files = spec_files(&scope.all)?;
    let system: System = system::analyse(&files).map_err(|problems| Error::System {
        summary: summary(&problems, files.len()),
        problems,
    })?;
    let focus = scope
        .focus
        .as_ref()
        .map(|focus| services_of(&system, focus))
        .filter(|focus| focus.len() == 1 && system.services.len() > 1);
    match focus.as_deref() {
        Some(&[index]) => write!(stdout, "{}", graph::neighbourhood(&system, index, format))?,
        _ => write!(stdout, "{}", graph::draw(&system, format))?,
    }
    print_problems(&system.problems, stderr)?;
    if system.errors().next().is_some() {
        writeln!(
            stderr,
            "{}; blocked flows are drawn red and dashed",
            summary(&system.problems, files.len())
        )?;
        Ok(Status::Findings)
    } else {
        Ok(Status::Clean)
    }
}
