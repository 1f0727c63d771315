//! `wharf uninstall`: remove packages from an environment, all or nothing.

use std::path::PathBuf;

use clap::Args;
use wharf_environment::PythonEnvironment;
use wharf_environment::operations;
use wharf_python::PythonEnv;
use wharf_site::SiteEnv;

use crate::error::Error;
use crate::settings::GlobalArgs;
use crate::{ExitStatus, Printer};

/// `wharf uninstall` arguments.
#[derive(Debug, Args)]
pub struct UninstallArgs {
    /// Packages to remove
    #[arg(value_name = "PACKAGE", required = true)]
    pub packages: Vec<String>,
    /// The environment: a venv directory or its python [default: $VIRTUAL_ENV]
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,
    /// Do not ask for confirmation (wharf never asks; accepted for pip compatibility)
    #[arg(short = 'y', long)]
    pub yes: bool,
    #[command(flatten)]
    pub global: GlobalArgs,
}

/// Runs `wharf uninstall`.
pub fn uninstall(
    args: &UninstallArgs,
    site: &SiteEnv,
    python_env: &PythonEnv,
    printer: Printer,
) -> Result<ExitStatus, Error> {
    let environment = PythonEnvironment::find(
        args.python.as_deref(),
        site.virtual_env.as_deref(),
        python_env,
    )?;
    crate::commands::report_recovery(&environment, printer);
    let done = crate::commands::replanning(printer, || {
        let signals = crate::signals::Transaction::begin();
        let result = operations::uninstall(
            &args.packages,
            &environment,
            site.threads(),
            Some(signals.cancel()),
        );
        crate::commands::interrupted(result, &signals, printer)
    })?;
    let (output, missing) = match done {
        Ok(done) => done,
        Err(status) => return Ok(status),
    };
    for name in missing {
        printer.warn(format_args!(
            "skipping {name}: it is not installed in `{}`",
            environment.root.display()
        ));
    }
    if let Some(output) = output {
        crate::commands::report_recovered(&output.recovered, &environment.root, printer);
        for removed in output.removed {
            printer.info(format_args!(" - {}=={}", removed.name, removed.version));
        }
    }
    Ok(ExitStatus::Success)
}
