//! Runs harden's Pod Security evaluator on the official Pod Security
//! admission fixtures and reports how many agree with Kubernetes.
//!
//! Usage: cargo run --example pss_conformance -- [FIXTURES-DIR]
//! (default: ../shared/conformance/pss-fixtures). Exits 1 on any disagreement,
//! 2 when the fixtures cannot be read.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let dir = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/pss-fixtures")
        });
    match harden::audit::pss_fixtures::run(&dir) {
        Ok(report) => {
            for disagreement in &report.disagreements {
                println!("DISAGREE {disagreement}");
            }
            println!(
                "pss conformance: {} of {} fixtures agree",
                report.agree, report.total
            );
            if report.disagreements.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
    }
}
