//! The evaluator against the examples of the Kubernetes documentation
//! (kubernetes/website `content/en/docs/concepts/services-networking/network-policies.md`
//! and the files it includes from `content/en/examples/service/networking/`),
//! with the expectations the documentation states, plus the semantics it
//! implies (named ports, protocols, IPv6, loopback).

use std::net::IpAddr;

use serde_json::{Value, json};

use super::analysis::{self, Severity};
use super::*;

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn pod(cluster: &mut Cluster, id: &str, namespace: &str, pairs: &[(&str, &str)]) -> Endpoint {
    cluster.add_pod(Pod {
        id: id.into(),
        namespace: namespace.into(),
        labels: labels(pairs),
        ports: Vec::new(),
        host_network: false,
    })
}

fn ip(text: &str) -> Endpoint {
    Endpoint::External(text.parse::<IpAddr>().unwrap())
}

fn cluster(policies: &[Value]) -> Cluster {
    Cluster::from_documents(policies).unwrap()
}

const TCP: Protocol = Protocol::Tcp;

/// `content/en/examples/service/networking/networkpolicy.yaml` (test-network-policy).
fn test_network_policy() -> Value {
    json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "test-network-policy", "namespace": "default"},
        "spec": {
            "podSelector": {"matchLabels": {"role": "db"}},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{
                "from": [
                    {"ipBlock": {"cidr": "172.17.0.0/16", "except": ["172.17.1.0/24"]}},
                    {"namespaceSelector": {"matchLabels": {"project": "myproject"}}},
                    {"podSelector": {"matchLabels": {"role": "frontend"}}},
                ],
                "ports": [{"protocol": "TCP", "port": 6379}],
            }],
            "egress": [{
                "to": [{"ipBlock": {"cidr": "10.0.0.0/24"}}],
                "ports": [{"protocol": "TCP", "port": 5978}],
            }],
        }
    })
}

#[test]
fn test_network_policy_ingress_as_documented() {
    // "allows connections to all pods in the "default" namespace with the
    // label "role=db" on TCP port 6379 from: any pod in the "default"
    // namespace with the label "role=frontend"; any pod in a namespace with
    // the label "project=myproject"; IP addresses in the ranges
    // 172.17.0.0–172.17.0.255 and 172.17.2.0–172.17.255.255".
    let mut c = cluster(&[test_network_policy()]);
    c.add_namespace("myproject-ns", labels(&[("project", "myproject")]));
    let db = pod(&mut c, "db", "default", &[("role", "db")]);
    let frontend = pod(&mut c, "frontend", "default", &[("role", "frontend")]);
    let frontend_elsewhere = pod(&mut c, "frontend2", "other", &[("role", "frontend")]);
    let in_project = pod(&mut c, "any", "myproject-ns", &[]);
    let stranger = pod(&mut c, "stranger", "default", &[("role", "other")]);

    let verdict = c.allowed(frontend, db, 6379, TCP);
    assert!(verdict.allowed, "{verdict}");
    assert_eq!(
        verdict.ingress,
        Decision::AllowedBy {
            policy: "NetworkPolicy/default/test-network-policy".into(),
            rule: "spec.ingress[0]".into()
        }
    );
    assert!(c.allowed(in_project, db, 6379, TCP).allowed);
    assert!(
        !c.allowed(frontend_elsewhere, db, 6379, TCP).allowed,
        "podSelector alone means the policy's namespace"
    );
    assert!(!c.allowed(stranger, db, 6379, TCP).allowed);
    assert!(!c.allowed(frontend, db, 6380, TCP).allowed, "only TCP 6379");
    assert!(
        !c.allowed(frontend, db, 6379, Protocol::Udp).allowed,
        "only TCP 6379"
    );
    assert!(c.allowed(ip("172.17.0.255"), db, 6379, TCP).allowed);
    assert!(c.allowed(ip("172.17.2.0"), db, 6379, TCP).allowed);
    assert!(c.allowed(ip("172.17.255.255"), db, 6379, TCP).allowed);
    assert!(
        !c.allowed(ip("172.17.1.7"), db, 6379, TCP).allowed,
        "except 172.17.1.0/24"
    );
    assert!(!c.allowed(ip("172.18.0.1"), db, 6379, TCP).allowed);
}

#[test]
fn test_network_policy_egress_as_documented() {
    // "allows connections from any pod in the "default" namespace with the
    // label "role=db" to CIDR 10.0.0.0/24 on TCP port 5978"; and isolates
    // role=db for egress, so nothing else leaves.
    let mut c = cluster(&[test_network_policy()]);
    let db = pod(&mut c, "db", "default", &[("role", "db")]);
    let other = pod(&mut c, "other", "default", &[]);
    assert!(c.allowed(db, ip("10.0.0.9"), 5978, TCP).allowed);
    assert!(!c.allowed(db, ip("10.0.1.9"), 5978, TCP).allowed);
    assert!(!c.allowed(db, ip("10.0.0.9"), 5979, TCP).allowed);
    let verdict = c.allowed(db, other, 80, TCP);
    assert!(!verdict.allowed);
    assert_eq!(
        verdict.egress,
        Decision::Denied {
            isolated_by: vec!["NetworkPolicy/default/test-network-policy".into()]
        }
    );
    assert_eq!(
        verdict.ingress,
        Decision::NotIsolated,
        "other is selected by no policy"
    );
    // Pods the policy does not select stay non-isolated.
    assert!(c.allowed(other, ip("8.8.8.8"), 443, TCP).allowed);
}

/// `network-policy-default-deny-ingress.yaml`, `-default-deny-egress`,
/// `-default-deny-all`, `-allow-all-ingress`, `-allow-all-egress`,
/// `-allow-all-egress-deny-all-ingress`.
fn named(name: &str, spec: Value) -> Value {
    json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
           "metadata": {"name": name}, "spec": spec})
}

#[test]
fn default_deny_ingress_leaves_egress_alone() {
    // "This policy does not change the default egress isolation behavior."
    let mut c = cluster(&[named(
        "default-deny-ingress",
        json!({"podSelector": {}, "policyTypes": ["Ingress"]}),
    )]);
    let a = pod(&mut c, "a", "default", &[]);
    let b = pod(&mut c, "b", "default", &[("x", "y")]);
    assert!(!c.allowed(a, b, 80, TCP).allowed);
    assert!(!c.allowed(ip("1.2.3.4"), a, 80, TCP).allowed);
    assert!(c.allowed(a, ip("1.2.3.4"), 80, TCP).allowed);
    let outside = pod(&mut c, "c", "elsewhere", &[]);
    assert!(c.allowed(a, outside, 80, TCP).allowed);
}

#[test]
fn default_deny_egress_leaves_ingress_alone() {
    let mut c = cluster(&[named(
        "default-deny-egress",
        json!({"podSelector": {}, "policyTypes": ["Egress"]}),
    )]);
    let a = pod(&mut c, "a", "default", &[]);
    let outside = pod(&mut c, "c", "elsewhere", &[]);
    assert!(!c.allowed(a, outside, 80, TCP).allowed);
    assert!(!c.allowed(a, ip("1.2.3.4"), 53, Protocol::Udp).allowed);
    assert!(c.allowed(outside, a, 80, TCP).allowed);
    assert!(c.allowed(ip("1.2.3.4"), a, 80, TCP).allowed);
}

#[test]
fn default_deny_all_blocks_both_directions_but_not_loopback() {
    let mut c = cluster(&[named(
        "default-deny-all",
        json!({"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
    )]);
    let a = pod(&mut c, "a", "default", &[]);
    let b = pod(&mut c, "b", "default", &[]);
    let verdict = c.allowed(a, b, 80, TCP);
    assert!(!verdict.allowed);
    assert!(
        !verdict.egress.allows() && !verdict.ingress.allows(),
        "{verdict}"
    );
    // "Pods cannot currently block localhost access".
    let verdict = c.allowed(a, a, 80, TCP);
    assert!(verdict.allowed && verdict.loopback);
    assert!(
        !c.between_pods(a, a, 80, TCP).allowed,
        "two replicas are two pods"
    );
}

#[test]
fn allow_all_ingress_wins_over_a_default_deny() {
    // "allow all traffic to all pods in a namespace (even if policies are
    // added that cause some pods to be treated as "isolated")".
    let mut c = cluster(&[
        named(
            "default-deny-ingress",
            json!({"podSelector": {}, "policyTypes": ["Ingress"]}),
        ),
        named(
            "allow-all-ingress",
            json!({"podSelector": {}, "ingress": [{}], "policyTypes": ["Ingress"]}),
        ),
    ]);
    let a = pod(&mut c, "a", "default", &[]);
    let verdict = c.allowed(ip("203.0.113.9"), a, 9999, Protocol::Sctp);
    assert!(verdict.allowed);
    assert_eq!(
        verdict.ingress,
        Decision::AllowedBy {
            policy: "NetworkPolicy/default/allow-all-ingress".into(),
            rule: "spec.ingress[0]".into()
        }
    );
    let issues = analysis::allow_all_rules(&c.policies[1]);
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].rule, analysis::ALLOW_ALL_INGRESS);
    assert_eq!(issues[0].path, "spec.ingress[0]");
}

#[test]
fn allow_all_egress_wins_over_a_default_deny() {
    let mut c = cluster(&[
        named(
            "default-deny-egress",
            json!({"podSelector": {}, "policyTypes": ["Egress"]}),
        ),
        named(
            "allow-all-egress",
            json!({"podSelector": {}, "egress": [{}], "policyTypes": ["Egress"]}),
        ),
    ]);
    let a = pod(&mut c, "a", "default", &[]);
    assert!(c.allowed(a, ip("2001:db8::1"), 443, TCP).allowed);
    let issues = analysis::allow_all_rules(&c.policies[1]);
    assert_eq!(issues[0].rule, analysis::ALLOW_ALL_EGRESS);
    assert_eq!(issues[0].severity, Severity::High);
}

#[test]
fn allow_all_egress_deny_all_ingress() {
    // `ingress: [] # Removing this line also works`
    for ingress in [Some(json!([])), None] {
        let mut spec =
            json!({"podSelector": {}, "policyTypes": ["Egress", "Ingress"], "egress": [{}]});
        if let Some(ingress) = &ingress {
            spec["ingress"] = ingress.clone();
        }
        let mut c = cluster(&[named("allow-egress-deny-ingress", spec)]);
        let a = pod(&mut c, "a", "default", &[]);
        assert!(c.allowed(a, ip("1.1.1.1"), 443, TCP).allowed);
        assert!(
            !c.allowed(ip("1.1.1.1"), a, 443, TCP).allowed,
            "{ingress:?}"
        );
    }
}

#[test]
fn end_port_range_as_documented() {
    // `networkpolicy-multiport-egress.yaml`: "allow a Pod with label db on
    // the namespace default to communicate with any IP within the range
    // 10.0.0.0/24 if the target port is between the range 32000 and 32768".
    let mut c = cluster(&[json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "multi-port-egress", "namespace": "default"},
        "spec": {"podSelector": {"matchLabels": {"role": "db"}}, "policyTypes": ["Egress"],
                 "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/24"}}],
                             "ports": [{"protocol": "TCP", "port": 32000, "endPort": 32768}]}]}
    })]);
    let db = pod(&mut c, "db", "default", &[("role", "db")]);
    for port in [32000, 32400, 32768] {
        assert!(c.allowed(db, ip("10.0.0.1"), port, TCP).allowed, "{port}");
    }
    for port in [31999, 32769] {
        assert!(!c.allowed(db, ip("10.0.0.1"), port, TCP).allowed, "{port}");
    }
    assert!(!c.allowed(db, ip("10.0.0.1"), 32000, Protocol::Udp).allowed);
}

#[test]
fn namespace_and_pod_selector_in_one_peer_is_an_and() {
    // "contains a single from element allowing connections from Pods with
    // the label role=client in namespaces with the label user=alice".
    let policy = named(
        "and",
        json!({"podSelector": {}, "ingress": [{"from": [
        {"namespaceSelector": {"matchLabels": {"user": "alice"}},
         "podSelector": {"matchLabels": {"role": "client"}}}]}]}),
    );
    let mut c = cluster(&[policy]);
    c.add_namespace("alice", labels(&[("user", "alice")]));
    let target = pod(&mut c, "target", "default", &[]);
    let client_alice = pod(&mut c, "c1", "alice", &[("role", "client")]);
    let other_alice = pod(&mut c, "c2", "alice", &[("role", "other")]);
    let client_local = pod(&mut c, "c3", "default", &[("role", "client")]);
    assert!(c.allowed(client_alice, target, 80, TCP).allowed);
    assert!(!c.allowed(other_alice, target, 80, TCP).allowed);
    assert!(!c.allowed(client_local, target, 80, TCP).allowed);
}

#[test]
fn namespace_and_pod_selector_as_two_peers_is_an_or() {
    // "allows connections from Pods in the local Namespace with the label
    // role=client, or from any Pod in any namespace with the label user=alice".
    let policy = named(
        "or",
        json!({"podSelector": {}, "ingress": [{"from": [
        {"namespaceSelector": {"matchLabels": {"user": "alice"}}},
        {"podSelector": {"matchLabels": {"role": "client"}}}]}]}),
    );
    let mut c = cluster(&[policy]);
    c.add_namespace("alice", labels(&[("user", "alice")]));
    let target = pod(&mut c, "target", "default", &[]);
    let other_alice = pod(&mut c, "c2", "alice", &[("role", "other")]);
    let client_local = pod(&mut c, "c3", "default", &[("role", "client")]);
    let client_bob = pod(&mut c, "c4", "bob", &[("role", "client")]);
    assert!(c.allowed(other_alice, target, 80, TCP).allowed);
    assert!(c.allowed(client_local, target, 80, TCP).allowed);
    assert!(!c.allowed(client_bob, target, 80, TCP).allowed);
}

#[test]
fn policy_types_default_from_the_rules() {
    // pkg/apis/networking/v1/defaults.go: Ingress always; Egress only when
    // len(spec.egress) != 0.
    let policy = |spec| Policy::parse(&named("p", spec)).unwrap();
    let p = policy(json!({"podSelector": {}}));
    assert!(p.ingress_type && !p.egress_type);
    let p = policy(json!({"podSelector": {}, "egress": [{"to": [{"podSelector": {}}]}]}));
    assert!(p.ingress_type && p.egress_type);
    let p = policy(json!({"podSelector": {}, "egress": []}));
    assert!(!p.egress_type);
    let p = policy(json!({"podSelector": {}, "policyTypes": ["Egress"], "ingress": [{}]}));
    assert!(
        !p.ingress_type,
        "explicit policyTypes win; the ingress rules are ignored"
    );
    let mut c = cluster(&[named(
        "p",
        json!({"podSelector": {}, "policyTypes": ["Egress"], "ingress": [{}]}),
    )]);
    let a = pod(&mut c, "a", "default", &[]);
    assert_eq!(
        c.allowed(ip("1.2.3.4"), a, 80, TCP).ingress,
        Decision::NotIsolated
    );
}

#[test]
fn named_ports_resolve_against_the_destination() {
    let policy = named(
        "p",
        json!({"podSelector": {}, "policyTypes": ["Ingress", "Egress"],
        "ingress": [{"ports": [{"port": "http"}, {"protocol": "UDP", "port": "dns"}]}],
        "egress": [{"ports": [{"port": "http"}, {"protocol": "UDP", "port": "dns"}]}]}),
    );
    let mut c = cluster(&[policy]);
    let web = c.add_pod(Pod {
        id: "web".into(),
        namespace: "default".into(),
        labels: Labels::new(),
        ports: vec![
            ContainerPort {
                name: Some("http".into()),
                port: 8080,
                protocol: TCP,
            },
            ContainerPort {
                name: Some("dns".into()),
                port: 5353,
                protocol: Protocol::Udp,
            },
        ],
        host_network: false,
    });
    let client = c.add_pod(Pod {
        id: "client".into(),
        namespace: "default".into(),
        labels: Labels::new(),
        ports: vec![ContainerPort {
            name: Some("http".into()),
            port: 9090,
            protocol: TCP,
        }],
        host_network: false,
    });
    assert!(c.allowed(client, web, 8080, TCP).allowed);
    assert!(
        !c.allowed(client, web, 9090, TCP).allowed,
        "the source's own http port does not count"
    );
    assert!(c.allowed(client, web, 5353, Protocol::Udp).allowed);
    assert!(
        !c.allowed(client, web, 5353, TCP).allowed,
        "the protocol must match too"
    );
    assert!(
        !c.allowed(web, ip("1.2.3.4"), 8080, TCP).allowed,
        "a named port cannot resolve outside the cluster"
    );
}

#[test]
fn match_expressions_select_namespaces_and_pods() {
    let policy = named(
        "p",
        json!({"podSelector": {"matchExpressions": [
            {"key": "tier", "operator": "In", "values": ["db"]}]},
        "ingress": [{"from": [{"namespaceSelector": {"matchExpressions": [
            {"key": "env", "operator": "NotIn", "values": ["dev"]}]},
            "podSelector": {"matchExpressions": [{"key": "client", "operator": "Exists"},
                                                 {"key": "banned", "operator": "DoesNotExist"}]}}]}]}),
    );
    let mut c = cluster(&[policy]);
    c.add_namespace("dev", labels(&[("env", "dev")]));
    c.add_namespace("prod", labels(&[("env", "prod")]));
    let db = pod(&mut c, "db", "default", &[("tier", "db")]);
    let web = pod(&mut c, "web", "default", &[("tier", "web")]);
    let prod_client = pod(&mut c, "p", "prod", &[("client", "")]);
    let dev_client = pod(&mut c, "d", "dev", &[("client", "")]);
    let banned = pod(&mut c, "b", "prod", &[("client", ""), ("banned", "1")]);
    let unlabelled_ns = pod(&mut c, "u", "fresh", &[("client", "yes")]);
    assert!(c.allowed(prod_client, db, 1, TCP).allowed);
    assert!(
        c.allowed(unlabelled_ns, db, 1, TCP).allowed,
        "NotIn matches a namespace without the key"
    );
    assert!(!c.allowed(dev_client, db, 1, TCP).allowed);
    assert!(!c.allowed(banned, db, 1, TCP).allowed);
    assert!(
        c.allowed(dev_client, web, 1, TCP).allowed,
        "web is not selected"
    );
}

#[test]
fn namespace_name_label_is_automatic() {
    let policy = named(
        "p",
        json!({"podSelector": {}, "ingress": [{"from": [
        {"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: "gateway"}}}]}]}),
    );
    let mut c = cluster(&[policy]);
    let target = pod(&mut c, "t", "default", &[]);
    let gateway = pod(&mut c, "g", "gateway", &[]);
    let other = pod(&mut c, "o", "other", &[]);
    assert!(c.allowed(gateway, target, 80, TCP).allowed);
    assert!(!c.allowed(other, target, 80, TCP).allowed);
}

#[test]
fn ipv6_blocks_with_except() {
    let policy = named(
        "p",
        json!({"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": [
        {"ipBlock": {"cidr": "2001:db8::/32", "except": ["2001:db8:dead::/48"]}}]}]}),
    );
    let mut c = cluster(&[policy]);
    let a = pod(&mut c, "a", "default", &[]);
    assert!(c.allowed(a, ip("2001:db8:1::1"), 443, TCP).allowed);
    assert!(!c.allowed(a, ip("2001:db8:dead::1"), 443, TCP).allowed);
    assert!(
        !c.allowed(a, ip("10.0.0.1"), 443, TCP).allowed,
        "an IPv6 block holds no IPv4 address"
    );
    let b = pod(&mut c, "b", "default", &[]);
    assert!(
        !c.allowed(a, b, 443, TCP).allowed,
        "ipBlock never matches a pod here"
    );
}

#[test]
fn workloads_come_from_templates_with_their_ports() {
    let deployment = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "api", "namespace": "shop"},
        "spec": {"template": {"metadata": {"labels": {"app": "api"}},
            "spec": {"containers": [{"name": "c", "ports": [
                {"name": "http", "containerPort": 8000}, {"containerPort": 9000, "protocol": "UDP"}]}]}}}});
    let cronjob = json!({"apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": "report", "namespace": "shop"},
        "spec": {"jobTemplate": {"spec": {"template": {"metadata": {"labels": {"app": "report"}},
            "spec": {"hostNetwork": true, "containers": [{"name": "c"}]}}}}}});
    let namespace = json!({"apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": "shop", "labels": {"team": "a"}}});
    let c = Cluster::from_documents(&[deployment, cronjob, namespace]).unwrap();
    assert_eq!(c.pods.len(), 2);
    assert_eq!(c.pods[0].id, "Deployment/shop/api");
    assert_eq!(
        c.pods[0].ports,
        vec![
            ContainerPort {
                name: Some("http".into()),
                port: 8000,
                protocol: TCP
            },
            ContainerPort {
                name: None,
                port: 9000,
                protocol: Protocol::Udp
            },
        ]
    );
    assert!(!c.pods[0].host_network);
    assert_eq!(c.pods[1].id, "CronJob/shop/report");
    assert!(c.pods[1].host_network);
    assert_eq!(c.pods[1].labels, labels(&[("app", "report")]));
    assert_eq!(
        c.namespace_labels("shop"),
        labels(&[("team", "a"), (NAMESPACE_NAME_LABEL, "shop")])
    );
}

#[test]
fn bad_fields_are_errors_with_paths() {
    let bad = |spec: Value| Policy::parse(&named("p", spec)).unwrap_err();
    let error = bad(
        json!({"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/33"}}]}]}),
    );
    assert_eq!(error.path, "spec.ingress[0].from[0].ipBlock.cidr");
    assert!(error.message.contains("10.0.0.0/33"), "{}", error.message);
    let error =
        bad(json!({"podSelector": {}, "egress": [{"ports": [{"port": "http", "endPort": 90}]}]}));
    assert_eq!(error.path, "spec.egress[0].ports[0].endPort");
    let error = bad(
        json!({"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["11.0.0.0/8"]}}]}]}),
    );
    assert_eq!(error.path, "spec.ingress[0].from[0].ipBlock.except[0]");
    let error = bad(json!({"podSelector": {}, "ingress": [{"ports": [{"protocol": "ICMP"}]}]}));
    assert_eq!(error.path, "spec.ingress[0].ports[0].protocol");
    let error = bad(json!({"podSelector": {}, "ingress": [{"from": [{}]}]}));
    assert_eq!(error.path, "spec.ingress[0].from[0]");
    assert_eq!(error.resource, "NetworkPolicy/default/p");

    // `read` keeps the readable policies and returns the errors beside them.
    let good = named("good", json!({"podSelector": {}}));
    let broken = named(
        "broken",
        json!({"podSelector": {}, "ingress": [{"ports": [{"protocol": "ICMP"}]}]}),
    );
    let (cluster, errors) = Cluster::read([&good, &broken]);
    assert_eq!(cluster.policies.len(), 1);
    assert_eq!(cluster.policies[0].name, "good");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].resource, "NetworkPolicy/default/broken");
    assert!(Cluster::from_documents([&good, &broken]).is_err());
}

#[test]
fn analyses_name_rule_path_and_severity() {
    let mut c = cluster(&[
        named(
            "wide",
            json!({"podSelector": {"matchLabels": {"app": "a"}}, "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"from": [{"namespaceSelector": {}}, {"podSelector": {}},
                                  {"namespaceSelector": {}, "podSelector": {"matchLabels": {"r": "x"}}}]}],
            "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}},
                               {"ipBlock": {"cidr": "::/0"}}, {"ipBlock": {"cidr": "10.0.0.0/7"}},
                               {"ipBlock": {"cidr": "10.0.0.0/8"}}]}]}),
        ),
        named(
            "ghost",
            json!({"podSelector": {"matchLabels": {"app": "nobody"}}, "policyTypes": ["Ingress"]}),
        ),
        named(
            "deny-in",
            json!({"podSelector": {}, "policyTypes": ["Ingress"]}),
        ),
    ]);
    pod(&mut c, "a", "default", &[("app", "a")]);
    let issues = analysis::analyse(&c);
    let found: Vec<(&str, &str, &str, Severity)> = issues
        .iter()
        .map(|i| (i.rule, i.resource.as_str(), i.path.as_str(), i.severity))
        .collect();
    assert_eq!(
        found,
        vec![
            (
                analysis::PEER_ALL_NAMESPACES,
                "NetworkPolicy/default/wide",
                "spec.ingress[0].from[0]",
                Severity::High
            ),
            (
                analysis::PEER_ALL_PODS,
                "NetworkPolicy/default/wide",
                "spec.ingress[0].from[1]",
                Severity::Low
            ),
            (
                analysis::PEER_ALL_NAMESPACES,
                "NetworkPolicy/default/wide",
                "spec.ingress[0].from[2]",
                Severity::Medium
            ),
            (
                analysis::IPBLOCK_ANY,
                "NetworkPolicy/default/wide",
                "spec.egress[0].to[0]",
                Severity::Medium
            ),
            (
                analysis::IPBLOCK_ANY,
                "NetworkPolicy/default/wide",
                "spec.egress[0].to[1]",
                Severity::Medium
            ),
            (
                analysis::IPBLOCK_WIDE,
                "NetworkPolicy/default/wide",
                "spec.egress[0].to[2]",
                Severity::Low
            ),
            (
                analysis::NO_DEFAULT_DENY_EGRESS,
                "Namespace/default",
                "",
                Severity::Medium
            ),
            (
                analysis::SELECTS_NOTHING,
                "NetworkPolicy/default/ghost",
                "spec.podSelector",
                Severity::Info
            ),
        ]
    );
    assert!(
        issues[3].message.contains("except 10.0.0.0/8"),
        "{}",
        issues[3].message
    );
}
