//! Compliance-aware rules: each rule rejects a spec that breaks it, naming
//! the framework requirement, and accepts the same spec once it complies.

use harden::load::load_spec_text;
use harden::validate::compliance::RULES;

const BASE: &str = "\
apiVersion: harden.dev/v1alpha1
kind: SecuritySpec
app:
  name: shop
  compliance: [CONTEXT]
workload:
  image: ghcr.io/acme/shop@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
  port: 8080
SIGNATURE";

/// The signature every compliant spec carries (pci-dss requires one).
const SIGNATURE: &str = "  signature: {keyless: {issuer: https://token.actions.githubusercontent.com, subject: https://github.com/acme/shop/.github/workflows/release.yml@refs/heads/main}}\n";
/// A case's `rejected` that leaves the signature out.
const UNSIGNED: &str = "UNSIGNED";

struct Case {
    rule: &'static str,
    context: &'static str,
    rejected: &'static str,
    accepted: &'static str,
}

const CASES: &[Case] = &[
    Case {
        rule: "pci-dss/image-digest",
        context: "pci-dss",
        rejected: "  allowTagOnlyImage: true\n",
        accepted: "",
    },
    Case {
        rule: "pci-dss/signed-image",
        context: "pci-dss",
        rejected: UNSIGNED,
        accepted: "",
    },
    Case {
        rule: "pci-dss/bounded-egress",
        context: "pci-dss",
        rejected: "egress:\n  - name: anywhere\n    cidr: 10.0.0.0/8\n    ports: [{port: 443}]\n",
        accepted: "egress:\n  - name: processor\n    cidr: 203.0.113.0/24\n    ports: [{port: 443}]\n",
    },
    Case {
        rule: "pci-dss/bounded-hostnames",
        context: "pci-dss",
        rejected: "network: {enforcement: cilium}\negress:\n  - name: receipts\n    hosts: [\"*.s3.eu-west-1.amazonaws.com\"]\n    ports: [{port: 443}]\n",
        accepted: "network: {enforcement: cilium}\negress:\n  - name: receipts\n    hosts: [receipts.s3.eu-west-1.amazonaws.com, \"*.stripe.com\"]\n    ports: [{port: 443}]\n",
    },
    Case {
        rule: "pci-dss/dapr-api-token",
        context: "pci-dss",
        rejected: "dapr:\n  enabled: true\n",
        accepted: "dapr:\n  enabled: true\n  apiTokenSecret: shop-dapr-token\n  appTokenSecret: shop-dapr-app-token\n",
    },
    Case {
        rule: "pci-dss/dapr-app-token",
        context: "pci-dss",
        rejected: "dapr:\n  enabled: true\n  apiTokenSecret: shop-dapr-token\n",
        accepted: "dapr:\n  enabled: true\n  apiTokenSecret: shop-dapr-token\n  appTokenSecret: shop-dapr-app-token\n",
    },
    Case {
        rule: "pci-dss/external-secrets",
        context: "pci-dss",
        rejected: "secrets:\n  source: manual\n  keys: [{name: db}]\n",
        accepted: "secrets:\n  store: {name: vault}\n  keys: [{name: db}]\n",
    },
    Case {
        rule: "hipaa/api-logging",
        context: "hipaa",
        rejected: "dapr:\n  apiLogging: false\n",
        accepted: "dapr:\n  apiLogging: true\n",
    },
    Case {
        rule: "hipaa/mtls",
        context: "hipaa",
        rejected: "dapr:\n  enabled: false\n",
        accepted: "dapr:\n  enabled: true\n",
    },
    Case {
        rule: "soc2/audit-logging",
        context: "soc2",
        rejected: "dapr:\n  apiLogging: false\n",
        accepted: "dapr: {}\n",
    },
];

fn spec(case: &Case, extra: &str) -> String {
    let base = BASE.replace("CONTEXT", case.context);
    if extra == UNSIGNED {
        return base.replace("SIGNATURE", "");
    }
    let base = base.replace("SIGNATURE", SIGNATURE);
    if let Some(workload_line) = extra.strip_prefix("  ") {
        // A workload field goes under workload.
        base.replacen(
            "  port: 8080\n",
            &format!("  port: 8080\n  {workload_line}"),
            1,
        )
    } else {
        format!("{base}{extra}")
    }
}

#[test]
fn every_compliance_rule_rejects_and_accepts() {
    for case in CASES {
        let error = load_spec_text(&spec(case, case.rejected), "c.yaml")
            .expect_err(case.rule)
            .to_string();
        let rule = RULES.iter().find(|r| r.id == case.rule).unwrap();
        assert!(
            error.contains(&format!("({})", case.rule)),
            "{}: {error}",
            case.rule
        );
        assert!(
            error.contains(rule.requirement),
            "{}: the message must name the requirement: {error}",
            case.rule
        );
        if let Err(error) = load_spec_text(&spec(case, case.accepted), "c.yaml") {
            panic!("{}: the compliant spec is rejected: {error}", case.rule);
        }
        // Without the context, the rejected spec is accepted.
        let without = spec(case, case.rejected)
            .replace(&format!("compliance: [{}]", case.context), "compliance: []");
        assert!(
            load_spec_text(&without, "c.yaml").is_ok(),
            "{}: applies only under {}",
            case.rule,
            case.context
        );
    }
}

#[test]
fn every_rule_has_a_case() {
    for rule in RULES {
        assert!(
            CASES.iter().any(|c| c.rule == rule.id),
            "{} has no case",
            rule.id
        );
    }
}

#[test]
fn the_message_reads_well() {
    let error = load_spec_text(
        &format!(
            "{}egress:\n  - name: anywhere\n    cidr: 10.0.0.0/8\n    ports: [{{port: 443}}]\n",
            BASE.replace("CONTEXT", "pci-dss")
                .replace("SIGNATURE", SIGNATURE)
        ),
        "c.yaml",
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        error,
        "error: c.yaml:12:5: egress[0].cidr: \"10.0.0.0/8\" opens egress to a range wider than /16, which PCI DSS v4.0 Requirement 1.3 (network access to and from the cardholder data environment is restricted) requires (pci-dss/bounded-egress)\n  help: name the exact networks the app calls (e.g. the processor's published ranges)\nc.yaml: 1 problem found"
    );
}

/// `specs/checkout.yaml` (PCI DSS) without its signature exits 2, naming the
/// field and the fix; under soc2 and hipaa the same gap is a warning and
/// the spec is valid.
#[test]
fn an_unsigned_image_is_an_error_under_pci_dss_and_a_warning_under_soc2_and_hipaa() {
    let text = BASE.replace("CONTEXT", "pci-dss").replace("SIGNATURE", "");
    let error = load_spec_text(&text, "c.yaml").unwrap_err().to_string();
    assert!(
        error.contains("workload.signature: is missing, so the cluster would run any image pushed to the repository, which PCI DSS v4.0 Requirement 6"),
        "{error}"
    );
    assert!(
        error.contains("help: add workload.signature with the identity that signs the image in CI"),
        "{error}"
    );
    for (context, requirement) in [
        ("soc2", "SOC 2 CC6.8"),
        ("hipaa", "HIPAA 45 CFR 164.312(c)(1)"),
    ] {
        // HIPAA also requires Dapr (mTLS).
        let dapr = if context == "hipaa" { "dapr: {}\n" } else { "" };
        let text = BASE.replace("CONTEXT", context).replace("SIGNATURE", "") + dapr;
        let model = load_spec_text(&text, "c.yaml").expect(context);
        assert_eq!(model.warnings.len(), 1, "{context}");
        assert_eq!(model.warnings[0].path, "workload.signature");
        assert!(model.warnings[0].message.contains(requirement), "{context}");
        let signed = BASE
            .replace("CONTEXT", context)
            .replace("SIGNATURE", SIGNATURE)
            + dapr;
        assert!(
            load_spec_text(&signed, "c.yaml")
                .unwrap()
                .warnings
                .is_empty(),
            "{context}"
        );
    }
    let checkout =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/specs/checkout.yaml"))
            .unwrap();
    let start = checkout
        .find("  # PCI DSS: only the image CI signed")
        .expect("checkout's signature");
    let end = checkout.find("\ningress:").unwrap();
    let unsigned = format!("{}{}", &checkout[..start], &checkout[end..]);
    let error = load_spec_text(&unsigned, "specs/checkout.yaml")
        .unwrap_err()
        .to_string();
    assert!(error.contains("workload.signature: is missing"), "{error}");
}
