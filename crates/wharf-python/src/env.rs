//! The environment variables this crate reads, in one place.
//!
//! Nothing in the crate reads the process environment: discovery and probing take a
//! [`PythonEnv`], so tests inject values and a caller can see exactly what drives the answer.
//! An empty variable counts as unset (as shells and `module` leave them).

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;
use std::time::Duration;

/// `VIRTUAL_ENV`: the active virtual environment; its `bin/python` is found first.
pub const VIRTUAL_ENV: &str = "VIRTUAL_ENV";
/// `EBROOTPYTHON`: the install prefix of the loaded EasyBuild `python` module.
pub const EBROOTPYTHON: &str = "EBROOTPYTHON";
/// `PYTHON_DIRS`: colon-separated globs of module trees whose children are named like `3.11.5`.
pub const PYTHON_DIRS: &str = "PYTHON_DIRS";
/// `PATH`: searched for `python3.X` and `python3` executables; passed to the probe.
pub const PATH: &str = "PATH";
/// `PYTHONPATH`: passed to the probe (the site's `_manylinux.py` and module packages live there).
pub const PYTHONPATH: &str = "PYTHONPATH";
/// `LD_LIBRARY_PATH`: passed to the probe, so module interpreters that need it can start.
pub const LD_LIBRARY_PATH: &str = "LD_LIBRARY_PATH";
/// `HOME`: passed to the probe (user site-packages); default cache root `~/.cache/wharf`.
pub const HOME: &str = "HOME";
/// `WHARF_CACHE_DIR`: wharf's cache root; wins over `XDG_CACHE_HOME`.
pub const WHARF_CACHE_DIR: &str = "WHARF_CACHE_DIR";
/// `XDG_CACHE_HOME`: the cache root is `$XDG_CACHE_HOME/wharf` when `WHARF_CACHE_DIR` is unset.
pub const XDG_CACHE_HOME: &str = "XDG_CACHE_HOME";
/// `WHARF_NO_CACHE`: set (to anything non-empty), the probe cache is neither read nor written.
pub const WHARF_NO_CACHE: &str = "WHARF_NO_CACHE";

/// How long an interpreter probe may run before the interpreter is killed: 10 s.
pub const DEFAULT_PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// The default module trees of the Alliance (Compute Canada) software stack, used when
/// `PYTHON_DIRS` is unset. Each glob names directories whose children are `3.11.5`-like.
pub const DEFAULT_PYTHON_DIRS: &[&str] = &[
    "/cvmfs/soft.computecanada.ca/easybuild/software/20*/Core/python",
    "/cvmfs/soft.computecanada.ca/easybuild/software/20*/*/Core/python",
    "/cvmfs/soft.computecanada.ca/easybuild/software/20*/*/Compiler/gcccore/python",
];

/// Every environment value that interpreter discovery and probing depend on.
///
/// Build it with [`PythonEnv::from_env`] in a program, or as a literal in tests
/// (`PythonEnv { path: Some("/tmp/x/bin".into()), ..PythonEnv::default() }`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PythonEnv {
    /// `VIRTUAL_ENV`.
    pub virtual_env: Option<PathBuf>,
    /// `EBROOTPYTHON`.
    pub ebrootpython: Option<PathBuf>,
    /// `PYTHON_DIRS`, unsplit (colon-separated globs).
    pub python_dirs: Option<String>,
    /// `PATH`, unsplit.
    pub path: Option<OsString>,
    /// `PYTHONPATH`, unsplit.
    pub pythonpath: Option<OsString>,
    /// `LD_LIBRARY_PATH`, unsplit.
    pub ld_library_path: Option<OsString>,
    /// `HOME`.
    pub home: Option<PathBuf>,
    /// `WHARF_CACHE_DIR`.
    pub wharf_cache_dir: Option<PathBuf>,
    /// `XDG_CACHE_HOME`.
    pub xdg_cache_home: Option<PathBuf>,
    /// `WHARF_NO_CACHE` is set: probes run every time, the probe cache is neither read nor
    /// written. Default: false.
    pub no_cache: bool,
    /// How long one probe may run before the interpreter (and its process group) is killed
    /// and [`ProbeError::Timeout`](crate::ProbeError::Timeout) returned. `None` means
    /// [`DEFAULT_PROBE_TIMEOUT`] (10 s). Not read from the environment.
    pub probe_timeout: Option<Duration>,
}

impl PythonEnv {
    /// The view of a `wharf-env` snapshot (the one read of the process environment).
    pub fn from_env(env: &wharf_env::Env) -> Self {
        Self::from_lookup(|name| env.get_os(name).map(OsString::from))
    }

    /// Builds the struct from any lookup function (`name -> value`); empty values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<OsString>) -> Self {
        let get = |name: &str| lookup(name).filter(|value| !value.is_empty());
        Self {
            virtual_env: get(VIRTUAL_ENV).map(PathBuf::from),
            ebrootpython: get(EBROOTPYTHON).map(PathBuf::from),
            python_dirs: get(PYTHON_DIRS).map(|value| value.to_string_lossy().into_owned()),
            path: get(PATH),
            pythonpath: get(PYTHONPATH),
            ld_library_path: get(LD_LIBRARY_PATH),
            home: get(HOME).map(PathBuf::from),
            wharf_cache_dir: get(WHARF_CACHE_DIR).map(PathBuf::from),
            xdg_cache_home: get(XDG_CACHE_HOME).map(PathBuf::from),
            no_cache: get(WHARF_NO_CACHE).is_some(),
            probe_timeout: None,
        }
    }

    /// The globs of module trees to search: `PYTHON_DIRS` split on `:`, else
    /// [`DEFAULT_PYTHON_DIRS`].
    pub fn module_tree_globs(&self) -> Vec<String> {
        match &self.python_dirs {
            Some(value) => value
                .split(':')
                .filter(|glob| !glob.is_empty())
                .map(str::to_owned)
                .collect(),
            None => DEFAULT_PYTHON_DIRS
                .iter()
                .map(|glob| (*glob).to_owned())
                .collect(),
        }
    }

    /// The probe timeout in effect: [`Self::probe_timeout`], else [`DEFAULT_PROBE_TIMEOUT`].
    pub fn probe_timeout(&self) -> Duration {
        self.probe_timeout.unwrap_or(DEFAULT_PROBE_TIMEOUT)
    }

    /// wharf's cache root: `$WHARF_CACHE_DIR`, else `$XDG_CACHE_HOME/wharf`, else
    /// `$HOME/.cache/wharf`; `None` when none of them is set. It is returned even under
    /// `WHARF_NO_CACHE` (it names the directory); [`Self::probe_cache_dir`] honours that.
    pub fn cache_dir(&self) -> Option<PathBuf> {
        if let Some(dir) = &self.wharf_cache_dir {
            return Some(dir.clone());
        }
        if let Some(dir) = &self.xdg_cache_home {
            return Some(dir.join("wharf"));
        }
        self.home
            .as_ref()
            .map(|home| home.join(".cache").join("wharf"))
    }

    /// Where probe answers are cached: `<cache dir>/interpreters`; `None` under
    /// `WHARF_NO_CACHE` or when no cache root is set.
    pub fn probe_cache_dir(&self) -> Option<PathBuf> {
        if self.no_cache {
            return None;
        }
        self.cache_dir().map(|dir| dir.join("interpreters"))
    }

    /// The explicit environment a Python subprocess gets: `PATH`, `HOME`, `PYTHONPATH` and
    /// `LD_LIBRARY_PATH` when set, nothing else (the caller clears the rest, so the machine's
    /// `PIP_*` and `PYTHON*` settings do not leak in).
    pub fn subprocess_env(&self) -> Vec<(&'static str, &OsStr)> {
        let mut vars = Vec::with_capacity(4);
        if let Some(path) = &self.path {
            vars.push((PATH, path.as_os_str()));
        }
        if let Some(home) = &self.home {
            vars.push((HOME, home.as_os_str()));
        }
        if let Some(pythonpath) = &self.pythonpath {
            vars.push((PYTHONPATH, pythonpath.as_os_str()));
        }
        if let Some(ld_library_path) = &self.ld_library_path {
            vars.push((LD_LIBRARY_PATH, ld_library_path.as_os_str()));
        }
        vars
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_values_are_unset() {
        let env = PythonEnv::from_lookup(|name| match name {
            "VIRTUAL_ENV" => Some(OsString::new()),
            "PYTHON_DIRS" => Some("/a/*:/b".into()),
            "HOME" => Some("/home/me".into()),
            _ => None,
        });
        assert_eq!(env.virtual_env, None);
        assert_eq!(env.module_tree_globs(), vec!["/a/*", "/b"]);
        assert_eq!(
            env.cache_dir(),
            Some(PathBuf::from("/home/me/.cache/wharf"))
        );
    }

    #[test]
    fn cache_dir_precedence() {
        let mut env = PythonEnv {
            home: Some("/h".into()),
            xdg_cache_home: Some("/x".into()),
            ..PythonEnv::default()
        };
        assert_eq!(env.cache_dir(), Some(PathBuf::from("/x/wharf")));
        env.wharf_cache_dir = Some("/w".into());
        assert_eq!(env.cache_dir(), Some(PathBuf::from("/w")));
        assert_eq!(PythonEnv::default().cache_dir(), None);
    }

    #[test]
    fn no_cache_disables_the_probe_cache() {
        let env = PythonEnv::from_lookup(|name| match name {
            "WHARF_CACHE_DIR" => Some("/w".into()),
            "WHARF_NO_CACHE" => Some("1".into()),
            _ => None,
        });
        assert!(env.no_cache);
        assert_eq!(env.probe_cache_dir(), None);
        let env = PythonEnv {
            no_cache: false,
            ..env
        };
        assert_eq!(
            env.probe_cache_dir(),
            Some(PathBuf::from("/w/interpreters"))
        );
    }

    #[test]
    fn default_module_trees_when_unset() {
        assert_eq!(PythonEnv::default().module_tree_globs().len(), 3);
    }
}
