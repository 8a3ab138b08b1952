//! One rule for every command: a spec of a workspace is judged with its
//! workspace, and no path means the workspace. A three-service workspace
//! whose specs name each other with `app:` is given to every command as one
//! spec, as its directory and as no path: all succeed, and agree.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use tempfile::TempDir;

const IMAGE: &str = "ghcr.io/example/{app}@sha256:{digest}";

fn spec(app: &str, namespace: &str, port: u32, digit: char, flows: &str) -> String {
    let image = IMAGE
        .replace("{app}", app)
        .replace("{digest}", &digit.to_string().repeat(64));
    format!(
        "apiVersion: harden.dev/v1alpha1\nkind: SecuritySpec\n\
         app: {{name: {app}, namespace: {namespace}, compliance: [hipaa]}}\n\
         workload:\n  image: {image}\n  port: {port}\n{flows}dapr: {{enabled: true}}\n"
    )
}

/// intake (called by Envoy) calls eligibility, which calls ledger in
/// another namespace, which reaches its database.
fn workspace() -> TempDir {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("harden.yaml"), "specs: [specs]\n").unwrap();
    fs::create_dir(dir.path().join("specs")).unwrap();
    let specs = [
        (
            "intake",
            spec(
                "intake",
                "claims",
                8080,
                '1',
                "ingress:\n  - name: envoy\n    namespace: envoy-gateway-system\n    podLabels: {app.kubernetes.io/name: envoy}\negress:\n  - app: eligibility\n",
            ),
        ),
        (
            "eligibility",
            spec(
                "eligibility",
                "claims",
                8081,
                '2',
                "ingress:\n  - app: intake\negress:\n  - app: ledger\n",
            ),
        ),
        (
            "ledger",
            spec(
                "ledger",
                "records",
                8082,
                '3',
                "ingress:\n  - app: eligibility\negress:\n  - name: postgres\n    namespace: databases\n    podLabels: {cnpg.io/cluster: ledger-db}\n    ports: [{port: 5432}]\n",
            ),
        ),
    ];
    for (app, text) in specs {
        fs::write(dir.path().join(format!("specs/{app}.yaml")), text).unwrap();
    }
    dir
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_harden"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let output = run(dir, args);
    assert_eq!(
        output.status.code(),
        Some(0),
        "harden {}: {}{}",
        args.join(" "),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn every_command_takes_one_spec_the_directory_or_no_path_and_they_agree() {
    let ws = workspace();
    let dir = ws.path();
    let one = "specs/eligibility.yaml";

    // validate: the spec alone is judged with its workspace.
    assert_eq!(
        ok(dir, &["validate", one]),
        "specs/eligibility.yaml: valid\n"
    );
    let all = ok(dir, &["validate", "specs"]);
    assert_eq!(ok(dir, &["validate"]), all);
    assert!(all.contains("specs/eligibility.yaml: valid\n"), "{all}");
    assert_eq!(all.lines().count(), 3, "{all}");

    // graph: the workspace with no path as with its directory; one spec
    // draws its neighbourhood, the drawing its posture document carries.
    let whole = ok(dir, &["graph", "specs"]);
    assert_eq!(ok(dir, &["graph"]), whole);
    let neighbourhood = ok(dir, &["graph", one]);
    assert!(neighbourhood.contains("svc_eligibility"));
    assert!(!neighbourhood.contains("postgres"), "{neighbourhood}");
    assert!(whole.contains("postgres"), "{whole}");

    // render: one spec, then the rest; check and diff agree on all three forms.
    ok(dir, &["render", one]);
    ok(dir, &["render"]);
    for args in [
        vec!["check", one],
        vec!["check", "specs"],
        vec!["check"],
        vec!["diff", one],
        vec!["diff", "specs"],
        vec!["diff"],
    ] {
        ok(dir, &args);
    }

    // reach: the spec, the directory of specs (not "no workloads") and no
    // path; the specs' picture is the rendered output's.
    let spec_reach = ok(dir, &["reach", one]);
    assert!(
        spec_reach.contains("specs/eligibility.yaml: "),
        "{spec_reach}"
    );
    let specs_reach = ok(dir, &["reach", "specs"]);
    assert_eq!(ok(dir, &["reach"]), specs_reach);
    assert!(specs_reach.starts_with("3 workloads"), "{specs_reach}");
    let deploy_reach = ok(dir, &["reach", "deploy"]);
    assert!(
        specs_reach.starts_with(&deploy_reach),
        "{specs_reach}\n---\n{deploy_reach}"
    );

    // render --out: the spec with its workspace too (its `app:` peers
    // resolved, its neighbourhood in the posture document), so the bytes
    // are those `check` expects in deploy/eligibility; nothing else written.
    let out = dir.join("preview");
    ok(dir, &["render", one, "--out", "preview"]);
    let written = |dir: &Path| {
        let mut files: Vec<(String, Vec<u8>)> = fs::read_dir(dir)
            .unwrap()
            .map(|entry| {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                (name, fs::read(&path).unwrap())
            })
            .collect();
        files.sort();
        files
    };
    assert_eq!(written(&out), written(&dir.join("deploy/eligibility")));
    assert!(!dir.join("preview/namespaces").exists());

    // posture: the document `render` wrote, byte for byte (neighbourhood
    // and all), not a second opinion from the spec alone.
    let posture = ok(dir, &["posture", one]);
    let written = fs::read_to_string(dir.join("deploy/eligibility/SECURITY-POSTURE.md")).unwrap();
    assert_eq!(posture, written);
    assert!(posture.contains(&neighbourhood), "{posture}");
}

/// The hooks of `.pre-commit-hooks.yaml`, run as pre-commit runs them on a
/// commit that changes one spec of the workspace: `entry`, `args`, and the
/// changed file unless `pass_filenames: false`.
#[test]
fn the_pre_commit_hooks_pass_on_a_changed_spec_of_the_workspace() {
    let ws = workspace();
    let dir = ws.path();
    ok(dir, &["render"]);
    let hooks =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"))
            .unwrap();
    let mut ran = 0;
    for hook in hooks.split("\n- id: ").skip(1) {
        let field = |name: &str| {
            hook.lines()
                .find_map(|l| l.trim().strip_prefix(&format!("{name}: ")))
                .map(str::to_string)
        };
        let entry = field("entry").unwrap();
        let mut args: Vec<String> = entry.split_whitespace().skip(1).map(String::from).collect();
        if let Some(list) = field("args") {
            args.extend(
                list.trim_matches(|c| c == '[' || c == ']')
                    .split(',')
                    .map(|a| a.trim().to_string())
                    .filter(|a| !a.is_empty()),
            );
        }
        if field("pass_filenames").as_deref() != Some("false") {
            args.push("specs/eligibility.yaml".into());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        ok(dir, &args);
        ran += 1;
    }
    assert_eq!(ran, 2, "hooks run: {ran}");
}
