//! `validate`, `render` and `graph` over a set of specs compiled as one
//! system ([`crate::system`]): a directory, or several spec files.
//! `validate` and `render` given one spec file keep their single-spec
//! behaviour ([`is_system`] decides).

use std::io::Write;
use std::path::{Path, PathBuf};

use super::{Format, Status, check::discover, templates, verify};
use crate::error::Error;
use crate::load::display_path;
use crate::render;
use crate::system::{self, Severity, System, SystemProblem, graph};
use crate::write::{self, WriteError};

/// Whether `paths` are a system (a directory, or more than one path) rather
/// than one spec file.
pub fn is_system(paths: &[PathBuf]) -> bool {
    paths.len() > 1 || paths.iter().any(|p| p.is_dir())
}

/// The spec files of `paths`: directories searched for specs, files kept
/// as given (a missing one is reported when it is read).
fn spec_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            files.extend(discover(std::slice::from_ref(path))?);
        } else {
            files.push(path.clone());
        }
    }
    files.sort();
    files.dedup();
    if files.is_empty() {
        return Err(no_specs());
    }
    Ok(files)
}

/// Paths that hold no spec.
pub fn no_specs() -> Error {
    Error::Input("no harden specs found in the given paths".into())
}

fn print_problems(problems: &[SystemProblem], stderr: &mut dyn Write) -> std::io::Result<()> {
    for problem in problems {
        writeln!(stderr, "{problem}")?;
    }
    Ok(())
}

/// `N errors, M warnings in K specs`.
pub fn summary(problems: &[SystemProblem], specs: usize) -> String {
    let errors = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .count();
    let warnings = problems.len() - errors;
    format!(
        "{errors} error{}, {warnings} warning{} in {specs} spec{}",
        if errors == 1 { "" } else { "s" },
        if warnings == 1 { "" } else { "s" },
        if specs == 1 { "" } else { "s" }
    )
}

/// `harden validate DIR|SPEC...`: every spec, and the flows between them.
pub fn validate(
    paths: &[PathBuf],
    quiet: bool,
    format: Format,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<Status, Error> {
    let files = spec_files(paths)?;
    let (problems, status) = match system::compile(&files) {
        Ok(system) => (system.problems, Status::Clean),
        Err(problems) => (problems, Status::Error),
    };
    let shown: Vec<String> = files.iter().map(|f| display_path(f)).collect();
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
                writeln!(stderr, "{}", summary(&problems, files.len()))?;
            }
        }
    }
    Ok(status)
}

/// Whether `paths` all belong to one workspace with a workspace file.
pub fn in_workspace(paths: &[PathBuf]) -> bool {
    workspace_of(paths).is_some()
}

/// For `paths` (spec files or directories) that all belong to one workspace
/// with a workspace file (`harden.yaml`): every spec of that workspace (the
/// system to compile), and the specs `paths` name (the focus). `None`
/// otherwise: the paths are then their own system.
pub fn workspace_of(paths: &[PathBuf]) -> Option<(Vec<PathBuf>, Vec<PathBuf>)> {
    let workspace = crate::workspace::Workspace::for_path(paths.first()?).ok()?;
    let same = |path: &PathBuf| {
        crate::workspace::Workspace::for_path(path).is_ok_and(|w| w.root == workspace.root)
    };
    if !workspace.has_file() || !paths.iter().all(same) {
        return None;
    }
    let focus = discover(paths).ok()?;
    let mut all = discover(&workspace.spec_dirs()).ok()?;
    let known: Vec<PathBuf> = all.iter().filter_map(|f| f.canonicalize().ok()).collect();
    for spec in &focus {
        if !spec.canonicalize().is_ok_and(|c| known.contains(&c)) {
            all.push(spec.clone());
        }
    }
    Some((all, focus))
}

/// The indices of the services of `specs` in `system`.
pub fn services_of(system: &System, specs: &[PathBuf]) -> Vec<usize> {
    let wanted: Vec<PathBuf> = specs.iter().filter_map(|s| s.canonicalize().ok()).collect();
    (0..system.services.len())
        .filter(|&i| {
            system.services[i]
                .path
                .canonicalize()
                .is_ok_and(|p| wanted.contains(&p))
        })
        .collect()
}

/// `harden render DIR|SPEC...`: renders every spec of a valid system; nothing
/// is written unless every spec's output is valid and can be written. With
/// `focus`, `paths` are the specs of its workspace and only the focused
/// specs' outputs (and their shared namespaces') are rendered: a spec of a
/// workspace renders as the whole workspace would render it.
pub fn render(
    paths: &[PathBuf],
    focus: Option<&[PathBuf]>,
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
    let workspace = files
        .first()
        .and_then(|f| crate::workspace::Workspace::for_path(f).ok());
    let spec_exists = |id: &str| workspace.as_ref().is_none_or(|w| w.spec_exists(id));
    // `--templates`, else the workspace's own, as `check` and `diff` use.
    let templates = match &workspace {
        Some(workspace) => super::workspace_templates(workspace, templates_dir)?,
        None => templates(templates_dir)?,
    };
    let focus = focus.map(|specs| services_of(&system, specs));
    let (rendered, verdict) = render_system(&system, focus.as_deref(), &templates, stderr)
        .map_err(Error::nothing_written)?;
    if verdict != Status::Clean {
        writeln!(stderr, "nothing was written")?;
        return Ok(verdict);
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

/// One output directory of a system: a service's, or a shared namespace's.
pub struct Output {
    /// What it is rendered from, as shown: a spec file or `namespace NAME`.
    pub source: String,
    pub dir: PathBuf,
    pub files: Vec<render::GeneratedFile>,
}

/// Renders every output of `system` in memory: each shared namespace's, then
/// each service's, verified with its namespace's objects (its own audit and
/// flow proof must see the default deny that isolates it). With `focus`,
/// only those services' outputs and their namespaces'. The status is
/// [`Status::Findings`] when an output fails verification (its findings
/// printed on `stderr`): nothing may then be written. A template that
/// fails is an error.
pub fn render_system(
    system: &System,
    focus: Option<&[usize]>,
    templates: &crate::templates::Templates,
    stderr: &mut dyn Write,
) -> Result<(Vec<Output>, Status), Error> {
    let focused = |index: &usize| focus.is_none_or(|f| f.contains(index));
    let in_focus = |namespace: &str| {
        focus.is_none_or(|f| {
            f.iter()
                .any(|&i| system.services[i].namespace() == namespace)
        })
    };
    let mut outputs = Vec::new();
    let shared: Vec<&system::SharedOutput> = system
        .shared
        .iter()
        .filter(|s| in_focus(&s.namespace.namespace))
        .collect();
    for shared in &shared {
        outputs.push(Output {
            source: format!("namespace {}", shared.namespace.namespace),
            dir: shared.dir.clone(),
            files: render::render_namespace(&shared.namespace, templates)?,
        });
    }
    let mut worst = Status::Clean;
    for (_, service) in system
        .services
        .iter()
        .enumerate()
        .filter(|(i, _)| focused(i))
    {
        let files = render::render(&service.model, templates)?;
        let namespace_files = outputs
            .iter()
            .take(shared.len())
            .zip(&shared)
            .filter(|(_, shared)| shared.namespace.namespace == service.namespace())
            .flat_map(|(output, _)| {
                output.files.iter().map(|file| render::GeneratedFile {
                    name: format!(
                        "{}/{}",
                        service.model.shared_namespace.as_deref().unwrap_or("."),
                        file.name
                    ),
                    ..file.clone()
                })
            });
        let verified: Vec<render::GeneratedFile> =
            files.iter().cloned().chain(namespace_files).collect();
        let verdict = verify(&service.path, &service.model, &verified, templates, stderr)?;
        if verdict != Status::Clean {
            worst = worst.max_with(verdict);
            continue;
        }
        outputs.push(Output {
            source: service.file.clone(),
            dir: service.out_dir(),
            files,
        });
    }
    if worst == Status::Clean {
        worst = prove_together(system, &outputs, focus, templates, stderr)?;
    }
    Ok((outputs, worst))
}

/// The proof over the outputs together: one spec's policy must not void
/// another's Cilium DNS filter ([`crate::proof::prove_workspace`]). With
/// `focus`, the other services of the focused namespaces are rendered too
/// (not written), since the two ends may be in different outputs.
fn prove_together(
    system: &System,
    outputs: &[Output],
    focus: Option<&[usize]>,
    templates: &crate::templates::Templates,
    stderr: &mut dyn Write,
) -> Result<Status, Error> {
    let mut files: Vec<render::GeneratedFile> = outputs
        .iter()
        .flat_map(|o| o.files.iter().cloned())
        .collect();
    if let Some(focus) = focus {
        let namespaces: Vec<&str> = focus
            .iter()
            .map(|&i| system.services[i].namespace())
            .collect();
        for (index, service) in system.services.iter().enumerate() {
            if !focus.contains(&index) && namespaces.contains(&service.namespace()) {
                files.extend(render::render(&service.model, templates)?);
            }
        }
    }
    let mut documents = Vec::new();
    for file in files.iter().filter(|f| {
        f.name.ends_with(".yaml") && f.name != crate::platform::names::KUSTOMIZATION_FILE
    }) {
        let parsed = crate::yaml::parse_stream(&file.content).map_err(|e| {
            Error::Internal(format!("{}: {}", file.name, e.message)).nothing_written()
        })?;
        documents.extend(parsed);
    }
    let violations =
        crate::proof::prove_workspace(&documents.iter().collect::<Vec<_>>()).map_err(|bug| {
            Error::Internal(format!(
                "the rendered network policies cannot be evaluated: {bug}"
            ))
            .nothing_written()
        })?;
    if violations.is_empty() {
        return Ok(Status::Clean);
    }
    for violation in &violations {
        writeln!(stderr, "error: {violation}")?;
    }
    writeln!(
        stderr,
        "error: the rendered network policies of the workspace, taken together, void a Cilium DNS filter ({} allows)",
        violations.len()
    )?;
    Ok(Status::Findings)
}

/// `harden graph DIR|SPEC...`: draws the system. Exits 0 when every flow
/// is declared at both ends, 1 when blocked flows were drawn, 2 when a spec
/// is invalid on its own (nothing drawn).
pub fn graph(
    paths: &[PathBuf],
    format: graph::Format,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<Status, Error> {
    let files = spec_files(paths)?;
    let system: System = system::analyse(&files).map_err(|problems| Error::System {
        summary: summary(&problems, files.len()),
        problems,
    })?;
    write!(stdout, "{}", graph::draw(&system, format))?;
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
