//! `harden audit`: read manifests and waivers, run the rules, print the
//! report, and choose the exit status (the flags are [`crate::cli::AuditArgs`]).

use std::io::Write;

use crate::audit::pss::{Level, Version};
use crate::audit::report::{self, TextOptions};
use crate::audit::rules::{self, Family, PssChoice, Selection};
use crate::audit::waivers::{self, Waivers};
use crate::cli::{AuditArgs, AuditFormat};
use crate::error::{Error, Status};

/// Each id of `ids` as a rule of the catalogue.
fn rule_ids(flag: &str, ids: &[String]) -> Result<Vec<&'static str>, Error> {
    ids.iter()
        .map(|id| {
            rules::find(id).map(|r| r.id).ok_or_else(|| {
                Error::Usage(format!(
                    "{flag} {id:?} is not a rule of the catalogue; `harden audit --format sarif` lists every rule under tool.driver.rules"
                ))
            })
        })
        .collect()
}

pub fn run(args: &AuditArgs, stdout: &mut dyn Write) -> Result<Status, Error> {
    let version = match args.pss_version.as_deref() {
        None => None,
        Some(text) => match Version::parse(text).filter(|v| {
            (crate::model::OLDEST_PSS_MINOR..=crate::model::NEWEST_PSS_MINOR).contains(&v.0)
        }) {
            Some(version) => Some(version),
            None => {
                return Err(Error::Usage(format!(
                    "--pss-version {text:?} is not a supported version; use v1.{} to v1.{}",
                    crate::model::OLDEST_PSS_MINOR,
                    crate::model::NEWEST_PSS_MINOR
                )));
            }
        },
    };
    let choice = PssChoice {
        level: args.pss_level.as_deref().and_then(Level::parse),
        version,
    };
    let mut selection = if args.only.is_empty() {
        Selection::all()
    } else {
        Selection::families(&args.only)
    };
    selection.only = rule_ids("--rule", &args.rules)?.into_iter().collect();
    selection.skip = rule_ids("--skip-rule", &args.skip_rules)?
        .into_iter()
        .collect();
    // --rule names rules of any family.
    if !selection.only.is_empty() && args.only.is_empty() {
        selection.families = vec![
            Family::Pss,
            Family::Controls,
            Family::Netpol,
            Family::Hardening,
        ];
    }
    let root = report::repository_root();
    // The workspace of the audited paths (harden.yaml above the first path):
    // its cluster profile and its waiver policy.
    let workspace = args
        .paths
        .first()
        .and_then(|path| crate::workspace::Workspace::for_path(path).ok());
    let mut policy = workspace
        .as_ref()
        .and_then(|w| w.waiver_policy())
        .map(waivers::Policy::from_settings)
        .unwrap_or_default();
    if args.no_annotation_waivers {
        policy.annotation = Some(Vec::new());
    }
    let mut waivers = Waivers::with_policy(policy);
    let waiver_file = match &args.waivers {
        Some(path) => Some(path.clone()),
        None => Some(root.join(waivers::DEFAULT_FILE)).filter(|p| p.is_file()),
    };
    if let Some(path) = waiver_file {
        if !path.is_file() {
            return Err(Error::Input(format!(
                "waiver file {} does not exist",
                crate::quote::display_path(&path)
            )));
        }
        // As given, or (the default file at the repository root) relative
        // to the current directory.
        let shown = match std::env::current_dir() {
            Ok(cwd) if args.waivers.is_none() => {
                report::relative_to(&cwd, &crate::quote::display_path(&path))
            }
            _ => crate::quote::display_path(&path),
        };
        waivers.add_file(&path, &shown, &waivers::today());
    }
    // Reports are written as they are serialised, through one buffer; JSON
    // as the findings come (a large estate's findings are never all held).
    let mut out = std::io::BufWriter::new(stdout);
    let mut findings = Vec::new();
    let mut input_errors = Vec::new();
    let mut fails = false;
    let mut json = match args.format {
        AuditFormat::Json => Some(report::JsonWriter::new(&mut out)),
        _ => None,
    };
    let mut written = Ok(());
    // The cluster profile of the audited paths' workspace (`cluster:` in
    // harden.yaml above the first path), where pods are expected to send
    // DNS: the same files give the same findings from any directory.
    let profile = workspace.as_ref().and_then(|w| w.cluster().cloned());
    let dns = crate::platform::cluster::DnsFacts::for_profile(
        &crate::validate::cluster::resolve(profile.as_ref()).0,
    );
    let scope = crate::audit::stream(
        &args.paths,
        &selection,
        choice,
        waivers,
        dns,
        &mut |finding| {
            fails |= finding.suppressed.is_none() && finding.severity() >= args.fail_on;
            if rules::input::ERRORS.contains(&finding.rule) {
                input_errors.push(finding.clone());
            }
            match &mut json {
                Some(writer) => {
                    if written.is_ok() {
                        written = writer.push(&finding);
                    }
                }
                None => findings.push(finding),
            }
        },
    );
    let scope = scope.map_err(Error::Input)?;
    match json {
        Some(writer) => written
            .and_then(|()| writer.finish(scope.files, scope.objects))
            .and_then(|()| writeln!(out)),
        None if matches!(args.format, AuditFormat::Sarif) => {
            serde_json::to_writer_pretty(&mut out, &report::sarif(&findings, &root))
                .map_err(std::io::Error::from)
                .and_then(|()| writeln!(out))
        }
        None => write!(
            out,
            "{}",
            report::text_with(
                &findings,
                scope.files,
                scope.objects,
                TextOptions {
                    show_waived: args.show_waived,
                    min_severity: args.min_severity,
                },
            )
        ),
    }?;
    out.flush()?;
    drop(out);
    if !input_errors.is_empty() {
        return Err(Error::Inputs(
            input_errors
                .iter()
                .map(|finding| {
                    format!(
                        "{}:{}: {}: {}",
                        finding.file, finding.line, finding.rule.id, finding.message
                    )
                })
                .collect(),
        ));
    }
    Ok(if fails {
        Status::Findings
    } else {
        Status::Clean
    })
}
