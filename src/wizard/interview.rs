//! The questions of `harden init`, one function per spec section, each
//! asking only for what the flags left open. Every answer is checked where
//! it lands in the spec (see [`Asker::text`]).

use std::io::Write;

use dialoguer::{Input, MultiSelect, Select};

use super::access::api_questions;
use super::asker::{Asker, WizardError, has_context, name_of, problem_at, workload};
use super::dapr::dapr_questions;
use super::network::{callers, destinations, enforcement_question};
use super::output::{output_path, refuse_existing, workspace_cluster};
use super::secrets::secrets_questions;
use crate::cli::InitArgs;
use crate::spec::{self, Spec};
use crate::validate::COMPLIANCE_CONTEXTS;

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

/// The cluster it runs on (`cluster.preset`), unless a flag or the
/// workspace's `harden.yaml` already says.
fn cluster_question(
    spec: &mut Spec,
    args: &InitArgs,
    asker: &Asker<'_>,
) -> Result<(), WizardError> {
    let name = name_of(spec).unwrap_or_default().to_string();
    let in_workspace = workspace_cluster(&output_path(args, &name)).is_some();
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

/// `cpu,memory` as typed at the resource questions.
fn amounts_text(amounts: Option<&spec::ResourceAmounts>) -> String {
    amounts.map_or(String::new(), |a| {
        format!(
            "{},{}",
            a.cpu.as_deref().unwrap_or_default(),
            a.memory.as_deref().unwrap_or_default()
        )
    })
}

/// The workload's less common settings, each offered with what the flags
/// (`--set`) gave; an answer equal to harden's default leaves the field out.
fn more_workload_questions(spec: &mut Spec, asker: &Asker<'_>) -> Result<(), WizardError> {
    let default_user = crate::model::DEFAULT_RUN_AS_USER;
    let given = workload(spec).clone();
    let resources = given.resources.clone().unwrap_or_default();
    let probes = given.probes.clone().unwrap_or_default();
    asker.text(
        spec,
        "  Numeric user id (at least 10000)",
        Some(given.run_as_user.unwrap_or(default_user).to_string()),
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
        Some(amounts_text(resources.requests.as_ref())),
        "workload.resources.requests",
        |s, a| {
            let resources = workload(s).resources.get_or_insert_with(Default::default);
            resources.requests = amounts(a);
        },
    )?;
    asker.text(
        spec,
        "  Resource limits, cpu,memory (e.g. 500m,256Mi; empty: none)",
        Some(amounts_text(resources.limits.as_ref())),
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
        Some(match &given.writable_paths {
            None => "/tmp".into(),
            Some(paths) if paths.is_empty() => "none".into(),
            Some(paths) => paths.join(","),
        }),
        "workload.writablePaths",
        |s, a| {
            workload(s).writable_paths = match a {
                "/tmp" => None,
                "none" => Some(Vec::new()),
                _ => Some(crate::cli::init::split_list(a)),
            }
        },
    )?;
    for (kind, prompt, given) in [
        (
            "liveness",
            "  Liveness probe: HTTP path (empty: a TCP check of the port)",
            probes.liveness,
        ),
        (
            "readiness",
            "  Readiness probe: HTTP path (empty: a TCP check of the port)",
            probes.readiness,
        ),
    ] {
        let path = given
            .as_ref()
            .and_then(|p| p.path.clone())
            .unwrap_or_default();
        asker.text(
            spec,
            prompt,
            Some(path),
            &format!("workload.probes.{kind}"),
            move |s, a| {
                // The delays the flags gave are kept either way.
                let answer = match probe(a) {
                    Some(typed) => Some(spec::Probe {
                        path: typed.path,
                        ..given.clone().unwrap_or_default()
                    }),
                    None => given
                        .clone()
                        .map(|p| spec::Probe { path: None, ..p })
                        .filter(|p| *p != spec::Probe::default()),
                };
                let probes = workload(s).probes.get_or_insert_with(Default::default);
                if kind == "liveness" {
                    probes.liveness = answer;
                } else {
                    probes.readiness = answer;
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
