//! Spec validation: every rule a spec must satisfy, checked in one pass that
//! collects all problems and, when there are none, yields the resolved
//! [`Model`] with defaults applied.
//!
//! One definition of what is valid serves `validate`, `render`, `check` and
//! the wizard, which validates each answer with [`validate_answer`].
//!
//! Checking (spec -> problems) has one module per spec section, each adding
//! `Validator` methods that check a section and return its model part:
//! `app.rs`, `workload.rs`, `api.rs` (kubernetesApi),
//! `secrets.rs`, `dapr.rs`, `signature.rs` (workload.signature), `network.rs` (ingress, egress, network),
//! `backends.rs` (each Dapr component's backend is an allowed flow), with
//! `fields.rs` for unknown fields and the shared rules in [`formats`],
//! [`hosts`], [`limits`] and [`compliance`]. Resolving (checked spec ->
//! model) is `resolve.rs`: the flows harden adds itself and the live
//! scripts' plans.

pub mod backends;
pub mod compliance;
pub mod formats;
pub mod hosts;
pub mod limits;

mod api;
mod app;
pub mod cluster;
mod dapr;
mod dapr_access;
mod dapr_probes;
mod fields;
mod guard;
mod network;
mod preflight;
mod resolve;
mod secrets;
mod signature;
mod workload;

use crate::diagnostics::Problem;
use crate::model::Model;
use crate::spec::{self, Spec};
pub use resolve::{API_SERVER_FLOW, peer_waiver};
use resolve::{rbac_expectations, reach_target};

/// Compliance contexts a spec may select.
pub const COMPLIANCE_CONTEXTS: [&str; 3] = ["soc2", "hipaa", "pci-dss"];
/// RBAC verbs a spec may grant. `*`, `escalate`, `bind` and `impersonate` are
/// never granted: they are ways around RBAC itself.
pub const RBAC_VERBS: [&str; 8] = [
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
];

/// Validates a parsed spec. `unknown_fields` are the paths the parser could
/// not place; `spec_file` is how generated headers name the spec.
pub fn validate(
    spec: &Spec,
    unknown_fields: &[String],
    spec_file: &str,
) -> Result<Model, Vec<Problem>> {
    validate_in(spec, unknown_fields, spec_file, None)
}

/// [`validate`] for a spec of a workspace whose `harden.yaml` declares
/// `cluster`: the spec's own `cluster` fields override it.
pub fn validate_in(
    spec: &Spec,
    unknown_fields: &[String],
    spec_file: &str,
    workspace_cluster: Option<&spec::Cluster>,
) -> Result<Model, Vec<Problem>> {
    // Sizes, lengths and characters first: a hostile spec is refused
    // before any expensive check, and nothing unprintable is echoed back.
    let limits::Found { sizes, characters } = limits::check(spec);
    if !sizes.is_empty() {
        return Err(sizes.into_iter().chain(characters).collect());
    }
    let mut v = Validator {
        workspace_cluster: workspace_cluster.cloned(),
        ..Validator::default()
    };
    for path in unknown_fields.iter().take(limits::MAX_ITEMS) {
        v.unknown_field(path);
    }
    let model = v.spec(spec, spec_file);
    // A field with a forbidden character is reported once, by the limits.
    let rest: Vec<Problem> = v
        .problems
        .into_iter()
        .filter(|p| !problems_at(&characters, &p.path))
        .collect();
    let mut problems = characters;
    problems.extend(rest);
    if problems.is_empty() {
        model.ok_or_else(|| vec![Problem::new("", "the spec is incomplete")])
    } else {
        Err(problems)
    }
}

fn problems_at(problems: &[Problem], path: &str) -> bool {
    problems.iter().any(|p| p.path == path)
}

/// Validates one wizard answer by placing it in an otherwise valid spec and
/// keeping only the problems reported for `path` (or below it).
pub fn validate_answer(spec: &Spec, path: &str) -> Vec<Problem> {
    match validate(spec, &[], "<wizard>") {
        Ok(_) => Vec::new(),
        Err(problems) => problems
            .into_iter()
            .filter(|p| {
                p.path == path
                    || p.path.starts_with(&format!("{path}."))
                    || p.path.starts_with(&format!("{path}["))
            })
            .collect(),
    }
}
#[derive(Default)]
struct Validator {
    problems: Vec<Problem>,
    /// The workspace's `cluster` section, under the spec's own.
    workspace_cluster: Option<spec::Cluster>,
    /// The resolved cluster profile, once [`Validator::spec`] has read it.
    profile: crate::platform::cluster::Profile,
    /// The spec says `network.enforcement: cilium`: the cluster runs Cilium.
    cilium_enforced: bool,
}

impl Validator {
    /// The API server is reached through Cilium's `kube-apiserver` entity:
    /// the profile's CNI is Cilium, or the spec enforces with Cilium.
    fn api_server_entity(&self) -> bool {
        self.profile.api_server_entity() || self.cilium_enforced
    }

    fn push(&mut self, problem: Problem) {
        self.problems.push(problem);
    }

    fn required<'a, T>(&mut self, value: &'a Option<T>, path: &str, help: &str) -> Option<&'a T> {
        if value.is_none() {
            self.push(Problem::new(path, "is required").help(help));
        }
        value.as_ref()
    }

    /// Runs a format check, reporting `value` and `help` on failure.
    fn check(&mut self, path: &str, value: &str, result: Result<(), String>, help: &str) -> bool {
        match result {
            Ok(()) => true,
            Err(reason) => {
                self.push(
                    Problem::new(path, format!("{} {reason}", limits::quoted(value))).help(help),
                );
                false
            }
        }
    }

    fn spec(&mut self, spec: &Spec, spec_file: &str) -> Option<Model> {
        self.header(spec);
        let cluster = match (&self.workspace_cluster, &spec.cluster) {
            (Some(base), Some(over)) => Some(base.overridden_by(over)),
            (base, over) => over.clone().or(base.clone()),
        };
        self.profile = self.cluster(cluster.as_ref());
        self.cilium_enforced =
            spec.network.as_ref().and_then(|n| n.enforcement.as_deref()) == Some("cilium");

        let app = self.required(&spec.app, "app", "add an app section with at least a name");
        let (name, namespace, compliance, pss_version) = match app {
            Some(app) => self.app(app),
            None => (None, None, Vec::new(), None),
        };
        let workload = self.required(
            &spec.workload,
            "workload",
            "add a workload section with image and port",
        );
        // The profile's Dapr version is the default for the spec's.
        let dapr_spec = spec
            .dapr
            .as_ref()
            .filter(|d| d.enabled.unwrap_or(true))
            .map(|d| spec::Dapr {
                version: d.version.clone().or(self.profile.dapr_version.clone()),
                ..d.clone()
            });
        let dapr = dapr_spec.as_ref();
        let workload = workload.and_then(|w| self.workload(w, dapr.is_some()));

        let namespace_for_peers = namespace.clone().unwrap_or_default();
        let api_access = spec
            .kubernetes_api
            .as_ref()
            .and_then(|api| self.api_access(api));
        let secrets = spec
            .secrets
            .as_ref()
            .and_then(|s| self.secrets(s, name.as_deref().unwrap_or("app"), workload.as_ref()));
        let dapr = match (dapr, &name) {
            (Some(d), Some(name)) => self.dapr(d, name, &namespace_for_peers, secrets.as_ref()),
            _ => None,
        };
        let port = workload.as_ref().map(|w| w.port);
        let environment = spec
            .app
            .as_ref()
            .and_then(|a| a.environment.clone())
            .unwrap_or_else(|| "production".to_string());
        self.check(
            "app.environment",
            &environment,
            formats::dns1123_label(&environment),
            "use a short label such as production or staging",
        );
        for problem in compliance::check(spec) {
            self.push(problem);
        }
        let image_policy = spec
            .workload
            .as_ref()
            .and_then(|w| w.signature.as_ref())
            .and_then(|signature| {
                self.signature(
                    signature,
                    workload.as_ref(),
                    name.as_deref(),
                    namespace.as_deref(),
                )
            });
        let network = self.network(
            spec,
            &namespace_for_peers,
            name.as_deref().unwrap_or(""),
            port,
            api_access.as_ref(),
            dapr.as_ref(),
        );

        if let Some(dapr) = &dapr {
            self.component_backends(dapr, &network, &namespace_for_peers);
        }
        let rbac_expectations = rbac_expectations(api_access.as_ref());
        let reach_target = reach_target(&network);
        let preflight = preflight::preflight(
            &self.profile,
            api_access.as_ref(),
            dapr.as_ref(),
            secrets.as_ref(),
            self.cilium_enforced,
        );
        let metadata_probe = preflight::metadata_probe(&self.profile);
        let guard_mode = self.guard_mode(cluster.as_ref(), &compliance, pss_version.as_deref());
        let auditors = self.guard_auditors(cluster.as_ref());
        let mut model = Model {
            preflight,
            metadata_probe,
            facts: crate::platform::Facts::for_profile(&self.profile),
            cluster: self.profile.clone(),
            rbac_expectations,
            reach_target,
            spec_file: spec_file.to_string(),
            service_account: format!("{}-sa", name.as_deref()?),
            name: name?,
            namespace: namespace?,
            environment,
            compliance,
            pss_version: pss_version?,
            workload: workload?,
            api_access,
            network,
            secrets,
            dapr,
            shared_namespace: None,
            neighbourhood: None,
            described_peers: Vec::new(),
            workspace_ends: Vec::new(),
            image_policy,
            warnings: compliance::warnings(spec),
            guard: None,
        };
        if let Some(dapr) = &mut model.dapr {
            dapr.annotations = dapr.pod_annotations(model.workload.port);
        }
        model.guard = Some(crate::guard::setting(&model, guard_mode, auditors));
        Some(model)
    }

    /// `apiVersion` and `kind`: the ones this harden understands.
    fn header(&mut self, spec: &Spec) {
        match spec.api_version.as_deref() {
            Some(spec::API_VERSION) => {}
            Some(other) => self.push(
                Problem::new(
                    "apiVersion",
                    format!("{other:?} is not a version this harden understands"),
                )
                .help(format!("use apiVersion: {}", spec::API_VERSION)),
            ),
            None => self.push(
                Problem::new("apiVersion", "is required")
                    .help(format!("add apiVersion: {}", spec::API_VERSION)),
            ),
        }
        match spec.kind.as_deref() {
            Some(spec::KIND) => {}
            Some(other) => self.push(
                Problem::new(
                    "kind",
                    format!("{other:?} is not a kind this harden understands"),
                )
                .help(format!("use kind: {}", spec::KIND)),
            ),
            None => self.push(
                Problem::new("kind", "is required").help(format!("add kind: {}", spec::KIND)),
            ),
        }
    }
}
