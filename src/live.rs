//! Drift against the live cluster (`check --live DUMP`): the objects the
//! specs render, compared in memory with a dump of the cluster
//! (`kubectl get ... -o yaml`, read by [`dump`]). The repository drift of
//! [`crate::drift`] ends at git; this one ends at the API server.
//!
//! For each rendered object:
//! - **missing**: the dump has no object of its group, kind, namespace and
//!   name;
//! - **changed**: the live object does not hold a field harden rendered
//!   with the same value ([`fields`]: a subset comparison, so what the
//!   server adds or defaults is not drift), or holds a field harden does not
//!   render that changes its security facts (a `hostPID`, an added
//!   capability: the impact of [`crate::impact`] between the two objects).
//!
//! And the live objects the specs do not render, in the specs' namespaces
//! (or cluster-scoped bindings naming them) are **extra** when they widen
//! security: a workload or bare Pod (it runs outside the spec), a Secret no
//! rendered object references, or any object whose impact, added to the
//! rendered set, widens or changes something (a NetworkPolicy that allows,
//! a Role or RoleBinding, a NodePort or LoadBalancer Service). Not judged:
//! an object whose controller is in the dump (a Deployment's ReplicaSets
//! and Pods, with the Dapr injector's sidecar: the controller is judged),
//! and the `default` ServiceAccount that Kubernetes creates in every
//! namespace (a workload that uses it is extra). Other objects are counted
//! as not widening security.
//!
//! The security impact of the whole is [`crate::impact::compare_objects`]
//! from the rendered set to the live one, the summary `diff` prints.

pub mod dump;
pub mod fields;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

pub use dump::{Dump, Key, LiveObject};
pub use fields::FieldDrift;

use crate::error::Error;
use crate::impact::{self, Impact};
use crate::objects::value::At;
use crate::objects::{Manifest, Object, PodTemplate};
use crate::render::GeneratedFile;
use crate::workspace::shown;

/// One object the specs render.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub key: Key,
    /// The spec (or `namespace NAME`) it is rendered from, as shown.
    pub source: String,
    /// The output directory it is rendered to, as shown.
    pub dir: String,
    pub value: Value,
}

/// How an object differs from the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Missing,
    Changed,
    Extra,
}

impl State {
    fn label(self) -> &'static str {
        match self {
            State::Missing => "missing",
            State::Changed => "changed",
            State::Extra => "extra",
        }
    }
}

/// One object that drifted.
#[derive(Debug, Clone, Serialize)]
pub struct ObjectDrift {
    /// `Kind/namespace/name`.
    pub object: String,
    pub state: State,
    /// The spec it is rendered from (none for an extra object).
    pub source: Option<String>,
    /// Its line in the dump (none for a missing object).
    pub line: Option<usize>,
    /// The rendered fields the live object does not hold as rendered.
    pub fields: Vec<FieldDrift>,
    /// Why an extra object widens security.
    pub why: Vec<String>,
    /// The security impact of this object's drift.
    pub impact: Vec<Impact>,
    /// The command that ends this drift.
    pub fix: String,
}

/// The comparison of rendered objects with a dump.
#[derive(Debug, Clone, Serialize)]
pub struct LiveReport {
    pub dump: String,
    /// `in-sync` or `drift`.
    pub status: &'static str,
    /// The namespaces of the specs checked.
    pub namespaces: Vec<String>,
    /// Rendered objects compared.
    pub compared: usize,
    pub objects: Vec<ObjectDrift>,
    /// Objects in the namespaces that the specs do not render and that do
    /// not widen security.
    pub not_widening: usize,
    /// What the drift does to security, from the rendered set to the live one.
    pub impact: Vec<Impact>,
    /// The specs' namespaces of which the dump holds no object (not
    /// dumped, or deleted): all their objects are missing.
    pub not_in_dump: Vec<String>,
    /// The kinds of missing objects of which the dump holds no object at
    /// all, as `kubectl get` takes them (`kind.group`, lower case): most
    /// likely left out of the `kubectl get` (the guard's cluster-scoped
    /// policies, an add-on's kinds), or every one deleted.
    pub kinds_not_in_dump: Vec<String>,
}

impl LiveReport {
    pub fn in_sync(&self) -> bool {
        self.objects.is_empty()
    }
}

/// Compares the `rendered` objects with the `dump`.
pub fn compare(rendered: &[Rendered], dump: &Dump) -> LiveReport {
    let live: BTreeMap<&Key, &LiveObject> = dump.objects.iter().map(|o| (&o.key, o)).collect();
    let namespaces: BTreeSet<String> = rendered
        .iter()
        .filter_map(|r| match (r.key.kind.as_str(), &r.key.namespace) {
            ("Namespace", None) if r.key.group.is_empty() => Some(r.key.name.clone()),
            (_, namespace) => namespace.clone(),
        })
        .collect();
    let rendered_values: Vec<Value> = rendered.iter().map(|r| r.value.clone()).collect();
    let mut objects = Vec::new();
    let mut after: Vec<Value> = Vec::new();
    for object in rendered {
        let apply = format!("kubectl apply -k {}", crate::quote::shell_arg(&object.dir));
        let Some(found) = live.get(&object.key) else {
            objects.push(ObjectDrift {
                object: object.key.to_string(),
                state: State::Missing,
                source: Some(object.source.clone()),
                line: None,
                fields: Vec::new(),
                why: Vec::new(),
                impact: impact::compare_objects(std::slice::from_ref(&object.value), &[]),
                fix: apply,
            });
            continue;
        };
        after.push(found.value.clone());
        let fields = fields::differences(&object.value, &found.value);
        let impacts = impact::compare_objects(
            std::slice::from_ref(&object.value),
            std::slice::from_ref(&found.value),
        );
        if !fields.is_empty() || !impacts.is_empty() {
            objects.push(ObjectDrift {
                object: object.key.to_string(),
                state: State::Changed,
                source: Some(object.source.clone()),
                line: Some(found.line),
                fields,
                why: Vec::new(),
                impact: impacts,
                fix: apply,
            });
        }
    }
    let referenced = strings_of(&rendered_values);
    let rendered_keys: BTreeSet<&Key> = rendered.iter().map(|r| &r.key).collect();
    let mut not_widening = 0;
    for object in &dump.objects {
        if rendered_keys.contains(&object.key)
            || !in_scope(object, &namespaces)
            || controlled_by_dump(object, &live)
            || is_bootstrap(&object.key)
        {
            continue;
        }
        let why = widens(object, &referenced);
        // An object with no security fact of its own (most of a namespace)
        // cannot widen the rendered set: the set is not judged again.
        let alone = impact::compare_objects(&[], std::slice::from_ref(&object.value));
        let impacts = if alone.is_empty() {
            alone
        } else {
            let mut with = rendered_values.clone();
            with.push(object.value.clone());
            impact::compare_objects(&rendered_values, &with)
        };
        // A Secret's only fact is that it exists: one a rendered object
        // references is expected on the cluster (created out of band).
        let is_secret = object.key.group.is_empty() && object.key.kind == "Secret";
        if why.is_empty() && (impacts.is_empty() || is_secret) {
            not_widening += 1;
            continue;
        }
        after.push(object.value.clone());
        objects.push(ObjectDrift {
            object: object.key.to_string(),
            state: State::Extra,
            source: None,
            line: Some(object.line),
            fields: Vec::new(),
            why,
            impact: impacts,
            fix: object.key.delete_command(),
        });
    }
    objects.sort_by(|a, b| (a.state, &a.object).cmp(&(b.state, &b.object)));
    let impact = if objects.is_empty() {
        Vec::new()
    } else {
        impact::compare_objects(&rendered_values, &after)
    };
    let dumped: BTreeSet<&str> = dump
        .objects
        .iter()
        .filter_map(|o| match (o.key.kind.as_str(), &o.key.namespace) {
            ("Namespace", None) => Some(o.key.name.as_str()),
            (_, namespace) => namespace.as_deref(),
        })
        .collect();
    let not_in_dump = namespaces
        .iter()
        .filter(|n| !dumped.contains(n.as_str()))
        .cloned()
        .collect();
    let dumped_kinds: BTreeSet<(&str, &str)> = dump
        .objects
        .iter()
        .map(|o| (o.key.group.as_str(), o.key.kind.as_str()))
        .collect();
    let kinds_not_in_dump: BTreeSet<String> = objects
        .iter()
        .filter(|o| o.state == State::Missing)
        .filter_map(|o| rendered.iter().find(|r| r.key.to_string() == o.object))
        .filter(|r| !dumped_kinds.contains(&(r.key.group.as_str(), r.key.kind.as_str())))
        .map(|r| resource_argument(&r.key.group, &r.key.kind))
        .collect();
    LiveReport {
        not_in_dump,
        kinds_not_in_dump: kinds_not_in_dump.into_iter().collect(),
        dump: dump.name.clone(),
        status: if objects.is_empty() {
            "in-sync"
        } else {
            "drift"
        },
        namespaces: namespaces.into_iter().collect(),
        compared: rendered.len(),
        objects,
        not_widening,
        impact,
    }
}

/// `kind` of `group` as a `kubectl get` argument: the kind in lower case,
/// with its group when it has one (`validatingadmissionpolicy.admissionregistration.k8s.io`).
fn resource_argument(group: &str, kind: &str) -> String {
    let kind = kind.to_ascii_lowercase();
    if group.is_empty() {
        kind
    } else {
        format!("{kind}.{group}")
    }
}

/// Whether a live object is in the specs' namespaces, or is a
/// cluster-scoped binding with a subject there.
fn in_scope(object: &LiveObject, namespaces: &BTreeSet<String>) -> bool {
    match &object.key.namespace {
        Some(namespace) => namespaces.contains(namespace),
        None => object
            .value
            .get("subjects")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|s| s.get("namespace").and_then(Value::as_str))
            .any(|namespace| namespaces.contains(namespace)),
    }
}

/// Whether the object's controller (`metadata.ownerReferences` with
/// `controller: true`) is in the dump: a Deployment's ReplicaSets, their
/// Pods, an ExternalSecret's Secret. The controller is judged instead. The
/// owner must match by uid when both have one, so a forged reference to an
/// object that is not the one in the dump does not hide an object.
fn controlled_by_dump(object: &LiveObject, live: &BTreeMap<&Key, &LiveObject>) -> bool {
    let text =
        |value: &Value, key: &str| value.get(key).and_then(Value::as_str).map(str::to_string);
    object
        .value
        .at("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|owner| owner.get("controller").and_then(Value::as_bool) == Some(true))
        .any(|owner| {
            let Some(key) = Key::of(&serde_json::json!({
                "apiVersion": owner.get("apiVersion"),
                "kind": owner.get("kind"),
                "metadata": {"name": owner.get("name"), "namespace": object.key.namespace},
            })) else {
                return false;
            };
            live.get(&key).is_some_and(|found| {
                let uid = text(
                    &found.value.get("metadata").cloned().unwrap_or_default(),
                    "uid",
                );
                // The API server requires an owner reference's uid; a dump
                // object without one (a hand-made dump) matches by name.
                match (uid, text(owner, "uid")) {
                    (Some(a), Some(b)) => a == b,
                    (Some(_), None) => false,
                    (None, _) => true,
                }
            })
        })
}

/// Objects Kubernetes creates in every namespace: the `default`
/// ServiceAccount (kubernetes/kubernetes
/// pkg/controller/serviceaccount/serviceaccounts_controller.go,
/// `DefaultServiceAccountsControllerOptions`: ServiceAccounts `default`).
fn is_bootstrap(key: &Key) -> bool {
    key.group.is_empty() && key.kind == "ServiceAccount" && key.name == "default"
}

/// Why an extra object widens security, beyond its impact facts: it runs
/// pods, or it is a Secret nothing rendered references.
fn widens(object: &LiveObject, referenced: &BTreeSet<&str>) -> Vec<String> {
    let mut why = Vec::new();
    if let Some(pod) = PodTemplate::of(&object.value) {
        let what = if object.key.kind == "Pod" {
            "a bare Pod"
        } else {
            "a workload"
        };
        why.push(format!(
            "{what} the specs do not render, running as ServiceAccount {}",
            crate::quote::printable(pod.service_account())
        ));
        let controller = object
            .value
            .at("/metadata/ownerReferences")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|owner| owner.get("controller").and_then(Value::as_bool) == Some(true));
        if let Some(owner) = controller {
            let text = |key: &str| owner.get(key).and_then(Value::as_str).unwrap_or_default();
            why.push(crate::quote::printable(&format!(
                "its controller {}/{} (uid {}) is not in the dump (add its kind to the `kubectl get`)",
                text("kind"),
                text("name"),
                text("uid")
            )));
        }
    }
    if object.key.group.is_empty()
        && object.key.kind == "Secret"
        && !referenced.contains(object.key.name.as_str())
    {
        let keys = ["data", "stringData"]
            .iter()
            .filter_map(|k| object.value.get(*k).and_then(Value::as_object))
            .map(|m| m.len())
            .sum::<usize>();
        why.push(format!(
            "a Secret no rendered object references ({keys} keys; values not shown)"
        ));
    }
    why
}

/// Every string value of the rendered objects: the names they reference
/// (a Secret named by an ExternalSecret, a `secretKeyRef`, a Dapr
/// annotation) are among them.
fn strings_of(values: &[Value]) -> BTreeSet<&str> {
    fn walk<'a>(value: &'a Value, found: &mut BTreeSet<&'a str>) {
        match value {
            Value::String(s) => {
                found.insert(s);
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, found)),
            Value::Object(map) => map.values().for_each(|v| walk(v, found)),
            _ => {}
        }
    }
    let mut found = BTreeSet::new();
    values.iter().for_each(|v| walk(v, &mut found));
    found
}

/// The objects of rendered `files` (every YAML file but the kustomization).
pub fn objects_of(
    files: &[GeneratedFile],
    source: &str,
    dir: &Path,
) -> Result<Vec<Rendered>, Error> {
    let mut rendered = Vec::new();
    for file in files.iter().filter(|f| {
        f.name.ends_with(".yaml") && f.name != crate::platform::names::KUSTOMIZATION_FILE
    }) {
        let manifests = Manifest::parse_all(&file.name, &file.content).map_err(Error::Internal)?;
        for manifest in &manifests {
            for object in Object::all_of(manifest) {
                if let Some(key) = Key::of(object.document) {
                    rendered.push(Rendered {
                        key,
                        source: source.to_string(),
                        dir: shown(dir),
                        value: object.document.clone(),
                    });
                }
            }
        }
    }
    Ok(rendered)
}

/// The objects the specs of `paths` render, with the scope rules of every
/// command ([`crate::pipeline::scope`]): no path is the workspace; a spec of
/// a workspace with a workspace file is rendered as the workspace renders
/// it, with its neighbours in its namespace (their objects are not extra);
/// a directory or several specs are one system; a spec alone is alone.
pub fn render_scope(
    paths: &[PathBuf],
    templates_dir: Option<&Path>,
) -> Result<Vec<Rendered>, Error> {
    use crate::pipeline::{find, outputs::services_of, scope};
    let scope = scope::scope(paths)?;
    if !scope.is_system() {
        let spec = find::spec_files(&scope.all)?.remove(0);
        let prepared = crate::pipeline::prepare(&spec, templates_dir, false)?;
        let dir = prepared.workspace.out_dir(&prepared.model.name);
        return objects_of(&prepared.files, &shown(&spec), &dir);
    }
    let files = find::spec_files(&scope.all)?;
    let system = crate::system::compile(&files).map_err(|problems| Error::System {
        summary: crate::system::summary(&problems, files.len()),
        problems,
    })?;
    let workspace = crate::load::workspace(&files[0])?;
    let templates = crate::pipeline::workspace_templates(&workspace, templates_dir)?;
    let focus: Option<BTreeSet<&str>> = scope.focus.as_ref().map(|focus| {
        services_of(&system, focus)
            .into_iter()
            .map(|i| system.services[i].namespace())
            .collect()
    });
    let wanted = |namespace: &str| focus.as_ref().is_none_or(|f| f.contains(namespace));
    let mut rendered = Vec::new();
    for shared in system
        .shared
        .iter()
        .filter(|s| wanted(&s.namespace.namespace))
    {
        let files = crate::render::render_namespace(&shared.namespace, &templates)?;
        let source = format!("namespace {}", shared.namespace.namespace);
        rendered.extend(objects_of(&files, &source, &shared.dir)?);
    }
    for service in system.services.iter().filter(|s| wanted(s.namespace())) {
        let files = crate::render::render(&service.model, &templates)?;
        rendered.extend(objects_of(&files, &service.file, &service.out_dir())?);
    }
    Ok(rendered)
}

/// The report as text; nothing when in sync and `quiet`.
pub fn text(report: &LiveReport, quiet: bool) -> String {
    use crate::quote::printable;
    use crate::text::pushln;
    let mut out = String::new();
    for object in &report.objects {
        let mut at = Vec::new();
        if let Some(line) = object.line {
            at.push(format!("{}:{line}", report.dump));
        }
        if let Some(source) = &object.source {
            at.push(format!("rendered from {source}"));
        }
        pushln!(
            out,
            "{:<8} {} ({})",
            object.state.label(),
            object.object,
            at.join("; ")
        );
        for field in &object.fields {
            pushln!(
                out,
                "  {}: rendered {}, live {}",
                field.path,
                field.rendered,
                field.live
            );
        }
        for why in &object.why {
            pushln!(out, "  {}", printable(why));
        }
        // Impact lines and commands name objects of the dump: made
        // printable (a name is validated by the API server, a dump is not).
        for line in &object.impact {
            pushln!(out, "  impact: {}", printable(&line.to_string()));
        }
        pushln!(out, "  fix: {}", printable(&object.fix));
    }
    if !report.in_sync() {
        pushln!(out, "security impact:");
        if report.impact.is_empty() {
            pushln!(out, "  none: no permission, flow or protection changes");
        }
        for line in &report.impact {
            pushln!(out, "  {}", printable(&line.to_string()));
        }
    }
    let count = |state: State| report.objects.iter().filter(|o| o.state == state).count();
    let others = match report.not_widening {
        0 => String::new(),
        1 => "; 1 other live object in the namespaces does not widen security".to_string(),
        n => format!("; {n} other live objects in the namespaces do not widen security"),
    };
    for namespace in &report.not_in_dump {
        pushln!(
            out,
            "note: {} holds no object of namespace {}: dump it (kubectl get --namespace {} -o yaml ...), or check only the specs of the namespaces dumped",
            report.dump,
            printable(namespace),
            crate::quote::shell_arg(namespace)
        );
    }
    if !report.kinds_not_in_dump.is_empty() {
        pushln!(
            out,
            "note: {} holds no object of kind {}: add {} to the kubectl get (cluster-scoped kinds without --namespace), or they were deleted",
            report.dump,
            printable(&report.kinds_not_in_dump.join(", ")),
            printable(&report.kinds_not_in_dump.join(","))
        );
    }
    if report.in_sync() {
        if !quiet {
            pushln!(
                out,
                "check --live: in sync with {}: {} rendered objects compared{others}",
                report.dump,
                report.compared
            );
        }
    } else {
        pushln!(
            out,
            "check --live: drift against {}: {} missing, {} changed, {} extra ({} rendered objects compared{others})",
            report.dump,
            count(State::Missing),
            count(State::Changed),
            count(State::Extra),
            report.compared
        );
    }
    out
}

#[cfg(test)]
mod tests;
