//! The admission guard, evaluated as the API server would: a real CEL
//! implementation (the `cel` crate) runs each rendered
//! ValidatingAdmissionPolicy (match conditions, then variables, then
//! validations, with `object`, `oldObject` and `request`) against every
//! object the examples render, the ReplicaSets and pods their workloads
//! create (a Dapr pod after the injector's mutation), the live scripts'
//! probe pods, and a corpus of tampered objects, each of which must be
//! refused with a message that names its rule.
//!
//! The evaluator (and what it does differently from the API server) is in
//! `support/admission.rs`, shared with the fake cluster that judges the
//! live scripts' attacker pods.

use std::path::Path;
use std::sync::Arc;

use cel::{Context, Value as Cel};
use serde_json::{Value, json};

use harden::load::load_spec;
use harden::render::render;
use harden::templates::Templates;

use crate::support::admission::{
    Policy, Request, compile, create, judge, pod_of, policies, template_of, update,
};

/// The ReplicaSet the deployment controller creates for `deployment`.
fn replica_set(deployment: &Value) -> Value {
    let mut set = deployment.clone();
    set["kind"] = json!("ReplicaSet");
    set["metadata"]["name"] = json!(format!(
        "{}-5d4f8b7c9",
        deployment["metadata"]["name"].as_str().unwrap()
    ));
    set["spec"]["template"]["metadata"]["labels"]["pod-template-hash"] = json!("5d4f8b7c9");
    set["spec"]["selector"]["matchLabels"]["pod-template-hash"] = json!("5d4f8b7c9");
    set.as_object_mut().unwrap().remove("status");
    set["spec"].as_object_mut().unwrap().remove("strategy");
    set
}

/// The live scripts' network probe pod (`templates/_common.sh.j2`,
/// `run_probe`), as the default ServiceAccount admits it.
fn probe_pod(app: &str, namespace: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "harden-probe-net-abc12",
            "namespace": namespace,
            "labels": {"app.kubernetes.io/name": app, "harden.dev/probe": "net"},
            "annotations": {"harden.dev/probe": "true"}
        },
        "spec": {
            "restartPolicy": "Never",
            "automountServiceAccountToken": false,
            "enableServiceLinks": false,
            "serviceAccountName": "default",
            "securityContext": {"runAsNonRoot": true, "runAsUser": 65534, "runAsGroup": 65534, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{
                "name": "probe",
                "image": harden::guard::PROBE_IMAGES[0],
                "command": ["sh", "-c", "echo PROBE-DONE"],
                "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "capabilities": {"drop": ["ALL"]}}
            }]
        }
    })
}

/// The live scripts' Dapr probe pod (`run_probe` with an app-id, and the
/// app's Configuration when `config` is given), as the Dapr injector
/// mutates it (`native`: daprd as a native sidecar).
fn dapr_probe_pod(
    app: &str,
    namespace: &str,
    app_id: &str,
    config: Option<&str>,
    native: bool,
) -> Value {
    let mut pod = probe_pod(app, namespace);
    pod["metadata"]["name"] = json!("harden-probe-secret-abc12");
    pod["metadata"]["labels"]["harden.dev/probe"] = json!("secret");
    let annotations = pod["metadata"]["annotations"].as_object_mut().unwrap();
    annotations.insert("dapr.io/enabled".into(), json!("true"));
    annotations.insert("dapr.io/app-id".into(), json!(app_id));
    annotations.insert(
        "dapr.io/sidecar-seccomp-profile-type".into(),
        json!("RuntimeDefault"),
    );
    annotations.insert("dapr.io/enable-api-logging".into(), json!("true"));
    if let Some(config) = config {
        annotations.insert("dapr.io/config".into(), json!(config));
    }
    pod["spec"]["containers"][0]["image"] = json!(harden::guard::PROBE_IMAGES[1]);
    crate::support::admission::inject(&mut pod, native);
    pod
}

/// Every example's rendered documents: each spec of `specs/` alone, and the
/// committed workspace example (several specs per namespace, one guard).
fn examples() -> Vec<(String, Vec<Value>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let templates = Templates::embedded().expect("templates compile");
    let mut out = Vec::new();
    let mut specs: Vec<_> = std::fs::read_dir(root.join("specs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    specs.sort();
    for spec in specs {
        let relative = spec.strip_prefix(root).unwrap();
        let model = load_spec(relative).unwrap_or_else(|e| panic!("{}: {e}", spec.display()));
        let files = render(&model, &templates).expect("renders");
        let documents = files
            .iter()
            .filter(|f| f.name.ends_with(".yaml"))
            .flat_map(|f| harden::yaml::parse_stream(&f.content).unwrap())
            .collect();
        out.push((relative.display().to_string(), documents));
    }
    let mut documents = Vec::new();
    let mut stack = vec![root.join("examples/workspace/deploy")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml") {
                let text = std::fs::read_to_string(&path).unwrap();
                documents.extend(harden::yaml::parse_stream(&text).unwrap());
            }
        }
    }
    out.push(("examples/workspace".into(), documents));
    out
}

fn is_workload(document: &Value) -> bool {
    template_of(document).is_some()
}

#[test]
fn every_rendered_object_and_the_pods_it_creates_are_admitted() {
    let mut checked = 0;
    let mut refused = Vec::new();
    for (example, documents) in examples() {
        let policies = policies(&documents);
        assert!(!policies.is_empty(), "{example} renders no guard");
        let mut judge = |what: String, result: Vec<String>| {
            checked += 1;
            if !result.is_empty() {
                refused.push(format!("{example}: {what}: {result:#?}"));
            }
        };
        for document in &documents {
            let name = format!(
                "{} {}",
                document["kind"].as_str().unwrap_or_default(),
                document["metadata"]["name"].as_str().unwrap_or_default()
            );
            judge(format!("create {name}"), create(&policies, document));
            // An update that changes nothing in the template (a scale).
            let mut scaled = document.clone();
            if is_workload(document) {
                scaled["spec"]["replicas"] = json!(7);
            }
            judge(
                format!("update {name}"),
                update(&policies, document, &scaled, ""),
            );
            if !is_workload(document) {
                continue;
            }
            let set = replica_set(document);
            judge(
                format!("create the ReplicaSet of {name}"),
                create(&policies, &set),
            );
            for native in [false, true] {
                let pod = pod_of(document, native);
                judge(
                    format!("create a pod of {name} (native sidecar {native})"),
                    create(&policies, &pod),
                );
            }
            let namespace = document["metadata"]["namespace"].as_str().unwrap();
            let app = document["metadata"]["labels"]["app.kubernetes.io/name"]
                .as_str()
                .unwrap();
            judge(
                format!("create the probe pod of {name}"),
                create(&policies, &probe_pod(app, namespace)),
            );
            // The Dapr probes under a probe app-id (scopes, API allowlist):
            // with and without the app's Configuration, daprd either way.
            for (app_id, config) in [
                ("harden-probe-0a1b2c3d", Some("any-config")),
                ("harden-attacker-9f8e7d6c", None),
            ] {
                for native in [false, true] {
                    judge(
                        format!(
                            "create the Dapr probe {app_id} of {name} (native sidecar {native})"
                        ),
                        create(
                            &policies,
                            &dapr_probe_pod(app, namespace, app_id, config, native),
                        ),
                    );
                }
            }
        }
    }
    assert!(refused.is_empty(), "refused: {refused:#?}");
    assert!(checked > 100, "only {checked} requests were judged");
}

/// The example every tampering starts from: a Dapr app with API access
/// would be ideal; `payments` has API access, `orders` has Dapr.
fn example(spec: &str) -> Vec<Value> {
    examples()
        .into_iter()
        .find(|(name, _)| name.ends_with(spec))
        .map(|(_, d)| d)
        .unwrap_or_else(|| panic!("no example {spec}"))
}

fn find<'a>(documents: &'a [Value], kind: &str) -> &'a Value {
    documents
        .iter()
        .find(|d| d["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind}"))
}

/// A tampering: what it changes, the rule that must refuse it, the object.
struct Tampered {
    what: &'static str,
    rule: &'static str,
    operation: &'static str,
    old: Option<Value>,
    object: Value,
    subresource: &'static str,
}

fn tamper(
    what: &'static str,
    rule: &'static str,
    base: &Value,
    change: impl FnOnce(&mut Value),
) -> Tampered {
    let mut object = base.clone();
    change(&mut object);
    Tampered {
        what,
        rule,
        operation: "CREATE",
        old: None,
        object,
        subresource: "",
    }
}

fn corpus() -> Vec<Tampered> {
    let orders = example("specs/orders.yaml");
    let payments = example("specs/payments.yaml");
    let deployment = find(&orders, "Deployment").clone();
    let pod = pod_of(&deployment, false);
    let native = pod_of(&deployment, true);
    let plain = find(&payments, "Deployment").clone();
    let plain_pod = pod_of(&plain, false);
    let binding = find(&payments, "RoleBinding").clone();
    let role = find(&payments, "Role").clone();
    let c0 = "/spec/template/spec/containers/0";
    let p0 = "/spec/containers/0";
    let set = |path: &str, value: Value| {
        let path = path.to_string();
        move |o: &mut Value| *o.pointer_mut(&path).unwrap_or_else(|| panic!("{path}")) = value
    };
    let insert = |path: &str, key: &'static str, value: Value| {
        let path = path.to_string();
        move |o: &mut Value| {
            o.pointer_mut(&path)
                .unwrap_or_else(|| panic!("{path}"))
                .as_object_mut()
                .unwrap()
                .insert(key.into(), value);
        }
    };
    let mut corpus = vec![
        tamper(
            "another app's label",
            "known-app",
            &deployment,
            set(
                "/spec/template/metadata/labels/app.kubernetes.io~1name",
                json!("intruder"),
            ),
        ),
        tamper("an unlabelled bare pod", "known-app", &plain_pod, |o| {
            o["metadata"]["labels"] = json!({});
        }),
        tamper(
            "another image",
            "images",
            &deployment,
            set(
                &format!("{c0}/image"),
                json!("ghcr.io/example/orders:latest"),
            ),
        ),
        tamper(
            "the image by tag",
            "images",
            &plain,
            set(
                &format!("{c0}/image"),
                json!("registry.example.com/payments:3.1.0"),
            ),
        ),
        tamper("a second container", "images", &plain, |o| {
            let mut extra = o.pointer(c0).unwrap().clone();
            extra["name"] = json!("miner");
            extra["image"] = json!(
                "docker.io/evil/miner@sha256:0000000000000000000000000000000000000000000000000000000000000000"
            );
            o.pointer_mut("/spec/template/spec/containers")
                .unwrap()
                .as_array_mut()
                .unwrap()
                .push(extra);
        }),
        tamper("daprd from another registry", "images", &pod, |o| {
            o["spec"]["containers"][1]["image"] = json!("evil.example.com/dapr/daprd:1.18.3");
        }),
        tamper(
            "a probe pod with another image",
            "images",
            &plain_pod,
            |o| {
                o["metadata"]["labels"]["harden.dev/probe"] = json!("net");
                o["spec"]["serviceAccountName"] = json!("default");
            },
        ),
        // A probe may have a Dapr sidecar, but never under the app's
        // app-id (or a caller's): that pod would be the app to Dapr.
        tamper(
            "a Dapr probe under the app's app-id",
            "dapr-annotations",
            &dapr_probe_pod(
                "orders",
                "shop",
                "orders",
                Some("orders-dapr-config"),
                false,
            ),
            |_| {},
        ),
        tamper(
            "a Dapr probe under a made-up app-id",
            "dapr-annotations",
            &dapr_probe_pod("orders", "shop", "shipping", None, true),
            |_| {},
        ),
        tamper(
            "a Dapr probe with the app's app token",
            "dapr-annotations",
            &dapr_probe_pod("orders", "shop", "harden-probe-0a1b2c3d", None, false),
            |o| {
                o["metadata"]["annotations"]["dapr.io/app-token-secret"] =
                    json!("orders-app-token");
            },
        ),
        tamper(
            "a probe with a daprd of its own and no Dapr annotation",
            "dapr-sidecar",
            &dapr_probe_pod("orders", "shop", "harden-probe-0a1b2c3d", None, false),
            |o| {
                let annotations = o["metadata"]["annotations"].as_object_mut().unwrap();
                annotations.retain(|k, _| !k.starts_with("dapr.io/"));
            },
        ),
        tamper(
            "the default ServiceAccount",
            "service-account",
            &deployment,
            set("/spec/template/spec/serviceAccountName", json!("default")),
        ),
        tamper(
            "no ServiceAccount (the plugin sets default)",
            "service-account",
            &plain_pod,
            set("/spec/serviceAccountName", json!("default")),
        ),
        tamper(
            "token automounted",
            "token",
            &deployment,
            set(
                "/spec/template/spec/automountServiceAccountToken",
                json!(true),
            ),
        ),
        tamper("automount unset", "token", &deployment, |o| {
            o.pointer_mut("/spec/template/spec")
                .unwrap()
                .as_object_mut()
                .unwrap()
                .remove("automountServiceAccountToken");
        }),
        tamper("a projected API token", "token", &deployment, |o| {
            let volumes = o
                .pointer_mut("/spec/template/spec/volumes")
                .unwrap()
                .as_array_mut()
                .unwrap();
            volumes.push(json!({"name": "tok", "projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]}}));
        }),
        tamper(
            "a Sentry-looking token in a template",
            "token",
            &deployment,
            |o| {
                let volumes = o
                    .pointer_mut("/spec/template/spec/volumes")
                    .unwrap()
                    .as_array_mut()
                    .unwrap();
                volumes.push(json!({"name": "tok", "projected": {"sources": [{"serviceAccountToken": {"path": "token", "audience": "spiffe://public/ns/dapr-system/dapr-sentry"}}]}}));
            },
        ),
        tamper(
            "runAsNonRoot false",
            "security-context",
            &deployment,
            set(
                "/spec/template/spec/securityContext/runAsNonRoot",
                json!(false),
            ),
        ),
        tamper(
            "seccomp Unconfined",
            "security-context",
            &deployment,
            set(
                "/spec/template/spec/securityContext/seccompProfile/type",
                json!("Unconfined"),
            ),
        ),
        tamper(
            "privilege escalation",
            "security-context",
            &deployment,
            set(
                &format!("{c0}/securityContext/allowPrivilegeEscalation"),
                json!(true),
            ),
        ),
        tamper(
            "capabilities not dropped",
            "security-context",
            &deployment,
            set(&format!("{c0}/securityContext/capabilities"), json!({})),
        ),
        tamper(
            "daprd keeps its capabilities",
            "security-context",
            &pod,
            |o| {
                o["spec"]["containers"][1]["securityContext"]
                    .as_object_mut()
                    .unwrap()
                    .remove("capabilities");
            },
        ),
        tamper(
            "another pod user",
            "run-as-user",
            &deployment,
            set(
                "/spec/template/spec/securityContext/runAsUser",
                json!(10002),
            ),
        ),
        tamper(
            "a container as root",
            "run-as-user",
            &plain,
            set(&format!("{c0}/securityContext/runAsUser"), json!(0)),
        ),
        tamper(
            "a writable root filesystem",
            "read-only-root-filesystem",
            &deployment,
            set(
                &format!("{c0}/securityContext/readOnlyRootFilesystem"),
                json!(false),
            ),
        ),
        tamper(
            "privileged",
            "privileged",
            &deployment,
            set(&format!("{c0}/securityContext/privileged"), json!(true)),
        ),
        tamper(
            "NET_ADMIN added",
            "capabilities",
            &deployment,
            insert(
                &format!("{c0}/securityContext/capabilities"),
                "add",
                json!(["NET_ADMIN"]),
            ),
        ),
        tamper(
            "hostNetwork",
            "host-namespaces",
            &deployment,
            insert("/spec/template/spec", "hostNetwork", json!(true)),
        ),
        tamper(
            "hostPID",
            "host-namespaces",
            &plain_pod,
            insert("/spec", "hostPID", json!(true)),
        ),
        tamper(
            "hostIPC",
            "host-namespaces",
            &plain,
            insert("/spec/template/spec", "hostIPC", json!(true)),
        ),
        tamper("a hostPath volume", "host-path", &deployment, |o| {
            o.pointer_mut("/spec/template/spec/volumes")
                .unwrap()
                .as_array_mut()
                .unwrap()
                .push(json!({"name": "host", "hostPath": {"path": "/"}}));
        }),
        tamper(
            "another Dapr app id",
            "dapr-annotations",
            &deployment,
            set(
                "/spec/template/metadata/annotations/dapr.io~1app-id",
                json!("payments"),
            ),
        ),
        tamper(
            "the Dapr config removed",
            "dapr-annotations",
            &deployment,
            |o| {
                o.pointer_mut("/spec/template/metadata/annotations")
                    .unwrap()
                    .as_object_mut()
                    .unwrap()
                    .remove("dapr.io/config");
            },
        ),
        tamper(
            "another sidecar image",
            "dapr-annotations",
            &deployment,
            insert(
                "/spec/template/metadata/annotations",
                "dapr.io/sidecar-image",
                json!("evil/daprd:1"),
            ),
        ),
        tamper(
            "API logging turned off",
            "dapr-annotations",
            &pod,
            set(
                "/metadata/annotations/dapr.io~1enable-api-logging",
                json!("false"),
            ),
        ),
        tamper(
            "Dapr on an app without it",
            "dapr-annotations",
            &plain,
            |o| {
                o.pointer_mut("/spec/template/metadata")
                    .unwrap()
                    .as_object_mut()
                    .unwrap()
                    .insert(
                        "annotations".into(),
                        json!({"dapr.io/enabled": "true", "dapr.io/app-id": "payments"}),
                    );
            },
        ),
        tamper(
            "a Dapr pod without daprd",
            "dapr-sidecar",
            &pod_of(&deployment, false),
            |o| {
                o["spec"]["containers"].as_array_mut().unwrap().pop();
            },
        ),
        tamper(
            "a template with its own daprd",
            "dapr-sidecar",
            &deployment,
            |o| {
                let mut fake = o.pointer(c0).unwrap().clone();
                fake["name"] = json!("daprd");
                o.pointer_mut("/spec/template/spec/containers")
                    .unwrap()
                    .as_array_mut()
                    .unwrap()
                    .push(fake);
            },
        ),
        tamper(
            "daprd on an app without Dapr",
            "dapr-sidecar",
            &plain_pod,
            |o| {
                let mut fake = o.pointer(p0).unwrap().clone();
                fake["name"] = json!("daprd");
                o["spec"]["containers"].as_array_mut().unwrap().push(fake);
            },
        ),
        tamper(
            "a native daprd writing its root",
            "read-only-root-filesystem",
            &native,
            |o| {
                o["spec"]["initContainers"][0]["securityContext"]["readOnlyRootFilesystem"] =
                    json!(false);
            },
        ),
        tamper(
            "a binding to cluster-admin",
            "rbac-wide-role",
            &binding,
            set(
                "/roleRef",
                json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"}),
            ),
        ),
        tamper("a binding to edit", "rbac-wide-role", &binding, |o| {
            o["roleRef"] = json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"});
            o["subjects"] = json!([{"kind": "User", "name": "alice"}]);
        }),
        tamper(
            "the app's ServiceAccount bound to view",
            "rbac-service-account",
            &binding,
            set(
                "/roleRef",
                json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"}),
            ),
        ),
        tamper(
            "the app's ServiceAccount bound to another Role",
            "rbac-service-account",
            &binding,
            set("/roleRef/name", json!("secret-reader")),
        ),
        tamper(
            "all ServiceAccounts of the namespace",
            "rbac-service-account",
            &binding,
            |o| {
                o["metadata"]["name"] = json!("everyone");
                o["roleRef"] = json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "secret-reader"});
                o["subjects"] = json!([{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "system:serviceaccounts:payments-prod"}]);
            },
        ),
        tamper(
            "the app's ServiceAccount as a user",
            "rbac-service-account",
            &binding,
            |o| {
                o["roleRef"]["name"] = json!("secret-reader");
                o["subjects"] = json!([{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "system:serviceaccount:payments-prod:payments-sa"}]);
            },
        ),
        tamper(
            "the spec's Role widened",
            "rbac-service-account",
            &role,
            |o| {
                o["rules"][0]["verbs"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!("list"));
            },
        ),
        tamper(
            "a binding for an app without API access",
            "rbac-service-account",
            &binding,
            |o| {
                o["metadata"]["namespace"] = json!("shop");
                o["roleRef"]["name"] = json!("orders-role");
                o["subjects"] =
                    json!([{"kind": "ServiceAccount", "name": "orders-sa", "namespace": "shop"}]);
            },
        ),
    ];
    // Updates: a template change is judged; a debug container is judged.
    let mut privileged = deployment.clone();
    privileged["spec"]["template"]["spec"]["containers"][0]["securityContext"]["privileged"] =
        json!(true);
    corpus.push(Tampered {
        what: "an update making the template privileged",
        rule: "privileged",
        operation: "UPDATE",
        old: Some(deployment.clone()),
        object: privileged,
        subresource: "",
    });
    let mut debugged = pod.clone();
    debugged["spec"]["ephemeralContainers"] = json!([{
        "name": "debugger",
        "image": harden::guard::PROBE_IMAGES[0],
        "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "capabilities": {"drop": ["ALL"]}}
    }]);
    corpus.push(Tampered {
        what: "kubectl debug's ephemeral container",
        rule: "images",
        operation: "UPDATE",
        old: Some(pod.clone()),
        object: debugged,
        subresource: "ephemeralcontainers",
    });
    let mut swapped = plain_pod.clone();
    swapped["spec"]["containers"][0]["image"] = json!("registry.example.com/payments:evil");
    corpus.push(Tampered {
        what: "a running pod's image replaced",
        rule: "images",
        operation: "UPDATE",
        old: Some(plain_pod.clone()),
        object: swapped,
        subresource: "",
    });
    corpus
}

#[test]
fn every_tampered_object_is_refused_by_its_rule() {
    let mut policies_of: Vec<(String, Vec<Policy>)> = Vec::new();
    for spec in ["specs/orders.yaml", "specs/payments.yaml"] {
        policies_of.push((spec.into(), policies(&example(spec))));
    }
    let corpus = corpus();
    let mut wrong = Vec::new();
    let mut covered = std::collections::BTreeSet::new();
    for tampered in &corpus {
        let namespace = tampered.object["metadata"]["namespace"].as_str().unwrap();
        let policies: Vec<&Policy> = policies_of
            .iter()
            .flat_map(|(_, p)| p)
            .filter(|p| p.namespaces.iter().any(|n| n == namespace))
            .collect();
        assert!(
            !policies.is_empty(),
            "{}: no guard for {namespace}",
            tampered.what
        );
        let request = Request {
            operation: tampered.operation,
            object: &tampered.object,
            old: tampered.old.as_ref(),
            user: None,
        };
        let refused: Vec<String> = policies
            .iter()
            .flat_map(|p| judge(p, &request, tampered.subresource).unwrap_or_default())
            .collect();
        let named = format!("{}{}: ", harden::guard::MESSAGE_PREFIX, tampered.rule);
        if refused
            .iter()
            .any(|m| m.starts_with(&named) && !m.contains("expression error"))
        {
            covered.insert(tampered.rule);
        } else {
            wrong.push(format!(
                "{} (expected {}): {refused:#?}",
                tampered.what, tampered.rule
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "not refused by the named rule: {wrong:#?}"
    );
    let rules: std::collections::BTreeSet<&str> =
        harden::guard::RULES.iter().map(|(id, _)| *id).collect();
    assert_eq!(covered, rules, "a rule without a tampered object");
}

#[test]
fn guard_modes_bind_the_actions_the_api_server_accepts() {
    for (_, documents) in examples() {
        for policy in policies(&documents) {
            let actions = policy.actions;
            assert!(!actions.is_empty());
            assert!(
                !(actions.contains(&"Deny".to_string()) && actions.contains(&"Warn".to_string())),
                "{}: Deny with Warn is rejected by the API server",
                policy.name
            );
        }
    }
}

#[test]
fn the_guard_checks_exactly_the_dapr_annotations_the_deployment_renders() {
    for spec in [
        "specs/orders.yaml",
        "specs/task-api.yaml",
        "specs/checkout.yaml",
    ] {
        let model = load_spec(Path::new(spec)).unwrap();
        let documents = example(spec);
        let rendered =
            &find(&documents, "Deployment")["spec"]["template"]["metadata"]["annotations"];
        let rendered: Vec<(String, String)> = rendered
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| k.starts_with("dapr.io/"))
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
            .collect();
        let model_annotations: Vec<(String, String)> = model
            .dapr
            .as_ref()
            .unwrap()
            .annotations
            .iter()
            .map(|a| (a.key.to_string(), a.value.clone()))
            .collect();
        let mut guarded = model.guard.as_ref().unwrap().app.dapr_annotations.clone();
        assert_eq!(
            guarded, model_annotations,
            "{spec}: the guard's list is the model's"
        );
        let mut rendered = rendered;
        guarded.sort();
        rendered.sort();
        assert_eq!(guarded, rendered, "{spec}");
    }
}

/// Every CEL literal `cel_string` writes is read back as the text it
/// escaped, by a real CEL parser: no text can end the literal early.
#[test]
fn escaped_strings_read_back_unchanged_in_cel() {
    let hostile = [
        "plain",
        "it's",
        "'",
        "\\",
        "\\'",
        "' || true || '",
        "\") || true || (\"",
        "a\nb\r\t\u{0}",
        "é漢字😀\u{2028}",
        "/* comment */ // line",
        "${x} {{y}} $(z)",
    ];
    for text in hostile {
        let literal = harden::guard::cel_string(text);
        let program = compile(&format!("{literal} == expected && size({literal}) >= 0"));
        let mut context = Context::default();
        context.add_variable_from_value("expected", Cel::String(Arc::new(text.to_string())));
        assert_eq!(
            program.execute(&context).unwrap(),
            Cel::Bool(true),
            "{text:?} as {literal}"
        );
    }
}

/// Rollout on a namespace that already runs objects the guard refuses: an
/// update that leaves the pod template alone (a scale, the deployment
/// controller scaling an old ReplicaSet down) is not judged; changing the
/// template, or any new pod, is.
#[test]
fn objects_that_predate_the_guard_can_be_scaled_but_not_changed() {
    let documents = example("specs/orders.yaml");
    let policies = policies(&documents);
    let mut old = find(&documents, "Deployment").clone();
    old["spec"]["template"]["spec"]["hostNetwork"] = json!(true);
    let mut scaled = old.clone();
    scaled["spec"]["replicas"] = json!(0);
    assert_eq!(update(&policies, &old, &scaled, ""), Vec::<String>::new());
    let mut set = replica_set(&old);
    let mut scaled_set = set.clone();
    scaled_set["spec"]["replicas"] = json!(0);
    assert_eq!(
        update(&policies, &set, &scaled_set, ""),
        Vec::<String>::new()
    );
    set["spec"]["template"]["spec"]["hostPID"] = json!(true);
    assert!(!update(&policies, &scaled_set, &set, "").is_empty());
    let mut relabelled = old.clone();
    relabelled["spec"]["template"]["metadata"]["labels"]["tier"] = json!("web");
    assert!(!update(&policies, &old, &relabelled, "").is_empty());
    assert!(!create(&policies, &pod_of(&old, false)).is_empty());
}

/// `cluster.auditors`: the Dapr probe of a named auditor (a ServiceAccount,
/// or a member of a named group) may run under the app-id of an app of the
/// namespace, so the live audit's checks 15 to 17 run under a deny guard;
/// anybody else's is still refused by `dapr-annotations`, and an auditor's
/// under an app-id foreign to the namespace too.
#[test]
fn auditors_may_run_dapr_probes_under_the_apps_app_id_and_nobody_else() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("specs/orders.yaml")).unwrap()
        + "cluster:\n  guard: deny\n  auditors:\n    serviceAccounts: [ci/harden-audit]\n    groups: [platform-auditors]\n";
    let model = harden::load::load_spec_text(&text, "specs/orders.yaml").expect("valid");
    let files = render(&model, &Templates::embedded().unwrap()).expect("renders");
    let documents: Vec<Value> = files
        .iter()
        .filter(|f| f.name.ends_with(".yaml"))
        .flat_map(|f| harden::yaml::parse_stream(&f.content).unwrap())
        .collect();
    let guard = policies(&documents);
    let (app, namespace) = (model.name.as_str(), model.namespace.as_str());
    let app_id = model
        .dapr
        .as_ref()
        .expect("orders uses Dapr")
        .app_id
        .clone();
    let ci = json!({"username": "system:serviceaccount:ci:harden-audit", "groups": ["system:serviceaccounts", "system:authenticated"]});
    let member =
        json!({"username": "alice", "groups": ["platform-auditors", "system:authenticated"]});
    let other = json!({"username": "system:serviceaccount:ci:deployer", "groups": ["system:serviceaccounts"]});
    // Every refusal of `policies` for the Dapr probe `user` creates under
    // `app_id`.
    let refusals = |policies: &[Policy], user: &Value, app_id: &str| -> Vec<String> {
        let pod = dapr_probe_pod(app, namespace, app_id, Some("orders-dapr-config"), false);
        let request = Request {
            operation: "CREATE",
            object: &pod,
            old: None,
            user: Some(user),
        };
        policies
            .iter()
            .flat_map(|p| judge(p, &request, "").unwrap_or_default())
            .collect()
    };
    let judged = |user: &Value, app_id: &str| refusals(&guard, user, app_id);
    assert_eq!(judged(&ci, &app_id), Vec::<String>::new());
    assert_eq!(judged(&member, &app_id), Vec::<String>::new());
    for (user, id) in [
        (&other, app_id.as_str()),
        (&ci, "shipping"),
        (&member, "payments"),
    ] {
        let refused = judged(user, id);
        assert!(
            refused.len() == 1 && refused[0].contains("dapr-annotations"),
            "{user} under {id}: {refused:?}"
        );
    }
    // A probe app-id stays open to everybody.
    assert_eq!(
        judged(&other, "harden-probe-0a1b2c3d"),
        Vec::<String>::new()
    );
    // Without auditors the same rule refuses the CI account too.
    let plain = policies(&example("specs/orders.yaml"));
    let refused = refusals(&plain, &ci, &app_id);
    assert!(
        refused.iter().any(|m| m.contains("dapr-annotations")),
        "{refused:?}"
    );
}
