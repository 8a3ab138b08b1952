//! The field comparison of `check --live`: does a live object hold every
//! field harden rendered, with the same value? A subset comparison: fields
//! the API server adds (defaults such as `terminationMessagePath`,
//! `imagePullPolicy`, `dnsPolicy`, `restartPolicy`, `schedulerName`,
//! `revisionHistoryLimit`, `progressDeadlineSeconds`, a Deployment's
//! `strategy`, `protocol: TCP`; `metadata.uid`, `resourceVersion`,
//! `creationTimestamp`, `generation`, `managedFields`, annotations such as
//! `kubectl.kubernetes.io/last-applied-configuration`; `status`) are not
//! compared, since harden does not render them.
//!
//! Where the server stores a rendered value in another form, the two are
//! equal ([`NORMALISATIONS`], the documented list):
//! - a resource quantity is stored canonically (`0.5` as `500m`, `1024Mi`
//!   as `1Gi`): quantities are compared by value;
//! - an empty list or map, or `null`, is dropped (Go's `omitempty`): a
//!   rendered `ingress: []` equals a live object without `ingress`;
//! - a number is compared by value (`8000` and `8000.0`);
//! - `apiVersion` is compared by group (the server serves an object in the
//!   version asked for; the key of an object already holds its group).
//!
//! A list must have the same items: a named list (containers, volumes,
//! ports, env) is matched by `name`, any other item by position; an item
//! the live list adds is drift (a container, a rule, a verb).
//!
//! The values of a Secret's `data` and `stringData` are never shown.

use serde::Serialize;
use serde_json::Value;

/// Where the server changes the form of a rendered value; see the module
/// documentation. Shown by `--help`'s documentation (docs/book/commands.md).
pub const NORMALISATIONS: &[&str] = &[
    "resource quantities compared by value (0.5 = 500m, 1024Mi = 1Gi)",
    "an empty list or map, or null, equals an absent field",
    "numbers compared by value",
    "apiVersion compared by API group",
];

/// One field of a rendered object that the live object does not hold as
/// rendered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldDrift {
    /// The field path, e.g. `spec.template.spec.containers[0].image`.
    pub path: String,
    /// The rendered value, as shown (`(absent)` for an item the live list adds).
    pub rendered: String,
    /// The live value, as shown (`(absent)` when the live object lacks it).
    pub live: String,
}

/// Shown in place of an absent value.
pub const ABSENT: &str = "(absent)";
/// Shown in place of a Secret's value.
pub const HIDDEN: &str = "(value not shown)";
/// The longest value shown, in characters.
const SHOWN_CHARS: usize = 120;

/// The fields of `rendered` that `live` does not hold as rendered, in the
/// order of the rendered object.
pub fn differences(rendered: &Value, live: &Value) -> Vec<FieldDrift> {
    let secret = rendered.get("kind").and_then(Value::as_str) == Some("Secret");
    let mut walk = Walk {
        secret,
        found: Vec::new(),
    };
    if let (Some(rendered), Some(live)) = (rendered.as_object(), live.as_object()) {
        for (key, value) in rendered {
            if matches!(key.as_str(), "apiVersion" | "status") {
                continue;
            }
            walk.field(&segment("", key), &[key.as_str()], value, live.get(key));
        }
    }
    walk.found
}

struct Walk {
    secret: bool,
    found: Vec<FieldDrift>,
}

impl Walk {
    /// Whether a value at `keys` (the object keys from the top) is a
    /// Secret's value.
    fn hidden(&self, keys: &[&str]) -> bool {
        self.secret && matches!(keys.first(), Some(&"data" | &"stringData"))
    }

    fn push(&mut self, path: &str, keys: &[&str], rendered: Option<&Value>, live: Option<&Value>) {
        let show = |value: Option<&Value>| match value {
            None => ABSENT.to_string(),
            Some(_) if self.hidden(keys) => HIDDEN.to_string(),
            Some(value) => shown(value),
        };
        self.found.push(FieldDrift {
            path: path.to_string(),
            rendered: show(rendered),
            live: show(live),
        });
    }

    fn field(&mut self, path: &str, keys: &[&str], rendered: &Value, live: Option<&Value>) {
        let Some(live) = live.filter(|v| !v.is_null()) else {
            if !is_empty(rendered) {
                self.push(path, keys, Some(rendered), None);
            }
            return;
        };
        match (rendered, live) {
            (Value::Object(rendered), Value::Object(live)) => {
                for (key, value) in rendered {
                    let mut inner = keys.to_vec();
                    inner.push(key);
                    self.field(&segment(path, key), &inner, value, live.get(key));
                }
            }
            (Value::Array(rendered), Value::Array(live)) => self.list(path, keys, rendered, live),
            (rendered, live) if same_scalar(keys, rendered, live) => {}
            _ => self.push(path, keys, Some(rendered), Some(live)),
        }
    }

    fn list(&mut self, path: &str, keys: &[&str], rendered: &[Value], live: &[Value]) {
        if let (Some(rendered_names), Some(live_names)) = (names(rendered), names(live)) {
            for (index, (name, item)) in rendered_names.iter().zip(rendered).enumerate() {
                let at = format!("{path}[{index}]");
                let found = live_names.iter().position(|n| n == name).map(|i| &live[i]);
                match found {
                    Some(live) => self.field(&at, keys, item, Some(live)),
                    None => self.push(&at, keys, Some(item), None),
                }
            }
            for (index, name) in live_names.iter().enumerate() {
                if !rendered_names.contains(name) {
                    let at = format!("{path}[name={}]", crate::quote::printable(name));
                    self.push(&at, keys, None, Some(&live[index]));
                }
            }
            return;
        }
        for index in 0..rendered.len().max(live.len()) {
            let at = format!("{path}[{index}]");
            match (rendered.get(index), live.get(index)) {
                (Some(item), live) => self.field(&at, keys, item, live),
                (None, Some(live)) => self.push(&at, keys, None, Some(live)),
                (None, None) => {}
            }
        }
    }
}

/// The `name` of every item, when every item is a mapping with a distinct
/// string `name` (containers, volumes, ports, env variables).
fn names(items: &[Value]) -> Option<Vec<&str>> {
    let names: Vec<&str> = items
        .iter()
        .map(|item| item.get("name").and_then(Value::as_str))
        .collect::<Option<_>>()?;
    let mut unique = names.clone();
    unique.sort_unstable();
    unique.dedup();
    (unique.len() == names.len()).then_some(names)
}

/// `path.key`, or `path["key"]` for a key that is not a plain word
/// (annotations and labels such as `dapr.io/enabled`).
fn segment(path: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    match (path.is_empty(), plain) {
        (true, true) => key.to_string(),
        (false, true) => format!("{path}.{key}"),
        (_, false) => format!(
            "{path}[{}]",
            serde_json::to_string(&crate::quote::printable(key)).unwrap_or_default()
        ),
    }
}

/// Null, an empty list or an empty map: what `omitempty` drops.
fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty(),
        _ => false,
    }
}

/// Map keys that hold resource quantities: a container's and a pod's
/// `resources.requests` and `limits`, `overhead`, a ResourceQuota's `hard`,
/// a LimitRange's bounds; and an `emptyDir`'s `sizeLimit`.
const QUANTITY_PARENTS: &[&str] = &[
    "requests",
    "limits",
    "overhead",
    "hard",
    "default",
    "defaultRequest",
    "max",
    "min",
];

fn same_scalar(keys: &[&str], rendered: &Value, live: &Value) -> bool {
    if rendered == live {
        return true;
    }
    if let (Value::Number(a), Value::Number(b)) = (rendered, live) {
        return a.as_f64() == b.as_f64();
    }
    let is_quantity = match keys {
        [.., parent, _] if QUANTITY_PARENTS.contains(parent) => true,
        [.., "sizeLimit"] => true,
        _ => false,
    };
    let text = |value: &Value| match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    is_quantity
        && matches!(
            (text(rendered).as_deref().and_then(quantity), text(live).as_deref().and_then(quantity)),
            (Some(a), Some(b)) if a == b
        )
}

/// A Kubernetes resource quantity in nano-units, exactly: a signed decimal
/// number, then a binary suffix `Ki`..`Ei`, a decimal suffix `m`, `k`,
/// `M`..`E`, or an exponent `e3` (the grammar of kubernetes/website
/// content/en/docs/reference/kubernetes-api/common-definitions/quantity.md;
/// the server stores `1.5` as `1500m`, content/en/docs/reference/glossary/quantity.md).
/// `n` and `u` are read too: apimachinery's parser accepts them (not
/// verified against its source here). `None` for any other text, or a value
/// too large to hold (such values are then compared as text).
pub fn quantity(text: &str) -> Option<i128> {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let end = rest
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(rest.len());
    let (number, suffix) = rest.split_at(end);
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if (whole.is_empty() && fraction.is_empty())
        || whole.len() > 20
        || fraction.len() > 9
        || fraction.contains('.')
    {
        return None;
    }
    let digits = |s: &str| -> Option<i128> {
        if s.is_empty() {
            Some(0)
        } else {
            s.parse().ok()
        }
    };
    let scale = 10i128.pow(9 - fraction.len() as u32);
    let nano = digits(whole)?.checked_mul(1_000_000_000)? + digits(fraction)? * scale;
    let binary = |power: u32| nano.checked_mul(1i128 << power);
    let decimal = |power: i32| -> Option<i128> {
        if power >= 0 {
            nano.checked_mul(10i128.checked_pow(power as u32)?)
        } else {
            let divisor = 10i128.checked_pow(power.unsigned_abs())?;
            (nano % divisor == 0).then(|| nano / divisor)
        }
    };
    let value = match suffix {
        "" => Some(nano),
        "Ki" => binary(10),
        "Mi" => binary(20),
        "Gi" => binary(30),
        "Ti" => binary(40),
        "Pi" => binary(50),
        "Ei" => binary(60),
        "n" => decimal(-9),
        "u" => decimal(-6),
        "m" => decimal(-3),
        "k" => decimal(3),
        "M" => decimal(6),
        "G" => decimal(9),
        "T" => decimal(12),
        "P" => decimal(15),
        "E" => decimal(18),
        exponent => {
            let power: i32 = exponent
                .strip_prefix(['e', 'E'])?
                .parse()
                .ok()
                .filter(|p: &i32| (-9..=18).contains(p))?;
            decimal(power)
        }
    }?;
    Some(if negative { -value } else { value })
}

/// A value as shown in a report: JSON, made printable, cut at
/// [`SHOWN_CHARS`] characters.
pub fn shown(value: &Value) -> String {
    let text = crate::quote::printable(&value.to_string());
    let count = text.chars().count();
    if count <= SHOWN_CHARS {
        return text;
    }
    let cut: String = text.chars().take(SHOWN_CHARS).collect();
    format!("{cut}... ({count} characters)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quantities_are_compared_by_value() {
        assert_eq!(quantity("500m"), quantity("0.5"));
        assert_eq!(quantity("1Gi"), quantity("1024Mi"));
        assert_eq!(quantity("1k"), quantity("1e3"));
        assert_eq!(quantity("2"), Some(2_000_000_000));
        assert_ne!(quantity("1G"), quantity("1Gi"));
        for bad in [
            "",
            "m",
            "1.2.3",
            "abc",
            "1Xi",
            "1e99",
            "99999999999999999999999",
        ] {
            assert_eq!(quantity(bad), None, "{bad}");
        }
    }

    #[test]
    fn server_defaults_and_normalisations_are_not_drift() {
        let rendered = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "a", "annotations": {"x": ""}},
            "spec": {"template": {"spec": {
                "containers": [{"name": "c", "resources": {"limits": {"cpu": "0.5", "memory": "1024Mi"}}, "ports": []}],
                "volumes": [{"name": "tmp", "emptyDir": {}}]
            }}, "rules": []}
        });
        let live = json!({
            "apiVersion": "apps/v2", "kind": "Deployment",
            "metadata": {"name": "a", "uid": "u", "annotations": {"x": "", "y": "z"}},
            "spec": {"template": {"spec": {
                "dnsPolicy": "ClusterFirst",
                "containers": [{"name": "c", "imagePullPolicy": "IfNotPresent",
                    "resources": {"limits": {"cpu": "500m", "memory": "1Gi"}, "requests": {"cpu": "500m"}}}],
                "volumes": [{"name": "tmp", "emptyDir": {}}]
            }}},
            "status": {"replicas": 1}
        });
        assert_eq!(differences(&rendered, &live), []);
    }

    #[test]
    fn changed_missing_and_added_fields_are_drift() {
        let rendered = json!({
            "kind": "Deployment",
            "metadata": {"annotations": {"dapr.io/enabled": "true"}},
            "spec": {"containers": [{"name": "c", "image": "a"}], "verbs": ["get"], "n": 1}
        });
        let live = json!({
            "kind": "Deployment",
            "metadata": {"annotations": {}},
            "spec": {"containers": [{"name": "c", "image": "b"}, {"name": "x"}], "verbs": ["get", "list"], "n": "1"}
        });
        let found: Vec<String> = differences(&rendered, &live)
            .iter()
            .map(|d| format!("{}: {} -> {}", d.path, d.rendered, d.live))
            .collect();
        assert_eq!(
            found,
            [
                "metadata.annotations[\"dapr.io/enabled\"]: \"true\" -> (absent)",
                "spec.containers[0].image: \"a\" -> \"b\"",
                "spec.containers[name=x]: (absent) -> {\"name\":\"x\"}",
                "spec.n: 1 -> \"1\"",
                "spec.verbs[1]: (absent) -> \"list\"",
            ]
        );
    }

    #[test]
    fn secret_values_are_never_shown() {
        let rendered =
            json!({"kind": "Secret", "data": {"k": "c2VjcmV0"}, "stringData": {"s": "hunter2"}});
        let live = json!({"kind": "Secret", "data": {"k": "b3RoZXI="}});
        let found = differences(&rendered, &live);
        assert_eq!(found.len(), 2);
        let text = format!("{found:?}");
        for value in ["c2VjcmV0", "hunter2", "b3RoZXI="] {
            assert!(!text.contains(value), "{text}");
        }
    }

    #[test]
    fn long_and_control_characters_are_cut_and_escaped() {
        let long = shown(&json!("x".repeat(1000)));
        assert!(long.ends_with("... (1002 characters)"), "{long}");
        assert!(!shown(&json!("a\u{1b}[31m")).contains('\u{1b}'));
    }
}
