//! Helpers shared by the integration test modules: the admission guard's
//! evaluator, the fake cluster's table, the spec generator, and the builder for one run of the binary.

use std::fs;
use std::path::Path;

pub mod admission;
pub mod fake_cluster;
pub mod harden;
pub mod spec_gen;

/// The smallest valid spec (an app and a pinned image), which tests extend
/// by appending sections.
pub const MINIMAL_SPEC: &str = "\
apiVersion: harden.dev/v1alpha1
kind: SecuritySpec
app:
  name: shop
workload:
  image: ghcr.io/acme/shop@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
  port: 8080
";

/// The harden binary, run in `dir` with colours off and outside GitHub
/// Actions (whose annotations would change the output).
pub fn harden_in(dir: &Path) -> assert_cmd::Command {
    let mut command = assert_cmd::Command::cargo_bin("harden").expect("binary built");
    command
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS");
    command
}

/// The `.yaml` files directly in `dir` (specs, rendered manifests), sorted.
pub fn yaml_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

/// The files directly in `dir`, by name, with their bytes.
pub fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                fs::read(&path).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}
