//! Security impact of a Dapr Configuration's access surface: the APIs the
//! sidecar lets the app call, the secrets its scopes let it read, and the
//! callers (and their operations) its access control admits. An API,
//! secret or operation that appears is a widening; one that disappears a
//! narrowing. A fine fact ("reads secret x of store s") is covered by the
//! wide one it refines ("reads every secret of store s"), so tightening a
//! wide grant is a narrowing only.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::platform::dapr::surface;

/// The facts of a `Configuration` named `namespace/name`, each with its
/// area.
pub(super) fn configuration_facts(
    document: &Value,
    namespace: &str,
    name: &str,
) -> Vec<(&'static str, String)> {
    let subject = format!("configuration {namespace}/{name}");
    let mut facts = Vec::new();
    // The API allowlist, per protocol: without an entry for a protocol,
    // every API is callable over it (`docs/upstream/dapr-security.md` 1).
    let allowed = document
        .pointer("/spec/api/allowed")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    for protocol in surface::API_PROTOCOLS {
        let applies = |entry: &Value| {
            entry
                .get("protocol")
                .and_then(Value::as_str)
                .is_some_and(|p| match protocol {
                    "http" => p.eq_ignore_ascii_case("http"),
                    _ => p == protocol,
                })
        };
        let entries: Vec<&Value> = allowed.iter().filter(|e| applies(e)).collect();
        let mut apis = BTreeSet::new();
        if entries.is_empty() {
            for api in surface::APIS {
                if (protocol == "http" && api.http) || (protocol == "grpc" && api.grpc) {
                    apis.insert(format!("{} {}", api.name, api.version));
                }
            }
        }
        for entry in entries {
            apis.insert(format!(
                "{} {}",
                entry.get("name").and_then(Value::as_str).unwrap_or("?"),
                entry.get("version").and_then(Value::as_str).unwrap_or("?")
            ));
        }
        for api in apis {
            facts.push((
                "dapr api",
                format!("{subject} lets the app call the {api} API over {protocol}"),
            ));
        }
    }
    // Secret scopes: a store with no scope allows every key; a scope with
    // allowedSecrets allows exactly those; otherwise defaultAccess decides
    // (empty = allow) (`IsSecretAllowed`, `pkg/config/configuration.go`).
    match document
        .pointer("/spec/secrets/scopes")
        .and_then(Value::as_array)
    {
        None => facts.push((
            "dapr secrets",
            format!("{subject} lets the app read every secret of every store"),
        )),
        Some(scopes) => {
            for scope in scopes {
                let store = scope
                    .get("storeName")
                    .and_then(Value::as_str)
                    .unwrap_or("?");
                let allowed: Vec<&str> = scope
                    .get("allowedSecrets")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                let deny = scope
                    .get("defaultAccess")
                    .and_then(Value::as_str)
                    .is_some_and(|a| a.eq_ignore_ascii_case("deny"));
                if !allowed.is_empty() {
                    for secret in allowed {
                        facts.push((
                            "dapr secrets",
                            format!("{subject} lets the app read secret {secret} of store {store}"),
                        ));
                    }
                } else if !deny {
                    facts.push((
                        "dapr secrets",
                        format!("{subject} lets the app read every secret of store {store}"),
                    ));
                }
            }
        }
    }
    // Callers: a policy that does not deny by default admits the whole
    // app; otherwise each allowed operation and verb.
    for policy in document
        .pointer("/spec/accessControl/policies")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let caller = format!(
            "{subject} lets app-id {} from {} invoke",
            policy
                .get("appId")
                .and_then(Value::as_str)
                .unwrap_or_default(),
            policy
                .get("namespace")
                .and_then(Value::as_str)
                .unwrap_or("any namespace")
        );
        let denies = policy
            .get("defaultAction")
            .and_then(Value::as_str)
            .is_some_and(|a| a.eq_ignore_ascii_case("deny"));
        if !denies {
            facts.push(("dapr invocation", caller.clone()));
        }
        for operation in policy
            .get("operations")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let allows = operation
                .get("action")
                .and_then(Value::as_str)
                .is_some_and(|a| a.eq_ignore_ascii_case("allow"));
            if !allows {
                continue;
            }
            let path = operation.get("name").and_then(Value::as_str).unwrap_or("?");
            let verbs: Vec<&str> = operation
                .get("httpVerb")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            for verb in if verbs.is_empty() { vec!["*"] } else { verbs } {
                facts.push((
                    "dapr invocation",
                    format!("{caller} operation {path} with {verb}"),
                ));
            }
        }
    }
    facts
}

/// Whether a Dapr fact is covered by a wider one in `others`: an operation
/// by its caller's whole-app grant, a secret by its store's (or every
/// store's) every-secret grant.
pub(super) fn covered(fact: &str, others: &BTreeSet<String>) -> bool {
    if !fact.starts_with("configuration ") {
        return false;
    }
    if let Some((caller, _)) = fact.split_once(" operation ") {
        return others.contains(caller);
    }
    if let Some((subject, rest)) = fact.split_once(" lets the app read ") {
        let every = |what: &str| others.contains(&format!("{subject} lets the app read {what}"));
        if every("every secret of every store") && rest != "every secret of every store" {
            return true;
        }
        if let Some((_, store)) = rest.rsplit_once(" of store ") {
            return rest.starts_with("secret ") && every(&format!("every secret of store {store}"));
        }
    }
    false
}
