//! The security spec: the versioned YAML document a team writes and reviews.
//!
//! These types mirror the document exactly as written, with every optional field
//! left optional. Defaults are applied later, in [`crate::model`], once the
//! spec has been validated, so that the spec's meaning stays in one place and
//! an error can always point back at what the user actually wrote.
//!
//! Unknown fields are not rejected here: [`crate::yaml`] collects them with
//! their paths so that validation can report every typo at once instead of
//! stopping at the first.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

/// Lets `field:` with no value (YAML null) mean the same as leaving it out.
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// The spec's JSON Schema as committed in `schema/` (what `harden schema`
/// prints and editors read). It is the schema derived from these types:
/// the `committed_schema_is_the_derived_one` test proves it byte for byte, so
/// a render need not derive it again (deriving it was a tenth of a render's
/// instructions).
pub const SCHEMA_TEXT: &str = include_str!("../schema/harden-spec.schema.json");

/// [`SCHEMA_TEXT`] without its prose (descriptions, titles, examples), as
/// `build.rs` writes it: what the type check needs.
const CHECK_SCHEMA_TEXT: &str = include_str!(concat!(env!("OUT_DIR"), "/spec-schema-check.json"));

/// The schema the spec's types are checked against, parsed once per process.
pub fn json_schema() -> &'static serde_json::Value {
    static SCHEMA: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    SCHEMA.get_or_init(|| serde_json::from_str(CHECK_SCHEMA_TEXT).expect("build.rs writes JSON"))
}

/// The JSON Schema derived from the spec types (with its title), as
/// [`SCHEMA_TEXT`] must be.
pub fn derived_schema() -> String {
    let mut schema = schemars::schema_for!(Spec);
    schema.insert(
        "title".into(),
        "harden SecuritySpec (harden.dev/v1alpha1)".into(),
    );
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}

/// The spec's schema with its prose (descriptions), as `harden schema`
/// prints it, parsed once per process: what the wizard's comments say.
pub fn documented_schema() -> &'static serde_json::Value {
    static SCHEMA: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    SCHEMA.get_or_init(|| serde_json::from_str(SCHEMA_TEXT).unwrap_or_default())
}

/// A node of the spec's schema `root` with its `$ref` and its `anyOf: [T,
/// null]` (an optional field) followed.
pub fn resolve_schema<'a>(
    root: &'a serde_json::Value,
    mut node: &'a serde_json::Value,
) -> &'a serde_json::Value {
    for _ in 0..8 {
        if let Some(reference) = node.get("$ref").and_then(|r| r.as_str()) {
            match reference
                .strip_prefix("#/$defs/")
                .and_then(|name| root.get("$defs")?.get(name))
            {
                Some(target) => node = target,
                None => return node,
            }
        } else if let Some(first) = node
            .get("anyOf")
            .and_then(|a| a.as_array())
            .and_then(|a| a.iter().find(|v| v.get("type") != Some(&"null".into())))
        {
            node = first;
        } else {
            return node;
        }
    }
    node
}

/// The schema of field `key` of the object schema `node` (a named property,
/// or the values of a map), resolved.
pub fn schema_field<'a>(
    root: &'a serde_json::Value,
    node: &'a serde_json::Value,
    key: &str,
) -> Option<&'a serde_json::Value> {
    let node = resolve_schema(root, node);
    node.get("properties")
        .and_then(|p| p.get(key))
        .or_else(|| node.get("additionalProperties").filter(|a| a.is_object()))
        .map(|n| resolve_schema(root, n))
}

/// The only `apiVersion` this build understands.
pub const API_VERSION: &str = "harden.dev/v1alpha1";
/// The only `kind` this build understands.
pub const KIND: &str = "SecuritySpec";

/// A whole spec document.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct Spec {
    /// Always `harden.dev/v1alpha1`.
    #[schemars(extend("const" = "harden.dev/v1alpha1"))]
    pub api_version: Option<String>,
    /// Always `SecuritySpec`.
    #[schemars(extend("const" = "SecuritySpec"))]
    pub kind: Option<String>,
    /// The application: names, compliance context, Pod Security pin.
    pub app: Option<App>,
    /// The container that runs the application.
    pub workload: Option<Workload>,
    /// Permissions on the Kubernetes API. Absent means none.
    pub kubernetes_api: Option<KubernetesApi>,
    /// How network policy is enforced: which CNI's policy kinds may be used.
    pub network: Option<NetworkSettings>,
    /// Who may call the application; everything else is denied.
    #[serde(default, deserialize_with = "null_as_default")]
    pub ingress: Vec<IngressRule>,
    /// Where the application may call out to; everything else is denied.
    #[serde(default, deserialize_with = "null_as_default")]
    pub egress: Vec<EgressRule>,
    /// The secrets the application reads, as files.
    pub secrets: Option<Secrets>,
    /// The Dapr sidecar and its components.
    pub dapr: Option<Dapr>,
    /// Facts of the target cluster (DNS, API server, CNI, versions). Usually
    /// set once for all specs as `cluster:` in `harden.yaml`; a field set
    /// here overrides the workspace's.
    pub cluster: Option<Cluster>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct NetworkSettings {
    /// `kubernetes` (default): NetworkPolicies only, which any CNI enforces
    /// and which cannot name a host. `cilium`: egress by hostname
    /// (`egress[].hosts`) becomes a CiliumNetworkPolicy; the cluster must run
    /// Cilium with its DNS proxy (`--enable-l7-proxy`, the default).
    #[schemars(extend("enum" = ["kubernetes", "cilium"]))]
    pub enforcement: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct App {
    /// The app's name: a DNS-1035 label (lowercase letters, digits, '-').
    pub name: Option<String>,
    /// The namespace; defaults to the app's name.
    pub namespace: Option<String>,
    /// Compliance contexts; each tightens validation.
    #[serde(default, deserialize_with = "null_as_default")]
    #[schemars(extend("items" = {"type": "string", "enum": ["soc2", "hipaa", "pci-dss"]}))]
    pub compliance: Vec<String>,
    /// The Kubernetes minor version to pin Pod Security to, e.g. v1.33.
    #[schemars(extend("pattern" = "^v1\\.[0-9]+$"))]
    pub pod_security_version: Option<String>,
    /// A label for documents: production, staging, ... Absent means production.
    pub environment: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct Workload {
    /// The image, pinned by digest: registry/name@sha256:<digest>.
    pub image: Option<String>,
    /// Accept an image pinned by tag only (never `latest`). Off by default.
    #[serde(default, deserialize_with = "null_as_default")]
    pub allow_tag_only_image: bool,
    /// The container port the app listens on (1024 to 65535).
    #[schemars(range(min = 1024, max = 65535))]
    pub port: Option<u32>,
    /// Replicas; defaults to 2.
    #[schemars(range(min = 1, max = 1000))]
    pub replicas: Option<u32>,
    /// Numeric UID, at least 10000; defaults to 10001.
    #[schemars(range(min = 10000, max = 2147483647))]
    pub run_as_user: Option<u64>,
    /// CPU and memory requests and limits (defaults: requests 100m and 128Mi, limits 500m and 256Mi).
    pub resources: Option<Resources>,
    /// Directories the app may write to (emptyDir mounts). Absent means `[/tmp]`.
    pub writable_paths: Option<Vec<String>>,
    /// The liveness and readiness probes (default: TCP on the app port).
    pub probes: Option<Probes>,
    /// Who must have signed the image: a sigstore policy-controller
    /// ClusterImagePolicy refuses pods whose image (this repository) lacks
    /// the signature, in a namespace labelled for the controller.
    /// Required under pci-dss.
    pub signature: Option<Signature>,
}

/// The image's signer: `keyless` (a Fulcio certificate for an OIDC
/// identity, as `cosign sign` in CI makes) or `key` (a public key), not both.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct Signature {
    /// The identity of a keyless signature (`cosign sign` with an OIDC token).
    pub keyless: Option<KeylessIdentity>,
    /// The public key a signature was made with.
    pub key: Option<PublicKey>,
    /// How the signature is stored: `bundle` (default; cosign v3 signs so)
    /// or `legacy` (cosign v2 and earlier).
    #[schemars(extend("enum" = ["bundle", "legacy"]))]
    pub format: Option<String>,
    /// Attestations the image must also carry, signed by the same signer.
    pub attestations: Option<Attestations>,
}

/// An OIDC identity: the certificate's issuer and its subject.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct KeylessIdentity {
    /// The OIDC issuer, an https URL, e.g.
    /// https://token.actions.githubusercontent.com for GitHub Actions.
    pub issuer: Option<String>,
    /// The exact subject, e.g. the signing workflow
    /// https://github.com/acme/shop/.github/workflows/release.yml@refs/heads/main.
    pub subject: Option<String>,
    /// A regular expression (RE2, anchored with ^ and $) the subject must
    /// match, instead of `subject`.
    pub subject_reg_exp: Option<String>,
}

/// A public key: inline PEM, a Secret in the controller's namespace
/// (cosign-system), or a KMS key; exactly one.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct PublicKey {
    /// The PEM public key (-----BEGIN PUBLIC KEY----- ...).
    pub pem: Option<String>,
    /// A Secret in cosign-system holding the PEM public key as its one entry.
    pub secret: Option<String>,
    /// A KMS key URI: awskms://, gcpkms://, azurekms:// or hashivault://.
    pub kms: Option<String>,
}

/// Attestations the image must carry (`cosign attest`).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct Attestations {
    /// An SBOM attestation: `cyclonedx` or `spdx` (cosign attest --type
    /// cyclonedx or spdxjson).
    #[schemars(extend("enum" = ["cyclonedx", "spdx"]))]
    pub sbom: Option<String>,
    /// A vulnerability-scan attestation (trivy --format cosign-vuln, then
    /// cosign attest --type vuln) no older than a bound.
    pub vulnerability_scan: Option<VulnerabilityScan>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct VulnerabilityScan {
    /// The scan's greatest age when a pod is admitted, in hours (1 to
    /// 8760; default 168, a week).
    #[schemars(range(min = 1, max = 8760))]
    pub max_age_hours: Option<u32>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct Resources {
    /// What the scheduler reserves (default 100m CPU, 128Mi memory).
    pub requests: Option<ResourceAmounts>,
    /// The most the container may use (default 500m CPU, 256Mi memory).
    pub limits: Option<ResourceAmounts>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct ResourceAmounts {
    /// CPU as a Kubernetes quantity, e.g. 250m or 1.
    pub cpu: Option<String>,
    /// Memory as a Kubernetes quantity, e.g. 256Mi.
    pub memory: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct Probes {
    /// Restarts the container when it fails (default delay 10 s, period 10 s).
    pub liveness: Option<Probe>,
    /// Takes the pod out of its Service when it fails (default delay 5 s, period 5 s).
    pub readiness: Option<Probe>,
}

/// An HTTP GET probe when `path` is set, a TCP probe on the app port otherwise.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct Probe {
    /// An HTTP path to probe on the app port, e.g. /healthz (default: a TCP probe).
    pub path: Option<String>,
    /// Seconds before the first probe (at most 3600).
    pub initial_delay_seconds: Option<u32>,
    /// Seconds between probes (1 to 3600).
    pub period_seconds: Option<u32>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct KubernetesApi {
    /// Where the API server's endpoints are (NetworkPolicy sees endpoint
    /// addresses, not the `kubernetes` Service's cluster IP).
    pub api_server: Option<ApiServer>,
    /// The projected ServiceAccount token the app reads.
    pub token: Option<TokenSettings>,
    /// What the app may do through the API: the rules of its Role, in its namespace.
    #[serde(default, deserialize_with = "null_as_default")]
    pub rules: Vec<RbacRule>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct ApiServer {
    /// The API server's address, as a single-address CIDR (kubectl get endpoints kubernetes -n default).
    pub cidr: Option<String>,
    /// The API server's port on that address.
    pub port: Option<u32>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct TokenSettings {
    /// The audience the token is issued for (default: the API server's).
    pub audience: Option<String>,
    /// How long the token lives before the kubelet rotates it (default 3600).
    pub expiration_seconds: Option<u64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct RbacRule {
    /// The API groups ("" for the core group), never `*`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub api_groups: Vec<String>,
    /// The resources, e.g. configmaps, never `*`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub resources: Vec<String>,
    /// The named objects the rule is limited to (none: every object of the resources).
    #[serde(default, deserialize_with = "null_as_default")]
    pub resource_names: Vec<String>,
    /// The verbs, e.g. get, list, watch, never `*`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub verbs: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct PortRule {
    #[schemars(range(min = 1, max = 65535))]
    /// The port number (1 to 65535).
    pub port: Option<u32>,
    /// TCP (default), UDP or SCTP.
    #[schemars(extend("enum" = ["TCP", "UDP", "SCTP"]))]
    pub protocol: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct IngressRule {
    /// The rule's name, used in policy names and comments (default from-<namespace>).
    pub name: Option<String>,
    /// Another service of the workspace (its `app.name`) that may call this
    /// app: harden fills in its namespace and pod labels. Instead of
    /// `namespace` and `podLabels`; only when the specs are compiled together.
    pub app: Option<String>,
    /// The callers' namespace. Absent means the app's own namespace.
    pub namespace: Option<String>,
    /// The callers' pod labels. Absent means every pod of that namespace.
    #[serde(default, deserialize_with = "null_as_default")]
    pub pod_labels: BTreeMap<String, String>,
    /// Ports of the app the callers may reach. Absent means the app port.
    #[serde(default, deserialize_with = "null_as_default")]
    pub ports: Vec<PortRule>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct EgressRule {
    /// The flow's name. With `app`, absent means the app's name.
    pub name: Option<String>,
    /// Another service of the workspace (its `app.name`) this app calls:
    /// harden fills in its namespace, pod labels and port. Instead of
    /// `namespace`, `podLabels` and `cidr`; only when the specs are compiled
    /// together.
    pub app: Option<String>,
    /// Destination pods' namespace (pod destinations). Absent means the app's own.
    pub namespace: Option<String>,
    /// Destination pods' labels. Absent (with no `cidr`) means every pod of `namespace`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub pod_labels: BTreeMap<String, String>,
    /// A network destination instead of pods.
    pub cidr: Option<String>,
    /// Destinations by DNS name instead of pods or a CIDR (needs
    /// `network.enforcement: cilium`): exact names such as api.stripe.com,
    /// or `*.example.com` for any one label of subdomains (not example.com
    /// itself, not a.b.example.com).
    #[serde(default, deserialize_with = "null_as_default")]
    pub hosts: Vec<String>,
    /// Ranges inside `cidr` that stay blocked.
    #[serde(default, deserialize_with = "null_as_default")]
    pub except: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    /// The destination's ports (with `app:`, the other spec's port).
    pub ports: Vec<PortRule>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct Secrets {
    /// `externalSecrets` (default) or `manual`.
    #[schemars(extend("enum" = ["externalSecrets", "manual"]))]
    pub source: Option<String>,
    /// The External Secrets store the keys are read from (source externalSecrets).
    pub store: Option<SecretStoreRef>,
    /// How often External Secrets refreshes the Secret (default 1h).
    pub refresh_interval: Option<String>,
    /// The directory the keys are mounted in, read-only, one file each (default /secrets).
    pub mount_path: Option<String>,
    /// The keys of the app's Secret, each a file under mountPath.
    #[serde(default, deserialize_with = "null_as_default")]
    pub keys: Vec<SecretKey>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct SecretStoreRef {
    /// The store's name.
    pub name: Option<String>,
    /// `SecretStore` or `ClusterSecretStore` (default).
    #[schemars(extend("enum" = ["SecretStore", "ClusterSecretStore"]))]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct SecretKey {
    /// The file name under the mount path, and the key in the Secret.
    pub name: Option<String>,
    /// Where the value lives in the external store (ESO `remoteRef.key`).
    pub remote_key: Option<String>,
    /// A property inside that remote entry (ESO `remoteRef.property`).
    pub property: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct Dapr {
    /// Whether the app runs with the Dapr sidecar (default true when the `dapr` section is present).
    pub enabled: Option<bool>,
    /// The Dapr minor version of the cluster's control plane: what the
    /// sidecar dials differs between versions. Absent means 1.18.
    #[schemars(extend("enum" = ["1.14", "1.15", "1.16", "1.17", "1.18"]))]
    pub version: Option<String>,
    /// The Dapr app-id (default: the app name).
    pub app_id: Option<String>,
    /// Log every call to the sidecar's API, URLs obfuscated (default true; SOC 2 and HIPAA require it).
    pub api_logging: Option<bool>,
    /// The namespace of the Dapr control plane (default dapr-system).
    pub control_plane_namespace: Option<String>,
    /// The app uses actors or workflows: the sidecar then connects to the
    /// placement service, and the app's own pods call each other on the
    /// sidecar's internal port. Without it, placement is turned off for the
    /// pod (Dapr 1.15 and later). Actors also open the scheduler (reminders,
    /// workflow timers).
    #[serde(default, deserialize_with = "null_as_default")]
    pub actors: bool,
    /// The app uses the jobs API: the sidecar then connects to the
    /// scheduler. Without it (and without actors) the scheduler is turned
    /// off for the pod (Dapr 1.15 and later).
    #[serde(default, deserialize_with = "null_as_default")]
    pub jobs: bool,
    /// Apps whose sidecars may invoke this app.
    #[serde(default, deserialize_with = "null_as_default")]
    pub invoked_by: Vec<DaprPeer>,
    /// Apps this app's sidecar may invoke.
    #[serde(default, deserialize_with = "null_as_default")]
    pub invokes: Vec<DaprPeer>,
    #[serde(default, deserialize_with = "null_as_default")]
    /// The app's Dapr components (state stores, pub/sub, bindings...), each scoped to the app.
    pub components: Vec<DaprComponent>,
    /// A Secret (key `token`) that protects the sidecar's API with a token.
    pub api_token_secret: Option<String>,
    /// A Secret (key `token`) whose token the sidecar sends to the app in
    /// the `dapr-api-token` header, so the app can refuse callers that are
    /// not its sidecar (the app must check it; the token is mounted in the app
    /// container at `/var/run/secrets/dapr.io/app-token/token`). Required
    /// under pci-dss.
    pub app_token_secret: Option<String>,
    /// Dapr APIs the app calls that its components and fields do not imply
    /// (the sidecar's API allowlist is derived from state, pub/sub,
    /// bindings, secret store... components, `invokes`, `actors` and
    /// `jobs`): a name such as `workflows`, `metadata` or `subscribe`, or
    /// `name/version` for one version, e.g. `state/v1alpha1` (state query).
    #[serde(default, deserialize_with = "null_as_default")]
    pub apis: Vec<String>,
    /// Dapr 1.18: the other apps (by app-id, of the app's namespace) that
    /// may call the app's workflows and activities, and with which
    /// operations. Rendered as a WorkflowAccessPolicy: once it exists, every
    /// other cross-app call is refused. An empty list admits no other app;
    /// absent leaves the app's workflows open to every app (Dapr's default).
    /// The app's calls to itself are never gated.
    pub workflow_callers: Option<Vec<DaprWorkflowCaller>>,
}

/// Another app that may call the app's workflows or activities.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct DaprWorkflowCaller {
    /// The calling app's Dapr app-id (in the app's namespace: Dapr refuses
    /// workflow calls from other namespaces once a policy exists).
    pub app_id: Option<String>,
    /// The workflows it may call, each with its operations.
    #[serde(default, deserialize_with = "null_as_default")]
    pub workflows: Vec<DaprWorkflowGrant>,
    /// The activities it may schedule, by name or glob (e.g. Charge*).
    #[serde(default, deserialize_with = "null_as_default")]
    pub activities: Vec<String>,
}

/// Workflows a caller may use, and how.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct DaprWorkflowGrant {
    /// The workflow's name, or a glob with `*` and `?`, e.g. Order*.
    pub name: Option<String>,
    /// What the caller may do with it: schedule, terminate, raise, pause,
    /// resume, purge, get or rerun.
    #[serde(default, deserialize_with = "null_as_default")]
    #[schemars(extend("items" = {"enum": ["schedule", "terminate", "raise", "pause", "resume", "purge", "get", "rerun"]}))]
    pub operations: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct DaprPeer {
    /// The other app's Dapr app-id.
    pub app_id: Option<String>,
    /// The peer's namespace. Absent means the app's own namespace.
    pub namespace: Option<String>,
    /// In `invokedBy` only: the operations this caller may invoke. Absent
    /// means every operation of the app.
    #[serde(default, deserialize_with = "null_as_default")]
    pub operations: Vec<DaprOperation>,
}

/// An operation of the app a caller may invoke through Dapr.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct DaprOperation {
    /// The invoked method's path, e.g. /orders (which also covers
    /// everything below it), /orders/* (one more segment) or /orders/**.
    pub path: Option<String>,
    /// The HTTP verbs allowed on it (upper case, e.g. GET, POST). Absent
    /// means every verb.
    #[serde(default, deserialize_with = "null_as_default")]
    pub verbs: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct DaprComponent {
    /// The component's name, as the app calls it.
    pub name: Option<String>,
    #[serde(rename = "type")]
    /// The component type, e.g. state.redis or pubsub.kafka.
    pub component_type: Option<String>,
    /// The component version (default v1).
    pub version: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    /// Plain metadata (never a credential: use secretMetadata).
    pub metadata: BTreeMap<String, String>,
    /// Metadata whose values come from keys of a Secret.
    #[serde(default, deserialize_with = "null_as_default")]
    pub secret_metadata: BTreeMap<String, SecretMetadataRef>,
    /// App-ids that may use the component. Absent means only this app.
    pub scopes: Option<Vec<String>>,
    /// Secret stores only (`secretstores.*`): the secret names the app may
    /// read through the Dapr secrets API; every other name is denied.
    /// Absent means none.
    #[serde(default, deserialize_with = "null_as_default")]
    pub allowed_secrets: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct SecretMetadataRef {
    /// The Secret. Absent means the app's own secret (`<app>-secrets`).
    pub secret: Option<String>,
    pub key: Option<String>,
}

/// The cluster profile: what the target cluster does that the output
/// depends on. A preset fixes what a distribution fixes; each field
/// overrides it.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct Cluster {
    /// The distribution: its DNS, API-server port and defaults.
    #[schemars(extend("enum" = ["kubeadm", "kind", "k3s", "gke", "gke-autopilot", "eks", "aks", "openshift"]))]
    pub preset: Option<String>,
    /// The CNI: `any` (default; NetworkPolicies only), `cilium` (the API
    /// server is reached through the `kube-apiserver` entity) or `calico`.
    #[schemars(extend("enum" = ["any", "cilium", "calico"]))]
    pub cni: Option<String>,
    /// The cluster DNS domain (kubelet `--cluster-domain`). Absent means
    /// `cluster.local`.
    pub domain: Option<String>,
    /// The nodes' own DNS search domains, which kubelet appends to every
    /// pod's search list (`cat /etc/resolv.conf` on a node).
    pub search_domains: Option<Vec<String>>,
    /// Where pods send DNS, where it differs from the preset.
    pub dns: Option<ClusterDns>,
    /// The API server's endpoints (`kubectl get endpointslice kubernetes -n
    /// default`), the default for every spec's `kubernetesApi.apiServer`.
    pub api_server: Option<ClusterApiServer>,
    /// The Dapr control plane's minor version, the default for every spec's
    /// `dapr.version`.
    pub dapr_version: Option<String>,
    /// The External Secrets Operator release, e.g. `0.15` (before 0.16 only
    /// `external-secrets.io/v1beta1` is served).
    #[schemars(extend("pattern" = "^[0-9]+\\.[0-9]+$"))]
    pub external_secrets_version: Option<String>,
    /// The admission guard (a ValidatingAdmissionPolicy from the spec, on
    /// Kubernetes v1.30 and later): `deny` refuses what the spec forbids,
    /// `warn` and `audit` only report it (a staged rollout), `off` renders
    /// none. Default: `deny` under a compliance context, else `warn`.
    #[schemars(extend("enum" = ["deny", "warn", "audit", "off"]))]
    pub guard: Option<String>,
    /// Who runs the live audit (`secure-<app>-audit.sh`): the admission
    /// guard admits their Dapr probe pods under an app's own Dapr app-id,
    /// so audit checks 15 to 17 (secret scope, per-operation access,
    /// workflow access) run under a `deny` guard. Whoever is named here can
    /// act as any Dapr app of the namespace: name the CI identity that runs
    /// the audit, not people.
    pub auditors: Option<ClusterAuditors>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct ClusterAuditors {
    /// User names as the API server authenticates them.
    pub users: Option<Vec<String>>,
    /// Groups (any member is an auditor).
    pub groups: Option<Vec<String>>,
    /// ServiceAccounts as `namespace/name` (the user
    /// `system:serviceaccount:namespace:name`).
    pub service_accounts: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct ClusterDns {
    /// The DNS pods' namespace.
    pub namespace: Option<String>,
    /// The DNS pods' labels.
    pub pod_labels: Option<BTreeMap<String, String>>,
    /// The DNS pods' port (UDP and TCP), after Service translation.
    #[schemars(range(min = 1, max = 65535))]
    pub port: Option<u32>,
    /// NodeLocal DNSCache's address on every node, e.g. 169.254.20.10.
    pub node_local_address: Option<String>,
    /// The DNS Service's cluster IP (`kubectl get service kube-dns -n
    /// kube-system -o jsonpath='{.spec.clusterIP}'`). Needed with NodeLocal
    /// DNSCache under kube-proxy's iptables mode, where the cache on the
    /// node answers at that address untranslated.
    pub service_address: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct ClusterApiServer {
    /// The endpoint addresses as CIDRs, e.g. [172.18.0.2/32].
    pub cidrs: Option<Vec<String>>,
    #[schemars(range(min = 1, max = 65535))]
    /// The API server's port on those addresses (e.g. 443 on GKE, 6443 on kubeadm).
    pub port: Option<u32>,
}

impl Cluster {
    /// `self` with every field `over` sets replaced (a spec's `cluster:`
    /// over the workspace's). A spec that names a preset describes another
    /// cluster: the workspace's profile is not laid under it at all.
    pub fn overridden_by(&self, over: &Cluster) -> Cluster {
        if over.preset.is_some() && over.preset != self.preset {
            return over.clone();
        }
        let dns = match (&self.dns, &over.dns) {
            (Some(base), Some(over)) => Some(ClusterDns {
                namespace: over.namespace.clone().or(base.namespace.clone()),
                pod_labels: over.pod_labels.clone().or(base.pod_labels.clone()),
                port: over.port.or(base.port),
                node_local_address: over
                    .node_local_address
                    .clone()
                    .or(base.node_local_address.clone()),
                service_address: over
                    .service_address
                    .clone()
                    .or(base.service_address.clone()),
            }),
            (base, over) => over.clone().or(base.clone()),
        };
        let api_server = match (&self.api_server, &over.api_server) {
            (Some(base), Some(over)) => Some(ClusterApiServer {
                cidrs: over.cidrs.clone().or(base.cidrs.clone()),
                port: over.port.or(base.port),
            }),
            (base, over) => over.clone().or(base.clone()),
        };
        Cluster {
            preset: over.preset.clone().or(self.preset.clone()),
            cni: over.cni.clone().or(self.cni.clone()),
            domain: over.domain.clone().or(self.domain.clone()),
            search_domains: over.search_domains.clone().or(self.search_domains.clone()),
            dns,
            api_server,
            dapr_version: over.dapr_version.clone().or(self.dapr_version.clone()),
            external_secrets_version: over
                .external_secrets_version
                .clone()
                .or(self.external_secrets_version.clone()),
            guard: over.guard.clone().or(self.guard.clone()),
            auditors: over.auditors.clone().or(self.auditors.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    /// The committed schema is the one the types derive. To refresh it after
    /// changing the spec types: `HARDEN_UPDATE_SCHEMA=1 cargo test --lib
    /// committed_schema`.
    #[test]
    fn committed_schema_is_the_derived_one() {
        let derived = super::derived_schema();
        if derived != super::SCHEMA_TEXT && std::env::var_os("HARDEN_UPDATE_SCHEMA").is_some() {
            let file = concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/schema/harden-spec.schema.json"
            );
            std::fs::write(file, &derived).expect("write the schema");
            return;
        }
        assert!(
            derived == super::SCHEMA_TEXT,
            "schema/harden-spec.schema.json is stale: run `HARDEN_UPDATE_SCHEMA=1 cargo test --lib committed_schema`"
        );
        assert_eq!(super::json_schema()["additionalProperties"], false);
        // The type check's copy differs only by its prose: no explanation
        // left, every type keyword kept.
        let full = serde_json::from_str::<serde_json::Value>(super::SCHEMA_TEXT)
            .unwrap()
            .to_string();
        let check = super::json_schema().to_string();
        assert!(
            check.len() < full.len() * 2 / 3,
            "{} of {}",
            check.len(),
            full.len()
        );
        for key in ["description", "title", "examples"] {
            assert!(!check.contains(&format!("\"{key}\":")), "{key}");
        }
        for key in [
            "type",
            "$ref",
            "properties",
            "items",
            "anyOf",
            "format",
            "additionalProperties",
        ] {
            let key = format!("\"{key}\":");
            assert_eq!(
                check.matches(&key).count(),
                full.matches(&key).count(),
                "{key}"
            );
        }
    }
}
