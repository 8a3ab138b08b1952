//! `harden graph`: the system drawn as Mermaid (renders in GitHub Markdown)
//! or Graphviz DOT.
//!
//! Services are grouped by namespace; pods no spec describes sit in their
//! namespace's group, dashed; networks and each Dapr control plane are one
//! node each. Parallel flows between two nodes are merged into one edge
//! whose label lists the ports; flows declared at one end only are drawn red
//! and dashed. The output depends only on the specs (sorted everywhere), so
//! it can be committed and diffed.

use std::collections::{BTreeMap, BTreeSet};

pub use crate::drawing::Format;
use crate::drawing::{Edge, Node, Picture, Style, ident};

use super::{End, FlowKind, System};
use crate::model::Port;

fn port_label(port: &Port, kind: FlowKind) -> String {
    let number = if port.protocol == crate::model::Protocol::Tcp {
        port.port.to_string()
    } else {
        format!("{}/{}", port.port, port.protocol)
    };
    match kind {
        FlowKind::DaprInvocation => format!("dapr {number}"),
        _ => number,
    }
}

/// The picture of `system`, or with `focus` of one service's neighbourhood:
/// the flows into and out of it and the nodes at their other ends.
fn picture(system: &System, focus: Option<usize>) -> Picture {
    let workspace: BTreeSet<&str> = system.services.iter().map(|s| s.namespace()).collect();
    let flows: Vec<&super::SystemFlow> = match focus {
        None => system.flows.iter().collect(),
        Some(index) => {
            let end = End::Service { index };
            system
                .flows
                .iter()
                .filter(|f| f.from == end || f.to == end)
                .collect()
        }
    };
    let neighbours: BTreeSet<&End> = flows.iter().flat_map(|f| [&f.from, &f.to]).collect();
    let mut nodes: BTreeMap<End, Node> = BTreeMap::new();
    for (index, s) in system.services.iter().enumerate() {
        if focus.is_some() && !neighbours.contains(&End::Service { index }) && focus != Some(index)
        {
            continue;
        }
        nodes.insert(
            End::Service { index },
            Node {
                id: format!("svc_{}", ident(s.name())),
                label: vec![s.name().to_string(), format!(":{}", s.port())],
                style: if focus == Some(index) {
                    Style::Focus
                } else {
                    Style::Service
                },
                group: Some(s.namespace().to_string()),
            },
        );
    }
    let mut external = 0;
    for end in neighbours {
        if nodes.contains_key(end) {
            continue;
        }
        let node = match end {
            End::Service { .. } => continue,
            End::Pods { namespace, labels } => {
                external += 1;
                let names = rule_names(system, &flows, end, namespace, labels);
                let label = if !names.is_empty() {
                    names.into_iter().collect::<Vec<_>>().join(", ")
                } else if labels.is_empty() {
                    "every pod".to_string()
                } else {
                    labels
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                Node {
                    id: format!("ext_{external}"),
                    label: vec![label],
                    style: Style::External,
                    group: Some(namespace.clone()),
                }
            }
            End::Network { name, cidr } => {
                external += 1;
                Node {
                    id: format!("ext_{external}"),
                    label: vec![name.clone(), cidr.clone()],
                    style: Style::External,
                    group: None,
                }
            }
            End::Hosts { name, hosts } => {
                external += 1;
                let mut label = vec![name.clone()];
                label.extend(hosts.iter().cloned());
                Node {
                    id: format!("ext_{external}"),
                    label,
                    style: Style::External,
                    group: None,
                }
            }
            End::DaprControlPlane { namespace } => Node {
                id: format!("dapr_{}", ident(namespace)),
                label: vec!["Dapr control plane".to_string(), namespace.clone()],
                style: Style::Dapr,
                group: None,
            },
        };
        nodes.insert(end.clone(), node);
    }
    let mut groups: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    let mut outside = BTreeSet::new();
    for node in nodes.values() {
        if let Some(namespace) = &node.group {
            if !workspace.contains(namespace.as_str()) {
                outside.insert(namespace.clone());
            }
            let label = if workspace.contains(namespace.as_str()) {
                format!("namespace {namespace}")
            } else {
                format!("namespace {namespace} (outside the workspace)")
            };
            groups
                .entry(namespace.clone())
                .or_insert_with(|| (label, Vec::new()))
                .1
                .push(node.id.clone());
        }
    }
    let mut merged: BTreeMap<(String, String, bool), BTreeSet<String>> = BTreeMap::new();
    for flow in flows {
        let key = (
            nodes[&flow.from].id.clone(),
            nodes[&flow.to].id.clone(),
            flow.blocked,
        );
        let ports = merged.entry(key).or_default();
        for port in &flow.ports {
            ports.insert(port_label(port, flow.kind));
        }
    }
    let edges = merged
        .into_iter()
        .map(|((from, to, blocked), ports)| Edge {
            from,
            to,
            blocked,
            ports,
        })
        .collect();
    Picture {
        nodes: nodes.into_values().collect(),
        edges,
        groups,
        outside,
    }
}

/// The names the specs give the pods at `end` (their ingress and egress
/// rules' names), so a node reads as the spec does rather than as a
/// selector.
fn rule_names(
    system: &System,
    flows: &[&super::SystemFlow],
    end: &End,
    namespace: &str,
    labels: &[(String, String)],
) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for flow in flows.iter().filter(|f| f.from == *end || f.to == *end) {
        let (End::Service { index }, outgoing) = (if flow.from == *end {
            (&flow.to, false)
        } else {
            (&flow.from, true)
        }) else {
            continue;
        };
        let network = &system.services[*index].model.network;
        let rules = if outgoing {
            &network.egress
        } else {
            &network.ingress
        };
        names.extend(
            rules
                .iter()
                .filter(|rule| {
                    rule.peer.namespace.as_deref() == Some(namespace)
                        && rule.peer.pod_labels.as_slice() == labels
                })
                .map(|rule| rule.name.clone()),
        );
    }
    names
}

/// Draws `system`.
pub fn draw(system: &System, format: Format) -> String {
    picture(system, None).write(format)
}

/// Draws the neighbourhood of the service at `index`: its flows in and out
/// and what is at their other ends (for its posture document).
pub fn neighbourhood(system: &System, index: usize, format: Format) -> String {
    neighbourhood_picture(system, index).write(format)
}

/// The neighbourhood of the service at `index`, not yet written in a
/// format (the model keeps it for the posture document).
pub fn neighbourhood_picture(system: &System, index: usize) -> Picture {
    picture(system, Some(index))
}
