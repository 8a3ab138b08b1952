//! harden's own names: the labels it writes and the files it generates.
//! Not facts about the platform, but facts every part of harden must agree
//! on, so they live beside them.

use serde::Serialize;

/// Names the app on every object harden writes; the app's pods carry it too,
/// and policies select them by it.
pub const APP_NAME_LABEL: &str = "app.kubernetes.io/name";
/// Groups a peer's policy or a component with the app it serves.
pub const PART_OF_LABEL: &str = "app.kubernetes.io/part-of";
/// Marks every object harden writes.
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
pub const MANAGED_BY_VALUE: &str = "harden";
/// Waives audit findings on the object it annotates:
/// `"<rule-id>: <reason>"`, one per line (see `harden audit`).
pub const WAIVE_ANNOTATION: &str = "harden.dev/waive";
/// Names, on the app's Namespace, the compliance frameworks the spec
/// declares (comma-separated).
pub const COMPLIANCE_ANNOTATION: &str = "harden.dev/compliance";
/// Marks the live scripts' probe pods, which carry the app's labels.
pub const PROBE_LABEL: &str = "harden.dev/probe";

/// The generated files.
pub const NAMESPACE_FILE: &str = "01-namespace.yaml";
pub const RBAC_FILE: &str = "02-rbac.yaml";
pub const NETWORK_POLICY_FILE: &str = "03-network-policy.yaml";
/// The CiliumNetworkPolicy for egress by hostname; only when the spec has one.
pub const CILIUM_POLICY_FILE: &str = "03-cilium-network-policy.yaml";
pub const SECRETS_FILE: &str = "04-secrets.yaml";
pub const DAPR_FILE: &str = "05-dapr-components.yaml";
pub const DEPLOYMENT_FILE: &str = "06-deployment.yaml";
/// The PodDisruptionBudget; only when the app runs more than one replica.
pub const DISRUPTION_BUDGET_FILE: &str = "07-disruption-budget.yaml";
/// The admission guard (ValidatingAdmissionPolicies and bindings); in a
/// namespace several specs share, once in the namespace's output.
pub const ADMISSION_GUARD_FILE: &str = "08-admission-guard.yaml";
/// The sigstore ClusterImagePolicy; only when the spec has `workload.signature`.
pub const IMAGE_POLICY_FILE: &str = "09-image-policy.yaml";
pub const KUSTOMIZATION_FILE: &str = "kustomization.yaml";
pub const POSTURE_FILE: &str = "SECURITY-POSTURE.md";

/// The live audit script of `app`.
pub fn audit_script(app: &str) -> String {
    format!("secure-{app}-audit.sh")
}

/// The penetration-test script of `app`.
pub fn pentest_script(app: &str) -> String {
    format!("secure-{app}-pentest.sh")
}

/// The label and annotation keys templates use.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LabelFacts {
    pub app_name: &'static str,
    pub part_of: &'static str,
    pub managed_by: &'static str,
    pub managed_by_value: &'static str,
    pub probe: &'static str,
    pub waive: &'static str,
    pub compliance: &'static str,
}

impl LabelFacts {
    pub fn get() -> LabelFacts {
        LabelFacts {
            app_name: APP_NAME_LABEL,
            part_of: PART_OF_LABEL,
            managed_by: MANAGED_BY_LABEL,
            managed_by_value: MANAGED_BY_VALUE,
            probe: PROBE_LABEL,
            waive: WAIVE_ANNOTATION,
            compliance: COMPLIANCE_ANNOTATION,
        }
    }
}
