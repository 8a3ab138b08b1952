//! Reading spec files: read, parse, validate, and report every problem with
//! the file, line and column, or hand back the resolved [`Model`].

use std::path::{Component, Path};

use crate::diagnostics::{Problem, SpecReport};
use crate::model::Model;
use crate::spec::Spec;
use crate::validate;
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
}

/// Loads and validates one spec file.
pub fn load_spec(path: &Path) -> Result<Model, LoadError> {
    let (file, text) = read_spec(path)?;
    load_spec_text(&text, &file)
}

/// Reads a spec file's text, refusing files too large to be a spec and
/// text that is not UTF-8; returns the path as shown and the text.
pub fn read_spec(path: &Path) -> Result<(String, String), LoadError> {
    let file = display_path(path);
    let unreadable = |source| LoadError::Unreadable {
        file: file.clone(),
        source,
    };
    // Refused before reading: a spec is small, a hostile file need not be.
    let size = std::fs::metadata(path).map_err(unreadable)?.len();
    if size > yaml::SPEC_MAX_BYTES as u64 {
        return Err(whole_file_problem(
            &file,
            format!("the file is {size} bytes; a spec is at most 1 MiB"),
            "is this the right file? a spec is a page or two of YAML",
        ));
    }
    let bytes = std::fs::read(path).map_err(unreadable)?;
    let text = yaml::decode(&file, bytes).map_err(|message| {
        // `decode` names the file; the report names it already.
        let message = message.replacen(&format!("{file} is "), "the file is ", 1);
        let message = match message.strip_prefix(&format!("{file}:")) {
            Some(rest) => rest.split_once(": ").map_or(rest, |(_, m)| m).to_string(),
            None => message,
        };
        whole_file_problem(&file, message, "save the file as UTF-8")
    })?;
    Ok((file, text))
}

fn whole_file_problem(file: &str, message: String, help: &str) -> LoadError {
    LoadError::Invalid(SpecReport {
        file: file.to_string(),
        problems: vec![(None, Problem::new("", message).help(help))],
    })
}

/// Validates spec text; `file` names it in messages and generated headers.
pub fn load_spec_text(text: &str, file: &str) -> Result<Model, LoadError> {
    let parsed = parse_spec(text, file)?;
    validate_parsed(&parsed, file)
}

/// Parses spec text, keeping positions, without validating it (so that
/// [`crate::system`] can resolve references between specs first).
pub fn parse_spec(text: &str, file: &str) -> Result<yaml::Parsed<Spec>, LoadError> {
    yaml::parse_document::<Spec>(text).map_err(|error| {
        let problem = Problem::new("", format!("not a valid spec document: {}", error.message))
            .help("fix the YAML at this position");
        LoadError::Invalid(SpecReport {
            file: file.to_string(),
            problems: vec![(error.position, problem)],
        })
    })
}

/// Validates a parsed spec, reporting its type errors and validation
/// problems together with their positions.
pub fn validate_parsed(parsed: &yaml::Parsed<Spec>, file: &str) -> Result<Model, LoadError> {
    // Values of the wrong type were left out of the spec; `validate` checks
    // the rest, and both sets of problems are reported together.
    let mut problems: Vec<Problem> = parsed
        .type_errors
        .iter()
        .map(|error| Problem::new(&error.path, &error.message).help(&error.help))
        .collect();
    let model = match validate::validate(&parsed.value, &parsed.unknown_fields, file) {
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

/// How a path is shown in messages and headers: relative paths without `./`,
/// with `/` separators, so `specs/a.yaml` and `./specs/a.yaml` render the same
/// bytes.
pub fn display_path(path: &Path) -> String {
    let parts: Vec<String> = path
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .map(|c| match c {
            Component::RootDir => String::new(),
            other => other.as_os_str().to_string_lossy().into_owned(),
        })
        .collect();
    let joined = parts.join("/");
    if path.is_absolute() && !joined.starts_with('/') {
        format!("/{joined}")
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_paths_are_normalised() {
        assert_eq!(display_path(Path::new("./specs/a.yaml")), "specs/a.yaml");
        assert_eq!(display_path(Path::new("specs/./a.yaml")), "specs/a.yaml");
        assert_eq!(display_path(Path::new("/tmp/a.yaml")), "/tmp/a.yaml");
    }
}
