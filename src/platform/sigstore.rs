//! sigstore facts: what the policy-controller's `ClusterImagePolicy` means and
//! what `cosign verify` answers, for `workload.signature`.
//!
//! Sources (read from the upstream repositories, not the docs):
//! sigstore/policy-controller at tag v0.15.1 (the version of the CRD in
//! `../shared/conformance/crds/sigstore/`) and sigstore/cosign at tags
//! v3.0.5 (the version policy-controller v0.15.1 builds with) and v3.1.2.

use serde::Serialize;

/// The API version of the rendered policy. The CRD serves `v1alpha1`
/// (storage) and `v1beta1`: policy-controller v0.15.1
/// `config/300-clusterimagepolicy.yaml`.
pub const POLICY_API_VERSION: &str = "policy.sigstore.dev/v1beta1";
pub const POLICY_KIND: &str = "ClusterImagePolicy";

/// The namespace label the policy-controller's validating and mutating
/// webhooks select: only namespaces labelled `"true"` are checked at all.
/// policy-controller v0.15.1 `config/500-webhook-configuration.yaml`
/// (`namespaceSelector` on `policy.sigstore.dev/include`); its own namespace
/// carries `"false"` (`config/100-namespace.yaml`).
pub const INCLUDE_LABEL: &str = "policy.sigstore.dev/include";
pub const INCLUDE_VALUE: &str = "true";

/// The controller's own namespace, the only namespace a key's `secretRef`
/// may name (the reconciler reads the Secret from `system.Namespace()`):
/// policy-controller v0.15.1 `pkg/apis/policy/v1beta1/clusterimagepolicy_validation.go`
/// (`secretref.namespace is invalid`), `pkg/reconciler/clusterimagepolicy/clusterimagepolicy.go`
/// (the Secret must hold exactly one data entry, the PEM public key), and
/// `config/100-namespace.yaml` (`cosign-system`).
pub const CONTROLLER_NAMESPACE: &str = "cosign-system";

/// The public Fulcio instance, the keyless `url` the controller defaults
/// to: policy-controller v0.15.1 `pkg/apis/policy/v1beta1/clusterimagepolicy_defaults.go`
/// (`apis.HTTPS("fulcio.sigstore.dev")`).
pub const FULCIO_URL: &str = "https://fulcio.sigstore.dev";

/// `spec.mode`: `enforce` (refuse) or `warn`; harden renders `enforce`.
/// policy-controller v0.15.1 `pkg/apis/policy/common/validation.go` (`ValidModes`).
pub const MODE_ENFORCE: &str = "enforce";

/// `signatureFormat`: `legacy` (the controller's default) or `bundle`.
/// policy-controller v0.15.1 `clusterimagepolicy_types.go` (field comment);
/// cosign v3 writes the bundle format by default (`--new-bundle-format`
/// defaults to true in cosign v3.1.2 `cmd/cosign/cli/options/sign.go`), so
/// harden's default is `bundle`.
pub const SIGNATURE_FORMATS: [&str; 2] = ["bundle", "legacy"];
pub const DEFAULT_SIGNATURE_FORMAT: &str = "bundle";

/// The registry go-containerregistry gives an image without one, and the
/// repository prefix of Docker Hub's official images: globs match the fully
/// qualified name (policy-controller v0.15.1 `pkg/apis/glob/glob.go`,
/// `ResolvedDockerhubHost`, `DockerhubPublicRepository`, and `Match`, which
/// matches `ref.Name()`, the whole reference, so a glob must cover what
/// follows the repository: `@sha256:*` for a digest).
pub const DOCKERHUB_HOST: &str = "index.docker.io";
pub const DOCKERHUB_LIBRARY: &str = "library";
/// `docker.io` is the same registry, written as go-containerregistry
/// resolves it (`pkg/name/registry.go`, `DefaultRegistry`; UNVERIFIED in
/// source here, the glob.go comment and tests say `index.docker.io`).
pub const DOCKERHUB_ALIAS: &str = "docker.io";

/// The characters a glob may hold: policy-controller v0.15.1
/// `pkg/apis/glob/glob.go` (`validGlob = ^[a-zA-Z0-9-_:\/\*\.@]+$`). In a
/// glob `*` matches anything but `/` and `**` anything at all.
pub fn glob_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '/' | '*' | '.' | '@')
}

/// In-toto predicate types of the attestations harden can require, as
/// `cosign attest --type` writes them: cosign v3.1.2
/// `cmd/cosign/cli/options/predicate.go` (`PredicateTypeMap`) and
/// `pkg/cosign/attestation/attestation_test.go` (the statements written for
/// `cyclonedx` and `spdx`). Full URIs, not the short names the controller
/// still accepts with a deprecation warning (policy-controller v0.15.1
/// `pkg/apis/policy/common/validation.go`, `ValidPredicateTypes`).
pub const PREDICATE_CYCLONEDX: &str = "https://cyclonedx.org/bom";
pub const PREDICATE_SPDX: &str = "https://spdx.dev/Document";
/// cosign's vulnerability-scan predicate (`--type vuln`), the shape Trivy's
/// `--format cosign-vuln` writes (aquasecurity/trivy
/// `pkg/report/predicate/vuln.go`): its `metadata.scanFinishedOn` is an
/// RFC 3339 time (cosign v3.1.2 `pkg/cosign/attestation/attestation.go`,
/// `CosignVulnPredicate`).
pub const PREDICATE_VULN: &str = "https://cosign.sigstore.dev/attestation/vuln/v1";

/// The SBOM formats `workload.signature.attestations.sbom` accepts, with
/// the predicate type and the `cosign attest --type` of each.
pub const SBOM_FORMATS: [(&str, &str, &str); 2] = [
    ("cyclonedx", PREDICATE_CYCLONEDX, "cyclonedx"),
    ("spdx", PREDICATE_SPDX, "spdxjson"),
];

/// An attestation policy is Rego in package `sigstore` whose boolean rule
/// `isCompliant` the controller queries, in Rego v0 syntax: cosign v3.0.5
/// `pkg/policy/eval.go` and `pkg/cosign/rego/rego.go`
/// (`SetRegoVersion(ast.RegoV0)`), as in policy-controller v0.15.1
/// `test/testdata/policy-controller/e2e/cip-keyless-with-attestations-rego.yaml`.
/// CUE has no clock, so a relative bound needs Rego's `time.now_ns()`
/// (UNVERIFIED that cosign's Rego setup allows it: no restriction was seen).
/// The one value harden writes into it is a number of nanoseconds.
pub fn vuln_freshness_rego(max_age_hours: u32) -> String {
    let nanos = u64::from(max_age_hours) * 3600 * 1_000_000_000;
    format!(
        "package sigstore\n\
         default isCompliant = false\n\
         isCompliant {{\n  \
           input.predicateType == \"{PREDICATE_VULN}\"\n  \
           finished := time.parse_rfc3339_ns(input.predicate.metadata.scanFinishedOn)\n  \
           time.now_ns() - finished <= {nanos}\n\
         }}\n"
    )
}

/// KMS URI schemes `cosign verify --key` and the controller's `key.kms`
/// accept: cosign v3.1.2 `cmd/cosign/cli/verify.go` (examples: `gcpkms://`,
/// `awskms://`, `azurekms://`, `hashivault://`).
pub const KMS_SCHEMES: [&str; 4] = ["awskms://", "gcpkms://", "azurekms://", "hashivault://"];

/// `cosign verify` exit codes: cosign v3.1.2 `cmd/cosign/errors/exit_codes.go`
/// (upstream marks them as subject to change). Any other non-zero code is
/// an error, not a verdict.
pub const EXIT_NO_SIGNATURE: u32 = 10;
pub const EXIT_NO_TAG: u32 = 11;
pub const EXIT_NO_MATCHING_SIGNATURE: u32 = 12;
pub const EXIT_NO_CERTIFICATE: u32 = 13;

/// The facts the templates need.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SigstoreFacts {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub include_label: &'static str,
    pub include_value: &'static str,
    pub controller_namespace: &'static str,
    pub fulcio_url: &'static str,
    pub mode: &'static str,
    pub exit_no_signature: u32,
    pub exit_no_tag: u32,
    pub exit_no_matching_signature: u32,
    pub exit_no_certificate: u32,
}

impl SigstoreFacts {
    pub fn get() -> SigstoreFacts {
        SigstoreFacts {
            api_version: POLICY_API_VERSION,
            kind: POLICY_KIND,
            include_label: INCLUDE_LABEL,
            include_value: INCLUDE_VALUE,
            controller_namespace: CONTROLLER_NAMESPACE,
            fulcio_url: FULCIO_URL,
            mode: MODE_ENFORCE,
            exit_no_signature: EXIT_NO_SIGNATURE,
            exit_no_tag: EXIT_NO_TAG,
            exit_no_matching_signature: EXIT_NO_MATCHING_SIGNATURE,
            exit_no_certificate: EXIT_NO_CERTIFICATE,
        }
    }
}

/// The fully qualified repository of an image reference (no tag, no
/// digest), as a glob must name it: `busybox` is
/// `index.docker.io/library/busybox`, `acme/app` is
/// `index.docker.io/acme/app`, `docker.io/x` is `index.docker.io/x`.
pub fn qualified_repository(image: &str) -> String {
    let name = image.split('@').next().unwrap_or(image);
    let name = match name.rfind(':') {
        Some(colon) if name.rfind('/').is_none_or(|slash| colon > slash) => &name[..colon],
        _ => name,
    };
    let mut parts: Vec<&str> = name.split('/').collect();
    let first = parts[0];
    let has_registry =
        parts.len() > 1 && (first.contains('.') || first.contains(':') || first == "localhost");
    if !has_registry {
        if parts.len() == 1 {
            parts.insert(0, DOCKERHUB_LIBRARY);
        }
        parts.insert(0, DOCKERHUB_HOST);
    } else if first == DOCKERHUB_ALIAS {
        parts[0] = DOCKERHUB_HOST;
        if parts.len() == 2 {
            parts.insert(1, DOCKERHUB_LIBRARY);
        }
    }
    parts.join("/")
}

/// The globs that match exactly `repository`'s images: by digest
/// (`@sha256:*`: `*` cannot cross a `/`, so no other repository), and by
/// tag too when the spec accepts a tag-only image.
pub fn repository_globs(repository: &str, by_digest_only: bool) -> Vec<String> {
    let mut globs = vec![format!("{repository}@sha256:*")];
    if !by_digest_only {
        globs.push(format!("{repository}:*"));
    }
    globs
}

/// Whether `glob` matches only images of `repository` (one of
/// [`repository_globs`]'s forms, or the repository itself).
pub fn glob_is_exact(glob: &str, repository: &str) -> bool {
    glob_repository(glob) == Some(repository)
}

/// The one repository `glob` matches images of, when it names one: the
/// repository itself, or it followed by `@sha256:*` or `:*` (a `*` there
/// cannot reach past the digest or tag). `None` for a glob that can match
/// several repositories (`*` or `**` in the repository part).
pub fn glob_repository(glob: &str) -> Option<&str> {
    let repository = glob
        .strip_suffix("@sha256:*")
        .or_else(|| glob.strip_suffix(":*"))
        .unwrap_or(glob);
    // What is left is a repository (a port's ':' is in its first part only)
    // with no wildcard and no digest or tag.
    let tagged = repository
        .rsplit_once('/')
        .is_some_and(|(_, last)| last.contains(':'));
    (!repository.is_empty() && !repository.contains(['*', '@']) && !tagged).then_some(repository)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_are_qualified_as_globs_match_them() {
        assert_eq!(
            qualified_repository("busybox@sha256:ab"),
            "index.docker.io/library/busybox"
        );
        assert_eq!(
            qualified_repository("acme/app:1"),
            "index.docker.io/acme/app"
        );
        assert_eq!(
            qualified_repository("docker.io/nginx"),
            "index.docker.io/library/nginx"
        );
        assert_eq!(
            qualified_repository("localhost:5000/a/b:v1@sha256:ab"),
            "localhost:5000/a/b"
        );
        assert_eq!(
            qualified_repository("ghcr.io/acme/checkout@sha256:ab"),
            "ghcr.io/acme/checkout"
        );
    }

    #[test]
    fn exact_globs() {
        let repo = "ghcr.io/acme/checkout";
        for glob in repository_globs(repo, false) {
            assert!(glob_is_exact(&glob, repo), "{glob}");
            assert!(glob.chars().all(glob_char));
        }
        for wide in [
            "ghcr.io/acme/*",
            "ghcr.io/acme/checkout**",
            "ghcr.io/acme/checkout*",
            "ghcr.io/acme/checkout@**",
            "**",
        ] {
            assert!(!glob_is_exact(wide, repo), "{wide}");
            assert_ne!(glob_repository(wide), Some(repo), "{wide}");
        }
        assert_eq!(glob_repository("ghcr.io/acme/*@sha256:*"), None);
        assert_eq!(
            glob_repository("localhost:5000/a:*"),
            Some("localhost:5000/a")
        );
    }

    #[test]
    fn the_freshness_policy_holds_only_a_number() {
        let rego = vuln_freshness_rego(24);
        assert!(rego.starts_with("package sigstore\n"));
        assert!(rego.contains("<= 86400000000000\n"));
        assert!(rego.contains(PREDICATE_VULN));
    }
}
