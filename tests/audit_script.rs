//! The generated live scripts, `secure-<app>-audit.sh` and
//! `secure-<app>-pentest.sh`: they must parse (`bash -n`), be clean under
//! shellcheck, and behave on a cluster: every check and scenario reported
//! with evidence, counts right, exit 0/1/2, probe pods always cleaned up.
//!
//! There is no cluster here, so the behaviour tests put stand-ins for
//! `kubectl` and `trivy` on PATH (tests/fixtures/fake-kubectl, fake-trivy)
//! that replay RECORDED RESPONSES of a compliant cluster, of a broken one
//! (where every check and scenario must flip), of an unreachable one, and of
//! one that refuses the caller.
//!
//! shellcheck is required: these tests fail, never skip, when it is missing.
//! `scripts/install-tools` puts the pinned version in .tools/venv/bin.

use std::path::{Path, PathBuf};
use std::process::Command;

use harden::load::load_spec;
use harden::render::render;
use harden::templates::Templates;
use tempfile::TempDir;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A tool from .tools/venv/bin, else from PATH; panics with the fix if absent.
fn tool(name: &str) -> PathBuf {
    let local = repo().join(".tools/venv/bin").join(name);
    if local.is_file() {
        return local;
    }
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!("{name} is required by this test but is not installed: run scripts/install-tools");
}

/// Renders an example spec into a temp dir; returns the dir and the app name.
fn rendered(spec: &str) -> (TempDir, String) {
    let model = load_spec(&repo().join("specs").join(format!("{spec}.yaml"))).expect("valid spec");
    let files = render(&model, &Templates::embedded().unwrap()).expect("renders");
    let dir = TempDir::new().unwrap();
    harden::write::write_all(dir.path(), &files, false, &|_| true).expect("written");
    (dir, model.name)
}

fn example_specs() -> Vec<String> {
    let mut specs: Vec<String> = std::fs::read_dir(repo().join("specs"))
        .unwrap()
        .map(|e| {
            e.unwrap()
                .path()
                .file_stem()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    specs.sort();
    specs
}

#[test]
fn every_script_parses_and_passes_shellcheck() {
    let shellcheck = tool("shellcheck");
    for spec in example_specs() {
        let (dir, app) = rendered(&spec);
        for kind in ["audit", "pentest"] {
            let script = dir.path().join(format!("secure-{app}-{kind}.sh"));
            let syntax = Command::new("bash")
                .arg("-n")
                .arg(&script)
                .output()
                .unwrap();
            assert!(
                syntax.status.success(),
                "{spec} {kind}: bash -n: {}",
                String::from_utf8_lossy(&syntax.stderr)
            );
            let lint = Command::new(&shellcheck)
                .arg("--severity=style")
                .arg(&script)
                .output()
                .unwrap();
            assert!(
                lint.status.success(),
                "{spec} {kind}: shellcheck findings:\n{}",
                String::from_utf8_lossy(&lint.stdout)
            );
        }
    }
}

struct Run {
    code: i32,
    /// Standard output alone (the JSON document with --json).
    stdout: String,
    /// Standard output, then standard error.
    output: String,
    /// Probe pods created and deleted, from the stand-in's log.
    state: String,
}

/// Runs a script with the stand-ins first on PATH (so they shadow any real
/// kubectl or trivy).
fn run(dir: &Path, script: &str, cluster: &str, trivy: bool, args: &[&str]) -> Run {
    run_with(dir, script, cluster, trivy, args, &[])
}

fn run_with(
    dir: &Path,
    script: &str,
    cluster: &str,
    trivy: bool,
    args: &[&str],
    env: &[(&str, &str)],
) -> Run {
    let bin = TempDir::new().unwrap();
    std::fs::copy(
        repo().join("tests/fixtures/fake-kubectl"),
        bin.path().join("kubectl"),
    )
    .unwrap();
    if trivy {
        std::fs::copy(
            repo().join("tests/fixtures/fake-trivy"),
            bin.path().join("trivy"),
        )
        .unwrap();
    }
    let state = TempDir::new().unwrap();
    // Without trivy, PATH must not reach a real one: keep only system dirs.
    let mut path = vec![bin.path().to_path_buf()];
    path.extend(
        ["/usr/bin", "/bin"]
            .map(PathBuf::from)
            .into_iter()
            .filter(|p| !p.join("trivy").exists()),
    );
    let output = Command::new("bash")
        .arg(dir.join(script))
        .args(args)
        .args(["--timeout", "10"])
        .env("PATH", std::env::join_paths(path).unwrap())
        .env("FAKE_CLUSTER", cluster)
        .env("FAKE_STATE", state.path())
        .envs(env.iter().copied())
        .output()
        .unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        output: format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
        state: std::fs::read_to_string(state.path().join("log")).unwrap_or_default(),
    }
}

fn lines_with<'a>(output: &'a str, label: &str) -> Vec<&'a str> {
    output.lines().filter(|l| l.starts_with(label)).collect()
}

#[test]
fn audit_on_a_compliant_cluster_passes_every_check() {
    let (dir, _) = rendered("task-api");
    let run = run(
        dir.path(),
        "secure-task-api-audit.sh",
        "compliant",
        true,
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.output);
    assert_eq!(lines_with(&run.output, "PASS").len(), 10, "{}", run.output);
    assert!(
        run.output
            .ends_with("Summary: 10 passed, 0 failed, 0 skipped (of 10 checks)\n"),
        "{}",
        run.output
    );
}

#[test]
fn audit_on_a_broken_cluster_fails_every_check() {
    let (dir, _) = rendered("task-api");
    let run = run(dir.path(), "secure-task-api-audit.sh", "broken", true, &[]);
    assert_eq!(run.code, 1, "{}", run.output);
    let failed = lines_with(&run.output, "FAIL");
    assert_eq!(failed.len(), 10, "every check must flip:\n{}", run.output);
    for (index, line) in failed.iter().enumerate() {
        let id = line.split_whitespace().nth(1).unwrap();
        assert_eq!(id, (index + 1).to_string(), "{line}");
    }
    assert!(
        run.output
            .ends_with("Summary: 0 passed, 10 failed, 0 skipped (of 10 checks)\n"),
        "{}",
        run.output
    );
}

#[test]
fn the_dapr_injector_is_checked_first_and_names_the_helm_value() {
    let (dir, _) = rendered("task-api");
    let fix = "--set 'dapr_sidecar_injector.sidecarDropALLCapabilities=true'";
    // A compliant cluster whose injector does not drop ALL: the warning comes
    // before any check, and check 6 fails with the fix; nothing else changes.
    for answer in ["false", ""] {
        let run = run_with(
            dir.path(),
            "secure-task-api-audit.sh",
            "compliant",
            true,
            &[],
            &[("FAKE_INJECTOR_DROP_ALL", answer)],
        );
        assert_eq!(run.code, 1, "{}", run.output);
        let first = run
            .output
            .lines()
            .find(|l| l.starts_with("WARNING") || l.starts_with("PASS") || l.starts_with("FAIL"))
            .unwrap_or_default();
        assert!(
            first
                .starts_with("WARNING: the Dapr sidecar injector in dapr-system does not drop ALL"),
            "{}",
            run.output
        );
        assert!(first.contains(fix), "{first}");
        let failed = lines_with(&run.output, "FAIL");
        assert_eq!(failed.len(), 1, "{}", run.output);
        assert_eq!(
            failed[0].split_whitespace().nth(1),
            Some("6"),
            "{}",
            failed[0]
        );
        assert!(failed[0].contains(fix), "{}", failed[0]);
    }
    // The recorded broken cluster answers false, the compliant one true.
    let broken = run(dir.path(), "secure-task-api-audit.sh", "broken", true, &[]);
    assert!(broken.output.contains(fix), "{}", broken.output);
    let compliant = run(
        dir.path(),
        "secure-task-api-audit.sh",
        "compliant",
        true,
        &[],
    );
    assert!(
        !compliant.output.contains("WARNING"),
        "{}",
        compliant.output
    );
}

#[test]
fn without_trivy_the_scan_is_skipped_never_passed() {
    let (dir, _) = rendered("task-api");
    let run = run(
        dir.path(),
        "secure-task-api-audit.sh",
        "compliant",
        false,
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.output);
    let skipped = lines_with(&run.output, "SKIP");
    assert_eq!(skipped.len(), 1);
    assert!(
        skipped[0].contains("trivy is not installed"),
        "{}",
        skipped[0]
    );
    assert!(
        run.output
            .contains("Summary: 9 passed, 0 failed, 1 skipped (of 10 checks)")
    );
}

/// Check 11 of the audit of a spec with egress by hostname, as JSON.
fn hostname_check(cluster: &str) -> (Run, serde_json::Value) {
    let (dir, _) = rendered("checkout");
    let run = run(
        dir.path(),
        "secure-checkout-audit.sh",
        cluster,
        true,
        &["--json"],
    );
    let report: serde_json::Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.output));
    let check = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "11")
        .cloned()
        .unwrap_or_else(|| panic!("no check 11: {}", run.output));
    (run, check)
}

#[test]
fn hostname_egress_is_probed_both_ways() {
    let (run, check) = hostname_check("compliant");
    assert_eq!(check["title"], "egress by hostname", "{}", run.output);
    assert_eq!(check["status"], "pass", "{}", run.output);
    assert_eq!(
        check["evidence"],
        "reached api.stripe.com:443 checkout-receipts.s3.eu-west-1.amazonaws.com:443; unlisted example.com refused; patterns not probed: *.ingest.de.sentry.io"
    );
    assert!(
        run.state.contains("deleted harden-probe-hosts-"),
        "{}",
        run.state
    );
    let (run, check) = hostname_check("broken");
    assert_eq!(check["status"], "fail", "{}", run.output);
    assert_eq!(
        check["evidence"],
        "unlisted example.com is reachable by name"
    );
    // Specs without hostnames have no check 11.
    let (dir, _) = rendered("task-api");
    let script = std::fs::read_to_string(dir.path().join("secure-task-api-audit.sh")).unwrap();
    assert!(!script.contains("check_egress_hosts"));
}

#[test]
fn dapr_checks_skip_with_a_reason_when_dapr_is_off() {
    let (dir, _) = rendered("hello");
    let run = run(dir.path(), "secure-hello-audit.sh", "compliant", true, &[]);
    let skipped = lines_with(&run.output, "SKIP");
    let ids: Vec<&str> = skipped
        .iter()
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(ids, ["8", "9", "10"], "{}", run.output);
    assert!(
        skipped
            .iter()
            .all(|l| l.contains("Dapr is not enabled") || l.contains("no Dapr components"))
    );
}

#[test]
fn pentest_on_a_compliant_cluster_blocks_every_scenario() {
    let (dir, _) = rendered("task-api");
    let run = run(
        dir.path(),
        "secure-task-api-pentest.sh",
        "compliant",
        true,
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.output);
    let blocked = lines_with(&run.output, "BLOCKED");
    let ids: Vec<&str> = blocked
        .iter()
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "2.3", "3.1", "3.2", "3.3", "3.4", "4.1"
        ],
        "{}",
        run.output
    );
    assert!(
        run.output
            .contains("timed out or refused (control: declared redis 10.244.1.17:6379 connected)"),
        "{}",
        run.output
    );
    assert!(
        run.output
            .ends_with("Summary: 12 blocked, 0 exposed, 0 skipped (of 12 scenarios)\n"),
        "{}",
        run.output
    );
}

#[test]
fn pentest_on_a_broken_cluster_exposes_every_scenario() {
    let (dir, _) = rendered("task-api");
    let run = run(
        dir.path(),
        "secure-task-api-pentest.sh",
        "broken",
        true,
        &[],
    );
    assert_eq!(run.code, 1, "{}", run.output);
    assert_eq!(
        lines_with(&run.output, "EXPOSED").len(),
        12,
        "every scenario must flip:\n{}",
        run.output
    );
    assert!(
        run.output
            .ends_with("Summary: 0 blocked, 12 exposed, 0 skipped (of 12 scenarios)\n")
    );
}

#[test]
fn json_output_has_one_object_per_check() {
    let (dir, _) = rendered("task-api");
    for (script, count, status) in [
        ("secure-task-api-audit.sh", 10, "fail"),
        ("secure-task-api-pentest.sh", 12, "exposed"),
    ] {
        let run = run(dir.path(), script, "broken", true, &["--json"]);
        assert_eq!(run.code, 1);
        let report: serde_json::Value = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("{script}: {e}\n{}", run.output));
        let results = report["results"].as_array().unwrap();
        assert_eq!(results.len(), count);
        for result in results {
            assert_eq!(result["status"], status, "{result}");
            assert!(
                result["id"].is_string()
                    && result["title"].is_string()
                    && result["evidence"].as_str().unwrap().len() > 5
            );
        }
        assert_eq!(report["summary"]["total"], count);
        assert_eq!(report["app"], "task-api");
    }
}

#[test]
fn probe_pods_are_always_removed_unless_kept() {
    let (dir, _) = rendered("task-api");
    for script in ["secure-task-api-audit.sh", "secure-task-api-pentest.sh"] {
        let run = run(dir.path(), script, "broken", true, &[]);
        let created: Vec<&str> = run
            .state
            .lines()
            .filter_map(|l| l.strip_prefix("created "))
            .collect();
        let deleted: Vec<&str> = run
            .state
            .lines()
            .filter_map(|l| l.strip_prefix("deleted "))
            .collect();
        assert_eq!(created.len(), 2, "{script}: {}", run.state);
        assert_eq!(
            created, deleted,
            "{script}: every probe must be deleted on exit"
        );
        let unique: std::collections::BTreeSet<&&str> = created.iter().collect();
        assert_eq!(unique.len(), created.len(), "probe names must be unique");
        let kept = self::run(dir.path(), script, "broken", true, &["--keep-probes"]);
        assert!(
            !kept.state.contains("deleted "),
            "{script}: --keep-probes must keep them: {}",
            kept.state
        );
    }
}

#[test]
fn scripts_exit_2_when_they_cannot_run() {
    let (dir, _) = rendered("hello");
    for script in ["secure-hello-audit.sh", "secure-hello-pentest.sh"] {
        let down = run(dir.path(), script, "unreachable", true, &[]);
        assert_eq!(down.code, 2, "{}", down.output);
        assert!(
            down.output.contains("error: cannot read namespace hello"),
            "{}",
            down.output
        );
        let refused = run(dir.path(), script, "forbidden", true, &[]);
        assert_eq!(refused.code, 2, "{}", refused.output);
        assert!(
            refused
                .output
                .contains("error: no permission to list pods in hello"),
            "{}",
            refused.output
        );
        let bad = Command::new("bash")
            .arg(dir.path().join(script))
            .arg("--bogus")
            .output()
            .unwrap();
        assert_eq!(bad.status.code(), Some(2));
        let help = Command::new("bash")
            .arg(dir.path().join(script))
            .arg("--help")
            .output()
            .unwrap();
        assert_eq!(help.status.code(), Some(0));
        assert!(String::from_utf8_lossy(&help.stdout).starts_with(&format!("Usage: {script}")));
    }
}
