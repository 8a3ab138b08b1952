//! Control 5, Secrets as files and never in Git: Secrets read into the
//! environment, Secret values committed, secret-looking literals in `env`.

use serde_json::Value;

use crate::audit::rule::{Check, Cx, Rule, Workload};
use crate::objects::value::At;
use crate::objects::{Container, Object};

/// Every Secrets rule, in catalogue order.
pub static RULES: &[&Rule] = &[
    &SECRETS_IN_ENV,
    &SECRET_VALUES_IN_MANIFESTS,
    &SECRET_VALUES_IN_ENV,
];

// 5. Secrets as files, never in Git.

control!(
    SECRETS_IN_ENV,
    "control/secrets-in-env",
    High,
    5,
    Check::Object(secrets_in_env),
    "Secret exposed as an environment variable",
    "mount the Secret as a read-only volume and read the file instead"
);

fn secrets_in_env(cx: &mut Cx<'_>, object: &Object<'_>) {
    let Some(workload) = Workload::of(object) else {
        return;
    };
    for Container {
        path, name, value, ..
    } in workload.containers()
    {
        for (i, env) in value
            .get("env")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if let Some(reference) = env.at("/valueFrom/secretKeyRef") {
                let variable = env.get("name").and_then(Value::as_str).unwrap_or("?");
                let secret = reference.get("name").and_then(Value::as_str).unwrap_or("?");
                cx.report(
                    object,
                    &format!("{path}.env[{i}]"),
                    format!("environment variable {variable} of container {name:?} is read from a Secret"),
                    format!("mount Secret {secret} as a read-only volume in container {name:?} and read the file instead of {variable}"),
                );
            }
        }
        for (i, source) in value
            .get("envFrom")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if let Some(reference) = source.get("secretRef") {
                let secret = reference.get("name").and_then(Value::as_str).unwrap_or("?");
                cx.report(
                    object,
                    &format!("{path}.envFrom[{i}]"),
                    format!("envFrom loads the whole Secret {secret} into the environment of container {name:?}"),
                    format!("mount Secret {secret} as a read-only volume in container {name:?} instead of envFrom"),
                );
            }
        }
    }
}

control!(
    SECRET_VALUES_IN_MANIFESTS,
    "control/secret-values-in-manifests",
    Critical,
    5,
    Check::Object(secret_values_in_manifests),
    "Secret values are written in the manifests",
    "never commit secret values: use External Secrets (ExternalSecret) or create the Secret out of band"
);

/// A Secret with only empty values (`csrf: ""`, filled at run time) holds
/// nothing secret in Git.
fn secret_values_in_manifests(cx: &mut Cx<'_>, object: &Object<'_>) {
    if object.kind() != "Secret" {
        return;
    }
    for key in ["data", "stringData"] {
        let Some(values) = object.document.get(key).and_then(Value::as_object) else {
            continue;
        };
        let written: Vec<&str> = values
            .iter()
            .filter(|(name, v)| match v {
                Value::String(s) => {
                    let text = if key == "data" {
                        decode_base64(s)
                    } else {
                        Some(s.clone())
                    };
                    !s.trim().is_empty() && !text.is_some_and(|text| settings_only(name, &text))
                }
                Value::Null => false,
                _ => true,
            })
            .map(|(k, _)| k.as_str())
            .collect();
        if let Some(first) = written.first() {
            cx.report(
                object,
                &format!("{key}.{first}"),
                format!(
                    "the Secret's values for {} are in the manifest (base64 is an encoding, not encryption)",
                    written.join(", ")
                ),
                format!(
                    "remove {key} from Secret {} and create it out of band or with External Secrets (ExternalSecret)",
                    object.name()
                ),
            );
            return;
        }
    }
}

/// Whether the value of Secret key `name` is settings and nothing secret:
/// lines of `name = value` or `name: value` (comments and blank lines
/// aside) whose names do not say secret and whose values are no known token,
/// under a key that does not say secret either (`default_timezone = UTC`
/// in `settings.ini`). A bare value (`hunter2`) is always taken for a secret.
fn settings_only(name: &str, text: &str) -> bool {
    if secret_name(name) || token_format(text).is_some() {
        return false;
    }
    let mut lines = text
        .lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty() && !l.starts_with('#') && !l.starts_with(';') && !l.starts_with('[')
        })
        .peekable();
    lines.peek().is_some()
        && lines.all(|line| {
            // `name = value`, or YAML's `name: value` (with its space:
            // `user:password` is a credential); base64 ends in `=`, which
            // leaves no value.
            let Some((setting, value)) = line.split_once('=').or_else(|| line.split_once(": "))
            else {
                return false;
            };
            let (setting, value) = (setting.trim(), value.trim());
            !setting.is_empty()
                && !setting.contains(' ')
                && !value.trim_matches('=').is_empty()
                && !secret_name(setting)
                && token_format(value).is_none()
        })
}

/// Standard base64 (RFC 4648, padding optional) as text; `None` when it
/// is not base64 or not UTF-8.
fn decode_base64(text: &str) -> Option<String> {
    let mut bits: u32 = 0;
    let mut count = 0;
    let mut bytes = Vec::new();
    for c in text.trim().trim_end_matches('=').bytes() {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'\n' | b'\r' => continue,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(value);
        count += 6;
        if count >= 8 {
            count -= 8;
            bytes.push(((bits >> count) & 0xff) as u8);
        }
    }
    String::from_utf8(bytes).ok()
}

control!(
    SECRET_VALUES_IN_ENV,
    "control/secret-values-in-env",
    Critical,
    5,
    Check::Object(secret_values_in_env),
    "A secret is written as a plain environment variable value",
    "move the value into a Secret created out of band and mount it as a file"
);

/// Well-known token formats, as (what, test).
fn token_format(value: &str) -> Option<&'static str> {
    let v = value.trim();
    if v.starts_with("sk_live_") || v.starts_with("sk_test_") || v.starts_with("rk_live_") {
        return Some("a Stripe API key");
    }
    if v.starts_with("ghp_") || v.starts_with("github_pat_") || v.starts_with("gho_") {
        return Some("a GitHub token");
    }
    if v.len() == 20
        && (v.starts_with("AKIA") || v.starts_with("ASIA"))
        && v.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    {
        return Some("an AWS access key id");
    }
    if ["xoxb-", "xoxp-", "xoxa-", "xoxs-"]
        .iter()
        .any(|p| v.starts_with(p))
    {
        return Some("a Slack token");
    }
    if v.contains("-----BEGIN") && v.contains("PRIVATE KEY-----") {
        return Some("a private key");
    }
    let parts: Vec<&str> = v.split('.').collect();
    if parts.len() == 3
        && parts[0].starts_with("eyJ")
        && parts[1].starts_with("eyJ")
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '=')
        })
    {
        return Some("a JSON Web Token");
    }
    None
}

/// Whether a variable name says it holds a secret.
fn secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    let secretish = [
        "PASSWORD",
        "PASSWD",
        "TOKEN",
        "SECRET",
        "API_KEY",
        "APIKEY",
        "PRIVATE_KEY",
        "ACCESS_KEY",
    ]
    .iter()
    .any(|w| upper.contains(w));
    // Names of where a secret is, not the secret: a path, file, name or id.
    let pointer = [
        "_FILE",
        "_PATH",
        "_DIR",
        "_NAME",
        "_KEY_ID",
        "_REF",
        "_URL",
        "_TTL",
        "_TIMEOUT",
        "_ENABLED",
        "_LENGTH",
        "_HEADER",
        "_NAMESPACE",
    ]
    .iter()
    .any(|s| upper.ends_with(s));
    secretish && !pointer
}

/// Values that are not a secret even under a secret-looking name: empty,
/// a placeholder to replace (`<...>`, `${VAR}`, `$(VAR)`, `xxx`, `***`,
/// `REPLACE_ME`, `TODO`), a path, a boolean or a number. `changeme`-style
/// defaults (changeme, password, admin) ARE reported: a default password
/// in a manifest is what gets deployed.
fn placeholder(value: &str) -> bool {
    let v = value.trim();
    let lower = v.to_ascii_lowercase();
    v.is_empty()
        || (v.starts_with('<') && v.ends_with('>'))
        || (v.starts_with("${") && v.ends_with('}'))
        || (v.starts_with("$(") && v.ends_with(')'))
        || (v.starts_with("{{") && v.ends_with("}}"))
        || v.chars()
            .all(|c| matches!(c, 'x' | 'X' | '*' | '.' | '-' | '_'))
        || [
            "replace_me",
            "replaceme",
            "todo",
            "tbd",
            "none",
            "null",
            "true",
            "false",
        ]
        .contains(&lower.as_str())
        || v.starts_with('/')
        || v.parse::<f64>().is_ok()
}

fn secret_values_in_env(cx: &mut Cx<'_>, object: &Object<'_>) {
    let Some(workload) = Workload::of(object) else {
        return;
    };
    for Container {
        path, name, value, ..
    } in workload.containers()
    {
        for (i, env) in value
            .get("env")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let Some(text) = env.get("value").and_then(Value::as_str) else {
                continue;
            };
            let variable = env.get("name").and_then(Value::as_str).unwrap_or("?");
            let why = match token_format(text) {
                Some(what) => format!("holds {what}"),
                None if secret_name(variable) && !placeholder(text) => {
                    "has a secret-looking name and a literal value".to_string()
                }
                None => continue,
            };
            cx.report(
                object,
                &format!("{path}.env[{i}].value"),
                format!("environment variable {variable} of container {name:?} {why}"),
                format!(
                    "remove the value of {variable} from container {name:?}, rotate it, and mount it from a Secret created out of band"
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_not_credentials_but_bare_values_are() {
        assert_eq!(
            decode_base64("ZGVmYXVsdF90aW1lem9uZSA9IFVUQw==").as_deref(),
            Some("default_timezone = UTC")
        );
        assert!(settings_only(
            "settings.ini",
            "[app]\ndefault_timezone = UTC\n# c\nlocale: en\n"
        ));
        assert!(!settings_only("settings.ini", "db_password = hunter2"));
        assert!(!settings_only("password", "a = b"));
        assert!(!settings_only("db", "hunter2"));
        assert!(!settings_only(
            "config",
            "key = ghp_16C7e42F292c6912E7710c838347Ae178B4a"
        ));
        assert!(!settings_only("config", ""));
        // base64 key material and user:password are not settings.
        assert!(!settings_only(
            "key",
            "AQB16V1VoF5mExAA5kCQs7bBj8VULRw26C84HA=="
        ));
        assert!(!settings_only("auth", "admin:hunter2"));
    }

    #[test]
    fn token_formats_are_recognised() {
        for value in [
            "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
            "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
            "AKIAIOSFODNN7EXAMPLE",
            "xoxb-123-456-abc",
            "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
        ] {
            assert!(token_format(value).is_some(), "{value}");
        }
        for value in ["sk-test", "hello", "AKIA", "a.b.c", "eyJ.x"] {
            assert!(token_format(value).is_none(), "{value}");
        }
    }

    #[test]
    fn secret_names_and_placeholders() {
        assert!(
            secret_name("DB_PASSWORD") && secret_name("api_key") && secret_name("GITHUB_TOKEN")
        );
        assert!(
            !secret_name("PASSWORD_FILE") && !secret_name("TOKEN_PATH") && !secret_name("PORT")
        );
        for value in [
            "",
            "  ",
            "<your-password>",
            "${DB_PASSWORD}",
            "$(PASS)",
            "xxxx",
            "/run/secrets/db",
            "true",
            "3600",
        ] {
            assert!(placeholder(value), "{value:?}");
        }
        for value in ["changeme", "hunter2", "admin"] {
            assert!(!placeholder(value), "{value:?}");
        }
    }
}
