//! Golden snapshots of the complete output of every example spec in `specs/`.
//!
//! A change here is a change to what users deploy: review every snapshot
//! diff as a production change (`cargo insta review`, or read the
//! `.snap.new` files). Every file is compared even when an earlier one
//! differs, so one failing file never hides another.

use std::path::Path;

use harden::load::load_spec;
use harden::render::render;
use harden::templates::Templates;

fn example_specs() -> Vec<std::path::PathBuf> {
    let mut specs: Vec<_> = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("specs"))
        .expect("specs/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    specs.sort();
    specs
}

#[test]
fn every_example_spec_renders_to_its_snapshot() {
    let templates = Templates::embedded().expect("templates compile");
    let specs = example_specs();
    assert!(specs.len() >= 3, "expected at least three example specs");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut differing = Vec::new();
    let mut check = |name: String, content: &str| {
        let compared = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            insta::assert_snapshot!(name.clone(), content);
        }));
        if compared.is_err() {
            differing.push(name);
        }
    };
    for spec in specs {
        let relative = spec.strip_prefix(root).expect("spec under the crate");
        let model = load_spec(relative).unwrap_or_else(|e| panic!("{}: {e}", spec.display()));
        let files = render(&model, &templates).expect("renders");
        let stem = spec
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("file stem");
        let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
        check(format!("{stem}__files"), &names.join("\n"));
        for file in &files {
            check(format!("{stem}__{}", file.name), &file.content);
        }
    }
    assert!(differing.is_empty(), "snapshots that differ: {differing:?}");
}
