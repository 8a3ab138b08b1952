//! `validate` and `render` agree: every spec that validation accepts
//! renders (clean under harden's own audit and the policy proof), and a
//! spec that `render` would refuse is refused by `validate` first, with the
//! field and the fix (exit 2 from both).

use proptest::prelude::*;
use serde_json::{Value, json};

use crate::support::harden::Harden;
use crate::support::spec_gen::{load, spec};

const WIDE: &str = "apiVersion: harden.dev/v1alpha1
kind: SecuritySpec
app:
  name: web
  namespace: web
workload:
  image: registry.example.com/web@sha256:0000000000000000000000000000000000000000000000000000000000000001
  port: 8080
egress:
  - name: internet
    cidr: CIDR
    ports: [{port: 443}]
";

/// 0.0.0.0/0 without a compliance context was valid, and `render` then
/// failed its own audit (exit 1); a range wider than /8 likewise.
#[test]
fn a_cidr_the_audit_refuses_is_refused_by_validate_and_render_alike() {
    for (cidr, message) in [
        (
            "0.0.0.0/0",
            "egress[0].cidr: \"0.0.0.0/0\" is every IPv4 address",
        ),
        ("::/0", "egress[0].cidr: \"::/0\" is every IPv6 address"),
        (
            "0.0.0.0/1",
            "egress[0].cidr: \"0.0.0.0/1\" is wider than /8 (IPv4)",
        ),
        (
            "2001::/16",
            "egress[0].cidr: \"2001::/16\" is wider than /32 (IPv6)",
        ),
    ] {
        for command in ["validate", "render"] {
            Harden::new()
                .file("s.yaml", WIDE.replace("CIDR", cidr))
                .args([command, "s.yaml"])
                .status(2)
                .stderr_contains(&format!("s.yaml:11:5: {message}"))
                .stderr_contains("help: list the ranges that need the flow")
                .run();
        }
    }
    Harden::new()
        .file("s.yaml", WIDE.replace("CIDR", "10.0.0.0/8"))
        .args(["render", "--quiet", "s.yaml", "--out", "out"])
        .run();
}

/// `%YAML 2.0` was read as YAML 1.2 by both.
#[test]
fn a_yaml_version_harden_does_not_read_is_refused_by_both() {
    for command in ["validate", "render"] {
        Harden::new()
            .file(
                "s.yaml",
                format!("%YAML 2.0\n---\n{}", WIDE.replace("CIDR", "10.0.0.0/8")),
            )
            .args([command, "s.yaml"])
            .status(2)
            .stderr_contains("s.yaml:1:1: not a valid spec document: %YAML 2.0 is a YAML version harden does not read")
            .stderr_contains("remove the %YAML line")
            .run();
    }
}

/// Widens every `cidr` of a generated spec to `prefix` bits (its address
/// masked to them), so that ranges of every width are tried.
fn widen(mut spec: Value, prefix: u8) -> Value {
    for rule in spec["egress"].as_array_mut().into_iter().flatten() {
        let Some(cidr) = rule.get("cidr").and_then(Value::as_str) else {
            continue;
        };
        let address: std::net::Ipv4Addr = cidr.split('/').next().unwrap().parse().unwrap();
        let mask = if prefix == 0 {
            0
        } else {
            u32::MAX << (32 - prefix)
        };
        let network = std::net::Ipv4Addr::from(u32::from(address) & mask);
        rule["cidr"] = json!(format!("{network}/{prefix}"));
        if let Some(except) = rule.get_mut("except") {
            *except = json!([]);
        }
    }
    spec
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever validation accepts renders: clean under harden's own audit
    /// (what `render` checks before writing) and the policy proof.
    #[test]
    fn what_validate_accepts_renders(spec in spec(), prefix in 0u8..=32) {
        let spec = widen(spec, prefix);
        let Ok(model) = load(&spec) else {
            return Ok(());
        };
        let templates = harden::templates::Templates::embedded().unwrap();
        let files = harden::render::render(&model, &templates).expect("a valid spec renders");
        let findings = harden::audit::self_check(&model, &files).expect("rendered YAML parses");
        prop_assert!(findings.is_empty(), "validate accepted, render refuses: {:?}\n{}", findings, spec);
        let proof = harden::proof::prove(&model, &files).expect("policies evaluate");
        prop_assert!(proof.violations.is_empty(), "proof violations: {:?}", proof.violations);
    }
}
