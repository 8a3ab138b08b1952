//! `harden`: turn a short security spec into a hardened, auditable Kubernetes
//! deployment.
//!
//! The pipeline is one path for every command: [`load`] reads a spec
//! ([`yaml`], [`spec`]) and [`validate`]s it into a [`model::Model`];
//! [`render`] turns the model into files with the embedded [`templates`]
//! (including the [`posture`] document); [`audit`] judges the result before
//! [`write`] puts it on disk atomically. [`drift`] and [`impact`] compare
//! rendered files with committed ones for `check` and `diff`; [`live`]
//! compares rendered objects with a dump of the cluster (`check --live`); [`wizard`]
//! writes specs. [`system`] compiles many specs as one system (flows checked
//! at both ends) and draws it. [`netpol`] evaluates NetworkPolicies (who may reach whom)
//! for `reach` and the audit. [`objects`] is the one reader of Kubernetes
//! objects (manifests, pod templates, label selectors) they all use. [`pipeline`] is what every command that renders
//! shares (find specs, render and verify in memory); [`commands`] holds what
//! each subcommand does on top of it (parse, call, print), [`cli`] only its
//! flags. [`quote`] quotes text for the shell, the terminal and messages.
//! [`error`] holds the one error type, the exit [`Status`] and the output
//! guard; [`run`] is the one place that prints an error. Text built
//! in memory is appended with `pushln!` (module `text`).
#![forbid(unsafe_code)]

pub mod audit;
pub mod cli;
pub mod commands;
pub mod diagnostics;
pub mod drawing;
pub mod drift;
pub mod error;
pub mod guard;
pub mod impact;
pub mod live;
pub mod load;
pub mod model;
pub mod netpol;
pub mod objects;
pub mod parallel;
pub mod pipeline;
pub mod platform;
pub mod posture;
pub mod proof;
pub mod quote;
pub mod render;
pub mod scripts;
pub mod spec;
pub mod system;
pub mod templates;
mod text;
pub mod validate;
pub mod wizard;
pub mod workspace;
pub mod write;
pub mod yaml;

pub use error::{Error, Status};

/// Runs a parsed command line and returns the process exit status.
///
/// Standard output and error are guarded (see [`error::Output`]): a closed
/// pipe ends the output quietly and the command's status stands. The
/// command's error, then any other failure to write, is printed here, once
/// ([`error::conclude`]).
pub fn run(cli: cli::Cli) -> Status {
    let mut stdout = error::Output::new(std::io::stdout().lock(), "standard output");
    let mut stderr = error::Output::new(std::io::stderr().lock(), "standard error");
    let result = commands::run(cli.command, &mut stdout, &mut stderr);
    error::conclude(result, stdout, stderr)
}
