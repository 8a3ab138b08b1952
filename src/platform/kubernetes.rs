//! Kubernetes facts: the cluster DNS pods, well-known labels and paths.

use serde::Serialize;

/// The namespace of the cluster DNS pods. kubernetes/kubernetes:
/// `cluster/addons/dns/coredns/coredns.yaml.base` and kubeadm's
/// `cmd/kubeadm/app/phases/addons/dns/manifests.go` (Deployment `coredns` in
/// `kube-system`); k3s `manifests/coredns.yaml` alike. OpenShift differs
/// (`openshift-dns`, port 5353) and is not supported by the defaults.
pub const DNS_NAMESPACE: &str = "kube-system";
/// The label on the DNS pods, in the same sources: `k8s-app: kube-dns`.
pub const DNS_LABEL_KEY: &str = "k8s-app";
pub const DNS_LABEL_VALUE: &str = "kube-dns";
/// The DNS pods' port, UDP and TCP (`containerPort: 53`, names `dns` and
/// `dns-tcp`); TCP carries truncated answers.
pub const DNS_PORT: u32 = 53;

/// The label the API server sets on every Namespace with its name (stable
/// since v1.22), so a namespaceSelector can name one namespace.
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// Where the kubelet mounts the ServiceAccount token; harden mounts its
/// projected token there, so no other volume may use it.
pub const SERVICE_ACCOUNT_TOKEN_PATH: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// The Pod Security admission label prefix (`<prefix>enforce`,
/// `<prefix>enforce-version`, and `audit`, `warn`).
pub const POD_SECURITY_LABEL_PREFIX: &str = "pod-security.kubernetes.io/";

/// Namespaces that belong to Kubernetes itself; apps never go there, nor in
/// any other `kube-` namespace.
pub const RESERVED_NAMESPACES: [&str; 4] =
    ["default", "kube-system", "kube-public", "kube-node-lease"];

/// The DNS facts templates use for the DNS rule of every policy.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DnsFacts {
    pub namespace: &'static str,
    pub label_key: &'static str,
    pub label_value: &'static str,
    pub port: u32,
    pub namespace_label: &'static str,
}

impl DnsFacts {
    pub fn get() -> DnsFacts {
        DnsFacts {
            namespace: DNS_NAMESPACE,
            label_key: DNS_LABEL_KEY,
            label_value: DNS_LABEL_VALUE,
            port: DNS_PORT,
            namespace_label: NAMESPACE_NAME_LABEL,
        }
    }
}
