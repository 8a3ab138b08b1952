//! What each subcommand does. Each returns `Result<Status, Error>`: results
//! go to stdout and reports (warnings, findings that refuse a render) to
//! stderr, every write checked with `?`; an error that ends the command is
//! returned to [`crate::run`], which prints it. Nothing here exits the
//! process.

pub mod audit;
pub mod check;
pub mod diff;
pub mod ecosystem;
pub mod many;
pub mod reach;
pub mod system_diff;

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::{Command, Format};
use crate::error::{Error, Status};
use crate::load;
use crate::model::Model;
use crate::pipeline::find::in_workspace;
use crate::pipeline::scope::scope;
use crate::pipeline::{self, Prepared};
use crate::render;
use crate::workspace::shown;
use crate::write;

/// Runs one subcommand, writing results to `stdout` and reports to
/// `stderr`; [`crate::run`] guards both streams and prints the error.
pub fn run(
    command: Command,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<Status, Error> {
    match command {
        Command::Render {
            specs,
            out,
            force,
            quiet,
            templates,
        } => render_command(
            specs,
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
        } => {
            let scope = scope(&specs)?;
            if scope.is_system() {
                many::validate(&scope, quiet, format, stdout, stderr)
            } else {
                validate(&scope.all, quiet, format, stdout, stderr)
            }
        }
        Command::Graph { paths, format } => {
            let format = match format {
                crate::cli::GraphFormat::Mermaid => crate::system::graph::Format::Mermaid,
                crate::cli::GraphFormat::Dot => crate::system::graph::Format::Dot,
            };
            many::graph(&scope(&paths)?, format, stdout, stderr)
        }
        Command::Check {
            paths,
            out: _,
            live: Some(dump),
            format,
            quiet,
            templates,
        } => check::run_live(&paths, &dump, format, quiet, templates.as_deref(), stdout),
        Command::Check {
            paths,
            out,
            live: None,
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
            paths,
            out,
            against,
            format,
            color,
            quiet,
            templates,
        } => {
            let options = diff::Options {
                quiet,
                out: out.as_deref(),
                against: against.as_deref(),
                format,
                color,
                templates: templates.as_deref(),
            };
            // One spec file alone (or with --out) is diffed alone; a
            // directory, no path, or a spec of a workspace with a workspace
            // file is diffed as the whole system.
            match paths.as_slice() {
                [spec] if out.is_some() || (spec.is_file() && !in_workspace(&paths)) => {
                    diff::run(spec, &options, stdout)
                }
                _ if out.is_some() => Err(Error::Usage(
                    "--out applies to one spec file; a system is compared with each spec's own directory"
                        .into(),
                )),
                _ => system_diff::run(&paths, &options, stdout, stderr),
            }
        }
        Command::Audit(args) => audit::run(&args, stdout),
        Command::Reach {
            paths,
            format,
            matrix,
        } => reach::run(&paths, format, matrix, stdout),
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
        ),
        Command::Schema => {
            writeln!(stdout, "{}", schema())?;
            Ok(Status::Clean)
        }
        Command::Templates { action } => ecosystem::templates(action, stdout),
        Command::Completions { shell } => ecosystem::completions(shell, stdout),
        Command::Man { dir } => ecosystem::man(dir.as_deref(), stdout, stderr),
        Command::Init(args) => init(&args, stdout, stderr),
    }
}

/// The JSON Schema of the spec (the committed one, proven to be the one the
/// spec types derive: [`crate::spec::derived_schema`]).
pub fn schema() -> String {
    crate::spec::SCHEMA_TEXT.trim_end().to_string()
}

/// `harden render`: no path is the workspace of the current directory (its
/// specs found as `check` finds them); a directory or several specs are one
/// system, and so is a spec of a workspace with a workspace file (rendered
/// as the whole workspace would render it); else one spec alone.
fn render_command(
    specs: Vec<PathBuf>,
    out: Option<&Path>,
    force: bool,
    quiet: bool,
    templates: Option<&Path>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<Status, Error> {
    // The scope every command judges: a spec of a workspace renders with
    // its workspace, as `check` renders it, with or without `--out`.
    let scope = scope(&specs)?;
    if !scope.is_system() {
        return render(&scope.all[0], out, force, quiet, templates, stdout, stderr);
    }
    if out.is_some() && scope.focus.as_ref().is_none_or(|focus| focus.len() != 1) {
        return Err(Error::Usage(
            "--out applies to one spec; a system writes each spec to deploy/<app name>".into(),
        ));
    }
    many::render(
        &scope.all,
        scope.focus.as_deref(),
        out,
        force,
        quiet,
        templates,
        stdout,
        stderr,
    )
}

fn render(
    spec: &Path,
    out: Option<&Path>,
    force: bool,
    quiet: bool,
    templates_dir: Option<&Path>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<Status, Error> {
    let Prepared {
        workspace,
        templates,
        model,
        files,
        written,
    } = pipeline::prepare(spec, templates_dir, true)?;
    print_warnings(&shown(spec), &model, stderr)?;
    let (verdict, manifests) = pipeline::verify_read(spec, &model, &files, &written, &templates)?;
    if !verdict.is_clean() {
        write!(stderr, "{}", verdict.report)?;
        return Ok(verdict.status());
    }
    let out = out
        .map(Path::to_path_buf)
        .unwrap_or_else(|| workspace.out_dir(&model.name));
    let summary = write::write_all(&out, &files, force, &|id| workspace.spec_exists(id))?;
    if !quiet {
        writeln!(
            stdout,
            "rendered {} to {}: {}",
            shown(spec),
            shown(&out),
            summary.counts()
        )?;
        for path in &summary.removed {
            writeln!(
                stdout,
                "removed {} (no longer generated by this spec)",
                shown(path)
            )?;
        }
    }
    // One render per process: what it built (the objects read back, the
    // compiled templates, the model: memory only, no handle) is left to the
    // process's exit rather than freed node by node, as clang's
    // -disable-free does; freeing it cost about 0.24 M instructions, 3% of
    // a render (docs/book/commands.md, "Speed").
    std::mem::forget((workspace, templates, model, files, written, manifests));
    Ok(Status::Clean)
}

fn validate(
    specs: &[PathBuf],
    quiet: bool,
    format: Format,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<Status, Error> {
    // One spec (several are a system, which reports clashing app names).
    let mut status = Status::Clean;
    let mut reports = Vec::new();
    for spec in specs {
        let shown = shown(spec);
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
                Ok(model) => {
                    print_warnings(&shown, &model, stderr)?;
                    if !quiet {
                        writeln!(stdout, "{shown}: valid")?;
                    }
                }
                Err(error) => {
                    writeln!(stderr, "{error}")?;
                }
            },
        }
    }
    if format == Format::Json {
        writeln!(
            stdout,
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "specs": reports }))
                .unwrap_or_default()
        )?;
    }
    Ok(status)
}

/// A spec's warnings (what its compliance context recommends and it leaves
/// out), one `warning:` line each with its help, on standard error.
fn print_warnings(file: &str, model: &Model, stderr: &mut dyn Write) -> std::io::Result<()> {
    for warning in &model.warnings {
        writeln!(stderr, "warning: {file}: {warning}")?;
    }
    Ok(())
}

fn posture(
    spec: &Path,
    results: &[PathBuf],
    output: Option<&Path>,
    templates_dir: Option<&Path>,
    stdout: &mut dyn Write,
) -> Result<Status, Error> {
    let Prepared {
        templates,
        model,
        files,
        ..
    } = pipeline::scope::prepare_in_workspace(spec, templates_dir)?;
    let mut inputs = Vec::new();
    for path in results {
        let text = std::fs::read_to_string(path)
            .map_err(|error| Error::Input(format!("cannot read {}: {error}", shown(path))))?;
        inputs.push((shown(path), text));
    }
    let results = crate::posture::Results::parse(&model, &inputs).map_err(Error::Input)?;
    let names: Vec<String> = files.iter().map(|f| f.name.clone()).collect();
    let document = render::posture_document(&model, &templates, &names, results)?;
    match output {
        None => write!(stdout, "{document}")?,
        Some(path) => std::fs::write(path, &document)
            .map_err(|error| Error::Input(format!("cannot write {}: {error}", shown(path))))?,
    }
    Ok(Status::Clean)
}

/// Where `harden init` keeps the JSON Schema that written specs name in
/// their `yaml-language-server: $schema=` line: `schema/` beside the spec
/// directory, relative to where `init` runs (the path the wizard writes).
pub const SCHEMA_FILE: &str = "schema/harden-spec.schema.json";

/// Writes the spec's JSON Schema to [`SCHEMA_FILE`] when it is not there,
/// so the `$schema` reference of a spec written by `init` resolves in the
/// user's repository. An existing file is left alone (refresh it with
/// `harden schema > schema/harden-spec.schema.json`).
fn write_schema_beside(
    spec: &Path,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> std::io::Result<()> {
    let depth = spec.parent().map_or(0, |p| {
        p.components()
            .filter(|c| matches!(c, std::path::Component::Normal(_)))
            .count()
    });
    if spec.is_absolute() {
        return Ok(());
    }
    let mut file = PathBuf::new();
    for _ in 0..depth {
        file.push("..");
    }
    let file = spec
        .parent()
        .unwrap_or(Path::new(""))
        .join(file)
        .join(SCHEMA_FILE);
    if file.exists() {
        return Ok(());
    }
    let written = file
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::write(&file, schema() + "\n"));
    match written {
        Ok(()) => writeln!(
            stdout,
            "wrote {} (the JSON Schema the spec names, for editors)",
            shown(&file)
        ),
        Err(error) => writeln!(
            stderr,
            "warning: cannot write {}: {error}; editors will not find the schema the spec names (write it with `harden schema > {SCHEMA_FILE}`)",
            shown(&file)
        ),
    }
}

fn init(
    args: &crate::wizard::InitArgs,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<Status, Error> {
    use std::io::IsTerminal;
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    match crate::wizard::run(args, interactive, stdout, stderr)? {
        crate::wizard::Outcome::Written {
            path,
            render: wanted,
        } => {
            write_schema_beside(&path, stdout, stderr)?;
            if !wanted {
                return Ok(Status::Clean);
            }
            render(
                &path,
                args.out.as_deref(),
                false,
                false,
                None,
                stdout,
                stderr,
            )
        }
        crate::wizard::Outcome::Declined => {
            writeln!(stderr, "nothing was written")?;
            Ok(Status::Clean)
        }
    }
}
