//! The fake cluster the live scripts run against (tests/fixtures/fake-kubectl
//! and fake-trivy answer from the table written here): what a cluster
//! running exactly a spec's RENDERED MANIFESTS would answer, as its API
//! server and CNI would.
//!
//! - Objects (names, namespaces, labels, pod IPs, the Role's grants,
//!   components and their scopes, images) are read from the manifests, not
//!   from the model, so that the scripts (which come from the model) are
//!   checked against what was actually rendered.
//! - Connections and lookups are decided by harden's own NetworkPolicy and
//!   CiliumNetworkPolicy evaluator ([`harden::netpol`]) over the manifests,
//!   the flows' other ends and the cluster profile: one `connect` line per
//!   source, destination and port a probe can try, one `resolve` line per
//!   name, so a probe sent to another port, host or namespace gets the
//!   answer a CNI would give it, whatever the script calls it.
//! - Attacker pods are judged by the Pod Security evaluator
//!   ([`harden::audit::pss`]) at the level of the namespace they are sent
//!   to: the fake calls this test binary back ([`judge_pod`]).
//! - The broken cluster is the same table over manifests with concrete
//!   [`Weakening`]s (a policy removed, the labels of the namespace removed,
//!   the Role widened, ...); only platform answers (the Dapr control plane,
//!   the cluster profile) stay recorded in the fake itself.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use harden::audit::pss;
use harden::model::Model;
use harden::netpol::{Cluster, ContainerPort, Endpoint, Labels, Pod, Protocol};
use harden::platform::admission as facts_admission;

use crate::support::admission;
use harden::platform::dapr::surface::{
    APP_TOKEN_ANNOTATION, APP_TOKEN_ENV, WORKFLOW_ACCESS_POLICY_KIND,
};
use harden::render::GeneratedFile;
use serde_json::{Value, json};

/// One concrete change to the rendered manifests: the broken cluster runs
/// the manifests with these applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weakening {
    /// Every NetworkPolicy and CiliumNetworkPolicy deleted.
    PoliciesRemoved,
    /// The egress rules that open the DNS port deleted (the policies stay,
    /// so egress stays isolated): lookups fail.
    DnsRuleRemoved,
    /// The `pod-security.kubernetes.io/*` labels of every Namespace deleted
    /// (the namespace is then `privileged`).
    PodSecurityLabelsRemoved,
    /// The Role's rules replaced by one granting every verb on everything.
    RoleWidened,
    /// The app's ServiceAccount bound to `cluster-admin` too.
    ClusterAdminBound,
    /// The Deployment's pods run as the `default` ServiceAccount.
    DefaultServiceAccount,
    /// The secret volume unmounted and the Secret put in the environment.
    SecretsInEnvironment,
    /// `dapr.io/enable-api-logging: "false"` on the pods.
    ApiLoggingOff,
    /// The Dapr components' `scopes` deleted (every app-id loads them).
    ScopesRemoved,
    /// The app's image has CRITICAL vulnerabilities.
    VulnerableImage,
    /// The running image is not signed by the spec's signer, the
    /// ClusterImagePolicy is deleted and the namespace's
    /// `policy.sigstore.dev/include` label removed.
    UnsignedImage,
    /// The Dapr Configurations' API allowlist (`spec.api`) deleted: every
    /// API is routed.
    AllowlistRemoved,
    /// The admission guard's ValidatingAdmissionPolicies and bindings
    /// deleted: the API server judges pods by Pod Security alone.
    GuardRemoved,
    /// The guard's bindings set to `validationActions: [Audit]`: failures
    /// are written to the audit log, nothing is refused or warned about.
    GuardAudit,
    /// `dapr.io/app-token-secret` deleted from the pods: daprd gets no
    /// app token, and the app (which checks a token only when it is given
    /// one) answers any caller.
    AppTokenRemoved,
    /// The Dapr Configurations' secret scopes (`spec.secrets`) deleted: a
    /// store without a scope gives every key.
    SecretScopesRemoved,
    /// Each access-control policy's operations deleted and its default
    /// action `allow`: a declared caller may invoke every operation.
    OperationsOpened,
    /// The WorkflowAccessPolicies deleted: any app-id may call the app's
    /// workflows.
    WorkflowPolicyRemoved,
}

/// The broken cluster: every weakening that can hold at once (a cluster
/// without DNS egress cannot also resolve an unlisted name, so
/// [`Weakening::DnsRuleRemoved`] is a cluster of its own).
pub const BROKEN: &[Weakening] = &[
    Weakening::PoliciesRemoved,
    Weakening::PodSecurityLabelsRemoved,
    Weakening::RoleWidened,
    Weakening::ClusterAdminBound,
    Weakening::DefaultServiceAccount,
    Weakening::SecretsInEnvironment,
    Weakening::ApiLoggingOff,
    Weakening::ScopesRemoved,
    Weakening::VulnerableImage,
    Weakening::UnsignedImage,
    Weakening::AllowlistRemoved,
    Weakening::GuardRemoved,
    Weakening::AppTokenRemoved,
    Weakening::SecretScopesRemoved,
    Weakening::OperationsOpened,
    Weakening::WorkflowPolicyRemoved,
];

/// The weakenings of a `FAKE_CLUSTER` name: `broken` is [`BROKEN`],
/// `dns-blocked` is [`Weakening::DnsRuleRemoved`]; the others (compliant,
/// unreachable, forbidden) run the manifests as rendered.
pub fn weakenings(cluster: &str) -> &'static [Weakening] {
    match cluster {
        "broken" => BROKEN,
        "dns-blocked" => &[Weakening::DnsRuleRemoved],
        "allowlist-open" => &[Weakening::AllowlistRemoved],
        "guard-audit" => &[Weakening::GuardAudit],
        "secret-scopes-open" => &[Weakening::SecretScopesRemoved],
        "operations-open" => &[Weakening::OperationsOpened],
        "workflow-policy-removed" => &[Weakening::WorkflowPolicyRemoved],
        _ => &[],
    }
}

/// The platform answers of the fake for a cluster name (FAKE_CLUSTER):
/// only `broken` flips the recorded ones.
pub fn platform(cluster: &str) -> &str {
    match cluster {
        "dns-blocked"
        | "allowlist-open"
        | "guard-audit"
        | "secret-scopes-open"
        | "operations-open"
        | "workflow-policy-removed" => "compliant",
        other => other,
    }
}

/// The parsed documents of the rendered YAML files.
pub fn documents_of(files: &[GeneratedFile]) -> Vec<Value> {
    files
        .iter()
        .filter(|f| f.name.ends_with(".yaml"))
        .flat_map(|f| harden::yaml::parse_stream(&f.content).expect("rendered YAML parses"))
        .collect()
}

fn kind(document: &Value) -> &str {
    document["kind"].as_str().unwrap_or_default()
}

fn text(value: &Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"))
}

/// Whether a port list (of a NetworkPolicy rule or a Cilium `toPorts`
/// entry) names port `dns` (as a number or a string).
fn names_port(ports: &Value, dns: u32) -> bool {
    ports.as_array().into_iter().flatten().any(|p| {
        p["port"].as_u64() == Some(u64::from(dns)) || p["port"].as_str() == Some(&dns.to_string())
    })
}

/// Applies `weakenings` to the rendered documents.
pub fn weaken(documents: &mut Vec<Value>, model: &Model, weakenings: &[Weakening]) {
    let dns = model.facts.dns.port;
    for weakening in weakenings {
        match weakening {
            Weakening::PoliciesRemoved => documents
                .retain(|d| kind(d) != "NetworkPolicy" && kind(d) != "CiliumNetworkPolicy"),
            Weakening::DnsRuleRemoved => {
                for document in documents.iter_mut() {
                    match kind(document) {
                        "NetworkPolicy" => {
                            if let Some(rules) = document["spec"]["egress"].as_array_mut() {
                                rules.retain(|r| !names_port(&r["ports"], dns));
                            }
                        }
                        "CiliumNetworkPolicy" => {
                            if let Some(spec) = document.get_mut("spec") {
                                drop_cilium_dns(spec, dns);
                            }
                            for spec in document
                                .get_mut("specs")
                                .and_then(Value::as_array_mut)
                                .into_iter()
                                .flatten()
                            {
                                drop_cilium_dns(spec, dns);
                            }
                        }
                        _ => {}
                    }
                }
            }
            Weakening::PodSecurityLabelsRemoved => {
                for document in documents.iter_mut().filter(|d| kind(d) == "Namespace") {
                    if let Some(labels) = document["metadata"]["labels"].as_object_mut() {
                        labels.retain(|key, _| !key.starts_with("pod-security.kubernetes.io/"));
                    }
                }
            }
            Weakening::RoleWidened => {
                for document in documents.iter_mut().filter(|d| kind(d) == "Role") {
                    document["rules"] =
                        json!([{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]);
                }
            }
            Weakening::ClusterAdminBound => documents.push(json!({
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRoleBinding",
                "metadata": {"name": "harden-fake-cluster-admin"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
                "subjects": [{"kind": "ServiceAccount", "name": model.service_account, "namespace": model.namespace}],
            })),
            Weakening::DefaultServiceAccount => {
                for pod in templates(documents) {
                    pod["spec"]["serviceAccountName"] = json!("default");
                }
            }
            Weakening::SecretsInEnvironment => {
                let secret = format!("{}-secrets", model.name);
                for pod in templates(documents) {
                    let volumes: Vec<String> = pod["spec"]["volumes"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter(|v| v.get("secret").is_some() || v.get("projected").is_some())
                        .filter_map(|v| v["name"].as_str().map(str::to_string))
                        .collect();
                    for container in pod["spec"]["containers"].as_array_mut().unwrap() {
                        if let Some(mounts) = container["volumeMounts"].as_array_mut() {
                            mounts.retain(|m| !volumes.iter().any(|v| m["name"] == *v));
                        }
                        container["envFrom"] = json!([{"secretRef": {"name": secret}}]);
                    }
                }
            }
            Weakening::ApiLoggingOff => {
                for pod in templates(documents) {
                    if pod["metadata"]["annotations"]
                        .get("dapr.io/enable-api-logging")
                        .is_some()
                    {
                        pod["metadata"]["annotations"]["dapr.io/enable-api-logging"] =
                            json!("false");
                    }
                }
            }
            Weakening::ScopesRemoved => {
                for document in documents.iter_mut().filter(|d| kind(d) == "Component") {
                    if let Some(object) = document.as_object_mut() {
                        object.remove("scopes");
                    }
                }
            }
            Weakening::VulnerableImage => {}
            Weakening::UnsignedImage => {
                documents.retain(|d| kind(d) != "ClusterImagePolicy");
                for document in documents.iter_mut().filter(|d| kind(d) == "Namespace") {
                    if let Some(labels) = document["metadata"]["labels"].as_object_mut() {
                        labels.remove(harden::platform::sigstore::INCLUDE_LABEL);
                    }
                }
            }
            Weakening::AllowlistRemoved => {
                for document in documents.iter_mut().filter(|d| kind(d) == "Configuration") {
                    if let Some(spec) = document["spec"].as_object_mut() {
                        spec.remove("api");
                    }
                }
            }
            Weakening::GuardRemoved => documents.retain(|d| !is_guard(d)),
            Weakening::AppTokenRemoved => {
                for pod in templates(documents) {
                    if let Some(annotations) = pod["metadata"]["annotations"].as_object_mut() {
                        annotations.remove(APP_TOKEN_ANNOTATION);
                    }
                }
            }
            Weakening::SecretScopesRemoved => {
                for document in documents.iter_mut().filter(|d| kind(d) == "Configuration") {
                    if let Some(spec) = document["spec"].as_object_mut() {
                        spec.remove("secrets");
                    }
                }
            }
            Weakening::OperationsOpened => {
                for document in documents.iter_mut().filter(|d| kind(d) == "Configuration") {
                    for policy in document["spec"]["accessControl"]["policies"]
                        .as_array_mut()
                        .into_iter()
                        .flatten()
                    {
                        if let Some(policy) = policy.as_object_mut() {
                            policy.remove("operations");
                            policy.insert("defaultAction".into(), json!("allow"));
                        }
                    }
                }
            }
            Weakening::WorkflowPolicyRemoved => {
                documents.retain(|d| kind(d) != WORKFLOW_ACCESS_POLICY_KIND);
            }
            Weakening::GuardAudit => {
                for document in documents
                    .iter_mut()
                    .filter(|d| kind(d) == facts_admission::BINDING_KIND)
                {
                    document["spec"]["validationActions"] = json!([facts_admission::AUDIT]);
                }
            }
        }
    }
}

/// A ValidatingAdmissionPolicy or its binding.
fn is_guard(document: &Value) -> bool {
    kind(document) == facts_admission::POLICY_KIND
        || kind(document) == facts_admission::BINDING_KIND
}

/// Deletes the egress items of a CiliumNetworkPolicy spec that open port
/// `dns` or carry DNS rules.
fn drop_cilium_dns(spec: &mut Value, dns: u32) {
    if let Some(items) = spec["egress"].as_array_mut() {
        items.retain(|item| {
            !item["toPorts"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|p| names_port(&p["ports"], dns) || p["rules"].get("dns").is_some())
        });
    }
}

/// The pod templates of the Deployments.
fn templates(documents: &mut [Value]) -> impl Iterator<Item = &mut Value> {
    documents
        .iter_mut()
        .filter(|d| kind(d) == "Deployment")
        .map(|d| &mut d["spec"]["template"])
}

/// The namespace Pod Security level of a Namespace document: its enforce
/// label and version, `privileged`/`latest` without them.
fn pod_security(namespace: Option<&Value>) -> (String, String) {
    let labels = namespace.map(|n| &n["metadata"]["labels"]);
    let label = |key: &str| {
        labels
            .and_then(|l| l.get(key))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    (
        label("pod-security.kubernetes.io/enforce").unwrap_or_else(|| "-".into()),
        label("pod-security.kubernetes.io/enforce-version").unwrap_or_else(|| "-".into()),
    )
}

/// The fake cluster's table for `model`, rendered into `files` (with the
/// files of its shared namespace, if any), with `weakenings` applied.
pub fn table(model: &Model, files: &[GeneratedFile], weakenings: &[Weakening]) -> String {
    let mut documents = documents_of(files);
    weaken(&mut documents, model, weakenings);
    let mut out = object_facts(&documents, weakenings);
    out.push_str(&network_facts(model, &documents));
    out.push_str(&profile_table(model));
    out
}

/// The table of the manifests rendered into `dir`, for `model`.
pub fn table_in(dir: &Path, model: &Model, weakenings: &[Weakening]) -> String {
    let files: Vec<GeneratedFile> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| GeneratedFile {
            name: p.file_name().unwrap().to_string_lossy().into_owned(),
            content: std::fs::read_to_string(&p).unwrap(),
            executable: false,
        })
        .collect();
    table(model, &files, weakenings)
}

/// Objects, one fact a line (the format is described at the top of
/// tests/fixtures/fake-kubectl).
fn object_facts(documents: &[Value], weakenings: &[Weakening]) -> String {
    let mut facts: Vec<(&str, String)> = Vec::new();
    let of_kind = |k: &'static str| documents.iter().filter(move |d| kind(d) == k);
    let namespace = of_kind("Namespace").next().expect("a Namespace");
    let (enforce, version) = pod_security(Some(namespace));
    facts.push(("namespace", text(&namespace["metadata"]["name"]).into()));
    facts.push(("pss_enforce", enforce));
    facts.push(("pss_version", version));
    if let Some(include) =
        namespace["metadata"]["labels"].get(harden::platform::sigstore::INCLUDE_LABEL)
    {
        facts.push(("sigstore_include", text(include).into()));
    }
    // The sigstore policy-controller: its policies (name and the repository
    // of the first glob), the running image's digest reference as the
    // runtime reports it, and whether its signer signed it.
    for policy in of_kind("ClusterImagePolicy") {
        let glob = text(&policy["spec"]["images"][0]["glob"]);
        let repository = glob.split('@').next().unwrap_or_default();
        facts.push((
            "image_policy",
            format!("{} {repository}", text(&policy["metadata"]["name"])),
        ));
    }
    let deployment = of_kind("Deployment").next().expect("a Deployment");
    let pod = &deployment["spec"]["template"];
    facts.push(("app", text(&deployment["metadata"]["name"]).into()));
    facts.push((
        "service_account",
        text(&pod["spec"]["serviceAccountName"]).into(),
    ));
    facts.push(("replicas", deployment["spec"]["replicas"].to_string()));
    // The Dapr app token: the annotation, and what the injector gives the
    // pod's daprd from it.
    if let Some(secret) = pod["metadata"]["annotations"].get(APP_TOKEN_ANNOTATION) {
        facts.push(("app_token", text(secret).into()));
    }
    let injected = admission::pod_of(deployment, false);
    for container in injected["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
    {
        for env in container["env"].as_array().into_iter().flatten() {
            if env["name"] == APP_TOKEN_ENV
                && let Some(secret) = env["valueFrom"]["secretKeyRef"]["name"].as_str()
            {
                facts.push(("app_token_env", secret.into()));
            }
        }
    }
    if let Some(logging) = pod["metadata"]["annotations"].get("dapr.io/enable-api-logging") {
        facts.push(("api_logging", text(logging).into()));
    }
    for container in pod["spec"]["containers"].as_array().unwrap() {
        let image = text(&container["image"]);
        let critical = if weakenings.contains(&Weakening::VulnerableImage) {
            3
        } else {
            0
        };
        facts.push(("image", format!("{image} {critical}")));
        let image_id = image_id(image);
        if !weakenings.contains(&Weakening::UnsignedImage) {
            facts.push(("signed", image_id.clone()));
        }
        facts.push(("image_id", image_id));
        for mount in container["volumeMounts"].as_array().into_iter().flatten() {
            facts.push(("mount", text(&mount["mountPath"]).into()));
        }
        for env in container["env"].as_array().into_iter().flatten() {
            if let Some(name) = env["valueFrom"]["secretKeyRef"]["name"].as_str() {
                facts.push(("secret_env", name.into()));
            }
        }
        for from in container["envFrom"].as_array().into_iter().flatten() {
            if let Some(name) = from["secretRef"]["name"].as_str() {
                facts.push(("secret_env", name.into()));
            }
        }
    }
    for policy in of_kind("NetworkPolicy") {
        // As `kubectl -o jsonpath={.spec.podSelector}` prints them: JSON.
        facts.push((
            "netpol",
            format!(
                "{}|{}|{}|{}",
                text(&policy["metadata"]["namespace"]),
                text(&policy["metadata"]["name"]),
                policy["spec"]["podSelector"],
                policy["spec"]["policyTypes"]
            ),
        ));
    }
    // The Roles' rules, for each Role bound to a ServiceAccount; a
    // ClusterRoleBinding to cluster-admin grants everything everywhere.
    for binding in of_kind("RoleBinding") {
        let role = documents
            .iter()
            .find(|d| kind(d) == "Role" && d["metadata"]["name"] == binding["roleRef"]["name"])
            .expect("the bound Role is rendered");
        let scope = text(&role["metadata"]["namespace"]);
        for subject in binding["subjects"].as_array().into_iter().flatten() {
            let account = text(&subject["name"]);
            for rule in role["rules"].as_array().into_iter().flatten() {
                let names: Vec<&str> = match rule["resourceNames"].as_array() {
                    Some(names) => names.iter().map(text).collect(),
                    None => vec!["*"],
                };
                for group in rule["apiGroups"].as_array().unwrap() {
                    for resource in rule["resources"].as_array().unwrap() {
                        let qualified = match (text(group), text(resource)) {
                            (_, "*") => "*".to_string(),
                            ("", resource) => resource.to_string(),
                            ("*", resource) => format!("{resource}.*"),
                            (group, resource) => format!("{resource}.{group}"),
                        };
                        for verb in rule["verbs"].as_array().unwrap() {
                            for name in &names {
                                facts.push((
                                    "grant",
                                    format!("{account} {scope} {} {qualified} {name}", text(verb)),
                                ));
                            }
                        }
                    }
                }
            }
        }
    }
    for binding in of_kind("ClusterRoleBinding") {
        assert_eq!(binding["roleRef"]["name"], "cluster-admin", "{binding}");
        for subject in binding["subjects"].as_array().unwrap() {
            facts.push(("grant", format!("{} * * * *", text(&subject["name"]))));
        }
    }
    // Each Dapr Configuration's HTTP allowlist: the names daprd routes
    // (lower-cased protocol `http`), `*` when none restricts it.
    for configuration in of_kind("Configuration") {
        let names: Vec<&str> = configuration["spec"]["api"]["allowed"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| {
                r["protocol"]
                    .as_str()
                    .is_some_and(|p| p.eq_ignore_ascii_case("http"))
            })
            .map(|r| text(&r["name"]))
            .collect();
        facts.push((
            "allowlist",
            format!(
                "{} {}",
                text(&configuration["metadata"]["name"]),
                if names.is_empty() {
                    "*".to_string()
                } else {
                    names.join(",")
                }
            ),
        ));
    }
    // The Dapr app each Deployment runs: its app-id, namespace and
    // Configuration (the pod template's annotations), which the probes of
    // its access control find it by.
    for deployment in of_kind("Deployment") {
        let annotations = &deployment["spec"]["template"]["metadata"]["annotations"];
        if let (Some(app_id), Some(config)) = (
            annotations["dapr.io/app-id"].as_str(),
            annotations["dapr.io/config"].as_str(),
        ) {
            facts.push((
                "dapr_app",
                format!(
                    "{app_id} {} {config}",
                    text(&deployment["metadata"]["namespace"])
                ),
            ));
        }
    }
    // Each Configuration's secret scopes (STORE DEFAULT ALLOWED,...|-) and
    // access control: its default action, each caller's policy (APPID
    // NAMESPACE TRUSTDOMAIN DEFAULT|-) and operations (NAME VERB,...
    // ACTION), as daprd loads them.
    for configuration in of_kind("Configuration") {
        let name = text(&configuration["metadata"]["name"]);
        let spec = &configuration["spec"];
        for scope in spec["secrets"]["scopes"].as_array().into_iter().flatten() {
            let allowed = admission::strings(&scope["allowedSecrets"]);
            facts.push((
                "secret_scope",
                format!(
                    "{name} {} {} {}",
                    text(&scope["storeName"]),
                    scope["defaultAccess"].as_str().unwrap_or("-"),
                    if allowed.is_empty() {
                        "-".to_string()
                    } else {
                        allowed.join(",")
                    }
                ),
            ));
        }
        let control = &spec["accessControl"];
        if let Some(action) = control["defaultAction"].as_str() {
            facts.push(("acl_default", format!("{name} {action}")));
        }
        for policy in control["policies"].as_array().into_iter().flatten() {
            let caller = format!(
                "{name} {} {}",
                text(&policy["appId"]),
                text(&policy["namespace"])
            );
            facts.push((
                "acl_policy",
                format!(
                    "{caller} {} {}",
                    policy["trustDomain"].as_str().unwrap_or("public"),
                    policy["defaultAction"].as_str().unwrap_or("-")
                ),
            ));
            for operation in policy["operations"].as_array().into_iter().flatten() {
                facts.push((
                    "acl_op",
                    format!(
                        "{caller} {} {} {}",
                        text(&operation["name"]),
                        admission::strings(&operation["httpVerb"]).join(","),
                        text(&operation["action"])
                    ),
                ));
            }
        }
    }
    // The WorkflowAccessPolicies: NAME SCOPES|- CALLERS|- (every rule's).
    for policy in of_kind(WORKFLOW_ACCESS_POLICY_KIND) {
        let scopes = admission::strings(&policy["scopes"]);
        let callers: Vec<&str> = policy["spec"]["rules"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|r| r["callers"].as_array().into_iter().flatten())
            .map(|c| text(&c["appID"]))
            .collect();
        let joined = |list: &[&str]| {
            if list.is_empty() {
                "-".to_string()
            } else {
                list.join(",")
            }
        };
        let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
        facts.push((
            "workflow_policy",
            format!(
                "{} {} {}",
                text(&policy["metadata"]["name"]),
                joined(&scopes),
                joined(&callers)
            ),
        ));
    }
    // The admission guard: each policy by name, each binding as
    // NAME|POLICY|ACTIONS|NAMESPACES (as the audit's jsonpath prints them),
    // and the documents themselves on one line, which the judge of
    // attacker pods evaluates (`judge_pod`).
    for policy in of_kind(facts_admission::POLICY_KIND) {
        facts.push(("vap", text(&policy["metadata"]["name"]).into()));
    }
    for binding in of_kind(facts_admission::BINDING_KIND) {
        let namespaces = admission::namespaces_of(&binding["spec"]["matchResources"]);
        facts.push((
            "vapb",
            format!(
                "{}|{}|{}|{}",
                text(&binding["metadata"]["name"]),
                text(&binding["spec"]["policyName"]),
                admission::strings(&binding["spec"]["validationActions"]).join(" "),
                namespaces.join(" ")
            ),
        ));
    }
    let guard: Vec<&Value> = documents.iter().filter(|d| is_guard(d)).collect();
    if !guard.is_empty() {
        facts.push(("guard", serde_json::to_string(&guard).unwrap()));
    }
    for component in of_kind("Component") {
        let scopes: Vec<&str> = component["scopes"]
            .as_array()
            .map(|s| s.iter().map(text).collect())
            .unwrap_or_default();
        facts.push((
            "component",
            format!(
                "{} {}",
                text(&component["metadata"]["name"]),
                if scopes.is_empty() {
                    "*".to_string()
                } else {
                    scopes.join(",")
                }
            ),
        ));
    }
    facts
        .iter()
        .map(|(key, value)| {
            assert!(!value.contains('\n'), "{key}: {value}");
            format!("{key} {value}\n")
        })
        .collect()
}

/// The labels a probe pod of `kind` carries (run_probe in
/// templates/_common.sh.j2), as the fake reads them back from its manifest.
fn probe_labels(model: &Model, kind: &str) -> Labels {
    [
        ("app.kubernetes.io/name", model.name.as_str()),
        ("harden.dev/probe", kind),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// The key the fake looks answers up by for a probe pod: its namespace and
/// its labels, `k=v` joined by commas in key order.
pub fn source_key(namespace: &str, labels: &Labels) -> String {
    let labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{namespace}/{}", labels.join(","))
}

/// The made-up address of the pod at `index` of the picture.
fn pod_ip(index: usize) -> IpAddr {
    IpAddr::V4(std::net::Ipv4Addr::new(
        10,
        244,
        (index / 200) as u8 + 1,
        (index % 200) as u8 + 10,
    ))
}

/// An address no policy names: the fake's answer for any other address.
const ELSEWHERE: &str = "192.0.2.99";

/// The network: pods with their IPs and labels, namespaces with their Pod
/// Security level, and the CNI's verdicts for every probe the scripts can
/// make from a probe pod in the app's namespace (or in `default`, where a
/// script that sends its probes elsewhere would put them).
fn network_facts(model: &Model, documents: &[Value]) -> String {
    let (mut cluster, errors) = Cluster::read(documents.iter());
    assert!(errors.is_empty(), "the rendered policies read: {errors:?}");
    let mut out = String::new();
    // The other ends of the declared flows, and the cluster's DNS pods.
    let dns = &model.facts.dns;
    let mut ports: BTreeSet<u16> = [53, 80, 443, 8080, 9153].into_iter().collect();
    ports.insert(dns.port as u16);
    for flow in model.network.egress.iter().chain(&model.network.ingress) {
        ports.extend(flow.ports.iter().map(|p| p.port as u16));
        if flow.peer.cidr.is_some() || flow.peer.app_itself {
            continue;
        }
        let Some(namespace) = &flow.peer.namespace else {
            continue;
        };
        cluster.add_pod(Pod {
            id: format!("peer/{namespace}/{}", flow.name),
            namespace: namespace.clone(),
            labels: flow.peer.pod_labels.iter().cloned().collect(),
            ports: flow
                .ports
                .iter()
                .map(|p| ContainerPort {
                    name: None,
                    port: p.port as u16,
                    protocol: p.protocol,
                })
                .collect(),
            host_network: false,
        });
    }
    let dns_pods = dns.pods.as_ref().map(|pods| {
        cluster.add_pod(Pod {
            id: format!("dns/{}", pods.namespace),
            namespace: pods.namespace.clone(),
            labels: pods.labels.iter().cloned().collect(),
            ports: vec![
                ContainerPort {
                    name: Some("dns".into()),
                    port: dns.port as u16,
                    protocol: Protocol::Udp,
                },
                ContainerPort {
                    name: Some("metrics".into()),
                    port: 9153,
                    protocol: Protocol::Tcp,
                },
            ],
            host_network: false,
        })
    });
    for pod in &cluster.pods {
        ports.extend(pod.ports.iter().map(|p| p.port));
    }
    // The ports of egress by hostname, which the audit's check 11 connects to.
    for flow in &model.network.hosts {
        ports.extend(flow.ports.iter().map(|p| p.port as u16));
    }
    if let Some(target) = &model.reach_target {
        ports.insert(target.port as u16);
        ports.insert(target.undeclared_port as u16);
    }
    if let Some(probe) = &model.metadata_probe {
        ports.insert(probe.http_port as u16);
    }
    // Namespaces: declared ones with their level, and every other one the
    // picture knows (pods of flows, DNS), unlabelled.
    let mut namespaces: BTreeSet<String> = cluster.namespace_names().into_iter().collect();
    namespaces.extend(["default", "kube-system"].map(String::from));
    namespaces.insert(model.namespace.clone());
    // The namespaces of the Dapr callers the access control names (a
    // caller's probe runs there).
    for configuration in documents.iter().filter(|d| kind(d) == "Configuration") {
        for policy in configuration["spec"]["accessControl"]["policies"]
            .as_array()
            .into_iter()
            .flatten()
        {
            namespaces.insert(text(&policy["namespace"]).to_string());
        }
    }
    for name in &namespaces {
        let declared = documents
            .iter()
            .find(|d| kind(d) == "Namespace" && d["metadata"]["name"] == name.as_str());
        let (enforce, version) = pod_security(declared);
        out.push_str(&format!("ns {name} {enforce} {version}\n"));
    }
    // Pods with their made-up IPs (the app's replicas are one entry).
    let pod_count = cluster.pods.len();
    for (index, pod) in cluster.pods.iter().enumerate() {
        let labels: Vec<String> = pod.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        out.push_str(&format!(
            "pod {} {} {}\n",
            pod.namespace,
            pod_ip(index),
            labels.join(",")
        ));
    }
    // Destinations by address and by name.
    let mut destinations: Vec<(String, Option<Endpoint>)> = (0..pod_count)
        .map(|i| (pod_ip(i).to_string(), Some(Endpoint::Pod(i))))
        .collect();
    let mut addresses: BTreeSet<String> = ["1.1.1.1", ELSEWHERE].map(String::from).into();
    if let Some(probe) = &model.metadata_probe {
        addresses.insert(probe.address.clone());
    }
    if let Some(host) = model.reach_target.as_ref().and_then(|t| t.host.clone()) {
        addresses.insert(host);
    }
    for cidr in &dns.cidrs {
        addresses.insert(cidr.split('/').next().unwrap().to_string());
    }
    for cidr in &model.preflight.api_server_cidrs {
        let address = cidr.split('/').next().unwrap();
        cluster.add_api_server(address.parse().unwrap());
        addresses.insert(address.to_string());
    }
    for address in addresses {
        let ip: IpAddr = address.parse().unwrap();
        destinations.push((address, Some(Endpoint::External(ip))));
    }
    // The DNS Service of the kube-dns layout, by its name (a Service on
    // another layout does not exist, so the name does not resolve).
    let kube_dns = dns_pods.filter(|_| {
        dns.pods
            .as_ref()
            .is_some_and(|p| p.namespace == "kube-system")
    });
    destinations.push(("kube-dns.kube-system.svc".into(), kube_dns));
    // Names outside the cluster: the listed ones, the unlisted one.
    let mut names: Vec<String> = model
        .network
        .hosts
        .iter()
        .flat_map(|f| &f.hosts)
        .filter(|h| !h.wildcard)
        .map(|h| h.name.clone())
        .collect();
    names.extend(model.network.unlisted_host.clone());
    for name in &names {
        let endpoint = cluster.add_host(name);
        destinations.push((name.clone(), Some(endpoint)));
    }
    let other_port = (40000..).find(|p| !ports.contains(p)).expect("a free port");
    // Probe sources: the app's probes (in its namespace, or in `default`,
    // where a script that sends its probes elsewhere would put them), and
    // the app-token probe of each declared in-cluster caller, in its
    // namespace with its labels (audit check 14).
    let mut sources: Vec<(String, &str, Labels)> = Vec::new();
    for namespace in [model.namespace.as_str(), "default"] {
        for kind in ["net", "hosts", "dns", "scope"] {
            sources.push((namespace.to_string(), kind, probe_labels(model, kind)));
        }
    }
    for flow in &model.network.ingress {
        let Some(namespace) = &flow.peer.namespace else {
            continue;
        };
        if flow.peer.app_itself {
            continue;
        }
        let mut labels: Labels = flow.peer.pod_labels.iter().cloned().collect();
        labels.insert(
            harden::platform::names::PROBE_LABEL.to_string(),
            "token".to_string(),
        );
        sources.push((namespace.clone(), "token", labels));
    }
    for (namespace, kind, labels) in sources {
        let namespace = namespace.as_str();
        {
            let source = cluster.add_pod(Pod {
                id: format!("probe/{namespace}/{kind}"),
                namespace: namespace.to_string(),
                labels: labels.clone(),
                ports: Vec::new(),
                host_network: false,
            });
            let key = source_key(namespace, &labels);
            let pod = match source {
                Endpoint::Pod(i) => cluster.pods[i].clone(),
                Endpoint::External(_) => unreachable!(),
            };
            let filter = cluster.dns_filter(&pod);
            // The pod's resolver: the DNS pods, or a node-level address.
            let resolver = |cluster: &Cluster| {
                let port = dns.port as u16;
                dns_pods.is_some_and(|to| cluster.allowed(source, to, port, Protocol::Udp).allowed)
                    || dns.cidrs.iter().any(|cidr| {
                        let ip: IpAddr = cidr.split('/').next().unwrap().parse().unwrap();
                        cluster
                            .allowed(source, Endpoint::External(ip), port, Protocol::Udp)
                            .allowed
                    })
            };
            let can_resolve = resolver(&cluster);
            let resolves =
                |name: &str| can_resolve && filter.as_ref().is_none_or(|f| f.allows(name));
            for name in names
                .iter()
                .map(String::as_str)
                .chain(["kube-dns.kube-system.svc", "kubernetes.default"])
                .chain(std::iter::once(
                    format!(
                        "{}.{}.svc.{}",
                        model.name, model.namespace, dns.cluster_domain
                    )
                    .as_str(),
                ))
            {
                let yes =
                    resolves(name) && (name != "kube-dns.kube-system.svc" || kube_dns.is_some());
                out.push_str(&format!("resolve {key} {name} {}\n", word(yes)));
            }
            // Lookups through an explicit server: nslookup NAME SERVER.
            for (address, endpoint) in &destinations {
                if let Some(Endpoint::External(_)) = endpoint
                    && address.parse::<IpAddr>().is_ok()
                {
                    let yes = cluster
                        .allowed(source, endpoint.unwrap(), dns.port as u16, Protocol::Udp)
                        .allowed;
                    out.push_str(&format!("lookup {key} {address} {}\n", word(yes)));
                }
            }
            if kind != "net" && kind != "hosts" && kind != "token" {
                continue;
            }
            for (address, endpoint) in &destinations {
                let named = address.parse::<IpAddr>().is_err();
                for port in ports.iter().copied().chain([other_port]) {
                    let open = endpoint.is_some_and(|to| {
                        (!named || resolves(address))
                            && cluster.allowed(source, to, port, Protocol::Tcp).allowed
                    });
                    let port_word = if port == other_port {
                        "*".to_string()
                    } else {
                        port.to_string()
                    };
                    out.push_str(&format!(
                        "connect {key} {address} {port_word} {}\n",
                        if open { "open" } else { "closed" }
                    ));
                }
            }
        }
    }
    out
}

fn word(yes: bool) -> &'static str {
    if yes { "yes" } else { "no" }
}

/// The cluster profile `model` was rendered for, as the fake's table lines
/// (`dns_pods`, `node_local`, `cni`, `api_server`, `dapr_version`,
/// `external_secrets_api`): the compliant fake answers the audit's
/// preflight with exactly these facts, the broken one with others.
pub fn profile_table(model: &Model) -> String {
    let p = &model.preflight;
    let mut lines = Vec::new();
    if !p.dns_namespace.is_empty() {
        lines.push(format!(
            "dns_pods {} {} {}",
            p.dns_namespace, p.dns_selector, p.dns_port
        ));
    }
    if !p.node_local_address.is_empty() {
        lines.push(format!("node_local {}", p.node_local_address));
    }
    if p.cilium {
        lines.push("cni cilium".to_string());
    }
    if let Some(cidr) = p.api_server_cidrs.first() {
        let address = cidr.split('/').next().unwrap();
        lines.push(format!("api_server {address} {}", p.api_server_port));
    }
    if let Some(dapr) = &model.dapr {
        lines.push(format!("dapr_version {}", dapr.version));
    }
    if !p.external_secrets_api.is_empty() {
        lines.push(format!("external_secrets_api {}", p.external_secrets_api));
    }
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// The environment the fakes need beside FAKE_MODEL and FAKE_STATE: the
/// judge of attacker pods is this test binary ([`judge_pod`]).
pub fn judge_env() -> (&'static str, PathBuf) {
    (
        "FAKE_JUDGE",
        std::env::current_exe().expect("the test binary"),
    )
}

/// The admission controller's reason for each check the scripts' attacker
/// pods trip (`ForbiddenReason` of k8s.io/pod-security-admission/policy
/// check_privileged.go, check_hostPathVolumes.go, check_hostNamespaces.go,
/// check_runAsUser.go, check_runAsNonRoot.go); other checks by their id.
fn forbidden_reason(check: &str) -> &str {
    match check {
        "privileged" => "privileged",
        "hostPathVolumes" => "hostPath volumes",
        "hostNamespaces" => "host namespaces",
        "runAsUser" => "runAsUser=0",
        "runAsNonRoot" => "runAsNonRoot != true",
        "allowPrivilegeEscalation" => "allowPrivilegeEscalation != false",
        "capabilities_restricted" => "unrestricted capabilities",
        "seccompProfile_restricted" => "seccompProfile",
        other => other,
    }
}

/// The admission answer for a pod sent to a namespace at `level` (`-` is
/// privileged) and `version`: `None` when admitted, else the message after
/// `violates PodSecurity`.
pub fn judge(pod: &Value, level: &str, version: &str) -> Option<String> {
    let level_ = pss::Level::parse(level)?;
    let version_ = pss::Version::parse(version).unwrap_or_else(pss::Version::newest);
    let violations = pss::evaluate(
        &pss::Pod {
            annotations: pod["metadata"].get("annotations"),
            spec: &pod["spec"],
        },
        level_,
        version_,
    );
    if violations.is_empty() {
        return None;
    }
    let reasons: Vec<String> = violations
        .iter()
        .map(|v| format!("{} ({})", forbidden_reason(v.check), v.detail))
        .collect();
    Some(format!("\"{level}:{version}\": {}", reasons.join(", ")))
}

/// What the API server's validating admission answers for a pod after Pod
/// Security admitted it: each of the admission guard's policies (`guard`,
/// the rendered documents) evaluated by [`crate::support::admission`], and
/// each failure acted on as its binding says. Returns the refusal (the
/// first failure of a `Deny` binding) and the warnings (every failure of a
/// `Warn` binding); an `Audit` binding's failures go to the audit log,
/// which a client does not see. Messages as the API server words them:
/// "ValidatingAdmissionPolicy 'P' with binding 'B' denied request: MESSAGE"
/// (kubernetes `staging/src/k8s.io/apiserver/pkg/admission/plugin/policy/validating/dispatcher.go`,
/// as seen in recorded kubectl output; the dispatcher itself not read here)
/// and, for a warning, "Validation failed for ValidatingAdmissionPolicy 'P'
/// with binding 'B': MESSAGE" (same file; not verified upstream, so the
/// scripts match only the guard's own rule text in either).
///
/// The request's user is the administrator's, or FAKE_USER with the
/// comma-separated FAKE_GROUPS (an auditor of `cluster.auditors`).
pub fn judge_guard(pod: &Value, guard: &[Value]) -> (Option<String>, Vec<String>) {
    let policies = admission::policies(guard);
    let user = std::env::var("FAKE_USER").ok().map(|username| {
        let groups: Vec<String> = std::env::var("FAKE_GROUPS")
            .unwrap_or_default()
            .split(',')
            .filter(|g| !g.is_empty())
            .map(str::to_string)
            .collect();
        serde_json::json!({"username": username, "groups": groups})
    });
    let request = admission::Request {
        operation: "CREATE",
        object: pod,
        old: None,
        user: user.as_ref(),
    };
    let mut refusal = None;
    let mut warnings = Vec::new();
    for policy in &policies {
        let failures = admission::judge(policy, &request, "").unwrap_or_default();
        let Some(first) = failures.first() else {
            continue;
        };
        let name = &policy.name;
        if policy.actions.iter().any(|a| a == facts_admission::DENY) {
            refusal.get_or_insert_with(|| {
                format!("ValidatingAdmissionPolicy '{name}' with binding '{name}' denied request: {first}")
            });
        }
        if policy.actions.iter().any(|a| a == facts_admission::WARN) {
            warnings.extend(failures.iter().map(|m| {
                format!("Validation failed for ValidatingAdmissionPolicy '{name}' with binding '{name}': {m}")
            }));
        }
    }
    (refusal, warnings)
}

/// The guard's documents in a fake cluster's table (its `guard` line).
fn guard_of(table: &str) -> Vec<Value> {
    table
        .lines()
        .find_map(|l| l.strip_prefix("guard "))
        .map(|json| serde_json::from_str(json).expect("the guard line is JSON"))
        .unwrap_or_default()
}

/// Run by the fake kubectl (as `--exact support::fake_cluster::judge_pod`)
/// for each attacker pod, as the API server admits it: the Dapr injector's
/// mutation first, then Pod Security at the namespace's level, then the
/// admission guard of the table (validating admission plugins in the API
/// server's order, PodSecurity before ValidatingAdmissionPolicy, the first
/// refusal answering). FAKE_JUDGE_POD names the manifest,
/// FAKE_JUDGE_NAMESPACE its namespace, FAKE_JUDGE_LEVEL and
/// FAKE_JUDGE_VERSION the namespace's labels, FAKE_MODEL the table; the
/// answer goes to FAKE_JUDGE_OUT, the warnings (one a line) to
/// FAKE_JUDGE_WARNINGS. Run by the harness as a test, it judges pods of
/// its own.
#[test]
fn judge_pod() {
    if let Some(path) = std::env::var_os("FAKE_JUDGE_POD") {
        let manifest = std::fs::read_to_string(path).unwrap();
        let mut pod = harden::yaml::parse_stream(&manifest)
            .expect("the attacker pod parses")
            .remove(0);
        pod["metadata"]["namespace"] = json!(std::env::var("FAKE_JUDGE_NAMESPACE").unwrap());
        admission::inject(&mut pod, false);
        let level = std::env::var("FAKE_JUDGE_LEVEL").unwrap();
        let version = std::env::var("FAKE_JUDGE_VERSION").unwrap();
        let table = std::fs::read_to_string(std::env::var("FAKE_MODEL").unwrap()).unwrap();
        let (answer, warnings) = match judge(&pod, &level, &version) {
            Some(m) => (format!("violates PodSecurity {m}"), Vec::new()),
            None => {
                let (refusal, warnings) = judge_guard(&pod, &guard_of(&table));
                (refusal.unwrap_or_else(|| "admitted".into()), warnings)
            }
        };
        std::fs::write(std::env::var("FAKE_JUDGE_OUT").unwrap(), answer).unwrap();
        let warnings: String = warnings.iter().map(|w| format!("{w}\n")).collect();
        std::fs::write(std::env::var("FAKE_JUDGE_WARNINGS").unwrap(), warnings).unwrap();
        return;
    }
    let privileged = json!({"spec": {"containers": [{"name": "a", "image": "x",
        "securityContext": {"privileged": true}}]}});
    let message = judge(&privileged, "baseline", "v1.33").expect("refused");
    assert!(
        message.starts_with("\"baseline:v1.33\": privileged ("),
        "{message}"
    );
    assert_eq!(judge(&privileged, "-", "-"), None, "privileged admits all");
    let compliant = json!({"spec": {
        "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [{"name": "a", "image": "x", "securityContext": {
            "allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}]}});
    assert_eq!(judge(&compliant, "restricted", "v1.33"), None);
}

/// The digest reference a runtime reports for `image` (`imageID`, without
/// the `docker-pullable://` prefix): the repository, fully qualified, at
/// the pinned digest (a tag-only image at a made-up one).
fn image_id(image: &str) -> String {
    let repository = harden::platform::sigstore::qualified_repository(image);
    match image.split_once('@') {
        Some((_, digest)) => format!("{repository}@{digest}"),
        None => format!("{repository}@sha256:{}", "ab".repeat(32)),
    }
}
