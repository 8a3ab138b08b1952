//! Property tests for validation and quoting: whatever a spec says, a value
//! that validation accepts reaches the manifests as exactly that value (it
//! can never change their structure), and validation never panics.

use proptest::prelude::*;
use serde_json::{Value, json};

use harden::validate::formats;

const BASE: &str = "\
apiVersion: harden.dev/v1alpha1
kind: SecuritySpec
app:
  name: shop
workload:
  image: ghcr.io/acme/shop@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
  port: 8080
dapr:
  components:
    - name: cache
      type: state.redis
      metadata:
        host: VALUE
";

fn render_value(value: &str) -> Option<String> {
    let quoted = serde_json::to_string(value).unwrap();
    let spec = BASE.replace("VALUE", &quoted);
    let model = harden::load::load_spec_text(&spec, "p.yaml").ok()?;
    let files = harden::render::render(&model, &harden::templates::Templates::embedded().unwrap())
        .expect("a valid spec always renders");
    let components = &files
        .iter()
        .find(|f| f.name == "05-dapr-components.yaml")
        .unwrap()
        .content;
    let documents = harden::yaml::parse_stream(components).expect("rendered YAML parses");
    let component = documents.iter().find(|d| d["kind"] == "Component").unwrap();
    let items = component["spec"]["metadata"].as_array().unwrap();
    assert_eq!(items.len(), 1, "the value added no metadata entry");
    assert_eq!(
        component.as_object().unwrap().len(),
        5,
        "the value added no top-level field"
    );
    Some(items[0]["value"].as_str().unwrap().to_string())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Any accepted metadata value arrives verbatim, however hostile.
    #[test]
    fn accepted_values_reach_the_manifest_verbatim(value in "[ -~]{0,40}|[\\PC]{0,20}") {
        if let Some(rendered) = render_value(&value) {
            prop_assert_eq!(rendered, value);
        }
    }

    /// Values with control characters (newlines, tabs) are refused, never rendered.
    #[test]
    fn control_characters_are_refused(prefix in "[a-z]{0,5}", control in "[\\n\\r\\t\\x00\\x1b]", suffix in "[a-z]{0,5}") {
        let value = format!("{prefix}{control}{suffix}");
        prop_assert!(render_value(&value).is_none());
    }

    /// The name checks agree with the Kubernetes grammar.
    #[test]
    fn dns_labels_match_the_grammar(text in "[a-z0-9-]{0,70}|[ -~]{0,10}") {
        let expected = !text.is_empty()
            && text.len() <= 63
            && text.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !text.starts_with('-')
            && !text.ends_with('-');
        prop_assert_eq!(formats::dns1123_label(&text).is_ok(), expected);
    }

    /// A CIDR that parses is canonical: printing it back gives the same text.
    #[test]
    fn parsed_cidrs_are_canonical(a in 0u8..=255, b in 0u8..=255, c in 0u8..=255, d in 0u8..=255, prefix in 0u8..=40) {
        let text = format!("{a}.{b}.{c}.{d}/{prefix}");
        if let Ok(cidr) = formats::cidr(&text) {
            prop_assert!(prefix <= 32);
            prop_assert_eq!(format!("{}/{}", cidr.address, cidr.prefix), text);
        }
    }

    /// Parsing never panics on arbitrary text, and what it accepts is sane.
    #[test]
    fn image_references_never_panic(text in "[ -~]{0,80}") {
        if let Ok(reference) = formats::image_reference(&text) {
            prop_assert!(!text.contains(' '));
            if let Some(digest) = reference.digest {
                prop_assert!(digest.starts_with("sha256:") || digest.starts_with("sha512:"));
            }
        }
        let _ = formats::quantity(&text);
        let _ = formats::go_duration(&text);
        let _ = formats::mount_path(&text);
    }

    /// Validation of arbitrary documents never panics; it accepts or reports.
    #[test]
    fn validation_never_panics(name in "[ -~]{0,20}", port in any::<i64>(), image in "[ -~]{0,30}") {
        let spec = format!(
            "apiVersion: harden.dev/v1alpha1\nkind: SecuritySpec\napp:\n  name: {}\nworkload:\n  image: {}\n  port: {port}\n",
            serde_json::to_string(&name).unwrap(),
            serde_json::to_string(&image).unwrap()
        );
        let _ = harden::load::load_spec_text(&spec, "p.yaml");
    }
}

// --- valid specs -----------------------------------------------------------
//
// The generators below build specs the way a user writes them (valid DNS
// names, images pinned by digest, ports, flows, secrets, Dapr components),
// so that the properties about rendering run on real output. Each field
// keeps to the spec's grammar; everything else is left to chance.

/// A DNS label of 2 to 13 characters, sometimes with an inner dash.
fn label() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9]{1,6}(-[a-z0-9]{1,5})?"
}

/// An image reference pinned by digest: registry, path, optional tag.
fn image() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec![
            "ghcr.io",
            "registry.example.com",
            "docker.io",
            "quay.io:443",
        ]),
        prop::collection::vec("[a-z][a-z0-9]{0,7}", 1..=3),
        prop::option::of("[0-9]{1,2}\\.[0-9]{1,2}\\.[0-9]{1,2}"),
        "[0-9a-f]{64}",
    )
        .prop_map(|(registry, path, tag, digest)| {
            let tag = tag.map(|t| format!(":{t}")).unwrap_or_default();
            format!("{registry}/{}{tag}@sha256:{digest}", path.join("/"))
        })
}

fn ports() -> impl Strategy<Value = Value> {
    prop::collection::btree_set(1u32..=65535, 1..=2).prop_map(|ports| {
        json!(
            ports
                .into_iter()
                .map(|p| json!({"port": p}))
                .collect::<Vec<_>>()
        )
    })
}

/// Pods elsewhere (a namespace and a label), with ports or without.
fn peer(index: usize) -> impl Strategy<Value = Value> {
    (
        label(),
        label(),
        prop::option::of(label()),
        ports(),
        any::<bool>(),
    )
        .prop_map(move |(name, value, namespace, ports, with_ports)| {
            let mut peer = json!({
                "name": format!("{name}-{index}"),
                "podLabels": {"app.kubernetes.io/name": value},
            });
            if let Some(namespace) = namespace {
                peer["namespace"] = json!(namespace);
            }
            if with_ports {
                peer["ports"] = ports;
            }
            peer
        })
}

/// An egress entry: pods, a public network range, or (with Cilium) names.
fn egress(index: usize, cilium: bool) -> impl Strategy<Value = Value> {
    // A network address: host bits cleared, as validation requires.
    let cidr = (1u8..=223, any::<[u8; 3]>(), 8u8..=32, ports()).prop_map(move |(a, rest, prefix, ports)| {
        let bits = u32::from_be_bytes([a, rest[0], rest[1], rest[2]]) & (u32::MAX << (32 - prefix));
        let network = std::net::Ipv4Addr::from(bits);
        json!({"name": format!("net-{index}"), "cidr": format!("{network}/{prefix}"), "ports": ports})
    });
    let hosts = (
        prop::collection::btree_set(label(), 1..=2),
        any::<bool>(),
        ports(),
    )
        .prop_map(move |(names, wildcard, ports)| {
            let hosts: Vec<String> = names
                .iter()
                .map(|n| {
                    if wildcard {
                        format!("*.{n}.example.com")
                    } else {
                        format!("{n}.example.com")
                    }
                })
                .collect();
            json!({"name": format!("hosts-{index}"), "hosts": hosts, "ports": ports})
        });
    let choices = if cilium { 3 } else { 2 };
    (0..choices, peer(index), cidr, hosts, ports()).prop_map(
        |(choice, mut peer, cidr, hosts, ports)| match choice {
            0 => {
                // Egress to pods names its ports.
                peer["ports"] = ports;
                peer
            }
            1 => cidr,
            _ => hosts,
        },
    )
}

fn secrets(keys: Vec<String>) -> impl Strategy<Value = Value> {
    (any::<bool>(), label(), any::<bool>(), prop::option::of(prop::sample::select(vec!["/secrets", "/etc/app-secrets", "/var/run/app"])))
        .prop_map(move |(external, store, cluster_store, mount)| {
            let mut secrets = if external {
                json!({
                    "source": "externalSecrets",
                    "store": {"name": store, "kind": if cluster_store { "ClusterSecretStore" } else { "SecretStore" }},
                    "keys": keys.iter().map(|k| json!({"name": k, "remoteKey": format!("app/{k}"), "property": "value"})).collect::<Vec<_>>(),
                })
            } else {
                json!({"source": "manual", "keys": keys.iter().map(|k| json!({"name": k})).collect::<Vec<_>>()})
            };
            if let Some(mount) = mount {
                secrets["mountPath"] = json!(mount);
            }
            secrets
        })
}

fn component(index: usize, secret_key: Option<String>) -> impl Strategy<Value = Value> {
    (
        label(),
        prop::sample::select(vec![
            "state.redis",
            "pubsub.kafka",
            "bindings.http",
            "state.postgresql",
        ]),
        prop::collection::btree_map("[a-z][a-zA-Z]{0,8}", "[ -~]{0,20}", 0..=3),
        prop::option::of(prop::collection::vec(label(), 1..=2)),
    )
        .prop_map(move |(name, kind, metadata, scopes)| {
            let mut component =
                json!({"name": format!("{name}-{index}"), "type": kind, "metadata": metadata});
            if let Some(key) = &secret_key {
                component["secretMetadata"] = json!({"password": {"key": key}});
            }
            if let Some(scopes) = scopes {
                component["scopes"] = json!(scopes);
            }
            component
        })
}

fn dapr(secret_key: Option<String>) -> impl Strategy<Value = Value> {
    (
        prop::option::of(label()),
        any::<bool>(),
        any::<bool>(),
        prop::option::of(prop::sample::select(vec!["1.14", "1.15", "1.16"])),
        prop::collection::vec(label(), 0..=2),
        prop::collection::vec(label(), 0..=2),
        0usize..=2,
        prop::collection::vec(component(0, secret_key.clone()), 2),
        prop::collection::vec(component(1, secret_key), 1),
    )
        .prop_map(
            |(app_id, logging, actors, version, invoked_by, invokes, count, first, second)| {
                let mut dapr = json!({"apiLogging": logging, "actors": actors});
                if let Some(app_id) = app_id {
                    dapr["appId"] = json!(app_id);
                }
                if let Some(version) = version {
                    dapr["version"] = json!(version);
                }
                let components: Vec<Value> = first
                    .into_iter()
                    .take(1)
                    .chain(second)
                    .take(count)
                    .collect();
                dapr["components"] = json!(components);
                dapr["invokedBy"] = json!(
                    invoked_by
                        .iter()
                        .map(|a| json!({"appId": a}))
                        .collect::<Vec<_>>()
                );
                dapr["invokes"] = json!(
                    invokes
                        .iter()
                        .map(|a| json!({"appId": a}))
                        .collect::<Vec<_>>()
                );
                dapr
            },
        )
}

/// Access to the Kubernetes API: a few read rules in the app's namespace.
fn kubernetes_api() -> impl Strategy<Value = Value> {
    (
        any::<[u8; 3]>(),
        prop::option::of(prop::collection::vec(label(), 1..=2)),
        prop::sample::subsequence(vec!["get", "list", "watch"], 1..=3),
        prop::sample::select(vec!["configmaps", "services", "endpoints"]),
        prop::option::of(600u64..=7200),
    )
        .prop_map(|(address, names, verbs, resource, expiration)| {
            let mut rule = json!({"apiGroups": [""], "resources": [resource], "verbs": verbs});
            if let Some(names) = names {
                rule["resourceNames"] = json!(names);
            }
            let mut api = json!({
                "apiServer": {"cidr": format!("10.{}.{}.{}/32", address[0], address[1], address[2]), "port": 6443},
                "rules": [rule],
            });
            if let Some(seconds) = expiration {
                api["token"] = json!({"expirationSeconds": seconds});
            }
            api
        })
}

prop_compose! {
    fn workload()(
        image in image(),
        port in 1024u32..=65535,
        replicas in 1u32..=5,
        user in prop::option::of(10000u64..=60000),
        cpu in 1u32..=4,
        memory in 1u32..=8,
        paths in prop::sample::subsequence(vec!["/tmp", "/var/cache/app", "/data"], 0..=3),
        liveness in prop::option::of(prop::sample::select(vec!["/healthz", "/livez"])),
    ) -> Value {
        let mut workload = json!({
            "image": image,
            "port": port,
            "replicas": replicas,
            "resources": {
                "requests": {"cpu": format!("{}m", cpu * 50), "memory": format!("{}Mi", memory * 32)},
                "limits": {"cpu": format!("{}m", cpu * 250), "memory": format!("{}Mi", memory * 64)},
            },
            "writablePaths": paths,
        });
        if let Some(user) = user {
            workload["runAsUser"] = json!(user);
        }
        if let Some(path) = liveness {
            workload["probes"] = json!({"liveness": {"path": path}, "readiness": {"path": path}});
        }
        workload
    }
}

/// A spec a user could have written; see [`valid_spec`].
fn spec() -> impl Strategy<Value = Value> {
    (
        label(),
        prop::option::of(label()),
        prop::sample::subsequence(vec!["soc2", "hipaa", "pci-dss"], 0..=3),
        prop::option::of(25u32..=37),
        any::<bool>(),
        workload(),
        prop::collection::btree_set(label(), 0..=3),
    )
        .prop_flat_map(
            |(name, namespace, compliance, pss, cilium, workload, keys)| {
                let keys: Vec<String> = keys.into_iter().collect();
                let secret_key = keys.first().cloned();
                let secrets = if keys.is_empty() {
                    Just(None).boxed()
                } else {
                    secrets(keys).prop_map(Some).boxed()
                };
                (
                    Just((name, namespace, compliance, pss, cilium, workload)),
                    prop::collection::vec(peer(0), 0..=2),
                    (0usize..=3).prop_flat_map(move |n| {
                        (0..n).map(|i| egress(i, cilium)).collect::<Vec<_>>()
                    }),
                    secrets,
                    prop::option::of(dapr(secret_key)),
                    prop::option::of(kubernetes_api()),
                )
            },
        )
        .prop_map(
            |(
                (name, namespace, compliance, pss, cilium, workload),
                ingress,
                egress,
                secrets,
                dapr,
                api,
            )| {
                let mut app = json!({"name": name, "compliance": compliance});
                if let Some(namespace) = namespace {
                    app["namespace"] = json!(namespace);
                }
                if let Some(minor) = pss {
                    app["podSecurityVersion"] = json!(format!("v1.{minor}"));
                }
                let port = workload["port"].clone();
                let ingress: Vec<Value> = ingress
                    .into_iter()
                    .enumerate()
                    .map(|(i, mut rule)| {
                        rule["name"] = json!(format!("in-{i}"));
                        // Callers reach the app's own port, or every port of it.
                        if rule.get("ports").is_some() {
                            rule["ports"] = json!([{"port": port}]);
                        }
                        rule
                    })
                    .collect();
                let mut spec = json!({
                    "apiVersion": "harden.dev/v1alpha1",
                    "kind": "SecuritySpec",
                    "app": app,
                    "workload": workload,
                    "ingress": ingress,
                    "egress": egress,
                });
                if cilium {
                    spec["network"] = json!({"enforcement": "cilium"});
                }
                if let Some(secrets) = secrets {
                    spec["secrets"] = secrets;
                }
                if let Some(dapr) = dapr {
                    spec["dapr"] = dapr;
                }
                if let Some(api) = api {
                    spec["kubernetesApi"] = api;
                }
                comply(&mut spec);
                spec
            },
        )
}

/// What the declared compliance frameworks require of a spec (see
/// src/validate/compliance.rs): any framework wants Dapr with API logging
/// (SOC 2 audit logging, HIPAA mTLS and audit controls); PCI DSS also wants
/// a Dapr API token, secrets from a store and no egress range wider than /16.
fn comply(spec: &mut Value) {
    let frameworks: Vec<String> =
        serde_json::from_value(spec["app"]["compliance"].clone()).unwrap();
    if frameworks.is_empty() {
        return;
    }
    if spec.get("dapr").is_none() {
        spec["dapr"] = json!({});
    }
    spec["dapr"]["apiLogging"] = json!(true);
    if !frameworks.iter().any(|f| f == "pci-dss") {
        return;
    }
    spec["dapr"]["apiTokenSecret"] = json!("dapr-api-token");
    if let Some(secrets) = spec.get_mut("secrets") {
        if secrets["source"] == "manual" {
            secrets["source"] = json!("externalSecrets");
            secrets["store"] = json!({"name": "vault", "kind": "ClusterSecretStore"});
            for key in secrets["keys"].as_array_mut().unwrap() {
                key["remoteKey"] = json!("app/secret");
            }
        }
    }
    for rule in spec["egress"].as_array_mut().unwrap() {
        if let Some(cidr) = rule.get("cidr").and_then(Value::as_str) {
            let (address, prefix) = cidr.split_once('/').unwrap();
            if prefix.parse::<u8>().unwrap() < 16 {
                let octets: Vec<&str> = address.split('.').collect();
                rule["cidr"] = json!(format!("{}.{}.0.0/16", octets[0], octets[1]));
            }
        }
    }
}

/// Loads a generated spec (JSON is YAML).
fn load(spec: &Value) -> Result<harden::model::Model, String> {
    let text = serde_json::to_string_pretty(spec).unwrap();
    harden::load::load_spec_text(&text, "generated.yaml").map_err(|e| format!("{e}\n{text}"))
}

/// How many generated specs validate: the properties below are only worth
/// their cases if nearly all of them do. Measured on 500 specs from a fixed
/// seed, so the figure is the same on every run (500 of 500 when written).
#[test]
fn generated_specs_are_valid() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = spec();
    let total = 500;
    let mut rejected = Vec::new();
    let mut covered = [0usize; 6];
    for _ in 0..total {
        let spec = strategy.new_tree(&mut runner).unwrap().current();
        match load(&spec) {
            Ok(model) => {
                let dapr = model.dapr.as_ref();
                for (count, present) in covered.iter_mut().zip([
                    dapr.is_some(),
                    dapr.is_some_and(|d| !d.components.is_empty()),
                    !model.network.hosts.is_empty(),
                    model.secrets.is_some(),
                    model.api_access.is_some(),
                    !model.compliance.is_empty(),
                ]) {
                    *count += usize::from(present);
                }
            }
            Err(error) => rejected.push(error),
        }
    }
    let accepted = total - rejected.len();
    assert!(
        accepted * 100 >= total * 95,
        "only {accepted} of {total} generated specs validate; first rejection:\n{}",
        rejected[0]
    );
    // Every part of the spec is exercised by a fair share of the cases:
    // Dapr, components, hostnames, secrets, API access, compliance.
    for (part, count) in [
        "dapr",
        "components",
        "hosts",
        "secrets",
        "kubernetesApi",
        "compliance",
    ]
    .iter()
    .zip(covered)
    {
        assert!(
            count * 10 >= total,
            "only {count} of {total} specs have {part}"
        );
    }
}

fn templates() -> &'static harden::templates::Templates {
    static TEMPLATES: std::sync::OnceLock<harden::templates::Templates> =
        std::sync::OnceLock::new();
    TEMPLATES.get_or_init(|| harden::templates::Templates::embedded().unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Every generated spec validates, renders, and the output is what
    /// `render` would write: the same bytes twice, clean under harden's own
    /// audit (Pod Security restricted at the pinned version, the ten
    /// controls, the network-policy rules), network policies that allow
    /// exactly the model's flows (the proof), YAML that parses, and live
    /// scripts that bash can parse.
    #[test]
    fn generated_specs_render_clean_and_deterministic(spec in spec()) {
        let model = load(&spec).map_err(TestCaseError::fail)?;
        let files = harden::render::render(&model, templates()).expect("a valid spec renders");
        let again = harden::render::render(&load(&spec).unwrap(), templates()).unwrap();
        prop_assert_eq!(&files, &again, "render is deterministic");
        let findings = harden::audit::self_check(&model, &files).expect("rendered YAML parses");
        prop_assert!(findings.is_empty(), "own audit findings: {:?}", findings);
        let proof = harden::proof::prove(&model, &files).expect("policies evaluate");
        prop_assert!(proof.violations.is_empty(), "proof violations: {:?}", proof.violations);
        for file in files.iter().filter(|f| f.name.ends_with(".yaml")) {
            prop_assert!(harden::yaml::parse_stream(&file.content).is_ok(), "{} parses", file.name);
        }
        for kind in ["audit", "pentest"] {
            let name = format!("secure-{}-{kind}.sh", model.name);
            let script = &files.iter().find(|f| f.name == name).expect("script rendered").content;
            let syntax = std::process::Command::new("bash")
                .args(["-n", "-c", script])
                .output()
                .unwrap();
            prop_assert!(syntax.status.success(), "{}: {}", name, String::from_utf8_lossy(&syntax.stderr));
        }
    }

    /// Generated image references (pinned by digest) always parse, and keep
    /// their digest.
    #[test]
    fn valid_image_references_parse(text in image()) {
        let reference = formats::image_reference(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert_eq!(reference.digest.as_deref(), text.split_once('@').map(|(_, d)| d));
    }
}
