//! `harden graph`: the system drawn as Mermaid (renders in GitHub Markdown)
//! or Graphviz DOT.
//!
//! Services are grouped by namespace; pods no spec describes sit in their
//! namespace's group, dashed; networks and each Dapr control plane are one
//! node each. Parallel flows between two nodes are merged into one edge
//! whose label lists the ports; flows declared at one end only are drawn red
//! and dashed. The output depends only on the specs (sorted everywhere), so
//! it can be committed and diffed.

use crate::text::pushln;
use std::collections::{BTreeMap, BTreeSet};

use super::{End, FlowKind, System};
use crate::model::Port;

/// The drawing's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Mermaid,
    Dot,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Style {
    /// The service whose neighbourhood is drawn.
    Focus,
    Service,
    External,
    Dapr,
}

struct Node {
    id: String,
    /// Lines of the label.
    label: Vec<String>,
    style: Style,
    /// The namespace group, if any.
    group: Option<String>,
}

struct Edge {
    from: String,
    to: String,
    blocked: bool,
    ports: BTreeSet<String>,
}

fn ident(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

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

struct Picture {
    nodes: BTreeMap<End, Node>,
    edges: Vec<Edge>,
    /// Namespace groups: name -> (label, node ids).
    groups: BTreeMap<String, (String, Vec<String>)>,
    /// The namespaces of `groups` where no service of the workspace lives.
    outside: BTreeSet<String>,
}

/// The picture of `system`, or with `focus` of one service's neighbourhood:
/// the flows into and out of it and the nodes at their other ends.
fn picture(system: &System, focus: Option<usize>) -> Picture {
    let workspace: BTreeSet<&str> = system.services.iter().map(|s| s.namespace()).collect();
    let flows: Vec<&super::Flow> = match focus {
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
        nodes,
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
    flows: &[&super::Flow],
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

/// Port labels in numeric order ("53/UDP" after "53", "dapr" last).
fn ports_text(ports: &BTreeSet<String>) -> String {
    let mut sorted: Vec<&String> = ports.iter().collect();
    sorted.sort_by_key(|p| {
        let dapr = p.starts_with("dapr ");
        let digits: String = p
            .trim_start_matches("dapr ")
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        (dapr, digits.parse::<u32>().unwrap_or(0), (*p).clone())
    });
    sorted
        .into_iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

fn clean(text: &str) -> String {
    text.replace('"', "'")
}

/// Draws `system`.
pub fn draw(system: &System, format: Format) -> String {
    let picture = picture(system, None);
    match format {
        Format::Mermaid => mermaid(&picture),
        Format::Dot => dot(&picture),
    }
}

/// Draws the neighbourhood of the service at `index`: its flows in and out
/// and what is at their other ends (for its posture document).
pub fn neighbourhood(system: &System, index: usize, format: Format) -> String {
    let picture = picture(system, Some(index));
    match format {
        Format::Mermaid => mermaid(&picture),
        Format::Dot => dot(&picture),
    }
}

/// Mermaid, laid out by its renderer (dagre), which routes edges through
/// other boxes when clusters pull nodes apart. Measured with mermaid 11 in
/// Chromium on a workspace with pods outside it and the Dapr control plane:
/// a namespace group of one outside node overlapped other groups, and the
/// control plane, which every Dapr service calls, drew edges across
/// unrelated boxes (in a neighbourhood too). So only the workspace's
/// namespaces are groups (a node outside it names its namespace on its
/// second line), and Dapr services are marked as such instead of drawn
/// with their control-plane edges. DOT, laid out by Graphviz, keeps every
/// group and edge.
fn mermaid(picture: &Picture) -> String {
    let mut out = String::from("flowchart LR\n");
    let by_id: BTreeMap<&str, &Node> = picture.nodes.values().map(|n| (n.id.as_str(), n)).collect();
    let hidden: BTreeSet<&str> = picture
        .nodes
        .values()
        .filter(|n| n.style == Style::Dapr)
        .map(|n| n.id.as_str())
        .collect();
    let with_dapr: BTreeSet<&str> = picture
        .edges
        .iter()
        .filter(|e| hidden.contains(e.to.as_str()))
        .map(|e| e.from.as_str())
        .collect();
    let node_line = |node: &Node| {
        let mut lines: Vec<String> = node.label.iter().map(|l| clean(l)).collect();
        if let Some(namespace) = node.group.as_ref().filter(|n| picture.outside.contains(*n)) {
            lines.push(format!("in {}", clean(namespace)));
        }
        if with_dapr.contains(node.id.as_str()) {
            lines.push("Dapr sidecar".to_string());
        }
        let label = lines.join("<br/>");
        match node.style {
            Style::Dapr => format!("{}{{{{\"{label}\"}}}}", node.id),
            _ => format!("{}[\"{label}\"]", node.id),
        }
    };
    for (namespace, (label, ids)) in &picture.groups {
        if picture.outside.contains(namespace) {
            continue;
        }
        pushln!(
            out,
            "  subgraph ns_{}[\"{}\"]",
            ident(namespace),
            clean(label)
        );
        for id in ids {
            pushln!(out, "    {}", node_line(by_id[id.as_str()]));
        }
        out.push_str("  end\n");
    }
    for node in picture.nodes.values().filter(|n| {
        !hidden.contains(n.id.as_str())
            && n.group.as_ref().is_none_or(|g| picture.outside.contains(g))
    }) {
        pushln!(out, "  {}", node_line(node));
    }
    let mut blocked = Vec::new();
    let edges = picture
        .edges
        .iter()
        .filter(|e| !hidden.contains(e.from.as_str()) && !hidden.contains(e.to.as_str()));
    for (index, edge) in edges.enumerate() {
        let ports = ports_text(&edge.ports);
        if edge.blocked {
            blocked.push(index.to_string());
            pushln!(
                out,
                "  {} -.->|\"blocked: {ports}\"| {}",
                edge.from,
                edge.to
            );
        } else {
            pushln!(out, "  {} -->|\"{ports}\"| {}", edge.from, edge.to);
        }
    }
    out.push_str("  classDef service fill:#e8f5e9,stroke:#2e7d32\n");
    if picture.nodes.values().any(|n| n.style == Style::Focus) {
        out.push_str("  classDef focus fill:#c8e6c9,stroke:#1b5e20,stroke-width:3px\n");
    }
    out.push_str("  classDef external fill:#f5f5f5,stroke:#757575,stroke-dasharray:3 3\n");
    if picture
        .nodes
        .values()
        .any(|n| n.style == Style::Dapr && !hidden.contains(n.id.as_str()))
    {
        out.push_str("  classDef dapr fill:#e3f2fd,stroke:#1565c0\n");
    }
    for (style, class) in [
        (Style::Focus, "focus"),
        (Style::Service, "service"),
        (Style::External, "external"),
        (Style::Dapr, "dapr"),
    ] {
        let ids: Vec<&str> = picture
            .nodes
            .values()
            .filter(|n| n.style == style && !hidden.contains(n.id.as_str()))
            .map(|n| n.id.as_str())
            .collect();
        if !ids.is_empty() {
            pushln!(out, "  class {} {class}", ids.join(","));
        }
    }
    if !blocked.is_empty() {
        pushln!(
            out,
            "  linkStyle {} stroke:#d32f2f,stroke-width:2px,stroke-dasharray:5 5,color:#d32f2f",
            blocked.join(",")
        );
    }
    out
}

fn dot(picture: &Picture) -> String {
    let mut out = String::from(
        "digraph system {\n  rankdir=LR;\n  node [shape=box, style=\"rounded,filled\", fillcolor=\"#e8f5e9\", fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n",
    );
    let by_id: BTreeMap<&str, &Node> = picture.nodes.values().map(|n| (n.id.as_str(), n)).collect();
    let node_line = |node: &Node| {
        let label = node
            .label
            .iter()
            .map(|l| clean(l))
            .collect::<Vec<_>>()
            .join("\\n");
        let style = match node.style {
            Style::Service => "",
            Style::Focus => ", penwidth=3, fillcolor=\"#c8e6c9\"",
            Style::External => ", style=\"dashed,filled\", fillcolor=\"#f5f5f5\"",
            Style::Dapr => ", shape=hexagon, fillcolor=\"#e3f2fd\"",
        };
        format!("{} [label=\"{label}\"{style}];", node.id)
    };
    for (namespace, (label, ids)) in &picture.groups {
        pushln!(
            out,
            "  subgraph cluster_{} {{\n    label=\"{}\";",
            ident(namespace),
            clean(label)
        );
        for id in ids {
            pushln!(out, "    {}", node_line(by_id[id.as_str()]));
        }
        out.push_str("  }\n");
    }
    for node in picture.nodes.values().filter(|n| n.group.is_none()) {
        pushln!(out, "  {}", node_line(node));
    }
    for edge in &picture.edges {
        let ports = ports_text(&edge.ports);
        if edge.blocked {
            pushln!(
                out,
                "  {} -> {} [label=\"blocked: {ports}\", style=dashed, color=\"#d32f2f\", fontcolor=\"#d32f2f\"];",
                edge.from,
                edge.to
            );
        } else {
            pushln!(out, "  {} -> {} [label=\"{ports}\"];", edge.from, edge.to);
        }
    }
    out.push_str("}\n");
    out
}
