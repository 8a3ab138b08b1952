//! The one integration test binary: every end-to-end test module of the
//! crate, linked once against harden instead of once per file (faster to
//! build, a fraction of the disk). A new test file is a `mod` line here;
//! run one module with `cargo test --test integration cli::` (a name
//! filter). Helpers shared by modules live in `support`.

mod support;

mod audit;
mod audit_inputs;
mod audit_script;
mod cilium;
mod cli;
mod compliance;
mod drift;
mod ecosystem;
mod hostile;
mod output;
mod posture;
mod properties;
mod reach;
mod render_snapshots;
mod system;
mod wizard;
mod workspace;
