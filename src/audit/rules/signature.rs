//! Signed images: a sigstore policy-controller `ClusterImagePolicy` that
//! admits more than its repository's images signed by one signer. Each way
//! it can be wider is a finding: `mode: warn` (violations are only warned
//! about), a glob that matches more than one repository, a `static`
//! authority (no signature checked), a keyless identity with an issuer or
//! subject regular expression that is not anchored at both ends, and an
//! authority that names no signer. Semantics: sigstore/policy-controller
//! v0.15.1 `pkg/apis/policy/v1beta1/clusterimagepolicy_types.go` and
//! `pkg/apis/glob/glob.go` (`*` stops at `/`, `**` does not).

use serde_json::Value;

use crate::audit::rule::{Check, Cx, Family, Rule, Severity};
use crate::objects::Object;
use crate::objects::value::At;
use crate::platform::sigstore;

/// Every signature rule, in catalogue order.
pub static RULES: &[&Rule] = &[&IMAGE_POLICY_SCOPE];

pub static IMAGE_POLICY_SCOPE: Rule = Rule {
    id: "hardening/image-policy-scope",
    family: Family::Hardening,
    severity: Severity::Medium,
    control: None,
    title: "Image signature policy wider than one repository and one signer",
    fix: "enforce the policy on one repository's digests (glob <registry>/<repo>@sha256:*) and name the signer exactly (issuer and subject, or a regular expression anchored with ^ and $)",
    check: Check::Object(image_policy_scope),
};

/// Whether `regexp` is anchored at both ends.
fn anchored(regexp: &str) -> bool {
    regexp.starts_with('^') && regexp.ends_with('$') && !regexp.ends_with("\\$")
}

fn image_policy_scope(cx: &mut Cx<'_>, object: &Object<'_>) {
    if object.kind() != sigstore::POLICY_KIND {
        return;
    }
    let spec = object.document.get("spec").unwrap_or(&Value::Null);
    if spec.get("mode").and_then(Value::as_str) == Some("warn") {
        cx.report(
            object,
            "spec.mode",
            "mode: warn only warns about unsigned images and admits them".into(),
            format!(
                "set mode: {} (or remove it: enforce is the default)",
                sigstore::MODE_ENFORCE
            ),
        );
    }
    for (i, image) in spec["images"].as_array().into_iter().flatten().enumerate() {
        let glob = image
            .get("glob")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if sigstore::glob_repository(glob).is_none() {
            cx.report(
                object,
                &format!("spec.images[{i}].glob"),
                format!("glob {glob:?} matches the images of more than one repository"),
                "name one repository: <registry>/<repo>@sha256:* (and <registry>/<repo>:* for tags)".into(),
            );
        }
    }
    for (i, authority) in spec["authorities"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let at = format!("spec.authorities[{i}]");
        if authority.get("static").is_some() {
            cx.report(
                object,
                &format!("{at}.static"),
                "a static authority decides without checking any signature".into(),
                "replace it with the key or keyless identity that signs the images".into(),
            );
        }
        if ["key", "keyless", "static"]
            .iter()
            .all(|k| authority.get(k).is_none())
        {
            cx.report(
                object,
                &at,
                "the authority names no signer".into(),
                "add key or keyless to the authority".into(),
            );
        }
        let identities = authority
            .at("/keyless/identities")
            .and_then(Value::as_array)
            .into_iter()
            .flatten();
        for (j, identity) in identities.enumerate() {
            for field in ["issuerRegExp", "subjectRegExp"] {
                if let Some(regexp) = identity.get(field).and_then(Value::as_str)
                    && !anchored(regexp)
                {
                    cx.report(
                        object,
                        &format!("{at}.keyless.identities[{j}].{field}"),
                        format!("{field} {regexp:?} is not anchored with ^ and $, so it matches any text that contains a match"),
                        format!("anchor it (^...$) or use the exact {}", field.trim_end_matches("RegExp")),
                    );
                }
            }
        }
    }
}
