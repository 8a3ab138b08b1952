//! Kubernetes label selectors (`matchLabels` and `matchExpressions`), as
//! NetworkPolicy `podSelector` and `namespaceSelector`, a workload's
//! `spec.selector` and a PodDisruptionBudget use them: the one matcher.
//!
//! Semantics from kubernetes/apimachinery
//! `pkg/apis/meta/v1/types.go` (LabelSelector: "The requirements are ANDed.
//! An empty label selector matches all objects") and
//! `pkg/labels/selector.go` (`Requirement.Matches`: `In` needs the key with
//! one of the values, `NotIn` matches when the key is absent or its value is
//! not listed, `Exists`/`DoesNotExist` test the key only).

use std::collections::BTreeMap;

use serde_json::Value;

use super::value::{label_map, scalar};

/// Labels of a pod or namespace.
pub type Labels = BTreeMap<String, String>;

/// A `matchExpressions` operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

/// One `matchExpressions` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub key: String,
    pub operator: Operator,
    pub values: Vec<String>,
}

/// A parsed label selector. The empty selector matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selector {
    pub match_labels: Labels,
    pub expressions: Vec<Requirement>,
}

impl Selector {
    /// Parses a LabelSelector object; the error names the bad part relative
    /// to the selector (`matchExpressions[0].operator`).
    pub fn parse(value: &Value) -> Result<Selector, (String, String)> {
        let mut selector = Selector::default();
        if value.is_null() {
            return Ok(selector);
        }
        let Some(object) = value.as_object() else {
            return Err((String::new(), "a label selector must be a mapping".into()));
        };
        if let Some(labels) = object.get("matchLabels").filter(|v| !v.is_null()) {
            let Some(labels) = labels.as_object() else {
                return Err(("matchLabels".into(), "must be a mapping of labels".into()));
            };
            for (key, value) in labels {
                selector.match_labels.insert(key.clone(), scalar(value));
            }
        }
        if let Some(expressions) = object.get("matchExpressions").filter(|v| !v.is_null()) {
            let Some(expressions) = expressions.as_array() else {
                return Err(("matchExpressions".into(), "must be a list".into()));
            };
            for (index, expression) in expressions.iter().enumerate() {
                let path = format!("matchExpressions[{index}]");
                let key = expression
                    .get("key")
                    .and_then(Value::as_str)
                    .ok_or_else(|| (format!("{path}.key"), "a key is required".to_string()))?;
                let operator = match expression.get("operator").and_then(Value::as_str) {
                    Some("In") => Operator::In,
                    Some("NotIn") => Operator::NotIn,
                    Some("Exists") => Operator::Exists,
                    Some("DoesNotExist") => Operator::DoesNotExist,
                    other => {
                        return Err((
                            format!("{path}.operator"),
                            format!(
                                "operator {} is not one of In, NotIn, Exists, DoesNotExist",
                                other.map_or("(missing)".to_string(), |o| format!("{o:?}"))
                            ),
                        ));
                    }
                };
                let values: Vec<String> = expression
                    .get("values")
                    .and_then(Value::as_array)
                    .map(|values| values.iter().map(scalar).collect())
                    .unwrap_or_default();
                selector.expressions.push(Requirement {
                    key: key.to_string(),
                    operator,
                    values,
                });
            }
        }
        Ok(selector)
    }

    /// Whether the selector matches every object (no requirement at all).
    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.expressions.is_empty()
    }

    pub fn matches(&self, labels: &Labels) -> bool {
        self.match_labels
            .iter()
            .all(|(key, value)| labels.get(key) == Some(value))
            && self.expressions.iter().all(|r| r.matches(labels))
    }

    /// `a=b, c in (d, e)`, or `(any)` for the empty selector.
    pub fn describe(&self) -> String {
        if self.is_empty() {
            return "(any)".into();
        }
        let mut parts: Vec<String> = self
            .match_labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        for r in &self.expressions {
            parts.push(match r.operator {
                Operator::In => format!("{} in ({})", r.key, r.values.join(", ")),
                Operator::NotIn => format!("{} notin ({})", r.key, r.values.join(", ")),
                Operator::Exists => r.key.clone(),
                Operator::DoesNotExist => format!("!{}", r.key),
            });
        }
        parts.join(", ")
    }

    /// Labels of an object this selector certainly matches, when they can be
    /// read off it (`matchLabels`, the first value of each `In`); `None` when
    /// an `Exists` requirement needs a value we cannot know.
    pub fn example(&self) -> Option<Labels> {
        let mut labels = self.match_labels.clone();
        for r in &self.expressions {
            match r.operator {
                Operator::In => {
                    labels.insert(r.key.clone(), r.values.first()?.clone());
                }
                Operator::Exists => return None,
                Operator::NotIn | Operator::DoesNotExist => {}
            }
        }
        self.matches(&labels).then_some(labels)
    }
}

impl Requirement {
    fn matches(&self, labels: &Labels) -> bool {
        let value = labels.get(&self.key);
        match self.operator {
            Operator::In => value.is_some_and(|v| self.values.contains(v)),
            Operator::NotIn => value.is_none_or(|v| !self.values.contains(v)),
            Operator::Exists => value.is_some(),
            Operator::DoesNotExist => value.is_none(),
        }
    }
}

/// Labels from `metadata.labels` of an object.
pub fn labels_of(metadata: Option<&Value>) -> Labels {
    label_map(metadata.and_then(|m| m.get("labels")))
}

/// Whether the selector written at `value` selects `labels`: absent, it
/// selects everything (a NetworkPolicy's missing `podSelector`); a selector
/// that cannot be parsed selects nothing (the API server would refuse it).
pub fn selects(value: Option<&Value>, labels: &Labels) -> bool {
    match value {
        None => true,
        Some(value) => Selector::parse(value).is_ok_and(|s| s.matches(labels)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn empty_selector_matches_everything() {
        let s = Selector::parse(&json!({})).unwrap();
        assert!(s.is_empty());
        assert!(s.matches(&labels(&[])));
        assert!(s.matches(&labels(&[("a", "b")])));
    }

    #[test]
    fn match_labels_and_expressions_are_anded() {
        let s = Selector::parse(&json!({
            "matchLabels": {"app": "web"},
            "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["a", "b"]},
                {"key": "env", "operator": "NotIn", "values": ["dev"]},
                {"key": "team", "operator": "Exists"},
                {"key": "legacy", "operator": "DoesNotExist"},
            ]
        }))
        .unwrap();
        let good = labels(&[("app", "web"), ("tier", "b"), ("team", "x")]);
        assert!(s.matches(&good));
        let mut bad = good.clone();
        bad.insert("env".into(), "dev".into());
        assert!(!s.matches(&bad), "NotIn excludes a listed value");
        let mut bad = good.clone();
        bad.insert("legacy".into(), "1".into());
        assert!(!s.matches(&bad), "DoesNotExist");
        let mut bad = good.clone();
        bad.remove("team");
        assert!(!s.matches(&bad), "Exists");
        let mut bad = good.clone();
        bad.remove("tier");
        assert!(!s.matches(&bad), "In needs the key");
        let mut bad = good;
        bad.insert("app".into(), "api".into());
        assert!(!s.matches(&bad), "matchLabels");
    }

    #[test]
    fn not_in_matches_a_missing_key() {
        let s = Selector::parse(&json!({"matchExpressions": [
            {"key": "env", "operator": "NotIn", "values": ["dev"]}]}))
        .unwrap();
        assert!(s.matches(&labels(&[])));
    }

    #[test]
    fn bad_operator_is_an_error_with_its_path() {
        let error = Selector::parse(&json!({"matchExpressions": [
            {"key": "env", "operator": "Equals", "values": ["dev"]}]}))
        .unwrap_err();
        assert_eq!(error.0, "matchExpressions[0].operator");
        assert!(error.1.contains("Equals"), "{}", error.1);
    }

    #[test]
    fn selects_reads_expressions_and_refuses_what_it_cannot_parse() {
        let web = labels(&[("app", "web")]);
        assert!(selects(None, &web));
        let expression = json!({"matchExpressions": [
            {"key": "app", "operator": "In", "values": ["api"]}]});
        assert!(!selects(Some(&expression), &web));
        let bad = json!({"matchExpressions": [{"key": "app", "operator": "Is"}]});
        assert!(!selects(Some(&bad), &web));
    }

    #[test]
    fn example_labels_satisfy_the_selector() {
        let s = Selector::parse(&json!({"matchLabels": {"a": "1"}, "matchExpressions": [
            {"key": "b", "operator": "In", "values": ["2", "3"]}]}))
        .unwrap();
        assert_eq!(s.example(), Some(labels(&[("a", "1"), ("b", "2")])));
        let s = Selector::parse(&json!({"matchExpressions": [{"key": "b", "operator": "Exists"}]}))
            .unwrap();
        assert_eq!(s.example(), None);
    }
}
