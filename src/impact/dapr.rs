//! Security impact of a Dapr Configuration's access surface: the APIs the
//! sidecar lets the app call, the secrets its scopes let it read, and the
//! callers (and their operations) its access control admits. An API,
//! secret or operation that appears is a widening; one that disappears a
//! narrowing. A fine fact ("reads secret x of store s") is covered by the
//! wide one it refines ("reads every secret of store s"), so tightening a
//! wide grant is a narrowing only. The same holds for who may call an
//! app's workflows (Dapr 1.18 `WorkflowAccessPolicy`): an app with no policy
//! is open to every caller, so the first policy narrows; a caller or an
//! operation added to it widens.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::objects::PodTemplate;
use crate::objects::value::At;
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
        .at("/spec/api/allowed")
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
        .at("/spec/secrets/scopes")
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
        .at("/spec/accessControl/policies")
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
/// store's) every-secret grant, a workflow caller's grant by the app's
/// workflows being open to every caller.
pub(super) fn covered(fact: &str, others: &BTreeSet<String>) -> bool {
    if fact.starts_with("workflows of ") {
        return fact
            .split_once(WORKFLOW_GRANT)
            .is_some_and(|(target, _)| others.contains(&format!("{target}{WORKFLOW_OPEN}")));
    }
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

/// How a workflow fact of [`workflow_facts`] reads after its target.
const WORKFLOW_OPEN: &str = " is open to every other app-id";
const WORKFLOW_GRANT: &str = " admits app-id ";

/// Who may call each Dapr app's workflows and activities, from the
/// `WorkflowAccessPolicy` objects and the Dapr apps (`dapr.io/app-id` of
/// the pod templates) of each namespace. An app no policy scopes is open to
/// every caller; a scoped one admits exactly its rules' callers, each
/// workflow (name or glob) and operation a fact, each activity one
/// (`pkg/acl/workflow/policy.go` @ v1.18.3; a policy with no `scopes`
/// applies to every app of its namespace, `Scoped.IsAppScoped`,
/// `pkg/apis/common/scoped.go`).
pub(super) fn workflow_facts(documents: &[Value]) -> Vec<(&'static str, String)> {
    let namespace_of = |d: &Value| {
        d.at("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or("default")
            .to_string()
    };
    let mut apps: BTreeSet<(String, String)> = BTreeSet::new();
    let mut policies: Vec<(String, Vec<String>, &Value)> = Vec::new();
    for document in documents {
        if document.get("kind").and_then(Value::as_str)
            == Some(surface::WORKFLOW_ACCESS_POLICY_KIND)
        {
            let scopes = crate::objects::value::string_list(document.get("scopes"));
            for scope in &scopes {
                apps.insert((namespace_of(document), scope.clone()));
            }
            policies.push((namespace_of(document), scopes, document));
        } else if let Some(pod) = PodTemplate::of(document)
            && pod.annotation("dapr.io/enabled") == Some("true")
            && pod.annotation("dapr.io/placement-host-address") != Some("")
            && let Some(app_id) = pod.annotation("dapr.io/app-id")
        {
            // Workflows run on actors: an app with placement turned off
            // has none to call (`Version::placement_can_be_disabled`).
            apps.insert((namespace_of(document), app_id.to_string()));
        }
    }
    let mut facts = Vec::new();
    for (namespace, app_id) in &apps {
        let target = format!("workflows of app-id {app_id} in {namespace}");
        let scoped: Vec<&Value> = policies
            .iter()
            .filter(|(ns, scopes, _)| {
                ns == namespace && (scopes.is_empty() || scopes.contains(app_id))
            })
            .map(|(_, _, d)| *d)
            .collect();
        if scoped.is_empty() {
            facts.push(("dapr workflows", format!("{target}{WORKFLOW_OPEN}")));
            continue;
        }
        for rule in scoped
            .iter()
            .filter_map(|d| d.at("/spec/rules").and_then(Value::as_array))
            .flatten()
        {
            let callers: Vec<&str> = rule
                .get("callers")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|c| c.get("appID").and_then(Value::as_str))
                .collect();
            for caller in callers {
                for workflow in rule
                    .get("workflows")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let name = workflow.get("name").and_then(Value::as_str).unwrap_or("?");
                    for operation in workflow
                        .get("operations")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                    {
                        facts.push((
                            "dapr workflows",
                            format!(
                                "{target}{WORKFLOW_GRANT}{caller} to {operation} workflow {name}"
                            ),
                        ));
                    }
                }
                for activity in rule
                    .get("activities")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let name = activity.get("name").and_then(Value::as_str).unwrap_or("?");
                    facts.push((
                        "dapr workflows",
                        format!("{target}{WORKFLOW_GRANT}{caller} to schedule activity {name}"),
                    ));
                }
            }
        }
    }
    facts
}
