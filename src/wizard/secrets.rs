//! The `secrets` questions of `harden init`: where the values come from
//! (the source, the store, the mount directory, the refresh interval) and
//! each key. The Dapr questions ask them again for a component's secrets.

use std::io::Write;

use dialoguer::Select;

use super::asker::{Asker, WizardError, has_context, name_of};
use crate::spec::{self, Spec};

/// The `secrets` section: the source, the store and the keys.
pub(super) fn secrets_questions(
    spec: &mut Spec,
    asker: &Asker<'_>,
    err: &mut dyn Write,
) -> Result<(), WizardError> {
    if spec.secrets.is_none()
        && asker.confirm("Does the app read secrets (files under /secrets)?", false)?
    {
        secrets_setup(spec, asker, err)?;
        loop {
            secret_key_questions(spec, asker, None)?;
            if !asker.confirm("  Add another secret key?", false)? {
                break;
            }
        }
    }
    Ok(())
}

/// Where the app's secret values come from: the source, the store, the
/// mount directory and the refresh interval.
pub(super) fn secrets_setup(
    spec: &mut Spec,
    asker: &Asker<'_>,
    err: &mut dyn Write,
) -> Result<(), WizardError> {
    let pci = has_context(spec, "pci-dss");
    let source = if pci {
        writeln!(
            err,
            "  PCI DSS: secrets come from an external store (External Secrets Operator)."
        )
        .map_err(WizardError::Output)?;
        0
    } else {
        Select::with_theme(asker.theme)
            .with_prompt("  Where do the values come from?")
            .items([
                "External Secrets Operator (a secret store)",
                "created by hand (kubectl create secret)",
            ])
            .default(0)
            .interact()?
    };
    spec.secrets = Some(spec::Secrets {
        source: Some(
            if source == 0 {
                "externalSecrets"
            } else {
                "manual"
            }
            .into(),
        ),
        ..Default::default()
    });
    if source == 0 {
        asker.text(
            spec,
            "  Secret store name",
            None,
            "secrets.store.name",
            |s, a| {
                let secrets = s.secrets.get_or_insert_with(Default::default);
                secrets.store.get_or_insert_with(Default::default).name = Some(a.into());
            },
        )?;
        let kinds = ["ClusterSecretStore", "SecretStore"];
        let kind = Select::with_theme(asker.theme)
            .with_prompt("  Store kind")
            .items(kinds)
            .default(0)
            .interact()?;
        if let Some(store) = spec.secrets.as_mut().and_then(|s| s.store.as_mut()) {
            store.kind = Some(kinds[kind].into());
        }
    }
    let external = source == 0;
    let default_mount = crate::model::DEFAULT_SECRET_MOUNT;
    asker.text(
        spec,
        "  Directory the files are mounted at",
        Some(default_mount.into()),
        "secrets.mountPath",
        move |s, a| secrets(s).mount_path = (a != default_mount).then(|| a.into()),
    )?;
    if external {
        let default_refresh = crate::model::DEFAULT_REFRESH_INTERVAL;
        asker.text(
            spec,
            "  How often the values are read again from the store (e.g. 15m, 1h)",
            Some(default_refresh.into()),
            "secrets.refreshInterval",
            move |s, a| secrets(s).refresh_interval = (a != default_refresh).then(|| a.into()),
        )?;
    }
    Ok(())
}

fn secrets(s: &mut Spec) -> &mut spec::Secrets {
    s.secrets.get_or_insert_with(Default::default)
}

/// One key of the app's Secret: its name (unless `name` gives it) and, from
/// a secret store, where its value lives there. Returns the key's name.
pub(super) fn secret_key_questions(
    spec: &mut Spec,
    asker: &Asker<'_>,
    name: Option<&str>,
) -> Result<String, WizardError> {
    let index = secrets(spec).keys.len();
    secrets(spec).keys.push(spec::SecretKey {
        name: name.map(str::to_string),
        ..Default::default()
    });
    let key = match name {
        Some(name) => name.to_string(),
        None => asker.text(
            spec,
            "  Secret key (its file name under the mount directory)",
            None,
            &format!("secrets.keys[{index}].name"),
            move |s, a| secrets(s).keys[index].name = Some(a.into()),
        )?,
    };
    let manual = spec
        .secrets
        .as_ref()
        .and_then(|s| s.source.as_deref())
        .is_some_and(|source| source == "manual");
    if manual {
        return Ok(key);
    }
    let app = name_of(spec).unwrap_or_default().to_string();
    let default_remote = format!("{app}/{key}");
    let remote_default = default_remote.clone();
    asker.text(
        spec,
        &format!("  Where {key} lives in the store (its remote key path)"),
        Some(default_remote),
        &format!("secrets.keys[{index}].remoteKey"),
        move |s, a| secrets(s).keys[index].remote_key = (a != remote_default).then(|| a.into()),
    )?;
    asker.text(
        spec,
        "  Property inside that entry (empty: the whole value)",
        Some(String::new()),
        &format!("secrets.keys[{index}].property"),
        move |s, a| secrets(s).keys[index].property = (!a.is_empty()).then(|| a.into()),
    )?;
    Ok(key)
}
