//! A mutation fuzzer for the spec path that runs on the stable toolchain
//! (cargo-fuzz needs nightly). It mutates the bytes, lines and values of seed
//! specs and checks, for every input:
//!
//! - loading and validating never panics and takes under a second;
//! - the quick block reader of `harden::yaml` and the full YAML parser read
//!   the input, and every rendered YAML file, alike (or the quick one
//!   leaves the text to the full one);
//! - every accepted spec renders, its output parses and passes its own audit
//!   parse (`audit::self_check` returns no internal error);
//! - no value injects a Kubernetes object (no ClusterRole/ClusterRoleBinding
//!   or other unexpected kind appears in the rendered YAML);
//! - no value reaches the posture document as raw HTML (`<fuzz` never
//!   appears unescaped);
//! - for accepted specs carrying the shell canary, running the generated
//!   scripts with `--help` under a PATH whose `fuzzcanary` command records
//!   its call never runs it.
//!
//! Usage: `cargo run --release --manifest-path fuzz/Cargo.toml -- [SECONDS]
//! [SEED_DIR...]` (default 60 seconds, seeds from `specs/`). Findings are
//! written to `fuzz/findings/` (ignored by git), a summary line every 10
//! seconds to stdout; the exit status is 1 when anything was found.
//! `scripts/test` runs it for 60 seconds on every CI run.
#![forbid(unsafe_code)]

use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Values that probe the quoting of every context a spec string reaches.
const DICTIONARY: &[&str] = &[
    "$(fuzzcanary)",
    "`fuzzcanary`",
    "'; fuzzcanary; '",
    "\"; fuzzcanary; \"",
    "x\nfuzzcanary\n",
    "\\\"$(fuzzcanary)\\\"",
    "a\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: x}",
    "\"\n---\nkind: ClusterRole\n\"",
    "<fuzz>",
    "--> <fuzz>",
    "| a | b |",
    "[x](javascript:alert(1))",
    "{{ 7*7 }}",
    "[= 7*7 =]",
    "<% if true %>",
    "\u{202e}evil",
    "\u{2066}x\u{2069}",
    "\u{0}",
    "\u{7f}",
    "\u{85}",
    "\r",
    "\t",
    "1e400",
    "0.0.0.0/0",
    "::ffff:0.0.0.0/96",
    "10.0.0.0/08",
    "10.0.0.1/8",
    "/+8",
    "/proc",
    "/var/run/secrets/kubernetes.io/serviceaccount",
    "kube-system",
    "kube-fuzz",
    "-1",
    "0",
    "65536",
    "4294967296",
    "99999999999999999999",
    "1.5",
    "100m",
    "1Ei",
    "0.000000001",
    "~",
    "null",
    "true",
    "[]",
    "{}",
    "*",
    "&a [*a, *a]",
    "!!binary aGk=",
    "'",
    "\"",
    "#",
    ": ",
    "- ",
    "..",
    "../../etc/passwd",
];

/// A cluster profile with every field, appended to each seed.
const CLUSTER_SECTION: &str = "cluster:
  preset: gke
  cni: cilium
  domain: cluster.local
  searchDomains: [corp.example.com]
  dns:
    namespace: kube-system
    podLabels: {k8s-app: kube-dns}
    port: 53
    nodeLocalAddress: 169.254.20.10
    serviceAddress: 10.96.0.10
  apiServer: {cidrs: [172.18.0.2/32], port: 6443}
  daprVersion: \"1.18\"
  externalSecretsVersion: \"0.16\"
";

/// Kinds harden renders; anything else in the output was injected.
const KINDS: &[&str] = &[
    "Namespace",
    "ServiceAccount",
    "Role",
    "RoleBinding",
    "NetworkPolicy",
    "Secret",
    "ExternalSecret",
    "SecretStore",
    "ClusterSecretStore",
    "Component",
    "Configuration",
    "Subscription",
    "Resiliency",
    "WorkflowAccessPolicy",
    "Deployment",
    "Service",
    "PodDisruptionBudget",
    "Kustomization",
    "CiliumNetworkPolicy",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ClusterImagePolicy",
];

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(rng: &mut Rng, seeds: &[String], input: &str) -> String {
    let mut lines: Vec<String> = input.lines().map(str::to_string).collect();
    let rounds = 1 + rng.below(4);
    for _ in 0..rounds {
        if lines.is_empty() {
            lines.push(String::new());
        }
        let i = rng.below(lines.len());
        match rng.below(10) {
            // Replace a scalar value with a dictionary word (quoted or not).
            0..=3 => {
                let word = DICTIONARY[rng.below(DICTIONARY.len())];
                if let Some(colon) = lines[i].find(": ") {
                    let key = lines[i][..colon + 2].to_string();
                    let value = if rng.below(2) == 0 {
                        format!("{:?}", word)
                    } else {
                        word.to_string()
                    };
                    lines[i] = format!("{key}{value}");
                } else if let Some(dash) = lines[i].find("- ") {
                    let head = lines[i][..dash + 2].to_string();
                    lines[i] = format!("{head}{:?}", word);
                }
            }
            // Append a word inside a value.
            4 => {
                let word = DICTIONARY[rng.below(DICTIONARY.len())];
                let escaped = format!("{word:?}");
                if lines[i].ends_with('"') {
                    lines[i].pop();
                    lines[i].push_str(&escaped[1..]);
                } else {
                    lines[i].push_str(word);
                }
            }
            5 => {
                let copy = lines[i].clone();
                let most = if rng.below(20) == 0 { 2000 } else { 3 };
                let n = 1 + rng.below(most);
                for _ in 0..n {
                    lines.insert(i, copy.clone());
                }
            }
            6 => {
                lines.remove(i);
            }
            7 => {
                let j = rng.below(lines.len());
                lines.swap(i, j);
            }
            // Splice a line from another seed.
            8 => {
                let other = &seeds[rng.below(seeds.len())];
                let other: Vec<&str> = other.lines().collect();
                if !other.is_empty() {
                    lines.insert(i, other[rng.below(other.len())].to_string());
                }
            }
            // Byte-level: flip, insert or delete a character.
            _ => {
                let mut chars: Vec<char> = lines[i].chars().collect();
                let at = rng.below(chars.len() + 1);
                match rng.below(3) {
                    0 if at < chars.len() => {
                        chars[at] =
                            char::from_u32((chars[at] as u32) ^ (1 << rng.below(7))).unwrap_or('x');
                    }
                    1 => chars.insert(at, b" -:#\"'{}[],&*!|>%@`\\\t"[rng.below(21)] as char),
                    _ if at < chars.len() => {
                        chars.remove(at);
                    }
                    _ => {}
                }
                lines[i] = chars.into_iter().collect();
            }
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// A spec load slower than this, twice, is a finding.
const SLOW_LOAD: Duration = Duration::from_secs(5);

struct Finding {
    kind: &'static str,
    detail: String,
}

fn check(
    text: &str,
    templates: &harden::templates::Templates,
    run_scripts: bool,
) -> Result<bool, Finding> {
    readers_agree("input", text)?;
    let started = Instant::now();
    let loaded = catch_unwind(AssertUnwindSafe(|| {
        harden::load::load_spec_text(text, "specs/fuzz.yaml")
    }));
    let elapsed = started.elapsed();
    let loaded = loaded.map_err(|_| Finding {
        kind: "panic-load",
        detail: String::new(),
    })?;
    // A load is bounded by the parser's limits (size, depth, aliases), so a
    // slow one is a blow-up, seconds where a load takes milliseconds. The
    // bound is wide and a slow load is timed again before it counts, so a
    // busy machine (a parallel build, a shared CI runner) cannot fail it.
    if elapsed > SLOW_LOAD {
        let again = Instant::now();
        let _ = catch_unwind(AssertUnwindSafe(|| {
            harden::load::load_spec_text(text, "specs/fuzz.yaml")
        }));
        let second = again.elapsed();
        if second > SLOW_LOAD {
            return Err(Finding {
                kind: "slow-load",
                detail: format!("{elapsed:?}, then {second:?}"),
            });
        }
    }
    let Ok(model) = loaded else {
        return Ok(false);
    };
    let files = catch_unwind(AssertUnwindSafe(|| {
        harden::render::render(&model, templates)
    }))
    .map_err(|_| Finding {
        kind: "panic-render",
        detail: String::new(),
    })?
    .map_err(|bug| Finding {
        kind: "render-failed",
        detail: bug.to_string(),
    })?;
    if let Err(bug) = harden::audit::self_check(&model, &files) {
        return Err(Finding {
            kind: "self-check-parse",
            detail: bug,
        });
    }
    for file in &files {
        if file.name.ends_with(".yaml") {
            readers_agree(&file.name, &file.content)?;
            let documents = harden::yaml::parse_stream(&file.content).map_err(|e| Finding {
                kind: "yaml-unparsable",
                detail: format!("{}: {}", file.name, e.message),
            })?;
            for document in documents {
                let kind = document.get("kind").and_then(|k| k.as_str()).unwrap_or("");
                if !document.is_null() && !KINDS.contains(&kind) {
                    return Err(Finding {
                        kind: "yaml-injected-kind",
                        detail: format!("{}: kind {kind:?}", file.name),
                    });
                }
            }
        }
        if file.name.ends_with(".md") && file.content.contains("<fuzz") {
            return Err(Finding {
                kind: "markdown-raw-html",
                detail: file.name.clone(),
            });
        }
    }
    if run_scripts && text.contains("fuzzcanary") {
        run_generated_scripts(&files)?;
    }
    Ok(true)
}

/// The two YAML readers read `text` alike (see `harden::yaml::readers_disagree`).
fn readers_agree(name: &str, text: &str) -> Result<(), Finding> {
    let differs = catch_unwind(AssertUnwindSafe(|| harden::yaml::readers_disagree(text)))
        .map_err(|_| Finding {
            kind: "panic-yaml-readers",
            detail: name.to_string(),
        })?;
    match differs {
        None => Ok(()),
        Some(difference) => Err(Finding {
            kind: "yaml-readers-differ",
            detail: format!("{name}: {difference}"),
        }),
    }
}

/// Runs every generated script with `--help` under a PATH where
/// `fuzzcanary` records that it ran.
fn run_generated_scripts(files: &[harden::render::GeneratedFile]) -> Result<(), Finding> {
    let dir = std::env::temp_dir().join(format!("harden-fuzz-{}", std::process::id()));
    let bin = dir.join("bin");
    let _ = std::fs::create_dir_all(&bin);
    let marker = dir.join("ran");
    let _ = std::fs::remove_file(&marker);
    let canary = bin.join("fuzzcanary");
    let _ = std::fs::write(
        &canary,
        format!("#!/bin/sh\ntouch '{}'\n", marker.display()),
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&canary, std::fs::Permissions::from_mode(0o755));
    }
    for file in files.iter().filter(|f| f.name.ends_with(".sh")) {
        let script = dir.join(&file.name);
        let _ = std::fs::write(&script, &file.content);
        let path = format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let _ = std::process::Command::new("bash")
            .arg(&script)
            .arg("--help")
            .env("PATH", path)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
        if marker.exists() {
            return Err(Finding {
                kind: "shell-injection",
                detail: file.name.clone(),
            });
        }
    }
    Ok(())
}

fn main() {
    let mut args = std::env::args().skip(1);
    let seconds: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(60);
    let mut seed_dirs: Vec<PathBuf> = args.map(PathBuf::from).collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    if seed_dirs.is_empty() {
        seed_dirs.push(root.join("specs"));
    }
    let mut seeds = Vec::new();
    for dir in &seed_dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten() {
            if let Ok(text) = std::fs::read_to_string(entry.path()) {
                seeds.push(text);
            }
        }
    }
    assert!(!seeds.is_empty(), "no seed specs found");
    // Every seed also with a full cluster profile, so its values (names,
    // labels, addresses, versions: they reach YAML, shell and Markdown) are
    // mutated too.
    seeds.sort();
    let with_cluster: Vec<String> = seeds
        .iter()
        .map(|seed| format!("{}\n{CLUSTER_SECTION}", seed.trim_end()))
        .collect();
    seeds.extend(with_cluster);
    let findings_dir = root.join("fuzz").join("findings");
    let templates = harden::templates::Templates::embedded().expect("embedded templates");
    // Panics are findings, reported once each; keep the hook quiet.
    std::panic::set_hook(Box::new(|_| {}));
    let seed = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x9E37_79B9_7F4A_7C15u64);
    let mut rng = Rng(seed);
    let started = Instant::now();
    let mut last_report = Instant::now();
    let (mut executions, mut accepted, mut found) = (0u64, 0u64, 0u64);
    let mut kinds_seen = BTreeSet::new();
    // Inputs that were accepted are mutated further: they reach the renderer.
    let mut pool: Vec<String> = seeds.clone();
    while started.elapsed() < Duration::from_secs(seconds) {
        let base = pool[rng.below(pool.len())].clone();
        let input = mutate(&mut rng, &seeds, &base);
        executions += 1;
        let run_scripts = rng.below(50) == 0;
        match check(&input, &templates, run_scripts) {
            Ok(true) => {
                accepted += 1;
                if pool.len() < 5000 && rng.below(4) == 0 {
                    pool.push(input);
                }
            }
            Ok(false) => {}
            Err(finding) => {
                found += 1;
                let _ = std::fs::create_dir_all(&findings_dir);
                let name = format!("{}-{executions}.yaml", finding.kind);
                let _ = std::fs::write(findings_dir.join(&name), &input);
                if kinds_seen.insert(finding.kind) {
                    println!("FINDING {}: {} ({name})", finding.kind, finding.detail);
                }
            }
        }
        if last_report.elapsed() > Duration::from_secs(10) {
            last_report = Instant::now();
            println!(
                "{:>6}s executions {executions} accepted {accepted} findings {found} pool {}",
                started.elapsed().as_secs(),
                pool.len()
            );
        }
    }
    println!(
        "done: {executions} executions, {accepted} accepted, {found} findings ({} kinds: {:?})",
        kinds_seen.len(),
        kinds_seen
    );
    // A finding fails the run (CI runs it): the inputs are in fuzz/findings/.
    if found > 0 {
        std::process::exit(1);
    }
}
