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

use super::policy::{Direction, FieldError, Peer, Policy, PolicyPort, PortMatch, Protocol, Rule};
use super::selector::{Labels, labels_of};

/// The label the API server sets on every namespace to its name; its value
/// cannot be changed (kubernetes/website
/// `content/en/docs/reference/labels-annotations-taints/_index.md`,
/// "kubernetes.io/metadata.name").
pub use crate::platform::kubernetes::NAMESPACE_NAME_LABEL;

/// Kinds whose pod template is at `spec.template`.
const TEMPLATE_KINDS: [&str; 5] = [
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
];

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
}

impl Cluster {
    /// Builds the picture from parsed manifests: Namespaces, Pods, workload
    /// templates (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job,
    /// CronJob) and NetworkPolicies. Other kinds are ignored.
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
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let namespace = document
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .unwrap_or("default");
            let template = match kind {
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
                "Pod" => Some(document),
                "CronJob" => document.pointer("/spec/jobTemplate/spec/template"),
                kind if TEMPLATE_KINDS.contains(&kind) => document.pointer("/spec/template"),
                _ => None,
            };
            if let Some(template) = template {
                cluster.pods.push(Pod {
                    id: format!("{kind}/{namespace}/{name}"),
                    namespace: namespace.to_string(),
                    labels: labels_of(template.get("metadata")),
                    ports: container_ports(template.get("spec")),
                    host_network: template
                        .pointer("/spec/hostNetwork")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
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

    /// Every namespace the picture knows of: declared, or holding pods or policies.
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
        rule: &Rule,
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

    /// How `subject`'s `direction` side decides about traffic with `other`.
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
        let policies = self.isolating(&self.pods[index], direction);
        if policies.is_empty() {
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
        Decision::Denied {
            isolated_by: policies.iter().map(|p| p.resource.clone()).collect(),
        }
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

/// Container ports (containers and init containers: a restartable init
/// container is a sidecar that may serve ports) of a pod spec.
fn container_ports(spec: Option<&Value>) -> Vec<ContainerPort> {
    let mut ports = Vec::new();
    let Some(spec) = spec else { return ports };
    for list in ["containers", "initContainers"] {
        for container in spec
            .get(list)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            for port in container
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
    }
    ports
}
