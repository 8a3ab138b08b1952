//! Pod Security Standards in the audit: every pod template judged at the
//! level its namespace enforces (or `--pss-level`), with a fix naming the
//! offending containers or volumes; and a namespace that turns Pod Security
//! off (`enforce: privileged`) reported instead of silently skipped.
//!
//! The per-check rules (`pss/<check>`) are declared with the checks in
//! `crate::audit::pss`.

use serde_json::Value;

use crate::audit::level::{Level, Version};
use crate::audit::pss::{self, Pod};
use crate::audit::rule::{Check, Cx, Family, Rule, Selection, Severity, Workload};
use crate::objects::Object;
use crate::objects::value::At;
use crate::platform::kubernetes::{
    POD_SECURITY_ENFORCE_LABEL as ENFORCE_LABEL,
    POD_SECURITY_ENFORCE_VERSION_LABEL as ENFORCE_VERSION_LABEL,
};

/// The Pod Security rules that are not a check of the standard.
pub static RULES: &[&Rule] = &[&NAMESPACE_PRIVILEGED];

pub static NAMESPACE_PRIVILEGED: Rule = Rule {
    id: "pss/namespace-privileged",
    family: Family::Pss,
    severity: Severity::High,
    control: Some(6),
    title: "Namespace turns Pod Security off (enforce: privileged)",
    fix: "label the namespace pod-security.kubernetes.io/enforce: baseline or restricted; run only what needs privileges in a namespace of its own",
    check: Check::Object(namespace_privileged),
};

/// `privileged` admits every pod: the namespace's pods are not judged unless
/// `--pss-level` is given, so the label itself is the finding.
fn namespace_privileged(cx: &mut Cx<'_>, object: &Object<'_>) {
    if object.kind() != "Namespace" {
        return;
    }
    let enforce = object
        .document
        .at("/metadata/labels")
        .and_then(|l| l.get(ENFORCE_LABEL))
        .and_then(Value::as_str);
    if enforce != Some("privileged") {
        return;
    }
    let judged = match cx.pss.level {
        Some(level) => format!("its pods are judged at --pss-level {}", level.name()),
        None => "its pods are not judged (pass --pss-level to judge them)".to_string(),
    };
    cx.report(
        object,
        &format!("metadata.labels.{ENFORCE_LABEL}"),
        format!("{ENFORCE_LABEL}: privileged turns Pod Security off for namespace {}; {judged}", object.name()),
        format!(
            "set {ENFORCE_LABEL}: restricted (or baseline) on Namespace {}, and move what needs privileges to a namespace of its own",
            object.name()
        ),
    );
}

/// Evaluates the pod template of `object`, if any.
pub fn judge(cx: &mut Cx<'_>, object: &Object<'_>, selection: &Selection) {
    let Some(workload) = Workload::of(object) else {
        return;
    };
    let labels = cx
        .index
        .namespaces
        .get(workload.namespace())
        .map(|(labels, _)| labels);
    let label = |key: &str| labels.and_then(|l| l.get(key)).map(String::as_str);
    let level = match cx.pss.level {
        Some(level) => level,
        None => match label(ENFORCE_LABEL) {
            // Reported once on the namespace (pss/namespace-privileged).
            Some("privileged") => return,
            Some(text) => Level::parse(text).unwrap_or(Level::Restricted),
            None => Level::Restricted,
        },
    };
    let version = cx
        .pss
        .version
        .or_else(|| label(ENFORCE_VERSION_LABEL).and_then(Version::parse))
        .unwrap_or_else(Version::newest);
    let pod = Pod {
        annotations: workload.pod.annotations(),
        spec: workload.spec,
    };
    for violation in pss::evaluate(&pod, level, version) {
        if !selection.runs(violation.rule) {
            continue;
        }
        let path = if violation.path.is_empty() {
            workload.prefix.to_string()
        } else {
            format!("{}.{}", workload.prefix, violation.path)
        };
        let message = format!(
            "{} (Pod Security {}:{version}): {}",
            violation.check,
            level.name(),
            violation.detail
        );
        let fix = violation.rule.fix.replace(
            "{target}",
            &target(&violation.path, &violation.detail, &workload),
        );
        cx.report_rule(violation.rule, object, &path, message, fix);
    }
}

/// What a violation is about, for its fix: `container "app"`,
/// `containers "a", "b"`, `volume "data"`, or the pod spec.
fn target(path: &str, detail: &str, workload: &Workload<'_>) -> String {
    for noun in ["container", "volume"] {
        let Some(rest) = detail
            .strip_prefix(&format!("{noun}s "))
            .or_else(|| detail.strip_prefix(&format!("{noun} ")))
        else {
            continue;
        };
        let names = quoted_names(rest);
        if names.is_empty() {
            continue;
        }
        let plural = if names.len() > 1 { "s" } else { "" };
        return format!("{noun}{plural} {}", names.join(", "));
    }
    // Paths like `containers[0].securityContext...` without a name list.
    let head = path.split('.').next().unwrap_or_default();
    if let Some(container) = workload
        .spec
        .at(&format!("/{}", head.replace('[', "/").replace(']', "")))
        .and_then(|c| c.get("name"))
        .and_then(Value::as_str)
        && !head.is_empty()
    {
        let noun = if head.starts_with("volumes") {
            "volume"
        } else {
            "container"
        };
        return format!("{noun} {container:?}");
    }
    format!("the pod spec ({})", workload.prefix)
}

/// `"a", "b" rest` → [`"a"`, `"b"`].
fn quoted_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(after) = rest.strip_prefix('"') {
        let Some(end) = after.find('"') else { break };
        names.push(format!("\"{}\"", &after[..end]));
        rest = &after[end + 1..];
        match rest.strip_prefix(", ") {
            Some(next) if next.starts_with('"') => rest = next,
            _ => break,
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_read_from_the_detail() {
        assert_eq!(
            quoted_names("\"a\", \"b\" must not be privileged"),
            vec!["\"a\"", "\"b\""]
        );
        assert_eq!(quoted_names("\"a\" must"), vec!["\"a\""]);
        assert!(quoted_names("must").is_empty());
    }
}
