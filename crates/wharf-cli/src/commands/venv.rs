//! `wharf venv`: a PEP 405 virtual environment, like `virtualenv --no-download`.

use std::path::PathBuf;

use clap::Args;
use wharf_python::{PythonEnv, PythonRequest};
use wharf_site::SiteEnv;
use wharf_venv::VenvOptions;

use crate::error::Error;
use crate::settings::GlobalArgs;
use crate::{ExitStatus, Printer};

/// `wharf venv` arguments (`python -m venv` / `virtualenv` names).
#[derive(Debug, Args)]
pub struct VenvArgs {
    /// Where to create the environment
    #[arg(default_value = ".venv")]
    pub path: PathBuf,
    /// The interpreter: a version (3.11, 3.11.5) or a path [default: the active venv's base, the loaded module, then PATH]
    #[arg(short = 'p', long)]
    pub python: Option<String>,
    /// Install pip (and setuptools, wheel when the wheelhouse has them) from the wheelhouse
    #[arg(long)]
    pub seed: bool,
    /// Give the environment access to the interpreter's site-packages
    #[arg(long)]
    pub system_site_packages: bool,
    /// The prompt shown while the environment is active [default: the directory name]
    #[arg(long)]
    pub prompt: Option<String>,
    /// Remove the directory's contents first if it exists
    #[arg(long)]
    pub clear: bool,
    #[command(flatten)]
    pub global: GlobalArgs,
}

/// Runs `wharf venv`.
pub fn venv(
    args: &VenvArgs,
    site: &SiteEnv,
    python_env: &PythonEnv,
    printer: Printer,
) -> Result<ExitStatus, Error> {
    let request = args
        .python
        .as_deref()
        .map(PythonRequest::parse)
        .transpose()?;
    // `--python`, else the `.python-version` pin, else the default order (loaded module,
    // the active venv's base, `python3`); candidates that fail to run are skipped.
    let cwd = std::env::current_dir().unwrap_or_default();
    let found = wharf_python::find_python(request.as_ref(), &cwd, python_env)?;
    for skipped in &found.skipped {
        printer.verbose(format_args!("skipped {skipped}"));
    }
    if let Some(pin) = &found.pin {
        printer.verbose(format_args!("Python pinned by `{}`", pin.display()));
    }
    let found = found.installation;
    let info = wharf_python::probe(&found.executable, python_env)?;
    let options = VenvOptions {
        prompt: args.prompt.clone(),
        system_site_packages: args.system_site_packages,
        clear: args.clear,
        ..VenvOptions::default()
    };
    let layout = wharf_venv::create_venv(&args.path, &info, &options)?;
    printer.info(format_args!(
        "Using CPython {} at {}",
        info.version(),
        info.base_interpreter().display()
    ));
    printer.info(format_args!(
        "Created virtual environment at: {}",
        layout.root.display()
    ));
    if args.seed {
        let status = crate::commands::install::seed(
            &layout.root,
            &["pip", "setuptools", "wheel"],
            site,
            python_env,
            printer,
        )?;
        if status != ExitStatus::Success {
            return Ok(status);
        }
    }
    printer.info(format_args!(
        "Activate with: source {}/bin/activate",
        layout.root.display()
    ));
    Ok(ExitStatus::Success)
}
