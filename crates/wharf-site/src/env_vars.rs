//! The site's view of the environment variables (declared and read once in `wharf-env`).
//!
//! [`SiteEnv`] is built from a [`wharf_env::Env`] snapshot by [`SiteEnv::from_env`]; tests
//! build one by hand. Empty variables are unset (the rule of `wharf-env`): `VIRTUAL_ENV=` and
//! `PIP_CONFIG_FILE=` mean "not set".

use std::ffi::OsString;
use std::path::PathBuf;

pub use wharf_env::{DEFAULT_PYTHON_DIRS, DEFAULT_WHEELHOUSE, Env, EnvVars};

/// The variables that shape the site: wheelhouse, pip config, module Pythons, Slurm. `None`
/// means unset (or empty).
#[derive(Clone, Debug, Default)]
pub struct SiteEnv {
    /// [`EnvVars::WHEELHOUSE`].
    pub wheelhouse: Option<PathBuf>,
    /// [`EnvVars::PIP_CONFIG_FILE`].
    pub pip_config_file: Option<PathBuf>,
    /// [`EnvVars::PYTHON_DIRS`].
    pub python_dirs: Option<String>,
    /// [`EnvVars::EBVERSIONPYTHON`].
    pub ebversionpython: Option<String>,
    /// [`EnvVars::EBROOTPYTHON`].
    pub ebrootpython: Option<PathBuf>,
    /// [`EnvVars::VIRTUAL_ENV`].
    pub virtual_env: Option<PathBuf>,
    /// [`EnvVars::EBVERSIONGENTOO`].
    pub ebversiongentoo: Option<String>,
    /// [`EnvVars::RSNT_ARCH`].
    pub rsnt_arch: Option<String>,
    /// [`EnvVars::SLURM_CPUS_PER_TASK`].
    pub slurm_cpus_per_task: Option<String>,
    /// [`EnvVars::SLURM_TMPDIR`].
    pub slurm_tmpdir: Option<PathBuf>,
    /// [`EnvVars::NO_COLOR`] is set.
    pub no_color: bool,
    /// `PATH`, for interpreter discovery.
    pub path: Option<OsString>,
    /// The cache root ([`Env::cache_dir`]): `None` when none is set or
    /// [`EnvVars::WHARF_NO_CACHE`] is.
    pub cache_dir: Option<PathBuf>,
    /// The whole snapshot, for `${VAR}` references in requirements files (pip's rule) and
    /// pip's `PIP_*` settings.
    pub vars: Env,
}

impl SiteEnv {
    /// The view of `env`.
    pub fn from_env(env: &Env) -> Self {
        Self {
            wheelhouse: env.path(EnvVars::WHEELHOUSE),
            pip_config_file: env.path(EnvVars::PIP_CONFIG_FILE),
            python_dirs: env.get(EnvVars::PYTHON_DIRS),
            ebversionpython: env.get(EnvVars::EBVERSIONPYTHON),
            ebrootpython: env.path(EnvVars::EBROOTPYTHON),
            virtual_env: env.path(EnvVars::VIRTUAL_ENV),
            ebversiongentoo: env.get(EnvVars::EBVERSIONGENTOO),
            rsnt_arch: env.get(EnvVars::RSNT_ARCH),
            slurm_cpus_per_task: env.get(EnvVars::SLURM_CPUS_PER_TASK),
            slurm_tmpdir: env.path(EnvVars::SLURM_TMPDIR),
            no_color: env.is_set(EnvVars::NO_COLOR),
            path: env.get_os(EnvVars::PATH).map(OsString::from),
            cache_dir: env.cache_dir(),
            vars: env.clone(),
        }
    }

    /// Where the catalogue index lives (`CACHE/catalogue-v1`), unless caching is off.
    pub fn catalogue_index_dir(&self) -> Option<PathBuf> {
        self.cache_dir.as_ref().map(|c| c.join("catalogue-v1"))
    }

    /// Any variable by name, for `${VAR}` references inside requirements files (pip's
    /// rule), from the snapshot.
    pub fn lookup(&self, name: &str) -> Option<String> {
        self.vars.get(name)
    }

    /// The wheelhouse root: [`EnvVars::WHEELHOUSE`] or [`DEFAULT_WHEELHOUSE`].
    pub fn wheelhouse(&self) -> PathBuf {
        self.wheelhouse
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_WHEELHOUSE))
    }

    /// The module-tree globs: [`EnvVars::PYTHON_DIRS`] or [`DEFAULT_PYTHON_DIRS`].
    pub fn python_dirs(&self) -> &str {
        self.python_dirs.as_deref().unwrap_or(DEFAULT_PYTHON_DIRS)
    }

    /// Worker threads: [`EnvVars::SLURM_CPUS_PER_TASK`] when it is a positive integer, capped by
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

    /// The Gentoo layer year from [`EnvVars::EBVERSIONGENTOO`], when it is an integer.
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
