//! The `harden` binary: parse the command line, run it, exit with its status.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = harden::cli::Cli::parse();
    ExitCode::from(harden::run(cli) as u8)
}
