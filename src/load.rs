//! Reading spec files: read, parse, validate, and report every problem with
//! the file, line and column, or hand back the resolved [`Model`].

use std::path::Path;

use crate::diagnostics::{Problem, SpecReport};
use crate::model::Model;
use crate::spec::Spec;
use crate::validate;
use crate::workspace::{self, Workspace, WorkspaceError};
use crate::yaml;

/// Why a spec file could not become a model.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("error: cannot read {file}: {source}")]
    Unreadable {
        file: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(SpecReport),
    /// The spec's path or workspace cannot be used (a path that carries
    /// control characters, an invalid `harden.yaml`); the message says what
    /// is wrong (and the fix on a `help:` line).
    #[error("error: {0}")]
    Path(String),
    /// The spec's workspace (its `harden.yaml`) cannot be used, or its path
    /// cannot name it in generated files.
    #[error(transparent)]
    Workspace(#[from] crate::workspace::WorkspaceError),
}

/// The largest spec file read: far above any real spec, far below what
/// could exhaust memory or time.
pub const MAX_SPEC_BYTES: u64 = 128 * 1024;

/// The workspace of `path` (a spec file, or a directory of specs), with the
/// cluster profile of its `harden.yaml` checked: every problem of it is
/// reported at once, naming the file and the field. Commands open
/// workspaces here, not with [`Workspace::for_path`], which reads the file
/// but does not validate the profile (validation is above it).
pub fn workspace(path: &Path) -> Result<Workspace, WorkspaceError> {
    checked(Workspace::for_path(path)?)
}

/// The workspace of the current directory, checked as [`workspace`] checks.
pub fn current_workspace() -> Result<Workspace, WorkspaceError> {
    checked(Workspace::current()?)
}

fn checked(workspace: Workspace) -> Result<Workspace, WorkspaceError> {
    let (_, problems) = validate::cluster::resolve(workspace.cluster());
    if problems.is_empty() {
        return Ok(workspace);
    }
    let shown = workspace::shown(&workspace.root.join(workspace::WORKSPACE_FILE));
    let listed: Vec<String> = problems
        .iter()
        .map(|p| {
            let help = p
                .help
                .as_deref()
                .map(|h| format!("\n  help: {h}"))
                .unwrap_or_default();
            format!("{shown}: {}: {}{help}", p.path, p.message)
        })
        .collect();
    Err(WorkspaceError(listed.join("\nerror: ")))
}

/// Loads and validates one spec file. Headers name it by its path relative
/// to its workspace root ([`Workspace::spec_id`]); messages name it as the
/// user can open it from the current directory.
pub fn load_spec(path: &Path) -> Result<Model, LoadError> {
    let workspace = workspace(path)?;
    load_spec_in(path, &workspace)
}

/// Loads one spec file of a known workspace.
pub fn load_spec_in(path: &Path, workspace: &Workspace) -> Result<Model, LoadError> {
    let file = workspace::shown(path);
    let id = workspace.spec_id(path)?;
    let text = read_spec_text(path, &file)?;
    load_spec_text_as(&text, &file, &id, workspace.cluster())
}

/// Reads a spec file for [`crate::system`]: the path as shown, the spec's id
/// for generated headers (relative to its workspace root), and its text.
pub fn read_spec(path: &Path) -> Result<(String, String, String), LoadError> {
    let workspace = workspace(path)?;
    let file = workspace::shown(path);
    let id = workspace.spec_id(path)?;
    let text = read_spec_text(path, &file)?;
    Ok((file, id, text))
}

/// Reads a spec file: a regular file, UTF-8, at most [`MAX_SPEC_BYTES`].
fn read_spec_text(path: &Path, file: &str) -> Result<String, LoadError> {
    let unreadable = |source| LoadError::Unreadable {
        file: file.to_string(),
        source,
    };
    let metadata = std::fs::metadata(path).map_err(unreadable)?;
    if metadata.is_dir() {
        return Err(LoadError::Path(format!(
            "{file} is a directory, not a spec file
  help: name a spec file (e.g. {file}/app.yaml), or use `harden check {file}` to check every spec in it"
        )));
    }
    if metadata.len() > MAX_SPEC_BYTES {
        return Err(LoadError::Path(format!(
            "{file} is {} bytes; a spec may be at most {MAX_SPEC_BYTES} bytes
  help: is this the right file? A spec is a short document",
            metadata.len()
        )));
    }
    let bytes = std::fs::read(path).map_err(unreadable)?;
    // A byte-order mark is accepted; UTF-16 and invalid UTF-8 are named.
    yaml::decode(file, bytes).map_err(|message| {
        // `decode` names the file; the report names it already.
        let message = message.replacen(&format!("{file} is "), "the file is ", 1);
        let message = match message.strip_prefix(&format!("{file}:")) {
            Some(rest) => rest.split_once(": ").map_or(rest, |(_, m)| m).to_string(),
            None => message,
        };
        whole_file_problem(file, message, "save the file as UTF-8")
    })
}

fn whole_file_problem(file: &str, message: String, help: &str) -> LoadError {
    LoadError::Invalid(SpecReport {
        file: file.to_string(),
        problems: vec![(None, Problem::new("", message).help(help))],
    })
}

/// Validates spec text; `file` names it in messages and generated headers.
pub fn load_spec_text(text: &str, file: &str) -> Result<Model, LoadError> {
    load_spec_text_as(text, file, file, None)
}

/// Validates spec text; `file` names it in messages, `id` in generated
/// headers (see [`Workspace::spec_id`]).
pub fn load_spec_text_as(
    text: &str,
    file: &str,
    id: &str,
    cluster: Option<&crate::spec::Cluster>,
) -> Result<Model, LoadError> {
    let parsed = parse_spec(text, file)?;
    validate_parsed(&parsed, file, id, cluster)
}

/// Parses spec text, keeping positions, without validating it (so that
/// [`crate::system`] can resolve references between specs first).
pub fn parse_spec(text: &str, file: &str) -> Result<yaml::Parsed<Spec>, LoadError> {
    if text.len() as u64 > MAX_SPEC_BYTES {
        return Err(LoadError::Path(format!(
            "{file} is {} bytes; a spec may be at most {MAX_SPEC_BYTES} bytes",
            text.len()
        )));
    }
    yaml::parse_document_against::<Spec, _>(text, || Ok(crate::spec::json_schema())).map_err(
        |error| {
            let problem = Problem::new("", format!("not a valid spec document: {}", error.message))
                .help("fix the YAML at this position");
            LoadError::Invalid(SpecReport {
                file: file.to_string(),
                problems: vec![(error.position, problem)],
            })
        },
    )
}

/// Validates a parsed spec, reporting its type errors and validation
/// problems together with their positions; `id` names the spec in
/// generated headers.
pub fn validate_parsed(
    parsed: &yaml::Parsed<Spec>,
    file: &str,
    id: &str,
    cluster: Option<&crate::spec::Cluster>,
) -> Result<Model, LoadError> {
    // Values of the wrong type were left out of the spec; `validate` checks
    // the rest, and both sets of problems are reported together.
    let mut problems: Vec<Problem> = parsed
        .type_errors
        .iter()
        .map(|error| Problem::new(&error.path, &error.message).help(&error.help))
        .collect();
    let model = match validate::validate_in(&parsed.value, &parsed.unknown_fields, id, cluster) {
        Ok(model) => Some(model),
        Err(found) => {
            for mut problem in found {
                problem.path = parsed.source_path(&problem.path);
                // A value left out for its type is not reported again as missing.
                let mistyped = parsed.type_errors.iter().any(|error| {
                    problem.path == error.path
                        || problem.path.starts_with(&format!("{}.", error.path))
                        || problem.path.starts_with(&format!("{}[", error.path))
                });
                if !mistyped {
                    problems.push(problem);
                }
            }
            None
        }
    };
    match model {
        Some(model) if problems.is_empty() => Ok(model),
        _ => Err(LoadError::Invalid(SpecReport::new(
            file,
            problems,
            &parsed.locations,
        ))),
    }
}

/// Where paths are shown: [`crate::quote::display_path`] (named here too
/// for the callers that still import it from `load`).
pub use crate::quote::display_path;
