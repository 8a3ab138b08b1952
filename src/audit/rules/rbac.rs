//! Control 2, least-privilege RBAC: wildcards, Secrets, cluster-wide
//! bindings, permissions no pod can use, and the permissions that escalate
//! without a wildcard.

use serde_json::Value;

use crate::audit::rule::{Check, Cx, Rule, WorkloadInfo};
use crate::objects::Object;
use crate::objects::value::string_list;

/// Every RBAC rule, in catalogue order.
pub static RULES: &[&Rule] = &[
    &RBAC_WILDCARD,
    &RBAC_SECRETS,
    &RBAC_NAMED_SECRETS,
    &RBAC_CLUSTER_BINDING,
    &RBAC_DEAD_PERMISSION,
];

// 2. Least-privilege RBAC.

control!(
    RBAC_WILDCARD,
    "control/rbac-wildcard",
    High,
    2,
    Check::Object(rbac_wildcard),
    "RBAC rule uses a wildcard",
    "name the API groups, resources and verbs the app needs"
);

/// The rules of a Role or ClusterRole, with their index.
fn role_rules<'a>(object: &Object<'a>) -> impl Iterator<Item = (usize, &'a Value)> {
    matches!(object.kind(), "Role" | "ClusterRole")
        .then(|| object.document.get("rules").and_then(Value::as_array))
        .flatten()
        .into_iter()
        .flatten()
        .enumerate()
}

fn rbac_wildcard(cx: &mut Cx<'_>, object: &Object<'_>) {
    for (i, rule) in role_rules(object) {
        let wildcards: Vec<&str> = ["apiGroups", "resources", "verbs"]
            .into_iter()
            .filter(|key| string_list(rule.get(*key)).iter().any(|v| v.contains('*')))
            .collect();
        if !wildcards.is_empty() {
            cx.report(
                object,
                &format!("rules[{i}].{}", wildcards[0]),
                format!("wildcard in {}", wildcards.join(", ")),
                format!(
                    "replace the * in rules[{i}].{} with the exact names the app needs",
                    wildcards.join(", rules[{i}].")
                ),
            );
        }
    }
}

control!(
    RBAC_SECRETS,
    "control/rbac-secrets",
    Medium,
    2,
    Check::Object(rbac_secrets),
    "RBAC grants access to Secrets",
    "remove secrets from the rule unless the app must read them through the API (prefer a mounted Secret)"
);

control!(
    RBAC_NAMED_SECRETS,
    "control/rbac-named-secrets",
    Low,
    2,
    Check::Driver,
    "RBAC grants access to named Secrets only",
    "check that the app must read these Secrets through the API; a mounted Secret needs no RBAC"
);

/// Reports rules on secrets: all of them (`control/rbac-secrets`), or only
/// those named in `resourceNames` (`control/rbac-named-secrets`, lower).
/// resourceNames limits every verb it can apply to; create and
/// deletecollection cannot be limited by name and never match such a rule
/// (kubernetes/kubernetes pkg/apis/rbac/v1/evaluation_helpers.go,
/// ResourceNameMatches, and the RBAC docs "Referring to resources": from
/// memory, not yet checked against the upstream file).
fn rbac_secrets(cx: &mut Cx<'_>, object: &Object<'_>) {
    for (i, rule) in role_rules(object) {
        let groups = string_list(rule.get("apiGroups"));
        let resources = string_list(rule.get("resources"));
        let verbs = string_list(rule.get("verbs")).join(", ");
        let core = groups.is_empty() || groups.iter().any(|g| g.is_empty() || g == "*");
        if !core || !resources.iter().any(|r| r == "secrets" || r == "*") {
            continue;
        }
        let names = string_list(rule.get("resourceNames"));
        if names.is_empty() {
            cx.report(
                object,
                &format!("rules[{i}].resources"),
                format!("grants {verbs} on all Secrets"),
                format!(
                    "remove secrets from rules[{i}].resources, or limit it with resourceNames to the Secrets the app must read through the API"
                ),
            );
        } else {
            cx.report_rule(
                &RBAC_NAMED_SECRETS,
                object,
                &format!("rules[{i}].resourceNames"),
                format!(
                    "grants {verbs} on the Secrets {} only",
                    names
                        .iter()
                        .map(|n| format!("{n:?}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                format!(
                    "check that the app must read {} through the API; a Secret mounted as a volume needs no RBAC",
                    names.join(", ")
                ),
            );
        }
    }
}

control!(
    RBAC_CLUSTER_BINDING,
    "control/rbac-cluster-binding",
    High,
    2,
    Check::Object(rbac_cluster_binding),
    "ServiceAccount bound cluster-wide",
    "bind a Role with a RoleBinding in the app's namespace instead of a ClusterRoleBinding"
);

fn subjects<'a>(object: &Object<'a>) -> impl Iterator<Item = (usize, &'a Value)> {
    object
        .document
        .get("subjects")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .filter(|(_, s)| s.get("kind").and_then(Value::as_str) == Some("ServiceAccount"))
}

fn rbac_cluster_binding(cx: &mut Cx<'_>, object: &Object<'_>) {
    if object.kind() != "ClusterRoleBinding" {
        return;
    }
    let role = object
        .document
        .pointer("/roleRef/name")
        .and_then(Value::as_str)
        .unwrap_or("?");
    for (i, subject) in subjects(object) {
        let namespace = subject
            .get("namespace")
            .and_then(Value::as_str)
            .unwrap_or("?");
        let name = subject.get("name").and_then(Value::as_str).unwrap_or("?");
        cx.report(
            object,
            &format!("subjects[{i}]"),
            format!("binds ServiceAccount {namespace}/{name} cluster-wide"),
            format!(
                "bind {role} with a RoleBinding in namespace {namespace} instead, unless {name} must act in every namespace"
            ),
        );
    }
}

control!(
    RBAC_DEAD_PERMISSION,
    "control/rbac-dead-permission",
    Low,
    2,
    Check::Object(rbac_dead_permission),
    "RBAC grants a ServiceAccount whose pods mount no token",
    "remove the Role, or mount a projected service account token where the app calls the API"
);

fn rbac_dead_permission(cx: &mut Cx<'_>, object: &Object<'_>) {
    if object.kind() != "RoleBinding" {
        return;
    }
    let namespace = object.namespace().unwrap_or("default");
    for (i, subject) in subjects(object) {
        let subject_namespace = subject
            .get("namespace")
            .and_then(Value::as_str)
            .unwrap_or(namespace);
        let name = subject
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let pods: Vec<&WorkloadInfo> = cx
            .index
            .workloads
            .iter()
            .filter(|w| w.namespace == subject_namespace && w.account == name)
            .collect();
        if !pods.is_empty() && !pods.iter().any(|w| cx.index.mounts_token(w)) {
            cx.report(
                object,
                &format!("subjects[{i}]"),
                format!("grants ServiceAccount {subject_namespace}/{name}, but none of its pods mounts a token to use it"),
                format!("remove this binding, or mount a projected service account token in {} where the app calls the API", pods[0].anchor.resource),
            );
        }
    }
}
