//! Audit output: human text grouped by resource, JSON, and SARIF 2.1.0 for
//! GitHub code scanning (typed with `serde-sarif`, not assembled by hand).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_sarif::sarif;

use super::rules::{Finding, Severity, catalogue};

/// What the text report shows.
#[derive(Debug, Clone, Copy)]
pub struct TextOptions {
    /// Show waived findings (marked) too.
    pub show_waived: bool,
    /// Hide findings below this severity (display only).
    pub min_severity: Severity,
}

/// [`text_with`] showing every finding that is not waived.
pub fn text(findings: &[Finding], files: usize, documents: usize) -> String {
    let options = TextOptions {
        show_waived: false,
        min_severity: Severity::Low,
    };
    text_with(findings, files, documents, options)
}

/// Text grouped by resource, most severe first within each resource, then
/// a summary by rule and by file.
pub fn text_with(
    findings: &[Finding],
    files: usize,
    documents: usize,
    options: TextOptions,
) -> String {
    let mut out = String::new();
    let shown: Vec<&Finding> = findings
        .iter()
        .filter(|f| options.show_waived || f.suppressed.is_none())
        .filter(|f| f.severity() >= options.min_severity)
        .collect();
    let mut by_resource: BTreeMap<(&str, &str), Vec<&Finding>> = BTreeMap::new();
    for finding in &shown {
        by_resource
            .entry((finding.file.as_str(), finding.resource.as_str()))
            .or_default()
            .push(finding);
    }
    for ((file, resource), mut group) in by_resource {
        group.sort_by(|a, b| {
            b.severity()
                .cmp(&a.severity())
                .then(a.line.cmp(&b.line))
                .then(a.rule.id.cmp(b.rule.id))
        });
        if resource.is_empty() {
            out.push_str(&format!("{file}\n"));
        } else {
            out.push_str(&format!("{resource} ({file})\n"));
        }
        for finding in group {
            let waived = match &finding.suppressed {
                Some(s) => format!(" [waived: {}]", s.reason),
                None => String::new(),
            };
            out.push_str(&format!(
                "  {:<8} {}:{}  {}  {}{waived}\n           fix: {}\n",
                finding.severity().name(),
                finding.file,
                finding.line,
                finding.rule.id,
                finding.message,
                finding.fix
            ));
        }
    }
    let counted: Vec<&Finding> = findings.iter().filter(|f| f.suppressed.is_none()).collect();
    if !counted.is_empty() {
        out.push_str("\nby rule:\n");
        let mut by_rule: BTreeMap<&str, (Severity, usize)> = BTreeMap::new();
        for finding in &counted {
            by_rule
                .entry(finding.rule.id)
                .or_insert((finding.severity(), 0))
                .1 += 1;
        }
        let mut rules: Vec<_> = by_rule.into_iter().collect();
        rules.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(b.1.1.cmp(&a.1.1)).then(a.0.cmp(b.0)));
        for (rule, (severity, count)) in rules {
            out.push_str(&format!("  {count:>5}  {:<8} {rule}\n", severity.name()));
        }
        out.push_str("by file:\n");
        let mut by_file: BTreeMap<&str, usize> = BTreeMap::new();
        for finding in &counted {
            *by_file.entry(finding.file.as_str()).or_default() += 1;
        }
        for (file, count) in by_file {
            out.push_str(&format!("  {count:>5}  {file}\n"));
        }
    }
    out.push_str(&summary_line(findings, files, documents, shown.len()));
    out.push('\n');
    out
}

fn summary_line(findings: &[Finding], files: usize, documents: usize, shown: usize) -> String {
    let counted: Vec<&Finding> = findings.iter().filter(|f| f.suppressed.is_none()).collect();
    let count = |severity: Severity| counted.iter().filter(|f| f.severity() == severity).count();
    let waived = findings.len() - counted.len();
    let hidden = findings.len().saturating_sub(shown).saturating_sub(waived);
    let mut extra = String::new();
    if waived > 0 {
        extra.push_str(&format!(", {waived} waived"));
    }
    if hidden > 0 {
        extra.push_str(&format!(", {hidden} below --min-severity not shown"));
    }
    format!(
        "audit: {} findings ({} critical, {} high, {} medium, {} low{extra}) in {documents} objects from {files} files",
        counted.len(),
        count(Severity::Critical),
        count(Severity::High),
        count(Severity::Medium),
        count(Severity::Low)
    )
}

#[derive(Serialize)]
struct JsonSummary {
    /// Findings that count (not waived).
    findings: usize,
    waived: usize,
    critical: usize,
    high: usize,
    medium: usize,
    low: usize,
    files: usize,
    objects: usize,
}

pub fn json(findings: &[Finding], files: usize, documents: usize) -> String {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail, and the report's types serialise without
    // error (no map has a key that is not a string).
    let _ = write_json(&mut out, findings, files, documents);
    String::from_utf8(out).unwrap_or_default()
}

/// Writes the JSON report to `out` as it is serialised (a large report is
/// never held in memory twice).
pub fn write_json(
    out: &mut dyn std::io::Write,
    findings: &[Finding],
    files: usize,
    documents: usize,
) -> std::io::Result<()> {
    let mut writer = JsonWriter::new(out);
    for finding in findings {
        writer.push(finding)?;
    }
    writer.finish(files, documents)
}

/// How many findings count (not waived), by severity, and how many are waived.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    pub counted: usize,
    pub waived: usize,
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
}

impl Tally {
    pub fn add(&mut self, finding: &Finding) {
        if finding.suppressed.is_some() {
            self.waived += 1;
            return;
        }
        self.counted += 1;
        *match finding.severity() {
            Severity::Critical => &mut self.critical,
            Severity::High => &mut self.high,
            Severity::Medium => &mut self.medium,
            Severity::Low => &mut self.low,
        } += 1;
    }
}

/// The JSON report written one finding at a time (`harden audit` streams
/// findings into it), byte for byte what `serde_json::to_writer_pretty`
/// writes for `{"findings": [...], "summary": {...}}`.
pub struct JsonWriter<'a> {
    out: &'a mut dyn std::io::Write,
    tally: Tally,
    written: usize,
    buffer: Vec<u8>,
}

impl<'a> JsonWriter<'a> {
    pub fn new(out: &'a mut dyn std::io::Write) -> JsonWriter<'a> {
        JsonWriter {
            out,
            tally: Tally::default(),
            written: 0,
            buffer: Vec::new(),
        }
    }

    /// Writes `value` pretty-printed, its lines after the first indented
    /// by `indent` (JSON strings hold no raw line break, so lines are safe
    /// to indent).
    fn write_indented(&mut self, value: &impl Serialize, indent: &[u8]) -> std::io::Result<()> {
        self.buffer.clear();
        serde_json::to_writer_pretty(&mut self.buffer, value)?;
        let mut lines = self.buffer.split(|&b| b == b'\n');
        if let Some(first) = lines.next() {
            self.out.write_all(first)?;
        }
        for line in lines {
            self.out.write_all(b"\n")?;
            self.out.write_all(indent)?;
            self.out.write_all(line)?;
        }
        Ok(())
    }

    pub fn push(&mut self, finding: &Finding) -> std::io::Result<()> {
        self.tally.add(finding);
        let opening: &[u8] = match self.written {
            0 => b"{\n  \"findings\": [\n    ",
            _ => b",\n    ",
        };
        self.out.write_all(opening)?;
        self.written += 1;
        self.write_indented(finding, b"    ")
    }

    /// Writes the summary and closes the report (no final line break).
    pub fn finish(mut self, files: usize, documents: usize) -> std::io::Result<()> {
        let closing: &[u8] = match self.written {
            0 => b"{\n  \"findings\": [],\n  \"summary\": ",
            _ => b"\n  ],\n  \"summary\": ",
        };
        self.out.write_all(closing)?;
        let tally = self.tally;
        let summary = JsonSummary {
            findings: tally.counted,
            waived: tally.waived,
            critical: tally.critical,
            high: tally.high,
            medium: tally.medium,
            low: tally.low,
            files,
            objects: documents,
        };
        self.write_indented(&summary, b"  ")?;
        self.out.write_all(b"\n}")
    }
}

/// SARIF levels: critical and high are errors, medium warnings, low notes.
fn level(severity: Severity) -> sarif::ResultLevel {
    match severity {
        Severity::Critical | Severity::High => sarif::ResultLevel::Error,
        Severity::Medium => sarif::ResultLevel::Warning,
        Severity::Low => sarif::ResultLevel::Note,
    }
}

/// The repository root: the nearest ancestor of the current directory
/// holding `.git` (the git top level), else the current directory.
pub fn repository_root() -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    cwd.ancestors()
        .find(|dir| dir.join(".git").exists())
        .unwrap_or(&cwd)
        .to_path_buf()
}

/// `file` (as shown, relative to the current directory or absolute) made
/// relative to `root`, with `/` separators; unchanged when outside it.
pub fn relative_to(root: &Path, file: &str) -> String {
    inside(root, file).unwrap_or_else(|_| file.to_string())
}

/// `file` relative to `root` with `/` separators, or, outside it, its
/// absolute path.
fn inside(root: &Path, file: &str) -> Result<String, PathBuf> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let absolute = cwd.join(file);
    let normal: PathBuf = absolute
        .components()
        .fold(PathBuf::new(), |mut path, component| {
            match component {
                std::path::Component::ParentDir => {
                    path.pop();
                }
                std::path::Component::CurDir => {}
                other => path.push(other),
            }
            path
        });
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let normal = normal.canonicalize().unwrap_or(normal);
    match normal.strip_prefix(&root) {
        Ok(relative) => Ok(relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/")),
        Err(_) => Err(normal),
    }
}

/// Where a finding's file is for SARIF: relative to the repository under
/// `%SRCROOT%`, or, for a file outside it, an absolute `file://` URI with
/// no base id (SARIF 2.1.0, artifactLocation: a base id is for a relative
/// `uri` only; from memory, not checked against the standard's text).
fn artifact(root: &Path, file: &str) -> sarif::ArtifactLocation {
    match inside(root, file) {
        Ok(relative) => sarif::ArtifactLocation::builder()
            .uri(relative)
            .uri_base_id(SRCROOT)
            .build(),
        Err(absolute) => {
            let path = crate::load::display_path(&absolute);
            let uri = if path.starts_with('/') {
                format!("file://{path}")
            } else {
                format!("file:///{path}")
            };
            sarif::ArtifactLocation::builder().uri(uri).build()
        }
    }
}

/// The SARIF base id GitHub code scanning resolves against the checkout.
const SRCROOT: &str = "%SRCROOT%";

/// The SARIF log for `findings`, with every rule of the catalogue; paths
/// relative to `root` (the repository root) under `%SRCROOT%`.
pub fn sarif(findings: &[Finding], root: &Path) -> sarif::Sarif {
    let rules: Vec<sarif::ReportingDescriptor> = catalogue()
        .iter()
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
                        .artifact_location(artifact(root, &finding.file))
                        .region(
                            sarif::Region::builder()
                                .start_line(finding.line as i64)
                                .build(),
                        )
                        .build(),
                )
                .build();
            let suppressions: Vec<sarif::Suppression> = finding
                .suppressed
                .iter()
                .map(|s| {
                    sarif::Suppression::builder()
                        .kind(serde_json::Value::from(if s.in_source {
                            "inSource"
                        } else {
                            "external"
                        }))
                        .justification(s.reason.clone())
                        .build()
                })
                .collect();
            let text = if finding.resource.is_empty() {
                format!("{} (fix: {})", finding.message, finding.fix)
            } else {
                format!(
                    "{}: {} (fix: {})",
                    finding.resource, finding.message, finding.fix
                )
            };
            let result = sarif::Result::builder()
                .rule_id(finding.rule.id)
                .level(level(finding.severity()))
                .message(sarif::Message::builder().text(text).build())
                .locations(vec![location]);
            if suppressions.is_empty() {
                result.build()
            } else {
                result.suppressions(suppressions).build()
            }
        })
        .collect();
    let driver = sarif::ToolComponent::builder()
        .name("harden")
        .version(env!("CARGO_PKG_VERSION"))
        .rules(rules)
        .build();
    let root_uri = format!(
        "file://{}/",
        root.canonicalize()
            .unwrap_or_else(|_| root.to_path_buf())
            .to_string_lossy()
            .trim_end_matches('/')
    );
    let run = sarif::Run::builder()
        .tool(sarif::Tool::builder().driver(driver).build())
        .original_uri_base_ids(BTreeMap::from([(
            SRCROOT.to_string(),
            sarif::ArtifactLocation::builder().uri(root_uri).build(),
        )]))
        .results(results)
        .build();
    sarif::Sarif::builder()
        .version(serde_json::Value::from("2.1.0"))
        .schema(sarif::SCHEMA_URL)
        .runs(vec![run])
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::rules::{Suppression, input};

    /// The report as one serde value, as it was written before it streamed.
    #[derive(Serialize)]
    struct Whole<'a> {
        findings: &'a [Finding],
        summary: JsonSummary,
    }

    fn finding(line: usize, suppressed: bool) -> Finding {
        Finding {
            rule: catalogue()[1],
            resource: "Deployment/a/b".into(),
            file: "dir/f.yaml".into(),
            line,
            message: "a \"quoted\"\nmessage".into(),
            fix: "fix it".into(),
            suppressed: suppressed.then(|| Suppression {
                reason: "accepted".into(),
                source: "annotation".into(),
                in_source: true,
            }),
        }
    }

    #[test]
    fn streamed_json_is_what_serde_writes_whole() {
        let error = Finding {
            rule: &input::UNPARSABLE,
            ..finding(9, false)
        };
        for findings in [
            vec![],
            vec![finding(3, false)],
            vec![finding(3, false), finding(4, true), error],
        ] {
            let mut tally = Tally::default();
            findings.iter().for_each(|f| tally.add(f));
            let whole = Whole {
                findings: &findings,
                summary: JsonSummary {
                    findings: tally.counted,
                    waived: tally.waived,
                    critical: tally.critical,
                    high: tally.high,
                    medium: tally.medium,
                    low: tally.low,
                    files: 2,
                    objects: 5,
                },
            };
            let expected = serde_json::to_string_pretty(&whole).unwrap();
            assert_eq!(json(&findings, 2, 5), expected);
        }
    }
}
