//! Limits every spec must keep before any other rule is checked: list sizes,
//! string lengths, and characters. A hostile or broken spec (100,000 rules, a
//! 10 MB value, a right-to-left override in a key) is refused quickly, with
//! the field named, and its values are never echoed back whole.
//!
//! Why these limits: every rendered object must stay far below etcd's
//! request limit (1.5 MiB, `--max-request-bytes` default in etcd's
//! server/embed/config.go, DefaultMaxRequestBytes); 100 rules of 100 ports
//! with strings of at most a few KiB each keeps a NetworkPolicy well below
//! it. Bidirectional controls make the text a reviewer reads differ from the
//! text that is deployed (CVE-2021-42574, "Trojan Source"); control
//! characters break comments, terminals and shell scripts.

use serde_json::Value;

use crate::diagnostics::Problem;
use crate::spec::Spec;
use crate::text::Push as _;

/// The most items any list (or entries any map) of a spec may hold, but
/// for the lists of [`max_items`].
pub const MAX_ITEMS: usize = 100;
/// The most egress rules: allowlists of a partner's or a cloud service's
/// published ranges run to hundreds of CIDRs (one rule each), e.g. Google's
/// goog.json or a payment provider's webhook and API ranges. Each rule is
/// about 250 bytes of NetworkPolicy.
pub const MAX_EGRESS_RULES: usize = 1000;
/// The most secret keys: an app's settings kept in a vault run to hundreds
/// of keys; each is one entry of about 150 bytes in the ExternalSecret.
pub const MAX_SECRET_KEYS: usize = 1000;
/// The most ports over all egress rules together: 1,000 rules of 100 ports
/// each would make a NetworkPolicy of several MiB, beyond etcd's request
/// limit; 2,000 ports (about 40 bytes each) keep the egress policy near
/// 330 KiB at the bounds.
pub const MAX_EGRESS_PORTS: usize = 2000;

/// The most items the list at `path` may hold.
fn max_items(path: &str) -> usize {
    match path {
        "egress" => MAX_EGRESS_RULES,
        "secrets.keys" => MAX_SECRET_KEYS,
        _ => MAX_ITEMS,
    }
}
/// The longest string, in bytes, unless [`max_len`] says otherwise.
pub const MAX_STRING: usize = 1024;
/// The longest value echoed back in a message, in characters.
const ECHO: usize = 60;

/// What [`check`] found.
#[derive(Debug, Default)]
pub struct Found {
    /// Lists too long, strings too long: nothing else is worth checking.
    pub sizes: Vec<Problem>,
    /// Forbidden characters: reported with the other rules' problems.
    pub characters: Vec<Problem>,
}

/// Checks the limits of a parsed spec.
pub fn check(spec: &Spec) -> Found {
    let mut found = Found::default();
    match serde_json::to_value(spec) {
        Ok(value) => {
            walk(&value, &mut String::new(), &mut found);
            let ports: usize = value["egress"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|rule| rule["ports"].as_array())
                .map(Vec::len)
                .sum();
            if ports > MAX_EGRESS_PORTS {
                found.sizes.push(
                    Problem::new(
                        "egress",
                        format!("lists {ports} ports over all its rules; at most {MAX_EGRESS_PORTS} are allowed"),
                    )
                    .help("give each rule only the ports its destination serves"),
                );
            }
        }
        Err(error) => found
            .sizes
            .push(Problem::new("", format!("cannot be read: {error}"))),
    }
    found
}

/// The longest string allowed at a field path (map keys are checked with
/// the path of their map and `key`).
fn max_len(path: &str, key: bool) -> usize {
    let field = path.rsplit('.').next().unwrap_or(path);
    let field = field.split('[').next().unwrap_or(field);
    if key {
        // A label key: a 253-character prefix, '/', a 63-character name.
        return 317;
    }
    match field {
        "name" | "namespace" | "environment" | "serviceAccount" => 253,
        "image" => 512,
        // A PEM public key: an RSA-4096 key is about 800 bytes.
        "pem" => 4096,
        "cidr" | "port" | "protocol" => 64,
        // Dapr component metadata values: connection strings, hosts.
        _ if path.contains(".metadata.") => 4096,
        _ => MAX_STRING,
    }
}

/// Walks `value` at `path`; `path` is one buffer, extended for each child
/// and cut back after it, so a walk allocates nothing for a clean spec.
fn walk(value: &Value, path: &mut String, problems: &mut Found) {
    match value {
        Value::Array(items) => {
            let most = max_items(path);
            if items.len() > most {
                problems.sizes.push(
                    Problem::new(
                        path.as_str(),
                        format!("has {} items; at most {most} are allowed", items.len()),
                    )
                    .help("split the app, or use broader rules (a namespace instead of many pods)"),
                );
                return;
            }
            let len = path.len();
            for (i, item) in items.iter().enumerate() {
                path.push_fmt(format_args!("[{i}]"));
                walk(item, path, problems);
                path.truncate(len);
            }
        }
        Value::Object(map) => {
            if map.len() > MAX_ITEMS {
                problems.sizes.push(
                    Problem::new(
                        path.as_str(),
                        format!("has {} entries; at most {MAX_ITEMS} are allowed", map.len()),
                    )
                    .help("keep the spec to what the app needs"),
                );
                return;
            }
            let len = path.len();
            for (key, item) in map {
                if len > 0 {
                    path.push('.');
                }
                push_shown(path, key);
                text(key, path, true, problems);
                walk(item, path, problems);
                path.truncate(len);
            }
        }
        Value::String(s) => text(s, path, false, problems),
        _ => {}
    }
}

fn text(value: &str, path: &str, key: bool, problems: &mut Found) {
    let limit = max_len(path, key);
    let what = if key { "key" } else { "value" };
    if value.len() > limit {
        problems.sizes.push(
            Problem::new(
                path,
                format!(
                    "the {what} is {} bytes long; at most {limit} are allowed",
                    value.len()
                ),
            )
            .help("shorten it; is this the right value?"),
        );
        return;
    }
    // Printable ASCII holds no forbidden character: most values are, and
    // this test runs over their bytes without decoding characters.
    if value.bytes().all(|b| (b' '..=b'~').contains(&b)) {
        return;
    }
    let multiline = multiline(path);
    if let Some((c, kind)) = value
        .chars()
        .filter(|c| !(multiline && *c == '\n'))
        .find_map(|c| forbidden(c).map(|kind| (c, kind)))
    {
        problems.characters.push(
            Problem::new(
                path,
                format!(
                    "the {what} {} contains {kind} (U+{:04X})",
                    quoted(value),
                    c as u32
                ),
            )
            .help(match kind {
                "a bidirectional control character" => {
                    "remove it: it makes the text a reviewer reads differ from the text that is deployed"
                }
                _ => "write the value on one line, without control characters",
            }),
        );
    }
}

/// The fields whose value may span lines: a PEM key (its own check allows
/// nothing but base64 lines between its markers).
fn multiline(path: &str) -> bool {
    path == "workload.signature.key.pem"
}

/// Characters no spec string may hold: C0 and C1 controls, DEL, and the
/// bidirectional controls (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F,
/// U+061C).
fn forbidden(c: char) -> Option<&'static str> {
    match crate::quote::forbidden_char(c) {
        Some("an angle bracket") | None => None,
        Some(kind) => Some(kind),
    }
}

/// A value as quoted in a message: escaped, and cut to a few dozen
/// characters (with its full length) so a huge value is never echoed.
pub fn quoted(value: &str) -> String {
    let count = value.chars().count();
    if count <= ECHO {
        format!("{value:?}")
    } else {
        let head: String = value.chars().take(ECHO).collect();
        format!("{:?}… ({} bytes)", head, value.len())
    }
}

/// Appends [`shown`]`(name)` to `path` (a plain short name as it is).
fn push_shown(path: &mut String, name: &str) {
    let plain = name.len() <= ECHO
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'));
    if plain {
        path.push_str(name);
    } else {
        path.push_str(&shown(name));
    }
}

/// A name (a map key, an unknown field) as shown in a path: escaped and cut.
pub fn shown(name: &str) -> String {
    let escaped = crate::quote::printable(name);
    if escaped.chars().count() <= ECHO {
        escaped
    } else {
        let head: String = escaped.chars().take(ECHO).collect();
        format!("{head}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(yaml: &str) -> Spec {
        crate::yaml::parse_document::<Spec>(yaml).unwrap().value
    }

    #[test]
    fn long_lists_are_refused_without_looking_inside() {
        let rules: String = (0..101)
            .map(|i| format!("  - name: r{i}\n    namespace: n\n"))
            .collect();
        let problems = check(&spec(&format!("ingress:\n{rules}"))).sizes;
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].path, "ingress");
        assert!(problems[0].message.contains("101 items"));
    }

    #[test]
    fn egress_and_secret_keys_hold_hundreds_and_ports_are_bounded_in_all() {
        let rules: String = (0..MAX_EGRESS_RULES)
            .map(|i| {
                format!(
                    "  - {{name: r{i}, cidr: 10.{}.{}.0/24, ports: [{{port: 443}}]}}\n",
                    i / 256,
                    i % 256
                )
            })
            .collect();
        let keys: String = (0..MAX_SECRET_KEYS)
            .map(|i| format!("    - {{name: k{i}}}\n"))
            .collect();
        let at_bound =
            format!("egress:\n{rules}secrets:\n  store: {{name: vault}}\n  keys:\n{keys}");
        assert!(check(&spec(&at_bound)).sizes.is_empty());
        let over = format!("{at_bound}    - {{name: one-more}}\n");
        let problems = check(&spec(&over)).sizes;
        assert_eq!(problems[0].path, "secrets.keys", "{problems:?}");
        assert!(problems[0].message.contains("at most 1000"));
        let many: String = (0..=MAX_EGRESS_RULES).map(|_| "{name: a},").collect();
        let problems = check(&spec(&format!("egress: [{many}]\n"))).sizes;
        assert_eq!(problems[0].path, "egress", "{problems:?}");
        assert!(problems[0].message.contains("1001 items; at most 1000"));
        let ports: String = (1..=100).map(|p| format!("{{port: {p}}}, ")).collect();
        let rules: String = (0..21)
            .map(|i| format!("  - {{name: r{i}, cidr: 10.0.{i}.0/24, ports: [{ports}]}}\n"))
            .collect();
        let problems = check(&spec(&format!("egress:\n{rules}"))).sizes;
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].message.contains("2100 ports"), "{problems:?}");
    }

    #[test]
    fn long_strings_are_refused_and_not_echoed() {
        let long = "a".repeat(5000);
        let problems = check(&spec(&format!("app:\n  name: {long}\n"))).sizes;
        assert_eq!(problems[0].path, "app.name");
        assert!(!problems[0].message.contains(&long[..300]));
    }

    #[test]
    fn control_and_bidi_characters_are_named() {
        let problems = check(&spec(
            "app:\n  name: \"a\\u202Eb\"\n  namespace: \"a\\tb\"\n",
        ))
        .characters;
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems
                .iter()
                .any(|p| p.path == "app.name" && p.message.contains("U+202E"))
        );
        assert!(
            problems
                .iter()
                .any(|p| p.path == "app.namespace" && p.message.contains("U+0009"))
        );
    }

    #[test]
    fn quoted_values_are_cut() {
        assert_eq!(quoted("abc"), "\"abc\"");
        let cut = quoted(&"x".repeat(10_000));
        assert!(cut.len() < 100 && cut.ends_with("(10000 bytes)"), "{cut}");
    }
}
