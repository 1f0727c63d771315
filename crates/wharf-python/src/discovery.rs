//! Interpreter discovery: where a site's Pythons live, and which one a request means.
//!
//! Sources ([`Source`]), in the order [`discover`] lists them and version requests rank them:
//! 1. the active virtual environment (`$VIRTUAL_ENV/bin/python`);
//! 2. the loaded module (`$EBROOTPYTHON/bin/python3`);
//! 3. module trees: each glob of `PYTHON_DIRS` (else the site defaults) names directories whose
//!    children are named like `3.11.5`, each holding `bin/python3.11` (scanned by
//!    [`wharf_site::scan_module_trees`], the scanner `avail` uses too);
//! 4. `python3.X` and `python3` executables on `PATH`, in `PATH` order.
//!
//! The default interpreter (a request for any Python) is chosen in another order, and must
//! *work*: the loaded module, the active venv's base interpreter, `python3` on `PATH`, other
//! `python3.X` on `PATH`, then the module trees; each is probed and the first that answers
//! wins. A pyenv shim that exits 127 or an interpreter that hangs is skipped, and the reason
//! recorded ([`FoundPython::skipped`]).
//!
//! Results are deduplicated by canonical path, keeping the first (highest-priority) find.
//! A venv's `bin/python` resolves to its base interpreter's file but is another environment,
//! so every python of one venv is keyed by the venv directory instead.
//!
//! Versions come from names (`3.11.5` directory, `python3.11`, `pyvenv.cfg`); nothing is run
//! to list candidates. [`find`] probes (cached) candidates whose name does not tell enough,
//! and every candidate of a default request.
//!
//! What to look for: an explicit request, else the `.python-version` pin found from the
//! working directory upwards ([`crate::pin`]), else the default ([`find_python`]).

use std::cmp::Reverse;
use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

use wharf_site::PythonVersion;

use crate::env::PythonEnv;
use crate::probe::{InterpreterInfo, ProbeError};
use crate::pyvenv::PyvenvCfg;
use crate::version::PartialVersion;

/// Where a found interpreter came from; also its rank in [`find`] (earlier wins).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// The active virtual environment. Ex) `$VIRTUAL_ENV/bin/python`, or for a default request
    /// its base interpreter (`pyvenv.cfg`'s `executable`, or `home`)
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
    /// The version its name or `pyvenv.cfg` tells (or its probe, once run), if any.
    pub version: Option<PartialVersion>,
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

/// A candidate [`find`] passed over because it failed to run, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The executable as found.
    pub executable: PathBuf,
    /// Where it was found.
    pub source: Source,
    /// The probe's error, with its causes. Ex) `` `…/shims/python3.13` failed while probing it (exit status: 127): … ``
    pub reason: String,
}

impl fmt::Display for Skipped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}): {}",
            self.executable.display(),
            self.source,
            self.reason
        )
    }
}

/// The answer of [`find_reporting`] and [`find_python`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundPython {
    /// The interpreter.
    pub installation: Installation,
    /// Candidates passed over because their probe failed, in the order tried (print them
    /// under `-v`).
    pub skipped: Vec<Skipped>,
    /// The `.python-version` file the request came from, when it came from a pin.
    pub pin: Option<PathBuf>,
}

/// What the user asked for: a version, or a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PythonRequest {
    /// Any interpreter: the default. Ex) `python`
    Any,
    /// A version, possibly partial. Ex) `3.11`, `3.11.5`, `python3.12`, `python3`
    Version(PartialVersion),
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
        if let Ok(version) = version.parse::<PartialVersion>() {
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
    #[error(
        "no interpreter matches `{request}`; {}{}",
        found_list(found),
        skipped_note(skipped)
    )]
    NoMatch {
        /// The request as given.
        request: PythonRequest,
        /// Everything discovery found, in priority order.
        found: Vec<Installation>,
        /// Candidates whose probe failed.
        skipped: Vec<Skipped>,
    },
    /// A `.python-version` pin asks for a version that no loaded or available module provides.
    /// Ex) `3.10` pinned, modules `3.11`, `3.12`
    #[error(
        "`{}` pins Python `{request}`, which no python module provides (modules: {})",
        pin.display(),
        module_list(modules)
    )]
    PinNotAvailable {
        /// The `.python-version` file.
        pin: PathBuf,
        /// Its request.
        request: PythonRequest,
        /// The module versions that exist (loaded and in `PYTHON_DIRS`), sorted.
        modules: Vec<PythonVersion>,
    },
    /// A `.python-version` file holds something that is not a request. Ex) `pyhton3.11`
    #[error("`{}` holds `{text}`, which is neither a Python version nor a path", pin.display())]
    InvalidPin {
        /// The `.python-version` file.
        pin: PathBuf,
        /// Its first non-comment line.
        text: String,
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

fn skipped_note(skipped: &[Skipped]) -> String {
    if skipped.is_empty() {
        return String::new();
    }
    let shown: Vec<String> = skipped
        .iter()
        .map(|skipped| format!("{} ({})", skipped.executable.display(), skipped.source))
        .collect();
    format!("; skipped (failed to run): {}", shown.join(", "))
}

fn module_list(modules: &[PythonVersion]) -> String {
    if modules.is_empty() {
        return "none".to_owned();
    }
    modules
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The module version closest to `wanted`: the same major, the smallest minor distance, the
/// newer on a tie.
fn closest_module(wanted: PartialVersion, modules: &[PythonVersion]) -> Option<PythonVersion> {
    modules.iter().copied().min_by_key(|module| {
        let minor_distance = wanted.minor.map_or(0, |minor| module.minor.abs_diff(minor));
        (
            module.major != wanted.major,
            minor_distance,
            Reverse(*module),
        )
    })
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
            Self::PinNotAvailable {
                pin,
                request,
                modules,
            } => {
                let closest = match request {
                    PythonRequest::Version(wanted) => closest_module(*wanted, modules),
                    _ => modules.last().copied(),
                };
                Some(match closest {
                    Some(module) => format!(
                        "`module load python/{module}` (the closest available), and pin it: `echo {module} > {}`",
                        pin.display()
                    ),
                    None => format!(
                        "set `PYTHON_DIRS` to the module trees, or edit `{}`",
                        pin.display()
                    ),
                })
            }
            Self::InvalidPin { pin, .. } => Some(format!(
                "write a version such as `3.11` on the first line of `{}`",
                pin.display()
            )),
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

    if let Some((executable, version)) = loaded_module(env) {
        found.push(executable, version, Source::LoadedModule);
    }

    module_trees(env, &mut found);

    if let Some(path) = &env.path {
        for dir in path_dirs(path) {
            for (executable, version) in path_dir(&dir) {
                found.push(executable, Some(version), Source::SearchPath);
            }
        }
    }

    found.list
}

/// The candidates of a default request, in the order they are tried (see the module docs).
pub fn default_candidates(env: &PythonEnv) -> Vec<Installation> {
    let mut found = Found::default();
    if let Some((executable, version)) = loaded_module(env) {
        found.push(executable, version, Source::LoadedModule);
    }
    if let Some(venv) = &env.virtual_env
        && let Some((executable, version)) = venv_base(venv)
    {
        found.push(executable, version, Source::ActiveVenv);
    }
    if let Some(path) = &env.path {
        let dirs: Vec<PathBuf> = path_dirs(path).collect();
        for dir in &dirs {
            let executable = dir.join("python3");
            if is_executable(&executable) {
                found.push(
                    executable,
                    Some(PartialVersion {
                        major: 3,
                        minor: None,
                        patch: None,
                    }),
                    Source::SearchPath,
                );
            }
        }
        for dir in &dirs {
            for (executable, version) in path_dir(dir) {
                found.push(executable, Some(version), Source::SearchPath);
            }
        }
    }
    module_trees(env, &mut found);
    found.list
}

/// The interpreter a request means: a path as given, or the best discovered match.
///
/// Best match: by [`Source`] rank (venv, loaded module, module trees, then `PATH`), then the
/// newest version within that rank (newest patch first), then discovery order. Candidates whose
/// name does not tell enough (`python3` for a `3.11` request) are probed, with the cache. A
/// request for any Python returns the first default candidate that probes OK.
pub fn find(request: &PythonRequest, env: &PythonEnv) -> Result<Installation, FindError> {
    find_reporting(request, env).map(|found| found.installation)
}

/// [`find`], also telling which candidates were skipped because they failed to run.
pub fn find_reporting(request: &PythonRequest, env: &PythonEnv) -> Result<FoundPython, FindError> {
    find_with(request, env, |executable| probe_version(executable, env))
}

/// Explicit request ▸ `.python-version` pin (from `cwd` upwards) ▸ the default.
///
/// On a site with modules (one is loaded, or `PYTHON_DIRS` has some), a pinned version that
/// neither a module nor the active venv provides is an error whose hint names the closest
/// `module load python/X.Y`, rather than a silent fall back to some `python3.X` on `PATH`.
pub fn find_python(
    explicit: Option<&PythonRequest>,
    cwd: &Path,
    env: &PythonEnv,
) -> Result<FoundPython, FindError> {
    find_python_with(explicit, cwd, env, |executable| {
        probe_version(executable, env)
    })
}

/// [`find_python`], with the probe supplied by the caller (see [`find_with`]).
pub fn find_python_with(
    explicit: Option<&PythonRequest>,
    cwd: &Path,
    env: &PythonEnv,
    probe: impl FnMut(&Path) -> Result<PartialVersion, String>,
) -> Result<FoundPython, FindError> {
    if let Some(request) = explicit {
        return find_with(request, env, probe);
    }
    let pin = match crate::pin::try_read_pin(cwd) {
        Ok(Some(pin)) => pin,
        Err(crate::pin::PinError::Invalid { path, text }) => {
            return Err(FindError::InvalidPin { pin: path, text });
        }
        // No pin, or an unreadable `.python-version`, which is not a pin.
        Ok(None) | Err(crate::pin::PinError::Io { .. }) => {
            return find_with(&PythonRequest::Any, env, probe);
        }
    };
    let (pin_path, request) = pin;
    let modules = module_versions(env);
    let result = find_with(&request, env, probe);
    let from_module_or_venv = |found: &FoundPython| {
        matches!(
            found.installation.source,
            Source::ActiveVenv | Source::LoadedModule | Source::ModuleTree
        )
    };
    match (result, &request) {
        (Ok(found), _) if from_module_or_venv(&found) => Ok(FoundPython {
            pin: Some(pin_path),
            ..found
        }),
        (Ok(_) | Err(FindError::NoMatch { .. }), PythonRequest::Version(_))
            if !modules.is_empty() =>
        {
            Err(FindError::PinNotAvailable {
                pin: pin_path,
                request,
                modules,
            })
        }
        (Ok(found), _) => Ok(FoundPython {
            pin: Some(pin_path),
            ..found
        }),
        (Err(error), _) => Err(error),
    }
}

/// The `major.minor` of every module: loaded (`EBROOTPYTHON`) and in the module trees.
fn module_versions(env: &PythonEnv) -> Vec<PythonVersion> {
    let mut versions: Vec<PythonVersion> =
        wharf_site::scan_module_trees(env.module_tree_globs().iter().map(String::as_str))
            .into_iter()
            .filter(|python| is_executable(&python.executable()))
            .map(|python| python.version)
            .collect();
    if let Some((_, Some(version))) = loaded_module(env)
        && let Some(version) = version.major_minor()
    {
        versions.push(version);
    }
    versions.sort();
    versions.dedup();
    versions
}

/// The probe, reduced to what discovery needs: the version, or the error and its causes.
fn probe_version(executable: &Path, env: &PythonEnv) -> Result<PartialVersion, String> {
    let info =
        crate::probe::probe(executable, env).map_err(|error| wharf_fs::error_chain(&error))?;
    info.python_version()
        .ok_or_else(|| format!("reports an unsupported version {}", info.version()))
}

/// [`find`], with the probe supplied by the caller: it returns the interpreter's version, or
/// why it could not run (tests pass a closure; [`find_reporting`] the cached probe).
pub fn find_with(
    request: &PythonRequest,
    env: &PythonEnv,
    mut probe: impl FnMut(&Path) -> Result<PartialVersion, String>,
) -> Result<FoundPython, FindError> {
    let mut skipped = Vec::new();
    let wanted = match request {
        PythonRequest::Path(path) => {
            return installation_at(path).map(|installation| FoundPython {
                installation,
                skipped,
                pin: None,
            });
        }
        PythonRequest::Any => None,
        PythonRequest::Version(version) => Some(*version),
    };
    let Some(wanted) = wanted else {
        let candidates = default_candidates(env);
        for candidate in &candidates {
            match probe(&candidate.executable) {
                Ok(version) => {
                    return Ok(FoundPython {
                        installation: Installation {
                            version: Some(version),
                            ..candidate.clone()
                        },
                        skipped,
                        pin: None,
                    });
                }
                Err(reason) => skipped.push(Skipped {
                    executable: candidate.executable.clone(),
                    source: candidate.source,
                    reason,
                }),
            }
        }
        return Err(FindError::NoMatch {
            request: request.clone(),
            found: candidates,
            skipped,
        });
    };

    let mut candidates = discover(env);
    let mut rank_start = 0;
    while rank_start < candidates.len() {
        let rank = candidates[rank_start].source;
        let rank_end = candidates[rank_start..]
            .iter()
            .position(|candidate| candidate.source != rank)
            .map_or(candidates.len(), |offset| rank_start + offset);
        // Candidates of this rank that match, newest first; each must also run (a pyenv shim
        // named `python3.13` with no interpreter behind it is skipped, not chosen).
        let mut matching: Vec<(usize, bool)> = Vec::new();
        for (index, candidate) in candidates
            .iter_mut()
            .enumerate()
            .take(rank_end)
            .skip(rank_start)
        {
            match candidate.version.map(|have| wanted.matched_by(&have)) {
                Some(Some(true)) => matching.push((index, false)),
                Some(Some(false)) => {}
                // The name says too little: ask the interpreter itself.
                Some(None) | None => match probe(&candidate.executable) {
                    Ok(version) => {
                        candidate.version = Some(version);
                        if wanted.matched_by(&version) == Some(true) {
                            matching.push((index, true));
                        }
                    }
                    Err(reason) => skipped.push(Skipped {
                        executable: candidate.executable.clone(),
                        source: candidate.source,
                        reason,
                    }),
                },
            }
        }
        // Stable: among equal versions the discovery order wins.
        matching.sort_by_key(|&(index, _)| Reverse(candidates[index].version));
        for (index, probed) in matching {
            let candidate = &candidates[index];
            if !probed && let Err(reason) = probe(&candidate.executable) {
                skipped.push(Skipped {
                    executable: candidate.executable.clone(),
                    source: candidate.source,
                    reason,
                });
                continue;
            }
            return Ok(FoundPython {
                installation: candidate.clone(),
                skipped,
                pin: None,
            });
        }
        rank_start = rank_end;
    }
    Err(FindError::NoMatch {
        request: request.clone(),
        found: candidates,
        skipped,
    })
}

/// The interpreters of `wharf python list`: those that probe OK (with their probe), and the
/// broken ones with their error (shown by `--all`).
#[derive(Debug, Default)]
pub struct PythonList {
    /// Interpreters that answered the probe, in discovery order; `version` is the probe's.
    pub working: Vec<(Installation, InterpreterInfo)>,
    /// Interpreters whose probe failed (a shim, a hang, a broken install), in discovery order.
    pub broken: Vec<(Installation, ProbeError)>,
}

/// Discovers every interpreter ([`discover`]) and probes each (cached, in parallel).
pub fn list(env: &PythonEnv) -> PythonList {
    list_with(env, |executable| crate::probe::probe(executable, env))
}

/// [`list`], with the probe supplied by the caller.
pub fn list_with(
    env: &PythonEnv,
    probe: impl Fn(&Path) -> Result<InterpreterInfo, ProbeError> + Sync,
) -> PythonList {
    let found = discover(env);
    let probe = &probe;
    let results: Vec<Result<InterpreterInfo, ProbeError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = found
            .iter()
            .map(|installation| scope.spawn(move || probe(&installation.executable)))
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("a probe thread panicked"))
            .collect()
    });
    let mut list = PythonList::default();
    for (mut installation, result) in found.into_iter().zip(results) {
        match result {
            Ok(info) => {
                installation.version = info.python_version();
                list.working.push((installation, info));
            }
            Err(error) => list.broken.push((installation, error)),
        }
    }
    list
}

/// `$EBROOTPYTHON/bin/python3`, with the version its directory name tells.
fn loaded_module(env: &PythonEnv) -> Option<(PathBuf, Option<PartialVersion>)> {
    let root = env.ebrootpython.as_ref()?;
    let executable = root.join("bin").join("python3");
    if !is_executable(&executable) {
        return None;
    }
    let version = root
        .file_name()
        .and_then(|name| name.to_str())
        .and_then(|name| name.parse().ok());
    Some((executable, version))
}

/// The base interpreter of a venv, from its `pyvenv.cfg` (`executable`, else `python3.X`,
/// `python3` or `python` in `home`), else the venv's own `bin/python`.
fn venv_base(venv: &Path) -> Option<(PathBuf, Option<PartialVersion>)> {
    let cfg = PyvenvCfg::read_venv(venv).ok();
    let version = cfg.as_ref().and_then(PyvenvCfg::python_version);
    if let Some(cfg) = &cfg {
        let mut names = Vec::new();
        if let Some(minor) = version.and_then(|version| version.major_minor()) {
            names.push(format!("python{minor}"));
        }
        names.extend(["python3".to_owned(), "python".to_owned()]);
        let in_home = cfg
            .home
            .iter()
            .flat_map(|home| names.iter().map(move |name| home.join(name)));
        if let Some(executable) = cfg
            .executable
            .iter()
            .cloned()
            .chain(in_home)
            .find(|path| is_executable(path))
        {
            return Some((executable, version));
        }
    }
    let own = venv.join("bin").join("python");
    is_executable(&own).then_some((own, version))
}

/// The executables of the module trees, through the shared scanner.
fn module_trees(env: &PythonEnv, found: &mut Found) {
    let globs = env.module_tree_globs();
    for python in wharf_site::scan_module_trees(globs.iter().map(String::as_str)) {
        let executable = python.executable();
        if is_executable(&executable) {
            let version = PartialVersion {
                major: python.version.major,
                minor: Some(python.version.minor),
                patch: python.patch,
            };
            found.push(executable, Some(version), Source::ModuleTree);
        }
    }
}

/// The directories of `PATH`; an empty entry means the current directory, not a place to find
/// interpreters.
fn path_dirs(path: &std::ffi::OsStr) -> impl Iterator<Item = PathBuf> {
    std::env::split_paths(path).filter(|dir| !dir.as_os_str().is_empty())
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
    fn push(&mut self, executable: PathBuf, version: Option<PartialVersion>, source: Source) {
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

/// The version a venv's `pyvenv.cfg` tells.
fn pyvenv_version(venv: &Path) -> Option<PartialVersion> {
    PyvenvCfg::read_venv(venv).ok()?.python_version()
}

/// The `python3.X` (newest first) and then `python3` executables in one `PATH` directory.
fn path_dir(dir: &Path) -> Vec<(PathBuf, PartialVersion)> {
    let Ok(entries) = fs_err::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<(PathBuf, PartialVersion)> = entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name();
            let version = name.to_str()?.strip_prefix("python")?;
            let version: PartialVersion = version.parse().ok()?;
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

    /// [`super::find_with`] with an `Option` probe (`None`: the interpreter failed to run),
    /// returning the installation only.
    fn find_with(
        request: &PythonRequest,
        env: &PythonEnv,
        mut probe: impl FnMut(&Path) -> Option<PartialVersion>,
    ) -> Result<Installation, FindError> {
        super::find_with(request, env, |path| {
            probe(path).ok_or_else(|| "failed".to_owned())
        })
        .map(|found| found.installation)
    }

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
        // Every candidate runs; those without a version in their name answer 3.99 (no match).
        let no_probe = |_: &Path| Some(PartialVersion::new(3, 99, 0));
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
        let found = find_with(&request, &env, |_| Some(PartialVersion::new(3, 99, 0))).unwrap();
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
                Some(PartialVersion::new(3, 11, 2))
            } else {
                Some(PartialVersion::new(3, 12, 4))
            }
        })
        .unwrap();
        assert_eq!(found.executable, site.path("usr/bin/python3.11"));
        assert_eq!(found.version, Some(PartialVersion::new(3, 11, 2)));
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
        assert_eq!(found.version, Some(PartialVersion::new(3, 12, 4)));
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
            Some(PartialVersion {
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
            PythonRequest::Version(PartialVersion {
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
    fn default_order_skips_what_does_not_run() {
        let site = Site::new();
        let env = site.env();
        let order = site.describe(&default_candidates(&env));
        // Loaded module, the venv (its cfg's `home` does not exist: its own python), python3
        // on PATH, then python3.X on PATH, then the module trees.
        insta::assert_snapshot!(order, @"
        loaded module 3.11.4 2023/Core/python/3.11.4/bin/python3
        venv 3.12.4 env/bin/python
        PATH 3 usr/bin/python3
        PATH 3.13 usr/bin/python3.13
        module 3.8.10 2020/Core/python/3.8.10/bin/python3.8
        module 3.12.4 2023/Core/python/3.12.4/bin/python3.12
        module 3.11.5 2023/Core/python/3.11.5/bin/python3.11
        module 3.10.13 2023/Core/python/3.10.13/bin/python3.10
        ");
        let broken = [
            "2023/Core/python/3.11.4/bin/python3",
            "env/bin/python",
            "usr/bin/python3",
        ];
        let found = super::find_with(&PythonRequest::Any, &env, |path| {
            if broken.iter().any(|broken| path == site.path(broken)) {
                Err("exit status: 127".to_owned())
            } else {
                Ok(PartialVersion::new(3, 13, 1))
            }
        })
        .unwrap();
        assert_eq!(
            found.installation.executable,
            site.path("usr/bin/python3.13")
        );
        assert_eq!(
            found.installation.version,
            Some(PartialVersion::new(3, 13, 1))
        );
        let skipped: Vec<PathBuf> = found.skipped.iter().map(|s| s.executable.clone()).collect();
        assert_eq!(
            skipped,
            broken.iter().map(|b| site.path(b)).collect::<Vec<_>>()
        );
        assert_eq!(found.skipped[1].source, Source::ActiveVenv);
    }

    #[test]
    fn default_prefers_the_venv_base_from_pyvenv_cfg() {
        let site = Site::new();
        let base = site.path("2023/Core/python/3.12.4/bin");
        fs_err::write(
            site.path("env/pyvenv.cfg"),
            format!("home = {}\nversion = 3.12.4\n", base.display()),
        )
        .unwrap();
        let env = PythonEnv {
            ebrootpython: None,
            ..site.env()
        };
        let found = super::find_with(&PythonRequest::Any, &env, |_| {
            Ok(PartialVersion::new(3, 12, 4))
        })
        .unwrap();
        assert_eq!(found.installation.executable, base.join("python3.12"));
        assert_eq!(found.installation.source, Source::ActiveVenv);
    }

    /// An executable shell script.
    fn script(path: &Path, text: &str) {
        fs_err::create_dir_all(path.parent().unwrap()).unwrap();
        fs_err::write(path, text).unwrap();
        fs_err::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[test]
    fn default_skips_a_pyenv_shim_and_a_hanging_interpreter() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        let answer = r.join("answer.json");
        fs_err::write(
            &answer,
            include_str!("fixtures/probe-cpython-3.11-venv-manylinux-refused.json"),
        )
        .unwrap();
        script(
            &r.join("shims/python3"),
            "#!/bin/sh\necho 'pyenv: python3.13: command not found' >&2\nexit 127\n",
        );
        script(&r.join("hang/python3"), "#!/bin/sh\n/bin/sleep 60\n");
        script(
            &r.join("good/python3.11"),
            &format!("#!/bin/sh\n/bin/cat '{}'\n", answer.display()),
        );
        let env = PythonEnv {
            path: Some(
                std::env::join_paths([r.join("shims"), r.join("hang"), r.join("good")]).unwrap(),
            ),
            python_dirs: Some(String::new()),
            no_cache: true,
            probe_timeout: Some(std::time::Duration::from_millis(300)),
            ..PythonEnv::default()
        };
        let found = find_reporting(&PythonRequest::Any, &env).unwrap();
        assert_eq!(found.installation.executable, r.join("good/python3.11"));
        let skipped: Vec<String> = found
            .skipped
            .iter()
            .map(|s| s.to_string().replace(&r.display().to_string(), "[TEMP]"))
            .collect();
        insta::assert_snapshot!(skipped.join("\n"), @"
        [TEMP]/shims/python3 (PATH): `[TEMP]/shims/python3` failed while probing it (exit status: 127): pyenv: python3.13: command not found
        [TEMP]/hang/python3 (PATH): `[TEMP]/hang/python3` did not answer the probe within 0.3 s and was killed
        ");
        // Nothing works: the error says what was skipped.
        let env = PythonEnv {
            path: Some(std::env::join_paths([r.join("shims")]).unwrap()),
            ..env
        };
        let error = find_reporting(&PythonRequest::Any, &env).unwrap_err();
        let message = error
            .to_string()
            .replace(&r.display().to_string(), "[TEMP]");
        insta::assert_snapshot!(message, @"no interpreter matches `python`; found 3 (PATH); skipped (failed to run): [TEMP]/shims/python3 (PATH)");
    }

    /// Regression: a version request (`python3`, `3`) picked the newest name on `PATH`, a
    /// pyenv shim `python3.13` with no interpreter behind it, without running it.
    #[test]
    fn version_request_skips_a_newer_shim_that_does_not_run() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        let answer = r.join("answer.json");
        fs_err::write(
            &answer,
            include_str!("fixtures/probe-cpython-3.11-venv-manylinux-refused.json"),
        )
        .unwrap();
        script(
            &r.join("bin/python3.13"),
            "#!/bin/sh\necho 'pyenv: python3.13: command not found' >&2\nexit 127\n",
        );
        script(
            &r.join("bin/python3.11"),
            &format!("#!/bin/sh\n/bin/cat '{}'\n", answer.display()),
        );
        let env = PythonEnv {
            path: Some(std::env::join_paths([r.join("bin")]).unwrap()),
            python_dirs: Some(String::new()),
            no_cache: true,
            ..PythonEnv::default()
        };
        let found = find_reporting(&PythonRequest::parse("python3").unwrap(), &env).unwrap();
        assert_eq!(found.installation.executable, r.join("bin/python3.11"));
        assert_eq!(found.skipped.len(), 1);
        assert_eq!(found.skipped[0].executable, r.join("bin/python3.13"));
    }

    #[test]
    fn list_separates_working_from_broken() {
        let site = Site::new();
        let env = site.env();
        let list = list_with(&env, |path| {
            if path == site.path("usr/bin/python3.13") {
                Err(ProbeError::Timeout {
                    executable: path.to_owned(),
                    timeout: std::time::Duration::from_secs(10),
                })
            } else {
                Ok(InterpreterInfo::from_json(include_bytes!(
                    "fixtures/probe-cpython-3.11-venv-manylinux-refused.json"
                ))
                .unwrap())
            }
        });
        assert_eq!(list.working.len(), 7);
        assert!(
            list.working
                .iter()
                .all(|(found, _)| found.version == Some(PartialVersion::new(3, 11, 7)))
        );
        assert_eq!(list.broken.len(), 1);
        assert_eq!(list.broken[0].0.executable, site.path("usr/bin/python3.13"));
    }

    #[test]
    fn pin_then_default() {
        let site = Site::new();
        let env = PythonEnv {
            virtual_env: None,
            ..site.env()
        };
        let project = site.path("project/src");
        fs_err::create_dir_all(&project).unwrap();
        let probe = |_: &Path| Ok(PartialVersion::new(3, 11, 4));
        // No pin: the default (the loaded module).
        let found = find_python_with(None, &project, &env, probe).unwrap();
        assert_eq!(found.installation.source, Source::LoadedModule);
        assert_eq!(found.pin, None);
        // A pin a module provides.
        let pin = crate::pin::write_pin(
            &site.path("project"),
            &PythonRequest::parse("3.10").unwrap(),
        )
        .unwrap();
        let found = find_python_with(None, &project, &env, probe).unwrap();
        assert_eq!(
            found.installation.executable,
            site.path("2023/Core/python/3.10.13/bin/python3.10")
        );
        assert_eq!(found.pin, Some(pin.clone()));
        // An explicit request wins over the pin.
        let explicit = PythonRequest::parse("3.12").unwrap();
        let found = find_python_with(Some(&explicit), &project, &env, probe).unwrap();
        assert_eq!(
            found.installation.version,
            Some(PartialVersion::new(3, 12, 4))
        );
        assert_eq!(found.pin, None);
    }

    #[test]
    fn err_pin_no_module_provides() {
        let site = Site::new();
        let env = PythonEnv {
            virtual_env: None,
            ..site.env()
        };
        let probe = |path: &Path| {
            Ok(if path.ends_with("python3.13") {
                PartialVersion::new(3, 13, 0)
            } else {
                PartialVersion::new(3, 12, 4)
            })
        };
        // 3.13 is on PATH only: not silently used on a module site.
        crate::pin::write_pin(site.root.path(), &PythonRequest::parse("3.13").unwrap()).unwrap();
        let error = find_python_with(None, site.root.path(), &env, probe).unwrap_err();
        let r = site.root.path().display().to_string();
        insta::assert_snapshot!(error.to_string().replace(&r, "[TEMP]"), @"`[TEMP]/.python-version` pins Python `3.13`, which no python module provides (modules: 3.8, 3.10, 3.11, 3.12)");
        insta::assert_snapshot!(error.hint().unwrap().replace(&r, "[TEMP]"), @"`module load python/3.12` (the closest available), and pin it: `echo 3.12 > [TEMP]/.python-version`");
        // Nothing at all provides 3.9: the closest module is named.
        crate::pin::write_pin(site.root.path(), &PythonRequest::parse("3.9").unwrap()).unwrap();
        let error = find_python_with(None, site.root.path(), &env, probe).unwrap_err();
        assert!(
            error
                .hint()
                .unwrap()
                .starts_with("`module load python/3.10`")
        );
        // Without modules, a pin may be met from PATH.
        let env = PythonEnv {
            ebrootpython: None,
            python_dirs: Some(String::new()),
            ..env
        };
        crate::pin::write_pin(site.root.path(), &PythonRequest::parse("3.13").unwrap()).unwrap();
        let found = find_python_with(None, site.root.path(), &env, probe).unwrap();
        assert_eq!(
            found.installation.executable,
            site.path("usr/bin/python3.13")
        );
    }
}
