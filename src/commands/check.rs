//! `harden check`: prove committed manifests are exactly what their specs
//! render to. One command covers a repository: directories are searched for
//! specs, and each spec's output directory follows the convention
//! `deploy/<app name>` (or `--out` for a single spec).

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{Format, Status, render_spec_in};
use crate::drift::{self, FileDrift, FileState};
use crate::error::Error;
use crate::templates::Templates;
use crate::workspace::{Workspace, shell_arg, shown};

/// The result for one spec.
#[derive(Debug, Serialize)]
pub struct SpecResult {
    pub spec: String,
    pub out: Option<String>,
    /// `in-sync`, `drift` or `error`.
    pub status: &'static str,
    pub files: Vec<FileDrift>,
    /// Files compared (in sync or not).
    pub compared: usize,
    /// The command that brings the directory in sync.
    pub fix: Option<String>,
    pub error: Option<String>,
}

#[derive(Debug, Serialize)]
struct Summary {
    specs: usize,
    in_sync: usize,
    drifted: usize,
    errors: usize,
}

#[derive(Debug, Serialize)]
struct Report<'a> {
    specs: &'a [SpecResult],
    summary: Summary,
}

/// Finds the specs named by `paths`: files as given, directories searched
/// recursively for YAML files whose `apiVersion` is harden's.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut specs = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut specs)
                .map_err(|e| format!("error: cannot read {}: {e}", shown(path)))?;
        } else if path.exists() {
            specs.push(path.clone());
        } else {
            return Err(format!("error: {} does not exist", shown(path)));
        }
    }
    // The same file named twice (`specs/a.yaml` and `./specs/../specs/a.yaml`)
    // is checked once.
    let mut seen = std::collections::BTreeSet::new();
    specs.retain(|spec| seen.insert(spec.canonicalize().unwrap_or_else(|_| spec.clone())));
    specs.sort();
    Ok(specs)
}

/// Specs below `dir`: `.gitignore`d and hidden paths are skipped (the
/// `ignore` crate, as ripgrep walks), and so is a directory holding its own
/// `harden.yaml` below `dir`: a nested workspace is checked from its root.
fn walk(dir: &Path, specs: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let top = dir.to_path_buf();
    let walker = ignore::WalkBuilder::new(dir)
        .hidden(true)
        .require_git(false)
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(move |entry| {
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            let name = entry.file_name().to_string_lossy();
            !(is_dir
                && entry.path() != top
                && (name == "target"
                    || name == "node_modules"
                    || entry
                        .path()
                        .join(crate::workspace::WORKSPACE_FILE)
                        .is_file()))
        })
        .build();
    for entry in walker {
        let entry = entry.map_err(std::io::Error::other)?;
        let path = entry.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if entry.file_type().is_some_and(|t| t.is_file())
            && (name.ends_with(".yaml") || name.ends_with(".yml"))
            && is_spec(path)
        {
            specs.push(path.to_path_buf());
        }
    }
    Ok(())
}

/// A cheap test on the first lines: a spec declares harden's apiVersion.
pub fn is_spec(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|text| {
        text.lines().any(|line| {
            line.trim_start().starts_with("apiVersion: harden.dev/") && !line.starts_with(' ')
        })
    })
}

/// Checks one spec against its output directory.
pub fn check_spec(spec: &Path, out: Option<&Path>, templates: &Templates) -> SpecResult {
    let shown = shown(spec);
    let rendered = Workspace::for_path(spec)
        .and_then(|workspace| render_spec_in(spec, &workspace, templates).map(|r| (workspace, r)));
    let (workspace, (model, files)) = match rendered {
        Ok(rendered) => rendered,
        Err(error) => {
            return SpecResult {
                spec: shown,
                out: None,
                status: "error",
                files: Vec::new(),
                compared: 0,
                fix: None,
                error: Some(error),
            };
        }
    };
    compare(shown, &model, &files, out, &workspace)
}

/// Compares a spec's rendered `files` with its output directory.
fn compare(
    shown: String,
    model: &crate::model::Model,
    files: &[crate::render::GeneratedFile],
    out: Option<&Path>,
    workspace: &Workspace,
) -> SpecResult {
    let out = out
        .map(Path::to_path_buf)
        .unwrap_or_else(|| workspace.out_dir(&model.name));
    let drifts = drift::compare(&out, files, &|id| workspace.spec_exists(id));
    let out_shown = crate::workspace::shown(&out);
    let fix = (!drifts.is_empty()).then(|| {
        let force = if drifts.iter().any(|d| d.state == FileState::HandEdited) {
            " --force"
        } else {
            ""
        };
        // Paths relative to the current directory, quoted for the shell: the
        // command works when pasted where the user is.
        format!(
            "harden render {} --out {}{force}",
            shell_arg(&shown),
            shell_arg(&out_shown)
        )
    });
    SpecResult {
        spec: shown,
        out: Some(out_shown),
        status: if drifts.is_empty() {
            "in-sync"
        } else {
            "drift"
        },
        compared: files.len(),
        files: drifts,
        fix,
        error: None,
    }
}

/// Checks several specs compiled as one system ([`crate::system`]): `app:`
/// references resolved, flows consented at both ends. Problems of the
/// system are printed; the flag says whether the system compiled.
fn check_system(
    specs: &[PathBuf],
    templates: &Templates,
    quiet: bool,
    stderr: &mut dyn Write,
) -> std::io::Result<(Vec<SpecResult>, bool)> {
    let system = match crate::system::compile(specs) {
        Ok(system) => system,
        Err(problems) => {
            // Still a drift gate: report the system's problems, then check
            // each spec alone, so one broken spec hides no other drift.
            for problem in &problems {
                writeln!(stderr, "{problem}")?;
            }
            writeln!(
                stderr,
                "error: the specs do not compile as one system; each spec is checked alone"
            )?;
            return Ok((check_all(specs, None, templates), false));
        }
    };
    if !quiet {
        for problem in &system.problems {
            writeln!(stderr, "{problem}")?;
        }
    }
    // A spec that names other services renders only with them: its fix
    // renders every directory of the system's specs.
    let mut dirs: Vec<String> = specs
        .iter()
        .map(|spec| {
            let parent = spec.parent().filter(|p| !p.as_os_str().is_empty());
            shell_arg(&shown(parent.unwrap_or(Path::new("."))))
        })
        .collect();
    dirs.sort();
    dirs.dedup();
    let render_all = format!("harden render {}", dirs.join(" "));
    let referring: Vec<bool> = system.services.iter().map(|s| s.uses_references).collect();
    let mut results = crate::parallel::map(&system.services, |service| {
        check_service(service, templates)
    });
    // A spec that names no other service still renders alone.
    for (result, _) in results.iter_mut().zip(&referring).filter(|(_, r)| **r) {
        if let Some(fix) = &mut result.fix {
            let force = if fix.ends_with(" --force") {
                " --force"
            } else {
                ""
            };
            *fix = format!("{render_all}{force}");
        }
    }
    Ok((results, true))
}

fn check_service(service: &crate::system::Service, templates: &Templates) -> SpecResult {
    let shown = shown(&service.path);
    let rendered = Workspace::for_path(&service.path).and_then(|workspace| {
        crate::render::render(&service.model, templates)
            .map(|files| (workspace, files))
            .map_err(|bug| bug.to_string())
    });
    match rendered {
        Ok((workspace, files)) => compare(shown, &service.model, &files, None, &workspace),
        Err(error) => SpecResult {
            spec: shown,
            out: None,
            status: "error",
            files: Vec::new(),
            compared: 0,
            fix: None,
            error: Some(error),
        },
    }
}

/// Checks many specs, in parallel; results keep the order of `specs`.
pub fn check_all(specs: &[PathBuf], out: Option<&Path>, templates: &Templates) -> Vec<SpecResult> {
    crate::parallel::map(specs, |spec| check_spec(spec, out, templates))
}

pub fn run(
    paths: &[PathBuf],
    out: Option<&Path>,
    format: Format,
    quiet: bool,
    templates_dir: Option<&Path>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<Status, Error> {
    // No argument: the whole workspace of the current directory.
    let workspace = match paths.first() {
        Some(path) if path.exists() => Workspace::for_path(path),
        _ => Workspace::current(),
    };
    let workspace = workspace.map_err(Error::Message)?;
    let paths = if paths.is_empty() {
        workspace.spec_dirs()
    } else {
        paths.to_vec()
    };
    let specs = discover(&paths).map_err(Error::Message)?;
    if specs.is_empty() {
        return Err(Error::Input(
            "no harden specs found in the given paths".into(),
        ));
    }
    if out.is_some() && specs.len() > 1 {
        return Err(Error::Usage(format!(
            "--out applies to one spec; {} specs were given (each maps to deploy/<app name>)",
            specs.len()
        )));
    }
    // workspace_templates has printed its error.
    let Some(templates) = super::workspace_templates(&workspace, templates_dir, stderr) else {
        return Ok(Status::Error);
    };
    // One spec is checked alone; several are one system, as render makes them.
    let (results, compiled) = if specs.len() == 1 {
        (check_all(&specs, out, &templates), true)
    } else {
        check_system(&specs, &templates, quiet, stderr)?
    };
    let summary = Summary {
        specs: results.len(),
        in_sync: results.iter().filter(|r| r.status == "in-sync").count(),
        drifted: results.iter().filter(|r| r.status == "drift").count(),
        errors: results.iter().filter(|r| r.status == "error").count(),
    };
    let status = if summary.errors > 0 || !compiled {
        Status::Error
    } else if summary.drifted > 0 {
        Status::Findings
    } else {
        Status::Clean
    };
    match format {
        Format::Json => {
            let report = Report {
                specs: &results,
                summary,
            };
            writeln!(
                stdout,
                "{}",
                serde_json::to_string_pretty(&report).unwrap_or_default()
            )?;
        }
        Format::Text => {
            for result in &results {
                write_text(result, quiet, stdout, stderr)?;
            }
            if !quiet || status != Status::Clean {
                writeln!(
                    stdout,
                    "check: {} in sync, {} drifted, {} with errors ({} spec{})",
                    summary.in_sync,
                    summary.drifted,
                    summary.errors,
                    summary.specs,
                    if summary.specs == 1 { "" } else { "s" }
                )?;
            }
        }
    }
    if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
        for result in &results {
            write_annotations(result, stdout)?;
        }
    }
    Ok(status)
}

fn write_text(
    result: &SpecResult,
    quiet: bool,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> std::io::Result<()> {
    let out = result.out.as_deref().unwrap_or("?");
    match result.status {
        "in-sync" => {
            if !quiet {
                writeln!(
                    stdout,
                    "ok     {} -> {out} ({} files in sync)",
                    result.spec, result.compared
                )?;
            }
        }
        "drift" => {
            writeln!(stdout, "drift  {} -> {out}", result.spec)?;
            for file in &result.files {
                writeln!(
                    stdout,
                    "         {:<12} {}/{}: {}",
                    file.state.label(),
                    out,
                    file.file,
                    file.state.explain()
                )?;
            }
            if result
                .files
                .iter()
                .any(|f| f.state == FileState::HandEdited)
            {
                writeln!(
                    stdout,
                    "         hand edits are lost on render: move them into the spec first"
                )?;
            }
            if let Some(fix) = &result.fix {
                writeln!(stdout, "         fix: {fix}")?;
            }
        }
        _ => {
            writeln!(stderr, "{}", result.error.as_deref().unwrap_or("error"))?;
        }
    }
    Ok(())
}

/// GitHub Actions workflow commands: one error annotation per drifted file.
fn write_annotations(result: &SpecResult, stdout: &mut dyn Write) -> std::io::Result<()> {
    let escape = |s: &str| {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    let property = |s: &str| escape(s).replace(':', "%3A").replace(',', "%2C");
    match result.status {
        "drift" => {
            let out = result.out.as_deref().unwrap_or_default();
            for file in &result.files {
                let path = format!("{out}/{}", file.file);
                let message = format!(
                    "{} {} (spec {}); fix: {}",
                    file.file,
                    file.state.explain(),
                    result.spec,
                    result.fix.as_deref().unwrap_or_default()
                );
                writeln!(
                    stdout,
                    "::error file={},title={}::{}",
                    property(&path),
                    property("harden drift"),
                    escape(&message)
                )?;
            }
        }
        "error" => {
            let message = result.error.as_deref().unwrap_or("error");
            writeln!(
                stdout,
                "::error file={},title={}::{}",
                property(&result.spec),
                property("harden spec error"),
                escape(message)
            )?;
        }
        _ => {}
    }
    Ok(())
}
