//! Checks a spec's node tree against its JSON Schema (derived with schemars)
//! before deserializing, so that every value of the wrong type is reported
//! at once, in plain words, and left out so the rest can still be validated.
//!
//! Only types are checked here (`$ref`/`$defs`, `anyOf`, `type`, `items`,
//! `properties`, `additionalProperties`, and integer `format` bounds); ranges,
//! patterns and enums are `validate`'s, which explains them better.

use serde_json::Value as Json;

use crate::text::Push as _;

use super::resolve::Value;
use super::tree::{Kind, Node};

/// A value whose type does not fit the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeError {
    /// Field path, e.g. `workload.port`.
    pub path: String,
    /// What was expected and what was found.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

/// Sequence items that were left out: (path of the sequence, original index).
#[derive(Debug, Default, Clone)]
pub struct Removed(Vec<(String, usize)>);

impl Removed {
    /// Maps a path of the checked tree back to the path in the text.
    pub fn source_path(&self, path: &str) -> String {
        if self.0.is_empty() {
            return path.to_string();
        }
        let mut result = String::new();
        let mut rest = path;
        while let Some(open) = rest.find('[') {
            let Some(close) = rest[open..].find(']').map(|c| open + c) else {
                break;
            };
            result.push_str(&rest[..open]);
            let sequence = result.clone();
            let mut index: usize = rest[open + 1..close].parse().unwrap_or(0);
            // Removed indices are recorded in ascending order per sequence.
            for (removed_in, removed) in &self.0 {
                if *removed_in == sequence && *removed <= index {
                    index += 1;
                }
            }
            result.push_str(&format!("[{index}]"));
            rest = &rest[close + 1..];
        }
        result.push_str(rest);
        result
    }
}

/// Checks `node` against `root` (a schemars root schema), removing values of
/// the wrong type; returns the problems and the removed sequence items.
pub fn check(node: &mut Node, root: &Json) -> (Vec<TypeError>, Removed) {
    let mut checker = Checker {
        root,
        errors: Vec::new(),
        removed: Removed::default(),
    };
    if !checker.check(node, root, &mut String::new(), false) {
        // The whole document is of the wrong type: keep nothing.
        *node = Node {
            position: node.position,
            kind: Kind::Mapping(Vec::new()),
        };
    }
    (checker.errors, checker.removed)
}

struct Checker<'a> {
    root: &'a Json,
    errors: Vec<TypeError>,
    removed: Removed,
}

impl<'a> Checker<'a> {
    /// Follows `$ref` and picks the branch of an `anyOf` that fits.
    fn resolve(&self, schema: &'a Json, node: &Node) -> &'a Json {
        let mut schema = schema;
        for _ in 0..16 {
            if let Some(reference) = schema.get("$ref").and_then(Json::as_str) {
                let Some(target) = reference
                    .strip_prefix('#')
                    .and_then(|pointer| self.root.pointer(pointer))
                else {
                    return schema;
                };
                schema = target;
                continue;
            }
            if let Some(branches) = schema
                .get("anyOf")
                .or_else(|| schema.get("oneOf"))
                .and_then(Json::as_array)
            {
                let is_null_branch =
                    |b: &&Json| b.get("type").and_then(Json::as_str) == Some("null");
                if is_null(node) && branches.iter().any(|b| is_null_branch(&b)) {
                    return &Json::Null;
                }
                match branches.iter().find(|b| !is_null_branch(b)) {
                    Some(branch) => {
                        schema = branch;
                        continue;
                    }
                    None => return schema,
                }
            }
            break;
        }
        schema
    }

    /// Checks one node; `false` when it is of the wrong type (and must go).
    /// `optional` is set for struct fields, where null means "not set".
    /// `path` is one buffer for the whole walk: extended for each child and
    /// cut back after it, so a spec of the right types allocates no paths.
    fn check(
        &mut self,
        node: &mut Node,
        schema: &'a Json,
        path: &mut String,
        optional: bool,
    ) -> bool {
        let schema = self.resolve(schema, node);
        let mut buffer = [""; 8];
        let count = match schema.get("type") {
            Some(Json::String(t)) => {
                buffer[0] = t.as_str();
                1
            }
            Some(Json::Array(ts)) => {
                let mut count = 0;
                for t in ts.iter().filter_map(Json::as_str).take(buffer.len()) {
                    buffer[count] = t;
                    count += 1;
                }
                count
            }
            // No type (or the null branch of an `anyOf`): anything goes.
            _ => return true,
        };
        let types = &buffer[..count];
        let fits = match &mut node.kind {
            Kind::Scalar(scalar) => match scalar.value {
                Value::Null => optional || types.contains(&"null"),
                _ if types.contains(&"string") => {
                    // A number or boolean in a text field reads as written.
                    scalar.value = Value::Str;
                    true
                }
                Value::Str => false,
                Value::Bool(_) => types.contains(&"boolean"),
                Value::Int(i) => {
                    types.contains(&"number")
                        || (types.contains(&"integer") && in_format(schema, i128::from(i)))
                }
                Value::UInt(u) => {
                    types.contains(&"number")
                        || (types.contains(&"integer") && in_format(schema, i128::from(u)))
                }
                Value::Float(_) => types.contains(&"number"),
            },
            Kind::Sequence(items) => {
                if types.contains(&"array") {
                    let items_schema = schema.get("items").unwrap_or(&Json::Null);
                    let mut original = 0;
                    let len = path.len();
                    items.retain_mut(|item| {
                        path.push_fmt(format_args!("[{original}]"));
                        let keep = self.check(item, items_schema, path, false);
                        path.truncate(len);
                        if !keep {
                            self.removed.0.push((path.clone(), original));
                        }
                        original += 1;
                        keep
                    });
                    true
                } else {
                    false
                }
            }
            Kind::Mapping(entries) => {
                if types.contains(&"object") {
                    let properties = schema.get("properties");
                    let additional = schema.get("additionalProperties").filter(|a| a.is_object());
                    let len = path.len();
                    entries.retain_mut(|entry| {
                        if len > 0 {
                            path.push('.');
                        }
                        path.push_str(&entry.key);
                        let keep =
                            if let Some(property) = properties.and_then(|p| p.get(&entry.key)) {
                                self.check(&mut entry.value, property, path, true)
                            } else if let Some(additional) = additional {
                                self.check(&mut entry.value, additional, path, false)
                            } else {
                                // Unknown fields are collected when deserializing.
                                true
                            };
                        path.truncate(len);
                        keep
                    });
                    true
                } else {
                    false
                }
            }
        };
        if !fits {
            let (message, help) = mismatch(node, schema, types);
            self.errors.push(TypeError {
                path: path.clone(),
                message,
                help,
            });
        }
        fits
    }
}

fn is_null(node: &Node) -> bool {
    matches!(&node.kind, Kind::Scalar(s) if s.value == Value::Null)
}

/// Whether an integer fits the schema's `format` (`uint32`, `uint64`, ...),
/// i.e. the Rust type it is read into; ranges are checked by `validate`.
fn in_format(schema: &Json, value: i128) -> bool {
    let (min, max) = format_range(schema);
    (min..=max).contains(&value)
}

/// The values the schema's integer `format` can hold.
fn format_range(schema: &Json) -> (i128, i128) {
    match schema.get("format").and_then(Json::as_str) {
        Some("uint8") => (0, i128::from(u8::MAX)),
        Some("uint16") => (0, i128::from(u16::MAX)),
        Some("uint32") => (0, i128::from(u32::MAX)),
        Some("uint64" | "uint") => (0, i128::from(u64::MAX)),
        Some("int32") => (i128::from(i32::MIN), i128::from(i32::MAX)),
        _ => (i128::from(i64::MIN), i128::from(i64::MAX)),
    }
}

/// What was expected, in plain words.
fn expected(schema: &Json, types: &[&str]) -> String {
    let kinds: Vec<String> = types
        .iter()
        .filter(|t| **t != "null")
        .map(|t| match *t {
            "integer" => "a whole number".to_string(),
            "number" => "a number".to_string(),
            "string" => "text".to_string(),
            "boolean" => "true or false".to_string(),
            "array" => "a list".to_string(),
            "object" => match schema.get("additionalProperties") {
                Some(a) if a.get("type").and_then(Json::as_str) == Some("string") => {
                    "a mapping of names to text".to_string()
                }
                Some(a) if a.is_object() => "a mapping of names to settings".to_string(),
                _ => "a mapping of fields".to_string(),
            },
            other => other.to_string(),
        })
        .collect();
    kinds.join(" or ")
}

/// The message and help for `node` not fitting.
fn mismatch(node: &Node, schema: &Json, types: &[&str]) -> (String, String) {
    let expected = expected(schema, types);
    let (found, help) = match &node.kind {
        Kind::Scalar(scalar) => match scalar.value {
            Value::Null => (
                "nothing".to_string(),
                format!("write {expected} after the colon, or remove the line"),
            ),
            Value::Str => {
                let unquoted = super::resolve::scalar(
                    super::Mode::Spec,
                    scalar.text.clone(),
                    yaml_rust2::scanner::TScalarStyle::Plain,
                    None,
                )
                .map(|s| s.value)
                .unwrap_or(Value::Str);
                let quoted_number = !matches!(unquoted, Value::Str | Value::Null);
                let help = if quoted_number {
                    format!("remove the quotes: {}", scalar.text)
                } else if types.contains(&"boolean") {
                    "write true or false (YAML 1.2: yes/no/on/off are text)".to_string()
                } else {
                    format!("write {expected} here")
                };
                (format!("the text \"{}\"", scalar.text), help)
            }
            Value::Int(_) | Value::UInt(_) => {
                let help = if types.contains(&"integer") {
                    let (min, max) = format_range(schema);
                    format!("write a whole number from {min} to {max}")
                } else {
                    format!("write {expected} here")
                };
                (format!("the number {}", scalar.text), help)
            }
            Value::Float(_) => (
                format!("the number {}", scalar.text),
                format!("write {expected} here"),
            ),
            Value::Bool(_) => (scalar.text.clone(), format!("write {expected} here")),
        },
        Kind::Sequence(_) => ("a list".to_string(), format!("write {expected} here")),
        Kind::Mapping(_) => ("a mapping".to_string(), format!("write {expected} here")),
    };
    (format!("expected {expected}, found {found}"), help)
}
