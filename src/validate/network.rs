//! The `ingress`, `egress` and `network` sections: declared flows, their
//! names, peers and ports, and egress by hostname.

use std::collections::{BTreeMap, BTreeSet};

use super::resolve::{dapr_flow, pods_peer};
use super::{Validator, formats, hosts};
use crate::diagnostics::Problem;
use crate::model;
use crate::platform::{dapr, names};
use crate::spec::{self, Spec};

impl Validator {
    pub(super) fn network(
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
    pub(super) fn enforcement(&mut self, spec: &Spec) -> Option<String> {
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
    pub(super) fn host_rule(
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
    pub(super) fn unresolved_app(&mut self, path: &str, app: Option<&str>) -> bool {
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

    pub(super) fn flow_name(
        &mut self,
        path: &str,
        name: &str,
        names: &mut BTreeSet<String>,
    ) -> bool {
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

    pub(super) fn ports(
        &mut self,
        path: &str,
        ports: &[spec::PortRule],
    ) -> Option<Vec<model::Port>> {
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

    pub(super) fn pod_labels(&mut self, path: &str, labels: &BTreeMap<String, String>) -> bool {
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
}
