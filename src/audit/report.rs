//! Audit output: human text grouped by resource, JSON, and SARIF 2.1.0 for
//! GitHub code scanning (typed with `serde-sarif`, not assembled by hand).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_sarif::sarif;

use super::rules::{Finding, Severity, catalogue};

/// Text grouped by resource, most severe first within each resource.
pub fn text(findings: &[Finding], files: usize, documents: usize) -> String {
    let mut out = String::new();
    let mut by_resource: BTreeMap<(&str, &str), Vec<&Finding>> = BTreeMap::new();
    for finding in findings {
        by_resource
            .entry((finding.file.as_str(), finding.resource.as_str()))
            .or_default()
            .push(finding);
    }
    for ((file, resource), mut group) in by_resource {
        group.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then(a.line.cmp(&b.line))
                .then(a.rule.cmp(b.rule))
        });
        out.push_str(&format!("{resource} ({file})\n"));
        for finding in group {
            out.push_str(&format!(
                "  {:<8} {}:{}  {}  {}\n           fix: {}\n",
                finding.severity.name(),
                finding.file,
                finding.line,
                finding.rule,
                finding.message,
                finding.fix
            ));
        }
    }
    out.push_str(&summary_line(findings, files, documents));
    out.push('\n');
    out
}

fn summary_line(findings: &[Finding], files: usize, documents: usize) -> String {
    let count = |severity: Severity| findings.iter().filter(|f| f.severity == severity).count();
    format!(
        "audit: {} findings ({} critical, {} high, {} medium, {} low) in {documents} objects from {files} files",
        findings.len(),
        count(Severity::Critical),
        count(Severity::High),
        count(Severity::Medium),
        count(Severity::Low)
    )
}

#[derive(Serialize)]
struct JsonReport<'a> {
    findings: &'a [Finding],
    summary: JsonSummary,
}

#[derive(Serialize)]
struct JsonSummary {
    findings: usize,
    critical: usize,
    high: usize,
    medium: usize,
    low: usize,
    files: usize,
    objects: usize,
}

pub fn json(findings: &[Finding], files: usize, documents: usize) -> String {
    let count = |severity: Severity| findings.iter().filter(|f| f.severity == severity).count();
    let report = JsonReport {
        findings,
        summary: JsonSummary {
            findings: findings.len(),
            critical: count(Severity::Critical),
            high: count(Severity::High),
            medium: count(Severity::Medium),
            low: count(Severity::Low),
            files,
            objects: documents,
        },
    };
    serde_json::to_string_pretty(&report).unwrap_or_default()
}

/// SARIF levels: critical and high are errors, medium warnings, low notes.
fn level(severity: Severity) -> sarif::ResultLevel {
    match severity {
        Severity::Critical | Severity::High => sarif::ResultLevel::Error,
        Severity::Medium => sarif::ResultLevel::Warning,
        Severity::Low => sarif::ResultLevel::Note,
    }
}

/// The SARIF log for `findings`, with every rule of the catalogue.
pub fn sarif(findings: &[Finding]) -> sarif::Sarif {
    let rules: Vec<sarif::ReportingDescriptor> = catalogue()
        .into_iter()
        .map(|rule| {
            let mut properties = BTreeMap::new();
            properties.insert(
                "severity".to_string(),
                serde_json::Value::from(rule.severity.name()),
            );
            // GitHub ranks alerts by this 0-10 score.
            let score = match rule.severity {
                Severity::Critical => "9.0",
                Severity::High => "7.5",
                Severity::Medium => "5.0",
                Severity::Low => "2.0",
            };
            properties.insert(
                "security-severity".to_string(),
                serde_json::Value::from(score),
            );
            properties.insert(
                "tags".to_string(),
                serde_json::json!(["security", "kubernetes"]),
            );
            sarif::ReportingDescriptor::builder()
                .id(rule.id)
                .name(rule.id.replace(['/', '-', '_'], " "))
                .short_description(
                    sarif::MultiformatMessageString::builder()
                        .text(rule.title)
                        .build(),
                )
                .help(
                    sarif::MultiformatMessageString::builder()
                        .text(rule.fix)
                        .build(),
                )
                .default_configuration(
                    sarif::ReportingConfiguration::builder()
                        .level(serde_json::to_value(level(rule.severity)).unwrap_or_default())
                        .build(),
                )
                .properties(
                    sarif::PropertyBag::builder()
                        .additional_properties(properties)
                        .build(),
                )
                .build()
        })
        .collect();
    let results: Vec<sarif::Result> = findings
        .iter()
        .map(|finding| {
            let location = sarif::Location::builder()
                .physical_location(
                    sarif::PhysicalLocation::builder()
                        .artifact_location(
                            sarif::ArtifactLocation::builder()
                                .uri(finding.file.clone())
                                .build(),
                        )
                        .region(
                            sarif::Region::builder()
                                .start_line(finding.line as i64)
                                .build(),
                        )
                        .build(),
                )
                .build();
            sarif::Result::builder()
                .rule_id(finding.rule)
                .level(level(finding.severity))
                .message(
                    sarif::Message::builder()
                        .text(format!(
                            "{}: {} (fix: {})",
                            finding.resource, finding.message, finding.fix
                        ))
                        .build(),
                )
                .locations(vec![location])
                .build()
        })
        .collect();
    let driver = sarif::ToolComponent::builder()
        .name("harden")
        .version(env!("CARGO_PKG_VERSION"))
        .rules(rules)
        .build();
    let run = sarif::Run::builder()
        .tool(sarif::Tool::builder().driver(driver).build())
        .results(results)
        .build();
    sarif::Sarif::builder()
        .version(serde_json::Value::from("2.1.0"))
        .schema(sarif::SCHEMA_URL)
        .runs(vec![run])
        .build()
}
