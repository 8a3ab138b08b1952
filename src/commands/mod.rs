//! What each subcommand does, returning an exit status. Messages for the user
//! go to stdout (results) and stderr (errors); nothing here exits the process.

pub mod audit;
pub mod check;
pub mod diff;
pub mod ecosystem;

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::Command;
pub use crate::cli::{AuditFormat, ColorChoice, Format};
use crate::load::{self, display_path};
use crate::model::Model;
use crate::render::{self, GeneratedFile};
use crate::templates::Templates;
use crate::write::{self, WriteError};

/// The process exit status, as documented in the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Nothing to report.
    Clean = 0,
    /// Findings, drift, or files in the way.
    Findings = 1,
    /// Usage or input error (an invalid spec, an unreadable file).
    Error = 2,
}

pub fn run(command: Command) -> Status {
    let stdout = &mut std::io::stdout().lock();
    let stderr = &mut std::io::stderr().lock();
    match command {
        Command::Render {
            spec,
            out,
            force,
            quiet,
            templates,
        } => render(
            &spec,
            out.as_deref(),
            force,
            quiet,
            templates.as_deref(),
            stdout,
            stderr,
        ),
        Command::Validate {
            specs,
            quiet,
            format,
        } => validate(&specs, quiet, format, stdout, stderr),
        Command::Check {
            paths,
            out,
            format,
            quiet,
            templates,
        } => check::run(
            &paths,
            out.as_deref(),
            format,
            quiet,
            templates.as_deref(),
            stdout,
            stderr,
        ),
        Command::Diff {
            spec,
            out,
            against,
            format,
            color,
            templates,
        } => {
            let options = diff::Options {
                out: out.as_deref(),
                against: against.as_deref(),
                format,
                color,
                templates: templates.as_deref(),
            };
            diff::run(&spec, &options, stdout, stderr)
        }
        Command::Audit(args) => audit::run(&args, stdout, stderr),
        Command::Posture {
            spec,
            results,
            output,
            templates,
        } => posture(
            &spec,
            &results,
            output.as_deref(),
            templates.as_deref(),
            stdout,
            stderr,
        ),
        Command::Schema => {
            let _ = writeln!(stdout, "{}", schema());
            Status::Clean
        }
        Command::Templates { action } => ecosystem::templates(action, stdout, stderr),
        Command::Completions { shell } => ecosystem::completions(shell, stdout),
        Command::Man => ecosystem::man(stdout, stderr),
        Command::Init(args) => init(&args, stdout, stderr),
    }
}

/// The JSON Schema of the spec, derived from the spec types.
pub fn schema() -> String {
    let mut schema = schemars::schema_for!(crate::spec::Spec);
    schema.insert(
        "title".into(),
        "harden SecuritySpec (harden.dev/v1alpha1)".into(),
    );
    serde_json::to_string_pretty(&schema).unwrap_or_default()
}

/// The templates, model and rendered files of `spec`; on failure the error
/// is printed (followed by `suffix`) and `None` returned.
fn prepare(
    spec: &Path,
    templates_dir: Option<&Path>,
    suffix: &str,
    stderr: &mut dyn Write,
) -> Option<(Templates, Model, Vec<GeneratedFile>)> {
    let templates = templates(templates_dir, stderr)?;
    match render_spec(spec, &templates) {
        Ok((model, files)) => Some((templates, model, files)),
        Err(error) => {
            let _ = writeln!(stderr, "{error}{suffix}");
            None
        }
    }
}

/// Loads, validates and renders one spec: the one render path that `render`,
/// `check` and `diff` share. The error is ready to print.
pub fn render_spec(
    spec: &Path,
    templates: &Templates,
) -> Result<(Model, Vec<GeneratedFile>), String> {
    let model = load::load_spec(spec).map_err(|e| e.to_string())?;
    let files = render::render(&model, templates).map_err(|bug| bug.to_string())?;
    Ok((model, files))
}

/// Where a spec's files go when no --out is given.
pub fn default_out_dir(app: &str) -> PathBuf {
    Path::new("deploy").join(app)
}

/// The templates to render with: an organisation's directory over the
/// embedded ones, or the embedded ones alone.
fn templates(custom: Option<&Path>, stderr: &mut dyn Write) -> Option<Templates> {
    if let Some(dir) = custom {
        return match Templates::with_overrides(dir) {
            Ok(templates) => Some(templates),
            Err(error) => {
                let _ = writeln!(stderr, "{error}");
                None
            }
        };
    }
    match Templates::embedded() {
        Ok(templates) => Some(templates),
        Err(error) => {
            let _ = writeln!(
                stderr,
                "internal error: embedded templates do not compile: {error:#}"
            );
            None
        }
    }
}

fn render(
    spec: &Path,
    out: Option<&Path>,
    force: bool,
    quiet: bool,
    templates_dir: Option<&Path>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Status {
    let Some((_, model, files)) = prepare(spec, templates_dir, "\nnothing was written", stderr)
    else {
        return Status::Error;
    };
    // The output must pass its own audit before anything is written.
    match crate::audit::self_check(&model, &files) {
        Ok(findings) if findings.is_empty() => {}
        Ok(findings) => {
            let _ = write!(
                stderr,
                "{}",
                crate::audit::report::text(&findings, files.len(), 0)
            );
            let _ = writeln!(
                stderr,
                "error: the rendered output of {} fails its own security audit; nothing was written",
                display_path(spec)
            );
            return Status::Findings;
        }
        Err(bug) => {
            let _ = writeln!(
                stderr,
                "internal error: rendered output does not parse: {bug}\nnothing was written"
            );
            return Status::Error;
        }
    }
    let out = out
        .map(Path::to_path_buf)
        .unwrap_or_else(|| default_out_dir(&model.name));
    match write::write_all(&out, &files, force) {
        Ok(summary) => {
            if !quiet {
                let _ = writeln!(
                    stdout,
                    "rendered {} to {}: {} written, {} unchanged{}",
                    display_path(spec),
                    display_path(&out),
                    summary.written.len(),
                    summary.unchanged.len(),
                    if summary.removed.is_empty() {
                        String::new()
                    } else {
                        format!(", {} removed", summary.removed.len())
                    }
                );
                for path in &summary.removed {
                    let _ = writeln!(
                        stdout,
                        "removed {} (no longer generated by this spec)",
                        display_path(path)
                    );
                }
            }
            Status::Clean
        }
        Err(error @ WriteError::Conflicts(_)) => {
            let _ = writeln!(stderr, "{error}");
            Status::Findings
        }
        Err(error) => {
            let _ = writeln!(stderr, "{error}");
            Status::Error
        }
    }
}

fn validate(
    specs: &[PathBuf],
    quiet: bool,
    format: Format,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Status {
    let mut status = Status::Clean;
    let mut reports = Vec::new();
    for spec in specs {
        let shown = display_path(spec);
        let result = load::load_spec(spec);
        if result.is_err() {
            status = Status::Error;
        }
        match format {
            Format::Json => {
                let problems: Vec<serde_json::Value> = match &result {
                    Ok(_) => Vec::new(),
                    Err(load::LoadError::Invalid(report)) => report
                        .problems
                        .iter()
                        .map(|(position, problem)| {
                            serde_json::json!({
                                "line": position.map(|p| p.line),
                                "column": position.map(|p| p.column),
                                "path": problem.path,
                                "message": problem.message,
                                "help": problem.help,
                            })
                        })
                        .collect(),
                    Err(error) => vec![
                        serde_json::json!({"line": null, "column": null, "path": "", "message": error.to_string(), "help": null}),
                    ],
                };
                reports.push(serde_json::json!({"file": shown, "valid": result.is_ok(), "problems": problems}));
            }
            Format::Text => match result {
                Ok(_) if !quiet => {
                    let _ = writeln!(stdout, "{shown}: valid");
                }
                Ok(_) => {}
                Err(error) => {
                    let _ = writeln!(stderr, "{error}");
                }
            },
        }
    }
    if format == Format::Json {
        let _ = writeln!(
            stdout,
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "specs": reports }))
                .unwrap_or_default()
        );
    }
    status
}

fn posture(
    spec: &Path,
    results: &[PathBuf],
    output: Option<&Path>,
    templates_dir: Option<&Path>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Status {
    let Some((templates, model, files)) = prepare(spec, templates_dir, "", stderr) else {
        return Status::Error;
    };
    let mut inputs = Vec::new();
    for path in results {
        match std::fs::read_to_string(path) {
            Ok(text) => inputs.push((display_path(path), text)),
            Err(error) => {
                let _ = writeln!(stderr, "error: cannot read {}: {error}", display_path(path));
                return Status::Error;
            }
        }
    }
    let results = match crate::posture::Results::parse(&model, &inputs) {
        Ok(results) => results,
        Err(error) => {
            let _ = writeln!(stderr, "error: {error}");
            return Status::Error;
        }
    };
    let names: Vec<String> = files.iter().map(|f| f.name.clone()).collect();
    let document = match render::posture_document(&model, &templates, &names, results) {
        Ok(document) => document,
        Err(bug) => {
            let _ = writeln!(stderr, "{bug}");
            return Status::Error;
        }
    };
    match output {
        None => {
            let _ = write!(stdout, "{document}");
        }
        Some(path) => {
            if let Err(error) = std::fs::write(path, &document) {
                let _ = writeln!(
                    stderr,
                    "error: cannot write {}: {error}",
                    display_path(path)
                );
                return Status::Error;
            }
        }
    }
    Status::Clean
}

fn init(args: &crate::wizard::InitArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> Status {
    use std::io::IsTerminal;
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    match crate::wizard::run(args, interactive, stdout, stderr) {
        Ok(crate::wizard::Outcome::Written { path, render: true }) => render(
            &path,
            args.out.as_deref(),
            false,
            false,
            None,
            stdout,
            stderr,
        ),
        Ok(crate::wizard::Outcome::Written { .. }) => Status::Clean,
        Ok(crate::wizard::Outcome::Declined) => {
            let _ = writeln!(stderr, "nothing was written");
            Status::Clean
        }
        Err(error @ crate::wizard::WizardError::Exists(_)) => {
            let _ = writeln!(stderr, "{error}");
            Status::Findings
        }
        Err(error) => {
            let _ = writeln!(stderr, "{error}");
            Status::Error
        }
    }
}
