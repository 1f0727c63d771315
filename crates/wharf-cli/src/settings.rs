//! The settings layer: clap structs only check syntax; here each command's settings are
//! resolved once from the command line ▸ `PIP_*` environment variables ▸ the pip config file
//! (`PIP_CONFIG_FILE`: `[install]`, then `[global]`) ▸ defaults, with pip's precedence and
//! pip's spelling of booleans. Commands receive plain resolved values.

use std::path::PathBuf;

use clap::Args;
use wharf_env::{Env, EnvVars};
use wharf_site::{FindLink, FindLinkOrigin, FindLinks, PipConfig, SiteEnv};

use crate::Printer;
use crate::error::Error;

/// When to colour diagnostics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set
    #[default]
    Auto,
    /// Always
    Always,
    /// Never
    Never,
}

/// Options every command (but `avail`, whose flags are `avail_wheels`') accepts.
#[derive(Debug, Clone, Default, Args)]
pub struct GlobalArgs {
    /// Print only errors (no progress, summaries or warnings)
    #[arg(short, long, global = false)]
    pub quiet: bool,
    /// Print more (repeat for more): each package's wheel, skipped interpreters
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// When to colour diagnostics: auto, always, never [default: auto: on a terminal, off under NO_COLOR]
    #[arg(long, value_enum, value_name = "WHEN", hide_possible_values = true)]
    pub color: Option<ColorChoice>,
}

/// The global settings, merged from the options given before and after the command name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GlobalSettings {
    /// `-q`.
    pub quiet: bool,
    /// `-v` count.
    pub verbose: u8,
    /// `--color`.
    pub color: ColorChoice,
}

impl GlobalSettings {
    /// Merges the top-level and the command's global options (either place counts).
    pub fn resolve(top: &GlobalArgs, command: Option<&GlobalArgs>) -> Self {
        let command = command.cloned().unwrap_or_default();
        Self {
            quiet: top.quiet || command.quiet,
            verbose: top.verbose.saturating_add(command.verbose),
            color: command.color.or(top.color).unwrap_or_default(),
        }
    }

    /// The printer for these settings.
    pub fn printer(&self, site: &SiteEnv) -> Printer {
        Printer::with(self.color, site.no_color, self.quiet, self.verbose)
    }
}

/// pip's configuration, read once from every file pip 26 reads, in its order
/// ([`wharf_site::pip_config_paths`]: global, user, the active environment's `pip.conf`,
/// `PIP_CONFIG_FILE` last; `PIP_CONFIG_FILE=/dev/null` none) and merged key by key; a broken
/// file is reported as a warning and left out, as before.
pub fn pip_config(site: &SiteEnv, printer: Printer) -> Option<PipConfig> {
    let paths = wharf_site::pip_config_paths(&site.vars, site.virtual_env.as_deref(), false);
    let mut configs = Vec::new();
    for path in paths
        .iter()
        .filter(|p| p.is_file() || site.pip_config_file.as_deref() == Some(p.as_path()))
    {
        match PipConfig::read(path) {
            Ok(config) => configs.push(config),
            Err(e) => printer.warn(format_args!("{e}; ignoring it")),
        }
    }
    PipConfig::merge(configs)
}

/// A pip option looked up with pip's precedence below the command line: `PIP_<NAME>` ▸
/// `[install] name` ▸ `[global] name`.
fn pip_flag(
    env: &Env,
    config: Option<&PipConfig>,
    variable: &str,
    key: &str,
) -> Result<Option<bool>, Error> {
    if let Some(value) = env.flag(variable)? {
        return Ok(Some(value));
    }
    let Some(config) = config else {
        return Ok(None);
    };
    for section in ["install", "global"] {
        if let Some(value) = config.get(section, key) {
            let probe = Env::from_pairs([(key, value.as_str())]);
            return probe.flag(key).map_err(|_| {
                Error::usage(
                    format!(
                        "`{}`: [{section}] {key} = `{value}` is not a boolean",
                        config.origin(section, key).display()
                    ),
                    Some("use true/false, yes/no, on/off or 1/0, as pip does".to_string()),
                )
            });
        }
    }
    Ok(None)
}

/// Where the wheel sources came from (for messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FindLinksOrigin {
    /// `-f` on the command line.
    CommandLine,
    /// `PIP_FIND_LINKS`.
    Environment,
    /// `find-links` of the named section of the pip config.
    Config(String),
}

/// The resolved settings of commands that install (`install`, `venv --seed`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallSettings {
    /// The environment given with `--python`.
    pub python: Option<PathBuf>,
    /// `$VIRTUAL_ENV`.
    pub virtual_env: Option<PathBuf>,
    /// The find-links directories in priority order.
    pub find_links: Vec<PathBuf>,
    /// Where they came from (`None`: no source at all).
    pub find_links_origin: Option<FindLinksOrigin>,
    /// Where each of [`Self::find_links`] came from, in the same order (for the messages
    /// that say where wharf looked).
    pub find_link_origins: Vec<FindLinkOrigin>,
    /// Constraints files: `-c`, then `PIP_CONSTRAINT` or the config's `constraint` (those
    /// that exist).
    pub constraint_files: Vec<PathBuf>,
    /// `--upgrade` / `PIP_UPGRADE` / `upgrade =`.
    pub upgrade: bool,
    /// `--upgrade-strategy eager` (`PIP_UPGRADE_STRATEGY`): with `--upgrade`, the requested
    /// packages' dependencies are upgraded too.
    pub upgrade_eager: bool,
    /// `--reinstall` / `PIP_FORCE_REINSTALL` / `force-reinstall =`.
    pub reinstall: bool,
    /// `--no-deps` / `PIP_NO_DEPS` / `no-deps =`.
    pub no_deps: bool,
    /// `--pre` / `PIP_PRE` / `pre =`.
    pub pre: bool,
    /// `--no-index` / `PIP_NO_INDEX` / `no-index =` (accepted: wharf never reaches an index
    /// when installing).
    pub no_index: bool,
    /// `--compile`.
    pub compile: bool,
    /// `--dry-run`.
    pub dry_run: bool,
    /// `--allow-manylinux`.
    pub allow_manylinux: bool,
    /// The wheel cache root; `None` under `--no-cache`, `PIP_NO_CACHE_DIR`, `WHARF_NO_CACHE`.
    pub cache_dir: Option<PathBuf>,
    /// `--no-verify-record`: installed files are not checked against the wheels' `RECORD`.
    pub no_verify_record: bool,
    /// `--link-mode` ▸ `WHARF_LINK_MODE` ▸ `auto`.
    pub link_mode: wharf_install::LinkMode,
    /// `--require-hashes` / `PIP_REQUIRE_HASHES` / `require-hashes =`: pip's hash-checking
    /// mode (also on when a requirements file has a `--hash`).
    pub require_hashes: bool,
    /// Worker threads (`SLURM_CPUS_PER_TASK`).
    pub threads: usize,
    /// Where the catalogue index is cached.
    pub index_dir: Option<PathBuf>,
}

/// The `--link-mode` argument: how installed files come from the wheel cache (uv's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LinkModeArg {
    /// Reflinks (copy-on-write) where the filesystem has them, else hard links (the default)
    Auto,
    /// Reflinks, else copies: an installed file never shares its inode with the cache
    Clone,
    /// Hard links: one inode shared by the cache and every environment made from it
    Hardlink,
    /// Copies of every file
    Copy,
}

impl From<LinkModeArg> for wharf_install::LinkMode {
    fn from(arg: LinkModeArg) -> Self {
        match arg {
            LinkModeArg::Auto => Self::Auto,
            LinkModeArg::Clone => Self::Clone,
            LinkModeArg::Hardlink => Self::Hardlink,
            LinkModeArg::Copy => Self::Copy,
        }
    }
}

/// The command-line side of [`InstallSettings`] (what the clap struct carried).
#[derive(Debug, Clone, Default)]
pub struct InstallFlags {
    /// `--python`.
    pub python: Option<PathBuf>,
    /// `-f`.
    pub find_links: Vec<PathBuf>,
    /// `-c`.
    pub constraints: Vec<PathBuf>,
    /// `-U`.
    pub upgrade: bool,
    /// `--reinstall`.
    pub reinstall: bool,
    /// `--no-deps`.
    pub no_deps: bool,
    /// `--pre`.
    pub pre: bool,
    /// `--no-index`.
    pub no_index: bool,
    /// `--compile`.
    pub compile: bool,
    /// `--dry-run`.
    pub dry_run: bool,
    /// `--allow-manylinux`.
    pub allow_manylinux: bool,
    /// `--no-cache`.
    pub no_cache: bool,
    /// `--no-verify-record`.
    pub no_verify_record: bool,
    /// `--link-mode`.
    pub link_mode: Option<wharf_install::LinkMode>,
    /// `--require-hashes`.
    pub require_hashes: bool,
}

impl InstallSettings {
    /// Resolves the install settings: command line ▸ `PIP_*` ▸ pip config ▸ defaults.
    ///
    /// Errors: a `PIP_*` boolean or config boolean that is not one (exit 2).
    pub fn resolve(
        flags: &InstallFlags,
        site: &SiteEnv,
        config: Option<&PipConfig>,
    ) -> Result<Self, Error> {
        let env = &site.vars;
        let flag = |cli: bool, variable: &str, key: &str| -> Result<bool, Error> {
            Ok(cli || pip_flag(env, config, variable, key)?.unwrap_or(false))
        };
        // Sources: PIP_FIND_LINKS ▸ [install] find-links ▸ [global] find-links, then -f added
        // after them (pip's `append` option: its configured value is the list the command
        // line extends; `-f ~/wheels` must not hide the wheelhouse).
        let (mut find_links, mut find_links_origin): (Vec<PathBuf>, Option<FindLinksOrigin>) =
            if env.is_set(EnvVars::PIP_FIND_LINKS) {
                (
                    env.list(EnvVars::PIP_FIND_LINKS)
                        .into_iter()
                        .map(PathBuf::from)
                        .collect(),
                    Some(FindLinksOrigin::Environment),
                )
            } else {
                config
                    .and_then(|config| {
                        ["install", "global"].into_iter().find_map(|section| {
                            let links = config.find_links(section).ok()?;
                            Some((
                                links.into_iter().map(PathBuf::from).collect(),
                                Some(FindLinksOrigin::Config(section.to_string())),
                            ))
                        })
                    })
                    .unwrap_or_default()
            };
        let origin = match &find_links_origin {
            Some(FindLinksOrigin::Environment) => Some(FindLinkOrigin::Environment),
            Some(FindLinksOrigin::Config(section)) => {
                config.map(|config| FindLinkOrigin::PipConfig {
                    path: config.origin(section, "find-links").to_path_buf(),
                    section: section.clone(),
                })
            }
            Some(FindLinksOrigin::CommandLine) | None => None,
        };
        let mut find_link_origins: Vec<FindLinkOrigin> =
            origin.map_or_else(Vec::new, |origin| vec![origin; find_links.len()]);
        if !flags.find_links.is_empty() {
            let added = flags
                .find_links
                .iter()
                .filter(|dir| !find_links.contains(dir))
                .count();
            find_link_origins.extend(std::iter::repeat_n(FindLinkOrigin::CommandLine, added));
            find_links.extend(
                flags
                    .find_links
                    .iter()
                    .filter(|dir| !find_links.contains(dir))
                    .cloned()
                    .collect::<Vec<_>>(),
            );
            find_links_origin.get_or_insert(FindLinksOrigin::CommandLine);
        }
        // Constraints: -c, plus PIP_CONSTRAINT ▸ the config's `constraint` (existing files).
        let mut constraint_files = flags.constraints.clone();
        let default_constraints: Vec<PathBuf> = if env.is_set(EnvVars::PIP_CONSTRAINT) {
            env.list(EnvVars::PIP_CONSTRAINT)
                .into_iter()
                .map(PathBuf::from)
                .collect()
        } else {
            config
                .and_then(|c| {
                    c.get("install", "constraint")
                        .or_else(|| c.get("global", "constraint"))
                })
                .map(|v| v.split_whitespace().map(PathBuf::from).collect())
                .unwrap_or_default()
        };
        constraint_files.extend(default_constraints.into_iter().filter(|p| p.exists()));
        let no_cache = flags.no_cache || env.flag(EnvVars::PIP_NO_CACHE_DIR)?.unwrap_or(false);
        let link_mode = match (flags.link_mode, env.get(EnvVars::WHARF_LINK_MODE)) {
            (Some(mode), _) => mode,
            (None, Some(text)) => text.parse().map_err(|reason: String| {
                Error::usage(
                    format!("WHARF_LINK_MODE={text}: {reason}"),
                    Some(
                        "set WHARF_LINK_MODE to clone, hardlink, copy or auto, or unset it".into(),
                    ),
                )
            })?,
            (None, None) => wharf_install::LinkMode::default(),
        };
        Ok(Self {
            python: flags.python.clone(),
            virtual_env: site.virtual_env.clone(),
            find_links,
            find_links_origin,
            find_link_origins,
            constraint_files,
            upgrade: flag(flags.upgrade, EnvVars::PIP_UPGRADE, "upgrade")?,
            upgrade_eager: false,
            reinstall: flag(
                flags.reinstall,
                EnvVars::PIP_FORCE_REINSTALL,
                "force-reinstall",
            )?,
            no_deps: flag(flags.no_deps, EnvVars::PIP_NO_DEPS, "no-deps")?,
            pre: flag(flags.pre, EnvVars::PIP_PRE, "pre")?,
            no_index: flag(flags.no_index, EnvVars::PIP_NO_INDEX, "no-index")?,
            compile: flags.compile,
            dry_run: flags.dry_run,
            allow_manylinux: flags.allow_manylinux,
            cache_dir: if no_cache {
                None
            } else {
                site.cache_dir.clone()
            },
            no_verify_record: flags.no_verify_record,
            link_mode,
            require_hashes: flag(
                flags.require_hashes,
                EnvVars::PIP_REQUIRE_HASHES,
                "require-hashes",
            )?,
            threads: site.threads(),
            index_dir: site.catalogue_index_dir(),
        })
    }

    /// The wheel sources, or the error that says how to get some.
    pub fn sources(&self) -> Result<wharf_environment::operations::Sources, Error> {
        self.sources_for(false)
    }

    /// The wheel sources; with `direct` (the request names wheels or projects by path, or a
    /// requirements file brings its own `--find-links`), none configured is no error, as pip
    /// installs a local wheel without an index.
    pub fn sources_for(
        &self,
        direct: bool,
    ) -> Result<wharf_environment::operations::Sources, Error> {
        if self.find_links_origin.is_none() && !direct {
            return Err(Error::usage(
                "no wheel sources: no `--find-links` given, PIP_FIND_LINKS is not set, and no `find-links` in $PIP_CONFIG_FILE",
                Some(
                    "load the site's StdEnv module (it sets PIP_CONFIG_FILE), or pass `-f DIR`"
                        .to_string(),
                ),
            ));
        }
        Ok(wharf_environment::operations::Sources {
            find_links: FindLinks(
                self.find_links
                    .iter()
                    .enumerate()
                    .map(|(index, dir)| match self.find_link_origins.get(index) {
                        Some(origin) => FindLink::with_origin(dir, origin.clone()),
                        None => FindLink::new(dir),
                    })
                    .collect(),
            ),
            threads: self.threads,
            index_dir: self.index_dir.clone(),
        })
    }
}

/// `-i/--index-url`, `--extra-index-url` and `--offline` of `install` and `lock`: package
/// indexes (PEP 503 HTML, PEP 691 JSON, PEP 658 metadata) searched together with the
/// find-links directories. Unlike pip, they are used only when given on the command line: the
/// site's pip config and `PIP_INDEX_URL` point at PyPI for pip's sake, and wharf installs from
/// the wheelhouse unless asked otherwise.
#[derive(Debug, Clone, Default, Args)]
pub struct IndexArgs {
    /// Also take wheels from this simple index (PEP 503/691), ex) a `wharf serve` on a login node, https://pypi.org/simple [default: none, the wheelhouse only]
    #[arg(short = 'i', long, value_name = "URL")]
    pub index_url: Option<String>,
    /// Further simple indexes, looked up after --index-url; repeatable
    #[arg(long, value_name = "URL")]
    pub extra_index_url: Vec<String>,
    /// Use only the index pages and files already in wharf's cache ($WHARF_CACHE_DIR/index-pages-v1), make no request
    #[arg(long)]
    pub offline: bool,
}

/// The network settings of a command that reads package indexes: CLI ▸ `PIP_*` ▸ pip config
/// (`section`, then `[global]`) ▸ defaults, pip's names.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkSettings {
    /// The indexes in lookup order.
    pub indexes: Vec<wharf_index::Url>,
    /// The CA bundle.
    pub cert: Option<PathBuf>,
    /// The proxy.
    pub proxy: Option<String>,
    /// `NO_PROXY` hosts.
    pub no_proxy: Vec<String>,
    /// Retries of each request after the first.
    pub retries: u32,
    /// Connect and read timeout.
    pub timeout: std::time::Duration,
}

/// The command line's part of [`NetworkSettings`].
#[derive(Debug, Clone, Default)]
pub struct NetworkFlags {
    /// `-i/--index-url`.
    pub index_url: Option<String>,
    /// `--extra-index-url`.
    pub extra_index_url: Vec<String>,
    /// `--cert`.
    pub cert: Option<PathBuf>,
    /// `--proxy`.
    pub proxy: Option<String>,
    /// `--retries`.
    pub retries: Option<u32>,
    /// `--timeout`, seconds.
    pub timeout: Option<f64>,
}

fn config_value(config: Option<&PipConfig>, section: &str, key: &str) -> Option<String> {
    let config = config?;
    [section, "global"]
        .into_iter()
        .find_map(|section| config.get(section, key))
        .filter(|v| !v.trim().is_empty())
}

fn parse_index(text: &str) -> Result<wharf_index::Url, Error> {
    wharf_index::Url::parse(text.trim()).map_err(|e| {
        Error::usage(
            format!("`{text}` is not a valid index URL: {e}"),
            Some("give a full URL, ex) --index-url https://pypi.org/simple".to_string()),
        )
    })
}

impl NetworkSettings {
    /// Resolves the settings; `indexes_from_config`: whether `PIP_INDEX_URL`, the pip
    /// config's `index-url` and PyPI are the default (`download`), or only the command line's
    /// indexes count (`install`, `lock`).
    ///
    /// Errors: an index that is no URL, a number that is not one (exit 2).
    pub fn resolve(
        flags: &NetworkFlags,
        site: &SiteEnv,
        config: Option<&PipConfig>,
        section: &str,
        indexes_from_config: bool,
    ) -> Result<Self, Error> {
        let env: &Env = &site.vars;
        let mut indexes = Vec::new();
        if indexes_from_config {
            let index = flags
                .index_url
                .clone()
                .or_else(|| env.get(EnvVars::PIP_INDEX_URL))
                .or_else(|| config_value(config, section, "index-url"))
                .unwrap_or_else(|| wharf_index::PYPI_SIMPLE.to_string());
            let extra: Vec<String> = if !flags.extra_index_url.is_empty() {
                flags.extra_index_url.clone()
            } else if env.is_set(EnvVars::PIP_EXTRA_INDEX_URL) {
                env.list(EnvVars::PIP_EXTRA_INDEX_URL)
            } else {
                config_value(config, section, "extra-index-url")
                    .map(|v| v.split_whitespace().map(str::to_string).collect())
                    .unwrap_or_default()
            };
            indexes.push(parse_index(&index)?);
            for url in &extra {
                indexes.push(parse_index(url)?);
            }
        } else {
            for url in flags.index_url.iter().chain(&flags.extra_index_url) {
                indexes.push(parse_index(url)?);
            }
        }
        let cert = flags
            .cert
            .clone()
            .or_else(|| env.path(EnvVars::PIP_CERT))
            .or_else(|| config_value(config, section, "cert").map(PathBuf::from))
            .or_else(|| env.path(EnvVars::SSL_CERT_FILE))
            .or_else(|| env.path(EnvVars::REQUESTS_CA_BUNDLE));
        let proxy = flags
            .proxy
            .clone()
            .or_else(|| env.get(EnvVars::PIP_PROXY))
            .or_else(|| config_value(config, section, "proxy"))
            .or_else(|| {
                [
                    EnvVars::HTTPS_PROXY,
                    EnvVars::HTTPS_PROXY_LOWER,
                    EnvVars::HTTP_PROXY,
                    EnvVars::HTTP_PROXY_LOWER,
                ]
                .into_iter()
                .find_map(|name| env.get(name))
            });
        let no_proxy = env
            .get(EnvVars::NO_PROXY)
            .or_else(|| env.get(EnvVars::NO_PROXY_LOWER))
            .map(|v| {
                v.split(',')
                    .map(|h| h.trim().to_string())
                    .filter(|h| !h.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let number = |cli: Option<f64>, names: &[&str], key: &str, default: f64| {
            if let Some(value) = cli {
                return Ok(value);
            }
            let found = names
                .iter()
                .find_map(|n| env.get(n).map(|v| (n.to_string(), v)))
                .or_else(|| config_value(config, section, key).map(|v| (format!("{key} ="), v)));
            match found {
                None => Ok(default),
                Some((origin, value)) => value.trim().parse::<f64>().map_err(|_| {
                    Error::usage(
                        format!("{origin} `{value}` is not a number"),
                        Some("give a non-negative number, as pip does".to_string()),
                    )
                }),
            }
        };
        let retries = number(
            flags.retries.map(f64::from),
            &[EnvVars::PIP_RETRIES],
            "retries",
            5.0,
        )?;
        let timeout = number(
            flags.timeout,
            &[EnvVars::PIP_TIMEOUT, EnvVars::PIP_DEFAULT_TIMEOUT],
            "timeout",
            15.0,
        )?;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Ok(Self {
            indexes,
            cert,
            proxy,
            no_proxy,
            retries: retries.max(0.0) as u32,
            timeout: std::time::Duration::from_secs_f64(timeout.max(0.1)),
        })
    }

    /// The HTTP client of these settings.
    ///
    /// Errors: the CA bundle or the proxy is unusable (exit 2).
    pub fn client(&self) -> Result<wharf_index::IndexClient, Error> {
        wharf_index::IndexClient::new(wharf_index::ClientOptions {
            retries: self.retries,
            timeout: self.timeout,
            ca_bundle: self.cert.clone(),
            proxy: self.proxy.clone(),
            no_proxy: self.no_proxy.clone(),
            ..wharf_index::ClientOptions::default()
        })
        .map_err(|e| {
            let hint = e.hint();
            Error::new(e, hint, crate::ExitStatus::Error)
        })
    }
}

impl IndexArgs {
    /// The package indexes these options name (`None` when none is given), read with the
    /// network settings of the pip config's `section` and cached in wharf's cache.
    ///
    /// Errors: a bad URL, CA bundle or proxy (exit 2).
    pub fn package_index(
        &self,
        site: &SiteEnv,
        config: Option<&PipConfig>,
        section: &str,
    ) -> Result<Option<std::sync::Arc<wharf_environment::index::PackageIndex>>, Error> {
        if self.index_url.is_none() && self.extra_index_url.is_empty() {
            if self.offline {
                return Err(Error::usage(
                    "--offline without an index: only index pages are cached",
                    Some("give the index too, ex) `-i URL --offline`; the wheelhouse needs no network".to_string()),
                ));
            }
            return Ok(None);
        }
        let flags = NetworkFlags {
            index_url: self.index_url.clone(),
            extra_index_url: self.extra_index_url.clone(),
            ..NetworkFlags::default()
        };
        let network = NetworkSettings::resolve(&flags, site, config, section, false)?;
        let index = wharf_environment::index::PackageIndex::new(
            network.indexes.clone(),
            network.client()?,
            site.vars.cache_dir(),
            self.offline,
        )
        .map_err(|e| Error::new(e, None, crate::ExitStatus::Error))?;
        Ok(Some(std::sync::Arc::new(index)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(
        vars: &[(&str, &str)],
        config: Option<&str>,
        flags: &InstallFlags,
    ) -> Result<InstallSettings, Error> {
        let env = Env::from_pairs(vars.iter().copied());
        let mut site = SiteEnv::from_env(&env);
        site.slurm_cpus_per_task = Some("1".into());
        let config = config
            .map(|text| PipConfig::parse(std::path::Path::new("/site/pip.conf"), text).unwrap());
        InstallSettings::resolve(flags, &site, config.as_ref())
    }

    const CONFIG: &str = "[install]\nfind-links = /w/avx2 /w/generic\nno-index = true\nupgrade = no\n\n[global]\nfind-links = /global\n";

    #[test]
    fn pip_config_alone() {
        let s = settings(&[("HOME", "/h")], Some(CONFIG), &InstallFlags::default()).unwrap();
        insta::assert_debug_snapshot!(s, @r#"
        InstallSettings {
            python: None,
            virtual_env: None,
            find_links: [
                "/w/avx2",
                "/w/generic",
            ],
            find_links_origin: Some(
                Config(
                    "install",
                ),
            ),
            find_link_origins: [
                PipConfig {
                    path: "/site/pip.conf",
                    section: "install",
                },
                PipConfig {
                    path: "/site/pip.conf",
                    section: "install",
                },
            ],
            constraint_files: [],
            upgrade: false,
            upgrade_eager: false,
            reinstall: false,
            no_deps: false,
            pre: false,
            no_index: true,
            compile: false,
            dry_run: false,
            allow_manylinux: false,
            cache_dir: Some(
                "/h/.cache/wharf",
            ),
            no_verify_record: false,
            link_mode: Auto,
            require_hashes: false,
            threads: 1,
            index_dir: Some(
                "/h/.cache/wharf/catalogue-v1",
            ),
        }
        "#);
    }

    /// Regression (issue 7, defect 9): `PIP_FIND_LINKS` alone, with `PIP_CONFIG_FILE=/dev/null`,
    /// gave "no wheel sources".
    #[test]
    fn pip_find_links_alone_is_a_source() {
        let s = settings(
            &[
                ("PIP_FIND_LINKS", "/a /b"),
                ("PIP_CONFIG_FILE", "/dev/null"),
            ],
            Some(""),
            &InstallFlags::default(),
        )
        .unwrap();
        assert_eq!(s.find_links, [PathBuf::from("/a"), PathBuf::from("/b")]);
        assert_eq!(s.find_links_origin, Some(FindLinksOrigin::Environment));
        assert!(s.sources().is_ok());
    }

    #[test]
    fn precedence_command_line_then_environment_then_config() {
        // PIP_FIND_LINKS beats the config; -f adds to either, after it (pip 26: `Looking in
        // links: /env, /cli`; issue 20: `-f ~/wheels` used to hide the wheelhouse).
        let s = settings(
            &[("PIP_FIND_LINKS", "/env")],
            Some(CONFIG),
            &InstallFlags::default(),
        )
        .unwrap();
        assert_eq!(s.find_links, [PathBuf::from("/env")]);
        let flags = InstallFlags {
            find_links: vec!["/cli".into()],
            ..InstallFlags::default()
        };
        let s = settings(&[("PIP_FIND_LINKS", "/env")], Some(CONFIG), &flags).unwrap();
        assert_eq!(s.find_links, [PathBuf::from("/env"), PathBuf::from("/cli")]);
        let s = settings(&[], Some(CONFIG), &flags).unwrap();
        // Issue 18 §3: each directory keeps where it came from.
        let config = FindLinkOrigin::PipConfig {
            path: "/site/pip.conf".into(),
            section: "install".into(),
        };
        assert_eq!(
            s.find_link_origins,
            [config.clone(), config, FindLinkOrigin::CommandLine]
        );
        assert_eq!(
            s.sources().unwrap().find_links.0[2].origin,
            Some(FindLinkOrigin::CommandLine)
        );
        assert_eq!(
            s.find_links,
            [
                PathBuf::from("/w/avx2"),
                PathBuf::from("/w/generic"),
                PathBuf::from("/cli")
            ]
        );
        // PIP_UPGRADE=1 beats `upgrade = no`; PIP_NO_INDEX=0 beats `no-index = true`.
        let s = settings(
            &[("PIP_UPGRADE", "1"), ("PIP_NO_INDEX", "off")],
            Some(CONFIG),
            &InstallFlags::default(),
        )
        .unwrap();
        assert!(s.upgrade);
        assert!(!s.no_index);
        // [global] find-links when [install] has none.
        let s = settings(
            &[],
            Some("[global]\nfind-links = /g\n"),
            &InstallFlags::default(),
        )
        .unwrap();
        assert_eq!(
            s.find_links_origin,
            Some(FindLinksOrigin::Config("global".into()))
        );
    }

    #[test]
    fn no_cache_from_any_source() {
        let s = settings(
            &[("HOME", "/h"), ("WHARF_NO_CACHE", "1")],
            None,
            &InstallFlags::default(),
        )
        .unwrap();
        assert_eq!(s.cache_dir, None);
        assert_eq!(s.index_dir, None);
        let s = settings(
            &[("HOME", "/h"), ("PIP_NO_CACHE_DIR", "yes")],
            None,
            &InstallFlags::default(),
        )
        .unwrap();
        assert_eq!(s.cache_dir, None);
        // An empty WHARF_NO_CACHE is unset.
        let s = settings(
            &[("HOME", "/h"), ("WHARF_NO_CACHE", "")],
            None,
            &InstallFlags::default(),
        )
        .unwrap();
        assert!(s.cache_dir.is_some());
    }

    #[test]
    fn err_bad_boolean_names_the_variable() {
        let err =
            settings(&[("PIP_NO_DEPS", "maybe")], None, &InstallFlags::default()).unwrap_err();
        assert_eq!(
            err.error.to_string(),
            "environment variable PIP_NO_DEPS=`maybe` is not a boolean (use 1/0, true/false, yes/no, on/off)"
        );
        let err = settings(
            &[],
            Some("[install]\npre = sometimes\n"),
            &InstallFlags::default(),
        )
        .unwrap_err();
        assert_eq!(
            err.error.to_string(),
            "`/site/pip.conf`: [install] pre = `sometimes` is not a boolean"
        );
    }

    #[test]
    fn no_sources_at_all() {
        let s = settings(&[], None, &InstallFlags::default()).unwrap();
        let err = s.sources().unwrap_err();
        assert!(err.error.to_string().starts_with("no wheel sources"));
        assert!(err.hint.unwrap().contains("-f DIR"));
    }
}
