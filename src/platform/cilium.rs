//! Cilium facts: the CiliumNetworkPolicy kind, how `toFQDNs` and DNS rules
//! match names, and what a hostname rule needs to work at all.
//!
//! Read in cilium/cilium through the file index at stored commits (the
//! repository is too large to fetch, so no release tag could be pinned; see
//! /work/notes/platform-facts.md, Cilium sources):
//! `Documentation/security/policy/language.rst` @ 012a3bf2 (and, for the
//! evaluator's facts below, @ 30a4939a),
//! `Documentation/security/policy/layer7.rst` (tag v1.20.2, and the same text
//! at docs.cilium.io/en/stable/security/policy/layer7/; re-read @ 3bc54d24),
//! `Documentation/security/policy/kubernetes.rst` @ de839566,
//! `Documentation/security/dns.rst` @ 895b694d,
//! `Documentation/security/policy/intro.rst` @ 1ba78805,
//! `pkg/policy/api/rule_validation.go` @ 005aed24,
//! `pkg/k8s/apis/cilium.io/utils/utils.go` @ 0457444e,
//! `pkg/policy/api/l4.go` @ d5e4735d,
//! `examples/kubernetes-dns/dns-matchname.yaml` @ 669f18e3, and the CRD
//! `ciliumnetworkpolicies.cilium.io` (controller-gen v0.19.0) in
//! /work/shared/conformance/crds/cilium/.

use serde::Serialize;

/// The Cilium agent: chart `install/kubernetes/cilium/templates/cilium-agent/daemonset.yaml`
/// (DaemonSet `cilium` in the release namespace, label `k8s-app: cilium`),
/// installed in `kube-system` as is usual (UNVERIFIED against the
/// installation documentation). The live audit's preflight looks for it
/// there; an agent elsewhere, or GKE Dataplane V2's `anetd`, is not
/// recognised.
pub const AGENT_NAMESPACE: &str = "kube-system";
pub const AGENT_SELECTOR: &str = "k8s-app=cilium";
pub const AGENT_DAEMONSET: &str = "cilium";

/// The policy kind and version: the CRD's only version, `v2` (`served:
/// true`, `storage: true`), group `cilium.io`, kind `CiliumNetworkPolicy`,
/// namespaced.
pub const API_VERSION: &str = "cilium.io/v2";
pub const KIND: &str = "CiliumNetworkPolicy";

/// The label Cilium gives every endpoint with its namespace, as a selector
/// key in `toEndpoints` (`k8s:` is the source prefix; it is optional, the
/// example `examples/kubernetes-dns/dns-matchname.yaml` writes it).
/// Without it a selector means the policy's own namespace
/// (`Documentation/security/policy/kubernetes.rst`: "If the namespace label
/// of policy rules is omitted it defaults to the same namespace where the
/// policy itself is applied in").
pub const NAMESPACE_LABEL: &str = "k8s:io.kubernetes.pod.namespace";
/// The source prefix of Kubernetes pod labels in Cilium selectors.
pub const K8S_LABEL_PREFIX: &str = "k8s:";
/// The source prefix a selector key without one gets
/// (`labels.LabelSourceAnyKeyPrefix`, `pkg/k8s/apis/cilium.io/utils/utils.go`
/// @ 0457444e, `podAnyPrefixLbl`).
pub const ANY_LABEL_PREFIX: &str = "any:";
/// The prefix under which an endpoint carries its namespace's labels
/// (`k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name=...`):
/// `k8sConst.PodNamespaceMetaLabelsPrefix` in
/// `pkg/k8s/apis/cilium.io/utils/utils.go` @ 0457444e
/// (`podK8SNamespaceLabelsPrefix`). The constant's value itself is
/// UNVERIFIED at a pinned commit (its file was not read); it is the key seen
/// in endpoint identity label lists of cilium/cilium test fixtures.
pub const NAMESPACE_LABELS_PREFIX: &str = "io.cilium.k8s.namespace.labels.";
/// The port a DNS rule is on unless it says otherwise: 53 (the kube-dns
/// Service and pods, [`crate::platform::kubernetes::DNS_PORT`]). A rule on
/// another port is DNS too when it carries `rules.dns` (language.rst @
/// 30a4939a: "If using a non-standard DNS port for a DNS application behind
/// a Kubernetes service, the port must match the backend port").
pub const DNS_PORT: u16 = 53;

/// The statements harden relies on, quoted for comments, the README and
/// tests, each with its source.
pub mod quotes {
    /// language.rst, "DNS based": exact names.
    pub const MATCH_NAME: &str =
        "toFQDNs.matchName Inserts IPs of domains that match matchName exactly.";
    /// language.rst, "DNS based": what `*` matches.
    pub const MATCH_PATTERN: &str = "* within a domain allows 0 or more valid DNS characters, except for the . separator. *.cilium.io will match sub.cilium.io but not cilium.io or sub.sub.cilium.io.";
    /// language.rst, "DNS based", and `rule_validation.go` ("Combining %s
    /// and %s is not supported yet").
    pub const NO_OTHER_L3: &str = "toFQDNs egress rules cannot contain any other L3 rules, such as toEndpoints (under Endpoints Based) and toCIDRs (under CIDR Based). They may contain L4/L7 rules, such as toPorts";
    /// language.rst note on the DNS proxy.
    pub const DNS_PROXY: &str = "In order to associate domain names with IP addresses, Cilium intercepts DNS responses per-Endpoint using a DNS Proxy. This requires Cilium to be configured with --enable-l7-proxy=true and an L7 policy allowing DNS requests.";
    /// language.rst, "DNS Policy and IP Discovery".
    pub const NARROW_DNS: &str = "L7 DNS policy allows queries for cilium.io, any subdomains of cilium.io, and any subdomains of api.cilium.io. No other DNS queries will be allowed.";
    /// language.rst, note under "DNS Policy and IP Discovery".
    pub const CLUSTER_NAMES: &str = "When applying DNS policy in kubernetes, queries for service.namespace.svc.cluster.local. must be explicitly allowed with matchPattern: *.*.svc.cluster.local.. Similarly, queries that rely on the DNS search list to complete the FQDN must be allowed in their entirety.";
    /// layer7.rst (v1.20.2, and @ 3bc54d24): a plain L4 allow voids the L7
    /// rules of the same port.
    pub const L4_VOIDS_L7: &str = "If a layer 4 rule is specified in the policy, and a similar layer 4 rule with layer 7 rules is also specified, then the layer 7 portions of the latter rule will have no effect.";
    /// intro.rst @ 1ba78805, "Rule Basics": allows of every policy add up.
    pub const UNION: &str = "If there is an intersection between two or more rules, then traffic matching the union of those rules will be allowed.";
    /// intro.rst @ 1ba78805, "Endpoint default policy": what isolates.
    pub const DEFAULT_DENY: &str = "If any rule selects an endpoint and the rule has an egress section, the endpoint goes into default-deny mode for egress.";
    /// intro.rst @ 1ba78805, the Rule type: an empty section is none.
    pub const EMPTY_SECTION: &str = "Egress is a list of EgressRule which are enforced at egress. If omitted or empty, this rule does not apply at egress.";
    /// intro.rst @ 1ba78805: `enableDefaultDeny`.
    pub const ENABLE_DEFAULT_DENY: &str =
        "Rules with EnableDefaultDeny disabled are ignored when determining the default mode.";
    /// kubernetes.rst @ de839566, "Multi-Cluster": a selector without the
    /// namespace label means the policy's namespace.
    pub const DEFAULT_NAMESPACE: &str = "If the namespace label of policy rules is omitted it defaults to the same namespace where the policy itself is applied in";
    /// `pkg/k8s/apis/cilium.io/utils/utils.go` @ 0457444e,
    /// `getEndpointSelector`: the policy's namespace is added to a
    /// to/fromEndpoints selector unless it names `io.kubernetes.pod.namespace`
    /// (`k8s:` or `any:`) or a key under the namespace-labels prefix.
    pub const NAMESPACE_ADDED: &str = "The user can explicitly specify the namespace in the FromEndpoints selector. If omitted, we limit the scope to the namespace the policy lives in.";
    /// language.rst @ 30a4939a, "Egress Allow All Endpoints".
    pub const EMPTY_TO_ENDPOINTS: &str = "An empty EndpointSelector will select all egress endpoints from an endpoint based on the CiliumNetworkPolicy namespace";
    /// language.rst @ 30a4939a, "Example (L4)": an item with toPorts and no
    /// L3 peer allows every destination.
    pub const L4_ANY_L3: &str = "The following rule limits all endpoints with the label app=myService to only be able to emit packets using TCP on port 80, to any layer 3 destination";
    /// language.rst @ 30a4939a, the PortProtocol type.
    pub const ANY_PROTOCOL: &str = "Protocol is the L4 protocol. If omitted or empty, any protocol matches. Accepted values: \"TCP\", \"UDP\", \"\"/\"ANY\"";
    /// language.rst @ 30a4939a, "Entities Based".
    pub const ENTITY_KUBE_APISERVER: &str = "The kube-apiserver entity represents the kube-apiserver in a Kubernetes cluster. This entity represents both deployments of the kube-apiserver: within the cluster and outside of the cluster.";
    /// language.rst @ 30a4939a, "Entities Based".
    pub const ENTITY_HOST: &str = "The host entity includes the local host. This also includes all containers running in host networking mode on the local host.";
    /// language.rst @ 30a4939a, "Entities Based".
    pub const ENTITY_CLUSTER: &str = "Cluster is the logical group of all network endpoints inside of the local cluster. This includes all Cilium-managed endpoints of the local cluster, unmanaged endpoints in the local cluster, as well as the host, remote-node, and init identities.";
    /// language.rst @ 30a4939a, "Entities Based".
    pub const ENTITY_WORLD: &str = "The world entity corresponds to all endpoints outside of the cluster. Allowing to world is identical to allowing to CIDR 0.0.0.0/0.";
    /// language.rst @ 30a4939a, "Entities Based".
    pub const ENTITY_ALL: &str = "The all entity represents the combination of all known clusters as well world and whitelists all communication.";
    /// language.rst @ 30a4939a, "IP/CIDR based": CIDR rules and pods.
    pub const CIDR_NOT_PODS: &str =
        "By default, CIDR-based selectors do not match in-cluster entities (pods or nodes).";
    /// `pkg/policy/api/l4.go` @ d5e4735d, `PortRule.Rules`: an empty L7
    /// section is no L7 rule (so `rules: {dns: []}` filters nothing).
    pub const NO_L7_RULES: &str = "Rules is a list of additional port level rules which must be met in order for the PortRule to allow the traffic. If omitted or empty, no layer 7 rules are enforced.";
    /// layer7.rst @ 3bc54d24, "DNS Policy and IP Discovery".
    pub const L7_BLOCKS_OTHER: &str = "While Layer 7 DNS policy can be applied without any other Layer 3 rules, the presence of a Layer 7 rule (with its Layer 3 and 4 components) will block other traffic.";
    /// layer7.rst @ 3bc54d24: a refused lookup is answered, not dropped.
    pub const DNS_REFUSED: &str = "violation of layer 7 rules does not result in packet drops. Instead, if possible, an application protocol specific access denied message is crafted and returned, e.g. an HTTP 403 access denied is sent back for HTTP requests which violate the policy, or a DNS REFUSED response for DNS requests.";
    /// language.rst, "Alpine/musl deployments and DNS Refused".
    pub const REJECT_CODE: &str = "--tofqdns-dns-reject-response-code option. The default is refused but nameError can be selected";
}

/// Whether a Cilium `matchPattern` (or `matchName`, which has no `*`)
/// matches `name`: `*` stands for zero or more characters within one label,
/// never the `.` separator (language.rst, [`quotes::MATCH_PATTERN`]); a lone
/// `*` matches every name. Names compare case-insensitively, with or without
/// the trailing dot Cilium adds ("A trailing \".\" is automatically added
/// when missing", CRD `matchName` description). `**.` (Cilium 1.19 and
/// later only) is never written by harden and not modelled here.
pub fn pattern_matches(pattern: &str, name: &str) -> bool {
    let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    if pattern == "*" {
        return true;
    }
    let pattern_labels: Vec<&str> = pattern.split('.').collect();
    let name_labels: Vec<&str> = name.split('.').collect();
    pattern_labels.len() == name_labels.len()
        && pattern_labels
            .iter()
            .zip(&name_labels)
            .all(|(p, n)| label_matches(p.as_bytes(), n.as_bytes()))
}

/// Glob match of one label, `*` matching any run of characters.
fn label_matches(pattern: &[u8], label: &[u8]) -> bool {
    match pattern.split_first() {
        None => label.is_empty(),
        Some((b'*', rest)) => (0..=label.len()).any(|i| label_matches(rest, &label[i..])),
        Some((c, rest)) => label
            .split_first()
            .is_some_and(|(l, tail)| l == c && label_matches(rest, tail)),
    }
}

/// The protocols a DNS rule names: `rule_validation.go` "DNS L7 rules can
/// be TCP, UDP or ANY"; harden writes both transport protocols the DNS pods
/// listen on ([`crate::platform::kubernetes::DNS_PORT`], UDP and TCP) rather
/// than ANY, which would include SCTP.
pub const DNS_PROTOCOLS: [&str; 2] = ["UDP", "TCP"];

/// The Cilium facts templates use.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CiliumFacts {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub namespace_label: &'static str,
    pub label_prefix: &'static str,
    pub dns_protocols: [&'static str; 2],
}

impl CiliumFacts {
    pub fn get() -> CiliumFacts {
        CiliumFacts {
            api_version: API_VERSION,
            kind: KIND,
            namespace_label: NAMESPACE_LABEL,
            label_prefix: K8S_LABEL_PREFIX,
            dns_protocols: DNS_PROTOCOLS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_star_stays_within_one_label() {
        // The examples of language.rst, "DNS based".
        assert!(pattern_matches("*.cilium.io", "sub.cilium.io"));
        assert!(!pattern_matches("*.cilium.io", "cilium.io"));
        assert!(!pattern_matches("*.cilium.io", "sub.sub.cilium.io"));
        assert!(pattern_matches("part*ial.com", "partial.com"));
        assert!(pattern_matches("part*ial.com", "part-extra-ial.com"));
        assert!(pattern_matches("*", "anything.example.com"));
        assert!(pattern_matches("api.stripe.com", "API.Stripe.com."));
        assert!(!pattern_matches("api.stripe.com", "api.stripe.co"));
        assert!(pattern_matches(
            "*.*.svc.cluster.local.",
            "redis.cache.svc.cluster.local"
        ));
    }
}
