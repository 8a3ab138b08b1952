//! The cluster profile (`cluster:` in `harden.yaml` or a spec): what each
//! preset and field changes in the output, and the errors for bad values.
//! Each test fails on the output of harden before profiles existed.

use crate::support::harden::{Harden, repo};

/// `harden.yaml` with `cluster` set to `profile` (a YAML flow mapping).
fn workspace(profile: &str) -> String {
    format!("specs: [specs]\ncluster: {profile}\n")
}

fn render(example: &str, profile: &str) -> crate::support::harden::Ran {
    Harden::new()
        .file("harden.yaml", workspace(profile))
        .example(example)
        .args(["render", &format!("specs/{example}.yaml"), "--out", "out"])
        .run()
}

/// The egress rule of a NetworkPolicy document whose comment starts with
/// "# DNS", through the next rule or the end of the document.
fn dns_rule(policies: &str) -> String {
    let start = policies.find("    # DNS").expect("a DNS rule");
    let rest = &policies[start..];
    let ports = rest.find("ports:").expect("the rule's ports");
    let end = ["\n    # ", "\n---"]
        .iter()
        .filter_map(|m| rest[ports..].find(m))
        .min()
        .map_or(rest.len(), |i| ports + i);
    rest[..end].to_string()
}

#[test]
fn gke_autopilot_opens_node_local_dns_and_the_metadata_server_on_the_dns_port_only() {
    let ran = render("hello", "{preset: gke-autopilot}");
    let rule = dns_rule(&ran.read("out/03-network-policy.yaml"));
    for part in [
        "cidr: \"169.254.20.10/32\"",
        "cidr: \"169.254.169.254/32\"",
        "protocol: \"UDP\"\n          port: 53",
        "protocol: \"TCP\"\n          port: 53",
        "\"k8s-app\": \"kube-dns\"",
    ] {
        assert!(rule.contains(part), "{part} missing from:\n{rule}");
    }
    assert!(
        !ran.read("out/03-network-policy.yaml")
            .contains("port: 80\n")
    );
    let posture = ran.read("out/SECURITY-POSTURE.md");
    assert!(posture.contains("preset gke-autopilot"), "{posture}");
    assert!(posture.contains("169.254.169.254/32"), "{posture}");
}

#[test]
fn a_node_local_address_alone_opens_it_beside_the_dns_pods() {
    let ran = render(
        "hello",
        "{dns: {nodeLocalAddress: 169.254.20.10}, domain: corp.local}",
    );
    let rule = dns_rule(&ran.read("out/03-network-policy.yaml"));
    assert!(rule.contains("cidr: \"169.254.20.10/32\""), "{rule}");
    assert!(rule.contains("kube-system"), "{rule}");
}

#[test]
fn openshift_reaches_its_dns_pods_on_5353() {
    let ran = render("hello", "{preset: openshift}");
    let rule = dns_rule(&ran.read("out/03-network-policy.yaml"));
    for part in [
        "kubernetes.io/metadata.name: \"openshift-dns\"",
        "\"dns.operator.openshift.io/daemonset-dns\": \"default\"",
        "port: 5353",
    ] {
        assert!(rule.contains(part), "{part} missing from:\n{rule}");
    }
    assert!(!rule.contains("port: 53\n"), "{rule}");
}

#[test]
fn under_cilium_the_api_server_is_the_kube_apiserver_entity() {
    let ran = render("payments", "{preset: kind, cni: cilium}");
    let cilium = ran.read("out/03-cilium-network-policy.yaml");
    assert!(
        cilium.contains("- toEntities:\n        - \"kube-apiserver\"")
            || cilium.contains("- toEntities:\n        - kube-apiserver"),
        "{cilium}"
    );
    assert!(cilium.contains("port: \"6443\""), "{cilium}");
    // The spec's own address stays allowed too (an API server outside the
    // cluster is matched by CIDR).
    let policies = ran.read("out/03-network-policy.yaml");
    assert!(policies.contains("172.20.0.10/32"), "{policies}");
}

#[test]
fn the_profile_gives_the_api_server_to_specs_that_name_none() {
    let spec = std::fs::read_to_string(repo().join("specs/payments.yaml"))
        .unwrap()
        .replace("  apiServer: {cidr: 172.20.0.10/32, port: 6443}\n", "");
    let ran = Harden::new()
        .file(
            "harden.yaml",
            workspace("{apiServer: {cidrs: [10.0.0.1/32, 10.0.0.2/32], port: 6443}}"),
        )
        .file("specs/payments.yaml", spec)
        .args(["render", "specs/payments.yaml", "--out", "out"])
        .run();
    let policies = ran.read("out/03-network-policy.yaml");
    assert!(policies.contains("10.0.0.1/32"), "{policies}");
    assert!(policies.contains("10.0.0.2/32"), "{policies}");
}

#[test]
fn without_a_profile_a_spec_without_api_server_is_told_both_places_to_say_it() {
    let spec = std::fs::read_to_string(repo().join("specs/payments.yaml"))
        .unwrap()
        .replace("  apiServer: {cidr: 172.20.0.10/32, port: 6443}\n", "");
    Harden::new()
        .file("specs/payments.yaml", spec)
        .args(["validate", "specs/payments.yaml"])
        .status(2)
        .stderr_contains("kubernetesApi.apiServer")
        .stderr_contains("cluster.apiServer in harden.yaml")
        .run();
}

#[test]
fn a_spec_overrides_the_workspace_profile_field_by_field() {
    let spec = std::fs::read_to_string(repo().join("specs/hello.yaml")).unwrap()
        + "cluster:\n  dns: {port: 5353}\n";
    let ran = Harden::new()
        .file("harden.yaml", workspace("{preset: gke}"))
        .file("specs/hello.yaml", spec)
        .args(["render", "specs/hello.yaml", "--out", "out"])
        .run();
    let rule = dns_rule(&ran.read("out/03-network-policy.yaml"));
    assert!(rule.contains("169.254.20.10/32"), "{rule}");
    assert!(rule.contains("port: 5353"), "{rule}");
}

#[test]
fn old_external_secrets_get_the_api_they_serve() {
    // checkout has three ExternalSecrets: its secrets and its Dapr API and
    // app tokens.
    let ran = render("checkout", "{externalSecretsVersion: \"0.15\"}");
    let secrets = ran.read("out/04-secrets.yaml");
    assert_eq!(
        secrets.matches("external-secrets.io/v1beta1").count(),
        3,
        "{secrets}"
    );
    assert!(!secrets.contains("external-secrets.io/v1\""), "{secrets}");
}

#[test]
fn under_cilium_node_local_dns_is_the_host_entity_and_the_metadata_server_a_cidr() {
    let ran = render("checkout", "{preset: gke, cni: cilium}");
    let cilium = ran.read("out/03-cilium-network-policy.yaml");
    let host = cilium
        .find("- toEntities:\n        - host\n")
        .expect(&cilium);
    let remote = cilium
        .find("- toCIDRSet:\n        - cidr: \"169.254.169.254/32\"")
        .expect(&cilium);
    // Both carry the DNS filter (a plain allow would void it).
    for start in [host, remote] {
        let item = &cilium[start..];
        let end = item[2..].find("\n    - ").map_or(item.len(), |i| i + 2);
        assert!(
            item[..end].contains("rules:\n            dns:"),
            "{}",
            &item[..end]
        );
        assert!(item[..end].contains("port: \"53\""), "{}", &item[..end]);
    }
}

#[test]
fn every_bad_profile_field_is_reported_with_its_fix() {
    Harden::new()
        .file(
            "harden.yaml",
            workspace("{preset: minikube, cni: weave, dns: {nodeLocalAddress: nope}}"),
        )
        .example("hello")
        .args(["validate", "specs/hello.yaml"])
        .status(2)
        .stderr_contains("harden.yaml: cluster.preset: \"minikube\" is not a preset harden knows")
        .stderr_contains("kubeadm, kind, k3s, gke, gke-autopilot, eks, aks, openshift")
        .stderr_contains("cluster.cni")
        .stderr_contains("cluster.dns.nodeLocalAddress")
        .run();
    let spec = std::fs::read_to_string(repo().join("specs/hello.yaml")).unwrap()
        + "cluster:\n  presett: kind\n";
    Harden::new()
        .file("specs/hello.yaml", spec)
        .args(["validate", "specs/hello.yaml"])
        .status(2)
        .stderr_contains("unknown field 'presett'")
        .stderr_contains("did you mean 'preset'?")
        .run();
}

/// Every example spec under every preset (and with Cilium) renders: the
/// render proves every flow before it writes, and audits its own output.
#[test]
fn every_example_renders_and_proves_under_every_preset() {
    let presets = [
        "kubeadm",
        "kind",
        "k3s",
        "gke",
        "gke-autopilot",
        "eks",
        "aks",
        "openshift",
    ];
    for preset in presets {
        for cni in ["any", "cilium"] {
            let mut case = Harden::new().file(
                "harden.yaml",
                workspace(&format!(
                    "{{preset: {preset}, cni: {cni}, dns: {{nodeLocalAddress: 169.254.20.10}}}}"
                )),
            );
            for example in ["hello", "task-api", "payments", "orders", "checkout"] {
                case = case.example(example);
            }
            case.args(["render", "specs"]).run();
        }
    }
}

#[test]
fn init_writes_the_preset_it_is_given_and_refuses_an_unknown_one() {
    let image = "ghcr.io/acme/billing@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    let ran = Harden::new()
        .args([
            "init",
            "--name",
            "billing",
            "--image",
            image,
            "--no-dapr",
            "--cluster",
            "gke-autopilot",
            "--yes",
        ])
        .run();
    let spec = ran.read("specs/billing.yaml");
    let parsed = harden::yaml::parse_document::<harden::spec::Spec>(&spec).unwrap();
    assert_eq!(
        parsed.value.cluster.and_then(|c| c.preset).as_deref(),
        Some("gke-autopilot"),
        "{spec}"
    );
    let ran = ran
        .then()
        .args(["render", "specs/billing.yaml", "--out", "out"])
        .run();
    assert!(
        ran.read("out/03-network-policy.yaml")
            .contains("169.254.169.254/32")
    );
    Harden::new()
        .args([
            "init",
            "--name",
            "billing",
            "--image",
            image,
            "--no-dapr",
            "--cluster",
            "minikube",
            "--yes",
        ])
        .status(2)
        .stderr_contains("cluster.preset")
        .stderr_contains("\"minikube\" is not a preset harden knows")
        .run();
}

/// Every supported Dapr version (here from the profile's `daprVersion`)
/// renders every Dapr example, proven and self-audited, with the facts of
/// that version: placement and the scheduler follow what its injector does.
#[test]
fn every_supported_dapr_version_renders_and_proves() {
    let orders = std::fs::read_to_string(repo().join("specs/orders.yaml")).unwrap();
    // Workflow callers (a WorkflowAccessPolicy) need Dapr 1.18: before it
    // orders is rendered without them (their refusal: dapr_surface.rs).
    let (head, rest) = orders
        .split_once("  # Shipping follows order workflows")
        .expect("orders names its workflow callers");
    let (_, tail) = rest
        .split_once("  components:")
        .expect("then its components");
    let orders_before_1_18 = format!("{head}  components:{tail}");
    for version in ["1.14", "1.15", "1.16", "1.17", "1.18"] {
        let ran = Harden::new()
            .file(
                "harden.yaml",
                workspace(&format!("{{daprVersion: \"{version}\"}}")),
            )
            .example("task-api")
            .file(
                "specs/orders.yaml",
                if version == "1.18" {
                    &orders
                } else {
                    &orders_before_1_18
                },
            )
            .args(["render", "specs/task-api.yaml", "--out", "task-api"])
            .run()
            .then()
            .args(["render", "specs/orders.yaml", "--out", "orders"])
            .run();
        let deployment = ran.read("task-api/06-deployment.yaml");
        let posture = ran.read("task-api/SECURITY-POSTURE.md");
        assert!(
            posture.contains(&format!("version {version} in")),
            "{version}"
        );
        // No actors: 1.14's injector ignores an empty address, later ones
        // turn placement and the scheduler off with it.
        assert_eq!(
            deployment.contains("dapr.io/placement-host-address"),
            version != "1.14",
            "{version}:\n{deployment}"
        );
        assert_eq!(
            deployment.contains("dapr.io/enable-native-sidecar"),
            version == "1.18",
            "{version}"
        );
        assert_eq!(
            ran.read("orders/05-dapr-components.yaml")
                .contains("kind: WorkflowAccessPolicy"),
            version == "1.18",
            "{version}"
        );
    }
}

#[test]
fn a_hostname_in_the_profile_s_cluster_domain_is_inside_the_cluster() {
    let spec = std::fs::read_to_string(repo().join("specs/checkout.yaml"))
        .unwrap()
        .replace("api.stripe.com", "api.corp.internal");
    Harden::new()
        .file("harden.yaml", workspace("{domain: corp.internal}"))
        .file("specs/checkout.yaml", spec)
        .args(["validate", "specs/checkout.yaml"])
        .status(2)
        .stderr_contains("\"api.corp.internal\" is a name inside the cluster")
        .stderr_contains("select the pods instead")
        .run();
}
