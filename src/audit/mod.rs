//! `harden audit`: judge manifests on disk, ours or anyone's, offline.
pub mod pss;
pub mod pss_fixtures;
