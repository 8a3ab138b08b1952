//! The network questions of `harden init`: the callers (`ingress`), the
//! destinations (`egress`: pods, an address range or host names, another
//! service of the workspace) and, when a destination names hosts, how the
//! policy is enforced (`network.enforcement`).

use std::io::Write;

use dialoguer::Select;

use super::asker::{Asker, WizardError};
use crate::cli::InitArgs;
use crate::cli::init::{labels_or_marker, parse_ports};
use crate::spec::{self, Spec};

/// `network.enforcement`: asked when an egress rule names hosts and no
/// flag said (a NetworkPolicy cannot enforce a name).
pub(super) fn enforcement_question(
    spec: &mut Spec,
    args: &InitArgs,
    asker: &Asker<'_>,
    err: &mut dyn Write,
) -> Result<(), WizardError> {
    let names_hosts = spec.egress.iter().any(|r| !r.hosts.is_empty());
    if !names_hosts || args.enforcement.is_some() {
        return Ok(());
    }
    writeln!(
        err,
        "  Egress by host name is enforced by Cilium's DNS proxy (a CiliumNetworkPolicy): a NetworkPolicy cannot name a host."
    )
    .map_err(WizardError::Output)?;
    if asker.confirm(
        "Does the cluster run Cilium (network.enforcement: cilium)?",
        true,
    )? {
        spec.network = Some(spec::NetworkSettings {
            enforcement: Some("cilium".into()),
        });
        return Ok(());
    }
    // Without Cilium a name cannot be enforced: each such destination is
    // given by its addresses instead.
    for index in 0..spec.egress.len() {
        if spec.egress[index].hosts.is_empty() {
            continue;
        }
        let hosts = spec.egress[index].hosts.join(", ");
        spec.egress[index].hosts.clear();
        asker.text(
            spec,
            &format!("  Addresses (CIDR) of {hosts} instead"),
            None,
            &format!("egress[{index}]"),
            move |s, a| s.egress[index].cidr = Some(a.into()),
        )?;
    }
    Ok(())
}

/// `ingress`: the callers that may reach the app.
pub(super) fn callers(spec: &mut Spec, asker: &Asker<'_>) -> Result<(), WizardError> {
    while asker.confirm(
        if spec.ingress.is_empty() {
            "Add a caller that may reach the app?"
        } else {
            "Add another caller?"
        },
        spec.ingress.is_empty(),
    )? {
        let index = spec.ingress.len();
        spec.ingress.push(spec::IngressRule::default());
        let kind = Select::with_theme(asker.theme)
            .with_prompt("  Caller kind")
            .items([
                "pods in a namespace",
                "another service of this workspace (its app name)",
            ])
            .default(0)
            .interact()?;
        if kind == 1 {
            let app = asker.app_name("  Caller's app name (app.name of its spec)")?;
            spec.ingress[index].app = Some(app);
            continue;
        }
        asker.text(
            spec,
            "  Caller name (names the rule; empty: none)",
            Some(String::new()),
            &format!("ingress[{index}].name"),
            move |s, a| s.ingress[index].name = (!a.is_empty()).then(|| a.into()),
        )?;
        asker.text(
            spec,
            "  Callers' namespace",
            None,
            &format!("ingress[{index}].namespace"),
            move |s, a| s.ingress[index].namespace = Some(a.into()),
        )?;
        asker.text(
            spec,
            "  Callers' pod labels, label=value,... (empty: every pod there)",
            Some(String::new()),
            &format!("ingress[{index}].podLabels"),
            move |s, a| s.ingress[index].pod_labels = labels_or_marker(a),
        )?;
    }
    Ok(())
}

/// Whether an answer at the address prompt is an address range (or a bare
/// address); anything else is taken for host names.
fn is_address(text: &str) -> bool {
    let address = text.split('/').next().unwrap_or_default();
    address.parse::<std::net::IpAddr>().is_ok()
        || address.contains(':')
        || address.chars().all(|c| c.is_ascii_digit() || c == '.')
}

/// An answer at the address prompt: a CIDR, or host names (which need
/// Cilium's enforcement, asked for after the destinations).
fn place_destination(s: &mut Spec, index: usize, answer: &str) {
    let items = crate::cli::init::split_list(answer);
    let rule = &mut s.egress[index];
    if !items.is_empty() && !items.iter().all(|i| is_address(i)) {
        rule.hosts = items;
        rule.cidr = None;
    } else {
        rule.hosts.clear();
        rule.cidr = Some(answer.into());
    }
}

/// `egress`: the destinations the app calls.
pub(super) fn destinations(spec: &mut Spec, asker: &Asker<'_>) -> Result<(), WizardError> {
    while asker.confirm(
        if spec.egress.is_empty() {
            "Add a destination the app calls?"
        } else {
            "Add another destination?"
        },
        false,
    )? {
        let index = spec.egress.len();
        spec.egress.push(spec::EgressRule::default());
        let kind = Select::with_theme(asker.theme)
            .with_prompt("  Destination kind")
            .items([
                "pods in a namespace",
                "a network: addresses (CIDR) or host names (api.example.com)",
                "another service of this workspace (its app name)",
            ])
            .default(0)
            .interact()?;
        if kind == 2 {
            let app = asker.app_name("  Destination's app name (app.name of its spec)")?;
            spec.egress[index].app = Some(app);
            continue;
        }
        asker.text(
            spec,
            "  Destination name (e.g. redis)",
            None,
            &format!("egress[{index}].name"),
            move |s, a| s.egress[index].name = Some(a.into()),
        )?;
        if kind == 0 {
            let own = spec
                .app
                .as_ref()
                .and_then(|a| a.namespace.clone().or(a.name.clone()))
                .unwrap_or_default();
            let default = own.clone();
            asker.text(
                spec,
                "  Pods' namespace",
                Some(own),
                &format!("egress[{index}].namespace"),
                move |s, a| s.egress[index].namespace = (a != default).then(|| a.into()),
            )?;
            asker.text(
                spec,
                "  Pods' labels, label=value,... (empty: every pod there)",
                Some(String::new()),
                &format!("egress[{index}].podLabels"),
                move |s, a| s.egress[index].pod_labels = labels_or_marker(a),
            )?;
        } else {
            // Checked as if Cilium enforced the names: whether it does is
            // asked once, after the destinations.
            let enforcement = spec.network.clone();
            spec.network = Some(spec::NetworkSettings {
                enforcement: Some("cilium".into()),
            });
            let answer = asker.text(
                spec,
                "  Addresses (CIDR, e.g. 203.0.113.0/24) or host names (api.example.com, *.example.com), comma-separated",
                None,
                &format!("egress[{index}].cidr|egress[{index}].hosts"),
                move |s, a| place_destination(s, index, a),
            );
            spec.network = enforcement;
            answer?;
            if spec.egress[index].cidr.is_some() {
                asker.text(
                    spec,
                    "  Ranges inside it that stay blocked, comma-separated CIDRs (empty: none)",
                    Some(String::new()),
                    &format!("egress[{index}].except"),
                    move |s, a| s.egress[index].except = crate::cli::init::split_list(a),
                )?;
            }
        }
        asker.text(
            spec,
            "  Ports, e.g. 443 or 5432,53/UDP",
            None,
            &format!("egress[{index}].ports"),
            move |s, a| {
                s.egress[index].ports = parse_ports(a).unwrap_or_else(|_| {
                    vec![spec::PortRule {
                        port: Some(0),
                        protocol: None,
                    }]
                })
            },
        )?;
    }
    Ok(())
}
