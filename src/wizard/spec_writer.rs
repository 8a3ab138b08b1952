//! Writes a spec as commented YAML a reviewer can read, derived from the
//! spec's types: the fields in the order [`crate::spec`] declares them
//! (through serde and [`crate::yaml::write`]), a field left out where it
//! holds its schema default (`[]`, `false`, absent), and above each section
//! and each of its fields the first sentence of its documentation (the
//! field's doc comment, as the JSON Schema carries it). A new spec field is
//! written, in its place and explained, with no change here. Parsing the
//! output gives back the same spec (tested on every example spec and on
//! generated ones).

use crate::spec::{self, Spec};
use crate::yaml::write::{self as yaml_write, Ordered};

/// The spec as commented YAML. `schema` is the `$schema` path for editors.
pub fn write(spec: &Spec, schema: Option<&str>) -> String {
    let mut out = String::new();
    if let Some(schema) = schema {
        out.push_str(&format!("# yaml-language-server: $schema={schema}\n"));
    }
    let name = spec
        .app
        .as_ref()
        .and_then(|a| a.name.clone())
        .unwrap_or_default();
    out.push_str(&format!(
        "# Security spec for {name}, written by `harden init`. Review it, then run\n\
         # `harden render` on this file to generate the hardened manifests.\n"
    ));
    let root = spec::json_schema();
    let value = prune(Ordered::of(spec).unwrap_or(Ordered::Null), root, Some(root));
    out.push_str(&yaml_write::write(&value, &comment));
    out
}

/// `value` without what its schema `node` says is the default (absent,
/// `[]`, `{}`, `false`): writing it would say nothing.
fn prune(value: Ordered, root: &serde_json::Value, node: Option<&serde_json::Value>) -> Ordered {
    match value {
        Ordered::Map(entries) => Ordered::Map(
            entries
                .into_iter()
                .filter_map(|(key, value)| {
                    let field = node.and_then(|n| spec::schema_field(root, n, &key));
                    let default = field.and_then(|f| f.get("default"));
                    if value == Ordered::Null || default == Some(&value.to_json()) {
                        return None;
                    }
                    Some((key, prune(value, root, field)))
                })
                .collect(),
        ),
        Ordered::List(items) => {
            let item = node
                .map(|n| spec::resolve_schema(root, n))
                .and_then(|n| n.get("items"))
                .map(|n| spec::resolve_schema(root, n));
            Ordered::List(items.into_iter().map(|i| prune(i, root, item)).collect())
        }
        other => other,
    }
}

/// The comment above `path`: for a section (`workload`) and a section's
/// own field (`workload.image`), the first sentence of its description.
fn comment(path: &str) -> Option<String> {
    if path.contains('[') || path.matches('.').count() > 1 {
        return None;
    }
    if path == "apiVersion" || path == "kind" {
        return None;
    }
    let root = spec::documented_schema();
    let (parent, key) = path.rsplit_once('.').unwrap_or(("", path));
    let mut node = root;
    for key in parent.split('.').filter(|k| !k.is_empty()) {
        node = spec::schema_field(root, node, key)?;
    }
    // The field's own description (on the property), else its type's.
    let raw = spec::resolve_schema(root, node)
        .get("properties")
        .and_then(|p| p.get(key));
    let description = raw
        .and_then(|r| r.get("description"))
        .or_else(|| spec::schema_field(root, node, key)?.get("description"))?
        .as_str()?;
    Some(wrap(
        first_sentence(description),
        76 - 2 * path.matches('.').count(),
    ))
}

/// Text up to its first full stop that ends a sentence (not `e.g.`).
fn first_sentence(text: &str) -> &str {
    let mut from = 0;
    while let Some(i) = text[from..].find(". ") {
        let end = from + i;
        let word = text[..end].rsplit(' ').next().unwrap_or_default();
        if !matches!(word, "e.g" | "i.e" | "etc") {
            return &text[..=end];
        }
        from = end + 2;
    }
    text
}

/// `text` on lines of at most `width` characters (a longer word on its own).
fn wrap(text: &str, width: usize) -> String {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(line) if line.len() + 1 + word.len() <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_spec_round_trips() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let dirs = [root.join("specs"), root.join("examples/workspace/specs")];
        for entry in dirs.iter().flat_map(|d| std::fs::read_dir(d).unwrap()) {
            let path = entry.unwrap().path();
            let original =
                crate::yaml::parse_document::<Spec>(&std::fs::read_to_string(&path).unwrap())
                    .unwrap()
                    .value;
            let written = write(&original, Some("../schema/harden-spec.schema.json"));
            let parsed = crate::yaml::parse_document::<Spec>(&written)
                .unwrap_or_else(|e| panic!("{}: {e:?}\n{written}", path.display()));
            assert!(parsed.unknown_fields.is_empty());
            assert!(parsed.type_errors.is_empty(), "{:?}", parsed.type_errors);
            assert_eq!(
                parsed.value,
                original,
                "{} does not round-trip:\n{written}",
                path.display()
            );
        }
    }

    #[test]
    fn defaults_are_left_out_and_sections_explained() {
        let spec = Spec {
            app: Some(spec::App {
                name: Some("shop".into()),
                ..Default::default()
            }),
            workload: Some(spec::Workload {
                writable_paths: Some(Vec::new()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let written = write(&spec, None);
        assert!(!written.contains("compliance:"), "{written}");
        assert!(!written.contains("allowTagOnlyImage"), "{written}");
        // An empty list that is not the default is kept.
        assert!(written.contains("  writablePaths: []\n"), "{written}");
        assert!(
            written.contains("\n# The application: names, compliance context, Pod Security pin.\napp:\n  # The app's name: a DNS-1035 label"),
            "{written}"
        );
    }

    #[test]
    fn first_sentences() {
        assert_eq!(
            first_sentence("A pin, e.g. v1.33. More."),
            "A pin, e.g. v1.33."
        );
        assert_eq!(first_sentence("No stop"), "No stop");
        assert_eq!(wrap("a bb ccc", 4), "a bb\nccc");
    }
}
