//! `[project].dependencies` of a `pyproject.toml` (PEP 621).

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::{Origin, RequirementEntry, RequirementsTxtError, is_url_or_path};

#[derive(Deserialize)]
struct PyProject {
    project: Option<Project>,
}

#[derive(Deserialize)]
struct Project {
    dependencies: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    dynamic: Vec<String>,
}

/// The dependencies of `[project]`, each with the line its string starts on. A missing
/// `dependencies` key means none (PEP 621); a dynamic one is an error.
pub(crate) fn dependencies(
    text: &str,
    path: &Path,
) -> Result<Vec<RequirementEntry>, RequirementsTxtError> {
    let pyproject: PyProject =
        toml::from_str(text).map_err(|source| RequirementsTxtError::PyprojectToml {
            path: path.to_owned(),
            source: Box::new(source),
        })?;
    let Some(project) = pyproject.project else {
        return Err(RequirementsTxtError::PyprojectNoProject {
            path: path.to_owned(),
        });
    };
    if project.dynamic.iter().any(|field| field == "dependencies") {
        return Err(RequirementsTxtError::PyprojectDynamicDependencies {
            path: path.to_owned(),
        });
    }
    Ok(project
        .dependencies
        .unwrap_or_default()
        .into_iter()
        .map(|dependency| {
            let line = text[..dependency.span().start].matches('\n').count() + 1;
            let text = dependency.into_inner().trim().to_owned();
            RequirementEntry {
                is_url_or_path: is_url_or_path(&text),
                text,
                hashes: Vec::new(),
                origin: Origin {
                    path: path.to_owned(),
                    line,
                },
                editable: false,
                config_settings: Vec::new(),
                global_options: Vec::new(),
            }
        })
        .collect())
}

/// The requirements of the PEP 735 dependency group `group` of the `pyproject.toml` text
/// (read from `path`), `{include-group = "…"}` entries expanded in place, each requirement
/// once, in order (PEP 735, "Dependency Group Include"). Group names compare normalized
/// (PEP 503), as the PEP requires.
///
/// Errors: [`RequirementsTxtError::PyprojectToml`] (not TOML, or `dependency-groups` of the
/// wrong shape), [`RequirementsTxtError::DependencyGroup`] (no such group, an include cycle,
/// an entry that is neither a string nor an include).
pub fn dependency_group(
    text: &str,
    path: &Path,
    group: &str,
) -> Result<Vec<String>, RequirementsTxtError> {
    #[derive(Deserialize)]
    struct Groups {
        #[serde(rename = "dependency-groups", default)]
        dependency_groups: std::collections::BTreeMap<String, Vec<toml::Value>>,
    }
    let groups: Groups =
        toml::from_str(text).map_err(|source| RequirementsTxtError::PyprojectToml {
            path: path.to_owned(),
            source: Box::new(source),
        })?;
    let normalize = |name: &str| {
        name.to_ascii_lowercase()
            .split(['-', '_', '.'])
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join("-")
    };
    let by_name: std::collections::BTreeMap<String, &Vec<toml::Value>> = groups
        .dependency_groups
        .iter()
        .map(|(name, entries)| (normalize(name), entries))
        .collect();
    let error = |message: String| RequirementsTxtError::DependencyGroup {
        path: path.to_owned(),
        message,
    };
    let mut out = Vec::new();
    expand_group(
        group,
        &by_name,
        &normalize,
        &mut Vec::new(),
        &mut out,
        &error,
    )?;
    Ok(out)
}

/// One group of [`dependency_group`] into `out`, its includes first met first; `stack`: the
/// groups being expanded (a cycle is an error).
fn expand_group(
    name: &str,
    by_name: &std::collections::BTreeMap<String, &Vec<toml::Value>>,
    normalize: &dyn Fn(&str) -> String,
    stack: &mut Vec<String>,
    out: &mut Vec<String>,
    error: &dyn Fn(String) -> RequirementsTxtError,
) -> Result<(), RequirementsTxtError> {
    let key = normalize(name);
    if stack.contains(&key) {
        return Err(error(format!(
            "the group `{name}` includes itself ({} ▸ {name})",
            stack.join(" ▸ ")
        )));
    }
    let Some(entries) = by_name.get(&key) else {
        let known: Vec<&str> = by_name.keys().map(String::as_str).collect();
        return Err(error(format!(
            "no dependency group `{name}`{}",
            if known.is_empty() {
                " (the file has no `[dependency-groups]`)".to_string()
            } else {
                format!(" (it has: {})", known.join(", "))
            }
        )));
    };
    stack.push(key);
    for entry in *entries {
        match entry {
            toml::Value::String(requirement) => {
                if !out.contains(requirement) {
                    out.push(requirement.clone());
                }
            }
            toml::Value::Table(table) => match table.get("include-group") {
                Some(toml::Value::String(included)) if table.len() == 1 => {
                    expand_group(included, by_name, normalize, stack, out, error)?;
                }
                _ => {
                    return Err(error(format!(
                        "the group `{name}` has an entry that is not a requirement or `{{include-group = \"…\"}}`: {entry}"
                    )));
                }
            },
            other => {
                return Err(error(format!(
                    "the group `{name}` has an entry that is not a requirement: {other}"
                )));
            }
        }
    }
    stack.pop();
    Ok(())
}
