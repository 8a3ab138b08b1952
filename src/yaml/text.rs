//! Bytes to text, and the cheap checks made before the parser runs.
//!
//! yaml-rust2's scanner keeps one "possible simple key" per open flow
//! collection and walks all of them for every token, so 100,000 `[` cost it
//! quadratic time before the first event comes out; [`flow_depth_exceeds`]
//! refuses such a text in one linear pass instead.

/// Turns file bytes into text: UTF-8, with a leading byte-order mark dropped.
/// `file` names the file in the message.
pub fn decode(file: &str, bytes: Vec<u8>) -> Result<String, String> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(format!(
            "{file} is UTF-16 (it starts with a UTF-16 byte-order mark); save it as UTF-8"
        ));
    }
    match String::from_utf8(bytes) {
        Ok(mut text) => {
            if text.starts_with('\u{feff}') {
                text.drain(..'\u{feff}'.len_utf8());
            }
            Ok(text)
        }
        Err(error) => {
            let at = error.utf8_error().valid_up_to();
            let bytes = error.as_bytes();
            let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
            Err(format!(
                "{file}:{line}: the file is not valid UTF-8 (byte {} of the file); save it as UTF-8",
                at + 1
            ))
        }
    }
}

/// Drops a leading byte-order mark from text already decoded.
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// The line of the first flow bracket (`[` or `{`) that opens deeper than
/// `limit`, counting only brackets outside quoted scalars and comments.
/// Brackets inside plain or block scalars are counted too, which can only
/// over-count when a block scalar holds more unclosed brackets than `limit`.
pub fn flow_depth_exceeds(text: &str, limit: usize) -> Option<usize> {
    // The depth only grows at an opening bracket: a text with no more of
    // them than `limit` cannot exceed it (most manifests, CRDs included,
    // hold a handful), and counting bytes is far cheaper than the scan.
    let openings = text.bytes().filter(|&b| b == b'[' || b == b'{').count();
    if openings <= limit {
        return None;
    }
    let mut depth = 0usize;
    let mut line = 1;
    let mut quote: Option<u8> = None;
    let mut previous = b'\n';
    let mut bytes = text.bytes().peekable();
    while let Some(b) = bytes.next() {
        if b == b'\n' {
            line += 1;
        }
        match quote {
            Some(b'"') => match b {
                b'\\' => {
                    bytes.next();
                }
                b'"' => quote = None,
                _ => {}
            },
            Some(_) => {
                if b == b'\'' {
                    if bytes.peek() == Some(&b'\'') {
                        bytes.next();
                    } else {
                        quote = None;
                    }
                }
            }
            None => match b {
                b'#' if previous.is_ascii_whitespace() => {
                    for c in bytes.by_ref() {
                        if c == b'\n' {
                            line += 1;
                            break;
                        }
                    }
                }
                b'"' | b'\''
                    if matches!(
                        previous,
                        b' ' | b'\t' | b'\n' | b'[' | b'{' | b',' | b':' | b'-' | b'?'
                    ) =>
                {
                    quote = Some(b);
                }
                b'[' | b'{' => {
                    depth += 1;
                    if depth > limit {
                        return Some(line);
                    }
                }
                b']' | b'}' => depth = depth.saturating_sub(1),
                _ => {}
            },
        }
        previous = b;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_order_marks() {
        assert_eq!(
            decode("f", b"\xEF\xBB\xBFa: 1\n".to_vec()).unwrap(),
            "a: 1\n"
        );
        let error = decode("f.yaml", b"\xFF\xFEa\x00".to_vec()).unwrap_err();
        assert_eq!(
            error,
            "f.yaml is UTF-16 (it starts with a UTF-16 byte-order mark); save it as UTF-8"
        );
        let error = decode("f.yaml", b"a: 1\nb: \xFF\n".to_vec()).unwrap_err();
        assert!(
            error.starts_with("f.yaml:2: the file is not valid UTF-8"),
            "{error}"
        );
    }

    #[test]
    fn flow_depth_ignores_quotes_and_comments() {
        assert_eq!(flow_depth_exceeds("a: [[[1]]]\n", 2), Some(1));
        assert_eq!(
            flow_depth_exceeds("a: \"[[[[\" # [[[[\nb: '[[['\n", 2),
            None
        );
        assert_eq!(flow_depth_exceeds("a: it's [x]\n", 2), None);
        assert_eq!(flow_depth_exceeds(&"[".repeat(100_000), 64), Some(1));
    }
}
