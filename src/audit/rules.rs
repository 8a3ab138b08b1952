//! The audit's rules: Pod Security Standards, the capstone's ten controls as
//! far as manifests can show them, and further hardening. Every rule has a
//! stable id, a family, a severity and a fix; [`RULES`] is the catalogue
//! (also emitted as SARIF `tool.driver.rules`).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use super::manifests::Manifest;
use super::pss::{self, Level, Pod, Version, string_list};

/// How bad a finding is. Ordered: `low < medium < high < critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// A group of rules that `--only` can select.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// Pod Security Standards (baseline, restricted).
    Pss,
    /// The capstone's ten controls.
    Controls,
    /// Further hardening.
    Hardening,
}

/// A rule of the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub id: &'static str,
    pub family: Family,
    pub severity: Severity,
    /// The capstone control number (1 to 10), when the rule belongs to one.
    pub control: Option<u8>,
    pub title: &'static str,
    pub fix: &'static str,
}

macro_rules! rule {
    ($id:expr, $family:ident, $severity:ident, $control:expr, $title:expr, $fix:expr) => {
        Rule {
            id: $id,
            family: Family::$family,
            severity: Severity::$severity,
            control: $control,
            title: $title,
            fix: $fix,
        }
    };
}

/// Every rule but the Pod Security ones (`pss/<check id>`, see [`catalogue`]).
pub const RULES: &[Rule] = &[
    rule!(
        "control/dedicated-service-account",
        Controls,
        High,
        Some(1),
        "Workload runs as the default ServiceAccount",
        "set serviceAccountName to a ServiceAccount of the app's own (<app>-sa)"
    ),
    rule!(
        "control/rbac-wildcard",
        Controls,
        High,
        Some(2),
        "RBAC rule uses a wildcard",
        "name the API groups, resources and verbs the app needs"
    ),
    rule!(
        "control/rbac-secrets",
        Controls,
        Medium,
        Some(2),
        "RBAC grants access to Secrets",
        "remove secrets from the rule unless the app must read them through the API (prefer a mounted Secret)"
    ),
    rule!(
        "control/rbac-cluster-binding",
        Controls,
        High,
        Some(2),
        "ServiceAccount bound cluster-wide",
        "bind a Role with a RoleBinding in the app's namespace instead of a ClusterRoleBinding"
    ),
    rule!(
        "control/rbac-dead-permission",
        Controls,
        Low,
        Some(2),
        "RBAC grants a ServiceAccount whose pods mount no token",
        "remove the Role, or mount a projected service account token where the app calls the API"
    ),
    rule!(
        "control/default-deny",
        Controls,
        High,
        Some(3),
        "No default-deny NetworkPolicy in the namespace",
        "add a NetworkPolicy with podSelector: {} and policyTypes [Ingress, Egress]"
    ),
    rule!(
        "control/flow-blocked-at-destination",
        Controls,
        Medium,
        Some(3),
        "Egress allowed, but the destination's ingress is denied",
        "add a NetworkPolicy on the destination pods that allows ingress from the source pods on the same port"
    ),
    rule!(
        "control/dapr-loopback-policy",
        Controls,
        Low,
        Some(3),
        "NetworkPolicy rule for Dapr's loopback ports has no effect",
        "remove it: app-to-sidecar traffic (3500, 50001) is loopback, which NetworkPolicy never filters; sidecars talk to each other on 50002"
    ),
    rule!(
        "control/dns-egress",
        Controls,
        Medium,
        Some(4),
        "DNS egress missing or incomplete under default deny",
        "allow egress to kube-dns pods (namespace kube-system, k8s-app: kube-dns) on UDP and TCP 53"
    ),
    rule!(
        "control/secrets-in-env",
        Controls,
        High,
        Some(5),
        "Secret exposed as an environment variable",
        "mount the Secret as a read-only volume and read the file instead"
    ),
    rule!(
        "control/secret-values-in-manifests",
        Controls,
        Critical,
        Some(5),
        "Secret values are written in the manifests",
        "never commit secret values: use External Secrets (ExternalSecret) or create the Secret out of band"
    ),
    rule!(
        "control/pss-enforce-restricted",
        Controls,
        High,
        Some(6),
        "Namespace does not enforce Pod Security restricted",
        "label the namespace pod-security.kubernetes.io/enforce: restricted (and audit, warn)"
    ),
    rule!(
        "control/pss-version-pinned",
        Controls,
        Medium,
        Some(6),
        "Pod Security version not pinned",
        "set pod-security.kubernetes.io/enforce-version to the cluster's minor version, e.g. v1.33, never latest"
    ),
    rule!(
        "control/image-digest",
        Controls,
        Medium,
        Some(7),
        "Image not pinned by digest",
        "pin the image by digest (name@sha256:<digest>) so the scanned image is the one that runs"
    ),
    rule!(
        "control/image-latest",
        Controls,
        High,
        Some(7),
        "Image uses latest (or no tag)",
        "pin the image by digest; never deploy latest"
    ),
    rule!(
        "control/dapr-mtls-disabled",
        Controls,
        Critical,
        Some(8),
        "Dapr mTLS disabled",
        "set spec.mtls.enabled: true in the daprsystem Configuration"
    ),
    rule!(
        "control/dapr-sidecar-seccomp",
        Controls,
        High,
        Some(8),
        "Dapr sidecar runs without a seccomp profile",
        "set pod-level seccompProfile RuntimeDefault or the annotation dapr.io/sidecar-seccomp-profile-type: RuntimeDefault"
    ),
    rule!(
        "control/dapr-control-plane-egress",
        Controls,
        High,
        Some(8),
        "Dapr sidecar cannot reach the control plane under default deny",
        "allow egress to dapr-sentry (50001), dapr-operator (6500) and dapr-scheduler-server (50006) pods in the Dapr namespace"
    ),
    rule!(
        "control/dapr-component-scopes",
        Controls,
        High,
        Some(9),
        "Dapr component not scoped",
        "list the app-ids that may use the component under scopes"
    ),
    rule!(
        "control/dapr-api-logging",
        Controls,
        Medium,
        Some(10),
        "Dapr API logging off",
        "annotate the pod template dapr.io/enable-api-logging: \"true\""
    ),
    rule!(
        "control/dapr-url-obfuscation",
        Controls,
        Medium,
        Some(10),
        "Dapr API logs record full URLs",
        "use a Configuration with spec.logging.apiLogging.obfuscateURLs: true (dapr.io/config)"
    ),
    rule!(
        "hardening/read-only-root-filesystem",
        Hardening,
        Medium,
        None,
        "Writable root filesystem",
        "set securityContext.readOnlyRootFilesystem: true and mount emptyDir volumes where the app writes"
    ),
    rule!(
        "hardening/resources",
        Hardening,
        Low,
        None,
        "Missing resource requests or limits",
        "set CPU and memory requests and limits"
    ),
    rule!(
        "hardening/probes",
        Hardening,
        Low,
        None,
        "Missing liveness or readiness probe",
        "add livenessProbe and readinessProbe"
    ),
    rule!(
        "hardening/token-automount",
        Hardening,
        Medium,
        None,
        "Service account token mounted automatically",
        "set automountServiceAccountToken: false on the pod (and ServiceAccount); mount a projected token only where needed"
    ),
    rule!(
        "hardening/low-uid",
        Hardening,
        Low,
        None,
        "UID below 10000",
        "run as a UID of 10000 or more, so it cannot collide with a host user"
    ),
    rule!(
        "hardening/no-service",
        Hardening,
        Low,
        None,
        "Workload ports without a Service",
        "add a Service selecting the workload's pods for its container ports"
    ),
];

/// The catalogue entry of a rule id.
pub fn find(id: &str) -> Option<Rule> {
    catalogue().into_iter().find(|r| r.id == id)
}

/// Every rule, Pod Security checks first, in a stable order. Baseline
/// violations are critical (the pod is dangerous anywhere), restricted-only
/// ones high.
pub fn catalogue() -> Vec<Rule> {
    let mut all: Vec<Rule> = pss::rules()
        .into_iter()
        .map(|(id, title, level)| Rule {
            id,
            family: Family::Pss,
            severity: if level == Level::Baseline {
                Severity::Critical
            } else {
                Severity::High
            },
            control: Some(6),
            title,
            fix: "make the pod spec satisfy the Pod Security Standards (see the detail)",
        })
        .collect();
    all.extend_from_slice(RULES);
    all
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    pub family: Family,
    pub resource: String,
    pub file: String,
    pub line: usize,
    pub message: String,
    pub fix: &'static str,
}

/// How Pod Security is judged.
#[derive(Debug, Clone, Copy)]
pub struct PssChoice {
    /// Forced by `--pss-level`; otherwise the namespace label, else restricted.
    pub level: Option<Level>,
    /// Forced by `--pss-version`; otherwise the namespace label, else newest.
    pub version: Option<Version>,
}

/// Runs every rule of `families` on `manifests`.
pub fn audit(manifests: &[Manifest], families: &[Family], pss_choice: PssChoice) -> Vec<Finding> {
    let mut auditor = Auditor {
        manifests,
        findings: Vec::new(),
    };
    let index = Index::build(manifests);
    if families.contains(&Family::Pss) {
        auditor.pod_security(&index, pss_choice);
    }
    if families.contains(&Family::Controls) {
        auditor.controls(&index);
    }
    if families.contains(&Family::Hardening) {
        auditor.hardening(&index);
    }
    let mut findings = auditor.findings;
    findings.sort_by(|a, b| {
        (&a.file, a.line, a.rule, &a.message).cmp(&(&b.file, b.line, b.rule, &b.message))
    });
    findings.dedup();
    findings
}

/// A workload's pod template, found in a manifest.
struct Workload<'a> {
    manifest: &'a Manifest,
    /// Path prefix of the pod spec inside the document (`spec.template.spec`).
    prefix: &'static str,
    spec: &'a Value,
    annotations: Option<&'a Value>,
    labels: BTreeMap<String, String>,
}

impl Workload<'_> {
    fn containers(&self, with_init: bool) -> Vec<(String, &Value)> {
        let lists: &[&str] = if with_init {
            &["initContainers", "containers", "ephemeralContainers"]
        } else {
            &["containers"]
        };
        let mut all = Vec::new();
        for list in lists {
            for (i, c) in self
                .spec
                .get(*list)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                all.push((format!("{}.{list}[{i}]", self.prefix), c));
            }
        }
        all
    }

    fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations
            .and_then(|a| a.get(key))
            .and_then(Value::as_str)
    }

    fn dapr_enabled(&self) -> bool {
        self.annotation("dapr.io/enabled") == Some("true")
    }

    fn namespace(&self) -> &str {
        self.manifest.namespace().unwrap_or("default")
    }
}

struct Index<'a> {
    workloads: Vec<Workload<'a>>,
    namespaces: BTreeMap<&'a str, &'a Manifest>,
    policies: Vec<&'a Manifest>,
    cilium_policies: Vec<&'a Manifest>,
}

impl<'a> Index<'a> {
    fn build(manifests: &'a [Manifest]) -> Index<'a> {
        let mut workloads = Vec::new();
        let mut namespaces = BTreeMap::new();
        let mut policies = Vec::new();
        let mut cilium_policies = Vec::new();
        for manifest in manifests {
            let document = &manifest.document;
            let (prefix, spec, metadata) = match manifest.kind() {
                "Pod" => ("spec", document.get("spec"), document.get("metadata")),
                "Deployment"
                | "StatefulSet"
                | "DaemonSet"
                | "ReplicaSet"
                | "Job"
                | "ReplicationController" => (
                    "spec.template.spec",
                    document.pointer("/spec/template/spec"),
                    document.pointer("/spec/template/metadata"),
                ),
                "CronJob" => (
                    "spec.jobTemplate.spec.template.spec",
                    document.pointer("/spec/jobTemplate/spec/template/spec"),
                    document.pointer("/spec/jobTemplate/spec/template/metadata"),
                ),
                "Namespace" => {
                    namespaces.insert(manifest.name(), manifest);
                    continue;
                }
                "NetworkPolicy" => {
                    policies.push(manifest);
                    continue;
                }
                "CiliumNetworkPolicy" => {
                    cilium_policies.push(manifest);
                    continue;
                }
                _ => continue,
            };
            let Some(spec) = spec else { continue };
            let labels = metadata
                .and_then(|m| m.get("labels"))
                .and_then(Value::as_object)
                .map(|l| {
                    l.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                        .collect()
                })
                .unwrap_or_default();
            workloads.push(Workload {
                manifest,
                prefix,
                spec,
                annotations: metadata.and_then(|m| m.get("annotations")),
                labels,
            });
        }
        Index {
            workloads,
            namespaces,
            policies,
            cilium_policies,
        }
    }

    /// NetworkPolicies of `namespace` whose podSelector selects `labels`.
    fn policies_for(
        &self,
        namespace: &str,
        labels: &BTreeMap<String, String>,
    ) -> Vec<&'a Manifest> {
        self.policies
            .iter()
            .copied()
            .filter(|p| p.namespace() == Some(namespace))
            .filter(|p| selects(p.document.pointer("/spec/podSelector"), labels))
            .collect()
    }
}

/// Whether a label selector selects `labels` (matchExpressions are assumed
/// to match: the audit errs towards finding an allowing policy).
fn selects(selector: Option<&Value>, labels: &BTreeMap<String, String>) -> bool {
    let Some(selector) = selector else {
        return true;
    };
    selector
        .get("matchLabels")
        .and_then(Value::as_object)
        .is_none_or(|wanted| {
            wanted
                .iter()
                .all(|(k, v)| labels.get(k).map(String::as_str) == v.as_str())
        })
}

fn policy_types(policy: &Manifest) -> Vec<String> {
    policy_types_of(&policy.document)
}

/// A NetworkPolicy's types: as declared, else Ingress (plus Egress when it
/// has egress rules), as the API server defaults them.
pub fn policy_types_of(document: &Value) -> Vec<String> {
    let declared = string_list(document.pointer("/spec/policyTypes"));
    if !declared.is_empty() {
        return declared;
    }
    let mut implied = vec!["Ingress".to_string()];
    if document.pointer("/spec/egress").is_some() {
        implied.push("Egress".to_string());
    }
    implied
}

fn is_default_deny(policy: &Manifest) -> bool {
    let selector_empty = policy
        .document
        .pointer("/spec/podSelector")
        .and_then(Value::as_object)
        .is_some_and(|s| {
            s.values().all(|v| {
                v.as_object().is_some_and(|o| o.is_empty())
                    || v.as_array().is_some_and(|a| a.is_empty())
            })
        });
    let types = policy_types(policy);
    selector_empty && types.iter().any(|t| t == "Ingress") && types.iter().any(|t| t == "Egress")
}

fn egress_rules(policy: &Manifest) -> Vec<&Value> {
    if !policy_types(policy).iter().any(|t| t == "Egress") {
        return Vec::new();
    }
    policy
        .document
        .pointer("/spec/egress")
        .and_then(Value::as_array)
        .map(|l| l.iter().collect())
        .unwrap_or_default()
}

/// Whether an egress rule allows `port`/`protocol` (a rule without ports allows all).
fn rule_allows_port(rule: &Value, port: u64, protocol: &str) -> bool {
    match rule.get("ports").and_then(Value::as_array) {
        None => true,
        Some(list) if list.is_empty() => true,
        Some(list) => list.iter().any(|p| {
            let proto = p.get("protocol").and_then(Value::as_str).unwrap_or("TCP");
            let matches_port = match p.get("port") {
                None => true,
                Some(Value::Number(n)) => {
                    let start = n.as_u64().unwrap_or(0);
                    let end = p.get("endPort").and_then(Value::as_u64).unwrap_or(start);
                    (start..=end).contains(&port)
                }
                Some(_) => false,
            };
            proto == protocol && matches_port
        }),
    }
}

/// Whether an egress rule's peers include pods of `namespace` (any labels).
fn rule_reaches_namespace(rule: &Value, namespace: &str) -> bool {
    match rule.get("to").and_then(Value::as_array) {
        None => true,
        Some(peers) if peers.is_empty() => true,
        Some(peers) => peers
            .iter()
            .any(|peer| match peer.get("namespaceSelector") {
                None => false,
                Some(selector) => selector
                    .get("matchLabels")
                    .and_then(Value::as_object)
                    .is_none_or(|m| {
                        m.get("kubernetes.io/metadata.name")
                            .is_none_or(|v| v.as_str() == Some(namespace))
                    }),
            }),
    }
}

struct Auditor<'a> {
    manifests: &'a [Manifest],
    findings: Vec<Finding>,
}

impl Auditor<'_> {
    fn report(&mut self, rule_id: &str, manifest: &Manifest, path: &str, message: String) {
        let rule = find(rule_id).unwrap_or_else(|| panic!("unknown rule {rule_id}"));
        self.findings.push(Finding {
            rule: rule.id,
            severity: rule.severity,
            family: rule.family,
            resource: manifest.resource(),
            file: manifest.file.clone(),
            line: manifest.line_of(path),
            message,
            fix: rule.fix,
        });
    }

    fn pod_security(&mut self, index: &Index<'_>, choice: PssChoice) {
        for workload in &index.workloads {
            let labels = index
                .namespaces
                .get(workload.namespace())
                .and_then(|n| n.document.pointer("/metadata/labels"));
            let label = |key: &str| labels.and_then(|l| l.get(key)).and_then(Value::as_str);
            let level = match choice.level {
                Some(level) => level,
                None => match label("pod-security.kubernetes.io/enforce") {
                    Some("privileged") => continue,
                    Some(text) => Level::parse(text).unwrap_or(Level::Restricted),
                    None => Level::Restricted,
                },
            };
            let version = choice
                .version
                .or_else(|| {
                    label("pod-security.kubernetes.io/enforce-version").and_then(Version::parse)
                })
                .unwrap_or_else(Version::newest);
            let pod = Pod {
                annotations: workload.annotations,
                spec: workload.spec,
            };
            for violation in pss::evaluate(&pod, level, version) {
                let path = if violation.path.is_empty() {
                    workload.prefix.to_string()
                } else {
                    format!("{}.{}", workload.prefix, violation.path)
                };
                let message = format!(
                    "{} (Pod Security {}:{version}): {}",
                    violation.check,
                    level.name(),
                    violation.detail
                );
                self.report(
                    &format!("pss/{}", violation.check),
                    workload.manifest,
                    &path,
                    message,
                );
            }
        }
    }

    fn controls(&mut self, index: &Index<'_>) {
        let manifests = self.manifests;
        // 1. Dedicated ServiceAccount.
        for workload in &index.workloads {
            let account = workload
                .spec
                .get("serviceAccountName")
                .and_then(Value::as_str)
                .unwrap_or("default");
            if account == "default" {
                self.report(
                    "control/dedicated-service-account",
                    workload.manifest,
                    workload.prefix,
                    "pods run as the namespace's default ServiceAccount".into(),
                );
            }
        }
        // 2. Least-privilege RBAC.
        let token_mounting_accounts: BTreeSet<(String, String)> = index
            .workloads
            .iter()
            .filter(|w| mounts_token(w, manifests))
            .map(|w| {
                (
                    w.namespace().to_string(),
                    w.spec
                        .get("serviceAccountName")
                        .and_then(Value::as_str)
                        .unwrap_or("default")
                        .to_string(),
                )
            })
            .collect();
        for manifest in manifests {
            match manifest.kind() {
                "Role" | "ClusterRole" => self.rbac_rules(manifest),
                "ClusterRoleBinding" => {
                    for (i, subject) in manifest
                        .document
                        .get("subjects")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .enumerate()
                    {
                        if subject.get("kind").and_then(Value::as_str) == Some("ServiceAccount") {
                            let who = format!(
                                "{}/{}",
                                subject
                                    .get("namespace")
                                    .and_then(Value::as_str)
                                    .unwrap_or("?"),
                                subject.get("name").and_then(Value::as_str).unwrap_or("?")
                            );
                            self.report(
                                "control/rbac-cluster-binding",
                                manifest,
                                &format!("subjects[{i}]"),
                                format!("binds ServiceAccount {who} cluster-wide"),
                            );
                        }
                    }
                }
                "RoleBinding" => {
                    let namespace = manifest.namespace().unwrap_or("default");
                    for (i, subject) in manifest
                        .document
                        .get("subjects")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .enumerate()
                    {
                        if subject.get("kind").and_then(Value::as_str) != Some("ServiceAccount") {
                            continue;
                        }
                        let subject_namespace = subject
                            .get("namespace")
                            .and_then(Value::as_str)
                            .unwrap_or(namespace)
                            .to_string();
                        let name = subject
                            .get("name")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string();
                        let has_workloads = index.workloads.iter().any(|w| {
                            w.namespace() == subject_namespace
                                && w.spec
                                    .get("serviceAccountName")
                                    .and_then(Value::as_str)
                                    .unwrap_or("default")
                                    == name
                        });
                        if has_workloads
                            && !token_mounting_accounts
                                .contains(&(subject_namespace.clone(), name.clone()))
                        {
                            self.report(
                                "control/rbac-dead-permission",
                                manifest,
                                &format!("subjects[{i}]"),
                                format!("grants ServiceAccount {subject_namespace}/{name}, but none of its pods mounts a token to use it"),
                            );
                        }
                    }
                }
                "Secret" => {
                    let has_values = ["data", "stringData"].iter().any(|k| {
                        manifest
                            .document
                            .get(*k)
                            .and_then(Value::as_object)
                            .is_some_and(|m| !m.is_empty())
                    });
                    if has_values {
                        self.report("control/secret-values-in-manifests", manifest, "data", "the Secret's values are in the manifest (base64 is an encoding, not encryption)".into());
                    }
                }
                "Configuration"
                    if manifest
                        .document
                        .pointer("/spec/mtls/enabled")
                        .and_then(Value::as_bool)
                        == Some(false) =>
                {
                    self.report(
                        "control/dapr-mtls-disabled",
                        manifest,
                        "spec.mtls.enabled",
                        "spec.mtls.enabled is false".into(),
                    );
                }
                "Component" => {
                    let scoped = manifest
                        .document
                        .get("scopes")
                        .and_then(Value::as_array)
                        .is_some_and(|s| !s.is_empty());
                    if !scoped {
                        self.report(
                            "control/dapr-component-scopes",
                            manifest,
                            "metadata.name",
                            "no scopes: every app-id in the namespace may use the component".into(),
                        );
                    }
                }
                _ => {}
            }
        }
        // 3, 4, and the Dapr control plane: per namespace with workloads.
        let workload_namespaces: BTreeSet<&str> =
            index.workloads.iter().map(|w| w.namespace()).collect();
        for namespace in workload_namespaces {
            let anchor = index.namespaces.get(namespace).copied().or_else(|| {
                index
                    .workloads
                    .iter()
                    .find(|w| w.namespace() == namespace)
                    .map(|w| w.manifest)
            });
            let Some(anchor) = anchor else { continue };
            let deny = index
                .policies
                .iter()
                .any(|p| p.namespace() == Some(namespace) && is_default_deny(p));
            if !deny {
                self.report("control/default-deny", anchor, "metadata.name", format!("namespace {namespace} has no NetworkPolicy that denies all ingress and egress by default"));
                continue;
            }
            for workload in index
                .workloads
                .iter()
                .filter(|w| w.namespace() == namespace)
            {
                let policies = index.policies_for(namespace, &workload.labels);
                let rules: Vec<&Value> = policies.iter().flat_map(|p| egress_rules(p)).collect();
                let dns = |protocol: &str| {
                    rules.iter().any(|r| {
                        rule_allows_port(r, 53, protocol)
                            && rule_reaches_namespace(r, "kube-system")
                    }) || index.cilium_policies.iter().any(|p| {
                        p.namespace() == Some(namespace)
                            && super::cilium::allows_dns(&p.document, &workload.labels, protocol)
                    })
                };
                let missing: Vec<&str> = ["UDP", "TCP"].into_iter().filter(|p| !dns(p)).collect();
                if !missing.is_empty() {
                    self.report(
                        "control/dns-egress",
                        workload.manifest,
                        "metadata.name",
                        format!(
                            "pods cannot reach DNS on {} 53 under the default deny",
                            missing.join(" and ")
                        ),
                    );
                }
                let wide_dns = rules.iter().any(|r| {
                    rule_allows_port(r, 53, "UDP")
                        && r.get("to").and_then(Value::as_array).is_some_and(|peers| {
                            peers.iter().any(|p| {
                                p.pointer(
                                    "/namespaceSelector/matchLabels/kubernetes.io~1metadata.name",
                                )
                                .and_then(Value::as_str)
                                    == Some("kube-system")
                                    && p.pointer("/podSelector/matchLabels")
                                        .and_then(Value::as_object)
                                        .is_none_or(|m| m.is_empty())
                            })
                        })
                });
                if wide_dns {
                    self.report(
                        "control/dns-egress",
                        workload.manifest,
                        "metadata.name",
                        "DNS egress opens port 53 to every pod of kube-system, not only kube-dns (k8s-app: kube-dns)".into(),
                    );
                }
                self.blocked_flows(index, workload, &policies);
                if workload.dapr_enabled() {
                    let dapr_namespace = "dapr-system";
                    let sentry = rules.iter().any(|r| {
                        rule_allows_port(r, 50001, "TCP")
                            && rule_reaches_namespace(r, dapr_namespace)
                    });
                    let operator = rules.iter().any(|r| {
                        rule_allows_port(r, 6500, "TCP")
                            && rule_reaches_namespace(r, dapr_namespace)
                    });
                    if !sentry || !operator {
                        self.report(
                            "control/dapr-control-plane-egress",
                            workload.manifest,
                            "metadata.name",
                            "no egress to dapr-sentry on 50001 and dapr-operator on 6500: the sidecar gets no certificate or components".into(),
                        );
                    }
                }
            }
        }
        // 5. Secrets as files.
        for workload in &index.workloads {
            for (path, container) in workload.containers(true) {
                for (i, env) in container
                    .get("env")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    if env.pointer("/valueFrom/secretKeyRef").is_some() {
                        let name = env.get("name").and_then(Value::as_str).unwrap_or("?");
                        self.report(
                            "control/secrets-in-env",
                            workload.manifest,
                            &format!("{path}.env[{i}]"),
                            format!("environment variable {name} is read from a Secret"),
                        );
                    }
                }
                for (i, source) in container
                    .get("envFrom")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    if source.get("secretRef").is_some() {
                        self.report(
                            "control/secrets-in-env",
                            workload.manifest,
                            &format!("{path}.envFrom[{i}]"),
                            "envFrom loads a whole Secret into the environment".into(),
                        );
                    }
                }
            }
        }
        // 6. Pod Security labels.
        for namespace in index.namespaces.values() {
            let label = |key: &str| {
                namespace
                    .document
                    .pointer("/metadata/labels")
                    .and_then(|l| l.get(key))
                    .and_then(Value::as_str)
            };
            let enforce = label("pod-security.kubernetes.io/enforce");
            if enforce != Some("restricted") {
                self.report(
                    "control/pss-enforce-restricted",
                    namespace,
                    "metadata.labels",
                    format!(
                        "pod-security.kubernetes.io/enforce is {}",
                        enforce
                            .map(|e| format!("{e:?}"))
                            .unwrap_or_else(|| "not set".into())
                    ),
                );
            }
            let version = label("pod-security.kubernetes.io/enforce-version");
            if version.is_none_or(|v| Version::parse(v).is_none()) {
                self.report(
                    "control/pss-version-pinned",
                    namespace,
                    "metadata.labels",
                    format!(
                        "pod-security.kubernetes.io/enforce-version is {}",
                        version
                            .map(|v| format!("{v:?}"))
                            .unwrap_or_else(|| "not set (latest)".into())
                    ),
                );
            }
        }
        // 7. Images pinned (scanning needs the image itself).
        for workload in &index.workloads {
            for (path, container) in workload.containers(true) {
                let image = container
                    .get("image")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let (name_part, digest) = match image.split_once('@') {
                    Some((name, digest)) => (name, Some(digest)),
                    None => (image, None),
                };
                let tag = name_part
                    .rsplit_once(':')
                    .filter(|(_, t)| !t.contains('/'))
                    .map(|(_, t)| t);
                if tag == Some("latest") || (tag.is_none() && digest.is_none()) {
                    self.report(
                        "control/image-latest",
                        workload.manifest,
                        &format!("{path}.image"),
                        format!("image {image:?} means latest"),
                    );
                } else if digest.is_none() {
                    self.report(
                        "control/image-digest",
                        workload.manifest,
                        &format!("{path}.image"),
                        format!("image {image:?} is pinned by tag only"),
                    );
                }
            }
        }
        // 8, 10. The Dapr sidecar and its logging.
        let configurations: BTreeMap<(String, String), &Manifest> = manifests
            .iter()
            .filter(|m| m.kind() == "Configuration")
            .map(|m| {
                (
                    (
                        m.namespace().unwrap_or("default").to_string(),
                        m.name().to_string(),
                    ),
                    m,
                )
            })
            .collect();
        for workload in index.workloads.iter().filter(|w| w.dapr_enabled()) {
            let annotations_path = match workload.prefix.strip_suffix(".spec") {
                Some(template) => format!("{template}.metadata.annotations"),
                None => "metadata.annotations".to_string(),
            };
            let pod_seccomp = workload
                .spec
                .pointer("/securityContext/seccompProfile/type")
                .and_then(Value::as_str);
            let sidecar_seccomp = workload.annotation("dapr.io/sidecar-seccomp-profile-type");
            let confined = |t: Option<&str>| matches!(t, Some("RuntimeDefault" | "Localhost"));
            if !confined(pod_seccomp) && !confined(sidecar_seccomp) {
                self.report("control/dapr-sidecar-seccomp", workload.manifest, &annotations_path, "the injected daprd container gets no seccomp profile and is rejected under restricted".into());
            }
            if workload.annotation("dapr.io/enable-api-logging") != Some("true") {
                self.report(
                    "control/dapr-api-logging",
                    workload.manifest,
                    &annotations_path,
                    "dapr.io/enable-api-logging is not \"true\"".into(),
                );
            }
            let obfuscated = workload
                .annotation("dapr.io/config")
                .and_then(|name| {
                    configurations.get(&(workload.namespace().to_string(), name.to_string()))
                })
                .is_some_and(|c| {
                    c.document
                        .pointer("/spec/logging/apiLogging/obfuscateURLs")
                        .and_then(Value::as_bool)
                        == Some(true)
                });
            if !obfuscated {
                let why = match workload.annotation("dapr.io/config") {
                    None => "no Dapr Configuration (dapr.io/config): API logs record full URLs"
                        .to_string(),
                    Some(name) => format!(
                        "Configuration {name} does not set apiLogging.obfuscateURLs: true (or is not among the audited files)"
                    ),
                };
                self.report(
                    "control/dapr-url-obfuscation",
                    workload.manifest,
                    &annotations_path,
                    why,
                );
            }
        }
    }

    /// Same-namespace egress that the destination's own isolation blocks:
    /// every flow needs both ends allowed.
    fn blocked_flows(
        &mut self,
        index: &Index<'_>,
        workload: &Workload<'_>,
        policies: &[&Manifest],
    ) {
        let namespace = workload.namespace();
        for policy in policies {
            for (i, rule) in egress_rules(policy).into_iter().enumerate() {
                for peer in rule
                    .get("to")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if peer.get("namespaceSelector").is_some() || peer.get("ipBlock").is_some() {
                        continue;
                    }
                    let Some(wanted) = peer
                        .pointer("/podSelector/matchLabels")
                        .and_then(Value::as_object)
                        .filter(|m| !m.is_empty())
                    else {
                        continue;
                    };
                    let destination: BTreeMap<String, String> = wanted
                        .iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                        .collect();
                    let ports: Vec<(u64, String)> = rule
                        .get("ports")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(|p| {
                            Some((
                                p.get("port")?.as_u64()?,
                                p.get("protocol")
                                    .and_then(Value::as_str)
                                    .unwrap_or("TCP")
                                    .to_string(),
                            ))
                        })
                        .collect();
                    let to_self = destination
                        .iter()
                        .all(|(k, v)| workload.labels.get(k) == Some(v));
                    for (port, protocol) in ports {
                        if to_self && [3500, 50001].contains(&port) {
                            self.report(
                                "control/dapr-loopback-policy",
                                policy,
                                &format!("spec.egress[{i}]"),
                                format!("egress to the app's own pods on {port} is loopback traffic to the sidecar; the rule does nothing"),
                            );
                            continue;
                        }
                        let destination_policies = index.policies_for(namespace, &destination);
                        let isolated = destination_policies
                            .iter()
                            .any(|p| policy_types(p).iter().any(|t| t == "Ingress"));
                        if !isolated
                            || self.admits(
                                &destination_policies,
                                namespace,
                                &workload.labels,
                                port,
                                &protocol,
                            )
                        {
                            continue;
                        }
                        let labels: Vec<String> = destination
                            .iter()
                            .map(|(k, v)| format!("{k}={v}"))
                            .collect();
                        self.report(
                            "control/flow-blocked-at-destination",
                            policy,
                            &format!("spec.egress[{i}]"),
                            format!(
                                "egress to pods {} on {protocol}/{port} is allowed, but no policy lets those pods accept it from {}",
                                labels.join(","),
                                workload.manifest.resource()
                            ),
                        );
                    }
                }
            }
        }
    }

    /// Whether any of `policies` admits ingress from pods with `labels` in
    /// `namespace` on `port`.
    fn admits(
        &self,
        policies: &[&Manifest],
        namespace: &str,
        labels: &BTreeMap<String, String>,
        port: u64,
        protocol: &str,
    ) -> bool {
        policies.iter().any(|p| {
            policy_types(p).iter().any(|t| t == "Ingress")
                && p.document
                    .pointer("/spec/ingress")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .any(|ingress| {
                        rule_allows_port(ingress, port, protocol)
                            && match ingress.get("from").and_then(Value::as_array) {
                                None => true,
                                Some(peers) if peers.is_empty() => true,
                                Some(peers) => peers.iter().any(|from| {
                                    from.get("ipBlock").is_none()
                                        && from.get("namespaceSelector").is_none_or(|n| {
                                            n.pointer("/matchLabels/kubernetes.io~1metadata.name")
                                                .is_none_or(|v| v.as_str() == Some(namespace))
                                        })
                                        && selects(from.get("podSelector"), labels)
                                }),
                            }
                    })
        })
    }

    fn rbac_rules(&mut self, manifest: &Manifest) {
        for (i, rule) in manifest
            .document
            .get("rules")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let list = |key: &str| -> Vec<String> { string_list(rule.get(key)) };
            let (groups, resources, verbs) = (list("apiGroups"), list("resources"), list("verbs"));
            let wildcards: Vec<&str> = [
                ("apiGroups", &groups),
                ("resources", &resources),
                ("verbs", &verbs),
            ]
            .into_iter()
            .filter(|(_, values)| values.iter().any(|v| v.contains('*')))
            .map(|(key, _)| key)
            .collect();
            if !wildcards.is_empty() {
                self.report(
                    "control/rbac-wildcard",
                    manifest,
                    &format!("rules[{i}]"),
                    format!("wildcard in {}", wildcards.join(", ")),
                );
            }
            let core = groups.is_empty() || groups.iter().any(|g| g.is_empty() || g == "*");
            if core && resources.iter().any(|r| r == "secrets" || r == "*") {
                self.report(
                    "control/rbac-secrets",
                    manifest,
                    &format!("rules[{i}]"),
                    format!("grants {} on secrets", verbs.join(", ")),
                );
            }
        }
    }

    fn hardening(&mut self, index: &Index<'_>) {
        let manifests = self.manifests;
        for workload in &index.workloads {
            for (path, container) in workload.containers(false) {
                let name = container.get("name").and_then(Value::as_str).unwrap_or("?");
                if container
                    .pointer("/securityContext/readOnlyRootFilesystem")
                    .and_then(Value::as_bool)
                    != Some(true)
                {
                    self.report(
                        "hardening/read-only-root-filesystem",
                        workload.manifest,
                        &path,
                        format!("container {name:?} can write to its root filesystem"),
                    );
                }
                let missing: Vec<&str> = [
                    "requests/cpu",
                    "requests/memory",
                    "limits/cpu",
                    "limits/memory",
                ]
                .into_iter()
                .filter(|key| container.pointer(&format!("/resources/{key}")).is_none())
                .collect();
                if !missing.is_empty() {
                    self.report(
                        "hardening/resources",
                        workload.manifest,
                        &path,
                        format!(
                            "container {name:?} has no {}",
                            missing.join(", ").replace('/', ".")
                        ),
                    );
                }
                if workload.manifest.kind() != "Job" && workload.manifest.kind() != "CronJob" {
                    let missing: Vec<&str> = ["livenessProbe", "readinessProbe"]
                        .into_iter()
                        .filter(|p| container.get(*p).is_none())
                        .collect();
                    if !missing.is_empty() {
                        self.report(
                            "hardening/probes",
                            workload.manifest,
                            &path,
                            format!("container {name:?} has no {}", missing.join(" or ")),
                        );
                    }
                }
                let uid = container
                    .pointer("/securityContext/runAsUser")
                    .or_else(|| workload.spec.pointer("/securityContext/runAsUser"))
                    .and_then(Value::as_u64);
                if let Some(uid) = uid.filter(|u| *u > 0 && *u < 10000) {
                    self.report(
                        "hardening/low-uid",
                        workload.manifest,
                        &path,
                        format!("container {name:?} runs as UID {uid}"),
                    );
                }
            }
            if mounts_token_automatically(workload, manifests) {
                self.report(
                    "hardening/token-automount",
                    workload.manifest,
                    workload.prefix,
                    "the service account token is mounted automatically".into(),
                );
            }
            let has_ports = workload.containers(false).iter().any(|(_, c)| {
                c.get("ports")
                    .and_then(Value::as_array)
                    .is_some_and(|p| !p.is_empty())
            });
            let served = manifests.iter().any(|m| {
                m.kind() == "Service"
                    && m.namespace() == Some(workload.namespace())
                    && m.document
                        .pointer("/spec/selector")
                        .and_then(Value::as_object)
                        .is_some_and(|selector| {
                            !selector.is_empty()
                                && selector.iter().all(|(k, v)| {
                                    workload.labels.get(k).map(String::as_str) == v.as_str()
                                })
                        })
            });
            if has_ports
                && !served
                && matches!(
                    workload.manifest.kind(),
                    "Deployment" | "StatefulSet" | "DaemonSet"
                )
            {
                self.report(
                    "hardening/no-service",
                    workload.manifest,
                    "metadata.name",
                    "container ports are declared but no Service selects the pods".into(),
                );
            }
        }
    }
}

/// Whether the pods get the ServiceAccount token automatically (the pod
/// setting wins; otherwise the ServiceAccount's, when it is in the input).
fn mounts_token_automatically(workload: &Workload<'_>, manifests: &[Manifest]) -> bool {
    if let Some(value) = workload
        .spec
        .get("automountServiceAccountToken")
        .and_then(Value::as_bool)
    {
        return value;
    }
    let account = workload
        .spec
        .get("serviceAccountName")
        .and_then(Value::as_str)
        .unwrap_or("default");
    let from_account = manifests
        .iter()
        .find(|m| {
            m.kind() == "ServiceAccount"
                && m.name() == account
                && m.namespace() == Some(workload.namespace())
        })
        .and_then(|m| {
            m.document
                .get("automountServiceAccountToken")
                .and_then(Value::as_bool)
        });
    from_account != Some(false)
}

/// Whether the pods hold a token at all: mounted automatically, or projected.
fn mounts_token(workload: &Workload<'_>, manifests: &[Manifest]) -> bool {
    mounts_token_automatically(workload, manifests)
        || workload
            .spec
            .get("volumes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .any(|v| {
                v.pointer("/projected/sources")
                    .and_then(Value::as_array)
                    .is_some_and(|s| s.iter().any(|s| s.get("serviceAccountToken").is_some()))
            })
}
