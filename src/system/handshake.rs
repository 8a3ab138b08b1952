//! The checks between specs, and the flows of the system.
//!
//! The handshake: a flow from A to B exists only when A declares the call
//! (egress selecting B's pods in B's namespace, on B's port) and B admits A
//! (an ingress rule for A's namespace whose pod labels A's pods carry, or
//! one for all of A's namespace). Dapr invocation is the same: A's
//! `dapr.invokes` needs B's `dapr.invokedBy`. Each one-sided flow is an error
//! that says which line to add at the other end.

use std::collections::{BTreeMap, BTreeSet};

use super::{End, FlowKind, Service, Severity, System, SystemFlow, SystemProblem};
use crate::model::{self, Port};

/// What the checks need of each service, computed once.
struct Facts {
    namespace: String,
    port: u32,
    labels: BTreeMap<String, String>,
    app_id: Option<String>,
}

fn subset(labels: &BTreeMap<String, String>, of: &BTreeMap<String, String>) -> bool {
    labels.iter().all(|(k, v)| of.get(k) == Some(v))
}

fn show_labels(labels: &BTreeMap<String, String>) -> String {
    if labels.is_empty() {
        return "every pod".to_string();
    }
    let pairs: Vec<String> = labels.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    format!("pods {{{}}}", pairs.join(", "))
}

fn show_ports(ports: &[Port]) -> String {
    ports
        .iter()
        .map(|p| {
            if p.protocol == crate::model::Protocol::Tcp {
                p.port.to_string()
            } else {
                format!("{}/{}", p.port, p.protocol)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

struct Checker<'a> {
    services: &'a [Service],
    facts: Vec<Facts>,
    by_namespace: BTreeMap<&'a str, Vec<usize>>,
    problems: Vec<SystemProblem>,
    flows: Vec<SystemFlow>,
}

impl<'a> Checker<'a> {
    fn report(
        &mut self,
        severity: Severity,
        service: usize,
        path: &str,
        message: String,
        help: String,
        others: &[usize],
    ) {
        let s = &self.services[service];
        let source_path = s.parsed.source_path(path);
        let mut others: Vec<String> = others
            .iter()
            .map(|o| self.services[*o].file.clone())
            .filter(|f| *f != s.file)
            .collect();
        others.dedup();
        self.problems.push(SystemProblem {
            severity,
            file: s.file.clone(),
            position: s.parsed.locations.find(&source_path),
            path: source_path,
            message,
            help: Some(help),
            others,
        });
    }

    fn error(
        &mut self,
        service: usize,
        path: &str,
        message: String,
        help: String,
        others: &[usize],
    ) {
        self.report(Severity::Error, service, path, message, help, others);
    }

    fn name(&self, service: usize) -> &'a str {
        self.services[service].name()
    }

    fn file(&self, service: usize) -> &'a str {
        &self.services[service].file
    }

    fn in_workspace(&self, namespace: &str) -> bool {
        self.by_namespace.contains_key(namespace)
    }

    /// Services of `namespace` (other than `except`) whose pods carry `labels`.
    fn selected(
        &self,
        namespace: &str,
        labels: &BTreeMap<String, String>,
        except: usize,
    ) -> Vec<usize> {
        self.by_namespace
            .get(namespace)
            .into_iter()
            .flatten()
            .copied()
            .filter(|&i| i != except && subset(labels, &self.facts[i].labels))
            .collect()
    }

    /// "specs a.yaml (a), b.yaml (b)" for the services of `namespace`.
    fn residents(&self, namespace: &str) -> String {
        self.by_namespace
            .get(namespace)
            .into_iter()
            .flatten()
            .map(|&i| format!("{} ({})", self.name(i), self.file(i)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The closest service name of `namespace` to a label value of `labels`.
    fn did_you_mean(&self, namespace: &str, labels: &BTreeMap<String, String>) -> String {
        let best = self
            .by_namespace
            .get(namespace)
            .into_iter()
            .flatten()
            .flat_map(|&i| {
                labels
                    .values()
                    .map(move |v| (strsim::levenshtein(v, self.name(i)), i))
            })
            .min();
        match best {
            Some((distance, i)) if distance <= 3 => {
                format!(" (did you mean app: {}?)", self.name(i))
            }
            _ => String::new(),
        }
    }

    fn peer_policy(&self, service: usize, flow: &str) -> String {
        self.services[service]
            .model
            .network
            .peer_policies
            .iter()
            .find(|p| p.flow == flow)
            .map_or_else(
                || "a peer policy".to_string(),
                |p| format!("policy {}", p.name),
            )
    }
}

fn pods_end(namespace: &str, labels: &BTreeMap<String, String>) -> End {
    End::Pods {
        namespace: namespace.to_string(),
        labels: labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
    }
}

fn ports_of(rules: &[crate::spec::PortRule]) -> Vec<Port> {
    rules
        .iter()
        .filter_map(|r| {
            Some(Port {
                port: r.port?,
                protocol: crate::model::Protocol::parse(r.protocol.as_deref())?,
            })
        })
        .collect()
}

/// Runs every check between the services of `system`, filling its flows
/// and problems.
pub fn check(system: &mut System) {
    let services = &system.services;
    let facts: Vec<Facts> = services
        .iter()
        .map(|s| Facts {
            namespace: s.namespace().to_string(),
            port: s.port(),
            labels: s.pod_labels(),
            app_id: s.model.dapr.as_ref().map(|d| d.app_id.clone()),
        })
        .collect();
    let mut by_namespace: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, s) in services.iter().enumerate() {
        by_namespace.entry(s.namespace()).or_default().push(i);
    }
    let mut c = Checker {
        services,
        facts,
        by_namespace,
        problems: Vec::new(),
        flows: Vec::new(),
    };
    unique_out_dirs(&mut c);
    pod_security(&mut c);
    network(&mut c);
    dapr_invocation(&mut c);
    platform(&mut c);
    system.problems.extend(c.problems);
    system.flows.extend(c.flows);
    system.flows.sort_by(|a, b| {
        (&a.from, &a.to, a.kind, a.blocked).cmp(&(&b.from, &b.to, b.kind, b.blocked))
    });
}

fn unique_out_dirs(c: &mut Checker) {
    let mut seen: BTreeMap<std::path::PathBuf, usize> = BTreeMap::new();
    for i in 0..c.services.len() {
        let dir = c.services[i].out_dir();
        match seen.get(&dir) {
            // Equal names are reported as duplicate app names already.
            Some(&first) if c.name(first) != c.name(i) => {
                let message = format!(
                    "writes to {}, as {} does",
                    crate::quote::display_path(&dir),
                    c.file(first)
                );
                c.error(
                    i,
                    "app.name",
                    message,
                    "give each spec its own output directory".to_string(),
                    &[first],
                );
            }
            Some(_) => {}
            None => {
                seen.insert(dir, i);
            }
        }
    }
}

fn pod_security(c: &mut Checker) {
    let groups: Vec<Vec<usize>> = c.by_namespace.values().cloned().collect();
    for group in groups {
        let first = group[0];
        let pinned = c.services[first].model.pss_version.clone();
        for &i in &group[1..] {
            let version = &c.services[i].model.pss_version;
            if *version != pinned {
                let namespace = c.services[i].namespace().to_string();
                let message = format!(
                    "pins namespace {namespace} to Pod Security {version}, but {} ({}) pins it to {pinned}",
                    c.name(first),
                    c.services[first].at("app.podSecurityVersion")
                );
                let help = format!(
                    "a namespace has one Pod Security version: write podSecurityVersion: {pinned} in every spec of namespace {namespace}"
                );
                c.error(i, "app.podSecurityVersion", message, help, &[first]);
            }
        }
    }
}

fn network(c: &mut Checker) {
    // (caller, callee) -> (rule index in the caller, port) for declared
    // calls, and -> rule index in the callee for admissions.
    let mut declared: BTreeMap<(usize, usize), (usize, u32)> = BTreeMap::new();
    let mut admitted: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    let mut mismatched: BTreeSet<(usize, usize)> = BTreeSet::new();
    for a in 0..c.services.len() {
        for (i, rule) in c.services[a].spec.egress.iter().enumerate() {
            let path = format!("egress[{i}]");
            let name = rule.name.clone().unwrap_or_default();
            let ports = ports_of(&rule.ports);
            if !rule.hosts.is_empty() {
                // By DNS name, through Cilium's DNS proxy: outside the
                // cluster, so no other end to consent.
                c.flows.push(SystemFlow {
                    from: End::Service { index: a },
                    to: End::Hosts {
                        name,
                        hosts: rule.hosts.clone(),
                    },
                    ports,
                    kind: FlowKind::Declared,
                    blocked: false,
                });
                continue;
            }
            if let Some(cidr) = &rule.cidr {
                c.flows.push(SystemFlow {
                    from: End::Service { index: a },
                    to: End::Network {
                        name,
                        cidr: cidr.clone(),
                    },
                    ports,
                    kind: FlowKind::Declared,
                    blocked: false,
                });
                continue;
            }
            let namespace = rule
                .namespace
                .clone()
                .unwrap_or_else(|| c.facts[a].namespace.clone());
            let labels = rule.pod_labels.clone();
            let external = SystemFlow {
                from: End::Service { index: a },
                to: pods_end(&namespace, &labels),
                ports: ports.clone(),
                kind: FlowKind::Declared,
                blocked: false,
            };
            if !c.in_workspace(&namespace) {
                c.flows.push(external);
                continue;
            }
            let targets = c.selected(&namespace, &labels, a);
            if targets.is_empty() && !labels.is_empty() {
                if namespace == c.facts[a].namespace {
                    let policy = c.peer_policy(a, &name);
                    let message = format!(
                        "{} in namespace {namespace} are described by no spec of the workspace; harden's default deny isolates them too",
                        show_labels(&labels)
                    );
                    let help = format!(
                        "{} opens for them only {policy} (their ingress from {} on {}); their DNS and every other flow stay closed: describe them with a spec, or give them policies of their own",
                        c.name(a),
                        c.name(a),
                        show_ports(&ports)
                    );
                    c.report(Severity::Warning, a, &path, message, help, &[]);
                    c.flows.push(external);
                } else {
                    let message = format!(
                        "selects {} in namespace {namespace}, where specs of the workspace live ({}), but no spec's pods carry these labels: the default deny there blocks the flow",
                        show_labels(&labels),
                        c.residents(&namespace)
                    );
                    let help = format!(
                        "write app: <name> to call a service of the workspace{}, or describe those pods with a spec",
                        c.did_you_mean(&namespace, &labels)
                    );
                    let others = c.by_namespace[namespace.as_str()].clone();
                    c.error(a, &path, message, help, &others);
                    c.flows.push(SystemFlow {
                        blocked: true,
                        ..external
                    });
                }
                continue;
            }
            let mut reached_any = false;
            for &b in &targets {
                let listens = c.facts[b].port;
                let reaches = ports
                    .iter()
                    .any(|p| p.port == listens && p.protocol == crate::model::Protocol::Tcp);
                reached_any |= reaches;
                if reaches {
                    declared.entry((a, b)).or_insert((i, listens));
                }
                if labels.is_empty() {
                    continue;
                }
                for (j, port) in ports.iter().enumerate() {
                    if port.port == listens && port.protocol == crate::model::Protocol::Tcp {
                        continue;
                    }
                    mismatched.insert((a, b));
                    let message = format!(
                        "{} reaches {} ({}) on port {}, but {} listens on {listens}/TCP only",
                        c.name(a),
                        c.name(b),
                        c.file(b),
                        show_ports(std::slice::from_ref(port)),
                        c.name(b)
                    );
                    let help = format!(
                        "use port {listens}, or write app: {} and leave ports out",
                        c.name(b)
                    );
                    c.error(a, &format!("{path}.ports[{j}]"), message, help, &[b]);
                }
            }
            if labels.is_empty() && !reached_any && namespace != c.facts[a].namespace {
                let message = format!(
                    "reaches every pod of namespace {namespace} on {}, but no spec there ({}) listens on it: the default deny there blocks the flow",
                    show_ports(&ports),
                    c.residents(&namespace)
                );
                let others = c.by_namespace[namespace.as_str()].clone();
                c.error(a, &path, message, "call a service of the workspace with app: <name>, or describe the destination with a spec".to_string(), &others);
                c.flows.push(SystemFlow {
                    blocked: true,
                    ..external
                });
            }
        }
    }
    for b in 0..c.services.len() {
        for (j, rule) in c.services[b].spec.ingress.iter().enumerate() {
            let path = format!("ingress[{j}]");
            let namespace = rule
                .namespace
                .clone()
                .unwrap_or_else(|| c.facts[b].namespace.clone());
            let labels = rule.pod_labels.clone();
            let ports = if rule.ports.is_empty() {
                vec![Port::tcp(c.facts[b].port)]
            } else {
                ports_of(&rule.ports)
            };
            let external = SystemFlow {
                from: pods_end(&namespace, &labels),
                to: End::Service { index: b },
                ports,
                kind: FlowKind::Declared,
                blocked: false,
            };
            if !c.in_workspace(&namespace) || labels.is_empty() {
                // Whole namespaces are admitted as such: no caller is owed.
                for a in c.selected(&namespace, &labels, b) {
                    admitted.entry((a, b)).or_insert(j);
                }
                c.flows.push(external);
                continue;
            }
            let callers = c.selected(&namespace, &labels, b);
            if callers.is_empty() {
                if namespace == c.facts[b].namespace {
                    let name = rule.name.clone().unwrap_or_default();
                    let policy = c.peer_policy(b, &name);
                    let message = format!(
                        "{} in namespace {namespace} are described by no spec of the workspace; harden's default deny isolates them too",
                        show_labels(&labels)
                    );
                    let help = format!(
                        "{} opens for them only {policy} (their egress to {} on {}, and DNS); every other flow of theirs stays closed: describe them with a spec, or give them policies of their own",
                        c.name(b),
                        c.name(b),
                        show_ports(&external.ports)
                    );
                    c.report(Severity::Warning, b, &path, message, help, &[]);
                    c.flows.push(external);
                } else {
                    let message = format!(
                        "admits {} of namespace {namespace}, where specs of the workspace live ({}), but no spec's pods carry these labels: the default deny there blocks the flow",
                        show_labels(&labels),
                        c.residents(&namespace)
                    );
                    let help = format!(
                        "write app: <name> to admit a service of the workspace{}, or describe those pods with a spec",
                        c.did_you_mean(&namespace, &labels)
                    );
                    let others = c.by_namespace[namespace.as_str()].clone();
                    c.error(b, &path, message, help, &others);
                    c.flows.push(SystemFlow {
                        blocked: true,
                        ..external
                    });
                }
                continue;
            }
            for a in callers {
                admitted.entry((a, b)).or_insert(j);
            }
        }
    }
    // Every declared call must be admitted ...
    for (&(a, b), &(i, port)) in &declared {
        let allowed = admitted.contains_key(&(a, b));
        if !allowed {
            let message = format!(
                "{} calls {} on port {port}, but {} ({}) does not admit {}: the flow is blocked at {}'s end",
                c.name(a),
                c.name(b),
                c.name(b),
                c.file(b),
                c.name(a),
                c.name(b)
            );
            let help = format!("add to {} ingress: - app: {}", c.file(b), c.name(a));
            c.error(a, &format!("egress[{i}]"), message, help, &[b]);
        }
        c.flows.push(SystemFlow {
            from: End::Service { index: a },
            to: End::Service { index: b },
            ports: vec![Port::tcp(port)],
            kind: FlowKind::Declared,
            blocked: !allowed,
        });
    }
    // ... and every caller admitted by name must call.
    for (&(a, b), &j) in &admitted {
        let rule = &c.services[b].spec.ingress[j];
        if declared.contains_key(&(a, b))
            || mismatched.contains(&(a, b))
            || rule.pod_labels.is_empty()
        {
            continue;
        }
        let port = c.facts[b].port;
        let message = format!(
            "{} admits {} ({}), but {} declares no call to {} on port {port}: the flow is blocked at {}'s end",
            c.name(b),
            c.name(a),
            c.file(a),
            c.name(a),
            c.name(b),
            c.name(a)
        );
        let help = format!("add to {} egress: - app: {}", c.file(a), c.name(b));
        c.error(b, &format!("ingress[{j}]"), message, help, &[a]);
        c.flows.push(SystemFlow {
            from: End::Service { index: a },
            to: End::Service { index: b },
            ports: vec![Port::tcp(port)],
            kind: FlowKind::Declared,
            blocked: true,
        });
    }
}

/// The YAML of a Dapr peer entry, with the namespace when it differs.
fn dapr_peer(app_id: &str, namespace: &str, own: &str) -> String {
    if namespace == own {
        format!("- appId: {app_id}")
    } else {
        format!("- {{appId: {app_id}, namespace: {namespace}}}")
    }
}

fn dapr_invocation(c: &mut Checker) {
    let port = vec![Port::tcp(crate::platform::dapr::SIDECAR_INTERNAL_GRPC_PORT)];
    // The service with this app-id in this namespace (Dapr enabled), or
    // else a service of that name without Dapr.
    let find = |c: &Checker, app_id: &str, namespace: &str| -> (Option<usize>, Option<usize>) {
        let residents = c.by_namespace.get(namespace).cloned().unwrap_or_default();
        let dapr = residents
            .iter()
            .copied()
            .find(|&i| c.facts[i].app_id.as_deref() == Some(app_id));
        let plain = residents
            .iter()
            .copied()
            .find(|&i| c.facts[i].app_id.is_none() && c.name(i) == app_id);
        (dapr, plain)
    };
    for a in 0..c.services.len() {
        let Some(dapr) = c.services[a].model.dapr.clone() else {
            continue;
        };
        let own_ns = c.facts[a].namespace.clone();
        for (direction, peers) in [("invokes", &dapr.invokes), ("invokedBy", &dapr.invoked_by)] {
            let outgoing = direction == "invokes";
            for (k, peer) in peers.iter().enumerate() {
                let path = format!("dapr.{direction}[{k}]");
                let labels = BTreeMap::from([(
                    crate::platform::dapr::APP_ID_LABEL.to_string(),
                    peer.app_id.clone(),
                )]);
                let other_end = pods_end(&peer.namespace, &labels);
                let (from, to) = if outgoing {
                    (End::Service { index: a }, other_end.clone())
                } else {
                    (other_end.clone(), End::Service { index: a })
                };
                let mut flow = SystemFlow {
                    from,
                    to,
                    ports: port.clone(),
                    kind: FlowKind::DaprInvocation,
                    blocked: false,
                };
                if !c.in_workspace(&peer.namespace) {
                    c.flows.push(flow);
                    continue;
                }
                match find(c, &peer.app_id, &peer.namespace) {
                    (Some(b), _) => {
                        // The same app-id and namespace; a caller's
                        // operations do not change whether it is listed.
                        let wanted =
                            |p: &model::DaprPeer| p.app_id == dapr.app_id && p.namespace == own_ns;
                        let other = c.services[b].model.dapr.as_ref();
                        let (answered, field) = if outgoing {
                            (
                                other.is_some_and(|d| d.invoked_by.iter().any(wanted)),
                                "invokedBy",
                            )
                        } else {
                            (
                                other.is_some_and(|d| d.invokes.iter().any(wanted)),
                                "invokes",
                            )
                        };
                        if outgoing {
                            flow.to = End::Service { index: b };
                        } else {
                            flow.from = End::Service { index: b };
                        }
                        if !answered {
                            let message = if outgoing {
                                format!(
                                    "{} invokes Dapr app-id {} ({}), but {} does not list {} in dapr.invokedBy: the invocation is blocked at {}'s end",
                                    c.name(a),
                                    peer.app_id,
                                    c.file(b),
                                    c.name(b),
                                    dapr.app_id,
                                    c.name(b)
                                )
                            } else {
                                format!(
                                    "{} is invoked by Dapr app-id {} ({}), but {} does not list {} in dapr.invokes: the invocation is blocked at {}'s end",
                                    c.name(a),
                                    peer.app_id,
                                    c.file(b),
                                    c.name(b),
                                    dapr.app_id,
                                    c.name(b)
                                )
                            };
                            let help = format!(
                                "add to {} dapr.{field}: {}",
                                c.file(b),
                                dapr_peer(&dapr.app_id, &own_ns, c.namespace_of(b))
                            );
                            c.error(a, &path, message, help, &[b]);
                            flow.blocked = true;
                            c.flows.push(flow);
                        } else if outgoing {
                            // Drawn once, from the caller's side.
                            c.flows.push(flow);
                        }
                    }
                    (None, Some(b)) => {
                        let message = format!(
                            "names Dapr app-id {}, but {} ({}) runs no Dapr sidecar",
                            peer.app_id,
                            c.name(b),
                            c.file(b)
                        );
                        let help = format!("enable dapr in {}, or remove this entry", c.file(b));
                        c.error(a, &path, message, help, &[b]);
                        flow.blocked = true;
                        c.flows.push(flow);
                    }
                    (None, None) if peer.namespace == own_ns => {
                        let message = format!(
                            "Dapr app-id {} in namespace {} is described by no spec of the workspace; harden's default deny isolates its pods too",
                            peer.app_id, peer.namespace
                        );
                        let flow_name = format!(
                            "dapr-{}-{}",
                            if outgoing { "to" } else { "from" },
                            peer.app_id
                        );
                        let help = format!(
                            "{} opens for them only {} (sidecar port {}); their DNS, control-plane and every other flow stay closed: describe that app with a spec",
                            c.name(a),
                            c.peer_policy(a, &flow_name),
                            show_ports(&port)
                        );
                        c.report(Severity::Warning, a, &path, message, help, &[]);
                        c.flows.push(flow);
                    }
                    (None, None) => {
                        let message = format!(
                            "names Dapr app-id {} in namespace {}, where specs of the workspace live ({}), but none has that app-id: the default deny there blocks the invocation",
                            peer.app_id,
                            peer.namespace,
                            c.residents(&peer.namespace)
                        );
                        let others = c.by_namespace[peer.namespace.as_str()].clone();
                        c.error(
                            a,
                            &path,
                            message,
                            "name the app-id of a spec there (dapr.appId, default the app name)"
                                .to_string(),
                            &others,
                        );
                        flow.blocked = true;
                        c.flows.push(flow);
                    }
                }
            }
        }
    }
}

impl Checker<'_> {
    fn namespace_of(&self, service: usize) -> &str {
        &self.facts[service].namespace
    }
}

/// The flows the platform needs: the Dapr control plane, the API server.
fn platform(c: &mut Checker) {
    for a in 0..c.services.len() {
        let s = &c.services[a];
        let declared: BTreeSet<&str> = s
            .spec
            .egress
            .iter()
            .filter_map(|r| r.name.as_deref())
            .collect();
        let control_plane = s
            .model
            .dapr
            .as_ref()
            .map(|d| d.control_plane_namespace.as_str());
        for flow in &s.model.network.egress {
            if declared.contains(flow.name.as_str())
                || flow.peer.app_itself
                || flow.name.starts_with("dapr-to-")
            {
                continue;
            }
            let to = match (&flow.peer.cidr, &flow.peer.namespace) {
                (Some(cidr), _) => End::Network {
                    name: flow.name.clone(),
                    cidr: cidr.clone(),
                },
                (None, Some(namespace)) if Some(namespace.as_str()) == control_plane => {
                    End::DaprControlPlane {
                        namespace: namespace.clone(),
                    }
                }
                (None, namespace) => End::Pods {
                    namespace: namespace.clone().unwrap_or_default(),
                    labels: flow.peer.pod_labels.clone(),
                },
            };
            c.flows.push(SystemFlow {
                from: End::Service { index: a },
                to,
                ports: flow.ports.clone(),
                kind: FlowKind::Platform,
                blocked: false,
            });
        }
    }
}
