//! Many services, one system: compiles a set of specs together.
//!
//! A flow between two services of a repository needs the caller's egress and
//! the callee's ingress; each spec renders only its own end. Rendered alone,
//! a spec cannot know whether the other end exists, so a one-sided flow is
//! silently blocked in the cluster. Compiled together, the specs are checked
//! as a system before anything is rendered:
//!
//! - app names and output directories are unique;
//! - `ingress[].app` / `egress[].app` references are resolved from the other
//!   spec ([`resolve`]), so selectors and ports cannot drift;
//! - every flow between two services is declared at both ends (the
//!   handshake, [`handshake`]), Dapr invocation included;
//! - specs sharing a namespace agree on its Pod Security version, and its
//!   shared objects (the Namespace, its default deny) are rendered once, to
//!   the namespace's own output ([`SharedOutput`]);
//! - workloads a spec names in its own namespace that no spec describes are
//!   reported as warnings (the default deny isolates them too).
//!
//! [`graph`] draws the result.

pub mod graph;
mod handshake;
mod resolve;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::diagnostics::SpecReport;
use crate::load::{self, LoadError};
use crate::model::{self, Model};
use crate::platform::{dapr, names};
use crate::quote::display_path;
use crate::spec::Spec;
use crate::yaml::{Parsed, Position};

/// How serious a [`SystemProblem`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A problem of one spec, or between specs (then `others` names the other
/// files involved).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemProblem {
    pub severity: Severity,
    /// The file the problem is reported in.
    pub file: String,
    pub position: Option<Position>,
    /// Field path in `file`, e.g. `egress[1]`; empty for the whole file.
    pub path: String,
    pub message: String,
    pub help: Option<String>,
    /// The other files the problem involves.
    pub others: Vec<String>,
}

impl SystemProblem {
    /// Whether the problem involves `file`.
    pub fn involves(&self, file: &str) -> bool {
        self.file == file || self.others.iter().any(|o| o == file)
    }
}

impl fmt::Display for SystemProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        // An unreadable file's message names the file already.
        if self.path.is_empty() && self.position.is_none() && self.message.contains(&self.file) {
            return write!(f, "{severity}: {}", self.message);
        }
        write!(f, "{severity}: {}", self.file)?;
        if let Some(position) = self.position {
            write!(f, ":{position}")?;
        }
        if self.path.is_empty() {
            write!(f, ": {}", self.message)?;
        } else {
            write!(f, ": {}: {}", self.path, self.message)?;
        }
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

/// `N errors, M warnings in K specs`.
pub fn summary(problems: &[SystemProblem], specs: usize) -> String {
    let errors = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .count();
    let warnings = problems.len() - errors;
    format!(
        "{errors} error{}, {warnings} warning{} in {specs} spec{}",
        if errors == 1 { "" } else { "s" },
        if warnings == 1 { "" } else { "s" },
        if specs == 1 { "" } else { "s" }
    )
}

/// One service of the system: a valid spec, its resolved spec text and its
/// model.
#[derive(Debug)]
pub struct Service {
    /// The spec path as given.
    pub path: PathBuf,
    /// The spec path as shown.
    pub file: String,
    /// The spec after `app:` references were resolved.
    pub spec: Spec,
    pub model: Model,
    /// The spec names other services (`app:`), so it renders only with them.
    pub uses_references: bool,
    /// The spec's workspace.
    pub workspace: crate::workspace::Workspace,
    parsed: Parsed<Spec>,
}

impl Service {
    pub fn name(&self) -> &str {
        &self.model.name
    }

    pub fn namespace(&self) -> &str {
        &self.model.namespace
    }

    pub fn port(&self) -> u32 {
        self.model.workload.port
    }

    /// The labels the service's pods carry: the app name label harden
    /// writes, and the Dapr app-id label the injector adds.
    pub fn pod_labels(&self) -> BTreeMap<String, String> {
        let mut labels =
            BTreeMap::from([(names::APP_NAME_LABEL.to_string(), self.model.name.clone())]);
        if let Some(d) = &self.model.dapr {
            labels.insert(dapr::APP_ID_LABEL.to_string(), d.app_id.clone());
        }
        labels
    }

    /// Where `path` (a path in the resolved spec) was written.
    pub fn position(&self, path: &str) -> Option<Position> {
        self.parsed.locations.find(&self.parsed.source_path(path))
    }

    /// `file:line` of `path`, or the file alone.
    pub fn at(&self, path: &str) -> String {
        match self.position(path) {
            Some(p) => format!("{}:{}", self.file, p.line),
            None => self.file.clone(),
        }
    }

    /// Where the service's files are written.
    pub fn out_dir(&self) -> PathBuf {
        self.workspace.out_dir(&self.model.name)
    }
}

/// One end of a [`SystemFlow`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum End {
    /// A service of the system, by index in [`System::services`].
    Service { index: usize },
    /// Pods no spec describes; empty labels mean every pod of the namespace.
    Pods {
        namespace: String,
        labels: Vec<(String, String)>,
    },
    /// A network range (egress `cidr`, the API server).
    Network { name: String, cidr: String },
    /// DNS names (egress `hosts`, enforced by a CiliumNetworkPolicy).
    Hosts { name: String, hosts: Vec<String> },
    /// The Dapr control plane of a namespace.
    DaprControlPlane { namespace: String },
}

/// What a flow carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FlowKind {
    /// A declared ingress or egress rule.
    Declared,
    /// Dapr service invocation, sidecar to sidecar.
    DaprInvocation,
    /// What the platform needs (Dapr control plane, API server).
    Platform,
}

/// A flow of the system.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SystemFlow {
    pub from: End,
    pub to: End,
    pub ports: Vec<model::Port>,
    pub kind: FlowKind,
    /// Declared at one end only: the cluster blocks it.
    pub blocked: bool,
}

/// The output of a namespace several services share.
#[derive(Debug)]
pub struct SharedOutput {
    pub namespace: crate::render::SharedNamespace,
    /// Where it is written.
    pub dir: PathBuf,
}

/// A compiled system of services.
#[derive(Debug)]
pub struct System {
    /// Sorted by spec path.
    pub services: Vec<Service>,
    /// The namespaces several services share, sorted by name.
    pub shared: Vec<SharedOutput>,
    pub flows: Vec<SystemFlow>,
    /// Errors (only in an [`Analysis`]) and warnings.
    pub problems: Vec<SystemProblem>,
}

impl System {
    pub fn warnings(&self) -> impl Iterator<Item = &SystemProblem> {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Warning)
    }

    pub fn errors(&self) -> impl Iterator<Item = &SystemProblem> {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
    }

    /// The service named `app`.
    pub fn service(&self, app: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name() == app)
    }
}

/// Compiles the specs at `paths` (files) as one system. Errors are every
/// problem found (spec problems and problems between specs); the system's
/// warnings are in [`System::problems`].
pub fn compile(paths: &[PathBuf]) -> Result<System, Vec<SystemProblem>> {
    let system = analyse(paths)?;
    if system.errors().next().is_some() {
        return Err(system.problems);
    }
    Ok(system)
}

/// As [`compile`], but a system whose specs are each valid is returned even
/// when flows between them are wrong (for `graph`, which draws the blocked
/// flows); its errors are in [`System::problems`]. `Err` means some spec is
/// unreadable or invalid on its own.
pub fn analyse(paths: &[PathBuf]) -> Result<System, Vec<SystemProblem>> {
    let mut problems = Vec::new();
    let mut parsed = Vec::new();
    let mut sorted: Vec<&PathBuf> = paths.iter().collect();
    sorted.sort();
    sorted.dedup();
    // Reading and parsing are independent per spec: on every core.
    let read = crate::parallel::map(&sorted, |path| {
        load::read_spec(path)
            .and_then(|(file, _, text)| load::parse_spec(&text, &file).map(|parsed| (file, parsed)))
    });
    for (path, result) in sorted.into_iter().zip(read) {
        match result {
            Ok((file, spec)) => parsed.push((path.clone(), file, spec)),
            Err(error) => problems.extend(load_problems(path, error)),
        }
    }
    let referring: Vec<PathBuf> = parsed
        .iter()
        .filter(|(_, _, spec)| names_others(&spec.value))
        .map(|(path, _, _)| path.clone())
        .collect();
    problems.extend(resolve::resolve(&mut parsed, problems.is_empty()));
    // A reference that could not be resolved is reported where it failed;
    // validating the unresolved field again would only add a second,
    // misleading error at the same place.
    let unresolved: std::collections::BTreeSet<(String, String)> = problems
        .iter()
        .map(|p| (p.file.clone(), p.path.clone()))
        .collect();
    let referring: std::collections::BTreeSet<PathBuf> = referring.into_iter().collect();
    // Validation too is per spec, once references are resolved.
    // Each spec's workspace is found once here and kept with its service.
    let validated = crate::parallel::map(&parsed, |(path, file, spec)| {
        let workspace = load::workspace(path)?;
        let id = workspace.spec_id(path)?;
        load::validate_parsed(spec, file, &id, workspace.cluster()).map(|model| (workspace, model))
    });
    let mut services = Vec::new();
    for ((path, file, spec), result) in parsed.into_iter().zip(validated) {
        match result {
            Ok((workspace, model)) => services.push(Service {
                uses_references: referring.contains(&path),
                path,
                file,
                spec: spec.value.clone(),
                model,
                workspace,
                parsed: spec,
            }),
            Err(error) => problems.extend(
                load_problems(&path, error)
                    .into_iter()
                    .filter(|p| !unresolved.contains(&(p.file.clone(), p.path.clone()))),
            ),
        }
    }
    if !problems.is_empty() {
        problems.sort_by(order);
        return Err(problems);
    }
    let mut system = System {
        services,
        shared: Vec::new(),
        flows: Vec::new(),
        problems: Vec::new(),
    };
    spec_warnings(&mut system);
    handshake::check(&mut system);
    share_namespaces(&mut system);
    describe_peers(&mut system);
    // A neighbourhood, and who opens the other end of a flow, depend on
    // every spec of the system, so they are drawn
    // only where the system is declared (a workspace file): there, one spec
    // renders as the whole workspace does. A directory of specs without one
    // renders each spec as it renders alone, but for references and shared
    // namespaces.
    let declared = system
        .services
        .first()
        .is_some_and(|s| s.workspace.has_file());
    if declared {
        find_workspace_ends(&mut system);
        let neighbourhoods: Vec<crate::drawing::Picture> = (0..system.services.len())
            .map(|i| graph::neighbourhood_picture(&system, i))
            .collect();
        for (service, drawing) in system.services.iter_mut().zip(neighbourhoods) {
            service.model.neighbourhood = Some(drawing);
        }
    }
    system.problems.sort_by(order);
    Ok(system)
}

/// Each spec's own warnings (what its compliance context recommends and it
/// leaves out), as problems of the system.
fn spec_warnings(system: &mut System) {
    for service in &system.services {
        for warning in &service.model.warnings {
            let path = service.parsed.source_path(&warning.path);
            system.problems.push(SystemProblem {
                severity: Severity::Warning,
                file: service.file.clone(),
                position: service.parsed.locations.find(&path),
                path,
                message: warning.message.clone(),
                help: warning.help.clone(),
                others: Vec::new(),
            });
        }
    }
}

/// Gives each namespace of several services one output of its own (the
/// Namespace and its default deny, rendered once) and points the services'
/// models at it. A namespace of one service keeps them in its output, as
/// when the spec is rendered alone.
fn share_namespaces(system: &mut System) {
    let mut members: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (index, service) in system.services.iter().enumerate() {
        members
            .entry(service.namespace().to_string())
            .or_default()
            .push(index);
    }
    for (namespace, indices) in members.into_iter().filter(|(_, m)| m.len() > 1) {
        let first = &system.services[indices[0]];
        let dir = first.workspace.namespace_dir(&namespace);
        let mut compliance: Vec<String> = indices
            .iter()
            .flat_map(|&i| system.services[i].model.compliance.iter().cloned())
            .collect();
        compliance.sort();
        compliance.dedup();
        let settings: Vec<&crate::guard::Setting> = indices
            .iter()
            .filter_map(|&i| system.services[i].model.guard.as_ref())
            .collect();
        let guard = crate::guard::shared(&namespace, &settings);
        let shared = crate::render::SharedNamespace {
            guard,
            facts: first.model.facts.clone(),
            namespace,
            pss_version: first.model.pss_version.clone(),
            compliance,
            image_policy: indices
                .iter()
                .any(|&i| system.services[i].model.image_policy.is_some()),
            specs: indices
                .iter()
                .map(|&i| system.services[i].model.spec_file.clone())
                .collect(),
        };
        for &i in &indices {
            let from = system.services[i].out_dir();
            system.services[i].model.shared_namespace = Some(relative_path(&from, &dir));
        }
        system.shared.push(SharedOutput {
            namespace: shared,
            dir,
        });
    }
}

/// Marks each service's peer policies whose pods another service of the
/// system (in the same namespace) carries the labels of, and takes DNS out
/// of them: the pods' own spec opens their DNS.
fn describe_peers(system: &mut System) {
    let labels: Vec<BTreeMap<String, String>> =
        system.services.iter().map(Service::pod_labels).collect();
    for a in 0..system.services.len() {
        // (peer policy, the app whose spec describes its pods)
        let described: Vec<(String, String)> = system.services[a]
            .model
            .network
            .peer_policies
            .iter()
            .filter_map(|peer| {
                (0..system.services.len())
                    .find(|&b| {
                        b != a
                            && system.services[b].namespace() == system.services[a].namespace()
                            && peer
                                .pod_labels
                                .iter()
                                .all(|(k, v)| labels[b].get(k) == Some(v))
                    })
                    .map(|b| (peer.name.clone(), system.services[b].name().to_string()))
            })
            .collect();
        // Their own spec opens their DNS (through a Cilium DNS filter when
        // it has one, which a plain allow of port 53 here would void:
        // platform::cilium::quotes::L4_VOIDS_L7 and UNION), so this policy
        // opens only its end of the flow. Its waiver names the spec that
        // deploys those pods.
        for peer in system.services[a].model.network.peer_policies.iter_mut() {
            if let Some((_, app)) = described.iter().find(|(name, _)| *name == peer.name) {
                peer.allow_dns = false;
                peer.waiver = crate::validate::peer_waiver(Some(app));
            }
        }
        system.services[a].model.described_peers =
            described.into_iter().map(|(name, _)| name).collect();
    }
}

/// Records, for each service, the flows whose other end another service of
/// the system declares: a flow to or from pods of a namespace that the
/// other service's pods carry every label of. The handshake has already
/// proved that the other service declares its end of each such flow.
fn find_workspace_ends(system: &mut System) {
    let ends: Vec<(String, String, BTreeMap<String, String>)> = system
        .services
        .iter()
        .map(|s| {
            (
                s.namespace().to_string(),
                s.name().to_string(),
                s.pod_labels(),
            )
        })
        .collect();
    for a in 0..system.services.len() {
        let network = &system.services[a].model.network;
        let found: Vec<(String, String)> = network
            .ingress
            .iter()
            .chain(&network.egress)
            .filter(|f| !f.peer.app_itself && !f.peer.pod_labels.is_empty())
            .filter_map(|flow| {
                let namespace = flow.peer.namespace.as_deref()?;
                ends.iter()
                    .enumerate()
                    .find(|(b, (ns, _, labels))| {
                        *b != a
                            && ns == namespace
                            && flow
                                .peer
                                .pod_labels
                                .iter()
                                .all(|(k, v)| labels.get(k) == Some(v))
                    })
                    .map(|(_, (_, app, _))| (flow.name.clone(), app.clone()))
            })
            .collect();
        system.services[a].model.workspace_ends = found;
    }
}

/// `to` relative to the directory `from`, with `/` (both under one root).
fn relative_path(from: &Path, to: &Path) -> String {
    let from: Vec<_> = from.components().collect();
    let to: Vec<_> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); from.len() - common];
    parts.extend(
        to[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

/// Whether `spec` names other services (`ingress[].app`, `egress[].app`):
/// it renders only with them.
pub fn names_others(spec: &Spec) -> bool {
    spec.ingress.iter().any(|r| r.app.is_some()) || spec.egress.iter().any(|r| r.app.is_some())
}

/// Whether the spec at `path` names other services; false when it cannot be
/// read or parsed.
pub fn spec_names_others(path: &Path) -> bool {
    load::read_spec(path)
        .and_then(|(file, _, text)| load::parse_spec(&text, &file))
        .is_ok_and(|parsed| names_others(&parsed.value))
}

fn order(a: &SystemProblem, b: &SystemProblem) -> std::cmp::Ordering {
    let key = |p: &SystemProblem| {
        (
            p.severity,
            p.file.clone(),
            p.position.map_or((usize::MAX, 0), |p| (p.line, p.column)),
        )
    };
    key(a).cmp(&key(b))
}

/// The problems of a spec that failed to load, one per problem.
pub fn load_problems(path: &Path, error: LoadError) -> Vec<SystemProblem> {
    match error {
        LoadError::Invalid(SpecReport { file, problems }) => problems
            .into_iter()
            .map(|(position, problem)| SystemProblem {
                severity: Severity::Error,
                file: file.clone(),
                position,
                path: problem.path,
                message: problem.message,
                help: problem.help,
                others: Vec::new(),
            })
            .collect(),
        error @ (LoadError::Unreadable { .. } | LoadError::Path(_) | LoadError::Workspace(_)) => {
            vec![SystemProblem {
                severity: Severity::Error,
                file: display_path(path),
                position: None,
                path: String::new(),
                message: error.to_string().trim_start_matches("error: ").to_string(),
                help: None,
                others: Vec::new(),
            }]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_climb_to_the_common_directory() {
        let path = |p: &str| PathBuf::from(p);
        assert_eq!(
            relative_path(
                &path("/r/deploy/worker"),
                &path("/r/deploy/namespaces/tasks")
            ),
            "../namespaces/tasks"
        );
        assert_eq!(
            relative_path(&path("/r/out/apps/a"), &path("/r/ns/tasks")),
            "../../../ns/tasks"
        );
        assert_eq!(relative_path(&path("/r/a"), &path("/r/a")), ".");
    }
}
