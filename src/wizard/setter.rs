//! `PATH=VALUE`: sets any field of a spec by the path `validate` names it
//! with (`workload.runAsUser=20001`, `egress[0].except=[10.0.0.0/24]`),
//! the value read as spec YAML. The wizard's last question and the `--set`
//! flag both use it, so every field of the spec's types can be written by
//! `harden init` the moment it exists, with no question or flag of its
//! own; the answer is checked by the same parser and rules as a spec file.

use crate::spec::Spec;

/// One step of a path: a field or an index.
enum Step<'a> {
    Field(&'a str),
    Index(usize),
}

fn steps(path: &str) -> Result<Vec<Step<'_>>, String> {
    let mut steps = Vec::new();
    for part in path.split('.') {
        let (field, mut rest) = part.split_at(part.find('[').unwrap_or(part.len()));
        if field.is_empty() {
            return Err(format!("{path:?}: a field name is missing"));
        }
        steps.push(Step::Field(field));
        while let Some(inner) = rest.strip_prefix('[') {
            let close = inner
                .find(']')
                .ok_or(format!("{path:?}: an index is not closed"))?;
            let index = inner[..close]
                .parse()
                .map_err(|_| format!("{path:?}: {:?} is not an index", &inner[..close]))?;
            steps.push(Step::Index(index));
            rest = &inner[close + 1..];
        }
        if !rest.is_empty() {
            return Err(format!("{path:?}: unexpected {rest:?}"));
        }
    }
    Ok(steps)
}

/// Puts `value` at `path` in `json`, making the sections and list items on
/// the way (an index may be one past the end: a new item).
fn place(json: &mut serde_json::Value, path: &str, value: serde_json::Value) -> Result<(), String> {
    use serde_json::Value;
    let mut node = json;
    for step in steps(path)? {
        node = match step {
            Step::Field(field) => {
                if node.is_null() {
                    *node = Value::Object(Default::default());
                }
                let map = node.as_object_mut().ok_or(format!(
                    "{path}: {field:?} is inside a value, not a section"
                ))?;
                map.entry(field).or_insert(Value::Null)
            }
            Step::Index(index) => {
                if node.is_null() {
                    *node = Value::Array(Vec::new());
                }
                let items = node
                    .as_array_mut()
                    .ok_or(format!("{path}: [{index}] is not on a list"))?;
                if index == items.len() {
                    items.push(Value::Null);
                }
                let len = items.len();
                items.get_mut(index).ok_or(format!(
                    "{path}: [{index}] is beyond the end of the list ({len} items; [{len}] adds one)"
                ))?
            }
        };
    }
    *node = value;
    Ok(())
}

/// `spec` with `assignment` (`PATH=VALUE`) applied, or what is wrong with
/// it, as `validate` words it. An empty value removes the field.
pub(crate) fn assign(spec: &Spec, assignment: &str) -> Result<Spec, String> {
    let (path, value) = assignment.split_once('=').ok_or(format!(
        "{assignment:?}: expected PATH=VALUE, e.g. workload.runAsUser=20001"
    ))?;
    let (path, value) = (path.trim(), value.trim());
    let value = if value.is_empty() {
        serde_json::Value::Null
    } else {
        crate::yaml::parse_document::<serde_json::Value>(value)
            .map_err(|e| format!("{path}: {value:?} is not a YAML value: {}", e.message))?
            .value
    };
    let mut json = serde_json::to_value(spec).map_err(|e| e.to_string())?;
    place(&mut json, path, value)?;
    let text = serde_json::to_string(&json).map_err(|e| e.to_string())?;
    let parsed =
        crate::yaml::parse_document_against::<Spec, _>(&text, || Ok(crate::spec::json_schema()))
            .map_err(|e| format!("{path}: {}", e.message))?;
    if let Some(error) = parsed.type_errors.first() {
        return Err(format!(
            "{}: {} ({})",
            error.path, error.message, error.help
        ));
    }
    if !parsed.unknown_fields.is_empty() {
        let problems = match crate::validate::validate(&parsed.value, &parsed.unknown_fields, "") {
            Err(problems) => problems,
            Ok(_) => Vec::new(),
        };
        let unknown = problems
            .into_iter()
            .filter(|p| parsed.unknown_fields.contains(&p.path))
            .map(|p| match p.help {
                Some(help) => format!("{}: {} ({help})", p.path, p.message),
                None => format!("{}: {}", p.path, p.message),
            })
            .collect::<Vec<_>>();
        return Err(unknown.join("; "));
    }
    Ok(parsed.value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_field_is_set_by_its_path() {
        let spec = Spec::default();
        let spec = assign(&spec, "workload.runAsUser=20001").unwrap();
        assert_eq!(spec.workload.as_ref().unwrap().run_as_user, Some(20001));
        let spec = assign(&spec, "egress[0].except=[203.0.113.128/25]").unwrap();
        assert_eq!(spec.egress[0].except, ["203.0.113.128/25"]);
        let spec = assign(
            &spec,
            "workload.probes.liveness={path: /livez, initialDelaySeconds: 15}",
        )
        .unwrap();
        let probes = spec.workload.as_ref().unwrap().probes.as_ref().unwrap();
        assert_eq!(
            probes.liveness.as_ref().unwrap().initial_delay_seconds,
            Some(15)
        );
        // A string stays a string where the field is text.
        let spec = assign(&spec, "workload.resources.limits.cpu=\"1\"").unwrap();
        let limits = spec.workload.as_ref().unwrap().resources.as_ref().unwrap();
        assert_eq!(limits.limits.as_ref().unwrap().cpu.as_deref(), Some("1"));
        // Empty removes.
        let spec = assign(&spec, "workload.runAsUser=").unwrap();
        assert_eq!(spec.workload.as_ref().unwrap().run_as_user, None);
    }

    #[test]
    fn a_wrong_path_or_value_says_what_is_wrong() {
        let spec = Spec::default();
        let error = assign(&spec, "workload.runAsUsr=20001").unwrap_err();
        assert!(error.contains("did you mean 'runAsUser'"), "{error}");
        let error = assign(&spec, "workload.port=eighty").unwrap_err();
        assert!(error.starts_with("workload.port:"), "{error}");
        assert!(
            assign(&spec, "egress[3].name=x")
                .unwrap_err()
                .contains("beyond the end")
        );
        assert!(
            assign(&spec, "no equals sign")
                .unwrap_err()
                .contains("PATH=VALUE")
        );
    }
}
