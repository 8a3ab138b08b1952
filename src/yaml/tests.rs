//! Tests of the YAML layer as its callers use it.

use serde_json::json;

use super::*;
use crate::spec::Spec;

fn one(text: &str) -> serde_json::Value {
    let mut documents = parse_stream(text).unwrap();
    assert_eq!(documents.len(), 1, "{text}");
    documents.remove(0)
}

fn spec_error(text: &str) -> SyntaxError {
    parse_document::<Spec>(text).unwrap_err()
}

/// Runs a hostile input. Not timed (a timed test fails on a loaded
/// machine): each case asserts the message of the linear pre-scan that
/// refuses it before yaml-rust2 sees it, and the fuzzer and `scripts/bench`
/// measure the time.
fn fast<T>(f: impl FnOnce() -> T) -> T {
    f()
}

#[test]
fn locations_point_at_keys_and_items() {
    let text = "app:\n  name: x\negress:\n  - name: a\n    cidr: 10.0.0.0/8\n  - name: b\n";
    let locations = Locations::index(text);
    assert_eq!(
        locations.find("app.name"),
        Some(Position { line: 2, column: 3 })
    );
    assert_eq!(
        locations.find("egress[0].cidr"),
        Some(Position { line: 5, column: 5 })
    );
    assert_eq!(
        locations.find("egress[1]"),
        Some(Position { line: 6, column: 5 })
    );
    // A path that was not written falls back to its nearest written ancestor.
    assert_eq!(
        locations.find("egress[1].ports[0].port"),
        Some(Position { line: 6, column: 5 })
    );
    assert_eq!(locations.find("dapr.enabled"), None);
}

#[test]
fn locations_find_keys_holding_dots() {
    let text = "metadata:\n  labels:\n    app.kubernetes.io/name: x\n    app: y\n";
    let locations = Locations::index(text);
    assert_eq!(
        locations.find("metadata.labels.app.kubernetes.io/name"),
        Some(Position { line: 3, column: 5 })
    );
    assert_eq!(
        locations.find("metadata.labels.app"),
        Some(Position { line: 4, column: 5 })
    );
}

#[test]
fn unknown_fields_are_collected_not_fatal() {
    #[derive(serde::Deserialize, schemars::JsonSchema)]
    struct Doc {
        #[allow(dead_code)]
        a: Option<u32>,
    }
    let parsed = parse_document::<Doc>("a: 1\nb: 2\nc:\n  d: 3\n").unwrap();
    assert_eq!(parsed.unknown_fields, vec!["b", "c"]);
}

#[test]
fn manifests_read_yaml_1_1_as_kubernetes_does() {
    let document = one(
        "a: yes\nb: Off\nc: y\nd: 0x1F\ne: 0o17\nf: 017\ng: 0b11\nh: 1_000\ni: ~\nj: \"yes\"\nk: 1.0\n",
    );
    assert_eq!(
        document,
        json!({"a": true, "b": false, "c": true, "d": 31, "e": 15, "f": 15, "g": 3,
               "h": 1000, "i": null, "j": "yes", "k": 1})
    );
    // Keys resolve too, and become text as sigs.k8s.io/yaml makes them.
    assert_eq!(one("on: 1\n"), json!({"true": 1}));
}

#[test]
fn merge_keys_follow_go_yaml() {
    let text = "base: &b {p: 1, q: 1}\nother: &o {q: 2, r: 2}\n\
                one:\n  <<: *b\n  q: 3\n\
                list:\n  <<: [*o, *b]\n";
    let document = one(text);
    // Explicit keys win over merged ones.
    assert_eq!(document["one"], json!({"p": 1, "q": 3}));
    // In a list, earlier mappings win.
    assert_eq!(document["list"], json!({"p": 1, "q": 2, "r": 2}));
    // `y` is a YAML 1.1 boolean, even as a key.
    assert_eq!(one("y: 1\n"), json!({"true": 1}));
    let error = parse_stream("a:\n  <<: 1\n").unwrap_err();
    assert!(error.message.contains("merge key"), "{error:?}");
}

#[test]
fn standard_tags_are_honoured_in_manifests() {
    let document = one("a: !!str 8080\nb: !!int \"7\"\nc: !!float 1\n");
    assert_eq!(document, json!({"a": "8080", "b": 7, "c": 1}));
    assert!(parse_stream("a: !!int abc\n").is_err());
}

#[test]
fn duplicate_keys_are_refused_at_the_duplicate() {
    let error = parse_stream("kind: Pod\nmetadata:\n  name: a\n  name: b\n").unwrap_err();
    assert_eq!(error.position, Some(Position { line: 4, column: 3 }));
    assert!(
        error.message.contains("first on line 3"),
        "{}",
        error.message
    );
    let error = spec_error("app:\n  name: a\ningress:\n  - podLabels:\n      a: x\n      a: y\n");
    assert_eq!(error.position.map(|p| p.line), Some(6));
    assert!(error.message.contains("line 5"), "{}", error.message);
    // Long mappings are looked up through an index: a duplicate before,
    // at and after the mapping grows one is still found.
    for (count, duplicate) in [(15, 3), (16, 0), (40, 39), (40, 17)] {
        let keys: String = (0..count).map(|i| format!("k{i}: {i}\n")).collect();
        let text = format!("{keys}k{duplicate}: again\n");
        let error = parse_stream(&text).unwrap_err();
        assert_eq!(error.position.map(|p| p.line), Some(count + 1), "{text}");
        assert!(
            error
                .message
                .contains(&format!("first on line {}", duplicate + 1)),
            "{}",
            error.message
        );
    }
}

#[test]
fn json_files_and_json_streams_are_read() {
    assert_eq!(
        one("{\"kind\": \"Pod\", \"n\": [1, 2]}"),
        json!({"kind": "Pod", "n": [1, 2]})
    );
    let documents: Vec<_> = manifests("{\"kind\": \"A\"}\n{\"kind\": \"B\",\n \"x\": 1}\n")
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(documents.len(), 2);
    assert_eq!(documents[1].value, json!({"kind": "B", "x": 1}));
    assert_eq!(documents[1].start_line, 2);
    assert_eq!(documents[1].locations.find("x").map(|p| p.line), Some(3));
}

#[test]
fn manifests_stream_one_document_at_a_time_with_lines() {
    let text = "# header\n---\nkind: A\nmetadata:\n  name: a\n---\n\nkind: B\nspec:\n  x: 1\n---\n";
    let documents: Vec<_> = manifests(text).collect::<Result<_, _>>().unwrap();
    assert_eq!(documents.len(), 2);
    assert_eq!(documents[0].start_line, 3);
    assert_eq!(
        documents[0].locations.find("metadata.name").map(|p| p.line),
        Some(5)
    );
    assert_eq!(
        documents[1].locations.find("spec.x").map(|p| p.line),
        Some(10)
    );
    // A syntax error in a later document comes after the earlier ones.
    let mut documents = manifests("kind: A\n---\nkind: [B\n");
    assert!(documents.next().unwrap().is_ok());
    let error = documents.next().unwrap().unwrap_err();
    assert_eq!(error.position, Some(Position { line: 3, column: 7 }));
    assert!(
        error.message.contains("expected ',' or ']'"),
        "{}",
        error.message
    );
    assert!(documents.next().is_none());
}

#[test]
fn specs_refuse_every_explicit_tag() {
    for (text, tag) in [
        ("workload:\n  port: !!str 8080\n", "!!str"),
        ("app:\n  name: !Ref x\n", "!Ref"),
        (
            "app: !!python/object:os.system\n  name: x\n",
            "!!python/object:os.system",
        ),
    ] {
        let error = spec_error(text);
        assert_eq!(
            error.message,
            format!("explicit YAML tags are not allowed in a spec: remove `{tag}`"),
        );
        assert!(error.position.is_some());
    }
}

#[test]
fn specs_read_yaml_1_2_and_allow_aliases() {
    let parsed =
        parse_document::<Spec>("app:\n  name: &n shop\n  namespace: *n\ndapr:\n  enabled: yes\n")
            .unwrap();
    assert_eq!(parsed.value.app.unwrap().namespace.as_deref(), Some("shop"));
    // `yes` is text in YAML 1.2, so not a boolean.
    assert_eq!(parsed.type_errors.len(), 1);
    assert_eq!(parsed.type_errors[0].path, "dapr.enabled");
    assert_eq!(
        parsed.type_errors[0].message,
        "expected true or false, found the text \"yes\""
    );
}

#[test]
fn every_type_error_is_reported_in_plain_words() {
    let text = "workload:\n  port: \"8080\"\n  replicas: [2]\n\
                ingress:\n  - name: a\n    podLabels:\n      a:\n      b: x\n  - oops\n  - name: c\n\
                app:\n  name: shop\n";
    let parsed = parse_document::<Spec>(text).unwrap();
    let errors: Vec<(&str, &str)> = parsed
        .type_errors
        .iter()
        .map(|e| (e.path.as_str(), e.message.as_str()))
        .collect();
    assert_eq!(
        errors,
        vec![
            (
                "workload.port",
                "expected a whole number, found the text \"8080\""
            ),
            ("workload.replicas", "expected a whole number, found a list"),
            ("ingress[0].podLabels.a", "expected text, found nothing"),
            (
                "ingress[1]",
                "expected a mapping of fields, found the text \"oops\""
            ),
        ]
    );
    assert_eq!(parsed.type_errors[0].help, "remove the quotes: 8080");
    // The rest is still read: the bad list item is left out, and paths in
    // the value map back to the text.
    let spec = parsed.value;
    assert_eq!(spec.app.unwrap().name.as_deref(), Some("shop"));
    assert_eq!(spec.ingress.len(), 2);
    assert_eq!(spec.ingress[1].name.as_deref(), Some("c"));
    assert_eq!(
        parsed.removed.source_path("ingress[1].name"),
        "ingress[2].name"
    );
    assert_eq!(spec.ingress[0].pod_labels.len(), 1);
}

#[test]
fn a_byte_order_mark_is_accepted() {
    let parsed = parse_document::<Spec>("\u{feff}app:\n  name: x\n").unwrap();
    assert!(parsed.unknown_fields.is_empty());
    assert_eq!(one("\u{feff}kind: A\n"), json!({"kind": "A"}));
}

#[test]
fn a_second_document_in_a_spec_is_refused() {
    let error = spec_error("app:\n  name: a\n---\napp:\n  name: b\n");
    assert_eq!(error.position.map(|p| p.line), Some(3));
    assert!(error.message.contains("line 3"), "{}", error.message);
    // A leading `---` and a trailing empty document are fine.
    assert!(parse_document::<Spec>("---\napp:\n  name: a\n---\n").is_ok());
}

#[test]
fn syntax_errors_point_at_the_construct_and_keep_the_parser_text() {
    let error = spec_error("apiVersion: x\nkind: y\napp:\n  name: \"shop\n  namespace: a\n\n\n");
    assert_eq!(error.position, Some(Position { line: 4, column: 9 }));
    assert!(error.message.contains("quoted scalar"), "{}", error.message);
    let error = spec_error("app:\n\tname: x\n");
    assert!(error.message.contains("tabs"), "{}", error.message);
    let error = spec_error("app:\n  name: x\n namespace: y\n");
    assert!(error.message.contains("indentation"), "{}", error.message);
    assert_eq!(error.position.map(|p| p.line), Some(3));
}

#[test]
fn hostile_inputs_fail_fast() {
    // Deep flow nesting: yaml-rust2 is quadratic on it, the pre-scan is not.
    let brackets = format!("a: {}", "[".repeat(100_000));
    let error = fast(|| spec_error(&brackets));
    assert!(error.message.contains("nest"), "{}", error.message);
    let error = fast(|| parse_stream(&brackets).unwrap_err());
    assert!(error.message.contains("nest"), "{}", error.message);
    // Deep block nesting.
    let mut deep = String::new();
    for level in 0..1000 {
        deep.push_str(&" ".repeat(level));
        deep.push_str("a:\n");
    }
    let error = fast(|| parse_stream(&deep).unwrap_err());
    assert!(
        error.message.contains("nests more than"),
        "{}",
        error.message
    );
    // A billion laughs.
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..10 {
        let previous = format!("*a{}", level - 1);
        let items = [previous.as_str(); 10].join(", ");
        bomb.push_str(&format!("a{level}: &a{level} [{items}]\n"));
    }
    let error = fast(|| parse_stream(&bomb).unwrap_err());
    assert!(
        error.message.contains("billion laughs"),
        "{}",
        error.message
    );
    let error = fast(|| spec_error(&bomb));
    assert!(
        error.message.contains("billion laughs"),
        "{}",
        error.message
    );
    // An oversized spec is refused before parsing.
    let big = format!("app:\n  name: {}\n", "x".repeat(SPEC_MAX_BYTES));
    let error = fast(|| spec_error(&big));
    assert!(error.message.contains("1 MiB"), "{}", error.message);
}

#[test]
fn infinities_cannot_reach_kubernetes() {
    let error = parse_stream("a: .inf\n").unwrap_err();
    assert_eq!(error.position, Some(Position { line: 1, column: 4 }));
}

#[test]
fn multibyte_characters_before_a_document_marker_do_not_panic() {
    // Found by the fuzzer: the parser's marks count characters, not bytes.
    // `---` is at character 14 and byte 34: byte 14 falls inside U+2066.
    let text = "x: \u{2066}\u{2066}\u{2066}\u{2066}\u{2066}\u{2066}\u{2066}\u{2066}\u{2066}\u{2066}\n---\nkind: A\n---\nkind: B\n";
    let documents: Vec<_> = manifests(text).collect();
    assert_eq!(documents.len(), 3);
    assert!(documents.iter().all(|d| d.is_ok()));
    let spec = "# caf\u{e9} \u{1f600}\napiVersion: harden.dev/v1alpha1\n---\nkind: SecuritySpec\n";
    let error = parse_document::<crate::spec::Spec>(spec).unwrap_err();
    assert!(
        error.message.contains("second document") || error.message.contains("document"),
        "{}",
        error.message
    );
}

/// The lean reading leaves only a CRD's schemas out, and refuses what the
/// full reading refuses, at the same place.
#[test]
fn lean_reading_drops_only_definition_schemas() {
    let crd = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: a.b\nspec:\n  group: b\n";
    let lean = manifests_lean(crd).next().unwrap().unwrap();
    assert_eq!(lean.value.get("spec"), None);
    assert_eq!(lean.value.pointer("/metadata/name").unwrap(), "a.b");
    assert_eq!(lean.locations.find("metadata.name").unwrap().line, 4);
    let full = manifests(crd).next().unwrap().unwrap();
    assert_eq!(full.value.pointer("/spec/group").unwrap(), "b");
    let deployment = "kind: Deployment\nspec:\n  replicas: 1\n";
    let lean = manifests_lean(deployment).next().unwrap().unwrap();
    assert_eq!(lean.value.pointer("/spec/replicas").unwrap(), 1);
    let bad = "kind: CustomResourceDefinition\nspec:\n  x: .inf\nmetadata:\n  y: .nan\n";
    let lean = manifests_lean(bad).next().unwrap().unwrap_err();
    let full = manifests(bad).next().unwrap().unwrap_err();
    assert_eq!(lean, full);
    assert_eq!(lean.position.unwrap().line, 3);
}

#[test]
fn a_yaml_version_the_reader_does_not_implement_is_refused() {
    for (text, line) in [
        ("%YAML 2.0\n---\napp: {name: web}\n", 1),
        ("# a comment\n%YAML 1.1\n---\napp: {name: web}\n", 2),
        ("%YAML 1.3\n---\napp: {name: web}\n", 1),
    ] {
        let error = spec_error(text);
        assert_eq!(error.position.map(|p| p.line), Some(line), "{text}");
        assert!(
            error.message.contains("harden does not read")
                && error.message.contains("remove the %YAML line"),
            "{error:?}"
        );
    }
    // YAML 1.2, what a spec is read as, is fine.
    assert!(parse_document::<Spec>("%YAML 1.2\n---\napp: {name: web}\n").is_ok());
    // Manifests: 1.1 (what kubectl reads) and 1.2, nothing else.
    assert!(parse_stream("%YAML 1.1\n---\nkind: Pod\n").is_ok());
    assert!(parse_stream("%YAML 1.2\n---\nkind: Pod\n").is_ok());
    let error = parse_stream("kind: Pod\n---\n%YAML 2.0\n---\nkind: Pod\n").unwrap_err();
    assert!(error.message.contains("%YAML 2.0"), "{error:?}");
}

/// The schema check runs only for a spec that does not deserialize as it
/// is; skipping it is sound only if it finds nothing in one that does.
/// Every committed spec (and the wizard's examples in the book) deserializes
/// and the check finds no type error in it; a mistyped value still makes
/// both paths agree on the error.
#[test]
fn the_schema_check_finds_nothing_in_a_spec_that_deserializes() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut specs: Vec<std::path::PathBuf> = Vec::new();
    for dir in ["specs", "examples/workspace/specs"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "yaml") {
                specs.push(path);
            }
        }
    }
    assert!(specs.len() >= 5, "{specs:?}");
    for path in specs {
        let text = std::fs::read_to_string(&path).unwrap();
        let parsed =
            parse_document_against::<Spec, _>(&text, || Ok(crate::spec::json_schema())).unwrap();
        assert!(parsed.type_errors.is_empty(), "{}", path.display());
        let mut node = spec_tree(&text).unwrap();
        let (errors, _) = schema::check(&mut node, crate::spec::json_schema());
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
    }
    // A mistyped value does not deserialize, so the check runs and names it.
    let parsed =
        parse_document_against::<Spec, _>("app:\n  name: x\nworkload:\n  port: \"8080\"\n", || {
            Ok(crate::spec::json_schema())
        })
        .unwrap();
    assert_eq!(parsed.type_errors.len(), 1, "{:?}", parsed.type_errors);
    assert_eq!(parsed.type_errors[0].path, "workload.port");
}
