//! Resolving: what the model derives from the checked spec rather than
//! reads from it: peers and flows, and the live scripts' plans (the
//! penetration test's reach target and the RBAC checks of the live audit).

use std::collections::{BTreeMap, BTreeSet};

use crate::model;
use crate::platform::{dapr, names};

/// The name of the flow to the API server (and its prefix when the profile
/// gives several ranges).
pub const API_SERVER_FLOW: &str = "kubernetes-api";

/// The destination the penetration test uses to prove egress is limited to
/// declared ports: a declared pod destination if any, else a single-address
/// CIDR (such as the API server), else Dapr Sentry.
pub(super) fn reach_target(network: &model::Network) -> Option<model::ReachTarget> {
    let single_host = |flow: &model::Flow| {
        let cidr = flow.peer.cidr.as_deref()?;
        let (address, prefix) = cidr.split_once('/')?;
        (prefix == "32" || prefix == "128").then(|| address.to_string())
    };
    let pods = |flow: &&model::Flow| flow.peer.cidr.is_none() && !flow.peer.pod_labels.is_empty();
    let declared = |flow: &&model::Flow| {
        !flow.name.starts_with("dapr-") && !flow.name.starts_with(API_SERVER_FLOW)
    };
    // The probes connect with nc, over TCP: a flow only over UDP or SCTP
    // cannot be the control (its port would never answer a TCP connect).
    let tcp = |flow: &&model::Flow| {
        flow.ports
            .iter()
            .any(|p| p.protocol == crate::netpol::Protocol::Tcp)
    };
    let chosen = network
        .egress
        .iter()
        .filter(declared)
        .filter(tcp)
        .find(pods)
        .or_else(|| {
            network
                .egress
                .iter()
                .filter(tcp)
                .find(|f| single_host(f).is_some())
        })
        .or_else(|| network.egress.iter().find(|f| f.name == "dapr-sentry"))?;
    let port = chosen
        .ports
        .iter()
        .find(|p| p.protocol == crate::netpol::Protocol::Tcp)?;
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
pub(super) fn rbac_expectations(api: Option<&model::ApiAccess>) -> Vec<model::RbacExpectation> {
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
    // The Role grants in the app's own namespace (`.`) only, never in the
    // system namespaces an app may not use (`default` among them), so a
    // check elsewhere stays whatever the Role grants.
    for (verb, resource, scope, wanted) in denied {
        let granted_here =
            scope == "." && granted.contains(&(verb.to_string(), resource.to_string()));
        if wanted && !granted_here {
            expectations.push(expectation("no", verb, resource.to_string(), scope));
        }
    }
    expectations
}

pub(super) fn pods_peer(
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

pub(super) fn dapr_flow(direction: &str, peer: &model::DaprPeer, namespace: &str) -> model::Flow {
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

/// Adds the flows harden derives rather than reads: the API server for the
/// granted RBAC rules, the Dapr control plane, actor replicas and Dapr
/// invocation peers.
pub(super) fn derived_flows(
    namespace: &str,
    app: &str,
    api: Option<&model::ApiAccess>,
    dapr: Option<&model::Dapr>,
    ingress: &mut Vec<model::Flow>,
    egress: &mut Vec<model::Flow>,
) {
    if let Some(api) = api {
        for (i, cidr) in api.api_server_cidrs.iter().enumerate() {
            egress.push(model::Flow {
                name: if i == 0 {
                    API_SERVER_FLOW.to_string()
                } else {
                    format!("{API_SERVER_FLOW}-{}", i + 1)
                },
                reason: "the API server, for the granted RBAC rules".to_string(),
                peer: model::Peer {
                    namespace: None,
                    same_namespace: false,
                    pod_labels: Vec::new(),
                    cidr: Some(cidr.clone()),
                    except: Vec::new(),
                    app_itself: false,
                },
                ports: vec![model::Port::tcp(api.api_server_port)],
            });
        }
    }
    let Some(dapr) = dapr else { return };
    let version = dapr::Version::parse(&dapr.version).unwrap_or(dapr::Version::DEFAULT);
    let uses = dapr::Uses {
        actors: dapr.actors,
        jobs: dapr.jobs,
    };
    for service in dapr::dialled(version, uses) {
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
        for (direction, flows) in [("from", &mut *ingress), ("to", &mut *egress)] {
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

/// The other end of each flow within the app's namespace: a policy that lets
/// those pods send (or receive) the flow, since deny-all covers them too.
pub(super) fn peer_policies(
    app: &str,
    ingress: &[model::Flow],
    egress: &[model::Flow],
) -> Vec<model::PeerPolicy> {
    let mut peer_policies = Vec::new();
    for (direction, flows) in [
        (model::PolicyType::Egress, ingress),
        (model::PolicyType::Ingress, egress),
    ] {
        for flow in flows
            .iter()
            .filter(|f| f.peer.same_namespace && !f.peer.app_itself)
        {
            peer_policies.push(model::PeerPolicy {
                name: format!("{app}-peer-{}", flow.name),
                flow: flow.name.clone(),
                direction,
                pod_labels: flow.peer.pod_labels.clone(),
                ports: flow.ports.clone(),
                allow_dns: direction == model::PolicyType::Egress,
                waiver: peer_waiver(None),
            });
        }
    }
    peer_policies
}

/// The audit waiver of a peer policy: it selects pods that are deployed
/// apart from the app's output, by the spec of `app` when a spec of the
/// system describes them. Short enough for a 120-column line (yamllint).
pub fn peer_waiver(app: Option<&str>) -> String {
    let rule = crate::netpol::analysis::SELECTS_NOTHING;
    match app {
        Some(app) => format!("{rule}: the other end of a declared flow; those pods are {app}'s"),
        None => format!("{rule}: the other end of a declared flow; those pods are deployed apart"),
    }
}

/// With egress by hostname, the DNS filter (which namespaces' resolvers the
/// app may ask) and the unlisted host the penetration test tries.
pub(super) fn dns_filter(
    profile: &crate::platform::cluster::Profile,
    namespace: &str,
    dapr: Option<&model::Dapr>,
    egress: &[model::Flow],
    host_flows: &[model::HostFlow],
) -> (Vec<model::DnsGroup>, Option<String>) {
    if host_flows.is_empty() {
        return (Vec::new(), None);
    }
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
    (
        super::hosts::dns_filter(
            &profile.domain,
            &profile.search_list(namespace),
            &namespaces,
            host_flows,
        ),
        Some(super::hosts::unlisted_host(host_flows)),
    )
}
