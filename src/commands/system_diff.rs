//! `harden diff` on a system: the security impact of a change to the whole
//! set of specs, not one spec at a time.
//!
//! A flow is widened by either end, a new service brings new grants, and a
//! removed service takes its output with it; reviewing spec by spec misses
//! the picture. Here both sides are compiled as systems and rendered
//! completely in memory (every service's output and every shared
//! namespace's), their files paired by path relative to the workspace root,
//! and one security impact computed over all of them, with the services
//! added and removed named.
//!
//! Without `--against`, the committed output directories are compared with
//! what the system renders now. With `--against REV`, the workspace's specs
//! (and its workspace file) at git revision REV are read with one
//! `git ls-tree` and one `git cat-file --batch`, written to a temporary
//! directory and compiled there, so the spec ids (paths relative to the
//! root) are those of the working tree. Both sides render with the working
//! tree's templates: the diff shows what the spec changes do.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::diff::{self, Change, Labels, Options};
use crate::drift;
use crate::error::{Error, Status};
use crate::impact::{Direction, Impact};
use crate::load;
use crate::pipeline::find::{discover, no_specs, workspace_of};
use crate::pipeline::outputs::render_system;
use crate::pipeline::workspace_templates;
use crate::quote::printable;
use crate::render::GeneratedFile;
use crate::system;
use crate::workspace::shown;

/// Every output of a system: its directory relative to the root (with `/`)
/// and its files; and the app names of its services.
struct Rendered {
    outputs: BTreeMap<String, Vec<GeneratedFile>>,
    apps: BTreeSet<String>,
}

/// Compiles the specs `files` (below `root`) and renders every output; the
/// status is [`Status::Findings`] when an output fails verification (its
/// findings printed on `stderr`).
fn render_at(
    root: &Path,
    files: &[PathBuf],
    templates: &crate::templates::Templates,
    side: &str,
    stderr: &mut dyn std::io::Write,
) -> Result<(Rendered, Status), Error> {
    let mut apps = BTreeSet::new();
    if files.is_empty() {
        return Ok((
            Rendered {
                outputs: BTreeMap::new(),
                apps,
            },
            Status::Clean,
        ));
    }
    let system = system::compile(files).map_err(|problems| Error::System {
        summary: format!(
            "{}; the specs {side} do not compile as one system",
            system::summary(&problems, files.len())
        ),
        problems,
    })?;
    let (outputs, verdict) = render_system(&system, None, templates)?;
    write!(stderr, "{}", verdict.report)?;
    let verdict = verdict.status();
    apps.extend(system.services.iter().map(|s| s.name().to_string()));
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let outputs = outputs
        .into_iter()
        .map(|output| {
            let relative = output
                .dir
                .strip_prefix(&root)
                .map(Path::to_path_buf)
                .unwrap_or(output.dir);
            (slash(&relative), output.files)
        })
        .collect();
    Ok((Rendered { outputs, apps }, verdict))
}

fn slash(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Runs git in `dir` with `args` and `input` on its stdin; its stdout.
fn git(dir: &Path, args: &[&str], input: Option<&[u8]>) -> Result<Vec<u8>, Error> {
    let mut child = Command::new("git")
        .args(args)
        .current_dir(dir)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(diff::cannot_run_git)?;
    if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
        // Written from another thread: git answers while it reads. If git
        // stops reading, its exit status or short answer says why below.
        let input = input.to_vec();
        std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
    }
    let mut stdout = Vec::new();
    if let Some(mut out) = child.stdout.take() {
        out.read_to_end(&mut stdout)
            .map_err(|e| Error::Input(format!("cannot read git's output: {e}")))?;
    }
    let output = child
        .wait_with_output()
        .map_err(|e| Error::Input(format!("git failed: {e}")))?;
    if !output.status.success() {
        return Err(Error::Input(format!(
            "git {} failed: {}",
            args.first().copied().unwrap_or_default(),
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(stdout)
}

/// Writes the workspace file and the specs of the workspace at `root` as
/// they were at `revision` into `into`, keeping their paths; a file that is
/// not a spec is left out.
fn checkout_specs(root: &Path, revision: &str, into: &Path) -> Result<(), Error> {
    let listing = git(
        root,
        &[
            "ls-tree",
            "-r",
            "-z",
            "--end-of-options",
            revision,
            "--",
            ".",
        ],
        None,
    )?;
    // `<mode> blob <id>\t<path relative to root>` entries.
    let mut wanted: Vec<(String, String)> = Vec::new();
    for entry in listing.split(|&b| b == 0).filter(|e| !e.is_empty()) {
        let entry = String::from_utf8_lossy(entry);
        let Some((meta, path)) = entry.split_once('\t') else {
            continue;
        };
        let mut meta = meta.split(' ');
        let (Some(_), Some("blob"), Some(id)) = (meta.next(), meta.next(), meta.next()) else {
            continue;
        };
        let yaml = path.ends_with(".yaml") || path.ends_with(".yml");
        if yaml && !path.split('/').any(|part| part == ".." || part.is_empty()) {
            wanted.push((id.to_string(), path.to_string()));
        }
    }
    let ids: String = wanted.iter().map(|(id, _)| format!("{id}\n")).collect();
    let batch = git(root, &["cat-file", "--batch"], Some(ids.as_bytes()))?;
    // `<id> blob <size>\n<content>\n` per object, in order.
    let mut rest = &batch[..];
    for (_, path) in &wanted {
        let newline = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(short_answer)?;
        let header = String::from_utf8_lossy(&rest[..newline]).into_owned();
        let size: usize = header
            .rsplit(' ')
            .next()
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| Error::Input(format!("git cat-file: unexpected answer {header:?}")))?;
        let start = newline + 1;
        let content = rest.get(start..start + size).ok_or_else(short_answer)?;
        rest = rest.get(start + size + 1..).unwrap_or_default();
        let text = String::from_utf8_lossy(content);
        let is_spec = text.lines().any(|line| {
            line.starts_with("apiVersion: harden.dev/")
                || line.starts_with("apiVersion: \"harden.dev/")
        });
        if path == crate::workspace::WORKSPACE_FILE || is_spec {
            let target = into.join(path);
            let cannot_write =
                |e: std::io::Error| Error::Input(format!("cannot write {}: {e}", target.display()));
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(cannot_write)?;
            }
            std::fs::write(&target, content).map_err(cannot_write)?;
        }
    }
    Ok(())
}

/// `git cat-file --batch` ended before every object asked for.
fn short_answer() -> Error {
    Error::Input("git cat-file gave a short answer".into())
}

/// The services added and removed between two systems, as impact lines.
fn service_impacts(before: &BTreeSet<String>, after: &BTreeSet<String>) -> Vec<Impact> {
    let added = after.difference(before).map(|app| Impact {
        direction: Direction::Widened,
        area: "system".into(),
        detail: format!("new service {app}"),
    });
    let removed = before.difference(after).map(|app| Impact {
        direction: Direction::Narrowed,
        area: "system".into(),
        detail: format!("service {app} removed"),
    });
    added.chain(removed).collect()
}

/// `harden diff [DIR]` in a workspace: see the module documentation.
pub fn run(
    paths: &[PathBuf],
    options: &Options<'_>,
    stdout: &mut dyn std::io::Write,
    stderr: &mut dyn std::io::Write,
) -> Result<Status, Error> {
    let workspace = match paths.first() {
        Some(path) => load::workspace(path),
        None => load::current_workspace(),
    };
    let workspace = workspace?;
    let templates = workspace_templates(&workspace, options.templates)?;
    // The system: the whole workspace where a workspace file declares it,
    // else the directories given.
    let given = if paths.is_empty() {
        workspace.spec_dirs()
    } else {
        paths.to_vec()
    };
    let specs = match workspace_of(&given) {
        Some((all, _)) => Ok(all),
        None => discover(&given),
    };
    let specs = specs?;
    if specs.is_empty() {
        return Err(no_specs());
    }
    let root = &workspace.root;
    let (after, verdict) = render_at(root, &specs, &templates, "in the working tree", stderr)?;
    if verdict != Status::Clean {
        return Ok(verdict);
    }
    let subject = shown(root);
    let (labels, changes, before_apps) = match options.against {
        Some(revision) => {
            // The revision is checked (and refused when it could be an
            // option) exactly as for one spec.
            diff::verify_revision(root, revision, &subject)?;
            let scratch = tempfile::TempDir::new().map_err(|error| {
                Error::Input(format!("cannot create a temporary directory: {error}"))
            })?;
            checkout_specs(root, revision, scratch.path())?;
            let at_revision = match load::workspace(scratch.path()) {
                Ok(w) if w.has_file() => discover(&w.spec_dirs()),
                _ => discover(&[scratch.path().to_path_buf()]),
            };
            let before_specs = at_revision?;
            let side = format!("at {}", printable(revision));
            let (before, verdict) =
                render_at(scratch.path(), &before_specs, &templates, &side, stderr)?;
            if verdict != Status::Clean {
                return Ok(verdict);
            }
            let dirs: BTreeSet<&String> =
                before.outputs.keys().chain(after.outputs.keys()).collect();
            let mut changes: Vec<Change> = Vec::new();
            for dir in dirs {
                let old = before.outputs.get(dir).map(Vec::as_slice).unwrap_or(&[]);
                let new = after.outputs.get(dir).map(Vec::as_slice).unwrap_or(&[]);
                for (file, state, a, b) in diff::compare_sets(old, new) {
                    changes.push((format!("{dir}/{file}"), state, a, b));
                }
            }
            let labels = Labels {
                subject: subject.clone(),
                before: format!("{subject}@{} (every spec)", printable(revision)),
                after: format!("{subject} (working tree)"),
            };
            (labels, changes, before.apps)
        }
        None => {
            let mut changes: Vec<Change> = Vec::new();
            for (dir, files) in &after.outputs {
                let drifts =
                    drift::compare(&root.join(dir), files, &|id| workspace.spec_exists(id));
                for d in drifts {
                    changes.push((
                        format!("{dir}/{}", d.file),
                        d.state,
                        d.committed.unwrap_or_default(),
                        d.expected.unwrap_or_default(),
                    ));
                }
            }
            let labels = Labels {
                subject: subject.clone(),
                before: format!("{subject} (committed)"),
                after: format!("{subject} (rendered now)"),
            };
            (labels, changes, after.apps.clone())
        }
    };
    let mut impacts = service_impacts(&before_apps, &after.apps);
    impacts.extend(diff::impacts(&changes));
    diff::report(&labels, &changes, impacts, options, stdout)
}
