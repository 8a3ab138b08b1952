//! The questions of `harden init`, one function per spec section, each
//! asking only for what the flags left open. Every answer is checked where
//! it lands in the spec (see [`Asker::text`]).

use std::io::Write;

use dialoguer::theme::Theme;
use dialoguer::{Confirm, Input, MultiSelect, Select};

use super::dapr::dapr_questions;
use super::{WizardError, name_of, refuse_existing, workload};
use crate::cli::InitArgs;
use crate::cli::init::{labels_or_marker, parse_ports};
use crate::spec::{self, Spec};
use crate::validate::{self, COMPLIANCE_CONTEXTS};

/// The first problem `validate` reports for `path` in `spec` (or for any
/// of several paths written `a|b`), as the wizard's re-ask message.
fn problem_at(spec: &Spec, path: &str) -> Option<String> {
    path.split('|')
        .flat_map(|path| validate::validate_answer(spec, path))
        .next()
        .map(|p| match p.help {
            Some(help) => format!("{} ({help})", p.message),
            None => p.message,
        })
}

pub(super) struct Asker<'a> {
    pub(super) theme: &'a dyn Theme,
}

impl Asker<'_> {
    /// Asks for a text answer, placed into the spec by `place` and checked
    /// at `path` until valid.
    pub(super) fn text(
        &self,
        spec: &mut Spec,
        prompt: &str,
        default: Option<String>,
        path: &str,
        place: impl Fn(&mut Spec, &str) + Clone,
    ) -> Result<String, WizardError> {
        let snapshot = spec.clone();
        let check = place.clone();
        let check_path = path.to_string();
        let mut input = Input::<String>::with_theme(self.theme)
            .with_prompt(prompt)
            .validate_with(move |answer: &String| -> Result<(), String> {
                let mut candidate = snapshot.clone();
                check(&mut candidate, answer.trim());
                match problem_at(&candidate, &check_path) {
                    Some(problem) => Err(problem),
                    None => Ok(()),
                }
            });
        if let Some(default) = default {
            input = input.default(default);
        }
        let answer = input.interact_text()?.trim().to_string();
        place(spec, &answer);
        Ok(answer)
    }

    /// Asks for the app name of another spec of the workspace: a name
    /// alone cannot be checked until the specs are compiled together (the
    /// wizard does, before writing), only its form is checked here.
    pub(super) fn app_name(&self, prompt: &str) -> Result<String, WizardError> {
        Ok(Input::<String>::with_theme(self.theme)
            .with_prompt(prompt)
            .validate_with(|answer: &String| validate::formats::dns1035_label(answer.trim()))
            .interact_text()?
            .trim()
            .to_string())
    }

    pub(super) fn confirm(&self, prompt: &str, default: bool) -> Result<bool, WizardError> {
        Ok(Confirm::with_theme(self.theme)
            .wait_for_newline(true)
            .with_prompt(prompt)
            .default(default)
            .interact()?)
    }
}

fn app(spec: &mut Spec) -> &mut spec::App {
    spec.app.get_or_insert_with(Default::default)
}

/// Runs the questions for everything the flags left open.
pub(super) fn interview(
    spec: &mut Spec,
    args: &InitArgs,
    asker: &Asker<'_>,
    err: &mut dyn Write,
) -> Result<(), WizardError> {
    writeln!(
        err,
        "harden init: answer a few questions to write a security spec (Ctrl-C leaves nothing behind)."
    )
    .map_err(WizardError::Output)?;
    app_questions(spec, args, asker)?;
    workload_questions(spec, asker)?;
    if args.ingress.is_empty() {
        callers(spec, asker)?;
    }
    if args.egress.is_empty() {
        destinations(spec, asker)?;
    }
    secrets_questions(spec, asker, err)?;
    enforcement_question(spec, args, asker, err)?;
    cluster_question(spec, args, asker)?;
    api_questions(spec, args, asker)?;
    let hipaa = spec
        .app
        .as_ref()
        .is_some_and(|a| a.compliance.iter().any(|c| c == "hipaa"));
    if spec.dapr.is_none() && !args.no_dapr {
        let enable = if hipaa {
            writeln!(
                err,
                "  HIPAA 164.312(e)(1): Dapr is enabled, so service-to-service traffic uses mTLS."
            )
            .map_err(WizardError::Output)?;
            true
        } else {
            asker.confirm("Enable Dapr (sidecar with mTLS, scoped components)?", false)?
        };
        if enable {
            spec.dapr = Some(spec::Dapr {
                enabled: Some(true),
                ..Default::default()
            });
            dapr_questions(spec, args, asker, err)?;
        }
    }
    other_fields(spec, asker)?;
    Ok(())
}

/// The last question: any other field of the spec by its path, so that
/// nothing the spec can say is out of the wizard's reach.
fn other_fields(spec: &mut Spec, asker: &Asker<'_>) -> Result<(), WizardError> {
    loop {
        let snapshot = spec.clone();
        let answer = Input::<String>::with_theme(asker.theme)
            .with_prompt(
                "Set another field? PATH=VALUE as in the spec, e.g. workload.runAsUser=20001 (empty: done)",
            )
            .allow_empty(true)
            .validate_with(move |answer: &String| -> Result<(), String> {
                if answer.trim().is_empty() {
                    return Ok(());
                }
                let candidate = super::setter::assign(&snapshot, answer)?;
                let path = answer.split_once('=').map_or("", |(p, _)| p.trim());
                match problem_at(&candidate, path) {
                    Some(problem) => Err(problem),
                    None => Ok(()),
                }
            })
            .interact_text()?;
        if answer.trim().is_empty() {
            return Ok(());
        }
        if let Ok(updated) = super::setter::assign(spec, &answer) {
            *spec = updated;
        }
    }
}

/// `network.enforcement`: asked when an egress rule names hosts and no
/// flag said (a NetworkPolicy cannot enforce a name).
fn enforcement_question(
    spec: &mut Spec,
    args: &InitArgs,
    asker: &Asker<'_>,
    err: &mut dyn Write,
) -> Result<(), WizardError> {
    let names_hosts = spec.egress.iter().any(|r| !r.hosts.is_empty());
    if !names_hosts || args.enforcement.is_some() {
        return Ok(());
    }
    writeln!(
        err,
        "  Egress by host name is enforced by Cilium's DNS proxy (a CiliumNetworkPolicy): a NetworkPolicy cannot name a host."
    )
    .map_err(WizardError::Output)?;
    if asker.confirm(
        "Does the cluster run Cilium (network.enforcement: cilium)?",
        true,
    )? {
        spec.network = Some(spec::NetworkSettings {
            enforcement: Some("cilium".into()),
        });
        return Ok(());
    }
    // Without Cilium a name cannot be enforced: each such destination is
    // given by its addresses instead.
    for index in 0..spec.egress.len() {
        if spec.egress[index].hosts.is_empty() {
            continue;
        }
        let hosts = spec.egress[index].hosts.join(", ");
        spec.egress[index].hosts.clear();
        asker.text(
            spec,
            &format!("  Addresses (CIDR) of {hosts} instead"),
            None,
            &format!("egress[{index}]"),
            move |s, a| s.egress[index].cidr = Some(a.into()),
        )?;
    }
    Ok(())
}

fn api(s: &mut Spec) -> &mut spec::KubernetesApi {
    s.kubernetes_api.get_or_insert_with(Default::default)
}

fn rule(s: &mut Spec, index: usize) -> &mut spec::RbacRule {
    &mut api(s).rules[index]
}

/// `kubernetesApi`: the RBAC rules, the API server's endpoint where neither
/// the cluster profile nor the workspace gives it, and the token lifetime.
fn api_questions(spec: &mut Spec, args: &InitArgs, asker: &Asker<'_>) -> Result<(), WizardError> {
    if spec.kubernetes_api.is_some()
        || !asker.confirm(
            "Does the app call the Kubernetes API (a Role in its namespace and an expiring token)?",
            false,
        )?
    {
        return Ok(());
    }
    loop {
        let index = api(spec).rules.len();
        api(spec).rules.push(spec::RbacRule::default());
        asker.text(
            spec,
            "  API group of the resources (empty: the core group; e.g. apps)",
            Some(String::new()),
            &format!("kubernetesApi.rules[{index}].apiGroups"),
            move |s, a| rule(s, index).api_groups = vec![a.to_string()],
        )?;
        asker.text(
            spec,
            "  Resources, comma-separated (e.g. configmaps)",
            None,
            &format!("kubernetesApi.rules[{index}].resources"),
            move |s, a| rule(s, index).resources = crate::cli::init::split_list(a),
        )?;
        asker.text(
            spec,
            "  Names of the objects it may use, comma-separated (empty: every one)",
            Some(String::new()),
            &format!("kubernetesApi.rules[{index}].resourceNames"),
            move |s, a| rule(s, index).resource_names = crate::cli::init::split_list(a),
        )?;
        asker.text(
            spec,
            "  Verbs, comma-separated (e.g. get,list,watch)",
            None,
            &format!("kubernetesApi.rules[{index}].verbs"),
            move |s, a| rule(s, index).verbs = crate::cli::init::split_list(a),
        )?;
        if !asker.confirm("  Add another API rule?", false)? {
            break;
        }
    }
    let name = name_of(spec).unwrap_or_default().to_string();
    let shared = super::workspace_cluster(&super::output_path(args, &name))
        .and_then(|c| c.api_server)
        .is_some_and(|a| a.cidrs.is_some());
    if !shared && problem_at(spec, "kubernetesApi.apiServer").is_some() {
        asker.text(
            spec,
            "  API server endpoint as a CIDR (kubectl get endpointslice kubernetes -n default), e.g. 172.18.0.2/32",
            None,
            "kubernetesApi.apiServer.cidr",
            |s, a| api(s).api_server.get_or_insert_with(Default::default).cidr = Some(a.into()),
        )?;
        asker.text(
            spec,
            "  API server endpoint port (6443 on kubeadm, kind, k3s; 443 on most managed clusters; empty: the cluster profile's)",
            Some(String::new()),
            "kubernetesApi.apiServer.port",
            |s, a| {
                api(s).api_server.get_or_insert_with(Default::default).port =
                    (!a.is_empty()).then(|| a.parse().unwrap_or(0))
            },
        )?;
    }
    let default = crate::model::DEFAULT_TOKEN_EXPIRATION;
    asker.text(
        spec,
        "  Token lifetime in seconds",
        Some(default.to_string()),
        "kubernetesApi.token",
        move |s, a| {
            api(s).token = match a.parse::<u64>() {
                Ok(seconds) if seconds == default => None,
                Ok(seconds) => Some(spec::TokenSettings {
                    expiration_seconds: Some(seconds),
                    ..Default::default()
                }),
                Err(_) => Some(spec::TokenSettings {
                    expiration_seconds: Some(0),
                    ..Default::default()
                }),
            }
        },
    )?;
    Ok(())
}

/// The cluster it runs on (`cluster.preset`), unless a flag or the
/// workspace's `harden.yaml` already says.
fn cluster_question(
    spec: &mut Spec,
    args: &InitArgs,
    asker: &Asker<'_>,
) -> Result<(), WizardError> {
    let name = name_of(spec).unwrap_or_default().to_string();
    let in_workspace = super::workspace_cluster(&super::output_path(args, &name)).is_some();
    if args.cluster.is_some() || in_workspace {
        return Ok(());
    }
    let mut items = vec!["not listed (harden's defaults: a kubeadm-like cluster)"];
    items.extend(crate::platform::cluster::Preset::ALL.map(|(name, _)| name));
    let chosen = Select::with_theme(asker.theme)
        .with_prompt("Cluster it runs on (its DNS, API server and CNI facts; shared by every spec as cluster: in harden.yaml)")
        .items(&items)
        .default(0)
        .interact()?;
    if chosen > 0 {
        spec.cluster = Some(spec::Cluster {
            preset: Some(items[chosen].to_string()),
            ..Default::default()
        });
    }
    Ok(())
}

/// The `app` section: name, namespace, compliance, Pod Security version.
fn app_questions(spec: &mut Spec, args: &InitArgs, asker: &Asker<'_>) -> Result<(), WizardError> {
    if name_of(spec).is_none() {
        asker.text(
            spec,
            "App name (lowercase letters, digits, '-'; names the Deployment and Service)",
            None,
            "app.name",
            |s, a| app(s).name = Some(a.into()),
        )?;
    }
    let name = name_of(spec).unwrap_or_default().to_string();
    // Refuse before the questions, not after them.
    refuse_existing(args, &name)?;
    if args.namespace.is_none() {
        asker.text(
            spec,
            "Namespace (the app gets its own)",
            Some(name.clone()),
            "app.namespace",
            move |s, a| app(s).namespace = (a != name).then(|| a.into()),
        )?;
    }
    if args.compliance.is_none() {
        let chosen = MultiSelect::with_theme(asker.theme)
            .with_prompt(
                "Compliance contexts (space selects, enter confirms; each tightens the rules)",
            )
            .items(COMPLIANCE_CONTEXTS)
            .interact()?;
        app(spec).compliance = chosen
            .into_iter()
            .map(|i| COMPLIANCE_CONTEXTS[i].to_string())
            .collect();
    }
    if args.pod_security_version.is_none() {
        asker.text(
            spec,
            "Kubernetes minor version to pin Pod Security to (your cluster's)",
            Some(crate::model::DEFAULT_PSS_VERSION.into()),
            "app.podSecurityVersion",
            |s, a| app(s).pod_security_version = Some(crate::cli::init::kubernetes_minor(a)),
        )?;
    }
    Ok(())
}

/// The `workload` section: image, port, replicas.
fn workload_questions(spec: &mut Spec, asker: &Asker<'_>) -> Result<(), WizardError> {
    while workload(spec).image.is_none() {
        // An image pinned by tag only is accepted here, then its risk is
        // named and the opt-in offered (the error's own advice).
        let pci = has_context(spec, "pci-dss");
        let tag_only = move |s: &mut Spec, a: &str| {
            let w = workload(s);
            w.image = Some(a.into());
            w.allow_tag_only_image = !pci;
        };
        let image = asker.text(
            spec,
            "Image, pinned by digest (registry/name@sha256:<digest>)",
            None,
            "workload.image",
            tag_only,
        )?;
        workload(spec).allow_tag_only_image = false;
        let problem = problem_at(spec, "workload.image");
        if problem.is_some() {
            let accepted = asker.confirm(
                &format!("  {image} is pinned by tag only; a tag can be moved to other content. Accept that risk (workload.allowTagOnlyImage: true)?"),
                false,
            )?;
            if accepted {
                workload(spec).allow_tag_only_image = true;
            } else {
                workload(spec).image = None;
            }
        }
    }
    if workload(spec).port.is_none() {
        // Checked as if Dapr were on: its sidecar ports are never free.
        let snapshot_dapr = spec.dapr.clone();
        spec.dapr = Some(spec::Dapr {
            enabled: Some(true),
            ..snapshot_dapr.clone().unwrap_or_default()
        });
        asker.text(
            spec,
            "Container port the app listens on",
            Some("8080".into()),
            "workload.port",
            |s, a| workload(s).port = a.parse().ok().or(Some(0)),
        )?;
        spec.dapr = snapshot_dapr;
    }
    if workload(spec).replicas.is_none() {
        asker.text(
            spec,
            "Replicas",
            Some(crate::model::DEFAULT_REPLICAS.to_string()),
            "workload.replicas",
            |s, a| workload(s).replicas = a.parse().ok().or(Some(0)),
        )?;
    }
    if asker.confirm(
        "More workload settings (user id, resources, writable directories, probes)?",
        false,
    )? {
        more_workload_questions(spec, asker)?;
    }
    Ok(())
}

/// `cpu,memory` as resource amounts; empty means none.
fn amounts(text: &str) -> Option<spec::ResourceAmounts> {
    let mut parts = text.split(',').map(str::trim);
    let cpu = parts.next().filter(|c| !c.is_empty()).map(str::to_string);
    let memory = parts.next().filter(|m| !m.is_empty()).map(str::to_string);
    (cpu.is_some() || memory.is_some()).then_some(spec::ResourceAmounts { cpu, memory })
}

/// An HTTP probe path; empty means a TCP probe (no probe section).
fn probe(path: &str) -> Option<spec::Probe> {
    (!path.is_empty()).then(|| spec::Probe {
        path: Some(path.into()),
        ..Default::default()
    })
}

/// The workload's less common settings; an answer equal to harden's
/// default leaves the field out.
fn more_workload_questions(spec: &mut Spec, asker: &Asker<'_>) -> Result<(), WizardError> {
    let default_user = crate::model::DEFAULT_RUN_AS_USER;
    asker.text(
        spec,
        "  Numeric user id (at least 10000)",
        Some(default_user.to_string()),
        "workload.runAsUser",
        move |s, a| {
            workload(s).run_as_user = match a.parse() {
                Ok(user) if user == default_user => None,
                Ok(user) => Some(user),
                Err(_) => Some(0),
            }
        },
    )?;
    asker.text(
        spec,
        "  Resource requests, cpu,memory (e.g. 100m,128Mi; empty: none)",
        Some(String::new()),
        "workload.resources.requests",
        |s, a| {
            let resources = workload(s).resources.get_or_insert_with(Default::default);
            resources.requests = amounts(a);
        },
    )?;
    asker.text(
        spec,
        "  Resource limits, cpu,memory (e.g. 500m,256Mi; empty: none)",
        Some(String::new()),
        "workload.resources.limits",
        |s, a| {
            let resources = workload(s).resources.get_or_insert_with(Default::default);
            resources.limits = amounts(a);
        },
    )?;
    if workload(spec)
        .resources
        .as_ref()
        .is_some_and(|r| r.requests.is_none() && r.limits.is_none())
    {
        workload(spec).resources = None;
    }
    asker.text(
        spec,
        "  Directories the app writes to, comma-separated (none: no writable directory)",
        Some("/tmp".into()),
        "workload.writablePaths",
        |s, a| {
            workload(s).writable_paths = match a {
                "/tmp" => None,
                "none" => Some(Vec::new()),
                _ => Some(crate::cli::init::split_list(a)),
            }
        },
    )?;
    for (kind, prompt) in [
        (
            "liveness",
            "  Liveness probe: HTTP path (empty: a TCP check of the port)",
        ),
        (
            "readiness",
            "  Readiness probe: HTTP path (empty: a TCP check of the port)",
        ),
    ] {
        asker.text(
            spec,
            prompt,
            Some(String::new()),
            &format!("workload.probes.{kind}"),
            move |s, a| {
                let probes = workload(s).probes.get_or_insert_with(Default::default);
                if kind == "liveness" {
                    probes.liveness = probe(a);
                } else {
                    probes.readiness = probe(a);
                }
            },
        )?;
    }
    if workload(spec)
        .probes
        .as_ref()
        .is_some_and(|p| p.liveness.is_none() && p.readiness.is_none())
    {
        workload(spec).probes = None;
    }
    Ok(())
}

/// `ingress`: the callers that may reach the app.
fn callers(spec: &mut Spec, asker: &Asker<'_>) -> Result<(), WizardError> {
    while asker.confirm(
        if spec.ingress.is_empty() {
            "Add a caller that may reach the app?"
        } else {
            "Add another caller?"
        },
        spec.ingress.is_empty(),
    )? {
        let index = spec.ingress.len();
        spec.ingress.push(spec::IngressRule::default());
        let kind = Select::with_theme(asker.theme)
            .with_prompt("  Caller kind")
            .items([
                "pods in a namespace",
                "another service of this workspace (its app name)",
            ])
            .default(0)
            .interact()?;
        if kind == 1 {
            let app = asker.app_name("  Caller's app name (app.name of its spec)")?;
            spec.ingress[index].app = Some(app);
            continue;
        }
        asker.text(
            spec,
            "  Caller name (names the rule; empty: none)",
            Some(String::new()),
            &format!("ingress[{index}].name"),
            move |s, a| s.ingress[index].name = (!a.is_empty()).then(|| a.into()),
        )?;
        asker.text(
            spec,
            "  Callers' namespace",
            None,
            &format!("ingress[{index}].namespace"),
            move |s, a| s.ingress[index].namespace = Some(a.into()),
        )?;
        asker.text(
            spec,
            "  Callers' pod labels, label=value,... (empty: every pod there)",
            Some(String::new()),
            &format!("ingress[{index}].podLabels"),
            move |s, a| s.ingress[index].pod_labels = labels_or_marker(a),
        )?;
    }
    Ok(())
}

/// Whether an answer at the address prompt is an address range (or a bare
/// address); anything else is taken for host names.
fn is_address(text: &str) -> bool {
    let address = text.split('/').next().unwrap_or_default();
    address.parse::<std::net::IpAddr>().is_ok()
        || address.contains(':')
        || address.chars().all(|c| c.is_ascii_digit() || c == '.')
}

/// An answer at the address prompt: a CIDR, or host names (which need
/// Cilium's enforcement, asked for after the destinations).
fn place_destination(s: &mut Spec, index: usize, answer: &str) {
    let items = crate::cli::init::split_list(answer);
    let rule = &mut s.egress[index];
    if !items.is_empty() && !items.iter().all(|i| is_address(i)) {
        rule.hosts = items;
        rule.cidr = None;
    } else {
        rule.hosts.clear();
        rule.cidr = Some(answer.into());
    }
}

/// `egress`: the destinations the app calls.
fn destinations(spec: &mut Spec, asker: &Asker<'_>) -> Result<(), WizardError> {
    while asker.confirm(
        if spec.egress.is_empty() {
            "Add a destination the app calls?"
        } else {
            "Add another destination?"
        },
        false,
    )? {
        let index = spec.egress.len();
        spec.egress.push(spec::EgressRule::default());
        let kind = Select::with_theme(asker.theme)
            .with_prompt("  Destination kind")
            .items([
                "pods in a namespace",
                "a network: addresses (CIDR) or host names (api.example.com)",
                "another service of this workspace (its app name)",
            ])
            .default(0)
            .interact()?;
        if kind == 2 {
            let app = asker.app_name("  Destination's app name (app.name of its spec)")?;
            spec.egress[index].app = Some(app);
            continue;
        }
        asker.text(
            spec,
            "  Destination name (e.g. redis)",
            None,
            &format!("egress[{index}].name"),
            move |s, a| s.egress[index].name = Some(a.into()),
        )?;
        if kind == 0 {
            let own = spec
                .app
                .as_ref()
                .and_then(|a| a.namespace.clone().or(a.name.clone()))
                .unwrap_or_default();
            let default = own.clone();
            asker.text(
                spec,
                "  Pods' namespace",
                Some(own),
                &format!("egress[{index}].namespace"),
                move |s, a| s.egress[index].namespace = (a != default).then(|| a.into()),
            )?;
            asker.text(
                spec,
                "  Pods' labels, label=value,... (empty: every pod there)",
                Some(String::new()),
                &format!("egress[{index}].podLabels"),
                move |s, a| s.egress[index].pod_labels = labels_or_marker(a),
            )?;
        } else {
            // Checked as if Cilium enforced the names: whether it does is
            // asked once, after the destinations.
            let enforcement = spec.network.clone();
            spec.network = Some(spec::NetworkSettings {
                enforcement: Some("cilium".into()),
            });
            let answer = asker.text(
                spec,
                "  Addresses (CIDR, e.g. 203.0.113.0/24) or host names (api.example.com, *.example.com), comma-separated",
                None,
                &format!("egress[{index}].cidr|egress[{index}].hosts"),
                move |s, a| place_destination(s, index, a),
            );
            spec.network = enforcement;
            answer?;
            if spec.egress[index].cidr.is_some() {
                asker.text(
                    spec,
                    "  Ranges inside it that stay blocked, comma-separated CIDRs (empty: none)",
                    Some(String::new()),
                    &format!("egress[{index}].except"),
                    move |s, a| s.egress[index].except = crate::cli::init::split_list(a),
                )?;
            }
        }
        asker.text(
            spec,
            "  Ports, e.g. 443 or 5432,53/UDP",
            None,
            &format!("egress[{index}].ports"),
            move |s, a| {
                s.egress[index].ports = parse_ports(a).unwrap_or_else(|_| {
                    vec![spec::PortRule {
                        port: Some(0),
                        protocol: None,
                    }]
                })
            },
        )?;
    }
    Ok(())
}

/// The `secrets` section: the source, the store and the keys.
fn secrets_questions(
    spec: &mut Spec,
    asker: &Asker<'_>,
    err: &mut dyn Write,
) -> Result<(), WizardError> {
    if spec.secrets.is_none()
        && asker.confirm("Does the app read secrets (files under /secrets)?", false)?
    {
        secrets_setup(spec, asker, err)?;
        loop {
            secret_key_questions(spec, asker, None)?;
            if !asker.confirm("  Add another secret key?", false)? {
                break;
            }
        }
    }
    Ok(())
}

/// Where the app's secret values come from: the source, the store, the
/// mount directory and the refresh interval.
pub(super) fn secrets_setup(
    spec: &mut Spec,
    asker: &Asker<'_>,
    err: &mut dyn Write,
) -> Result<(), WizardError> {
    let pci = has_context(spec, "pci-dss");
    let source = if pci {
        writeln!(
            err,
            "  PCI DSS: secrets come from an external store (External Secrets Operator)."
        )
        .map_err(WizardError::Output)?;
        0
    } else {
        Select::with_theme(asker.theme)
            .with_prompt("  Where do the values come from?")
            .items([
                "External Secrets Operator (a secret store)",
                "created by hand (kubectl create secret)",
            ])
            .default(0)
            .interact()?
    };
    spec.secrets = Some(spec::Secrets {
        source: Some(
            if source == 0 {
                "externalSecrets"
            } else {
                "manual"
            }
            .into(),
        ),
        ..Default::default()
    });
    if source == 0 {
        asker.text(
            spec,
            "  Secret store name",
            None,
            "secrets.store.name",
            |s, a| {
                let secrets = s.secrets.get_or_insert_with(Default::default);
                secrets.store.get_or_insert_with(Default::default).name = Some(a.into());
            },
        )?;
        let kinds = ["ClusterSecretStore", "SecretStore"];
        let kind = Select::with_theme(asker.theme)
            .with_prompt("  Store kind")
            .items(kinds)
            .default(0)
            .interact()?;
        if let Some(store) = spec.secrets.as_mut().and_then(|s| s.store.as_mut()) {
            store.kind = Some(kinds[kind].into());
        }
    }
    let external = source == 0;
    let default_mount = crate::model::DEFAULT_SECRET_MOUNT;
    asker.text(
        spec,
        "  Directory the files are mounted at",
        Some(default_mount.into()),
        "secrets.mountPath",
        move |s, a| secrets(s).mount_path = (a != default_mount).then(|| a.into()),
    )?;
    if external {
        let default_refresh = crate::model::DEFAULT_REFRESH_INTERVAL;
        asker.text(
            spec,
            "  How often the values are read again from the store (e.g. 15m, 1h)",
            Some(default_refresh.into()),
            "secrets.refreshInterval",
            move |s, a| secrets(s).refresh_interval = (a != default_refresh).then(|| a.into()),
        )?;
    }
    Ok(())
}

fn secrets(s: &mut Spec) -> &mut spec::Secrets {
    s.secrets.get_or_insert_with(Default::default)
}

/// One key of the app's Secret: its name (unless `name` gives it) and, from
/// a secret store, where its value lives there. Returns the key's name.
pub(super) fn secret_key_questions(
    spec: &mut Spec,
    asker: &Asker<'_>,
    name: Option<&str>,
) -> Result<String, WizardError> {
    let index = secrets(spec).keys.len();
    secrets(spec).keys.push(spec::SecretKey {
        name: name.map(str::to_string),
        ..Default::default()
    });
    let key = match name {
        Some(name) => name.to_string(),
        None => asker.text(
            spec,
            "  Secret key (its file name under the mount directory)",
            None,
            &format!("secrets.keys[{index}].name"),
            move |s, a| secrets(s).keys[index].name = Some(a.into()),
        )?,
    };
    let manual = spec
        .secrets
        .as_ref()
        .and_then(|s| s.source.as_deref())
        .is_some_and(|source| source == "manual");
    if manual {
        return Ok(key);
    }
    let app = name_of(spec).unwrap_or_default().to_string();
    let default_remote = format!("{app}/{key}");
    let remote_default = default_remote.clone();
    asker.text(
        spec,
        &format!("  Where {key} lives in the store (its remote key path)"),
        Some(default_remote),
        &format!("secrets.keys[{index}].remoteKey"),
        move |s, a| secrets(s).keys[index].remote_key = (a != remote_default).then(|| a.into()),
    )?;
    asker.text(
        spec,
        "  Property inside that entry (empty: the whole value)",
        Some(String::new()),
        &format!("secrets.keys[{index}].property"),
        move |s, a| secrets(s).keys[index].property = (!a.is_empty()).then(|| a.into()),
    )?;
    Ok(key)
}

/// Whether the spec selects a compliance context.
pub(super) fn has_context(spec: &Spec, context: &str) -> bool {
    spec.app
        .as_ref()
        .is_some_and(|a| a.compliance.iter().any(|c| c == context))
}
