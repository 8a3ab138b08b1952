//! Helpers shared by the integration test modules: the fake cluster's
//! table, the spec generator, and the builder for one run of the binary.

pub mod fake_cluster;
pub mod harden;
pub mod spec_gen;
