//! Tests of [`super`]: kept apart so the module reads as code.

use super::super::cluster::{Cluster, Decision, Endpoint, Pod};
use super::super::policy::Protocol::{Tcp, Udp};
use super::Direction;
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

fn parsed(spec: Value) -> Result<super::CiliumRule, (String, String)> {
    super::CiliumPolicy::parse(&cnp("shop", spec))
        .map(|p| {
            assert_eq!(p.resource, "CiliumNetworkPolicy/shop/c");
            p.rules[0].clone()
        })
        .map_err(|e| (e.path, e.message))
}

fn egress_item(item: Value) -> super::Item {
    parsed(json!({"endpointSelector": {}, "egress": [item]}))
        .unwrap()
        .egress[0]
        .clone()
}

fn labels(pairs: &[(&str, &str)]) -> super::Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn entities_and_ports_read_and_show_as_written() {
    use super::Entity;
    for (text, entity, shown) in [
        ("host", Entity::Host, "host"),
        ("remote-node", Entity::RemoteNode, "remote-node"),
        ("kube-apiserver", Entity::KubeApiserver, "kube-apiserver"),
        ("ingress", Entity::Ingress, "ingress"),
        ("cluster", Entity::Cluster, "cluster"),
        ("init", Entity::Init, "init"),
        ("health", Entity::Health, "health"),
        ("unmanaged", Entity::Unmanaged, "unmanaged"),
        ("world", Entity::World, "world"),
        ("world-ipv4", Entity::World, "world"),
        ("world-ipv6", Entity::World, "world"),
        ("all", Entity::All, "all"),
    ] {
        assert_eq!(Entity::parse(text), Some(entity), "{text}");
        assert_eq!(entity.to_string(), shown);
    }
    assert_eq!(Entity::parse("everything"), None);
    let shown = |protocol, port| super::CiliumPort { protocol, port }.to_string();
    use super::PortMatch::{Any, Named, Range};
    assert_eq!(shown(None, Any), "ANY any port");
    assert_eq!(shown(Some(Tcp), Range(80, 80)), "TCP 80");
    assert_eq!(shown(Some(Udp), Range(80, 90)), "UDP 80-90");
    assert_eq!(shown(None, Named("http".into())), "ANY \"http\"");
    assert_eq!(super::bare("k8s:app"), "app");
    assert_eq!(super::bare("any:app"), "app");
    assert_eq!(super::bare("app"), "app");
}

#[test]
fn rules_select_pods_of_their_namespace_and_isolate_the_sections_they_have() {
    let rule = parsed(
        json!({"endpointSelector": {"matchLabels": {"k8s:app": "a"}},
                             "egress": [{"toEntities": ["world"]}], "ingress": []}),
    )
    .unwrap();
    assert!(rule.selects("shop", "shop", &labels(&[("app", "a")])));
    assert!(!rule.selects("shop", "other", &labels(&[("app", "a")])));
    assert!(!rule.selects("shop", "shop", &labels(&[("app", "b")])));
    // An empty ingress list is no section.
    assert!(rule.isolates(Direction::Egress) && !rule.isolates(Direction::Ingress));
    assert_eq!(rule.items(Direction::Egress), rule.egress.as_slice());
    assert_eq!(rule.items(Direction::Ingress), rule.ingress.as_slice());
    assert_eq!(rule.egress[0].path, "spec.egress[0]");
    // enableDefaultDeny per direction.
    for (deny, ingress, egress) in [
        (json!({"ingress": false}), false, true),
        (json!({"egress": false}), true, false),
        (json!({}), true, true),
    ] {
        let rule = parsed(json!({"endpointSelector": {}, "enableDefaultDeny": deny,
                                 "egress": [{}], "ingress": [{}]}))
        .unwrap();
        assert_eq!(
            (
                rule.isolates(Direction::Ingress),
                rule.isolates(Direction::Egress)
            ),
            (ingress, egress),
            "{deny}"
        );
    }
    // A host policy (nodeSelector) selects no pod.
    let host = parsed(json!({"nodeSelector": {}, "egress": [{}]})).unwrap();
    assert!(!host.selects("shop", "shop", &labels(&[])));
    // spec and specs both hold rules; a null spec none.
    let both = super::CiliumPolicy::parse(&json!({"metadata": {"name": "m"}, "spec": null,
        "specs": [{"endpointSelector": {}}, {"endpointSelector": {"matchLabels": {"a": "b"}}}]}))
    .unwrap();
    assert_eq!(both.resource, "CiliumNetworkPolicy/default/m");
    let paths: Vec<&str> = both.rules.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, ["specs[0]", "specs[1]"]);
}

#[test]
fn endpoint_peers_add_the_policy_namespace_unless_they_name_one() {
    use super::CiliumPeer;
    let item = egress_item(json!({"toEndpoints": [
        {"matchLabels": {"k8s:app": "a"}},
        {"matchLabels": {"k8s:io.kubernetes.pod.namespace": "ops"}},
        {"matchExpressions": [{"key": "k8s:io.cilium.k8s.namespace.labels.team", "operator": "Exists"}]}
    ]}));
    let own: Vec<bool> = item
        .peers
        .iter()
        .map(|p| {
            matches!(
                p,
                CiliumPeer::Endpoints {
                    own_namespace: true,
                    ..
                }
            )
        })
        .collect();
    assert_eq!(own, [true, false, false]);
    let a = labels(&[("app", "a")]);
    assert!(item.peers[0].matches_pod("shop", "shop", &a));
    assert!(!item.peers[0].matches_pod("shop", "ops", &a));
    assert!(!item.peers[0].matches_pod("shop", "shop", &labels(&[("app", "b")])));
    let in_ops = labels(&[("io.kubernetes.pod.namespace", "ops")]);
    assert!(item.peers[1].matches_pod("shop", "ops", &in_ops));
    assert!(!CiliumPeer::Entity(super::Entity::All).matches_pod("shop", "shop", &a));
}

#[test]
fn every_peer_kind_is_read() {
    use super::{CiliumPeer, Entity};
    let item = egress_item(json!({
        "toEntities": ["world", "kube-apiserver"],
        "toCIDR": ["10.0.0.1"],
        "toCIDRSet": [{"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}, {"cidrGroupRef": "g"}],
        "toFQDNs": [{"matchName": "a.example.com"}, {"matchPattern": "*.example.com"}],
        "toServices": [{}], "toNodes": null
    }));
    let block = |cidr: &str, except: &[&str]| {
        CiliumPeer::Cidr(super::IpBlock {
            cidr: cidr.parse().unwrap(),
            except: except.iter().map(|e| e.parse().unwrap()).collect(),
        })
    };
    assert_eq!(
        item.peers,
        [
            CiliumPeer::Entity(Entity::World),
            CiliumPeer::Entity(Entity::KubeApiserver),
            block("10.0.0.1/32", &[]),
            block("10.0.0.0/8", &["10.1.0.0/16"]),
            CiliumPeer::Unsupported("spec.egress[0].toCIDRSet[1]".into()),
            CiliumPeer::Fqdn {
                pattern: "a.example.com".into(),
                wildcard: false
            },
            CiliumPeer::Fqdn {
                pattern: "*.example.com".into(),
                wildcard: true
            },
            CiliumPeer::Unsupported("spec.egress[0].toServices".into()),
        ]
    );
    // Ingress reads the from* fields; toFQDNs is egress only.
    let rule = parsed(json!({"endpointSelector": {}, "ingress": [
        {"fromEntities": ["host"], "fromCIDR": ["10.0.0.0/8"], "fromNodes": [{}],
         "toFQDNs": [{"matchName": "a.example.com"}], "toEntities": ["world"]}]}))
    .unwrap();
    assert_eq!(
        rule.ingress[0].peers,
        [
            CiliumPeer::Entity(Entity::Host),
            block("10.0.0.0/8", &[]),
            CiliumPeer::Unsupported("spec.ingress[0].fromNodes".into()),
        ]
    );
}

#[test]
fn ports_and_l7_rules_are_read() {
    use super::PortMatch::{Any, Named, Range};
    let item = egress_item(json!({"toPorts": [
        {"ports": [{"port": "53", "protocol": "UDP"}, {"port": "0", "protocol": "TCP"}, {"port": "", "protocol": "ANY"},
                   {"port": "8000", "endPort": 8010}, {"port": "9000", "endPort": 8999}, {"port": 7000}, {"port": "http"}, {}],
         "rules": {"dns": [{"matchName": "a.example.com"}, {"matchPattern": "*.example.com"}]}},
        {"rules": {"dns": []}},
        {"rules": {"http": [{"method": "GET"}]}},
        {"rules": {"http": [], "kafka": null}}
    ]}));
    let ports: Vec<(Option<super::Protocol>, super::PortMatch)> = item.ports[0]
        .ports
        .iter()
        .map(|p| (p.protocol, p.port.clone()))
        .collect();
    assert_eq!(
        ports,
        [
            (Some(Udp), Range(53, 53)),
            (Some(Tcp), Any),
            (None, Any),
            (None, Range(8000, 8010)),
            // An endPort below the port is no range.
            (None, Range(9000, 9000)),
            (None, Range(7000, 7000)),
            (None, Named("http".into())),
            (None, Any),
        ]
    );
    assert_eq!(item.ports[0].path, "spec.egress[0].toPorts[0]");
    assert_eq!(
        item.ports[0].dns.as_deref(),
        Some(&["a.example.com".to_string(), "*.example.com".to_string()][..])
    );
    // An empty DNS list is no filter; an http rule is L7, an empty one not.
    let l7: Vec<(bool, bool)> = item
        .ports
        .iter()
        .map(|p| (p.dns.is_some(), p.other_l7))
        .collect();
    assert_eq!(
        l7,
        [(true, false), (false, false), (false, true), (false, false)]
    );
}

#[test]
fn unreadable_fields_are_named_by_their_path() {
    for (spec, path, message) in [
        (
            json!({"endpointSelector": "a"}),
            "spec.endpointSelector",
            "a label selector must be a mapping",
        ),
        (
            json!({"endpointSelector": {"matchLabels": []}}),
            "spec.endpointSelector.matchLabels",
            "must be a mapping of labels",
        ),
        (json!({"egress": {}}), "spec.egress", "must be a list"),
        (
            json!({"ingress": ["x"]}),
            "spec.ingress[0]",
            "an item must be a mapping",
        ),
        (
            json!({"egress": [{"toEndpoints": {}}]}),
            "spec.egress[0].toEndpoints",
            "must be a list",
        ),
        (
            json!({"egress": [{"toEntities": ["everything"]}]}),
            "spec.egress[0].toEntities[0]",
            "\"everything\" is not a Cilium entity",
        ),
        (
            json!({"egress": [{"toCIDR": ["10.0.0.0/33"]}]}),
            "spec.egress[0].toCIDR[0]",
            "\"10.0.0.0/33\" is not a CIDR",
        ),
        (
            json!({"egress": [{"toCIDRSet": [{"cidr": "x"}]}]}),
            "spec.egress[0].toCIDRSet[0].cidr",
            "\"x\" is not a CIDR",
        ),
        (
            json!({"egress": [{"toCIDRSet": [{"cidr": "10.0.0.0/8", "except": ["y"]}]}]}),
            "spec.egress[0].toCIDRSet[0].except[0]",
            "\"y\" is not a CIDR",
        ),
        (
            json!({"egress": [{"toFQDNs": [{}]}]}),
            "spec.egress[0].toFQDNs[0]",
            "needs matchName or matchPattern",
        ),
        (
            json!({"egress": [{"toPorts": [{"ports": [{"port": "80", "protocol": "ICMP"}]}]}]}),
            "spec.egress[0].toPorts[0].ports[0].protocol",
            "\"ICMP\" is not TCP, UDP, SCTP or ANY",
        ),
    ] {
        assert_eq!(
            parsed(spec.clone()).unwrap_err(),
            (path.to_string(), message.to_string()),
            "{spec}"
        );
    }
}

#[test]
fn a_port_entry_admits_its_protocol_range_and_named_port() {
    use super::PortMatch::{Any, Named, Range};
    use super::{CiliumPort, port_admits};
    let port = |protocol, port| CiliumPort { protocol, port };
    assert!(port_admits(&port(None, Any), 1, Udp, None));
    assert!(!port_admits(&port(Some(Tcp), Any), 1, Udp, None));
    let range = port(Some(Tcp), Range(80, 90));
    assert!(port_admits(&range, 80, Tcp, None) && port_admits(&range, 90, Tcp, None));
    assert!(!port_admits(&range, 79, Tcp, None) && !port_admits(&range, 91, Tcp, None));
    let web = Pod {
        id: "web".into(),
        namespace: "shop".into(),
        labels: labels(&[]),
        ports: vec![
            super::super::ContainerPort {
                name: Some("http".into()),
                port: 8000,
                protocol: Tcp,
            },
            super::super::ContainerPort {
                name: Some("dns".into()),
                port: 5353,
                protocol: Udp,
            },
        ],
        host_network: false,
    };
    let http = port(None, Named("http".into()));
    assert!(port_admits(&http, 8000, Tcp, Some(&web)));
    assert!(!port_admits(&http, 8000, Tcp, None));
    assert!(!port_admits(&http, 8001, Tcp, Some(&web)));
    assert!(!port_admits(&http, 8000, Udp, Some(&web)));
    assert!(!port_admits(
        &port(None, Named("dns".into())),
        8000,
        Tcp,
        Some(&web)
    ));
}

#[test]
fn dns_egress_counts_the_dns_pods_node_resolvers_and_remote_addresses() {
    use crate::platform::cluster::DnsFacts;
    let shop = labels(&[("app", "shop")]);
    let gives = |item: Value, dns: &DnsFacts, protocol| {
        super::CiliumPolicy::parse(&cnp(
            "shop",
            json!({"endpointSelector": {"matchLabels": {"app": "shop"}}, "egress": [item]}),
        ))
        .unwrap()
        .gives_dns("shop", &shop, dns, protocol)
    };
    let kubeadm = DnsFacts::default();
    let to_dns = json!([{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "kube-system", "k8s:k8s-app": "kube-dns"}}]);
    // No toPorts, or a toPorts entry without ports: every port.
    assert!(gives(json!({"toEndpoints": to_dns}), &kubeadm, Tcp));
    assert!(gives(
        json!({"toEndpoints": to_dns, "toPorts": [{}]}),
        &kubeadm,
        Udp
    ));
    assert!(!gives(
        json!({"toEndpoints": to_dns, "toPorts": [{"ports": [{"port": "54"}]}]}),
        &kubeadm,
        Udp
    ));
    // Pods of another namespace, or no DNS pods in the profile.
    assert!(!gives(
        json!({"toEndpoints": [{"matchLabels": {"k8s-app": "kube-dns"}}]}),
        &kubeadm,
        Udp
    ));
    let no_pods = DnsFacts {
        pods: None,
        ..kubeadm.clone()
    };
    assert!(!gives(json!({"toEndpoints": to_dns}), &no_pods, Udp));
    // The host entity (or all) only where resolvers are node-level.
    let node = DnsFacts {
        node_cidrs: vec!["169.254.20.10/32".into()],
        ..kubeadm.clone()
    };
    assert!(gives(json!({"toEntities": ["all"]}), &node, Udp));
    assert!(!gives(json!({"toEntities": ["world"]}), &node, Udp));
    assert!(!gives(json!({"toEntities": ["host"]}), &kubeadm, Udp));
    // Remote resolvers: a CIDR rule that holds them.
    let remote = DnsFacts {
        remote_cidrs: vec!["169.254.169.254/32".into()],
        ..kubeadm.clone()
    };
    assert!(gives(json!({"toCIDR": ["169.254.0.0/16"]}), &remote, Udp));
    assert!(!gives(json!({"toCIDR": ["10.0.0.0/8"]}), &remote, Udp));
    assert!(!gives(json!({"toCIDR": ["169.254.0.0/16"]}), &kubeadm, Udp));
    // A profile port other than 53.
    let other_port = DnsFacts {
        port: 5353,
        ..kubeadm.clone()
    };
    assert!(gives(
        json!({"toEndpoints": to_dns, "toPorts": [{"ports": [{"port": "5353"}]}]}),
        &other_port,
        Udp
    ));
    assert!(!gives(
        json!({"toEndpoints": to_dns, "toPorts": [{"ports": [{"port": "53"}]}]}),
        &other_port,
        Udp
    ));
}

#[test]
fn a_dns_filter_lets_its_names_through() {
    let filter = super::DnsFilter {
        rules: Vec::new(),
        ports: Vec::new(),
        names: vec!["api.stripe.com".into(), "*.example.com".into()],
    };
    assert!(filter.allows("api.stripe.com") && filter.allows("a.example.com"));
    assert!(!filter.allows("example.com") && !filter.allows("stripe.com"));
}
