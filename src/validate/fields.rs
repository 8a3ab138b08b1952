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
        problem = match closest(field, known) {
            Some(suggestion) => problem.help(format!("did you mean '{suggestion}'?")),
            None if !known.is_empty() => {
                problem.help(format!("fields allowed here: {}", known.join(", ")))
            }
            None => problem.help("remove it"),
        };
        self.push(problem);
    }
}

/// The fields each spec section accepts, for "did you mean" hints.
fn known_fields(parent: &str) -> &'static [&'static str] {
    let normalized: String = {
        let mut out = String::new();
        let mut skipping = false;
        for c in parent.chars() {
            match c {
                '[' => skipping = true,
                ']' => skipping = false,
                _ if !skipping => out.push(c),
                _ => {}
            }
        }
        out
    };
    match normalized.as_str() {
        "" => &[
            "apiVersion",
            "kind",
            "app",
            "workload",
            "kubernetesApi",
            "network",
            "ingress",
            "egress",
            "secrets",
            "dapr",
        ],
        "app" => &[
            "name",
            "namespace",
            "compliance",
            "podSecurityVersion",
            "environment",
        ],
        "workload" => &[
            "image",
            "allowTagOnlyImage",
            "port",
            "replicas",
            "runAsUser",
            "resources",
            "writablePaths",
            "probes",
        ],
        "workload.resources" => &["requests", "limits"],
        "workload.resources.requests" | "workload.resources.limits" => &["cpu", "memory"],
        "workload.probes" => &["liveness", "readiness"],
        "workload.probes.liveness" | "workload.probes.readiness" => {
            &["path", "initialDelaySeconds", "periodSeconds"]
        }
        "kubernetesApi" => &["apiServer", "token", "rules"],
        "kubernetesApi.apiServer" => &["cidr", "port"],
        "kubernetesApi.token" => &["audience", "expirationSeconds"],
        "kubernetesApi.rules" => &["apiGroups", "resources", "resourceNames", "verbs"],
        "ingress" => &["name", "app", "namespace", "podLabels", "ports"],
        "egress" => &[
            "name",
            "app",
            "namespace",
            "podLabels",
            "cidr",
            "except",
            "hosts",
            "ports",
        ],
        "network" => &["enforcement"],
        "ingress.ports" | "egress.ports" => &["port", "protocol"],
        "secrets" => &["source", "store", "refreshInterval", "mountPath", "keys"],
        "secrets.store" => &["name", "kind"],
        "secrets.keys" => &["name", "remoteKey", "property"],
        "dapr" => &[
            "enabled",
            "version",
            "appId",
            "apiLogging",
            "controlPlaneNamespace",
            "actors",
            "jobs",
            "invokedBy",
            "invokes",
            "components",
            "apiTokenSecret",
        ],
        "dapr.invokedBy" | "dapr.invokes" => &["appId", "namespace"],
        "dapr.components" => &[
            "name",
            "type",
            "version",
            "metadata",
            "secretMetadata",
            "scopes",
        ],
        _ if normalized.starts_with("dapr.components.secretMetadata.") => &["secret", "key"],
        _ => &[],
    }
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
        assert_eq!(closest("imag", known_fields("workload")), Some("image"));
        assert_eq!(
            closest("namespce", known_fields("egress[3]")),
            Some("namespace")
        );
        assert_eq!(closest("zzzzzz", known_fields("workload")), None);
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
        ];
        for (parent, template) in sections {
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
