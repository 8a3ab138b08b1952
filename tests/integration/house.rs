//! The house drawn from its own imports, held as a test: no import circle
//! between two files of `src/` (a file that imports another file which,
//! directly or through others, imports it back), and none between the
//! top-level modules. A circle means two files cannot be read, tested or
//! moved apart; the issue that removed the last ones (guard <-> model, and
//! the wizard's question files around `Asker`) asks that it stays so.
//!
//! The reader is deliberately plain: it follows `crate::`, `super::` and
//! `self::` paths in the source outside comments and outside the test module
//! at the end of a file, and resolves each path to the longest module (file)
//! it names. A path to a type or function counts as an import of the file
//! that holds it.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// Every file of `src/` as its module path ("wizard::asker"), with its
/// source. `lib.rs` and `main.rs` are the root and left out.
fn modules() -> BTreeMap<String, String> {
    fn walk(dir: &Path, prefix: &[String], out: &mut BTreeMap<String, String>) {
        let mut entries: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                let mut inner = prefix.to_vec();
                inner.push(name);
                walk(&path, &inner, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let mut module = prefix.to_vec();
                if name != "mod" {
                    module.push(name);
                }
                if module.is_empty()
                    || (prefix.is_empty() && (module[0] == "lib" || module[0] == "main"))
                {
                    continue;
                }
                out.insert(module.join("::"), fs::read_to_string(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &[],
        &mut out,
    );
    out
}

/// The source without line comments and without the test module that
/// closes a file.
fn code(source: &str) -> String {
    let source = source.split("#[cfg(test)]").next().unwrap_or_default();
    source
        .lines()
        .map(|line| match line.find("//") {
            // A `//` inside a string ("https://") cuts the rest of the line:
            // it can only lose a path, and source paths are not in strings.
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The paths (`a::b::c`, relative to the crate root) that `code` of the
/// module `module` names, groups `{x, y}` expanded one level.
fn paths(module: &str, code: &str, is_dir_module: bool) -> Vec<Vec<String>> {
    let own: Vec<String> = module.split("::").map(str::to_string).collect();
    // `super` of a file `a/b.rs` is `a`; of `a/mod.rs` it is the root.
    let parent: Vec<String> = if is_dir_module {
        own[..own.len().saturating_sub(1)].to_vec()
    } else {
        own[..own.len() - 1].to_vec()
    };
    let bytes = code.as_bytes();
    let mut found = Vec::new();
    for (start, base) in [
        ("crate::", Vec::new()),
        ("super::", parent),
        ("self::", own.clone()),
    ] {
        let mut from = 0;
        while let Some(at) = code[from..].find(start) {
            let at = from + at;
            from = at + start.len();
            if at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_') {
                continue;
            }
            let rest = &code[from..];
            let head: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            let mut prefix = base.clone();
            prefix.extend(
                head.split("::")
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
            );
            let after = &rest[head.len()..];
            if (head.is_empty() || head.ends_with("::")) && after.starts_with('{') {
                let group = &after[1..after.find('}').unwrap_or(after.len())];
                for item in group.split(',') {
                    let item: String = item
                        .trim()
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
                        .collect();
                    let mut path = prefix.clone();
                    path.extend(
                        item.split("::")
                            .filter(|s| !s.is_empty())
                            .map(str::to_string),
                    );
                    found.push(path);
                }
            } else {
                found.push(prefix);
            }
        }
    }
    found
}

/// The longest module of `known` that `path` starts with.
fn resolve(path: &[String], known: &BTreeSet<String>) -> Option<String> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].join("::"))
        .find(|candidate| known.contains(candidate))
}

/// Which file imports which (`module -> modules`), without self-imports.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let modules = modules();
    let known: BTreeSet<String> = modules.keys().cloned().collect();
    let mut graph = BTreeMap::new();
    for (module, source) in &modules {
        let dir_module = root
            .join(module.replace("::", "/"))
            .join("mod.rs")
            .is_file();
        let targets: BTreeSet<String> = paths(module, &code(source), dir_module)
            .iter()
            .filter_map(|path| resolve(path, &known))
            .filter(|target| target != module)
            // A file may name its own submodules (`mod x;` and their
            // items); that is the tree, not an import back up.
            .filter(|target| !target.starts_with(&format!("{module}::")))
            .collect();
        graph.insert(module.clone(), targets);
    }
    graph
}

/// A circle of `graph` if there is one, as the modules along it.
fn circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(node.to_string(), 1);
        stack.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            match state.get(next.as_str()).copied().unwrap_or(0) {
                1 => {
                    let at = stack.iter().position(|m| m == next).unwrap();
                    let mut found = stack[at..].to_vec();
                    found.push(next.clone());
                    return Some(found);
                }
                0 => {
                    if let Some(found) = visit(next, graph, state, stack) {
                        return Some(found);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(node.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in graph.keys() {
        if state.get(node.as_str()).copied().unwrap_or(0) == 0
            && let Some(found) = visit(node, graph, &mut state, &mut Vec::new())
        {
            return Some(found);
        }
    }
    None
}

#[test]
fn no_import_circle_between_files() {
    let graph = graph();
    assert!(
        graph.len() > 100,
        "the reader found only {} files",
        graph.len()
    );
    assert!(
        graph["wizard"].contains("wizard::interview")
            || graph.values().any(|t| t.contains("model")),
        "the reader sees imports"
    );
    if let Some(found) = circle(&graph) {
        panic!(
            "an import circle between files of src/: {}",
            found.join(" -> ")
        );
    }
}

#[test]
fn no_import_circle_between_top_level_modules() {
    let mut top: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, targets) in graph() {
        let head = module.split("::").next().unwrap().to_string();
        let entry = top.entry(head.clone()).or_default();
        entry.extend(
            targets
                .iter()
                .map(|t| t.split("::").next().unwrap().to_string())
                .filter(|t| *t != head),
        );
    }
    assert!(
        top["commands"].contains("pipeline"),
        "the reader sees `commands -> pipeline`"
    );
    if let Some(found) = circle(&top) {
        panic!(
            "an import circle between top-level modules: {}",
            found.join(" -> ")
        );
    }
}

#[test]
fn the_reader_finds_a_circle_when_there_is_one() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    graph.insert("a".into(), ["b".to_string()].into());
    graph.insert("b".into(), ["c".to_string()].into());
    graph.insert("c".into(), ["a".to_string()].into());
    assert_eq!(circle(&graph).unwrap(), ["a", "b", "c", "a"]);
    let paths = paths(
        "wizard::dapr",
        "use super::{asker::Asker, name_of};\nlet x = crate::model::Model::new();",
        false,
    );
    assert_eq!(
        paths,
        [
            vec!["model".to_string(), "Model".into(), "new".into()],
            vec!["wizard".to_string(), "asker".into(), "Asker".into()],
            vec!["wizard".to_string(), "name_of".into()],
        ]
    );
}
