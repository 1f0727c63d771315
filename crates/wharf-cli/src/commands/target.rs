//! The environment a command acts on (`--python`, else `$VIRTUAL_ENV`), probed once.

use std::path::{Path, PathBuf};

use wharf_install::{InstalledDist, Layout, SitePackages};
use wharf_python::{InterpreterInfo, PythonEnv};
use wharf_site::SiteEnv;

/// A command-level failure: the message, an optional hint, and the exit status class.
#[derive(Debug)]
pub struct CommandError {
    /// What went wrong, naming the bad input.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
    /// 1 (cannot be satisfied) or 2 (usage / internal).
    pub status: crate::ExitStatus,
}

impl CommandError {
    /// A usage error (exit 2).
    pub fn usage(message: impl Into<String>, hint: Option<String>) -> Self {
        Self {
            message: message.into(),
            hint,
            status: crate::ExitStatus::Error,
        }
    }

    /// An unsatisfiable request (exit 1).
    pub fn failure(message: impl Into<String>, hint: Option<String>) -> Self {
        Self {
            message: message.into(),
            hint,
            status: crate::ExitStatus::Failure,
        }
    }

    /// From any error with its cause chain.
    pub fn from_error(
        error: &(dyn std::error::Error + 'static),
        hint: Option<String>,
        status: crate::ExitStatus,
    ) -> Self {
        let mut message = error.to_string();
        let mut source = error.source();
        while let Some(cause) = source {
            message.push_str(&format!("\n  Caused by: {cause}"));
            source = cause.source();
        }
        Self {
            message,
            hint,
            status,
        }
    }

    /// Prints it and returns its status.
    pub fn report(self, printer: crate::Printer) -> crate::ExitStatus {
        printer.error_message(&self.message);
        if let Some(hint) = &self.hint {
            printer.hint(hint);
        }
        self.status
    }
}

/// A virtual environment to act on.
#[derive(Debug)]
pub struct Target {
    /// The environment's interpreter (`ENV/bin/python`, not resolved).
    pub python: PathBuf,
    /// The probe of that interpreter.
    pub info: InterpreterInfo,
    /// Where wheels go.
    pub layout: Layout,
}

impl Target {
    /// `--python PATH|DIR`, else `$VIRTUAL_ENV`; refuses anything that is not a venv.
    pub fn find(
        python: Option<&Path>,
        site: &SiteEnv,
        python_env: &PythonEnv,
    ) -> Result<Self, CommandError> {
        let given = python
            .map(Path::to_path_buf)
            .or_else(|| site.virtual_env.clone());
        let Some(given) = given else {
            return Err(CommandError::usage(
                "no virtual environment to act on: `--python` is not given and VIRTUAL_ENV is not set",
                Some("create one with `wharf venv ENV` and `source ENV/bin/activate`, or pass `--python ENV`; wharf never installs into the system or `~/.local`".to_string()),
            ));
        };
        let executable = if given.is_dir() {
            given.join("bin").join("python")
        } else {
            given.clone()
        };
        if !executable.exists() {
            return Err(CommandError::usage(
                format!(
                    "`{}` has no interpreter (`{}` does not exist)",
                    given.display(),
                    executable.display()
                ),
                Some("pass a virtual environment directory or its `bin/python`".to_string()),
            ));
        }
        let info = wharf_python::probe(&executable, python_env).map_err(|e| {
            let hint = e.hint();
            CommandError::from_error(&e, hint, crate::ExitStatus::Error)
        })?;
        if !info.is_venv() {
            return Err(CommandError::usage(
                format!("`{}` is not a virtual environment (sys.prefix is the installation `{}`)", executable.display(), info.prefix.display()),
                Some("wharf installs only into virtual environments: `wharf venv ENV --python ...` then `--python ENV`".to_string()),
            ));
        }
        let (major, minor) = info.major_minor();
        let version = (
            u8::try_from(major).unwrap_or(3),
            u8::try_from(minor).unwrap_or(0),
        );
        let prefix = executable
            .parent()
            .and_then(Path::parent)
            .map_or_else(|| info.prefix.clone(), Path::to_path_buf);
        let mut layout = Layout::for_venv(&prefix, version);
        layout.python.clone_from(&executable);
        Ok(Self {
            python: executable,
            info,
            layout,
        })
    }

    /// `(major, minor)` of the interpreter.
    pub fn version(&self) -> (u8, u8) {
        self.layout.python_version
    }

    /// The environment's root.
    pub fn prefix(&self) -> &Path {
        &self.layout.data
    }

    /// Distributions installed in the environment itself.
    pub fn installed_in_env(&self) -> Result<Vec<InstalledDist>, CommandError> {
        let scan = SitePackages::scan([&self.layout.purelib, &self.layout.platlib])
            .map_err(|e| CommandError::from_error(&e, None, crate::ExitStatus::Error))?;
        Ok(scan.dists)
    }

    /// Every distribution importable by the interpreter, in `sys.path` order (first wins), as
    /// `pip list`/`pip freeze` see them; with `local`, only those inside the environment.
    pub fn installed_on_sys_path(&self, local: bool) -> Result<Vec<InstalledDist>, CommandError> {
        let prefix = self.prefix();
        let dirs: Vec<&PathBuf> = self
            .info
            .sys_path
            .iter()
            .filter(|p| !local || p.starts_with(prefix) || p.starts_with(&self.info.prefix))
            .collect();
        let scan = SitePackages::scan(dirs)
            .map_err(|e| CommandError::from_error(&e, None, crate::ExitStatus::Error))?;
        Ok(scan.dists)
    }

    /// Distributions importable from `sys.path` entries outside the environment (a module's
    /// `PYTHONPATH`), first on `sys.path` wins; the environment's own directories are not
    /// read (see [`Target::installed_in_env`]).
    pub fn installed_outside_env(&self) -> Result<Vec<InstalledDist>, CommandError> {
        let prefix = self.prefix();
        let dirs = self
            .info
            .sys_path
            .iter()
            .filter(|p| !p.starts_with(prefix) && !p.starts_with(&self.info.prefix));
        let scan = SitePackages::scan(dirs)
            .map_err(|e| CommandError::from_error(&e, None, crate::ExitStatus::Error))?;
        Ok(scan.dists)
    }
}
