//! `harden audit`: Pod Security conformance with the official fixtures,
//! every rule failing and passing, the textbook capstone's predicted
//! defects, SARIF structure, exit statuses, and `render`'s self-check.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use harden::audit::manifests::{Manifest, Object};
use harden::audit::pss::{Level, Version};
use harden::audit::rules::{self, Family, PssChoice, Selection};
use harden::render::GeneratedFile;
use tempfile::TempDir;

use crate::support::harden::Harden;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn harden() -> Command {
    Command::cargo_bin("harden").unwrap()
}

/// The official fixtures live in ../shared (never copied into the project).
/// Missing fixtures fail the test: the conformance claim needs them.
fn fixtures_dir() -> PathBuf {
    let dir = std::env::var_os("HARDEN_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared"))
        .join("conformance/pss-fixtures");
    assert!(
        dir.is_dir(),
        "the Pod Security fixtures are missing at {}: put shared/ beside the project or set HARDEN_SHARED",
        dir.display()
    );
    dir
}

#[test]
fn pod_security_agrees_with_every_official_fixture() {
    let report = harden::audit::pss_fixtures::run(&fixtures_dir()).expect("fixtures readable");
    assert!(
        report.total > 1700,
        "expected the full fixture set, found {}",
        report.total
    );
    assert!(
        report.disagreements.is_empty(),
        "{} of {} agree; disagreements:\n{}",
        report.agree,
        report.total,
        report.disagreements.join("\n")
    );
}

fn rendered(spec: &str) -> Vec<GeneratedFile> {
    let model =
        harden::load::load_spec(&repo().join("specs").join(format!("{spec}.yaml"))).unwrap();
    harden::render::render(&model, &harden::templates::Templates::embedded().unwrap()).unwrap()
}

fn manifests_of(files: &[(String, String)]) -> Vec<Manifest> {
    files
        .iter()
        .filter(|(name, _)| name.ends_with(".yaml") && name != "kustomization.yaml")
        .flat_map(|(name, text)| Manifest::parse_all(name, text).unwrap())
        .collect()
}

fn audit_all(files: &[(String, String)]) -> Vec<rules::Finding> {
    let choice = PssChoice {
        level: None,
        version: None,
    };
    let manifests = manifests_of(files);
    let objects: Vec<Object<'_>> = manifests.iter().flat_map(Object::all_of).collect();
    let mut findings = rules::audit(&objects, &Selection::all(), choice);
    // Waivers written on the objects themselves count, as in `harden audit`.
    let mut waivers = harden::audit::waivers::Waivers::default();
    for object in &objects {
        waivers.add_annotation(object);
    }
    waivers.apply(&mut findings);
    findings.retain(|f| f.suppressed.is_none());
    findings
}

fn as_pairs(files: &[GeneratedFile]) -> Vec<(String, String)> {
    files
        .iter()
        .map(|f| (f.name.clone(), f.content.clone()))
        .collect()
}

#[test]
fn our_own_output_has_no_findings() {
    for spec in ["task-api", "payments", "orders", "hello", "checkout"] {
        let findings = audit_all(&as_pairs(&rendered(spec)));
        assert!(findings.is_empty(), "{spec}: {findings:#?}");
    }
}

/// A mutation of a rendered example that must trigger `rule`: each `from`
/// is replaced by the `to` at the same position (several separated by `||`).
struct Case {
    rule: &'static str,
    spec: &'static str,
    file: &'static str,
    from: &'static str,
    to: &'static str,
}

const CASES: &[Case] = &[
    Case {
        rule: "hardening/disruption-budget-blocks-eviction",
        spec: "hello",
        file: "07-disruption-budget.yaml",
        from: "maxUnavailable: 1",
        to: "maxUnavailable: 0",
    },
    Case {
        rule: "hardening/disruption-budget-blocks-eviction",
        spec: "hello",
        file: "07-disruption-budget.yaml",
        from: "maxUnavailable: 1",
        to: "minAvailable: \"100%\"",
    },
    Case {
        // hello asks for 2 replicas.
        rule: "hardening/disruption-budget-blocks-eviction",
        spec: "hello",
        file: "07-disruption-budget.yaml",
        from: "maxUnavailable: 1",
        to: "minAvailable: 2",
    },
    Case {
        // 60% of 2 pods, rounded up, is 2.
        rule: "hardening/disruption-budget-blocks-eviction",
        spec: "hello",
        file: "07-disruption-budget.yaml",
        from: "maxUnavailable: 1",
        to: "minAvailable: \"60%\"",
    },
    Case {
        rule: "netpol/allow-all-ingress",
        spec: "task-api",
        file: "03-network-policy.yaml",
        from: "  ingress:\n    # caller gateway",
        to: "  ingress:\n    - {}\n    # caller gateway",
    },
    Case {
        rule: "netpol/allow-all-egress",
        spec: "task-api",
        file: "03-network-policy.yaml",
        from: "  egress:\n    # destination redis",
        to: "  egress:\n    - {}\n    # destination redis",
    },
    Case {
        rule: "netpol/peer-all-namespaces",
        spec: "task-api",
        file: "03-network-policy.yaml",
        from: "        - namespaceSelector:\n            matchLabels:\n              kubernetes.io/metadata.name: \"envoy-gateway-system\"\n",
        to: "        - namespaceSelector: {}\n",
    },
    Case {
        rule: "netpol/peer-all-pods",
        spec: "task-api",
        file: "03-network-policy.yaml",
        from: "    - to:\n        - podSelector:\n            matchLabels:\n              \"app.kubernetes.io/name\": \"redis\"\n",
        to: "    - to:\n        - podSelector: {}\n",
    },
    Case {
        rule: "netpol/ipblock-any",
        spec: "payments",
        file: "03-network-policy.yaml",
        from: "cidr: \"203.0.113.0/24\"",
        to: "cidr: \"0.0.0.0/0\"",
    },
    Case {
        rule: "netpol/ipblock-wide",
        spec: "payments",
        file: "03-network-policy.yaml",
        from: "cidr: \"203.0.113.0/24\"",
        to: "cidr: \"192.0.0.0/3\"",
    },
    Case {
        rule: "netpol/selects-nothing",
        spec: "hello",
        file: "03-network-policy.yaml",
        from: "  podSelector:\n    matchLabels:\n      app.kubernetes.io/name: \"hello\"\n",
        to: "  podSelector:\n    matchLabels:\n      app.kubernetes.io/name: \"nobody\"\n",
    },
    Case {
        // A plain allow of port 53 for pods whose DNS the Cilium policy
        // filters voids the filter.
        rule: "netpol/dns-filter-voided",
        spec: "checkout",
        file: "03-network-policy.yaml",
        from: "port: 8443",
        to: "port: 53",
    },
    Case {
        rule: "pss/runAsNonRoot",
        spec: "hello",
        file: "06-deployment.yaml",
        from: "runAsNonRoot: true\n        runAsUser",
        to: "runAsNonRoot: false\n        runAsUser",
    },
    Case {
        rule: "pss/privileged",
        spec: "hello",
        file: "06-deployment.yaml",
        from: "privileged: false",
        to: "privileged: true",
    },
    Case {
        rule: "pss/allowPrivilegeEscalation",
        spec: "hello",
        file: "06-deployment.yaml",
        from: "allowPrivilegeEscalation: false",
        to: "allowPrivilegeEscalation: true",
    },
    Case {
        rule: "pss/capabilities_restricted",
        spec: "hello",
        file: "06-deployment.yaml",
        from: "- \"ALL\"",
        to: "- \"NET_RAW\"",
    },
    Case {
        rule: "pss/hostNamespaces",
        spec: "hello",
        file: "06-deployment.yaml",
        from: "enableServiceLinks: false",
        to: "enableServiceLinks: false\n      hostNetwork: true",
    },
    Case {
        rule: "pss/hostPathVolumes",
        spec: "hello",
        file: "06-deployment.yaml",
        from: "emptyDir: {}",
        to: "hostPath: {path: /var/run}",
    },
    Case {
        rule: "pss/runAsUser",
        spec: "hello",
        file: "06-deployment.yaml",
        from: "runAsUser: 10001\n            runAsGroup",
        to: "runAsUser: 0\n            runAsGroup",
    },
    Case {
        rule: "pss/seccompProfile_baseline",
        spec: "hello",
        file: "06-deployment.yaml",
        from: "type: \"RuntimeDefault\"\n      containers",
        to: "type: \"Unconfined\"\n      containers",
    },
    Case {
        rule: "control/dedicated-service-account",
        spec: "hello",
        file: "06-deployment.yaml",
        from: "serviceAccountName: \"hello-sa\"",
        to: "serviceAccountName: \"default\"",
    },
    Case {
        rule: "control/rbac-wildcard",
        spec: "payments",
        file: "02-rbac.yaml",
        from: "      - \"get\"",
        to: "      - \"*\"",
    },
    Case {
        rule: "control/rbac-secrets",
        spec: "payments",
        file: "02-rbac.yaml",
        from: "      - \"configmaps\"\n    resourceNames:\n      - \"payments-routing\"\n",
        to: "      - \"secrets\"\n",
    },
    Case {
        rule: "control/rbac-named-secrets",
        spec: "payments",
        file: "02-rbac.yaml",
        from: "      - \"configmaps\"",
        to: "      - \"secrets\"",
    },
    Case {
        rule: "control/secret-values-in-env",
        spec: "hello",
        file: "06-deployment.yaml",
        from: "          ports:\n",
        to: "          env:\n            - name: STRIPE\n              value: sk_live_4eC39HqLyjWDarjtT1zdp7dc\n          ports:\n",
    },
    Case {
        rule: "control/rbac-cluster-binding",
        spec: "payments",
        file: "02-rbac.yaml",
        from: "kind: RoleBinding",
        to: "kind: ClusterRoleBinding",
    },
    Case {
        rule: "control/rbac-dead-permission",
        spec: "payments",
        file: "06-deployment.yaml",
        from: "- serviceAccountToken:",
        to: "- clusterTrustBundle:",
    },
    Case {
        rule: "control/rbac-escalate",
        spec: "payments",
        file: "02-rbac.yaml",
        from: "rules:\n",
        to: "rules:\n  - {apiGroups: [rbac.authorization.k8s.io], resources: [roles], verbs: [escalate]}\n",
    },
    Case {
        rule: "control/rbac-bind",
        spec: "payments",
        file: "02-rbac.yaml",
        from: "rules:\n",
        to: "rules:\n  - {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind]}\n",
    },
    Case {
        rule: "control/rbac-impersonate",
        spec: "payments",
        file: "02-rbac.yaml",
        from: "rules:\n",
        to: "rules:\n  - {apiGroups: [\"\"], resources: [serviceaccounts], verbs: [impersonate]}\n",
    },
    Case {
        rule: "control/rbac-pods-exec",
        spec: "payments",
        file: "02-rbac.yaml",
        from: "rules:\n",
        to: "rules:\n  - {apiGroups: [\"\"], resources: [pods/exec], verbs: [create]}\n",
    },
    Case {
        rule: "control/rbac-nodes-proxy",
        spec: "payments",
        file: "02-rbac.yaml",
        from: "rules:\n",
        to: "rules:\n  - {apiGroups: [\"\"], resources: [nodes/proxy], verbs: [get]}\n",
    },
    Case {
        rule: "control/rbac-admission-webhooks",
        spec: "payments",
        file: "02-rbac.yaml",
        from: "rules:\n",
        to: "rules:\n  - {apiGroups: [admissionregistration.k8s.io], resources: [mutatingwebhookconfigurations], verbs: [patch]}\n",
    },
    Case {
        rule: "control/rbac-csr-approval",
        spec: "payments",
        file: "02-rbac.yaml",
        from: "rules:\n",
        to: "rules:\n  - {apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests/approval], verbs: [update]}\n",
    },
    Case {
        rule: "control/default-deny",
        spec: "hello",
        file: "03-network-policy.yaml",
        from: "    - \"Ingress\"\n    - \"Egress\"",
        to: "    - \"Ingress\"",
    },
    Case {
        rule: "control/dns-egress",
        spec: "hello",
        file: "03-network-policy.yaml",
        from: "        - protocol: \"TCP\"\n          port: 53",
        to: "        - protocol: \"TCP\"\n          port: 54",
    },
    Case {
        rule: "control/flow-blocked-at-destination",
        spec: "task-api",
        file: "03-network-policy.yaml",
        from: "  name: \"task-api-peer-redis\"",
        to: "  name: \"task-api-peer-redis\"\n  annotations: {}\nspec_removed:",
    },
    Case {
        rule: "control/dapr-loopback-policy",
        spec: "task-api",
        file: "03-network-policy.yaml",
        from: "port: 6379\n    #",
        to: "port: 6379\n    - to:\n        - podSelector:\n            matchLabels:\n              app.kubernetes.io/name: \"task-api\"\n      ports:\n        - port: 3500\n    #",
    },
    Case {
        rule: "control/secrets-in-env",
        spec: "hello",
        file: "06-deployment.yaml",
        from: "          ports:\n",
        to: "          env:\n            - name: TOKEN\n              valueFrom:\n                secretKeyRef: {name: hello, key: token}\n          ports:\n",
    },
    Case {
        rule: "control/secret-values-in-manifests",
        spec: "hello",
        file: "02-rbac.yaml",
        from: "automountServiceAccountToken: false",
        to: "automountServiceAccountToken: false\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: leaked, namespace: hello}\ndata: {password: aHVudGVyMg==}",
    },
    Case {
        rule: "control/pss-enforce-restricted",
        spec: "hello",
        file: "01-namespace.yaml",
        from: "enforce: \"restricted\"",
        to: "enforce: \"baseline\"",
    },
    Case {
        rule: "control/pss-version-pinned",
        spec: "hello",
        file: "01-namespace.yaml",
        from: "enforce-version: \"v1.33\"",
        to: "enforce-version: \"latest\"",
    },
    Case {
        rule: "control/image-digest",
        spec: "hello",
        file: "06-deployment.yaml",
        from: "@sha256:0c9e4b5a1f2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f",
        to: ":1.0",
    },
    Case {
        rule: "control/image-latest",
        spec: "hello",
        file: "06-deployment.yaml",
        from: "@sha256:0c9e4b5a1f2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f",
        to: ":latest",
    },
    Case {
        rule: "control/dapr-mtls-disabled",
        spec: "task-api",
        file: "05-dapr-components.yaml",
        from: "spec:\n  logging:",
        to: "spec:\n  mtls: {enabled: false}\n  logging:",
    },
    Case {
        rule: "control/dapr-sidecar-seccomp",
        spec: "task-api",
        file: "06-deployment.yaml",
        from: "        dapr.io/sidecar-seccomp-profile-type: \"RuntimeDefault\"\n||        fsGroup: 10001\n        seccompProfile:\n          type: \"RuntimeDefault\"\n",
        to: "||        fsGroup: 10001\n",
    },
    Case {
        rule: "control/dapr-control-plane-egress",
        spec: "task-api",
        file: "03-network-policy.yaml",
        from: "port: 50001",
        to: "port: 50009",
    },
    Case {
        rule: "control/dapr-component-scopes",
        spec: "task-api",
        file: "05-dapr-components.yaml",
        from: "scopes:\n  - \"task-api\"",
        to: "scopes: []",
    },
    Case {
        rule: "control/dapr-api-logging",
        spec: "task-api",
        file: "06-deployment.yaml",
        from: "dapr.io/enable-api-logging: \"true\"",
        to: "dapr.io/enable-api-logging: \"false\"",
    },
    Case {
        rule: "control/dapr-url-obfuscation",
        spec: "task-api",
        file: "05-dapr-components.yaml",
        from: "obfuscateURLs: true",
        to: "obfuscateURLs: false",
    },
    Case {
        rule: "control/dapr-access-control-default-deny",
        spec: "task-api",
        file: "05-dapr-components.yaml",
        from: "defaultAction: \"deny\"",
        to: "defaultAction: \"allow\"",
    },
    Case {
        rule: "control/dapr-api-allowlist",
        spec: "task-api",
        file: "05-dapr-components.yaml",
        from: "      - name: \"state\"\n        version: \"v1\"\n        protocol: \"grpc\"\n",
        to: "",
    },
    Case {
        rule: "control/dapr-api-allowlist-protocol",
        spec: "task-api",
        file: "05-dapr-components.yaml",
        from: "        protocol: \"grpc\"\n",
        to: "",
    },
    Case {
        rule: "control/dapr-component-plain-credential",
        spec: "task-api",
        file: "05-dapr-components.yaml",
        from: "      value: \"none\"\n",
        to: "      value: \"none\"\n    - name: \"sentinelPassword\"\n      value: \"hunter2\"\n",
    },
    Case {
        rule: "control/dapr-sidecar-protection-off",
        spec: "task-api",
        file: "06-deployment.yaml",
        from: "dapr.io/enabled: \"true\"",
        to: "dapr.io/enabled: \"true\"\n        dapr.io/enable-debug: \"true\"",
    },
    Case {
        rule: "control/dapr-secret-scope-default-deny",
        spec: "task-api",
        file: "05-dapr-components.yaml",
        from: "defaultAccess: \"deny\"",
        to: "defaultAccess: \"allow\"",
    },
    Case {
        rule: "control/dapr-secret-scope-default-deny",
        spec: "task-api",
        file: "05-dapr-components.yaml",
        from: "kind: Component\n",
        to: "kind: Component\nmetadata: {name: vault, namespace: task-api}\nspec: {type: secretstores.hashicorp.vault, version: v1, metadata: []}\nscopes: [task-api]\n---\napiVersion: dapr.io/v1alpha1\nkind: Component\n",
    },
    Case {
        rule: "hardening/read-only-root-filesystem",
        spec: "hello",
        file: "06-deployment.yaml",
        from: "readOnlyRootFilesystem: true",
        to: "readOnlyRootFilesystem: false",
    },
    Case {
        rule: "hardening/resources",
        spec: "hello",
        file: "06-deployment.yaml",
        from: "              memory: \"256Mi\"\n",
        to: "",
    },
    Case {
        rule: "hardening/probes",
        spec: "hello",
        file: "06-deployment.yaml",
        from: "          livenessProbe:",
        to: "          startupProbe:",
    },
    Case {
        rule: "hardening/token-automount",
        spec: "hello",
        file: "06-deployment.yaml",
        from: "automountServiceAccountToken: false",
        to: "automountServiceAccountToken: true",
    },
    Case {
        rule: "hardening/low-uid",
        spec: "hello",
        file: "06-deployment.yaml",
        from: "runAsUser: 10001\n            runAsGroup",
        to: "runAsUser: 1001\n            runAsGroup",
    },
    Case {
        rule: "hardening/image-policy-scope",
        spec: "checkout",
        file: "09-image-policy.yaml",
        from: "    - glob: \"registry.example.com/shop/checkout@sha256:*\"",
        to: "    - glob: \"registry.example.com/shop/**\"",
    },
    Case {
        rule: "hardening/no-service",
        spec: "hello",
        file: "06-deployment.yaml",
        from: "kind: Service\n",
        to: "kind: Endpoints\n",
    },
];

#[test]
fn every_rule_fires_on_a_failing_manifest_and_not_on_a_passing_one() {
    for case in CASES {
        let files = as_pairs(&rendered(case.spec));
        let before = audit_all(&files);
        assert!(
            !before.iter().any(|f| f.rule.id == case.rule),
            "{}: fires on the passing manifest",
            case.rule
        );
        let mutated: Vec<(String, String)> = files
            .iter()
            .map(|(name, text)| {
                if name == case.file {
                    let mut text = text.clone();
                    for (from, to) in case.from.split("||").zip(case.to.split("||")) {
                        assert!(
                            text.contains(from),
                            "{}: {} does not contain {from:?}",
                            case.rule,
                            case.file
                        );
                        text = text.replacen(from, to, 1);
                    }
                    (name.clone(), text)
                } else {
                    (name.clone(), text.clone())
                }
            })
            .collect();
        let after = audit_all(&mutated);
        assert!(
            after.iter().any(|f| f.rule.id == case.rule),
            "{}: does not fire on the failing manifest; got {:?}",
            case.rule,
            after.iter().map(|f| f.rule.id).collect::<Vec<_>>()
        );
    }
}

/// The one pod-template walker: an init container (as a sidecar would be
/// written) is judged by the hardening rules like the app's container, and
/// a request left out where its limit is set is not missing (the API server
/// copies the limit into it).
#[test]
fn init_containers_are_judged_for_resources_and_a_read_only_root() {
    let files = as_pairs(&rendered("hello"));
    let with_init = |resources: &str| -> Vec<(String, String)> {
        files
            .iter()
            .map(|(name, text)| {
                let text = if name == "06-deployment.yaml" {
                    text.replacen(
                        "      containers:\n",
                        &format!(
                            "      initContainers:\n        - name: \"migrate\"\n          image: \"docker.io/example/m@sha256:0c9e4b5a1f2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f\"\n          securityContext: {{allowPrivilegeEscalation: false, capabilities: {{drop: [ALL]}}}}\n{resources}      containers:\n"
                        ),
                        1,
                    )
                } else {
                    text.clone()
                };
                (name.clone(), text)
            })
            .collect()
    };
    let findings = audit_all(&with_init(""));
    let messages: Vec<(&str, &str)> = findings
        .iter()
        .map(|f| (f.rule.id, f.message.as_str()))
        .collect();
    assert!(
        messages.contains(&(
            "hardening/read-only-root-filesystem",
            "init container \"migrate\" can write to its root filesystem"
        )),
        "{messages:?}"
    );
    assert!(
        messages.contains(&(
            "hardening/resources",
            "init container \"migrate\" has no requests.cpu, requests.memory, limits.cpu, limits.memory"
        )),
        "{messages:?}"
    );
    // Limits only: the requests are the limits.
    let limits_only = audit_all(&with_init(
        "          resources: {limits: {cpu: 100m, memory: 64Mi}}\n",
    ));
    assert!(
        !limits_only
            .iter()
            .any(|f| f.rule.id == "hardening/resources"),
        "{:?}",
        limits_only.iter().map(|f| &f.message).collect::<Vec<_>>()
    );
    let cpu_limit_only = audit_all(&with_init("          resources: {limits: {cpu: 100m}}\n"));
    let resources: Vec<&str> = cpu_limit_only
        .iter()
        .filter(|f| f.rule.id == "hardening/resources")
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(
        resources,
        ["init container \"migrate\" has no requests.memory, limits.memory"]
    );
}

/// NetworkPolicy selectors are read with `matchExpressions`: a DNS policy
/// whose expression selects other pods does not give this one DNS (the old
/// matcher read `matchLabels` only and took it for a match).
#[test]
fn network_policy_selectors_read_match_expressions() {
    let files = as_pairs(&rendered("hello"));
    let dns_for = |values: &str| -> Vec<(String, String)> {
        files
            .iter()
            .map(|(name, text)| {
                let text = if name == "03-network-policy.yaml" {
                    text.replacen(
                        "  podSelector:\n    matchLabels:\n      app.kubernetes.io/name: \"hello\"\n  policyTypes:\n    - \"Egress\"",
                        &format!("  podSelector:\n    matchExpressions:\n      - {{key: app.kubernetes.io/name, operator: In, values: [{values}]}}\n  policyTypes:\n    - \"Egress\""),
                        1,
                    )
                } else {
                    text.clone()
                };
                (name.clone(), text)
            })
            .collect()
    };
    let dns =
        |findings: &[rules::Finding]| findings.iter().any(|f| f.rule.id == "control/dns-egress");
    assert!(dns(&audit_all(&dns_for("other"))));
    assert!(!dns(&audit_all(&dns_for("other, hello"))));
}

/// The escalation rules read named grants only: reading Roles, pod logs,
/// nodes, webhook configurations or creating a CSR is none of them.
#[test]
fn rbac_escalation_rules_pass_the_grants_next_to_them() {
    let role = |rules: &str| {
        vec![(
            "role.yaml".to_string(),
            format!(
                "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: r}}\nrules:\n{rules}"
            ),
        )]
    };
    let near = role(
        "  - {apiGroups: [rbac.authorization.k8s.io], resources: [roles, clusterroles], verbs: [get, list]}\n  - {apiGroups: [\"\"], resources: [pods/log, nodes, serviceaccounts], verbs: [get]}\n  - {apiGroups: [admissionregistration.k8s.io], resources: [validatingwebhookconfigurations], verbs: [get, list, watch]}\n  - {apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests], verbs: [create]}\n",
    );
    let ids: Vec<&str> = audit_all(&near).iter().map(|f| f.rule.id).collect();
    assert!(
        !ids.iter().any(|id| id.starts_with("control/rbac-")
            && !matches!(*id, "control/rbac-wildcard" | "control/rbac-secrets")),
        "{ids:?}"
    );
    let exec =
        role("  - {apiGroups: [\"\"], resources: [pods, pods/exec], verbs: [get, create]}\n");
    let findings = audit_all(&exec);
    let exec: Vec<&str> = findings
        .iter()
        .filter(|f| f.rule.id == "control/rbac-pods-exec")
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(
        exec,
        [
            "grants get, create on pods/exec: whoever holds it can run commands in other pods and use their ServiceAccounts and Secrets"
        ]
    );
}

/// Budgets that allow an eviction, or whose pods the manifests do not
/// count, pass; the ones that allow none are found. `minAvailable` counts
/// every pod the selector picks, across workloads; objects a controller owns
/// (a cluster dump's ReplicaSet and Pods) are counted with it.
#[test]
fn disruption_budgets_count_every_pod_they_select() {
    let rule = "hardening/disruption-budget-blocks-eviction";
    let deployment = |name: &str, replicas: Option<u64>| {
        let replicas = replicas.map_or(String::new(), |r| format!("  replicas: {r}\n"));
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: shop}}\nspec:\n{replicas}  selector: {{matchLabels: {{app: web}}}}\n  template:\n    metadata: {{labels: {{app: web}}}}\n    spec: {{containers: [{{name: c, image: i}}]}}\n---\n"
        )
    };
    let owned = |kind: &str, name: &str, replicas: &str| {
        format!(
            "apiVersion: v1\nkind: {kind}\nmetadata: {{name: {name}, namespace: shop, ownerReferences: [{{apiVersion: apps/v1, kind: Deployment, name: one, uid: u}}]}}\nspec:\n{replicas}  template:\n    metadata: {{labels: {{app: web}}}}\n    spec: {{containers: [{{name: c, image: i}}]}}\n---\n"
        )
    };
    let budget = |api: &str, spec: &str| {
        format!(
            "apiVersion: {api}\nkind: PodDisruptionBudget\nmetadata: {{name: b, namespace: shop}}\nspec: {spec}\n"
        )
    };
    let selector = "selector: {matchLabels: {app: web}}";
    let cases: Vec<(String, bool)> = vec![
        // Two one-replica Deployments: minAvailable 1 leaves one to evict.
        (
            deployment("a", Some(1))
                + &deployment("b", Some(1))
                + &budget("policy/v1", &format!("{{minAvailable: 1, {selector}}}")),
            false,
        ),
        (
            deployment("a", Some(1))
                + &deployment("b", Some(1))
                + &budget("policy/v1", &format!("{{minAvailable: 2, {selector}}}")),
            true,
        ),
        // A dump: the Deployment's ReplicaSet (2) is owned, not counted again.
        (
            deployment("one", Some(2))
                + &owned("ReplicaSet", "one-x", "  replicas: 2\n")
                + &budget("policy/v1", &format!("{{minAvailable: 1, {selector}}}")),
            false,
        ),
        // Scaled to zero, or minAvailable 0: nothing to block.
        (
            deployment("a", Some(0))
                + &budget("policy/v1", &format!("{{minAvailable: 1, {selector}}}")),
            false,
        ),
        (
            deployment("a", Some(1))
                + &budget("policy/v1", &format!("{{minAvailable: 0, {selector}}}")),
            false,
        ),
        // No replicas written (an autoscaler's): the count is unknown.
        (
            deployment("a", None)
                + &budget("policy/v1", &format!("{{minAvailable: 1, {selector}}}")),
            false,
        ),
        // 50% of 1 pod, rounded up, is 1.
        (
            deployment("a", Some(1))
                + &budget(
                    "policy/v1",
                    &format!("{{minAvailable: \"50%\", {selector}}}"),
                ),
            true,
        ),
        (
            deployment("a", Some(3))
                + &budget(
                    "policy/v1",
                    &format!("{{maxUnavailable: \"00%\", {selector}}}"),
                ),
            true,
        ),
        // A null selector picks no pod; policy/v1beta1 is not judged.
        (
            deployment("a", Some(3)) + &budget("policy/v1", "{maxUnavailable: 0, selector: null}"),
            false,
        ),
        (
            deployment("a", Some(3))
                + &budget(
                    "policy/v1beta1",
                    &format!("{{maxUnavailable: 0, {selector}}}"),
                ),
            false,
        ),
    ];
    for (text, fires) in cases {
        let findings = audit_all(&[("m.yaml".to_string(), text.clone())]);
        let found: Vec<&str> = findings
            .iter()
            .filter(|f| f.rule.id == rule)
            .map(|f| f.message.as_str())
            .collect();
        assert_eq!(found.len(), usize::from(fires), "{text}\n{found:?}");
        assert!(found.iter().all(|m| !m.contains('"')), "{found:?}");
    }
}

#[test]
fn every_rule_of_the_catalogue_has_a_case() {
    let tested: BTreeSet<&str> = CASES.iter().map(|c| c.rule).collect();
    let untested: Vec<&str> = rules::catalogue()
        .iter()
        .filter(|r| {
            matches!(
                r.family,
                Family::Controls | Family::Netpol | Family::Hardening
            )
        })
        .map(|r| r.id)
        .filter(|id| !tested.contains(id))
        .collect();
    assert!(
        untested.is_empty(),
        "rules without a failing/passing case: {untested:?}"
    );
}

#[test]
fn findings_point_at_the_offending_line() {
    let files = as_pairs(&rendered("hello"));
    let mutated: Vec<(String, String)> = files
        .iter()
        .map(|(n, t)| {
            (
                n.clone(),
                if n == "06-deployment.yaml" {
                    t.replace("privileged: false", "privileged: true")
                } else {
                    t.clone()
                },
            )
        })
        .collect();
    let finding = audit_all(&mutated)
        .into_iter()
        .find(|f| f.rule.id == "pss/privileged")
        .unwrap();
    let text = &mutated
        .iter()
        .find(|(n, _)| n == "06-deployment.yaml")
        .unwrap()
        .1;
    let line = text
        .lines()
        .position(|l| l.contains("privileged: true"))
        .unwrap()
        + 1;
    assert_eq!(finding.line, line);
    assert_eq!(finding.resource, "Deployment/hello/hello");
    assert_eq!(finding.file, "06-deployment.yaml");
}

#[test]
fn the_textbook_capstone_has_the_defects_the_reference_predicts() {
    let output = harden()
        .current_dir(repo())
        .args(["audit", "tests/fixtures/textbook", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let found: BTreeSet<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["resource"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String)> = [
        // Reference defect 1: the sidecar is rejected under restricted.
        (
            "control/dapr-sidecar-seccomp",
            "Deployment/task-api/task-api",
        ),
        // 2: the allow-dapr-sidecar policy does nothing.
        (
            "control/dapr-loopback-policy",
            "NetworkPolicy/task-api/allow-dapr-sidecar",
        ),
        // 3: no egress to the Dapr control plane.
        (
            "control/dapr-control-plane-egress",
            "Deployment/task-api/task-api",
        ),
        // 4: DNS is UDP only and open to every pod of kube-system.
        ("control/dns-egress", "Deployment/task-api/task-api"),
        // 5: Redis's own ingress is denied.
        (
            "control/flow-blocked-at-destination",
            "NetworkPolicy/task-api/allow-redis",
        ),
        // 6: no Service for the app port.
        ("hardening/no-service", "Deployment/task-api/task-api"),
        // 7: secret values committed as base64.
        (
            "control/secret-values-in-manifests",
            "Secret/task-api/task-api-secrets",
        ),
        // 8: a Role for a ServiceAccount whose token is never mounted.
        (
            "control/rbac-dead-permission",
            "RoleBinding/task-api/task-api-rolebinding",
        ),
        // 9: API logging without URL obfuscation.
        (
            "control/dapr-url-obfuscation",
            "Deployment/task-api/task-api",
        ),
        // 10: PSS labels say latest.
        ("control/pss-version-pinned", "Namespace/task-api"),
        // Beyond the reference: tag-only image, UID below 10000.
        ("control/image-digest", "Deployment/task-api/task-api"),
        ("hardening/low-uid", "Deployment/task-api/task-api"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(found, expected);
    let dns: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "control/dns-egress")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        dns.len(),
        2,
        "UDP-only and every-pod-of-kube-system: {dns:?}"
    );
}

#[test]
fn sarif_has_what_github_code_scanning_requires() {
    let output = harden()
        .current_dir(repo())
        .args(["audit", "tests/fixtures/textbook", "--format", "sarif"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let sarif: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert!(sarif["$schema"].as_str().unwrap().contains("sarif"));
    let run = &sarif["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "harden");
    let rule_ids: BTreeSet<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(rule_ids.len(), rules::catalogue().len());
    for rule in run["tool"]["driver"]["rules"].as_array().unwrap() {
        assert!(rule["shortDescription"]["text"].is_string());
        assert!(rule["properties"]["security-severity"].is_string());
    }
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 14);
    for result in results {
        assert!(
            rule_ids.contains(result["ruleId"].as_str().unwrap()),
            "{result}"
        );
        assert!(["error", "warning", "note"].contains(&result["level"].as_str().unwrap()));
        assert!(result["message"]["text"].as_str().unwrap().len() > 10);
        let location = &result["locations"][0]["physicalLocation"];
        assert!(
            location["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .starts_with("tests/fixtures/textbook/")
        );
        assert!(location["region"]["startLine"].as_i64().unwrap() >= 1);
    }
}

fn write_rendered(dir: &Path, spec: &str) {
    for file in rendered(spec) {
        fs::write(dir.join(&file.name), &file.content).unwrap();
    }
}

#[test]
fn clean_manifests_exit_0_and_findings_exit_1() {
    let dir = TempDir::new().unwrap();
    write_rendered(dir.path(), "task-api");
    harden()
        .arg("audit")
        .arg(dir.path())
        .assert()
        .code(0)
        .stdout(
            // The peer policy for Redis selects pods deployed apart from the
            // app, and says so in its own waiver.
            "audit: 0 findings (0 critical, 0 high, 0 medium, 0 low, 1 waived) in 17 objects from 8 files\n",
        );
    harden()
        .current_dir(repo())
        .args(["audit", "tests/fixtures/textbook"])
        .assert()
        .code(1);
}

#[test]
fn fail_on_sets_the_threshold() {
    // The textbook's worst finding is critical; above that nothing fails.
    let textbook = |args: &[&str]| Harden::new().current_dir(repo()).arg("audit").args(args);
    textbook(&["tests/fixtures/textbook", "--fail-on", "critical"])
        .status(1)
        .run();
    let rbac_and_deployment = [
        "tests/fixtures/textbook/02-rbac.yaml",
        "tests/fixtures/textbook/06-deployment.yaml",
    ];
    textbook(&rbac_and_deployment)
        .args(["--fail-on", "critical"])
        .run();
    textbook(&rbac_and_deployment)
        .args(["--fail-on", "high"])
        .status(1)
        .run();
}

#[test]
fn only_pss_and_level_and_version_choices() {
    let dir = TempDir::new().unwrap();
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: x\nspec:\n  containers:\n    - name: c\n      image: nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n";
    fs::write(dir.path().join("pod.yaml"), pod).unwrap();
    // Baseline admits a plain pod; restricted does not.
    let baseline = harden()
        .arg("audit")
        .arg(dir.path())
        .args([
            "--only",
            "pss",
            "--pss-level",
            "baseline",
            "--pss-version",
            "v1.28",
        ])
        .output()
        .unwrap();
    assert_eq!(
        baseline.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&baseline.stdout)
    );
    let restricted = harden()
        .arg("audit")
        .arg(dir.path())
        .args(["--only", "pss", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(restricted.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&restricted.stdout).unwrap();
    let rules: BTreeSet<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        BTreeSet::from([
            "pss/allowPrivilegeEscalation",
            "pss/capabilities_restricted",
            "pss/runAsNonRoot",
            "pss/seccompProfile_restricted"
        ])
    );
    assert!(
        report["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("(Pod Security restricted:v1.37)")
    );
}

#[test]
fn namespace_labels_choose_the_level_and_version() {
    let namespace = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n  labels:\n    pod-security.kubernetes.io/enforce: baseline\n    pod-security.kubernetes.io/enforce-version: v1.29\n";
    let pod = "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: x\nspec:\n  containers:\n    - name: c\n      image: nginx\n";
    let manifests = Manifest::parse_all("m.yaml", &format!("{namespace}{pod}")).unwrap();
    let manifests: Vec<Object<'_>> = manifests.iter().flat_map(Object::all_of).collect();
    let findings = rules::audit(
        &manifests,
        &Selection::families(&[Family::Pss]),
        PssChoice {
            level: None,
            version: None,
        },
    );
    assert!(findings.is_empty(), "baseline admits it: {findings:?}");
    let forced = rules::audit(
        &manifests,
        &Selection::families(&[Family::Pss]),
        PssChoice {
            level: Some(Level::Restricted),
            version: Version::parse("v1.29"),
        },
    );
    assert!(
        forced
            .iter()
            .all(|f| f.message.contains("restricted:v1.29"))
            && !forced.is_empty()
    );
}

#[test]
fn unreadable_or_invalid_input_exits_2_with_file_and_line() {
    let ran = Harden::new()
        .file("bad.yaml", "kind: Pod\nmetadata:\n  name: [x\n")
        .args(["audit", "bad.yaml"])
        .status(2)
        .run();
    assert!(ran.stderr.starts_with("error: bad.yaml:"), "{}", ran.stderr);
    Harden::new()
        .args(["audit", "/no/such/file.yaml"])
        .status(2)
        .run();
    Harden::new()
        .current_dir(repo())
        .args(["audit", "specs", "--pss-version", "v2.0"])
        .status(2)
        .run();
}

#[test]
fn render_refuses_output_that_fails_its_own_audit() {
    let model = harden::load::load_spec(&repo().join("specs/hello.yaml")).unwrap();
    let mut files = rendered("hello");
    assert!(
        harden::audit::self_check(&model, &files)
            .unwrap()
            .is_empty()
    );
    for file in &mut files {
        file.content = file
            .content
            .replace(
                "readOnlyRootFilesystem: true",
                "readOnlyRootFilesystem: false",
            )
            .replace("drop:\n                - \"ALL\"", "drop: []");
    }
    let findings = harden::audit::self_check(&model, &files).unwrap();
    let rules: BTreeSet<&str> = findings.iter().map(|f| f.rule.id).collect();
    assert_eq!(
        rules,
        BTreeSet::from([
            "hardening/read-only-root-filesystem",
            "pss/capabilities_restricted"
        ])
    );
}

/// Dapr 1.18 can inject daprd as a native sidecar (an init container with
/// `restartPolicy: Always`). harden keeps the classic sidecar
/// (`dapr.io/enable-native-sidecar: "false"`), but either shape must pass
/// `restricted`: the rendered pod template plus daprd with the security
/// context the injector writes (`pkg/injector/patcher/sidecar_container.go`
/// @ v1.18.3: no privilege escalation, runAsNonRoot and a read-only root
/// filesystem by default, the seccomp profile from
/// `dapr.io/sidecar-seccomp-profile-type`, drop ALL with
/// `sidecarDropALLCapabilities`), as a container and as a native sidecar.
#[test]
fn the_dapr_sidecar_passes_restricted_as_a_classic_or_a_native_sidecar() {
    let spec = fs::read_to_string(repo().join("specs/task-api.yaml")).unwrap();
    let model = harden::load::load_spec_text(&spec, "specs/task-api.yaml").unwrap();
    assert_eq!(model.dapr.as_ref().unwrap().version, "1.18");
    let files =
        harden::render::render(&model, &harden::templates::Templates::embedded().unwrap()).unwrap();
    let deployment = &files
        .iter()
        .find(|f| f.name == "06-deployment.yaml")
        .unwrap()
        .content;
    let documents = harden::yaml::parse_stream(deployment).unwrap();
    let template = &documents[0]["spec"]["template"];
    let annotations = &template["metadata"]["annotations"];
    assert_eq!(annotations["dapr.io/enable-native-sidecar"], "false");
    let daprd = |native: bool| {
        let mut container = serde_json::json!({
            "name": "daprd",
            "image": "ghcr.io/dapr/daprd:1.18.3",
            "securityContext": {
                "allowPrivilegeEscalation": false,
                "runAsNonRoot": true,
                "readOnlyRootFilesystem": true,
                "seccompProfile": {"type": annotations["dapr.io/sidecar-seccomp-profile-type"]},
                "capabilities": {"drop": ["ALL"]},
            },
        });
        if native {
            container["restartPolicy"] = serde_json::json!("Always");
        }
        container
    };
    let version = Version::parse(&model.pss_version).unwrap();
    for native in [false, true] {
        let mut spec = template["spec"].clone();
        let list = if native {
            "initContainers"
        } else {
            "containers"
        };
        match spec.get_mut(list).and_then(serde_json::Value::as_array_mut) {
            Some(containers) => containers.push(daprd(native)),
            None => spec[list] = serde_json::json!([daprd(native)]),
        }
        let pod = harden::audit::pss::Pod {
            annotations: Some(annotations),
            spec: &spec,
        };
        let violations = harden::audit::pss::evaluate(&pod, Level::Restricted, version);
        assert!(violations.is_empty(), "native {native}: {violations:?}");
        // Without drop ALL the same sidecar is rejected, as a native one too.
        let mut without = spec.clone();
        without[list].as_array_mut().unwrap().last_mut().unwrap()["securityContext"]
            .as_object_mut()
            .unwrap()
            .remove("capabilities");
        let pod = harden::audit::pss::Pod {
            annotations: Some(annotations),
            spec: &without,
        };
        assert!(
            !harden::audit::pss::evaluate(&pod, Level::Restricted, version).is_empty(),
            "native {native}: drop ALL is required"
        );
    }
}

/// `drop: [all]` is not `ALL` for the admission controller; the finding says
/// that the lower case is why it does not count, and only then.
#[test]
fn the_capability_finding_names_a_lower_case_all() {
    let detail = |drop: &str| {
        let spec = serde_json::json!({"containers": [{"name": "app", "securityContext": {
            "capabilities": {"drop": [drop]}}}]});
        let pod = harden::audit::pss::Pod {
            annotations: None,
            spec: &spec,
        };
        harden::audit::pss::evaluate(&pod, Level::Restricted, Version::newest())
            .into_iter()
            .find(|v| v.check == "capabilities_restricted")
            .map(|v| v.detail)
    };
    let lower = detail("all").expect("`all` does not drop ALL");
    assert!(
        lower.ends_with("(drop lists \"all\": capability names are compared exactly, and only \"ALL\" in capitals drops them all)"),
        "{lower}"
    );
    let other = detail("NET_RAW").expect("NET_RAW is not ALL");
    assert!(!other.contains("in capitals"), "{other}");
    assert_eq!(detail("ALL"), None);
}

/// `netpol/selects-nothing` judges a policy against the workloads of its
/// namespace only when the manifests say what runs there: some workload and
/// no custom resource (an operator's pods appear at run time). A Dapr
/// Component creates no pods and does not silence it.
#[test]
fn selects_nothing_spares_namespaces_whose_pods_an_operator_creates() {
    let files = as_pairs(&rendered("hello"));
    let with = |extra: &str| -> Vec<(String, String)> {
        let mut files: Vec<(String, String)> = files
            .iter()
            .map(|(name, text)| {
                let text = if name == "03-network-policy.yaml" {
                    text.replacen(
                        "  podSelector:\n    matchLabels:\n      app.kubernetes.io/name: \"hello\"\n",
                        "  podSelector:\n    matchLabels:\n      app.kubernetes.io/name: \"hello-db\"\n",
                        1,
                    )
                } else {
                    text.clone()
                };
                (name.clone(), text)
            })
            .collect();
        files.push(("extra.yaml".to_string(), extra.to_string()));
        files
    };
    let fires = |extra: &str| {
        audit_all(&with(extra))
            .iter()
            .any(|f| f.rule.id == "netpol/selects-nothing")
    };
    assert!(fires(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: hello}\n"
    ));
    assert!(fires(
        "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: c, namespace: hello}\nspec: {type: state.redis, version: v1}\nscopes: [hello]\n"
    ));
    assert!(!fires(
        "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata: {name: hello-db, namespace: hello}\nspec: {instances: 3}\n"
    ));
    // A policy in a namespace with no workload in the manifests.
    let policy_only = vec![(
        "policy.yaml".to_string(),
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Ingress]\n".to_string(),
    )];
    assert!(
        !audit_all(&policy_only)
            .iter()
            .any(|f| f.rule.id == "netpol/selects-nothing")
    );
}

/// A Secret holding settings (`default_timezone = UTC`) is not reported as a
/// committed credential; one holding a bare value or a secret-named setting is.
#[test]
fn a_secret_of_settings_is_not_a_committed_credential() {
    let secret = |data: &str| {
        vec![(
            "secret.yaml".to_string(),
            format!(
                "apiVersion: v1\nkind: Secret\nmetadata: {{name: s, namespace: shop}}\n{data}\n"
            ),
        )]
    };
    let fires = |data: &str| {
        audit_all(&secret(data))
            .iter()
            .any(|f| f.rule.id == "control/secret-values-in-manifests")
    };
    // base64 of "default_timezone = UTC"
    assert!(!fires(
        "data: {settings.ini: ZGVmYXVsdF90aW1lem9uZSA9IFVUQw==}"
    ));
    assert!(!fires(
        "stringData: {app.conf: \"default_timezone = UTC\\nlocale = en\"}"
    ));
    assert!(fires("stringData: {app.conf: \"db_password = hunter2\"}"));
    assert!(fires("data: {db: aHVudGVyMg==}"));
}

/// `resourceNames` cannot restrict `create` (Kubernetes RBAC docs,
/// "Referring to resources"): the fix for a Role with get and create on
/// Secrets does not offer it for create.
#[test]
fn the_secrets_fix_does_not_offer_resource_names_for_create() {
    let role = |verbs: &str| {
        vec![(
            "role.yaml".to_string(),
            format!(
                "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {{name: r, namespace: shop}}\nrules:\n  - {{apiGroups: [\"\"], resources: [secrets], verbs: [{verbs}]}}\n"
            ),
        )]
    };
    let fix = |verbs: &str| {
        audit_all(&role(verbs))
            .into_iter()
            .find(|f| f.rule.id == "control/rbac-secrets")
            .map(|f| f.fix)
            .unwrap_or_default()
    };
    let create = fix("get, create");
    assert!(
        create.contains("resourceNames cannot restrict create"),
        "{create}"
    );
    assert!(
        !create.contains("or limit it with resourceNames"),
        "{create}"
    );
    assert!(fix("get").contains("or limit it with resourceNames"));
}

/// A secret store scoped to other app-ids only is not loaded by the
/// sidecars under this Configuration: it needs no secret scope there.
#[test]
fn a_secret_store_of_other_apps_needs_no_scope_in_this_configuration() {
    let files = as_pairs(&rendered("task-api"));
    let with_store = |scopes: &str| -> Vec<(String, String)> {
        files
            .iter()
            .map(|(name, text)| {
                let text = if name == "05-dapr-components.yaml" {
                    format!("{text}---\napiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {{name: vault, namespace: task-api}}\nspec: {{type: secretstores.hashicorp.vault, version: v1, metadata: []}}\nscopes: {scopes}\n")
                } else {
                    text.clone()
                };
                (name.clone(), text)
            })
            .collect()
    };
    let fires = |scopes: &str| {
        audit_all(&with_store(scopes))
            .iter()
            .any(|f| f.rule.id == "control/dapr-secret-scope-default-deny")
    };
    assert!(!fires("[billing]"));
    assert!(fires("[billing, task-api]"));
    assert!(fires("[]"));
}
