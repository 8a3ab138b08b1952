//! What a rule is and what it works with: [`Rule`] (metadata and its
//! check), [`Finding`], the run's [`Selection`] and [`PssChoice`], the
//! cross-object [`Index`], the audit in progress ([`Cx`]) and a
//! [`Workload`] (an object with its pod template). The rule families
//! (`rules/*`, `pss`) import these from here and the catalogue
//! (`rules/mod.rs`) imports the families, so no import runs in a circle.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;
use serde::ser::SerializeStruct;
use serde_json::Value;

use super::level::{Level, Version};
use crate::objects::selector::selects;
use crate::objects::value::At;
use crate::objects::value::label_map;
use crate::objects::{Container, ContainerKind, Labels, Object, PodTemplate};

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
    /// Network policies judged with the evaluator of `harden reach`.
    Netpol,
    /// Problems with the audit's input (always on).
    #[value(skip)]
    Input,
}

/// How a rule is run.
#[derive(Clone, Copy)]
pub enum Check {
    /// Judges each object, with the cross-object index at hand.
    Object(fn(&mut Cx<'_>, &Object<'_>)),
    /// Judges the index once, after every object was read.
    Index(fn(&mut Cx<'_>)),
    /// Reported by the audit driver itself (Pod Security evaluation, input
    /// problems, waivers).
    Driver,
}

impl std::fmt::Debug for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Check::Object(_) => "Object",
            Check::Index(_) => "Index",
            Check::Driver => "Driver",
        })
    }
}

/// A rule of the catalogue.
#[derive(Debug)]
pub struct Rule {
    pub id: &'static str,
    pub family: Family,
    pub severity: Severity,
    /// The capstone control number (1 to 10), when the rule belongs to one.
    pub control: Option<u8>,
    pub title: &'static str,
    /// The generic fix; findings usually carry a more specific one.
    pub fix: &'static str,
    pub check: Check,
}

impl PartialEq for Rule {
    fn eq(&self, other: &Rule) -> bool {
        self.id == other.id
    }
}
impl Eq for Rule {}

/// Why a finding does not count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suppression {
    pub reason: String,
    /// `annotation` (on the object) or the waiver file's `path:line`.
    pub source: String,
    #[serde(skip)]
    pub in_source: bool,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: &'static Rule,
    pub resource: String,
    pub file: String,
    pub line: usize,
    pub message: String,
    /// What to change, naming the container, volume or field at fault.
    pub fix: String,
    pub suppressed: Option<Suppression>,
}

impl Finding {
    pub fn severity(&self) -> Severity {
        self.rule.severity
    }
}

impl Serialize for Finding {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Finding", 9)?;
        s.serialize_field("rule", self.rule.id)?;
        s.serialize_field("severity", &self.rule.severity)?;
        s.serialize_field("family", &self.rule.family)?;
        s.serialize_field("resource", &self.resource)?;
        s.serialize_field("file", &self.file)?;
        s.serialize_field("line", &self.line)?;
        s.serialize_field("message", &self.message)?;
        s.serialize_field("fix", &self.fix)?;
        if let Some(suppressed) = &self.suppressed {
            s.serialize_field("suppressed", suppressed)?;
        } else {
            s.skip_field("suppressed")?;
        }
        s.end()
    }
}

/// How Pod Security is judged.
#[derive(Debug, Clone, Copy)]
pub struct PssChoice {
    /// Forced by `--pss-level`; otherwise the namespace label, else restricted.
    pub level: Option<Level>,
    /// Forced by `--pss-version`; otherwise the namespace label, else newest.
    pub version: Option<Version>,
}

/// Which rules run.
#[derive(Debug, Clone)]
pub struct Selection {
    pub families: Vec<Family>,
    /// `--rule`: only these (empty: all of `families`).
    pub only: BTreeSet<&'static str>,
    /// `--skip-rule`.
    pub skip: BTreeSet<&'static str>,
}

impl Selection {
    pub fn families(families: &[Family]) -> Selection {
        Selection {
            families: families.to_vec(),
            only: BTreeSet::new(),
            skip: BTreeSet::new(),
        }
    }

    pub fn all() -> Selection {
        Selection::families(&[
            Family::Pss,
            Family::Controls,
            Family::Netpol,
            Family::Hardening,
        ])
    }

    /// Input problems are always reported.
    pub fn runs(&self, rule: &Rule) -> bool {
        rule.family == Family::Input
            || (self.families.contains(&rule.family)
                && (self.only.is_empty() || self.only.contains(rule.id))
                && !self.skip.contains(rule.id))
    }
}

/// Where a finding about an object is anchored when it is reported after
/// the object itself is gone (index rules).
#[derive(Debug, Clone)]
pub struct Anchor {
    pub file: String,
    pub line: usize,
    pub resource: String,
}

impl Anchor {
    pub fn of(object: &Object<'_>, path: &str) -> Anchor {
        Anchor {
            file: object.file().to_string(),
            line: object.line_of(path),
            resource: object.resource(),
        }
    }
}

/// What cross-object rules need to know about a workload.
#[derive(Debug, Clone)]
pub struct WorkloadInfo {
    pub namespace: String,
    pub account: String,
    pub labels: BTreeMap<String, String>,
    /// The pod's own `automountServiceAccountToken`.
    pub automount: Option<bool>,
    pub projected_token: bool,
    pub kind: String,
    pub anchor: Anchor,
    /// The pods the workload asks for: its `spec.replicas`, 1 for a Pod.
    /// None when the manifest does not say: a DaemonSet's count is the
    /// nodes', a Job's its parallelism, and a Deployment without
    /// `spec.replicas` is usually scaled by a HorizontalPodAutoscaler (the
    /// API's default of 1 would guess).
    pub replicas: Option<u64>,
    /// Created by a controller (`metadata.ownerReferences`): its pods are
    /// counted with the controller's (a Deployment's ReplicaSet and Pods in
    /// a cluster dump).
    pub owned: bool,
}

/// Cross-object facts gathered in the first pass.
#[derive(Debug, Default)]
pub struct Index<'a> {
    /// Namespace name to its labels and anchor.
    pub namespaces: BTreeMap<String, (BTreeMap<String, String>, Anchor)>,
    /// NetworkPolicies: namespace and document (borrowed from the objects
    /// judged together; owned by an audit that streams its files).
    pub policies: Vec<(String, Cow<'a, Value>)>,
    /// Where each of [`Index::policies`] was written, in the same order.
    pub policy_anchors: Vec<Anchor>,
    /// CiliumNetworkPolicies: namespace and document.
    pub cilium_policies: Vec<(String, Cow<'a, Value>)>,
    /// Where each of [`Index::cilium_policies`] was written, in the same order.
    pub cilium_anchors: Vec<Anchor>,
    /// Service selectors by namespace.
    pub services: HashMap<String, Vec<BTreeMap<String, String>>>,
    /// ServiceAccounts (namespace, name) and their `automountServiceAccountToken`.
    pub service_accounts: HashMap<(String, String), Option<bool>>,
    /// Dapr Configurations (namespace, name) and whether they obfuscate URLs.
    pub configurations: HashMap<(String, String), bool>,
    /// Dapr secret store Components (`secretstores.*`) by namespace: name
    /// to `scopes` (empty: every app-id).
    pub secret_stores: BTreeMap<String, BTreeMap<String, Vec<String>>>,
    /// Dapr app-ids of the audited workloads by (namespace, `dapr.io/config`).
    pub dapr_config_apps: HashMap<(String, String), BTreeSet<String>>,
    pub workloads: Vec<WorkloadInfo>,
    /// Where pods are expected to send DNS (the cluster profile's resolvers;
    /// kubeadm's DNS pods when the audit is given no profile).
    pub dns: crate::platform::cluster::DnsFacts,
    /// Namespaces holding a custom resource that may stand for pods an
    /// operator creates at run time ([`may_create_pods`]).
    pub operated: BTreeSet<String>,
}

/// API groups of custom resources known not to create pods: the policies,
/// components and secret stores harden itself writes.
const POD_LESS_GROUPS: [&str; 3] = ["cilium.io", "dapr.io", "external-secrets.io"];

/// Whether an object of this `apiVersion` may stand for pods created at run
/// time: a custom resource (not of a built-in group, nor of a group known
/// to create no pods) is how an operator is asked for a database, a broker
/// or a job runner, whose pods the manifests never show.
pub fn may_create_pods(api_version: &str) -> bool {
    use crate::platform::kubernetes::{BUILT_IN_GROUP_SUFFIX, BUILT_IN_GROUPS};
    let group = api_version.rsplit_once('/').map_or("", |(group, _)| group);
    !(BUILT_IN_GROUPS.contains(&group)
        || group.ends_with(BUILT_IN_GROUP_SUFFIX)
        || POD_LESS_GROUPS.contains(&group))
}

impl<'a> Index<'a> {
    /// Adds what `object` contributes; the index borrows its policies.
    pub fn add(&mut self, object: &Object<'a>) {
        self.add_with(object, Cow::Borrowed);
    }

    /// [`Index::add`] for an object that is dropped before the index: its
    /// policies are copied.
    pub fn add_owned(&mut self, object: &Object<'_>) {
        self.add_with(object, |document| Cow::Owned(document.clone()));
    }

    fn add_with<'o>(&mut self, object: &Object<'o>, keep: impl Fn(&'o Value) -> Cow<'a, Value>) {
        let document = object.document;
        let namespace = || object.namespace().unwrap_or("default").to_string();
        match object.kind() {
            "Namespace" => {
                let labels = label_map(document.at("/metadata/labels"));
                self.namespaces.insert(
                    object.name().to_string(),
                    (labels, Anchor::of(object, "metadata.name")),
                );
            }
            "NetworkPolicy" => {
                self.policies.push((namespace(), keep(document)));
                self.policy_anchors
                    .push(Anchor::of(object, "metadata.name"));
            }
            "CiliumNetworkPolicy" => {
                self.cilium_policies.push((namespace(), keep(document)));
                self.cilium_anchors
                    .push(Anchor::of(object, "metadata.name"));
            }
            "Service" => self
                .services
                .entry(namespace())
                .or_default()
                .push(label_map(document.at("/spec/selector"))),
            "ServiceAccount" => {
                self.service_accounts.insert(
                    (namespace(), object.name().to_string()),
                    document
                        .get("automountServiceAccountToken")
                        .and_then(Value::as_bool),
                );
            }
            "Configuration" => {
                self.configurations.insert(
                    (namespace(), object.name().to_string()),
                    document
                        .at("/spec/logging/apiLogging/obfuscateURLs")
                        .and_then(Value::as_bool)
                        == Some(true),
                );
            }
            "Component"
                if document
                    .at("/spec/type")
                    .and_then(Value::as_str)
                    .is_some_and(|t| t.starts_with("secretstores.")) =>
            {
                self.secret_stores.entry(namespace()).or_default().insert(
                    object.name().to_string(),
                    crate::objects::value::string_list(document.get("scopes")),
                );
            }
            _ => {}
        }
        if object.namespace().is_some()
            && document
                .get("apiVersion")
                .and_then(Value::as_str)
                .is_some_and(may_create_pods)
        {
            self.operated.insert(namespace());
        }
        if let Some(workload) = Workload::of(object) {
            if let (Some(config), Some(app_id)) = (
                workload.annotation("dapr.io/config"),
                workload.annotation("dapr.io/app-id"),
            ) {
                self.dapr_config_apps
                    .entry((namespace(), config.to_string()))
                    .or_default()
                    .insert(app_id.to_string());
            }
            self.workloads.push(WorkloadInfo {
                namespace: namespace(),
                account: workload.account().to_string(),
                labels: workload.labels.clone(),
                automount: workload
                    .spec
                    .get("automountServiceAccountToken")
                    .and_then(Value::as_bool),
                projected_token: workload.projected_token(),
                kind: object.kind().to_string(),
                anchor: Anchor::of(object, "metadata.name"),
                replicas: match object.kind() {
                    "Pod" => Some(1),
                    "Deployment" | "StatefulSet" | "ReplicaSet" | "ReplicationController" => {
                        document.at("/spec/replicas").and_then(Value::as_u64)
                    }
                    _ => None,
                },
                owned: document
                    .at("/metadata/ownerReferences")
                    .and_then(Value::as_array)
                    .is_some_and(|owners| !owners.is_empty()),
            });
        }
    }

    /// Whether pods with this pod-level setting and account get the token
    /// automatically (the pod setting wins; otherwise the ServiceAccount's,
    /// when it is in the input).
    pub fn automounts(&self, namespace: &str, account: &str, pod: Option<bool>) -> bool {
        if let Some(value) = pod {
            return value;
        }
        self.service_accounts
            .get(&(namespace.to_string(), account.to_string()))
            .copied()
            .flatten()
            != Some(false)
    }

    /// Whether the workload's pods hold a token at all.
    pub fn mounts_token(&self, workload: &WorkloadInfo) -> bool {
        workload.projected_token
            || self.automounts(&workload.namespace, &workload.account, workload.automount)
    }

    /// NetworkPolicies of `namespace` whose podSelector selects `labels`.
    pub fn policies_for<'s>(
        &'s self,
        namespace: &'s str,
        labels: &'s BTreeMap<String, String>,
    ) -> impl Iterator<Item = &'s Value> + 's {
        self.policies
            .iter()
            .filter(move |(ns, p)| ns == namespace && selects(p.at("/spec/podSelector"), labels))
            .map(|(_, p)| p.as_ref())
    }
}

/// The audit in progress: the rule being run, the index, the findings.
pub struct Cx<'a> {
    pub rule: &'static Rule,
    pub index: &'a Index<'a>,
    pub pss: PssChoice,
    pub findings: &'a mut Vec<Finding>,
    /// The NetworkPolicy issues of the object being judged, found once for
    /// all the rules that report them (`network::policy_issues`).
    pub policy_issues: Option<Vec<crate::netpol::analysis::Issue>>,
}

impl Cx<'_> {
    /// Reports the current rule on `path` of `object`.
    pub fn report(&mut self, object: &Object<'_>, path: &str, message: String, fix: String) {
        let rule = self.rule;
        self.report_rule(rule, object, path, message, fix);
    }

    /// Reports `rule` (a variant of the current one) on `path` of `object`.
    pub fn report_rule(
        &mut self,
        rule: &'static Rule,
        object: &Object<'_>,
        path: &str,
        message: String,
        fix: String,
    ) {
        self.findings.push(Finding {
            rule,
            resource: object.resource(),
            file: object.file().to_string(),
            line: object.line_of(path),
            message,
            fix,
            suppressed: None,
        });
    }

    /// Reports the current rule at an anchor.
    pub fn report_at(&mut self, anchor: &Anchor, message: String, fix: String) {
        self.findings.push(Finding {
            rule: self.rule,
            resource: anchor.resource.clone(),
            file: anchor.file.clone(),
            line: anchor.line,
            message,
            fix,
            suppressed: None,
        });
    }
}

/// A workload's pod template, found in an object: the object (for
/// locations and namespace) and [`PodTemplate`], the one walker.
pub struct Workload<'a> {
    pub object: &'a Object<'a>,
    pub pod: PodTemplate<'a>,
    /// Path prefix of the pod spec inside the document (`spec.template.spec`).
    pub prefix: &'static str,
    pub spec: &'a Value,
    pub labels: Labels,
}

impl<'a> Workload<'a> {
    /// The pod template of `object`, if it is a workload.
    pub fn of(object: &'a Object<'a>) -> Option<Workload<'a>> {
        let pod = PodTemplate::of(object.document)?;
        Some(Workload {
            object,
            prefix: pod.spec_path,
            spec: pod.spec,
            labels: pod.labels(),
            pod,
        })
    }

    /// Every container: init, regular and ephemeral.
    pub fn containers(&self) -> Vec<Container<'a>> {
        self.pod.containers()
    }

    /// The containers of the given lists.
    pub fn containers_of(&self, kinds: &[ContainerKind]) -> Vec<Container<'a>> {
        self.pod.containers_of(kinds)
    }

    pub fn annotation(&self, key: &str) -> Option<&'a str> {
        self.pod.annotation(key)
    }

    pub fn dapr_enabled(&self) -> bool {
        self.annotation("dapr.io/enabled") == Some("true")
    }

    pub fn namespace(&self) -> &'a str {
        self.object.namespace().unwrap_or("default")
    }

    /// The pods' ServiceAccount ([`PodTemplate::service_account`]).
    pub fn account(&self) -> &'a str {
        self.pod.service_account()
    }

    /// The path of the field naming the account (for locations).
    pub fn account_path(&self) -> String {
        self.pod.service_account_path()
    }

    /// Whether a volume projects a service account token.
    pub fn projected_token(&self) -> bool {
        self.pod.projects_token()
    }

    /// `spec.template.metadata.annotations` (or `metadata.annotations` for a Pod).
    pub fn annotations_path(&self) -> String {
        format!("{}.annotations", self.pod.metadata_path())
    }
}
