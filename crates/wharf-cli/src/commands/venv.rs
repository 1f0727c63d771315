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
    /// Where to create the environment [default: .venv; with --per-node, $SLURM_TMPDIR/env on each node]
    pub path: Option<PathBuf>,
    /// The interpreter: a version (3.11, 3.11.5) or a path [default: with --from, the lock's Python; else .python-version, the loaded module, the active venv's base, then PATH]
    #[arg(short = 'p', long)]
    pub python: Option<String>,
    /// Then make the environment exactly LOCK (pylock.toml or hashed requirements), every wheel verified; the environment is removed again if that fails
    #[arg(long, value_name = "LOCK")]
    pub from: Option<PathBuf>,
    /// Look for the wheels of a hashed requirements LOCK in DIR (repeatable) [default: PIP_FIND_LINKS, else find-links of $PIP_CONFIG_FILE]
    #[arg(
        short = 'f',
        long = "find-links",
        value_name = "DIR",
        requires = "from"
    )]
    pub find_links: Vec<PathBuf>,
    /// With --from: do not use the wheel cache [default in a Slurm job for an environment under $SLURM_TMPDIR: no cache unless WHARF_CACHE_DIR is set]
    #[arg(long, requires = "from")]
    pub no_cache: bool,
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
    /// In a Slurm allocation: create the environment on every node (one srun task per node; `$VAR`s in DIR are expanded on each node) and print one line per node
    #[arg(long, requires = "from")]
    pub per_node: bool,
    /// A task of --per-node: print one JSON line (node, path, seconds, packages, error)
    #[arg(long, hide = true, conflicts_with = "per_node")]
    pub per_node_report: bool,
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
    if args.per_node {
        return crate::commands::per_node::per_node(args, site, printer);
    }
    if args.per_node_report {
        return Ok(crate::commands::per_node::node_task(
            args, site, python_env, printer,
        ));
    }
    let path = args.path.clone().unwrap_or_else(|| PathBuf::from(".venv"));
    create(args, &path, site, python_env, printer).map(|created| created.status)
}

/// What `create` made.
#[derive(Debug)]
pub struct Created {
    /// The environment's root (absolute).
    pub root: PathBuf,
    /// With `--from`: what the sync did.
    pub synced: Option<crate::commands::sync::SyncOutput>,
    /// Not success when seeding found nothing to install.
    pub status: ExitStatus,
}

/// Creates the environment at `path` (and syncs it with `--from`, seeds it with `--seed`).
pub fn create(
    args: &VenvArgs,
    path: &std::path::Path,
    site: &SiteEnv,
    python_env: &PythonEnv,
    printer: Printer,
) -> Result<Created, Error> {
    // A `pylock.toml` that cannot be read (not TOML, not PEP 751, a lock-version this wharf
    // does not read) is refused before an interpreter runs or a directory is made. Its wheels
    // are verified by the sync, once.
    let parsed_lock = match &args.from {
        Some(lock) => crate::commands::sync::read_toml_lock(lock)?,
        None => None,
    };
    let lock_python = match (&args.python, &parsed_lock) {
        (None, Some(lock)) => lock_python_request(lock),
        _ => None,
    };
    let request = args
        .python
        .as_deref()
        .map(PythonRequest::parse)
        .transpose()?
        .or(lock_python);
    // `--python`, else the lock's Python, else the `.python-version` pin, else the default
    // order (loaded module, the active venv's base, `python3`); candidates that fail to run
    // are skipped.
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
    let existed = path.exists();
    let layout = wharf_venv::create_venv(path, &info, &options)?;
    printer.info(format_args!(
        "Using CPython {} at {}",
        info.version(),
        info.base_interpreter().display()
    ));
    printer.info(format_args!(
        "Created virtual environment at: {}",
        layout.root.display()
    ));
    let mut synced = None;
    if let Some(lock) = &args.from {
        let mut result = sync_new_environment(args, lock, &layout.root, site, python_env, printer);
        let interrupted = result.as_ref().ok().and_then(|output| output.interrupted);
        if (result.is_err() || interrupted.is_some()) && !existed {
            // No environment left half-made: remove what this command created. The install's
            // own "nothing was changed" would then mislead: there is nothing at all.
            let _ = fs_err::remove_dir_all(&layout.root);
            if let Err(error) = &mut result
                && error
                    .hint
                    .as_deref()
                    .is_none_or(|hint| hint.starts_with("nothing was changed"))
            {
                error.hint = Some(format!(
                    "{} was removed again (no environment is left half-made); fix the cause and run the command again",
                    layout.root.display()
                ));
            }
        }
        if let Some(status) = interrupted {
            return Ok(Created {
                root: layout.root,
                synced: None,
                status,
            });
        }
        synced = Some(result?);
    }
    let mut status = ExitStatus::Success;
    if args.seed {
        status = crate::commands::install::seed(
            &layout.root,
            &["pip", "setuptools", "wheel"],
            site,
            python_env,
            printer,
        )?;
    }
    if status == ExitStatus::Success {
        printer.info(format_args!(
            "Activate with: source {}/bin/activate",
            layout.root.display()
        ));
    }
    Ok(Created {
        root: layout.root,
        synced,
        status,
    })
}

/// The Python a lock was made for, from its `requires-python` (`==3.11.*` ▸ `3.11`).
fn lock_python_request(lock: &wharf_environment::lock::Lock) -> Option<PythonRequest> {
    let text = lock.requires_python.as_deref()?;
    let version = text.trim().strip_prefix("==")?.trim_end_matches(".*");
    PythonRequest::parse(version).ok()
}

/// `--from LOCK`: sync the environment just created at `root`.
fn sync_new_environment(
    args: &VenvArgs,
    lock: &std::path::Path,
    root: &std::path::Path,
    site: &SiteEnv,
    python_env: &PythonEnv,
    printer: Printer,
) -> Result<crate::commands::sync::SyncOutput, Error> {
    let config = crate::settings::pip_config(site, printer);
    let flags = crate::settings::InstallFlags {
        python: Some(root.to_path_buf()),
        find_links: args.find_links.clone(),
        no_cache: args.no_cache || job_local(root, site),
        ..crate::settings::InstallFlags::default()
    };
    let settings = crate::settings::InstallSettings::resolve(&flags, site, config.as_ref())?;
    let environment = wharf_environment::PythonEnvironment::find(Some(root), None, python_env)?;
    crate::commands::sync::sync_environment(lock, &environment, &settings, site, printer)
}

/// Whether `root` is a job's node-local environment (under `$SLURM_TMPDIR`) with no cache
/// chosen by the user: there the wheel cache would be empty at every job start and on
/// another filesystem than the environment, so wheels are unpacked straight from the
/// wheelhouse into the environment, in parallel (the fastest exact way: no byte written twice).
fn job_local(root: &std::path::Path, site: &SiteEnv) -> bool {
    let Some(tmpdir) = &site.slurm_tmpdir else {
        return false;
    };
    if site.vars.is_set(wharf_env::EnvVars::WHARF_CACHE_DIR) {
        return false;
    }
    let absolute = |p: &std::path::Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    absolute(root).starts_with(absolute(tmpdir))
}
