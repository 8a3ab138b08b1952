//! Unknown fields: the fields each spec section accepts and the closest one
//! to a typo, for "did you mean" hints.

use super::{Validator, limits};
use crate::diagnostics::Problem;

impl Validator {
    pub(super) fn unknown_field(&mut self, path: &str) {
        let (parent, field) = match path.rfind('.') {
            Some(i) => (&path[..i], &path[i + 1..]),
            None => ("", path),
        };
        let mut problem = Problem::new(
            limits::shown(path),
            format!("unknown field '{}'", limits::shown(field)),
        );
        let known = known_fields(parent);
        problem = match closest(field, &known) {
            Some(suggestion) => problem.help(format!("did you mean '{suggestion}'?")),
            None if !known.is_empty() => {
                problem.help(format!("fields allowed here: {}", known.join(", ")))
            }
            None => problem.help("remove it"),
        };
        self.push(problem);
    }
}

/// The fields each spec section accepts, for "did you mean" hints: read
/// from the spec's JSON Schema (derived from the types in [`crate::spec`]),
/// so a new field is known here the moment it is a field. `parent` is a
/// path such as `dapr.components[0].secretMetadata.password`.
fn known_fields(parent: &str) -> Vec<&'static str> {
    let schema = crate::spec::json_schema();
    let mut node = Some(schema);
    let mut rest = parent;
    while let Some(current) = node {
        let current = crate::spec::resolve_schema(schema, current);
        if rest.is_empty() {
            return current
                .get("properties")
                .and_then(|p| p.as_object())
                .map(|p| p.keys().map(String::as_str).collect())
                .unwrap_or_default();
        }
        let (segment, tail) = match rest.find(['.', '[']) {
            Some(i) if rest.as_bytes()[i] == b'[' => {
                let close = rest[i..].find(']').map_or(rest.len(), |c| i + c + 1);
                (&rest[..i], &rest[close..])
            }
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let index = tail.starts_with(']') || parent_indexed(rest, segment);
        rest = tail.trim_start_matches('.');
        node = if segment.is_empty() {
            Some(current)
        } else {
            current
                .get("properties")
                .and_then(|p| p.get(segment))
                .or_else(|| current.get("additionalProperties"))
        }
        .map(|n| crate::spec::resolve_schema(schema, n))
        .map(|n| {
            if index {
                n.get("items").unwrap_or(n)
            } else {
                n
            }
        })
        .map(|n| crate::spec::resolve_schema(schema, n));
    }
    Vec::new()
}

/// Whether `segment` is followed by an index in `path` (`name[0]`).
fn parent_indexed(path: &str, segment: &str) -> bool {
    path[segment.len()..].starts_with('[')
}

/// The known name closest to `word`, if it is a plausible typo of it.
fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let word_lower = word.to_ascii_lowercase();
    candidates
        .iter()
        .map(|c| {
            (
                strsim::levenshtein(&word_lower, &c.to_ascii_lowercase()),
                *c,
            )
        })
        .filter(|(distance, candidate)| *distance <= 2.max(candidate.len() / 4))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Spec;

    #[test]
    fn suggestions_for_typos() {
        assert_eq!(closest("imag", &known_fields("workload")), Some("image"));
        assert_eq!(
            closest("namespce", &known_fields("egress[3]")),
            Some("namespace")
        );
        assert_eq!(closest("zzzzzz", &known_fields("workload")), None);
    }

    #[test]
    fn known_fields_match_the_spec_types() {
        // Every field we suggest must be one serde accepts at that place.
        let sections = [
            ("", "{}"),
            ("app", "app: {F: null}"),
            ("workload", "workload: {F: null}"),
            ("workload.resources", "workload: {resources: {F: null}}"),
            (
                "workload.probes.liveness",
                "workload: {probes: {liveness: {F: null}}}",
            ),
            (
                "kubernetesApi.rules[0]",
                "kubernetesApi: {rules: [{F: null}]}",
            ),
            ("egress[0]", "egress: [{F: null}]"),
            ("network", "network: {F: null}"),
            ("ingress[0]", "ingress: [{F: null}]"),
            ("secrets.keys[0]", "secrets: {keys: [{F: null}]}"),
            ("dapr.components[0]", "dapr: {components: [{F: null}]}"),
            ("dapr.invokes[0]", "dapr: {invokes: [{F: null}]}"),
            ("cluster.dns", "cluster: {dns: {F: null}}"),
            (
                "dapr.components[0].secretMetadata.password",
                "dapr: {components: [{secretMetadata: {password: {F: null}}}]}",
            ),
        ];
        for (parent, template) in sections {
            assert!(!known_fields(parent).is_empty(), "{parent}");
            for field in known_fields(parent) {
                let text = if parent.is_empty() {
                    format!("{field}: null")
                } else {
                    template.replace('F', field)
                };
                let parsed = crate::yaml::parse_document::<Spec>(&text).unwrap();
                assert!(
                    parsed.unknown_fields.is_empty(),
                    "{parent}.{field} is not a spec field"
                );
            }
        }
    }
}
