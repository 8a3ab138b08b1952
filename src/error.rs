//! One error type for whatever ends a command early, with its exit status and
//! its message (as just's `Error`), and the guard that turns output errors
//! into one of them. Every command returns `Result<Status, Error>`;
//! [`conclude`], called by [`crate::run`], is the one place that prints an
//! error, and it prints it once.
//!
//! Findings are not errors: a command that finds something returns
//! [`Status::Findings`] (and writes its report, e.g. a `render` whose
//! output fails its own audit). Every [`Error`] exits 2 (usage or input),
//! except files in the way (a hand-edited render, an existing spec for
//! `init`), which docs/book/commands.md documents as exit 1 because `--force`
//! overrides them.
//!
//! Messages say what is wrong, in the user's words; the variant adds
//! `error: ` (or `internal error: ` for a bug in harden). Reports that are
//! already several lines, each with its own `error:` or `warning:`,
//! position and help (an invalid spec, a system's problems), are printed
//! as they are.
//!
//! Output: standard output and standard error are wrapped in [`Output`]. A
//! closed pipe (`harden audit deploy/ | head -1`) is not an error: the rest
//! of the output is discarded, nothing is printed about it, and harden exits
//! with the status the command computed, as if the output had gone to
//! /dev/null. Any other write error (a full disk, an I/O error) is reported
//! once, at the end, and the exit status is 2.

use std::io::{self, Write};

use crate::system::SystemProblem;

/// The process exit status, as documented in docs/book/commands.md ("Exit status").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Nothing to report.
    Clean = 0,
    /// Findings, drift, or files in the way.
    Findings = 1,
    /// Usage or input error (an invalid spec, an unreadable file).
    Error = 2,
}

impl Status {
    /// The more serious of two statuses.
    pub fn max_with(self, other: Status) -> Status {
        if other as i32 > self as i32 {
            other
        } else {
            self
        }
    }
}

/// Why a command could not do what it was asked. The message says what is
/// wrong; the `error: ` (or `internal error: `) in front of it is added
/// here, by the variant, not by the code that found the problem.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Arguments that ask for something impossible.
    #[error("error: {0}")]
    Usage(String),
    /// Input that cannot be used (a file, a manifest); the message names it.
    #[error("error: {0}")]
    Input(String),
    /// Several problems with the input, each printed on its own line as
    /// `error: <problem>` (e.g. every manifest a NetworkPolicy evaluator
    /// refuses), in the order given.
    #[error("{}", prefixed("error: ", .0))]
    Inputs(Vec<String>),
    /// A report already written in full: a spec with several problems is
    /// several lines, each with its own `error:`, position and help (`diff
    /// --against` puts one line in front saying which revision it is).
    #[error("{0}")]
    Message(String),
    /// Files in the way of a write that `--force` would replace (exit 1, as
    /// docs/book/commands.md documents for files in the way).
    #[error("error: {0}; pass --force to overwrite")]
    InTheWay(String),
    /// A bug in harden (e.g. embedded templates that do not compile).
    #[error("internal error: {0}")]
    Internal(String),
    /// A spec or manifest could not be read or is invalid.
    #[error(transparent)]
    Load(#[from] crate::load::LoadError),
    /// A spec's workspace (its `harden.yaml`) or path cannot be used.
    #[error(transparent)]
    Workspace(#[from] crate::workspace::WorkspaceError),
    /// Custom templates could not be read or compiled.
    #[error(transparent)]
    Templates(#[from] crate::templates::LoadError),
    /// A template failed while rendering (a bug in harden for the embedded
    /// ones).
    #[error(transparent)]
    Template(#[from] crate::render::TemplateBug),
    /// Generated files could not be written, or files are in the way.
    #[error(transparent)]
    Write(#[from] crate::write::WriteError),
    /// `harden init` stopped.
    #[error(transparent)]
    Wizard(#[from] crate::wizard::WizardError),
    /// Specs that do not compile as one system: each problem as it prints
    /// (`error:` or `warning:`, file, line, help), then `summary`.
    #[error("{}", system_report(.problems, .summary))]
    System {
        problems: Vec<SystemProblem>,
        summary: String,
    },
    /// An error that stopped `render` before it wrote anything; the
    /// message says so on a line of its own.
    #[error("{0}\nnothing was written")]
    NothingWritten(Box<Error>),
    /// Writing to a stream failed, as [`Output::finish`] reports it (a
    /// closed pipe is not reported).
    #[error("error: cannot write to {stream}: {source}")]
    Stream {
        stream: &'static str,
        source: io::Error,
    },
    /// A write in a command failed (`writeln!(out, ..)?`). The guarded
    /// stream has recorded it and [`conclude`] reports it, once, as
    /// [`Error::Stream`]; this message is printed only when no guarded
    /// stream failed (an I/O error that did not come from one).
    #[error("error: cannot write the output: {0}")]
    Output(#[from] io::Error),
}

/// `lines`, each after `prefix`, one a line.
fn prefixed(prefix: &str, lines: &[String]) -> String {
    lines
        .iter()
        .map(|line| format!("{prefix}{line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// System problems, one a line, then the summary line.
fn system_report(problems: &[SystemProblem], summary: &str) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .chain([summary.to_string()])
        .collect::<Vec<_>>()
        .join("\n")
}

impl Error {
    /// The exit status this error ends the process with.
    pub fn status(&self) -> Status {
        match self {
            Error::InTheWay(_)
            | Error::Write(crate::write::WriteError::Conflicts(_))
            | Error::Wizard(crate::wizard::WizardError::Exists(_)) => Status::Findings,
            Error::NothingWritten(inner) => inner.status(),
            _ => Status::Error,
        }
    }

    /// Whether this is a failed write to an output stream, which the
    /// guarded stream reports itself.
    fn is_output(&self) -> bool {
        matches!(
            self,
            Error::Output(_) | Error::Wizard(crate::wizard::WizardError::Output(_))
        )
    }

    /// The same error, saying that nothing was written. An output error is
    /// left as it is (it is reported by the stream that failed).
    pub fn nothing_written(self) -> Error {
        if self.is_output() || matches!(self, Error::NothingWritten(_)) {
            return self;
        }
        Error::NothingWritten(Box::new(self))
    }

    /// Prints the error on `stderr`. A failure to print is ignored: there is
    /// nowhere left to report it, and the exit status still tells.
    pub fn print(&self, stderr: &mut dyn Write) {
        let _ = writeln!(stderr, "{self}");
    }
}

/// Ends a run: prints the command's error (once), then a failure to write
/// standard output, and returns the exit status. A failure to write
/// standard error is not printed (there is nowhere left to print it); it
/// makes the status 2.
pub fn conclude<O: Write, E: Write>(
    result: Result<Status, Error>,
    stdout: Output<O>,
    mut stderr: Output<E>,
) -> Status {
    let streams_failed = stdout.failed.is_some() || stderr.failed.is_some();
    let mut status = match result {
        Ok(status) => status,
        // Reported below by the stream that recorded it.
        Err(error) if error.is_output() && streams_failed => Status::Error,
        Err(error) => {
            error.print(&mut stderr);
            error.status()
        }
    };
    if let Err(error) = stdout.finish() {
        error.print(&mut stderr);
        status = Status::Error;
    }
    match stderr.finish() {
        Ok(()) => status,
        Err(_) => Status::Error,
    }
}

/// A stream that remembers how writing to it failed. After a closed pipe it
/// discards what follows; other errors are returned to the writer and kept
/// for [`Output::finish`].
pub struct Output<W: Write> {
    inner: W,
    stream: &'static str,
    closed: bool,
    failed: Option<io::Error>,
}

impl<W: Write> Output<W> {
    /// Wraps `inner`, named `stream` ("standard output") in messages.
    pub fn new(inner: W, stream: &'static str) -> Self {
        Output {
            inner,
            stream,
            closed: false,
            failed: None,
        }
    }

    /// Whether the reader went away (a closed pipe).
    pub fn closed(&self) -> bool {
        self.closed
    }

    /// Flushes, then returns the first write error other than a closed pipe.
    pub fn finish(mut self) -> Result<(), Error> {
        // A failed flush is recorded in `failed` (read next); a closed pipe
        // is not a failure.
        let _ = self.flush();
        match self.failed.take() {
            Some(source) => Err(Error::Stream {
                stream: self.stream,
                source,
            }),
            None => Ok(()),
        }
    }

    fn outcome<T>(&mut self, result: io::Result<T>, discarded: T) -> io::Result<T> {
        match result {
            Err(error) if error.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(discarded)
            }
            Err(error) => {
                let copy = io::Error::new(error.kind(), error.to_string());
                self.failed.get_or_insert(error);
                Err(copy)
            }
            ok => ok,
        }
    }
}

impl<W: Write> Write for Output<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.closed {
            return Ok(buf.len());
        }
        let result = self.inner.write(buf);
        self.outcome(result, buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.closed {
            return Ok(());
        }
        let result = self.inner.flush();
        self.outcome(result, ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer that fails every write with `kind`.
    struct Failing(io::ErrorKind);

    impl Write for Failing {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::new(self.0, "failed"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_pipe_discards_quietly() {
        let mut out = Output::new(Failing(io::ErrorKind::BrokenPipe), "standard output");
        assert!(writeln!(out, "first").is_ok());
        assert!(writeln!(out, "second").is_ok());
        assert!(out.closed());
        assert!(out.finish().is_ok());
    }

    #[test]
    fn other_write_errors_are_reported_once() {
        let mut out = Output::new(Failing(io::ErrorKind::StorageFull), "standard output");
        assert!(writeln!(out, "first").is_err());
        assert!(writeln!(out, "second").is_err());
        let error = out.finish().unwrap_err();
        assert_eq!(error.status(), Status::Error);
        assert!(
            error
                .to_string()
                .starts_with("error: cannot write to standard output: "),
            "{error}"
        );
    }

    /// Runs `conclude` with the streams `stdout` and `stderr` write to; what
    /// it printed on standard error, and the status.
    fn concluded(result: Result<Status, Error>, stdout: Output<Failing>) -> (String, Status) {
        let mut printed = Vec::new();
        let status = conclude(result, stdout, Output::new(&mut printed, "standard error"));
        (String::from_utf8(printed).unwrap(), status)
    }

    #[test]
    fn an_error_is_printed_once_with_its_prefix() {
        let quiet = Output::new(Failing(io::ErrorKind::BrokenPipe), "standard output");
        let (printed, status) = concluded(Err(Error::Input("x.yaml does not exist".into())), quiet);
        assert_eq!(printed, "error: x.yaml does not exist\n");
        assert_eq!(status, Status::Error);
        let quiet = Output::new(Failing(io::ErrorKind::BrokenPipe), "standard output");
        let bug = Error::Internal("a template wrote no YAML".into()).nothing_written();
        let (printed, _) = concluded(Err(bug.nothing_written()), quiet);
        assert_eq!(
            printed,
            "internal error: a template wrote no YAML\nnothing was written\n"
        );
        let quiet = Output::new(Failing(io::ErrorKind::BrokenPipe), "standard output");
        let inputs = Error::Inputs(vec!["a.yaml:1: bad".into(), "b.yaml:2: worse".into()]);
        let (printed, _) = concluded(Err(inputs), quiet);
        assert_eq!(printed, "error: a.yaml:1: bad\nerror: b.yaml:2: worse\n");
    }

    #[test]
    fn a_failed_write_is_reported_once_by_its_stream() {
        let mut stdout = Output::new(Failing(io::ErrorKind::StorageFull), "standard output");
        let failed = writeln!(stdout, "report").map_err(Error::from);
        let (printed, status) = concluded(failed.map(|()| Status::Findings), stdout);
        assert_eq!(status, Status::Error);
        assert_eq!(printed.lines().count(), 1, "{printed}");
        assert!(
            printed.starts_with("error: cannot write to standard output: failed"),
            "{printed}"
        );
    }

    #[test]
    fn an_io_error_from_elsewhere_is_still_printed() {
        let quiet = Output::new(Failing(io::ErrorKind::BrokenPipe), "standard output");
        let elsewhere = Error::Output(io::Error::other("disk gone"));
        let (printed, status) = concluded(Err(elsewhere), quiet);
        assert_eq!(printed, "error: cannot write the output: disk gone\n");
        assert_eq!(status, Status::Error);
    }

    #[test]
    fn files_in_the_way_exit_1_other_errors_2() {
        let conflict = Error::Write(crate::write::WriteError::Conflicts(Vec::new()));
        assert_eq!(conflict.status(), Status::Findings);
        assert_eq!(conflict.nothing_written().status(), Status::Findings);
        assert_eq!(Error::Usage("bad".into()).status(), Status::Error);
        let mut printed = Vec::new();
        Error::Usage("bad flag".into()).print(&mut printed);
        assert_eq!(String::from_utf8(printed).unwrap(), "error: bad flag\n");
    }
}
