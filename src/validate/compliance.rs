//! Compliance-aware rules: selecting a compliance context tightens what a
//! spec may say. Each rule names the framework requirement it enforces; a
//! violated rule is a validation error like any other.
//!
//! The requirement identifiers are the frameworks' own: PCI DSS v4.0
//! principal requirements, the HIPAA Security Rule's technical safeguards
//! (45 CFR 164.312), and the 2017 SOC 2 Trust Services Criteria.

use crate::diagnostics::Problem;
use crate::spec::Spec;
use crate::validate::{formats, hosts};

/// One compliance rule, for documentation and tests.
#[derive(Debug, Clone, Copy)]
pub struct ComplianceRule {
    pub id: &'static str,
    pub context: &'static str,
    pub requirement: &'static str,
    pub rule: &'static str,
}

/// Every compliance rule, in the order they are checked.
pub const RULES: &[ComplianceRule] = &[
    PCI_DSS_IMAGE_DIGEST,
    PCI_DSS_SIGNED_IMAGE,
    PCI_DSS_BOUNDED_EGRESS,
    PCI_DSS_BOUNDED_HOSTNAMES,
    PCI_DSS_DAPR_API_TOKEN,
    PCI_DSS_DAPR_APP_TOKEN,
    PCI_DSS_EXTERNAL_SECRETS,
    HIPAA_API_LOGGING,
    HIPAA_MTLS,
    SOC2_AUDIT_LOGGING,
];

pub const PCI_DSS_IMAGE_DIGEST: ComplianceRule = ComplianceRule {
    id: "pci-dss/image-digest",
    context: "pci-dss",
    requirement: "PCI DSS v4.0 Requirement 6 (develop and maintain secure systems and software)",
    rule: "the image is pinned by digest: workload.allowTagOnlyImage is not allowed",
};

pub const PCI_DSS_SIGNED_IMAGE: ComplianceRule = ComplianceRule {
    id: "pci-dss/signed-image",
    context: "pci-dss",
    requirement: "PCI DSS v4.0 Requirement 6 (develop and maintain secure systems and software)",
    rule: "the cluster admits only the image its signer signed: workload.signature is set",
};

pub const PCI_DSS_BOUNDED_EGRESS: ComplianceRule = ComplianceRule {
    id: "pci-dss/bounded-egress",
    context: "pci-dss",
    requirement: "PCI DSS v4.0 Requirement 1.3 (network access to and from the cardholder data environment is restricted)",
    rule: "no egress CIDR wider than /16 (IPv4) or /48 (IPv6), and never 0.0.0.0/0 or ::/0",
};

pub const PCI_DSS_BOUNDED_HOSTNAMES: ComplianceRule = ComplianceRule {
    id: "pci-dss/bounded-hostnames",
    context: "pci-dss",
    requirement: "PCI DSS v4.0 Requirement 1.3 (network access to and from the cardholder data environment is restricted)",
    rule: "no hostname wildcard over a public suffix: in egress[].hosts, *.D needs D to be at least a registrable domain (not a top-level domain, not a suffix such as co.uk or s3.<region>.amazonaws.com from harden's built-in list)",
};

pub const PCI_DSS_DAPR_API_TOKEN: ComplianceRule = ComplianceRule {
    id: "pci-dss/dapr-api-token",
    context: "pci-dss",
    requirement: "PCI DSS v4.0 Requirement 8 (identify users and authenticate access to system components)",
    rule: "with Dapr enabled, the sidecar API requires a token: dapr.apiTokenSecret is set",
};

pub const PCI_DSS_DAPR_APP_TOKEN: ComplianceRule = ComplianceRule {
    id: "pci-dss/dapr-app-token",
    context: "pci-dss",
    requirement: "PCI DSS v4.0 Requirement 8 (identify users and authenticate access to system components)",
    rule: "with Dapr enabled, the sidecar authenticates to the app with a token: dapr.appTokenSecret is set",
};

pub const PCI_DSS_EXTERNAL_SECRETS: ComplianceRule = ComplianceRule {
    id: "pci-dss/external-secrets",
    context: "pci-dss",
    requirement: "PCI DSS v4.0 Requirement 8 (identify users and authenticate access to system components)",
    rule: "credentials come from an external secret store: secrets.source is externalSecrets",
};

pub const HIPAA_API_LOGGING: ComplianceRule = ComplianceRule {
    id: "hipaa/api-logging",
    context: "hipaa",
    requirement: "HIPAA 45 CFR 164.312(b) (audit controls)",
    rule: "Dapr API logging stays on: dapr.apiLogging is not false",
};

pub const HIPAA_MTLS: ComplianceRule = ComplianceRule {
    id: "hipaa/mtls",
    context: "hipaa",
    requirement: "HIPAA 45 CFR 164.312(e)(1) (transmission security)",
    rule: "service-to-service traffic is encrypted: Dapr (mTLS between sidecars) is enabled",
};

pub const SOC2_AUDIT_LOGGING: ComplianceRule = ComplianceRule {
    id: "soc2/audit-logging",
    context: "soc2",
    requirement: "SOC 2 CC7.2 (system components are monitored for anomalies)",
    rule: "Dapr API logging stays on: dapr.apiLogging is not false",
};

fn problem(rule: &ComplianceRule, path: &str, message: String, help: &str) -> Problem {
    Problem::new(
        path,
        format!(
            "{message}, which {} requires ({})",
            rule.requirement, rule.id
        ),
    )
    .help(help)
}

/// Checks the rules of every compliance context the spec selects.
pub fn check(spec: &Spec) -> Vec<Problem> {
    let contexts: Vec<&str> = spec
        .app
        .as_ref()
        .map(|a| a.compliance.iter().map(String::as_str).collect())
        .unwrap_or_default();
    let dapr = spec.dapr.as_ref().filter(|d| d.enabled.unwrap_or(true));
    let api_logging_off = dapr.is_some_and(|d| d.api_logging == Some(false));
    let mut problems = Vec::new();
    if contexts.contains(&"pci-dss") {
        pci_dss(spec, dapr, &mut problems);
    }
    if contexts.contains(&"hipaa") {
        if api_logging_off {
            problems.push(problem(
                &HIPAA_API_LOGGING,
                "dapr.apiLogging",
                "Dapr API logging is off".into(),
                "remove apiLogging: false",
            ));
        }
        if dapr.is_none() {
            problems.push(problem(
                &HIPAA_MTLS,
                "dapr",
                "Dapr is not enabled, so service-to-service traffic has no mTLS".into(),
                "enable Dapr (dapr: {enabled: true}) so sidecars encrypt and authenticate traffic",
            ));
        }
    }
    if contexts.contains(&"soc2") && api_logging_off {
        problems.push(problem(
            &SOC2_AUDIT_LOGGING,
            "dapr.apiLogging",
            "Dapr API logging is off".into(),
            "remove apiLogging: false",
        ));
    }
    problems
}

/// How to add `workload.signature`, for the error and the warnings.
const SIGNATURE_HELP: &str = "add workload.signature with the identity that signs the image in CI, e.g. keyless: {issuer: https://token.actions.githubusercontent.com, subject: https://github.com/<org>/<repo>/.github/workflows/release.yml@refs/heads/main}, or key: {secret: <Secret in cosign-system>}";

/// The compliance contexts under which an unsigned image is a warning, not
/// an error, with the requirement the warning names.
const SIGNATURE_RECOMMENDED: [(&str, &str); 2] = [
    (
        "soc2",
        "SOC 2 CC6.8 (unauthorized or malicious software is prevented or detected)",
    ),
    ("hipaa", "HIPAA 45 CFR 164.312(c)(1) (integrity)"),
];

/// What the spec's compliance contexts recommend and it leaves out: shown
/// as warnings, the render goes ahead. Under pci-dss the same gap is an
/// error ([`check`]), so no warning repeats it.
pub fn warnings(spec: &Spec) -> Vec<Problem> {
    let contexts: Vec<&str> = spec
        .app
        .as_ref()
        .map(|a| a.compliance.iter().map(String::as_str).collect())
        .unwrap_or_default();
    let unsigned = spec
        .workload
        .as_ref()
        .is_some_and(|w| w.signature.is_none());
    if !unsigned || contexts.contains(&"pci-dss") {
        return Vec::new();
    }
    SIGNATURE_RECOMMENDED
        .iter()
        .filter(|(context, _)| contexts.contains(context))
        .map(|(context, requirement)| {
            Problem::new(
                "workload.signature",
                format!(
                    "is not set: the cluster would run any image pushed to the repository; {requirement} recommends admitting only signed images ({context})"
                ),
            )
            .help(SIGNATURE_HELP)
        })
        .collect()
}

/// PCI DSS: digests, bounded egress, a Dapr API token, managed secrets.
fn pci_dss(spec: &Spec, dapr: Option<&crate::spec::Dapr>, problems: &mut Vec<Problem>) {
    if spec
        .workload
        .as_ref()
        .is_some_and(|w| w.allow_tag_only_image)
    {
        problems.push(problem(
            &PCI_DSS_IMAGE_DIGEST,
            "workload.allowTagOnlyImage",
            "a tag-only image is accepted".into(),
            "pin the image by digest and remove allowTagOnlyImage",
        ));
    }
    bounded_egress(spec, problems);
    if spec
        .workload
        .as_ref()
        .is_some_and(|w| w.signature.is_none())
    {
        problems.push(problem(
            &PCI_DSS_SIGNED_IMAGE,
            "workload.signature",
            "is missing, so the cluster would run any image pushed to the repository".into(),
            SIGNATURE_HELP,
        ));
    }
    if dapr.is_some_and(|d| d.api_token_secret.is_none()) {
        problems.push(problem(
            &PCI_DSS_DAPR_API_TOKEN,
            "dapr",
            "the Dapr sidecar API accepts calls without a token".into(),
            "set dapr.apiTokenSecret to a Secret holding the token under the key token",
        ));
    }
    if dapr.is_some_and(|d| d.app_token_secret.is_none()) {
        problems.push(problem(
            &PCI_DSS_DAPR_APP_TOKEN,
            "dapr.appTokenSecret",
            "the app cannot tell its Dapr sidecar from any other caller of its port".into(),
            "set dapr.appTokenSecret to a Secret holding a token under the key token (not the API token's Secret), and have the app refuse requests whose dapr-api-token header differs from the token (mounted at /var/run/secrets/dapr.io/app-token/token)",
        ));
    }
    if spec
        .secrets
        .as_ref()
        .is_some_and(|s| s.source.as_deref() == Some("manual"))
    {
        problems.push(problem(
            &PCI_DSS_EXTERNAL_SECRETS,
            "secrets.source",
            "secrets are created by hand".into(),
            "use source: externalSecrets with a managed store",
        ));
    }
}

/// PCI DSS: egress to named, bounded destinations (CIDRs no wider than /16
/// or /48, no wildcard over a public suffix), the API server included.
fn bounded_egress(spec: &Spec, problems: &mut Vec<Problem>) {
    for (i, rule) in spec.egress.iter().enumerate() {
        let Some(cidr) = rule.cidr.as_deref() else {
            continue;
        };
        let Ok(parsed) = formats::cidr(cidr) else {
            continue;
        };
        let limit = if parsed.address.is_ipv4() { 16 } else { 48 };
        if parsed.prefix < limit {
            problems.push(problem(
                &PCI_DSS_BOUNDED_EGRESS,
                &format!("egress[{i}].cidr"),
                format!("{cidr:?} opens egress to a range wider than /{limit}"),
                "name the exact networks the app calls (e.g. the processor's published ranges)",
            ));
        }
    }
    for (i, rule) in spec.egress.iter().enumerate() {
        for (j, entry) in rule.hosts.iter().enumerate() {
            let Ok(host) = hosts::host(entry) else {
                continue;
            };
            if host.wildcard && hosts::is_public_suffix(host.domain()) {
                problems.push(problem(
                    &PCI_DSS_BOUNDED_HOSTNAMES,
                    &format!("egress[{i}].hosts[{j}]"),
                    format!(
                        "{entry:?} covers every name registered under the public suffix {:?}, by anyone",
                        host.domain()
                    ),
                    "list the exact names the app calls (e.g. my-bucket.s3.eu-west-1.amazonaws.com), or a wildcard under a domain the provider owns (*.example.com)",
                ));
            }
        }
    }
    // The API server endpoint is an egress destination too: a wide range
    // there (0.0.0.0/0) opens egress to the internet on that port.
    if let Some(cidr) = spec
        .kubernetes_api
        .as_ref()
        .and_then(|api| api.api_server.as_ref())
        .and_then(|server| server.cidr.as_deref())
        && let Ok(parsed) = formats::cidr(cidr)
    {
        let limit = if parsed.address.is_ipv4() { 16 } else { 48 };
        if parsed.prefix < limit {
            problems.push(problem(
                &PCI_DSS_BOUNDED_EGRESS,
                "kubernetesApi.apiServer.cidr",
                format!("{cidr:?} opens egress to a range wider than /{limit}"),
                "give the API server's endpoint address, e.g. 172.18.0.2/32 (kubectl get endpoints kubernetes -n default)",
            ));
        }
    }
}
