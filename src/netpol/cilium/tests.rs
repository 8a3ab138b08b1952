//! Tests of [`super`]: kept apart so the module reads as code.

use super::super::cluster::{Cluster, Decision, Endpoint, Pod};
use super::super::policy::Protocol::{Tcp, Udp};
use serde_json::{Value, json};

fn pod(cluster: &mut Cluster, namespace: &str, app: &str, host_network: bool) -> Endpoint {
    cluster.add_pod(Pod {
        id: format!("{namespace}/{app}"),
        namespace: namespace.into(),
        labels: [("app".to_string(), app.to_string())].into(),
        ports: Vec::new(),
        host_network,
    })
}

fn cnp(namespace: &str, spec: Value) -> Value {
    json!({"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
           "metadata": {"name": "c", "namespace": namespace}, "spec": spec})
}

fn np(name: &str, namespace: &str, spec: Value) -> Value {
    json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
           "metadata": {"name": name, "namespace": namespace}, "spec": spec})
}

fn deny_all(namespace: &str) -> Value {
    np(
        "deny",
        namespace,
        json!({"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
    )
}

/// The DNS rule harden renders, for `names`.
fn dns_rule(names: &[&str]) -> Value {
    json!({"toEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "kube-system", "k8s:k8s-app": "kube-dns"}}],
           "toPorts": [{"ports": [{"port": "53", "protocol": "UDP"}, {"port": "53", "protocol": "TCP"}],
                        "rules": {"dns": names.iter().map(|n| if n.contains('*') {
                            json!({"matchPattern": n}) } else { json!({"matchName": n}) }).collect::<Vec<_>>()}}]})
}

fn cluster(documents: &[Value]) -> Cluster {
    Cluster::from_documents(documents).unwrap()
}

#[test]
fn allows_of_both_kinds_add_up() {
    // Cilium intro.rst: "traffic matching the union of those rules will
    // be allowed". The NetworkPolicy default deny isolates; the CNP allows.
    let mut c = cluster(&[
        deny_all("shop"),
        cnp(
            "shop",
            json!({"endpointSelector": {"matchLabels": {"k8s:app": "a"}},
                   "egress": [{"toEndpoints": [{"matchLabels": {"app": "b"}}],
                               "toPorts": [{"ports": [{"port": "80"}]}]}]}),
        ),
        np(
            "b-in",
            "shop",
            json!({"podSelector": {"matchLabels": {"app": "b"}}, "policyTypes": ["Ingress"],
                   "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "a"}}}]}]}),
        ),
    ]);
    let a = pod(&mut c, "shop", "a", false);
    let b = pod(&mut c, "shop", "b", false);
    let verdict = c.allowed(a, b, 80, Tcp);
    assert!(verdict.allowed, "{verdict}");
    assert!(
        verdict.to_string().contains("CiliumNetworkPolicy/shop/c"),
        "{verdict}"
    );
    // No protocol: any protocol (language.rst PortProtocol).
    assert!(c.allowed(a, b, 80, Udp).allowed);
    assert!(!c.allowed(a, b, 81, Tcp).allowed);
    // b has no egress allow: the default deny holds.
    assert!(!c.allowed(b, a, 80, Tcp).allowed);
    // An egress section isolates even when the NetworkPolicies do not.
    let mut c = cluster(&[cnp(
        "shop",
        json!({"endpointSelector": {"matchLabels": {"app": "a"}},
               "egress": [{"toPorts": [{"ports": [{"port": "443", "protocol": "TCP"}]}]}]}),
    )]);
    let a = pod(&mut c, "shop", "a", false);
    let b = pod(&mut c, "shop", "b", false);
    assert!(!c.allowed(a, b, 80, Tcp).allowed);
    // An item with toPorts and no L3 peer: every destination.
    assert!(c.allowed(a, b, 443, Tcp).allowed);
    assert!(c.allowed(b, a, 80, Tcp).allowed, "no ingress section");
}

#[test]
fn an_empty_section_or_enable_default_deny_false_does_not_isolate() {
    for spec in [
        json!({"endpointSelector": {}, "egress": []}),
        json!({"endpointSelector": {}, "enableDefaultDeny": {"egress": false},
               "egress": [{"toEntities": ["kube-apiserver"]}]}),
    ] {
        let mut c = cluster(&[cnp("shop", spec)]);
        let a = pod(&mut c, "shop", "a", false);
        let b = pod(&mut c, "shop", "b", false);
        assert_eq!(
            c.allowed(a, b, 80, Tcp).egress,
            Decision::NotIsolated,
            "{:?}",
            c.cilium
        );
    }
}

#[test]
fn to_endpoints_default_to_the_policys_namespace() {
    let mut c = cluster(&[cnp(
        "shop",
        json!({"endpointSelector": {},
               "egress": [{"toEndpoints": [{"matchLabels": {"k8s:app": "db"}}]},
                          {"toEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "ops", "app": "tool"}}]},
                          {"toEndpoints": [{"matchExpressions": [{"key": "io.cilium.k8s.namespace.labels.team", "operator": "In", "values": ["red"]}]}]}]}),
    )]);
    c.add_namespace("red", [("team".to_string(), "red".to_string())].into());
    let a = pod(&mut c, "shop", "a", false);
    let db = pod(&mut c, "shop", "db", false);
    let other_db = pod(&mut c, "other", "db", false);
    let tool = pod(&mut c, "ops", "tool", false);
    let red = pod(&mut c, "red", "x", false);
    let node = pod(&mut c, "shop", "db", true);
    assert!(c.allowed(a, db, 5432, Tcp).allowed);
    assert!(!c.allowed(a, other_db, 5432, Tcp).allowed);
    assert!(c.allowed(a, tool, 1, Udp).allowed);
    assert!(c.allowed(a, red, 1, Tcp).allowed, "namespace labels");
    assert!(
        !c.allowed(a, node, 5432, Tcp).allowed,
        "a hostNetwork pod is the host entity, not an endpoint"
    );
    // An empty selector: every pod of the policy's namespace only.
    let mut c = cluster(&[cnp(
        "shop",
        json!({"endpointSelector": {}, "egress": [{"toEndpoints": [{}]}]}),
    )]);
    let a = pod(&mut c, "shop", "a", false);
    let b = pod(&mut c, "shop", "b", false);
    let elsewhere = pod(&mut c, "other", "b", false);
    assert!(c.allowed(a, b, 80, Tcp).allowed);
    assert!(!c.allowed(a, elsewhere, 80, Tcp).allowed);
}

#[test]
fn entities_match_what_language_rst_says() {
    let entity = |name: &str| {
        cnp(
            "shop",
            json!({"endpointSelector": {"matchLabels": {"app": "a"}},
                   "egress": [{"toEntities": [name]}]}),
        )
    };
    let api: std::net::IpAddr = "10.96.0.1".parse().unwrap();
    let internet: std::net::IpAddr = "203.0.113.9".parse().unwrap();
    // (entity, the API server, an internet address, a pod, a host-network pod)
    for (name, to_api, to_internet, to_pod, to_host) in [
        ("kube-apiserver", true, false, false, false),
        ("world", false, true, false, false),
        ("cluster", false, false, true, true),
        ("host", false, false, false, true),
        ("remote-node", false, false, false, true),
        ("all", true, true, true, true),
        ("health", false, false, false, false),
    ] {
        let mut c = cluster(&[entity(name)]);
        let a = pod(&mut c, "shop", "a", false);
        let other = pod(&mut c, "other", "b", false);
        let host = pod(&mut c, "kube-system", "node", true);
        let api = c.add_api_server(api);
        let cases = [
            (api, to_api),
            (Endpoint::External(internet), to_internet),
            (other, to_pod),
            (host, to_host),
        ];
        for (to, expected) in cases {
            assert_eq!(
                c.allowed(a, to, 443, Tcp).allowed,
                expected,
                "{name} to {to:?}"
            );
        }
    }
}

#[test]
fn cidr_sets_and_fqdns() {
    let mut c = cluster(&[cnp(
        "shop",
        json!({"endpointSelector": {},
               "egress": [{"toCIDRSet": [{"cidr": "198.51.100.0/24", "except": ["198.51.100.128/25"]}]},
                          {"toCIDR": ["192.0.2.1/32"]},
                          {"toFQDNs": [{"matchName": "api.stripe.com"}, {"matchPattern": "*.ingest.de.sentry.io"}],
                           "toPorts": [{"ports": [{"port": "443", "protocol": "TCP"}]}]}]}),
    )]);
    let a = pod(&mut c, "shop", "a", false);
    let ip = |t: &str| Endpoint::External(t.parse().unwrap());
    assert!(c.allowed(a, ip("198.51.100.1"), 1, Tcp).allowed);
    assert!(!c.allowed(a, ip("198.51.100.200"), 1, Tcp).allowed);
    assert!(c.allowed(a, ip("192.0.2.1"), 1, Udp).allowed);
    let stripe = c.add_host("api.stripe.com");
    let sentry = c.add_host("o1.ingest.de.sentry.io");
    let deeper = c.add_host("a.o1.ingest.de.sentry.io");
    let other = c.add_host("example.com");
    assert!(c.allowed(a, stripe, 443, Tcp).allowed);
    assert!(!c.allowed(a, stripe, 80, Tcp).allowed);
    assert!(c.allowed(a, sentry, 443, Tcp).allowed);
    assert!(!c.allowed(a, deeper, 443, Tcp).allowed, "* is one label");
    assert!(!c.allowed(a, other, 443, Tcp).allowed);
    // CIDR rules do not match pods (language.rst).
    let b = pod(&mut c, "shop", "b", false);
    assert!(!c.allowed(a, b, 1, Tcp).allowed);
}

#[test]
fn a_dns_rule_allows_through_the_proxy_for_its_names() {
    let mut c = cluster(&[
        deny_all("shop"),
        cnp(
            "shop",
            json!({"endpointSelector": {"matchLabels": {"app": "a"}},
                   "egress": [dns_rule(&["api.stripe.com", "*.shop.svc.cluster.local."])]}),
        ),
    ]);
    let a = pod(&mut c, "shop", "a", false);
    let dns = c.add_pod(Pod {
        id: "dns".into(),
        namespace: "kube-system".into(),
        labels: [("k8s-app".to_string(), "kube-dns".to_string())].into(),
        ports: Vec::new(),
        host_network: false,
    });
    let verdict = c.allowed(a, dns, 53, Udp);
    assert!(verdict.allowed);
    assert!(
        matches!(&verdict.egress, Decision::Filtered { names, .. } if names.len() == 2),
        "{verdict}"
    );
    let Endpoint::Pod(index) = a else {
        unreachable!()
    };
    let filter = c.dns_filter(&c.pods[index]).unwrap();
    assert_eq!(filter.ports, ["UDP 53", "TCP 53"]);
    assert!(filter.allows("ledger.shop.svc.cluster.local"));
    assert!(!filter.allows("ledger.other.svc.cluster.local"));
    assert!(!filter.allows("example.com"));
    assert!(c.voided_dns_filters().is_empty());
}

/// Each allow that voids the filter, and each that does not.
#[test]
fn plain_allows_of_the_dns_port_void_the_filter() {
    let filtered = cnp(
        "shop",
        json!({"endpointSelector": {"matchLabels": {"k8s:app": "a"}},
               "egress": [dns_rule(&["api.stripe.com"]),
                          {"toFQDNs": [{"matchName": "api.stripe.com"}],
                           "toPorts": [{"ports": [{"port": "443", "protocol": "TCP"}]}]}]}),
    );
    let egress = |rule: Value| {
        np(
            "extra",
            "shop",
            json!({"podSelector": {"matchLabels": {"app": "a"}}, "policyTypes": ["Egress"], "egress": [rule]}),
        )
    };
    let voids = |extra: Vec<Value>, with_workload: bool| {
        let mut documents = vec![deny_all("shop"), filtered.clone()];
        documents.extend(extra);
        let mut c = cluster(&documents);
        if with_workload {
            pod(&mut c, "shop", "a", false);
        }
        c.voided_dns_filters()
    };
    for (rule, void) in [
        (json!({"ports": [{"protocol": "UDP", "port": 53}]}), true),
        (
            json!({"ports": [{"protocol": "TCP", "port": 50, "endPort": 60}]}),
            true,
        ),
        (
            json!({"to": [{"podSelector": {"matchLabels": {"app": "b"}}}]}),
            true,
        ),
        (json!({"ports": [{"protocol": "TCP", "port": 443}]}), false),
        (json!({"ports": [{"protocol": "SCTP", "port": 53}]}), false),
    ] {
        let found = voids(vec![egress(rule.clone())], true);
        assert_eq!(!found.is_empty(), void, "{rule}: {found:?}");
        if void {
            assert_eq!(found[0].resource, "NetworkPolicy/shop/extra");
            assert_eq!(found[0].path, "spec.egress[0]");
            assert_eq!(found[0].pod, "shop/a");
        }
        // Without the workload: an example pod of the selector.
        assert_eq!(!voids(vec![egress(rule.clone())], false).is_empty(), void);
    }
    // A policy that does not select the pods, or does not isolate egress.
    let other = np(
        "other",
        "shop",
        json!({"podSelector": {"matchLabels": {"app": "b"}}, "policyTypes": ["Egress"],
               "egress": [{"ports": [{"protocol": "UDP", "port": 53}]}]}),
    );
    assert!(voids(vec![other], true).is_empty());
    // A Cilium item without DNS rules on 53 voids; one with them does not;
    // an empty DNS list is no L7 rule (l4.go).
    for (item, void) in [
        (
            json!({"toEndpoints": [{}], "toPorts": [{"ports": [{"port": "53", "protocol": "UDP"}], "rules": {"dns": []}}]}),
            true,
        ),
        (
            json!({"toEndpoints": [{}], "toPorts": [{"ports": [{"port": "53"}]}]}),
            true,
        ),
        (json!({"toEntities": ["world"]}), true),
        (dns_rule(&["example.com"]), false),
    ] {
        let extra = cnp(
            "shop",
            json!({"endpointSelector": {"matchLabels": {"app": "a"}}, "egress": [item.clone()]}),
        );
        let mut extra = extra;
        extra["metadata"]["name"] = json!("extra");
        let found = voids(vec![extra], true);
        assert_eq!(!found.is_empty(), void, "{item}: {found:?}");
    }
}

#[test]
fn a_dns_proxy_rule_counts_as_dns_egress() {
    // What control/dns-egress asks (moved from src/audit/cilium.rs,
    // which had a selector matcher of its own).
    let policy = super::CiliumPolicy::parse(&cnp(
        "shop",
        json!({"endpointSelector": {"matchLabels": {"k8s:app.kubernetes.io/name": "shop"}},
               "egress": [{
                   "toEndpoints": [{"matchLabels": {
                       "k8s:io.kubernetes.pod.namespace": "kube-system",
                       "k8s:k8s-app": "kube-dns"}}],
                   "toPorts": [{"ports": [{"port": "53", "protocol": "UDP"}],
                                "rules": {"dns": [{"matchName": "api.stripe.com"}]}}]}]}),
    ))
    .unwrap();
    let shop = [("app.kubernetes.io/name".to_string(), "shop".to_string())].into();
    let other = [("app.kubernetes.io/name".to_string(), "x".to_string())].into();
    let dns = crate::platform::cluster::DnsFacts::default();
    assert!(policy.gives_dns("shop", &shop, &dns, Udp));
    assert!(!policy.gives_dns("shop", &shop, &dns, Tcp));
    assert!(!policy.gives_dns("shop", &other, &dns, Udp));
    assert!(!policy.gives_dns("elsewhere", &shop, &dns, Udp));
    let mut metrics = dns.clone();
    metrics.pods = Some(crate::platform::cluster::DnsPods {
        namespace: "kube-system".into(),
        labels: vec![("k8s-app".into(), "metrics".into())],
    });
    assert!(!policy.gives_dns("shop", &shop, &metrics, Udp));
    // Node-level resolvers: the host entity on the DNS port counts.
    let node_local = super::CiliumPolicy::parse(&cnp(
        "shop",
        json!({"endpointSelector": {"matchLabels": {"k8s:app.kubernetes.io/name": "shop"}},
               "egress": [{"toEntities": ["host"],
                           "toPorts": [{"ports": [{"port": "53", "protocol": "UDP"}]}]}]}),
    ))
    .unwrap();
    assert!(!node_local.gives_dns("shop", &shop, &dns, Udp));
    let with_address = crate::platform::cluster::DnsFacts {
        cidrs: vec!["169.254.20.10/32".into()],
        node_cidrs: vec!["169.254.20.10/32".into()],
        ..dns.clone()
    };
    assert!(node_local.gives_dns("shop", &shop, &with_address, Udp));
}

#[test]
fn any_prefixed_keys_and_a_dns_rule_for_any_protocol() {
    // As language.rst's DNS example writes it: `any:` keys, protocol ANY.
    let mut c = cluster(&[cnp(
        "default",
        json!({"endpointSelector": {"matchLabels": {"any:org": "alliance"}},
               "egress": [{"toEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "kube-system", "k8s:k8s-app": "kube-dns"}}],
                           "toPorts": [{"ports": [{"port": "53", "protocol": "ANY"}],
                                        "rules": {"dns": [{"matchPattern": "*.example.org"}]}}]},
                          {"toCIDRSet": [{"cidr": "10.0.0.0/8", "except": ["10.96.0.0/12"]}]}]}),
    )]);
    let ship = c.add_pod(Pod {
        id: "xwing".into(),
        namespace: "default".into(),
        labels: [("org".to_string(), "alliance".to_string())].into(),
        ports: Vec::new(),
        host_network: false,
    });
    let Endpoint::Pod(index) = ship else {
        unreachable!()
    };
    let filter = c.dns_filter(&c.pods[index]).unwrap();
    assert_eq!(filter.ports, ["ANY 53"]);
    assert!(filter.allows("docs.example.org"));
    // The CIDR item has no ports: every port to 10.0.0.0/8, a resolver
    // there included, so the filter is bypassed.
    let voids = c.voided_dns_filters();
    assert_eq!(voids.len(), 1, "{voids:?}");
    assert_eq!(voids[0].path, "spec.egress[1]");
    assert_eq!(voids[0].ports, ["any port"]);
}

#[test]
fn a_dns_rule_on_another_port_makes_that_port_dns() {
    let filtered = cnp(
        "shop",
        json!({"endpointSelector": {"matchLabels": {"app": "a"}},
               "egress": [{"toEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "openshift-dns"}}],
                           "toPorts": [{"ports": [{"port": "5353", "protocol": "UDP"}],
                                        "rules": {"dns": [{"matchPattern": "*"}]}}]}]}),
    );
    let plain = np(
        "plain",
        "shop",
        json!({"podSelector": {}, "policyTypes": ["Egress"],
               "egress": [{"ports": [{"protocol": "UDP", "port": 5353}]}]}),
    );
    let mut c = cluster(&[filtered, plain]);
    pod(&mut c, "shop", "a", false);
    let found = c.voided_dns_filters();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].ports, ["UDP 5353"]);
}
