//! `harden init` flags: the clap definition of every prompt's flag and the
//! parsers of their small syntaxes (`NAME=pods:NS/LABELS:PORTS` and the
//! like), which turn a command line into a [`Spec`] the wizard completes.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::spec::{self, Spec};

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
    /// A caller: [NAME=]NAMESPACE[/label=value,...], or app:APP for another
    /// service of the workspace (repeatable).
    #[arg(long, value_name = "[NAME=]NAMESPACE[/LABELS]")]
    pub ingress: Vec<String>,
    /// A destination: NAME=pods:NAMESPACE[/LABELS]:PORTS, NAME=cidr:CIDR:PORTS,
    /// NAME=hosts:HOST[,HOST...]:PORTS (needs --enforcement cilium), PORTS
    /// like 443 or 443,53/UDP; or app:APP for another service of the
    /// workspace (repeatable).
    #[arg(long, value_name = "NAME=TARGET:PORTS")]
    pub egress: Vec<String>,
    /// How network policy is enforced: kubernetes (NetworkPolicies, any CNI)
    /// or cilium (also egress by host name).
    #[arg(long, value_name = "ENFORCEMENT")]
    pub enforcement: Option<String>,
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
    /// An app-id this app may invoke: APP-ID or APP-ID/NAMESPACE (repeatable).
    #[arg(long, value_name = "APP-ID[/NS]")]
    pub invokes: Vec<String>,
    /// The Dapr control plane's minor version, e.g. 1.16 [default: 1.18].
    #[arg(long, value_name = "VERSION")]
    pub dapr_version: Option<String>,
    /// A Secret (key token) protecting the Dapr sidecar API.
    #[arg(long)]
    pub api_token_secret: Option<String>,
    /// A Secret (key token) the Dapr sidecar sends to the app, so the app
    /// can tell its sidecar from other callers.
    #[arg(long)]
    pub app_token_secret: Option<String>,
    /// Any other field of the spec: PATH=VALUE, the path as validate names
    /// it and the value in YAML, e.g. workload.runAsUser=20001 or
    /// egress[0].except=[203.0.113.128/25] (repeatable, applied in order
    /// after the other flags).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// The cluster it runs on: a preset (kubeadm, kind, k3s, gke,
    /// gke-autopilot, eks, aks, openshift), written as `cluster: {preset}`
    /// in the spec. Leave it out where harden.yaml sets `cluster:`.
    #[arg(long, value_name = "PRESET")]
    pub cluster: Option<String>,
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

/// A Kubernetes minor version as the spec writes it: `1.35` (how `kubectl
/// version` prints it) becomes `v1.35`; anything else is kept for
/// validation to judge.
pub(crate) fn kubernetes_minor(text: &str) -> String {
    let text = text.trim();
    let bare = text.strip_prefix("1.").is_some_and(|minor| {
        !minor.is_empty() && minor.len() <= 3 && minor.bytes().all(|b| b.is_ascii_digit())
    });
    if bare {
        format!("v{text}")
    } else {
        text.to_string()
    }
}

/// Items of a comma-separated list, trimmed, empty ones left out.
pub(crate) fn split_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|i| !i.is_empty())
        .map(str::to_string)
        .collect()
}

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
pub(crate) fn labels_or_marker(text: &str) -> BTreeMap<String, String> {
    split_labels(text).unwrap_or_else(|_| {
        BTreeMap::from([(format!("{text} (expected label=value)"), String::new())])
    })
}

pub(crate) fn parse_ports(text: &str) -> Result<Vec<spec::PortRule>, String> {
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
    if let Some(app) = text.strip_prefix("app:") {
        return Ok(spec::IngressRule {
            app: Some(app.to_string()),
            ..Default::default()
        });
    }
    // A name before the namespace: `=` before any `/`.
    let head = text.split('/').next().unwrap_or_default();
    let (name, text) = match head.split_once('=') {
        Some((name, _)) => (Some(name.to_string()), &text[name.len() + 1..]),
        None => (None, text),
    };
    let (namespace, labels) = match text.split_once('/') {
        Some((namespace, labels)) => (namespace, split_labels(labels)?),
        None => (text, BTreeMap::new()),
    };
    Ok(spec::IngressRule {
        name,
        namespace: Some(namespace.to_string()),
        pod_labels: labels,
        ..Default::default()
    })
}

fn parse_egress(text: &str) -> Result<spec::EgressRule, String> {
    if let Some(app) = text.strip_prefix("app:") {
        return Ok(spec::EgressRule {
            app: Some(app.to_string()),
            ..Default::default()
        });
    }
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
    } else if let Some(hosts) = target.strip_prefix("hosts:") {
        rule.hosts = split_list(hosts);
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
            "--egress {text:?}: the target is pods:NAMESPACE[/LABELS], cidr:CIDR or hosts:HOST[,HOST...]"
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

pub(crate) fn parse_peer(text: &str) -> spec::DaprPeer {
    match text.split_once('/') {
        Some((app_id, namespace)) => spec::DaprPeer {
            app_id: Some(app_id.to_string()),
            namespace: Some(namespace.to_string()),
            ..Default::default()
        },
        None => spec::DaprPeer {
            app_id: Some(text.to_string()),
            ..Default::default()
        },
    }
}

impl InitArgs {
    /// The spec the flags describe (nothing asked yet); `Err` names the
    /// flag whose value does not parse.
    pub fn spec(&self) -> Result<Spec, String> {
        let args = self;
        let mut spec = Spec {
            api_version: Some(spec::API_VERSION.into()),
            kind: Some(spec::KIND.into()),
            app: Some(spec::App {
                name: args.name.clone(),
                namespace: args.namespace.clone(),
                compliance: args.compliance.clone().unwrap_or_default(),
                pod_security_version: args.pod_security_version.as_deref().map(kubernetes_minor),
                ..Default::default()
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
        if let Some(preset) = &args.cluster {
            spec.cluster = Some(spec::Cluster {
                preset: Some(preset.clone()),
                ..Default::default()
            });
        }
        if let Some(enforcement) = &args.enforcement {
            spec.network = Some(spec::NetworkSettings {
                enforcement: Some(enforcement.clone()),
            });
        }
        if args.dapr
            || !args.component.is_empty()
            || !args.invoked_by.is_empty()
            || !args.invokes.is_empty()
            || args.dapr_version.is_some()
            || args.api_token_secret.is_some()
            || args.app_token_secret.is_some()
        {
            spec.dapr = Some(spec::Dapr {
                enabled: Some(true),
                components: args
                    .component
                    .iter()
                    .map(|c| parse_component(c))
                    .collect::<Result<_, _>>()?,
                invoked_by: args.invoked_by.iter().map(|p| parse_peer(p)).collect(),
                invokes: args.invokes.iter().map(|p| parse_peer(p)).collect(),
                version: args.dapr_version.clone(),
                api_token_secret: args.api_token_secret.clone(),
                app_token_secret: args.app_token_secret.clone(),
                ..Default::default()
            });
        }
        Ok(spec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_kubernetes_minor_gets_its_v() {
        assert_eq!(kubernetes_minor("1.35"), "v1.35");
        assert_eq!(kubernetes_minor(" v1.33 "), "v1.33");
        assert_eq!(kubernetes_minor("1.x"), "1.x");
        assert_eq!(kubernetes_minor("1.35.2"), "1.35.2");
    }

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
        let rule = parse_egress("openai=hosts:api.openai.com,*.openai.com:443").unwrap();
        assert_eq!(rule.hosts, ["api.openai.com", "*.openai.com"]);
        assert_eq!(rule.ports.len(), 1);
        assert_eq!(
            parse_egress("app:ledger").unwrap().app.as_deref(),
            Some("ledger")
        );
        let rule = parse_ingress("ingress-nginx=ingress-nginx/app=x").unwrap();
        assert_eq!(rule.name.as_deref(), Some("ingress-nginx"));
        assert_eq!(rule.namespace.as_deref(), Some("ingress-nginx"));
        assert_eq!(rule.pod_labels["app"], "x");
        assert_eq!(
            parse_ingress("app:billing").unwrap().app.as_deref(),
            Some("billing")
        );
        assert_eq!(parse_ingress("web").unwrap().name, None);
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
    }
}
