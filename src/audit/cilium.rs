//! CiliumNetworkPolicies in the audit: which pods one selects and whether it
//! gives them DNS, so a workload whose DNS egress is a Cilium DNS-proxy rule
//! (as harden renders for egress by hostname) is not reported as cut off
//! from DNS. Every other rule of the audit reads NetworkPolicies only.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::platform::{cilium, kubernetes};

/// A Cilium selector key without its source prefix (`k8s:app` -> `app`).
fn bare(key: &str) -> &str {
    key.strip_prefix(cilium::K8S_LABEL_PREFIX).unwrap_or(key)
}

/// The rules of a CiliumNetworkPolicy: `spec` and every item of `specs`.
fn rules(document: &Value) -> Vec<&Value> {
    let mut rules: Vec<&Value> = document.get("spec").into_iter().collect();
    rules.extend(
        document
            .get("specs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten(),
    );
    rules
}

/// Whether a rule's `endpointSelector` selects pods with `labels`
/// (matchExpressions are assumed to match, as for NetworkPolicies).
fn selects(rule: &Value, labels: &BTreeMap<String, String>) -> bool {
    let Some(selector) = rule.get("endpointSelector") else {
        return false;
    };
    selector
        .get("matchLabels")
        .and_then(Value::as_object)
        .is_none_or(|wanted| {
            wanted
                .iter()
                .all(|(k, v)| labels.get(bare(k)).map(String::as_str) == v.as_str())
        })
}

/// Whether a CiliumNetworkPolicy gives pods with `labels` DNS egress to the
/// cluster's resolvers (`dns`: the DNS pods' namespace, or the `host`
/// entity where node-level resolvers are expected) on the DNS port over
/// `protocol`.
pub fn allows_dns(
    policy: &Value,
    labels: &BTreeMap<String, String>,
    protocol: &str,
    dns: &kubernetes::DnsFacts,
) -> bool {
    let dns_namespace = dns.pods.as_ref().map(|p| p.namespace.as_str());
    rules(policy)
        .into_iter()
        .filter(|rule| selects(rule, labels))
        .flat_map(|rule| {
            rule.get("egress")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
        .any(|item| {
            let to_dns = item
                .get("toEndpoints")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .any(|peer| {
                    let labels = peer.get("matchLabels").and_then(Value::as_object);
                    let label = |key: &str| {
                        labels.and_then(|l| {
                            l.iter()
                                .find(|(k, _)| bare(k) == key)
                                .and_then(|(_, v)| v.as_str())
                        })
                    };
                    dns_namespace.is_some() && label(bare(cilium::NAMESPACE_LABEL)) == dns_namespace
                })
                || (!dns.cidrs.is_empty()
                    && item
                        .get("toEntities")
                        .and_then(Value::as_array)
                        .is_some_and(|e| e.iter().any(|e| e.as_str() == Some("host"))));
            let port_53 = item
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
                .any(|p| {
                    let port = p.get("port").and_then(Value::as_str);
                    let proto = p.get("protocol").and_then(Value::as_str).unwrap_or("ANY");
                    port == Some(&dns.port.to_string()) && (proto == protocol || proto == "ANY")
                });
            to_dns && port_53
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dns_proxy_rule_counts_as_dns_egress() {
        let policy: Value = serde_json::json!({
            "kind": "CiliumNetworkPolicy",
            "spec": {
                "endpointSelector": {"matchLabels": {"k8s:app.kubernetes.io/name": "shop"}},
                "egress": [{
                    "toEndpoints": [{"matchLabels": {
                        "k8s:io.kubernetes.pod.namespace": "kube-system",
                        "k8s:k8s-app": "kube-dns"}}],
                    "toPorts": [{"ports": [{"port": "53", "protocol": "UDP"}],
                                 "rules": {"dns": [{"matchName": "api.stripe.com"}]}}]
                }]
            }
        });
        let shop = BTreeMap::from([("app.kubernetes.io/name".to_string(), "shop".to_string())]);
        let other = BTreeMap::from([("app.kubernetes.io/name".to_string(), "x".to_string())]);
        let dns = kubernetes::DnsFacts::default();
        assert!(allows_dns(&policy, &shop, "UDP", &dns));
        assert!(!allows_dns(&policy, &shop, "TCP", &dns));
        assert!(!allows_dns(&policy, &other, "UDP", &dns));
    }
}
