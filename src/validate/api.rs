//! The `kubernetesApi` section: the RBAC rules granted to the app, the API
//! server it may reach and its token.

use super::{RBAC_VERBS, Validator, formats};
use crate::diagnostics::Problem;
use crate::model;
use crate::spec;

impl Validator {
    pub(super) fn api_access(&mut self, api: &spec::KubernetesApi) -> Option<model::ApiAccess> {
        if api.rules.is_empty() {
            if api.api_server.is_some() || api.token.is_some() {
                self.push(
                    Problem::new("kubernetesApi.rules", "is empty, so the API server settings would grant a token and egress nobody uses")
                        .help("add the rules the app needs, or remove the kubernetesApi section"),
                );
            }
            return None;
        }
        let rules: Vec<model::RbacRule> = api
            .rules
            .iter()
            .enumerate()
            .filter_map(|(i, rule)| self.rbac_rule(&format!("kubernetesApi.rules[{i}]"), rule))
            .collect();
        let (cidr, port) = self.api_server(api.api_server.as_ref());
        let token = api.token.clone().unwrap_or_default();
        let expiration_seconds = self.token(&token);
        if rules.len() != api.rules.len() {
            return None;
        }
        let grants_secrets = rules.iter().any(|rule| {
            rule.api_groups.iter().any(String::is_empty)
                && rule
                    .resources
                    .iter()
                    .any(|r| r.split('/').next() == Some("secrets"))
        });
        Some(model::ApiAccess {
            api_server_cidrs: cidr?,
            api_server_port: port?,
            api_server_entity: self.api_server_entity(),
            audience: token.audience,
            expiration_seconds,
            rules,
            grants_secrets,
        })
    }

    /// One RBAC rule: named groups, resources and verbs, never a wildcard.
    fn rbac_rule(&mut self, path: &str, rule: &spec::RbacRule) -> Option<model::RbacRule> {
        let mut ok = true;
        if rule.resources.is_empty() {
            self.push(
                Problem::new(format!("{path}.resources"), "is empty")
                    .help("list the resources, e.g. [configmaps]"),
            );
            ok = false;
        }
        if rule.verbs.is_empty() {
            self.push(
                Problem::new(format!("{path}.verbs"), "is empty")
                    .help("list the verbs, e.g. [get, list]"),
            );
            ok = false;
        }
        for (j, group) in rule.api_groups.iter().enumerate() {
            if group == "*" {
                self.push(
                    Problem::new(
                        format!("{path}.apiGroups[{j}]"),
                        "\"*\" grants every API group",
                    )
                    .help("name the API groups; \"\" is the core group"),
                );
                ok = false;
            } else if !group.is_empty() {
                ok &= self.check(
                    &format!("{path}.apiGroups[{j}]"),
                    group,
                    formats::dns1123_subdomain(group),
                    "use an API group name such as apps, or \"\" for the core group",
                );
            }
        }
        for (j, resource) in rule.resources.iter().enumerate() {
            ok &= self.rbac_resource(&format!("{path}.resources[{j}]"), resource);
        }
        for (j, verb) in rule.verbs.iter().enumerate() {
            if !RBAC_VERBS.contains(&verb.as_str()) {
                self.push(
                    Problem::new(format!("{path}.verbs[{j}]"), format!("{verb:?} is not a verb harden grants"))
                        .help(format!("use some of: {} (wildcards, escalate, bind and impersonate are never granted)", RBAC_VERBS.join(", "))),
                );
                ok = false;
            }
        }
        for (j, resource_name) in rule.resource_names.iter().enumerate() {
            ok &= self.check(
                &format!("{path}.resourceNames[{j}]"),
                resource_name,
                formats::dns1123_subdomain(resource_name),
                "use object names (DNS-1123 subdomains)",
            );
        }
        ok.then(|| model::RbacRule {
            api_groups: if rule.api_groups.is_empty() {
                vec![String::new()]
            } else {
                rule.api_groups.clone()
            },
            resources: rule.resources.clone(),
            resource_names: rule.resource_names.clone(),
            verbs: rule.verbs.clone(),
        })
    }

    /// A resource name such as `configmaps` or `pods/log`; no wildcard.
    fn rbac_resource(&mut self, field: &str, resource: &str) -> bool {
        if resource.contains('*') {
            self.push(
                Problem::new(field, format!("{resource:?} is a wildcard"))
                    .help("name each resource the app needs"),
            );
            return false;
        }
        let (base, sub) = resource.split_once('/').unwrap_or((resource, ""));
        let valid = formats::dns1123_label(base).is_ok()
            && (sub.is_empty() || formats::dns1123_label(sub).is_ok());
        if !valid {
            self.push(
                Problem::new(field, format!("{resource:?} is not a resource name"))
                    .help("use a lowercase plural resource name such as configmaps or pods/log"),
            );
        }
        valid
    }

    /// `kubernetesApi.apiServer`: the endpoint range and port for egress.
    /// The API server's endpoints: the spec's `apiServer`, else the cluster
    /// profile's (`cluster.apiServer`); under Cilium the `kube-apiserver`
    /// entity reaches it without an address.
    fn api_server(
        &mut self,
        server: Option<&spec::ApiServer>,
    ) -> (Option<Vec<String>>, Option<u32>) {
        let profile_port = self.profile.api_server_port;
        let unknown_port = || {
            Problem::new("kubernetesApi.apiServer.port", "is required: the cluster profile gives no API server port").help(
                "give the API server's endpoint port (policies match after Service translation: 6443 on kubeadm, kind and k3s, 443 on most managed clusters; `kubectl get endpointslice kubernetes -n default`), here or as cluster.apiServer.port, or name a cluster.preset",
            )
        };
        let Some(server) = server else {
            if !self.profile.api_server_cidrs.is_empty() || self.api_server_entity() {
                if profile_port.is_none() {
                    self.push(unknown_port());
                }
                return (Some(self.profile.api_server_cidrs.clone()), profile_port);
            }
            self.push(Problem::new("kubernetesApi.apiServer", "is required").help(
                "give the API server endpoint range for egress, e.g. apiServer: {cidr: 172.18.0.2/32, port: 6443} (see `kubectl get endpointslice kubernetes -n default`), or once for every spec as cluster.apiServer in harden.yaml",
            ));
            return (None, None);
        };
        let cidr = match &server.cidr {
            Some(cidr) => self
                .check(
                    "kubernetesApi.apiServer.cidr",
                    cidr,
                    formats::cidr(cidr).map(|_| ()),
                    "write a CIDR with no host bits set, e.g. 172.18.0.2/32",
                )
                .then(|| vec![cidr.clone()]),
            None if !self.profile.api_server_cidrs.is_empty() || self.api_server_entity() => {
                Some(self.profile.api_server_cidrs.clone())
            }
            None => {
                self.push(
                    Problem::new("kubernetesApi.apiServer.cidr", "is required")
                        .help("give the API server endpoint address as a CIDR, e.g. 172.18.0.2/32"),
                );
                None
            }
        };
        // 443 stays the default where the spec names its own range (as
        // before profiles); from the profile alone the port must be known.
        let Some(port) = server
            .port
            .or(profile_port)
            .or(server.cidr.is_some().then_some(443))
        else {
            self.push(unknown_port());
            return (cidr, None);
        };
        if (1..=65535).contains(&port) {
            return (cidr, Some(port));
        }
        self.push(
            Problem::new(
                "kubernetesApi.apiServer.port",
                format!("{port} is out of range"),
            )
            .help("use the API server's endpoint port, usually 443 or 6443"),
        );
        (cidr, None)
    }

    /// `kubernetesApi.token`: returns the expiration, defaulted.
    fn token(&mut self, token: &spec::TokenSettings) -> u64 {
        let expiration_seconds = token
            .expiration_seconds
            .unwrap_or(model::DEFAULT_TOKEN_EXPIRATION);
        if !(600..=86_400).contains(&expiration_seconds) {
            self.push(
                Problem::new(
                    "kubernetesApi.token.expirationSeconds",
                    format!("{expiration_seconds} is out of range"),
                )
                .help("use 600 (the Kubernetes minimum) to 86400 seconds"),
            );
        }
        if let Some(audience) = &token.audience {
            self.check(
                "kubernetesApi.token.audience",
                audience,
                formats::plain_text(audience),
                "write the audience on one line",
            );
        }
        expiration_seconds
    }
}
