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
mod tests {
    use super::*;
    use crate::platform::names;
    use crate::templates::Templates;

    fn rendered(spec: &str) -> (Model, Vec<GeneratedFile>) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("specs")
            .join(spec);
        let model = crate::load::load_spec(&path).expect("example spec is valid");
        let files = crate::render::render(&model, &Templates::embedded().expect("templates"))
            .expect("renders");
        (model, files)
    }

    /// `spec` rendered for a cluster profile (`cluster:` as YAML).
    fn rendered_for(spec: &str, cluster: &str) -> (Model, Vec<GeneratedFile>) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("specs")
            .join(spec);
        let text = std::fs::read_to_string(path).expect("example spec");
        let cluster = crate::yaml::parse_document::<crate::spec::Cluster>(cluster)
            .expect("a cluster section")
            .value;
        let model = crate::load::load_spec_text_as(&text, spec, spec, Some(&cluster))
            .expect("example spec is valid");
        let files = crate::render::render(&model, &Templates::embedded().expect("templates"))
            .expect("renders");
        (model, files)
    }

    #[test]
    fn node_level_resolvers_are_proven_open_on_the_dns_port_only() {
        for cluster in ["preset: gke", "preset: gke\ncni: cilium\n"] {
            let (model, files) = rendered_for("checkout.yaml", cluster);
            let proof = prove(&model, &files).unwrap();
            assert!(
                proof.violations.is_empty(),
                "{cluster}: {:?}",
                proof.violations
            );
            // The metadata server's rule taken out: its DNS is refused.
            let without = files
                .iter()
                .map(|f| GeneratedFile {
                    content: f.content.replace("169.254.169.254/32", "192.0.2.1/32"),
                    ..f.clone()
                })
                .collect::<Vec<_>>();
            let proof = prove(&model, &without).unwrap();
            assert!(
                proof
                    .violations
                    .iter()
                    .any(|v| v.flow.starts_with("DNS to the resolver 169.254.169.254/32")),
                "{cluster}: {:?}",
                proof.violations
            );
        }
        // A policy that opens the metadata server on every port: port 80
        // (the node's credentials) is caught.
        let (model, files) = rendered_for("hello.yaml", "preset: gke-autopilot");
        let files = with_policies(&files, |text| {
            format!(
                "{text}---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: metadata\n  namespace: hello\nspec:\n  podSelector: {{}}\n  policyTypes: [Egress]\n  egress:\n    - to: [{{ipBlock: {{cidr: 169.254.169.254/32}}}}]\n"
            )
        });
        let proof = prove(&model, &files).unwrap();
        assert!(
            proof.violations.iter().any(|v| v.expected == "denied"
                && v.flow
                    .starts_with("the resolver 169.254.169.254/32 on a port other than DNS")),
            "{:?}",
            proof.violations
        );
    }

    fn with_policies(files: &[GeneratedFile], edit: impl Fn(&str) -> String) -> Vec<GeneratedFile> {
        files
            .iter()
            .map(|f| GeneratedFile {
                content: if f.name == names::NETWORK_POLICY_FILE {
                    edit(&f.content)
                } else {
                    f.content.clone()
                },
                ..f.clone()
            })
            .collect()
    }

    /// What a proof got wrong, one `expected: flow` line each.
    fn wrong(proof: &Proof) -> Vec<String> {
        proof
            .violations
            .iter()
            .map(|v| format!("{}: {}", v.expected, v.flow))
            .collect()
    }

    /// The rendered policies plus one that opens every flow of `namespace`.
    fn opened(files: &[GeneratedFile], namespace: &str) -> Vec<GeneratedFile> {
        with_policies(files, |text| {
            format!(
                "{text}---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: open\n  namespace: {namespace}\nspec:\n  podSelector: {{}}\n  policyTypes: [Ingress, Egress]\n  ingress: [{{}}]\n  egress: [{{}}]\n"
            )
        })
    }

    /// The rendered NetworkPolicies replaced by a bare default deny.
    fn closed(files: &[GeneratedFile], namespace: &str) -> Vec<GeneratedFile> {
        with_policies(files, |_| {
            format!(
                "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: deny\n  namespace: {namespace}\nspec:\n  podSelector: {{}}\n  policyTypes: [Ingress, Egress]\n"
            )
        })
    }

    #[test]
    fn every_probe_that_must_stay_closed_is_reported_when_a_policy_opens_everything() {
        // Each flow the proof must find denied, none left out: all of them
        // break when a policy opens the namespace (checkout's lookup of an
        // unlisted name stays refused, its DNS filter still holds).
        let (model, files) = rendered("task-api.yaml");
        let proof = prove(&model, &opened(&files, &model.namespace)).unwrap();
        assert_eq!((proof.allowed, proof.denied), (6, 20));
        assert_eq!(
            wrong(&proof),
            [
                "denied: caller gateway's labels from namespace harden-proof-intruder (TCP 8000)",
                "denied: lookalike of caller gateway in envoy-gateway-system (TCP 8000)",
                "denied: an unnamed pod of task-api to the app port (TCP 8000)",
                "denied: an unnamed pod of task-api to the sidecar's internal port (TCP 50002)",
                "denied: the app to an unnamed pod of task-api (TCP 8000)",
                "denied: destination redis on a port not declared (TCP 7403)",
                "denied: lookalike of destination redis in task-api (TCP 6379)",
                "denied: destination redis's labels in namespace harden-proof-intruder (TCP 6379)",
                "denied: destination dapr-sentry on a port not declared (TCP 51025)",
                "denied: lookalike of destination dapr-sentry in dapr-system (TCP 50001)",
                "denied: destination dapr-sentry's labels in namespace harden-proof-intruder (TCP 50001)",
                "denied: destination dapr-operator on a port not declared (TCP 7524)",
                "denied: lookalike of destination dapr-operator in dapr-system (TCP 6500)",
                "denied: destination dapr-operator's labels in namespace harden-proof-intruder (TCP 6500)",
                "denied: a kube-system pod that is not kube-dns (UDP 53)",
                "denied: a pod of dapr-system that is not a control-plane service (TCP 50001)",
                "denied: the internet (203.0.113.7) (TCP 443)",
                "denied: the internet (203.0.113.7) (TCP 80)",
                "denied: the API server (no permission granted) (TCP 443)",
                "denied: the API server (no permission granted) (TCP 6443)",
            ]
        );
        // As `render` shows it: the flow, what it must be, what it is.
        let shown = proof.violations[0].to_string();
        assert!(
            shown.starts_with("caller gateway's labels from namespace harden-proof-intruder (TCP 8000) must be denied, but is allowed"),
            "{shown}"
        );
        let (model, files) = rendered("checkout.yaml");
        let proof = prove(&model, &opened(&files, &model.namespace)).unwrap();
        assert_eq!((proof.allowed, proof.denied), (12, 22));
        assert_eq!(
            wrong(&proof),
            [
                "denied: plain DNS (TCP 53, UDP 53) for Deployment/checkout/checkout, whose DNS is filtered by CiliumNetworkPolicy/checkout/checkout-egress-hosts spec.egress[0].toPorts[0]",
                "allowed: DNS to the cluster's DNS pods through the Cilium DNS proxy (UDP 53)",
                "allowed: DNS to the cluster's DNS pods through the Cilium DNS proxy (TCP 53)",
                "denied: example.com, which no rule lists (TCP 443)",
                "denied: caller storefront's labels from namespace harden-proof-intruder (TCP 8080)",
                "denied: lookalike of caller storefront in web (TCP 8080)",
                "denied: an unnamed pod of checkout to the app port (TCP 8080)",
                "denied: an unnamed pod of checkout to the sidecar's internal port (TCP 50002)",
                "denied: the app to an unnamed pod of checkout (TCP 8080)",
                "denied: destination payments on a port not declared (TCP 9467)",
                "denied: lookalike of destination payments in payments-prod (TCP 8443)",
                "denied: destination payments's labels in namespace harden-proof-intruder (TCP 8443)",
                "denied: destination dapr-sentry on a port not declared (TCP 51025)",
                "denied: lookalike of destination dapr-sentry in dapr-system (TCP 50001)",
                "denied: destination dapr-sentry's labels in namespace harden-proof-intruder (TCP 50001)",
                "denied: destination dapr-operator on a port not declared (TCP 7524)",
                "denied: lookalike of destination dapr-operator in dapr-system (TCP 6500)",
                "denied: destination dapr-operator's labels in namespace harden-proof-intruder (TCP 6500)",
                "denied: a kube-system pod that is not kube-dns (UDP 53)",
                "denied: a pod of dapr-system that is not a control-plane service (TCP 50001)",
                "denied: the internet (203.0.113.7) (TCP 443)",
                "denied: the internet (203.0.113.7) (TCP 80)",
                "denied: the API server (no permission granted) (TCP 443)",
                "denied: the API server (no permission granted) (TCP 6443)",
            ]
        );
    }

    #[test]
    fn every_required_flow_is_reported_under_a_bare_default_deny() {
        let (model, files) = rendered("task-api.yaml");
        let proof = prove(&model, &closed(&files, &model.namespace)).unwrap();
        assert_eq!((proof.allowed, proof.denied), (6, 20));
        assert_eq!(
            wrong(&proof),
            [
                "allowed: DNS to the cluster's DNS pods (UDP 53)",
                "allowed: DNS to the cluster's DNS pods (TCP 53)",
                "allowed: ingress gateway (caller gateway, declared in the spec) (TCP 8000)",
                "allowed: egress redis (destination redis, declared in the spec) (TCP 6379)",
                "allowed: egress dapr-sentry (Dapr Sentry: the sidecar's mTLS certificate) (TCP 50001)",
                "allowed: egress dapr-operator (Dapr operator: components and configuration) (TCP 6500)",
            ]
        );
        let (model, files) = rendered("orders.yaml");
        let proof = prove(&model, &closed(&files, &model.namespace)).unwrap();
        assert_eq!((proof.allowed, proof.denied), (12, 32));
        assert_eq!(
            wrong(&proof),
            [
                "allowed: DNS to the cluster's DNS pods (UDP 53)",
                "allowed: DNS to the cluster's DNS pods (TCP 53)",
                "allowed: ingress dapr-actors-from-replicas (Dapr actors and workflows: calls from the app's other replicas, sidecar to sidecar) (TCP 50002)",
                "allowed: ingress dapr-from-storefront (Dapr invocation from app-id storefront, sidecar to sidecar) (TCP 50002)",
                "allowed: egress kafka (destination kafka, declared in the spec) (TCP 9092)",
                "allowed: egress redis (destination redis, declared in the spec) (TCP 6379)",
                "allowed: egress dapr-sentry (Dapr Sentry: the sidecar's mTLS certificate) (TCP 50001)",
                "allowed: egress dapr-operator (Dapr operator: components and configuration) (TCP 6500)",
                "allowed: egress dapr-scheduler (Dapr scheduler: jobs, reminders and workflow timers) (TCP 50006)",
                "allowed: egress dapr-placement (Dapr placement: actor placement tables (actors and workflows)) (TCP 50005)",
                "allowed: egress dapr-actors-to-replicas (Dapr actors and workflows: calls to the app's other replicas, sidecar to sidecar) (TCP 50002)",
                "allowed: egress dapr-to-inventory (Dapr invocation of app-id inventory, sidecar to sidecar) (TCP 50002)",
            ]
        );
    }

    #[test]
    fn node_level_resolvers_are_proven_per_plugin() {
        // GKE: the node-local cache and the metadata server answer DNS.
        // With NetworkPolicies both are proven open on the DNS port and
        // closed on port 80. Under Cilium only the remote one is proven
        // open (the node-local cache is the host entity there); the
        // rendered CiliumNetworkPolicy still allows it when the
        // NetworkPolicies are replaced by a bare default deny.
        let (model, files) = rendered_for("hello.yaml", "preset: gke");
        let proof = prove(&model, &opened(&files, "hello")).unwrap();
        assert_eq!((proof.allowed, proof.denied), (7, 10));
        assert_eq!(
            wrong(&proof),
            [
                "denied: the resolver 169.254.20.10/32 on a port other than DNS (TCP 80)",
                "denied: the resolver 169.254.169.254/32 on a port other than DNS (TCP 80)",
                "denied: caller ingress-nginx's labels from namespace harden-proof-intruder (TCP 8080)",
                "denied: an unnamed pod of hello to the app port (TCP 8080)",
                "denied: the app to an unnamed pod of hello (TCP 8080)",
                "denied: a kube-system pod that is not kube-dns (UDP 53)",
                "denied: the internet (203.0.113.7) (TCP 443)",
                "denied: the internet (203.0.113.7) (TCP 80)",
                "denied: the API server (no permission granted) (TCP 443)",
                "denied: the API server (no permission granted) (TCP 6443)",
            ]
        );
        let proof = prove(&model, &closed(&files, "hello")).unwrap();
        assert_eq!(
            wrong(&proof),
            [
                "allowed: DNS to the cluster's DNS pods (UDP 53)",
                "allowed: DNS to the cluster's DNS pods (TCP 53)",
                "allowed: DNS to the resolver 169.254.20.10/32 (UDP 53)",
                "allowed: DNS to the resolver 169.254.20.10/32 (TCP 53)",
                "allowed: DNS to the resolver 169.254.169.254/32 (UDP 53)",
                "allowed: DNS to the resolver 169.254.169.254/32 (TCP 53)",
                "allowed: ingress ingress-nginx (caller ingress-nginx, declared in the spec) (TCP 8080)",
            ]
        );
        let (model, files) = rendered_for("hello.yaml", "preset: gke\ncni: cilium\n");
        let proof = prove(&model, &opened(&files, "hello")).unwrap();
        assert_eq!((proof.allowed, proof.denied), (5, 10));
        assert_eq!(
            wrong(&proof),
            [
                "denied: the resolver 169.254.20.10/32 on a port other than DNS (TCP 80)",
                "denied: the resolver 169.254.169.254/32 on a port other than DNS (TCP 80)",
                "denied: caller ingress-nginx's labels from namespace harden-proof-intruder (TCP 8080)",
                "denied: an unnamed pod of hello to the app port (TCP 8080)",
                "denied: the app to an unnamed pod of hello (TCP 8080)",
                "denied: a kube-system pod that is not kube-dns (UDP 53)",
                "denied: the internet (203.0.113.7) (TCP 443)",
                "denied: the internet (203.0.113.7) (TCP 80)",
                "denied: the API server (no permission granted) (TCP 443)",
                "denied: the API server (no permission granted) (TCP 6443)",
            ]
        );
        let proof = prove(&model, &closed(&files, "hello")).unwrap();
        assert_eq!(
            wrong(&proof),
            [
                "allowed: DNS to the cluster's DNS pods (UDP 53)",
                "allowed: DNS to the cluster's DNS pods (TCP 53)",
                "allowed: ingress ingress-nginx (caller ingress-nginx, declared in the spec) (TCP 8080)",
            ]
        );
    }

    #[test]
    fn a_declared_flow_to_a_resolver_on_port_80_is_not_a_probe() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/hello.yaml");
        let text = std::fs::read_to_string(path).expect("example spec")
            + "\negress:\n  - name: metadata\n    cidr: 169.254.169.254/32\n    ports:\n      - port: 80\n";
        let cluster = crate::yaml::parse_document::<crate::spec::Cluster>("preset: gke")
            .expect("a cluster section")
            .value;
        let model =
            crate::load::load_spec_text_as(&text, "hello.yaml", "hello.yaml", Some(&cluster))
                .expect("valid");
        let files = crate::render::render(&model, &Templates::embedded().expect("templates"))
            .expect("renders");
        let proof = prove(&model, &opened(&files, "hello")).unwrap();
        let resolvers: Vec<String> = wrong(&proof)
            .into_iter()
            .filter(|v| v.contains("resolver"))
            .collect();
        assert_eq!(
            resolvers,
            ["denied: the resolver 169.254.20.10/32 on a port other than DNS (TCP 80)"]
        );
    }

    #[test]
    fn the_workspace_proof_finds_a_filter_voided_by_another_output() {
        let (_, files) = rendered("checkout.yaml");
        let mut documents = Vec::new();
        for file in files.iter().filter(|f| f.name.ends_with(".yaml")) {
            documents.extend(crate::yaml::parse_stream(&file.content).unwrap());
        }
        let proven = |documents: &[serde_json::Value]| {
            prove_workspace(&documents.iter().collect::<Vec<_>>())
        };
        assert_eq!(proven(&documents), Ok(Vec::new()));
        // Another spec's output opens plain DNS for every pod of checkout.
        documents.push(
            serde_json::json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "dns-too", "namespace": "checkout"},
            "spec": {"podSelector": {}, "policyTypes": ["Egress"],
                     "egress": [{"ports": [{"protocol": "UDP", "port": 53}]}]}}),
        );
        let flows: Vec<String> = proven(&documents)
            .unwrap()
            .iter()
            .map(|v| format!("{}: {} ({})", v.expected, v.flow, v.verdict))
            .collect();
        assert_eq!(flows.len(), 1, "{flows:?}");
        assert!(
            flows[0].starts_with("denied: plain DNS (UDP 53) for Deployment/checkout/checkout, whose DNS is filtered by CiliumNetworkPolicy/checkout/"),
            "{flows:?}"
        );
        assert!(
            flows[0].contains(
                "(allowed by NetworkPolicy/checkout/dns-too spec.egress[0], which voids the filter"
            ),
            "{flows:?}"
        );
        // A policy that cannot be read is an error, not a pass.
        documents.push(
            serde_json::json!({"kind": "NetworkPolicy", "metadata": {"name": "bad"},
            "spec": {"ingress": {}}}),
        );
        assert!(
            proven(&documents)
                .unwrap_err()
                .contains("NetworkPolicy/default/bad spec.ingress")
        );
    }

    #[test]
    fn probes_use_an_undeclared_port_an_address_inside_and_lookalike_labels() {
        let (model, _) = rendered("task-api.yaml");
        let mut flow = model.network.egress[0].clone();
        let ports = |flow: &mut Flow, ports: &[u32]| {
            flow.ports = ports.iter().map(|p| crate::model::Port::tcp(*p)).collect();
            unused_port(flow)
        };
        assert_eq!(ports(&mut flow, &[8000]), 9024);
        assert_eq!(ports(&mut flow, &[8000, 9024]), 9025);
        assert_eq!(ports(&mut flow, &[64511]), 65535);
        // Past 65535 the search wraps to 1024.
        assert_eq!(ports(&mut flow, &[64511, 65535]), 1024);
        assert_eq!(
            inside("10.0.0.0/30", &[]),
            Some("10.0.0.1".parse().unwrap())
        );
        assert_eq!(
            inside("10.0.0.0/30", &["10.0.0.0/31".into()]),
            Some("10.0.0.2".parse().unwrap())
        );
        assert_eq!(
            inside("10.0.0.9/32", &[]),
            Some("10.0.0.9".parse().unwrap())
        );
        assert_eq!(inside("10.0.0.9/32", &["10.0.0.0/24".into()]), None);
        assert_eq!(inside("not a cidr", &[]), None);
        let labels = [
            ("app".to_string(), "web".to_string()),
            ("tier".to_string(), "front".to_string()),
        ];
        assert_eq!(
            lookalike(&labels),
            [
                ("app".to_string(), "web-lookalike".to_string()),
                ("tier".to_string(), "front-lookalike".to_string())
            ]
        );
    }

    #[test]
    fn every_example_spec_is_proven() {
        for spec in [
            "hello.yaml",
            "task-api.yaml",
            "payments.yaml",
            "orders.yaml",
        ] {
            let (model, files) = rendered(spec);
            let proof = prove(&model, &files).expect("policies evaluate");
            assert!(
                proof.violations.is_empty(),
                "{spec}: {:?}",
                proof.violations
            );
            assert!(
                proof.allowed >= 3,
                "{spec}: only {} required flows",
                proof.allowed
            );
            assert!(
                proof.denied >= 5,
                "{spec}: only {} forbidden flows",
                proof.denied
            );
        }
    }

    #[test]
    fn a_policy_that_opens_all_egress_is_refused_with_its_name() {
        let (model, files) = rendered("task-api.yaml");
        let files = with_policies(&files, |text| {
            format!(
                "{text}---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: open\n  namespace: task-api\nspec:\n  podSelector: {{}}\n  policyTypes: [Egress]\n  egress:\n    - {{}}\n"
            )
        });
        let proof = prove(&model, &files).unwrap();
        let internet = proof
            .violations
            .iter()
            .find(|v| v.flow.starts_with("the internet"))
            .expect("the internet must be reported");
        assert_eq!(internet.expected, "denied");
        assert!(
            internet.verdict.contains("NetworkPolicy/task-api/open"),
            "{internet}"
        );
    }

    #[test]
    fn a_missing_platform_flow_is_refused_with_its_name() {
        // Without placement egress, an actor app's sidecar never gets Ready.
        let (model, files) = rendered("orders.yaml");
        let files = with_policies(&files, |text| text.replace("port: 50005", "port: 50015"));
        let proof = prove(&model, &files).unwrap();
        assert!(
            proof
                .violations
                .iter()
                .any(|v| v.expected == "allowed" && v.flow.starts_with("egress dapr-placement")),
            "{:?}",
            proof.violations
        );
    }

    #[test]
    fn hostname_egress_needs_the_cilium_dns_rule() {
        let (model, files) = rendered("checkout.yaml");
        let files: Vec<GeneratedFile> = files
            .into_iter()
            .filter(|f| !f.name.contains("cilium"))
            .collect();
        let proof = prove(&model, &files).unwrap();
        let dns: Vec<&Violation> = proof
            .violations
            .iter()
            .filter(|v| {
                v.flow
                    .starts_with("DNS to the cluster's DNS pods through the Cilium DNS proxy")
            })
            .collect();
        assert_eq!(dns.len(), 2, "{:?}", proof.violations);
    }

    #[test]
    fn a_plain_dns_allow_for_a_filtered_app_is_refused() {
        // A custom template that opens DNS for the app beside the Cilium
        // DNS rule voids the filter (layer7.rst, intro.rst).
        let (model, files) = rendered("checkout.yaml");
        let files = with_policies(&files, |text| {
            format!(
                "{text}---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: dns-too\n  namespace: checkout\nspec:\n  podSelector: {{}}\n  policyTypes: [Egress]\n  egress:\n    - ports:\n        - {{protocol: UDP, port: 53}}\n"
            )
        });
        let proof = prove(&model, &files).unwrap();
        let flows: Vec<&str> = proof.violations.iter().map(|v| v.flow.as_str()).collect();
        assert!(
            flows
                .iter()
                .any(|f| f.starts_with("plain DNS (UDP 53) for Deployment/checkout/checkout")),
            "{:?}",
            proof.violations
        );
        assert!(
            flows.contains(&"DNS to the cluster's DNS pods through the Cilium DNS proxy (UDP 53)"),
            "{:?}",
            proof.violations
        );
    }

    #[test]
    fn hostname_flows_are_proven_through_the_filter_and_to_fqdns() {
        let (model, files) = rendered("checkout.yaml");
        // Drop the toFQDNs item of api.stripe.com and its name from the DNS
        // filter.
        let files: Vec<GeneratedFile> = files
            .into_iter()
            .map(|f| GeneratedFile {
                content: if f.name.contains("cilium") {
                    f.content.replace(
                        "- matchName: \"api.stripe.com\"",
                        "- matchName: \"api.example.org\"",
                    )
                } else {
                    f.content.clone()
                },
                ..f
            })
            .collect();
        let proof = prove(&model, &files).unwrap();
        let flows: Vec<&str> = proof.violations.iter().map(|v| v.flow.as_str()).collect();
        assert!(
            flows.contains(&"lookup of api.stripe.com (egress stripe)"),
            "{flows:?}"
        );
        assert!(
            flows
                .iter()
                .any(|f| f.starts_with("egress stripe to api.stripe.com")),
            "{flows:?}"
        );
        // The rest still holds.
        assert!(!flows.iter().any(|f| f.contains("sentry")), "{flows:?}");
    }

    #[test]
    fn actor_replicas_must_reach_each_other() {
        let (model, files) = rendered("orders.yaml");
        let files = with_policies(&files, |text| text.replace("port: 50002", "port: 50012"));
        let proof = prove(&model, &files).unwrap();
        for flow in [
            "ingress dapr-actors-from-replicas",
            "egress dapr-actors-to-replicas",
        ] {
            assert!(
                proof.violations.iter().any(|v| v.flow.starts_with(flow)),
                "{flow}: {:?}",
                proof.violations
            );
        }
    }

    #[test]
    fn a_custom_control_plane_namespace_is_selected() {
        let (mut model, _) = rendered("task-api.yaml");
        model.dapr.as_mut().unwrap().control_plane_namespace = "dapr".into();
        let text = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/task-api.yaml"),
        )
        .unwrap()
        .replace("dapr:\n", "dapr:\n  controlPlaneNamespace: dapr\n");
        let model_dapr = crate::load::load_spec_text(&text, "specs/task-api.yaml").expect("valid");
        let files = crate::render::render(&model_dapr, &Templates::embedded().unwrap()).unwrap();
        let proof = prove(&model_dapr, &files).unwrap();
        assert!(proof.violations.is_empty(), "{:?}", proof.violations);
        // The same policies judged against the default namespace fail: the
        // control-plane rules really select `dapr`.
        model.dapr.as_mut().unwrap().control_plane_namespace = "dapr-system".into();
        let proof = prove(&model, &files).unwrap();
        assert!(
            proof
                .violations
                .iter()
                .any(|v| v.flow.starts_with("egress dapr-sentry"))
        );
    }
}
