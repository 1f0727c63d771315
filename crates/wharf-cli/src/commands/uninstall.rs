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
    #[arg(value_name = "PACKAGE", required_unless_present = "requirement")]
    pub packages: Vec<String>,
    /// Remove the packages named in FILE (pip's requirements format, as `pip uninstall -r`:
    /// only the names count); repeatable
    #[arg(short = 'r', long, value_name = "FILE")]
    pub requirement: Vec<PathBuf>,
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
    let mut packages = args.packages.clone();
    for file in &args.requirement {
        packages.extend(requirement_names(file, site)?);
    }
    let done = crate::commands::replanning(printer, || {
        let signals = crate::signals::Transaction::begin();
        let result = operations::uninstall(
            &packages,
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

/// The project names of the requirements in `file` (and the files it includes), as `pip
/// uninstall -r` takes them: the name of each requirement line, `-e` lines included; versions,
/// extras and markers do not matter.
///
/// Errors: the file cannot be read or parsed, or a line names no project (a bare path or URL),
/// exit 2 naming the line.
fn requirement_names(file: &std::path::Path, site: &SiteEnv) -> Result<Vec<String>, Error> {
    let parsed =
        wharf_requirements_txt::RequirementsTxt::parse_file(file, &|name: &str| site.lookup(name))
            .map_err(|e| Error::usage(e.to_string(), None))?;
    parsed
        .requirements
        .iter()
        .chain(&parsed.editables)
        .map(|entry| {
            wharf_metadata::parse_requirement::<pep508_rs::VerbatimUrl>(&entry.text)
                .map(|requirement| requirement.name.to_string())
                .map_err(|_| {
                    Error::usage(
                        format!(
                            "{}: `{}` names no project to uninstall",
                            entry.origin, entry.text
                        ),
                        Some(
                            "write the project's name on that line (`name @ URL` for a URL)"
                                .to_string(),
                        ),
                    )
                })
        })
        .collect()
}
