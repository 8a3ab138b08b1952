//! `harden init` writes every example spec: each of `specs/*.yaml` and
//! `examples/workspace/specs/*.yaml` is answered question by question on a
//! pseudo-terminal (expectrl), and the written spec must mean what the
//! example means: the same model once validated (for a workspace spec, every
//! service of the workspace compiled with it). Defaults the wizard leaves
//! out (`namespace` equal to the name) or writes out (the Pod Security
//! version, harden's default) do not change the meaning. And the writer on
//! generated specs: whatever the spec, the written text reads back as the
//! same spec and renders the same files.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use expectrl::{Eof, Expect, Session};
use proptest::prelude::*;
use tempfile::TempDir;

use crate::support::spec_gen;

const DOWN: &str = "\u{1b}[B";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `harden init` in `dir` on a pseudo-terminal, answering each
/// `(prompt, keys)` in turn, then confirming the write; returns the spec
/// written to `specs/<name>.yaml`.
fn drive(dir: &Path, name: &str, steps: &[(&str, String)]) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_harden"));
    command
        .arg("init")
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("TERM", "xterm");
    let mut session = Session::spawn(command).expect("spawn on a pty");
    session.set_expect_timeout(Some(Duration::from_secs(20)));
    let written = format!("specs/{name}.yaml");
    let finish = [
        ("Set another field?".to_string(), "\r".to_string()),
        (format!("Write {written}?"), "y\r".to_string()),
        ("Render it now".to_string(), "n\r".to_string()),
    ];
    let steps = steps
        .iter()
        .map(|(prompt, keys)| (prompt.to_string(), keys.clone()))
        .chain(finish);
    for (prompt, keys) in steps {
        session
            .expect(prompt.as_str())
            .unwrap_or_else(|e| panic!("{name}: waiting for {prompt:?}: {e}"));
        session.send(keys.as_str()).unwrap();
    }
    session.expect(Eof).unwrap();
    fs::read_to_string(dir.join(&written))
        .unwrap_or_else(|e| panic!("{name}: nothing written ({e})"))
}

/// `(prompt, answer + Enter)` pairs.
fn answers(pairs: &[(&str, &str)]) -> Vec<(&'static str, String)> {
    pairs
        .iter()
        .map(|(prompt, answer)| {
            let prompt: &'static str = Box::leak(prompt.to_string().into_boxed_str());
            (prompt, format!("{answer}\r"))
        })
        .collect()
}

/// The example spec `specs/<name>.yaml`, written by the wizard from
/// `steps`, validates to the same model as the example.
fn writes_example(name: &str, steps: &[(&str, &str)]) {
    let dir = TempDir::new().unwrap();
    let written = drive(dir.path(), name, &answers(steps));
    let file = format!("specs/{name}.yaml");
    let example = fs::read_to_string(root().join(&file)).unwrap();
    let expected = harden::load::load_spec_text(&example, &file).unwrap();
    let got = harden::load::load_spec_text(&written, &file)
        .unwrap_or_else(|e| panic!("{name}: the written spec is invalid: {e}\n{written}"));
    assert!(
        got == expected,
        "{name}: the written spec means something else:\n{written}\n{got:#?}\n{expected:#?}"
    );
}

/// Every service's model of the workspace in `dir`.
fn workspace_models(dir: &Path) -> Vec<(String, harden::model::Model)> {
    let mut paths: Vec<PathBuf> = fs::read_dir(dir.join("specs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    let system = harden::system::compile(&paths).unwrap_or_else(|p| {
        panic!(
            "{}",
            p.iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        )
    });
    system
        .services
        .into_iter()
        .map(|s| (s.model.name.clone(), s.model))
        .collect()
}

/// The workspace example's `specs/<name>.yaml`, written by the wizard
/// beside the other specs of the workspace, compiles with them to the same
/// models as the example workspace.
fn writes_workspace_example(name: &str, steps: &[(&str, &str)]) {
    let example = root().join("examples/workspace");
    let dir = TempDir::new().unwrap();
    fs::create_dir(dir.path().join("specs")).unwrap();
    fs::copy(example.join("harden.yaml"), dir.path().join("harden.yaml")).unwrap();
    for entry in fs::read_dir(example.join("specs")).unwrap() {
        let path = entry.unwrap().path();
        if path.file_stem().unwrap() != name {
            fs::copy(
                &path,
                dir.path().join("specs").join(path.file_name().unwrap()),
            )
            .unwrap();
        }
    }
    let written = drive(dir.path(), name, &answers(steps));
    let got = workspace_models(dir.path());
    let expected = workspace_models(&example);
    assert_eq!(got.len(), expected.len());
    for ((app, got), (_, expected)) in got.iter().zip(&expected) {
        assert!(
            got == expected,
            "{name}: {app} differs:\n{written}\n{got:#?}\n{expected:#?}"
        );
    }
}

fn image(file: &str) -> String {
    let text = fs::read_to_string(root().join(file)).unwrap();
    text.lines()
        .find_map(|l| l.trim().strip_prefix("image: "))
        .unwrap()
        .to_string()
}

#[test]
fn hello() {
    let image = image("specs/hello.yaml");
    writes_example(
        "hello",
        &[
            ("App name", "hello"),
            ("Namespace", ""),
            ("Compliance contexts", ""),
            ("Kubernetes minor version", ""),
            ("Image, pinned by digest", &image),
            ("Container port", ""),
            ("Replicas", ""),
            ("More workload settings", "n"),
            ("Add a caller", "y"),
            ("Caller kind", ""),
            ("Caller name", "ingress-nginx"),
            ("Callers' namespace", "ingress-nginx"),
            ("Callers' pod labels", ""),
            ("Add another caller", "n"),
            ("Add a destination", "n"),
            ("read secrets", "n"),
            ("Cluster it runs on", ""),
            ("Kubernetes API", "n"),
            ("Enable Dapr", "n"),
        ],
    );
}

/// With a component secret named before it is a key of the app: the
/// wizard offers to add it (it used to be a dead end).
#[test]
fn task_api() {
    let image = image("specs/task-api.yaml");
    writes_example(
        "task-api",
        &[
            ("App name", "task-api"),
            ("Namespace", ""),
            ("Compliance contexts", " "),
            ("Kubernetes minor version", ""),
            ("Image, pinned by digest", &image),
            ("Container port", "8000"),
            ("Replicas", ""),
            ("More workload settings", "y"),
            ("Numeric user id", ""),
            ("Resource requests", "100m,128Mi"),
            ("Resource limits", "500m,256Mi"),
            ("Directories the app writes to", ""),
            ("Liveness probe", "/health"),
            ("Readiness probe", "/ready"),
            ("Add a caller", "y"),
            ("Caller kind", ""),
            ("Caller name", "gateway"),
            ("Callers' namespace", "envoy-gateway-system"),
            ("Callers' pod labels", "app.kubernetes.io/name=envoy"),
            ("Add another caller", "n"),
            ("Add a destination", "y"),
            ("Destination kind", ""),
            ("Destination name", "redis"),
            ("Pods' namespace", ""),
            ("Pods' labels", "app.kubernetes.io/name=redis"),
            ("Ports", "6379"),
            ("Add another destination", "n"),
            ("read secrets", "y"),
            ("Where do the values come from", ""),
            ("Secret store name", "vault-backend"),
            ("Store kind", ""),
            ("Directory the files are mounted at", ""),
            ("How often the values are read again", ""),
            ("Secret key (its file name", "db-password"),
            ("Where db-password lives in the store", "task-api/database"),
            ("Property inside that entry", "password"),
            ("Add another secret key", "n"),
            ("Cluster it runs on", ""),
            ("Kubernetes API", "n"),
            ("Enable Dapr", "y"),
            ("Dapr version", ""),
            ("Dapr app-id", ""),
            ("actors or workflows", "n"),
            ("Add a Dapr component", "y"),
            ("Component name", "statestore"),
            ("Component type", ""),
            ("redisHost", "redis.task-api.svc.cluster.local:6379"),
            ("Secret key holding redisPassword", "redis-password"),
            ("not one of the app's secret keys yet. Add it now?", "y"),
            ("Where redis-password lives in the store", "task-api/redis"),
            ("Property inside that entry", "password"),
            ("Other metadata", "keyPrefix=none"),
            ("Other app-ids that may use it", ""),
            ("Add a Dapr component", "n"),
            ("May another Dapr app invoke", "n"),
            ("Does this app invoke another Dapr app", "n"),
            ("More Dapr settings", "n"),
            ("Set another field?", "dapr.components[0].version=v1"),
        ],
    );
}

/// Host names typed at the address prompt become `hosts` (they used to be
/// refused as "an address and a prefix length"), and the wizard asks for
/// Cilium's enforcement.
#[test]
fn checkout() {
    let image = image("specs/checkout.yaml");
    let network = DOWN.to_string();
    writes_example(
        "checkout",
        &[
            ("App name", "checkout"),
            ("Namespace", ""),
            ("Compliance contexts", &format!("{DOWN}{DOWN} ")),
            ("Kubernetes minor version", ""),
            ("Image, pinned by digest", &image),
            ("Container port", ""),
            ("Replicas", ""),
            ("More workload settings", "y"),
            ("Numeric user id", ""),
            ("Resource requests", "100m,128Mi"),
            ("Resource limits", "500m,256Mi"),
            ("Directories the app writes to", ""),
            ("Liveness probe", "/livez"),
            ("Readiness probe", "/readyz"),
            ("Add a caller", "y"),
            ("Caller kind", ""),
            ("Caller name", "storefront"),
            ("Callers' namespace", "web"),
            ("Callers' pod labels", "app.kubernetes.io/name=storefront"),
            ("Add another caller", "n"),
            ("Add a destination", "y"),
            ("Destination kind", &network),
            ("Destination name", "stripe"),
            ("Addresses (CIDR", "api.stripe.com"),
            ("Ports", "443"),
            ("Add another destination", "y"),
            ("Destination kind", &network),
            ("Destination name", "receipts"),
            (
                "Addresses (CIDR",
                "checkout-receipts.s3.eu-west-1.amazonaws.com",
            ),
            ("Ports", "443"),
            ("Add another destination", "y"),
            ("Destination kind", &network),
            ("Destination name", "error-reporting"),
            ("Addresses (CIDR", "*.ingest.de.sentry.io"),
            ("Ports", "443"),
            ("Add another destination", "y"),
            ("Destination kind", ""),
            ("Destination name", "payments"),
            ("Pods' namespace", "payments-prod"),
            ("Pods' labels", "app.kubernetes.io/name=payments"),
            ("Ports", "8443"),
            ("Add another destination", "n"),
            ("read secrets", "y"),
            ("Secret store name", "vault-backend"),
            ("Store kind", ""),
            ("Directory the files are mounted at", ""),
            ("How often the values are read again", ""),
            ("Secret key (its file name", "stripe-api-key"),
            ("Where stripe-api-key lives in the store", "checkout/stripe"),
            ("Property inside that entry", "api-key"),
            ("Add another secret key", "n"),
            ("Does the cluster run Cilium", "y"),
            ("Cluster it runs on", ""),
            ("Kubernetes API", "n"),
            ("Enable Dapr", "y"),
            ("Dapr version", ""),
            ("Dapr app-id", ""),
            ("actors or workflows", "n"),
            ("Add a Dapr component", "n"),
            ("May another Dapr app invoke", "n"),
            ("Does this app invoke another Dapr app", "n"),
            (
                "Secret holding the Dapr API token",
                "checkout-dapr-api-token",
            ),
            (
                "Secret holding the token the sidecar sends",
                "checkout-dapr-app-token",
            ),
            // The other APIs are asked; the app token was, under PCI DSS.
            ("More Dapr settings", "y"),
            ("Dapr APIs the app calls beyond", ""),
            // PCI DSS requires workload.signature.
            (
                "Set another field?",
                "workload.signature={keyless: {issuer: https://token.actions.githubusercontent.com, subject: https://github.com/example/checkout/.github/workflows/release.yml@refs/heads/main}, attestations: {sbom: cyclonedx, vulnerabilityScan: {maxAgeHours: 24}}}",
            ),
        ],
    );
}

/// Dapr service invocation both ways, actors, two components with scopes.
#[test]
fn orders() {
    let image = image("specs/orders.yaml");
    writes_example(
        "orders",
        &[
            ("App name", "orders"),
            ("Namespace", "shop"),
            ("Compliance contexts", &format!("{DOWN} ")),
            ("Kubernetes minor version", ""),
            ("Image, pinned by digest", &image),
            ("Container port", "3000"),
            ("Replicas", ""),
            ("More workload settings", "y"),
            ("Numeric user id", ""),
            ("Resource requests", ""),
            ("Resource limits", ""),
            ("Directories the app writes to", "none"),
            ("Liveness probe", "/healthz"),
            ("Readiness probe", "/healthz"),
            ("Add a caller", "n"),
            ("Add a destination", "y"),
            ("Destination kind", ""),
            ("Destination name", "kafka"),
            ("Pods' namespace", "kafka"),
            ("Pods' labels", "strimzi.io/cluster=events"),
            ("Ports", "9092"),
            ("Add another destination", "y"),
            ("Destination kind", ""),
            ("Destination name", "redis"),
            ("Pods' namespace", ""),
            ("Pods' labels", "app.kubernetes.io/name=orders-redis"),
            ("Ports", "6379"),
            ("Add another destination", "n"),
            ("read secrets", "y"),
            ("Where do the values come from", DOWN),
            ("Directory the files are mounted at", ""),
            ("Secret key (its file name", "kafka-password"),
            ("Add another secret key", "y"),
            ("Secret key (its file name", "redis-password"),
            ("Add another secret key", "n"),
            ("Cluster it runs on", ""),
            ("Kubernetes API", "n"),
            ("Dapr version", ""),
            ("Dapr app-id", ""),
            ("actors or workflows", "y"),
            ("call its workflows", DOWN),
            ("Workflow caller's app-id", "shipping"),
            ("Workflows it may call", "Order* get raise"),
            ("Activities it may schedule", ""),
            ("Add another workflow caller", "n"),
            ("Add a Dapr component", "y"),
            ("Component name", "orders-actors"),
            ("Component type", ""),
            ("redisHost", "orders-redis.shop.svc.cluster.local:6379"),
            ("Secret key holding redisPassword", "redis-password"),
            ("Other metadata", "actorStateStore=true"),
            ("Other app-ids that may use it", ""),
            ("Add a Dapr component", "y"),
            ("Component name", "order-events"),
            ("Component type", &format!("{DOWN}{DOWN}{DOWN}")),
            (
                "brokers",
                "events-kafka-bootstrap.kafka.svc.cluster.local:9092",
            ),
            ("authType", "password"),
            ("saslUsername", "orders"),
            ("Secret key holding saslPassword", "kafka-password"),
            ("Other metadata", ""),
            ("Other app-ids that may use it", "shipping"),
            ("Add a Dapr component", "n"),
            ("May another Dapr app invoke", "y"),
            ("Caller's app-id", "storefront"),
            ("Caller's namespace", "web"),
            ("Operations it may invoke", "/orders GET POST"),
            ("Add another caller app-id", "n"),
            ("Does this app invoke another Dapr app", "y"),
            ("Invoked app's app-id", "inventory"),
            ("Invoked app's namespace", ""),
            ("Add another app-id it invokes", "n"),
            ("More Dapr settings", "n"),
            (
                "Set another field?",
                "workload.probes.readiness.periodSeconds=10",
            ),
        ],
    );
}

/// A bare `1.30` for the Pod Security pin, an `except` range, API access
/// with the API server's endpoint, and a probe delay through `PATH=VALUE`.
#[test]
fn payments() {
    let image = image("specs/payments.yaml");
    writes_example(
        "payments",
        &[
            ("App name", "payments"),
            ("Namespace", "payments-prod"),
            ("Compliance contexts", &format!(" {DOWN}{DOWN} ")),
            ("Kubernetes minor version", "1.30"),
            ("Image, pinned by digest", &image),
            ("Container port", "8443"),
            ("Replicas", "3"),
            ("More workload settings", "y"),
            ("Numeric user id", "20001"),
            ("Resource requests", "250m,256Mi"),
            ("Resource limits", "1,512Mi"),
            ("Directories the app writes to", "/tmp,/var/cache/payments"),
            ("Liveness probe", "/livez"),
            ("Readiness probe", "/readyz"),
            ("Add a caller", "y"),
            ("Caller kind", ""),
            ("Caller name", "checkout"),
            ("Callers' namespace", "checkout"),
            ("Callers' pod labels", "app.kubernetes.io/name=checkout"),
            ("Add another caller", "n"),
            ("Add a destination", "y"),
            ("Destination kind", DOWN),
            ("Destination name", "card-processor"),
            ("Addresses (CIDR", "203.0.113.0/24"),
            ("Ranges inside it that stay blocked", "203.0.113.128/25"),
            ("Ports", "443"),
            ("Add another destination", "y"),
            ("Destination kind", ""),
            ("Destination name", "postgres"),
            ("Pods' namespace", "databases"),
            ("Pods' labels", "app.kubernetes.io/name=payments-postgres"),
            ("Ports", "5432"),
            ("Add another destination", "n"),
            ("read secrets", "y"),
            ("Secret store name", "vault-payments"),
            ("Store kind", DOWN),
            (
                "Directory the files are mounted at",
                "/var/run/secrets/payments",
            ),
            ("How often the values are read again", "15m"),
            ("Secret key (its file name", "processor-api-key"),
            (
                "Where processor-api-key lives in the store",
                "payments/processor",
            ),
            ("Property inside that entry", "api-key"),
            ("Add another secret key", "y"),
            ("Secret key (its file name", "db-password"),
            ("Where db-password lives in the store", "payments/postgres"),
            ("Property inside that entry", "password"),
            ("Add another secret key", "n"),
            ("Cluster it runs on", ""),
            ("Kubernetes API", "y"),
            ("API group of the resources", ""),
            ("Resources, comma-separated", "configmaps"),
            ("Names of the objects it may use", "payments-routing"),
            ("Verbs, comma-separated", "get,watch"),
            ("Add another API rule", "n"),
            ("API server endpoint as a CIDR", "172.20.0.10/32"),
            ("API server endpoint port", "6443"),
            ("Token lifetime in seconds", "900"),
            ("Enable Dapr", "n"),
            (
                "Set another field?",
                "workload.probes.liveness.initialDelaySeconds=15",
            ),
            (
                "Set another field?",
                "workload.signature.key.secret=payments-release-key",
            ),
        ],
    );
}

#[test]
fn workspace_billing() {
    let image = image("examples/workspace/specs/billing.yaml");
    writes_workspace_example(
        "billing",
        &[
            ("App name", "billing"),
            ("Namespace", ""),
            ("Compliance contexts", &format!("{DOWN}{DOWN} ")),
            ("Kubernetes minor version", ""),
            ("Image, pinned by digest", &image),
            ("Container port", "8443"),
            ("Replicas", "3"),
            ("More workload settings", "n"),
            ("Add a caller", "n"),
            ("Add a destination", "y"),
            ("Destination kind", &format!("{DOWN}{DOWN}")),
            ("Destination's app name", "ledger"),
            ("Add another destination", "n"),
            ("read secrets", "n"),
            ("Cluster it runs on", ""),
            ("Kubernetes API", "n"),
            ("Enable Dapr", "y"),
            ("Dapr version", ""),
            ("Dapr app-id", ""),
            ("actors or workflows", "n"),
            ("Add a Dapr component", "n"),
            ("May another Dapr app invoke", "y"),
            ("Caller's app-id", "task-api"),
            ("Caller's namespace", "tasks"),
            ("Operations it may invoke", ""),
            ("Add another caller app-id", "n"),
            ("Does this app invoke another Dapr app", "n"),
            ("Secret holding the Dapr API token", "billing-dapr-token"),
            (
                "Secret holding the token the sidecar sends",
                "billing-dapr-app-token",
            ),
            ("More Dapr settings", "n"),
            (
                "Set another field?",
                r"workload.signature={keyless: {issuer: https://token.actions.githubusercontent.com, subjectRegExp: '^https://github\.com/example/billing/\.github/workflows/release\.yml@refs/tags/v[0-9.]+$'}}",
            ),
        ],
    );
}

#[test]
fn workspace_gateway() {
    let image = image("examples/workspace/specs/gateway.yaml");
    writes_workspace_example(
        "gateway",
        &[
            ("App name", "gateway"),
            ("Namespace", "edge"),
            ("Compliance contexts", ""),
            ("Kubernetes minor version", ""),
            ("Image, pinned by digest", &image),
            ("Container port", ""),
            ("Replicas", ""),
            ("More workload settings", "y"),
            ("Numeric user id", ""),
            ("Resource requests", ""),
            ("Resource limits", ""),
            ("Directories the app writes to", ""),
            ("Liveness probe", ""),
            ("Readiness probe", "/ready"),
            ("Add a caller", "y"),
            ("Caller kind", ""),
            ("Caller name", "envoy"),
            ("Callers' namespace", "envoy-gateway-system"),
            ("Callers' pod labels", "app.kubernetes.io/name=envoy"),
            ("Add another caller", "n"),
            ("Add a destination", "y"),
            ("Destination kind", &format!("{DOWN}{DOWN}")),
            ("Destination's app name", "task-api"),
            ("Add another destination", "n"),
            ("read secrets", "n"),
            ("Cluster it runs on", ""),
            ("Kubernetes API", "n"),
            ("Enable Dapr", "n"),
        ],
    );
}

/// A network destination and a caller that is another service.
fn network_service(name: &str, namespace: &str, port: &str, caller: &str, cidr: &str, to: &str) {
    let image = image(&format!("examples/workspace/specs/{name}.yaml"));
    let (destination, ports) = to.split_once(':').unwrap();
    writes_workspace_example(
        name,
        &[
            ("App name", name),
            ("Namespace", namespace),
            ("Compliance contexts", ""),
            ("Kubernetes minor version", ""),
            ("Image, pinned by digest", &image),
            ("Container port", port),
            ("Replicas", ""),
            ("More workload settings", "n"),
            ("Add a caller", "y"),
            ("Caller kind", DOWN),
            ("Caller's app name", caller),
            ("Add another caller", "n"),
            ("Add a destination", "y"),
            ("Destination kind", DOWN),
            ("Destination name", destination),
            ("Addresses (CIDR", cidr),
            ("Ranges inside it that stay blocked", ""),
            ("Ports", ports),
            ("Add another destination", "n"),
            ("read secrets", "n"),
            ("Cluster it runs on", ""),
            ("Kubernetes API", "n"),
            ("Enable Dapr", "n"),
        ],
    );
}

#[test]
fn workspace_ledger() {
    network_service(
        "ledger",
        "billing",
        "7000",
        "billing",
        "203.0.113.10/32",
        "bank:443",
    );
}

#[test]
fn workspace_notifier() {
    network_service(
        "notifier",
        "edge",
        "8025",
        "worker",
        "198.51.100.25/32",
        "smtp:587",
    );
}

#[test]
fn workspace_task_api() {
    let image = image("examples/workspace/specs/task-api.yaml");
    writes_workspace_example(
        "task-api",
        &[
            ("App name", "task-api"),
            ("Namespace", "tasks"),
            ("Compliance contexts", " "),
            ("Kubernetes minor version", ""),
            ("Image, pinned by digest", &image),
            ("Container port", "8000"),
            ("Replicas", ""),
            ("More workload settings", "y"),
            ("Numeric user id", ""),
            ("Resource requests", "100m,128Mi"),
            ("Resource limits", "500m,256Mi"),
            ("Directories the app writes to", ""),
            ("Liveness probe", "/health"),
            ("Readiness probe", "/ready"),
            ("Add a caller", "y"),
            ("Caller kind", DOWN),
            ("Caller's app name", "gateway"),
            ("Add another caller", "n"),
            ("Add a destination", "y"),
            ("Destination kind", &format!("{DOWN}{DOWN}")),
            ("Destination's app name", "worker"),
            ("Add another destination", "n"),
            ("read secrets", "n"),
            ("Cluster it runs on", ""),
            ("Kubernetes API", "n"),
            ("Enable Dapr", "y"),
            ("Dapr version", ""),
            ("Dapr app-id", ""),
            ("actors or workflows", "n"),
            ("Add a Dapr component", "n"),
            ("May another Dapr app invoke", "n"),
            ("Does this app invoke another Dapr app", "y"),
            ("Invoked app's app-id", "billing"),
            ("Invoked app's namespace", "billing"),
            ("Add another app-id it invokes", "n"),
            ("More Dapr settings", "n"),
            (
                "Set another field?",
                "workload.signature={keyless: {issuer: https://token.actions.githubusercontent.com, subject: https://github.com/example/task-api/.github/workflows/release.yml@refs/heads/main}}",
            ),
        ],
    );
}

#[test]
fn workspace_worker() {
    let image = image("examples/workspace/specs/worker.yaml");
    writes_workspace_example(
        "worker",
        &[
            ("App name", "worker"),
            ("Namespace", "tasks"),
            ("Compliance contexts", ""),
            ("Kubernetes minor version", ""),
            ("Image, pinned by digest", &image),
            ("Container port", "9000"),
            ("Replicas", ""),
            ("More workload settings", "n"),
            ("Add a caller", "y"),
            ("Caller kind", DOWN),
            ("Caller's app name", "task-api"),
            ("Add another caller", "n"),
            ("Add a destination", "y"),
            ("Destination kind", &format!("{DOWN}{DOWN}")),
            ("Destination's app name", "notifier"),
            ("Add another destination", "n"),
            ("read secrets", "n"),
            ("Cluster it runs on", ""),
            ("Kubernetes API", "n"),
            ("Enable Dapr", "n"),
        ],
    );
}

/// Every example spec is covered above.
#[test]
fn every_example_has_a_session() {
    let this = include_str!("wizard_examples.rs");
    for dir in ["specs", "examples/workspace/specs"] {
        for entry in fs::read_dir(root().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let name = path
                .file_stem()
                .unwrap()
                .to_string_lossy()
                .replace('-', "_");
            let test = if dir == "specs" {
                format!("fn {name}()")
            } else {
                format!("fn workspace_{name}()")
            };
            assert!(
                this.contains(&test),
                "no wizard session writes {}",
                path.display()
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Whatever the spec, what the wizard's writer makes of it reads back as
    /// the same spec, validates and renders the same files.
    #[test]
    fn written_specs_read_back_the_same_and_render_the_same(value in spec_gen::spec()) {
        let spec: harden::spec::Spec = serde_json::from_value(value.clone()).unwrap();
        let text = harden::wizard::spec_writer::write(&spec, None);
        let parsed = harden::yaml::parse_document::<harden::spec::Spec>(&text).unwrap();
        prop_assert!(parsed.unknown_fields.is_empty());
        prop_assert_eq!(&parsed.value, &spec, "{}", text);
        let original = harden::load::load_spec_text(&serde_json::to_string(&value).unwrap(), "g.yaml");
        let written = harden::load::load_spec_text(&text, "g.yaml");
        if let (Ok(original), Ok(written)) = (&original, &written) {
            let templates = harden::templates::Templates::embedded().unwrap();
            prop_assert_eq!(
                harden::render::render(written, &templates).unwrap(),
                harden::render::render(original, &templates).unwrap()
            );
        } else {
            prop_assert_eq!(original.is_ok(), written.is_ok(), "{}", text);
        }
    }
}

/// Answers as `harden init` takes them as flags (the questions take the
/// same): a name, an image, a port, compliance, callers, destinations by
/// pods, address or host name, secrets, Dapr with invocation and a
/// version, and a field by path.
fn answers_as_flags() -> impl Strategy<Value = harden::cli::InitArgs> {
    let egress = prop::collection::vec((0..3usize, 1u32..=65535), 0..=3);
    (
        ("[a-z][a-z0-9]{1,8}", spec_gen::image(), prop_oneof![1024u32..3000, 4000u32..9000]),
        (1u32..=5, prop::sample::subsequence(vec!["soc2", "hipaa", "pci-dss"], 0..=3)),
        (prop::collection::vec("[a-z][a-z0-9]{1,6}", 0..=2), egress),
        (prop::collection::vec("[a-z][a-z0-9]{1,6}", 0..=2), any::<bool>()),
        (prop::collection::vec("[a-z][a-z0-9]{1,6}", 0..=2), 0..5usize, prop::option::of(10000u32..60000)),
    )
        .prop_map(|((name, image, port), (replicas, compliance), (callers, egress), (keys, dapr), (invokes, version, user))| {
            let pci = compliance.contains(&"pci-dss");
            let hipaa = compliance.contains(&"hipaa");
            let dapr = dapr || hipaa;
            let hosts = egress.iter().any(|(kind, _)| *kind == 1);
            let mut args = harden::cli::InitArgs {
                name: Some(name.clone()),
                image: Some(image),
                port: Some(port),
                replicas: Some(replicas),
                compliance: Some(compliance.iter().map(|c| c.to_string()).collect()),
                ingress: callers.iter().map(|c| format!("{c}/app={c}")).collect(),
                egress: egress
                    .iter()
                    .enumerate()
                    .map(|(i, (kind, port))| match kind {
                        0 => format!("d{i}=cidr:10.{i}.0.0/16:{port}"),
                        1 => format!("d{i}=hosts:api{i}.example.com:{port}"),
                        _ => format!("d{i}=pods:db{i}/app=db{i}:{port}"),
                    })
                    .collect(),
                enforcement: hosts.then(|| "cilium".to_string()),
                secret: keys.iter().enumerate().map(|(i, k)| format!("{k}{i}={name}/{k}#value")).collect(),
                secret_store: (!keys.is_empty()).then(|| "vault".to_string()),
                dapr,
                no_dapr: !dapr,
                invokes: if dapr { invokes.clone() } else { Vec::new() },
                dapr_version: (dapr && version > 0)
                    .then(|| harden::platform::dapr::Version::SUPPORTED[version - 1].0.to_string()),
                api_token_secret: (dapr && pci).then(|| format!("{name}-dapr-token")),
                app_token_secret: (dapr && pci).then(|| format!("{name}-dapr-app-token")),
                set: user.map(|u| format!("workload.runAsUser={u}")).into_iter().collect(),
                yes: true,
                ..Default::default()
            };
            if pci {
                args.set.push("workload.resources={requests: {cpu: 100m, memory: 128Mi}, limits: {cpu: 500m, memory: 256Mi}}".into());
                args.set.push("workload.signature={keyless: {issuer: https://token.actions.githubusercontent.com, subject: https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main}}".into());
            }
            args
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Whatever the answers (within what each question accepts), the
    /// wizard writes a spec that validates and renders.
    #[test]
    fn answers_give_a_spec_that_validates_and_renders(mut args in answers_as_flags()) {
        let dir = TempDir::new().unwrap();
        let output = dir.path().join("specs/app.yaml");
        args.output = Some(output.clone());
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let outcome = harden::wizard::run(&args, false, &mut out, &mut err);
        prop_assert!(outcome.is_ok(), "{:?}\n{:?}", outcome, args);
        let text = fs::read_to_string(&output).unwrap();
        let model = harden::load::load_spec_text(&text, "specs/app.yaml")
            .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let templates = harden::templates::Templates::embedded().unwrap();
        prop_assert!(harden::render::render(&model, &templates).is_ok());
    }
}
