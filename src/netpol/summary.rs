//! What a reviewer reads of `harden reach` by default: the flows allowed
//! between workloads, grouped; the flows a rule declares that are blocked
//! all the same; what is allowed to and from outside the manifests; and the
//! workloads that no policy isolates. Computed on the classes of pods the
//! policies cannot tell apart ([`Classes`]), so an estate of a thousand
//! services is answered in a fraction of a second; every pair of workloads,
//! port by port, is [`super::reach::report`] (`--matrix`).

use std::collections::BTreeMap;

use serde::Serialize;

use super::cilium::CiliumPeer;
use super::classes::Classes;
use super::cluster::{Cluster, Decision};
use super::policy::{Direction, Peer};
use super::reach::{concrete_ports, ports_text};

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Workloads of the manifests.
    pub workload_count: usize,
    /// Classes of their pods that the policies cannot tell apart.
    pub class_count: usize,
    /// Flows allowed between workloads (both ends agree), grouped: every
    /// workload of `from` may reach every workload of `to` on `ports`.
    pub allowed: Vec<Group>,
    /// Flows a rule names at one end that the other end blocks.
    pub blocked: Vec<Blocked>,
    /// Rules that allow traffic with addresses or entities outside the
    /// manifests (ipBlocks, every peer, hostnames, entities), grouped.
    pub outside: Vec<Outside>,
    /// Workloads that no policy isolates for a direction: everything is
    /// allowed there.
    pub not_isolated: Vec<Open>,
}

/// Allowed flows between workloads.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Group {
    pub from: Vec<String>,
    pub to: Vec<String>,
    /// `TCP 8000`, for each destination container port allowed.
    pub ports: Vec<String>,
}

/// A flow that a rule declares and that is blocked.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Blocked {
    pub from: Vec<String>,
    pub to: Vec<String>,
    pub port: String,
    /// The rule that names the flow: `NetworkPolicy/ns/name spec.egress[0].to[0]`.
    pub declared_by: String,
    /// The other end's verdict: `denied: destination ingress isolated by ...`.
    pub reason: String,
}

/// Traffic with something outside the manifests that a rule allows.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Outside {
    /// `ingress` or `egress`.
    pub direction: &'static str,
    pub peer: String,
    pub ports: Vec<String>,
    pub workloads: Vec<String>,
}

/// Workloads not isolated for a direction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Open {
    pub direction: &'static str,
    pub workloads: Vec<String>,
}

fn direction_name(direction: Direction) -> &'static str {
    match direction {
        Direction::Ingress => "ingress",
        Direction::Egress => "egress",
    }
}

/// The summary of `cluster`.
pub fn summary(cluster: &Cluster) -> Summary {
    let classes = Classes::of(cluster);
    let ids = |class: usize| -> Vec<String> {
        classes.members[class]
            .iter()
            .map(|&pod| cluster.pods[pod].id.clone())
            .collect()
    };
    // Allowed flows by pair of classes, then grouped: the sources of each
    // destination with the same ports, then the destinations with the same
    // sources and ports.
    let mut by_destination: BTreeMap<(usize, Vec<String>), Vec<usize>> = BTreeMap::new();
    for to in 0..classes.count() {
        let ports = &classes.pod(to).ports;
        if ports.is_empty() {
            continue;
        }
        for from in 0..classes.count() {
            let allowed: Vec<String> = ports
                .iter()
                .filter(|p| classes.allows(from, to, p.port, p.protocol))
                .map(|p| format!("{} {}", p.protocol, p.port))
                .collect();
            if !allowed.is_empty() {
                by_destination.entry((to, allowed)).or_default().push(from);
            }
        }
    }
    let mut grouped: BTreeMap<(Vec<usize>, Vec<String>), Vec<usize>> = BTreeMap::new();
    for ((to, ports), from) in by_destination {
        grouped.entry((from, ports)).or_default().push(to);
    }
    let mut allowed: Vec<Group> = grouped
        .into_iter()
        .map(|((from, ports), to)| Group {
            from: from.iter().flat_map(|&c| ids(c)).collect(),
            to: to.iter().flat_map(|&c| ids(c)).collect(),
            ports,
        })
        .collect();
    allowed.sort();

    let mut blocked = Vec::new();
    let mut outside: BTreeMap<(&'static str, String, Vec<String>), Vec<usize>> = BTreeMap::new();
    let mut open: [Vec<String>; 2] = [Vec::new(), Vec::new()];
    for class in 0..classes.count() {
        let pod = classes.pod(class);
        for direction in [Direction::Ingress, Direction::Egress] {
            if !classes.isolated(class, direction) {
                open[usize::from(direction == Direction::Egress)].extend(ids(class));
                continue;
            }
            for &index in classes.isolating(class, direction) {
                let policy = &cluster.policies[index];
                for rule in policy.rules(direction) {
                    let destination = match direction {
                        Direction::Ingress => Some(pod),
                        Direction::Egress => None,
                    };
                    if rule.peers.is_empty() {
                        outside
                            .entry((
                                direction_name(direction),
                                match direction {
                                    Direction::Ingress => "any source".to_string(),
                                    Direction::Egress => "any destination".to_string(),
                                },
                                ports_text(&rule.ports, destination),
                            ))
                            .or_default()
                            .push(class);
                    }
                    for (number, peer) in rule.peers.iter().enumerate() {
                        if let Peer::IpBlock(block) = peer {
                            let mut text = format!("addresses {}", block.cidr);
                            if !block.except.is_empty() {
                                let except: Vec<String> =
                                    block.except.iter().map(|e| e.to_string()).collect();
                                text.push_str(&format!(" except {}", except.join(", ")));
                            }
                            outside
                                .entry((
                                    direction_name(direction),
                                    text,
                                    ports_text(&rule.ports, destination),
                                ))
                                .or_default()
                                .push(class);
                            continue;
                        }
                        let Some(set) = classes.peer_classes(&policy.namespace, peer) else {
                            continue;
                        };
                        for other in (0..classes.count()).filter(|&other| set[other]) {
                            let (from, to) = match direction {
                                Direction::Ingress => (other, class),
                                Direction::Egress => (class, other),
                            };
                            let serves = |port: u16, protocol| {
                                classes
                                    .pod(to)
                                    .ports
                                    .iter()
                                    .any(|c| c.port == port && c.protocol == protocol)
                            };
                            for (port, protocol) in
                                concrete_ports(&rule.ports, Some(classes.pod(to)))
                            {
                                // A port the destination does not serve
                                // carries no flow.
                                if !serves(port, protocol)
                                    || classes.allows(from, to, port, protocol)
                                {
                                    continue;
                                }
                                let verdict = classes.verdict(from, to, port, protocol);
                                let theirs = match direction {
                                    Direction::Ingress => &verdict.egress,
                                    Direction::Egress => &verdict.ingress,
                                };
                                // Only the other end's refusals: a rule of
                                // this side that names the peer but not
                                // the port declares nothing for the port.
                                if !matches!(theirs, Decision::Denied { .. }) {
                                    continue;
                                }
                                blocked.push(Blocked {
                                    from: ids(from),
                                    to: ids(to),
                                    port: format!("{protocol} {port}"),
                                    declared_by: format!(
                                        "{} {}.{}[{number}]",
                                        policy.resource,
                                        rule.path,
                                        direction.peers_field()
                                    ),
                                    reason: verdict.to_string(),
                                });
                            }
                        }
                    }
                }
            }
            for (_, rule) in cluster.cilium_selecting(pod) {
                for item in rule.items(direction) {
                    let mut ports = Vec::new();
                    for port_rule in &item.ports {
                        let suffix = if port_rule.dns.is_some() {
                            " (DNS filtered)"
                        } else {
                            ""
                        };
                        if port_rule.ports.is_empty() {
                            ports.push(format!("any port{suffix}"));
                        }
                        ports.extend(port_rule.ports.iter().map(|p| format!("{p}{suffix}")));
                    }
                    if ports.is_empty() {
                        ports.push("any port".into());
                    }
                    let peers: Vec<String> = if item.peers.is_empty() {
                        vec![
                            match direction {
                                Direction::Ingress => "any source",
                                Direction::Egress => "any destination",
                            }
                            .to_string(),
                        ]
                    } else {
                        item.peers
                            .iter()
                            .filter_map(|peer| match peer {
                                CiliumPeer::Endpoints { .. } => None,
                                CiliumPeer::Entity(entity) => Some(format!("entity {entity}")),
                                CiliumPeer::Cidr(block) => {
                                    Some(format!("addresses {}", block.cidr))
                                }
                                CiliumPeer::Fqdn { pattern, wildcard } => Some(if *wildcard {
                                    format!("hostnames matching {pattern}")
                                } else {
                                    format!("hostname {pattern}")
                                }),
                                CiliumPeer::Unsupported(path) => {
                                    Some(format!("{path} (not judged by this evaluator)"))
                                }
                            })
                            .collect()
                    };
                    for peer in peers {
                        outside
                            .entry((direction_name(direction), peer, ports.clone()))
                            .or_default()
                            .push(class);
                    }
                }
            }
        }
    }
    blocked.sort();
    blocked.dedup();
    let outside = outside
        .into_iter()
        .map(|((direction, peer, ports), mut members)| {
            members.dedup();
            Outside {
                direction,
                peer,
                ports,
                workloads: members.iter().flat_map(|&c| ids(c)).collect(),
            }
        })
        .collect();
    let [ingress, egress] = open;
    let not_isolated = [("ingress", ingress), ("egress", egress)]
        .into_iter()
        .filter(|(_, workloads)| !workloads.is_empty())
        .map(|(direction, mut workloads)| {
            workloads.sort();
            Open {
                direction,
                workloads,
            }
        })
        .collect();
    Summary {
        workload_count: cluster.pods.len(),
        class_count: classes.count(),
        allowed,
        blocked,
        outside,
        not_isolated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_rule_the_other_end_refuses_is_declared_and_blocked() {
        let documents = [
            json!({"kind": "NetworkPolicy", "metadata": {"name": "deny", "namespace": "t"},
                   "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}),
            json!({"kind": "NetworkPolicy", "metadata": {"name": "t-ingress", "namespace": "t"},
                   "spec": {"podSelector": {"matchLabels": {"app": "t"}}, "policyTypes": ["Ingress"],
                            "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}],
                                         "ports": [{"port": "http"}]}]}}),
            json!({"kind": "NetworkPolicy", "metadata": {"name": "out", "namespace": "t"},
                   "spec": {"podSelector": {"matchLabels": {"app": "t"}}, "policyTypes": ["Egress"],
                            "egress": [{"to": [{"ipBlock": {"cidr": "203.0.113.0/24"}}], "ports": [{"port": 443}]}]}}),
            json!({"kind": "Deployment", "metadata": {"name": "t", "namespace": "t"},
                   "spec": {"template": {"metadata": {"labels": {"app": "t"}},
                            "spec": {"containers": [{"name": "c", "ports": [{"name": "http", "containerPort": 8000}]}]}}}}),
            json!({"kind": "Deployment", "metadata": {"name": "web", "namespace": "t"},
                   "spec": {"template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c"}]}}}}),
            json!({"kind": "Deployment", "metadata": {"name": "free", "namespace": "u"},
                   "spec": {"template": {"metadata": {"labels": {"app": "free"}}, "spec": {"containers": [{"name": "c"}]}}}}),
        ];
        let cluster = Cluster::from_documents(&documents).unwrap();
        let summary = summary(&cluster);
        assert_eq!((summary.workload_count, summary.class_count), (3, 3));
        // free (not isolated) may call t? No: t's ingress takes web only.
        assert!(summary.allowed.is_empty(), "{:?}", summary.allowed);
        assert_eq!(
            summary.blocked,
            [Blocked {
                from: vec!["Deployment/t/web".into()],
                to: vec!["Deployment/t/t".into()],
                port: "TCP 8000".into(),
                declared_by: "NetworkPolicy/t/t-ingress spec.ingress[0].from[0]".into(),
                reason:
                    "denied: source egress isolated by NetworkPolicy/t/deny and no rule allows it"
                        .into(),
            }]
        );
        assert_eq!(
            summary.outside,
            [Outside {
                direction: "egress",
                peer: "addresses 203.0.113.0/24".into(),
                ports: vec!["TCP 443".into()],
                workloads: vec!["Deployment/t/t".into()],
            }]
        );
        assert_eq!(
            summary.not_isolated,
            [
                Open {
                    direction: "ingress",
                    workloads: vec!["Deployment/u/free".into()]
                },
                Open {
                    direction: "egress",
                    workloads: vec!["Deployment/u/free".into()]
                }
            ]
        );
    }
}
