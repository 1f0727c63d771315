//! Interpreter discovery: where a site's Pythons live, and which one a request means.
//!
//! Sources, in priority order ([`Source`]):
//! 1. the active virtual environment (`$VIRTUAL_ENV/bin/python`);
//! 2. the loaded module (`$EBROOTPYTHON/bin/python3`);
//! 3. module trees: each glob of `PYTHON_DIRS` (else the site defaults) names directories whose
//!    children are named like `3.11.5`, each holding `bin/python3.11`;
//! 4. `python3.X` and `python3` executables on `PATH`, in `PATH` order.
//!
//! Results are deduplicated by canonical path, keeping the first (highest-priority) find.
//! A venv's `bin/python` resolves to its base interpreter's file but is another environment,
//! so every python of one venv is keyed by the venv directory instead.
//!
//! Versions come from names (`3.11.5` directory, `python3.11`, `pyvenv.cfg`); nothing is run
//! during discovery. [`find`] probes (cached) only candidates whose name does not tell enough.

use std::cmp::Reverse;
use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::env::PythonEnv;

/// A Python version as far as it is known: `3`, `3.11` or `3.11.5`.
///
/// Ordering is numeric, and an unknown component sorts below any known one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PythonVersion {
    /// Ex) `3`
    pub major: u64,
    /// Ex) `11` in `3.11`
    pub minor: Option<u64>,
    /// Ex) `5` in `3.11.5`
    pub patch: Option<u64>,
}

impl PythonVersion {
    /// A full `major.minor.patch` version.
    pub fn new(major: u64, minor: u64, patch: u64) -> Self {
        Self {
            major,
            minor: Some(minor),
            patch: Some(patch),
        }
    }

    /// Whether `self`, taken as a request, is met by `candidate`: `Some(true|false)` when the
    /// candidate's known components decide it, `None` when the candidate is too vague (a request
    /// for `3.11.5` and a `python3.11` on `PATH`).
    pub fn matched_by(&self, candidate: &PythonVersion) -> Option<bool> {
        if self.major != candidate.major {
            return Some(false);
        }
        let pairs = [(self.minor, candidate.minor), (self.patch, candidate.patch)];
        for (wanted, have) in pairs {
            match (wanted, have) {
                (None, _) => return Some(true),
                (Some(_), None) => return None,
                (Some(wanted), Some(have)) if wanted != have => return Some(false),
                _ => {}
            }
        }
        Some(true)
    }
}

impl fmt::Display for PythonVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.major)?;
        if let Some(minor) = self.minor {
            write!(f, ".{minor}")?;
            if let Some(patch) = self.patch {
                write!(f, ".{patch}")?;
            }
        }
        Ok(())
    }
}

/// The error for a string that is not `3`, `3.11` or `3.11.5`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a Python version like `3.11` or `3.11.5`")]
pub struct PythonVersionParseError(String);

impl FromStr for PythonVersion {
    type Err = PythonVersionParseError;

    /// Parses `3`, `3.11`, `3.11.5` (digits only; no pre-release suffix).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || PythonVersionParseError(text.to_owned());
        let mut parts = text.split('.');
        let number = |part: Option<&str>| -> Result<Option<u64>, PythonVersionParseError> {
            match part {
                None => Ok(None),
                Some(part) if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) => {
                    part.parse().map(Some).map_err(|_| error())
                }
                Some(_) => Err(error()),
            }
        };
        let major = number(parts.next())?.ok_or_else(error)?;
        let minor = number(parts.next())?;
        let patch = number(parts.next())?;
        if parts.next().is_some() {
            return Err(error());
        }
        Ok(Self {
            major,
            minor,
            patch,
        })
    }
}

/// Where a found interpreter came from; also its rank in [`find`] (earlier wins).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// The active virtual environment. Ex) `$VIRTUAL_ENV/bin/python`
    ActiveVenv,
    /// The loaded environment module. Ex) `$EBROOTPYTHON/bin/python3`
    LoadedModule,
    /// A module tree from `PYTHON_DIRS` or the site defaults. Ex) `…/Core/python/3.11.5/bin/python3.11`
    ModuleTree,
    /// An executable on `PATH`. Ex) `/usr/bin/python3.11`
    SearchPath,
    /// A path the user named: an executable, a venv directory or an install prefix.
    Given,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ActiveVenv => "venv",
            Self::LoadedModule => "loaded module",
            Self::ModuleTree => "module",
            Self::SearchPath => "PATH",
            Self::Given => "given path",
        })
    }
}

/// One interpreter found on disk, not yet run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installation {
    /// The executable to run, as found (not resolved: a venv's `bin/python` stays that).
    pub executable: PathBuf,
    /// The version its name or `pyvenv.cfg` tells, if any.
    pub version: Option<PythonVersion>,
    /// Where it was found.
    pub source: Source,
}

impl fmt::Display for Installation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.version {
            Some(version) => write!(f, "{version} ({})", self.source),
            None => write!(f, "{} ({})", self.executable.display(), self.source),
        }
    }
}

/// What the user asked for: a version, or a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PythonRequest {
    /// Any interpreter. Ex) `python`
    Any,
    /// A version, possibly partial. Ex) `3.11`, `3.11.5`, `python3.12`, `python3`
    Version(PythonVersion),
    /// An executable, a venv directory, or an install prefix holding `bin/python3`.
    /// Ex) `./env`, `/usr/bin/python3.11`
    Path(PathBuf),
}

impl PythonRequest {
    /// Parses a request. Strings with a `/`, or starting with `.` or `~`, are paths; so is any
    /// string that is not a version but names an existing file or directory.
    pub fn parse(text: &str) -> Result<Self, FindError> {
        let text = text.trim();
        if text.contains('/') || text.starts_with('.') || text.starts_with('~') {
            return Ok(Self::Path(PathBuf::from(text)));
        }
        if text == "python" {
            return Ok(Self::Any);
        }
        let version = text.strip_prefix("python").unwrap_or(text);
        if let Ok(version) = version.parse::<PythonVersion>() {
            return Ok(Self::Version(version));
        }
        if !text.is_empty() && Path::new(text).exists() {
            return Ok(Self::Path(PathBuf::from(text)));
        }
        Err(FindError::InvalidRequest {
            request: text.to_owned(),
        })
    }
}

impl fmt::Display for PythonRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Any => f.write_str("python"),
            Self::Version(version) => write!(f, "{version}"),
            Self::Path(path) => write!(f, "{}", path.display()),
        }
    }
}

/// Why no interpreter could be returned.
#[derive(Debug, thiserror::Error)]
pub enum FindError {
    /// The request is neither a version nor an existing path. Ex) `pyhton3.11`
    #[error("`{request}` is neither a Python version nor an existing path")]
    InvalidRequest {
        /// The request as given.
        request: String,
    },
    /// A path request names nothing. Ex) `./env` that does not exist
    #[error("no interpreter at `{}`: the path does not exist", path.display())]
    PathNotFound {
        /// The path as given.
        path: PathBuf,
    },
    /// A path request names a directory with no `bin/python` or `bin/python3` in it.
    #[error(
        "`{}` is neither a Python executable nor a venv or install prefix (no `bin/python3` in it)",
        path.display()
    )]
    NotAnInterpreter {
        /// The path as given.
        path: PathBuf,
    },
    /// No discovered interpreter has the requested version.
    #[error("no interpreter matches `{request}`; {}", found_list(found))]
    NoMatch {
        /// The request as given.
        request: PythonRequest,
        /// Everything discovery found, in priority order.
        found: Vec<Installation>,
    },
}

fn found_list(found: &[Installation]) -> String {
    if found.is_empty() {
        return "found no interpreter at all (venv, modules, PATH)".to_owned();
    }
    let mut shown: Vec<String> = found.iter().take(12).map(ToString::to_string).collect();
    if found.len() > shown.len() {
        shown.push(format!("and {} more", found.len() - shown.len()));
    }
    format!("found {}", shown.join(", "))
}

impl FindError {
    /// The fix to suggest, printed after the error as `hint: …`.
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::InvalidRequest { .. } => Some(
                "ask for a version (`3.11`, `3.11.5`, `python3.12`) or a path (`./env`, `/usr/bin/python3`)"
                    .to_owned(),
            ),
            Self::PathNotFound { .. } => {
                Some("check the path, or ask for a version such as `3.11`".to_owned())
            }
            Self::NotAnInterpreter { path } => Some(format!(
                "name the executable itself, e.g. `{}`",
                path.join("bin").join("python3").display()
            )),
            Self::NoMatch { found, .. } => {
                let newest_module = found
                    .iter()
                    .filter(|found| {
                        matches!(found.source, Source::LoadedModule | Source::ModuleTree)
                    })
                    .filter_map(|found| found.version)
                    .max();
                Some(match newest_module {
                    Some(version) => format!(
                        "`module load python/{}.{}` (the newest module found), or ask for a version listed above",
                        version.major,
                        version.minor.unwrap_or_default()
                    ),
                    None => "load a python module (`module load python/3.11`), set `PYTHON_DIRS` to the trees that hold your interpreters, or put `python3.X` on `PATH`".to_owned(),
                })
            }
        }
    }
}

/// Every interpreter discovery finds, deduplicated, in priority order (see the module docs).
///
/// Never fails: unreadable directories, bad globs and broken links are skipped.
pub fn discover(env: &PythonEnv) -> Vec<Installation> {
    let mut found = Found::default();

    if let Some(venv) = &env.virtual_env {
        let executable = venv.join("bin").join("python");
        if is_executable(&executable) {
            let version = pyvenv_version(venv);
            found.push(executable, version, Source::ActiveVenv);
        }
    }

    if let Some(root) = &env.ebrootpython {
        let executable = root.join("bin").join("python3");
        if is_executable(&executable) {
            let version = root
                .file_name()
                .and_then(|name| name.to_str())
                .and_then(|name| name.parse().ok());
            found.push(executable, version, Source::LoadedModule);
        }
    }

    for pattern in env.module_tree_globs() {
        let Ok(paths) = glob::glob(&pattern) else {
            continue;
        };
        for tree in paths.flatten() {
            for (executable, version) in module_tree(&tree) {
                found.push(executable, Some(version), Source::ModuleTree);
            }
        }
    }

    if let Some(path) = &env.path {
        for dir in std::env::split_paths(path) {
            // An empty entry means the current directory: not a place to find interpreters.
            if dir.as_os_str().is_empty() {
                continue;
            }
            for (executable, version) in path_dir(&dir) {
                found.push(executable, Some(version), Source::SearchPath);
            }
        }
    }

    found.list
}

/// The interpreter a request means: a path as given, or the best discovered match.
///
/// Best match: by [`Source`] rank (venv, loaded module, module trees, then `PATH`), then the
/// newest version within that rank (newest patch first), then discovery order. Candidates whose
/// name does not tell enough (`python3` for a `3.11` request) are probed, with the cache.
pub fn find(request: &PythonRequest, env: &PythonEnv) -> Result<Installation, FindError> {
    find_with(request, env, |executable| {
        crate::probe::probe(executable, env)
            .ok()
            .and_then(|info| info.python_version())
    })
}

/// [`find`], with the way to learn an unknown version supplied by the caller.
pub fn find_with(
    request: &PythonRequest,
    env: &PythonEnv,
    mut version_of: impl FnMut(&Path) -> Option<PythonVersion>,
) -> Result<Installation, FindError> {
    let wanted = match request {
        PythonRequest::Path(path) => return installation_at(path),
        PythonRequest::Any => None,
        PythonRequest::Version(version) => Some(*version),
    };
    let mut candidates = discover(env);
    let Some(wanted) = wanted else {
        return candidates.into_iter().next().ok_or(FindError::NoMatch {
            request: request.clone(),
            found: Vec::new(),
        });
    };

    let mut rank_start = 0;
    while rank_start < candidates.len() {
        let rank = candidates[rank_start].source;
        let rank_end = candidates[rank_start..]
            .iter()
            .position(|candidate| candidate.source != rank)
            .map_or(candidates.len(), |offset| rank_start + offset);
        let mut best: Option<&Installation> = None;
        for candidate in &mut candidates[rank_start..rank_end] {
            let matched = match candidate.version.map(|have| wanted.matched_by(&have)) {
                Some(Some(matched)) => matched,
                // The name says too little: ask the interpreter itself.
                Some(None) | None => match version_of(&candidate.executable) {
                    Some(version) => {
                        candidate.version = Some(version);
                        wanted.matched_by(&version) == Some(true)
                    }
                    None => false,
                },
            };
            if matched && best.is_none_or(|best| Reverse(candidate.version) < Reverse(best.version))
            {
                best = Some(candidate);
            }
        }
        if let Some(best) = best {
            return Ok(best.clone());
        }
        rank_start = rank_end;
    }
    Err(FindError::NoMatch {
        request: request.clone(),
        found: candidates,
    })
}

/// Resolves a path request: an executable, a venv directory (`bin/python`), or an install
/// prefix (`bin/python3`).
fn installation_at(path: &Path) -> Result<Installation, FindError> {
    if !path.exists() {
        return Err(FindError::PathNotFound {
            path: path.to_owned(),
        });
    }
    if path.is_dir() {
        let version = pyvenv_version(path);
        for name in ["python", "python3"] {
            let executable = path.join("bin").join(name);
            if is_executable(&executable) {
                return Ok(Installation {
                    executable: std::path::absolute(&executable).unwrap_or(executable),
                    version,
                    source: Source::Given,
                });
            }
        }
        return Err(FindError::NotAnInterpreter {
            path: path.to_owned(),
        });
    }
    if !is_executable(path) {
        return Err(FindError::NotAnInterpreter {
            path: path.to_owned(),
        });
    }
    let version = path
        .file_name()
        .and_then(|name| name.to_str())
        .and_then(|name| name.strip_prefix("python"))
        .and_then(|version| version.parse().ok());
    Ok(Installation {
        executable: std::path::absolute(path).unwrap_or_else(|_| path.to_owned()),
        version,
        source: Source::Given,
    })
}

/// The deduplicating accumulator of [`discover`].
#[derive(Default)]
struct Found {
    seen: HashSet<PathBuf>,
    list: Vec<Installation>,
}

impl Found {
    fn push(&mut self, executable: PathBuf, version: Option<PythonVersion>, source: Source) {
        if self.seen.insert(dedup_key(&executable)) {
            self.list.push(Installation {
                executable,
                version,
                source,
            });
        }
    }
}

/// The identity of an interpreter: its venv directory when it sits in one, else its canonical
/// path (so `/usr/bin/python3 -> python3.11` and `/usr/bin/python3.11` are one).
fn dedup_key(executable: &Path) -> PathBuf {
    if let Some(venv) = executable.parent().and_then(Path::parent)
        && venv.join("pyvenv.cfg").is_file()
    {
        let venv = fs_err::canonicalize(venv).unwrap_or_else(|_| venv.to_owned());
        let mut key = venv.into_os_string();
        key.push("/pyvenv.cfg");
        return PathBuf::from(key);
    }
    fs_err::canonicalize(executable).unwrap_or_else(|_| executable.to_owned())
}

/// The `version` (python -m venv, uv) or `version_info` (virtualenv) of a venv's `pyvenv.cfg`.
fn pyvenv_version(venv: &Path) -> Option<PythonVersion> {
    let text = fs_err::read_to_string(venv.join("pyvenv.cfg")).ok()?;
    text.lines().find_map(|line| {
        let (key, value) = line.split_once('=')?;
        if !matches!(key.trim(), "version" | "version_info") {
            return None;
        }
        // `3.11.7` or `3.11.7.final.0`: keep the numeric head.
        let head: Vec<&str> = value.trim().split('.').take(3).collect();
        head.join(".").parse().ok()
    })
}

/// The interpreters of one module tree: children named like `3.11.5` holding
/// `bin/python3.11`, newest first.
fn module_tree(tree: &Path) -> Vec<(PathBuf, PythonVersion)> {
    let Ok(entries) = fs_err::read_dir(tree) else {
        return Vec::new();
    };
    let mut found: Vec<(PathBuf, PythonVersion)> = entries
        .flatten()
        .filter_map(|entry| {
            let version: PythonVersion = entry.file_name().to_str()?.parse().ok()?;
            let minor = version.minor?;
            let executable = entry
                .path()
                .join("bin")
                .join(format!("python{}.{minor}", version.major));
            is_executable(&executable).then_some((executable, version))
        })
        .collect();
    found.sort_by_key(|(_, version)| Reverse(*version));
    found
}

/// The `python3.X` (newest first) and then `python3` executables in one `PATH` directory.
fn path_dir(dir: &Path) -> Vec<(PathBuf, PythonVersion)> {
    let Ok(entries) = fs_err::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<(PathBuf, PythonVersion)> = entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name();
            let version = name.to_str()?.strip_prefix("python")?;
            let version: PythonVersion = version.parse().ok()?;
            // `python3` or `python3.11`; not `python3.11.5`, not `python2`.
            if version.major != 3 || version.patch.is_some() {
                return None;
            }
            let executable = entry.path();
            is_executable(&executable).then_some((executable, version))
        })
        .collect();
    // Versioned names first: they tell the version, and they win the dedup against `python3`.
    found.sort_by_key(|(_, version)| (version.minor.is_none(), Reverse(version.minor)));
    found
}

/// A regular file (after symlinks) with an execute bit.
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .is_ok_and(|metadata| metadata.is_file() && metadata.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{PermissionsExt, symlink};

    fn fake_python(path: &Path) {
        fs_err::create_dir_all(path.parent().unwrap()).unwrap();
        fs_err::write(path, "#!/bin/sh\nexit 1\n").unwrap();
        fs_err::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    /// A site: two module trees, a loaded module, a venv, and two PATH dirs.
    struct Site {
        root: tempfile::TempDir,
    }

    impl Site {
        fn new() -> Self {
            let root = tempfile::tempdir().unwrap();
            let r = root.path();
            for version in ["3.10.13", "3.11.4", "3.11.5", "3.12.4"] {
                let minor = version.rsplit_once('.').unwrap().0;
                fake_python(&r.join(format!("2023/Core/python/{version}/bin/python{minor}")));
            }
            fake_python(&r.join("2020/Core/python/3.8.10/bin/python3.8"));
            // Not interpreters: a non-version child, a version without its executable.
            fs_err::create_dir_all(r.join("2023/Core/python/default/bin")).unwrap();
            fs_err::create_dir_all(r.join("2023/Core/python/3.13.0/bin")).unwrap();
            // The loaded module is the same file as the tree's 3.11.4.
            symlink(
                r.join("2023/Core/python/3.11.4/bin/python3.11"),
                r.join("2023/Core/python/3.11.4/bin/python3"),
            )
            .unwrap();
            // PATH: /usr/bin-like dir with python3 -> python3.11, and python3.13.
            fake_python(&r.join("usr/bin/python3.11"));
            symlink("python3.11", r.join("usr/bin/python3")).unwrap();
            fake_python(&r.join("usr/bin/python3.13"));
            fake_python(&r.join("usr/bin/python2.7"));
            fs_err::write(r.join("usr/bin/python3.9"), "not executable").unwrap();
            // A venv on 3.12.4, its bin also on PATH.
            let venv = r.join("env");
            fs_err::create_dir_all(venv.join("bin")).unwrap();
            fs_err::write(
                venv.join("pyvenv.cfg"),
                "home = /x\nversion_info = 3.12.4.final.0\n",
            )
            .unwrap();
            symlink(
                r.join("2023/Core/python/3.12.4/bin/python3.12"),
                venv.join("bin/python"),
            )
            .unwrap();
            symlink("python", venv.join("bin/python3")).unwrap();
            Self { root }
        }

        fn path(&self, relative: &str) -> PathBuf {
            self.root.path().join(relative)
        }

        fn env(&self) -> PythonEnv {
            let r = self.root.path();
            PythonEnv {
                virtual_env: Some(r.join("env")),
                ebrootpython: Some(r.join("2023/Core/python/3.11.4")),
                python_dirs: Some(format!("{}/20*/Core/python", r.display())),
                path: Some(
                    std::env::join_paths([r.join("env/bin"), PathBuf::new(), r.join("usr/bin")])
                        .unwrap(),
                ),
                ..PythonEnv::default()
            }
        }

        fn describe(&self, found: &[Installation]) -> String {
            found
                .iter()
                .map(|found| {
                    format!(
                        "{} {} {}",
                        found.source,
                        found.version.map(|v| v.to_string()).unwrap_or_default(),
                        found
                            .executable
                            .strip_prefix(self.root.path())
                            .unwrap()
                            .display()
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
        }
    }

    #[test]
    fn discovery_order_and_dedup() {
        let site = Site::new();
        let found = discover(&site.env());
        insta::assert_snapshot!(site.describe(&found), @"
        venv 3.12.4 env/bin/python
        loaded module 3.11.4 2023/Core/python/3.11.4/bin/python3
        module 3.8.10 2020/Core/python/3.8.10/bin/python3.8
        module 3.12.4 2023/Core/python/3.12.4/bin/python3.12
        module 3.11.5 2023/Core/python/3.11.5/bin/python3.11
        module 3.10.13 2023/Core/python/3.10.13/bin/python3.10
        PATH 3.13 usr/bin/python3.13
        PATH 3.11 usr/bin/python3.11
        ");
    }

    #[test]
    fn find_versions() {
        let site = Site::new();
        let env = site.env();
        let no_probe = |_: &Path| None;
        let find = |request: &str| {
            let request = PythonRequest::parse(request).unwrap();
            find_with(&request, &env, no_probe).map(|found| site.describe(&[found]))
        };
        // The venv wins when it matches.
        assert_eq!(find("3.12").unwrap(), "venv 3.12.4 env/bin/python");
        assert_eq!(find("python3.12").unwrap(), "venv 3.12.4 env/bin/python");
        // The loaded module wins over the trees for its minor version...
        assert_eq!(
            find("3.11").unwrap(),
            "loaded module 3.11.4 2023/Core/python/3.11.4/bin/python3"
        );
        // ...but an exact patch goes to the tree.
        assert_eq!(
            find("3.11.5").unwrap(),
            "module 3.11.5 2023/Core/python/3.11.5/bin/python3.11"
        );
        assert_eq!(
            find("3.10").unwrap(),
            "module 3.10.13 2023/Core/python/3.10.13/bin/python3.10"
        );
        // Only PATH has 3.13.
        assert_eq!(find("3.13").unwrap(), "PATH 3.13 usr/bin/python3.13");
        // `3` is met by the venv first.
        assert_eq!(find("3").unwrap(), "venv 3.12.4 env/bin/python");
    }

    #[test]
    fn newest_patch_first_within_module_trees() {
        let site = Site::new();
        let env = PythonEnv {
            virtual_env: None,
            ebrootpython: None,
            ..site.env()
        };
        let request = PythonRequest::parse("3.11").unwrap();
        let found = find_with(&request, &env, |_| None).unwrap();
        assert_eq!(
            found.executable,
            site.path("2023/Core/python/3.11.5/bin/python3.11")
        );
    }

    #[test]
    fn vague_path_candidates_are_probed() {
        let site = Site::new();
        let env = PythonEnv {
            virtual_env: None,
            ebrootpython: None,
            python_dirs: Some(String::new()),
            ..site.env()
        };
        let mut asked = Vec::new();
        let request = PythonRequest::parse("3.11.2").unwrap();
        let found = find_with(&request, &env, |path| {
            asked.push(path.to_owned());
            if path.ends_with("usr/bin/python3.11") {
                Some(PythonVersion::new(3, 11, 2))
            } else {
                Some(PythonVersion::new(3, 12, 4))
            }
        })
        .unwrap();
        assert_eq!(found.executable, site.path("usr/bin/python3.11"));
        assert_eq!(found.version, Some(PythonVersion::new(3, 11, 2)));
        // The venv's `python3` (PATH) says no version, so it is asked; python3.13 is ruled out
        // by its name and never run; /usr/bin/python3 is the same file as python3.11.
        assert_eq!(
            asked,
            vec![
                site.path("env/bin/python3"),
                site.path("usr/bin/python3.11")
            ]
        );
    }

    #[test]
    fn python_dirs_empty_means_no_trees() {
        let site = Site::new();
        let env = PythonEnv {
            python_dirs: Some(String::new()),
            ..site.env()
        };
        assert!(
            discover(&env)
                .iter()
                .all(|found| found.source != Source::ModuleTree)
        );
    }

    #[test]
    fn path_requests() {
        let site = Site::new();
        let venv = PythonRequest::Path(site.path("env"));
        let found = find_with(&venv, &site.env(), |_| None).unwrap();
        assert_eq!(found.executable, site.path("env/bin/python"));
        assert_eq!(found.version, Some(PythonVersion::new(3, 12, 4)));
        assert_eq!(found.source, Source::Given);

        let prefix = PythonRequest::Path(site.path("2023/Core/python/3.11.4"));
        let found = find_with(&prefix, &site.env(), |_| None).unwrap();
        assert_eq!(
            found.executable,
            site.path("2023/Core/python/3.11.4/bin/python3")
        );

        let file = PythonRequest::Path(site.path("usr/bin/python3.13"));
        let found = find_with(&file, &site.env(), |_| None).unwrap();
        assert_eq!(
            found.version,
            Some(PythonVersion {
                major: 3,
                minor: Some(13),
                patch: None
            })
        );
    }

    #[test]
    fn err_no_match_lists_what_exists() {
        let site = Site::new();
        let request = PythonRequest::parse("3.14").unwrap();
        let error = find_with(&request, &site.env(), |_| None).unwrap_err();
        insta::assert_snapshot!(error, @"no interpreter matches `3.14`; found 3.12.4 (venv), 3.11.4 (loaded module), 3.8.10 (module), 3.12.4 (module), 3.11.5 (module), 3.10.13 (module), 3.13 (PATH), 3.11 (PATH)");
        insta::assert_snapshot!(error.hint().unwrap(), @"`module load python/3.12` (the newest module found), or ask for a version listed above");
    }

    #[test]
    fn err_no_match_without_modules() {
        let request = PythonRequest::parse("3.14").unwrap();
        let env = PythonEnv {
            python_dirs: Some(String::new()),
            ..PythonEnv::default()
        };
        let error = find_with(&request, &env, |_| None).unwrap_err();
        insta::assert_snapshot!(error, @"no interpreter matches `3.14`; found no interpreter at all (venv, modules, PATH)");
        insta::assert_snapshot!(error.hint().unwrap(), @"load a python module (`module load python/3.11`), set `PYTHON_DIRS` to the trees that hold your interpreters, or put `python3.X` on `PATH`");
    }

    #[test]
    fn err_invalid_request() {
        let error = PythonRequest::parse("pyhton3.11").unwrap_err();
        insta::assert_snapshot!(error, @"`pyhton3.11` is neither a Python version nor an existing path");
        insta::assert_snapshot!(error.hint().unwrap(), @"ask for a version (`3.11`, `3.11.5`, `python3.12`) or a path (`./env`, `/usr/bin/python3`)");
    }

    #[test]
    fn err_path_not_found() {
        let error = find_with(
            &PythonRequest::parse("./no/such/env").unwrap(),
            &PythonEnv::default(),
            |_| None,
        )
        .unwrap_err();
        insta::assert_snapshot!(error, @"no interpreter at `./no/such/env`: the path does not exist");
    }

    #[test]
    fn err_not_an_interpreter() {
        let dir = tempfile::tempdir().unwrap();
        let error = find_with(
            &PythonRequest::Path(dir.path().to_owned()),
            &PythonEnv::default(),
            |_| None,
        )
        .unwrap_err();
        assert!(matches!(error, FindError::NotAnInterpreter { .. }));
        assert!(error.hint().unwrap().contains("bin/python3"));
    }

    #[test]
    fn request_parsing() {
        let version = |major, minor, patch| {
            PythonRequest::Version(PythonVersion {
                major,
                minor,
                patch,
            })
        };
        assert_eq!(
            PythonRequest::parse("3.11").unwrap(),
            version(3, Some(11), None)
        );
        assert_eq!(
            PythonRequest::parse("3.11.5").unwrap(),
            version(3, Some(11), Some(5))
        );
        assert_eq!(
            PythonRequest::parse("python3.12").unwrap(),
            version(3, Some(12), None)
        );
        assert_eq!(
            PythonRequest::parse("python3").unwrap(),
            version(3, None, None)
        );
        assert_eq!(PythonRequest::parse("python").unwrap(), PythonRequest::Any);
        assert_eq!(
            PythonRequest::parse("./env").unwrap(),
            PythonRequest::Path("./env".into())
        );
        assert_eq!(
            PythonRequest::parse("/usr/bin/python3").unwrap(),
            PythonRequest::Path("/usr/bin/python3".into())
        );
        assert!(PythonRequest::parse("3.11.5.1").is_err());
        assert!(PythonRequest::parse("3.x").is_err());
    }

    #[test]
    fn version_matching() {
        let v = |text: &str| text.parse::<PythonVersion>().unwrap();
        assert_eq!(v("3.11").matched_by(&v("3.11.5")), Some(true));
        assert_eq!(v("3.11").matched_by(&v("3.12.1")), Some(false));
        assert_eq!(v("3.11.5").matched_by(&v("3.11")), None);
        assert_eq!(v("3.11.5").matched_by(&v("3.11.4")), Some(false));
        assert_eq!(v("3.11").matched_by(&v("3")), None);
        assert_eq!(v("3").matched_by(&v("2.7.18")), Some(false));
        assert!(v("3.11.10") > v("3.11.9"));
        assert!(v("3.11.0") > v("3.11"));
        assert_eq!(v("3.11.5").to_string(), "3.11.5");
    }
}
