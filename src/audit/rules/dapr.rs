//! Controls 8, 9 and 10, Dapr: mTLS, the sidecar's seccomp profile, egress
//! to the control plane, component scopes, API logging and URL obfuscation.

use serde_json::Value;

use super::controls::{rule_allows_port, workload_egress};
use crate::audit::rule::{Check, Cx, Rule, Workload};
use crate::objects::Object;
use crate::platform::dapr;

/// Every Dapr rule, in catalogue order.
pub static RULES: &[&Rule] = &[
    &DAPR_MTLS_DISABLED,
    &DAPR_SIDECAR_SECCOMP,
    &DAPR_CONTROL_PLANE_EGRESS,
    &DAPR_COMPONENT_SCOPES,
    &DAPR_API_LOGGING,
    &DAPR_URL_OBFUSCATION,
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
            .pointer("/spec/mtls/enabled")
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
        .pointer("/securityContext/seccompProfile/type")
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
                    .pointer("/podSelector/matchLabels")
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
