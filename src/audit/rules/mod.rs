//! The audit's rule catalogue: Pod Security Standards, the capstone's ten
//! controls as far as manifests can show them, further hardening, and the
//! audit's own input problems.
//!
//! Every rule is one `static` [`Rule`] holding its metadata (id, family,
//! severity, control, title, generic fix) and the function that judges it,
//! declared beside that function in a submodule. Findings carry a
//! `&'static Rule`, so a rule id is checked by the compiler, never looked up
//! at run time. [`catalogue`] lists them all (built once); it is also what
//! SARIF emits as `tool.driver.rules`. A new rule is one `static` in its
//! family's module, one line in that module's `RULES`, and its test.
//!
//! Rules judge one object at a time ([`Check::Object`]) against an
//! [`Index`] of what cross-object rules need (namespaces, policies, service
//! accounts, services, workload summaries), or the index alone at the end
//! ([`Check::Index`]); see `super::run` for the two passes.

/// Declares a rule of the capstone's controls (family `controls`).
macro_rules! control {
    ($name:ident, $id:literal, $severity:ident, $control:literal, $check:expr, $title:literal, $fix:literal) => {
        pub static $name: $crate::audit::rule::Rule = $crate::audit::rule::Rule {
            id: $id,
            family: $crate::audit::rule::Family::Controls,
            severity: $crate::audit::rule::Severity::$severity,
            control: Some($control),
            title: $title,
            fix: $fix,
            check: $check,
        };
    };
}

pub mod controls;
pub mod dapr;
pub mod hardening;
pub mod input;
pub mod network;
pub mod pod_security;
pub mod rbac;
pub mod secrets;
pub mod signature;

use std::collections::HashMap;
use std::sync::LazyLock;

pub use super::rule::{
    Anchor, Check, Cx, Family, Finding, Index, PssChoice, Rule, Selection, Severity, Suppression,
    Workload, WorkloadInfo,
};
use crate::objects::Object;

/// Every rule, Pod Security checks first, in a stable order; built once.
pub fn catalogue() -> &'static [&'static Rule] {
    static ALL: LazyLock<Vec<&'static Rule>> = LazyLock::new(|| {
        let mut all: Vec<&'static Rule> = super::pss::rules().collect();
        all.extend_from_slice(pod_security::RULES);
        // The controls in their number order: 1 (controls), 2 (rbac), 3 and
        // 4 (controls), 5 (secrets), 6 and 7 (controls), 8 to 10 (dapr).
        all.extend_from_slice(controls::RULES[..1].as_ref());
        all.extend_from_slice(rbac::RULES);
        all.extend_from_slice(controls::RULES[1..5].as_ref());
        all.extend_from_slice(secrets::RULES);
        all.extend_from_slice(controls::RULES[5..].as_ref());
        all.extend_from_slice(dapr::RULES);
        all.extend_from_slice(network::RULES);
        all.extend_from_slice(hardening::RULES);
        all.extend_from_slice(signature::RULES);
        all.extend_from_slice(input::RULES);
        all
    });
    &ALL
}

/// `; did you mean "<id>"?` for a mistyped rule id: the nearest id of the
/// catalogue within a third of its length; empty when none is near.
pub fn did_you_mean(id: &str) -> String {
    catalogue()
        .iter()
        .map(|r| (strsim::levenshtein(id, r.id), r.id))
        .filter(|(distance, _)| *distance > 0 && *distance <= id.len().max(3) / 3)
        .min()
        .map_or_else(String::new, |(_, near)| format!("; did you mean {near:?}?"))
}

/// The catalogue entry of a rule id (for user input: waivers, `--rule`).
pub fn find(id: &str) -> Option<&'static Rule> {
    static BY_ID: LazyLock<HashMap<&'static str, &'static Rule>> =
        LazyLock::new(|| catalogue().iter().map(|r| (r.id, *r)).collect());
    BY_ID.get(id).copied()
}

/// The object rules a selection runs, in catalogue order: picked once for
/// a run, not again for every object.
pub struct ObjectRules<'s> {
    selection: &'s Selection,
    rules: Vec<(&'static Rule, ObjectCheck)>,
}

/// The check of an object rule.
type ObjectCheck = fn(&mut Cx<'_>, &Object<'_>);

impl<'s> ObjectRules<'s> {
    pub fn of(selection: &'s Selection) -> ObjectRules<'s> {
        let rules = catalogue()
            .iter()
            .filter_map(|&rule| match rule.check {
                Check::Object(check) if selection.runs(rule) => Some((rule, check)),
                _ => None,
            })
            .collect();
        ObjectRules { selection, rules }
    }
}

/// Runs the object rules of a selection on one object.
pub fn judge_object(
    object: &Object<'_>,
    index: &Index<'_>,
    rules: &ObjectRules<'_>,
    pss: PssChoice,
    findings: &mut Vec<Finding>,
) {
    let mut cx = Cx {
        rule: &input::UNPARSABLE,
        index,
        pss,
        findings,
        policy_issues: None,
    };
    pod_security::judge(&mut cx, object, rules.selection);
    for &(rule, check) in &rules.rules {
        cx.rule = rule;
        check(&mut cx, object);
    }
}

/// Runs the index rules of `selection`.
pub fn judge_index(
    index: &Index<'_>,
    selection: &Selection,
    pss: PssChoice,
    findings: &mut Vec<Finding>,
) {
    for rule in catalogue() {
        if let Check::Index(check) = rule.check
            && selection.runs(rule)
        {
            let mut cx = Cx {
                rule,
                index,
                pss,
                findings,
                policy_issues: None,
            };
            check(&mut cx);
        }
    }
}

/// The order of findings in every report: file, line, rule, message.
pub fn order(a: &Finding, b: &Finding) -> std::cmp::Ordering {
    (&a.file, a.line, a.rule.id, &a.message).cmp(&(&b.file, b.line, b.rule.id, &b.message))
}

/// Sorts findings by [`order`], keeping the order of equal ones.
pub fn sort_stable(findings: &mut [Finding]) {
    findings.sort_by(order);
}

/// Sorts findings by file, line and rule, and drops duplicates.
pub fn sort(findings: &mut Vec<Finding>) {
    sort_stable(findings);
    findings.dedup();
}

/// Runs every selected rule on in-memory objects (one pass over a slice;
/// `super::run` streams files instead).
pub fn audit(objects: &[Object<'_>], selection: &Selection, pss: PssChoice) -> Vec<Finding> {
    audit_for(
        objects,
        selection,
        pss,
        crate::platform::cluster::DnsFacts::default(),
    )
}

/// [`audit`] for a cluster whose DNS is `dns` (a cluster profile's).
pub fn audit_for(
    objects: &[Object<'_>],
    selection: &Selection,
    pss: PssChoice,
    dns: crate::platform::cluster::DnsFacts,
) -> Vec<Finding> {
    let mut index = Index {
        dns,
        ..Index::default()
    };
    for object in objects {
        index.add(object);
    }
    let mut findings = Vec::new();
    let rules = ObjectRules::of(selection);
    for object in objects {
        judge_object(object, &index, &rules, pss, &mut findings);
    }
    judge_index(&index, selection, pss, &mut findings);
    sort(&mut findings);
    findings
}
