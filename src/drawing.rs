//! A drawing of flows between nodes, and its two writers: Mermaid (renders
//! in GitHub Markdown) and Graphviz DOT.
//!
//! It sits below the model so that the model can keep a service's
//! neighbourhood as a drawing ([`crate::model::Model::neighbourhood`]) and
//! the posture document writes it, instead of the model holding finished
//! Mermaid text. The drawing is built from the system in
//! [`crate::system::graph`]; every label comes from validated names and is
//! still cleaned of quotes here.

use crate::text::pushln;
use std::collections::{BTreeMap, BTreeSet};

/// The drawing's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Mermaid,
    Dot,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Style {
    /// The service whose neighbourhood is drawn.
    Focus,
    Service,
    External,
    Dapr,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub id: String,
    /// Lines of the label.
    pub label: Vec<String>,
    pub style: Style,
    /// The namespace group, if any.
    pub group: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub blocked: bool,
    pub ports: BTreeSet<String>,
}

/// `text` as an identifier both formats accept.
pub fn ident(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// A drawing before it is written: nodes (in the order of the ends they
/// stand for), merged edges and namespace groups.
#[derive(Debug, Clone, PartialEq)]
pub struct Picture {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    /// Namespace groups: name -> (label, node ids).
    pub groups: BTreeMap<String, (String, Vec<String>)>,
    /// The namespaces of `groups` where no service of the workspace lives.
    pub outside: BTreeSet<String>,
}

impl Picture {
    /// The drawing written in `format`.
    pub fn write(&self, format: Format) -> String {
        match format {
            Format::Mermaid => mermaid(self),
            Format::Dot => dot(self),
        }
    }
}

/// Serializes a kept neighbourhood as the Mermaid text the posture
/// template prints.
pub fn serialize_mermaid<S: serde::Serializer>(
    picture: &Option<Picture>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match picture {
        Some(picture) => serializer.serialize_some(&picture.write(Format::Mermaid)),
        None => serializer.serialize_none(),
    }
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
    let by_id: BTreeMap<&str, &Node> = picture.nodes.iter().map(|n| (n.id.as_str(), n)).collect();
    let hidden: BTreeSet<&str> = picture
        .nodes
        .iter()
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
    for node in picture.nodes.iter().filter(|n| {
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
    if picture.nodes.iter().any(|n| n.style == Style::Focus) {
        out.push_str("  classDef focus fill:#c8e6c9,stroke:#1b5e20,stroke-width:3px\n");
    }
    out.push_str("  classDef external fill:#f5f5f5,stroke:#757575,stroke-dasharray:3 3\n");
    if picture
        .nodes
        .iter()
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
            .iter()
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
    let by_id: BTreeMap<&str, &Node> = picture.nodes.iter().map(|n| (n.id.as_str(), n)).collect();
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
    for node in picture.nodes.iter().filter(|n| n.group.is_none()) {
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
