//! The embedded templates and the two template environments that render them.
//!
//! Templates live in `templates/` and are compiled into the binary with
//! `include_dir`, so `harden` works from any directory with no data files.
//!
//! Two environments, both with strict undefined (a misspelt variable is an
//! error, never an empty string):
//! - YAML templates (`*.yaml.j2`) use the usual `{{ }}` / `{% %}` syntax and a
//!   formatter that prints every string as a double-quoted YAML scalar, so no
//!   spec value can ever change the structure of a manifest.
//! - Shell templates (`*.sh.j2`) use `[= =]`, `<% %>` and `<# #>`, so bash's
//!   own `${#x[@]}`, `[%s]` in printf formats and `{{` need no escaping, and a
//!   formatter that prints every string single-quoted for the shell.
//!
//! The live scripts' bodies are no templates: `*.body.sh` files (verbatim
//! parts) that a template pastes with `[= verbatim("audit.body.sh") =]`,
//! uncompiled. Every value a body needs is in the header Rust writes
//! ([`crate::scripts`]); minijinja's lexer walks every character of a
//! template (about 12.6 instructions a byte, 0.65 million for the audit
//! body alone), which a part it never compiles does not cost.
//!
//! A failure in here is a bug in `harden`, not in the user's spec.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use include_dir::{Dir, include_dir};
use minijinja::syntax::SyntaxConfig;
use minijinja::value::{Kwargs, Object, ObjectRepr, Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind, Output, State, UndefinedBehavior};

use crate::platform::names;
use crate::quote::{display_path, shell_quote};

static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

/// How a template's output is quoted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Yaml,
    Shell,
    /// Markdown documents: strings are escaped so a value cannot open a
    /// table cell, a link or HTML.
    Markdown,
}

impl Flavor {
    pub fn of(template: &str) -> Flavor {
        if template.ends_with(".sh.j2") {
            Flavor::Shell
        } else if template.ends_with(".md.j2") {
            Flavor::Markdown
        } else {
            Flavor::Yaml
        }
    }
}

/// The suffix of a verbatim part: a file of `templates/` pasted into a
/// template's output as it is (`verbatim(name)`), never compiled.
pub const VERBATIM_SUFFIX: &str = ".body.sh";

/// Whether `name` is a verbatim part rather than a template.
pub fn is_verbatim(name: &str) -> bool {
    name.ends_with(VERBATIM_SUFFIX)
}

/// A verbatim part as a template value: printed as it is by the shell
/// formatter. A safe string would do the same, but `Value` holds strings in
/// an `Arc<str>` of its own: two copies of the 80 KB of bodies on every
/// start.
#[derive(Debug)]
struct Verbatim(Cow<'static, str>);

impl Verbatim {
    fn value(text: Cow<'static, str>) -> Value {
        Value::from_object(Verbatim(text))
    }
}

impl Object for Verbatim {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The compiled template environments.
pub struct Templates {
    yaml: Environment<'static>,
    shell: Environment<'static>,
    markdown: Environment<'static>,
    /// Templates replaced by an organisation's own, with their files.
    overridden: BTreeMap<String, PathBuf>,
}

/// A custom template directory that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("error: cannot read the templates in {dir}: {source}")]
    Unreadable { dir: String, source: std::io::Error },
    #[error(
        "error: {file}: harden has no template of that name; templates it can override: {known}"
    )]
    Unknown { file: String, known: String },
    #[error("error: custom template {file}: {message}")]
    Invalid { file: String, message: String },
    #[error(
        "error: {file}: harden no longer renders this template: {why}, so a custom copy would be ignored; delete the file (an earlier `harden templates export` wrote it)"
    )]
    Retired { file: String, why: &'static str },
    #[error("internal error: the embedded templates do not compile: {0:#}")]
    Embedded(Error),
}

/// Templates earlier versions had, and why an organisation's copy of one
/// is refused rather than taken for an unknown name (or ignored: what it
/// changes would not reach the output, which its owner should know).
const RETIRED: [(&str, &str); 1] = [(
    "08-admission-guard.yaml.j2",
    "the admission guard (08-admission-guard.yaml) is now built and written by harden itself \
     from the specs (cluster.guard sets its mode)",
)];

impl Templates {
    /// The embedded templates, each compiled when first rendered; the test
    /// suite compiles every one of them.
    pub fn embedded() -> Result<Templates, Error> {
        Templates::build(&BTreeMap::new()).map_err(|error| match error {
            LoadError::Embedded(error) => error,
            other => Error::new(ErrorKind::InvalidOperation, other.to_string()),
        })
    }

    /// Loads the embedded templates, replacing those that `dir` provides
    /// (same file names as `harden templates export` writes). Templates not
    /// in `dir` fall back to the embedded ones.
    pub fn with_overrides(dir: &Path) -> Result<Templates, LoadError> {
        let shown = display_path(dir);
        let unreadable = |source| LoadError::Unreadable {
            dir: shown.clone(),
            source,
        };
        let mut overrides = BTreeMap::new();
        let known = Templates::names();
        for entry in std::fs::read_dir(dir).map_err(unreadable)? {
            let path = entry.map_err(unreadable)?.path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string();
            if !path.is_file()
                || name.starts_with('.')
                || !(name.ends_with(".j2") || is_verbatim(&name))
            {
                continue;
            }
            let file = display_path(&path);
            if let Some((_, why)) = RETIRED.iter().find(|(retired, _)| *retired == name) {
                return Err(LoadError::Retired { file, why });
            }
            if !known.contains(&name) {
                return Err(LoadError::Unknown {
                    file,
                    known: known.join(", "),
                });
            }
            let source =
                std::fs::read_to_string(&path).map_err(|source| LoadError::Unreadable {
                    dir: file.clone(),
                    source,
                })?;
            overrides.insert(name, (path, source));
        }
        Templates::build(&overrides)
    }

    /// The environments: an organisation's templates are compiled now, so
    /// a syntax error is reported before anything renders; embedded ones
    /// are compiled when first rendered (a render uses about half of them,
    /// and compiling all cost a render more than rendering did).
    fn build(overrides: &BTreeMap<String, (PathBuf, String)>) -> Result<Templates, LoadError> {
        let environment = |flavor| base_environment(flavor).map_err(LoadError::Embedded);
        let mut yaml = environment(Flavor::Yaml)?;
        let mut shell = environment(Flavor::Shell)?;
        let mut markdown = environment(Flavor::Markdown)?;
        let mut overridden = BTreeMap::new();
        // The verbatim parts (the organisation's, else the embedded), each
        // made a value once: a paste hands out the same text, uncopied (the
        // embedded ones are never copied at all).
        let mut parts: BTreeMap<String, Value> = TEMPLATES
            .files()
            .filter_map(|f| {
                let name = f.path().to_str().filter(|name| is_verbatim(name))?;
                let text = f.contents_utf8()?;
                Some((name.to_string(), Verbatim::value(Cow::Borrowed(text))))
            })
            .collect();
        for (name, (_, source)) in overrides.iter().filter(|(name, _)| is_verbatim(name)) {
            parts.insert(name.clone(), Verbatim::value(Cow::Owned(source.clone())));
        }
        shell.add_function("verbatim", move |name: &str| -> Result<Value, Error> {
            parts.get(name).cloned().ok_or_else(|| {
                Error::new(
                    ErrorKind::TemplateNotFound,
                    format!("no verbatim part {name}"),
                )
            })
        });
        for (name, (path, source)) in overrides {
            if is_verbatim(name) {
                overridden.insert(name.clone(), path.clone());
                continue;
            }
            let target = match Flavor::of(name) {
                Flavor::Yaml => &mut yaml,
                Flavor::Shell => &mut shell,
                Flavor::Markdown => &mut markdown,
            };
            target
                .add_template_owned(name.clone(), source.clone())
                .map_err(|error| LoadError::Invalid {
                    file: display_path(path),
                    message: format!("{error:#}"),
                })?;
            overridden.insert(name.clone(), path.clone());
        }
        Ok(Templates {
            yaml,
            shell,
            markdown,
            overridden,
        })
    }

    /// The file a template was loaded from, when an organisation's template
    /// replaced the embedded one.
    pub fn custom_file(&self, template: &str) -> Option<&Path> {
        self.overridden.get(template).map(PathBuf::as_path)
    }

    /// Renders one template with the given context.
    pub fn render(&self, template: &str, context: &Value) -> Result<String, Error> {
        let environment = match Flavor::of(template) {
            Flavor::Yaml => &self.yaml,
            Flavor::Shell => &self.shell,
            Flavor::Markdown => &self.markdown,
        };
        environment.get_template(template)?.render(context)
    }

    /// Names of the embedded templates.
    pub fn names() -> Vec<String> {
        let mut names: Vec<String> = TEMPLATES
            .files()
            .map(|f| f.path().to_string_lossy().replace('\\', "/"))
            .collect();
        names.sort();
        names
    }

    /// The embedded templates' sources, for `harden templates export`.
    pub fn sources() -> Vec<(String, &'static str)> {
        let mut sources: Vec<(String, &'static str)> = TEMPLATES
            .files()
            .map(|f| {
                (
                    f.path().to_string_lossy().replace('\\', "/"),
                    f.contents_utf8().unwrap_or_default(),
                )
            })
            .collect();
        sources.sort();
        sources
    }
}

/// The embedded file `name` (`templates/` is flat). Its name's bytes are
/// compared: `Dir::get_file` compares paths component by component, about
/// 5,000 instructions a lookup.
fn embedded(name: &str) -> Option<&'static include_dir::File<'static>> {
    TEMPLATES
        .files()
        .find(|f| f.path().as_os_str().as_encoded_bytes() == name.as_bytes())
}

fn base_environment(flavor: Flavor) -> Result<Environment<'static>, Error> {
    let mut environment = Environment::new();
    environment.set_undefined_behavior(UndefinedBehavior::Strict);
    let mut syntax = SyntaxConfig::builder();
    syntax
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true);
    if flavor == Flavor::Shell {
        syntax
            .block_delimiters("<%", "%>")
            .variable_delimiters("[=", "=]")
            .comment_delimiters("<#", "#>");
    }
    environment.set_syntax(syntax.build()?);
    // Embedded templates of this flavour, compiled on first use (and kept).
    environment.set_loader(move |name| {
        if Flavor::of(name) != flavor {
            return Ok(None);
        }
        match embedded(name) {
            None => Ok(None),
            Some(file) => match file.contents_utf8() {
                Some(source) => Ok(Some(source.to_string())),
                None => Err(Error::new(
                    ErrorKind::InvalidOperation,
                    format!("template {name} is not UTF-8"),
                )),
            },
        }
    });
    match flavor {
        Flavor::Yaml => environment.set_formatter(yaml_formatter),
        Flavor::Shell => environment.set_formatter(shell_formatter),
        Flavor::Markdown => environment.set_formatter(markdown_formatter),
    }
    if flavor == Flavor::Yaml {
        environment.add_function("metadata", metadata);
    }
    environment.add_filter("yaml", |value: Value| -> Result<Value, Error> {
        Ok(Value::from_safe_string(yaml_scalar(&value)?))
    });
    environment.add_filter("shell", |value: Value| -> Result<Value, Error> {
        Ok(Value::from_safe_string(shell_word(&value)?))
    });
    environment.add_filter("arg", |value: String| -> Value {
        Value::from_safe_string(crate::quote::shell_arg(&value))
    });
    environment.add_filter("code", |value: String| -> Value {
        Value::from_safe_string(markdown_code(&value))
    });
    Ok(environment)
}

/// `metadata(name)`, the `metadata:` block that opens an object of the app:
/// its `name`, the app's `namespace` and two labels, the app's name (under
/// the part-of key with `part_of=true`) and harden as the manager. One tag
/// where the block was seven: minijinja's compile cost is per tag
/// (docs/book/commands.md, "Speed").
fn metadata(state: &State, name: &Value, kwargs: Kwargs) -> Result<Value, Error> {
    let part_of: Option<bool> = kwargs.get("part_of")?;
    kwargs.assert_all_used()?;
    let context = |key: &str| {
        state
            .lookup(key)
            // A string: minijinja's builtin `namespace()` answers to the
            // name where the context has none.
            .filter(|value| value.kind() == ValueKind::String)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::UndefinedError,
                    format!("metadata() needs the string `{key}` in the template's context"),
                )
            })
    };
    let app_label = if part_of == Some(true) {
        names::PART_OF_LABEL
    } else {
        names::APP_NAME_LABEL
    };
    let out = format!(
        "metadata:\n  name: {}\n  namespace: {}\n  labels:\n    {app_label}: {}\n    {}: {}",
        yaml_scalar(name)?,
        yaml_scalar(&context("namespace")?)?,
        yaml_scalar(&context("name")?)?,
        names::MANAGED_BY_LABEL,
        yaml_scalar(&Value::from(names::MANAGED_BY_VALUE))?,
    );
    Ok(Value::from_safe_string(out))
}

/// Prints a value as a YAML scalar: strings double-quoted (JSON escaping is
/// valid YAML), numbers and booleans bare. Lists, maps and none are template
/// bugs: they must be spelled out in the template.
fn yaml_scalar(value: &Value) -> Result<String, Error> {
    match value.kind() {
        ValueKind::String => Ok(serde_json::to_string(value.as_str().unwrap_or_default())
            .map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))?),
        ValueKind::Number => Ok(value.to_string()),
        ValueKind::Bool => Ok(if value.is_true() { "true" } else { "false" }.to_string()),
        kind => Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("cannot print a {kind} as a YAML scalar"),
        )),
    }
}

/// Prints a value as one shell word: strings single-quoted, numbers bare.
fn shell_word(value: &Value) -> Result<String, Error> {
    match value.kind() {
        ValueKind::String => Ok(shell_quote(value.as_str().unwrap_or_default())),
        ValueKind::Number => Ok(value.to_string()),
        ValueKind::Bool => Ok(if value.is_true() { "true" } else { "false" }.to_string()),
        kind => Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("cannot print a {kind} as a shell word"),
        )),
    }
}

fn yaml_formatter(out: &mut Output, _state: &mut State, value: &Value) -> Result<(), Error> {
    // Written straight into the output where no copy is needed (most
    // values: a render prints about 650): a safe string as it is, a string
    // JSON would not escape between its quotes.
    if let Some(text) = value.as_str() {
        if value.is_safe() {
            return out.write_str(text).map_err(Error::from);
        }
        if !text.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
            out.write_str("\"")?;
            out.write_str(text)?;
            return out.write_str("\"").map_err(Error::from);
        }
    }
    let text = if value.is_safe() {
        value.to_string()
    } else {
        yaml_scalar(value)?
    };
    out.write_str(&text).map_err(Error::from)
}

/// Escapes the characters that Markdown (and GitHub's HTML) would read as
/// syntax: a spec value stays text, even inside a table cell.
pub fn markdown_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // Writing into a `String` cannot fail.
    let _ = write_markdown_escaped(&mut out, text);
    out
}

/// Writes `text` with every byte Markdown would read as syntax escaped
/// ([`markdown_escaped`]). Every such byte is ASCII: the runs of text
/// between them are written whole.
fn write_markdown_escaped(out: &mut impl fmt::Write, text: &str) -> fmt::Result {
    let mut start = 0;
    for (at, byte) in text.bytes().enumerate() {
        if !MARKDOWN_SYNTAX[byte as usize] {
            continue;
        }
        if let Some(escaped) = markdown_escaped(byte) {
            out.write_str(&text[start..at])?;
            out.write_str(escaped)?;
            start = at + 1;
        }
    }
    out.write_str(&text[start..])
}

/// Whether Markdown would read a byte as syntax ([`markdown_escaped`]), by
/// table: a render looks up every byte of its posture document's values.
const MARKDOWN_SYNTAX: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        table[byte] = markdown_escaped(byte as u8).is_some();
        byte += 1;
    }
    table
};

/// What a byte Markdown would read as syntax is written as; `None` for the
/// others.
const fn markdown_escaped(byte: u8) -> Option<&'static str> {
    Some(match byte {
        b'<' => "&lt;",
        b'>' => "&gt;",
        b'&' => "&amp;",
        b'\\' => "\\\\",
        b'`' => "\\`",
        b'*' => "\\*",
        b'_' => "\\_",
        b'[' => "\\[",
        b']' => "\\]",
        b'|' => "\\|",
        b'#' => "\\#",
        _ => return None,
    })
}

/// A Markdown code span holding `text` literally: the fence is one backtick
/// longer than the longest run of backticks inside (CommonMark 0.31, "Code
/// spans"), so a value cannot close it.
pub fn markdown_code(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

fn markdown_formatter(out: &mut Output, _state: &mut State, value: &Value) -> Result<(), Error> {
    match value.as_str() {
        Some(text) if value.is_safe() => out.write_str(text).map_err(Error::from),
        // Escaped straight into the output, a run of plain text at a time.
        Some(text) => write_markdown_escaped(out, text).map_err(Error::from),
        None => out.write_str(&value.to_string()).map_err(Error::from),
    }
}

fn shell_formatter(out: &mut Output, _state: &mut State, value: &Value) -> Result<(), Error> {
    if let Some(part) = value.downcast_object_ref::<Verbatim>() {
        return out.write_str(&part.0).map_err(Error::from);
    }
    if let (true, Some(text)) = (value.is_safe(), value.as_str()) {
        return out.write_str(text).map_err(Error::from);
    }
    let text = if value.is_safe() {
        value.to_string()
    } else {
        shell_word(value)?
    };
    out.write_str(&text).map_err(Error::from)
}

#[cfg(test)]
mod tests {

    use super::*;

    #[test]
    fn verbatim_parts_hold_no_template_tag_and_each_is_pasted() {
        let sources = Templates::sources();
        let parts: Vec<&(String, &str)> = sources
            .iter()
            .filter(|(name, _)| is_verbatim(name))
            .collect();
        assert!(!parts.is_empty());
        for (name, text) in &parts {
            // A tag here would be printed, not run: the value belongs in
            // the header (crate::scripts).
            for marker in ["[=", "=]", "<%", "%>", "<#", "#>"] {
                assert!(!text.contains(marker), "{name} holds {marker}");
            }
            let call = format!("verbatim(\"{name}\")");
            assert!(
                sources
                    .iter()
                    .any(|(t, text)| t.ends_with(".sh.j2") && text.contains(&call)),
                "no template pastes {name}"
            );
        }
    }

    #[test]
    fn an_organisation_replaces_a_verbatim_part() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("audit.body.sh"), "echo ours\n").unwrap();
        let templates = Templates::with_overrides(dir.path()).unwrap();
        let shell = &templates.shell;
        let pasted = shell
            .render_str("[= verbatim(\"audit.body.sh\") =]", ())
            .unwrap();
        assert_eq!(pasted, "echo ours\n");
        assert!(templates.custom_file("audit.body.sh").is_some());
        let embedded = Templates::embedded().unwrap();
        let pasted = embedded
            .shell
            .render_str("[= verbatim(\"audit.body.sh\") =]", ())
            .unwrap();
        assert!(pasted.len() > 10_000);
        assert!(
            embedded
                .shell
                .render_str("[= verbatim(\"01-namespace.yaml.j2\") =]", ())
                .is_err(),
            "only verbatim parts are pasted"
        );
    }

    #[test]
    fn yaml_strings_are_json_quoted_with_or_without_escapes() {
        let environment = base_environment(Flavor::Yaml).unwrap();
        for text in [
            "",
            "plain",
            "a\"b",
            "back\\slash",
            "tab\there",
            "nl\n",
            "\u{7f}del",
            "é ✓",
            "\u{1b}[31m",
            "'single'",
            "# not a comment",
        ] {
            let rendered = environment
                .render_str("{{ x }}|{{ x|safe }}", minijinja::context! { x => text })
                .unwrap();
            assert_eq!(
                rendered,
                format!("{}|{text}", serde_json::to_string(text).unwrap()),
                "{text:?}"
            );
        }
    }

    #[test]
    fn metadata_writes_the_block_the_templates_wrote_out() {
        let environment = base_environment(Flavor::Yaml).unwrap();
        let written_out = "metadata:\n  name: {{ object }}\n  namespace: {{ namespace }}\n  labels:\n    app.kubernetes.io/{{ key|safe }}: {{ name }}\n    app.kubernetes.io/managed-by: \"harden\"";
        for (call, key) in [
            ("{{ metadata(object) }}", "name"),
            ("{{ metadata(object, part_of=true) }}", "part-of"),
            ("{{ metadata(object, part_of=false) }}", "name"),
        ] {
            // Hostile values stay scalars, as the formatter prints them.
            let context = minijinja::context! {
                object => "a\"b: c",
                namespace => "ns\n- x",
                name => "app",
                key => key,
            };
            assert_eq!(
                environment.render_str(call, &context).unwrap(),
                environment.render_str(written_out, &context).unwrap(),
                "{call}"
            );
        }
        let without = environment.render_str(
            "{{ metadata(\"x\") }}",
            minijinja::context! { name => "app" },
        );
        assert!(
            format!("{:#}", without.as_ref().unwrap_err()).contains("needs the string `namespace`"),
            "a context without a namespace is our bug, named"
        );
        let unknown = environment.render_str(
            "{{ metadata(\"x\", owner=true) }}",
            minijinja::context! { name => "app", namespace => "ns" },
        );
        assert!(unknown.is_err(), "an unknown argument is refused");
    }

    #[test]
    fn markdown_is_escaped() {
        assert_eq!(
            markdown_escape("é <a> & \\ ` * _ [x] | # ok"),
            "é &lt;a&gt; &amp; \\\\ \\` \\* \\_ \\[x\\] \\| \\# ok"
        );
        // The formatter writes the same, and numbers and safe text as they are.
        let environment = base_environment(Flavor::Markdown).unwrap();
        for text in ["é <a> & \\ ` * _ [x] | # ok", "", "plain", "<<>>", "a_b_"] {
            let rendered = environment
                .render_str(
                    "{{ x }}|{{ x|safe }}|{{ n }}",
                    minijinja::context! { x => text, n => 7 },
                )
                .unwrap();
            assert_eq!(rendered, format!("{}|{text}|7", markdown_escape(text)));
        }
    }

    #[test]
    fn every_embedded_template_compiles() {
        let templates = Templates::embedded().expect("environments build");
        let names = Templates::names();
        assert!(names.len() >= 8);
        for name in names.iter().filter(|n| !is_verbatim(n)) {
            let environment = match Flavor::of(name) {
                Flavor::Yaml => &templates.yaml,
                Flavor::Shell => &templates.shell,
                Flavor::Markdown => &templates.markdown,
            };
            if let Err(error) = environment.get_template(name) {
                panic!("{name} does not compile: {error:#}");
            }
        }
    }

    #[test]
    fn hostile_strings_stay_scalars() {
        let value = Value::from("x\"\n- evil: true\n'$(rm -rf /)'");
        let yaml = yaml_scalar(&value).unwrap();
        assert!(!yaml.contains('\n'));
        let parsed = crate::yaml::parse_document::<String>(&yaml).unwrap();
        assert_eq!(parsed.value, value.as_str().unwrap());
        assert_eq!(yaml_scalar(&Value::from(true)).unwrap(), "true");
        let shell = shell_word(&value).unwrap();
        assert!(shell.starts_with('\'') && shell.ends_with('\''));
        assert_eq!(
            markdown_escape("a|b <x> [l](u) `c`"),
            r"a\|b &lt;x&gt; \[l\](u) \`c\`"
        );
    }

    #[test]
    fn code_spans_cannot_be_closed_by_their_content() {
        assert_eq!(markdown_code("harden x"), "`harden x`");
        assert_eq!(markdown_code("a`b"), "``a`b``");
        assert_eq!(markdown_code("`a``"), "``` `a`` ```");
    }

    #[test]
    fn containers_cannot_be_printed_inline() {
        assert!(yaml_scalar(&Value::from(vec![1, 2])).is_err());
        assert!(shell_word(&Value::from(())).is_err());
    }
}
