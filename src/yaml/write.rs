//! Writes YAML for people to review: any `Serialize` value, its mapping keys
//! in the order the type declares its fields (serde writes a struct's
//! fields in order; the text is read back with [`super::tree`], which keeps
//! it), sections in block style, short lists and mappings of plain values
//! in flow style (`[a, b]`, `{cpu: 100m}`), a comment above any key the
//! caller explains, and a scalar quoted only where YAML would misread it.
//!
//! This is the one YAML writer for values harden does not template: the
//! spec that `harden init` writes ([`SPEC`] layout, see
//! [`crate::wizard::spec_writer`]) and the admission guard's manifests
//! ([`MANIFEST`] layout: long strings folded, and [`stream`] gives the line
//! of every field, so the objects need not be read back; see
//! `crate::guard::objects`). What a field means, and which fields are left
//! out, is the caller's.

use std::borrow::Cow;

use serde::Serialize;

use super::locations::{Children, Located, Locations};
use super::resolve::Value as Resolved;
use super::tree::{Kind, Node, Reader};
use super::{Mode, Position, SPEC_LIMITS};

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

    /// The value as JSON, its strings moved rather than copied.
    pub fn into_json(self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Ordered::Null => Value::Null,
            Ordered::Bool(b) => Value::Bool(b),
            Ordered::Number(n) => serde_json::from_str(&n).unwrap_or(Value::Null),
            Ordered::Text(t) => Value::String(t),
            Ordered::List(items) => {
                Value::Array(items.into_iter().map(Ordered::into_json).collect())
            }
            Ordered::Map(entries) => {
                // One insert per entry: collecting would sort a copy of
                // the entries first, which costs more for maps this small.
                let mut map = serde_json::Map::new();
                for (key, value) in entries {
                    map.insert(key, value.into_json());
                }
                Value::Object(map)
            }
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

    /// [`Ordered::flow`] written from `column` on, with where its items
    /// are (on the same line).
    fn flow_at(&self, line: usize, column: usize) -> Option<(String, Children)> {
        // Where the next item starts: after what is written so far.
        let next = |text: &str| Located {
            position: Position {
                line,
                column: column + text.len(),
            },
            children: Children::Leaf,
        };
        match self {
            Ordered::List(items) if items.iter().all(Ordered::is_scalar) => {
                let mut text = String::from("[");
                let mut placed = Vec::with_capacity(items.len());
                for (n, item) in items.iter().enumerate() {
                    if n > 0 {
                        text.push_str(", ");
                    }
                    placed.push(next(&text));
                    item.scalar_into(&mut text);
                }
                text.push(']');
                Some((text, Children::Sequence(placed)))
            }
            Ordered::Map(entries) if entries.iter().all(|(_, v)| v.is_scalar()) => {
                let mut text = String::from("{");
                let mut placed = Vec::with_capacity(entries.len());
                for (n, (key, value)) in entries.iter().enumerate() {
                    if n > 0 {
                        text.push_str(", ");
                    }
                    placed.push((key.as_str().into(), next(&text)));
                    text.push_str(&scalar_of(key));
                    text.push_str(": ");
                    value.scalar_into(&mut text);
                }
                text.push('}');
                Some((text, Children::Mapping(placed)))
            }
            Ordered::List(_) | Ordered::Map(_) => None,
            scalar => {
                let mut text = String::new();
                scalar.scalar_into(&mut text);
                Some((text, Children::Leaf))
            }
        }
    }

    /// The value on one line, if it is a scalar or a collection of scalars.
    fn flow(&self) -> Option<String> {
        self.flow_at(1, 0).map(|(text, _)| text)
    }

    /// A scalar's text, appended to `out` (a collection writes nothing:
    /// [`Ordered::flow_at`] writes those).
    fn scalar_into(&self, out: &mut String) {
        match self {
            Ordered::Null => out.push_str("null"),
            Ordered::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Ordered::Number(n) => out.push_str(n),
            Ordered::Text(t) => out.push_str(&scalar_of(t)),
            Ordered::List(_) | Ordered::Map(_) => {}
        }
    }
}

/// A YAML scalar for `text`: plain when YAML (1.1 or 1.2) reads it back as
/// the same string, double-quoted (JSON escaping) otherwise.
pub fn scalar(text: &str) -> String {
    scalar_of(text).into_owned()
}

/// [`scalar`], borrowing `text` when it is written plain (most keys and
/// values), so the writer copies it once, into its output.
fn scalar_of(text: &str) -> Cow<'_, str> {
    let plain_bytes = |c: u8| {
        c.is_ascii_alphanumeric() || matches!(c, b'.' | b'/' | b'-' | b'_' | b'@' | b':' | b'+')
    };
    // Text with other characters is quoted whatever it is; checked first,
    // it spares a long string (a guard's CEL) the scans below.
    if !text.bytes().all(plain_bytes) {
        return Cow::Owned(serde_json::to_string(text).unwrap_or_default());
    }
    let ambiguous = (text.len() <= 5
        && ["", "~", "null", "true", "false", "yes", "no", "on", "off", "y", "n"]
            .iter()
            .any(|word| text.eq_ignore_ascii_case(word)))
        // Only a text that starts as a number, `inf` or `nan` does can
        // read as one; the check spares most keys and names the parse.
        || (text.starts_with(|c: char| {
            c.is_ascii_digit() || matches!(c, '+' | '-' | '.' | 'i' | 'I' | 'n' | 'N')
        }) && text.parse::<f64>().is_ok())
        || text.starts_with(|c: char| !c.is_ascii_alphanumeric() && c != '/')
        || text.ends_with(':')
        // (`: ` cannot occur: a space is not plain. A pair of bytes is
        // compared in place: `str::contains` builds a searcher, which costs
        // more than these short texts.)
        || text.as_bytes().windows(2).any(|pair| pair == b"0x")
        || text.chars().next().is_some_and(|c| c.is_ascii_digit()) && text.contains(':');
    if !ambiguous {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(serde_json::to_string(text).unwrap_or_default())
    }
}

/// Widest line a collection is written on in flow style.
const FLOW_WIDTH: usize = 80;

/// The longest run of a wrapped string's text on one line.
const WRAP_WIDTH: usize = 96;

/// How a text is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// A top-level key that holds a collection is set apart by an empty
    /// line (a spec a person edits).
    pub spaced: bool,
    /// A long quoted string is folded over several lines ([`wrapped`]).
    pub wrap: bool,
}

/// A spec a person edits (`harden init`).
pub const SPEC: Layout = Layout {
    spaced: true,
    wrap: false,
};

/// A Kubernetes manifest harden writes (the admission guard's): no empty
/// lines, long strings folded for the reviewer and for linters.
pub const MANIFEST: Layout = Layout {
    spaced: false,
    wrap: true,
};

/// Writes `value` (a mapping) as block YAML. `comment` is asked for each
/// key's path (`app.name`, `egress[0].hosts`) and may return lines to write
/// above it; a top-level key that holds a collection is set apart by an
/// empty line.
pub fn write(value: &Ordered, comment: &dyn Fn(&str) -> Option<String>) -> String {
    let mut writer = Writer::new(SPEC, comment);
    writer.document(value);
    writer.out
}

/// One document of a stream as [`stream`] wrote it: the line of its first
/// key (where a reader says it starts) and where each of its fields is,
/// lines counted from that line (as [`crate::objects::Manifest`] keeps them).
#[derive(Debug, Clone)]
pub struct Placed {
    pub start_line: usize,
    pub locations: Locations,
}

/// Writes `documents` (mappings) as one stream in `layout`, each after a
/// `---` line; `comment(index, path)` is asked as [`write()`] asks. Gives the
/// text and where each document was written, lines counted from the
/// stream's first line.
pub fn stream(
    documents: &[Ordered],
    layout: Layout,
    comment: &dyn Fn(usize, &str) -> Option<String>,
) -> (String, Vec<Placed>) {
    let mut out = String::new();
    let mut placed = Vec::with_capacity(documents.len());
    let mut line = 1;
    for (index, document) in documents.iter().enumerate() {
        let of_this = |path: &str| comment(index, path);
        let mut writer = Writer::new(layout, &of_this);
        writer.out = std::mem::take(&mut out);
        writer.line = line;
        writer.line("---");
        let root = writer.document(document);
        // A reader says a document starts on its first key's line.
        let start_line = match &root {
            Children::Mapping(entries) if !entries.is_empty() => entries[0].1.position.line,
            _ => line + 1,
        };
        let locations = Locations::written(root);
        placed.push(Placed {
            start_line,
            locations: locations.relative_to(start_line),
        });
        out = writer.out;
        line = writer.line;
    }
    (out, placed)
}

/// Writes text line by line, knowing the line it is on.
struct Writer<'a> {
    out: String,
    /// The line the next line written is (from 1).
    line: usize,
    layout: Layout,
    comment: &'a dyn Fn(&str) -> Option<String>,
    /// The path of the key being written (`spec.rules[0].name`), grown and
    /// cut back as the writer goes down and up.
    path: String,
}

impl<'a> Writer<'a> {
    fn new(layout: Layout, comment: &'a dyn Fn(&str) -> Option<String>) -> Writer<'a> {
        Writer {
            out: String::new(),
            line: 1,
            layout,
            comment,
            path: String::new(),
        }
    }

    /// Writes `text` (one or more lines) and a newline.
    fn line(&mut self, text: &str) {
        self.out.push_str(text);
        self.end_line();
    }

    fn end_line(&mut self) {
        self.out.push('\n');
        self.line += 1;
    }

    /// `indent` spaces, then `- ` when `dash` (in the last two of them).
    fn lead(&mut self, indent: usize, dash: bool) {
        let spaces = if dash { indent - 2 } else { indent };
        push_spaces(&mut self.out, spaces);
        if dash {
            self.out.push_str("- ");
        }
    }

    /// A top-level mapping, its keys at column 1.
    fn document(&mut self, value: &Ordered) -> Children {
        let Ordered::Map(entries) = value else {
            return Children::Leaf;
        };
        let mut placed = Vec::with_capacity(entries.len());
        for (key, value) in entries {
            if self.layout.spaced && !value.is_scalar() {
                self.line("");
            }
            self.path.clear();
            self.path.push_str(key);
            placed.push((key.as_str().into(), self.entry(0, key, value, false)));
        }
        Children::Mapping(placed)
    }

    /// One `key: value` at `indent`, its path in `self.path`; `dash` writes
    /// it as the first key of a list item (`- key: value`, the dash in the
    /// two columns before `indent`).
    fn entry(&mut self, indent: usize, key: &str, value: &Ordered, dash: bool) -> Located {
        if let Some(text) = (self.comment)(&self.path) {
            // A comment above a list item's first key sits above the dash.
            let at = if dash { indent - 2 } else { indent };
            for line in text.lines() {
                self.lead(at, false);
                self.out.push_str("# ");
                self.line(line);
            }
        }
        let position = Position {
            line: self.line,
            column: indent + 1,
        };
        let key = scalar_of(key);
        // The column the value starts at, after `key: `.
        let column = indent + key.len() + 3;
        if let Ordered::Text(text) = value {
            self.lead(indent, dash);
            self.out.push_str(&key);
            self.out.push_str(": ");
            if self.layout.wrap {
                // A wrapped string may take more than one line.
                self.line += wrap_into(&mut self.out, text, indent + 2);
            } else {
                self.out.push_str(&scalar_of(text));
            }
            self.end_line();
            return Located {
                position,
                children: Children::Leaf,
            };
        }
        let children = match value.flow_at(self.line, column) {
            Some((flow, children))
                if value.is_scalar()
                    || (indent > 0 && indent + key.len() + 2 + flow.len() <= FLOW_WIDTH)
                    || matches!(value, Ordered::List(l) if l.is_empty())
                    || matches!(value, Ordered::Map(m) if m.is_empty()) =>
            {
                self.lead(indent, dash);
                self.out.push_str(&key);
                self.out.push_str(": ");
                self.line(&flow);
                children
            }
            _ => {
                self.lead(indent, dash);
                self.out.push_str(&key);
                self.line(":");
                self.block(indent + 2, value)
            }
        };
        Located { position, children }
    }

    /// A collection's items, one per line, at `indent`, its path in
    /// `self.path`.
    fn block(&mut self, indent: usize, value: &Ordered) -> Children {
        let depth = self.path.len();
        match value {
            Ordered::Map(entries) => Children::Mapping(
                entries
                    .iter()
                    .map(|(key, value)| {
                        self.path.push('.');
                        self.path.push_str(key);
                        let located = self.entry(indent, key, value, false);
                        self.path.truncate(depth);
                        (key.as_str().into(), located)
                    })
                    .collect(),
            ),
            Ordered::List(items) => {
                let mut placed = Vec::with_capacity(items.len());
                for (index, item) in items.iter().enumerate() {
                    self.path.push('[');
                    self.path.push_str(&index.to_string());
                    self.path.push(']');
                    let item_depth = self.path.len();
                    let located = match item {
                        Ordered::Map(entries) if !entries.is_empty() => {
                            let mut keys = Vec::with_capacity(entries.len());
                            for (n, (key, value)) in entries.iter().enumerate() {
                                self.path.push('.');
                                self.path.push_str(key);
                                let located = self.entry(indent + 2, key, value, n == 0);
                                self.path.truncate(item_depth);
                                keys.push((key.as_str().into(), located));
                            }
                            Located {
                                position: keys[0].1.position,
                                children: Children::Mapping(keys),
                            }
                        }
                        other => {
                            let position = Position {
                                line: self.line,
                                column: indent + 3,
                            };
                            match other.flow_at(self.line, indent + 3) {
                                Some((flow, children)) => {
                                    self.lead(indent + 2, true);
                                    self.line(&flow);
                                    Located { position, children }
                                }
                                None => {
                                    self.lead(indent + 2, true);
                                    self.out.pop();
                                    self.end_line();
                                    let position = Position {
                                        line: self.line,
                                        column: indent + 3,
                                    };
                                    let children = self.block(indent + 2, other);
                                    Located { position, children }
                                }
                            }
                        }
                    };
                    self.path.truncate(depth);
                    placed.push(located);
                }
                Children::Sequence(placed)
            }
            scalar => {
                let flow = scalar.flow().unwrap_or_default();
                self.lead(indent, false);
                self.line(&flow);
                Children::Leaf
            }
        }
    }
}

/// `n` spaces (an indent), copied from a run of them: cheaper than
/// pushing one `char` at a time.
fn push_spaces(out: &mut String, n: usize) {
    const SPACES: &str = "                                ";
    let mut left = n;
    while left > 0 {
        let run = left.min(SPACES.len());
        out.push_str(&SPACES[..run]);
        left -= run;
    }
}

/// [`wrap_into`] for ASCII text (the guard's CEL), where a character is a
/// byte: each line is cut at the last break point within WRAP_WIDTH
/// characters (else at the first one after), found by looking at the few
/// bytes around the cut rather than walking every byte. Gives the number of
/// line breaks written.
fn wrap_ascii(out: &mut String, quoted: &str, indent: usize) -> usize {
    let bytes = quoted.as_bytes();
    let breakable = |at: usize| {
        bytes[at] == b' '
            && at > 0
            && at + 1 < bytes.len()
            && bytes[at - 1] != b' '
            && bytes[at + 1] != b' '
    };
    let mut start = 0;
    let mut breaks = 0;
    loop {
        // The character that makes the line longer than WRAP_WIDTH.
        let over = start + WRAP_WIDTH;
        if over >= bytes.len() {
            break;
        }
        let Some(at) = (start..=over)
            .rev()
            .find(|&at| breakable(at))
            .or_else(|| (over + 1..bytes.len()).find(|&at| breakable(at)))
        else {
            break;
        };
        out.push_str(&quoted[start..at]);
        out.push('\n');
        push_spaces(out, indent);
        start = at + 1;
        breaks += 1;
    }
    out.push_str(&quoted[start..]);
    breaks
}

/// A string as a double-quoted YAML scalar over several lines, each
/// continuation indented by `indent` spaces, when it is long (the admission
/// guard's CEL, which linters would flag); a short string as [`scalar`]
/// writes it. A line is only broken at a single space between two other
/// characters, which YAML folds back into that space, so the value read is
/// the value written.
pub fn wrapped(text: &str, indent: usize) -> String {
    let mut out = String::new();
    wrap_into(&mut out, text, indent);
    out
}

/// [`wrapped`], appended to `out`; gives the number of line breaks written.
fn wrap_into(out: &mut String, text: &str, indent: usize) -> usize {
    let quoted = scalar_of(text);
    // Plain text has no spaces to break at; a line of at most WRAP_WIDTH
    // bytes has at most that many characters: nothing to break.
    if !quoted.starts_with('"') || quoted.len() <= WRAP_WIDTH {
        out.push_str(&quoted);
        return 0;
    }
    if quoted.is_ascii() {
        return wrap_ascii(out, &quoted, indent);
    }
    // Lines are measured in characters; the break points are ASCII spaces,
    // so the text is walked and copied as bytes (a byte of a multi-byte
    // character is never a space), counting the bytes that start one.
    let bytes = quoted.as_bytes();
    out.reserve(quoted.len() + quoted.len() / WRAP_WIDTH * (indent + 1));
    let mut line = 0;
    // The last break point: its character index and byte offset.
    let mut last_break = None;
    let mut start = 0;
    let mut breaks = 0;
    // The index of the current character.
    let mut i = 0;
    for (at_byte, &byte) in bytes.iter().enumerate() {
        // A continuation byte is part of the character before it.
        if byte & 0xC0 == 0x80 {
            continue;
        }
        let breakable = byte == b' '
            && at_byte > 0
            && at_byte + 1 < bytes.len()
            && bytes[at_byte - 1] != b' '
            && bytes[at_byte + 1] != b' ';
        if breakable {
            last_break = Some((i, at_byte));
        }
        line += 1;
        if line > WRAP_WIDTH
            && let Some((at, at_byte)) = last_break.take()
        {
            out.push_str(&quoted[start..at_byte]);
            out.push('\n');
            push_spaces(out, indent);
            start = at_byte + 1;
            line = i - at;
            breaks += 1;
        }
        i += 1;
    }
    out.push_str(&quoted[start..]);
    breaks
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
        // What reads as a float, whatever its first character.
        for number in ["inf", "Infinity", "NaN", "nan", "1e5", "+1", ".5", "1_0"] {
            let quoted = number.parse::<f64>().is_ok();
            assert_eq!(scalar(number).starts_with('"'), quoted, "{number}");
        }
        assert_eq!(scalar("info"), "info");
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

    #[test]
    fn wrapped_yaml_strings_read_back_as_written() {
        let long = "a == 'b c' && x.all(c, c.name  !=  'q\\\\ \\'' || \"é\") ".repeat(12);
        for text in [long.as_str(), "short", "", "  leading and trailing  "] {
            let wrapped = wrapped(text, 8);
            assert!(wrapped.lines().all(|l| l.len() <= 110), "{wrapped}");
            let document = format!("key: {wrapped}\n");
            let read = crate::yaml::parse_stream(&document).unwrap();
            assert_eq!(read[0]["key"], text, "{wrapped}");
        }
        assert!(wrapped(&long, 8).lines().count() > 3);
    }
    /// The wrapping as first written (a `Vec<char>` walk), which the faster
    /// byte-range version must match byte for byte.
    fn wrapped_by_chars(text: &str, indent: usize) -> String {
        let quoted = scalar(text);
        if !quoted.starts_with('"') {
            return quoted;
        }
        let chars: Vec<char> = quoted.chars().collect();
        let mut out = String::new();
        let (mut line, mut last_break, mut start) = (0, None, 0);
        for (i, &c) in chars.iter().enumerate() {
            if c == ' '
                && i > 0
                && i + 1 < chars.len()
                && chars[i - 1] != ' '
                && chars[i + 1] != ' '
            {
                last_break = Some(i);
            }
            line += 1;
            if line > WRAP_WIDTH
                && let Some(at) = last_break.take()
            {
                out.extend(&chars[start..at]);
                out.push('\n');
                out.push_str(&" ".repeat(indent));
                start = at + 1;
                line = i - at;
            }
        }
        out.extend(&chars[start..]);
        out
    }

    #[test]
    fn wrapping_counts_characters_not_bytes() {
        let words = [
            "é",
            "ab",
            "'x'",
            "  ",
            "\"",
            "日本語",
            "a\\b",
            "c.name",
            " ",
            "0123456789",
        ];
        // ASCII text takes its own path: the same words without the others.
        let ascii: Vec<&str> = words.iter().copied().filter(|w| w.is_ascii()).collect();
        for seed in 0..400usize {
            let words: &[&str] = if seed % 2 == 0 { &words } else { &ascii };
            let mut text = String::new();
            for step in 0..(seed % 90 + 1) {
                text.push_str(words[(seed * 7 + step * 13 + step * step) % words.len()]);
                if (seed + step) % 3 != 0 {
                    text.push(' ');
                }
            }
            for indent in [0, 8] {
                assert_eq!(
                    wrapped(&text, indent),
                    wrapped_by_chars(&text, indent),
                    "{text:?}"
                );
            }
        }
    }

    /// Every field's position as the writer recorded it is where the
    /// reader finds it (line and column), through comments, wrapped
    /// strings, flow collections and list items.
    #[test]
    fn written_positions_are_where_the_reader_finds_them() {
        let long = "x.all(c, c.name != 'daprd' && c.image == variables.images[app]) ".repeat(4);
        let text = |t: &str| Ordered::Text(t.to_string());
        let document = Ordered::Map(vec![
            ("apiVersion".into(), text("v1")),
            (
                "metadata".into(),
                Ordered::Map(vec![
                    ("name".into(), text("a b")),
                    (
                        "labels".into(),
                        Ordered::Map(vec![("app.kubernetes.io/name".into(), text("x"))]),
                    ),
                ]),
            ),
            (
                "spec".into(),
                Ordered::Map(vec![
                    ("groups".into(), Ordered::List(vec![text(""), text("apps")])),
                    (
                        "rules".into(),
                        Ordered::List(vec![
                            Ordered::Map(vec![
                                ("expression".into(), text(&long)),
                                ("message".into(), text("m: n")),
                            ]),
                            Ordered::Map(vec![("expression".into(), text("true"))]),
                        ]),
                    ),
                    ("empty".into(), Ordered::List(vec![])),
                ]),
            ),
        ]);
        let documents = [document.clone(), document];
        let (written, placed) = stream(&documents, MANIFEST, &|index, path| {
            (index == 1 && matches!(path, "apiVersion" | "spec.rules[1].expression"))
                .then(|| "why\nand how".to_string())
        });
        let read: Vec<_> = crate::yaml::manifests(&written)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(read.len(), 2);
        for ((read, placed), document) in read.into_iter().zip(&placed).zip(&documents) {
            assert_eq!(read.value, document.to_json(), "{written}");
            assert_eq!(read.start_line, placed.start_line, "{written}");
            let parsed = read.locations.relative_to(read.start_line);
            let (mine, theirs) = (placed.locations.all(), parsed.all());
            assert!(mine.len() > 10);
            assert_eq!(mine, theirs, "{written}");
        }
        // 120: the line length `.yamllint.yaml` allows.
        assert!(written.lines().count() > 20 && written.lines().all(|l| l.len() <= 120));
        assert!(
            written.contains("\n# why\n# and how\napiVersion: v1\n"),
            "{written}"
        );
        assert!(
            written.contains("\n    # why\n    # and how\n    - expression: \"true\"\n"),
            "{written}"
        );
    }
}
