//! Ordered wheel directories ("find-links") and the arch each one stands for.

use std::path::{Path, PathBuf};

use crate::catalogue::ScanWarning;

/// Where a find-links directory was configured, for messages that say where wharf looked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FindLinkOrigin {
    /// Ex) `-f ~/wheels` on the command line.
    CommandLine,
    /// Ex) `PIP_FIND_LINKS="/a /b"`.
    Environment,
    /// Ex) `find-links = …` in the `[install]` section of `$PIP_CONFIG_FILE`.
    PipConfig {
        /// The config file.
        path: PathBuf,
        /// Its section (`install`, `global`).
        section: String,
    },
    /// Ex) a `--find-links DIR` line of a requirements file.
    RequirementsFile,
}

impl std::fmt::Display for FindLinkOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::CommandLine => f.write_str("`-f` on the command line"),
            Self::Environment => f.write_str("PIP_FIND_LINKS"),
            Self::PipConfig { path, section } => {
                write!(f, "[{section}] find-links in `{}`", path.display())
            }
            Self::RequirementsFile => f.write_str("a requirements file's `--find-links`"),
        }
    }
}

/// One wheel directory and its arch label: the directory's basename
/// (`…/gentoo2023/x86-64-v3` → `x86-64-v3`, `…/generic` → `generic`), as `avail_wheels`
/// labels it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FindLink {
    /// The directory.
    pub path: PathBuf,
    /// Its arch label.
    pub arch: String,
    /// Where it was configured (`None`: not recorded, ex) a walk of the wheelhouse).
    pub origin: Option<FindLinkOrigin>,
}

impl FindLink {
    /// A find-links entry for `path`, labelled with its basename.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let arch = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Self {
            path,
            arch,
            origin: None,
        }
    }

    /// A find-links entry for `path` configured by `origin`.
    pub fn with_origin(path: impl Into<PathBuf>, origin: FindLinkOrigin) -> Self {
        Self {
            origin: Some(origin),
            ..Self::new(path)
        }
    }
}

/// The names among `names` close to `wanted` (a likely typo: Jaro-Winkler similarity above
/// 0.85), sorted, at most five: `numpi` ▸ `numpy`.
pub fn similar_names<'a>(wanted: &str, names: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut names: Vec<&str> = names.into_iter().collect();
    names.sort_unstable();
    names.dedup();
    names
        .into_iter()
        .filter(|name| strsim::jaro_winkler(name, wanted) > 0.85)
        .take(5)
        .collect()
}

/// Wheel directories in priority order (index 0 is searched first and wins ties).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FindLinks(pub Vec<FindLink>);

impl FindLinks {
    /// From a list of paths (a pip config `find-links` line, `-f` options), order kept.
    pub fn from_paths<I, P>(paths: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: Into<PathBuf>,
    {
        Self(paths.into_iter().map(FindLink::new).collect())
    }

    /// Every directory exactly two levels below `wheelhouse` (`generic/…`,
    /// `gentoo2023/x86-64-v3`, …), sorted by path for a stable order. Unreadable
    /// directories are reported in `warnings` and skipped.
    pub fn walk_wheelhouse(wheelhouse: &Path, warnings: &mut Vec<ScanWarning>) -> Self {
        let mut found = Vec::new();
        for level1 in sorted_subdirs(wheelhouse, warnings) {
            found.extend(sorted_subdirs(&level1, warnings));
        }
        Self::from_paths(found)
    }

    /// Keeps the directories whose path ends with one of `archs` (string suffix, as
    /// `avail_wheels --arch` does: `generic` keeps both `gentoo2023/generic` and
    /// `generic`), grouped by the order of `archs`.
    pub fn filter_archs(&self, archs: &[String]) -> Self {
        Self(
            archs
                .iter()
                .flat_map(|arch| {
                    self.0
                        .iter()
                        .filter(move |link| link.path.to_string_lossy().ends_with(arch.as_str()))
                        .cloned()
                })
                .collect(),
        )
    }

    /// The directories, in order.
    pub fn iter(&self) -> impl Iterator<Item = &FindLink> {
        self.0.iter()
    }

    /// Number of directories.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is no directory.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn sorted_subdirs(dir: &Path, warnings: &mut Vec<ScanWarning>) -> Vec<PathBuf> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(source) => {
            warnings.push(ScanWarning::UnreadableDirectory {
                path: dir.to_path_buf(),
                source,
            });
            return Vec::new();
        }
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|entry| {
            entry.file_type().is_ok_and(|t| {
                t.is_dir() || (t.is_symlink() && entry.path().metadata().is_ok_and(|m| m.is_dir()))
            })
        })
        .map(|entry| entry.path())
        .collect();
    dirs.sort();
    dirs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similar_names_find_typos() {
        let names = ["numpy", "scipy", "pandas", "numpy", "numba"];
        assert_eq!(similar_names("numpi", names), ["numpy"]);
        assert!(similar_names("tensorflow", names).is_empty());
    }

    #[test]
    fn origins_read_as_configured() {
        let config = FindLinkOrigin::PipConfig {
            path: "/site/pip.conf".into(),
            section: "install".into(),
        };
        assert_eq!(
            config.to_string(),
            "[install] find-links in `/site/pip.conf`"
        );
        assert_eq!(
            FindLinkOrigin::CommandLine.to_string(),
            "`-f` on the command line"
        );
        assert_eq!(FindLinkOrigin::Environment.to_string(), "PIP_FIND_LINKS");
    }

    #[test]
    fn arch_is_basename() {
        let links = FindLinks::from_paths(["/w/gentoo2023/x86-64-v3", "/w/generic"]);
        assert_eq!(links.0[0].arch, "x86-64-v3");
        assert_eq!(links.0[1].arch, "generic");
    }

    #[test]
    fn filter_archs_by_suffix_in_arch_order() {
        let links = FindLinks::from_paths(["/w/g/x86-64-v3", "/w/g/generic", "/w/generic"]);
        let kept = links.filter_archs(&["generic".into(), "x86-64-v3".into()]);
        let paths: Vec<_> = kept
            .iter()
            .map(|l| l.path.to_string_lossy().into_owned())
            .collect();
        assert_eq!(paths, ["/w/g/generic", "/w/generic", "/w/g/x86-64-v3"]);
    }

    #[test]
    fn walk_takes_second_level_only() {
        let root = tempfile::tempdir().unwrap();
        for d in [
            "generic/generic",
            "gentoo2023/x86-64-v3",
            "gentoo2023/generic",
            "nix/avx2/deeper",
        ] {
            std::fs::create_dir_all(root.path().join(d)).unwrap();
        }
        std::fs::write(root.path().join("generic/a-1.0-py3-none-any.whl"), "").unwrap();
        let mut warnings = Vec::new();
        let links = FindLinks::walk_wheelhouse(root.path(), &mut warnings);
        let rel: Vec<_> = links
            .iter()
            .map(|l| {
                l.path
                    .strip_prefix(root.path())
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(
            rel,
            [
                "generic/generic",
                "gentoo2023/generic",
                "gentoo2023/x86-64-v3",
                "nix/avx2"
            ]
        );
        assert!(warnings.is_empty());
    }

    #[test]
    fn walk_reports_missing_wheelhouse() {
        let mut warnings = Vec::new();
        let links = FindLinks::walk_wheelhouse(Path::new("/nonexistent/wh"), &mut warnings);
        assert!(links.is_empty());
        assert_eq!(warnings.len(), 1);
    }
}
