//! The capstone's ten controls as far as manifests can show them: one
//! function per rule, each declared beside its metadata.

use crate::objects::value::At;
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
use crate::audit::rule::{Check, Cx, Rule, Workload, WorkloadInfo};
use crate::netpol::policy_types_of;
use crate::objects::Object;
use crate::objects::selector::selects;
use crate::objects::value::label_map;

/// Every control rule, in catalogue order.
pub static RULES: &[&Rule] = &[
    &DEDICATED_SERVICE_ACCOUNT,
    &DEFAULT_DENY,
    &FLOW_BLOCKED_AT_DESTINATION,
    &DAPR_LOOPBACK_POLICY,
    &DNS_EGRESS,
    &PSS_ENFORCE_RESTRICTED,
    &PSS_VERSION_PINNED,
    &IMAGE_DIGEST,
    &IMAGE_LATEST,
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
        .at("/spec/podSelector")
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
        .at("/spec/egress")
        .and_then(Value::as_array)
        .map(|l| l.iter().collect())
        .unwrap_or_default()
}

/// Whether a rule allows `port`/`protocol` (a rule without ports allows all).
pub(super) fn rule_allows_port(rule: &Value, port: u64, protocol: &str) -> bool {
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
            peer.at("/ipBlock/cidr")
                .and_then(Value::as_str)
                .and_then(|c| crate::validate::formats::cidr(c).ok())
                .is_some_and(|block| block.contains(&wanted))
        }),
    }
}

/// The egress rules that apply to a workload in a default-deny namespace;
/// `None` when the namespace does not deny by default.
pub(super) fn workload_egress<'a>(cx: &Cx<'a>, workload: &Workload<'_>) -> Option<Vec<&'a Value>> {
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
                ns == namespace && selects(p.at("/spec/podSelector"), &workload.labels)
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
    "remove it: app-to-sidecar traffic (the sidecar's HTTP and gRPC API ports) is loopback, which NetworkPolicy never filters; sidecars talk to each other on the internal gRPC port"
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
                .at("/podSelector/matchLabels")
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
    let selector = object.document.at("/spec/podSelector");
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
        p.at("/spec/ingress")
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
                                    n.at("/matchLabels/kubernetes.io~1metadata.name")
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
                    p.at("/namespaceSelector/matchLabels")
                        .and_then(|m| m.get(kubernetes::NAMESPACE_NAME_LABEL))
                        .and_then(Value::as_str)
                        == Some(pods.namespace.as_str())
                        && p.at("/podSelector/matchLabels")
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
        .at("/metadata/labels")
        .and_then(|l| l.get(key))
        .and_then(Value::as_str)
}

/// The path of a label if written, else of the labels, else the name.
fn label_path(object: &Object<'_>, key: &str) -> String {
    match object.document.at("/metadata/labels") {
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
