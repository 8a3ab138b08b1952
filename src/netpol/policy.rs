//! NetworkPolicy (networking.k8s.io/v1) objects parsed into rules the
//! evaluator can apply, keeping each rule's field path
//! (`spec.egress[0].to[1]`) so findings and verdicts can point at the line.
//!
//! Defaults from kubernetes/kubernetes `pkg/apis/networking/v1/defaults.go`:
//! a port's protocol defaults to TCP; when `policyTypes` is empty it becomes
//! `[Ingress]`, plus `Egress` when `len(spec.egress) != 0` (so `egress: []`
//! does not make a policy an egress policy).

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;
use serde_json::Value;

use super::selector::Selector;

/// A transport protocol of NetworkPolicy ports and container ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Protocol {
    Tcp,
    Udp,
    Sctp,
}

impl Protocol {
    /// Parses the API spelling; `None` (field absent) is TCP.
    pub fn parse(text: Option<&str>) -> Option<Protocol> {
        match text {
            None | Some("TCP") => Some(Protocol::Tcp),
            Some("UDP") => Some(Protocol::Udp),
            Some("SCTP") => Some(Protocol::Sctp),
            Some(_) => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Ingress (to the selected pods) or egress (from them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    /// The spec field holding the rules: `ingress` or `egress`.
    pub fn field(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }

    /// The peer list of a rule: `from` or `to`.
    pub fn peers_field(self) -> &'static str {
        match self {
            Direction::Ingress => "from",
            Direction::Egress => "to",
        }
    }

    /// The `policyTypes` spelling.
    pub fn policy_type(self) -> &'static str {
        match self {
            Direction::Ingress => "Ingress",
            Direction::Egress => "Egress",
        }
    }
}

/// An `ipBlock`: a CIDR minus the `except` ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpBlock {
    pub cidr: IpNet,
    pub except: Vec<IpNet>,
}

impl IpBlock {
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.cidr.contains(&ip) && !self.except.iter().any(|e| e.contains(&ip))
    }
}

/// One entry of `from` / `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Peer {
    /// Pods chosen by selectors. No `namespaces` selector means the
    /// policy's own namespace; no `pods` selector means every pod of the
    /// selected namespaces. Both set is an AND.
    Pods {
        namespaces: Option<Selector>,
        pods: Option<Selector>,
    },
    IpBlock(IpBlock),
}

/// The port part of a NetworkPolicyPort.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortMatch {
    /// No `port`: every port of the protocol.
    Any,
    /// A number, or the range `port..=endPort`.
    Range(u16, u16),
    /// A named port, resolved against the destination pod's container ports.
    Named(String),
}

/// One entry of a rule's `ports`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyPort {
    pub protocol: Protocol,
    pub port: PortMatch,
}

impl fmt::Display for PolicyPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.port {
            PortMatch::Any => write!(f, "{} any port", self.protocol),
            PortMatch::Range(a, b) if a == b => write!(f, "{} {a}", self.protocol),
            PortMatch::Range(a, b) => write!(f, "{} {a}-{b}", self.protocol),
            PortMatch::Named(name) => write!(f, "{} {name:?}", self.protocol),
        }
    }
}

/// One ingress or egress rule. An empty peer list allows every peer, an
/// empty port list every port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// `spec.ingress[0]`.
    pub path: String,
    pub peers: Vec<Peer>,
    pub ports: Vec<PolicyPort>,
}

/// A parsed NetworkPolicy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// `NetworkPolicy/namespace/name`.
    pub resource: String,
    pub name: String,
    pub namespace: String,
    pub pod_selector: Selector,
    /// Whether the policy isolates for ingress / egress (policyTypes after
    /// defaulting).
    pub ingress_type: bool,
    pub egress_type: bool,
    pub ingress: Vec<Rule>,
    pub egress: Vec<Rule>,
}

/// A field that cannot be read, with its path in the object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub resource: String,
    pub path: String,
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.resource, self.path, self.message)
    }
}

impl Policy {
    pub fn has_type(&self, direction: Direction) -> bool {
        match direction {
            Direction::Ingress => self.ingress_type,
            Direction::Egress => self.egress_type,
        }
    }

    pub fn rules(&self, direction: Direction) -> &[Rule] {
        match direction {
            Direction::Ingress => &self.ingress,
            Direction::Egress => &self.egress,
        }
    }

    /// Parses a NetworkPolicy object; `namespace` is where it lives
    /// (`metadata.namespace`, else `default`).
    pub fn parse(document: &Value) -> Result<Policy, FieldError> {
        let name = document
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let namespace = document
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or("default")
            .to_string();
        let resource = format!("NetworkPolicy/{namespace}/{name}");
        let error = |path: String, message: String| FieldError {
            resource: resource.clone(),
            path,
            message,
        };
        let spec = document.get("spec").unwrap_or(&Value::Null);
        let pod_selector = Selector::parse(spec.get("podSelector").unwrap_or(&Value::Null))
            .map_err(|(p, m)| error(join("spec.podSelector", &p), m))?;
        let mut rules = [Vec::new(), Vec::new()];
        for (slot, direction) in [Direction::Ingress, Direction::Egress]
            .into_iter()
            .enumerate()
        {
            let field = direction.field();
            let Some(list) = spec.get(field).filter(|v| !v.is_null()) else {
                continue;
            };
            let list = list
                .as_array()
                .ok_or_else(|| error(format!("spec.{field}"), "must be a list of rules".into()))?;
            for (index, rule) in list.iter().enumerate() {
                let path = format!("spec.{field}[{index}]");
                rules[slot].push(parse_rule(rule, direction, path).map_err(|(p, m)| error(p, m))?);
            }
        }
        let [ingress, egress] = rules;
        let types: Vec<&str> = spec
            .get("policyTypes")
            .and_then(Value::as_array)
            .map(|t| t.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for (index, kind) in types.iter().enumerate() {
            if *kind != "Ingress" && *kind != "Egress" {
                return Err(error(
                    format!("spec.policyTypes[{index}]"),
                    format!("{kind:?} is not a policy type; use Ingress or Egress"),
                ));
            }
        }
        let (ingress_type, egress_type) = if types.is_empty() {
            let egress_rules = spec
                .get("egress")
                .and_then(Value::as_array)
                .is_some_and(|e| !e.is_empty());
            (true, egress_rules)
        } else {
            (types.contains(&"Ingress"), types.contains(&"Egress"))
        };
        Ok(Policy {
            resource,
            name,
            namespace,
            pod_selector,
            ingress_type,
            egress_type,
            ingress,
            egress,
        })
    }
}

fn join(base: &str, rest: &str) -> String {
    if rest.is_empty() {
        base.to_string()
    } else {
        format!("{base}.{rest}")
    }
}

type Problem = (String, String);

fn parse_rule(rule: &Value, direction: Direction, path: String) -> Result<Rule, Problem> {
    if !rule.is_object() {
        return Err((path, "a rule must be a mapping".into()));
    }
    let peers_field = direction.peers_field();
    let mut peers = Vec::new();
    if let Some(list) = rule.get(peers_field).filter(|v| !v.is_null()) {
        let list = list.as_array().ok_or_else(|| {
            (
                format!("{path}.{peers_field}"),
                "must be a list of peers".to_string(),
            )
        })?;
        for (index, peer) in list.iter().enumerate() {
            peers.push(parse_peer(peer, &format!("{path}.{peers_field}[{index}]"))?);
        }
    }
    let mut ports = Vec::new();
    if let Some(list) = rule.get("ports").filter(|v| !v.is_null()) {
        let list = list
            .as_array()
            .ok_or_else(|| (format!("{path}.ports"), "must be a list".to_string()))?;
        for (index, port) in list.iter().enumerate() {
            ports.push(parse_port(port, &format!("{path}.ports[{index}]"))?);
        }
    }
    Ok(Rule { path, peers, ports })
}

fn parse_peer(peer: &Value, path: &str) -> Result<Peer, Problem> {
    let selector = |field: &str| -> Result<Option<Selector>, Problem> {
        match peer.get(field).filter(|v| !v.is_null()) {
            None => Ok(None),
            Some(value) => Selector::parse(value)
                .map(Some)
                .map_err(|(p, m)| (join(&format!("{path}.{field}"), &p), m)),
        }
    };
    let namespaces = selector("namespaceSelector")?;
    let pods = selector("podSelector")?;
    let block = peer.get("ipBlock").filter(|v| !v.is_null());
    match (block, &namespaces, &pods) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => Err((
            path.to_string(),
            "ipBlock cannot be combined with podSelector or namespaceSelector; use separate peers"
                .into(),
        )),
        (Some(block), None, None) => parse_ip_block(block, &format!("{path}.ipBlock")),
        (None, None, None) => Err((
            path.to_string(),
            "a peer needs podSelector, namespaceSelector or ipBlock (the API server rejects an empty peer)"
                .into(),
        )),
        (None, _, _) => Ok(Peer::Pods { namespaces, pods }),
    }
}

fn parse_ip_block(block: &Value, path: &str) -> Result<Peer, Problem> {
    let cidr_text = block.get("cidr").and_then(Value::as_str).ok_or_else(|| {
        (
            format!("{path}.cidr"),
            "a CIDR such as 10.0.0.0/8 is required".to_string(),
        )
    })?;
    let cidr = parse_cidr(cidr_text, &format!("{path}.cidr"))?;
    let mut except = Vec::new();
    if let Some(list) = block.get("except").and_then(Value::as_array) {
        for (index, item) in list.iter().enumerate() {
            let item_path = format!("{path}.except[{index}]");
            let text = item
                .as_str()
                .ok_or_else(|| (item_path.clone(), "must be a CIDR".to_string()))?;
            let range = parse_cidr(text, &item_path)?;
            if !cidr.contains(&range) {
                return Err((
                    item_path,
                    format!("{text} is not inside {cidr_text}; except ranges must lie within cidr"),
                ));
            }
            except.push(range);
        }
    }
    Ok(Peer::IpBlock(IpBlock { cidr, except }))
}

fn parse_cidr(text: &str, path: &str) -> Result<IpNet, Problem> {
    text.parse::<IpNet>().map_err(|_| {
        (
            path.to_string(),
            format!("{text:?} is not a CIDR; write an address and prefix such as 10.0.0.0/24"),
        )
    })
}

fn parse_port(port: &Value, path: &str) -> Result<PolicyPort, Problem> {
    let protocol_text = port.get("protocol").and_then(Value::as_str);
    let protocol = Protocol::parse(protocol_text).ok_or_else(|| {
        (
            format!("{path}.protocol"),
            format!(
                "{:?} is not a protocol; use TCP, UDP or SCTP",
                protocol_text.unwrap_or("")
            ),
        )
    })?;
    let end = port.get("endPort").and_then(Value::as_u64);
    let number = |value: u64, field: &str| -> Result<u16, Problem> {
        u16::try_from(value).ok().filter(|p| *p > 0).ok_or_else(|| {
            (
                format!("{path}.{field}"),
                format!("{value} is not a port (1-65535)"),
            )
        })
    };
    let port = match port.get("port").filter(|v| !v.is_null()) {
        None if end.is_some() => {
            return Err((
                format!("{path}.endPort"),
                "endPort needs a numeric port".into(),
            ));
        }
        None => PortMatch::Any,
        Some(Value::Number(n)) => {
            let start = number(n.as_u64().unwrap_or(0), "port")?;
            let stop = match end {
                Some(end) => number(end, "endPort")?,
                None => start,
            };
            if stop < start {
                return Err((
                    format!("{path}.endPort"),
                    format!("endPort {stop} is below port {start}"),
                ));
            }
            PortMatch::Range(start, stop)
        }
        Some(Value::String(name)) if end.is_some() => {
            return Err((
                format!("{path}.endPort"),
                format!("endPort needs a numeric port, not the named port {name:?}"),
            ));
        }
        Some(Value::String(name)) => PortMatch::Named(name.clone()),
        Some(other) => {
            return Err((
                format!("{path}.port"),
                format!("{other} is not a port number or name"),
            ));
        }
    };
    Ok(PolicyPort { protocol, port })
}

/// A NetworkPolicy's types: as declared, else Ingress (plus Egress when it
/// has egress rules), as the API server defaults them.
pub fn policy_types_of(document: &Value) -> Vec<String> {
    let declared = crate::objects::value::string_list(document.pointer("/spec/policyTypes"));
    if !declared.is_empty() {
        return declared;
    }
    let mut implied = vec!["Ingress".to_string()];
    if document.pointer("/spec/egress").is_some() {
        implied.push("Egress".to_string());
    }
    implied
}
