//! The `secrets` section: where secrets come from, where they are mounted
//! and which keys the app reads.

use std::collections::BTreeSet;

use super::{Validator, formats};
use crate::diagnostics::Problem;
use crate::model;
use crate::spec;

impl Validator {
    pub(super) fn secrets(
        &mut self,
        secrets: &spec::Secrets,
        app: &str,
        workload: Option<&model::Workload>,
    ) -> Option<model::Secrets> {
        let source = secrets.source.as_deref().unwrap_or("externalSecrets");
        let parsed = model::SecretSource::parse(source);
        let mut ok = true;
        if parsed.is_none() {
            self.push(
                Problem::new(
                    "secrets.source",
                    format!("{source:?} is not a secret source"),
                )
                .help("use externalSecrets (External Secrets Operator) or manual"),
            );
            ok = false;
        }
        let (store_name, store_kind) = self.secret_store(secrets, source, &mut ok);
        let refresh_interval = secrets
            .refresh_interval
            .clone()
            .unwrap_or_else(|| model::DEFAULT_REFRESH_INTERVAL.to_string());
        ok &= self.check(
            "secrets.refreshInterval",
            &refresh_interval,
            formats::go_duration(&refresh_interval),
            "write a duration such as 1h or 15m",
        );
        let mount_path = secrets
            .mount_path
            .clone()
            .unwrap_or_else(|| model::DEFAULT_SECRET_MOUNT.to_string());
        ok &= self.secret_mount(&mount_path, workload);
        if secrets.keys.is_empty() {
            self.push(
                Problem::new("secrets.keys", "is empty")
                    .help("list the secret keys the app reads, or remove the secrets section"),
            );
            ok = false;
        }
        let mut keys = Vec::new();
        let mut seen = BTreeSet::new();
        for (i, key) in secrets.keys.iter().enumerate() {
            let path = format!("secrets.keys[{i}]");
            match self.secret_key(&path, key, source, app, &mut seen) {
                Some(key) => keys.push(key),
                None => ok = false,
            }
        }
        parsed.filter(|_| ok).map(|source| model::Secrets {
            source,
            secret_name: format!("{app}-secrets"),
            store_name,
            store_kind,
            refresh_interval,
            mount_path,
            keys,
        })
    }

    /// `secrets.store`: required from External Secrets, refused for manual
    /// secrets. Returns the store's name and kind.
    fn secret_store(
        &mut self,
        secrets: &spec::Secrets,
        source: &str,
        ok: &mut bool,
    ) -> (Option<String>, Option<String>) {
        if source != "externalSecrets" {
            if secrets.store.is_some() {
                self.push(
                    Problem::new("secrets.store", "is set but secrets.source is manual")
                        .help("remove the store, or use source: externalSecrets"),
                );
                *ok = false;
            }
            return (None, None);
        }
        let Some(store) = &secrets.store else {
            self.push(
                Problem::new(
                    "secrets.store",
                    "is required when secrets come from External Secrets",
                )
                .help("name the store: store: {name: vault-backend, kind: ClusterSecretStore}"),
            );
            return (None, None);
        };
        let name = self
            .required(
                &store.name,
                "secrets.store.name",
                "name the SecretStore or ClusterSecretStore",
            )
            .and_then(|name| {
                self.check(
                    "secrets.store.name",
                    name,
                    formats::dns1123_subdomain(name),
                    "use the store's object name",
                )
                .then(|| name.clone())
            });
        let kind = store
            .kind
            .clone()
            .unwrap_or_else(|| "ClusterSecretStore".to_string());
        if !matches!(kind.as_str(), "SecretStore" | "ClusterSecretStore") {
            self.push(
                Problem::new(
                    "secrets.store.kind",
                    format!("{kind:?} is not a store kind"),
                )
                .help("use SecretStore or ClusterSecretStore"),
            );
            *ok = false;
        }
        *ok &= name.is_some();
        (name, Some(kind))
    }

    /// `secrets.mountPath`: an absolute directory apart from the writable
    /// paths.
    fn secret_mount(&mut self, mount_path: &str, workload: Option<&model::Workload>) -> bool {
        if !self.check(
            "secrets.mountPath",
            mount_path,
            formats::mount_path(mount_path).and_then(|()| formats::unreserved_mount(mount_path)),
            "use an absolute directory of its own such as /secrets",
        ) {
            return false;
        }
        let Some(conflict) = workload.and_then(|w| {
            w.writable_paths.iter().find(|p| {
                formats::path_within(&p.path, mount_path)
                    || formats::path_within(mount_path, &p.path)
            })
        }) else {
            return true;
        };
        self.push(
            Problem::new(
                "secrets.mountPath",
                format!(
                    "{mount_path:?} overlaps the writable path {:?}",
                    conflict.path
                ),
            )
            .help("mount secrets in a directory of their own"),
        );
        false
    }

    /// One entry of `secrets.keys`; `None` when it is invalid (reported).
    fn secret_key(
        &mut self,
        path: &str,
        key: &spec::SecretKey,
        source: &str,
        app: &str,
        seen: &mut BTreeSet<String>,
    ) -> Option<model::SecretKey> {
        let name = self.required(
            &key.name,
            &format!("{path}.name"),
            "name the key; it becomes the file name under the mount path",
        )?;
        if !self.check(
            &format!("{path}.name"),
            name,
            formats::secret_key(name),
            "use letters, digits, '-', '_' and '.'",
        ) {
            return None;
        }
        let mut ok = true;
        if !seen.insert(name.clone()) {
            self.push(
                Problem::new(format!("{path}.name"), format!("{name:?} is listed twice"))
                    .help("list each key once"),
            );
            ok = false;
        }
        if source == "manual" && (key.remote_key.is_some() || key.property.is_some()) {
            self.push(
                Problem::new(path, "remoteKey and property apply only to externalSecrets")
                    .help("remove them, or use source: externalSecrets"),
            );
            ok = false;
        }
        let remote_key = key
            .remote_key
            .clone()
            .unwrap_or_else(|| format!("{app}/{name}"));
        ok &= self.check(
            &format!("{path}.remoteKey"),
            &remote_key,
            formats::plain_text(&remote_key),
            "write the store key on one line",
        );
        if let Some(property) = &key.property {
            ok &= self.check(
                &format!("{path}.property"),
                property,
                formats::plain_text(property),
                "write the property on one line",
            );
        }
        ok.then(|| model::SecretKey {
            name: name.clone(),
            remote_key,
            property: key.property.clone(),
        })
    }
}
