//! `wharf download`: pip's "pre-downloading packages" — wheels from a simple index (PyPI by
//! default, or the pip config's `index-url`) and `-f` directories, each file's sha256 checked
//! against the index, saved into `-d DIR` only when every file of the request arrived intact.
//!
//! Resolution is wharf's one resolver (`wharf_resolve::resolve`, PubGrub, with backtracking)
//! over the indexes merged with the `-f` directories, as `install -i` resolves
//! (`operations::resolve_for`), for the download's target: the interpreter's tags and markers,
//! or those of `--python-version`/`--platform`/`--abi`. This module only composes: it holds
//! no resolution logic. Wheels only: the indexes' and directories' sdists are not downloaded.
//!
//! What an index sends is bounded (`wharf_index`'s client): a file stops at the size the index
//! declares (PEP 700 `size`), else its `Content-Length`, else 16 GiB
//! (`wharf_index::MAX_UNDECLARED_FILE_BYTES`); each attempt at a file must end within
//! `--timeout` plus `--timeout` per MiB of the file (`wharf_index::deadline`), and is retried
//! like any request (`--retries`); redirects go only to `http(s):` URLs; a file name that is a
//! path (`../evil.whl`) is skipped with a warning. A failed file leaves nothing in `-d`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Args;
use wharf_env::{Env, EnvVars};
use wharf_environment::index::{self, PackageIndex};
use wharf_environment::operations::{
    self, RequirementSources, ResolvePolicy, ResolveTarget, Sources, TargetOverrides,
};
use wharf_index::Url;
use wharf_python::{PythonEnv, PythonRequest};
use wharf_resolve::{Candidate, ResolvedPackage, ResolvedSource};
use wharf_site::{FindLink, FindLinkOrigin, FindLinks, PipConfig, SiteEnv};
use wharf_wheel_filename::{AbiTag, PlatformTag};

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
    /// Only wheels: wharf downloads only wheels whatever it is (`:all:`); with --python-version, --platform, --abi or --implementation, pip requires `--only-binary :all:` (or --no-deps), and so does wharf
    #[arg(long, value_name = "FORMAT_CONTROL")]
    pub only_binary: Vec<String>,
    /// An ABI tag the wheels may have (repeatable), ex) cp312 [default: the interpreter's, or those of --python-version; `abi3` and `none` always]
    #[arg(long, value_name = "TAG")]
    pub abi: Vec<String>,
    /// The Python implementation the wheels are for: only `cp` (CPython) [default: cp]
    #[arg(long, value_name = "IMPL")]
    pub implementation: Option<String>,
    /// Also take wheels from this directory, merged with the indexes' (pip's `-f`; a directory's wheel comes before an index's of the same version); repeatable [default: none: unlike pip, PIP_FIND_LINKS and the pip config's find-links are not read]
    #[arg(short = 'f', long = "find-links", value_name = "DIR")]
    pub find_links: Vec<PathBuf>,
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

/// The target flags, checked (syntax and pip's rule: another target needs
/// `--only-binary :all:` or `--no-deps`).
fn overrides(args: &DownloadArgs, no_deps: bool) -> Result<TargetOverrides, Error> {
    let python_version = args
        .python_version
        .as_deref()
        .map(|text| {
            parse_python_version(text).ok_or_else(|| {
                Error::usage(
                    format!("--python-version `{text}` is not a Python version"),
                    Some("give X.Y, ex) --python-version 3.12".to_string()),
                )
            })
        })
        .transpose()?;
    let platforms = args
        .platform
        .iter()
        .map(|p| {
            p.parse::<PlatformTag>().map_err(|e| {
                Error::usage(
                    format!("--platform `{p}` is not a platform tag: {e}"),
                    Some("ex) --platform manylinux_2_17_x86_64".to_string()),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let abis = args
        .abi
        .iter()
        .map(|a| {
            a.parse::<AbiTag>().map_err(|e| {
                Error::usage(
                    format!("--abi `{a}` is not an ABI tag: {e}"),
                    Some("ex) --abi cp312".to_string()),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(implementation) = &args.implementation
        && implementation != "cp"
    {
        return Err(Error::usage(
            format!("--implementation `{implementation}` is not supported"),
            Some("wharf downloads wheels for CPython only: give --implementation cp, or leave it out".to_string()),
        ));
    }
    let only_binary_all = args
        .only_binary
        .iter()
        .any(|v| v.split(',').any(|v| v.trim() == ":all:"));
    let custom = python_version.is_some()
        || !platforms.is_empty()
        || !abis.is_empty()
        || args.implementation.is_some();
    if custom && !only_binary_all && !no_deps {
        return Err(Error::usage(
            "--python-version, --platform, --abi and --implementation describe another target, which needs --only-binary :all: or --no-deps (pip's rule)",
            Some(
                "add `--only-binary :all:`: a package for another target cannot be built here"
                    .to_string(),
            ),
        ));
    }
    Ok(TargetOverrides {
        python_version,
        platforms,
        abis,
    })
}

fn target(
    args: &DownloadArgs,
    overrides: &TargetOverrides,
    python_env: &PythonEnv,
    printer: Printer,
) -> Result<ResolveTarget, Error> {
    let request = args
        .python
        .as_deref()
        .map(PythonRequest::parse)
        .transpose()?;
    let cwd = std::env::current_dir().unwrap_or_default();
    let found = wharf_python::find_python(request.as_ref(), &cwd, python_env)?;
    let info = wharf_python::probe(&found.installation.executable, python_env)?;
    let target = ResolveTarget::with_overrides(&info, overrides)?;
    printer.verbose(format_args!(
        "Downloading for CPython {}.{} on {} ({} tags; markers of {})",
        target.python_version.0,
        target.python_version.1,
        if args.platform.is_empty() {
            info.markers.platform_machine.clone()
        } else {
            args.platform.join(", ")
        },
        target.tags.len(),
        info.executable.display()
    ));
    Ok(target)
}

/// The sha256 of the file at `path` (lowercase hex), `None` when it cannot be read.
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

/// Copies `from` to `to`, checking on the way that its bytes have the index's `sha256`
/// (a cached download is checked again before it leaves the cache).
fn copy_verified(from: &Path, to: &Path, sha256: Option<&str>) -> Result<(), Error> {
    use sha2::Digest;
    use std::io::{Read, Write};
    let io = |e| Error::new(e, None, ExitStatus::Error);
    let mut input = fs_err::File::open(from).map_err(io)?;
    let mut output = fs_err::File::create(to).map_err(io)?;
    let mut hasher = sha2::Sha256::new();
    let mut buffer = vec![0u8; 256 * 1024];
    loop {
        let n = input.read(&mut buffer).map_err(io)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        output.write_all(&buffer[..n]).map_err(io)?;
    }
    let actual = data_encoding::HEXLOWER.encode(&hasher.finalize());
    if let Some(expected) = sha256
        && !expected.eq_ignore_ascii_case(&actual)
    {
        return Err(Error::failure(
            format!(
                "the sha256 of `{}` does not match the index: expected {expected}, found {actual}",
                from.display()
            ),
            Some("the cached file changed since it was checked: remove it (`wharf cache clean`) and download again".to_string()),
        ));
    }
    Ok(())
}

/// The file name of a chosen wheel.
fn file_name(candidate: &Candidate) -> String {
    candidate
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
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
    let overrides = overrides(args, settings.no_deps)?;
    let mut requirements = operations::read_requirements(
        RequirementSources {
            packages: &args.packages,
            requirement_files: &args.requirements,
            constraint_files: &[],
            editables: &[],
        },
        &|name| site.lookup(name),
    )?;
    if let Some(direct) = requirements.direct.first() {
        return Err(Error::usage(
            format!("`{}` is a direct URL or path requirement", direct.text),
            Some("download it with curl, or name a version for the index".to_string()),
        ));
    }
    if requirements.requirements.is_empty() {
        return Err(Error::usage(
            "nothing to download",
            Some(
                "name packages (`wharf download numpy==2.1.3`) or pass `-r requirements.txt`"
                    .to_string(),
            ),
        ));
    }
    let target = target(args, &overrides, python_env, printer)?;
    let client = NetworkSettings {
        indexes: settings.indexes.clone(),
        cert: settings.cert.clone(),
        proxy: settings.proxy.clone(),
        no_proxy: settings.no_proxy.clone(),
        retries: settings.retries,
        timeout: settings.timeout,
    }
    .client()?;
    let index = Arc::new(
        PackageIndex::new(
            settings.indexes.clone(),
            client,
            site.vars.cache_dir(),
            false,
        )
        .map_err(|e| Error::new(e, None, ExitStatus::Error))?,
    );
    requirements.index = Some(Arc::clone(&index));
    let catalogue = Sources {
        find_links: FindLinks(
            args.find_links
                .iter()
                .map(|dir| FindLink::with_origin(dir, FindLinkOrigin::CommandLine))
                .collect(),
        ),
        threads: site.threads(),
        index_dir: None,
    }
    .with_extra(&requirements.find_links)
    .catalogue();
    let policy = ResolvePolicy {
        no_deps: settings.no_deps,
        prerelease: settings.pre,
        allow_manylinux: true,
        ..ResolvePolicy::default()
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(settings.jobs)
        .build()
        .map_err(|e| Error::new(e, None, ExitStatus::Error))?;
    let spinner = crate::progress::spinner("Resolving".to_string(), printer.is_quiet());
    let resolution = pool.install(|| {
        operations::resolve_for(&requirements, &target, &[], &catalogue, &policy, None)
    });
    spinner.finish_and_clear();
    for warning in index.take_warnings() {
        printer.warn(warning);
    }
    for note in index.take_notes() {
        printer.info(note);
    }
    let chosen: Vec<ResolvedPackage> = resolution?.packages;
    let resolved_in = start.elapsed();
    let wheel = |package: &ResolvedPackage| match &package.source {
        ResolvedSource::Wheel(candidate) => Some(candidate.as_ref().clone()),
        ResolvedSource::Installed { .. } => None,
    };
    fs_err::create_dir_all(&settings.dest).map_err(|e| Error::new(e, None, ExitStatus::Error))?;
    // Files already in DEST with the index's hash (a directory's: the same bytes) are kept.
    let mut already = Vec::new();
    let mut wanted = Vec::new();
    for package in &chosen {
        let Some(candidate) = wheel(package) else {
            continue;
        };
        let existing = settings.dest.join(file_name(&candidate));
        let expected = match &candidate.remote {
            Some(remote) => remote.sha256.clone(),
            None => sha256_of(&candidate.path),
        };
        let same = existing.is_file()
            && expected.is_some()
            && sha256_of(&existing).as_deref() == expected.as_deref();
        if same {
            already.push(package.clone());
        } else {
            wanted.push(package.clone());
        }
    }
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
    let total: u64 = wanted.iter().filter_map(|p| wheel(p)?.remote?.size).sum();
    let bar = download_bar(printer.is_quiet(), wanted.len(), total);
    let done = AtomicU64::new(0);
    let download_start = Instant::now();
    // The index's wheels into wharf's cache, each checked against the index's sha256 (those
    // the resolver read whole are there already).
    let fetched =
        pool.install(|| index::fetch_chosen_counted(&wanted, &index, false, &|n| bar.inc(n)));
    bar.finish_and_clear();
    fetched?;
    // Copied (and hashed again) in parallel: the largest wheel no longer waits its turn.
    pool.install(|| {
        use rayon::prelude::*;
        wanted.par_iter().try_for_each(|package| {
            let Some(candidate) = wheel(package) else {
                return Ok(());
            };
            let sha256 = candidate.remote.as_ref().and_then(|r| r.sha256.as_deref());
            copy_verified(
                &candidate.path,
                &staging.path().join(file_name(&candidate)),
                sha256,
            )?;
            done.fetch_add(1, Ordering::Relaxed);
            Ok::<(), Error>(())
        })
    })?;
    // All arrived intact: move them into DEST.
    let mut saved = String::new();
    for package in &chosen {
        let Some(candidate) = wheel(package) else {
            continue;
        };
        let name = file_name(&candidate);
        let from = staging.path().join(&name);
        let to = settings.dest.join(&name);
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
        crate::printer::plural(done.load(Ordering::Relaxed).try_into().unwrap_or(0), "file"),
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
    let chosen: Vec<Candidate> = chosen.iter().filter_map(wheel).collect();
    for candidate in &chosen {
        printer.verbose(format_args!(
            " + {}=={} ({}, {})",
            candidate.filename.name,
            candidate.filename.version,
            file_name(candidate),
            match &candidate.remote {
                Some(remote) => format!(
                    "sha256 {}",
                    remote
                        .sha256
                        .as_deref()
                        .unwrap_or("not stated by the index")
                ),
                None => format!("from `{}`", candidate.path.display()),
            }
        ));
    }
    warn_binary_wheels(&chosen, &settings.dest, printer);
    Ok(write_stdout(saved.as_bytes()))
}

/// The site's warning for each wheel that is not pure Python (`none-any`): built off-site,
/// it may not work on the cluster.
fn warn_binary_wheels(chosen: &[Candidate], dest: &Path, printer: Printer) {
    let binary: Vec<&Candidate> = chosen
        .iter()
        .filter(|c| {
            !(c.filename.platform_tags.iter().all(|p| p.as_str() == "any")
                && c.filename.abi_tags.iter().all(|a| a.as_str() == "none"))
        })
        .collect();
    for candidate in &binary {
        let platforms = candidate
            .filename
            .platform_tags
            .iter()
            .map(PlatformTag::as_str)
            .collect::<Vec<_>>()
            .join(".");
        printer.warn(format_args!(
            "`{}` is a binary wheel built outside the site (`{platforms}`): it may not work on the cluster (it was not built against the cluster's libraries and modules)",
            file_name(candidate)
        ));
    }
    if let Some(first) = binary.first() {
        let names = binary
            .iter()
            .map(|c| c.filename.name.to_string())
            .collect::<Vec<_>>()
            .join(" ");
        printer.hint(format_args!(
            "prefer the wheelhouse's build (`wharf avail {names}`, then `wharf install {names}`); if the wheelhouse lacks it, ask support to add it. To use a downloaded file anyway: `wharf install {}`",
            dest.join(file_name(first)).display()
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
