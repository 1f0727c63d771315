//! Python versions installed as modules, found from `PYTHON_DIRS`.

use std::fmt;
use std::str::FromStr;

/// A `major.minor` Python version. Ex) `3.11`. Parses `3.11` and `3.11.5` (the patch is
/// dropped); orders numerically (`3.9` < `3.10`).
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

/// The Python versions installed under the module trees: for each colon-separated glob
/// in `python_dirs`, every matching directory's children named like `3.11.5` (or `3.11`)
/// give a `major.minor`. Sorted, deduplicated. Unreadable directories are skipped.
pub fn available_pythons(python_dirs: &str) -> Vec<PythonVersion> {
    let mut versions = Vec::new();
    for pattern in python_dirs.split(':').filter(|p| !p.is_empty()) {
        let Ok(paths) = glob::glob(pattern) else {
            continue;
        };
        for dir in paths.filter_map(Result::ok) {
            let Ok(listing) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in listing.filter_map(Result::ok) {
                let name = entry.file_name();
                let name = name.to_string_lossy();
                if is_version_dir(&name)
                    && let Ok(version) = name.parse::<PythonVersion>()
                {
                    versions.push(version);
                }
            }
        }
    }
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
    fn err_not_a_version() {
        insta::assert_snapshot!("three".parse::<PythonVersion>().unwrap_err(), @"`three` is not a Python version (expected MAJOR.MINOR, e.g. 3.11)");
    }
}
