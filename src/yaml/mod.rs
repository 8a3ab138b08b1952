//! Every YAML parse in `harden` goes through this module, with one parser
//! (yaml-rust2's event parser, see [`tree`]) that keeps positions, and a
//! quick reader for plain block layout ([`block`]) that reads the same tree
//! from most texts in one pass and leaves every other text to it.
//!
//! Two reading modes:
//! - **Kubernetes** ([`parse_stream`], [`manifests`]): manifests are read as
//!   kubectl and the API server read them (sigs.k8s.io/yaml on go-yaml v2):
//!   YAML 1.1 scalars ([`resolve`]), merge keys `<<`, standard tags, duplicate
//!   keys refused, JSON files and concatenated JSON values accepted.
//! - **Spec** ([`parse_document`]): YAML 1.2 core scalars, no explicit tags,
//!   duplicate keys refused, one document per file; the tree is checked
//!   against the type's JSON Schema so every type mismatch is reported at
//!   once ([`schema`]), and unknown fields are collected with their paths.
//!
//! Both modes accept a UTF-8 byte-order mark, and bound the work a hostile
//! text can cause (size, nesting depth, alias expansion) before or while
//! parsing. [`Locations`] map field paths (`egress[1].cidr`) to where they
//! were written, from the same tree.

mod block;
mod locations;
mod resolve;
mod schema;
mod text;
mod tree;
pub mod write;

use std::any::TypeId;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

use schemars::JsonSchema;
use serde::de::DeserializeOwned;

pub use locations::Locations;
pub use schema::TypeError;
pub use text::decode;
use tree::{Kind, Limits, Node, Reader};

/// How a text is read; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Kubernetes,
    Spec,
}

/// The largest spec file read (a spec is a page or two of YAML).
pub const SPEC_MAX_BYTES: usize = 1024 * 1024;
/// Deepest nesting of a spec (the spec itself nests five levels).
pub(super) const SPEC_LIMITS: Limits = Limits {
    depth: 64,
    alias_nodes: 10_000,
};
/// Deepest nesting of a manifest (CRD schemas nest a few dozen levels).
pub(super) const MANIFEST_LIMITS: Limits = Limits {
    depth: 256,
    alias_nodes: 1_000_000,
};

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

impl SyntaxError {
    fn at(position: Position, message: impl Into<String>) -> SyntaxError {
        SyntaxError {
            position: Some(position),
            message: message.into(),
        }
    }

    fn whole(message: impl Into<String>) -> SyntaxError {
        SyntaxError {
            position: None,
            message: message.into(),
        }
    }
}

/// A parsed document, with what had to be left out of it.
#[derive(Debug)]
pub struct Parsed<T> {
    pub value: T,
    /// Paths of fields that the type does not know, as paths in `value`
    /// (see [`Parsed::source_path`]).
    pub unknown_fields: Vec<String>,
    /// Values of the wrong type; they were left out of `value`.
    pub type_errors: Vec<TypeError>,
    pub locations: Locations,
    /// Sequence items left out of `value`, to map paths in `value` back to
    /// paths in the text.
    removed: schema::Removed,
}

impl<T> Parsed<T> {
    /// The path in the text of `path` in `value` (they differ after a list
    /// item of the wrong type was left out).
    pub fn source_path(&self, path: &str) -> String {
        self.removed.source_path(path)
    }
}

/// Parses one spec-mode YAML document into `T`, reporting every value whose
/// type does not fit `T`'s JSON Schema and collecting unknown fields.
pub fn parse_document<T: DeserializeOwned + JsonSchema + 'static>(
    text: &str,
) -> Result<Parsed<T>, SyntaxError> {
    parse_document_against(text, json_schema::<T>)
}

/// [`parse_document`] against a schema the caller has (the spec's is
/// embedded: [`crate::spec::json_schema`]), asked for only when the
/// document does not deserialize as it is.
pub fn parse_document_against<T, S>(
    text: &str,
    root_schema: impl FnOnce() -> Result<S, SyntaxError>,
) -> Result<Parsed<T>, SyntaxError>
where
    T: DeserializeOwned,
    S: std::ops::Deref<Target = serde_json::Value>,
{
    if text.len() > SPEC_MAX_BYTES {
        return Err(SyntaxError::whole(format!(
            "the spec is {} bytes; a spec is at most {SPEC_MAX_BYTES} bytes (1 MiB)",
            text.len()
        )));
    }
    let text = text::strip_bom(text);
    let mut node = spec_tree(text)?;
    let locations = Locations::of(&node);
    // A document every value of which has its type deserializes as it is:
    // the schema check below finds nothing in it (the types and the schema
    // are one: `committed_schema_is_the_derived_one`), so it runs only when
    // deserializing fails, to name every mistyped value at once. This spares
    // a render reading the schema at all (4% of its instructions).
    if let Ok(json) = json_of(&node) {
        let mut unknown_fields = Vec::new();
        if let Ok(value) = serde_ignored::deserialize(json, |path| {
            unknown_fields.push(path_to_string(&path));
        }) {
            return Ok(Parsed {
                value,
                unknown_fields,
                type_errors: Vec::new(),
                locations,
                removed: schema::Removed::default(),
            });
        }
    }
    let root_schema = root_schema()?;
    let (type_errors, removed) = schema::check(&mut node, &root_schema);
    let json = to_json(node)?;
    let mut unknown_fields = Vec::new();
    let value: T = serde_ignored::deserialize(json, |path| {
        unknown_fields.push(path_to_string(&path));
    })
    .map_err(|error| SyntaxError::whole(error.to_string()))?;
    Ok(Parsed {
        value,
        unknown_fields,
        type_errors,
        locations,
        removed,
    })
}

/// `T`'s JSON Schema as JSON, generated once per type and process (`check`
/// parses a thousand specs against the same schema).
fn json_schema<T: JsonSchema + 'static>() -> Result<Arc<serde_json::Value>, SyntaxError> {
    static SCHEMAS: OnceLock<Mutex<HashMap<TypeId, Arc<serde_json::Value>>>> = OnceLock::new();
    let schemas = SCHEMAS.get_or_init(Mutex::default);
    let cached = schemas
        .lock()
        .map_err(|_| SyntaxError::whole("the schema cache is poisoned"))?
        .get(&TypeId::of::<T>())
        .cloned();
    if let Some(schema) = cached {
        return Ok(schema);
    }
    let schema = Arc::new(
        serde_json::to_value(schemars::schema_for!(T))
            .map_err(|e| SyntaxError::whole(e.to_string()))?,
    );
    if let Ok(mut schemas) = schemas.lock() {
        schemas.insert(TypeId::of::<T>(), Arc::clone(&schema));
    }
    Ok(schema)
}

/// Reads the one document of a spec text.
fn spec_tree(text: &str) -> Result<Node, SyntaxError> {
    let empty = || SyntaxError::whole("the document is empty");
    if text.trim().is_empty() {
        return Err(empty());
    }
    // A spec in plain block layout, one document, is read without the
    // full parser; anything else (and every error) is the full parser's,
    // after the scans for the directives and deep flow collections that
    // the quick reader never reads.
    if let Some(mut documents) = block::documents(text, Mode::Spec, SPEC_LIMITS)
        && documents.len() == 1
        && !is_null(&documents[0].root)
    {
        return Ok(documents.remove(0).root);
    }
    check_flow_depth(text, SPEC_LIMITS.depth)?;
    check_version(text, Mode::Spec)?;
    let mut reader = Reader::new(text, Mode::Spec, SPEC_LIMITS);
    let document = reader.next_document().ok_or_else(empty)??;
    if let Some(second) = reader.next_document() {
        let second = second?;
        if !is_null(&second.root) || second.marker_line.is_none() {
            let line = second.marker_line.unwrap_or(second.start_line);
            return Err(SyntaxError::at(
                Position { line, column: 1 },
                format!(
                    "a spec file holds one document, but a second one starts here (line {line}); \
                     remove this `---` and what follows, or move it to its own file"
                ),
            ));
        }
    }
    if is_null(&document.root) {
        return Err(empty());
    }
    Ok(document.root)
}

fn is_null(node: &Node) -> bool {
    matches!(&node.kind, Kind::Scalar(s) if s.value == resolve::Value::Null)
}

/// Refuses a `%YAML` version directive for a YAML this reader does not
/// implement. yaml-rust2 reads the directive and ignores its version (its
/// parser.rs leaves the check commented out), so `%YAML 2.0` would be read
/// as if it were 1.2. YAML 1.2 (yaml.org/spec/1.2.2, 6.8.1 "YAML
/// Directives") says a document of a higher major version "should be
/// rejected"; libyaml refuses every version but 1.1 and 1.2 ("found
/// incompatible YAML document"), and go-yaml v2, which kubectl's
/// sigs.k8s.io/yaml reads with, every version but 1.1 (its parserc.go
/// `yaml_parser_process_directives`, as quoted in a copy of the source, not
/// checked against the Kubernetes fork). So: a spec, read as YAML 1.2 core,
/// takes `%YAML 1.2` only (a 1.1 document's `yes`, `010` or `1:20` would be
/// read otherwise than its author meant); a manifest takes 1.1 and 1.2.
fn check_version(text: &str, mode: Mode) -> Result<(), SyntaxError> {
    // Only a line that starts with `%` can be a directive: most texts have none.
    if !text.starts_with('%') && !text.contains("\n%") {
        return Ok(());
    }
    let scanner = yaml_rust2::scanner::Scanner::new(text.chars());
    for yaml_rust2::scanner::Token(mark, token) in scanner {
        let yaml_rust2::scanner::TokenType::VersionDirective(major, minor) = token else {
            continue;
        };
        let accepted: &[u32] = match mode {
            Mode::Spec => &[2],
            Mode::Kubernetes => &[1, 2],
        };
        if major == 1 && accepted.contains(&minor) {
            continue;
        }
        let (read, fix) = match mode {
            Mode::Spec => (
                "a spec is read as YAML 1.2",
                "remove the %YAML line (or write %YAML 1.2) and write the document in YAML 1.2",
            ),
            Mode::Kubernetes => (
                "manifests are read as YAML 1.1 and 1.2, as kubectl reads them",
                "remove the %YAML line, or write %YAML 1.1",
            ),
        };
        return Err(SyntaxError::at(
            Position {
                line: mark.line(),
                column: mark.col() + 1,
            },
            format!("%YAML {major}.{minor} is a YAML version harden does not read: {read}; {fix}"),
        ));
    }
    Ok(())
}

fn check_flow_depth(text: &str, limit: usize) -> Result<(), SyntaxError> {
    match text::flow_depth_exceeds(text, limit) {
        Some(line) => Err(SyntaxError::at(
            Position { line, column: 1 },
            format!("brackets nest more than {limit} levels deep here; flatten the document"),
        )),
        None => Ok(()),
    }
}

/// One manifest document read in Kubernetes mode.
#[derive(Debug)]
pub struct ManifestDocument {
    pub value: serde_json::Value,
    /// Line of the document's first line in the text (1-based).
    pub start_line: usize,
    /// Positions of its fields, with lines counted from the top of the text.
    pub locations: Locations,
}

/// Reads a manifest text (a YAML stream, a JSON value, or several
/// concatenated JSON values) one document at a time, so a caller can process
/// and drop each before the next is built. Empty documents are skipped.
pub fn manifests(text: &str) -> Manifests<'_> {
    manifests_with(text, false)
}

/// [`manifests`], but a CustomResourceDefinition's `spec` (its OpenAPI
/// schemas: most of the bytes of real repositories) is only checked as
/// Kubernetes would read it, then left out of the value and the locations:
/// the audit judges objects, never the schemas of their types.
pub fn manifests_lean(text: &str) -> Manifests<'_> {
    manifests_with(text, true)
}

fn manifests_with(text: &str, lean: bool) -> Manifests<'_> {
    let text = text::strip_bom(text);
    let chunks = match json_stream(text) {
        Some(offsets) => offsets,
        None => vec![(0, text.len())],
    };
    Manifests {
        text,
        chunks: chunks.into_iter(),
        current: None,
        failed: false,
        lean,
    }
}

/// Iterator returned by [`manifests`].
pub struct Manifests<'a> {
    text: &'a str,
    chunks: std::vec::IntoIter<(usize, usize)>,
    /// The reader of the current chunk, and that chunk's line and column offset.
    current: Option<(Source<'a>, usize, usize)>,
    failed: bool,
    /// See [`manifests_lean`].
    lean: bool,
}

impl Iterator for Manifests<'_> {
    type Item = Result<ManifestDocument, SyntaxError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.failed {
            if self.current.is_none() {
                let (start, end) = self.chunks.next()?;
                let chunk = &self.text[start..end];
                let before = &self.text[..start];
                let lines = before.matches('\n').count();
                let columns = start - before.rfind('\n').map_or(0, |i| i + 1);
                // The quick reader reads no directive and no flow collection
                // past the depth limit: the scans before the full parser
                // are for the texts it leaves.
                let source = match block::documents(chunk, Mode::Kubernetes, MANIFEST_LIMITS) {
                    Some(documents) => Source::Block(documents.into_iter()),
                    None => {
                        if let Err(error) = check_flow_depth(chunk, MANIFEST_LIMITS.depth)
                            .and_then(|()| check_version(chunk, Mode::Kubernetes))
                        {
                            self.failed = true;
                            return Some(Err(shift_error(error, lines, columns)));
                        }
                        Source::Full(Box::new(Reader::new(
                            chunk,
                            Mode::Kubernetes,
                            MANIFEST_LIMITS,
                        )))
                    }
                };
                self.current = Some((source, lines, columns));
            }
            let (reader, lines, columns) = self.current.as_mut()?;
            let (lines, columns) = (*lines, *columns);
            match reader.next_document() {
                None => self.current = None,
                Some(Err(error)) => {
                    self.failed = true;
                    return Some(Err(shift_error(error, lines, columns)));
                }
                Some(Ok(mut document)) => {
                    if is_null(&document.root) {
                        continue;
                    }
                    if self.lean
                        && let Err(error) = drop_definition_schema(&mut document.root)
                    {
                        self.failed = true;
                        return Some(Err(shift_error(error, lines, columns)));
                    }
                    let mut locations = Locations::of(&document.root);
                    locations.shift(lines, columns);
                    let value = match to_json(document.root) {
                        Ok(value) => value,
                        Err(error) => {
                            self.failed = true;
                            return Some(Err(shift_error(error, lines, columns)));
                        }
                    };
                    return Some(Ok(ManifestDocument {
                        value,
                        start_line: document.start_line + lines,
                        locations,
                    }));
                }
            }
        }
        None
    }
}

/// Where the quick block reader and the full parser read `text`
/// differently, in either mode; `None` when they agree (or the quick reader
/// leaves the text to the full parser). For the fuzzer.
#[doc(hidden)]
pub fn readers_disagree(text: &str) -> Option<String> {
    [
        (Mode::Spec, SPEC_LIMITS),
        (Mode::Kubernetes, MANIFEST_LIMITS),
    ]
    .into_iter()
    .find_map(|(mode, limits)| block::compare(text, mode, limits).err())
}

/// The documents of one chunk: read by [`block`] when it could read them
/// all, by the full parser otherwise.
enum Source<'a> {
    Block(std::vec::IntoIter<tree::Document>),
    Full(Box<Reader<'a>>),
}

impl Source<'_> {
    fn next_document(&mut self) -> Option<Result<tree::Document, SyntaxError>> {
        match self {
            Source::Block(documents) => documents.next().map(Ok),
            Source::Full(reader) => reader.next_document(),
        }
    }
}

fn shift_error(mut error: SyntaxError, lines: usize, columns: usize) -> SyntaxError {
    if let Some(position) = &mut error.position {
        *position = locations::shift(*position, lines, columns);
    }
    error
}

/// Byte ranges of the values of a text holding two or more concatenated JSON
/// values (`{...}{...}`), which YAML cannot read as one stream.
fn json_stream(text: &str) -> Option<Vec<(usize, usize)>> {
    let trimmed = text.trim_start();
    if !trimmed.starts_with(['{', '[']) {
        return None;
    }
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<serde::de::IgnoredAny>();
    let mut ranges = Vec::new();
    let mut start = text.len() - trimmed.len();
    while let Some(result) = stream.next() {
        result.ok()?;
        let end = stream.byte_offset();
        ranges.push((start, end));
        start = end + (text[end..].len() - text[end..].trim_start().len());
    }
    (ranges.len() > 1).then_some(ranges)
}

/// Parses a manifest text into generic values (Kubernetes mode).
pub fn parse_stream(text: &str) -> Result<Vec<serde_json::Value>, SyntaxError> {
    manifests(text)
        .map(|document| document.map(|d| d.value))
        .collect()
}

/// Leaves the `spec` of a CustomResourceDefinition out of `root`, once the
/// whole document is known to convert to JSON (the error [`to_json`] would
/// give, first in document order, is returned).
fn drop_definition_schema(root: &mut Node) -> Result<(), SyntaxError> {
    let Kind::Mapping(entries) = &mut root.kind else {
        return Ok(());
    };
    let definition = entries.iter().any(|entry| {
        entry.key == "kind"
            && matches!(&entry.value.kind, Kind::Scalar(s)
                if s.to_json().as_ref().and_then(serde_json::Value::as_str)
                    == Some("CustomResourceDefinition"))
    });
    if !definition {
        return Ok(());
    }
    fn check(node: &Node) -> Result<(), SyntaxError> {
        match &node.kind {
            Kind::Scalar(scalar) => scalar_json(node.position, scalar).map(drop),
            Kind::Sequence(items) => items.iter().try_for_each(check),
            Kind::Mapping(entries) => entries.iter().try_for_each(|e| check(&e.value)),
        }
    }
    entries.iter().try_for_each(|entry| check(&entry.value))?;
    entries.retain(|entry| entry.key != "spec");
    Ok(())
}

/// A scalar as JSON. Kubernetes converts YAML to JSON, which cannot hold
/// infinities or NaN, so those are refused where they were written.
fn scalar_json(
    position: Position,
    scalar: &resolve::Scalar,
) -> Result<serde_json::Value, SyntaxError> {
    scalar.to_json().ok_or_else(|| {
        SyntaxError::at(
            position,
            format!(
                "`{}` is not a number JSON can hold, so Kubernetes refuses it; quote it if \
                 it is text",
                scalar.text
            ),
        )
    })
}

/// The node as JSON (see [`scalar_json`]).
fn to_json(node: Node) -> Result<serde_json::Value, SyntaxError> {
    Ok(match node.kind {
        Kind::Scalar(scalar) => match scalar.into_json() {
            Ok(json) => json,
            Err(scalar) => scalar_json(node.position, &scalar)?,
        },
        Kind::Sequence(items) => {
            serde_json::Value::Array(items.into_iter().map(to_json).collect::<Result<_, _>>()?)
        }
        Kind::Mapping(entries) => {
            let mut map = serde_json::Map::new();
            for entry in entries {
                map.insert(entry.key, to_json(entry.value)?);
            }
            serde_json::Value::Object(map)
        }
    })
}

/// [`to_json`] of a tree that is kept (for the schema check, when the
/// value does not deserialize).
fn json_of(node: &Node) -> Result<serde_json::Value, SyntaxError> {
    Ok(match &node.kind {
        Kind::Scalar(scalar) => scalar_json(node.position, scalar)?,
        Kind::Sequence(items) => {
            serde_json::Value::Array(items.iter().map(json_of).collect::<Result<_, _>>()?)
        }
        Kind::Mapping(entries) => {
            let mut map = serde_json::Map::new();
            for entry in entries {
                map.insert(entry.key.clone(), json_of(&entry.value)?);
            }
            serde_json::Value::Object(map)
        }
    })
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

#[cfg(test)]
mod tests;
