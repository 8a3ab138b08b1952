//! `harden init`: the interactive wizard that writes a spec.
//!
//! Every part of the spec can come from a flag; what is missing is asked
//! for on a terminal (dialoguer), taken from defaults with `--yes`, or, when
//! standard input is not a terminal, reported as missing flags (exit 2): the
//! wizard never waits for input in CI. Each answer is checked with the same
//! rules as `validate` (see [`crate::validate::validate_answer`]) and a bad
//! answer is asked again with the reason. Nothing is written until the
//! whole spec validates; the file is then written atomically, never over an
//! existing spec without `--force`.

pub mod spec_writer;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use dialoguer::theme::{ColorfulTheme, SimpleTheme, Theme};
use dialoguer::{Confirm, Input, MultiSelect, Select};

use crate::spec::{self, Spec};
use crate::validate::{self, COMPLIANCE_CONTEXTS};

/// Flags of `harden init`; every prompt has one.
#[derive(Debug, Default, Clone, clap::Args)]
pub struct InitArgs {
    /// App name (DNS-1035 label).
    #[arg(long)]
    pub name: Option<String>,
    /// Namespace [default: the app name].
    #[arg(long)]
    pub namespace: Option<String>,
    /// Compliance contexts, comma-separated: soc2, hipaa, pci-dss.
    #[arg(long, value_delimiter = ',')]
    pub compliance: Option<Vec<String>>,
    /// Pod Security version to pin, e.g. v1.33 [default: v1.33].
    #[arg(long)]
    pub pod_security_version: Option<String>,
    /// Image, pinned by digest: registry/name@sha256:<digest>.
    #[arg(long)]
    pub image: Option<String>,
    /// Accept an image pinned by tag only (never latest).
    #[arg(long)]
    pub allow_tag_only_image: bool,
    /// Container port [default: 8080].
    #[arg(long)]
    pub port: Option<u32>,
    /// Replicas [default: 2].
    #[arg(long)]
    pub replicas: Option<u32>,
    /// A caller: NAMESPACE or NAMESPACE/label=value,... (repeatable).
    #[arg(long, value_name = "NAMESPACE[/LABELS]")]
    pub ingress: Vec<String>,
    /// A destination: NAME=pods:NAMESPACE[/LABELS]:PORTS or NAME=cidr:CIDR:PORTS,
    /// PORTS like 443 or 443,53/UDP (repeatable).
    #[arg(long, value_name = "NAME=TARGET:PORTS")]
    pub egress: Vec<String>,
    /// A secret key the app reads: KEY or KEY=REMOTE-KEY[#PROPERTY] (repeatable).
    #[arg(long, value_name = "KEY[=REMOTE]")]
    pub secret: Vec<String>,
    /// Where secret values come from: externalSecrets or manual.
    #[arg(long)]
    pub secret_source: Option<String>,
    /// The External Secrets store: NAME or NAME/KIND (SecretStore, ClusterSecretStore).
    #[arg(long)]
    pub secret_store: Option<String>,
    /// Enable Dapr.
    #[arg(long, conflicts_with = "no_dapr")]
    pub dapr: bool,
    /// Do not enable Dapr.
    #[arg(long)]
    pub no_dapr: bool,
    /// A Dapr component: NAME=TYPE[,key=value|key=secret:SECRET-KEY...] (repeatable).
    #[arg(long, value_name = "NAME=TYPE[,META]")]
    pub component: Vec<String>,
    /// An app-id that may invoke this app: APP-ID or APP-ID/NAMESPACE (repeatable).
    #[arg(long, value_name = "APP-ID[/NS]")]
    pub invoked_by: Vec<String>,
    /// A Secret (key token) protecting the Dapr sidecar API.
    #[arg(long)]
    pub api_token_secret: Option<String>,
    /// Where to write the spec [default: specs/<name>.yaml].
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Overwrite an existing spec.
    #[arg(long)]
    pub force: bool,
    /// Ask nothing: take defaults for everything not given by a flag.
    #[arg(long, short)]
    pub yes: bool,
    /// Render the spec after writing it (to deploy/<name>, or --out).
    #[arg(long)]
    pub render: bool,
    /// Output directory for --render.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// How the wizard ended.
#[derive(Debug)]
pub enum Outcome {
    /// The spec was written to this path (and perhaps rendered).
    Written { path: PathBuf, render: bool },
    /// The user declined to write it.
    Declined,
}

/// Why the wizard stopped.
#[derive(Debug, thiserror::Error)]
pub enum WizardError {
    #[error("error: {0}")]
    Usage(String),
    #[error("error: standard input is not a terminal and these values are missing: {}\n  help: pass them as flags, e.g. harden init --name billing --image registry/billing@sha256:<digest> --yes", .0.join(", "))]
    Missing(Vec<String>),
    #[error("error: {0} exists; pass --force to overwrite it")]
    Exists(String),
    #[error("{0}")]
    Invalid(String),
    #[error("error: the wizard was interrupted; nothing was written")]
    Interrupted,
    #[error("error: cannot write {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

impl From<dialoguer::Error> for WizardError {
    fn from(_: dialoguer::Error) -> Self {
        WizardError::Interrupted
    }
}

/// Common Dapr component types, with their usual metadata: (key, secret?).
const COMPONENT_TYPES: &[(&str, &[(&str, bool)])] = &[
    (
        "state.redis",
        &[("redisHost", false), ("redisPassword", true)],
    ),
    ("state.postgresql", &[("connectionString", true)]),
    (
        "pubsub.redis",
        &[("redisHost", false), ("redisPassword", true)],
    ),
    (
        "pubsub.kafka",
        &[
            ("brokers", false),
            ("authType", false),
            ("saslUsername", false),
            ("saslPassword", true),
        ],
    ),
    ("bindings.cron", &[("schedule", false)]),
    (
        "configuration.redis",
        &[("redisHost", false), ("redisPassword", true)],
    ),
];

fn split_labels(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut labels = BTreeMap::new();
    for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = pair
            .split_once('=')
            .ok_or(format!("{pair:?} is not label=value"))?;
        labels.insert(key.trim().to_string(), value.trim().to_string());
    }
    Ok(labels)
}

/// Labels from `label=value,...`; malformed text is kept as an invalid
/// label key, so validation reports it with the user's own words.
fn labels_or_marker(text: &str) -> BTreeMap<String, String> {
    split_labels(text).unwrap_or_else(|_| {
        BTreeMap::from([(format!("{text} (expected label=value)"), String::new())])
    })
}

fn parse_ports(text: &str) -> Result<Vec<spec::PortRule>, String> {
    let mut ports = Vec::new();
    for item in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (port, protocol) = match item.split_once('/') {
            Some((port, protocol)) => (port, Some(protocol.to_ascii_uppercase())),
            None => (item, None),
        };
        let port: u32 = port
            .parse()
            .map_err(|_| format!("{item:?} is not a port (e.g. 443 or 53/UDP)"))?;
        ports.push(spec::PortRule {
            port: Some(port),
            protocol,
        });
    }
    if ports.is_empty() {
        return Err("give at least one port".into());
    }
    Ok(ports)
}

fn parse_ingress(text: &str) -> Result<spec::IngressRule, String> {
    let (namespace, labels) = match text.split_once('/') {
        Some((namespace, labels)) => (namespace, split_labels(labels)?),
        None => (text, BTreeMap::new()),
    };
    Ok(spec::IngressRule {
        name: None,
        namespace: Some(namespace.to_string()),
        pod_labels: labels,
        ports: Vec::new(),
        app: None,
    })
}

fn parse_egress(text: &str) -> Result<spec::EgressRule, String> {
    let (name, target) = text
        .split_once('=')
        .ok_or(format!("--egress {text:?}: expected NAME=TARGET:PORTS"))?;
    let (target, ports) = target
        .rsplit_once(':')
        .ok_or(format!("--egress {text:?}: expected NAME=TARGET:PORTS"))?;
    let ports = parse_ports(ports).map_err(|e| format!("--egress {text:?}: {e}"))?;
    let mut rule = spec::EgressRule {
        name: Some(name.to_string()),
        ports,
        ..Default::default()
    };
    if let Some(cidr) = target.strip_prefix("cidr:") {
        rule.cidr = Some(cidr.to_string());
    } else if let Some(pods) = target.strip_prefix("pods:") {
        let (namespace, labels) = match pods.split_once('/') {
            Some((namespace, labels)) => (
                namespace,
                split_labels(labels).map_err(|e| format!("--egress {text:?}: {e}"))?,
            ),
            None => (pods, BTreeMap::new()),
        };
        if !namespace.is_empty() {
            rule.namespace = Some(namespace.to_string());
        }
        rule.pod_labels = labels;
    } else {
        return Err(format!(
            "--egress {text:?}: the target is pods:NAMESPACE[/LABELS] or cidr:CIDR"
        ));
    }
    Ok(rule)
}

fn parse_secret(text: &str) -> spec::SecretKey {
    let (name, remote) = match text.split_once('=') {
        Some((name, remote)) => (name, Some(remote)),
        None => (text, None),
    };
    let (remote_key, property) =
        match remote.map(|r| r.split_once('#').map_or((r, None), |(k, p)| (k, Some(p)))) {
            Some((key, property)) => (Some(key.to_string()), property.map(str::to_string)),
            None => (None, None),
        };
    spec::SecretKey {
        name: Some(name.to_string()),
        remote_key,
        property,
    }
}

fn parse_component(text: &str) -> Result<spec::DaprComponent, String> {
    let mut parts = text.split(',');
    let head = parts.next().unwrap_or_default();
    let (name, component_type) = head.split_once('=').ok_or(format!(
        "--component {text:?}: expected NAME=TYPE[,key=value...]"
    ))?;
    let mut component = spec::DaprComponent {
        name: Some(name.to_string()),
        component_type: Some(component_type.to_string()),
        ..Default::default()
    };
    for pair in parts {
        let (key, value) = pair
            .split_once('=')
            .ok_or(format!("--component {text:?}: {pair:?} is not key=value"))?;
        match value.strip_prefix("secret:") {
            Some(secret_key) => {
                component.secret_metadata.insert(
                    key.to_string(),
                    spec::SecretMetadataRef {
                        secret: None,
                        key: Some(secret_key.to_string()),
                    },
                );
            }
            None => {
                component
                    .metadata
                    .insert(key.to_string(), value.to_string());
            }
        }
    }
    Ok(component)
}

fn parse_peer(text: &str) -> spec::DaprPeer {
    match text.split_once('/') {
        Some((app_id, namespace)) => spec::DaprPeer {
            app_id: Some(app_id.to_string()),
            namespace: Some(namespace.to_string()),
        },
        None => spec::DaprPeer {
            app_id: Some(text.to_string()),
            namespace: None,
        },
    }
}

/// The spec the flags describe (nothing asked yet).
fn from_flags(args: &InitArgs) -> Result<Spec, String> {
    let mut spec = Spec {
        api_version: Some(spec::API_VERSION.into()),
        kind: Some(spec::KIND.into()),
        app: Some(spec::App {
            name: args.name.clone(),
            namespace: args.namespace.clone(),
            compliance: args.compliance.clone().unwrap_or_default(),
            pod_security_version: args.pod_security_version.clone(),
            environment: None,
        }),
        workload: Some(spec::Workload {
            image: args.image.clone(),
            allow_tag_only_image: args.allow_tag_only_image,
            port: args.port,
            replicas: args.replicas,
            ..Default::default()
        }),
        ..Default::default()
    };
    spec.ingress = args
        .ingress
        .iter()
        .map(|i| parse_ingress(i))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("--ingress: {e}"))?;
    spec.egress = args
        .egress
        .iter()
        .map(|e| parse_egress(e))
        .collect::<Result<_, _>>()?;
    if !args.secret.is_empty() || args.secret_source.is_some() || args.secret_store.is_some() {
        let store = args.secret_store.as_ref().map(|s| match s.split_once('/') {
            Some((name, kind)) => spec::SecretStoreRef {
                name: Some(name.into()),
                kind: Some(kind.into()),
            },
            None => spec::SecretStoreRef {
                name: Some(s.clone()),
                kind: None,
            },
        });
        spec.secrets = Some(spec::Secrets {
            source: args.secret_source.clone(),
            store,
            keys: args.secret.iter().map(|s| parse_secret(s)).collect(),
            ..Default::default()
        });
    }
    if args.dapr
        || !args.component.is_empty()
        || !args.invoked_by.is_empty()
        || args.api_token_secret.is_some()
    {
        spec.dapr = Some(spec::Dapr {
            enabled: Some(true),
            components: args
                .component
                .iter()
                .map(|c| parse_component(c))
                .collect::<Result<_, _>>()?,
            invoked_by: args.invoked_by.iter().map(|p| parse_peer(p)).collect(),
            api_token_secret: args.api_token_secret.clone(),
            ..Default::default()
        });
    }
    Ok(spec)
}

fn name_of(spec: &Spec) -> Option<&str> {
    spec.app.as_ref()?.name.as_deref()
}

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

struct Asker<'a> {
    theme: &'a dyn Theme,
}

impl Asker<'_> {
    /// Asks for a text answer, placed into the spec by `place` and checked
    /// at `path` until valid.
    fn text(
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

    fn confirm(&self, prompt: &str, default: bool) -> Result<bool, WizardError> {
        Ok(Confirm::with_theme(self.theme)
            .with_prompt(prompt)
            .default(default)
            .interact()?)
    }
}

fn app(spec: &mut Spec) -> &mut spec::App {
    spec.app.get_or_insert_with(Default::default)
}

fn workload(spec: &mut Spec) -> &mut spec::Workload {
    spec.workload.get_or_insert_with(Default::default)
}

/// Runs the questions for everything the flags left open.
fn interview(
    spec: &mut Spec,
    args: &InitArgs,
    asker: &Asker<'_>,
    err: &mut dyn Write,
) -> Result<(), WizardError> {
    let _ = writeln!(
        err,
        "harden init: answer a few questions to write a security spec (Ctrl-C leaves nothing behind)."
    );
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
            |s, a| app(s).pod_security_version = Some(a.into()),
        )?;
    }
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
    if args.ingress.is_empty() {
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
    }
    if args.egress.is_empty() {
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
    }
    let pci = spec
        .app
        .as_ref()
        .is_some_and(|a| a.compliance.iter().any(|c| c == "pci-dss"));
    if spec.secrets.is_none()
        && asker.confirm("Does the app read secrets (files under /secrets)?", false)?
    {
        let source = if pci {
            let _ = writeln!(
                err,
                "  PCI DSS: secrets come from an external store (External Secrets Operator)."
            );
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
    let hipaa = spec
        .app
        .as_ref()
        .is_some_and(|a| a.compliance.iter().any(|c| c == "hipaa"));
    if spec.dapr.is_none() && !args.no_dapr {
        let enable = if hipaa {
            let _ = writeln!(
                err,
                "  HIPAA 164.312(e)(1): Dapr is enabled, so service-to-service traffic uses mTLS."
            );
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

fn dapr_questions(spec: &mut Spec, asker: &Asker<'_>, pci: bool) -> Result<(), WizardError> {
    fn dapr(s: &mut Spec) -> &mut spec::Dapr {
        s.dapr.get_or_insert_with(Default::default)
    }
    while asker.confirm("  Add a Dapr component?", false)? {
        let index = dapr(spec).components.len();
        dapr(spec).components.push(spec::DaprComponent::default());
        asker.text(
            spec,
            "    Component name (e.g. statestore)",
            None,
            &format!("dapr.components[{index}].name"),
            move |s, a| s.dapr.as_mut().expect("dapr").components[index].name = Some(a.into()),
        )?;
        let mut types: Vec<&str> = COMPONENT_TYPES.iter().map(|(t, _)| *t).collect();
        types.push("other (type it)");
        let choice = Select::with_theme(asker.theme)
            .with_prompt("    Component type")
            .items(&types)
            .default(0)
            .interact()?;
        if choice < COMPONENT_TYPES.len() {
            dapr(spec).components[index].component_type = Some(types[choice].into());
            for (key, secret) in COMPONENT_TYPES[choice].1 {
                let key = key.to_string();
                if *secret {
                    let path = format!("dapr.components[{index}].secretMetadata.{key}");
                    let prompt = format!(
                        "    Secret key holding {key} (one of the app's secret keys; empty: none)"
                    );
                    let key_for_place = key.clone();
                    asker.text(spec, &prompt, Some(String::new()), &path, move |s, a| {
                        let component = &mut s.dapr.as_mut().expect("dapr").components[index];
                        if a.is_empty() {
                            component.secret_metadata.remove(&key_for_place);
                        } else {
                            component.secret_metadata.insert(
                                key_for_place.clone(),
                                spec::SecretMetadataRef {
                                    secret: None,
                                    key: Some(a.into()),
                                },
                            );
                        }
                    })?;
                } else {
                    let path = format!("dapr.components[{index}].metadata.{key}");
                    let key_for_place = key.clone();
                    asker.text(spec, &format!("    {key}"), None, &path, move |s, a| {
                        s.dapr.as_mut().expect("dapr").components[index]
                            .metadata
                            .insert(key_for_place.clone(), a.into());
                    })?;
                }
            }
        } else {
            asker.text(
                spec,
                "    Component type (e.g. bindings.kafka)",
                None,
                &format!("dapr.components[{index}].type"),
                move |s, a| {
                    s.dapr.as_mut().expect("dapr").components[index].component_type = Some(a.into())
                },
            )?;
        }
    }
    while asker.confirm(
        if dapr(spec).invoked_by.is_empty() {
            "  May another Dapr app invoke this one?"
        } else {
            "  Add another caller app-id?"
        },
        false,
    )? {
        let index = dapr(spec).invoked_by.len();
        dapr(spec).invoked_by.push(spec::DaprPeer::default());
        asker.text(
            spec,
            "    Caller's app-id",
            None,
            &format!("dapr.invokedBy[{index}].appId"),
            move |s, a| s.dapr.as_mut().expect("dapr").invoked_by[index].app_id = Some(a.into()),
        )?;
        let own = spec
            .app
            .as_ref()
            .and_then(|a| a.namespace.clone())
            .unwrap_or_default();
        asker.text(
            spec,
            "    Caller's namespace",
            Some(own),
            &format!("dapr.invokedBy[{index}].namespace"),
            move |s, a| s.dapr.as_mut().expect("dapr").invoked_by[index].namespace = Some(a.into()),
        )?;
    }
    if pci && dapr(spec).api_token_secret.is_none() {
        asker.text(
            spec,
            "  PCI DSS: Secret holding the Dapr API token (key token)",
            None,
            "dapr.apiTokenSecret",
            |s, a| s.dapr.as_mut().expect("dapr").api_token_secret = Some(a.into()),
        )?;
    }
    Ok(())
}

/// Fills what the flags left open with defaults (for --yes and no terminal),
/// returning the flags that have no default and are missing.
fn defaults(spec: &mut Spec) -> Vec<String> {
    let mut missing = Vec::new();
    if name_of(spec).is_none() {
        missing.push("--name".to_string());
    }
    let workload = workload(spec);
    if workload.image.is_none() {
        missing.push("--image".to_string());
    }
    workload.port.get_or_insert(8080);
    missing
}

/// The `$schema` path for editors, relative to the spec's directory, when
/// the project keeps the schema at schema/harden-spec.schema.json.
fn schema_path(output: &Path) -> String {
    let depth = output.parent().map_or(0, |p| {
        p.components()
            .filter(|c| matches!(c, std::path::Component::Normal(_)))
            .count()
    });
    format!("{}schema/harden-spec.schema.json", "../".repeat(depth))
}

/// Where the spec is written.
fn output_path(args: &InitArgs, name: &str) -> PathBuf {
    args.output
        .clone()
        .unwrap_or_else(|| Path::new("specs").join(format!("{name}.yaml")))
}

fn refuse_existing(args: &InitArgs, name: &str) -> Result<(), WizardError> {
    let output = output_path(args, name);
    if output.exists() && !args.force {
        return Err(WizardError::Exists(crate::load::display_path(&output)));
    }
    Ok(())
}

/// Runs `harden init`.
pub fn run(
    args: &InitArgs,
    interactive: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome, WizardError> {
    let mut spec = from_flags(args).map_err(WizardError::Usage)?;
    let asking = interactive && !args.yes;
    if let Some(name) = name_of(&spec) {
        refuse_existing(args, name)?;
    }
    if asking {
        // Ctrl-C during a prompt ends the process while dialoguer has the
        // cursor hidden (multi-select); show it again before exiting with
        // the shell's status for SIGINT.
        let _ = ctrlc::set_handler(|| {
            let _ = console::Term::stderr().show_cursor();
            let _ = console::Term::stdout().show_cursor();
            std::process::exit(130);
        });
        let colorful = ColorfulTheme::default();
        let plain = SimpleTheme;
        let theme: &dyn Theme = if std::env::var_os("NO_COLOR").is_some() {
            &plain
        } else {
            &colorful
        };
        interview(&mut spec, args, &Asker { theme }, err)?;
    } else {
        let missing = defaults(&mut spec);
        if !missing.is_empty() {
            return Err(if interactive {
                WizardError::Usage(format!("--yes needs {}", missing.join(" and ")))
            } else {
                WizardError::Missing(missing)
            });
        }
    }
    let name = name_of(&spec).unwrap_or_default().to_string();
    refuse_existing(args, &name)?;
    let output = output_path(args, &name);
    let shown = crate::load::display_path(&output);
    let text = spec_writer::write(&spec, Some(&schema_path(&output)));
    // One definition of valid: the written text must load like any spec.
    if let Err(error) = crate::load::load_spec_text(&text, &shown) {
        return Err(WizardError::Invalid(format!(
            "{error}\nnothing was written"
        )));
    }
    if asking {
        let _ = writeln!(err, "\n{text}");
        if !Confirm::with_theme(&SimpleTheme)
            .with_prompt(format!("Write {shown}?"))
            .default(true)
            .interact()?
        {
            return Ok(Outcome::Declined);
        }
    }
    write_atomically(&output, &text)?;
    let _ = writeln!(out, "wrote {shown}");
    let render = args.render
        || (asking
            && Confirm::with_theme(&SimpleTheme)
                .with_prompt(format!("Render it now (harden render {shown})?"))
                .default(true)
                .interact()?);
    Ok(Outcome::Written {
        path: output,
        render,
    })
}

fn write_atomically(path: &Path, text: &str) -> Result<(), WizardError> {
    let io = |source| WizardError::Io {
        path: crate::load::display_path(path),
        source,
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    let temporary = path.with_extension("yaml.harden-tmp");
    std::fs::write(&temporary, text).map_err(io)?;
    std::fs::rename(&temporary, path).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_syntax() {
        let rule = parse_egress("redis=pods:cache/app=redis:6379").unwrap();
        assert_eq!(rule.namespace.as_deref(), Some("cache"));
        assert_eq!(
            rule.pod_labels.get("app").map(String::as_str),
            Some("redis")
        );
        assert_eq!(rule.ports[0].port, Some(6379));
        let rule = parse_egress("bank=cidr:203.0.113.0/24:443,53/udp").unwrap();
        assert_eq!(rule.cidr.as_deref(), Some("203.0.113.0/24"));
        assert_eq!(rule.ports[1].protocol.as_deref(), Some("UDP"));
        assert!(parse_egress("nope").is_err());
        let component = parse_component(
            "statestore=state.redis,redisHost=redis:6379,redisPassword=secret:redis-password",
        )
        .unwrap();
        assert_eq!(
            component.metadata.get("redisHost").map(String::as_str),
            Some("redis:6379")
        );
        assert_eq!(
            component.secret_metadata["redisPassword"].key.as_deref(),
            Some("redis-password")
        );
        let secret = parse_secret("db=billing/db#password");
        assert_eq!(
            (secret.remote_key.as_deref(), secret.property.as_deref()),
            (Some("billing/db"), Some("password"))
        );
        assert_eq!(
            schema_path(Path::new("specs/a.yaml")),
            "../schema/harden-spec.schema.json"
        );
        assert_eq!(
            schema_path(Path::new("a.yaml")),
            "schema/harden-spec.schema.json"
        );
    }
}
