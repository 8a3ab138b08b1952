//! Checks for the string formats a spec value must have before it may reach
//! a manifest or a shell script: Kubernetes names and labels, image
//! references, CIDRs, quantities, durations and paths.
//!
//! Each check returns `Err(reason)` with a short reason phrase; the caller
//! adds the field path, the value and the fix. They follow the Kubernetes API
//! machinery rules (`k8s.io/apimachinery/pkg/util/validation`) and the
//! distribution reference grammar for images.

use std::net::IpAddr;

fn is_lower_alnum(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// A DNS-1123 label: namespace names, label-like object names.
pub fn dns1123_label(value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err("must not be empty".into());
    }
    if value.len() > 63 {
        return Err(format!(
            "is {} characters long, at most 63 are allowed",
            value.len()
        ));
    }
    if !value.chars().all(|c| is_lower_alnum(c) || c == '-') {
        return Err("may contain only lowercase letters, digits and '-'".into());
    }
    if value.starts_with('-') || value.ends_with('-') {
        return Err("must start and end with a lowercase letter or digit".into());
    }
    Ok(())
}

/// A DNS-1035 label: a DNS-1123 label that starts with a letter (Service names).
pub fn dns1035_label(value: &str) -> Result<(), String> {
    dns1123_label(value)?;
    if !value.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err("must start with a lowercase letter".into());
    }
    Ok(())
}

/// A DNS-1123 subdomain: most object names.
pub fn dns1123_subdomain(value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err("must not be empty".into());
    }
    if value.len() > 253 {
        return Err(format!(
            "is {} characters long, at most 253 are allowed",
            value.len()
        ));
    }
    for part in value.split('.') {
        if part.is_empty() {
            return Err("must not contain empty parts between dots".into());
        }
        if !part.chars().all(|c| is_lower_alnum(c) || c == '-')
            || part.starts_with('-')
            || part.ends_with('-')
        {
            return Err(
                "each dot-separated part may contain only lowercase letters, digits and '-', \
                 and must start and end with a letter or digit"
                    .into(),
            );
        }
    }
    Ok(())
}

fn label_name_part(value: &str) -> Result<(), String> {
    if value.is_empty() || value.len() > 63 {
        return Err("the name part must be 1 to 63 characters".into());
    }
    let ok_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.';
    if !value.chars().all(ok_char) {
        return Err("may contain only letters, digits, '-', '_' and '.'".into());
    }
    let edge = |c: char| c.is_ascii_alphanumeric();
    if !value.starts_with(edge) || !value.ends_with(edge) {
        return Err("must start and end with a letter or digit".into());
    }
    Ok(())
}

/// A label key: `[prefix/]name`, prefix a DNS-1123 subdomain.
pub fn label_key(value: &str) -> Result<(), String> {
    match value.split_once('/') {
        Some((prefix, name)) => {
            dns1123_subdomain(prefix).map_err(|e| format!("its prefix {e}"))?;
            label_name_part(name)
        }
        None => label_name_part(value),
    }
}

/// A label value: empty, or up to 63 characters of a name part.
pub fn label_value(value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Ok(());
    }
    label_name_part(value)
}

/// What an image reference pins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageReference {
    pub tag: Option<String>,
    pub digest: Option<String>,
}

/// An OCI image reference: `[registry[:port]/]path[:tag][@algorithm:hex]`.
pub fn image_reference(value: &str) -> Result<ImageReference, String> {
    if value.is_empty() {
        return Err("must not be empty".into());
    }
    let (name_and_tag, digest) = match value.split_once('@') {
        Some((name, digest)) => (name, Some(digest)),
        None => (value, None),
    };
    if let Some(digest) = digest {
        let (algorithm, hex) = digest
            .split_once(':')
            .ok_or("the digest must look like sha256:<64 hex digits>")?;
        let expected = match algorithm {
            "sha256" => 64,
            "sha512" => 128,
            _ => {
                return Err(format!(
                    "digest algorithm '{algorithm}' is not sha256 or sha512"
                ));
            }
        };
        if hex.len() != expected
            || !hex
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        {
            return Err(format!(
                "the digest must be {algorithm}: followed by {expected} lowercase hex digits"
            ));
        }
    }
    let last_slash = name_and_tag.rfind('/');
    let (name, tag) = match name_and_tag.rfind(':') {
        Some(colon) if last_slash.is_none_or(|slash| colon > slash) => {
            (&name_and_tag[..colon], Some(&name_and_tag[colon + 1..]))
        }
        _ => (name_and_tag, None),
    };
    if let Some(tag) = tag {
        let ok = !tag.is_empty()
            && tag.len() <= 128
            && tag.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            && tag
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-');
        if !ok {
            return Err(format!("tag '{tag}' is not a valid tag"));
        }
    }
    if name.is_empty() || name.len() > 255 {
        return Err("the repository name must be 1 to 255 characters".into());
    }
    let mut components: Vec<&str> = name.split('/').collect();
    let first = components[0];
    let has_registry = components.len() > 1
        && (first.contains('.') || first.contains(':') || first == "localhost");
    if has_registry {
        let (host, port) = match first.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (first, None),
        };
        let host_ok = !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
            && !host.starts_with(['-', '.'])
            && !host.ends_with(['-', '.']);
        let port_ok = port.is_none_or(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
        if !host_ok || !port_ok {
            return Err(format!("registry '{first}' is not a valid host[:port]"));
        }
        components.remove(0);
    }
    for component in components {
        if !path_component(component) {
            return Err(format!(
                "path component '{component}' must be lowercase letters and digits, \
                 separated by '.', '_', '__' or '-'"
            ));
        }
    }
    Ok(ImageReference {
        tag: tag.map(str::to_string),
        digest: digest.map(str::to_string),
    })
}

fn path_component(component: &str) -> bool {
    if component.is_empty() {
        return false;
    }
    let bytes = component.as_bytes();
    if !is_lower_alnum(bytes[0] as char) || !is_lower_alnum(bytes[bytes.len() - 1] as char) {
        return false;
    }
    let mut index = 0;
    while index < bytes.len() {
        let c = bytes[index] as char;
        if is_lower_alnum(c) {
            index += 1;
            continue;
        }
        // A separator run: '.', '_', '__' or one or more '-'.
        let start = index;
        while index < bytes.len() && !is_lower_alnum(bytes[index] as char) {
            index += 1;
        }
        let separator = &component[start..index];
        let valid = separator == "."
            || separator == "_"
            || separator == "__"
            || separator.chars().all(|c| c == '-');
        if !valid {
            return false;
        }
    }
    true
}

/// A parsed CIDR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    pub address: IpAddr,
    pub prefix: u8,
}

impl Cidr {
    pub fn contains(&self, other: &Cidr) -> bool {
        if other.prefix < self.prefix {
            return false;
        }
        match (self.address, other.address) {
            (IpAddr::V4(a), IpAddr::V4(b)) => {
                let mask = mask_v4(self.prefix);
                u32::from(a) & mask == u32::from(b) & mask
            }
            (IpAddr::V6(a), IpAddr::V6(b)) => {
                let mask = mask_v6(self.prefix);
                u128::from(a) & mask == u128::from(b) & mask
            }
            _ => false,
        }
    }
}

fn mask_v4(prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    }
}

fn mask_v6(prefix: u8) -> u128 {
    if prefix == 0 {
        0
    } else {
        u128::MAX << (128 - prefix)
    }
}

/// A CIDR as the API server accepts it for a NetworkPolicy `ipBlock` under
/// strict IP/CIDR validation (k8s.io/apimachinery/pkg/util/validation/ip.go,
/// `parseCIDR` with strictValidation, called from `ValidateIPBlock` in
/// kubernetes pkg/apis/networking/validation/validation.go): no leading
/// zeros in the address or the prefix length, no IPv4-mapped IPv6 address
/// (it would hide an IPv4 range, e.g. `::ffff:0.0.0.0/96` is the whole IPv4
/// internet), no bits set beyond the prefix length. Signs (`/+8`) are not
/// digits and are refused as Go's `net.ParseCIDR` refuses them.
pub fn cidr(value: &str) -> Result<Cidr, String> {
    let (address, prefix) = value
        .split_once('/')
        .ok_or("must be an address and a prefix length, e.g. 10.0.0.0/16")?;
    let ip: IpAddr = address
        .parse()
        .map_err(|_| format!("'{address}' is not an IPv4 or IPv6 address"))?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let digits = !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_digit());
    if !digits || (prefix.len() > 1 && prefix.starts_with('0')) {
        return Err(format!(
            "the prefix length must be a number from 0 to {max}, without sign or leading zeros"
        ));
    }
    let prefix: u8 = prefix.parse().ok().filter(|p| *p <= max).ok_or(format!(
        "the prefix length must be a number from 0 to {max}"
    ))?;
    // Dotted IPv4 parts (also inside an IPv6 address) with leading zeros
    // read as octal to libc; Rust's parser refuses them today, this keeps
    // the rule explicit.
    if address
        .rsplit(':')
        .next()
        .unwrap_or_default()
        .split('.')
        .filter(|_| address.contains('.'))
        .any(|part| part.len() > 1 && part.starts_with('0'))
    {
        return Err("the address must not have leading zeros".into());
    }
    if let IpAddr::V6(v6) = ip
        && let Some(v4) = v6.to_ipv4_mapped()
    {
        let v4_prefix = prefix.saturating_sub(96);
        return Err(format!(
            "is an IPv4-mapped IPv6 range (the IPv4 range {v4}/{v4_prefix}), which the API server refuses; write the IPv4 range itself"
        ));
    }
    let canonical = match ip {
        IpAddr::V4(a) => IpAddr::V4((u32::from(a) & mask_v4(prefix)).into()),
        IpAddr::V6(a) => IpAddr::V6((u128::from(a) & mask_v6(prefix)).into()),
    };
    if canonical != ip {
        return Err(format!(
            "host bits are set; the network is {canonical}/{prefix}"
        ));
    }
    Ok(Cidr {
        address: ip,
        prefix,
    })
}

/// The largest quantity harden accepts, in base units: 2^63-1, the bound
/// quantity.go documents ("no quantity may represent a number greater than
/// 2^63-1 in magnitude"; larger decimal values are not refused there but
/// overflow every consumer that reads them as int64, e.g. `MilliValue`).
const MAX_QUANTITY: f64 = 9_223_372_036_854_775_807.0;

/// Parses a Kubernetes quantity into a number, following the grammar of
/// k8s.io/apimachinery/pkg/api/resource/quantity.go:
///
/// ```text
/// <quantity>        ::= <signedNumber><suffix>
/// <signedNumber>    ::= <number> | <sign><number>
/// <number>          ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
/// <suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI>
/// <binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei
/// <decimalSI>       ::= m | "" | k | M | G | T | P | E
/// <decimalExponent> ::= "e" <signedNumber> | "E" <signedNumber>
/// ```
///
/// The exponent is read as a 32-bit integer, as `quantitySuffixer.interpret`
/// does. Resource amounts must not be negative (`ValidateNonnegativeQuantity`
/// in kubernetes pkg/apis/core/validation) and harden refuses any above
/// 2^63-1 (see [`MAX_QUANTITY`]), so `1e400` never reaches a manifest.
pub fn quantity(value: &str) -> Result<f64, String> {
    let unsigned = value.strip_prefix(['+', '-']).unwrap_or(value);
    let negative = value.starts_with('-');
    let split = unsigned
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(unsigned.len());
    let (number, suffix) = unsigned.split_at(split);
    let valid_number = !number.is_empty() && number != "." && number.matches('.').count() <= 1;
    if !valid_number {
        return Err("must start with a number, e.g. 250m, 0.5, 128Mi".into());
    }
    let factor = match suffix {
        "" => 1.0,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        other => {
            let exponent = other
                .strip_prefix(['e', 'E'])
                .filter(|e| {
                    let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
                    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
                })
                .and_then(|e| e.parse::<i32>().ok())
                .ok_or(format!(
                    "unit '{other}' is not a Kubernetes quantity suffix (m, Ki, Mi, Gi, k, M, G, or an exponent such as e3)"
                ))?;
            10f64.powi(exponent)
        }
    };
    if negative && number.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        return Err("must not be negative".into());
    }
    let number: f64 = if let Some(whole) = number.strip_suffix('.') {
        whole.parse()
    } else if number.starts_with('.') {
        format!("0{number}").parse()
    } else {
        number.parse()
    }
    .map_err(|_| "is not a number".to_string())?;
    let amount = number * factor;
    if !amount.is_finite() || amount > MAX_QUANTITY {
        return Err("is larger than any Kubernetes quantity (at most 2^63-1)".into());
    }
    Ok(amount)
}

/// Directories a writable volume or a secret may not be mounted on (or
/// over, or under): the kernel's interfaces (`/proc`, `/sys`, `/dev`, which
/// the container runtime mounts itself), and the projected service account
/// token's mount path, which the API server would see twice (it refuses
/// duplicate mount paths: `mountPath: must be unique`, ValidateVolumeMounts
/// in kubernetes pkg/apis/core/validation/validation.go).
pub const RESERVED_MOUNTS: [&str; 4] = [
    "/proc",
    "/sys",
    "/dev",
    "/var/run/secrets/kubernetes.io/serviceaccount",
];

/// Refuses a mount path on, under or over a [`RESERVED_MOUNTS`] entry (a
/// mount over `/var/run` would hide the token; one under `/proc` reaches the
/// kernel).
pub fn unreserved_mount(value: &str) -> Result<(), String> {
    for reserved in RESERVED_MOUNTS {
        let over = path_within(reserved, value) && reserved.starts_with("/var/run/secrets");
        if path_within(value, reserved) || over {
            return Err(format!(
                "is on {reserved}, which harden or the container runtime mounts itself"
            ));
        }
    }
    Ok(())
}

/// A Go duration as ESO reads `refreshInterval`: `1h`, `30m`, `1h30m`, `0`.
pub fn go_duration(value: &str) -> Result<(), String> {
    if value == "0" {
        return Ok(());
    }
    let mut rest = value;
    if rest.is_empty() {
        return Err("must not be empty".into());
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err("must be numbers with units, e.g. 1h, 30m, 1h30m".into());
        }
        rest = &rest[digits..];
        let unit = ["ns", "us", "µs", "ms", "s", "m", "h"]
            .iter()
            .filter(|unit| rest.starts_with(*unit))
            .max_by_key(|unit| unit.len())
            .ok_or("each number needs a unit: h, m, s, ms")?;
        rest = &rest[unit.len()..];
    }
    Ok(())
}

/// An absolute container path that is safe to mount: `/a/b`, no `.`/`..`.
pub fn mount_path(value: &str) -> Result<(), String> {
    if !value.starts_with('/') {
        return Err("must be an absolute path".into());
    }
    if value == "/" {
        return Err("must not be the root directory".into());
    }
    if value.ends_with('/') {
        return Err("must not end with '/'".into());
    }
    if !value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_' | '.'))
    {
        return Err("may contain only letters, digits, '/', '-', '_' and '.'".into());
    }
    if value[1..]
        .split('/')
        .any(|part| part.is_empty() || part == "." || part == "..")
    {
        return Err("must not contain empty, '.' or '..' components".into());
    }
    Ok(())
}

/// True when `inner` is `outer` or lies below it.
pub fn path_within(inner: &str, outer: &str) -> bool {
    inner == outer || inner.starts_with(&format!("{outer}/"))
}

/// An HTTP path for a probe: `/`, then visible ASCII without quotes or spaces.
pub fn http_path(value: &str) -> Result<(), String> {
    if !value.starts_with('/') {
        return Err("must start with '/'".into());
    }
    if !value
        .chars()
        .all(|c| c.is_ascii_graphic() && !matches!(c, '"' | '\'' | '\\' | '`' | '$'))
    {
        return Err(
            "may contain only visible ASCII characters, without quotes, '\\', '`' or '$'".into(),
        );
    }
    Ok(())
}

/// A key of a Secret (and the file name it becomes): `[-._a-zA-Z0-9]+`.
pub fn secret_key(value: &str) -> Result<(), String> {
    if value.is_empty() || value.len() > 253 {
        return Err("must be 1 to 253 characters".into());
    }
    if value == "." || value == ".." {
        return Err("must not be '.' or '..'".into());
    }
    if !value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err("may contain only letters, digits, '-', '_' and '.'".into());
    }
    Ok(())
}

/// Free text that is written into YAML (always quoted): no control characters.
pub fn plain_text(value: &str) -> Result<(), String> {
    if value.chars().any(char::is_control) {
        return Err("must not contain control characters (newlines, tabs, escapes)".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references() {
        let digest = "sha256:".to_string() + &"a".repeat(64);
        let with_digest = image_reference(&format!("ghcr.io/acme/api@{digest}")).unwrap();
        assert_eq!(with_digest.digest.as_deref(), Some(digest.as_str()));
        assert_eq!(with_digest.tag, None);
        let both = image_reference(&format!("localhost:5000/a/b:1.2@{digest}")).unwrap();
        assert_eq!(both.tag.as_deref(), Some("1.2"));
        assert_eq!(image_reference("nginx").unwrap().tag, None);
        assert!(image_reference("Nginx:1").is_err());
        assert!(image_reference("nginx@sha256:abc").is_err());
        assert!(image_reference("nginx:bad tag").is_err());
        assert!(image_reference("a//b").is_err());
        assert!(image_reference("a--b/c__d/e.f:x").is_ok());
        assert!(image_reference("a..b").is_err());
    }

    #[test]
    fn cidrs() {
        assert!(cidr("10.0.0.0/8").is_ok());
        assert!(cidr("0.0.0.0/0").is_ok());
        assert!(cidr("fd00::/8").is_ok());
        assert_eq!(
            cidr("10.0.0.1/8").unwrap_err(),
            "host bits are set; the network is 10.0.0.0/8"
        );
        assert!(cidr("10.0.0.0/33").is_err());
        assert!(cidr("10.0.0.0").is_err());
        assert!(cidr("x/8").is_err());
        // Strict API server validation (apimachinery util/validation/ip.go).
        for refused in [
            "10.0.0.0/08",
            "10.0.0.0/+8",
            "10.0.0.0/-8",
            "10.0.0.0/ 8",
            "010.0.0.0/8",
            "::ffff:0.0.0.0/96",
            "::ffff:10.0.0.0/104",
            "10.0.0.0/",
        ] {
            assert!(cidr(refused).is_err(), "{refused}");
        }
        assert!(cidr("::ffff:0.0.0.0/96").unwrap_err().contains("0.0.0.0/0"));
        assert!(cidr("10.0.0.0/0").is_err());
        let outer = cidr("10.0.0.0/8").unwrap();
        assert!(outer.contains(&cidr("10.1.0.0/16").unwrap()));
        assert!(!outer.contains(&cidr("11.0.0.0/16").unwrap()));
    }

    #[test]
    fn quantities() {
        assert_eq!(quantity("100m").unwrap(), 0.1);
        assert_eq!(quantity("2").unwrap(), 2.0);
        assert_eq!(quantity("128Mi").unwrap(), 128.0 * 1024.0 * 1024.0);
        assert_eq!(quantity("1e3").unwrap(), 1000.0);
        assert!(quantity("abc").is_err());
        assert!(quantity("1.2.3").is_err());
        assert!(quantity("10MB").is_err());
        // quantity.go grammar: signs, `.5`, `5.`, signed exponents.
        assert_eq!(quantity(".5").unwrap(), 0.5);
        assert_eq!(quantity("5.").unwrap(), 5.0);
        assert_eq!(quantity("+1").unwrap(), 1.0);
        assert_eq!(quantity("1e-3").unwrap(), 0.001);
        assert_eq!(quantity("-0").unwrap(), 0.0);
        for refused in [
            "1e400",
            "1E19",
            "9Ei",
            "-1",
            "-100m",
            "1e",
            "1e+",
            "1e1.5",
            ".",
            "1..",
            "e3",
            "",
            "1 ",
            "1e99999999999",
        ] {
            assert!(quantity(refused).is_err(), "{refused}");
        }
    }

    #[test]
    fn reserved_mounts() {
        for refused in [
            "/proc",
            "/proc/self",
            "/sys/fs",
            "/dev",
            "/var/run/secrets/kubernetes.io/serviceaccount",
            "/var/run/secrets/kubernetes.io/serviceaccount/x",
            "/var/run",
            "/var",
        ] {
            assert!(unreserved_mount(refused).is_err(), "{refused}");
        }
        for accepted in ["/tmp", "/var/cache", "/secrets", "/devices", "/process"] {
            assert!(unreserved_mount(accepted).is_ok(), "{accepted}");
        }
    }

    #[test]
    fn durations_and_paths() {
        assert!(go_duration("1h30m").is_ok());
        assert!(go_duration("15s").is_ok());
        assert!(go_duration("1d").is_err());
        assert!(go_duration("h").is_err());
        assert!(mount_path("/var/cache/app").is_ok());
        assert!(mount_path("/tmp/../etc").is_err());
        assert!(mount_path("relative").is_err());
        assert!(mount_path("/").is_err());
        assert!(path_within("/tmp/a", "/tmp"));
        assert!(!path_within("/tmpx", "/tmp"));
    }

    #[test]
    fn labels() {
        assert!(label_key("app.kubernetes.io/name").is_ok());
        assert!(label_key("app").is_ok());
        assert!(label_key("-app").is_err());
        assert!(label_key("Bad_Prefix/app").is_err());
        assert!(label_value("").is_ok());
        assert!(label_value("redis-7.2").is_ok());
        assert!(label_value("a b").is_err());
        assert!(label_value(&"a".repeat(64)).is_err());
    }
}
