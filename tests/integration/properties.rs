//! Property tests for validation and quoting: whatever a spec says, a value
//! that validation accepts reaches the manifests as exactly that value (it
//! can never change their structure), and validation never panics. And on
//! valid generated specs (support/spec_gen.rs): render succeeds, is
//! deterministic, and passes harden's own audit and network-policy proof.
//! And on generated workspaces (specs sharing namespaces, Kubernetes or
//! Cilium enforcement, calls either way): the rendered output voids no
//! Cilium DNS filter.

use proptest::prelude::*;

use harden::validate::formats;

/// The minimal spec with one Dapr component whose metadata value is `VALUE`.
fn base() -> String {
    format!(
        "{}dapr:\n  components:\n    - name: cache\n      type: state.redis\n      metadata:\n        host: VALUE\n",
        crate::support::MINIMAL_SPEC
    )
}

fn render_value(value: &str) -> Option<String> {
    let quoted = serde_json::to_string(value).unwrap();
    let spec = base().replace("VALUE", &quoted);
    let model = harden::load::load_spec_text(&spec, "p.yaml").ok()?;
    let files = harden::render::render(&model, &harden::templates::Templates::embedded().unwrap())
        .expect("a valid spec always renders");
    let components = &files
        .iter()
        .find(|f| f.name == "05-dapr-components.yaml")
        .unwrap()
        .content;
    let documents = harden::yaml::parse_stream(components).expect("rendered YAML parses");
    let component = documents.iter().find(|d| d["kind"] == "Component").unwrap();
    let items = component["spec"]["metadata"].as_array().unwrap();
    assert_eq!(items.len(), 1, "the value added no metadata entry");
    assert_eq!(
        component.as_object().unwrap().len(),
        5,
        "the value added no top-level field"
    );
    Some(items[0]["value"].as_str().unwrap().to_string())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Any accepted metadata value arrives verbatim, however hostile.
    #[test]
    fn accepted_values_reach_the_manifest_verbatim(value in "[ -~]{0,40}|[\\PC]{0,20}") {
        if let Some(rendered) = render_value(&value) {
            prop_assert_eq!(rendered, value);
        }
    }

    /// Values with control characters (newlines, tabs) are refused, never rendered.
    #[test]
    fn control_characters_are_refused(prefix in "[a-z]{0,5}", control in "[\\n\\r\\t\\x00\\x1b]", suffix in "[a-z]{0,5}") {
        let value = format!("{prefix}{control}{suffix}");
        prop_assert!(render_value(&value).is_none());
    }

    /// The name checks agree with the Kubernetes grammar.
    #[test]
    fn dns_labels_match_the_grammar(text in "[a-z0-9-]{0,70}|[ -~]{0,10}") {
        let expected = !text.is_empty()
            && text.len() <= 63
            && text.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !text.starts_with('-')
            && !text.ends_with('-');
        prop_assert_eq!(formats::dns1123_label(&text).is_ok(), expected);
    }

    /// A CIDR that parses is canonical: printing it back gives the same text.
    #[test]
    fn parsed_cidrs_are_canonical(a in 0u8..=255, b in 0u8..=255, c in 0u8..=255, d in 0u8..=255, prefix in 0u8..=40) {
        let text = format!("{a}.{b}.{c}.{d}/{prefix}");
        if let Ok(cidr) = formats::cidr(&text) {
            prop_assert!(prefix <= 32);
            prop_assert_eq!(format!("{}/{}", cidr.address, cidr.prefix), text);
        }
    }

    /// Parsing never panics on arbitrary text, and what it accepts is sane.
    #[test]
    fn image_references_never_panic(text in "[ -~]{0,80}") {
        if let Ok(reference) = formats::image_reference(&text) {
            prop_assert!(!text.contains(' '));
            if let Some(digest) = reference.digest {
                prop_assert!(digest.starts_with("sha256:") || digest.starts_with("sha512:"));
            }
        }
        let _ = formats::quantity(&text);
        let _ = formats::go_duration(&text);
        let _ = formats::mount_path(&text);
    }

    /// Validation of arbitrary documents never panics; it accepts or reports.
    #[test]
    fn validation_never_panics(name in "[ -~]{0,20}", port in any::<i64>(), image in "[ -~]{0,30}") {
        let spec = format!(
            "apiVersion: harden.dev/v1alpha1\nkind: SecuritySpec\napp:\n  name: {}\nworkload:\n  image: {}\n  port: {port}\n",
            serde_json::to_string(&name).unwrap(),
            serde_json::to_string(&image).unwrap()
        );
        let _ = harden::load::load_spec_text(&spec, "p.yaml");
    }
}

// --- valid specs ------------------------------------------------------------

use crate::support::spec_gen;
use spec_gen::{image, load, spec};

/// How many generated specs validate: the properties below are only worth
/// their cases if nearly all of them do. Measured on 500 specs from a fixed
/// seed, so the figure is the same on every run (printed; see CHANGELOG).
#[test]
fn generated_specs_are_valid() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = spec();
    let total = 500;
    let mut rejected = Vec::new();
    let mut covered = [0usize; 11];
    for _ in 0..total {
        let spec = strategy.new_tree(&mut runner).unwrap().current();
        match load(&spec) {
            Ok(model) => {
                let dapr = model.dapr.as_ref();
                let flows = || model.network.egress.iter().chain(&model.network.ingress);
                let protocol = |name: &str| {
                    flows().any(|f| f.ports.iter().any(|p| p.protocol.as_str() == name))
                };
                let rules = || model.api_access.iter().flat_map(|a| &a.rules);
                for (count, present) in covered.iter_mut().zip([
                    dapr.is_some(),
                    dapr.is_some_and(|d| !d.components.is_empty()),
                    !model.network.hosts.is_empty(),
                    model.secrets.is_some(),
                    model.api_access.is_some(),
                    !model.compliance.is_empty(),
                    protocol("UDP"),
                    protocol("SCTP"),
                    rules().any(|r| r.api_groups.iter().any(|g| !g.is_empty())),
                    rules().any(|r| {
                        r.verbs
                            .iter()
                            .any(|v| !["get", "list", "watch"].contains(&v.as_str()))
                    }),
                    model.api_access.as_ref().is_some_and(|a| a.grants_secrets),
                ]) {
                    *count += usize::from(present);
                }
            }
            Err(error) => rejected.push(error),
        }
    }
    let accepted = total - rejected.len();
    eprintln!("{accepted} of {total} generated specs validate; coverage: {covered:?}");
    assert!(
        accepted * 100 >= total * 95,
        "only {accepted} of {total} generated specs validate; first rejection:\n{}",
        rejected[0]
    );
    // Every part of the spec is exercised by a fair share of the cases:
    // Dapr, components, hostnames, secrets, API access, compliance, UDP
    // and SCTP ports, API groups other than the core one, write verbs and
    // Secrets access.
    for (part, count) in [
        "dapr",
        "components",
        "hosts",
        "secrets",
        "kubernetesApi",
        "compliance",
        "UDP ports",
        "SCTP ports",
        "an API group other than the core one",
        "a write verb",
        "access to Secrets",
    ]
    .iter()
    .zip(covered)
    {
        assert!(
            count * 10 >= total,
            "only {count} of {total} specs have {part}"
        );
    }
}

fn templates() -> &'static harden::templates::Templates {
    static TEMPLATES: std::sync::OnceLock<harden::templates::Templates> =
        std::sync::OnceLock::new();
    TEMPLATES.get_or_init(|| harden::templates::Templates::embedded().unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Every generated spec validates, renders, and the output is what
    /// `render` would write: the same bytes twice, clean under harden's own
    /// audit (Pod Security restricted at the pinned version, the ten
    /// controls, the network-policy rules), network policies that allow
    /// exactly the model's flows (the proof), YAML that parses, and live
    /// scripts that bash can parse.
    #[test]
    fn generated_specs_render_clean_and_deterministic(spec in spec()) {
        let model = load(&spec).map_err(TestCaseError::fail)?;
        let (files, written) =
            harden::render::render_written(&model, templates()).expect("a valid spec renders");
        // The guard's objects, handed to the audit as built, are what its
        // file reads back as.
        prop_assert!(written.agrees_with_its_text().is_ok(), "{:?}", written.agrees_with_its_text());
        let again = harden::render::render(&load(&spec).unwrap(), templates()).unwrap();
        prop_assert_eq!(&files, &again, "render is deterministic");
        let findings = harden::audit::self_check(&model, &files).expect("rendered YAML parses");
        prop_assert!(findings.is_empty(), "own audit findings: {:?}", findings);
        let proof = harden::proof::prove(&model, &files).expect("policies evaluate");
        prop_assert!(proof.violations.is_empty(), "proof violations: {:?}", proof.violations);
        for file in files.iter().filter(|f| f.name.ends_with(".yaml")) {
            prop_assert!(harden::yaml::parse_stream(&file.content).is_ok(), "{} parses", file.name);
        }
        for kind in ["audit", "pentest"] {
            let name = format!("secure-{}-{kind}.sh", model.name);
            let script = &files.iter().find(|f| f.name == name).expect("script rendered").content;
            let syntax = std::process::Command::new("bash")
                .args(["-n", "-c", script])
                .output()
                .unwrap();
            prop_assert!(syntax.status.success(), "{}: {}", name, String::from_utf8_lossy(&syntax.stderr));
        }
    }

    /// Generated image references (pinned by digest) always parse, and keep
    /// their digest.
    #[test]
    fn valid_image_references_parse(text in image()) {
        let reference = formats::image_reference(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert_eq!(reference.digest.as_deref(), text.split_once('@').map(|(_, d)| d));
    }
}

// --- workspaces -------------------------------------------------------------

/// A workspace of 2 to 4 specs over two namespaces (so some share one),
/// each enforced by Kubernetes or by Cilium with egress by hostname, and
/// calls between them either way (`egress: [{app}]` at the caller,
/// `ingress: [{app}]` at the callee).
fn workspace() -> impl Strategy<Value = Vec<String>> {
    (2usize..=4)
        .prop_flat_map(|n| {
            (
                prop::collection::vec((0usize..2, any::<bool>()), n),
                prop::collection::vec(any::<bool>(), n * n),
            )
        })
        .prop_map(|(apps, calls)| {
            let n = apps.len();
            let name = |i: usize| format!("app{i}");
            (0..n)
                .map(|i| {
                    let (namespace, cilium) = apps[i];
                    let mut text = format!(
                        "apiVersion: harden.dev/v1alpha1\nkind: SecuritySpec\napp:\n  name: {}\n  namespace: ns{namespace}\n  podSecurityVersion: v1.33\n",
                        name(i)
                    );
                    if cilium {
                        text.push_str("network:\n  enforcement: cilium\n");
                    }
                    text.push_str(&format!(
                        "workload:\n  image: ghcr.io/acme/app{i}@sha256:{}\n  port: {}\n",
                        "0123456789abcdef".repeat(4),
                        7000 + i
                    ));
                    let callers: Vec<usize> = (0..n).filter(|&j| j != i && calls[j * n + i]).collect();
                    let callees: Vec<usize> = (0..n).filter(|&j| j != i && calls[i * n + j]).collect();
                    if !callers.is_empty() {
                        text.push_str("ingress:\n");
                        for j in callers {
                            text.push_str(&format!("  - app: {}\n", name(j)));
                        }
                    }
                    if !callees.is_empty() || cilium {
                        text.push_str("egress:\n");
                    }
                    for j in callees {
                        text.push_str(&format!("  - app: {}\n", name(j)));
                    }
                    if cilium {
                        text.push_str(&format!(
                            "  - name: vendor\n    hosts: [api{i}.example.com]\n    ports:\n      - port: 443\n"
                        ));
                    }
                    text
                })
                .collect()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Whatever specs share a namespace and whoever calls whom, the rendered
    /// workspace voids no Cilium DNS filter: render proves it (and would
    /// refuse), and `harden audit` of the output finds no
    /// `netpol/dns-filter-voided`.
    #[test]
    fn a_rendered_workspace_voids_no_dns_filter(specs in workspace()) {
        let dir = tempfile::TempDir::new().unwrap();
        std::fs::write(dir.path().join("harden.yaml"), "specs: [specs]\noutput: \"deploy/{app}\"\n").unwrap();
        std::fs::create_dir(dir.path().join("specs")).unwrap();
        for (i, text) in specs.iter().enumerate() {
            std::fs::write(dir.path().join(format!("specs/app{i}.yaml")), text).unwrap();
        }
        let render = crate::support::harden_in(dir.path()).args(["render", "--quiet"]).output().unwrap();
        prop_assert!(
            render.status.success(),
            "render failed:\n{}\n{}",
            String::from_utf8_lossy(&render.stderr),
            specs.join("---\n")
        );
        let audit = crate::support::harden_in(dir.path())
            .args(["audit", "--rule", "netpol/dns-filter-voided", "deploy"])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&audit.stdout);
        prop_assert!(
            audit.status.success() && !stdout.contains("netpol/dns-filter-voided"),
            "{}\n{}",
            stdout,
            specs.join("---\n")
        );
    }
}
