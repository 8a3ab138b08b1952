//! The files `harden audit` reads: files and directories (searched for
//! YAML and JSON, the waiver file and kustomizations left out). Parsing
//! them into objects is [`crate::objects`]'s.

use std::path::{Path, PathBuf};

pub use crate::objects::{Manifest, Object, ParseError, documents, parse_document, read_documents};

/// A file to audit: its name as shown and its text.
pub struct Source {
    pub shown: String,
    pub text: String,
}

/// Finds the files under `paths` (files, or directories searched
/// recursively for `.yaml`, `.yml` and `.json`), sorted.
pub fn files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            collect(path, &mut files)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            return Err(format!(
                "{} does not exist",
                crate::load::display_path(path)
            ));
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

/// Reads one file.
pub fn read(file: &Path) -> Result<Source, String> {
    let shown = crate::load::display_path(file);
    let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read {shown}: {e}"))?;
    Ok(Source { shown, text })
}

/// Reads every manifest under `paths` at once (the render self-check and
/// tests; `harden audit` streams instead).
pub fn load(paths: &[PathBuf]) -> Result<Vec<Manifest>, String> {
    let mut manifests = Vec::new();
    for file in files(paths)? {
        let source = read(&file)?;
        manifests.extend(Manifest::parse_all(&source.shown, &source.text)?);
    }
    Ok(manifests)
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if path.is_dir() {
            if !name.starts_with('.') {
                collect(&path, files)?;
            }
        } else if (name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".json"))
            && name != "kustomization.yaml"
            && name != super::waivers::DEFAULT_FILE
        {
            files.push(path);
        }
    }
    Ok(())
}
