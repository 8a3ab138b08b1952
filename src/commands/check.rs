//! `harden check`: prove committed manifests are exactly what their specs
//! render to. One command covers a repository: directories are searched for
//! specs, and each spec's output directory follows the convention
//! `deploy/<app name>` (or `--out` for a single spec).

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::cli::Format;
use crate::drift::{self, FileDrift, FileState};
use crate::error::{Error, Status};
use crate::load;
use crate::pipeline::find::{discover, no_specs, workspace_of};
use crate::pipeline::outputs::services_of;
use crate::pipeline::{render_spec_in, workspace_templates};
use crate::quote::shell_arg;
use crate::templates::Templates;
use crate::workspace::{Workspace, shown};

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
    /// The output of a namespace several specs share, not of a spec.
    #[serde(skip)]
    pub shared: bool,
}

impl SpecResult {
    /// A spec (or output) that could not be checked, and why.
    fn failed(spec: String, error: Error) -> SpecResult {
        SpecResult {
            spec,
            out: None,
            status: "error",
            files: Vec::new(),
            compared: 0,
            fix: None,
            error: Some(error.to_string()),
            shared: false,
        }
    }
}

#[derive(Debug, Serialize)]
struct Summary {
    specs: usize,
    /// Outputs of namespaces several specs share, checked beside the specs.
    shared_namespaces: usize,
    in_sync: usize,
    drifted: usize,
    errors: usize,
}

#[derive(Debug, Serialize)]
struct Report<'a> {
    specs: &'a [SpecResult],
    summary: Summary,
}

/// Checks one spec against its output directory.
pub fn check_spec(spec: &Path, out: Option<&Path>, templates: &Templates) -> SpecResult {
    let shown = shown(spec);
    let rendered = load::workspace(spec)
        .map_err(Error::from)
        .and_then(|workspace| render_spec_in(spec, &workspace, templates).map(|r| (workspace, r)));
    let (workspace, (model, files)) = match rendered {
        Ok(rendered) => rendered,
        Err(error) => {
            return SpecResult::failed(shown, error);
        }
    };
    let out = out
        .map(Path::to_path_buf)
        .unwrap_or_else(|| workspace.out_dir(&model.name));
    compare(shown, &files, &out, &workspace)
}

/// Compares a spec's rendered `files` with its output directory.
fn compare(
    shown: String,
    files: &[crate::render::GeneratedFile],
    out: &Path,
    workspace: &Workspace,
) -> SpecResult {
    let drifts = drift::compare(out, files, &|id| workspace.spec_exists(id));
    let out_shown = crate::workspace::shown(out);
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
        shared: false,
    }
}

/// Checks several specs compiled as one system ([`crate::system`]): `app:`
/// references resolved, flows consented at both ends. Problems of the
/// system are printed; the flag says whether the system compiled.
/// With `focus`, only that spec's output and its shared namespace's are
/// checked (one spec of a workspace is checked as the workspace renders it).
fn check_system(
    specs: &[PathBuf],
    focus: Option<&[PathBuf]>,
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
            // A spec that names other services renders only with them: it is
            // not checked alone (its errors are those above).
            let specs = focus.unwrap_or(specs);
            let alone: Vec<PathBuf> = specs
                .iter()
                .filter(|s| !crate::system::spec_names_others(s))
                .cloned()
                .collect();
            let mut results = check_all(&alone, None, templates);
            for spec in specs.iter().filter(|s| !alone.contains(s)) {
                results.push(SpecResult::failed(
                    shown(spec),
                    Error::Input(format!(
                        "{}: not checked: it names other services (app:), so it renders only with the system, which does not compile (see above)",
                        shown(spec)
                    )),
                ));
            }
            results.sort_by(|a, b| a.spec.cmp(&b.spec));
            return Ok((results, false));
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
    let services: Vec<&crate::system::Service> = match focus {
        Some(specs) => services_of(&system, specs)
            .into_iter()
            .map(|i| &system.services[i])
            .collect(),
        None => system.services.iter().collect(),
    };
    let whole = services.len() == system.services.len();
    let mut results = crate::parallel::map(&services, |service| check_service(service, templates));
    // A shared namespace's output is checked as a spec's is.
    let shared: Vec<_> = system
        .shared
        .iter()
        .filter(|s| {
            services
                .iter()
                .any(|v| v.namespace() == s.namespace.namespace)
        })
        .collect();
    let offset = shared.len();
    let shared = shared
        .into_iter()
        .map(|shared| check_shared(shared, &specs[0], templates, &render_all));
    results.splice(0..0, shared);
    // In a workspace with a workspace file, rendering a spec compiles the
    // workspace. Otherwise a spec that names other services, or shares its
    // namespace, renders only with the spec directories; the others still
    // render alone.
    let alone: Vec<bool> = services
        .iter()
        .map(|s| !s.uses_references && s.model.shared_namespace.is_none())
        .collect();
    for (result, alone) in results[offset..].iter_mut().zip(alone) {
        if focus.is_none() && alone {
            continue;
        }
        if let Some(fix) = &mut result.fix {
            let force = if fix.ends_with(" --force") {
                " --force"
            } else {
                ""
            };
            *fix = match focus {
                Some(_) => format!("harden render {}{force}", shell_arg(&result.spec)),
                None => format!("{render_all}{force}"),
            };
        }
    }
    if whole && let Some(service) = system.services.first() {
        results.extend(orphans(&system, &service.path));
    }
    Ok((results, true))
}

/// Output directories beside the system's that harden generated for a spec
/// that no longer exists, or for a namespace no longer shared: left behind
/// when a spec is deleted, they would still be applied. Each is drift whose
/// fix removes it. Only a check of the whole system can tell.
fn orphans(system: &crate::system::System, spec: &Path) -> Vec<SpecResult> {
    let Ok(workspace) = load::workspace(spec) else {
        return Vec::new();
    };
    let outputs: Vec<PathBuf> = system
        .services
        .iter()
        .map(|s| s.out_dir())
        .chain(system.shared.iter().map(|s| s.dir.clone()))
        .collect();
    // Where shared namespaces go, even when none is shared any more.
    let namespaces = workspace.namespace_dir("-");
    let mut parents: Vec<&Path> = outputs
        .iter()
        .chain([&namespaces])
        .filter_map(|d| d.parent())
        .collect();
    parents.sort();
    parents.dedup();
    // A set: each directory of the tree is looked up once, and a search
    // of the list made `check` quadratic in the specs (a fifth of the
    // instructions at 3,000 specs).
    let known: std::collections::HashSet<&Path> = outputs.iter().map(PathBuf::as_path).collect();
    let mut found = Vec::new();
    for parent in parents {
        let Ok(entries) = std::fs::read_dir(parent) else {
            continue;
        };
        let mut dirs: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_dir() && !known.contains(p.as_path()))
            .collect();
        dirs.sort();
        for dir in dirs {
            let mut source = None;
            let mut files = Vec::new();
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            let mut paths: Vec<PathBuf> =
                entries.filter_map(Result::ok).map(|e| e.path()).collect();
            paths.sort();
            for path in paths.iter().filter(|p| p.is_file()) {
                let Ok(text) = std::fs::read_to_string(path) else {
                    continue;
                };
                let Some(from) = crate::render::generated_from(&text) else {
                    continue;
                };
                let gone = if from.starts_with(crate::render::SHARED_SOURCE_PREFIX) {
                    true
                } else {
                    !workspace.spec_exists(from)
                };
                if !gone {
                    continue;
                }
                source.get_or_insert_with(|| from.to_string());
                files.push(FileDrift {
                    file: path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    state: FileState::Extra,
                    committed: Some(text),
                    expected: None,
                });
            }
            if let Some(source) = source {
                let shown_dir = shown(&dir);
                found.push(SpecResult {
                    spec: format!("{source} (gone)"),
                    out: Some(shown_dir.clone()),
                    status: "drift",
                    compared: files.len(),
                    files,
                    fix: Some(format!("git rm -r {}", shell_arg(&shown_dir))),
                    error: None,
                    shared: false,
                });
            }
        }
    }
    found
}

/// How the result of a shared namespace's output names its source.
const SHARED_PREFIX: &str = "namespace ";

/// Checks the output of a namespace several specs share.
fn check_shared(
    shared: &crate::system::SharedOutput,
    spec: &Path,
    templates: &Templates,
    render_all: &str,
) -> SpecResult {
    let source = format!("{SHARED_PREFIX}{}", shared.namespace.namespace);
    let rendered = load::workspace(spec)
        .map_err(Error::from)
        .and_then(|workspace| {
            crate::render::render_namespace(&shared.namespace, templates)
                .map(|files| (workspace, files))
                .map_err(Error::from)
        });
    let mut result = match rendered {
        Ok((workspace, files)) => {
            let mut result = compare(source, &files, &shared.dir, &workspace);
            if let Some(fix) = &mut result.fix {
                let force = if fix.ends_with(" --force") {
                    " --force"
                } else {
                    ""
                };
                *fix = format!("{render_all}{force}");
            }
            result
        }
        Err(error) => SpecResult::failed(source, error),
    };
    result.shared = true;
    result
}

fn check_service(service: &crate::system::Service, templates: &Templates) -> SpecResult {
    let shown = shown(&service.path);
    match crate::render::render(&service.model, templates) {
        Ok(files) => compare(shown, &files, &service.out_dir(), &service.workspace),
        Err(bug) => SpecResult::failed(shown, bug.into()),
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
        Some(path) if path.exists() => load::workspace(path),
        _ => load::current_workspace(),
    };
    let workspace = workspace?;
    let paths = if paths.is_empty() {
        workspace.spec_dirs()
    } else {
        paths.to_vec()
    };
    let specs = discover(&paths)?;
    if specs.is_empty() {
        return Err(no_specs());
    }
    if out.is_some() && specs.len() > 1 {
        return Err(Error::Usage(format!(
            "--out applies to one spec; {} specs were given (each maps to deploy/<app name>)",
            specs.len()
        )));
    }
    let templates = workspace_templates(&workspace, templates_dir)?;
    // Specs of a workspace with a workspace file are checked as the whole
    // workspace renders them; otherwise a directory (or several specs) is
    // one system, and one spec is alone.
    let workspace_specs = out.is_none().then(|| workspace_of(&paths)).flatten();
    let (results, compiled) = match workspace_specs {
        Some((all, focus)) => check_system(&all, Some(&focus), &templates, quiet, stderr)?,
        None if specs.len() == 1 => (check_all(&specs, out, &templates), true),
        None => check_system(&specs, None, &templates, quiet, stderr)?,
    };
    let shared_namespaces = results.iter().filter(|r| r.shared).count();
    let summary = Summary {
        specs: results.len() - shared_namespaces,
        shared_namespaces,
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
                    "check: {} in sync, {} drifted, {} with errors ({} spec{}{})",
                    summary.in_sync,
                    summary.drifted,
                    summary.errors,
                    summary.specs,
                    if summary.specs == 1 { "" } else { "s" },
                    match summary.shared_namespaces {
                        0 => String::new(),
                        1 => ", 1 shared namespace".to_string(),
                        n => format!(", {n} shared namespaces"),
                    }
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

/// `harden check --live DUMP`: the objects the specs of `paths` render,
/// compared with a dump of the live cluster ([`crate::live`]). Exit 0 in
/// sync, 1 on drift, 2 when the dump or a spec cannot be read.
pub fn run_live(
    paths: &[PathBuf],
    dump: &Path,
    format: Format,
    quiet: bool,
    templates_dir: Option<&Path>,
    stdout: &mut dyn Write,
) -> Result<Status, Error> {
    let dump = crate::live::Dump::read(dump)?;
    let rendered = crate::live::render_scope(paths, templates_dir)?;
    let report = crate::live::compare(&rendered, &dump);
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *stdout, &report)
                .map_err(|e| Error::Internal(format!("cannot write JSON: {e}")))?;
            writeln!(stdout)?;
        }
        Format::Text => write!(stdout, "{}", crate::live::text(&report, quiet))?,
    }
    Ok(if report.in_sync() {
        Status::Clean
    } else {
        Status::Findings
    })
}
