//! Appending formatted lines to a `String`: `pushln!(out, "{x}")` is
//! `writeln!(out, "{x}")` for a `String`, without a `Result` to ignore.
//!
//! `fmt::Write for String` cannot fail (its `write_str` always returns
//! `Ok`), so the result is dropped here, once, instead of at every line
//! that builds a report, a graph or a spec. Writes to a stream (standard
//! output, a file) can fail and keep `writeln!(out, ..)?`.

use std::fmt::{self, Write};

/// Appending to a `String` that cannot fail; used through [`pushln!`],
/// whose method call takes `out` as `String` or `&mut String`.
pub trait Push {
    /// Appends `args`. Only a `Display` implementation that returns an
    /// error could make this fail, and `format!` would panic on one; none of
    /// harden's does.
    fn push_fmt(&mut self, args: fmt::Arguments<'_>);

    /// Appends `args` and a newline.
    fn push_line(&mut self, args: fmt::Arguments<'_>);
}

impl Push for String {
    fn push_fmt(&mut self, args: fmt::Arguments<'_>) {
        let _ = self.write_fmt(args);
    }

    fn push_line(&mut self, args: fmt::Arguments<'_>) {
        self.push_fmt(args);
        self.push('\n');
    }
}

/// `writeln!` for a `String`: appends the formatted text and a newline.
macro_rules! pushln {
    ($out:expr) => {
        $out.push('\n')
    };
    ($out:expr, $($arg:tt)*) => {{
        use $crate::text::Push as _;
        $out.push_line(format_args!($($arg)*))
    }};
}

pub(crate) use pushln;

#[cfg(test)]
mod tests {
    #[test]
    fn appends_formatted_text() {
        let mut out = String::from("a");
        out.push('1');
        pushln!(out, " {x}", x = "b");
        let borrowed = &mut out;
        pushln!(borrowed);
        pushln!(borrowed, "c");
        assert_eq!(out, "a1 b\n\nc\n");
    }
}
