//! The Pod Security Standards, baseline and restricted, as the Kubernetes
//! Pod Security admission controller applies them, for a chosen version.
//!
//! Each check has the version from which it (or a revision of it) applies;
//! at version 1.N a check uses its newest revision not newer than 1.N, the
//! way `k8s.io/pod-security-admission/policy` selects them. Agreement with
//! the official admission fixtures is tested for every level and version
//! (`pss_fixtures.rs`, run by the integration test
//! `audit::pod_security_agrees_with_every_official_fixture`).

pub use super::level::{Level, Version};
use super::rule::{Check as RuleCheck, Family, Rule, Severity};
use crate::objects::value::At;
use crate::objects::value::string_list;
use crate::objects::{Container, PodTemplate};
use serde_json::Value;

/// One failed check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The admission controller's check id, e.g. `runAsNonRoot`.
    pub check: &'static str,
    /// Its audit rule.
    pub rule: &'static Rule,
    pub level: Level,
    pub detail: String,
    /// Path of the offending field inside the pod spec, for locations.
    pub path: String,
}

/// A pod (or pod template): its metadata annotations and spec.
pub struct Pod<'a> {
    pub annotations: Option<&'a Value>,
    pub spec: &'a Value,
}

impl Pod<'_> {
    /// Every container (init, regular, ephemeral) from the one walker,
    /// with paths inside the pod spec (`initContainers[1]`).
    fn containers(&self) -> Vec<Container<'_>> {
        PodTemplate::bare(self.spec).containers()
    }

    fn pod_context(&self, key: &str) -> Option<&Value> {
        self.spec.get("securityContext").and_then(|c| c.get(key))
    }

    fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations
            .and_then(|a| a.get(key))
            .and_then(Value::as_str)
    }

    fn is_windows(&self) -> bool {
        self.spec.at("/os/name").and_then(Value::as_str) == Some("windows")
    }

    /// Pods in their own user namespace (`hostUsers: false`) get relaxed
    /// checks in newer versions.
    fn host_users_false(&self) -> bool {
        self.spec.get("hostUsers").and_then(Value::as_bool) == Some(false)
    }
}

fn context<'a>(container: &'a Value, key: &str) -> Option<&'a Value> {
    container.get("securityContext").and_then(|c| c.get(key))
}

type CheckFn = fn(&Pod<'_>, Version) -> Option<(String, String)>;

struct Check {
    id: &'static str,
    /// The audit rule (`pss/<id>`): what the check requires, and its fix,
    /// where `{target}` names the offending containers, volumes or pod.
    rule: &'static Rule,
    level: Level,
    since: Version,
    run: CheckFn,
}

const CHECKS: &[Check] = &[
    Check {
        id: "hostNamespaces",
        rule: &Rule {
            id: "pss/hostNamespaces",
            family: Family::Pss,
            severity: Severity::Critical,
            control: Some(6),
            title: "Pods must not share the host's network, PID or IPC namespace",
            fix: "set hostNetwork, hostPID and hostIPC to false (or remove them) in {target}",
            check: RuleCheck::Driver,
        },
        level: Level::Baseline,
        since: Version(0),
        run: host_namespaces,
    },
    Check {
        id: "privileged",
        rule: &Rule {
            id: "pss/privileged",
            family: Family::Pss,
            severity: Severity::Critical,
            control: Some(6),
            title: "Containers must not be privileged",
            fix: "set securityContext.privileged: false (or remove it) on {target}",
            check: RuleCheck::Driver,
        },
        level: Level::Baseline,
        since: Version(0),
        run: privileged,
    },
    Check {
        id: "capabilities_baseline",
        rule: &Rule {
            id: "pss/capabilities_baseline",
            family: Family::Pss,
            severity: Severity::Critical,
            control: Some(6),
            title: "Containers must not add capabilities beyond the baseline set",
            fix: "remove the capabilities outside the baseline set from securityContext.capabilities.add on {target}",
            check: RuleCheck::Driver,
        },
        level: Level::Baseline,
        since: Version(0),
        run: capabilities_baseline,
    },
    Check {
        id: "hostPathVolumes",
        rule: &Rule {
            id: "pss/hostPathVolumes",
            family: Family::Pss,
            severity: Severity::Critical,
            control: Some(6),
            title: "Pods must not mount hostPath volumes",
            fix: "replace {target} with an emptyDir, configMap, secret or persistentVolumeClaim volume",
            check: RuleCheck::Driver,
        },
        level: Level::Baseline,
        since: Version(0),
        run: host_path_volumes,
    },
    Check {
        id: "hostPorts",
        rule: &Rule {
            id: "pss/hostPorts",
            family: Family::Pss,
            severity: Severity::Critical,
            control: Some(6),
            title: "Containers must not bind host ports",
            fix: "remove hostPort from the ports of {target} (a Service exposes the port)",
            check: RuleCheck::Driver,
        },
        level: Level::Baseline,
        since: Version(0),
        run: host_ports,
    },
    Check {
        id: "appArmorProfile",
        rule: &Rule {
            id: "pss/appArmorProfile",
            family: Family::Pss,
            severity: Severity::Critical,
            control: Some(6),
            title: "AppArmor must not be Unconfined",
            fix: "set the AppArmor profile to RuntimeDefault (or remove Unconfined) on {target}",
            check: RuleCheck::Driver,
        },
        level: Level::Baseline,
        since: Version(0),
        run: app_armor,
    },
    Check {
        id: "seLinuxOptions",
        rule: &Rule {
            id: "pss/seLinuxOptions",
            family: Family::Pss,
            severity: Severity::Critical,
            control: Some(6),
            title: "SELinux options must be limited to the allowed types, no user or role",
            fix: "remove seLinuxOptions.user and .role and use an allowed type (container_t, container_init_t, container_kvm_t, container_engine_t) on {target}",
            check: RuleCheck::Driver,
        },
        level: Level::Baseline,
        since: Version(0),
        run: selinux_options,
    },
    Check {
        id: "procMount",
        rule: &Rule {
            id: "pss/procMount",
            family: Family::Pss,
            severity: Severity::Critical,
            control: Some(6),
            title: "Containers must use the default /proc mask",
            fix: "remove securityContext.procMount (or set it to Default) on {target}",
            check: RuleCheck::Driver,
        },
        level: Level::Baseline,
        since: Version(0),
        run: proc_mount_baseline,
    },
    Check {
        id: "seccompProfile_baseline",
        rule: &Rule {
            id: "pss/seccompProfile_baseline",
            family: Family::Pss,
            severity: Severity::Critical,
            control: Some(6),
            title: "Seccomp must not be Unconfined",
            fix: "set securityContext.seccompProfile.type: RuntimeDefault instead of Unconfined on {target}",
            check: RuleCheck::Driver,
        },
        level: Level::Baseline,
        since: Version(0),
        run: seccomp_baseline,
    },
    Check {
        id: "sysctls",
        rule: &Rule {
            id: "pss/sysctls",
            family: Family::Pss,
            severity: Severity::Critical,
            control: Some(6),
            title: "Only safe sysctls may be set",
            fix: "remove the unsafe sysctls from securityContext.sysctls in {target}",
            check: RuleCheck::Driver,
        },
        level: Level::Baseline,
        since: Version(0),
        run: sysctls,
    },
    Check {
        id: "windowsHostProcess",
        rule: &Rule {
            id: "pss/windowsHostProcess",
            family: Family::Pss,
            severity: Severity::Critical,
            control: Some(6),
            title: "Windows pods must not run as host processes",
            fix: "set securityContext.windowsOptions.hostProcess: false (or remove it) on {target}",
            check: RuleCheck::Driver,
        },
        level: Level::Baseline,
        since: Version(0),
        run: windows_host_process,
    },
    Check {
        id: "hostProbesAndHostLifecycle",
        rule: &Rule {
            id: "pss/hostProbesAndHostLifecycle",
            family: Family::Pss,
            severity: Severity::Critical,
            control: Some(6),
            title: "Probes and lifecycle handlers must not set a host",
            fix: "remove the host field from the probes and lifecycle handlers of {target}",
            check: RuleCheck::Driver,
        },
        level: Level::Baseline,
        since: Version(34),
        run: host_probes,
    },
    Check {
        id: "allowPrivilegeEscalation",
        rule: &Rule {
            id: "pss/allowPrivilegeEscalation",
            family: Family::Pss,
            severity: Severity::High,
            control: Some(6),
            title: "Containers must set allowPrivilegeEscalation: false",
            fix: "set securityContext.allowPrivilegeEscalation: false on {target}",
            check: RuleCheck::Driver,
        },
        level: Level::Restricted,
        since: Version(8),
        run: allow_privilege_escalation,
    },
    Check {
        id: "capabilities_restricted",
        rule: &Rule {
            id: "pss/capabilities_restricted",
            family: Family::Pss,
            severity: Severity::High,
            control: Some(6),
            title: "Containers must drop ALL capabilities (add at most NET_BIND_SERVICE)",
            fix: "set securityContext.capabilities.drop: [\"ALL\"] (add at most NET_BIND_SERVICE) on {target}",
            check: RuleCheck::Driver,
        },
        level: Level::Restricted,
        since: Version(22),
        run: capabilities_restricted,
    },
    Check {
        id: "runAsNonRoot",
        rule: &Rule {
            id: "pss/runAsNonRoot",
            family: Family::Pss,
            severity: Severity::High,
            control: Some(6),
            title: "Containers must run as non-root (runAsNonRoot: true)",
            fix: "set securityContext.runAsNonRoot: true on {target} (in the pod securityContext it covers every container)",
            check: RuleCheck::Driver,
        },
        level: Level::Restricted,
        since: Version(0),
        run: run_as_non_root,
    },
    Check {
        id: "runAsUser",
        rule: &Rule {
            id: "pss/runAsUser",
            family: Family::Pss,
            severity: Severity::High,
            control: Some(6),
            title: "Containers must not run as UID 0",
            fix: "set securityContext.runAsUser to a non-zero UID (10000 or more) on {target}",
            check: RuleCheck::Driver,
        },
        level: Level::Restricted,
        since: Version(23),
        run: run_as_user,
    },
    Check {
        id: "seccompProfile_restricted",
        rule: &Rule {
            id: "pss/seccompProfile_restricted",
            family: Family::Pss,
            severity: Severity::High,
            control: Some(6),
            title: "Seccomp must be RuntimeDefault or Localhost",
            fix: "set securityContext.seccompProfile.type: RuntimeDefault on {target} (in the pod securityContext it covers every container)",
            check: RuleCheck::Driver,
        },
        level: Level::Restricted,
        since: Version(19),
        run: seccomp_restricted,
    },
    Check {
        id: "restrictedVolumes",
        rule: &Rule {
            id: "pss/restrictedVolumes",
            family: Family::Pss,
            severity: Severity::High,
            control: Some(6),
            title: "Only configMap, csi, downwardAPI, emptyDir, ephemeral, image, PVC, projected and secret volumes",
            fix: "replace {target} with a configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected or secret volume",
            check: RuleCheck::Driver,
        },
        level: Level::Restricted,
        since: Version(0),
        run: restricted_volumes,
    },
    Check {
        id: "procMount_restricted",
        rule: &Rule {
            id: "pss/procMount_restricted",
            family: Family::Pss,
            severity: Severity::High,
            control: Some(6),
            title: "Containers must use the default /proc mask (restricted)",
            fix: "remove securityContext.procMount (or set it to Default) on {target}",
            check: RuleCheck::Driver,
        },
        level: Level::Restricted,
        since: Version(35),
        run: proc_mount_restricted,
    },
];

/// Evaluates a pod against `level` at `version`; empty means admitted.
pub fn evaluate(pod: &Pod<'_>, level: Level, version: Version) -> Vec<Violation> {
    CHECKS
        .iter()
        .filter(|check| check.level <= level && check.since <= version)
        .filter_map(|check| {
            (check.run)(pod, version).map(|(path, detail)| Violation {
                check: check.id,
                rule: check.rule,
                level: check.level,
                detail,
                path,
            })
        })
        .collect()
}

/// Every check's audit rule. Baseline violations are critical (the pod is
/// dangerous anywhere), restricted-only ones high.
pub fn rules() -> impl Iterator<Item = &'static Rule> {
    CHECKS.iter().map(|c| c.rule)
}

fn names(list: &[String]) -> String {
    list.iter()
        .map(|n| format!("{n:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs `bad` on each container and reports the first offending path and
/// every offending container by name.
fn per_container(
    pod: &Pod<'_>,
    field: &str,
    message: &str,
    bad: impl Fn(&Value) -> bool,
) -> Option<(String, String)> {
    let offenders: Vec<Container<'_>> = pod
        .containers()
        .into_iter()
        .filter(|c| bad(c.value))
        .collect();
    let first = offenders.first()?;
    let path = format!("{}{field}", first.path);
    let list: Vec<String> = offenders.iter().map(|c| c.name.to_string()).collect();
    Some((
        path,
        format!(
            "container{} {} {message}",
            if list.len() == 1 { "" } else { "s" },
            names(&list)
        ),
    ))
}

/// Checks a securityContext field on the pod, then on every container.
fn pod_then_containers(
    pod: &Pod<'_>,
    key: &str,
    requirement: &str,
    bad: impl Fn(Option<&Value>) -> bool,
) -> Option<(String, String)> {
    if bad(pod.pod_context(key)) {
        return Some((
            format!("securityContext.{key}"),
            format!("pod {requirement}"),
        ));
    }
    per_container(pod, &format!(".securityContext.{key}"), requirement, |c| {
        bad(context(c, key))
    })
}

fn host_namespaces(pod: &Pod<'_>, _: Version) -> Option<(String, String)> {
    let set: Vec<&str> = ["hostNetwork", "hostPID", "hostIPC"]
        .into_iter()
        .filter(|key| pod.spec.get(*key).and_then(Value::as_bool) == Some(true))
        .collect();
    let first = set.first()?;
    Some((first.to_string(), format!("{}=true", set.join("=true, "))))
}

fn privileged(pod: &Pod<'_>, _: Version) -> Option<(String, String)> {
    per_container(
        pod,
        ".securityContext.privileged",
        "must not set securityContext.privileged=true",
        |c| context(c, "privileged").and_then(Value::as_bool) == Some(true),
    )
}

const BASELINE_CAPABILITIES: [&str; 13] = [
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

fn capabilities_baseline(pod: &Pod<'_>, _: Version) -> Option<(String, String)> {
    per_container(
        pod,
        ".securityContext.capabilities.add",
        "must not add capabilities beyond the baseline set",
        |c| {
            string_list(c.at("/securityContext/capabilities/add"))
                .iter()
                .any(|cap| !BASELINE_CAPABILITIES.contains(&cap.as_str()))
        },
    )
}

fn volumes<'a>(pod: &'a Pod<'a>) -> Vec<(usize, &'a Value)> {
    pod.spec
        .get("volumes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .collect()
}

/// Runs `bad` on each volume and reports the first offending path and every
/// offending volume by name: "{what} {names}{tail}".
fn per_volume(
    pod: &Pod<'_>,
    field: &str,
    what: &str,
    tail: &str,
    bad: impl Fn(&Value) -> bool,
) -> Option<(String, String)> {
    let offenders: Vec<(usize, &Value)> =
        volumes(pod).into_iter().filter(|(_, v)| bad(v)).collect();
    let (index, _) = offenders.first()?;
    let list: Vec<String> = offenders
        .iter()
        .map(|(_, v)| {
            v.get("name")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_string()
        })
        .collect();
    Some((
        format!("volumes[{index}]{field}"),
        format!("{what} {}{tail}", names(&list)),
    ))
}

fn host_path_volumes(pod: &Pod<'_>, _: Version) -> Option<(String, String)> {
    per_volume(pod, ".hostPath", "hostPath volumes", "", |v| {
        v.get("hostPath").is_some()
    })
}

fn host_ports(pod: &Pod<'_>, _: Version) -> Option<(String, String)> {
    per_container(pod, ".ports", "must not set hostPort", |c| {
        c.get("ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .any(|p| p.get("hostPort").and_then(Value::as_i64).unwrap_or(0) != 0)
    })
}

fn app_armor(pod: &Pod<'_>, version: Version) -> Option<(String, String)> {
    let allowed_annotation = |value: &str| {
        value.is_empty() || value == "runtime/default" || value.starts_with("localhost/")
    };
    if let Some(annotations) = pod.annotations.and_then(Value::as_object) {
        for (key, value) in annotations {
            if key.starts_with("container.apparmor.security.beta.kubernetes.io/")
                && !allowed_annotation(value.as_str().unwrap_or_default())
            {
                return Some((
                    "metadata.annotations".into(),
                    format!("forbidden AppArmor annotation {key}={value}"),
                ));
            }
        }
    }
    if version >= Version(30) {
        let allowed_type = |v: Option<&Value>| {
            v.and_then(|p| p.get("type"))
                .and_then(Value::as_str)
                .is_none_or(|t| t == "RuntimeDefault" || t == "Localhost")
        };
        return pod_then_containers(
            pod,
            "appArmorProfile",
            "must not set appArmorProfile.type to Unconfined",
            |v| !allowed_type(v),
        );
    }
    None
}

fn selinux_options(pod: &Pod<'_>, version: Version) -> Option<(String, String)> {
    let mut allowed_types = vec!["", "container_t", "container_init_t", "container_kvm_t"];
    if version >= Version(31) {
        allowed_types.push("container_engine_t");
    }
    let bad = |options: Option<&Value>| {
        options.is_some_and(|o| {
            let field = |k: &str| o.get(k).and_then(Value::as_str).unwrap_or_default();
            !allowed_types.contains(&field("type"))
                || !field("user").is_empty()
                || !field("role").is_empty()
        })
    };
    pod_then_containers(
        pod,
        "seLinuxOptions",
        "must not set forbidden seLinuxOptions",
        bad,
    )
}

fn proc_mount_bad(c: &Value) -> bool {
    context(c, "procMount")
        .and_then(Value::as_str)
        .is_some_and(|m| m != "Default")
}

fn proc_mount_baseline(pod: &Pod<'_>, version: Version) -> Option<(String, String)> {
    if version >= Version(35) && pod.host_users_false() {
        return None;
    }
    per_container(
        pod,
        ".securityContext.procMount",
        "must not set securityContext.procMount to a non-default value",
        proc_mount_bad,
    )
}

fn proc_mount_restricted(pod: &Pod<'_>, _: Version) -> Option<(String, String)> {
    per_container(
        pod,
        ".securityContext.procMount",
        "must not set securityContext.procMount to a non-default value",
        proc_mount_bad,
    )
}

fn seccomp_baseline(pod: &Pod<'_>, version: Version) -> Option<(String, String)> {
    if pod.annotation("seccomp.security.alpha.kubernetes.io/pod") == Some("unconfined") {
        return Some((
            "metadata.annotations".into(),
            "forbidden seccomp annotation: unconfined".into(),
        ));
    }
    if let Some(annotations) = pod.annotations.and_then(Value::as_object) {
        for (key, value) in annotations {
            if key.starts_with("container.seccomp.security.alpha.kubernetes.io/")
                && value.as_str() == Some("unconfined")
            {
                return Some((
                    "metadata.annotations".into(),
                    format!("forbidden seccomp annotation {key}=unconfined"),
                ));
            }
        }
    }
    if version < Version(19) {
        return None;
    }
    let unconfined = |profile: Option<&Value>| {
        profile.and_then(|p| p.get("type")).and_then(Value::as_str) == Some("Unconfined")
    };
    pod_then_containers(
        pod,
        "seccompProfile",
        "must not set seccompProfile.type to Unconfined",
        unconfined,
    )
}

fn sysctls(pod: &Pod<'_>, version: Version) -> Option<(String, String)> {
    let mut allowed = vec![
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_unprivileged_port_start",
    ];
    if version >= Version(27) {
        allowed.push("net.ipv4.ip_local_reserved_ports");
    }
    if version >= Version(29) {
        allowed.extend([
            "net.ipv4.tcp_keepalive_time",
            "net.ipv4.tcp_fin_timeout",
            "net.ipv4.tcp_keepalive_intvl",
            "net.ipv4.tcp_keepalive_probes",
        ]);
    }
    if version >= Version(32) {
        allowed.extend(["net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"]);
    }
    if version >= Version(37) {
        allowed.extend([
            "net.ipv4.tcp_slow_start_after_idle",
            "net.ipv4.tcp_notsent_lowat",
        ]);
    }
    let bad: Vec<String> = pod
        .pod_context("sysctls")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| s.get("name").and_then(Value::as_str))
        .filter(|name| !allowed.contains(name))
        .map(str::to_string)
        .collect();
    if bad.is_empty() {
        None
    } else {
        Some((
            "securityContext.sysctls".into(),
            format!("forbidden sysctls {}", names(&bad)),
        ))
    }
}

fn windows_host_process(pod: &Pod<'_>, _: Version) -> Option<(String, String)> {
    let host_process = |options: Option<&Value>| {
        options
            .and_then(|o| o.get("hostProcess"))
            .and_then(Value::as_bool)
            == Some(true)
    };
    pod_then_containers(
        pod,
        "windowsOptions",
        "must not set windowsOptions.hostProcess=true",
        host_process,
    )
}

fn host_probes(pod: &Pod<'_>, _: Version) -> Option<(String, String)> {
    let has_host = |handler: Option<&Value>| {
        handler.is_some_and(|h| {
            ["httpGet", "tcpSocket"].iter().any(|kind| {
                h.get(*kind)
                    .and_then(|k| k.get("host"))
                    .and_then(Value::as_str)
                    .is_some_and(|host| !host.is_empty())
            })
        })
    };
    per_container(
        pod,
        "",
        "must not set host in probes or lifecycle handlers",
        |c| {
            ["livenessProbe", "readinessProbe", "startupProbe"]
                .iter()
                .any(|p| has_host(c.get(*p)))
                || ["postStart", "preStop"]
                    .iter()
                    .any(|h| has_host(c.get("lifecycle").and_then(|l| l.get(*h))))
        },
    )
}

fn allow_privilege_escalation(pod: &Pod<'_>, version: Version) -> Option<(String, String)> {
    if version >= Version(25) && pod.is_windows() {
        return None;
    }
    per_container(
        pod,
        ".securityContext.allowPrivilegeEscalation",
        "must set securityContext.allowPrivilegeEscalation=false",
        |c| context(c, "allowPrivilegeEscalation").and_then(Value::as_bool) != Some(false),
    )
}

fn capabilities_restricted(pod: &Pod<'_>, version: Version) -> Option<(String, String)> {
    if version >= Version(25) && pod.is_windows() {
        return None;
    }
    let drops = |c: &Value| string_list(c.at("/securityContext/capabilities/drop"));
    let (path, mut message) = per_container(
        pod,
        ".securityContext.capabilities",
        "must drop ALL capabilities and add at most NET_BIND_SERVICE",
        |c| {
            let adds = string_list(c.at("/securityContext/capabilities/add"));
            !drops(c).iter().any(|d| d == "ALL") || adds.iter().any(|a| a != "NET_BIND_SERVICE")
        },
    )?;
    // The admission check compares the names exactly
    // (kubernetes/kubernetes staging/src/k8s.io/pod-security-admission/
    // policy/check_capabilities_restricted.go, capabilitiesRestricted_1_22:
    // `if c == capabilityAll`, "ALL"), so `all` drops nothing there; say
    // so, or the finding reads as wrong.
    let spelled: Vec<String> = pod
        .containers()
        .iter()
        .map(|c| drops(c.value))
        .filter(|drops| !drops.iter().any(|d| d == "ALL"))
        .flatten()
        .filter(|d| d.eq_ignore_ascii_case("all"))
        .collect();
    if let Some(written) = spelled.first() {
        message.push_str(&format!(
            " (drop lists {written:?}: capability names are compared exactly, and only \"ALL\" in capitals drops them all)"
        ));
    }
    Some((path, message))
}

fn run_as_non_root(pod: &Pod<'_>, _: Version) -> Option<(String, String)> {
    let pod_value = pod.pod_context("runAsNonRoot").and_then(Value::as_bool);
    if pod_value == Some(false) {
        return Some((
            "securityContext.runAsNonRoot".into(),
            "pod must not set securityContext.runAsNonRoot=false".into(),
        ));
    }
    let explicit_false = per_container(
        pod,
        ".securityContext.runAsNonRoot",
        "must not set securityContext.runAsNonRoot=false",
        |c| context(c, "runAsNonRoot").and_then(Value::as_bool) == Some(false),
    );
    if explicit_false.is_some() {
        return explicit_false;
    }
    if pod_value == Some(true) {
        return None;
    }
    per_container(
        pod,
        ".securityContext.runAsNonRoot",
        "must set securityContext.runAsNonRoot=true (or the pod must)",
        |c| context(c, "runAsNonRoot").and_then(Value::as_bool) != Some(true),
    )
}

fn run_as_user(pod: &Pod<'_>, _: Version) -> Option<(String, String)> {
    if pod.pod_context("runAsUser").and_then(Value::as_i64) == Some(0) {
        return Some((
            "securityContext.runAsUser".into(),
            "pod must not set runAsUser=0".into(),
        ));
    }
    per_container(
        pod,
        ".securityContext.runAsUser",
        "must not set runAsUser=0",
        |c| context(c, "runAsUser").and_then(Value::as_i64) == Some(0),
    )
}

fn seccomp_restricted(pod: &Pod<'_>, version: Version) -> Option<(String, String)> {
    if version >= Version(25) && pod.is_windows() {
        return None;
    }
    let kind = |profile: Option<&Value>| {
        profile
            .and_then(|p| p.get("type"))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let allowed = |t: &Option<String>| matches!(t.as_deref(), Some("RuntimeDefault" | "Localhost"));
    let pod_type = kind(pod.pod_context("seccompProfile"));
    if pod_type.is_some() && !allowed(&pod_type) {
        return Some((
            "securityContext.seccompProfile.type".into(),
            "pod must set seccompProfile.type to RuntimeDefault or Localhost".into(),
        ));
    }
    per_container(
        pod,
        ".securityContext.seccompProfile.type",
        "must set seccompProfile.type to RuntimeDefault or Localhost",
        |c| {
            let own = kind(context(c, "seccompProfile"));
            match own {
                Some(_) => !allowed(&own),
                None => !allowed(&pod_type),
            }
        },
    )
}

fn restricted_volumes(pod: &Pod<'_>, version: Version) -> Option<(String, String)> {
    let mut allowed = vec![
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "persistentVolumeClaim",
        "projected",
        "secret",
    ];
    if version >= Version(33) {
        allowed.push("image");
    }
    per_volume(pod, "", "volumes", " have restricted types", |volume| {
        let sources: Vec<&String> = volume
            .as_object()
            .map(|o| o.keys().filter(|k| *k != "name").collect())
            .unwrap_or_default();
        // A volume with no source is defaulted to emptyDir by the API server.
        !sources.is_empty() && !sources.iter().any(|s| allowed.contains(&s.as_str()))
    })
}
