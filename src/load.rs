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
    let file = display_path(path);
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Unreadable {
        file: file.clone(),
        source,
    })?;
    load_spec_text(&text, &file)
}

/// Validates spec text; `file` names it in messages and generated headers.
pub fn load_spec_text(text: &str, file: &str) -> Result<Model, LoadError> {
    let parsed = match yaml::parse_document::<Spec>(text) {
        Ok(parsed) => parsed,
        Err(error) => {
            let problem = Problem::new("", format!("not a valid spec document: {}", error.message))
                .help("fix the YAML syntax or the value's type at this position");
            return Err(LoadError::Invalid(SpecReport {
                file: file.to_string(),
                problems: vec![(error.position, problem)],
            }));
        }
    };
    validate::validate(&parsed.value, &parsed.unknown_fields, file)
        .map_err(|problems| LoadError::Invalid(SpecReport::new(file, problems, &parsed.locations)))
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
