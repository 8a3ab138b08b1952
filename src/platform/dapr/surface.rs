//! Dapr's security surface beyond the sidecar's wiring: the API allowlist's
//! names and versions per protocol and Dapr minor, secret scopes, the app
//! token, per-operation access control and the control plane's mTLS switch.
//!
//! Read in dapr/dapr at v1.14.5, v1.15.14, v1.16.19, v1.17.13 and v1.18.3
//! ("all five"); the research, with every path, is in harden's
//! `docs/upstream/dapr-security.md`. Paths below are in dapr/dapr.

use super::Version;
use serde::Serialize;

/// A protocol of the sidecar's API, as an allowlist entry's `protocol`.
///
/// No default exists: HTTP keeps only rules whose lower-cased protocol is
/// `http` (`GetRulesByProtocol`, `pkg/config/configuration.go`), gRPC only
/// those whose protocol is exactly `grpc` (`apiAccessRuleToMap`,
/// `pkg/api/grpc/endpoints.go`), all five; a rule without a protocol
/// restricts nothing. Each protocol is judged alone: with no rule left for
/// a protocol, that protocol's whole API stays open (`Endpoint.IsAllowed`,
/// `pkg/api/http/endpoints/endpoint.go`; "passthrough if no gRPC rules",
/// `setAPIEndpointsMiddlewares`, `pkg/api/grpc/endpoints.go`). So every
/// entry harden renders is rendered once per protocol.
pub const API_PROTOCOLS: [&str; 2] = ["http", "grpc"];

/// One name and version of the sidecar's API that an allowlist entry can
/// name, with the protocols that serve it and the minors that have it.
///
/// gRPC: keys `<name>.<version>` of the `endpoints` map in
/// `pkg/api/grpc/endpoints.go` at each tag. HTTP: the `Group` of every
/// `Route` in `pkg/api/http/*.go`, matched as `<version>/<name>`
/// (`pkg/api/http/endpoints/endpointgroup.go`; the legacy `v1.0` spelling
/// works for HTTP only, so harden writes `v1`, `v1alpha1`, ... which serve
/// both).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiVersion {
    pub name: &'static str,
    pub version: &'static str,
    pub http: bool,
    pub grpc: bool,
    /// The first supported minor that serves it.
    pub since: Version,
    /// Rendered whenever the API name is used; `false` for an alpha variant
    /// of an API with a stable version (state query, bulk publish alpha,
    /// ...), rendered only when the spec names the version.
    pub by_default: bool,
}

const fn api(
    name: &'static str,
    version: &'static str,
    http: bool,
    grpc: bool,
    since: Version,
    by_default: bool,
) -> ApiVersion {
    ApiVersion {
        name,
        version,
        http,
        grpc,
        since,
        by_default,
    }
}

/// Every allowlist name and version of the supported minors (the table of
/// `docs/upstream/dapr-security.md` section 1). Per-minor additions, read
/// as the diff of the gRPC map keys and HTTP groups between tags: 1.15 adds
/// `conversation` `v1alpha1` (both) and HTTP `workflows` `v1`; 1.16 adds
/// `conversation` `v1alpha2`; 1.17 nothing; 1.18 `jobs` `v1` (both) and
/// gRPC `actors` `v1alpha1` (SubscribeActorEventsAlpha1). `healthz` is left
/// out: it is always allowed (`AlwaysAllowed`, `pkg/api/http/healthz.go`)
/// and the sidecar's probes hit it on the public port 3501
/// (`getReadinessProbeHandler(c.SidecarPublicPort, ...)`,
/// `pkg/injector/patcher/sidecar_container.go` @ v1.18.3), so Dapr itself
/// needs no entry.
pub const APIS: &[ApiVersion] = &[
    api("invoke", "v1", true, true, Version::V1_14, true),
    api("state", "v1", true, true, Version::V1_14, true),
    api("state", "v1alpha1", true, true, Version::V1_14, false),
    api("publish", "v1", true, true, Version::V1_14, true),
    api("publish", "v1alpha1", true, true, Version::V1_14, false),
    api("bindings", "v1", true, true, Version::V1_14, true),
    api("secrets", "v1", true, true, Version::V1_14, true),
    api("actors", "v1", true, true, Version::V1_14, true),
    api("actors", "v1alpha1", false, true, Version::V1_18, false),
    api("metadata", "v1", true, true, Version::V1_14, true),
    api("configuration", "v1", true, true, Version::V1_14, true),
    api(
        "configuration",
        "v1alpha1",
        true,
        true,
        Version::V1_14,
        false,
    ),
    api("lock", "v1alpha1", true, true, Version::V1_14, true),
    api("unlock", "v1alpha1", true, true, Version::V1_14, true),
    api("crypto", "v1alpha1", true, true, Version::V1_14, true),
    api("subtlecrypto", "v1alpha1", true, true, Version::V1_14, true),
    api("workflows", "v1alpha1", true, true, Version::V1_14, false),
    api("workflows", "v1beta1", true, true, Version::V1_14, true),
    api("workflows", "v1", true, false, Version::V1_15, true),
    api("jobs", "v1alpha1", true, true, Version::V1_14, true),
    api("jobs", "v1", true, true, Version::V1_18, true),
    api("conversation", "v1alpha1", true, true, Version::V1_15, true),
    api("conversation", "v1alpha2", true, true, Version::V1_16, true),
    api("shutdown", "v1", true, true, Version::V1_14, true),
    api("subscribe", "v1alpha1", false, true, Version::V1_14, true),
];

/// The entry that closes the allowlist of an app that calls no Dapr API.
/// An empty allowlist allows everything, and so does one whose names the
/// sidecar does not know: gRPC turns each rule into the methods it names
/// and installs no filter when that set is empty ("Passthrough if no gRPC
/// rules": `len(allowed) == 0 && len(denied) == 0`, `setAPIEndpointsMiddlewares`,
/// `pkg/api/grpc/endpoints.go`, read @ main, same logic all five), so
/// even `healthz` cannot close the gRPC API. `shutdown` is a real name for
/// both protocols, and grants the app nothing it cannot do alone: it stops
/// the app's own sidecar, as the app could by exiting (its pod restarts).
pub const CLOSING_API: &str = "shutdown";

/// The API names a component type opens, by its building block (the part
/// before the first dot). Only what the app calls: receiving pub/sub
/// messages, input bindings and actor callbacks go over the app channel,
/// not the Dapr API, and need no entry (the allowlist is applied only in
/// `setupRoutes` of the API servers and the API gRPC interceptor,
/// `pkg/api/http/server.go`, `pkg/api/grpc/endpoints.go`). A pub/sub
/// component opens `publish` and a bindings component `bindings` (output
/// bindings) because a spec cannot say the app only subscribes.
/// `middleware` and `nameresolution` components open nothing.
pub fn component_apis(component_type: &str) -> &'static [&'static str] {
    match component_type.split('.').next().unwrap_or_default() {
        "state" => &["state"],
        "pubsub" => &["publish"],
        "bindings" => &["bindings"],
        "secretstores" => &["secrets"],
        "configuration" => &["configuration"],
        "lock" => &["lock", "unlock"],
        "crypto" => &["crypto"],
        "conversation" => &["conversation"],
        _ => &[],
    }
}

/// The versions of API `name` that `version` serves, each with the
/// protocols that serve it; `all` includes the alpha variants of stable
/// APIs.
pub fn api_versions(name: &str, version: Version, all: bool) -> Vec<&'static ApiVersion> {
    APIS.iter()
        .filter(|a| a.name == name && a.since <= version && (all || a.by_default))
        .collect()
}

/// The first minor that serves API `name` (at `api_version`, when given);
/// `None` when no supported minor does.
pub fn api_since(name: &str, api_version: Option<&str>) -> Option<Version> {
    APIS.iter()
        .filter(|a| a.name == name && api_version.is_none_or(|v| a.version == v))
        .map(|a| a.since)
        .min()
}

/// Every API name, for error messages.
pub fn api_names() -> Vec<&'static str> {
    let mut names: Vec<&str> = Vec::new();
    for api in APIS {
        if !names.contains(&api.name) {
            names.push(api.name);
        }
    }
    names
}

/// The value of a secret scope's `defaultAccess` harden writes. A scope
/// with a non-empty `allowedSecrets` allows exactly those keys whatever
/// `defaultAccess` says; without it, `defaultAccess` decides (empty means
/// allow); `allow`/`deny` are the only values (case-insensitive), another
/// fails daprd's configuration load (`SecretsScope.IsSecretAllowed`,
/// `sortAndValidateSecretsConfiguration`, `pkg/config/configuration.go`,
/// all five). A store with no scope allows every key (`isSecretAllowed`,
/// `pkg/api/universal/secrets.go`). Scopes govern only the app-facing
/// secrets API, never a component's `secretKeyRef`
/// (`pkg/operator/api/components.go`, `pkg/runtime/processor/secret/secret.go`).
pub const SECRET_SCOPE_DEFAULT_ACCESS: &str = "deny";

/// The built-in secret store daprd adds in Kubernetes mode unless
/// `dapr.io/disable-builtin-k8s-secret-store` is true (`appendBuiltinSecretStore`,
/// `pkg/runtime/runtime.go`; the name in `pkg/components/secretstores/registry.go`).
/// harden disables it and still renders a deny scope for it, so removing
/// the annotation later does not open the namespace's Secrets.
pub const BUILTIN_SECRET_STORE: &str = "kubernetes";

/// The key the injector reads in the app token Secret: it adds to daprd
/// `APP_API_TOKEN` from a `secretKeyRef` on key `token`, not optional
/// (`pkg/injector/patcher/sidecar_container.go`, all five;
/// `AppAPITokenEnvVar`, `pkg/security/consts/consts.go`).
pub const APP_TOKEN_KEY: &str = "token";

/// The annotation naming the app token Secret (`KeyAppTokenSecret`,
/// `pkg/injector/annotations/annotations.go`, all five, present since
/// v1.0.0).
pub const APP_TOKEN_ANNOTATION: &str = "dapr.io/app-token-secret";

/// The environment variable holding the app token in daprd, set by the
/// injector (`AppAPITokenEnvVar`, `pkg/security/consts/consts.go`).
pub const APP_TOKEN_ENV: &str = "APP_API_TOKEN";

/// harden's choice, not Dapr's: the directory the app token Secret is
/// mounted in, read-only, in the app container (file [`APP_TOKEN_KEY`]).
/// A file, not an environment variable, as for every Secret harden mounts
/// (audit rule `control/secrets-in-env`).
pub const APP_TOKEN_MOUNT_PATH: &str = "/var/run/secrets/dapr.io/app-token";

/// The header (HTTP) or metadata key (gRPC) daprd sends the app token in,
/// and the one the app sends its API token in (`APITokenHeader`,
/// `pkg/security/consts/consts.go`, all five). daprd only sends the app
/// token; checking it is the app's job, and daprd's app health probes do
/// not carry it (`HealthProbe`, `pkg/channel/http/http_channel.go`,
/// `pkg/channel/grpc/grpc_channel.go` @ v1.18.3).
pub const TOKEN_HEADER: &str = "dapr-api-token";

/// The verbs an access-control operation's `httpVerb` may name: the
/// `HTTPExtension.Verb` enum names, upper case
/// (`dapr/proto/common/v1/common.proto`), plus `*`, looked up by
/// `httpVerb.String()` in `pkg/acl/acl.go`; a lower-case verb never matches.
/// Verbs apply only to an HTTP app (harden renders no `dapr.io/app-protocol`,
/// so the default `http`); for a gRPC app they are ignored.
pub const HTTP_VERBS: [&str; 10] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "*",
];

/// The control plane's own Configuration, created by the Helm chart in its
/// namespace (`charts/dapr/charts/dapr_config/templates/dapr_default_config.yaml`,
/// name from `dapr_default_system_config_name: "daprsystem"`, all five). Its
/// `spec.mtls.enabled` is read by the injector at pod admission; a missing
/// object, spec or field means enabled (`MTLSSpec.GetEnabled`,
/// `pkg/apis/configuration/v1alpha1/types.go`), so only a literal `false`
/// turns sidecar-to-sidecar mTLS off.
pub const SYSTEM_CONFIGURATION: &str = "daprsystem";

/// A not-allowed HTTP API is simply not routed: the answer is 404
/// (`setupRoutes`, `pkg/api/http/server.go`, all five); there is no
/// dedicated Dapr error code. With `invoke` allowed, the invoke fallback
/// answers an unknown route without `dapr-app-id` with 404
/// `ERR_DIRECT_INVOKE` (`pkg/api/http/directmessaging.go`,
/// `pkg/messages/predefined.go`).
pub const NOT_ALLOWED_HTTP_STATUS: u32 = 404;

/// The API the live audit calls to show the allowlist holds, when the app
/// may not use it: `GET /v1.0/metadata` (route group `metadata` `v1`,
/// `pkg/api/http/metadata.go`), harmless to read. Refused, it answers
/// [`NOT_ALLOWED_HTTP_STATUS`]; allowed, 200 with the sidecar's metadata.
pub const PROBE_API: &str = "metadata";
pub const PROBE_API_PATH: &str = "/v1.0/metadata";

/// A key outside a secret scope: 403 `ERR_PERMISSION_DENIED`
/// (`ErrSecretPermissionDenied`, `pkg/messages/predefined.go` @ v1.14.5,
/// the code written there; `SecretPermissionDenied`,
/// `pkg/messages/errorcodes/errorcodes.go` @ v1.18.3). `GetSecret`
/// (`pkg/api/universal/secrets.go` @ v1.14.5 and v1.18.3) first looks the
/// store up (no store at all: 500 [`SECRET_STORES_NOT_CONFIGURED_CODE`];
/// not this one: 401 [`SECRET_STORE_NOT_FOUND_CODE`]), then the scope, and
/// asks the store only for an allowed key (its failure, a key it lacks
/// included: 500 [`SECRET_GET_ERROR_CODE`]).
/// Route `GET /v1.0/secrets/{secretStoreName}/{key}`
/// (`pkg/api/http/secrets.go` @ v1.14.5 and v1.18.3).
pub const SECRET_DENIED_HTTP_STATUS: u32 = 403;
/// The error code of [`SECRET_DENIED_HTTP_STATUS`].
pub const SECRET_DENIED_ERROR_CODE: &str = "ERR_PERMISSION_DENIED";
/// A secret store the sidecar did not load (`ErrSecretStoreNotFound`, 401,
/// `pkg/messages/predefined.go` @ v1.14.5 and v1.18.3).
pub const SECRET_STORE_NOT_FOUND_CODE: &str = "ERR_SECRET_STORE_NOT_FOUND";
/// A sidecar with no secret store at all (`ErrSecretStoreNotConfigured`,
/// 500; `SecretStoreNotConfigured`, `pkg/messages/errorcodes/errorcodes.go`
/// @ v1.18.3).
pub const SECRET_STORES_NOT_CONFIGURED_CODE: &str = "ERR_SECRET_STORES_NOT_CONFIGURED";
/// The store was asked and failed (`ErrSecretGet`, 500; `SecretGet`, same
/// files @ v1.18.3): the scope let the key through.
pub const SECRET_GET_ERROR_CODE: &str = "ERR_SECRET_GET";

/// harden's choice: the key the live scripts ask a secret store for, from a
/// sidecar under the app's app-id and Configuration, expecting the scope's
/// refusal ([`SECRET_DENIED_HTTP_STATUS`]). Longer when a spec allows a key
/// of that name.
pub const PROBE_SECRET: &str = "harden-probe-outside-scope";

/// A call the target's access control refuses: its sidecar answers the
/// caller's sidecar with gRPC `PermissionDenied` and the message
/// "access control policy has denied access to id: SPIFFE-ID operation: OP
/// verb: VERB" (`callLocalValidateACL`, `pkg/api/grpc/daprinternal.go`;
/// `ApplyAccessControlPolicies`, `pkg/acl/acl.go`, both @ v1.14.5,
/// v1.15.14, v1.16.19, v1.17.13 and v1.18.3); the caller's sidecar turns
/// it into HTTP 403 (`HTTPStatusFromCode`, `pkg/messaging/v1/util.go`) with
/// the body `{"errorCode":"ERR_DIRECT_INVOKE","message":"failed to invoke,
/// id: TARGET, err: rpc error: code = PermissionDenied desc = ..."}`
/// (`pkg/api/http/directmessaging.go`, all five; `ErrDirectInvoke`,
/// `pkg/messages/predefined.go`). Any other failure to reach the target is
/// also `ERR_DIRECT_INVOKE`, with 500.
pub const ACL_DENIED_HTTP_STATUS: u32 = 403;
/// The message of [`ACL_DENIED_HTTP_STATUS`], as far as it does not vary.
pub const ACL_DENIED_MESSAGE: &str = "access control policy has denied access";
/// The error code of every failed invocation through the caller's sidecar.
pub const INVOKE_ERROR_CODE: &str = "ERR_DIRECT_INVOKE";
/// harden's choice: the path a declared caller's probe invokes, which none
/// of its operations names (the ACL trie matches by `/`-separated segments,
/// a segment's `*` and `**` as wildcards: `pkg/config/acl_trie.go` @
/// v1.18.3), expecting the refusal.
pub const PROBE_OPERATION: &str = "/harden-probe-not-granted";

/// The field of `GET /v1.0/metadata` listing the WorkflowAccessPolicies the
/// sidecar loaded, each as `{"name": ...}` (`metadataResponse`,
/// `pkg/api/http/metadata.go` @ v1.18.0 and v1.18.3). A sidecar loads only
/// the policies scoped to its app-id (`IsAppScoped`,
/// `pkg/internal/loader/kubernetes/workflowaccesspolicies.go` @ v1.18.3).
pub const METADATA_WORKFLOW_POLICIES: &str = "workflowAccessPolicies";

/// The `WorkflowAccessPolicy` custom resource (`workflowaccesspolicies.dapr.io`,
/// namespaced, single version `v1alpha1`): who may call the app's
/// workflows and activities from another app. Dapr 1.18 only
/// ([`Version::workflow_access_policy`]): `charts/dapr/crds/workflowaccesspolicy.yaml`
/// and `pkg/apis/workflowaccesspolicy/v1alpha1/types.go` @ v1.18.0 and
/// v1.18.3, absent @ v1.17.13. Not a Configuration field. Its CRD is not
/// in the shared conformance set, so its schema facts are written here and
/// tested against the rendered object (tests/integration/dapr_surface.rs).
pub const WORKFLOW_ACCESS_POLICY_KIND: &str = "WorkflowAccessPolicy";
/// Its `apiVersion` (`charts/dapr/crds/workflowaccesspolicy.yaml` @ v1.18.3).
pub const WORKFLOW_ACCESS_POLICY_API_VERSION: &str = "dapr.io/v1alpha1";

/// The operations a workflow rule may grant, the CRD's enum for
/// `spec.rules[].workflows[].operations` (at least one, a set: no
/// repeats, `x-kubernetes-list-type: set`); activities have the one
/// operation `schedule` and no list (`WorkflowOperation`,
/// `pkg/apis/workflowaccesspolicy/v1alpha1/types.go`;
/// `charts/dapr/crds/workflowaccesspolicy.yaml` @ v1.18.0 and v1.18.3).
/// Semantics (`pkg/acl/workflow/policy.go` @ v1.18.3): with no policy
/// scoped to the target app every cross-app call is allowed; with one, a
/// call passes only when a rule lists the caller's app-id and a workflow
/// (or activity) whose name matches (exact or Go `path.Match` glob) with
/// the operation. Calls of the app to itself are never gated.
pub const WORKFLOW_OPERATIONS: [&str; 8] = [
    "schedule",
    "terminate",
    "raise",
    "pause",
    "resume",
    "purge",
    "get",
    "rerun",
];

/// Sidecar annotations that turn a protection off, with the value that
/// does so and why (annotation keys in `pkg/injector/annotations/annotations.go`,
/// defaults in `pkg/injector/patcher/sidecar.go` @ v1.18.3, key set
/// compared at all five).
pub struct WeakeningAnnotation {
    pub key: &'static str,
    /// Whether a value weakens the sidecar.
    pub weakens: fn(&str) -> bool,
    pub why: &'static str,
    pub fix: &'static str,
}

fn truthy(value: &str) -> bool {
    // `IsTruthy` in dapr/kit: y, yes, true, t, on, 1 (case-insensitive).
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "y" | "yes" | "true" | "t" | "on" | "1"
    )
}

fn not_loopback_list(value: &str) -> bool {
    value.split(',').any(|a| {
        !matches!(
            a.trim(),
            "127.0.0.1" | "[::1]" | "::1" | "localhost" | "" // empty entries add nothing
        )
    })
}

fn not_local(value: &str) -> bool {
    !matches!(
        value.trim(),
        "127.0.0.1" | "localhost" | "[::1]" | "::1" | ""
    )
}

fn unverified_tls(value: &str) -> bool {
    matches!(value.trim(), "https" | "grpcs")
}

fn explicit_false(value: &str) -> bool {
    value.trim().eq_ignore_ascii_case("false")
}

/// The annotations the audit flags (`docs/upstream/dapr-security.md`
/// section 7); `dapr.io/enable-api-logging` has its own rule.
pub const WEAKENING_ANNOTATIONS: &[WeakeningAnnotation] = &[
    WeakeningAnnotation {
        key: "dapr.io/enable-debug",
        weakens: truthy,
        why: "daprd runs under a headless dlv debugger listening on all interfaces without authentication (dapr.io/debug-port, default 40000)",
        fix: "remove dapr.io/enable-debug or set it to \"false\"",
    },
    WeakeningAnnotation {
        key: "dapr.io/enable-profiling",
        weakens: truthy,
        why: "pprof is served on port 7777 of every API listen address",
        fix: "remove dapr.io/enable-profiling or set it to \"false\"",
    },
    WeakeningAnnotation {
        key: "dapr.io/sidecar-listen-addresses",
        weakens: not_loopback_list,
        why: "a non-loopback address exposes the sidecar's HTTP and gRPC APIs to the pod network (default [::1],127.0.0.1)",
        fix: "remove dapr.io/sidecar-listen-addresses (the default is loopback only)",
    },
    WeakeningAnnotation {
        key: "dapr.io/app-channel-address",
        weakens: not_local,
        why: "the sidecar sends the app's traffic, app token included, off the pod (default 127.0.0.1)",
        fix: "remove dapr.io/app-channel-address",
    },
    WeakeningAnnotation {
        key: "dapr.io/app-protocol",
        weakens: unverified_tls,
        why: "https/grpcs to the app skip certificate verification (InsecureSkipVerify, pkg/runtime/channels/channels.go): TLS without authentication",
        fix: "use http or grpc inside the pod, or terminate TLS in the app with verification elsewhere",
    },
    WeakeningAnnotation {
        key: "dapr.io/disable-builtin-k8s-secret-store",
        weakens: explicit_false,
        why: "the built-in kubernetes secret store is loaded, and reads the namespace's Secrets unless a secret scope denies them",
        fix: "set dapr.io/disable-builtin-k8s-secret-store: \"true\"",
    },
];

/// The sensitive fields `pubsub.kafka` and `bindings.kafka` both mark (one
/// list, as [`SENSITIVE_METADATA`] read them upstream).
const KAFKA_CREDENTIALS: &[&str] = &[
    "saslPassword",
    "clientKey",
    "oidcClientSecret",
    "oidcClientAssertionKey",
    "awsSecretKey",
    "awsSessionToken",
];

/// Component metadata names upstream marks `sensitive: true` in each
/// component's `metadata.yaml` (schema field `Sensitive`,
/// `.build-tools/pkg/metadataschema/schema.go`) or through a built-in
/// authentication profile (`.build-tools/builtin-authentication-profiles.yaml`:
/// aws, azuread, gcp), dapr/components-contrib @ v1.18.4 (v1.17.8 identical
/// but for zeebe's `clientSecret`), for the common types; matched by type
/// prefix. The marking is incomplete upstream (e.g. `state.mysql`
/// `connectionString` is not marked), so [`looks_like_credential`] also
/// applies a name heuristic.
pub const SENSITIVE_METADATA: &[(&str, &[&str])] = &[
    ("state.redis", &["redisPassword", "sentinelPassword"]),
    ("pubsub.redis", &["redisPassword", "sentinelPassword"]),
    (
        "lock.redis",
        &[
            "redisPassword",
            "sentinelPassword",
            "clientCert",
            "clientKey",
        ],
    ),
    ("state.postgresql", &["connectionString"]),
    ("bindings.postgres", &["connectionString"]),
    ("pubsub.kafka", KAFKA_CREDENTIALS),
    ("bindings.kafka", KAFKA_CREDENTIALS),
    (
        "pubsub.rabbitmq",
        &["connectionString", "password", "clientKey", "clientCert"],
    ),
    ("bindings.rabbitmq", &["host"]),
    ("pubsub.pulsar", &["token", "oauth2ClientSecret", "host"]),
    ("pubsub.mqtt3", &["url", "clientKey"]),
    ("state.mongodb", &["password"]),
    ("state.cassandra", &["password"]),
    ("state.cockroachdb", &["connectionString"]),
    ("state.sqlserver", &["connectionString"]),
    ("bindings.smtp", &["password"]),
    ("bindings.twilio.sendgrid", &["apiKey"]),
    ("bindings.twilio.sms", &["authToken"]),
    ("conversation.", &["key"]),
    // Built-in profiles, on every component that offers them.
    (
        "",
        &[
            "accessKey",
            "secretKey",
            "sessionToken",
            "azureCertificate",
            "azureCertificatePassword",
            "azureClientSecret",
            "privateKey",
            "privateKeyID",
        ],
    ),
];

/// Whether a plain metadata item `name` (with `value`) of a component of
/// `component_type` holds a credential: upstream's sensitive names, a name
/// heuristic, or a URL with `user:password@` in it.
pub fn looks_like_credential(component_type: &str, name: &str, value: &str) -> bool {
    let upstream = SENSITIVE_METADATA
        .iter()
        .any(|(prefix, names)| component_type.starts_with(prefix) && names.contains(&name));
    let lowered = name.to_ascii_lowercase();
    // Names that carry these words but hold no secret.
    const NOT_SECRET: [&str; 8] = [
        "keyprefix",
        "redisusername",
        "saslusername",
        "azureclientid",
        "keypath",
        "tokenaudience",
        "secretstore",
        "passwordfile",
    ];
    let heuristic = !NOT_SECRET.contains(&lowered.as_str())
        && [
            "password",
            "passwd",
            "secret",
            "token",
            "credential",
            "connectionstring",
            "privatekey",
            "accesskey",
            "masterkey",
            "accountkey",
            "authkey",
            "apikey",
        ]
        .iter()
        .any(|word| lowered.contains(word));
    let url_with_password = value
        .split_once("://")
        .and_then(|(_, rest)| rest.split(['/', '?']).next())
        .is_some_and(|authority| {
            authority
                .rsplit_once('@')
                .is_some_and(|(user, _)| user.contains(':'))
        });
    upstream || heuristic || url_with_password
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_allowlist_table_follows_the_minors() {
        let names = |v: Version| -> Vec<(&str, &str)> {
            APIS.iter()
                .filter(|a| a.since <= v)
                .map(|a| (a.name, a.version))
                .collect()
        };
        assert!(!names(Version::V1_14).contains(&("conversation", "v1alpha1")));
        assert!(names(Version::V1_15).contains(&("conversation", "v1alpha1")));
        assert!(!names(Version::V1_15).contains(&("conversation", "v1alpha2")));
        assert!(names(Version::V1_16).contains(&("conversation", "v1alpha2")));
        assert_eq!(names(Version::V1_16), names(Version::V1_17));
        assert!(!names(Version::V1_17).contains(&("jobs", "v1")));
        assert!(names(Version::V1_18).contains(&("jobs", "v1")));
        assert_eq!(api_since("jobs", Some("v1")), Some(Version::V1_18));
        assert_eq!(api_since("invocation", None), None);
        assert!(!api_names().contains(&"healthz"));
        let state = api_versions("state", Version::V1_14, false);
        assert_eq!(state.len(), 1);
        assert_eq!(
            (state[0].version, state[0].http, state[0].grpc),
            ("v1", true, true)
        );
        // There is no gRPC workflows v1 at any supported tag.
        assert!(
            api_versions("workflows", Version::V1_18, false)
                .iter()
                .any(|a| a.version == "v1" && a.http && !a.grpc)
        );
    }

    #[test]
    fn components_open_what_the_app_calls() {
        assert_eq!(component_apis("state.redis"), ["state"]);
        assert_eq!(component_apis("pubsub.kafka"), ["publish"]);
        assert_eq!(component_apis("lock.redis"), ["lock", "unlock"]);
        assert!(component_apis("middleware.http.oauth2").is_empty());
        for name in [
            "state",
            "publish",
            "bindings",
            "secrets",
            "configuration",
            "crypto",
        ] {
            assert!(api_names().contains(&name));
        }
    }

    #[test]
    fn weakening_annotations() {
        let weakens = |key: &str, value: &str| {
            WEAKENING_ANNOTATIONS
                .iter()
                .any(|a| a.key == key && (a.weakens)(value))
        };
        assert!(weakens("dapr.io/enable-debug", "true"));
        assert!(!weakens("dapr.io/enable-debug", "false"));
        assert!(weakens("dapr.io/sidecar-listen-addresses", "0.0.0.0"));
        assert!(!weakens(
            "dapr.io/sidecar-listen-addresses",
            "[::1],127.0.0.1"
        ));
        assert!(weakens("dapr.io/app-protocol", "https"));
        assert!(!weakens("dapr.io/app-protocol", "grpc"));
        assert!(weakens("dapr.io/disable-builtin-k8s-secret-store", "false"));
        assert_eq!(APP_TOKEN_KEY, "token");
        assert!(looks_like_credential("state.redis", "redisPassword", "x"));
        assert!(looks_like_credential(
            "bindings.rabbitmq",
            "host",
            "amqp://h"
        ));
        assert!(looks_like_credential(
            "state.mysql",
            "connectionString",
            "x"
        ));
        assert!(looks_like_credential(
            "pubsub.nats",
            "natsURL",
            "nats://u:p@h:4222"
        ));
        assert!(!looks_like_credential(
            "pubsub.nats",
            "natsURL",
            "nats://h:4222"
        ));
        assert!(!looks_like_credential("state.redis", "keyPrefix", "none"));
        assert!(!looks_like_credential("state.redis", "redisHost", "r:6379"));
        assert_eq!(TOKEN_HEADER, "dapr-api-token");
    }
}

/// The Dapr answers and names the live scripts match, serialised into the
/// template context as `facts.dapr_live`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LiveFacts {
    pub secret_denied_status: u32,
    pub secret_denied_code: &'static str,
    pub secret_store_not_found_code: &'static str,
    pub secret_stores_not_configured_code: &'static str,
    pub secret_get_error_code: &'static str,
    pub acl_denied_status: u32,
    pub acl_denied_message: &'static str,
    pub invoke_error_code: &'static str,
    /// `kubectl get` resource name of [`WORKFLOW_ACCESS_POLICY_KIND`]
    /// (plural `workflowaccesspolicies`, group `dapr.io`:
    /// `charts/dapr/crds/workflowaccesspolicy.yaml` @ v1.18.3).
    pub workflow_policy_resource: &'static str,
    pub metadata_workflow_policies: &'static str,
}

impl LiveFacts {
    pub fn get() -> LiveFacts {
        LiveFacts {
            secret_denied_status: SECRET_DENIED_HTTP_STATUS,
            secret_denied_code: SECRET_DENIED_ERROR_CODE,
            secret_store_not_found_code: SECRET_STORE_NOT_FOUND_CODE,
            secret_stores_not_configured_code: SECRET_STORES_NOT_CONFIGURED_CODE,
            secret_get_error_code: SECRET_GET_ERROR_CODE,
            acl_denied_status: ACL_DENIED_HTTP_STATUS,
            acl_denied_message: ACL_DENIED_MESSAGE,
            invoke_error_code: INVOKE_ERROR_CODE,
            workflow_policy_resource: "workflowaccesspolicies.dapr.io",
            metadata_workflow_policies: METADATA_WORKFLOW_POLICIES,
        }
    }
}
