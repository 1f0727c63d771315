//! pip's INI configuration file, as the site's `StdEnv` module writes it.
//!
//! Source: pip's "Configuration" documentation (config file format; `find-links` as a
//! space-separated list; per-command sections `[install]`, `[wheel]`, `[download]`
//! overriding `[global]`). Real examples: `pip-x86-64-v3-gentoo2023.conf` on CVMFS.

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
        })
    }

    /// The file this config was read from.
    pub fn path(&self) -> &Path {
        &self.path
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
                path: self.path.clone(),
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
}
