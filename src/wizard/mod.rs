//! `harden init`: the interactive wizard that writes a spec.
//!
//! Every part of the spec can come from a flag; what is missing is asked
//! for on a terminal (dialoguer), taken from defaults with `--yes`, or, when
//! standard input is not a terminal, reported as missing flags (exit 2): the
//! wizard never waits for input in CI. Each answer is checked with the same
//! rules as `validate` (see [`crate::validate::validate_answer`]) and a bad
//! answer is asked again with the reason. Nothing is written until the
//! whole spec validates; the file is then written atomically, never over an
//! existing spec without `--force`.
//!
//! The flags and their parsers are in [`crate::cli::init`]; the questions in
//! `interview.rs` (the network's in `network.rs`, API access in `access.rs`,
//! the secrets' in `secrets.rs`, Dapr's in `dapr.rs`), all asked through the
//! `Asker` of `asker.rs`, which with `output.rs` (where the spec goes) is
//! the bottom of the wizard: no file imports one that imports it back. Any
//! other field by its path in `setter.rs` (the
//! last question and `--set`); the spec text in [`spec_writer`], derived
//! from the spec's types; the file is written by [`crate::write::write_file`].
//! A spec that names other services (`app:`) is checked with the specs
//! beside it before it is written.

mod access;
mod asker;
mod dapr;
mod interview;
mod network;
mod output;
mod secrets;
mod setter;
pub mod spec_writer;

use std::io::Write;
use std::path::{Path, PathBuf};

use dialoguer::Confirm;
use dialoguer::theme::{ColorfulTheme, SimpleTheme, Theme};

pub use crate::cli::InitArgs;
use crate::spec::Spec;
pub use asker::WizardError;
use asker::{Asker, name_of, workload};
use interview::interview;
use output::{output_path, refuse_existing, workspace_cluster};

/// How the wizard ended.
#[derive(Debug)]
pub enum Outcome {
    /// The spec was written to this path (and perhaps rendered).
    Written { path: PathBuf, render: bool },
    /// The user declined to write it.
    Declined,
}

/// Fills what the flags left open with defaults (for --yes and no terminal),
/// returning the flags that have no default and are missing.
fn defaults(spec: &mut Spec, args: &InitArgs) -> Vec<String> {
    let mut missing = Vec::new();
    // HIPAA needs Dapr's mTLS, as the questions decide too (interview).
    let hipaa = spec
        .app
        .as_ref()
        .is_some_and(|a| a.compliance.iter().any(|c| c == "hipaa"));
    if hipaa && spec.dapr.is_none() && !args.no_dapr {
        spec.dapr = Some(crate::spec::Dapr {
            enabled: Some(true),
            ..Default::default()
        });
    }
    if name_of(spec).is_none() {
        missing.push("--name".to_string());
    }
    let workload = workload(spec);
    if workload.image.is_none() {
        missing.push("--image".to_string());
    }
    workload.port.get_or_insert(8080);
    missing
}

/// The `$schema` path for editors, relative to the spec's directory, when
/// the project keeps the schema at schema/harden-spec.schema.json.
fn schema_path(output: &Path) -> String {
    let depth = output.parent().map_or(0, |p| {
        p.components()
            .filter(|c| matches!(c, std::path::Component::Normal(_)))
            .count()
    });
    format!("{}schema/harden-spec.schema.json", "../".repeat(depth))
}

/// Checks a spec that names other services of its workspace (`app:`)
/// together with them: the specs beside `output` (its directory's `*.yaml`
/// specs). The text is checked from a hidden file in that directory, so
/// that the workspace is found as for the written file, and removed again.
fn check_with_workspace(text: &str, output: &Path, shown: &str) -> Result<(), String> {
    let dir = match output.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let output_name = output.file_name();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
                .filter(|p| p.file_name() != output_name)
                .filter(|p| {
                    std::fs::read_to_string(p)
                        .is_ok_and(|t| t.lines().any(|l| l.starts_with("apiVersion: harden.dev/")))
                })
                .collect()
        })
        .unwrap_or_default();
    if paths.is_empty() {
        return Err(format!(
            "{shown} names other services (app:), but {} holds no other spec: write theirs first, or give their namespace and podLabels instead of app",
            crate::load::display_path(&dir)
        ));
    }
    let mut probe = tempfile::Builder::new()
        .prefix(".harden-init-")
        .suffix(".yaml")
        .tempfile_in(&dir)
        .map_err(|e| format!("cannot check the spec in {}: {e}", dir.display()))?;
    probe
        .write_all(text.as_bytes())
        .map_err(|e| format!("cannot check the spec: {e}"))?;
    let probe_shown =
        crate::load::display_path(&dir.join(probe.path().file_name().unwrap_or_default()));
    paths.push(probe.path().to_path_buf());
    match crate::system::compile(&paths) {
        Ok(_) => Ok(()),
        Err(problems) => Err(problems
            .iter()
            .filter(|p| p.severity == crate::system::Severity::Error)
            .map(|p| p.to_string().replace(&probe_shown, shown))
            .collect::<Vec<_>>()
            .join("\n")),
    }
}

/// Runs `harden init`.
pub fn run(
    args: &InitArgs,
    interactive: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome, WizardError> {
    let mut spec = args.spec().map_err(WizardError::Usage)?;
    for assignment in &args.set {
        spec = setter::assign(&spec, assignment)
            .map_err(|e| WizardError::Usage(format!("--set {assignment}: {e}")))?;
    }
    let asking = interactive && !args.yes;
    if let Some(name) = name_of(&spec) {
        refuse_existing(args, name)?;
    }
    if asking {
        // Ctrl-C during a prompt ends the process while dialoguer has the
        // cursor hidden (multi-select); show it again before exiting with
        // the shell's status for SIGINT.
        let _ = ctrlc::set_handler(|| {
            let _ = console::Term::stderr().show_cursor();
            let _ = console::Term::stdout().show_cursor();
            std::process::exit(130);
        });
        let colorful = ColorfulTheme::default();
        let plain = SimpleTheme;
        let theme: &dyn Theme = if std::env::var_os("NO_COLOR").is_some() {
            &plain
        } else {
            &colorful
        };
        interview(&mut spec, args, &Asker { theme }, err)?;
    } else {
        let missing = defaults(&mut spec, args);
        if !missing.is_empty() {
            return Err(if interactive {
                WizardError::Usage(format!("--yes needs {}", missing.join(" and ")))
            } else {
                WizardError::Missing(missing)
            });
        }
    }
    let name = name_of(&spec).unwrap_or_default().to_string();
    refuse_existing(args, &name)?;
    let output = output_path(args, &name);
    let shown = crate::quote::display_path(&output);
    let text = spec_writer::write(&spec, Some(&schema_path(&output)));
    // One definition of valid: the written text must load like any spec
    // of the workspace it is written into.
    let cluster = workspace_cluster(&output);
    let checked = if crate::system::names_others(&spec) {
        check_with_workspace(&text, &output, &shown)
    } else {
        crate::load::load_spec_text_as(&text, &shown, &shown, cluster.as_ref())
            .map(|_| ())
            .map_err(|error| error.to_string())
    };
    if let Err(error) = checked {
        return Err(WizardError::Invalid(format!(
            "{error}\nnothing was written"
        )));
    }
    if asking {
        writeln!(err, "\n{text}").map_err(WizardError::Output)?;
        if !Confirm::with_theme(&SimpleTheme)
            .wait_for_newline(true)
            .with_prompt(format!("Write {shown}?"))
            .default(true)
            .interact()?
        {
            return Ok(Outcome::Declined);
        }
    }
    crate::write::write_file(&output, &text)?;
    writeln!(out, "wrote {shown}").map_err(WizardError::Output)?;
    let render = args.render
        || (asking
            && Confirm::with_theme(&SimpleTheme)
                .wait_for_newline(true)
                .with_prompt(format!("Render it now (harden render {shown})?"))
                .default(true)
                .interact()?);
    Ok(Outcome::Written {
        path: output,
        render,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_path_is_relative_to_the_spec() {
        assert_eq!(
            schema_path(Path::new("specs/a.yaml")),
            "../schema/harden-spec.schema.json"
        );
        assert_eq!(
            schema_path(Path::new("a.yaml")),
            "schema/harden-spec.schema.json"
        );
    }
}
