//! `wharf sync LOCK`: make an environment exactly a lock (`pylock.toml` or a hashed
//! requirements file), every wheel verified first, all or nothing.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use wharf_environment::OperationError;
use wharf_environment::PythonEnvironment;
use wharf_environment::lock::Lock;
use wharf_environment::operations::{Change, InstallPlan, PlanOptions};
use wharf_environment::sync::{self as lock_ops, SyncError};
use wharf_python::PythonEnv;
use wharf_site::SiteEnv;

use crate::commands::write_stdout;
use crate::error::Error;
use crate::settings::{GlobalArgs, InstallFlags, InstallSettings, pip_config};
use crate::{ExitStatus, Printer};

/// `wharf sync` arguments.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The lock: a `pylock.toml` (PEP 751), or a requirements file with `--hash` on every line
    #[arg(value_name = "LOCK")]
    pub lock: PathBuf,
    /// The environment: a venv directory or its python [default: $VIRTUAL_ENV]
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,
    /// Look for the wheels of a hashed requirements file in DIR (repeatable) [default: PIP_FIND_LINKS, else find-links of $PIP_CONFIG_FILE]
    #[arg(short = 'f', long = "find-links", value_name = "DIR")]
    pub find_links: Vec<PathBuf>,
    /// Print what would change, change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Accept manylinux wheels even though the site's `_manylinux` policy refuses them
    #[arg(long)]
    pub allow_manylinux: bool,
    /// Byte-compile installed Python files (.pyc)
    #[arg(long)]
    pub compile: bool,
    /// Do not use the wheel cache: unpack every wheel straight into the environment
    #[arg(long, alias = "no-cache-dir")]
    pub no_cache: bool,
    /// How files come from the wheel cache [env: WHARF_LINK_MODE; default: auto, reflinks
    /// where the filesystem has them (XFS, Btrfs), else hard links]
    #[arg(long, value_enum, value_name = "MODE")]
    pub link_mode: Option<crate::settings::LinkModeArg>,
    /// Install the lock's packages of this extra (PEP 751 `'NAME' in extras`); repeatable
    #[arg(long = "extra", value_name = "NAME")]
    pub extras: Vec<String>,
    /// Install the lock's packages of this dependency group (PEP 751 `'NAME' in
    /// dependency_groups`); repeatable [default: the lock's default-groups]
    #[arg(long = "group", value_name = "NAME")]
    pub groups: Vec<String>,
    #[command(flatten)]
    pub global: GlobalArgs,
}

/// What a sync did.
#[derive(Debug, Clone, Copy, Default)]
pub struct SyncOutput {
    /// Set when SIGINT/SIGTERM interrupted it (rolled back): the exit status to return.
    pub interrupted: Option<ExitStatus>,
    /// Packages the lock lists.
    pub locked: usize,
    /// Wheels installed.
    pub installed: usize,
    /// Distributions removed.
    pub removed: usize,
}

/// Runs `wharf sync`.
pub fn sync(
    args: &SyncArgs,
    site: &SiteEnv,
    python_env: &PythonEnv,
    printer: Printer,
) -> Result<ExitStatus, Error> {
    let config = pip_config(site, printer);
    let flags = InstallFlags {
        python: args.python.clone(),
        find_links: args.find_links.clone(),
        compile: args.compile,
        dry_run: args.dry_run,
        allow_manylinux: args.allow_manylinux,
        no_cache: args.no_cache,
        link_mode: args.link_mode.map(Into::into),
        ..InstallFlags::default()
    };
    let settings = InstallSettings::resolve(&flags, site, config.as_ref())?;
    let environment = PythonEnvironment::find(
        settings.python.as_deref(),
        settings.virtual_env.as_deref(),
        python_env,
    )?;
    let selection = wharf_environment::lock::LockSelection {
        extras: args.extras.clone(),
        groups: args.groups.clone(),
    };
    let output = sync_environment(
        &args.lock,
        &environment,
        &settings,
        &selection,
        site,
        printer,
    )?;
    Ok(output.interrupted.unwrap_or(ExitStatus::Success))
}

/// Whether `lock_path` is read as a PEP 751 `pylock.toml` (its extension is `.toml`); any
/// other file is read as a hashed requirements file.
pub fn is_toml_lock(lock_path: &Path) -> bool {
    lock_path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"))
}

/// The `pylock.toml` at `lock_path` parsed (its wheels not yet verified), or `None` for a
/// hashed requirements file (read against the wheelhouse by [`read_lock`]). `venv --from` and
/// `--per-node` call it first, so that a lock that cannot be read is refused before anything
/// is made, once.
///
/// Errors: not TOML, not PEP 751, or a lock-version this wharf does not read (exit 2, with the
/// line and the field).
pub fn read_toml_lock(lock_path: &Path) -> Result<Option<Lock>, Error> {
    if !is_toml_lock(lock_path) {
        return Ok(None);
    }
    Lock::read(lock_path)
        .map(Some)
        .map_err(|e| OperationError::Sync(SyncError::Lock(e)).into())
}

/// Reads `lock_path` (a `pylock.toml`, else a hashed requirements file).
pub fn read_lock(
    lock_path: &Path,
    settings: &InstallSettings,
    site: &SiteEnv,
) -> Result<Lock, Error> {
    if let Some(lock) = read_toml_lock(lock_path)? {
        return Ok(lock);
    }
    let catalogue = settings.sources()?.catalogue();
    let digests = crate::commands::lock::wheel_digests(site);
    let lock = lock_ops::lock_from_hashed_requirements(
        lock_path,
        &catalogue,
        &|name| site.lookup(name),
        &digests,
    )?;
    let _ = digests.save();
    Ok(lock)
}

/// Makes `environment` exactly the lock at `lock_path`: verify every wheel, plan (install
/// missing and different, remove unlisted), execute as one transaction.
pub fn sync_environment(
    lock_path: &Path,
    environment: &PythonEnvironment,
    settings: &InstallSettings,
    selection: &wharf_environment::lock::LockSelection,
    site: &SiteEnv,
    printer: Printer,
) -> Result<SyncOutput, Error> {
    crate::commands::replanning(printer, || {
        sync_once(lock_path, environment, settings, selection, site, printer)
    })
}

/// One attempt of [`sync_environment`]: the plan is made against the environment as it is
/// now.
fn sync_once(
    lock_path: &Path,
    environment: &PythonEnvironment,
    settings: &InstallSettings,
    selection: &wharf_environment::lock::LockSelection,
    site: &SiteEnv,
    printer: Printer,
) -> Result<SyncOutput, Error> {
    let start = Instant::now();
    let lock = read_lock(lock_path, settings, site)?;
    for warning in &lock.warnings {
        printer.warn(warning);
    }
    // What applies here (markers, requires-python, the best of several wheels), then checked.
    let mut lock = lock_ops::select_for_environment(
        &lock,
        lock_path,
        environment,
        settings.allow_manylinux,
        selection,
    )?;
    // Wheels locked at an index's URL (`wharf lock -i`): into the cache, checked below.
    // Kept to the end: without wharf's cache the downloads live in its temporary directory.
    let mut _downloads = None;
    if lock.packages.iter().any(|p| p.wheel.url.is_some()) {
        // The wheelhouse's copy first (same file name and sha256): no network needed. No
        // wheelhouse configured: every such wheel comes from its URL.
        let local = match settings.sources() {
            Ok(sources) => {
                let digests = crate::commands::lock::wheel_digests(site);
                let local =
                    lock_ops::use_wheelhouse_copies(&mut lock, &sources.catalogue(), &digests);
                let _ = digests.save();
                local
            }
            Err(_) => 0,
        };
        if local > 0 {
            printer.verbose(format_args!(
                "{} locked at an index found in the wheelhouse",
                crate::printer::plural(local, "wheel")
            ));
        }
    }
    if lock.packages.iter().any(|p| p.wheel.url.is_some()) {
        let config = crate::settings::pip_config(site, printer);
        let network = crate::settings::NetworkSettings::resolve(
            &crate::settings::NetworkFlags::default(),
            site,
            config.as_ref(),
            "install",
            false,
        )?;
        let index = wharf_environment::index::PackageIndex::new(
            Vec::new(),
            network.client()?,
            site.vars.cache_dir(),
            false,
        )
        .map_err(|e| Error::new(e, None, crate::ExitStatus::Error))?;
        let fetched = wharf_environment::index::fetch_locked(&mut lock, &index)?;
        if fetched > 0 {
            printer.verbose(format_args!(
                "Downloaded {} locked at an index",
                crate::printer::plural(fetched, "wheel")
            ));
        }
        _downloads = Some(index);
    }
    // One digest per wheel for the whole sync: the check against the lock reads each wheel
    // (or finds its unchanged stamp remembered), and the installer, which must install
    // exactly those bytes, finds the digest of the file it opens by the same stamp.
    let digests = std::sync::Arc::new(crate::commands::lock::wheel_digests(site));
    let lock_error = |e| Error::from(OperationError::Sync(SyncError::Lock(e)));
    // Every file is opened and its size checked now, and the sdists hashed (they are built
    // next); the wheels' sha256 is read once the plan says which ones get installed.
    let wheel_paths: std::collections::HashSet<std::path::PathBuf> = lock
        .packages
        .iter()
        .filter(|p| !p.builds() && p.directory.is_none())
        .map(|p| p.wheel.path.clone())
        .collect();
    lock.verify_except(lock_path, &digests, &wheel_paths)
        .map_err(lock_error)?;
    // Packages locked as sdists (no wheel fits this interpreter): built now, their hash
    // checked above, through the build cache.
    let mut projects = Vec::new();
    if lock
        .packages
        .iter()
        .any(wharf_environment::lock::LockedPackage::builds)
    {
        let catalogue = settings.sources()?.catalogue();
        let build_options = wharf_environment::build::BuildOptions {
            isolation: true,
            cache_dir: settings.cache_dir.clone(),
            threads: settings.threads,
            config_settings: std::collections::BTreeMap::new(),
        };
        let report = |line: &str| printer.info(line);
        let builder = wharf_environment::build::Builder::new(
            environment,
            &catalogue,
            &build_options,
            &report,
        )?;
        projects = lock_ops::build_locked_sdists(&mut lock, &builder)?;
    }
    let resolution =
        lock_ops::resolution_from_lock(&lock, lock_path, environment, settings.allow_manylinux)?;
    let mut plan = InstallPlan::from_resolution_with(
        &resolution,
        PlanOptions {
            reinstall: false,
            exact: true,
        },
        &projects,
    );
    // The installer refuses other bytes than the locked ones, and links the cache entry of
    // exactly the locked digest.
    for install in &mut plan.plan.install {
        if let Some(p) = lock.packages.iter().find(|p| p.wheel.path == install.path) {
            install.sha256 = Some(p.wheel.sha256.clone());
            plan.locked
                .insert(install.path.clone(), (p.name.clone(), p.version.clone()));
        }
    }
    // The sha256 of every other locked wheel (all of them on a dry run or when nothing is
    // installed) is read now; the installer reads those of the wheels it installs, in its
    // own parallel pipeline, before it commits anything (issue 21: no pass of its own).
    let installer_checks: std::collections::HashSet<std::path::PathBuf> = if settings.dry_run {
        std::collections::HashSet::new()
    } else {
        plan.locked.keys().cloned().collect()
    };
    lock.verify_except(lock_path, &digests, &installer_checks)
        .map_err(lock_error)?;
    let mut summary = String::new();
    let mut removed = 0;
    for change in &plan.changes {
        match change {
            Change::Remove { name, version } => {
                removed += 1;
                summary.push_str(&format!(" - {name}=={version}\n"));
            }
            Change::Install { name, version, .. } => {
                summary.push_str(&format!(" + {name}=={version}\n"));
            }
        }
    }
    let verified_in = start.elapsed();
    if settings.dry_run {
        printer.info(format_args!(
            "Verified {} in {} ms (dry run: nothing changed)",
            crate::printer::plural(lock.packages.len(), "locked wheel"),
            verified_in.as_millis()
        ));
        write_stdout(summary.as_bytes());
        return Ok(SyncOutput {
            locked: lock.packages.len(),
            ..SyncOutput::default()
        });
    }
    if plan.is_empty() {
        printer.info(format_args!(
            "Verified {} in {} ms; the environment is already the lock",
            crate::printer::plural(lock.packages.len(), "locked wheel"),
            verified_in.as_millis()
        ));
        return Ok(SyncOutput {
            locked: lock.packages.len(),
            ..SyncOutput::default()
        });
    }
    let install_start = Instant::now();
    let output = crate::commands::execute_plan(
        &plan,
        environment,
        settings,
        Some(std::sync::Arc::clone(&digests)),
        printer,
    );
    let _ = digests.save();
    let output = match output? {
        Ok(output) => output,
        Err(status) => {
            return Ok(SyncOutput {
                interrupted: Some(status),
                locked: lock.packages.len(),
                ..SyncOutput::default()
            });
        }
    };
    printer.info(format_args!(
        "Verified {} (files and sizes in {} ms, then each sha256 as the installer read the wheel)",
        crate::printer::plural(lock.packages.len(), "locked wheel"),
        verified_in.as_millis()
    ));
    printer.info(format_args!(
        "Synced {} in {} ms: {} installed, {} removed",
        environment.root.display(),
        install_start.elapsed().as_millis(),
        output.installed.len(),
        removed
    ));
    for line in summary.lines() {
        printer.info(line);
    }
    for warning in &output.warnings {
        printer.warn(warning);
    }
    Ok(SyncOutput {
        interrupted: None,
        locked: lock.packages.len(),
        installed: output.installed.len(),
        removed,
    })
}
