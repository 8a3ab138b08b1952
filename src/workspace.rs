//! The workspace a spec belongs to: its repository root, and the settings of
//! the optional workspace file `harden.yaml` there.
//!
//! One spec must render to the same bytes from anywhere: the generated
//! header names the spec by its path relative to the root (with `/`), and the
//! default output directory is `<root>/<output pattern>`, whatever the working
//! directory or the form of the path given (relative, absolute, `./`, `..`, a
//! symlink), with or without `.git` (a CI copy or a container build context
//! has none). The root is found by searching upward from the spec's own
//! directory for `harden.yaml` (up to the git top level, never above it);
//! without one, it follows from the spec's path alone ([`root_without_file`]):
//! the directory above the nearest `specs` directory holding the spec, else
//! the spec's own directory. Neither the current directory nor `.git` moves
//! it.
//!
//! Paths shown to the user are relative to the current directory where
//! possible, so that every command harden prints works when pasted.

use std::path::{Component, Path, PathBuf};

use serde::Deserialize;

use crate::quote::{forbidden_char, printable};

/// The workspace file's name, at the root.
pub const WORKSPACE_FILE: &str = "harden.yaml";
/// The directory name that marks where specs live when there is no
/// workspace file: its parent is the root ([`root_without_file`]).
pub const SPECS_DIR: &str = "specs";
/// Where a spec's files go by default; `{app}` is the app name.
pub const DEFAULT_OUTPUT: &str = "deploy/{app}";
/// Where the objects several specs share (a namespace's Namespace and its
/// default deny) go in a system; `{namespace}` is the namespace.
pub const DEFAULT_NAMESPACE_OUTPUT: &str = "deploy/namespaces/{namespace}";

/// The settings `harden.yaml` may hold.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(deny_unknown_fields)]
struct Config {
    /// Directories (relative to the root) that hold specs.
    #[serde(default)]
    specs: Vec<String>,
    /// Output directory pattern (relative to the root) with `{app}`.
    output: Option<String>,
    /// Output directory pattern (relative to the root) with `{namespace}`
    /// for a namespace several specs share.
    namespaces: Option<String>,
    /// A directory of custom templates (relative to the root).
    templates: Option<String>,
    /// The target cluster's profile, for every spec of the workspace (a
    /// spec's own `cluster` fields override it).
    cluster: Option<crate::spec::Cluster>,
    /// Which audit rules may be waived where (`harden audit`).
    waivers: Option<WaiverPolicy>,
}

/// `waivers:` of harden.yaml: the platform's say over waivers, so that a
/// manifest cannot silence the gate that judges it.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct WaiverPolicy {
    /// Rules (ids, or globs such as `hardening/*`) an object may waive on
    /// itself with the `harden.dev/waive` annotation; the others only in the
    /// waiver file. Default: every rule but Pod Security and critical ones.
    pub annotation: Option<Vec<String>>,
    /// Rules (ids or globs) that no waiver may accept.
    #[serde(default)]
    pub never: Vec<String>,
    /// Whether each waiver of the file must name its `owner`.
    #[serde(default)]
    pub owner: bool,
    /// The longest a waiver of the file may run, in days: `expires` is then
    /// required and at most this far from today.
    pub max_days: Option<u32>,
}

/// Why a workspace (its `harden.yaml`) or a spec path in it cannot be
/// used: what is wrong, and the fix on a `help:` line.
#[derive(Debug, thiserror::Error)]
#[error("error: {0}")]
pub struct WorkspaceError(pub String);

/// A spec's workspace.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The root, canonical.
    pub root: PathBuf,
    config: Config,
}

impl Workspace {
    /// The workspace of a spec file (or of a directory of specs).
    pub fn for_path(path: &Path) -> Result<Workspace, WorkspaceError> {
        let absolute = canonical(path)?;
        let start = if absolute.is_dir() {
            absolute.clone()
        } else {
            absolute
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| absolute.clone())
        };
        Workspace::from_dir(&start, root_without_file)
    }

    /// The workspace of the current directory (for `harden check` and
    /// `harden render` with no argument). Without `harden.yaml`, it is where
    /// specs are searched for: the git top level when there is one (so the
    /// whole repository is checked from any of its directories), else as
    /// for a spec. Each spec found still has the root of its own path.
    pub fn current() -> Result<Workspace, WorkspaceError> {
        let cwd = std::env::current_dir()
            .and_then(|d| d.canonicalize())
            .map_err(|e| WorkspaceError(format!("cannot read the current directory: {e}")))?;
        Workspace::from_dir(&cwd, |start| {
            git_top(start).unwrap_or_else(|| root_without_file(start))
        })
    }

    /// The workspace of the directory `start`: the nearest `harden.yaml`
    /// above it (up to the git top level, never above it: a file outside
    /// the repository must not change its output), else the root `without`
    /// gives.
    fn from_dir(
        start: &Path,
        without: impl Fn(&Path) -> PathBuf,
    ) -> Result<Workspace, WorkspaceError> {
        let git_top = git_top(start);
        if let Some(root) = upward(start, |dir| dir.join(WORKSPACE_FILE).is_file())
            && git_top.as_ref().is_none_or(|top| root.starts_with(top))
        {
            return Workspace::with_file(root);
        }
        Ok(Workspace {
            root: without(start),
            config: Config::default(),
        })
    }

    fn with_file(root: PathBuf) -> Result<Workspace, WorkspaceError> {
        let file = root.join(WORKSPACE_FILE);
        let shown = shown(&file);
        let text = std::fs::read_to_string(&file)
            .map_err(|e| WorkspaceError(format!("cannot read {shown}: {e}")))?;
        let config = if text.trim().is_empty() {
            Config::default()
        } else {
            let parsed = crate::yaml::parse_document::<Config>(&text).map_err(|e| {
                WorkspaceError(format!(
                    "{shown}{}: {}\n  help: the workspace file may set `specs` (a list of directories), `output` (e.g. \"deploy/{{app}}\"), `namespaces` (e.g. \"deploy/namespaces/{{namespace}}\"), `templates` (a directory) and `cluster` (the cluster profile)",
                    e.position.map(|p| format!(":{p}")).unwrap_or_default(),
                    e.message
                ))
            })?;
            if let Some(field) = parsed.unknown_fields.first() {
                return Err(WorkspaceError(format!(
                    "{shown}: unknown field '{field}'\n  help: the workspace file may set `specs`, `output`, `namespaces`, `templates` and `cluster`"
                )));
            }
            parsed.value
        };
        for (field, value) in config
            .specs
            .iter()
            .map(|s| ("specs", s))
            .chain(config.output.iter().map(|s| ("output", s)))
            .chain(config.namespaces.iter().map(|s| ("namespaces", s)))
            .chain(config.templates.iter().map(|s| ("templates", s)))
        {
            let path = Path::new(value);
            if value.is_empty()
                || path.is_absolute()
                || path.components().any(|c| matches!(c, Component::ParentDir))
            {
                return Err(WorkspaceError(format!(
                    "{shown}: {field}: {value:?} must be a relative path inside the workspace\n  help: write it relative to {shown}'s directory, without `..`"
                )));
            }
        }
        if let Some(output) = &config.output
            && !output.contains("{app}")
        {
            return Err(WorkspaceError(format!(
                "{shown}: output: {output:?} does not contain {{app}}\n  help: every app needs its own directory, e.g. \"deploy/{{app}}\""
            )));
        }
        if let Some(namespaces) = &config.namespaces
            && !namespaces.contains("{namespace}")
        {
            return Err(WorkspaceError(format!(
                "{shown}: namespaces: {namespaces:?} does not contain {{namespace}}\n  help: every shared namespace needs its own directory, e.g. \"deploy/namespaces/{{namespace}}\""
            )));
        }
        Ok(Workspace { root, config })
    }

    /// The workspace's cluster profile section (`cluster:` in
    /// `harden.yaml`) as written: its values are checked where the profile
    /// is resolved, by [`crate::load::workspace`], which opens a workspace
    /// for every command.
    pub fn cluster(&self) -> Option<&crate::spec::Cluster> {
        self.config.cluster.as_ref()
    }

    /// The waiver policy of `harden.yaml`, if it has one.
    pub fn waiver_policy(&self) -> Option<&WaiverPolicy> {
        self.config.waivers.as_ref()
    }

    /// How generated headers name `spec`: its path relative to the root with
    /// `/` separators. Refuses names that could carry anything but a path
    /// into a generated file.
    pub fn spec_id(&self, spec: &Path) -> Result<String, WorkspaceError> {
        let absolute = canonical(spec)?;
        let id = match absolute.strip_prefix(&self.root) {
            Ok(relative) => slash_path(relative),
            Err(_) => slash_path(&absolute),
        };
        check_spec_name(&id, spec)?;
        Ok(id)
    }

    /// The default output directory of an app.
    pub fn out_dir(&self, app: &str) -> PathBuf {
        let pattern = self.config.output.as_deref().unwrap_or(DEFAULT_OUTPUT);
        self.root.join(pattern.replace("{app}", app))
    }

    /// The output directory of a namespace several specs share.
    pub fn namespace_dir(&self, namespace: &str) -> PathBuf {
        let pattern = self
            .config
            .namespaces
            .as_deref()
            .unwrap_or(DEFAULT_NAMESPACE_OUTPUT);
        self.root.join(pattern.replace("{namespace}", namespace))
    }

    /// Whether the workspace has a workspace file (`harden.yaml`).
    pub fn has_file(&self) -> bool {
        self.root.join(WORKSPACE_FILE).is_file()
    }

    /// Where `harden check` with no argument looks for specs.
    pub fn spec_dirs(&self) -> Vec<PathBuf> {
        if self.config.specs.is_empty() {
            vec![self.root.clone()]
        } else {
            self.config
                .specs
                .iter()
                .map(|d| self.root.join(d))
                .collect()
        }
    }

    /// The workspace's custom template directory, if it sets one.
    pub fn templates_dir(&self) -> Option<PathBuf> {
        self.config.templates.as_ref().map(|d| self.root.join(d))
    }

    /// Whether the spec a generated header names (`id`, relative to the
    /// root or absolute) still exists. Output of a spec that is gone (moved
    /// with `git mv`, or deleted) may be taken over by another spec.
    pub fn spec_exists(&self, id: &str) -> bool {
        let path = Path::new(id);
        if path.is_absolute() {
            path.is_file()
        } else {
            self.root.join(path).is_file()
        }
    }
}

/// The root of a workspace without `harden.yaml`, from the (canonical)
/// directory `start` of a spec (or the directory given) alone: the parent of
/// the nearest directory named `specs` at or above `start` (`/r/specs/a.yaml`
/// and `/r/specs/team/b.yaml` have the root `/r`), else `start` itself. The
/// current directory and `.git` play no part, so the same spec gives the same
/// bytes from anywhere, in a clone or in a copy without `.git`.
fn root_without_file(start: &Path) -> PathBuf {
    start
        .ancestors()
        .find(|dir| dir.file_name().is_some_and(|name| name == SPECS_DIR))
        .and_then(Path::parent)
        .unwrap_or(start)
        .to_path_buf()
}

/// The canonical form of a path, or why it cannot be read.
fn canonical(path: &Path) -> Result<PathBuf, WorkspaceError> {
    path.canonicalize()
        .map_err(|e| WorkspaceError(format!("cannot read {}: {e}", shown(path))))
}

/// The git top level at or above `start` (`.git`, a directory or a file).
fn git_top(start: &Path) -> Option<PathBuf> {
    upward(start, |dir| dir.join(".git").exists())
}

fn upward(start: &Path, found: impl Fn(&Path) -> bool) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|dir| found(dir))
        .map(Path::to_path_buf)
}

fn slash_path(path: &Path) -> String {
    let parts: Vec<String> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
            Component::ParentDir => Some("..".to_string()),
            _ => None,
        })
        .collect();
    let joined = parts.join("/");
    if path.is_absolute() {
        format!("/{joined}")
    } else {
        joined
    }
}

/// Refuses a spec path that contains a [`forbidden_char`], or that is not
/// valid UTF-8.
pub fn check_spec_name(id: &str, spec: &Path) -> Result<(), WorkspaceError> {
    if spec.to_str().is_none() || id.contains('\u{fffd}') {
        return Err(WorkspaceError(format!(
            "the spec path {} is not valid UTF-8\n  help: rename the file (and its directories) to a plain name such as specs/app.yaml",
            printable(&spec.to_string_lossy())
        )));
    }
    if let Some((c, what)) = id.chars().find_map(|c| forbidden_char(c).map(|w| (c, w))) {
        return Err(WorkspaceError(format!(
            "the spec path {} contains {what} (U+{:04X}); it would reach the comments of generated files\n  help: rename the file (and its directories) to a plain name such as specs/app.yaml",
            printable(id),
            c as u32
        )));
    }
    Ok(())
}

/// The current directory, canonical, read once: harden never changes it,
/// and paths are shown relative to it thousands of times in a big system.
fn current_dir() -> Option<&'static PathBuf> {
    static CWD: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    CWD.get_or_init(|| std::env::current_dir().and_then(|d| d.canonicalize()).ok())
        .as_ref()
}

/// A path as shown to the user: relative to the current directory when
/// possible (with `..` when it is outside), so printed commands work when
/// pasted; otherwise as given.
pub fn shown(path: &Path) -> String {
    let Some(cwd) = current_dir() else {
        return printable(&path.to_string_lossy());
    };
    let absolute = if path.is_absolute() {
        normalise(path)
    } else {
        normalise(&cwd.join(path))
    };
    // Resolve symlinks of the part that exists, so /tmp and /private/tmp, or
    // a symlinked checkout, compare equal.
    let absolute = absolute.canonicalize().unwrap_or(absolute);
    let relative = relative_to(&absolute, cwd);
    let text = match relative {
        Some(r) if r.as_os_str().is_empty() => ".".to_string(),
        Some(r) => slash_path(&r),
        None => slash_path(&absolute),
    };
    printable(&text)
}

/// Removes `.` and resolves `..` lexically.
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// `path` relative to `base`, both absolute; `None` when they share no
/// more than the root (then the absolute path reads better).
fn relative_to(path: &Path, base: &Path) -> Option<PathBuf> {
    let path_parts: Vec<Component> = path.components().collect();
    let base_parts: Vec<Component> = base.components().collect();
    let common = path_parts
        .iter()
        .zip(&base_parts)
        .take_while(|(a, b)| a == b)
        .count();
    if common <= 1 && base_parts.len() > 1 {
        return None;
    }
    let mut relative = PathBuf::new();
    for _ in common..base_parts.len() {
        relative.push("..");
    }
    for part in &path_parts[common..] {
        relative.push(part);
    }
    Some(relative)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_climb_with_dot_dot() {
        assert_eq!(
            relative_to(Path::new("/r/deploy/a"), Path::new("/r/specs")),
            Some(PathBuf::from("../deploy/a"))
        );
        assert_eq!(
            relative_to(Path::new("/r/specs/a.yaml"), Path::new("/r")),
            Some(PathBuf::from("specs/a.yaml"))
        );
        assert_eq!(relative_to(Path::new("/x/a"), Path::new("/r/s")), None);
    }

    #[test]
    fn spec_names_with_forbidden_characters_are_refused() {
        let error = check_spec_name("a\n-->b", Path::new("a\n-->b"))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("U+000A") && error.contains("rename"),
            "{error}"
        );
    }
}
