//! Small readers of JSON values that every object reader needs.

use serde_json::Value;

use super::selector::Labels;

/// The strings of a JSON array (missing or non-string entries skipped).
pub fn string_list(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// A label value as text (YAML may read `true` or `1` as non-strings).
pub fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A map of labels (`metadata.labels`, a Service's `spec.selector`);
/// empty when absent or not a mapping.
pub fn label_map(value: Option<&Value>) -> Labels {
    value
        .and_then(Value::as_object)
        .map(|labels| labels.iter().map(|(k, v)| (k.clone(), scalar(v))).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn label_values_that_yaml_typed_are_read_as_text() {
        let labels = label_map(Some(&json!({"a": "x", "b": true, "c": 1})));
        assert_eq!(labels["b"], "true");
        assert_eq!(labels["c"], "1");
        assert_eq!(string_list(Some(&json!(["a", 1, "b"]))), ["a", "b"]);
    }
}
