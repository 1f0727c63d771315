//! `wharf lock`: resolve for an interpreter under the site's rules and write a PEP 751
//! `pylock.toml` (or pip's hashed requirements format); `--from-env` locks what an
//! environment holds (the site's `pip freeze --local` step, with hashes).

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Instant;

use clap::Args;
use pep440_rs::Version;
use pep508_rs::PackageName;
use wharf_digest::DigestCache;
use wharf_environment::PythonEnvironment;
use wharf_environment::lock::Lock;
use wharf_environment::operations::{self, RequirementSources, ResolvePolicy, ResolveTarget};
use wharf_environment::sync::{self as lock_ops, SyncError};
use wharf_python::{PythonEnv, PythonRequest};
use wharf_site::SiteEnv;

use crate::commands::write_stdout;
use crate::error::Error;
use crate::settings::{GlobalArgs, InstallFlags, InstallSettings, pip_config};
use crate::{ExitStatus, Printer};

/// Output formats of `wharf lock`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LockFormat {
    /// PEP 751 `pylock.toml` (uv reads it: `uv pip sync pylock.toml`)
    #[value(name = "pylock.toml")]
    PylockToml,
    /// `name==version --hash=sha256:…` lines (`pip install --no-index --require-hashes -r`)
    #[value(name = "requirements.txt")]
    RequirementsTxt,
}

/// `wharf lock` arguments.
#[derive(Debug, Args)]
pub struct LockArgs {
    /// Packages to lock (PEP 508 requirements), or requirements files (`requirements.in`,
    /// `*.txt`, `pyproject.toml`, `-` for the standard input) as `uv pip compile` takes them
    #[arg(value_name = "PACKAGE")]
    pub packages: Vec<String>,
    /// Lock the requirements of FILE (pip format, or pyproject.toml); repeatable
    #[arg(short = 'r', long = "requirement", value_name = "FILE")]
    pub requirements: Vec<PathBuf>,
    /// Constrain versions with FILE; repeatable [env: PIP_CONSTRAINT]
    #[arg(short = 'c', long = "constraint", value_name = "FILE")]
    pub constraints: Vec<PathBuf>,
    /// Lock what the environment ENV holds instead (its packages, not those on PYTHONPATH)
    #[arg(long, value_name = "ENV", conflicts_with_all = ["packages", "requirements"])]
    pub from_env: Option<PathBuf>,
    /// The interpreter to lock for: a version (3.11) or a path; repeatable: one lock for
    /// several Pythons, each package marked with the Pythons it is for where they differ
    /// [default: .python-version, the loaded module, the active venv's base, python3]
    #[arg(long, value_name = "PYTHON")]
    pub python: Vec<String>,
    /// Where to write the lock (`-` for stdout) [default: pylock.toml, or requirements.txt with --format requirements.txt]
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The lock's format [default: from the output's name: requirements.txt for `*.txt`,
    /// else pylock.toml]
    #[arg(long, value_enum)]
    pub format: Option<LockFormat>,
    /// Re-lock PACKAGE to its newest version, keep every other version of the existing lock; repeatable
    #[arg(short = 'P', long, value_name = "PACKAGE")]
    pub upgrade_package: Vec<String>,
    /// Look for wheels in DIR (repeatable; order is priority) [default: PIP_FIND_LINKS, else find-links of $PIP_CONFIG_FILE]
    #[arg(short = 'f', long = "find-links", value_name = "DIR")]
    pub find_links: Vec<PathBuf>,
    /// Include pre-release versions [env: PIP_PRE]
    #[arg(long)]
    pub pre: bool,
    /// Accept manylinux wheels even though the site's `_manylinux` policy refuses them
    #[arg(long)]
    pub allow_manylinux: bool,
    #[command(flatten)]
    pub binary: crate::commands::install::BinaryArgs,
    #[command(flatten)]
    pub index: crate::settings::IndexArgs,
    #[command(flatten)]
    pub global: GlobalArgs,
}

/// Runs `wharf lock`.
pub fn lock(
    args: &LockArgs,
    site: &SiteEnv,
    python_env: &PythonEnv,
    printer: Printer,
) -> Result<ExitStatus, Error> {
    let start = Instant::now();
    let config = pip_config(site, printer);
    let flags = InstallFlags {
        find_links: args.find_links.clone(),
        constraints: args.constraints.clone(),
        pre: args.pre,
        allow_manylinux: args.allow_manylinux,
        ..InstallFlags::default()
    };
    let settings = InstallSettings::resolve(&flags, site, config.as_ref())?;
    // The format from the output's name when not given (`-o x.txt` wrote TOML into a `.txt`).
    let format =
        args.format
            .unwrap_or_else(|| match args.output.as_deref().and_then(Path::extension) {
                Some(extension) if extension.eq_ignore_ascii_case("txt") => {
                    LockFormat::RequirementsTxt
                }
                _ => LockFormat::PylockToml,
            });
    let output = args.output.clone().unwrap_or_else(|| {
        PathBuf::from(match format {
            LockFormat::PylockToml => "pylock.toml",
            LockFormat::RequirementsTxt => "requirements.txt",
        })
    });
    // PEP 751: `pylock.toml` or `pylock.NAME.toml`; uv and pip read no other name.
    if format == LockFormat::PylockToml && output.as_os_str() != "-" {
        let name = output
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let standard = name == "pylock.toml"
            || (name.starts_with("pylock.")
                && name.ends_with(".toml")
                && name.len() > "pylock..toml".len()
                && !name["pylock.".len()..name.len() - ".toml".len()].contains('.'));
        if !standard {
            printer.warn(format_args!(
                "`{name}` is not a PEP 751 lock file name (`pylock.toml` or `pylock.NAME.toml`): uv and pip will not read it as a lock"
            ));
        }
    }
    let digests = wheel_digests(site);
    let lock = if let Some(env) = &args.from_env {
        lock_environment(env, &settings, python_env, &digests)?
    } else {
        let index = args.index.package_index(site, config.as_ref(), "install")?;
        let pythons: Vec<Option<&str>> = if args.python.is_empty() {
            vec![None]
        } else {
            args.python.iter().map(|p| Some(p.as_str())).collect()
        };
        let mut locks = Vec::new();
        for python in pythons {
            locks.push(lock_requirements(
                args,
                python,
                &settings,
                index.as_ref(),
                &output,
                site,
                python_env,
                &digests,
                printer,
            )?);
        }
        Lock::merge_pythons(locks)
    };
    if let Err(e) = digests.save() {
        printer.verbose(format_args!("the wheel digest cache was not kept: {e}"));
    }
    let text = match format {
        LockFormat::PylockToml => lock.to_toml(
            output
                .parent()
                .filter(|p| !p.as_os_str().is_empty() && output.as_os_str() != "-")
                .unwrap_or(Path::new(".")),
        ),
        LockFormat::RequirementsTxt => lock.to_requirements_txt(),
    };
    if output.as_os_str() == "-" {
        return Ok(write_stdout(text.as_bytes()));
    }
    write_atomically(&output, &text)?;
    printer.info(format_args!(
        "Locked {} in {} ms to {}",
        crate::printer::plural(lock.packages.len(), "package"),
        start.elapsed().as_millis(),
        output.display()
    ));
    Ok(ExitStatus::Success)
}

/// The digests of the wheelhouse's wheels remembered between runs (`CACHE_DIR/digests-v1/
/// wheels.tsv`): a wheel hashed by an earlier lock and unchanged since is not read again.
pub fn wheel_digests(site: &SiteEnv) -> DigestCache {
    DigestCache::open(site.vars.cache_dir().as_deref(), "wheels")
}

/// Writes `text` to `path` through a temporary file in the same directory and a rename, so
/// a reader never sees half a lock.
fn write_atomically(path: &Path, text: &str) -> Result<(), Error> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let temporary = dir.join(format!(
        ".{}.wharf-{}",
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        std::process::id()
    ));
    let io = |e| Error::new(e, None, ExitStatus::Error);
    fs_err::write(&temporary, text).map_err(io)?;
    fs_err::rename(&temporary, path).map_err(io)
}

/// The lock of `args`' requirements for one interpreter (`python`, else the default one),
/// with its `X.Y`.
#[allow(clippy::too_many_arguments)]
fn lock_requirements(
    args: &LockArgs,
    python: Option<&str>,
    settings: &InstallSettings,
    index: Option<&std::sync::Arc<wharf_environment::index::PackageIndex>>,
    output: &Path,
    site: &SiteEnv,
    python_env: &PythonEnv,
    digests: &DigestCache,
    printer: Printer,
) -> Result<(String, Lock), Error> {
    let request = python.map(PythonRequest::parse).transpose()?;
    let cwd = std::env::current_dir().unwrap_or_default();
    let found = wharf_python::find_python(request.as_ref(), &cwd, python_env)?;
    for skipped in &found.skipped {
        printer.verbose(format_args!("skipped {skipped}"));
    }
    // A venv's interpreter locks for its base: the lock is for the Python, not the venv.
    let info = wharf_python::probe(&found.installation.executable, python_env)?;
    printer.verbose(format_args!(
        "Locking for Python {} at {}",
        info.version(),
        info.base_interpreter().display()
    ));
    // `wharf lock requirements.in` (as `uv pip compile requirements.in`): a positional
    // argument that is `-` or an existing `*.in`, `*.txt` or `pyproject.toml` file is read as
    // a requirements file.
    let (files, packages): (Vec<&String>, Vec<&String>) = args
        .packages
        .iter()
        .partition(|text| is_requirements_file(text));
    let packages: Vec<String> = packages.into_iter().cloned().collect();
    let requirement_files: Vec<PathBuf> = args
        .requirements
        .iter()
        .cloned()
        .chain(files.into_iter().map(PathBuf::from))
        .collect();
    let mut requirements = operations::read_requirements(
        RequirementSources {
            packages: &packages,
            requirement_files: &requirement_files,
            constraint_files: &settings.constraint_files,
            editables: &[],
        },
        &|name| site.lookup(name),
    )?;
    args.binary.apply(&mut requirements);
    requirements.index = index.cloned();
    if let Some(direct) = requirements.direct.first() {
        return Err(Error::usage(
            format!(
                "`{}` ({}): wharf lock takes requirements by name",
                direct.text, direct.origin
            ),
            Some(
                "a lock lists wheels of the wheelhouse; install local paths with `wharf install`"
                    .to_string(),
            ),
        ));
    }
    if requirements.requirements.is_empty() {
        return Err(Error::usage(
            "nothing to lock",
            Some("name packages (`wharf lock numpy`), pass `-r requirements.in`, or `--from-env ENV`".to_string()),
        ));
    }
    // --upgrade-package: every other version of the existing lock is kept (a preference,
    // as an installed version is); the named ones are resolved anew.
    let mut preferences = Vec::new();
    if !args.upgrade_package.is_empty() {
        let upgrade: Vec<PackageName> = args
            .upgrade_package
            .iter()
            .map(|p| {
                PackageName::from_str(p)
                    .map_err(|e| Error::usage(format!("invalid package name `{p}`: {e}"), None))
            })
            .collect::<Result<_, _>>()?;
        if crate::commands::sync::is_toml_lock(output) && output.exists() {
            let existing = Lock::read(output).map_err(|e| {
                Error::from(wharf_environment::OperationError::Sync(SyncError::Lock(e)))
            })?;
            preferences = lock_ops::preferences_from_lock(&existing, output, &upgrade)
                .map_err(wharf_environment::OperationError::Sync)?;
        } else {
            printer.warn(format_args!(
                "--upgrade-package: no existing `{}` to keep versions from; locking everything anew",
                output.display()
            ));
        }
    }
    // What modules put on PYTHONPATH counts as there, as `install` counts it: the lock pins
    // the module's version (a job with the module loaded finds it, one without installs the
    // wheelhouse's wheel of that version).
    for provided in wharf_environment::environment::module_packages(&info)? {
        if !preferences.iter().any(|p| p.name == provided.name) {
            printer.verbose(format_args!(
                "{} {} is provided outside the environment (PYTHONPATH): locked at that version",
                provided.name, provided.version
            ));
            preferences.push(provided);
        }
    }
    let catalogue = settings
        .sources_for(index.is_some())?
        .with_extra(&requirements.find_links)
        .catalogue();
    let target = ResolveTarget::from_info(&info, settings.allow_manylinux)?;
    let policy = ResolvePolicy {
        prerelease: settings.pre,
        allow_manylinux: settings.allow_manylinux,
        ..ResolvePolicy::default()
    };
    // The wheelhouse's sdists are candidates as for `install`: one chosen is built (in an
    // isolated build environment of this interpreter, through the build cache) to read its
    // metadata, and locked as the sdist.
    let build_options = wharf_environment::build::BuildOptions {
        isolation: true,
        cache_dir: settings.cache_dir.clone(),
        threads: settings.threads,
        config_settings: std::collections::BTreeMap::new(),
    };
    let report = |line: &str| printer.info(line);
    let builder = wharf_environment::build::Builder::for_interpreter(
        &found.installation.executable,
        &info,
        python_env,
        &catalogue,
        &build_options,
        &report,
    )?;
    let resolution = operations::resolve_for(
        &requirements,
        &target,
        &preferences,
        &catalogue,
        &policy,
        Some(&builder),
    );
    if let Some(index) = index {
        for note in index.take_notes() {
            printer.info(note);
        }
    }
    let resolution = resolution?;
    // A lock records the index's URL, size and sha256; a wheel whose index states neither is
    // downloaded (into the cache) to be hashed.
    if let Some(index) = index {
        wharf_environment::index::fetch_chosen(&resolution.packages, index, true)?;
    }
    let (major, minor) = info.major_minor();
    Ok((
        format!("{major}.{minor}"),
        lock_ops::lock_from_resolution(&resolution, &info, digests)
            .map_err(wharf_environment::OperationError::Sync)?,
    ))
}

/// Whether a positional argument of `wharf lock` names a requirements file: `-` (the
/// standard input), or an existing file named `*.in`, `*.txt` or `pyproject.toml`.
fn is_requirements_file(text: &str) -> bool {
    let path = Path::new(text);
    text == "-"
        || (path.is_file()
            && (path.file_name().is_some_and(|n| n == "pyproject.toml")
                || path.extension().is_some_and(|e| e == "in" || e == "txt")))
}

/// The distributions outside `environment` (on `PYTHONPATH`, put there by modules) that the
/// requirements of `dists` reach, directly or through one another, where the environment has
/// no distribution of that name.
fn relied_on_outside(
    environment: &PythonEnvironment,
    dists: &[wharf_install::InstalledDist],
) -> Result<Vec<wharf_install::InstalledDist>, Error> {
    let outside = environment.installed_outside()?;
    let markers = environment.marker_environment()?;
    let inside: std::collections::HashSet<String> = dists
        .iter()
        .map(wharf_install::InstalledDist::normalized_name)
        .collect();
    let mut found: Vec<wharf_install::InstalledDist> = Vec::new();
    let mut queue: Vec<&wharf_install::InstalledDist> = dists.iter().collect();
    while let Some(dist) = queue.pop() {
        for text in &dist.requires_dist {
            let Ok(requirement) = wharf_metadata::parse_requirement::<pep508_rs::VerbatimUrl>(text)
            else {
                continue;
            };
            if !requirement.evaluate_markers(&markers, &[]) {
                continue;
            }
            let name = requirement.name.to_string();
            if inside.contains(&name) || found.iter().any(|d| d.normalized_name() == name) {
                continue;
            }
            if let Some(provided) = outside.iter().find(|d| d.normalized_name() == name) {
                found.push(provided.clone());
                queue.push(provided);
            }
        }
    }
    found.sort_by_key(wharf_install::InstalledDist::normalized_name);
    Ok(found)
}

/// `--from-env`: each distribution installed in the environment (pip, and setuptools and
/// wheel below Python 3.12, aside, as `pip freeze` leaves them out) at its version, with the
/// wheelhouse's wheel of that version that the site's rules prefer.
fn lock_environment(
    env: &Path,
    settings: &InstallSettings,
    python_env: &PythonEnv,
    digests: &DigestCache,
) -> Result<Lock, Error> {
    let environment = PythonEnvironment::find(Some(env), None, python_env)?;
    let dists = environment.installed()?;
    let skip: &[&str] = if environment.python_version() < (3, 12) {
        &["pip", "setuptools", "wheel", "distribute"]
    } else {
        &["pip"]
    };
    let mut requirements = operations::Requirements::default();
    for dist in &dists {
        let (Ok(name), Ok(version)) = (
            PackageName::from_str(&dist.name),
            Version::from_str(&dist.version),
        ) else {
            continue;
        };
        if skip.contains(&name.as_ref()) {
            continue;
        }
        requirements
            .requirements
            .push(operations::parse_requirement(
                &format!("{name}==={version}"),
                &dist.path.display().to_string(),
            )?);
    }
    // What the environment's packages rely on from a module (scipy-stack's numpy on
    // PYTHONPATH) is locked too, at the module's release: a job without the module then
    // installs it, one with the module finds it there.
    for dist in relied_on_outside(&environment, &dists)? {
        requirements
            .requirements
            .push(operations::parse_requirement(
                &format!("{}=={}", dist.name, dist.version),
                &dist.path.display().to_string(),
            )?);
    }
    let catalogue = settings.sources()?.catalogue();
    let target = ResolveTarget::from_info(&environment.info, settings.allow_manylinux)?;
    let policy = ResolvePolicy {
        no_deps: true,
        prerelease: true,
        allow_manylinux: settings.allow_manylinux,
        ..ResolvePolicy::default()
    };
    let resolution =
        operations::resolve_for(&requirements, &target, &[], &catalogue, &policy, None)?;
    Ok(
        lock_ops::lock_from_resolution(&resolution, &environment.info, digests)
            .map_err(wharf_environment::OperationError::Sync)?,
    )
}
