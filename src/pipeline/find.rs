//! Which files are specs, and which specs are rendered together: a
//! directory is searched for specs (as `check` searches a repository), and
//! a spec of a workspace with a workspace file (`harden.yaml`) is rendered
//! as the whole workspace renders it.

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::load;
use crate::workspace::{WORKSPACE_FILE, shown};

/// Finds the specs named by `paths`: files as given, directories searched
/// recursively for YAML files whose `apiVersion` is harden's.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    let mut specs = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut specs)
                .map_err(|e| Error::Input(format!("cannot read {}: {e}", shown(path))))?;
        } else if path.exists() {
            specs.push(path.clone());
        } else {
            return Err(Error::Input(format!("{} does not exist", shown(path))));
        }
    }
    // The same file named twice (`specs/a.yaml` and `./specs/../specs/a.yaml`)
    // is checked once.
    let mut seen = std::collections::BTreeSet::new();
    specs.retain(|spec| seen.insert(spec.canonicalize().unwrap_or_else(|_| spec.clone())));
    specs.sort();
    Ok(specs)
}

/// Specs below `dir`: `.gitignore`d and hidden paths are skipped (the
/// `ignore` crate, as ripgrep walks), and so is a directory holding its own
/// `harden.yaml` below `dir`: a nested workspace is checked from its root.
fn walk(dir: &Path, specs: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let top = dir.to_path_buf();
    let walker = ignore::WalkBuilder::new(dir)
        .hidden(true)
        .require_git(false)
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(move |entry| {
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            let name = entry.file_name().to_string_lossy();
            !(is_dir
                && entry.path() != top
                && (name == "target"
                    || name == "node_modules"
                    || entry.path().join(WORKSPACE_FILE).is_file()))
        })
        .build();
    for entry in walker {
        let entry = entry.map_err(std::io::Error::other)?;
        let path = entry.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if entry.file_type().is_some_and(|t| t.is_file())
            && (name.ends_with(".yaml") || name.ends_with(".yml"))
            && is_spec(path)
        {
            specs.push(path.to_path_buf());
        }
    }
    Ok(())
}

/// A cheap test on the first lines: a spec declares harden's apiVersion.
pub fn is_spec(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|text| {
        text.lines().any(|line| {
            line.trim_start().starts_with("apiVersion: harden.dev/") && !line.starts_with(' ')
        })
    })
}

/// Whether `paths` are a system (a directory, or more than one path) rather
/// than one spec file.
pub fn is_system(paths: &[PathBuf]) -> bool {
    paths.len() > 1 || paths.iter().any(|p| p.is_dir())
}

/// The spec files of `paths`: directories searched for specs, files kept
/// as given (a missing one is reported when it is read).
pub fn spec_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
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

/// Whether `paths` all belong to one workspace with a workspace file.
pub fn in_workspace(paths: &[PathBuf]) -> bool {
    workspace_of(paths).is_some()
}

/// For `paths` (spec files or directories) that all belong to one workspace
/// with a workspace file (`harden.yaml`): every spec of that workspace (the
/// system to compile), and the specs `paths` name (the focus). `None`
/// otherwise: the paths are then their own system.
pub fn workspace_of(paths: &[PathBuf]) -> Option<(Vec<PathBuf>, Vec<PathBuf>)> {
    let workspace = load::workspace(paths.first()?).ok()?;
    let same = |path: &PathBuf| load::workspace(path).is_ok_and(|w| w.root == workspace.root);
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
