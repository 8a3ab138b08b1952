//! A Kubernetes NetworkPolicy (networking.k8s.io/v1) evaluator: harden must
//! prove that the policies it renders allow exactly the flows a deployment
//! needs and deny the rest, and `harden reach` shows that proof to people.
//!
//! CiliumNetworkPolicies are read too ([`cilium`]): Cilium enforces both
//! kinds, a pod is isolated by either and allowed by their union, and a
//! Cilium DNS rule allows through the DNS proxy for its names only
//! ([`Decision::Filtered`]); [`Cluster::voided_dns_filters`] finds the plain
//! allows of the DNS port that void such a filter.
//!
//! Pure functions over parsed manifests (`serde_json::Value`):
//! [`Cluster`] is the picture (namespaces, pods of workloads, policies, plus
//! pods and addresses added by hand), [`Cluster::allowed`] the verdict with
//! its reason, and [`analysis`] the structured issues the audit reports.

pub mod analysis;
pub mod cilium;
mod classes;
mod cluster;
mod policy;
pub mod reach;
mod selector;
pub mod summary;

#[cfg(test)]
mod docs_examples;

pub use cilium::{CiliumPolicy, DnsFilter, Entity, VoidedFilter};
pub use cluster::{Cluster, ContainerPort, Decision, Endpoint, NAMESPACE_NAME_LABEL, Pod, Verdict};
pub use policy::{
    Direction, FieldError, IpBlock, Peer, Policy, PolicyPort, PolicyRule, PortMatch, Protocol,
    policy_types_of,
};
pub use selector::{Labels, Operator, Requirement, Selector};
