//! Every environment variable wharf reads, declared in one place.
//!
//! The process environment is read once, by [`SiteEnv::from_process`]; everything else
//! receives a `SiteEnv`, so tests build one by hand and nothing reads `std::env` behind
//! the user's back. On a cluster, environment-driven behaviour is where surprises hide.

use std::ffi::OsString;
use std::path::PathBuf;

/// Root of the site wheelhouse. Default: [`DEFAULT_WHEELHOUSE`].
pub const WHEELHOUSE: &str = "WHEELHOUSE";
/// The pip configuration file set by the `StdEnv` module; its `[wheel]` / `[install]`
/// `find-links` line lists the wheel directories in priority order. Unset or empty: walk
/// the wheelhouse.
pub const PIP_CONFIG_FILE: &str = "PIP_CONFIG_FILE";
/// Colon-separated globs of directories whose children (`3.11.5`, …) are the Python
/// versions installed as modules. Default: [`DEFAULT_PYTHON_DIRS`].
pub const PYTHON_DIRS: &str = "PYTHON_DIRS";
/// Version of the loaded `python` module (`3.11.5`), set by the module system.
pub const EBVERSIONPYTHON: &str = "EBVERSIONPYTHON";
/// Install prefix of the loaded `python` module.
pub const EBROOTPYTHON: &str = "EBROOTPYTHON";
/// The active virtual environment (wins over the loaded module).
pub const VIRTUAL_ENV: &str = "VIRTUAL_ENV";
/// Gentoo compatibility layer year of the loaded `StdEnv` (`2020`, `2023`); 2023 and later
/// name archs `x86-64-v3`, `x86-64-v4`, `generic`.
pub const EBVERSIONGENTOO: &str = "EBVERSIONGENTOO";
/// CPU architecture of the node (`sse3`, `avx`, `avx2`, `avx512`).
pub const RSNT_ARCH: &str = "RSNT_ARCH";
/// CPUs granted to the Slurm task: wharf never uses more threads than this.
pub const SLURM_CPUS_PER_TASK: &str = "SLURM_CPUS_PER_TASK";
/// Node-local scratch directory of a Slurm job.
pub const SLURM_TMPDIR: &str = "SLURM_TMPDIR";
/// Any value disables colours (<https://no-color.org>).
pub const NO_COLOR: &str = "NO_COLOR";
/// wharf's cache root (catalogue index, interpreter probes, unpacked wheels). Default:
/// `$XDG_CACHE_HOME/wharf`, else `$HOME/.cache/wharf`.
pub const WHARF_CACHE_DIR: &str = "WHARF_CACHE_DIR";
/// Set (to anything non-empty): do not read or write any cache.
pub const WHARF_NO_CACHE: &str = "WHARF_NO_CACHE";
/// The XDG cache root, used when `WHARF_CACHE_DIR` is unset.
pub const XDG_CACHE_HOME: &str = "XDG_CACHE_HOME";
/// The user's home, for `~/.cache/wharf`.
pub const HOME: &str = "HOME";

/// The model site's wheelhouse on CVMFS.
pub const DEFAULT_WHEELHOUSE: &str = "/cvmfs/soft.computecanada.ca/custom/python/wheelhouse";
/// The model site's module trees of Python installs (the value `avail_wheels` uses).
pub const DEFAULT_PYTHON_DIRS: &str = "/cvmfs/soft.computecanada.ca/easybuild/software/20*/Core/python:/cvmfs/soft.computecanada.ca/easybuild/software/20*/*/Core/python:/cvmfs/soft.computecanada.ca/easybuild/software/20*/*/Compiler/gcccore/python";

/// A snapshot of the environment variables above. `None` means unset; an empty string is
/// kept as given (for `PIP_CONFIG_FILE`, empty means "walk the wheelhouse").
#[derive(Clone, Debug, Default)]
pub struct SiteEnv {
    /// [`WHEELHOUSE`].
    pub wheelhouse: Option<PathBuf>,
    /// [`PIP_CONFIG_FILE`].
    pub pip_config_file: Option<PathBuf>,
    /// [`PYTHON_DIRS`].
    pub python_dirs: Option<String>,
    /// [`EBVERSIONPYTHON`].
    pub ebversionpython: Option<String>,
    /// [`EBROOTPYTHON`].
    pub ebrootpython: Option<PathBuf>,
    /// [`VIRTUAL_ENV`].
    pub virtual_env: Option<PathBuf>,
    /// [`EBVERSIONGENTOO`].
    pub ebversiongentoo: Option<String>,
    /// [`RSNT_ARCH`].
    pub rsnt_arch: Option<String>,
    /// [`SLURM_CPUS_PER_TASK`].
    pub slurm_cpus_per_task: Option<String>,
    /// [`SLURM_TMPDIR`].
    pub slurm_tmpdir: Option<PathBuf>,
    /// [`NO_COLOR`] is set (to anything non-empty).
    pub no_color: bool,
    /// `PATH`, for interpreter discovery.
    pub path: Option<OsString>,
    /// The cache root from [`WHARF_CACHE_DIR`], [`XDG_CACHE_HOME`] or [`HOME`]; `None` when
    /// none is set or [`WHARF_NO_CACHE`] is.
    pub cache_dir: Option<PathBuf>,
}

fn cache_dir() -> Option<PathBuf> {
    let set = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if set(WHARF_NO_CACHE).is_some() {
        return None;
    }
    set(WHARF_CACHE_DIR)
        .map(PathBuf::from)
        .or_else(|| set(XDG_CACHE_HOME).map(|x| PathBuf::from(x).join("wharf")))
        .or_else(|| set(HOME).map(|h| PathBuf::from(h).join(".cache").join("wharf")))
}

fn var(name: &str) -> Option<String> {
    std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
}

impl SiteEnv {
    /// Reads every variable above from the process environment. The only function in
    /// wharf that reads the environment.
    pub fn from_process() -> Self {
        Self {
            wheelhouse: std::env::var_os(WHEELHOUSE).map(PathBuf::from),
            pip_config_file: std::env::var_os(PIP_CONFIG_FILE).map(PathBuf::from),
            python_dirs: var(PYTHON_DIRS),
            ebversionpython: var(EBVERSIONPYTHON),
            ebrootpython: std::env::var_os(EBROOTPYTHON).map(PathBuf::from),
            virtual_env: std::env::var_os(VIRTUAL_ENV).map(PathBuf::from),
            ebversiongentoo: var(EBVERSIONGENTOO),
            rsnt_arch: var(RSNT_ARCH),
            slurm_cpus_per_task: var(SLURM_CPUS_PER_TASK),
            slurm_tmpdir: std::env::var_os(SLURM_TMPDIR).map(PathBuf::from),
            no_color: std::env::var_os(NO_COLOR).is_some_and(|v| !v.is_empty()),
            path: std::env::var_os("PATH"),
            cache_dir: cache_dir(),
        }
    }

    /// Where the catalogue index lives (`CACHE/catalogue-v1`), unless caching is off.
    pub fn catalogue_index_dir(&self) -> Option<PathBuf> {
        self.cache_dir.as_ref().map(|c| c.join("catalogue-v1"))
    }

    /// Any variable by name, for `${VAR}` references inside requirements files (pip's
    /// rule); the one read of arbitrary variables, made on demand.
    pub fn lookup(name: &str) -> Option<String> {
        std::env::var(name).ok()
    }

    /// The wheelhouse root: [`WHEELHOUSE`] or [`DEFAULT_WHEELHOUSE`].
    pub fn wheelhouse(&self) -> PathBuf {
        self.wheelhouse
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_WHEELHOUSE))
    }

    /// The module-tree globs: [`PYTHON_DIRS`] or [`DEFAULT_PYTHON_DIRS`].
    pub fn python_dirs(&self) -> &str {
        self.python_dirs.as_deref().unwrap_or(DEFAULT_PYTHON_DIRS)
    }

    /// Worker threads: [`SLURM_CPUS_PER_TASK`] when it is a positive integer, capped by
    /// the CPUs the OS reports; otherwise the CPUs the OS reports.
    pub fn threads(&self) -> usize {
        let available = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        match self
            .slurm_cpus_per_task
            .as_deref()
            .and_then(|v| v.trim().parse::<usize>().ok())
        {
            Some(n) if n > 0 => n.min(available),
            _ => available,
        }
    }

    /// The Gentoo layer year from [`EBVERSIONGENTOO`], when it is an integer.
    pub fn gentoo_year(&self) -> Option<i64> {
        self.ebversiongentoo.as_deref()?.trim().parse().ok()
    }

    /// The arch directory names of the loaded StdEnv: `x86-64-v3 x86-64-v4 generic` for
    /// Gentoo 2023 and later, else `avx avx2 avx512 generic sse3` (sorted).
    pub fn available_archs(&self) -> &'static [&'static str] {
        if self.gentoo_year().is_some_and(|y| y >= 2023) {
            &["generic", "x86-64-v3", "x86-64-v4"]
        } else {
            &["avx", "avx2", "avx512", "generic", "sse3"]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_respect_slurm() {
        let env = SiteEnv {
            slurm_cpus_per_task: Some("1".into()),
            ..SiteEnv::default()
        };
        assert_eq!(env.threads(), 1);
        let env = SiteEnv {
            slurm_cpus_per_task: Some("zero".into()),
            ..SiteEnv::default()
        };
        assert!(env.threads() >= 1);
    }

    #[test]
    fn archs_follow_gentoo_year() {
        let env = SiteEnv {
            ebversiongentoo: Some("2023".into()),
            ..SiteEnv::default()
        };
        assert!(env.available_archs().contains(&"x86-64-v3"));
        assert!(SiteEnv::default().available_archs().contains(&"avx2"));
    }
}
