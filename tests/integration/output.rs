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

/// Commands that write their results to standard output, one of each kind
/// of writer: a `String` printed at once (schema, graph, reach, posture),
/// line by line (templates, check, diff, validate), through a buffer
/// (audit text and JSON), a generated man page and completion script.
const WRITERS: &[&[&str]] = &[
    &["schema"],
    &["templates", "list"],
    &["completions", "bash"],
    &["man"],
    &["validate", "specs/task-api.yaml"],
    &["validate", "specs"],
    &["check", "specs/task-api.yaml"],
    &[
        "diff",
        "specs/task-api.yaml",
        "--out",
        "tests/fixtures/no-such-dir",
    ],
    &["graph", "specs"],
    &["reach", "specs/hello.yaml"],
    &["posture", "specs/hello.yaml"],
    &["audit", "tests/fixtures/textbook"],
    &["audit", "--format", "json", "tests/fixtures/textbook"],
    &["audit", "--format", "sarif", "tests/fixtures/textbook"],
];

#[test]
fn a_closed_pipe_is_quiet_for_every_command_that_writes() {
    for args in WRITERS {
        let (code, stderr) = with_closed_stdout(args);
        let read = Command::new(env!("CARGO_BIN_EXE_harden"))
            .args(*args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("harden runs");
        assert!(
            !read.stdout.is_empty(),
            "harden {args:?} writes nothing, so it tests nothing"
        );
        assert_eq!(code, read.status.code(), "harden {args:?}");
        // What it says on standard error besides its results (warnings of
        // the system) is the same; nothing about the pipe is added.
        assert_eq!(
            stderr,
            String::from_utf8_lossy(&read.stderr),
            "harden {args:?}"
        );
    }
}

#[test]
fn a_closed_pipe_hides_no_error() {
    let (code, stderr) = with_closed_stdout(&["check", "--out", "deploy", "specs"]);
    assert_eq!(code, Some(2));
    assert_eq!(
        stderr,
        "error: --out applies to one spec; 5 specs were given (each maps to deploy/<app name>)\n"
    );
}

/// Runs harden with standard output on /dev/full (every write fails with
/// ENOSPC): its exit code and standard error.
#[cfg(target_os = "linux")]
fn with_full_stdout(args: &[&str]) -> (Option<i32>, String) {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full exists on Linux");
    let output = Command::new(env!("CARGO_BIN_EXE_harden"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(full)
        .output()
        .expect("harden runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_is_one_error_line_and_exit_2_for_every_command() {
    for args in WRITERS {
        let (code, stderr) = with_full_stdout(args);
        assert_eq!(code, Some(2), "harden {args:?}: {stderr}");
        let errors: Vec<&str> = stderr
            .lines()
            .filter(|line| line.starts_with("error:"))
            .collect();
        assert_eq!(
            errors,
            ["error: cannot write to standard output: No space left on device (os error 28)"],
            "harden {args:?}: {stderr}"
        );
    }
}

/// A command that fails prints its error once, whatever its output.
#[test]
fn an_error_is_printed_exactly_once() {
    for (args, expected) in [
        (
            &["render", "no-such-spec.yaml"][..],
            "error: cannot read no-such-spec.yaml: No such file or directory (os error 2)\nnothing was written\n",
        ),
        (
            &["audit", "--rule", "no/such-rule", "tests/fixtures/textbook"][..],
            "error: --rule \"no/such-rule\" is not a rule of the catalogue; `harden audit --format sarif` lists every rule under tool.driver.rules\n",
        ),
        (
            &["graph", "no-such-dir/"][..],
            "error: cannot read no-such-dir: No such file or directory (os error 2)\n1 error, 0 warnings in 1 spec\n",
        ),
        (
            &["check", "--out", "deploy", "specs"][..],
            "error: --out applies to one spec; 5 specs were given (each maps to deploy/<app name>)\n",
        ),
        (
            &["diff", "specs/hello.yaml", "--against=-x"][..],
            "error: --against -x: not a git revision\n  help: name a branch, tag or commit, e.g. --against origin/main\n",
        ),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_harden"))
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("harden runs");
        assert_eq!(output.status.code(), Some(2), "harden {args:?}");
        assert_eq!(
            String::from_utf8_lossy(&output.stderr),
            expected,
            "harden {args:?}"
        );
        assert!(output.stdout.is_empty(), "harden {args:?}");
    }
}

/// `init` writes through the wizard's own error type: a full disk is still
/// one line, not the wizard's and the stream's.
#[cfg(target_os = "linux")]
#[test]
fn init_on_a_full_disk_says_so_once() {
    let dir = tempfile::TempDir::new().expect("temporary directory");
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full exists on Linux");
    let output = Command::new(env!("CARGO_BIN_EXE_harden"))
        .args([
            "init",
            "--name",
            "billing",
            "--image",
            "registry.example.com/billing@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "--yes",
        ])
        .current_dir(dir.path())
        .stdout(full)
        .output()
        .expect("harden runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr,
        "error: cannot write to standard output: No space left on device (os error 28)\n"
    );
}
