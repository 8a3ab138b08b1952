//! `harden diff`: the human view of drift. Full unified diffs of every file
//! that differs, then a security summary computed from the parsed manifests
//! (see [`crate::impact`]): what the change widens or narrows.
//!
//! Without `--against`, the committed directory is compared with what the
//! spec renders now (what `render` would change). With `--against REV`, the
//! output of the spec at git revision REV is compared with the output of the
//! spec in the working tree: the review of a pull request's spec change.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::Command;

use anstyle::{AnsiColor, Style};
use serde::Serialize;
use similar::TextDiff;

use crate::cli::{ColorChoice, Format};
use crate::drift::{self, FileState};
use crate::error::{Error, Status};
use crate::impact::{self, Direction, Impact};
use crate::load;
use crate::pipeline::{render_spec_in, workspace_templates};
use crate::render::{self, GeneratedFile};
use crate::workspace::shown;

#[derive(Debug, Serialize)]
struct FileChange {
    file: String,
    state: FileState,
    diff: String,
}

#[derive(Debug, Serialize)]
struct Report {
    spec: String,
    before: String,
    after: String,
    files: Vec<FileChange>,
    impact: Vec<Impact>,
}

/// Styles of the coloured diff: headers bold, additions green, removals
/// red, hunk headers cyan; impacts red when widened, green when narrowed,
/// yellow when changed.
const BOLD: Style = Style::new().bold();
const GREEN: Style = AnsiColor::Green.on_default();
const RED: Style = AnsiColor::Red.on_default();
const CYAN: Style = AnsiColor::Cyan.on_default();
const YELLOW: Style = AnsiColor::Yellow.on_default();

struct Palette {
    on: bool,
}

impl Palette {
    fn paint(&self, style: Style, text: &str) -> String {
        if self.on {
            format!("{style}{text}{style:#}")
        } else {
            text.to_string()
        }
    }
}

fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}

/// The spec's text at a git revision, read with `git show REV:./<file>` from
/// the spec's own directory; `None` when the spec did not exist at REV (a
/// spec new in a pull request). The revision never reaches git as an option:
/// one starting with `-` is refused, and `--end-of-options` ends the options
/// anyway (git 2.24 and later; see git's Documentation/gitcli.txt).
pub fn spec_at_revision(spec: &Path, revision: &str) -> Result<Option<String>, Error> {
    let dir = spec
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = spec
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| Error::Usage(format!("{} has no file name", shown(spec))))?;
    verify_revision(dir, revision, &shown(spec))?;
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(dir)
            .output()
            .map_err(cannot_run_git)
    };
    let object = format!("{revision}:./{name}");
    let exists = git(&["cat-file", "-e", "--end-of-options", &object])?;
    if !exists.status.success() {
        return Ok(None);
    }
    let output = git(&["show", "--end-of-options", &object])?;
    if !output.status.success() {
        return Err(Error::Input(format!(
            "cannot read {} at {}: {}",
            shown(spec),
            crate::quote::printable(revision),
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    String::from_utf8(output.stdout).map(Some).map_err(|_| {
        Error::Input(format!(
            "{} at {} is not UTF-8",
            shown(spec),
            crate::quote::printable(revision)
        ))
    })
}

/// git could not be started (not installed, or not on the PATH).
pub fn cannot_run_git(error: std::io::Error) -> Error {
    Error::Input(format!("cannot run git: {error}"))
}

/// Checks that `revision` names a commit of the repository holding `dir`
/// (`subject` names it in the error).
/// The revision never reaches git as an option: one starting with `-` is
/// refused, and `--end-of-options` ends the options anyway (git 2.24 and
/// later; see git's Documentation/gitcli.txt).
pub fn verify_revision(dir: &Path, revision: &str, subject: &str) -> Result<(), Error> {
    if revision.is_empty() || revision.starts_with('-') || revision.contains(':') {
        return Err(Error::Usage(format!(
            "--against {}: not a git revision\n  help: name a branch, tag or commit, e.g. --against origin/main",
            crate::quote::printable(revision)
        )));
    }
    let commit = format!("{revision}^{{commit}}");
    let verified = Command::new("git")
        .args([
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &commit,
        ])
        .current_dir(dir)
        .output()
        .map_err(cannot_run_git)?;
    if !verified.status.success() {
        return Err(Error::Usage(format!(
            "--against {}: no such git revision in the repository of {}\n  help: fetch it first (e.g. git fetch origin main) or name another branch, tag or commit",
            crate::quote::printable(revision),
            subject
        )));
    }
    Ok(())
}

/// What `diff` compares and how it prints.
pub struct Options<'a> {
    pub out: Option<&'a Path>,
    pub against: Option<&'a str>,
    pub format: Format,
    pub color: ColorChoice,
    pub templates: Option<&'a Path>,
    /// Print nothing when there are no differences.
    pub quiet: bool,
}

pub fn run(spec: &Path, options: &Options<'_>, stdout: &mut dyn Write) -> Result<Status, Error> {
    let Options { out, against, .. } = *options;
    let workspace = load::workspace(spec)?;
    let templates = workspace_templates(&workspace, options.templates)?;
    let (model, after) = render_spec_in(spec, &workspace, &templates)?;
    let shown = shown(spec);
    let (before_label, after_label, changes) = match against {
        Some(revision) => {
            let text = spec_at_revision(spec, revision)?;
            let id = model.spec_file.clone();
            let before = match text
                .map(|text| load::load_spec_text_as(&text, &shown, &id, workspace.cluster()))
            {
                None => Vec::new(),
                Some(Ok(model)) => render::render(&model, &templates)?,
                Some(Err(error)) => {
                    return Err(Error::Message(format!(
                        "the spec at {} is not valid:\n{error}",
                        crate::quote::printable(revision)
                    )));
                }
            };
            (
                format!("{shown}@{revision}"),
                format!("{shown} (working tree)"),
                compare_sets(&before, &after),
            )
        }
        None => {
            let dir = out
                .map(Path::to_path_buf)
                .unwrap_or_else(|| workspace.out_dir(&model.name));
            let drifts = drift::compare(&dir, &after, &|id| workspace.spec_exists(id));
            // A committed manifest that does not parse cannot be compared:
            // reporting its objects as gone would read as "narrowed" or
            // "widened" when the file is simply broken.
            let mut broken = Vec::new();
            for drift in &drifts {
                let Some(committed) = drift.committed.as_deref() else {
                    continue;
                };
                if !drift.file.ends_with(".yaml") {
                    continue;
                }
                if let Err(error) = crate::yaml::parse_stream(committed) {
                    broken.push(format!(
                        "{}{}: the committed file is not valid YAML: {}\n  help: restore it with `harden render {} --out {} --force` (or fix it by hand and compare again)",
                        crate::workspace::shown(&dir.join(&drift.file)),
                        error.position.map(|p| format!(":{p}")).unwrap_or_default(),
                        error.message,
                        crate::quote::shell_arg(&shown),
                        crate::quote::shell_arg(&crate::workspace::shown(&dir)),
                    ));
                }
            }
            if !broken.is_empty() {
                return Err(Error::Inputs(broken));
            }
            let changes: Vec<(String, FileState, String, String)> = drifts
                .into_iter()
                .map(|d| {
                    (
                        d.file,
                        d.state,
                        d.committed.unwrap_or_default(),
                        d.expected.unwrap_or_default(),
                    )
                })
                .collect();
            (
                format!("{} (committed)", crate::workspace::shown(&dir)),
                format!("{shown} (rendered now)"),
                changes,
            )
        }
    };
    let impacts = impacts(&changes);
    let labels = Labels {
        subject: shown,
        before: before_label,
        after: after_label,
    };
    report(&labels, &changes, impacts, options, stdout)
}

/// What a diff report compares, as shown.
pub struct Labels {
    /// The spec, or the workspace.
    pub subject: String,
    pub before: String,
    pub after: String,
}

/// A changed file: its name, its state, its text before and after.
pub type Change = (String, FileState, String, String);

/// The security impact of `changes`, from their manifests before and after.
pub fn impacts(changes: &[Change]) -> Vec<Impact> {
    let texts = |pick: fn(&Change) -> &String| -> Vec<String> {
        changes
            .iter()
            .filter(|c| c.0.ends_with(".yaml"))
            .map(|c| pick(c).clone())
            .collect()
    };
    impact::compare(&texts(|c| &c.2), &texts(|c| &c.3))
}

/// Prints the unified diffs of `changes` and the security `impacts`; exit 1
/// when anything differs.
pub fn report(
    labels: &Labels,
    changes: &[Change],
    impacts: Vec<Impact>,
    options: &Options<'_>,
    stdout: &mut dyn Write,
) -> Result<Status, Error> {
    let Options { format, color, .. } = *options;
    let (before_label, after_label) = (&labels.before, &labels.after);
    let files: Vec<FileChange> = changes
        .iter()
        .map(|(file, state, old, new)| FileChange {
            file: file.clone(),
            state: *state,
            diff: TextDiff::from_lines(old, new)
                .unified_diff()
                .context_radius(3)
                .header(&format!("a/{file}"), &format!("b/{file}"))
                .to_string(),
        })
        .collect();
    let status = if files.is_empty() {
        Status::Clean
    } else {
        Status::Findings
    };
    match format {
        Format::Json => {
            let report = Report {
                spec: labels.subject.clone(),
                before: before_label.clone(),
                after: after_label.clone(),
                files,
                impact: impacts,
            };
            writeln!(
                stdout,
                "{}",
                serde_json::to_string_pretty(&report).unwrap_or_default()
            )?;
        }
        Format::Text => {
            let palette = Palette {
                on: use_color(color),
            };
            if files.is_empty() {
                if !options.quiet {
                    writeln!(stdout, "no differences: {before_label} and {after_label}")?;
                }
                return Ok(status);
            }
            writeln!(
                stdout,
                "{}",
                palette.paint(BOLD, &format!("--- {before_label}\n+++ {after_label}"))
            )?;
            for file in &files {
                writeln!(
                    stdout,
                    "{}",
                    palette.paint(BOLD, &format!("{}: {}", file.file, file.state.label()))
                )?;
                for line in file.diff.lines() {
                    let painted = if line.starts_with("+++") || line.starts_with("---") {
                        palette.paint(BOLD, line)
                    } else if line.starts_with('+') {
                        palette.paint(GREEN, line)
                    } else if line.starts_with('-') {
                        palette.paint(RED, line)
                    } else if line.starts_with("@@") {
                        palette.paint(CYAN, line)
                    } else {
                        line.to_string()
                    };
                    writeln!(stdout, "{painted}")?;
                }
            }
            writeln!(stdout, "{}", palette.paint(BOLD, "security impact:"))?;
            if impacts.is_empty() {
                writeln!(stdout, "  none: no permission, flow or protection changes")?;
            }
            for line in &impacts {
                let style = match line.direction {
                    Direction::Widened => RED,
                    Direction::Narrowed => GREEN,
                    Direction::Changed => YELLOW,
                };
                writeln!(stdout, "  {}", palette.paint(style, &line.to_string()))?;
            }
        }
    }
    Ok(status)
}

/// Pairs two rendered file sets: changed, added (missing before) and removed.
pub fn compare_sets(
    before: &[GeneratedFile],
    after: &[GeneratedFile],
) -> Vec<(String, FileState, String, String)> {
    let mut changes = Vec::new();
    for file in after {
        match before.iter().find(|b| b.name == file.name) {
            Some(old) if old.content == file.content => {}
            Some(old) => changes.push((
                file.name.clone(),
                FileState::Changed,
                old.content.clone(),
                file.content.clone(),
            )),
            None => changes.push((
                file.name.clone(),
                FileState::Missing,
                String::new(),
                file.content.clone(),
            )),
        }
    }
    for old in before {
        if !after.iter().any(|a| a.name == old.name) {
            changes.push((
                old.name.clone(),
                FileState::Extra,
                old.content.clone(),
                String::new(),
            ));
        }
    }
    changes.sort_by(|a, b| a.0.cmp(&b.0));
    changes
}
