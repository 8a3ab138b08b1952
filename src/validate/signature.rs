//! `workload.signature`: who must have signed the image, and which
//! attestations it must carry. Yields the sigstore `ClusterImagePolicy`'s
//! model ([`model::ImagePolicy`]).
//!
//! Every string here reaches YAML (quoted by the templates), the live
//! audit's shell (quoted) and the posture document (escaped); none reaches
//! a Rego or CUE policy (the one attestation policy holds a number). Each is
//! still held to the characters its kind needs, so a value reads the same
//! everywhere: an issuer is an https URL, a subject URI or e-mail
//! characters, a regular expression printable ASCII without blanks or
//! quotes, a PEM key base64 lines between its two markers.

use super::{Validator, formats};
use crate::diagnostics::Problem;
use crate::model;
use crate::platform::sigstore;
use crate::spec;

const PATH: &str = "workload.signature";

impl Validator {
    /// Checks `workload.signature`; the policy when `workload` (its image)
    /// and the names are valid too.
    pub(super) fn signature(
        &mut self,
        signature: &spec::Signature,
        workload: Option<&model::Workload>,
        name: Option<&str>,
        namespace: Option<&str>,
    ) -> Option<model::ImagePolicy> {
        let signer = match (&signature.keyless, &signature.key) {
            (Some(_), Some(_)) => {
                self.push(
                    Problem::new(PATH, "sets both keyless and key").help(
                        "keep the one the image is signed with: keyless for `cosign sign` with an OIDC identity (CI), key for `cosign sign --key`",
                    ),
                );
                None
            }
            (None, None) => {
                self.push(Problem::new(PATH, "names no signer").help(
                    "add keyless: {issuer: ..., subject: ...} (e.g. issuer https://token.actions.githubusercontent.com for GitHub Actions), or key: {pem | secret | kms}",
                ));
                None
            }
            (Some(keyless), None) => self.keyless(keyless),
            (None, Some(key)) => self.public_key(key),
        };
        let format = signature
            .format
            .clone()
            .unwrap_or_else(|| sigstore::DEFAULT_SIGNATURE_FORMAT.to_string());
        if !sigstore::SIGNATURE_FORMATS.contains(&format.as_str()) {
            self.push(
                Problem::new(
                    format!("{PATH}.format"),
                    format!("{format:?} is not a signature format"),
                )
                .help("use bundle (cosign v3's default) or legacy (cosign v2 and earlier)"),
            );
        }
        let attestations = signature.attestations.clone().unwrap_or_default();
        let sbom = match attestations.sbom.as_deref() {
            None => Some(None),
            Some(format) => match sigstore::SBOM_FORMATS.iter().find(|(f, _, _)| *f == format) {
                Some((format, predicate, cosign)) => Some(Some(model::AttestationType {
                    format: (*format).to_string(),
                    predicate_type: (*predicate).to_string(),
                    cosign_type: (*cosign).to_string(),
                })),
                None => {
                    self.push(
                        Problem::new(
                            format!("{PATH}.attestations.sbom"),
                            format!("{format:?} is not an SBOM format harden knows"),
                        )
                        .help("use cyclonedx or spdx (cosign attest --type cyclonedx or spdxjson)"),
                    );
                    None
                }
            },
        };
        let vulnerability_scan = match &attestations.vulnerability_scan {
            None => Some(None),
            Some(scan) => {
                let hours = scan
                    .max_age_hours
                    .unwrap_or(model::DEFAULT_SCAN_MAX_AGE_HOURS);
                if (1..=8760).contains(&hours) {
                    Some(Some(model::VulnerabilityScan {
                        predicate_type: sigstore::PREDICATE_VULN.to_string(),
                        max_age_hours: hours,
                        rego: sigstore::vuln_freshness_rego(hours),
                    }))
                } else {
                    self.push(
                        Problem::new(
                            format!("{PATH}.attestations.vulnerabilityScan.maxAgeHours"),
                            format!("{hours} is out of range"),
                        )
                        .help("use 1 to 8760 hours (a year); a scan older than the bound refuses the pod"),
                    );
                    None
                }
            }
        };
        let workload = workload?;
        let (name, namespace) = (name?, namespace?);
        let mut signer = signer?;
        if format == "legacy" {
            signer.verify_args.push("--new-bundle-format=false".into());
        } else if !sigstore::SIGNATURE_FORMATS.contains(&format.as_str()) {
            return None;
        }
        let repository = sigstore::qualified_repository(&workload.image);
        Some(model::ImagePolicy {
            name: format!("{namespace}-{name}"),
            globs: sigstore::repository_globs(&repository, workload.pinned_by_digest),
            repository,
            issuer: signer.issuer,
            subject: signer.subject,
            subject_reg_exp: signer.subject_reg_exp,
            key_pem: signer.key_pem,
            key_secret: signer.key_secret,
            key_kms: signer.key_kms,
            format,
            sbom: sbom?,
            vulnerability_scan: vulnerability_scan?,
            verify_args: signer.verify_args,
            signer: signer.described,
        })
    }

    fn keyless(&mut self, keyless: &spec::KeylessIdentity) -> Option<Signer> {
        let path = format!("{PATH}.keyless");
        let issuer = self
            .required(
                &keyless.issuer,
                &format!("{path}.issuer"),
                "set the OIDC issuer, e.g. https://token.actions.githubusercontent.com (GitHub Actions)",
            )
            .filter(|issuer| {
                self.check(
                    &format!("{path}.issuer"),
                    issuer,
                    https_url(issuer),
                    "write the issuer's https URL, e.g. https://token.actions.githubusercontent.com or https://accounts.google.com",
                )
            });
        let subject = match (&keyless.subject, &keyless.subject_reg_exp) {
            (Some(_), Some(_)) => {
                self.push(
                    Problem::new(&path, "sets both subject and subjectRegExp").help(
                        "keep subject (exact, the narrowest) unless several workflows or branches sign",
                    ),
                );
                None
            }
            (None, None) => {
                self.push(
                    Problem::new(format!("{path}.subject"), "is required").help(
                        "set the signer's subject, e.g. https://github.com/<org>/<repo>/.github/workflows/release.yml@refs/heads/main, or subjectRegExp",
                    ),
                );
                None
            }
            (Some(subject), None) => self
                .check(
                    &format!("{path}.subject"),
                    subject,
                    identity_text(subject),
                    "write the certificate's subject: a workflow URI or an e-mail address",
                )
                .then(|| (Some(subject.clone()), None)),
            (None, Some(regexp)) => self
                .check(
                    &format!("{path}.subjectRegExp"),
                    regexp,
                    anchored_regexp(regexp),
                    "write an RE2 expression anchored with ^ and $, escaping dots, e.g. ^https://github\\.com/acme/shop/\\.github/workflows/release\\.yml@refs/tags/v[0-9.]+$",
                )
                .then(|| (None, Some(regexp.clone()))),
        };
        let issuer = issuer?.clone();
        let (subject, subject_reg_exp) = subject?;
        let mut verify_args = vec!["--certificate-oidc-issuer".into(), issuer.clone()];
        let described = match (&subject, &subject_reg_exp) {
            (Some(subject), _) => {
                verify_args.extend(["--certificate-identity".into(), subject.clone()]);
                format!("keyless: subject {subject} from issuer {issuer}")
            }
            (_, Some(regexp)) => {
                verify_args.extend(["--certificate-identity-regexp".into(), regexp.clone()]);
                format!("keyless: a subject matching {regexp} from issuer {issuer}")
            }
            _ => return None,
        };
        Some(Signer {
            issuer: Some(issuer),
            subject,
            subject_reg_exp,
            verify_args,
            described,
            ..Signer::default()
        })
    }

    fn public_key(&mut self, key: &spec::PublicKey) -> Option<Signer> {
        let path = format!("{PATH}.key");
        let set = [key.pem.is_some(), key.secret.is_some(), key.kms.is_some()]
            .iter()
            .filter(|s| **s)
            .count();
        if set != 1 {
            self.push(
                Problem::new(
                    &path,
                    if set == 0 {
                        "names no key"
                    } else {
                        "names more than one key"
                    },
                )
                .help(format!(
                    "set exactly one of pem (the PEM public key), secret (a Secret in {} holding it) or kms (a KMS key URI)",
                    sigstore::CONTROLLER_NAMESPACE
                )),
            );
            return None;
        }
        if let Some(pem) = &key.pem {
            let ok = self.check(
                &format!("{path}.pem"),
                pem,
                public_key_pem(pem),
                "paste the public key as `cosign generate-key-pair` writes cosign.pub: -----BEGIN PUBLIC KEY-----, base64 lines, -----END PUBLIC KEY-----",
            );
            return ok.then(|| Signer {
                key_pem: Some(pem.clone()),
                verify_args: vec!["--key".into(), format!("env://{PEM_VARIABLE}")],
                described: "a public key (inline PEM)".into(),
                ..Signer::default()
            });
        }
        if let Some(secret) = &key.secret {
            let ok = self.check(
                &format!("{path}.secret"),
                secret,
                formats::dns1123_subdomain(secret),
                "name the Secret: lowercase letters, digits, '-' and '.'",
            );
            return ok.then(|| Signer {
                key_secret: Some(secret.clone()),
                verify_args: vec![
                    "--key".into(),
                    format!("k8s://{}/{secret}", sigstore::CONTROLLER_NAMESPACE),
                ],
                described: format!(
                    "the public key in Secret {}/{secret}",
                    sigstore::CONTROLLER_NAMESPACE
                ),
                ..Signer::default()
            });
        }
        let kms = key.kms.as_ref()?;
        let ok = self.check(
            &format!("{path}.kms"),
            kms,
            kms_uri(kms),
            "write the key's URI, e.g. awskms:///arn:aws:kms:eu-west-1:111122223333:key/<id> or gcpkms://projects/<p>/locations/<l>/keyRings/<r>/cryptoKeys/<k>",
        );
        ok.then(|| Signer {
            key_kms: Some(kms.clone()),
            verify_args: vec!["--key".into(), kms.clone()],
            described: format!("the KMS key {kms}"),
            ..Signer::default()
        })
    }
}

/// The environment variable the live audit passes an inline PEM key in
/// (`cosign verify --key env://VAR`: cosign v3.1.2 `cmd/cosign/cli/verify.go`
/// examples).
pub const PEM_VARIABLE: &str = "HARDEN_COSIGN_KEY";

#[derive(Default)]
struct Signer {
    issuer: Option<String>,
    subject: Option<String>,
    subject_reg_exp: Option<String>,
    key_pem: Option<String>,
    key_secret: Option<String>,
    key_kms: Option<String>,
    verify_args: Vec<String>,
    described: String,
}

/// An https URL: a lowercase host, an optional port, a path of URL
/// characters (no query, no fragment, no userinfo).
pub fn https_url(value: &str) -> Result<(), String> {
    let rest = value
        .strip_prefix("https://")
        .ok_or("is not an https URL")?;
    let (authority, path) = match rest.find('/') {
        Some(slash) => (&rest[..slash], &rest[slash..]),
        None => (rest, ""),
    };
    let (host, port) = match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    let host_ok = !host.is_empty()
        && host
            .split('.')
            .all(|label| formats::dns1123_label(label).is_ok());
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.chars().all(|c| c.is_ascii_digit()));
    if !host_ok || !port_ok {
        return Err(format!("has no valid host[:port] ({authority:?})"));
    }
    if !path
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '-' | '_' | '~'))
    {
        return Err("has a path with characters other than letters, digits and / . - _ ~".into());
    }
    Ok(())
}

/// A certificate subject: a URI or an e-mail address, in URI characters
/// without quotes, blanks or shell metacharacters.
pub fn identity_text(value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err("is empty".into());
    }
    match value.chars().find(|c| !identity_char(*c)) {
        Some(c) => Err(format!(
            "contains {c:?}; a subject holds letters, digits and . _ ~ : / @ + = % -"
        )),
        None => Ok(()),
    }
}

fn identity_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(c, '.' | '_' | '~' | ':' | '/' | '@' | '+' | '=' | '%' | '-')
}

/// A regular expression for a subject: printable ASCII without blanks,
/// quotes or backticks; anchored at both ends (unanchored, `acme/shop`
/// would also match `evil/acme/shop-fork`); balanced; no constructs RE2
/// (Go's regexp, which cosign and the controller use) refuses:
/// backreferences and lookaround.
pub fn anchored_regexp(value: &str) -> Result<(), String> {
    if let Some(c) = value
        .chars()
        .find(|c| !c.is_ascii_graphic() || matches!(c, '"' | '\'' | '`'))
    {
        return Err(format!(
            "contains {c:?}; use printable ASCII without blanks or quotes"
        ));
    }
    if !value.starts_with('^') || !value.ends_with('$') || value.ends_with("\\$") {
        return Err("is not anchored: it must start with ^ and end with $".into());
    }
    for construct in ["(?=", "(?!", "(?<=", "(?<!"] {
        if value.contains(construct) {
            return Err(format!(
                "uses lookaround {construct:?}, which RE2 does not support"
            ));
        }
    }
    let mut depth: i32 = 0;
    let mut in_class = false;
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(d) if d.is_ascii_digit() && d != '0' => {
                    return Err(format!(
                        "uses the backreference \\{d}, which RE2 does not support"
                    ));
                }
                Some(_) => {}
                None => return Err("ends with a lone backslash".into()),
            },
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            '(' if !in_class => depth += 1,
            ')' if !in_class => {
                depth -= 1;
                if depth < 0 {
                    return Err("has an unopened ')'".into());
                }
            }
            _ => {}
        }
    }
    if depth != 0 || in_class {
        return Err("has an unclosed ( or [".into());
    }
    if matches!(value, "^.*$" | "^.+$") {
        return Err("matches every subject".into());
    }
    Ok(())
}

const PEM_BEGIN: &str = "-----BEGIN PUBLIC KEY-----";
const PEM_END: &str = "-----END PUBLIC KEY-----";

/// A PEM public key: the BEGIN and END PUBLIC KEY lines around base64
/// lines, nothing else (a private key is refused by name).
pub fn public_key_pem(value: &str) -> Result<(), String> {
    if value.contains("PRIVATE KEY") {
        return Err(
            "is a private key: never put it in a spec; give the public key (cosign.pub)".into(),
        );
    }
    let lines: Vec<&str> = value.trim_end_matches('\n').split('\n').collect();
    if lines.len() < 3 || lines[0] != PEM_BEGIN || lines[lines.len() - 1] != PEM_END {
        return Err(format!(
            "is not a PEM public key ({PEM_BEGIN} ... {PEM_END})"
        ));
    }
    let body = &lines[1..lines.len() - 1];
    let base64: usize = body.iter().map(|l| l.len()).sum();
    let valid = body.iter().all(|line| {
        !line.is_empty()
            && line.len() <= 76
            && line
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='))
    });
    if !valid || !base64.is_multiple_of(4) || !(40..=2048).contains(&base64) {
        return Err("has a body that is not base64 lines of a public key".into());
    }
    Ok(())
}

/// A KMS key URI of a scheme cosign knows, in URI characters.
pub fn kms_uri(value: &str) -> Result<(), String> {
    let Some(scheme) = sigstore::KMS_SCHEMES
        .iter()
        .find(|s| value.starts_with(**s))
    else {
        return Err(format!(
            "is not a KMS URI ({})",
            sigstore::KMS_SCHEMES.join(", ")
        ));
    };
    let rest = &value[scheme.len()..];
    if rest.is_empty() {
        return Err("names no key".into());
    }
    identity_text(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuers_are_https_urls() {
        assert!(https_url("https://token.actions.githubusercontent.com").is_ok());
        assert!(https_url("https://oauth2.sigstore.dev/auth").is_ok());
        assert!(https_url("https://gitlab.example.com:8443").is_ok());
        for bad in [
            "http://accounts.google.com",
            "https://",
            "https://a b",
            "https://x.com/\"; rm -rf /",
            "https://x.com?q=1",
            "https://user@x.com",
        ] {
            assert!(https_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn regexps_are_anchored_and_re2() {
        assert!(
            anchored_regexp(r"^https://github\.com/acme/shop/\.github/workflows/release\.yml@refs/tags/v[0-9.]+$")
                .is_ok()
        );
        for bad in [
            "github.com/acme",
            "^github.com/acme",
            r"^a\$",
            "^(a$",
            "^a)$",
            "^[a$",
            r"^(a)\1$",
            "^(?=a)$",
            "^a b$",
            "^a\"$",
            "^.*$",
        ] {
            assert!(anchored_regexp(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn pem_public_keys_only() {
        let key = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqOcSCRfC3Ap6Nd1n0Z5pv0Tn5b5a\nJbkNhs1sFIGjFtqkQk8T+q3YJ6p8nKr+GmJzbbJq8xOs1l4wWb0PGY9dEw==\n-----END PUBLIC KEY-----\n";
        assert_eq!(public_key_pem(key), Ok(()));
        assert!(public_key_pem(&key.replace("PUBLIC", "EC PRIVATE")).is_err());
        assert!(public_key_pem(&key.replace("MFkw", "MF\"w")).is_err());
        assert!(public_key_pem("-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----").is_err());
        assert!(public_key_pem(&format!("{key}extra: true\n")).is_err());
    }

    #[test]
    fn kms_uris() {
        assert!(kms_uri("awskms:///arn:aws:kms:eu-west-1:111122223333:key/abcd").is_ok());
        assert!(kms_uri("file:///etc/key").is_err());
        assert!(kms_uri("gcpkms://x y").is_err());
        assert!(kms_uri("gcpkms://").is_err());
    }
}
