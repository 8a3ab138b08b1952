//! Where `harden init` writes the spec, and what is already there: the
//! output path, refusing an existing spec without `--force`, and the
//! cluster profile of the workspace the spec will join.

use std::path::{Path, PathBuf};

use super::asker::WizardError;
use crate::cli::InitArgs;

/// Where the spec is written.
pub(super) fn output_path(args: &InitArgs, name: &str) -> PathBuf {
    args.output
        .clone()
        .unwrap_or_else(|| Path::new("specs").join(format!("{name}.yaml")))
}

/// The cluster profile of the workspace the spec will be written into
/// (`cluster:` in its harden.yaml), found from the nearest existing
/// directory above `output`.
pub(crate) fn workspace_cluster(output: &Path) -> Option<crate::spec::Cluster> {
    let absolute = std::env::current_dir().ok()?.join(output);
    let existing = absolute.ancestors().skip(1).find(|dir| dir.is_dir())?;
    crate::load::workspace(existing).ok()?.cluster().cloned()
}

pub(super) fn refuse_existing(args: &InitArgs, name: &str) -> Result<(), WizardError> {
    let output = output_path(args, name);
    if output.exists() && !args.force {
        return Err(WizardError::Exists(crate::quote::display_path(&output)));
    }
    Ok(())
}
