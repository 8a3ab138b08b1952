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

#[cfg(test)]
mod tests {
    use crate::guard::Mode;
    use crate::spec;

    const SPEC: &str = "apiVersion: harden.dev/v1alpha1
kind: SecuritySpec
app:
  name: web
workload:
  image: docker.io/example/web@sha256:0c9e4b5a1f2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f
  port: 8080
";

    fn setting(extra: &str, workspace: Option<&str>) -> Result<crate::guard::Setting, String> {
        let text = format!("{SPEC}{extra}");
        let parsed = crate::load::parse_spec(&text, "web.yaml").map_err(|e| e.to_string())?;
        let cluster = workspace.map(|mode| spec::Cluster {
            guard: Some(mode.into()),
            ..Default::default()
        });
        crate::validate::validate_in(&parsed.value, &[], "web.yaml", cluster.as_ref())
            .map(|model| model.guard.expect("every model has a guard setting"))
            .map_err(|problems| format!("{problems:?}"))
    }

    #[test]
    fn the_default_is_warn_without_compliance_and_deny_with_it() {
        let plain = setting("", None).unwrap();
        assert_eq!(plain.mode, Mode::Warn);
        assert_eq!(plain.guard.unwrap().actions, ["Warn", "Audit"]);
        let text = SPEC.replace("name: web\n", "name: web\n  compliance: [soc2]\n");
        let parsed = crate::load::parse_spec(&text, "web.yaml").unwrap();
        let model = crate::validate::validate(&parsed.value, &[], "web.yaml").unwrap();
        assert_eq!(model.guard.unwrap().mode, Mode::Deny);
    }

    #[test]
    fn the_spec_overrides_the_workspace() {
        assert_eq!(setting("", Some("audit")).unwrap().mode, Mode::Audit);
        let off = setting("cluster:\n  guard: off\n", Some("deny")).unwrap();
        assert_eq!(off.mode, Mode::Off);
        assert!(off.guard.is_none() && off.skipped.is_none());
    }

    #[test]
    fn versions_before_1_30_refuse_a_chosen_guard_and_skip_the_default() {
        let spec = SPEC.replace(
            "app:\n  name: web\n",
            "app:\n  name: web\n  podSecurityVersion: v1.29\n",
        );
        let parsed = crate::load::parse_spec(&spec, "web.yaml").unwrap();
        let model = crate::validate::validate(&parsed.value, &[], "web.yaml").unwrap();
        let skipped = model.guard.unwrap();
        assert!(skipped.guard.is_none());
        assert!(skipped.skipped.unwrap().contains("v1.29"));
        let chosen = format!("{spec}cluster:\n  guard: deny\n");
        let parsed = crate::load::parse_spec(&chosen, "web.yaml").unwrap();
        let problems = crate::validate::validate(&parsed.value, &[], "web.yaml").unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].path, "cluster.guard");
        assert!(problems[0].message.contains("v1.30"));
        assert!(problems[0].help.as_deref().unwrap().contains("guard: off"));
        let off = format!("{spec}cluster:\n  guard: off\n");
        let parsed = crate::load::parse_spec(&off, "web.yaml").unwrap();
        assert!(crate::validate::validate(&parsed.value, &[], "web.yaml").is_ok());
    }

    #[test]
    fn an_unknown_mode_is_refused_with_the_choices() {
        let error = setting("cluster:\n  guard: enforce\n", None).unwrap_err();
        assert!(
            error.contains("cluster.guard") && error.contains("deny, warn, audit, off"),
            "{error}"
        );
    }
}
