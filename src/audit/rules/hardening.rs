//! Further hardening beyond the ten controls: one function per rule, each
//! declared beside its metadata.

use serde_json::Value;

use super::{Check, Container, Cx, Family, Rule, Severity, Workload};
use crate::audit::manifests::Object;

macro_rules! hardening {
    ($name:ident, $id:literal, $severity:ident, $check:expr, $title:literal, $fix:literal) => {
        pub static $name: Rule = Rule {
            id: $id,
            family: Family::Hardening,
            severity: Severity::$severity,
            control: None,
            title: $title,
            fix: $fix,
            check: $check,
        };
    };
}

/// Every hardening rule, in catalogue order.
pub static RULES: &[&Rule] = &[
    &READ_ONLY_ROOT_FILESYSTEM,
    &RESOURCES,
    &PROBES,
    &TOKEN_AUTOMOUNT,
    &LOW_UID,
    &NO_SERVICE,
    &DISRUPTION_BUDGET_BLOCKS_EVICTION,
];

/// The workload's regular containers (init containers run to completion
/// and are judged by Pod Security alone).
fn containers<'a>(object: &'a Object<'a>) -> Option<(Workload<'a>, Vec<Container<'a>>)> {
    let workload = Workload::of(object)?;
    let containers = workload.containers(false);
    Some((workload, containers))
}

hardening!(
    READ_ONLY_ROOT_FILESYSTEM,
    "hardening/read-only-root-filesystem",
    Medium,
    Check::Object(read_only_root_filesystem),
    "Writable root filesystem",
    "set securityContext.readOnlyRootFilesystem: true and mount emptyDir volumes where the app writes"
);

fn read_only_root_filesystem(cx: &mut Cx<'_>, object: &Object<'_>) {
    let Some((_, containers)) = containers(object) else {
        return;
    };
    for Container { path, name, value } in containers {
        let setting = value.pointer("/securityContext/readOnlyRootFilesystem");
        if setting.and_then(Value::as_bool) != Some(true) {
            let at = if setting.is_some() {
                format!("{path}.securityContext.readOnlyRootFilesystem")
            } else {
                path.clone()
            };
            cx.report(
                object,
                &at,
                format!("container {name:?} can write to its root filesystem"),
                format!("set securityContext.readOnlyRootFilesystem: true on container {name:?} and mount an emptyDir where it writes"),
            );
        }
    }
}

hardening!(
    RESOURCES,
    "hardening/resources",
    Low,
    Check::Object(resources),
    "Missing resource requests or limits",
    "set CPU and memory requests and limits"
);

fn resources(cx: &mut Cx<'_>, object: &Object<'_>) {
    let Some((_, containers)) = containers(object) else {
        return;
    };
    for Container { path, name, value } in containers {
        let missing: Vec<String> = [
            "requests/cpu",
            "requests/memory",
            "limits/cpu",
            "limits/memory",
        ]
        .into_iter()
        .filter(|key| value.pointer(&format!("/resources/{key}")).is_none())
        .map(|key| key.replace('/', "."))
        .collect();
        if !missing.is_empty() {
            let at = if value.get("resources").is_some() {
                format!("{path}.resources")
            } else {
                path.clone()
            };
            cx.report(
                object,
                &at,
                format!("container {name:?} has no {}", missing.join(", ")),
                format!(
                    "set resources.{} on container {name:?}",
                    missing.join(", resources.")
                ),
            );
        }
    }
}

hardening!(
    PROBES,
    "hardening/probes",
    Low,
    Check::Object(probes),
    "Missing liveness or readiness probe",
    "add livenessProbe and readinessProbe"
);

fn probes(cx: &mut Cx<'_>, object: &Object<'_>) {
    if matches!(object.kind(), "Job" | "CronJob") {
        return;
    }
    let Some((_, containers)) = containers(object) else {
        return;
    };
    for Container { path, name, value } in containers {
        let missing: Vec<&str> = ["livenessProbe", "readinessProbe"]
            .into_iter()
            .filter(|p| value.get(*p).is_none())
            .collect();
        if !missing.is_empty() {
            cx.report(
                object,
                &path,
                format!("container {name:?} has no {}", missing.join(" or ")),
                format!("add {} to container {name:?}", missing.join(" and ")),
            );
        }
    }
}

hardening!(
    TOKEN_AUTOMOUNT,
    "hardening/token-automount",
    Medium,
    Check::Object(token_automount),
    "Service account token mounted automatically",
    "set automountServiceAccountToken: false on the pod (and ServiceAccount); mount a projected token only where needed"
);

fn token_automount(cx: &mut Cx<'_>, object: &Object<'_>) {
    let Some(workload) = Workload::of(object) else {
        return;
    };
    let pod = workload
        .spec
        .get("automountServiceAccountToken")
        .and_then(Value::as_bool);
    if cx
        .index
        .automounts(workload.namespace(), workload.account(), pod)
    {
        let at = if pod.is_some() {
            format!("{}.automountServiceAccountToken", workload.prefix)
        } else {
            workload.prefix.to_string()
        };
        cx.report(
            object,
            &at,
            format!(
                "the token of ServiceAccount {} is mounted automatically",
                workload.account()
            ),
            format!(
                "set {}.automountServiceAccountToken: false (and on ServiceAccount {}); mount a projected token only where the app calls the API",
                workload.prefix,
                workload.account()
            ),
        );
    }
}

hardening!(
    LOW_UID,
    "hardening/low-uid",
    Low,
    Check::Object(low_uid),
    "UID below 10000",
    "run as a UID of 10000 or more, so it cannot collide with a host user"
);

fn low_uid(cx: &mut Cx<'_>, object: &Object<'_>) {
    let Some((workload, containers)) = containers(object) else {
        return;
    };
    for Container { path, name, value } in containers {
        let (at, uid) = match value.pointer("/securityContext/runAsUser") {
            Some(uid) => (format!("{path}.securityContext.runAsUser"), uid),
            None => match workload.spec.pointer("/securityContext/runAsUser") {
                Some(uid) => (
                    format!("{}.securityContext.runAsUser", workload.prefix),
                    uid,
                ),
                None => continue,
            },
        };
        if let Some(uid) = uid.as_u64().filter(|u| *u > 0 && *u < 10000) {
            cx.report(
                object,
                &at,
                format!("container {name:?} runs as UID {uid}"),
                format!("set runAsUser to 10000 or more for container {name:?} (and make its image run as that user)"),
            );
        }
    }
}

hardening!(
    NO_SERVICE,
    "hardening/no-service",
    Low,
    Check::Object(no_service),
    "Workload ports without a Service",
    "add a Service selecting the workload's pods for its container ports"
);

fn no_service(cx: &mut Cx<'_>, object: &Object<'_>) {
    if !matches!(object.kind(), "Deployment" | "StatefulSet" | "DaemonSet") {
        return;
    }
    let Some((workload, containers)) = containers(object) else {
        return;
    };
    let has_ports = containers.iter().any(|c| {
        c.value
            .get("ports")
            .and_then(Value::as_array)
            .is_some_and(|p| !p.is_empty())
    });
    let namespace = workload.namespace();
    let services = cx.index.services.get(namespace).into_iter().flatten();
    let served = services.into_iter().any(|selector| {
        !selector.is_empty()
            && selector
                .iter()
                .all(|(k, v)| workload.labels.get(k) == Some(v))
    });
    if has_ports && !served {
        cx.report(
            object,
            "metadata.name",
            "container ports are declared but no Service selects the pods".into(),
            format!(
                "add a Service in namespace {namespace} selecting the pods of {} for their container ports (or remove the ports)",
                object.resource()
            ),
        );
    }
}

hardening!(
    DISRUPTION_BUDGET_BLOCKS_EVICTION,
    "hardening/disruption-budget-blocks-eviction",
    Medium,
    Check::Object(disruption_budget_blocks_eviction),
    "A PodDisruptionBudget allows no voluntary eviction",
    "let one pod go at a time: maxUnavailable: 1 (or minAvailable below the replicas)"
);

/// A budget that allows no eviction makes `kubectl drain` wait forever, so
/// nodes are not patched or upgraded until someone deletes the pods by hand.
/// policy/v1 semantics (k8s.io/api policy/v1 types.go, PodDisruptionBudgetSpec):
/// an eviction is allowed if at most `maxUnavailable` selected pods are
/// unavailable after it ("you can prevent all voluntary evictions by
/// specifying 0"), or if at least `minAvailable` are still available after
/// it ("by specifying 100%"); so `minAvailable` equal to the replicas of
/// the pods it selects blocks too. A null selector matches no pods, `{}`
/// every pod of the namespace (same file, `selector`).
fn disruption_budget_blocks_eviction(cx: &mut Cx<'_>, object: &Object<'_>) {
    if object.kind() != "PodDisruptionBudget" {
        return;
    }
    let spec = object.document.get("spec");
    let field = |name: &str| spec.and_then(|s| s.get(name));
    let zero = |v: &Value| v.as_u64() == Some(0) || v.as_str() == Some("0%");
    if let Some(max) = field("maxUnavailable").filter(|v| zero(v)) {
        cx.report(
            object,
            "spec.maxUnavailable",
            format!("maxUnavailable {max} allows no voluntary eviction of the pods it selects: a node drain or cluster upgrade waits on them forever"),
            "set maxUnavailable: 1".into(),
        );
        return;
    }
    let Some(min) = field("minAvailable") else {
        return;
    };
    if min.as_str() == Some("100%") {
        cx.report(
            object,
            "spec.minAvailable",
            "minAvailable 100% allows no voluntary eviction of the pods it selects: a node drain or cluster upgrade waits on them forever".into(),
            "set maxUnavailable: 1 instead".into(),
        );
        return;
    }
    let (Some(min), Some(selector)) = (min.as_u64(), field("selector").filter(|s| !s.is_null()))
    else {
        return;
    };
    let Ok(selector) = crate::netpol::Selector::parse(selector) else {
        return;
    };
    let namespace = object.namespace().unwrap_or("default");
    let blocked: Vec<(String, u64)> = cx
        .index
        .workloads
        .iter()
        .filter(|w| w.namespace == namespace && selector.matches(&w.labels))
        .filter_map(|w| {
            w.replicas
                .filter(|r| min >= *r)
                .map(|r| (w.anchor.resource.clone(), r))
        })
        .collect();
    for (workload, replicas) in blocked {
        cx.report(
            object,
            "spec.minAvailable",
            format!("minAvailable {min} is not below the {replicas} replica(s) of {workload}: no voluntary eviction is allowed, so a node drain or cluster upgrade waits on its pods forever"),
            format!("set minAvailable below {replicas}, or maxUnavailable: 1"),
        );
    }
}
