//! What the posture document may claim, computed from the model.
//!
//! An auditor reads the posture document as evidence, so its words are built
//! from facts of the model rather than written once for every spec: whether
//! each control does what its row says for this spec ([`in_effect`]), who
//! opens the other end of each flow ([`other_end`]), and which connections
//! this deployment does not encrypt ([`unencrypted`]). The tests at the end
//! hold every control row, framework row and risk of every example to them.

use crate::model::{Flow, Model, Port};

/// Whether control `id` (`C1` to `C12`) does what its inventory row says
/// for `model`. A framework row cites only controls in effect.
pub fn in_effect(model: &Model, id: &str) -> bool {
    why_not(model, id).is_none()
}

/// Whether control `id`, though not in effect, has nothing to do for
/// `model` (C8 to C10 without Dapr, C9 without components): a row that
/// has other controls then drops it silently, where a weakened control
/// (an image pinned by tag, API logging off) is named as what is missing.
pub fn not_applicable(model: &Model, id: &str) -> bool {
    match model.dapr.as_ref() {
        None => matches!(id, "C8" | "C9" | "C10"),
        Some(d) => id == "C9" && d.components.is_empty(),
    }
}

/// Why control `id` is not in effect for `model`, or `None` when it is.
pub fn why_not(model: &Model, id: &str) -> Option<&'static str> {
    let dapr = model.dapr.as_ref();
    match id {
        "C7" if !model.workload.pinned_by_digest => Some("the image is pinned by tag only"),
        "C8" | "C9" | "C10" if dapr.is_none() => Some("Dapr is off"),
        "C9" if dapr.is_some_and(|d| d.components.is_empty()) => {
            Some("the app has no Dapr components")
        }
        "C10" if dapr.is_some_and(|d| !d.api_logging) => Some("Dapr API logging is off"),
        "C11" if model.image_policy.is_none() => {
            Some("no image signature is required (workload.signature)")
        }
        _ => None,
    }
}

/// Who opens the other end of one of the app's flows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OtherEnd {
    /// The app's own pods (actor calls between replicas): its one policy
    /// is both ends.
    Itself,
    /// Pods of the app's namespace that no spec describes: a peer policy in
    /// this output opens their end.
    ThisOutput,
    /// Pods another spec of the workspace describes, by app name: that
    /// spec's policy opens their end (the handshake proved it).
    Spec(String),
    /// The platform: the Dapr control plane or the Kubernetes API server.
    Platform,
    /// Pods of another namespace that no spec describes: their own
    /// policies decide, and harden does not manage them.
    Unmanaged,
    /// Addresses outside the cluster (a CIDR): no policy there.
    Outside,
}

/// Who opens the other end of `flow`, one of `model`'s ingress or egress flows.
pub fn other_end(model: &Model, flow: &Flow) -> OtherEnd {
    if flow.peer.app_itself {
        return OtherEnd::Itself;
    }
    if let Some((_, app)) = model.workspace_ends.iter().find(|(n, _)| *n == flow.name) {
        return OtherEnd::Spec(app.clone());
    }
    if is_platform(model, flow) {
        return OtherEnd::Platform;
    }
    if flow.peer.cidr.is_some() {
        return OtherEnd::Outside;
    }
    if flow.peer.same_namespace {
        return OtherEnd::ThisOutput;
    }
    OtherEnd::Unmanaged
}

/// The API server, or the Dapr control plane (Sentry, placement, scheduler).
fn is_platform(model: &Model, flow: &Flow) -> bool {
    flow.name.starts_with(crate::validate::API_SERVER_FLOW)
        || model.dapr.as_ref().is_some_and(|d| {
            is_dapr(flow)
                && flow.peer.namespace.as_deref() == Some(d.control_plane_namespace.as_str())
        })
}

/// A flow harden derives for the Dapr sidecar (`dapr-` names are reserved
/// for them: `validate::network` refuses them in a spec).
fn is_dapr(flow: &Flow) -> bool {
    flow.name.starts_with("dapr-")
}

/// Whether the platform encrypts `flow`: the API server serves TLS only,
/// and daprd talks to other sidecars and to its control plane over mTLS
/// (C8; Sentry issues the certificates). Every other flow is the app's own
/// connection, on the app's port or to its peer's.
fn encrypted(model: &Model, flow: &Flow) -> bool {
    flow.name.starts_with(crate::validate::API_SERVER_FLOW)
        || (model.dapr.is_some() && is_dapr(flow))
}

/// One connection of the app that this deployment does not encrypt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// The spec's name for it: the flow, host rule or component.
    pub name: String,
    /// What it joins, e.g. `egress postgres: pods app=db in databases, TCP/5432`.
    pub text: String,
}

/// Ports as the posture document writes them: `TCP/443, UDP/53`.
pub fn ports(ports: &[Port]) -> String {
    ports
        .iter()
        .map(|p| format!("{}/{}", p.protocol, p.port))
        .collect::<Vec<_>>()
        .join(", ")
}

fn peer(flow: &Flow) -> String {
    if let Some(cidr) = &flow.peer.cidr {
        return cidr.clone();
    }
    let namespace = flow.peer.namespace.as_deref().unwrap_or_default();
    if flow.peer.pod_labels.is_empty() {
        return format!("every pod of namespace {namespace}");
    }
    let labels: Vec<String> = flow
        .peer
        .pod_labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    format!("pods {} in {namespace}", labels.join(", "))
}

/// Every connection of the app that this deployment does not encrypt: the
/// declared ingress to the app's port and egress to pods, CIDRs and
/// hostnames (the app's own connections), and each Dapr component's
/// connection from daprd to its backend (its TLS is the component's
/// metadata, which harden does not judge). Whether they use TLS is up to
/// the application and its peers; harden does not verify it.
pub fn unencrypted(model: &Model) -> Vec<Connection> {
    let mut found = Vec::new();
    for (direction, flows, word) in [
        ("ingress", &model.network.ingress, "from"),
        ("egress", &model.network.egress, "to"),
    ] {
        for flow in flows.iter().filter(|f| !encrypted(model, f)) {
            found.push(Connection {
                name: flow.name.clone(),
                text: format!(
                    "{direction} {} ({word} {}, {})",
                    flow.name,
                    peer(flow),
                    ports(&flow.ports)
                ),
            });
        }
    }
    for flow in &model.network.hosts {
        let hosts: Vec<&str> = flow.hosts.iter().map(|h| h.name.as_str()).collect();
        found.push(Connection {
            name: flow.name.clone(),
            text: format!(
                "egress {} (to {}, {})",
                flow.name,
                hosts.join(", "),
                ports(&flow.ports)
            ),
        });
    }
    for component in model.dapr.iter().flat_map(|d| &d.components) {
        found.push(Connection {
            name: component.name.clone(),
            text: format!(
                "component {} ({}: daprd to its backend)",
                component.name, component.component_type
            ),
        });
    }
    found
}

/// The unencrypted connections that may cross networks outside the
/// cluster: egress to CIDRs and hostnames.
pub fn leaving_cluster(model: &Model) -> Vec<Connection> {
    let outside: Vec<&str> = model
        .network
        .egress
        .iter()
        .filter(|f| other_end(model, f) == OtherEnd::Outside && !encrypted(model, f))
        .map(|f| f.name.as_str())
        .chain(model.network.hosts.iter().map(|h| h.name.as_str()))
        .collect();
    unencrypted(model)
        .into_iter()
        .filter(|c| outside.contains(&c.name.as_str()) && !c.text.starts_with("component"))
        .collect()
}

/// The texts of `connections`, joined for a sentence.
pub fn list(connections: &[Connection]) -> String {
    connections
        .iter()
        .map(|c| c.text.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The words of control C3: the app's end of each flow, and who opens the
/// other end, counted from [`other_end`].
pub fn network_summary(model: &Model) -> String {
    let flows: Vec<&Flow> = model
        .network
        .ingress
        .iter()
        .chain(&model.network.egress)
        .collect();
    let mut here = 0;
    let mut itself = 0;
    let mut platform = 0;
    let mut unmanaged = 0;
    let mut outside = 0;
    let mut specs: Vec<String> = Vec::new();
    let mut by_spec = 0;
    for flow in &flows {
        match other_end(model, flow) {
            OtherEnd::Itself => itself += 1,
            OtherEnd::ThisOutput => here += 1,
            OtherEnd::Spec(app) => {
                by_spec += 1;
                if !specs.contains(&app) {
                    specs.push(app);
                }
            }
            OtherEnd::Platform => platform += 1,
            OtherEnd::Unmanaged => unmanaged += 1,
            OtherEnd::Outside => outside += 1,
        }
    }
    outside += model.network.hosts.len();
    let mut ends = Vec::new();
    if itself > 0 {
        ends.push(format!("{itself} between the app's own replicas"));
    }
    if here > 0 {
        ends.push(format!(
            "{here} by a policy in this output for the peer pods of the namespace"
        ));
    }
    if by_spec > 0 {
        ends.push(format!(
            "{by_spec} by the workspace specs of {}",
            specs.join(", ")
        ));
    }
    if platform > 0 {
        ends.push(format!(
            "{platform} to the platform (Dapr control plane, API server)"
        ));
    }
    if unmanaged > 0 {
        ends.push(format!(
            "{unmanaged} not managed by harden: the other namespace's own policies decide"
        ));
    }
    if outside > 0 {
        ends.push(format!("{outside} outside the cluster"));
    }
    let mut text = format!(
        "default deny of ingress and egress in {}; the app's end of {} ingress and {} egress flows allowed",
        model.namespace,
        model.network.ingress.len(),
        model.network.egress.len() + model.network.hosts.len(),
    );
    if !ends.is_empty() {
        text.push_str(&format!("; the other end: {}", ends.join(", ")));
    }
    if !model.network.hosts.is_empty() {
        text.push_str(&format!(
            "; {} egress {} by hostname enforced by a CiliumNetworkPolicy (toFQDNs)",
            model.network.hosts.len(),
            if model.network.hosts.len() == 1 {
                "rule"
            } else {
                "rules"
            }
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    //! Every claim of every example's posture document, held to the model.

    use super::*;
    use crate::posture::{Framework, document};
    use std::path::{Path, PathBuf};

    /// Every example, as it renders: the specs of `specs/` alone, the
    /// workspace example's as a system.
    fn examples() -> Vec<Model> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut models: Vec<Model> = std::fs::read_dir(root.join("specs"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .map(|p| crate::load::load_spec(&p).unwrap())
            .collect();
        let workspace: Vec<PathBuf> = std::fs::read_dir(root.join("examples/workspace/specs"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        let system = crate::system::analyse(&workspace).unwrap();
        models.extend(system.services.into_iter().map(|s| s.model));
        assert!(models.len() >= 11, "examples found: {}", models.len());
        models
    }

    fn transmission_rows(framework: &Framework) -> Vec<&crate::posture::Requirement> {
        framework
            .requirements
            .iter()
            .filter(|r| ["CC6.7", "164.312(e)(1)", "4"].contains(&r.id))
            .collect()
    }

    #[test]
    fn framework_rows_cite_only_controls_in_effect() {
        for model in examples() {
            for framework in crate::posture::frameworks(&model) {
                for row in &framework.requirements {
                    for control in &row.controls {
                        assert!(
                            in_effect(&model, control),
                            "{}: {} {} cites {control}, which is not in effect ({:?})",
                            model.name,
                            framework.context,
                            row.id,
                            why_not(&model, control)
                        );
                    }
                    if row.controls.is_empty() {
                        assert!(
                            row.note.starts_with("not covered"),
                            "{}: {} {} has no control but says {:?}",
                            model.name,
                            framework.context,
                            row.id,
                            row.note
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn transmission_rows_name_every_unencrypted_connection_as_a_gap() {
        let mut gaps = 0;
        for model in examples() {
            let connections = unencrypted(&model);
            let document = document(&model, &[], Default::default());
            for framework in &document.frameworks {
                let rows = transmission_rows(framework);
                assert!(!rows.is_empty(), "{}: {}", model.name, framework.context);
                for row in rows {
                    // PCI DSS 4 is about open, public networks: only the
                    // connections that leave the cluster.
                    let expected = if row.id == "4" {
                        leaving_cluster(&model)
                    } else {
                        connections.clone()
                    };
                    for connection in &expected {
                        gaps += 1;
                        assert!(
                            row.note.contains("gap") || row.note.starts_with("not covered"),
                            "{}: {} {}: {:?}",
                            model.name,
                            framework.context,
                            row.id,
                            row.note
                        );
                        assert!(
                            row.note.contains(&connection.text),
                            "{}: {} {} does not name {:?}: {:?}",
                            model.name,
                            framework.context,
                            row.id,
                            connection.text,
                            row.note
                        );
                    }
                    if expected.is_empty() {
                        assert!(!row.note.contains("gap"), "{}: {:?}", model.name, row.note);
                    }
                }
            }
            if !connections.is_empty() {
                assert!(
                    document
                        .risks
                        .iter()
                        .any(|r| r.contains(&list(&connections))),
                    "{}: no residual risk names the unencrypted connections",
                    model.name
                );
            }
        }
        assert!(gaps > 0, "no example has a connection outside Dapr's mTLS");
    }

    #[test]
    fn the_network_control_counts_every_flow_and_its_other_end() {
        for model in examples() {
            let text = network_summary(&model);
            assert!(!text.contains("each at both ends"), "{text}");
            let flows: Vec<&Flow> = model
                .network
                .ingress
                .iter()
                .chain(&model.network.egress)
                .collect();
            assert!(text.contains(&format!(
                "the app's end of {} ingress and {} egress",
                model.network.ingress.len(),
                model.network.egress.len() + model.network.hosts.len()
            )));
            let unmanaged = flows
                .iter()
                .filter(|f| other_end(&model, f) == OtherEnd::Unmanaged)
                .count();
            assert_eq!(
                text.contains("not managed by harden"),
                unmanaged > 0,
                "{}: {text}",
                model.name
            );
            // A flow to a service of the workspace is never called unmanaged.
            for (flow, app) in &model.workspace_ends {
                let flow = flows.iter().find(|f| f.name == *flow).unwrap();
                assert_eq!(other_end(&model, flow), OtherEnd::Spec(app.clone()));
            }
        }
    }

    #[test]
    fn a_hipaa_app_with_direct_database_and_kafka_connections_names_them_as_gaps() {
        let text = r#"
apiVersion: harden.dev/v1alpha1
kind: SecuritySpec
app: {name: claims, namespace: claims, compliance: [hipaa]}
workload:
  image: registry.example.com/claims@sha256:1111111111111111111111111111111111111111111111111111111111111111
  port: 8080
egress:
  - name: postgres
    namespace: databases
    podLabels: {cnpg.io/cluster: claims-db}
    ports: [{port: 5432}]
  - name: kafka
    namespace: kafka
    podLabels: {app.kubernetes.io/name: kafka}
    ports: [{port: 9092}]
dapr: {enabled: true}
"#;
        let model = crate::load::load_spec_text_as(text, "claims.yaml", "claims.yaml", None)
            .map_err(|e| e.to_string())
            .unwrap();
        let frameworks = crate::posture::frameworks(&model);
        let row = frameworks[0]
            .requirements
            .iter()
            .find(|r| r.id == "164.312(e)(1)")
            .unwrap();
        assert!(row.note.starts_with("partly"), "{}", row.note);
        for name in ["egress postgres", "TCP/5432", "egress kafka", "TCP/9092"] {
            assert!(row.note.contains(name), "{name}: {}", row.note);
        }
    }
}
