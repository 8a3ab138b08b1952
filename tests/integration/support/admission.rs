//! The admission guard's policies evaluated as the API server would: a
//! real CEL implementation (the `cel` crate) runs each rendered
//! ValidatingAdmissionPolicy (match conditions, then variables, then
//! validations, with `object`, `oldObject` and `request`). One evaluator,
//! shared by the guard's own tests (`guard_cel.rs`) and the fake cluster's
//! judge of attacker pods (`fake_cluster::judge_pod`), with the Dapr
//! injector's mutation of a pod, which validating admission sees.
//!
//! What the harness does differently from the API server (said, not
//! hidden): variables are evaluated eagerly, in order, rather than lazily
//! (the guard's variables never fail, so the outcome is the same); no cost
//! budget is applied (the `cel` crate has none); and the type checking the
//! API server runs as warnings is not reproduced. The guard uses no
//! Kubernetes CEL extension library, so none is needed here.

use std::collections::HashMap;
use std::sync::Arc;

use cel::objects::{Key, Map};
use cel::{Context, Program, Value as Cel};
use serde_json::{Value, json};

/// A JSON value as Kubernetes hands it to CEL: integers are `int`.
pub fn cel(value: &Value) -> Cel {
    match value {
        Value::Null => Cel::Null,
        Value::Bool(b) => Cel::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Cel::Int(i),
            None => Cel::Float(n.as_f64().unwrap_or_default()),
        },
        Value::String(s) => Cel::String(Arc::new(s.clone())),
        Value::Array(items) => Cel::List(Arc::new(items.iter().map(cel).collect())),
        Value::Object(fields) => {
            let map: HashMap<Key, Cel> = fields
                .iter()
                .map(|(k, v)| (Key::from(k.clone()), cel(v)))
                .collect();
            Cel::Map(Map::from(map))
        }
    }
}

pub fn compile(expression: &str) -> Program {
    Program::compile(expression)
        .unwrap_or_else(|e| panic!("the guard's CEL does not parse: {expression}\n{e:?}"))
}

/// One admission request.
pub struct Request<'a> {
    pub operation: &'a str,
    pub object: &'a Value,
    pub old: Option<&'a Value>,
    /// `request.userInfo` (`username`, `groups`); `None`: a cluster
    /// administrator's, who is no auditor ([`admin`]).
    pub user: Option<&'a Value>,
}

/// The user of a request that names none: `kubectl` as a kind cluster's
/// administrator (the API server always sets `userInfo`).
pub fn admin() -> Value {
    json!({"username": "kubernetes-admin", "groups": ["kubeadm:cluster-admins", "system:authenticated"]})
}

/// A rendered policy with its compiled expressions.
pub struct Policy {
    pub name: String,
    pub namespaces: Vec<String>,
    pub resources: Vec<String>,
    pub conditions: Vec<Program>,
    pub variables: Vec<(String, Program)>,
    pub validations: Vec<(Program, String)>,
    /// The binding's `validationActions`.
    pub actions: Vec<String>,
}

pub fn strings(value: &Value) -> Vec<String> {
    harden::objects::value::string_list(Some(value))
}

/// The namespaces a policy's `matchConstraints` or a binding's
/// `matchResources` selects by name (`kubernetes.io/metadata.name In`).
pub fn namespaces_of(spec: &Value) -> Vec<String> {
    spec["namespaceSelector"]["matchExpressions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["key"] == "kubernetes.io/metadata.name" && e["operator"] == "In")
        .flat_map(|e| strings(&e["values"]))
        .collect()
}

/// The guard's policies among `documents`, each with its binding.
pub fn policies(documents: &[Value]) -> Vec<Policy> {
    let bindings: Vec<&Value> = documents
        .iter()
        .filter(|d| d["kind"] == "ValidatingAdmissionPolicyBinding")
        .collect();
    documents
        .iter()
        .filter(|d| d["kind"] == "ValidatingAdmissionPolicy")
        .map(|policy| {
            let name = policy["metadata"]["name"].as_str().unwrap().to_string();
            let spec = &policy["spec"];
            assert_eq!(spec["failurePolicy"], "Fail", "{name}");
            let binding = bindings
                .iter()
                .find(|b| b["spec"]["policyName"] == name.as_str())
                .unwrap_or_else(|| panic!("{name} has no binding"));
            let namespaces = namespaces_of(&spec["matchConstraints"]);
            assert_eq!(
                namespaces,
                namespaces_of(&binding["spec"]["matchResources"]),
                "{name}: the binding selects other namespaces than the policy"
            );
            let resources = spec["matchConstraints"]["resourceRules"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|r| {
                    assert_eq!(strings(&r["operations"]), ["CREATE", "UPDATE"]);
                    strings(&r["resources"])
                })
                .collect();
            let named = |key: &str| -> Vec<(String, Program)> {
                spec[key]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|v| {
                        (
                            v["name"].as_str().unwrap().to_string(),
                            compile(v["expression"].as_str().unwrap()),
                        )
                    })
                    .collect()
            };
            Policy {
                conditions: named("matchConditions")
                    .into_iter()
                    .map(|(_, p)| p)
                    .collect(),
                variables: named("variables"),
                validations: spec["validations"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| {
                        let message = v["message"].as_str().unwrap().to_string();
                        assert!(!message.contains('\n') && !message.trim().is_empty());
                        (compile(v["expression"].as_str().unwrap()), message)
                    })
                    .collect(),
                actions: strings(&binding["spec"]["validationActions"]),
                name,
                namespaces,
                resources,
            }
        })
        .collect()
}

/// The resource a kind is requested as.
pub fn resource(kind: &str) -> &'static str {
    match kind {
        "Pod" => "pods",
        "Deployment" => "deployments",
        "ReplicaSet" => "replicasets",
        "StatefulSet" => "statefulsets",
        "DaemonSet" => "daemonsets",
        "Job" => "jobs",
        "CronJob" => "cronjobs",
        "RoleBinding" => "rolebindings",
        "Role" => "roles",
        _ => "",
    }
}

/// The messages of the rules `policy` fails on `request`; `None` when the
/// policy does not match it.
pub fn judge(policy: &Policy, request: &Request, subresource: &str) -> Option<Vec<String>> {
    let object = request
        .old
        .filter(|_| request.object.is_null())
        .unwrap_or(request.object);
    let namespace = object["metadata"]["namespace"].as_str().unwrap_or_default();
    let mut wanted = resource(object["kind"].as_str().unwrap_or_default()).to_string();
    if !subresource.is_empty() {
        wanted = format!("{wanted}/{subresource}");
    }
    if !policy.namespaces.iter().any(|n| n == namespace) || !policy.resources.contains(&wanted) {
        return None;
    }
    let mut context = Context::default();
    context.add_variable_from_value("object", cel(request.object));
    context.add_variable_from_value("oldObject", request.old.map(cel).unwrap_or(Cel::Null));
    context.add_variable_from_value(
        "request",
        cel(&json!({
            "operation": request.operation,
            "namespace": namespace,
            "kind": {"kind": object["kind"]},
            "subResource": subresource,
            "userInfo": request.user.cloned().unwrap_or_else(admin),
        })),
    );
    for condition in &policy.conditions {
        match condition.execute(&context) {
            Ok(Cel::Bool(true)) => {}
            Ok(Cel::Bool(false)) => return None,
            other => {
                return Some(vec![format!(
                    "{}: match condition failed: {other:?}",
                    policy.name
                )]);
            }
        }
    }
    let mut variables: HashMap<Key, Cel> = HashMap::new();
    for (name, program) in &policy.variables {
        context.add_variable_from_value("variables", Cel::Map(Map::from(variables.clone())));
        match program.execute(&context) {
            Ok(value) => {
                variables.insert(Key::from(name.clone()), value);
            }
            Err(error) => {
                return Some(vec![format!(
                    "{}: variable {name} failed: {error:?}",
                    policy.name
                )]);
            }
        }
    }
    context.add_variable_from_value("variables", Cel::Map(Map::from(variables)));
    let failed = policy
        .validations
        .iter()
        .filter_map(|(program, message)| match program.execute(&context) {
            Ok(Cel::Bool(true)) => None,
            Ok(Cel::Bool(false)) => Some(message.clone()),
            other => Some(format!("{message} (expression error: {other:?})")),
        })
        .collect();
    Some(failed)
}

/// Every failure of every policy on `request`, as `policy: message`.
pub fn refusals(policies: &[Policy], request: &Request, subresource: &str) -> Vec<String> {
    policies
        .iter()
        .flat_map(|p| {
            judge(p, request, subresource)
                .unwrap_or_default()
                .into_iter()
                .map(move |m| format!("{}: {m}", p.name))
        })
        .collect()
}

pub fn create(policies: &[Policy], object: &Value) -> Vec<String> {
    refusals(
        policies,
        &Request {
            operation: "CREATE",
            object,
            old: None,
            user: None,
        },
        "",
    )
}

pub fn update(policies: &[Policy], old: &Value, object: &Value, subresource: &str) -> Vec<String> {
    refusals(
        policies,
        &Request {
            operation: "UPDATE",
            object,
            old: Some(old),
            user: None,
        },
        subresource,
    )
}

/// The pod template of a workload, and its path in the object.
pub fn template_of(object: &Value) -> Option<&Value> {
    match object["kind"].as_str()? {
        "CronJob" => object.pointer("/spec/jobTemplate/spec/template"),
        "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" | "Job" => {
            object.pointer("/spec/template")
        }
        _ => None,
    }
}

/// A pod of `workload` as validating admission sees it: the template with
/// the namespace, after the ServiceAccount plugin (nothing to add: the
/// token is never automounted) and, when the template asks for Dapr, after
/// the injector ([`inject`]).
pub fn pod_of(workload: &Value, native_sidecar: bool) -> Value {
    let template = template_of(workload).expect("a workload");
    let mut pod = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": template["metadata"].clone(),
        "spec": template["spec"].clone(),
    });
    pod["metadata"]["namespace"] = workload["metadata"]["namespace"].clone();
    pod["metadata"]["name"] = json!("app-5d4f8b7c9-x2x7q");
    pod["spec"]["dnsPolicy"] = json!("ClusterFirst");
    pod["spec"]["restartPolicy"] = json!("Always");
    inject(&mut pod, native_sidecar);
    pod
}

/// The Dapr sidecar injector's mutation of a pod that asks for Dapr
/// (`dapr.io/enabled: "true"`; others are left alone): daprd (in
/// `containers`, or as a native sidecar in `initContainers`), its Sentry
/// token volume, the API token and app token variables from their Secrets,
/// the app containers' Dapr variables and the injector's labels (dapr/dapr
/// v1.18.3 `pkg/injector/patcher/sidecar_container.go`, `sidecar_volumes.go`,
/// `sidecar_patcher.go`; the variable names in `pkg/security/consts/consts.go`,
/// `APITokenEnvVar` and `AppAPITokenEnvVar`; docs/upstream/admission.md
/// section 3, docs/upstream/dapr-security.md section 3).
pub fn inject(pod: &mut Value, native_sidecar: bool) {
    let annotations = pod["metadata"]["annotations"].clone();
    if annotations["dapr.io/enabled"] != "true" {
        return;
    }
    let app_id = annotations["dapr.io/app-id"].clone();
    for container in pod["spec"]["containers"].as_array_mut().unwrap() {
        let env = container["env"].as_array().cloned().unwrap_or_default();
        let mut env = env;
        env.extend([
            json!({"name": "DAPR_HTTP_PORT", "value": "3500"}),
            json!({"name": "DAPR_GRPC_PORT", "value": "50001"}),
            json!({"name": "APP_PROTOCOL", "value": "http"}),
        ]);
        container["env"] = json!(env);
    }
    let mut daprd = json!({
        "name": "daprd",
        "image": "ghcr.io/dapr/daprd:1.18.3",
        "imagePullPolicy": "IfNotPresent",
        "args": ["/daprd", "--mode", "kubernetes", "--app-id", app_id],
        "ports": [
            {"name": "dapr-http", "containerPort": 3500, "protocol": "TCP"},
            {"name": "dapr-grpc", "containerPort": 50001, "protocol": "TCP"},
            {"name": "dapr-internal", "containerPort": 50002, "protocol": "TCP"},
            {"name": "dapr-metrics", "containerPort": 9090, "protocol": "TCP"}
        ],
        "env": [
            {"name": "NAMESPACE", "value": pod["metadata"]["namespace"]},
            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}},
            {"name": "DAPR_TRUST_ANCHORS", "value": "-----BEGIN CERTIFICATE-----"}
        ],
        "securityContext": {
            "allowPrivilegeEscalation": false,
            "runAsNonRoot": true,
            "readOnlyRootFilesystem": true,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"}
        },
        "volumeMounts": [
            {"name": "dapr-identity-token", "mountPath": "/var/run/secrets/dapr.io/sentrytoken", "readOnly": true}
        ],
        "readinessProbe": {"httpGet": {"path": "/v1.0/healthz", "port": 3501}},
        "livenessProbe": {"tcpSocket": {"port": 3501}}
    });
    if let Some(secret) = annotations["dapr.io/api-token-secret"].as_str() {
        daprd["env"].as_array_mut().unwrap().push(json!({
            "name": "DAPR_API_TOKEN",
            "valueFrom": {"secretKeyRef": {"name": secret, "key": "token"}}
        }));
    }
    if let Some(secret) =
        annotations[harden::platform::dapr::surface::APP_TOKEN_ANNOTATION].as_str()
    {
        daprd["env"].as_array_mut().unwrap().push(json!({
            "name": harden::platform::dapr::surface::APP_TOKEN_ENV,
            "valueFrom": {"secretKeyRef": {"name": secret, "key": harden::platform::dapr::surface::APP_TOKEN_KEY}}
        }));
    }
    if native_sidecar {
        daprd["restartPolicy"] = json!("Always");
        let mut init = pod["spec"]["initContainers"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        init.push(daprd);
        pod["spec"]["initContainers"] = json!(init);
    } else {
        pod["spec"]["containers"]
            .as_array_mut()
            .unwrap()
            .push(daprd);
    }
    let mut volumes = pod["spec"]["volumes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    volumes.push(json!({
        "name": "dapr-identity-token",
        "projected": {"defaultMode": 420, "sources": [{"serviceAccountToken": {
            "audience": "spiffe://public/ns/dapr-system/dapr-sentry",
            "expirationSeconds": 7200,
            "path": "token"
        }}]}
    }));
    pod["spec"]["volumes"] = json!(volumes);
    pod["metadata"]["labels"]["dapr.io/sidecar-injected"] = json!("true");
    pod["metadata"]["labels"]["dapr.io/app-id"] = app_id;
    pod["metadata"]["labels"]["dapr.io/metrics-enabled"] = json!("true");
}
