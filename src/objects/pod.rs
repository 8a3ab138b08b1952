//! The one pod-template walker: where a workload kind keeps its pod
//! template, and what a pod spec holds that the readers judge (containers of
//! the three lists, volumes, the service account, security contexts).
//!
//! Kinds and paths from the Kubernetes API (kubernetes/api `core/v1/types.go`
//! PodSpec: `initContainers`, `containers`, `ephemeralContainers`;
//! `apps/v1/types.go` and `batch/v1/types.go`: `spec.template` of
//! Deployment, ReplicaSet, StatefulSet, DaemonSet, Job and
//! ReplicationController, `spec.jobTemplate.spec.template` of CronJob).

use serde_json::Value;

use super::selector::{Labels, labels_of};
use crate::objects::value::At;

/// The kinds that hold a pod template at `spec.template` (a Pod is its own
/// template, a CronJob holds it at `spec.jobTemplate.spec.template`).
pub const TEMPLATE_KINDS: &[&str] = &[
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "ReplicationController",
];

/// The pod template of a Pod or a workload.
#[derive(Debug, Clone, Copy)]
pub struct PodTemplate<'a> {
    /// The kind of the object holding it.
    pub kind: &'a str,
    /// Field path of the pod spec inside the object (`spec`,
    /// `spec.template.spec`, `spec.jobTemplate.spec.template.spec`).
    pub spec_path: &'static str,
    /// The pod spec (a mapping).
    pub spec: &'a Value,
    /// The pod's metadata (the template's, or the Pod's own).
    pub metadata: Option<&'a Value>,
}

/// Which list of the pod spec a container is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerKind {
    /// `initContainers`: run before the others (a restartable one is a sidecar).
    Init,
    /// `containers`.
    Regular,
    /// `ephemeralContainers`: added to a running pod for debugging.
    Ephemeral,
}

impl ContainerKind {
    /// The pod spec field of the list.
    pub fn field(self) -> &'static str {
        match self {
            ContainerKind::Init => "initContainers",
            ContainerKind::Regular => "containers",
            ContainerKind::Ephemeral => "ephemeralContainers",
        }
    }

    /// How a message names a container of this list (`init container`).
    pub fn noun(self) -> &'static str {
        match self {
            ContainerKind::Init => "init container",
            ContainerKind::Regular => "container",
            ContainerKind::Ephemeral => "ephemeral container",
        }
    }
}

/// One container of a pod spec.
#[derive(Debug, Clone)]
pub struct Container<'a> {
    pub kind: ContainerKind,
    /// Field path inside the object (`spec.template.spec.initContainers[0]`).
    pub path: String,
    /// Its `name` (`?` when missing).
    pub name: &'a str,
    pub value: &'a Value,
}

impl<'a> Container<'a> {
    /// A field of the container's own `securityContext`.
    pub fn security(&self, key: &str) -> Option<&'a Value> {
        self.value.get("securityContext").and_then(|c| c.get(key))
    }

    /// An init container with `restartPolicy: Always`: a sidecar that runs
    /// beside the regular containers for the pod's life.
    pub fn is_sidecar(&self) -> bool {
        self.kind == ContainerKind::Init
            && self.value.get("restartPolicy").and_then(Value::as_str) == Some("Always")
    }
}

impl<'a> PodTemplate<'a> {
    /// The pod template of `document`, when its kind has one and its pod
    /// spec is a mapping.
    pub fn of(document: &'a Value) -> Option<PodTemplate<'a>> {
        let kind = document.get("kind").and_then(Value::as_str)?;
        let (spec_path, template) = match kind {
            "Pod" => ("spec", Some(document)),
            "CronJob" => (
                "spec.jobTemplate.spec.template.spec",
                document.at("/spec/jobTemplate/spec/template"),
            ),
            kind if TEMPLATE_KINDS.contains(&kind) => {
                ("spec.template.spec", document.at("/spec/template"))
            }
            _ => return None,
        };
        let template = template?;
        let spec = template.get("spec").filter(|s| s.is_object())?;
        Some(PodTemplate {
            kind,
            spec_path,
            spec,
            metadata: template.get("metadata"),
        })
    }

    /// A pod spec read alone (no object around it): paths are relative to
    /// the spec (`containers[0]`).
    pub fn bare(spec: &'a Value) -> PodTemplate<'a> {
        PodTemplate {
            kind: "Pod",
            spec_path: "",
            spec,
            metadata: None,
        }
    }

    /// The path of `field` of the pod spec inside the object (`""`: the spec).
    pub fn path(&self, field: &str) -> String {
        if self.spec_path.is_empty() {
            field.to_string()
        } else if field.is_empty() {
            self.spec_path.to_string()
        } else {
            format!("{}.{field}", self.spec_path)
        }
    }

    /// The path of the pod's metadata (`spec.template.metadata`, or
    /// `metadata` for a Pod).
    pub fn metadata_path(&self) -> &'static str {
        match self.spec_path {
            "" | "spec" => "metadata",
            "spec.template.spec" => "spec.template.metadata",
            _ => "spec.jobTemplate.spec.template.metadata",
        }
    }

    /// Every container: init containers, then regular, then ephemeral ones,
    /// each with its path.
    pub fn containers(&self) -> Vec<Container<'a>> {
        self.containers_of(&[
            ContainerKind::Init,
            ContainerKind::Regular,
            ContainerKind::Ephemeral,
        ])
    }

    /// The containers of the given lists, in that order.
    pub fn containers_of(&self, kinds: &[ContainerKind]) -> Vec<Container<'a>> {
        let mut all = Vec::new();
        for kind in kinds {
            let list = kind.field();
            for (i, value) in self
                .spec
                .get(list)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                all.push(Container {
                    kind: *kind,
                    path: self.path(&format!("{list}[{i}]")),
                    name: value.get("name").and_then(Value::as_str).unwrap_or("?"),
                    value,
                });
            }
        }
        all
    }

    /// The volumes, each with its index in `volumes`.
    pub fn volumes(&self) -> impl Iterator<Item = (usize, &'a Value)> + 'a {
        self.spec
            .get("volumes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
    }

    /// Whether a volume projects a service account token.
    pub fn projects_token(&self) -> bool {
        self.volumes().any(|(_, v)| {
            v.at("/projected/sources")
                .and_then(Value::as_array)
                .is_some_and(|s| s.iter().any(|s| s.get("serviceAccountToken").is_some()))
        })
    }

    /// The pods' ServiceAccount: `serviceAccountName`, else the deprecated
    /// `serviceAccount` field, which Kubernetes still honours (copied into
    /// serviceAccountName when that is empty: kubernetes/kubernetes
    /// pkg/apis/core/v1/conversion.go, Convert_v1_PodSpec_To_core_PodSpec:
    /// from memory, not yet checked against the upstream file), else
    /// `default`.
    pub fn service_account(&self) -> &'a str {
        ["serviceAccountName", "serviceAccount"]
            .iter()
            .filter_map(|key| self.spec.get(*key).and_then(Value::as_str))
            .find(|name| !name.is_empty())
            .unwrap_or("default")
    }

    /// The path of the field naming the account (the spec when none does).
    pub fn service_account_path(&self) -> String {
        ["serviceAccountName", "serviceAccount"]
            .into_iter()
            .find(|key| self.spec.get(*key).and_then(Value::as_str).is_some())
            .map_or_else(|| self.path(""), |key| self.path(key))
    }

    /// The pod's own `automountServiceAccountToken`.
    pub fn automount(&self) -> Option<bool> {
        self.spec
            .get("automountServiceAccountToken")
            .and_then(Value::as_bool)
    }

    /// A field of the pod-level `securityContext`.
    pub fn security(&self, key: &str) -> Option<&'a Value> {
        self.spec.get("securityContext").and_then(|c| c.get(key))
    }

    /// A field of the container's security context, else the pod's (the
    /// fields both levels have: runAsUser, runAsNonRoot, seccompProfile, ...).
    pub fn effective(&self, container: &Container<'a>, key: &str) -> Option<&'a Value> {
        container.security(key).or_else(|| self.security(key))
    }

    /// The pod's labels.
    pub fn labels(&self) -> Labels {
        labels_of(self.metadata)
    }

    /// The pod's annotations (a mapping), if any.
    pub fn annotations(&self) -> Option<&'a Value> {
        self.metadata.and_then(|m| m.get("annotations"))
    }

    /// One annotation's text.
    pub fn annotation(&self, key: &str) -> Option<&'a str> {
        self.annotations()
            .and_then(|a| a.get(key))
            .and_then(Value::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod_spec() -> Value {
        json!({
            "metadata": {"labels": {"app": "a"}, "annotations": {"k": "v"}},
            "spec": {
                "serviceAccount": "old",
                "initContainers": [{"name": "i", "restartPolicy": "Always"}],
                "containers": [{"name": "c", "securityContext": {"runAsUser": 1}}],
                "ephemeralContainers": [{"name": "e"}],
                "securityContext": {"runAsUser": 2, "runAsNonRoot": true},
                "volumes": [{"name": "t", "projected": {"sources": [{"serviceAccountToken": {}}]}}]
            }
        })
    }

    #[test]
    fn every_workload_kind_has_its_template_and_every_container() {
        let template = pod_spec();
        let cases = [
            (
                json!({"kind": "Pod", "metadata": template["metadata"], "spec": template["spec"]}),
                "spec",
            ),
            (
                json!({"kind": "Deployment", "spec": {"template": template}}),
                "spec.template.spec",
            ),
            (
                json!({"kind": "ReplicationController", "spec": {"template": template}}),
                "spec.template.spec",
            ),
            (
                json!({"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": template}}}}),
                "spec.jobTemplate.spec.template.spec",
            ),
        ];
        for (document, spec_path) in &cases {
            let pod = PodTemplate::of(document).unwrap();
            assert_eq!(pod.spec_path, *spec_path);
            let containers = pod.containers();
            let names: Vec<(&str, ContainerKind)> =
                containers.iter().map(|c| (c.name, c.kind)).collect();
            assert_eq!(
                names,
                [
                    ("i", ContainerKind::Init),
                    ("c", ContainerKind::Regular),
                    ("e", ContainerKind::Ephemeral)
                ]
            );
            assert_eq!(containers[0].path, format!("{spec_path}.initContainers[0]"));
            assert!(containers[0].is_sidecar());
            assert_eq!(pod.effective(&containers[1], "runAsUser"), Some(&json!(1)));
            assert_eq!(pod.effective(&containers[0], "runAsUser"), Some(&json!(2)));
            assert_eq!(pod.service_account(), "old");
            assert_eq!(
                pod.service_account_path(),
                format!("{spec_path}.serviceAccount")
            );
            assert!(pod.projects_token());
            assert_eq!(pod.labels()["app"], "a");
            assert_eq!(pod.annotation("k"), Some("v"));
            assert_eq!(pod.metadata_path().replace("metadata", "spec"), *spec_path);
        }
        assert!(PodTemplate::of(&json!({"kind": "Service", "spec": {}})).is_none());
        assert!(
            PodTemplate::of(&json!({"kind": "Deployment", "spec": {"template": {"spec": []}}}))
                .is_none()
        );
    }
}
