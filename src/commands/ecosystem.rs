//! Commands that fit harden into its surroundings: template export for
//! organisations, shell completions and the man page, all generated from
//! the same definitions the tool runs on.

use std::io::Write;

use clap::CommandFactory;

use super::Status;
use crate::cli::{Cli, TemplatesAction};
use crate::load::display_path;
use crate::templates::Templates;

pub fn templates(
    action: TemplatesAction,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Status {
    match action {
        TemplatesAction::List => {
            for name in Templates::names() {
                let _ = writeln!(stdout, "{name}");
            }
            Status::Clean
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
                    let _ = writeln!(
                        stderr,
                        "error: {} already exist{}; pass --force to overwrite",
                        existing.join(", "),
                        if existing.len() == 1 { "s" } else { "" }
                    );
                    return Status::Findings;
                }
            }
            if let Err(error) = std::fs::create_dir_all(&dir) {
                let _ = writeln!(
                    stderr,
                    "error: cannot create {}: {error}",
                    display_path(&dir)
                );
                return Status::Error;
            }
            for (name, source) in &sources {
                if let Err(error) = std::fs::write(dir.join(name), source) {
                    let _ = writeln!(
                        stderr,
                        "error: cannot write {}: {error}",
                        display_path(&dir.join(name))
                    );
                    return Status::Error;
                }
            }
            let _ = writeln!(
                stdout,
                "exported {} templates to {}; keep only the ones you change, and render with --templates {}",
                sources.len(),
                display_path(&dir),
                display_path(&dir)
            );
            Status::Clean
        }
    }
}

pub fn completions(shell: clap_complete::Shell, stdout: &mut dyn Write) -> Status {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "harden", &mut script);
    let _ = stdout.write_all(&script);
    Status::Clean
}

pub fn man(stdout: &mut dyn Write, stderr: &mut dyn Write) -> Status {
    let page = clap_mangen::Man::new(Cli::command());
    match page.render(stdout) {
        Ok(()) => Status::Clean,
        Err(error) => {
            let _ = writeln!(stderr, "error: cannot write the man page: {error}");
            Status::Error
        }
    }
}
