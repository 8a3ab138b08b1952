//! The ecosystem around the binary: the committed JSON Schema is fresh,
//! organisation templates override the embedded ones (and pass the same
//! self-audit and drift checks), completions and the man page generate.

use std::fs;
use std::path::PathBuf;

use assert_cmd::Command;
use tempfile::TempDir;

use crate::support::harden::Harden;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn harden() -> Command {
    Command::cargo_bin("harden").unwrap()
}

#[test]
fn committed_schema_is_fresh() {
    let committed = fs::read_to_string(repo().join("schema/harden-spec.schema.json")).unwrap();
    // The binary embeds the committed file; it must be what the spec types
    // derive, and it is what `harden schema` prints.
    let derived = harden::spec::derived_schema();
    assert!(
        committed == derived,
        "schema/harden-spec.schema.json is stale: run `HARDEN_UPDATE_SCHEMA=1 cargo test --lib committed_schema`"
    );
    Harden::new().arg("schema").stdout(derived).run();
}

#[test]
fn example_specs_point_editors_at_the_schema() {
    for entry in fs::read_dir(repo().join("specs")).unwrap() {
        let path = entry.unwrap().path();
        let first = fs::read_to_string(&path)
            .unwrap()
            .lines()
            .next()
            .unwrap_or_default()
            .to_string();
        assert_eq!(
            first,
            "# yaml-language-server: $schema=../schema/harden-spec.schema.json",
            "{}",
            path.display()
        );
    }
}

#[test]
fn schema_rejects_unknown_fields_and_knows_the_enums() {
    let schema: serde_json::Value = serde_json::from_str(&harden::commands::schema()).unwrap();
    assert_eq!(schema["additionalProperties"], false);
    assert_eq!(schema["$defs"]["Workload"]["additionalProperties"], false);
    assert_eq!(
        schema["$defs"]["App"]["properties"]["compliance"]["items"]["enum"],
        serde_json::json!(["soc2", "hipaa", "pci-dss"])
    );
}

/// A workspace with the hello spec and an exported template directory.
fn workspace() -> TempDir {
    let dir = TempDir::new().unwrap();
    fs::create_dir(dir.path().join("specs")).unwrap();
    fs::copy(
        repo().join("specs/hello.yaml"),
        dir.path().join("specs/hello.yaml"),
    )
    .unwrap();
    harden()
        .current_dir(dir.path())
        .args(["templates", "export", "org-templates"])
        .assert()
        .success()
        .stdout(predicates::str::starts_with("exported "));
    dir
}

#[test]
fn export_refuses_to_overwrite_without_force() {
    let dir = workspace();
    harden()
        .current_dir(dir.path())
        .args(["templates", "export", "org-templates"])
        .assert()
        .code(1);
    harden()
        .current_dir(dir.path())
        .args(["templates", "export", "org-templates", "--force"])
        .assert()
        .success();
}

#[test]
fn custom_templates_override_and_the_rest_fall_back() {
    let dir = workspace();
    let templates = dir.path().join("org-templates");
    // Keep one template, customised; the rest fall back to the embedded ones.
    for entry in fs::read_dir(&templates).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap() != "01-namespace.yaml.j2" {
            fs::remove_file(path).unwrap();
        }
    }
    let namespace = templates.join("01-namespace.yaml.j2");
    let text = fs::read_to_string(&namespace).unwrap();
    fs::write(
        &namespace,
        text.replace(
            "  labels:\n",
            "  labels:\n    example.com/cost-center: \"platform\"\n",
        ),
    )
    .unwrap();
    harden()
        .current_dir(dir.path())
        .args([
            "render",
            "-q",
            "specs/hello.yaml",
            "--out",
            "custom",
            "--templates",
            "org-templates",
        ])
        .assert()
        .success();
    harden()
        .current_dir(dir.path())
        .args(["render", "-q", "specs/hello.yaml", "--out", "plain"])
        .assert()
        .success();
    let custom = fs::read_to_string(dir.path().join("custom/01-namespace.yaml")).unwrap();
    assert!(custom.contains("example.com/cost-center: \"platform\""));
    for name in [
        "02-rbac.yaml",
        "03-network-policy.yaml",
        "06-deployment.yaml",
        "secure-hello-audit.sh",
    ] {
        assert_eq!(
            fs::read(dir.path().join("custom").join(name)).unwrap(),
            fs::read(dir.path().join("plain").join(name)).unwrap(),
            "{name} falls back to the embedded template"
        );
    }
    // The same templates keep drift checks in sync; the embedded ones see drift.
    harden()
        .current_dir(dir.path())
        .args([
            "check",
            "-q",
            "specs/hello.yaml",
            "--out",
            "custom",
            "--templates",
            "org-templates",
        ])
        .assert()
        .code(0);
    harden()
        .current_dir(dir.path())
        .args(["check", "-q", "specs/hello.yaml", "--out", "custom"])
        .assert()
        .code(1);
}

#[test]
fn custom_templates_go_through_the_self_audit() {
    let dir = workspace();
    let deployment = dir.path().join("org-templates/06-deployment.yaml.j2");
    let text = fs::read_to_string(&deployment).unwrap();
    fs::write(
        &deployment,
        text.replace(
            "readOnlyRootFilesystem: true",
            "readOnlyRootFilesystem: false",
        ),
    )
    .unwrap();
    harden()
        .current_dir(dir.path())
        .args([
            "render",
            "specs/hello.yaml",
            "--out",
            "out",
            "--templates",
            "org-templates",
        ])
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "hardening/read-only-root-filesystem",
        ))
        .stderr(predicates::str::contains(
            "fails its own security audit; nothing was written",
        ));
    assert!(!dir.path().join("out").exists());
}

#[test]
fn template_errors_point_at_the_custom_file_and_line() {
    let dir = workspace();
    let rbac = dir.path().join("org-templates/02-rbac.yaml.j2");
    let text = fs::read_to_string(&rbac).unwrap();
    fs::write(
        &rbac,
        text.replacen(
            "automountServiceAccountToken: false",
            "automountServiceAccountToken: {{ no_such_value }}",
            1,
        ),
    )
    .unwrap();
    // Each broken copy is refused as an input error (exit 2).
    let refused = || {
        harden()
            .current_dir(dir.path())
            .args(["render", "specs/hello.yaml", "--templates", "org-templates"])
            .assert()
            .code(2)
    };
    refused()
        .stderr(predicates::str::contains(
            "error in custom template org-templates/02-rbac.yaml.j2",
        ))
        .stderr(predicates::str::contains("(in 02-rbac.yaml.j2:9)"));
    fs::write(&rbac, "{% if %}\n").unwrap();
    refused().stderr(predicates::str::starts_with(
        "error: custom template org-templates/02-rbac.yaml.j2: syntax error",
    ));
    fs::write(dir.path().join("org-templates/99-extra.yaml.j2"), "x: 1\n").unwrap();
    refused().stderr(predicates::str::starts_with(
        "error: org-templates/99-extra.yaml.j2: harden has no template of that name",
    ));
    // A template harden no longer renders (the guard's, from an earlier
    // export) is named, with the fix, not taken for an unknown name.
    fs::remove_file(dir.path().join("org-templates/99-extra.yaml.j2")).unwrap();
    fs::write(
        dir.path().join("org-templates/08-admission-guard.yaml.j2"),
        "x: 1\n",
    )
    .unwrap();
    refused()
        .stderr(predicates::str::starts_with(
            "error: org-templates/08-admission-guard.yaml.j2: harden no longer renders this template: \
             the admission guard (08-admission-guard.yaml) is now built and written by harden itself",
        ))
        .stderr(predicates::str::contains("delete the file"));
}

#[test]
fn completions_generate_for_each_shell() {
    for (shell, marker) in [
        ("bash", "_harden()"),
        ("zsh", "#compdef harden"),
        ("fish", "complete -c harden"),
    ] {
        let mut case = Harden::new()
            .args(["completions", shell])
            .stdout_contains(marker);
        for command in ["render", "check", "diff", "audit", "posture", "schema"] {
            case = case.stdout_contains(command);
        }
        case.run();
    }
}

/// harden(1) names a page per command (harden-render(1), ...): `harden man
/// DIR` writes every one of them.
#[test]
fn man_writes_every_page_the_main_page_refers_to() {
    let dir = tempfile::TempDir::new().unwrap();
    let pages = dir.path().join("man1");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_harden"))
        .arg("man")
        .arg(&pages)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let written: Vec<String> = std::fs::read_dir(&pages)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        String::from_utf8_lossy(&output.stdout)
            .starts_with(&format!("wrote {} man pages to ", written.len())),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let mut referred = 0;
    for page in &written {
        let text = std::fs::read_to_string(pages.join(page)).unwrap();
        for reference in text.split("harden\\-").skip(1) {
            let name: String = reference
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '\\' || *c == '-')
                .collect();
            if !reference[name.len()..].starts_with("(1)") {
                continue;
            }
            let file = format!("harden-{}.1", name.replace("\\-", "-"));
            assert!(
                written.contains(&file),
                "{page} refers to {file}, not written"
            );
            referred += 1;
        }
    }
    assert!(referred >= 12, "only {referred} references checked");
    assert!(written.contains(&"harden-templates-export.1".to_string()));
}

#[test]
fn man_page_and_version() {
    Harden::new()
        .arg("man")
        .stdout_contains(".TH harden 1")
        .stdout_contains("render")
        .run();
    let version = Harden::new().arg("--version").run();
    assert!(
        version
            .stdout
            .starts_with(&format!("harden {} (", env!("CARGO_PKG_VERSION"))),
        "{}",
        version.stdout
    );
}
