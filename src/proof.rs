//! The render proof: before anything is written, the rendered
//! NetworkPolicies must allow every flow the deployment needs and deny a set
//! of flows that must stay closed, as the cluster would judge them
//! ([`crate::netpol`], the Kubernetes NetworkPolicy semantics).
//!
//! The model says what is needed: DNS, each Dapr control-plane service the
//! chosen version dials, declared callers and destinations, Dapr invocation,
//! actor calls between replicas, the API server when RBAC is granted. From
//! it the proof also derives probes that must be denied: the declared
//! callers' labels in another namespace, lookalike labels, other ports of a
//! declared destination, other pods of `kube-system` and of the Dapr
//! namespace, the internet, and pods of the app's namespace that no rule
//! names. Custom templates get the same proof, so an organisation template
//! cannot open a flow unseen.

use std::fmt;
use std::net::IpAddr;

use crate::model::{Flow, Model};
use crate::netpol::{Cluster, ContainerPort, Decision, Endpoint, Labels, Pod, Protocol};
use crate::platform::{dapr, kubernetes};
use crate::render::GeneratedFile;
use ipnet::IpNet;

/// A namespace no spec uses, for callers that must be refused.
const INTRUDER_NAMESPACE: &str = "harden-proof-intruder";
/// Marks the proof's own made-up pods.
const PROBE_LABEL: &str = "harden.dev/proof";
/// Addresses outside every cluster (RFC 5737 and RFC 3849 documentation
/// ranges, and a public resolver), tried in order: the first one no
/// declared CIDR covers must be unreachable.
const INTERNET: [&str; 4] = ["203.0.113.7", "198.51.100.7", "8.8.8.8", "2001:db8::7"];

/// One flow the proof checked and got wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// `allowed` when the flow must be allowed, `denied` when it must be denied.
    pub expected: &'static str,
    pub flow: String,
    /// The evaluator's reason for what it found.
    pub verdict: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} must be {}, but is {}",
            self.flow, self.expected, self.verdict
        )
    }
}

/// What the proof checked.
#[derive(Debug, Default)]
pub struct Proof {
    pub allowed: usize,
    pub denied: usize,
    pub violations: Vec<Violation>,
}

/// Proves the rendered `files` of `model`. An error means the rendered
/// policies could not be read, which is a template bug.
pub fn prove(model: &Model, files: &[GeneratedFile]) -> Result<Proof, String> {
    let mut documents = Vec::new();
    for file in files.iter().filter(|f| f.name.ends_with(".yaml")) {
        let parsed = crate::yaml::parse_stream(&file.content)
            .map_err(|e| format!("{}: {}", file.name, e.message))?;
        documents.extend(parsed);
    }
    prove_documents(model, &documents.iter().collect::<Vec<_>>())
}

/// [`prove`] over the rendered YAML files' documents, already parsed (a
/// render parses its output once, for the self-audit and the proof).
pub fn prove_documents(model: &Model, documents: &[&serde_json::Value]) -> Result<Proof, String> {
    let mut cluster = Cluster::from_documents(documents.iter().copied()).map_err(|errors| {
        errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    let app_id = format!("Deployment/{}/{}", model.namespace, model.name);
    let Some(Endpoint::Pod(app_index)) = cluster.endpoint(&app_id) else {
        return Err(format!("no {app_id} in the rendered manifests"));
    };
    // The injector labels the pods at admission; the proof needs them too.
    if let Some(dapr) = &model.dapr {
        cluster.pods[app_index]
            .labels
            .insert(dapr::APP_ID_LABEL.to_string(), dapr.app_id.clone());
    }
    let app = Endpoint::Pod(app_index);
    let mut proof = Proof::default();
    // A DNS filter voided by a plain allow of the DNS port (any pod of the
    // output, the app's above all): the filter would not limit lookups.
    proof.violations.extend(voided_dns_filters(&cluster));
    let mut world = World {
        cluster,
        model,
        proof: &mut proof,
    };
    world.required(app);
    world.forbidden(app);
    Ok(proof)
}

/// The DNS filters of `cluster` that a plain allow of the DNS port voids,
/// as violations ([`Cluster::voided_dns_filters`]). Run over one rendered
/// output by [`prove_documents`], and over every output of a workspace by
/// [`prove_workspace`], since the allow and the filter may come from two
/// specs' outputs.
pub fn voided_dns_filters(cluster: &Cluster) -> Vec<Violation> {
    cluster
        .voided_dns_filters()
        .into_iter()
        .map(|void| Violation {
            expected: "denied",
            flow: format!(
                "plain DNS ({}) for {}, whose DNS is filtered by {}",
                void.ports.join(", "),
                void.pod,
                void.filter
            ),
            verdict: format!(
                "allowed by {} {}, which voids the filter (Cilium adds the allows up; a plain allow of the port voids its DNS rules, or bypasses them to another resolver)",
                void.resource, void.path
            ),
        })
        .collect()
}

/// The proof over a whole workspace's rendered objects (every output,
/// shared namespaces included): what no single output shows, a DNS filter of
/// one spec voided by a policy of another.
pub fn prove_workspace(documents: &[&serde_json::Value]) -> Result<Vec<Violation>, String> {
    let cluster = Cluster::from_documents(documents.iter().copied()).map_err(|errors| {
        errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    Ok(voided_dns_filters(&cluster))
}

struct World<'a> {
    cluster: Cluster,
    model: &'a Model,
    proof: &'a mut Proof,
}

impl World<'_> {
    /// A made-up pod in `namespace` with `labels` (every pod of the
    /// namespace when empty) that listens on `ports`.
    fn pod(
        &mut self,
        id: &str,
        namespace: &str,
        labels: &[(String, String)],
        ports: &[(u32, Protocol)],
    ) -> Endpoint {
        let mut labels: Labels = labels.iter().cloned().collect();
        labels.insert(PROBE_LABEL.to_string(), id.to_string());
        self.cluster.add_pod(Pod {
            id: format!("proof/{namespace}/{id}"),
            namespace: namespace.to_string(),
            labels,
            host_network: false,
            ports: ports
                .iter()
                .map(|(port, protocol)| ContainerPort {
                    name: None,
                    port: *port as u16,
                    protocol: *protocol,
                })
                .collect(),
        })
    }

    fn check(
        &mut self,
        expect_allowed: bool,
        flow: String,
        from: Endpoint,
        to: Endpoint,
        port: u32,
        protocol: Protocol,
    ) {
        let verdict = self.cluster.allowed(from, to, port as u16, protocol);
        if expect_allowed {
            self.proof.allowed += 1;
        } else {
            self.proof.denied += 1;
        }
        if verdict.allowed != expect_allowed {
            self.proof.violations.push(Violation {
                expected: if expect_allowed { "allowed" } else { "denied" },
                flow: format!("{flow} ({} {port})", protocol.as_str()),
                verdict: verdict.to_string(),
            });
        }
    }

    /// The other end of a flow: a made-up pod, or an address in the CIDR.
    fn peer_endpoint(&mut self, flow: &Flow, role: &str) -> Option<Endpoint> {
        match &flow.peer.cidr {
            Some(cidr) => inside(cidr, &flow.peer.except).map(Endpoint::External),
            None => {
                let ports: Vec<(u32, Protocol)> =
                    flow.ports.iter().map(|p| (p.port, p.protocol)).collect();
                let namespace = flow.peer.namespace.clone().unwrap_or_default();
                Some(self.pod(
                    &format!("{role}-{}", flow.name),
                    &namespace,
                    &flow.peer.pod_labels,
                    &ports,
                ))
            }
        }
    }

    /// The cluster profile's node-level resolvers: reachable on the DNS
    /// port, and on no other (port 80 of the GKE metadata server hands out
    /// the node's credentials) unless a declared flow opens it. Under
    /// Cilium a node-local cache is the `host` entity and a Service address
    /// is translated to the DNS pods, neither of which an address stands
    /// for in this picture: only the remote ones are proven there.
    fn resolvers(&mut self, app: Endpoint) {
        let model = self.model;
        let dns = &model.facts.dns;
        let port = dns.port;
        for cidr in &dns.cidrs {
            let Some(ip) = inside(cidr, &[]) else {
                continue;
            };
            let to = Endpoint::External(ip);
            if !model.network.cilium || dns.remote_cidrs.contains(cidr) {
                for protocol in [Protocol::Udp, Protocol::Tcp] {
                    self.check(
                        true,
                        format!("DNS to the resolver {cidr}"),
                        app,
                        to,
                        port,
                        protocol,
                    );
                }
            }
            let other = crate::platform::cluster::METADATA_HTTP_PORT;
            let declared = model.network.egress.iter().any(|flow| {
                flow.peer.cidr.as_deref().is_some_and(|c| {
                    crate::validate::formats::cidr(c)
                        .ok()
                        .zip(crate::validate::formats::cidr(cidr).ok())
                        .is_some_and(|(block, one)| block.contains(&one))
                }) && flow.ports.iter().any(|p| p.port == other)
            });
            if !declared && other != port {
                self.check(
                    false,
                    format!("the resolver {cidr} on a port other than DNS"),
                    app,
                    to,
                    other,
                    Protocol::Tcp,
                );
            }
        }
    }

    fn required(&mut self, app: Endpoint) {
        let model = self.model;
        // The cluster profile's DNS pods, on the profile's port.
        let dns_facts = &model.facts.dns;
        let dns_port = dns_facts.port;
        let dns = dns_facts.pods.as_ref().map(|pods| {
            self.pod(
                "cluster-dns",
                &pods.namespace,
                &pods.labels,
                &[(dns_port, Protocol::Udp), (dns_port, Protocol::Tcp)],
            )
        });
        for protocol in [Protocol::Udp, Protocol::Tcp] {
            if model.network.hosts.is_empty() {
                if let Some(dns) = dns {
                    self.check(
                        true,
                        "DNS to the cluster's DNS pods".into(),
                        app,
                        dns,
                        dns_port,
                        protocol,
                    );
                }
                continue;
            }
            // With egress by hostname the app's DNS must go through a
            // Cilium DNS rule (the proxy learns the addresses toFQDNs
            // allows), and only through it.
            let Some(dns) = dns else { continue };
            self.proof.allowed += 1;
            let verdict = self.cluster.allowed(
                app,
                dns,
                u16::try_from(dns_port).unwrap_or(u16::MAX),
                protocol,
            );
            if !(verdict.allowed && matches!(verdict.egress, Decision::Filtered { .. })) {
                self.proof.violations.push(Violation {
                    expected: "allowed",
                    flow: format!(
                        "DNS to the cluster's DNS pods through the Cilium DNS proxy ({} {})",
                        protocol.as_str(),
                        dns_port
                    ),
                    verdict: if verdict.allowed {
                        format!("not through a Cilium DNS rule: {verdict}")
                    } else {
                        format!(
                            "missing: no rendered CiliumNetworkPolicy selecting the app allows it ({verdict})"
                        )
                    },
                });
            }
        }
        self.resolvers(app);
        self.hostnames(app);
        // Declared and platform flows, each at the app's end of it.
        let directions = [
            ("ingress", "caller", &model.network.ingress),
            ("egress", "destination", &model.network.egress),
        ];
        for (direction, role, flows) in directions {
            for flow in flows {
                let other = if flow.peer.app_itself {
                    self.replica()
                } else {
                    match self.peer_endpoint(flow, role) {
                        Some(other) => other,
                        None => continue,
                    }
                };
                let (from, to) = if direction == "ingress" {
                    (other, app)
                } else {
                    (app, other)
                };
                for port in &flow.ports {
                    self.check(
                        true,
                        format!("{direction} {} ({})", flow.name, flow.reason),
                        from,
                        to,
                        port.port,
                        port.protocol,
                    );
                }
            }
        }
    }

    /// Egress by hostname: each listed name resolves through the app's DNS
    /// filter and is reachable on its ports (toFQDNs); a name no rule lists
    /// does neither.
    fn hostnames(&mut self, app: Endpoint) {
        let model = self.model;
        let Endpoint::Pod(index) = app else { return };
        let filter = self.cluster.dns_filter(&self.cluster.pods[index]);
        let resolves = |name: &str| filter.as_ref().is_some_and(|f| f.allows(name));
        for flow in &model.network.hosts {
            for host in &flow.hosts {
                // A wildcard stands for one label: try one.
                let name = host.name.replace('*', "x");
                self.proof.allowed += 1;
                if !resolves(&name) {
                    self.proof.violations.push(Violation {
                        expected: "allowed",
                        flow: format!("lookup of {name} (egress {})", flow.name),
                        verdict: "refused: the app's DNS filter does not list it".into(),
                    });
                }
                let to = self.cluster.add_host(&name);
                for port in &flow.ports {
                    self.check(
                        true,
                        format!("egress {} to {name} ({})", flow.name, flow.reason),
                        app,
                        to,
                        port.port,
                        port.protocol,
                    );
                }
            }
        }
        if let Some(name) = &model.network.unlisted_host {
            self.proof.denied += 1;
            if resolves(name) {
                self.proof.violations.push(Violation {
                    expected: "denied",
                    flow: format!("lookup of {name}, which no rule lists"),
                    verdict: "the app's DNS filter lets it through".into(),
                });
            }
            let to = self.cluster.add_host(name);
            self.check(
                false,
                format!("{name}, which no rule lists"),
                app,
                to,
                443,
                Protocol::Tcp,
            );
        }
    }

    /// Another replica of the app: same labels, same ports.
    fn replica(&mut self) -> Endpoint {
        let app_index = self.cluster.endpoint(&format!(
            "Deployment/{}/{}",
            self.model.namespace, self.model.name
        ));
        let Some(Endpoint::Pod(index)) = app_index else {
            unreachable!("the app pod was found before")
        };
        let mut replica = self.cluster.pods[index].clone();
        replica.id = format!("{}-replica", replica.id);
        self.cluster.add_pod(replica)
    }

    fn forbidden(&mut self, app: Endpoint) {
        let model = self.model;
        let app_port = model.workload.port;
        // Callers: the declared labels from a namespace nobody declared, and
        // lookalike labels where the callers live.
        for flow in model.network.ingress.iter().filter(|f| !f.peer.app_itself) {
            let Some(port) = flow.ports.first() else {
                continue;
            };
            let intruder = self.pod(
                &format!("intruder-{}", flow.name),
                INTRUDER_NAMESPACE,
                &flow.peer.pod_labels,
                &[],
            );
            self.check(
                false,
                format!(
                    "caller {}'s labels from namespace {INTRUDER_NAMESPACE}",
                    flow.name
                ),
                intruder,
                app,
                port.port,
                port.protocol,
            );
            if !flow.peer.pod_labels.is_empty() {
                let namespace = flow.peer.namespace.clone().unwrap_or_default();
                let lookalike = lookalike(&flow.peer.pod_labels);
                let pod = self.pod(
                    &format!("lookalike-{}", flow.name),
                    &namespace,
                    &lookalike,
                    &[],
                );
                self.check(
                    false,
                    format!("lookalike of caller {} in {namespace}", flow.name),
                    pod,
                    app,
                    port.port,
                    port.protocol,
                );
            }
        }
        // A pod of the app's namespace that no rule names: not on the app
        // port, not on the sidecar's internal port.
        let stranger = self.pod("stranger", &model.namespace, &[], &[]);
        self.check(
            false,
            format!("an unnamed pod of {} to the app port", model.namespace),
            stranger,
            app,
            app_port,
            Protocol::Tcp,
        );
        if model.dapr.is_some() {
            self.check(
                false,
                format!(
                    "an unnamed pod of {} to the sidecar's internal port",
                    model.namespace
                ),
                stranger,
                app,
                dapr::SIDECAR_INTERNAL_GRPC_PORT,
                Protocol::Tcp,
            );
        }
        // The app may not reach the stranger, nor lookalikes of its
        // destinations, nor their other ports.
        let stranger_listening = self.pod(
            "stranger-server",
            &model.namespace,
            &[],
            &[(app_port, Protocol::Tcp)],
        );
        self.check(
            false,
            format!("the app to an unnamed pod of {}", model.namespace),
            app,
            stranger_listening,
            app_port,
            Protocol::Tcp,
        );
        for flow in model.network.egress.iter().filter(|f| !f.peer.app_itself) {
            let Some(port) = flow.ports.first() else {
                continue;
            };
            let other_port = unused_port(flow);
            match &flow.peer.cidr {
                Some(_) => {
                    if let Some(to) = self.peer_endpoint(flow, "other-port") {
                        self.check(
                            false,
                            format!("destination {} on a port not declared", flow.name),
                            app,
                            to,
                            other_port,
                            port.protocol,
                        );
                    }
                }
                None => {
                    let namespace = flow.peer.namespace.clone().unwrap_or_default();
                    let to = self.pod(
                        &format!("other-port-{}", flow.name),
                        &namespace,
                        &flow.peer.pod_labels,
                        &[(other_port, port.protocol)],
                    );
                    self.check(
                        false,
                        format!("destination {} on a port not declared", flow.name),
                        app,
                        to,
                        other_port,
                        port.protocol,
                    );
                    if !flow.peer.pod_labels.is_empty() {
                        let lookalike = lookalike(&flow.peer.pod_labels);
                        let to = self.pod(
                            &format!("lookalike-{}", flow.name),
                            &namespace,
                            &lookalike,
                            &[(port.port, port.protocol)],
                        );
                        self.check(
                            false,
                            format!("lookalike of destination {} in {namespace}", flow.name),
                            app,
                            to,
                            port.port,
                            port.protocol,
                        );
                    }
                    let to = self.pod(
                        &format!("elsewhere-{}", flow.name),
                        INTRUDER_NAMESPACE,
                        &flow.peer.pod_labels,
                        &[(port.port, port.protocol)],
                    );
                    self.check(
                        false,
                        format!(
                            "destination {}'s labels in namespace {INTRUDER_NAMESPACE}",
                            flow.name
                        ),
                        app,
                        to,
                        port.port,
                        port.protocol,
                    );
                }
            }
        }
        // Other pods of kube-system, even on the DNS port.
        let kube_system = self.pod(
            "not-dns",
            kubernetes::DNS_NAMESPACE,
            &[(kubernetes::DNS_LABEL_KEY.into(), "metrics-server".into())],
            &[(kubernetes::DNS_PORT, Protocol::Udp)],
        );
        self.check(
            false,
            "a kube-system pod that is not kube-dns".into(),
            app,
            kube_system,
            kubernetes::DNS_PORT,
            Protocol::Udp,
        );
        // Other pods of the Dapr control plane, on a control-plane port.
        if let Some(dapr) = &model.dapr {
            let other = self.pod(
                "dapr-dashboard",
                &dapr.control_plane_namespace,
                &[(dapr::CONTROL_PLANE_LABEL.into(), "dapr-dashboard".into())],
                &[(dapr::SENTRY.port, Protocol::Tcp)],
            );
            self.check(
                false,
                format!(
                    "a pod of {} that is not a control-plane service",
                    dapr.control_plane_namespace
                ),
                app,
                other,
                dapr::SENTRY.port,
                Protocol::Tcp,
            );
        }
        // The internet, and the API server when no permission is granted.
        let cidrs: Vec<IpNet> = model
            .network
            .egress
            .iter()
            .filter_map(|f| f.peer.cidr.as_deref()?.parse().ok())
            .collect();
        if let Some(ip) = INTERNET
            .iter()
            .filter_map(|a| a.parse::<IpAddr>().ok())
            .find(|ip| !cidrs.iter().any(|c| c.contains(ip)))
        {
            for port in [443, 80] {
                self.check(
                    false,
                    format!("the internet ({ip})"),
                    app,
                    Endpoint::External(ip),
                    port,
                    Protocol::Tcp,
                );
            }
        }
        if model.api_access.is_none() {
            let api: IpAddr = "10.96.0.1".parse().expect("a valid address");
            // The address is the API server's: the `kube-apiserver` entity
            // of a CiliumNetworkPolicy matches it too.
            self.cluster.add_api_server(api);
            if !cidrs.iter().any(|c| c.contains(&api)) {
                for port in [443, 6443] {
                    self.check(
                        false,
                        "the API server (no permission granted)".into(),
                        app,
                        Endpoint::External(api),
                        port,
                        Protocol::Tcp,
                    );
                }
            }
        }
    }
}

/// Labels that differ from `labels` in every value.
fn lookalike(labels: &[(String, String)]) -> Vec<(String, String)> {
    labels
        .iter()
        .map(|(k, v)| (k.clone(), format!("{v}-lookalike")))
        .collect()
}

/// A port the flow does not declare.
fn unused_port(flow: &Flow) -> u32 {
    (1024..65535)
        .map(|offset| flow.ports[0].port % 64512 + offset)
        .map(|p| if p > 65535 { p - 64512 } else { p })
        .find(|p| !flow.ports.iter().any(|declared| declared.port == *p))
        .unwrap_or(1)
}

/// An address inside `cidr` and outside every `except` range.
fn inside(cidr: &str, except: &[String]) -> Option<IpAddr> {
    let net: IpNet = cidr.parse().ok()?;
    let excluded: Vec<IpNet> = except.iter().filter_map(|e| e.parse().ok()).collect();
    net.hosts()
        .take(4096)
        .chain(std::iter::once(net.network()))
        .find(|ip| !excluded.iter().any(|e| e.contains(ip)))
}

#[cfg(test)]
mod tests;
