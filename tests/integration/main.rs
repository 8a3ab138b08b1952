//! The one integration test binary: every end-to-end test module of the
//! crate, linked once against harden instead of once per file (faster to
//! build, a fraction of the disk). A new test file is a `mod` line here;
//! run one module with `cargo test --test integration cli::` (a name
//! filter). Helpers shared by modules live in `support`.

mod support;

mod agree;
mod audit;
mod audit_inputs;
mod audit_script;
mod book;
mod cilium;
mod cli;
mod cluster;
mod compliance;
mod dapr_surface;
mod drift;
mod ecosystem;
mod guard_cel;
mod guard_file;
mod hostile;
mod house;
mod live_drift;
mod output;
mod posture;
mod properties;
mod reach;
mod render_snapshots;
mod system;
mod wizard;
mod wizard_examples;
mod workspace;
mod workspace_commands;

/// Every file beside this one is one of its modules: a test file without
/// its `mod` line would never be compiled, so never run.
#[test]
fn every_test_file_is_a_module_of_this_binary() {
    let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/integration");
    let main = include_str!("main.rs");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&here).expect("tests/integration") {
        let name = entry.expect("readable entry").file_name();
        let name = name.to_string_lossy();
        if let Some(module) = name.strip_suffix(".rs")
            && module != "main"
            && !main.contains(&format!("\nmod {module};\n"))
        {
            missing.push(name.into_owned());
        }
    }
    assert!(
        missing.is_empty(),
        "add `mod NAME;` to tests/integration/main.rs for {missing:?}"
    );
}
