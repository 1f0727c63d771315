//! The backend's hooks, called through the shim (`shim.py`) in a subprocess of the build
//! environment's interpreter, in the source tree, with the output appended to the build log.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::{BuildError, SourceTree};

const SHIM: &str = include_str!("shim.py");
/// Lines of the backend's output shown when a hook fails.
const TAIL_LINES: usize = 15;

/// What to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BuildKind {
    /// A regular wheel (`build_wheel`).
    Wheel,
    /// An editable wheel (`build_editable`, PEP 660).
    Editable,
}

impl BuildKind {
    /// `wheel` or `editable`, as in the hooks' names.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Wheel => "wheel",
            Self::Editable => "editable",
        }
    }
}

/// The hooks of one source tree's backend, run by one interpreter.
#[derive(Debug, Clone)]
pub struct Hooks {
    /// The interpreter of the build environment. Ex) `/tmp/build-env/bin/python`
    pub python: PathBuf,
    /// The source tree.
    pub tree: SourceTree,
    /// The build log (created or appended to).
    pub log: PathBuf,
    /// Environment variables for the backend (the caller's clean environment); PATH, HOME
    /// and `PYTHON*` are taken from it, nothing else leaks in.
    pub env: BTreeMap<OsString, OsString>,
    /// `config_settings` for the hooks (`-C KEY=VALUE`).
    pub config_settings: BTreeMap<String, String>,
}

impl Hooks {
    /// `get_requires_for_build_wheel` / `_editable`: extra requirements of the build.
    ///
    /// Errors: [`BuildError::HookFailed`], [`BuildError::Io`].
    pub fn get_requires(&self, kind: BuildKind) -> Result<Vec<String>, BuildError> {
        let hook = format!("get_requires_for_build_{}", kind.as_str());
        let value = self.call(
            &hook,
            &serde_json::json!({ "config_settings": self.settings() }),
        )?;
        Ok(value
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|i| i.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// `build_wheel` / `build_editable` into `out_dir`: the built wheel's path.
    ///
    /// Errors: [`BuildError::HookFailed`], [`BuildError::NoEditableHook`],
    /// [`BuildError::NoWheel`], [`BuildError::Io`].
    pub fn build(&self, kind: BuildKind, out_dir: &Path) -> Result<PathBuf, BuildError> {
        let hook = format!("build_{}", kind.as_str());
        let result = self.call(
            &hook,
            &serde_json::json!({
                "wheel_directory": out_dir,
                "config_settings": self.settings(),
            }),
        );
        let value = match result {
            Err(BuildError::HookFailed { status, .. })
                if kind == BuildKind::Editable && status == Some(3) =>
            {
                return Err(BuildError::NoEditableHook {
                    backend: self.tree.build_system.backend.clone(),
                    source_dir: self.tree.path.clone(),
                });
            }
            other => other?,
        };
        let returned = value.as_str().unwrap_or_default().to_string();
        let wheel = out_dir.join(&returned);
        if returned.is_empty()
            || !returned.ends_with(".whl")
            || returned.contains('/')
            || !wheel.is_file()
        {
            return Err(BuildError::NoWheel {
                backend: self.tree.build_system.backend.clone(),
                returned: value.to_string(),
                directory: out_dir.to_path_buf(),
            });
        }
        Ok(wheel)
    }

    fn settings(&self) -> serde_json::Value {
        if self.config_settings.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::to_value(&self.config_settings).unwrap_or_default()
        }
    }

    /// Runs `hook` with keyword `arguments`: its JSON result.
    fn call(
        &self,
        hook: &str,
        arguments: &serde_json::Value,
    ) -> Result<serde_json::Value, BuildError> {
        let scratch = tempfile::tempdir().map_err(|source| BuildError::Io {
            action: "cannot create a temporary directory for",
            path: self.tree.path.clone(),
            source,
        })?;
        let shim = scratch.path().join("wharf_build_shim.py");
        let result = scratch.path().join("result.json");
        let io = |action, path: &Path| {
            let path = path.to_path_buf();
            move |source| BuildError::Io {
                action,
                path,
                source,
            }
        };
        fs_err::write(&shim, SHIM).map_err(io("cannot write", &shim))?;
        let mut log = fs_err::OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(&self.log)
            .map_err(io("cannot open the build log", &self.log))?;
        let start = log
            .seek(SeekFrom::End(0))
            .map_err(io("cannot write the build log", &self.log))?;
        {
            use std::io::Write;
            writeln!(
                log,
                "$ {} {hook} ({})",
                self.python.display(),
                self.tree.path.display()
            )
            .map_err(io("cannot write the build log", &self.log))?;
        }
        let stdout = log
            .file()
            .try_clone()
            .map_err(io("cannot write the build log", &self.log))?;
        let stderr = log
            .file()
            .try_clone()
            .map_err(io("cannot write the build log", &self.log))?;
        let backend_path = std::env::join_paths(
            self.tree
                .build_system
                .backend_path
                .iter()
                .map(|p| self.tree.path.join(p)),
        )
        .unwrap_or_default();
        let status = Command::new(&self.python)
            .arg(&shim)
            .arg(hook)
            .arg(&result)
            .arg(arguments.to_string())
            .current_dir(&self.tree.path)
            .env_clear()
            .envs(&self.env)
            .env("WHARF_BUILD_BACKEND", &self.tree.build_system.backend)
            .env("WHARF_BUILD_BACKEND_PATH", backend_path)
            .env("PYTHONNOUSERSITE", "1")
            .env_remove("PYTHONHOME")
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .status()
            .map_err(io("cannot run", &self.python))?;
        if !status.success() {
            let mut text = String::new();
            log.seek(SeekFrom::Start(start))
                .and_then(|_| log.read_to_string(&mut text))
                .map_err(io("cannot read the build log", &self.log))?;
            let lines: Vec<&str> = text.lines().skip(1).collect();
            let tail = lines[lines.len().saturating_sub(TAIL_LINES)..]
                .iter()
                .map(|l| format!("  | {l}"))
                .collect::<Vec<_>>()
                .join("\n");
            return Err(BuildError::HookFailed {
                backend: self.tree.build_system.backend.clone(),
                hook: hook.to_string(),
                source_dir: self.tree.path.clone(),
                status: status.code(),
                tail: tail.into(),
                log: self.log.clone(),
            });
        }
        let text = fs_err::read_to_string(&result).map_err(io("cannot read", &result))?;
        serde_json::from_str(&text).map_err(|e| BuildError::Io {
            action: "invalid hook result in",
            path: result.clone(),
            source: std::io::Error::other(e),
        })
    }

    /// Unpacks the sdist `archive` into `dest` with the interpreter's `tarfile`/`zipfile`
    /// (the `data` filter where the Python has it).
    ///
    /// Errors: [`BuildError::HookFailed`], [`BuildError::Io`].
    pub fn unpack(&self, archive: &Path, dest: &Path) -> Result<(), BuildError> {
        self.call(
            "unpack",
            &serde_json::json!({ "archive": archive, "dest": dest }),
        )?;
        Ok(())
    }
}
