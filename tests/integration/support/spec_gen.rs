//! Generators of valid specs, for property tests: specs the way a user
//! writes them (valid DNS names, images pinned by digest, ports, flows to
//! pods, networks and names, secrets, Dapr components, API access,
//! compliance frameworks and what they require), so that properties about
//! rendering and the live scripts run on real output. Each field keeps to
//! the spec's grammar; everything else is left to chance. Shared by
//! the properties and audit_script modules.

use proptest::prelude::*;
use serde_json::{Value, json};

/// A DNS label of 2 to 13 characters, sometimes with an inner dash.
fn label() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9]{1,6}(-[a-z0-9]{1,5})?"
}

/// An image reference pinned by digest: registry, path, optional tag.
pub fn image() -> impl Strategy<Value = String> {
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

/// One or two ports, each over TCP (given or by default), UDP or SCTP.
fn ports() -> impl Strategy<Value = Value> {
    prop::collection::btree_map(
        1u32..=65535,
        prop::sample::select(vec![None, Some("TCP"), Some("UDP"), Some("SCTP")]),
        1..=2,
    )
    .prop_map(|ports| {
        json!(
            ports
                .into_iter()
                .map(|(port, protocol)| match protocol {
                    Some(protocol) => json!({"port": port, "protocol": protocol}),
                    None => json!({"port": port}),
                })
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
        prop::option::of(prop::sample::select(vec![
            "1.14", "1.15", "1.16", "1.17", "1.18",
        ])),
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

/// Access to the Kubernetes API: a rule in the app's namespace, on the core
/// group or another one, read or write verbs, Secrets included.
fn kubernetes_api() -> impl Strategy<Value = Value> {
    (
        any::<[u8; 3]>(),
        prop::option::of(prop::collection::vec(label(), 1..=2)),
        prop::sample::subsequence(
            vec!["get", "list", "watch", "create", "update", "patch", "delete"],
            1..=4,
        ),
        prop::sample::select(vec![
            ("", "configmaps"),
            ("", "services"),
            ("", "endpoints"),
            // Secrets three times: the rule the audit treats apart.
            ("", "secrets"),
            ("", "secrets"),
            ("", "secrets"),
            ("apps", "deployments"),
            ("batch", "jobs"),
            ("coordination.k8s.io", "leases"),
        ]),
        prop::option::of(600u64..=7200),
    )
        .prop_map(|(address, names, verbs, (group, resource), expiration)| {
            let mut rule = json!({"apiGroups": [group], "resources": [resource], "verbs": verbs});
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
        // Never a port daprd binds: compliance turns Dapr on, and the app
        // may not share the sidecar's ports (a rare random hit otherwise).
        port in (1024u32..=65535)
            .prop_filter("a Dapr sidecar port", |p| !harden::platform::dapr::SIDECAR_PORTS.contains(p)),
        replicas in 1u32..=5,
        user in prop::option::of(10000u64..=60000),
        cpu in 1u32..=4,
        memory in 1u32..=8,
        paths in prop::sample::subsequence(vec!["/tmp", "/var/cache/app", "/data"], 0..=3),
        liveness in prop::option::of(prop::sample::select(vec!["/healthz", "/livez"])),
        signature in prop::option::of(signature()),
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
        if let Some(signature) = signature {
            workload["signature"] = signature;
        }
        workload
    }
}

/// `workload.signature`: keyless (a subject or an anchored expression) or
/// a key (PEM, Secret or KMS), with attestations left to chance.
fn signature() -> impl Strategy<Value = Value> {
    let signer = prop_oneof![
        Just(
            json!({"keyless": {"issuer": "https://token.actions.githubusercontent.com",
            "subject": "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main"}})
        ),
        Just(json!({"keyless": {"issuer": "https://accounts.google.com",
            "subjectRegExp": "^release@acme\\.example$"}})),
        Just(json!({"key": {"secret": "release-key"}})),
        Just(
            json!({"key": {"kms": "gcpkms://projects/p/locations/global/keyRings/r/cryptoKeys/k"}})
        ),
        Just(
            json!({"key": {"pem": "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqOcSCRfC3Ap6Nd1n0Z5pv0Tn5b5a\nJbkNhs1sFIGjFtqkQk8T+q3YJ6p8nKr+GmJzbbJq8xOs1l4wWb0PGY9dEw==\n-----END PUBLIC KEY-----\n"}})
        ),
    ];
    (
        signer,
        prop::option::of(prop::sample::select(vec!["cyclonedx", "spdx"])),
        prop::option::of(1u32..=8760),
        prop::option::of(prop::sample::select(vec!["bundle", "legacy"])),
    )
        .prop_map(|(mut signature, sbom, hours, format)| {
            if let Some(sbom) = sbom {
                signature["attestations"]["sbom"] = json!(sbom);
            }
            if let Some(hours) = hours {
                signature["attestations"]["vulnerabilityScan"] = json!({"maxAgeHours": hours});
            }
            if let Some(format) = format {
                signature["format"] = json!(format);
            }
            signature
        })
}

/// A spec a user could have written: valid, with every default left to chance.
pub fn spec() -> impl Strategy<Value = Value> {
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
    spec["dapr"]["appTokenSecret"] = json!("dapr-app-token");
    if spec["workload"].get("signature").is_none() {
        spec["workload"]["signature"] = json!({"keyless": {
            "issuer": "https://token.actions.githubusercontent.com",
            "subject": "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main"}});
    }
    if let Some(secrets) = spec.get_mut("secrets")
        && secrets["source"] == "manual"
    {
        secrets["source"] = json!("externalSecrets");
        secrets["store"] = json!({"name": "vault", "kind": "ClusterSecretStore"});
        for key in secrets["keys"].as_array_mut().unwrap() {
            key["remoteKey"] = json!("app/secret");
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
pub fn load(spec: &Value) -> Result<harden::model::Model, String> {
    let text = serde_json::to_string_pretty(spec).unwrap();
    harden::load::load_spec_text(&text, "generated.yaml").map_err(|e| format!("{e}\n{text}"))
}
