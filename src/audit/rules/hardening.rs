//! Further hardening beyond the ten controls: one function per rule, each
//! declared beside its metadata.

use serde_json::Value;

use crate::audit::rule::{Check, Cx, Family, Rule, Severity, Workload, WorkloadInfo};
use crate::objects::value::At;
use crate::objects::{Container, ContainerKind, Object};

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

/// Every list of containers.
const ALL: &[ContainerKind] = &[
    ContainerKind::Init,
    ContainerKind::Regular,
    ContainerKind::Ephemeral,
];
/// The containers that may set resources: an ephemeral container may not
/// (kubernetes/api `core/v1/types.go`, EphemeralContainerCommon.Resources:
/// "Resources are not allowed for ephemeral containers").
const SIZED: &[ContainerKind] = &[ContainerKind::Init, ContainerKind::Regular];
/// The containers that serve for the pod's life (probes, ports).
const REGULAR: &[ContainerKind] = &[ContainerKind::Regular];

/// The workload's containers of the given lists.
fn containers<'a>(
    object: &'a Object<'a>,
    kinds: &[ContainerKind],
) -> Option<(Workload<'a>, Vec<Container<'a>>)> {
    let workload = Workload::of(object)?;
    let containers = workload.containers_of(kinds);
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
    let Some((_, containers)) = containers(object, ALL) else {
        return;
    };
    for Container {
        path,
        name,
        value,
        kind,
    } in containers
    {
        let setting = value.at("/securityContext/readOnlyRootFilesystem");
        if setting.and_then(Value::as_bool) != Some(true) {
            let at = if setting.is_some() {
                format!("{path}.securityContext.readOnlyRootFilesystem")
            } else {
                path.clone()
            };
            cx.report(
                object,
                &at,
                format!("{} {name:?} can write to its root filesystem", kind.noun()),
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
    let Some((_, containers)) = containers(object, SIZED) else {
        return;
    };
    for Container {
        path,
        name,
        value,
        kind,
    } in containers
    {
        let missing: Vec<String> = [
            "requests/cpu",
            "requests/memory",
            "limits/cpu",
            "limits/memory",
        ]
        .into_iter()
        .filter(|key| {
            let set = |key: &str| value.at(&format!("/resources/{key}")).is_some();
            // A request left out where the limit is set is the limit: the
            // API server copies limits into missing requests of containers
            // and init containers (kubernetes/kubernetes
            // pkg/apis/core/v1/defaults.go, SetDefaults_Pod: "If limits are
            // specified, but requests are not, default requests to limits").
            !set(key)
                && !key
                    .strip_prefix("requests/")
                    .is_some_and(|r| set(&format!("limits/{r}")))
        })
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
                format!("{} {name:?} has no {}", kind.noun(), missing.join(", ")),
                format!(
                    "set resources.{} on {} {name:?}",
                    missing.join(", resources."),
                    kind.noun()
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
    let Some((_, containers)) = containers(object, REGULAR) else {
        return;
    };
    for Container {
        path,
        name,
        value,
        kind,
    } in containers
    {
        let missing: Vec<&str> = ["livenessProbe", "readinessProbe"]
            .into_iter()
            .filter(|p| value.get(*p).is_none())
            .collect();
        if !missing.is_empty() {
            cx.report(
                object,
                &path,
                format!("{} {name:?} has no {}", kind.noun(), missing.join(" or ")),
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
    let Some((workload, containers)) = containers(object, ALL) else {
        return;
    };
    for Container {
        path,
        name,
        value,
        kind,
    } in containers
    {
        let (at, uid) = match value.at("/securityContext/runAsUser") {
            Some(uid) => (format!("{path}.securityContext.runAsUser"), uid),
            None => match workload.spec.at("/securityContext/runAsUser") {
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
                format!("{} {name:?} runs as UID {uid}", kind.noun()),
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
    let Some((workload, containers)) = containers(object, REGULAR) else {
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
/// "If you set maxUnavailable to 0% or 0, or you set minAvailable to 100% or
/// the number of replicas, you are requiring zero voluntary evictions"
/// (kubernetes/website, docs/tasks/run-application/configure-pdb.md).
/// `minAvailable` counts every pod the selector picks, and a percentage is
/// rounded up (same page; pkg/controller/disruption/disruption.go). A null
/// selector picks no pod and `{}` every pod of the namespace (k8s.io/api
/// policy/v1 types.go, PodDisruptionBudgetSpec.selector); policy/v1beta1,
/// whose `{}` picked nothing, is not judged. Replicas are counted only where
/// every workload picked says how many it runs.
fn disruption_budget_blocks_eviction(cx: &mut Cx<'_>, object: &Object<'_>) {
    if object.kind() != "PodDisruptionBudget"
        || object.document.get("apiVersion").and_then(Value::as_str) != Some("policy/v1")
    {
        return;
    }
    let spec = object.document.get("spec");
    let field = |name: &str| spec.and_then(|s| s.get(name)).filter(|v| !v.is_null());
    let Some(selector) = field("selector") else {
        return;
    };
    if let Some(max) =
        field("maxUnavailable").filter(|v| int_or_percent(v).is_some_and(|(n, _)| n == 0))
    {
        cx.report(
            object,
            "spec.maxUnavailable",
            format!(
                "maxUnavailable {} allows no voluntary eviction of the pods it selects: a node drain or cluster upgrade waits on them forever",
                shown_value(max)
            ),
            "set maxUnavailable: 1".into(),
        );
        return;
    }
    let Some((min, percent)) = field("minAvailable").and_then(int_or_percent) else {
        return;
    };
    if percent && min >= 100 {
        cx.report(
            object,
            "spec.minAvailable",
            format!("minAvailable {min}% allows no voluntary eviction of the pods it selects: a node drain or cluster upgrade waits on them forever"),
            "set maxUnavailable: 1 instead".into(),
        );
        return;
    }
    let Ok(selector) = crate::netpol::Selector::parse(selector) else {
        return;
    };
    let namespace = object.namespace().unwrap_or("default");
    let picked: Vec<&WorkloadInfo> = cx
        .index
        .workloads
        .iter()
        .filter(|w| !w.owned && w.namespace == namespace && selector.matches(&w.labels))
        .collect();
    let Some(total) = picked.iter().map(|w| w.replicas).sum::<Option<u64>>() else {
        return;
    };
    let desired = if percent {
        (min * total).div_ceil(100)
    } else {
        min
    };
    if total == 0 || desired < total {
        return;
    }
    let names: Vec<&str> = picked.iter().map(|w| w.anchor.resource.as_str()).collect();
    let shown_min = if percent {
        format!("{min}%")
    } else {
        min.to_string()
    };
    cx.report(
        object,
        "spec.minAvailable",
        format!(
            "minAvailable {shown_min} keeps all {total} pod(s) it selects ({}): no voluntary eviction is allowed, so a node drain or cluster upgrade waits on them forever",
            names.join(", ")
        ),
        format!("set minAvailable below {total}, or maxUnavailable: 1"),
    );
}

/// An IntOrString: the number and whether it is a percentage (`"50%"`).
fn int_or_percent(value: &Value) -> Option<(u64, bool)> {
    match value {
        Value::String(text) => text
            .strip_suffix('%')
            .and_then(|n| n.parse().ok())
            .map(|n| (n, true)),
        _ => value.as_u64().map(|n| (n, false)),
    }
}

/// A value as written: a string without its JSON quotes.
fn shown_value(value: &Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_string)
}
