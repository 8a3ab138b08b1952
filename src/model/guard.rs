//! The admission guard's data, as the model carries it: the mode a spec
//! asks for (`cluster.guard`), what the guard admits of one app, and the
//! rendered guard of a namespace (its policies, variables and rules), whose
//! objects `crate::guard::objects` builds and writes.
//!
//! Only data lives here, below the model, so that [`crate::model::Model`]
//! can hold a spec's [`Setting`] without the model reading the guard's
//! builder; `crate::guard` builds these values from a model (and writes
//! their CEL).

use serde::Serialize;

use crate::platform::admission;

/// What a binding does with a failed rule (`cluster.guard`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// No guard is rendered.
    Off,
    /// Failures are written to the audit log only.
    Audit,
    /// Failures answer with a warning (and are audited); nothing is refused.
    Warn,
    /// Failures are refused (and audited).
    Deny,
}

impl Mode {
    /// The spellings of `cluster.guard`.
    pub const NAMES: [&'static str; 4] = ["deny", "warn", "audit", "off"];

    pub fn parse(text: &str) -> Option<Mode> {
        match text {
            "deny" => Some(Mode::Deny),
            "warn" => Some(Mode::Warn),
            "audit" => Some(Mode::Audit),
            "off" => Some(Mode::Off),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Mode::Off => "off",
            Mode::Audit => "audit",
            Mode::Warn => "warn",
            Mode::Deny => "deny",
        }
    }

    /// The default: `deny` under a compliance context (a control the
    /// frameworks ask to be enforced), else `warn`: a namespace that already
    /// runs objects the guard would refuse sees the warnings on every
    /// `kubectl apply` and in the audit log before anything is refused, and
    /// the owner switches to `deny` once they stop.
    pub fn default_for(compliance: &[String]) -> Mode {
        if compliance.is_empty() {
            Mode::Warn
        } else {
            Mode::Deny
        }
    }

    /// The binding's `validationActions`: `Deny` and `Warn` never together
    /// (validation.go `validateValidationActions`), `Audit` with each.
    pub fn actions(self) -> Vec<&'static str> {
        match self {
            Mode::Off => Vec::new(),
            Mode::Audit => vec![admission::AUDIT],
            Mode::Warn => vec![admission::WARN, admission::AUDIT],
            Mode::Deny => vec![admission::DENY, admission::AUDIT],
        }
    }
}

/// What the guard admits for one app: its rendered workload's identity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct App {
    /// The app's name, the value of its pods' `app.kubernetes.io/name`.
    pub name: String,
    pub image: String,
    pub service_account: String,
    pub run_as_user: u64,
    /// The spec grants API access: a projected token may be mounted.
    pub api_access: bool,
    /// The Role the spec grants, with its rules; `None` without API access.
    pub role: Option<Role>,
    /// The Dapr annotations of the pod template, exactly as rendered; empty
    /// without Dapr.
    pub dapr_annotations: Vec<(String, String)>,
}

/// The spec's Role: its name and rules (`apiGroups`, `resources`,
/// `resourceNames`, `verbs`, in the rendered order).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Role {
    pub name: String,
    pub rules: Vec<Vec<(&'static str, Vec<String>)>>,
}

/// Who may run Dapr probes under an app's own app-id (`cluster.auditors`):
/// the API server's user names (ServiceAccounts as
/// `system:serviceaccount:<namespace>:<name>`) and groups. Empty: nobody.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Auditors {
    pub users: Vec<String>,
    pub groups: Vec<String>,
}

impl Auditors {
    pub fn is_empty(&self) -> bool {
        self.users.is_empty() && self.groups.is_empty()
    }

    /// Those every one of `all` names (a shared namespace's guard admits
    /// an auditor only where each of its specs does); nobody for none.
    pub fn common<'a>(mut all: impl Iterator<Item = &'a Auditors>) -> Auditors {
        let Some(first) = all.next() else {
            return Auditors::default();
        };
        all.fold(first.clone(), |common, next| Auditors {
            users: common
                .users
                .into_iter()
                .filter(|u| next.users.contains(u))
                .collect(),
            groups: common
                .groups
                .into_iter()
                .filter(|g| next.groups.contains(g))
                .collect(),
        })
    }

    /// Every name, `user NAME` and `group NAME`, for a reader.
    pub fn described(&self) -> Vec<String> {
        self.users
            .iter()
            .map(|u| format!("user {u}"))
            .chain(self.groups.iter().map(|g| format!("group {g}")))
            .collect()
    }
}

/// A spec's guard: the mode it asks for, what it admits, and the policies
/// rendered for it alone (`None` when off, or when its Kubernetes version
/// has no v1 API: `skipped` says why).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Setting {
    pub mode: Mode,
    pub app: App,
    /// `cluster.auditors`.
    pub auditors: Auditors,
    pub guard: Option<Guard>,
    /// Why no guard is rendered although the mode is not `off`.
    pub skipped: Option<String>,
}

/// The rendered guard of a namespace.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Guard {
    pub namespace: String,
    pub mode: Mode,
    pub actions: Vec<&'static str>,
    pub apps: Vec<String>,
    /// Who may run Dapr probes under the namespace's apps' app-ids.
    pub auditors: Auditors,
    pub policies: Vec<Policy>,
}

/// One ValidatingAdmissionPolicy and its binding (same name).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Policy {
    pub name: String,
    /// What it is for, as a comment.
    pub purpose: &'static str,
    pub rules: Vec<admission::ResourceRule>,
    pub match_conditions: Vec<Named>,
    pub variables: Vec<Named>,
    pub validations: Vec<Validation>,
}

/// A match condition or a variable.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Named {
    pub name: String,
    pub expression: String,
}

/// One rule: its id (named in the message), expression and message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Validation {
    pub rule: &'static str,
    pub expression: String,
    pub message: String,
    /// `Forbidden` (HTTP 403) rather than the default `Invalid`.
    pub reason: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_namespace_admits_only_the_auditors_every_spec_names() {
        let named = |users: &[&str], groups: &[&str]| Auditors {
            users: users.iter().map(|u| u.to_string()).collect(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
        };
        let a = named(&["ci", "alice"], &["sec"]);
        let b = named(&["ci"], &["sec", "ops"]);
        assert_eq!(
            Auditors::common([&a, &b].into_iter()),
            named(&["ci"], &["sec"])
        );
        assert_eq!(
            Auditors::common([&a, &Auditors::default()].into_iter()),
            Auditors::default()
        );
        assert!(Auditors::common(std::iter::empty()).is_empty());
        assert_eq!(a.described(), ["user ci", "user alice", "group sec"]);
    }
}
