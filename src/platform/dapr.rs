//! Dapr facts: the control plane the sidecar dials, the sidecar's ports, the
//! injector's annotations and labels, for each supported Dapr minor version.
//!
//! Read in dapr/dapr at tags v1.14.5, v1.15.14 and v1.16.19 (spot checks at
//! v1.14.0, v1.15.0 to v1.15.4, v1.16.0). Paths are relative to that
//! repository; "chart" is `charts/dapr/charts/dapr_<component>/`.

use serde::Serialize;

/// A supported Dapr minor version: what the sidecar dials and which
/// annotations the injector honours differ between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Version {
    V1_14,
    V1_15,
    V1_16,
}

impl Version {
    /// Every supported version, oldest first, as written in a spec.
    pub const SUPPORTED: [(&'static str, Version); 3] = [
        ("1.14", Version::V1_14),
        ("1.15", Version::V1_15),
        ("1.16", Version::V1_16),
    ];
    /// Assumed when the spec does not say: the newest supported minor.
    pub const DEFAULT: Version = Version::V1_16;

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

    /// Whether `dapr.io/placement-host-address: ""` turns placement (and
    /// with it actors and workflows) off for the pod.
    ///
    /// 1.15.0 and later: `pkg/injector/patcher/sidecar.go` keeps an annotation
    /// that is present but empty ("respect user defined \"\" for fields to
    /// disable them"), and `sidecar_container.go` then passes no
    /// `--placement-host-address`; daprd logs "Actor runtime disabled"
    /// (`pkg/actors/actors.go`). 1.14: `sidecar.go` @ v1.14.5 skips empty
    /// values (`if an[key] == "" { continue }`), so the default address is
    /// still injected.
    pub fn placement_can_be_disabled(self) -> bool {
        self >= Version::V1_15
    }

    /// Whether the sidecar's readiness (`/v1.0/healthz`, the injected
    /// readiness probe) waits for the control-plane connections it has an
    /// address for (placement and scheduler).
    ///
    /// 1.15 and later: `pkg/actors/internal/placement/client/client.go`
    /// (`Healthz.AddTarget("placement-client")`, ready after connecting) and
    /// `pkg/runtime/scheduler/internal/watchhosts/watchhosts.go`
    /// (`AddTarget("scheduler-watch-hosts")`) on the main healthz that
    /// `pkg/api/http/healthz.go` serves. From 1.15.2 (dapr/dapr PR 8546, issue
    /// 8551) daprd connects to placement whenever it has an address, even
    /// without an actor state store. 1.14.5 registers no such targets.
    pub fn readiness_waits_for_control_plane(self) -> bool {
        self >= Version::V1_15
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
/// injector always sets while the scheduler StatefulSet runs
/// (`pkg/injector/service/pod_patch.go`, `DAPR_SCHEDULER_HOST_ADDRESS`; from
/// 1.15 also `dapr-scheduler-server-a:443` -> pod port 50006). Chart
/// dapr_scheduler statefulset `containerPort: 50006`.
pub const SCHEDULER: ControlPlaneService = ControlPlaneService {
    flow: "dapr-scheduler",
    app_label: "dapr-scheduler-server",
    port: 50006,
    reason: "Dapr scheduler: jobs, reminders and workflow timers",
};

/// The control-plane services the sidecar of an app dials, for a Dapr
/// version and whether the app uses actors or workflows. Sentry, operator
/// and scheduler always; placement when actors are used, and on 1.14
/// always, since there the injector always passes its address
/// ([`Version::placement_can_be_disabled`]).
pub fn dialled(version: Version, actors: bool) -> Vec<ControlPlaneService> {
    let mut services = vec![SENTRY, OPERATOR, SCHEDULER];
    if actors || !version.placement_can_be_disabled() {
        services.push(PLACEMENT);
    }
    services
}

/// Whether the rendered pod must carry `dapr.io/placement-host-address: ""`:
/// the app uses no actors, and the version honours the empty value.
pub fn disable_placement(version: Version, actors: bool) -> bool {
    !actors && version.placement_can_be_disabled()
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
/// Every port daprd binds inside the pod: the app must not use them.
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
    pub api_token_secret: &'static str,
    /// Empty: no placement (see [`Version::placement_can_be_disabled`]).
    pub placement_host_address: &'static str,
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
            placement_host_address: "dapr.io/placement-host-address",
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

    #[test]
    fn placement_follows_actors_where_the_injector_allows_it() {
        let has = |v, actors| dialled(v, actors).contains(&PLACEMENT);
        assert!(
            has(Version::V1_14, false),
            "1.14 ignores the empty annotation"
        );
        assert!(!has(Version::V1_15, false));
        assert!(!has(Version::V1_16, false));
        assert!(has(Version::V1_16, true));
        assert!(disable_placement(Version::V1_16, false));
        assert!(!disable_placement(Version::V1_14, false));
        assert!(!disable_placement(Version::V1_16, true));
        for v in [Version::V1_14, Version::V1_15, Version::V1_16] {
            for actors in [false, true] {
                let services = dialled(v, actors);
                for always in [SENTRY, OPERATOR, SCHEDULER] {
                    assert!(services.contains(&always));
                }
            }
        }
    }

    #[test]
    fn versions_parse_and_print() {
        for (name, version) in Version::SUPPORTED {
            assert_eq!(Version::parse(name), Some(version));
            assert_eq!(version.name(), name);
        }
        assert_eq!(Version::parse("1.13"), None);
        assert_eq!(Version::DEFAULT.name(), "1.16");
    }
}
