//! Kubernetes objects as read from YAML: files of one or more documents,
//! each document kept with the file it came from, the line it starts on and
//! a location index so a finding can point at the offending field, and the
//! items of a `List` as objects of their own.
//!
//! The API for readers (the audit, the render self-check, a live-cluster
//! comparison, an admission guard):
//! - [`Manifest::parse_all`] parses a whole text (every document);
//!   [`documents`] and [`read_documents`] split a stream without parsing it
//!   (one document in memory at a time) and [`parse_document`] parses one
//!   chunk keeping the file's line numbers.
//! - [`Object::all_of`] turns a manifest into its objects (a `*List`'s
//!   items, or the manifest itself); each answers its kind, name, namespace
//!   (`None` for cluster-scoped kinds), `Kind/namespace/name` and the line
//!   of any field path.

use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use crate::objects::value::At;
use crate::platform::admission;
use crate::yaml::{Locations, Position};

/// One Kubernetes object read from a file (or built and written by harden,
/// [`Manifest::written`]).
#[derive(Debug, Clone)]
pub struct Manifest {
    pub file: String,
    /// Line of the document's first line in the file (1-based).
    pub start_line: usize,
    /// Shared, so that the objects harden wrote itself are handed to each
    /// reader without a copy of their tree.
    pub document: Arc<Value>,
    locations: Arc<Locations>,
}

impl Manifest {
    /// Builds a manifest from an in-memory document (the render self-check).
    pub fn parse_all(file: &str, text: &str) -> Result<Vec<Manifest>, String> {
        Manifest::parse_from(file, crate::yaml::manifests(text))
    }

    /// An object harden built and wrote itself (the admission guard's), as
    /// the writer placed it: `document` starts on `start_line` of `file` and
    /// `locations` counts lines from there, as a parsed manifest's do.
    pub fn written(
        file: &str,
        start_line: usize,
        document: Value,
        locations: Locations,
    ) -> Manifest {
        Manifest {
            file: file.to_string(),
            start_line,
            document: Arc::new(document),
            locations: Arc::new(locations),
        }
    }

    fn parse_from(
        file: &str,
        documents: crate::yaml::Manifests<'_>,
    ) -> Result<Vec<Manifest>, String> {
        let mut manifests = Vec::new();
        for document in documents {
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
                document: Arc::new(document.value),
                // `line_of` counts lines from the document's start.
                locations: Arc::new(document.locations.relative_to(document.start_line)),
            });
        }
        Ok(manifests)
    }

    /// The object's tree, for a caller that keeps it (copied only when
    /// another reader still shares it).
    pub fn into_document(self) -> Value {
        Arc::unwrap_or_clone(self.document)
    }

    pub fn kind(&self) -> &str {
        self.document
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    pub fn name(&self) -> &str {
        self.document
            .at("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// The object's namespace; `default` when unset, none for cluster-scoped kinds.
    pub fn namespace(&self) -> Option<&str> {
        namespace_of(&self.document)
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

/// One Kubernetes object as the audit sees it: a whole document, or one
/// item of a `kind: List` (or any `*List` kind with `items`, e.g. RoleList),
/// located at its own lines.
pub struct Object<'a> {
    pub manifest: &'a Manifest,
    /// `""`, or `items[3].` for an item of a list.
    pub prefix: String,
    pub document: &'a Value,
}

impl<'a> Object<'a> {
    /// The objects of `manifest`: its list items, or itself.
    pub fn all_of(manifest: &'a Manifest) -> Vec<Object<'a>> {
        match list_items(&manifest.document) {
            Some(items) => items
                .iter()
                .enumerate()
                .filter(|(_, item)| item.is_object())
                .map(|(i, document)| Object {
                    manifest,
                    prefix: format!("items[{i}]."),
                    document,
                })
                .collect(),
            None => vec![Object {
                manifest,
                prefix: String::new(),
                document: &manifest.document,
            }],
        }
    }

    pub fn file(&self) -> &'a str {
        &self.manifest.file
    }

    pub fn kind(&self) -> &'a str {
        self.document
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    pub fn name(&self) -> &'a str {
        self.document
            .at("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// The object's namespace; `default` when unset, none for cluster-scoped kinds.
    pub fn namespace(&self) -> Option<&'a str> {
        namespace_of(self.document)
    }

    /// `Kind/namespace/name`, or `Kind/name` for cluster-scoped objects.
    pub fn resource(&self) -> String {
        match self.namespace() {
            Some(namespace) => format!("{}/{namespace}/{}", self.kind(), self.name()),
            None => format!("{}/{}", self.kind(), self.name()),
        }
    }

    /// The line of `path` inside this object (`""`: its first line).
    pub fn line_of(&self, path: &str) -> usize {
        if self.prefix.is_empty() {
            return self.manifest.line_of(path);
        }
        let item = &self.prefix[..self.prefix.len() - 1];
        if path.is_empty() {
            self.manifest.line_of(item)
        } else {
            self.manifest.line_of(&format!("{}{path}", self.prefix))
        }
    }
}

/// The items of a `kind: List` (or any `*List` kind with `items`, e.g.
/// RoleList), when `document` is one.
pub fn list_items(document: &Value) -> Option<&Vec<Value>> {
    document
        .get("kind")
        .and_then(Value::as_str)
        .is_some_and(|kind| kind.ends_with("List"))
        .then(|| document.get("items").and_then(Value::as_array))
        .flatten()
}

/// The objects a parsed document holds: a list's items (mappings only),
/// or the document itself.
pub fn objects_in(document: &Value) -> Vec<&Value> {
    match list_items(document) {
        Some(items) => items.iter().filter(|item| item.is_object()).collect(),
        None => vec![document],
    }
}

/// Cluster-scoped kinds: no namespace.
const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PersistentVolume",
    "StorageClass",
    "PriorityClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "APIService",
    "IngressClass",
    "RuntimeClass",
    "Node",
    // sigstore policy-controller v0.15.1 config/300-clusterimagepolicy.yaml
    // (scope: Cluster).
    "ClusterImagePolicy",
    // admissionregistration.k8s.io: `NamespaceScoped() bool { return false }`
    // in kubernetes `pkg/registry/admissionregistration/validatingadmissionpolicy/strategy.go`
    // and `.../validatingadmissionpolicybinding/strategy.go` (the admission
    // guard's kinds).
    admission::POLICY_KIND,
    admission::BINDING_KIND,
];

fn namespace_of(document: &Value) -> Option<&str> {
    let kind = document
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if CLUSTER_SCOPED.contains(&kind) {
        return None;
    }
    Some(
        document
            .at("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or("default"),
    )
}

/// Whether a line (without its line break) ends one document and starts
/// the next: `---` (alone or followed by a space or tab) or `...`.
fn is_separator(bare: &str) -> bool {
    bare == "---" || bare.starts_with("--- ") || bare == "..." || bare.starts_with("---\t")
}

/// Calls `each` with the documents of `file` (`shown` names it in errors),
/// exactly as [`documents`] splits the file's text, but reading one line at
/// a time: only the current document is in memory, never the whole file.
pub fn read_documents(
    file: &Path,
    shown: &str,
    mut each: impl FnMut(usize, &str),
) -> Result<(), String> {
    use std::io::BufRead;
    let error = |e: std::io::Error| format!("cannot read {shown}: {e}");
    let mut reader =
        std::io::BufReader::with_capacity(1 << 16, std::fs::File::open(file).map_err(error)?);
    let (mut line, mut document) = (String::new(), String::new());
    let (mut line_number, mut start_line) = (0, 1);
    loop {
        line.clear();
        if reader.read_line(&mut line).map_err(error)? == 0 {
            break;
        }
        line_number += 1;
        let text = match line_number {
            1 => line.strip_prefix('\u{feff}').unwrap_or(&line),
            _ => &line,
        };
        if is_separator(text.trim_end_matches(['\n', '\r'])) {
            if !document.trim().is_empty() {
                each(start_line, &document);
            }
            document.clear();
            start_line = line_number + 1;
        } else {
            document.push_str(text);
        }
    }
    if !document.trim().is_empty() {
        each(start_line, &document);
    }
    Ok(())
}

/// The documents of a YAML stream, each with the line it starts on (1-based)
/// and its text, borrowed: the audit parses one document at a time so a
/// large file never has all its objects in memory at once. `---` at the
/// start of a line cannot occur inside a document's content (YAML 1.2.2,
/// 9.1.4 "Document markers"), so splitting there is safe.
pub fn documents(text: &str) -> Vec<(usize, &str)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut documents = Vec::new();
    let mut start = 0;
    let mut start_line = 1;
    let mut offset = 0;
    let mut line_number = 0;
    for line in text.split_inclusive('\n') {
        line_number += 1;
        if is_separator(line.trim_end_matches(['\n', '\r'])) {
            if !text[start..offset].trim().is_empty() {
                documents.push((start_line, &text[start..offset]));
            }
            start = offset + line.len();
            start_line = line_number + 1;
        }
        offset += line.len();
    }
    if !text[start..].trim().is_empty() {
        documents.push((start_line, &text[start..]));
    }
    documents
}

/// Parses one document of a file as [`Manifest::parse_all`] does (but
/// a CustomResourceDefinition's schemas are only checked, see
/// [`crate::yaml::manifests_lean`]), keeping the file's line numbers:
/// `start_line` is the document's first line.
pub fn parse_document(
    file: &str,
    start_line: usize,
    text: &str,
) -> Result<Vec<Manifest>, ParseError> {
    match Manifest::parse_from(file, crate::yaml::manifests_lean(text)) {
        Ok(mut manifests) => {
            for manifest in &mut manifests {
                manifest.start_line += start_line - 1;
            }
            Ok(manifests)
        }
        Err(error) => Err(ParseError::from_message(file, start_line, &error)),
    }
}

/// A document that could not be parsed: the parser's line (in the file)
/// and message.
#[derive(Debug, Clone)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl ParseError {
    /// Reads `file:line: message` (the form of parse_all's errors),
    /// shifting the line by the document's start.
    fn from_message(file: &str, start_line: usize, error: &str) -> ParseError {
        let rest = error
            .strip_prefix(file)
            .and_then(|r| r.strip_prefix(':'))
            .unwrap_or(error);
        let (line, message) = match rest.split_once(':') {
            Some((line, message)) if line.trim().parse::<usize>().is_ok() => (
                line.trim().parse::<usize>().unwrap_or(1),
                message.trim().to_string(),
            ),
            _ => (1, rest.trim().to_string()),
        };
        ParseError {
            line: line + start_line - 1,
            message,
        }
    }
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

    /// The line reader splits a file exactly as [`documents`] splits its
    /// text: BOM, CRLF, `...`, `--- ` with content, blank documents, no
    /// final line break.
    #[test]
    fn read_documents_splits_as_documents_does() {
        let texts = [
            "\u{feff}kind: A\r\n---\r\nkind: B\r\n",
            "# header\n---\nkind: A\n...\n\n---\t# c\nkind: B\n--- \n  \n---\nkind: C",
            "---\n---\n",
            "kind: A\n----\nkind: B\n",
            "",
        ];
        let dir = tempfile::tempdir().unwrap();
        for (i, text) in texts.iter().enumerate() {
            let path = dir.path().join(format!("{i}.yaml"));
            std::fs::write(&path, text).unwrap();
            let mut read = Vec::new();
            read_documents(&path, "f.yaml", |line, document| {
                read.push((line, document.to_string()))
            })
            .unwrap();
            let split: Vec<(usize, String)> = documents(text)
                .into_iter()
                .map(|(line, document)| (line, document.to_string()))
                .collect();
            assert_eq!(read, split, "{text:?}");
        }
        let missing = read_documents(&dir.path().join("none.yaml"), "none.yaml", |_, _| {});
        assert!(missing.unwrap_err().starts_with("cannot read none.yaml: "));
    }

    /// The admission guard's policy and binding are cluster-scoped: no reader
    /// may put them in a namespace (`default` or the one a stray
    /// `metadata.namespace` names).
    #[test]
    fn admission_policies_and_their_bindings_have_no_namespace() {
        for kind in [
            "ValidatingAdmissionPolicy",
            "ValidatingAdmissionPolicyBinding",
        ] {
            let text = format!(
                "apiVersion: admissionregistration.k8s.io/v1\nkind: {kind}\nmetadata:\n  name: guard\n---\napiVersion: admissionregistration.k8s.io/v1\nkind: {kind}\nmetadata:\n  name: guard\n  namespace: shop\n"
            );
            for manifest in Manifest::parse_all("f.yaml", &text).unwrap() {
                assert_eq!(manifest.namespace(), None, "{kind}");
                for object in Object::all_of(&manifest) {
                    assert_eq!(object.namespace(), None, "{kind}");
                }
            }
        }
    }

    #[test]
    fn invalid_yaml_names_file_and_line() {
        let error = Manifest::parse_all("f.yaml", "kind: A\n---\nkind: [B\n").unwrap_err();
        assert!(error.starts_with("f.yaml:"), "{error}");
    }
}
