//! PEP 405 `pyvenv.cfg`: the one reader of wharf (discovery, the probe cache, `avail`).
//!
//! The format is `key = value` lines, split at the first `=`, key and value trimmed, as
//! CPython's `site.py` reads it; lines without `=` are ignored. Keys are kept as written and
//! looked up exactly. The version key differs by tool: `version` (`python -m venv`, uv, wharf)
//! or `version_info` (virtualenv: `3.11.7.final.0`); [`PyvenvCfg::version_text`] takes the
//! first of them in file order.
//!
//! The file is read with a size cap ([`PyvenvCfg::MAX_SIZE`]): a `pyvenv.cfg` is a few lines,
//! and a huge or endless file (a FIFO, `/dev/zero` behind a link) must not stall discovery.

use std::path::{Path, PathBuf};

use crate::version::PartialVersion;

/// A parsed `pyvenv.cfg`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PyvenvCfg {
    /// `home`: the directory of the base interpreter. Ex) `/opt/py/bin`
    pub home: Option<PathBuf>,
    /// `version` (venv, uv). Ex) `3.11.7`
    pub version: Option<String>,
    /// `version_info` (virtualenv). Ex) `3.11.7.final.0`
    pub version_info: Option<String>,
    /// `include-system-site-packages`: `true` when the value is `true` (any case).
    pub include_system_site_packages: bool,
    /// `prompt`, as written (venv writes a Python repr, `'demo'`). Ex) `'demo'`
    pub prompt: Option<String>,
    /// `executable` (venv 3.11+): the base interpreter. Ex) `/opt/py/bin/python3.11`
    pub executable: Option<PathBuf>,
    /// Every `key = value` pair, in file order.
    pub values: Vec<(String, String)>,
}

/// Why a `pyvenv.cfg` could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PyvenvCfgError {
    /// The file cannot be opened or read, or is not UTF-8.
    #[error("cannot read `{}`", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The failure.
        #[source]
        source: std::io::Error,
    },
    /// The file is not UTF-8 or holds a NUL (the message names it).
    #[error(transparent)]
    NotText(wharf_fs::ReadError),
    /// The file is larger than [`PyvenvCfg::MAX_SIZE`].
    #[error("`{}` is larger than {} bytes: not a `pyvenv.cfg`", path.display(), PyvenvCfg::MAX_SIZE)]
    TooLarge {
        /// The file.
        path: PathBuf,
    },
}

impl PyvenvCfgError {
    /// The underlying IO error, if that is the cause.
    pub fn io_error(&self) -> Option<&std::io::Error> {
        match self {
            Self::Io { source, .. } => Some(source),
            Self::TooLarge { .. } | Self::NotText(_) => None,
        }
    }
}

impl PyvenvCfg {
    /// The largest file read: 1 MiB.
    pub const MAX_SIZE: u64 = 1 << 20;

    /// Reads and parses the file at `path` (the `pyvenv.cfg` itself, not the venv directory).
    pub fn read(path: &Path) -> Result<Self, PyvenvCfgError> {
        let text =
            wharf_fs::read_text_capped(path, Self::MAX_SIZE).map_err(|error| match error {
                wharf_fs::ReadError::Io { path, source } => PyvenvCfgError::Io { path, source },
                wharf_fs::ReadError::TooLarge { path, .. } => PyvenvCfgError::TooLarge { path },
                not_text @ wharf_fs::ReadError::NotText { .. } => PyvenvCfgError::NotText(not_text),
            })?;
        Ok(Self::parse(&text))
    }

    /// Reads `<venv>/pyvenv.cfg`.
    pub fn read_venv(venv: &Path) -> Result<Self, PyvenvCfgError> {
        Self::read(&venv.join("pyvenv.cfg"))
    }

    /// Parses the text of a `pyvenv.cfg`.
    pub fn parse(text: &str) -> Self {
        let mut cfg = Self::default();
        for line in text.lines() {
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let (key, value) = (key.trim(), value.trim());
            let first = |slot: &mut Option<String>| {
                if slot.is_none() {
                    *slot = Some(value.to_owned());
                }
            };
            match key {
                "home" if cfg.home.is_none() => cfg.home = Some(PathBuf::from(value)),
                "version" => first(&mut cfg.version),
                "version_info" => first(&mut cfg.version_info),
                "prompt" => first(&mut cfg.prompt),
                "executable" if cfg.executable.is_none() => {
                    cfg.executable = Some(PathBuf::from(value));
                }
                "include-system-site-packages" => {
                    cfg.include_system_site_packages = value.eq_ignore_ascii_case("true");
                }
                _ => {}
            }
            cfg.values.push((key.to_owned(), value.to_owned()));
        }
        cfg
    }

    /// The value of `key`, the first if repeated.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, value)| value.as_str())
    }

    /// The first `version` or `version_info` value, in file order. Ex) `3.11.7.final.0`
    pub fn version_text(&self) -> Option<&str> {
        self.values
            .iter()
            .find(|(key, _)| matches!(key.as_str(), "version" | "version_info"))
            .map(|(_, value)| value.as_str())
    }

    /// The numeric head of [`Self::version_text`]. Ex) `3.11.7` for `3.11.7.final.0`
    pub fn python_version(&self) -> Option<PartialVersion> {
        let head: Vec<&str> = self.version_text()?.split('.').take(3).collect();
        head.join(".").parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_venv_and_virtualenv_files() {
        let cfg = PyvenvCfg::parse(
            "home = /opt/py/bin\ninclude-system-site-packages = False\nversion = 3.11.7\nprompt = 'demo'\nexecutable = /opt/py/bin/python3.11\ncommand = /opt/py/bin/python3.11 -m venv /env\n",
        );
        assert_eq!(cfg.home.as_deref(), Some(Path::new("/opt/py/bin")));
        assert!(!cfg.include_system_site_packages);
        assert_eq!(cfg.version.as_deref(), Some("3.11.7"));
        assert_eq!(cfg.prompt.as_deref(), Some("'demo'"));
        assert_eq!(
            cfg.executable.as_deref(),
            Some(Path::new("/opt/py/bin/python3.11"))
        );
        assert_eq!(
            cfg.get("command"),
            Some("/opt/py/bin/python3.11 -m venv /env")
        );
        assert_eq!(cfg.python_version(), Some(PartialVersion::new(3, 11, 7)));

        let cfg = PyvenvCfg::parse(
            "home=/usr/bin\nimplementation = CPython\nversion_info = 3.12.4.final.0\ninclude-system-site-packages = true\nvirtualenv = 20.26.0\nno equals sign here\n",
        );
        assert!(cfg.include_system_site_packages);
        assert_eq!(cfg.version_text(), Some("3.12.4.final.0"));
        assert_eq!(cfg.python_version(), Some(PartialVersion::new(3, 12, 4)));
        assert_eq!(cfg.values.len(), 5);
    }

    #[test]
    fn first_version_key_wins() {
        let cfg = PyvenvCfg::parse("version_info = 3.12.4.final.0\nversion = 3.11.2\n");
        assert_eq!(cfg.version_text(), Some("3.12.4.final.0"));
    }

    #[test]
    fn err_missing_file() {
        let error = PyvenvCfg::read(Path::new("/no/such/pyvenv.cfg")).unwrap_err();
        insta::assert_snapshot!(error, @"cannot read `/no/such/pyvenv.cfg`");
        assert_eq!(
            error.io_error().unwrap().kind(),
            std::io::ErrorKind::NotFound
        );
    }

    #[test]
    fn err_too_large() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pyvenv.cfg");
        let mut text = "version = 3.11.7\n".to_owned();
        text.push_str(&"# padding\n".repeat(120_000));
        fs_err::write(&path, text).unwrap();
        let error = PyvenvCfg::read(&path).unwrap_err();
        assert!(matches!(error, PyvenvCfgError::TooLarge { .. }), "{error}");
    }
}

/// Property tests (no-panic issue): any `pyvenv.cfg` text never panics the parser.
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
        fn arbitrary_pyvenv_cfg_never_panics(text in any::<String>()) {
            let cfg = PyvenvCfg::parse(&text);
            let _ = cfg.python_version();
        }

        #[test]
        fn near_grammar_pyvenv_cfg_never_panics(
            text in "((home|version|version_info|include-system-site-packages|[a-z_]{0,6}) ?= ?[0-9a-z./é ]{0,12}\\r?\\n){0,6}"
        ) {
            let cfg = PyvenvCfg::parse(&text);
            let _ = cfg.python_version();
            let _ = cfg.version_text();
        }
    }
}
