//! The variables of `_common.sh.j2`, which both scripts include (see
//! [`super`]).
//!
//! Both scripts read these, so a name here means the same in each. The Dapr
//! probes' variables are empty when the spec has no such probe (the
//! scripts call a probe only when its variables are set): `DAPR_CONFIG`
//! and `DAPR_APP_ID` without Dapr, `API_PROBE_PATH` when the app may call
//! every API a probe would try, the `TOKEN_CALLER_*` without an app token
//! (or a caller that may reach the app port), `SECRET_*` without a secret
//! probe, `ACL_*` without an operation probe.

use super::Header;
use crate::model::{Dapr, DaprCall, Model};

/// Writes the shared variables.
pub fn write(model: &Model, header: &mut Header) {
    let dapr = model.dapr.as_ref();
    header
        .comment(
            "The probe images by digest (harden refuses tags for apps, so its own pods\n\
             do not use them either); the admission guard admits these on a probe pod.\n\
             Override with --probe-image and --curl-image (a mirror, another digest).",
        )
        .var("PROBE_IMAGE", crate::guard::PROBE_IMAGES[0])
        .var("CURL_IMAGE", crate::guard::PROBE_IMAGES[1])
        .comment("Every refusal and warning of the admission guard starts with this.")
        .var("GUARD_RULE_PREFIX", crate::guard::MESSAGE_PREFIX)
        .var("APP", &model.name)
        .var("NAMESPACE", &model.namespace)
        .var("SERVICE_ACCOUNT", &model.service_account)
        .comment("The app's label as a probe pod's manifest carries it (run_probe).")
        .var("APP_LABEL_YAML", app_label_yaml(model))
        .comment("The app's own pods, not the scripts' probes.")
        .var(
            "APP_PODS_SELECTOR",
            format!(
                "{}={},!{}",
                model.facts.labels.app_name, model.name, model.facts.labels.probe
            ),
        )
        .number("APP_PORT", model.workload.port)
        .flag("WITH_DAPR", dapr.is_some())
        .array(
            "COMPONENTS",
            dapr.into_iter()
                .flat_map(|d| &d.components)
                .map(|c| c.name.as_str()),
        )
        .var(
            "IMAGE_POLICY",
            model.image_policy.as_ref().map_or("", |p| p.name.as_str()),
        )
        .var("DAPR_CONFIG", dapr.map_or("", |d| d.config_name.as_str()))
        .var("DAPR_APP_ID", dapr.map_or("", |d| d.app_id.as_str()))
        .var(
            "API_PROBE_PATH",
            dapr.and_then(|d| d.api_probe_path.as_deref())
                .unwrap_or_default(),
        );
    token_caller(model, header);
    secret_probe(model, dapr, header);
    operation_probe(model, dapr, header);
}

/// `    app.kubernetes.io/name: "NAME"`: the label line of a pod manifest
/// (the name as a double-quoted YAML scalar).
pub(super) fn app_label_yaml(model: &Model) -> String {
    format!(
        "    {}: {}",
        model.facts.labels.app_name,
        yaml_string(&model.name)
    )
}

/// A string as a double-quoted YAML scalar (JSON escaping is valid YAML),
/// as the templates' `|yaml` filter prints it.
pub(super) fn yaml_string(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

/// The first declared caller in another namespace that may reach the app
/// port, for the app-token probe (with an app token only).
fn token_caller(model: &Model, header: &mut Header) {
    let port = model.workload.port;
    let caller = model
        .dapr
        .as_ref()
        .filter(|d| d.app_token.is_some())
        .and_then(|_| {
            model.network.ingress.iter().find(|flow| {
                flow.peer
                    .namespace
                    .as_deref()
                    .is_some_and(|n| !n.is_empty())
                    && !flow.peer.app_itself
                    && flow.ports.iter().any(|p| p.port == port)
            })
        });
    let labels = caller.map(|flow| {
        flow.peer
            .pod_labels
            .iter()
            .map(|(key, value)| format!("{key}={value}"))
            .collect::<Vec<_>>()
            .join(",")
    });
    header
        .var(
            "TOKEN_CALLER_NAMESPACE",
            caller
                .and_then(|f| f.peer.namespace.as_deref())
                .unwrap_or_default(),
        )
        .var("TOKEN_CALLER_LABELS", labels.unwrap_or_default())
        .comment("shellcheck disable=SC2034 # read by the scripts' app-token check")
        .var("TOKEN_CALLER_FLOW", caller.map_or("", |f| f.name.as_str()));
}

/// The read outside the app's secret scope, and Dapr's answers to it.
fn secret_probe(model: &Model, dapr: Option<&Dapr>, header: &mut Header) {
    let probe = dapr.and_then(|d| d.secret_probe.as_ref());
    let live = &model.facts.dapr_live;
    header
        .number("SECRET_DENIED_STATUS", live.secret_denied_status)
        .var("SECRET_DENIED_CODE", live.secret_denied_code)
        .var("SECRET_GET_ERROR_CODE", live.secret_get_error_code)
        .var("SECRET_STORE", probe.map_or("", |p| p.store.as_str()))
        .var("SECRET_KEY", probe.map_or("", |p| p.secret.as_str()))
        .comment("shellcheck disable=SC2034 # read by the scripts' secret-scope check")
        .var(
            "SECRET_ALLOWED",
            probe.map(|p| p.allowed.join(", ")).unwrap_or_default(),
        );
}

/// The calls of a declared caller's probe against the app's per-operation
/// access, and what tells the answers apart.
fn operation_probe(model: &Model, dapr: Option<&Dapr>, header: &mut Header) {
    let probe = dapr.and_then(|d| d.operation_probe.as_ref().map(|p| (d, p)));
    let call = |c: &DaprCall| format!("{} {}", c.verb, c.path);
    let (labels, live) = (&model.facts.labels, &model.facts.dapr_live);
    header
        .var("ACL_CALLER", probe.map_or("", |(_, p)| p.caller.as_str()))
        .var(
            "ACL_CALLER_NAMESPACE",
            probe.map_or("", |(_, p)| p.namespace.as_str()),
        )
        .comment(
            "The probe's labels: the app-id label (which the app's NetworkPolicy\n\
             admits to its sidecar) and the app-name label, both the caller's\n\
             app-id (a guess at the caller's own policies).",
        )
        .var(
            "ACL_CALLER_LABELS",
            probe
                .map(|(_, p)| {
                    format!(
                        "{}={caller},{}={caller}",
                        model.facts.dapr.app_id_label,
                        labels.app_name,
                        caller = p.caller
                    )
                })
                .unwrap_or_default(),
        )
        .var(
            "ACL_TARGET",
            probe
                .map(|(d, _)| format!("{}.{}", d.app_id, model.namespace))
                .unwrap_or_default(),
        )
        .var(
            "ACL_DENIED_CALL",
            probe.map(|(_, p)| call(&p.denied)).unwrap_or_default(),
        )
        .var(
            "ACL_GRANTED_CALL",
            probe
                .and_then(|(_, p)| p.granted.as_ref())
                .map(call)
                .unwrap_or_default(),
        )
        .comment(
            "The caller's sidecar answers a refusal by the app's access control\n\
             with this message, and any failure to reach the app with this code.",
        )
        .var("ACL_DENIED_MESSAGE", live.acl_denied_message)
        .var("INVOKE_ERROR_CODE", live.invoke_error_code);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header_of(spec: &str) -> String {
        super::super::header_of(spec, write)
    }

    /// Without Dapr every Dapr variable is set and empty (the scripts run
    /// under `set -u` and test them with `[ -n ... ]`).
    #[test]
    fn without_dapr_the_dapr_variables_are_empty() {
        let header = header_of("hello");
        for name in [
            "DAPR_CONFIG",
            "DAPR_APP_ID",
            "API_PROBE_PATH",
            "TOKEN_CALLER_NAMESPACE",
            "TOKEN_CALLER_LABELS",
            "TOKEN_CALLER_FLOW",
            "SECRET_STORE",
            "SECRET_KEY",
            "SECRET_ALLOWED",
            "ACL_CALLER",
            "ACL_CALLER_NAMESPACE",
            "ACL_CALLER_LABELS",
            "ACL_TARGET",
            "ACL_DENIED_CALL",
            "ACL_GRANTED_CALL",
        ] {
            assert!(
                header.contains(&format!("\n{name}=''\n")),
                "{name}: {header}"
            );
        }
        assert!(header.contains("\nAPP='hello'\nNAMESPACE="), "{header}");
    }

    /// The app-token probe calls as the first declared caller from another
    /// namespace that may reach the app port; the operation probe carries
    /// the caller's app-id as both labels.
    #[test]
    fn the_probes_take_the_declared_callers() {
        let checkout = header_of("checkout");
        for line in [
            "TOKEN_CALLER_NAMESPACE='web'",
            "TOKEN_CALLER_LABELS='app.kubernetes.io/name=storefront'",
            "TOKEN_CALLER_FLOW='storefront'",
            "APP_PODS_SELECTOR='app.kubernetes.io/name=checkout,!harden.dev/probe'",
            "APP_LABEL_YAML='    app.kubernetes.io/name: \"checkout\"'",
        ] {
            assert!(
                checkout.contains(&format!("\n{line}\n")),
                "{line}: {checkout}"
            );
        }
        let orders = header_of("orders");
        for line in [
            "ACL_CALLER='storefront'",
            "ACL_CALLER_NAMESPACE='web'",
            "ACL_CALLER_LABELS='dapr.io/app-id=storefront,app.kubernetes.io/name=storefront'",
        ] {
            assert!(orders.contains(&format!("\n{line}\n")), "{line}: {orders}");
        }
        assert!(orders.contains("\nACL_TARGET='orders."), "{orders}");
    }
}
