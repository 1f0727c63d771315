//! Python versions installed as modules, found from `PYTHON_DIRS`: the one module-tree scanner
//! of wharf (`avail` lists its versions, `wharf-python` discovery its interpreters).

use std::cmp::Reverse;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// A `major.minor` Python version. Ex) `3.11`. Parses `3.11` and `3.11.5` (the patch is
/// dropped); orders numerically (`3.9` < `3.10`).
///
/// The one `major.minor` type of wharf: module names (`python/3.11`), `cp311` tags and
/// `wharf-python`'s partial versions convert to and from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PythonVersion {
    /// Major version. Ex) `3`
    pub major: u8,
    /// Minor version. Ex) `11`
    pub minor: u8,
}

impl FromStr for PythonVersion {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let mut parts = s.trim().split('.');
        let parse = |p: Option<&str>| p.and_then(|p| p.parse::<u8>().ok());
        match (parse(parts.next()), parse(parts.next())) {
            (Some(major), Some(minor)) => Ok(Self { major, minor }),
            _ => Err(format!(
                "`{s}` is not a Python version (expected MAJOR.MINOR, e.g. 3.11)"
            )),
        }
    }
}

impl fmt::Display for PythonVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl PythonVersion {
    /// As a tuple. Ex) `(3, 11)`
    pub fn tuple(self) -> (u8, u8) {
        (self.major, self.minor)
    }
}

/// One interpreter installation in a module tree: a child named like `3.11.5` of a directory
/// matched by a `PYTHON_DIRS` glob.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModulePython {
    /// The installation prefix. Ex) `/cvmfs/…/Core/python/3.11.5`
    pub prefix: PathBuf,
    /// `major.minor` from the directory name. Ex) `3.11`
    pub version: PythonVersion,
    /// The patch from the directory name, when that part is all digits. Ex) `5` in `3.11.5`;
    /// `None` for `3.11` or `3.11.5-debug`.
    pub patch: Option<u16>,
}

impl ModulePython {
    /// The interpreter the module installs. Ex) `…/3.11.5/bin/python3.11` (it may be missing:
    /// the scanner reads directory names only).
    pub fn executable(&self) -> PathBuf {
        self.prefix.join("bin").join(format!(
            "python{}.{}",
            self.version.major, self.version.minor
        ))
    }
}

/// Every installation under the module trees: for each glob (in the order given), each
/// matching directory (in `glob` order), its children named like `3.11.5` (or `3.11`), newest
/// first within a directory. Bad globs and unreadable directories are skipped; nothing is run
/// and executables are not checked.
pub fn scan_module_trees<'a>(globs: impl IntoIterator<Item = &'a str>) -> Vec<ModulePython> {
    let mut found = Vec::new();
    for pattern in globs.into_iter().filter(|p| !p.is_empty()) {
        let Ok(paths) = glob::glob(pattern) else {
            continue;
        };
        for dir in paths.filter_map(Result::ok) {
            found.extend(scan_module_tree(&dir));
        }
    }
    found
}

/// The directories the `PYTHON_DIRS` globs match that are a Python installation themselves
/// (they hold `bin/python3`) rather than the directory above the installations: `PYTHON_DIRS`
/// names the parent of the version directories, as EasyBuild lays them out
/// (`…/python/3.11.5/bin/python3.11` ▸ `PYTHON_DIRS=…/python`). Such an entry finds no
/// interpreter; each is returned with the directory it should have named (its parent).
pub fn misplaced_python_dirs<'a>(
    globs: impl IntoIterator<Item = &'a str>,
) -> Vec<(PathBuf, PathBuf)> {
    let mut found = Vec::new();
    for pattern in globs.into_iter().filter(|p| !p.is_empty()) {
        let Ok(paths) = glob::glob(pattern) else {
            continue;
        };
        for dir in paths.filter_map(Result::ok) {
            if dir.join("bin").join("python3").exists()
                && let Some(parent) = dir.parent()
            {
                found.push((dir.clone(), parent.to_path_buf()));
            }
        }
    }
    found
}

/// The installations directly under one module tree directory, newest first.
fn scan_module_tree(dir: &Path) -> Vec<ModulePython> {
    let Ok(listing) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<(String, ModulePython)> = listing
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !is_version_dir(&name) {
                return None;
            }
            let version = name.parse::<PythonVersion>().ok()?;
            let patch = name
                .splitn(3, '.')
                .nth(2)
                .filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|p| p.parse().ok());
            let python = ModulePython {
                prefix: entry.path(),
                version,
                patch,
            };
            Some((name, python))
        })
        .collect();
    found.sort_by(|(a_name, a), (b_name, b)| {
        (Reverse((a.version, a.patch)), a_name).cmp(&(Reverse((b.version, b.patch)), b_name))
    });
    found.into_iter().map(|(_, python)| python).collect()
}

/// The Python versions installed under the module trees: for each colon-separated glob
/// in `python_dirs`, every matching directory's children named like `3.11.5` (or `3.11`)
/// give a `major.minor`. Sorted, deduplicated. Unreadable directories are skipped.
pub fn available_pythons(python_dirs: &str) -> Vec<PythonVersion> {
    let mut versions: Vec<PythonVersion> = scan_module_trees(python_dirs.split(':'))
        .into_iter()
        .map(|python| python.version)
        .collect();
    versions.sort();
    versions.dedup();
    versions
}

/// `3.11`, `3.11.5`: digits, a dot, digits, optionally a dot and digits, then anything.
fn is_version_dir(name: &str) -> bool {
    let mut parts = name.splitn(3, '.');
    let digits =
        |p: Option<&str>| p.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    digits(parts.next()) && digits(parts.next())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_directory_in_python_dirs_is_named_with_its_parent() {
        let root = tempfile::tempdir().unwrap();
        let install = root.path().join("python/3.11.5");
        std::fs::create_dir_all(install.join("bin")).unwrap();
        std::fs::write(install.join("bin/python3"), "").unwrap();
        let tree = root.path().join("python");
        let version_dir = install.display().to_string();
        assert_eq!(
            misplaced_python_dirs([version_dir.as_str()]),
            [(install.clone(), tree.clone())]
        );
        assert!(misplaced_python_dirs([tree.display().to_string().as_str()]).is_empty());
        assert!(scan_module_trees([version_dir.as_str()]).is_empty());
    }

    #[test]
    fn finds_versions_under_globs() {
        let root = tempfile::tempdir().unwrap();
        for d in [
            "a/python/3.10.13",
            "a/python/3.9.6",
            "b/python/3.11.5",
            "b/python/3.11.4",
            "b/python/notes",
        ] {
            std::fs::create_dir_all(root.path().join(d)).unwrap();
        }
        let dirs = format!("{0}/a/python:{0}/*/python", root.path().display());
        let found: Vec<String> = available_pythons(&dirs)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(found, ["3.9", "3.10", "3.11"]);
    }

    #[test]
    fn scans_installations_newest_first_per_tree() {
        let root = tempfile::tempdir().unwrap();
        for d in [
            "a/python/3.10.13",
            "a/python/3.9.6",
            "b/python/3.11.4",
            "b/python/3.11.5",
            "b/python/3.11.5-debug",
            "b/python/notes",
        ] {
            std::fs::create_dir_all(root.path().join(d)).unwrap();
        }
        let a = format!("{}/a/python", root.path().display());
        let b = format!("{}/b/python", root.path().display());
        let found: Vec<String> = scan_module_trees([b.as_str(), "", a.as_str()])
            .iter()
            .map(|p| {
                format!(
                    "{} {:?} {}",
                    p.version,
                    p.patch,
                    p.executable().strip_prefix(root.path()).unwrap().display()
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                "3.11 Some(5) b/python/3.11.5/bin/python3.11",
                "3.11 Some(4) b/python/3.11.4/bin/python3.11",
                "3.11 None b/python/3.11.5-debug/bin/python3.11",
                "3.10 Some(13) a/python/3.10.13/bin/python3.10",
                "3.9 Some(6) a/python/3.9.6/bin/python3.9",
            ]
        );
    }

    #[test]
    fn err_not_a_version() {
        insta::assert_snapshot!("three".parse::<PythonVersion>().unwrap_err(), @"`three` is not a Python version (expected MAJOR.MINOR, e.g. 3.11)");
    }
}
