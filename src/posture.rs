//! The security posture document: what auditors read instead of YAML.
//!
//! Built from the same model as the manifests: a control inventory (each of
//! the capstone's ten controls, how this spec implements it, and its
//! evidence: generated files, live-audit check, penetration-test scenarios),
//! one mapping table per selected compliance framework, the residual risks a
//! reviewer should weigh, the non-goals, and the results of the live scripts
//! when their JSON output is supplied (otherwise "not yet run", never
//! "passed").

mod claims;
mod dapr;
mod frameworks;
mod guard;

pub use claims::{Connection, OtherEnd, other_end, unencrypted};

pub use frameworks::frameworks;

use crate::platform::names;
use serde::Serialize;

use crate::model::Model;

/// One control of the inventory.
#[derive(Debug, Clone, Serialize)]
pub struct Control {
    /// `C1` to `C12`.
    pub id: String,
    pub name: &'static str,
    /// How this spec implements it.
    pub implementation: String,
    /// Generated files that carry it.
    pub files: Vec<String>,
    /// The live-audit checks that verify it; none: empty.
    pub audit_checks: Vec<u8>,
    /// Penetration-test scenarios that attack it.
    pub pentest: Vec<String>,
}

/// One row of a framework table.
#[derive(Debug, Clone, Serialize)]
pub struct Requirement {
    pub id: &'static str,
    pub title: &'static str,
    /// The controls of this deployment that support it; controls that do not
    /// apply (C8 to C10 without Dapr) are never listed.
    pub controls: Vec<String>,
    pub note: std::borrow::Cow<'static, str>,
}

/// A framework's mapping table.
#[derive(Debug, Clone, Serialize)]
pub struct Framework {
    pub context: &'static str,
    pub name: &'static str,
    pub source: &'static str,
    pub requirements: Vec<Requirement>,
}

/// One result of a live script, as its `--json` output reports it.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct ScriptResult {
    pub id: String,
    pub title: String,
    pub status: String,
    pub evidence: String,
}

/// The `--json` output of a live script.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct ScriptReport {
    pub script: String,
    pub app: String,
    pub namespace: String,
    pub results: Vec<ScriptResult>,
}

/// Results supplied to the document.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Results {
    pub audit: Option<ScriptReport>,
    pub pentest: Option<ScriptReport>,
}

impl Results {
    /// Parses the `--json` outputs of the scripts, checking they belong to
    /// `model`'s app.
    pub fn parse(model: &Model, inputs: &[(String, String)]) -> Result<Results, String> {
        let mut results = Results::default();
        for (file, text) in inputs {
            let report: ScriptReport = serde_json::from_str(text).map_err(|e| {
                format!("{file}: not the --json output of a harden live script: {e}")
            })?;
            if report.app != model.name {
                return Err(format!(
                    "{file}: results are for app {:?}, not {:?}",
                    report.app, model.name
                ));
            }
            let slot = match report.script.as_str() {
                "audit" => &mut results.audit,
                "pentest" => &mut results.pentest,
                other => {
                    return Err(format!(
                        "{file}: unknown script kind {other:?} (expected audit or pentest)"
                    ));
                }
            };
            if slot.is_some() {
                return Err(format!(
                    "{file}: a second {} result was given",
                    report.script
                ));
            }
            *slot = Some(report);
        }
        Ok(results)
    }
}

/// The penetration-test scenario ids the generated script runs for `model`.
pub fn pentest_scenarios(model: &Model) -> Vec<String> {
    let mut ids: Vec<String> = [
        "1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "2.3", "3.1", "3.2", "3.3", "3.4",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    if model.metadata_probe.is_some() {
        // After 2.3: the node's metadata server on its HTTP port.
        ids.insert(7, "2.4".to_string());
    }
    let components = model.dapr.as_ref().map_or(0, |d| d.components.len());
    ids.extend((1..=components.max(1)).map(|i| format!("4.{i}")));
    if model.image_policy.is_some() {
        // An unsigned image of the app's repository (workload.signature).
        ids.push("5.1".to_string());
    }
    // The admission guard: always reported (skipped when there is none).
    ids.push(guard::GUARD_SCENARIO.to_string());
    // Dapr's surface: the API allowlist, the app token, the secret scope
    // and per-operation access (each skipped when the spec has none).
    ids.extend(["6.1", "6.2", "6.3", "6.4"].map(String::from));
    ids
}

fn scenarios(prefix: &str, model: &Model) -> Vec<String> {
    pentest_scenarios(model)
        .into_iter()
        .filter(|id| id.starts_with(prefix))
        .collect()
}

/// `n keys`, or `1 key`.
fn keys(n: usize) -> String {
    if n == 1 {
        "1 key".to_string()
    } else {
        format!("{n} keys")
    }
}

/// The control inventory for `model`, referring only to `files` it renders.
pub fn controls(model: &Model, files: &[String]) -> Vec<Control> {
    let has = |name: &str| files.iter().any(|f| f == name);
    // A namespace several specs share has its Namespace and default deny in
    // its own output; they are cited there.
    let in_namespace = |name: &str| {
        model
            .shared_namespace
            .as_ref()
            .map(|dir| format!("{dir}/{name}"))
    };
    let pick = |names: &[&str]| -> Vec<String> {
        let mut picked: Vec<String> = names
            .iter()
            .filter(|n| has(n))
            .map(|n| n.to_string())
            .collect();
        if names.contains(&names::NAMESPACE_FILE) {
            picked.splice(0..0, in_namespace(names::NAMESPACE_FILE));
        }
        if names.contains(&names::NETWORK_POLICY_FILE) {
            picked.splice(0..0, in_namespace(names::NETWORK_POLICY_FILE));
        }
        picked
    };
    let api = match &model.api_access {
        None => "no Kubernetes API access: no Role, no token".to_string(),
        Some(api) => {
            let rules: Vec<String> = api
                .rules
                .iter()
                .map(|r| {
                    let names = if r.resource_names.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", r.resource_names.join(", "))
                    };
                    format!(
                        "{} on {}{names}",
                        r.verbs.join(", "),
                        r.resources.join(", ")
                    )
                })
                .collect();
            format!(
                "a Role in {} grants only: {}; an expiring projected token ({} s)",
                model.namespace,
                rules.join("; "),
                api.expiration_seconds
            )
        }
    };
    let mut secrets = match &model.secrets {
        None => "the spec declares no secrets; none reach the environment".to_string(),
        Some(s) if s.source == crate::model::SecretSource::Manual => format!(
            "{} mounted read-only at {}; the Secret is created out of band",
            keys(s.keys.len()),
            s.mount_path
        ),
        Some(s) => format!(
            "{} from {} {} (External Secrets), mounted read-only at {}; never in environment variables",
            keys(s.keys.len()),
            s.store_kind.as_deref().unwrap_or("store"),
            s.store_name.as_deref().unwrap_or("?"),
            s.mount_path
        ),
    };
    if let Some(token) = model.dapr.as_ref().and_then(|d| d.api_token.as_ref()) {
        if model.secrets.is_none() {
            secrets = "the app reads no secrets".to_string();
        }
        let lead = if model.secrets.is_some() {
            "; apart from these, "
        } else {
            "; "
        };
        secrets.push_str(&match &token.remote_key {
            Some(remote) => format!(
                "{lead}the Dapr API token Secret {} (key {}) from store entry {} (External Secrets), which the injector puts in daprd's environment only (DAPR_API_TOKEN)",
                token.secret_name, token.key, remote
            ),
            None => format!(
                "{lead}the Dapr API token Secret {} (key {}), created out of band (see 04-secrets.yaml), which the injector puts in daprd's environment only (DAPR_API_TOKEN)",
                token.secret_name, token.key
            ),
        });
    }
    let dapr_missing = "not applicable: Dapr is not enabled";
    let mut inventory = vec![
        Control {
            id: "C1".into(),
            name: "Dedicated ServiceAccount",
            implementation: format!(
                "pods run as {}; its token is never mounted automatically",
                model.service_account
            ),
            files: pick(&[names::RBAC_FILE, names::DEPLOYMENT_FILE]),
            audit_checks: vec![1],
            pentest: scenarios("1.", model),
        },
        Control {
            id: "C2".into(),
            name: "Least-privilege RBAC",
            implementation: api,
            files: pick(&[names::RBAC_FILE]),
            audit_checks: vec![2],
            pentest: scenarios("1.", model),
        },
        Control {
            id: "C3".into(),
            name: "Default-deny NetworkPolicy",
            implementation: claims::network_summary(model),
            files: pick(&[names::NETWORK_POLICY_FILE, names::CILIUM_POLICY_FILE]),
            audit_checks: vec![3],
            pentest: scenarios("2.", model),
        },
        Control {
            id: "C4".into(),
            name: "DNS egress",
            implementation: if model.network.dns_filter.is_empty() {
                dns_targets(model)
            } else {
                format!(
                    "{}, through Cilium's DNS proxy, which answers only {} listed names and patterns (the hostnames of the spec, the Services of the namespaces the app uses, and their search-list forms) and refuses every other lookup",
                    dns_targets(model),
                    model
                        .network
                        .dns_filter
                        .iter()
                        .map(|g| g.matches.len())
                        .sum::<usize>()
                )
            },
            files: pick(&[names::NETWORK_POLICY_FILE, names::CILIUM_POLICY_FILE]),
            audit_checks: vec![4],
            pentest: Vec::new(),
        },
        Control {
            id: "C5".into(),
            name: "Secrets as files",
            implementation: secrets,
            files: pick(&[names::SECRETS_FILE, names::DEPLOYMENT_FILE]),
            audit_checks: vec![5],
            pentest: vec!["1.1".into()],
        },
        Control {
            id: "C6".into(),
            name: "Pod Security restricted",
            implementation: format!(
                "the namespace enforces, audits and warns restricted:{}; non-root UID {}, no privilege escalation, all capabilities dropped, RuntimeDefault seccomp, read-only root filesystem",
                model.pss_version, model.workload.run_as_user
            ),
            files: pick(&[names::NAMESPACE_FILE, names::DEPLOYMENT_FILE]),
            audit_checks: vec![6],
            pentest: scenarios("3.", model),
        },
        Control {
            id: "C7".into(),
            name: "Image pinned and scanned",
            implementation: if model.workload.pinned_by_digest {
                "the image is pinned by digest, so the scanned image is the one that runs".into()
            } else {
                "the image is pinned by tag only (accepted in the spec): a scan may not match what runs".into()
            },
            files: pick(&[names::DEPLOYMENT_FILE]),
            audit_checks: vec![7],
            pentest: Vec::new(),
        },
        Control {
            id: "C8".into(),
            name: "Dapr mTLS",
            implementation: match &model.dapr {
                Some(d) => format!(
                    "sidecars get certificates from Sentry in {} (egress allowed on {}); mTLS is the control plane's default",
                    d.control_plane_namespace,
                    crate::platform::dapr::SENTRY.port
                ),
                None => dapr_missing.into(),
            },
            files: if model.dapr.is_some() {
                pick(&[names::NETWORK_POLICY_FILE, names::DEPLOYMENT_FILE])
            } else {
                Vec::new()
            },
            audit_checks: vec![8],
            pentest: Vec::new(),
        },
        Control {
            id: "C9".into(),
            name: "Dapr component scopes",
            implementation: match &model.dapr {
                Some(d) if d.components.is_empty() => {
                    format!("no Dapr components; {}", dapr::access_summary(d))
                }
                Some(d) => format!(
                    "{}; {}",
                    d.components
                        .iter()
                        .map(|c| format!("{} scoped to {}", c.name, c.scopes.join(", ")))
                        .collect::<Vec<_>>()
                        .join("; "),
                    dapr::access_summary(d)
                ),
                None => dapr_missing.into(),
            },
            files: pick(&[names::DAPR_FILE]),
            // The scopes (9), and the app token, secret scope, per-operation
            // and workflow access (14 to 17; each skipped without).
            audit_checks: if model.dapr.is_some() {
                std::iter::once(9)
                    .chain(std::iter::once(APP_TOKEN_CHECK.0))
                    .chain(DAPR_ACCESS_CHECKS.iter().map(|c| c.0))
                    .collect()
            } else {
                vec![9]
            },
            // The scopes (4.x), and the API allowlist, app token, secret
            // scope and per-operation access (6.x).
            pentest: if model.dapr.is_some() {
                let mut ids = scenarios("4.", model);
                ids.extend(scenarios("6.", model));
                ids
            } else {
                Vec::new()
            },
        },
        Control {
            id: "C10".into(),
            name: "Audit logging",
            implementation: match &model.dapr {
                Some(d) if d.api_logging => {
                    "Dapr API calls are logged, URLs obfuscated (no personal data in paths)".into()
                }
                Some(_) => "Dapr API logging is off in the spec".into(),
                None => dapr_missing.into(),
            },
            files: if model.dapr.is_some() {
                pick(&[names::DAPR_FILE, names::DEPLOYMENT_FILE])
            } else {
                Vec::new()
            },
            audit_checks: vec![10],
            pentest: Vec::new(),
        },
    ];
    inventory.push(signed_image_control(model, &pick));
    inventory.push(guard::control(model));
    inventory.iter_mut().for_each(|c| c.files.dedup());
    inventory
}

/// C11: only images the spec's signer signed run (`workload.signature`,
/// a sigstore ClusterImagePolicy); audit check 12, scenario 5.1.
fn signed_image_control(model: &Model, pick: &dyn Fn(&[&str]) -> Vec<String>) -> Control {
    let Some(policy) = &model.image_policy else {
        return Control {
            id: "C11".into(),
            name: "Signed image",
            implementation: "no signature is required (workload.signature is not set): any image pushed to the repository would run".into(),
            files: Vec::new(),
            // The audit has no signature check without a signature.
            audit_checks: Vec::new(),
            pentest: Vec::new(),
        };
    };
    let mut attestations = Vec::new();
    if let Some(sbom) = &policy.sbom {
        attestations.push(format!("an SBOM ({})", sbom.format));
    }
    if let Some(scan) = &policy.vulnerability_scan {
        attestations.push(format!(
            "a vulnerability scan at most {} hours old when a pod is admitted",
            scan.max_age_hours
        ));
    }
    let attestations = if attestations.is_empty() {
        String::new()
    } else {
        format!(", with {}", attestations.join(" and "))
    };
    Control {
        id: "C11".into(),
        name: "Signed image",
        implementation: format!(
            "the sigstore policy-controller admits images of {} in {} only when signed by {}{attestations}",
            policy.repository, model.namespace, policy.signer
        ),
        files: pick(&[names::IMAGE_POLICY_FILE, names::NAMESPACE_FILE]),
        audit_checks: vec![12],
        pentest: scenarios("5.1", model),
    }
}

/// One destination outside the cluster the app may reach, for the
/// posture document's table.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ExternalDestination {
    /// A hostname, a hostname pattern or a CIDR.
    pub destination: String,
    pub kind: &'static str,
    pub ports: String,
    /// The spec rule's name (or the platform flow's), and why it exists.
    pub rule: String,
    pub reason: String,
    pub enforced_by: &'static str,
}

/// Every external destination of `model`: hostnames and CIDRs, with the
/// rule that declares each.
pub fn external_destinations(model: &Model) -> Vec<ExternalDestination> {
    let ports = claims::ports;
    let mut rows = Vec::new();
    for flow in &model.network.hosts {
        for host in &flow.hosts {
            rows.push(ExternalDestination {
                destination: host.name.clone(),
                kind: if host.wildcard {
                    "hostname pattern (one label)"
                } else {
                    "hostname"
                },
                ports: ports(&flow.ports),
                rule: flow.name.clone(),
                reason: flow.reason.clone(),
                enforced_by: "CiliumNetworkPolicy toFQDNs",
            });
        }
    }
    for flow in model
        .network
        .egress
        .iter()
        .filter(|f| f.peer.cidr.is_some())
    {
        let mut destination = flow.peer.cidr.clone().unwrap_or_default();
        if !flow.peer.except.is_empty() {
            destination.push_str(&format!(" except {}", flow.peer.except.join(", ")));
        }
        rows.push(ExternalDestination {
            destination,
            kind: "CIDR",
            ports: ports(&flow.ports),
            rule: flow.name.clone(),
            reason: flow.reason.clone(),
            enforced_by: "NetworkPolicy ipBlock",
        });
    }
    rows
}

/// What the spec permits that a reviewer should weigh.
pub fn residual_risks(model: &Model) -> Vec<String> {
    let mut risks = Vec::new();
    if !model.network.dns_filter.is_empty() && !model.cluster.search_domains.is_empty() {
        risks.push(format!(
            "The DNS filter allows the app's names completed by the nodes' search domains ({}), because a refused lookup stops some resolvers (musl) before the name that answers. The cluster DNS forwards those names upstream, and the wildcard patterns among them let a pod choose a label that reaches those domains' name servers. Images whose resolver goes on after a refusal (glibc), or Cilium's --tofqdns-dns-reject-response-code=nameError, need no searchDomains.",
            model.cluster.search_domains.join(", ")
        ));
    }
    for flow in &model.network.hosts {
        for host in flow.hosts.iter().filter(|h| h.wildcard) {
            risks.push(format!(
                "Egress {} reaches every name one label under {} on {}: whoever can publish a name there can receive the app's traffic.",
                flow.name,
                host.name.trim_start_matches("*."),
                claims::ports(&flow.ports)
            ));
        }
    }
    if !model.network.hosts.is_empty() {
        risks.push(format!(
            "Egress by hostname needs a cluster running Cilium with its DNS proxy: the CiliumNetworkPolicy in {} carries the app's DNS egress too, and without Cilium's CRD the apply fails on its kind.",
            names::CILIUM_POLICY_FILE
        ));
    }
    for flow in
        model.network.egress.iter().filter(|f| {
            f.peer.cidr.is_some() && !f.name.starts_with(crate::validate::API_SERVER_FLOW)
        })
    {
        risks.push(format!(
            "Egress {} reaches every address in {}{} on {}: any host there, not one service.",
            flow.name,
            flow.peer.cidr.as_deref().unwrap_or_default(),
            if flow.peer.except.is_empty() {
                String::new()
            } else {
                format!(" (except {})", flow.peer.except.join(", "))
            },
            claims::ports(&flow.ports)
        ));
    }
    for flow in model
        .network
        .ingress
        .iter()
        .filter(|f| f.peer.pod_labels.is_empty())
    {
        risks.push(format!(
            "Ingress {} admits every pod of namespace {}, not selected pods.",
            flow.name,
            flow.peer.namespace.as_deref().unwrap_or_default()
        ));
    }
    for flow in model
        .network
        .egress
        .iter()
        .filter(|f| other_end(model, f) == OtherEnd::Unmanaged && !f.name.starts_with("dapr-"))
    {
        risks.push(format!(
            "Egress {} goes to namespace {}: that namespace's own policies must admit the app; harden does not manage them.",
            flow.name,
            flow.peer.namespace.as_deref().unwrap_or_default()
        ));
    }
    // Pods of the app's namespace that it talks to are isolated by the
    // namespace's default deny too (issue: workloads without a spec).
    for peer in model
        .network
        .peer_policies
        .iter()
        .filter(|p| !model.described_peers.contains(&p.name))
    {
        let labels: Vec<String> = peer
            .pod_labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        risks.push(format!(
            "Pods {} in {} are isolated by the namespace's default deny too: this spec opens only their end of flow {} (policy {}){}; no spec describes them, so their other traffic stays closed: give them a spec or policies of their own.",
            labels.join(", "),
            model.namespace,
            peer.flow,
            peer.name,
            if peer.allow_dns { ", with their DNS" } else { "" }
        ));
    }
    let gaps = unencrypted(model);
    if !gaps.is_empty() {
        risks.push(format!(
            "Not encrypted by this deployment: {}. Whether these connections use TLS is up to the application, its peers and its components' settings; harden does not verify it.",
            claims::list(&gaps)
        ));
    }
    if let Some(api) = &model.api_access {
        let verbs: Vec<String> = api
            .rules
            .iter()
            .flat_map(|r| {
                r.verbs
                    .iter()
                    .map(move |v| format!("{v} {}", r.resources.join("/")))
            })
            .collect();
        risks.push(format!(
            "The app holds an API token (expiring after {} s) that may: {}.",
            api.expiration_seconds,
            verbs.join(", ")
        ));
        if api.grants_secrets {
            risks.push("RBAC grants access to Secrets through the API.".into());
        }
    }
    if !model.workload.pinned_by_digest {
        risks.push(format!("The image {} is pinned by tag only: the tag can be moved to other content after it was scanned.", model.workload.image));
    }
    if let Some(secrets) = &model.secrets
        && secrets.source == crate::model::SecretSource::Manual
    {
        risks.push(format!(
            "Secret {} is created by hand: rotation, access and history are outside this spec.",
            secrets.secret_name
        ));
    }
    if let Some(policy) = &model.image_policy {
        risks.push(format!(
            "The sigstore policy-controller refuses, in {}, every image no ClusterImagePolicy matches (its no-match-policy defaults to deny): the cluster operator covers the other images of the namespace (the Dapr sidecar, the live scripts' probes) with policies of their own, or sets no-match-policy.",
            model.namespace
        ));
        if policy.vulnerability_scan.is_some() {
            risks.push("The vulnerability scan's age is checked when a pod is admitted: a running pod is not stopped when its scan grows older than the bound.".into());
        }
    }
    if model.dapr.is_none() {
        risks.push(
            "Dapr is not enabled: there is no sidecar mTLS, no component scoping and no API audit log (C8 to C10 do not apply); the app must encrypt and log its own calls.".into(),
        );
    }
    if let Some(dapr) = &model.dapr {
        risks.push(
            "Dapr must be installed with dapr_sidecar_injector.sidecarDropALLCapabilities=true, or Pod Security restricted rejects every replica.".into(),
        );
        risks.push(format!(
            "Dapr app-ids are claimed by pod annotation: whoever may create pods in {} can act as any app-id there, so component scopes are only as strong as that permission.",
            model.namespace
        ));
        if dapr.api_token_secret.is_none() {
            risks.push("The Dapr sidecar API takes calls without a token (dapr.apiTokenSecret is not set); any process in the pod can use it.".into());
        }
        for component in &dapr.components {
            let kind = &component.component_type;
            if !crate::validate::backends::is_read(kind) {
                risks.push(format!(
                    "Component {} ({kind}): harden does not read the backend of this type, so whether the network policies allow it is not checked; daprd exits when a component cannot connect.",
                    component.name
                ));
                continue;
            }
            let hidden: Vec<&str> = component
                .secret_metadata
                .iter()
                .map(|m| m.name.as_str())
                .filter(|name| crate::validate::backends::address_keys(kind).contains(name))
                .collect();
            if !hidden.is_empty() {
                risks.push(format!(
                    "Component {} takes {} from a Secret, which harden cannot read: whether the network policies allow that backend is not checked; daprd exits when a component cannot connect.",
                    component.name,
                    hidden.join(", ")
                ));
            }
        }
        if let Some(token) = dapr.api_token.as_ref().filter(|t| t.remote_key.is_none()) {
            risks.push(format!(
                "Secret {} (the Dapr API token, key {}) is created by hand: rotation, access and history are outside this spec; until it exists the pod does not start.",
                token.secret_name, token.key
            ));
        }
        for component in dapr
            .components
            .iter()
            .filter(|c| c.scopes.iter().any(|s| *s != dapr.app_id))
        {
            let others: Vec<&str> = component
                .scopes
                .iter()
                .filter(|s| **s != dapr.app_id)
                .map(String::as_str)
                .collect();
            risks.push(format!(
                "Component {} is shared with app-ids {}.",
                component.name,
                others.join(", ")
            ));
        }
        risks.extend(dapr::access_risks(dapr));
    }
    risks.extend(guard::risks(model));
    risks
}

/// One row of a results table: "not yet run" until results are supplied.
#[derive(Debug, Clone, Serialize)]
pub struct ResultRow {
    pub id: String,
    pub title: String,
    pub status: String,
    pub evidence: String,
}

/// The template context of the posture document.
#[derive(Debug, Serialize)]
pub struct Document<'a> {
    /// Given to the template as `model`, serialized once per render for
    /// every template (`render::posture_with`).
    #[serde(skip)]
    pub model: &'a Model,
    pub controls: Vec<Control>,
    pub frameworks: Vec<Framework>,
    pub risks: Vec<String>,
    /// Hostnames and CIDRs outside the cluster the app may reach.
    pub external: Vec<ExternalDestination>,
    pub audit_rows: Vec<ResultRow>,
    pub pentest_rows: Vec<ResultRow>,
    pub audit_run: bool,
    pub pentest_run: bool,
    /// Every cluster fact the output depends on: (fact, value, source).
    pub assumptions: Vec<(String, String, String)>,
}

/// The cluster facts the output depends on: the profile's, then the Dapr
/// control plane's where the app has a sidecar.
pub fn assumptions(model: &Model) -> Vec<(String, String, String)> {
    let mut rows = model.cluster.assumptions();
    if let Some(dapr) = &model.dapr {
        rows.push((
            "Dapr control plane".into(),
            format!(
                "version {} in {}",
                dapr.version, dapr.control_plane_namespace
            ),
            "the spec's dapr.version, else cluster.daprVersion, else the newest verified".into(),
        ));
        rows.push((
            "Dapr sidecar injector".into(),
            format!(
                "{}=true and sidecarRunAsNonRoot=true (the default), so the sidecar passes Pod Security restricted",
                crate::platform::dapr::DROP_ALL_HELM_VALUE
            ),
            "dapr/dapr charts/dapr/README.md (sidecarRunAsNonRoot: true by default; sidecarDropALLCapabilities: false by default) and pkg/injector/service/config.go".into(),
        ));
    }
    rows
}

/// Where the app's DNS goes, in words: the cluster profile's resolvers
/// ([`crate::platform::cluster::DnsFacts::describe`]) and the port.
pub fn dns_targets(model: &Model) -> String {
    let dns = &model.facts.dns;
    format!(
        "egress to {} only, on UDP and TCP {}",
        dns.describe(),
        dns.port
    )
}

/// What each penetration-test scenario tries, by id.
pub fn pentest_title(model: &Model, id: &str) -> String {
    match id {
        "1.1" => "read Secrets in the app's namespace".into(),
        "1.2" => "read Secrets in kube-system".into(),
        "1.3" => "list pods in namespace default".into(),
        "1.4" => "list namespaces".into(),
        "2.1" => "reach an address outside the declared egress".into(),
        "2.2" => "reach a Service in another namespace".into(),
        "2.3" => "reach a declared destination on an undeclared port".into(),
        "2.4" => "reach the node's metadata server on its HTTP port".into(),
        "3.1" => "run a privileged container".into(),
        "3.2" => "mount the host's filesystem".into(),
        "3.3" => "use the host network".into(),
        "3.4" => "run as root".into(),
        "5.1" => "run an unsigned image of the app's repository".into(),
        guard::GUARD_SCENARIO => guard::GUARD_SCENARIO_TITLE.into(),
        "6.1" => "call a Dapr API the app may not use".into(),
        "6.2" => "call the app without the Dapr app token".into(),
        "6.3" => "read a secret outside the app's secret scope".into(),
        "6.4" => "invoke the app with an operation not granted".into(),
        other => {
            let index: usize = other
                .strip_prefix("4.")
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            match model
                .dapr
                .as_ref()
                .and_then(|d| d.components.get(index.wrapping_sub(1)))
            {
                Some(component) => format!("use component {} as another app-id", component.name),
                None => "use the app's Dapr components as another app-id".into(),
            }
        }
    }
}

fn rows(expected: Vec<(String, String)>, report: Option<&ScriptReport>) -> Vec<ResultRow> {
    expected
        .into_iter()
        .map(|(id, title)| {
            let found = report.and_then(|r| r.results.iter().find(|x| x.id == id));
            match (report, found) {
                (None, _) => ResultRow {
                    id,
                    title,
                    status: "not yet run".into(),
                    evidence: String::new(),
                },
                (Some(_), None) => ResultRow {
                    id,
                    title,
                    status: "missing from the results".into(),
                    evidence: String::new(),
                },
                (Some(_), Some(result)) => ResultRow {
                    id,
                    title,
                    status: result.status.clone(),
                    evidence: result.evidence.clone(),
                },
            }
        })
        .collect()
}

/// Titles of the live audit's checks, by number.
pub const AUDIT_CHECKS: [(u8, &str); 10] = [
    (1, "dedicated ServiceAccount"),
    (2, "least-privilege RBAC"),
    (3, "default-deny NetworkPolicy"),
    (4, "DNS egress allowed"),
    (5, "secrets as files"),
    (6, "PSS restricted enforced"),
    (7, "no CRITICAL vulnerabilities"),
    (8, "Dapr mTLS"),
    (9, "Dapr component scopes"),
    (10, "Dapr API logging"),
];

/// The live audit's first row: the cluster read and compared with the
/// cluster profile the output was rendered for (DNS pods and port, NodeLocal
/// DNSCache, Cilium, API server endpoints, Dapr version and injector,
/// External Secrets API). FAIL on any difference, so a mismatched cluster
/// fails the audit (exit 1); SKIP when it could not read the cluster.
pub const PREFLIGHT_CHECK: (u8, &str) = (0, "cluster preflight");

/// The live audit's check of egress by hostname, run only for specs that
/// have some (`egress[].hosts`).
pub const HOSTNAME_CHECK: (u8, &str) = (11, "egress by hostname");

/// The live audit's check of the running image's signature, run only for
/// specs that require one (`workload.signature`).
pub const SIGNATURE_CHECK: (u8, &str) = (12, "signed image");

/// The live audit's check of the Dapr app token: daprd gets it from the
/// spec's Secret, and a declared caller's pod calling the app without it is
/// refused. Always reported (a skip without Dapr or an app token).
pub const APP_TOKEN_CHECK: (u8, &str) = (14, "Dapr app token");

/// The live audit's checks of the rest of Dapr's access surface, each
/// always reported (a skip when the spec has nothing for it): a secret read
/// outside the secret scope refused, an operation a declared caller was not
/// given refused, the WorkflowAccessPolicy in the cluster and loaded.
pub const DAPR_ACCESS_CHECKS: [(u8, &str); 3] = [
    (15, "Dapr secret scope"),
    (16, "Dapr per-operation access"),
    (17, "Dapr workflow access"),
];

pub fn document<'a>(model: &'a Model, files: &[String], results: Results) -> Document<'a> {
    let hostname_check = (!model.network.hosts.is_empty()).then_some(&HOSTNAME_CHECK);
    let signature_check = model.image_policy.is_some().then_some(&SIGNATURE_CHECK);
    let audit_expected = std::iter::once(&PREFLIGHT_CHECK)
        .chain(AUDIT_CHECKS.iter())
        .chain(hostname_check)
        .chain(signature_check)
        .chain(std::iter::once(&guard::GUARD_CHECK))
        .chain(std::iter::once(&APP_TOKEN_CHECK))
        .chain(DAPR_ACCESS_CHECKS.iter())
        .map(|(id, title)| (id.to_string(), title.to_string()))
        .collect();
    let pentest_expected = pentest_scenarios(model)
        .into_iter()
        .map(|id| (id.clone(), pentest_title(model, &id)))
        .collect();
    Document {
        model,
        controls: controls(model, files),
        frameworks: frameworks(model),
        risks: residual_risks(model),
        external: external_destinations(model),
        audit_rows: rows(audit_expected, results.audit.as_ref()),
        pentest_rows: rows(pentest_expected, results.pentest.as_ref()),
        audit_run: results.audit.is_some(),
        pentest_run: results.pentest.is_some(),
        assumptions: assumptions(model),
    }
}
