//! `wharf venv`: a PEP 405 virtual environment, like `virtualenv --no-download`.
//!
//! With `--from LOCK` the environment gets `bin/python` only once its packages are installed
//! (`wharf_venv::create_unfinished_venv`): a process killed in between (SIGKILL, a job's time
//! limit) leaves either nothing, or a directory marked incomplete (`.wharf-incomplete`) that
//! no job script takes for a ready environment, that every other command and `activate`
//! refuse with the fix, and that the same command run again finishes. What remains: a kill
//! while the environment is staged leaves its staging directory beside DIR
//! (`.DIR.wharf-PID-N`); `--seed` installs pip in a second transaction, before the
//! environment is finished (a kill between the two leaves it incomplete, not without pip).

use std::path::{Path, PathBuf};

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
    /// Then make the environment exactly LOCK (pylock.toml or hashed requirements), every wheel verified; it has no bin/python until then, is removed again if that fails, and is finished by the same command if it was interrupted
    #[arg(long, value_name = "LOCK")]
    pub from: Option<PathBuf>,
    /// With --from: install the lock's packages of this extra; repeatable
    #[arg(long = "extra", value_name = "NAME", requires = "from")]
    pub extras: Vec<String>,
    /// With --from: install the lock's packages of this dependency group; repeatable [default:
    /// the lock's default-groups]
    #[arg(long = "group", value_name = "NAME", requires = "from")]
    pub groups: Vec<String>,
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
        (None, Some(lock)) => {
            refuse_a_loaded_module_the_lock_excludes(args, lock, python_env)?;
            lock_python_request(lock)
        }
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
    if !args.clear {
        refuse_losing_packages(path, &info)?;
    }
    let options = VenvOptions {
        prompt: args.prompt.clone(),
        system_site_packages: args.system_site_packages,
        clear: args.clear,
        ..VenvOptions::default()
    };
    let Some(lock) = &args.from else {
        let layout = wharf_venv::create_venv(path, &info, &options)?;
        report_created(&info, &layout.root, printer);
        pip_front_end_unless_seeded(args, &layout.root, &info, printer)?;
        let status = seed_if_asked(args, &layout.root, site, python_env, printer)?;
        return Ok(Created {
            root: layout.root,
            synced: None,
            status,
        });
    };
    // With `--from`, the environment has no `bin/python*` (and is marked incomplete) until
    // its packages are installed: a kill in between never leaves a bare venv that a job
    // script would take for the one it asked for. Run again, this command finishes it.
    let venv = create_unfinished(args, path, lock, &info, &options, printer)?;
    let root = venv.layout.root.clone();
    report_created(&info, &root, printer);
    pip_front_end_unless_seeded(args, &root, &info, printer)?;
    let (synced, probed) = match sync_new_environment(args, lock, &root, site, python_env, printer)
    {
        Ok((output, probed)) if output.interrupted.is_none() => (output, probed),
        Ok((output, _)) => {
            // SIGINT/SIGTERM: rolled back and reported.
            let _ = venv.discard();
            return Ok(Created {
                root,
                synced: None,
                status: output.interrupted.unwrap_or(ExitStatus::Error),
            });
        }
        Err(mut error) => {
            let discarded = discarded_hint(&root, venv.discard());
            if let Some(said) = discarded
                && error
                    .hint
                    .as_deref()
                    .is_none_or(|hint| hint.starts_with("nothing was changed"))
            {
                // The install's own "nothing was changed" would mislead when the whole
                // environment is gone.
                error.hint = Some(said);
            }
            return Err(error);
        }
    };
    // Seeded before it is finished: pip is part of what was asked.
    let status = match seed_if_asked(args, &root, site, python_env, printer) {
        Ok(status) => status,
        Err(mut error) => {
            if let Some(said) = discarded_hint(&root, venv.discard()) {
                error.hint = Some(
                    error
                        .hint
                        .map_or(said.clone(), |hint| format!("{hint}; {said}")),
                );
            }
            return Err(error);
        }
    };
    let unfinished = venv.is_unfinished();
    let layout = venv.finish()?;
    if unfinished {
        // The probe of `.wharf-bin/python` is `bin/python`'s (but for `executable`, set by
        // `PythonEnvironment::find`): the next command on the environment need not run it.
        wharf_python::remember(&layout.python, &probed, python_env);
    }
    let synced = Some(synced);
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

/// Without `--seed`, the environment's `pip`, `pip3` and `pip3.X` are wharf's pip front end on
/// it ([`crate::commands::pip::pip_script`]): `pip install` inside it installs into it, at
/// wharf's speed, instead of falling through to the module's pip (which would install into the
/// module's Python). `--seed` installs the real pip instead.
fn pip_front_end_unless_seeded(
    args: &VenvArgs,
    root: &Path,
    info: &wharf_python::InterpreterInfo,
    printer: Printer,
) -> Result<(), Error> {
    use std::os::unix::fs::PermissionsExt as _;
    if args.seed {
        return Ok(());
    }
    let wharf = std::env::current_exe()
        .and_then(std::fs::canonicalize)
        .map_err(|e| Error::usage(format!("cannot find wharf's own executable: {e}"), None))?;
    let script = crate::commands::pip::pip_script(&wharf);
    let (major, minor) = info.major_minor();
    let bin = root.join("bin");
    for name in [
        "pip".to_string(),
        format!("pip{major}"),
        format!("pip{major}.{minor}"),
    ] {
        let path = bin.join(&name);
        let write = || -> std::io::Result<()> {
            std::fs::write(&path, &script)?;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
        };
        write().map_err(|e| {
            Error::usage(
                format!("cannot write `{}`: {e}", path.display()),
                Some("check the permissions of the environment's bin directory".to_string()),
            )
        })?;
    }
    // `python -m pip` says what to run instead (there is no pip module to run): a `pip`
    // package of two files that only answers `-m`, and is no import for anything else.
    let package = info.venv_paths(root).purelib.join("pip");
    let write_module = || -> std::io::Result<()> {
        std::fs::create_dir_all(&package)?;
        std::fs::write(package.join("__init__.py"), PIP_MODULE_INIT)?;
        std::fs::write(package.join("__main__.py"), PIP_MODULE_MAIN)
    };
    write_module().map_err(|e| {
        Error::usage(
            format!("cannot write `{}`: {e}", package.display()),
            Some("check the permissions of the environment's site-packages".to_string()),
        )
    })?;
    printer.info(format_args!(
        "pip in this environment is wharf's pip front end (`wharf venv --seed` installs the real pip)"
    ));
    Ok(())
}

/// `site-packages/pip/__init__.py` of an environment without the real pip: `python -m pip`
/// goes on to `__main__`; any other import of `pip` fails as if there were none.
const PIP_MODULE_INIT: &str = "\"\"\"Not pip: this environment's pip is wharf's pip front end (bin/pip).\n\n`wharf venv --seed` makes an environment with the real pip.\n\"\"\"\n\nimport sys\n\n# `python -m pip` sets sys.argv[0] to '-m' while the package is imported.\nif sys.argv[:1] != [\"-m\"]:\n    raise ImportError(\n        \"pip is not installed in this environment: its pip is wharf's front end (bin/pip); \"\n        \"`wharf venv --seed` makes an environment with the real pip\",\n        name=\"pip\",\n    )\n";

/// `site-packages/pip/__main__.py`: what to run instead of `python -m pip`, exit 2.
const PIP_MODULE_MAIN: &str = "import os\nimport sys\n\nbin_pip = os.path.join(sys.prefix, \"bin\", \"pip\")\nargs = \" \".join(sys.argv[1:])\nsys.stderr.write(\n    f\"error: `python -m pip` is not available in {sys.prefix}: its pip is wharf's pip front end\\n\"\n    f\"hint: run `pip {args}` ({bin_pip}) or `wharf pip {args}`; \"\n    \"`wharf venv --seed` makes an environment with the real pip\\n\"\n)\nsys.exit(2)\n";

/// An existing virtual environment at `path` whose packages the new one would not see (they
/// live under another Python's `lib/pythonX.Y`): refused without `--clear`, naming them, as
/// recreating it with another Python would leave them unreachable (silently emptied).
fn refuse_losing_packages(path: &Path, info: &wharf_python::InterpreterInfo) -> Result<(), Error> {
    if !path.join("pyvenv.cfg").is_file() {
        return Ok(());
    }
    let kept = info.venv_paths(path).purelib;
    let kept_lib = kept.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut lost: Vec<(String, Vec<String>)> = Vec::new();
    let Ok(libs) = std::fs::read_dir(path.join("lib")) else {
        return Ok(());
    };
    for lib in libs.flatten() {
        let lib_path = lib.path();
        if lib_path == kept_lib || !lib.file_name().to_string_lossy().starts_with("python") {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(lib_path.join("site-packages")) else {
            continue;
        };
        let mut dists: Vec<String> = entries
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let stem = name.strip_suffix(".dist-info")?;
                let (project, version) = stem.rsplit_once('-')?;
                Some(format!("{project} {version}"))
            })
            .collect();
        if !dists.is_empty() {
            dists.sort();
            lost.push((lib.file_name().to_string_lossy().into_owned(), dists));
        }
    }
    let Some((lib, dists)) = lost.first() else {
        return Ok(());
    };
    let (major, minor) = info.major_minor();
    let shown: Vec<&str> = dists.iter().take(5).map(String::as_str).collect();
    let more = dists.len().saturating_sub(shown.len());
    Err(Error::new(
        format!(
            "`{}` is a virtual environment with {} under `lib/{lib}` ({}{}); making it a Python {major}.{minor} environment would leave them unreachable",
            path.display(),
            crate::printer::plural(dists.len(), "package"),
            shown.join(", "),
            if more > 0 {
                format!(", and {more} more")
            } else {
                String::new()
            }
        ),
        Some(format!(
            "`wharf venv --clear {}` to start afresh with Python {major}.{minor}, or create the environment in a new directory",
            path.display()
        )),
        crate::ExitStatus::Error,
    ))
}

/// `Using CPython …` and `Created virtual environment at: …`.
fn report_created(info: &wharf_python::InterpreterInfo, root: &Path, printer: Printer) {
    printer.info(format_args!(
        "Using CPython {} at {}",
        info.version(),
        info.base_interpreter().display()
    ));
    printer.info(format_args!(
        "Created virtual environment at: {}",
        root.display()
    ));
}

/// With `--seed`: pip (setuptools, wheel) from the wheelhouse; says how to activate on
/// success when the environment is complete (`--from` says it once finished).
fn seed_if_asked(
    args: &VenvArgs,
    root: &Path,
    site: &SiteEnv,
    python_env: &PythonEnv,
    printer: Printer,
) -> Result<ExitStatus, Error> {
    let status = if args.seed {
        crate::commands::install::seed(
            root,
            &["pip", "setuptools", "wheel"],
            site,
            python_env,
            printer,
        )?
    } else {
        ExitStatus::Success
    };
    if status == ExitStatus::Success && args.from.is_none() {
        printer.info(format_args!(
            "Activate with: source {}/bin/activate",
            root.display()
        ));
    }
    Ok(status)
}

/// [`wharf_venv::create_unfinished_venv`], waiting while another process of this host is
/// creating the same environment (then finishing what it left, usually nothing).
fn create_unfinished(
    args: &VenvArgs,
    path: &Path,
    lock: &Path,
    info: &wharf_python::InterpreterInfo,
    options: &VenvOptions,
    printer: Printer,
) -> Result<wharf_venv::UnfinishedVenv, Error> {
    let rerun = rerun_command(args, path, lock);
    let mut waiting = false;
    loop {
        match wharf_venv::create_unfinished_venv(path, info, options, &rerun) {
            Err(wharf_venv::VenvError::Incomplete(incomplete))
                if incomplete.is_being_created_here() =>
            {
                if !waiting {
                    let creator = incomplete
                        .creator
                        .as_ref()
                        .map_or_else(String::new, ToString::to_string);
                    printer.info(format_args!(
                        "Waiting for {creator}, which is creating {}",
                        incomplete.root.display()
                    ));
                    waiting = true;
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            other => return Ok(other?),
        }
    }
}

/// The command that finishes the environment (recorded in its marker, quoted in errors):
/// this one, paths made absolute. Ex) `wharf venv /scratch/env --from /home/me/pylock.toml`
fn rerun_command(args: &VenvArgs, path: &Path, lock: &Path) -> String {
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let word = |p: &Path| wharf_venv::shell_word(&absolute(p).to_string_lossy());
    let mut words = vec![
        "wharf venv".to_owned(),
        word(path),
        "--from".to_owned(),
        word(lock),
    ];
    if let Some(python) = &args.python {
        words.push(format!("--python {}", wharf_venv::shell_word(python)));
    }
    for directory in &args.find_links {
        words.push(format!("-f {}", word(directory)));
    }
    for (flag, set) in [
        ("--no-cache", args.no_cache),
        ("--seed", args.seed),
        ("--system-site-packages", args.system_site_packages),
    ] {
        if set {
            words.push(flag.to_owned());
        }
    }
    if let Some(prompt) = &args.prompt {
        words.push(format!("--prompt {}", wharf_venv::shell_word(prompt)));
    }
    for extra in &args.extras {
        words.push(format!("--extra {}", wharf_venv::shell_word(extra)));
    }
    for group in &args.groups {
        words.push(format!("--group {}", wharf_venv::shell_word(group)));
    }
    words.join(" ")
}

/// What a failed `--from` left, for the hint: `None` when the environment existed complete
/// (the install's own hint says that nothing was changed).
fn discarded_hint(
    root: &Path,
    discarded: Result<wharf_venv::Discarded, wharf_venv::VenvError>,
) -> Option<String> {
    let root = root.display();
    match discarded {
        Ok(wharf_venv::Discarded::Removed) => Some(format!(
            "{root} was removed again (no environment is left half-made); fix the cause and run the command again"
        )),
        Ok(wharf_venv::Discarded::Emptied) => Some(format!(
            "{root} was emptied again (no environment is left half-made); fix the cause and run the command again"
        )),
        Ok(wharf_venv::Discarded::KeptIncomplete) => Some(format!(
            "{root} is left incomplete, as it was (it has no `bin/python`); fix the cause and run the command again to finish it, or remove it"
        )),
        Ok(wharf_venv::Discarded::Kept) => None,
        Err(error) => Some(format!(
            "{root} is left incomplete (it has no `bin/python`; removing it failed: {error}); remove it, fix the cause and run the command again"
        )),
    }
}

/// The Python a lock was made for, from its `requires-python` (`==3.11.*` ▸ `3.11`).
fn lock_python_request(lock: &wharf_environment::lock::Lock) -> Option<PythonRequest> {
    let text = lock.requires_python.as_deref()?;
    let version = text.trim().strip_prefix("==")?.trim_end_matches(".*");
    PythonRequest::parse(version).ok()
}

/// With a python module loaded (`EBROOTPYTHON`) and no `--python`, a lock whose
/// `requires-python` the module's Python does not satisfy is refused (issue 19 §4): taking
/// another Python from the module trees silently gave an environment that `doctor` then
/// reported, and whose jobs run with the module's Python first on `PATH`.
///
/// Errors: exit 2 with `module load python/X.Y` (the lock's) and `--python` as the fixes.
fn refuse_a_loaded_module_the_lock_excludes(
    args: &VenvArgs,
    lock: &wharf_environment::lock::Lock,
    python_env: &PythonEnv,
) -> Result<(), Error> {
    use std::str::FromStr as _;
    let (Some(requires_python), Some(root)) = (&lock.requires_python, &python_env.ebrootpython)
    else {
        return Ok(());
    };
    let Some(module_python) = ["bin/python3", "bin/python"]
        .iter()
        .map(|name| root.join(name))
        .find(|path| path.exists())
    else {
        return Ok(());
    };
    let info = wharf_python::probe(&module_python, python_env)?;
    let full = pep440_rs::Version::from_str(&info.markers.python_full_version).ok();
    let admits = pep440_rs::VersionSpecifiers::from_str(requires_python)
        .ok()
        .zip(full)
        .is_none_or(|(specifiers, version)| specifiers.contains(&version));
    if admits {
        return Ok(());
    }
    let wanted = requires_python
        .trim()
        .trim_start_matches("==")
        .trim_end_matches(".*")
        .to_string();
    let lock_name = args
        .from
        .as_deref()
        .map_or_else(String::new, |p| format!(" `{}`", p.display()));
    Err(Error::usage(
        format!(
            "the loaded python module is Python {} (`{}`), but the lock{lock_name} requires Python {requires_python}",
            info.version(),
            root.display()
        ),
        Some(format!(
            "`module load python/{wanted}` (the lock's Python) and run it again, or pass `--python` to choose the interpreter"
        )),
    ))
}

/// `--from LOCK`: sync the environment just created at `root`; also its interpreter's probe.
fn sync_new_environment(
    args: &VenvArgs,
    lock: &std::path::Path,
    root: &std::path::Path,
    site: &SiteEnv,
    python_env: &PythonEnv,
    printer: Printer,
) -> Result<
    (
        crate::commands::sync::SyncOutput,
        wharf_python::InterpreterInfo,
    ),
    Error,
> {
    let config = crate::settings::pip_config(site, printer);
    let flags = crate::settings::InstallFlags {
        python: Some(root.to_path_buf()),
        find_links: args.find_links.clone(),
        no_cache: args.no_cache || job_local(root, site),
        ..crate::settings::InstallFlags::default()
    };
    let settings = crate::settings::InstallSettings::resolve(&flags, site, config.as_ref())?;
    // An incomplete environment taken over may hold the killed run's install: recovered here.
    let environment = wharf_environment::PythonEnvironment::find(Some(root), None, python_env)?;
    crate::commands::report_recovery(&environment, printer);
    let selection = wharf_environment::lock::LockSelection {
        extras: args.extras.clone(),
        groups: args.groups.clone(),
    };
    crate::commands::sync::sync_environment(
        lock,
        &environment,
        &settings,
        &selection,
        site,
        printer,
    )
    .map(|output| (output, environment.info))
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
