//! Every YAML parse in `harden` goes through this module.
//!
//! `serde_yaml` is deprecated upstream; keeping it behind these few functions
//! means a maintained drop-in fork can replace it by editing one file.
//!
//! Two things serde alone does not give us are added here:
//! - unknown fields are *collected* (with their paths) instead of aborting the
//!   parse, so validation can report every typo at once;
//! - a [`Locations`] index maps each field path (`egress[1].cidr`) to the line
//!   and column where it was written, so every error can point at the text.

use std::collections::HashMap;
use std::fmt;

use serde::de::DeserializeOwned;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// A position in a YAML text, both 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// A document that could not be read as YAML of the expected shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub position: Option<Position>,
    pub message: String,
}

/// A parsed document together with what serde had to ignore.
#[derive(Debug)]
pub struct Parsed<T> {
    pub value: T,
    /// Paths (in [`Locations`] syntax) of fields that the type does not know.
    pub unknown_fields: Vec<String>,
    pub locations: Locations,
}

/// Parses one YAML document into `T`, collecting unknown fields.
pub fn parse_document<T: DeserializeOwned>(text: &str) -> Result<Parsed<T>, SyntaxError> {
    if text.trim().is_empty() {
        return Err(SyntaxError {
            position: None,
            message: "the document is empty".to_string(),
        });
    }
    let mut unknown_fields = Vec::new();
    let deserializer = serde_yaml::Deserializer::from_str(text);
    let value: T = serde_ignored::deserialize(deserializer, |path| {
        unknown_fields.push(path_to_string(&path));
    })
    .map_err(syntax_error)?;
    Ok(Parsed {
        value,
        unknown_fields,
        locations: Locations::index(text),
    })
}

/// Parses a YAML stream (`---`-separated documents) into generic values.
/// Empty documents are skipped.
pub fn parse_stream(text: &str) -> Result<Vec<serde_json::Value>, SyntaxError> {
    use serde::Deserialize;
    let mut documents = Vec::new();
    for document in serde_yaml::Deserializer::from_str(text) {
        let yaml = serde_yaml::Value::deserialize(document).map_err(syntax_error)?;
        if yaml.is_null() {
            continue;
        }
        let json = serde_json::to_value(yaml).map_err(|error| SyntaxError {
            position: None,
            message: error.to_string(),
        })?;
        documents.push(json);
    }
    Ok(documents)
}

fn syntax_error(error: serde_yaml::Error) -> SyntaxError {
    SyntaxError {
        position: error.location().map(|l| Position {
            line: l.line(),
            column: l.column(),
        }),
        message: clean_serde_message(&error.to_string()),
    }
}

/// serde_yaml appends " at line L column C" to its messages; we print the
/// position ourselves, in the `file:line:column` form editors understand.
fn clean_serde_message(message: &str) -> String {
    match message.find(" at line ") {
        Some(index) => message[..index].to_string(),
        None => message.to_string(),
    }
}

fn path_to_string(path: &serde_ignored::Path<'_>) -> String {
    use serde_ignored::Path;
    match path {
        Path::Root => String::new(),
        Path::Seq { parent, index } => format!("{}[{index}]", path_to_string(parent)),
        Path::Map { parent, key } => {
            let parent = path_to_string(parent);
            if parent.is_empty() {
                key.clone()
            } else {
                format!("{parent}.{key}")
            }
        }
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => path_to_string(parent),
    }
}

/// Where each field path was written in the source text.
#[derive(Debug, Default, Clone)]
pub struct Locations {
    positions: HashMap<String, Position>,
}

impl Locations {
    /// Builds the index. A text that does not parse yields an empty index:
    /// the serde parse reports the syntax error itself.
    pub fn index(text: &str) -> Locations {
        let mut builder = IndexBuilder::default();
        let mut parser = Parser::new_from_str(text);
        if parser.load(&mut builder, false).is_err() {
            return Locations::default();
        }
        Locations {
            positions: builder.positions,
        }
    }

    /// The position of `path`, or of its nearest ancestor that was written.
    pub fn find(&self, path: &str) -> Option<Position> {
        let mut current = path;
        loop {
            if let Some(position) = self.positions.get(current) {
                return Some(*position);
            }
            let cut = current.rfind(['.', '['])?;
            current = &current[..cut];
        }
    }
}

enum Frame {
    Mapping { key: Option<String> },
    Sequence { next_index: usize },
}

#[derive(Default)]
struct IndexBuilder {
    stack: Vec<(String, Frame)>,
    positions: HashMap<String, Position>,
}

impl IndexBuilder {
    /// Path of the node that the next value event starts, and records it.
    /// Mappings in a sequence are located at their first key instead (the
    /// parser marks a block mapping's start after that key).
    fn enter_value(&mut self, mark: Marker, record_item: bool) -> Option<String> {
        let (parent, frame) = self.stack.last_mut()?;
        let path = match frame {
            Frame::Mapping { key } => {
                let key = key.take()?;
                if parent.is_empty() {
                    key
                } else {
                    format!("{parent}.{key}")
                }
            }
            Frame::Sequence { next_index } => {
                let path = format!("{parent}[{next_index}]");
                *next_index += 1;
                if record_item {
                    self.positions.entry(path.clone()).or_insert(Position {
                        line: mark.line(),
                        column: mark.col() + 1,
                    });
                }
                path
            }
        };
        Some(path)
    }
}

impl MarkedEventReceiver for IndexBuilder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        // A scalar in key position of a mapping is a key, not a value.
        if let (Event::Scalar(text, ..), Some((parent, Frame::Mapping { key }))) =
            (&event, self.stack.last_mut())
            && key.is_none()
        {
            let position = Position {
                line: mark.line(),
                column: mark.col() + 1,
            };
            if parent.ends_with(']') {
                self.positions.entry(parent.clone()).or_insert(position);
            }
            let path = if parent.is_empty() {
                text.clone()
            } else {
                format!("{parent}.{text}")
            };
            self.positions.entry(path).or_insert(position);
            *key = Some(text.clone());
            return;
        }
        match event {
            Event::MappingStart(..) => {
                let path = if self.stack.is_empty() {
                    Some(String::new())
                } else {
                    self.enter_value(mark, false)
                };
                let path = path.unwrap_or_else(|| "\u{0}complex-key".to_string());
                self.stack.push((path, Frame::Mapping { key: None }));
            }
            Event::SequenceStart(..) => {
                let path = if self.stack.is_empty() {
                    Some(String::new())
                } else {
                    self.enter_value(mark, true)
                };
                let path = path.unwrap_or_else(|| "\u{0}complex-key".to_string());
                self.stack.push((path, Frame::Sequence { next_index: 0 }));
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            Event::Scalar(..) | Event::Alias(..) => {
                self.enter_value(mark, true);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_point_at_keys_and_items() {
        let text = "app:\n  name: x\negress:\n  - name: a\n    cidr: 10.0.0.0/8\n  - name: b\n";
        let locations = Locations::index(text);
        assert_eq!(
            locations.find("app.name"),
            Some(Position { line: 2, column: 3 })
        );
        assert_eq!(
            locations.find("egress[0].cidr"),
            Some(Position { line: 5, column: 5 })
        );
        assert_eq!(
            locations.find("egress[1]"),
            Some(Position { line: 6, column: 5 })
        );
        // A path that was not written falls back to its nearest written ancestor.
        assert_eq!(
            locations.find("egress[1].ports[0].port"),
            Some(Position { line: 6, column: 5 })
        );
        assert_eq!(locations.find("dapr.enabled"), None);
    }

    #[test]
    fn unknown_fields_are_collected_not_fatal() {
        #[derive(serde::Deserialize)]
        struct Doc {
            #[allow(dead_code)]
            a: Option<u32>,
        }
        let parsed = parse_document::<Doc>("a: 1\nb: 2\nc:\n  d: 3\n").unwrap();
        assert_eq!(parsed.unknown_fields, vec!["b", "c"]);
    }

    #[test]
    fn type_errors_carry_a_position() {
        #[derive(Debug, serde::Deserialize)]
        struct Doc {
            #[allow(dead_code)]
            a: Option<u32>,
        }
        let error = parse_document::<Doc>("\na: [1]\n").unwrap_err();
        assert_eq!(error.position.map(|p| p.line), Some(2));
    }
}
