//! `wharf install` (and `venv --seed`): pip's install, offline from the site's wheelhouse.
//! A short composition of the pipeline of `wharf-environment`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use wharf_environment::PythonEnvironment;
use wharf_environment::build::{BuildOptions, Builder};
use wharf_environment::operations::{
    self, Change, InstallPlan, PlanOptions, RequirementSources, ResolvePolicy,
};
use wharf_python::PythonEnv;
use wharf_site::SiteEnv;

use crate::commands::write_stdout;
use crate::error::Error;
use crate::settings::{GlobalArgs, InstallFlags, InstallSettings, pip_config};
use crate::{ExitStatus, Printer};

/// `wharf install` arguments (pip's names).
#[derive(Debug, Args)]
pub struct InstallArgs {
    /// Packages to install (PEP 508 requirements, e.g. "numpy>=1.26" or "pandas[performance]")
    #[arg(value_name = "PACKAGE")]
    pub packages: Vec<String>,
    /// Install a project in editable mode (PEP 660) from a local directory; repeatable
    #[arg(short = 'e', long = "editable", value_name = "DIR")]
    pub editables: Vec<String>,
    /// Install from the given requirements file (pip format; also pyproject.toml); repeatable
    #[arg(short = 'r', long = "requirement", value_name = "FILE")]
    pub requirements: Vec<PathBuf>,
    /// Constrain versions with the given constraints file; repeatable [env: PIP_CONSTRAINT]
    #[arg(short = 'c', long = "constraint", value_name = "FILE")]
    pub constraints: Vec<PathBuf>,
    /// The environment to install into: a venv directory or its python [default: $VIRTUAL_ENV]
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,
    /// Look for wheels in DIR (repeatable; order is priority) [default: PIP_FIND_LINKS, else find-links of $PIP_CONFIG_FILE]
    #[arg(short = 'f', long = "find-links", value_name = "DIR")]
    pub find_links: Vec<PathBuf>,
    /// Ignore the package index (accepted for pip compatibility: wharf installs only from find-links) [env: PIP_NO_INDEX]
    #[arg(long)]
    pub no_index: bool,
    /// Upgrade the named packages to the newest available version [env: PIP_UPGRADE]
    #[arg(short = 'U', long)]
    pub upgrade: bool,
    /// Reinstall the named packages even if already installed [env: PIP_FORCE_REINSTALL]
    #[arg(long, alias = "force-reinstall")]
    pub reinstall: bool,
    /// Do not install dependencies [env: PIP_NO_DEPS]
    #[arg(long)]
    pub no_deps: bool,
    /// Include pre-release and development versions [env: PIP_PRE]
    #[arg(long)]
    pub pre: bool,
    /// Resolve and print what would be installed, change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Accept manylinux wheels even though the site's `_manylinux` policy refuses them
    #[arg(long)]
    pub allow_manylinux: bool,
    /// Build projects in the target environment instead of an isolated one made from the
    /// wheelhouse (the build requirements must already be installed there)
    #[arg(long)]
    pub no_build_isolation: bool,
    /// Byte-compile installed Python files (.pyc)
    #[arg(long)]
    pub compile: bool,
    /// Do not use the wheel cache: unpack every wheel straight into the environment
    /// [default: unpack each wheel once into $WHARF_CACHE_DIR/wheels-v2 (else
    /// $XDG_CACHE_HOME/wharf, ~/.cache/wharf; off under WHARF_NO_CACHE or PIP_NO_CACHE_DIR), then link]
    #[arg(long, alias = "no-cache-dir")]
    pub no_cache: bool,
    /// Do not check installed files against the wheels' RECORD hashes and sizes [default:
    /// check; re-tagged `+computecanada` wheels may differ in .dist-info files and .so
    /// libraries only, shown with -v]
    #[arg(long)]
    pub no_verify_record: bool,
    /// How files come from the wheel cache [env: WHARF_LINK_MODE; default: auto, reflinks
    /// where the filesystem has them (XFS, Btrfs), else hard links]
    #[arg(long, value_enum, value_name = "MODE")]
    pub link_mode: Option<crate::settings::LinkModeArg>,
    /// Require a `--hash` for every package installed, and check each wheel against it before
    /// anything changes [env: PIP_REQUIRE_HASHES; default: on when a requirements file has a
    /// `--hash`]
    #[arg(long)]
    pub require_hashes: bool,
    #[command(flatten)]
    pub binary: BinaryArgs,
    #[command(flatten)]
    pub index: crate::settings::IndexArgs,
    /// Install the PEP 735 dependency group NAME of ./pyproject.toml (`PATH:NAME` of another
    /// file); repeatable
    #[arg(long, value_name = "[PATH:]NAME")]
    pub group: Vec<String>,
    /// With --upgrade: `only-if-needed` upgrades the named packages (pip's default), `eager`
    /// their dependencies too [env: PIP_UPGRADE_STRATEGY]
    #[arg(long, value_name = "STRATEGY", value_parser = ["only-if-needed", "eager"])]
    pub upgrade_strategy: Option<String>,
    /// Refused: wharf installs into virtual environments only (pip's `--user`)
    #[arg(long)]
    pub user: bool,
    /// Write pip's installation report (JSON, version 1: what would be installed, with each
    /// wheel's URL, hash and metadata) to FILE (`-`: stdout), before installing (also with
    /// --dry-run)
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Refused: wharf installs into virtual environments only (pip's `--target`)
    #[arg(long, value_name = "DIR")]
    pub target: Option<PathBuf>,
    /// Refused: wharf installs into virtual environments only (pip's `--prefix`)
    #[arg(long, value_name = "DIR")]
    pub prefix: Option<PathBuf>,
    /// Refused: wharf installs into virtual environments only (pip's `--root`)
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    #[command(flatten)]
    pub global: GlobalArgs,
}

impl InstallArgs {
    fn flags(&self) -> InstallFlags {
        InstallFlags {
            python: self.python.clone(),
            find_links: self.find_links.clone(),
            constraints: self.constraints.clone(),
            upgrade: self.upgrade,
            reinstall: self.reinstall,
            no_deps: self.no_deps,
            pre: self.pre,
            no_index: self.no_index,
            compile: self.compile,
            dry_run: self.dry_run,
            allow_manylinux: self.allow_manylinux,
            no_cache: self.no_cache,
            no_verify_record: self.no_verify_record,
            link_mode: self.link_mode.map(Into::into),
            require_hashes: self.require_hashes,
        }
    }
}

/// Runs `wharf install`.
pub fn install(
    args: &InstallArgs,
    site: &SiteEnv,
    python_env: &PythonEnv,
    printer: Printer,
) -> Result<ExitStatus, Error> {
    // `PIP_USER=1` (a user's shell profile, some old wiki pages) asks the same as `--user`.
    let user_from_env = site
        .vars
        .flag(wharf_env::EnvVars::PIP_USER)?
        .unwrap_or(false);
    if args.user || user_from_env {
        let given = if args.user {
            "`--user`"
        } else {
            "`PIP_USER` (set in the environment)"
        };
        return Err(Error::usage(
            format!("{given} is refused: wharf installs into virtual environments, never into ~/.local"),
            Some(
                "a --user install is seen by every Python of that version and breaks environments and modules; create one instead: `wharf venv ~/env && source ~/env/bin/activate`"
                    .to_string(),
            ),
        ));
    }
    let config = pip_config(site, printer);
    // pip's other install locations (`--target`, `--prefix`, `--root`, and the same from the
    // environment or the pip config): refused, never ignored.
    let elsewhere = [
        ("--target", args.target.is_some(), "PIP_TARGET", "target"),
        ("--prefix", args.prefix.is_some(), "PIP_PREFIX", "prefix"),
        ("--root", args.root.is_some(), "PIP_ROOT", "root"),
    ]
    .into_iter()
    .find_map(|(option, given, variable, key)| {
        if given {
            return Some(format!("`{option}`"));
        }
        if site.vars.get(variable).is_some_and(|v| !v.is_empty()) {
            return Some(format!("`{variable}` (set in the environment)"));
        }
        let config = config.as_ref()?;
        ["install", "global"].into_iter().find_map(|section| {
            config.get(section, key).map(|_| {
                format!(
                    "`{key}` in [{section}] of `{}`",
                    config.origin(section, key).display()
                )
            })
        })
    });
    if let Some(given) = elsewhere {
        return Err(Error::usage(
            format!("{given} is refused: wharf installs into virtual environments, not into another directory tree"),
            Some("create an environment there instead (`wharf venv DIR`) and install into it (`wharf install --python DIR …`), or `wharf venv --seed` for the real pip".to_string()),
        ));
    }
    let mut settings = InstallSettings::resolve(&args.flags(), site, config.as_ref())?;
    let mut packages =
        crate::commands::pip_habits::without_pip_upgrade(&args.packages, settings.upgrade, printer);
    // PEP 735 dependency groups (`--group [PATH:]NAME`, pip 25.1's option).
    for spec in &args.group {
        let (path, name) = match spec.rsplit_once(':') {
            Some((path, name)) if !path.is_empty() => (PathBuf::from(path), name),
            _ => (PathBuf::from("pyproject.toml"), spec.as_str()),
        };
        let text = fs_err::read_to_string(&path).map_err(|e| {
            Error::usage(
                format!("--group {spec}: cannot read `{}`: {e}", path.display()),
                Some(
                    "run it where the project's pyproject.toml is, or name it: `--group PATH:NAME`"
                        .to_string(),
                ),
            )
        })?;
        let group = wharf_requirements_txt::dependency_group(&text, &path, name)
            .map_err(|e| Error::usage(format!("--group {spec}: {e}"), e.hint()))?;
        packages.extend(group);
    }
    let upgrade_eager = args
        .upgrade_strategy
        .clone()
        .or_else(|| site.vars.get("PIP_UPGRADE_STRATEGY"))
        .is_some_and(|strategy| strategy == "eager");
    settings.upgrade_eager = upgrade_eager;
    if packages.is_empty() && args.requirements.is_empty() && !args.packages.is_empty() {
        return Ok(ExitStatus::Success);
    }
    install_with(
        RequirementSources {
            packages: &packages,
            requirement_files: &args.requirements,
            constraint_files: &settings.constraint_files,
            editables: &args.editables,
        },
        &settings,
        &BuildSettings {
            isolation: !args.no_build_isolation,
            binary: args.binary.clone(),
            index: args.index.package_index(site, config.as_ref(), "install")?,
            report: args.report.clone(),
        },
        site,
        python_env,
        printer,
    )
}

/// pip's choice between wheels and sdists (`install`, `lock`), applied after the
/// requirements files' own lines, as pip applies them.
#[derive(Debug, Clone, Default, Args)]
pub struct BinaryArgs {
    /// Never build these projects from source: comma-separated names, `:all:` or `:none:`;
    /// repeatable
    #[arg(long, value_name = "NAMES")]
    pub only_binary: Vec<String>,
    /// Never install these projects from a wheel of the wheelhouse, build their sdists
    /// instead: comma-separated names, `:all:` or `:none:`; repeatable
    #[arg(long, value_name = "NAMES")]
    pub no_binary: Vec<String>,
    /// Prefer any wheel, even of an older version, to building an sdist
    #[arg(long)]
    pub prefer_binary: bool,
}

impl BinaryArgs {
    /// Adds these options to what `requirements`' files said. pip applies them in command-line
    /// order, where a later `:all:` clears the other option's names; the parser keeps no order
    /// between two options, so values with `:all:` are applied first: `--no-binary :all:
    /// --only-binary numpy` and `--only-binary :all: --no-binary pkg` mean what they say in
    /// either order.
    pub fn apply(&self, requirements: &mut operations::Requirements) {
        let control = &mut requirements.format_control;
        for everything in [true, false] {
            for value in &self.only_binary {
                if value.split(',').any(|n| n == ":all:") == everything {
                    control.add_only_binary(value);
                }
            }
            for value in &self.no_binary {
                if value.split(',').any(|n| n == ":all:") == everything {
                    control.add_no_binary(value);
                }
            }
        }
        requirements.prefer_binary |= self.prefer_binary;
    }
}

/// How direct references (paths, `-e DIR`) and sdists are built.
#[derive(Debug, Clone)]
pub struct BuildSettings {
    /// Build in an isolated environment from the wheelhouse (`--no-build-isolation`: false).
    pub isolation: bool,
    /// `--only-binary`, `--no-binary`, `--prefer-binary`.
    pub binary: BinaryArgs,
    /// The package indexes searched with the find-links directories (`-i`,
    /// `--extra-index-url`): their wheels are candidates, downloaded when chosen.
    pub index: Option<std::sync::Arc<wharf_environment::index::PackageIndex>>,
    /// `--report FILE`: pip's installation report, written once the plan is made.
    pub report: Option<PathBuf>,
}

impl Default for BuildSettings {
    fn default() -> Self {
        Self {
            isolation: true,
            binary: BinaryArgs::default(),
            index: None,
            report: None,
        }
    }
}

/// Installs `sources` with resolved `settings`: read requirements, find the environment,
/// scan the wheelhouse, resolve, plan, execute (or print the plan under `--dry-run`).
pub fn install_with(
    sources: RequirementSources<'_>,
    settings: &InstallSettings,
    build: &BuildSettings,
    site: &SiteEnv,
    python_env: &PythonEnv,
    printer: Printer,
) -> Result<ExitStatus, Error> {
    crate::commands::replanning(printer, || {
        install_once(sources, settings, build, site, python_env, printer)
    })
}

/// One attempt of [`install_with`]: the plan is made against the environment as it is now.
fn install_once(
    sources: RequirementSources<'_>,
    settings: &InstallSettings,
    build: &BuildSettings,
    site: &SiteEnv,
    python_env: &PythonEnv,
    printer: Printer,
) -> Result<ExitStatus, Error> {
    let start = Instant::now();
    // The input first: a bad requirement or file is reported before any interpreter runs.
    let mut requirements = operations::read_requirements(sources, &|name| site.lookup(name))?;
    let environment = PythonEnvironment::find(
        settings.python.as_deref(),
        settings.virtual_env.as_deref(),
        python_env,
    )?;
    crate::commands::report_recovery(&environment, printer);
    warn_on_pin_mismatch(&environment, printer);
    requirements.index.clone_from(&build.index);
    let wheel_sources = settings.sources_for(
        !requirements.direct.is_empty()
            || !requirements.find_links.is_empty()
            || build.index.is_some(),
    )?;
    if requirements.requirements.is_empty() && requirements.direct.is_empty() {
        return Err(wharf_environment::OperationError::NothingToInstall.into());
    }
    let progress = crate::progress::spinner("Resolving".to_string(), printer.is_quiet());
    let catalogue = wheel_sources
        .with_extra(&requirements.find_links)
        .catalogue();
    // An unreadable wheel directory is always worth a warning (as `avail` gives): without it
    // a permission problem reads as "no wheel named X".
    for warning in operations::notable_warnings(&catalogue) {
        if let wharf_site::ScanWarning::MissingDirectory { path } = warning {
            // A configured directory that is not there: a typo, or a module not loaded.
            let origin = catalogue
                .find_links
                .iter()
                .find(|link| &link.path == path)
                .and_then(|link| link.origin.as_ref())
                .map(|origin| format!(" (from {origin})"))
                .unwrap_or_default();
            printer.warn(format_args!(
                "wheel directory `{}`{origin} does not exist; skipped",
                path.display()
            ));
        } else if matches!(warning, wharf_site::ScanWarning::UnreadableDirectory { .. }) {
            printer.warn_error(warning);
        } else {
            printer.verbose(format_args!("warning: {warning}"));
        }
    }
    let build_options = BuildOptions {
        isolation: build.isolation,
        cache_dir: settings.cache_dir.clone(),
        threads: settings.threads,
        config_settings: std::collections::BTreeMap::new(),
    };
    let report = |line: &str| printer.info(line);
    let builder = Builder::new(&environment, &catalogue, &build_options, &report)?;
    if !requirements.direct.is_empty() {
        progress.finish_and_clear();
        let markers = environment.marker_environment()?;
        operations::prepare_direct(&mut requirements, &builder, &markers)?;
    }
    let policy = ResolvePolicy {
        upgrade: settings.upgrade,
        upgrade_eager: settings.upgrade_eager,
        reinstall: settings.reinstall,
        no_deps: settings.no_deps,
        prerelease: settings.pre,
        allow_manylinux: settings.allow_manylinux,
    };
    build.binary.apply(&mut requirements);
    let resolution =
        operations::resolve_with_builds(&requirements, &environment, &catalogue, &policy, &builder);
    progress.finish_and_clear();
    if let Some(index) = &build.index {
        for note in index.take_notes() {
            printer.info(note);
        }
    }
    let resolution = resolution?;
    // The chosen wheels of an index, into the cache (each checked against the index's
    // sha256), so the plan installs files as from the wheelhouse.
    if let Some(index) = &build.index
        && !settings.dry_run
    {
        let fetched = wharf_environment::index::fetch_chosen(&resolution.packages, index, false)?;
        if fetched > 0 {
            printer.verbose(format_args!(
                "Downloaded {} from the index",
                crate::printer::plural(fetched, "wheel")
            ));
        }
    }
    for warning in operations::missing_extras(&requirements, &resolution.packages) {
        printer.warn(warning);
    }
    let resolved_in = start.elapsed();
    let mut plan = InstallPlan::from_resolution_with(
        &resolution,
        PlanOptions {
            reinstall: settings.reinstall,
            exact: false,
        },
        &requirements.local_wheels,
    );
    // pip's hash-checking mode: every wheel checked against its `--hash` before anything
    // changes, and the installer held to the bytes checked.
    let digests = if requirements.hash_checking(settings.require_hashes) {
        let digests = std::sync::Arc::new(crate::commands::lock::wheel_digests(site));
        operations::check_hashes(&requirements, &mut plan, &digests)?;
        let _ = digests.save();
        Some(digests)
    } else {
        None
    };
    if let Some(path) = &build.report {
        write_report(path, &plan, &resolution, &requirements, &environment)?;
    }
    let summary = summary_lines(&plan, printer.verbosity() > 0);
    if settings.dry_run {
        printer.info(format_args!(
            "Resolved {} in {} ms (dry run: nothing changed)",
            crate::printer::plural(resolution.packages.len(), "package"),
            resolved_in.as_millis()
        ));
        return Ok(write_stdout(summary.concat().as_bytes()));
    }
    if plan.is_empty() {
        printer.info(format_args!(
            "Resolved {} in {} ms; requirements already satisfied",
            crate::printer::plural(resolution.packages.len(), "package"),
            resolved_in.as_millis()
        ));
        return Ok(ExitStatus::Success);
    }
    let install_start = Instant::now();
    let output =
        match crate::commands::execute_plan(&plan, &environment, settings, digests, printer)? {
            Ok(output) => output,
            Err(status) => return Ok(status),
        };
    printer.info(format_args!(
        "Resolved {} in {} ms",
        crate::printer::plural(resolution.packages.len(), "package"),
        resolved_in.as_millis()
    ));
    let cache = output.cache;
    let from_cache = if cache.hits + cache.unpacked > 0 {
        format!(
            " ({} from the wheel cache, {} unpacked into it)",
            cache.hits, cache.unpacked
        )
    } else {
        String::new()
    };
    printer.info(format_args!(
        "Installed {} in {} ms{from_cache}",
        crate::printer::plural(output.installed.len(), "package"),
        install_start.elapsed().as_millis()
    ));
    for line in &summary {
        printer.info(line.trim_end());
    }
    for warning in &output.warnings {
        printer.warn(warning);
    }
    for note in &output.notes {
        printer.verbose(format_args!("note: {note}"));
    }
    Ok(ExitStatus::Success)
}

/// A `.python-version` pin (here or in a parent) that the environment's Python does not
/// satisfy is worth a warning: the environment was made before the pin, or with `--python`.
fn warn_on_pin_mismatch(environment: &PythonEnvironment, printer: Printer) {
    let cwd = std::env::current_dir().unwrap_or_default();
    let Some((pin, wharf_python::PythonRequest::Version(wanted))) = wharf_python::read_pin(&cwd)
    else {
        return;
    };
    let Some(actual) = environment.info.python_version() else {
        return;
    };
    if wanted.matched_by(&actual) == Some(false) {
        printer.warn(format_args!(
            "`{}` pins Python {wanted}, but the environment `{}` has Python {}",
            pin.display(),
            environment.root.display(),
            environment.info.version()
        ));
    }
}

/// ` - old==1`, ` + new==2` (and `     from PATH` with `-v`) lines, each ending in a newline.
fn summary_lines(plan: &InstallPlan, verbose: bool) -> Vec<String> {
    let mut lines = Vec::new();
    for change in &plan.changes {
        match change {
            Change::Remove { name, version } => lines.push(format!(" - {name}=={version}\n")),
            Change::Install {
                name,
                version,
                path,
            } => {
                lines.push(format!(" + {name}=={version}\n"));
                if verbose {
                    lines.push(format!("     from {}\n", path.display()));
                }
            }
        }
    }
    lines
}

/// Installs `names` (those the wheelhouse has) into the fresh venv at `root`: `wharf venv
/// --seed`. A wheelhouse without pip is a warning, not an error.
pub fn seed(
    root: &Path,
    names: &[&str],
    site: &SiteEnv,
    python_env: &PythonEnv,
    printer: Printer,
) -> Result<ExitStatus, Error> {
    let config = pip_config(site, printer);
    let flags = InstallFlags {
        python: Some(root.to_path_buf()),
        ..InstallFlags::default()
    };
    let settings = InstallSettings::resolve(&flags, site, config.as_ref())?;
    let catalogue = settings.sources()?.catalogue();
    let available: Vec<String> = operations::available_names(&catalogue, names)
        .into_iter()
        .map(str::to_string)
        .collect();
    if available.is_empty() {
        printer.warn("--seed: the wheelhouse has no pip wheel; the environment has no pip");
        return Ok(ExitStatus::Success);
    }
    let quiet = Printer::with(
        crate::settings::ColorChoice::Auto,
        site.no_color,
        true,
        printer.verbosity(),
    );
    install_with(
        RequirementSources {
            packages: &available,
            requirement_files: &[],
            constraint_files: &settings.constraint_files,
            editables: &[],
        },
        &settings,
        &BuildSettings::default(),
        site,
        python_env,
        quiet,
    )
}

/// pip's installation report (`--report`, version "1"): each wheel the plan installs with its
/// `download_info` (the index URL it came from, else its `file:` URL, and its sha256), whether
/// it was requested (and with which extras) or given by path, its core metadata as JSON, and the
/// target's markers. Written to `path` (`-`: stdout) before anything is installed, as pip does.
///
/// Errors: a wheel or `path` that cannot be read or written.
fn write_report(
    path: &Path,
    plan: &InstallPlan,
    resolution: &operations::Resolution,
    requirements: &operations::Requirements,
    environment: &PythonEnvironment,
) -> Result<(), Error> {
    let io = |e: std::io::Error| Error::new(e, None, ExitStatus::Error);
    let remote_urls: std::collections::HashMap<&Path, &str> = resolution
        .packages
        .iter()
        .filter_map(|p| match &p.source {
            wharf_resolve::ResolvedSource::Wheel(c) => {
                Some((c.path.as_path(), c.remote.as_ref()?.url.as_str()))
            }
            wharf_resolve::ResolvedSource::Installed { .. } => None,
        })
        .collect();
    let mut install = Vec::new();
    for wheel in &plan.plan.install {
        let (sha256, _) = wharf_environment::lock::sha256_file(&wheel.path).map_err(io)?;
        let url = remote_urls.get(wheel.path.as_path()).map_or_else(
            || {
                wharf_index::Url::from_file_path(
                    std::path::absolute(&wheel.path).unwrap_or_default(),
                )
                .map(String::from)
                .unwrap_or_default()
            },
            |url| (*url).to_string(),
        );
        let metadata = wharf_metadata::read_metadata_bytes(&wheel.path)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .map_err(|e| Error::new(e, None, ExitStatus::Error))?;
        let metadata = crate::commands::pip_only::metadata_json(&metadata);
        let name = metadata
            .get("name")
            .and_then(|n| n.as_str())
            .and_then(|n| <pep508_rs::PackageName as std::str::FromStr>::from_str(n).ok());
        let mut entry = serde_json::json!({
            "download_info": {
                "url": url,
                "archive_info": {
                    "hash": format!("sha256={sha256}"),
                    "hashes": {"sha256": sha256},
                },
            },
            "is_direct": wheel.direct_url.is_some(),
            "is_yanked": false,
            "requested": wheel.requested,
            "metadata": metadata,
        });
        let extras: Vec<String> = requirements
            .requirements
            .iter()
            .filter(|r| Some(&r.name) == name.as_ref())
            .flat_map(|r| r.extras.iter().map(ToString::to_string))
            .collect();
        if !extras.is_empty() {
            entry["requested_extras"] = extras.into();
        }
        install.push(entry);
    }
    let markers = environment.marker_environment()?;
    let report = serde_json::json!({
        "version": "1",
        "pip_version": format!("wharf {}", env!("CARGO_PKG_VERSION")),
        "install": install,
        "environment": crate::commands::pip_only::marker_json(&markers),
    });
    let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
    text.push('\n');
    if path.as_os_str() == "-" {
        write_stdout(text.as_bytes());
        Ok(())
    } else {
        fs_err::write(path, text).map_err(io)
    }
}
