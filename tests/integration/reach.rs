//! `harden reach` and the NetworkPolicy evaluator on harden's own output:
//! the rendered policies allow exactly the flows each example spec needs
//! and deny the rest, end to end (both sides must allow).

use std::fs;
use std::net::IpAddr;

use harden::audit::manifests::Manifest;
use harden::netpol::{Cluster, Endpoint, Labels, Pod, Protocol, analysis};

use crate::support::harden::{Harden, repo};

const TCP: Protocol = Protocol::Tcp;
const UDP: Protocol = Protocol::Udp;

fn specs() -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(repo().join("specs"))
        .unwrap()
        .filter_map(|e| e.ok()?.path().file_stem()?.to_str().map(str::to_string))
        .collect();
    names.sort();
    assert!(names.len() >= 4, "{names:?}");
    names
}

/// The cluster picture of a spec's rendered manifests.
fn rendered(spec: &str) -> Cluster {
    let model =
        harden::load::load_spec(&repo().join("specs").join(format!("{spec}.yaml"))).unwrap();
    let files =
        harden::render::render(&model, &harden::templates::Templates::embedded().unwrap()).unwrap();
    let mut documents = Vec::new();
    for file in files
        .iter()
        .filter(|f| f.name.ends_with(".yaml") && f.name != "kustomization.yaml")
    {
        documents.extend(
            Manifest::parse_all(&file.name, &file.content)
                .unwrap()
                .into_iter()
                .map(Manifest::into_document),
        );
    }
    Cluster::from_documents(&documents).unwrap()
}

fn add(cluster: &mut Cluster, namespace: &str, pairs: &[(&str, &str)]) -> Endpoint {
    let labels: Labels = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    cluster.add_pod(Pod {
        id: format!("{namespace}/{pairs:?}"),
        namespace: namespace.into(),
        labels,
        ports: Vec::new(),
        host_network: false,
    })
}

fn ip(text: &str) -> Endpoint {
    Endpoint::External(text.parse::<IpAddr>().unwrap())
}

#[test]
fn task_api_allows_exactly_its_declared_flows() {
    let mut c = rendered("task-api");
    let api = c.endpoint("Deployment/task-api/task-api").unwrap();
    let envoy = add(
        &mut c,
        "envoy-gateway-system",
        &[("app.kubernetes.io/name", "envoy")],
    );
    let other_gateway_pod = add(
        &mut c,
        "envoy-gateway-system",
        &[("app.kubernetes.io/name", "other")],
    );
    let neighbour = add(&mut c, "task-api", &[]);
    let redis = add(&mut c, "task-api", &[("app.kubernetes.io/name", "redis")]);
    let kube_dns = add(&mut c, "kube-system", &[("k8s-app", "kube-dns")]);
    let sentry = add(&mut c, "dapr-system", &[("app", "dapr-sentry")]);

    // Ingress: the declared caller on the app port, nothing else.
    assert!(c.allowed(envoy, api, 8000, TCP).allowed);
    assert!(!c.allowed(envoy, api, 8001, TCP).allowed);
    assert!(!c.allowed(other_gateway_pod, api, 8000, TCP).allowed);
    assert!(!c.allowed(neighbour, api, 8000, TCP).allowed);
    assert!(!c.allowed(ip("203.0.113.7"), api, 8000, TCP).allowed);
    assert!(
        !c.between_pods(api, api, 8000, TCP).allowed,
        "replicas do not talk to each other"
    );

    // Egress: Redis at both ends (the peer policy opens Redis's ingress).
    let verdict = c.allowed(api, redis, 6379, TCP);
    assert!(verdict.allowed, "{verdict}");
    assert!(!c.allowed(api, redis, 6380, TCP).allowed);
    assert!(
        !c.allowed(neighbour, redis, 6379, TCP).allowed,
        "only task-api may reach Redis"
    );
    // DNS to kube-dns only, UDP and TCP.
    assert!(c.allowed(api, kube_dns, 53, UDP).allowed);
    assert!(c.allowed(api, kube_dns, 53, TCP).allowed);
    assert!(!c.allowed(api, ip("8.8.8.8"), 53, UDP).allowed);
    assert!(c.allowed(api, sentry, 50001, TCP).allowed);
    assert!(
        !c.allowed(api, ip("1.1.1.1"), 443, TCP).allowed,
        "no internet egress"
    );
    assert!(!c.allowed(api, neighbour, 8000, TCP).allowed);
}

#[test]
fn payments_reaches_only_its_cidrs() {
    let mut c = rendered("payments");
    let api = c.endpoint("Deployment/payments-prod/payments").unwrap();
    assert!(c.allowed(api, ip("203.0.113.5"), 443, TCP).allowed);
    assert!(
        !c.allowed(api, ip("203.0.113.200"), 443, TCP).allowed,
        "except 203.0.113.128/25"
    );
    assert!(!c.allowed(api, ip("203.0.113.5"), 80, TCP).allowed);
    assert!(c.allowed(api, ip("172.20.0.10"), 6443, TCP).allowed);
    assert!(!c.allowed(api, ip("172.20.0.11"), 6443, TCP).allowed);
    let postgres = add(
        &mut c,
        "databases",
        &[("app.kubernetes.io/name", "payments-postgres")],
    );
    assert!(c.allowed(api, postgres, 5432, TCP).allowed);
}

#[test]
fn every_example_is_isolated_and_shuts_out_strangers() {
    for spec in specs() {
        let mut c = rendered(&spec);
        // harden's output passes the network-policy analyses, but for the
        // peer policies written for pods deployed elsewhere.
        let issues: Vec<_> = analysis::analyse(&c)
            .into_iter()
            .filter(|i| i.severity > analysis::Severity::Info)
            .collect();
        assert!(issues.is_empty(), "{spec}: {issues:#?}");
        let workloads: Vec<Endpoint> = (0..c.pods.len()).map(Endpoint::Pod).collect();
        assert!(!workloads.is_empty(), "{spec}");
        let stranger = add(&mut c, "stranger", &[("app", "x")]);
        for &workload in &workloads {
            let Endpoint::Pod(index) = workload else {
                unreachable!()
            };
            let pod = c.pods[index].clone();
            for port in &pod.ports {
                let verdict = c.allowed(stranger, workload, port.port, port.protocol);
                assert!(
                    !verdict.allowed,
                    "{spec}: a stranger reaches {} {}: {verdict}",
                    pod.id, port.port
                );
            }
            assert!(
                !c.allowed(workload, stranger, 443, TCP).allowed,
                "{spec}: {} reaches a stranger",
                pod.id
            );
            assert!(
                !c.allowed(workload, ip("192.0.2.1"), 443, TCP).allowed,
                "{spec}: {} reaches the internet",
                pod.id
            );
        }
    }
}

/// Renders the example `spec` to `out` in a fresh directory and runs
/// `harden reach` on it with `args` next.
fn reach_rendered(spec: &str, args: &[&str]) -> Harden {
    Harden::new()
        .example(spec)
        .args([
            "render",
            "--quiet",
            &format!("specs/{spec}.yaml"),
            "--out",
            "out",
        ])
        .run()
        .then()
        .arg("reach")
        .args(args)
        .arg("out")
}

#[test]
fn reach_prints_each_workload_port_by_port() {
    let mut case = reach_rendered("task-api", &["--matrix"]);
    for expected in [
        "Deployment/task-api/task-api\n",
        "  ingress: isolated by default-deny-all, task-api-ingress\n",
        "    from pods app.kubernetes.io/name=envoy in namespace envoy-gateway-system: TCP 8000   [task-api-ingress spec.ingress[0].from[0]]\n",
        "    to DNS: pods k8s-app=kube-dns in namespace kube-system: UDP 53, TCP 53",
        "    to pods app.kubernetes.io/name=redis in namespace task-api: TCP 6379",
        "      other end: TCP 6379: allowed by NetworkPolicy/task-api/task-api-peer-redis spec.ingress[0]\n",
        "between workloads in these manifests: 0 of 1 flows allowed",
    ] {
        case = case.stdout_contains(expected);
    }
    case.run();
}

#[test]
fn reach_json_has_workloads_and_flows() {
    let ran = reach_rendered("payments", &["--format", "json", "--matrix"]).run();
    let report: serde_json::Value = serde_json::from_str(&ran.stdout).unwrap();
    let workload = &report["workloads"][0];
    assert_eq!(workload["id"], "Deployment/payments-prod/payments");
    let grants = workload["egress"]["grants"].as_array().unwrap();
    let block = grants.iter().find(|g| g["kind"] == "ip-block").unwrap();
    assert_eq!(
        block["peer"],
        "addresses 203.0.113.0/24 except 203.0.113.128/25"
    );
    assert_eq!(block["ports"][0], "TCP 443");
    assert_eq!(report["flows"][0]["allowed"], false);
    assert_eq!(report["flows"][0]["protocol"], "TCP");
}

#[test]
fn reach_input_errors_name_file_line_and_field() {
    Harden::new()
        .file(
            "policy.yaml",
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p\n  namespace: shop\nspec:\n  podSelector: {}\n  egress:\n    - to:\n        - ipBlock:\n            cidr: 10.0.0.1/33\n",
        )
        .args(["reach", "policy.yaml"])
        .status(2)
        .stderr_contains("policy.yaml:11: NetworkPolicy/shop/p spec.egress[0].to[0].ipBlock.cidr")
        .stderr_contains("\"10.0.0.1/33\" is not a CIDR")
        .run();
    Harden::new().args(["reach", "missing"]).status(2).run();
}

/// tests/fixtures/reach/semantics.yaml (also compared with nca by the
/// conformance gate): the flows allowed between its workloads, worked out
/// by hand from its comments.
#[test]
fn fixture_flows_are_exactly_the_expected_ones() {
    let ran = Harden::new()
        .args(["reach", "--format", "json", "--matrix"])
        .arg(repo().join("tests/fixtures/reach"))
        .run();
    let report: serde_json::Value = serde_json::from_str(&ran.stdout).unwrap();
    let allowed: Vec<String> = report["flows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["allowed"] == true)
        .map(|f| {
            format!(
                "{} -> {} {} {}",
                f["from"].as_str().unwrap(),
                f["to"].as_str().unwrap(),
                f["protocol"].as_str().unwrap(),
                f["port"]
            )
        })
        .collect();
    assert_eq!(
        allowed,
        [
            // web: egress to db by named port (TCP sql, UDP stats) and to
            // the cache's range 11200-11250 (Exists on legacy); db accepts
            // sql from web and UDP from pods without legacy; cache accepts
            // its range from web.
            "Deployment/shop/web -> Deployment/shop/db TCP 5432",
            "Deployment/shop/web -> Deployment/shop/db UDP 8125",
            "Deployment/shop/web -> StatefulSet/shop/cache TCP 11211",
            // ops is not a dev namespace (NotIn matches a missing key), and
            // backup is role=client in ops (the AND peer): both web ports.
            "CronJob/ops/backup -> Deployment/shop/web TCP 8080",
            "CronJob/ops/backup -> Deployment/shop/web TCP 9090",
            // lab and ops have no policies.
            "CronJob/ops/backup -> Deployment/lab/probe TCP 8081",
            "Deployment/lab/probe -> Deployment/lab/probe TCP 8081",
        ]
    );
}

#[test]
fn reach_on_a_spec_proves_every_declared_flow() {
    for spec in ["task-api", "orders", "payments", "hello"] {
        let ran = Harden::new()
            .current_dir(repo())
            .args(["reach", &format!("specs/{spec}.yaml"), "--format", "json"])
            .run();
        let report: serde_json::Value = serde_json::from_str(&ran.stdout).unwrap();
        let proof = &report["specs"][0];
        assert_eq!(proof["spec"], format!("specs/{spec}.yaml"));
        assert!(proof["required"].as_u64().unwrap() >= 3, "{spec}: {proof}");
        assert!(proof["forbidden"].as_u64().unwrap() >= 5, "{spec}: {proof}");
        assert_eq!(proof["violations"], serde_json::json!([]), "{spec}");
        assert!(report["workload_count"].as_u64().unwrap() > 0, "{spec}");
    }
    Harden::new()
        .current_dir(repo())
        .args(["reach", "specs/orders.yaml"])
        .stdout_contains("specs/orders.yaml: 12 flows the spec and the platform need, 32 that must stay closed\n  all allowed and denied as they must be")
        .run();
}

#[test]
fn reach_on_a_spec_lists_its_hostname_flows() {
    Harden::new()
        .current_dir(repo())
        .args(["reach", "specs/checkout.yaml"])
        .stdout_contains("  by hostname: to api.stripe.com on TCP 443 (egress stripe, CiliumNetworkPolicy toFQDNs)\n")
        .run();
    let ran = Harden::new()
        .current_dir(repo())
        .args(["reach", "specs/checkout.yaml", "--format", "json"])
        .run();
    let report: serde_json::Value = serde_json::from_str(&ran.stdout).unwrap();
    assert_eq!(
        report["specs"][0]["hosts"][0]["hosts"][0]["name"],
        "api.stripe.com"
    );
}

/// Manifests with a CiliumNetworkPolicy: checkout's DNS through the proxy
/// for two names, a hostname flow, the API server by entity; and a
/// NetworkPolicy `leak` whose plain UDP 53 voids the DNS filter.
const CILIUM_MANIFESTS: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: checkout, namespace: shop}
spec:
  template:
    metadata:
      labels: {app: checkout}
    spec:
      containers: [{name: c, image: x, ports: [{containerPort: 8080}]}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ledger, namespace: shop}
spec:
  template:
    metadata:
      labels: {app: ledger}
    spec:
      containers: [{name: c, image: x, ports: [{containerPort: 7000}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny-all, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ledger-ingress, namespace: shop}
spec:
  podSelector: {matchLabels: {app: ledger}}
  policyTypes: [Ingress]
  ingress:
    - from: [{podSelector: {matchLabels: {app: checkout}}}]
      ports: [{protocol: TCP, port: 7000}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: leak, namespace: shop}
spec:
  podSelector: {matchLabels: {app: checkout}}
  policyTypes: [Egress]
  egress:
    - ports: [{protocol: UDP, port: 53}]
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: checkout-cilium, namespace: shop}
spec:
  endpointSelector:
    matchLabels: {"k8s:app": checkout}
  egress:
    - toEndpoints:
        - matchLabels:
            "k8s:io.kubernetes.pod.namespace": kube-system
            "k8s:k8s-app": kube-dns
      toPorts:
        - ports: [{port: "53", protocol: UDP}, {port: "53", protocol: TCP}]
          rules:
            dns:
              - matchName: api.stripe.com
              - matchPattern: "*.shop.svc.cluster.local."
    - toFQDNs: [{matchName: api.stripe.com}]
      toPorts: [{ports: [{port: "443", protocol: TCP}]}]
    - toEntities: [kube-apiserver]
      toPorts: [{ports: [{port: "443", protocol: TCP}]}]
    - toEndpoints: [{matchLabels: {app: ledger}}]
      toPorts: [{ports: [{port: "7000", protocol: TCP}]}]
"#;

#[test]
fn reach_shows_hostnames_the_dns_filter_and_api_access_of_cilium_policies() {
    Harden::new()
        .file("shop.yaml", CILIUM_MANIFESTS)
        .args(["reach", "--matrix", "shop.yaml"])
        .stdout_contains("  egress: isolated by default-deny-all, leak, checkout-cilium\n")
        .stdout_contains("    to DNS: pods k8s-app=kube-dns in namespace kube-system: UDP 53 (DNS filtered), TCP 53 (DNS filtered)   [checkout-cilium spec.egress[0]]\n")
        .stdout_contains("    to hostname api.stripe.com: TCP 443   [checkout-cilium spec.egress[1]]\n      other end: for addresses outside the cluster no ingress policy applies\n")
        .stdout_contains("    to the Kubernetes API server (entity kube-apiserver): TCP 443   [checkout-cilium spec.egress[2]]\n")
        // toEndpoints without the namespace label: the policy's namespace,
        // checked end to end against ledger's ingress.
        .stdout_contains("    to pods app=ledger in namespace shop: TCP 7000   [checkout-cilium spec.egress[3]]\n      Deployment/shop/ledger: allowed on TCP 7000\n")
        .stdout_contains("  DNS lookups (UDP 53, TCP 53): only names matching api.stripe.com, *.shop.svc.cluster.local.   [checkout-cilium spec.egress[0].toPorts[0]]\n")
        .stdout_contains("    VOIDED: leak spec.egress[0] allows UDP 53 without the filter: any name resolves\n")
        .stdout_contains("  ALLOW   Deployment/shop/checkout -> Deployment/shop/ledger TCP 7000: allowed: source egress allowed by CiliumNetworkPolicy/shop/checkout-cilium spec.egress[3].toPorts[0]; destination ingress allowed by NetworkPolicy/shop/ledger-ingress spec.ingress[0]\n")
        .run();
    let ran = Harden::new()
        .file("shop.yaml", CILIUM_MANIFESTS)
        .args(["reach", "shop.yaml", "--format", "json", "--matrix"])
        .run();
    let report: serde_json::Value = serde_json::from_str(&ran.stdout).unwrap();
    let checkout = &report["workloads"][0];
    assert_eq!(checkout["id"], "Deployment/shop/checkout");
    assert_eq!(
        checkout["dns_filter"]["names"],
        serde_json::json!(["api.stripe.com", "*.shop.svc.cluster.local."])
    );
    assert_eq!(
        checkout["dns_voided_by"][0]["resource"],
        "NetworkPolicy/shop/leak"
    );
    let kinds: Vec<&str> = checkout["egress"]["grants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["any", "dns", "hostname", "api-server", "pods"]);
    assert_eq!(
        report["workloads"][1]["dns_filter"],
        serde_json::Value::Null
    );
    // The audit reports the same allow, on the policy that makes it.
    Harden::new()
        .file("shop.yaml", CILIUM_MANIFESTS)
        .args(["audit", "--only", "netpol", "shop.yaml"])
        .status(1)
        .stdout_contains("netpol/dns-filter-voided  spec.egress[0] allows UDP 53 for Deployment/shop/checkout (namespace shop), whose DNS is filtered by CiliumNetworkPolicy/shop/checkout-cilium spec.egress[0].toPorts[0]")
        .run();
}

/// The allowed flows of a `reach --format json` summary, expanded to
/// `from -> to port` lines, and those of the `--matrix` report.
fn summary_and_matrix(case: impl Fn() -> Harden) -> (Vec<String>, Vec<String>) {
    let summary: serde_json::Value =
        serde_json::from_str(&case().args(["--format", "json"]).run().stdout).unwrap();
    let matrix: serde_json::Value =
        serde_json::from_str(&case().args(["--format", "json", "--matrix"]).run().stdout).unwrap();
    let text = |v: &serde_json::Value| v.as_str().unwrap().to_string();
    let mut grouped = Vec::new();
    for group in summary["allowed"].as_array().unwrap() {
        for from in group["from"].as_array().unwrap() {
            for to in group["to"].as_array().unwrap() {
                for port in group["ports"].as_array().unwrap() {
                    grouped.push(format!("{} -> {} {}", text(from), text(to), text(port)));
                }
            }
        }
    }
    let mut flows: Vec<String> = matrix["flows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["allowed"] == true)
        .map(|f| {
            format!(
                "{} -> {} {} {}",
                text(&f["from"]),
                text(&f["to"]),
                text(&f["protocol"]),
                f["port"]
            )
        })
        .collect();
    grouped.sort();
    flows.sort();
    assert_eq!(
        summary["workload_count"].as_u64().unwrap() as usize,
        matrix["workloads"].as_array().unwrap().len()
    );
    (grouped, flows)
}

/// The default summary, computed on classes of pods, allows exactly the
/// flows the full matrix allows: on the semantics fixture, the Cilium
/// manifests and every example spec's rendered output.
#[test]
fn the_summary_allows_exactly_what_the_matrix_allows() {
    let (grouped, flows) = summary_and_matrix(|| {
        Harden::new()
            .arg("reach")
            .arg(repo().join("tests/fixtures/reach"))
    });
    assert_eq!(grouped.len(), 7, "{grouped:#?}");
    assert_eq!(grouped, flows);
    let (grouped, flows) = summary_and_matrix(|| {
        Harden::new()
            .file("shop.yaml", CILIUM_MANIFESTS)
            .args(["reach", "shop.yaml"])
    });
    assert!(!grouped.is_empty());
    assert_eq!(grouped, flows);
    for spec in specs() {
        let (grouped, flows) = summary_and_matrix(|| {
            Harden::new()
                .current_dir(repo())
                .args(["reach", &format!("specs/{spec}.yaml")])
        });
        assert_eq!(grouped, flows, "{spec}");
    }
}

#[test]
fn reach_prints_a_summary_by_default() {
    Harden::new()
        .arg("reach")
        .arg(repo().join("tests/fixtures/reach"))
        .stdout_contains(" classes of pods the policies cannot tell apart (every workload and every flow: --matrix)\n")
        .stdout_contains("  ALLOW Deployment/shop/web -> Deployment/shop/db: TCP 5432, UDP 8125\n")
        .stdout_contains("  ALLOW CronJob/ops/backup, Deployment/lab/probe -> Deployment/lab/probe: TCP 8081\n")
        .run();
    // A rule that names a peer whose other end refuses: declared, blocked.
    Harden::new()
        .file("shop.yaml", CILIUM_MANIFESTS)
        .args(["reach", "shop.yaml"])
        .stdout_contains(
            "  egress to hostname api.stripe.com: TCP 443   [Deployment/shop/checkout]\n",
        )
        .run();
}
