//! The audit's own input problems, reported as findings beside every other
//! file's findings so one bad file never hides the rest: a document that
//! cannot be parsed, a waiver naming no known rule, a waiver past its date.

use crate::audit::rule::{Check, Family, Rule, Severity};

/// Every input rule, in catalogue order.
pub static RULES: &[&Rule] = &[&UNPARSABLE, &INVALID_WAIVER, &WAIVER_EXPIRED];

/// Input errors: any of these makes the audit exit 2.
pub static ERRORS: &[&Rule] = &[&UNPARSABLE, &INVALID_WAIVER];

pub static UNPARSABLE: Rule = Rule {
    id: "input/unparsable",
    family: Family::Input,
    severity: Severity::Critical,
    control: None,
    title: "File cannot be parsed as Kubernetes manifests",
    fix: "fix the syntax at the line given (a Helm or other template must be rendered before the audit)",
    check: Check::Driver,
};

pub static INVALID_WAIVER: Rule = Rule {
    id: "input/invalid-waiver",
    family: Family::Input,
    severity: Severity::Critical,
    control: None,
    title: "Waiver cannot be read or names an unknown rule",
    fix: "write the waiver as \"<rule-id>: <reason>\" with a rule id of the catalogue (harden audit --format sarif lists them)",
    check: Check::Driver,
};

pub static WAIVER_EXPIRED: Rule = Rule {
    id: "input/waiver-expired",
    family: Family::Input,
    severity: Severity::Medium,
    control: None,
    title: "Waiver expired",
    fix: "fix what the waiver covered, or renew the waiver with a new reason and expiry date",
    check: Check::Driver,
};
