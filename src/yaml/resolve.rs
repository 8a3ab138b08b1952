//! What a scalar means: YAML 1.1 as Kubernetes reads manifests, or the YAML
//! 1.2 core schema for specs.
//!
//! Kubernetes (kubectl, the API server) reads YAML with sigs.k8s.io/yaml,
//! which runs go-yaml v2 and converts the result to JSON. The rules below
//! follow go-yaml v2 `resolve.go` (kubernetes-sigs/yaml, `goyaml.v2/resolve.go`):
//! booleans `y Y yes Yes YES true True TRUE on On ON` and
//! `n N no No NO false False FALSE off Off OFF`; nulls `~ null Null NULL` and
//! the empty scalar; `.inf`/`.nan` in three spellings; integers through Go's
//! `strconv.ParseInt(s, 0, 64)` after removing `_` (so `0x`, `0o`, `0b`,
//! a leading `0` for octal, and signs), then `ParseUint`, then floats matching
//! `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`. Timestamps stay
//! text (go-yaml v2 `decode.go` keeps them as strings when decoding into
//! `interface{}`, which is what sigs.k8s.io/yaml does).

use yaml_rust2::parser::Tag;
use yaml_rust2::scanner::TScalarStyle;

use super::Mode;

/// The handle yaml-rust2 gives `!!` tags.
pub const CORE_TAG_PREFIX: &str = "tag:yaml.org,2002:";

/// A resolved scalar; `text` is what was written (kept so that a number in a
/// text field reads back exactly as written).
#[derive(Debug, Clone, PartialEq)]
pub struct Scalar {
    pub text: String,
    pub value: Value,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str,
}

impl Scalar {
    fn new(text: String, value: Value) -> Scalar {
        Scalar { text, value }
    }

    /// The key this scalar makes: sigs.k8s.io/yaml turns non-text keys into
    /// their text (`true`, `1`); specs use the text as written.
    pub fn key_text(self) -> String {
        match self.value {
            Value::Null => "null".to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::UInt(u) => u.to_string(),
            Value::Float(_) | Value::Str => self.text,
        }
    }

    /// [`Scalar::to_json`] of a scalar no longer needed (its text is moved,
    /// not copied); the scalar back when JSON cannot hold it.
    pub fn into_json(self) -> Result<serde_json::Value, Scalar> {
        match self.value {
            Value::Str => Ok(self.text.into()),
            _ => self.to_json().ok_or(self),
        }
    }

    /// The scalar as JSON; `None` for a float JSON cannot hold (inf, NaN).
    pub fn to_json(&self) -> Option<serde_json::Value> {
        Some(match self.value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => b.into(),
            Value::Int(i) => i.into(),
            Value::UInt(u) => u.into(),
            Value::Float(f) => {
                // Go's encoding/json writes 1.0 as `1`, so the API server
                // reads a whole float as an integer.
                if f.fract() == 0.0 && f.abs() < 9.0e15 {
                    (f as i64).into()
                } else {
                    serde_json::Number::from_f64(f)?.into()
                }
            }
            Value::Str => self.text.clone().into(),
        })
    }
}

/// Resolves one scalar as written in `mode`.
pub fn scalar(
    mode: Mode,
    text: String,
    style: TScalarStyle,
    tag: Option<&Tag>,
) -> Result<Scalar, String> {
    let plain = style == TScalarStyle::Plain;
    match mode {
        Mode::Spec => {
            let value = if plain { core(&text) } else { Value::Str };
            Ok(Scalar::new(text, value))
        }
        Mode::Kubernetes => kubernetes(text, plain, tag),
    }
}

fn kubernetes(text: String, plain: bool, tag: Option<&Tag>) -> Result<Scalar, String> {
    let standard = tag
        .filter(|t| t.handle == CORE_TAG_PREFIX)
        .map(|t| t.suffix.as_str());
    let value = match standard {
        // Any text is accepted as !!str or !!binary (kept as written).
        Some("str" | "binary") => Value::Str,
        // A tag that is not a standard one leaves the text as it is.
        None if tag.is_some() => Value::Str,
        None if !plain => Value::Str,
        None | Some("timestamp") => yaml11(&text),
        Some(expected) => {
            let value = yaml11(&text);
            let matches = matches!(
                (expected, value),
                ("null", Value::Null)
                    | ("bool", Value::Bool(_))
                    | ("int", Value::Int(_) | Value::UInt(_))
                    | ("float", Value::Float(_))
            );
            match (expected, value) {
                _ if matches => value,
                // go-yaml v2 turns an integer tagged !!float into a float.
                ("float", Value::Int(i)) => Value::Float(i as f64),
                ("float", Value::UInt(u)) => Value::Float(u as f64),
                ("null" | "bool" | "int" | "float", _) => {
                    return Err(format!("cannot read `{text}` as a !!{expected}"));
                }
                _ => Value::Str,
            }
        }
    };
    Ok(Scalar::new(text, value))
}

/// YAML 1.1 resolution of a plain scalar, as go-yaml v2 `resolve.go`.
fn yaml11(text: &str) -> Value {
    match text {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Value::Bool(true);
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Value::Bool(false);
        }
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        _ => {}
    }
    match text.as_bytes()[0] {
        b'.' => match text.parse::<f64>() {
            Ok(f) if go_float(text) => Value::Float(f),
            _ => Value::Str,
        },
        b'0'..=b'9' | b'+' | b'-' => {
            let plain: String = text.chars().filter(|&c| c != '_').collect();
            if let Some(value) = go_int(&plain) {
                return value;
            }
            if go_float(&plain)
                && let Ok(f) = plain.parse::<f64>()
            {
                return Value::Float(f);
            }
            Value::Str
        }
        _ => Value::Str,
    }
}

/// Go's `strconv.ParseInt(s, 0, 64)`, then `ParseUint(s, 0, 64)`: an optional
/// sign, then `0x`/`0o`/`0b` or a leading `0` (octal), or decimal digits.
/// A number too large for 64 bits (go-yaml then makes a big integer) becomes
/// a float here: an approximation, as JSON numbers are read as floats anyway.
fn go_int(text: &str) -> Option<Value> {
    let (negative, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (radix, body) = if let Some(rest) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        (16, rest)
    } else if let Some(rest) = digits
        .strip_prefix("0o")
        .or_else(|| digits.strip_prefix("0O"))
    {
        (8, rest)
    } else if let Some(rest) = digits
        .strip_prefix("0b")
        .or_else(|| digits.strip_prefix("0B"))
    {
        (2, rest)
    } else if digits.len() > 1 && digits.starts_with('0') {
        (8, &digits[1..])
    } else {
        (10, digits)
    };
    if body.is_empty() || !body.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u128::from_str_radix(body, radix).ok();
    match magnitude {
        Some(m) if negative && m <= i64::MAX as u128 + 1 => Some(Value::Int((-(m as i128)) as i64)),
        Some(m) if !negative && m <= i64::MAX as u128 => Some(Value::Int(m as i64)),
        Some(m) if !negative && m <= u64::MAX as u128 => Some(Value::UInt(m as u64)),
        _ => {
            let f = body.chars().fold(0.0f64, |acc, c| {
                acc * f64::from(radix) + f64::from(c.to_digit(radix).unwrap_or(0))
            });
            Some(Value::Float(if negative { -f } else { f }))
        }
    }
}

/// go-yaml v2's `yamlStyleFloat`:
/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn go_float(text: &str) -> bool {
    let s = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", fraction)) => digits(fraction),
        Some((whole, fraction)) => digits(whole) && fraction.bytes().all(|b| b.is_ascii_digit()),
        None => digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['-', '+']).unwrap_or(e)));
    mantissa_ok && exponent_ok
}

/// The YAML 1.2 core schema (yaml.org/spec/1.2.2, section 10.3.2).
fn core(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        _ => {}
    }
    let integer =
        |radix: u32, body: &str| !body.is_empty() && body.chars().all(|c| c.is_digit(radix));
    if let Some(hex) = text.strip_prefix("0x")
        && integer(16, hex)
    {
        return u64::from_str_radix(hex, 16).map_or(Value::Str, unsigned);
    }
    if let Some(octal) = text.strip_prefix("0o")
        && integer(8, octal)
    {
        return u64::from_str_radix(octal, 8).map_or(Value::Str, unsigned);
    }
    let unsigned_text = text.strip_prefix(['-', '+']).unwrap_or(text);
    if integer(10, unsigned_text) {
        if let Ok(i) = text.parse::<i64>() {
            return Value::Int(i);
        }
        if let Ok(u) = text.trim_start_matches('+').parse::<u64>() {
            return Value::UInt(u);
        }
    }
    if go_float(text)
        && let Ok(f) = text.parse::<f64>()
    {
        return Value::Float(f);
    }
    Value::Str
}

fn unsigned(u: u64) -> Value {
    i64::try_from(u).map_or(Value::UInt(u), Value::Int)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k8s(text: &str) -> Value {
        kubernetes(text.to_string(), true, None).unwrap().value
    }

    #[test]
    fn kubernetes_reads_yaml_1_1() {
        for t in [
            "y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "TRUE",
        ] {
            assert_eq!(k8s(t), Value::Bool(true), "{t}");
        }
        for f in [
            "n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "FALSE",
        ] {
            assert_eq!(k8s(f), Value::Bool(false), "{f}");
        }
        assert_eq!(k8s("yES"), Value::Str);
        assert_eq!(k8s("~"), Value::Null);
        assert_eq!(k8s("0x1F"), Value::Int(31));
        assert_eq!(k8s("0o17"), Value::Int(15));
        assert_eq!(k8s("017"), Value::Int(15));
        assert_eq!(k8s("0b101"), Value::Int(5));
        assert_eq!(k8s("-0b101"), Value::Int(-5));
        assert_eq!(k8s("+12"), Value::Int(12));
        assert_eq!(k8s("1_000"), Value::Int(1000));
        assert_eq!(k8s("08"), Value::Float(8.0));
        assert_eq!(k8s("1.5e3"), Value::Float(1500.0));
        assert_eq!(k8s(".5"), Value::Float(0.5));
        assert_eq!(k8s("18446744073709551615"), Value::UInt(u64::MAX));
        assert!(matches!(k8s(".inf"), Value::Float(f) if f.is_infinite()));
        assert_eq!(k8s("2024-01-02"), Value::Str);
        assert_eq!(k8s("1.2.3"), Value::Str);
        assert_eq!(k8s("0x"), Value::Str);
    }

    #[test]
    fn specs_read_the_yaml_1_2_core_schema() {
        for (text, value) in [
            ("yes", Value::Str),
            ("on", Value::Str),
            ("true", Value::Bool(true)),
            ("010", Value::Int(10)),
            ("0o10", Value::Int(8)),
            ("0x10", Value::Int(16)),
            ("1_000", Value::Str),
            ("8080", Value::Int(8080)),
            ("1.5", Value::Float(1.5)),
            ("", Value::Null),
        ] {
            assert_eq!(core(text), value, "{text}");
        }
    }

    #[test]
    fn standard_tags_are_honoured_in_kubernetes_mode() {
        let tag = |suffix: &str| Tag {
            handle: CORE_TAG_PREFIX.to_string(),
            suffix: suffix.to_string(),
        };
        let read = |text: &str, suffix: &str| {
            kubernetes(text.to_string(), true, Some(&tag(suffix))).map(|s| s.value)
        };
        assert_eq!(read("8080", "str"), Ok(Value::Str));
        assert_eq!(read("1", "float"), Ok(Value::Float(1.0)));
        assert_eq!(read("yes", "bool"), Ok(Value::Bool(true)));
        assert!(read("abc", "int").is_err());
    }
}
