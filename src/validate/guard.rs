//! `cluster.guard` (the spec's, over the workspace's): the admission
//! guard's mode. A spec that asks for a guard on a Kubernetes version
//! without ValidatingAdmissionPolicy v1 is refused; a spec that only gets
//! the default renders none and its posture document says so
//! ([`crate::guard::Setting::skipped`]).

use super::Validator;
use crate::diagnostics::Problem;
use crate::guard::{self, Mode};
use crate::spec;

/// The field path of the setting, as problems name it.
pub const GUARD_FIELD: &str = "cluster.guard";

impl Validator {
    /// The guard's mode, and whether the spec (or harden.yaml) chose it.
    pub(super) fn guard_mode(
        &mut self,
        cluster: Option<&spec::Cluster>,
        compliance: &[String],
        pss_version: Option<&str>,
    ) -> Mode {
        let written = cluster.and_then(|c| c.guard.as_deref());
        let Some(text) = written else {
            return Mode::default_for(compliance);
        };
        let Some(mode) = Mode::parse(text) else {
            self.push(
                Problem::new(GUARD_FIELD, format!("{text:?} is not a guard mode"))
                    .help(format!("use one of {}", Mode::NAMES.join(", "))),
            );
            return Mode::default_for(compliance);
        };
        if mode != Mode::Off
            && let Some(reason) = pss_version.and_then(guard::too_old)
        {
            self.push(
                Problem::new(
                    GUARD_FIELD,
                    format!("{text:?} needs Kubernetes v1.30 or later: {reason}"),
                )
                .help(
                    "raise app.podSecurityVersion to v1.30 or later if the cluster runs it, or write `guard: off` (in the spec's or harden.yaml's cluster section)",
                ),
            );
        }
        mode
    }
}
