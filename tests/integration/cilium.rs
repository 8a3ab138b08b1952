//! Egress by hostname as rendered for Cilium (specs/checkout.yaml): the
//! CiliumNetworkPolicy follows Cilium's documented rules (one toFQDNs item
//! per rule with no other L3 peer, one matcher per list element, DNS through
//! the proxy to kube-dns only), nothing opens 0.0.0.0/0, the app has no
//! NetworkPolicy DNS rule that would void the DNS filter, and `harden audit`
//! reads the CiliumNetworkPolicy's DNS rule as the app's DNS egress.
//!
//! Strict validation against the CRD's schema is the conformance gate's
//! (scripts/conformance.py, crd-schema); these tests check what the schema
//! cannot: Cilium's rules between fields.

use std::fs;
use std::path::PathBuf;

use assert_cmd::Command;
use harden::render::GeneratedFile;
use serde_json::Value;
use tempfile::TempDir;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn checkout() -> Vec<GeneratedFile> {
    let model = harden::load::load_spec(&repo().join("specs/checkout.yaml")).unwrap();
    harden::render::render(&model, &harden::templates::Templates::embedded().unwrap()).unwrap()
}

fn documents(files: &[GeneratedFile], name: &str) -> Vec<Value> {
    let file = files.iter().find(|f| f.name == name).unwrap();
    harden::yaml::parse_stream(&file.content).unwrap()
}

#[test]
fn the_policy_follows_ciliums_rules() {
    let files = checkout();
    let policies = documents(&files, "03-cilium-network-policy.yaml");
    assert_eq!(policies.len(), 1);
    let policy = &policies[0];
    assert_eq!(policy["apiVersion"], "cilium.io/v2");
    assert_eq!(policy["kind"], "CiliumNetworkPolicy");
    assert_eq!(
        policy["spec"]["endpointSelector"]["matchLabels"]["k8s:app.kubernetes.io/name"],
        "checkout"
    );
    let egress = policy["spec"]["egress"].as_array().unwrap();
    let fqdn_items: Vec<&Value> = egress
        .iter()
        .filter(|i| i.get("toFQDNs").is_some())
        .collect();
    assert_eq!(fqdn_items.len(), 3, "one item per spec rule with hosts");
    for item in &fqdn_items {
        let keys: Vec<&String> = item.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["toFQDNs", "toPorts"], "no other L3 peer: {item}");
    }
    assert_eq!(
        fqdn_items[2]["toFQDNs"][0]["matchPattern"], "*.ingest.de.sentry.io",
        "a wildcard is a matchPattern"
    );
    assert_eq!(fqdn_items[0]["toFQDNs"][0]["matchName"], "api.stripe.com");
    let dns: Vec<&Value> = egress
        .iter()
        .filter(|i| i.get("toEndpoints").is_some())
        .collect();
    assert_eq!(dns.len(), 1);
    assert_eq!(
        dns[0]["toEndpoints"][0]["matchLabels"],
        serde_json::json!({"k8s:io.kubernetes.pod.namespace": "kube-system", "k8s:k8s-app": "kube-dns"})
    );
    let ports = &dns[0]["toPorts"][0]["ports"];
    assert_eq!(
        ports,
        &serde_json::json!([{"port": "53", "protocol": "UDP"}, {"port": "53", "protocol": "TCP"}])
    );
    let names = dns[0]["toPorts"][0]["rules"]["dns"].as_array().unwrap();
    for entry in names {
        let entry = entry.as_object().unwrap();
        assert_eq!(entry.len(), 1, "one matcher per element: {entry:?}");
        let (key, value) = entry.iter().next().unwrap();
        let text = value.as_str().unwrap();
        assert_ne!(text, "*", "DNS is never opened to every name");
        assert_eq!(key == "matchPattern", text.contains('*'), "{key}: {text}");
        assert!(text.len() <= 255, "CRD maxLength: {text}");
    }
    let allowed = |name: &str| {
        names.iter().any(|e| {
            let text = e.as_object().unwrap().values().next().unwrap();
            harden::platform::cilium::pattern_matches(text.as_str().unwrap(), name)
        })
    };
    for name in [
        "api.stripe.com",
        "o12.ingest.de.sentry.io",
        "dapr-sentry.dapr-system.svc.cluster.local",
        "dapr-scheduler-server-0.dapr-scheduler-server.dapr-system.svc.cluster.local",
        "checkout-dapr.checkout.svc.cluster.local",
        "payments.payments-prod.svc.cluster.local",
        "payments.payments-prod.checkout.svc.cluster.local",
        "api.stripe.com.checkout.svc.cluster.local",
        "dapr-api.dapr-system.svc.cluster.local.checkout.svc.cluster.local",
    ] {
        assert!(allowed(name), "{name} must resolve");
    }
    for name in [
        "example.com",
        "stripe.com",
        "evil.api.stripe.com",
        "a.b.ingest.de.sentry.io",
        "kube-dns.kube-system.svc.cluster.local",
        "redis.other.svc.cluster.local",
    ] {
        assert!(!allowed(name), "{name} must not resolve");
    }
}

#[test]
fn nothing_opens_the_internet_and_the_app_has_no_plain_dns_rule() {
    let files = checkout();
    for file in &files {
        assert!(!file.content.contains("0.0.0.0/0"), "{}", file.name);
        assert!(!file.content.contains("::/0"), "{}", file.name);
    }
    let policies = documents(&files, "03-network-policy.yaml");
    let names: Vec<&str> = policies
        .iter()
        .map(|p| p["metadata"]["name"].as_str().unwrap())
        .collect();
    assert!(!names.contains(&"checkout-allow-dns"), "{names:?}");
    let kustomization = &files
        .iter()
        .find(|f| f.name == "kustomization.yaml")
        .unwrap()
        .content;
    assert!(kustomization.contains("- \"03-cilium-network-policy.yaml\""));
    // Without hosts there is no Cilium file at all.
    let model = harden::load::load_spec(&repo().join("specs/task-api.yaml")).unwrap();
    let files =
        harden::render::render(&model, &harden::templates::Templates::embedded().unwrap()).unwrap();
    assert!(
        !files
            .iter()
            .any(|f| f.name == "03-cilium-network-policy.yaml")
    );
}

#[test]
fn audit_reads_the_cilium_dns_rule_and_fails_without_it() {
    let dir = TempDir::new().unwrap();
    harden::write::write_all(dir.path(), &checkout(), false, &|_| true).unwrap();
    Command::cargo_bin("harden")
        .unwrap()
        .args(["audit"])
        .arg(dir.path())
        .assert()
        .code(0);
    fs::remove_file(dir.path().join("03-cilium-network-policy.yaml")).unwrap();
    let output = Command::cargo_bin("harden")
        .unwrap()
        .args(["audit"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("control/dns-egress")
            && stdout.contains("pods cannot reach DNS on UDP and TCP 53"),
        "{stdout}"
    );
}

/// A workspace of two specs in namespace `shop`: `checkout` (Cilium, egress
/// by hostname, calls ledger) and `ledger` (called by checkout).
fn shop_workspace() -> TempDir {
    let dir = TempDir::new().unwrap();
    fs::write(
        dir.path().join("harden.yaml"),
        "specs: [specs]\noutput: \"deploy/{app}\"\n",
    )
    .unwrap();
    fs::create_dir(dir.path().join("specs")).unwrap();
    let image = "registry.example.com/shop/APP@sha256:c7761e58969f7edd498186641b2021e8477e1bcd230de4cf3435242da4a40d14";
    fs::write(
        dir.path().join("specs/checkout.yaml"),
        format!(
            "apiVersion: harden.dev/v1alpha1\nkind: SecuritySpec\napp:\n  name: checkout\n  namespace: shop\n  podSecurityVersion: v1.33\nnetwork:\n  enforcement: cilium\nworkload:\n  image: {}\n  port: 8080\negress:\n  - name: stripe\n    hosts: [api.stripe.com]\n    ports:\n      - port: 443\n  - app: ledger\n    ports:\n      - port: 7000\n",
            image.replace("APP", "checkout")
        ),
    )
    .unwrap();
    fs::write(
        dir.path().join("specs/ledger.yaml"),
        format!(
            "apiVersion: harden.dev/v1alpha1\nkind: SecuritySpec\napp:\n  name: ledger\n  namespace: shop\n  podSecurityVersion: v1.33\nworkload:\n  image: {}\n  port: 7000\ningress:\n  - app: checkout\n",
            image.replace("APP", "ledger")
        ),
    )
    .unwrap();
    dir
}

/// The leak of issue 22: ledger's peer policy for its caller checkout
/// selected checkout's pods and opened plain DNS, which voids checkout's
/// Cilium DNS filter (Cilium adds the allows up, and a plain L4 allow voids
/// the L7 rules of the same port). The rendered workspace must audit clean
/// of `netpol/dns-filter-voided`, and checkout must still resolve ledger's
/// Service name through its own filter.
#[test]
fn a_peer_policy_does_not_void_a_cilium_dns_filter() {
    let dir = shop_workspace();
    crate::support::harden_in(dir.path())
        .args(["render", "--quiet"])
        .assert()
        .code(0);
    let output = crate::support::harden_in(dir.path())
        .args(["audit", "deploy"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        !stdout.contains("netpol/dns-filter-voided"),
        "the rendered workspace voids checkout's DNS filter:\n{stdout}"
    );
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    // Through its own filter, checkout resolves ledger's Service name.
    let mut documents = Vec::new();
    for app in ["checkout", "ledger"] {
        for entry in fs::read_dir(dir.path().join("deploy").join(app)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".yaml") && name != "kustomization.yaml" {
                documents.extend(
                    harden::yaml::parse_stream(&fs::read_to_string(&path).unwrap()).unwrap(),
                );
            }
        }
    }
    let cluster = harden::netpol::Cluster::from_documents(&documents).unwrap();
    assert!(cluster.voided_dns_filters().is_empty());
    let checkout = cluster.endpoint("Deployment/shop/checkout").unwrap();
    let harden::netpol::Endpoint::Pod(index) = checkout else {
        unreachable!()
    };
    let filter = cluster
        .dns_filter(&cluster.pods[index])
        .expect("checkout's DNS is filtered");
    assert!(
        filter.allows("ledger.shop.svc.cluster.local."),
        "{filter:?}"
    );
    assert!(filter.allows("api.stripe.com"), "{filter:?}");
    assert!(!filter.allows("example.com"), "{filter:?}");
}

/// The live audit's check 11 connects with nc, over TCP: a hostname rule
/// whose first port is SCTP (or UDP) is probed on its first TCP port, and a
/// rule with no TCP port is not probed (a generated spec found this).
#[test]
fn the_hostname_check_probes_a_tcp_port() {
    let text = std::fs::read_to_string(repo().join("specs/checkout.yaml"))
        .unwrap()
        .replace(
            "  - name: stripe\n    hosts: [api.stripe.com]\n    ports:\n      - port: 443\n",
            "  - name: stripe\n    hosts: [api.stripe.com]\n    ports:\n      - {port: 21699, protocol: SCTP}\n      - port: 443\n  - name: voice\n    hosts: [rtp.example.com]\n    ports:\n      - {port: 5004, protocol: UDP}\n",
        );
    let model =
        harden::load::load_spec_text_as(&text, "checkout.yaml", "checkout.yaml", None).unwrap();
    let files =
        harden::render::render(&model, &harden::templates::Templates::embedded().unwrap()).unwrap();
    let audit = files
        .iter()
        .find(|f| f.name.ends_with("-audit.sh"))
        .unwrap();
    let targets = audit
        .content
        .lines()
        .find(|l| l.starts_with("HOST_TARGETS=("))
        .unwrap();
    assert!(targets.contains("'api.stripe.com:443'"), "{targets}");
    assert!(!targets.contains("21699"), "{targets}");
    assert!(!targets.contains("rtp.example.com"), "{targets}");
}

/// The live scripts' own pods (probes, attackers) run images pinned by
/// digest, as harden requires of apps: no default image is a bare tag.
#[test]
fn the_live_scripts_run_images_pinned_by_digest() {
    let files = checkout();
    let mut defaults = 0;
    for script in files.iter().filter(|f| f.name.ends_with(".sh")) {
        for line in script.content.lines() {
            let Some((name, value)) = line.split_once("_IMAGE='") else {
                continue;
            };
            if name.contains(' ') {
                continue;
            }
            defaults += 1;
            let image = value.trim_end_matches('\'');
            let digest = image.rsplit_once("@sha256:").map(|(_, d)| d).unwrap_or("");
            assert!(
                digest.len() == 64 && digest.chars().all(|c| c.is_ascii_hexdigit()),
                "{}: {line}",
                script.name
            );
        }
    }
    assert!(defaults >= 4, "default images found: {defaults}");
}
