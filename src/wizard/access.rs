//! The Kubernetes API questions of `harden init`: the RBAC rules, the API
//! server's endpoint where neither the cluster profile nor the workspace
//! gives it, and the token lifetime (`kubernetesApi`).

use super::asker::{Asker, WizardError, name_of, problem_at};
use super::output::{output_path, workspace_cluster};
use crate::cli::InitArgs;
use crate::spec::{self, Spec};

fn api(s: &mut Spec) -> &mut spec::KubernetesApi {
    s.kubernetes_api.get_or_insert_with(Default::default)
}

fn rule(s: &mut Spec, index: usize) -> &mut spec::RbacRule {
    &mut api(s).rules[index]
}

/// `kubernetesApi`: the RBAC rules, the API server's endpoint where neither
/// the cluster profile nor the workspace gives it, and the token lifetime.
pub(super) fn api_questions(
    spec: &mut Spec,
    args: &InitArgs,
    asker: &Asker<'_>,
) -> Result<(), WizardError> {
    if spec.kubernetes_api.is_some()
        || !asker.confirm(
            "Does the app call the Kubernetes API (a Role in its namespace and an expiring token)?",
            false,
        )?
    {
        return Ok(());
    }
    loop {
        let index = api(spec).rules.len();
        api(spec).rules.push(spec::RbacRule::default());
        asker.text(
            spec,
            "  API group of the resources (empty: the core group; e.g. apps)",
            Some(String::new()),
            &format!("kubernetesApi.rules[{index}].apiGroups"),
            move |s, a| rule(s, index).api_groups = vec![a.to_string()],
        )?;
        asker.text(
            spec,
            "  Resources, comma-separated (e.g. configmaps)",
            None,
            &format!("kubernetesApi.rules[{index}].resources"),
            move |s, a| rule(s, index).resources = crate::cli::init::split_list(a),
        )?;
        asker.text(
            spec,
            "  Names of the objects it may use, comma-separated (empty: every one)",
            Some(String::new()),
            &format!("kubernetesApi.rules[{index}].resourceNames"),
            move |s, a| rule(s, index).resource_names = crate::cli::init::split_list(a),
        )?;
        asker.text(
            spec,
            "  Verbs, comma-separated (e.g. get,list,watch)",
            None,
            &format!("kubernetesApi.rules[{index}].verbs"),
            move |s, a| rule(s, index).verbs = crate::cli::init::split_list(a),
        )?;
        if !asker.confirm("  Add another API rule?", false)? {
            break;
        }
    }
    let name = name_of(spec).unwrap_or_default().to_string();
    let shared = workspace_cluster(&output_path(args, &name))
        .and_then(|c| c.api_server)
        .is_some_and(|a| a.cidrs.is_some());
    if !shared && problem_at(spec, "kubernetesApi.apiServer").is_some() {
        asker.text(
            spec,
            "  API server endpoint as a CIDR (kubectl get endpointslice kubernetes -n default), e.g. 172.18.0.2/32",
            None,
            "kubernetesApi.apiServer.cidr",
            |s, a| api(s).api_server.get_or_insert_with(Default::default).cidr = Some(a.into()),
        )?;
        asker.text(
            spec,
            "  API server endpoint port (6443 on kubeadm, kind, k3s; 443 on most managed clusters; empty: the cluster profile's)",
            Some(String::new()),
            "kubernetesApi.apiServer.port",
            |s, a| {
                api(s).api_server.get_or_insert_with(Default::default).port =
                    (!a.is_empty()).then(|| a.parse().unwrap_or(0))
            },
        )?;
    }
    let default = crate::model::DEFAULT_TOKEN_EXPIRATION;
    asker.text(
        spec,
        "  Token lifetime in seconds",
        Some(default.to_string()),
        "kubernetesApi.token",
        move |s, a| {
            api(s).token = match a.parse::<u64>() {
                Ok(seconds) if seconds == default => None,
                Ok(seconds) => Some(spec::TokenSettings {
                    expiration_seconds: Some(seconds),
                    ..Default::default()
                }),
                Err(_) => Some(spec::TokenSettings {
                    expiration_seconds: Some(0),
                    ..Default::default()
                }),
            }
        },
    )?;
    Ok(())
}
