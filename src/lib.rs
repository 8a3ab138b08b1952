//! `harden`: turn a short security spec into a hardened, auditable Kubernetes
//! deployment.
//!
//! The pipeline is one path for every command: [`load`] reads a spec
//! ([`yaml`], [`spec`]) and [`validate`]s it into a [`model::Model`];
//! [`render`] turns the model into files with the embedded [`templates`]
//! (including the [`posture`] document); [`audit`] judges the result before
//! [`write`] puts it on disk atomically. [`drift`] and [`impact`] compare
//! rendered files with committed ones for `check` and `diff`; [`wizard`]
//! writes specs. [`system`] compiles many specs as one system (flows checked
//! at both ends) and draws it. [`netpol`] evaluates NetworkPolicies (who may reach whom)
//! for `reach` and the audit. [`commands`] holds what each subcommand does, [`cli`] only
//! its flags.
#![forbid(unsafe_code)]

pub mod audit;
pub mod cli;
pub mod commands;
pub mod diagnostics;
pub mod drift;
pub mod impact;
pub mod load;
pub mod model;
pub mod netpol;
pub mod parallel;
pub mod platform;
pub mod posture;
pub mod proof;
pub mod render;
pub mod spec;
pub mod system;
pub mod templates;
pub mod validate;
pub mod wizard;
pub mod workspace;
pub mod write;
pub mod yaml;

pub use commands::Status;

/// Runs a parsed command line and returns the process exit status.
pub fn run(cli: cli::Cli) -> Status {
    commands::run(cli.command)
}
