//! Why a build could not run, each with the fix.

use std::path::PathBuf;

/// A build failure. Nothing is installed when a build fails.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The path given as a requirement does not exist.
    #[error("`{}` does not exist", path.display())]
    PathNotFound {
        /// The path.
        path: PathBuf,
    },
    /// A directory holds no Python project.
    #[error("`{}` is not a Python project: it has neither `pyproject.toml` nor `setup.py`", path.display())]
    NotAProject {
        /// The directory.
        path: PathBuf,
    },
    /// `pyproject.toml` is not valid TOML, or a `[build-system]` key has the wrong type.
    #[error("`{}` line {line}: {message}", path.display())]
    Pyproject {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// The key at fault, ex) `build-system.requires` (empty for a syntax error).
        key: String,
        /// What is wrong.
        message: String,
    },
    /// A build hook failed (the backend raised, or was not importable).
    #[error("the build backend `{backend}` failed in `{hook}` for `{}` ({})\n{tail}", source_dir.display(), status.map_or_else(|| "killed by a signal".to_string(), |c| format!("exit status {c}")))]
    HookFailed {
        /// The backend, ex) `setuptools.build_meta`.
        backend: String,
        /// The hook, ex) `build_wheel`.
        hook: String,
        /// The source tree.
        source_dir: PathBuf,
        /// The shim's exit status (`None`: killed by a signal).
        status: Option<i32>,
        /// The last lines of the backend's output, indented.
        tail: Box<str>,
        /// The whole log.
        log: PathBuf,
    },
    /// The backend has no `build_editable` hook (PEP 660).
    #[error("the build backend `{backend}` of `{}` does not support editable installs (no `build_editable` hook, PEP 660)", source_dir.display())]
    NoEditableHook {
        /// The backend.
        backend: String,
        /// The source tree.
        source_dir: PathBuf,
    },
    /// The hook did not produce the wheel it named.
    #[error("the build backend `{backend}` returned `{returned}`, which is not a wheel in `{}`", directory.display())]
    NoWheel {
        /// The backend.
        backend: String,
        /// What the hook returned.
        returned: String,
        /// Where the wheel should be.
        directory: PathBuf,
    },
    /// The interpreter could not be run, or a file could not be read or written.
    #[error("{action} `{}`", path.display())]
    Io {
        /// What was being done, ex) `cannot run`.
        action: &'static str,
        /// The file or program.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

impl BuildError {
    /// How to fix it.
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::PathNotFound { .. } => Some(
                "a requirement that looks like a path (`./x`, `x.whl`, `x.tar.gz`) must exist; to install by name, drop the path"
                    .to_string(),
            ),
            Self::NotAProject { path } => Some(format!(
                "pass the directory that holds `pyproject.toml` (or `setup.py`), not `{}`",
                path.display()
            )),
            Self::Pyproject { path, key, .. } if !key.is_empty() => Some(format!(
                "fix `{key}` in `{}` (PEP 518: `requires` is a list of requirement strings, `build-backend` a string `module:object`, `backend-path` a list of directories)",
                path.display()
            )),
            Self::Pyproject { path, .. } => Some(format!("fix the TOML syntax of `{}`", path.display())),
            Self::HookFailed { log, .. } => Some(format!(
                "the full build output is in `{}`; nothing was installed",
                log.display()
            )),
            Self::NoEditableHook { .. } => Some(
                "install it without `-e`, or use a backend with PEP 660 support (setuptools>=64, flit_core>=3.4, hatchling)"
                    .to_string(),
            ),
            Self::NoWheel { .. } | Self::Io { .. } => None,
        }
    }
}
