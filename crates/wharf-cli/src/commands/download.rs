//! `wharf download`: pip's "pre-downloading packages" — wheels from a simple index (PyPI by
//! default, or the pip config's `index-url`), in parallel, each file's sha256 checked against
//! the index, saved into `-d DIR` only when every file of the request arrived intact.
//!
//! Resolution (with dependencies) is deliberately simple: a fixpoint over project pages — for
//! every name, the newest version that satisfies every requirement on it and has a wheel for
//! the target (tags, `Requires-Python`), dependencies read from PEP 658 metadata (else from
//! the downloaded wheel), repeated until no choice changes. It does not backtrack across
//! versions of other packages; a conflict is reported, not solved.
//!
//! What an index sends is bounded (`wharf_index`'s client): a file stops at the size the index
//! declares (PEP 700 `size`), else its `Content-Length`, else 16 GiB
//! (`wharf_index::MAX_UNDECLARED_FILE_BYTES`); each attempt at a file must end within
//! `--timeout` plus `--timeout` per MiB of the file (`wharf_index::deadline`), and is retried
//! like any request (`--retries`); redirects go only to `http(s):` URLs; a file name that is a
//! path (`../evil.whl`) is skipped with a warning. A failed file leaves nothing in `-d`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Args;
use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::{
    ExtraName, MarkerEnvironment, MarkerEnvironmentBuilder, PackageName, Requirement, VersionOrUrl,
};
use rayon::prelude::*;
use wharf_env::{Env, EnvVars};
use wharf_environment::operations::{self, RequirementSources};
use wharf_index::{ClientOptions, IndexClient, IndexError, ProjectFile, Url};
use wharf_python::{PythonEnv, PythonRequest};
use wharf_site::{PipConfig, SiteEnv};
use wharf_wheel_filename::{PlatformTag, Tags, WheelFilename};

use crate::commands::write_stdout;
use crate::error::Error;
use crate::settings::{GlobalArgs, NetworkFlags, NetworkSettings, pip_config};
use crate::{ExitStatus, Printer};

/// `wharf download` arguments (pip's names and meanings).
#[derive(Debug, Args)]
pub struct DownloadArgs {
    /// Packages to download (PEP 508 requirements, e.g. "numpy==2.1.3")
    #[arg(value_name = "PACKAGE")]
    pub packages: Vec<String>,
    /// Download the requirements of the given requirements file; repeatable
    #[arg(short = 'r', long = "requirement", value_name = "FILE")]
    pub requirements: Vec<PathBuf>,
    /// Save the files into DIR (created if missing) [default: the current directory]
    #[arg(
        short = 'd',
        long = "dest",
        visible_alias = "destination-dir",
        alias = "download-dir",
        value_name = "DIR"
    )]
    pub dest: Option<PathBuf>,
    /// Download only the named packages, not their dependencies (the site's recipe) [env: PIP_NO_DEPS]
    #[arg(long)]
    pub no_deps: bool,
    /// The simple index (PEP 691/503) [env: PIP_INDEX_URL; default: index-url of the pip config, else https://pypi.org/simple]
    #[arg(short = 'i', long, value_name = "URL")]
    pub index_url: Option<String>,
    /// Further indexes, looked up after --index-url; repeatable [env: PIP_EXTRA_INDEX_URL]
    #[arg(long, value_name = "URL")]
    pub extra_index_url: Vec<String>,
    /// The Python the wheels are for, X.Y (or XY) [default: the interpreter's (--python, $VIRTUAL_ENV, python3)]
    #[arg(long, value_name = "X.Y")]
    pub python_version: Option<String>,
    /// A platform tag the wheels may have (repeatable), ex) manylinux_2_17_x86_64 [default: the interpreter's]
    #[arg(long, value_name = "TAG")]
    pub platform: Vec<String>,
    /// Accepted for pip compatibility: wharf downloads only wheels (`:all:`)
    #[arg(long, value_name = "FORMAT_CONTROL")]
    pub only_binary: Vec<String>,
    /// Include pre-release and development versions [env: PIP_PRE]
    #[arg(long)]
    pub pre: bool,
    /// The interpreter whose tags and markers are the target: a path, a venv or a version [default: $VIRTUAL_ENV, else python3]
    #[arg(long, value_name = "PYTHON")]
    pub python: Option<String>,
    /// A PEM bundle of trusted CAs [env: PIP_CERT, SSL_CERT_FILE; default: the Mozilla roots built in]
    #[arg(long, value_name = "PATH")]
    pub cert: Option<PathBuf>,
    /// A proxy, ex) http://proxy:3128 [env: PIP_PROXY, HTTPS_PROXY]
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
    /// Retries of each request after the first attempt, also of a file cut short or past its deadline (backoff 0.25 s, doubling) [env: PIP_RETRIES; default: 5]
    #[arg(long, value_name = "N")]
    pub retries: Option<u32>,
    /// Connect and read timeout, in seconds; each attempt at a file must also end within this timeout plus this timeout per MiB of the file [env: PIP_TIMEOUT; default: 15]
    #[arg(long, visible_alias = "default-timeout", value_name = "SECONDS")]
    pub timeout: Option<f64>,
    #[command(flatten)]
    pub global: GlobalArgs,
}

/// Settings of `wharf download`, resolved CLI ▸ `PIP_*` ▸ pip config (`[download]`, then
/// `[global]`) ▸ defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct DownloadSettings {
    /// The indexes in lookup order.
    pub indexes: Vec<Url>,
    /// Where files go.
    pub dest: PathBuf,
    /// `--no-deps`.
    pub no_deps: bool,
    /// `--pre`.
    pub pre: bool,
    /// The CA bundle.
    pub cert: Option<PathBuf>,
    /// The proxy.
    pub proxy: Option<String>,
    /// `NO_PROXY` hosts.
    pub no_proxy: Vec<String>,
    /// Retries.
    pub retries: u32,
    /// Timeout.
    pub timeout: Duration,
    /// Parallel transfers: `SLURM_CPUS_PER_TASK` (else the CPUs) × 4, between 4 and 16 —
    /// transfers wait on the network, not on a CPU.
    pub jobs: usize,
}

impl DownloadSettings {
    /// Resolves the settings.
    pub fn resolve(
        args: &DownloadArgs,
        site: &SiteEnv,
        config: Option<&PipConfig>,
    ) -> Result<Self, Error> {
        let env: &Env = &site.vars;
        let network = NetworkSettings::resolve(
            &NetworkFlags {
                index_url: args.index_url.clone(),
                extra_index_url: args.extra_index_url.clone(),
                cert: args.cert.clone(),
                proxy: args.proxy.clone(),
                retries: args.retries,
                timeout: args.timeout,
            },
            site,
            config,
            "download",
            true,
        )?;
        let no_deps = args.no_deps || env.flag(EnvVars::PIP_NO_DEPS)?.unwrap_or(false);
        let pre = args.pre || env.flag(EnvVars::PIP_PRE)?.unwrap_or(false);
        Ok(Self {
            indexes: network.indexes,
            dest: args.dest.clone().unwrap_or_else(|| PathBuf::from(".")),
            no_deps,
            pre,
            cert: network.cert,
            proxy: network.proxy,
            no_proxy: network.no_proxy,
            retries: network.retries,
            timeout: network.timeout,
            jobs: (site.threads() * 4).clamp(4, 16),
        })
    }
}

/// What the wheels must fit: tags, the marker environment, the Python version.
struct Target {
    tags: Tags,
    markers: MarkerEnvironment,
    python: Version,
    description: String,
}

fn parse_python_version(text: &str) -> Option<(u8, u8)> {
    let text = text.trim();
    if let Some((major, minor)) = text.split_once('.') {
        let minor = minor.split('.').next()?;
        return Some((major.parse().ok()?, minor.parse().ok()?));
    }
    let mut chars = text.chars();
    let major = chars.next()?.to_digit(10)?;
    let minor: u8 = chars.as_str().parse().ok()?;
    Some((u8::try_from(major).ok()?, minor))
}

fn target(args: &DownloadArgs, python_env: &PythonEnv, printer: Printer) -> Result<Target, Error> {
    let request = args
        .python
        .as_deref()
        .map(PythonRequest::parse)
        .transpose()?;
    let cwd = std::env::current_dir().unwrap_or_default();
    let found = wharf_python::find_python(request.as_ref(), &cwd, python_env)?;
    let info = wharf_python::probe(&found.installation.executable, python_env)?;
    let version = if let Some(text) = &args.python_version {
        parse_python_version(text).ok_or_else(|| {
            Error::usage(
                format!("--python-version `{text}` is not a Python version"),
                Some("give X.Y, ex) --python-version 3.12".to_string()),
            )
        })?
    } else {
        let (major, minor) = info.major_minor();
        (
            u8::try_from(major).unwrap_or(3),
            u8::try_from(minor).unwrap_or(0),
        )
    };
    let custom_version = args.python_version.is_some();
    let tags = if !custom_version && args.platform.is_empty() {
        info.tags(true).0
    } else {
        let abis = if custom_version {
            Tags::cpython_default_abis(version)
        } else {
            info.abi_tags()
        };
        let platforms: Vec<PlatformTag> = if args.platform.is_empty() {
            let glibc = info
                .glibc()
                .and_then(|(a, b)| Some((u16::try_from(a).ok()?, u16::try_from(b).ok()?)));
            PlatformTag::linux_platforms(&info.markers.platform_machine, glibc)
        } else {
            args.platform
                .iter()
                .map(|p| {
                    p.parse::<PlatformTag>().map_err(|e| {
                        Error::usage(
                            format!("--platform `{p}` is not a platform tag: {e}"),
                            Some("ex) --platform manylinux_2_17_x86_64".to_string()),
                        )
                    })
                })
                .collect::<Result<_, _>>()?
        };
        Tags::cpython(version, &abis, &platforms, true)
    };
    let markers = &info.markers;
    let (python_version, python_full_version) = if custom_version {
        let v = format!("{}.{}", version.0, version.1);
        (v.clone(), v)
    } else {
        (
            markers.python_version.clone(),
            markers.python_full_version.clone(),
        )
    };
    let marker_env = MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
        implementation_name: &markers.implementation_name,
        implementation_version: &markers.implementation_version,
        os_name: &markers.os_name,
        platform_machine: &markers.platform_machine,
        platform_python_implementation: &markers.platform_python_implementation,
        platform_release: &markers.platform_release,
        platform_system: &markers.platform_system,
        platform_version: &markers.platform_version,
        python_full_version: &python_full_version,
        python_version: &python_version,
        sys_platform: &markers.sys_platform,
    })
    .map_err(|e| Error::usage(format!("bad marker environment: {e}"), None))?;
    let python = Version::from_str(&python_full_version)
        .unwrap_or_else(|_| Version::new([u64::from(version.0), u64::from(version.1)]));
    let description = format!(
        "CPython {}.{} on {}",
        version.0,
        version.1,
        if args.platform.is_empty() {
            info.markers.platform_machine.clone()
        } else {
            args.platform.join(", ")
        }
    );
    printer.verbose(format_args!(
        "Downloading for {description} ({} tags; markers of {})",
        tags.len(),
        info.executable.display()
    ));
    Ok(Target {
        tags,
        markers: marker_env,
        python,
        description,
    })
}

/// A chosen release: project and version.
type Key = (PackageName, Version);

/// A project's files from every index, in index order.
type Pages = HashMap<PackageName, Vec<ProjectFile>>;

/// The wheel chosen for one project.
#[derive(Debug, Clone)]
struct Choice {
    version: Version,
    file: ProjectFile,
    wheel: WheelFilename,
}

fn index_error(error: IndexError) -> Error {
    let hint = error.hint();
    Error::new(error, hint, ExitStatus::Failure)
}

fn fetch_pages(
    client: &IndexClient,
    indexes: &[Url],
    names: &[PackageName],
    pool: &rayon::ThreadPool,
) -> Result<Vec<(PackageName, Vec<ProjectFile>)>, Error> {
    pool.install(|| {
        names
            .par_iter()
            .map(|name| {
                let mut files = Vec::new();
                let mut found = false;
                for index in indexes {
                    if let Some(page) = client.project_page(index, name).map_err(index_error)? {
                        found = true;
                        files.extend(page.files);
                    }
                }
                if !found {
                    let searched = indexes
                        .iter()
                        .map(|i| format!("`{i}`"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    return Err(Error::failure(
                        format!("no project `{name}` on {searched} (HTTP 404)"),
                        Some("check the name's spelling, or the index (--index-url)".to_string()),
                    ));
                }
                Ok((name.clone(), files))
            })
            .collect()
    })
}

/// The newest version of `name` allowed by `requirements` with a wheel for `target`.
/// `skipped`: the file names of `name` that the index offered but were not plain file names
/// (for the hint when no wheel is left).
fn choose(
    name: &PackageName,
    files: &[ProjectFile],
    requirements: &[&Requirement],
    target: &Target,
    pre: bool,
    skipped: &[String],
) -> Result<Choice, Error> {
    let specifiers: Vec<&VersionSpecifiers> = requirements
        .iter()
        .filter_map(|r| match &r.version_or_url {
            Some(VersionOrUrl::VersionSpecifier(s)) => Some(s),
            _ => None,
        })
        .collect();
    let allow_pre = pre
        || specifiers
            .iter()
            .any(|s| s.iter().any(|s| s.version().any_prerelease()));
    // Per version: the best wheel (tag priority), ignoring yanked files unless pinned `==`.
    let pinned = specifiers.iter().any(|s| {
        s.iter().any(|s| {
            matches!(
                s.operator(),
                pep440_rs::Operator::Equal | pep440_rs::Operator::ExactEqual
            )
        })
    });
    let mut best: BTreeMap<Version, (usize, Choice)> = BTreeMap::new();
    let mut wheels_seen = 0usize;
    for file in files {
        if !file.filename.ends_with(".whl") {
            continue;
        }
        let Ok(wheel) = WheelFilename::from_str(&file.filename) else {
            continue;
        };
        if &wheel.name != name {
            continue;
        }
        wheels_seen += 1;
        if file.yanked && !pinned {
            continue;
        }
        if !allow_pre && wheel.version.any_prerelease() {
            continue;
        }
        if !specifiers.iter().all(|s| s.contains(&wheel.version)) {
            continue;
        }
        if let Some(requires) = file
            .requires_python
            .as_deref()
            .and_then(|r| VersionSpecifiers::from_str(r).ok())
            && !requires.contains(&target.python)
        {
            continue;
        }
        let Some(priority) = wheel.compatibility(&target.tags) else {
            continue;
        };
        let better = best.get(&wheel.version).is_none_or(|(p, _)| priority < *p);
        if better {
            best.insert(
                wheel.version.clone(),
                (
                    priority,
                    Choice {
                        version: wheel.version.clone(),
                        file: file.clone(),
                        wheel,
                    },
                ),
            );
        }
    }
    if let Some((_, (_, choice))) = best.into_iter().next_back() {
        return Ok(choice);
    }
    let wanted = requirements
        .iter()
        .map(ToString::to_string)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect::<Vec<_>>()
        .join(", ");
    let unsafe_wheels: Vec<String> = skipped
        .iter()
        .filter(|f| f.ends_with(".whl"))
        .map(|f| format!("`{f}`"))
        .collect();
    let hint = if wheels_seen == 0 && !unsafe_wheels.is_empty() {
        format!(
            "the index offered only an unsafe file name ({}) for a wheel of `{name}`, which was skipped: report it to the index",
            unsafe_wheels.join(", ")
        )
    } else if wheels_seen == 0 {
        format!(
            "`{name}` publishes no wheel (only source distributions): ask support to build it for the wheelhouse"
        )
    } else {
        "check the versions on the index; --python-version and --platform choose another target, --pre allows pre-releases".to_string()
    };
    Err(Error::failure(
        format!(
            "no wheel of `{name}` satisfies `{wanted}` for {}",
            target.description
        ),
        Some(hint),
    ))
}

/// Files to fetch, resolved: one chosen wheel per project, in name order.
fn resolve(
    client: &IndexClient,
    settings: &DownloadSettings,
    roots: &[Requirement],
    target: &Target,
    staging: &Path,
    pool: &rayon::ThreadPool,
    printer: Printer,
) -> Result<BTreeMap<PackageName, Choice>, Error> {
    let mut pages: Pages = HashMap::new();
    // The file names of each project that were not plain file names.
    let mut skipped: HashMap<PackageName, Vec<String>> = HashMap::new();
    // Requires-Dist of each chosen (name, version), from PEP 658 metadata or the wheel.
    let mut dependencies: HashMap<(PackageName, Version), Vec<Requirement>> = HashMap::new();
    let mut chosen: BTreeMap<PackageName, Choice> = BTreeMap::new();
    for round in 0..100 {
        // The requirements on each name: the roots, then the dependencies of current choices.
        let mut wanted: BTreeMap<PackageName, Vec<&Requirement>> = BTreeMap::new();
        let mut extras: HashMap<PackageName, BTreeSet<ExtraName>> = HashMap::new();
        for requirement in roots {
            if requirement.evaluate_markers(&target.markers, &[]) {
                wanted
                    .entry(requirement.name.clone())
                    .or_default()
                    .push(requirement);
                extras
                    .entry(requirement.name.clone())
                    .or_default()
                    .extend(requirement.extras.iter().cloned());
            }
        }
        if !settings.no_deps {
            // Walk from the roots so that dependencies of packages no longer wanted drop out.
            let mut stack: Vec<PackageName> = wanted.keys().cloned().collect();
            let mut seen: BTreeSet<PackageName> = stack.iter().cloned().collect();
            while let Some(name) = stack.pop() {
                let Some(choice) = chosen.get(&name) else {
                    continue;
                };
                let Some(requires) = dependencies.get(&(name.clone(), choice.version.clone()))
                else {
                    continue;
                };
                let active: Vec<ExtraName> = extras
                    .get(&name)
                    .map(|e| e.iter().cloned().collect())
                    .unwrap_or_default();
                for dependency in requires {
                    if !dependency.evaluate_markers(&target.markers, &active) {
                        continue;
                    }
                    wanted
                        .entry(dependency.name.clone())
                        .or_default()
                        .push(dependency);
                    extras
                        .entry(dependency.name.clone())
                        .or_default()
                        .extend(dependency.extras.iter().cloned());
                    if seen.insert(dependency.name.clone()) {
                        stack.push(dependency.name.clone());
                    }
                }
            }
        }
        for requirements in wanted.values() {
            if let Some(url) = requirements.iter().find_map(|r| match &r.version_or_url {
                Some(VersionOrUrl::Url(url)) => Some(url.to_string()),
                _ => None,
            }) {
                return Err(Error::usage(
                    format!(
                        "`{}` is a direct URL requirement (`{url}`)",
                        requirements[0]
                    ),
                    Some("download it with curl, or name a version for the index".to_string()),
                ));
            }
        }
        let missing: Vec<PackageName> = wanted
            .keys()
            .filter(|n| !pages.contains_key(*n))
            .cloned()
            .collect();
        if !missing.is_empty() {
            printer.verbose(format_args!(
                "Fetching {} project page(s): {}",
                missing.len(),
                missing
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            for (name, files) in fetch_pages(client, &settings.indexes, &missing, pool)? {
                // A file name that is a path (`../evil.whl`) is never written: skipped, said.
                let (safe, unsafe_files): (Vec<ProjectFile>, Vec<ProjectFile>) =
                    files.into_iter().partition(ProjectFile::has_safe_filename);
                for file in &unsafe_files {
                    printer.warn(format_args!(
                        "the index offered an unsafe file name for `{name}`, `{}` (not a plain file name): skipped",
                        file.filename
                    ));
                }
                skipped.insert(
                    name.clone(),
                    unsafe_files.into_iter().map(|f| f.filename).collect(),
                );
                pages.insert(name, safe);
            }
        }
        let mut next: BTreeMap<PackageName, Choice> = BTreeMap::new();
        for (name, requirements) in &wanted {
            let files = pages.get(name).map_or(&[][..], Vec::as_slice);
            next.insert(
                name.clone(),
                choose(
                    name,
                    files,
                    requirements,
                    target,
                    settings.pre,
                    skipped.get(name).map_or(&[][..], Vec::as_slice),
                )?,
            );
        }
        let stable = next.len() == chosen.len()
            && next
                .iter()
                .all(|(n, c)| chosen.get(n).is_some_and(|o| o.version == c.version));
        chosen = next;
        if stable && round > 0 || settings.no_deps {
            return Ok(chosen);
        }
        // Metadata of the new choices, in parallel.
        let need: Vec<(PackageName, Choice)> = chosen
            .iter()
            .filter(|(n, c)| !dependencies.contains_key(&((*n).clone(), c.version.clone())))
            .map(|(n, c)| (n.clone(), c.clone()))
            .collect();
        let fetched: Vec<Result<(Key, Vec<Requirement>), Error>> = pool.install(|| {
            need.par_iter()
                .map(|(name, choice)| {
                    let mut requires = Vec::new();
                    for line in requires_dist(client, choice, staging)? {
                        let requirement =
                            wharf_metadata::parse_requirement::<pep508_rs::VerbatimUrl>(&line)
                                .map_err(|e| {
                                    Error::failure(
                                        format!(
                                            "`{}` has an invalid Requires-Dist `{line}`: {e}",
                                            choice.file.filename
                                        ),
                                        None,
                                    )
                                })?;
                        requires.push(requirement);
                    }
                    Ok(((name.clone(), choice.version.clone()), requires))
                })
                .collect()
        });
        for item in fetched {
            let (key, requires) = item?;
            dependencies.insert(key, requires);
        }
        if stable {
            return Ok(chosen);
        }
    }
    Err(Error::failure(
        "the requirements did not settle after 100 rounds (the simple resolver of `wharf download` does not backtrack)",
        Some("pin the conflicting versions, or download with --no-deps".to_string()),
    ))
}

/// The `Requires-Dist` of a chosen wheel: from PEP 658 metadata when the index serves it,
/// else from the wheel, downloaded into the staging directory (kept there for the final move).
fn requires_dist(
    client: &IndexClient,
    choice: &Choice,
    staging: &Path,
) -> Result<Vec<String>, Error> {
    if choice.file.core_metadata {
        let text = client.metadata(&choice.file).map_err(index_error)?;
        return Ok(wharf_metadata::Headers::parse(&text).get_all("Requires-Dist"));
    }
    let path = staging.join(&choice.file.filename);
    if !path.exists() {
        client
            .download(&choice.file, staging, &|_| {})
            .map_err(index_error)?;
    }
    let metadata = wharf_metadata::read_metadata(&path).map_err(|e| {
        Error::new(
            e,
            Some("the index served a wheel that is not one".to_string()),
            ExitStatus::Failure,
        )
    })?;
    Ok(metadata.requires_dist)
}

fn sha256_of(path: &Path) -> Option<String> {
    use sha2::Digest;
    use std::io::Read;
    let mut file = fs_err::File::open(path).ok()?;
    let mut hasher = sha2::Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buffer).ok()?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Some(data_encoding::HEXLOWER.encode(&hasher.finalize()))
}

/// Runs `wharf download`.
pub fn download(
    args: &DownloadArgs,
    site: &SiteEnv,
    python_env: &PythonEnv,
    printer: Printer,
) -> Result<ExitStatus, Error> {
    let start = Instant::now();
    let config = pip_config(site, printer);
    let settings = DownloadSettings::resolve(args, site, config.as_ref())?;
    for value in &args.only_binary {
        if value != ":all:" {
            printer.verbose(format_args!(
                "--only-binary {value}: wharf downloads only wheels, for every package"
            ));
        }
    }
    let requirements = operations::read_requirements(
        RequirementSources {
            packages: &args.packages,
            requirement_files: &args.requirements,
            constraint_files: &[],
            editables: &[],
        },
        &|name| site.lookup(name),
    )?;
    if requirements.requirements.is_empty() {
        return Err(Error::usage(
            "nothing to download",
            Some(
                "name packages (`wharf download numpy==2.1.3`) or pass `-r requirements.txt`"
                    .to_string(),
            ),
        ));
    }
    let target = target(args, python_env, printer)?;
    let client = IndexClient::new(ClientOptions {
        retries: settings.retries,
        timeout: settings.timeout,
        ca_bundle: settings.cert.clone(),
        proxy: settings.proxy.clone(),
        no_proxy: settings.no_proxy.clone(),
        ..ClientOptions::default()
    })
    .map_err(|e| {
        let hint = e.hint();
        Error::new(e, hint, ExitStatus::Error)
    })?;
    fs_err::create_dir_all(&settings.dest).map_err(|e| Error::new(e, None, ExitStatus::Error))?;
    // Everything lands in a staging directory inside DEST first: a failure leaves DEST as it was.
    let staging = tempfile::Builder::new()
        .prefix(".wharf-download-")
        .tempdir_in(&settings.dest)
        .map_err(|e| {
            Error::new(
                e,
                Some(format!(
                    "check that `{}` is writable",
                    settings.dest.display()
                )),
                ExitStatus::Error,
            )
        })?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(settings.jobs)
        .build()
        .map_err(|e| Error::new(e, None, ExitStatus::Error))?;
    let spinner = crate::progress::spinner("Resolving".to_string(), printer.is_quiet());
    let resolution = resolve(
        &client,
        &settings,
        &requirements.requirements,
        &target,
        staging.path(),
        &pool,
        printer,
    );
    spinner.finish_and_clear();
    let chosen = resolution?;
    let resolved_in = start.elapsed();
    // Files already in DEST with the index's hash are kept, not fetched again.
    let mut already = Vec::new();
    let mut fetch = Vec::new();
    for choice in chosen.values() {
        let existing = settings.dest.join(&choice.file.filename);
        let same = existing.is_file()
            && choice
                .file
                .sha256
                .as_ref()
                .is_some_and(|h| sha256_of(&existing).as_ref() == Some(h));
        if same {
            already.push(choice);
        } else if !staging.path().join(&choice.file.filename).exists() {
            fetch.push(choice);
        }
    }
    let total: u64 = fetch.iter().filter_map(|c| c.file.size).sum();
    let bar = download_bar(printer.is_quiet(), fetch.len(), total);
    let done = AtomicU64::new(0);
    let download_start = Instant::now();
    let results: Vec<Result<(), Error>> = pool.install(|| {
        fetch
            .par_iter()
            .map(|choice| {
                client
                    .download(&choice.file, staging.path(), &|n| bar.inc(n))
                    .map_err(index_error)?;
                let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
                bar.set_message(format!("{finished}/{} files", fetch.len()));
                Ok(())
            })
            .collect()
    });
    bar.finish_and_clear();
    results.into_iter().collect::<Result<Vec<()>, Error>>()?;
    // All arrived intact: move them into DEST.
    let mut saved = String::new();
    for choice in chosen.values() {
        let from = staging.path().join(&choice.file.filename);
        let to = settings.dest.join(&choice.file.filename);
        if from.exists() {
            fs_err::rename(&from, &to).map_err(|e| Error::new(e, None, ExitStatus::Error))?;
        }
        saved.push_str(&to.display().to_string());
        saved.push('\n');
    }
    drop(staging);
    printer.info(format_args!(
        "Resolved {} in {} ms; downloaded {} in {} ms{}",
        crate::printer::plural(chosen.len(), "package"),
        resolved_in.as_millis(),
        crate::printer::plural(chosen.len() - already.len(), "file"),
        download_start.elapsed().as_millis(),
        if already.is_empty() {
            String::new()
        } else {
            format!(
                " ({} already in `{}`)",
                already.len(),
                settings.dest.display()
            )
        }
    ));
    for choice in chosen.values() {
        printer.verbose(format_args!(
            " + {}=={} ({}, sha256 {})",
            choice.wheel.name,
            choice.version,
            choice.file.filename,
            choice
                .file
                .sha256
                .as_deref()
                .unwrap_or("not stated by the index")
        ));
    }
    warn_binary_wheels(&chosen, &settings.dest, printer);
    Ok(write_stdout(saved.as_bytes()))
}

/// The site's warning for each wheel that is not pure Python (`none-any`): built off-site,
/// it may not work on the cluster.
fn warn_binary_wheels(chosen: &BTreeMap<PackageName, Choice>, dest: &Path, printer: Printer) {
    let binary: Vec<&Choice> = chosen
        .values()
        .filter(|c| {
            !(c.wheel.platform_tags.iter().all(|p| p.as_str() == "any")
                && c.wheel.abi_tags.iter().all(|a| a.as_str() == "none"))
        })
        .collect();
    for choice in &binary {
        let platforms = choice
            .wheel
            .platform_tags
            .iter()
            .map(PlatformTag::as_str)
            .collect::<Vec<_>>()
            .join(".");
        printer.warn(format_args!(
            "`{}` is a binary wheel built outside the site (`{platforms}`): it may not work on the cluster (it was not built against the cluster's libraries and modules)",
            choice.file.filename
        ));
    }
    if let Some(first) = binary.first() {
        let names = binary
            .iter()
            .map(|c| c.wheel.name.to_string())
            .collect::<Vec<_>>()
            .join(" ");
        printer.hint(format_args!(
            "prefer the wheelhouse's build (`wharf avail {names}`, then `wharf install {names}`); if the wheelhouse lacks it, ask support to add it. To use a downloaded file anyway: `wharf install {}`",
            dest.join(&first.file.filename).display()
        ));
    }
}

fn download_bar(quiet: bool, files: usize, bytes: u64) -> indicatif::ProgressBar {
    use indicatif::{ProgressBar, ProgressStyle};
    use std::io::IsTerminal;
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(bytes);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {msg:12} [{bar:30}] {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} {elapsed}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_message(format!("0/{files} files"));
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_versions_like_pip() {
        assert_eq!(parse_python_version("3.12"), Some((3, 12)));
        assert_eq!(parse_python_version("312"), Some((3, 12)));
        assert_eq!(parse_python_version("3.11.4"), Some((3, 11)));
        assert_eq!(parse_python_version("x"), None);
    }

    fn args() -> DownloadArgs {
        use clap::Parser;
        #[derive(Parser)]
        struct Wrapper {
            #[command(flatten)]
            args: DownloadArgs,
        }
        Wrapper::parse_from(["download", "six"]).args
    }

    #[test]
    fn index_url_precedence() {
        let config = PipConfig::parse(
            Path::new("/site/pip.conf"),
            "[global]\nindex-url = https://config.example/simple\nextra-index-url = https://a.example/simple https://b.example/simple\n",
        )
        .unwrap();
        let site = SiteEnv::from_env(&Env::from_pairs([("SLURM_CPUS_PER_TASK", "1")]));
        let s = DownloadSettings::resolve(&args(), &site, Some(&config)).unwrap();
        let urls: Vec<&str> = s.indexes.iter().map(Url::as_str).collect();
        assert_eq!(
            urls,
            [
                "https://config.example/simple",
                "https://a.example/simple",
                "https://b.example/simple"
            ]
        );
        assert_eq!(s.jobs, 4);
        let site = SiteEnv::from_env(&Env::from_pairs([
            ("PIP_INDEX_URL", "https://env.example/simple"),
            ("PIP_RETRIES", "2"),
        ]));
        let s = DownloadSettings::resolve(&args(), &site, Some(&config)).unwrap();
        assert_eq!(s.indexes[0].as_str(), "https://env.example/simple");
        assert_eq!(s.retries, 2);
        let site = SiteEnv::from_env(&Env::default());
        let s = DownloadSettings::resolve(&args(), &site, None).unwrap();
        assert_eq!(s.indexes[0].as_str(), "https://pypi.org/simple");
    }

    #[test]
    fn err_bad_index_url() {
        let site = SiteEnv::from_env(&Env::from_pairs([("PIP_INDEX_URL", "not a url")]));
        let err = DownloadSettings::resolve(&args(), &site, None).unwrap_err();
        insta::assert_snapshot!(err.error, @"`not a url` is not a valid index URL: relative URL without a base");
    }
}
