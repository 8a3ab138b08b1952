//! The Dapr questions of `harden init`: the version, the app-id, actors,
//! components (with the usual metadata of common types, any other metadata
//! and scopes), the app-ids that invoke it and that it invokes and, for
//! PCI DSS, the API token.

use std::io::Write;

use dialoguer::Select;

use super::asker::{Asker, WizardError, has_context, name_of};
use super::output::{output_path, workspace_cluster};
use super::secrets::{secret_key_questions, secrets_setup};
use crate::cli::InitArgs;
use crate::cli::init::labels_or_marker;
use crate::spec::{self, Spec};

/// Common Dapr component types, with their usual metadata: (key, secret?).
const COMPONENT_TYPES: &[(&str, &[(&str, bool)])] = &[
    (
        "state.redis",
        &[("redisHost", false), ("redisPassword", true)],
    ),
    ("state.postgresql", &[("connectionString", true)]),
    (
        "pubsub.redis",
        &[("redisHost", false), ("redisPassword", true)],
    ),
    (
        "pubsub.kafka",
        &[
            ("brokers", false),
            ("authType", false),
            ("saslUsername", false),
            ("saslPassword", true),
        ],
    ),
    ("bindings.cron", &[("schedule", false)]),
    (
        "configuration.redis",
        &[("redisHost", false), ("redisPassword", true)],
    ),
];

/// Asks for the version, the app-id, actors, components, the app-ids that
/// invoke this app and that it invokes and (PCI DSS) the API token.
pub(super) fn dapr_questions(
    spec: &mut Spec,
    args: &InitArgs,
    asker: &Asker<'_>,
    err: &mut dyn Write,
) -> Result<(), WizardError> {
    version_question(spec, args, asker)?;
    let name = name_of(spec).unwrap_or_default().to_string();
    let default = name.clone();
    asker.text(
        spec,
        "  Dapr app-id",
        Some(name),
        "dapr.appId",
        move |s, a| dapr(s).app_id = (a != default).then(|| a.into()),
    )?;
    dapr(spec).actors = asker.confirm(
        "  Does the app use Dapr actors or workflows (placement and scheduler)?",
        false,
    )?;
    while asker.confirm("  Add a Dapr component?", false)? {
        component_questions(spec, asker, err)?;
    }
    peers(spec, asker, Direction::InvokedBy)?;
    peers(spec, asker, Direction::Invokes)?;
    if has_context(spec, "pci-dss") && dapr(spec).api_token_secret.is_none() {
        asker.text(
            spec,
            "  PCI DSS: Secret holding the Dapr API token (key token)",
            None,
            "dapr.apiTokenSecret",
            |s, a| s.dapr.as_mut().expect("dapr").api_token_secret = Some(a.into()),
        )?;
    }
    app_token_question(spec, asker)?;
    Ok(())
}

/// `dapr.version`, from the versions the spec's schema allows, unless a
/// flag or the workspace's cluster profile says.
fn version_question(
    spec: &mut Spec,
    args: &InitArgs,
    asker: &Asker<'_>,
) -> Result<(), WizardError> {
    let name = name_of(spec).unwrap_or_default().to_string();
    let workspace = workspace_cluster(&output_path(args, &name));
    if args.dapr_version.is_some() || workspace.is_some_and(|c| c.dapr_version.is_some()) {
        return Ok(());
    }
    use crate::platform::dapr::Version;
    // Newest first, as `dapr --version` users look for theirs.
    let versions: Vec<String> = Version::SUPPORTED
        .iter()
        .rev()
        .map(|(name, _)| name.to_string())
        .collect();
    let default = Version::DEFAULT.name().to_string();
    let items: Vec<String> = versions
        .iter()
        .map(|v| {
            if *v == default {
                format!("{v} (harden's default)")
            } else {
                v.clone()
            }
        })
        .collect();
    let at = versions.iter().position(|v| *v == default).unwrap_or(0);
    let chosen = Select::with_theme(asker.theme)
        .with_prompt("  Dapr version of the cluster's control plane (dapr --version)")
        .items(&items)
        .default(at)
        .interact()?;
    if chosen != at {
        dapr(spec).version = Some(versions[chosen].clone());
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum Direction {
    InvokedBy,
    Invokes,
}

/// The app-ids that may invoke this app, or that it may invoke.
fn peers(spec: &mut Spec, asker: &Asker<'_>, direction: Direction) -> Result<(), WizardError> {
    fn peer_list(s: &mut Spec, direction: Direction) -> &mut Vec<spec::DaprPeer> {
        let d = dapr(s);
        match direction {
            Direction::InvokedBy => &mut d.invoked_by,
            Direction::Invokes => &mut d.invokes,
        }
    }
    let (first, again, who, field) = match direction {
        Direction::InvokedBy => (
            "  May another Dapr app invoke this one?",
            "  Add another caller app-id?",
            "Caller's",
            "invokedBy",
        ),
        Direction::Invokes => (
            "  Does this app invoke another Dapr app (service invocation)?",
            "  Add another app-id it invokes?",
            "Invoked app's",
            "invokes",
        ),
    };
    while asker.confirm(
        if peer_list(spec, direction).is_empty() {
            first
        } else {
            again
        },
        false,
    )? {
        let index = peer_list(spec, direction).len();
        peer_list(spec, direction).push(spec::DaprPeer::default());
        asker.text(
            spec,
            &format!("    {who} app-id"),
            None,
            &format!("dapr.{field}[{index}].appId"),
            move |s, a| peer_list(s, direction)[index].app_id = Some(a.into()),
        )?;
        let own = spec
            .app
            .as_ref()
            .and_then(|a| a.namespace.clone().or(a.name.clone()))
            .unwrap_or_default();
        let default = own.clone();
        asker.text(
            spec,
            &format!("    {who} namespace"),
            Some(own),
            &format!("dapr.{field}[{index}].namespace"),
            move |s, a| peer_list(s, direction)[index].namespace = (a != default).then(|| a.into()),
        )?;
    }
    Ok(())
}

fn dapr(s: &mut Spec) -> &mut spec::Dapr {
    s.dapr.get_or_insert_with(Default::default)
}

/// One component: its name, type, the usual metadata of that type, any
/// other metadata and its scopes.
fn component_questions(
    spec: &mut Spec,
    asker: &Asker<'_>,
    err: &mut dyn Write,
) -> Result<(), WizardError> {
    let index = dapr(spec).components.len();
    dapr(spec).components.push(spec::DaprComponent::default());
    asker.text(
        spec,
        "    Component name (e.g. statestore)",
        None,
        &format!("dapr.components[{index}].name"),
        move |s, a| component(s, index).name = Some(a.into()),
    )?;
    let mut types: Vec<&str> = COMPONENT_TYPES.iter().map(|(t, _)| *t).collect();
    types.push("other (type it)");
    let choice = Select::with_theme(asker.theme)
        .with_prompt("    Component type")
        .items(&types)
        .default(0)
        .interact()?;
    if choice < COMPONENT_TYPES.len() {
        component(spec, index).component_type = Some(types[choice].into());
        for (key, secret) in COMPONENT_TYPES[choice].1 {
            if *secret {
                secret_metadata(spec, asker, err, index, key)?;
            } else {
                let path = format!("dapr.components[{index}].metadata.{key}");
                let key = key.to_string();
                asker.text(spec, &format!("    {key}"), None, &path, move |s, a| {
                    component(s, index).metadata.insert(key.clone(), a.into());
                })?;
            }
        }
    } else {
        asker.text(
            spec,
            "    Component type (e.g. bindings.kafka)",
            None,
            &format!("dapr.components[{index}].type"),
            move |s, a| component(s, index).component_type = Some(a.into()),
        )?;
    }
    let usual = component(spec, index).metadata.clone();
    asker.text(
        spec,
        "    Other metadata, key=value,... (empty: none)",
        Some(String::new()),
        &format!("dapr.components[{index}].metadata"),
        move |s, a| {
            let mut metadata = usual.clone();
            metadata.extend(labels_or_marker(a));
            component(s, index).metadata = metadata;
        },
    )?;
    asker.text(
        spec,
        "    Other app-ids that may use it, comma-separated (empty: only this app)",
        Some(String::new()),
        &format!("dapr.components[{index}].scopes"),
        move |s, a| {
            let others = crate::cli::init::split_list(a);
            component(s, index).scopes = (!others.is_empty()).then(|| {
                let own = s
                    .dapr
                    .as_ref()
                    .and_then(|d| d.app_id.clone())
                    .or(name_of(s).map(str::to_string))
                    .unwrap_or_default();
                std::iter::once(own).chain(others).collect()
            });
        },
    )?;
    Ok(())
}

fn component(s: &mut Spec, index: usize) -> &mut spec::DaprComponent {
    &mut dapr(s).components[index]
}

/// A metadata value kept in a Secret: a key of the app's own Secret. A key
/// not entered yet is offered to be added there and then (or the name of
/// another Secret that holds it is asked), never refused.
fn secret_metadata(
    spec: &mut Spec,
    asker: &Asker<'_>,
    err: &mut dyn Write,
    index: usize,
    key: &str,
) -> Result<(), WizardError> {
    let path = format!("dapr.components[{index}].secretMetadata.{key}");
    let prompt =
        format!("    Secret key holding {key} (one of the app's secret keys; empty: none)");
    let known = |s: &Spec, name: &str| {
        s.secrets
            .as_ref()
            .is_some_and(|secrets| secrets.keys.iter().any(|k| k.name.as_deref() == Some(name)))
    };
    let had_secrets = spec.secrets.as_ref().map(|s| s.keys.len());
    let entry = key.to_string();
    let answer = asker.text(spec, &prompt, Some(String::new()), &path, move |s, a| {
        if a.is_empty() {
            component(s, index).secret_metadata.remove(&entry);
            return;
        }
        component(s, index).secret_metadata.insert(
            entry.clone(),
            spec::SecretMetadataRef {
                secret: None,
                key: Some(a.into()),
            },
        );
        // Checked as if the key were declared: whether to declare it is
        // asked next.
        if !known(s, a) {
            let secrets = s.secrets.get_or_insert_with(Default::default);
            secrets.keys.push(spec::SecretKey {
                name: Some(a.into()),
                ..Default::default()
            });
        }
    })?;
    // What the check added is taken back and asked for properly.
    match (had_secrets, spec.secrets.as_mut()) {
        (Some(count), Some(secrets)) => secrets.keys.truncate(count),
        (None, _) => spec.secrets = None,
        _ => {}
    }
    if answer.is_empty() || known(spec, &answer) {
        return Ok(());
    }
    if asker.confirm(
        &format!("    {answer:?} is not one of the app's secret keys yet. Add it now?"),
        true,
    )? {
        if spec.secrets.is_none() {
            secrets_setup(spec, asker, err)?;
        }
        secret_key_questions(spec, asker, Some(&answer))?;
    } else {
        let key = key.to_string();
        asker.text(
            spec,
            &format!("    Secret (in the app's namespace) that holds {answer}"),
            None,
            &format!("{path}.secret"),
            move |s, a| {
                if let Some(reference) = component(s, index).secret_metadata.get_mut(&key) {
                    reference.secret = Some(a.into());
                }
            },
        )?;
    }
    Ok(())
}

/// `dapr.appTokenSecret`, asked under pci-dss (which requires it): which
/// Secret cannot be derived.
fn app_token_question(spec: &mut Spec, asker: &Asker<'_>) -> Result<(), WizardError> {
    if has_context(spec, "pci-dss") && dapr(spec).app_token_secret.is_none() {
        asker.text(
            spec,
            "  PCI DSS: Secret holding the token the sidecar sends to the app (key token)",
            None,
            "dapr.appTokenSecret",
            |s, a| s.dapr.as_mut().expect("dapr").app_token_secret = Some(a.into()),
        )?;
    }
    Ok(())
}
