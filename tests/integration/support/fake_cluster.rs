//! The table the fake kubectl (tests/fixtures/fake-kubectl) answers from:
//! what a cluster running exactly a spec's rendered manifests would say.
//! Read from the manifests, not from the model, so that the live scripts
//! (which come from the model) are checked against what was rendered.
//! Shared by the audit_script and posture modules.

use std::path::Path;

use harden::render::GeneratedFile;
use serde_json::Value;

/// The documents of a rendered file (none when the spec has no such file),
/// with those of the same file of the app's shared namespace, if given.
fn documents(files: &[GeneratedFile], name: &str) -> Vec<Value> {
    files
        .iter()
        .filter(|f| f.name == name)
        .flat_map(|f| harden::yaml::parse_stream(&f.content).expect("rendered YAML parses"))
        .collect()
}

fn text(value: &Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"))
}

/// The fake cluster of a spec: what a cluster running exactly the rendered
/// manifests would answer, one fact a line (the format is described at the
/// top of tests/fixtures/fake-kubectl). Read from the manifests, not from
/// the model, so that the live scripts (which come from the model) are
/// checked against what was actually rendered.
pub fn cluster_table(files: &[GeneratedFile]) -> String {
    let mut facts: Vec<(&str, String)> = Vec::new();
    let namespace = documents(files, "01-namespace.yaml")
        .into_iter()
        .find(|d| d["kind"] == "Namespace")
        .expect("a Namespace");
    let labels = &namespace["metadata"]["labels"];
    facts.push(("namespace", text(&namespace["metadata"]["name"]).into()));
    facts.push((
        "pss_enforce",
        text(&labels["pod-security.kubernetes.io/enforce"]).into(),
    ));
    facts.push((
        "pss_version",
        text(&labels["pod-security.kubernetes.io/enforce-version"]).into(),
    ));
    let deployment = documents(files, "06-deployment.yaml")
        .into_iter()
        .find(|d| d["kind"] == "Deployment")
        .expect("a Deployment");
    let pod = &deployment["spec"]["template"];
    facts.push(("app", text(&deployment["metadata"]["name"]).into()));
    facts.push((
        "service_account",
        text(&pod["spec"]["serviceAccountName"]).into(),
    ));
    facts.push(("replicas", deployment["spec"]["replicas"].to_string()));
    if let Some(logging) = pod["metadata"]["annotations"].get("dapr.io/enable-api-logging") {
        facts.push(("api_logging", text(logging).into()));
    }
    for container in pod["spec"]["containers"].as_array().unwrap() {
        for mount in container["volumeMounts"].as_array().into_iter().flatten() {
            facts.push(("mount", text(&mount["mountPath"]).into()));
        }
        for env in container["env"].as_array().into_iter().flatten() {
            if let Some(name) = env["valueFrom"]["secretKeyRef"]["name"].as_str() {
                facts.push(("secret_env", name.into()));
            }
        }
        for from in container["envFrom"].as_array().into_iter().flatten() {
            if let Some(name) = from["secretRef"]["name"].as_str() {
                facts.push(("secret_env", name.into()));
            }
        }
    }
    for policy in documents(files, "03-network-policy.yaml")
        .iter()
        .filter(|d| d["kind"] == "NetworkPolicy")
    {
        // As `kubectl -o jsonpath={.spec.podSelector}` prints them: JSON.
        facts.push((
            "netpol",
            format!(
                "{}|{}|{}",
                text(&policy["metadata"]["name"]),
                policy["spec"]["podSelector"],
                policy["spec"]["policyTypes"]
            ),
        ));
    }
    // The Role's rules, for the Role bound to the app's ServiceAccount.
    let rbac = documents(files, "02-rbac.yaml");
    for binding in rbac.iter().filter(|d| d["kind"] == "RoleBinding") {
        let role = rbac
            .iter()
            .find(|d| d["kind"] == "Role" && d["metadata"]["name"] == binding["roleRef"]["name"])
            .expect("the bound Role is rendered");
        let scope = text(&role["metadata"]["namespace"]);
        for rule in role["rules"].as_array().into_iter().flatten() {
            let names: Vec<&str> = match rule["resourceNames"].as_array() {
                Some(names) => names.iter().map(text).collect(),
                None => vec!["*"],
            };
            for group in rule["apiGroups"].as_array().unwrap() {
                for resource in rule["resources"].as_array().unwrap() {
                    let qualified = match text(group) {
                        "" => text(resource).to_string(),
                        group => format!("{}.{group}", text(resource)),
                    };
                    for verb in rule["verbs"].as_array().unwrap() {
                        for name in &names {
                            facts.push((
                                "grant",
                                format!("{scope} {} {qualified} {name}", text(verb)),
                            ));
                        }
                    }
                }
            }
        }
    }
    for component in documents(files, "05-dapr-components.yaml")
        .iter()
        .filter(|d| d["kind"] == "Component")
    {
        facts.push(("component", text(&component["metadata"]["name"]).into()));
    }
    facts
        .iter()
        .map(|(key, value)| {
            assert!(!value.contains('\n'), "{key}: {value}");
            format!("{key} {value}\n")
        })
        .collect()
}

/// The table of the manifests rendered into `dir`.
pub fn cluster_table_in(dir: &Path) -> String {
    let files: Vec<GeneratedFile> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| GeneratedFile {
            name: p.file_name().unwrap().to_string_lossy().into_owned(),
            content: std::fs::read_to_string(&p).unwrap(),
            executable: false,
        })
        .collect();
    cluster_table(&files)
}

/// The cluster profile `model` was rendered for, as the fake's table lines
/// (`dns_pods`, `node_local`, `cni`, `api_server`, `dapr_version`,
/// `external_secrets_api`): the compliant fake answers the audit's
/// preflight with exactly these facts, the broken one with others.
pub fn profile_table(model: &harden::model::Model) -> String {
    let p = &model.preflight;
    let mut lines = Vec::new();
    if !p.dns_namespace.is_empty() {
        lines.push(format!(
            "dns_pods {} {} {}",
            p.dns_namespace, p.dns_selector, p.dns_port
        ));
    }
    if !p.node_local_address.is_empty() {
        lines.push(format!("node_local {}", p.node_local_address));
    }
    if p.cilium {
        lines.push("cni cilium".to_string());
    }
    if let Some(cidr) = p.api_server_cidrs.first() {
        let address = cidr.split('/').next().unwrap();
        lines.push(format!("api_server {address} {}", p.api_server_port));
    }
    if let Some(dapr) = &model.dapr {
        lines.push(format!("dapr_version {}", dapr.version));
    }
    if !p.external_secrets_api.is_empty() {
        lines.push(format!("external_secrets_api {}", p.external_secrets_api));
    }
    lines.iter().map(|l| format!("{l}\n")).collect()
}
