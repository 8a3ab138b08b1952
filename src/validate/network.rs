//! The `ingress`, `egress` and `network` sections: declared flows, their
//! names, peers and ports, and egress by hostname.

use std::collections::{BTreeMap, BTreeSet};

use super::resolve::{self, pods_peer};
use super::{Validator, formats, hosts};
use crate::diagnostics::Problem;
use crate::model;
use crate::netpol::analysis::{WIDE_IPV4_PREFIX, WIDE_IPV6_PREFIX};
use crate::spec::{self, Spec};

/// What an egress rule resolves to.
enum Destination {
    Flow(model::Flow),
    Hosts(model::HostFlow),
}

/// How egress by hostname is enforced: `network.enforcement` (`None` when
/// invalid) and whether the spec set it.
struct HostContext<'a> {
    enforcement: Option<&'a str>,
    explicit: bool,
}

impl Validator {
    /// Checks the declared flows and adds the ones harden derives (see
    /// [`super::resolve`]).
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
            if let Some(flow) = self.ingress_rule(&path, rule, namespace, app_port, &mut names) {
                ingress.push(flow);
            }
        }
        let explicit = spec
            .network
            .as_ref()
            .is_some_and(|n| n.enforcement.is_some());
        let hosts = HostContext {
            enforcement: enforcement.as_deref(),
            explicit,
        };
        for (i, rule) in spec.egress.iter().enumerate() {
            let path = format!("egress[{i}]");
            match self.egress_rule(&path, rule, namespace, &hosts, &mut names, &mut host_names) {
                Some(Destination::Flow(flow)) => egress.push(flow),
                Some(Destination::Hosts(flow)) => host_flows.push(flow),
                None => {}
            }
        }
        resolve::derived_flows(namespace, app, api, dapr, &mut ingress, &mut egress);
        let peer_policies = resolve::peer_policies(app, &ingress, &egress);
        let (dns_filter, unlisted_host) =
            resolve::dns_filter(&self.profile, namespace, dapr, &egress, &host_flows);
        model::Network {
            enforcement: enforcement
                .as_deref()
                .and_then(model::Enforcement::parse)
                .unwrap_or_default(),
            ingress,
            egress,
            peer_policies,
            hosts: host_flows,
            dns_filter,
            unlisted_host,
            cilium: self.api_server_entity(),
            api_entity_ports: api
                .filter(|a| a.api_server_entity)
                .map(|a| vec![model::Port::tcp(a.api_server_port)])
                .unwrap_or_default(),
        }
    }

    /// One `ingress` rule: a caller's pods and the app ports they may use.
    fn ingress_rule(
        &mut self,
        path: &str,
        rule: &spec::IngressRule,
        namespace: &str,
        app_port: Option<u32>,
        names: &mut BTreeSet<String>,
    ) -> Option<model::Flow> {
        if self.unresolved_app(path, rule.app.as_deref()) {
            return None;
        }
        let peer_namespace = rule
            .namespace
            .clone()
            .unwrap_or_else(|| namespace.to_string());
        let name = rule
            .name
            .clone()
            .unwrap_or_else(|| format!("from-{peer_namespace}"));
        let mut ok = self.peer_namespace(path, rule.namespace.is_some(), &peer_namespace);
        // A derived name is only as good as the namespace it comes from.
        if rule.name.is_some() || ok {
            ok &= self.flow_name(&format!("{path}.name"), &name, names);
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
                        Problem::new(
                            format!("{path}.ports[{j}].port"),
                            format!("{} is not a port of the app", port.port),
                        )
                        .help(format!(
                            "callers can reach only the app port {app_port}; omit ports to use it"
                        )),
                    );
                    ok = false;
                }
            }
        }
        let ports = ports.filter(|_| ok)?;
        Some(model::Flow {
            reason: format!("caller {name}, declared in the spec"),
            name,
            peer: pods_peer(&peer_namespace, namespace, &rule.pod_labels),
            ports,
        })
    }

    /// One `egress` rule: a destination (pods, a network or host names) and
    /// its ports.
    fn egress_rule(
        &mut self,
        path: &str,
        rule: &spec::EgressRule,
        namespace: &str,
        hosts: &HostContext,
        names: &mut BTreeSet<String>,
        host_names: &mut BTreeMap<String, String>,
    ) -> Option<Destination> {
        if self.unresolved_app(path, rule.app.as_deref()) {
            return None;
        }
        let name = self.required(
            &rule.name,
            &format!("{path}.name"),
            "name the destination, e.g. name: redis",
        )?;
        let mut ok = self.flow_name(&format!("{path}.name"), name, names);
        let ports = if rule.ports.is_empty() {
            self.push(
                Problem::new(format!("{path}.ports"), "is empty")
                    .help("list the destination ports, e.g. ports: [{port: 6379}]"),
            );
            None
        } else {
            self.ports(&format!("{path}.ports"), &rule.ports)
        };
        let reason = format!("destination {name}, declared in the spec");
        if !rule.hosts.is_empty() {
            ok &= self.host_rule(path, rule, hosts.enforcement, hosts.explicit, host_names);
            let ports = ports.filter(|_| ok)?;
            return Some(Destination::Hosts(model::HostFlow {
                reason,
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
            }));
        }
        let peer = match &rule.cidr {
            Some(cidr) => self.cidr_peer(path, rule, cidr, &mut ok),
            None => self.pods_destination(path, rule, namespace, &mut ok),
        };
        let ports = ports.filter(|_| ok)?;
        Some(Destination::Flow(model::Flow {
            reason,
            name: name.clone(),
            peer,
            ports,
        }))
    }

    /// A network destination: `cidr` and the ranges it excepts.
    fn cidr_peer(
        &mut self,
        path: &str,
        rule: &spec::EgressRule,
        cidr_text: &str,
        ok: &mut bool,
    ) -> model::Peer {
        if rule.namespace.is_some() || !rule.pod_labels.is_empty() {
            self.push(Problem::new(path, "sets both cidr and namespace/podLabels").help("a destination is either pods (namespace, podLabels) or a network (cidr); split it in two"));
            *ok = false;
        }
        match formats::cidr(cidr_text) {
            Err(reason) => {
                self.push(
                    Problem::new(format!("{path}.cidr"), format!("{cidr_text:?} {reason}"))
                        .help("write a CIDR such as 10.20.0.0/16"),
                );
                *ok = false;
            }
            // Wider than /8 (IPv4) or /32 (IPv6), and so every address of a
            // family: a network plugin that matches pod addresses with
            // ipBlocks (the Kubernetes documentation leaves it to the plugin)
            // opens these ports to pods of the cluster too, and harden's own
            // audit refuses such output (netpol/ipblock-any, ipblock-wide),
            // so it is refused here, where the field can be named.
            Ok(outer)
                if outer.prefix
                    < if outer.address.is_ipv4() {
                        WIDE_IPV4_PREFIX
                    } else {
                        WIDE_IPV6_PREFIX
                    } =>
            {
                let family = if outer.address.is_ipv4() {
                    "IPv4"
                } else {
                    "IPv6"
                };
                let what = if outer.prefix == 0 {
                    format!(
                        "is every {family} address: the internet and, with network plugins that match pod addresses with ipBlocks, every pod of the cluster"
                    )
                } else {
                    format!(
                        "is wider than /{} ({family}): such a range holds pod and node addresses as well as the internet",
                        if outer.address.is_ipv4() {
                            WIDE_IPV4_PREFIX
                        } else {
                            WIDE_IPV6_PREFIX
                        }
                    )
                };
                self.push(
                    Problem::new(format!("{path}.cidr"), format!("{cidr_text:?} {what}"))
                        .help("list the ranges that need the flow (a partner's or a cloud provider's published ranges, one rule each), or egress by name with hosts: and network.enforcement: cilium"),
                );
                *ok = false;
            }
            Ok(outer) => {
                for (j, except) in rule.except.iter().enumerate() {
                    match formats::cidr(except) {
                        Ok(inner) if outer.contains(&inner) && inner != outer => {}
                        Ok(_) => {
                            self.push(
                                Problem::new(
                                    format!("{path}.except[{j}]"),
                                    format!("{except:?} is not strictly inside {cidr_text:?}"),
                                )
                                .help("list only ranges inside the cidr"),
                            );
                            *ok = false;
                        }
                        Err(reason) => {
                            self.push(
                                Problem::new(
                                    format!("{path}.except[{j}]"),
                                    format!("{except:?} {reason}"),
                                )
                                .help("write a CIDR such as 10.20.1.0/24"),
                            );
                            *ok = false;
                        }
                    }
                }
            }
        }
        model::Peer {
            namespace: None,
            same_namespace: false,
            pod_labels: Vec::new(),
            cidr: Some(cidr_text.to_string()),
            except: rule.except.clone(),
            app_itself: false,
        }
    }

    /// A pod destination: `namespace` and `podLabels`.
    fn pods_destination(
        &mut self,
        path: &str,
        rule: &spec::EgressRule,
        namespace: &str,
        ok: &mut bool,
    ) -> model::Peer {
        if !rule.except.is_empty() {
            self.push(
                Problem::new(
                    format!("{path}.except"),
                    "applies only to a cidr destination",
                )
                .help("remove except, or give a cidr"),
            );
            *ok = false;
        }
        let peer_namespace = rule
            .namespace
            .clone()
            .unwrap_or_else(|| namespace.to_string());
        *ok &= self.peer_namespace(path, rule.namespace.is_some(), &peer_namespace);
        *ok &= self.pod_labels(&format!("{path}.podLabels"), &rule.pod_labels);
        if rule.namespace.is_none() && rule.pod_labels.is_empty() {
            self.push(
                Problem::new(path, "names no destination").help(
                    "give podLabels (and a namespace when the pods are elsewhere), or a cidr",
                ),
            );
            *ok = false;
        }
        pods_peer(&peer_namespace, namespace, &rule.pod_labels)
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
            // A name in the cluster's own domain (the profile's, when it is
            // not cluster.local) is inside the cluster too.
            let domain = &self.profile.domain;
            let in_cluster_domain = entry.trim_end_matches('.') == domain.as_str()
                || entry.trim_end_matches('.').ends_with(&format!(".{domain}"));
            let parsed = hosts::host(entry).and_then(|host| {
                if in_cluster_domain {
                    Err("is a name inside the cluster, which toFQDNs does not apply to".to_string())
                } else {
                    Ok(host)
                }
            });
            match parsed {
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
    /// A peer's namespace: checked when the rule names one; one the rule
    /// leaves out is the app's own, whose problem is already reported (as
    /// `app.namespace`, or as `app.name` it derives from), so an invalid
    /// one only stops the rule here, without a second message.
    fn peer_namespace(&mut self, path: &str, given: bool, namespace: &str) -> bool {
        if given {
            self.namespace(&format!("{path}.namespace"), namespace)
        } else {
            formats::dns1123_label(namespace).is_ok()
        }
    }

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
        if name.starts_with("dapr-") || name.starts_with(resolve::API_SERVER_FLOW) {
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
            let Some(protocol) = model::Protocol::parse(rule.protocol.as_deref()) else {
                self.push(
                    Problem::new(
                        format!("{field}.protocol"),
                        format!(
                            "{:?} is not a protocol",
                            rule.protocol.as_deref().unwrap_or_default()
                        ),
                    )
                    .help("use TCP, UDP or SCTP"),
                );
                ok = false;
                continue;
            };
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
