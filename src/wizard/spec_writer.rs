//! Writes a spec as commented YAML a reviewer can read: sections in the
//! documented order, a comment on what each one means, and values quoted
//! only where YAML would misread them. Parsing the output gives back the
//! same spec (tested on every example spec).

use crate::text::pushln;
use std::collections::BTreeMap;

use crate::spec::{self, Spec};

/// A YAML scalar for `text`: plain when YAML reads it back as the same
/// string, double-quoted (JSON escaping) otherwise.
pub fn scalar(text: &str) -> String {
    let plain_chars =
        |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '/' | '-' | '_' | '@' | ':' | '+');
    let ambiguous = matches!(
        text.to_ascii_lowercase().as_str(),
        "" | "~" | "null" | "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n"
    ) || text.parse::<f64>().is_ok()
        || text.starts_with(|c: char| !c.is_ascii_alphanumeric() && c != '/')
        || text.ends_with(':')
        || text.contains(": ")
        || text.contains("0x")
        || text.chars().next().is_some_and(|c| c.is_ascii_digit()) && text.contains(':');
    if !ambiguous && text.chars().all(plain_chars) {
        text.to_string()
    } else {
        serde_json::to_string(text).unwrap_or_default()
    }
}

fn flow_list(items: &[String]) -> String {
    format!(
        "[{}]",
        items
            .iter()
            .map(|i| scalar(i))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn flow_map(map: &BTreeMap<String, String>) -> String {
    format!(
        "{{{}}}",
        map.iter()
            .map(|(k, v)| format!("{}: {}", scalar(k), scalar(v)))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn ports(out: &mut String, indent: &str, rules: &[spec::PortRule]) {
    if rules.is_empty() {
        return;
    }
    pushln!(out, "{indent}ports:");
    for rule in rules {
        let port = rule.port.map(|p| p.to_string()).unwrap_or_default();
        match &rule.protocol {
            Some(protocol) => {
                pushln!(
                    out,
                    "{indent}  - {{port: {port}, protocol: {}}}",
                    scalar(protocol)
                );
            }
            None => {
                pushln!(out, "{indent}  - {{port: {port}}}");
            }
        }
    }
}

fn field(out: &mut String, indent: &str, key: &str, value: &Option<String>) {
    if let Some(value) = value {
        pushln!(out, "{indent}{key}: {}", scalar(value));
    }
}

fn number<T: std::fmt::Display>(out: &mut String, indent: &str, key: &str, value: &Option<T>) {
    if let Some(value) = value {
        pushln!(out, "{indent}{key}: {value}");
    }
}

/// The spec as commented YAML. `schema` is the `$schema` path for editors.
pub fn write(spec: &Spec, schema: Option<&str>) -> String {
    let mut out = String::new();
    if let Some(schema) = schema {
        pushln!(out, "# yaml-language-server: $schema={schema}");
    }
    let name = spec
        .app
        .as_ref()
        .and_then(|a| a.name.clone())
        .unwrap_or_default();
    pushln!(
        out,
        "# Security spec for {name}, written by `harden init`. Review it, then run"
    );
    pushln!(
        out,
        "# `harden render` on this file to generate the hardened manifests."
    );
    field(&mut out, "", "apiVersion", &spec.api_version);
    field(&mut out, "", "kind", &spec.kind);
    if let Some(app) = &spec.app {
        app_section(&mut out, app);
    }
    if let Some(workload) = &spec.workload {
        workload_section(&mut out, workload);
    }
    if let Some(api) = &spec.kubernetes_api {
        api_section(&mut out, api);
    }
    if let Some(network) = &spec.network {
        network_section(&mut out, network);
    }
    if !spec.ingress.is_empty() {
        ingress_section(&mut out, spec);
    }
    if !spec.egress.is_empty() {
        egress_section(&mut out, spec);
    }
    if let Some(secrets) = &spec.secrets {
        secrets_section(&mut out, secrets);
    }
    if let Some(dapr) = &spec.dapr {
        dapr_section(&mut out, dapr);
    }
    if let Some(cluster) = &spec.cluster {
        cluster_section(&mut out, cluster);
    }
    out
}

/// `cluster`: the preset (the wizard writes nothing else of the profile).
fn cluster_section(out: &mut String, cluster: &spec::Cluster) {
    out.push_str(
        "\n# The cluster it runs on (move this to harden.yaml to share it with every spec).\ncluster:\n",
    );
    field(out, "  ", "preset", &cluster.preset);
}

/// `app`: name, namespace, compliance, Pod Security version.
fn app_section(out: &mut String, app: &spec::App) {
    out.push_str("\n# The application and the rules it is held to.\napp:\n");
    field(out, "  ", "name", &app.name);
    field(out, "  ", "namespace", &app.namespace);
    if !app.compliance.is_empty() {
        pushln!(out, "  compliance: {}", flow_list(&app.compliance));
    }
    if let Some(version) = &app.pod_security_version {
        pushln!(
            out,
            "  # Pod Security is pinned to this Kubernetes minor version."
        );
        pushln!(out, "  podSecurityVersion: {}", scalar(version));
    }
    field(out, "  ", "environment", &app.environment);
}

/// `workload`: image, port, replicas, resources, paths, probes.
fn workload_section(out: &mut String, workload: &spec::Workload) {
    out.push_str(
        "\n# The container: pinned image, non-root, read-only root filesystem.\nworkload:\n",
    );
    field(out, "  ", "image", &workload.image);
    if workload.allow_tag_only_image {
        out.push_str(
            "  # Accepted risk: the image is pinned by tag only.\n  allowTagOnlyImage: true\n",
        );
    }
    number(out, "  ", "port", &workload.port);
    number(out, "  ", "replicas", &workload.replicas);
    number(out, "  ", "runAsUser", &workload.run_as_user);
    if let Some(resources) = &workload.resources {
        out.push_str("  resources:\n");
        for (key, amounts) in [
            ("requests", &resources.requests),
            ("limits", &resources.limits),
        ] {
            if let Some(amounts) = amounts {
                let mut map = BTreeMap::new();
                if let Some(cpu) = &amounts.cpu {
                    map.insert("cpu".to_string(), cpu.clone());
                }
                if let Some(memory) = &amounts.memory {
                    map.insert("memory".to_string(), memory.clone());
                }
                pushln!(out, "    {key}: {}", flow_map(&map));
            }
        }
    }
    if let Some(paths) = &workload.writable_paths {
        pushln!(out, "  writablePaths: {}", flow_list(paths));
    }
    if let Some(probes) = &workload.probes {
        out.push_str("  probes:\n");
        for (key, probe) in [
            ("liveness", &probes.liveness),
            ("readiness", &probes.readiness),
        ] {
            if let Some(probe) = probe {
                let mut parts = Vec::new();
                if let Some(path) = &probe.path {
                    parts.push(format!("path: {}", scalar(path)));
                }
                if let Some(delay) = probe.initial_delay_seconds {
                    parts.push(format!("initialDelaySeconds: {delay}"));
                }
                if let Some(period) = probe.period_seconds {
                    parts.push(format!("periodSeconds: {period}"));
                }
                pushln!(out, "    {key}: {{{}}}", parts.join(", "));
            }
        }
    }
}

/// `kubernetesApi`: the API server, the token and the RBAC rules.
fn api_section(out: &mut String, api: &spec::KubernetesApi) {
    out.push_str("\n# Kubernetes API access: a Role in the app's namespace and an expiring token.\nkubernetesApi:\n");
    if let Some(server) = &api.api_server {
        let mut parts = Vec::new();
        if let Some(cidr) = &server.cidr {
            parts.push(format!("cidr: {}", scalar(cidr)));
        }
        if let Some(port) = server.port {
            parts.push(format!("port: {port}"));
        }
        pushln!(out, "  apiServer: {{{}}}", parts.join(", "));
    }
    if let Some(token) = &api.token {
        let mut parts = Vec::new();
        if let Some(audience) = &token.audience {
            parts.push(format!("audience: {}", scalar(audience)));
        }
        if let Some(seconds) = token.expiration_seconds {
            parts.push(format!("expirationSeconds: {seconds}"));
        }
        pushln!(out, "  token: {{{}}}", parts.join(", "));
    }
    if !api.rules.is_empty() {
        out.push_str("  rules:\n");
        for rule in &api.rules {
            pushln!(out, "    - apiGroups: {}", flow_list(&rule.api_groups));
            pushln!(out, "      resources: {}", flow_list(&rule.resources));
            if !rule.resource_names.is_empty() {
                pushln!(
                    out,
                    "      resourceNames: {}",
                    flow_list(&rule.resource_names)
                );
            }
            pushln!(out, "      verbs: {}", flow_list(&rule.verbs));
        }
    }
}

/// `network`: the enforcement.
fn network_section(out: &mut String, network: &spec::NetworkSettings) {
    out.push_str("\n# How network policy is enforced.\nnetwork:\n");
    field(out, "  ", "enforcement", &network.enforcement);
}

/// `ingress`: the callers.
fn ingress_section(out: &mut String, spec: &Spec) {
    out.push_str("\n# Who may call the app; everything else is denied.\ningress:\n");
    for rule in &spec.ingress {
        let mut lines = Vec::new();
        if let Some(name) = &rule.name {
            lines.push(format!("name: {}", scalar(name)));
        }
        if let Some(namespace) = &rule.namespace {
            lines.push(format!("namespace: {}", scalar(namespace)));
        }
        if !rule.pod_labels.is_empty() {
            lines.push(format!("podLabels: {}", flow_map(&rule.pod_labels)));
        }
        if lines.is_empty() {
            lines.push("{}".to_string());
        }
        for (i, line) in lines.iter().enumerate() {
            pushln!(out, "  {} {line}", if i == 0 { "-" } else { " " });
        }
        ports(out, "    ", &rule.ports);
    }
}

/// `egress`: the destinations.
fn egress_section(out: &mut String, spec: &Spec) {
    out.push_str("\n# Where the app may call out to; everything else is denied.\negress:\n");
    for rule in &spec.egress {
        pushln!(
            out,
            "  - name: {}",
            scalar(rule.name.as_deref().unwrap_or_default())
        );
        field(out, "    ", "namespace", &rule.namespace);
        if !rule.pod_labels.is_empty() {
            pushln!(out, "    podLabels: {}", flow_map(&rule.pod_labels));
        }
        field(out, "    ", "cidr", &rule.cidr);
        if !rule.except.is_empty() {
            pushln!(out, "    except: {}", flow_list(&rule.except));
        }
        if !rule.hosts.is_empty() {
            pushln!(out, "    hosts: {}", flow_list(&rule.hosts));
        }
        ports(out, "    ", &rule.ports);
    }
}

/// `secrets`: source, store, mount and keys.
fn secrets_section(out: &mut String, secrets: &spec::Secrets) {
    out.push_str(
        "\n# Secrets the app reads as files; no value is ever written anywhere.\nsecrets:\n",
    );
    field(out, "  ", "source", &secrets.source);
    if let Some(store) = &secrets.store {
        let mut parts = Vec::new();
        if let Some(name) = &store.name {
            parts.push(format!("name: {}", scalar(name)));
        }
        if let Some(kind) = &store.kind {
            parts.push(format!("kind: {}", scalar(kind)));
        }
        pushln!(out, "  store: {{{}}}", parts.join(", "));
    }
    field(out, "  ", "refreshInterval", &secrets.refresh_interval);
    field(out, "  ", "mountPath", &secrets.mount_path);
    out.push_str("  keys:\n");
    for key in &secrets.keys {
        pushln!(
            out,
            "    - name: {}",
            scalar(key.name.as_deref().unwrap_or_default())
        );
        field(out, "      ", "remoteKey", &key.remote_key);
        field(out, "      ", "property", &key.property);
    }
}

/// `dapr`: the sidecar, its peers and components.
fn dapr_section(out: &mut String, dapr: &spec::Dapr) {
    out.push_str("\n# The Dapr sidecar: mTLS, scoped components, API logging.\ndapr:\n");
    if let Some(enabled) = dapr.enabled {
        pushln!(out, "  enabled: {enabled}");
    }
    field(out, "  ", "version", &dapr.version);
    field(out, "  ", "appId", &dapr.app_id);
    if let Some(logging) = dapr.api_logging {
        pushln!(out, "  apiLogging: {logging}");
    }
    field(
        out,
        "  ",
        "controlPlaneNamespace",
        &dapr.control_plane_namespace,
    );
    if dapr.actors {
        out.push_str("  actors: true\n");
    }
    if dapr.jobs {
        out.push_str("  jobs: true\n");
    }
    field(out, "  ", "apiTokenSecret", &dapr.api_token_secret);
    for (key, peers) in [("invokedBy", &dapr.invoked_by), ("invokes", &dapr.invokes)] {
        if peers.is_empty() {
            continue;
        }
        pushln!(out, "  {key}:");
        for peer in peers {
            pushln!(
                out,
                "    - appId: {}",
                scalar(peer.app_id.as_deref().unwrap_or_default())
            );
            field(out, "      ", "namespace", &peer.namespace);
        }
    }
    if !dapr.components.is_empty() {
        out.push_str("  components:\n");
        for component in &dapr.components {
            pushln!(
                out,
                "    - name: {}",
                scalar(component.name.as_deref().unwrap_or_default())
            );
            field(out, "      ", "type", &component.component_type);
            field(out, "      ", "version", &component.version);
            if !component.metadata.is_empty() {
                out.push_str("      metadata:\n");
                for (key, value) in &component.metadata {
                    pushln!(out, "        {}: {}", scalar(key), scalar(value));
                }
            }
            if !component.secret_metadata.is_empty() {
                out.push_str("      secretMetadata:\n");
                for (key, reference) in &component.secret_metadata {
                    let mut parts = Vec::new();
                    if let Some(secret) = &reference.secret {
                        parts.push(format!("secret: {}", scalar(secret)));
                    }
                    if let Some(secret_key) = &reference.key {
                        parts.push(format!("key: {}", scalar(secret_key)));
                    }
                    pushln!(out, "        {}: {{{}}}", scalar(key), parts.join(", "));
                }
            }
            if let Some(scopes) = &component.scopes {
                pushln!(out, "      scopes: {}", flow_list(scopes));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_are_quoted_only_when_needed() {
        assert_eq!(scalar("task-api"), "task-api");
        assert_eq!(scalar("ghcr.io/a/b@sha256:00ff"), "ghcr.io/a/b@sha256:00ff");
        assert_eq!(scalar("true"), "\"true\"");
        assert_eq!(scalar("8080"), "\"8080\"");
        assert_eq!(scalar("redis:6379"), "redis:6379");
        assert_eq!(scalar("a: b"), "\"a: b\"");
        assert_eq!(scalar("*"), "\"*\"");
        assert_eq!(scalar(""), "\"\"");
        assert_eq!(scalar("10.0.0.0/8"), "10.0.0.0/8");
        assert_eq!(scalar("0.5"), "\"0.5\"");
    }

    #[test]
    fn every_example_spec_round_trips() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("specs");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let original =
                crate::yaml::parse_document::<Spec>(&std::fs::read_to_string(&path).unwrap())
                    .unwrap()
                    .value;
            let written = write(&original, Some("../schema/harden-spec.schema.json"));
            let parsed = crate::yaml::parse_document::<Spec>(&written)
                .unwrap_or_else(|e| panic!("{}: {e:?}\n{written}", path.display()));
            assert!(parsed.unknown_fields.is_empty());
            assert_eq!(
                parsed.value,
                original,
                "{} does not round-trip:\n{written}",
                path.display()
            );
        }
    }
}
