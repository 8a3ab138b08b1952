//! Kubernetes facts: the cluster DNS pods, well-known labels and paths. The
//! DNS a profile resolves to, as templates see it, is `cluster::DnsFacts`.

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

/// The cluster DNS domain harden assumes: kubeadm's default
/// (`cmd/kubeadm/app/apis/kubeadm/v1beta3/defaults.go`,
/// `DefaultServiceDNSDomain = "cluster.local"`), also k3s's. A cluster run
/// with another kubelet `--cluster-domain` needs other DNS names in a
/// CiliumNetworkPolicy; harden cannot detect it (UNVERIFIED for managed
/// distributions, which all document cluster.local).
pub const CLUSTER_DOMAIN: &str = "cluster.local";
/// The resolver option kubelet writes into every ClusterFirst pod's
/// resolv.conf: `pkg/kubelet/network/dns/dns.go` `defaultDNSOptions =
/// []string{"ndots:5"}`. A name with fewer dots is tried with each search
/// domain appended before (glibc, musl) it is tried as written.
pub const POD_NDOTS: usize = 5;

/// NodeLocal DNSCache: kubernetes/kubernetes
/// `cluster/addons/dns/nodelocaldns/nodelocaldns.yaml` (DaemonSet
/// `node-local-dns` in `kube-system`, label `k8s-app: node-local-dns`, args
/// `-localip <local address>,<kube-dns IP>`). GKE's add-on runs
/// `node-local-dns` pods too (GKE documentation, NodeLocal DNSCache); its
/// label is UNVERIFIED against a cluster. The live audit's preflight looks
/// for it.
pub const NODE_LOCAL_DNS_NAMESPACE: &str = "kube-system";
pub const NODE_LOCAL_DNS_SELECTOR: &str = "k8s-app=node-local-dns";

/// The API server's endpoints: the EndpointSlice the API server itself
/// writes for Service `kubernetes` in `default`, labelled
/// `kubernetes.io/service-name: kubernetes`, with the endpoint (target)
/// ports (kubernetes/kubernetes `pkg/controlplane/reconcilers/endpointsadapter.go`,
/// `endpointSliceFromEndpoints`). The live audit's preflight reads it.
pub const API_ENDPOINTS_NAMESPACE: &str = "default";
pub const API_ENDPOINTS_SELECTOR: &str = "kubernetes.io/service-name=kubernetes";

/// The label the API server sets on every Namespace with its name (stable
/// since v1.22), so a namespaceSelector can name one namespace.
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// Where the kubelet mounts the ServiceAccount token; harden mounts its
/// projected token there, so no other volume may use it.
pub const SERVICE_ACCOUNT_TOKEN_PATH: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// `pod-security.kubernetes.io/<suffix>`, a `&'static str`.
macro_rules! pod_security_label {
    ($suffix:literal) => {
        concat!("pod-security.kubernetes.io/", $suffix)
    };
}

/// The Pod Security admission label prefix (`<prefix>enforce`,
/// `<prefix>enforce-version`, and `audit`, `warn`).
pub const POD_SECURITY_LABEL_PREFIX: &str = pod_security_label!("");

/// The Pod Security admission labels of a namespace, by mode: the level
/// label and its version pin (kubernetes/pod-security-admission
/// `api/constants.go`: `EnforceLevelLabel = labelPrefix + "enforce"`,
/// `EnforceVersionLabel = labelPrefix + "enforce-version"`, and the same
/// for `audit` and `warn`, with `labelPrefix = "pod-security.kubernetes.io/"`).
pub const POD_SECURITY_LABELS: [PodSecurityLabel; 3] = [
    PodSecurityLabel {
        level: pod_security_label!("enforce"),
        version: pod_security_label!("enforce-version"),
    },
    PodSecurityLabel {
        level: pod_security_label!("audit"),
        version: pod_security_label!("audit-version"),
    },
    PodSecurityLabel {
        level: pod_security_label!("warn"),
        version: pod_security_label!("warn-version"),
    },
];

/// One Pod Security admission mode's labels (see [`POD_SECURITY_LABELS`]).
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct PodSecurityLabel {
    pub level: &'static str,
    pub version: &'static str,
}

/// The Kubernetes facts templates use.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KubernetesFacts {
    /// The Pod Security labels, in the order enforce, audit, warn.
    pub pod_security_labels: [PodSecurityLabel; 3],
    /// [`SERVICE_ACCOUNT_TOKEN_PATH`].
    pub token_path: &'static str,
}

impl KubernetesFacts {
    pub fn get() -> KubernetesFacts {
        KubernetesFacts {
            pod_security_labels: POD_SECURITY_LABELS,
            token_path: SERVICE_ACCOUNT_TOKEN_PATH,
        }
    }
}

/// Namespaces that belong to Kubernetes itself; apps never go there, nor in
/// any other `kube-` namespace.
pub const RESERVED_NAMESPACES: [&str; 4] =
    ["default", "kube-system", "kube-public", "kube-node-lease"];
