//! Tests of [`super`]: kept apart so the module reads as code.

use super::*;

fn hostname_policy(hosts: &[&str]) -> String {
    let mut text = String::from(
        "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: shop-egress-hosts\n  namespace: shop\nspec:\n  endpointSelector:\n    matchLabels:\n      k8s:app.kubernetes.io/name: shop\n  egress:\n    - toFQDNs:\n",
    );
    for host in hosts {
        let key = if host.contains('*') {
            "matchPattern"
        } else {
            "matchName"
        };
        text.push_str(&format!("        - {key}: \"{host}\"\n"));
    }
    text.push_str("      toPorts:\n        - ports:\n            - port: \"443\"\n              protocol: TCP\n");
    text
}

fn egress_policy(peer: &str) -> String {
    format!(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: app-egress, namespace: app}}\n\
         spec:\n  podSelector: {{matchLabels: {{app: a}}}}\n  policyTypes: [Egress]\n  egress:\n  - to:\n    - namespaceSelector: {{matchLabels: {{kubernetes.io/metadata.name: db}}}}\n{peer}    ports: [{{port: 5432}}]\n"
    )
}

#[test]
fn a_flow_still_allowed_by_a_wider_grant_is_reported_once() {
    let pods = egress_policy("      podSelector: {matchLabels: {cnpg.io/cluster: claims-db}}\n");
    let namespace = egress_policy("");
    let widened = compare(
        std::slice::from_ref(&pods),
        std::slice::from_ref(&namespace),
    );
    assert_eq!(widened.len(), 1, "{widened:?}");
    assert_eq!(widened[0].direction, Direction::Widened);
    assert!(
        widened[0].detail.contains("pods * in namespace db"),
        "{widened:?}"
    );
    // Back again: the whole namespace is no longer reachable, once.
    let narrowed = compare(&[namespace], &[pods]);
    assert_eq!(narrowed.len(), 1, "{narrowed:?}");
    assert_eq!(narrowed[0].direction, Direction::Narrowed);
}

#[test]
fn a_dns_name_and_its_search_list_forms_are_one_line() {
    let facts: Vec<String> = [
        "*.openai.com",
        "*.openai.com.app.svc.cluster.local.",
        "*.openai.com.svc.cluster.local.",
        "other.example",
    ]
    .iter()
    .map(|n| format!("pods a in app may look up {n} (policy p)"))
    .collect();
    let refs: Vec<&String> = facts.iter().collect();
    assert_eq!(
        fold_search_forms(&refs),
        [
            "pods a in app may look up *.openai.com (and 2 search-list forms) (policy p)",
            "pods a in app may look up other.example (policy p)"
        ]
    );
}

#[test]
fn hostnames_widen_when_added_or_replaced_by_a_wildcard() {
    let one = hostname_policy(&["api.stripe.com"]);
    let two = hostname_policy(&["api.stripe.com", "files.stripe.com"]);
    let added = compare(std::slice::from_ref(&one), std::slice::from_ref(&two));
    assert_eq!(added.len(), 1, "{added:?}");
    assert_eq!(
        added[0].to_string(),
        "widened   egress: pods app.kubernetes.io/name=shop in shop may reach host files.stripe.com on TCP/443 (policy shop-egress-hosts)"
    );
    let removed = compare(std::slice::from_ref(&two), std::slice::from_ref(&one));
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0].direction, Direction::Narrowed);
    let wildcard = hostname_policy(&["*.stripe.com"]);
    let wider = compare(&[two], &[wildcard]);
    assert_eq!(wider.len(), 1, "{wider:?}");
    assert_eq!(wider[0].direction, Direction::Widened);
    assert!(
        wider[0]
            .detail
            .ends_with("any host matching *.stripe.com on TCP/443 (policy shop-egress-hosts); wider than api.stripe.com, files.stripe.com, which it replaces"),
        "{}",
        wider[0].detail
    );
    // A pattern does not cover its own domain: stripe.com stays a removal.
    let apex = hostname_policy(&["stripe.com"]);
    let other = compare(&[apex], &[hostname_policy(&["*.stripe.com"])]);
    assert_eq!(
        other.iter().map(|i| i.direction).collect::<Vec<_>>(),
        [Direction::Widened, Direction::Narrowed]
    );
}

/// The one pod-template walker: a CronJob's template annotations and a
/// List's items are read (the old walker read `spec.template` of every
/// kind and skipped Lists).
#[test]
fn cron_job_templates_and_list_items_are_read() {
    let cron = |annotations: &str| {
        format!(
            "apiVersion: batch/v1\nkind: CronJob\nmetadata: {{name: c, namespace: n}}\nspec:\n  jobTemplate:\n    spec:\n      template:\n        metadata:\n          annotations: {annotations}\n        spec:\n          automountServiceAccountToken: false\n          containers: []\n"
        )
    };
    let changes = compare(&[cron("{}")], &[cron("{dapr.io/enabled: \"true\"}")]);
    assert!(
        changes.iter().any(|i| i.direction == Direction::Widened
            && i.detail.contains("does not log Dapr API calls")),
        "{changes:?}"
    );
    let list = |privileged: bool| {
        format!(
            "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Pod\n    metadata: {{name: p, namespace: n}}\n    spec:\n      containers:\n        - name: c\n          securityContext: {{privileged: {privileged}}}\n"
        )
    };
    let changes = compare(&[list(false)], &[list(true)]);
    assert!(
        changes.iter().any(|i| i.direction == Direction::Widened
            && i.detail.ends_with("container c is privileged")),
        "{changes:?}"
    );
}

#[test]
fn pod_security_level_changes_have_a_direction() {
    let namespace = |level: &str| {
        format!(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  labels:\n    pod-security.kubernetes.io/enforce: {level}\n"
        )
    };
    let weaker = compare(&[namespace("restricted")], &[namespace("baseline")]);
    assert_eq!(
        weaker[0].to_string(),
        "widened   pod security level: namespace a enforce: restricted -> baseline"
    );
    let stronger = compare(&[namespace("privileged")], &[namespace("restricted")]);
    assert_eq!(stronger[0].direction, Direction::Narrowed);
}

/// A Service opened to the outside (a node port, a load balancer, external
/// IPs) widens; a ClusterIP Service grants nothing.
#[test]
fn a_service_opened_outside_the_cluster_widens() {
    let service = |spec: &str| {
        format!(
            "apiVersion: v1\nkind: Service\nmetadata: {{name: s, namespace: ns}}\nspec: {spec}\n"
        )
    };
    let changes = compare(
        &[service("{type: ClusterIP}")],
        &[service("{type: NodePort, externalIPs: [203.0.113.7]}")],
    );
    let lines: Vec<String> = changes.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "widened   exposure: Service ns/s is reachable from outside the cluster (type NodePort)",
            "widened   exposure: Service ns/s is reachable on external IP 203.0.113.7",
        ]
    );
    assert!(compare(&[], &[service("{}")]).is_empty());
}

/// A deleted default deny widens (its pods are no longer isolated); a
/// policy whose pods another policy still isolates does not; a new one
/// narrows.
#[test]
fn isolation_that_ends_widens() {
    let policy = |name: &str, selector: &str| {
        format!(
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: {name}, namespace: ns}}\nspec:\n  podSelector: {selector}\n  policyTypes: [Ingress]\n"
        )
    };
    let deny = policy("deny", "{}");
    let app = policy("app", "{matchLabels: {app: a}}");
    let lines = |before: &[String], after: &[String]| -> Vec<String> {
        compare(before, after)
            .iter()
            .map(ToString::to_string)
            .collect()
    };
    assert_eq!(
        lines(&[deny.clone(), app.clone()], std::slice::from_ref(&app)),
        ["widened   ingress: no longer isolated: pods * in ns (ingress only as a policy allows)"]
    );
    assert!(lines(&[deny.clone(), app.clone()], std::slice::from_ref(&deny)).is_empty());
    assert_eq!(
        lines(&[], &[app]),
        ["narrowed  ingress: isolated: pods app=a in ns (ingress only as a policy allows)"]
    );
}

/// A ClusterImagePolicy as harden renders it, with `identity` and `glob`.
fn image_policy(glob: &str, identity: &str) -> String {
    format!(
        "apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata:\n  name: shop-shop\nspec:\n  mode: enforce\n  images:\n    - glob: \"{glob}\"\n  authorities:\n    - name: shop\n      keyless:\n        url: https://fulcio.sigstore.dev\n        identities:\n          - {identity}\n      attestations:\n        - name: sbom\n          predicateType: https://cyclonedx.org/bom\n"
    )
}

const GLOB: &str = "ghcr.io/acme/shop@sha256:*";
const EXACT: &str = "{issuer: \"https://token.actions.githubusercontent.com\", subject: \"https://github.com/acme/shop/.github/workflows/release.yml@refs/heads/main\"}";

fn signature_impacts(before: &str, after: &str) -> Vec<(Direction, String)> {
    compare(&[before.to_string()], &[after.to_string()])
        .into_iter()
        .filter(|i| i.area == "image signature")
        .map(|i| (i.direction, i.detail))
        .collect()
}

#[test]
fn a_removed_signature_policy_widens() {
    let impacts = signature_impacts(&image_policy(GLOB, EXACT), "");
    assert_eq!(impacts.len(), 1, "{impacts:?}");
    assert_eq!(impacts[0].0, Direction::Widened);
    assert!(
        impacts[0]
            .1
            .contains("ClusterImagePolicy shop-shop removed"),
        "{impacts:?}"
    );
    // Added back, it narrows.
    let impacts = signature_impacts("", &image_policy(GLOB, EXACT));
    assert_eq!(impacts[0].0, Direction::Narrowed);
}

#[test]
fn a_subject_regexp_another_issuer_and_a_wider_glob_widen() {
    let before = image_policy(GLOB, EXACT);
    for (after, expected) in [
        (
            image_policy(GLOB, "{issuer: \"https://token.actions.githubusercontent.com\", subjectRegExp: \"^https://github.com/acme/.*$\"}"),
            "-> issuer https://token.actions.githubusercontent.com subjectRegExp",
        ),
        (
            image_policy(GLOB, "{issuer: \"https://accounts.google.com\", subject: \"https://github.com/acme/shop/.github/workflows/release.yml@refs/heads/main\"}"),
            "accepts signatures by issuer https://accounts.google.com",
        ),
        (
            image_policy("ghcr.io/acme/**", EXACT),
            "glob ghcr.io/acme/** matches more than one repository",
        ),
        (
            image_policy(GLOB, EXACT).replace("mode: enforce", "mode: warn"),
            "mode: enforce -> warn",
        ),
        (
            image_policy(GLOB, EXACT).replace("      attestations:\n        - name: sbom\n          predicateType: https://cyclonedx.org/bom\n", ""),
            "no longer requires the attestation https://cyclonedx.org/bom",
        ),
    ] {
        let impacts = signature_impacts(&before, &after);
        assert!(
            impacts
                .iter()
                .any(|(d, detail)| *d == Direction::Widened && detail.contains(expected)),
            "{expected}: {impacts:?}"
        );
    }
}

#[test]
fn another_exact_subject_of_the_same_issuer_is_a_change_not_a_widening() {
    let after = image_policy(
        GLOB,
        "{issuer: \"https://token.actions.githubusercontent.com\", subject: \"https://github.com/acme/shop/.github/workflows/deploy.yml@refs/heads/main\"}",
    );
    let impacts = signature_impacts(&image_policy(GLOB, EXACT), &after);
    assert!(
        impacts.iter().all(|(d, _)| *d != Direction::Widened),
        "{impacts:?}"
    );
    assert!(
        impacts.iter().any(|(d, _)| *d == Direction::Changed),
        "{impacts:?}"
    );
}

#[test]
fn a_namespace_leaving_the_policy_controller_widens() {
    let labelled = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    policy.sigstore.dev/include: \"true\"\n";
    let plain = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n";
    let impacts = signature_impacts(labelled, plain);
    assert_eq!(impacts.len(), 1, "{impacts:?}");
    assert_eq!(impacts[0].0, Direction::Widened);
}

fn dapr_configuration(spec: &str) -> String {
    format!(
        "apiVersion: dapr.io/v1alpha1\nkind: Configuration\nmetadata: {{name: app-config, namespace: app}}\nspec:\n{spec}"
    )
}

fn dapr_impacts(before: &str, after: &str) -> Vec<String> {
    compare(&[dapr_configuration(before)], &[dapr_configuration(after)])
        .iter()
        .map(ToString::to_string)
        .collect()
}

const STATE: &str = "  api:\n    allowed:\n      - {name: state, version: v1, protocol: http}\n      - {name: state, version: v1, protocol: grpc}\n  secrets:\n    scopes:\n      - {storeName: vault, defaultAccess: deny, allowedSecrets: [a]}\n";

#[test]
fn an_api_added_to_the_allowlist_widens_and_removed_narrows() {
    let with_publish = STATE.replace(
        "      - {name: state, version: v1, protocol: grpc}\n",
        "      - {name: state, version: v1, protocol: grpc}\n      - {name: publish, version: v1, protocol: grpc}\n",
    );
    let widened = dapr_impacts(STATE, &with_publish);
    assert_eq!(
        widened,
        [
            "widened   dapr api: configuration app/app-config lets the app call the publish v1 API over grpc"
        ]
    );
    let narrowed = dapr_impacts(&with_publish, STATE);
    assert_eq!(narrowed.len(), 1);
    assert!(
        narrowed[0].starts_with("narrowed  dapr api:"),
        "{narrowed:?}"
    );
}

#[test]
fn an_allowlist_where_there_was_none_only_narrows() {
    let impacts = dapr_impacts("  secrets: {scopes: []}\n", STATE);
    assert!(!impacts.is_empty());
    assert!(
        impacts
            .iter()
            .all(|i| i.starts_with("narrowed  dapr api:") || i.contains("secret a of store vault")),
        "{impacts:?}"
    );
    assert!(
        impacts
            .iter()
            .any(|i| i.contains("the invoke v1 API over http"))
    );
    // Scoping secrets where every one was readable narrows only.
    let impacts = dapr_impacts(
        "  api:\n    allowed:\n      - {name: state, version: v1, protocol: http}\n      - {name: state, version: v1, protocol: grpc}\n",
        STATE,
    );
    assert_eq!(
        impacts,
        [
            "narrowed  dapr secrets: no longer: configuration app/app-config lets the app read every secret of every store"
        ]
    );
}

#[test]
fn a_secret_or_an_operation_added_widens() {
    let more = STATE.replace("allowedSecrets: [a]", "allowedSecrets: [a, b]");
    assert_eq!(
        dapr_impacts(STATE, &more),
        [
            "widened   dapr secrets: configuration app/app-config lets the app read secret b of store vault"
        ]
    );
    let policy = |ops: &str| {
        format!(
            "{STATE}  accessControl:\n    defaultAction: deny\n    policies:\n      - appId: web\n        namespace: web\n        trustDomain: public\n        defaultAction: deny\n        operations:\n{ops}"
        )
    };
    let one = policy("          - {name: /orders, httpVerb: [GET], action: allow}\n");
    let two = policy("          - {name: /orders, httpVerb: [GET, POST], action: allow}\n");
    assert_eq!(
        dapr_impacts(&one, &two),
        [
            "widened   dapr invocation: configuration app/app-config lets app-id web from web invoke operation /orders with POST"
        ]
    );
    // From the whole app to one operation: narrowed only.
    let whole = format!(
        "{STATE}  accessControl:\n    defaultAction: deny\n    policies:\n      - {{appId: web, namespace: web, trustDomain: public, defaultAction: allow}}\n"
    );
    assert_eq!(
        dapr_impacts(&whole, &one),
        [
            "narrowed  dapr invocation: no longer: configuration app/app-config lets app-id web from web invoke"
        ]
    );
}

/// A Dapr app with actors in namespace `app`, and its WorkflowAccessPolicy
/// with `rules` (none: no policy).
fn workflow_manifests(rules: Option<&str>) -> Vec<String> {
    let mut manifests = vec![
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: orders, namespace: app}\nspec:\n  template:\n    metadata:\n      annotations: {dapr.io/enabled: \"true\", dapr.io/app-id: orders}\n    spec:\n      containers: [{name: orders, image: x}]\n".to_string(),
    ];
    if let Some(rules) = rules {
        manifests.push(format!(
            "apiVersion: dapr.io/v1alpha1\nkind: WorkflowAccessPolicy\nmetadata: {{name: orders-workflow-access, namespace: app}}\nscopes: [orders]\nspec:\n  rules:\n{rules}"
        ));
    }
    manifests
}

fn workflow_impacts(before: Option<&str>, after: Option<&str>) -> Vec<String> {
    compare(&workflow_manifests(before), &workflow_manifests(after))
        .iter()
        .map(ToString::to_string)
        .collect()
}

const SHIPPING_GETS: &str =
    "    - callers: [{appID: shipping}]\n      workflows: [{name: Order*, operations: [get]}]\n";

#[test]
fn a_workflow_caller_or_operation_added_widens_and_removed_narrows() {
    let raise = SHIPPING_GETS.replace("[get]", "[get, raise]");
    assert_eq!(
        workflow_impacts(Some(SHIPPING_GETS), Some(&raise)),
        [
            "widened   dapr workflows: workflows of app-id orders in app admits app-id shipping to raise workflow Order*"
        ]
    );
    assert_eq!(
        workflow_impacts(Some(&raise), Some(SHIPPING_GETS)),
        [
            "narrowed  dapr workflows: no longer: workflows of app-id orders in app admits app-id shipping to raise workflow Order*"
        ]
    );
    let billing = format!(
        "{SHIPPING_GETS}    - callers: [{{appID: billing}}]\n      activities: [{{name: Charge}}]\n"
    );
    assert_eq!(
        workflow_impacts(Some(SHIPPING_GETS), Some(&billing)),
        [
            "widened   dapr workflows: workflows of app-id orders in app admits app-id billing to schedule activity Charge"
        ]
    );
}

#[test]
fn the_first_workflow_policy_narrows_and_removing_it_widens() {
    let added = workflow_impacts(None, Some(SHIPPING_GETS));
    assert_eq!(
        added,
        [
            "narrowed  dapr workflows: no longer: workflows of app-id orders in app is open to every other app-id"
        ]
    );
    let removed = workflow_impacts(Some(SHIPPING_GETS), None);
    assert_eq!(
        removed,
        [
            "widened   dapr workflows: workflows of app-id orders in app is open to every other app-id"
        ]
    );
}
