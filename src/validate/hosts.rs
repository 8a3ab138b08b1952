//! Egress by hostname (`egress[].hosts`): the name format harden accepts,
//! the public suffixes a PCI DSS wildcard may not cover, and the DNS names a
//! pod may look up once a CiliumNetworkPolicy filters its DNS.
//!
//! Names are checked here so that what reaches a CiliumNetworkPolicy is
//! exactly what Cilium matches: an RFC 1123 name in lowercase, or `*.`
//! followed by one, which Cilium reads as "any one label"
//! ([`crate::platform::cilium::pattern_matches`]).

use crate::model;
use crate::platform::{cilium, kubernetes};

/// A valid `hosts` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    /// As written, lowercase.
    pub name: String,
    /// `*.` prefix: any one label under [`Host::domain`].
    pub wildcard: bool,
}

impl Host {
    /// The name under the wildcard (the name itself when exact).
    pub fn domain(&self) -> &str {
        self.name.strip_prefix("*.").unwrap_or(&self.name)
    }
}

/// Checks one `hosts` entry: RFC 1123 (lowercase letters, digits and '-',
/// labels of 1 to 63 characters that neither start nor end with '-', at most
/// 253 characters), optionally one leading `*.`, never an IP address.
pub fn host(value: &str) -> Result<Host, String> {
    if value.is_empty() {
        return Err("is empty".into());
    }
    let bare = value.trim_end_matches('.');
    if bare.parse::<std::net::IpAddr>().is_ok() {
        return Err("is an IP address, not a name".into());
    }
    if value.ends_with('.') {
        return Err("ends with a dot".into());
    }
    let (wildcard, domain) = match value.strip_prefix("*.") {
        Some(rest) => (true, rest),
        None => (false, value),
    };
    if domain.contains('*') {
        return Err(
            "has a '*' that is not a leading \"*.\"; only one leading \"*.\" is allowed".into(),
        );
    }
    if value.len() > 253 {
        return Err(format!(
            "is {} characters long, at most 253 are allowed",
            value.len()
        ));
    }
    if value.chars().any(|c| c.is_ascii_uppercase()) {
        return Err("has uppercase letters".into());
    }
    for label in domain.split('.') {
        if label.is_empty() {
            return Err("has an empty label (two dots in a row, or a leading dot)".into());
        }
        if label.len() > 63 {
            return Err(format!(
                "has a label of {} characters ({label:?}); at most 63 are allowed",
                label.len()
            ));
        }
        if !label
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(format!(
                "has a label ({label:?}) with characters other than lowercase letters, digits and '-'"
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!(
                "has a label ({label:?}) that starts or ends with '-'"
            ));
        }
    }
    if !domain.contains('.') {
        return Err(if wildcard {
            "covers every name of a top-level domain".into()
        } else {
            "is a single label, not a fully qualified name (it would be completed by the pod's DNS search list)".into()
        });
    }
    let cluster_suffix = format!(".{}", kubernetes::CLUSTER_DOMAIN);
    if domain == kubernetes::CLUSTER_DOMAIN || domain.ends_with(&cluster_suffix) {
        // The CRD's toFQDNs description: "If the resolved IPs are IPs within
        // the kubernetes cluster, the ToFQDN rule will not apply to that IP."
        return Err("is a name inside the cluster, which toFQDNs does not apply to".into());
    }
    Ok(Host {
        name: value.to_string(),
        wildcard,
    })
}

/// Public suffixes harden knows beyond the top-level domains, under which a
/// wildcard would cover names registered by unrelated parties. A subset of
/// the Public Suffix List (publicsuffix.org, `public_suffix_list.dat`): its
/// ICANN section's common second-level suffixes and, from its private
/// section, shared cloud domains where every customer gets a name (a `*`
/// label stands for any one label, e.g. an AWS region). Every top-level
/// domain is a public suffix too (the list's default rule `*`). Not the
/// whole list: a wildcard under a suffix missing here is not caught.
pub const PUBLIC_SUFFIXES: &[&str] = &[
    // ICANN section.
    "co.uk",
    "org.uk",
    "ac.uk",
    "gov.uk",
    "com.au",
    "net.au",
    "org.au",
    "co.nz",
    "co.jp",
    "com.br",
    "com.cn",
    "co.in",
    "co.za",
    "com.mx",
    // Shared cloud domains (private section, and whole provider domains).
    "amazonaws.com",
    "s3.amazonaws.com",
    "s3.*.amazonaws.com",
    "s3-website.*.amazonaws.com",
    "execute-api.*.amazonaws.com",
    "compute.amazonaws.com",
    "*.compute.amazonaws.com",
    "cloudfront.net",
    "elasticbeanstalk.com",
    "azurewebsites.net",
    "blob.core.windows.net",
    "web.core.windows.net",
    "cloudapp.net",
    "appspot.com",
    "googleapis.com",
    "storage.googleapis.com",
    "run.app",
    "web.app",
    "firebaseapp.com",
    "herokuapp.com",
    "github.io",
    "githubusercontent.com",
    "netlify.app",
    "vercel.app",
    "pages.dev",
    "workers.dev",
];

/// Whether `domain` is a public suffix: a top-level domain or one of
/// [`PUBLIC_SUFFIXES`].
pub fn is_public_suffix(domain: &str) -> bool {
    !domain.contains('.')
        || PUBLIC_SUFFIXES
            .iter()
            .any(|suffix| cilium::pattern_matches(suffix, domain))
}

/// The reason a DNS name is allowed, and the names: the template writes one
/// commented group each.
fn group(reason: String, matches: Vec<model::DnsMatch>) -> model::DnsGroup {
    model::DnsGroup { reason, matches }
}

fn dns_match(text: String) -> model::DnsMatch {
    model::DnsMatch {
        wildcard: text.contains('*'),
        text,
    }
}

/// `name` as the resolver also sends it: with each domain of the pod's
/// search list appended (the cluster's three, then the node's), when it has
/// fewer dots than kubelet's ndots (so the search list is tried first) and
/// the result is a valid length.
fn search_expansions(name: &str, search: &[String]) -> Vec<String> {
    let bare = name.trim_end_matches('.');
    if bare.matches('.').count() >= kubernetes::POD_NDOTS {
        return Vec::new();
    }
    search
        .iter()
        .map(|domain| format!("{bare}.{domain}."))
        .filter(|expanded| expanded.len() <= 254)
        .collect()
}

/// The DNS names a pod of the app may look up when its DNS goes through
/// Cilium's DNS proxy with a narrowed `rules.dns`
/// ([`cilium::quotes::NARROW_DNS`]: "No other DNS queries will be
/// allowed"):
///
/// 1. every `hosts` entry of the spec, as written;
/// 2. for each namespace the app talks to (its own, the Dapr control plane,
///    destinations of `egress` and `dapr.invokes`), the Services' names
///    `*.<ns>.svc.<domain>.` and the per-pod names under headless Services
///    `*.*.<ns>.svc.<domain>.` (the Dapr scheduler's pods, and `name.ns`
///    short names the search list expands under the app's namespace);
/// 3. each of those with fewer dots than ndots (5), also with each domain
///    of the pod's search list appended (`search`: the cluster's three for
///    the app's namespace, then the node's own, which kubelet appends), since
///    the resolver tries those first and "queries that rely on the DNS search
///    list to complete the FQDN must be allowed in their entirety"
///    ([`cilium::quotes::CLUSTER_NAMES`]); a refused expansion stops some
///    resolvers (musl) before the name that would answer;
/// 4. the short names of each namespace's Services, `name.<ns>` and
///    `name.<ns>.svc` (as in `redis.cache.svc:6379`), as the search list
///    completes them.
///
/// `namespaces` are (namespace, why) pairs; the first use of a namespace
/// names its reason.
pub fn dns_filter(
    domain: &str,
    search: &[String],
    namespaces: &[(String, String)],
    flows: &[model::HostFlow],
) -> Vec<model::DnsGroup> {
    let mut groups = Vec::new();
    let mut expansions = Vec::new();
    for flow in flows {
        let mut matches = Vec::new();
        for host in &flow.hosts {
            matches.push(dns_match(host.name.clone()));
            expansions.extend(search_expansions(&host.name, search));
        }
        groups.push(group(
            format!("egress {} (external names, as written)", flow.name),
            matches,
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut short_names = Vec::new();
    for (namespace, reason) in namespaces {
        if !seen.insert(namespace.clone()) {
            continue;
        }
        let services = format!("*.{namespace}.svc.{domain}.");
        let pods = format!("*.*.{namespace}.svc.{domain}.");
        expansions.extend(search_expansions(&services, search));
        expansions.extend(search_expansions(&pods, search));
        for short in [format!("*.{namespace}"), format!("*.{namespace}.svc")] {
            short_names.extend(search_expansions(&short, search));
        }
        groups.push(group(
            format!("namespace {namespace} ({reason}): its Services and their pods"),
            vec![dns_match(services), dns_match(pods)],
        ));
    }
    let mut unique: std::collections::BTreeSet<String> = groups
        .iter()
        .flat_map(|g| g.matches.iter().map(|m| m.text.clone()))
        .collect();
    expansions.retain(|e| unique.insert(e.clone()));
    if !expansions.is_empty() {
        groups.push(group(
            "the names above as the pod's search list completes them (the cluster DNS: NXDOMAIN)"
                .to_string(),
            expansions.into_iter().map(dns_match).collect(),
        ));
    }
    short_names.retain(|e| unique.insert(e.clone()));
    if !short_names.is_empty() {
        groups.push(group(
            "short Service names (name.namespace, name.namespace.svc) as the search list completes them"
                .to_string(),
            short_names.into_iter().map(dns_match).collect(),
        ));
    }
    groups
}

/// A name none of `flows` allows, for the live audit to prove that an
/// unlisted name is not reachable.
pub fn unlisted_host(flows: &[model::HostFlow]) -> String {
    ["example.com", "example.org", "example.net", "iana.org"]
        .into_iter()
        .find(|candidate| {
            !flows
                .iter()
                .flat_map(|f| &f.hosts)
                .any(|h| cilium::pattern_matches(&h.name, candidate))
        })
        .unwrap_or("example.invalid")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_rfc_1123_with_one_leading_wildcard() {
        assert!(host("api.stripe.com").is_ok());
        assert!(host("*.s3.eu-west-1.amazonaws.com").unwrap().wildcard);
        assert_eq!(
            host("*.s3.eu-west-1.amazonaws.com").unwrap().domain(),
            "s3.eu-west-1.amazonaws.com"
        );
        for (bad, reason) in [
            ("", "empty"),
            ("Api.stripe.com", "uppercase"),
            ("api..stripe.com", "empty label"),
            ("-api.stripe.com", "'-'"),
            ("api-.stripe.com", "'-'"),
            ("api_x.stripe.com", "other than"),
            ("*.*.stripe.com", "only one leading"),
            ("api.*.com", "only one leading"),
            ("**.stripe.com", "only one leading"),
            ("*", "only one leading"),
            ("*.com", "top-level"),
            ("localhost", "single label"),
            ("10.0.0.1", "IP address"),
            ("::1", "IP address"),
            ("api.stripe.com.", "ends with a dot"),
            ("redis.shop.svc.cluster.local", "inside the cluster"),
        ] {
            let error = host(bad).expect_err(bad);
            assert!(error.contains(reason), "{bad:?}: {error}");
        }
        let long_label = format!("{}.com", "a".repeat(64));
        assert!(host(&long_label).unwrap_err().contains("63"));
        let long_name = format!("{}.com", vec!["a".repeat(60); 5].join("."));
        assert!(host(&long_name).unwrap_err().contains("253"));
    }

    #[test]
    fn public_suffixes_include_tlds_and_shared_cloud_domains() {
        for suffix in [
            "com",
            "co.uk",
            "amazonaws.com",
            "s3.eu-west-1.amazonaws.com",
            "github.io",
        ] {
            assert!(is_public_suffix(suffix), "{suffix}");
        }
        for registrable in [
            "stripe.com",
            "example.co.uk",
            "bucket.s3.eu-west-1.amazonaws.com",
        ] {
            assert!(!is_public_suffix(registrable), "{registrable}");
        }
    }

    #[test]
    fn the_dns_filter_lists_names_namespaces_and_their_search_expansions() {
        let flows = vec![model::HostFlow {
            name: "stripe".into(),
            reason: String::new(),
            hosts: vec![model::HostName {
                name: "api.stripe.com".into(),
                wildcard: false,
            }],
            ports: vec![model::Port::tcp(443)],
        }];
        let search = crate::platform::cluster::Profile::default().search_list("shop");
        let groups = dns_filter(
            "cluster.local",
            &search,
            &[
                ("shop".into(), "the app's namespace".into()),
                ("shop".into(), "again".into()),
            ],
            &flows,
        );
        let all: Vec<&str> = groups
            .iter()
            .flat_map(|g| g.matches.iter().map(|m| m.text.as_str()))
            .collect();
        assert_eq!(
            all,
            [
                "api.stripe.com",
                "*.shop.svc.cluster.local.",
                "*.*.shop.svc.cluster.local.",
                "api.stripe.com.shop.svc.cluster.local.",
                "api.stripe.com.svc.cluster.local.",
                "api.stripe.com.cluster.local.",
                "*.shop.svc.cluster.local.shop.svc.cluster.local.",
                "*.shop.svc.cluster.local.svc.cluster.local.",
                "*.shop.svc.cluster.local.cluster.local.",
                "*.shop.shop.svc.cluster.local.",
                "*.shop.cluster.local.",
                "*.shop.svc.shop.svc.cluster.local.",
                "*.shop.svc.svc.cluster.local.",
            ]
        );
        // Nothing allows a name the spec does not list.
        for name in [
            "example.com",
            "api.stripe.com.evil.com",
            "x.other.svc.cluster.local",
        ] {
            assert!(
                !all.iter().any(|p| cilium::pattern_matches(p, name)),
                "{name}"
            );
        }
        assert_eq!(unlisted_host(&flows), "example.com");
    }

    /// Every name a resolver sends before the one that answers must be
    /// allowed, or a refusal stops it (musl): a short Service name of
    /// another namespace (`events-kafka-bootstrap.kafka.svc`, from namespace
    /// `claims`) and an external name under the node's own search domain.
    #[test]
    fn short_names_and_node_search_domains_are_allowed_in_the_order_tried() {
        let profile = crate::platform::cluster::Profile {
            search_domains: vec!["corp.example.com".into()],
            ..Default::default()
        };
        let search = profile.search_list("claims");
        let flows = vec![model::HostFlow {
            name: "stripe".into(),
            reason: String::new(),
            hosts: vec![model::HostName {
                name: "api.stripe.com".into(),
                wildcard: false,
            }],
            ports: vec![model::Port::tcp(443)],
        }];
        let groups = dns_filter(
            "cluster.local",
            &search,
            &[
                ("claims".into(), "the app's namespace".into()),
                ("kafka".into(), "egress kafka".into()),
            ],
            &flows,
        );
        let allowed = |name: &str| {
            groups
                .iter()
                .flat_map(|g| &g.matches)
                .any(|m| cilium::pattern_matches(&m.text, name))
        };
        for short in [
            "events-kafka-bootstrap.kafka.svc",
            "events-kafka-bootstrap.kafka",
        ] {
            for domain in &search {
                assert!(allowed(&format!("{short}.{domain}")), "{short}.{domain}");
            }
        }
        for domain in &search {
            assert!(allowed(&format!("api.stripe.com.{domain}")), "{domain}");
        }
        assert!(!allowed("events.other.svc.cluster.local"));
        assert!(!allowed("api.stripe.com.evil.example.com"));
    }
}
