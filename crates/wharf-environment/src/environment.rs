//! [`PythonEnvironment`]: the virtual environment a command acts on, probed once.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use pep440_rs::Version;
use pep508_rs::{MarkerEnvironment, PackageName};
use wharf_install::{
    InstalledDist, Layout, LockEvent, RecoveredTransaction, ScanOrder, SitePackages,
};
use wharf_python::{InterpreterInfo, PythonEnv};
use wharf_resolve::Installed;
use wharf_wheel_filename::Tags;

use crate::error::EnvironmentError;

/// A virtual environment (PEP 405) and what its interpreter said about itself.
///
/// Built by [`PythonEnvironment::find`] (from `--python` or `$VIRTUAL_ENV`) or
/// [`PythonEnvironment::from_root`]; the interpreter is probed once (cached by
/// `wharf-python`). The install [`Layout`] comes from the probe's `sysconfig` venv scheme,
/// so a free-threaded `3.13t` environment installs into `lib/python3.13t/site-packages`.
///
/// Opening an environment first finishes any interrupted install or uninstall in it
/// ([`wharf_install::recover`]: rolled back before its commit point, forward after); what
/// was done is in [`PythonEnvironment::recovered`] for the caller to report.
#[derive(Debug, Clone)]
pub struct PythonEnvironment {
    /// The environment's interpreter as given (`ENV/bin/python`, symlinks not resolved).
    pub python: PathBuf,
    /// The environment's root (`sys.prefix`), ex) `/home/me/env`.
    pub root: PathBuf,
    /// The probe of the interpreter.
    pub info: InterpreterInfo,
    /// Where wheels go (purelib, platlib, scripts, data, headers).
    pub layout: Layout,
    /// Interrupted transactions finished when the environment was opened (usually none).
    pub recovered: Vec<RecoveredTransaction>,
    /// Stale environment locks broken when it was opened (their holders died).
    pub broken_locks: Vec<wharf_install::LockHolder>,
}

impl PythonEnvironment {
    /// The environment named by `python` (a venv directory or its interpreter), else by
    /// `virtual_env` (`$VIRTUAL_ENV`); refuses anything that is not a virtual environment.
    ///
    /// An incomplete venv (`wharf venv --from` killed before its packages were installed, see
    /// [`wharf_venv::incomplete`]) is refused, unless this process is the one creating it:
    /// that one opens it through its hidden interpreter `.wharf-bin/python`, probed without
    /// the probe cache (the name is gone once the venv is finished), and gets the final
    /// `bin/python` as [`PythonEnvironment::python`] (what the installed scripts' shebangs
    /// name). Bytecode compilation runs that `bin/python`, so it cannot be asked for while
    /// the venv is unfinished.
    ///
    /// Errors: [`EnvironmentError::NoEnvironment`] (neither given),
    /// [`EnvironmentError::NoInterpreter`], [`EnvironmentError::Incomplete`],
    /// [`EnvironmentError::Probe`], [`EnvironmentError::NotAVenv`]; each has a
    /// [`EnvironmentError::hint`].
    pub fn find(
        python: Option<&Path>,
        virtual_env: Option<&Path>,
        python_env: &PythonEnv,
    ) -> Result<Self, EnvironmentError> {
        // Neither `--python` nor an active environment: the `.venv` of the current directory
        // or of its nearest ancestor that has one, as uv finds it (`wharf venv` without a path
        // creates `.venv`).
        let discovered;
        let given = if let Some(given) = python.or(virtual_env) {
            given
        } else {
            discovered = dot_venv().ok_or(EnvironmentError::NoEnvironment)?;
            discovered.as_path()
        };
        let executable = if given.is_dir() {
            given.join("bin").join("python")
        } else {
            given.to_path_buf()
        };
        if !executable.exists() {
            let root = executable
                .parent()
                .and_then(Path::parent)
                .map(|root| std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf()));
            if let Some(incomplete) = root.as_deref().and_then(wharf_venv::incomplete) {
                if !incomplete.is_ours() {
                    return Err(EnvironmentError::Incomplete(incomplete));
                }
                let mut info = wharf_python::probe_uncached(&incomplete.interpreter(), python_env)?;
                info.executable.clone_from(&executable);
                return Self::from_probe(executable, info);
            }
            return Err(EnvironmentError::NoInterpreter {
                given: given.to_path_buf(),
                executable,
            });
        }
        let info = wharf_python::probe(&executable, python_env)?;
        Self::from_probe(executable, info)
    }

    /// The environment rooted at `root` (its `bin/python` is probed).
    pub fn from_root(root: &Path, python_env: &PythonEnv) -> Result<Self, EnvironmentError> {
        Self::find(Some(root), None, python_env)
    }

    /// The environment of an interpreter already probed; interrupted transactions in it are
    /// recovered first.
    ///
    /// Errors: [`EnvironmentError::NotAVenv`] when `info` is a base installation,
    /// [`EnvironmentError::Recover`] when an interrupted transaction cannot be finished.
    pub fn from_probe(
        executable: PathBuf,
        info: InterpreterInfo,
    ) -> Result<Self, EnvironmentError> {
        if !info.is_venv() {
            return Err(EnvironmentError::NotAVenv {
                executable,
                prefix: info.prefix.clone(),
            });
        }
        let root = executable
            .parent()
            .and_then(Path::parent)
            .map_or_else(|| info.prefix.clone(), Path::to_path_buf);
        let layout = layout_from_probe(&root, &executable, &info);
        let broken = std::cell::RefCell::new(Vec::new());
        let recovered = wharf_install::recover_with(&layout, &|event| {
            if let LockEvent::Broken(holder) = event {
                broken.borrow_mut().push(holder);
            }
        })
        .map_err(|source| EnvironmentError::Recover {
            purelib: layout.purelib.clone(),
            source,
        })?;
        Ok(Self {
            python: executable,
            root,
            info,
            layout,
            recovered,
            broken_locks: broken.into_inner(),
        })
    }

    /// `(major, minor)` of the interpreter, ex) `(3, 11)`.
    pub fn python_version(&self) -> (u8, u8) {
        self.layout.python_version
    }

    /// The interpreter's full version (`3.11.5`) as a PEP 440 [`Version`].
    pub fn python_full_version(&self) -> Version {
        Version::from_str(self.info.version()).unwrap_or_else(|_| Version::new([3]))
    }

    /// The PEP 508 marker environment of the interpreter.
    ///
    /// Errors: [`EnvironmentError::Probe`] when the probe's values are not valid markers.
    pub fn marker_environment(&self) -> Result<MarkerEnvironment, EnvironmentError> {
        Ok(self.info.marker_environment()?)
    }

    /// The interpreter's ordered compatible tags (PEP 425) under the site's policy, and,
    /// when the policy removed manylinux tags (`_manylinux` answers False and
    /// `allow_manylinux` is off), the full set too (to explain refusals).
    pub fn tags(&self, allow_manylinux: bool) -> (Tags, Option<Tags>) {
        // From the probe: version, ABI flags (`cp313t`, `d`), machine, glibc, `_manylinux`.
        self.info.tags(allow_manylinux)
    }

    /// Distributions installed in the environment itself (purelib and platlib).
    ///
    /// Errors: [`EnvironmentError::Scan`] when a directory cannot be listed.
    pub fn installed(&self) -> Result<Vec<InstalledDist>, EnvironmentError> {
        let scan = SitePackages::scan([&self.layout.purelib, &self.layout.platlib])?;
        Ok(scan.dists)
    }

    /// Every distribution importable by the interpreter, in `sys.path` order (first wins),
    /// as `pip list` sees them; with `local`, only those inside the environment (as pip's
    /// `--local`: one found first outside hides its copies inside).
    pub fn installed_on_sys_path(
        &self,
        local: bool,
    ) -> Result<Vec<InstalledDist>, EnvironmentError> {
        Ok(self.scan_sys_path(local)?.dists)
    }

    /// [`PythonEnvironment::installed_on_sys_path`] with the distributions that could not be
    /// read ([`SitePackages::errors`]: an unreadable `.dist-info`, a missing `METADATA`), for
    /// the commands that must report them (`list`, `freeze`, `check`). With `local`, as pip's
    /// `--local`: every `sys.path` entry is read, and the distributions found first outside the
    /// environment are left out (not replaced by a copy inside it that they hide).
    pub fn scan_sys_path(&self, local: bool) -> Result<SitePackages, EnvironmentError> {
        self.scan_sys_path_ordered(local, ScanOrder::Sorted)
    }

    /// [`PythonEnvironment::scan_sys_path`] with each directory's distributions in `order`
    /// (ex) [`PythonEnvironment::pip_order`], for output in pip's order of iteration).
    ///
    /// Errors: a directory on `sys.path` cannot be listed.
    pub fn scan_sys_path_ordered(
        &self,
        local: bool,
        order: ScanOrder,
    ) -> Result<SitePackages, EnvironmentError> {
        Ok(SitePackages::scan_kept(
            &self.info.sys_path,
            order,
            |dir| !local || self.is_inside(dir),
        )?)
    }

    /// The order pip 26 iterates this interpreter's distributions in: `importlib.metadata`'s
    /// from Python 3.11 on, `pkg_resources`' (sorted) before, which is pip's default choice of
    /// backend (`_PIP_USE_IMPORTLIB_METADATA` and a distributor's patch can change it).
    pub fn pip_order(&self) -> ScanOrder {
        if self.python_version() >= (3, 11) {
            ScanOrder::Importlib
        } else {
            ScanOrder::Sorted
        }
    }

    /// Distributions importable from `sys.path` entries outside the environment (a module's
    /// `PYTHONPATH`), first on `sys.path` wins; the environment's own directories are not
    /// read (see [`PythonEnvironment::installed`]).
    pub fn installed_outside(&self) -> Result<Vec<InstalledDist>, EnvironmentError> {
        let dirs = self.info.sys_path.iter().filter(|p| !self.is_inside(p));
        Ok(SitePackages::scan(dirs)?.dists)
    }

    /// What the resolver counts as installed: the environment's distributions, then those a
    /// module provides on `sys.path` (the first of a name wins), as pip sees them.
    pub fn installed_for_resolver(
        &self,
        in_env: &[InstalledDist],
    ) -> Result<Vec<Installed>, EnvironmentError> {
        let mut installed = to_resolver(in_env, true);
        for dist in to_resolver(&self.installed_outside()?, false) {
            if !installed.iter().any(|i| i.name == dist.name) {
                installed.push(dist);
            }
        }
        Ok(installed)
    }

    fn is_inside(&self, path: &Path) -> bool {
        path.starts_with(&self.root) || path.starts_with(&self.info.prefix)
    }
}

/// The nearest `.venv` (a directory with `pyvenv.cfg`) in the current directory or its
/// ancestors, ex) `/home/me/project/.venv`: the environment commands act on when neither
/// `--python` nor `$VIRTUAL_ENV` names one (see [`PythonEnvironment::find`]).
pub fn dot_venv() -> Option<PathBuf> {
    let cwd = std::env::current_dir().ok()?;
    cwd.ancestors()
        .map(|dir| dir.join(".venv"))
        .find(|venv| venv.join("pyvenv.cfg").is_file())
}

/// The distributions that modules put on `info`'s `sys.path` (`PYTHONPATH`: scipy-stack's
/// numpy, arrow's pyarrow), outside the interpreter's own prefixes, as the resolver counts
/// them: already there, not in the target. `lock` resolves with them as `install` does, so the
/// lock pins what the module provides (a job with the module loaded finds it there, one without
/// installs the wheelhouse's wheel of that version).
///
/// Errors: a directory on `sys.path` cannot be scanned.
pub fn module_packages(info: &InterpreterInfo) -> Result<Vec<Installed>, EnvironmentError> {
    let dirs = info
        .sys_path
        .iter()
        .filter(|p| !p.starts_with(&info.prefix) && !p.starts_with(&info.base_prefix));
    Ok(to_resolver(&SitePackages::scan(dirs)?.dists, false))
}

fn to_resolver(dists: &[InstalledDist], in_target: bool) -> Vec<Installed> {
    dists
        .iter()
        .filter_map(|d| {
            Some(Installed {
                name: PackageName::from_str(&d.name).ok()?,
                version: Version::from_str(&d.version).ok()?,
                requires_dist: d.requires_dist.clone(),
                in_target,
            })
        })
        .collect()
}

/// The install layout of the venv at `root`: the probe's venv scheme (`sysconfig`), with
/// pip's header directory `include/site/python3.11` (`python3.13t` for free-threaded builds).
fn layout_from_probe(root: &Path, executable: &Path, info: &InterpreterInfo) -> Layout {
    let (major, minor) = info.major_minor();
    let version = (
        u8::try_from(major).unwrap_or(3),
        u8::try_from(minor).unwrap_or(0),
    );
    let paths = info.venv_paths(root);
    // `lib/python3.13t/site-packages` ▸ `python3.13t`.
    let lib_name = paths
        .purelib
        .parent()
        .and_then(Path::file_name)
        .map_or_else(
            || format!("python{major}.{minor}"),
            |n| n.to_string_lossy().into_owned(),
        );
    Layout {
        purelib: paths.purelib,
        platlib: paths.platlib,
        scripts: paths.scripts,
        data: paths.data,
        headers: root.join("include").join("site").join(lib_name),
        python: executable.to_path_buf(),
        python_version: version,
    }
}
