//! The `workload` section: image, port, replicas, user, resources,
//! writable paths and probes.

use std::collections::BTreeSet;

use super::{Validator, formats};
use crate::diagnostics::Problem;
use crate::model;
use crate::platform::dapr;
use crate::spec;

impl Validator {
    pub(super) fn workload(
        &mut self,
        workload: &spec::Workload,
        dapr: bool,
    ) -> Option<model::Workload> {
        let image = self
            .required(
                &workload.image,
                "workload.image",
                "set the image, pinned by digest: registry/name@sha256:<digest>",
            )
            .and_then(|image| self.image(image, workload.allow_tag_only_image));
        let port = self
            .required(
                &workload.port,
                "workload.port",
                "set the container port the app listens on, e.g. port: 8080",
            )
            .and_then(|port| self.app_port("workload.port", *port, dapr));
        let replicas = workload.replicas.unwrap_or(model::DEFAULT_REPLICAS);
        if !(1..=1000).contains(&replicas) {
            self.push(
                Problem::new("workload.replicas", format!("{replicas} is out of range"))
                    .help("use 1 to 1000 replicas (2 or more survive a node loss)"),
            );
        }
        let run_as_user = workload.run_as_user.unwrap_or(model::DEFAULT_RUN_AS_USER);
        if !(model::MIN_RUN_AS_USER..=2_147_483_647).contains(&run_as_user) {
            self.push(
                Problem::new("workload.runAsUser", format!("{run_as_user} is out of range"))
                    .help(format!(
                        "use a UID from {} to 2147483647, so it cannot collide with a host user (0 is root)",
                        model::MIN_RUN_AS_USER
                    )),
            );
        }
        let (requests, limits) = self.resources(workload.resources.as_ref());
        let writable_paths = self.writable_paths(workload);
        let probes = workload.probes.clone().unwrap_or_default();
        let liveness = self.probe("workload.probes.liveness", probes.liveness.as_ref(), 10, 10);
        let readiness = self.probe("workload.probes.readiness", probes.readiness.as_ref(), 5, 5);
        Some(model::Workload {
            pinned_by_digest: image.as_ref()?.1,
            image: image?.0,
            port: port?,
            replicas,
            run_as_user,
            requests: requests?,
            limits: limits?,
            writable_paths,
            liveness: liveness?,
            readiness: readiness?,
        })
    }

    /// `workload.writablePaths`: absolute, unreserved, not nested; each
    /// gets a volume (`/tmp` by default).
    fn writable_paths(&mut self, workload: &spec::Workload) -> Vec<model::WritablePath> {
        let mut writable_paths = Vec::new();
        let mut volumes = BTreeSet::new();
        let default_paths = vec!["/tmp".to_string()];
        for (i, path) in workload
            .writable_paths
            .as_ref()
            .unwrap_or(&default_paths)
            .iter()
            .enumerate()
        {
            let field = format!("workload.writablePaths[{i}]");
            if !self.check(
                &field,
                path,
                formats::mount_path(path).and_then(|()| formats::unreserved_mount(path)),
                "use an absolute path such as /tmp",
            ) {
                continue;
            }
            if let Some(other) = writable_paths.iter().find(|w: &&model::WritablePath| {
                formats::path_within(path, &w.path) || formats::path_within(&w.path, path)
            }) {
                self.push(
                    Problem::new(&field, format!("{path:?} overlaps {:?}", other.path))
                        .help("list each writable directory once, without nesting"),
                );
                continue;
            }
            let volume = volume_name(path, &volumes, i);
            volumes.insert(volume.clone());
            writable_paths.push(model::WritablePath {
                path: path.clone(),
                volume,
            });
        }
        writable_paths
    }

    /// Returns the image and whether it is pinned by digest.
    pub(super) fn image(&mut self, image: &str, allow_tag_only: bool) -> Option<(String, bool)> {
        let path = "workload.image";
        let reference = match formats::image_reference(image) {
            Ok(reference) => reference,
            Err(reason) => {
                self.push(
                    Problem::new(
                        path,
                        format!("{image:?} is not a valid image reference: {reason}"),
                    )
                    .help("write registry/repository@sha256:<64 hex digits>"),
                );
                return None;
            }
        };
        if reference.tag.as_deref() == Some("latest") {
            self.push(
                Problem::new(path, format!("{image:?} uses the tag 'latest'")).help(
                    "'latest' is never accepted: pin the image by digest (name@sha256:<digest>)",
                ),
            );
            return None;
        }
        match (&reference.digest, &reference.tag) {
            (Some(_), _) => Some((image.to_string(), true)),
            (None, Some(_)) if allow_tag_only => Some((image.to_string(), false)),
            (None, Some(_)) => {
                self.push(
                    Problem::new(path, format!("{image:?} is pinned by tag only; a tag can be moved to other content"))
                        .help("pin it by digest (name@sha256:<digest>), or set workload.allowTagOnlyImage: true to accept the risk"),
                );
                None
            }
            (None, None) => {
                self.push(
                    Problem::new(
                        path,
                        format!("{image:?} has neither tag nor digest, so it means 'latest'"),
                    )
                    .help("pin the image by digest: name@sha256:<digest>"),
                );
                None
            }
        }
    }

    pub(super) fn app_port(&mut self, path: &str, port: u32, dapr: bool) -> Option<u32> {
        if !(1024..=65535).contains(&port) {
            self.push(
                Problem::new(path, format!("{port} is out of range"))
                    .help("use a port from 1024 to 65535: a non-root container without capabilities cannot bind below 1024"),
            );
            return None;
        }
        if dapr && dapr::SIDECAR_PORTS.contains(&port) {
            self.push(
                Problem::new(
                    path,
                    format!("{port} is used by the Dapr sidecar in the same pod"),
                )
                .help(format!(
                    "choose another port; daprd binds {}",
                    dapr::SIDECAR_PORTS.map(|p| p.to_string()).join(", ")
                )),
            );
            return None;
        }
        Some(port)
    }

    pub(super) fn resources(
        &mut self,
        resources: Option<&spec::Resources>,
    ) -> (Option<model::Amounts>, Option<model::Amounts>) {
        let resources = resources.cloned().unwrap_or_default();
        let requests = resources.requests.unwrap_or_default();
        let limits = resources.limits.unwrap_or_default();
        let cpu_request = self.quantity(
            "workload.resources.requests.cpu",
            requests.cpu.as_deref().unwrap_or("100m"),
            true,
        );
        let memory_request = self.quantity(
            "workload.resources.requests.memory",
            requests.memory.as_deref().unwrap_or("128Mi"),
            false,
        );
        let cpu_limit = self.quantity(
            "workload.resources.limits.cpu",
            limits.cpu.as_deref().unwrap_or("500m"),
            true,
        );
        let memory_limit = self.quantity(
            "workload.resources.limits.memory",
            limits.memory.as_deref().unwrap_or("256Mi"),
            false,
        );
        for (what, request, limit) in [
            ("cpu", &cpu_request, &cpu_limit),
            ("memory", &memory_request, &memory_limit),
        ] {
            if let (Some((request_text, request)), Some((limit_text, limit))) = (request, limit)
                && request > limit
            {
                self.push(
                    Problem::new(
                        format!("workload.resources.requests.{what}"),
                        format!("{request_text:?} is more than the limit {limit_text:?}"),
                    )
                    .help("a request must not exceed its limit"),
                );
            }
        }
        let amounts = |cpu: Option<(String, f64)>, memory: Option<(String, f64)>| {
            Some(model::Amounts {
                cpu: cpu?.0,
                memory: memory?.0,
            })
        };
        (
            amounts(cpu_request, memory_request),
            amounts(cpu_limit, memory_limit),
        )
    }

    pub(super) fn quantity(&mut self, path: &str, value: &str, cpu: bool) -> Option<(String, f64)> {
        let help = if cpu {
            "write CPU as cores or millicores, e.g. 250m or 0.5"
        } else {
            "write memory in bytes with a binary suffix, e.g. 256Mi or 1Gi"
        };
        match formats::quantity(value) {
            Ok(amount) if amount > 0.0 && (cpu || !value.ends_with('m')) => {
                Some((value.to_string(), amount))
            }
            Ok(_) => {
                self.push(
                    Problem::new(path, format!("{value:?} is not a usable amount")).help(help),
                );
                None
            }
            Err(reason) => {
                self.push(Problem::new(path, format!("{value:?} {reason}")).help(help));
                None
            }
        }
    }

    pub(super) fn probe(
        &mut self,
        path: &str,
        probe: Option<&spec::Probe>,
        delay: u32,
        period: u32,
    ) -> Option<model::Probe> {
        let probe = probe.cloned().unwrap_or_default();
        if let Some(http_path) = &probe.path {
            self.check(
                &format!("{path}.path"),
                http_path,
                formats::http_path(http_path),
                "write an HTTP path such as /healthz",
            )
            .then_some(())?;
        }
        let period_seconds = probe.period_seconds.unwrap_or(period);
        if !(1..=3600).contains(&period_seconds) {
            self.push(
                Problem::new(
                    format!("{path}.periodSeconds"),
                    format!("{period_seconds} is out of range"),
                )
                .help("use 1 to 3600 seconds"),
            );
            return None;
        }
        let initial_delay_seconds = probe.initial_delay_seconds.unwrap_or(delay);
        if initial_delay_seconds > 3600 {
            self.push(
                Problem::new(
                    format!("{path}.initialDelaySeconds"),
                    format!("{initial_delay_seconds} is out of range"),
                )
                .help("use 0 to 3600 seconds"),
            );
            return None;
        }
        Some(model::Probe {
            path: probe.path,
            initial_delay_seconds,
            period_seconds,
        })
    }
}

/// A readable volume name for a writable path (`/var/cache` -> `var-cache`),
/// falling back to `writable-<n>` when the path does not make a valid one.
fn volume_name(path: &str, taken: &BTreeSet<String>, index: usize) -> String {
    let derived: String = path
        .trim_start_matches('/')
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let derived = format!("rw-{derived}");
    if formats::dns1123_label(&derived).is_ok()
        && !derived.contains("--")
        && !taken.contains(&derived)
    {
        derived
    } else {
        format!("writable-{index}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_names_are_readable_and_unique() {
        let taken = BTreeSet::from(["rw-tmp".to_string()]);
        assert_eq!(
            volume_name("/var/cache", &BTreeSet::new(), 0),
            "rw-var-cache"
        );
        assert_eq!(volume_name("/tmp", &taken, 3), "writable-3");
        assert_eq!(volume_name("/a_b/c", &BTreeSet::new(), 1), "rw-a-b-c");
    }
}
