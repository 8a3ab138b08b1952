//! Tests of the flow proof: every example spec proves, and each way a
//! policy can break a declared flow or open an undeclared one is caught.

use super::*;
use crate::platform::names;
use crate::templates::Templates;

fn example(spec: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("specs")
        .join(spec);
    std::fs::read_to_string(path).expect("example spec")
}

fn files_of(model: &Model) -> Vec<GeneratedFile> {
    crate::render::render(model, &Templates::embedded().expect("templates")).expect("renders")
}

fn rendered(spec: &str) -> (Model, Vec<GeneratedFile>) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("specs")
        .join(spec);
    let model = crate::load::load_spec(&path).expect("example spec is valid");
    let files = files_of(&model);
    (model, files)
}

/// A spec's `text` (named `spec`) rendered for a cluster profile
/// (`cluster:` as YAML).
fn rendered_text_for(text: &str, spec: &str, cluster: &str) -> (Model, Vec<GeneratedFile>) {
    let cluster = crate::yaml::parse_document::<crate::spec::Cluster>(cluster)
        .expect("a cluster section")
        .value;
    let model =
        crate::load::load_spec_text_as(text, spec, spec, Some(&cluster)).expect("spec is valid");
    let files = files_of(&model);
    (model, files)
}

/// An example spec rendered for a cluster profile.
fn rendered_for(spec: &str, cluster: &str) -> (Model, Vec<GeneratedFile>) {
    rendered_text_for(&example(spec), spec, cluster)
}

#[test]
fn node_level_resolvers_are_proven_open_on_the_dns_port_only() {
    for cluster in ["preset: gke", "preset: gke\ncni: cilium\n"] {
        let (model, files) = rendered_for("checkout.yaml", cluster);
        let proof = prove(&model, &files).unwrap();
        assert!(
            proof.violations.is_empty(),
            "{cluster}: {:?}",
            proof.violations
        );
        // The metadata server's rule taken out: its DNS is refused.
        let without = files
            .iter()
            .map(|f| GeneratedFile {
                content: f.content.replace("169.254.169.254/32", "192.0.2.1/32"),
                ..f.clone()
            })
            .collect::<Vec<_>>();
        let proof = prove(&model, &without).unwrap();
        assert!(
            proof
                .violations
                .iter()
                .any(|v| v.flow.starts_with("DNS to the resolver 169.254.169.254/32")),
            "{cluster}: {:?}",
            proof.violations
        );
    }
    // A policy that opens the metadata server on every port: port 80
    // (the node's credentials) is caught.
    let (model, files) = rendered_for("hello.yaml", "preset: gke-autopilot");
    let files = with_policies(&files, |text| {
        format!(
            "{text}---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: metadata\n  namespace: hello\nspec:\n  podSelector: {{}}\n  policyTypes: [Egress]\n  egress:\n    - to: [{{ipBlock: {{cidr: 169.254.169.254/32}}}}]\n"
        )
    });
    let proof = prove(&model, &files).unwrap();
    assert!(
        proof.violations.iter().any(|v| v.expected == "denied"
            && v.flow
                .starts_with("the resolver 169.254.169.254/32 on a port other than DNS")),
        "{:?}",
        proof.violations
    );
}

fn with_policies(files: &[GeneratedFile], edit: impl Fn(&str) -> String) -> Vec<GeneratedFile> {
    files
        .iter()
        .map(|f| GeneratedFile {
            content: if f.name == names::NETWORK_POLICY_FILE {
                edit(&f.content)
            } else {
                f.content.clone()
            },
            ..f.clone()
        })
        .collect()
}

/// What a proof got wrong, one `expected: flow` line each.
fn wrong(proof: &Proof) -> Vec<String> {
    proof
        .violations
        .iter()
        .map(|v| format!("{}: {}", v.expected, v.flow))
        .collect()
}

/// The rendered policies plus one that opens every flow of `namespace`.
fn opened(files: &[GeneratedFile], namespace: &str) -> Vec<GeneratedFile> {
    with_policies(files, |text| {
        format!(
            "{text}---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: open\n  namespace: {namespace}\nspec:\n  podSelector: {{}}\n  policyTypes: [Ingress, Egress]\n  ingress: [{{}}]\n  egress: [{{}}]\n"
        )
    })
}

/// The rendered NetworkPolicies replaced by a bare default deny.
fn closed(files: &[GeneratedFile], namespace: &str) -> Vec<GeneratedFile> {
    with_policies(files, |_| {
        format!(
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: deny\n  namespace: {namespace}\nspec:\n  podSelector: {{}}\n  policyTypes: [Ingress, Egress]\n"
        )
    })
}

#[test]
fn every_probe_that_must_stay_closed_is_reported_when_a_policy_opens_everything() {
    // Each flow the proof must find denied, none left out: all of them
    // break when a policy opens the namespace (checkout's lookup of an
    // unlisted name stays refused, its DNS filter still holds).
    let (model, files) = rendered("task-api.yaml");
    let proof = prove(&model, &opened(&files, &model.namespace)).unwrap();
    assert_eq!((proof.allowed, proof.denied), (6, 20));
    assert_eq!(
        wrong(&proof),
        [
            "denied: caller gateway's labels from namespace harden-proof-intruder (TCP 8000)",
            "denied: lookalike of caller gateway in envoy-gateway-system (TCP 8000)",
            "denied: an unnamed pod of task-api to the app port (TCP 8000)",
            "denied: an unnamed pod of task-api to the sidecar's internal port (TCP 50002)",
            "denied: the app to an unnamed pod of task-api (TCP 8000)",
            "denied: destination redis on a port not declared (TCP 7403)",
            "denied: lookalike of destination redis in task-api (TCP 6379)",
            "denied: destination redis's labels in namespace harden-proof-intruder (TCP 6379)",
            "denied: destination dapr-sentry on a port not declared (TCP 51025)",
            "denied: lookalike of destination dapr-sentry in dapr-system (TCP 50001)",
            "denied: destination dapr-sentry's labels in namespace harden-proof-intruder (TCP 50001)",
            "denied: destination dapr-operator on a port not declared (TCP 7524)",
            "denied: lookalike of destination dapr-operator in dapr-system (TCP 6500)",
            "denied: destination dapr-operator's labels in namespace harden-proof-intruder (TCP 6500)",
            "denied: a kube-system pod that is not kube-dns (UDP 53)",
            "denied: a pod of dapr-system that is not a control-plane service (TCP 50001)",
            "denied: the internet (203.0.113.7) (TCP 443)",
            "denied: the internet (203.0.113.7) (TCP 80)",
            "denied: the API server (no permission granted) (TCP 443)",
            "denied: the API server (no permission granted) (TCP 6443)",
        ]
    );
    // As `render` shows it: the flow, what it must be, what it is.
    let shown = proof.violations[0].to_string();
    assert!(
        shown.starts_with("caller gateway's labels from namespace harden-proof-intruder (TCP 8000) must be denied, but is allowed"),
        "{shown}"
    );
    let (model, files) = rendered("checkout.yaml");
    let proof = prove(&model, &opened(&files, &model.namespace)).unwrap();
    assert_eq!((proof.allowed, proof.denied), (12, 22));
    assert_eq!(
        wrong(&proof),
        [
            "denied: plain DNS (TCP 53, UDP 53) for Deployment/checkout/checkout, whose DNS is filtered by CiliumNetworkPolicy/checkout/checkout-egress-hosts spec.egress[0].toPorts[0]",
            "allowed: DNS to the cluster's DNS pods through the Cilium DNS proxy (UDP 53)",
            "allowed: DNS to the cluster's DNS pods through the Cilium DNS proxy (TCP 53)",
            "denied: example.com, which no rule lists (TCP 443)",
            "denied: caller storefront's labels from namespace harden-proof-intruder (TCP 8080)",
            "denied: lookalike of caller storefront in web (TCP 8080)",
            "denied: an unnamed pod of checkout to the app port (TCP 8080)",
            "denied: an unnamed pod of checkout to the sidecar's internal port (TCP 50002)",
            "denied: the app to an unnamed pod of checkout (TCP 8080)",
            "denied: destination payments on a port not declared (TCP 9467)",
            "denied: lookalike of destination payments in payments-prod (TCP 8443)",
            "denied: destination payments's labels in namespace harden-proof-intruder (TCP 8443)",
            "denied: destination dapr-sentry on a port not declared (TCP 51025)",
            "denied: lookalike of destination dapr-sentry in dapr-system (TCP 50001)",
            "denied: destination dapr-sentry's labels in namespace harden-proof-intruder (TCP 50001)",
            "denied: destination dapr-operator on a port not declared (TCP 7524)",
            "denied: lookalike of destination dapr-operator in dapr-system (TCP 6500)",
            "denied: destination dapr-operator's labels in namespace harden-proof-intruder (TCP 6500)",
            "denied: a kube-system pod that is not kube-dns (UDP 53)",
            "denied: a pod of dapr-system that is not a control-plane service (TCP 50001)",
            "denied: the internet (203.0.113.7) (TCP 443)",
            "denied: the internet (203.0.113.7) (TCP 80)",
            "denied: the API server (no permission granted) (TCP 443)",
            "denied: the API server (no permission granted) (TCP 6443)",
        ]
    );
}

#[test]
fn every_required_flow_is_reported_under_a_bare_default_deny() {
    let (model, files) = rendered("task-api.yaml");
    let proof = prove(&model, &closed(&files, &model.namespace)).unwrap();
    assert_eq!((proof.allowed, proof.denied), (6, 20));
    assert_eq!(
        wrong(&proof),
        [
            "allowed: DNS to the cluster's DNS pods (UDP 53)",
            "allowed: DNS to the cluster's DNS pods (TCP 53)",
            "allowed: ingress gateway (caller gateway, declared in the spec) (TCP 8000)",
            "allowed: egress redis (destination redis, declared in the spec) (TCP 6379)",
            "allowed: egress dapr-sentry (Dapr Sentry: the sidecar's mTLS certificate) (TCP 50001)",
            "allowed: egress dapr-operator (Dapr operator: components and configuration) (TCP 6500)",
        ]
    );
    let (model, files) = rendered("orders.yaml");
    let proof = prove(&model, &closed(&files, &model.namespace)).unwrap();
    assert_eq!((proof.allowed, proof.denied), (12, 32));
    assert_eq!(
        wrong(&proof),
        [
            "allowed: DNS to the cluster's DNS pods (UDP 53)",
            "allowed: DNS to the cluster's DNS pods (TCP 53)",
            "allowed: ingress dapr-actors-from-replicas (Dapr actors and workflows: calls from the app's other replicas, sidecar to sidecar) (TCP 50002)",
            "allowed: ingress dapr-from-storefront (Dapr invocation from app-id storefront, sidecar to sidecar) (TCP 50002)",
            "allowed: egress kafka (destination kafka, declared in the spec) (TCP 9092)",
            "allowed: egress redis (destination redis, declared in the spec) (TCP 6379)",
            "allowed: egress dapr-sentry (Dapr Sentry: the sidecar's mTLS certificate) (TCP 50001)",
            "allowed: egress dapr-operator (Dapr operator: components and configuration) (TCP 6500)",
            "allowed: egress dapr-scheduler (Dapr scheduler: jobs, reminders and workflow timers) (TCP 50006)",
            "allowed: egress dapr-placement (Dapr placement: actor placement tables (actors and workflows)) (TCP 50005)",
            "allowed: egress dapr-actors-to-replicas (Dapr actors and workflows: calls to the app's other replicas, sidecar to sidecar) (TCP 50002)",
            "allowed: egress dapr-to-inventory (Dapr invocation of app-id inventory, sidecar to sidecar) (TCP 50002)",
        ]
    );
}

#[test]
fn node_level_resolvers_are_proven_per_plugin() {
    // GKE: the node-local cache and the metadata server answer DNS.
    // With NetworkPolicies both are proven open on the DNS port and
    // closed on port 80. Under Cilium only the remote one is proven
    // open (the node-local cache is the host entity there); the
    // rendered CiliumNetworkPolicy still allows it when the
    // NetworkPolicies are replaced by a bare default deny.
    let (model, files) = rendered_for("hello.yaml", "preset: gke");
    let proof = prove(&model, &opened(&files, "hello")).unwrap();
    assert_eq!((proof.allowed, proof.denied), (7, 10));
    assert_eq!(
        wrong(&proof),
        [
            "denied: the resolver 169.254.20.10/32 on a port other than DNS (TCP 80)",
            "denied: the resolver 169.254.169.254/32 on a port other than DNS (TCP 80)",
            "denied: caller ingress-nginx's labels from namespace harden-proof-intruder (TCP 8080)",
            "denied: an unnamed pod of hello to the app port (TCP 8080)",
            "denied: the app to an unnamed pod of hello (TCP 8080)",
            "denied: a kube-system pod that is not kube-dns (UDP 53)",
            "denied: the internet (203.0.113.7) (TCP 443)",
            "denied: the internet (203.0.113.7) (TCP 80)",
            "denied: the API server (no permission granted) (TCP 443)",
            "denied: the API server (no permission granted) (TCP 6443)",
        ]
    );
    let proof = prove(&model, &closed(&files, "hello")).unwrap();
    assert_eq!(
        wrong(&proof),
        [
            "allowed: DNS to the cluster's DNS pods (UDP 53)",
            "allowed: DNS to the cluster's DNS pods (TCP 53)",
            "allowed: DNS to the resolver 169.254.20.10/32 (UDP 53)",
            "allowed: DNS to the resolver 169.254.20.10/32 (TCP 53)",
            "allowed: DNS to the resolver 169.254.169.254/32 (UDP 53)",
            "allowed: DNS to the resolver 169.254.169.254/32 (TCP 53)",
            "allowed: ingress ingress-nginx (caller ingress-nginx, declared in the spec) (TCP 8080)",
        ]
    );
    let (model, files) = rendered_for("hello.yaml", "preset: gke\ncni: cilium\n");
    let proof = prove(&model, &opened(&files, "hello")).unwrap();
    assert_eq!((proof.allowed, proof.denied), (5, 10));
    assert_eq!(
        wrong(&proof),
        [
            "denied: the resolver 169.254.20.10/32 on a port other than DNS (TCP 80)",
            "denied: the resolver 169.254.169.254/32 on a port other than DNS (TCP 80)",
            "denied: caller ingress-nginx's labels from namespace harden-proof-intruder (TCP 8080)",
            "denied: an unnamed pod of hello to the app port (TCP 8080)",
            "denied: the app to an unnamed pod of hello (TCP 8080)",
            "denied: a kube-system pod that is not kube-dns (UDP 53)",
            "denied: the internet (203.0.113.7) (TCP 443)",
            "denied: the internet (203.0.113.7) (TCP 80)",
            "denied: the API server (no permission granted) (TCP 443)",
            "denied: the API server (no permission granted) (TCP 6443)",
        ]
    );
    let proof = prove(&model, &closed(&files, "hello")).unwrap();
    assert_eq!(
        wrong(&proof),
        [
            "allowed: DNS to the cluster's DNS pods (UDP 53)",
            "allowed: DNS to the cluster's DNS pods (TCP 53)",
            "allowed: ingress ingress-nginx (caller ingress-nginx, declared in the spec) (TCP 8080)",
        ]
    );
}

#[test]
fn a_declared_flow_to_a_resolver_on_port_80_is_not_a_probe() {
    let text = example("hello.yaml")
        + "\negress:\n  - name: metadata\n    cidr: 169.254.169.254/32\n    ports:\n      - port: 80\n";
    let (model, files) = rendered_text_for(&text, "hello.yaml", "preset: gke");
    let proof = prove(&model, &opened(&files, "hello")).unwrap();
    let resolvers: Vec<String> = wrong(&proof)
        .into_iter()
        .filter(|v| v.contains("resolver"))
        .collect();
    assert_eq!(
        resolvers,
        ["denied: the resolver 169.254.20.10/32 on a port other than DNS (TCP 80)"]
    );
}

#[test]
fn the_workspace_proof_finds_a_filter_voided_by_another_output() {
    let (_, files) = rendered("checkout.yaml");
    let mut documents = Vec::new();
    for file in files.iter().filter(|f| f.name.ends_with(".yaml")) {
        documents.extend(crate::yaml::parse_stream(&file.content).unwrap());
    }
    let proven =
        |documents: &[serde_json::Value]| prove_workspace(&documents.iter().collect::<Vec<_>>());
    assert_eq!(proven(&documents), Ok(Vec::new()));
    // Another spec's output opens plain DNS for every pod of checkout.
    documents.push(
        serde_json::json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "dns-too", "namespace": "checkout"},
        "spec": {"podSelector": {}, "policyTypes": ["Egress"],
                 "egress": [{"ports": [{"protocol": "UDP", "port": 53}]}]}}),
    );
    let flows: Vec<String> = proven(&documents)
        .unwrap()
        .iter()
        .map(|v| format!("{}: {} ({})", v.expected, v.flow, v.verdict))
        .collect();
    assert_eq!(flows.len(), 1, "{flows:?}");
    assert!(
        flows[0].starts_with("denied: plain DNS (UDP 53) for Deployment/checkout/checkout, whose DNS is filtered by CiliumNetworkPolicy/checkout/"),
        "{flows:?}"
    );
    assert!(
        flows[0].contains(
            "(allowed by NetworkPolicy/checkout/dns-too spec.egress[0], which voids the filter"
        ),
        "{flows:?}"
    );
    // A policy that cannot be read is an error, not a pass.
    documents.push(
        serde_json::json!({"kind": "NetworkPolicy", "metadata": {"name": "bad"},
        "spec": {"ingress": {}}}),
    );
    assert!(
        proven(&documents)
            .unwrap_err()
            .contains("NetworkPolicy/default/bad spec.ingress")
    );
}

#[test]
fn probes_use_an_undeclared_port_an_address_inside_and_lookalike_labels() {
    let (model, _) = rendered("task-api.yaml");
    let mut flow = model.network.egress[0].clone();
    let ports = |flow: &mut Flow, ports: &[u32]| {
        flow.ports = ports.iter().map(|p| crate::model::Port::tcp(*p)).collect();
        unused_port(flow)
    };
    assert_eq!(ports(&mut flow, &[8000]), 9024);
    assert_eq!(ports(&mut flow, &[8000, 9024]), 9025);
    assert_eq!(ports(&mut flow, &[64511]), 65535);
    // Past 65535 the search wraps to 1024.
    assert_eq!(ports(&mut flow, &[64511, 65535]), 1024);
    assert_eq!(
        inside("10.0.0.0/30", &[]),
        Some("10.0.0.1".parse().unwrap())
    );
    assert_eq!(
        inside("10.0.0.0/30", &["10.0.0.0/31".into()]),
        Some("10.0.0.2".parse().unwrap())
    );
    assert_eq!(
        inside("10.0.0.9/32", &[]),
        Some("10.0.0.9".parse().unwrap())
    );
    assert_eq!(inside("10.0.0.9/32", &["10.0.0.0/24".into()]), None);
    assert_eq!(inside("not a cidr", &[]), None);
    let labels = [
        ("app".to_string(), "web".to_string()),
        ("tier".to_string(), "front".to_string()),
    ];
    assert_eq!(
        lookalike(&labels),
        [
            ("app".to_string(), "web-lookalike".to_string()),
            ("tier".to_string(), "front-lookalike".to_string())
        ]
    );
}

#[test]
fn every_example_spec_is_proven() {
    for spec in [
        "hello.yaml",
        "task-api.yaml",
        "payments.yaml",
        "orders.yaml",
    ] {
        let (model, files) = rendered(spec);
        let proof = prove(&model, &files).expect("policies evaluate");
        assert!(
            proof.violations.is_empty(),
            "{spec}: {:?}",
            proof.violations
        );
        assert!(
            proof.allowed >= 3,
            "{spec}: only {} required flows",
            proof.allowed
        );
        assert!(
            proof.denied >= 5,
            "{spec}: only {} forbidden flows",
            proof.denied
        );
    }
}

#[test]
fn a_policy_that_opens_all_egress_is_refused_with_its_name() {
    let (model, files) = rendered("task-api.yaml");
    let files = with_policies(&files, |text| {
        format!(
            "{text}---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: open\n  namespace: task-api\nspec:\n  podSelector: {{}}\n  policyTypes: [Egress]\n  egress:\n    - {{}}\n"
        )
    });
    let proof = prove(&model, &files).unwrap();
    let internet = proof
        .violations
        .iter()
        .find(|v| v.flow.starts_with("the internet"))
        .expect("the internet must be reported");
    assert_eq!(internet.expected, "denied");
    assert!(
        internet.verdict.contains("NetworkPolicy/task-api/open"),
        "{internet}"
    );
}

#[test]
fn a_missing_platform_flow_is_refused_with_its_name() {
    // Without placement egress, an actor app's sidecar never gets Ready.
    let (model, files) = rendered("orders.yaml");
    let files = with_policies(&files, |text| text.replace("port: 50005", "port: 50015"));
    let proof = prove(&model, &files).unwrap();
    assert!(
        proof
            .violations
            .iter()
            .any(|v| v.expected == "allowed" && v.flow.starts_with("egress dapr-placement")),
        "{:?}",
        proof.violations
    );
}

#[test]
fn hostname_egress_needs_the_cilium_dns_rule() {
    let (model, files) = rendered("checkout.yaml");
    let files: Vec<GeneratedFile> = files
        .into_iter()
        .filter(|f| !f.name.contains("cilium"))
        .collect();
    let proof = prove(&model, &files).unwrap();
    let dns: Vec<&Violation> = proof
        .violations
        .iter()
        .filter(|v| {
            v.flow
                .starts_with("DNS to the cluster's DNS pods through the Cilium DNS proxy")
        })
        .collect();
    assert_eq!(dns.len(), 2, "{:?}", proof.violations);
}

#[test]
fn a_plain_dns_allow_for_a_filtered_app_is_refused() {
    // A custom template that opens DNS for the app beside the Cilium
    // DNS rule voids the filter (layer7.rst, intro.rst).
    let (model, files) = rendered("checkout.yaml");
    let files = with_policies(&files, |text| {
        format!(
            "{text}---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: dns-too\n  namespace: checkout\nspec:\n  podSelector: {{}}\n  policyTypes: [Egress]\n  egress:\n    - ports:\n        - {{protocol: UDP, port: 53}}\n"
        )
    });
    let proof = prove(&model, &files).unwrap();
    let flows: Vec<&str> = proof.violations.iter().map(|v| v.flow.as_str()).collect();
    assert!(
        flows
            .iter()
            .any(|f| f.starts_with("plain DNS (UDP 53) for Deployment/checkout/checkout")),
        "{:?}",
        proof.violations
    );
    assert!(
        flows.contains(&"DNS to the cluster's DNS pods through the Cilium DNS proxy (UDP 53)"),
        "{:?}",
        proof.violations
    );
}

#[test]
fn hostname_flows_are_proven_through_the_filter_and_to_fqdns() {
    let (model, files) = rendered("checkout.yaml");
    // Drop the toFQDNs item of api.stripe.com and its name from the DNS
    // filter.
    let files: Vec<GeneratedFile> = files
        .into_iter()
        .map(|f| GeneratedFile {
            content: if f.name.contains("cilium") {
                f.content.replace(
                    "- matchName: \"api.stripe.com\"",
                    "- matchName: \"api.example.org\"",
                )
            } else {
                f.content.clone()
            },
            ..f
        })
        .collect();
    let proof = prove(&model, &files).unwrap();
    let flows: Vec<&str> = proof.violations.iter().map(|v| v.flow.as_str()).collect();
    assert!(
        flows.contains(&"lookup of api.stripe.com (egress stripe)"),
        "{flows:?}"
    );
    assert!(
        flows
            .iter()
            .any(|f| f.starts_with("egress stripe to api.stripe.com")),
        "{flows:?}"
    );
    // The rest still holds.
    assert!(!flows.iter().any(|f| f.contains("sentry")), "{flows:?}");
}

#[test]
fn actor_replicas_must_reach_each_other() {
    let (model, files) = rendered("orders.yaml");
    let files = with_policies(&files, |text| text.replace("port: 50002", "port: 50012"));
    let proof = prove(&model, &files).unwrap();
    for flow in [
        "ingress dapr-actors-from-replicas",
        "egress dapr-actors-to-replicas",
    ] {
        assert!(
            proof.violations.iter().any(|v| v.flow.starts_with(flow)),
            "{flow}: {:?}",
            proof.violations
        );
    }
}

#[test]
fn a_custom_control_plane_namespace_is_selected() {
    let (mut model, _) = rendered("task-api.yaml");
    model.dapr.as_mut().unwrap().control_plane_namespace = "dapr".into();
    let text =
        example("task-api.yaml").replace("dapr:\n", "dapr:\n  controlPlaneNamespace: dapr\n");
    let model_dapr = crate::load::load_spec_text(&text, "specs/task-api.yaml").expect("valid");
    let files = files_of(&model_dapr);
    let proof = prove(&model_dapr, &files).unwrap();
    assert!(proof.violations.is_empty(), "{:?}", proof.violations);
    // The same policies judged against the default namespace fail: the
    // control-plane rules really select `dapr`.
    model.dapr.as_mut().unwrap().control_plane_namespace = "dapr-system".into();
    let proof = prove(&model, &files).unwrap();
    assert!(
        proof
            .violations
            .iter()
            .any(|v| v.flow.starts_with("egress dapr-sentry"))
    );
}
