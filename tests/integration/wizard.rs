//! `harden init`, driven through a real pseudo-terminal (expectrl): a full
//! session that writes an expected spec, a bad answer asked again with the
//! reason, a refusal to overwrite; and the non-interactive paths (flags,
//! --yes, missing values without a terminal).

use std::fs;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use expectrl::{Eof, Expect, Session};
use tempfile::TempDir;

const IMAGE: &str =
    "ghcr.io/acme/billing@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_harden"))
}

/// Starts `harden init ARGS` in `dir` on a pseudo-terminal.
fn wizard(dir: &TempDir, args: &[&str]) -> expectrl::session::OsSession {
    let mut command = Command::new(binary());
    command
        .arg("init")
        .args(args)
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .env("TERM", "xterm");
    let mut session = Session::spawn(command).expect("spawn on a pty");
    session.set_expect_timeout(Some(Duration::from_secs(20)));
    session
}

fn step(session: &mut expectrl::session::OsSession, prompt: &str, keys: &str) {
    session
        .expect(prompt)
        .unwrap_or_else(|e| panic!("waiting for {prompt:?}: {e}"));
    session.send(keys).unwrap();
}

/// Answers the last two questions (write `file`, do not render it), waits
/// for the wizard to end and returns what it wrote.
fn write_without_rendering(
    session: &mut expectrl::session::OsSession,
    dir: &TempDir,
    file: &str,
) -> String {
    step(session, &format!("Write {file}?"), "y\r");
    step(session, "Render it now", "n\r");
    session.expect(Eof).unwrap();
    fs::read_to_string(dir.path().join(file)).unwrap()
}

const EXPECTED: &str = "\
# yaml-language-server: $schema=../schema/harden-spec.schema.json
# Security spec for billing, written by `harden init`. Review it, then run
# `harden render` on this file to generate the hardened manifests.
apiVersion: harden.dev/v1alpha1
kind: SecuritySpec

# The application: names, compliance context, Pod Security pin.
app:
  # The app's name: a DNS-1035 label (lowercase letters, digits, '-').
  name: billing
  # Compliance contexts; each tightens validation.
  compliance: [soc2]
  # The Kubernetes minor version to pin Pod Security to, e.g. v1.33.
  podSecurityVersion: v1.33

# The container that runs the application.
workload:
  # The image, pinned by digest: registry/name@sha256:<digest>.
  image: ghcr.io/acme/billing@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
  # The container port the app listens on (1024 to 65535).
  port: 8080
  # Replicas; defaults to 2.
  replicas: 3

# Who may call the application; everything else is denied.
ingress:
  - namespace: gateway
    podLabels: {app: envoy}

# Where the application may call out to; everything else is denied.
egress:
  - name: redis
    podLabels: {app: redis}
    ports:
      - port: 6379

# The secrets the application reads, as files.
secrets:
  # `externalSecrets` (default) or `manual`.
  source: externalSecrets
  # The External Secrets store the keys are read from (source
  # externalSecrets).
  store: {name: vault, kind: ClusterSecretStore}
  # The keys of the app's Secret, each a file under mountPath.
  keys:
    - name: redis-password
      property: password

# The Dapr sidecar and its components.
dapr:
  # Whether the app runs with the Dapr sidecar (default true when the `dapr`
  # section is present).
  enabled: true
  # The app's Dapr components (state stores, pub/sub, bindings...), each
  # scoped to the app.
  components:
    - name: statestore
      type: state.redis
      metadata: {redisHost: redis:6379}
      secretMetadata:
        redisPassword: {key: redis-password}

# Facts of the target cluster (DNS, API server, CNI, versions).
cluster:
  # The distribution: its DNS, API-server port and defaults.
  preset: openshift
";

#[test]
fn a_full_session_writes_the_expected_spec() {
    let dir = TempDir::new().unwrap();
    let mut session = wizard(&dir, &[]);
    step(&mut session, "App name", "billing\r");
    step(&mut session, "Namespace", "\r");
    step(&mut session, "Compliance contexts", " \r");
    step(&mut session, "Kubernetes minor version", "\r");
    step(
        &mut session,
        "Image, pinned by digest",
        &format!("{IMAGE}\r"),
    );
    step(&mut session, "Container port", "\r");
    step(&mut session, "Replicas", "3\r");
    step(&mut session, "More workload settings", "n\r");
    step(&mut session, "Add a caller", "y\r");
    step(&mut session, "Caller kind", "\r");
    step(&mut session, "Caller name", "\r");
    step(&mut session, "Callers' namespace", "gateway\r");
    step(&mut session, "Callers' pod labels", "app=envoy\r");
    // Answers typed out and confirmed with Enter (one key used to answer
    // and the Enter spilled into the next question).
    step(&mut session, "Add another caller", "no\r");
    step(&mut session, "Add a destination", "yes\r");
    step(&mut session, "Destination kind", "\r");
    step(&mut session, "Destination name", "redis\r");
    step(&mut session, "Pods' namespace", "\r");
    step(&mut session, "Pods' labels", "app=redis\r");
    step(&mut session, "Ports", "6379\r");
    step(&mut session, "Add another destination", "n\r");
    step(&mut session, "read secrets", "y\r");
    step(&mut session, "Where do the values come from", "\r");
    step(&mut session, "Secret store name", "vault\r");
    step(&mut session, "Store kind", "\r");
    step(&mut session, "Directory the files are mounted at", "\r");
    step(&mut session, "How often the values are read again", "\r");
    step(
        &mut session,
        "Secret key (its file name",
        "redis-password\r",
    );
    // The remote key path is asked, with <app>/<key> offered.
    step(
        &mut session,
        "Where redis-password lives in the store",
        "\r",
    );
    step(&mut session, "Property inside that entry", "password\r");
    step(&mut session, "Add another secret key", "n\r");
    // The last preset: the list wraps upward from "not listed".
    step(&mut session, "Cluster it runs on", "\u{1b}[A\r");
    step(&mut session, "Kubernetes API", "n\r");
    step(&mut session, "Enable Dapr", "y\r");
    step(&mut session, "Dapr version", "\r");
    step(&mut session, "Dapr app-id", "\r");
    step(&mut session, "actors or workflows", "n\r");
    step(&mut session, "Add a Dapr component", "y\r");
    step(&mut session, "Component name", "statestore\r");
    step(&mut session, "Component type", "\r");
    step(&mut session, "redisHost", "redis:6379\r");
    step(
        &mut session,
        "Secret key holding redisPassword",
        "redis-password\r",
    );
    step(&mut session, "Other metadata", "\r");
    step(&mut session, "Other app-ids that may use it", "\r");
    step(&mut session, "Add a Dapr component", "n\r");
    step(&mut session, "May another Dapr app invoke", "n\r");
    step(&mut session, "Does this app invoke another Dapr app", "n\r");
    step(&mut session, "More Dapr settings", "n\r");
    step(&mut session, "Set another field?", "\r");
    let written = write_without_rendering(&mut session, &dir, "specs/billing.yaml");
    assert_eq!(written, EXPECTED);
    // Round trip: the written spec validates and renders unchanged.
    let model = harden::load::load_spec_text(&written, "specs/billing.yaml").unwrap();
    assert_eq!(model.workload.replicas, 3);
    assert_eq!(model.cluster.preset, Some("openshift"));
}

#[test]
fn a_bad_answer_is_asked_again_with_the_reason() {
    let dir = TempDir::new().unwrap();
    let mut session = wizard(
        &dir,
        &[
            "--image",
            IMAGE,
            "--port",
            "8080",
            "--replicas",
            "2",
            "--compliance",
            "soc2",
            "--pod-security-version",
            "v1.33",
            "--namespace",
            "billing",
            "--no-dapr",
        ],
    );
    step(&mut session, "App name", "Billing_API\r");
    step(
        &mut session,
        "may contain only lowercase letters, digits and '-'",
        "",
    );
    // The prompt is shown again; the right answer is accepted.
    session.send("\u{15}billing\r").unwrap();
    step(&mut session, "More workload settings", "n\r");
    step(&mut session, "Add a caller", "n\r");
    step(&mut session, "Add a destination", "n\r");
    step(&mut session, "read secrets", "n\r");
    step(&mut session, "Cluster it runs on", "\r");
    step(&mut session, "Kubernetes API", "n\r");
    step(&mut session, "Set another field?", "\r");
    let written = write_without_rendering(&mut session, &dir, "specs/billing.yaml");
    assert!(written.contains("  name: billing\n"), "{written}");
}

#[test]
fn an_existing_spec_is_not_overwritten() {
    let dir = TempDir::new().unwrap();
    fs::create_dir(dir.path().join("specs")).unwrap();
    fs::write(dir.path().join("specs/billing.yaml"), "mine\n").unwrap();
    let mut session = wizard(&dir, &[]);
    step(&mut session, "App name", "billing\r");
    session
        .expect("specs/billing.yaml exists; pass --force to overwrite it")
        .unwrap();
    session.expect(Eof).unwrap();
    assert_eq!(
        fs::read_to_string(dir.path().join("specs/billing.yaml")).unwrap(),
        "mine\n"
    );
}

fn run(dir: &TempDir, args: &[&str]) -> std::process::Output {
    Command::new(binary())
        .arg("init")
        .args(args)
        .current_dir(dir.path())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn flags_and_yes_need_no_terminal() {
    let dir = TempDir::new().unwrap();
    let output = run(
        &dir,
        &[
            "--name",
            "billing",
            "--image",
            IMAGE,
            "--yes",
            "--egress",
            "bank=cidr:203.0.113.0/24:443",
            "--secret",
            "db=billing/db#password",
            "--secret-store",
            "vault/SecretStore",
            "--render",
        ],
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "wrote specs/billing.yaml\nwrote schema/harden-spec.schema.json (the JSON Schema the spec names, for editors)\nrendered specs/billing.yaml to deploy/billing: 11 written, 0 unchanged\n"
    );
    // The `$schema` the spec names resolves in the user's repository.
    let schema = fs::read_to_string(dir.path().join("schema/harden-spec.schema.json")).unwrap();
    assert_eq!(schema.trim_end(), harden::commands::schema());
    let spec = fs::read_to_string(dir.path().join("specs/billing.yaml")).unwrap();
    assert!(spec.contains("    cidr: 203.0.113.0/24\n"), "{spec}");
    assert!(
        spec.contains("  store: {name: vault, kind: SecretStore}\n"),
        "{spec}"
    );
    // The same flags again: refused without --force, accepted with it.
    let again = run(&dir, &["--name", "billing", "--image", IMAGE, "--yes"]);
    assert_eq!(
        again.status.code(),
        Some(1),
        "a file in the way, as for render"
    );
    assert_eq!(
        String::from_utf8_lossy(&again.stderr),
        "error: specs/billing.yaml exists; pass --force to overwrite it\n"
    );
    assert_eq!(
        run(
            &dir,
            &["--name", "billing", "--image", IMAGE, "--yes", "--force"]
        )
        .status
        .code(),
        Some(0)
    );
}

#[test]
fn missing_values_without_a_terminal_are_listed() {
    let dir = TempDir::new().unwrap();
    let output = run(&dir, &["--port", "9000"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).starts_with(
        "error: standard input is not a terminal and these values are missing: --name, --image\n"
    ));
    assert!(!dir.path().join("specs").exists());
}

#[test]
fn invalid_flag_values_get_the_validate_messages() {
    let dir = TempDir::new().unwrap();
    let output = run(
        &dir,
        &["--name", "billing", "--image", "nginx:latest", "--yes"],
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("workload.image: \"nginx:latest\" uses the tag 'latest'"),
        "{stderr}"
    );
    assert!(stderr.ends_with("nothing was written\n"), "{stderr}");
    let output = run(
        &dir,
        &["--name", "billing", "--image", IMAGE, "--egress", "oops"],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("expected NAME=TARGET:PORTS"));
}

/// `--compliance hipaa --yes` turns Dapr on as the questions do (HIPAA
/// 164.312(e)(1) needs its mTLS); it was a usage error without `--dapr`.
#[test]
fn hipaa_with_yes_turns_dapr_on_as_the_questions_do() {
    let dir = TempDir::new().unwrap();
    let output = run(
        &dir,
        &[
            "--name",
            "billing",
            "--image",
            IMAGE,
            "--compliance",
            "hipaa",
            "--yes",
        ],
    );
    assert!(output.status.success(), "{output:?}");
    let written = fs::read_to_string(dir.path().join("specs/billing.yaml")).unwrap();
    assert!(
        written.contains("dapr:\n  # Whether the app runs with the Dapr sidecar")
            && written.contains("\n  enabled: true\n"),
        "{written}"
    );
}

/// The answers the questions take have flags too: host names with their
/// enforcement, Dapr invocation and version, and any other field by path.
#[test]
fn flags_reach_hosts_invocation_and_any_field() {
    let dir = TempDir::new().unwrap();
    let output = run(
        &dir,
        &[
            "--name",
            "claims",
            "--image",
            IMAGE,
            "--egress",
            "openai=hosts:api.openai.com,*.openai.com:443",
            "--enforcement",
            "cilium",
            "--invokes",
            "inventory/stock",
            "--dapr-version",
            "1.16",
            "--secret",
            "db=claims/postgres#password",
            "--secret-store",
            "vault",
            "--set",
            "workload.runAsUser=20001",
            "--set",
            "secrets.refreshInterval=15m",
            "--yes",
        ],
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let written = fs::read_to_string(dir.path().join("specs/claims.yaml")).unwrap();
    let spec = harden::yaml::parse_document::<harden::spec::Spec>(&written)
        .unwrap()
        .value;
    assert_eq!(spec.egress[0].hosts, ["api.openai.com", "*.openai.com"]);
    assert_eq!(spec.network.unwrap().enforcement.as_deref(), Some("cilium"));
    let dapr = spec.dapr.unwrap();
    assert_eq!(dapr.version.as_deref(), Some("1.16"));
    assert_eq!(dapr.invokes[0].app_id.as_deref(), Some("inventory"));
    assert_eq!(dapr.invokes[0].namespace.as_deref(), Some("stock"));
    assert_eq!(spec.workload.unwrap().run_as_user, Some(20001));
    let secrets = spec.secrets.unwrap();
    assert_eq!(secrets.refresh_interval.as_deref(), Some("15m"));
    assert_eq!(
        secrets.keys[0].remote_key.as_deref(),
        Some("claims/postgres")
    );
    harden::load::load_spec_text(&written, "specs/claims.yaml").unwrap();
    // A mistyped path is refused with the field it meant.
    let output = run(
        &dir,
        &[
            "--name",
            "other",
            "--image",
            IMAGE,
            "--set",
            "workload.runAsUsr=20001",
            "--yes",
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("did you mean 'runAsUser'"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// An image pinned by tag only: the wizard names the risk and offers the
/// opt-in its own error recommends; declined, the image is asked again.
#[test]
fn a_tag_only_image_is_offered_the_opt_in() {
    let dir = TempDir::new().unwrap();
    let mut session = wizard(
        &dir,
        &[
            "--name",
            "billing",
            "--namespace",
            "billing",
            "--compliance",
            "soc2",
            "--pod-security-version",
            "v1.33",
            "--port",
            "8080",
            "--replicas",
            "2",
            "--no-dapr",
            "--cluster",
            "kind",
        ],
    );
    step(
        &mut session,
        "Image, pinned by digest",
        "ghcr.io/acme/billing:1.2.3\r",
    );
    step(&mut session, "Accept that risk", "n\r");
    step(
        &mut session,
        "Image, pinned by digest",
        "ghcr.io/acme/billing:1.2.4\r",
    );
    step(&mut session, "Accept that risk", "y\r");
    step(&mut session, "More workload settings", "n\r");
    step(&mut session, "Add a caller", "n\r");
    // Host names at the address prompt, and no Cilium: the addresses are
    // asked instead (no dead end either way).
    step(&mut session, "Add a destination", "y\r");
    step(&mut session, "Destination kind", "\u{1b}[B\r");
    step(&mut session, "Destination name", "openai\r");
    step(&mut session, "Addresses (CIDR", "api.openai.com\r");
    step(&mut session, "Ports", "443\r");
    step(&mut session, "Add another destination", "n\r");
    step(&mut session, "read secrets", "n\r");
    step(&mut session, "Does the cluster run Cilium", "n\r");
    step(
        &mut session,
        "Addresses (CIDR) of api.openai.com instead",
        "203.0.113.0/24\r",
    );
    step(&mut session, "Kubernetes API", "n\r");
    step(&mut session, "Set another field?", "\r");
    let written = write_without_rendering(&mut session, &dir, "specs/billing.yaml");
    let spec = harden::yaml::parse_document::<harden::spec::Spec>(&written)
        .unwrap()
        .value;
    let workload = spec.workload.unwrap();
    assert_eq!(
        workload.image.as_deref(),
        Some("ghcr.io/acme/billing:1.2.4")
    );
    assert!(workload.allow_tag_only_image);
    assert!(spec.egress[0].hosts.is_empty());
    assert_eq!(spec.egress[0].cidr.as_deref(), Some("203.0.113.0/24"));
    assert!(spec.network.is_none());
}

/// A spec that names another service is checked with the specs beside it
/// before it is written: a name that is no app of theirs is refused with
/// the spec's own path, and nothing is left behind.
#[test]
fn a_reference_to_another_app_is_checked_with_its_workspace() {
    let dir = TempDir::new().unwrap();
    let make = |name: &str, egress: &str| {
        let output = run(
            &dir,
            &[
                "--name",
                name,
                "--image",
                IMAGE,
                "--egress",
                egress,
                "--ingress",
                "web",
                "--yes",
            ],
        );
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    // Alone, a reference has nothing to resolve against.
    let (code, stderr) = make("web", "app:api");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("holds no other spec"), "{stderr}");
    assert_eq!(
        make("api", "db=cidr:10.0.0.0/24:5432"),
        (Some(0), String::new())
    );
    let (code, stderr) = make("web", "app:apii");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("specs/web.yaml"), "{stderr}");
    assert!(!stderr.contains(".harden-init-"), "{stderr}");
    assert!(stderr.ends_with("nothing was written\n"), "{stderr}");
    assert_eq!(make("web", "app:api"), (Some(0), String::new()));
    let mut left: Vec<_> = fs::read_dir(dir.path().join("specs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(left, ["api.yaml", "web.yaml"]);
}

/// The workload questions offer what `--set` gave, and keep it on Enter.
#[test]
fn more_workload_settings_keep_what_the_flags_gave() {
    let dir = TempDir::new().unwrap();
    let mut session = wizard(
        &dir,
        &[
            "--name",
            "billing",
            "--namespace",
            "billing",
            "--compliance",
            "soc2",
            "--pod-security-version",
            "v1.33",
            "--image",
            IMAGE,
            "--port",
            "8080",
            "--replicas",
            "2",
            "--no-dapr",
            "--cluster",
            "kind",
            "--set",
            "workload.runAsUser=20001",
            "--set",
            "workload.probes.liveness={path: /livez, initialDelaySeconds: 15}",
            "--set",
            "workload.probes.readiness.periodSeconds=10",
        ],
    );
    step(&mut session, "More workload settings", "y\r");
    step(&mut session, "Numeric user id", "\r");
    step(&mut session, "Resource requests", "\r");
    step(&mut session, "Resource limits", "\r");
    step(&mut session, "Directories the app writes to", "\r");
    step(&mut session, "Liveness probe", "\r");
    step(&mut session, "Readiness probe", "/ready\r");
    step(&mut session, "Add a caller", "n\r");
    step(&mut session, "Add a destination", "n\r");
    step(&mut session, "read secrets", "n\r");
    step(&mut session, "Kubernetes API", "n\r");
    step(&mut session, "Set another field?", "\r");
    let written = write_without_rendering(&mut session, &dir, "specs/billing.yaml");
    let workload = harden::yaml::parse_document::<harden::spec::Spec>(&written)
        .unwrap()
        .value
        .workload
        .unwrap();
    assert_eq!(workload.run_as_user, Some(20001), "{written}");
    let probes = workload.probes.unwrap();
    let liveness = probes.liveness.unwrap();
    assert_eq!(
        (liveness.path.as_deref(), liveness.initial_delay_seconds),
        (Some("/livez"), Some(15))
    );
    let readiness = probes.readiness.unwrap();
    assert_eq!(
        (readiness.path.as_deref(), readiness.period_seconds),
        (Some("/ready"), Some(10))
    );
}

/// The Dapr fields that were only reachable by `--set` are asked: a secret
/// store's readable secrets, a caller's operations, the workflow callers
/// (here: no other app), other APIs and an app token outside pci-dss.
#[test]
fn the_dapr_access_fields_are_asked() {
    let dir = TempDir::new().unwrap();
    let mut session = wizard(
        &dir,
        &[
            "--name",
            "ledger",
            "--image",
            IMAGE,
            "--port",
            "8080",
            "--replicas",
            "2",
            "--compliance",
            "soc2",
            "--pod-security-version",
            "v1.33",
            "--namespace",
            "ledger",
        ],
    );
    step(&mut session, "More workload settings", "n\r");
    step(&mut session, "Add a caller", "n\r");
    step(&mut session, "Add a destination", "n\r");
    step(&mut session, "read secrets", "n\r");
    step(&mut session, "Cluster it runs on", "\r");
    step(&mut session, "Kubernetes API", "n\r");
    step(&mut session, "Enable Dapr", "y\r");
    step(&mut session, "Dapr version", "\r");
    step(&mut session, "Dapr app-id", "\r");
    step(&mut session, "actors or workflows", "y\r");
    // Down twice: no other app.
    step(&mut session, "call its workflows", "\u{1b}[B\u{1b}[B\r");
    step(&mut session, "Add a Dapr component", "y\r");
    step(&mut session, "Component name", "vault\r");
    // The last item: a type typed out.
    step(&mut session, "Component type", "\u{1b}[A\r");
    step(
        &mut session,
        "Component type (e.g.",
        "secretstores.hashicorp.vault\r",
    );
    step(
        &mut session,
        "Secrets the app may read from it",
        "db-password, api-key\r",
    );
    step(&mut session, "Other metadata", "\r");
    step(&mut session, "Other app-ids that may use it", "\r");
    step(&mut session, "Add a Dapr component", "n\r");
    step(&mut session, "May another Dapr app invoke", "y\r");
    step(&mut session, "Caller's app-id", "billing\r");
    step(&mut session, "Caller's namespace", "billing\r");
    // A verb in lower case is refused with the reason, then corrected.
    step(&mut session, "Operations it may invoke", "/entries post\r");
    step(&mut session, "upper case", "");
    session
        .send("\u{15}/entries POST; /entries/* GET\r")
        .unwrap();
    step(&mut session, "Add another caller app-id", "n\r");
    step(&mut session, "Does this app invoke another Dapr app", "n\r");
    step(&mut session, "More Dapr settings", "y\r");
    step(&mut session, "Dapr APIs the app calls beyond", "metadata\r");
    step(
        &mut session,
        "Secret holding a token the sidecar sends",
        "ledger-app-token\r",
    );
    step(&mut session, "Set another field?", "\r");
    let written = write_without_rendering(&mut session, &dir, "specs/ledger.yaml");
    let spec = harden::yaml::parse_document::<harden::spec::Spec>(&written)
        .unwrap()
        .value;
    let dapr = spec.dapr.unwrap();
    assert_eq!(dapr.workflow_callers, Some(Vec::new()), "{written}");
    assert_eq!(
        dapr.components[0].allowed_secrets,
        ["db-password", "api-key"]
    );
    let operations = &dapr.invoked_by[0].operations;
    assert_eq!(operations.len(), 2, "{written}");
    assert_eq!(operations[1].path.as_deref(), Some("/entries/*"));
    assert_eq!(operations[1].verbs, ["GET"]);
    assert_eq!(dapr.apis, ["metadata"]);
    assert_eq!(dapr.app_token_secret.as_deref(), Some("ledger-app-token"));
    let model = harden::load::load_spec_text(&written, "specs/ledger.yaml").unwrap();
    assert!(
        model
            .dapr
            .unwrap()
            .workflow_policy
            .unwrap()
            .callers
            .is_empty()
    );
}
