//! The admission guard: a ValidatingAdmissionPolicy (and its binding) per
//! concern, built from the specs of one namespace, that makes the cluster
//! refuse what the specs forbid after the manifests are applied: another
//! image, another ServiceAccount, a token the spec does not grant, a weaker
//! security context, host namespaces or paths, missing or changed Dapr
//! annotations, and RoleBindings that widen the app's access.
//!
//! The CEL is written here, in Rust, and [`objects`] builds the policies'
//! and bindings' objects and writes their file (no template). Every
//! rule's expression is fixed text; the specs' values appear only in the
//! policy's data variables (`variables.images` and the others), each written
//! as a CEL string literal by [`cel_string`], the one escaping function, so
//! no spec value can change an expression. What several rules read (the
//! containers, their security contexts, the pod's, the volumes, the app's
//! user and Dapr annotations) is a variable of its own, computed once per
//! request, so the rules stay short. The expressions use standard CEL only
//! (macros `all`, `exists`, `filter`, two-argument `map`, `has`, the `in`
//! operator, `size`, `startsWith`, `endsWith`, `matches`): none of
//! Kubernetes' extension libraries, so the tests evaluate them with the
//! `cel` crate (`tests/integration/guard_cel.rs`).
//!
//! Rollout on a namespace that already runs objects: an UPDATE is judged
//! only when it changes the pod template (or a pod's spec), so scaling,
//! relabelling and the deployment controller scaling down an old ReplicaSet
//! pass; a CREATE (every new pod, including those a controller makes) is
//! always judged. A new guard therefore starts in `warn` unless a compliance
//! context asks for `deny` ([`Mode::default_for`]).

use std::fmt::Write as _;

pub mod objects;

use crate::model::Model;
pub use crate::model::guard::{
    App, Auditors, Guard, Mode, Named, Policy, Role, Setting, Validation,
};
use crate::platform::{admission, names};

/// The prefix of every message: `harden guard rule <id>: ...`.
pub const MESSAGE_PREFIX: &str = "harden guard rule ";

/// The rules, with what each message says after its id.
pub const RULES: [(&str, &str); 15] = [
    (
        "known-app",
        "every workload in the namespace carries the label app.kubernetes.io/name of an app whose spec is rendered for it",
    ),
    (
        "images",
        "every container runs the spec's image as written (pinned by digest); a Dapr pod also its injected daprd from Dapr's release repositories; a probe pod only harden's probe images",
    ),
    (
        "service-account",
        "the pod runs as the app's own ServiceAccount",
    ),
    (
        "token",
        "no ServiceAccount token is mounted unless the spec grants API access (automountServiceAccountToken: false, no projected token but daprd's Sentry token)",
    ),
    (
        "security-context",
        "restricted security context: runAsNonRoot, RuntimeDefault seccomp, allowPrivilegeEscalation: false and capabilities drop ALL on every container",
    ),
    (
        "run-as-user",
        "the pod runs as the spec's user, and no container as another",
    ),
    (
        "read-only-root-filesystem",
        "every container has readOnlyRootFilesystem: true",
    ),
    ("privileged", "no container is privileged"),
    ("capabilities", "no container adds capabilities"),
    ("host-namespaces", "no hostNetwork, hostPID or hostIPC"),
    ("host-path", "no hostPath volume"),
    (
        "dapr-annotations",
        "the Dapr annotations harden renders are present and unchanged, and no other dapr.io annotation is set; a probe pod's sidecar runs only under a probe app-id (harden-probe-* or harden-attacker-*), never the app's or a caller's",
    ),
    (
        "dapr-sidecar",
        "a Dapr app's pod (or a probe pod asking for Dapr) arrives with the injected daprd (a pod created by hand is not injected; is the injector running?), and no pod template or other pod has a container named daprd",
    ),
    (
        "rbac-wide-role",
        "no RoleBinding to the ClusterRoles cluster-admin, admin or edit",
    ),
    (
        "rbac-service-account",
        "no RoleBinding gives an app's ServiceAccount more than its spec's Role, and the spec's Role keeps the spec's rules",
    ),
];

fn message(rule: &str) -> String {
    let text = RULES
        .iter()
        .find(|(id, _)| *id == rule)
        .map(|(_, text)| *text)
        .unwrap_or_default();
    format!("{MESSAGE_PREFIX}{rule}: {text}")
}

/// `text` as a CEL string literal (single-quoted): `\` and `'` escaped,
/// every character outside printable ASCII written as `\uXXXX` or
/// `\UXXXXXXXX`, so the literal is one line of plain ASCII and no text can
/// close it, start a comment or change the expression around it.
pub fn cel_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            ' '..='~' => out.push(c),
            c if (c as u32) <= 0xFFFF => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push('\'');
    out
}

/// A CEL list literal of strings.
fn cel_list<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let items: Vec<String> = items.into_iter().map(cel_string).collect();
    format!("[{}]", items.join(", "))
}

/// A CEL map literal from string keys to already written values.
fn cel_map(entries: impl IntoIterator<Item = (String, String)>) -> String {
    let entries: Vec<String> = entries
        .into_iter()
        .map(|(k, v)| format!("{}: {v}", cel_string(&k)))
        .collect();
    format!("{{{}}}", entries.join(", "))
}

/// The live scripts' default probe images (`PROBE_IMAGE` and `CURL_IMAGE`
/// of their header, [`crate::scripts`]): the multi-arch index digests of
/// busybox:1.36.1 and curlimages/curl:8.10.1 as several independent public
/// projects pin them (not checked against the registry from here). A pod
/// with the probe label may run only these, with everything else the guard
/// asks.
pub const PROBE_IMAGES: [&str; 2] = [
    "docker.io/library/busybox:1.36.1@sha256:73aaf090f3d85aa34ee199857f03fa3a95c8ede2ffd4cc2cdb5b94e566b11662",
    "docker.io/curlimages/curl:8.10.1@sha256:d9b4541e214bcd85196d6e92e2753ac6d0ea699f0af5741f8c6cccbfcf00ef4b",
];

/// The app-ids the live scripts give a probe's Dapr sidecar that must be
/// neither the app nor a caller (`templates/audit.body.sh`,
/// `templates/pentest.body.sh`: `run_probe ... "harden-probe-$(random_suffix)"`
/// and `"harden-attacker-$(random_suffix)"`, eight hex digits; a test holds
/// them equal). Such an app-id is in no component's `scopes` and no
/// access-control policy, so its sidecar gets nothing of the app's. A
/// probe under any other app-id is refused: whoever may create pods in the
/// namespace could otherwise take the app's Dapr identity (its secret
/// scope, its components, the calls other apps admit from it), which is
/// what the guard's `dapr-annotations` rule exists to prevent.
pub const PROBE_APP_ID_PATTERN: &str = "^harden-(probe|attacker)-[0-9a-f]{8}$";

/// The regular expression a daprd image must match: a release repository,
/// a tag and optionally a digest (the injector writes a tag; an admission
/// webhook such as sigstore's may append the digest).
fn dapr_image_pattern() -> String {
    let repositories: Vec<String> = admission::DAPR_SIDECAR_REPOSITORIES
        .iter()
        .map(|r| r.replace('.', "\\."))
        .collect();
    format!(
        "^({})(:[A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}})?(@sha256:[0-9a-f]{{64}})?$",
        repositories.join("|")
    )
}

/// Builds the guard of `namespace` admitting every app of `apps`, and the
/// Dapr probes of `auditors` under those apps' app-ids.
pub fn build(namespace: &str, mode: Mode, apps: &[&App], auditors: &Auditors) -> Guard {
    let mut names: Vec<String> = apps.iter().map(|a| a.name.clone()).collect();
    names.sort();
    names.dedup();
    Guard {
        namespace: namespace.to_string(),
        mode,
        actions: mode.actions(),
        apps: names,
        auditors: auditors.clone(),
        policies: vec![
            workload_policy(namespace, apps, auditors),
            rbac_policy(namespace, apps),
        ],
    }
}

/// Whether the request comes from an auditor: the API server hands a
/// ValidatingAdmissionPolicy the requesting user's name and groups as
/// `request.userInfo` (kubernetes
/// `staging/src/k8s.io/apiserver/pkg/admission/plugin/cel/filter.go`,
/// `CreateAdmissionRequest`). `None` when nobody is named.
fn auditor_expression(auditors: &Auditors) -> Option<String> {
    let mut tests = Vec::new();
    if !auditors.users.is_empty() {
        tests.push(format!(
            "request.userInfo.username in {}",
            cel_list(auditors.users.iter().map(String::as_str))
        ));
    }
    if !auditors.groups.is_empty() {
        tests.push(format!(
            "(has(request.userInfo.groups) && request.userInfo.groups.exists(g, g in {}))",
            cel_list(auditors.groups.iter().map(String::as_str))
        ));
    }
    (!tests.is_empty()).then(|| tests.join(" || "))
}

fn named(name: &str, expression: impl Into<String>) -> Named {
    Named {
        name: name.to_string(),
        expression: expression.into(),
    }
}

fn validation(rule: &'static str, expression: impl Into<String>) -> Validation {
    Validation {
        rule,
        expression: expression.into(),
        message: message(rule),
        reason: "Forbidden",
    }
}

/// The policy on pods and pod templates.
fn workload_policy(namespace: &str, apps: &[&App], auditors: &Auditors) -> Policy {
    let app_label = cel_string(names::APP_NAME_LABEL);
    let probe_label = cel_string(names::PROBE_LABEL);
    let sidecar = cel_string(admission::DAPR_SIDECAR_CONTAINER);
    let images = cel_map(apps.iter().map(|a| (a.name.clone(), cel_string(&a.image))));
    let accounts = cel_map(
        apps.iter()
            .map(|a| (a.name.clone(), cel_string(&a.service_account))),
    );
    let users = cel_map(
        apps.iter()
            .map(|a| (a.name.clone(), a.run_as_user.to_string())),
    );
    let tokens = cel_map(
        apps.iter()
            .map(|a| (a.name.clone(), a.api_access.to_string())),
    );
    let dapr = cel_map(
        apps.iter()
            .filter(|a| !a.dapr_annotations.is_empty())
            .map(|a| {
                (
                    a.name.clone(),
                    cel_map(
                        a.dapr_annotations
                            .iter()
                            .map(|(k, v)| (k.clone(), cel_string(v))),
                    ),
                )
            }),
    );
    let dapr_prefix = cel_string(admission::DAPR_ANNOTATION_PREFIX);
    // What the rules share is computed once, in a variable: the API server
    // evaluates a variable when a rule first reads it and keeps its value
    // for every other rule of the same request (kubernetes
    // `staging/src/k8s.io/apiserver/pkg/admission/plugin/cel/composition.go`
    // `compositionContext.Variables`, one `lazy.MapValue` per evaluation;
    // `staging/src/k8s.io/apiserver/pkg/cel/lazy/lazy.go` `resolveField`
    // stores each value on first access). Every variable is error-free, so
    // the eager harness of `tests/integration/guard_cel.rs` sees the same.
    // The Dapr annotations of the live scripts' probe pods
    // (`templates/_common.body.sh`, `run_probe`): these with a fixed value,
    // and besides them the app-id ([`PROBE_APP_ID_PATTERN`]) and a
    // Configuration.
    let keys = crate::platform::dapr::AnnotationFacts::get();
    let probe_fixed = cel_map(
        [
            (keys.enabled, "true"),
            (keys.seccomp, "RuntimeDefault"),
            (keys.api_logging, "true"),
        ]
        .map(|(k, v)| (k.to_string(), cel_string(v))),
    );
    let probe_enabled = cel_string(keys.enabled);
    let app_id = cel_string(keys.app_id);
    let config = cel_string(keys.config);
    let mut variables = vec![
        named(
            "template",
            "object.kind == 'Pod' ? object : (object.kind == 'CronJob' ? object.spec.jobTemplate.spec.template : object.spec.template)",
        ),
        named("podSpec", "variables.template.spec"),
        named(
            "labels",
            "has(variables.template.metadata) && has(variables.template.metadata.labels) ? variables.template.metadata.labels : {}",
        ),
        named(
            "annotations",
            "has(variables.template.metadata) && has(variables.template.metadata.annotations) ? variables.template.metadata.annotations : {}",
        ),
        named(
            "app",
            format!("{app_label} in variables.labels ? variables.labels[{app_label}] : ''"),
        ),
        named(
            "probe",
            format!("object.kind == 'Pod' && {probe_label} in variables.labels"),
        ),
        // Every container: app, init (daprd as a native sidecar) and
        // ephemeral (`kubectl debug`).
        named(
            "containers",
            "variables.podSpec.containers + (has(variables.podSpec.initContainers) ? variables.podSpec.initContainers : []) + (has(variables.podSpec.ephemeralContainers) ? variables.podSpec.ephemeralContainers : [])",
        ),
        // The containers' security contexts, and whether every container
        // has one: the five container rules read these instead of walking
        // the containers and testing `securityContext` each.
        named(
            "contexts",
            "variables.containers.filter(c, has(c.securityContext)).map(c, c.securityContext)",
        ),
        named(
            "everyContext",
            "size(variables.contexts) == size(variables.containers)",
        ),
        // The pod's security context as a list of at most one, so the rules
        // read its fields without repeating the test for its presence.
        named(
            "podContext",
            "has(variables.podSpec.securityContext) ? [variables.podSpec.securityContext] : []",
        ),
        named(
            "volumes",
            "has(variables.podSpec.volumes) ? variables.podSpec.volumes : []",
        ),
        named(
            "account",
            "has(variables.podSpec.serviceAccountName) ? variables.podSpec.serviceAccountName : ''",
        ),
        named("images", images),
        named("accounts", accounts),
        named("users", users),
        named("tokens", tokens),
        named("dapr", dapr),
        // The spec's user, or -1 (no valid runAsUser) for an unknown app.
        named(
            "user",
            "variables.app in variables.users ? variables.users[variables.app] : -1",
        ),
        named(
            "daprApp",
            "!variables.probe && variables.app in variables.dapr",
        ),
        // A pod of a Dapr app, which arrives with the injected daprd.
        named("daprPod", "object.kind == 'Pod' && variables.daprApp"),
        // A live script's probe pod that asks for a Dapr sidecar.
        named(
            "daprProbe",
            format!(
                "variables.probe && variables.annotations.exists(k, k.startsWith({dapr_prefix}))"
            ),
        ),
        // A pod that arrives with daprd: an app's, or a Dapr probe.
        named("sidecarPod", "variables.daprPod || variables.daprProbe"),
        // The probe annotations with a fixed value, and that value.
        named("probeAnnotations", probe_fixed),
        // The Dapr annotations the app's spec renders; none for another.
        named(
            "daprAnnotations",
            "variables.daprApp ? variables.dapr[variables.app] : {}",
        ),
    ];
    // An auditor's probe may also run under the app-id of an app of the
    // namespace (audit checks 15 to 17 need the app's, or a caller's, Dapr
    // identity); the expression is unchanged when nobody is named.
    let mut app_ids: Vec<&str> = apps
        .iter()
        .flat_map(|a| &a.dapr_annotations)
        .filter(|(k, _)| k == keys.app_id)
        .map(|(_, v)| v.as_str())
        .collect();
    app_ids.sort_unstable();
    app_ids.dedup();
    let audited = auditor_expression(auditors).filter(|_| !app_ids.is_empty());
    let probe_app_id_test = match audited.clone() {
        Some(expression) => {
            variables.push(named("auditor", expression));
            variables.push(named("appIds", cel_list(app_ids.iter().copied())));
            format!(
                "(variables.annotations[k].matches({}) || (variables.auditor && variables.annotations[k] in variables.appIds))",
                cel_string(PROBE_APP_ID_PATTERN),
            )
        }
        _ => format!(
            "variables.annotations[k].matches({})",
            cel_string(PROBE_APP_ID_PATTERN)
        ),
    };
    let probe_images = cel_list(PROBE_IMAGES);
    let dapr_pattern = cel_string(&dapr_image_pattern());
    let audience_prefix = cel_string(admission::DAPR_SENTRY_AUDIENCE_PREFIX);
    let audience_suffix = cel_string(admission::DAPR_SENTRY_AUDIENCE_SUFFIX);
    let validations = vec![
        validation(
            "known-app",
            "variables.probe || variables.app in variables.images",
        ),
        validation(
            "images",
            format!(
                "variables.containers.all(c, (variables.sidecarPod && c.name == {sidecar}) ? c.image.matches({dapr_pattern}) : (variables.probe ? c.image in {probe_images} : (variables.app in variables.images && c.image == variables.images[variables.app])))"
            ),
        ),
        // An empty name is the default ServiceAccount's: the
        // ServiceAccount admission plugin, a mutating one, writes `default`
        // into an empty `spec.serviceAccountName`
        // (kubernetes plugin/pkg/admission/serviceaccount/admission.go,
        // `Admit`, read at one stored version), and mutating admission runs
        // before validating admission, so the guard sees `default`; `''`
        // is admitted for a cluster without that plugin.
        validation(
            "service-account",
            "variables.probe ? variables.account in ['', 'default'] : (variables.app in variables.accounts && variables.account == variables.accounts[variables.app])",
        ),
        validation(
            "token",
            format!(
                "(!variables.probe && variables.app in variables.tokens && variables.tokens[variables.app]) || (has(variables.podSpec.automountServiceAccountToken) && variables.podSpec.automountServiceAccountToken == false && variables.volumes.all(v, !has(v.projected) || !has(v.projected.sources) || v.projected.sources.all(s, !has(s.serviceAccountToken) || (variables.sidecarPod && has(s.serviceAccountToken.audience) && s.serviceAccountToken.audience.startsWith({audience_prefix}) && s.serviceAccountToken.audience.endsWith({audience_suffix})))))"
            ),
        ),
        validation(
            "security-context",
            "variables.podContext.exists(p, has(p.runAsNonRoot) && p.runAsNonRoot == true && has(p.seccompProfile) && p.seccompProfile.type == 'RuntimeDefault') && variables.everyContext && variables.contexts.all(s, has(s.allowPrivilegeEscalation) && s.allowPrivilegeEscalation == false && (!has(s.runAsNonRoot) || s.runAsNonRoot == true) && (!has(s.seccompProfile) || s.seccompProfile.type == 'RuntimeDefault') && has(s.capabilities) && has(s.capabilities.drop) && 'ALL' in s.capabilities.drop)",
        ),
        validation(
            "run-as-user",
            "variables.probe || (variables.podContext.exists(p, has(p.runAsUser) && p.runAsUser == variables.user) && variables.contexts.all(s, !has(s.runAsUser) || s.runAsUser == variables.user))",
        ),
        validation(
            "read-only-root-filesystem",
            "variables.everyContext && variables.contexts.all(s, has(s.readOnlyRootFilesystem) && s.readOnlyRootFilesystem == true)",
        ),
        validation(
            "privileged",
            "variables.contexts.all(s, !has(s.privileged) || s.privileged == false)",
        ),
        validation(
            "capabilities",
            "variables.contexts.all(s, !has(s.capabilities) || !has(s.capabilities.add) || size(s.capabilities.add) == 0)",
        ),
        validation(
            "host-namespaces",
            "!(has(variables.podSpec.hostNetwork) && variables.podSpec.hostNetwork == true) && !(has(variables.podSpec.hostPID) && variables.podSpec.hostPID == true) && !(has(variables.podSpec.hostIPC) && variables.podSpec.hostIPC == true)",
        ),
        validation("host-path", "variables.volumes.all(v, !has(v.hostPath))"),
        validation(
            "dapr-annotations",
            format!(
                "variables.daprProbe ? ({probe_enabled} in variables.annotations && {app_id} in variables.annotations && variables.annotations.all(k, !k.startsWith({dapr_prefix}) || (k in variables.probeAnnotations ? variables.annotations[k] == variables.probeAnnotations[k] : (k == {config} || (k == {app_id} && {probe_app_id_test}))))) : (variables.annotations.all(k, !k.startsWith({dapr_prefix}) || (k in variables.daprAnnotations && variables.annotations[k] == variables.daprAnnotations[k])) && variables.daprAnnotations.all(k, k in variables.annotations && variables.annotations[k] == variables.daprAnnotations[k]))"
            ),
        ),
        validation(
            "dapr-sidecar",
            format!("variables.containers.exists(c, c.name == {sidecar}) == variables.sidecarPod"),
        ),
    ];
    let mut validations = validations;
    if audited.is_some()
        && let Some(rule) = validations
            .iter_mut()
            .find(|v| v.rule == "dapr-annotations")
    {
        rule.message.push_str(
            ", except for the auditors of cluster.auditors, under an app-id of the namespace",
        );
    }
    let changed = "request.operation == 'CREATE' || (object.kind == 'Pod' ? object.spec != oldObject.spec : (object.kind == 'CronJob' ? object.spec.jobTemplate.spec.template != oldObject.spec.jobTemplate.spec.template : object.spec.template != oldObject.spec.template))";
    Policy {
        name: format!("harden-guard-{namespace}-workloads"),
        purpose: "pods and pod templates: the apps' images, identities and security context",
        rules: admission::WORKLOAD_RULES.to_vec(),
        match_conditions: vec![named("pod-template-created-or-changed", changed)],
        variables,
        validations,
    }
}

/// The policy on RoleBindings and the specs' Roles.
fn rbac_policy(namespace: &str, apps: &[&App]) -> Policy {
    let roles = cel_map(apps.iter().map(|a| {
        (
            a.service_account.clone(),
            cel_string(a.role.as_ref().map(|r| r.name.as_str()).unwrap_or("")),
        )
    }));
    let users = cel_map(apps.iter().map(|a| {
        (
            format!(
                "{}{namespace}:{}",
                admission::SERVICE_ACCOUNT_USER_PREFIX,
                a.service_account
            ),
            cel_string(a.role.as_ref().map(|r| r.name.as_str()).unwrap_or("")),
        )
    }));
    let groups = cel_list([
        admission::ALL_SERVICE_ACCOUNTS_GROUP,
        &format!("{}{namespace}", admission::SERVICE_ACCOUNT_GROUP_PREFIX),
    ]);
    let rules = cel_map(apps.iter().filter_map(|a| {
        let role = a.role.as_ref()?;
        let rules: Vec<String> = role
            .rules
            .iter()
            .map(|rule| {
                cel_map(rule.iter().map(|(key, values)| {
                    (key.to_string(), cel_list(values.iter().map(String::as_str)))
                }))
            })
            .collect();
        Some((role.name.clone(), format!("[{}]", rules.join(", "))))
    }));
    let wide = cel_list(admission::WIDE_CLUSTER_ROLES);
    let variables = vec![
        named("roles", roles),
        named("users", users),
        named("groups", groups),
        named("rules", rules),
        named(
            "grants",
            "object.kind == 'RoleBinding' && object.roleRef.kind == 'Role' ? object.roleRef.name : ''",
        ),
    ];
    let validations = vec![
        validation(
            "rbac-wide-role",
            format!(
                "object.kind != 'RoleBinding' || !(object.roleRef.kind == 'ClusterRole' && object.roleRef.name in {wide})"
            ),
        ),
        validation(
            "rbac-service-account",
            "object.kind == 'Role' ? (!(object.metadata.name in variables.rules) || (has(object.rules) && object.rules == variables.rules[object.metadata.name])) : (!has(object.subjects) || object.subjects.all(s, s.kind == 'ServiceAccount' ? (!(s.name in variables.roles) || (has(s.namespace) && s.namespace != request.namespace) || (variables.roles[s.name] != '' && variables.grants == variables.roles[s.name])) : (s.kind == 'Group' ? !(s.name in variables.groups) : (!(s.name in variables.users) || (variables.users[s.name] != '' && variables.grants == variables.users[s.name])))))",
        ),
    ];
    Policy {
        name: format!("harden-guard-{namespace}-rbac"),
        purpose: "RoleBindings and the specs' Roles: no more access than the specs grant",
        rules: admission::RBAC_RULES.to_vec(),
        match_conditions: Vec::new(),
        variables,
        validations,
    }
}

/// A spec's guard setting: `mode` (the spec's or workspace's
/// `cluster.guard`, else [`Mode::default_for`]) and what it admits.
pub fn setting(model: &Model, mode: Mode, auditors: Auditors) -> Setting {
    let role = model.api_access.as_ref().map(|api| Role {
        name: role_name(&model.name),
        rules: api
            .rules
            .iter()
            .map(|rule| {
                let mut fields = vec![("apiGroups", rule.api_groups.clone())];
                fields.push(("resources", rule.resources.clone()));
                if !rule.resource_names.is_empty() {
                    fields.push(("resourceNames", rule.resource_names.clone()));
                }
                fields.push(("verbs", rule.verbs.clone()));
                fields
            })
            .collect(),
    });
    let app = App {
        name: model.name.clone(),
        image: model.workload.image.clone(),
        service_account: model.service_account.clone(),
        run_as_user: model.workload.run_as_user,
        api_access: model.api_access.is_some(),
        role,
        dapr_annotations: model
            .dapr
            .iter()
            .flat_map(|d| &d.annotations)
            .map(|a| (a.key.to_string(), a.value.clone()))
            .collect(),
    };
    let skipped = if mode == Mode::Off {
        None
    } else {
        too_old(&model.pss_version)
    };
    let guard = (mode != Mode::Off && skipped.is_none())
        .then(|| build(&model.namespace, mode, &[&app], &auditors));
    Setting {
        mode,
        app,
        auditors,
        guard,
        skipped,
    }
}

/// The spec's Role, as `templates/02-rbac.yaml.j2` names it.
pub fn role_name(app: &str) -> String {
    format!("{app}-role")
}

/// The guard of a namespace several specs share: one that admits every
/// spec's workloads (two guards would each refuse the other's apps), with
/// the strictest mode any spec asks for (a spec's `off` or `warn` must not
/// weaken what another spec of the namespace enforces). None when every
/// spec is off or too old for the v1 API (the namespace's specs share one
/// Pod Security version).
pub fn shared(namespace: &str, settings: &[&Setting]) -> Option<Guard> {
    let mode = settings
        .iter()
        .filter(|s| s.skipped.is_none())
        .map(|s| s.mode)
        .max()
        .filter(|m| *m != Mode::Off)?;
    let apps: Vec<&App> = settings.iter().map(|s| &s.app).collect();
    let auditors = Auditors::common(settings.iter().map(|s| &s.auditors));
    Some(build(namespace, mode, &apps, &auditors))
}

/// The Kubernetes minor of a `podSecurityVersion` such as `v1.33`.
pub fn minor(pss_version: &str) -> Option<u32> {
    pss_version.strip_prefix("v1.")?.parse().ok()
}

/// Why a spec pinned to `pss_version` gets no guard, or `None` when the
/// version serves the v1 API.
pub fn too_old(pss_version: &str) -> Option<String> {
    let minor = minor(pss_version)?;
    (minor < admission::FIRST_MINOR).then(|| {
        format!(
            "Kubernetes {pss_version} serves no {} {} (GA in v1.{}, beta and off by default in v1.28 and v1.29)",
            admission::API_VERSION,
            admission::POLICY_KIND,
            admission::FIRST_MINOR
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cel_strings_escape_quotes_backslashes_and_everything_unprintable() {
        assert_eq!(cel_string("plain"), "'plain'");
        assert_eq!(cel_string("it's"), "'it\\'s'");
        assert_eq!(cel_string("a\\b"), "'a\\\\b'");
        assert_eq!(cel_string("x\ny"), "'x\\u000ay'");
        assert_eq!(cel_string("\""), "'\"'");
        assert_eq!(cel_string("é"), "'\\u00e9'");
        assert_eq!(cel_string("😀"), "'\\U0001f600'");
        assert_eq!(cel_string(""), "''");
        // The literal is always one line of printable ASCII.
        let hostile = "'] || true || ['\u{2028}\\'\r\n// \u{0}";
        let literal = cel_string(hostile);
        assert!(literal.chars().all(|c| (' '..='~').contains(&c)));
    }

    #[test]
    fn modes_map_to_valid_action_sets() {
        assert_eq!(Mode::Deny.actions(), ["Deny", "Audit"]);
        assert_eq!(Mode::Warn.actions(), ["Warn", "Audit"]);
        assert_eq!(Mode::Audit.actions(), ["Audit"]);
        assert!(Mode::Off.actions().is_empty());
        assert_eq!(Mode::default_for(&[]), Mode::Warn);
        assert_eq!(Mode::default_for(&["soc2".into()]), Mode::Deny);
        for name in Mode::NAMES {
            assert_eq!(Mode::parse(name).map(Mode::name), Some(name));
        }
    }

    #[test]
    fn every_rule_has_a_message_and_every_message_one_line() {
        for (id, text) in RULES {
            assert!(!text.is_empty() && !text.contains('\n'), "{id}");
        }
        let app = App {
            name: "a".into(),
            image: "r/i@sha256:0".into(),
            service_account: "a-sa".into(),
            run_as_user: 10001,
            api_access: false,
            role: None,
            dapr_annotations: Vec::new(),
        };
        let guard = build("ns", Mode::Deny, &[&app], &Auditors::default());
        let used: Vec<&str> = guard
            .policies
            .iter()
            .flat_map(|p| p.validations.iter().map(|v| v.rule))
            .collect();
        assert_eq!(used, RULES.map(|(id, _)| id));
    }

    #[test]
    fn versions_before_1_30_get_no_guard() {
        assert!(too_old("v1.29").is_some());
        assert!(too_old("v1.30").is_none());
        assert!(too_old("v1.33").is_none());
    }

    /// Every app-id the scripts give a probe's sidecar is the app's, a
    /// caller's (refused by design), or one the pattern admits.
    #[test]
    fn probe_app_ids_are_the_live_scripts() {
        let scripts = [
            include_str!("../templates/audit.body.sh"),
            include_str!("../templates/pentest.body.sh"),
        ];
        let mut probe_ids = Vec::new();
        for script in scripts {
            for line in script.lines().filter(|l| l.contains("run_probe ")) {
                if let Some(start) = line.find("\"harden-") {
                    let id = &line[start + 1..];
                    let id = &id[..id.find('"').unwrap()];
                    probe_ids.push(id.replace("$(random_suffix)", "0a1b2c3d"));
                }
            }
        }
        probe_ids.sort();
        probe_ids.dedup();
        assert_eq!(
            probe_ids,
            ["harden-attacker-0a1b2c3d", "harden-probe-0a1b2c3d"],
            "the scripts' probe app-ids changed: change PROBE_APP_ID_PATTERN with them"
        );
        // random_suffix: four random bytes in hex, the pattern's eight
        // digits (templates/_common.body.sh); the CEL corpus of
        // tests/integration/guard_cel.rs evaluates the pattern itself.
        assert!(
            include_str!("../templates/_common.body.sh").contains("od -An -N4 -tx1 /dev/urandom")
        );
        assert_eq!(
            PROBE_APP_ID_PATTERN,
            "^harden-(probe|attacker)-[0-9a-f]{8}$"
        );
    }
}
