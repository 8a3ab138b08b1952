//! Dapr facts: the control plane the sidecar dials, the sidecar's ports, the
//! injector's annotations and labels, for each supported Dapr minor version.
//!
//! Read in dapr/dapr at tags v1.14.5, v1.15.14, v1.16.19, v1.17.13 and
//! v1.18.3 (spot checks at v1.14.0, v1.15.0 to v1.15.6, v1.16.0). Paths are
//! relative to that repository; "chart" is
//! `charts/dapr/charts/dapr_<component>/`. Component metadata is read in
//! dapr/components-contrib at v1.17.8 and v1.18.4, the versions
//! `go.mod` @ v1.17.13 and @ v1.18.3 require.

use serde::Serialize;

pub mod surface;

/// A supported Dapr minor version: what the sidecar dials and which
/// annotations the injector honours differ between them.
///
/// What changed in the injector after 1.16, each read in `git diff
/// v1.16.19 v1.17.13` and `v1.17.13 v1.18.3` of `pkg/injector`:
/// - 1.17: the scheduler address is a daprd flag, no longer environment
///   variables ([`Version::scheduler_addressing`]); `dapr.io/scheduler-host-address`
///   becomes a pointer field, so a present-but-empty value is passed as an
///   empty flag (`patcher/sidecar.go`, `patcher/sidecar_container.go` @
///   v1.17.13); the injector takes `--scheduler-enabled` from the chart's
///   `global.scheduler.enabled` (chart dapr_sidecar_injector deployment @
///   v1.17.13) and passes no scheduler address when it is false; new
///   annotations `dapr.io/sidecar-svc-annotations` and
///   `dapr.io/disable-init-endpoints` (`annotations/annotations.go` @
///   v1.17.13), which harden does not write.
/// - 1.18: `dapr.io/enable-native-sidecar` ([`Version::native_sidecar_annotation`])
///   and `dapr.io/actors-disseminate-timeout` (`annotations/annotations.go`
///   @ v1.18.3, the latter not written by harden); the sidecar's default
///   probes change (`patcher/sidecar.go` defaults, delay/timeout/period/
///   threshold: liveness 3/3/6/3 @ v1.17.13 -> 180/3/10/5 @ v1.18.3,
///   readiness 3/3/6/3 -> 1/1/1/5), which harden does not override.
/// - Unchanged 1.16 to 1.18: the control-plane services and ports
///   (`patcher/services.go`: `dapr-api` 443, `dapr-placement-server`
///   50005, `dapr-scheduler-server` 50006, `dapr-sentry` 443; chart
///   `values.yaml` target ports sentry 50001, operator 6500, placement
///   `apiPort` 50005, scheduler statefulset `containerPort: 50006`; the
///   chart's `app` labels), how an empty placement address turns placement
///   off (`service/pod_patch.go`, `patcher/sidecar.go`), the API token's
///   `secretKeyRef` (`patcher/sidecar_container.go`) and the drop-ALL
///   setting (`service/config.go`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Version {
    V1_14,
    V1_15,
    V1_16,
    V1_17,
    V1_18,
}

/// How the injector tells the sidecar where the scheduler is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchedulerAddressing {
    /// 1.14: environment variable `DAPR_SCHEDULER_HOST_ADDRESS` listing
    /// every scheduler pod (`dapr-scheduler-server-<n>.dapr-scheduler-server.<ns>.svc.<domain>:50006`),
    /// `service/pod_patch.go` and `patcher/sidecar_container.go` @ v1.14.5,
    /// read by `cmd/daprd/options/options.go` @ v1.14.5.
    EveryPodVariable,
    /// 1.15 and 1.16: that variable and `DAPR_SCHEDULER_HOST_ADDRESS_DNS_A`
    /// (`dapr-scheduler-server-a.<ns>.svc.<domain>:443`), which daprd
    /// prefers (`cmd/daprd/options/options.go` @ v1.15.14, v1.16.19).
    DnsAVariable,
    /// 1.17 and later: the flag `--scheduler-host-address
    /// dapr-scheduler-server-a.<ns>.svc.<domain>:443`, or the annotation's
    /// value when the annotation is present, even empty
    /// (`patcher/sidecar_container.go` @ v1.17.13, v1.18.3).
    Flag,
}

impl Version {
    /// Every supported version, oldest first, as written in a spec.
    pub const SUPPORTED: [(&'static str, Version); 5] = [
        ("1.14", Version::V1_14),
        ("1.15", Version::V1_15),
        ("1.16", Version::V1_16),
        ("1.17", Version::V1_17),
        ("1.18", Version::V1_18),
    ];
    /// Assumed when the spec does not say: the newest verified minor.
    pub const DEFAULT: Version = Version::V1_18;
    /// The newest minor whose facts were read upstream.
    pub const NEWEST: Version = Version::V1_18;

    pub fn parse(text: &str) -> Option<Version> {
        Self::SUPPORTED
            .iter()
            .find(|(name, _)| *name == text)
            .map(|(_, v)| *v)
    }

    pub fn name(self) -> &'static str {
        Self::SUPPORTED
            .iter()
            .find(|(_, v)| *v == self)
            .map_or("?", |(name, _)| name)
    }

    /// Whether `text` is a `1.<minor>` newer than [`Version::NEWEST`]: a
    /// Dapr that may exist, whose injector harden has not read.
    pub fn is_newer_than_verified(text: &str) -> bool {
        let minor = |t: &str| {
            t.strip_prefix("1.")
                .filter(|m| !m.is_empty() && m.len() <= 4 && m.chars().all(|c| c.is_ascii_digit()))
                .and_then(|m| m.parse::<u32>().ok())
        };
        match (minor(text), minor(Self::NEWEST.name())) {
            (Some(asked), Some(newest)) => asked > newest,
            _ => false,
        }
    }

    /// Whether `dapr.io/placement-host-address: ""` turns placement (and
    /// with it actors and workflows) off for the pod.
    ///
    /// 1.15.0 and later: `pkg/injector/patcher/sidecar.go` keeps an annotation
    /// that is present but empty ("respect user defined \"\" for fields to
    /// disable them"), and `sidecar_container.go` then passes no
    /// `--placement-host-address`; daprd logs "Actor runtime disabled"
    /// (`pkg/actors/actors.go`). 1.14: `sidecar.go` @ v1.14.5 skips empty
    /// values (`if an[key] == "" { continue }`), so the default address is
    /// still injected. Unchanged @ v1.17.13 and v1.18.3 (`service/pod_patch.go`
    /// sets the default before `SetFromPodAnnotations`, `sidecar_container.go`
    /// passes the flag only for a non-blank address).
    pub fn placement_can_be_disabled(self) -> bool {
        self >= Version::V1_15
    }

    /// Whether `dapr.io/scheduler-host-address: ""` turns the scheduler
    /// (jobs, actor reminders, workflow timers) off for the pod.
    ///
    /// 1.15 and 1.16: `service/pod_patch.go` fills the scheduler address
    /// before `SetFromPodAnnotations`, which keeps a present empty value
    /// (`patcher/sidecar.go`, trimmed of quotes); `sidecar_container.go` then
    /// sets neither scheduler variable, so daprd has no address
    /// (`cmd/daprd/options/options.go`) @ v1.15.14, v1.16.19. 1.17 and 1.18:
    /// the field is a pointer, so the empty value is passed as
    /// `--scheduler-host-address ""` (`patcher/sidecar_container.go` @
    /// v1.17.13, v1.18.3). With no (or one blank) address daprd disables
    /// its scheduler client, logs "No scheduler host addresses provided.
    /// Scheduler disabled" and marks that readiness target ready
    /// (`pkg/runtime/scheduler/internal/watchhosts/watchhosts.go` @
    /// v1.15.14 to v1.18.3; "Scheduler disabled, not connecting..." in
    /// `pkg/runtime/scheduler/scheduler.go` @ v1.15.0 to v1.15.5). 1.14:
    /// `sidecar.go` @ v1.14.5 skips empty values, so the address is kept.
    pub fn scheduler_can_be_disabled(self) -> bool {
        self >= Version::V1_15
    }

    /// How the injector passes the scheduler's address to the sidecar.
    pub fn scheduler_addressing(self) -> SchedulerAddressing {
        match self {
            Version::V1_14 => SchedulerAddressing::EveryPodVariable,
            Version::V1_15 | Version::V1_16 => SchedulerAddressing::DnsAVariable,
            Version::V1_17 | Version::V1_18 => SchedulerAddressing::Flag,
        }
    }

    /// Whether the injector reads `dapr.io/enable-native-sidecar`: when
    /// true, daprd is added to `initContainers` with `restartPolicy:
    /// Always` (Kubernetes native sidecar, KEP-753) instead of to
    /// `containers` (`patcher/sidecar_patcher.go`, `sidecar_container.go`
    /// @ v1.18.3). The annotation overrides the injector's
    /// `NATIVE_SIDECAR_ENABLED` (chart `nativeSidecar: false` by default):
    /// `service/pod_patch.go` sets the global value before
    /// `SetFromPodAnnotations`, and a bool annotation is parsed with
    /// `IsTruthy`. Absent @ v1.17.13 (`annotations/annotations.go`).
    pub fn native_sidecar_annotation(self) -> bool {
        self >= Version::V1_18
    }

    /// Whether the `WorkflowAccessPolicy` custom resource exists: its CRD
    /// and loader are in v1.18.0 and v1.18.3
    /// (`charts/dapr/crds/workflowaccesspolicy.yaml`,
    /// `pkg/runtime/workflowaccesspolicy.go`), absent from
    /// `charts/dapr/crds/` @ v1.17.13 and earlier.
    pub fn workflow_access_policy(self) -> bool {
        self >= Version::V1_18
    }
}

/// A Dapr control-plane service the sidecar dials, as a NetworkPolicy sees
/// it: the pods' `app` label and the pod (target) port, never the Service
/// port (443 for sentry, operator and scheduler-a), because policies match
/// after service translation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ControlPlaneService {
    /// The flow's name in the model, policies and reports.
    pub flow: &'static str,
    /// The value of [`CONTROL_PLANE_LABEL`] on the component's pods.
    pub app_label: &'static str,
    /// The pod port the sidecar reaches.
    pub port: u32,
    /// Why the sidecar needs it, for policy comments and the posture document.
    pub reason: &'static str,
}

/// The label the Dapr chart sets on every control-plane pod to name its
/// component (`app: dapr-sentry`, ...). `app.kubernetes.io/name` is the Helm
/// release name, the same on every component, so it cannot select one.
/// Chart: every `templates/*_deployment.yaml` / `*_statefulset.yaml`
/// (`labels: app: dapr-sentry` then `global.k8sLabels`), all three tags.
pub const CONTROL_PLANE_LABEL: &str = "app";

/// The namespace `dapr init -k` and the Helm chart's documentation use.
pub const DEFAULT_CONTROL_PLANE_NAMESPACE: &str = "dapr-system";

/// Sentry: the sidecar's mTLS certificate. Dialled always in Kubernetes mode
/// (`pkg/security/security.go`: "In Kubernetes, Daprd always communicates
/// mTLS with the control plane"). Chart dapr_sentry `values.yaml`:
/// `port: 443, targetPort: 50001`; deployment `containerPort: 50001`.
pub const SENTRY: ControlPlaneService = ControlPlaneService {
    flow: "dapr-sentry",
    app_label: "dapr-sentry",
    port: 50001,
    reason: "Dapr Sentry: the sidecar's mTLS certificate",
};

/// Operator (Service `dapr-api`): configuration, components, subscriptions.
/// Dialled always at start-up in Kubernetes mode (`pkg/runtime/config.go`:
/// "Initializing the operator client"). Chart dapr_operator `values.yaml`:
/// `port: 443, targetPort: 6500`; deployment `containerPort: 6500`.
pub const OPERATOR: ControlPlaneService = ControlPlaneService {
    flow: "dapr-operator",
    app_label: "dapr-operator",
    port: 6500,
    reason: "Dapr operator: components and configuration",
};

/// Placement: the actor placement tables (actors and workflows). Dialled
/// whenever the sidecar has a placement address (`pkg/actors/actors.go`).
/// Chart dapr_placement: headless Service `dapr-placement-server`, `apiPort:
/// 50005`; `pkg/injector/patcher/services.go`: `ServicePlacement =
/// Service{"dapr-placement-server", 50005}`.
pub const PLACEMENT: ControlPlaneService = ControlPlaneService {
    flow: "dapr-placement",
    app_label: "dapr-placement-server",
    port: 50005,
    reason: "Dapr placement: actor placement tables (actors and workflows)",
};

/// Scheduler: jobs, actor reminders (the default from 1.15,
/// `pkg/config/configuration.go` `SchedulerReminders: true`), workflow
/// timers. Dialled whenever the sidecar has a scheduler address, which the
/// injector sets while the scheduler runs (see [`SchedulerAddressing`]:
/// `dapr-scheduler-server-a:443` -> pod port 50006 from 1.15). Chart
/// dapr_scheduler statefulset `containerPort: 50006` (also @ v1.17.13,
/// v1.18.3).
pub const SCHEDULER: ControlPlaneService = ControlPlaneService {
    flow: "dapr-scheduler",
    app_label: "dapr-scheduler-server",
    port: 50006,
    reason: "Dapr scheduler: jobs, reminders and workflow timers",
};

/// What an app uses of Dapr that needs the control plane beyond Sentry and
/// the operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Uses {
    /// Actors or workflows: placement, and the scheduler for reminders and
    /// workflow timers.
    pub actors: bool,
    /// The jobs API: the scheduler.
    pub jobs: bool,
}

impl Uses {
    /// Whether the app needs the scheduler: jobs, or actors (reminders,
    /// workflow timers).
    pub fn scheduler(self) -> bool {
        self.actors || self.jobs
    }
}

/// The control-plane services the sidecar of an app dials, for a Dapr
/// version and what the app uses. Sentry and operator always; placement
/// when actors are used, and on 1.14 always, since there the injector always
/// passes its address ([`Version::placement_can_be_disabled`]); the
/// scheduler when actors or jobs are used, and on 1.14 always
/// ([`Version::scheduler_can_be_disabled`]).
pub fn dialled(version: Version, uses: Uses) -> Vec<ControlPlaneService> {
    let mut services = vec![SENTRY, OPERATOR];
    if uses.scheduler() || !version.scheduler_can_be_disabled() {
        services.push(SCHEDULER);
    }
    if uses.actors || !version.placement_can_be_disabled() {
        services.push(PLACEMENT);
    }
    services
}

/// Whether the rendered pod must carry `dapr.io/placement-host-address: ""`:
/// the app uses no actors, and the version honours the empty value.
pub fn disable_placement(version: Version, uses: Uses) -> bool {
    !uses.actors && version.placement_can_be_disabled()
}

/// Whether the rendered pod must carry `dapr.io/scheduler-host-address: ""`:
/// the app uses neither actors nor jobs, and the version honours the empty
/// value.
pub fn disable_scheduler(version: Version, uses: Uses) -> bool {
    !uses.scheduler() && version.scheduler_can_be_disabled()
}

/// The value harden writes in `dapr.io/enable-native-sidecar`, for the
/// versions that read it ([`Version::native_sidecar_annotation`]): `false`,
/// the classic sidecar in `containers`, whatever the injector's global
/// `nativeSidecar`. A native daprd is an init container with `restartPolicy:
/// Always`; Pod Security `restricted` checks init containers like
/// containers, and the injector builds the same container with the same
/// security context either way (`getSidecarContainer`,
/// `sidecar_container.go` @ v1.18.3, which only adds the restart policy),
/// so either is admitted. harden keeps the classic one, explicitly: a
/// native daprd needs the cluster's `SidecarContainers` feature (on by
/// default from Kubernetes 1.29, kubernetes.io "Sidecar Containers"), which
/// a spec does not state, and writing the value keeps the pod's shape
/// independent of an injector-wide Helm value the spec cannot see.
pub fn native_sidecar(version: Version) -> Option<bool> {
    version.native_sidecar_annotation().then_some(false)
}

/// The sidecar's HTTP API port; loopback only by default
/// (`--dapr-listen-addresses [::1],127.0.0.1`). `pkg/runtime/config.go`
/// `DefaultDaprHTTPPort = 3500`.
pub const SIDECAR_HTTP_PORT: u32 = 3500;
/// The sidecar's public (health) port, probed by the kubelet; not declared
/// as a container port. `pkg/runtime/config.go` `DefaultDaprPublicPort`.
pub const SIDECAR_PUBLIC_PORT: u32 = 3501;
/// The sidecar's gRPC API port; loopback only by default.
/// `pkg/runtime/config.go` `DefaultDaprAPIGRPCPort = 50001`.
pub const SIDECAR_GRPC_PORT: u32 = 50001;
/// Sidecar to sidecar: service invocation and actor calls, on every
/// interface. `pkg/injector/patcher/sidecar_container.go` container port
/// `dapr-internal`; placement hands out `<pod IP>:<this port>` as each actor
/// host (`pkg/actors/internal/placement/placement.go`, `Name: hostname +
/// ":" + port` with the internal gRPC port).
pub const SIDECAR_INTERNAL_GRPC_PORT: u32 = 50002;
/// The sidecar's Prometheus metrics port, on by default.
/// `pkg/metrics/options.go` `defaultMetricsPort = "9090"`,
/// `defaultMetricsEnabled = true`; container port `dapr-metrics`.
pub const SIDECAR_METRICS_PORT: u32 = 9090;
/// Every port daprd binds inside the pod: the app must not use them. The
/// five defaults are the same @ v1.17.13 and v1.18.3 (`pkg/runtime/config.go`,
/// `pkg/metrics/options.go`, `patcher/sidecar.go` `dapr.io/internal-grpc-port`
/// default 50002).
pub const SIDECAR_PORTS: [u32; 5] = [
    SIDECAR_HTTP_PORT,
    SIDECAR_PUBLIC_PORT,
    SIDECAR_METRICS_PORT,
    SIDECAR_GRPC_PORT,
    SIDECAR_INTERNAL_GRPC_PORT,
];

/// The label the injector adds to every injected pod with its app-id
/// (`pkg/injector/patcher/sidecar_patcher.go`, `dapr.io~1app-id`). It is on
/// pods, not on the Deployment template, which is what a podSelector needs.
pub const APP_ID_LABEL: &str = "dapr.io/app-id";

/// Access-control trust domain of every app whose Configuration sets none
/// (`pkg/config/configuration.go` `DefaultTrustDomain = "public"`; Sentry
/// assigns it, `pkg/sentry/server/validator/kubernetes/kubernetes.go`).
/// Each policy must name `appId`, `namespace` and `trustDomain`
/// (`pkg/acl/acl.go`: "missing trustdomain ... missing namespace").
pub const DEFAULT_TRUST_DOMAIN: &str = "public";

/// The injector Deployment and container, and the environment variable that
/// carries the Helm value [`DROP_ALL_HELM_VALUE`]: chart dapr_sidecar_injector
/// `dapr_sidecar_injector_deployment.yaml`
/// (`- name: SIDECAR_DROP_ALL_CAPABILITIES`), read by
/// `pkg/injector/service/config.go`. Without it the sidecar gets no
/// `capabilities.drop: [ALL]` (`sidecar_container.go`) and Pod Security
/// `restricted` rejects every pod; the value defaults to false (chart
/// `values.yaml` `sidecarDropALLCapabilities: false`), all three versions.
pub const INJECTOR_DEPLOYMENT: &str = "dapr-sidecar-injector";
pub const INJECTOR_CONTAINER: &str = "dapr-sidecar-injector";
pub const DROP_ALL_ENV: &str = "SIDECAR_DROP_ALL_CAPABILITIES";
pub const DROP_ALL_HELM_VALUE: &str = "dapr_sidecar_injector.sidecarDropALLCapabilities";

/// The key the injector reads in the API token Secret
/// ([`AnnotationFacts::api_token_secret`]).
pub const API_TOKEN_KEY: &str = "token";

/// daprd exits when a component fails to initialise, unless the component
/// sets `spec.ignoreErrors` (which harden never writes):
/// `pkg/runtime/processor/components.go` ("Error processing component,
/// daprd will exit gracefully") @ v1.14.5, v1.15.14, v1.16.19, v1.17.13,
/// v1.18.3. A component whose backend the network policies block therefore
/// stops the sidecar, so each backend must be an allowed flow.
pub const COMPONENT_INIT_FAILURE_IS_FATAL: bool = true;

/// The injector's environment variable for the Helm value
/// [`RUN_AS_NON_ROOT_HELM_VALUE`], read by the audit's preflight: chart
/// dapr_sidecar_injector `dapr_sidecar_injector_deployment.yaml`
/// (`- name: SIDECAR_RUN_AS_NON_ROOT`, `value: {{ .Values.sidecarRunAsNonRoot
/// | toString | toYaml }}`), read by `pkg/injector/service/config.go`
/// (`envconfig:"SIDECAR_RUN_AS_NON_ROOT"`, parsed by `isTruthyDefaultTrue`:
/// empty means true). `pkg/injector/patcher/sidecar_container.go` writes it
/// into daprd's securityContext as `RunAsNonRoot: ptr.Of(c.RunAsNonRoot)`,
/// so `false` is set explicitly on the container, overrides the pod's
/// `runAsNonRoot: true`, and Pod Security `restricted` rejects the pod. The
/// chart's default is `sidecarRunAsNonRoot: true` (`values.yaml`). Read at
/// v1.14.5, v1.15.14 and v1.16.19.
pub const RUN_AS_NON_ROOT_ENV: &str = "SIDECAR_RUN_AS_NON_ROOT";
pub const RUN_AS_NON_ROOT_HELM_VALUE: &str = "dapr_sidecar_injector.sidecarRunAsNonRoot";

/// The operator Deployment, whose image tag is the control plane's
/// release: chart dapr_operator `dapr_operator_deployment.yaml` (`name:
/// dapr-operator`, `image: "{{ .Values.global.registry }}/{{
/// .Values.image.name }}:{{ .Values.global.tag }}"`), all three tags.
pub const OPERATOR_DEPLOYMENT: &str = "dapr-operator";

/// How the live audit reads the injector's drop-ALL setting.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct InjectorFacts {
    pub deployment: &'static str,
    pub container: &'static str,
    pub drop_all_env: &'static str,
    pub drop_all_helm_value: &'static str,
}

impl InjectorFacts {
    pub fn get() -> InjectorFacts {
        InjectorFacts {
            deployment: INJECTOR_DEPLOYMENT,
            container: INJECTOR_CONTAINER,
            drop_all_env: DROP_ALL_ENV,
            drop_all_helm_value: DROP_ALL_HELM_VALUE,
        }
    }
}

/// Annotation keys harden writes on the pod template, all read by the
/// injector from struct tags in `pkg/injector/patcher/sidecar.go`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AnnotationFacts {
    pub enabled: &'static str,
    pub app_id: &'static str,
    pub app_port: &'static str,
    pub config: &'static str,
    pub api_logging: &'static str,
    /// Sets the sidecar's seccomp profile; the Helm chart has no value for it.
    pub seccomp: &'static str,
    /// Stops daprd adding the built-in Kubernetes secret store
    /// (`pkg/runtime/runtime.go` `appendBuiltinSecretStore`), which would
    /// talk to the API server.
    pub disable_builtin_secret_store: &'static str,
    /// The injector adds to daprd an environment variable `DAPR_API_TOKEN`
    /// from a `secretKeyRef` on this Secret's key [`API_TOKEN_KEY`], with no
    /// `optional` (`patcher/sidecar_container.go`, `APITokenSecret`;
    /// `pkg/security/consts/consts.go` `APITokenEnvVar`) @ v1.14.5,
    /// v1.15.14, v1.16.19, v1.17.13, v1.18.3: until the Secret exists the
    /// pod stays in `CreateContainerConfigError`.
    pub api_token_secret: &'static str,
    /// [`surface::APP_TOKEN_ANNOTATION`]: daprd sends the app this token.
    pub app_token_secret: &'static str,
    /// Not an annotation: where the app container finds the app token
    /// ([`surface::APP_TOKEN_MOUNT_PATH`]), so the app can compare.
    pub app_token_mount: &'static str,
    /// Empty: no placement (see [`Version::placement_can_be_disabled`]).
    pub placement_host_address: &'static str,
    /// Empty: no scheduler (see [`Version::scheduler_can_be_disabled`]);
    /// `annotations/annotations.go` `KeySchedulerHostAddresses` @ v1.15.14
    /// to v1.18.3.
    pub scheduler_host_address: &'static str,
    /// [`native_sidecar`]; `annotations/annotations.go`
    /// `KeyEnableNativeSidecar` @ v1.18.3.
    pub enable_native_sidecar: &'static str,
    pub cpu_request: &'static str,
    pub cpu_limit: &'static str,
    pub memory_request: &'static str,
    pub memory_limit: &'static str,
    pub trust_domain: &'static str,
    pub app_id_label: &'static str,
}

impl AnnotationFacts {
    pub fn get() -> AnnotationFacts {
        AnnotationFacts {
            enabled: "dapr.io/enabled",
            app_id: "dapr.io/app-id",
            app_port: "dapr.io/app-port",
            config: "dapr.io/config",
            api_logging: "dapr.io/enable-api-logging",
            seccomp: "dapr.io/sidecar-seccomp-profile-type",
            disable_builtin_secret_store: "dapr.io/disable-builtin-k8s-secret-store",
            api_token_secret: "dapr.io/api-token-secret",
            app_token_secret: surface::APP_TOKEN_ANNOTATION,
            app_token_mount: surface::APP_TOKEN_MOUNT_PATH,
            placement_host_address: "dapr.io/placement-host-address",
            scheduler_host_address: "dapr.io/scheduler-host-address",
            enable_native_sidecar: "dapr.io/enable-native-sidecar",
            cpu_request: "dapr.io/sidecar-cpu-request",
            cpu_limit: "dapr.io/sidecar-cpu-limit",
            memory_request: "dapr.io/sidecar-memory-request",
            memory_limit: "dapr.io/sidecar-memory-limit",
            trust_domain: DEFAULT_TRUST_DOMAIN,
            app_id_label: APP_ID_LABEL,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Version; 5] = [
        Version::V1_14,
        Version::V1_15,
        Version::V1_16,
        Version::V1_17,
        Version::V1_18,
    ];
    const NOTHING: Uses = Uses {
        actors: false,
        jobs: false,
    };
    const ACTORS: Uses = Uses {
        actors: true,
        jobs: false,
    };
    const JOBS: Uses = Uses {
        actors: false,
        jobs: true,
    };

    #[test]
    fn placement_follows_actors_where_the_injector_allows_it() {
        let has = |v, uses| dialled(v, uses).contains(&PLACEMENT);
        assert!(
            has(Version::V1_14, NOTHING),
            "1.14 ignores the empty annotation"
        );
        for v in [
            Version::V1_15,
            Version::V1_16,
            Version::V1_17,
            Version::V1_18,
        ] {
            assert!(!has(v, NOTHING), "{v:?}");
            assert!(!has(v, JOBS), "{v:?}");
            assert!(has(v, ACTORS), "{v:?}");
            assert!(disable_placement(v, NOTHING));
            assert!(!disable_placement(v, ACTORS));
        }
        assert!(!disable_placement(Version::V1_14, NOTHING));
        for v in ALL {
            for uses in [NOTHING, ACTORS, JOBS] {
                let services = dialled(v, uses);
                for always in [SENTRY, OPERATOR] {
                    assert!(services.contains(&always));
                }
            }
        }
    }

    #[test]
    fn scheduler_follows_actors_and_jobs_where_the_injector_allows_it() {
        let has = |v, uses| dialled(v, uses).contains(&SCHEDULER);
        assert!(
            has(Version::V1_14, NOTHING),
            "1.14 ignores the empty annotation"
        );
        assert!(!disable_scheduler(Version::V1_14, NOTHING));
        for v in [
            Version::V1_15,
            Version::V1_16,
            Version::V1_17,
            Version::V1_18,
        ] {
            assert!(!has(v, NOTHING), "{v:?}");
            assert!(disable_scheduler(v, NOTHING), "{v:?}");
            for uses in [ACTORS, JOBS] {
                assert!(has(v, uses), "{v:?} {uses:?}");
                assert!(!disable_scheduler(v, uses));
            }
        }
    }

    #[test]
    fn the_scheduler_address_moved_to_a_flag_in_1_17() {
        assert_eq!(
            Version::V1_14.scheduler_addressing(),
            SchedulerAddressing::EveryPodVariable
        );
        assert_eq!(
            Version::V1_16.scheduler_addressing(),
            SchedulerAddressing::DnsAVariable
        );
        assert_eq!(
            Version::V1_17.scheduler_addressing(),
            SchedulerAddressing::Flag
        );
        assert_eq!(
            Version::V1_18.scheduler_addressing(),
            SchedulerAddressing::Flag
        );
    }

    #[test]
    fn the_classic_sidecar_is_kept_where_the_annotation_exists() {
        for v in [
            Version::V1_14,
            Version::V1_15,
            Version::V1_16,
            Version::V1_17,
        ] {
            assert!(!v.native_sidecar_annotation());
            assert_eq!(native_sidecar(v), None, "{v:?}");
        }
        assert_eq!(native_sidecar(Version::V1_18), Some(false));
    }

    #[test]
    fn the_control_plane_ports_did_not_change() {
        assert_eq!(
            [SENTRY.port, OPERATOR.port, PLACEMENT.port, SCHEDULER.port],
            [50001, 6500, 50005, 50006]
        );
        assert_eq!(API_TOKEN_KEY, "token");
        const { assert!(COMPONENT_INIT_FAILURE_IS_FATAL) };
    }

    #[test]
    fn versions_parse_and_print() {
        for (name, version) in Version::SUPPORTED {
            assert_eq!(Version::parse(name), Some(version));
            assert_eq!(version.name(), name);
        }
        assert_eq!(Version::parse("1.13"), None);
        assert_eq!(Version::parse("1.19"), None);
        assert_eq!(Version::DEFAULT.name(), "1.18");
        assert_eq!(Version::NEWEST, Version::V1_18);
        assert!(Version::is_newer_than_verified("1.19"));
        assert!(Version::is_newer_than_verified("1.20"));
        for not_newer in ["1.18", "1.13", "2.0", "1.", "1.x", "1.019x", "v1.19"] {
            assert!(!Version::is_newer_than_verified(not_newer), "{not_newer}");
        }
    }
}
