//! `wharf doctor` outside any virtual environment: the shell a user runs `python3` in.
//!
//! A user of the module's Python (`module load python/3.11`, then `python3 script.py`, or a
//! job script doing the same) has no environment to diagnose, but the shell decides what
//! `python3` imports: which interpreter is first on `PATH`, what `PYTHONPATH` puts before its
//! own packages, and what `pip install --user` left in `~/.local`, which Python adds to
//! `sys.path` of every run outside a virtual environment. The interpreter is the one the
//! user gets by typing `python3` (else `python`): the first on `PATH`. Checks, in order (the
//! `check` names of [`Finding`]):
//!
//! | check | rule |
//! | --- | --- |
//! | `interpreter-fails` | `python3` on `PATH` does not run (the probe's error and hint) |
//! | `python-module` | a Python module is loaded (`EBROOTPYTHON`, `LOADEDMODULES`) but `python3` is not its interpreter; or none is loaded on a site with modules, and `python3` is the system's or taken from a module tree by hand (`PYTHON_DIRS`) |
//! | `pythonpath-by-hand` | a `PYTHONPATH` entry is relative, missing or under `$HOME`, or, with Lmod (`_LMFILES_`), named by no loaded modulefile |
//! | `pythonpath-shadows` | a module's `PYTHONPATH` entry provides a top-level import name that a later entry, or the user site, also provides (first on `sys.path` wins) |
//! | `user-site-packages` | the user site (`$PYTHONUSERBASE` or `~/.local`, `lib/pythonX.Y/site-packages`) holds distributions and `PYTHONNOUSERSITE` is unset |
//! | `numpy-abi` | the numpy `import numpy` loads is 2.x and a package on `PYTHONPATH` or in the user site was compiled against numpy 1.x |
//!
//! Off-site (no module loaded, no `LOADEDMODULES`, no module tree in `PYTHON_DIRS`) a
//! `python3` from anywhere is fine: that fact is a note, not a finding.
//!
//! Traps: a modulefile rarely names a `PYTHONPATH` entry literally (EasyBuild writes
//! `pathJoin(root, "lib/python3.11/site-packages")` under `local root = "/cvmfs/…"`), so an
//! entry counts as a module's when a loaded modulefile names it or a directory above it; a
//! module tree's `bin/python3` is a symlink, so "from the module tree" is decided on the
//! path as found and on the path it resolves to.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use serde::Serialize;
use wharf_env::{Env, EnvVars};
use wharf_install::{InstalledDist, SitePackages};
use wharf_python::{InterpreterInfo, ProbeError, PythonEnv};
use wharf_site::{ModulePython, PythonVersion};
use wharf_wheel_filename::Tags;

use crate::doctor::{
    by_hand_reason, first_on_path, install_offered, normalize, pythonpath_without, resolved,
    same_path, shadowed_names, top_level_owners, user_site_dir,
};
use crate::numpy_abi::{self, NumpyAbiRemedy};
use crate::wheelhouse::{Offered, Wheelhouse};
use crate::{Finding, shell_quote};

/// How much of one modulefile is read to find the directories it names: 1 MiB.
pub const MODULEFILE_CAP: u64 = 1024 * 1024;

/// What [`doctor_shell`] looks at.
#[derive(Debug, Clone)]
pub struct ShellInput<'a> {
    /// The shell's variables (`PATH`, `PYTHONPATH`, `HOME`, `PYTHONUSERBASE`,
    /// `PYTHONNOUSERSITE`, `EBROOTPYTHON`, `EBVERSIONPYTHON`, `LOADEDMODULES`, `_LMFILES_`).
    pub env: &'a Env,
    /// The interpreter probe's view of the same variables (and `PYTHON_DIRS`).
    pub python_env: &'a PythonEnv,
    /// The wheelhouse `wharf install` reads, which install fixes are checked against;
    /// `None`: not known, fixes name no version.
    pub wheelhouse: Option<&'a Wheelhouse>,
}

/// The interpreter the shell runs for `python3`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShellInterpreter {
    /// The command typed. Ex) `python3`
    pub command: &'static str,
    /// The first such executable on `PATH`. Ex) `/cvmfs/…/python/3.11.5/bin/python3`
    pub path: PathBuf,
    /// The file it resolves to (symlinks followed). Ex) `/cvmfs/…/bin/python3.11`
    pub resolved: PathBuf,
}

/// The diagnosis of the shell.
#[derive(Debug, Clone, Serialize)]
pub struct ShellReport {
    /// Always `shell` (a venv's report names its environment instead).
    pub scope: &'static str,
    /// The interpreter checked.
    pub interpreter: ShellInterpreter,
    /// Its version, when it runs. Ex) `3.11.5`
    pub python: Option<String>,
    /// The problems, in the order of the checks.
    pub findings: Vec<Finding>,
    /// Facts that are not problems (no module system here, a user site hidden by
    /// `PYTHONNOUSERSITE`).
    pub notes: Vec<String>,
    /// What was checked, by check name.
    pub checked: Vec<&'static str>,
    /// Distributions importable from `PYTHONPATH` and the user site.
    pub distributions: usize,
}

impl ShellReport {
    /// Whether nothing is wrong.
    pub fn is_healthy(&self) -> bool {
        self.findings.is_empty()
    }
}

/// Why the shell cannot be diagnosed.
#[derive(Debug, thiserror::Error)]
pub enum ShellError {
    /// Neither `python3` nor `python` is on `PATH`.
    #[error(
        "no `python3` or `python` on PATH, and no virtual environment (`--python`, VIRTUAL_ENV, ./.venv) to diagnose"
    )]
    NoInterpreter {
        /// The Python versions of the module trees, for the hint.
        modules: Vec<PythonVersion>,
    },
}

impl ShellError {
    /// The fix, one line.
    pub fn hint(&self) -> String {
        match self {
            Self::NoInterpreter { modules } if !modules.is_empty() => {
                let newest = modules.iter().max().map(ToString::to_string).unwrap_or_default();
                let list: Vec<String> = modules.iter().map(ToString::to_string).collect();
                format!(
                    "load a Python module, which puts `python3` on PATH: `module load python/{newest}` (the module trees have {}); or pass `--python ENV` to diagnose an environment",
                    list.join(", ")
                )
            }
            Self::NoInterpreter { .. } => "put a Python 3 on PATH (`wharf python list` shows the interpreters wharf finds), or pass `--python ENV` to diagnose an environment".to_string(),
        }
    }
}

/// Diagnoses the shell of `input`: `python3` (else `python`) on `PATH` and the variables
/// around it.
///
/// Errors: [`ShellError::NoInterpreter`] when neither is on `PATH`.
pub fn doctor_shell(input: &ShellInput<'_>) -> Result<ShellReport, ShellError> {
    let path = input.env.get_os(EnvVars::PATH).unwrap_or_default();
    let Some((command, found)) = ["python3", "python"]
        .into_iter()
        .find_map(|name| first_on_path(path, name).map(|p| (name, p)))
    else {
        let mut modules: Vec<PythonVersion> = module_trees(input.python_env)
            .iter()
            .map(|m| m.version)
            .collect();
        modules.sort();
        modules.dedup();
        return Err(ShellError::NoInterpreter { modules });
    };
    let interpreter = ShellInterpreter {
        command,
        resolved: std::fs::canonicalize(&found).unwrap_or_else(|_| found.clone()),
        path: found,
    };
    let probe = wharf_python::probe(&interpreter.path, input.python_env);
    Ok(diagnose_shell(input, interpreter, probe))
}

/// The module trees of `PYTHON_DIRS` (else the site's defaults).
fn module_trees(python_env: &PythonEnv) -> Vec<ModulePython> {
    wharf_site::scan_module_trees(python_env.module_tree_globs().iter().map(String::as_str))
}

/// The checks of [`doctor_shell`] on `interpreter`, found on `PATH`, and its `probe` (what
/// running it answered, or why it did not run).
pub fn diagnose_shell(
    input: &ShellInput<'_>,
    interpreter: ShellInterpreter,
    probe: Result<InterpreterInfo, ProbeError>,
) -> ShellReport {
    let mut shell = Shell {
        input,
        module_trees: module_trees(input.python_env),
        info: None,
        report: ShellReport {
            scope: "shell",
            interpreter,
            python: None,
            findings: Vec::new(),
            notes: Vec::new(),
            checked: Vec::new(),
            distributions: 0,
        },
    };
    shell.run(probe);
    shell.report
}

/// One directory on `sys.path` and the distributions it holds.
struct SysPathDir {
    path: PathBuf,
    /// What it is, for evidence. Ex) `PYTHONPATH`, `the user site`
    kind: DirKind,
    dists: Vec<InstalledDist>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DirKind {
    PythonPath,
    UserSite,
    Interpreter,
}

struct Shell<'a> {
    input: &'a ShellInput<'a>,
    module_trees: Vec<ModulePython>,
    info: Option<InterpreterInfo>,
    report: ShellReport,
}

impl Shell<'_> {
    fn env(&self) -> &Env {
        self.input.env
    }

    fn push(&mut self, finding: Finding) {
        self.report.findings.push(finding);
    }

    fn checked(&mut self, check: &'static str) {
        if !self.report.checked.contains(&check) {
            self.report.checked.push(check);
        }
    }

    /// `python3.11`, the command that runs this interpreter's version (`python3` before the
    /// version is known).
    fn python_command(&self) -> String {
        self.info.as_ref().map_or_else(
            || self.report.interpreter.command.to_string(),
            |info| {
                let (major, minor) = info.major_minor();
                format!("python{major}.{minor}")
            },
        )
    }

    /// `Python 3.11`, or `this Python`.
    fn python_label(&self) -> String {
        self.info.as_ref().map_or_else(
            || "this Python".to_string(),
            |info| {
                let (major, minor) = info.major_minor();
                format!("Python {major}.{minor}")
            },
        )
    }

    fn tags(&self) -> Option<Tags> {
        self.info.as_ref().map(|info| info.tags(false).0)
    }

    fn offered(&self, project: &str, tags: Option<&Tags>) -> Option<Vec<Offered>> {
        Some(self.input.wheelhouse?.offered(project, tags?))
    }

    fn unconfigured_note(&self) -> &'static str {
        self.input
            .wheelhouse
            .map_or("", Wheelhouse::unconfigured_note)
    }

    fn run(&mut self, probe: Result<InterpreterInfo, ProbeError>) {
        self.checked("interpreter-fails");
        let python = self.report.interpreter.path.clone();
        match probe {
            Ok(info) => {
                self.report.python = Some(info.version().to_string());
                self.info = Some(info);
            }
            Err(error) => {
                let mut finding = Finding::new(
                    "interpreter-fails",
                    format!(
                        "`{}` on PATH does not run",
                        self.report.interpreter.command
                    ),
                    "the interpreter, or a library or setting it needs at startup, is broken or missing",
                )
                .evidence(wharf_fs::error_chain(&error))
                .evidence(format!("`{}` on PATH: {}", self.report.interpreter.command, resolved(&python)));
                let hint = match &error {
                    ProbeError::Failed { .. } => error.hint(),
                    _ => None,
                };
                finding = finding.fix(hint.unwrap_or_else(|| {
                    format!(
                        "put a working Python first on PATH (`module load python/…`; `wharf python list` shows the interpreters wharf finds), or take `{}` out of PATH",
                        python.parent().unwrap_or(&python).display()
                    )
                }));
                self.push(finding);
            }
        }
        self.module_check();
        let dirs = self.sys_path_dirs();
        self.report.distributions = dirs
            .iter()
            .filter(|d| d.kind != DirKind::Interpreter)
            .map(|d| d.dists.len())
            .sum();
        let by_hand = self.pythonpath_by_hand(&dirs);
        self.pythonpath_shadows(&dirs, &by_hand);
        self.user_site_check(&dirs);
        self.numpy_check(&dirs);
    }

    /// The loaded Python module, from `LOADEDMODULES` (`python/3.11.5`), else
    /// `EBVERSIONPYTHON`. Ex) `3.11.5`
    fn loaded_python_module(&self) -> Option<String> {
        self.env()
            .get(EnvVars::LOADEDMODULES)
            .and_then(|loaded| {
                loaded.split(':').find_map(|module| {
                    let (name, version) = module.split_once('/')?;
                    name.eq_ignore_ascii_case("python")
                        .then(|| version.to_string())
                })
            })
            .or_else(|| self.env().get(EnvVars::EBVERSIONPYTHON))
    }

    fn module_check(&mut self) {
        self.checked("python-module");
        let interpreter = self.report.interpreter.clone();
        let command = interpreter.command;
        let on_path = format!("`{command}` on PATH: {}", resolved(&interpreter.path));
        let loaded = self.loaded_python_module();
        let root = self.env().path(EnvVars::EBROOTPYTHON);
        let under = |prefix: &Path| {
            interpreter.path.starts_with(prefix)
                || std::fs::canonicalize(prefix)
                    .is_ok_and(|prefix| interpreter.resolved.starts_with(prefix))
        };
        let from_tree = self.module_trees.iter().find(|m| under(&m.prefix)).cloned();
        let module_system = !self.module_trees.is_empty()
            || self.env().is_set(EnvVars::LOADEDMODULES)
            || root.is_some();
        if let Some(root) = &root {
            if under(root) {
                return;
            }
            let module = loaded.clone().unwrap_or_else(|| "python".to_string());
            let bin = interpreter
                .path
                .parent()
                .map(|d| d.display().to_string())
                .unwrap_or_default();
            self.push(
                Finding::new(
                    "python-module",
                    format!("`{command}` on PATH is not the loaded module's Python (python/{module})"),
                    "PATH was changed after `module load` (a conda or pyenv setup in ~/.bashrc, a directory put first by hand): `python3` is another interpreter, with other packages and another ABI than the module's",
                )
                .evidence(on_path)
                .evidence(format!("EBROOTPYTHON={}", root.display()))
                .fix(format!(
                    "`module load python/{module}` again (it puts the module's `bin` first), or take `{bin}` out of PATH"
                )),
            );
            return;
        }
        if loaded.is_some() {
            return;
        }
        if let Some(tree) = from_tree {
            let name = tree.prefix.file_name().map_or_else(
                || tree.version.to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            self.push(
                Finding::new(
                    "python-module",
                    format!(
                        "`{command}` is the module tree's Python {name}, but no Python module is loaded"
                    ),
                    "PATH points into the module tree by hand: the module's own settings (its PYTHONPATH, with the site's `_manylinux.py`, its libraries) are missing, so pip and wharf do not see the site as the module's Python does",
                )
                .evidence(on_path)
                .evidence("LOADEDMODULES names no python module, EBROOTPYTHON is unset")
                .fix(format!("`module load python/{name}`")),
            );
            return;
        }
        if !module_system {
            self.report.notes.push(format!(
                "no module system here (no module loaded, no Python module tree in PYTHON_DIRS): `{command}` is {}",
                resolved(&interpreter.path)
            ));
            return;
        }
        let mut versions: Vec<PythonVersion> =
            self.module_trees.iter().map(|m| m.version).collect();
        versions.sort();
        versions.dedup();
        let ours = self.info.as_ref().map(|info| {
            let (major, minor) = info.major_minor();
            PythonVersion {
                major: u8::try_from(major).unwrap_or(3),
                minor: u8::try_from(minor).unwrap_or(0),
            }
        });
        let module = ours
            .filter(|v| versions.contains(v))
            .or_else(|| versions.last().copied());
        let version = self
            .report
            .python
            .as_deref()
            .map(|v| format!(" {v}"))
            .unwrap_or_default();
        let mut finding = Finding::new(
            "python-module",
            format!("no Python module is loaded: `{command}` is the system's Python{version}"),
            "the operating system's Python is not the one the site's wheels are built for, and it lacks the module's settings (its PYTHONPATH, with the site's `_manylinux.py`)",
        )
        .evidence(on_path);
        if let Some(loaded) = self.env().get(EnvVars::LOADEDMODULES) {
            finding = finding.evidence(format!("LOADEDMODULES={loaded}"));
        }
        let fix = match module {
            Some(module) => format!("`module load python/{module}`"),
            None => "load a Python module (`module spider python` lists them)".to_string(),
        };
        self.push(finding.fix(fix));
    }

    /// The directories of `sys.path` that hold distributions, in `sys.path` order: the
    /// `PYTHONPATH` entries, the user site (when Python adds it), the interpreter's own.
    fn sys_path_dirs(&self) -> Vec<SysPathDir> {
        let mut dirs: Vec<(PathBuf, DirKind)> = self
            .env()
            .get_os(EnvVars::PYTHONPATH)
            .map(|p| {
                std::env::split_paths(p)
                    .filter(|e| !e.as_os_str().is_empty())
                    .map(|e| (e, DirKind::PythonPath))
                    .collect()
            })
            .unwrap_or_default();
        if let Some(info) = &self.info {
            if !self.env().is_set(EnvVars::PYTHONNOUSERSITE)
                && let Some(user) = user_site_dir(self.env(), info.major_minor())
            {
                dirs.push((user, DirKind::UserSite));
            }
            for entry in &info.sys_path {
                let own = entry.starts_with(&info.prefix) || entry.starts_with(&info.base_prefix);
                if own && !dirs.iter().any(|(d, _)| same_path(d, entry)) {
                    dirs.push((entry.clone(), DirKind::Interpreter));
                }
            }
        }
        dirs.into_iter()
            .map(|(path, kind)| SysPathDir {
                dists: SitePackages::scan([&path])
                    .map(|s| s.dists)
                    .unwrap_or_default(),
                path,
                kind,
            })
            .collect()
    }

    /// The directories named by the loaded modulefiles (`_LMFILES_`), when Lmod is in use.
    fn modulefile_dirs(&self) -> Option<Vec<PathBuf>> {
        let files = self.env().get_os(EnvVars::LMFILES)?;
        let mut named = Vec::new();
        for file in std::env::split_paths(files) {
            if let Ok(text) = wharf_fs::read_capped(&file, MODULEFILE_CAP) {
                named.extend(named_directories(&String::from_utf8_lossy(&text)));
            }
        }
        Some(named)
    }

    /// Reports `PYTHONPATH` entries set by hand; returns them.
    fn pythonpath_by_hand(&mut self, dirs: &[SysPathDir]) -> Vec<PathBuf> {
        self.checked("pythonpath-by-hand");
        let Some(pythonpath) = self
            .env()
            .get_os(EnvVars::PYTHONPATH)
            .map(OsStr::to_os_string)
        else {
            return Vec::new();
        };
        let entries: Vec<PathBuf> = std::env::split_paths(&pythonpath).collect();
        let home = self.env().path(EnvVars::HOME);
        let modulefiles = self.modulefile_dirs();
        let mut by_hand = Vec::new();
        for (index, entry) in entries.iter().enumerate() {
            let reason = by_hand_reason(entry, home.as_deref()).or_else(|| {
                let named = modulefiles.as_ref()?;
                (!named.iter().any(|dir| entry.starts_with(dir)))
                    .then_some("no loaded module sets it (no modulefile in `_LMFILES_` names it or a directory above it)")
            });
            let Some(reason) = reason else { continue };
            by_hand.push(entry.clone());
            let mut finding = Finding::new(
                "pythonpath-by-hand",
                format!("PYTHONPATH contains `{}`, set by hand", entry.display()),
                format!(
                    "{reason}; PYTHONPATH comes first on `sys.path` of every Python run (and of every virtual environment), so what it holds is imported instead of the interpreter's, the user site's and any environment's packages"
                ),
            )
            .evidence(format!("PYTHONPATH={}", pythonpath.to_string_lossy()));
            let later = dirs.iter().filter(|d| {
                !(d.kind == DirKind::PythonPath && entries[..=index].contains(&d.path))
            });
            for (name, (dist, version, dir)) in shadowed_by(entry, later).iter().take(5) {
                finding = finding.evidence(format!(
                    "`import {name}` loads {} instead of {dist} {version} in {}",
                    entry.join(name).display(),
                    dir.display()
                ));
            }
            self.push(finding.fix(format!("`{}`", pythonpath_without(&entries, entry))));
        }
        by_hand
    }

    /// Reports a module's `PYTHONPATH` entry that shadows a later entry's or the user site's
    /// packages.
    fn pythonpath_shadows(&mut self, dirs: &[SysPathDir], by_hand: &[PathBuf]) {
        self.checked("pythonpath-shadows");
        let command = self.python_command();
        for (index, dir) in dirs.iter().enumerate() {
            if dir.kind != DirKind::PythonPath || by_hand.contains(&dir.path) {
                continue;
            }
            let later = dirs[index + 1..]
                .iter()
                .filter(|d| d.kind != DirKind::Interpreter && d.path != dir.path);
            // A name an earlier entry provides is not imported from this one either.
            let earlier = provided_names(dirs[..index].iter());
            let shadowed: Vec<_> = shadowed_by(&dir.path, later)
                .into_iter()
                .filter(|(name, _)| !earlier.contains(name))
                .collect();
            if shadowed.is_empty() {
                continue;
            }
            let mut finding = Finding::new(
                "pythonpath-shadows",
                format!(
                    "PYTHONPATH entry `{}` shadows packages found after it on sys.path",
                    dir.path.display()
                ),
                "a module puts its packages on PYTHONPATH, which comes first on `sys.path`: `import` loads its copy, and the later one (another module's, or a `--user` install) is never used, whatever its version",
            );
            let mut user_names: Vec<String> = Vec::new();
            let mut other_modules: Vec<PathBuf> = Vec::new();
            for (name, (dist, version, later_dir)) in &shadowed {
                let theirs = dir
                    .dists
                    .iter()
                    .find(|d| d.normalized_name() == normalize(dist))
                    .map_or_else(
                        || format!("`{name}`"),
                        |d| format!("{} {}", d.name, d.version),
                    );
                finding = finding.evidence(format!(
                    "`import {name}`: {theirs} from PYTHONPATH wins over {dist} {version} in {}",
                    later_dir.display()
                ));
                let user = dirs
                    .iter()
                    .any(|d| d.kind == DirKind::UserSite && &d.path == later_dir);
                if user {
                    if !user_names.contains(dist) {
                        user_names.push(dist.clone());
                    }
                } else if !other_modules.contains(later_dir) {
                    other_modules.push(later_dir.clone());
                }
            }
            let mut fixes = Vec::new();
            if !other_modules.is_empty() {
                fixes.push(format!(
                    "two loaded modules provide the same packages: `module unload` the one that set `{}` or the one that set {} (`module list`)",
                    dir.path.display(),
                    other_modules
                        .iter()
                        .map(|d| format!("`{}`", d.display()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            if !user_names.is_empty() {
                fixes.push(format!(
                    "the `--user` {} {} never imported while the module is loaded: remove {} (`{command} -m pip uninstall {}` outside any environment, with the module unloaded)",
                    user_names.join(", "),
                    if user_names.len() == 1 { "is" } else { "are" },
                    if user_names.len() == 1 { "it" } else { "them" },
                    user_names.join(" ")
                ));
            }
            self.push(finding.fix(fixes.join("; ")));
        }
    }

    fn user_site_check(&mut self, dirs: &[SysPathDir]) {
        self.checked("user-site-packages");
        let Some(info) = &self.info else { return };
        let Some(user_site) = user_site_dir(self.env(), info.major_minor()) else {
            return;
        };
        if self.env().is_set(EnvVars::PYTHONNOUSERSITE) {
            let count = SitePackages::scan([&user_site]).map_or(0, |s| s.dists.len());
            if count > 0 {
                self.report.notes.push(format!(
                    "{} holds {count} `--user` packages; PYTHONNOUSERSITE is set, so Python does not import them",
                    user_site.display()
                ));
            }
            return;
        }
        let Some(user) = dirs.iter().find(|d| d.kind == DirKind::UserSite) else {
            return;
        };
        if user.dists.is_empty() {
            return;
        }
        let command = self.python_command();
        let mut finding = Finding::new(
            "user-site-packages",
            format!(
                "{} holds {} `--user` packages, on `sys.path` of every `{}` run outside an environment",
                user_site.display(),
                user.dists.len(),
                self.report.interpreter.command
            ),
            "`pip install --user` put them there, and Python adds that directory to `sys.path` of every run outside a virtual environment, before the interpreter's own packages: they leak into scripts, jobs and the modules' packages, whatever those need",
        );
        let interpreter: Vec<&InstalledDist> = dirs
            .iter()
            .filter(|d| d.kind == DirKind::Interpreter)
            .flat_map(|d| &d.dists)
            .collect();
        let pythonpath: Vec<&InstalledDist> = dirs
            .iter()
            .filter(|d| d.kind == DirKind::PythonPath)
            .flat_map(|d| &d.dists)
            .collect();
        for dist in user.dists.iter().take(10) {
            let same = |other: &&&InstalledDist| other.normalized_name() == dist.normalized_name();
            let line = if let Some(first) = pythonpath.iter().find(same) {
                format!(
                    "{} {} is in ~/.local, hidden by PYTHONPATH's {} {}",
                    dist.name, dist.version, first.name, first.version
                )
            } else {
                let over = interpreter
                    .iter()
                    .find(same)
                    .map(|b| format!(", over the interpreter's {} {}", b.name, b.version))
                    .unwrap_or_default();
                format!(
                    "{} {} is imported from ~/.local{over}",
                    dist.name, dist.version
                )
            };
            finding = finding.evidence(line);
        }
        if user.dists.len() > 10 {
            finding = finding.evidence(format!("… and {} more", user.dists.len() - 10));
        }
        let names: Vec<String> = user.dists.iter().map(|d| d.name.clone()).collect();
        let tags = self.tags();
        let (install, missing) = install_offered(
            &names,
            &|name| self.offered(name, tags.as_ref()),
            &|args| format!("wharf venv ~/env && wharf install --python ~/env {args}"),
            &self.python_label(),
            self.unconfigured_note(),
        );
        let user_site_text = shell_quote(&user_site.display().to_string());
        let mut fix = format!(
            "`export PYTHONNOUSERSITE=1` (add it to ~/.bashrc) so that they stop leaking in, or move them aside: `mv {user_site_text} {user_site_text}.off` (or `{command} -m pip uninstall {}`)",
            names.join(" ")
        );
        match (install, missing) {
            (Some(install), None) => {
                fix.push_str(&format!(
                    "; to keep using them, install them into an environment: `{install}`"
                ));
            }
            (Some(install), Some(missing)) => fix.push_str(&format!(
                "; to keep using them, install them into an environment: `{install}` ({missing})"
            )),
            (None, Some(missing)) => fix.push_str(&format!("; {missing}")),
            (None, None) => {}
        }
        self.push(finding.fix(fix));
    }

    fn numpy_check(&mut self, dirs: &[SysPathDir]) {
        self.checked("numpy-abi");
        // The first distribution of each name on sys.path is the one imported.
        let mut seen: Vec<String> = Vec::new();
        let mut importable: Vec<(&InstalledDist, &SysPathDir)> = Vec::new();
        for dir in dirs {
            for dist in &dir.dists {
                let name = dist.normalized_name();
                if !seen.contains(&name) {
                    seen.push(name);
                    importable.push((dist, dir));
                }
            }
        }
        let Some(&(numpy, numpy_dir)) = importable
            .iter()
            .find(|(d, _)| d.normalized_name() == "numpy")
        else {
            return;
        };
        let major = numpy
            .version
            .split('.')
            .next()
            .and_then(|m| m.parse::<u32>().ok());
        if major.is_none_or(|m| m < 2) {
            return;
        }
        let command = self.python_command();
        let tags = self.tags();
        let python = self
            .info
            .as_ref()
            .map(|info| {
                let (major, minor) = info.major_minor();
                format!("{major}.{minor}")
            })
            .unwrap_or_default();
        for &(dist, dir) in &importable {
            if dir.kind == DirKind::Interpreter
                || dist.normalized_name() == "numpy"
                || !numpy_abi::requires_numpy(dist)
            {
                continue;
            }
            let old = numpy_abi::numpy1_extensions(dist);
            if old.is_empty() {
                continue;
            }
            let mut finding = Finding::new(
                "numpy-abi",
                format!(
                    "{} {} ({}) was built against numpy 1.x, but `import numpy` loads numpy {} ({})",
                    dist.name,
                    dist.version,
                    place(dir),
                    numpy.version,
                    place(numpy_dir)
                ),
                "extensions compiled with numpy 1.x headers cannot be imported under numpy 2 (`ImportError: numpy.core.multiarray failed to import`); its metadata does not exclude numpy 2, so pip allowed it",
            );
            for path in old.iter().take(3) {
                finding = finding.evidence(format!(
                    "{}: imports `numpy.core._multiarray_umath` only (numpy 1.x C API)",
                    path.display()
                ));
            }
            let remedy = match (
                self.offered(&dist.name, tags.as_ref()),
                self.offered("numpy", tags.as_ref()),
            ) {
                (Some(package), Some(numpy)) => {
                    let remedy = NumpyAbiRemedy::find(&dist.name, &dist.version, &package, &numpy);
                    for line in remedy.evidence(&python) {
                        finding = finding.evidence(line);
                    }
                    Some(remedy.fix(
                        &python,
                        &|args| format!("wharf venv ~/env && wharf install --python ~/env {args}"),
                        &|args| format!("{command} -m pip uninstall {args}"),
                        self.unconfigured_note(),
                    ))
                }
                _ => None,
            };
            // A numpy after the user site on sys.path (the interpreter's own) is hidden by it.
            let hidden = dirs
                .iter()
                .filter(|d| d.kind == DirKind::Interpreter)
                .flat_map(|d| &d.dists)
                .find(|d| d.normalized_name() == "numpy");
            let first = match (numpy_dir.kind, dir.kind, hidden) {
                (DirKind::UserSite, _, Some(hidden)) => format!(
                    "the `--user` numpy {} hides the interpreter's numpy {}: remove it (`{command} -m pip uninstall numpy`) or `export PYTHONNOUSERSITE=1`",
                    numpy.version, hidden.version
                ),
                (DirKind::UserSite, _, None) => format!(
                    "the `--user` numpy {} does not fit {}: remove it (`{command} -m pip uninstall numpy`) or `export PYTHONNOUSERSITE=1`, and load the module that provides the numpy {} needs (`module spider numpy`)",
                    numpy.version, dist.name, dist.name
                ),
                (_, DirKind::UserSite, _) => format!(
                    "the `--user` {} {} does not fit this numpy: remove it (`{command} -m pip uninstall {}`)",
                    dist.name, dist.version, dist.name
                ),
                _ => format!(
                    "the loaded modules do not fit together: load versions made for each other (`module spider {}`)",
                    dist.name
                ),
            };
            let fix = match remedy {
                Some(remedy) => format!("{first}; in an environment instead: {remedy}"),
                None => first,
            };
            self.push(finding.fix(fix));
        }
    }
}

/// Where a directory of `sys.path` is, for a finding's first line.
fn place(dir: &SysPathDir) -> String {
    match dir.kind {
        DirKind::PythonPath => format!("from PYTHONPATH `{}`", dir.path.display()),
        DirKind::UserSite => "from ~/.local".to_string(),
        DirKind::Interpreter => "the interpreter's own".to_string(),
    }
}

/// The import names `directory` provides that `later` (directories after it on `sys.path`)
/// also provide: one `(name, (dist, version, directory))` per later owner, sorted by name,
/// then in `sys.path` order.
fn shadowed_by<'a>(
    directory: &Path,
    later: impl Iterator<Item = &'a SysPathDir>,
) -> Vec<(String, (String, String, PathBuf))> {
    let mut owners: HashMap<String, Vec<(String, String, PathBuf)>> = HashMap::new();
    for dir in later {
        for (name, (dist, version)) in top_level_owners(&dir.dists) {
            owners
                .entry(name)
                .or_default()
                .push((dist, version, dir.path.clone()));
        }
    }
    let plain: HashMap<String, (String, String)> = owners
        .iter()
        .filter_map(|(name, list)| {
            let (dist, version, _) = list.first()?;
            Some((name.clone(), (dist.clone(), version.clone())))
        })
        .collect();
    shadowed_names(directory, &plain)
        .into_iter()
        .flat_map(|(name, _)| {
            owners
                .get(&name)
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(move |owner| (name.clone(), owner))
        })
        .collect()
}

/// The top-level import names the distributions of `dirs` install (their `RECORD`s).
fn provided_names<'a>(dirs: impl Iterator<Item = &'a SysPathDir>) -> Vec<String> {
    dirs.flat_map(|d| top_level_owners(&d.dists).into_keys())
        .collect()
}

/// The absolute directories a modulefile names (Lua or Tcl): every token that starts with `/`
/// between quotes, spaces, brackets, commas and `=`, with a trailing `/` dropped, and at least
/// two components deep (`/cvmfs` alone would claim every entry under it).
pub fn named_directories(text: &str) -> Vec<PathBuf> {
    text.split(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '"' | '\'' | '(' | ')' | '{' | '}' | '[' | ']' | ',' | '=' | ';'
            )
    })
    .filter(|token| token.starts_with('/'))
    .map(|token| PathBuf::from(token.trim_end_matches('/')))
    .filter(|path| path.components().count() > 2)
    .collect()
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    /// A shell laid out under a temporary directory: `base/` (the interpreter's prefix, with
    /// `bin/python3` and `lib/python3.11/site-packages`), `home/`, `modules/` (directories a
    /// module would put on PYTHONPATH), and the variables given.
    struct Layout {
        dir: tempfile::TempDir,
    }

    impl Layout {
        fn new() -> Self {
            let layout = Self {
                dir: tempfile::tempdir().unwrap(),
            };
            for sub in [
                "base/bin",
                "base/lib/python3.11/site-packages",
                "home",
                "modules",
            ] {
                fs_err::create_dir_all(layout.path(sub)).unwrap();
            }
            let python = layout.path("base/bin/python3");
            fs_err::write(&python, "#!/bin/sh\n").unwrap();
            fs_err::set_permissions(&python, std::fs::Permissions::from_mode(0o755)).unwrap();
            layout
        }

        fn path(&self, sub: &str) -> PathBuf {
            self.dir.path().join(sub)
        }

        /// `PATH`, `HOME`, `PYTHON_DIRS` (an empty module tree), then `vars`.
        fn env(&self, vars: &[(&str, String)]) -> Env {
            let mut pairs: Vec<(String, String)> = vec![
                ("PATH".into(), self.path("base/bin").display().to_string()),
                ("HOME".into(), self.path("home").display().to_string()),
                (
                    "PYTHON_DIRS".into(),
                    self.path("no-modules").display().to_string(),
                ),
            ];
            for (name, value) in vars {
                pairs.retain(|(n, _)| n != name);
                pairs.push(((*name).to_string(), value.clone()));
            }
            Env::from_pairs(pairs)
        }

        /// The probe of `base/bin/python3`: CPython 3.11.7, `sys.path` = PYTHONPATH's entries,
        /// then the base's standard library and site-packages.
        fn info(&self, env: &Env) -> InterpreterInfo {
            let mut info = InterpreterInfo::from_json(include_bytes!(
                "../../wharf-python/src/fixtures/probe-cpython-3.11-venv-manylinux-refused.json"
            ))
            .unwrap();
            let base = self.path("base");
            info.prefix.clone_from(&base);
            info.base_prefix.clone_from(&base);
            info.executable = base.join("bin/python3");
            info.base_executable = base.join("bin/python3");
            info.sys_path = env
                .get_os(EnvVars::PYTHONPATH)
                .map(|p| std::env::split_paths(p).collect())
                .unwrap_or_default();
            info.sys_path.push(base.join("lib/python3.11"));
            info.sys_path
                .push(base.join("lib/python3.11/site-packages"));
            info
        }

        /// The report for `vars`, the interpreter answering the probe.
        fn diagnose(&self, vars: &[(&str, String)]) -> ShellReport {
            self.diagnose_with(vars, None)
        }

        fn diagnose_with(
            &self,
            vars: &[(&str, String)],
            wheelhouse: Option<&Wheelhouse>,
        ) -> ShellReport {
            let env = self.env(vars);
            let python_env = PythonEnv::from_env(&env);
            let input = ShellInput {
                env: &env,
                python_env: &python_env,
                wheelhouse,
            };
            let python = self.path("base/bin/python3");
            let interpreter = ShellInterpreter {
                command: "python3",
                resolved: python.clone(),
                path: python,
            };
            diagnose_shell(&input, interpreter, Ok(self.info(&env)))
        }
    }

    /// Writes an installed distribution into `site`: its files, `METADATA` (with
    /// `Requires-Dist` lines) and a `RECORD` listing them.
    fn install(site: &Path, name: &str, version: &str, requires: &[&str], files: &[(&str, &[u8])]) {
        let info = site.join(format!("{name}-{version}.dist-info"));
        fs_err::create_dir_all(&info).unwrap();
        let mut metadata = format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n");
        for requirement in requires {
            metadata.push_str(&format!("Requires-Dist: {requirement}\n"));
        }
        fs_err::write(info.join("METADATA"), metadata).unwrap();
        let mut record = String::new();
        for (file, bytes) in files {
            let path = site.join(file);
            fs_err::create_dir_all(path.parent().unwrap()).unwrap();
            fs_err::write(&path, bytes).unwrap();
            record.push_str(&format!("{file},,\n"));
        }
        record.push_str(&format!("{name}-{version}.dist-info/METADATA,,\n"));
        fs_err::write(info.join("RECORD"), record).unwrap();
    }

    fn checks(report: &ShellReport) -> Vec<&'static str> {
        report.findings.iter().map(|f| f.check).collect()
    }

    /// No module system, no PYTHONPATH, an empty home: healthy, with a note saying where
    /// `python3` comes from.
    #[test]
    fn healthy_shell() {
        let layout = Layout::new();
        let report = layout.diagnose(&[]);
        assert!(report.is_healthy(), "{report:#?}");
        assert_eq!(report.python.as_deref(), Some("3.11.7"));
        assert_eq!(
            report.checked,
            [
                "interpreter-fails",
                "python-module",
                "pythonpath-by-hand",
                "pythonpath-shadows",
                "user-site-packages",
                "numpy-abi"
            ]
        );
        assert!(
            report.notes[0].starts_with("no module system here"),
            "{report:#?}"
        );
    }

    /// `pip install --user`: the user site's distributions are a finding (each named, with
    /// the interpreter's copy it wins over); `PYTHONNOUSERSITE` turns it into a note;
    /// `PYTHONUSERBASE` moves it.
    #[test]
    fn user_site_packages() {
        let layout = Layout::new();
        let user = layout.path("home/.local/lib/python3.11/site-packages");
        install(&user, "pytz", "2024.1", &[], &[("pytz/__init__.py", b"")]);
        install(&user, "six", "1.16.0", &[], &[("six.py", b"")]);
        install(
            &layout.path("base/lib/python3.11/site-packages"),
            "six",
            "1.17.0",
            &[],
            &[("six.py", b"")],
        );
        let report = layout.diagnose(&[]);
        assert_eq!(checks(&report), ["user-site-packages"], "{report:#?}");
        let finding = &report.findings[0];
        assert_eq!(
            finding.what,
            format!(
                "{} holds 2 `--user` packages, on `sys.path` of every `python3` run outside an environment",
                user.display()
            )
        );
        assert_eq!(
            finding.evidence,
            [
                "pytz 2024.1 is imported from ~/.local",
                "six 1.16.0 is imported from ~/.local, over the interpreter's six 1.17.0",
            ]
        );
        let fix = finding.fix.as_deref().unwrap();
        assert!(
            fix.starts_with("`export PYTHONNOUSERSITE=1`")
                && fix.contains("python3.11 -m pip uninstall pytz six")
                && fix.ends_with("`wharf venv ~/env && wharf install --python ~/env pytz six`"),
            "{fix}"
        );

        let hidden = layout.diagnose(&[("PYTHONNOUSERSITE", "1".into())]);
        assert!(hidden.is_healthy(), "{hidden:#?}");
        assert!(
            hidden
                .notes
                .iter()
                .any(|n| n.contains("holds 2 `--user` packages; PYTHONNOUSERSITE is set")),
            "{hidden:#?}"
        );

        let elsewhere = layout.path("userbase");
        let moved = layout.diagnose(&[("PYTHONUSERBASE", elsewhere.display().to_string())]);
        assert!(moved.is_healthy(), "{moved:#?}");
    }

    /// The install part of the user-site fix names only what the wheelhouse has.
    #[test]
    fn user_site_fix_is_checked_against_the_wheelhouse() {
        let layout = Layout::new();
        let user = layout.path("home/.local/lib/python3.11/site-packages");
        install(&user, "pytz", "2024.1", &[], &[("pytz/__init__.py", b"")]);
        install(&user, "mytool", "0.1", &[], &[("mytool.py", b"")]);
        let wheels = layout.path("wheels");
        fs_err::create_dir_all(&wheels).unwrap();
        fs_err::write(
            wheels.join("pytz-2024.1+computecanada-py2.py3-none-any.whl"),
            b"",
        )
        .unwrap();
        let wheelhouse = Wheelhouse::new(wharf_site::FindLinks::from_paths([&wheels]), 1, None);
        let report = layout.diagnose_with(&[], Some(&wheelhouse));
        let fix = report.findings[0].fix.as_deref().unwrap();
        assert!(
            fix.ends_with(
                "`wharf venv ~/env && wharf install --python ~/env pytz` (the wheelhouse has no mytool for Python 3.11)"
            ),
            "{fix}"
        );
    }

    /// PYTHONPATH entries set by hand: under $HOME (naming what they shadow), relative,
    /// missing; each fix is PYTHONPATH without it.
    #[test]
    fn pythonpath_by_hand() {
        let layout = Layout::new();
        let mine = layout.path("home/mylibs");
        fs_err::create_dir_all(&mine).unwrap();
        fs_err::write(mine.join("six.py"), b"").unwrap();
        install(
            &layout.path("base/lib/python3.11/site-packages"),
            "six",
            "1.17.0",
            &[],
            &[("six.py", b"")],
        );
        let missing = layout.path("gone");
        let value = format!("{}:relative:{}", mine.display(), missing.display());
        let report = layout.diagnose(&[("PYTHONPATH", value.clone())]);
        assert_eq!(
            checks(&report),
            [
                "pythonpath-by-hand",
                "pythonpath-by-hand",
                "pythonpath-by-hand"
            ],
            "{report:#?}"
        );
        let under_home = &report.findings[0];
        assert!(
            under_home.cause.starts_with("it is under $HOME"),
            "{under_home:#?}"
        );
        assert_eq!(
            under_home.evidence,
            [
                format!("PYTHONPATH={value}"),
                format!(
                    "`import six` loads {} instead of six 1.17.0 in {}",
                    mine.join("six").display(),
                    layout.path("base/lib/python3.11/site-packages").display()
                ),
            ]
        );
        assert_eq!(
            under_home.fix.as_deref(),
            Some(format!("`export PYTHONPATH=relative:{}`", missing.display()).as_str())
        );
        assert!(report.findings[1].cause.starts_with("a relative entry"));
        assert!(
            report.findings[2]
                .cause
                .starts_with("the directory does not exist")
        );
    }

    /// With Lmod (`_LMFILES_`), an entry no loaded modulefile names is set by hand; one under
    /// a directory a modulefile names (EasyBuild's `local root = "…"`) is the module's.
    #[test]
    fn pythonpath_by_hand_with_lmod() {
        let layout = Layout::new();
        let module_root = layout.path("modules/scipy-stack/2023b");
        let module_site = module_root.join("lib/python3.11/site-packages");
        let stray = layout.path("modules/stray");
        fs_err::create_dir_all(&module_site).unwrap();
        fs_err::create_dir_all(&stray).unwrap();
        let modulefile = layout.path("2023b.lua");
        fs_err::write(
            &modulefile,
            format!(
                "local root = \"{}\"\nprepend_path(\"PYTHONPATH\", pathJoin(root, \"lib/python3.11/site-packages\"))\n",
                module_root.display()
            ),
        )
        .unwrap();
        let vars = [
            (
                "PYTHONPATH",
                format!("{}:{}", module_site.display(), stray.display()),
            ),
            ("LOADEDMODULES", "scipy-stack/2023b".to_string()),
            ("_LMFILES_", modulefile.display().to_string()),
        ];
        let report = layout.diagnose(&vars);
        let by_hand: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| f.check == "pythonpath-by-hand")
            .collect();
        assert_eq!(by_hand.len(), 1, "{report:#?}");
        assert_eq!(
            by_hand[0].what,
            format!("PYTHONPATH contains `{}`, set by hand", stray.display())
        );
        assert!(
            by_hand[0].cause.starts_with("no loaded module sets it"),
            "{by_hand:#?}"
        );
        // Without Lmod the same stray directory passes (nothing in its path shows it).
        let report = layout.diagnose(&vars[..1]);
        assert!(
            !checks(&report).contains(&"pythonpath-by-hand"),
            "{report:#?}"
        );
    }

    /// A module's PYTHONPATH entry providing `six` before another module's and the user
    /// site's: one finding naming both, with each fix.
    #[test]
    fn pythonpath_shadows_modules_and_user_site() {
        let layout = Layout::new();
        let first = layout.path("modules/a");
        let second = layout.path("modules/b");
        install(&first, "six", "1.16.0", &[], &[("six.py", b"")]);
        install(&second, "six", "1.15.0", &[], &[("six.py", b"")]);
        let user = layout.path("home/.local/lib/python3.11/site-packages");
        install(&user, "six", "1.17.0", &[], &[("six.py", b"")]);
        let vars = [(
            "PYTHONPATH",
            format!("{}:{}", first.display(), second.display()),
        )];
        let report = layout.diagnose(&vars);
        assert_eq!(
            checks(&report),
            ["pythonpath-shadows", "user-site-packages"],
            "{report:#?}"
        );
        // Only the first entry is named: the second's six is not imported either.
        let shadows = &report.findings[0];
        assert_eq!(
            shadows.evidence,
            [
                format!(
                    "`import six`: six 1.16.0 from PYTHONPATH wins over six 1.15.0 in {}",
                    second.display()
                ),
                format!(
                    "`import six`: six 1.16.0 from PYTHONPATH wins over six 1.17.0 in {}",
                    user.display()
                ),
            ]
        );
        let fix = shadows.fix.as_deref().unwrap();
        assert!(
            fix.starts_with("two loaded modules provide the same packages")
                && fix.contains("; the `--user` six is never imported while the module is loaded"),
            "{fix}"
        );
        // The user site's six is hidden by PYTHONPATH's, and said so.
        assert_eq!(
            report.findings[1].evidence,
            ["six 1.17.0 is in ~/.local, hidden by PYTHONPATH's six 1.16.0"]
        );

        let report = layout.diagnose(&[("PYTHONPATH", first.display().to_string())]);
        let shadows = &report.findings[0];
        assert_eq!(shadows.check, "pythonpath-shadows");
        assert_eq!(
            shadows.fix.as_deref(),
            Some(
                "the `--user` six is never imported while the module is loaded: remove it (`python3.11 -m pip uninstall six` outside any environment, with the module unloaded)"
            )
        );
    }

    /// Where `python3` comes from, against the module system.
    #[test]
    fn python_module() {
        let layout = Layout::new();
        // A module tree with 3.11.7 and 3.12.1; `python3` is the base, outside it.
        let tree = layout.path("tree/python");
        for version in ["3.11.7", "3.12.1"] {
            fs_err::create_dir_all(tree.join(version).join("bin")).unwrap();
        }
        let dirs = ("PYTHON_DIRS", tree.display().to_string());

        // On a site with modules, none loaded: the system's python3, and the module to load.
        let report = layout.diagnose(std::slice::from_ref(&dirs));
        assert_eq!(checks(&report), ["python-module"], "{report:#?}");
        assert_eq!(
            report.findings[0].what,
            "no Python module is loaded: `python3` is the system's Python 3.11.7"
        );
        assert_eq!(
            report.findings[0].fix.as_deref(),
            Some("`module load python/3.11`")
        );

        // A module loaded, but `python3` on PATH is not its interpreter.
        let module = tree.join("3.12.1");
        let loaded = [
            dirs.clone(),
            ("EBROOTPYTHON", module.display().to_string()),
            ("LOADEDMODULES", "StdEnv/2023:python/3.12.1".to_string()),
        ];
        let report = layout.diagnose(&loaded);
        assert_eq!(checks(&report), ["python-module"], "{report:#?}");
        assert_eq!(
            report.findings[0].what,
            "`python3` on PATH is not the loaded module's Python (python/3.12.1)"
        );
        assert!(
            report.findings[0]
                .fix
                .as_deref()
                .unwrap()
                .starts_with("`module load python/3.12.1` again"),
            "{report:#?}"
        );

        // The loaded module's own interpreter: nothing to say.
        let loaded = [
            dirs.clone(),
            ("EBROOTPYTHON", layout.path("base").display().to_string()),
            ("LOADEDMODULES", "python/3.11.7".to_string()),
        ];
        assert!(layout.diagnose(&loaded).is_healthy());

        // `python3` taken from the module tree by hand, no module loaded.
        let env = layout.env(&[dirs]);
        let python_env = PythonEnv::from_env(&env);
        let input = ShellInput {
            env: &env,
            python_env: &python_env,
            wheelhouse: None,
        };
        let interpreter = ShellInterpreter {
            command: "python3",
            path: tree.join("3.11.7/bin/python3"),
            resolved: layout.path("base/bin/python3"),
        };
        let report = diagnose_shell(&input, interpreter, Ok(layout.info(&env)));
        assert_eq!(
            report.findings[0].what,
            "`python3` is the module tree's Python 3.11.7, but no Python module is loaded"
        );
        assert_eq!(
            report.findings[0].fix.as_deref(),
            Some("`module load python/3.11.7`")
        );
    }

    /// numpy 2 installed with `--user` under a module's pandas compiled against numpy 1.x.
    #[test]
    fn numpy_abi_user_numpy_under_module_package() {
        let layout = Layout::new();
        let module = layout.path("modules/scipy-stack");
        install(
            &module,
            "pandas",
            "1.5.3",
            &["numpy>=1.21"],
            &[(
                "pandas/_libs/lib.cpython-311-x86_64-linux-gnu.so",
                b"\0numpy.core._multiarray_umath\0",
            )],
        );
        let user = layout.path("home/.local/lib/python3.11/site-packages");
        install(&user, "numpy", "2.0.2", &[], &[("numpy/__init__.py", b"")]);
        let report = layout.diagnose(&[("PYTHONPATH", module.display().to_string())]);
        assert_eq!(
            checks(&report),
            ["user-site-packages", "numpy-abi"],
            "{report:#?}"
        );
        let numpy = &report.findings[1];
        assert_eq!(
            numpy.what,
            format!(
                "pandas 1.5.3 (from PYTHONPATH `{}`) was built against numpy 1.x, but `import numpy` loads numpy 2.0.2 (from ~/.local)",
                module.display()
            )
        );
        assert_eq!(
            numpy.fix.as_deref(),
            Some(
                "the `--user` numpy 2.0.2 does not fit pandas: remove it (`python3.11 -m pip uninstall numpy`) or `export PYTHONNOUSERSITE=1`, and load the module that provides the numpy pandas needs (`module spider numpy`)"
            )
        );
        // With a numpy of the interpreter's own behind it, that one is named.
        install(
            &layout.path("base/lib/python3.11/site-packages"),
            "numpy",
            "1.26.4",
            &[],
            &[("numpy/__init__.py", b"")],
        );
        let report = layout.diagnose(&[("PYTHONPATH", module.display().to_string())]);
        let numpy = report
            .findings
            .iter()
            .find(|f| f.check == "numpy-abi")
            .unwrap();
        assert!(
            numpy
                .fix
                .as_deref()
                .unwrap()
                .starts_with("the `--user` numpy 2.0.2 hides the interpreter's numpy 1.26.4"),
            "{numpy:#?}"
        );
    }

    /// `python3` that does not run: a finding, and the other checks still run.
    #[test]
    fn interpreter_fails() {
        let layout = Layout::new();
        let env = layout.env(&[]);
        let python_env = PythonEnv::from_env(&env);
        let input = ShellInput {
            env: &env,
            python_env: &python_env,
            wheelhouse: None,
        };
        let python = layout.path("base/bin/python3");
        let interpreter = ShellInterpreter {
            command: "python3",
            resolved: python.clone(),
            path: python.clone(),
        };
        let error = ProbeError::Spawn {
            executable: python,
            source: std::io::Error::from_raw_os_error(8),
        };
        let report = diagnose_shell(&input, interpreter, Err(error));
        assert_eq!(checks(&report), ["interpreter-fails"], "{report:#?}");
        assert!(report.python.is_none());
        assert!(
            report.findings[0]
                .fix
                .as_deref()
                .unwrap()
                .starts_with("put a working Python first on PATH"),
            "{report:#?}"
        );
        assert!(report.checked.contains(&"pythonpath-by-hand"));
    }

    #[test]
    fn no_interpreter_hint_names_the_modules() {
        let error = ShellError::NoInterpreter {
            modules: vec![
                PythonVersion {
                    major: 3,
                    minor: 11,
                },
                PythonVersion {
                    major: 3,
                    minor: 12,
                },
            ],
        };
        assert!(
            error
                .hint()
                .starts_with("load a Python module, which puts `python3` on PATH: `module load python/3.12` (the module trees have 3.11, 3.12)")
        );
        let error = ShellError::NoInterpreter {
            modules: Vec::new(),
        };
        assert!(error.hint().starts_with("put a Python 3 on PATH"));
    }

    #[test]
    fn directories_named_by_modulefiles() {
        let lua = "local root = \"/cvmfs/soft/python/3.11.5\"\nprepend_path(\"PATH\", pathJoin(root, \"bin\"))\nsetenv('X', '/cvmfs/custom/site-python/')\nprepend_path(\"P\", \"/cvmfs\")";
        assert_eq!(
            named_directories(lua),
            [
                PathBuf::from("/cvmfs/soft/python/3.11.5"),
                PathBuf::from("/cvmfs/custom/site-python"),
            ]
        );
        let tcl = "set root /opt/software/python/3.11.5\nprepend-path PYTHONPATH $root/lib";
        assert_eq!(
            named_directories(tcl),
            [PathBuf::from("/opt/software/python/3.11.5")]
        );
    }
}
