//! The `app` section: name, namespace, compliance contexts, Pod Security
//! version; and the namespace rule every namespace field shares.

use std::collections::BTreeSet;

use super::{COMPLIANCE_CONTEXTS, Validator, formats};
use crate::diagnostics::Problem;
use crate::model;
use crate::platform::kubernetes::RESERVED_NAMESPACES;
use crate::spec;

impl Validator {
    pub(super) fn app(
        &mut self,
        app: &spec::App,
    ) -> (Option<String>, Option<String>, Vec<String>, Option<String>) {
        let name = self.required(&app.name, "app.name", "name the app, e.g. name: task-api").and_then(|name| {
            self.check(
                "app.name",
                name,
                formats::dns1035_label(name),
                "use a DNS-1035 label: lowercase letters, digits and '-', starting with a letter (it names the Service)",
            )
            .then(|| name.clone())
        });
        let namespace = match &app.namespace {
            Some(namespace) => self
                .namespace("app.namespace", namespace)
                .then(|| namespace.clone()),
            None => name.clone(),
        };
        let mut compliance = BTreeSet::new();
        for (i, context) in app.compliance.iter().enumerate() {
            let path = format!("app.compliance[{i}]");
            if COMPLIANCE_CONTEXTS.contains(&context.as_str()) {
                if !compliance.insert(context.clone()) {
                    self.push(
                        Problem::new(path, format!("{context:?} is listed twice"))
                            .help("list each context once"),
                    );
                }
            } else {
                self.push(
                    Problem::new(
                        path,
                        format!("{context:?} is not a known compliance context"),
                    )
                    .help(format!("use one of: {}", COMPLIANCE_CONTEXTS.join(", "))),
                );
            }
        }
        let pss_version = match &app.pod_security_version {
            None => Some(model::DEFAULT_PSS_VERSION.to_string()),
            Some(version) => {
                let minor = version
                    .strip_prefix("v1.")
                    .and_then(|m| m.parse::<u32>().ok())
                    .filter(|m| (model::OLDEST_PSS_MINOR..=model::NEWEST_PSS_MINOR).contains(m));
                match minor {
                    Some(minor) if *version == format!("v1.{minor}") => Some(version.clone()),
                    _ => {
                        self.push(
                            Problem::new(
                                "app.podSecurityVersion",
                                format!("{version:?} is not a pinned Kubernetes minor version"),
                            )
                            .help(format!(
                                "pin your cluster's minor version, v1.{} to v1.{} (never 'latest')",
                                model::OLDEST_PSS_MINOR,
                                model::NEWEST_PSS_MINOR
                            )),
                        );
                        None
                    }
                }
            }
        };
        (
            name,
            namespace,
            compliance.into_iter().collect(),
            pss_version,
        )
    }

    pub(super) fn namespace(&mut self, path: &str, namespace: &str) -> bool {
        if !self.check(
            path,
            namespace,
            formats::dns1123_label(namespace),
            "use a DNS-1123 label: lowercase letters, digits and '-'",
        ) {
            return false;
        }
        // harden forbids every kube-* namespace: Kubernetes reserves the
        // prefix for system namespaces.
        if path == "app.namespace"
            && (RESERVED_NAMESPACES.contains(&namespace) || namespace.starts_with("kube-"))
        {
            self.push(
                Problem::new(path, format!("{namespace:?} is a shared system namespace"))
                    .help("give the app a namespace of its own (the default is the app name)"),
            );
            return false;
        }
        true
    }
}
