//! Direct references: requirements that name a file or a directory instead of a version —
//! a wheel file, a project directory (`.`, `./src/proj`), an sdist archive, `name @ file:///…`,
//! and editables (`-e DIR`) — and their preparation into local wheels the resolver pins.
//!
//! pip's rules, kept: a relative path is relative to the current directory (also inside a
//! requirements file); an argument is a path when it contains a `/`, starts with `.`, or names
//! an archive that exists; a local wheel whose version is already installed is kept (pip:
//! "already installed with the same version as the provided wheel"), a built project is
//! always reinstalled; `direct_url.json` records the file or directory (PEP 610).

use std::path::{Path, PathBuf};
use std::str::FromStr;

use pep508_rs::{ExtraName, PackageName, Requirement, VersionOrUrl};
use wharf_build::{BuildKind, DirectUrl};
use wharf_wheel_filename::WheelFilename;

/// Archive suffixes of source distributions.
const SDIST_SUFFIXES: [&str; 5] = [".tar.gz", ".tgz", ".zip", ".tar.bz2", ".tar.xz"];

/// What a direct reference points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirectSource {
    /// A built wheel. Ex) `./dist/proj-1.0-py3-none-any.whl`
    Wheel(PathBuf),
    /// A project directory with `pyproject.toml` or `setup.py`. Ex) `.`
    Project(PathBuf),
    /// A source distribution. Ex) `./proj-1.0.tar.gz`
    Sdist(PathBuf),
}

impl DirectSource {
    /// The file or directory (absolute).
    pub fn path(&self) -> &Path {
        match self {
            Self::Wheel(path) | Self::Project(path) | Self::Sdist(path) => path,
        }
    }
}

/// One requirement that names a path.
#[derive(Debug, Clone)]
pub struct DirectRequirement {
    /// The file or directory.
    pub source: DirectSource,
    /// The name given with `name @ file:///…`.
    pub name: Option<PackageName>,
    /// `[extra,…]`.
    pub extras: Vec<ExtraName>,
    /// The environment marker after `;`, as written.
    pub marker: Option<String>,
    /// `-e`: an editable install (PEP 660).
    pub editable: bool,
    /// The requirement as written.
    pub text: String,
    /// Where it came from, ex) `command line`, `requirements.txt:3`.
    pub origin: String,
}

/// A wheel that stands for a direct reference, pinned for its project in the resolution.
#[derive(Debug, Clone)]
pub struct LocalWheel {
    /// The project.
    pub name: PackageName,
    /// The wheel's parsed file name.
    pub filename: WheelFilename,
    /// The wheel (the user's file, or a built wheel in the build cache).
    pub path: PathBuf,
    /// `direct_url.json` content.
    pub direct_url: String,
    /// Reinstall even when the same version is installed (built projects, as pip does).
    pub always_reinstall: bool,
    /// Its best tag's priority for the environment (0 = best).
    pub tag_priority: usize,
}

/// Why a direct reference cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DirectError {
    /// A URL that is not a local file: wharf installs offline.
    #[error("{origin}: `{text}` is not a local path or `file:` URL; wharf installs offline")]
    RemoteUrl {
        /// The requirement.
        text: String,
        /// Where it came from.
        origin: String,
    },
    /// The path does not exist, is no project, or is not a wheel or sdist.
    #[error("{origin}: `{text}`")]
    Path {
        /// The requirement.
        text: String,
        /// Where it came from.
        origin: String,
        /// Why.
        #[source]
        source: Box<wharf_build::BuildError>,
    },
    /// A file that is neither a wheel nor an sdist.
    #[error(
        "{origin}: `{text}` is neither a wheel (`.whl`), an sdist (`.tar.gz`, `.zip`) nor a project directory"
    )]
    UnknownFile {
        /// The requirement.
        text: String,
        /// Where it came from.
        origin: String,
    },
    /// `-e` of something that is not a directory.
    #[error("{origin}: `-e {text}` must name a project directory")]
    EditableNotDirectory {
        /// The requirement.
        text: String,
        /// Where it came from.
        origin: String,
    },
    /// The wheel's file name is not PEP 427.
    #[error("`{}` is not a valid wheel file name", path.display())]
    WheelFilename {
        /// The wheel.
        path: PathBuf,
    },
    /// The wheel's tags do not fit the environment's interpreter.
    #[error("`{}` is not a supported wheel on this platform (the environment has Python {python})", path.display())]
    IncompatibleWheel {
        /// The wheel.
        path: PathBuf,
        /// The environment's Python.
        python: String,
    },
    /// `name @ file:///x.whl` whose wheel is of another project.
    #[error("`{text}` names `{name}`, but the wheel is of `{actual}`")]
    NameMismatch {
        /// The requirement.
        text: String,
        /// The name given.
        name: PackageName,
        /// The wheel's project.
        actual: PackageName,
    },
}

impl DirectError {
    /// How to fix it.
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::RemoteUrl { .. } => Some("download the file (`wharf download`, or on a login node with network) and give its path".to_string()),
            Self::Path { source, .. } => source.hint(),
            Self::UnknownFile { .. } | Self::EditableNotDirectory { .. } => Some(
                "pass a wheel file, an sdist, or the directory that holds `pyproject.toml`".to_string(),
            ),
            Self::WheelFilename { .. } => Some("a wheel file is named `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl` (PEP 427)".to_string()),
            Self::IncompatibleWheel { .. } => Some("use a wheel built for this Python and platform (`py3-none-any`, or `cpXY-cpXY-linux_x86_64` for the environment's Python), or a Python that matches it (`module load python/X.Y`)".to_string()),
            Self::NameMismatch { .. } => Some("fix the name before ` @ `, or drop it".to_string()),
        }
    }
}

/// Whether a command-line requirement is a path (pip's `_looks_like_path`, plus an existing
/// archive name) or a `name @ URL` reference.
pub fn is_direct(text: &str) -> bool {
    let path_part = text.split(';').next().unwrap_or(text).trim();
    if path_part.contains('/') || path_part.starts_with('.') {
        return true;
    }
    let lower = path_part.to_ascii_lowercase();
    if (lower.ends_with(".whl") || SDIST_SUFFIXES.iter().any(|s| lower.ends_with(s)))
        && Path::new(path_part).exists()
    {
        return true;
    }
    matches!(
        wharf_metadata::parse_requirement::<pep508_rs::VerbatimUrl>(text),
        Ok(Requirement {
            version_or_url: Some(VersionOrUrl::Url(_)),
            ..
        })
    )
}

/// Parses a direct reference: `PATH[extras] ; marker`, `name[extras] @ file:///… ; marker`.
/// Relative paths are made absolute against `cwd`.
///
/// Errors: [`DirectError`].
pub fn parse_direct(
    text: &str,
    editable: bool,
    origin: &str,
    cwd: &Path,
) -> Result<DirectRequirement, DirectError> {
    let (body, marker) = match text.split_once(';') {
        Some((body, marker)) => (body.trim(), Some(marker.trim().to_string())),
        None => (text.trim(), None),
    };
    let mut name = None;
    let mut extras = Vec::new();
    let location = if let Some((left, url)) = body.split_once('@')
        && !left.contains('/')
        && wharf_metadata::parse_requirement::<pep508_rs::VerbatimUrl>(left.trim()).is_ok()
    {
        let requirement = wharf_metadata::parse_requirement::<pep508_rs::VerbatimUrl>(left.trim())
            .map_err(|_| DirectError::UnknownFile {
                text: text.to_string(),
                origin: origin.to_string(),
            })?;
        name = Some(requirement.name);
        extras = requirement.extras;
        let url = url.trim();
        let Some(path) = url.strip_prefix("file://") else {
            return Err(DirectError::RemoteUrl {
                text: text.to_string(),
                origin: origin.to_string(),
            });
        };
        percent_decode(path.strip_prefix("localhost").unwrap_or(path))
    } else if let Some(path) = body.strip_prefix("file://") {
        percent_decode(path.strip_prefix("localhost").unwrap_or(path))
    } else if body.contains("://") {
        return Err(DirectError::RemoteUrl {
            text: text.to_string(),
            origin: origin.to_string(),
        });
    } else if let Some(open) = body.rfind('[')
        && body.ends_with(']')
    {
        extras = body[open + 1..body.len() - 1]
            .split(',')
            .filter_map(|e| ExtraName::from_str(e.trim()).ok())
            .collect();
        body[..open].to_string()
    } else {
        body.to_string()
    };
    let path = normalize(&cwd.join(&location));
    let path_error = |source| DirectError::Path {
        text: text.to_string(),
        origin: origin.to_string(),
        source: Box::new(source),
    };
    if !path.exists() {
        return Err(path_error(wharf_build::BuildError::PathNotFound { path }));
    }
    let lower = path.to_string_lossy().to_ascii_lowercase();
    let source = if path.is_dir() {
        if !path.join("pyproject.toml").is_file() && !path.join("setup.py").is_file() {
            return Err(path_error(wharf_build::BuildError::NotAProject { path }));
        }
        DirectSource::Project(path)
    } else if editable {
        return Err(DirectError::EditableNotDirectory {
            text: text.to_string(),
            origin: origin.to_string(),
        });
    } else if lower.ends_with(".whl") {
        DirectSource::Wheel(path)
    } else if SDIST_SUFFIXES.iter().any(|s| lower.ends_with(s)) {
        DirectSource::Sdist(path)
    } else {
        return Err(DirectError::UnknownFile {
            text: text.to_string(),
            origin: origin.to_string(),
        });
    };
    Ok(DirectRequirement {
        source,
        name,
        extras,
        marker,
        editable,
        text: text.to_string(),
        origin: origin.to_string(),
    })
}

/// `a/./b/../c` ▸ `a/c`, without touching the filesystem (symlinks are kept, as pip keeps
/// the path given in `direct_url.json`).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// `%XX` escapes of a URL path decoded (lossy UTF-8), as pip reads `file://` URLs.
fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

impl DirectRequirement {
    /// Whether its marker holds for `markers` (no marker: true).
    pub fn applies(&self, markers: &pep508_rs::MarkerEnvironment) -> bool {
        let Some(marker) = &self.marker else {
            return true;
        };
        wharf_metadata::parse_marker(marker).map_or(true, |tree| tree.evaluate(markers, &[]))
    }

    /// The requirement by name that stands for this reference once its wheel is known.
    pub fn named_requirement(&self, name: &PackageName) -> Requirement {
        let extras = if self.extras.is_empty() {
            String::new()
        } else {
            format!(
                "[{}]",
                self.extras
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            )
        };
        let marker = self
            .marker
            .as_ref()
            .map(|m| format!(" ; {m}"))
            .unwrap_or_default();
        wharf_metadata::parse_requirement(&format!("{name}{extras}{marker}")).unwrap_or_else(|_| {
            wharf_metadata::parse_requirement(name.as_ref())
                .expect("a normalized name is a requirement")
        })
    }

    /// What to build: an editable or a regular wheel.
    pub fn build_kind(&self) -> BuildKind {
        if self.editable {
            BuildKind::Editable
        } else {
            BuildKind::Wheel
        }
    }

    /// The PEP 610 record of this reference (`sha256` for files).
    pub fn direct_url(&self, sha256: Option<&str>) -> String {
        let url = wharf_build::file_url(self.source.path());
        match (&self.source, sha256) {
            (DirectSource::Project(_), _) | (_, None) => DirectUrl::Directory {
                url,
                editable: self.editable,
            },
            (_, Some(sha256)) => DirectUrl::Archive {
                url,
                sha256: sha256.to_string(),
            },
        }
        .to_json()
    }
}

/// The local wheel of a wheel-file reference, checked against the environment's `tags`.
///
/// Errors: [`DirectError::WheelFilename`], [`DirectError::IncompatibleWheel`],
/// [`DirectError::NameMismatch`], [`DirectError::Path`] (unreadable).
pub fn local_wheel(
    requirement: &DirectRequirement,
    path: &Path,
    tags: &wharf_wheel_filename::Tags,
    python: &str,
    always_reinstall: bool,
    direct_url: String,
) -> Result<LocalWheel, DirectError> {
    let file_name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let filename = WheelFilename::from_str(file_name).map_err(|_| DirectError::WheelFilename {
        path: path.to_path_buf(),
    })?;
    let tag_priority =
        filename
            .compatibility(tags)
            .ok_or_else(|| DirectError::IncompatibleWheel {
                path: path.to_path_buf(),
                python: python.to_string(),
            })?;
    if let Some(name) = &requirement.name
        && *name != filename.name
    {
        return Err(DirectError::NameMismatch {
            text: requirement.text.clone(),
            name: name.clone(),
            actual: filename.name.clone(),
        });
    }
    Ok(LocalWheel {
        name: filename.name.clone(),
        filename,
        path: path.to_path_buf(),
        direct_url,
        always_reinstall,
        tag_priority,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_direct_follows_pip() {
        assert!(is_direct("."));
        assert!(is_direct("./proj"));
        assert!(is_direct("dist/x-1.0-py3-none-any.whl"));
        assert!(is_direct("x @ file:///tmp/x-1.0-py3-none-any.whl"));
        assert!(!is_direct("numpy>=1.26"));
        assert!(!is_direct("pandas[performance]==2.2.*"));
        assert!(
            !is_direct("x-1.0-py3-none-any.whl"),
            "a wheel name that does not exist"
        );
    }

    #[test]
    fn parses_paths_urls_extras_markers() {
        let dir = tempfile::tempdir().unwrap();
        let wheel = dir.path().join("x-1.0-py3-none-any.whl");
        fs_err::write(&wheel, "").unwrap();
        fs_err::write(dir.path().join("pyproject.toml"), "").unwrap();
        let parsed = parse_direct(
            "./x-1.0-py3-none-any.whl[a] ; python_version > '3'",
            false,
            "command line",
            dir.path(),
        )
        .unwrap();
        assert_eq!(parsed.source, DirectSource::Wheel(wheel.clone()));
        assert_eq!(parsed.extras.len(), 1);
        assert_eq!(parsed.marker.as_deref(), Some("python_version > '3'"));
        let url = format!("x @ {}", wharf_build::file_url(&wheel));
        let parsed = parse_direct(&url, false, "command line", Path::new("/")).unwrap();
        assert_eq!(parsed.source, DirectSource::Wheel(wheel));
        assert_eq!(parsed.name.unwrap().as_ref(), "x");
        let parsed = parse_direct(".", true, "command line", dir.path()).unwrap();
        assert_eq!(
            parsed.source,
            DirectSource::Project(dir.path().to_path_buf())
        );
    }

    #[test]
    fn err_path_not_found() {
        let error = parse_direct("./nope", false, "command line", Path::new("/tmp")).unwrap_err();
        insta::assert_snapshot!(format!("{error}: {}", std::error::Error::source(&error).unwrap()), @"command line: `./nope`: `/tmp/nope` does not exist");
    }

    #[test]
    fn err_not_a_project() {
        let dir = tempfile::tempdir().unwrap();
        let error = parse_direct(".", false, "req.txt:2", dir.path()).unwrap_err();
        let DirectError::Path { source, .. } = error else {
            panic!("{error}")
        };
        assert!(matches!(
            *source,
            wharf_build::BuildError::NotAProject { .. }
        ));
    }

    #[test]
    fn err_remote_url() {
        let error = parse_direct(
            "x @ https://example.org/x.whl",
            false,
            "command line",
            Path::new("/"),
        )
        .unwrap_err();
        insta::assert_snapshot!(error, @"command line: `x @ https://example.org/x.whl` is not a local path or `file:` URL; wharf installs offline");
    }
}
