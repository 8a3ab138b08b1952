//! The Dapr questions of `harden init`: components (with the usual metadata
//! of common types), callers' app-ids and, for PCI DSS, the API token.

use dialoguer::Select;

use super::WizardError;
use super::interview::Asker;
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

/// Asks for components, invoking app-ids and (PCI DSS) the API token.
pub(super) fn dapr_questions(
    spec: &mut Spec,
    asker: &Asker<'_>,
    pci: bool,
) -> Result<(), WizardError> {
    while asker.confirm("  Add a Dapr component?", false)? {
        component_questions(spec, asker)?;
    }
    while asker.confirm(
        if dapr(spec).invoked_by.is_empty() {
            "  May another Dapr app invoke this one?"
        } else {
            "  Add another caller app-id?"
        },
        false,
    )? {
        let index = dapr(spec).invoked_by.len();
        dapr(spec).invoked_by.push(spec::DaprPeer::default());
        asker.text(
            spec,
            "    Caller's app-id",
            None,
            &format!("dapr.invokedBy[{index}].appId"),
            move |s, a| s.dapr.as_mut().expect("dapr").invoked_by[index].app_id = Some(a.into()),
        )?;
        let own = spec
            .app
            .as_ref()
            .and_then(|a| a.namespace.clone())
            .unwrap_or_default();
        asker.text(
            spec,
            "    Caller's namespace",
            Some(own),
            &format!("dapr.invokedBy[{index}].namespace"),
            move |s, a| s.dapr.as_mut().expect("dapr").invoked_by[index].namespace = Some(a.into()),
        )?;
    }
    if pci && dapr(spec).api_token_secret.is_none() {
        asker.text(
            spec,
            "  PCI DSS: Secret holding the Dapr API token (key token)",
            None,
            "dapr.apiTokenSecret",
            |s, a| s.dapr.as_mut().expect("dapr").api_token_secret = Some(a.into()),
        )?;
    }
    Ok(())
}

fn dapr(s: &mut Spec) -> &mut spec::Dapr {
    s.dapr.get_or_insert_with(Default::default)
}

/// One component: its name, type and the usual metadata of that type.
fn component_questions(spec: &mut Spec, asker: &Asker<'_>) -> Result<(), WizardError> {
    let index = dapr(spec).components.len();
    dapr(spec).components.push(spec::DaprComponent::default());
    asker.text(
        spec,
        "    Component name (e.g. statestore)",
        None,
        &format!("dapr.components[{index}].name"),
        move |s, a| s.dapr.as_mut().expect("dapr").components[index].name = Some(a.into()),
    )?;
    let mut types: Vec<&str> = COMPONENT_TYPES.iter().map(|(t, _)| *t).collect();
    types.push("other (type it)");
    let choice = Select::with_theme(asker.theme)
        .with_prompt("    Component type")
        .items(&types)
        .default(0)
        .interact()?;
    if choice < COMPONENT_TYPES.len() {
        dapr(spec).components[index].component_type = Some(types[choice].into());
        for (key, secret) in COMPONENT_TYPES[choice].1 {
            let key = key.to_string();
            if *secret {
                let path = format!("dapr.components[{index}].secretMetadata.{key}");
                let prompt = format!(
                    "    Secret key holding {key} (one of the app's secret keys; empty: none)"
                );
                let key_for_place = key.clone();
                asker.text(spec, &prompt, Some(String::new()), &path, move |s, a| {
                    let component = &mut s.dapr.as_mut().expect("dapr").components[index];
                    if a.is_empty() {
                        component.secret_metadata.remove(&key_for_place);
                    } else {
                        component.secret_metadata.insert(
                            key_for_place.clone(),
                            spec::SecretMetadataRef {
                                secret: None,
                                key: Some(a.into()),
                            },
                        );
                    }
                })?;
            } else {
                let path = format!("dapr.components[{index}].metadata.{key}");
                let key_for_place = key.clone();
                asker.text(spec, &format!("    {key}"), None, &path, move |s, a| {
                    s.dapr.as_mut().expect("dapr").components[index]
                        .metadata
                        .insert(key_for_place.clone(), a.into());
                })?;
            }
        }
    } else {
        asker.text(
            spec,
            "    Component type (e.g. bindings.kafka)",
            None,
            &format!("dapr.components[{index}].type"),
            move |s, a| {
                s.dapr.as_mut().expect("dapr").components[index].component_type = Some(a.into())
            },
        )?;
    }
    Ok(())
}
