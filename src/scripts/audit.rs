//! The live audit's own variables (see [`super`]): what `audit.sh.j2` reads
//! at run time instead of template tags. A check that does not apply to the
//! spec finds its variables empty (`''`, `()`) and says why it skips, or is
//! not called.

use super::Header;
use crate::model::guard::Mode;
use crate::model::{Model, Protocol};

/// Writes the live audit's variables.
pub fn write(model: &Model, header: &mut Header) {
    app(model, header);
    preflight(model, header);
    checks(model, header);
    guard(model, header);
    dapr_probes(model, header);
}

/// The app, its workload and Dapr (checks 1 to 10).
fn app(model: &Model, header: &mut Header) {
    let facts = &model.facts;
    header
        .var(
            "SELECTOR",
            format!("{}={}", facts.labels.app_name, model.name),
        )
        .var("PROBE_LABEL", facts.labels.probe)
        .var("PSS_VERSION", &model.pss_version)
        .number("REPLICAS", model.workload.replicas)
        .var("IMAGE", &model.workload.image)
        .var(
            "SECRET_MOUNT",
            model.secrets.as_ref().map_or("", |s| s.mount_path.as_str()),
        );
    let dapr = model.dapr.as_ref();
    header
        .var(
            "DAPR_NAMESPACE",
            dapr.map_or("", |d| d.control_plane_namespace.as_str()),
        )
        .flag("DAPR_API_LOGGING_OFF", dapr.is_some_and(|d| !d.api_logging));
    if model.network.dns_filter.is_empty() {
        header.var("DNS_LOOKUP", "kubernetes.default");
    } else {
        header
            .comment(
                "The app's DNS goes through Cilium's DNS proxy, which answers only the\n\
                 names its CiliumNetworkPolicy lists: look up the app's own Service.",
            )
            .var(
                "DNS_LOOKUP",
                format!(
                    "{}.{}.svc.{}",
                    model.name, model.namespace, facts.dns.cluster_domain
                ),
            );
    }
    let injector = &facts.injector;
    header
        .var("INJECTOR_DEPLOYMENT", injector.deployment)
        .var(
            "INJECTOR_DROP_ALL_JSONPATH",
            env_jsonpath(injector.container, injector.drop_all_env),
        )
        .var(
            "INJECTOR_DROP_ALL_SET",
            format!("{}=true", injector.drop_all_helm_value),
        )
        .array(
            "RBAC_EXPECTATIONS",
            model
                .rbac_expectations
                .iter()
                .map(|e| format!("{} {} {} {}", e.expected, e.verb, e.resource, e.scope)),
        );
}

/// The jsonpath of an environment variable's value in one container of a
/// Deployment's pod template.
fn env_jsonpath(container: &str, env: &str) -> String {
    format!(
        r#"{{.spec.template.spec.containers[?(@.name=="{container}")].env[?(@.name=="{env}")].value}}"#
    )
}

/// Row 0, the cluster preflight: the profile's facts the output depends
/// on ([`crate::model::Preflight`]).
fn preflight(model: &Model, header: &mut Header) {
    let p = &model.preflight;
    header
        .var("DNS_POD_NAMESPACE", &p.dns_namespace)
        .var("DNS_POD_SELECTOR", &p.dns_selector)
        .number("DNS_PORT", p.dns_port)
        .array(
            "KNOWN_DNS_NAMESPACES",
            p.known_dns.iter().map(|k| k.namespace.as_str()),
        )
        .array(
            "KNOWN_DNS_SELECTORS",
            p.known_dns.iter().map(|k| k.selector.as_str()),
        )
        .array(
            "KNOWN_DNS_PRESETS",
            p.known_dns.iter().map(|k| k.presets.as_str()),
        )
        .array(
            "KNOWN_DNS_FIXES",
            p.known_dns.iter().map(|k| k.fix.as_str()),
        )
        .var("NODE_LOCAL_ADDRESS", &p.node_local_address)
        .var("NODE_LOCAL_DEFAULT", &p.node_local_default)
        .var("NODE_LOCAL_FIX", &p.node_local_fix)
        .var("NODE_LOCAL_NAMESPACE", p.node_local_namespace)
        .var("NODE_LOCAL_SELECTOR", p.node_local_selector)
        .var("CILIUM_NAMESPACE", p.cilium_namespace)
        .var("CILIUM_SELECTOR", p.cilium_selector)
        .var("CILIUM_DAEMONSET", p.cilium_daemonset)
        .var("API_ENDPOINTS_NAMESPACE", p.api_endpoints_namespace)
        .var("API_ENDPOINTS_SELECTOR", p.api_endpoints_selector)
        .var("EXPECT_CILIUM", if p.cilium { "true" } else { "false" })
        .var("CNI_FIELD", &p.cni_field)
        .array("API_SERVER_CIDRS", &p.api_server_cidrs)
        .number("API_SERVER_PORT", p.api_server_port)
        .var("API_SERVER_CIDR_FIELD", &p.api_server_cidr_field)
        .var("API_SERVER_PORT_FIELD", &p.api_server_port_field)
        .var(
            "DAPR_VERSION",
            model.dapr.as_ref().map_or("", |d| d.version.as_str()),
        )
        .var("DAPR_VERSION_FIELD", &p.dapr_version_field)
        .var("DAPR_OPERATOR", p.dapr_operator)
        .var("DAPR_SUPPORTED", &p.dapr_supported)
        .var("RUN_AS_NON_ROOT_ENV", p.run_as_non_root_env)
        .var(
            "RUN_AS_NON_ROOT_JSONPATH",
            env_jsonpath(model.facts.injector.container, p.run_as_non_root_env),
        )
        .var(
            "RUN_AS_NON_ROOT_SET",
            format!("{}=true", p.run_as_non_root_helm_value),
        )
        .var("EXTERNAL_SECRETS_API", &p.external_secrets_api);
}

/// Checks 11 (egress by hostname) and 12 (signed image): empty when the
/// spec has no hostname rule, or no `workload.signature`.
fn checks(model: &Model, header: &mut Header) {
    let hosts = &model.network.hosts;
    let mut targets = Vec::new();
    let mut patterns = Vec::new();
    for flow in hosts {
        let tcp = flow.ports.iter().find(|p| p.protocol == Protocol::Tcp);
        for host in &flow.hosts {
            if host.wildcard {
                patterns.push(host.name.clone());
            } else if let Some(port) = tcp {
                targets.push(format!("{}:{}", host.name, port.port));
            }
        }
    }
    // Where hostname rules exist: a name none allows, on the first rule's
    // first port.
    let unlisted = match hosts.first() {
        Some(first) => format!(
            "{}:{}",
            model.network.unlisted_host.as_deref().unwrap_or_default(),
            first.ports.first().map_or(0, |p| p.port)
        ),
        None => String::new(),
    };
    header
        .array("HOST_TARGETS", &targets)
        .array("HOST_PATTERNS", &patterns)
        .var("UNLISTED_HOST", unlisted);

    let sigstore = &model.facts.sigstore;
    let policy = model.image_policy.as_ref();
    header
        .var("SIGNER", policy.map_or("", |p| p.signer.as_str()))
        .array(
            "COSIGN_ARGS",
            policy.into_iter().flat_map(|p| &p.verify_args),
        );
    if let Some(pem) = policy.and_then(|p| p.key_pem.as_deref()) {
        header.export("HARDEN_COSIGN_KEY", pem);
    }
    header
        .var("SIGSTORE_INCLUDE_LABEL", sigstore.include_label)
        .var("SIGSTORE_INCLUDE_VALUE", sigstore.include_value)
        .var(
            "SIGSTORE_INCLUDE_JSONPATH",
            format!(
                "{{.metadata.labels.{}}}",
                sigstore.include_label.replace('.', "\\.")
            ),
        )
        .var(
            "IMAGE_ID_JSONPATH",
            format!(
                r#"{{range .items[*]}}{{range .status.containerStatuses[?(@.name=="{}")]}}{{.imageID}}{{"\n"}}{{end}}{{end}}"#,
                model.name
            ),
        )
        .number("COSIGN_NO_SIGNATURE", sigstore.exit_no_signature)
        .number(
            "COSIGN_NO_MATCHING_SIGNATURE",
            sigstore.exit_no_matching_signature,
        )
        .number("COSIGN_NO_CERTIFICATE", sigstore.exit_no_certificate);
}

/// Check 13, the admission guard: `GUARD_MODE` is empty when the guard is
/// off; `GUARD_NOT_RENDERED` says why none is rendered although it is on.
fn guard(model: &Model, header: &mut Header) {
    let setting = model.guard.as_ref().filter(|g| g.mode != Mode::Off);
    let rendered = setting.and_then(|g| match (&g.skipped, &g.guard) {
        (None, Some(guard)) => Some(guard),
        _ => None,
    });
    let not_rendered = match setting {
        Some(g) if rendered.is_none() => format!(
            "no guard is rendered: {}",
            g.skipped.as_deref().unwrap_or_default()
        ),
        _ => String::new(),
    };
    // Deny 3, Warn 2, Audit 1: a binding may enforce the spec's mode or more.
    let strength = match setting.map(|g| g.mode) {
        Some(Mode::Deny) => 3,
        Some(Mode::Warn) => 2,
        Some(Mode::Audit) => 1,
        _ => 0,
    };
    header
        .var("GUARD_MODE", setting.map_or("", |g| g.mode.name()))
        .var("GUARD_NOT_RENDERED", not_rendered)
        .number("GUARD_STRENGTH", strength)
        .array(
            "GUARD_POLICIES",
            rendered
                .into_iter()
                .flat_map(|g| &g.policies)
                .map(|p| p.name.as_str()),
        )
        .var(
            "GUARD_ACTIONS",
            rendered.map(|g| g.actions.join(" ")).unwrap_or_default(),
        );
}

/// Checks 14 to 17, the Dapr probes: each empty when it does not apply.
fn dapr_probes(model: &Model, header: &mut Header) {
    let dapr = model.dapr.as_ref();
    let live = &model.facts.dapr_live;
    header
        .var(
            "APP_TOKEN_SECRET",
            dapr.and_then(|d| d.app_token.as_ref())
                .map_or("", |t| t.secret_name.as_str()),
        )
        .flag(
            "DAPR_SECRET_PROBE",
            dapr.is_some_and(|d| d.secret_probe.is_some()),
        )
        .flag(
            "DAPR_OPERATION_PROBE",
            dapr.is_some_and(|d| d.operation_probe.is_some()),
        )
        .var(
            "SECRET_STORE_NOT_FOUND_CODE",
            live.secret_store_not_found_code,
        )
        .var(
            "SECRET_STORES_NOT_CONFIGURED_CODE",
            live.secret_stores_not_configured_code,
        );
    let workflow = dapr.and_then(|d| d.workflow_policy.as_ref().map(|w| (d, w)));
    let mut callers: Vec<&str> = workflow
        .into_iter()
        .flat_map(|(_, w)| &w.callers)
        .map(|c| c.app_id.as_str())
        .collect();
    callers.sort_unstable();
    header
        .var(
            "WORKFLOW_POLICY",
            workflow.map_or("", |(_, w)| w.name.as_str()),
        )
        .var("WORKFLOW_CALLERS", callers.join(" "))
        .var("WORKFLOW_POLICY_RESOURCE", live.workflow_policy_resource)
        .var(
            "METADATA_WORKFLOW_POLICIES",
            live.metadata_workflow_policies,
        );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(spec: &str) -> String {
        super::super::script_header_of(spec, write)
    }

    /// A check that does not apply finds its variables empty, which the
    /// script tests at run time.
    #[test]
    fn checks_that_do_not_apply_find_their_variables_empty() {
        let hello = header("hello");
        for line in [
            "WITH_DAPR=''",
            "COMPONENTS=()",
            "UNLISTED_HOST=''",
            "IMAGE_POLICY=''",
            "COSIGN_ARGS=()",
            "APP_TOKEN_SECRET=''",
            "DAPR_SECRET_PROBE=''",
            "WORKFLOW_POLICY=''",
            "DNS_LOOKUP='kubernetes.default'",
        ] {
            assert!(hello.lines().any(|l| l == line), "{line}:\n{hello}");
        }
        assert!(!hello.contains("HARDEN_COSIGN_KEY"), "{hello}");
    }

    /// Checkout has hostname rules (one a pattern), a signature, an app
    /// token and the guard in deny mode.
    #[test]
    fn checks_that_apply_find_the_spec_s_values() {
        let checkout = header("checkout");
        for line in [
            "WITH_DAPR='1'",
            "HOST_TARGETS=('api.stripe.com:443' 'checkout-receipts.s3.eu-west-1.amazonaws.com:443')",
            "HOST_PATTERNS=('*.ingest.de.sentry.io')",
            "UNLISTED_HOST='example.com:443'",
            "IMAGE_POLICY='checkout-checkout'",
            "APP_TOKEN_SECRET='checkout-dapr-app-token'",
            "GUARD_MODE='deny'",
            "GUARD_STRENGTH='3'",
            "GUARD_ACTIONS='Deny Audit'",
            "DNS_LOOKUP='checkout.checkout.svc.cluster.local'",
        ] {
            assert!(checkout.lines().any(|l| l == line), "{line}:\n{checkout}");
        }
    }
}
