//! What the live audit's preflight compares with the cluster (the model's
//! [`model::Preflight`]) and the penetration test's metadata-server probe,
//! derived from the cluster profile and the app's parts when the model is
//! built.

use crate::model;
use crate::platform::cluster::{
    AddressKind, Cni, GKE_METADATA_DNS_ADDRESS, METADATA_HTTP_PORT, NODE_LOCAL_DNS_ADDRESS, Preset,
    Profile,
};
use crate::platform::{cilium, dapr, kubernetes};

/// The penetration test's metadata-server scenario, when the profile
/// opens [`cluster::GKE_METADATA_DNS_ADDRESS`] for DNS on port 53 (the probe's
/// busybox `nslookup NAME SERVER` asks port 53 only, the control that
/// the address is reachable at all).
pub fn metadata_probe(profile: &Profile) -> Option<model::MetadataProbe> {
    profile
        .dns
        .addresses
        .iter()
        .find(|a| a.address == GKE_METADATA_DNS_ADDRESS)
        .filter(|_| profile.dns.port == kubernetes::DNS_PORT)
        .map(|a| model::MetadataProbe {
            address: a.address.clone(),
            http_port: METADATA_HTTP_PORT,
        })
}

/// What the live audit's preflight compares with the cluster, for an
/// app with these parts; `enforced_cilium` is the spec's
/// `network.enforcement: cilium`.
pub fn preflight(
    profile: &Profile,
    api: Option<&model::ApiAccess>,
    dapr: Option<&model::Dapr>,
    secrets: Option<&model::Secrets>,
    enforced_cilium: bool,
) -> model::Preflight {
    let selector = |labels: &[(String, String)]| {
        labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let (dns_namespace, dns_selector) = match &profile.dns.pods {
        Some(pods) => (pods.namespace.clone(), selector(&pods.labels)),
        None => (String::new(), String::new()),
    };
    // The presets' DNS layouts other than this profile's, grouped.
    let mut known_dns: Vec<model::KnownDns> = Vec::new();
    for (name, preset) in Preset::ALL {
        let Some(pods) = preset.dns().pods else {
            continue;
        };
        let layout = selector(&pods.labels);
        if pods.namespace == dns_namespace && layout == dns_selector {
            continue;
        }
        match known_dns
            .iter_mut()
            .find(|k| k.namespace == pods.namespace && k.selector == layout)
        {
            Some(known) => known.presets = format!("{}, {name}", known.presets),
            None => known_dns.push(model::KnownDns {
                namespace: pods.namespace.clone(),
                selector: layout,
                presets: name.to_string(),
                fix: format!("cluster.preset: {name}"),
            }),
        }
    }
    let node_local = profile
        .dns
        .addresses
        .iter()
        .find(|a| a.kind == AddressKind::Node);
    let node_local_fix = match (node_local, profile.preset) {
        // The preset's own address (a declared one carries another why).
        (Some(a), Some(preset))
            if Preset::parse(preset).is_some_and(|p| p.dns().addresses.contains(a)) =>
        {
            format!(
                "preset {preset} opens it: turn NodeLocal DNSCache on, or replace the preset by cluster.dns and cluster.apiServer fields in harden.yaml"
            )
        }
        _ => "remove cluster.dns.nodeLocalAddress from harden.yaml, or turn NodeLocal DNSCache on"
            .to_string(),
    };
    let cilium = profile.cni == Cni::Cilium || enforced_cilium;
    let cni_field = if profile.cni == Cni::Cilium || !enforced_cilium {
        "cluster.cni in harden.yaml".to_string()
    } else {
        "network.enforcement in the spec".to_string()
    };
    let (api_server_cidrs, api_server_port, from_profile) = match api {
        Some(api) if !api.api_server_entity && !api.api_server_cidrs.is_empty() => (
            api.api_server_cidrs.clone(),
            api.api_server_port,
            api.api_server_cidrs == profile.api_server_cidrs,
        ),
        _ => (Vec::new(), 0, false),
    };
    let (api_server_cidr_field, api_server_port_field) = if from_profile {
        (
            "cluster.apiServer.cidrs in harden.yaml",
            "cluster.apiServer.port in harden.yaml",
        )
    } else {
        (
            "kubernetesApi.apiServer.cidr in the spec",
            "kubernetesApi.apiServer.port in the spec",
        )
    };
    let dapr_version_field = match dapr {
        Some(d) if profile.dapr_version.as_deref() == Some(d.version.as_str()) => {
            "cluster.daprVersion in harden.yaml"
        }
        Some(_) => "dapr.version in the spec (or cluster.daprVersion in harden.yaml)",
        None => "",
    };
    model::Preflight {
        dns_namespace,
        dns_selector,
        dns_port: profile.dns.port,
        known_dns,
        node_local_address: node_local.map(|a| a.address.clone()).unwrap_or_default(),
        node_local_default: NODE_LOCAL_DNS_ADDRESS.to_string(),
        node_local_fix,
        node_local_namespace: kubernetes::NODE_LOCAL_DNS_NAMESPACE,
        node_local_selector: kubernetes::NODE_LOCAL_DNS_SELECTOR,
        cilium_namespace: cilium::AGENT_NAMESPACE,
        cilium_selector: cilium::AGENT_SELECTOR,
        cilium_daemonset: cilium::AGENT_DAEMONSET,
        api_endpoints_namespace: kubernetes::API_ENDPOINTS_NAMESPACE,
        api_endpoints_selector: kubernetes::API_ENDPOINTS_SELECTOR,
        cilium,
        cni_field,
        api_server_cidrs,
        api_server_port,
        api_server_cidr_field: api_server_cidr_field.to_string(),
        api_server_port_field: api_server_port_field.to_string(),
        dapr_version_field: dapr_version_field.to_string(),
        dapr_operator: dapr::OPERATOR_DEPLOYMENT,
        dapr_supported: dapr::Version::SUPPORTED.map(|(n, _)| n).join(", "),
        run_as_non_root_env: dapr::RUN_AS_NON_ROOT_ENV,
        run_as_non_root_helm_value: dapr::RUN_AS_NON_ROOT_HELM_VALUE,
        external_secrets_api: match secrets {
            Some(s) if s.source == crate::model::SecretSource::ExternalSecrets => {
                profile.external_secrets_api.api_version().to_string()
            }
            _ => String::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preflight_names_the_other_layouts_and_where_an_address_comes_from() {
        let gke = preflight(
            &Profile::preset(Preset::GkeAutopilot),
            None,
            None,
            None,
            false,
        );
        assert_eq!(gke.node_local_address, NODE_LOCAL_DNS_ADDRESS);
        assert!(
            gke.node_local_fix
                .starts_with("preset gke-autopilot opens it")
        );
        assert_eq!(gke.known_dns.len(), 1);
        assert_eq!(gke.known_dns[0].fix, "cluster.preset: openshift");
        let openshift = preflight(&Profile::preset(Preset::Openshift), None, None, None, false);
        assert_eq!(openshift.dns_namespace, "openshift-dns");
        assert_eq!(openshift.dns_port, 5353);
        assert_eq!(openshift.known_dns[0].namespace, "kube-system");
        assert_eq!(
            openshift.known_dns[0].presets,
            "kubeadm, kind, k3s, gke, gke-autopilot, eks, aks"
        );
        assert!(openshift.node_local_address.is_empty());
        assert!(!openshift.cilium);
        assert!(
            preflight(&Profile::default(), None, None, None, true)
                .cni_field
                .starts_with("network.enforcement")
        );
    }
}
