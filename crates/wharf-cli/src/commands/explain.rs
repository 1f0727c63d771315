//! `wharf explain` (in progress).

use std::path::PathBuf;

use clap::Args;
use wharf_python::PythonEnv;
use wharf_site::SiteEnv;

use crate::error::Error;
use crate::settings::GlobalArgs;
use crate::{ExitStatus, Printer};

/// `wharf explain` arguments.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A file holding the error message or traceback [default: stdin]
    pub file: Option<PathBuf>,
    /// The environment the error happened in: a venv directory or its python [default: $VIRTUAL_ENV]
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,
    /// One JSON object on stdout
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub global: GlobalArgs,
}

/// Runs `wharf explain`.
pub fn explain(
    _args: &ExplainArgs,
    _site: &SiteEnv,
    _python_env: &PythonEnv,
    _printer: Printer,
) -> Result<ExitStatus, Error> {
    Ok(ExitStatus::Success)
}
