//! `harden reach`: read manifests and print who can reach whom as the
//! cluster would enforce their NetworkPolicies and CiliumNetworkPolicies
//! together, as text or JSON: by default what a reviewer needs (the summary
//! of [`crate::netpol::summary`]: allowed flows grouped, declared flows
//! blocked, traffic with the outside, workloads not isolated), with
//! `--matrix` every workload's rules and every flow, port by port (the
//! report of [`crate::netpol::reach`]). A spec is rendered in memory
//! first, and the report then also says, flow by flow, whether what the spec
//! declares (and the platform needs) is allowed and what must stay closed is
//! denied ([`crate::proof`]).

use crate::text::pushln;
use std::io::Write;
use std::path::PathBuf;

use crate::audit::manifests;
use crate::cli::Format;
use crate::error::Error;
use crate::error::Status;
use crate::netpol::Cluster;
use crate::netpol::reach::{self, Grant, ReachReport, Side, WorkloadReach};
use crate::netpol::summary::{self, Summary};

/// Each spec of `specs` (files or directories; none: the workspace)
/// rendered in memory: alone, or compiled as a system (with its workspace,
/// when it has a workspace file), each service's files then with its shared
/// namespace's (the Namespace and its default deny). A spec shown, its
/// model, its files.
fn rendered_specs(
    specs: &[PathBuf],
) -> Result<
    Vec<(
        String,
        crate::model::Model,
        Vec<crate::render::GeneratedFile>,
    )>,
    Error,
> {
    let scope = crate::pipeline::scope::scope(specs)?;
    let templates = crate::pipeline::embedded_templates()?;
    if !scope.is_system() {
        let mut found = Vec::new();
        for spec in &scope.all {
            let (model, files) = crate::pipeline::render_spec(spec, &templates)?;
            found.push((crate::load::display_path(spec), model, files));
        }
        return Ok(found);
    }
    let files = crate::pipeline::find::spec_files(&scope.all)?;
    let system = crate::system::compile(&files).map_err(|problems| Error::System {
        summary: crate::system::summary(&problems, files.len()),
        problems,
    })?;
    let focus = scope
        .focus
        .as_ref()
        .map(|focus| crate::pipeline::outputs::services_of(&system, focus));
    let mut found = Vec::new();
    for (index, service) in system.services.iter().enumerate() {
        if focus.as_ref().is_some_and(|f| !f.contains(&index)) {
            continue;
        }
        let mut files = crate::render::render(&service.model, &templates)?;
        if let Some(shared) = system
            .shared
            .iter()
            .find(|s| s.namespace.namespace == service.namespace())
        {
            files.extend(crate::render::render_namespace(
                &shared.namespace,
                &templates,
            )?);
        }
        found.push((service.file.clone(), service.model.clone(), files));
    }
    Ok(found)
}

/// Prints the reach report of `paths` (manifests and specs): the summary,
/// or with `matrix` every workload and every flow.
pub fn run(
    paths: &[PathBuf],
    format: Format,
    matrix: bool,
    stdout: &mut dyn Write,
) -> Result<Status, Error> {
    // Spec files, and directories holding specs, are rendered in memory
    // (a spec of a workspace with its workspace, as `render` does); other
    // paths are manifests. No path is the workspace's specs.
    let (specs, others): (Vec<PathBuf>, Vec<PathBuf>) = paths.iter().cloned().partition(|p| {
        if p.is_dir() {
            crate::pipeline::find::discover(std::slice::from_ref(p))
                .is_ok_and(|found| !found.is_empty())
        } else {
            p.is_file() && crate::pipeline::find::is_spec(p)
        }
    });
    let manifests = if others.is_empty() {
        Vec::new()
    } else {
        manifests::load(&others).map_err(Error::Input)?
    };
    let mut rendered = Vec::new();
    let mut proofs = Vec::new();
    if !specs.is_empty() || paths.is_empty() {
        for (spec, model, files) in rendered_specs(&specs)? {
            for file in files.iter().filter(|f| {
                f.name.ends_with(".yaml")
                    && !f.name.ends_with(crate::platform::names::KUSTOMIZATION_FILE)
            }) {
                let documents = crate::yaml::parse_stream(&file.content).map_err(|error| {
                    Error::Internal(format!("{}: {}", file.name, error.message))
                })?;
                rendered.extend(documents);
            }
            let proof = crate::proof::prove(&model, &files).map_err(Error::Internal)?;
            proofs.push((spec, proof, model.network.hosts.clone()));
        }
    }
    let documents = manifests
        .iter()
        .map(|m| &*m.document)
        .chain(rendered.iter());
    let cluster = Cluster::from_documents(documents).map_err(|errors| {
        Error::Inputs(
            errors
                .iter()
                .map(|error| {
                    let place = manifests
                        .iter()
                        .find(|m| m.resource() == error.resource)
                        .map(|m| format!("{}:{}: ", m.file, m.line_of(&error.path)))
                        .unwrap_or_default();
                    format!(
                        "{place}{} {}: {}",
                        error.resource, error.path, error.message
                    )
                })
                .collect(),
        )
    })?;
    let output = match format {
        Format::Json => {
            let mut value = if matrix {
                serde_json::to_value(reach::report(&cluster))
            } else {
                serde_json::to_value(summary::summary(&cluster))
            }
            .unwrap_or_default();
            if !proofs.is_empty() {
                value["specs"] = proofs
                    .iter()
                    .map(|(spec, proof, hosts)| proof_json(spec, proof, hosts))
                    .collect();
            }
            serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
        }
        Format::Text => {
            let mut out = if matrix {
                text(&reach::report(&cluster))
            } else {
                summary_text(&summary::summary(&cluster))
            };
            for (spec, proof, hosts) in &proofs {
                proof_text(&mut out, spec, proof, hosts);
            }
            out
        }
    };
    write!(stdout, "{output}")?;
    Ok(if proofs.iter().any(|(_, p, _)| !p.violations.is_empty()) {
        Status::Findings
    } else {
        Status::Clean
    })
}

/// Egress by hostname, which a CiliumNetworkPolicy carries: the NetworkPolicy
/// evaluator does not judge it, so it is listed as rendered.
fn host_lines(hosts: &[crate::model::HostFlow]) -> Vec<String> {
    hosts
        .iter()
        .map(|flow| {
            let names: Vec<&str> = flow.hosts.iter().map(|h| h.name.as_str()).collect();
            let ports: Vec<String> = flow
                .ports
                .iter()
                .map(|p| format!("{} {}", p.protocol, p.port))
                .collect();
            format!(
                "to {} on {} (egress {}, CiliumNetworkPolicy toFQDNs)",
                names.join(", "),
                ports.join(", "),
                flow.name
            )
        })
        .collect()
}

fn proof_text(
    out: &mut String,
    spec: &str,
    proof: &crate::proof::Proof,
    hosts: &[crate::model::HostFlow],
) {
    pushln!(
        out,
        "\n{spec}: {} flows the spec and the platform need, {} that must stay closed",
        proof.allowed,
        proof.denied
    );
    for line in host_lines(hosts) {
        pushln!(out, "  by hostname: {line}");
    }
    if proof.violations.is_empty() {
        pushln!(out, "  all allowed and denied as they must be");
    }
    for violation in &proof.violations {
        pushln!(out, "  BLOCKED OR OPEN: {violation}");
    }
}

fn proof_json(
    spec: &str,
    proof: &crate::proof::Proof,
    hosts: &[crate::model::HostFlow],
) -> serde_json::Value {
    serde_json::json!({
        "spec": spec,
        "hosts": hosts,
        "required": proof.allowed,
        "forbidden": proof.denied,
        "violations": proof.violations.iter().map(|v| serde_json::json!({
            "flow": v.flow,
            "expected": v.expected,
            "verdict": v.verdict,
        })).collect::<Vec<_>>(),
    })
}

/// The summary: one line per group of allowed flows, then the declared
/// flows that are blocked, traffic with the outside and the workloads no
/// policy isolates.
pub fn summary_text(summary: &Summary) -> String {
    let mut out = String::new();
    if summary.workload_count == 0 {
        out.push_str("no workloads (Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs) in these manifests\n");
        return out;
    }
    pushln!(
        out,
        "{} workloads, {} classes of pods the policies cannot tell apart (every workload and every flow: --matrix)",
        summary.workload_count,
        summary.class_count
    );
    let list = |ids: &[String]| ids.join(", ");
    pushln!(
        out,
        "\nallowed between workloads ({} groups; both ends allow; a workload to itself means replica to replica):",
        summary.allowed.len()
    );
    if summary.allowed.is_empty() {
        pushln!(out, "  none");
    }
    for group in &summary.allowed {
        let to = if group.to == group.from {
            "themselves".to_string()
        } else {
            list(&group.to)
        };
        pushln!(
            out,
            "  ALLOW {} -> {}: {}",
            list(&group.from),
            to,
            group.ports.join(", ")
        );
    }
    pushln!(
        out,
        "\ndeclared by a rule at one end, blocked at the other ({}):",
        summary.blocked.len()
    );
    if summary.blocked.is_empty() {
        pushln!(out, "  none");
    }
    for blocked in &summary.blocked {
        pushln!(
            out,
            "  BLOCKED {} -> {} {}: named by {}; {}",
            list(&blocked.from),
            list(&blocked.to),
            blocked.port,
            blocked.declared_by,
            blocked.reason
        );
    }
    pushln!(
        out,
        "\nwith the outside of these manifests (by the rules of each workload):"
    );
    if summary.outside.is_empty() {
        pushln!(out, "  none");
    }
    for outside in &summary.outside {
        pushln!(
            out,
            "  {} {} {}: {}   [{}]",
            outside.direction,
            if outside.direction == "ingress" {
                "from"
            } else {
                "to"
            },
            outside.peer,
            outside.ports.join(", "),
            list(&outside.workloads)
        );
    }
    for open in &summary.not_isolated {
        pushln!(
            out,
            "\nnot isolated for {} (no policy selects them: everything allowed): {}",
            open.direction,
            list(&open.workloads)
        );
    }
    out
}

/// The readable report: one block per workload, then the flows between
/// workloads of the manifests.
pub fn text(report: &ReachReport) -> String {
    let mut out = String::new();
    if report.workloads.is_empty() {
        out.push_str("no workloads (Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs) in these manifests\n");
        return out;
    }
    for workload in &report.workloads {
        pushln!(out, "{}", workload.id);
        let labels: Vec<String> = workload
            .labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let ports: Vec<String> = workload
            .ports
            .iter()
            .map(|p| match &p.name {
                Some(name) => format!("{} {} ({name})", p.protocol, p.port),
                None => format!("{} {}", p.protocol, p.port),
            })
            .collect();
        pushln!(
            out,
            "  pods labelled {}; ports: {}",
            if labels.is_empty() {
                "(none)".into()
            } else {
                labels.join(", ")
            },
            if ports.is_empty() {
                "none".into()
            } else {
                ports.join(", ")
            }
        );
        if workload.host_network {
            pushln!(
                out,
                "  warning: hostNetwork: most network plugins do not apply NetworkPolicies to it (its traffic is the node's); shown as if they did"
            );
        }
        side(&mut out, "ingress", "from", &workload.ingress);
        side(&mut out, "egress", "to", &workload.egress);
        dns_filter(&mut out, workload);
        out.push('\n');
    }
    let allowed: Vec<_> = report.flows.iter().filter(|f| f.allowed).collect();
    pushln!(
        out,
        "between workloads in these manifests: {} of {} flows allowed (each destination container port; a workload to itself means replica to replica)",
        allowed.len(),
        report.flows.len()
    );
    for flow in &report.flows {
        pushln!(
            out,
            "  {:<7} {} -> {} {} {}: {}",
            if flow.allowed { "ALLOW" } else { "deny" },
            flow.from,
            flow.to,
            flow.protocol,
            flow.port,
            flow.reason
        );
    }
    out
}

fn side(out: &mut String, name: &str, preposition: &str, side: &Side) {
    if side.isolated_by.is_empty() {
        pushln!(
            out,
            "  {name}: not isolated: {preposition} anywhere, any port"
        );
        return;
    }
    let policies: Vec<&str> = side.isolated_by.iter().map(|p| short(p)).collect();
    pushln!(out, "  {name}: isolated by {}", policies.join(", "));
    if side.grants.is_empty() {
        pushln!(out, "    nothing allowed");
    }
    for grant in &side.grants {
        write_grant(out, preposition, grant);
    }
}

/// The names a workload's pods may look up through a Cilium DNS filter, and
/// what voids it.
fn dns_filter(out: &mut String, workload: &WorkloadReach) {
    let Some(filter) = &workload.dns_filter else {
        return;
    };
    let rules: Vec<String> = filter
        .rules
        .iter()
        .map(|rule| match rule.split_once(' ') {
            Some((resource, path)) => format!("{} {path}", short(resource)),
            None => rule.clone(),
        })
        .collect();
    pushln!(
        out,
        "  DNS lookups ({}): only names matching {}   [{}]",
        filter.ports.join(", "),
        filter.names.join(", "),
        rules.join(", ")
    );
    for void in &workload.dns_voided_by {
        pushln!(
            out,
            "    VOIDED: {} {} allows {} without the filter: any name resolves",
            short(&void.resource),
            void.path,
            void.ports.join(", ")
        );
    }
}

fn write_grant(out: &mut String, preposition: &str, grant: &Grant) {
    let label = if grant.kind == "dns" { "DNS: " } else { "" };
    pushln!(
        out,
        "    {preposition} {label}{}: {}   [{} {}]",
        grant.peer,
        grant.ports.join(", "),
        short(&grant.policy),
        grant.path
    );
    for reached in &grant.workloads {
        if !reached.allowed.is_empty() {
            pushln!(
                out,
                "      {}: allowed on {}",
                reached.id,
                reached.allowed.join(", ")
            );
        }
        if !reached.denied.is_empty() {
            pushln!(
                out,
                "      {}: blocked on {} by {}",
                reached.id,
                reached.denied.join(", "),
                reached.blocked_by.as_deref().unwrap_or("the other end")
            );
        }
        if reached.allowed.is_empty() && reached.denied.is_empty() {
            pushln!(
                out,
                "      {}: matches, but has no port this rule names",
                reached.id
            );
        }
    }
    if (grant.kind == "pods" || grant.kind == "dns") && grant.workloads.is_empty() {
        pushln!(out, "      no workload in these manifests matches");
    }
    if let Some(other) = &grant.other_end {
        pushln!(out, "      other end: {other}");
    }
}

/// `NetworkPolicy/ns/name` -> `name`.
fn short(resource: &str) -> &str {
    resource.rsplit('/').next().unwrap_or(resource)
}
