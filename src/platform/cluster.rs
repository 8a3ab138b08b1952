//! The cluster profile: the facts of the target cluster that the output
//! depends on (where pods send DNS, the cluster domain, the node's search
//! domains, how the API server is reached, which CNI enforces policy, the
//! Dapr and External Secrets versions), declared once as `cluster:` in
//! `harden.yaml` (a spec may override any field with its own `cluster:`).
//!
//! A preset fixes what a distribution fixes; the fields say what it does not.
//! Without a profile harden assumes a kubeadm-like cluster (the kube-dns
//! pods, `cluster.local`, any CNI), as before profiles existed. Each
//! preset's facts carry the upstream document or source they were read
//! from; a fact that could not be verified says so (`UNVERIFIED`), and the
//! posture document lists every fact the output depends on ("Cluster
//! assumptions") so a reviewer can hold it against the real cluster, and the
//! live audit's preflight reads the cluster and compares.

use serde::Serialize;

use super::kubernetes;

/// A named distribution whose DNS and API-server facts harden knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Preset {
    Kubeadm,
    Kind,
    K3s,
    Gke,
    GkeAutopilot,
    Eks,
    Aks,
    Openshift,
}

impl Preset {
    /// Every preset, as written in `cluster.preset`.
    pub const ALL: [(&'static str, Preset); 8] = [
        ("kubeadm", Preset::Kubeadm),
        ("kind", Preset::Kind),
        ("k3s", Preset::K3s),
        ("gke", Preset::Gke),
        ("gke-autopilot", Preset::GkeAutopilot),
        ("eks", Preset::Eks),
        ("aks", Preset::Aks),
        ("openshift", Preset::Openshift),
    ];

    pub fn parse(text: &str) -> Option<Preset> {
        Self::ALL.iter().find(|(n, _)| *n == text).map(|(_, p)| *p)
    }

    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, p)| *p == self)
            .map_or("?", |(n, _)| n)
    }

    /// The names, for help texts.
    pub fn names() -> String {
        Self::ALL.map(|(n, _)| n).join(", ")
    }

    /// Where the preset's pods send DNS, as the preset documents it.
    pub(crate) fn dns(self) -> Dns {
        match self {
            Preset::Kubeadm | Preset::Kind | Preset::K3s | Preset::Eks | Preset::Aks => {
                Dns::kube_dns(self.dns_source())
            }
            Preset::Gke | Preset::GkeAutopilot => Dns {
                addresses: vec![
                    DnsAddress {
                        address: NODE_LOCAL_DNS_ADDRESS.to_string(),
                        kind: AddressKind::Node,
                        why: "NodeLocal DNSCache: GKE turns it on by default in Autopilot, and in Standard from 1.34.1-gke.3720000 (GKE documentation, how-to/nodelocal-dns-cache; older copies of the page say 1.33.1)".to_string(),
                    },
                    DnsAddress {
                        address: GKE_METADATA_DNS_ADDRESS.to_string(),
                        kind: AddressKind::Remote,
                        why: "Cloud DNS for GKE: kubelet points pods at the node's metadata server (GKE documentation, Cloud DNS; UNVERIFIED against a cluster); opened on the DNS port only, never on 80, which serves the node's credentials".to_string(),
                    },
                ],
                ..Dns::kube_dns(self.dns_source())
            },
            Preset::Openshift => Dns {
                pods: Some(DnsPods {
                    namespace: "openshift-dns".to_string(),
                    labels: vec![(
                        "dns.operator.openshift.io/daemonset-dns".to_string(),
                        "default".to_string(),
                    )],
                }),
                port: 5353,
                addresses: Vec::new(),
                source: self.dns_source(),
            },
        }
    }

    fn dns_source(self) -> &'static str {
        match self {
            Preset::Kubeadm | Preset::Kind => {
                "kubernetes/kubernetes: cmd/kubeadm/app/phases/addons/dns/manifests.go (Deployment coredns in kube-system, k8s-app: kube-dns, port 53)"
            }
            Preset::K3s => {
                "k3s-io/k3s: manifests/coredns.yaml (kube-system, k8s-app: kube-dns, port 53)"
            }
            Preset::Eks => {
                "EKS CoreDNS add-on: kube-system, k8s-app: kube-dns, port 53 (UNVERIFIED against the add-on's manifest)"
            }
            Preset::Aks => {
                "AKS CoreDNS: kube-system, k8s-app: kube-dns, port 53 (UNVERIFIED against AKS's manifest)"
            }
            Preset::Gke | Preset::GkeAutopilot => {
                "GKE kube-dns: kube-system, k8s-app: kube-dns, port 53; plus NodeLocal DNSCache and Cloud DNS addresses (GKE documentation; UNVERIFIED against a cluster)"
            }
            Preset::Openshift => {
                "openshift/cluster-dns-operator: assets/dns/daemonset.yaml (namespace openshift-dns, label dns.operator.openshift.io/daemonset-dns: default, container port 5353 UDP and TCP)"
            }
        }
    }

    /// The API server's endpoint port, where the distribution fixes it.
    pub fn api_server_port(self) -> u32 {
        match self {
            Preset::Kubeadm | Preset::Kind | Preset::K3s | Preset::Openshift => 6443,
            Preset::Gke | Preset::GkeAutopilot | Preset::Eks | Preset::Aks => 443,
        }
    }
}

/// The address NodeLocal DNSCache listens on: kubernetes/kubernetes
/// `cluster/addons/dns/nodelocaldns/README.md` (the link-local
/// `169.254.20.10` it suggests, which GKE uses).
pub const NODE_LOCAL_DNS_ADDRESS: &str = "169.254.20.10";
/// The node's metadata server, which answers DNS on GKE with Cloud DNS.
/// Port 80 of the same address hands out the node's credentials: harden
/// opens the DNS port only, and the penetration test proves 80 stays closed.
pub const GKE_METADATA_DNS_ADDRESS: &str = "169.254.169.254";
/// The metadata server's HTTP port, which must stay closed.
pub const METADATA_HTTP_PORT: u32 = 80;

/// The CNI whose policy kinds the cluster enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Cni {
    /// Any CNI that enforces NetworkPolicy; only NetworkPolicies are used.
    Any,
    /// Cilium: CiliumNetworkPolicy is available, and CIDR rules do not match
    /// in-cluster entities (the API server on a node), so the API server is
    /// reached through the `kube-apiserver` entity.
    Cilium,
    /// Calico: NetworkPolicies as with any CNI (harden renders no Calico
    /// kinds).
    Calico,
}

impl Cni {
    pub const ALL: [(&'static str, Cni); 3] = [
        ("any", Cni::Any),
        ("cilium", Cni::Cilium),
        ("calico", Cni::Calico),
    ];

    pub fn parse(text: &str) -> Option<Cni> {
        Self::ALL.iter().find(|(n, _)| *n == text).map(|(_, c)| *c)
    }

    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, c)| *c == self)
            .map_or("?", |(n, _)| n)
    }
}

/// The cluster DNS pods a NetworkPolicy selects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DnsPods {
    pub namespace: String,
    pub labels: Vec<(String, String)>,
}

/// A node-level resolver address (hostNetwork or link-local), allowed by an
/// ipBlock `/32` on the DNS port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DnsAddress {
    pub address: String,
    pub why: String,
    /// What answers there, which decides how Cilium sees it.
    pub kind: AddressKind,
}

/// What answers at a node-level DNS address, as Cilium sees it: CIDR rules
/// "do not apply to traffic where both sides of the connection are either
/// managed by Cilium or use an IP belonging to a node in the cluster"
/// (cilium/cilium `Documentation/security/policy/language.rst`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum AddressKind {
    /// A cache on the pod's own node (NodeLocal DNSCache): the `host`
    /// entity under Cilium.
    Node,
    /// A resolver outside the cluster's endpoints (the GKE metadata
    /// server): a CIDR rule under Cilium too.
    Remote,
    /// A Service's cluster IP: Cilium translates it to the DNS pods before
    /// policy, so under Cilium the DNS pods' rule covers it.
    Service,
}

impl DnsAddress {
    pub fn cidr(&self) -> String {
        if self.address.contains(':') {
            format!("{}/128", self.address)
        } else {
            format!("{}/32", self.address)
        }
    }
}

/// Where a pod's DNS lookups go: the DNS pods and any node-level addresses,
/// each on `port`, UDP and TCP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dns {
    pub pods: Option<DnsPods>,
    pub addresses: Vec<DnsAddress>,
    pub port: u32,
    /// Where these facts come from.
    pub source: &'static str,
}

impl Dns {
    /// The kubeadm layout: CoreDNS pods labelled `k8s-app: kube-dns` in
    /// `kube-system` on port 53 ([`kubernetes::DNS_NAMESPACE`]).
    fn kube_dns(source: &'static str) -> Dns {
        Dns {
            pods: Some(DnsPods {
                namespace: kubernetes::DNS_NAMESPACE.to_string(),
                labels: vec![(
                    kubernetes::DNS_LABEL_KEY.to_string(),
                    kubernetes::DNS_LABEL_VALUE.to_string(),
                )],
            }),
            addresses: Vec::new(),
            port: kubernetes::DNS_PORT,
            source,
        }
    }
}

/// The External Secrets Operator API the cluster serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ExternalSecretsApi {
    /// `external-secrets.io/v1`, served from release 0.16.0.
    V1,
    /// `external-secrets.io/v1beta1`, for releases before 0.16.
    V1beta1,
}

impl ExternalSecretsApi {
    pub fn api_version(self) -> &'static str {
        match self {
            ExternalSecretsApi::V1 => "external-secrets.io/v1",
            ExternalSecretsApi::V1beta1 => "external-secrets.io/v1beta1",
        }
    }
}

/// The first External Secrets release that serves `external-secrets.io/v1`
/// (its CHANGELOG for v0.16.0; `v1beta1` stays served, deprecated, after it).
pub const EXTERNAL_SECRETS_V1_FROM: (u32, u32) = (0, 16);

/// The resolved profile of the target cluster: every fact the output
/// depends on, defaulted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Profile {
    /// The preset named, if any.
    pub preset: Option<&'static str>,
    pub cni: Cni,
    pub dns: Dns,
    /// The cluster DNS domain (kubelet `--cluster-domain`).
    pub domain: String,
    /// The node's own search domains, which kubelet appends after the
    /// cluster's ones in every pod's resolv.conf.
    pub search_domains: Vec<String>,
    /// The API server's endpoint ranges and port, when the profile gives
    /// them (a spec's `kubernetesApi.apiServer` wins).
    pub api_server_cidrs: Vec<String>,
    pub api_server_port: Option<u32>,
    /// The Dapr control plane's minor version, when the profile gives it
    /// (a spec's `dapr.version` wins).
    pub dapr_version: Option<String>,
    /// The External Secrets Operator release, as written (e.g. `0.15`).
    pub external_secrets_version: Option<String>,
    pub external_secrets_api: ExternalSecretsApi,
}

impl Default for Profile {
    fn default() -> Profile {
        Profile {
            preset: None,
            cni: Cni::Any,
            dns: Dns::kube_dns(
                "no cluster profile: kubeadm's layout, kubernetes/kubernetes cmd/kubeadm/app/phases/addons/dns/manifests.go",
            ),
            domain: kubernetes::CLUSTER_DOMAIN.to_string(),
            search_domains: Vec::new(),
            api_server_cidrs: Vec::new(),
            api_server_port: None,
            dapr_version: None,
            external_secrets_version: None,
            external_secrets_api: ExternalSecretsApi::V1,
        }
    }
}

impl Profile {
    /// The profile a preset describes, before fields override it.
    pub fn preset(preset: Preset) -> Profile {
        Profile {
            preset: Some(preset.name()),
            dns: preset.dns(),
            api_server_port: Some(preset.api_server_port()),
            ..Profile::default()
        }
    }

    /// The API server is reached through Cilium's `kube-apiserver` entity
    /// rather than (only) an ipBlock: under Cilium "CIDR-based selectors do
    /// not match in-cluster entities (pods or nodes)" by default
    /// (cilium/cilium `Documentation/security/policy/language.rst`).
    pub fn api_server_entity(&self) -> bool {
        self.cni == Cni::Cilium
    }

    /// The search domains kubelet writes for a ClusterFirst pod of
    /// `namespace`: the cluster's three, then the node's
    /// (`pkg/kubelet/network/dns/dns.go`, `generateSearchesForDNSClusterFirst`).
    pub fn search_list(&self, namespace: &str) -> Vec<String> {
        let domain = &self.domain;
        let mut list = vec![
            format!("{namespace}.svc.{domain}"),
            format!("svc.{domain}"),
            domain.clone(),
        ];
        list.extend(self.search_domains.iter().cloned());
        list
    }

    /// Every fact the output depends on, for the posture document's
    /// "Cluster assumptions": (fact, value, where it comes from).
    pub fn assumptions(&self) -> Vec<(String, String, String)> {
        let origin = match self.preset {
            Some(p) => format!("preset {p}"),
            None => "no profile: harden's default".to_string(),
        };
        let mut rows = Vec::new();
        let mut row = |fact: &str, value: String, source: String| {
            rows.push((fact.to_string(), value, source))
        };
        match &self.dns.pods {
            Some(pods) => row(
                "DNS pods",
                format!(
                    "namespace {}, labels {}, port {} (UDP and TCP)",
                    pods.namespace,
                    pods.labels
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(","),
                    self.dns.port
                ),
                self.dns.source.to_string(),
            ),
            None => row("DNS pods", "none".to_string(), origin.clone()),
        }
        for address in &self.dns.addresses {
            row(
                "DNS address",
                format!("{} on port {}", address.cidr(), self.dns.port),
                address.why.clone(),
            );
        }
        row(
            "cluster domain",
            self.domain.clone(),
            "kubelet --cluster-domain; kubeadm DefaultServiceDNSDomain".to_string(),
        );
        row(
            "node search domains",
            if self.search_domains.is_empty() {
                "none declared".to_string()
            } else {
                self.search_domains.join(", ")
            },
            "kubelet appends the node's resolv.conf search domains after the cluster's (pkg/kubelet/network/dns/dns.go)".to_string(),
        );
        row(
            "CNI",
            self.cni.name().to_string(),
            if self.api_server_entity() {
                "API server reached through Cilium's kube-apiserver entity (Documentation/security/policy/language.rst)".to_string()
            } else {
                origin.clone()
            },
        );
        row(
            "API server",
            match (self.api_server_cidrs.is_empty(), self.api_server_port) {
                _ if self.api_server_entity() => format!(
                    "Cilium's kube-apiserver entity{}, port {}",
                    if self.api_server_cidrs.is_empty() {
                        String::new()
                    } else {
                        format!(" and {}", self.api_server_cidrs.join(", "))
                    },
                    self.api_server_port
                        .map_or("from each spec".to_string(), |p| p.to_string())
                ),
                (true, Some(port)) => format!("port {port}; address from each spec"),
                (true, None) => "from each spec".to_string(),
                (false, port) => format!(
                    "{} port {}",
                    self.api_server_cidrs.join(", "),
                    port.unwrap_or(443)
                ),
            },
            origin.clone(),
        );
        row(
            "External Secrets API",
            self.external_secrets_api.api_version().to_string(),
            match &self.external_secrets_version {
                Some(v) => format!("External Secrets {v} (v1 served from 0.16.0)"),
                None => "assumed 0.16 or later (v1 served from 0.16.0)".to_string(),
            },
        );
        rows
    }
}

/// The DNS facts templates use for the DNS rule of every policy, from the
/// cluster profile ([`Profile`]).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DnsFacts {
    /// The DNS pods, selected by namespace and labels.
    pub pods: Option<DnsPods>,
    /// Node-level resolvers, as `/32` (or `/128`) CIDRs.
    pub cidrs: Vec<String>,
    /// Those on the pod's own node: the `host` entity under Cilium.
    pub node_cidrs: Vec<String>,
    /// Those outside the cluster's endpoints: a CIDR rule under Cilium too.
    pub remote_cidrs: Vec<String>,
    pub port: u32,
    pub namespace_label: &'static str,
    pub cluster_domain: String,
}

impl Default for DnsFacts {
    /// The default profile's: kubeadm's DNS pods.
    fn default() -> DnsFacts {
        DnsFacts::for_profile(&Profile::default())
    }
}

impl DnsFacts {
    /// The resolvers in words, for fix texts and the posture document:
    /// `the DNS pods k8s-app: kube-dns in namespace kube-system`, and each
    /// node-level address.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(pods) = &self.pods {
            let labels: Vec<String> = pods
                .labels
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect();
            parts.push(format!(
                "the DNS pods {} in namespace {}",
                labels.join(", "),
                pods.namespace
            ));
        }
        for cidr in &self.cidrs {
            parts.push(format!("ipBlock {cidr}"));
        }
        parts.join(" and ")
    }

    pub fn for_profile(profile: &Profile) -> DnsFacts {
        let of_kind = |kind| {
            profile
                .dns
                .addresses
                .iter()
                .filter(|a| a.kind == kind)
                .map(DnsAddress::cidr)
                .collect()
        };
        DnsFacts {
            pods: profile.dns.pods.clone(),
            cidrs: profile.dns.addresses.iter().map(DnsAddress::cidr).collect(),
            node_cidrs: of_kind(AddressKind::Node),
            remote_cidrs: of_kind(AddressKind::Remote),
            port: profile.dns.port,
            namespace_label: kubernetes::NAMESPACE_NAME_LABEL,
            cluster_domain: profile.domain.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_parse_and_print() {
        for (name, preset) in Preset::ALL {
            assert_eq!(Preset::parse(name), Some(preset));
            assert_eq!(preset.name(), name);
        }
        assert_eq!(Preset::parse("minikube"), None);
    }

    #[test]
    fn the_default_is_kubeadms_layout() {
        let profile = Profile::default();
        let pods = profile.dns.pods.as_ref().unwrap();
        assert_eq!(pods.namespace, "kube-system");
        assert_eq!(profile.dns.port, 53);
        assert!(profile.dns.addresses.is_empty());
        assert!(!profile.api_server_entity());
        assert_eq!(
            profile.search_list("shop"),
            [
                "shop.svc.cluster.local",
                "svc.cluster.local",
                "cluster.local"
            ]
        );
    }

    #[test]
    fn gke_opens_node_local_and_metadata_dns_and_openshift_its_own_pods() {
        let gke = Profile::preset(Preset::GkeAutopilot);
        let cidrs: Vec<String> = gke.dns.addresses.iter().map(DnsAddress::cidr).collect();
        assert_eq!(cidrs, ["169.254.20.10/32", "169.254.169.254/32"]);
        let openshift = Profile::preset(Preset::Openshift);
        assert_eq!(openshift.dns.port, 5353);
        assert_eq!(openshift.dns.pods.unwrap().namespace, "openshift-dns");
    }
}
