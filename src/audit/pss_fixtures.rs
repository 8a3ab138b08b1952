//! Agreement with the official Pod Security admission fixtures: every file
//! under `LEVEL/vX.Y/pass` must be admitted and every file under
//! `LEVEL/vX.Y/fail` rejected, at that level and version.

use std::path::Path;

use super::pss::{self, Level, Pod, Version};
use crate::objects::value::At;

/// The outcome of a conformance run.
#[derive(Debug, Default)]
pub struct FixtureReport {
    pub total: usize,
    pub agree: usize,
    pub disagreements: Vec<String>,
}

/// Classifies every fixture under `dir`.
pub fn run(dir: &Path) -> Result<FixtureReport, String> {
    let mut report = FixtureReport::default();
    let read = |path: &Path| {
        std::fs::read_dir(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
    };
    for (level_name, level) in [
        ("baseline", Level::Baseline),
        ("restricted", Level::Restricted),
    ] {
        let mut versions: Vec<_> = read(&dir.join(level_name))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        versions.sort();
        for version_dir in versions {
            let version_name = version_dir
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string();
            let version = Version::parse(&version_name)
                .ok_or(format!("unexpected folder {}", version_dir.display()))?;
            for (expect_admit, folder) in [(true, "pass"), (false, "fail")] {
                let folder_path = version_dir.join(folder);
                if !folder_path.exists() {
                    continue;
                }
                let mut files: Vec<_> = read(&folder_path)?
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .collect();
                files.sort();
                for file in files {
                    let text = std::fs::read_to_string(&file)
                        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
                    let documents = crate::yaml::parse_stream(&text)
                        .map_err(|e| format!("{}: {}", file.display(), e.message))?;
                    let document = documents
                        .first()
                        .ok_or(format!("{} is empty", file.display()))?;
                    let spec = document
                        .get("spec")
                        .ok_or(format!("{} has no spec", file.display()))?;
                    let pod = Pod {
                        annotations: document.at("/metadata/annotations"),
                        spec,
                    };
                    let violations = pss::evaluate(&pod, level, version);
                    report.total += 1;
                    if violations.is_empty() == expect_admit {
                        report.agree += 1;
                    } else {
                        let what = if expect_admit {
                            format!(
                                "rejected ({})",
                                violations
                                    .iter()
                                    .map(|v| format!("{}: {}", v.check, v.detail))
                                    .collect::<Vec<_>>()
                                    .join("; ")
                            )
                        } else {
                            "admitted".to_string()
                        };
                        report.disagreements.push(format!(
                            "{level_name} {version_name} {folder}/{}: harden {what}",
                            file.file_name().unwrap_or_default().to_string_lossy()
                        ));
                    }
                }
            }
        }
    }
    if report.total == 0 {
        return Err(format!("no fixtures found under {}", dir.display()));
    }
    Ok(report)
}
