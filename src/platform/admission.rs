//! Kubernetes admission facts the admission guard (`crate::guard`) is built
//! on: the ValidatingAdmissionPolicy API, where it runs, what it matches and
//! how a binding enforces. Each fact names the upstream source it was read
//! in (research notes: `docs/upstream/admission.md`, sections 2 and 3).

/// The API group and version of ValidatingAdmissionPolicy and its binding:
/// `admissionregistration.k8s.io/v1`, marked "prerelease-lifecycle
/// introduced=1.30" in kubernetes/api `admissionregistration/v1/types.go`
/// (v0.30.0; absent at v0.29.0).
pub const API_VERSION: &str = "admissionregistration.k8s.io/v1";
pub const POLICY_KIND: &str = "ValidatingAdmissionPolicy";
pub const BINDING_KIND: &str = "ValidatingAdmissionPolicyBinding";
/// The first Kubernetes minor that serves the v1 API, with the feature gate
/// `ValidatingAdmissionPolicy` GA and locked on (kubernetes/apiserver
/// `pkg/features/kube_features.go` at v0.30.0; beta and default off in 1.28
/// and 1.29). The Kubernetes tutorial also asks for 1.30 or later
/// (kubernetes/website `content/en/docs/reference/access-authn-authz/admission-policy-tutorial.md`).
pub const FIRST_MINOR: u32 = 30;

/// The label the API server sets on every namespace to its own name
/// (kubernetes `pkg/apis/core/v1/defaults.go` `SetDefaults_Namespace`), which
/// the guard's namespace selectors match, so they need no label of harden's.
pub use crate::platform::kubernetes::NAMESPACE_NAME_LABEL;

/// `failurePolicy: Fail`: an expression that errors (a compile, runtime or
/// configuration error) refuses the request instead of letting it through
/// (kubernetes/api `admissionregistration/v1/types.go`, `FailurePolicyType`;
/// the default, written out anyway).
pub const FAILURE_POLICY: &str = "Fail";

/// The operations the guard judges: DELETE cannot make a workload weaker,
/// and a policy matches DELETE only when it lists it (types.go,
/// `Validation.Expression` comment).
pub const OPERATIONS: [&str; 2] = ["CREATE", "UPDATE"];

/// One `resourceRules` entry: an API group, its version and resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ResourceRule {
    pub api_group: &'static str,
    pub api_version: &'static str,
    pub resources: &'static [&'static str],
}

/// Pods and every built-in kind with a pod template. `pods` covers the pod
/// only: `pods/ephemeralcontainers` (what `kubectl debug` adds) is a
/// subresource and needs its own entry (types.go, comment on
/// `Rule.Resources`). Controller-created pods are CREATE requests on
/// `pods`, so they are judged like any other.
pub const WORKLOAD_RULES: [ResourceRule; 3] = [
    ResourceRule {
        api_group: "",
        api_version: "v1",
        resources: &["pods", "pods/ephemeralcontainers"],
    },
    ResourceRule {
        api_group: "apps",
        api_version: "v1",
        resources: &["deployments", "replicasets", "statefulsets", "daemonsets"],
    },
    ResourceRule {
        api_group: "batch",
        api_version: "v1",
        resources: &["jobs", "cronjobs"],
    },
];

/// RoleBindings, whose grants the guard's RBAC policy judges, and Roles
/// (the spec's Role must keep the spec's rules).
pub const RBAC_RULES: [ResourceRule; 1] = [ResourceRule {
    api_group: "rbac.authorization.k8s.io",
    api_version: "v1",
    resources: &["rolebindings", "roles"],
}];

/// A binding's `validationActions`: `Deny` refuses, `Warn` answers with an
/// HTTP warning (code 299), `Audit` writes the audit annotation
/// `validation.policy.admission.k8s.io/validation_failure`. `Deny` and
/// `Warn` together are rejected (kubernetes
/// `pkg/apis/admissionregistration/validation/validation.go`
/// `validateValidationActions`; types.go `ValidationAction`).
pub const DENY: &str = "Deny";
pub const WARN: &str = "Warn";
pub const AUDIT: &str = "Audit";

/// The built-in ClusterRoles that grant a namespace's whole content (or
/// the cluster's) when bound in it: the user-facing roles of
/// kubernetes `plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go`
/// (`cluster-admin`, `admin`, `edit`; `view` reads no Secrets).
pub const WIDE_CLUSTER_ROLES: [&str; 3] = ["cluster-admin", "admin", "edit"];

/// The groups every ServiceAccount of a namespace (or of the cluster)
/// belongs to, and the user name of a ServiceAccount: a RoleBinding to
/// these reaches the app's ServiceAccount too (kubernetes
/// `staging/src/k8s.io/apiserver/pkg/authentication/serviceaccount/util.go`:
/// `AllServiceAccountsGroup = "system:serviceaccounts"`,
/// `ServiceAccountGroupPrefix = "system:serviceaccounts:"`,
/// `ServiceAccountUsernamePrefix = "system:serviceaccount:"`).
pub const ALL_SERVICE_ACCOUNTS_GROUP: &str = "system:serviceaccounts";
pub const SERVICE_ACCOUNT_GROUP_PREFIX: &str = "system:serviceaccounts:";
pub const SERVICE_ACCOUNT_USER_PREFIX: &str = "system:serviceaccount:";

/// Identities that name everybody, or nobody in particular (kubernetes
/// `staging/src/k8s.io/apiserver/pkg/authentication/user/user.go`:
/// `AllAuthenticated`, `AllUnauthenticated`, `Anonymous`), besides the
/// ServiceAccount groups above: `cluster.auditors` refuses them, since an
/// auditor may act as any Dapr app of the namespace.
pub const EVERYBODY_GROUPS: [&str; 3] = [
    "system:authenticated",
    "system:unauthenticated",
    ALL_SERVICE_ACCOUNTS_GROUP,
];
pub const ANONYMOUS_USER: &str = "system:anonymous";

/// The container the Dapr injector adds to a pod at admission, on CREATE
/// only (dapr/dapr v1.18.3 `pkg/injector/consts/consts.go`
/// `SidecarContainerName = "daprd"`; the webhook matches `pods` CREATE,
/// `charts/dapr/charts/dapr_sidecar_injector/templates/dapr_sidecar_injector_webhook_config.yaml`).
/// The injector adds none when a container of that name exists
/// (`pkg/injector/patcher/sidecar_patcher.go` `podContainsSidecarContainer`),
/// so a pod template must never carry one.
pub const DAPR_SIDECAR_CONTAINER: &str = "daprd";
/// The repositories of Dapr's released sidecar image: the chart's default
/// registry `ghcr.io/dapr` (`charts/dapr/values.yaml`, `global.registry`) and
/// Docker Hub's `daprio`, both `…/daprd:<tag>` (chart
/// `templates/dapr_sidecar_injector_deployment.yaml`, `SIDECAR_IMAGE`).
/// A mirror elsewhere is refused (written as unverified: the chart lets an
/// operator set any registry).
pub const DAPR_SIDECAR_REPOSITORIES: [&str; 2] = ["ghcr.io/dapr/daprd", "docker.io/daprio/daprd"];
/// The projected token the injector gives daprd: its audience is Sentry's
/// SPIFFE ID, `spiffe://<trust domain>/ns/<control plane namespace>/dapr-sentry`
/// (dapr/dapr v1.18.3 `pkg/injector/patcher/sidecar_volumes.go`
/// `getTokenVolume`; the format from `sidecar_patcher_test.go`).
pub const DAPR_SENTRY_AUDIENCE_PREFIX: &str = "spiffe://";
pub const DAPR_SENTRY_AUDIENCE_SUFFIX: &str = "/dapr-sentry";
/// The prefix of every annotation the Dapr injector reads (dapr/dapr
/// v1.18.3 `pkg/injector/annotations/annotations.go`, every `Key*`
/// constant starts with `dapr.io/`).
pub const DAPR_ANNOTATION_PREFIX: &str = "dapr.io/";
