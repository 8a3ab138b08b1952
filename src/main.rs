//! The `harden` binary: parse the command line, run it, exit with its status.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of the system allocator: a render makes about 30,000
/// small allocations, and glibc's malloc and free were a quarter of its
/// instructions (README "Speed").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = harden::cli::Cli::parse();
    ExitCode::from(harden::run(cli) as u8)
}
