//! Small readers of JSON values that every object reader needs.

use std::collections::BTreeMap;

use serde_json::Value;

/// JSON Pointer lookup (RFC 6901) without an allocation per step:
/// `serde_json::Value::pointer` copies every reference token twice to
/// unescape it, which cost a render about 0.6 million instructions over
/// its 84 lookups. Only a token holding `~` is unescaped here.
pub trait At {
    /// The value at `pointer` (`""` is the value itself, `/a/0/b~1c`
    /// steps into `a`, its first item, then the key `b/c`).
    fn at(&self, pointer: &str) -> Option<&Value>;
}

impl At for Value {
    fn at(&self, pointer: &str) -> Option<&Value> {
        if pointer.is_empty() {
            return Some(self);
        }
        let mut rest = pointer.strip_prefix('/')?;
        let mut target = self;
        loop {
            // The next token, found by one walk over its bytes (tokens are
            // a few bytes long: a `split` searcher costs more than the walk).
            let mut end = 0;
            let mut escaped = false;
            for &byte in rest.as_bytes() {
                if byte == b'/' {
                    break;
                }
                escaped |= byte == b'~';
                end += 1;
            }
            let token = &rest[..end];
            target = if escaped {
                step(target, &token.replace("~1", "/").replace("~0", "~"))
            } else {
                step(target, token)
            }?;
            if end == rest.len() {
                return Some(target);
            }
            rest = &rest[end + 1..];
        }
    }
}

fn step<'v>(target: &'v Value, token: &str) -> Option<&'v Value> {
    match target {
        Value::Object(map) => map.get(token),
        Value::Array(list) => {
            // An index is digits without a leading zero (RFC 6901, as serde_json).
            if token.is_empty()
                || (token.len() > 1 && token.starts_with('0'))
                || !token.bytes().all(|b| b.is_ascii_digit())
            {
                return None;
            }
            list.get(token.parse::<usize>().ok()?)
        }
        _ => None,
    }
}

/// Labels of a pod or namespace (or a selector's `matchLabels`).
pub type Labels = BTreeMap<String, String>;

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
    fn at_agrees_with_serde_json_pointer() {
        let doc = json!({
            "a": [{"b/c": 1, "d~e": 2, "": 3}, [4, 5]],
            "m": {"kubernetes.io/name": "x", "01": 6, "1": 7},
        });
        for pointer in [
            "",
            "/",
            "/a",
            "/a/0",
            "/a/00",
            "/a/01",
            "/a/1/1",
            "/a/2",
            "/a/-",
            "/a/x",
            "/a/0/b~1c",
            "/a/0/d~0e",
            "/a/0/",
            "/a/0/b/c",
            "/m/kubernetes.io~1name",
            "/m/01",
            "/m/1",
            "/m/2",
            "a",
            "/a/0/~2",
            "/a/+1",
            "/a/ 1",
        ] {
            assert_eq!(doc.at(pointer), doc.pointer(pointer), "{pointer:?}");
        }
    }

    #[test]
    fn label_values_that_yaml_typed_are_read_as_text() {
        let labels = label_map(Some(&json!({"a": "x", "b": true, "c": 1})));
        assert_eq!(labels["b"], "true");
        assert_eq!(labels["c"], "1");
        assert_eq!(string_list(Some(&json!(["a", 1, "b"]))), ["a", "b"]);
    }
}
