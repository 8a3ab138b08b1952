//! `harden check --live DUMP`: the rendered objects compared with a dump of
//! the live cluster. The dumps are made here, not committed: the example
//! output after a simulated API-server round trip ([`round_trip`]: defaults,
//! `managedFields`, `status`, uids, the ReplicaSets and Pods of each
//! Deployment with the Dapr injector's sidecar, the objects Kubernetes
//! creates in every namespace) is in sync; each tampering is reported with
//! its object, field and impact; hostile dumps are refused or judged
//! without a crash and without echoing a value.

use std::fs;
use std::path::Path;

use serde_json::{Value, json};

use crate::support::harden::{Harden, repo};
use crate::support::harden_in;

/// The objects of every rendered YAML file below `dir` (kustomizations and
/// comment-only files hold none).
fn rendered_objects(dir: &Path) -> Vec<Value> {
    let mut paths = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml")
                && !path.ends_with("kustomization.yaml")
            {
                paths.push(path);
            }
        }
    }
    paths.sort();
    paths
        .iter()
        .flat_map(|path| harden::yaml::parse_stream(&fs::read_to_string(path).unwrap()).unwrap())
        .collect()
}

/// The example workspace's specs and its committed output's objects.
fn workspace() -> (Harden, Vec<Value>) {
    let root = repo().join("examples/workspace");
    let mut case = Harden::new().file("harden.yaml", fs::read(root.join("harden.yaml")).unwrap());
    for entry in fs::read_dir(root.join("specs")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        case = case.file(&format!("specs/{name}"), fs::read(&path).unwrap());
    }
    (case, rendered_objects(&root.join("deploy")))
}

/// Sets `value` at the JSON pointer `at` (its parent must exist).
fn set(object: &mut Value, at: &str, value: Value) {
    let (parent, key) = at.rsplit_once('/').unwrap();
    let key = key.replace("~1", "/").replace("~0", "~");
    match object.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.insert(key, value);
        }
        Some(Value::Array(items)) => items[key.parse::<usize>().unwrap()] = value,
        _ => panic!("no field {parent}"),
    }
}

/// Sets `key: value` where absent, in the mapping at `at` if there is one.
fn default(object: &mut Value, at: &str, key: &str, value: Value) {
    if let Some(map) = object.pointer_mut(at).and_then(Value::as_object_mut) {
        map.entry(key).or_insert(value);
    }
}

/// Drops empty lists everywhere, as Go's `omitempty` does for slices.
fn drop_empty_lists(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !matches!(v, Value::Array(items) if items.is_empty()));
            map.values_mut().for_each(drop_empty_lists);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_empty_lists),
        _ => {}
    }
}

/// A pod template's spec as the API server defaults it (Kubernetes
/// pkg/apis/core/v1/defaults.go: SetDefaults_PodSpec, SetDefaults_Container,
/// SetDefaults_Probe, SetDefaults_HTTPGetAction, SetDefaults_ContainerPort).
fn default_pod_spec(spec: &mut Value) {
    for (key, value) in [
        ("dnsPolicy", json!("ClusterFirst")),
        ("restartPolicy", json!("Always")),
        ("schedulerName", json!("default-scheduler")),
        ("terminationGracePeriodSeconds", json!(30)),
        ("securityContext", json!({})),
    ] {
        default(spec, "", key, value);
    }
    for container in spec["containers"].as_array_mut().unwrap() {
        default(
            container,
            "",
            "terminationMessagePath",
            json!("/dev/termination-log"),
        );
        default(container, "", "terminationMessagePolicy", json!("File"));
        default(container, "", "imagePullPolicy", json!("IfNotPresent"));
        for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
            let at = format!("/{probe}");
            for (key, value) in [
                ("timeoutSeconds", 1),
                ("successThreshold", 1),
                ("failureThreshold", 3),
            ] {
                default(container, &at, key, json!(value));
            }
            default(container, &format!("{at}/httpGet"), "scheme", json!("HTTP"));
        }
        for port in container["ports"].as_array_mut().into_iter().flatten() {
            default(port, "", "protocol", json!("TCP"));
        }
        // Limits without requests: the server copies the limits.
        if let Some(limits) = container.pointer("/resources/limits").cloned() {
            default(container, "/resources", "requests", limits);
        }
        // Quantities are stored canonically: 1024Mi is 1Gi.
        for at in ["/resources/limits/memory", "/resources/requests/memory"] {
            if container.pointer(at) == Some(&json!("1024Mi")) {
                set(container, at, json!("1Gi"));
            }
        }
    }
}

/// `objects` as the API server returns them once applied, with the objects
/// the cluster adds: see the module comment.
fn round_trip(objects: &[Value]) -> Vec<Value> {
    let mut live = Vec::new();
    let mut namespaces = Vec::new();
    for (index, original) in objects.iter().enumerate() {
        let mut object = original.clone();
        drop_empty_lists(&mut object);
        let uid = format!("00000000-0000-4000-8000-{index:012}");
        let kind = object["kind"].as_str().unwrap().to_string();
        let metadata = object["metadata"].as_object_mut().unwrap();
        metadata.insert("uid".into(), json!(uid));
        metadata.insert("resourceVersion".into(), json!(format!("{}", 1000 + index)));
        metadata.insert("generation".into(), json!(1));
        metadata.insert("creationTimestamp".into(), json!("2026-01-01T00:00:00Z"));
        metadata.insert(
            "managedFields".into(),
            json!([{"manager": "kubectl-client-side-apply", "operation": "Update", "apiVersion": "v1", "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {}}}]),
        );
        let annotations = metadata.entry("annotations").or_insert_with(|| json!({}));
        annotations["kubectl.kubernetes.io/last-applied-configuration"] =
            json!(serde_json::to_string(original).unwrap());
        match kind.as_str() {
            "Namespace" => {
                let name = object["metadata"]["name"].clone();
                namespaces.push(name.as_str().unwrap().to_string());
                default(&mut object, "/metadata", "labels", json!({}));
                set(
                    &mut object,
                    "/metadata/labels/kubernetes.io~1metadata.name",
                    name,
                );
                object["spec"] = json!({"finalizers": ["kubernetes"]});
                object["status"] = json!({"phase": "Active"});
            }
            "Deployment" => {
                default(&mut object, "/spec", "revisionHistoryLimit", json!(10));
                default(&mut object, "/spec", "progressDeadlineSeconds", json!(600));
                default(
                    &mut object,
                    "/spec",
                    "strategy",
                    json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}),
                );
                default(
                    &mut object,
                    "/spec/template/metadata",
                    "creationTimestamp",
                    Value::Null,
                );
                default_pod_spec(&mut object["spec"]["template"]["spec"]);
                object["status"] =
                    json!({"replicas": 2, "readyReplicas": 2, "observedGeneration": 1});
                live.extend(owned_pods(&object, &uid));
            }
            "Service" => {
                default(&mut object, "/spec", "clusterIP", json!("10.96.0.10"));
                default(&mut object, "/spec", "clusterIPs", json!(["10.96.0.10"]));
                default(&mut object, "/spec", "sessionAffinity", json!("None"));
                default(&mut object, "/spec", "ipFamilies", json!(["IPv4"]));
                default(&mut object, "/spec", "ipFamilyPolicy", json!("SingleStack"));
                default(
                    &mut object,
                    "/spec",
                    "internalTrafficPolicy",
                    json!("Cluster"),
                );
                object["status"] = json!({"loadBalancer": {}});
            }
            "NetworkPolicy" => {
                for rule in ["ingress", "egress"] {
                    for rule in object["spec"][rule].as_array_mut().into_iter().flatten() {
                        for port in rule["ports"].as_array_mut().into_iter().flatten() {
                            default(port, "", "protocol", json!("TCP"));
                        }
                    }
                }
            }
            "PodDisruptionBudget" => {
                object["status"] =
                    json!({"currentHealthy": 2, "desiredHealthy": 1, "expectedPods": 2});
            }
            _ => {}
        }
        live.push(object);
    }
    for namespace in namespaces {
        live.push(json!({"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": "default", "namespace": namespace, "uid": format!("sa-{namespace}")}}));
        live.push(json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "kube-root-ca.crt", "namespace": namespace},
            "data": {"ca.crt": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"}}));
    }
    // The Dapr API token Secret the billing spec names, created out of band.
    live.push(secret("billing", "billing-dapr-token", "c2VjcmV0LXRva2Vu"));
    live
}

/// The ReplicaSet of a live Deployment and one of its Pods, with the Dapr
/// injector's sidecar and volume when the template enables Dapr.
fn owned_pods(deployment: &Value, uid: &str) -> Vec<Value> {
    let name = deployment["metadata"]["name"].as_str().unwrap();
    let namespace = &deployment["metadata"]["namespace"];
    let template = &deployment["spec"]["template"];
    let rs_uid = format!("rs-{uid}");
    let owner = |kind: &str, name: &str, uid: &str| json!([{"apiVersion": "apps/v1", "kind": kind, "name": name, "uid": uid, "controller": true, "blockOwnerDeletion": true}]);
    let replica_set = json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": format!("{name}-7d4b9"), "namespace": namespace, "uid": rs_uid,
            "ownerReferences": owner("Deployment", name, uid)},
        "spec": {"replicas": 2, "template": template.clone()}});
    let mut spec = template["spec"].clone();
    if template.pointer("/metadata/annotations/dapr.io~1enabled") == Some(&json!("true")) {
        spec["containers"].as_array_mut().unwrap().push(json!({"name": "daprd",
            "image": "ghcr.io/dapr/daprd:1.16.0", "args": ["--mode", "kubernetes"],
            "volumeMounts": [{"name": "dapr-identity-token", "mountPath": "/var/run/secrets/dapr.io/sentrytoken"}]}));
        spec["volumes"].as_array_mut().unwrap().push(json!({"name": "dapr-identity-token",
            "projected": {"sources": [{"serviceAccountToken": {"audience": "spiffe://cluster.local/ns/x/dapr-sentry", "path": "token"}}]}}));
    }
    spec["tolerations"] = json!([{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}]);
    spec["nodeName"] = json!("node-1");
    let pod = json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": format!("{name}-7d4b9-x2x9q"), "namespace": namespace,
            "labels": template["metadata"]["labels"].clone(),
            "ownerReferences": owner("ReplicaSet", &format!("{name}-7d4b9"), &rs_uid)},
        "spec": spec, "status": {"phase": "Running"}});
    vec![replica_set, pod]
}

fn secret(namespace: &str, name: &str, data: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": {"name": name, "namespace": namespace}, "data": {"token": data}})
}

/// `objects` as `kubectl get -o yaml` prints them: one `List`.
fn list(objects: &[Value]) -> String {
    let list = json!({"apiVersion": "v1", "kind": "List", "items": objects,
        "metadata": {"resourceVersion": ""}});
    let ordered = harden::yaml::write::Ordered::of(&list).unwrap();
    harden::yaml::write::write(&ordered, &|_| None)
}

/// The live object of `kind` and `name`.
fn find<'a>(objects: &'a mut [Value], kind: &str, name: &str) -> &'a mut Value {
    objects
        .iter_mut()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

#[test]
fn the_example_output_after_a_round_trip_is_in_sync() {
    let (case, rendered) = workspace();
    let live = round_trip(&rendered);
    case.file("live.yaml", list(&live))
        .args(["check", "--live", "live.yaml"])
        .stdout(
            "check --live: in sync with live.yaml: 68 rendered objects compared; \
             4 other live objects in the namespaces do not widen security\n",
        )
        .run()
        .then()
        // One spec of the workspace: its namespace's objects (its
        // neighbour's too); standard input, a multi-document stream.
        .args(["check", "--live", "live.yaml", "-q", "specs/task-api.yaml"])
        .stdout("")
        .run();
    let stream: String = live
        .iter()
        .map(|o| format!("---\n{}", list(std::slice::from_ref(o))))
        .collect();
    let root = repo().join("examples/workspace");
    harden_in(&root)
        .args(["check", "--live", "-", "--format", "json", "specs"])
        .write_stdin(stream)
        .assert()
        .code(0)
        .stdout(predicates::str::contains("\"status\": \"in-sync\""));
}

/// The example specs of the repository (PCI DSS, Cilium, External Secrets,
/// RBAC) rendered, round-tripped: in sync; a widened Role is drift.
#[test]
fn the_repository_specs_after_a_round_trip_are_in_sync_and_a_widened_role_is_not() {
    let mut case = Harden::new();
    for name in ["checkout", "hello", "orders", "payments", "task-api"] {
        case = case.example(name);
    }
    let mut ran = case.args(["render", "-q", "specs"]).run();
    let mut live = round_trip(&rendered_objects(&ran.path("deploy")));
    ran = ran
        .then()
        .file("live.yaml", list(&live))
        .args(["check", "--live", "live.yaml", "specs"])
        .stdout_contains("check --live: in sync with live.yaml: 83 rendered objects compared")
        .run();
    let role = find(&mut live, "Role", "payments-role");
    role["rules"][0]["resources"] = json!(["configmaps", "secrets"]);
    role["rules"][0]["resourceNames"] = json!([]);
    ran.then()
        .file("live.yaml", list(&live))
        .args(["check", "--live", "live.yaml", "specs"])
        .status(1)
        .stdout_contains("changed  Role/payments-prod/payments-role (live.yaml:")
        .stdout_contains("  rules[0].resources[1]: rendered (absent), live \"secrets\"\n")
        .stdout_contains(
            "  rules[0].resourceNames[0]: rendered \"payments-routing\", live (absent)\n",
        )
        .stdout_contains(
            "  impact: widened   rbac: Role payments-role grants get secrets in payments-prod\n",
        )
        .run();
}

/// One tampering of the live objects and what the report must say.
struct Tampering {
    what: &'static str,
    tamper: fn(&mut Vec<Value>),
    expect: &'static [&'static str],
}

const TAMPERINGS: &[Tampering] = &[
    Tampering {
        what: "image changed",
        tamper: |live| {
            let d = find(live, "Deployment", "task-api");
            set(
                d,
                "/spec/template/spec/containers/0/image",
                json!("evil.example/miner:latest"),
            );
        },
        expect: &[
            "changed  Deployment/tasks/task-api (live.yaml:",
            "  spec.template.spec.containers[0].image: rendered \"ghcr.io/example/task-api@sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945\", live \"evil.example/miner:latest\"\n",
            "  impact: changed   image: Deployment tasks/task-api container task-api: ghcr.io/example/task-api@sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945 -> evil.example/miner:latest\n",
            "  fix: kubectl apply -k deploy/task-api\n",
        ],
    },
    Tampering {
        what: "security context weakened",
        tamper: |live| {
            let d = find(live, "Deployment", "worker");
            set(
                d,
                "/spec/template/spec/containers/0/securityContext/allowPrivilegeEscalation",
                json!(true),
            );
            set(d, "/spec/template/spec/hostPID", json!(true));
        },
        expect: &[
            "changed  Deployment/tasks/worker (live.yaml:",
            "  spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation: rendered false, live true\n",
            "  impact: widened   pod security context: Deployment tasks/worker container worker may escalate privileges\n",
            // A field harden does not render, found by its impact.
            "  impact: widened   pod security context: Deployment tasks/worker sets hostPID\n",
        ],
    },
    Tampering {
        what: "a NetworkPolicy rule widened",
        tamper: |live| {
            let p = find(live, "NetworkPolicy", "task-api-ingress");
            p["spec"]["ingress"][0]
                .as_object_mut()
                .unwrap()
                .remove("from");
        },
        expect: &[
            "changed  NetworkPolicy/tasks/task-api-ingress (live.yaml:",
            "  spec.ingress[0].from: rendered [{\"namespaceSelector\":",
            ", live (absent)\n",
            "  impact: widened   ingress: pods app.kubernetes.io/name=task-api in tasks may be reached by anything on TCP/8000 (policy task-api-ingress)\n",
        ],
    },
    Tampering {
        what: "a NetworkPolicy deleted",
        tamper: |live| {
            live.retain(|o| {
                !(o["kind"] == "NetworkPolicy"
                    && o["metadata"]["name"] == "default-deny-all"
                    && o["metadata"]["namespace"] == "tasks")
            })
        },
        expect: &[
            "missing  NetworkPolicy/tasks/default-deny-all (rendered from namespace tasks)\n",
            "  impact: widened   egress: no longer isolated: pods * in tasks (egress only as a policy allows)\n",
            "  impact: widened   ingress: no longer isolated: pods * in tasks (ingress only as a policy allows)\n",
            "  fix: kubectl apply -k deploy/namespaces/tasks\n",
        ],
    },
    Tampering {
        what: "an extra allow-all NetworkPolicy",
        tamper: |live| {
            live.push(
                json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "allow-all", "namespace": "tasks"},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{}]}}),
            )
        },
        expect: &[
            "extra    NetworkPolicy/tasks/allow-all (live.yaml:",
            "  impact: widened   ingress: pods * in tasks may be reached by anything on all ports (policy allow-all)\n",
            "  fix: kubectl delete --namespace tasks NetworkPolicy.networking.k8s.io allow-all\n",
        ],
    },
    Tampering {
        what: "names with terminal escapes",
        tamper: |live| {
            live.push(json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "x\u{1b}[2J", "namespace": "tasks", "labels": {"a\u{1b}]0;t\u{7}": "b"}},
            "spec": {"podSelector": {"matchLabels": {"k\u{1b}[31m": "v"}}, "policyTypes": ["Egress"], "egress": [{}]}}))
        },
        expect: &[
            "extra    NetworkPolicy/tasks/x\\u{1b}[2J (live.yaml:",
            "  impact: widened   egress: pods k\\u{1b}[31m=v in tasks may reach anything on all ports (policy x\\u{1b}[2J)\n",
            "  fix: kubectl delete --namespace tasks NetworkPolicy.networking.k8s.io 'x\\u{1b}[2J'\n",
        ],
    },
    Tampering {
        what: "a RoleBinding to cluster-admin",
        tamper: |live| {
            live.push(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": "debug", "namespace": "billing"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
            "subjects": [{"kind": "ServiceAccount", "name": "billing-sa", "namespace": "billing"}]}))
        },
        expect: &[
            "extra    RoleBinding/billing/debug (live.yaml:",
            "  impact: widened   rbac: RoleBinding debug binds ClusterRole cluster-admin to ServiceAccount billing/billing-sa\n",
        ],
    },
    Tampering {
        what: "a ClusterRoleBinding into a spec's namespace, and an extra Role",
        tamper: |live| {
            live.push(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                "metadata": {"name": "edge-admin"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "admin"},
                "subjects": [{"kind": "ServiceAccount", "name": "gateway-sa", "namespace": "edge"}]}));
            live.push(
                json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                "metadata": {"name": "reader", "namespace": "edge"},
                "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["list"]}]}),
            );
        },
        expect: &[
            "extra    ClusterRoleBinding/edge-admin (live.yaml:",
            "  impact: widened   rbac: ClusterRoleBinding edge-admin binds ClusterRole admin to ServiceAccount edge/gateway-sa\n",
            "extra    Role/edge/reader (live.yaml:",
            "  impact: widened   rbac: Role reader grants list secrets in edge\n",
        ],
    },
    Tampering {
        what: "the ServiceAccount token automount on",
        tamper: |live| {
            set(
                find(live, "ServiceAccount", "gateway-sa"),
                "/automountServiceAccountToken",
                json!(true),
            )
        },
        expect: &[
            "changed  ServiceAccount/edge/gateway-sa (live.yaml:",
            "  automountServiceAccountToken: rendered false, live true\n",
            "  impact: widened   service account: ServiceAccount edge/gateway-sa mounts its token automatically\n",
        ],
    },
    Tampering {
        what: "a Dapr annotation removed",
        tamper: |live| {
            let d = find(live, "Deployment", "billing");
            d["spec"]["template"]["metadata"]["annotations"]
                .as_object_mut()
                .unwrap()
                .remove("dapr.io/enable-api-logging");
        },
        expect: &[
            "changed  Deployment/billing/billing (live.yaml:",
            "  spec.template.metadata.annotations[\"dapr.io/enable-api-logging\"]: rendered \"true\", live (absent)\n",
            "  impact: widened   dapr logging: Deployment billing/billing does not log Dapr API calls\n",
        ],
    },
    Tampering {
        what: "a namespace's Pod Security level lowered",
        tamper: |live| {
            set(
                find(live, "Namespace", "edge"),
                "/metadata/labels/pod-security.kubernetes.io~1enforce",
                json!("privileged"),
            )
        },
        expect: &[
            "changed  Namespace/edge (live.yaml:",
            "  metadata.labels[\"pod-security.kubernetes.io/enforce\"]: rendered \"restricted\", live \"privileged\"\n",
            "  impact: widened   pod security level: namespace edge enforce: restricted -> privileged\n",
            "  fix: kubectl apply -k deploy/namespaces/edge\n",
        ],
    },
    Tampering {
        what: "a workload with another ServiceAccount, and a bare Pod",
        tamper: |live| {
            let mut shadow = find(live, "Deployment", "worker").clone();
            set(&mut shadow, "/metadata/name", json!("shadow"));
            set(&mut shadow, "/metadata/uid", json!("shadow-uid"));
            set(
                &mut shadow,
                "/spec/template/spec/serviceAccountName",
                json!("default"),
            );
            let mut pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "debug", "namespace": "tasks"}});
            pod["spec"] = shadow["spec"]["template"]["spec"].clone();
            live.push(shadow);
            live.push(pod);
        },
        expect: &[
            "extra    Deployment/tasks/shadow (live.yaml:",
            "  a workload the specs do not render, running as ServiceAccount default\n",
            "  fix: kubectl delete --namespace tasks Deployment.apps shadow\n",
            "extra    Pod/tasks/debug (live.yaml:",
            "  a bare Pod the specs do not render, running as ServiceAccount default\n",
        ],
    },
    Tampering {
        what: "a Service opened on a node port",
        tamper: |live| {
            set(
                find(live, "Service", "ledger"),
                "/spec/type",
                json!("NodePort"),
            )
        },
        expect: &[
            "changed  Service/billing/ledger (live.yaml:",
            "  spec.type: rendered \"ClusterIP\", live \"NodePort\"\n",
            "  impact: widened   exposure: Service billing/ledger is reachable from outside the cluster (type NodePort)\n",
        ],
    },
    Tampering {
        what: "a Dapr component usable by every app-id, an access policy widened",
        tamper: |live| {
            let c = find(live, "Configuration", "billing-dapr-config");
            set(c, "/spec/accessControl/defaultAction", json!("allow"));
        },
        expect: &[
            "changed  Configuration/billing/billing-dapr-config (live.yaml:",
            "  spec.accessControl.defaultAction: rendered \"deny\", live \"allow\"\n",
            "  impact: widened   dapr invocation: configuration billing/billing-dapr-config lets every app-id invoke\n",
        ],
    },
    Tampering {
        what: "a Secret with data that must not be echoed",
        tamper: |live| {
            let mut leak = secret("tasks", "leak", "aHVudGVyMi1wYXNzd29yZA==");
            leak["stringData"] = json!({"password": "hunter2-password"});
            live.push(leak);
            // The token Secret the billing spec references, tampered: its
            // value is the cluster's business, never shown.
            set(
                find(live, "Secret", "billing-dapr-token"),
                "/data/token",
                json!("b3RoZXItdG9rZW4="),
            );
        },
        expect: &[
            "extra    Secret/tasks/leak (live.yaml:",
            "  a Secret no rendered object references (2 keys; values not shown)\n",
            "  fix: kubectl delete --namespace tasks Secret leak\n",
        ],
    },
];

#[test]
fn every_tampering_is_reported_with_its_object_field_and_impact() {
    let (_, rendered) = workspace();
    let clean = round_trip(&rendered);
    for tampering in TAMPERINGS {
        let (case, _) = workspace();
        let mut live = clean.clone();
        (tampering.tamper)(&mut live);
        let mut case = case
            .file("live.yaml", list(&live))
            .args(["check", "--live", "live.yaml"])
            .status(1)
            .stdout_contains("\nsecurity impact:\n")
            .stdout_contains("check --live: drift against live.yaml: ");
        for part in tampering.expect {
            case = case.stdout_contains(part);
        }
        let ran = case.run();
        assert!(
            !ran.stdout.contains('\u{1b}'),
            "{}: an escape printed",
            tampering.what
        );
        for secret in [
            "aHVudGVyMi1wYXNzd29yZA",
            "hunter2",
            "b3RoZXItdG9rZW4",
            "c2VjcmV0LXRva2Vu",
            "MIIB",
        ] {
            assert!(
                !ran.stdout.contains(secret),
                "{}: a value echoed:\n{}",
                tampering.what,
                ran.stdout
            );
        }
        let json = ran
            .then()
            .args(["check", "--live", "live.yaml", "--format", "json"])
            .status(1)
            .stdout_contains("\"status\": \"drift\"")
            .run();
        for secret in [
            "aHVudGVyMi1wYXNzd29yZA",
            "hunter2",
            "b3RoZXItdG9rZW4",
            "c2VjcmV0LXRva2Vu",
        ] {
            assert!(
                !json.stdout.contains(secret),
                "{}: a value echoed:\n{}",
                tampering.what,
                json.stdout
            );
        }
    }
}

/// Hostile dumps: refused with the line and the fix (exit 2), or judged;
/// never a crash, never a value echoed.
#[test]
fn hostile_dumps_are_refused_or_judged_without_echoing_values() {
    let (_, rendered) = workspace();
    let clean = round_trip(&rendered);
    let refused = |dump: String, parts: &[&str]| {
        let (case, _) = workspace();
        let mut case = case
            .file("live.yaml", dump)
            .args(["check", "--live", "live.yaml"])
            .status(2)
            .stdout("");
        for part in parts {
            case = case.stderr_contains(part);
        }
        let ran = case.run();
        for secret in ["c3VwZXItc2VjcmV0", "super-secret"] {
            assert!(!ran.stderr.contains(secret), "{}", ran.stderr);
        }
    };
    // Deeply nested, in block and in flow style.
    let mut deep = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep, namespace: tasks}\ndata:\n",
    );
    for depth in 0..2000 {
        deep.push_str(&format!("{}k:\n", "  ".repeat(depth + 1)));
    }
    refused(
        deep,
        &["live.yaml:", "help: make the dump with `kubectl get"],
    );
    refused(
        format!(
            "kind: ConfigMap\nmetadata: {{name: flow, namespace: tasks}}\ndata: {}{}\n",
            "[".repeat(100_000),
            "]".repeat(100_000)
        ),
        &["live.yaml:"],
    );
    // Alias expansion (a billion laughs).
    let mut laughs = String::from(
        "kind: ConfigMap\nmetadata: {name: lol, namespace: tasks}\nl0: &l0 [super-secret, super-secret]\n",
    );
    for i in 1..40 {
        laughs.push_str(&format!(
            "l{i}: &l{i} [*l{}, *l{}, *l{}, *l{}]\n",
            i - 1,
            i - 1,
            i - 1,
            i - 1
        ));
    }
    refused(laughs, &["live.yaml:"]);
    // Not Kubernetes objects; a broken Secret; an object without a name.
    refused(
        "just a line\n".into(),
        &["live.yaml:1: not a Kubernetes object"],
    );
    refused(
        "- a\n- b\n".into(),
        &["live.yaml:1: not a Kubernetes object"],
    );
    refused(
        "kind: Secret\nmetadata: {name: s, namespace: tasks}\ndata: {token: \"c3VwZXItc2VjcmV0\n"
            .into(),
        &["live.yaml:", "invalid YAML"],
    );
    refused(
        "kind: Secret\nmetadata: {namespace: tasks}\ndata: {token: c3VwZXItc2VjcmV0}\n".into(),
        &["live.yaml:1: an object without a kind or a metadata.name"],
    );
    // The same object twice with other contents; identical twice is fine.
    let mut twice = clean.clone();
    twice.push(secret("billing", "billing-dapr-token", "c3VwZXItc2VjcmV0"));
    refused(
        list(&twice),
        &["Secret/billing/billing-dapr-token is also at line"],
    );
    let mut same_twice = clean.clone();
    same_twice.push(clean[0].clone());
    // Huge (thousands of objects of unknown kinds and Secrets with data in
    // the namespaces; objects of other namespaces), duplicated: in sync.
    for i in 0..3000 {
        same_twice.push(json!({"apiVersion": "example.com/v1", "kind": "Frobnicator",
            "metadata": {"name": format!("f{i}"), "namespace": "tasks"}, "spec": {"blob": "x".repeat(512)}}));
        same_twice.push(secret("elsewhere", &format!("s{i}"), "c3VwZXItc2VjcmV0"));
    }
    same_twice.push(secret("billing", "billing-dapr-token", "c2VjcmV0LXRva2Vu"));
    let (case, _) = workspace();
    let ran = case
        .file("live.yaml", list(&same_twice))
        .args(["check", "--live", "live.yaml"])
        .stdout_contains("check --live: in sync with live.yaml: 68 rendered objects compared; 3004 other live objects")
        .run();
    assert!(!ran.stdout.contains("c3VwZXItc2VjcmV0"));
    // A missing file, and --out with --live.
    let (case, _) = workspace();
    case.args(["check", "--live", "none.yaml"])
        .status(2)
        .stderr_contains("error: cannot read the live dump none.yaml: ")
        .run();
    let (case, _) = workspace();
    case.args([
        "check",
        "--live",
        "x.yaml",
        "--out",
        "d",
        "specs/task-api.yaml",
    ])
    .status(2)
    .stderr_contains("cannot be used with")
    .run();
}
