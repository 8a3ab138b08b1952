//! How text is quoted or shown where it is printed: one shell word, a path
//! in a message or a generated header, a value on a terminal. The lowest
//! module of the crate after `text`: it imports nothing of harden, so the
//! templates, the workspace, validation and the commands share it without
//! importing one another.

use std::path::{Component, Path};

/// Single-quotes a string for POSIX shells.
pub fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// A path quoted for pasting into a POSIX shell, when it needs quoting.
pub fn shell_arg(text: &str) -> String {
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+,:@%=".contains(c))
        && !text.starts_with('-')
    {
        text.to_string()
    } else if text.starts_with('-') {
        shell_quote(&format!("./{text}"))
    } else {
        shell_quote(text)
    }
}

/// Characters that may not appear in a spec's path: it is printed into
/// comments of YAML, shell and Markdown files and onto terminals. C0 and C1
/// controls and DEL (a newline ends a comment), bidirectional controls (the
/// text reviewed would differ from the text run), and `<`/`>` (`-->` ends an
/// HTML comment).
pub fn forbidden_char(c: char) -> Option<&'static str> {
    match c {
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => Some("a control character"),
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{61c}' => {
            Some("a bidirectional control character")
        }
        '<' | '>' => Some("an angle bracket"),
        _ => None,
    }
}

/// Text safe to print on a terminal: characters a spec path may not contain
/// are shown as `\u{..}` escapes instead of being sent to the terminal.
pub fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if forbidden_char(c).is_some() && c != '<' && c != '>' {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// How a path is shown in messages and headers: relative paths without `./`,
/// with `/` separators, so `specs/a.yaml` and `./specs/a.yaml` render the same
/// bytes.
pub fn display_path(path: &Path) -> String {
    let parts: Vec<String> = path
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .map(|c| match c {
            Component::RootDir => String::new(),
            other => other.as_os_str().to_string_lossy().into_owned(),
        })
        .collect();
    let joined = parts.join("/");
    if path.is_absolute() && !joined.starts_with('/') {
        format!("/{joined}")
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_paths_are_normalised() {
        assert_eq!(display_path(Path::new("./specs/a.yaml")), "specs/a.yaml");
        assert_eq!(display_path(Path::new("specs/./a.yaml")), "specs/a.yaml");
        assert_eq!(display_path(Path::new("/tmp/a.yaml")), "/tmp/a.yaml");
    }

    #[test]
    fn forbidden_characters_are_named() {
        for c in [
            '\n', '\u{1b}', '\u{7f}', '\u{85}', '\u{202e}', '\u{2067}', '\u{200f}', '\u{61c}', '<',
            '>',
        ] {
            assert!(forbidden_char(c).is_some(), "{c:?}");
        }
        for c in ['a', ' ', '$', '\'', 'é', '\u{a0}'] {
            assert!(forbidden_char(c).is_none(), "{c:?}");
        }
    }

    #[test]
    fn shell_arguments_are_quoted_when_needed() {
        assert_eq!(shell_arg("specs/a.yaml"), "specs/a.yaml");
        assert_eq!(shell_arg("my specs/a b.yaml"), "'my specs/a b.yaml'");
        assert_eq!(shell_arg("-x.yaml"), "'./-x.yaml'");
        assert_eq!(shell_arg("$(x).yaml"), "'$(x).yaml'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
