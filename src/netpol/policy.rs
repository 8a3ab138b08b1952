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
use crate::objects::value::At;

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
pub struct PolicyRule {
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
    pub ingress: Vec<PolicyRule>,
    pub egress: Vec<PolicyRule>,
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

    pub fn rules(&self, direction: Direction) -> &[PolicyRule] {
        match direction {
            Direction::Ingress => &self.ingress,
            Direction::Egress => &self.egress,
        }
    }

    /// Parses a NetworkPolicy object; `namespace` is where it lives
    /// (`metadata.namespace`, else `default`).
    pub fn parse(document: &Value) -> Result<Policy, FieldError> {
        let name = document
            .at("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let namespace = document
            .at("/metadata/namespace")
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

fn parse_rule(rule: &Value, direction: Direction, path: String) -> Result<PolicyRule, Problem> {
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
    Ok(PolicyRule { path, peers, ports })
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
/// has egress rules: `len(spec.egress) != 0`, so not for `egress: []`), as
/// the API server defaults them (defaults.go, see the module comment).
pub fn policy_types_of(document: &Value) -> Vec<String> {
    let declared = crate::objects::value::string_list(document.at("/spec/policyTypes"));
    if !declared.is_empty() {
        return declared;
    }
    let mut implied = vec!["Ingress".to_string()];
    let egress_rules = document
        .at("/spec/egress")
        .and_then(Value::as_array)
        .is_some_and(|rules| !rules.is_empty());
    if egress_rules {
        implied.push("Egress".to_string());
    }
    implied
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy(spec: Value) -> Result<Policy, FieldError> {
        Policy::parse(&json!({"kind": "NetworkPolicy",
            "metadata": {"name": "p", "namespace": "shop"}, "spec": spec}))
    }

    /// The field path and message of a policy that cannot be read.
    fn error(spec: Value) -> (String, String) {
        let error = policy(spec).unwrap_err();
        assert_eq!(error.resource, "NetworkPolicy/shop/p");
        (error.path, error.message)
    }

    fn port(value: Value) -> Result<PolicyPort, (String, String)> {
        let spec = json!({"ingress": [{"ports": [value]}]});
        policy(spec)
            .map(|p| p.ingress[0].ports[0].clone())
            .map_err(|e| (e.path, e.message))
    }

    #[test]
    fn protocols_directions_and_ports_are_spelled_as_the_api_does() {
        assert_eq!(Protocol::parse(None), Some(Protocol::Tcp));
        assert_eq!(Protocol::parse(Some("TCP")), Some(Protocol::Tcp));
        assert_eq!(Protocol::parse(Some("UDP")), Some(Protocol::Udp));
        assert_eq!(Protocol::parse(Some("SCTP")), Some(Protocol::Sctp));
        assert_eq!(Protocol::parse(Some("udp")), None);
        let shown: Vec<String> = [Protocol::Tcp, Protocol::Udp, Protocol::Sctp]
            .iter()
            .map(Protocol::to_string)
            .collect();
        assert_eq!(shown, ["TCP", "UDP", "SCTP"]);
        let fields = |d: Direction| (d.field(), d.peers_field(), d.policy_type());
        assert_eq!(fields(Direction::Ingress), ("ingress", "from", "Ingress"));
        assert_eq!(fields(Direction::Egress), ("egress", "to", "Egress"));
        let shown = |protocol, port| PolicyPort { protocol, port }.to_string();
        assert_eq!(shown(Protocol::Tcp, PortMatch::Any), "TCP any port");
        assert_eq!(shown(Protocol::Udp, PortMatch::Range(53, 53)), "UDP 53");
        assert_eq!(shown(Protocol::Tcp, PortMatch::Range(80, 90)), "TCP 80-90");
        assert_eq!(
            shown(Protocol::Sctp, PortMatch::Named("http".into())),
            "SCTP \"http\""
        );
    }

    #[test]
    fn an_ip_block_holds_its_cidr_minus_the_except_ranges() {
        let block = IpBlock {
            cidr: "10.0.0.0/8".parse().unwrap(),
            except: vec!["10.1.0.0/16".parse().unwrap()],
        };
        assert!(block.contains("10.2.3.4".parse().unwrap()));
        assert!(!block.contains("10.1.2.3".parse().unwrap()));
        assert!(!block.contains("11.0.0.1".parse().unwrap()));
    }

    #[test]
    fn a_policy_is_read_with_its_rules_peers_and_types() {
        let policy = policy(json!({
            "podSelector": {"matchLabels": {"app": "api"}},
            "policyTypes": ["Egress"],
            "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}]}],
            "egress": [
                {"to": [{"namespaceSelector": {"matchLabels": {"team": "a"}}},
                        {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}],
                 "ports": [{"protocol": "UDP", "port": 53}, {"port": "http"}, {"port": 8000, "endPort": 8010}]},
                {"to": null, "ports": null}
            ]
        }))
        .unwrap();
        assert_eq!(policy.resource, "NetworkPolicy/shop/p");
        assert_eq!(
            (policy.name.as_str(), policy.namespace.as_str()),
            ("p", "shop")
        );
        assert_eq!(policy.pod_selector.describe(), "app=api");
        // policyTypes as declared: the ingress rules are there but not enforced.
        assert!(!policy.has_type(Direction::Ingress) && policy.has_type(Direction::Egress));
        assert_eq!(policy.rules(Direction::Ingress), policy.ingress.as_slice());
        assert_eq!(policy.rules(Direction::Egress), policy.egress.as_slice());
        assert_eq!(policy.ingress[0].path, "spec.ingress[0]");
        let egress = &policy.egress[0];
        assert_eq!(egress.path, "spec.egress[0]");
        assert!(matches!(&egress.peers[0],
            Peer::Pods { namespaces: Some(n), pods: None } if n.describe() == "team=a"));
        assert!(matches!(&egress.peers[1],
            Peer::IpBlock(b) if b.cidr.to_string() == "10.0.0.0/8" && b.except.len() == 1));
        let ports: Vec<String> = egress.ports.iter().map(PolicyPort::to_string).collect();
        assert_eq!(ports, ["UDP 53", "TCP \"http\"", "TCP 8000-8010"]);
        // Null lists are absent ones: every peer, every port.
        assert!(policy.egress[1].peers.is_empty() && policy.egress[1].ports.is_empty());
        // No metadata.namespace: the policy lives in default.
        let bare = Policy::parse(&json!({"metadata": {"name": "q"}})).unwrap();
        assert_eq!(bare.resource, "NetworkPolicy/default/q");
    }

    #[test]
    fn policy_types_default_as_the_api_server_defaults_them() {
        // defaults.go: Ingress, plus Egress when len(spec.egress) != 0.
        let types = |spec: Value| {
            let p = policy(spec.clone()).unwrap();
            let parsed = (
                p.has_type(Direction::Ingress),
                p.has_type(Direction::Egress),
            );
            let listed = policy_types_of(&json!({ "spec": spec }));
            (parsed, listed)
        };
        let both = (
            (true, true),
            vec!["Ingress".to_string(), "Egress".to_string()],
        );
        let ingress = ((true, false), vec!["Ingress".to_string()]);
        assert_eq!(types(json!({"egress": [{}]})), both);
        assert_eq!(types(json!({})), ingress);
        assert_eq!(types(json!({"egress": []})), ingress);
        assert_eq!(types(json!({"egress": null})), ingress);
        assert_eq!(
            types(json!({"policyTypes": ["Egress"], "ingress": [{}]})),
            ((false, true), vec!["Egress".to_string()])
        );
        assert_eq!(types(json!({"policyTypes": ["Ingress", "Egress"]})), both);
    }

    #[test]
    fn unreadable_fields_are_named_by_their_path() {
        let cases = [
            (
                json!({"policyTypes": ["Ingress", "Both"]}),
                "spec.policyTypes[1]",
                "\"Both\" is not a policy type; use Ingress or Egress",
            ),
            (
                json!({"podSelector": "app"}),
                "spec.podSelector",
                "a label selector must be a mapping",
            ),
            (
                json!({"podSelector": {"matchLabels": ["app"]}}),
                "spec.podSelector.matchLabels",
                "must be a mapping of labels",
            ),
            (
                json!({"ingress": {"from": []}}),
                "spec.ingress",
                "must be a list of rules",
            ),
            (
                json!({"egress": ["to"]}),
                "spec.egress[0]",
                "a rule must be a mapping",
            ),
            (
                json!({"ingress": [{"from": {}}]}),
                "spec.ingress[0].from",
                "must be a list of peers",
            ),
            (
                json!({"egress": [{"to": [{}], "ports": []}]}),
                "spec.egress[0].to[0]",
                "a peer needs podSelector, namespaceSelector or ipBlock (the API server rejects an empty peer)",
            ),
            (
                json!({"egress": [{"ports": {}}]}),
                "spec.egress[0].ports",
                "must be a list",
            ),
            (
                json!({"egress": [{"to": [{"namespaceSelector": {"matchExpressions": {}}}]}]}),
                "spec.egress[0].to[0].namespaceSelector.matchExpressions",
                "must be a list",
            ),
            (
                json!({"egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}, "podSelector": {}}]}]}),
                "spec.egress[0].to[0]",
                "ipBlock cannot be combined with podSelector or namespaceSelector; use separate peers",
            ),
            (
                json!({"egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}, "namespaceSelector": {}}]}]}),
                "spec.egress[0].to[0]",
                "ipBlock cannot be combined with podSelector or namespaceSelector; use separate peers",
            ),
            (
                json!({"egress": [{"to": [{"ipBlock": {}}]}]}),
                "spec.egress[0].to[0].ipBlock.cidr",
                "a CIDR such as 10.0.0.0/8 is required",
            ),
            (
                json!({"egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0"}}]}]}),
                "spec.egress[0].to[0].ipBlock.cidr",
                "\"10.0.0.0\" is not a CIDR; write an address and prefix such as 10.0.0.0/24",
            ),
            (
                json!({"egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": [1]}}]}]}),
                "spec.egress[0].to[0].ipBlock.except[0]",
                "must be a CIDR",
            ),
            (
                json!({"egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["11.0.0.0/16"]}}]}]}),
                "spec.egress[0].to[0].ipBlock.except[0]",
                "11.0.0.0/16 is not inside 10.0.0.0/8; except ranges must lie within cidr",
            ),
        ];
        for (spec, path, message) in cases {
            assert_eq!(
                error(spec.clone()),
                (path.to_string(), message.to_string()),
                "{spec}"
            );
        }
    }

    #[test]
    fn ports_numbers_ranges_and_names() {
        let ok = |value: Value| port(value.clone()).unwrap_or_else(|e| panic!("{value}: {e:?}"));
        let bad = |value: Value| {
            let (path, message) = port(value.clone()).unwrap_err();
            assert!(path.starts_with("spec.ingress[0].ports[0]."), "{path}");
            (path.rsplit('.').next().unwrap().to_string(), message)
        };
        assert_eq!(
            ok(json!({"protocol": "UDP"})),
            PolicyPort {
                protocol: Protocol::Udp,
                port: PortMatch::Any
            }
        );
        assert_eq!(ok(json!({"port": null})).port, PortMatch::Any);
        assert_eq!(ok(json!({"port": 1})).port, PortMatch::Range(1, 1));
        assert_eq!(
            ok(json!({"port": 65535})).port,
            PortMatch::Range(65535, 65535)
        );
        assert_eq!(
            ok(json!({"port": 80, "endPort": 80})).port,
            PortMatch::Range(80, 80)
        );
        assert_eq!(
            ok(json!({"port": 80, "endPort": 90})).port,
            PortMatch::Range(80, 90)
        );
        assert_eq!(
            ok(json!({"port": "http"})).port,
            PortMatch::Named("http".into())
        );
        let cases = [
            (
                json!({"protocol": "ICMP"}),
                "protocol",
                "\"ICMP\" is not a protocol; use TCP, UDP or SCTP",
            ),
            (json!({"port": 0}), "port", "0 is not a port (1-65535)"),
            (
                json!({"port": 65536}),
                "port",
                "65536 is not a port (1-65535)",
            ),
            (
                json!({"port": 80, "endPort": 70000}),
                "endPort",
                "70000 is not a port (1-65535)",
            ),
            (
                json!({"port": 80, "endPort": 79}),
                "endPort",
                "endPort 79 is below port 80",
            ),
            (
                json!({"endPort": 90}),
                "endPort",
                "endPort needs a numeric port",
            ),
            (
                json!({"port": "http", "endPort": 90}),
                "endPort",
                "endPort needs a numeric port, not the named port \"http\"",
            ),
            (
                json!({"port": true}),
                "port",
                "true is not a port number or name",
            ),
        ];
        for (value, field, message) in cases {
            assert_eq!(
                bad(value.clone()),
                (field.to_string(), message.to_string()),
                "{value}"
            );
        }
    }

    #[test]
    fn a_field_error_reads_resource_path_message() {
        let error = FieldError {
            resource: "NetworkPolicy/shop/p".into(),
            path: "spec.ingress".into(),
            message: "must be a list of rules".into(),
        };
        assert_eq!(
            error.to_string(),
            "NetworkPolicy/shop/p spec.ingress: must be a list of rules"
        );
    }
}
