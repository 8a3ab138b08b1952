//! Output errors (src/error.rs): a reader that goes away (`harden audit DIR |
//! head -1`) ends the output quietly with the command's own status; no
//! panic, no "Broken pipe" on standard error.

use std::io::Read;
use std::process::{Command, Stdio};

/// Runs harden with its standard output closed before it writes anything,
/// returning its exit code and standard error.
fn with_closed_stdout(args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_harden"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("harden starts");
    // Closing the only read end makes every write fail with EPIPE.
    drop(child.stdout.take());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("stderr is text");
    (child.wait().expect("harden ends").code(), stderr)
}

fn status_when_read(args: &[&str]) -> Option<i32> {
    Command::new(env!("CARGO_BIN_EXE_harden"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("harden runs")
        .status
        .code()
}

#[test]
fn a_closed_pipe_keeps_the_status_and_says_nothing() {
    for args in [
        &["schema"][..],
        &["audit", "tests/fixtures/textbook"][..],
        &["validate", "specs/task-api.yaml"][..],
    ] {
        let (code, stderr) = with_closed_stdout(args);
        assert_eq!(code, status_when_read(args), "harden {args:?}");
        assert!(
            !stderr.contains("Broken pipe") && !stderr.contains("panicked"),
            "harden {args:?} wrote to stderr: {stderr}"
        );
    }
    // The audit has findings: the closed pipe does not hide them.
    assert_eq!(
        with_closed_stdout(&["audit", "tests/fixtures/textbook"]).0,
        Some(1)
    );
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_is_reported_with_exit_2() {
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full exists on Linux");
    let output = Command::new(env!("CARGO_BIN_EXE_harden"))
        .arg("schema")
        .stdout(file)
        .output()
        .expect("harden runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.starts_with("error: cannot write to standard output: "),
        "{stderr}"
    );
}
