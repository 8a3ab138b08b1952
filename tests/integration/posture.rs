//! The security posture document: every reference it makes exists, results
//! fill it from the live scripts' JSON and are "not yet run" otherwise, and
//! `harden posture` rejects results that are not the app's.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use assert_cmd::Command;
use tempfile::TempDir;

use crate::support::fake_cluster;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn render(spec: &str) -> (TempDir, Vec<String>) {
    let model =
        harden::load::load_spec(&repo().join("specs").join(format!("{spec}.yaml"))).unwrap();
    let files =
        harden::render::render(&model, &harden::templates::Templates::embedded().unwrap()).unwrap();
    let dir = TempDir::new().unwrap();
    harden::write::write_all(dir.path(), &files, false, &|_| true).unwrap();
    (dir, files.iter().map(|f| f.name.clone()).collect())
}

/// Runs a generated script against the recorded compliant cluster and
/// returns the ids it reports.
fn script_ids(dir: &Path, script: &str) -> BTreeSet<String> {
    let output = json_of(dir, script, "compliant");
    let report: serde_json::Value =
        serde_json::from_str(&output).unwrap_or_else(|e| panic!("{script}: {e}"));
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

/// The cells of the Markdown table that follows `heading`.
fn table(document: &str, heading: &str) -> Vec<Vec<String>> {
    let start = document
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading}"));
    document[start..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect()
}

#[test]
fn every_reference_in_the_document_exists() {
    for spec in ["task-api", "payments", "orders", "hello", "checkout"] {
        let (dir, files) = render(spec);
        let app = harden::load::load_spec(&repo().join("specs").join(format!("{spec}.yaml")))
            .unwrap()
            .name;
        let document = std::fs::read_to_string(dir.path().join("SECURITY-POSTURE.md")).unwrap();
        let audit_ids = script_ids(dir.path(), &format!("secure-{app}-audit.sh"));
        let pentest_ids = script_ids(dir.path(), &format!("secure-{app}-pentest.sh"));
        let inventory = table(&document, "## Control inventory");
        assert_eq!(
            inventory.len(),
            12,
            "{spec}: ten controls, C11 (signed image) and C12 (the admission guard)"
        );
        let mut control_ids = BTreeSet::new();
        for row in &inventory {
            control_ids.insert(row[0].split_whitespace().next().unwrap().to_string());
            for file in row[2].split(", ").filter(|f| *f != "none") {
                let name = file.trim_matches('`');
                assert!(
                    files.iter().any(|f| f == name),
                    "{spec}: {name} is not a generated file"
                );
            }
            // A control with no check of its own here (C11 without a
            // signature, C12 until the guard has a live check) says none.
            for check in row[3].split(", ").filter(|c| *c != "none") {
                assert!(
                    audit_ids.contains(check),
                    "{spec}: audit check {check} does not exist in {audit_ids:?}"
                );
            }
            for scenario in row[4].split(", ").filter(|s| *s != "none") {
                assert!(
                    pentest_ids.contains(scenario),
                    "{spec}: pentest scenario {scenario} does not exist in {pentest_ids:?}"
                );
            }
        }
        let model =
            harden::load::load_spec(&repo().join("specs").join(format!("{spec}.yaml"))).unwrap();
        for framework in harden::posture::frameworks(&model) {
            let rows = table(&document, &format!("### {}", framework.name));
            assert_eq!(rows.len(), framework.requirements.len());
            for row in rows {
                for control in row[2].split(", ").filter(|c| *c != "none") {
                    assert!(
                        control_ids.contains(control),
                        "{spec}: {} maps to unknown control {control}",
                        row[0]
                    );
                }
            }
        }
        let audit_rows: BTreeSet<String> = table(&document, "### Live audit")
            .into_iter()
            .map(|r| r[0].clone())
            .collect();
        assert_eq!(
            audit_rows, audit_ids,
            "{spec}: the audit results table lists exactly the script's checks"
        );
        let pentest_rows: BTreeSet<String> = table(&document, "### Penetration test")
            .into_iter()
            .map(|r| r[0].clone())
            .collect();
        assert_eq!(
            pentest_rows, pentest_ids,
            "{spec}: the pentest results table lists exactly the script's scenarios"
        );
    }
}

#[test]
fn without_results_nothing_claims_to_have_passed() {
    let (dir, _) = render("task-api");
    let document = std::fs::read_to_string(dir.path().join("SECURITY-POSTURE.md")).unwrap();
    for heading in ["### Live audit", "### Penetration test"] {
        for row in table(&document, heading) {
            assert_eq!(row[2], "not yet run", "{heading}: {row:?}");
        }
    }
    assert!(document.contains("### Live audit (not yet run)"));
}

fn json_of(dir: &Path, script: &str, cluster: &str) -> String {
    // Linked, not copied (see audit_script::run_with: a copy can be busy).
    let bin = TempDir::new().unwrap();
    std::os::unix::fs::symlink(
        repo().join("tests/fixtures/fake-kubectl"),
        bin.path().join("kubectl"),
    )
    .unwrap();
    // The fake answers as a cluster running the manifests rendered in `dir`.
    let table = bin.path().join("cluster.table");
    // And the cluster profile the spec was rendered for (the scripts are
    // named secure-<spec>-<kind>.sh).
    let spec = script
        .strip_prefix("secure-")
        .and_then(|s| s.rsplit_once('-'))
        .map(|(spec, _)| spec)
        .unwrap();
    let model =
        harden::load::load_spec(&repo().join("specs").join(format!("{spec}.yaml"))).unwrap();
    std::fs::write(
        &table,
        fake_cluster::table_in(dir, &model, fake_cluster::weakenings(cluster)),
    )
    .unwrap();
    let (judge, judge_path) = fake_cluster::judge_env();
    let path = format!("{}:/usr/bin:/bin", bin.path().display());
    let output = Process::new("bash")
        .arg(dir.join(script))
        .arg("--json")
        .env("PATH", path)
        .env("FAKE_CLUSTER", fake_cluster::platform(cluster))
        .env(judge, judge_path)
        .env("FAKE_MODEL", &table)
        .env("FAKE_STATE", bin.path())
        .output()
        .unwrap();
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn posture_fills_results_from_script_output() {
    let (dir, _) = render("task-api");
    std::fs::write(
        dir.path().join("audit.json"),
        json_of(dir.path(), "secure-task-api-audit.sh", "broken"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("pentest.json"),
        json_of(dir.path(), "secure-task-api-pentest.sh", "compliant"),
    )
    .unwrap();
    std::fs::copy(
        repo().join("specs/task-api.yaml"),
        dir.path().join("task-api.yaml"),
    )
    .unwrap();
    let output = Command::cargo_bin("harden")
        .unwrap()
        .current_dir(dir.path())
        .args([
            "posture",
            "task-api.yaml",
            "--results",
            "audit.json",
            "--results",
            "pentest.json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let document = String::from_utf8(output.stdout).unwrap();
    let audit = table(&document, "### Live audit");
    // Row 0, the cluster preflight, first: the broken cluster is not the
    // one the profile describes.
    assert_eq!(audit[0][..2], ["0", "cluster preflight"]);
    assert_eq!(audit[0][2], "fail");
    assert!(
        audit[0][3].starts_with("DNS pods: none match"),
        "{:?}",
        audit[0]
    );
    assert_eq!(audit[1][2], "fail");
    assert_eq!(audit[1][3], "pods run as: default");
    assert_eq!(audit[7][2], "skip", "trivy is absent: a skip, never a pass");
    // 6.2 to 6.4 (the app token, the secret scope, per-operation access)
    // do not apply: task-api sets no app token, reads no secret through
    // Dapr and has no caller limited to operations.
    assert!(table(&document, "### Penetration test").iter().all(|r| r[2]
        == if ["6.2", "6.3", "6.4"].contains(&r[0].as_str()) {
            "skipped"
        } else {
            "blocked"
        }));
    assert!(document.contains("### Live audit (results supplied)"));
}

#[test]
fn posture_rejects_results_of_another_app_or_garbage() {
    let (dir, _) = render("hello");
    std::fs::copy(
        repo().join("specs/task-api.yaml"),
        dir.path().join("task-api.yaml"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("hello.json"),
        json_of(dir.path(), "secure-hello-audit.sh", "compliant"),
    )
    .unwrap();
    std::fs::write(dir.path().join("garbage.json"), "{}").unwrap();
    let harden = || {
        let mut command = Command::cargo_bin("harden").unwrap();
        command.current_dir(dir.path());
        command
    };
    harden()
        .args(["posture", "task-api.yaml", "--results", "hello.json"])
        .assert()
        .code(2)
        .stderr("error: hello.json: results are for app \"hello\", not \"task-api\"\n");
    harden()
        .args(["posture", "task-api.yaml", "--results", "garbage.json"])
        .assert()
        .code(2)
        .stderr(predicates::str::starts_with(
            "error: garbage.json: not the --json output of a harden live script",
        ));
}

#[test]
fn posture_can_write_a_file() {
    let dir = TempDir::new().unwrap();
    std::fs::copy(
        repo().join("specs/hello.yaml"),
        dir.path().join("hello.yaml"),
    )
    .unwrap();
    let printed = Command::cargo_bin("harden")
        .unwrap()
        .current_dir(dir.path())
        .args(["posture", "hello.yaml"])
        .output()
        .unwrap();
    Command::cargo_bin("harden")
        .unwrap()
        .current_dir(dir.path())
        .args(["posture", "hello.yaml", "-o", "posture.md"])
        .assert()
        .success()
        .stdout("");
    let written = std::fs::read_to_string(dir.path().join("posture.md")).unwrap();
    assert_eq!(written, String::from_utf8(printed.stdout).unwrap());
    assert!(written.contains("# Security posture: hello"));
}

#[test]
fn spec_values_cannot_inject_markdown() {
    let text = std::fs::read_to_string(repo().join("specs/hello.yaml")).unwrap();
    let model = harden::load::load_spec_text(&text, "specs/<b>|x|.yaml").unwrap();
    let files =
        harden::render::render(&model, &harden::templates::Templates::embedded().unwrap()).unwrap();
    let posture = &files
        .iter()
        .find(|f| f.name == "SECURITY-POSTURE.md")
        .unwrap()
        .content;
    assert!(
        posture.contains("| Spec | specs/&lt;b&gt;\\|x\\|.yaml |"),
        "{posture}"
    );
}

#[test]
fn no_requirement_maps_to_a_control_the_document_calls_not_applicable() {
    // payments has no Dapr: C8 to C10 are "not applicable", so no framework
    // row may name them, and a row left without a control says it is a gap.
    let model = harden::load::load_spec(&repo().join("specs/payments.yaml")).unwrap();
    let not_applicable: Vec<String> = harden::posture::controls(&model, &[])
        .into_iter()
        .filter(|c| c.implementation.starts_with("not applicable"))
        .map(|c| c.id)
        .collect();
    assert_eq!(not_applicable, ["C8", "C9", "C10"]);
    let mut gaps = Vec::new();
    for framework in harden::posture::frameworks(&model) {
        for requirement in &framework.requirements {
            for control in &requirement.controls {
                assert!(
                    !not_applicable.contains(control),
                    "{} {} names {control}, which does not apply",
                    framework.context,
                    requirement.id
                );
            }
            if requirement.controls.is_empty() {
                assert!(
                    requirement.note.starts_with("not covered"),
                    "{}",
                    requirement.note
                );
                gaps.push(format!("{} {}", framework.context, requirement.id));
            }
        }
    }
    assert_eq!(gaps, ["pci-dss 4", "pci-dss 10", "soc2 CC7.2"]);
}
