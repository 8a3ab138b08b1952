//! A hostile corpus, by category: huge lists and strings, injection into
//! every string that reaches YAML, shell or Markdown, control and bidi
//! characters, odd file names, path traversal, wrong types, unreadable
//! files and directories given as specs.
//!
//! Every rejected case exits 2, names the field (or the file), and writes
//! nothing. Every accepted case renders, its YAML holds only the objects
//! harden renders, and running its scripts with `--help` runs nothing
//! injected (a fake `pwned` command on PATH records any call).
//!
//! Cases owned by the YAML layer (duplicate keys, tags, BOM, nesting depth,
//! UTF-16) are tested there.

use std::fs;

use crate::support::harden_in as harden;
use tempfile::TempDir;

const BASE: &str = "apiVersion: harden.dev/v1alpha1
kind: SecuritySpec
app:
  name: web
workload:
  image: docker.io/example/web@sha256:0c9e4b5a1f2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f
  port: 8080
";

/// Writes `text` as `name` in a fresh workspace and renders it; asserts the
/// refusal: exit 2, `expected` in stderr, nothing written.
fn refused_as(name: &str, text: &str, expected: &[&str]) {
    let dir = TempDir::new().unwrap();
    fs::create_dir(dir.path().join(".git")).unwrap();
    let spec = dir.path().join(name);
    fs::write(&spec, text).unwrap();
    let output = harden(dir.path())
        .arg("render")
        .arg(&spec)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{name}: {stderr}");
    for needle in expected {
        assert!(
            stderr.contains(needle),
            "{name}: no {needle:?} in:\n{stderr}"
        );
    }
    assert!(
        stderr.lines().count() < 120 && stderr.len() < 20_000,
        "{name}: error output is not bounded ({} bytes)",
        stderr.len()
    );
    assert!(!dir.path().join("deploy").exists(), "{name}: wrote files");
}

fn refused(text: &str, expected: &[&str]) {
    refused_as("spec.yaml", text, expected);
}

#[test]
fn huge_lists_are_refused_with_the_field_named() {
    let rules: String = (0..101)
        .map(|i| format!("  - {{name: r{i}, namespace: n}}\n"))
        .collect();
    refused(
        &format!("{BASE}ingress:\n{rules}"),
        &["ingress", "at most 100"],
    );
    let ports: String = (1..=101).map(|p| format!("{{port: {p}}}, ")).collect();
    refused(
        &format!("{BASE}egress:\n  - name: db\n    ports: [{ports}]\n"),
        &["egress[0].ports", "at most 100"],
    );
    // 100,000 rules: refused before any expensive work.
    let many: String = (0..100_000).map(|_| "{name: a},").collect();
    refused(&format!("{BASE}ingress: [{many}]\n"), &["at most"]);
}

#[test]
fn huge_strings_are_refused_and_not_echoed() {
    let long = "a".repeat(5000);
    refused(
        &BASE.replace("name: web", &format!("name: {long}")),
        &["app.name", "5000 bytes"],
    );
    let huge = "b".repeat(10 * 1024 * 1024);
    refused(
        &BASE.replace("name: web", &format!("name: {huge}")),
        &["at most 131072 bytes"],
    );
}

#[test]
fn control_and_bidi_characters_are_refused_in_every_string() {
    let cases = [
        (
            "app:\n  name: web\n  environment: \"prod\\u202Eno\"\n",
            "app.environment",
            "U+202E",
        ),
        (
            "app:\n  name: web\n  environment: \"a\\u0085b\"\n",
            "app.environment",
            "U+0085",
        ),
        (
            "app:\n  name: web\n  environment: \"a\\u001bb\"\n",
            "app.environment",
            "U+001B",
        ),
        (
            "app:\n  name: web\n  environment: \"a\\u2066b\"\n",
            "app.environment",
            "U+2066",
        ),
        (
            "app:\n  name: web\n  environment: \"a\\u061Cb\"\n",
            "app.environment",
            "U+061C",
        ),
    ];
    for (app, field, code) in cases {
        let text = BASE.replace("app:\n  name: web\n", app);
        refused(&text, &[field, code]);
    }
    // A right-to-left override in a remote key: reviewed text differs from
    // deployed text.
    refused(
        &format!(
            "{BASE}secrets:\n  source: externalSecrets\n  store: {{name: vault, kind: ClusterSecretStore}}\n  keys:\n    - name: db\n      remoteKey: \"web/\\u202Edb\"\n"
        ),
        &["secrets.keys[0].remoteKey", "U+202E", "bidirectional"],
    );
}

#[test]
fn cidrs_the_api_server_refuses_are_refused() {
    for (cidr, why) in [
        ("10.0.0.0/08", "leading zeros"),
        ("10.0.0.0/+8", "without sign"),
        ("::ffff:0.0.0.0/96", "IPv4-mapped"),
        ("10.0.0.1/8", "host bits"),
    ] {
        refused(
            &format!(
                "{BASE}egress:\n  - name: out\n    cidr: \"{cidr}\"\n    ports: [{{port: 443}}]\n"
            ),
            &["egress[0].cidr", why],
        );
    }
}

#[test]
fn pci_refuses_a_wide_api_server_range() {
    let text = BASE.replace("  name: web\n", "  name: web\n  compliance: [pci-dss]\n")
        + "kubernetesApi:\n  rules:\n    - resources: [configmaps]\n      verbs: [get]\n  apiServer: {cidr: 0.0.0.0/0, port: 443}\n";
    refused(&text, &["kubernetesApi.apiServer.cidr", "wider than /16"]);
}

#[test]
fn system_namespaces_are_refused() {
    refused(
        &BASE.replace("  name: web\n", "  name: web\n  namespace: kube-tools\n"),
        &["app.namespace", "kube-tools"],
    );
}

#[test]
fn reserved_mount_paths_are_refused() {
    for path in [
        "/proc/x",
        "/sys",
        "/dev/shm",
        "/var/run/secrets/kubernetes.io/serviceaccount",
    ] {
        refused(
            &format!("{BASE}  writablePaths: [\"{path}\"]\n"),
            &["workload.writablePaths[0]"],
        );
    }
    refused(
        &format!(
            "{BASE}secrets:\n  source: externalSecrets\n  store: {{name: vault, kind: ClusterSecretStore}}\n  mountPath: /var/run/secrets\n  keys:\n    - name: db\n      remoteKey: web/db\n"
        ),
        &[
            "secrets.mountPath",
            "/var/run/secrets/kubernetes.io/serviceaccount",
        ],
    );
}

#[test]
fn quantities_the_api_server_refuses_are_refused() {
    for (cpu, why) in [
        ("1e400", "2^63-1"),
        ("-1", "negative"),
        ("1e", "suffix"),
        ("0x10", "suffix"),
    ] {
        refused(
            &format!("{BASE}  resources:\n    limits: {{cpu: \"{cpu}\", memory: 128Mi}}\n"),
            &["workload.resources.limits.cpu", why],
        );
    }
}

#[test]
fn path_traversal_in_fields_is_refused() {
    refused(
        &format!("{BASE}  writablePaths: [/tmp/../etc]\n"),
        &["workload.writablePaths[0]", ".."],
    );
    refused(
        &format!(
            "{BASE}secrets:\n  source: externalSecrets\n  store: {{name: vault, kind: ClusterSecretStore}}\n  keys:\n    - name: ../../etc/passwd\n      remoteKey: web/db\n"
        ),
        &["secrets.keys[0].name"],
    );
}

#[test]
fn wrong_types_are_refused() {
    for text in [
        "apiVersion: harden.dev/v1alpha1\nkind: SecuritySpec\napp: [1, 2]\n".to_string(),
        format!("{BASE}ingress: \"everyone\"\n"),
        BASE.replace("port: 8080", "port: \"http\""),
        BASE.replace("port: 8080", "port: 99999999999999999999"),
        "just a string\n".to_string(),
        "".to_string(),
    ] {
        refused(&text, &["spec.yaml"]);
    }
}

#[test]
fn odd_file_names_are_refused_with_the_character_named() {
    for (name, code) in [
        ("a\n---\nkind: ClusterRoleBinding.yaml", "U+000A"),
        ("x\n$(touch pwned).yaml", "U+000A"),
        ("a-->b.yaml", "U+003E"),
        ("a<b.yaml", "U+003C"),
        ("evil\u{202e}lmay.yaml", "U+202E"),
        ("tab\there.yaml", "U+0009"),
        ("del\u{7f}.yaml", "U+007F"),
        ("c1\u{9b}.yaml", "U+009B"),
    ] {
        refused_as(name, BASE, &[code, "rename the file"]);
    }
}

#[test]
fn directories_unreadable_and_missing_files_are_refused() {
    let dir = TempDir::new().unwrap();
    fs::create_dir(dir.path().join("specs")).unwrap();
    harden(dir.path())
        .args(["render", "specs"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no harden specs found"));
    std::os::unix::fs::symlink("nowhere.yaml", dir.path().join("dangling.yaml")).unwrap();
    harden(dir.path())
        .args(["render", "dangling.yaml"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("cannot read dangling.yaml"));
    fs::write(dir.path().join("utf16.yaml"), [0xff, 0xfe, 0x00, 0x41]).unwrap();
    harden(dir.path())
        .args(["render", "utf16.yaml"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("the file is UTF-16"));
    fs::write(
        dir.path().join("binary.yaml"),
        [0x61, 0x3a, 0x20, 0xff, 0x0a],
    )
    .unwrap();
    harden(dir.path())
        .args(["render", "binary.yaml"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("not valid UTF-8"));
    assert!(!dir.path().join("deploy").exists());
}

#[test]
fn error_output_is_capped() {
    // 100 rules with 2 problems each.
    let rules: String = (0..100)
        .map(|_| "  - {name: \"Bad Name\", namespace: \"Bad NS\"}\n")
        .collect();
    let dir = TempDir::new().unwrap();
    fs::write(
        dir.path().join("spec.yaml"),
        format!("{BASE}ingress:\n{rules}"),
    )
    .unwrap();
    let output = harden(dir.path())
        .args(["validate", "spec.yaml"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr.contains("… and "), "{stderr}");
    assert!(stderr.lines().filter(|l| l.starts_with("error:")).count() <= 51);
}

/// A spec whose free-text values carry shell, YAML and Markdown injections,
/// under a file name with spaces, quotes and `$(...)`.
#[test]
fn accepted_hostile_values_render_and_run_nothing_injected() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    // The workspace file makes `root` the root (the spec is not in `specs/`).
    fs::write(root.join("harden.yaml"), "").unwrap();
    fs::create_dir(root.join("my specs")).unwrap();
    let payload = r#"x'$(pwned)`pwned`\"; pwned; --> <b>|*_[l](u) --- kind: ClusterRoleBinding {{ x }} [= x =]"#;
    let text = format!(
        "{}dapr:\n  enabled: true\n  components:\n    - name: statestore\n      type: state.redis\n      version: v1\n      metadata:\n        keyPrefix: \"{payload}\"\nsecrets:\n  source: externalSecrets\n  store: {{name: vault, kind: ClusterSecretStore}}\n  keys:\n    - name: db\n      remoteKey: \"{payload}\"\n      property: \"{payload}\"\n",
        BASE
    );
    let name = "my specs/it's $(pwned) web.yaml";
    fs::write(root.join(name), &text).unwrap();
    let output = harden(root).args(["render", name]).output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let out = root.join("deploy/web");
    let mut scripts = Vec::new();
    for entry in fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        let content = fs::read_to_string(&path).unwrap();
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            content.contains("Generated by harden from my specs/it's $(pwned) web.yaml."),
            "{file}"
        );
        if file.ends_with(".yaml") {
            for document in harden::yaml::parse_stream(&content).expect("YAML parses") {
                let kind = document["kind"].as_str().unwrap_or_default();
                assert!(
                    !kind.starts_with("Cluster") || kind == "ClusterSecretStore",
                    "{file}: {kind}"
                );
            }
        }
        if file.ends_with(".md") {
            assert!(!content.contains("<b>"), "raw HTML in {file}");
            assert!(
                content.contains("harden posture 'my specs/it'\\''s $(pwned) web.yaml'"),
                "{content}"
            );
        }
        if file.ends_with(".sh") {
            scripts.push(path);
        }
    }
    assert_eq!(scripts.len(), 2);
    // A fake `pwned` on PATH records any call.
    let bin = root.join("bin");
    fs::create_dir(&bin).unwrap();
    let marker = root.join("PWNED");
    fs::write(
        bin.join("pwned"),
        format!("#!/bin/sh\ntouch '{}'\n", marker.display()),
    )
    .unwrap();
    std::os::unix::fs::PermissionsExt::set_mode(
        &mut fs::metadata(bin.join("pwned")).unwrap().permissions(),
        0o755,
    );
    fs::set_permissions(
        bin.join("pwned"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    for script in &scripts {
        let run = std::process::Command::new("bash")
            .arg(script)
            .arg("--help")
            .env("PATH", &path)
            .current_dir(root)
            .output()
            .unwrap();
        assert!(run.status.success(), "{script:?} --help: {run:?}");
        let syntax = std::process::Command::new("bash")
            .arg("-n")
            .arg(script)
            .status()
            .unwrap();
        assert!(syntax.success(), "{script:?} does not parse");
    }
    assert!(!marker.exists(), "an injected command ran");
    // check and the printed fix command work with this file name.
    harden(root).arg("check").assert().code(0);
}

/// `workload.signature`: issuers, subjects, regular expressions, PEM keys
/// and KMS URIs that carry injections are refused with the field named.
#[test]
fn hostile_signature_values_are_refused() {
    let signed = |signature: &str| format!("{BASE}  signature:\n{signature}");
    let cases: &[(&str, &str)] = &[
        (
            "    keyless: {issuer: \"https://x.com/$(pwned)\", subject: a@b.c}\n",
            "workload.signature.keyless.issuer",
        ),
        (
            "    keyless: {issuer: \"http://x.com\", subject: a@b.c}\n",
            "workload.signature.keyless.issuer",
        ),
        (
            "    keyless: {issuer: \"https://x.com\", subject: \"a'; pwned; '\"}\n",
            "workload.signature.keyless.subject",
        ),
        (
            "    keyless: {issuer: \"https://x.com\", subjectRegExp: \"^a\\\"\\nkind: ClusterRoleBinding$\"}\n",
            "workload.signature.keyless.subjectRegExp",
        ),
        (
            "    keyless: {issuer: \"https://x.com\", subjectRegExp: \"github.com/acme\"}\n",
            "workload.signature.keyless.subjectRegExp",
        ),
        (
            "    keyless: {issuer: \"https://x.com\", subjectRegExp: \"^(a)\\\\1$\"}\n",
            "workload.signature.keyless.subjectRegExp",
        ),
        (
            "    key:\n      pem: \"-----BEGIN PUBLIC KEY-----\\nAAAA\\n-----END PUBLIC KEY-----\\nkind: ClusterRoleBinding\\n\"\n",
            "workload.signature.key.pem",
        ),
        (
            "    key:\n      pem: \"-----BEGIN EC PRIVATE KEY-----\\nAAAA\\n-----END EC PRIVATE KEY-----\\n\"\n",
            "is a private key",
        ),
        (
            "    key: {kms: \"file:///etc/shadow\"}\n",
            "workload.signature.key.kms",
        ),
        (
            "    key: {secret: \"../x\"}\n",
            "workload.signature.key.secret",
        ),
        (
            "    key: {kms: \"awskms://$(pwned)\"}\n",
            "workload.signature.key.kms",
        ),
    ];
    for (signature, field) in cases {
        refused(&signed(signature), &[field]);
    }
}

/// An accepted regular expression holds every character YAML, the shell
/// and Markdown treat specially that RE2 needs (`\ $ { } | * [ ] ( ) ? +`):
/// it reaches the ClusterImagePolicy as exactly one scalar and the live
/// audit's `cosign verify` as one quoted word.
#[test]
fn accepted_signature_regexps_stay_one_value() {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("harden.yaml"), "").unwrap();
    let regexp = r"^https://github\.com/(acme|ACME)/web/\.github/workflows/[a-z]{1,9}\.yml@refs/tags/v[0-9]+(-rc)?#x;$";
    let text = format!(
        "{BASE}  signature:\n    keyless:\n      issuer: https://token.actions.githubusercontent.com\n      subjectRegExp: '{regexp}'\n"
    );
    fs::write(dir.path().join("web.yaml"), text).unwrap();
    let output = harden(dir.path())
        .args(["render", "web.yaml"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let out = dir.path().join("deploy/web");
    let policy = fs::read_to_string(out.join("09-image-policy.yaml")).unwrap();
    let documents = harden::yaml::parse_stream(&policy).expect("YAML parses");
    assert_eq!(documents.len(), 1);
    let identity = &documents[0]["spec"]["authorities"][0]["keyless"]["identities"][0];
    assert_eq!(identity["subjectRegExp"].as_str(), Some(regexp));
    assert_eq!(
        documents[0]["spec"]["images"][0]["glob"].as_str(),
        Some("index.docker.io/example/web@sha256:*")
    );
    let audit = fs::read_to_string(out.join("secure-web-audit.sh")).unwrap();
    assert!(
        audit.contains(&format!("'{regexp}'")),
        "the regexp is one single-quoted word in the audit script"
    );
}

/// The admission guard's CEL: spec values reach it only as string literals
/// in its data variables, written by `guard::cel_string`. With hostile
/// values in every field that reaches CEL (past validation, which refuses
/// most of them anyway), every rule's expression is byte for byte the one
/// a plain spec gets, every expression parses in a real CEL
/// implementation, and the data reads back as the values written.
#[test]
fn hostile_strings_cannot_change_the_guards_cel() {
    use harden::guard::{App, Auditors, Mode, Role, build};
    let payloads = [
        "x' || true || '",
        "x\\' || true || \\'",
        "\") || true || (\"",
        "a\nb\u{2028}c\u{0}",
        "/* */ // ${x} {{y}} [= z =]",
        "é😀",
    ];
    let app = |text: &str| App {
        name: format!("web{text}"),
        image: format!("registry.example/web{text}@sha256:0"),
        service_account: format!("web-sa{text}"),
        run_as_user: 10001,
        api_access: true,
        role: Some(Role {
            name: format!("web-role{text}"),
            rules: vec![vec![
                ("apiGroups", vec![text.to_string()]),
                ("resources", vec![format!("configmaps{text}")]),
                ("verbs", vec!["get".into()]),
            ]],
        }),
        dapr_annotations: vec![("dapr.io/app-id".into(), format!("web{text}"))],
    };
    // Auditors (`cluster.auditors`) named by the payload too.
    let auditors = |text: &str| Auditors {
        users: vec![format!("ci{text}")],
        groups: vec![format!("auditors{text}")],
    };
    let plain = app("");
    let plain_guard = build("shop", Mode::Deny, &[&plain], &auditors(""));
    for payload in payloads {
        let hostile = app(payload);
        let guard = build(
            &format!("shop{payload}"),
            Mode::Deny,
            &[&hostile],
            &auditors(payload),
        );
        // Its file reads back as the objects built, at their lines.
        let (_, written) = harden::render::guard_file(&guard, "s.yaml");
        let fields = written
            .agrees_with_its_text()
            .unwrap_or_else(|e| panic!("{payload:?}: {e}"));
        assert!(fields > 100, "{payload:?}");
        for (policy, plain_policy) in guard.policies.iter().zip(&plain_guard.policies) {
            for (rule, plain_rule) in policy.validations.iter().zip(&plain_policy.validations) {
                assert_eq!(rule.expression, plain_rule.expression, "{payload:?}");
                assert_eq!(rule.message, plain_rule.message);
            }
            for condition in &policy.match_conditions {
                cel::Program::compile(&condition.expression).expect("parses");
            }
            for variable in &policy.variables {
                let program = cel::Program::compile(&variable.expression)
                    .unwrap_or_else(|e| panic!("{payload:?}: {}: {e:?}", variable.expression));
                if variable.name == "appIds" {
                    let value = program.execute(&cel::Context::default()).unwrap();
                    let cel::Value::List(ids) = value else {
                        panic!("appIds is not a list")
                    };
                    assert_eq!(*ids, vec![cel::Value::from(format!("web{payload}"))]);
                }
                if variable.name == "auditor" {
                    // Exactly the named user or group is an auditor.
                    let cases = [
                        (format!("ci{payload}"), vec![], true),
                        ("ci".into(), vec![format!("auditors{payload}")], true),
                        ("ci".into(), vec!["auditors".into()], false),
                        (format!("ci{payload}x"), vec![], false),
                    ];
                    for (username, groups, expected) in cases {
                        let mut context = cel::Context::default();
                        context.add_variable_from_value(
                            "request",
                            crate::support::admission::cel(&serde_json::json!({
                                "userInfo": {"username": username, "groups": groups}
                            })),
                        );
                        assert_eq!(
                            program.execute(&context).unwrap(),
                            cel::Value::Bool(expected),
                            "{payload:?}: {username:?} {groups:?}"
                        );
                    }
                }
                if ["images", "accounts", "roles", "dapr"].contains(&variable.name.as_str()) {
                    let value = program.execute(&cel::Context::default()).unwrap();
                    let cel::Value::Map(map) = value else {
                        panic!("{} is not a map", variable.name)
                    };
                    let (key, value) = map.map.iter().next().unwrap();
                    let key = cel::Value::from(key.clone());
                    let expected_key = if variable.name == "roles" {
                        hostile.service_account.clone()
                    } else {
                        hostile.name.clone()
                    };
                    assert_eq!(key, cel::Value::from(expected_key), "{payload:?}");
                    let expected = match variable.name.as_str() {
                        "images" => cel::Value::from(hostile.image.clone()),
                        "accounts" => cel::Value::from(hostile.service_account.clone()),
                        "roles" => cel::Value::from(format!("web-role{payload}")),
                        _ => {
                            let cel::Value::Map(annotations) = value else {
                                panic!("dapr's values are maps")
                            };
                            let key: cel::objects::Key = "dapr.io/app-id".into();
                            assert_eq!(annotations.map.len(), 1);
                            assert_eq!(
                                annotations.map.get(&key),
                                Some(&cel::Value::from(format!("web{payload}")))
                            );
                            value.clone()
                        }
                    };
                    assert_eq!(value, &expected, "{payload:?}");
                }
            }
        }
    }
}

/// A spec cannot smuggle CEL through the fields that reach the guard: its
/// names and image are refused before anything renders.
#[test]
fn cel_in_guarded_fields_is_refused() {
    refused(
        &BASE.replace("name: web", "name: \"web' || true || '\""),
        &["app.name"],
    );
    refused(
        &BASE.replace("@sha256", "' || true || '@sha256"),
        &["workload.image"],
    );
    refused(
        &format!("{BASE}cluster:\n  guard: \"deny' || true\"\n"),
        &["cluster.guard", "use one of deny, warn, audit, off"],
    );
}
