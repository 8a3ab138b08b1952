//! Which specs a command judges, one rule for every command: no path means
//! the workspace of the current directory; a spec (or a directory) of a
//! workspace with a workspace file (`harden.yaml`) is judged with every
//! spec of that workspace, and the command reports on what was named; other
//! paths are their own system (a directory or several specs) or one spec
//! alone.

use std::path::{Path, PathBuf};

use super::Prepared;
use super::find::{is_system, spec_files, workspace_of};
use super::outputs::services_of;
use crate::error::Error;
use crate::system::{self, summary};

/// The specs to compile, and those the command was asked about.
#[derive(Debug, Clone)]
pub struct Scope {
    /// Every spec (or directory) to compile together.
    pub all: Vec<PathBuf>,
    /// With a workspace file: the specs named, to report on; `None`: all.
    pub focus: Option<Vec<PathBuf>>,
}

impl Scope {
    /// Whether the scope is compiled as a system (several specs, a
    /// directory, or a spec judged with its workspace) rather than as one
    /// spec alone.
    pub fn is_system(&self) -> bool {
        self.focus.is_some() || is_system(&self.all)
    }
}

/// The scope of `paths` ([module docs](self)).
pub fn scope(paths: &[PathBuf]) -> Result<Scope, Error> {
    if paths.is_empty() {
        let workspace = crate::load::current_workspace()?;
        return Ok(Scope {
            all: workspace.spec_dirs(),
            focus: None,
        });
    }
    Ok(match workspace_of(paths) {
        Some((all, focus)) => Scope {
            all,
            focus: Some(focus),
        },
        None => Scope {
            all: paths.to_vec(),
            focus: None,
        },
    })
}

/// [`super::prepare`] for one spec as its workspace sees it: with a
/// workspace file, compiled with every spec of the workspace (its `app:`
/// references resolved, its shared namespace and neighbourhood known), as
/// `render` renders it; else alone.
pub fn prepare_in_workspace(spec: &Path, templates_dir: Option<&Path>) -> Result<Prepared, Error> {
    let Some((all, focus)) = workspace_of(&[spec.to_path_buf()]) else {
        return super::prepare(spec, templates_dir, false);
    };
    let files = spec_files(&all)?;
    let mut compiled = system::compile(&files).map_err(|problems| Error::System {
        summary: summary(&problems, files.len()),
        problems,
    })?;
    let Some(&index) = services_of(&compiled, &focus).first() else {
        return super::prepare(spec, templates_dir, false);
    };
    let service = compiled.services.swap_remove(index);
    let templates = super::workspace_templates(&service.workspace, templates_dir)?;
    let (files, written) = crate::render::render_written(&service.model, &templates)?;
    Ok(Prepared {
        workspace: service.workspace,
        templates,
        model: service.model,
        files,
        written,
    })
}
