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
";

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
        ),
        "c.yaml",
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        error,
        "error: c.yaml:11:5: egress[0].cidr: \"10.0.0.0/8\" opens egress to a range wider than /16, which PCI DSS v4.0 Requirement 1.3 (network access to and from the cardholder data environment is restricted) requires (pci-dss/bounded-egress)\n  help: name the exact networks the app calls (e.g. the processor's published ranges)\nc.yaml: 1 problem found"
    );
}
