//! The compliance frameworks' mapping tables: for each framework the spec
//! selects, which controls of the inventory support each requirement.
//!
//! A row may cite only controls that are in effect for this spec
//! ([`super::claims::in_effect`]); a requirement left without one, or only
//! partly met (transmission security where connections bypass Dapr's mTLS),
//! says so in its note and names the gap.

use super::claims;
use super::{Framework, Requirement};
use crate::model::Model;

/// Takes the controls that are not in effect for `model` out of each row
/// (C8 to C10 without Dapr, C7 for an image pinned by tag, ...): a row is
/// never mapped to them, one left with no control says it is a gap, and
/// one left with others says what is missing.
fn drop_inactive(model: &Model, table: &mut Framework) {
    for requirement in &mut table.requirements {
        let reasons: Vec<(bool, String)> = requirement
            .controls
            .iter()
            .filter_map(|c| {
                claims::why_not(model, c)
                    .map(|why| (claims::not_applicable(model, c), format!("{c}: {why}")))
            })
            .collect();
        if reasons.is_empty() {
            continue;
        }
        requirement.controls.retain(|c| claims::in_effect(model, c));
        let gaps: Vec<&str> = reasons
            .iter()
            .filter(|(applicable, _)| !applicable || requirement.controls.is_empty())
            .map(|(_, why)| why.as_str())
            .collect();
        if gaps.is_empty() {
            continue;
        }
        let reasons = gaps.join("; ");
        requirement.note = if requirement.controls.is_empty() {
            format!(
                "not covered: no control of this deployment applies ({reasons}); see residual risks"
            )
            .into()
        } else if requirement.note.is_empty() {
            format!("partly ({reasons})").into()
        } else {
            format!("{}; partly ({reasons})", requirement.note).into()
        };
    }
}

/// The rows about protecting data in transit: SOC 2 CC6.7, HIPAA
/// 164.312(e)(1) (network-wide) and PCI DSS 4 (open, public networks: only
/// the connections that leave the cluster). Each names, as a gap, every
/// connection this deployment does not encrypt ([`claims::unencrypted`]).
fn transmission(model: &Model, table: &mut Framework) {
    for requirement in &mut table.requirements {
        let note: String = match requirement.id {
            "CC6.7" | "164.312(e)(1)" => {
                let gaps = claims::unencrypted(model);
                if gaps.is_empty() {
                    continue;
                }
                let covered = if model.dapr.is_some() {
                    "Dapr mTLS encrypts the sidecars' calls to each other and to the control plane, and the network policies limit who may connect"
                } else {
                    "the network policies limit who may connect; without Dapr, this deployment encrypts none of the app's own connections"
                };
                format!(
                    "partly: {covered}; gap: not encrypted by this deployment, TLS there is the application's and not verified: {}",
                    claims::list(&gaps)
                )
            }
            "4" => {
                let gaps = claims::leaving_cluster(model);
                if gaps.is_empty() {
                    "not covered by this deployment: no connection of the app leaves the cluster (no CIDR or hostname egress)".to_string()
                } else {
                    format!(
                        "not covered: harden encrypts nothing that leaves the cluster; gap: TLS is the application's and not verified: {}",
                        claims::list(&gaps)
                    )
                }
            }
            _ => continue,
        };
        requirement.note = note.into();
    }
}

fn controls_of(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

/// The mapping tables of the frameworks `model` selects.
pub fn frameworks(model: &Model) -> Vec<Framework> {
    let mut tables = Vec::new();
    for context in &model.compliance {
        let mut table = match context.as_str() {
            "soc2" => Framework {
                context: "soc2",
                name: "SOC 2 (2017 Trust Services Criteria, Common Criteria)",
                source: "AICPA, TSP section 100, 2017 Trust Services Criteria (revised points of focus, 2022)",
                requirements: vec![
                    Requirement {
                        id: "CC6.1",
                        title: "Logical access security over protected information assets",
                        controls: controls_of(&["C1", "C2", "C5", "C6"]),
                        note: "".into(),
                    },
                    Requirement {
                        id: "CC6.3",
                        title: "Access is authorized, modified or removed by role, with least privilege",
                        controls: controls_of(&["C2"]),
                        note: "".into(),
                    },
                    Requirement {
                        id: "CC6.6",
                        title: "Logical access measures against threats from outside the system boundaries",
                        controls: controls_of(&["C3", "C4"]),
                        note: "".into(),
                    },
                    Requirement {
                        id: "CC6.7",
                        title: "Transmission of information restricted to authorized parties and protected in transit",
                        controls: controls_of(&["C3", "C8", "C9"]),
                        note: "".into(),
                    },
                    Requirement {
                        id: "CC6.8",
                        title: "Unauthorized or malicious software is prevented or detected",
                        controls: controls_of(&["C6", "C7", "C11"]),
                        note: "".into(),
                    },
                    Requirement {
                        id: "CC7.1",
                        title: "Configuration changes and vulnerabilities are detected",
                        controls: controls_of(&["C7"]),
                        note: "with harden check in CI for configuration drift".into(),
                    },
                    Requirement {
                        id: "CC7.2",
                        title: "System components are monitored for anomalies",
                        controls: controls_of(&["C10"]),
                        note: "".into(),
                    },
                ],
            },
            "hipaa" => Framework {
                context: "hipaa",
                name: "HIPAA Security Rule, technical safeguards (45 CFR 164.312)",
                source: "45 CFR Part 164, Subpart C, section 164.312",
                requirements: vec![
                    Requirement {
                        id: "164.312(a)(1)",
                        title: "Access control",
                        controls: controls_of(&["C1", "C2", "C3", "C9"]),
                        note: "".into(),
                    },
                    Requirement {
                        id: "164.312(b)",
                        title: "Audit controls",
                        controls: controls_of(&["C10"]),
                        note: "".into(),
                    },
                    Requirement {
                        id: "164.312(c)(1)",
                        title: "Integrity",
                        controls: controls_of(&["C6", "C7", "C11"]),
                        note: if model.workload.pinned_by_digest {
                            "read-only root filesystem, image pinned by digest".into()
                        } else {
                            "read-only root filesystem".into()
                        },
                    },
                    Requirement {
                        id: "164.312(d)",
                        title: "Person or entity authentication",
                        controls: controls_of(&["C1", "C8"]),
                        note: "workload identity; end-user authentication is a non-goal".into(),
                    },
                    Requirement {
                        id: "164.312(e)(1)",
                        title: "Transmission security",
                        controls: controls_of(&["C3", "C8"]),
                        note: "ingress TLS is a non-goal".into(),
                    },
                ],
            },
            "pci-dss" => Framework {
                context: "pci-dss",
                name: "PCI DSS v4.0",
                source: "PCI Security Standards Council, PCI DSS v4.0 (March 2022)",
                requirements: vec![
                    Requirement {
                        id: "1",
                        title: "Install and maintain network security controls",
                        controls: controls_of(&["C3", "C4"]),
                        note: "1.3: network access to and from the workload is restricted".into(),
                    },
                    Requirement {
                        id: "2",
                        title: "Apply secure configurations to all system components",
                        controls: controls_of(&["C6"]),
                        note: "2.2: components configured and managed securely".into(),
                    },
                    Requirement {
                        id: "3",
                        title: "Protect stored account data",
                        controls: controls_of(&["C5"]),
                        note: "partly: credentials never stored in manifests; protecting stored account data itself is the application's".into(),
                    },
                    Requirement {
                        id: "4",
                        title: "Protect cardholder data with strong cryptography during transmission over open, public networks",
                        controls: Vec::new(),
                        note: "".into(),
                    },
                    Requirement {
                        id: "6",
                        title: "Develop and maintain secure systems and software",
                        controls: controls_of(&["C7", "C11"]),
                        note: "".into(),
                    },
                    Requirement {
                        id: "7",
                        title: "Restrict access to system components and cardholder data by business need to know",
                        controls: controls_of(&["C2", "C9"]),
                        note: "".into(),
                    },
                    Requirement {
                        id: "8",
                        title: "Identify users and authenticate access to system components",
                        controls: controls_of(&["C1", "C8"]),
                        note: match model.dapr.as_ref() {
                            Some(d) if d.api_token.is_some() && d.app_token.is_some() => "workload identity, the Dapr API token for calls to the sidecar, and the app token the sidecar presents to the app".into(),
                            Some(d) if d.api_token.is_some() => "workload identity, and the Dapr API token for calls to the sidecar".into(),
                            _ => "workload identity".into(),
                        },
                    },
                    Requirement {
                        id: "10",
                        title: "Log and monitor all access to system components and cardholder data",
                        controls: controls_of(&["C10"]),
                        note: "".into(),
                    },
                    Requirement {
                        id: "11",
                        title: "Test security of systems and networks regularly",
                        controls: controls_of(&["C2", "C3", "C6", "C9"]),
                        note: "the live audit and penetration-test scripts".into(),
                    },
                ],
            },
            _ => continue,
        };
        drop_inactive(model, &mut table);
        transmission(model, &mut table);
        tables.push(table);
    }
    tables
}
