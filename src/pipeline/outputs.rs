//! A system's outputs rendered in memory: each shared namespace's, then each
//! service's, every service verified with its namespace's objects, then all
//! of them proven together. `render`, `check` and `diff` on a system share it.

use std::path::PathBuf;

use super::{Verdict, verify_read};
use crate::error::Error;
use crate::render::{self, GeneratedFile};
use crate::system::{SharedOutput, System};
use crate::templates::Templates;
use crate::text::pushln;

/// One output directory of a system: a service's, or a shared namespace's.
pub struct Output {
    /// What it is rendered from, as shown: a spec file or `namespace NAME`.
    pub source: String,
    pub dir: PathBuf,
    pub files: Vec<GeneratedFile>,
}

/// The indices of the services of `specs` in `system`.
pub fn services_of(system: &System, specs: &[PathBuf]) -> Vec<usize> {
    let wanted: Vec<PathBuf> = specs.iter().filter_map(|s| s.canonicalize().ok()).collect();
    (0..system.services.len())
        .filter(|&i| {
            system.services[i]
                .path
                .canonicalize()
                .is_ok_and(|p| wanted.contains(&p))
        })
        .collect()
}

/// Renders every output of `system` in memory: each shared namespace's, then
/// each service's, verified with its namespace's objects (its own audit and
/// flow proof must see the default deny that isolates it). With `focus`,
/// only those services' outputs and their namespaces'. The verdict is
/// refused when an output fails verification (with its findings): nothing
/// may then be written. A template that fails is an error.
pub fn render_system(
    system: &System,
    focus: Option<&[usize]>,
    templates: &Templates,
) -> Result<(Vec<Output>, Verdict), Error> {
    let focused = |index: &usize| focus.is_none_or(|f| f.contains(index));
    let in_focus = |namespace: &str| {
        focus.is_none_or(|f| {
            f.iter()
                .any(|&i| system.services[i].namespace() == namespace)
        })
    };
    let mut outputs = Vec::new();
    let shared: Vec<&SharedOutput> = system
        .shared
        .iter()
        .filter(|s| in_focus(&s.namespace.namespace))
        .collect();
    // The objects of the files harden wrote itself, per shared namespace.
    let mut shared_written = Vec::with_capacity(shared.len());
    for shared in &shared {
        let (files, written) = render::render_namespace_written(&shared.namespace, templates)?;
        shared_written.push(written);
        outputs.push(Output {
            source: format!("namespace {}", shared.namespace.namespace),
            dir: shared.dir.clone(),
            files,
        });
    }
    let mut verdict = Verdict::default();
    // The objects of each service's output, in the order of `outputs`.
    let mut read: Vec<Vec<serde_json::Value>> = Vec::new();
    for (_, service) in system
        .services
        .iter()
        .enumerate()
        .filter(|(i, _)| focused(i))
    {
        let (files, mut written) = render::render_written(&service.model, templates)?;
        for (shared, namespace_written) in shared.iter().zip(&shared_written) {
            if shared.namespace.namespace == service.namespace() {
                written.extend(namespace_written);
            }
        }
        let namespace_files = outputs
            .iter()
            .take(shared.len())
            .zip(&shared)
            .filter(|(_, shared)| shared.namespace.namespace == service.namespace())
            .flat_map(|(output, _)| {
                output.files.iter().map(|file| GeneratedFile {
                    name: format!(
                        "{}/{}",
                        service.model.shared_namespace.as_deref().unwrap_or("."),
                        file.name
                    ),
                    ..file.clone()
                })
            });
        let verified: Vec<GeneratedFile> = files.iter().cloned().chain(namespace_files).collect();
        let (found, manifests) = verify_read(
            &service.path,
            &service.model,
            &verified,
            &written,
            templates,
        )?;
        if !found.is_clean() {
            verdict = verdict.and(found);
            continue;
        }
        // The proof over all outputs judges the service's own objects as
        // read here (its namespace's files are read once, with their own
        // output).
        let own = |name: &str| {
            name != crate::platform::names::KUSTOMIZATION_FILE
                && files.iter().any(|f| f.name == name)
        };
        read.push(
            manifests
                .into_iter()
                .filter(|m| own(&m.file))
                .map(crate::objects::Manifest::into_document)
                .collect(),
        );
        outputs.push(Output {
            source: service.file.clone(),
            dir: service.out_dir(),
            files,
        });
    }
    if verdict.is_clean() {
        let (shared_outputs, _) = outputs.split_at(shared.len());
        let mut written = render::Written::default();
        for namespace_written in &shared_written {
            written.extend(namespace_written);
        }
        verdict = prove_together(system, shared_outputs, &written, read, focus, templates)?;
    }
    Ok((outputs, verdict))
}

/// The proof over the outputs together: one spec's policy must not void
/// another's Cilium DNS filter ([`crate::proof::prove_workspace`]): the
/// shared namespaces' outputs, then the services' objects as their
/// verification read them (`services`, each output's YAML parsed once).
/// With `focus`, the other services of the focused namespaces are rendered
/// too (not written), since the two ends may be in different outputs. The
/// objects of files harden wrote itself (`written`) are taken as built.
fn prove_together(
    system: &System,
    shared: &[Output],
    written: &render::Written,
    services: Vec<Vec<serde_json::Value>>,
    focus: Option<&[usize]>,
    templates: &Templates,
) -> Result<Verdict, Error> {
    let mut written = written.clone();
    let mut documents = parse_manifests(shared.iter().flat_map(|o| o.files.iter()), &written)?;
    documents.extend(services.into_iter().flatten());
    let mut files: Vec<GeneratedFile> = Vec::new();
    if let Some(focus) = focus {
        let namespaces: Vec<&str> = focus
            .iter()
            .map(|&i| system.services[i].namespace())
            .collect();
        for (index, service) in system.services.iter().enumerate() {
            if !focus.contains(&index) && namespaces.contains(&service.namespace()) {
                let (rendered, objects) = render::render_written(&service.model, templates)?;
                files.extend(rendered);
                written.extend(&objects);
            }
        }
    }
    documents.extend(parse_manifests(files.iter(), &written)?);
    let violations =
        crate::proof::prove_workspace(&documents.iter().collect::<Vec<_>>()).map_err(|bug| {
            Error::Internal(format!(
                "the rendered network policies cannot be evaluated: {bug}"
            ))
            .nothing_written()
        })?;
    let mut report = String::new();
    for violation in &violations {
        pushln!(report, "error: {violation}");
    }
    if !violations.is_empty() {
        pushln!(
            report,
            "error: the rendered network policies of the workspace, taken together, void a Cilium DNS filter ({} allows)",
            violations.len()
        );
    }
    Ok(Verdict { report })
}

/// The objects of the YAML files among `files` but kustomization.yaml:
/// as built for those harden wrote itself (`written`), else parsed.
fn parse_manifests<'a>(
    files: impl Iterator<Item = &'a GeneratedFile>,
    written: &render::Written,
) -> Result<Vec<serde_json::Value>, Error> {
    let mut documents = Vec::new();
    for file in files.filter(|f| {
        f.name.ends_with(".yaml") && f.name != crate::platform::names::KUSTOMIZATION_FILE
    }) {
        if let Some(objects) = written.objects_of(file) {
            documents.extend(
                objects
                    .into_iter()
                    .map(crate::objects::Manifest::into_document),
            );
            continue;
        }
        let parsed = crate::yaml::parse_stream(&file.content).map_err(|e| {
            Error::Internal(format!("{}: {}", file.name, e.message)).nothing_written()
        })?;
        documents.extend(parsed);
    }
    Ok(documents)
}
