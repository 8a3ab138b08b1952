//! The posture document's account of the Dapr sidecar's access surface:
//! the API allowlist, the secret scopes, the callers' operations, the app
//! token and who may call its workflows (control C9's implementation), and
//! what they do not cover
//! (residual risks). Facts from [`crate::platform::dapr::surface`].

use crate::model::Dapr;
use crate::platform::dapr::surface;

/// What the Configuration admits, appended to C9's implementation.
pub(super) fn access_summary(dapr: &Dapr) -> String {
    let mut parts = Vec::new();
    let mut apis: Vec<String> = Vec::new();
    for rule in &dapr.api_allowed {
        let api = format!("{} {}", rule.name, rule.version);
        if !apis.contains(&api) {
            apis.push(api);
        }
    }
    parts.push(if dapr.api_closing_only {
        "the sidecar's API allowlist admits no API the app could use (only shutdown, which stops its own sidecar), over HTTP and gRPC".to_string()
    } else {
        format!(
            "the sidecar's API allowlist admits only {} (each over HTTP and gRPC where Dapr serves it)",
            apis.join(", ")
        )
    });
    let readable: Vec<String> = dapr
        .secret_scopes
        .iter()
        .filter(|s| !s.allowed_secrets.is_empty())
        .map(|s| format!("{} from {}", s.allowed_secrets.join(", "), s.store_name))
        .collect();
    parts.push(if readable.is_empty() {
        "the Dapr secrets API reads no secret (every store denied by default)".to_string()
    } else {
        format!(
            "the Dapr secrets API reads only {} (every other secret denied)",
            readable.join("; ")
        )
    });
    for caller in dapr.invoked_by.iter().filter(|c| !c.operations.is_empty()) {
        let operations: Vec<String> = caller
            .operations
            .iter()
            .map(|o| format!("{} ({})", o.name, o.verbs.join(", ")))
            .collect();
        parts.push(format!(
            "{} may invoke only {}",
            caller.app_id,
            operations.join(", ")
        ));
    }
    if let Some(policy) = &dapr.workflow_policy {
        let callers: Vec<String> = policy
            .callers
            .iter()
            .map(|c| {
                let mut grants: Vec<String> = c
                    .workflows
                    .iter()
                    .map(|w| format!("{} workflow {}", w.operations.join("/"), w.name))
                    .collect();
                grants.extend(
                    c.activities
                        .iter()
                        .map(|a| format!("schedule activity {a}")),
                );
                format!("{} ({})", c.app_id, grants.join(", "))
            })
            .collect();
        parts.push(if callers.is_empty() {
            format!(
                "{} {} admits no other app to the app's workflows and activities",
                surface::WORKFLOW_ACCESS_POLICY_KIND,
                policy.name
            )
        } else {
            format!(
                "{} {} admits to the app's workflows and activities only {}",
                surface::WORKFLOW_ACCESS_POLICY_KIND,
                policy.name,
                callers.join("; ")
            )
        });
    }
    if let Some(token) = &dapr.app_token {
        parts.push(format!(
            "the sidecar sends the app token of Secret {} in the {} header, mounted for the app at {}",
            token.secret_name,
            surface::TOKEN_HEADER,
            surface::APP_TOKEN_MOUNT_PATH
        ));
    }
    parts.join("; ")
}

/// What the access surface leaves open, for the residual risks.
pub(super) fn access_risks(dapr: &Dapr) -> Vec<String> {
    let mut risks = vec![
        "The sidecar's API allowlist does not cover gRPC proxying (service invocation through any gRPC service with dapr-app-id metadata) or the workflow engine's durabletask service: only the callee's access control applies to them (dapr/dapr pkg/api/grpc/endpoints.go, pkg/api/grpc/server.go).".to_string(),
        "Secret scopes govern only the app's calls to the Dapr secrets API, not the secretKeyRef of a component, which the operator or daprd resolve without them.".to_string(),
    ];
    match &dapr.workflow_policy {
        Some(_) => risks.push(format!(
            "The {} gates only calls from other apps: the app's own sidecar may start, raise, terminate or purge any of its workflows, and the policy names callers by app-id, so it holds only with Dapr mTLS (a call without an mTLS identity is refused once the policy exists) (dapr/dapr pkg/acl/workflow/policy.go @ v1.18.3).",
            surface::WORKFLOW_ACCESS_POLICY_KIND
        )),
        None if dapr.actors => risks.push(
            "No WorkflowAccessPolicy (dapr.workflowCallers, Dapr 1.18): any other Dapr app may schedule, raise events on or terminate the app's workflows and schedule its activities.".to_string(),
        ),
        None => {}
    }
    if let Some(token) = &dapr.app_token {
        risks.push(format!(
            "The app token (Secret {}) protects the app only if the app refuses requests whose {} header differs from it; Dapr does not enforce it, and its own health probes of the app arrive without it.",
            token.secret_name,
            surface::TOKEN_HEADER
        ));
        if token.remote_key.is_none() {
            risks.push(format!(
                "Secret {} (the Dapr app token, key {}) is created by hand: rotation, access and history are outside this spec; until it exists the pod does not start.",
                token.secret_name, token.key
            ));
        }
    }
    risks
}
