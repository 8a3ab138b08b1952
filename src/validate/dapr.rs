//! The `dapr` section: app-id, control plane, version, invocation peers and
//! components.

use std::collections::BTreeSet;

use super::{Validator, formats};
use crate::diagnostics::Problem;
use crate::model;
use crate::platform::dapr;
use crate::spec;

/// Plain-metadata keys that look like credentials.
const SECRET_LOOKING_KEYS: [&str; 7] = [
    "password",
    "passwd",
    "secret",
    "token",
    "credential",
    "apikey",
    "accesskey",
];

impl Validator {
    pub(super) fn dapr_peers(
        &mut self,
        path: &str,
        peers: &[spec::DaprPeer],
        namespace: &str,
    ) -> Vec<model::DaprPeer> {
        let mut resolved = Vec::new();
        for (i, peer) in peers.iter().enumerate() {
            let field = format!("{path}[{i}]");
            let Some(app_id) = self.required(
                &peer.app_id,
                &format!("{field}.appId"),
                "give the peer's Dapr app-id",
            ) else {
                continue;
            };
            if !self.check(
                &format!("{field}.appId"),
                app_id,
                formats::dns1123_label(app_id),
                "use a DNS-1123 label",
            ) {
                continue;
            }
            let peer_namespace = peer
                .namespace
                .clone()
                .unwrap_or_else(|| namespace.to_string());
            if !self.namespace(&format!("{field}.namespace"), &peer_namespace) {
                continue;
            }
            let Some(operations) = self.dapr_operations(&field, peer, path.ends_with("invokedBy"))
            else {
                continue;
            };
            let entry = model::DaprPeer {
                app_id: app_id.clone(),
                namespace: peer_namespace,
                operations,
            };
            if resolved.iter().any(|p: &model::DaprPeer| {
                p.app_id == entry.app_id && p.namespace == entry.namespace
            }) {
                self.push(
                    Problem::new(field, format!("{app_id:?} is listed twice"))
                        .help("list each peer once"),
                );
                continue;
            }
            resolved.push(entry);
        }
        resolved
    }

    pub(super) fn dapr(
        &mut self,
        dapr: &spec::Dapr,
        name: &str,
        namespace: &str,
        secrets: Option<&model::Secrets>,
    ) -> Option<model::Dapr> {
        let app_id = dapr.app_id.clone().unwrap_or_else(|| name.to_string());
        let mut ok = self.check(
            "dapr.appId",
            &app_id,
            formats::dns1123_label(&app_id),
            "use a DNS-1123 label (it names the app's Dapr Service)",
        );
        let control_plane_namespace = dapr
            .control_plane_namespace
            .clone()
            .unwrap_or_else(|| dapr::DEFAULT_CONTROL_PLANE_NAMESPACE.to_string());
        ok &= self.namespace("dapr.controlPlaneNamespace", &control_plane_namespace);
        if control_plane_namespace == namespace {
            self.push(
                Problem::new("dapr.controlPlaneNamespace", "is the app's own namespace")
                    .help("run the app outside the Dapr control-plane namespace"),
            );
            ok = false;
        }
        let version = self.dapr_version(dapr.version.as_deref(), &mut ok);
        let invoked_by = self.dapr_peers("dapr.invokedBy", &dapr.invoked_by, namespace);
        let invokes = self.dapr_peers("dapr.invokes", &dapr.invokes, namespace);
        ok &= invoked_by.len() == dapr.invoked_by.len() && invokes.len() == dapr.invokes.len();
        let components = self.components(dapr, &app_id, secrets, &mut ok);
        if let Some(secret) = &dapr.api_token_secret {
            ok &= self.check(
                "dapr.apiTokenSecret",
                secret,
                formats::dns1123_subdomain(secret),
                "name the Secret that holds the token under the key token",
            );
            if secrets.is_some_and(|s| s.secret_name == *secret) {
                self.push(
                    Problem::new(
                        "dapr.apiTokenSecret",
                        format!(
                            "{secret:?} is the app's own Secret, which is mounted into the app"
                        ),
                    )
                    .help(format!(
                        "name a Secret of its own, e.g. {name}-dapr-api-token"
                    )),
                );
                ok = false;
            }
        }
        let app_token = self.dapr_app_token(dapr, name, secrets);
        ok &= app_token.is_some();
        let secret_scopes = self.dapr_secret_scopes(dapr, &app_id, &components);
        let api_allowed = self.dapr_api_allowlist(
            dapr,
            version,
            &app_id,
            &components,
            secret_scopes.as_deref().unwrap_or_default(),
        );
        ok &= secret_scopes.is_some() && api_allowed.is_some();
        let workflow_policy = self.dapr_workflow_policy(dapr, version, &app_id, name);
        ok &= workflow_policy.is_some();
        let api_token = dapr
            .api_token_secret
            .as_ref()
            .map(|secret| model::ApiToken {
                annotation: dapr::AnnotationFacts::get().api_token_secret.to_string(),
                purpose: "The Dapr sidecar's API token".to_string(),
                secret_name: secret.clone(),
                key: dapr::API_TOKEN_KEY.to_string(),
                remote_key: secrets
                    .filter(|s| s.source == model::SecretSource::ExternalSecrets)
                    .map(|_| format!("{name}/dapr-api-token")),
            });
        let uses = dapr::Uses {
            actors: dapr.actors,
            jobs: dapr.jobs,
        };
        ok.then(|| model::Dapr {
            version: version.name().to_string(),
            disable_placement: dapr::disable_placement(version, uses),
            disable_scheduler: dapr::disable_scheduler(version, uses),
            pin_classic_sidecar: dapr::native_sidecar(version) == Some(false),
            api_token_secret: dapr.api_token_secret.clone(),
            api_token,
            app_token: app_token.flatten(),
            api_closing_only: api_allowed
                .as_ref()
                .is_some_and(|a| a.iter().all(|r| r.name == dapr::surface::CLOSING_API))
                && !dapr
                    .apis
                    .iter()
                    .any(|a| a.starts_with(dapr::surface::CLOSING_API)),
            api_probe_path: api_allowed
                .as_ref()
                .is_some_and(|a| {
                    !a.iter()
                        .any(|r| r.name == dapr::surface::PROBE_API && r.protocol == "http")
                })
                .then(|| dapr::surface::PROBE_API_PATH.to_string()),
            secret_probe: super::dapr_probes::secret_probe(
                &app_id,
                &components,
                secret_scopes.as_deref().unwrap_or_default(),
                api_allowed.as_deref().unwrap_or_default(),
            ),
            operation_probe: super::dapr_probes::operation_probe(&invoked_by),
            api_allowed: api_allowed.unwrap_or_default(),
            secret_scopes: secret_scopes.unwrap_or_default(),
            workflow_policy: workflow_policy.flatten(),
            // Filled once the workload's port is known (`Validator::spec`).
            annotations: Vec::new(),
            config_name: format!("{name}-dapr-config"),
            app_id,
            api_logging: dapr.api_logging.unwrap_or(true),
            control_plane_namespace,
            actors: dapr.actors,
            jobs: dapr.jobs,
            invoked_by,
            invokes,
            components,
        })
    }

    pub(super) fn component(
        &mut self,
        path: &str,
        component: &spec::DaprComponent,
        app_id: &str,
        secrets: Option<&model::Secrets>,
    ) -> Option<model::Component> {
        let mut ok = true;
        let name = self
            .required(
                &component.name,
                &format!("{path}.name"),
                "name the component, e.g. statestore",
            )
            .and_then(|name| {
                self.check(
                    &format!("{path}.name"),
                    name,
                    formats::dns1123_subdomain(name),
                    "use a DNS-1123 name such as statestore",
                )
                .then(|| name.clone())
            });
        let component_type = self
            .required(
                &component.component_type,
                &format!("{path}.type"),
                "give the component type, e.g. state.redis",
            )
            .and_then(|t| {
                let valid = t.split('.').count() >= 2
                    && t.split('.')
                        .all(|part| formats::dns1123_label(part).is_ok());
                if valid {
                    Some(t.clone())
                } else {
                    self.push(
                        Problem::new(
                            format!("{path}.type"),
                            format!("{t:?} is not a Dapr component type"),
                        )
                        .help("write <building block>.<name>, e.g. state.redis or pubsub.kafka"),
                    );
                    None
                }
            });
        let version = self.component_version(path, component, &mut ok);
        let metadata = self.component_metadata(path, component, &mut ok);
        let mut secret_metadata = Vec::new();
        for (key, reference) in &component.secret_metadata {
            let field = format!("{path}.secretMetadata.{key}");
            match self.secret_metadata(&field, key, reference, component, secrets) {
                Some(entry) => secret_metadata.push(entry),
                None => ok = false,
            }
        }
        let scopes = self.component_scopes(path, component, app_id, &mut ok);
        if ok {
            Some(model::Component {
                name: name?,
                component_type: component_type?,
                version,
                metadata,
                secret_metadata,
                scopes,
            })
        } else {
            None
        }
    }

    /// `version`: v1, v2, v1alpha1 and the like; defaults to v1.
    fn component_version(
        &mut self,
        path: &str,
        component: &spec::DaprComponent,
        ok: &mut bool,
    ) -> String {
        let version = component
            .version
            .clone()
            .unwrap_or_else(|| "v1".to_string());
        let version_ok = version.strip_prefix('v').is_some_and(|rest| {
            let digits = rest.chars().take_while(char::is_ascii_digit).count();
            let suffix = &rest[digits..];
            digits > 0
                && (suffix.is_empty()
                    || ["alpha", "beta"].iter().any(|s| {
                        suffix
                            .strip_prefix(s)
                            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
                    }))
        });
        if !version_ok {
            self.push(
                Problem::new(
                    format!("{path}.version"),
                    format!("{version:?} is not a component version"),
                )
                .help("write v1, v2 or v1alpha1"),
            );
            *ok = false;
        }
        version
    }

    /// `metadata`: plain values, never one that looks like a credential.
    fn component_metadata(
        &mut self,
        path: &str,
        component: &spec::DaprComponent,
        ok: &mut bool,
    ) -> Vec<(String, String)> {
        let mut metadata = Vec::new();
        for (key, value) in &component.metadata {
            let field = format!("{path}.metadata.{key}");
            *ok &= self.metadata_key(&field, key);
            let lowered = key.to_ascii_lowercase();
            if SECRET_LOOKING_KEYS.iter().any(|s| lowered.contains(s)) {
                self.push(
                    Problem::new(&field, "looks like a credential written in plain metadata")
                        .help(format!("move it to secretMetadata: {{{key}: {{key: <secret key>}}}} so its value stays in a Secret")),
                );
                *ok = false;
            }
            *ok &= self.check(
                &field,
                value,
                formats::plain_text(value),
                "write the value on one line",
            );
            metadata.push((key.clone(), value.clone()));
        }
        metadata
    }

    /// One `secretMetadata` entry: a key of the app's Secret or of a named
    /// one. `None` when it is invalid (reported).
    fn secret_metadata(
        &mut self,
        field: &str,
        key: &str,
        reference: &spec::SecretMetadataRef,
        component: &spec::DaprComponent,
        secrets: Option<&model::Secrets>,
    ) -> Option<model::SecretMetadata> {
        let mut ok = self.metadata_key(field, key);
        if component.metadata.contains_key(key) {
            self.push(
                Problem::new(field, format!("{key:?} is also in metadata"))
                    .help("keep it in one of metadata or secretMetadata"),
            );
            ok = false;
        }
        let secret_key = self.required(
            &reference.key,
            &format!("{field}.key"),
            "name the key inside the Secret",
        )?;
        ok &= self.check(
            &format!("{field}.key"),
            secret_key,
            formats::secret_key(secret_key),
            "use letters, digits, '-', '_' and '.'",
        );
        let secret = match &reference.secret {
            Some(secret) => {
                ok &= self.check(
                    &format!("{field}.secret"),
                    secret,
                    formats::dns1123_subdomain(secret),
                    "use the Secret's object name",
                );
                secret.clone()
            }
            None => match secrets {
                Some(secrets) => {
                    if !secrets.keys.iter().any(|k| k.name == *secret_key) {
                        self.push(
                            Problem::new(format!("{field}.key"), format!("{secret_key:?} is not one of the app's secret keys"))
                                .help("add it to secrets.keys, or name another Secret with secretMetadata.<key>.secret"),
                        );
                        ok = false;
                    }
                    secrets.secret_name.clone()
                }
                None => {
                    self.push(
                        Problem::new(field, "refers to the app's secret, but the spec declares no secrets")
                            .help("declare the key under secrets.keys, or name an existing Secret with secret:"),
                    );
                    return None;
                }
            },
        };
        ok.then(|| model::SecretMetadata {
            name: key.to_string(),
            secret,
            key: secret_key.clone(),
        })
    }

    /// `scopes`: the app-ids that may use the component; the app alone by
    /// default, never everyone.
    fn component_scopes(
        &mut self,
        path: &str,
        component: &spec::DaprComponent,
        app_id: &str,
        ok: &mut bool,
    ) -> Vec<String> {
        match &component.scopes {
            None => vec![app_id.to_string()],
            Some(scopes) if scopes.is_empty() => {
                self.push(
                    Problem::new(format!("{path}.scopes"), "is empty, which lets every app-id in the namespace use the component")
                        .help(format!("list the app-ids that may use it, e.g. [{app_id}], or omit scopes for this app only")),
                );
                *ok = false;
                Vec::new()
            }
            Some(scopes) => {
                let mut resolved = BTreeSet::new();
                for (i, scope) in scopes.iter().enumerate() {
                    *ok &= self.check(
                        &format!("{path}.scopes[{i}]"),
                        scope,
                        formats::dns1123_label(scope),
                        "use a Dapr app-id",
                    );
                    resolved.insert(scope.clone());
                }
                resolved.into_iter().collect()
            }
        }
    }

    pub(super) fn metadata_key(&mut self, path: &str, key: &str) -> bool {
        let valid = key.starts_with(|c: char| c.is_ascii_alphabetic())
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !valid {
            self.push(
                Problem::new(path, format!("{key:?} is not a metadata name"))
                    .help("start with a letter; use letters, digits, '_', '-' and '.'"),
            );
        }
        valid
    }

    /// `dapr.version`: a supported control-plane minor version.
    fn dapr_version(&mut self, text: Option<&str>, ok: &mut bool) -> dapr::Version {
        match text {
            None => dapr::Version::DEFAULT,
            Some(text) => match dapr::Version::parse(text) {
                Some(version) => version,
                None => {
                    let supported: Vec<&str> =
                        dapr::Version::SUPPORTED.iter().map(|(n, _)| *n).collect();
                    let problem = if dapr::Version::is_newer_than_verified(text) {
                        Problem::new(
                            "dapr.version",
                            format!(
                                "Dapr {text} is newer than the versions harden supports: its injector and sidecar facts are not verified"
                            ),
                        )
                        .help(format!(
                            "supported versions: {} (each read upstream); a newer Dapr needs its facts verified in harden before it can be used",
                            supported.join(", ")
                        ))
                    } else {
                        Problem::new(
                            "dapr.version",
                            format!("{text:?} is not a supported Dapr version"),
                        )
                        .help(format!(
                            "write the control plane's minor version: one of {}",
                            supported.join(", ")
                        ))
                    };
                    self.push(problem);
                    *ok = false;
                    dapr::Version::DEFAULT
                }
            },
        }
    }

    /// `dapr.components`: each checked, names unique.
    fn components(
        &mut self,
        dapr: &spec::Dapr,
        app_id: &str,
        secrets: Option<&model::Secrets>,
        ok: &mut bool,
    ) -> Vec<model::Component> {
        let mut components = Vec::new();
        let mut names = BTreeSet::new();
        for (i, component) in dapr.components.iter().enumerate() {
            match self.component(&format!("dapr.components[{i}]"), component, app_id, secrets) {
                Some(component) => {
                    if !names.insert(component.name.clone()) {
                        self.push(
                            Problem::new(
                                format!("dapr.components[{i}].name"),
                                format!("{:?} is used twice", component.name),
                            )
                            .help("give each component its own name"),
                        );
                        *ok = false;
                    }
                    components.push(component);
                }
                None => *ok = false,
            }
        }
        components
    }
}
