//! The Dapr questions of `harden init`: the version, the app-id, actors
//! and who may call the app's workflows (Dapr 1.18), components (with the
//! usual metadata of common types, any other metadata, scopes and a secret
//! store's readable secrets), the app-ids that invoke it (and their
//! operations) and that it invokes, for PCI DSS the API and app tokens,
//! and on request other APIs and an app token.

use std::io::Write;

use dialoguer::Select;

use super::asker::{Asker, WizardError, has_context, name_of};
use super::output::{output_path, workspace_cluster};
use super::secrets::{secret_key_questions, secrets_setup};
use crate::cli::InitArgs;
use crate::cli::init::{labels_or_marker, split_list};
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

/// Asks for the version, the app-id, actors (and on Dapr 1.18 the workflow
/// callers), components, the app-ids that invoke this app (with their
/// operations) and that it invokes, (PCI DSS) the API and app tokens, and
/// on request other APIs and an app token.
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
    if dapr(spec).actors && gates_workflows(spec, args) {
        workflow_questions(spec, asker)?;
    }
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
    if asker.confirm(
        "  More Dapr settings (other APIs the app calls, an app token)?",
        false,
    )? {
        more_dapr_questions(spec, asker)?;
    }
    Ok(())
}

/// `dapr.apis` and, unless asked already, `dapr.appTokenSecret`.
fn more_dapr_questions(spec: &mut Spec, asker: &Asker<'_>) -> Result<(), WizardError> {
    let given = dapr(spec).apis.join(", ");
    asker.text(
        spec,
        "    Dapr APIs the app calls beyond what its components imply, comma-separated (e.g. metadata, workflows; empty: none)",
        Some(given),
        "dapr.apis",
        |s, a| dapr(s).apis = split_list(a),
    )?;
    if dapr(spec).app_token_secret.is_none() {
        asker.text(
            spec,
            "    Secret holding a token the sidecar sends to the app, so the app can refuse other callers (key token; empty: none)",
            Some(String::new()),
            "dapr.appTokenSecret",
            |s, a| dapr(s).app_token_secret = (!a.is_empty()).then(|| a.into()),
        )?;
    }
    Ok(())
}

/// Whether the spec's Dapr (its own version, else the workspace's, else
/// harden's default) has the WorkflowAccessPolicy.
fn gates_workflows(spec: &mut Spec, args: &InitArgs) -> bool {
    use crate::platform::dapr::Version;
    let name = name_of(spec).unwrap_or_default().to_string();
    let version = dapr(spec)
        .version
        .clone()
        .or_else(|| workspace_cluster(&output_path(args, &name)).and_then(|c| c.dapr_version));
    version
        .as_deref()
        .map_or(Some(Version::DEFAULT), Version::parse)
        .is_some_and(Version::workflow_access_policy)
}

fn workflow_callers(s: &mut Spec) -> &mut Vec<spec::DaprWorkflowCaller> {
    dapr(s).workflow_callers.get_or_insert_with(Vec::new)
}

/// `NAME OPERATION...; ...` as workflow grants.
fn workflow_grants(text: &str) -> Vec<spec::DaprWorkflowGrant> {
    text.split(';')
        .filter_map(|grant| {
            let mut words = grant.split_whitespace();
            let name = words.next()?;
            Some(spec::DaprWorkflowGrant {
                name: Some(name.into()),
                operations: words.map(str::to_string).collect(),
            })
        })
        .collect()
}

/// `dapr.workflowCallers` (Dapr 1.18): any app (no policy, Dapr's
/// default), the apps named, or none.
fn workflow_questions(spec: &mut Spec, asker: &Asker<'_>) -> Result<(), WizardError> {
    if dapr(spec).workflow_callers.is_some() {
        return Ok(());
    }
    let choices = [
        "any app (Dapr's default)",
        "only the apps named next",
        "no other app",
    ];
    let chosen = Select::with_theme(asker.theme)
        .with_prompt(
            "  Which other Dapr apps may call its workflows and activities (WorkflowAccessPolicy)?",
        )
        .items(choices)
        .default(0)
        .interact()?;
    if chosen == 0 {
        return Ok(());
    }
    workflow_callers(spec);
    if chosen == 2 {
        return Ok(());
    }
    loop {
        let index = workflow_callers(spec).len();
        workflow_callers(spec).push(spec::DaprWorkflowCaller::default());
        let field = format!("dapr.workflowCallers[{index}]");
        asker.text(
            spec,
            "    Workflow caller's app-id (of this namespace)",
            None,
            &format!("{field}.appId"),
            move |s, a| workflow_callers(s)[index].app_id = Some(a.into()),
        )?;
        asker.text(
            spec,
            "    Workflows it may call: NAME OPERATION... separated by ';' (e.g. Order* get raise; operations: schedule terminate raise pause resume purge get rerun; empty: none)",
            Some(String::new()),
            &format!("{field}.workflows"),
            move |s, a| workflow_callers(s)[index].workflows = workflow_grants(a),
        )?;
        asker.text(
            spec,
            "    Activities it may schedule, names or globs, comma-separated (empty: none)",
            Some(String::new()),
            &field,
            move |s, a| workflow_callers(s)[index].activities = split_list(a),
        )?;
        if !asker.confirm("  Add another workflow caller?", false)? {
            break;
        }
    }
    Ok(())
}

/// `PATH VERB...; ...` as a caller's operations.
fn operations(text: &str) -> Vec<spec::DaprOperation> {
    text.split(';')
        .filter_map(|operation| {
            let mut words = operation.split_whitespace();
            let path = words.next()?;
            Some(spec::DaprOperation {
                path: Some(path.into()),
                verbs: words.map(str::to_string).collect(),
            })
        })
        .collect()
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
        if matches!(direction, Direction::InvokedBy) {
            asker.text(
                spec,
                "    Operations it may invoke: PATH VERB... separated by ';' (e.g. /orders GET POST; empty: every operation)",
                Some(String::new()),
                &format!("dapr.{field}[{index}].operations"),
                move |s, a| peer_list(s, direction)[index].operations = operations(a),
            )?;
        }
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
    let store = component(spec, index)
        .component_type
        .as_deref()
        .is_some_and(|t| t.starts_with("secretstores."));
    if store {
        asker.text(
            spec,
            "    Secrets the app may read from it through Dapr, comma-separated (empty: none; every other one is denied)",
            Some(String::new()),
            &format!("dapr.components[{index}].allowedSecrets"),
            move |s, a| component(s, index).allowed_secrets = split_list(a),
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
