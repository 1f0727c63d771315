//! The one error type commands return, and the one place that reports it.
//!
//! A command returns `Result<ExitStatus, Error>`. The error keeps its typed cause chain
//! (printed as `  Caused by: …` lines), carries its hint and its exit status class, and the
//! explanation lines of an unsatisfiable resolution. [`crate::run`] reports it once.

use std::fmt;

use wharf_environment::{Diagnostic, EnvironmentError, OperationError};

use crate::ExitStatus;

/// A failed command: the error with its sources, the fix, the exit status.
#[derive(Debug)]
pub struct Error {
    /// What went wrong; its `source()` chain is the cause.
    pub error: Box<dyn std::error::Error + Send + Sync + 'static>,
    /// How to fix it.
    pub hint: Option<String>,
    /// 1 (cannot be satisfied) or 2 (usage / internal).
    pub status: ExitStatus,
    /// Facts and fixes printed after the error, in order (what exists instead).
    pub diagnostics: Vec<Diagnostic>,
}

/// A usage error found after parsing: the message names the bad input.
#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

impl Error {
    /// Any error, with its hint and status.
    pub fn new(
        error: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
        hint: Option<String>,
        status: ExitStatus,
    ) -> Self {
        Self {
            error: error.into(),
            hint,
            status,
            diagnostics: Vec::new(),
        }
    }

    /// A usage error (exit 2) with a hint.
    pub fn usage(message: impl Into<String>, hint: Option<String>) -> Self {
        Self::new(UsageError(message.into()), hint, ExitStatus::Error)
    }

    /// Whether another process changed the environment between this command's plan and its
    /// transaction (nothing was changed; planning again is the remedy): see
    /// [`OperationError::is_environment_changed`].
    pub fn is_environment_changed(&self) -> bool {
        self.error
            .downcast_ref::<OperationError>()
            .is_some_and(OperationError::is_environment_changed)
    }

    /// An unsatisfiable request (exit 1) with a hint.
    pub fn failure(message: impl Into<String>, hint: Option<String>) -> Self {
        Self::new(UsageError(message.into()), hint, ExitStatus::Failure)
    }
}

impl From<OperationError> for Error {
    fn from(error: OperationError) -> Self {
        let hint = error.hint();
        let status = if error.is_unsatisfiable() {
            ExitStatus::Failure
        } else {
            ExitStatus::Error
        };
        let diagnostics = match &error {
            OperationError::NoSolution { diagnostics, .. } => diagnostics.clone(),
            _ => Vec::new(),
        };
        Self {
            error: Box::new(error),
            hint,
            status,
            diagnostics,
        }
    }
}

impl From<EnvironmentError> for Error {
    fn from(error: EnvironmentError) -> Self {
        let hint = error.hint();
        Self::new(error, hint, ExitStatus::Error)
    }
}

impl From<wharf_python::FindError> for Error {
    fn from(error: wharf_python::FindError) -> Self {
        let hint = error.hint();
        Self::new(error, hint, ExitStatus::Failure)
    }
}

impl From<wharf_python::ProbeError> for Error {
    fn from(error: wharf_python::ProbeError) -> Self {
        let hint = error.hint();
        Self::new(error, hint, ExitStatus::Error)
    }
}

impl From<wharf_venv::VenvError> for Error {
    fn from(error: wharf_venv::VenvError) -> Self {
        let hint = error.hint();
        Self::new(error, hint, ExitStatus::Error)
    }
}

impl From<wharf_env::EnvError> for Error {
    fn from(error: wharf_env::EnvError) -> Self {
        Self::new(
            error,
            Some("unset the variable or give it a boolean value".to_string()),
            ExitStatus::Error,
        )
    }
}
