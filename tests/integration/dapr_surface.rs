//! Dapr's security surface rendered from the spec: the API allowlist (per
//! protocol, per Dapr version), secret scopes, the app token and the
//! operations a caller may invoke. Each test reads the rendered objects,
//! which before issue 25 held none of them.

use harden::load::{load_spec, load_spec_text};
use harden::render::render;
use harden::templates::Templates;
use serde_json::Value;

use crate::support::fake_cluster::documents_of;
use crate::support::harden::repo;

fn documents_of_model(model: &harden::model::Model) -> Vec<Value> {
    documents_of(&render(model, &Templates::embedded().unwrap()).expect("renders"))
}

fn file_documents(spec: &str) -> Vec<Value> {
    let model = load_spec(&repo().join(spec)).expect("the example is valid");
    documents_of_model(&model)
}

fn text_documents(spec: &str) -> Vec<Value> {
    documents_of_model(&load_spec_text(spec, "s.yaml").expect("valid"))
}

fn configuration(documents: &[Value]) -> &Value {
    documents
        .iter()
        .find(|d| d["kind"] == "Configuration")
        .expect("a Dapr Configuration")
}

/// The allowlist as `name version protocol` lines.
fn allowed(documents: &[Value]) -> Vec<String> {
    configuration(documents)["spec"]["api"]["allowed"]
        .as_array()
        .expect("spec.api.allowed")
        .iter()
        .map(|r| {
            format!(
                "{} {} {}",
                r["name"].as_str().unwrap(),
                r["version"].as_str().unwrap(),
                r["protocol"]
                    .as_str()
                    .expect("every entry names its protocol")
            )
        })
        .collect()
}

use crate::support::MINIMAL_SPEC as BASE;

#[test]
fn task_api_may_call_exactly_the_state_api_on_both_protocols() {
    assert_eq!(
        allowed(&file_documents("specs/task-api.yaml")),
        ["state v1 grpc", "state v1 http"]
    );
}

#[test]
fn orders_adds_invocation_actors_and_publishing() {
    assert_eq!(
        allowed(&file_documents("specs/orders.yaml")),
        [
            "actors v1 grpc",
            "actors v1 http",
            "invoke v1 grpc",
            "invoke v1 http",
            "publish v1 grpc",
            "publish v1 http",
            "state v1 grpc",
            "state v1 http",
        ]
    );
}

#[test]
fn an_app_that_calls_no_api_gets_a_closed_allowlist() {
    // An empty allowlist (or one of unknown names) leaves a protocol open:
    // one real entry per protocol closes both.
    let documents = text_documents(&format!("{BASE}dapr: {{}}\n"));
    assert_eq!(
        allowed(&documents),
        ["shutdown v1 grpc", "shutdown v1 http"]
    );
}

#[test]
fn the_allowlist_follows_the_dapr_version() {
    let jobs = |version: &str| {
        allowed(&text_documents(&format!(
            "{BASE}dapr:\n  version: \"{version}\"\n  jobs: true\n"
        )))
    };
    assert_eq!(jobs("1.17"), ["jobs v1alpha1 grpc", "jobs v1alpha1 http"]);
    assert_eq!(
        jobs("1.18"),
        [
            "jobs v1 grpc",
            "jobs v1 http",
            "jobs v1alpha1 grpc",
            "jobs v1alpha1 http"
        ]
    );
    // workflows v1 is HTTP only (no gRPC workflows.v1 at any supported tag).
    let workflows = allowed(&text_documents(&format!(
        "{BASE}dapr:\n  actors: true\n  apis: [workflows, state/v1alpha1]\n"
    )));
    assert!(workflows.contains(&"workflows v1 http".to_string()));
    assert!(!workflows.contains(&"workflows v1 grpc".to_string()));
    assert!(workflows.contains(&"workflows v1beta1 grpc".to_string()));
    assert!(workflows.contains(&"state v1alpha1 grpc".to_string()));
    assert!(!workflows.contains(&"state v1 grpc".to_string()));
}

#[test]
fn an_api_the_version_lacks_is_refused_with_the_version_that_has_it() {
    let error = load_spec_text(
        &format!(
            "{BASE}dapr:\n  version: \"1.14\"\n  apis: [jobs/v1, healthz, invocation]\n  components:\n    - name: llm\n      type: conversation.openai\n"
        ),
        "s.yaml",
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.contains(
            "dapr.apis[0]: the Dapr API jobs/v1 needs Dapr 1.18, and dapr.version is 1.14"
        ),
        "{error}"
    );
    assert!(
        error.contains("dapr.apis[1]: \"healthz\" is not a Dapr API name"),
        "{error}"
    );
    assert!(error.contains("healthz is always allowed"), "{error}");
    assert!(
        error.contains("dapr.apis[2]: \"invocation\" is not a Dapr API name"),
        "{error}"
    );
    assert!(
        error.contains("dapr.components[0].type: the Dapr API conversation needs Dapr 1.15"),
        "{error}"
    );
}

#[test]
fn a_secret_store_gets_a_deny_scope_with_its_allowed_secrets() {
    let documents = text_documents(&format!(
        "{BASE}dapr:\n  components:\n    - name: vault\n      type: secretstores.hashicorp.vault\n      allowedSecrets: [stripe-key, db/password]\n"
    ));
    let scopes = &configuration(&documents)["spec"]["secrets"]["scopes"];
    assert_eq!(
        scopes,
        &serde_json::json!([
            {"storeName": "kubernetes", "defaultAccess": "deny"},
            {"storeName": "vault", "defaultAccess": "deny", "allowedSecrets": ["db/password", "stripe-key"]},
        ])
    );
    assert_eq!(allowed(&documents), ["secrets v1 grpc", "secrets v1 http"]);
    // A store the app reads nothing from opens no secrets API.
    let documents = text_documents(&format!(
        "{BASE}dapr:\n  components:\n    - name: vault\n      type: secretstores.hashicorp.vault\n"
    ));
    assert!(!allowed(&documents).iter().any(|r| r.starts_with("secrets")));
    let error = load_spec_text(
        &format!("{BASE}dapr:\n  components:\n    - name: cache\n      type: state.redis\n      allowedSecrets: [x]\n"),
        "s.yaml",
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("dapr.components[0].allowedSecrets: only a secret store"),
        "{error}"
    );
}

#[test]
fn the_app_token_is_an_annotation_a_secret_and_a_mounted_file() {
    let model = load_spec(&repo().join("specs/checkout.yaml")).expect("valid");
    let files = render(&model, &Templates::embedded().unwrap()).unwrap();
    let documents = documents_of(&files);
    let deployment = documents
        .iter()
        .find(|d| d["kind"] == "Deployment")
        .unwrap();
    let template = &deployment["spec"]["template"];
    assert_eq!(
        template["metadata"]["annotations"]["dapr.io/app-token-secret"],
        "checkout-dapr-app-token"
    );
    let volume = template["spec"]["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "dapr-app-token")
        .expect("the app token volume");
    assert_eq!(volume["secret"]["secretName"], "checkout-dapr-app-token");
    let external = documents
        .iter()
        .find(|d| {
            d["kind"] == "ExternalSecret" && d["metadata"]["name"] == "checkout-dapr-app-token"
        })
        .expect("the app token's ExternalSecret");
    assert_eq!(external["spec"]["data"][0]["secretKey"], "token");
    assert_eq!(
        external["spec"]["data"][0]["remoteRef"]["key"],
        "checkout/dapr-app-token"
    );
    // The same Secret as the API token is refused.
    let error = load_spec_text(
        &format!("{BASE}dapr:\n  apiTokenSecret: t\n  appTokenSecret: t\n"),
        "s.yaml",
    )
    .unwrap_err()
    .to_string();
    assert!(error.contains("dapr.appTokenSecret"), "{error}");
}

#[test]
fn a_caller_may_be_limited_to_operations() {
    let documents = file_documents("specs/orders.yaml");
    let policy = &configuration(&documents)["spec"]["accessControl"]["policies"][0];
    assert_eq!(
        policy,
        &serde_json::json!({
            "appId": "storefront", "namespace": "web", "trustDomain": "public",
            "defaultAction": "deny",
            "operations": [{"name": "/orders", "httpVerb": ["GET", "POST"], "action": "allow"}],
        })
    );
    // Without operations, the whole app as before.
    let documents = text_documents(&format!("{BASE}dapr:\n  invokedBy: [{{appId: web}}]\n"));
    let policy = &configuration(&documents)["spec"]["accessControl"]["policies"][0];
    assert_eq!(policy["defaultAction"], "allow");
    assert!(policy.get("operations").is_none());
    let error = load_spec_text(
        &format!("{BASE}dapr:\n  invokedBy:\n    - appId: web\n      operations: [{{path: orders, verbs: [get]}}]\n  invokes:\n    - appId: billing\n      operations: [{{path: /x}}]\n"),
        "s.yaml",
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("dapr.invokedBy[0].operations[0].path: \"orders\" is not an operation path"),
        "{error}"
    );
    assert!(
        error.contains("write GET: Dapr matches verbs in upper case only"),
        "{error}"
    );
    assert!(
        error.contains(
            "dapr.invokes[0].operations: operations are granted by the app that is invoked"
        ),
        "{error}"
    );
}

/// The schema of the `WorkflowAccessPolicy` CRD, as read in dapr/dapr
/// `charts/dapr/crds/workflowaccesspolicy.yaml` and
/// `pkg/apis/workflowaccesspolicy/v1alpha1/types.go` @ v1.18.0 and v1.18.3
/// (the CRD is not in ../shared/conformance/crds yet, so the conformance
/// gate cannot validate it): the keys each level may hold, the required
/// ones, the minimum lengths and the operations' enum. Returns every breach.
fn workflow_policy_breaches(policy: &Value) -> Vec<String> {
    let mut breaches = Vec::new();
    let mut keys = |value: &Value, path: &str, allowed: &[&str], required: &[&str]| {
        let Some(map) = value.as_object() else {
            breaches.push(format!("{path}: not a mapping"));
            return;
        };
        for key in map.keys() {
            if !allowed.contains(&key.as_str()) {
                breaches.push(format!("{path}.{key}: unknown field"));
            }
        }
        for key in required {
            if !map.contains_key(*key) {
                breaches.push(format!("{path}.{key}: required"));
            }
        }
    };
    keys(
        policy,
        "",
        &["apiVersion", "kind", "metadata", "scopes", "spec"],
        &[],
    );
    keys(&policy["spec"], "spec", &["rules"], &[]);
    let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
    let mut checks = Vec::new();
    for (i, rule) in list(&policy["spec"]["rules"]).iter().enumerate() {
        let path = format!("spec.rules[{i}]");
        keys(
            rule,
            &path,
            &["callers", "workflows", "activities"],
            &["callers"],
        );
        // x-kubernetes-validations: at least one workflow or activity.
        if list(&rule["workflows"]).is_empty() && list(&rule["activities"]).is_empty() {
            checks.push(format!(
                "{path}: at least one of workflows or activities must contain a rule"
            ));
        }
        if list(&rule["callers"]).is_empty() {
            checks.push(format!("{path}.callers: minItems 1"));
        }
        for (j, caller) in list(&rule["callers"]).iter().enumerate() {
            keys(
                caller,
                &format!("{path}.callers[{j}]"),
                &["appID"],
                &["appID"],
            );
            if caller["appID"].as_str().is_none_or(str::is_empty) {
                checks.push(format!("{path}.callers[{j}].appID: minLength 1"));
            }
        }
        for (j, workflow) in list(&rule["workflows"]).iter().enumerate() {
            let wpath = format!("{path}.workflows[{j}]");
            keys(
                workflow,
                &wpath,
                &["name", "operations"],
                &["name", "operations"],
            );
            if workflow["name"].as_str().is_none_or(str::is_empty) {
                checks.push(format!("{wpath}.name: minLength 1"));
            }
            let operations = list(&workflow["operations"]);
            if operations.is_empty() {
                checks.push(format!("{wpath}.operations: minItems 1"));
            }
            let mut seen = std::collections::BTreeSet::new();
            for operation in &operations {
                let text = operation.as_str().unwrap_or_default();
                if ![
                    "schedule",
                    "terminate",
                    "raise",
                    "pause",
                    "resume",
                    "purge",
                    "get",
                    "rerun",
                ]
                .contains(&text)
                {
                    checks.push(format!("{wpath}.operations: {text:?} not in the enum"));
                }
                if !seen.insert(text.to_string()) {
                    checks.push(format!(
                        "{wpath}.operations: {text:?} repeated (list-type set)"
                    ));
                }
            }
        }
        for (j, activity) in list(&rule["activities"]).iter().enumerate() {
            let apath = format!("{path}.activities[{j}]");
            keys(activity, &apath, &["name"], &["name"]);
            if activity["name"].as_str().is_none_or(str::is_empty) {
                checks.push(format!("{apath}.name: minLength 1"));
            }
        }
    }
    for scope in list(&policy["scopes"]) {
        if !scope.is_string() {
            checks.push("scopes: items are strings".to_string());
        }
    }
    breaches.extend(checks);
    breaches
}

fn workflow_policy(documents: &[Value]) -> Option<&Value> {
    documents
        .iter()
        .find(|d| d["kind"] == "WorkflowAccessPolicy")
}

const WORKFLOW_APP: &str = "dapr:\n  actors: true\n";

#[test]
fn workflow_callers_render_one_policy_scoped_to_the_app_and_valid_against_the_crd() {
    // orders.yaml: shipping may get and raise Order* workflows.
    let documents = file_documents("specs/orders.yaml");
    let policy = workflow_policy(&documents).expect("a WorkflowAccessPolicy");
    assert_eq!(
        policy,
        &serde_json::json!({
            "apiVersion": "dapr.io/v1alpha1",
            "kind": "WorkflowAccessPolicy",
            "metadata": {
                "name": "orders-workflow-access",
                "namespace": "shop",
                "labels": {"app.kubernetes.io/part-of": "orders", "app.kubernetes.io/managed-by": "harden"},
            },
            "scopes": ["orders"],
            "spec": {"rules": [{
                "callers": [{"appID": "shipping"}],
                "workflows": [{"name": "Order*", "operations": ["get", "raise"]}],
            }]},
        })
    );
    assert_eq!(workflow_policy_breaches(policy), Vec::<String>::new());
    // Every operation, activities, and no caller at all: each valid.
    let every = "[schedule, terminate, raise, pause, resume, purge, get, rerun]";
    for callers in [
        format!(
            "[{{appId: billing, workflows: [{{name: Checkout, operations: {every}}}], activities: [Charge*, Refund]}}, {{appId: audit, activities: [Report]}}]"
        ),
        "[]".to_string(),
    ] {
        let documents = text_documents(&format!(
            "{BASE}{WORKFLOW_APP}  workflowCallers: {callers}\n"
        ));
        let policy = workflow_policy(&documents).expect("a WorkflowAccessPolicy");
        assert_eq!(policy["scopes"], serde_json::json!(["shop"]));
        assert_eq!(
            workflow_policy_breaches(policy),
            Vec::<String>::new(),
            "{callers}"
        );
    }
    // The checker itself catches what the CRD refuses.
    let broken = serde_json::json!({"apiVersion": "dapr.io/v1alpha1", "kind": "WorkflowAccessPolicy",
        "spec": {"rules": [{"callers": [{"appID": ""}], "workflows": [{"name": "x", "operations": ["start", "get", "get"]}]},
                            {"callers": [], "extra": 1}]}});
    assert_eq!(
        workflow_policy_breaches(&broken).len(),
        6,
        "{:?}",
        workflow_policy_breaches(&broken)
    );
    // No workflowCallers: no policy (Dapr's default, open).
    assert!(workflow_policy(&text_documents(&format!("{BASE}{WORKFLOW_APP}"))).is_none());
}

#[test]
fn workflow_callers_are_refused_before_dapr_1_18_and_checked() {
    let error = load_spec_text(
        &format!(
            "{BASE}dapr:\n  version: \"1.17\"\n  actors: true\n  workflowCallers: [{{appId: billing, activities: [Charge]}}]\n"
        ),
        "s.yaml",
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("dapr.workflowCallers: a WorkflowAccessPolicy (who may call the app's workflows) needs Dapr 1.18, and dapr.version is 1.17"),
        "{error}"
    );
    let error = load_spec_text(
        &format!(
            "{BASE}dapr:\n  workflowCallers:\n    - appId: shop\n      activities: [a]\n    - appId: billing\n    - appId: Bad_Id\n      activities: [a]\n    - appId: ledger\n      workflows: [{{name: \"x y\", operations: [start, get, get]}}, {{name: z}}]\n"
        ),
        "s.yaml",
    )
    .unwrap_err()
    .to_string();
    for expected in [
        "dapr.workflowCallers: workflows run on Dapr actors, and dapr.actors is not true",
        "dapr.workflowCallers[0].appId: \"shop\" is the app itself",
        "dapr.workflowCallers[1]: billing is given no workflow and no activity",
        "dapr.workflowCallers[2].appId: \"Bad_Id\"",
        "dapr.workflowCallers[3].workflows[0].name: \"x y\"",
        "dapr.workflowCallers[3].workflows[0].operations[0]: \"start\" is not a workflow operation",
        "dapr.workflowCallers[3].workflows[0].operations[2]: \"get\" is listed twice",
        "dapr.workflowCallers[3].workflows[1].operations: names no operation",
    ] {
        assert!(error.contains(expected), "missing {expected:?} in\n{error}");
    }
}
