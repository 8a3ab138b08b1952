//! Control 2, least-privilege RBAC: wildcards, Secrets, cluster-wide
//! bindings, permissions no pod can use, and the permissions that escalate
//! without a wildcard.

use serde_json::Value;

use crate::audit::rule::{Check, Cx, Rule, WorkloadInfo};
use crate::objects::Object;
use crate::objects::value::At;
use crate::objects::value::string_list;

/// Every RBAC rule, in catalogue order.
pub static RULES: &[&Rule] = &[
    &RBAC_WILDCARD,
    &RBAC_SECRETS,
    &RBAC_NAMED_SECRETS,
    &RBAC_CLUSTER_BINDING,
    &RBAC_DEAD_PERMISSION,
    &RBAC_ESCALATE,
    &RBAC_BIND,
    &RBAC_IMPERSONATE,
    &RBAC_PODS_EXEC,
    &RBAC_NODES_PROXY,
    &RBAC_ADMISSION_WEBHOOKS,
    &RBAC_CSR_APPROVAL,
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
/// deletecollection cannot be limited by name (kubernetes/website
/// content/en/docs/reference/access-authn-authz/rbac.md, "Referring to
/// resources": "You cannot restrict `create` or `deletecollection` requests
/// by their resource name"), so the fix for them is another.
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
        let unnamed: Vec<String> = string_list(rule.get("verbs"))
            .into_iter()
            .filter(|v| v == "create" || v == "deletecollection")
            .collect();
        if names.is_empty() {
            let fix = if unnamed.is_empty() {
                format!(
                    "remove secrets from rules[{i}].resources, or limit it with resourceNames to the Secrets the app must read through the API"
                )
            } else {
                format!(
                    "remove secrets from rules[{i}].resources; resourceNames cannot restrict {} (the name is not known when the request is authorised), so if the app must {} Secrets, give that its own rule and limit the other verbs with resourceNames",
                    unnamed.join(" or "),
                    unnamed.join(" or ")
                )
            };
            cx.report(
                object,
                &format!("rules[{i}].resources"),
                format!("grants {verbs} on all Secrets"),
                fix,
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
        .at("/roleRef/name")
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

// Permissions that escalate without a wildcard (kubernetes/website
// content/en/docs/concepts/security/rbac-good-practices.md, "Kubernetes
// RBAC - privilege escalation risks": the escalate, bind and impersonate
// verbs, nodes/proxy, exec into pods, control of admission webhooks, and
// certificate signing requests). A rule that writes `*` for the group,
// resource or verb is control/rbac-wildcard's; these read named grants.

/// A grant that escalates: any of `verbs` on any of `resources` in `group`.
struct Escalation {
    rule: &'static Rule,
    group: &'static str,
    resources: &'static [&'static str],
    verbs: &'static [&'static str],
    /// What the holder can do, for the message.
    why: &'static str,
}

const WRITE: &[&str] = &["create", "update", "patch", "delete", "deletecollection"];

static ESCALATIONS: &[Escalation] = &[
    Escalation {
        rule: &RBAC_ESCALATE,
        group: "rbac.authorization.k8s.io",
        resources: &["roles", "clusterroles"],
        verbs: &["escalate"],
        why: "can write Roles granting permissions it does not hold",
    },
    Escalation {
        rule: &RBAC_BIND,
        group: "rbac.authorization.k8s.io",
        resources: &["roles", "clusterroles"],
        verbs: &["bind"],
        why: "can bind any subject, itself included, to Roles with permissions it does not hold",
    },
    Escalation {
        rule: &RBAC_IMPERSONATE,
        group: "",
        resources: &["users", "groups", "serviceaccounts"],
        verbs: &["impersonate"],
        why: "can act as other users, groups or ServiceAccounts and hold their permissions",
    },
    Escalation {
        rule: &RBAC_PODS_EXEC,
        group: "",
        resources: &["pods/exec", "pods/attach", "pods/ephemeralcontainers"],
        verbs: &["create", "update", "patch", "get"],
        why: "can run commands in other pods and use their ServiceAccounts and Secrets",
    },
    Escalation {
        rule: &RBAC_NODES_PROXY,
        group: "",
        resources: &["nodes/proxy"],
        verbs: &["get", "create", "update", "patch", "delete"],
        why: "reaches the kubelet API, which runs commands in any pod of the node and bypasses audit logging and admission",
    },
    Escalation {
        rule: &RBAC_ADMISSION_WEBHOOKS,
        group: "admissionregistration.k8s.io",
        resources: &[
            "validatingwebhookconfigurations",
            "mutatingwebhookconfigurations",
        ],
        verbs: WRITE,
        why: "can read or rewrite every object admitted to the cluster, or turn admission checks off",
    },
    Escalation {
        rule: &RBAC_CSR_APPROVAL,
        group: "certificates.k8s.io",
        resources: &["certificatesigningrequests/approval"],
        verbs: &["update", "patch"],
        why: "can approve certificate requests, minting client certificates for other identities",
    },
];

macro_rules! escalation {
    ($name:ident, $id:literal, $severity:ident, $title:literal, $fix:literal) => {
        control!(
            $name,
            $id,
            $severity,
            2,
            Check::Object(escalations),
            $title,
            $fix
        );
    };
}

escalation!(
    RBAC_ESCALATE,
    "control/rbac-escalate",
    Critical,
    "RBAC grants the escalate verb on Roles",
    "remove escalate: a Role may then only grant what its writer holds"
);
escalation!(
    RBAC_BIND,
    "control/rbac-bind",
    Critical,
    "RBAC grants the bind verb on Roles",
    "remove bind; if the app must bind Roles, name them in resourceNames and waive the finding in the central waiver file"
);
escalation!(
    RBAC_IMPERSONATE,
    "control/rbac-impersonate",
    Critical,
    "RBAC grants impersonation",
    "remove impersonate; if the app must act as others, name them in resourceNames and waive the finding in the central waiver file"
);
escalation!(
    RBAC_PODS_EXEC,
    "control/rbac-pods-exec",
    High,
    "RBAC grants exec or attach into pods",
    "remove pods/exec, pods/attach and pods/ephemeralcontainers: an app needs no shell in other pods"
);
escalation!(
    RBAC_NODES_PROXY,
    "control/rbac-nodes-proxy",
    Critical,
    "RBAC grants nodes/proxy (the kubelet API)",
    "remove nodes/proxy; read node metrics through the metrics API instead"
);
escalation!(
    RBAC_ADMISSION_WEBHOOKS,
    "control/rbac-admission-webhooks",
    Critical,
    "RBAC grants writing admission webhook configurations",
    "remove write verbs on validatingwebhookconfigurations and mutatingwebhookconfigurations; only the platform installs webhooks"
);
escalation!(
    RBAC_CSR_APPROVAL,
    "control/rbac-csr-approval",
    High,
    "RBAC grants approving certificate signing requests",
    "remove update and patch on certificatesigningrequests/approval; approval belongs to the platform's signer"
);

/// Judges every rule of a Role against the escalation of the current rule.
fn escalations(cx: &mut Cx<'_>, object: &Object<'_>) {
    let Some(escalation) = ESCALATIONS.iter().find(|e| std::ptr::eq(e.rule, cx.rule)) else {
        return;
    };
    for (i, rule) in role_rules(object) {
        let groups = string_list(rule.get("apiGroups"));
        if !groups.iter().any(|g| g == escalation.group) {
            continue;
        }
        let resources: Vec<String> = string_list(rule.get("resources"))
            .into_iter()
            .filter(|r| escalation.resources.contains(&r.as_str()))
            .collect();
        let verbs: Vec<String> = string_list(rule.get("verbs"))
            .into_iter()
            .filter(|v| escalation.verbs.contains(&v.as_str()))
            .collect();
        if resources.is_empty() || verbs.is_empty() {
            continue;
        }
        cx.report(
            object,
            &format!("rules[{i}].verbs"),
            format!(
                "grants {} on {}: whoever holds it {}",
                verbs.join(", "),
                resources.join(", "),
                escalation.why
            ),
            format!(
                "remove {} from rules[{i}] of {} {}",
                verbs.join(", "),
                object.kind(),
                object.name()
            ),
        );
    }
}
