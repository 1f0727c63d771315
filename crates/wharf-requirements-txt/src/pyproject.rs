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
