//! The positioned node tree: yaml-rust2's event parser, pulled one event at a
//! time (its recursive `load` is never used, so nesting cannot overflow the
//! stack), turned into [`Node`]s that remember where they were written.
//!
//! Everything that makes a hostile document expensive is bounded here:
//! nesting depth, alias expansion and (with [`crate::yaml::text`]) flow
//! bracket depth before the parser sees the text.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, ScanError, TScalarStyle};

use super::resolve::{self, Scalar};
use super::{Mode, Position, SyntaxError};

/// One YAML node and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub position: Position,
    pub kind: Kind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Scalar(Scalar),
    Sequence(Vec<Node>),
    Mapping(Vec<Entry>),
}

/// A mapping entry; keys are text (Kubernetes converts other keys to text).
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_position: Position,
    pub value: Node,
}

impl Node {
    /// Number of nodes in this subtree (the cost of copying it for an alias).
    fn size(&self) -> usize {
        match &self.kind {
            Kind::Scalar(_) => 1,
            Kind::Sequence(items) => 1 + items.iter().map(Node::size).sum::<usize>(),
            Kind::Mapping(entries) => 1 + entries.iter().map(|e| e.value.size()).sum::<usize>(),
        }
    }
}

/// Limits that keep hostile documents cheap.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Deepest nesting of mappings and sequences.
    pub depth: usize,
    /// Most nodes that aliases may copy in one document.
    pub alias_nodes: usize,
}

/// One document read from a stream.
pub struct Document {
    pub root: Node,
    /// Line of the document's first content.
    pub start_line: usize,
    /// Line of its explicit `---`, if it had one.
    pub marker_line: Option<usize>,
}

/// Pulls documents one at a time out of a YAML stream.
pub struct Reader<'a> {
    parser: Parser<std::str::Chars<'a>>,
    mode: Mode,
    limits: Limits,
    text: &'a str,
    done: bool,
    /// A (char index, byte index) pair near the last mark: yaml-rust2
    /// counts characters, and marks only move a little backwards.
    cursor: (usize, usize),
    /// Whether the text is ASCII: then a mark's character index is its
    /// byte offset, with no walk.
    ascii: bool,
}

enum Frame {
    Sequence {
        position: Position,
        anchor: usize,
        items: Vec<Node>,
        flow: bool,
    },
    Mapping {
        position: Option<Position>,
        anchor: usize,
        entries: Vec<Entry>,
        /// Index of each explicit key in `entries`, built once the mapping
        /// has [`INDEXED_FROM`] entries (a short one is searched in order).
        seen: Option<HashMap<String, usize>>,
        /// A key waiting for its value; `None` while the key is being read.
        key: Option<PendingKey>,
        /// Values of `<<` keys, merged when the mapping ends.
        merges: Vec<Node>,
    },
}

/// From this many entries a mapping's keys are looked up in a hash map; a
/// shorter mapping (nearly all of them) is searched in order, which costs
/// less than hashing and copying every key.
const INDEXED_FROM: usize = 16;

enum PendingKey {
    Key(String, Position),
    Merge,
}

impl<'a> Reader<'a> {
    pub fn new(text: &'a str, mode: Mode, limits: Limits) -> Reader<'a> {
        Reader {
            parser: Parser::new_from_str(text),
            mode,
            limits,
            text,
            done: false,
            cursor: (0, 0),
            ascii: text.is_ascii(),
        }
    }

    /// The character at a mark.
    fn char_at(&mut self, mark: Marker) -> Option<char> {
        let bytes = self.byte_at(mark)?;
        self.text[bytes..].chars().next()
    }

    /// The byte offset of a mark: the parser counts characters, and a text
    /// may hold characters of several bytes anywhere.
    fn byte_at(&mut self, mark: Marker) -> Option<usize> {
        let target = mark.index();
        if self.ascii {
            return (target <= self.text.len()).then_some(target);
        }
        let (mut chars, mut bytes) = self.cursor;
        while chars > target {
            let c = self.text[..bytes].chars().next_back()?;
            bytes -= c.len_utf8();
            chars -= 1;
        }
        while chars < target {
            let c = self.text[bytes..].chars().next()?;
            bytes += c.len_utf8();
            chars += 1;
        }
        self.cursor = (chars, bytes);
        Some(bytes)
    }

    fn next_event(&mut self) -> Result<(Event, Marker), SyntaxError> {
        self.parser
            .next_token()
            .map_err(|error| scan_error(&error, self.text))
    }

    /// The next document, or `None` at the end of the stream.
    pub fn next_document(&mut self) -> Option<Result<Document, SyntaxError>> {
        if self.done {
            return None;
        }
        let result = self.read_document();
        match result {
            Ok(Some(document)) => Some(Ok(document)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(error) => {
                self.done = true;
                Some(Err(error))
            }
        }
    }

    fn read_document(&mut self) -> Result<Option<Document>, SyntaxError> {
        loop {
            let (event, mark) = self.next_event()?;
            match event {
                Event::StreamStart | Event::DocumentEnd | Event::Nothing => continue,
                Event::StreamEnd => return Ok(None),
                Event::DocumentStart => {
                    let marker_line = self.explicit_marker(mark);
                    let root = self.read_node()?;
                    return Ok(Some(Document {
                        start_line: root.position.line,
                        root,
                        marker_line,
                    }));
                }
                other => {
                    return Err(SyntaxError::at(
                        position(mark),
                        format!("unexpected YAML event {other:?}"),
                    ));
                }
            }
        }
    }

    /// The line of `---` when a document start is explicit.
    fn explicit_marker(&mut self, mark: Marker) -> Option<usize> {
        let at = self.byte_at(mark).unwrap_or(self.text.len());
        let line_start = self.text[..at].rfind('\n').map_or(0, |i| i + 1);
        // The parser marks an explicit start at the `---`; an implicit one at
        // the first content (column > 0 or not `---`).
        let rest = self.text.get(line_start..).unwrap_or_default();
        (mark.col() == 0 && (rest.starts_with("---") || rest.starts_with("\u{feff}---")))
            .then_some(mark.line())
    }

    /// Reads one node (and everything inside it) without recursion.
    fn read_node(&mut self) -> Result<Node, SyntaxError> {
        let mut stack: Vec<Frame> = Vec::new();
        let mut anchors: HashMap<usize, Node> = HashMap::new();
        let mut alias_budget = self.limits.alias_nodes;
        loop {
            let (event, mark) = self.next_event().map_err(|error| unclosed(error, &stack))?;
            let at = position(mark);
            let complete: (Node, usize) = match event {
                Event::Scalar(text, style, anchor, tag) => {
                    let in_key = matches!(stack.last(), Some(Frame::Mapping { key: None, .. }));
                    if in_key
                        && self.mode == Mode::Kubernetes
                        && style == TScalarStyle::Plain
                        && text == "<<"
                        && tag.is_none()
                    {
                        if let Some(Frame::Mapping { key, .. }) = stack.last_mut() {
                            *key = Some(PendingKey::Merge);
                        }
                        continue;
                    }
                    self.check_tag(tag.as_ref(), at)?;
                    let scalar = resolve::scalar(self.mode, text, style, tag.as_ref())
                        .map_err(|message| SyntaxError::at(at, message))?;
                    (
                        Node {
                            position: at,
                            kind: Kind::Scalar(scalar),
                        },
                        anchor,
                    )
                }
                Event::Alias(id) => {
                    let Some(target) = anchors.get(&id) else {
                        return Err(SyntaxError::at(at, "this alias names no earlier anchor"));
                    };
                    let size = target.size();
                    if size > alias_budget {
                        return Err(SyntaxError::at(
                            at,
                            format!(
                                "aliases here expand to more than {} nodes; a document that \
                                 multiplies itself through aliases (a \"billion laughs\" bomb) \
                                 is refused",
                                self.limits.alias_nodes
                            ),
                        ));
                    }
                    alias_budget -= size;
                    let mut copy = target.clone();
                    copy.position = at;
                    (copy, 0)
                }
                Event::SequenceStart(anchor, tag) => {
                    self.check_tag(tag.as_ref(), at)?;
                    self.check_depth(stack.len(), at)?;
                    let flow = self.char_at(mark) == Some('[');
                    stack.push(Frame::Sequence {
                        position: at,
                        anchor,
                        items: Vec::new(),
                        flow,
                    });
                    continue;
                }
                Event::MappingStart(anchor, tag) => {
                    self.check_tag(tag.as_ref(), at)?;
                    self.check_depth(stack.len(), at)?;
                    // A block mapping is marked after its first key; its first
                    // key's position is used instead (see `Mapping` end).
                    let flow = self.char_at(mark) == Some('{');
                    stack.push(Frame::Mapping {
                        position: flow.then_some(at),
                        anchor,
                        entries: Vec::new(),
                        seen: None,
                        key: None,
                        merges: Vec::new(),
                    });
                    continue;
                }
                Event::SequenceEnd => match stack.pop() {
                    Some(Frame::Sequence {
                        position,
                        anchor,
                        items,
                        ..
                    }) => (
                        Node {
                            position,
                            kind: Kind::Sequence(items),
                        },
                        anchor,
                    ),
                    _ => return Err(SyntaxError::at(at, "unbalanced sequence end")),
                },
                Event::MappingEnd => match stack.pop() {
                    Some(Frame::Mapping {
                        position,
                        anchor,
                        mut entries,
                        merges,
                        ..
                    }) => {
                        merge(&mut entries, merges)?;
                        let position = position
                            .or(entries.first().map(|e| e.key_position))
                            .unwrap_or(at);
                        (
                            Node {
                                position,
                                kind: Kind::Mapping(entries),
                            },
                            anchor,
                        )
                    }
                    _ => return Err(SyntaxError::at(at, "unbalanced mapping end")),
                },
                other => {
                    return Err(SyntaxError::at(
                        at,
                        format!("unexpected YAML event {other:?}"),
                    ));
                }
            };
            let (node, anchor) = complete;
            if anchor != 0 {
                anchors.insert(anchor, node.clone());
            }
            match stack.last_mut() {
                None => return Ok(node),
                Some(Frame::Sequence { items, .. }) => items.push(node),
                Some(Frame::Mapping {
                    entries,
                    seen,
                    key,
                    merges,
                    ..
                }) => match key.take() {
                    None => {
                        let Kind::Scalar(scalar) = node.kind else {
                            return Err(SyntaxError::at(
                                node.position,
                                "a mapping key must be a single value, not a list or a mapping",
                            ));
                        };
                        *key = Some(PendingKey::Key(scalar.key_text(), node.position));
                    }
                    Some(PendingKey::Merge) => merges.push(node),
                    Some(PendingKey::Key(text, key_position)) => {
                        let duplicate = if entries.len() < INDEXED_FROM {
                            entries.iter().position(|entry| entry.key == text)
                        } else {
                            seen.get_or_insert_with(|| {
                                entries
                                    .iter()
                                    .enumerate()
                                    .map(|(i, entry)| (entry.key.clone(), i))
                                    .collect()
                            })
                            .get(&text)
                            .copied()
                        };
                        if let Some(first) = duplicate {
                            let first = entries[first].key_position;
                            return Err(SyntaxError::at(
                                key_position,
                                format!(
                                    "`{text}` is written twice in the same mapping (first on \
                                     line {}); remove one of them",
                                    first.line
                                ),
                            ));
                        }
                        if let Some(seen) = seen {
                            seen.insert(text.clone(), entries.len());
                        }
                        entries.push(Entry {
                            key: text,
                            key_position,
                            value: node,
                        });
                    }
                },
            }
        }
    }

    fn check_depth(&self, depth: usize, at: Position) -> Result<(), SyntaxError> {
        if depth >= self.limits.depth {
            return Err(SyntaxError::at(
                at,
                format!(
                    "the document nests more than {} levels deep; flatten it",
                    self.limits.depth
                ),
            ));
        }
        Ok(())
    }

    fn check_tag(&self, tag: Option<&Tag>, at: Position) -> Result<(), SyntaxError> {
        match (self.mode, tag) {
            (Mode::Spec, Some(tag)) => {
                let shown = tag_text(tag);
                Err(SyntaxError::at(
                    at,
                    format!("explicit YAML tags are not allowed in a spec: remove `{shown}`"),
                ))
            }
            _ => Ok(()),
        }
    }
}

/// A tag as it is usually written: `!!str`, `!Ref`.
pub fn tag_text(tag: &Tag) -> String {
    match tag.handle.as_str() {
        resolve::CORE_TAG_PREFIX => format!("!!{}", tag.suffix),
        handle => format!("{handle}{}", tag.suffix),
    }
}

/// Adds the entries of `<<` values that the mapping does not set itself.
///
/// Follows go-yaml v2 `decode.go` (`merge`): the value is one mapping or a
/// list of mappings, and in a list earlier mappings take precedence. go-yaml
/// v2 applies a merge where it appears, so a key written *before* `<<` is
/// overwritten there; here, as in the YAML merge-key specification, every
/// explicit key wins (the usual layout puts `<<` first, where both agree).
fn merge(entries: &mut Vec<Entry>, merges: Vec<Node>) -> Result<(), SyntaxError> {
    for value in merges {
        let position = value.position;
        let sources = match value.kind {
            Kind::Mapping(merged) => vec![merged],
            Kind::Sequence(items) => items
                .into_iter()
                .map(|item| match item.kind {
                    Kind::Mapping(merged) => Ok(merged),
                    _ => Err(()),
                })
                .collect::<Result<Vec<_>, ()>>()
                .map_err(|()| merge_error(position))?,
            Kind::Scalar(_) => return Err(merge_error(position)),
        };
        for source in sources {
            for entry in source {
                if !entries.iter().any(|e| e.key == entry.key) {
                    entries.push(entry);
                }
            }
        }
    }
    Ok(())
}

fn merge_error(at: Position) -> SyntaxError {
    SyntaxError::at(
        at,
        "a merge key `<<` needs a mapping or a list of mappings as its value",
    )
}

fn position(mark: Marker) -> Position {
    Position {
        line: mark.line(),
        column: mark.col() + 1,
    }
}

/// A parser error at the start of the construct that failed (yaml-rust2
/// reports that start for quoted scalars, flow collections and the like),
/// with the parser's own words kept and a plain hint for the usual mistakes.
fn scan_error(error: &ScanError, text: &str) -> SyntaxError {
    let info = error.info();
    let at = position(*error.marker());
    let hint = if info.contains("quoted scalar") {
        Some("is the closing quote missing? the quoted text starts here")
    } else if info.contains("tabs disallowed")
        || info.contains("found a tab")
        || tab_indented(text, at.line)
    {
        Some("tabs cannot indent YAML; indent with spaces")
    } else if info.contains("invalid indentation")
        || info.contains("did not find expected key")
        || info.contains("did not find expected '-' indicator")
        || info.contains("mapping values are not allowed")
    {
        Some("the indentation is wrong here: line this up with the keys it belongs with")
    } else {
        None
    };
    let message = match hint {
        Some(hint) => format!("{info} ({hint})"),
        None => info.to_string(),
    };
    SyntaxError::at(at, message)
}

/// An error inside a flow collection is reported where the innermost open
/// one starts (the parser notices at the end of the text), keeping the
/// parser's own message and position.
fn unclosed(error: SyntaxError, stack: &[Frame]) -> SyntaxError {
    if !error.message.contains("while parsing a flow") {
        return error;
    }
    let open = stack.iter().rev().find_map(|frame| match frame {
        Frame::Sequence {
            position,
            flow: true,
            ..
        } => Some((*position, "list `[`")),
        Frame::Mapping {
            position: Some(position),
            ..
        } => Some((*position, "mapping `{`")),
        _ => None,
    });
    match (open, error.position) {
        (Some((start, what)), Some(found)) if start != found => SyntaxError::at(
            start,
            format!(
                "this {what} is not closed: {} at line {} column {}",
                error.message, found.line, found.column
            ),
        ),
        _ => error,
    }
}

/// Whether `line` (1-based) starts with a tab in its indentation.
fn tab_indented(text: &str, line: usize) -> bool {
    text.lines().nth(line.saturating_sub(1)).is_some_and(|l| {
        l.chars()
            .take_while(|c| c.is_whitespace())
            .any(|c| c == '\t')
    })
}
