//! Helpers shared by the integration test modules: the fake cluster's
//! table and the spec generator.

pub mod fake_cluster;
pub mod spec_gen;
