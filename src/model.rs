//! The resolved model: a validated spec with every default applied and every
//! derived name computed.
//!
//! Templates see only this model. Anything a template would otherwise have to
//! work out (which peers share the namespace, which Dapr ports apply, object
//! names) is decided here, in Rust, where it is typed and tested once; the
//! templates stay declarative.

use serde::Serialize;

pub use crate::netpol::Protocol;

pub mod guard;

/// Newest Pod Security version whose rules `harden` knows.
pub const NEWEST_PSS_MINOR: u32 = 37;
/// Oldest Pod Security version `harden` accepts.
pub const OLDEST_PSS_MINOR: u32 = 25;
/// Pod Security version pinned when the spec does not say.
pub const DEFAULT_PSS_VERSION: &str = "v1.33";
pub const DEFAULT_REPLICAS: u32 = 2;
pub const DEFAULT_RUN_AS_USER: u64 = 10001;
pub const MIN_RUN_AS_USER: u64 = 10000;
pub const DEFAULT_SECRET_MOUNT: &str = "/secrets";
pub const DEFAULT_TOKEN_EXPIRATION: u64 = 3600;
pub const DEFAULT_REFRESH_INTERVAL: &str = "1h";
/// A vulnerability scan's greatest age when `maxAgeHours` is not set: a week.
pub const DEFAULT_SCAN_MAX_AGE_HOURS: u32 = 168;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Model {
    /// Platform facts the templates need (ports, label keys, DNS pods).
    pub facts: crate::platform::Facts,
    /// The cluster profile the output is rendered for (its facts are in
    /// `facts`; the posture document lists them as assumptions).
    pub cluster: crate::platform::cluster::Profile,
    /// The spec path as shown in generated headers.
    pub spec_file: String,
    pub name: String,
    pub namespace: String,
    pub environment: String,
    pub compliance: Vec<String>,
    pub pss_version: String,
    pub service_account: String,
    pub workload: Workload,
    pub api_access: Option<ApiAccess>,
    pub network: Network,
    pub secrets: Option<Secrets>,
    pub dapr: Option<Dapr>,
    /// What `kubectl auth can-i` must answer for the app's ServiceAccount.
    pub rbac_expectations: Vec<RbacExpectation>,
    /// A declared destination the penetration test connects to, on its
    /// declared port (must connect) and on another port (must time out).
    pub reach_target: Option<ReachTarget>,
    /// Set when the spec shares its namespace with other specs of a system:
    /// the path (with `/`, relative to the app's output directory) of the
    /// namespace's own output, which holds the Namespace and its default
    /// deny once for all of them. The app's output then leaves both out
    /// and lists this directory in its kustomization.
    pub shared_namespace: Option<String>,
    /// Set for a spec compiled in a system: its neighbourhood (its flows in
    /// and out, and their other ends), for the posture document, which
    /// prints it as a Mermaid flowchart. Drawn from validated names only
    /// ([`crate::system::graph`]).
    #[serde(serialize_with = "crate::drawing::serialize_mermaid")]
    pub neighbourhood: Option<crate::drawing::Picture>,
    /// Set for a spec compiled in a system: its peer policies whose pods
    /// another spec of the system describes (their own spec opens their
    /// other flows, so the posture names no risk for them).
    pub described_peers: Vec<String>,
    /// Set for a spec compiled in a system: the app's flows (ingress and
    /// egress, by name) whose other end a spec of the system declares, with
    /// that spec's app name. The posture document says who opens the other
    /// end of each flow, and must not call these unmanaged.
    pub workspace_ends: Vec<(String, String)>,
    /// What the live audit's preflight compares with the cluster: the
    /// profile's facts this output depends on, and the field to change
    /// when the cluster differs ([`crate::platform::cluster::Profile::preflight`]).
    pub preflight: Preflight,
    /// With a profile that opens the node's metadata server for DNS (GKE's
    /// Cloud DNS): the penetration test's scenario 2.4 proves its HTTP port
    /// stays closed while a lookup through it answers.
    pub metadata_probe: Option<MetadataProbe>,
    /// `workload.signature`: the sigstore ClusterImagePolicy for the app's
    /// image repository (template 09), the Namespace's opt-in label, and
    /// the live audit's `cosign verify`.
    pub image_policy: Option<ImagePolicy>,
    /// Problems that do not stop a render (a compliance context that
    /// recommends what the spec leaves out), shown as warnings.
    #[serde(skip)]
    pub warnings: Vec<crate::diagnostics::Problem>,
    /// The admission guard: its mode, what it admits of this app, and the
    /// guard rendered for the app alone (built by `src/guard.rs`).
    pub guard: Option<guard::Setting>,
}

/// The signature an image must carry ([`crate::platform::sigstore`]).
/// Every string here was validated to a character set that needs no
/// escaping beyond the templates' quoting.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ImagePolicy {
    /// The ClusterImagePolicy's name (cluster-scoped): `<namespace>-<app>`.
    pub name: String,
    /// The fully qualified repository, and the globs matching only it.
    pub repository: String,
    pub globs: Vec<String>,
    /// Keyless: the issuer and the subject or its regular expression.
    pub issuer: Option<String>,
    pub subject: Option<String>,
    pub subject_reg_exp: Option<String>,
    /// A key: inline PEM, a Secret in the controller's namespace, or KMS.
    pub key_pem: Option<String>,
    pub key_secret: Option<String>,
    pub key_kms: Option<String>,
    /// `bundle` or `legacy`.
    pub format: String,
    /// The SBOM predicate type and `cosign verify-attestation --type`.
    pub sbom: Option<AttestationType>,
    /// The vulnerability scan's bound and its Rego policy.
    pub vulnerability_scan: Option<VulnerabilityScan>,
    /// The `cosign verify` arguments that name the signer (after `verify`,
    /// before the image), for the live audit.
    pub verify_args: Vec<String>,
    /// One line naming the signer, for comments and the posture document.
    pub signer: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AttestationType {
    pub format: String,
    pub predicate_type: String,
    pub cosign_type: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct VulnerabilityScan {
    pub predicate_type: String,
    pub max_age_hours: u32,
    pub rego: String,
}

/// The node's metadata server, opened on the DNS port only.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MetadataProbe {
    pub address: String,
    /// The port that must stay closed (it serves the node's credentials).
    pub http_port: u32,
}

/// The cluster facts the live audit reads before its checks (row 0,
/// "cluster preflight"), each with the profile field a difference is fixed
/// in. Every text here is built from validated values and fixed words.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Preflight {
    /// The DNS pods: namespace and a `kubectl -l` selector (`k=v,k=v`);
    /// empty when the profile names no DNS pods.
    pub dns_namespace: String,
    pub dns_selector: String,
    pub dns_port: u32,
    /// Other known DNS pod layouts, tried when the profile's match nothing,
    /// to name the preset to write.
    pub known_dns: Vec<KnownDns>,
    /// The NodeLocal DNSCache address the output opens, or empty.
    pub node_local_address: String,
    /// The address to suggest when the cluster runs the cache and its
    /// address cannot be read.
    pub node_local_default: String,
    /// How to stop opening the declared address when the cluster runs no
    /// cache.
    pub node_local_fix: String,
    /// Where the cache's DaemonSet runs, and its label selector.
    pub node_local_namespace: &'static str,
    pub node_local_selector: &'static str,
    /// Where the Cilium agent's DaemonSet runs, its selector and name.
    pub cilium_namespace: &'static str,
    pub cilium_selector: &'static str,
    pub cilium_daemonset: &'static str,
    /// The API server's EndpointSlice: namespace and selector.
    pub api_endpoints_namespace: &'static str,
    pub api_endpoints_selector: &'static str,
    /// The output expects a Cilium agent (profile `cni: cilium`, or the
    /// spec's `network.enforcement: cilium`), and where that was said.
    pub cilium: bool,
    pub cni_field: String,
    /// The API server endpoints the egress rule allows by ipBlock, checked
    /// only when the app has API access and no Cilium entity is used.
    pub api_server_cidrs: Vec<String>,
    pub api_server_port: u32,
    /// Where the ranges and the port are written (`cluster.apiServer.cidrs
    /// in harden.yaml` or `kubernetesApi.apiServer.cidr in the spec`).
    pub api_server_cidr_field: String,
    pub api_server_port_field: String,
    /// With Dapr: the field that sets the rendered Dapr minor version.
    pub dapr_version_field: String,
    /// The Deployment whose image tag gives the control plane's release.
    pub dapr_operator: &'static str,
    /// The supported Dapr minors, for the fix text.
    pub dapr_supported: String,
    /// The injector's runAsNonRoot environment variable and Helm value.
    pub run_as_non_root_env: &'static str,
    pub run_as_non_root_helm_value: &'static str,
    /// With External Secrets: the `apiVersion` the output uses.
    pub external_secrets_api: String,
}

/// A DNS pod layout a preset describes.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KnownDns {
    pub namespace: String,
    pub selector: String,
    /// The presets with this layout, e.g. `openshift`.
    pub presets: String,
    /// What to write, e.g. `cluster.preset: openshift`.
    pub fix: String,
}

/// A declared egress destination the live tests can address.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReachTarget {
    /// The flow's name in the spec (or the platform flow's).
    pub flow: String,
    /// Pods: their namespace and a `kubectl -l` selector; the test looks up
    /// a pod IP at run time.
    pub namespace: Option<String>,
    pub selector: Option<String>,
    /// A network destination: a single address from a /32 (or /128) CIDR.
    pub host: Option<String>,
    pub port: u32,
    pub undeclared_port: u32,
}

/// One permission the live audit checks: `expected` is `yes` or `no`;
/// `scope` is a namespace, `.` for the app's own, `*` for all namespaces.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RbacExpectation {
    pub expected: String,
    pub verb: String,
    pub resource: String,
    pub scope: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Workload {
    pub image: String,
    pub pinned_by_digest: bool,
    pub port: u32,
    pub replicas: u32,
    pub run_as_user: u64,
    pub requests: Amounts,
    pub limits: Amounts,
    pub writable_paths: Vec<WritablePath>,
    pub liveness: Probe,
    pub readiness: Probe,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Amounts {
    pub cpu: String,
    pub memory: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WritablePath {
    pub path: String,
    pub volume: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Probe {
    /// HTTP GET path; `None` means a TCP probe on the app port.
    pub path: Option<String>,
    pub initial_delay_seconds: u32,
    pub period_seconds: u32,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ApiAccess {
    /// The API server's endpoint ranges, each allowed by an ipBlock (the
    /// spec's `kubernetesApi.apiServer.cidr`, else the cluster profile's).
    pub api_server_cidrs: Vec<String>,
    pub api_server_port: u32,
    /// Under Cilium: the API server is (also) reached through the
    /// `kube-apiserver` entity in a CiliumNetworkPolicy, since CIDR rules do
    /// not match in-cluster entities there.
    pub api_server_entity: bool,
    pub audience: Option<String>,
    pub expiration_seconds: u64,
    pub rules: Vec<RbacRule>,
    /// True when a rule grants any access to Secrets (audits ask for this).
    pub grants_secrets: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RbacRule {
    pub api_groups: Vec<String>,
    pub resources: Vec<String>,
    pub resource_names: Vec<String>,
    pub verbs: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Port {
    pub port: u32,
    pub protocol: Protocol,
}

impl Port {
    pub fn tcp(port: u32) -> Port {
        Port {
            port,
            protocol: Protocol::Tcp,
        }
    }
}

/// A set of pods somewhere in the cluster, or a network range.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Peer {
    /// Namespace of the pods; `None` for a CIDR peer.
    pub namespace: Option<String>,
    /// True when the pods live in the app's namespace, where our default-deny
    /// isolates them too, so the other end of the flow needs a policy as well.
    pub same_namespace: bool,
    /// Pod labels; empty means every pod of the namespace.
    pub pod_labels: Vec<(String, String)>,
    pub cidr: Option<String>,
    pub except: Vec<String>,
    /// The app's own pods (actor calls between replicas): the app's policy
    /// is both ends of the flow, so no peer policy is needed.
    pub app_itself: bool,
}

/// One declared or platform-required flow to or from the app.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Flow {
    /// Short name used in policy names and comments.
    pub name: String,
    /// Why the flow exists, written as a comment above its rule.
    pub reason: String,
    pub peer: Peer,
    pub ports: Vec<Port>,
}

/// What enforces an app's network policies (`network.enforcement`);
/// serialised as the spec spells it, which the templates compare.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Enforcement {
    /// Kubernetes NetworkPolicies (any CNI that enforces them).
    #[default]
    Kubernetes,
    /// Cilium: NetworkPolicies plus CiliumNetworkPolicies for egress by
    /// hostname.
    Cilium,
}

impl Enforcement {
    /// The spec's spelling; `None` for a value harden does not know.
    pub fn parse(text: &str) -> Option<Enforcement> {
        match text {
            "kubernetes" => Some(Enforcement::Kubernetes),
            "cilium" => Some(Enforcement::Cilium),
            _ => None,
        }
    }
}

/// A NetworkPolicy's `policyTypes` entry: which direction of traffic it
/// governs; serialised as the API spells it.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub enum PolicyType {
    Ingress,
    Egress,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Network {
    /// What enforces the policies (`network.enforcement`).
    pub enforcement: Enforcement,
    /// Egress by DNS name (Cilium only): one CiliumNetworkPolicy egress item
    /// each. Kept apart from [`Network::egress`], whose flows all become
    /// NetworkPolicy peers.
    pub hosts: Vec<HostFlow>,
    /// With [`Network::hosts`]: every DNS name the app's pods may look up,
    /// in commented groups, for the CiliumNetworkPolicy's DNS rule. The
    /// app's own NetworkPolicy DNS rule is then left out, because a plain L4
    /// allow of port 53 would void the L7 filter
    /// ([`crate::platform::cilium::quotes::L4_VOIDS_L7`]).
    pub dns_filter: Vec<DnsGroup>,
    /// With [`Network::hosts`]: a name no rule allows, which the live audit
    /// must not reach.
    pub unlisted_host: Option<String>,
    /// Flows into the app (declared callers, Dapr invokers).
    pub ingress: Vec<Flow>,
    /// Flows out of the app (declared destinations, Dapr control plane and
    /// invoked apps, the API server).
    pub egress: Vec<Flow>,
    /// The cluster runs Cilium (the profile's CNI, or `enforcement:
    /// cilium`): node-level DNS resolvers are the `host` entity.
    pub cilium: bool,
    /// Under Cilium with API access: the API server's port, allowed to the
    /// `kube-apiserver` entity in the CiliumNetworkPolicy.
    pub api_entity_ports: Vec<Port>,
    /// Same-namespace peers that need their own end of a flow: for each, a
    /// policy on the peer pods (ingress from the app or egress to it).
    pub peer_policies: Vec<PeerPolicy>,
}

/// Egress to destinations by DNS name.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct HostFlow {
    /// The rule's name in the spec.
    pub name: String,
    pub reason: String,
    pub hosts: Vec<HostName>,
    pub ports: Vec<Port>,
}

/// One `hosts` entry: `matchPattern` when it is a wildcard, else `matchName`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct HostName {
    pub name: String,
    pub wildcard: bool,
}

/// DNS names allowed for one reason.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DnsGroup {
    pub reason: String,
    pub matches: Vec<DnsMatch>,
}

/// One entry of a Cilium `rules.dns` list.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DnsMatch {
    pub text: String,
    /// `matchPattern` when it has a `*`, else `matchName`.
    pub wildcard: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PeerPolicy {
    /// NetworkPolicy name.
    pub name: String,
    pub flow: String,
    /// `Ingress` when the peer receives from the app, `Egress` when it calls it.
    pub direction: PolicyType,
    pub pod_labels: Vec<(String, String)>,
    pub ports: Vec<Port>,
    /// Callers in the namespace resolve the app's Service name, so their
    /// policy also opens DNS; but not for pods another spec of the system
    /// describes (`system::describe_peers` clears it): their own spec opens
    /// their DNS, and a plain allow of port 53 here would void a Cilium DNS
    /// filter that spec has.
    pub allow_dns: bool,
    /// The audit waiver it carries: it selects pods deployed apart from the
    /// app, so it selects nothing in the app's own output.
    pub waiver: String,
}

/// Where an app's Secret comes from (`secrets.source`); serialised as the
/// spec spells it, which the templates compare.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum SecretSource {
    /// An ExternalSecret synced from a store by the External Secrets Operator.
    ExternalSecrets,
    /// Created by hand, out of band.
    Manual,
}

impl SecretSource {
    /// The spec's spelling; `None` for a value harden does not know.
    pub fn parse(text: &str) -> Option<SecretSource> {
        match text {
            "externalSecrets" => Some(SecretSource::ExternalSecrets),
            "manual" => Some(SecretSource::Manual),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Secrets {
    /// Where the Secret comes from (`secrets.source`).
    pub source: SecretSource,
    pub secret_name: String,
    pub store_name: Option<String>,
    pub store_kind: Option<String>,
    pub refresh_interval: String,
    pub mount_path: String,
    pub keys: Vec<SecretKey>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SecretKey {
    pub name: String,
    pub remote_key: String,
    pub property: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Dapr {
    /// The Dapr minor version, e.g. `1.18`.
    pub version: String,
    /// Render `dapr.io/placement-host-address: ""`: no actors, and the
    /// version's injector honours the empty value.
    pub disable_placement: bool,
    /// Render `dapr.io/scheduler-host-address: ""`: neither actors nor jobs,
    /// and the version's injector honours the empty value.
    pub disable_scheduler: bool,
    /// Render `dapr.io/enable-native-sidecar: "false"`: the version's
    /// injector reads it ([`crate::platform::dapr::native_sidecar`]).
    pub pin_classic_sidecar: bool,
    pub app_id: String,
    pub api_logging: bool,
    pub control_plane_namespace: String,
    pub actors: bool,
    pub jobs: bool,
    pub config_name: String,
    pub invoked_by: Vec<DaprPeer>,
    pub invokes: Vec<DaprPeer>,
    pub components: Vec<Component>,
    pub api_token_secret: Option<String>,
    /// The API token Secret as `04-secrets.yaml` renders it: an
    /// ExternalSecret, or instructions to create it.
    pub api_token: Option<ApiToken>,
    /// The app token Secret (`dapr.appTokenSecret`), rendered like the API
    /// token; the sidecar sends its value to the app.
    pub app_token: Option<ApiToken>,
    /// The Configuration's `spec.api.allowed`, derived from the spec:
    /// every entry once per protocol ([`crate::platform::dapr::surface`]).
    pub api_allowed: Vec<ApiRule>,
    /// The app calls no API: `api_allowed` holds only the closing entry
    /// ([`crate::platform::dapr::surface::CLOSING_API`]).
    pub api_closing_only: bool,
    /// The path the live audit calls, from a probe running under this
    /// Configuration, expecting the allowlist's refusal
    /// ([`crate::platform::dapr::surface::PROBE_API`]); `None` when the app
    /// may call that API itself.
    pub api_probe_path: Option<String>,
    /// The Configuration's `spec.secrets.scopes`: one per secret store the
    /// sidecar may load, each `defaultAccess: deny`.
    pub secret_scopes: Vec<SecretScope>,
    /// The app's `WorkflowAccessPolicy` (Dapr 1.18, `dapr.workflowCallers`).
    pub workflow_policy: Option<WorkflowPolicy>,
    /// The read the live scripts try outside a secret scope; `None` when
    /// the app reads no secret through Dapr's API.
    pub secret_probe: Option<SecretProbe>,
    /// The calls a declared caller's probe makes against the app's
    /// per-operation access; `None` when no caller is limited to
    /// operations a probe can step outside of.
    pub operation_probe: Option<OperationProbe>,
    /// The annotations of the pod template, in the rendered order
    /// ([`Dapr::pod_annotations`]): `06-deployment.yaml.j2` prints them and
    /// the admission guard requires exactly them, so the two cannot part.
    pub annotations: Vec<Annotation>,
}

/// The `WorkflowAccessPolicy` of an app: scoped to its app-id, one rule per
/// caller ([`crate::platform::dapr::surface::WORKFLOW_OPERATIONS`]).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WorkflowPolicy {
    pub name: String,
    pub callers: Vec<WorkflowCaller>,
}

/// One caller of a [`WorkflowPolicy`]: at least one workflow or activity.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WorkflowCaller {
    pub app_id: String,
    pub workflows: Vec<WorkflowGrant>,
    pub activities: Vec<String>,
}

/// A workflow (name or glob) and its operations, none repeated.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WorkflowGrant {
    pub name: String,
    pub operations: Vec<String>,
}

/// One annotation of the pod template: a key the Dapr injector reads
/// ([`crate::platform::dapr::AnnotationFacts`]) and its value.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Annotation {
    pub key: &'static str,
    pub value: String,
}

/// The sidecar's resources, set on every pod (the injector reads them from
/// the annotations; harden's choice, not a Dapr default).
const SIDECAR_CPU_REQUEST: &str = "100m";
const SIDECAR_CPU_LIMIT: &str = "300m";
const SIDECAR_MEMORY_REQUEST: &str = "64Mi";
const SIDECAR_MEMORY_LIMIT: &str = "256Mi";

impl Dapr {
    /// The annotations the app's pod template carries for an app serving on
    /// `port`: always the app's identity, configuration, the sidecar's
    /// seccomp profile and resources; the empty placement and scheduler
    /// addresses, the classic sidecar pin and the token Secrets when the
    /// model asks for them.
    pub fn pod_annotations(&self, port: u32) -> Vec<Annotation> {
        let a = crate::platform::dapr::AnnotationFacts::get();
        let mut out: Vec<(&'static str, String)> = vec![
            (a.enabled, "true".into()),
            (a.app_id, self.app_id.clone()),
            (a.app_port, port.to_string()),
            (a.config, self.config_name.clone()),
            (a.api_logging, self.api_logging.to_string()),
            (a.seccomp, "RuntimeDefault".into()),
            (a.disable_builtin_secret_store, "true".into()),
            (a.cpu_request, SIDECAR_CPU_REQUEST.into()),
            (a.cpu_limit, SIDECAR_CPU_LIMIT.into()),
            (a.memory_request, SIDECAR_MEMORY_REQUEST.into()),
            (a.memory_limit, SIDECAR_MEMORY_LIMIT.into()),
        ];
        if self.disable_placement {
            out.push((a.placement_host_address, String::new()));
        }
        if self.disable_scheduler {
            out.push((a.scheduler_host_address, String::new()));
        }
        if self.pin_classic_sidecar {
            out.push((a.enable_native_sidecar, "false".into()));
        }
        if let Some(secret) = &self.api_token_secret {
            out.push((a.api_token_secret, secret.clone()));
        }
        if let Some(token) = &self.app_token {
            out.push((a.app_token_secret, token.secret_name.clone()));
        }
        out.into_iter()
            .map(|(key, value)| Annotation { key, value })
            .collect()
    }
}

/// One `spec.api.allowed` entry of the app's Configuration.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct ApiRule {
    pub name: String,
    pub version: String,
    /// `http` or `grpc`, never empty (an entry without one matches nothing).
    pub protocol: String,
}

/// One `spec.secrets.scopes` entry: the store's secrets the app may read
/// through the Dapr secrets API; every other one is denied.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SecretScope {
    pub store_name: String,
    pub default_access: String,
    pub allowed_secrets: Vec<String>,
}

/// What the live scripts read through the secrets API of a sidecar under
/// the app's app-id and Configuration: a key of `store` outside the scope.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SecretProbe {
    pub store: String,
    /// Not in `allowed` ([`crate::platform::dapr::surface::PROBE_SECRET`]).
    pub secret: String,
    /// The scope's `allowedSecrets`, for the evidence.
    pub allowed: Vec<String>,
}

/// One call through Dapr service invocation: a path and an HTTP verb.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DaprCall {
    /// With a leading `/`.
    pub path: String,
    pub verb: String,
}

/// What a probe under a declared caller's app-id, in its namespace,
/// invokes on the app: an operation it was not given, which the app's
/// sidecar must refuse, and one it was given (none when every granted
/// path is a glob), which the access control must let through.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OperationProbe {
    pub caller: String,
    pub namespace: String,
    pub denied: DaprCall,
    pub granted: Option<DaprCall>,
}

/// An operation a Dapr caller may invoke (`invokedBy[].operations`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DaprOperation {
    /// With a leading `/`.
    pub name: String,
    /// Upper-case verbs; `["*"]` when the spec names none.
    pub verbs: Vec<String>,
}

/// The Secret the injector reads the sidecar's API token from
/// (`dapr.io/api-token-secret`). The pod cannot start without it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ApiToken {
    /// The annotation naming the Secret, and what the token is for, for
    /// the comments of `04-secrets.yaml`.
    pub annotation: String,
    pub purpose: String,
    pub secret_name: String,
    /// Always `token` ([`crate::platform::dapr::API_TOKEN_KEY`]).
    pub key: String,
    /// With `secrets.source: externalSecrets`: the store entry the
    /// ExternalSecret reads, `<app>/dapr-api-token` (its value is the
    /// token). `None`: the Secret is created by hand.
    pub remote_key: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DaprPeer {
    pub app_id: String,
    pub namespace: String,
    /// Callers only: the operations it may invoke; empty means all.
    pub operations: Vec<DaprOperation>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Component {
    pub name: String,
    pub component_type: String,
    pub version: String,
    pub metadata: Vec<(String, String)>,
    pub secret_metadata: Vec<SecretMetadata>,
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SecretMetadata {
    pub name: String,
    pub secret: String,
    pub key: String,
}
