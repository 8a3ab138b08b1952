//! The admission guard's file is written from the objects the render builds
//! and hands to the self-audit and the proof without parsing the file: read
//! with the ordinary reader, every rendered guard must give back exactly
//! those objects, at the lines the writer gave them (every spec of
//! `specs/`, the example workspace's shared namespaces and services;
//! hostile and generated specs in `hostile.rs` and `properties.rs`).

use std::path::Path;

use harden::render::{Written, render_namespace_written, render_written};
use harden::templates::Templates;

/// The fields compared, or the first disagreement.
fn agrees(what: &str, written: &Written) -> usize {
    written
        .agrees_with_its_text()
        .unwrap_or_else(|error| panic!("{what}: {error}"))
}

#[test]
fn every_rendered_guard_reads_back_as_the_objects_built() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let templates = Templates::embedded().unwrap();
    let mut guards = 0;
    for spec in crate::support::yaml_files(&root.join("specs")) {
        let model = harden::load::load_spec(&spec).unwrap();
        let (_, written) = render_written(&model, &templates).unwrap();
        if agrees(&spec.display().to_string(), &written) > 0 {
            guards += 1;
        }
    }
    let system = harden::system::compile(&crate::support::yaml_files(
        &root.join("examples/workspace/specs"),
    ))
    .unwrap();
    for shared in &system.shared {
        let (_, written) = render_namespace_written(&shared.namespace, &templates).unwrap();
        if agrees(&shared.namespace.namespace, &written) > 0 {
            guards += 1;
        }
    }
    for service in &system.services {
        let (_, written) = render_written(&service.model, &templates).unwrap();
        if agrees(&service.file, &written) > 0 {
            guards += 1;
        }
    }
    // Every spec of specs/ has a guard, and the example's shared
    // namespaces and own-namespace services have theirs.
    assert!(guards >= 8, "only {guards} guards compared");
}
