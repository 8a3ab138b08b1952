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

/// The first problem `validate` reports for `path` in `spec`, as the
/// wizard's re-ask message.
fn problem_at(spec: &Spec, path: &str) -> Option<String> {
    validate::validate_answer(spec, path)
        .into_iter()
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
    cluster_question(spec, args, asker)?;
    let pci = has_context(spec, "pci-dss");
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
            dapr_questions(spec, asker, pci)?;
        }
    }
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
            |s, a| app(s).namespace = Some(a.into()),
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
    if workload(spec).image.is_none() {
        asker.text(
            spec,
            "Image, pinned by digest (registry/name@sha256:<digest>)",
            None,
            "workload.image",
            |s, a| workload(s).image = Some(a.into()),
        )?;
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
        asker.text(
            spec,
            "  Destination name (e.g. redis)",
            None,
            &format!("egress[{index}].name"),
            move |s, a| s.egress[index].name = Some(a.into()),
        )?;
        let kind = Select::with_theme(asker.theme)
            .with_prompt("  Destination kind")
            .items(["pods in a namespace", "a network (CIDR)"])
            .default(0)
            .interact()?;
        if kind == 0 {
            let own = spec
                .app
                .as_ref()
                .and_then(|a| a.namespace.clone())
                .unwrap_or_default();
            asker.text(
                spec,
                "  Pods' namespace",
                Some(own),
                &format!("egress[{index}].namespace"),
                move |s, a| s.egress[index].namespace = Some(a.into()),
            )?;
            asker.text(
                spec,
                "  Pods' labels, label=value,... (empty: every pod there)",
                Some(String::new()),
                &format!("egress[{index}].podLabels"),
                move |s, a| s.egress[index].pod_labels = labels_or_marker(a),
            )?;
        } else {
            asker.text(
                spec,
                "  CIDR (e.g. 203.0.113.0/24)",
                None,
                &format!("egress[{index}].cidr"),
                move |s, a| s.egress[index].cidr = Some(a.into()),
            )?;
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
    let pci = has_context(spec, "pci-dss");
    if spec.secrets.is_none()
        && asker.confirm("Does the app read secrets (files under /secrets)?", false)?
    {
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
        loop {
            let index = spec.secrets.as_ref().map_or(0, |s| s.keys.len());
            spec.secrets
                .as_mut()
                .expect("secrets")
                .keys
                .push(spec::SecretKey::default());
            asker.text(
                spec,
                "  Secret key (its file name under /secrets)",
                None,
                &format!("secrets.keys[{index}].name"),
                move |s, a| s.secrets.as_mut().expect("secrets").keys[index].name = Some(a.into()),
            )?;
            if !asker.confirm("  Add another secret key?", false)? {
                break;
            }
        }
    }
    Ok(())
}

/// Whether the spec selects a compliance context.
fn has_context(spec: &Spec, context: &str) -> bool {
    spec.app
        .as_ref()
        .is_some_and(|a| a.compliance.iter().any(|c| c == context))
}
