//! The comparison on small objects: in sync despite server defaults, each
//! kind of drift, and what is not judged.

use serde_json::{Value, json};

use super::*;

fn rendered(values: &[Value]) -> Vec<Rendered> {
    values
        .iter()
        .map(|value| Rendered {
            key: Key::of(value).unwrap(),
            source: "specs/a.yaml".into(),
            dir: "deploy/a".into(),
            value: value.clone(),
        })
        .collect()
}

fn dump(values: &[Value]) -> Dump {
    Dump {
        name: "live.yaml".into(),
        objects: values
            .iter()
            .enumerate()
            .map(|(line, value)| LiveObject {
                key: Key::of(value).unwrap(),
                line: line + 1,
                value: value.clone(),
            })
            .collect(),
    }
}

fn account() -> Value {
    json!({"apiVersion": "v1", "kind": "ServiceAccount",
        "metadata": {"name": "a-sa", "namespace": "n"}, "automountServiceAccountToken": false})
}

#[test]
fn server_fields_are_not_drift_and_changes_are() {
    let mut live = account();
    live["metadata"]["uid"] = json!("1");
    live["metadata"]["managedFields"] = json!([{"manager": "kubectl"}]);
    let defaults = [
        live.clone(),
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": "n"}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kube-root-ca.crt", "namespace": "n"}}),
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "elsewhere", "namespace": "m"}}),
    ];
    let report = compare(&rendered(&[account()]), &dump(&defaults));
    assert!(report.in_sync(), "{report:?}");
    assert_eq!(report.not_widening, 1);
    live["automountServiceAccountToken"] = json!(true);
    let report = compare(&rendered(&[account()]), &dump(&[live]));
    let text = text(&report, false);
    assert!(
        text.contains("changed  ServiceAccount/n/a-sa (live.yaml:1; rendered from specs/a.yaml)\n  automountServiceAccountToken: rendered false, live true\n  impact: widened   service account: ServiceAccount n/a-sa mounts its token automatically\n  fix: kubectl apply -k deploy/a\n"),
        "{text}"
    );
}

#[test]
fn pods_of_a_controller_in_the_dump_are_judged_through_it() {
    let deployment = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "a", "namespace": "n", "uid": "d1"},
        "spec": {"template": {"spec": {"serviceAccountName": "a-sa", "automountServiceAccountToken": false, "containers": []}}}});
    let pod = |uid: &str| {
        json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "a-1", "namespace": "n",
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "a", "uid": uid, "controller": true}]},
        "spec": {"serviceAccountName": "a-sa", "automountServiceAccountToken": false, "containers": [{"name": "daprd"}]}})
    };
    let deployment_with_uid = || deployment.clone();
    let objects = rendered(std::slice::from_ref(&deployment));
    assert!(compare(&objects, &dump(&[deployment.clone(), pod("d1")])).in_sync());
    // A reference to another object of the same name does not hide a pod.
    let report = compare(&objects, &dump(&[deployment.clone(), pod("forged")]));
    assert_eq!(report.objects.len(), 1, "{report:?}");
    assert_eq!(report.objects[0].state, State::Extra);
    assert_eq!(
        report.objects[0].why,
        [
            "a bare Pod the specs do not render, running as ServiceAccount a-sa",
            "its controller Deployment/a (uid forged) is not in the dump (add its kind to the `kubectl get`)"
        ]
    );
    // An owner reference without a uid does not match an object with one.
    let mut unnamed = pod("d1");
    unnamed["metadata"]["ownerReferences"][0]
        .as_object_mut()
        .unwrap()
        .remove("uid");
    assert!(!compare(&objects, &dump(&[deployment_with_uid(), unnamed])).in_sync());
}

#[test]
fn missing_objects_and_referenced_secrets() {
    let external = json!({"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
        "metadata": {"name": "e", "namespace": "n"}, "spec": {"target": {"name": "db"}}});
    let secret = |name: &str| {
        json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": name, "namespace": "n"}, "data": {"password": "aHVudGVyMg=="}})
    };
    let report = compare(
        &rendered(&[account(), external.clone()]),
        &dump(&[external, secret("db"), secret("stolen")]),
    );
    let text = text(&report, false);
    assert!(
        text.contains("missing  ServiceAccount/n/a-sa (rendered from specs/a.yaml)"),
        "{text}"
    );
    assert!(text.contains("extra    Secret/n/stolen (live.yaml:3)\n  a Secret no rendered object references (1 keys; values not shown)\n"), "{text}");
    assert!(!text.contains("Secret/n/db"), "{text}");
    assert!(!text.contains("aHVudGVyMg"), "{text}");
    assert_eq!(report.not_in_dump, Vec::<String>::new());
    let nothing = compare(&rendered(&[account()]), &dump(&[]));
    assert_eq!(nothing.not_in_dump, ["n"]);
    assert_eq!(nothing.kinds_not_in_dump, ["serviceaccount"]);
    assert!(super::text(&nothing, false).contains("note: live.yaml holds no object of kind serviceaccount: add serviceaccount to the kubectl get"));
    assert_eq!(
        report.kinds_not_in_dump,
        ["serviceaccount"],
        "no ServiceAccount at all in that dump"
    );
    assert!(super::text(&nothing, false).contains("note: live.yaml holds no object of namespace n: dump it (kubectl get --namespace n -o yaml ...)"));
    assert!(text.ends_with("check --live: drift against live.yaml: 1 missing, 0 changed, 1 extra (2 rendered objects compared; 1 other live object in the namespaces does not widen security)\n"), "{text}");
}
