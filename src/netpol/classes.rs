//! Classes of pods the policies cannot tell apart, and a pair evaluator on
//! them: what lets `harden reach` answer for an estate of a thousand
//! services in well under a second instead of evaluating every pair of
//! workloads policy by policy.
//!
//! Two pods are in one class when they share a namespace, `hostNetwork`
//! and container ports, and give the same answer to every selector in play
//! (each NetworkPolicy's podSelector and peer podSelector, each
//! CiliumNetworkPolicy rule's selector and endpoint peer). The namespace
//! fixes the answers of namespace selectors. The evaluator
//! ([`Cluster::between_pods`]) then decides the same for every member of a
//! class, on either end, so one member stands for all: this is how the
//! analyzers work too (np-guard's network-config-analyzer computes on
//! "peer sets" of equivalent pods).
//!
//! For NetworkPolicies alone the pair verdict is computed here from
//! precomputed tables (the isolating rules of each class, the classes each
//! peer matches), with exactly the semantics of [`Cluster::between_pods`];
//! with CiliumNetworkPolicies in the picture it is asked of the cluster, on
//! one member of each class.

use std::collections::HashMap;

use super::cluster::{Cluster, Decision, Endpoint, Pod, Verdict};
use super::policy::{Direction, Peer, Protocol};

/// The classes of a cluster's pods and the tables to judge pairs of them.
pub struct Classes<'a> {
    cluster: &'a Cluster,
    /// The class of each pod.
    pub of: Vec<usize>,
    /// The pods of each class, in the order of the picture.
    pub members: Vec<Vec<usize>>,
    /// Per class, per direction (ingress, egress): whether a NetworkPolicy
    /// or a CiliumNetworkPolicy isolates it.
    isolated: Vec<[bool; 2]>,
    /// Per class, per direction: the NetworkPolicies that isolate it.
    policies: Vec<[Vec<usize>; 2]>,
    /// The classes each distinct peer matches, by [`peer_key`].
    peer_sets: Vec<Vec<bool>>,
    peer_index: HashMap<String, usize>,
    /// Per policy, per direction, per rule: the peer sets of its peers.
    rule_peers: Vec<[Vec<Vec<usize>>; 2]>,
}

fn slot(direction: Direction) -> usize {
    match direction {
        Direction::Ingress => 0,
        Direction::Egress => 1,
    }
}

/// The key of a peer written in a policy of `namespace`: equal peers of the
/// same namespace match the same pods.
fn peer_key(namespace: &str, peer: &Peer) -> String {
    format!("{namespace}\0{peer:?}")
}

impl<'a> Classes<'a> {
    /// Sorts the pods of `cluster` into classes.
    pub fn of(cluster: &'a Cluster) -> Classes<'a> {
        // Every distinct pod selector in play, matched once per pod.
        let mut selectors: Vec<&super::selector::Selector> = Vec::new();
        let mut seen: HashMap<String, ()> = HashMap::new();
        let mut add = |selector: &'a super::selector::Selector| {
            if seen.insert(format!("{selector:?}"), ()).is_none() {
                selectors.push(selector);
            }
        };
        for policy in &cluster.policies {
            add(&policy.pod_selector);
            for rule in policy.ingress.iter().chain(&policy.egress) {
                for peer in &rule.peers {
                    if let Peer::Pods {
                        pods: Some(pods), ..
                    } = peer
                    {
                        add(pods);
                    }
                }
            }
        }
        let mut keys: HashMap<String, usize> = HashMap::new();
        let mut of = Vec::with_capacity(cluster.pods.len());
        let mut members: Vec<Vec<usize>> = Vec::new();
        for (index, pod) in cluster.pods.iter().enumerate() {
            let mut key = format!("{}\0{}\0{:?}\0", pod.namespace, pod.host_network, pod.ports);
            for (number, selector) in selectors.iter().enumerate() {
                if selector.matches(&pod.labels) {
                    key.push_str(&number.to_string());
                    key.push(',');
                }
            }
            key.push('\0');
            for policy in &cluster.cilium {
                for rule in &policy.rules {
                    key.push(
                        if rule.selects(&policy.namespace, &pod.namespace, &pod.labels) {
                            '1'
                        } else {
                            '0'
                        },
                    );
                    for item in rule.ingress.iter().chain(&rule.egress) {
                        for peer in &item.peers {
                            let hit = cluster.cilium_peer_matches(
                                peer,
                                &policy.namespace,
                                Endpoint::Pod(index),
                            );
                            key.push(if hit { '1' } else { '0' });
                        }
                    }
                }
            }
            let class = *keys.entry(key).or_insert_with(|| {
                members.push(Vec::new());
                members.len() - 1
            });
            members[class].push(index);
            of.push(class);
        }
        let mut classes = Classes {
            cluster,
            of,
            isolated: Vec::with_capacity(members.len()),
            policies: Vec::with_capacity(members.len()),
            members,
            peer_sets: Vec::new(),
            peer_index: HashMap::new(),
            rule_peers: Vec::with_capacity(cluster.policies.len()),
        };
        // Index the policies by namespace: a class is only ever isolated
        // by the policies of its own.
        let mut by_namespace: HashMap<&str, Vec<usize>> = HashMap::new();
        for (index, policy) in cluster.policies.iter().enumerate() {
            by_namespace
                .entry(policy.namespace.as_str())
                .or_default()
                .push(index);
        }
        for class in 0..classes.members.len() {
            let pod = classes.pod(class);
            let mut isolated = [false; 2];
            let mut policies: [Vec<usize>; 2] = [Vec::new(), Vec::new()];
            for direction in [Direction::Ingress, Direction::Egress] {
                for &index in by_namespace
                    .get(pod.namespace.as_str())
                    .into_iter()
                    .flatten()
                {
                    let policy = &cluster.policies[index];
                    if policy.has_type(direction) && policy.pod_selector.matches(&pod.labels) {
                        policies[slot(direction)].push(index);
                    }
                }
                isolated[slot(direction)] = !policies[slot(direction)].is_empty()
                    || !cluster.cilium_isolating(pod, direction).is_empty();
            }
            classes.isolated.push(isolated);
            classes.policies.push(policies);
        }
        for policy in &cluster.policies {
            let mut sides: [Vec<Vec<usize>>; 2] = [Vec::new(), Vec::new()];
            for direction in [Direction::Ingress, Direction::Egress] {
                for rule in policy.rules(direction) {
                    let sets = rule
                        .peers
                        .iter()
                        .map(|peer| classes.peer_set(&policy.namespace, peer))
                        .collect();
                    sides[slot(direction)].push(sets);
                }
            }
            classes.rule_peers.push(sides);
        }
        classes
    }

    /// The index of the set of classes `peer` (of a policy in `namespace`)
    /// matches, computed on first use.
    fn peer_set(&mut self, namespace: &str, peer: &Peer) -> usize {
        let key = peer_key(namespace, peer);
        if let Some(&index) = self.peer_index.get(&key) {
            return index;
        }
        let set = self
            .members
            .iter()
            .map(|pods| {
                self.cluster
                    .peer_matches(peer, namespace, Endpoint::Pod(pods[0]))
            })
            .collect();
        self.peer_sets.push(set);
        self.peer_index.insert(key, self.peer_sets.len() - 1);
        self.peer_sets.len() - 1
    }

    /// The classes a peer of a policy in `namespace` matches, when the
    /// peer is one of the picture's policies'.
    pub fn peer_classes(&self, namespace: &str, peer: &Peer) -> Option<&[bool]> {
        self.peer_index
            .get(&peer_key(namespace, peer))
            .map(|&index| self.peer_sets[index].as_slice())
    }

    /// Number of classes.
    pub fn count(&self) -> usize {
        self.members.len()
    }

    /// The pod that stands for `class`.
    pub fn pod(&self, class: usize) -> &'a Pod {
        &self.cluster.pods[self.members[class][0]]
    }

    /// Whether `class` is isolated for `direction`.
    pub fn isolated(&self, class: usize, direction: Direction) -> bool {
        self.isolated[class][slot(direction)]
    }

    /// The NetworkPolicies (indices in [`Cluster::policies`]) that isolate
    /// `class` for `direction`.
    pub fn isolating(&self, class: usize, direction: Direction) -> &[usize] {
        &self.policies[class][slot(direction)]
    }

    /// Whether `class`'s `direction` side allows traffic with `other` on
    /// `port` to `destination` (NetworkPolicies only).
    fn side_allows(
        &self,
        class: usize,
        direction: Direction,
        other: usize,
        port: u16,
        protocol: Protocol,
        destination: &Pod,
    ) -> bool {
        let policies = &self.policies[class][slot(direction)];
        policies.is_empty()
            || policies.iter().any(|&index| {
                let rules = self.cluster.policies[index].rules(direction);
                let peers = &self.rule_peers[index][slot(direction)];
                rules.iter().zip(peers).any(|(rule, sets)| {
                    (rule.peers.is_empty() || sets.iter().any(|&set| self.peer_sets[set][other]))
                        && Cluster::port_matches(&rule.ports, port, protocol, Some(destination))
                })
            })
    }

    /// The decision of [`Cluster::between_pods`] for one side, from the
    /// tables (NetworkPolicies only).
    fn side_decision(
        &self,
        class: usize,
        direction: Direction,
        other: usize,
        port: u16,
        protocol: Protocol,
        destination: &Pod,
    ) -> Decision {
        let policies = &self.policies[class][slot(direction)];
        if policies.is_empty() {
            return Decision::NotIsolated;
        }
        for &index in policies {
            let policy = &self.cluster.policies[index];
            let peers = &self.rule_peers[index][slot(direction)];
            for (rule, sets) in policy.rules(direction).iter().zip(peers) {
                if (rule.peers.is_empty() || sets.iter().any(|&set| self.peer_sets[set][other]))
                    && Cluster::port_matches(&rule.ports, port, protocol, Some(destination))
                {
                    return Decision::AllowedBy {
                        policy: policy.resource.clone(),
                        rule: rule.path.clone(),
                    };
                }
            }
        }
        Decision::Denied {
            isolated_by: policies
                .iter()
                .map(|&index| self.cluster.policies[index].resource.clone())
                .collect(),
        }
    }

    /// Whether a pod of class `from` may open a connection to another pod
    /// of class `to`: [`Cluster::between_pods`]`(..).allowed` on members.
    pub fn allows(&self, from: usize, to: usize, port: u16, protocol: Protocol) -> bool {
        if !self.cluster.cilium.is_empty() {
            return self.verdict(from, to, port, protocol).allowed;
        }
        let destination = self.pod(to);
        self.side_allows(from, Direction::Egress, to, port, protocol, destination)
            && self.side_allows(to, Direction::Ingress, from, port, protocol, destination)
    }

    /// [`Cluster::between_pods`] on a member of `from` and one of `to`.
    pub fn verdict(&self, from: usize, to: usize, port: u16, protocol: Protocol) -> Verdict {
        if !self.cluster.cilium.is_empty() {
            return self.cluster.between_pods(
                Endpoint::Pod(self.members[from][0]),
                Endpoint::Pod(self.members[to][0]),
                port,
                protocol,
            );
        }
        let destination = self.pod(to);
        let egress = self.side_decision(from, Direction::Egress, to, port, protocol, destination);
        let ingress = self.side_decision(to, Direction::Ingress, from, port, protocol, destination);
        Verdict {
            allowed: egress.allows() && ingress.allows(),
            loopback: false,
            egress,
            ingress,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A picture with NetworkPolicies, named ports and selectors of every
    /// kind: the class verdicts must be the evaluator's, pair by pair.
    #[test]
    fn class_verdicts_are_the_evaluators() {
        let documents = [
            json!({"kind": "Namespace", "metadata": {"name": "b", "labels": {"team": "x"}}}),
            json!({"kind": "NetworkPolicy", "metadata": {"name": "deny", "namespace": "a"},
                   "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}),
            json!({"kind": "NetworkPolicy", "metadata": {"name": "web", "namespace": "a"},
                   "spec": {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Egress"],
                            "egress": [{"to": [{"namespaceSelector": {"matchLabels": {"team": "x"}}}],
                                        "ports": [{"port": "http"}]},
                                       {"to": [{"podSelector": {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["db"]}]}}]}]}}),
            json!({"kind": "NetworkPolicy", "metadata": {"name": "db", "namespace": "a"},
                   "spec": {"podSelector": {"matchLabels": {"tier": "db"}}, "policyTypes": ["Ingress"],
                            "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}],
                                         "ports": [{"port": 5432, "endPort": 5440}]}]}}),
            json!({"kind": "Deployment", "metadata": {"name": "web", "namespace": "a"},
                   "spec": {"template": {"metadata": {"labels": {"app": "web", "v": "1"}},
                            "spec": {"containers": [{"name": "c", "ports": [{"name": "http", "containerPort": 80}]}]}}}}),
            json!({"kind": "Deployment", "metadata": {"name": "web2", "namespace": "a"},
                   "spec": {"template": {"metadata": {"labels": {"app": "web", "v": "2"}},
                            "spec": {"containers": [{"name": "c", "ports": [{"name": "http", "containerPort": 80}]}]}}}}),
            json!({"kind": "Deployment", "metadata": {"name": "db", "namespace": "a"},
                   "spec": {"template": {"metadata": {"labels": {"tier": "db"}},
                            "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 5432}]}]}}}}),
            json!({"kind": "Deployment", "metadata": {"name": "api", "namespace": "b"},
                   "spec": {"template": {"metadata": {"labels": {"app": "api"}},
                            "spec": {"containers": [{"name": "c", "ports": [{"name": "http", "containerPort": 8080}]}]}}}}),
            json!({"kind": "Deployment", "metadata": {"name": "api2", "namespace": "b"},
                   "spec": {"template": {"metadata": {"labels": {"app": "api2"}},
                            "spec": {"containers": [{"name": "c", "ports": [{"name": "http", "containerPort": 8080}]}]}}}}),
        ];
        let cluster = Cluster::from_documents(&documents).unwrap();
        let classes = Classes::of(&cluster);
        // web and web2 differ only in a label no selector reads; api and
        // api2 likewise.
        assert_eq!(classes.count(), 3, "{:?}", classes.members);
        for from in 0..cluster.pods.len() {
            for to in 0..cluster.pods.len() {
                for port in [80, 5432, 5439, 5441, 8080] {
                    for protocol in [Protocol::Tcp, Protocol::Udp] {
                        let expected = cluster.between_pods(
                            Endpoint::Pod(from),
                            Endpoint::Pod(to),
                            port,
                            protocol,
                        );
                        let (a, b) = (classes.of[from], classes.of[to]);
                        assert_eq!(classes.verdict(a, b, port, protocol), expected);
                        assert_eq!(classes.allows(a, b, port, protocol), expected.allowed);
                    }
                }
            }
        }
    }
}
