//! The generated live-audit script: it must parse (`bash -n`), be clean under
//! shellcheck, and behave on a cluster: counts right, PASS/FAIL/SKIP with a
//! reason, exit 0 only when nothing failed, 2 when it cannot run.
//!
//! There is no cluster here, so the behaviour tests put a stand-in `kubectl`
//! on PATH (tests/fixtures/fake-kubectl) that answers from recorded responses
//! of a compliant cluster, or of a broken one when FAKE_CLUSTER=broken.
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

/// Renders an example spec into a temp dir; returns the dir and script path.
fn rendered(spec: &str) -> (TempDir, PathBuf) {
    let model = load_spec(&repo().join("specs").join(format!("{spec}.yaml"))).expect("valid spec");
    let files = render(&model, &Templates::embedded().unwrap()).expect("renders");
    let dir = TempDir::new().unwrap();
    harden::write::write_all(dir.path(), &files, false).expect("written");
    let script = dir.path().join(format!("secure-{}-audit.sh", model.name));
    (dir, script)
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
fn every_audit_script_parses_and_passes_shellcheck() {
    let shellcheck = tool("shellcheck");
    for spec in example_specs() {
        let (_dir, script) = rendered(&spec);
        let syntax = Command::new("bash")
            .arg("-n")
            .arg(&script)
            .output()
            .unwrap();
        assert!(
            syntax.status.success(),
            "{spec}: bash -n: {}",
            String::from_utf8_lossy(&syntax.stderr)
        );
        let lint = Command::new(&shellcheck)
            .arg("--severity=style")
            .arg(&script)
            .output()
            .unwrap();
        assert!(
            lint.status.success(),
            "{spec}: shellcheck findings:\n{}",
            String::from_utf8_lossy(&lint.stdout)
        );
    }
}

/// Runs `script` with the stand-in kubectl first on PATH, so it shadows any
/// real one.
fn run_audit(script: &Path, cluster: &str, extra_path: Option<&Path>) -> (i32, String) {
    let fake_bin = TempDir::new().unwrap();
    let fake = fake_bin.path().join("kubectl");
    std::fs::copy(repo().join("tests/fixtures/fake-kubectl"), &fake).unwrap();
    let mut path = vec![fake_bin.path().to_path_buf()];
    if let Some(extra) = extra_path {
        path.push(extra.to_path_buf());
    }
    path.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap()));
    let output = Command::new("bash")
        .arg(script)
        .env("PATH", std::env::join_paths(path).unwrap())
        .env("FAKE_CLUSTER", cluster)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap_or(-1), text)
}

fn status_lines(output: &str) -> Vec<&str> {
    output
        .lines()
        .filter(|l| l.starts_with("PASS") || l.starts_with("FAIL") || l.starts_with("SKIP"))
        .collect()
}

#[test]
fn compliant_cluster_passes_with_honest_skips() {
    let (_dir, script) = rendered("task-api");
    let (code, output) = run_audit(&script, "compliant", None);
    let lines = status_lines(&output);
    assert_eq!(lines.len(), 10, "ten checks, each reported once:\n{output}");
    let failed: Vec<_> = lines.iter().filter(|l| l.starts_with("FAIL")).collect();
    assert!(
        failed.is_empty(),
        "no check may fail on a compliant cluster:\n{output}"
    );
    let skipped = lines.iter().filter(|l| l.starts_with("SKIP")).count();
    let passed = lines.iter().filter(|l| l.starts_with("PASS")).count();
    assert!(
        output.contains(&format!(
            "Summary: {passed} passed, 0 failed, {skipped} skipped (of 10 checks)"
        )),
        "{output}"
    );
    assert_eq!(code, 0, "{output}");
    for line in lines.iter().filter(|l| l.starts_with("SKIP")) {
        assert!(
            line.split_whitespace().count() > 4,
            "a skip must give its reason: {line}"
        );
    }
}

#[test]
fn broken_cluster_fails_each_automated_check() {
    let (_dir, script) = rendered("task-api");
    let (code, output) = run_audit(&script, "broken", None);
    assert_eq!(code, 1, "{output}");
    for check in [
        "1 dedicated",
        "2 least-privilege",
        "3 default-deny",
        "5 secrets",
        "6 PSS",
        "8 Dapr mTLS",
        "10 Dapr API",
    ] {
        assert!(
            output
                .lines()
                .any(|l| l.starts_with("FAIL") && l.contains(check)),
            "check '{check}' must fail on the broken cluster:\n{output}"
        );
    }
    let failed = status_lines(&output)
        .iter()
        .filter(|l| l.starts_with("FAIL"))
        .count();
    assert!(output.contains(&format!("{failed} failed")), "{output}");
}

#[test]
fn unreachable_cluster_exits_2() {
    let (_dir, script) = rendered("hello");
    let (code, output) = run_audit(&script, "unreachable", None);
    assert_eq!(code, 2, "{output}");
    assert!(
        output.contains("error: cannot read namespace hello"),
        "{output}"
    );
}

#[test]
fn unknown_option_exits_2_and_help_exits_0() {
    let (_dir, script) = rendered("hello");
    let output = Command::new("bash")
        .arg(&script)
        .arg("--bogus")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let output = Command::new("bash")
        .arg(&script)
        .arg("--help")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("Usage: secure-hello-audit.sh"));
}
