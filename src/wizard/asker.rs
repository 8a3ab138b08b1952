//! What every question of `harden init` shares: the [`Asker`] that asks
//! and re-asks until an answer validates where it lands in the spec, the
//! wizard's error, and small readers of the spec being written. It imports
//! no other file of the wizard, so the question files (`interview.rs`,
//! `access.rs`, `dapr.rs`, `network.rs`, `secrets.rs`) depend on it and
//! never on each other in a circle.

use dialoguer::theme::Theme;
use dialoguer::{Confirm, Input};

use crate::spec::{self, Spec};
use crate::validate;

/// Why the wizard stopped.
#[derive(Debug, thiserror::Error)]
pub enum WizardError {
    #[error("error: {0}")]
    Usage(String),
    #[error("error: standard input is not a terminal and these values are missing: {}\n  help: pass them as flags, e.g. harden init --name billing --image registry/billing@sha256:<digest> --yes", .0.join(", "))]
    Missing(Vec<String>),
    #[error("error: {0} exists; pass --force to overwrite it")]
    Exists(String),
    #[error("{0}")]
    Invalid(String),
    #[error("error: the wizard was interrupted; nothing was written")]
    Interrupted,
    #[error(transparent)]
    Write(#[from] crate::write::WriteError),
    /// Writing to the terminal failed.
    #[error("error: cannot write the wizard's output: {0}")]
    Output(std::io::Error),
}

impl From<dialoguer::Error> for WizardError {
    fn from(_: dialoguer::Error) -> Self {
        WizardError::Interrupted
    }
}

pub(super) fn name_of(spec: &Spec) -> Option<&str> {
    spec.app.as_ref()?.name.as_deref()
}

pub(super) fn workload(spec: &mut Spec) -> &mut spec::Workload {
    spec.workload.get_or_insert_with(Default::default)
}

/// The first problem `validate` reports for `path` in `spec` (or for any
/// of several paths written `a|b`), as the wizard's re-ask message.
pub(super) fn problem_at(spec: &Spec, path: &str) -> Option<String> {
    path.split('|')
        .flat_map(|path| validate::validate_answer(spec, path))
        .next()
        .map(|p| match p.help {
            Some(help) => format!("{} ({help})", p.message),
            None => p.message,
        })
}

pub(super) struct Asker<'a> {
    pub(super) theme: &'a dyn Theme,
}

impl Asker<'_> {
    /// Asks for a text answer, placed into the spec by `place` and checked
    /// at `path` until valid.
    pub(super) fn text(
        &self,
        spec: &mut Spec,
        prompt: &str,
        default: Option<String>,
        path: &str,
        place: impl Fn(&mut Spec, &str) + Clone,
    ) -> Result<String, WizardError> {
        let snapshot = spec.clone();
        let check = place.clone();
        let check_path = path.to_string();
        let mut input = Input::<String>::with_theme(self.theme)
            .with_prompt(prompt)
            .validate_with(move |answer: &String| -> Result<(), String> {
                let mut candidate = snapshot.clone();
                check(&mut candidate, answer.trim());
                match problem_at(&candidate, &check_path) {
                    Some(problem) => Err(problem),
                    None => Ok(()),
                }
            });
        if let Some(default) = default {
            input = input.default(default);
        }
        let answer = input.interact_text()?.trim().to_string();
        place(spec, &answer);
        Ok(answer)
    }

    /// Asks for the app name of another spec of the workspace: a name
    /// alone cannot be checked until the specs are compiled together (the
    /// wizard does, before writing), only its form is checked here.
    pub(super) fn app_name(&self, prompt: &str) -> Result<String, WizardError> {
        Ok(Input::<String>::with_theme(self.theme)
            .with_prompt(prompt)
            .validate_with(|answer: &String| validate::formats::dns1035_label(answer.trim()))
            .interact_text()?
            .trim()
            .to_string())
    }

    pub(super) fn confirm(&self, prompt: &str, default: bool) -> Result<bool, WizardError> {
        Ok(Confirm::with_theme(self.theme)
            .wait_for_newline(true)
            .with_prompt(prompt)
            .default(default)
            .interact()?)
    }
}

/// Whether the spec selects a compliance context.
pub(super) fn has_context(spec: &Spec, context: &str) -> bool {
    spec.app
        .as_ref()
        .is_some_and(|a| a.compliance.iter().any(|c| c == context))
}
