//! Platform facts: what Kubernetes, Dapr, Cilium and sigstore do, written once, each with the
//! upstream source it was read from.
//!
//! Everything harden renders or checks depends on facts about software it
//! does not control: which pods the Dapr sidecar dials and on which ports,
//! which annotation turns what off, which labels the DNS pods carry. They
//! live here and nowhere else: validation, the model, the templates (through
//! [`Facts`], part of every template context), the audit, the posture
//! document and the live scripts read them from this module. A fact that
//! differs between supported Dapr versions is a function of
//! [`dapr::Version`], the spec's `dapr.version`.
//!
//! Sources are cited as `repository: path @ tag`. A fact that could not be
//! verified upstream says so.

pub mod admission;
pub mod cilium;
pub mod cluster;
pub mod dapr;
pub mod kubernetes;
pub mod names;
pub mod sigstore;

use serde::Serialize;

/// The facts templates need, serialised into every template context as
/// `facts`, so no template writes a port, label or annotation key,
/// namespace or well-known path itself (the Pod Security labels and the
/// ServiceAccount token path included).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Facts {
    pub dns: cluster::DnsFacts,
    /// The `apiVersion` of ExternalSecret objects the cluster serves.
    pub external_secrets_api: &'static str,
    /// Label keys and values harden writes.
    pub labels: names::LabelFacts,
    /// Dapr annotation keys and fixed values.
    pub dapr: dapr::AnnotationFacts,
    /// Where the Dapr injector keeps its drop-ALL setting.
    pub injector: dapr::InjectorFacts,
    /// The CiliumNetworkPolicy kind and selector keys.
    pub cilium: cilium::CiliumFacts,
    /// The Pod Security label keys and the ServiceAccount token path.
    pub kubernetes: kubernetes::KubernetesFacts,
    /// The sigstore policy-controller's kind, namespace label and
    /// namespace, and cosign's exit codes.
    pub sigstore: sigstore::SigstoreFacts,
    /// The Dapr answers the live scripts' probes match.
    pub dapr_live: dapr::surface::LiveFacts,
}

impl Facts {
    /// The facts of the default profile (a kubeadm-like cluster).
    pub fn get() -> Facts {
        Facts::for_profile(&cluster::Profile::default())
    }

    /// The facts of a cluster profile.
    pub fn for_profile(profile: &cluster::Profile) -> Facts {
        Facts {
            external_secrets_api: profile.external_secrets_api.api_version(),
            dns: cluster::DnsFacts::for_profile(profile),
            labels: names::LabelFacts::get(),
            dapr: dapr::AnnotationFacts::get(),
            injector: dapr::InjectorFacts::get(),
            cilium: cilium::CiliumFacts::get(),
            kubernetes: kubernetes::KubernetesFacts::get(),
            sigstore: sigstore::SigstoreFacts::get(),
            dapr_live: dapr::surface::LiveFacts::get(),
        }
    }
}
