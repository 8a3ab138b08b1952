//! `harden audit` on input nobody here wrote: List kinds, files that do not
//! parse, JSON manifests, deprecated fields, secrets in plain env values,
//! privileged namespaces, waivers, rule selection, SARIF paths, and every
//! published manifest set of ../shared/realworld.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

fn harden() -> Command {
    Command::cargo_bin("harden").unwrap()
}

/// Writes `files` into a fresh directory (with a `.git` so it is the
/// repository root) and returns it.
fn project(files: &[(&str, &str)]) -> TempDir {
    let dir = TempDir::new().unwrap();
    fs::create_dir(dir.path().join(".git")).unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    dir
}

/// Runs the audit with `--format json` in `dir`; returns the exit code and report.
fn audit_json(dir: &Path, args: &[&str]) -> (i32, Value) {
    let output = harden()
        .current_dir(dir)
        .arg("audit")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code().unwrap(), report)
}

fn findings<'a>(report: &'a Value, rule: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect()
}

fn line_of(text: &str, needle: &str) -> u64 {
    text.lines().position(|l| l.contains(needle)).unwrap() as u64 + 1
}

const PRIVILEGED_POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: x
spec:
  containers:
    - name: c
      image: nginx:1.27
      securityContext:
        privileged: true
";

#[test]
fn list_items_are_audited_each_at_its_own_line() {
    let list = "apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ServiceAccount
    metadata:
      name: quiet
  - apiVersion: v1
    kind: Pod
    metadata:
      name: loud
    spec:
      containers:
        - name: c
          image: nginx:1.27
          securityContext:
            privileged: true
";
    let roles = "apiVersion: rbac.authorization.k8s.io/v1
kind: RoleList
items:
  - apiVersion: rbac.authorization.k8s.io/v1
    kind: Role
    metadata:
      name: r
      namespace: x
    rules:
      - apiGroups: [\"*\"]
        resources: [pods]
        verbs: [get]
";
    let dir = project(&[("list.yaml", list), ("roles.yaml", roles)]);
    let (code, report) = audit_json(dir.path(), &["."]);
    assert_eq!(code, 1);
    let privileged = findings(&report, "pss/privileged");
    assert_eq!(privileged.len(), 1, "{report:#}");
    assert_eq!(privileged[0]["resource"], "Pod/default/loud");
    assert_eq!(privileged[0]["line"], line_of(list, "privileged: true"));
    let wildcard = findings(&report, "control/rbac-wildcard");
    assert_eq!(wildcard.len(), 1, "{report:#}");
    assert_eq!(wildcard[0]["resource"], "Role/x/r");
    assert_eq!(wildcard[0]["line"], line_of(roles, "apiGroups"));
    assert_eq!(report["summary"]["objects"], 3);
}

#[test]
fn an_unparsable_file_is_a_finding_beside_the_others_and_exits_2() {
    let template =
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Values.name }}\n  labels: [x\n";
    let dir = project(&[("a-template.yaml", template), ("b.yaml", PRIVILEGED_POD)]);
    let (code, report) = audit_json(dir.path(), &["."]);
    assert_eq!(code, 2);
    let unparsable = findings(&report, "input/unparsable");
    assert_eq!(unparsable.len(), 1, "{report:#}");
    assert_eq!(unparsable[0]["file"], "a-template.yaml");
    assert!(unparsable[0]["line"].as_u64().unwrap() >= 4, "{report:#}");
    assert!(!unparsable[0]["message"].as_str().unwrap().is_empty());
    assert_eq!(findings(&report, "pss/privileged").len(), 1, "{report:#}");
    // SARIF stays complete too.
    let output = harden()
        .current_dir(dir.path())
        .args(["audit", ".", "--format", "sarif"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let sarif: Value = serde_json::from_slice(&output.stdout).unwrap();
    let rules: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"input/unparsable") && rules.contains(&"pss/privileged"));
}

#[test]
fn the_deprecated_service_account_field_names_the_account() {
    let pod = "apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: x
spec:
  serviceAccount: own
  containers:
    - name: c
      image: nginx:1.27
";
    let dir = project(&[("pod.yaml", pod)]);
    let (_, report) = audit_json(dir.path(), &["pod.yaml"]);
    assert!(
        findings(&report, "control/dedicated-service-account").is_empty(),
        "{report:#}"
    );
}

#[test]
fn an_empty_secret_value_is_not_a_secret_in_git() {
    let empty = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: csrf\n  namespace: x\ntype: Opaque\ndata:\n  csrf: \"\"\n";
    let full = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: x\nstringData:\n  password: hunter2\n";
    let dir = project(&[("empty.yaml", empty), ("full.yaml", full)]);
    let (_, report) = audit_json(dir.path(), &["."]);
    let found = findings(&report, "control/secret-values-in-manifests");
    assert_eq!(found.len(), 1, "{report:#}");
    assert_eq!(found[0]["resource"], "Secret/x/db");
    assert_eq!(found[0]["line"], line_of(full, "password"));
}

#[test]
fn a_role_limited_to_named_secrets_is_reported_apart() {
    let roles = "apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: named
  namespace: x
rules:
  - apiGroups: [\"\"]
    resources: [secrets]
    resourceNames: [app-key]
    verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: all
  namespace: x
rules:
  - apiGroups: [\"\"]
    resources: [secrets]
    verbs: [get, list]
";
    let dir = project(&[("roles.yaml", roles)]);
    let (_, report) = audit_json(dir.path(), &["."]);
    let all = findings(&report, "control/rbac-secrets");
    let named = findings(&report, "control/rbac-named-secrets");
    assert_eq!(all.len(), 1, "{report:#}");
    assert_eq!(all[0]["resource"], "Role/x/all");
    assert_eq!(named.len(), 1, "{report:#}");
    assert_eq!(named[0]["resource"], "Role/x/named");
    assert_eq!(named[0]["severity"], "low");
    assert!(named[0]["message"].as_str().unwrap().contains("app-key"));
}

#[test]
fn secrets_in_plain_env_values_are_found_and_references_are_not() {
    let pod = "apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: x
spec:
  containers:
    - name: c
      image: nginx:1.27
      env:
        - name: STRIPE
          value: sk_live_4eC39HqLyjWDarjtT1zdp7dc
        - name: GH
          value: ghp_16C7e42F292c6912E7710c838347Ae178B4a
        - name: AWS_ID
          value: AKIAIOSFODNN7EXAMPLE
        - name: SLACK
          value: xoxb-1234-5678-abcdef
        - name: SESSION
          value: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl
        - name: TLS
          value: \"-----BEGIN PRIVATE KEY-----\\nMIIB\\n-----END PRIVATE KEY-----\"
        - name: DB_PASSWORD
          value: hunter2
        - name: EMPTY_PASSWORD
          value: \"\"
        - name: PLACEHOLDER_TOKEN
          value: \"${TOKEN}\"
        - name: TOKEN_PATH
          value: /var/run/secrets/token
        - name: REF_PASSWORD
          valueFrom:
            secretKeyRef: {name: db, key: password}
        - name: GREETING
          value: hello
";
    let dir = project(&[("pod.yaml", pod)]);
    let (_, report) = audit_json(dir.path(), &["pod.yaml"]);
    let found: Vec<String> = findings(&report, "control/secret-values-in-env")
        .iter()
        .map(|f| {
            let message = f["message"].as_str().unwrap();
            message.split_whitespace().nth(2).unwrap().to_string()
        })
        .collect();
    assert_eq!(
        found,
        [
            "STRIPE",
            "GH",
            "AWS_ID",
            "SLACK",
            "SESSION",
            "TLS",
            "DB_PASSWORD"
        ],
        "{report:#}"
    );
    let first = findings(&report, "control/secret-values-in-env")[0];
    assert_eq!(first["line"], line_of(pod, "sk_live_"));
}

#[test]
fn a_privileged_namespace_is_reported_and_judged_at_the_given_level() {
    let namespace = "apiVersion: v1
kind: Namespace
metadata:
  name: x
  labels:
    pod-security.kubernetes.io/enforce: privileged
";
    let dir = project(&[("ns.yaml", namespace), ("pod.yaml", PRIVILEGED_POD)]);
    let (code, report) = audit_json(dir.path(), &[".", "--only", "pss"]);
    assert_eq!(code, 1, "{report:#}");
    let label = findings(&report, "pss/namespace-privileged");
    assert_eq!(label.len(), 1, "{report:#}");
    assert_eq!(label[0]["line"], line_of(namespace, "enforce: privileged"));
    assert!(findings(&report, "pss/privileged").is_empty());
    let (_, forced) = audit_json(
        dir.path(),
        &[".", "--only", "pss", "--pss-level", "baseline"],
    );
    assert_eq!(findings(&forced, "pss/privileged").len(), 1, "{forced:#}");
    assert_eq!(findings(&forced, "pss/namespace-privileged").len(), 1);
}

#[test]
fn directories_read_json_and_a_path_without_manifests_exits_2() {
    let json = r#"{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "j", "namespace": "x"},
 "spec": {"containers": [{"name": "c", "image": "nginx:1.27", "securityContext": {"privileged": true}}]}}"#;
    let dir = project(&[("m/pod.json", json), ("empty/README.md", "nothing\n")]);
    let (_, report) = audit_json(dir.path(), &["m"]);
    assert_eq!(findings(&report, "pss/privileged").len(), 1, "{report:#}");
    harden()
        .current_dir(dir.path())
        .args(["audit", "empty"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no Kubernetes manifests"));
}

#[test]
fn sarif_paths_are_relative_to_the_repository_root_on_the_exact_line() {
    let dir = project(&[("deploy/app/pod.yaml", PRIVILEGED_POD)]);
    let output = harden()
        .current_dir(dir.path().join("deploy"))
        .args(["audit", "app", "--format", "sarif"])
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&output.stdout).unwrap();
    let run = &sarif["runs"][0];
    let root = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(root.starts_with("file://") && root.ends_with('/'), "{root}");
    let result = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "pss/privileged")
        .unwrap();
    let location = &result["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "deploy/app/pod.yaml");
    assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert_eq!(
        location["region"]["startLine"],
        line_of(PRIVILEGED_POD, "privileged: true")
    );
}

const WAIVED_POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: x
  annotations:
    harden.dev/waive: |
      pss/privileged: the node agent needs the host's devices
      hardening/probes: a batch helper, nothing to probe
spec:
  serviceAccountName: p
  automountServiceAccountToken: false
  containers:
    - name: c
      image: nginx:1.27
      securityContext:
        privileged: true
";

#[test]
fn waivers_by_annotation_and_file_suppress_with_their_reason() {
    let waivers = "waivers:
  - rule: control/image-digest
    resource: Pod/x/*
    reason: pinned by the release pipeline
    expires: 2999-12-31
  - rule: hardening/resources
    resource: Pod/x/p
    reason: old waiver
    expires: 2000-01-01
";
    let dir = project(&[("pod.yaml", WAIVED_POD), ("harden-waivers.yaml", waivers)]);
    let (_, report) = audit_json(dir.path(), &["pod.yaml"]);
    // A Pod Security rule cannot be waived on the object it judges: the
    // finding stands and the refused waiver is a finding of its own.
    let privileged = findings(&report, "pss/privileged");
    assert!(privileged[0].get("suppressed").is_none(), "{report:#}");
    let refused = findings(&report, "input/waiver-refused");
    assert_eq!(refused.len(), 1, "{report:#}");
    assert!(
        refused[0]["message"].as_str().unwrap().contains(
            "a Pod Security rule (pss/privileged) may not be waived on the object it judges"
        ),
        "{report:#}"
    );
    let probes = findings(&report, "hardening/probes");
    assert_eq!(
        probes[0]["suppressed"]["reason"],
        "a batch helper, nothing to probe"
    );
    let digest = findings(&report, "control/image-digest");
    assert_eq!(
        digest[0]["suppressed"]["reason"],
        "pinned by the release pipeline"
    );
    // The expired waiver waives nothing and is a finding itself.
    assert!(
        findings(&report, "hardening/resources")[0]
            .get("suppressed")
            .is_none()
    );
    let expired = findings(&report, "input/waiver-expired");
    assert_eq!(expired.len(), 1, "{report:#}");
    assert_eq!(expired[0]["line"], line_of(waivers, "2000-01-01"));
    // The default waiver file is named relative to where the audit runs.
    assert_eq!(expired[0]["file"], "harden-waivers.yaml");
    // Text hides waived findings unless asked.
    let text = harden()
        .current_dir(dir.path())
        .args(["audit", "pod.yaml"])
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(!text.contains("hardening/probes  "), "{text}");
    assert!(text.contains("waived"), "{text}");
    let shown = harden()
        .current_dir(dir.path())
        .args(["audit", "pod.yaml", "--show-waived"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8(shown.stdout)
            .unwrap()
            .contains("[waived: a batch helper")
    );
    // SARIF marks them suppressed with the justification.
    let sarif = harden()
        .current_dir(dir.path())
        .args(["audit", "pod.yaml", "--format", "sarif"])
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let result = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "hardening/probes")
        .unwrap();
    assert_eq!(result["suppressions"][0]["kind"], "inSource");
    assert_eq!(
        result["suppressions"][0]["justification"],
        "a batch helper, nothing to probe"
    );
}

/// The platform decides, in harden.yaml: which rules an object may waive
/// on itself, which none may, an owner and a bounded expiry for the waiver
/// file; `--no-annotation-waivers` refuses every annotation; a waiver of
/// the file that matches no finding is reported.
#[test]
fn the_waiver_policy_of_harden_yaml_decides_what_may_be_waived_where() {
    // Allowed by the policy: the Pod's own pss/privileged waiver counts.
    let allowed = "waivers:\n  annotation: [\"pss/*\", \"hardening/*\"]\n";
    let dir = project(&[("pod.yaml", WAIVED_POD), ("harden.yaml", allowed)]);
    let (_, report) = audit_json(dir.path(), &["pod.yaml"]);
    assert!(
        findings(&report, "pss/privileged")[0]
            .get("suppressed")
            .is_some()
    );
    let (_, report) = audit_json(dir.path(), &["pod.yaml", "--no-annotation-waivers"]);
    assert!(
        findings(&report, "pss/privileged")[0]
            .get("suppressed")
            .is_none()
    );
    assert_eq!(findings(&report, "input/waiver-refused").len(), 2);
    // Never, owner and maxDays bind the waiver file (input errors, exit 2).
    let policy = "waivers:\n  never: [\"pss/privileged\"]\n  owner: true\n  maxDays: 90\n";
    let file = "waivers:
  - rule: pss/privileged
    reason: r
    owner: team-a
    expires: 2000-01-01
  - rule: control/image-digest
    reason: r
    expires: 2000-01-01
  - rule: hardening/resources
    reason: r
    owner: team-a
  - rule: hardening/low-uid
    reason: r
    owner: team-a
    expires: 2999-01-01
";
    let dir = project(&[
        ("pod.yaml", PRIVILEGED_POD),
        ("harden.yaml", policy),
        ("harden-waivers.yaml", file),
    ]);
    let (code, report) = audit_json(dir.path(), &["pod.yaml"]);
    assert_eq!(code, 2, "{report:#}");
    let messages: Vec<&str> = findings(&report, "input/invalid-waiver")
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(messages.len(), 4, "{messages:#?}");
    assert!(
        messages[0].contains("lets no waiver accept pss/privileged"),
        "{messages:#?}"
    );
    assert!(messages[1].contains("owner is missing"), "{messages:#?}");
    assert!(messages[2].contains("expires is missing"), "{messages:#?}");
    assert!(
        messages[3].contains("more than 90 days ahead"),
        "{messages:#?}"
    );
    // A waiver that matches nothing is stale.
    let file = "waivers:
  - rule: hardening/low-uid
    resource: Pod/x/*
    reason: the image runs as 1000
";
    let dir = project(&[("pod.yaml", PRIVILEGED_POD), ("harden-waivers.yaml", file)]);
    let (_, report) = audit_json(dir.path(), &["pod.yaml"]);
    let stale = findings(&report, "input/waiver-stale");
    assert_eq!(stale.len(), 1, "{report:#}");
    assert_eq!(stale[0]["line"], 2);
    let (_, report) = audit_json(dir.path(), &["pod.yaml", "--only", "pss"]);
    assert!(findings(&report, "input/waiver-stale").is_empty());
}

#[test]
fn waived_findings_never_fail_the_gate() {
    let pod = "apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: x
  annotations:
    harden.dev/waive: \"pss/privileged: needs the host's devices\"
spec:
  containers:
    - name: c
      image: nginx:1.27
      securityContext:
        privileged: true
";
    // On the object itself, a Pod Security waiver is refused: the gate fails.
    let dir = project(&[("pod.yaml", pod)]);
    let (code, _) = audit_json(dir.path(), &["pod.yaml", "--rule", "pss/privileged"]);
    assert_eq!(code, 1);
    // In the central waiver file it counts.
    let file = "waivers:\n  - rule: pss/privileged\n    resource: Pod/x/p\n    reason: needs the host's devices\n";
    let dir = project(&[("pod.yaml", PRIVILEGED_POD), ("harden-waivers.yaml", file)]);
    let (code, _) = audit_json(dir.path(), &["pod.yaml", "--rule", "pss/privileged"]);
    assert_eq!(code, 0);
    let (code, _) = audit_json(dir.path(), &["pod.yaml", "--rule", "pss/runAsNonRoot"]);
    assert_eq!(code, 1);
}

#[test]
fn a_waiver_naming_an_unknown_rule_is_an_input_error() {
    let annotated = WAIVED_POD.replace("hardening/probes:", "hardening/probe:");
    let dir = project(&[("pod.yaml", &annotated)]);
    let (code, report) = audit_json(dir.path(), &["pod.yaml"]);
    assert_eq!(code, 2);
    let invalid = findings(&report, "input/invalid-waiver");
    assert_eq!(invalid.len(), 1, "{report:#}");
    assert!(
        invalid[0]["message"]
            .as_str()
            .unwrap()
            .ends_with("which is not a rule of the catalogue; did you mean \"hardening/probes\"?"),
        "{report:#}"
    );
    let file = "waivers:\n  - rule: no/such-rule\n    resource: \"*\"\n    reason: x\n";
    let dir = project(&[("pod.yaml", PRIVILEGED_POD), ("w.yaml", file)]);
    harden()
        .current_dir(dir.path())
        .args(["audit", "pod.yaml", "--waivers", "w.yaml"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no/such-rule"));
}

#[test]
fn rule_selection_min_severity_and_summaries() {
    let dir = project(&[("pod.yaml", PRIVILEGED_POD)]);
    let (_, only) = audit_json(
        dir.path(),
        &[
            "pod.yaml",
            "--rule",
            "pss/privileged",
            "--rule",
            "hardening/probes",
        ],
    );
    let rules: std::collections::BTreeSet<&str> = only["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["hardening/probes", "pss/privileged"].into());
    let (_, skipped) = audit_json(dir.path(), &["pod.yaml", "--skip-rule", "pss/privileged"]);
    assert!(findings(&skipped, "pss/privileged").is_empty());
    assert!(!findings(&skipped, "hardening/probes").is_empty());
    harden()
        .current_dir(dir.path())
        .args(["audit", "pod.yaml", "--rule", "no/such"])
        .assert()
        .code(2);
    let text = harden()
        .current_dir(dir.path())
        .args(["audit", "pod.yaml", "--min-severity", "critical"])
        .output()
        .unwrap();
    assert_eq!(
        text.status.code(),
        Some(1),
        "display only: the gate still fails"
    );
    let text = String::from_utf8(text.stdout).unwrap();
    let listed = text.split("by rule:").next().unwrap();
    assert!(
        listed.contains("pss/privileged") && !listed.contains("  low "),
        "{text}"
    );
    assert!(
        text.contains("by rule:") && text.contains("by file:"),
        "{text}"
    );
    assert!(text.contains("below --min-severity not shown"), "{text}");
}

#[test]
fn pod_security_fixes_name_the_container() {
    let dir = project(&[("pod.yaml", PRIVILEGED_POD)]);
    let (_, report) = audit_json(dir.path(), &["pod.yaml"]);
    assert_eq!(
        findings(&report, "pss/privileged")[0]["fix"],
        "set securityContext.privileged: false (or remove it) on container \"c\""
    );
    let fixes: std::collections::BTreeSet<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fix"].as_str().unwrap())
        .collect();
    assert_eq!(
        fixes.len(),
        report["findings"].as_array().unwrap().len(),
        "one fix per finding"
    );
}

/// The published manifest sets (../shared/realworld, or $HARDEN_SHARED/realworld).
fn realworld() -> PathBuf {
    let dir = std::env::var_os("HARDEN_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"))
        .join("realworld");
    assert!(
        dir.is_dir(),
        "the real-world manifest sets are missing at {}: put shared/ beside the project or set HARDEN_SHARED",
        dir.display()
    );
    dir
}

/// Sets where the current YAML parser (not the manifests) is why a file
/// does not parse; the YAML layer's replacement is to empty this list.
const PARSER_LIMITED_SETS: &[&str] = &[];

#[test]
fn every_published_manifest_set_is_audited_without_input_errors() {
    let root = realworld();
    let mut sets: Vec<PathBuf> = fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() && p.file_name().unwrap() != "invalid")
        .collect();
    sets.sort();
    assert!(
        sets.len() >= 14,
        "expected the 14 sets, found {}",
        sets.len()
    );
    let mut objects = 0;
    for set in &sets {
        let name = set.file_name().unwrap().to_str().unwrap();
        let output = harden()
            .args(["audit", "--format", "json"])
            .arg(set)
            .output()
            .unwrap();
        let code = output.status.code().expect("no crash");
        let report: Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("{name}: not JSON: {e}"));
        objects += report["summary"]["objects"].as_u64().unwrap();
        let unparsable = findings(&report, "input/unparsable");
        if PARSER_LIMITED_SETS.contains(&name) {
            continue;
        }
        assert!(unparsable.is_empty(), "{name}: {unparsable:#?}");
        assert!(code <= 1, "{name}: exit {code}");
    }
    assert!(objects > 640, "{objects} objects");
}

#[test]
fn the_invalid_published_files_are_each_reported() {
    let dir = realworld().join("invalid");
    let output = harden()
        .args(["audit", "--format", "json"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let files: std::collections::BTreeSet<&str> = findings(&report, "input/unparsable")
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert_eq!(files.len(), 5, "{report:#}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    for file in fs::read_dir(&dir).unwrap() {
        let name = file.unwrap().file_name().into_string().unwrap();
        assert!(stderr.contains(&name), "{name} not reported: {stderr}");
    }
}

/// A file outside the repository gets an absolute `file://` URI in SARIF,
/// without `uriBaseId: %SRCROOT%`, which would make it relative.
#[test]
fn sarif_names_a_file_outside_the_repository_absolutely() {
    let repo = project(&[]);
    let outside = project(&[("pod.yaml", PRIVILEGED_POD)]);
    let pod = outside.path().join("pod.yaml");
    let output = harden()
        .current_dir(repo.path())
        .args(["audit", "--format", "sarif"])
        .arg(&pod)
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&output.stdout).unwrap();
    let location =
        &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
    let uri = location["uri"].as_str().unwrap();
    assert!(
        uri.starts_with("file:///") && uri.ends_with("/pod.yaml"),
        "{location}"
    );
    assert!(location.get("uriBaseId").is_none(), "{location}");
}

/// `--only netpol` selects the network-policy family the README describes.
#[test]
fn only_netpol_selects_the_network_policy_rules() {
    let policy = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: open, namespace: x}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress: [{}]
";
    let dir = project(&[("policy.yaml", policy), ("pod.yaml", PRIVILEGED_POD)]);
    let (code, report) = audit_json(dir.path(), &["policy.yaml", "pod.yaml", "--only", "netpol"]);
    assert_eq!(code, 1, "{report:#}");
    let rules: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(
        !rules.is_empty() && rules.iter().all(|r| r.starts_with("netpol/")),
        "{rules:?}"
    );
}
