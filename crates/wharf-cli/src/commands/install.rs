//! `wharf install`, `uninstall`, `list`, `freeze`, `check`: pip's environment commands,
//! offline from the site's wheelhouse.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Instant;

use clap::Args;
use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::{MarkerEnvironment, PackageName, Requirement, VersionOrUrl};
use wharf_install::{InstallOptions, InstalledDist, Plan, WheelCache, WheelInstall};
use wharf_python::PythonEnv;
use wharf_requirements_txt::{FileKind, RequirementsTxt};
use wharf_resolve::{
    CandidateSet, Installed, ResolveError, ResolveOptions, ResolvedSource, ResolverEnv,
};
use wharf_site::{Catalogue, FindLinks, PipConfig, SiteEnv};
use wharf_wheel_filename::{PlatformTag, Tags};

use crate::commands::target::{CommandError, Target};
use crate::commands::write_stdout;
use crate::{ExitStatus, Printer};

/// `wharf install` arguments (pip's names).
#[derive(Debug, Args)]
pub struct InstallArgs {
    /// Packages to install (PEP 508 requirements, e.g. "numpy>=1.26" or "pandas[performance]")
    #[arg(value_name = "PACKAGE")]
    pub packages: Vec<String>,
    /// Install from the given requirements file (pip format; also pyproject.toml); repeatable
    #[arg(short = 'r', long = "requirement", value_name = "FILE")]
    pub requirements: Vec<PathBuf>,
    /// Constrain versions with the given constraints file; repeatable
    #[arg(short = 'c', long = "constraint", value_name = "FILE")]
    pub constraints: Vec<PathBuf>,
    /// The environment to install into: a venv directory or its python [default: $VIRTUAL_ENV]
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,
    /// Look for wheels in DIR (repeatable; order is priority) [default: find-links of $PIP_CONFIG_FILE]
    #[arg(short = 'f', long = "find-links", value_name = "DIR")]
    pub find_links: Vec<PathBuf>,
    /// Upgrade the named packages to the newest available version
    #[arg(short = 'U', long)]
    pub upgrade: bool,
    /// Reinstall the named packages even if already installed
    #[arg(long, alias = "force-reinstall")]
    pub reinstall: bool,
    /// Do not install dependencies
    #[arg(long)]
    pub no_deps: bool,
    /// Include pre-release and development versions
    #[arg(long)]
    pub pre: bool,
    /// Resolve and print what would be installed, change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Accept manylinux wheels even though the site's `_manylinux` policy refuses them
    #[arg(long)]
    pub allow_manylinux: bool,
    /// Byte-compile installed Python files (.pyc)
    #[arg(long)]
    pub compile: bool,
    /// Do not use the wheel cache: unpack every wheel straight into the environment
    /// [default: unpack each wheel once into $WHARF_CACHE_DIR/wheels-v1 (else
    /// $XDG_CACHE_HOME/wharf, ~/.cache/wharf; off under WHARF_NO_CACHE), then hard-link]
    #[arg(long)]
    pub no_cache: bool,
    /// Print less (only errors)
    #[arg(short, long)]
    pub quiet: bool,
    /// Print more (each package's wheel path)
    #[arg(short, long)]
    pub verbose: bool,
}

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
}

/// `wharf list` output formats.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ListFormat {
    /// `Package Version` columns, as `pip list`
    Columns,
    /// `name==version` lines, as `pip freeze`
    Freeze,
    /// A JSON array of `{"name", "version"}`
    Json,
}

/// `wharf list` / `wharf freeze` / `wharf check` arguments.
#[derive(Debug, Args)]
pub struct EnvArgs {
    /// The environment: a venv directory or its python [default: $VIRTUAL_ENV]
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,
    /// Only distributions installed in the environment (not those on PYTHONPATH)
    #[arg(short, long)]
    pub local: bool,
}

fn parse_requirement(text: &str, origin: &str) -> Result<Requirement, CommandError> {
    Requirement::from_str(text).map_err(|e| {
        CommandError::usage(
            format!("invalid requirement `{text}` ({origin}): {e}"),
            Some(
                "requirements follow PEP 508, e.g. `numpy>=1.26` or `pandas[performance]==2.2.*`"
                    .to_string(),
            ),
        )
    })
}

fn read_files(
    files: &[PathBuf],
    kind: FileKind,
    into: &mut RequirementsTxt,
) -> Result<(), CommandError> {
    for file in files {
        into.add_file(file, kind, &SiteEnv::lookup).map_err(|e| {
            let hint = e.hint();
            CommandError::from_error(&e, hint, ExitStatus::Error)
        })?;
    }
    Ok(())
}

/// The wheel sources: `-f` dirs, else `[install]` then `[global]` find-links of the pip
/// config; and the config's `constraint` file.
fn sources(
    args_find_links: &[PathBuf],
    site: &SiteEnv,
    printer: Printer,
) -> Result<(FindLinks, Vec<PathBuf>), CommandError> {
    let mut constraint_files = Vec::new();
    let config = match site
        .pip_config_file
        .as_deref()
        .filter(|p| !p.as_os_str().is_empty())
    {
        Some(path) => match PipConfig::read(path) {
            Ok(c) => Some(c),
            Err(e) => {
                printer.warn(format_args!("{e}; ignoring it"));
                None
            }
        },
        None => None,
    };
    if let Some(config) = &config
        && let Some(constraint) = config
            .get("install", "constraint")
            .or_else(|| config.get("global", "constraint"))
    {
        constraint_files.extend(constraint.split_whitespace().map(PathBuf::from));
    }
    if !args_find_links.is_empty() {
        return Ok((
            FindLinks::from_paths(args_find_links.iter().cloned()),
            constraint_files,
        ));
    }
    if let Some(config) = &config {
        for section in ["install", "global"] {
            if let Ok(links) = config.find_links(section) {
                return Ok((FindLinks::from_paths(links), constraint_files));
            }
        }
    }
    Err(CommandError::usage(
        "no wheel sources: no `--find-links` given and no `find-links` in $PIP_CONFIG_FILE",
        Some(
            "load the site's StdEnv module (it sets PIP_CONFIG_FILE), or pass `-f DIR`".to_string(),
        ),
    ))
}

fn target_tags(target: &Target, allow_manylinux: bool) -> (Tags, Option<Tags>) {
    let version = target.version();
    let machine = target.info.markers.platform_machine.clone();
    let glibc = target
        .info
        .glibc()
        .and_then(|(a, b)| Some((u16::try_from(a).ok()?, u16::try_from(b).ok()?)));
    let abis = Tags::cpython_default_abis(version);
    let full = Tags::cpython(
        version,
        &abis,
        &PlatformTag::linux_platforms(&machine, glibc),
        true,
    );
    if target.info.manylinux_refused_by_policy() && !allow_manylinux {
        let site = Tags::cpython(
            version,
            &abis,
            &PlatformTag::linux_platforms(&machine, None),
            true,
        );
        (site, Some(full))
    } else {
        (full, None)
    }
}

fn installed_for_resolver(dists: &[InstalledDist], in_target: bool) -> Vec<Installed> {
    dists
        .iter()
        .filter_map(|d| {
            Some(Installed {
                name: PackageName::from_str(&d.name).ok()?,
                version: Version::from_str(&d.version).ok()?,
                requires_dist: d.requires_dist.clone(),
                in_target,
            })
        })
        .collect()
}

/// Runs `wharf install`.
pub fn install(
    args: &InstallArgs,
    site: &SiteEnv,
    python_env: &PythonEnv,
    printer: Printer,
) -> ExitStatus {
    match install_inner(args, site, python_env, printer) {
        Ok(status) => status,
        Err(e) => e.report(printer),
    }
}

fn install_inner(
    args: &InstallArgs,
    site: &SiteEnv,
    python_env: &PythonEnv,
    printer: Printer,
) -> Result<ExitStatus, CommandError> {
    let start = Instant::now();
    let target = Target::find(args.python.as_deref(), site, python_env)?;
    let (find_links, config_constraints) = sources(&args.find_links, site, printer)?;

    // Requirements and constraints.
    let mut files = RequirementsTxt::default();
    read_files(&args.requirements, FileKind::Requirements, &mut files)?;
    read_files(&args.constraints, FileKind::Constraints, &mut files)?;
    let existing_config_constraints: Vec<PathBuf> = config_constraints
        .into_iter()
        .filter(|p| p.exists())
        .collect();
    read_files(
        &existing_config_constraints,
        FileKind::Constraints,
        &mut files,
    )?;
    if let Some(editable) = files.editables.first() {
        return Err(CommandError::usage(
            format!("{}: editable requirement `{}` is not supported", editable.origin, editable.text),
            Some("wharf installs wheels from the wheelhouse; build a wheel and pass its directory with `-f`".to_string()),
        ));
    }
    let mut requirements = Vec::new();
    for text in &args.packages {
        requirements.push(parse_requirement(text, "command line")?);
    }
    for entry in &files.requirements {
        requirements.push(parse_requirement(&entry.text, &entry.origin.to_string())?);
    }
    let mut constraints = Vec::new();
    for entry in &files.constraints {
        constraints.push(parse_requirement(&entry.text, &entry.origin.to_string())?);
    }
    if requirements.is_empty() {
        return Err(CommandError::usage(
            "nothing to install",
            Some("name packages (`wharf install numpy`) or pass `-r requirements.txt`".to_string()),
        ));
    }

    // Candidates.
    let mut find_links = find_links;
    for dir in &files.options.find_links {
        find_links.0.push(wharf_site::FindLink::new(dir));
    }
    let catalogue = Catalogue::scan_with_index(
        find_links,
        site.threads(),
        |_| true,
        site.catalogue_index_dir().as_deref(),
    );
    for warning in &catalogue.warnings {
        if !matches!(warning, wharf_site::ScanWarning::NotAWheel { .. }) && args.verbose {
            printer.warn(warning);
        }
    }
    let (tags, manylinux_tags) = target_tags(&target, args.allow_manylinux);
    let candidates = CandidateSet::new(&catalogue, &tags, manylinux_tags.as_ref());

    // What the interpreter already sees.
    let in_env = target.installed_in_env()?;
    let mut installed = installed_for_resolver(&in_env, true);
    // The environment's site-packages was just read: only the other sys.path entries now.
    let outside = target.installed_outside_env()?;
    for dist in installed_for_resolver(&outside, false) {
        if !installed.iter().any(|i| i.name == dist.name) {
            installed.push(dist);
        }
    }

    let markers: MarkerEnvironment = target.info.marker_environment().map_err(|e| {
        let hint = e.hint();
        CommandError::from_error(&e, hint, ExitStatus::Error)
    })?;
    let env = ResolverEnv {
        python_full_version: Version::from_str(target.info.version())
            .unwrap_or_else(|_| Version::new([3])),
        markers,
    };
    let options = ResolveOptions {
        upgrade: args.upgrade,
        reinstall: args.reinstall,
        no_deps: args.no_deps,
        prerelease: args.pre,
    };
    let resolution = match wharf_resolve::resolve(
        &requirements,
        &constraints,
        &candidates,
        &installed,
        &env,
        &options,
    ) {
        Ok(r) => r,
        Err(ResolveError::NoSolution {
            report,
            unavailable,
            requires_python,
        }) => {
            printer.error_message(format_args!(
                "no solution for the requested packages:\n{}",
                indent(&report)
            ));
            for name in &unavailable {
                for line in wharf_resolve::explain_unavailable(name, &candidates, target.version())
                {
                    match line.strip_prefix("hint: ") {
                        Some(hint) => printer.hint(hint),
                        None => eprintln!("  {line}"),
                    }
                }
            }
            for (name, version, requires) in &requires_python {
                eprintln!(
                    "  {name} {version} requires Python {requires}; the environment has Python {}",
                    target.info.version()
                );
            }
            if !requires_python.is_empty() {
                printer.hint(
                    "create the environment with a Python that satisfies it (`wharf python list`, `module load python/X.Y`), or pin an older version",
                );
            }
            return Ok(ExitStatus::Failure);
        }
        Err(e) => return Err(CommandError::from_error(&e, None, ExitStatus::Failure)),
    };
    let resolved_in = start.elapsed();

    // Plan.
    let mut plan = Plan::default();
    let mut summary = Vec::new();
    for package in &resolution {
        let ResolvedSource::Wheel(candidate) = &package.source else {
            continue;
        };
        let current = in_env
            .iter()
            .find(|d| PackageName::from_str(&d.name).ok().as_ref() == Some(&package.name));
        let same = current
            .is_some_and(|d| Version::from_str(&d.version).ok().as_ref() == Some(&package.version));
        if same && !(args.reinstall && package.requested) {
            continue;
        }
        if let Some(old) = current {
            summary.push(format!(" - {}=={}", old.name, old.version));
        }
        summary.push(format!(" + {}=={}", package.name, package.version));
        if args.verbose {
            summary.push(format!("     from {}", candidate.path.display()));
        }
        plan.install
            .push(WheelInstall::new(candidate.path.clone(), package.requested));
    }
    if args.dry_run {
        let mut out = String::new();
        for line in &summary {
            out.push_str(line);
            out.push('\n');
        }
        if !args.quiet {
            eprintln!(
                "Resolved {} packages in {} ms (dry run: nothing changed)",
                resolution.len(),
                resolved_in.as_millis()
            );
        }
        return Ok(write_stdout(out.as_bytes()));
    }
    if plan.install.is_empty() {
        if !args.quiet {
            eprintln!(
                "Resolved {} packages in {} ms; requirements already satisfied",
                resolution.len(),
                resolved_in.as_millis()
            );
        }
        return Ok(ExitStatus::Success);
    }
    let progress = crate::progress::spinner(
        format!("Installing {} packages", plan.install.len()),
        args.quiet,
    );
    let install_start = Instant::now();
    let result = wharf_install::install(
        &plan,
        &target.layout,
        &InstallOptions {
            threads: site.threads(),
            compile: args.compile,
            cancel: None,
            // `site.cache_dir` is `None` under `WHARF_NO_CACHE`.
            cache: if args.no_cache {
                None
            } else {
                site.cache_dir.clone().map(WheelCache::new)
            },
        },
    );
    progress.finish_and_clear();
    match result {
        Ok(output) => {
            if !args.quiet {
                eprintln!(
                    "Resolved {} packages in {} ms",
                    resolution.len(),
                    resolved_in.as_millis()
                );
                let cache = output.cache;
                let from_cache = if cache.hits + cache.unpacked > 0 {
                    format!(
                        " ({} from the wheel cache, {} unpacked into it)",
                        cache.hits, cache.unpacked
                    )
                } else {
                    String::new()
                };
                eprintln!(
                    "Installed {} packages in {} ms{from_cache}",
                    output.installed.len(),
                    install_start.elapsed().as_millis()
                );
                for line in &summary {
                    eprintln!("{line}");
                }
                for warning in &output.warnings {
                    printer.warn(warning);
                }
            }
            Ok(ExitStatus::Success)
        }
        Err(e) => Err(CommandError::from_error(
            &e,
            Some(
                "nothing was changed: the environment is as it was before this command".to_string(),
            ),
            ExitStatus::Failure,
        )),
    }
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs `wharf uninstall`.
pub fn uninstall(
    args: &UninstallArgs,
    site: &SiteEnv,
    python_env: &PythonEnv,
    printer: Printer,
) -> ExitStatus {
    let run = || -> Result<ExitStatus, CommandError> {
        let target = Target::find(args.python.as_deref(), site, python_env)?;
        let installed = target.installed_in_env()?;
        let mut remove = Vec::new();
        for name in &args.packages {
            let normalized = PackageName::from_str(name).map(|name| name.to_string());
            match installed
                .iter()
                .find(|d| normalized.as_ref().is_ok_and(|n| *n == d.normalized_name()))
            {
                Some(d) => remove.push(d.clone()),
                None => printer.warn(format_args!(
                    "skipping {name}: it is not installed in `{}`",
                    target.prefix().display()
                )),
            }
        }
        if remove.is_empty() {
            return Ok(ExitStatus::Success);
        }
        let options = InstallOptions {
            threads: site.threads(),
            ..InstallOptions::default()
        };
        let output = wharf_install::uninstall(&remove, &target.layout, &options).map_err(|e| {
            CommandError::from_error(
                &e,
                Some("nothing was removed".to_string()),
                ExitStatus::Failure,
            )
        })?;
        for removed in output.removed {
            eprintln!(" - {}=={}", removed.name, removed.version);
        }
        Ok(ExitStatus::Success)
    };
    run().unwrap_or_else(|e| e.report(printer))
}

/// Runs `wharf freeze` (exactly `pip freeze`).
pub fn freeze(
    args: &EnvArgs,
    site: &SiteEnv,
    python_env: &PythonEnv,
    printer: Printer,
) -> ExitStatus {
    list(args, ListFormat::Freeze, site, python_env, printer)
}

/// Runs `wharf list`.
pub fn list(
    args: &EnvArgs,
    format: ListFormat,
    site: &SiteEnv,
    python_env: &PythonEnv,
    printer: Printer,
) -> ExitStatus {
    let run = || -> Result<ExitStatus, CommandError> {
        let target = Target::find(args.python.as_deref(), site, python_env)?;
        let dists = target.installed_on_sys_path(args.local)?;
        let out = match format {
            ListFormat::Freeze => {
                let lines = wharf_install::freeze(
                    &dists,
                    &wharf_install::FreezeOptions {
                        all: false,
                        python_version: target.version(),
                        exclude: Vec::new(),
                    },
                );
                lines.iter().fold(String::new(), |mut out, l| {
                    out.push_str(l);
                    out.push('\n');
                    out
                })
            }
            ListFormat::Columns => {
                let mut rows: Vec<(String, String)> = dists
                    .iter()
                    .map(|d| (d.name.clone(), d.version.clone()))
                    .collect();
                rows.sort_by_key(|(n, _)| n.to_lowercase());
                let w0 = rows
                    .iter()
                    .map(|r| r.0.chars().count())
                    .max()
                    .unwrap_or(0)
                    .max(7);
                let w1 = rows
                    .iter()
                    .map(|r| r.1.chars().count())
                    .max()
                    .unwrap_or(0)
                    .max(7);
                let mut out = format!(
                    "{:<w0$} {:<w1$}\n{} {}\n",
                    "Package",
                    "Version",
                    "-".repeat(w0),
                    "-".repeat(w1)
                );
                for (name, version) in rows {
                    out.push_str(format!("{name:<w0$} {version:<w1$}").trim_end());
                    out.push('\n');
                }
                out
            }
            ListFormat::Json => {
                let mut rows: Vec<serde_json::Value> = dists
                    .iter()
                    .map(|d| serde_json::json!({"name": d.name, "version": d.version}))
                    .collect();
                rows.sort_by_key(|v| v["name"].as_str().unwrap_or_default().to_lowercase());
                let mut s = serde_json::to_string(&rows).unwrap_or_default();
                s.push('\n');
                s
            }
        };
        Ok(write_stdout(out.as_bytes()))
    };
    run().unwrap_or_else(|e| e.report(printer))
}

/// Runs `wharf check` (like `pip check`): every requirement of every installed distribution
/// is installed at a matching version.
pub fn check(
    args: &EnvArgs,
    site: &SiteEnv,
    python_env: &PythonEnv,
    printer: Printer,
) -> ExitStatus {
    let run = || -> Result<ExitStatus, CommandError> {
        let target = Target::find(args.python.as_deref(), site, python_env)?;
        let dists = target.installed_on_sys_path(args.local)?;
        let markers = target
            .info
            .marker_environment()
            .map_err(|e| CommandError::from_error(&e, None, ExitStatus::Error))?;
        let by_name: std::collections::HashMap<String, &InstalledDist> =
            dists.iter().map(|d| (d.normalized_name(), d)).collect();
        let mut problems = Vec::new();
        let mut sorted: Vec<&InstalledDist> = dists.iter().collect();
        sorted.sort_by_key(|d| d.normalized_name());
        for dist in sorted {
            for text in &dist.requires_dist {
                let Ok(requirement) = Requirement::<pep508_rs::VerbatimUrl>::from_str(text) else {
                    continue;
                };
                if !requirement.evaluate_markers(&markers, &[]) {
                    continue;
                }
                let dist_name = dist.normalized_name();
                match by_name.get(requirement.name.as_ref()) {
                    None => problems.push(format!(
                        "{} {} requires {}, which is not installed.",
                        dist_name, dist.version, requirement.name
                    )),
                    Some(dep) => {
                        if let Some(VersionOrUrl::VersionSpecifier(specifiers)) =
                            &requirement.version_or_url
                            && !version_matches(specifiers, &dep.version)
                        {
                            problems.push(format!(
                                "{} {} has requirement {}, but you have {} {}.",
                                dist_name,
                                dist.version,
                                requirement,
                                dep.normalized_name(),
                                dep.version
                            ));
                        }
                    }
                }
            }
        }
        if problems.is_empty() {
            return Ok(write_stdout(b"No broken requirements found.\n"));
        }
        let mut out = problems.join("\n");
        out.push('\n');
        let _ = write_stdout(out.as_bytes());
        Ok(ExitStatus::Failure)
    };
    run().unwrap_or_else(|e| e.report(printer))
}

fn version_matches(specifiers: &VersionSpecifiers, version: &str) -> bool {
    Version::from_str(version)
        .is_ok_and(|v| specifiers.contains(&v) || specifiers.contains(&v.clone().without_local()))
}

/// Installs `names` (those the wheelhouse has) into a fresh venv: `wharf venv --seed`.
pub fn seed(
    root: &Path,
    names: &[&str],
    site: &SiteEnv,
    python_env: &PythonEnv,
    printer: Printer,
) -> ExitStatus {
    let (find_links, _) = match sources(&[], site, printer) {
        Ok(s) => s,
        Err(e) => return e.report(printer),
    };
    let catalogue = Catalogue::scan_with_index(
        find_links.clone(),
        site.threads(),
        |_| true,
        site.catalogue_index_dir().as_deref(),
    );
    let available: Vec<String> = names
        .iter()
        .filter(|n| {
            catalogue
                .entries
                .iter()
                .any(|e| e.filename.name.as_ref() == **n)
        })
        .map(ToString::to_string)
        .collect();
    if available.is_empty() {
        printer.warn("--seed: the wheelhouse has no pip wheel; the environment has no pip");
        return ExitStatus::Success;
    }
    let args = InstallArgs {
        packages: available,
        requirements: Vec::new(),
        constraints: Vec::new(),
        python: Some(root.to_path_buf()),
        find_links: find_links.iter().map(|l| l.path.clone()).collect(),
        upgrade: false,
        reinstall: false,
        no_deps: false,
        pre: false,
        dry_run: false,
        allow_manylinux: false,
        compile: false,
        no_cache: false,
        quiet: true,
        verbose: false,
    };
    install(&args, site, python_env, printer)
}
