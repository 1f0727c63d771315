//! A project's source tree and its `[build-system]` table (PEP 517, PEP 518).

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::BuildError;

/// pip's build system for a tree without `[build-system]` (a legacy `setup.py` project).
const LEGACY_REQUIRES: &str = "setuptools>=40.8.0";
const LEGACY_BACKEND: &str = "setuptools.build_meta:__legacy__";

/// The `[build-system]` of a project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildSystem {
    /// `requires`: what the build environment needs. Ex) `["hatchling>=1.20"]`
    pub requires: Vec<String>,
    /// `build-backend`. Ex) `flit_core.buildapi`
    pub backend: String,
    /// `backend-path`: in-tree backend directories, relative to the tree.
    pub backend_path: Vec<String>,
}

/// A local project directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceTree {
    /// The directory, absolute.
    pub path: PathBuf,
    /// Its build system (pip's legacy default when the tree has none).
    pub build_system: BuildSystem,
}

#[derive(Deserialize)]
struct PyprojectToml {
    #[serde(rename = "build-system")]
    build_system: Option<Spanned<toml::Value>>,
}

impl SourceTree {
    /// Reads the project at `path` (absolute).
    ///
    /// Errors: [`BuildError::PathNotFound`], [`BuildError::NotAProject`],
    /// [`BuildError::Pyproject`] (with its line and key).
    pub fn from_dir(path: &Path) -> Result<Self, BuildError> {
        if !path.exists() {
            return Err(BuildError::PathNotFound {
                path: path.to_path_buf(),
            });
        }
        let pyproject = path.join("pyproject.toml");
        let has_pyproject = pyproject.is_file();
        if !has_pyproject && !path.join("setup.py").is_file() {
            return Err(BuildError::NotAProject {
                path: path.to_path_buf(),
            });
        }
        let build_system = if has_pyproject {
            let text = fs_err::read_to_string(&pyproject).map_err(|source| BuildError::Io {
                action: "cannot read",
                path: pyproject.clone(),
                source,
            })?;
            parse_build_system(&text, &pyproject)?
        } else {
            None
        };
        Ok(Self {
            path: path.to_path_buf(),
            build_system: build_system.unwrap_or_else(|| BuildSystem {
                requires: vec![LEGACY_REQUIRES.to_string()],
                backend: LEGACY_BACKEND.to_string(),
                backend_path: Vec::new(),
            }),
        })
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The `[build-system]` of a `pyproject.toml` text, `None` when it has none. A table
/// without `build-backend` gets setuptools' legacy backend, as pip does.
fn parse_build_system(text: &str, path: &Path) -> Result<Option<BuildSystem>, BuildError> {
    let error = |offset: usize, key: &str, message: String| BuildError::Pyproject {
        path: path.to_path_buf(),
        line: line_of(text, offset),
        key: key.to_string(),
        message,
    };
    let parsed: PyprojectToml = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        let message = e.message().trim().to_string();
        error(offset, "", format!("invalid TOML: {message}"))
    })?;
    let Some(table) = parsed.build_system else {
        return Ok(None);
    };
    let start = table.span().start;
    let toml::Value::Table(table) = table.into_inner() else {
        return Err(error(
            start,
            "build-system",
            "`build-system` must be a table".to_string(),
        ));
    };
    // Spans of the keys: find each key's line from the text after the table header.
    let key_offset = |key: &str| -> usize {
        text[start..]
            .lines()
            .scan(start, |offset, line| {
                let here = *offset;
                *offset += line.len() + 1;
                Some((here, line))
            })
            .find(|(_, line)| {
                let trimmed = line.trim_start();
                trimmed.starts_with(key) && trimmed[key.len()..].trim_start().starts_with('=')
            })
            .map_or(start, |(offset, _)| offset)
    };
    let strings = |key: &str| -> Result<Option<Vec<String>>, BuildError> {
        match table.get(key) {
            None => Ok(None),
            Some(toml::Value::Array(items)) => items
                .iter()
                .map(|item| {
                    item.as_str().map(str::to_string).ok_or_else(|| {
                        error(
                            key_offset(key),
                            &format!("build-system.{key}"),
                            format!(
                                "`build-system.{key}` must be a list of strings, it holds `{item}`"
                            ),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(other) => Err(error(
                key_offset(key),
                &format!("build-system.{key}"),
                format!(
                    "`build-system.{key}` must be a list of strings, not the {} `{other}`",
                    other.type_str()
                ),
            )),
        }
    };
    let requires = strings("requires")?.ok_or_else(|| {
        error(
            start,
            "build-system.requires",
            "`[build-system]` has no `requires` key (PEP 518 makes it mandatory)".to_string(),
        )
    })?;
    let backend_path = strings("backend-path")?.unwrap_or_default();
    let backend = match table.get("build-backend") {
        None => LEGACY_BACKEND.to_string(),
        Some(toml::Value::String(backend)) => backend.clone(),
        Some(other) => {
            return Err(error(
                key_offset("build-backend"),
                "build-system.build-backend",
                format!(
                    "`build-system.build-backend` must be a string `module:object`, not the {} `{other}`",
                    other.type_str()
                ),
            ));
        }
    };
    Ok(Some(BuildSystem {
        requires,
        backend,
        backend_path,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Option<BuildSystem>, String> {
        parse_build_system(text, Path::new("pyproject.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn reads_build_system() {
        let system = parse(
            "[project]\nname = \"x\"\n\n[build-system]\nrequires = [\"flit_core>=3.4\"]\nbuild-backend = \"flit_core.buildapi\"\n",
        )
        .unwrap()
        .unwrap();
        assert_eq!(system.requires, ["flit_core>=3.4"]);
        assert_eq!(system.backend, "flit_core.buildapi");
    }

    #[test]
    fn no_build_system_is_none_and_no_backend_is_legacy() {
        assert_eq!(parse("[project]\nname = \"x\"\n").unwrap(), None);
        let system = parse("[build-system]\nrequires = [\"setuptools\"]\n")
            .unwrap()
            .unwrap();
        assert_eq!(system.backend, LEGACY_BACKEND);
    }

    #[test]
    fn err_invalid_toml() {
        insta::assert_snapshot!(
            parse("[project]\nname = \"x\"\nversion = 1.0.0\n").unwrap_err(),
            @"`pyproject.toml` line 3: invalid TOML: invalid float, expected nothing"
        );
    }

    #[test]
    fn err_requires_not_a_list() {
        insta::assert_snapshot!(
            parse("[build-system]\nbuild-backend = \"x\"\nrequires = \"setuptools\"\n").unwrap_err(),
            @"`pyproject.toml` line 3: `build-system.requires` must be a list of strings, not the string `\"setuptools\"`"
        );
    }

    #[test]
    fn err_requires_missing() {
        insta::assert_snapshot!(
            parse("[project]\nname = \"x\"\n[build-system]\nbuild-backend = \"x\"\n").unwrap_err(),
            @"`pyproject.toml` line 3: `[build-system]` has no `requires` key (PEP 518 makes it mandatory)"
        );
    }

    #[test]
    fn err_backend_not_a_string() {
        insta::assert_snapshot!(
            parse("[build-system]\nrequires = []\nbuild-backend = 3\n").unwrap_err(),
            @"`pyproject.toml` line 3: `build-system.build-backend` must be a string `module:object`, not the integer `3`"
        );
    }
}
