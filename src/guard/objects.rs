//! The admission guard's objects, built once from the typed [`Guard`]: each
//! policy's ValidatingAdmissionPolicy and its binding, in that order, and
//! their file, written by the one YAML writer ([`crate::yaml::write`]) with
//! the comments a reviewer reads. The render hands the same objects to the
//! self-audit and the proof, with the lines the writer put them on, so the
//! file is never parsed back (a test reads every rendered guard with the
//! ordinary reader and compares).
//!
//! This is the guard's one description: no template prints it.

use super::{Guard, Policy};
use crate::platform::{admission, names};
use crate::yaml::write::{self, Ordered, Placed};

/// The guard's file body (from its first `---`) and, for each object, its
/// value and where the writer put it (lines counted from the body's first).
pub fn write(guard: &Guard) -> (String, Vec<(Ordered, Placed)>) {
    let objects: Vec<Ordered> = guard
        .policies
        .iter()
        .flat_map(|policy| [policy_object(guard, policy), binding_object(guard, policy)])
        .collect();
    let (text, placed) = write::stream(&objects, write::MANIFEST, &|index, path| {
        // Objects alternate: a policy, then its binding.
        let policy = guard.policies.get(index / 2).filter(|_| index % 2 == 0)?;
        comment(guard, policy, path)
    });
    (text, objects.into_iter().zip(placed).collect())
}

/// The comment above `path` in `policy`'s object.
fn comment(guard: &Guard, policy: &Policy, path: &str) -> Option<String> {
    match path {
        "apiVersion" => Some(format!(
            "{}.\nMode {}: validationActions {}.",
            policy.purpose,
            guard.mode.name(),
            guard.actions.join(", ")
        )),
        "spec.matchConditions" => Some(
            "An UPDATE that leaves the pod template as it was (scaling, labels, the\n\
             deployment controller scaling down an old ReplicaSet) is not judged, so\n\
             objects that predate the guard keep running; every new pod is."
                .into(),
        ),
        "spec.variables" => {
            Some("Each variable is evaluated once per request, when a rule first reads it.".into())
        }
        _ => None,
    }
}

fn text(value: &str) -> Ordered {
    Ordered::Text(value.to_string())
}

fn list<'a>(values: impl IntoIterator<Item = &'a str>) -> Ordered {
    Ordered::List(values.into_iter().map(text).collect())
}

fn map<const N: usize>(entries: [(&str, Ordered); N]) -> Ordered {
    Ordered::Map(entries.map(|(k, v)| (k.to_string(), v)).into())
}

/// The metadata of a policy and of its binding.
fn metadata(policy: &Policy) -> Ordered {
    map([
        ("name", text(&policy.name)),
        (
            "labels",
            map([(names::MANAGED_BY_LABEL, text(names::MANAGED_BY_VALUE))]),
        ),
    ])
}

/// Selects the guard's namespace by its name label.
fn namespace_selector(guard: &Guard) -> Ordered {
    map([(
        "matchExpressions",
        Ordered::List(vec![map([
            ("key", text(admission::NAMESPACE_NAME_LABEL)),
            ("operator", text("In")),
            ("values", list([guard.namespace.as_str()])),
        ])]),
    )])
}

fn policy_object(guard: &Guard, policy: &Policy) -> Ordered {
    let rules = policy
        .rules
        .iter()
        .map(|rule| {
            map([
                ("apiGroups", list([rule.api_group])),
                ("apiVersions", list([rule.api_version])),
                ("operations", list(admission::OPERATIONS)),
                ("resources", list(rule.resources.iter().copied())),
            ])
        })
        .collect();
    let named = |items: &[super::Named]| {
        Ordered::List(
            items
                .iter()
                .map(|n| map([("name", text(&n.name)), ("expression", text(&n.expression))]))
                .collect(),
        )
    };
    let mut spec = vec![
        ("failurePolicy".to_string(), text(admission::FAILURE_POLICY)),
        (
            "matchConstraints".to_string(),
            map([
                ("namespaceSelector", namespace_selector(guard)),
                ("resourceRules", Ordered::List(rules)),
            ]),
        ),
    ];
    if !policy.match_conditions.is_empty() {
        spec.push(("matchConditions".into(), named(&policy.match_conditions)));
    }
    spec.push(("variables".into(), named(&policy.variables)));
    spec.push((
        "validations".into(),
        Ordered::List(
            policy
                .validations
                .iter()
                .map(|v| {
                    map([
                        ("expression", text(&v.expression)),
                        ("message", text(&v.message)),
                        ("reason", text(v.reason)),
                    ])
                })
                .collect(),
        ),
    ));
    map([
        ("apiVersion", text(admission::API_VERSION)),
        ("kind", text(admission::POLICY_KIND)),
        ("metadata", metadata(policy)),
        ("spec", Ordered::Map(spec)),
    ])
}

fn binding_object(guard: &Guard, policy: &Policy) -> Ordered {
    map([
        ("apiVersion", text(admission::API_VERSION)),
        ("kind", text(admission::BINDING_KIND)),
        ("metadata", metadata(policy)),
        (
            "spec",
            map([
                ("policyName", text(&policy.name)),
                ("validationActions", list(guard.actions.iter().copied())),
                (
                    "matchResources",
                    map([("namespaceSelector", namespace_selector(guard))]),
                ),
            ]),
        ),
    ])
}
