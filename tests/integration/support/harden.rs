//! A builder for one run of the `harden` binary, so that a CLI case reads as
//! one sentence: the files it starts from, the arguments, and the status,
//! stdout and stderr it must end with (after just's and cargo-dist's test
//! builders):
//!
//! ```ignore
//! Harden::new()
//!     .example("hello")
//!     .args(["validate", "specs/hello.yaml"])
//!     .stdout("specs/hello.yaml: valid\n")
//!     .run();
//! ```
//!
//! Each case runs in a fresh temp dir (its current directory unless
//! `current_dir` says otherwise), with `NO_COLOR` set and `GITHUB_ACTIONS`
//! removed so the output does not depend on the caller's environment. The
//! status must be 0 unless `status` says otherwise; stdout and stderr are
//! checked only when the case names them, exactly (`stdout`, `stderr`) or
//! by the parts they must contain (`stdout_contains`, `stderr_contains`).
//! `run` panics naming every mismatch, with the command and its whole
//! output, and returns the run, whose directory lives on for further
//! checks or for the next command (`then`).

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use tempfile::TempDir;

/// The repository root: example specs, fixtures.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// What one output stream must be.
enum Expected {
    Exactly(String),
    Containing(Vec<String>),
}

impl Expected {
    fn check(&self, stream: &str, actual: &str) -> Option<String> {
        match self {
            Expected::Exactly(text) if actual != text => {
                Some(format!("{stream} is not exactly:\n{text}"))
            }
            Expected::Containing(parts) => parts
                .iter()
                .find(|part| !actual.contains(part.as_str()))
                .map(|part| format!("{stream} does not contain:\n{part}")),
            Expected::Exactly(_) => None,
        }
    }

    fn contain(slot: &mut Option<Expected>, part: &str) {
        match slot {
            Some(Expected::Containing(parts)) => parts.push(part.to_string()),
            Some(Expected::Exactly(_)) => {
                panic!("a stream is expected exactly or by parts, not both")
            }
            None => *slot = Some(Expected::Containing(vec![part.to_string()])),
        }
    }
}

/// One run of `harden` to be: see the module comment.
#[must_use = "a case does nothing until `run`"]
pub struct Harden {
    dir: TempDir,
    current_dir: Option<PathBuf>,
    args: Vec<OsString>,
    status: i32,
    stdout: Option<Expected>,
    stderr: Option<Expected>,
}

impl Harden {
    /// A case in a fresh, empty temp dir.
    pub fn new() -> Harden {
        Harden::in_dir(TempDir::new().expect("temp dir"))
    }

    fn in_dir(dir: TempDir) -> Harden {
        Harden {
            dir,
            current_dir: None,
            args: Vec::new(),
            status: 0,
            stdout: None,
            stderr: None,
        }
    }

    /// Writes `contents` to `path` (relative to the temp dir), creating
    /// the directories above it.
    pub fn file(self, path: &str, contents: impl AsRef<[u8]>) -> Harden {
        let path = self.dir.path().join(path);
        fs::create_dir_all(path.parent().expect("a file has a parent")).unwrap();
        fs::write(&path, contents).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        self
    }

    /// Copies the example spec `specs/<name>.yaml` to the same place in the
    /// temp dir.
    pub fn example(self, name: &str) -> Harden {
        let path = format!("specs/{name}.yaml");
        let text = fs::read(repo().join(&path)).unwrap_or_else(|e| panic!("{path}: {e}"));
        self.file(&path, text)
    }

    /// Runs in `dir`: relative to the temp dir, or absolute.
    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Harden {
        self.current_dir = Some(self.dir.path().join(dir));
        self
    }

    pub fn arg(mut self, arg: impl Into<OsString>) -> Harden {
        self.args.push(arg.into());
        self
    }

    pub fn args<A: Into<OsString>>(mut self, args: impl IntoIterator<Item = A>) -> Harden {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// The exit status it must end with (0 unless said).
    pub fn status(mut self, code: i32) -> Harden {
        self.status = code;
        self
    }

    /// Stdout must be exactly `text`.
    pub fn stdout(mut self, text: impl Into<String>) -> Harden {
        self.stdout = Some(Expected::Exactly(text.into()));
        self
    }

    /// Stdout must contain `part` (and every other part named).
    pub fn stdout_contains(mut self, part: &str) -> Harden {
        Expected::contain(&mut self.stdout, part);
        self
    }

    /// Stderr must be exactly `text`.
    pub fn stderr(mut self, text: impl Into<String>) -> Harden {
        self.stderr = Some(Expected::Exactly(text.into()));
        self
    }

    /// Stderr must contain `part` (and every other part named).
    pub fn stderr_contains(mut self, part: &str) -> Harden {
        Expected::contain(&mut self.stderr, part);
        self
    }

    /// Runs the binary and checks status, stdout and stderr; panics with
    /// the command and its whole output on a mismatch.
    #[track_caller]
    pub fn run(self) -> Ran {
        let mut command = Command::new(env!("CARGO_BIN_EXE_harden"));
        command
            .args(&self.args)
            .current_dir(self.current_dir.as_deref().unwrap_or(self.dir.path()))
            .env("NO_COLOR", "1")
            .env_remove("GITHUB_ACTIONS")
            .stdin(Stdio::null());
        let output = command.output().expect("harden runs");
        let stdout = String::from_utf8(output.stdout).expect("stdout is UTF-8");
        let stderr = String::from_utf8(output.stderr).expect("stderr is UTF-8");
        let code = output.status.code();
        let mut problems = Vec::new();
        if code != Some(self.status) {
            problems.push(format!("status is {code:?}, not {}", self.status));
        }
        problems.extend(self.stdout.and_then(|e| e.check("stdout", &stdout)));
        problems.extend(self.stderr.and_then(|e| e.check("stderr", &stderr)));
        assert!(
            problems.is_empty(),
            "harden {:?} in {}:\n{}\n--- status: {code:?}\n--- stdout:\n{stdout}\n--- stderr:\n{stderr}",
            self.args,
            command.get_current_dir().unwrap().display(),
            problems.join("\n")
        );
        Ran {
            dir: self.dir,
            stdout,
            stderr,
        }
    }
}

/// A finished run: its output, and the temp dir it ran in.
pub struct Ran {
    dir: TempDir,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    /// The temp dir, or `path` under it.
    pub fn path(&self, path: &str) -> PathBuf {
        self.dir.path().join(path)
    }

    /// The text of `path` under the temp dir.
    pub fn read(&self, path: &str) -> String {
        fs::read_to_string(self.path(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// The next case, in the same temp dir (with the files this run left).
    pub fn then(self) -> Harden {
        Harden::in_dir(self.dir)
    }
}
