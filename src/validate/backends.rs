//! Dapr component backends: the servers a component's plain metadata tells
//! daprd to connect to, and whether the spec's egress allows each of them.
//!
//! daprd exits when a component fails to initialise
//! ([`crate::platform::dapr::COMPONENT_INIT_FAILURE_IS_FATAL`]), so a
//! backend the network policies block stops the sidecar: every backend must
//! be a declared flow. Only plain `metadata` can be read; values taken from
//! `secretMetadata` are not checked (the posture document says so).
//!
//! Metadata names, read in dapr/components-contrib at v1.17.8 and v1.18.4
//! (the versions dapr/dapr `go.mod` @ v1.17.13 and @ v1.18.3 require), for
//! the component names dapr/dapr registers (`cmd/daprd/components/*.go` @
//! v1.18.3):
//! - Redis (`state.redis`, `pubsub.redis`, `configuration.redis`,
//!   `lock.redis`, `bindings.redis`): `redisHost`, comma-separated
//!   `host[:port]`; an entry without a port gets `redisPort`, else 6379
//!   (`common/component/redis/settings.go`, `resolveHost`, `defaultRedisPort`).
//! - Kafka (`pubsub.kafka`, `bindings.kafka`): `brokers`, comma-separated
//!   `host:port` (`common/component/kafka/metadata.go`,
//!   `strings.Split(m.Brokers, ",")`).
//! - PostgreSQL (`state.postgresql`/`state.postgres`,
//!   `configuration.postgresql`/`configuration.postgres`,
//!   `bindings.postgresql`/`bindings.postgres`): `connectionString` (alias
//!   `url`), key=value (`host=... port=...`) or URL
//!   (`postgres://user@host:port/db`), then `host`, `hostaddr` and `port`
//!   metadata override it (`common/authentication/postgresql/metadata.go`,
//!   `mapstructurealiases:"url"`, read by `pgxpool.ParseConfig`). A missing
//!   port is 5432: jackc/pgx `pgconn` `defaultSettings` (`settings["port"] =
//!   "5432"`; the pgx tag contrib pins was not checked).
//!
//! Other component types are not read (the posture document says so).

use std::net::IpAddr;

use super::{Validator, formats};
use crate::diagnostics::Problem;
use crate::model;
use crate::platform::{cilium, kubernetes};

/// The metadata a component family reads its backends from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Redis,
    Kafka,
    Postgres,
}

/// Component types whose backends harden reads.
const FAMILIES: &[(&str, Family)] = &[
    ("state.redis", Family::Redis),
    ("pubsub.redis", Family::Redis),
    ("configuration.redis", Family::Redis),
    ("lock.redis", Family::Redis),
    ("bindings.redis", Family::Redis),
    ("pubsub.kafka", Family::Kafka),
    ("bindings.kafka", Family::Kafka),
    ("state.postgresql", Family::Postgres),
    ("state.postgres", Family::Postgres),
    ("configuration.postgresql", Family::Postgres),
    ("configuration.postgres", Family::Postgres),
    ("bindings.postgresql", Family::Postgres),
    ("bindings.postgres", Family::Postgres),
];

const REDIS_DEFAULT_PORT: u32 = 6379;
const POSTGRES_DEFAULT_PORT: u32 = 5432;

/// Whether harden reads the backends of this component type.
pub fn is_read(component_type: &str) -> bool {
    family(component_type).is_some()
}

/// The metadata names that hold a backend's address for this type: what
/// `secretMetadata` may hide from the check.
pub fn address_keys(component_type: &str) -> &'static [&'static str] {
    match family(component_type) {
        Some(Family::Redis) => &["redisHost", "redisPort"],
        Some(Family::Kafka) => &["brokers"],
        Some(Family::Postgres) => &["connectionString", "url", "host", "hostaddr", "port"],
        None => &[],
    }
}

fn family(component_type: &str) -> Option<Family> {
    FAMILIES
        .iter()
        .find(|(t, _)| *t == component_type)
        .map(|(_, f)| *f)
}

/// One server a component connects to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backend {
    /// The metadata name it was read from.
    pub key: String,
    pub host: String,
    pub port: u32,
}

impl Backend {
    /// `host:port`, IPv6 in brackets.
    pub fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// A metadata value that names a backend harden cannot read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    pub key: String,
    pub reason: String,
}

/// Where a backend host is, as far as a NetworkPolicy is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// `localhost` or a loopback address: inside the pod, which no
    /// NetworkPolicy sees, so nothing to allow.
    Loopback,
    /// An IP literal: a `cidr` rule.
    Ip(IpAddr),
    /// A Service: `name` (the app's namespace), `name.ns.svc` or
    /// `name.ns.svc.cluster.local` (and pods under a headless Service,
    /// `pod.name.ns.svc...`): an egress rule to pods of that namespace.
    Service { namespace: String },
    /// `name.ns`: a Service's short name, or an outside name with two
    /// labels; either kind of rule covers it.
    ShortName { namespace: String },
    /// Any other name: outside the cluster, a `hosts` rule.
    Name,
}

/// Where `host` is, for an app in `namespace` of a cluster whose DNS
/// domain is [`kubernetes::CLUSTER_DOMAIN`].
pub fn place(host: &str, namespace: &str) -> Place {
    place_in(host, namespace, kubernetes::CLUSTER_DOMAIN)
}

/// [`place`] for a cluster whose DNS domain is `domain` (the cluster
/// profile's `cluster.domain`).
pub fn place_in(host: &str, namespace: &str, domain: &str) -> Place {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return if ip.is_loopback() {
            Place::Loopback
        } else {
            Place::Ip(ip)
        };
    }
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host == "localhost" {
        return Place::Loopback;
    }
    let labels: Vec<&str> = host.split('.').collect();
    let cluster_suffix: Vec<&str> = domain.split('.').collect();
    let mut in_cluster = labels.as_slice();
    if in_cluster.ends_with(&cluster_suffix) {
        in_cluster = &in_cluster[..in_cluster.len() - cluster_suffix.len()];
    }
    match in_cluster {
        [_] if labels.len() == 1 => Place::Service {
            namespace: namespace.to_string(),
        },
        [.., _, ns, "svc"] => Place::Service {
            namespace: (*ns).to_string(),
        },
        [_, ns] if labels.len() == 2 => Place::ShortName {
            namespace: (*ns).to_string(),
        },
        _ => Place::Name,
    }
}

/// The backends of a component from its plain metadata, or why one cannot
/// be read. Empty for a type harden does not read.
pub fn read(
    component_type: &str,
    metadata: &[(String, String)],
) -> Vec<Result<Backend, Unreadable>> {
    let get = |key: &str| {
        metadata
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    match family(component_type) {
        None => Vec::new(),
        Some(Family::Redis) => {
            let Some(hosts) = get("redisHost") else {
                return Vec::new();
            };
            let default_port = match get("redisPort") {
                None => REDIS_DEFAULT_PORT,
                Some(text) => match port(text) {
                    Some(p) => p,
                    None => {
                        return vec![Err(Unreadable {
                            key: "redisPort".into(),
                            reason: format!("{text:?} is not a port from 1 to 65535"),
                        })];
                    }
                },
            };
            list("redisHost", hosts, |entry| {
                host_port(entry, Some(default_port))
            })
        }
        Some(Family::Kafka) => match get("brokers") {
            None => Vec::new(),
            Some(brokers) => list("brokers", brokers, |entry| host_port(entry, None)),
        },
        Some(Family::Postgres) => postgres(&get),
    }
}

/// A comma-separated list of addresses.
fn list(
    key: &str,
    value: &str,
    parse: impl Fn(&str) -> Result<(String, u32), String>,
) -> Vec<Result<Backend, Unreadable>> {
    value
        .split(',')
        .map(str::trim)
        .map(|entry| {
            parse(entry)
                .map(|(host, port)| Backend {
                    key: key.to_string(),
                    host,
                    port,
                })
                .map_err(|reason| Unreadable {
                    key: key.to_string(),
                    reason: format!("{entry:?} {reason}"),
                })
        })
        .collect()
}

fn port(text: &str) -> Option<u32> {
    let valid = !text.is_empty() && text.len() <= 5 && text.bytes().all(|b| b.is_ascii_digit());
    text.parse::<u32>()
        .ok()
        .filter(|p| valid && (1..=65535).contains(p))
}

/// `host:port`, `[v6]:port`, or `host` when a default port applies.
fn host_port(entry: &str, default_port: Option<u32>) -> Result<(String, u32), String> {
    let (host, port_text) = if let Some(rest) = entry.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or("has a '[' without its ']'")?;
        match after.strip_prefix(':') {
            Some(p) => (host, Some(p)),
            None if after.is_empty() => (host, None),
            None => return Err("is not host:port".into()),
        }
    } else {
        match entry.rsplit_once(':') {
            Some((host, _)) if host.contains(':') => {
                return Err("is an IPv6 address without brackets: write [address]:port".into());
            }
            Some((host, p)) => (host, Some(p)),
            None => (entry, None),
        }
    };
    if host.is_empty() {
        return Err("has no host".into());
    }
    if host.contains(['/', '@', ' ', '?', '#']) {
        return Err("is not host:port".into());
    }
    let port = match port_text {
        Some(text) => port(text).ok_or("has no port from 1 to 65535")?,
        None => default_port.ok_or("has no port: write host:port")?,
    };
    Ok((host.to_string(), port))
}

/// PostgreSQL: `connectionString` (or `url`), then `host`/`hostaddr`/`port`.
fn postgres<'a>(get: &dyn Fn(&str) -> Option<&'a str>) -> Vec<Result<Backend, Unreadable>> {
    let (key, text) = match (get("connectionString"), get("url")) {
        (Some(text), _) => ("connectionString", Some(text)),
        (None, Some(text)) => ("url", Some(text)),
        (None, None) => ("host", None),
    };
    let parsed = match text {
        Some(text) => match connection_string(text) {
            Ok(parsed) => parsed,
            Err(reason) => {
                return vec![Err(Unreadable {
                    key: key.into(),
                    reason,
                })];
            }
        },
        None => Settings::default(),
    };
    let override_host = get("hostaddr")
        .map(|h| ("hostaddr", h))
        .or(get("host").map(|h| ("host", h)));
    let (host_key, hosts) = match override_host {
        Some((k, h)) => (k, vec![h.to_string()]),
        None => (key, parsed.hosts),
    };
    let (port_key, ports) = match get("port") {
        Some(p) => ("port", vec![p.to_string()]),
        None => (key, parsed.ports),
    };
    if hosts.is_empty() {
        // No host: pgx's default (a local socket or localhost), not a flow.
        return Vec::new();
    }
    if ports.len() > 1 && ports.len() != hosts.len() {
        return vec![Err(Unreadable {
            key: port_key.into(),
            reason: "lists a number of ports that is neither one nor one per host".into(),
        })];
    }
    hosts
        .iter()
        .enumerate()
        .filter(|(_, h)| !h.starts_with('/') && !h.is_empty())
        .map(|(i, host)| {
            let text = ports.get(i).or(ports.first());
            let port = match text {
                None => POSTGRES_DEFAULT_PORT,
                Some(t) if t.is_empty() => POSTGRES_DEFAULT_PORT,
                Some(t) => port(t).ok_or_else(|| Unreadable {
                    key: port_key.into(),
                    reason: format!("{t:?} is not a port from 1 to 65535"),
                })?,
            };
            Ok(Backend {
                key: host_key.to_string(),
                host: host
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .to_string(),
                port,
            })
        })
        .collect()
}

#[derive(Debug, Default)]
struct Settings {
    hosts: Vec<String>,
    ports: Vec<String>,
}

/// The hosts and ports of a libpq connection string, key=value or URL.
fn connection_string(text: &str) -> Result<Settings, String> {
    let text = text.trim();
    for scheme in ["postgres://", "postgresql://"] {
        if let Some(rest) = text.strip_prefix(scheme) {
            return url(rest);
        }
    }
    let mut settings = Settings::default();
    for (key, value) in key_values(text)? {
        match key.as_str() {
            "host" | "hostaddr" => {
                settings.hosts = value.split(',').map(|h| h.trim().to_string()).collect();
            }
            "port" => {
                settings.ports = value.split(',').map(|p| p.trim().to_string()).collect();
            }
            _ => {}
        }
    }
    Ok(settings)
}

/// `[user[:password]@]host[:port][,host[:port]...][/db][?params]`.
fn url(rest: &str) -> Result<Settings, String> {
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let hosts = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let mut settings = Settings::default();
    if hosts.is_empty() {
        return Ok(settings);
    }
    for entry in hosts.split(',') {
        let (host, port) = if let Some(inner) = entry.strip_prefix('[') {
            let (host, after) = inner.split_once(']').ok_or("has a '[' without its ']'")?;
            (host, after.strip_prefix(':').unwrap_or(""))
        } else {
            entry.split_once(':').unwrap_or((entry, ""))
        };
        settings.hosts.push(host.to_string());
        settings.ports.push(port.to_string());
    }
    if settings.ports.iter().all(String::is_empty) {
        settings.ports.clear();
    }
    Ok(settings)
}

/// libpq key=value pairs: values bare or single-quoted with `\` escapes.
fn key_values(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut pairs = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            return Ok(pairs);
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c.is_whitespace() {
                break;
            }
            key.push(c);
            chars.next();
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.next() != Some('=') {
            return Err(format!(
                "is not key=value pairs or a postgres:// URL (at {key:?})"
            ));
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'\'') {
            chars.next();
            loop {
                match chars.next() {
                    None => return Err("has an unterminated quoted value".into()),
                    Some('\\') => {
                        if let Some(c) = chars.next() {
                            value.push(c);
                        }
                    }
                    Some('\'') => break,
                    Some(c) => value.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                value.push(c);
                chars.next();
            }
        }
        pairs.push((key, value));
    }
}

/// Whether a declared egress flow allows TCP to `port` at `place`.
pub fn covered(place: &Place, host: &str, port: u32, network: &model::Network) -> bool {
    let allows_port = |ports: &[model::Port]| {
        ports.is_empty()
            || ports
                .iter()
                .any(|p| p.port == port && p.protocol == crate::model::Protocol::Tcp)
    };
    let pods_in = |namespace: &str| {
        network.egress.iter().any(|flow| {
            flow.peer.cidr.is_none()
                && !flow.peer.app_itself
                && flow.peer.namespace.as_deref() == Some(namespace)
                && allows_port(&flow.ports)
        })
    };
    let by_name = || {
        network.hosts.iter().any(|flow| {
            allows_port(&flow.ports)
                && flow
                    .hosts
                    .iter()
                    .any(|h| cilium::pattern_matches(&h.name, host))
        })
    };
    match place {
        Place::Loopback => true,
        Place::Ip(ip) => {
            let Ok(address) =
                formats::cidr(&format!("{ip}/{}", if ip.is_ipv4() { 32 } else { 128 }))
            else {
                return false;
            };
            network.egress.iter().any(|flow| {
                allows_port(&flow.ports)
                    && flow.peer.cidr.as_deref().is_some_and(|cidr| {
                        formats::cidr(cidr).is_ok_and(|c| c.contains(&address))
                            && !flow
                                .peer
                                .except
                                .iter()
                                .any(|e| formats::cidr(e).is_ok_and(|c| c.contains(&address)))
                    })
            })
        }
        Place::Service { namespace } => pods_in(namespace),
        Place::ShortName { namespace } => pods_in(namespace) || by_name(),
        Place::Name => by_name(),
    }
}

/// The egress rule that would allow a backend, as YAML for the help.
fn suggested_rule(name: &str, backend: &Backend, place: &Place, namespace: &str) -> String {
    let ports = format!("    ports:\n      - port: {}", backend.port);
    match place {
        Place::Ip(ip) => format!(
            "  - name: {name}\n    cidr: {ip}/{}\n{ports}",
            if ip.is_ipv4() { 32 } else { 128 }
        ),
        Place::Service { namespace: ns } | Place::ShortName { namespace: ns } => {
            let ns_line = if ns == namespace {
                String::new()
            } else {
                format!("    namespace: {ns}\n")
            };
            format!(
                "  - name: {name}\n{ns_line}    podLabels: {{app.kubernetes.io/name: <the backend pods' label>}}\n{ports}"
            )
        }
        Place::Name | Place::Loopback => {
            format!("  - name: {name}\n    hosts: [{}]\n{ports}", backend.host)
        }
    }
}

impl Validator {
    /// Every backend of every component is an allowed egress flow.
    pub(super) fn component_backends(
        &mut self,
        dapr: &model::Dapr,
        network: &model::Network,
        namespace: &str,
    ) {
        for (i, component) in dapr.components.iter().enumerate() {
            for read in read(&component.component_type, &component.metadata) {
                let field = |key: &str| format!("dapr.components[{i}].metadata.{key}");
                match read {
                    Err(unreadable) => self.push(
                        Problem::new(
                            field(&unreadable.key),
                            format!(
                                "{}: harden cannot tell which server {} connects to",
                                unreadable.reason, component.component_type
                            ),
                        )
                        .help("write host:port (comma-separated for several), as the component's documentation shows"),
                    ),
                    Ok(backend) => {
                        let place = place_in(&backend.host, namespace, &self.profile.domain);
                        if covered(&place, &backend.host, backend.port, network) {
                            continue;
                        }
                        let mut help = format!(
                            "allow it with an egress rule:\n    egress:\n{}",
                            suggested_rule(&component.name, &backend, &place, namespace)
                                .lines()
                                .map(|l| format!("    {l}"))
                                .collect::<Vec<_>>()
                                .join("\n")
                        );
                        if place == Place::Name && network.enforcement != crate::model::Enforcement::Cilium {
                            help.push_str("\n  (egress by name needs network.enforcement: cilium; or use the server's address range in cidr)");
                        }
                        self.push(
                            Problem::new(
                                field(&backend.key),
                                format!(
                                    "the backend {} of component {} ({}) is not an allowed egress flow: daprd exits when the component cannot connect",
                                    backend.address(),
                                    component.name,
                                    component.component_type
                                ),
                            )
                            .help(help),
                        );
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn backends(kind: &str, pairs: &[(&str, &str)]) -> Vec<(String, u32)> {
        read(kind, &meta(pairs))
            .into_iter()
            .map(|r| {
                let b = r.unwrap();
                (b.host, b.port)
            })
            .collect()
    }

    #[test]
    fn redis_hosts_take_redis_port_or_6379() {
        assert_eq!(
            backends(
                "state.redis",
                &[("redisHost", "redis.shop.svc.cluster.local:6380")]
            ),
            [("redis.shop.svc.cluster.local".to_string(), 6380)]
        );
        assert_eq!(
            backends("pubsub.redis", &[("redisHost", "a:7000, b")]),
            [("a".to_string(), 7000), ("b".to_string(), 6379)]
        );
        assert_eq!(
            backends("lock.redis", &[("redisHost", "b"), ("redisPort", "7001")]),
            [("b".to_string(), 7001)]
        );
        assert!(read("state.redis", &meta(&[("redisHost", "r:99999")]))[0].is_err());
        assert!(
            read(
                "state.redis",
                &meta(&[("redisHost", "r"), ("redisPort", "x")])
            )[0]
            .is_err()
        );
        assert!(read("state.redis", &meta(&[("keyPrefix", "none")])).is_empty());
    }

    #[test]
    fn kafka_brokers_need_their_ports() {
        assert_eq!(
            backends("pubsub.kafka", &[("brokers", "k-0:9092,k-1:9093")]),
            [("k-0".to_string(), 9092), ("k-1".to_string(), 9093)]
        );
        assert_eq!(
            backends("bindings.kafka", &[("brokers", "[fd00::1]:9092")]),
            [("fd00::1".to_string(), 9092)]
        );
        let missing = read("pubsub.kafka", &meta(&[("brokers", "kafka")]));
        assert!(missing[0].as_ref().unwrap_err().reason.contains("no port"));
        assert!(read("pubsub.kafka", &meta(&[("brokers", "fd00::1:9092")]))[0].is_err());
    }

    #[test]
    fn postgres_connection_strings_in_both_forms() {
        assert_eq!(
            backends(
                "state.postgresql",
                &[(
                    "connectionString",
                    "host=db.data.svc port=5433 user=app sslmode=require"
                )]
            ),
            [("db.data.svc".to_string(), 5433)]
        );
        assert_eq!(
            backends(
                "state.postgresql",
                &[("connectionString", "host='db' dbname=x")]
            ),
            [("db".to_string(), 5432)]
        );
        assert_eq!(
            backends(
                "configuration.postgres",
                &[(
                    "url",
                    "postgresql://app@10.0.0.7:6543,10.0.0.8/db?sslmode=require"
                )]
            ),
            [
                ("10.0.0.7".to_string(), 6543),
                ("10.0.0.8".to_string(), 5432)
            ]
        );
        assert_eq!(
            backends(
                "bindings.postgresql",
                &[("connectionString", "host=a,b port=1,2")]
            ),
            [("a".to_string(), 1), ("b".to_string(), 2)]
        );
        // host and port metadata override the string.
        assert_eq!(
            backends(
                "state.postgres",
                &[
                    ("connectionString", "host=a port=1"),
                    ("host", "c"),
                    ("port", "7")
                ]
            ),
            [("c".to_string(), 7)]
        );
        // A socket directory is not a network flow; no host is pgx's default.
        assert!(
            backends(
                "state.postgresql",
                &[("connectionString", "host=/var/run/postgresql")]
            )
            .is_empty()
        );
        assert!(backends("state.postgresql", &[("connectionString", "dbname=x")]).is_empty());
        assert!(
            read(
                "state.postgresql",
                &meta(&[("connectionString", "host='db")])
            )[0]
            .is_err()
        );
        assert!(
            read(
                "state.postgresql",
                &meta(&[("connectionString", "nonsense")])
            )[0]
            .is_err()
        );
    }

    #[test]
    fn other_types_are_not_read() {
        assert!(!is_read("bindings.http"));
        assert!(read("bindings.http", &meta(&[("url", "http://x:80")])).is_empty());
        assert_eq!(address_keys("state.redis"), ["redisHost", "redisPort"]);
        assert!(address_keys("bindings.cron").is_empty());
    }

    #[test]
    fn hosts_are_placed() {
        let svc = |ns: &str| Place::Service {
            namespace: ns.into(),
        };
        assert_eq!(place("redis", "shop"), svc("shop"));
        assert_eq!(place("redis.data.svc", "shop"), svc("data"));
        assert_eq!(place("redis.data.svc.cluster.local", "shop"), svc("data"));
        assert_eq!(
            place("redis-0.redis.data.svc.cluster.local.", "shop"),
            svc("data")
        );
        assert_eq!(
            place("redis.data", "shop"),
            Place::ShortName {
                namespace: "data".into()
            }
        );
        assert_eq!(place("db.example.com", "shop"), Place::Name);
        assert_eq!(
            place("10.1.2.3", "shop"),
            Place::Ip("10.1.2.3".parse().unwrap())
        );
        assert_eq!(
            place("fd00::1", "shop"),
            Place::Ip("fd00::1".parse().unwrap())
        );
        for loopback in ["localhost", "127.0.0.1", "::1", "LOCALHOST."] {
            assert_eq!(place(loopback, "shop"), Place::Loopback, "{loopback}");
        }
    }

    fn network(egress: Vec<model::Flow>, hosts: Vec<model::HostFlow>) -> model::Network {
        model::Network {
            enforcement: crate::model::Enforcement::Cilium,
            hosts,
            dns_filter: Vec::new(),
            unlisted_host: None,
            ingress: Vec::new(),
            egress,
            peer_policies: Vec::new(),
            cilium: true,
            api_entity_ports: Vec::new(),
        }
    }

    fn flow(
        namespace: Option<&str>,
        cidr: Option<&str>,
        except: &[&str],
        port: u32,
    ) -> model::Flow {
        model::Flow {
            name: "f".into(),
            reason: String::new(),
            peer: model::Peer {
                namespace: namespace.map(Into::into),
                same_namespace: false,
                pod_labels: Vec::new(),
                cidr: cidr.map(Into::into),
                except: except.iter().map(|e| e.to_string()).collect(),
                app_itself: false,
            },
            ports: vec![model::Port::tcp(port)],
        }
    }

    #[test]
    fn coverage_by_namespace_cidr_and_name() {
        let net = network(
            vec![
                flow(Some("data"), None, &[], 6379),
                flow(None, Some("10.0.0.0/24"), &["10.0.0.128/25"], 5432),
            ],
            vec![model::HostFlow {
                name: "db".into(),
                reason: String::new(),
                hosts: vec![model::HostName {
                    name: "*.example.com".into(),
                    wildcard: true,
                }],
                ports: vec![model::Port::tcp(5432)],
            }],
        );
        let ok = |host: &str, port| covered(&place(host, "shop"), host, port, &net);
        assert!(ok("redis.data.svc.cluster.local", 6379));
        assert!(!ok("redis.data.svc.cluster.local", 6380), "another port");
        assert!(!ok("redis", 6379), "the app's own namespace has no rule");
        assert!(ok("redis.data", 6379));
        assert!(ok("10.0.0.7", 5432));
        assert!(!ok("10.0.0.200", 5432), "in except");
        assert!(!ok("10.0.1.7", 5432), "outside the cidr");
        assert!(ok("db.example.com", 5432));
        assert!(!ok("a.db.example.com", 5432), "one label only");
        assert!(!ok("db.example.com", 5433));
        assert!(ok("localhost", 6379), "loopback is no flow");
    }

    #[test]
    fn the_suggested_rule_is_yaml_for_the_place() {
        let backend = Backend {
            key: "redisHost".into(),
            host: "redis.data.svc".into(),
            port: 6379,
        };
        let rule = suggested_rule(
            "statestore",
            &backend,
            &place(&backend.host, "shop"),
            "shop",
        );
        assert_eq!(
            rule,
            "  - name: statestore\n    namespace: data\n    podLabels: {app.kubernetes.io/name: <the backend pods' label>}\n    ports:\n      - port: 6379"
        );
        let ip = Backend {
            key: "brokers".into(),
            host: "10.0.0.9".into(),
            port: 9092,
        };
        assert!(
            suggested_rule("events", &ip, &place("10.0.0.9", "shop"), "shop")
                .contains("cidr: 10.0.0.9/32")
        );
    }
}
