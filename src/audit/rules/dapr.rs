//! Controls 8, 9 and 10, Dapr: mTLS, the sidecar's seccomp profile, egress
//! to the control plane, component scopes, API logging and URL obfuscation;
//! and the sidecar's access surface (issue 25): default-deny access
//! control, the API allowlist and its protocols, credentials in plain
//! component metadata, sidecar annotations that turn a protection off,
//! secret stores readable without a deny scope.

use serde_json::Value;

use super::controls::{rule_allows_port, workload_egress};
use crate::audit::rule::{Check, Cx, Rule, Workload};
use crate::objects::Object;
use crate::objects::value::At;
use crate::platform::dapr;
use crate::platform::dapr::surface;

/// Every Dapr rule, in catalogue order.
pub static RULES: &[&Rule] = &[
    &DAPR_MTLS_DISABLED,
    &DAPR_SIDECAR_SECCOMP,
    &DAPR_CONTROL_PLANE_EGRESS,
    &DAPR_COMPONENT_SCOPES,
    &DAPR_API_LOGGING,
    &DAPR_URL_OBFUSCATION,
    &DAPR_ACCESS_CONTROL_DEFAULT_DENY,
    &DAPR_API_ALLOWLIST,
    &DAPR_API_ALLOWLIST_PROTOCOL,
    &DAPR_COMPONENT_PLAIN_CREDENTIAL,
    &DAPR_SIDECAR_PROTECTION_OFF,
    &DAPR_SECRET_SCOPE_DEFAULT_DENY,
];

// 8, 9, 10. Dapr.

control!(
    DAPR_MTLS_DISABLED,
    "control/dapr-mtls-disabled",
    Critical,
    8,
    Check::Object(dapr_mtls_disabled),
    "Dapr mTLS disabled",
    "set spec.mtls.enabled: true in the daprsystem Configuration"
);

fn dapr_mtls_disabled(cx: &mut Cx<'_>, object: &Object<'_>) {
    if object.kind() == "Configuration"
        && object
            .document
            .at("/spec/mtls/enabled")
            .and_then(Value::as_bool)
            == Some(false)
    {
        cx.report(
            object,
            "spec.mtls.enabled",
            "spec.mtls.enabled is false".into(),
            format!(
                "set spec.mtls.enabled: true in Configuration {}",
                object.name()
            ),
        );
    }
}

control!(
    DAPR_SIDECAR_SECCOMP,
    "control/dapr-sidecar-seccomp",
    High,
    8,
    Check::Object(dapr_sidecar_seccomp),
    "Dapr sidecar runs without a seccomp profile",
    "set pod-level seccompProfile RuntimeDefault or the annotation dapr.io/sidecar-seccomp-profile-type: RuntimeDefault"
);

fn dapr_workload<'a>(object: &'a Object<'a>) -> Option<Workload<'a>> {
    Workload::of(object).filter(Workload::dapr_enabled)
}

fn dapr_sidecar_seccomp(cx: &mut Cx<'_>, object: &Object<'_>) {
    let Some(workload) = dapr_workload(object) else {
        return;
    };
    let pod = workload
        .spec
        .at("/securityContext/seccompProfile/type")
        .and_then(Value::as_str);
    let sidecar = workload.annotation("dapr.io/sidecar-seccomp-profile-type");
    let confined = |t: Option<&str>| matches!(t, Some("RuntimeDefault" | "Localhost"));
    if !confined(pod) && !confined(sidecar) {
        cx.report(
            object,
            &workload.annotations_path(),
            "the injected daprd container gets no seccomp profile and is rejected under restricted".into(),
            format!("set {}.securityContext.seccompProfile.type: RuntimeDefault, or annotate the pod template dapr.io/sidecar-seccomp-profile-type: RuntimeDefault", workload.prefix),
        );
    }
}

control!(
    DAPR_CONTROL_PLANE_EGRESS,
    "control/dapr-control-plane-egress",
    High,
    8,
    Check::Object(dapr_control_plane_egress),
    "Dapr sidecar cannot reach the control plane under default deny",
    "allow egress to the dapr-sentry and dapr-operator pods on their ports in the Dapr control-plane namespace"
);

fn dapr_control_plane_egress(cx: &mut Cx<'_>, object: &Object<'_>) {
    let Some(workload) = dapr_workload(object) else {
        return;
    };
    let Some(rules) = workload_egress(cx, &workload) else {
        return;
    };
    // The control plane may live in any namespace (the spec's
    // dapr.controlPlaneNamespace): its pods are known by the chart's `app`
    // label and their pod ports (crate::platform::dapr).
    let reaches = |service: &dapr::ControlPlaneService| {
        rules.iter().any(|r| {
            rule_allows_port(r, u64::from(service.port), "TCP")
                && rule_reaches_pods_in_other_namespace(
                    r,
                    dapr::CONTROL_PLANE_LABEL,
                    service.app_label,
                )
        })
    };
    let missing: Vec<String> = [dapr::SENTRY, dapr::OPERATOR]
        .iter()
        .filter(|service| !reaches(service))
        .map(|service| format!("{} on {}", service.app_label, service.port))
        .collect();
    if !missing.is_empty() {
        cx.report(
            object,
            "metadata.name",
            format!(
                "no egress to {}: the sidecar gets no certificate or components",
                missing.join(" and ")
            ),
            format!(
                "add egress from {} to the pods {} in the Dapr control-plane namespace",
                object.resource(),
                missing.join(" and ")
            ),
        );
    }
}

/// Whether an egress rule reaches pods labelled `key: value` in some other
/// namespace (a peer with a namespaceSelector whose podSelector, if any,
/// admits that label).
fn rule_reaches_pods_in_other_namespace(rule: &Value, key: &str, value: &str) -> bool {
    match rule.get("to").and_then(Value::as_array) {
        None => true,
        Some(peers) if peers.is_empty() => true,
        Some(peers) => peers.iter().any(|peer| {
            peer.get("namespaceSelector").is_some()
                && peer
                    .at("/podSelector/matchLabels")
                    .and_then(Value::as_object)
                    .is_none_or(|m| m.get(key).is_none_or(|v| v.as_str() == Some(value)))
        }),
    }
}

control!(
    DAPR_COMPONENT_SCOPES,
    "control/dapr-component-scopes",
    High,
    9,
    Check::Object(dapr_component_scopes),
    "Dapr component not scoped",
    "list the app-ids that may use the component under scopes"
);

fn dapr_component_scopes(cx: &mut Cx<'_>, object: &Object<'_>) {
    if object.kind() != "Component" {
        return;
    }
    let scoped = object
        .document
        .get("scopes")
        .and_then(Value::as_array)
        .is_some_and(|s| !s.is_empty());
    if !scoped {
        cx.report(
            object,
            "metadata.name",
            "no scopes: every app-id in the namespace may use the component".into(),
            format!(
                "add scopes: [<app-id>, ...] to Component {} listing the apps that use it",
                object.name()
            ),
        );
    }
}

control!(
    DAPR_API_LOGGING,
    "control/dapr-api-logging",
    Medium,
    10,
    Check::Object(dapr_api_logging),
    "Dapr API logging off",
    "annotate the pod template dapr.io/enable-api-logging: \"true\""
);

fn dapr_api_logging(cx: &mut Cx<'_>, object: &Object<'_>) {
    let Some(workload) = dapr_workload(object) else {
        return;
    };
    if workload.annotation("dapr.io/enable-api-logging") != Some("true") {
        let path = workload.annotations_path();
        cx.report(
            object,
            &path,
            "dapr.io/enable-api-logging is not \"true\"".into(),
            format!("set {path}.dapr.io/enable-api-logging: \"true\""),
        );
    }
}

control!(
    DAPR_URL_OBFUSCATION,
    "control/dapr-url-obfuscation",
    Medium,
    10,
    Check::Object(dapr_url_obfuscation),
    "Dapr API logs record full URLs",
    "use a Configuration with spec.logging.apiLogging.obfuscateURLs: true (dapr.io/config)"
);

fn dapr_url_obfuscation(cx: &mut Cx<'_>, object: &Object<'_>) {
    let Some(workload) = dapr_workload(object) else {
        return;
    };
    let config = workload.annotation("dapr.io/config");
    let obfuscated = config.is_some_and(|name| {
        cx.index
            .configurations
            .get(&(workload.namespace().to_string(), name.to_string()))
            == Some(&true)
    });
    if obfuscated {
        return;
    }
    let (why, fix) = match config {
        None => (
            "no Dapr Configuration (dapr.io/config): API logs record full URLs".to_string(),
            format!(
                "annotate {} dapr.io/config with a Configuration that sets spec.logging.apiLogging.obfuscateURLs: true",
                workload.annotations_path()
            ),
        ),
        Some(name) => (
            format!(
                "Configuration {name} does not set apiLogging.obfuscateURLs: true (or is not among the audited files)"
            ),
            format!("set spec.logging.apiLogging.obfuscateURLs: true in Configuration {name}"),
        ),
    };
    cx.report(object, &workload.annotations_path(), why, fix);
}

// The sidecar's access surface (docs/upstream/dapr-security.md).

/// A Dapr `Configuration` of an app: `dapr.io/*` API group, and not the
/// control plane's own `daprsystem` ([`surface::SYSTEM_CONFIGURATION`]),
/// which holds mTLS settings and no app access.
fn app_configuration(object: &Object<'_>) -> bool {
    object.kind() == "Configuration"
        && object
            .document
            .get("apiVersion")
            .and_then(Value::as_str)
            .is_some_and(|v| v.starts_with("dapr.io/"))
        && object.name() != surface::SYSTEM_CONFIGURATION
}

control!(
    DAPR_ACCESS_CONTROL_DEFAULT_DENY,
    "control/dapr-access-control-default-deny",
    High,
    9,
    Check::Object(dapr_access_control_default_deny),
    "Dapr service invocation not denied by default",
    "set spec.accessControl.defaultAction: deny and list each caller under policies"
);

fn dapr_access_control_default_deny(cx: &mut Cx<'_>, object: &Object<'_>) {
    if !app_configuration(object) {
        return;
    }
    // No accessControl, or an empty defaultAction with no policies, allows
    // every caller (`ParseAccessControlSpec`, `pkg/acl/acl.go`, all five).
    let action = object
        .document
        .at("/spec/accessControl/defaultAction")
        .and_then(Value::as_str);
    let policies = object
        .document
        .at("/spec/accessControl/policies")
        .and_then(Value::as_array)
        .is_some_and(|p| !p.is_empty());
    let denies = match action {
        Some(a) => a.eq_ignore_ascii_case("deny"),
        None => policies,
    };
    if !denies {
        cx.report(
            object,
            "spec.accessControl",
            format!(
                "accessControl.defaultAction is {}: every app-id may invoke the app",
                action.map_or("not set".to_string(), |a| format!("{a:?}"))
            ),
            format!(
                "set spec.accessControl.defaultAction: deny in Configuration {} and list the callers under policies",
                object.name()
            ),
        );
    }
}

/// The allowlist entries of a Configuration.
fn allowlist<'a>(object: &'a Object<'a>) -> &'a [Value] {
    object
        .document
        .at("/spec/api/allowed")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// Whether daprd applies an entry to `protocol`: HTTP compares the
/// lower-cased protocol, gRPC the exact one (`GetRulesByProtocol`,
/// `pkg/config/configuration.go`; `apiAccessRuleToMap`,
/// `pkg/api/grpc/endpoints.go`).
fn entry_applies(entry: &Value, protocol: &str) -> bool {
    let Some(written) = entry.get("protocol").and_then(Value::as_str) else {
        return false;
    };
    match protocol {
        "http" => written.eq_ignore_ascii_case("http"),
        _ => written == protocol,
    }
}

control!(
    DAPR_API_ALLOWLIST,
    "control/dapr-api-allowlist",
    High,
    9,
    Check::Object(dapr_api_allowlist),
    "Dapr sidecar API not limited by an allowlist",
    "list the APIs the app calls under spec.api.allowed, each entry once with protocol: http and once with protocol: grpc"
);

fn dapr_api_allowlist(cx: &mut Cx<'_>, object: &Object<'_>) {
    if !app_configuration(object) {
        return;
    }
    let entries = allowlist(object);
    // A protocol without an entry that applies to it is wholly open
    // (`Endpoint.IsAllowed`, `pkg/api/http/endpoints/endpoint.go`;
    // `setAPIEndpointsMiddlewares`, `pkg/api/grpc/endpoints.go`).
    let open: Vec<&str> = surface::API_PROTOCOLS
        .iter()
        .copied()
        .filter(|p| !entries.iter().any(|e| entry_applies(e, p)))
        .collect();
    if !open.is_empty() {
        cx.report(
            object,
            "spec.api",
            format!(
                "no API allowlist for {}: the app (or anything in its pod) may call every Dapr API over it",
                open.join(" and ")
            ),
            format!(
                "add to spec.api.allowed of Configuration {} the APIs the app calls with protocol: {}",
                object.name(),
                open.join(" and with protocol: ")
            ),
        );
    }
}

control!(
    DAPR_API_ALLOWLIST_PROTOCOL,
    "control/dapr-api-allowlist-protocol",
    High,
    9,
    Check::Object(dapr_api_allowlist_protocol),
    "Dapr allowlist entry without a valid protocol matches nothing",
    "give every spec.api.allowed entry protocol: http or protocol: grpc (write each API twice for both)"
);

fn dapr_api_allowlist_protocol(cx: &mut Cx<'_>, object: &Object<'_>) {
    if object.kind() != "Configuration" {
        return;
    }
    for (i, entry) in allowlist(object).iter().enumerate() {
        if surface::API_PROTOCOLS
            .iter()
            .any(|p| entry_applies(entry, p))
        {
            continue;
        }
        let name = entry.get("name").and_then(Value::as_str).unwrap_or("?");
        let written = entry.get("protocol").and_then(Value::as_str);
        cx.report(
            object,
            &format!("spec.api.allowed[{i}]"),
            format!(
                "the entry for {name} has {}: daprd applies it to neither protocol",
                written.map_or("no protocol".to_string(), |p| format!("protocol {p:?}"))
            ),
            format!(
                "write the {name} entry of Configuration {} twice, with protocol: http and protocol: grpc",
                object.name()
            ),
        );
    }
}

control!(
    DAPR_COMPONENT_PLAIN_CREDENTIAL,
    "control/dapr-component-plain-credential",
    Critical,
    9,
    Check::Object(dapr_component_plain_credential),
    "Dapr component credential in plain metadata",
    "move the value to a Secret and refer to it with secretKeyRef (and auth.secretStore)"
);

fn dapr_component_plain_credential(cx: &mut Cx<'_>, object: &Object<'_>) {
    if object.kind() != "Component" {
        return;
    }
    let component_type = object
        .document
        .at("/spec/type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let items = object
        .document
        .at("/spec/metadata")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    for (i, item) in items.iter().enumerate() {
        let (Some(name), Some(value)) =
            (item.get("name").and_then(Value::as_str), item.get("value"))
        else {
            continue;
        };
        let value = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        if value.is_empty() || !surface::looks_like_credential(component_type, name, &value) {
            continue;
        }
        cx.report(
            object,
            &format!("spec.metadata[{i}]"),
            format!("metadata {name} of Component {} holds a credential as a plain value", object.name()),
            format!(
                "replace value with secretKeyRef: {{name: <Secret>, key: <key>}} on metadata {name} of Component {}",
                object.name()
            ),
        );
    }
}

control!(
    DAPR_SIDECAR_PROTECTION_OFF,
    "control/dapr-sidecar-protection-off",
    High,
    8,
    Check::Object(dapr_sidecar_protection_off),
    "Dapr sidecar annotation turns a protection off",
    "remove the annotation or set it to its safe value (see the finding)"
);

fn dapr_sidecar_protection_off(cx: &mut Cx<'_>, object: &Object<'_>) {
    let Some(workload) = dapr_workload(object) else {
        return;
    };
    let path = workload.annotations_path();
    for weakening in surface::WEAKENING_ANNOTATIONS {
        let Some(value) = workload.annotation(weakening.key) else {
            continue;
        };
        if (weakening.weakens)(value) {
            cx.report(
                object,
                &path,
                format!("{}: {value:?}: {}", weakening.key, weakening.why),
                format!("{} in {path}", weakening.fix),
            );
        }
    }
}

control!(
    DAPR_SECRET_SCOPE_DEFAULT_DENY,
    "control/dapr-secret-scope-default-deny",
    High,
    9,
    Check::Object(dapr_secret_scope_default_deny),
    "Dapr secret store readable without a deny scope",
    "give every secret store a spec.secrets.scopes entry with defaultAccess: deny and the secrets the app reads under allowedSecrets"
);

/// An app Configuration lets the secrets API read every key of a store
/// when the store's scope allows by default, or when a secret store
/// Component of its namespace has no scope at all. Decision per key
/// (`SecretsScope.IsSecretAllowed`, `pkg/config/configuration.go`, all
/// five): a non-empty `allowedSecrets` allows exactly those keys (then
/// `defaultAccess` is ignored), else `deniedSecrets` refuses, else
/// `defaultAccess` decides and empty means allow; a store without a scope
/// allows every key (`isSecretAllowed`, `pkg/api/universal/secrets.go`).
/// A scope that only denies some keys (`deniedSecrets`) still opens the
/// rest, so it is reported too. The built-in `kubernetes` store is judged
/// only when the Configuration names it: whether a sidecar loads it is a
/// pod annotation (`control/dapr-sidecar-protection-off` reads those). A
/// store scoped to other app-ids only is not loaded by these sidecars
/// (component `scopes`), so it needs no scope here.
fn dapr_secret_scope_default_deny(cx: &mut Cx<'_>, object: &Object<'_>) {
    if !app_configuration(object) {
        return;
    }
    let scopes = object
        .document
        .at("/spec/secrets/scopes")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let mut scoped = std::collections::BTreeSet::new();
    for (i, scope) in scopes.iter().enumerate() {
        let Some(store) = scope.get("storeName").and_then(Value::as_str) else {
            continue;
        };
        scoped.insert(store.to_string());
        let allowed = scope
            .get("allowedSecrets")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty());
        let access = scope.get("defaultAccess").and_then(Value::as_str);
        if allowed || access.is_some_and(|a| a.eq_ignore_ascii_case("deny")) {
            continue;
        }
        cx.report(
            object,
            &format!("spec.secrets.scopes[{i}]"),
            format!(
                "the scope of secret store {store} has defaultAccess {} and no allowedSecrets: the app may read every key of {store} not denied by name",
                access.map_or("not set (allow)".to_string(), |a| format!("{a:?}"))
            ),
            format!(
                "set defaultAccess: deny on storeName {store} in Configuration {} and list the secrets the app reads under allowedSecrets",
                object.name()
            ),
        );
    }
    // A store counts when the sidecars under this Configuration may load
    // it: its scopes are empty (every app-id) or name one of their app-ids
    // (every store, when no audited workload names the Configuration).
    let namespace = object.namespace().unwrap_or("default").to_string();
    let apps = cx
        .index
        .dapr_config_apps
        .get(&(namespace.clone(), object.name().to_string()));
    let unscoped: Vec<String> = cx
        .index
        .secret_stores
        .get(&namespace)
        .into_iter()
        .flatten()
        .filter(|(store, scopes)| {
            !scoped.contains(*store)
                && (scopes.is_empty()
                    || apps.is_none_or(|apps| scopes.iter().any(|s| apps.contains(s))))
        })
        .map(|(store, _)| store.clone())
        .collect();
    if !unscoped.is_empty() {
        let path = if scopes.is_empty() {
            "spec"
        } else {
            "spec.secrets.scopes"
        };
        cx.report(
            object,
            path,
            format!(
                "no secret scope for the secret store {} of namespace {namespace}: the app may read every key through the Dapr secrets API",
                unscoped.join(", ")
            ),
            format!(
                "add to spec.secrets.scopes of Configuration {} an entry per store ({}) with defaultAccess: deny and allowedSecrets",
                object.name(),
                unscoped.join(", ")
            ),
        );
    }
}
