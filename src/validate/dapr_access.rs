//! The sidecar's access surface in the `dapr` section: the API allowlist
//! (derived from the components and fields, plus `dapr.apis`), secret
//! scopes (`components[].allowedSecrets`), the app token and the
//! operations a caller may invoke (`invokedBy[].operations`), and who may
//! call the app's workflows (`workflowCallers`, Dapr 1.18). The Dapr facts
//! are in [`crate::platform::dapr::surface`].

use std::collections::BTreeSet;

use super::{Validator, formats};
use crate::diagnostics::Problem;
use crate::model;
use crate::platform::dapr::{self, Version, surface};
use crate::spec;

impl Validator {
    /// `invokedBy[i].operations` (and a refusal in `invokes`, where the
    /// callee decides).
    pub(super) fn dapr_operations(
        &mut self,
        field: &str,
        peer: &spec::DaprPeer,
        caller: bool,
    ) -> Option<Vec<model::DaprOperation>> {
        if peer.operations.is_empty() {
            return Some(Vec::new());
        }
        if !caller {
            self.push(
                Problem::new(
                    format!("{field}.operations"),
                    "operations are granted by the app that is invoked",
                )
                .help("remove operations here; the other app lists them under dapr.invokedBy"),
            );
            return None;
        }
        let mut ok = true;
        let mut resolved: Vec<model::DaprOperation> = Vec::new();
        for (i, operation) in peer.operations.iter().enumerate() {
            let at = format!("{field}.operations[{i}]");
            let Some(path) = self.required(
                &operation.path,
                &format!("{at}.path"),
                "give the invoked method's path, e.g. /orders",
            ) else {
                ok = false;
                continue;
            };
            let path_ok = path.starts_with('/')
                && path.len() > 1
                && !path.contains("//")
                && path.chars().all(|c| {
                    c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_' | '.' | '~' | '*')
                });
            if !path_ok {
                self.push(
                    Problem::new(format!("{at}.path"), format!("{path:?} is not an operation path"))
                        .help("write a path starting with /, of letters, digits, '-', '_', '.', '~' and '*' (e.g. /orders, /orders/* or /orders/**)"),
                );
                ok = false;
            }
            let mut verbs = BTreeSet::new();
            for (j, verb) in operation.verbs.iter().enumerate() {
                if !surface::HTTP_VERBS.contains(&verb.as_str()) {
                    let upper = verb.to_ascii_uppercase();
                    let help = if surface::HTTP_VERBS.contains(&upper.as_str()) {
                        format!("write {upper}: Dapr matches verbs in upper case only")
                    } else {
                        format!("use one of {}", surface::HTTP_VERBS.join(", "))
                    };
                    self.push(
                        Problem::new(
                            format!("{at}.verbs[{j}]"),
                            format!("{verb:?} is not an HTTP verb Dapr matches"),
                        )
                        .help(help),
                    );
                    ok = false;
                }
                verbs.insert(verb.clone());
            }
            if resolved.iter().any(|o| o.name == *path) {
                self.push(
                    Problem::new(&at, format!("{path:?} is listed twice"))
                        .help("list each path once, with all its verbs"),
                );
                ok = false;
            }
            let verbs = if verbs.is_empty() || verbs.contains("*") {
                vec!["*".to_string()]
            } else {
                verbs.into_iter().collect()
            };
            resolved.push(model::DaprOperation {
                name: path.clone(),
                verbs,
            });
        }
        ok.then_some(resolved)
    }

    /// `dapr.appTokenSecret`: a Secret of its own, like the API token's.
    pub(super) fn dapr_app_token(
        &mut self,
        dapr: &spec::Dapr,
        name: &str,
        secrets: Option<&model::Secrets>,
    ) -> Option<Option<model::ApiToken>> {
        let Some(secret) = &dapr.app_token_secret else {
            return Some(None);
        };
        let mut ok = self.check(
            "dapr.appTokenSecret",
            secret,
            formats::dns1123_subdomain(secret),
            "name the Secret that holds the token under the key token",
        );
        if secrets.is_some_and(|s| s.secret_name == *secret)
            || dapr.api_token_secret.as_ref() == Some(secret)
        {
            self.push(
                Problem::new(
                    "dapr.appTokenSecret",
                    format!("{secret:?} is also the app's own Secret or the API token's"),
                )
                .help(format!(
                    "name a Secret of its own, e.g. {name}-dapr-app-token: the app token must differ from the token that guards the sidecar"
                )),
            );
            ok = false;
        }
        ok.then(|| {
            Some(model::ApiToken {
                annotation: surface::APP_TOKEN_ANNOTATION.to_string(),
                purpose: format!(
                    "The token the sidecar sends to the app in {}",
                    surface::TOKEN_HEADER
                ),
                secret_name: secret.clone(),
                key: surface::APP_TOKEN_KEY.to_string(),
                remote_key: secrets
                    .filter(|s| s.source == model::SecretSource::ExternalSecrets)
                    .map(|_| format!("{name}/dapr-app-token")),
            })
        })
    }

    /// The Configuration's secret scopes: each secret store component the
    /// app may load, and the built-in `kubernetes` store, `defaultAccess:
    /// deny` with the names of `allowedSecrets`.
    pub(super) fn dapr_secret_scopes(
        &mut self,
        dapr: &spec::Dapr,
        app_id: &str,
        components: &[model::Component],
    ) -> Option<Vec<model::SecretScope>> {
        let mut ok = true;
        let mut scopes = Vec::new();
        for (i, component) in dapr.components.iter().enumerate() {
            let is_store = component
                .component_type
                .as_deref()
                .is_some_and(|t| t.starts_with("secretstores."));
            let field = format!("dapr.components[{i}].allowedSecrets");
            if !is_store {
                if !component.allowed_secrets.is_empty() {
                    self.push(
                        Problem::new(&field, "only a secret store (type secretstores.*) has secrets to allow")
                            .help("remove allowedSecrets, or move the names to the secret store component"),
                    );
                    ok = false;
                }
                continue;
            }
            // Validated components only (an invalid one is reported already).
            let Some(model) = components
                .iter()
                .find(|c| Some(&c.name) == component.name.as_ref())
            else {
                continue;
            };
            if !model.scopes.iter().any(|s| s == app_id) {
                if !component.allowed_secrets.is_empty() {
                    self.push(
                        Problem::new(&field, format!("the app-id {app_id} is not in this store's scopes, so it cannot read the secrets"))
                            .help(format!("add {app_id} to scopes, or remove allowedSecrets")),
                    );
                    ok = false;
                }
                continue;
            }
            let mut allowed = BTreeSet::new();
            for (j, secret) in component.allowed_secrets.iter().enumerate() {
                let valid = !secret.is_empty()
                    && secret.len() <= 253
                    && secret
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
                if !valid {
                    self.push(
                        Problem::new(
                            format!("{field}[{j}]"),
                            format!("{secret:?} is not a secret name"),
                        )
                        .help("use letters, digits, '-', '_', '.' and '/'"),
                    );
                    ok = false;
                } else if !allowed.insert(secret.clone()) {
                    self.push(
                        Problem::new(
                            format!("{field}[{j}]"),
                            format!("{secret:?} is listed twice"),
                        )
                        .help("list each secret once"),
                    );
                    ok = false;
                }
            }
            scopes.push(model::SecretScope {
                store_name: model.name.clone(),
                default_access: surface::SECRET_SCOPE_DEFAULT_ACCESS.to_string(),
                allowed_secrets: allowed.into_iter().collect(),
            });
        }
        // daprd refuses a store named in two scopes, so the built-in
        // store's scope is left out when a component has its name.
        if !scopes
            .iter()
            .any(|s| s.store_name == surface::BUILTIN_SECRET_STORE)
        {
            scopes.push(model::SecretScope {
                store_name: surface::BUILTIN_SECRET_STORE.to_string(),
                default_access: surface::SECRET_SCOPE_DEFAULT_ACCESS.to_string(),
                allowed_secrets: Vec::new(),
            });
        }
        scopes.sort_by(|a, b| a.store_name.cmp(&b.store_name));
        ok.then_some(scopes)
    }

    /// The Configuration's API allowlist: what the components and fields
    /// imply, plus `dapr.apis`, each version the Dapr minor serves, once per
    /// protocol.
    pub(super) fn dapr_api_allowlist(
        &mut self,
        dapr: &spec::Dapr,
        version: Version,
        app_id: &str,
        components: &[model::Component],
        secret_scopes: &[model::SecretScope],
    ) -> Option<Vec<model::ApiRule>> {
        let mut ok = true;
        // (name, a single version or all default ones, the field it comes from)
        let mut wanted: Vec<(String, Option<String>, String)> = Vec::new();
        for (i, component) in components.iter().enumerate() {
            if !component.scopes.iter().any(|s| s == app_id) {
                continue;
            }
            for name in surface::component_apis(&component.component_type) {
                if *name == "secrets"
                    && !secret_scopes
                        .iter()
                        .any(|s| s.store_name == component.name && !s.allowed_secrets.is_empty())
                {
                    // A store the app reads nothing from through the API
                    // (it may serve secretKeyRefs of other components).
                    continue;
                }
                wanted.push((name.to_string(), None, format!("dapr.components[{i}].type")));
            }
        }
        if !dapr.invokes.is_empty() {
            wanted.push(("invoke".into(), None, "dapr.invokes".into()));
        }
        if dapr.actors {
            wanted.push(("actors".into(), None, "dapr.actors".into()));
        }
        if dapr.jobs {
            wanted.push(("jobs".into(), None, "dapr.jobs".into()));
        }
        for (i, text) in dapr.apis.iter().enumerate() {
            let field = format!("dapr.apis[{i}]");
            let (name, api_version) = match text.split_once('/') {
                Some((n, v)) => (n, Some(v)),
                None => (text.as_str(), None),
            };
            if !surface::api_names().contains(&name) {
                let help = if name == "healthz" {
                    "remove it: healthz is always allowed".to_string()
                } else {
                    format!("use one of {}", surface::api_names().join(", "))
                };
                self.push(
                    Problem::new(&field, format!("{name:?} is not a Dapr API name")).help(help),
                );
                ok = false;
                continue;
            }
            if let Some(v) = api_version
                && surface::api_since(name, Some(v)).is_none()
            {
                let versions: Vec<&str> = surface::APIS
                    .iter()
                    .filter(|a| a.name == name)
                    .map(|a| a.version)
                    .collect();
                self.push(
                    Problem::new(&field, format!("{name} has no version {v:?}")).help(format!(
                        "write {name} or one of {}",
                        versions
                            .iter()
                            .map(|v| format!("{name}/{v}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                );
                ok = false;
                continue;
            }
            wanted.push((name.to_string(), api_version.map(str::to_string), field));
        }
        let mut rules = BTreeSet::new();
        for (name, api_version, field) in wanted {
            let versions: Vec<&surface::ApiVersion> =
                surface::api_versions(&name, version, api_version.is_some())
                    .into_iter()
                    .filter(|a| api_version.as_deref().is_none_or(|v| a.version == v))
                    .collect();
            if versions.is_empty() {
                let since = surface::api_since(&name, api_version.as_deref())
                    .map_or("?", dapr::Version::name);
                let what = api_version.map_or(name.clone(), |v| format!("{name}/{v}"));
                self.push(
                    Problem::new(
                        &field,
                        format!(
                            "the Dapr API {what} needs Dapr {since}, and dapr.version is {}",
                            version.name()
                        ),
                    )
                    .help(format!(
                        "set dapr.version to {since} or later, or stop using it"
                    )),
                );
                ok = false;
                continue;
            }
            for api in versions {
                for (protocol, served) in surface::API_PROTOCOLS.iter().zip([api.http, api.grpc]) {
                    if served {
                        rules.insert(model::ApiRule {
                            name: api.name.to_string(),
                            version: api.version.to_string(),
                            protocol: protocol.to_string(),
                        });
                    }
                }
            }
        }
        if rules.is_empty() {
            // Nothing used: one real entry per protocol keeps both closed.
            for api in surface::api_versions(surface::CLOSING_API, version, false) {
                for protocol in surface::API_PROTOCOLS {
                    rules.insert(model::ApiRule {
                        name: api.name.to_string(),
                        version: api.version.to_string(),
                        protocol: protocol.to_string(),
                    });
                }
            }
        }
        ok.then(|| rules.into_iter().collect())
    }

    /// `dapr.workflowCallers`: the app's WorkflowAccessPolicy (Dapr 1.18).
    /// `None` when a problem was reported; `Some(None)` when the spec
    /// leaves workflows open (no policy).
    pub(super) fn dapr_workflow_policy(
        &mut self,
        dapr: &spec::Dapr,
        version: Version,
        app_id: &str,
        name: &str,
    ) -> Option<Option<model::WorkflowPolicy>> {
        let Some(callers) = &dapr.workflow_callers else {
            return Some(None);
        };
        if !version.workflow_access_policy() {
            self.push(
                Problem::new(
                    "dapr.workflowCallers",
                    format!(
                        "a {} (who may call the app's workflows) needs Dapr 1.18, and dapr.version is {}",
                        surface::WORKFLOW_ACCESS_POLICY_KIND,
                        version.name()
                    ),
                )
                .help("set dapr.version to 1.18, or remove workflowCallers (earlier versions cannot gate workflow callers)"),
            );
            return None;
        }
        let mut ok = true;
        if !dapr.actors {
            self.push(
                Problem::new(
                    "dapr.workflowCallers",
                    "workflows run on Dapr actors, and dapr.actors is not true",
                )
                .help("set dapr.actors: true (the sidecar then connects to placement)"),
            );
            ok = false;
        }
        let mut resolved: Vec<model::WorkflowCaller> = Vec::new();
        for (i, caller) in callers.iter().enumerate() {
            let field = format!("dapr.workflowCallers[{i}]");
            let Some(caller_id) = self.required(
                &caller.app_id,
                &format!("{field}.appId"),
                "give the calling app's Dapr app-id",
            ) else {
                ok = false;
                continue;
            };
            let caller_id = caller_id.clone();
            if !self.check(
                &format!("{field}.appId"),
                &caller_id,
                formats::dns1123_label(&caller_id),
                "use a DNS-1123 label",
            ) {
                ok = false;
                continue;
            }
            if caller_id == app_id {
                self.push(
                    Problem::new(
                        format!("{field}.appId"),
                        format!("{caller_id:?} is the app itself, whose calls to its own workflows Dapr never gates"),
                    )
                    .help("list other apps only"),
                );
                ok = false;
                continue;
            }
            if resolved.iter().any(|c| c.app_id == caller_id) {
                self.push(
                    Problem::new(&field, format!("{caller_id:?} is listed twice"))
                        .help("list each caller once, with all its workflows and activities"),
                );
                ok = false;
                continue;
            }
            if caller.workflows.is_empty() && caller.activities.is_empty() {
                self.push(
                    Problem::new(&field, format!("{caller_id} is given no workflow and no activity"))
                        .help("list the workflows (with operations) or activities it may call, or remove the caller"),
                );
                ok = false;
                continue;
            }
            let mut workflows = Vec::new();
            for (j, grant) in caller.workflows.iter().enumerate() {
                let grant_field = format!("{field}.workflows[{j}]");
                let Some(grant_name) = self.required(
                    &grant.name,
                    &format!("{grant_field}.name"),
                    "give the workflow's name or a glob such as Order*",
                ) else {
                    ok = false;
                    continue;
                };
                let grant_name = grant_name.clone();
                ok &= self.check(
                    &format!("{grant_field}.name"),
                    &grant_name,
                    workflow_name(&grant_name),
                    "write the workflow's name, or a glob with * and ?",
                );
                if grant.operations.is_empty() {
                    self.push(
                        Problem::new(format!("{grant_field}.operations"), "names no operation")
                            .help(format!(
                                "list at least one of {}",
                                surface::WORKFLOW_OPERATIONS.join(", ")
                            )),
                    );
                    ok = false;
                }
                let mut operations: Vec<String> = Vec::new();
                for (k, operation) in grant.operations.iter().enumerate() {
                    let op_field = format!("{grant_field}.operations[{k}]");
                    if !surface::WORKFLOW_OPERATIONS.contains(&operation.as_str()) {
                        self.push(
                            Problem::new(
                                &op_field,
                                format!("{operation:?} is not a workflow operation"),
                            )
                            .help(format!(
                                "use one of {}",
                                surface::WORKFLOW_OPERATIONS.join(", ")
                            )),
                        );
                        ok = false;
                    } else if operations.contains(operation) {
                        self.push(
                            Problem::new(&op_field, format!("{operation:?} is listed twice"))
                                .help("list each operation once (the API server refuses a repeat in this set)"),
                        );
                        ok = false;
                    } else {
                        operations.push(operation.clone());
                    }
                }
                workflows.push(model::WorkflowGrant {
                    name: grant_name,
                    operations,
                });
            }
            let mut activities: Vec<String> = Vec::new();
            for (j, activity) in caller.activities.iter().enumerate() {
                let activity_field = format!("{field}.activities[{j}]");
                if !self.check(
                    &activity_field,
                    activity,
                    workflow_name(activity),
                    "write the activity's name, or a glob with * and ?",
                ) {
                    ok = false;
                } else if activities.contains(activity) {
                    self.push(
                        Problem::new(&activity_field, format!("{activity:?} is listed twice"))
                            .help("list each activity once"),
                    );
                    ok = false;
                } else {
                    activities.push(activity.clone());
                }
            }
            resolved.push(model::WorkflowCaller {
                app_id: caller_id,
                workflows,
                activities,
            });
        }
        ok.then(|| {
            Some(model::WorkflowPolicy {
                name: format!("{name}-workflow-access"),
                callers: resolved,
            })
        })
    }
}

/// A workflow or activity name, or a glob of one (Go `path.Match`, with
/// `*` and `?` only here: harden writes no character class): 1 to 253
/// characters of letters, digits and `-_.:/*?`.
fn workflow_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 253 {
        return Err("must be 1 to 253 characters".to_string());
    }
    match name.chars().find(|c| {
        !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '/' | '*' | '?'))
    }) {
        Some(c) => Err(format!(
            "{c:?} is not allowed (letters, digits, -_.:/ and the globs * ?)"
        )),
        None => Ok(()),
    }
}
