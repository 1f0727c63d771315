//! pip's INI configuration file, as the site's `StdEnv` module writes it.
//!
//! Source: pip's "Configuration" documentation (config file format; `find-links` as a
//! space-separated list; per-command sections `[install]`, `[wheel]`, `[download]`
//! overriding `[global]`). Real examples: `pip-x86-64-v3-gentoo2023.conf` on CVMFS.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use configparser::ini::{Ini, IniDefault};

/// A pip configuration file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PipConfigError {
    /// The file could not be read.
    #[error("cannot read pip config `{}`", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },
    /// The file is larger than 16 MiB, not UTF-8 or holds a NUL (the message names it).
    #[error(transparent)]
    NotText(wharf_fs::ReadError),
    /// The file is not valid INI.
    #[error("cannot parse pip config `{}`: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// The requested section has no `find-links` key.
    #[error("pip config `{}` has no `find-links` in section `[{section}]`", path.display())]
    NoFindLinks {
        /// The file.
        path: PathBuf,
        /// The section looked in.
        section: String,
    },
}

/// A parsed pip config file: sections of `key = value`, keys lowercased as Python's
/// `configparser` does, multi-line values joined.
#[derive(Debug, Clone)]
pub struct PipConfig {
    path: PathBuf,
    ini: Ini,
    /// The file each `(section, key)` came from, when several files were merged.
    origins: HashMap<(String, String), PathBuf>,
}

/// pip's configuration files, lowest priority first, as pip 26 finds them on Linux (pip's
/// "Configuration" documentation, "Location" and "Loading order"):
/// - global: `$XDG_CONFIG_DIRS/pip/pip.conf` (each directory; default `/etc/xdg`), then
///   `/etc/pip.conf`;
/// - user: `~/.pip/pip.conf`, then `$XDG_CONFIG_HOME/pip/pip.conf` (default `~/.config`), left
///   out when `PIP_CONFIG_FILE` names a file that exists, or in isolated mode
///   (`PIP_ISOLATED_MODE`, `isolated`);
/// - site: `PREFIX/pip.conf` of the environment pip acts on (`prefix`);
/// - `PIP_CONFIG_FILE`, last: it overrides them all.
///
/// `PIP_CONFIG_FILE=/dev/null` loads no file at all, as pip does. Files that do not exist
/// are listed too (the caller skips them).
pub fn pip_config_paths(
    env: &wharf_env::Env,
    prefix: Option<&Path>,
    isolated: bool,
) -> Vec<PathBuf> {
    let config_file = env
        .path("PIP_CONFIG_FILE")
        .filter(|p| !p.as_os_str().is_empty());
    if config_file.as_deref() == Some(Path::new("/dev/null")) {
        return Vec::new();
    }
    let mut paths = Vec::new();
    let xdg_dirs = env
        .get("XDG_CONFIG_DIRS")
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "/etc/xdg".to_string());
    for dir in xdg_dirs.split(':').filter(|d| !d.is_empty()) {
        paths.push(Path::new(dir).join("pip").join("pip.conf"));
    }
    paths.push(PathBuf::from("/etc/pip.conf"));
    let isolated = isolated
        || env
            .flag("PIP_ISOLATED_MODE")
            .ok()
            .flatten()
            .unwrap_or(false);
    let config_file_exists = config_file.as_deref().is_some_and(Path::exists);
    if !isolated
        && !config_file_exists
        && let Some(home) = env.path("HOME").filter(|h| !h.as_os_str().is_empty())
    {
        paths.push(home.join(".pip").join("pip.conf"));
        let config_home = env
            .path("XDG_CONFIG_HOME")
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| home.join(".config"));
        paths.push(config_home.join("pip").join("pip.conf"));
    }
    if let Some(prefix) = prefix {
        paths.push(prefix.join("pip.conf"));
    }
    paths.extend(config_file);
    paths
}

impl PipConfig {
    /// Reads and parses `path`.
    pub fn read(path: &Path) -> Result<Self, PipConfigError> {
        let text =
            wharf_fs::read_text_capped(path, wharf_fs::DEFAULT_TEXT_CAP).map_err(|error| {
                match error {
                    wharf_fs::ReadError::Io { source, .. } => PipConfigError::Read {
                        path: path.to_path_buf(),
                        source,
                    },
                    other => PipConfigError::NotText(other),
                }
            })?;
        Self::parse(path, &text)
    }

    /// Parses `text` (as read from `path`, used in messages).
    pub fn parse(path: &Path, text: &str) -> Result<Self, PipConfigError> {
        let mut defaults = IniDefault::default();
        defaults.enable_inline_comments = false;
        defaults.multiline = true;
        defaults.case_sensitive = false;
        let mut ini = Ini::new_from_defaults(defaults);
        ini.read(text.to_string())
            .map_err(|message| PipConfigError::Parse {
                path: path.to_path_buf(),
                message,
            })?;
        Ok(Self {
            path: path.to_path_buf(),
            ini,
            origins: HashMap::new(),
        })
    }

    /// One configuration from `configs`, lowest priority first ([`pip_config_paths`]'s
    /// order): a key set in a later file overrides the same section's key of an earlier one,
    /// as pip merges them. `None` when `configs` is empty.
    pub fn merge(configs: Vec<PipConfig>) -> Option<Self> {
        let mut configs = configs.into_iter();
        let mut merged = configs.next()?;
        let first = merged.path.clone();
        for (section, keys) in merged.ini.get_map_ref().clone() {
            for key in keys.keys() {
                merged
                    .origins
                    .insert((section.clone(), key.clone()), first.clone());
            }
        }
        for config in configs {
            for (section, keys) in config.ini.get_map_ref() {
                for (key, value) in keys {
                    merged.ini.set(section, key, value.clone());
                    merged
                        .origins
                        .insert((section.clone(), key.clone()), config.path.clone());
                }
            }
            merged.path = config.path;
        }
        Some(merged)
    }

    /// The file this config was read from (of merged files: the most specific one).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file that set `key` in `section` (of merged files, the one that won), else
    /// [`PipConfig::path`].
    pub fn origin(&self, section: &str, key: &str) -> &Path {
        self.origins
            .get(&(section.to_ascii_lowercase(), key.to_ascii_lowercase()))
            .map_or(&self.path, PathBuf::as_path)
    }

    /// The raw value of `key` in `section`, if set.
    pub fn get(&self, section: &str, key: &str) -> Option<String> {
        self.ini.get(section, key)
    }

    /// Every `section.key = value` of the file, keys as pip names them (`_` as `-`, a leading
    /// `--` dropped), sorted; a key without a value is left out.
    pub fn entries(&self) -> Vec<(String, String)> {
        let mut entries: Vec<(String, String)> = self
            .ini
            .get_map_ref()
            .iter()
            .flat_map(|(section, keys)| {
                keys.iter().filter_map(move |(key, value)| {
                    let key = key.trim_start_matches("--").replace('_', "-");
                    value
                        .clone()
                        .map(|value| (format!("{section}.{key}"), value))
                })
            })
            .collect();
        entries.sort();
        entries
    }

    /// The `find-links` entries of `section`, split on whitespace, in order.
    pub fn find_links(&self, section: &str) -> Result<Vec<String>, PipConfigError> {
        let value = self
            .get(section, "find-links")
            .ok_or_else(|| PipConfigError::NoFindLinks {
                path: self.origin(section, "find-links").to_path_buf(),
                section: section.to_string(),
            })?;
        Ok(value.split_whitespace().map(str::to_string).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SITE: &str = "[global]\ndisable-pip-version-check = true\n\n[wheel]\nfind-links = /w/gentoo2023/x86-64-v3 /w/gentoo2023/generic /w/generic\ndisable-pip-version-check = true\n\n[install]\nfind-links = /w/a /w/b\nconstraint = /c/constraints.txt\n";

    #[test]
    fn site_config_find_links_keep_order() {
        let config = PipConfig::parse(Path::new("pip.conf"), SITE).unwrap();
        assert_eq!(
            config.find_links("wheel").unwrap(),
            [
                "/w/gentoo2023/x86-64-v3",
                "/w/gentoo2023/generic",
                "/w/generic"
            ]
        );
        assert_eq!(config.find_links("install").unwrap(), ["/w/a", "/w/b"]);
        assert_eq!(
            config.get("install", "constraint").unwrap(),
            "/c/constraints.txt"
        );
    }

    #[test]
    fn keys_are_case_insensitive() {
        let config = PipConfig::parse(Path::new("p"), "[wheel]\nFind-Links = /a\n").unwrap();
        assert_eq!(config.find_links("wheel").unwrap(), ["/a"]);
    }

    #[test]
    fn err_no_find_links() {
        let config = PipConfig::parse(Path::new("pip.conf"), "[global]\nx = 1\n").unwrap();
        let err = config.find_links("wheel").unwrap_err();
        insta::assert_snapshot!(err, @"pip config `pip.conf` has no `find-links` in section `[wheel]`");
    }

    #[test]
    fn err_unreadable() {
        let err = PipConfig::read(Path::new("/nonexistent/pip.conf")).unwrap_err();
        insta::assert_snapshot!(err, @"cannot read pip config `/nonexistent/pip.conf`");
    }

    #[test]
    fn err_not_ini() {
        let err = PipConfig::parse(Path::new("pip.conf"), "[wheel\nfind-links = /a\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cannot parse pip config `pip.conf`"),
            "{err}"
        );
    }
}

/// Property tests (no-panic issue): any `pip.conf` text never panics the parser.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        // 256 cases each (all property tests together < 30 s in debug on 2 cores);
        // `PROPTEST_CASES=10000 cargo test` for a longer local run.
        #![proptest_config(ProptestConfig::with_cases(
            std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256)
        ))]

        #[test]
        fn arbitrary_pip_conf_never_panics(text in any::<String>()) {
            if let Ok(config) = PipConfig::parse(Path::new("pip.conf"), &text) {
                let _ = config.find_links("wheel");
                let _ = config.get("global", "find-links");
            }
        }

        #[test]
        fn near_ini_pip_conf_never_panics(
            text in "((\\[[a-z :]{0,8}\\]?|[a-z-]{0,8} ?[=:] ?[a-z/ é${}]{0,12}|[ \\t#;][^\\n]{0,8})\\n){0,8}"
        ) {
            if let Ok(config) = PipConfig::parse(Path::new("pip.conf"), &text) {
                let _ = config.find_links("wheel");
                let _ = config.find_links("global");
            }
        }
    }

    /// Issue 20 §3: pip's files in pip's order (lowest priority first), the user's left out
    /// when `PIP_CONFIG_FILE` names a file that exists, none at all for `/dev/null`.
    #[test]
    fn config_files_in_pips_order() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().display().to_string();
        let env = |pairs: &[(&str, &str)]| wharf_env::Env::from_pairs(pairs.iter().copied());
        let paths = pip_config_paths(&env(&[("HOME", &home)]), Some(Path::new("/venv")), false);
        assert_eq!(
            paths,
            [
                PathBuf::from("/etc/xdg/pip/pip.conf"),
                PathBuf::from("/etc/pip.conf"),
                dir.path().join(".pip/pip.conf"),
                dir.path().join(".config/pip/pip.conf"),
                PathBuf::from("/venv/pip.conf"),
            ]
        );
        let site = dir.path().join("site.conf");
        std::fs::write(&site, "").unwrap();
        let site_text = site.display().to_string();
        let paths = pip_config_paths(
            &env(&[
                ("HOME", &home),
                ("PIP_CONFIG_FILE", &site_text),
                ("XDG_CONFIG_DIRS", "/a:/b"),
            ]),
            None,
            false,
        );
        assert_eq!(
            paths,
            [
                PathBuf::from("/a/pip/pip.conf"),
                PathBuf::from("/b/pip/pip.conf"),
                PathBuf::from("/etc/pip.conf"),
                site.clone(),
            ]
        );
        assert!(
            pip_config_paths(&env(&[("PIP_CONFIG_FILE", "/dev/null")]), None, false).is_empty()
        );
        assert!(
            !pip_config_paths(
                &env(&[("HOME", &home), ("PIP_ISOLATED_MODE", "1")]),
                None,
                false
            )
            .iter()
            .any(|p| p.starts_with(dir.path()))
        );
    }

    /// A later file's key overrides an earlier one's, and says where it came from.
    #[test]
    fn merged_configs_override_key_by_key() {
        let global = PipConfig::parse(
            Path::new("/etc/pip.conf"),
            "[global]\ncert = /a\n[install]\nfind-links = /g\n",
        )
        .unwrap();
        let user = PipConfig::parse(
            Path::new("/home/u/.config/pip/pip.conf"),
            "[install]\nfind-links = /u1 /u2\n",
        )
        .unwrap();
        let merged = PipConfig::merge(vec![global, user]).unwrap();
        assert_eq!(merged.find_links("install").unwrap(), ["/u1", "/u2"]);
        assert_eq!(merged.get("global", "cert").as_deref(), Some("/a"));
        assert_eq!(merged.origin("global", "cert"), Path::new("/etc/pip.conf"));
        assert_eq!(
            merged.origin("install", "find-links"),
            Path::new("/home/u/.config/pip/pip.conf")
        );
    }
}
