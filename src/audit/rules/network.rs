//! Network-policy rules: what a NetworkPolicy opens, judged with the
//! Kubernetes semantics of [`crate::netpol`] (allow-all rules, peers that
//! match every pod or namespace, `/0` and very wide ipBlocks, policies that
//! select no pod of the manifests). The default deny itself is
//! `control/default-deny`.

use serde_json::Value;

use crate::audit::rule::{Anchor, Check, Cx, Family, Index, Rule, Severity};
use crate::netpol::{CiliumPolicy, Cluster, Pod, Policy, analysis};
use crate::objects::Object;
use crate::objects::value::At;

macro_rules! network {
    ($name:ident, $id:expr, $severity:ident, $check:expr, $title:literal, $fix:literal) => {
        pub static $name: Rule = Rule {
            id: $id,
            family: Family::Netpol,
            severity: Severity::$severity,
            control: Some(3),
            title: $title,
            fix: $fix,
            check: $check,
        };
    };
}

/// Every network-policy rule, in catalogue order.
pub static RULES: &[&Rule] = &[
    &ALLOW_ALL_INGRESS,
    &ALLOW_ALL_EGRESS,
    &PEER_ALL_NAMESPACES,
    &PEER_ALL_PODS,
    &IPBLOCK_ANY,
    &IPBLOCK_WIDE,
    &SELECTS_NOTHING,
    &DNS_FILTER_VOIDED,
];

network!(
    ALLOW_ALL_INGRESS,
    analysis::ALLOW_ALL_INGRESS,
    High,
    Check::Object(|cx, object| policy_issues(cx, object, &ALLOW_ALL_INGRESS)),
    "A NetworkPolicy rule allows ingress from everywhere on every port",
    "list the callers in `from` (podSelector/namespaceSelector) and the ports they use"
);
network!(
    ALLOW_ALL_EGRESS,
    analysis::ALLOW_ALL_EGRESS,
    High,
    Check::Object(|cx, object| policy_issues(cx, object, &ALLOW_ALL_EGRESS)),
    "A NetworkPolicy rule allows egress everywhere on every port",
    "list the destinations in `to` and their ports; allow DNS to kube-dns explicitly"
);
network!(
    PEER_ALL_NAMESPACES,
    analysis::PEER_ALL_NAMESPACES,
    High,
    Check::Object(|cx, object| policy_issues(cx, object, &PEER_ALL_NAMESPACES)),
    "A NetworkPolicy peer matches pods in every namespace",
    "name the namespace: namespaceSelector.matchLabels with kubernetes.io/metadata.name"
);
network!(
    PEER_ALL_PODS,
    analysis::PEER_ALL_PODS,
    Low,
    Check::Object(|cx, object| policy_issues(cx, object, &PEER_ALL_PODS)),
    "A NetworkPolicy peer matches every pod of the namespace",
    "select the pods that need the flow with podSelector.matchLabels"
);
network!(
    IPBLOCK_ANY,
    analysis::IPBLOCK_ANY,
    High,
    Check::Object(|cx, object| policy_issues(cx, object, &IPBLOCK_ANY)),
    "A NetworkPolicy ipBlock is 0.0.0.0/0 or ::/0",
    "narrow the cidr to the addresses that need the flow"
);
network!(
    IPBLOCK_WIDE,
    analysis::IPBLOCK_WIDE,
    Low,
    Check::Object(|cx, object| policy_issues(cx, object, &IPBLOCK_WIDE)),
    "A NetworkPolicy ipBlock is a very wide range",
    "narrow the cidr to the addresses that need the flow"
);
network!(
    SELECTS_NOTHING,
    analysis::SELECTS_NOTHING,
    Low,
    Check::Index(selects_nothing),
    "A NetworkPolicy selects no pod of the manifests",
    "fix the podSelector, or remove the policy"
);

network!(
    DNS_FILTER_VOIDED,
    analysis::DNS_FILTER_VOIDED,
    High,
    Check::Index(dns_filter_voided),
    "A plain allow of the DNS port voids a Cilium DNS filter",
    "remove port 53 from the allow, or narrow its pod selector so it does not select the DNS-filtered pods"
);

/// The index as the evaluator's picture: namespaces, workloads as pods,
/// NetworkPolicies and CiliumNetworkPolicies (those that cannot be read are
/// left out; `input/*` reports them).
fn picture(index: &Index<'_>) -> Cluster {
    let mut cluster = Cluster::default();
    for (name, (labels, _)) in &index.namespaces {
        cluster.add_namespace(name, labels.clone());
    }
    for workload in &index.workloads {
        cluster.add_pod(Pod {
            id: workload.anchor.resource.clone(),
            namespace: workload.namespace.clone(),
            labels: workload.labels.clone(),
            ports: Vec::new(),
            host_network: false,
        });
    }
    cluster.policies = index
        .policies
        .iter()
        .filter_map(|(_, d)| Policy::parse(d).ok())
        .collect();
    cluster.cilium = index
        .cilium_policies
        .iter()
        .filter_map(|(_, d)| CiliumPolicy::parse(d).ok())
        .collect();
    cluster
}

/// Plain allows of the DNS port for pods whose DNS a CiliumNetworkPolicy
/// filters, reported on the allowing policy.
fn dns_filter_voided(cx: &mut Cx<'_>) {
    if cx.index.cilium_policies.is_empty() {
        return;
    }
    let issues = analysis::dns_filter_voided(&picture(cx.index));
    // Each policy's anchor under the evaluator's name for it.
    let key = |kind: &str, namespace: &str, document: &Value| {
        let name = document
            .at("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        format!("{kind}/{namespace}/{name}")
    };
    let anchors: Vec<(String, &Anchor)> = cx
        .index
        .policies
        .iter()
        .zip(&cx.index.policy_anchors)
        .map(|((ns, d), a)| (key("NetworkPolicy", ns, d), a))
        .chain(
            cx.index
                .cilium_policies
                .iter()
                .zip(&cx.index.cilium_anchors)
                .map(|((ns, d), a)| (key(crate::platform::cilium::KIND, ns, d), a)),
        )
        .collect();
    let mut reports = Vec::new();
    for issue in issues {
        let Some((_, anchor)) = anchors.iter().find(|(k, _)| *k == issue.resource) else {
            continue;
        };
        reports.push(((*anchor).clone(), issue));
    }
    for (anchor, issue) in reports {
        cx.report_at(&anchor, issue.message, issue.fix.to_string());
    }
}

/// The issues of one NetworkPolicy that belong to `rule`.
fn policy_issues(cx: &mut Cx<'_>, object: &Object<'_>, rule: &'static Rule) {
    if object.kind() != "NetworkPolicy" {
        return;
    }
    // Parsed and analysed once for the object, whichever rule asks first.
    let issues = cx.policy_issues.take().unwrap_or_else(|| {
        Policy::parse(object.document)
            .map(|policy| {
                analysis::allow_all_rules(&policy)
                    .into_iter()
                    .chain(analysis::wide_peers(&policy))
                    .collect()
            })
            .unwrap_or_default()
    });
    for issue in issues.iter().filter(|issue| issue.rule == rule.id) {
        cx.report(
            object,
            &issue.path,
            issue.message.clone(),
            issue.fix.to_string(),
        );
    }
    cx.policy_issues = Some(issues);
}

/// Policies whose podSelector matches no workload of their namespace.
fn selects_nothing(cx: &mut Cx<'_>) {
    let mut reports = Vec::new();
    for ((namespace, document), anchor) in cx.index.policies.iter().zip(&cx.index.policy_anchors) {
        let Ok(policy) = Policy::parse(document) else {
            continue;
        };
        // A policy is judged against the workloads of its namespace only
        // when the manifests say what runs there: some workload, and no
        // custom resource whose operator creates pods at run time.
        let mut known = cx
            .index
            .workloads
            .iter()
            .filter(|w| &w.namespace == namespace)
            .peekable();
        if known.peek().is_none() || cx.index.operated.contains(namespace) {
            continue;
        }
        let selects = known.any(|w| policy.pod_selector.matches(&w.labels));
        if !selects {
            reports.push((
                anchor.clone(),
                format!(
                    "selects no pod of the manifests in namespace {namespace} ({})",
                    describe(document)
                ),
            ));
        }
    }
    for (anchor, message) in reports {
        cx.report_at(&anchor, message, SELECTS_NOTHING.fix.to_string());
    }
}

fn describe(document: &Value) -> String {
    match document.at("/spec/podSelector") {
        Some(selector) => format!("podSelector {selector}"),
        None => "no podSelector".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use crate::audit::rules::{Family, PssChoice, Selection, audit_for};
    use crate::objects::{Manifest, Object};

    /// The network-policy findings of `yaml`: (rule, resource, line, message).
    fn findings(yaml: &str) -> Vec<(&'static str, String, usize, String)> {
        let manifests = Manifest::parse_all("m.yaml", yaml).unwrap();
        let objects: Vec<Object<'_>> = manifests.iter().flat_map(Object::all_of).collect();
        let pss = PssChoice {
            level: None,
            version: None,
        };
        audit_for(
            &objects,
            &Selection::families(&[Family::Netpol]),
            pss,
            Default::default(),
        )
        .into_iter()
        .map(|f| (f.rule.id, f.resource, f.line, f.message))
        .collect()
    }

    fn deployment(name: &str, namespace: &str, app: &str) -> String {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: {namespace}}}\n\
             spec:\n  template:\n    metadata: {{labels: {{app: {app}}}}}\n    spec:\n      containers: [{{name: c, image: c}}]\n"
        )
    }

    fn policy(name: &str, namespace: &str, spec: &str) -> String {
        format!(
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  namespace: {namespace}\n  name: {name}\nspec: {spec}\n"
        )
    }

    #[test]
    fn each_policy_rule_reports_its_own_issues_on_network_policies_only() {
        let yaml = [
            policy(
                "open",
                "shop",
                "{podSelector: {}, policyTypes: [Ingress, Egress], ingress: [{}], egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0}}]}]}",
            ),
            // The same fields on another kind are not a NetworkPolicy's.
            "apiVersion: example.com/v1\nkind: Other\nmetadata: {name: x, namespace: shop}\nspec: {podSelector: {}, ingress: [{}]}\n".into(),
        ]
        .join("---\n");
        let found: Vec<(&str, String)> = findings(&yaml)
            .into_iter()
            .map(|(rule, resource, _, message)| (rule, format!("{resource}: {message}")))
            .collect();
        assert_eq!(
            found,
            [
                (
                    super::ALLOW_ALL_INGRESS.id,
                    "NetworkPolicy/shop/open: spec.ingress[0] allows ingress from every source on every port".to_string()
                ),
                (
                    super::IPBLOCK_ANY.id,
                    "NetworkPolicy/shop/open: spec.egress[0].to[0] ipBlock 0.0.0.0/0 is every IPv4 address; some network plugins also match pod IPs with it".to_string()
                ),
            ]
        );
    }

    #[test]
    fn selects_nothing_judges_a_policy_against_the_workloads_of_its_namespace() {
        let yaml = [
            deployment("web", "shop", "web"),
            deployment("api", "elsewhere", "api"),
            // api runs in another namespace only: nothing here.
            policy("api-in", "shop", "{podSelector: {matchLabels: {app: api}}}"),
            policy("web-in", "shop", "{podSelector: {matchLabels: {app: web}}}"),
            // No workload in the namespace: the manifests do not say what runs there.
            policy("lonely", "empty", "{podSelector: {matchLabels: {app: x}}}"),
            // An operator's custom resource may stand for pods.
            deployment("db-client", "data", "client"),
            "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata: {name: db, namespace: data}\n".into(),
            policy("db-in", "data", "{podSelector: {matchLabels: {app: db}}}"),
        ]
        .join("---\n");
        let found = findings(&yaml);
        assert_eq!(found.len(), 1, "{found:?}");
        let (rule, resource, line, message) = &found[0];
        assert_eq!(*rule, super::SELECTS_NOTHING.id);
        assert_eq!(resource, "NetworkPolicy/shop/api-in");
        // Anchored at metadata.name: line 5 of the policy, the third document.
        assert_eq!(
            *line,
            yaml.lines().position(|l| l == "  name: api-in").unwrap() + 1
        );
        assert_eq!(
            message,
            r#"selects no pod of the manifests in namespace shop (podSelector {"matchLabels":{"app":"api"}})"#
        );
    }

    #[test]
    fn a_voided_dns_filter_is_reported_on_the_allowing_policy() {
        let cnp = "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: dns, namespace: shop}\n\
                   spec:\n  endpointSelector: {matchLabels: {app: a}}\n  egress:\n    - toEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: kube-system, k8s:k8s-app: kube-dns}}]\n      \
                   toPorts: [{ports: [{port: \"53\", protocol: UDP}], rules: {dns: [{matchName: api.stripe.com}]}}]\n";
        let yaml = [
            deployment("a", "shop", "a"),
            policy(
                "deny",
                "shop",
                "{podSelector: {}, policyTypes: [Ingress, Egress]}",
            ),
            cnp.to_string(),
            policy(
                "extra",
                "shop",
                "{podSelector: {matchLabels: {app: a}}, policyTypes: [Egress], egress: [{ports: [{protocol: UDP, port: 53}]}]}",
            ),
        ]
        .join("---\n");
        let found = findings(&yaml);
        let voided: Vec<_> = found
            .iter()
            .filter(|f| f.0 == super::DNS_FILTER_VOIDED.id)
            .collect();
        assert_eq!(voided.len(), 1, "{found:?}");
        let (_, resource, line, message) = voided[0];
        assert_eq!(resource, "NetworkPolicy/shop/extra");
        assert_eq!(
            *line,
            yaml.lines().position(|l| l == "  name: extra").unwrap() + 1
        );
        assert!(
            message.starts_with("spec.egress[0] allows UDP 53 for Deployment/shop/a (namespace shop), whose DNS is filtered by CiliumNetworkPolicy/shop/dns spec.egress[0].toPorts[0]"),
            "{message}"
        );
    }
}
