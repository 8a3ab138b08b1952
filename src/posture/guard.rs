//! The admission guard in the posture document: its control row (C12), its
//! live-audit check (13), its penetration-test scenario (5.2) and the risks
//! it leaves. Kept apart from the other controls so the guard's wording
//! lives beside nothing else.

use super::Control;
use crate::guard::Mode;
use crate::model::Model;
use crate::platform::names;

/// The live audit's check of the guard: its policies and bindings exist,
/// bind the app's namespace and enforce at least the spec's mode. Always
/// reported (a skip, with the reason, when no guard is rendered).
pub const GUARD_CHECK: (u8, &str) = (13, "admission guard");

/// The penetration test's scenario: the app's own pod under another
/// ServiceAccount, refused on a server-side dry run by the guard's
/// service-account rule. Always reported (a skip without a guard).
pub const GUARD_SCENARIO: &str = "5.2";
pub const GUARD_SCENARIO_TITLE: &str =
    "run the app's pod as another ServiceAccount (admission guard)";

/// Where the guard is rendered: the app's output, or its shared
/// namespace's.
fn guard_file(model: &Model) -> String {
    match &model.shared_namespace {
        Some(dir) => format!("{dir}/{}", names::ADMISSION_GUARD_FILE),
        None => names::ADMISSION_GUARD_FILE.to_string(),
    }
}

/// The control row.
pub fn control(model: &Model) -> Control {
    let setting = model.guard.as_ref();
    let (implementation, files) = match setting {
        Some(s) if s.guard.is_some() => (
            format!(
                "ValidatingAdmissionPolicies bound to namespace {} in mode {} ({}): only the spec's image, ServiceAccount, user and token; restricted security context, read-only root filesystem, no host namespaces, hostPath, privileged containers or added capabilities{}; no RoleBinding to cluster-admin, admin or edit or beyond the spec's Role",
                model.namespace,
                s.mode.name(),
                match s.mode {
                    Mode::Deny => "refuses",
                    Mode::Warn => "warns, refuses nothing",
                    Mode::Audit => "audit log only, refuses nothing",
                    Mode::Off => "off",
                },
                if model.dapr.is_some() {
                    "; the Dapr annotations unchanged and daprd injected"
                } else {
                    ""
                }
            ),
            vec![guard_file(model)],
        ),
        Some(s) if s.skipped.is_some() => (
            format!("no guard: {}", s.skipped.as_deref().unwrap_or_default()),
            Vec::new(),
        ),
        _ => (
            "no guard: the spec turns it off (cluster.guard: off)".to_string(),
            Vec::new(),
        ),
    };
    Control {
        id: "C12".into(),
        name: "Admission guard",
        implementation,
        files,
        audit_checks: vec![GUARD_CHECK.0],
        pentest: vec![GUARD_SCENARIO.to_string()],
    }
}

/// What the guard leaves open.
pub fn risks(model: &Model) -> Vec<String> {
    let Some(setting) = &model.guard else {
        return Vec::new();
    };
    let mut risks = Vec::new();
    match (setting.mode, &setting.skipped) {
        (Mode::Off, _) => risks.push(format!(
            "No admission guard (cluster.guard: off): whoever may create pods or RoleBindings in {} can run another image, ServiceAccount or security context, or widen the app's access; nothing on the cluster refuses it.",
            model.namespace
        )),
        (_, Some(reason)) => risks.push(format!(
            "No admission guard: {reason}. Raise app.podSecurityVersion once the cluster runs v1.30 or later; until then nothing on the cluster refuses another image, ServiceAccount or RoleBinding in {}.",
            model.namespace
        )),
        (Mode::Warn | Mode::Audit, None) => risks.push(format!(
            "The admission guard is in {} mode: it reports what the spec forbids but refuses nothing; switch cluster.guard to deny once the warnings and audit events stop.",
            setting.mode.name()
        )),
        (Mode::Deny, None) => {}
    }
    if setting.guard.is_some() || model.shared_namespace.is_some() {
        risks.push(
            "The admission guard judges objects when they are created or their pod template changes: an object that predates it keeps running until then, and ClusterRoleBindings (cluster-scoped) are outside it.".into(),
        );
    }
    if setting.mode != Mode::Off && setting.skipped.is_none() && !setting.auditors.is_empty() {
        risks.push(format!(
            "The auditors of cluster.auditors ({}) may start pods whose Dapr sidecar runs under the app-id of any Dapr app of {}: with it they hold that app's secret scope, components and the calls other apps admit from it. The live audit needs this for checks 15 to 17; name only the identity that runs it.",
            setting.auditors.described().join(", "),
            model.namespace
        ));
    }
    risks
}
