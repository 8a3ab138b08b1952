//! CiliumNetworkPolicy (`cilium.io/v2`) objects parsed into rules the
//! evaluator of [`super::Cluster`] applies beside the NetworkPolicies: Cilium
//! enforces both kinds, and the allows of every rule selecting a pod add up
//! ([`cilium::quotes::UNION`]).
//!
//! Read: `endpointSelector`, and in each `egress` / `ingress` item the peers
//! `toEndpoints`/`fromEndpoints`, `toEntities`/`fromEntities`,
//! `toCIDR`/`fromCIDR`, `toCIDRSet`/`fromCIDRSet`, `toFQDNs`, and `toPorts`
//! with `rules.dns` (the L7 DNS filter). Selector keys lose their `k8s:`
//! source prefix and are matched by the one label-selector matcher
//! ([`Selector`]) against the pod's labels plus
//! `io.kubernetes.pod.namespace` and the namespace's labels; a selector that
//! names neither the namespace label nor a namespace-labels key means the
//! policy's own namespace ([`cilium::quotes::DEFAULT_NAMESPACE`],
//! [`cilium::quotes::NAMESPACE_ADDED`]).
//! Other peer kinds (`toServices`, `toNodes`, `toGroups`, `toRequires`) are
//! kept as unsupported: they match nothing here, which can only under-report
//! what is allowed; `enableDefaultDeny` is honoured.
//!
//! Semantics, each quoted in [`crate::platform::cilium::quotes`]:
//! a rule with an egress (ingress) section puts the pods it selects into
//! default deny for that direction ([`cilium::quotes::DEFAULT_DENY`]); an
//! item with no L3 peer allows every destination
//! ([`cilium::quotes::L4_ANY_L3`]); an item with no `toPorts` every port; a
//! port without `protocol` every protocol ([`cilium::quotes::ANY_PROTOCOL`]).

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;
use serde::Serialize;
use serde_json::Value;

use super::policy::{Direction, FieldError, IpBlock, PortMatch, Protocol};
use super::selector::{Labels, Selector};
use crate::objects::value::At;
use crate::platform::cilium;

/// A Cilium entity (`toEntities`, language.rst "Entities Based").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Entity {
    Host,
    RemoteNode,
    KubeApiserver,
    Ingress,
    Cluster,
    Init,
    Health,
    Unmanaged,
    World,
    All,
}

impl Entity {
    pub fn parse(text: &str) -> Option<Entity> {
        Some(match text {
            "host" => Entity::Host,
            "remote-node" => Entity::RemoteNode,
            "kube-apiserver" => Entity::KubeApiserver,
            "ingress" => Entity::Ingress,
            "cluster" => Entity::Cluster,
            "init" => Entity::Init,
            "health" => Entity::Health,
            "unmanaged" => Entity::Unmanaged,
            // world-ipv4 / world-ipv6 narrow world to one family; taken as
            // world (they can only allow less).
            "world" | "world-ipv4" | "world-ipv6" => Entity::World,
            "all" => Entity::All,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Host => "host",
            Entity::RemoteNode => "remote-node",
            Entity::KubeApiserver => "kube-apiserver",
            Entity::Ingress => "ingress",
            Entity::Cluster => "cluster",
            Entity::Init => "init",
            Entity::Health => "health",
            Entity::Unmanaged => "unmanaged",
            Entity::World => "world",
            Entity::All => "all",
        }
    }
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One L3 peer of an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CiliumPeer {
    /// `toEndpoints` entry: the selector with `k8s:` stripped; it is matched
    /// against pod labels plus the namespace label, and `own_namespace`
    /// (the selector does not name a namespace) adds the policy's.
    Endpoints {
        selector: Selector,
        own_namespace: bool,
    },
    Entity(Entity),
    /// `toCIDR` (no except) or `toCIDRSet`.
    Cidr(IpBlock),
    /// `toFQDNs` entry: `matchName` (no `*`) or `matchPattern`.
    Fqdn {
        pattern: String,
        wildcard: bool,
    },
    /// A peer kind this evaluator does not model (`toServices`, ...): it
    /// matches nothing.
    Unsupported(String),
}

/// One `toPorts[].ports[]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CiliumPort {
    /// `None`: `ANY` or absent, every protocol.
    pub protocol: Option<Protocol>,
    pub port: PortMatch,
}

impl fmt::Display for CiliumPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let protocol = self.protocol.map_or("ANY", Protocol::as_str);
        match &self.port {
            PortMatch::Any => write!(f, "{protocol} any port"),
            PortMatch::Range(a, b) if a == b => write!(f, "{protocol} {a}"),
            PortMatch::Range(a, b) => write!(f, "{protocol} {a}-{b}"),
            PortMatch::Named(name) => write!(f, "{protocol} {name:?}"),
        }
    }
}

/// One `toPorts` entry: its ports and, when it has `rules.dns`, the names
/// its DNS filter lets through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortRule {
    /// `spec.egress[0].toPorts[0]`.
    pub path: String,
    /// Empty: every port.
    pub ports: Vec<CiliumPort>,
    /// `rules.dns`: the DNS filter's patterns (`matchName` or
    /// `matchPattern` text).
    pub dns: Option<Vec<String>>,
    /// Some other L7 section (`http`, `kafka`, ...): not a plain L4 allow.
    pub other_l7: bool,
}

/// One `egress` or `ingress` item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// `spec.egress[0]`.
    pub path: String,
    /// Empty: every peer.
    pub peers: Vec<CiliumPeer>,
    /// Empty: every port, no L7 rules.
    pub ports: Vec<PortRule>,
}

/// One rule of a policy: `spec`, or an entry of `specs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CiliumRule {
    /// `spec` or `specs[1]`.
    pub path: String,
    pub selector: Selector,
    pub ingress: Vec<Item>,
    pub egress: Vec<Item>,
    /// Whether the rule has the section, and so puts the pods it selects
    /// into default deny (unless `enableDefaultDeny` says not to).
    pub ingress_deny: bool,
    pub egress_deny: bool,
}

impl CiliumRule {
    pub fn items(&self, direction: Direction) -> &[Item] {
        match direction {
            Direction::Ingress => &self.ingress,
            Direction::Egress => &self.egress,
        }
    }

    pub fn isolates(&self, direction: Direction) -> bool {
        match direction {
            Direction::Ingress => self.ingress_deny,
            Direction::Egress => self.egress_deny,
        }
    }

    /// Whether the rule selects a pod of `namespace` with `labels` (the rule
    /// lives in `policy_namespace`).
    pub fn selects(&self, policy_namespace: &str, namespace: &str, labels: &Labels) -> bool {
        policy_namespace == namespace && self.selector.matches(labels)
    }
}

impl CiliumPeer {
    /// Whether an endpoint selector peer, written in a policy of
    /// `policy_namespace`, matches a pod of `namespace` whose labels as
    /// Cilium sees them (its own, `io.kubernetes.pod.namespace`, its
    /// namespace's under [`cilium::NAMESPACE_LABELS_PREFIX`]) are `labels`.
    /// Other peers match no pod here.
    pub fn matches_pod(&self, policy_namespace: &str, namespace: &str, labels: &Labels) -> bool {
        match self {
            CiliumPeer::Endpoints {
                selector,
                own_namespace,
            } => (!own_namespace || namespace == policy_namespace) && selector.matches(labels),
            _ => false,
        }
    }
}

/// A parsed CiliumNetworkPolicy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CiliumPolicy {
    /// `CiliumNetworkPolicy/namespace/name`.
    pub resource: String,
    pub name: String,
    pub namespace: String,
    pub rules: Vec<CiliumRule>,
}

type Problem = (String, String);

impl CiliumPolicy {
    /// Whether a rule of this policy selecting pods of `namespace` with
    /// `labels` gives them egress to the cluster's resolvers (`dns`, the
    /// cluster profile's: its DNS pods, or the `host` entity where the
    /// resolvers are node-level addresses) on the DNS port over `protocol`,
    /// through the DNS proxy or not (how `control/dns-egress` counts DNS).
    pub fn gives_dns(
        &self,
        namespace: &str,
        labels: &Labels,
        dns: &crate::platform::cluster::DnsFacts,
        protocol: Protocol,
    ) -> bool {
        let pods = dns.pods.as_ref().map(|pods| {
            let mut labels: Labels = pods.labels.iter().cloned().collect();
            labels.insert(
                bare(cilium::NAMESPACE_LABEL).to_string(),
                pods.namespace.clone(),
            );
            labels.insert(
                format!(
                    "{}{}",
                    cilium::NAMESPACE_LABELS_PREFIX,
                    super::NAMESPACE_NAME_LABEL
                ),
                pods.namespace.clone(),
            );
            (pods.namespace.as_str(), labels)
        });
        let port = u16::try_from(dns.port).unwrap_or(cilium::DNS_PORT);
        self.rules
            .iter()
            .filter(|rule| rule.selects(&self.namespace, namespace, labels))
            .flat_map(|rule| &rule.egress)
            .any(|item| {
                let to_dns = item.peers.iter().any(|peer| {
                    pods.as_ref().is_some_and(|(dns_namespace, dns_labels)| {
                        peer.matches_pod(&self.namespace, dns_namespace, dns_labels)
                    }) || (!dns.node_cidrs.is_empty()
                        && matches!(peer, CiliumPeer::Entity(Entity::Host | Entity::All)))
                        || dns.remote_cidrs.iter().any(|cidr| {
                            match (peer, cidr.parse::<ipnet::IpNet>()) {
                                (CiliumPeer::Cidr(block), Ok(net)) => block.contains(net.addr()),
                                _ => false,
                            }
                        })
                });
                let on_port = item.ports.is_empty()
                    || item.ports.iter().any(|rule| {
                        rule.ports.is_empty()
                            || rule
                                .ports
                                .iter()
                                .any(|p| port_admits(p, port, protocol, None))
                    });
                to_dns && on_port
            })
    }
}

/// The bare key of a Cilium selector key (`k8s:app` -> `app`; `any:`, the
/// source a key without prefix has, likewise).
pub fn bare(key: &str) -> &str {
    key.strip_prefix(cilium::K8S_LABEL_PREFIX)
        .or_else(|| key.strip_prefix(cilium::ANY_LABEL_PREFIX))
        .unwrap_or(key)
}

impl CiliumPolicy {
    /// Parses a CiliumNetworkPolicy object.
    pub fn parse(document: &Value) -> Result<CiliumPolicy, FieldError> {
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
        let resource = format!("{}/{namespace}/{name}", cilium::KIND);
        let error = |(path, message): Problem| FieldError {
            resource: resource.clone(),
            path,
            message,
        };
        let mut rules = Vec::new();
        if let Some(spec) = document.get("spec").filter(|v| !v.is_null()) {
            rules.push(parse_rule(spec, "spec".into()).map_err(error)?);
        }
        if let Some(specs) = document.get("specs").and_then(Value::as_array) {
            for (index, spec) in specs.iter().enumerate() {
                rules.push(parse_rule(spec, format!("specs[{index}]")).map_err(error)?);
            }
        }
        Ok(CiliumPolicy {
            resource,
            name,
            namespace,
            rules,
        })
    }
}

/// A Cilium selector as a label selector over bare keys.
fn parse_selector(value: &Value, path: &str) -> Result<Selector, Problem> {
    let mut selector = Selector::parse(value).map_err(|(p, m)| {
        (
            if p.is_empty() {
                path.to_string()
            } else {
                format!("{path}.{p}")
            },
            m,
        )
    })?;
    selector.match_labels = selector
        .match_labels
        .into_iter()
        .map(|(k, v)| (bare(&k).to_string(), v))
        .collect();
    for requirement in &mut selector.expressions {
        requirement.key = bare(&requirement.key).to_string();
    }
    Ok(selector)
}

fn parse_rule(spec: &Value, path: String) -> Result<CiliumRule, Problem> {
    let selector = match spec.get("endpointSelector") {
        Some(value) => parse_selector(value, &format!("{path}.endpointSelector"))?,
        // A nodeSelector rule (host policy) selects no pod: a selector no
        // pod can satisfy.
        None => Selector {
            expressions: vec![super::selector::Requirement {
                key: "harden.dev/no-endpoint-selector".into(),
                operator: super::selector::Operator::Exists,
                values: Vec::new(),
            }],
            ..Selector::default()
        },
    };
    let mut sections = [Vec::new(), Vec::new()];
    let mut present = [false, false];
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
            .ok_or_else(|| (format!("{path}.{field}"), "must be a list".to_string()))?;
        // "If omitted or empty, this rule does not apply at egress" (the
        // Rule type in intro.rst): an empty list is no section.
        present[slot] = !list.is_empty();
        for (index, item) in list.iter().enumerate() {
            sections[slot].push(parse_item(
                item,
                direction,
                format!("{path}.{field}[{index}]"),
            )?);
        }
    }
    let enabled = |field: &str| {
        spec.at(&format!("/enableDefaultDeny/{field}"))
            .and_then(Value::as_bool)
            .unwrap_or(true)
    };
    let [ingress, egress] = sections;
    Ok(CiliumRule {
        path,
        selector,
        ingress,
        egress,
        ingress_deny: present[0] && enabled("ingress"),
        egress_deny: present[1] && enabled("egress"),
    })
}

fn parse_item(item: &Value, direction: Direction, path: String) -> Result<Item, Problem> {
    if !item.is_object() {
        return Err((path, "an item must be a mapping".into()));
    }
    let (endpoints, entities, cidr, cidr_set, others): (&str, &str, &str, &str, &[&str]) =
        match direction {
            Direction::Egress => (
                "toEndpoints",
                "toEntities",
                "toCIDR",
                "toCIDRSet",
                &["toServices", "toNodes", "toGroups", "toRequires"],
            ),
            Direction::Ingress => (
                "fromEndpoints",
                "fromEntities",
                "fromCIDR",
                "fromCIDRSet",
                &["fromNodes", "fromGroups", "fromRequires"],
            ),
        };
    let list = |field: &str| -> Result<&[Value], Problem> {
        match item.get(field).filter(|v| !v.is_null()) {
            None => Ok(&[]),
            Some(Value::Array(values)) => Ok(values),
            Some(_) => Err((format!("{path}.{field}"), "must be a list".into())),
        }
    };
    let mut peers = Vec::new();
    for (index, value) in list(endpoints)?.iter().enumerate() {
        let selector = parse_selector(value, &format!("{path}.{endpoints}[{index}]"))?;
        // getEndpointSelector (cilium.io/utils/utils.go): the policy's
        // namespace is added unless the selector names the namespace label
        // or a namespace-labels key.
        let names_namespace = selector
            .match_labels
            .keys()
            .chain(selector.expressions.iter().map(|r| &r.key))
            .any(|key| {
                key == bare(cilium::NAMESPACE_LABEL)
                    || key.starts_with(cilium::NAMESPACE_LABELS_PREFIX)
            });
        peers.push(CiliumPeer::Endpoints {
            selector,
            own_namespace: !names_namespace,
        });
    }
    for (index, value) in list(entities)?.iter().enumerate() {
        let text = value.as_str().unwrap_or_default();
        let entity = Entity::parse(text).ok_or_else(|| {
            (
                format!("{path}.{entities}[{index}]"),
                format!("{text:?} is not a Cilium entity"),
            )
        })?;
        peers.push(CiliumPeer::Entity(entity));
    }
    for (index, value) in list(cidr)?.iter().enumerate() {
        let at = format!("{path}.{cidr}[{index}]");
        let text = value.as_str().unwrap_or_default();
        peers.push(CiliumPeer::Cidr(IpBlock {
            cidr: parse_net(text, &at)?,
            except: Vec::new(),
        }));
    }
    for (index, value) in list(cidr_set)?.iter().enumerate() {
        let at = format!("{path}.{cidr_set}[{index}]");
        let Some(text) = value.get("cidr").and_then(Value::as_str) else {
            // cidrGroupRef / cidrGroupSelector: not modelled.
            peers.push(CiliumPeer::Unsupported(at));
            continue;
        };
        let mut except = Vec::new();
        for (e, range) in value
            .get("except")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            except.push(parse_net(
                range.as_str().unwrap_or_default(),
                &format!("{at}.except[{e}]"),
            )?);
        }
        peers.push(CiliumPeer::Cidr(IpBlock {
            cidr: parse_net(text, &format!("{at}.cidr"))?,
            except,
        }));
    }
    if direction == Direction::Egress {
        for (index, value) in list("toFQDNs")?.iter().enumerate() {
            let (pattern, wildcard) = match (
                value.get("matchName").and_then(Value::as_str),
                value.get("matchPattern").and_then(Value::as_str),
            ) {
                (Some(name), _) => (name, false),
                (None, Some(pattern)) => (pattern, true),
                (None, None) => {
                    return Err((
                        format!("{path}.toFQDNs[{index}]"),
                        "needs matchName or matchPattern".into(),
                    ));
                }
            };
            peers.push(CiliumPeer::Fqdn {
                pattern: pattern.to_string(),
                wildcard,
            });
        }
    }
    for field in others {
        if item.get(*field).is_some_and(|v| !v.is_null()) {
            peers.push(CiliumPeer::Unsupported(format!("{path}.{field}")));
        }
    }
    let mut ports = Vec::new();
    for (index, value) in list("toPorts")?.iter().enumerate() {
        let at = format!("{path}.toPorts[{index}]");
        let mut list = Vec::new();
        for (p, port) in value
            .get("ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            list.push(parse_port(port, &format!("{at}.ports[{p}]"))?);
        }
        let rules = value.get("rules").filter(|v| !v.is_null());
        // "If omitted or empty, no layer 7 rules are enforced"
        // (cilium::quotes::NO_L7_RULES): an empty `dns` list is a plain allow.
        let dns = rules
            .and_then(|r| r.get("dns"))
            .and_then(Value::as_array)
            .filter(|list| !list.is_empty())
            .map(|list| {
                list.iter()
                    .filter_map(|m| {
                        m.get("matchName")
                            .or_else(|| m.get("matchPattern"))
                            .and_then(Value::as_str)
                            .map(str::to_string)
                    })
                    .collect()
            });
        let other_l7 = rules.and_then(Value::as_object).is_some_and(|r| {
            r.iter().any(|(k, v)| {
                k != "dns" && !v.is_null() && v.as_array().is_none_or(|l| !l.is_empty())
            })
        });
        ports.push(PortRule {
            path: at,
            ports: list,
            dns,
            other_l7,
        });
    }
    Ok(Item { path, peers, ports })
}

fn parse_net(text: &str, path: &str) -> Result<IpNet, Problem> {
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| (path.to_string(), format!("{text:?} is not a CIDR")))
}

fn parse_port(port: &Value, path: &str) -> Result<CiliumPort, Problem> {
    let protocol = match port.get("protocol").and_then(Value::as_str) {
        None | Some("") | Some("ANY") => None,
        Some(text) => Some(Protocol::parse(Some(text)).ok_or_else(|| {
            (
                format!("{path}.protocol"),
                format!("{text:?} is not TCP, UDP, SCTP or ANY"),
            )
        })?),
    };
    let text = match port.get("port") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    let end = port.get("endPort").and_then(Value::as_u64);
    // No port, or 0: every port (l4.go's wildcard is `PortProtocolAny =
    // "0/ANY"`; 0 with one protocol as every port of it is UNVERIFIED).
    let port = if text.is_empty() || text == "0" {
        PortMatch::Any
    } else if let Ok(start) = text.parse::<u16>() {
        let stop = end
            .and_then(|e| u16::try_from(e).ok())
            .filter(|e| *e >= start)
            .unwrap_or(start);
        PortMatch::Range(start, stop)
    } else {
        PortMatch::Named(text)
    };
    Ok(CiliumPort { protocol, port })
}

/// Whether a rule's port entry admits `port`/`protocol` (named ports
/// resolved against the destination's container ports).
pub fn port_admits(
    port: &CiliumPort,
    number: u16,
    protocol: Protocol,
    destination: Option<&super::Pod>,
) -> bool {
    port.protocol.is_none_or(|p| p == protocol)
        && match &port.port {
            PortMatch::Any => true,
            PortMatch::Range(start, end) => (*start..=*end).contains(&number),
            PortMatch::Named(name) => destination.is_some_and(|pod| {
                pod.ports.iter().any(|c| {
                    c.name.as_deref() == Some(name.as_str())
                        && c.protocol == protocol
                        && c.port == number
                })
            }),
        }
}

/// The DNS filter of a pod: the DNS rules (`toPorts` with `rules.dns`) of
/// the CiliumNetworkPolicies selecting it, and the names they let through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DnsFilter {
    /// `CiliumNetworkPolicy/ns/name spec.egress[0].toPorts[0]`, one per rule.
    pub rules: Vec<String>,
    /// The ports the filter is on (`UDP 53`, `TCP 53`).
    pub ports: Vec<String>,
    /// `matchName` / `matchPattern` texts, in the order written.
    pub names: Vec<String>,
}

impl DnsFilter {
    /// Whether the filter lets a lookup of `name` through.
    pub fn allows(&self, name: &str) -> bool {
        self.names
            .iter()
            .any(|pattern| cilium::pattern_matches(pattern, name))
    }
}

/// A plain allow of the DNS port that voids a pod's DNS filter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VoidedFilter {
    /// The pod (or an example pod of the filtering policy's selector).
    pub pod: String,
    pub namespace: String,
    /// The filter it voids: `CiliumNetworkPolicy/... spec.egress[0].toPorts[0]`.
    pub filter: String,
    /// The allow: `NetworkPolicy/ns/name` or `CiliumNetworkPolicy/ns/name`.
    pub resource: String,
    /// Its rule: `spec.egress[1]`.
    pub path: String,
    /// `UDP 53`, `TCP 53`, `any port`.
    pub ports: Vec<String>,
}

#[cfg(test)]
mod tests;
