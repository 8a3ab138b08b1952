//! Network-policy checks for the audit: structured issues, each with a
//! stable rule id, a severity, the resource and the field path
//! (`spec.egress[0].to[0]`) so the caller can point at the line, and a fix.
//!
//! Pure functions over a [`Cluster`]; the audit registers them as rules.

use serde::Serialize;

use super::cluster::Cluster;
use super::policy::{Direction, Peer, Policy};

/// A rule with no peers and no ports: every source, every port.
pub const ALLOW_ALL_INGRESS: &str = "netpol/allow-all-ingress";
/// A rule with no peers and no ports: every destination, every port.
pub const ALLOW_ALL_EGRESS: &str = "netpol/allow-all-egress";
/// `namespaceSelector: {}` without a narrowing podSelector: every pod in
/// every namespace.
pub const PEER_ALL_NAMESPACES: &str = "netpol/peer-all-namespaces";
/// `podSelector: {}` alone: every pod in the policy's namespace.
pub const PEER_ALL_PODS: &str = "netpol/peer-all-pods";
/// An ipBlock of `/0`: every address of the family.
pub const IPBLOCK_ANY: &str = "netpol/ipblock-any";
/// An ipBlock wider than /8 (IPv4) or /32 (IPv6).
pub const IPBLOCK_WIDE: &str = "netpol/ipblock-wide";
/// A namespace with pods but no default deny for ingress.
pub const NO_DEFAULT_DENY_INGRESS: &str = "netpol/no-default-deny-ingress";
/// A namespace with pods but no default deny for egress.
pub const NO_DEFAULT_DENY_EGRESS: &str = "netpol/no-default-deny-egress";
/// A policy whose podSelector selects no pod in the manifests.
pub const SELECTS_NOTHING: &str = "netpol/selects-nothing";

/// A pod whose DNS a CiliumNetworkPolicy filters (`toPorts` with
/// `rules.dns`) is also selected by a plain allow of the DNS port, which
/// voids the filter.
pub const DNS_FILTER_VOIDED: &str = "netpol/dns-filter-voided";

/// Prefix lengths below which an ipBlock counts as very wide (and a spec's
/// `cidr` is refused by validation, so that what validates renders).
pub const WIDE_IPV4_PREFIX: u8 = 8;
pub const WIDE_IPV6_PREFIX: u8 = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    pub rule: &'static str,
    pub severity: Severity,
    /// `NetworkPolicy/namespace/name`, or `Namespace/name`.
    pub resource: String,
    /// Field path in the resource (`spec.ingress[0]`); empty for a namespace.
    pub path: String,
    pub message: String,
    pub fix: &'static str,
}

/// Every check, in a stable order.
pub fn analyse(cluster: &Cluster) -> Vec<Issue> {
    let mut issues = Vec::new();
    for policy in &cluster.policies {
        issues.extend(allow_all_rules(policy));
        issues.extend(wide_peers(policy));
    }
    issues.extend(missing_default_deny(cluster));
    issues.extend(selects_nothing(cluster));
    issues.extend(dns_filter_voided(cluster));
    issues
}

/// The fix of [`DNS_FILTER_VOIDED`].
pub const DNS_FILTER_VOIDED_FIX: &str = "remove port 53 from this rule (give a rule without ports the ports it needs), or narrow its pod selector so it does not select the DNS-filtered pods: their DNS egress belongs in the CiliumNetworkPolicy DNS rule alone (add the names they need to its rules.dns)";

/// Plain allows of the DNS port for pods whose DNS a CiliumNetworkPolicy
/// filters ([`Cluster::voided_dns_filters`]): Cilium adds the allows of every
/// rule up and a plain L4 allow voids the L7 rules of the same port, so the
/// filter no longer limits which names the pods may look up.
pub fn dns_filter_voided(cluster: &Cluster) -> Vec<Issue> {
    cluster
        .voided_dns_filters()
        .into_iter()
        .map(|void| Issue {
            rule: DNS_FILTER_VOIDED,
            severity: Severity::High,
            message: format!(
                "{} allows {} for {} (namespace {}), whose DNS is filtered by {}: Cilium adds the allows up, and a plain allow of the port voids the DNS filter (or, to another resolver, bypasses it), so these pods may look up any name",
                void.path,
                void.ports.join(", "),
                void.pod,
                void.namespace,
                void.filter
            ),
            resource: void.resource,
            path: void.path,
            fix: DNS_FILTER_VOIDED_FIX,
        })
        .collect()
}

/// Rules with no peers and no ports (`- {}`), in a direction the policy
/// enforces.
pub fn allow_all_rules(policy: &Policy) -> Vec<Issue> {
    let mut issues = Vec::new();
    for direction in [Direction::Ingress, Direction::Egress] {
        if !policy.has_type(direction) {
            continue;
        }
        for rule in policy.rules(direction) {
            if rule.peers.is_empty() && rule.ports.is_empty() {
                let (rule_id, what, fix) = match direction {
                    Direction::Ingress => (
                        ALLOW_ALL_INGRESS,
                        "allows ingress from every source on every port",
                        "list the callers in `from` (podSelector/namespaceSelector) and the ports they use",
                    ),
                    Direction::Egress => (
                        ALLOW_ALL_EGRESS,
                        "allows egress to every destination on every port, including the internet",
                        "list the destinations in `to` and their ports; allow DNS to kube-dns explicitly",
                    ),
                };
                issues.push(Issue {
                    rule: rule_id,
                    severity: Severity::High,
                    resource: policy.resource.clone(),
                    path: rule.path.clone(),
                    message: format!("{} {}", rule.path, what),
                    fix,
                });
            }
        }
    }
    issues
}

/// Peers that match every pod or namespace, and /0 or very wide ipBlocks.
pub fn wide_peers(policy: &Policy) -> Vec<Issue> {
    let mut issues = Vec::new();
    for direction in [Direction::Ingress, Direction::Egress] {
        if !policy.has_type(direction) {
            continue;
        }
        for rule in policy.rules(direction) {
            for (index, peer) in rule.peers.iter().enumerate() {
                let path = format!("{}.{}[{index}]", rule.path, direction.peers_field());
                let issue = |rule_id, severity, message: String, fix| Issue {
                    rule: rule_id,
                    severity,
                    resource: policy.resource.clone(),
                    path: path.clone(),
                    message,
                    fix,
                };
                match peer {
                    Peer::Pods {
                        namespaces: Some(namespaces),
                        pods,
                    } if namespaces.is_empty() => {
                        let every_pod = pods.as_ref().is_none_or(|p| p.is_empty());
                        let message = if every_pod {
                            format!("{path} matches every pod in every namespace")
                        } else {
                            format!(
                                "{path} matches pods labelled {} in every namespace; anyone who can label a pod anywhere is let through",
                                pods.as_ref().map(|p| p.describe()).unwrap_or_default()
                            )
                        };
                        issues.push(issue(
                            PEER_ALL_NAMESPACES,
                            if every_pod { Severity::High } else { Severity::Medium },
                            message,
                            "name the namespace: namespaceSelector.matchLabels with kubernetes.io/metadata.name",
                        ));
                    }
                    Peer::Pods {
                        namespaces: None,
                        pods: Some(pods),
                    } if pods.is_empty() => issues.push(issue(
                        PEER_ALL_PODS,
                        Severity::Low,
                        format!(
                            "{path} matches every pod in namespace {}",
                            policy.namespace
                        ),
                        "select the pods that need the flow with podSelector.matchLabels",
                    )),
                    Peer::IpBlock(block) if block.cidr.prefix_len() == 0 => issues.push(issue(
                        IPBLOCK_ANY,
                        if direction == Direction::Egress { Severity::Medium } else { Severity::High },
                        format!(
                            "{path} ipBlock {} is every {} address{}; some network plugins also match pod IPs with it",
                            block.cidr,
                            if block.cidr.addr().is_ipv4() { "IPv4" } else { "IPv6" },
                            if block.except.is_empty() { String::new() } else {
                                format!(" except {}", block.except.iter().map(|e| e.to_string()).collect::<Vec<_>>().join(", "))
                            }
                        ),
                        "narrow the cidr to the addresses that need the flow",
                    )),
                    Peer::IpBlock(block)
                        if block.cidr.prefix_len()
                            < if block.cidr.addr().is_ipv4() { WIDE_IPV4_PREFIX } else { WIDE_IPV6_PREFIX } =>
                    {
                        issues.push(issue(
                            IPBLOCK_WIDE,
                            Severity::Low,
                            format!("{path} ipBlock {} is a very wide range", block.cidr),
                            "narrow the cidr to the addresses that need the flow",
                        ))
                    }
                    _ => {}
                }
            }
        }
    }
    issues
}

/// Whether `policy` is a default deny for `direction`: it selects every
/// pod, isolates for the direction and allows nothing in it.
pub fn is_default_deny(policy: &Policy, direction: Direction) -> bool {
    policy.pod_selector.is_empty()
        && policy.has_type(direction)
        && policy.rules(direction).is_empty()
}

/// Namespaces that hold pods in the manifests but have no default deny
/// for a direction.
pub fn missing_default_deny(cluster: &Cluster) -> Vec<Issue> {
    let mut issues = Vec::new();
    let mut namespaces: Vec<&str> = cluster.pods.iter().map(|p| p.namespace.as_str()).collect();
    namespaces.sort();
    namespaces.dedup();
    for namespace in namespaces {
        for direction in [Direction::Ingress, Direction::Egress] {
            let covered = cluster
                .policies
                .iter()
                .any(|p| p.namespace == namespace && is_default_deny(p, direction));
            if covered {
                continue;
            }
            let (rule, severity) = match direction {
                Direction::Ingress => (NO_DEFAULT_DENY_INGRESS, Severity::Medium),
                Direction::Egress => (NO_DEFAULT_DENY_EGRESS, Severity::Medium),
            };
            issues.push(Issue {
                rule,
                severity,
                resource: format!("Namespace/{namespace}"),
                path: String::new(),
                message: format!(
                    "namespace {namespace} has pods but no default-deny {} policy; pods no policy selects accept all {} traffic",
                    direction.policy_type(),
                    direction.field()
                ),
                fix: "add a NetworkPolicy with `podSelector: {}`, this policy type and no rules, then allow each needed flow",
            });
        }
    }
    issues
}

/// Policies whose podSelector selects no pod of the manifests.
pub fn selects_nothing(cluster: &Cluster) -> Vec<Issue> {
    cluster
        .policies
        .iter()
        .filter(|policy| {
            !cluster
                .pods
                .iter()
                .any(|pod| pod.namespace == policy.namespace && policy.pod_selector.matches(&pod.labels))
        })
        .map(|policy| Issue {
            rule: SELECTS_NOTHING,
            severity: Severity::Info,
            resource: policy.resource.clone(),
            path: "spec.podSelector".into(),
            message: format!(
                "spec.podSelector ({}) selects no pod in these manifests (namespace {})",
                policy.pod_selector.describe(),
                policy.namespace
            ),
            fix: "check the labels against the workload's pod template, or deploy the workload it is for with these manifests",
        })
        .collect()
}
