//! The cluster picture (namespaces, pods, policies) and the evaluator:
//! may traffic go from one endpoint to another on a port, and why.
//!
//! Semantics (kubernetes/website
//! `content/en/docs/concepts/services-networking/network-policies.md`):
//! a pod is isolated for a direction when any policy selecting it has that
//! policy type; an isolated pod accepts only what the union of those
//! policies' rules allows; a connection needs the source's egress AND the
//! destination's ingress to allow it. Traffic within a pod (loopback) is
//! never blocked ("Pods cannot currently block localhost access").
//!
//! ipBlock: the documentation says ipBlock "should be cluster-external IPs,
//! since Pod IPs are ephemeral and unpredictable", and whether an
//! implementation applies ipBlock to pod traffic is not defined. Here an
//! ipBlock matches only endpoints outside the cluster ([`Endpoint::External`]);
//! it never matches a pod. A network plugin that also matches pod IPs
//! against ipBlocks can allow more pod-to-pod traffic than this evaluator
//! reports, which is why the analyses flag wide ipBlocks separately.
//! Likewise traffic from outside the cluster is not subject to any egress
//! policy, and traffic to outside is not subject to any ingress policy.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use serde::Serialize;
use serde_json::Value;

use super::cilium::{self, CiliumPeer, CiliumPolicy, CiliumRule, DnsFilter, Entity, VoidedFilter};
use super::policy::{
    Direction, FieldError, Peer, Policy, PolicyPort, PolicyRule, PortMatch, Protocol,
};
use super::selector::{Labels, labels_of};
use crate::objects::{ContainerKind, PodTemplate};
use crate::platform::cilium as facts;

use crate::objects::value::At;
/// The label the API server sets on every namespace to its name; its value
/// cannot be changed (kubernetes/website
/// `content/en/docs/reference/labels-annotations-taints/_index.md`,
/// "kubernetes.io/metadata.name").
pub use crate::platform::kubernetes::NAMESPACE_NAME_LABEL;

/// A container port a pod exposes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContainerPort {
    pub name: Option<String>,
    pub port: u16,
    pub protocol: Protocol,
}

impl Serialize for Protocol {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A pod, or the pods of a workload (all replicas share labels and ports).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pod {
    /// `Deployment/namespace/name`, or a name given by hand.
    pub id: String,
    pub namespace: String,
    pub labels: Labels,
    pub ports: Vec<ContainerPort>,
    /// `hostNetwork: true`. The documentation leaves NetworkPolicy behaviour
    /// for such pods undefined: a plugin either treats them like other pods
    /// (what this evaluator does) or, most commonly, ignores them and treats
    /// their traffic as the node's ("NetworkPolicy and `hostNetwork` pods" in
    /// network-policies.md); `reach` warns about them.
    pub host_network: bool,
}

/// One end of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// A pod of the picture, by index ([`Cluster::pods`]).
    Pod(usize),
    /// An address outside the cluster.
    External(IpAddr),
}

/// How one end decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "decision", rename_all = "kebab-case")]
pub enum Decision {
    /// No policy selecting the pod has this direction's type.
    NotIsolated,
    /// The end is outside the cluster: no policy applies to it.
    OutsideCluster,
    /// Isolated, and this rule allows the connection.
    AllowedBy { policy: String, rule: String },
    /// Isolated, and this Cilium DNS rule lets the connection through its
    /// DNS proxy, for lookups of these names only.
    Filtered {
        policy: String,
        rule: String,
        names: Vec<String>,
    },
    /// Isolated by these policies, none of which allows the connection.
    Denied { isolated_by: Vec<String> },
}

impl Decision {
    pub fn allows(&self) -> bool {
        !matches!(self, Decision::Denied { .. })
    }
}

/// The outcome of [`Cluster::allowed`] with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub allowed: bool,
    /// Source and destination are the same pod.
    pub loopback: bool,
    /// The source's egress side.
    pub egress: Decision,
    /// The destination's ingress side.
    pub ingress: Decision,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.loopback {
            return f.write_str("allowed: traffic within a pod is never blocked");
        }
        let side = |decision: &Decision, what: &str| match decision {
            Decision::NotIsolated => format!("{what} not isolated"),
            Decision::OutsideCluster => format!("{what} outside the cluster"),
            Decision::AllowedBy { policy, rule } => format!("{what} allowed by {policy} {rule}"),
            Decision::Filtered {
                policy,
                rule,
                names,
            } => format!(
                "{what} allowed by {policy} {rule} through the DNS proxy, for {} only",
                names.join(", ")
            ),
            Decision::Denied { isolated_by } => {
                format!(
                    "{what} isolated by {} and no rule allows it",
                    isolated_by.join(", ")
                )
            }
        };
        let egress = side(&self.egress, "source egress");
        let ingress = side(&self.ingress, "destination ingress");
        if self.allowed {
            write!(f, "allowed: {egress}; {ingress}")
        } else if !self.egress.allows() && !self.ingress.allows() {
            write!(f, "denied: {egress}; {ingress}")
        } else if !self.egress.allows() {
            write!(f, "denied: {egress}")
        } else {
            write!(f, "denied: {ingress}")
        }
    }
}

/// Namespaces, pods and policies, from manifests and added by hand.
#[derive(Debug, Clone, Default)]
pub struct Cluster {
    /// Namespace labels by name, as declared (the name label is added on lookup).
    pub namespaces: BTreeMap<String, Labels>,
    pub pods: Vec<Pod>,
    pub policies: Vec<Policy>,
    /// CiliumNetworkPolicies: enforced together with the NetworkPolicies,
    /// their allows adding up ([`facts::quotes::UNION`]).
    pub cilium: Vec<CiliumPolicy>,
    /// Names of outside addresses ([`Cluster::add_host`]): what `toFQDNs`
    /// matches, as the DNS proxy would have learnt it.
    pub hostnames: Vec<(IpAddr, String)>,
    /// Addresses of the Kubernetes API server (the `kube-apiserver` entity).
    pub api_servers: Vec<IpAddr>,
}

impl Cluster {
    /// Builds the picture from parsed manifests: Namespaces, Pods, workload
    /// templates (every kind [`PodTemplate::of`] reads) and NetworkPolicies. Other kinds are ignored.
    pub fn from_documents<'a>(
        documents: impl IntoIterator<Item = &'a Value>,
    ) -> Result<Cluster, Vec<FieldError>> {
        let (cluster, errors) = Cluster::read(documents);
        if errors.is_empty() {
            Ok(cluster)
        } else {
            Err(errors)
        }
    }

    /// As [`Cluster::from_documents`], but keeps going: a policy that cannot
    /// be read is left out of the picture and its error returned beside it
    /// (for the audit, which reports it and judges the rest).
    pub fn read<'a>(documents: impl IntoIterator<Item = &'a Value>) -> (Cluster, Vec<FieldError>) {
        let mut cluster = Cluster::default();
        let mut errors = Vec::new();
        for document in documents {
            let kind = document
                .get("kind")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let name = document
                .at("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let namespace = document
                .at("/metadata/namespace")
                .and_then(Value::as_str)
                .unwrap_or("default");
            match kind {
                "Namespace" => {
                    cluster.add_namespace(name, labels_of(document.get("metadata")));
                    continue;
                }
                "NetworkPolicy" => {
                    match Policy::parse(document) {
                        Ok(policy) => cluster.policies.push(policy),
                        Err(error) => errors.push(error),
                    }
                    continue;
                }
                facts::KIND => {
                    match CiliumPolicy::parse(document) {
                        Ok(policy) => cluster.cilium.push(policy),
                        Err(error) => errors.push(error),
                    }
                    continue;
                }
                _ => {}
            }
            if let Some(pod) = PodTemplate::of(document) {
                cluster.pods.push(Pod {
                    id: format!("{kind}/{namespace}/{name}"),
                    namespace: namespace.to_string(),
                    labels: pod.labels(),
                    ports: container_ports(&pod),
                    host_network: pod.spec.get("hostNetwork").and_then(Value::as_bool)
                        == Some(true),
                });
            }
        }
        (cluster, errors)
    }

    /// Adds (or relabels) a namespace.
    pub fn add_namespace(&mut self, name: &str, labels: Labels) {
        self.namespaces.insert(name.to_string(), labels);
    }

    /// Adds a pod by hand ("a pod in namespace X with labels Y").
    pub fn add_pod(&mut self, pod: Pod) -> Endpoint {
        self.pods.push(pod);
        Endpoint::Pod(self.pods.len() - 1)
    }

    /// The pod of the picture with this id.
    pub fn endpoint(&self, id: &str) -> Option<Endpoint> {
        self.pods.iter().position(|p| p.id == id).map(Endpoint::Pod)
    }

    /// A namespace's labels as selectors see them: the declared ones plus
    /// `kubernetes.io/metadata.name`, which the API server always sets.
    pub fn namespace_labels(&self, name: &str) -> Labels {
        let mut labels = self.namespaces.get(name).cloned().unwrap_or_default();
        labels.insert(NAMESPACE_NAME_LABEL.to_string(), name.to_string());
        labels
    }

    /// Every namespace the picture knows of: declared, or holding pods or
    /// policies (the test suite's fake cluster answers `get namespace` from it).
    pub fn namespace_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.namespaces.keys().cloned().collect();
        names.extend(self.pods.iter().map(|p| p.namespace.clone()));
        names.extend(self.policies.iter().map(|p| p.namespace.clone()));
        names.sort();
        names.dedup();
        names
    }

    /// Policies that select `pod` and isolate it for `direction`.
    pub fn isolating(&self, pod: &Pod, direction: Direction) -> Vec<&Policy> {
        self.policies
            .iter()
            .filter(|p| p.namespace == pod.namespace && p.has_type(direction))
            .filter(|p| p.pod_selector.matches(&pod.labels))
            .collect()
    }

    /// Whether `peer`, written in a policy of `namespace`, matches `endpoint`.
    pub fn peer_matches(&self, peer: &Peer, namespace: &str, endpoint: Endpoint) -> bool {
        match (peer, endpoint) {
            (Peer::IpBlock(block), Endpoint::External(ip)) => block.contains(ip),
            (Peer::IpBlock(_), Endpoint::Pod(_)) | (Peer::Pods { .. }, Endpoint::External(_)) => {
                false
            }
            (Peer::Pods { namespaces, pods }, Endpoint::Pod(index)) => {
                let pod = &self.pods[index];
                let namespace_ok = match namespaces {
                    None => pod.namespace == namespace,
                    Some(selector) => selector.matches(&self.namespace_labels(&pod.namespace)),
                };
                namespace_ok && pods.as_ref().is_none_or(|s| s.matches(&pod.labels))
            }
        }
    }

    /// Whether a rule's port list admits `port`/`protocol` to `destination`.
    pub fn port_matches(
        ports: &[PolicyPort],
        port: u16,
        protocol: Protocol,
        destination: Option<&Pod>,
    ) -> bool {
        ports.is_empty()
            || ports.iter().any(|p| {
                p.protocol == protocol
                    && match &p.port {
                        PortMatch::Any => true,
                        PortMatch::Range(start, end) => (*start..=*end).contains(&port),
                        PortMatch::Named(name) => destination.is_some_and(|pod| {
                            pod.ports.iter().any(|c| {
                                c.name.as_deref() == Some(name.as_str())
                                    && c.protocol == protocol
                                    && c.port == port
                            })
                        }),
                    }
            })
    }

    fn rule_matches(
        &self,
        rule: &PolicyRule,
        namespace: &str,
        other: Endpoint,
        port: u16,
        protocol: Protocol,
        destination: Option<&Pod>,
    ) -> bool {
        (rule.peers.is_empty()
            || rule
                .peers
                .iter()
                .any(|p| self.peer_matches(p, namespace, other)))
            && Self::port_matches(&rule.ports, port, protocol, destination)
    }

    /// How `subject`'s `direction` side decides about traffic with `other`:
    /// isolated when a NetworkPolicy or a CiliumNetworkPolicy rule isolates
    /// it, allowed when any rule of either kind allows (the union). A plain
    /// allow is preferred over one through a DNS filter, which is reported
    /// with the names it lets through.
    fn decide(
        &self,
        direction: Direction,
        subject: Endpoint,
        other: Endpoint,
        port: u16,
        protocol: Protocol,
        destination: Option<&Pod>,
    ) -> Decision {
        let Endpoint::Pod(index) = subject else {
            return Decision::OutsideCluster;
        };
        let pod = &self.pods[index];
        let policies = self.isolating(pod, direction);
        let rules = self.cilium_isolating(pod, direction);
        if policies.is_empty() && rules.is_empty() {
            return Decision::NotIsolated;
        }
        for policy in &policies {
            for rule in policy.rules(direction) {
                if self.rule_matches(rule, &policy.namespace, other, port, protocol, destination) {
                    return Decision::AllowedBy {
                        policy: policy.resource.clone(),
                        rule: rule.path.clone(),
                    };
                }
            }
        }
        let mut filtered = None;
        for (policy, rule) in self.cilium_selecting(pod) {
            for item in rule.items(direction) {
                if !item
                    .peers
                    .iter()
                    .any(|p| self.cilium_peer_matches(p, &policy.namespace, other))
                    && !item.peers.is_empty()
                {
                    continue;
                }
                if item.ports.is_empty() {
                    return Decision::AllowedBy {
                        policy: policy.resource.clone(),
                        rule: item.path.clone(),
                    };
                }
                for ports in &item.ports {
                    let admits = ports.ports.is_empty()
                        || ports
                            .ports
                            .iter()
                            .any(|p| cilium::port_admits(p, port, protocol, destination));
                    if !admits {
                        continue;
                    }
                    if ports.dns.is_none() {
                        return Decision::AllowedBy {
                            policy: policy.resource.clone(),
                            rule: ports.path.clone(),
                        };
                    }
                    filtered.get_or_insert((policy, ports));
                }
            }
        }
        if let Some((policy, ports)) = filtered {
            return Decision::Filtered {
                policy: policy.resource.clone(),
                rule: ports.path.clone(),
                names: ports.dns.clone().unwrap_or_default(),
            };
        }
        let mut isolated_by: Vec<String> = policies.iter().map(|p| p.resource.clone()).collect();
        for (policy, _) in rules {
            if !isolated_by.contains(&policy.resource) {
                isolated_by.push(policy.resource.clone());
            }
        }
        Decision::Denied { isolated_by }
    }

    /// The CiliumNetworkPolicy rules that select `pod`.
    pub fn cilium_selecting<'a>(
        &'a self,
        pod: &'a Pod,
    ) -> impl Iterator<Item = (&'a CiliumPolicy, &'a CiliumRule)> + 'a {
        self.cilium.iter().flat_map(move |policy| {
            policy
                .rules
                .iter()
                .filter(move |rule| rule.selects(&policy.namespace, &pod.namespace, &pod.labels))
                .map(move |rule| (policy, rule))
        })
    }

    /// The CiliumNetworkPolicy rules that select `pod` and put it into
    /// default deny for `direction`.
    pub fn cilium_isolating<'a>(
        &'a self,
        pod: &'a Pod,
        direction: Direction,
    ) -> Vec<(&'a CiliumPolicy, &'a CiliumRule)> {
        self.cilium_selecting(pod)
            .filter(|(_, rule)| rule.isolates(direction))
            .collect()
    }

    /// The labels a Cilium selector sees on a pod: its own, its namespace
    /// as `io.kubernetes.pod.namespace`, and its namespace's labels under
    /// `io.cilium.k8s.namespace.labels.`.
    fn cilium_labels(&self, pod: &Pod) -> Labels {
        let mut labels = pod.labels.clone();
        labels.insert(
            cilium::bare(facts::NAMESPACE_LABEL).to_string(),
            pod.namespace.clone(),
        );
        for (key, value) in self.namespace_labels(&pod.namespace) {
            labels.insert(format!("{}{key}", facts::NAMESPACE_LABELS_PREFIX), value);
        }
        labels
    }

    /// Whether a Cilium peer, written in a policy of `namespace`, matches
    /// `endpoint`. Pods on the node's network are the `host` (or
    /// `remote-node`) entity, never an endpoint selector's; an address is
    /// `world` unless it is the API server's.
    pub fn cilium_peer_matches(
        &self,
        peer: &CiliumPeer,
        namespace: &str,
        endpoint: Endpoint,
    ) -> bool {
        match (peer, endpoint) {
            (CiliumPeer::Endpoints { .. }, Endpoint::Pod(index)) => {
                let pod = &self.pods[index];
                !pod.host_network
                    && peer.matches_pod(namespace, &pod.namespace, &self.cilium_labels(pod))
            }
            (CiliumPeer::Entity(entity), Endpoint::Pod(index)) => {
                let host = self.pods[index].host_network;
                match entity {
                    Entity::All | Entity::Cluster => true,
                    Entity::Host | Entity::RemoteNode => host,
                    _ => false,
                }
            }
            (CiliumPeer::Entity(entity), Endpoint::External(ip)) => {
                let api = self.api_servers.contains(&ip);
                match entity {
                    Entity::All => true,
                    Entity::KubeApiserver => api,
                    Entity::World => !api,
                    _ => false,
                }
            }
            (CiliumPeer::Cidr(block), Endpoint::External(ip)) => block.contains(ip),
            (CiliumPeer::Fqdn { pattern, .. }, Endpoint::External(ip)) => self
                .hostnames
                .iter()
                .any(|(address, name)| *address == ip && facts::pattern_matches(pattern, name)),
            (CiliumPeer::Endpoints { .. }, Endpoint::External(_))
            | (CiliumPeer::Cidr(_), Endpoint::Pod(_))
            | (CiliumPeer::Fqdn { .. }, Endpoint::Pod(_))
            | (CiliumPeer::Unsupported(_), _) => false,
        }
    }

    /// An address outside the cluster known by `name` (as the DNS proxy
    /// would learn it): a made-up address of 198.18.0.0/15 (RFC 2544,
    /// benchmarking), so only `toFQDNs`, `world` and very wide ranges match it.
    pub fn add_host(&mut self, name: &str) -> Endpoint {
        if let Some((ip, _)) = self.hostnames.iter().find(|(_, n)| n == name) {
            return Endpoint::External(*ip);
        }
        let n = self.hostnames.len() as u32 + 1;
        let ip = IpAddr::V4(std::net::Ipv4Addr::from(0xC612_0000u32 + n));
        self.hostnames.push((ip, name.to_string()));
        Endpoint::External(ip)
    }

    /// Marks `ip` as an address of the Kubernetes API server.
    pub fn add_api_server(&mut self, ip: IpAddr) -> Endpoint {
        if !self.api_servers.contains(&ip) {
            self.api_servers.push(ip);
        }
        Endpoint::External(ip)
    }

    /// The name an outside address is known by, if any.
    pub fn hostname(&self, ip: IpAddr) -> Option<&str> {
        self.hostnames
            .iter()
            .find(|(a, _)| *a == ip)
            .map(|(_, n)| n.as_str())
    }

    /// The DNS filter of `pod`: every `toPorts` with `rules.dns` of the
    /// CiliumNetworkPolicy egress rules selecting it; `None` when it has none.
    pub fn dns_filter(&self, pod: &Pod) -> Option<DnsFilter> {
        let mut filter = DnsFilter {
            rules: Vec::new(),
            ports: Vec::new(),
            names: Vec::new(),
        };
        for (policy, rule) in self.cilium_selecting(pod) {
            for item in &rule.egress {
                for ports in &item.ports {
                    let Some(names) = &ports.dns else { continue };
                    filter
                        .rules
                        .push(format!("{} {}", policy.resource, ports.path));
                    for port in &ports.ports {
                        let text = port.to_string();
                        if !filter.ports.contains(&text) {
                            filter.ports.push(text);
                        }
                    }
                    for name in names {
                        if !filter.names.contains(name) {
                            filter.names.push(name.clone());
                        }
                    }
                }
            }
        }
        (!filter.rules.is_empty()).then_some(filter)
    }

    /// The (port, protocol) pairs that are DNS for `pod`: 53 over UDP and
    /// TCP, and every port its DNS filter is on (a resolver on 5353 is DNS
    /// when a rule filters it).
    fn dns_ports(&self, pod: &Pod) -> Vec<(u16, Protocol)> {
        let dns = facts::DNS_PORT;
        let mut out = vec![(dns, Protocol::Udp), (dns, Protocol::Tcp)];
        for (_, rule) in self.cilium_selecting(pod) {
            for ports in rule.egress.iter().flat_map(|i| &i.ports) {
                if ports.dns.is_none() {
                    continue;
                }
                for port in &ports.ports {
                    if let PortMatch::Range(start, _) = port.port {
                        for protocol in [Protocol::Udp, Protocol::Tcp] {
                            if port.protocol.is_none_or(|p| p == protocol) {
                                out.push((start, protocol));
                            }
                        }
                    }
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// The plain allows (a NetworkPolicy egress rule, or a
    /// CiliumNetworkPolicy egress item or `toPorts` entry without DNS rules)
    /// of a DNS port that select a pod whose DNS is filtered: each voids the
    /// filter ([`facts::quotes::L4_VOIDS_L7`], [`facts::quotes::UNION`]),
    /// whatever peer it names. Judged for the pods of the picture and, for
    /// each filtering rule, an example pod of its selector (so a policy that
    /// selects the filtered pods is found without their workload).
    pub fn voided_dns_filters(&self) -> Vec<VoidedFilter> {
        if self.cilium.is_empty() {
            return Vec::new();
        }
        let mut pods: Vec<Pod> = self.pods.clone();
        for policy in &self.cilium {
            for rule in &policy.rules {
                let filters = rule
                    .egress
                    .iter()
                    .any(|i| i.ports.iter().any(|p| p.dns.is_some()));
                if !filters {
                    continue;
                }
                let Some(labels) = rule.selector.example() else {
                    continue;
                };
                let namespace_key = cilium::bare(facts::NAMESPACE_LABEL);
                if labels.contains_key(namespace_key) {
                    continue;
                }
                let covered = self
                    .pods
                    .iter()
                    .any(|p| rule.selects(&policy.namespace, &p.namespace, &p.labels));
                if !covered {
                    pods.push(Pod {
                        id: format!("pods {} of {}", rule.selector.describe(), policy.resource),
                        namespace: policy.namespace.clone(),
                        labels,
                        ports: Vec::new(),
                        host_network: false,
                    });
                }
            }
        }
        let mut voids = Vec::new();
        for pod in &pods {
            let Some(filter) = self.dns_filter(pod) else {
                continue;
            };
            let dns = self.dns_ports(pod);
            let filter_text = filter.rules.join(", ");
            let mut push = |resource: &str, path: &str, ports: Vec<String>| {
                voids.push(VoidedFilter {
                    pod: pod.id.clone(),
                    namespace: pod.namespace.clone(),
                    filter: filter_text.clone(),
                    resource: resource.to_string(),
                    path: path.to_string(),
                    ports,
                })
            };
            for policy in self.isolating(pod, Direction::Egress) {
                for rule in &policy.egress {
                    let hits: Vec<String> = dns
                        .iter()
                        .filter(|(port, protocol)| {
                            Self::port_matches(&rule.ports, *port, *protocol, None)
                        })
                        .map(|(port, protocol)| format!("{protocol} {port}"))
                        .collect();
                    if !hits.is_empty() {
                        push(&policy.resource, &rule.path, hits);
                    }
                }
            }
            for (policy, rule) in self.cilium_selecting(pod) {
                for item in &rule.egress {
                    if item.ports.is_empty() {
                        push(&policy.resource, &item.path, vec!["any port".into()]);
                        continue;
                    }
                    for ports in item.ports.iter().filter(|p| p.dns.is_none() && !p.other_l7) {
                        let hits: Vec<String> = dns
                            .iter()
                            .filter(|(port, protocol)| {
                                ports.ports.is_empty()
                                    || ports
                                        .ports
                                        .iter()
                                        .any(|p| cilium::port_admits(p, *port, *protocol, None))
                            })
                            .map(|(port, protocol)| format!("{protocol} {port}"))
                            .collect();
                        if !hits.is_empty() {
                            push(&policy.resource, &ports.path, hits);
                        }
                    }
                }
            }
        }
        voids.sort_by(|a, b| (&a.resource, &a.path, &a.pod).cmp(&(&b.resource, &b.path, &b.pod)));
        voids.dedup();
        voids
    }

    /// May `from` open a connection to `to` on `port`/`protocol`?
    /// The same pod at both ends is loopback, always allowed.
    pub fn allowed(&self, from: Endpoint, to: Endpoint, port: u16, protocol: Protocol) -> Verdict {
        if from == to && matches!(from, Endpoint::Pod(_)) {
            return Verdict {
                allowed: true,
                loopback: true,
                egress: Decision::NotIsolated,
                ingress: Decision::NotIsolated,
            };
        }
        self.between_pods(from, to, port, protocol)
    }

    /// As [`Cluster::allowed`], but two endpoints that are the same entry of
    /// the picture are taken as two different pods of it (two replicas of a
    /// workload), so no loopback.
    pub fn between_pods(
        &self,
        from: Endpoint,
        to: Endpoint,
        port: u16,
        protocol: Protocol,
    ) -> Verdict {
        let destination = match to {
            Endpoint::Pod(index) => Some(&self.pods[index]),
            Endpoint::External(_) => None,
        };
        let egress = self.decide(Direction::Egress, from, to, port, protocol, destination);
        let ingress = self.decide(Direction::Ingress, to, from, port, protocol, destination);
        Verdict {
            allowed: egress.allows() && ingress.allows(),
            loopback: false,
            egress,
            ingress,
        }
    }
}

/// Container ports of a pod (containers and init containers: a
/// restartable init container is a sidecar that may serve ports; an
/// ephemeral container may not declare ports).
fn container_ports(pod: &PodTemplate<'_>) -> Vec<ContainerPort> {
    let mut ports = Vec::new();
    for container in pod.containers_of(&[ContainerKind::Init, ContainerKind::Regular]) {
        for port in container
            .value
            .get("ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(number) = port
                .get("containerPort")
                .and_then(Value::as_u64)
                .and_then(|n| u16::try_from(n).ok())
            else {
                continue;
            };
            let Some(protocol) = Protocol::parse(port.get("protocol").and_then(Value::as_str))
            else {
                continue;
            };
            ports.push(ContainerPort {
                name: port.get("name").and_then(Value::as_str).map(str::to_string),
                port: number,
                protocol,
            });
        }
    }
    ports
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Every kind the one pod-template walker knows adds its pods: a
    /// ReplicationController's were missing, and a sidecar's ports count.
    #[test]
    fn every_workload_kind_adds_its_pods() {
        let rc = json!({
            "kind": "ReplicationController",
            "metadata": {"name": "legacy", "namespace": "shop"},
            "spec": {"template": {
                "metadata": {"labels": {"app": "legacy"}},
                "spec": {
                    "initContainers": [{"name": "proxy", "restartPolicy": "Always",
                        "ports": [{"containerPort": 15001}]}],
                    "containers": [{"name": "app", "ports": [{"containerPort": 8080}]}]
                }
            }}
        });
        let cluster = Cluster::from_documents([&rc]).unwrap();
        assert_eq!(cluster.pods.len(), 1);
        let pod = &cluster.pods[0];
        assert_eq!(pod.id, "ReplicationController/shop/legacy");
        assert_eq!(pod.labels["app"], "legacy");
        let ports: Vec<u16> = pod.ports.iter().map(|p| p.port).collect();
        assert_eq!(ports, [15001, 8080]);
    }
}
