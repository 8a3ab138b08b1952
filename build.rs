//! Records the git revision the binary was built from, for `--version`, and
//! writes the spec's JSON Schema without its prose (descriptions, titles,
//! examples) for the type check a render runs (`spec::json_schema`): a third
//! of the bytes to parse in every process. `schema/` keeps the full schema
//! for editors and `harden schema`.
use std::process::Command;

/// The committed schema, and the file this writes into `OUT_DIR`.
const SCHEMA: &str = "schema/harden-spec.schema.json";
const CHECK_SCHEMA: &str = "spec-schema-check.json";

fn main() {
    println!("cargo:rerun-if-changed={SCHEMA}");
    let text =
        std::fs::read_to_string(SCHEMA).expect("schema/harden-spec.schema.json is committed");
    let schema: serde_json::Value =
        serde_json::from_str(&text).expect("the committed schema is JSON");
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(
        out.join(CHECK_SCHEMA),
        without_prose(schema, false).to_string(),
    )
    .expect("write the schema for the type check");

    let revision = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=HARDEN_GIT_REVISION={revision}");
    for path in [".git/HEAD", ".git/refs"] {
        if std::path::Path::new(path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
}

/// `schema` without the keywords that only explain (`description`,
/// `title`, `examples`); the names in a `properties` map are fields, kept
/// whatever they are called.
fn without_prose(schema: serde_json::Value, field_names: bool) -> serde_json::Value {
    use serde_json::Value;
    match schema {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(key, _)| {
                    field_names || !matches!(key.as_str(), "description" | "title" | "examples")
                })
                .map(|(key, value)| {
                    let names = !field_names && key == "properties";
                    (key, without_prose(value, names))
                })
                .collect(),
        ),
        Value::Array(items) => {
            Value::Array(items.into_iter().map(|v| without_prose(v, false)).collect())
        }
        other => other,
    }
}
