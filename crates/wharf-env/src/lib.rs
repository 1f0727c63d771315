//! Every environment variable wharf reads, declared once and read once.
//!
//! On a cluster, behaviour driven by the environment is where surprises hide: a module sets
//! `PIP_CONFIG_FILE`, a job sets `SLURM_CPUS_PER_TASK`, a half-unloaded module leaves
//! `VIRTUAL_ENV=` behind. So the process environment is read in exactly one place,
//! [`Env::from_process`], into a snapshot; every crate above receives an [`Env`] (or a view
//! built from it) and tests build one by hand with [`Env::from_pairs`]. No other code in
//! wharf calls `std::env::var`.
//!
//! One rule for values: **an empty variable is unset** (`VIRTUAL_ENV=`, `PYTHONPATH=`,
//! `PIP_CONFIG_FILE=` all mean "not set"), as shells and `module unload` leave them.
//!
//! The names are constants of [`EnvVars`], each with a doc line saying who sets it and what
//! wharf does with it (the model is uv's `uv-static::EnvVars`).

#![deny(missing_docs)]

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::path::PathBuf;
use std::sync::Arc;

/// The names of every environment variable wharf reads, with what each one does.
#[derive(Debug, Clone, Copy)]
pub struct EnvVars;

impl EnvVars {
    // --- The site (set by the module system) ---
    /// Root of the site wheelhouse, ex) `/cvmfs/soft.computecanada.ca/custom/python/wheelhouse`.
    /// Default: [`DEFAULT_WHEELHOUSE`].
    pub const WHEELHOUSE: &'static str = "WHEELHOUSE";
    /// Colon-separated globs of directories whose children (`3.11.5`, …) are the Python
    /// versions installed as modules. Default: [`DEFAULT_PYTHON_DIRS`].
    pub const PYTHON_DIRS: &'static str = "PYTHON_DIRS";
    /// Version of the loaded `python` module, ex) `3.11.5`.
    pub const EBVERSIONPYTHON: &'static str = "EBVERSIONPYTHON";
    /// Install prefix of the loaded `python` module; its `bin/python3` is the module's
    /// interpreter.
    pub const EBROOTPYTHON: &'static str = "EBROOTPYTHON";
    /// Gentoo compatibility layer year of the loaded `StdEnv`, ex) `2023`; 2023 and later
    /// name archs `x86-64-v3`, `x86-64-v4`, `generic`.
    pub const EBVERSIONGENTOO: &'static str = "EBVERSIONGENTOO";
    /// CPU architecture of the node, ex) `avx2` (`sse3`, `avx`, `avx2`, `avx512`).
    pub const RSNT_ARCH: &'static str = "RSNT_ARCH";
    /// The loaded environment modules (set by Lmod and Environment Modules), colon-separated
    /// `name/version`, ex) `StdEnv/2023:gcccore/.12.3:python/3.11.5`; `wharf doctor` reads
    /// which Python module is loaded from it.
    pub const LOADEDMODULES: &'static str = "LOADEDMODULES";
    /// The modulefiles of the loaded modules, colon-separated, in the order of
    /// [`EnvVars::LOADEDMODULES`], ex) `/cvmfs/…/modules/…/python/3.11.5.lua`; `wharf doctor`
    /// reads them to tell a module's `PYTHONPATH` entries from those set by hand.
    pub const LMFILES: &'static str = "_LMFILES_";

    // --- Python ---
    /// The active virtual environment (set by `activate`); wins over the loaded module.
    pub const VIRTUAL_ENV: &'static str = "VIRTUAL_ENV";
    /// Directories searched for `python3.X` and `python3`; passed to interpreter probes.
    pub const PATH: &'static str = "PATH";
    /// Passed to interpreter probes: the site's `_manylinux.py` and modules' packages
    /// (scipy-stack, arrow) live there.
    pub const PYTHONPATH: &'static str = "PYTHONPATH";
    /// Passed to interpreter probes, so module interpreters that need it can start.
    pub const LD_LIBRARY_PATH: &'static str = "LD_LIBRARY_PATH";
    /// The user's home: user site-packages, and the default cache root `~/.cache/wharf`.
    pub const HOME: &'static str = "HOME";
    /// Set (non-empty): Python does not add the user site-packages
    /// (`~/.local/lib/pythonX.Y/site-packages`) to `sys.path`; `wharf doctor` then ignores
    /// `--user` installs.
    pub const PYTHONNOUSERSITE: &'static str = "PYTHONNOUSERSITE";
    /// The user base of `pip install --user` (default `~/.local`); `wharf doctor` looks for
    /// user site-packages under it.
    pub const PYTHONUSERBASE: &'static str = "PYTHONUSERBASE";

    // --- pip's own settings, read with pip's meaning (command line ▸ these ▸ config file) ---
    /// The pip configuration file set by the `StdEnv` module; its `[install]` / `[wheel]`
    /// `find-links` line lists the wheel directories in priority order.
    pub const PIP_CONFIG_FILE: &'static str = "PIP_CONFIG_FILE";
    /// pip's `--find-links`: space-separated directories, in priority order.
    pub const PIP_FIND_LINKS: &'static str = "PIP_FIND_LINKS";
    /// pip's `--no-index` (a boolean: `1`, `true`, `yes`, `on`).
    pub const PIP_NO_INDEX: &'static str = "PIP_NO_INDEX";
    /// pip's `--constraint`: space-separated constraints files.
    pub const PIP_CONSTRAINT: &'static str = "PIP_CONSTRAINT";
    /// pip's `--require-virtualenv` (boolean): refuse to act outside a virtual environment.
    pub const PIP_REQUIRE_VIRTUALENV: &'static str = "PIP_REQUIRE_VIRTUALENV";
    /// pip's `--prefer-binary` (boolean; wharf installs only wheels, so it is always true).
    pub const PIP_PREFER_BINARY: &'static str = "PIP_PREFER_BINARY";
    /// pip's `--pre` (boolean): allow pre-release versions.
    pub const PIP_PRE: &'static str = "PIP_PRE";
    /// pip's `--no-deps` (boolean).
    pub const PIP_NO_DEPS: &'static str = "PIP_NO_DEPS";
    /// pip's `--user` (boolean): refused by `wharf install`, as `--user` is (wharf installs
    /// into virtual environments only).
    pub const PIP_USER: &'static str = "PIP_USER";
    /// pip's `--require-hashes` (boolean): hash-checking mode for every install.
    pub const PIP_REQUIRE_HASHES: &'static str = "PIP_REQUIRE_HASHES";
    /// pip's `--upgrade` (boolean).
    pub const PIP_UPGRADE: &'static str = "PIP_UPGRADE";
    /// pip's `--force-reinstall` (boolean).
    pub const PIP_FORCE_REINSTALL: &'static str = "PIP_FORCE_REINSTALL";
    /// pip's `--no-cache-dir` (boolean): wharf then uses no wheel cache.
    pub const PIP_NO_CACHE_DIR: &'static str = "PIP_NO_CACHE_DIR";
    /// pip's `--index-url`: the simple index `wharf download` reads. Default: PyPI.
    pub const PIP_INDEX_URL: &'static str = "PIP_INDEX_URL";
    /// pip's `--extra-index-url`: space-separated further indexes for `wharf download`.
    pub const PIP_EXTRA_INDEX_URL: &'static str = "PIP_EXTRA_INDEX_URL";
    /// pip's `--cert`: a PEM bundle of the CAs `wharf download` trusts (before `SSL_CERT_FILE`).
    pub const PIP_CERT: &'static str = "PIP_CERT";
    /// pip's `--proxy` for `wharf download` (before `HTTPS_PROXY`).
    pub const PIP_PROXY: &'static str = "PIP_PROXY";
    /// pip's `--retries` for `wharf download`: retries after the first attempt (default 5).
    pub const PIP_RETRIES: &'static str = "PIP_RETRIES";
    /// pip's `--timeout` for `wharf download`, in seconds (default 15).
    pub const PIP_TIMEOUT: &'static str = "PIP_TIMEOUT";
    /// pip's `--default-timeout` spelling of `PIP_TIMEOUT` (read when that one is unset).
    pub const PIP_DEFAULT_TIMEOUT: &'static str = "PIP_DEFAULT_TIMEOUT";

    // --- Network (wharf download) ---
    /// OpenSSL's CA bundle (PEM), trusted by `wharf download` when `PIP_CERT`/`--cert` are
    /// unset; otherwise the Mozilla roots built into wharf.
    pub const SSL_CERT_FILE: &'static str = "SSL_CERT_FILE";
    /// requests' CA bundle (PEM), read after `SSL_CERT_FILE`.
    pub const REQUESTS_CA_BUNDLE: &'static str = "REQUESTS_CA_BUNDLE";
    /// The proxy for HTTPS requests of `wharf download`. Ex) `http://proxy:3128`
    pub const HTTPS_PROXY: &'static str = "HTTPS_PROXY";
    /// Lowercase spelling of `HTTPS_PROXY` (read after it).
    pub const HTTPS_PROXY_LOWER: &'static str = "https_proxy";
    /// The proxy for plain HTTP requests (read after the HTTPS ones).
    pub const HTTP_PROXY: &'static str = "HTTP_PROXY";
    /// Lowercase spelling of `HTTP_PROXY`.
    pub const HTTP_PROXY_LOWER: &'static str = "http_proxy";
    /// Comma-separated hosts reached without the proxy. Ex) `localhost,.cluster.local`
    pub const NO_PROXY: &'static str = "NO_PROXY";
    /// Lowercase spelling of `NO_PROXY`.
    pub const NO_PROXY_LOWER: &'static str = "no_proxy";

    // --- Slurm ---
    /// CPUs granted to the Slurm task: wharf never uses more threads than this.
    pub const SLURM_CPUS_PER_TASK: &'static str = "SLURM_CPUS_PER_TASK";
    /// Node-local scratch directory of a Slurm job (set by the site's job prolog, not by
    /// Slurm itself); `wharf venv --per-node` creates `$SLURM_TMPDIR/env` on each node, and an
    /// environment under it is filled without the wheel cache unless `WHARF_CACHE_DIR` is set.
    pub const SLURM_TMPDIR: &'static str = "SLURM_TMPDIR";
    /// The job's id, set inside an allocation (`salloc`, `sbatch`, `srun`): `wharf venv
    /// --per-node` runs only when it is set.
    pub const SLURM_JOB_ID: &'static str = "SLURM_JOB_ID";
    /// How many nodes the allocation has: `wharf venv --per-node` starts one task on each.
    pub const SLURM_NNODES: &'static str = "SLURM_NNODES";
    /// The allocation's nodes as a host list, ex) `n[1-2]`: `wharf venv --per-node` names
    /// the nodes that never reported.
    pub const SLURM_JOB_NODELIST: &'static str = "SLURM_JOB_NODELIST";
    /// The node a task runs on (set by slurmd): the name in `wharf venv --per-node`'s report.
    pub const SLURMD_NODENAME: &'static str = "SLURMD_NODENAME";

    // --- wharf ---
    /// wharf's cache root (catalogue index, interpreter probes, unpacked wheels). Default:
    /// `$XDG_CACHE_HOME/wharf`, else `$HOME/.cache/wharf`.
    pub const WHARF_CACHE_DIR: &'static str = "WHARF_CACHE_DIR";
    /// Set (to anything non-empty): read and write no cache at all (catalogue index,
    /// interpreter probes, wheel cache).
    pub const WHARF_NO_CACHE: &'static str = "WHARF_NO_CACHE";
    /// How installed files come from the wheel cache: `clone` (reflinks, else copies),
    /// `hardlink`, `copy`, or `auto` (reflinks where the filesystem has them, else hard
    /// links; the default). `--link-mode` wins.
    pub const WHARF_LINK_MODE: &'static str = "WHARF_LINK_MODE";
    /// Where `wharf tool install` keeps each tool's environment. Default:
    /// `$XDG_DATA_HOME/wharf/tools`, else `~/.local/share/wharf/tools`.
    pub const WHARF_TOOL_DIR: &'static str = "WHARF_TOOL_DIR";
    /// Where `wharf tool install` links tools' executables. Default: `~/.local/bin`.
    pub const WHARF_TOOL_BIN_DIR: &'static str = "WHARF_TOOL_BIN_DIR";
    /// The XDG data root, for the default [`EnvVars::WHARF_TOOL_DIR`].
    pub const XDG_DATA_HOME: &'static str = "XDG_DATA_HOME";
    /// The XDG cache root, used when `WHARF_CACHE_DIR` is unset.
    pub const XDG_CACHE_HOME: &'static str = "XDG_CACHE_HOME";
    /// Any value disables colours (<https://no-color.org>).
    pub const NO_COLOR: &'static str = "NO_COLOR";

    /// Every name above, for documentation and `wharf doctor`.
    pub const ALL: &'static [&'static str] = &[
        Self::WHEELHOUSE,
        Self::PYTHON_DIRS,
        Self::EBVERSIONPYTHON,
        Self::EBROOTPYTHON,
        Self::EBVERSIONGENTOO,
        Self::RSNT_ARCH,
        Self::LOADEDMODULES,
        Self::LMFILES,
        Self::VIRTUAL_ENV,
        Self::PATH,
        Self::PYTHONPATH,
        Self::LD_LIBRARY_PATH,
        Self::HOME,
        Self::PYTHONNOUSERSITE,
        Self::PYTHONUSERBASE,
        Self::PIP_CONFIG_FILE,
        Self::PIP_FIND_LINKS,
        Self::PIP_NO_INDEX,
        Self::PIP_CONSTRAINT,
        Self::PIP_REQUIRE_VIRTUALENV,
        Self::PIP_PREFER_BINARY,
        Self::PIP_PRE,
        Self::PIP_NO_DEPS,
        Self::PIP_REQUIRE_HASHES,
        Self::PIP_USER,
        Self::PIP_UPGRADE,
        Self::PIP_FORCE_REINSTALL,
        Self::PIP_NO_CACHE_DIR,
        Self::PIP_INDEX_URL,
        Self::PIP_EXTRA_INDEX_URL,
        Self::PIP_CERT,
        Self::PIP_PROXY,
        Self::PIP_RETRIES,
        Self::PIP_TIMEOUT,
        Self::PIP_DEFAULT_TIMEOUT,
        Self::SSL_CERT_FILE,
        Self::REQUESTS_CA_BUNDLE,
        Self::HTTPS_PROXY,
        Self::HTTPS_PROXY_LOWER,
        Self::HTTP_PROXY,
        Self::HTTP_PROXY_LOWER,
        Self::NO_PROXY,
        Self::NO_PROXY_LOWER,
        Self::SLURM_CPUS_PER_TASK,
        Self::SLURM_TMPDIR,
        Self::SLURM_JOB_ID,
        Self::SLURM_NNODES,
        Self::SLURM_JOB_NODELIST,
        Self::SLURMD_NODENAME,
        Self::WHARF_CACHE_DIR,
        Self::WHARF_NO_CACHE,
        Self::WHARF_LINK_MODE,
        Self::WHARF_TOOL_DIR,
        Self::WHARF_TOOL_BIN_DIR,
        Self::XDG_DATA_HOME,
        Self::XDG_CACHE_HOME,
        Self::NO_COLOR,
    ];
}

/// The model site's wheelhouse on CVMFS.
pub const DEFAULT_WHEELHOUSE: &str = "/cvmfs/soft.computecanada.ca/custom/python/wheelhouse";
/// The model site's module trees of Python installs (the value `avail_wheels` uses).
pub const DEFAULT_PYTHON_DIRS: &str = "/cvmfs/soft.computecanada.ca/easybuild/software/20*/Core/python:/cvmfs/soft.computecanada.ca/easybuild/software/20*/*/Core/python:/cvmfs/soft.computecanada.ca/easybuild/software/20*/*/Compiler/gcccore/python";

/// A snapshot of the process environment: name ▸ value, empty values dropped.
///
/// Cheap to clone (shared). Build it once in `main` with [`Env::from_process`]; in tests
/// with [`Env::from_pairs`].
#[derive(Clone, Debug, Default)]
pub struct Env {
    vars: Arc<HashMap<OsString, OsString>>,
}

impl Env {
    /// Reads the whole process environment. The only read of `std::env` in wharf.
    pub fn from_process() -> Self {
        Self::from_pairs(std::env::vars_os())
    }

    /// An environment of the given `(name, value)` pairs; empty values count as unset.
    pub fn from_pairs<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<OsString>,
        V: Into<OsString>,
    {
        let vars = pairs
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .filter(|(_, v): &(OsString, OsString)| !v.is_empty())
            .collect();
        Self {
            vars: Arc::new(vars),
        }
    }

    /// The variables whose names start with `prefix`, as `(name, value)` text (lossy), sorted
    /// by name; ex) `with_prefix("PIP_")` for pip's `:env:` configuration.
    pub fn with_prefix(&self, prefix: &str) -> Vec<(String, String)> {
        let mut pairs: Vec<(String, String)> = self
            .vars
            .iter()
            .map(|(name, value)| (name.to_string_lossy(), value.to_string_lossy()))
            .filter(|(name, _)| name.starts_with(prefix))
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect();
        pairs.sort();
        pairs
    }

    /// This environment as pip's isolated mode (`pip --isolated`, pip's `Configuration`) sees
    /// it: no `PIP_*` variable but `PIP_CONFIG_FILE` (which pip still reads, as the last
    /// configuration file), and `PIP_ISOLATED_MODE=1`, which leaves out the user's
    /// configuration files ([`EnvVars`]' readers and `wharf_site::pip_config_paths`).
    #[must_use]
    pub fn pip_isolated(&self) -> Self {
        let mut vars: HashMap<OsString, OsString> = self
            .vars
            .iter()
            .filter(|(name, _)| {
                let name = name.to_string_lossy();
                !name.starts_with("PIP_") || name == "PIP_CONFIG_FILE"
            })
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        vars.insert("PIP_ISOLATED_MODE".into(), "1".into());
        Self {
            vars: Arc::new(vars),
        }
    }

    /// The value of `name`, `None` when unset or empty.
    pub fn get_os(&self, name: &str) -> Option<&OsStr> {
        self.vars.get(OsStr::new(name)).map(OsString::as_os_str)
    }

    /// The value of `name` as text (lossy for non-UTF-8 bytes), `None` when unset or empty.
    pub fn get(&self, name: &str) -> Option<String> {
        self.get_os(name).map(|v| v.to_string_lossy().into_owned())
    }

    /// The value of `name` as a path, `None` when unset or empty.
    pub fn path(&self, name: &str) -> Option<PathBuf> {
        self.get_os(name).map(PathBuf::from)
    }

    /// Whether `name` is set (non-empty).
    pub fn is_set(&self, name: &str) -> bool {
        self.get_os(name).is_some()
    }

    /// A boolean the way pip reads `PIP_*` booleans (`strtobool`): `1 true yes on y t` are
    /// true, `0 false no off n f` are false (any case); `Ok(None)` when unset.
    ///
    /// # Errors
    /// The value is neither: the error names the variable and the value.
    pub fn flag(&self, name: &str) -> Result<Option<bool>, EnvError> {
        let Some(value) = self.get(name) else {
            return Ok(None);
        };
        match value.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" | "y" | "t" => Ok(Some(true)),
            "0" | "false" | "no" | "off" | "n" | "f" => Ok(Some(false)),
            _ => Err(EnvError::NotABoolean {
                name: name.to_string(),
                value,
            }),
        }
    }

    /// A space-separated list (pip's rule for `PIP_FIND_LINKS`, `PIP_CONSTRAINT`); empty when
    /// unset.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.get(name)
            .map(|v| v.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default()
    }

    /// Whether every cache is off ([`EnvVars::WHARF_NO_CACHE`]).
    pub fn no_cache(&self) -> bool {
        self.is_set(EnvVars::WHARF_NO_CACHE)
    }

    /// wharf's cache root: [`EnvVars::WHARF_CACHE_DIR`], else `$XDG_CACHE_HOME/wharf`, else
    /// `$HOME/.cache/wharf`; `None` when none is set or [`EnvVars::WHARF_NO_CACHE`] is.
    /// Every cache of wharf (catalogue index, interpreter probes, wheels) lives under it.
    pub fn cache_dir(&self) -> Option<PathBuf> {
        if self.no_cache() {
            return None;
        }
        self.cache_root()
    }

    /// The cache root ignoring [`EnvVars::WHARF_NO_CACHE`] (for `wharf cache dir`, which
    /// names the directory even when caching is off).
    pub fn cache_root(&self) -> Option<PathBuf> {
        self.path(EnvVars::WHARF_CACHE_DIR)
            .or_else(|| self.path(EnvVars::XDG_CACHE_HOME).map(|x| x.join("wharf")))
            .or_else(|| {
                self.path(EnvVars::HOME)
                    .map(|h| h.join(".cache").join("wharf"))
            })
    }

    /// Where tools' environments live: [`EnvVars::WHARF_TOOL_DIR`], else
    /// `$XDG_DATA_HOME/wharf/tools`, else `$HOME/.local/share/wharf/tools`.
    pub fn tool_dir(&self) -> Option<PathBuf> {
        self.path(EnvVars::WHARF_TOOL_DIR)
            .or_else(|| {
                self.path(EnvVars::XDG_DATA_HOME)
                    .map(|d| d.join("wharf").join("tools"))
            })
            .or_else(|| {
                self.path(EnvVars::HOME)
                    .map(|h| h.join(".local").join("share").join("wharf").join("tools"))
            })
    }

    /// Where tools' executables are linked: [`EnvVars::WHARF_TOOL_BIN_DIR`], else
    /// `$HOME/.local/bin`.
    pub fn tool_bin_dir(&self) -> Option<PathBuf> {
        self.path(EnvVars::WHARF_TOOL_BIN_DIR).or_else(|| {
            self.path(EnvVars::HOME)
                .map(|h| h.join(".local").join("bin"))
        })
    }

    /// Worker threads: [`EnvVars::SLURM_CPUS_PER_TASK`] when it is a positive integer, capped
    /// by the CPUs the OS reports; otherwise the CPUs the OS reports.
    pub fn threads(&self) -> usize {
        let available = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        match self
            .get(EnvVars::SLURM_CPUS_PER_TASK)
            .and_then(|v| v.trim().parse::<usize>().ok())
        {
            Some(n) if n > 0 => n.min(available),
            _ => available,
        }
    }
}

/// A variable whose value cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvError {
    /// A boolean variable with another value, ex) `PIP_NO_INDEX=maybe`.
    NotABoolean {
        /// The variable.
        name: String,
        /// Its value.
        value: String,
    },
}

impl std::fmt::Display for EnvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotABoolean { name, value } => write!(
                f,
                "environment variable {name}=`{value}` is not a boolean (use 1/0, true/false, yes/no, on/off)"
            ),
        }
    }
}

impl std::error::Error for EnvError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_values_are_unset() {
        let env = Env::from_pairs([("VIRTUAL_ENV", ""), ("PYTHONPATH", ""), ("HOME", "/h")]);
        assert_eq!(env.get(EnvVars::VIRTUAL_ENV), None);
        assert!(!env.is_set(EnvVars::PYTHONPATH));
        assert_eq!(env.path("HOME"), Some(PathBuf::from("/h")));
    }

    #[test]
    fn cache_dir_precedence_and_no_cache() {
        let env = Env::from_pairs([("HOME", "/h"), ("XDG_CACHE_HOME", "/x")]);
        assert_eq!(env.cache_dir(), Some(PathBuf::from("/x/wharf")));
        let env = Env::from_pairs([("HOME", "/h"), ("WHARF_CACHE_DIR", "/w")]);
        assert_eq!(env.cache_dir(), Some(PathBuf::from("/w")));
        let env = Env::from_pairs([("HOME", "/h")]);
        assert_eq!(env.cache_dir(), Some(PathBuf::from("/h/.cache/wharf")));
        let env = Env::from_pairs([("HOME", "/h"), ("WHARF_NO_CACHE", "1")]);
        assert_eq!(env.cache_dir(), None);
        assert_eq!(env.cache_root(), Some(PathBuf::from("/h/.cache/wharf")));
        // An empty WHARF_NO_CACHE is unset, like every other variable.
        let env = Env::from_pairs([("HOME", "/h"), ("WHARF_NO_CACHE", "")]);
        assert!(env.cache_dir().is_some());
    }

    #[test]
    fn flags_read_like_pip() {
        let env = Env::from_pairs([("A", "Yes"), ("B", "0"), ("C", "maybe")]);
        assert_eq!(env.flag("A"), Ok(Some(true)));
        assert_eq!(env.flag("B"), Ok(Some(false)));
        assert_eq!(env.flag("D"), Ok(None));
        let err = env.flag("C").unwrap_err();
        assert!(err.to_string().contains("C=`maybe`"), "{err}");
    }

    #[test]
    fn lists_split_on_whitespace() {
        let env = Env::from_pairs([("PIP_FIND_LINKS", " /a  /b\t/c ")]);
        assert_eq!(env.list(EnvVars::PIP_FIND_LINKS), ["/a", "/b", "/c"]);
        assert!(env.list(EnvVars::PIP_CONSTRAINT).is_empty());
    }

    #[test]
    fn threads_respect_slurm() {
        assert_eq!(Env::from_pairs([("SLURM_CPUS_PER_TASK", "1")]).threads(), 1);
        assert!(Env::from_pairs([("SLURM_CPUS_PER_TASK", "zero")]).threads() >= 1);
    }
}
