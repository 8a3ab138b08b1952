//! One error type for whatever ends a command early, with its exit status and
//! its message (as just's `Error`), and the guard that turns output errors
//! into one of them. [`crate::run`] is the one place that prints an error.
//!
//! Findings are not errors: a command that finds something returns
//! [`Status::Findings`]. Every [`Error`] exits 2 (usage or input), except
//! files in the way (a hand-edited render, an existing spec for `init`),
//! which the README documents as exit 1 because `--force` overrides them.
//!
//! Output: standard output and standard error are wrapped in [`Output`]. A
//! closed pipe (`harden audit deploy/ | head -1`) is not an error: the rest
//! of the output is discarded, nothing is printed about it, and harden exits
//! with the status the command computed, as if the output had gone to
//! /dev/null. Any other write error (a full disk, an I/O error) is reported
//! once, at the end, and the exit status is 2.

use std::io::{self, Write};

use crate::commands::Status;

/// Why a command could not do what it was asked.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Arguments that ask for something impossible.
    #[error("error: {0}")]
    Usage(String),
    /// Input that cannot be used (a file, a manifest); the message names it.
    #[error("error: {0}")]
    Input(String),
    /// An error whose message is already written in full, as the
    /// `Result<_, String>` functions of the pipeline return it (each line
    /// with its own `error:` and the fix).
    #[error("{0}")]
    Message(String),
    /// Files in the way of a write that `--force` would replace (exit 1, as
    /// the README documents for files in the way).
    #[error("error: {0}; pass --force to overwrite")]
    InTheWay(String),
    /// A bug in harden (e.g. embedded templates that do not compile).
    #[error("internal error: {0}")]
    Internal(String),
    /// A spec or manifest could not be read or is invalid.
    #[error(transparent)]
    Load(#[from] crate::load::LoadError),
    /// Custom templates could not be read or compiled.
    #[error(transparent)]
    Templates(#[from] crate::templates::LoadError),
    /// Generated files could not be written, or files are in the way.
    #[error(transparent)]
    Write(#[from] crate::write::WriteError),
    /// `harden init` stopped.
    #[error(transparent)]
    Wizard(#[from] crate::wizard::WizardError),
    /// Writing to a stream failed, as [`Output::finish`] reports it (a
    /// closed pipe is not reported).
    #[error("error: cannot write to {stream}: {source}")]
    Stream {
        stream: &'static str,
        source: io::Error,
    },
    /// A write in a command failed (`writeln!(out, ..)?`). The guarded
    /// stream has recorded it and [`crate::run`] reports it, once, as
    /// [`Error::Stream`]; [`finish`] does not print this one.
    #[error("error: cannot write the output: {0}")]
    Output(#[from] io::Error),
}

impl Error {
    /// The exit status this error ends the process with.
    pub fn status(&self) -> Status {
        match self {
            Error::InTheWay(_)
            | Error::Write(crate::write::WriteError::Conflicts(_))
            | Error::Wizard(crate::wizard::WizardError::Exists(_)) => Status::Findings,
            _ => Status::Error,
        }
    }

    /// Prints the error on `stderr`. A failure to print is ignored: there is
    /// nowhere left to report it, and the exit status still tells.
    pub fn print(&self, stderr: &mut dyn Write) {
        let _ = writeln!(stderr, "{self}");
    }
}

/// Ends a command: its status, or the error's status after printing it.
pub fn finish(result: Result<Status, Error>, stderr: &mut dyn Write) -> Status {
    match result {
        Ok(status) => status,
        Err(error) => {
            if !matches!(error, Error::Output(_)) {
                error.print(stderr);
            }
            error.status()
        }
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

    #[test]
    fn files_in_the_way_exit_1_other_errors_2() {
        let conflict = Error::Write(crate::write::WriteError::Conflicts(Vec::new()));
        assert_eq!(conflict.status(), Status::Findings);
        assert_eq!(Error::Usage("bad".into()).status(), Status::Error);
        let mut printed = Vec::new();
        Error::Usage("bad flag".into()).print(&mut printed);
        assert_eq!(String::from_utf8(printed).unwrap(), "error: bad flag\n");
    }
}
