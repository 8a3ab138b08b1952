//! Resolving `ingress[].app` and `egress[].app`: before validation, each
//! reference is rewritten from the spec it names (its namespace, its pods'
//! `app.kubernetes.io/name` label and, for egress, its port), so the two
//! ends of a flow are written from one source and cannot drift. Duplicate
//! app names are found here too: a reference must name exactly one spec.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::{Severity, SystemProblem};
use crate::platform::names;
use crate::spec::{PortRule, Spec};
use crate::yaml::Parsed;

/// A spec as [`super::analyse`] reads it: path, path as shown, parsed text.
pub type Loaded = (PathBuf, String, Parsed<Spec>);

/// The most known apps listed in an "unknown app" message.
const LISTED_APPS: usize = 12;

struct Target {
    file: String,
    namespace: Option<String>,
    port: Option<u32>,
}

fn problem(loaded: &Loaded, path: &str, message: String, help: String) -> SystemProblem {
    let (_, file, parsed) = loaded;
    let path = parsed.source_path(path);
    SystemProblem {
        severity: Severity::Error,
        file: file.clone(),
        position: parsed.locations.find(&path),
        path,
        message,
        help: Some(help),
        others: Vec::new(),
    }
}

/// Rewrites every `app:` reference of `specs` in place. `complete` is false
/// when some spec could not be read, which an unknown app may be.
pub fn resolve(specs: &mut [Loaded], complete: bool) -> Vec<SystemProblem> {
    let mut problems = Vec::new();
    let mut apps: BTreeMap<String, Target> = BTreeMap::new();
    for loaded in specs.iter() {
        let Some(app) = loaded.2.value.app.as_ref() else {
            continue;
        };
        let Some(name) = app.name.clone() else {
            continue;
        };
        if let Some(first) = apps.get(&name) {
            let mut found = problem(
                loaded,
                "app.name",
                format!(
                    "{name:?} is also the app name of {}; app names must be unique in a workspace",
                    first.file
                ),
                format!("rename one of them: both would write deploy/{name} and be called {name}"),
            );
            found.others.push(first.file.clone());
            problems.push(found);
            continue;
        }
        apps.insert(
            name.clone(),
            Target {
                file: loaded.1.clone(),
                namespace: app.namespace.clone().or(Some(name)),
                port: loaded.2.value.workload.as_ref().and_then(|w| w.port),
            },
        );
    }
    let known: Vec<&str> = apps.keys().map(String::as_str).collect();
    let unknown = |loaded: &Loaded, path: &str, app: &str| {
        let suggestion = known
            .iter()
            .map(|k| (strsim::levenshtein(app, k), *k))
            .filter(|(distance, k)| *distance <= 2.max(k.len() / 4))
            .min()
            .map(|(_, k)| format!("did you mean {k:?}? "))
            .unwrap_or_default();
        let mut listed: Vec<&str> = known.iter().take(LISTED_APPS).copied().collect();
        if known.len() > LISTED_APPS {
            listed.push("...");
        }
        let incomplete = if complete {
            ""
        } else {
            " (some specs could not be read; fix them first)"
        };
        problem(
            loaded,
            &format!("{path}.app"),
            format!("{app:?} is not the app name of any spec of the workspace{incomplete}"),
            format!(
                "{suggestion}known apps ({}): {}",
                known.len(),
                listed.join(", ")
            ),
        )
    };
    for loaded in specs.iter_mut() {
        let own = loaded
            .2
            .value
            .app
            .as_ref()
            .and_then(|a| a.name.clone())
            .unwrap_or_default();
        // The spec a reference names: another spec of the workspace.
        let target_of = |loaded: &Loaded, path: &str, app: &str| {
            if app == own {
                return Err(Box::new(problem(
                    loaded,
                    &format!("{path}.app"),
                    format!("{app:?} is this spec's own app"),
                    "a service needs no rule to reach its own pods; remove the rule".to_string(),
                )));
            }
            apps.get(app)
                .ok_or_else(|| Box::new(unknown(loaded, path, app)))
        };
        let mut found = Vec::new();
        // Ingress rules named after their app by default.
        let mut defaulted = Vec::new();
        let mut ingress = std::mem::take(&mut loaded.2.value.ingress);
        for (i, rule) in ingress.iter_mut().enumerate() {
            let Some(app) = rule.app.clone() else {
                continue;
            };
            let path = format!("ingress[{i}]");
            if rule.namespace.is_some() || !rule.pod_labels.is_empty() {
                found.push(problem(
                    loaded,
                    &format!("{path}.app"),
                    "sets app together with namespace or podLabels".to_string(),
                    format!("app: {app} fills in {app}'s namespace and pod labels; remove namespace and podLabels"),
                ));
                continue;
            }
            let target = match target_of(loaded, &path, &app) {
                Ok(target) => target,
                Err(problem) => {
                    found.push(*problem);
                    continue;
                }
            };
            if rule.name.is_none() {
                defaulted.push(i);
                rule.name = Some(app.clone());
            }
            rule.namespace = target.namespace.clone();
            rule.pod_labels = BTreeMap::from([(names::APP_NAME_LABEL.to_string(), app)]);
            rule.app = None;
        }
        let mut egress = std::mem::take(&mut loaded.2.value.egress);
        for (i, rule) in egress.iter_mut().enumerate() {
            let Some(app) = rule.app.clone() else {
                continue;
            };
            let path = format!("egress[{i}]");
            if rule.namespace.is_some() || !rule.pod_labels.is_empty() || rule.cidr.is_some() {
                found.push(problem(
                    loaded,
                    &format!("{path}.app"),
                    "sets app together with namespace, podLabels or cidr".to_string(),
                    format!("app: {app} fills in {app}'s namespace, pod labels and port; remove the others"),
                ));
                continue;
            }
            let target = match target_of(loaded, &path, &app) {
                Ok(target) => target,
                Err(problem) => {
                    found.push(*problem);
                    continue;
                }
            };
            rule.name.get_or_insert_with(|| app.clone());
            rule.namespace = target.namespace.clone();
            rule.pod_labels = BTreeMap::from([(names::APP_NAME_LABEL.to_string(), app)]);
            if rule.ports.is_empty()
                && let Some(port) = target.port
            {
                rule.ports.push(PortRule {
                    port: Some(port),
                    protocol: None,
                });
            }
            rule.app = None;
        }
        // Two services calling each other: the callee-side rule named after
        // the app would clash with the call's, so it is `from-<app>`.
        for i in defaulted {
            let name = ingress[i].name.clone().unwrap_or_default();
            if egress
                .iter()
                .any(|r| r.name.as_deref() == Some(name.as_str()))
            {
                ingress[i].name = Some(format!("from-{name}"));
            }
        }
        loaded.2.value.ingress = ingress;
        loaded.2.value.egress = egress;
        problems.extend(found);
    }
    problems
}
