//! Security impact of CiliumNetworkPolicies: their allows (`toFQDNs` names
//! per port, the DNS names their proxy rules let pods look up, endpoints,
//! CIDRs and entities) as facts in the words used for NetworkPolicies.

use serde_json::Value;

use super::{Facts, HostGrant, text};
use crate::objects::value::At;

/// A Cilium endpoint selector in the words of [`labels`], without the `k8s:`
/// source prefix and the namespace label.
fn cilium_labels(selector: Option<&Value>) -> String {
    let namespace_key = crate::platform::cilium::NAMESPACE_LABEL;
    match selector
        .and_then(|s| s.get("matchLabels"))
        .and_then(Value::as_object)
    {
        Some(map) if map.keys().any(|k| k != namespace_key) => map
            .iter()
            .filter(|(k, _)| *k != namespace_key)
            .map(|(k, v)| {
                let key = k
                    .strip_prefix(crate::platform::cilium::K8S_LABEL_PREFIX)
                    .unwrap_or(k);
                format!("{key}={}", v.as_str().unwrap_or_default())
            })
            .collect::<Vec<_>>()
            .join(","),
        _ => "*".to_string(),
    }
}

fn cilium_endpoints(selector: &Value, namespace: &str) -> String {
    let namespace = selector
        .get("matchLabels")
        .and_then(Value::as_object)
        .and_then(|m| {
            m.get(crate::platform::cilium::NAMESPACE_LABEL)
                .or_else(|| m.get("io.kubernetes.pod.namespace"))
        })
        .and_then(Value::as_str)
        .unwrap_or(namespace);
    format!(
        "pods {} in namespace {namespace}",
        cilium_labels(Some(selector))
    )
}

/// The ports of a Cilium rule item (`toPorts[].ports[]`), as `PROTO/port`.
fn cilium_ports(item: &Value) -> Vec<String> {
    let ports: Vec<String> = item
        .get("toPorts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|p| {
            p.get("ports")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
        .map(|p| {
            let protocol = text(p, "/protocol").unwrap_or_else(|| "ANY".into());
            let port = text(p, "/port").unwrap_or_else(|| "*".into());
            format!("{protocol}/{port}")
        })
        .collect();
    if ports.is_empty() {
        vec!["all ports".to_string()]
    } else {
        ports
    }
}

impl Facts {
    /// A CiliumNetworkPolicy's allows: `toFQDNs` names per port, DNS names
    /// its DNS-proxy rules let the pods look up, and the other peers
    /// (endpoints, CIDRs, entities) in the words used for NetworkPolicies.
    pub(super) fn cilium_policy(&mut self, document: &Value, namespace: &str) {
        let name = text(document, "/metadata/name").unwrap_or_default();
        let mut rules: Vec<&Value> = document.get("spec").into_iter().collect();
        rules.extend(
            document
                .get("specs")
                .and_then(Value::as_array)
                .into_iter()
                .flatten(),
        );
        for rule in rules {
            let pods = format!(
                "pods {} in {namespace}",
                cilium_labels(rule.get("endpointSelector"))
            );
            for (key, peer_keys, verb) in [
                (
                    "egress",
                    ["toEndpoints", "toCIDR", "toCIDRSet", "toEntities"],
                    "may reach",
                ),
                (
                    "ingress",
                    ["fromEndpoints", "fromCIDR", "fromCIDRSet", "fromEntities"],
                    "may be reached by",
                ),
            ] {
                for item in rule
                    .get(key)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let ports = cilium_ports(item);
                    let fqdns: Vec<(String, bool)> = item
                        .get("toFQDNs")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(
                            |m| match (text(m, "/matchName"), text(m, "/matchPattern")) {
                                (Some(n), _) => Some((n, false)),
                                (None, Some(p)) => Some((p, true)),
                                _ => None,
                            },
                        )
                        .collect();
                    for (host, wildcard) in &fqdns {
                        for port in &ports {
                            self.hosts.insert(HostGrant {
                                pods: pods.clone(),
                                name: host.clone(),
                                wildcard: *wildcard,
                                port: port.clone(),
                                policy: name.clone(),
                            });
                        }
                    }
                    let mut peers = Vec::new();
                    for peer_key in peer_keys {
                        for peer in item
                            .get(peer_key)
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                        {
                            peers.push(match (peer_key, peer) {
                                (_, Value::String(s)) if peer_key.ends_with("Entities") => {
                                    format!("entity {s}")
                                }
                                (_, Value::String(s)) => format!("cidr {s}"),
                                _ if peer_key.ends_with("Endpoints") => {
                                    cilium_endpoints(peer, namespace)
                                }
                                _ => format!("cidr {}", text(peer, "/cidr").unwrap_or_default()),
                            });
                        }
                    }
                    if peers.is_empty() && fqdns.is_empty() {
                        peers.push("anything".into());
                    }
                    for peer in &peers {
                        for port in &ports {
                            self.grant(
                                key,
                                format!("{pods} {verb} {peer} on {port} (policy {name})"),
                            );
                        }
                    }
                    for dns in item
                        .get("toPorts")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .flat_map(|p| {
                            p.at("/rules/dns")
                                .and_then(Value::as_array)
                                .into_iter()
                                .flatten()
                        })
                    {
                        let looked_up = text(dns, "/matchName")
                            .or_else(|| text(dns, "/matchPattern"))
                            .unwrap_or_default();
                        self.grant(
                            "dns",
                            format!("{pods} may look up {looked_up} (policy {name})"),
                        );
                    }
                }
            }
        }
    }
}
