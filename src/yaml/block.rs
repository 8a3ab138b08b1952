//! A quick reader for plain block-style YAML: the layout harden writes and
//! most manifests use, read in one pass over the lines.
//!
//! yaml-rust2 spends about 145 instructions on every byte (saphyr-parser and
//! libyaml-safer are no faster on harden's output: 150 and 190), and reading
//! the rendered manifests back was a fifth of a render. This reader takes
//! only what it can read beyond doubt, and answers `None` for anything else,
//! so that the full parser ([`super::tree`]) reads it, errors and all:
//!
//! - ASCII text without tabs, carriage returns or control characters;
//! - documents of block mappings and block sequences at column 0 after
//!   `---` lines (no directives, no `...`), with comments and blank lines;
//! - keys that are plain or quoted on one line, each once per mapping
//!   (no `<<`, no `?`);
//! - values on one line: plain scalars, single- and double-quoted scalars
//!   with JSON's escapes, and the empty flow collections `{}` and `[]`;
//! - no anchors, aliases, tags, block scalars or other flow collections.
//!
//! What it accepts it reads as [`super::tree::Reader`] does, with the same
//! positions; a test holds the two equal on every rendered file and on the
//! published manifest sets, and a property test and the fuzz target on
//! generated texts.

use std::collections::HashSet;

use yaml_rust2::scanner::TScalarStyle;

use super::resolve;
use super::tree::{Document, Entry, Kind, Limits, Node};
use super::{Mode, Position};

/// The longest line read here: the full parser refuses a key of over 1,024
/// characters, and nothing harden writes comes near.
const MAX_LINE: usize = 1000;

/// From this many entries a mapping's keys are checked for repeats in a hash
/// set (the full reader's threshold too).
const INDEXED_FROM: usize = 16;

/// Every document of `text`, or `None` when the text holds anything this
/// reader leaves to the full parser.
pub fn documents(text: &str, mode: Mode, limits: Limits) -> Option<Vec<Document>> {
    let mut lines = Vec::new();
    let mut indents = Vec::new();
    for line in text.split('\n') {
        if line.len() > MAX_LINE || !line.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            return None;
        }
        lines.push(line);
        indents.push(content(line).unwrap_or(NO_CONTENT));
    }
    // For each line, the first line from it on with content: a closing
    // block asks once per level, and a run of comments is walked once.
    let mut next = vec![None; lines.len() + 1];
    for index in (0..lines.len()).rev() {
        next[index] = if indents[index] == NO_CONTENT {
            next[index + 1]
        } else {
            Some(index)
        };
    }
    let mut reader = Block {
        lines,
        indents,
        next,
        at: 0,
        mode,
        depth: limits.depth,
    };
    reader.stream()
}

/// The indentation recorded for a blank or comment line.
const NO_CONTENT: usize = usize::MAX;

/// Where a line's content starts, or `None` for a blank or comment line.
fn content(line: &str) -> Option<usize> {
    let indent = line.bytes().take_while(|&b| b == b' ').count();
    match line.as_bytes().get(indent) {
        None | Some(b'#') => None,
        Some(_) => Some(indent),
    }
}

/// Whether `rest` (a line from some column on) starts with a sequence
/// entry's dash: `-` alone, or before a space.
fn dash(rest: &str) -> bool {
    rest == "-" || rest.starts_with("- ")
}

/// Whether a line is a document marker `---`, alone or before a comment.
fn marker(line: &str) -> Option<bool> {
    let rest = line.strip_prefix("---")?;
    if rest.is_empty() {
        return Some(true);
    }
    if !rest.starts_with(' ') {
        // `---x` is a plain scalar; leave it to the full parser.
        return Some(false);
    }
    Some(rest.trim_start().is_empty() || rest.trim_start().starts_with('#'))
}

struct Block<'a> {
    lines: Vec<&'a str>,
    /// Each line's indentation, [`NO_CONTENT`] for blank and comment lines.
    indents: Vec<usize>,
    /// The first line with content from each line on (one past the end
    /// included).
    next: Vec<Option<usize>>,
    /// Index of the next line to read.
    at: usize,
    mode: Mode,
    /// Nesting levels still allowed.
    depth: usize,
}

/// The next content line: its index and its indentation.
type Next = Option<(usize, usize)>;

impl<'a> Block<'a> {
    fn stream(&mut self) -> Option<Vec<Document>> {
        let mut documents = Vec::new();
        let mut explicit: Option<usize> = None;
        loop {
            // Skip to the next marker or content line.
            let Some((index, indent)) = self.next_line() else {
                if let Some(line) = explicit {
                    documents.push(empty(line));
                }
                return Some(documents);
            };
            let line = self.lines[index];
            if indent == 0 && line.starts_with('%') || line.starts_with("...") {
                return None;
            }
            match marker(line) {
                Some(true) => {
                    if let Some(previous) = explicit {
                        documents.push(empty(previous));
                    }
                    explicit = Some(index + 1);
                    self.at = index + 1;
                    continue;
                }
                Some(false) => return None,
                None => {}
            }
            if indent != 0 {
                return None;
            }
            self.at = index;
            let root = self.node(0, false)?;
            documents.push(Document {
                start_line: root.position.line,
                root,
                marker_line: explicit.take(),
            });
            // The root must end at a marker or the end of the text.
            if let Some((index, _)) = self.next_line()
                && marker(self.lines[index]) != Some(true)
            {
                return None;
            }
        }
    }

    /// The next line with content (or a marker) from `self.at`.
    fn next_line(&self) -> Next {
        let index = (*self.next.get(self.at)?)?;
        Some((index, self.indents[index]))
    }

    /// The block node starting at the next content line, at `indent`.
    fn node(&mut self, indent: usize, indentless: bool) -> Option<Node> {
        self.depth = self.depth.checked_sub(1)?;
        let (index, _) = self.next_line()?;
        let line = self.lines[index];
        let rest = &line[indent..];
        let node = if dash(rest) {
            self.sequence(indent, indentless)
        } else {
            self.mapping(index, indent)
        };
        self.depth += 1;
        node
    }

    /// A block sequence whose dashes are at `indent`; `indentless` when it
    /// is the value of a key at the same indentation (it then ends at that
    /// mapping's next key).
    fn sequence(&mut self, indent: usize, indentless: bool) -> Option<Node> {
        let mut items = Vec::new();
        let mut position = None;
        while let Some((index, at)) = self.next_line() {
            let line = self.lines[index];
            if at < indent || (at == 0 && marker(line).is_some()) {
                break;
            }
            if at > indent {
                return None;
            }
            let rest = &line[indent..];
            if !dash(rest) {
                if indentless {
                    break;
                }
                return None;
            }
            let after = rest[1..].bytes().take_while(|&b| b == b' ').count();
            let column = indent + 1 + after;
            let value = &line[column..];
            if indentless && items.is_empty() && value.starts_with('#') {
                // The full parser marks such a sequence past the comment,
                // at the end of the line: left to it.
                return None;
            }
            // The full parser marks a sequence at its first dash, and one
            // without indentation (the value of a key at its column) where
            // its first item starts.
            position.get_or_insert(at_column(index, if indentless { column } else { indent }));
            self.at = index + 1;
            if value.is_empty() || value.starts_with('#') {
                // The item is the block below it.
                let (next, next_indent) = self.next_line()?;
                if next_indent <= indent || (next_indent == 0 && marker(self.lines[next]).is_some())
                {
                    return None;
                }
                items.push(self.node(next_indent, false)?);
            } else if !value.starts_with(['{', '[']) && key_end(value).is_some() {
                // `- key: value`: a mapping whose keys line up with this one.
                self.at = index;
                self.depth = self.depth.checked_sub(1)?;
                items.push(self.mapping(index, column)?);
                self.depth += 1;
            } else {
                items.push(self.inline(index, column, indent)?);
            }
        }
        Some(Node {
            position: position?,
            kind: Kind::Sequence(items),
        })
    }

    /// A block mapping whose keys are at column `indent`; its first key is
    /// on line `first` (which may start with a sequence's dash).
    fn mapping(&mut self, first: usize, indent: usize) -> Option<Node> {
        let mut entries: Vec<Entry> = Vec::new();
        let mut seen: Option<HashSet<String>> = None;
        let mut index = first;
        loop {
            let line = self.lines[index];
            let rest = &line[indent..];
            if dash(rest) {
                return None;
            }
            let (key, key_position, value_column) = self.key(index, indent, rest)?;
            if key == "<<" && self.mode == Mode::Kubernetes {
                return None;
            }
            let repeated = match &mut seen {
                Some(seen) => !seen.insert(key.clone()),
                None => {
                    let repeated = entries.iter().any(|entry| entry.key == key);
                    if entries.len() + 1 >= INDEXED_FROM {
                        let mut all: HashSet<String> =
                            entries.iter().map(|entry| entry.key.clone()).collect();
                        all.insert(key.clone());
                        seen = Some(all);
                    }
                    repeated
                }
            };
            if repeated {
                return None;
            }
            self.at = index + 1;
            let value = &line[value_column..];
            let node = if value.is_empty() || value.starts_with('#') {
                let (next, next_indent) = self.next_line()?;
                let next_line = self.lines[next];
                if next_indent == 0 && marker(next_line).is_some() {
                    return None;
                }
                if next_indent > indent {
                    self.node(next_indent, false)?
                } else if next_indent == indent && dash(&next_line[next_indent..]) {
                    self.node(indent, true)?
                } else {
                    // An empty value (null): left to the full parser.
                    return None;
                }
            } else {
                self.inline(index, value_column, indent)?
            };
            entries.push(Entry {
                key,
                key_position,
                value: node,
            });
            let Some((next, at)) = self.next_line() else {
                break;
            };
            if at < indent || (at == 0 && marker(self.lines[next]).is_some()) {
                break;
            }
            if at > indent {
                return None;
            }
            index = next;
        }
        let position = entries.first()?.key_position;
        Some(Node {
            position,
            kind: Kind::Mapping(entries),
        })
    }

    /// The key at the start of `rest` (column `indent` of line `index`):
    /// its text, position and the column where its value starts.
    fn key(&self, index: usize, indent: usize, rest: &str) -> Option<(String, Position, usize)> {
        let end = key_end(rest)?;
        let written = &rest[..end];
        let scalar = match written.as_bytes()[0] {
            b'\'' | b'"' => self.quoted(written)?.0,
            _ => resolve::scalar(
                self.mode,
                plain(written)?.to_string(),
                TScalarStyle::Plain,
                None,
            )
            .ok()?,
        };
        let spaces = rest[end + 1..].bytes().take_while(|&b| b == b' ').count();
        Some((
            scalar.key_text(),
            at_column(index, indent),
            indent + end + 1 + spaces,
        ))
    }

    /// A value written on its line from `column`, in a collection whose
    /// entries are at `indent`: nothing more indented may follow it.
    fn inline(&mut self, index: usize, column: usize, indent: usize) -> Option<Node> {
        let line = self.lines[index];
        let value = &line[column..];
        let position = at_column(index, column);
        let (kind, length) = match value.as_bytes()[0] {
            b'{' | b'[' => self.flow(value, index, column)?,
            b'\'' | b'"' => {
                let (scalar, length) = self.quoted(value)?;
                (Kind::Scalar(scalar), length)
            }
            _ => {
                let length = value.find(" #").unwrap_or(value.len());
                let written = plain(value[..length].trim_end_matches(' '))?;
                if written.contains(": ") || written.ends_with(':') {
                    return None;
                }
                let scalar =
                    resolve::scalar(self.mode, written.to_string(), TScalarStyle::Plain, None)
                        .ok()?;
                (Kind::Scalar(scalar), length)
            }
        };
        let after = value[length..].trim_start_matches(' ');
        if !(after.is_empty() || (after.starts_with('#') && value[length..].starts_with(' '))) {
            return None;
        }
        self.at = index + 1;
        // A more indented line below would continue a plain scalar, or be
        // an error; either way the full parser reads it.
        if let Some((next, at)) = self.next_line()
            && at > indent
            && !(at == 0 && marker(self.lines[next]).is_some())
        {
            return None;
        }
        Some(Node { position, kind })
    }
}

impl Block<'_> {
    /// The quoted scalar at the start of `value` (closed on its line),
    /// resolved, and its length.
    fn quoted(&self, value: &str) -> Option<(resolve::Scalar, usize)> {
        let length = quoted_length(value)?;
        let written = &value[..length];
        let (text, style) = if written.starts_with('\'') {
            (single_quoted(written)?, TScalarStyle::SingleQuoted)
        } else {
            (double_quoted(written)?, TScalarStyle::DoubleQuoted)
        };
        Some((resolve::scalar(self.mode, text, style, None).ok()?, length))
    }

    /// A flow collection closed on its line, of scalars only:
    /// `[a, "b"]`, `{cpu: 100m, memory: '1Gi'}`; its kind and length.
    fn flow(&self, value: &str, index: usize, column: usize) -> Option<(Kind, usize)> {
        // A flow collection is one more level of nesting, counted by the
        // full parser as a block one is.
        if self.depth == 0 {
            return None;
        }
        let bytes = value.as_bytes();
        let mapping = bytes[0] == b'{';
        let close = if mapping { b'}' } else { b']' };
        let mut items = Vec::new();
        let mut entries: Vec<Entry> = Vec::new();
        let mut i = 1;
        loop {
            i += spaces(&bytes[i..]);
            if bytes.get(i) == Some(&close) && items.is_empty() && entries.is_empty() {
                break;
            }
            let (first, length) = self.flow_scalar(&value[i..], index, column + i)?;
            i += length;
            if mapping {
                // `key: value`, the colon right after the key.
                if bytes.get(i) != Some(&b':') || bytes.get(i + 1) != Some(&b' ') {
                    return None;
                }
                let key_position = first.position;
                let Kind::Scalar(key) = first.kind else {
                    return None;
                };
                let key = key.key_text();
                // A merge key (as in a block mapping) is the full parser's.
                if (key == "<<" && self.mode == Mode::Kubernetes)
                    || entries.iter().any(|entry| entry.key == key)
                {
                    return None;
                }
                i += 1 + spaces(&bytes[i + 1..]);
                let (value, length) = self.flow_scalar(&value[i..], index, column + i)?;
                i += length;
                entries.push(Entry {
                    key,
                    key_position,
                    value,
                });
            } else {
                items.push(first);
            }
            i += spaces(&bytes[i..]);
            match bytes.get(i) {
                Some(b',') => i += 1,
                Some(&b) if b == close => break,
                _ => return None,
            }
        }
        let kind = if mapping {
            Kind::Mapping(entries)
        } else {
            Kind::Sequence(items)
        };
        Some((kind, i + 1))
    }

    /// A scalar inside a flow collection: quoted, or plain up to the next
    /// `,`, `]` or `}` (a plain one holding `:`, `#` or a bracket is left to
    /// the full parser); the node and its length.
    fn flow_scalar(&self, text: &str, index: usize, column: usize) -> Option<(Node, usize)> {
        let position = at_column(index, column);
        let (scalar, length) = match *text.as_bytes().first()? {
            b'\'' | b'"' => self.quoted(text)?,
            _ => {
                let length = text
                    .bytes()
                    .position(|b| matches!(b, b',' | b']' | b'}' | b':' | b'#' | b'[' | b'{'))
                    .unwrap_or(text.len());
                if !matches!(text.as_bytes().get(length), Some(b',' | b']' | b'}' | b':')) {
                    return None;
                }
                let written = plain(text[..length].trim_end_matches(' '))?;
                // A `:` ends a key only before a space.
                if text.as_bytes()[length] == b':' && text.as_bytes().get(length + 1) != Some(&b' ')
                {
                    return None;
                }
                let scalar =
                    resolve::scalar(self.mode, written.to_string(), TScalarStyle::Plain, None)
                        .ok()?;
                (scalar, written.len())
            }
        };
        Some((
            Node {
                position,
                kind: Kind::Scalar(scalar),
            },
            length,
        ))
    }
}

/// The number of spaces at the start of `bytes`.
fn spaces(bytes: &[u8]) -> usize {
    bytes.iter().take_while(|&&b| b == b' ').count()
}

/// The position of column `column` (0-based) of line `index` (0-based).
fn at_column(index: usize, column: usize) -> Position {
    Position {
        line: index + 1,
        column: column + 1,
    }
}

/// The null document of a `---` with nothing after it.
fn empty(line: usize) -> Document {
    let position = Position { line, column: 1 };
    Document {
        root: Node {
            position,
            kind: Kind::Scalar(resolve::Scalar {
                text: String::new(),
                value: resolve::Value::Null,
            }),
        },
        start_line: line,
        marker_line: Some(line),
    }
}

/// Where the key at the start of `rest` ends: at its `:` followed by a
/// space or the end of the line. `None` when `rest` is not a simple key.
fn key_end(rest: &str) -> Option<usize> {
    let bytes = rest.as_bytes();
    let end = match bytes.first()? {
        b'\'' | b'"' => quoted_length(rest)?,
        _ => {
            // The first `:` before a space or the end; a ` #` before it
            // starts a comment, and a space before it is left to the parser.
            let mut previous = b'x';
            let mut found = None;
            for (i, &b) in bytes.iter().enumerate() {
                if b == b'#' && previous == b' ' {
                    return None;
                }
                if b == b':' && matches!(bytes.get(i + 1), None | Some(b' ')) {
                    found = Some(i);
                    break;
                }
                previous = b;
            }
            let colon = found?;
            if previous == b' ' {
                return None;
            }
            colon
        }
    };
    (end > 0 && bytes.get(end) == Some(&b':') && matches!(bytes.get(end + 1), None | Some(b' ')))
        .then_some(end)
}

/// A plain scalar as written, if it is one this reader takes: not starting
/// with an indicator, not empty.
fn plain(written: &str) -> Option<&str> {
    let bytes = written.as_bytes();
    let first = *bytes.first()?;
    let safe = match first {
        b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\''
        | b'"' | b'%' | b'@' | b'`' => false,
        b'-' | b'?' | b':' => bytes.get(1).is_some_and(|&b| b != b' '),
        _ => true,
    };
    (safe && !written.starts_with("---")).then_some(written)
}

/// The length of the quoted scalar at the start of `value`, closing quote
/// included, when it closes on this line.
fn quoted_length(value: &str) -> Option<usize> {
    let bytes = value.as_bytes();
    let quote = bytes[0];
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote == b'"' => i += 2,
            b'\'' if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 2,
            b if b == quote => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// The text of a single-quoted scalar (`''` is one quote).
fn single_quoted(written: &str) -> Option<String> {
    Some(written[1..written.len() - 1].replace("''", "'"))
}

/// The text of a double-quoted scalar with JSON's escapes; `None` for any
/// other escape.
fn double_quoted(written: &str) -> Option<String> {
    let inner = &written[1..written.len() - 1];
    if !inner.contains('\\') {
        return Some(inner.to_string());
    }
    let mut text = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            text.push(c);
            continue;
        }
        let escaped = match chars.next()? {
            '"' => '"',
            '\\' => '\\',
            '/' => '/',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'u' => {
                let hex: String = chars.by_ref().take(4).collect();
                // Four hex digits: `from_str_radix` alone would take a sign.
                if hex.len() != 4 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return None;
                }
                char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?
            }
            _ => return None,
        };
        text.push(escaped);
    }
    Some(text)
}

/// A document as both readers give it, empty ones left out (the callers
/// skip them).
type Shown = Vec<(Node, usize, Option<usize>)>;

fn shown(documents: Vec<Document>) -> Shown {
    documents
        .into_iter()
        .filter(|d| !super::is_null(&d.root))
        .map(|d| (d.root, d.start_line, d.marker_line))
        .collect()
}

/// Every node of the documents on a line of its own: path, position, kind
/// and scalar, to show where two readings part.
fn flat(documents: &Shown) -> Vec<String> {
    fn walk(node: &Node, path: String, out: &mut Vec<String>) {
        let at = node.position;
        match &node.kind {
            Kind::Scalar(s) => out.push(format!("{path} @{at} {:?} {:?}", s.text, s.value)),
            Kind::Sequence(items) => {
                out.push(format!("{path} @{at} sequence of {}", items.len()));
                for (i, item) in items.iter().enumerate() {
                    walk(item, format!("{path}[{i}]"), out);
                }
            }
            Kind::Mapping(entries) => {
                out.push(format!("{path} @{at} mapping of {}", entries.len()));
                for entry in entries {
                    out.push(format!("{path}.{} key @{}", entry.key, entry.key_position));
                    walk(&entry.value, format!("{path}.{}", entry.key), out);
                }
            }
        }
    }
    let mut out = Vec::new();
    for (i, (root, start, marker)) in documents.iter().enumerate() {
        out.push(format!("document {i} from {start} marker {marker:?}"));
        walk(root, String::new(), &mut out);
    }
    out
}

/// How this reader and the full parser part on `text` read in `mode`:
/// `Ok(false)` when this reader leaves it to the full parser, `Ok(true)`
/// when both read the same, the first difference otherwise. For the tests
/// and the fuzzer, which hold the two readers equal.
pub fn compare(text: &str, mode: Mode, limits: Limits) -> Result<bool, String> {
    let Some(quick) = documents(text, mode, limits) else {
        return Ok(false);
    };
    let mut reader = super::tree::Reader::new(text, mode, limits);
    let mut expected = Vec::new();
    while let Some(document) = reader.next_document() {
        expected.push(document.map_err(|error| {
            format!(
                "the full parser refuses ({}) what the quick reader read",
                error.message
            )
        })?);
    }
    let (quick, expected) = (flat(&shown(quick)), flat(&shown(expected)));
    if quick == expected {
        return Ok(true);
    }
    let first = quick.iter().zip(&expected).position(|(a, b)| a != b);
    Err(format!(
        "{mode:?} reading differs at {:?} against {:?}",
        first.map(|i| &quick[i]),
        first.map(|i| &expected[i]),
    ))
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use proptest::prelude::*;

    use super::*;
    use crate::yaml::{MANIFEST_LIMITS, SPEC_LIMITS};

    /// When the quick reader reads `text`, it reads what the full one does.
    /// Returns whether it read it.
    fn agrees(text: &str, mode: Mode) -> bool {
        let limits = match mode {
            Mode::Kubernetes => MANIFEST_LIMITS,
            Mode::Spec => SPEC_LIMITS,
        };
        compare(text, mode, limits).unwrap_or_else(|difference| panic!("{difference}:\n{text}"))
    }

    fn yaml_files(dir: &Path, found: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                yaml_files(&path, found);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                found.push(path);
            }
        }
    }

    #[test]
    fn reads_what_the_parser_reads_in_every_rendered_file() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        yaml_files(&root.join("examples"), &mut files);
        yaml_files(&root.join("specs"), &mut files);
        let mut read = 0;
        for file in &files {
            let text = std::fs::read_to_string(file).unwrap();
            // Every file harden renders from a template is in the quick
            // reader's layout (the guard, written from its objects, has flow
            // lists and folded CEL, and is never read back by a render).
            let generated = text.starts_with("# Generated by harden")
                && !file.ends_with(crate::platform::names::ADMISSION_GUARD_FILE);
            let mode = if file.starts_with(root.join("specs")) {
                Mode::Spec
            } else {
                Mode::Kubernetes
            };
            let took = agrees(&text, mode);
            assert!(
                took || !generated,
                "{} was left to the full parser",
                file.display()
            );
            read += usize::from(took);
        }
        assert!(read > 40, "only {read} of {} files read", files.len());
    }

    #[test]
    fn reads_what_the_parser_reads_in_published_manifests() {
        let shared = std::env::var_os("HARDEN_SHARED").map_or_else(
            || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"),
            PathBuf::from,
        );
        let mut files = Vec::new();
        yaml_files(&shared.join("realworld"), &mut files);
        yaml_files(&shared.join("conformance"), &mut files);
        assert!(
            files.len() > 100,
            "the published manifests are missing at {}: put shared/ beside the project or set HARDEN_SHARED",
            shared.display()
        );
        let mut read = 0;
        for file in &files {
            let text = std::fs::read_to_string(file).unwrap_or_default();
            read += usize::from(agrees(&text, Mode::Kubernetes));
        }
        assert!(read > 100, "only {read} of {} files read", files.len());
    }

    #[test]
    fn leaves_what_it_does_not_read_beyond_doubt_to_the_parser() {
        for text in [
            "a: |\n  x\n",
            "a: >-\n  x\n",
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "a: [1, 2,]\n",
            "a: [1, [2]]\n",
            "- :\n",
            "a: {b: {c: 1}}\n",
            "a: {b: 1, b: 2}\n",
            "a: {b:1}\n",
            "a: {b: }\n",
            "a: [b:c]\n",
            "a: [1,\n  2]\n",
            "a: b\n  c\n",
            "a: 'b\n  c'\n",
            "a:\n",
            "a: 1\na: 2\n",
            "<<: {a: 1}\n",
            "? a\n: b\n",
            "%YAML 1.1\n---\na: 1\n",
            "a: 1\n...\n",
            "a:\tb\n",
            "a: b\r\n",
            "a: caf\u{e9}\n",
            "  a: 1\n",
            "a: 1\n b: 2\n",
            "- - a\n",
            "a: b: c\n",
            "a: \"\\x41\"\n",
            "a : 1\n",
            "--- a\n",
            "a:\n  - b\n c: 1\n",
        ] {
            assert!(
                documents(text, Mode::Kubernetes, MANIFEST_LIMITS).is_none(),
                "read: {text:?}"
            );
        }
    }

    #[test]
    fn reads_the_layouts_harden_writes() {
        for text in [
            "a: 1\n",
            "---\na: 1\n---\nb: x\n",
            "# c\n---\n# d\na: 1 # e\nb: 'x''y' # f\nc: \"q\\\"\\u0041\\n\"\n",
            "a:\n  b:\n    - c\n    - d: 1\n      e: [] \n    -\n      f: {}\n",
            "a:\n- 1\n- x: y\nb: 2\n",
            "a: -1\nb: yes\nc: ~\nd: 0x1F\ne: 1e3\nf: 'yes'\n\"g\": 1\n'h': 2\n",
            "---\n---\na: 1\n---\n",
            "a: x:y\nb: http://x.y/z#w\nc: a #b\n",
            "a: [1, 'b', \"c\" , yes]\nb: {cpu: 100m, 'memory': \"1Gi\"} # c\nc: [ ]\n",
            "a:\n  - [x]\n  - {y: z}\n",
        ] {
            assert!(agrees(text, Mode::Kubernetes), "not read: {text:?}");
            assert!(agrees(text, Mode::Spec), "not read: {text:?}");
        }
    }

    /// Texts found in review where the quick reader once read what the
    /// full parser refuses or places elsewhere: each is now left to it.
    #[test]
    fn leaves_what_the_parser_refuses_or_places_otherwise() {
        // A flow collection one level past the nesting limit.
        let nested = |depth: usize, leaf: &str| {
            let keys: String = (0..depth - 1)
                .map(|i| format!("{}k{i}:\n", "  ".repeat(i)))
                .collect();
            format!("{keys}{}{leaf}\n", "  ".repeat(depth - 1))
        };
        let mut texts = vec![
            // A merge key in a flow mapping (its value must be a mapping).
            "a: {<<: x}\n".to_string(),
            "a: {<<: 1, b: 2}\n".to_string(),
            // `\u` takes four hex digits, no sign.
            "a: \"\\u+041\"\n".to_string(),
            // An indentless sequence whose first dash has a comment: the
            // parser marks it at the end of that line.
            "a:\n- # c\n  b: 1\n".to_string(),
        ];
        for (mode, limits) in [
            (Mode::Kubernetes, MANIFEST_LIMITS),
            (Mode::Spec, SPEC_LIMITS),
        ] {
            for leaf in ["x: [a]", "x: {a: b}", "x: []", "- {}"] {
                let text = nested(limits.depth, leaf);
                assert!(documents(&text, mode, limits).is_none(), "read: {leaf}");
                // One level less is read.
                assert!(agrees(&nested(limits.depth - 1, leaf), mode), "{leaf}");
            }
            // A spec has no merge keys: `<<` is a key like any other there.
            for text in texts
                .iter()
                .filter(|t| mode == Mode::Kubernetes || !t.contains("<<"))
            {
                assert!(documents(text, mode, limits).is_none(), "read: {text:?}");
            }
        }
        // The rest of the review's cases, read or not, read as the parser does.
        texts.extend(
            [
                "a: \"\\u00e9\\/\\b\\f\\r\\t\"\n",
                "\"\\u0041\": 1\n",
                "a: ?x\nb: :x\n?x: 1\n:x: 1\n",
                "a: [?x, -a]\nb: {?x: 1}\n",
                "a: ...\nb: x]\nc: x}\nd: x,y\n",
                "a[0]: 1\na]: 1\na}: 1\na,b: 1\na{b}: 1\na#: 1\n",
                "a: -x\nb: --x\n--: 1\n-a: 1\n",
                "a:\n-   b\n",
                "a:\n-\n  b: 1\n",
                "a:\n-   \n  b: 1\n",
                "a:\n-   x: 1\n    y: 2\n",
                "- # c\n  - x\n",
                "- a:\n  -\n    b: 1\n",
                "a: x #\nb: x#y\nc: b   c\nd: b  \ne: x :y\n",
                "a: [a b, c]\nb: [a,b]\nc: {a: b,c: d}\nd: [a'b]\n",
                "a: {1: a, 2: b}\nb: {~: a}\n",
                "true: a\nyes: b\n",
                "1.0: a\n0x10: b\n'': c\n",
                "---   \na: 1\n--- # c\nb: 2\n---\n",
                "a:\n  b: 1\n    # odd\n  c: 2\n",
                "- a:\n  - b\n  c: 1\n- d\n",
                "-    a: 1\n     b: 2\n-  c\n",
                "x: \"\\u0000\\u001f\\uFFFF\\uFEFF\"\n",
                "a: 'b\\'\nb: ' b '\nc: \" b \"\n",
            ]
            .map(String::from),
        );
        for text in &texts {
            agrees(text, Mode::Kubernetes);
            agrees(text, Mode::Spec);
        }
    }

    /// Texts built from pieces of block YAML, some of them wrong.
    fn texts() -> impl Strategy<Value = String> {
        let key = prop_oneof![
            Just("a"),
            Just("b"),
            Just("'c'"),
            Just("\"d\""),
            Just("e.f/g"),
            Just("- a"),
            Just("-"),
            Just("#"),
            Just("yes"),
            Just("1"),
        ];
        let value = prop_oneof![
            Just(""),
            Just(" x"),
            Just(" 'y''z'"),
            Just(" \"\\\"q\\u00e9\""),
            Just(" {}"),
            Just(" []"),
            Just(" 1"),
            Just(" -2"),
            Just(" null"),
            Just(" on"),
            Just(" x # c"),
            Just(" a: b"),
            Just(" ['a']"),
            Just(" [a, 'b' ,c]"),
            Just(" {a: 1, b: x}"),
            Just(" {a: 1,}"),
            Just(" [a:b]"),
            Just("  "),
        ];
        let line = (
            0usize..6,
            key,
            prop_oneof![Just(":"), Just(""), Just(" :")],
            value,
        )
            .prop_map(|(indent, key, colon, value)| {
                format!("{}{key}{colon}{value}", " ".repeat(indent))
            });
        let line = prop_oneof![
            8 => line,
            1 => Just("---".to_string()),
            1 => Just("  # note".to_string()),
            1 => Just(String::new()),
        ];
        prop::collection::vec(line, 1..12).prop_map(|lines| lines.join("\n") + "\n")
    }

    proptest! {
        #[test]
        fn reads_generated_texts_as_the_parser_does(text in texts()) {
            agrees(&text, Mode::Kubernetes);
            agrees(&text, Mode::Spec);
        }
    }
}
