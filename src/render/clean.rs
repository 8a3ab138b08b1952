//! Cleaning a rendered file: every line without trailing whitespace and
//! ended by `\n`, and for YAML no blank lines (which template macros leave
//! behind). Kept apart from [`super`] because it is the one part of a
//! render that walks every byte of every output (the live scripts are most
//! of them), so it is written for speed and tested against the plain way.

/// The first line of `raw` that cleaning keeps, trimmed, and where the
/// text after it starts.
pub(super) fn first_line(raw: &str, yaml: bool) -> Option<(&str, usize)> {
    let mut start = 0;
    for piece in raw.split_terminator('\n') {
        let end = (start + piece.len() + 1).min(raw.len());
        let line = piece.trim_end();
        if !(yaml && line.is_empty()) {
            return Some((line, end));
        }
        start = end;
    }
    None
}

/// Appends the lines of `raw` to `out` cleaned: each without trailing
/// whitespace (a `\r` included) and ended by `\n`, and for YAML no blank
/// ones. A line that ends in a visible ASCII character (nearly every line)
/// needs no change, so runs of them are copied whole; only the others are
/// trimmed one by one. Newlines are found by memchr's iterator: line by
/// line, `str::lines` cost a render about 200 instructions a line (its
/// search starts over on every line).
pub(super) fn push_clean_lines(out: &mut String, raw: &str, yaml: bool) {
    let bytes = raw.as_bytes();
    // The start of the lines copied as they are, and of the current line.
    let mut run = 0;
    let mut start = 0;
    let mut line_end = |end: usize, out: &mut String| {
        let unchanged = match end.checked_sub(start) {
            Some(0) | None => !yaml,
            Some(_) => {
                let last = bytes[end - 1];
                last.is_ascii() && !(last as char).is_whitespace()
            }
        };
        if !unchanged {
            out.push_str(&raw[run..start]);
            let line = raw[start..end].trim_end();
            if !(yaml && line.is_empty()) {
                out.push_str(line);
                out.push('\n');
            }
            run = end + 1;
        }
        start = end + 1;
    };
    for end in memchr::memchr_iter(b'\n', bytes) {
        line_end(end, out);
    }
    out.push_str(&raw[run..start]);
    // The last line, when no newline ends it.
    if start < raw.len() {
        let line = raw[start..].trim_end();
        if !(yaml && line.is_empty()) {
            out.push_str(line);
            out.push('\n');
        }
    }
}
