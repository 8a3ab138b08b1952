//! Waivers: accepted findings, each with its reason, so a gate can stay on
//! while known exceptions are written down where reviewers see them.
//!
//! Two sources:
//! - the annotation `harden.dev/waive` on the object itself, one
//!   `<rule-id>: <reason>` per line of its value;
//! - a waiver file (`--waivers FILE`, else `harden-waivers.yaml` at the
//!   repository root when present):
//!
//!   ```yaml
//!   waivers:
//!     - rule: control/image-digest
//!       resource: Deployment/monitoring/*   # glob on Kind/namespace/name
//!       reason: images are pinned by the release pipeline
//!       expires: 2027-01-31                 # optional, YYYY-MM-DD
//!   ```
//!
//! A waived finding stays in JSON and SARIF, marked suppressed with its
//! reason, and never counts toward the exit status. A waiver naming an
//! unknown rule is an input error; an expired one waives nothing and is a
//! finding itself.
//!
//! The platform, not the manifest, decides what may be waived where
//! ([`Policy`], from `waivers:` in harden.yaml and `harden audit` flags):
//! by default an object may not waive a Pod Security rule or a critical
//! one on itself (`input/waiver-refused`, and the finding stands); rules
//! the policy lists under `never` cannot be waived at all; the policy may
//! ask each waiver of the file for an `owner` and an `expires` within a
//! bound. A waiver of the file that matched no finding is reported
//! (`input/waiver-stale`).

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;

use super::rules::{
    Family, Finding, Rule, Selection, Severity, Suppression, did_you_mean, find, input,
};
use crate::objects::Object;
use crate::objects::value::At;
use crate::workspace::WaiverPolicy;

/// The waiver file read by default, at the repository root.
pub const DEFAULT_FILE: &str = "harden-waivers.yaml";
/// The annotation that waives findings on the object carrying it.
pub const ANNOTATION: &str = crate::platform::names::WAIVE_ANNOTATION;

/// Who may waive which rules where.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// Rule globs an object may waive on itself; `None`: every rule but
    /// Pod Security and critical ones.
    pub annotation: Option<Vec<String>>,
    /// Rule globs no waiver may accept.
    pub never: Vec<String>,
    /// Waivers of the file must name an owner.
    pub owner: bool,
    /// Waivers of the file must expire within this many days.
    pub max_days: Option<u32>,
}

impl Policy {
    /// The policy of harden.yaml's `waivers:` section.
    pub fn from_settings(settings: &WaiverPolicy) -> Policy {
        Policy {
            annotation: settings.annotation.clone(),
            never: settings.never.clone(),
            owner: settings.owner,
            max_days: settings.max_days,
        }
    }

    /// Why `rule` may not be waived by an annotation, if it may not.
    fn refuses_annotation(&self, rule: &Rule) -> Option<String> {
        if let Some(why) = self.refuses(rule) {
            return Some(why);
        }
        match &self.annotation {
            Some(globs) if !globs.iter().any(|g| glob(g, rule.id)) => Some(format!(
                "the waiver policy (harden.yaml waivers.annotation) does not let an object waive {} on itself",
                rule.id
            )),
            None if rule.family == Family::Pss => Some(format!(
                "a Pod Security rule ({}) may not be waived on the object it judges",
                rule.id
            )),
            None if rule.severity == Severity::Critical => Some(format!(
                "a critical rule ({}) may not be waived on the object it judges",
                rule.id
            )),
            _ => None,
        }
    }

    /// Why `rule` may not be waived at all, if it may not.
    fn refuses(&self, rule: &Rule) -> Option<String> {
        self.never.iter().any(|g| glob(g, rule.id)).then(|| {
            format!(
                "the waiver policy (harden.yaml waivers.never) lets no waiver accept {}",
                rule.id
            )
        })
    }
}

/// One waiver.
#[derive(Debug)]
pub struct Waiver {
    pub rule: &'static Rule,
    /// Glob on `Kind/namespace/name` (`Kind/name` for cluster-scoped objects).
    pub resource: String,
    /// For annotations: the file of the object (a waiver covers its own object only).
    pub file: Option<String>,
    pub reason: String,
    /// `annotation` or `path:line` of the waiver file.
    pub source: String,
    /// The waiver file and line (waivers of the file only).
    pub at: Option<(String, usize)>,
    /// Whether it waived a finding.
    pub used: AtomicBool,
}

/// Every waiver in force, and the findings about waivers themselves.
#[derive(Debug, Default)]
pub struct Waivers {
    pub list: Vec<Waiver>,
    pub findings: Vec<Finding>,
    pub policy: Policy,
}

fn problem(
    rule: &'static Rule,
    file: &str,
    line: usize,
    resource: &str,
    message: String,
) -> Finding {
    Finding {
        rule,
        resource: resource.to_string(),
        file: file.to_string(),
        line,
        message,
        fix: rule.fix.to_string(),
        suppressed: None,
    }
}

impl Waivers {
    /// No waivers yet, under `policy`.
    pub fn with_policy(policy: Policy) -> Waivers {
        Waivers {
            policy,
            ..Waivers::default()
        }
    }

    /// Reads the `harden.dev/waive` annotation of `object`.
    pub fn add_annotation(&mut self, object: &Object<'_>) {
        let Some(value) = object
            .document
            .at("/metadata/annotations")
            .and_then(|a| a.get(ANNOTATION))
        else {
            return;
        };
        let path = format!("metadata.annotations.{ANNOTATION}");
        let line = object.line_of(&path);
        let resource = object.resource();
        let Some(text) = value.as_str() else {
            self.findings.push(problem(
                &input::INVALID_WAIVER,
                object.file(),
                line,
                &resource,
                format!("{ANNOTATION} must be a string of \"<rule-id>: <reason>\" lines"),
            ));
            return;
        };
        for entry in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let (id, reason) = entry.split_once(':').unwrap_or((entry, ""));
            let (id, reason) = (id.trim(), reason.trim());
            match find(id) {
                Some(rule) if !reason.is_empty() && rule.family != Family::Input => {
                    if let Some(why) = self.policy.refuses_annotation(rule) {
                        self.findings.push(Finding {
                            fix: format!("fix the {id} finding of {resource}, or waive it in the central waiver file ({DEFAULT_FILE}) if the waiver policy allows"),
                            ..problem(
                                &input::WAIVER_REFUSED,
                                object.file(),
                                line,
                                &resource,
                                format!("{ANNOTATION} waives {id}, but {why}; the finding stands"),
                            )
                        });
                        continue;
                    }
                    self.list.push(Waiver {
                        rule,
                        resource: resource.clone(),
                        file: Some(object.file().to_string()),
                        reason: reason.to_string(),
                        source: "annotation".to_string(),
                        at: None,
                        used: AtomicBool::new(false),
                    })
                }
                Some(_) if reason.is_empty() => self.findings.push(problem(
                    &input::INVALID_WAIVER,
                    object.file(),
                    line,
                    &resource,
                    format!(
                        "{ANNOTATION} entry {entry:?} gives no reason; write \"{id}: <reason>\""
                    ),
                )),
                _ => self.findings.push(problem(
                    &input::INVALID_WAIVER,
                    object.file(),
                    line,
                    &resource,
                    format!(
                        "{ANNOTATION} names {id:?}, which is not a rule of the catalogue{}",
                        did_you_mean(id)
                    ),
                )),
            }
        }
    }

    /// Reads a waiver file; `today` is `YYYY-MM-DD`.
    pub fn add_file(&mut self, path: &Path, shown: &str, today: &str) {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) => {
                self.findings.push(problem(
                    &input::INVALID_WAIVER,
                    shown,
                    1,
                    "",
                    format!("cannot read the waiver file: {error}"),
                ));
                return;
            }
        };
        let locations = crate::yaml::Locations::index(&text);
        let line_of = |p: &str| locations.find(p).map(|p| p.line).unwrap_or(1);
        let document = match crate::yaml::parse_stream(&text) {
            Ok(mut documents) if documents.len() <= 1 => documents.pop().unwrap_or(Value::Null),
            Ok(_) => Value::String("several documents".into()),
            Err(error) => {
                let line = error.position.map(|p| p.line).unwrap_or(1);
                let message = unquoted_colon(&text, line)
                    .unwrap_or_else(|| format!("invalid YAML: {}", error.message));
                self.findings
                    .push(problem(&input::INVALID_WAIVER, shown, line, "", message));
                return;
            }
        };
        let Some(entries) = document.get("waivers").and_then(Value::as_array) else {
            if !document.is_null() {
                self.findings.push(problem(
                    &input::INVALID_WAIVER,
                    shown,
                    1,
                    "",
                    "a waiver file is a mapping with a list under `waivers:`".into(),
                ));
            }
            return;
        };
        for (i, entry) in entries.iter().enumerate() {
            let at = format!("waivers[{i}]");
            let field = |key: &str| entry.get(key).and_then(Value::as_str).map(str::trim);
            let bad = |message: String, key: &str| {
                problem(
                    &input::INVALID_WAIVER,
                    shown,
                    line_of(&format!("{at}.{key}")),
                    "",
                    format!("{at}: {message}"),
                )
            };
            if let Some(unknown) = entry.as_object().and_then(|o| {
                o.keys().find(|k| {
                    !["rule", "resource", "reason", "expires", "owner"].contains(&k.as_str())
                })
            }) {
                self.findings.push(bad(
                    format!(
                        "unknown field {unknown:?}; a waiver has rule, resource, reason, owner and expires"
                    ),
                    unknown,
                ));
                continue;
            }
            let Some(id) = field("rule") else {
                self.findings.push(bad("rule is missing".into(), "rule"));
                continue;
            };
            let Some(rule) = find(id).filter(|r| r.family != Family::Input) else {
                self.findings.push(bad(
                    format!(
                        "rule {id:?} is not a rule of the catalogue{}",
                        did_you_mean(id)
                    ),
                    "rule",
                ));
                continue;
            };
            let Some(reason) = field("reason").filter(|r| !r.is_empty()) else {
                self.findings.push(bad(
                    "reason is missing: say why the finding is accepted".into(),
                    "reason",
                ));
                continue;
            };
            if let Some(why) = self.policy.refuses(rule) {
                self.findings.push(bad(why, "rule"));
                continue;
            }
            if self.policy.owner && field("owner").is_none_or(str::is_empty) {
                self.findings.push(bad(
                    "owner is missing: the waiver policy (harden.yaml waivers.owner) asks who answers for each waiver".into(),
                    "rule",
                ));
                continue;
            }
            if let Some(days) = self.policy.max_days {
                let latest = date_after(today, days);
                match field("expires") {
                    None => {
                        self.findings.push(bad(
                            format!("expires is missing: the waiver policy (harden.yaml waivers.maxDays) asks for a date at most {days} days ahead, {latest} at the latest"),
                            "rule",
                        ));
                        continue;
                    }
                    Some(date) if is_date(date) && date > latest.as_str() => {
                        self.findings.push(bad(
                            format!("expires {date} is more than {days} days ahead (harden.yaml waivers.maxDays); write {latest} or earlier"),
                            "expires",
                        ));
                        continue;
                    }
                    _ => {}
                }
            }
            let resource = field("resource").unwrap_or("*").to_string();
            let source = format!("{shown}:{}", line_of(&at));
            match field("expires") {
                Some(date) if !is_date(date) => {
                    self.findings.push(bad(
                        format!("expires {date:?} is not a date YYYY-MM-DD"),
                        "expires",
                    ));
                    continue;
                }
                Some(date) if date < today => {
                    self.findings.push(Finding {
                        rule: &input::WAIVER_EXPIRED,
                        resource: resource.clone(),
                        file: shown.to_string(),
                        line: line_of(&format!("{at}.expires")),
                        message: format!("the waiver of {id} for {resource} expired on {date} ({reason}); it waives nothing"),
                        fix: format!("fix the {id} findings of {resource}, or renew the waiver with a new expiry date"),
                        suppressed: None,
                    });
                    continue;
                }
                _ => {}
            }
            self.list.push(Waiver {
                rule,
                resource,
                file: None,
                reason: reason.to_string(),
                source,
                at: Some((shown.to_string(), line_of(&at))),
                used: AtomicBool::new(false),
            });
        }
    }

    /// Marks the findings a waiver covers as suppressed.
    pub fn apply(&self, findings: &mut [Finding]) {
        for finding in findings
            .iter_mut()
            .filter(|f| f.rule.family != Family::Input)
        {
            let waiver = self.list.iter().find(|w| {
                w.rule == finding.rule
                    && w.file.as_ref().is_none_or(|f| *f == finding.file)
                    && glob(&w.resource, &finding.resource)
            });
            if let Some(waiver) = waiver {
                waiver.used.store(true, Ordering::Relaxed);
                finding.suppressed = Some(Suppression {
                    reason: waiver.reason.clone(),
                    source: waiver.source.clone(),
                    in_source: waiver.file.is_some(),
                });
            }
        }
    }
}

/// What is wrong when a waiver file's YAML breaks at `line` because a
/// plain value there (or just above) holds `: `, which YAML reads as the
/// start of a mapping (`reason: needed: for debugging`).
fn unquoted_colon(text: &str, line: usize) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    [line, line.saturating_sub(1)]
        .into_iter()
        .filter(|n| *n >= 1)
        .filter_map(|n| Some((n, *lines.get(n - 1)?)))
        .find_map(|(n, raw)| {
            let entry = raw.trim_start().trim_start_matches("- ");
            let (key, value) = entry.split_once(": ")?;
            let value = value.trim();
            let quoted = value.starts_with('"') || value.starts_with('\'') || value.starts_with('|') || value.starts_with('>');
            (!quoted && (value.contains(": ") || value.ends_with(':'))).then(|| {
                format!(
                    "line {n}: the {key} holds \": \", which YAML reads as a new key; quote the value: {key}: \"{}\"",
                    value.replace('\\', "\\\\").replace('"', "\\\"")
                )
            })
        })
}

impl Waivers {
    /// The waivers of the file that waived nothing, among the rules that
    /// ran (a waiver of a rule left out by `--only` is not judged).
    pub fn stale(&self, selection: &Selection) -> Vec<Finding> {
        self.list
            .iter()
            .filter(|w| !w.used.load(Ordering::Relaxed) && selection.runs(w.rule))
            .filter_map(|w| {
                let (file, line) = w.at.clone()?;
                Some(Finding {
                    rule: &input::WAIVER_STALE,
                    resource: w.resource.clone(),
                    file,
                    line,
                    message: format!(
                        "the waiver of {} for {} matches no finding ({})",
                        w.rule.id, w.resource, w.reason
                    ),
                    fix: format!(
                        "remove the waiver of {} for {}, or correct its rule or resource",
                        w.rule.id, w.resource
                    ),
                    suppressed: None,
                })
            })
            .collect()
    }
}

/// The date `days` after `date` (both `YYYY-MM-DD`).
fn date_after(date: &str, days: u32) -> String {
    let field = |range: std::ops::Range<usize>| {
        date.get(range)
            .and_then(|t| t.parse::<i64>().ok())
            .unwrap_or(1)
    };
    let (year, month, day) = (field(0..4), field(5..7), field(8..10));
    // Civil date to days since 1970-01-01 (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    civil(era * 146_097 + doe - 719_468 + i64::from(days))
}

/// Days since 1970-01-01 to `YYYY-MM-DD` (Howard Hinnant's algorithm).
fn civil(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

fn is_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit())
}

/// `*` matches any run of characters (`/` included), `?` one character.
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Today's date (UTC) as `YYYY-MM-DD`.
pub fn today() -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() / 86_400)
        .unwrap_or(0) as i64;
    civil(days)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("Deployment/*/web", "Deployment/prod/web"));
        assert!(glob("*", "ClusterRole/x"));
        assert!(glob("Deployment/prod/we?", "Deployment/prod/web"));
        assert!(!glob("Deployment/prod/*", "StatefulSet/prod/db"));
        assert!(!glob("Deployment/prod/web", "Deployment/prod/web2"));
    }

    #[test]
    fn an_unquoted_colon_in_a_reason_is_named() {
        let text = "waivers:\n  - rule: pss/privileged\n    reason: needed: for debugging\n";
        let message = unquoted_colon(text, 3).unwrap();
        assert_eq!(
            message,
            "line 3: the reason holds \": \", which YAML reads as a new key; quote the value: reason: \"needed: for debugging\""
        );
        assert_eq!(unquoted_colon("waivers:\n  - reason: \"a: b\"\n", 2), None);
    }

    #[test]
    fn dates_add_days_across_months_and_leap_years() {
        assert_eq!(date_after("2026-12-06", 0), "2026-12-06");
        assert_eq!(date_after("2026-12-06", 30), "2027-01-05");
        assert_eq!(date_after("2028-02-28", 1), "2028-02-29");
        assert_eq!(date_after("2027-02-28", 1), "2027-03-01");
    }

    #[test]
    fn today_is_a_date() {
        let today = today();
        assert!(is_date(&today) && today.as_str() > "2025-01-01", "{today}");
    }
}
