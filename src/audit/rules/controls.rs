//! The capstone's ten controls as far as manifests can show them: one
//! function per rule, each declared beside its metadata.

use crate::platform::kubernetes::{
    POD_SECURITY_ENFORCE_LABEL as ENFORCE_LABEL,
    POD_SECURITY_ENFORCE_VERSION_LABEL as ENFORCE_VERSION_LABEL,
};
use crate::platform::{dapr, kubernetes};

/// The sidecar's API ports: loopback only, which NetworkPolicy never sees.
const LOOPBACK_PORTS: [u64; 2] = [
    dapr::SIDECAR_HTTP_PORT as u64,
    dapr::SIDECAR_GRPC_PORT as u64,
];
use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::audit::level::Version;
use crate::audit::rule::{Check, Cx, Family, Rule, Severity, Workload, WorkloadInfo};
use crate::netpol::policy_types_of;
use crate::objects::selector::selects;
use crate::objects::value::{label_map, string_list};
use crate::objects::{Container, Object};

macro_rules! control {
    ($name:ident, $id:literal, $severity:ident, $control:literal, $check:expr, $title:literal, $fix:literal) => {
        pub static $name: Rule = Rule {
            id: $id,
            family: Family::Controls,
            severity: Severity::$severity,
            control: Some($control),
            title: $title,
            fix: $fix,
            check: $check,
        };
    };
}

/// Every control rule, in catalogue order.
pub static RULES: &[&Rule] = &[
    &DEDICATED_SERVICE_ACCOUNT,
    &RBAC_WILDCARD,
    &RBAC_SECRETS,
    &RBAC_NAMED_SECRETS,
    &RBAC_CLUSTER_BINDING,
    &RBAC_DEAD_PERMISSION,
    &DEFAULT_DENY,
    &FLOW_BLOCKED_AT_DESTINATION,
    &DAPR_LOOPBACK_POLICY,
    &DNS_EGRESS,
    &SECRETS_IN_ENV,
    &SECRET_VALUES_IN_MANIFESTS,
    &SECRET_VALUES_IN_ENV,
    &PSS_ENFORCE_RESTRICTED,
    &PSS_VERSION_PINNED,
    &IMAGE_DIGEST,
    &IMAGE_LATEST,
    &DAPR_MTLS_DISABLED,
    &DAPR_SIDECAR_SECCOMP,
    &DAPR_CONTROL_PLANE_EGRESS,
    &DAPR_COMPONENT_SCOPES,
    &DAPR_API_LOGGING,
    &DAPR_URL_OBFUSCATION,
];

// 1. Dedicated ServiceAccount.

control!(
    DEDICATED_SERVICE_ACCOUNT,
    "control/dedicated-service-account",
    High,
    1,
    Check::Object(dedicated_service_account),
    "Workload runs as the default ServiceAccount",
    "set serviceAccountName to a ServiceAccount of the app's own (<app>-sa)"
);

fn dedicated_service_account(cx: &mut Cx<'_>, object: &Object<'_>) {
    let Some(workload) = Workload::of(object) else {
        return;
    };
    if workload.account() == "default" {
        cx.report(
            object,
            &workload.account_path(),
            "pods run as the namespace's default ServiceAccount".into(),
            format!(
                "set {}.serviceAccountName to a ServiceAccount of the app's own (e.g. {}-sa)",
                workload.prefix,
                object.name()
            ),
        );
    }
}

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

// 3. Default deny and the flows it must let through.

control!(
    DEFAULT_DENY,
    "control/default-deny",
    High,
    3,
    Check::Index(default_deny),
    "No default-deny NetworkPolicy in the namespace",
    "add a NetworkPolicy with podSelector: {} and policyTypes [Ingress, Egress]"
);

fn is_default_deny(policy: &Value) -> bool {
    let selector_empty = policy
        .pointer("/spec/podSelector")
        .and_then(Value::as_object)
        .is_some_and(|s| {
            s.values().all(|v| {
                v.as_object().is_some_and(|o| o.is_empty())
                    || v.as_array().is_some_and(|a| a.is_empty())
            })
        });
    let types = policy_types_of(policy);
    selector_empty && types.iter().any(|t| t == "Ingress") && types.iter().any(|t| t == "Egress")
}

/// Whether `namespace` has a default-deny policy.
fn denies_by_default(cx: &Cx<'_>, namespace: &str) -> bool {
    cx.index
        .policies
        .iter()
        .any(|(ns, p)| ns == namespace && is_default_deny(p))
}

fn default_deny(cx: &mut Cx<'_>) {
    let namespaces: BTreeSet<&str> = cx
        .index
        .workloads
        .iter()
        .map(|w| w.namespace.as_str())
        .collect();
    let mut reports = Vec::new();
    for namespace in namespaces {
        if denies_by_default(cx, namespace) {
            continue;
        }
        let anchor = cx
            .index
            .namespaces
            .get(namespace)
            .map(|(_, anchor)| anchor)
            .or_else(|| {
                cx.index
                    .workloads
                    .iter()
                    .find(|w| w.namespace == namespace)
                    .map(|w| &w.anchor)
            });
        if let Some(anchor) = anchor {
            reports.push((anchor.clone(), namespace.to_string()));
        }
    }
    for (anchor, namespace) in reports {
        cx.report_at(
            &anchor,
            format!("namespace {namespace} has no NetworkPolicy that denies all ingress and egress by default"),
            format!("add a NetworkPolicy in namespace {namespace} with podSelector: {{}} and policyTypes: [Ingress, Egress]"),
        );
    }
}

fn egress_rules(policy: &Value) -> Vec<&Value> {
    if !policy_types_of(policy).iter().any(|t| t == "Egress") {
        return Vec::new();
    }
    policy
        .pointer("/spec/egress")
        .and_then(Value::as_array)
        .map(|l| l.iter().collect())
        .unwrap_or_default()
}

/// Whether a rule allows `port`/`protocol` (a rule without ports allows all).
fn rule_allows_port(rule: &Value, port: u64, protocol: &str) -> bool {
    match rule.get("ports").and_then(Value::as_array) {
        None => true,
        Some(list) if list.is_empty() => true,
        Some(list) => list.iter().any(|p| {
            let proto = p.get("protocol").and_then(Value::as_str).unwrap_or("TCP");
            let matches_port = match p.get("port") {
                None => true,
                Some(Value::Number(n)) => {
                    let start = n.as_u64().unwrap_or(0);
                    let end = p.get("endPort").and_then(Value::as_u64).unwrap_or(start);
                    (start..=end).contains(&port)
                }
                Some(_) => false,
            };
            proto == protocol && matches_port
        }),
    }
}

/// Whether an egress rule's peers include pods of `namespace` (any labels).
fn rule_reaches_namespace(rule: &Value, namespace: &str) -> bool {
    match rule.get("to").and_then(Value::as_array) {
        None => true,
        Some(peers) if peers.is_empty() => true,
        Some(peers) => peers
            .iter()
            .any(|peer| match peer.get("namespaceSelector") {
                None => false,
                Some(selector) => selector
                    .get("matchLabels")
                    .and_then(Value::as_object)
                    .is_none_or(|m| {
                        m.get(kubernetes::NAMESPACE_NAME_LABEL)
                            .is_none_or(|v| v.as_str() == Some(namespace))
                    }),
            }),
    }
}

/// Whether an egress rule's peers include an ipBlock that contains `cidr`
/// (or the rule has no peers: everywhere).
fn rule_reaches_cidr(rule: &Value, cidr: &str) -> bool {
    let Ok(wanted) = crate::validate::formats::cidr(cidr) else {
        return false;
    };
    match rule.get("to").and_then(Value::as_array) {
        None => true,
        Some(peers) if peers.is_empty() => true,
        Some(peers) => peers.iter().any(|peer| {
            peer.pointer("/ipBlock/cidr")
                .and_then(Value::as_str)
                .and_then(|c| crate::validate::formats::cidr(c).ok())
                .is_some_and(|block| block.contains(&wanted))
        }),
    }
}

/// The egress rules that apply to a workload in a default-deny namespace;
/// `None` when the namespace does not deny by default.
fn workload_egress<'a>(cx: &Cx<'a>, workload: &Workload<'_>) -> Option<Vec<&'a Value>> {
    let namespace = workload.namespace();
    if !denies_by_default(cx, namespace) {
        return None;
    }
    let index = cx.index;
    Some(
        index
            .policies
            .iter()
            .filter(|(ns, p)| {
                ns == namespace && selects(p.pointer("/spec/podSelector"), &workload.labels)
            })
            .flat_map(|(_, p)| egress_rules(p))
            .collect(),
    )
}

control!(
    FLOW_BLOCKED_AT_DESTINATION,
    "control/flow-blocked-at-destination",
    Medium,
    3,
    Check::Object(flow_blocked_at_destination),
    "Egress allowed, but the destination's ingress is denied",
    "add a NetworkPolicy on the destination pods that allows ingress from the source pods on the same port"
);

control!(
    DAPR_LOOPBACK_POLICY,
    "control/dapr-loopback-policy",
    Low,
    3,
    Check::Object(dapr_loopback_policy),
    "NetworkPolicy rule for Dapr's loopback ports has no effect",
    "remove it: app-to-sidecar traffic (3500, 50001) is loopback, which NetworkPolicy never filters; sidecars talk to each other on 50002"
);

/// A same-namespace egress peer selecting pods by labels, with its ports.
struct PodPeer {
    rule_index: usize,
    destination: BTreeMap<String, String>,
    ports: Vec<(u64, String)>,
}

fn pod_peers(policy: &Value) -> Vec<PodPeer> {
    let mut peers = Vec::new();
    for (i, rule) in egress_rules(policy).into_iter().enumerate() {
        let ports: Vec<(u64, String)> = rule
            .get("ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|p| {
                Some((
                    p.get("port")?.as_u64()?,
                    p.get("protocol")
                        .and_then(Value::as_str)
                        .unwrap_or("TCP")
                        .to_string(),
                ))
            })
            .collect();
        for peer in rule
            .get("to")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if peer.get("namespaceSelector").is_some() || peer.get("ipBlock").is_some() {
                continue;
            }
            let Some(wanted) = peer
                .pointer("/podSelector/matchLabels")
                .and_then(Value::as_object)
                .filter(|m| !m.is_empty())
            else {
                continue;
            };
            peers.push(PodPeer {
                rule_index: i,
                destination: label_map(Some(&Value::Object(wanted.clone()))),
                ports: ports.clone(),
            });
        }
    }
    peers
}

/// The workloads of the policy's namespace that it selects.
fn selected_workloads<'a>(cx: &Cx<'a>, object: &Object<'_>) -> Vec<&'a WorkloadInfo> {
    let namespace = object.namespace().unwrap_or("default");
    if !denies_by_default(cx, namespace) {
        return Vec::new();
    }
    let selector = object.document.pointer("/spec/podSelector");
    cx.index
        .workloads
        .iter()
        .filter(|w| w.namespace == namespace && selects(selector, &w.labels))
        .collect()
}

fn dapr_loopback_policy(cx: &mut Cx<'_>, object: &Object<'_>) {
    if object.kind() != "NetworkPolicy" {
        return;
    }
    let workloads = selected_workloads(cx, object);
    let mut reported = BTreeSet::new();
    for peer in pod_peers(object.document) {
        let to_self = workloads.iter().any(|w| {
            peer.destination
                .iter()
                .all(|(k, v)| w.labels.get(k) == Some(v))
        });
        for (port, _) in &peer.ports {
            if to_self && LOOPBACK_PORTS.contains(port) && reported.insert((peer.rule_index, *port))
            {
                cx.report(
                    object,
                    &format!("spec.egress[{}]", peer.rule_index),
                    format!("egress to the app's own pods on {port} is loopback traffic to the sidecar; the rule does nothing"),
                    format!("remove port {port} from spec.egress[{}]: app-to-sidecar traffic is loopback, which NetworkPolicy never filters", peer.rule_index),
                );
            }
        }
    }
}

/// Whether any policy of `namespace` that isolates pods with `destination`
/// labels exists, and none admits ingress from `source` on `port`.
fn blocked(
    cx: &Cx<'_>,
    namespace: &str,
    destination: &BTreeMap<String, String>,
    source: &BTreeMap<String, String>,
    port: u64,
    protocol: &str,
) -> bool {
    let policies: Vec<&Value> = cx.index.policies_for(namespace, destination).collect();
    let ingress = |p: &Value| policy_types_of(p).iter().any(|t| t == "Ingress");
    let isolated = policies.iter().any(|p| ingress(p));
    let admitted = policies.iter().filter(|p| ingress(p)).any(|p| {
        p.pointer("/spec/ingress")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .any(|rule| {
                rule_allows_port(rule, port, protocol)
                    && match rule.get("from").and_then(Value::as_array) {
                        None => true,
                        Some(peers) if peers.is_empty() => true,
                        Some(peers) => peers.iter().any(|from| {
                            from.get("ipBlock").is_none()
                                && from.get("namespaceSelector").is_none_or(|n| {
                                    n.pointer("/matchLabels/kubernetes.io~1metadata.name")
                                        .is_none_or(|v| v.as_str() == Some(namespace))
                                })
                                && selects(from.get("podSelector"), source)
                        }),
                    }
            })
    });
    isolated && !admitted
}

fn flow_blocked_at_destination(cx: &mut Cx<'_>, object: &Object<'_>) {
    if object.kind() != "NetworkPolicy" {
        return;
    }
    let namespace = object.namespace().unwrap_or("default");
    let workloads = selected_workloads(cx, object);
    let mut reports = Vec::new();
    for peer in pod_peers(object.document) {
        for workload in &workloads {
            let to_self = peer
                .destination
                .iter()
                .all(|(k, v)| workload.labels.get(k) == Some(v));
            for (port, protocol) in &peer.ports {
                if to_self && LOOPBACK_PORTS.contains(port) {
                    continue;
                }
                if !blocked(
                    cx,
                    namespace,
                    &peer.destination,
                    &workload.labels,
                    *port,
                    protocol,
                ) {
                    continue;
                }
                let labels: Vec<String> = peer
                    .destination
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect();
                reports.push((
                    format!("spec.egress[{}]", peer.rule_index),
                    format!(
                        "egress to pods {} on {protocol}/{port} is allowed, but no policy lets those pods accept it from {}",
                        labels.join(","),
                        workload.anchor.resource
                    ),
                    format!(
                        "add a NetworkPolicy selecting pods {} that allows ingress on {protocol}/{port} from the pods of {}",
                        labels.join(","),
                        workload.anchor.resource
                    ),
                ));
            }
        }
    }
    for (path, message, fix) in reports {
        cx.report(object, &path, message, fix);
    }
}

// 4. DNS under default deny.

control!(
    DNS_EGRESS,
    "control/dns-egress",
    Medium,
    4,
    Check::Object(dns_egress),
    "DNS egress missing or incomplete under default deny",
    "allow egress to kube-dns pods (namespace kube-system, k8s-app: kube-dns) on UDP and TCP 53"
);

fn dns_egress(cx: &mut Cx<'_>, object: &Object<'_>) {
    let Some(workload) = Workload::of(object) else {
        return;
    };
    let Some(rules) = workload_egress(cx, &workload) else {
        return;
    };
    // A Cilium DNS-proxy rule (egress by hostname) counts as DNS too.
    let facts = &cx.index.dns;
    let dns = |protocol: &str| {
        rules.iter().any(|r| {
            rule_allows_port(r, u64::from(facts.port), protocol)
                && (facts
                    .pods
                    .as_ref()
                    .is_some_and(|pods| rule_reaches_namespace(r, &pods.namespace))
                    || facts.cidrs.iter().any(|cidr| rule_reaches_cidr(r, cidr)))
        }) || cx.index.cilium_policies.iter().any(|(namespace, policy)| {
            namespace == workload.namespace()
                && crate::netpol::CiliumPolicy::parse(policy).is_ok_and(|policy| {
                    policy.gives_dns(
                        workload.namespace(),
                        &workload.labels,
                        facts,
                        crate::netpol::Protocol::parse(Some(protocol))
                            .unwrap_or(crate::netpol::Protocol::Tcp),
                    )
                })
        })
    };
    let missing: Vec<&str> = ["UDP", "TCP"].into_iter().filter(|p| !dns(p)).collect();
    if !missing.is_empty() {
        cx.report(
            object,
            "metadata.name",
            format!(
                "pods cannot reach DNS on {} {} under the default deny",
                missing.join(" and "),
                facts.port
            ),
            format!(
                "add a NetworkPolicy egress rule selecting {} to {}, on {} {}",
                object.resource(),
                facts.describe(),
                missing.join(" and "),
                facts.port
            ),
        );
    }
    // The DNS pods' namespace opened whole on the DNS port.
    let Some(pods) = &facts.pods else { return };
    let wide = rules.iter().any(|r| {
        rule_allows_port(r, u64::from(facts.port), "UDP")
            && r.get("to").and_then(Value::as_array).is_some_and(|peers| {
                peers.iter().any(|p| {
                    p.pointer("/namespaceSelector/matchLabels")
                        .and_then(|m| m.get(kubernetes::NAMESPACE_NAME_LABEL))
                        .and_then(Value::as_str)
                        == Some(pods.namespace.as_str())
                        && p.pointer("/podSelector/matchLabels")
                            .and_then(Value::as_object)
                            .is_none_or(|m| m.is_empty())
                })
            })
    });
    if wide {
        let labels: Vec<String> = pods
            .labels
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        cx.report(
            object,
            "metadata.name",
            format!(
                "DNS egress opens port {} to every pod of {}, not only the DNS pods ({})",
                facts.port,
                pods.namespace,
                labels.join(", ")
            ),
            format!(
                "add podSelector: {{matchLabels: {{{}}}}} beside the {} namespaceSelector of the DNS egress rule",
                labels.join(", "),
                pods.namespace
            ),
        );
    }
}

// 5. Secrets as files, never in Git.

control!(
    SECRETS_IN_ENV,
    "control/secrets-in-env",
    High,
    5,
    Check::Object(secrets_in_env),
    "Secret exposed as an environment variable",
    "mount the Secret as a read-only volume and read the file instead"
);

fn secrets_in_env(cx: &mut Cx<'_>, object: &Object<'_>) {
    let Some(workload) = Workload::of(object) else {
        return;
    };
    for Container {
        path, name, value, ..
    } in workload.containers()
    {
        for (i, env) in value
            .get("env")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if let Some(reference) = env.pointer("/valueFrom/secretKeyRef") {
                let variable = env.get("name").and_then(Value::as_str).unwrap_or("?");
                let secret = reference.get("name").and_then(Value::as_str).unwrap_or("?");
                cx.report(
                    object,
                    &format!("{path}.env[{i}]"),
                    format!("environment variable {variable} of container {name:?} is read from a Secret"),
                    format!("mount Secret {secret} as a read-only volume in container {name:?} and read the file instead of {variable}"),
                );
            }
        }
        for (i, source) in value
            .get("envFrom")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if let Some(reference) = source.get("secretRef") {
                let secret = reference.get("name").and_then(Value::as_str).unwrap_or("?");
                cx.report(
                    object,
                    &format!("{path}.envFrom[{i}]"),
                    format!("envFrom loads the whole Secret {secret} into the environment of container {name:?}"),
                    format!("mount Secret {secret} as a read-only volume in container {name:?} instead of envFrom"),
                );
            }
        }
    }
}

control!(
    SECRET_VALUES_IN_MANIFESTS,
    "control/secret-values-in-manifests",
    Critical,
    5,
    Check::Object(secret_values_in_manifests),
    "Secret values are written in the manifests",
    "never commit secret values: use External Secrets (ExternalSecret) or create the Secret out of band"
);

/// A Secret with only empty values (`csrf: ""`, filled at run time) holds
/// nothing secret in Git.
fn secret_values_in_manifests(cx: &mut Cx<'_>, object: &Object<'_>) {
    if object.kind() != "Secret" {
        return;
    }
    for key in ["data", "stringData"] {
        let Some(values) = object.document.get(key).and_then(Value::as_object) else {
            continue;
        };
        let written: Vec<&str> = values
            .iter()
            .filter(|(_, v)| match v {
                Value::String(s) => !s.trim().is_empty(),
                Value::Null => false,
                _ => true,
            })
            .map(|(k, _)| k.as_str())
            .collect();
        if let Some(first) = written.first() {
            cx.report(
                object,
                &format!("{key}.{first}"),
                format!(
                    "the Secret's values for {} are in the manifest (base64 is an encoding, not encryption)",
                    written.join(", ")
                ),
                format!(
                    "remove {key} from Secret {} and create it out of band or with External Secrets (ExternalSecret)",
                    object.name()
                ),
            );
            return;
        }
    }
}

control!(
    SECRET_VALUES_IN_ENV,
    "control/secret-values-in-env",
    Critical,
    5,
    Check::Object(secret_values_in_env),
    "A secret is written as a plain environment variable value",
    "move the value into a Secret created out of band and mount it as a file"
);

/// Well-known token formats, as (what, test).
fn token_format(value: &str) -> Option<&'static str> {
    let v = value.trim();
    if v.starts_with("sk_live_") || v.starts_with("sk_test_") || v.starts_with("rk_live_") {
        return Some("a Stripe API key");
    }
    if v.starts_with("ghp_") || v.starts_with("github_pat_") || v.starts_with("gho_") {
        return Some("a GitHub token");
    }
    if v.len() == 20
        && (v.starts_with("AKIA") || v.starts_with("ASIA"))
        && v.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    {
        return Some("an AWS access key id");
    }
    if ["xoxb-", "xoxp-", "xoxa-", "xoxs-"]
        .iter()
        .any(|p| v.starts_with(p))
    {
        return Some("a Slack token");
    }
    if v.contains("-----BEGIN") && v.contains("PRIVATE KEY-----") {
        return Some("a private key");
    }
    let parts: Vec<&str> = v.split('.').collect();
    if parts.len() == 3
        && parts[0].starts_with("eyJ")
        && parts[1].starts_with("eyJ")
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '=')
        })
    {
        return Some("a JSON Web Token");
    }
    None
}

/// Whether a variable name says it holds a secret.
fn secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    let secretish = [
        "PASSWORD",
        "PASSWD",
        "TOKEN",
        "SECRET",
        "API_KEY",
        "APIKEY",
        "PRIVATE_KEY",
        "ACCESS_KEY",
    ]
    .iter()
    .any(|w| upper.contains(w));
    // Names of where a secret is, not the secret: a path, file, name or id.
    let pointer = [
        "_FILE",
        "_PATH",
        "_DIR",
        "_NAME",
        "_KEY_ID",
        "_REF",
        "_URL",
        "_TTL",
        "_TIMEOUT",
        "_ENABLED",
        "_LENGTH",
        "_HEADER",
        "_NAMESPACE",
    ]
    .iter()
    .any(|s| upper.ends_with(s));
    secretish && !pointer
}

/// Values that are not a secret even under a secret-looking name: empty,
/// a placeholder to replace (`<...>`, `${VAR}`, `$(VAR)`, `xxx`, `***`,
/// `REPLACE_ME`, `TODO`), a path, a boolean or a number. `changeme`-style
/// defaults (changeme, password, admin) ARE reported: a default password
/// in a manifest is what gets deployed.
fn placeholder(value: &str) -> bool {
    let v = value.trim();
    let lower = v.to_ascii_lowercase();
    v.is_empty()
        || (v.starts_with('<') && v.ends_with('>'))
        || (v.starts_with("${") && v.ends_with('}'))
        || (v.starts_with("$(") && v.ends_with(')'))
        || (v.starts_with("{{") && v.ends_with("}}"))
        || v.chars()
            .all(|c| matches!(c, 'x' | 'X' | '*' | '.' | '-' | '_'))
        || [
            "replace_me",
            "replaceme",
            "todo",
            "tbd",
            "none",
            "null",
            "true",
            "false",
        ]
        .contains(&lower.as_str())
        || v.starts_with('/')
        || v.parse::<f64>().is_ok()
}

fn secret_values_in_env(cx: &mut Cx<'_>, object: &Object<'_>) {
    let Some(workload) = Workload::of(object) else {
        return;
    };
    for Container {
        path, name, value, ..
    } in workload.containers()
    {
        for (i, env) in value
            .get("env")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let Some(text) = env.get("value").and_then(Value::as_str) else {
                continue;
            };
            let variable = env.get("name").and_then(Value::as_str).unwrap_or("?");
            let why = match token_format(text) {
                Some(what) => format!("holds {what}"),
                None if secret_name(variable) && !placeholder(text) => {
                    "has a secret-looking name and a literal value".to_string()
                }
                None => continue,
            };
            cx.report(
                object,
                &format!("{path}.env[{i}].value"),
                format!("environment variable {variable} of container {name:?} {why}"),
                format!(
                    "remove the value of {variable} from container {name:?}, rotate it, and mount it from a Secret created out of band"
                ),
            );
        }
    }
}

// 6. Pod Security labels.

control!(
    PSS_ENFORCE_RESTRICTED,
    "control/pss-enforce-restricted",
    High,
    6,
    Check::Object(pss_enforce_restricted),
    "Namespace does not enforce Pod Security restricted",
    "label the namespace pod-security.kubernetes.io/enforce: restricted (and audit, warn)"
);

fn namespace_label<'a>(object: &Object<'a>, key: &str) -> Option<&'a str> {
    object
        .document
        .pointer("/metadata/labels")
        .and_then(|l| l.get(key))
        .and_then(Value::as_str)
}

/// The path of a label if written, else of the labels, else the name.
fn label_path(object: &Object<'_>, key: &str) -> String {
    match object.document.pointer("/metadata/labels") {
        Some(labels) if labels.get(key).is_some() => format!("metadata.labels.{key}"),
        Some(_) => "metadata.labels".to_string(),
        None => "metadata.name".to_string(),
    }
}

fn pss_enforce_restricted(cx: &mut Cx<'_>, object: &Object<'_>) {
    if object.kind() != "Namespace" {
        return;
    }
    let enforce = namespace_label(object, ENFORCE_LABEL);
    if enforce != Some("restricted") {
        cx.report(
            object,
            &label_path(object, ENFORCE_LABEL),
            format!(
                "{ENFORCE_LABEL} is {}",
                enforce
                    .map(|e| format!("{e:?}"))
                    .unwrap_or_else(|| "not set".into())
            ),
            format!(
                "set the label {ENFORCE_LABEL}: restricted on Namespace {} (and audit, warn)",
                object.name()
            ),
        );
    }
}

control!(
    PSS_VERSION_PINNED,
    "control/pss-version-pinned",
    Medium,
    6,
    Check::Object(pss_version_pinned),
    "Pod Security version not pinned",
    "set pod-security.kubernetes.io/enforce-version to the cluster's minor version, e.g. v1.33, never latest"
);

fn pss_version_pinned(cx: &mut Cx<'_>, object: &Object<'_>) {
    if object.kind() != "Namespace" {
        return;
    }
    let version = namespace_label(object, ENFORCE_VERSION_LABEL);
    if version.is_none_or(|v| Version::parse(v).is_none()) {
        cx.report(
            object,
            &label_path(object, ENFORCE_VERSION_LABEL),
            format!(
                "{ENFORCE_VERSION_LABEL} is {}",
                version
                    .map(|v| format!("{v:?}"))
                    .unwrap_or_else(|| "not set (latest)".into())
            ),
            format!(
                "set the label {ENFORCE_VERSION_LABEL} on Namespace {} to the cluster's minor version, e.g. v1.33, never latest",
                object.name()
            ),
        );
    }
}

// 7. Images pinned (scanning needs the image itself).

control!(
    IMAGE_DIGEST,
    "control/image-digest",
    Medium,
    7,
    Check::Object(image_digest),
    "Image not pinned by digest",
    "pin the image by digest (name@sha256:<digest>) so the scanned image is the one that runs"
);

control!(
    IMAGE_LATEST,
    "control/image-latest",
    High,
    7,
    Check::Object(image_latest),
    "Image uses latest (or no tag)",
    "pin the image by digest; never deploy latest"
);

/// An image reference's tag and digest.
fn tag_and_digest(image: &str) -> (Option<&str>, Option<&str>) {
    let (name, digest) = match image.split_once('@') {
        Some((name, digest)) => (name, Some(digest)),
        None => (image, None),
    };
    let tag = name
        .rsplit_once(':')
        .filter(|(_, t)| !t.contains('/'))
        .map(|(_, t)| t);
    (tag, digest)
}

fn images<'a>(workload: &Workload<'a>) -> Vec<(String, &'a str, &'a str)> {
    workload
        .containers()
        .into_iter()
        .map(|c| {
            (
                format!("{}.image", c.path),
                c.name,
                c.value
                    .get("image")
                    .and_then(Value::as_str)
                    .unwrap_or_default(),
            )
        })
        .collect()
}

fn image_latest(cx: &mut Cx<'_>, object: &Object<'_>) {
    let Some(workload) = Workload::of(object) else {
        return;
    };
    for (path, name, image) in images(&workload) {
        let (tag, digest) = tag_and_digest(image);
        if tag == Some("latest") || (tag.is_none() && digest.is_none()) {
            cx.report(
                object,
                &path,
                format!("image {image:?} of container {name:?} means latest"),
                format!(
                    "pin the image of container {name:?} by digest ({}@sha256:<digest>)",
                    image.trim_end_matches(":latest")
                ),
            );
        }
    }
}

fn image_digest(cx: &mut Cx<'_>, object: &Object<'_>) {
    let Some(workload) = Workload::of(object) else {
        return;
    };
    for (path, name, image) in images(&workload) {
        let (tag, digest) = tag_and_digest(image);
        if digest.is_none() && tag.is_some_and(|t| t != "latest") {
            cx.report(
                object,
                &path,
                format!("image {image:?} of container {name:?} is pinned by tag only"),
                format!("pin the image of container {name:?} by digest: {image}@sha256:<digest>"),
            );
        }
    }
}

// 8, 9, 10. Dapr.

control!(
    DAPR_MTLS_DISABLED,
    "control/dapr-mtls-disabled",
    Critical,
    8,
    Check::Object(dapr_mtls_disabled),
    "Dapr mTLS disabled",
    "set spec.mtls.enabled: true in the daprsystem Configuration"
);

fn dapr_mtls_disabled(cx: &mut Cx<'_>, object: &Object<'_>) {
    if object.kind() == "Configuration"
        && object
            .document
            .pointer("/spec/mtls/enabled")
            .and_then(Value::as_bool)
            == Some(false)
    {
        cx.report(
            object,
            "spec.mtls.enabled",
            "spec.mtls.enabled is false".into(),
            format!(
                "set spec.mtls.enabled: true in Configuration {}",
                object.name()
            ),
        );
    }
}

control!(
    DAPR_SIDECAR_SECCOMP,
    "control/dapr-sidecar-seccomp",
    High,
    8,
    Check::Object(dapr_sidecar_seccomp),
    "Dapr sidecar runs without a seccomp profile",
    "set pod-level seccompProfile RuntimeDefault or the annotation dapr.io/sidecar-seccomp-profile-type: RuntimeDefault"
);

fn dapr_workload<'a>(object: &'a Object<'a>) -> Option<Workload<'a>> {
    Workload::of(object).filter(Workload::dapr_enabled)
}

fn dapr_sidecar_seccomp(cx: &mut Cx<'_>, object: &Object<'_>) {
    let Some(workload) = dapr_workload(object) else {
        return;
    };
    let pod = workload
        .spec
        .pointer("/securityContext/seccompProfile/type")
        .and_then(Value::as_str);
    let sidecar = workload.annotation("dapr.io/sidecar-seccomp-profile-type");
    let confined = |t: Option<&str>| matches!(t, Some("RuntimeDefault" | "Localhost"));
    if !confined(pod) && !confined(sidecar) {
        cx.report(
            object,
            &workload.annotations_path(),
            "the injected daprd container gets no seccomp profile and is rejected under restricted".into(),
            format!("set {}.securityContext.seccompProfile.type: RuntimeDefault, or annotate the pod template dapr.io/sidecar-seccomp-profile-type: RuntimeDefault", workload.prefix),
        );
    }
}

control!(
    DAPR_CONTROL_PLANE_EGRESS,
    "control/dapr-control-plane-egress",
    High,
    8,
    Check::Object(dapr_control_plane_egress),
    "Dapr sidecar cannot reach the control plane under default deny",
    "allow egress to the dapr-sentry (50001) and dapr-operator (6500) pods in the Dapr control-plane namespace"
);

fn dapr_control_plane_egress(cx: &mut Cx<'_>, object: &Object<'_>) {
    let Some(workload) = dapr_workload(object) else {
        return;
    };
    let Some(rules) = workload_egress(cx, &workload) else {
        return;
    };
    // The control plane may live in any namespace (the spec's
    // dapr.controlPlaneNamespace): its pods are known by the chart's `app`
    // label and their pod ports (crate::platform::dapr).
    let reaches = |service: &dapr::ControlPlaneService| {
        rules.iter().any(|r| {
            rule_allows_port(r, u64::from(service.port), "TCP")
                && rule_reaches_pods_in_other_namespace(
                    r,
                    dapr::CONTROL_PLANE_LABEL,
                    service.app_label,
                )
        })
    };
    let missing: Vec<String> = [dapr::SENTRY, dapr::OPERATOR]
        .iter()
        .filter(|service| !reaches(service))
        .map(|service| format!("{} on {}", service.app_label, service.port))
        .collect();
    if !missing.is_empty() {
        cx.report(
            object,
            "metadata.name",
            format!(
                "no egress to {}: the sidecar gets no certificate or components",
                missing.join(" and ")
            ),
            format!(
                "add egress from {} to the pods {} in the Dapr control-plane namespace",
                object.resource(),
                missing.join(" and ")
            ),
        );
    }
}

/// Whether an egress rule reaches pods labelled `key: value` in some other
/// namespace (a peer with a namespaceSelector whose podSelector, if any,
/// admits that label).
fn rule_reaches_pods_in_other_namespace(rule: &Value, key: &str, value: &str) -> bool {
    match rule.get("to").and_then(Value::as_array) {
        None => true,
        Some(peers) if peers.is_empty() => true,
        Some(peers) => peers.iter().any(|peer| {
            peer.get("namespaceSelector").is_some()
                && peer
                    .pointer("/podSelector/matchLabels")
                    .and_then(Value::as_object)
                    .is_none_or(|m| m.get(key).is_none_or(|v| v.as_str() == Some(value)))
        }),
    }
}

control!(
    DAPR_COMPONENT_SCOPES,
    "control/dapr-component-scopes",
    High,
    9,
    Check::Object(dapr_component_scopes),
    "Dapr component not scoped",
    "list the app-ids that may use the component under scopes"
);

fn dapr_component_scopes(cx: &mut Cx<'_>, object: &Object<'_>) {
    if object.kind() != "Component" {
        return;
    }
    let scoped = object
        .document
        .get("scopes")
        .and_then(Value::as_array)
        .is_some_and(|s| !s.is_empty());
    if !scoped {
        cx.report(
            object,
            "metadata.name",
            "no scopes: every app-id in the namespace may use the component".into(),
            format!(
                "add scopes: [<app-id>, ...] to Component {} listing the apps that use it",
                object.name()
            ),
        );
    }
}

control!(
    DAPR_API_LOGGING,
    "control/dapr-api-logging",
    Medium,
    10,
    Check::Object(dapr_api_logging),
    "Dapr API logging off",
    "annotate the pod template dapr.io/enable-api-logging: \"true\""
);

fn dapr_api_logging(cx: &mut Cx<'_>, object: &Object<'_>) {
    let Some(workload) = dapr_workload(object) else {
        return;
    };
    if workload.annotation("dapr.io/enable-api-logging") != Some("true") {
        let path = workload.annotations_path();
        cx.report(
            object,
            &path,
            "dapr.io/enable-api-logging is not \"true\"".into(),
            format!("set {path}.dapr.io/enable-api-logging: \"true\""),
        );
    }
}

control!(
    DAPR_URL_OBFUSCATION,
    "control/dapr-url-obfuscation",
    Medium,
    10,
    Check::Object(dapr_url_obfuscation),
    "Dapr API logs record full URLs",
    "use a Configuration with spec.logging.apiLogging.obfuscateURLs: true (dapr.io/config)"
);

fn dapr_url_obfuscation(cx: &mut Cx<'_>, object: &Object<'_>) {
    let Some(workload) = dapr_workload(object) else {
        return;
    };
    let config = workload.annotation("dapr.io/config");
    let obfuscated = config.is_some_and(|name| {
        cx.index
            .configurations
            .get(&(workload.namespace().to_string(), name.to_string()))
            == Some(&true)
    });
    if obfuscated {
        return;
    }
    let (why, fix) = match config {
        None => (
            "no Dapr Configuration (dapr.io/config): API logs record full URLs".to_string(),
            format!(
                "annotate {} dapr.io/config with a Configuration that sets spec.logging.apiLogging.obfuscateURLs: true",
                workload.annotations_path()
            ),
        ),
        Some(name) => (
            format!(
                "Configuration {name} does not set apiLogging.obfuscateURLs: true (or is not among the audited files)"
            ),
            format!("set spec.logging.apiLogging.obfuscateURLs: true in Configuration {name}"),
        ),
    };
    cx.report(object, &workload.annotations_path(), why, fix);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_formats_are_recognised() {
        for value in [
            "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
            "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
            "AKIAIOSFODNN7EXAMPLE",
            "xoxb-123-456-abc",
            "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
        ] {
            assert!(token_format(value).is_some(), "{value}");
        }
        for value in ["sk-test", "hello", "AKIA", "a.b.c", "eyJ.x"] {
            assert!(token_format(value).is_none(), "{value}");
        }
    }

    #[test]
    fn secret_names_and_placeholders() {
        assert!(
            secret_name("DB_PASSWORD") && secret_name("api_key") && secret_name("GITHUB_TOKEN")
        );
        assert!(
            !secret_name("PASSWORD_FILE") && !secret_name("TOKEN_PATH") && !secret_name("PORT")
        );
        for value in [
            "",
            "  ",
            "<your-password>",
            "${DB_PASSWORD}",
            "$(PASS)",
            "xxxx",
            "/run/secrets/db",
            "true",
            "3600",
        ] {
            assert!(placeholder(value), "{value:?}");
        }
        for value in ["changeme", "hunter2", "admin"] {
            assert!(!placeholder(value), "{value:?}");
        }
    }
}
