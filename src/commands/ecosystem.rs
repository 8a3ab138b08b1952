//! Commands that fit harden into its surroundings: template export for
//! organisations, shell completions and the man page, all generated from
//! the same definitions the tool runs on.

use std::io::Write;

use clap::CommandFactory;

use crate::cli::{Cli, TemplatesAction};
use crate::error::{Error, Status};
use crate::quote::display_path;
use crate::templates::Templates;

pub fn templates(action: TemplatesAction, stdout: &mut dyn Write) -> Result<Status, Error> {
    match action {
        TemplatesAction::List => {
            for name in Templates::names() {
                writeln!(stdout, "{name}")?;
            }
            Ok(Status::Clean)
        }
        TemplatesAction::Export { dir, force } => {
            let sources = Templates::sources();
            if !force {
                let existing: Vec<String> = sources
                    .iter()
                    .map(|(name, _)| dir.join(name))
                    .filter(|path| path.exists())
                    .map(|path| display_path(&path))
                    .collect();
                if !existing.is_empty() {
                    return Err(Error::InTheWay(format!(
                        "{} already exist{}",
                        existing.join(", "),
                        if existing.len() == 1 { "s" } else { "" }
                    )));
                }
            }
            std::fs::create_dir_all(&dir).map_err(|error| {
                Error::Input(format!("cannot create {}: {error}", display_path(&dir)))
            })?;
            for (name, source) in &sources {
                std::fs::write(dir.join(name), source).map_err(|error| {
                    Error::Input(format!(
                        "cannot write {}: {error}",
                        display_path(&dir.join(name))
                    ))
                })?;
            }
            writeln!(
                stdout,
                "exported {} templates to {}; keep only the ones you change, and render with --templates {}",
                sources.len(),
                display_path(&dir),
                display_path(&dir)
            )?;
            Ok(Status::Clean)
        }
    }
}

pub fn completions(shell: clap_complete::Shell, stdout: &mut dyn Write) -> Result<Status, Error> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "harden", &mut script);
    stdout.write_all(&script)?;
    Ok(Status::Clean)
}

/// `harden man`: with `dir`, every page (harden.1 and one per command, the
/// pages harden(1) names in its SUBCOMMANDS section); without, harden(1)
/// on stdout and a note of the pages it refers to.
pub fn man(
    dir: Option<&std::path::Path>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<Status, Error> {
    let Some(dir) = dir else {
        clap_mangen::Man::new(Cli::command()).render(stdout)?;
        writeln!(
            stderr,
            "note: this page refers to harden-<command>(1); write them all with `harden man DIR`"
        )?;
        return Ok(Status::Clean);
    };
    std::fs::create_dir_all(dir)
        .map_err(|error| Error::Input(format!("cannot create {}: {error}", display_path(dir))))?;
    clap_mangen::generate_to(Cli::command(), dir)
        .map_err(|error| Error::Input(format!("cannot write to {}: {error}", display_path(dir))))?;
    // One page per command, as clap_mangen::generate_to writes them.
    fn pages(command: &clap::Command) -> usize {
        1 + command
            .get_subcommands()
            .filter(|c| !c.is_hide_set() && c.get_name() != "help")
            .map(pages)
            .sum::<usize>()
    }
    let pages = pages(&Cli::command());
    writeln!(stdout, "wrote {pages} man pages to {}", display_path(dir))?;
    Ok(Status::Clean)
}
