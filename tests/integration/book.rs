//! The book (`docs/book/`) and the README stay true to the code: the field
//! reference is generated from the spec's schema and must be current, every
//! audit rule id is documented, and every relative link resolves.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn book() -> PathBuf {
    root().join("docs/book")
}

/// The field reference of the spec, from its schema (with descriptions):
/// one row per field path, in the schema's order.
fn field_reference() -> String {
    let schema = harden::spec::documented_schema();
    let mut rows = Vec::new();
    walk(schema, schema, "", 0, &mut rows);
    let mut out = String::from(
        "# The spec's fields\n\n\
         Generated from the spec's JSON Schema (`harden schema`, derived from the\n\
         types in `src/spec.rs`): every field, its type and what it means. A test\n\
         fails when this page is not the one the schema gives; refresh it with\n\
         `HARDEN_UPDATE_DOCS=1 cargo test --test integration book::`.\n\
         The rules behind each field: [The spec](spec.md).\n\n\
         | Field | Type | Meaning |\n| --- | --- | --- |\n",
    );
    for (path, kind, description) in rows {
        out.push_str(&format!("| `{path}` | {kind} | {description} |\n"));
    }
    out.push_str("\n[The book](README.md) · [README](../../README.md)\n");
    out
}

fn kind_of(root: &serde_json::Value, node: &serde_json::Value) -> String {
    let node = harden::spec::resolve_schema(root, node);
    if let Some(values) = node.get("enum").and_then(|e| e.as_array()) {
        let names: Vec<String> = values
            .iter()
            .filter_map(|v| v.as_str().map(|s| format!("`{s}`")))
            .collect();
        return format!("one of {}", names.join(", "));
    }
    match node.get("type") {
        Some(serde_json::Value::String(t)) => t.clone(),
        Some(serde_json::Value::Array(types)) => types
            .iter()
            .filter_map(|t| t.as_str())
            .filter(|t| *t != "null")
            .collect::<Vec<_>>()
            .join(" or "),
        _ if node.get("oneOf").is_some() || node.get("anyOf").is_some() => {
            "one of several forms".into()
        }
        _ => "any".into(),
    }
}

fn cell(text: &str) -> String {
    text.split("\n\n")
        .next()
        .unwrap_or_default()
        .replace('\n', " ")
        .replace('|', "\\|")
        .trim()
        .to_string()
}

fn walk(
    root: &serde_json::Value,
    node: &serde_json::Value,
    prefix: &str,
    depth: usize,
    rows: &mut Vec<(String, String, String)>,
) {
    if depth > 8 {
        return;
    }
    let node = harden::spec::resolve_schema(root, node);
    let Some(properties) = node.get("properties").and_then(|p| p.as_object()) else {
        return;
    };
    for (name, field) in properties {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        let description = field
            .get("description")
            .or_else(|| harden::spec::resolve_schema(root, field).get("description"))
            .and_then(|d| d.as_str())
            .map(cell)
            .unwrap_or_default();
        rows.push((path.clone(), kind_of(root, field), description));
        let resolved = harden::spec::resolve_schema(root, field);
        match resolved.get("type").and_then(|t| t.as_str()) {
            Some("array") => {
                if let Some(items) = resolved.get("items") {
                    walk(root, items, &format!("{path}[]"), depth + 1, rows);
                }
            }
            _ => walk(root, resolved, &path, depth + 1, rows),
        }
    }
}

#[test]
fn the_field_reference_is_the_one_the_schema_gives() {
    let path = book().join("spec-fields.md");
    let expected = field_reference();
    if std::env::var_os("HARDEN_UPDATE_DOCS").is_some() {
        fs::write(&path, &expected).unwrap();
    }
    let committed = fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == expected,
        "docs/book/spec-fields.md is not the schema's: refresh it with HARDEN_UPDATE_DOCS=1 cargo test --test integration book::"
    );
    // Every field of the schema has a row, and a meaning.
    let undocumented: Vec<&str> = expected
        .lines()
        .filter(|l| l.starts_with("| `"))
        .filter(|l| l.rsplit('|').nth(1).unwrap_or_default().trim().is_empty())
        .collect();
    assert!(
        undocumented.is_empty(),
        "fields without a description (a doc comment in src/spec.rs):\n{}",
        undocumented.join("\n")
    );
    assert!(expected.contains("| `app.name` |"), "{expected}");
    assert!(expected.contains("| `egress[].hosts` |"), "{expected}");
}

/// The audit's rule catalogue, from the rules themselves.
fn rule_reference() -> String {
    let word = |value: serde_json::Value| value.as_str().unwrap_or_default().to_string();
    let mut out = String::from(
        "# The audit's rules\n\n\
         Generated from the rules `harden audit` runs (`src/audit/`): each rule's\n\
         stable id, family (`--only`), severity (`--fail-on`), the capstone control\n\
         it belongs to, what it finds and its generic fix (findings usually carry a\n\
         more specific one). A test fails when this page is not the catalogue's;\n\
         refresh it with `HARDEN_UPDATE_DOCS=1 cargo test --test integration book::`.\n\
         How to run the audit, waive a finding and read its output:\n\
         [Commands](commands.md#offline-audit).\n\n\
         | Rule | Family | Severity | Control | Finds | Fix |\n| --- | --- | --- | --- | --- | --- |\n",
    );
    for rule in harden::audit::rules::catalogue() {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} |\n",
            rule.id,
            word(serde_json::to_value(rule.family).unwrap()),
            word(serde_json::to_value(rule.severity).unwrap()),
            rule.control.map(|c| format!("C{c}")).unwrap_or_default(),
            cell(rule.title),
            cell(rule.fix),
        ));
    }
    out.push_str("\n[The book](README.md) · [README](../../README.md)\n");
    out
}

#[test]
fn the_rule_reference_is_the_catalogue() {
    let path = book().join("audit-rules.md");
    let expected = rule_reference();
    if std::env::var_os("HARDEN_UPDATE_DOCS").is_some() {
        fs::write(&path, &expected).unwrap();
    }
    let committed = fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == expected,
        "docs/book/audit-rules.md is not the catalogue: refresh it with HARDEN_UPDATE_DOCS=1 cargo test --test integration book::"
    );
}

#[test]
fn every_audit_rule_is_documented_in_the_book() {
    let text: String = fs::read_dir(book())
        .unwrap()
        .map(|e| fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    let missing: Vec<&str> = harden::audit::rules::catalogue()
        .iter()
        .map(|rule| rule.id)
        .filter(|id| !text.contains(&format!("`{id}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "rules not documented in docs/book/: {missing:?}"
    );
}

/// Markdown headings of `text` as GitHub anchors.
fn anchors(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| l.starts_with('#'))
        .map(|l| {
            l.trim_start_matches('#')
                .trim()
                .to_lowercase()
                .chars()
                .filter(|c| c.is_alphanumeric() || *c == '-' || *c == ' ' || *c == '_')
                .collect::<String>()
                .replace(' ', "-")
        })
        .collect()
}

#[test]
fn every_relative_link_of_the_readme_and_the_book_resolves() {
    let mut pages: Vec<PathBuf> = vec![root().join("README.md")];
    pages.extend(
        fs::read_dir(book())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "md")),
    );
    let mut checked = 0;
    let mut broken = Vec::new();
    for page in &pages {
        let text = fs::read_to_string(page).unwrap();
        let mut rest = text.as_str();
        while let Some(start) = rest.find("](") {
            rest = &rest[start + 2..];
            let Some(end) = rest.find(')') else { break };
            let target = &rest[..end];
            rest = &rest[end..];
            if target.contains("://") || target.starts_with("mailto:") || target.contains(' ') {
                continue;
            }
            let (file, anchor) = target.split_once('#').unwrap_or((target, ""));
            let file: &Path = if file.is_empty() {
                page.as_path()
            } else {
                &page.parent().unwrap().join(file)
            };
            checked += 1;
            if !file.exists() {
                broken.push(format!("{}: {target}", page.display()));
                continue;
            }
            if !anchor.is_empty() && file.is_file() {
                let text = fs::read_to_string(file).unwrap_or_default();
                if !anchors(&text).contains(anchor) {
                    broken.push(format!("{}: {target} (no such heading)", page.display()));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    assert!(checked > 30, "only {checked} links checked");
}
