//! Writes YAML for people to review: any `Serialize` value, its mapping keys
//! in the order the type declares its fields (serde writes a struct's
//! fields in order; the text is read back with [`super::tree`], which keeps
//! it), sections in block style, short lists and mappings of plain values
//! in flow style (`[a, b]`, `{cpu: 100m}`), a comment above any key the
//! caller explains, and a scalar quoted only where YAML would misread it.
//!
//! This is the one YAML writer for values harden does not template (the
//! spec that `harden init` writes); what a field means, and which fields are
//! left out, is the caller's (see [`crate::wizard::spec_writer`]).

use serde::Serialize;

use super::resolve::Value as Resolved;
use super::tree::{Kind, Node, Reader};
use super::{Mode, SPEC_LIMITS};

/// A value in the order its type declares it.
#[derive(Debug, Clone, PartialEq)]
pub enum Ordered {
    Null,
    Bool(bool),
    /// A number, as serde wrote it.
    Number(String),
    Text(String),
    List(Vec<Ordered>),
    Map(Vec<(String, Ordered)>),
}

impl Ordered {
    /// `value` as serde serialises it, keys in declaration order.
    pub fn of(value: &impl Serialize) -> Result<Ordered, String> {
        let json = serde_json::to_string(value).map_err(|e| e.to_string())?;
        let mut reader = Reader::new(&json, Mode::Spec, SPEC_LIMITS);
        match reader.next_document() {
            Some(Ok(document)) => Ok(Ordered::from_node(document.root)),
            Some(Err(error)) => Err(error.message),
            None => Ok(Ordered::Null),
        }
    }

    fn from_node(node: Node) -> Ordered {
        match node.kind {
            Kind::Scalar(scalar) => match scalar.value {
                Resolved::Null => Ordered::Null,
                Resolved::Bool(b) => Ordered::Bool(b),
                Resolved::Int(_) | Resolved::UInt(_) | Resolved::Float(_) => {
                    Ordered::Number(scalar.text)
                }
                Resolved::Str => Ordered::Text(scalar.text),
            },
            Kind::Sequence(items) => {
                Ordered::List(items.into_iter().map(Ordered::from_node).collect())
            }
            Kind::Mapping(entries) => Ordered::Map(
                entries
                    .into_iter()
                    .map(|e| (e.key, Ordered::from_node(e.value)))
                    .collect(),
            ),
        }
    }

    /// The value as JSON (to compare it with a schema's `default`).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Ordered::Null => Value::Null,
            Ordered::Bool(b) => Value::Bool(*b),
            Ordered::Number(n) => serde_json::from_str(n).unwrap_or(Value::Null),
            Ordered::Text(t) => Value::String(t.clone()),
            Ordered::List(items) => Value::Array(items.iter().map(Ordered::to_json).collect()),
            Ordered::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }

    fn is_scalar(&self) -> bool {
        !matches!(self, Ordered::List(_) | Ordered::Map(_))
    }

    /// The value on one line, if it is a scalar or a collection of scalars.
    fn flow(&self) -> Option<String> {
        match self {
            Ordered::Null => Some("null".into()),
            Ordered::Bool(b) => Some(b.to_string()),
            Ordered::Number(n) => Some(n.clone()),
            Ordered::Text(t) => Some(scalar(t)),
            Ordered::List(items) if items.iter().all(Ordered::is_scalar) => Some(format!(
                "[{}]",
                items
                    .iter()
                    .filter_map(Ordered::flow)
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            Ordered::Map(entries) if entries.iter().all(|(_, v)| v.is_scalar()) => Some(format!(
                "{{{}}}",
                entries
                    .iter()
                    .map(|(k, v)| format!("{}: {}", scalar(k), v.flow().unwrap_or_default()))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            _ => None,
        }
    }
}

/// A YAML scalar for `text`: plain when YAML (1.1 or 1.2) reads it back as
/// the same string, double-quoted (JSON escaping) otherwise.
pub fn scalar(text: &str) -> String {
    let plain_chars =
        |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '/' | '-' | '_' | '@' | ':' | '+');
    let ambiguous = matches!(
        text.to_ascii_lowercase().as_str(),
        "" | "~" | "null" | "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n"
    ) || text.parse::<f64>().is_ok()
        || text.starts_with(|c: char| !c.is_ascii_alphanumeric() && c != '/')
        || text.ends_with(':')
        || text.contains(": ")
        || text.contains("0x")
        || text.chars().next().is_some_and(|c| c.is_ascii_digit()) && text.contains(':');
    if !ambiguous && text.chars().all(plain_chars) {
        text.to_string()
    } else {
        serde_json::to_string(text).unwrap_or_default()
    }
}

/// Widest line a collection is written on in flow style.
const FLOW_WIDTH: usize = 80;

/// Writes `value` (a mapping) as block YAML. `comment` is asked for each
/// key's path (`app.name`, `egress[0].hosts`) and may return lines to write
/// above it; a top-level key that holds a collection is set apart by an
/// empty line.
pub fn write(value: &Ordered, comment: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    if let Ordered::Map(entries) = value {
        for (key, value) in entries {
            if !value.is_scalar() {
                out.push('\n');
            }
            entry(&mut out, 0, key, key, value, comment, false);
        }
    }
    out
}

/// One `key: value` at `indent`; `dash` writes it as the first key of a
/// list item (`- key: value`, the dash in the two columns before `indent`).
fn entry(
    out: &mut String,
    indent: usize,
    path: &str,
    key: &str,
    value: &Ordered,
    comment: &dyn Fn(&str) -> Option<String>,
    dash: bool,
) {
    let pad = " ".repeat(indent);
    let lead = if dash {
        format!("{}- ", " ".repeat(indent - 2))
    } else {
        pad.clone()
    };
    if let Some(text) = comment(path) {
        for line in text.lines() {
            // A comment above a list item's first key sits above the dash.
            let at = if dash { &lead[..indent - 2] } else { &pad };
            out.push_str(&format!("{at}# {line}\n"));
        }
    }
    let key = scalar(key);
    match value.flow() {
        Some(flow)
            if value.is_scalar()
                || (indent > 0 && indent + key.len() + 2 + flow.len() <= FLOW_WIDTH)
                || matches!(value, Ordered::List(l) if l.is_empty())
                || matches!(value, Ordered::Map(m) if m.is_empty()) =>
        {
            out.push_str(&format!("{lead}{key}: {flow}\n"));
        }
        _ => {
            out.push_str(&format!("{lead}{key}:\n"));
            block(out, indent + 2, path, value, comment);
        }
    }
}

/// A collection's items, one per line, at `indent`.
fn block(
    out: &mut String,
    indent: usize,
    path: &str,
    value: &Ordered,
    comment: &dyn Fn(&str) -> Option<String>,
) {
    match value {
        Ordered::Map(entries) => {
            for (key, value) in entries {
                let child = format!("{path}.{key}");
                entry(out, indent, &child, key, value, comment, false);
            }
        }
        Ordered::List(items) => {
            for (index, item) in items.iter().enumerate() {
                let child = format!("{path}[{index}]");
                match item {
                    Ordered::Map(entries) if !entries.is_empty() => {
                        for (n, (key, value)) in entries.iter().enumerate() {
                            let path = format!("{child}.{key}");
                            entry(out, indent + 2, &path, key, value, comment, n == 0);
                        }
                    }
                    other => match other.flow() {
                        Some(flow) => out.push_str(&format!("{}- {flow}\n", " ".repeat(indent))),
                        None => {
                            out.push_str(&format!("{}-\n", " ".repeat(indent)));
                            block(out, indent + 2, &child, other, comment);
                        }
                    },
                }
            }
        }
        scalar => {
            let flow = scalar.flow().unwrap_or_default();
            out.push_str(&format!("{}{flow}\n", " ".repeat(indent)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_are_quoted_only_when_needed() {
        assert_eq!(scalar("task-api"), "task-api");
        assert_eq!(scalar("ghcr.io/a/b@sha256:00ff"), "ghcr.io/a/b@sha256:00ff");
        assert_eq!(scalar("true"), "\"true\"");
        assert_eq!(scalar("8080"), "\"8080\"");
        assert_eq!(scalar("redis:6379"), "redis:6379");
        assert_eq!(scalar("a: b"), "\"a: b\"");
        assert_eq!(scalar("*"), "\"*\"");
        assert_eq!(scalar(""), "\"\"");
        assert_eq!(scalar("10.0.0.0/8"), "10.0.0.0/8");
        assert_eq!(scalar("0.5"), "\"0.5\"");
    }

    #[derive(Serialize)]
    struct Item {
        zeta: u32,
        alpha: Vec<String>,
    }

    #[derive(Serialize)]
    struct Doc {
        name: String,
        items: Vec<Item>,
        labels: std::collections::BTreeMap<String, String>,
        empty: Vec<String>,
    }

    #[test]
    fn keys_keep_the_declared_order_and_collections_their_style() {
        let doc = Doc {
            name: "true".into(),
            items: vec![Item {
                zeta: 1,
                alpha: vec!["*.a.io".into(), "b".into()],
            }],
            labels: [("app".to_string(), "x".to_string())].into(),
            empty: vec![],
        };
        let ordered = Ordered::of(&doc).unwrap();
        let text = write(&ordered, &|path| {
            (path == "items[0].zeta").then(|| "the first".to_string())
        });
        assert_eq!(
            text,
            "name: \"true\"\n\nitems:\n  # the first\n  - zeta: 1\n    alpha: [\"*.a.io\", b]\n\nlabels:\n  app: x\n\nempty: []\n"
        );
    }
}
