//! The live scripts' headers: every value of the spec, the model and the
//! platform facts that the audit and penetration-test scripts use, written
//! as shell variables and arrays by Rust.
//!
//! Why: the scripts' bodies (`templates/_common.sh.j2`, `audit.sh.j2`,
//! `pentest.sh.j2`) are about 95 KB. Written as templates with a tag
//! wherever a value or a condition was needed, compiling them cost a render
//! more than anything else (minijinja's compile cost is per tag). Here the
//! values are assignments at the top of each script, and the bodies test
//! and read the variables at run time, so each body is nearly free of tags.
//!
//! Every value is single-quoted as [`crate::quote::shell_quote`] does: no spec
//! string can change the script's structure. Names are the script's own,
//! upper case; an unset condition is an empty string (`[ -n "$X" ]`).

use std::fmt::Display;

use minijinja::value::Value;

use crate::model::Model;

mod audit;
mod common;
mod pentest;

/// The shared template, included by both scripts.
pub const COMMON_TEMPLATE: &str = "_common.sh.j2";
pub const AUDIT_TEMPLATE: &str = "audit.sh.j2";
pub const PENTEST_TEMPLATE: &str = "pentest.sh.j2";

/// Shell assignments, one a line.
#[derive(Debug, Default)]
pub struct Header {
    text: String,
}

impl Header {
    /// `NAME='value'`.
    pub fn var(&mut self, name: &str, value: impl AsRef<str>) -> &mut Self {
        self.text.push_str(name);
        self.text.push('=');
        push_quoted(&mut self.text, value.as_ref());
        self.text.push('\n');
        self
    }

    /// `NAME=value` for a number (or any value whose text needs no quoting).
    pub fn number(&mut self, name: &str, value: impl Display) -> &mut Self {
        self.var(name, value.to_string())
    }

    /// `NAME='1'` when `flag`, else `NAME=''`: test it with `[ -n "$NAME" ]`.
    pub fn flag(&mut self, name: &str, flag: bool) -> &mut Self {
        self.var(name, if flag { "1" } else { "" })
    }

    /// `NAME=('a' 'b')`; `NAME=()` when empty.
    pub fn array<I, S>(&mut self, name: &str, values: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.text.push_str(name);
        self.text.push_str("=(");
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.text.push(' ');
            }
            push_quoted(&mut self.text, value.as_ref());
        }
        self.text.push_str(")\n");
        self
    }

    /// `export NAME='value'`.
    pub fn export(&mut self, name: &str, value: impl AsRef<str>) -> &mut Self {
        self.text.push_str("export ");
        self.var(name, value)
    }

    /// A `# comment` line (text from harden, never from the spec).
    pub fn comment(&mut self, text: &str) -> &mut Self {
        for line in text.lines() {
            self.text.push_str("# ");
            self.text.push_str(line);
            self.text.push('\n');
        }
        self
    }

    pub fn into_text(self) -> String {
        self.text
    }
}

/// The contexts the shell templates render with: the model's, plus
/// `common_header` (for `_common.sh.j2`, written once for both scripts)
/// and `script_header` (the script's own), each a block of assignments to
/// print with `[= ... =]`.
pub struct Contexts<'a> {
    model: &'a Model,
    base: &'a Value,
    common: Value,
}

impl<'a> Contexts<'a> {
    pub fn new(model: &'a Model, base: &'a Value) -> Contexts<'a> {
        let mut common = Header::default();
        common::write(model, &mut common);
        Contexts {
            model,
            base,
            common: Value::from_safe_string(common.into_text()),
        }
    }

    /// The context of `template` (a script's, or none of its own).
    pub fn of(&self, template: &str) -> Value {
        let mut own = Header::default();
        match template {
            AUDIT_TEMPLATE => audit::write(self.model, &mut own),
            PENTEST_TEMPLATE => pentest::write(self.model, &mut own),
            _ => {}
        }
        minijinja::value::merge_maps([
            minijinja::context! {
                common_header => self.common.clone(),
                script_header => Value::from_safe_string(own.into_text()),
            },
            self.base.clone(),
        ])
    }
}

/// Appends `text` single-quoted for the shell, as
/// [`crate::quote::shell_quote`] writes it, without its two copies.
fn push_quoted(out: &mut String, text: &str) {
    out.push('\'');
    let mut parts = text.split('\'');
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    for part in parts {
        out.push_str("'\\''");
        out.push_str(part);
    }
    out.push('\'');
}

/// The header `write` gives an example spec (`specs/<spec>.yaml`), with a
/// newline first: every line of it is then `\n{line}\n`.
#[cfg(test)]
fn header_of(spec: &str, write: fn(&Model, &mut Header)) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("specs")
        .join(format!("{spec}.yaml"));
    let model = crate::load::load_spec(&path).expect("example spec is valid");
    let mut header = Header::default();
    write(&model, &mut header);
    format!("\n{}", header.into_text())
}

/// What a script's own `write` and the shared header give it together.
#[cfg(test)]
fn script_header_of(spec: &str, write: fn(&Model, &mut Header)) -> String {
    header_of(spec, common::write) + &header_of(spec, write)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quote::shell_quote;

    #[test]
    fn quoting_is_shell_quote_s() {
        for text in ["", "a", "'", "it's", "''", "a'b'c'", "$(x) `y` \\ \"z\"\n"] {
            let mut out = String::new();
            push_quoted(&mut out, text);
            assert_eq!(out, shell_quote(text), "{text:?}");
        }
    }

    #[test]
    fn values_are_single_quoted_words() {
        let mut header = Header::default();
        header
            .var("A", "it's $(x)")
            .number("N", 3)
            .flag("F", false)
            .array("L", ["a b", "c"])
            .array("E", Vec::<String>::new());
        assert_eq!(
            header.into_text(),
            "A='it'\\''s $(x)'\nN='3'\nF=''\nL=('a b' 'c')\nE=()\n"
        );
    }
}
