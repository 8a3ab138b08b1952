//! What the live scripts try against the app's Dapr access controls,
//! derived from the validated model: the secret read outside a scope and
//! the calls of a declared caller outside and inside its operations. The
//! Dapr answers they expect are in [`crate::platform::dapr::surface`].

use crate::model;
use crate::platform::dapr::surface;

/// The first secret scope of a store component the app loads, when the
/// app's allowlist routes the secrets API (else the allowlist, not the
/// scope, refuses the read: audit check 9 and scenario 6.1 show that),
/// with a key it does not allow. The built-in `kubernetes` store is left
/// out: harden disables it on the app's pods.
pub(super) fn secret_probe(
    app_id: &str,
    components: &[model::Component],
    scopes: &[model::SecretScope],
    api_allowed: &[model::ApiRule],
) -> Option<model::SecretProbe> {
    let routed = api_allowed
        .iter()
        .any(|r| r.name == "secrets" && r.protocol == "http");
    if !routed {
        return None;
    }
    let scope = scopes.iter().find(|scope| {
        components.iter().any(|c| {
            c.name == scope.store_name
                && c.component_type.starts_with("secretstores.")
                && c.scopes.iter().any(|s| s == app_id)
        })
    })?;
    let mut secret = surface::PROBE_SECRET.to_string();
    while scope.allowed_secrets.contains(&secret) {
        secret.push_str("-x");
    }
    Some(model::SecretProbe {
        store: scope.store_name.clone(),
        secret,
        allowed: scope.allowed_secrets.clone(),
    })
}

/// The first caller limited to operations whose first path segment has no
/// wildcard (a `/*` or `/**` at the top may cover any path): it is denied
/// [`surface::PROBE_OPERATION`] (a segment none of its operations names)
/// and granted its first operation without a wildcard, with its first verb
/// (`GET` when it may use every verb).
pub(super) fn operation_probe(invoked_by: &[model::DaprPeer]) -> Option<model::OperationProbe> {
    let denied_segment = first_segment(surface::PROBE_OPERATION);
    let caller = invoked_by.iter().find(|caller| {
        !caller.operations.is_empty()
            && caller.operations.iter().all(|o| {
                let segment = first_segment(&o.name);
                !segment.contains('*') && !segment.eq_ignore_ascii_case(denied_segment)
            })
    })?;
    let granted = caller
        .operations
        .iter()
        .find(|o| !o.name.contains('*'))
        .map(|o| model::DaprCall {
            path: o.name.clone(),
            verb: match o.verbs.first().map(String::as_str) {
                Some("*") | None => "GET".to_string(),
                Some(verb) => verb.to_string(),
            },
        });
    Some(model::OperationProbe {
        caller: caller.app_id.clone(),
        namespace: caller.namespace.clone(),
        denied: model::DaprCall {
            path: surface::PROBE_OPERATION.to_string(),
            verb: "GET".to_string(),
        },
        granted,
    })
}

/// The first `/`-separated segment of an operation path.
fn first_segment(path: &str) -> &str {
    path.trim_start_matches('/').split('/').next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn operation(name: &str, verbs: &[&str]) -> model::DaprOperation {
        model::DaprOperation {
            name: name.into(),
            verbs: verbs.iter().map(|v| v.to_string()).collect(),
        }
    }

    fn caller(app_id: &str, operations: Vec<model::DaprOperation>) -> model::DaprPeer {
        model::DaprPeer {
            app_id: app_id.into(),
            namespace: "web".into(),
            operations,
        }
    }

    #[test]
    fn the_first_caller_without_a_top_level_wildcard_is_probed() {
        let callers = [
            caller("open", vec![]),
            caller("wild", vec![operation("/*", &["GET"])]),
            caller("deep", vec![operation("/ord*/x", &["GET"])]),
            caller(
                "storefront",
                vec![
                    operation("/orders/*", &["GET"]),
                    operation("/orders", &["*"]),
                ],
            ),
        ];
        let probe = operation_probe(&callers).expect("storefront is probed");
        assert_eq!(probe.caller, "storefront");
        assert_eq!(probe.denied.path, surface::PROBE_OPERATION);
        assert_eq!(
            probe.granted,
            Some(model::DaprCall {
                path: "/orders".into(),
                verb: "GET".into()
            })
        );
        // Only globs granted: nothing to call inside them.
        let globs = [caller("a", vec![operation("/orders/**", &["POST"])])];
        assert_eq!(operation_probe(&globs).unwrap().granted, None);
        // A caller granted the probe's own segment cannot be probed by it.
        let named = [caller(
            "a",
            vec![operation("/Harden-Probe-Not-Granted/x", &["GET"])],
        )];
        assert_eq!(operation_probe(&named), None);
        assert_eq!(operation_probe(&callers[..3]), None);
    }

    fn store(name: &str, kind: &str, scopes: &[&str]) -> model::Component {
        model::Component {
            name: name.into(),
            component_type: kind.into(),
            version: "v1".into(),
            metadata: vec![],
            secret_metadata: vec![],
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn scope(store: &str, allowed: &[&str]) -> model::SecretScope {
        model::SecretScope {
            store_name: store.into(),
            default_access: "deny".into(),
            allowed_secrets: allowed.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn rule(name: &str) -> model::ApiRule {
        model::ApiRule {
            name: name.into(),
            version: "v1".into(),
            protocol: "http".into(),
        }
    }

    #[test]
    fn a_store_the_app_loads_is_probed_with_a_key_it_does_not_allow() {
        let components = [
            store("kubernetes", "secretstores.kubernetes", &["other"]),
            store("vault", "secretstores.hashicorp.vault", &["app"]),
        ];
        let scopes = [
            scope("kubernetes", &[]),
            scope("vault", &["harden-probe-outside-scope", "db"]),
        ];
        let probe = secret_probe("app", &components, &scopes, &[rule("secrets")]).unwrap();
        assert_eq!(probe.store, "vault");
        assert_eq!(probe.secret, "harden-probe-outside-scope-x");
        // The secrets API not routed: the allowlist refuses, not the scope.
        assert_eq!(
            secret_probe("app", &components, &scopes, &[rule("state")]),
            None
        );
        // Only the built-in store's scope: nothing the app loads.
        assert_eq!(
            secret_probe("app", &components[..1], &scopes[..1], &[rule("secrets")]),
            None
        );
    }
}
