//! Who can reach whom, port by port, as the cluster would enforce the
//! policies: the report behind `harden reach`, built only from the
//! evaluator so that what it shows is what [`Cluster::allowed`] decides.
//!
//! For each workload: whether each direction is isolated, and every peer a
//! rule grants, with the ports, the workloads of the manifests it matches
//! (checked end to end: their own egress or ingress must agree), and for a
//! peer outside the manifests, what the policies of its namespace say when
//! that namespace's policies are in the manifests.

use serde::Serialize;

use super::NAMESPACE_NAME_LABEL;
use super::cilium::{CiliumPeer, CiliumPolicy, CiliumPort, DnsFilter, Entity, Item, VoidedFilter};
use super::classes::Classes;
use super::cluster::{Cluster, ContainerPort, Decision, Endpoint, Pod};
use super::policy::{Direction, Peer, Policy, PolicyPort, PolicyRule, PortMatch, Protocol};
use super::selector::{Labels, Selector};

/// The port DNS answers on; a rule whose ports are all this one is shown as DNS.
const DNS_PORT: u16 = 53;

#[derive(Debug, Clone, Serialize)]
pub struct ReachReport {
    pub workloads: Vec<WorkloadReach>,
    /// Every ordered pair of workloads (a workload with itself: two of its
    /// replicas) on every container port of the destination.
    pub flows: Vec<FlowVerdict>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WorkloadReach {
    pub id: String,
    pub namespace: String,
    pub labels: Labels,
    pub ports: Vec<ContainerPort>,
    /// Uses the node's network: what the policies do to it is up to the plugin.
    pub host_network: bool,
    pub ingress: Side,
    pub egress: Side,
    /// The names its pods may look up, when a CiliumNetworkPolicy DNS rule
    /// filters their DNS.
    pub dns_filter: Option<DnsFilter>,
    /// Plain allows of the DNS port that void that filter.
    pub dns_voided_by: Vec<VoidedFilter>,
}

/// One direction of a workload.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    /// The policies that isolate it; empty: not isolated, everything allowed.
    pub isolated_by: Vec<String>,
    pub grants: Vec<Grant>,
}

/// A peer a rule allows.
#[derive(Debug, Clone, Serialize)]
pub struct Grant {
    pub policy: String,
    /// The peer's field path, or the rule's when it has no peers.
    pub path: String,
    /// `any`, `pods`, `dns`, `ip-block`, and from CiliumNetworkPolicies
    /// also `hostname` (toFQDNs), `api-server` (the kube-apiserver entity),
    /// `entity` (another entity) and `unsupported` (a peer kind this
    /// evaluator does not judge).
    pub kind: &'static str,
    pub peer: String,
    /// `TCP 8000`, `UDP 53`, `any port`; a Cilium DNS rule's ports end in
    /// `(DNS filtered)`.
    pub ports: Vec<String>,
    /// Workloads of the manifests the peer matches, checked end to end.
    pub workloads: Vec<Reached>,
    /// For a peer outside the manifests: what its side says, when known.
    pub other_end: Option<String>,
}

/// A workload a grant matches, and on which ports the whole flow holds.
#[derive(Debug, Clone, Serialize)]
pub struct Reached {
    pub id: String,
    /// `TCP 8000` where both ends allow the flow.
    pub allowed: Vec<String>,
    /// Ports this rule names that are blocked all the same.
    pub denied: Vec<String>,
    /// Why `denied` is denied: `its egress (isolated by ...)`.
    pub blocked_by: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FlowVerdict {
    pub from: String,
    pub to: String,
    pub port: u16,
    pub protocol: Protocol,
    pub allowed: bool,
    pub reason: String,
}

/// The report for every workload of `cluster`: each workload's sides and
/// every flow between workloads (`harden reach --matrix`). Pairs are judged
/// once per pair of classes of pods the policies cannot tell apart.
pub fn report(cluster: &Cluster) -> ReachReport {
    let classes = Classes::of(cluster);
    let voided = cluster.voided_dns_filters();
    let workloads = (0..cluster.pods.len())
        .map(|index| WorkloadReach {
            dns_filter: cluster.dns_filter(&cluster.pods[index]),
            dns_voided_by: voided
                .iter()
                .filter(|v| v.pod == cluster.pods[index].id)
                .cloned()
                .collect(),
            id: cluster.pods[index].id.clone(),
            namespace: cluster.pods[index].namespace.clone(),
            labels: cluster.pods[index].labels.clone(),
            ports: cluster.pods[index].ports.clone(),
            host_network: cluster.pods[index].host_network,
            ingress: side(cluster, &classes, index, Direction::Ingress),
            egress: side(cluster, &classes, index, Direction::Egress),
        })
        .collect();
    let mut flows = Vec::new();
    for from in 0..cluster.pods.len() {
        for to in 0..cluster.pods.len() {
            for port in &cluster.pods[to].ports {
                let verdict =
                    classes.verdict(classes.of[from], classes.of[to], port.port, port.protocol);
                flows.push(FlowVerdict {
                    from: cluster.pods[from].id.clone(),
                    to: cluster.pods[to].id.clone(),
                    port: port.port,
                    protocol: port.protocol,
                    allowed: verdict.allowed,
                    reason: verdict.to_string(),
                });
            }
        }
    }
    ReachReport { workloads, flows }
}

fn side(cluster: &Cluster, classes: &Classes, index: usize, direction: Direction) -> Side {
    let pod = &cluster.pods[index];
    let policies = cluster.isolating(pod, direction);
    let mut grants = Vec::new();
    for policy in &policies {
        for rule in policy.rules(direction) {
            if rule.peers.is_empty() {
                grants.push(grant(
                    cluster,
                    classes,
                    index,
                    direction,
                    policy,
                    rule,
                    None,
                    rule.path.clone(),
                ));
            }
            for (peer_index, peer) in rule.peers.iter().enumerate() {
                let path = format!("{}.{}[{peer_index}]", rule.path, direction.peers_field());
                grants.push(grant(
                    cluster,
                    classes,
                    index,
                    direction,
                    policy,
                    rule,
                    Some(peer),
                    path,
                ));
            }
        }
    }
    let mut isolated_by: Vec<String> = policies.iter().map(|p| p.resource.clone()).collect();
    for (policy, _) in cluster.cilium_isolating(pod, direction) {
        if !isolated_by.contains(&policy.resource) {
            isolated_by.push(policy.resource.clone());
        }
    }
    for (policy, rule) in cluster.cilium_selecting(pod) {
        for item in rule.items(direction) {
            if item.peers.is_empty() {
                grants.push(cilium_grant(cluster, index, direction, policy, item, None));
            }
            for peer in &item.peers {
                grants.push(cilium_grant(
                    cluster,
                    index,
                    direction,
                    policy,
                    item,
                    Some(peer),
                ));
            }
        }
    }
    Side {
        isolated_by,
        grants,
    }
}

/// A grant of a CiliumNetworkPolicy item: one per L3 peer (or one for an
/// item without, which allows every peer), its ports as `toPorts` gives
/// them, and the workloads of the manifests it matches, checked end to end.
fn cilium_grant(
    cluster: &Cluster,
    index: usize,
    direction: Direction,
    policy: &CiliumPolicy,
    item: &Item,
    peer: Option<&CiliumPeer>,
) -> Grant {
    let dns = item.ports.iter().any(|p| p.dns.is_some());
    let (kind, description) = match peer {
        None => (
            "any",
            match direction {
                Direction::Ingress => "any source, inside or outside the cluster",
                Direction::Egress => "any destination, inside or outside the cluster",
            }
            .to_string(),
        ),
        Some(CiliumPeer::Endpoints {
            selector,
            own_namespace,
        }) => {
            let namespace_key = super::cilium::bare(crate::platform::cilium::NAMESPACE_LABEL);
            let mut pods = selector.clone();
            let namespace = pods.match_labels.remove(namespace_key);
            let which = if pods.is_empty() {
                "any pod".to_string()
            } else {
                format!("pods {}", pods.describe())
            };
            let where_ = match (namespace, own_namespace) {
                (Some(namespace), _) => format!("namespace {namespace}"),
                (None, true) => format!("namespace {}", policy.namespace),
                (None, false) => "the namespaces its selector names".to_string(),
            };
            (
                if dns { "dns" } else { "pods" },
                format!("{which} in {where_}"),
            )
        }
        Some(CiliumPeer::Entity(Entity::KubeApiserver)) => (
            "api-server",
            "the Kubernetes API server (entity kube-apiserver)".to_string(),
        ),
        Some(CiliumPeer::Entity(entity)) => ("entity", format!("entity {entity}")),
        Some(CiliumPeer::Cidr(block)) => {
            let mut text = format!("addresses {}", block.cidr);
            if !block.except.is_empty() {
                let except: Vec<String> = block.except.iter().map(|e| e.to_string()).collect();
                text.push_str(&format!(" except {}", except.join(", ")));
            }
            ("ip-block", text)
        }
        Some(CiliumPeer::Fqdn { pattern, wildcard }) => (
            "hostname",
            if *wildcard {
                format!("hostnames matching {pattern}")
            } else {
                format!("hostname {pattern}")
            },
        ),
        Some(CiliumPeer::Unsupported(path)) => (
            "unsupported",
            format!("{path} (not judged by this evaluator; it may allow more)"),
        ),
    };
    let mut ports = Vec::new();
    for rule in &item.ports {
        let suffix = if rule.dns.is_some() {
            " (DNS filtered)"
        } else {
            ""
        };
        if rule.ports.is_empty() {
            ports.push(format!("any port{suffix}"));
        }
        ports.extend(rule.ports.iter().map(|p| format!("{p}{suffix}")));
    }
    if ports.is_empty() {
        ports.push("any port".into());
    }
    let mut workloads = Vec::new();
    let matches_pods = matches!(
        peer,
        None | Some(CiliumPeer::Endpoints { .. }) | Some(CiliumPeer::Entity(_))
    );
    for other in (0..cluster.pods.len()).filter(|_| matches_pods) {
        let matched = peer.is_none_or(|peer| {
            cluster.cilium_peer_matches(peer, &policy.namespace, Endpoint::Pod(other))
        });
        if !matched {
            continue;
        }
        let (from, to) = match direction {
            Direction::Ingress => (other, index),
            Direction::Egress => (index, other),
        };
        let mut reached = Reached {
            id: cluster.pods[other].id.clone(),
            allowed: Vec::new(),
            denied: Vec::new(),
            blocked_by: None,
        };
        let all: Vec<CiliumPort> = item.ports.iter().flat_map(|r| r.ports.clone()).collect();
        for (port, protocol) in cilium_ports(&all, &cluster.pods[to]) {
            let verdict =
                cluster.between_pods(Endpoint::Pod(from), Endpoint::Pod(to), port, protocol);
            if verdict.allowed {
                reached.allowed.push(format!("{protocol} {port}"));
                continue;
            }
            reached.denied.push(format!("{protocol} {port}"));
            let theirs = match direction {
                Direction::Ingress => (&verdict.egress, "its egress"),
                Direction::Egress => (&verdict.ingress, "its ingress"),
            };
            let reason = match theirs.0 {
                Decision::Denied { isolated_by } => {
                    format!("{} (isolated by {})", theirs.1, isolated_by.join(", "))
                }
                _ => "this side: no rule allows this port".to_string(),
            };
            reached.blocked_by.get_or_insert(reason);
        }
        workloads.push(reached);
    }
    let other_end = match peer {
        Some(CiliumPeer::Endpoints { .. }) | Some(CiliumPeer::Unsupported(_)) => None,
        Some(CiliumPeer::Entity(Entity::World | Entity::KubeApiserver))
        | Some(CiliumPeer::Cidr(_))
        | Some(CiliumPeer::Fqdn { .. }) => Some(match direction {
            Direction::Ingress => {
                "for addresses outside the cluster no egress policy applies".to_string()
            }
            Direction::Egress => {
                "for addresses outside the cluster no ingress policy applies".to_string()
            }
        }),
        Some(CiliumPeer::Entity(_)) | None => None,
    };
    Grant {
        policy: policy.resource.clone(),
        path: item.path.clone(),
        kind,
        peer: description,
        ports,
        workloads,
        other_end,
    }
}

/// The (port, protocol) pairs Cilium ports stand for toward `destination`:
/// numbers and ranges by their first port (for every protocol when none is
/// given), every port and named ports as the destination's container ports.
fn cilium_ports(ports: &[CiliumPort], destination: &Pod) -> Vec<(u16, Protocol)> {
    let mut out = Vec::new();
    if ports.is_empty() {
        out.extend(destination.ports.iter().map(|c| (c.port, c.protocol)));
    }
    for port in ports {
        let protocols: Vec<Protocol> = match port.protocol {
            Some(p) => vec![p],
            None => vec![Protocol::Tcp, Protocol::Udp],
        };
        match &port.port {
            PortMatch::Range(start, _) => {
                out.extend(protocols.iter().map(|p| (*start, *p)));
            }
            PortMatch::Any => out.extend(
                destination
                    .ports
                    .iter()
                    .filter(|c| protocols.contains(&c.protocol))
                    .map(|c| (c.port, c.protocol)),
            ),
            PortMatch::Named(name) => out.extend(
                destination
                    .ports
                    .iter()
                    .filter(|c| c.name.as_deref() == Some(name.as_str()))
                    .filter(|c| protocols.contains(&c.protocol))
                    .map(|c| (c.port, c.protocol)),
            ),
        }
    }
    out.sort();
    out.dedup();
    out
}

#[allow(clippy::too_many_arguments)]
fn grant(
    cluster: &Cluster,
    classes: &Classes,
    index: usize,
    direction: Direction,
    policy: &Policy,
    rule: &PolicyRule,
    peer: Option<&Peer>,
    path: String,
) -> Grant {
    let subject = Endpoint::Pod(index);
    let pod = &cluster.pods[index];
    let is_dns = !rule.ports.is_empty()
        && rule
            .ports
            .iter()
            .all(|p| p.port == PortMatch::Range(DNS_PORT, DNS_PORT));
    let (kind, description) = match peer {
        None => (
            "any",
            match direction {
                Direction::Ingress => "any source, inside or outside the cluster",
                Direction::Egress => "any destination, inside or outside the cluster",
            }
            .to_string(),
        ),
        Some(Peer::IpBlock(block)) => {
            let mut text = format!("addresses {}", block.cidr);
            if !block.except.is_empty() {
                let except: Vec<String> = block.except.iter().map(|e| e.to_string()).collect();
                text.push_str(&format!(" except {}", except.join(", ")));
            }
            ("ip-block", text)
        }
        Some(Peer::Pods { namespaces, pods }) => (
            if is_dns { "dns" } else { "pods" },
            describe_pods(namespaces.as_ref(), pods.as_ref(), &policy.namespace),
        ),
    };
    // The workloads of the manifests this peer matches, checked end to end.
    let mut workloads = Vec::new();
    for other in 0..cluster.pods.len() {
        let matched = match peer {
            None => true,
            Some(peer) => match classes.peer_classes(&policy.namespace, peer) {
                Some(set) => set[classes.of[other]],
                None => cluster.peer_matches(peer, &policy.namespace, Endpoint::Pod(other)),
            },
        };
        if !matched {
            continue;
        }
        let (from, to) = match direction {
            Direction::Ingress => (other, index),
            Direction::Egress => (index, other),
        };
        let mut reached = Reached {
            id: cluster.pods[other].id.clone(),
            allowed: Vec::new(),
            denied: Vec::new(),
            blocked_by: None,
        };
        for (port, protocol) in concrete_ports(&rule.ports, Some(&cluster.pods[to])) {
            let verdict = classes.verdict(classes.of[from], classes.of[to], port, protocol);
            if verdict.allowed {
                reached.allowed.push(format!("{protocol} {port}"));
                continue;
            }
            reached.denied.push(format!("{protocol} {port}"));
            // This side's rule matched the peer, so the other end's side is
            // the usual culprit.
            let (theirs, their_side) = match direction {
                Direction::Ingress => (&verdict.egress, "its egress"),
                Direction::Egress => (&verdict.ingress, "its ingress"),
            };
            let reason = match theirs {
                Decision::Denied { isolated_by } => {
                    format!("{their_side} (isolated by {})", isolated_by.join(", "))
                }
                _ => "this side: no rule allows this port".to_string(),
            };
            reached.blocked_by.get_or_insert(reason);
        }
        workloads.push(reached);
    }
    let other_end = match peer {
        Some(Peer::Pods { namespaces, pods }) if workloads.is_empty() => other_end(
            cluster,
            subject,
            pod,
            direction,
            rule,
            namespaces.as_ref(),
            pods.as_ref(),
            &policy.namespace,
        ),
        Some(Peer::IpBlock(_)) | None => Some(match direction {
            Direction::Ingress => {
                "for addresses outside the cluster no egress policy applies".to_string()
            }
            Direction::Egress => {
                "for addresses outside the cluster no ingress policy applies".to_string()
            }
        }),
        _ => None,
    };
    Grant {
        policy: policy.resource.clone(),
        path,
        kind,
        peer: description,
        ports: ports_text(
            &rule.ports,
            match direction {
                Direction::Ingress => Some(pod),
                Direction::Egress => None,
            },
        ),
        workloads,
        other_end,
    }
}

/// What the namespace of a peer outside the manifests says about the flow,
/// evaluated with an example pod of the peer; `None` when no example can
/// be made (selectors without fixed labels or namespace).
#[allow(clippy::too_many_arguments)]
fn other_end(
    cluster: &Cluster,
    subject: Endpoint,
    pod: &Pod,
    direction: Direction,
    rule: &PolicyRule,
    namespaces: Option<&Selector>,
    pods: Option<&Selector>,
    policy_namespace: &str,
) -> Option<String> {
    let namespace = match namespaces {
        None => policy_namespace.to_string(),
        Some(selector) => selector.match_labels.get(NAMESPACE_NAME_LABEL)?.clone(),
    };
    let labels = match pods {
        None => Labels::new(),
        Some(selector) => selector.example()?,
    };
    let known = cluster.policies.iter().any(|p| p.namespace == namespace);
    if !known {
        let side = match direction {
            Direction::Ingress => "egress",
            Direction::Egress => "ingress",
        };
        return Some(format!(
            "namespace {namespace} has no policies in these manifests: its own {side} policies decide"
        ));
    }
    let mut picture = cluster.clone();
    let example = picture.add_pod(Pod {
        id: format!("example pod in {namespace}"),
        namespace: namespace.clone(),
        labels,
        ports: Vec::new(),
        host_network: false,
    });
    let destination = match direction {
        Direction::Ingress => Some(pod),
        Direction::Egress => None,
    };
    let mut answers = Vec::new();
    for (port, protocol) in concrete_ports(&rule.ports, destination) {
        let decision = match direction {
            Direction::Ingress => {
                picture
                    .between_pods(example, subject, port, protocol)
                    .egress
            }
            Direction::Egress => {
                picture
                    .between_pods(subject, example, port, protocol)
                    .ingress
            }
        };
        answers.push(match decision {
            Decision::NotIsolated => format!("{protocol} {port}: not isolated there"),
            Decision::AllowedBy { policy, rule } => {
                format!("{protocol} {port}: allowed by {policy} {rule}")
            }
            Decision::Filtered { policy, rule, .. } => {
                format!("{protocol} {port}: allowed by {policy} {rule} (DNS filtered)")
            }
            Decision::Denied { isolated_by } => {
                format!(
                    "{protocol} {port}: DENIED there (isolated by {})",
                    isolated_by.join(", ")
                )
            }
            Decision::OutsideCluster => format!("{protocol} {port}: outside the cluster"),
        });
    }
    (!answers.is_empty()).then(|| answers.join("; "))
}

/// The (port, protocol) pairs a rule's ports stand for toward `destination`:
/// numbers and ranges by their first port, named ports resolved against the
/// destination, "every port" as the destination's container ports.
pub(super) fn concrete_ports(
    ports: &[PolicyPort],
    destination: Option<&Pod>,
) -> Vec<(u16, Protocol)> {
    let container = |protocol: Option<Protocol>| -> Vec<(u16, Protocol)> {
        destination
            .map(|pod| {
                pod.ports
                    .iter()
                    .filter(|c| protocol.is_none_or(|p| p == c.protocol))
                    .map(|c| (c.port, c.protocol))
                    .collect()
            })
            .unwrap_or_default()
    };
    if ports.is_empty() {
        return container(None);
    }
    let mut out = Vec::new();
    for port in ports {
        match &port.port {
            PortMatch::Range(start, _) => out.push((*start, port.protocol)),
            PortMatch::Any => out.extend(container(Some(port.protocol))),
            PortMatch::Named(name) => out.extend(destination.into_iter().flat_map(|pod| {
                pod.ports
                    .iter()
                    .filter(|c| {
                        c.name.as_deref() == Some(name.as_str()) && c.protocol == port.protocol
                    })
                    .map(|c| (c.port, c.protocol))
            })),
        }
    }
    out.sort();
    out.dedup();
    out
}

pub(super) fn ports_text(ports: &[PolicyPort], destination: Option<&Pod>) -> Vec<String> {
    if ports.is_empty() {
        return vec!["any port".into()];
    }
    ports
        .iter()
        .map(|port| match (&port.port, destination) {
            (PortMatch::Named(name), Some(pod)) => {
                let resolved: Vec<String> = pod
                    .ports
                    .iter()
                    .filter(|c| {
                        c.name.as_deref() == Some(name.as_str()) && c.protocol == port.protocol
                    })
                    .map(|c| c.port.to_string())
                    .collect();
                if resolved.is_empty() {
                    format!("{port} (no such port on this pod)")
                } else {
                    format!("{port} ({})", resolved.join(", "))
                }
            }
            _ => port.to_string(),
        })
        .collect()
}

fn describe_pods(namespaces: Option<&Selector>, pods: Option<&Selector>, own: &str) -> String {
    let which = match pods {
        Some(selector) if !selector.is_empty() => format!("pods {}", selector.describe()),
        _ => "any pod".to_string(),
    };
    let namespace = match namespaces {
        None => format!("namespace {own}"),
        Some(selector) if selector.is_empty() => "any namespace".to_string(),
        Some(selector)
            if selector.expressions.is_empty()
                && selector.match_labels.len() == 1
                && selector.match_labels.contains_key(NAMESPACE_NAME_LABEL) =>
        {
            format!("namespace {}", selector.match_labels[NAMESPACE_NAME_LABEL])
        }
        Some(selector) => format!("namespaces {}", selector.describe()),
    };
    format!("{which} in {namespace}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn task_api() -> Cluster {
        // The shape harden renders (tests/integration/snapshots/integration__render_snapshots__task-api__03-network-policy.yaml.snap).
        let policies = [
            json!({"kind": "NetworkPolicy", "metadata": {"name": "default-deny-all", "namespace": "t"},
                   "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}),
            json!({"kind": "NetworkPolicy", "metadata": {"name": "t-egress", "namespace": "t"},
                   "spec": {"podSelector": {"matchLabels": {"app": "t"}}, "policyTypes": ["Egress"],
                            "egress": [{"to": [{"podSelector": {"matchLabels": {"app": "redis"}}}],
                                        "ports": [{"protocol": "TCP", "port": 6379}]},
                                       {"to": [{"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: "kube-system"}},
                                                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
                                        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}]}}),
            json!({"kind": "NetworkPolicy", "metadata": {"name": "t-ingress", "namespace": "t"},
                   "spec": {"podSelector": {"matchLabels": {"app": "t"}}, "policyTypes": ["Ingress"],
                            "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}],
                                         "ports": [{"port": "http"}]}]}}),
            json!({"kind": "Deployment", "metadata": {"name": "t", "namespace": "t"},
                   "spec": {"template": {"metadata": {"labels": {"app": "t"}},
                            "spec": {"containers": [{"name": "c", "ports": [{"name": "http", "containerPort": 8000}]}]}}}}),
            json!({"kind": "Deployment", "metadata": {"name": "web", "namespace": "t"},
                   "spec": {"template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c"}]}}}}),
        ];
        Cluster::from_documents(&policies).unwrap()
    }

    #[test]
    fn grants_are_checked_at_the_other_end() {
        let report = report(&task_api());
        let t = &report.workloads[0];
        assert_eq!(t.id, "Deployment/t/t");
        assert_eq!(
            t.ingress.isolated_by,
            [
                "NetworkPolicy/t/default-deny-all",
                "NetworkPolicy/t/t-ingress"
            ]
        );
        let from_web = &t.ingress.grants[0];
        assert_eq!(from_web.path, "spec.ingress[0].from[0]");
        assert_eq!(from_web.ports, ["TCP \"http\" (8000)"]);
        // web is in the manifests, but the default deny closes its egress.
        assert_eq!(from_web.workloads.len(), 1);
        assert!(from_web.workloads[0].allowed.is_empty());
        assert_eq!(from_web.workloads[0].denied, ["TCP 8000"]);
        assert_eq!(
            from_web.workloads[0].blocked_by.as_deref(),
            Some("its egress (isolated by NetworkPolicy/t/default-deny-all)")
        );
        let to_redis = &t.egress.grants[0];
        assert_eq!(to_redis.peer, "pods app=redis in namespace t");
        // No redis workload; namespace t's policies deny its ingress.
        let other = to_redis.other_end.as_deref().unwrap();
        assert!(other.contains("TCP 6379: DENIED there"), "{other}");
        let dns = &t.egress.grants[1];
        assert_eq!(dns.kind, "dns");
        assert_eq!(dns.peer, "pods k8s-app=kube-dns in namespace kube-system");
        assert!(
            dns.other_end
                .as_deref()
                .unwrap()
                .contains("no policies in these manifests")
        );
    }

    /// A shop with every kind of peer: NetworkPolicies and a
    /// CiliumNetworkPolicy, peers inside and outside the manifests, named
    /// ports, ip blocks, entities, hostnames and a voided DNS filter.
    fn shop() -> Cluster {
        let np = |namespace: &str, name: &str, spec: serde_json::Value| json!({"kind": "NetworkPolicy", "metadata": {"name": name, "namespace": namespace}, "spec": spec});
        let kube_dns = json!({"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: "kube-system"}},
                              "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}});
        let documents = [
            np(
                "shop",
                "deny",
                json!({"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
            ),
            np(
                "shop",
                "api-in",
                json!({"podSelector": {"matchLabels": {"app": "api"}}, "policyTypes": ["Ingress"], "ingress": [
                    {"from": [{"podSelector": {"matchLabels": {"app": "web"}}}], "ports": [{"port": "http"}]},
                    {"from": [{"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: "ops"}},
                               "podSelector": {"matchLabels": {"app": "probe"}}}], "ports": [{"port": 8000}]},
                    {"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}},
                              {"namespaceSelector": {"matchLabels": {"team": "a"}}},
                              {"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "x"}}},
                              {"podSelector": {"matchLabels": {"app": "web"}}}],
                     "ports": [{"port": "metrics"}, {"protocol": "UDP"}]},
                    {}
                ]}),
            ),
            np(
                "shop",
                "web-out",
                json!({"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Egress"], "egress": [
                    {"to": [{"podSelector": {"matchLabels": {"app": "api"}}}], "ports": [{"port": "http"}]},
                    {"to": [{"podSelector": {"matchLabels": {"app": "db"}}}], "ports": [{"port": 5432}]},
                    {"to": [kube_dns], "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]},
                    {"to": [{"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: "ops"}},
                             "podSelector": {"matchLabels": {"app": "probe"}}}], "ports": [{"port": 7000}, {"port": 7001}]},
                    {"to": [{"namespaceSelector": {"matchExpressions": [{"key": "team", "operator": "Exists"}]}, "podSelector": {}}]}
                ]}),
            ),
            np(
                "ops",
                "probe-in",
                json!({"podSelector": {"matchLabels": {"app": "probe"}}, "policyTypes": ["Ingress"], "ingress": [
                {"from": [{"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: "shop"}}}], "ports": [{"port": 7000}]}]}),
            ),
            json!({"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy", "metadata": {"name": "web-c", "namespace": "shop"},
                   "spec": {"endpointSelector": {"matchLabels": {"app": "web"}}, "egress": [
                {"toEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "kube-system", "k8s:k8s-app": "kube-dns"}}],
                 "toPorts": [{"ports": [{"port": "53", "protocol": "UDP"}], "rules": {"dns": [{"matchName": "api.stripe.com"}]}}]},
                {"toFQDNs": [{"matchName": "api.stripe.com"}, {"matchPattern": "*.example.com"}],
                 "toPorts": [{"ports": [{"port": "443", "protocol": "TCP"}]}]},
                {"toEntities": ["kube-apiserver", "cluster"]},
                {"toCIDRSet": [{"cidr": "192.168.0.0/16", "except": ["192.168.1.0/24"]}], "toServices": [{}]},
                {"toEndpoints": [{"matchLabels": {"app": "api"}}], "toPorts": [{"ports": [{"port": "http"}, {"port": "9000", "protocol": "TCP"}]}]},
                {"toPorts": [{"ports": [{"port": "8443", "protocol": "TCP"}]}]}
            ]}}),
            json!({"kind": "Deployment", "metadata": {"name": "api", "namespace": "shop"},
                   "spec": {"template": {"metadata": {"labels": {"app": "api"}},
                            "spec": {"containers": [{"name": "c", "ports": [{"name": "http", "containerPort": 8000},
                                                                           {"name": "dns", "containerPort": 5353, "protocol": "UDP"}]}]}}}}),
            json!({"kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"},
                   "spec": {"template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c"}]}}}}),
        ];
        Cluster::from_documents(&documents).unwrap()
    }

    /// The report as lines a reader can check: one per side, grant and flow.
    fn lines(report: &ReachReport) -> String {
        let mut out = Vec::new();
        for w in &report.workloads {
            out.push(format!(
                "{} dns filter {:?} voided by {:?}",
                w.id,
                w.dns_filter.as_ref().map(|f| &f.names),
                w.dns_voided_by
                    .iter()
                    .map(|v| format!("{} {}", v.resource, v.path))
                    .collect::<Vec<_>>()
            ));
            for (direction, side) in [("in", &w.ingress), ("out", &w.egress)] {
                out.push(format!("  {direction} isolated by {:?}", side.isolated_by));
                for g in &side.grants {
                    out.push(format!(
                        "    {} {} [{}] {} | {}",
                        g.policy,
                        g.path,
                        g.kind,
                        g.peer,
                        g.ports.join(", ")
                    ));
                    for r in &g.workloads {
                        out.push(format!(
                            "      {} allowed {:?} denied {:?} {}",
                            r.id,
                            r.allowed,
                            r.denied,
                            r.blocked_by.as_deref().unwrap_or("-")
                        ));
                    }
                    if let Some(other) = &g.other_end {
                        out.push(format!("      other end: {other}"));
                    }
                }
            }
        }
        for f in &report.flows {
            out.push(format!(
                "{} -> {} {} {} {}",
                f.from, f.to, f.protocol, f.port, f.allowed
            ));
        }
        out.join("\n")
    }

    #[test]
    fn every_kind_of_grant_is_shown_and_checked_at_the_other_end() {
        // Checked by hand against the policies above: a grant is checked at
        // the other end (web's egress to api holds; api to itself is closed
        // by its egress), an outside peer's namespace is asked when its
        // policies are known, Cilium items show one grant per peer.
        let expected = r#"
Deployment/shop/api dns filter None voided by []
  in isolated by ["NetworkPolicy/shop/deny", "NetworkPolicy/shop/api-in"]
    NetworkPolicy/shop/api-in spec.ingress[0].from[0] [pods] pods app=web in namespace shop | TCP "http" (8000)
      Deployment/shop/web allowed ["TCP 8000"] denied [] -
    NetworkPolicy/shop/api-in spec.ingress[1].from[0] [pods] pods app=probe in namespace ops | TCP 8000
      other end: TCP 8000: not isolated there
    NetworkPolicy/shop/api-in spec.ingress[2].from[0] [ip-block] addresses 10.0.0.0/8 except 10.1.0.0/16 | TCP "metrics" (no such port on this pod), UDP any port
      other end: for addresses outside the cluster no egress policy applies
    NetworkPolicy/shop/api-in spec.ingress[2].from[1] [pods] any pod in namespaces team=a | TCP "metrics" (no such port on this pod), UDP any port
    NetworkPolicy/shop/api-in spec.ingress[2].from[2] [pods] pods app=x in any namespace | TCP "metrics" (no such port on this pod), UDP any port
    NetworkPolicy/shop/api-in spec.ingress[2].from[3] [pods] pods app=web in namespace shop | TCP "metrics" (no such port on this pod), UDP any port
      Deployment/shop/web allowed ["UDP 5353"] denied [] -
    NetworkPolicy/shop/api-in spec.ingress[3] [any] any source, inside or outside the cluster | any port
      Deployment/shop/api allowed [] denied ["TCP 8000", "UDP 5353"] its egress (isolated by NetworkPolicy/shop/deny)
      Deployment/shop/web allowed ["TCP 8000", "UDP 5353"] denied [] -
      other end: for addresses outside the cluster no egress policy applies
  out isolated by ["NetworkPolicy/shop/deny"]
Deployment/shop/web dns filter Some(["api.stripe.com"]) voided by ["CiliumNetworkPolicy/shop/web-c spec.egress[2]", "CiliumNetworkPolicy/shop/web-c spec.egress[3]", "NetworkPolicy/shop/web-out spec.egress[2]", "NetworkPolicy/shop/web-out spec.egress[4]"]
  in isolated by ["NetworkPolicy/shop/deny"]
  out isolated by ["NetworkPolicy/shop/deny", "NetworkPolicy/shop/web-out", "CiliumNetworkPolicy/shop/web-c"]
    NetworkPolicy/shop/web-out spec.egress[0].to[0] [pods] pods app=api in namespace shop | TCP "http"
      Deployment/shop/api allowed ["TCP 8000"] denied [] -
    NetworkPolicy/shop/web-out spec.egress[1].to[0] [pods] pods app=db in namespace shop | TCP 5432
      other end: TCP 5432: DENIED there (isolated by NetworkPolicy/shop/deny)
    NetworkPolicy/shop/web-out spec.egress[2].to[0] [dns] pods k8s-app=kube-dns in namespace kube-system | UDP 53, TCP 53
      other end: namespace kube-system has no policies in these manifests: its own ingress policies decide
    NetworkPolicy/shop/web-out spec.egress[3].to[0] [pods] pods app=probe in namespace ops | TCP 7000, TCP 7001
      other end: TCP 7000: allowed by NetworkPolicy/ops/probe-in spec.ingress[0]; TCP 7001: DENIED there (isolated by NetworkPolicy/ops/probe-in)
    NetworkPolicy/shop/web-out spec.egress[4].to[0] [pods] any pod in namespaces team | any port
    CiliumNetworkPolicy/shop/web-c spec.egress[0] [dns] pods k8s-app=kube-dns in namespace kube-system | UDP 53 (DNS filtered)
    CiliumNetworkPolicy/shop/web-c spec.egress[1] [hostname] hostname api.stripe.com | TCP 443
      other end: for addresses outside the cluster no ingress policy applies
    CiliumNetworkPolicy/shop/web-c spec.egress[1] [hostname] hostnames matching *.example.com | TCP 443
      other end: for addresses outside the cluster no ingress policy applies
    CiliumNetworkPolicy/shop/web-c spec.egress[2] [api-server] the Kubernetes API server (entity kube-apiserver) | any port
      other end: for addresses outside the cluster no ingress policy applies
    CiliumNetworkPolicy/shop/web-c spec.egress[2] [entity] entity cluster | any port
      Deployment/shop/api allowed ["UDP 5353", "TCP 8000"] denied [] -
      Deployment/shop/web allowed [] denied [] -
    CiliumNetworkPolicy/shop/web-c spec.egress[3] [ip-block] addresses 192.168.0.0/16 except 192.168.1.0/24 | any port
      other end: for addresses outside the cluster no ingress policy applies
    CiliumNetworkPolicy/shop/web-c spec.egress[3] [unsupported] spec.egress[3].toServices (not judged by this evaluator; it may allow more) | any port
    CiliumNetworkPolicy/shop/web-c spec.egress[4] [pods] pods app=api in namespace shop | ANY "http", TCP 9000
      Deployment/shop/api allowed ["TCP 8000", "TCP 9000"] denied [] -
    CiliumNetworkPolicy/shop/web-c spec.egress[5] [any] any destination, inside or outside the cluster | TCP 8443
      Deployment/shop/api allowed ["TCP 8443"] denied [] -
      Deployment/shop/web allowed [] denied ["TCP 8443"] its ingress (isolated by NetworkPolicy/shop/deny)
Deployment/shop/api -> Deployment/shop/api TCP 8000 false
Deployment/shop/api -> Deployment/shop/api UDP 5353 false
Deployment/shop/web -> Deployment/shop/api TCP 8000 true
Deployment/shop/web -> Deployment/shop/api UDP 5353 true"#;
        assert_eq!(lines(&report(&shop())), expected.trim_start());
    }

    #[test]
    fn flows_cover_every_pair_and_port() {
        let report = report(&task_api());
        // Two workloads, t has one port and web none: t->t and web->t.
        assert_eq!(report.flows.len(), 2);
        assert!(report.flows.iter().all(|f| !f.allowed));
    }
}
