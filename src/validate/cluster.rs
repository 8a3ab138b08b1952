//! The `cluster` section (in a spec or in `harden.yaml`): the cluster
//! profile, checked and resolved into [`cluster::Profile`], a preset's facts
//! with each declared field laid over them.

use super::{Validator, formats};
use crate::diagnostics::Problem;
use crate::platform::{cluster, dapr};
use crate::spec;

/// Checks a cluster section and resolves it; `problems` holds what is wrong
/// (paths start at `cluster`). Used for a spec (merged over its workspace's)
/// and for `harden.yaml` alone.
pub fn resolve(section: Option<&spec::Cluster>) -> (cluster::Profile, Vec<Problem>) {
    let mut v = Validator::default();
    let profile = v.cluster(section);
    (profile, v.problems)
}

impl Validator {
    pub(super) fn cluster(&mut self, section: Option<&spec::Cluster>) -> cluster::Profile {
        let Some(section) = section else {
            return cluster::Profile::default();
        };
        let mut profile = match section.preset.as_deref() {
            None => cluster::Profile::default(),
            Some(name) => match cluster::Preset::parse(name) {
                Some(preset) => cluster::Profile::preset(preset),
                None => {
                    self.push(
                        Problem::new(
                            "cluster.preset",
                            format!("{name:?} is not a preset harden knows"),
                        )
                        .help(format!(
                            "use one of {}, or leave the preset out and set cluster.dns, cluster.apiServer and cluster.cni",
                            cluster::Preset::names()
                        )),
                    );
                    cluster::Profile::default()
                }
            },
        };
        if let Some(cni) = section.cni.as_deref() {
            match cluster::Cni::parse(cni) {
                Some(cni) => profile.cni = cni,
                None => self.push(
                    Problem::new("cluster.cni", format!("{cni:?} is not a CNI harden knows"))
                        .help("use any, cilium or calico"),
                ),
            }
        }
        if let Some(domain) = &section.domain
            && self.check(
                "cluster.domain",
                domain,
                formats::dns1123_subdomain(domain),
                "write the cluster domain kubelet is run with, e.g. cluster.local",
            )
        {
            profile.domain = domain.trim_end_matches('.').to_string();
        }
        if let Some(domains) = &section.search_domains {
            for (i, domain) in domains.iter().enumerate() {
                if self.check(
                    &format!("cluster.searchDomains[{i}]"),
                    domain,
                    formats::dns1123_subdomain(domain.trim_end_matches('.')),
                    "write a DNS domain from the nodes' /etc/resolv.conf search line, e.g. corp.example.com",
                ) {
                    profile
                        .search_domains
                        .push(domain.trim_end_matches('.').to_string());
                }
            }
        }
        if let Some(dns) = &section.dns {
            self.cluster_dns(dns, &mut profile);
        }
        if let Some(api) = &section.api_server {
            for (i, cidr) in api.cidrs.iter().flatten().enumerate() {
                if self.check(
                    &format!("cluster.apiServer.cidrs[{i}]"),
                    cidr,
                    formats::cidr(cidr).map(|_| ()),
                    "write an endpoint address of the API server as a CIDR, e.g. 172.18.0.2/32 (`kubectl get endpointslice kubernetes -n default`)",
                ) {
                    profile.api_server_cidrs.push(cidr.clone());
                }
            }
            if let Some(port) = api.port {
                if (1..=65535).contains(&port) {
                    profile.api_server_port = Some(port);
                } else {
                    self.push(
                        Problem::new("cluster.apiServer.port", format!("{port} is out of range"))
                            .help("use the API server's endpoint port, usually 443 or 6443"),
                    );
                }
            }
        }
        if let Some(version) = &section.dapr_version {
            if dapr::Version::parse(version).is_some() {
                profile.dapr_version = Some(version.clone());
            } else {
                self.push(
                    Problem::new(
                        "cluster.daprVersion",
                        format!("{version:?} is not a Dapr version harden has verified"),
                    )
                    .help(format!(
                        "use one of {} (the control plane's minor version: `kubectl get deploy dapr-operator -n dapr-system -o jsonpath='{{..image}}'`)",
                        dapr::Version::SUPPORTED.map(|(n, _)| n).join(", ")
                    )),
                );
            }
        }
        if let Some(version) = &section.external_secrets_version {
            match parse_minor(version) {
                Some(release) => {
                    profile.external_secrets_version = Some(version.clone());
                    if release < cluster::EXTERNAL_SECRETS_V1_FROM {
                        profile.external_secrets_api = cluster::ExternalSecretsApi::V1beta1;
                    }
                }
                None => self.push(
                    Problem::new(
                        "cluster.externalSecretsVersion",
                        format!("{version:?} is not a release number"),
                    )
                    .help("write the operator's major and minor release, e.g. 0.16"),
                ),
            }
        }
        profile
    }

    fn cluster_dns(&mut self, dns: &spec::ClusterDns, profile: &mut cluster::Profile) {
        if dns.namespace.is_some() || dns.pod_labels.is_some() {
            let mut pods = profile.dns.pods.clone().unwrap_or(cluster::DnsPods {
                namespace: String::new(),
                labels: Vec::new(),
            });
            if let Some(namespace) = &dns.namespace
                && self.check(
                    "cluster.dns.namespace",
                    namespace,
                    formats::dns1123_label(namespace),
                    "write the namespace of the DNS pods, e.g. kube-system",
                )
            {
                pods.namespace = namespace.clone();
            }
            if let Some(labels) = &dns.pod_labels {
                if labels.is_empty() {
                    self.push(
                        Problem::new(
                            "cluster.dns.podLabels",
                            "is empty, which would select every pod of the namespace",
                        )
                        .help("give the DNS pods' labels, e.g. {k8s-app: kube-dns}"),
                    );
                }
                let mut ok = true;
                for (key, value) in labels {
                    let path = format!("cluster.dns.podLabels.{key}");
                    ok &= self.check(
                        &path,
                        key,
                        formats::label_key(key),
                        "write a label key, e.g. k8s-app",
                    );
                    ok &= self.check(
                        &path,
                        value,
                        formats::label_value(value),
                        "write a label value, e.g. kube-dns",
                    );
                }
                if ok {
                    pods.labels = labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                }
            }
            profile.dns.pods = Some(pods);
            profile.dns.source = "cluster.dns";
        }
        if let Some(port) = dns.port {
            if (1..=65535).contains(&port) {
                profile.dns.port = port;
            } else {
                self.push(
                    Problem::new("cluster.dns.port", format!("{port} is out of range"))
                        .help("use the DNS pods' container port, 53 (or 5353 on OpenShift)"),
                );
            }
        }
        let addresses = [
            (
                "nodeLocalAddress",
                cluster::AddressKind::Node,
                &dns.node_local_address,
                "NodeLocal DNSCache (cluster.dns.nodeLocalAddress): a hostNetwork cache on every node; kubernetes/kubernetes cluster/addons/dns/nodelocaldns/README.md",
                "write the address NodeLocal DNSCache listens on, e.g. 169.254.20.10",
            ),
            (
                "serviceAddress",
                cluster::AddressKind::Service,
                &dns.service_address,
                "the DNS Service's cluster IP (cluster.dns.serviceAddress): with NodeLocal DNSCache under kube-proxy's iptables mode the cache answers there untranslated, so the README of cluster/addons/dns/nodelocaldns recommends an ipBlock for it",
                "write the DNS Service's cluster IP, e.g. 10.96.0.10 (`kubectl get service kube-dns -n kube-system -o jsonpath='{.spec.clusterIP}'`)",
            ),
        ];
        for (position, (field, kind, address, why, help)) in addresses.into_iter().enumerate() {
            let Some(address) = address else { continue };
            match address.parse::<std::net::IpAddr>() {
                Ok(ip) => {
                    let address = ip.to_string();
                    profile.dns.addresses.retain(|a| a.address != address);
                    let at = position.min(profile.dns.addresses.len());
                    profile.dns.addresses.insert(
                        at,
                        cluster::DnsAddress {
                            address,
                            why: why.to_string(),
                            kind,
                        },
                    );
                }
                Err(_) => self.push(
                    Problem::new(
                        format!("cluster.dns.{field}"),
                        format!("{address:?} is not an IP address"),
                    )
                    .help(help),
                ),
            }
        }
    }
}

/// `major.minor` as numbers.
fn parse_minor(text: &str) -> Option<(u32, u32)> {
    let (major, minor) = text.split_once('.')?;
    let number = |part: &str| {
        (!part.is_empty() && part.len() <= 4 && part.bytes().all(|b| b.is_ascii_digit()))
            .then(|| part.parse().ok())
            .flatten()
    };
    Some((number(major)?, number(minor)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(yaml: &str) -> spec::Cluster {
        crate::yaml::parse_document::<spec::Cluster>(yaml)
            .unwrap()
            .value
    }

    #[test]
    fn a_node_local_address_is_opened_before_the_preset_s_own() {
        let (profile, problems) = resolve(Some(&section(
            "preset: kubeadm\ndns: {nodeLocalAddress: 169.254.20.10}\n",
        )));
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(profile.dns.addresses[0].cidr(), "169.254.20.10/32");
        assert!(profile.dns.pods.is_some());
    }

    #[test]
    fn the_dns_service_address_is_opened_for_node_local_dns_in_iptables_mode() {
        let (profile, problems) = resolve(Some(&section(
            "dns: {nodeLocalAddress: 169.254.20.10, serviceAddress: 10.96.0.10}\n",
        )));
        assert!(problems.is_empty(), "{problems:?}");
        let cidrs: Vec<String> = profile.dns.addresses.iter().map(|a| a.cidr()).collect();
        assert_eq!(cidrs, ["169.254.20.10/32", "10.96.0.10/32"]);
        let (_, problems) = resolve(Some(&section("dns: {serviceAddress: kube-dns}\n")));
        assert_eq!(problems[0].path, "cluster.dns.serviceAddress");
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let (_, problems) = resolve(Some(&section(
            "preset: minikube\ncni: weave\ndomain: \"Bad_Domain\"\ndns: {port: 70000, nodeLocalAddress: nope}\napiServer: {cidrs: [10.0.0.1/8]}\ndaprVersion: \"1.9\"\nexternalSecretsVersion: latest\n",
        )));
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "cluster.preset",
                "cluster.cni",
                "cluster.domain",
                "cluster.dns.port",
                "cluster.dns.nodeLocalAddress",
                "cluster.apiServer.cidrs[0]",
                "cluster.daprVersion",
                "cluster.externalSecretsVersion"
            ]
        );
    }

    #[test]
    fn external_secrets_before_0_16_gets_v1beta1() {
        let (old, _) = resolve(Some(&section("externalSecretsVersion: \"0.15\"\n")));
        assert_eq!(
            old.external_secrets_api,
            cluster::ExternalSecretsApi::V1beta1
        );
        let (new, _) = resolve(Some(&section("externalSecretsVersion: \"0.16\"\n")));
        assert_eq!(new.external_secrets_api, cluster::ExternalSecretsApi::V1);
        for bad in ["+0.15", "0.", "1.2.3", " 0.15"] {
            let (_, problems) = resolve(Some(&section(&format!(
                "externalSecretsVersion: \"{bad}\"\n"
            ))));
            assert_eq!(problems.len(), 1, "{bad}");
        }
    }
}
