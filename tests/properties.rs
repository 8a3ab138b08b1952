//! Property tests for validation and quoting: whatever a spec says, a value
//! that validation accepts reaches the manifests as exactly that value (it
//! can never change their structure), and validation never panics.

use proptest::prelude::*;

use harden::validate::formats;

const BASE: &str = "\
apiVersion: harden.dev/v1alpha1
kind: SecuritySpec
app:
  name: shop
workload:
  image: ghcr.io/acme/shop@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
  port: 8080
dapr:
  components:
    - name: cache
      type: state.redis
      metadata:
        host: VALUE
";

fn render_value(value: &str) -> Option<String> {
    let quoted = serde_json::to_string(value).unwrap();
    let spec = BASE.replace("VALUE", &quoted);
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
