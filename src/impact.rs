//! Security impact: what a change to a set of manifests means for security,
//! computed from the parsed manifests, not from their text.
//!
//! Each manifest set is reduced to *facts*: one line per permission it grants
//! or weakness it has ("pods app=x may reach 10.0.0.0/8 on TCP/443", "Role r
//! grants get secrets", "container c may escalate privileges"). A fact that
//! appears is a widening, one that disappears a narrowing. Changes that are
//! neither (a pinned version, an image) are reported as changed.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;
use serde_json::Value;

mod cilium;
mod dapr;

use crate::objects::PodTemplate;
use crate::objects::value::At;
use crate::objects::value::string_list;

/// The direction of one impact line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// More is allowed, or a protection was removed.
    Widened,
    /// Less is allowed, or a protection was added.
    Narrowed,
    /// Neither: e.g. a version pin or an image moved.
    Changed,
}

/// One line of the security summary.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Impact {
    pub direction: Direction,
    pub area: String,
    pub detail: String,
}

impl fmt::Display for Impact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let direction = match self.direction {
            Direction::Widened => "widened",
            Direction::Narrowed => "narrowed",
            Direction::Changed => "changed",
        };
        write!(f, "{direction:<9} {}: {}", self.area, self.detail)
    }
}

/// Compares two manifest sets (each a list of YAML texts).
pub fn compare(before: &[String], after: &[String]) -> Vec<Impact> {
    compare_objects(&documents(before), &documents(after))
}

/// Compares two sets of parsed objects (e.g. the rendered objects and the
/// live ones of `check --live`), as [`compare`] compares manifest texts.
pub fn compare_objects(before: &[Value], after: &[Value]) -> Vec<Impact> {
    let mut impacts = signature::impacts(before, after);
    let before = Facts::of(before);
    let after = Facts::of(after);
    impacts.extend(host_impacts(&before.hosts, &after.hosts));
    let areas: BTreeSet<&String> = before.grants.keys().chain(after.grants.keys()).collect();
    for area in areas {
        let empty = BTreeSet::new();
        let old = before.grants.get(area).unwrap_or(&empty);
        let new = after.grants.get(area).unwrap_or(&empty);
        // A flow still allowed by a wider grant is not narrowed, and a
        // grant an old wider one already allowed does not widen: the impact
        // is about flows, each reported once.
        let added: Vec<&String> = new
            .difference(old)
            .filter(|fact| !covered(fact, old))
            .collect();
        let removed: Vec<&String> = old
            .difference(new)
            .filter(|fact| !covered(fact, new))
            .collect();
        for detail in fold_search_forms(&added) {
            impacts.push(Impact {
                direction: Direction::Widened,
                area: area.clone(),
                detail,
            });
        }
        for detail in fold_search_forms(&removed) {
            impacts.push(Impact {
                direction: Direction::Narrowed,
                area: area.clone(),
                detail: format!("no longer: {detail}"),
            });
        }
    }
    impacts.extend(isolation_impacts(&before.isolated, &after.isolated));
    let keys: BTreeSet<&(String, String)> = before
        .settings
        .keys()
        .chain(after.settings.keys())
        .collect();
    for key in keys {
        let old = before
            .settings
            .get(key)
            .map(String::as_str)
            .unwrap_or("(none)");
        let new = after
            .settings
            .get(key)
            .map(String::as_str)
            .unwrap_or("(none)");
        if old != new {
            let (area, what) = key;
            let direction = match area.as_str() {
                "pod security level" => level_direction(old, new),
                _ => Direction::Changed,
            };
            impacts.push(Impact {
                direction,
                area: area.clone(),
                detail: format!("{what}: {old} -> {new}"),
            });
        }
    }
    impacts.sort();
    impacts
}

/// One grant's words, as [`Facts::network_policy`] writes them:
/// `{pods} {verb} {peer} on {port} (policy {name})`.
struct GrantWords<'a> {
    pods: &'a str,
    verb: &'a str,
    /// `pods {labels} in namespace {name}`, `cidr ...`, `anything`, ...
    peer: &'a str,
    port: &'a str,
}

fn grant_words(fact: &str) -> Option<GrantWords<'_>> {
    let (head, _) = fact.rsplit_once(" (policy ")?;
    let (head, port) = head.rsplit_once(" on ")?;
    for verb in [" may reach ", " may be reached by "] {
        if let Some((pods, peer)) = head.split_once(verb) {
            return Some(GrantWords {
                pods,
                verb,
                peer,
                port,
            });
        }
    }
    None
}

/// Whether pod selector `wide` (`*` or `k=v,...`) selects every pod that
/// `narrow` selects: `*`, or a subset of its labels.
fn selects_all_of(wide: &str, narrow: &str) -> bool {
    if wide == "*" {
        return true;
    }
    if narrow == "*" {
        return false;
    }
    let narrow: BTreeSet<&str> = narrow.split(',').collect();
    wide.split(',').all(|label| narrow.contains(label))
}

/// Whether the flow `fact` grants is also granted by one of `others`: the
/// same pods and direction, a peer at least as wide (`anything`, or pods of
/// the same namespaces selected by a subset of the labels) and the same
/// port (or all ports).
fn covered(fact: &str, others: &BTreeSet<String>) -> bool {
    if dapr::covered(fact, others) {
        return true;
    }
    let Some(words) = grant_words(fact) else {
        return false;
    };
    others.iter().filter(|o| *o != fact).any(|other| {
        let Some(wide) = grant_words(other) else {
            return false;
        };
        if wide.pods != words.pods || wide.verb != words.verb {
            return false;
        }
        if wide.port != words.port && wide.port != "all ports" {
            return false;
        }
        if wide.peer == "anything" {
            return true;
        }
        let split = |peer: &'static str, text: &'_ str| -> Option<(String, String)> {
            let rest = text.strip_prefix(peer)?;
            let (labels, namespaces) = rest.split_once(" in ")?;
            Some((labels.to_string(), namespaces.to_string()))
        };
        match (split("pods ", wide.peer), split("pods ", words.peer)) {
            (Some((wide_labels, wide_ns)), Some((labels, ns))) => {
                wide_ns == ns && selects_all_of(&wide_labels, &labels)
            }
            _ => false,
        }
    })
}

/// DNS names the Cilium filter allows with the nodes' search suffixes
/// (`*.openai.com.svc.cluster.local.` beside `*.openai.com`) are one flow:
/// each such form is folded into the line of the name it completes.
fn fold_search_forms(facts: &[&String]) -> Vec<String> {
    let looked_up = |fact: &str| -> Option<(String, String, String)> {
        let (pods, rest) = fact.split_once(" may look up ")?;
        let (name, policy) = rest.rsplit_once(" (policy ")?;
        Some((pods.to_string(), name.to_string(), policy.to_string()))
    };
    let parsed: Vec<Option<(String, String, String)>> =
        facts.iter().map(|f| looked_up(f)).collect();
    let base_of = |index: usize| -> Option<usize> {
        let (pods, name, policy) = parsed[index].as_ref()?;
        parsed.iter().position(|other| {
            other.as_ref().is_some_and(|(p, base, pol)| {
                p == pods
                    && pol == policy
                    && base != name
                    && name.starts_with(&format!("{}.", base.trim_end_matches('.')))
            })
        })
    };
    let mut forms = vec![0usize; facts.len()];
    let mut folded = vec![false; facts.len()];
    for (index, folded) in folded.iter_mut().enumerate() {
        if let Some(base) = base_of(index) {
            forms[base] += 1;
            *folded = true;
        }
    }
    facts
        .iter()
        .enumerate()
        .filter(|(i, _)| !folded[*i])
        .map(|(i, fact)| match (&parsed[i], forms[i]) {
            (Some((pods, name, policy)), n) if n > 0 => format!(
                "{pods} may look up {name} (and {n} search-list {}) (policy {policy}",
                if n == 1 { "form" } else { "forms" }
            ),
            _ => fact.to_string(),
        })
        .collect()
}

/// Egress by hostname (CiliumNetworkPolicy `toFQDNs`): a new name or
/// pattern widens; a pattern that replaces names it covers is reported once,
/// as wider than those names, not also as their removal; a removed name
/// narrows.
fn host_impacts(before: &BTreeSet<HostGrant>, after: &BTreeSet<HostGrant>) -> Vec<Impact> {
    let added: Vec<&HostGrant> = after.difference(before).collect();
    let mut removed: Vec<&HostGrant> = before.difference(after).collect();
    let mut impacts = Vec::new();
    for grant in added {
        let replaced: Vec<&HostGrant> = removed
            .iter()
            .copied()
            .filter(|old| {
                grant.wildcard
                    && old.pods == grant.pods
                    && old.port == grant.port
                    && crate::platform::cilium::pattern_matches(&grant.name, &old.name)
            })
            .collect();
        removed.retain(|old| !replaced.contains(old));
        let mut detail = grant.to_string();
        if !replaced.is_empty() {
            let names: Vec<&str> = replaced.iter().map(|r| r.name.as_str()).collect();
            detail.push_str(&format!(
                "; wider than {}, which it replaces",
                names.join(", ")
            ));
        }
        impacts.push(Impact {
            direction: Direction::Widened,
            area: "egress".into(),
            detail,
        });
    }
    for grant in removed {
        impacts.push(Impact {
            direction: Direction::Narrowed,
            area: "egress".into(),
            detail: format!("no longer: {grant}"),
        });
    }
    impacts
}

/// Pods a NetworkPolicy isolates (selects for a direction: only what some
/// policy allows may then pass). Isolation that ends widens, unless another
/// policy still isolates every pod it did; new isolation narrows.
fn isolation_impacts(before: &BTreeSet<Isolation>, after: &BTreeSet<Isolation>) -> Vec<Impact> {
    let covered = |isolation: &Isolation, others: &BTreeSet<Isolation>| {
        others.iter().any(|other| {
            other != isolation
                && other.namespace == isolation.namespace
                && other.direction == isolation.direction
                && selects_all_of(&other.pods, &isolation.pods)
        })
    };
    let mut impacts = Vec::new();
    for isolation in before.difference(after).filter(|i| !covered(i, after)) {
        impacts.push(Impact {
            direction: Direction::Widened,
            area: isolation.direction.clone(),
            detail: format!("no longer isolated: {isolation}"),
        });
    }
    for isolation in after.difference(before).filter(|i| !covered(i, before)) {
        impacts.push(Impact {
            direction: Direction::Narrowed,
            area: isolation.direction.clone(),
            detail: format!("isolated: {isolation}"),
        });
    }
    impacts
}

/// Pods isolated for `direction` (`ingress` or `egress`) by a NetworkPolicy.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Isolation {
    namespace: String,
    /// The selector in the words of [`labels`].
    pods: String,
    direction: String,
}

impl fmt::Display for Isolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "pods {} in {} ({} only as a policy allows)",
            self.pods, self.namespace, self.direction
        )
    }
}

fn level_direction(old: &str, new: &str) -> Direction {
    let rank = |level: &str| match level {
        "restricted" => 3,
        "baseline" => 2,
        "privileged" => 1,
        _ => 0,
    };
    match rank(new).cmp(&rank(old)) {
        std::cmp::Ordering::Less => Direction::Widened,
        std::cmp::Ordering::Greater => Direction::Narrowed,
        std::cmp::Ordering::Equal => Direction::Changed,
    }
}

/// The objects of the texts (a `List`'s items, each on its own).
fn documents(texts: &[String]) -> Vec<Value> {
    texts
        .iter()
        .filter_map(|text| crate::yaml::parse_stream(text).ok())
        .flatten()
        .flat_map(|document| {
            crate::objects::manifest::objects_in(&document)
                .into_iter()
                .cloned()
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Pods allowed to reach a DNS name or pattern (CiliumNetworkPolicy
/// `toFQDNs`) on one port.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct HostGrant {
    pods: String,
    name: String,
    wildcard: bool,
    port: String,
    policy: String,
}

impl fmt::Display for HostGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.wildcard {
            format!("any host matching {}", self.name)
        } else {
            format!("host {}", self.name)
        };
        write!(
            f,
            "{} may reach {what} on {} (policy {})",
            self.pods, self.port, self.policy
        )
    }
}

#[derive(Default)]
struct Facts {
    /// Area -> what is granted or weakened there.
    grants: BTreeMap<String, BTreeSet<String>>,
    /// Egress by hostname, compared apart from `grants` so that a pattern
    /// replacing names can be told from a new pattern.
    hosts: BTreeSet<HostGrant>,
    /// (area, subject) -> a value that can only change.
    settings: BTreeMap<(String, String), String>,
    /// Pods isolated by NetworkPolicies.
    isolated: BTreeSet<Isolation>,
}

fn text(value: &Value, pointer: &str) -> Option<String> {
    match value.at(pointer)? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

fn labels(selector: Option<&Value>) -> String {
    match selector
        .and_then(|s| s.get("matchLabels"))
        .and_then(Value::as_object)
    {
        Some(map) if !map.is_empty() => map
            .iter()
            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
            .collect::<Vec<_>>()
            .join(","),
        _ => "*".to_string(),
    }
}

fn peer(peer: &Value, namespace: &str) -> String {
    if let Some(block) = peer.get("ipBlock") {
        let cidr = text(block, "/cidr").unwrap_or_default();
        let except = string_list(block.get("except"));
        return if except.is_empty() {
            format!("cidr {cidr}")
        } else {
            format!("cidr {cidr} except {}", except.join(","))
        };
    }
    let pods = labels(peer.get("podSelector"));
    let namespaces = match peer.get("namespaceSelector") {
        None => format!("namespace {namespace}"),
        Some(selector) => match selector
            .at("/matchLabels/kubernetes.io~1metadata.name")
            .and_then(Value::as_str)
        {
            Some(name) => format!("namespace {name}"),
            None => format!("namespaces {}", labels(Some(selector))),
        },
    };
    format!("pods {pods} in {namespaces}")
}

fn ports(rule: &Value) -> Vec<String> {
    match rule.get("ports").and_then(Value::as_array) {
        Some(list) if !list.is_empty() => list
            .iter()
            .map(|p| {
                let protocol = text(p, "/protocol").unwrap_or_else(|| "TCP".into());
                let port = text(p, "/port").unwrap_or_else(|| "*".into());
                format!("{protocol}/{port}")
            })
            .collect(),
        _ => vec!["all ports".to_string()],
    }
}

impl Facts {
    fn grant(&mut self, area: &str, fact: String) {
        self.grants
            .entry(area.to_string())
            .or_default()
            .insert(fact);
    }

    fn setting(&mut self, area: &str, subject: String, value: String) {
        self.settings.insert((area.to_string(), subject), value);
    }

    fn of(documents: &[Value]) -> Facts {
        let mut facts = Facts::default();
        for document in documents {
            let kind = text(document, "/kind").unwrap_or_default();
            let name = text(document, "/metadata/name").unwrap_or_default();
            let namespace =
                text(document, "/metadata/namespace").unwrap_or_else(|| "default".into());
            match kind.as_str() {
                "Namespace" => {
                    for mode in ["enforce", "audit", "warn"] {
                        let level = text(
                            document,
                            &format!("/metadata/labels/pod-security.kubernetes.io~1{mode}"),
                        )
                        .unwrap_or_else(|| "privileged".into());
                        facts.setting(
                            "pod security level",
                            format!("namespace {name} {mode}"),
                            level,
                        );
                        if let Some(version) = text(
                            document,
                            &format!("/metadata/labels/pod-security.kubernetes.io~1{mode}-version"),
                        ) {
                            facts.setting(
                                "pod security version",
                                format!("namespace {name} {mode}-version"),
                                version,
                            );
                        }
                    }
                }
                "NetworkPolicy" => facts.network_policy(document, &namespace),
                "CiliumNetworkPolicy" => facts.cilium_policy(document, &namespace),
                "Role" | "ClusterRole" => {
                    for rule in document
                        .get("rules")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        let list = |key: &str| -> Vec<String> { string_list(rule.get(key)) };
                        let names = list("resourceNames");
                        for group in list("apiGroups") {
                            for resource in list("resources") {
                                let qualified = if group.is_empty() {
                                    resource.clone()
                                } else {
                                    format!("{resource}.{group}")
                                };
                                for verb in list("verbs") {
                                    let scope = if kind == "ClusterRole" {
                                        "cluster-wide".to_string()
                                    } else {
                                        format!("in {namespace}")
                                    };
                                    if names.is_empty() {
                                        facts.grant(
                                            "rbac",
                                            format!(
                                                "{kind} {name} grants {verb} {qualified} {scope}"
                                            ),
                                        );
                                    }
                                    for resource_name in &names {
                                        facts.grant("rbac", format!("{kind} {name} grants {verb} {qualified}/{resource_name} {scope}"));
                                    }
                                }
                            }
                        }
                    }
                }
                "RoleBinding" | "ClusterRoleBinding" => {
                    let role = format!(
                        "{} {}",
                        text(document, "/roleRef/kind").unwrap_or_default(),
                        text(document, "/roleRef/name").unwrap_or_default()
                    );
                    for subject in document
                        .get("subjects")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        let who = format!(
                            "{} {}/{}",
                            text(subject, "/kind").unwrap_or_default(),
                            text(subject, "/namespace").unwrap_or_else(|| namespace.clone()),
                            text(subject, "/name").unwrap_or_default()
                        );
                        facts.grant("rbac", format!("{kind} {name} binds {role} to {who}"));
                    }
                }
                "ServiceAccount"
                    if document
                        .get("automountServiceAccountToken")
                        .and_then(Value::as_bool)
                        != Some(false) =>
                {
                    facts.grant(
                        "service account",
                        format!("ServiceAccount {namespace}/{name} mounts its token automatically"),
                    );
                }
                "Component" => {
                    let scopes = string_list(document.get("scopes"));
                    if scopes.is_empty() {
                        facts.grant(
                            "dapr scopes",
                            format!("component {namespace}/{name} is usable by every app-id"),
                        );
                    }
                    for scope in scopes {
                        facts.grant(
                            "dapr scopes",
                            format!("component {namespace}/{name} is usable by app-id {scope}"),
                        );
                    }
                }
                "Configuration" => {
                    let default_action = text(document, "/spec/accessControl/defaultAction")
                        .unwrap_or_else(|| "allow".into());
                    if default_action != "deny" {
                        facts.grant(
                            "dapr invocation",
                            format!("configuration {namespace}/{name} lets every app-id invoke"),
                        );
                    }
                    // The allowlist, secret scopes and callers (with their
                    // operations): `impact::dapr`.
                    for (area, fact) in dapr::configuration_facts(document, &namespace, &name) {
                        facts.grant(area, fact);
                    }
                    if text(document, "/spec/logging/apiLogging/obfuscateURLs").as_deref()
                        != Some("true")
                    {
                        facts.grant(
                            "dapr logging",
                            format!("configuration {namespace}/{name} logs full URLs"),
                        );
                    }
                }
                "ExternalSecret" => {
                    let target =
                        text(document, "/spec/target/name").unwrap_or_else(|| name.clone());
                    for item in document
                        .at("/spec/data")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        facts.grant(
                            "secrets",
                            format!(
                                "Secret {namespace}/{target} receives key {} from {}",
                                text(item, "/secretKey").unwrap_or_default(),
                                text(item, "/remoteRef/key").unwrap_or_default()
                            ),
                        );
                    }
                }
                "Service" => facts.service(document, &name, &namespace),
                "Secret" => facts.grant(
                    "secrets",
                    format!("Secret {namespace}/{name} is written in the manifests"),
                ),
                _ => {}
            }
            if let Some(pod) = PodTemplate::of(document) {
                facts.pod(&format!("{kind} {namespace}/{name}"), &pod);
            }
        }
        for (area, fact) in dapr::workflow_facts(documents) {
            facts.grant(area, fact);
        }
        facts
    }

    /// A Service reachable from outside the cluster: a node port, a load
    /// balancer, or external IPs (Kubernetes API reference, ServiceSpec).
    fn service(&mut self, document: &Value, name: &str, namespace: &str) {
        let kind = text(document, "/spec/type").unwrap_or_else(|| "ClusterIP".into());
        if matches!(kind.as_str(), "NodePort" | "LoadBalancer") {
            self.grant(
                "exposure",
                format!(
                    "Service {namespace}/{name} is reachable from outside the cluster (type {kind})"
                ),
            );
        }
        for ip in string_list(document.at("/spec/externalIPs")) {
            self.grant(
                "exposure",
                format!("Service {namespace}/{name} is reachable on external IP {ip}"),
            );
        }
    }

    fn network_policy(&mut self, document: &Value, namespace: &str) {
        let name = text(document, "/metadata/name").unwrap_or_default();
        let pods = format!(
            "pods {} in {namespace}",
            labels(document.at("/spec/podSelector"))
        );
        // Without policyTypes a policy is an Ingress policy (and Egress when
        // it has egress rules); rules::policy_types applies the same default.
        let types = crate::netpol::policy_types_of(document);
        for (direction, key, peers_key, verb) in [
            ("Egress", "egress", "to", "may reach"),
            ("Ingress", "ingress", "from", "may be reached by"),
        ] {
            if !types.iter().any(|t| t == direction) {
                continue;
            }
            self.isolated.insert(Isolation {
                namespace: namespace.to_string(),
                pods: labels(document.at("/spec/podSelector")),
                direction: key.to_string(),
            });
            for rule in document
                .at(&format!("/spec/{key}"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let peers: Vec<String> = match rule.get(peers_key).and_then(Value::as_array) {
                    Some(list) if !list.is_empty() => {
                        list.iter().map(|p| peer(p, namespace)).collect()
                    }
                    _ => vec!["anything".to_string()],
                };
                for peer in &peers {
                    for port in ports(rule) {
                        self.grant(
                            key,
                            format!("{pods} {verb} {peer} on {port} (policy {name})"),
                        );
                    }
                }
            }
        }
    }

    fn pod(&mut self, owner: &str, template: &PodTemplate<'_>) {
        let pod = template.spec;
        for host in ["hostNetwork", "hostPID", "hostIPC"] {
            if pod.get(host).and_then(Value::as_bool) == Some(true) {
                self.grant("pod security context", format!("{owner} sets {host}"));
            }
        }
        if pod
            .get("automountServiceAccountToken")
            .and_then(Value::as_bool)
            != Some(false)
        {
            self.grant(
                "service account",
                format!("{owner} mounts the service account token automatically"),
            );
        }
        for (_, volume) in template.volumes() {
            if volume.get("hostPath").is_some() {
                self.grant(
                    "pod security context",
                    format!("{owner} mounts a hostPath volume"),
                );
            }
        }
        let annotation = |key: &str| template.annotation(key);
        if annotation("dapr.io/enabled") == Some("true")
            && annotation("dapr.io/enable-api-logging") != Some("true")
        {
            self.grant(
                "dapr logging",
                format!("{owner} does not log Dapr API calls"),
            );
        }
        for walked in template.containers() {
            let container = walked.value;
            let subject = format!("{owner} container {}", walked.name);
            let context = container
                .get("securityContext")
                .cloned()
                .unwrap_or(Value::Null);
            let effective = |key: &str| template.effective(&walked, key);
            if context.get("privileged").and_then(Value::as_bool) == Some(true) {
                self.grant("pod security context", format!("{subject} is privileged"));
            }
            if context
                .get("allowPrivilegeEscalation")
                .and_then(Value::as_bool)
                != Some(false)
            {
                self.grant(
                    "pod security context",
                    format!("{subject} may escalate privileges"),
                );
            }
            if context
                .get("readOnlyRootFilesystem")
                .and_then(Value::as_bool)
                != Some(true)
            {
                self.grant(
                    "pod security context",
                    format!("{subject} has a writable root filesystem"),
                );
            }
            if effective("runAsNonRoot").and_then(|v| v.as_bool()) != Some(true) {
                self.grant("pod security context", format!("{subject} may run as root"));
            }
            if effective("runAsUser").and_then(|v| v.as_u64()) == Some(0) {
                self.grant("pod security context", format!("{subject} runs as UID 0"));
            }
            let seccomp = effective("seccompProfile")
                .and_then(|v| v.get("type").and_then(Value::as_str).map(str::to_string));
            if !matches!(seccomp.as_deref(), Some("RuntimeDefault" | "Localhost")) {
                self.grant(
                    "pod security context",
                    format!("{subject} has no RuntimeDefault seccomp profile"),
                );
            }
            let drops: Vec<&str> = context
                .at("/capabilities/drop")
                .and_then(Value::as_array)
                .map(|l| l.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if !drops.contains(&"ALL") {
                self.grant(
                    "pod security context",
                    format!("{subject} keeps default capabilities"),
                );
            }
            for added in context
                .at("/capabilities/add")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                self.grant(
                    "pod security context",
                    format!(
                        "{subject} adds capability {}",
                        added.as_str().unwrap_or_default()
                    ),
                );
            }
            for env in container
                .get("env")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if env.at("/valueFrom/secretKeyRef").is_some() {
                    self.grant(
                        "secrets",
                        format!(
                            "{subject} reads a secret into env {}",
                            text(env, "/name").unwrap_or_default()
                        ),
                    );
                }
            }
            if let Some(image) = text(container, "/image") {
                self.setting("image", subject.clone(), image);
            }
        }
    }
}

mod signature;

#[cfg(test)]
mod tests;
