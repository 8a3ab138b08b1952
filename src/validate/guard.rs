//! `cluster.guard` (the spec's, over the workspace's): the admission
//! guard's mode. A spec that asks for a guard on a Kubernetes version
//! without ValidatingAdmissionPolicy v1 is refused; a spec that only gets
//! the default renders none and its posture document says so
//! ([`crate::guard::Setting::skipped`]).

use super::Validator;
use super::formats;
use crate::diagnostics::Problem;
use crate::guard::{self, Auditors, Mode};
use crate::platform::admission;
use crate::spec;

/// The field path of the setting, as problems name it.
pub const GUARD_FIELD: &str = "cluster.guard";
/// Who may run the live audit's Dapr probes under an app's app-id.
pub const AUDITORS_FIELD: &str = "cluster.auditors";
/// The most names of each kind: a handful of CI identities.
const MAX_AUDITORS: usize = 20;

impl Validator {
    /// `cluster.auditors` as the API server names them: a ServiceAccount
    /// `ns/name` becomes the user `system:serviceaccount:ns:name`. Refused:
    /// a name for everybody (all authenticated users, all ServiceAccounts
    /// of the cluster or of a namespace, anonymous), an empty or control
    /// character name, more than [`MAX_AUDITORS`] of a kind.
    pub(super) fn guard_auditors(&mut self, cluster: Option<&spec::Cluster>) -> Auditors {
        let Some(written) = cluster.and_then(|c| c.auditors.as_ref()) else {
            return Auditors::default();
        };
        let mut auditors = Auditors::default();
        let lists = [
            (Kind::User, &written.users),
            (Kind::Group, &written.groups),
            (Kind::ServiceAccount, &written.service_accounts),
        ];
        for (kind, list) in lists {
            let field = kind.field();
            let list = list.as_deref().unwrap_or_default();
            if list.len() > MAX_AUDITORS {
                self.push(
                    Problem::new(
                        format!("{AUDITORS_FIELD}.{field}"),
                        format!("{} names, at most {MAX_AUDITORS} are allowed", list.len()),
                    )
                    .help(
                        "name the CI identity that runs the live audit, not every person who might",
                    ),
                );
                continue;
            }
            for (i, name) in list.iter().enumerate() {
                let path = format!("{AUDITORS_FIELD}.{field}[{i}]");
                match auditor(kind, name) {
                    Ok(Identity::User(user)) => auditors.users.push(user),
                    Ok(Identity::Group(group)) => auditors.groups.push(group),
                    Err((reason, help)) => {
                        self.push(Problem::new(path, format!("{name:?} {reason}")).help(help))
                    }
                }
            }
        }
        auditors.users.sort();
        auditors.users.dedup();
        auditors.groups.sort();
        auditors.groups.dedup();
        auditors
    }

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

/// The lists of `cluster.auditors`.
#[derive(Clone, Copy)]
enum Kind {
    User,
    Group,
    ServiceAccount,
}

impl Kind {
    /// The list's field name.
    fn field(self) -> &'static str {
        match self {
            Kind::User => "users",
            Kind::Group => "groups",
            Kind::ServiceAccount => "serviceAccounts",
        }
    }
}

/// An auditor as the API server names it.
enum Identity {
    User(String),
    Group(String),
}

/// Why a name is refused, and the fix.
type Refusal = (String, &'static str);

/// One name of a `cluster.auditors` list, as a user or a group; or why
/// not, and the fix.
fn auditor(kind: Kind, name: &str) -> Result<Identity, Refusal> {
    let broad = "name one identity: the ServiceAccount or user that runs the live audit in CI";
    if name.trim().is_empty() || name.chars().any(char::is_control) || name.len() > 253 {
        return Err((
            "is not a name (empty, too long or with control characters)".into(),
            broad,
        ));
    }
    match kind {
        Kind::ServiceAccount => {
            let Some((namespace, account)) = name.split_once('/') else {
                return Err((
                    "is not namespace/name".into(),
                    "write the ServiceAccount as <namespace>/<name>, e.g. ci/harden-audit",
                ));
            };
            formats::dns1123_label(namespace)
                .and_then(|()| formats::dns1123_subdomain(account))
                .map_err(|reason| (format!("is not namespace/name: {reason}"), broad))?;
            Ok(Identity::User(format!(
                "{}{namespace}:{account}",
                admission::SERVICE_ACCOUNT_USER_PREFIX
            )))
        }
        Kind::Group => {
            if admission::EVERYBODY_GROUPS.contains(&name)
                || name.starts_with(admission::SERVICE_ACCOUNT_GROUP_PREFIX)
            {
                return Err((
                    "names a whole class of users, each of whom could act as any Dapr app of the namespace".into(),
                    broad,
                ));
            }
            Ok(Identity::Group(name.to_string()))
        }
        Kind::User => {
            if name == admission::ANONYMOUS_USER {
                return Err(("is every unauthenticated request".into(), broad));
            }
            Ok(Identity::User(name.to_string()))
        }
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
    fn auditors_become_user_and_group_names() {
        let named = setting(
            "cluster:\n  auditors:\n    serviceAccounts: [ci/harden-audit, ci/harden-audit]\n    users: [alice@example.com]\n    groups: [platform-auditors]\n",
            None,
        )
        .unwrap();
        assert_eq!(
            named.auditors.users,
            ["alice@example.com", "system:serviceaccount:ci:harden-audit"]
        );
        assert_eq!(named.auditors.groups, ["platform-auditors"]);
        assert_eq!(named.guard.unwrap().auditors, named.auditors);
        assert!(setting("", None).unwrap().auditors.is_empty());
    }

    #[test]
    fn auditors_that_name_everybody_or_nothing_are_refused() {
        for (section, path, says) in [
            (
                "groups: [system:authenticated]",
                "cluster.auditors.groups[0]",
                "whole class",
            ),
            (
                "groups: [system:serviceaccounts]",
                "cluster.auditors.groups[0]",
                "whole class",
            ),
            (
                "groups: [\"system:serviceaccounts:ci\"]",
                "cluster.auditors.groups[0]",
                "whole class",
            ),
            (
                "users: [system:anonymous]",
                "cluster.auditors.users[0]",
                "unauthenticated",
            ),
            ("users: [\"\"]", "cluster.auditors.users[0]", "not a name"),
            (
                "serviceAccounts: [harden-audit]",
                "cluster.auditors.serviceAccounts[0]",
                "namespace/name",
            ),
            (
                "serviceAccounts: [CI/x]",
                "cluster.auditors.serviceAccounts[0]",
                "namespace/name",
            ),
        ] {
            let error = setting(&format!("cluster:\n  auditors:\n    {section}\n"), None)
                .expect_err(section);
            assert!(
                error.contains(path) && error.contains(says),
                "{section}: {error}"
            );
        }
        let many: Vec<String> = (0..21).map(|i| format!("u{i}")).collect();
        let error = setting(
            &format!("cluster:\n  auditors:\n    users: [{}]\n", many.join(", ")),
            None,
        )
        .unwrap_err();
        assert!(error.contains("21 names, at most 20"), "{error}");
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
