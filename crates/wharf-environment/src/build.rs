//! Builds for direct references and sdists: wharf as the PEP 517 / 660 frontend.
//!
//! ```text
//! SourceTree (pyproject [build-system]) ─▶ build environment: a fresh venv, its `requires`
//!   resolved and installed from the wheelhouse (offline, the pipeline of `operations`),
//!   then `get_requires_for_build_*` installed too ─▶ `build_wheel` / `build_editable` in a
//!   subprocess of the venv's interpreter ─▶ BuildCache ─▶ LocalWheel (pinned in resolve)
//! ```
//!
//! With `--no-build-isolation` the hooks run in the target environment's interpreter and
//! nothing is installed for the build. The build log goes to `CACHE/build-logs/` (else the
//! temporary directory) and stays there; a failure shows its last lines and its path.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use wharf_build::{BuildCache, BuildKind, BuildSystem, CacheKey, Hooks, SourceTree};
use wharf_site::Catalogue;

use crate::direct::{DirectRequirement, DirectSource, LocalWheel};
use crate::environment::PythonEnvironment;
use crate::error::OperationError;
use crate::operations::{
    self, ExecuteOptions, InstallPlan, PlanOptions, Requirements, Resolution, ResolvePolicy,
    ResolveTarget,
};

/// How to build.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// Build in an isolated environment made from the wheelhouse (pip's default); `false`:
    /// `--no-build-isolation`, the hooks run in the target environment.
    pub isolation: bool,
    /// wharf's cache root (built wheels in `built-v1/`, logs in `build-logs/`, build
    /// environments' wheels from the wheel cache); `None`: nothing kept.
    pub cache_dir: Option<PathBuf>,
    /// Installer threads.
    pub threads: usize,
    /// `config_settings` for the hooks.
    pub config_settings: BTreeMap<String, String>,
}

/// Builds wheels for one target environment from one catalogue.
pub struct Builder<'a> {
    /// The target interpreter's probe (a venv's, or a base interpreter's for `lock`).
    info: wharf_python::InterpreterInfo,
    catalogue: &'a Catalogue,
    target: ResolveTarget,
    options: &'a BuildOptions,
    report: &'a dyn Fn(&str),
    /// Created on the first build only: a plain install makes no temporary directory.
    scratch: std::cell::OnceCell<tempfile::TempDir>,
    /// The target's interpreter, absolute (hooks run in the source tree).
    python: PathBuf,
    /// For a base interpreter ([`Builder::for_interpreter`]): how to probe the build
    /// environments made from it (a venv's probe is derived from the target venv's).
    probe_env: Option<wharf_python::PythonEnv>,
}

impl std::fmt::Debug for Builder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Builder")
            .field("python", &self.python)
            .finish_non_exhaustive()
    }
}

impl<'a> Builder<'a> {
    /// A builder for `environment`; `report` receives one line per build ("Building …").
    ///
    /// Errors: [`OperationError::Environment`], [`OperationError::Build`].
    pub fn new(
        environment: &'a PythonEnvironment,
        catalogue: &'a Catalogue,
        options: &'a BuildOptions,
        report: &'a dyn Fn(&str),
    ) -> Result<Self, OperationError> {
        Self::make(
            &environment.python,
            &environment.info,
            None,
            catalogue,
            options,
            report,
        )
    }

    /// A builder for the interpreter `python` probed as `info`, without an environment (what
    /// `wharf lock` builds sdists with): builds are isolated unless `options` say otherwise,
    /// when the hooks run in `python` itself. Each build environment made from a base
    /// interpreter is probed anew (without `PYTHONPATH`: a module's packages must not count as
    /// installed in it).
    ///
    /// Errors: [`OperationError::Environment`].
    pub fn for_interpreter(
        python: &Path,
        info: &wharf_python::InterpreterInfo,
        python_env: &wharf_python::PythonEnv,
        catalogue: &'a Catalogue,
        options: &'a BuildOptions,
        report: &'a dyn Fn(&str),
    ) -> Result<Self, OperationError> {
        let probe_env = wharf_python::PythonEnv {
            pythonpath: None,
            no_cache: true,
            ..python_env.clone()
        };
        Self::make(python, info, Some(probe_env), catalogue, options, report)
    }

    fn make(
        python: &Path,
        info: &wharf_python::InterpreterInfo,
        probe_env: Option<wharf_python::PythonEnv>,
        catalogue: &'a Catalogue,
        options: &'a BuildOptions,
        report: &'a dyn Fn(&str),
    ) -> Result<Self, OperationError> {
        Ok(Self {
            info: info.clone(),
            catalogue,
            target: ResolveTarget::from_info(info, false)?,
            options,
            report,
            scratch: std::cell::OnceCell::new(),
            python: std::path::absolute(python).unwrap_or_else(|_| python.to_path_buf()),
            probe_env: probe_env.filter(|_| !info.is_venv()),
        })
    }

    /// The local wheel of a direct reference: the wheel file itself, or the wheel built from
    /// the project directory or the sdist (from the build cache when it is there).
    ///
    /// Errors: [`OperationError::Direct`], [`OperationError::Build`],
    /// [`OperationError::BuildDependencies`].
    pub fn local_wheel(
        &self,
        requirement: &DirectRequirement,
    ) -> Result<LocalWheel, OperationError> {
        let python = self.info.version().to_string();
        let tags = &self.target.tags;
        Ok(match &requirement.source {
            DirectSource::Wheel(path) => {
                let sha256 = wharf_build::file_sha256(path)?;
                crate::direct::local_wheel(
                    requirement,
                    path,
                    tags,
                    &python,
                    false,
                    requirement.direct_url(Some(&sha256)),
                )?
            }
            DirectSource::Project(path) => {
                let wheel = self.build_tree(path, requirement.build_kind())?;
                crate::direct::local_wheel(
                    requirement,
                    &wheel,
                    tags,
                    &python,
                    true,
                    requirement.direct_url(None),
                )?
            }
            DirectSource::Sdist(path) => {
                let sha256 = wharf_build::file_sha256(path)?;
                let wheel = self.build_sdist(path, &sha256, "")?;
                crate::direct::local_wheel(
                    requirement,
                    &wheel,
                    tags,
                    &python,
                    true,
                    requirement.direct_url(Some(&sha256)),
                )?
            }
        })
    }

    /// The wheel built from a wheelhouse sdist the resolver chose, announced in one line.
    ///
    /// Errors: [`OperationError::Build`], [`OperationError::BuildDependencies`],
    /// [`OperationError::Direct`].
    pub fn sdist_wheel(&self, sdist: &Path) -> Result<LocalWheel, OperationError> {
        let sha256 = wharf_build::file_sha256(sdist)?;
        let wheel =
            self.build_sdist(sdist, &sha256, " (a source distribution of the wheelhouse)")?;
        let reference = DirectRequirement {
            source: DirectSource::Sdist(sdist.to_path_buf()),
            name: None,
            extras: Vec::new(),
            marker: None,
            editable: false,
            text: sdist.display().to_string(),
            origin: "the wheelhouse".to_string(),
        };
        Ok(crate::direct::local_wheel(
            &reference,
            &wheel,
            &self.target.tags,
            self.info.version(),
            false,
            String::new(),
        )?)
    }

    fn cache(&self) -> Option<BuildCache> {
        self.options
            .cache_dir
            .as_ref()
            .map(|root| BuildCache::new(root.join("built-v1")))
    }

    /// What a build depends on besides its source: the interpreter, isolation, settings.
    fn build_identity(&self) -> String {
        format!(
            "{}|{}|{}|{:?}",
            self.info.base_interpreter().display(),
            self.info.version(),
            self.options.isolation,
            self.options.config_settings
        )
    }

    /// Builds (or finds in the cache) the wheel of the project at `path`.
    ///
    /// Errors: [`OperationError::Build`], [`OperationError::BuildDependencies`].
    pub fn build_tree(&self, path: &Path, kind: BuildKind) -> Result<PathBuf, OperationError> {
        let tree = SourceTree::from_dir(path)?;
        let key = CacheKey::new(&[
            "tree-v1",
            &path.to_string_lossy(),
            &wharf_build::tree_state(path)?,
            kind.as_str(),
            &self.build_identity(),
        ]);
        if let Some(wheel) = self.cache().and_then(|c| c.get(&key)) {
            return Ok(wheel);
        }
        (self.report)(&format!(
            "Building {} for {} ({})",
            if kind == BuildKind::Editable {
                "an editable wheel"
            } else {
                "a wheel"
            },
            path.display(),
            tree.build_system.backend
        ));
        let wheel = self.run_build(&tree, kind)?;
        self.keep(&key, &wheel)
    }

    /// Builds (or finds in the cache) the wheel of the sdist `archive` (sha256 `sha256`).
    ///
    /// Errors: [`OperationError::Build`], [`OperationError::BuildDependencies`].
    /// `note` ends the line that announces the build.
    pub fn build_sdist(
        &self,
        archive: &Path,
        sha256: &str,
        note: &str,
    ) -> Result<PathBuf, OperationError> {
        let archive = &std::path::absolute(archive).unwrap_or_else(|_| archive.to_path_buf());
        let key = CacheKey::new(&["sdist-v1", sha256, &self.build_identity()]);
        if let Some(wheel) = self.cache().and_then(|c| c.get(&key)) {
            return Ok(wheel);
        }
        (self.report)(&format!(
            "Building {}{note}",
            archive.file_name().unwrap_or_default().to_string_lossy()
        ));
        let unpacked = self.fresh_dir("sdist")?;
        let unpacker = Hooks {
            python: self.python.clone(),
            tree: SourceTree {
                path: unpacked.clone(),
                build_system: BuildSystem {
                    requires: Vec::new(),
                    backend: String::new(),
                    backend_path: Vec::new(),
                },
            },
            log: self.new_log(archive)?,
            env: self.hook_env(None),
            config_settings: BTreeMap::new(),
        };
        unpacker.unpack(archive, &unpacked)?;
        // An sdist holds one top-level directory `{name}-{version}/`.
        let dirs: Vec<PathBuf> = fs_err::read_dir(&unpacked)
            .map_err(|source| io_error("cannot read", &unpacked, source))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        let root = match dirs.as_slice() {
            [one] if !unpacked.join("pyproject.toml").exists() => one.clone(),
            _ => unpacked.clone(),
        };
        let tree = SourceTree::from_dir(&root)?;
        let wheel = self.run_build(&tree, BuildKind::Wheel)?;
        self.keep(&key, &wheel)
    }

    fn keep(&self, key: &CacheKey, wheel: &Path) -> Result<PathBuf, OperationError> {
        match self.cache() {
            Some(cache) => Ok(cache.put(key, wheel)?),
            None => Ok(wheel.to_path_buf()),
        }
    }

    fn fresh_dir(&self, prefix: &str) -> Result<PathBuf, OperationError> {
        let scratch = if let Some(scratch) = self.scratch.get() {
            scratch
        } else {
            let created = tempfile::Builder::new()
                .prefix("wharf-build-")
                .tempdir()
                .map_err(|source| {
                    io_error(
                        "cannot create a temporary directory in",
                        &std::env::temp_dir(),
                        source,
                    )
                })?;
            self.scratch.get_or_init(|| created)
        };
        let dir = tempfile::Builder::new()
            .prefix(prefix)
            .tempdir_in(scratch.path())
            .map_err(|source| io_error("cannot create a directory in", scratch.path(), source))?;
        Ok(dir.keep())
    }

    /// A new log file, kept after wharf exits (its path is shown on failure).
    fn new_log(&self, source: &Path) -> Result<PathBuf, OperationError> {
        let dir = self.options.cache_dir.as_ref().map_or_else(
            || std::env::temp_dir().join("wharf-build-logs"),
            |root| root.join("build-logs"),
        );
        fs_err::create_dir_all(&dir).map_err(|source| io_error("cannot create", &dir, source))?;
        let stem = source
            .file_name()
            .map_or_else(|| "build".to_string(), |n| n.to_string_lossy().into_owned());
        let file = tempfile::Builder::new()
            .prefix(&format!("{stem}-"))
            .suffix(".log")
            .tempfile_in(&dir)
            .map_err(|source| io_error("cannot create a log in", &dir, source))?;
        let (_, path) = file
            .keep()
            .map_err(|e| io_error("cannot keep", &dir, e.error))?;
        Ok(path)
    }

    /// The backend's environment: wharf's own, without pip's settings or an active venv;
    /// `bin` of the build environment first on PATH (as pip does); no PYTHONPATH when
    /// isolated.
    fn hook_env(&self, bin: Option<&Path>) -> BTreeMap<OsString, OsString> {
        let mut env: BTreeMap<OsString, OsString> = std::env::vars_os()
            .filter(|(name, _)| {
                let name = name.to_string_lossy();
                !(name.starts_with("PIP_")
                    || name == "VIRTUAL_ENV"
                    || name == "PYTHONHOME"
                    || name.starts_with("WHARF_BUILD_")
                    || (self.options.isolation && name == "PYTHONPATH"))
            })
            .collect();
        if let Some(bin) = bin {
            let mut paths = vec![bin.to_path_buf()];
            if let Some(path) = env.get(&OsString::from("PATH")) {
                paths.extend(std::env::split_paths(path));
            }
            if let Ok(joined) = std::env::join_paths(paths) {
                env.insert("PATH".into(), joined);
            }
        }
        env
    }

    /// Runs the build of `tree`: environment, extra requirements, the build hook.
    fn run_build(&self, tree: &SourceTree, kind: BuildKind) -> Result<PathBuf, OperationError> {
        let log = self.new_log(&tree.path)?;
        let (python, build_env) = if self.options.isolation {
            let env = self.build_environment(tree)?;
            self.install_build_requirements(
                tree,
                &env,
                &tree.build_system.requires,
                "build-system.requires",
            )?;
            (env.python.clone(), Some(env))
        } else {
            (self.python.clone(), None)
        };
        let bin = python.parent().map(Path::to_path_buf);
        let hooks = Hooks {
            python,
            tree: tree.clone(),
            log,
            env: self.hook_env(bin.as_deref()),
            config_settings: self.options.config_settings.clone(),
        };
        if let Some(env) = &build_env {
            let extra = hooks.get_requires(kind)?;
            if !extra.is_empty() {
                let hook = format!("get_requires_for_build_{}", kind.as_str());
                self.install_build_requirements(tree, env, &extra, &hook)?;
            }
        }
        let out = self.fresh_dir("wheel")?;
        Ok(hooks.build(kind, &out)?)
    }

    fn build_environment(&self, tree: &SourceTree) -> Result<PythonEnvironment, OperationError> {
        let root = self.fresh_dir("env")?;
        let layout = wharf_venv::create_venv(
            &root,
            &self.info,
            &wharf_venv::VenvOptions {
                command: Some(format!(
                    "wharf (build environment for {})",
                    tree.path.display()
                )),
                ..wharf_venv::VenvOptions::default()
            },
        )
        .map_err(OperationError::BuildEnvironment)?;
        let info = match &self.probe_env {
            Some(probe_env) => wharf_python::probe_uncached(&layout.python, probe_env)
                .map_err(|e| OperationError::Environment(e.into()))?,
            None => self.info.clone(),
        };
        Ok(PythonEnvironment::from_probe(layout.python, info)?)
    }

    /// Resolves `requires` from the wheelhouse and installs them into the build environment.
    fn install_build_requirements(
        &self,
        tree: &SourceTree,
        env: &PythonEnvironment,
        requires: &[String],
        origin: &str,
    ) -> Result<(), OperationError> {
        let mut requirements = Requirements::default();
        for text in requires {
            requirements
                .requirements
                .push(operations::parse_requirement(
                    text,
                    &format!("{origin} of {}", tree.path.display()),
                )?);
        }
        let installed: Vec<wharf_resolve::Installed> = env
            .installed()?
            .iter()
            .filter_map(|d| {
                Some(wharf_resolve::Installed {
                    name: pep508_rs::PackageName::from_str(&d.name).ok()?,
                    version: pep440_rs::Version::from_str(&d.version).ok()?,
                    requires_dist: d.requires_dist.clone(),
                    in_target: true,
                })
            })
            .collect();
        let resolved = operations::resolve_for(
            &requirements,
            &self.target,
            &installed,
            self.catalogue,
            &ResolvePolicy::default(),
            None,
        )
        .map_err(|error| {
            let missing: Vec<String> = requirements
                .requirements
                .iter()
                .map(|r| r.name.to_string())
                .filter(|name| {
                    !self
                        .catalogue
                        .entries
                        .iter()
                        .any(|e| e.filename.name.as_ref() == name)
                })
                .collect();
            OperationError::BuildDependencies {
                project: tree.path.clone(),
                origin: origin.to_string(),
                requires: requires.to_vec(),
                missing,
                cause: Box::new(error),
            }
        })?;
        let plan = InstallPlan::from_resolution(
            &Resolution {
                packages: resolved.packages,
                installed: env.installed()?,
            },
            PlanOptions::default(),
        );
        if plan.is_empty() {
            return Ok(());
        }
        operations::execute(
            &plan,
            env,
            &ExecuteOptions {
                threads: self.options.threads,
                compile: false,
                cache_dir: self.options.cache_dir.clone(),
                progress: None,
                cancel: None,
                verification: wharf_install::Verification::default(),
                ..ExecuteOptions::default()
            },
        )?;
        Ok(())
    }
}

fn io_error(action: &'static str, path: &Path, source: std::io::Error) -> OperationError {
    OperationError::from(wharf_build::BuildError::Io {
        action,
        path: path.to_path_buf(),
        source,
    })
}
