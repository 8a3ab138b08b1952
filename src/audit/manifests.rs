//! Reading manifests for the audit: files, directories and multi-document
//! YAML, each document kept with the file it came from, the line it starts
//! on, and a location index so findings can point at the offending field.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::yaml::{Locations, Position};

/// One Kubernetes object read from a file.
#[derive(Debug)]
pub struct Manifest {
    pub file: String,
    /// Line of the document's first line in the file (1-based).
    pub start_line: usize,
    pub document: Value,
    locations: Locations,
}

impl Manifest {
    /// Builds a manifest from an in-memory document (the render self-check).
    pub fn parse_all(file: &str, text: &str) -> Result<Vec<Manifest>, String> {
        let mut manifests = Vec::new();
        for document in crate::yaml::manifests(text) {
            let document = document.map_err(|error| match error.position {
                Some(p) => format!(
                    "{file}:{}:{}: invalid YAML: {}",
                    p.line, p.column, error.message
                ),
                None => format!("{file}: invalid YAML: {}", error.message),
            })?;
            if !document.value.is_object() {
                return Err(format!(
                    "{file}:{}: not a Kubernetes object",
                    document.start_line
                ));
            }
            manifests.push(Manifest {
                file: file.to_string(),
                start_line: document.start_line,
                document: document.value,
                // `line_of` counts lines from the document's start.
                locations: document.locations.relative_to(document.start_line),
            });
        }
        Ok(manifests)
    }

    pub fn kind(&self) -> &str {
        self.document
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    pub fn name(&self) -> &str {
        self.document
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// The object's namespace; `default` when unset, none for cluster-scoped kinds.
    pub fn namespace(&self) -> Option<&str> {
        match self.kind() {
            "Namespace" | "ClusterRole" | "ClusterRoleBinding" | "CustomResourceDefinition" => None,
            _ => Some(
                self.document
                    .pointer("/metadata/namespace")
                    .and_then(Value::as_str)
                    .unwrap_or("default"),
            ),
        }
    }

    /// `Kind/namespace/name`, or `Kind/name` for cluster-scoped objects.
    pub fn resource(&self) -> String {
        match self.namespace() {
            Some(namespace) => format!("{}/{namespace}/{}", self.kind(), self.name()),
            None => format!("{}/{}", self.kind(), self.name()),
        }
    }

    /// The line of `path` (e.g. `spec.template.spec.containers[0]`) in the file.
    pub fn line_of(&self, path: &str) -> usize {
        match self.locations.find(path) {
            Some(Position { line, .. }) => line + self.start_line - 1,
            None => self.start_line,
        }
    }
}

/// Reads every manifest under `paths` (files, or directories searched
/// recursively for `.yaml`/`.yml`).
pub fn load(paths: &[PathBuf]) -> Result<Vec<Manifest>, String> {
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
    let mut manifests = Vec::new();
    for file in files {
        let shown = crate::load::display_path(&file);
        let text =
            std::fs::read_to_string(&file).map_err(|e| format!("cannot read {shown}: {e}"))?;
        manifests.extend(Manifest::parse_all(&shown, &text)?);
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
        } else if (name.ends_with(".yaml") || name.ends_with(".yml"))
            && name != "kustomization.yaml"
        {
            files.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_keep_their_lines() {
        let text = "# header\n---\nkind: A\nmetadata:\n  name: a\n---\n\nkind: B\nspec:\n  x: 1\n";
        let manifests = Manifest::parse_all("f.yaml", text).unwrap();
        assert_eq!(manifests.len(), 2);
        assert_eq!(manifests[0].kind(), "A");
        assert_eq!(manifests[0].line_of("metadata.name"), 5);
        assert_eq!(manifests[1].start_line, 8);
        assert_eq!(manifests[1].line_of("spec.x"), 10);
    }

    #[test]
    fn invalid_yaml_names_file_and_line() {
        let error = Manifest::parse_all("f.yaml", "kind: A\n---\nkind: [B\n").unwrap_err();
        assert!(error.starts_with("f.yaml:"), "{error}");
    }
}
