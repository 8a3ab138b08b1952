//! Spec validation: every rule a spec must satisfy, checked in one pass that
//! collects all problems and, when there are none, yields the resolved
//! [`Model`] with defaults applied.
//!
//! One definition of what is valid serves `validate`, `render`, `check` and
//! the wizard, which validates each answer with [`validate_answer`].

pub mod compliance;
pub mod formats;
pub mod hosts;
pub mod limits;

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostics::Problem;
use crate::model::{self, Model};
use crate::platform::{dapr, names};
use crate::spec::{self, Spec};

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
/// Namespaces an application must never be deployed into.
use crate::platform::kubernetes::RESERVED_NAMESPACES;
/// Plain-metadata keys that look like credentials.
const SECRET_LOOKING_KEYS: [&str; 7] = [
    "password",
    "passwd",
    "secret",
    "token",
    "credential",
    "apikey",
    "accesskey",
];

/// Validates a parsed spec. `unknown_fields` are the paths the parser could
/// not place; `spec_file` is how generated headers name the spec.
pub fn validate(
    spec: &Spec,
    unknown_fields: &[String],
    spec_file: &str,
) -> Result<Model, Vec<Problem>> {
    // Sizes, lengths and characters first: a hostile spec is refused
    // before any expensive check, and nothing unprintable is echoed back.
    let limits::Found { sizes, characters } = limits::check(spec);
    if !sizes.is_empty() {
        return Err(sizes.into_iter().chain(characters).collect());
    }
    let mut v = Validator::default();
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
}

impl Validator {
    fn push(&mut self, problem: Problem) {
        self.problems.push(problem);
    }

    fn unknown_field(&mut self, path: &str) {
        let (parent, field) = match path.rfind('.') {
            Some(i) => (&path[..i], &path[i + 1..]),
            None => ("", path),
        };
        let mut problem = Problem::new(
            limits::shown(path),
            format!("unknown field '{}'", limits::shown(field)),
        );
        let known = known_fields(parent);
        problem = match closest(field, known) {
            Some(suggestion) => problem.help(format!("did you mean '{suggestion}'?")),
            None if !known.is_empty() => {
                problem.help(format!("fields allowed here: {}", known.join(", ")))
            }
            None => problem.help("remove it"),
        };
        self.push(problem);
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
        let dapr = spec.dapr.as_ref().filter(|d| d.enabled.unwrap_or(true));
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
        let network = self.network(
            spec,
            &namespace_for_peers,
            name.as_deref().unwrap_or(""),
            port,
            api_access.as_ref(),
            dapr.as_ref(),
        );

        let rbac_expectations = rbac_expectations(api_access.as_ref());
        let reach_target = reach_target(&network);
        let model = Model {
            facts: crate::platform::Facts::get(),
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
        };
        Some(model)
    }

    fn app(
        &mut self,
        app: &spec::App,
    ) -> (Option<String>, Option<String>, Vec<String>, Option<String>) {
        let name = self.required(&app.name, "app.name", "name the app, e.g. name: task-api").and_then(|name| {
            self.check(
                "app.name",
                name,
                formats::dns1035_label(name),
                "use a DNS-1035 label: lowercase letters, digits and '-', starting with a letter (it names the Service)",
            )
            .then(|| name.clone())
        });
        let namespace = match &app.namespace {
            Some(namespace) => self
                .namespace("app.namespace", namespace)
                .then(|| namespace.clone()),
            None => name.clone(),
        };
        let mut compliance = BTreeSet::new();
        for (i, context) in app.compliance.iter().enumerate() {
            let path = format!("app.compliance[{i}]");
            if COMPLIANCE_CONTEXTS.contains(&context.as_str()) {
                if !compliance.insert(context.clone()) {
                    self.push(
                        Problem::new(path, format!("{context:?} is listed twice"))
                            .help("list each context once"),
                    );
                }
            } else {
                self.push(
                    Problem::new(
                        path,
                        format!("{context:?} is not a known compliance context"),
                    )
                    .help(format!("use one of: {}", COMPLIANCE_CONTEXTS.join(", "))),
                );
            }
        }
        let pss_version = match &app.pod_security_version {
            None => Some(model::DEFAULT_PSS_VERSION.to_string()),
            Some(version) => {
                let minor = version
                    .strip_prefix("v1.")
                    .and_then(|m| m.parse::<u32>().ok())
                    .filter(|m| (model::OLDEST_PSS_MINOR..=model::NEWEST_PSS_MINOR).contains(m));
                match minor {
                    Some(minor) if *version == format!("v1.{minor}") => Some(version.clone()),
                    _ => {
                        self.push(
                            Problem::new(
                                "app.podSecurityVersion",
                                format!("{version:?} is not a pinned Kubernetes minor version"),
                            )
                            .help(format!(
                                "pin your cluster's minor version, v1.{} to v1.{} (never 'latest')",
                                model::OLDEST_PSS_MINOR,
                                model::NEWEST_PSS_MINOR
                            )),
                        );
                        None
                    }
                }
            }
        };
        (
            name,
            namespace,
            compliance.into_iter().collect(),
            pss_version,
        )
    }

    fn namespace(&mut self, path: &str, namespace: &str) -> bool {
        if !self.check(
            path,
            namespace,
            formats::dns1123_label(namespace),
            "use a DNS-1123 label: lowercase letters, digits and '-'",
        ) {
            return false;
        }
        // The README forbids every kube-* namespace: Kubernetes reserves the
        // prefix for system namespaces.
        if path == "app.namespace"
            && (RESERVED_NAMESPACES.contains(&namespace) || namespace.starts_with("kube-"))
        {
            self.push(
                Problem::new(path, format!("{namespace:?} is a shared system namespace"))
                    .help("give the app a namespace of its own (the default is the app name)"),
            );
            return false;
        }
        true
    }

    fn workload(&mut self, workload: &spec::Workload, dapr: bool) -> Option<model::Workload> {
        let image = self
            .required(
                &workload.image,
                "workload.image",
                "set the image, pinned by digest: registry/name@sha256:<digest>",
            )
            .and_then(|image| self.image(image, workload.allow_tag_only_image));
        let port = self
            .required(
                &workload.port,
                "workload.port",
                "set the container port the app listens on, e.g. port: 8080",
            )
            .and_then(|port| self.app_port("workload.port", *port, dapr));
        let replicas = workload.replicas.unwrap_or(model::DEFAULT_REPLICAS);
        if !(1..=1000).contains(&replicas) {
            self.push(
                Problem::new("workload.replicas", format!("{replicas} is out of range"))
                    .help("use 1 to 1000 replicas (2 or more survive a node loss)"),
            );
        }
        let run_as_user = workload.run_as_user.unwrap_or(model::DEFAULT_RUN_AS_USER);
        if !(model::MIN_RUN_AS_USER..=2_147_483_647).contains(&run_as_user) {
            self.push(
                Problem::new("workload.runAsUser", format!("{run_as_user} is out of range"))
                    .help(format!(
                        "use a UID from {} to 2147483647, so it cannot collide with a host user (0 is root)",
                        model::MIN_RUN_AS_USER
                    )),
            );
        }
        let (requests, limits) = self.resources(workload.resources.as_ref());
        let mut writable_paths = Vec::new();
        let mut volumes = BTreeSet::new();
        let default_paths = vec!["/tmp".to_string()];
        for (i, path) in workload
            .writable_paths
            .as_ref()
            .unwrap_or(&default_paths)
            .iter()
            .enumerate()
        {
            let field = format!("workload.writablePaths[{i}]");
            if !self.check(
                &field,
                path,
                formats::mount_path(path).and_then(|()| formats::unreserved_mount(path)),
                "use an absolute path such as /tmp",
            ) {
                continue;
            }
            if let Some(other) = writable_paths.iter().find(|w: &&model::WritablePath| {
                formats::path_within(path, &w.path) || formats::path_within(&w.path, path)
            }) {
                self.push(
                    Problem::new(&field, format!("{path:?} overlaps {:?}", other.path))
                        .help("list each writable directory once, without nesting"),
                );
                continue;
            }
            let volume = volume_name(path, &volumes, i);
            volumes.insert(volume.clone());
            writable_paths.push(model::WritablePath {
                path: path.clone(),
                volume,
            });
        }
        let probes = workload.probes.clone().unwrap_or_default();
        let liveness = self.probe("workload.probes.liveness", probes.liveness.as_ref(), 10, 10);
        let readiness = self.probe("workload.probes.readiness", probes.readiness.as_ref(), 5, 5);
        Some(model::Workload {
            pinned_by_digest: image.as_ref()?.1,
            image: image?.0,
            port: port?,
            replicas,
            run_as_user,
            requests: requests?,
            limits: limits?,
            writable_paths,
            liveness: liveness?,
            readiness: readiness?,
        })
    }

    /// Returns the image and whether it is pinned by digest.
    fn image(&mut self, image: &str, allow_tag_only: bool) -> Option<(String, bool)> {
        let path = "workload.image";
        let reference = match formats::image_reference(image) {
            Ok(reference) => reference,
            Err(reason) => {
                self.push(
                    Problem::new(
                        path,
                        format!("{image:?} is not a valid image reference: {reason}"),
                    )
                    .help("write registry/repository@sha256:<64 hex digits>"),
                );
                return None;
            }
        };
        if reference.tag.as_deref() == Some("latest") {
            self.push(
                Problem::new(path, format!("{image:?} uses the tag 'latest'")).help(
                    "'latest' is never accepted: pin the image by digest (name@sha256:<digest>)",
                ),
            );
            return None;
        }
        match (&reference.digest, &reference.tag) {
            (Some(_), _) => Some((image.to_string(), true)),
            (None, Some(_)) if allow_tag_only => Some((image.to_string(), false)),
            (None, Some(_)) => {
                self.push(
                    Problem::new(path, format!("{image:?} is pinned by tag only; a tag can be moved to other content"))
                        .help("pin it by digest (name@sha256:<digest>), or set workload.allowTagOnlyImage: true to accept the risk"),
                );
                None
            }
            (None, None) => {
                self.push(
                    Problem::new(
                        path,
                        format!("{image:?} has neither tag nor digest, so it means 'latest'"),
                    )
                    .help("pin the image by digest: name@sha256:<digest>"),
                );
                None
            }
        }
    }

    fn app_port(&mut self, path: &str, port: u32, dapr: bool) -> Option<u32> {
        if !(1024..=65535).contains(&port) {
            self.push(
                Problem::new(path, format!("{port} is out of range"))
                    .help("use a port from 1024 to 65535: a non-root container without capabilities cannot bind below 1024"),
            );
            return None;
        }
        if dapr && dapr::SIDECAR_PORTS.contains(&port) {
            self.push(
                Problem::new(
                    path,
                    format!("{port} is used by the Dapr sidecar in the same pod"),
                )
                .help(format!(
                    "choose another port; daprd binds {}",
                    dapr::SIDECAR_PORTS.map(|p| p.to_string()).join(", ")
                )),
            );
            return None;
        }
        Some(port)
    }

    fn resources(
        &mut self,
        resources: Option<&spec::Resources>,
    ) -> (Option<model::Amounts>, Option<model::Amounts>) {
        let resources = resources.cloned().unwrap_or_default();
        let requests = resources.requests.unwrap_or_default();
        let limits = resources.limits.unwrap_or_default();
        let cpu_request = self.quantity(
            "workload.resources.requests.cpu",
            requests.cpu.as_deref().unwrap_or("100m"),
            true,
        );
        let memory_request = self.quantity(
            "workload.resources.requests.memory",
            requests.memory.as_deref().unwrap_or("128Mi"),
            false,
        );
        let cpu_limit = self.quantity(
            "workload.resources.limits.cpu",
            limits.cpu.as_deref().unwrap_or("500m"),
            true,
        );
        let memory_limit = self.quantity(
            "workload.resources.limits.memory",
            limits.memory.as_deref().unwrap_or("256Mi"),
            false,
        );
        for (what, request, limit) in [
            ("cpu", &cpu_request, &cpu_limit),
            ("memory", &memory_request, &memory_limit),
        ] {
            if let (Some((request_text, request)), Some((limit_text, limit))) = (request, limit)
                && request > limit
            {
                self.push(
                    Problem::new(
                        format!("workload.resources.requests.{what}"),
                        format!("{request_text:?} is more than the limit {limit_text:?}"),
                    )
                    .help("a request must not exceed its limit"),
                );
            }
        }
        let amounts = |cpu: Option<(String, f64)>, memory: Option<(String, f64)>| {
            Some(model::Amounts {
                cpu: cpu?.0,
                memory: memory?.0,
            })
        };
        (
            amounts(cpu_request, memory_request),
            amounts(cpu_limit, memory_limit),
        )
    }

    fn quantity(&mut self, path: &str, value: &str, cpu: bool) -> Option<(String, f64)> {
        let help = if cpu {
            "write CPU as cores or millicores, e.g. 250m or 0.5"
        } else {
            "write memory in bytes with a binary suffix, e.g. 256Mi or 1Gi"
        };
        match formats::quantity(value) {
            Ok(amount) if amount > 0.0 && (cpu || !value.ends_with('m')) => {
                Some((value.to_string(), amount))
            }
            Ok(_) => {
                self.push(
                    Problem::new(path, format!("{value:?} is not a usable amount")).help(help),
                );
                None
            }
            Err(reason) => {
                self.push(Problem::new(path, format!("{value:?} {reason}")).help(help));
                None
            }
        }
    }

    fn probe(
        &mut self,
        path: &str,
        probe: Option<&spec::Probe>,
        delay: u32,
        period: u32,
    ) -> Option<model::Probe> {
        let probe = probe.cloned().unwrap_or_default();
        if let Some(http_path) = &probe.path {
            self.check(
                &format!("{path}.path"),
                http_path,
                formats::http_path(http_path),
                "write an HTTP path such as /healthz",
            )
            .then_some(())?;
        }
        let period_seconds = probe.period_seconds.unwrap_or(period);
        if !(1..=3600).contains(&period_seconds) {
            self.push(
                Problem::new(
                    format!("{path}.periodSeconds"),
                    format!("{period_seconds} is out of range"),
                )
                .help("use 1 to 3600 seconds"),
            );
            return None;
        }
        let initial_delay_seconds = probe.initial_delay_seconds.unwrap_or(delay);
        if initial_delay_seconds > 3600 {
            self.push(
                Problem::new(
                    format!("{path}.initialDelaySeconds"),
                    format!("{initial_delay_seconds} is out of range"),
                )
                .help("use 0 to 3600 seconds"),
            );
            return None;
        }
        Some(model::Probe {
            path: probe.path,
            initial_delay_seconds,
            period_seconds,
        })
    }

    fn api_access(&mut self, api: &spec::KubernetesApi) -> Option<model::ApiAccess> {
        if api.rules.is_empty() {
            if api.api_server.is_some() || api.token.is_some() {
                self.push(
                    Problem::new("kubernetesApi.rules", "is empty, so the API server settings would grant a token and egress nobody uses")
                        .help("add the rules the app needs, or remove the kubernetesApi section"),
                );
            }
            return None;
        }
        let mut rules = Vec::new();
        let mut grants_secrets = false;
        for (i, rule) in api.rules.iter().enumerate() {
            let path = format!("kubernetesApi.rules[{i}]");
            let mut ok = true;
            if rule.resources.is_empty() {
                self.push(
                    Problem::new(format!("{path}.resources"), "is empty")
                        .help("list the resources, e.g. [configmaps]"),
                );
                ok = false;
            }
            if rule.verbs.is_empty() {
                self.push(
                    Problem::new(format!("{path}.verbs"), "is empty")
                        .help("list the verbs, e.g. [get, list]"),
                );
                ok = false;
            }
            for (j, group) in rule.api_groups.iter().enumerate() {
                if group == "*" {
                    self.push(
                        Problem::new(
                            format!("{path}.apiGroups[{j}]"),
                            "\"*\" grants every API group",
                        )
                        .help("name the API groups; \"\" is the core group"),
                    );
                    ok = false;
                } else if !group.is_empty() {
                    ok &= self.check(
                        &format!("{path}.apiGroups[{j}]"),
                        group,
                        formats::dns1123_subdomain(group),
                        "use an API group name such as apps, or \"\" for the core group",
                    );
                }
            }
            for (j, resource) in rule.resources.iter().enumerate() {
                let field = format!("{path}.resources[{j}]");
                if resource.contains('*') {
                    self.push(
                        Problem::new(field, format!("{resource:?} is a wildcard"))
                            .help("name each resource the app needs"),
                    );
                    ok = false;
                    continue;
                }
                let (base, sub) = resource.split_once('/').unwrap_or((resource, ""));
                let valid = formats::dns1123_label(base).is_ok()
                    && (sub.is_empty() || formats::dns1123_label(sub).is_ok());
                if !valid {
                    self.push(
                        Problem::new(field, format!("{resource:?} is not a resource name")).help(
                            "use a lowercase plural resource name such as configmaps or pods/log",
                        ),
                    );
                    ok = false;
                }
                if base == "secrets"
                    && (rule.api_groups.is_empty() || rule.api_groups.iter().any(|g| g.is_empty()))
                {
                    grants_secrets = true;
                }
            }
            for (j, verb) in rule.verbs.iter().enumerate() {
                if !RBAC_VERBS.contains(&verb.as_str()) {
                    self.push(
                        Problem::new(format!("{path}.verbs[{j}]"), format!("{verb:?} is not a verb harden grants"))
                            .help(format!("use some of: {} (wildcards, escalate, bind and impersonate are never granted)", RBAC_VERBS.join(", "))),
                    );
                    ok = false;
                }
            }
            for (j, resource_name) in rule.resource_names.iter().enumerate() {
                ok &= self.check(
                    &format!("{path}.resourceNames[{j}]"),
                    resource_name,
                    formats::dns1123_subdomain(resource_name),
                    "use object names (DNS-1123 subdomains)",
                );
            }
            if ok {
                rules.push(model::Rule {
                    api_groups: if rule.api_groups.is_empty() {
                        vec![String::new()]
                    } else {
                        rule.api_groups.clone()
                    },
                    resources: rule.resources.clone(),
                    resource_names: rule.resource_names.clone(),
                    verbs: rule.verbs.clone(),
                });
            }
        }
        let server = self.required(
            &api.api_server,
            "kubernetesApi.apiServer",
            "give the API server endpoint range for egress, e.g. apiServer: {cidr: 172.18.0.2/32, port: 6443} (see `kubectl get endpoints kubernetes -n default`)",
        );
        let (cidr, port) = match server {
            Some(server) => {
                let cidr = self
                    .required(
                        &server.cidr,
                        "kubernetesApi.apiServer.cidr",
                        "give the API server endpoint address as a CIDR, e.g. 172.18.0.2/32",
                    )
                    .and_then(|cidr| {
                        self.check(
                            "kubernetesApi.apiServer.cidr",
                            cidr,
                            formats::cidr(cidr).map(|_| ()),
                            "write a CIDR with no host bits set, e.g. 172.18.0.2/32",
                        )
                        .then(|| cidr.clone())
                    });
                let port = server.port.unwrap_or(443);
                let port = if (1..=65535).contains(&port) {
                    Some(port)
                } else {
                    self.push(
                        Problem::new(
                            "kubernetesApi.apiServer.port",
                            format!("{port} is out of range"),
                        )
                        .help("use the API server's endpoint port, usually 443 or 6443"),
                    );
                    None
                };
                (cidr, port)
            }
            None => (None, None),
        };
        let token = api.token.clone().unwrap_or_default();
        let expiration_seconds = token
            .expiration_seconds
            .unwrap_or(model::DEFAULT_TOKEN_EXPIRATION);
        if !(600..=86_400).contains(&expiration_seconds) {
            self.push(
                Problem::new(
                    "kubernetesApi.token.expirationSeconds",
                    format!("{expiration_seconds} is out of range"),
                )
                .help("use 600 (the Kubernetes minimum) to 86400 seconds"),
            );
        }
        if let Some(audience) = &token.audience {
            self.check(
                "kubernetesApi.token.audience",
                audience,
                formats::plain_text(audience),
                "write the audience on one line",
            );
        }
        if rules.len() != api.rules.len() {
            return None;
        }
        Some(model::ApiAccess {
            api_server_cidr: cidr?,
            api_server_port: port?,
            audience: token.audience,
            expiration_seconds,
            rules,
            grants_secrets,
        })
    }

    fn secrets(
        &mut self,
        secrets: &spec::Secrets,
        app: &str,
        workload: Option<&model::Workload>,
    ) -> Option<model::Secrets> {
        let source = secrets.source.as_deref().unwrap_or("externalSecrets");
        let mut ok = true;
        if !matches!(source, "externalSecrets" | "manual") {
            self.push(
                Problem::new(
                    "secrets.source",
                    format!("{source:?} is not a secret source"),
                )
                .help("use externalSecrets (External Secrets Operator) or manual"),
            );
            ok = false;
        }
        let (store_name, store_kind) = if source == "externalSecrets" {
            match &secrets.store {
                None => {
                    self.push(Problem::new("secrets.store", "is required when secrets come from External Secrets").help("name the store: store: {name: vault-backend, kind: ClusterSecretStore}"));
                    (None, None)
                }
                Some(store) => {
                    let name = self
                        .required(
                            &store.name,
                            "secrets.store.name",
                            "name the SecretStore or ClusterSecretStore",
                        )
                        .and_then(|name| {
                            self.check(
                                "secrets.store.name",
                                name,
                                formats::dns1123_subdomain(name),
                                "use the store's object name",
                            )
                            .then(|| name.clone())
                        });
                    let kind = store
                        .kind
                        .clone()
                        .unwrap_or_else(|| "ClusterSecretStore".to_string());
                    if !matches!(kind.as_str(), "SecretStore" | "ClusterSecretStore") {
                        self.push(
                            Problem::new(
                                "secrets.store.kind",
                                format!("{kind:?} is not a store kind"),
                            )
                            .help("use SecretStore or ClusterSecretStore"),
                        );
                        ok = false;
                    }
                    ok &= name.is_some();
                    (name, Some(kind))
                }
            }
        } else {
            if secrets.store.is_some() {
                self.push(
                    Problem::new("secrets.store", "is set but secrets.source is manual")
                        .help("remove the store, or use source: externalSecrets"),
                );
                ok = false;
            }
            (None, None)
        };
        let refresh_interval = secrets
            .refresh_interval
            .clone()
            .unwrap_or_else(|| model::DEFAULT_REFRESH_INTERVAL.to_string());
        ok &= self.check(
            "secrets.refreshInterval",
            &refresh_interval,
            formats::go_duration(&refresh_interval),
            "write a duration such as 1h or 15m",
        );
        let mount_path = secrets
            .mount_path
            .clone()
            .unwrap_or_else(|| model::DEFAULT_SECRET_MOUNT.to_string());
        if self.check(
            "secrets.mountPath",
            &mount_path,
            formats::mount_path(&mount_path).and_then(|()| formats::unreserved_mount(&mount_path)),
            "use an absolute directory of its own such as /secrets",
        ) {
            if let Some(conflict) = workload.and_then(|w| {
                w.writable_paths.iter().find(|p| {
                    formats::path_within(&p.path, &mount_path)
                        || formats::path_within(&mount_path, &p.path)
                })
            }) {
                self.push(
                    Problem::new(
                        "secrets.mountPath",
                        format!(
                            "{mount_path:?} overlaps the writable path {:?}",
                            conflict.path
                        ),
                    )
                    .help("mount secrets in a directory of their own"),
                );
                ok = false;
            }
        } else {
            ok = false;
        }
        if secrets.keys.is_empty() {
            self.push(
                Problem::new("secrets.keys", "is empty")
                    .help("list the secret keys the app reads, or remove the secrets section"),
            );
            ok = false;
        }
        let mut keys = Vec::new();
        let mut seen = BTreeSet::new();
        for (i, key) in secrets.keys.iter().enumerate() {
            let path = format!("secrets.keys[{i}]");
            let Some(name) = self.required(
                &key.name,
                &format!("{path}.name"),
                "name the key; it becomes the file name under the mount path",
            ) else {
                ok = false;
                continue;
            };
            if !self.check(
                &format!("{path}.name"),
                name,
                formats::secret_key(name),
                "use letters, digits, '-', '_' and '.'",
            ) {
                ok = false;
                continue;
            }
            if !seen.insert(name.clone()) {
                self.push(
                    Problem::new(format!("{path}.name"), format!("{name:?} is listed twice"))
                        .help("list each key once"),
                );
                ok = false;
            }
            if source == "manual" && (key.remote_key.is_some() || key.property.is_some()) {
                self.push(
                    Problem::new(
                        &path,
                        "remoteKey and property apply only to externalSecrets",
                    )
                    .help("remove them, or use source: externalSecrets"),
                );
                ok = false;
            }
            let remote_key = key
                .remote_key
                .clone()
                .unwrap_or_else(|| format!("{app}/{name}"));
            ok &= self.check(
                &format!("{path}.remoteKey"),
                &remote_key,
                formats::plain_text(&remote_key),
                "write the store key on one line",
            );
            if let Some(property) = &key.property {
                ok &= self.check(
                    &format!("{path}.property"),
                    property,
                    formats::plain_text(property),
                    "write the property on one line",
                );
            }
            keys.push(model::SecretKey {
                name: name.clone(),
                remote_key,
                property: key.property.clone(),
            });
        }
        ok.then(|| model::Secrets {
            source: source.to_string(),
            secret_name: format!("{app}-secrets"),
            store_name,
            store_kind,
            refresh_interval,
            mount_path,
            keys,
        })
    }

    fn dapr_peers(
        &mut self,
        path: &str,
        peers: &[spec::DaprPeer],
        namespace: &str,
    ) -> Vec<model::DaprPeer> {
        let mut resolved = Vec::new();
        for (i, peer) in peers.iter().enumerate() {
            let field = format!("{path}[{i}]");
            let Some(app_id) = self.required(
                &peer.app_id,
                &format!("{field}.appId"),
                "give the peer's Dapr app-id",
            ) else {
                continue;
            };
            if !self.check(
                &format!("{field}.appId"),
                app_id,
                formats::dns1123_label(app_id),
                "use a DNS-1123 label",
            ) {
                continue;
            }
            let peer_namespace = peer
                .namespace
                .clone()
                .unwrap_or_else(|| namespace.to_string());
            if !self.namespace(&format!("{field}.namespace"), &peer_namespace) {
                continue;
            }
            let entry = model::DaprPeer {
                app_id: app_id.clone(),
                namespace: peer_namespace,
            };
            if resolved.contains(&entry) {
                self.push(
                    Problem::new(field, format!("{app_id:?} is listed twice"))
                        .help("list each peer once"),
                );
                continue;
            }
            resolved.push(entry);
        }
        resolved
    }

    fn dapr(
        &mut self,
        dapr: &spec::Dapr,
        name: &str,
        namespace: &str,
        secrets: Option<&model::Secrets>,
    ) -> Option<model::Dapr> {
        let app_id = dapr.app_id.clone().unwrap_or_else(|| name.to_string());
        let mut ok = self.check(
            "dapr.appId",
            &app_id,
            formats::dns1123_label(&app_id),
            "use a DNS-1123 label (it names the app's Dapr Service)",
        );
        let control_plane_namespace = dapr
            .control_plane_namespace
            .clone()
            .unwrap_or_else(|| dapr::DEFAULT_CONTROL_PLANE_NAMESPACE.to_string());
        ok &= self.namespace("dapr.controlPlaneNamespace", &control_plane_namespace);
        if control_plane_namespace == namespace {
            self.push(
                Problem::new("dapr.controlPlaneNamespace", "is the app's own namespace")
                    .help("run the app outside the Dapr control-plane namespace"),
            );
            ok = false;
        }
        let version = match &dapr.version {
            None => dapr::Version::DEFAULT,
            Some(text) => match dapr::Version::parse(text) {
                Some(version) => version,
                None => {
                    let supported: Vec<&str> =
                        dapr::Version::SUPPORTED.iter().map(|(n, _)| *n).collect();
                    self.push(
                        Problem::new(
                            "dapr.version",
                            format!("{text:?} is not a supported Dapr version"),
                        )
                        .help(format!(
                            "write the control plane's minor version: one of {}",
                            supported.join(", ")
                        )),
                    );
                    ok = false;
                    dapr::Version::DEFAULT
                }
            },
        };
        let invoked_by = self.dapr_peers("dapr.invokedBy", &dapr.invoked_by, namespace);
        let invokes = self.dapr_peers("dapr.invokes", &dapr.invokes, namespace);
        ok &= invoked_by.len() == dapr.invoked_by.len() && invokes.len() == dapr.invokes.len();
        let mut components = Vec::new();
        let mut names = BTreeSet::new();
        for (i, component) in dapr.components.iter().enumerate() {
            match self.component(
                &format!("dapr.components[{i}]"),
                component,
                &app_id,
                secrets,
            ) {
                Some(component) => {
                    if !names.insert(component.name.clone()) {
                        self.push(
                            Problem::new(
                                format!("dapr.components[{i}].name"),
                                format!("{:?} is used twice", component.name),
                            )
                            .help("give each component its own name"),
                        );
                        ok = false;
                    }
                    components.push(component);
                }
                None => ok = false,
            }
        }
        if let Some(secret) = &dapr.api_token_secret {
            ok &= self.check(
                "dapr.apiTokenSecret",
                secret,
                formats::dns1123_subdomain(secret),
                "name the Secret that holds the token under the key token",
            );
        }
        ok.then(|| model::Dapr {
            version: version.name().to_string(),
            disable_placement: dapr::disable_placement(version, dapr.actors),
            api_token_secret: dapr.api_token_secret.clone(),
            config_name: format!("{name}-dapr-config"),
            app_id,
            api_logging: dapr.api_logging.unwrap_or(true),
            control_plane_namespace,
            actors: dapr.actors,
            invoked_by,
            invokes,
            components,
        })
    }

    fn component(
        &mut self,
        path: &str,
        component: &spec::DaprComponent,
        app_id: &str,
        secrets: Option<&model::Secrets>,
    ) -> Option<model::Component> {
        let mut ok = true;
        let name = self
            .required(
                &component.name,
                &format!("{path}.name"),
                "name the component, e.g. statestore",
            )
            .and_then(|name| {
                self.check(
                    &format!("{path}.name"),
                    name,
                    formats::dns1123_subdomain(name),
                    "use a DNS-1123 name such as statestore",
                )
                .then(|| name.clone())
            });
        let component_type = self
            .required(
                &component.component_type,
                &format!("{path}.type"),
                "give the component type, e.g. state.redis",
            )
            .and_then(|t| {
                let valid = t.split('.').count() >= 2
                    && t.split('.')
                        .all(|part| formats::dns1123_label(part).is_ok());
                if valid {
                    Some(t.clone())
                } else {
                    self.push(
                        Problem::new(
                            format!("{path}.type"),
                            format!("{t:?} is not a Dapr component type"),
                        )
                        .help("write <building block>.<name>, e.g. state.redis or pubsub.kafka"),
                    );
                    None
                }
            });
        let version = component
            .version
            .clone()
            .unwrap_or_else(|| "v1".to_string());
        let version_ok = version.strip_prefix('v').is_some_and(|rest| {
            let digits = rest.chars().take_while(char::is_ascii_digit).count();
            let suffix = &rest[digits..];
            digits > 0
                && (suffix.is_empty()
                    || ["alpha", "beta"].iter().any(|s| {
                        suffix
                            .strip_prefix(s)
                            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
                    }))
        });
        if !version_ok {
            self.push(
                Problem::new(
                    format!("{path}.version"),
                    format!("{version:?} is not a component version"),
                )
                .help("write v1, v2 or v1alpha1"),
            );
            ok = false;
        }
        let mut metadata = Vec::new();
        for (key, value) in &component.metadata {
            let field = format!("{path}.metadata.{key}");
            ok &= self.metadata_key(&field, key);
            let lowered = key.to_ascii_lowercase();
            if SECRET_LOOKING_KEYS.iter().any(|s| lowered.contains(s)) {
                self.push(
                    Problem::new(&field, "looks like a credential written in plain metadata")
                        .help(format!("move it to secretMetadata: {{{key}: {{key: <secret key>}}}} so its value stays in a Secret")),
                );
                ok = false;
            }
            ok &= self.check(
                &field,
                value,
                formats::plain_text(value),
                "write the value on one line",
            );
            metadata.push((key.clone(), value.clone()));
        }
        let mut secret_metadata = Vec::new();
        for (key, reference) in &component.secret_metadata {
            let field = format!("{path}.secretMetadata.{key}");
            ok &= self.metadata_key(&field, key);
            if component.metadata.contains_key(key) {
                self.push(
                    Problem::new(&field, format!("{key:?} is also in metadata"))
                        .help("keep it in one of metadata or secretMetadata"),
                );
                ok = false;
            }
            let Some(secret_key) = self.required(
                &reference.key,
                &format!("{field}.key"),
                "name the key inside the Secret",
            ) else {
                ok = false;
                continue;
            };
            ok &= self.check(
                &format!("{field}.key"),
                secret_key,
                formats::secret_key(secret_key),
                "use letters, digits, '-', '_' and '.'",
            );
            let secret = match &reference.secret {
                Some(secret) => {
                    ok &= self.check(
                        &format!("{field}.secret"),
                        secret,
                        formats::dns1123_subdomain(secret),
                        "use the Secret's object name",
                    );
                    secret.clone()
                }
                None => match secrets {
                    Some(secrets) => {
                        if !secrets.keys.iter().any(|k| k.name == *secret_key) {
                            self.push(
                                Problem::new(format!("{field}.key"), format!("{secret_key:?} is not one of the app's secret keys"))
                                    .help("add it to secrets.keys, or name another Secret with secretMetadata.<key>.secret"),
                            );
                            ok = false;
                        }
                        secrets.secret_name.clone()
                    }
                    None => {
                        self.push(
                            Problem::new(&field, "refers to the app's secret, but the spec declares no secrets")
                                .help("declare the key under secrets.keys, or name an existing Secret with secret:"),
                        );
                        ok = false;
                        continue;
                    }
                },
            };
            secret_metadata.push(model::SecretMetadata {
                name: key.clone(),
                secret,
                key: secret_key.clone(),
            });
        }
        let scopes = match &component.scopes {
            None => vec![app_id.to_string()],
            Some(scopes) if scopes.is_empty() => {
                self.push(
                    Problem::new(format!("{path}.scopes"), "is empty, which lets every app-id in the namespace use the component")
                        .help(format!("list the app-ids that may use it, e.g. [{app_id}], or omit scopes for this app only")),
                );
                ok = false;
                Vec::new()
            }
            Some(scopes) => {
                let mut resolved = BTreeSet::new();
                for (i, scope) in scopes.iter().enumerate() {
                    ok &= self.check(
                        &format!("{path}.scopes[{i}]"),
                        scope,
                        formats::dns1123_label(scope),
                        "use a Dapr app-id",
                    );
                    resolved.insert(scope.clone());
                }
                resolved.into_iter().collect()
            }
        };
        if ok {
            Some(model::Component {
                name: name?,
                component_type: component_type?,
                version,
                metadata,
                secret_metadata,
                scopes,
            })
        } else {
            None
        }
    }

    fn metadata_key(&mut self, path: &str, key: &str) -> bool {
        let valid = key.starts_with(|c: char| c.is_ascii_alphabetic())
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !valid {
            self.push(
                Problem::new(path, format!("{key:?} is not a metadata name"))
                    .help("start with a letter; use letters, digits, '_', '-' and '.'"),
            );
        }
        valid
    }

    fn ports(&mut self, path: &str, ports: &[spec::PortRule]) -> Option<Vec<model::Port>> {
        let mut resolved = Vec::new();
        let mut ok = true;
        for (i, rule) in ports.iter().enumerate() {
            let field = format!("{path}[{i}]");
            let Some(port) =
                self.required(&rule.port, &format!("{field}.port"), "give the port number")
            else {
                ok = false;
                continue;
            };
            if !(1..=65535).contains(port) {
                self.push(
                    Problem::new(format!("{field}.port"), format!("{port} is out of range"))
                        .help("use a port from 1 to 65535"),
                );
                ok = false;
                continue;
            }
            let protocol = rule.protocol.clone().unwrap_or_else(|| "TCP".to_string());
            if !matches!(protocol.as_str(), "TCP" | "UDP" | "SCTP") {
                self.push(
                    Problem::new(
                        format!("{field}.protocol"),
                        format!("{protocol:?} is not a protocol"),
                    )
                    .help("use TCP, UDP or SCTP"),
                );
                ok = false;
                continue;
            }
            let entry = model::Port {
                port: *port,
                protocol,
            };
            if resolved.contains(&entry) {
                self.push(
                    Problem::new(field, format!("{port}/{} is listed twice", entry.protocol))
                        .help("list each port once"),
                );
                ok = false;
                continue;
            }
            resolved.push(entry);
        }
        ok.then_some(resolved)
    }

    fn pod_labels(&mut self, path: &str, labels: &BTreeMap<String, String>) -> bool {
        let mut ok = true;
        for (key, value) in labels {
            let field = format!("{path}.{key}");
            ok &= self.check(
                &field,
                key,
                formats::label_key(key),
                "use a label key such as app.kubernetes.io/name",
            );
            ok &= self.check(
                &field,
                value,
                formats::label_value(value),
                "use a label value: up to 63 letters, digits, '-', '_' or '.'",
            );
        }
        ok
    }

    fn network(
        &mut self,
        spec: &Spec,
        namespace: &str,
        app: &str,
        app_port: Option<u32>,
        api: Option<&model::ApiAccess>,
        dapr: Option<&model::Dapr>,
    ) -> model::Network {
        let mut ingress = Vec::new();
        let mut egress = Vec::new();
        let mut names = BTreeSet::new();
        let mut host_flows = Vec::new();
        let mut host_names = BTreeMap::new();
        let enforcement = self.enforcement(spec);
        for (i, rule) in spec.ingress.iter().enumerate() {
            let path = format!("ingress[{i}]");
            if self.unresolved_app(&path, rule.app.as_deref()) {
                continue;
            }
            let peer_namespace = rule
                .namespace
                .clone()
                .unwrap_or_else(|| namespace.to_string());
            let name = rule
                .name
                .clone()
                .unwrap_or_else(|| format!("from-{peer_namespace}"));
            let mut ok = self.namespace(&format!("{path}.namespace"), &peer_namespace);
            // A derived name is only as good as the namespace it comes from.
            if rule.name.is_some() || ok {
                ok &= self.flow_name(&format!("{path}.name"), &name, &mut names);
            }
            ok &= self.pod_labels(&format!("{path}.podLabels"), &rule.pod_labels);
            let ports = if rule.ports.is_empty() {
                app_port.map(|p| vec![model::Port::tcp(p)])
            } else {
                self.ports(&format!("{path}.ports"), &rule.ports)
            };
            if let (Some(ports), Some(app_port)) = (&ports, app_port) {
                for (j, port) in ports.iter().enumerate() {
                    if port.port != app_port {
                        self.push(
                            Problem::new(format!("{path}.ports[{j}].port"), format!("{} is not a port of the app", port.port))
                                .help(format!("callers can reach only the app port {app_port}; omit ports to use it")),
                        );
                        ok = false;
                    }
                }
            }
            if let (true, Some(ports)) = (ok, ports) {
                ingress.push(model::Flow {
                    reason: format!("caller {name}, declared in the spec"),
                    name,
                    peer: pods_peer(&peer_namespace, namespace, &rule.pod_labels),
                    ports,
                });
            }
        }
        for (i, rule) in spec.egress.iter().enumerate() {
            let path = format!("egress[{i}]");
            if self.unresolved_app(&path, rule.app.as_deref()) {
                continue;
            }
            let Some(name) = self.required(
                &rule.name,
                &format!("{path}.name"),
                "name the destination, e.g. name: redis",
            ) else {
                continue;
            };
            let mut ok = self.flow_name(&format!("{path}.name"), name, &mut names);
            let ports = if rule.ports.is_empty() {
                self.push(
                    Problem::new(format!("{path}.ports"), "is empty")
                        .help("list the destination ports, e.g. ports: [{port: 6379}]"),
                );
                None
            } else {
                self.ports(&format!("{path}.ports"), &rule.ports)
            };
            if !rule.hosts.is_empty() {
                let explicit = spec
                    .network
                    .as_ref()
                    .is_some_and(|n| n.enforcement.is_some());
                ok &= self.host_rule(
                    &path,
                    rule,
                    enforcement.as_deref(),
                    explicit,
                    &mut host_names,
                );
                if let (true, Some(ports)) = (ok, ports) {
                    host_flows.push(model::HostFlow {
                        reason: format!("destination {name}, declared in the spec"),
                        name: name.clone(),
                        hosts: rule
                            .hosts
                            .iter()
                            .map(|h| model::HostName {
                                name: h.clone(),
                                wildcard: h.starts_with("*."),
                            })
                            .collect(),
                        ports,
                    });
                }
                continue;
            }
            let peer = match &rule.cidr {
                Some(cidr_text) => {
                    if rule.namespace.is_some() || !rule.pod_labels.is_empty() {
                        self.push(Problem::new(&path, "sets both cidr and namespace/podLabels").help("a destination is either pods (namespace, podLabels) or a network (cidr); split it in two"));
                        ok = false;
                    }
                    match formats::cidr(cidr_text) {
                        Err(reason) => {
                            self.push(
                                Problem::new(
                                    format!("{path}.cidr"),
                                    format!("{cidr_text:?} {reason}"),
                                )
                                .help("write a CIDR such as 10.20.0.0/16"),
                            );
                            ok = false;
                        }
                        Ok(outer) => {
                            for (j, except) in rule.except.iter().enumerate() {
                                match formats::cidr(except) {
                                    Ok(inner) if outer.contains(&inner) && inner != outer => {}
                                    Ok(_) => {
                                        self.push(Problem::new(format!("{path}.except[{j}]"), format!("{except:?} is not strictly inside {cidr_text:?}")).help("list only ranges inside the cidr"));
                                        ok = false;
                                    }
                                    Err(reason) => {
                                        self.push(
                                            Problem::new(
                                                format!("{path}.except[{j}]"),
                                                format!("{except:?} {reason}"),
                                            )
                                            .help("write a CIDR such as 10.20.1.0/24"),
                                        );
                                        ok = false;
                                    }
                                }
                            }
                        }
                    }
                    model::Peer {
                        namespace: None,
                        same_namespace: false,
                        pod_labels: Vec::new(),
                        cidr: Some(cidr_text.clone()),
                        except: rule.except.clone(),
                        app_itself: false,
                    }
                }
                None => {
                    if !rule.except.is_empty() {
                        self.push(
                            Problem::new(
                                format!("{path}.except"),
                                "applies only to a cidr destination",
                            )
                            .help("remove except, or give a cidr"),
                        );
                        ok = false;
                    }
                    let peer_namespace = rule
                        .namespace
                        .clone()
                        .unwrap_or_else(|| namespace.to_string());
                    ok &= self.namespace(&format!("{path}.namespace"), &peer_namespace);
                    ok &= self.pod_labels(&format!("{path}.podLabels"), &rule.pod_labels);
                    if rule.namespace.is_none() && rule.pod_labels.is_empty() {
                        self.push(
                            Problem::new(&path, "names no destination")
                                .help("give podLabels (and a namespace when the pods are elsewhere), or a cidr"),
                        );
                        ok = false;
                    }
                    pods_peer(&peer_namespace, namespace, &rule.pod_labels)
                }
            };
            if let (true, Some(ports)) = (ok, ports) {
                egress.push(model::Flow {
                    reason: format!("destination {name}, declared in the spec"),
                    name: name.clone(),
                    peer,
                    ports,
                });
            }
        }
        if let Some(api) = api {
            egress.push(model::Flow {
                name: "kubernetes-api".to_string(),
                reason: "the API server, for the granted RBAC rules".to_string(),
                peer: model::Peer {
                    namespace: None,
                    same_namespace: false,
                    pod_labels: Vec::new(),
                    cidr: Some(api.api_server_cidr.clone()),
                    except: Vec::new(),
                    app_itself: false,
                },
                ports: vec![model::Port::tcp(api.api_server_port)],
            });
        }
        if let Some(dapr) = dapr {
            let version = dapr::Version::parse(&dapr.version).unwrap_or(dapr::Version::DEFAULT);
            for service in dapr::dialled(version, dapr.actors) {
                egress.push(model::Flow {
                    name: service.flow.to_string(),
                    reason: service.reason.to_string(),
                    peer: pods_peer(
                        &dapr.control_plane_namespace,
                        namespace,
                        &BTreeMap::from([(
                            dapr::CONTROL_PLANE_LABEL.to_string(),
                            service.app_label.to_string(),
                        )]),
                    ),
                    ports: vec![model::Port::tcp(service.port)],
                });
            }
            if dapr.actors {
                // Placement hands out <pod IP>:<internal gRPC port> as each
                // actor host, so replicas call each other sidecar to sidecar
                // (workflows too); Dapr access control does not apply there.
                let own_pods = model::Peer {
                    app_itself: true,
                    ..pods_peer(
                        namespace,
                        namespace,
                        &BTreeMap::from([(names::APP_NAME_LABEL.to_string(), app.to_string())]),
                    )
                };
                for (direction, flows) in [("from", &mut ingress), ("to", &mut egress)] {
                    flows.push(model::Flow {
                        name: format!("dapr-actors-{direction}-replicas"),
                        reason: format!(
                            "Dapr actors and workflows: calls {direction} the app's other replicas, sidecar to sidecar"
                        ),
                        peer: own_pods.clone(),
                        ports: vec![model::Port::tcp(dapr::SIDECAR_INTERNAL_GRPC_PORT)],
                    });
                }
            }
            for peer in &dapr.invoked_by {
                ingress.push(dapr_flow("from", peer, namespace));
            }
            for peer in &dapr.invokes {
                egress.push(dapr_flow("to", peer, namespace));
            }
        }
        let mut peer_policies = Vec::new();
        for (direction, flows) in [("Egress", &ingress), ("Ingress", &egress)] {
            for flow in flows
                .iter()
                .filter(|f| f.peer.same_namespace && !f.peer.app_itself)
            {
                peer_policies.push(model::PeerPolicy {
                    name: format!("{app}-peer-{}", flow.name),
                    flow: flow.name.clone(),
                    direction: direction.to_string(),
                    pod_labels: flow.peer.pod_labels.clone(),
                    ports: flow.ports.clone(),
                    allow_dns: direction == "Egress",
                    // Short enough for a 120-column line (yamllint).
                    waiver: format!(
                        "{}: the other end of a declared flow; those pods are deployed apart",
                        crate::netpol::analysis::SELECTS_NOTHING
                    ),
                });
            }
        }
        let mut dns_filter = Vec::new();
        let mut unlisted_host = None;
        if !host_flows.is_empty() {
            let mut namespaces = vec![(namespace.to_string(), "the app's namespace".to_string())];
            if let Some(dapr) = dapr {
                namespaces.push((
                    dapr.control_plane_namespace.clone(),
                    "the Dapr control plane".to_string(),
                ));
            }
            for flow in egress.iter().filter(|f| f.peer.cidr.is_none()) {
                if let Some(peer_namespace) = &flow.peer.namespace {
                    namespaces.push((peer_namespace.clone(), format!("egress {}", flow.name)));
                }
            }
            dns_filter = hosts::dns_filter(namespace, &namespaces, &host_flows);
            unlisted_host = Some(hosts::unlisted_host(&host_flows));
        }
        model::Network {
            enforcement: enforcement.unwrap_or_else(|| "kubernetes".to_string()),
            ingress,
            egress,
            peer_policies,
            hosts: host_flows,
            dns_filter,
            unlisted_host,
        }
    }

    /// `network.enforcement`: `kubernetes` (the default) or `cilium`. `None`
    /// when it is invalid (reported).
    fn enforcement(&mut self, spec: &Spec) -> Option<String> {
        let value = spec
            .network
            .as_ref()
            .and_then(|n| n.enforcement.clone())
            .unwrap_or_else(|| "kubernetes".to_string());
        if matches!(value.as_str(), "kubernetes" | "cilium") {
            Some(value)
        } else {
            self.push(
                Problem::new(
                    "network.enforcement",
                    format!("{value:?} is not an enforcement this harden knows"),
                )
                .help("use kubernetes (NetworkPolicies, any CNI) or cilium (adds CiliumNetworkPolicies for egress by hostname)"),
            );
            None
        }
    }

    /// An egress rule with `hosts`: nothing else names the destination, every
    /// name is valid and listed once, and the enforcement can match names.
    fn host_rule(
        &mut self,
        path: &str,
        rule: &spec::EgressRule,
        enforcement: Option<&str>,
        explicit: bool,
        seen: &mut BTreeMap<String, String>,
    ) -> bool {
        let mut ok = true;
        let mut others = Vec::new();
        if rule.cidr.is_some() {
            others.push("cidr");
        }
        if !rule.except.is_empty() {
            others.push("except");
        }
        if rule.namespace.is_some() {
            others.push("namespace");
        }
        if !rule.pod_labels.is_empty() {
            others.push("podLabels");
        }
        if !others.is_empty() {
            self.push(
                Problem::new(path, format!("sets both hosts and {}", others.join(", ")))
                    .help("a destination is either names (hosts), pods (namespace, podLabels) or a network (cidr); split it into one rule each"),
            );
            ok = false;
        }
        for (j, entry) in rule.hosts.iter().enumerate() {
            let field = format!("{path}.hosts[{j}]");
            match hosts::host(entry) {
                Ok(_) => {
                    if let Some(first) = seen.insert(entry.clone(), field.clone()) {
                        self.push(
                            Problem::new(&field, format!("{entry:?} is already listed at {first}"))
                                .help("list each name once"),
                        );
                        seen.insert(entry.clone(), first);
                        ok = false;
                    }
                }
                Err(reason) => {
                    let help = if reason.contains("inside the cluster") {
                        "select the pods instead: namespace and podLabels in a rule of their own"
                            .to_string()
                    } else if reason.contains("IP address") {
                        format!(
                            "addresses belong in cidr: give this destination its own rule with cidr: {}",
                            if entry.contains(':') {
                                format!("{entry}/128")
                            } else {
                                format!("{entry}/32")
                            }
                        )
                    } else {
                        "write a DNS name in lowercase, such as api.stripe.com, or *.example.com for any one label under example.com".to_string()
                    };
                    self.push(Problem::new(&field, format!("{entry:?} {reason}")).help(help));
                    ok = false;
                }
            }
        }
        if enforcement == Some("kubernetes") {
            self.push(
                Problem::new(
                    format!("{path}.hosts"),
                    format!("names hosts, but network.enforcement is kubernetes{}: a Kubernetes NetworkPolicy matches only pods and IP ranges (ipBlock), never a DNS name, so it cannot enforce this rule", if explicit { "" } else { " (the default)" }),
                )
                .help("set network.enforcement: cilium to enforce the names with a CiliumNetworkPolicy (Cilium learns each name's addresses from its DNS answers), or replace hosts with the destination's address ranges in cidr; harden never opens 0.0.0.0/0 instead"),
            );
            ok = false;
        }
        ok
    }

    /// An `app:` reference left unresolved: [`crate::system`] rewrites them
    /// when it compiles the specs together, so one here means the spec was
    /// read alone.
    fn unresolved_app(&mut self, path: &str, app: Option<&str>) -> bool {
        let Some(app) = app else { return false };
        self.push(
            Problem::new(
                format!("{path}.app"),
                format!("{app:?} names another service; validate or render the workspace (the directory holding both specs)"),
            )
            .help(format!(
                "run `harden validate DIR` (or render) on the directory holding this spec and {app}'s, \
                 or write the namespace and podLabels of {app}'s pods instead of app"
            )),
        );
        true
    }

    fn flow_name(&mut self, path: &str, name: &str, names: &mut BTreeSet<String>) -> bool {
        if !self.check(
            path,
            name,
            formats::dns1123_label(name),
            "use a short DNS-1123 label such as redis",
        ) {
            return false;
        }
        if name.starts_with("dapr-") || name == "kubernetes-api" {
            self.push(
                Problem::new(
                    path,
                    format!("{name:?} is reserved for flows harden adds itself"),
                )
                .help("choose another name"),
            );
            return false;
        }
        if !names.insert(name.to_string()) {
            self.push(
                Problem::new(
                    path,
                    format!("{name:?} is used by another ingress or egress rule"),
                )
                .help("give each rule its own name"),
            );
            return false;
        }
        true
    }
}

/// The destination the penetration test uses to prove egress is limited to
/// declared ports: a declared pod destination if any, else a single-address
/// CIDR (such as the API server), else Dapr Sentry.
fn reach_target(network: &model::Network) -> Option<model::ReachTarget> {
    let single_host = |flow: &model::Flow| {
        let cidr = flow.peer.cidr.as_deref()?;
        let (address, prefix) = cidr.split_once('/')?;
        (prefix == "32" || prefix == "128").then(|| address.to_string())
    };
    let pods = |flow: &&model::Flow| flow.peer.cidr.is_none() && !flow.peer.pod_labels.is_empty();
    let declared =
        |flow: &&model::Flow| !flow.name.starts_with("dapr-") && flow.name != "kubernetes-api";
    let chosen = network
        .egress
        .iter()
        .filter(declared)
        .find(pods)
        .or_else(|| network.egress.iter().find(|f| single_host(f).is_some()))
        .or_else(|| network.egress.iter().find(|f| f.name == "dapr-sentry"))?;
    let port = chosen.ports.first()?;
    let undeclared_port = [port.port + 1, port.port.saturating_sub(1), 9]
        .into_iter()
        .find(|candidate| {
            (1..=65535).contains(candidate) && !chosen.ports.iter().any(|p| p.port == *candidate)
        })?;
    let selector = (chosen.peer.cidr.is_none()).then(|| {
        chosen
            .peer
            .pod_labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",")
    });
    Some(model::ReachTarget {
        flow: chosen.name.clone(),
        namespace: chosen.peer.namespace.clone(),
        selector,
        host: single_host(chosen),
        port: port.port,
        undeclared_port,
    })
}

/// The permission checks the live audit runs: every granted permission must
/// be allowed, and a fixed set of sensitive ones must be denied.
fn rbac_expectations(api: Option<&model::ApiAccess>) -> Vec<model::RbacExpectation> {
    let expectation =
        |expected: &str, verb: &str, resource: String, scope: &str| model::RbacExpectation {
            expected: expected.to_string(),
            verb: verb.to_string(),
            resource,
            scope: scope.to_string(),
        };
    let mut expectations = Vec::new();
    let mut granted = BTreeSet::new();
    for rule in api.map(|a| a.rules.as_slice()).unwrap_or_default() {
        for group in &rule.api_groups {
            // Subresources need --subresource; their parent checks cover them.
            for resource in rule.resources.iter().filter(|r| !r.contains('/')) {
                let qualified = if group.is_empty() {
                    resource.clone()
                } else {
                    format!("{resource}.{group}")
                };
                for verb in &rule.verbs {
                    granted.insert((verb.clone(), qualified.clone()));
                    if rule.resource_names.is_empty() {
                        expectations.push(expectation("yes", verb, qualified.clone(), "."));
                    }
                    for resource_name in &rule.resource_names {
                        expectations.push(expectation(
                            "yes",
                            verb,
                            format!("{qualified}/{resource_name}"),
                            ".",
                        ));
                    }
                }
            }
        }
    }
    let grants_secrets = api.is_some_and(|a| a.grants_secrets);
    let denied = [
        ("get", "secrets", ".", !grants_secrets),
        ("list", "secrets", "*", true),
        ("list", "pods", "kube-system", true),
        ("get", "configmaps", "default", true),
        ("create", "pods", ".", true),
        (
            "create",
            "rolebindings.rbac.authorization.k8s.io",
            ".",
            true,
        ),
    ];
    for (verb, resource, scope, wanted) in denied {
        if wanted && !granted.contains(&(verb.to_string(), resource.to_string())) {
            expectations.push(expectation("no", verb, resource.to_string(), scope));
        }
    }
    expectations
}

fn pods_peer(
    peer_namespace: &str,
    namespace: &str,
    labels: &BTreeMap<String, String>,
) -> model::Peer {
    model::Peer {
        namespace: Some(peer_namespace.to_string()),
        same_namespace: peer_namespace == namespace,
        pod_labels: labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        cidr: None,
        except: Vec::new(),
        app_itself: false,
    }
}

fn dapr_flow(direction: &str, peer: &model::DaprPeer, namespace: &str) -> model::Flow {
    let labels = BTreeMap::from([(dapr::APP_ID_LABEL.to_string(), peer.app_id.clone())]);
    model::Flow {
        name: format!("dapr-{direction}-{}", peer.app_id),
        reason: if direction == "from" {
            format!(
                "Dapr invocation from app-id {}, sidecar to sidecar",
                peer.app_id
            )
        } else {
            format!(
                "Dapr invocation of app-id {}, sidecar to sidecar",
                peer.app_id
            )
        },
        peer: pods_peer(&peer.namespace, namespace, &labels),
        ports: vec![model::Port::tcp(dapr::SIDECAR_INTERNAL_GRPC_PORT)],
    }
}

/// A readable volume name for a writable path (`/var/cache` -> `var-cache`),
/// falling back to `writable-<n>` when the path does not make a valid one.
fn volume_name(path: &str, taken: &BTreeSet<String>, index: usize) -> String {
    let derived: String = path
        .trim_start_matches('/')
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let derived = format!("rw-{derived}");
    if formats::dns1123_label(&derived).is_ok()
        && !derived.contains("--")
        && !taken.contains(&derived)
    {
        derived
    } else {
        format!("writable-{index}")
    }
}

/// The fields each spec section accepts, for "did you mean" hints.
fn known_fields(parent: &str) -> &'static [&'static str] {
    let normalized: String = {
        let mut out = String::new();
        let mut skipping = false;
        for c in parent.chars() {
            match c {
                '[' => skipping = true,
                ']' => skipping = false,
                _ if !skipping => out.push(c),
                _ => {}
            }
        }
        out
    };
    match normalized.as_str() {
        "" => &[
            "apiVersion",
            "kind",
            "app",
            "workload",
            "kubernetesApi",
            "network",
            "ingress",
            "egress",
            "secrets",
            "dapr",
        ],
        "app" => &[
            "name",
            "namespace",
            "compliance",
            "podSecurityVersion",
            "environment",
        ],
        "workload" => &[
            "image",
            "allowTagOnlyImage",
            "port",
            "replicas",
            "runAsUser",
            "resources",
            "writablePaths",
            "probes",
        ],
        "workload.resources" => &["requests", "limits"],
        "workload.resources.requests" | "workload.resources.limits" => &["cpu", "memory"],
        "workload.probes" => &["liveness", "readiness"],
        "workload.probes.liveness" | "workload.probes.readiness" => {
            &["path", "initialDelaySeconds", "periodSeconds"]
        }
        "kubernetesApi" => &["apiServer", "token", "rules"],
        "kubernetesApi.apiServer" => &["cidr", "port"],
        "kubernetesApi.token" => &["audience", "expirationSeconds"],
        "kubernetesApi.rules" => &["apiGroups", "resources", "resourceNames", "verbs"],
        "ingress" => &["name", "app", "namespace", "podLabels", "ports"],
        "egress" => &[
            "name",
            "app",
            "namespace",
            "podLabels",
            "cidr",
            "except",
            "hosts",
            "ports",
        ],
        "network" => &["enforcement"],
        "ingress.ports" | "egress.ports" => &["port", "protocol"],
        "secrets" => &["source", "store", "refreshInterval", "mountPath", "keys"],
        "secrets.store" => &["name", "kind"],
        "secrets.keys" => &["name", "remoteKey", "property"],
        "dapr" => &[
            "enabled",
            "appId",
            "apiLogging",
            "controlPlaneNamespace",
            "actors",
            "invokedBy",
            "invokes",
            "components",
            "apiTokenSecret",
        ],
        "dapr.invokedBy" | "dapr.invokes" => &["appId", "namespace"],
        "dapr.components" => &[
            "name",
            "type",
            "version",
            "metadata",
            "secretMetadata",
            "scopes",
        ],
        _ if normalized.starts_with("dapr.components.secretMetadata.") => &["secret", "key"],
        _ => &[],
    }
}

/// The known name closest to `word`, if it is a plausible typo of it.
fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let word_lower = word.to_ascii_lowercase();
    candidates
        .iter()
        .map(|c| {
            (
                strsim::levenshtein(&word_lower, &c.to_ascii_lowercase()),
                *c,
            )
        })
        .filter(|(distance, candidate)| *distance <= 2.max(candidate.len() / 4))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_for_typos() {
        assert_eq!(closest("imag", known_fields("workload")), Some("image"));
        assert_eq!(
            closest("namespce", known_fields("egress[3]")),
            Some("namespace")
        );
        assert_eq!(closest("zzzzzz", known_fields("workload")), None);
    }

    #[test]
    fn known_fields_match_the_spec_types() {
        // Every field we suggest must be one serde accepts at that place.
        let sections = [
            ("", "{}"),
            ("app", "app: {F: null}"),
            ("workload", "workload: {F: null}"),
            ("workload.resources", "workload: {resources: {F: null}}"),
            (
                "workload.probes.liveness",
                "workload: {probes: {liveness: {F: null}}}",
            ),
            (
                "kubernetesApi.rules[0]",
                "kubernetesApi: {rules: [{F: null}]}",
            ),
            ("egress[0]", "egress: [{F: null}]"),
            ("network", "network: {F: null}"),
            ("ingress[0]", "ingress: [{F: null}]"),
            ("secrets.keys[0]", "secrets: {keys: [{F: null}]}"),
            ("dapr.components[0]", "dapr: {components: [{F: null}]}"),
            ("dapr.invokes[0]", "dapr: {invokes: [{F: null}]}"),
        ];
        for (parent, template) in sections {
            for field in known_fields(parent) {
                let text = if parent.is_empty() {
                    format!("{field}: null")
                } else {
                    template.replace('F', field)
                };
                let parsed = crate::yaml::parse_document::<Spec>(&text).unwrap();
                assert!(
                    parsed.unknown_fields.is_empty(),
                    "{parent}.{field} is not a spec field"
                );
            }
        }
    }

    #[test]
    fn volume_names_are_readable_and_unique() {
        let taken = BTreeSet::from(["rw-tmp".to_string()]);
        assert_eq!(
            volume_name("/var/cache", &BTreeSet::new(), 0),
            "rw-var-cache"
        );
        assert_eq!(volume_name("/tmp", &taken, 3), "writable-3");
        assert_eq!(volume_name("/a_b/c", &BTreeSet::new(), 1), "rw-a-b-c");
    }
}
