//! Many specs compiled as one system: the example workspace, every
//! one-sided flow, `app:` references, the rendered policies judged by the
//! NetworkPolicy evaluator, `harden graph`, and a thousand generated specs.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use harden::netpol::{Cluster, Endpoint, Labels, Pod, Protocol};
use harden::platform::{dapr, names};
use harden::system::{self, End, FlowKind, Severity};
use tempfile::TempDir;

fn harden() -> Command {
    Command::cargo_bin("harden").expect("binary built")
}

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/workspace")
}

/// A copy of the example's specs in a temp dir, under `specs/`.
fn example_copy() -> TempDir {
    let dir = TempDir::new().unwrap();
    fs::create_dir(dir.path().join("specs")).unwrap();
    for file in crate::support::yaml_files(&example().join("specs")) {
        fs::copy(
            &file,
            dir.path().join("specs").join(file.file_name().unwrap()),
        )
        .unwrap();
    }
    dir
}

fn edit(dir: &Path, spec: &str, from: &str, to: &str) {
    let path = dir.join("specs").join(format!("{spec}.yaml"));
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{spec}.yaml has no {from:?}");
    fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

/// Runs `harden validate specs` in `dir`; returns (exit code, stderr).
fn validate(dir: &Path) -> (i32, String) {
    let output = harden()
        .current_dir(dir)
        .args(["validate", "specs"])
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn the_example_workspace_compiles_without_warnings() {
    let system = system::compile(&crate::support::yaml_files(&example().join("specs")))
        .expect("valid system");
    assert_eq!(system.services.len(), 6);
    let namespaces: std::collections::BTreeSet<&str> =
        system.services.iter().map(|s| s.namespace()).collect();
    assert_eq!(namespaces.len(), 3);
    assert!(
        system.problems.is_empty(),
        "warnings: {:?}",
        system.problems
    );
}

/// Each flow between two services of the example: the text that declares
/// it in the caller and the text that admits it in the callee.
const FLOWS: [(&str, &str, &str, &str); 5] = [
    (
        "gateway",
        "  - app: task-api\n",
        "task-api",
        "ingress:\n  - app: gateway\n",
    ),
    (
        "task-api",
        "egress:\n  - app: worker\n",
        "worker",
        "ingress:\n  - app: task-api\n",
    ),
    (
        "worker",
        "egress:\n  - app: notifier\n",
        "notifier",
        "ingress:\n  - app: worker\n",
    ),
    (
        "billing",
        "egress:\n  - app: ledger\n",
        "ledger",
        "ingress:\n  - app: billing\n",
    ),
    (
        "task-api",
        "  invokes:\n    - appId: billing\n      namespace: billing\n",
        "billing",
        "  invokedBy:\n    - appId: task-api\n      namespace: tasks\n",
    ),
];

#[test]
fn the_table_of_flows_covers_every_flow_of_the_example() {
    let system = system::compile(&crate::support::yaml_files(&example().join("specs"))).unwrap();
    let mut between: Vec<(String, String)> = system
        .flows
        .iter()
        .filter_map(|f| match (&f.from, &f.to) {
            (End::Service { index: a }, End::Service { index: b }) => Some((
                system.services[*a].name().to_string(),
                system.services[*b].name().to_string(),
            )),
            _ => None,
        })
        .collect();
    between.sort();
    let mut table: Vec<(String, String)> = FLOWS
        .iter()
        .map(|(a, _, b, _)| (a.to_string(), b.to_string()))
        .collect();
    table.sort();
    assert_eq!(between, table);
}

#[test]
fn removing_either_side_of_any_flow_is_an_input_error_naming_both_files() {
    for (caller, call, callee, admission) in FLOWS {
        for (side, spec, text) in [("caller", caller, call), ("callee", callee, admission)] {
            let dir = example_copy();
            edit(dir.path(), spec, text, "");
            let (code, stderr) = validate(dir.path());
            assert_eq!(
                code, 2,
                "{caller} -> {callee} without its {side} side: {stderr}"
            );
            for file in [caller, callee] {
                assert!(
                    stderr.contains(&format!("specs/{file}.yaml")),
                    "{caller} -> {callee} without its {side} side must name specs/{file}.yaml: {stderr}"
                );
            }
            let other = if side == "caller" { caller } else { callee };
            assert!(
                stderr.contains(&format!("help: add to specs/{other}.yaml")),
                "the fix adds to the other end, {other}: {stderr}"
            );
        }
    }
}

#[test]
fn the_fix_names_the_exact_line_to_add() {
    let dir = example_copy();
    edit(dir.path(), "worker", "ingress:\n  - app: task-api\n", "");
    let (_, stderr) = validate(dir.path());
    assert!(
        stderr.contains("help: add to specs/worker.yaml ingress: - app: task-api"),
        "{stderr}"
    );
    assert!(stderr.contains("specs/task-api.yaml:31:"), "{stderr}");
}

#[test]
fn duplicate_app_names_are_an_error_naming_both_files() {
    let dir = example_copy();
    fs::copy(
        dir.path().join("specs/worker.yaml"),
        dir.path().join("specs/worker-copy.yaml"),
    )
    .unwrap();
    let (code, stderr) = validate(dir.path());
    assert_eq!(code, 2);
    assert!(
        stderr.contains("error: specs/worker.yaml:")
            && stderr.contains("\"worker\" is also the app name of specs/worker-copy.yaml"),
        "{stderr}"
    );
}

#[test]
fn a_call_on_a_port_the_callee_does_not_listen_on_is_an_error() {
    let dir = example_copy();
    edit(
        dir.path(),
        "gateway",
        "  - app: task-api\n",
        "  - app: task-api\n    ports: [{port: 8001}]\n",
    );
    let (code, stderr) = validate(dir.path());
    assert_eq!(code, 2);
    assert!(
        stderr.contains("gateway reaches task-api (specs/task-api.yaml) on port 8001, but task-api listens on 8000/TCP only"),
        "{stderr}"
    );
}

#[test]
fn an_app_reference_resolves_to_the_callees_labels_namespace_and_port() {
    let system = system::compile(&crate::support::yaml_files(&example().join("specs"))).unwrap();
    let gateway = system.service("gateway").unwrap();
    let rule = &gateway.spec.egress[0];
    assert_eq!(rule.app, None);
    assert_eq!(rule.name.as_deref(), Some("task-api"));
    assert_eq!(rule.namespace.as_deref(), Some("tasks"));
    assert_eq!(
        rule.pod_labels
            .get(names::APP_NAME_LABEL)
            .map(String::as_str),
        Some("task-api")
    );
    assert_eq!(rule.ports[0].port, Some(8000));
    let flow = &gateway.model.network.egress[0];
    assert_eq!(flow.peer.namespace.as_deref(), Some("tasks"));
    assert_eq!(flow.ports[0].port, 8000);
    // The callee's side, from the caller's spec.
    let task_api = system.service("task-api").unwrap();
    let admission = &task_api.spec.ingress[0];
    assert_eq!(admission.namespace.as_deref(), Some("edge"));
    assert_eq!(
        admission
            .pod_labels
            .get(names::APP_NAME_LABEL)
            .map(String::as_str),
        Some("gateway")
    );
}

#[test]
fn an_unknown_app_reference_lists_the_known_apps() {
    let dir = example_copy();
    edit(
        dir.path(),
        "gateway",
        "  - app: task-api\n",
        "  - app: taskapi\n",
    );
    let (code, stderr) = validate(dir.path());
    assert_eq!(code, 2);
    assert!(stderr.contains("specs/gateway.yaml:21:"), "{stderr}");
    assert!(
        stderr.contains("did you mean \"task-api\"? known apps (6): billing, gateway, ledger, notifier, task-api, worker"),
        "{stderr}"
    );
}

#[test]
fn app_together_with_pod_labels_is_an_error() {
    let dir = example_copy();
    edit(
        dir.path(),
        "gateway",
        "  - app: task-api\n",
        "  - app: task-api\n    namespace: tasks\n",
    );
    let (code, stderr) = validate(dir.path());
    assert_eq!(code, 2);
    assert!(
        stderr.contains("sets app together with namespace"),
        "{stderr}"
    );
}

/// In a workspace with a harden.yaml, one spec is judged with its
/// workspace; a spec naming another service with no workspace file to find
/// it in asks for the directory holding both.
#[test]
fn a_single_spec_with_an_app_reference_is_judged_with_its_workspace_or_asks_for_it() {
    let output = harden()
        .current_dir(example())
        .args(["validate", "specs/gateway.yaml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        "specs/gateway.yaml: valid\n"
    );
    let alone = TempDir::new().unwrap();
    fs::copy(
        example().join("specs/gateway.yaml"),
        alone.path().join("gateway.yaml"),
    )
    .unwrap();
    let output = harden()
        .current_dir(alone.path())
        .args(["validate", "gateway.yaml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("egress[0].app: \"task-api\" names another service; validate or render the workspace (the directory holding both specs)"),
        "{stderr}"
    );
}

#[test]
fn namespaces_shared_by_specs_agree_on_pod_security() {
    let dir = example_copy();
    edit(
        dir.path(),
        "ledger",
        "podSecurityVersion: v1.33",
        "podSecurityVersion: v1.32",
    );
    let (code, stderr) = validate(dir.path());
    assert_eq!(code, 2);
    assert!(
        stderr.contains(
            "pins namespace billing to Pod Security v1.32, but billing (specs/billing.yaml:"
        ),
        "{stderr}"
    );
}

#[test]
fn an_egress_into_the_workspace_that_selects_no_spec_is_an_error() {
    let dir = example_copy();
    edit(
        dir.path(),
        "gateway",
        "  - app: task-api\n",
        "  - name: tasks\n    namespace: tasks\n    podLabels: {app.kubernetes.io/name: task-apy}\n    ports: [{port: 8000}]\n",
    );
    let (code, stderr) = validate(dir.path());
    assert_eq!(code, 2);
    assert!(stderr.contains("did you mean app: task-api?"), "{stderr}");
}

#[test]
fn undescribed_workloads_of_a_specs_namespace_are_warnings() {
    let dir = example_copy();
    edit(
        dir.path(),
        "worker",
        "  - app: notifier\n",
        "  - app: notifier\n  - name: redis\n    podLabels: {app.kubernetes.io/name: redis}\n    ports: [{port: 6379}]\n",
    );
    let (code, stderr) = validate(dir.path());
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("warning: specs/worker.yaml:")
            && stderr.contains("worker opens for them only policy worker-peer-redis")
            && stderr.contains("their DNS and every other flow stay closed"),
        "{stderr}"
    );
    // The posture document names the same risk; the peer a spec describes
    // (task-api) is not one.
    harden()
        .current_dir(dir.path())
        .args(["render", "-q", "specs"])
        .assert()
        .success();
    let posture = fs::read_to_string(dir.path().join("deploy/worker/SECURITY-POSTURE.md")).unwrap();
    assert!(
        posture.contains("- Pods app.kubernetes.io/name=redis in tasks are isolated by the namespace's default deny too: this spec opens only their end of flow redis (policy worker-peer-redis); no spec describes them"),
        "{posture}"
    );
    let task_api =
        fs::read_to_string(dir.path().join("deploy/task-api/SECURITY-POSTURE.md")).unwrap();
    assert!(!task_api.contains("default deny too"), "{task_api}");
}

#[test]
fn a_system_with_a_one_sided_flow_writes_nothing() {
    let dir = example_copy();
    edit(dir.path(), "ledger", "ingress:\n  - app: billing\n", "");
    harden()
        .current_dir(dir.path())
        .args(["render", "specs"])
        .assert()
        .code(2);
    assert!(!dir.path().join("deploy").exists());
}

#[test]
fn the_committed_example_output_is_what_the_system_renders() {
    let dir = example_copy();
    fs::copy(
        example().join("harden.yaml"),
        dir.path().join("harden.yaml"),
    )
    .unwrap();
    harden()
        .current_dir(dir.path())
        .args(["render", "-q", "specs"])
        .assert()
        .success();
    // Every service's directory and every shared namespace's.
    let rendered = dir.path().join("deploy");
    let mut outputs: Vec<PathBuf> = Vec::new();
    for entry in fs::read_dir(&rendered).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap() == "namespaces" {
            outputs.extend(fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else {
            outputs.push(path);
        }
    }
    let mut compared = 0;
    for output in &outputs {
        let committed = example()
            .join("deploy")
            .join(output.strip_prefix(&rendered).unwrap());
        for file in fs::read_dir(output).unwrap() {
            let file = file.unwrap().path();
            let name = file.file_name().unwrap();
            assert_eq!(
                fs::read_to_string(committed.join(name)).unwrap_or_default(),
                fs::read_to_string(&file).unwrap(),
                "{}/{} is stale: run `harden render specs` in examples/workspace",
                committed.display(),
                name.to_string_lossy()
            );
            compared += 1;
        }
        assert_eq!(
            fs::read_dir(&committed).unwrap().count(),
            fs::read_dir(output).unwrap().count()
        );
    }
    // Six services (53 files: billing's 04-secrets.yaml holds how to create
    // its Dapr API token Secret; billing and task-api sign their images,
    // 09-image-policy.yaml) and three shared namespaces (4 files each, with
    // their admission guard).
    assert_eq!((outputs.len(), compared), (9, 65));
}

/// Every rendered manifest of the example, as one cluster; Dapr pods get the
/// app-id label the injector adds.
fn example_cluster() -> (Cluster, system::System) {
    let system = system::compile(&crate::support::yaml_files(&example().join("specs"))).unwrap();
    let templates = harden::templates::Templates::embedded().unwrap();
    let mut documents = Vec::new();
    let shared = system
        .shared
        .iter()
        .flat_map(|s| harden::render::render_namespace(&s.namespace, &templates).unwrap());
    for file in shared {
        documents.extend(harden::yaml::parse_stream(&file.content).unwrap());
    }
    for service in &system.services {
        for file in harden::render::render(&service.model, &templates).unwrap() {
            if file.name.ends_with(".yaml") {
                documents.extend(harden::yaml::parse_stream(&file.content).unwrap());
            }
        }
    }
    let mut cluster = Cluster::from_documents(documents.iter()).unwrap();
    for service in &system.services {
        if let Some(d) = &service.model.dapr {
            let id = format!("Deployment/{}/{}", service.namespace(), service.name());
            let pod = cluster.pods.iter_mut().find(|p| p.id == id).unwrap();
            pod.labels
                .insert(dapr::APP_ID_LABEL.to_string(), d.app_id.clone());
        }
    }
    (cluster, system)
}

fn pod_of(cluster: &Cluster, system: &system::System, index: usize) -> Endpoint {
    let s = &system.services[index];
    cluster
        .endpoint(&format!("Deployment/{}/{}", s.namespace(), s.name()))
        .unwrap()
}

#[test]
fn the_rendered_policies_allow_every_declared_flow_at_both_ends_and_deny_a_stranger() {
    let (mut cluster, system) = example_cluster();
    let mut checked = 0;
    for flow in &system.flows {
        let (End::Service { index: a }, End::Service { index: b }) = (&flow.from, &flow.to) else {
            continue;
        };
        assert!(!flow.blocked);
        for port in &flow.ports {
            let verdict = cluster.allowed(
                pod_of(&cluster, &system, *a),
                pod_of(&cluster, &system, *b),
                port.port as u16,
                Protocol::Tcp,
            );
            assert!(
                verdict.allowed,
                "{} -> {} on {}: {verdict}",
                system.services[*a].name(),
                system.services[*b].name(),
                port.port
            );
            checked += 1;
        }
    }
    assert_eq!(checked, FLOWS.len());
    assert!(
        system
            .flows
            .iter()
            .any(|f| f.kind == FlowKind::DaprInvocation)
    );
    // A stranger, outside and inside the workspace's namespaces, reaches no
    // service on its port.
    cluster.add_namespace("stranger", Labels::new());
    for namespace in ["stranger", "tasks", "billing"] {
        let stranger = cluster.add_pod(Pod {
            id: format!("{namespace}/stranger"),
            namespace: namespace.to_string(),
            labels: Labels::from([(names::APP_NAME_LABEL.to_string(), "stranger".to_string())]),
            ports: Vec::new(),
            host_network: false,
        });
        for (index, service) in system.services.iter().enumerate() {
            let verdict = cluster.allowed(
                stranger,
                pod_of(&cluster, &system, index),
                service.port() as u16,
                Protocol::Tcp,
            );
            assert!(
                !verdict.allowed,
                "a stranger in {namespace} reaches {}: {verdict}",
                service.name()
            );
        }
    }
}

/// Writes `count` specs spread over namespaces of `per_namespace` services;
/// each service calls the next one of its namespace, and the first of each
/// namespace calls the first of the next namespace, all declared at both
/// ends with `app:`.
fn generate(dir: &Path, count: usize, per_namespace: usize) {
    let name = |i: usize| format!("svc-{i:04}");
    for i in 0..count {
        let namespace = i / per_namespace;
        let mut ingress = Vec::new();
        let mut egress = Vec::new();
        if i % per_namespace + 1 < per_namespace && i + 1 < count {
            egress.push(i + 1);
        }
        if i % per_namespace > 0 {
            ingress.push(i - 1);
        }
        if i % per_namespace == 0 {
            if i + per_namespace < count {
                egress.push(i + per_namespace);
            }
            if i >= per_namespace {
                ingress.push(i - per_namespace);
            }
        }
        let mut text = format!(
            "apiVersion: harden.dev/v1alpha1\nkind: SecuritySpec\napp:\n  name: {}\n  namespace: ns-{namespace:03}\nworkload:\n  image: ghcr.io/example/svc@sha256:{}\n  port: {}\n",
            name(i),
            "a".repeat(64),
            8000 + i % 50
        );
        if !ingress.is_empty() {
            text.push_str("ingress:\n");
            for j in &ingress {
                text.push_str(&format!("  - app: {}\n", name(*j)));
            }
        }
        if !egress.is_empty() {
            text.push_str("egress:\n");
            for j in &egress {
                text.push_str(&format!("  - app: {}\n", name(*j)));
            }
        }
        fs::write(dir.join(format!("{}.yaml", name(i))), text).unwrap();
    }
}

#[test]
fn a_thousand_generated_specs_compile() {
    let dir = TempDir::new().unwrap();
    generate(dir.path(), 1000, 10);
    let files = crate::support::yaml_files(dir.path());
    let system = system::compile(&files).expect("a consistent system");
    assert_eq!(system.services.len(), 1000);
    let between = system
        .flows
        .iter()
        .filter(|f| matches!((&f.from, &f.to), (End::Service { .. }, End::Service { .. })))
        .count();
    assert_eq!(between, 100 * 9 + 99);
    // One admission removed: exactly one error, at the callee.
    let path = dir.path().join("svc-0500.yaml");
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.contains("  - app: svc-0490\n"));
    fs::write(&path, text.replace("  - app: svc-0490\n", "")).unwrap();
    let Err(problems) = system::compile(&files) else {
        panic!("a one-sided flow must be an error");
    };
    let errors: Vec<_> = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].message.contains("svc-0490 calls svc-0500"));
}

#[test]
fn graph_of_thirty_services_is_grouped_merged_and_deterministic() {
    let dir = TempDir::new().unwrap();
    generate(dir.path(), 30, 6);
    let run = || {
        let output = harden()
            .current_dir(dir.path())
            .args(["graph", "."])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0));
        String::from_utf8(output.stdout).unwrap()
    };
    let mermaid = run();
    assert_eq!(mermaid, run(), "graph output must be deterministic");
    assert!(mermaid.starts_with("flowchart LR\n"));
    assert_eq!(mermaid.matches("  subgraph ns_").count(), 5);
    assert_eq!(mermaid.matches("[\"svc-").count(), 30);
    // One edge per pair: 5 namespaces of 6 chained, plus 4 between them.
    assert_eq!(mermaid.matches(" -->|").count(), 5 * 5 + 4);
    assert!(mermaid.contains("svc_svc_0000 -->|\"8001\"| svc_svc_0001"));
    assert!(!mermaid.contains("-.->"));

    // A one-sided flow is drawn red and dashed, and the exit status says so.
    let path = dir.path().join("svc-0007.yaml");
    let text = fs::read_to_string(&path).unwrap();
    fs::write(&path, text.replace("ingress:\n  - app: svc-0006\n", "")).unwrap();
    let output = harden()
        .current_dir(dir.path())
        .args(["graph", ".", "--format", "dot"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let dot = String::from_utf8(output.stdout).unwrap();
    assert!(dot.starts_with("digraph system {"));
    assert_eq!(dot.matches("subgraph cluster_").count(), 5);
    assert!(
        dot.contains(
            "svc_svc_0006 -> svc_svc_0007 [label=\"blocked: 8007\", style=dashed, color=\"#d32f2f\""
        ),
        "{dot}"
    );
    let mermaid = harden()
        .current_dir(dir.path())
        .args(["graph", "."])
        .output()
        .unwrap()
        .stdout;
    let mermaid = String::from_utf8(mermaid).unwrap();
    assert!(mermaid.contains("svc_svc_0006 -.->|\"blocked: 8007\"| svc_svc_0007"));
    assert!(mermaid.contains("linkStyle "));
}

/// Mermaid's own layout (dagre) drew edges through other boxes and
/// overlapping groups for pods outside the workspace and for the Dapr
/// control plane (measured with scripts/mermaid-layout); the picture names
/// pods by the spec's rule, not by their selector.
#[test]
fn mermaid_groups_only_the_workspace_and_names_pods_by_their_rule() {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("harden.yaml"), "specs: [specs]\n").unwrap();
    fs::create_dir(dir.path().join("specs")).unwrap();
    fs::write(
        dir.path().join("specs/claims.yaml"),
        "apiVersion: harden.dev/v1alpha1\nkind: SecuritySpec\n\
         app: {name: claims, namespace: claims}\n\
         workload:\n  image: ghcr.io/example/claims@sha256:5555555555555555555555555555555555555555555555555555555555555555\n  port: 8080\n\
         egress:\n  - name: claims-db\n    namespace: databases\n    podLabels: {cnpg.io/cluster: claims-db}\n    ports: [{port: 5432}]\n\
         dapr: {enabled: true}\n",
    )
    .unwrap();
    let output = harden()
        .current_dir(dir.path())
        .args(["graph", "specs"])
        .output()
        .unwrap();
    let mermaid = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(0), "{mermaid}");
    assert!(
        mermaid.contains("  ext_1[\"claims-db<br/>in databases\"]\n"),
        "{mermaid}"
    );
    assert!(!mermaid.contains("subgraph ns_databases"), "{mermaid}");
    assert!(!mermaid.contains("cnpg.io"), "{mermaid}");
    assert!(!mermaid.contains("dapr_dapr_system"), "{mermaid}");
    assert!(
        mermaid.contains("svc_claims[\"claims<br/>:8080<br/>Dapr sidecar\"]"),
        "{mermaid}"
    );
    // DOT keeps every group and the control plane.
    let output = harden()
        .current_dir(dir.path())
        .args(["graph", "specs", "--format", "dot"])
        .output()
        .unwrap();
    let dot = String::from_utf8(output.stdout).unwrap();
    assert!(dot.contains("subgraph cluster_databases"), "{dot}");
    assert!(dot.contains("dapr_dapr_system"), "{dot}");
}

#[test]
fn the_committed_graph_is_current() {
    let output = harden()
        .current_dir(example())
        .args(["graph", "specs"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let graph = String::from_utf8(output.stdout).unwrap();
    let committed = fs::read_to_string(example().join("GRAPH.md")).unwrap();
    assert!(
        committed.contains(&format!("```mermaid\n{graph}```")),
        "examples/workspace/GRAPH.md is stale: regenerate it with harden graph specs"
    );
}

#[test]
fn check_is_clean_on_the_example_from_anywhere_and_its_fix_works() {
    let root = example();
    // The committed example, from its root, a subdirectory, and by absolute path.
    harden()
        .current_dir(&root)
        .args(["check", "-q"])
        .assert()
        .code(0);
    harden()
        .current_dir(root.join("specs"))
        .args(["check", "-q"])
        .assert()
        .code(0);
    harden()
        .current_dir(std::env::temp_dir())
        .args(["check", "-q"])
        .arg(root.join("specs"))
        .assert()
        .code(0);
    // A copy with one spec changed drifts; the printed fix, pasted from a
    // subdirectory, brings it back in sync.
    let dir = example_copy();
    fs::copy(root.join("harden.yaml"), dir.path().join("harden.yaml")).unwrap();
    harden()
        .current_dir(dir.path())
        .args(["render", "-q", "specs"])
        .assert()
        .success();
    let worker = dir.path().join("specs/worker.yaml");
    let text = fs::read_to_string(&worker).unwrap();
    fs::write(
        &worker,
        text.replacen("  port: 9000\n", "  port: 9000\n  replicas: 3\n", 1),
    )
    .unwrap();
    let output = harden()
        .current_dir(dir.path().join("specs"))
        .args(["check"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let fix = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("fix: harden "))
        .expect("a fix command");
    // In a workspace with a workspace file, one spec renders as the
    // workspace does.
    assert_eq!(fix, "render worker.yaml");
    harden()
        .current_dir(dir.path().join("specs"))
        .args(fix.split(' '))
        .assert()
        .success();
    harden()
        .current_dir(dir.path())
        .args(["check", "-q"])
        .assert()
        .code(0);
}

#[test]
fn check_fails_on_a_one_sided_flow_even_when_every_file_is_in_sync() {
    let dir = example_copy();
    fs::copy(
        example().join("harden.yaml"),
        dir.path().join("harden.yaml"),
    )
    .unwrap();
    harden()
        .current_dir(dir.path())
        .args(["render", "-q", "specs"])
        .assert()
        .success();
    // notifier stops admitting worker: its output is still what it was.
    let notifier = dir.path().join("specs/notifier.yaml");
    let text = fs::read_to_string(&notifier).unwrap();
    assert!(text.contains("ingress:\n  - app: worker\n"), "{text}");
    fs::write(&notifier, text.replace("ingress:\n  - app: worker\n", "")).unwrap();
    let output = harden()
        .current_dir(dir.path())
        .args(["check"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("specs/notifier.yaml"), "{stderr}");
    assert!(stderr.contains("specs/worker.yaml"), "{stderr}");
}

/// A minimal spec: `name` in `namespace`, callable from ingress-nginx
/// (signed under pci-dss, which requires it).
fn lone_spec(name: &str, namespace: &str, compliance: &str) -> String {
    let signature = if compliance.contains("pci-dss") {
        "  signature: {key: {secret: release-key}}\n"
    } else {
        ""
    };
    format!(
        "apiVersion: harden.dev/v1alpha1\nkind: SecuritySpec\napp:\n  name: {name}\n  namespace: {namespace}\n  compliance: [{compliance}]\n\
         workload:\n  image: docker.io/example/{name}@sha256:{}\n  port: 8080\n{signature}\
         ingress:\n  - name: ingress-nginx\n    namespace: ingress-nginx\n",
        "0c9e4b5a1f2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f"
    )
}

#[test]
fn a_shared_namespace_is_rendered_once_with_every_spec_s_compliance() {
    let dir = TempDir::new().unwrap();
    fs::create_dir(dir.path().join("specs")).unwrap();
    fs::write(dir.path().join("harden.yaml"), "specs: [specs]\n").unwrap();
    for (name, namespace, compliance) in [
        ("alpha", "shop", "soc2"),
        ("beta", "shop", "pci-dss"),
        ("gamma", "lone", "soc2"),
    ] {
        fs::write(
            dir.path().join(format!("specs/{name}.yaml")),
            lone_spec(name, namespace, compliance),
        )
        .unwrap();
    }
    harden()
        .current_dir(dir.path())
        .args(["render", "-q", "specs"])
        .assert()
        .success();
    let read = |path: &str| fs::read_to_string(dir.path().join(path)).unwrap();
    // The shared namespace: once, with both specs' compliance contexts.
    let namespace = read("deploy/namespaces/shop/01-namespace.yaml");
    assert!(
        namespace.contains("Generated by harden from the specs of namespace shop.")
            && namespace.contains("harden.dev/compliance: \"pci-dss,soc2\""),
        "{namespace}"
    );
    assert!(read("deploy/namespaces/shop/03-network-policy.yaml").contains("default-deny-all"));
    for app in ["alpha", "beta"] {
        assert!(
            !dir.path()
                .join(format!("deploy/{app}/01-namespace.yaml"))
                .exists()
        );
        assert!(
            !read(&format!("deploy/{app}/03-network-policy.yaml")).contains("default-deny-all")
        );
        let kustomization = read(&format!("deploy/{app}/kustomization.yaml"));
        assert!(
            kustomization.contains("resources:\n  - \"../namespaces/shop\"\n"),
            "{kustomization}"
        );
        let posture = read(&format!("deploy/{app}/SECURITY-POSTURE.md"));
        assert!(posture.contains("`../namespaces/shop/01-namespace.yaml`"));
    }
    // A namespace of one spec keeps its objects, as when rendered alone.
    assert!(read("deploy/gamma/03-network-policy.yaml").contains("default-deny-all"));
    assert!(read("deploy/gamma/01-namespace.yaml").contains("name: \"lone\""));
    assert!(!dir.path().join("deploy/namespaces/lone").exists());
    // The drift gate covers the shared output too.
    harden()
        .current_dir(dir.path())
        .arg("check")
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "ok     namespace shop -> deploy/namespaces/shop (4 files in sync)",
        ));
    fs::write(
        dir.path()
            .join("deploy/namespaces/shop/03-network-policy.yaml"),
        "kind: NetworkPolicy\n",
    )
    .unwrap();
    harden()
        .current_dir(dir.path())
        .arg("check")
        .assert()
        .code(1)
        .stdout(predicates::str::contains("drift  namespace shop"));
}

#[test]
fn the_namespaces_setting_places_shared_namespaces_and_must_name_them() {
    let dir = TempDir::new().unwrap();
    fs::create_dir(dir.path().join("specs")).unwrap();
    for name in ["alpha", "beta"] {
        fs::write(
            dir.path().join(format!("specs/{name}.yaml")),
            lone_spec(name, "shop", "soc2"),
        )
        .unwrap();
    }
    fs::write(
        dir.path().join("harden.yaml"),
        "specs: [specs]\nnamespaces: \"k8s/ns\"\n",
    )
    .unwrap();
    harden()
        .current_dir(dir.path())
        .args(["render", "specs"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "namespaces: \"k8s/ns\" does not contain {namespace}",
        ));
    fs::write(
        dir.path().join("harden.yaml"),
        "specs: [specs]\noutput: \"k8s/apps/{app}\"\nnamespaces: \"k8s/ns-{namespace}\"\n",
    )
    .unwrap();
    harden()
        .current_dir(dir.path())
        .args(["render", "-q", "specs"])
        .assert()
        .success();
    let kustomization =
        fs::read_to_string(dir.path().join("k8s/apps/alpha/kustomization.yaml")).unwrap();
    assert!(
        kustomization.contains("- \"../../ns-shop\""),
        "{kustomization}"
    );
    assert!(dir.path().join("k8s/ns-shop/01-namespace.yaml").is_file());
}

#[test]
fn each_posture_document_draws_its_service_s_neighbourhood() {
    let posture = fs::read_to_string(example().join("deploy/worker/SECURITY-POSTURE.md")).unwrap();
    let section = posture
        .split("## Neighbourhood")
        .nth(1)
        .and_then(|rest| rest.split("## Residual risks").next())
        .expect("a Neighbourhood section");
    // Its flows in and out, its neighbours, itself marked; nothing else.
    for line in [
        "```mermaid\nflowchart LR\n",
        "  svc_task_api -->|\"9000\"| svc_worker\n",
        "  svc_worker -->|\"8025\"| svc_notifier\n",
        "  class svc_worker focus\n",
    ] {
        assert!(section.contains(line), "{line:?} missing in {section}");
    }
    assert!(
        !section.contains("billing") && !section.contains("gateway"),
        "{section}"
    );
}

#[test]
fn hostname_egress_is_drawn_with_its_names() {
    let dir = TempDir::new().unwrap();
    let specs = Path::new(env!("CARGO_MANIFEST_DIR")).join("specs");
    fs::copy(
        specs.join("checkout.yaml"),
        dir.path().join("checkout.yaml"),
    )
    .unwrap();
    fs::copy(specs.join("hello.yaml"), dir.path().join("hello.yaml")).unwrap();
    let output = harden()
        .current_dir(dir.path())
        .args(["graph", "."])
        .output()
        .unwrap();
    let graph = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{graph}");
    let node = graph
        .lines()
        .find(|l| l.contains("[\"stripe<br/>api.stripe.com\"]"))
        .unwrap_or_else(|| panic!("no stripe node in {graph}"));
    let id = node.trim().split('[').next().unwrap();
    assert!(
        graph.contains(&format!("  svc_checkout -->|\"443\"| {id}\n")),
        "{graph}"
    );
    assert!(graph.contains("error-reporting<br/>*.ingest.de.sentry.io"));
}

fn git(dir: &Path, args: &[&str]) {
    let status = std::process::Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git is needed by this test");
    assert!(status.status.success(), "git {args:?}: {status:?}");
}

#[test]
fn diff_against_a_revision_reports_the_whole_system_s_impact() {
    let dir = example_copy();
    let root = dir.path();
    fs::copy(example().join("harden.yaml"), root.join("harden.yaml")).unwrap();
    fs::write(
        root.join("specs/alpha.yaml"),
        lone_spec("alpha", "alpha", "soc2"),
    )
    .unwrap();
    harden()
        .current_dir(root)
        .args(["render", "-q"])
        .arg("specs")
        .assert()
        .success();
    git(root, &["init", "-q"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "base"]);
    // One flow widened, one service added, one removed.
    edit(
        root,
        "worker",
        "  - app: notifier\n",
        "  - app: notifier\n  - name: partner\n    cidr: 203.0.113.0/24\n    ports: [{port: 443}]\n",
    );
    fs::remove_file(root.join("specs/alpha.yaml")).unwrap();
    fs::write(
        root.join("specs/beta.yaml"),
        lone_spec("beta", "beta", "soc2"),
    )
    .unwrap();
    let output = harden()
        .current_dir(root.join("specs"))
        .args(["diff", "--against", "HEAD", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let impacts: Vec<String> = report["impact"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            format!(
                "{} {}",
                i["direction"].as_str().unwrap(),
                i["detail"].as_str().unwrap()
            )
        })
        .collect();
    for expected in [
        "widened new service beta",
        "narrowed service alpha removed",
        "widened pods app.kubernetes.io/name=worker in tasks may reach cidr 203.0.113.0/24 on TCP/443 (policy worker-egress)",
    ] {
        assert!(
            impacts.iter().any(|i| i == expected),
            "{expected:?} not in {impacts:#?}"
        );
    }
    let files: Vec<(&str, &str)> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["file"].as_str().unwrap(), f["state"].as_str().unwrap()))
        .collect();
    assert!(
        files.contains(&("deploy/worker/03-network-policy.yaml", "changed")),
        "{files:?}"
    );
    assert!(
        files.contains(&("deploy/beta/06-deployment.yaml", "missing")),
        "{files:?}"
    );
    assert!(
        files.contains(&("deploy/alpha/06-deployment.yaml", "extra")),
        "{files:?}"
    );
    // Against the committed output: what render would change; then nothing.
    harden()
        .current_dir(root)
        .args(["diff", "--color", "never"])
        .assert()
        .code(1)
        .stdout(predicates::str::contains(
            "deploy/worker/03-network-policy.yaml: changed",
        ));
    harden()
        .current_dir(root)
        .args(["render", "-q", "specs"])
        .assert()
        .success();
    harden()
        .current_dir(root)
        .args(["diff", "-q"])
        .assert()
        .code(0)
        .stdout("");
    // A revision that could be an option never reaches git as one.
    harden()
        .current_dir(root)
        .args(["diff", "--against=--output=/tmp/x"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("not a git revision"));
}

#[test]
fn output_left_behind_by_a_deleted_spec_or_an_unshared_namespace_is_drift() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    fs::create_dir(root.join("specs")).unwrap();
    fs::write(root.join("harden.yaml"), "specs: [specs]\n").unwrap();
    for (name, namespace) in [("alpha", "shop"), ("beta", "shop"), ("gamma", "lone")] {
        fs::write(
            root.join(format!("specs/{name}.yaml")),
            lone_spec(name, namespace, "soc2"),
        )
        .unwrap();
    }
    render_clean(root);
    // beta is deleted: its output stays, and shop is no longer shared.
    fs::remove_file(root.join("specs/beta.yaml")).unwrap();
    harden()
        .current_dir(root)
        .args(["render", "-q", "specs"])
        .assert()
        .success();
    let output = harden().current_dir(root).arg("check").output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    for expected in [
        "drift  specs/beta.yaml (gone) -> deploy/beta\n",
        "fix: git rm -r deploy/beta\n",
        "drift  the specs of namespace shop (gone) -> deploy/namespaces/shop\n",
        "fix: git rm -r deploy/namespaces/shop\n",
    ] {
        assert!(stdout.contains(expected), "{expected:?} not in\n{stdout}");
    }
    // The printed fixes (without git here) bring the workspace in sync.
    fs::remove_dir_all(root.join("deploy/beta")).unwrap();
    fs::remove_dir_all(root.join("deploy/namespaces/shop")).unwrap();
    harden()
        .current_dir(root)
        .args(["check", "-q"])
        .assert()
        .success();
}

#[test]
fn cycles_of_calls_compile_and_a_self_reference_is_one_clear_error() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    fs::create_dir(root.join("specs")).unwrap();
    fs::write(root.join("harden.yaml"), "specs: [specs]\n").unwrap();
    let spec = |name: &str, namespace: &str, callers: &[&str], callees: &[&str]| {
        let list = |key: &str, apps: &[&str]| {
            if apps.is_empty() {
                String::new()
            } else {
                format!(
                    "{key}:\n{}",
                    apps.iter()
                        .map(|a| format!("  - app: {a}\n"))
                        .collect::<String>()
                )
            }
        };
        format!(
            "apiVersion: harden.dev/v1alpha1\nkind: SecuritySpec\napp:\n  name: {name}\n  namespace: {namespace}\n\
             workload:\n  image: ghcr.io/example/{name}@sha256:{}\n  port: 8080\n{}{}",
            "b".repeat(64),
            list("ingress", callers),
            list("egress", callees)
        )
    };
    // A ring across two namespaces, and a pair calling each other.
    for (name, namespace, callers, callees) in [
        ("ring-a", "ring", &["ring-c"][..], &["ring-b"][..]),
        ("ring-b", "ring", &["ring-a"][..], &["ring-c"][..]),
        ("ring-c", "other", &["ring-b"][..], &["ring-a"][..]),
        ("ping", "pair", &["pong"][..], &["pong"][..]),
        ("pong", "pair", &["ping"][..], &["ping"][..]),
    ] {
        fs::write(
            root.join(format!("specs/{name}.yaml")),
            spec(name, namespace, callers, callees),
        )
        .unwrap();
    }
    render_clean(root);
    // A spec naming itself: one error per field, nothing written.
    fs::remove_dir_all(root.join("deploy")).unwrap();
    fs::write(
        root.join("specs/selfie.yaml"),
        spec("selfie", "ring", &["selfie"], &[]),
    )
    .unwrap();
    let output = harden()
        .current_dir(root)
        .args(["render", "specs"])
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.matches("error: ").count(), 1, "{stderr}");
    assert!(
        stderr.contains("ingress[0].app: \"selfie\" is this spec's own app"),
        "{stderr}"
    );
    assert!(!root.join("deploy").exists());
}

/// Renders the workspace at `root` and checks it in sync.
fn render_clean(root: &Path) {
    harden()
        .current_dir(root)
        .args(["render", "-q", "specs"])
        .assert()
        .success();
    harden()
        .current_dir(root)
        .args(["check", "-q"])
        .assert()
        .success();
}

#[test]
fn a_system_render_uses_the_workspace_s_templates_as_check_does() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    fs::create_dir_all(root.join("specs")).unwrap();
    fs::create_dir_all(root.join("tpl")).unwrap();
    fs::write(root.join("harden.yaml"), "specs: [specs]\ntemplates: tpl\n").unwrap();
    fs::write(
        root.join("specs/alpha.yaml"),
        lone_spec("alpha", "shop", "soc2"),
    )
    .unwrap();
    let kustomization = harden::templates::Templates::sources()
        .into_iter()
        .find(|(name, _)| name == "kustomization.yaml.j2")
        .unwrap()
        .1;
    fs::write(
        root.join("tpl/kustomization.yaml.j2"),
        format!("{kustomization}# organisation marker\n"),
    )
    .unwrap();
    render_clean(root);
    let written = fs::read_to_string(root.join("deploy/alpha/kustomization.yaml")).unwrap();
    assert!(written.contains("# organisation marker"), "{written}");
}
