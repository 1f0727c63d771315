//! Installed distributions: listing a site-packages directory, uninstalling, `pip freeze`.
//!
//! Implements the reading side of [recording installed projects] (`.dist-info` directories
//! with `METADATA`, `RECORD`, `INSTALLER`, `REQUESTED`, PEP 610 `direct_url.json`), and lists
//! legacy [`.egg-info`] distributions as `pip list` and `importlib.metadata` do: a directory
//! `foo-1.0-py3.11.egg-info/` with `PKG-INFO` (core metadata) and `requires.txt`, or a single
//! file `foo-1.0-py3.11.egg-info` holding the `PKG-INFO` text (distutils). `.egg-info`
//! distributions have no `RECORD` (so wharf cannot uninstall them); `.egg-link` editables
//! are not listed.
//!
//! Trap: `requires.txt` has no markers on its lines; its `[extra]`, `[:marker]` and
//! `[extra:marker]` sections apply to the lines below them. They are converted to PEP 508
//! strings the way `importlib.metadata` does: `bar>=1; extra == "test"`,
//! `baz; (python_version < "3.8") and extra == "test"`, a space before the `;` of a URL
//! requirement. Comment lines are skipped (as pip does).
//!
//! [recording installed projects]: https://packaging.python.org/en/latest/specifications/recording-installed-packages/
//! [`.egg-info`]: https://setuptools.pypa.io/en/latest/deprecated/python_eggs.html

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use pep508_rs::PackageName;
use rayon::prelude::*;
use wharf_metadata::Headers;

use crate::record::{self, RecordEntry};

/// The PEP 503 normalized form of project name `name` ([`PackageName`]), ex) `Foo.Bar__baz`
/// → `foo-bar-baz`. A name that is not a valid project name (a hand-written `METADATA`) is
/// not normalized but lowercased, so that it still equals itself.
pub(crate) fn normalized_name(name: &str) -> String {
    PackageName::from_str(name).map_or_else(|_| name.to_lowercase(), |name| name.to_string())
}

/// The project of a `.dist-info` or `.egg-info` name without its suffix, normalized, ex)
/// `Foo_Bar-1.0-py3.11` → `foo-bar`.
fn project_of_stem(stem: &str) -> String {
    normalized_name(stem.split_once('-').map_or(stem, |(name, _)| name))
}

/// The dependencies of an `.egg-info` `requires.txt` as PEP 508 strings, converted the way
/// `importlib.metadata` converts them (`Distribution._convert_egg_info_reqs_to_simple_reqs`):
/// lines of an `[extra]` section get `; extra == "extra"`, of a `[:marker]` section
/// `; marker`, of an `[extra:marker]` section `; (marker) and extra == "extra"`; a URL
/// requirement (with `@`) gets a space before the `;`. Empty and comment lines are skipped.
pub(crate) fn requires_from_requires_txt(text: &str) -> Vec<String> {
    let mut requires = Vec::new();
    let mut section: Option<&str> = None;
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with('[') && line.ends_with(']') {
            section = Some(line.trim_matches(|character| character == '[' || character == ']'));
            continue;
        }
        let (extra, markers) = section
            .unwrap_or("")
            .split_once(':')
            .unwrap_or((section.unwrap_or(""), ""));
        let markers = if !extra.is_empty() && !markers.is_empty() {
            format!("({markers})")
        } else {
            markers.to_string()
        };
        let extra = (!extra.is_empty()).then(|| format!("extra == \"{extra}\""));
        let conditions: Vec<&str> = [Some(markers.as_str()), extra.as_deref()]
            .into_iter()
            .flatten()
            .filter(|condition| !condition.is_empty())
            .collect();
        let space = if line.contains('@') { " " } else { "" };
        if conditions.is_empty() {
            requires.push(line.to_string());
        } else {
            requires.push(format!("{line}{space}; {}", conditions.join(" and ")));
        }
    }
    requires
}

/// The installer an `INSTALLER` file names: its first line that is not blank, trimmed, as
/// pip's `installer` reads it (`None` for a file of blank lines).
fn first_line(text: &str) -> Option<String> {
    text.lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .map(str::to_string)
}

/// An error while reading an installed distribution.
#[derive(Debug, thiserror::Error)]
pub enum InstalledError {
    /// A file could not be read (the message names it).
    #[error(transparent)]
    Io(#[from] io::Error),
    /// `METADATA`, `PKG-INFO`, `requires.txt` or `RECORD` could not be read or is larger than
    /// 16 MiB (the message names it).
    #[error(transparent)]
    Read(#[from] wharf_fs::ReadError),
    /// The `.dist-info` directory has no `METADATA`.
    #[error("`{dist_info}` has no `METADATA`")]
    MissingMetadata {
        /// The `.dist-info` directory.
        dist_info: PathBuf,
    },
    /// `METADATA` has no `Version`.
    #[error("`{dist_info}/METADATA` has no `Version`")]
    MissingVersion {
        /// The `.dist-info` directory.
        dist_info: PathBuf,
    },
    /// The distribution has no `RECORD`, so its files are unknown and it cannot be
    /// uninstalled (pip refuses too; reinstalling it over itself repairs it).
    #[error("cannot uninstall `{dist_info}`: it has no `RECORD` file, so its files are unknown")]
    MissingRecord {
        /// The `.dist-info` directory.
        dist_info: PathBuf,
    },
    /// An `.egg-info` distribution without `PKG-INFO`, or whose `PKG-INFO` has no `Version`.
    #[error("`{egg_info}` is not a readable `.egg-info`: {reason}")]
    InvalidEggInfo {
        /// The `.egg-info` directory or file.
        egg_info: PathBuf,
        /// What is missing, ex) "no `PKG-INFO`".
        reason: &'static str,
    },
    /// `RECORD` is not valid CSV.
    #[error("invalid `RECORD` in `{dist_info}`")]
    Record {
        /// The `.dist-info` directory.
        dist_info: PathBuf,
        /// The CSV error.
        #[source]
        source: csv::Error,
    },
}

/// A distribution installed in a site-packages directory (a `.dist-info` directory, or a
/// legacy `.egg-info` directory or file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledDist {
    /// `Name` from `METADATA` (`PKG-INFO` of an `.egg-info`), spelled as there (pip's
    /// `raw_name`), ex) `MarkupSafe`; the directory name's project part when it has none.
    pub name: String,
    /// `Version` from `METADATA`, as written, ex) `1.26.4+computecanada`.
    pub version: String,
    /// The `.dist-info` directory, or the `.egg-info` directory or file.
    pub path: PathBuf,
    /// Whether `REQUESTED` exists (the user asked for it, it is not only a dependency).
    pub requested: bool,
    /// The first line of `INSTALLER` that is not blank, trimmed, ex) `pip`, `uv`, `wharf`.
    pub installer: Option<String>,
    /// Every `Requires-Dist` of `METADATA` (PEP 508 strings, unparsed); for an `.egg-info`
    /// without them, the lines of `requires.txt` converted to such strings.
    pub requires_dist: Vec<String>,
    /// `Requires-Python` of `METADATA`.
    pub requires_python: Option<String>,
}

/// Reads a metadata file of an installed distribution, at most 16 MiB
/// ([`wharf_fs::DEFAULT_TEXT_CAP`]): a `METADATA` or `RECORD` replaced by a device or a huge
/// file is an error, not an endless read. Decoding stays lossy, as pip's `email` parser is.
fn read_capped(path: &Path) -> Result<Vec<u8>, wharf_fs::ReadError> {
    wharf_fs::read_capped(path, wharf_fs::DEFAULT_TEXT_CAP)
}

fn is_kind(error: &wharf_fs::ReadError, kinds: &[io::ErrorKind]) -> bool {
    error
        .io_error()
        .is_some_and(|error| kinds.contains(&error.kind()))
}

impl InstalledDist {
    /// Reads the `.dist-info` directory `dist_info` (`METADATA` headers, `INSTALLER`, whether
    /// `REQUESTED` exists), or an `.egg-info` directory (`PKG-INFO`, `requires.txt`) or file
    /// (see the module docs).
    ///
    /// Errors: [`InstalledError::MissingMetadata`], [`InstalledError::MissingVersion`],
    /// [`InstalledError::InvalidEggInfo`], and [`InstalledError::Io`] when a file exists but
    /// cannot be read.
    pub fn read(dist_info: &Path) -> Result<Self, InstalledError> {
        if dist_info
            .file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| name.ends_with(".egg-info"))
        {
            return Self::read_egg_info(dist_info);
        }
        let metadata = match read_capped(&dist_info.join("METADATA")) {
            Ok(bytes) => bytes,
            Err(error) if is_kind(&error, &[io::ErrorKind::NotFound]) => {
                return Err(InstalledError::MissingMetadata {
                    dist_info: dist_info.to_path_buf(),
                });
            }
            Err(error) => return Err(error.into()),
        };
        let headers = Headers::parse(&String::from_utf8_lossy(&metadata));
        let name = match headers.get("Name").filter(|name| !name.is_empty()) {
            Some(name) => name.to_string(),
            None => dist_info
                .file_name()
                .and_then(|name| name.to_str())
                .and_then(|name| name.strip_suffix(".dist-info"))
                .map(project_of_stem)
                .unwrap_or_default(),
        };
        let version = headers
            .get("Version")
            .filter(|version| !version.is_empty())
            .ok_or_else(|| InstalledError::MissingVersion {
                dist_info: dist_info.to_path_buf(),
            })?
            .to_string();
        let installer = match std::fs::read_to_string(dist_info.join("INSTALLER")) {
            Ok(text) => first_line(&text),
            Err(_) => None,
        };
        Ok(Self {
            name,
            version,
            path: dist_info.to_path_buf(),
            requested: dist_info.join("REQUESTED").exists(),
            installer,
            requires_dist: headers.get_all("Requires-Dist"),
            requires_python: headers.get("Requires-Python").map(str::to_string),
        })
    }

    /// Reads an `.egg-info` directory (`PKG-INFO`, `requires.txt`, `INSTALLER`) or file (the
    /// `PKG-INFO` text itself).
    fn read_egg_info(egg_info: &Path) -> Result<Self, InstalledError> {
        let invalid = |reason| InstalledError::InvalidEggInfo {
            egg_info: egg_info.to_path_buf(),
            reason,
        };
        let is_directory = fs_err::metadata(egg_info)?.is_dir();
        let pkg_info = if is_directory {
            egg_info.join("PKG-INFO")
        } else {
            egg_info.to_path_buf()
        };
        let metadata = match read_capped(&pkg_info) {
            Ok(bytes) => bytes,
            Err(error) if is_kind(&error, &[io::ErrorKind::NotFound]) => {
                return Err(invalid("no `PKG-INFO`"));
            }
            Err(error) => return Err(error.into()),
        };
        let headers = Headers::parse(&String::from_utf8_lossy(&metadata));
        let name = match headers.get("Name").filter(|name| !name.is_empty()) {
            Some(name) => name.to_string(),
            None => egg_info
                .file_name()
                .and_then(|name| name.to_str())
                .and_then(|name| name.strip_suffix(".egg-info"))
                .map(project_of_stem)
                .unwrap_or_default(),
        };
        let version = headers
            .get("Version")
            .filter(|version| !version.is_empty())
            .ok_or_else(|| invalid("`PKG-INFO` has no `Version`"))?
            .to_string();
        let mut requires_dist = headers.get_all("Requires-Dist");
        let mut installer = None;
        if is_directory {
            if requires_dist.is_empty() {
                match read_capped(&egg_info.join("requires.txt")) {
                    Ok(bytes) => {
                        requires_dist =
                            requires_from_requires_txt(&String::from_utf8_lossy(&bytes));
                    }
                    Err(error) if is_kind(&error, &[io::ErrorKind::NotFound]) => {}
                    Err(error) => return Err(error.into()),
                }
            }
            installer = match std::fs::read_to_string(egg_info.join("INSTALLER")) {
                Ok(text) => first_line(&text),
                Err(_) => None,
            };
        }
        Ok(Self {
            name,
            version,
            path: egg_info.to_path_buf(),
            requested: is_directory && egg_info.join("REQUESTED").exists(),
            installer,
            requires_dist,
            requires_python: headers.get("Requires-Python").map(str::to_string),
        })
    }

    /// The project directory of an editable install (PEP 610 `direct_url.json` with
    /// `dir_info.editable`), as pip's `editable_project_location`, ex) `/home/u/proj`.
    pub fn editable_project_location(&self) -> Option<String> {
        match direct_url(&self.path) {
            Some(DirectUrl::Editable { location }) => Some(location),
            _ => None,
        }
    }

    /// The PEP 503 normalized name ([`PackageName`]), ex) `markupsafe`; an invalid name
    /// lowercased.
    pub fn normalized_name(&self) -> String {
        normalized_name(&self.name)
    }

    /// The directory that holds the `.dist-info` directory (`RECORD` paths are relative
    /// to it).
    pub fn site_packages(&self) -> &Path {
        self.path.parent().unwrap_or(&self.path)
    }

    /// The rows of `RECORD`.
    ///
    /// Errors: [`InstalledError::MissingRecord`], [`InstalledError::Record`] (invalid CSV),
    /// [`InstalledError::Io`].
    pub fn record(&self) -> Result<Vec<RecordEntry>, InstalledError> {
        let path = self.path.join("RECORD");
        let bytes = match read_capped(&path) {
            Ok(bytes) => bytes,
            // An `.egg-info` file is no directory: it has no `RECORD` either.
            Err(error)
                if is_kind(
                    &error,
                    &[io::ErrorKind::NotFound, io::ErrorKind::NotADirectory],
                ) =>
            {
                return Err(InstalledError::MissingRecord {
                    dist_info: self.path.clone(),
                });
            }
            Err(error) => return Err(error.into()),
        };
        record::parse_record(&bytes).map_err(|source| InstalledError::Record {
            dist_info: self.path.clone(),
            source,
        })
    }

    /// The absolute, lexically normalized paths of the files listed in `RECORD`
    /// (`../../../bin/x` resolved against [`Self::site_packages`]). Same errors as
    /// [`Self::record`].
    pub fn files(&self) -> Result<Vec<PathBuf>, InstalledError> {
        let site_packages = self.site_packages();
        Ok(self
            .record()?
            .into_iter()
            .map(|entry| record::normalize_path(&site_packages.join(entry.path)))
            .collect())
    }
}

/// The order in which [`SitePackages::scan_ordered`] takes the distributions of each directory:
/// the order pip iterates them in (its `check` prints its problems in that order), and so which
/// of two distributions of one project in one directory is kept (the first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScanOrder {
    /// By `.dist-info`/`.egg-info` name, as `pkg_resources` sorts them (`find_on_path`): pip's
    /// order on Python < 3.11, and wharf's own (stable from run to run).
    #[default]
    Sorted,
    /// As `importlib.metadata` (Python 3.11 to 3.13, its `Lookup`) finds them: the directory's
    /// listing order (`readdir`, as `os.listdir`), grouped by the project part of the name
    /// (`Foo_Bar-1.0.dist-info` → `foo_bar`, lower case, `-_.` runs as `_`), each group where its
    /// first entry is: pip's order on Python ≥ 3.11. It depends on the file system (on ext4 a
    /// hash order, on tmpfs the reverse of creation), so it is pip's order only for the same
    /// directory, not a stable one.
    Importlib,
}

/// The key `importlib.metadata`'s `Lookup` groups an entry `name` of a directory by: the part
/// before the first `-` of the name without its last extension, lower case, runs of `-`, `_`
/// and `.` as one `_` (`Prepared.normalize`), ex) `Foo.Bar-1.0.dist-info` → `foo_bar`.
fn importlib_group(name: &str) -> String {
    let low = name.to_lowercase();
    let stem = low.rsplit_once('.').map_or("", |(stem, _)| stem);
    let project = stem.split_once('-').map_or(stem, |(project, _)| project);
    let mut key = String::new();
    let mut in_run = false;
    for character in project.chars() {
        if matches!(character, '-' | '_' | '.') {
            if !in_run {
                key.push('_');
            }
            in_run = true;
        } else {
            key.push(character);
            in_run = false;
        }
    }
    key
}

/// `found` (one directory's entries, in its listing order) in `order`.
fn ordered(mut found: Vec<PathBuf>, order: ScanOrder) -> Vec<PathBuf> {
    match order {
        ScanOrder::Sorted => {
            found.sort();
            found
        }
        ScanOrder::Importlib => {
            let mut groups: Vec<(String, Vec<PathBuf>)> = Vec::new();
            for path in found {
                let key = path
                    .file_name()
                    .map(|name| importlib_group(&name.to_string_lossy()))
                    .unwrap_or_default();
                match groups.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, paths)) => paths.push(path),
                    None => groups.push((key, vec![path])),
                }
            }
            groups.into_iter().flat_map(|(_, paths)| paths).collect()
        }
    }
}

/// The distributions found in one or more site-packages directories.
#[derive(Debug, Default)]
pub struct SitePackages {
    /// The readable distributions: directories in the order given, `.dist-info` and
    /// `.egg-info` names in the [`ScanOrder`] within each (sorted by [`SitePackages::scan`]); a
    /// project found twice is kept only the first time (as `importlib.metadata` and pip do).
    pub dists: Vec<InstalledDist>,
    /// The `.dist-info` and `.egg-info` distributions that could not be read (one bad directory does not stop
    /// the listing).
    pub errors: Vec<InstalledError>,
}

impl SitePackages {
    /// Scans `directories` (ex) purelib and platlib) for `*.dist-info` directories and
    /// `*.egg-info` directories and files (as `pip list` does), and reads them in parallel (on the current rayon pool). A directory that does not exist is
    /// skipped.
    ///
    /// Errors: [`InstalledError::Io`] when a directory exists but cannot be listed.
    pub fn scan<P: AsRef<Path>>(
        directories: impl IntoIterator<Item = P>,
    ) -> Result<Self, InstalledError> {
        Self::scan_ordered(directories, ScanOrder::Sorted)
    }

    /// [`SitePackages::scan`] with each directory's distributions in `order` (pip's order of
    /// iteration for the interpreter's `importlib.metadata` or `pkg_resources`).
    ///
    /// Errors: [`InstalledError::Io`] when a directory exists but cannot be listed.
    pub fn scan_ordered<P: AsRef<Path>>(
        directories: impl IntoIterator<Item = P>,
        order: ScanOrder,
    ) -> Result<Self, InstalledError> {
        Self::scan_kept(directories, order, |_| true)
    }

    /// [`SitePackages::scan_ordered`] returning only the distributions (and errors) of the
    /// directories `keep` accepts; the others are read all the same, so that a project found
    /// first in a directory left out hides its later copies, as pip's `--local` filters after
    /// `importlib.metadata` found each project once.
    ///
    /// Errors: [`InstalledError::Io`] when a directory exists but cannot be listed.
    pub fn scan_kept<P: AsRef<Path>>(
        directories: impl IntoIterator<Item = P>,
        order: ScanOrder,
        keep: impl Fn(&Path) -> bool,
    ) -> Result<Self, InstalledError> {
        let mut seen_directories: HashSet<PathBuf> = HashSet::new();
        let mut candidates: Vec<PathBuf> = Vec::new();
        for directory in directories {
            let directory = directory.as_ref();
            if !seen_directories.insert(directory.to_path_buf()) {
                continue;
            }
            let entries = match fs_err::read_dir(directory) {
                Ok(entries) => entries,
                Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
                Err(error) => return Err(error.into()),
            };
            let mut found = Vec::new();
            for entry in entries {
                let entry = entry?;
                let file_name = entry.file_name();
                let Some(name) = file_name.to_str() else {
                    continue;
                };
                if (name.ends_with(".dist-info") && entry.file_type()?.is_dir())
                    || name.ends_with(".egg-info")
                {
                    found.push(entry.path());
                }
            }
            candidates.extend(ordered(found, order));
        }
        let read: Vec<Result<InstalledDist, InstalledError>> = candidates
            .par_iter()
            .map(|path| InstalledDist::read(path))
            .collect();
        let mut site_packages = Self::default();
        let mut names: HashSet<String> = HashSet::new();
        for (path, result) in candidates.iter().zip(read) {
            let kept = keep(path.parent().unwrap_or(path));
            match result {
                Ok(dist) => {
                    if names.insert(dist.normalized_name()) && kept {
                        site_packages.dists.push(dist);
                    }
                }
                Err(error) if kept => site_packages.errors.push(error),
                Err(_) => {}
            }
        }
        Ok(site_packages)
    }

    /// The distribution of project `name` (compared PEP 503 normalized).
    pub fn get(&self, name: &str) -> Option<&InstalledDist> {
        let normalized = normalized_name(name);
        self.dists
            .iter()
            .find(|dist| dist.normalized_name() == normalized)
    }
}

/// What an environment holds, as a plan sees it: each distribution's `.dist-info` (or
/// `.egg-info`) directory name with its project name and version, sorted. Two snapshots are
/// equal when the same distributions at the same versions are installed; a distribution
/// reinstalled in place at the same version does not change it.
///
/// Taken from the distributions a plan was made against ([`InstalledSnapshot::of`]) and again
/// under the environment lock ([`InstalledSnapshot::scan`]): see
/// [`crate::InstallOptions::expected`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstalledSnapshot(Vec<(String, String, String)>);

impl InstalledSnapshot {
    /// The snapshot of `dists` (ex) the result of [`SitePackages::scan`]).
    pub fn of(dists: &[InstalledDist]) -> Self {
        let mut entries: Vec<(String, String, String)> = dists
            .iter()
            .map(|dist| {
                let directory = dist
                    .path
                    .file_name()
                    .map(|name| name.to_string_lossy().into_owned())
                    .unwrap_or_default();
                (directory, dist.name.clone(), dist.version.clone())
            })
            .collect();
        entries.sort();
        Self(entries)
    }

    /// The snapshot of what `directories` (purelib and platlib) hold now, read as
    /// [`SitePackages::scan`] reads them (unreadable distributions are left out, as there).
    ///
    /// Errors: [`InstalledError::Io`] when a directory exists but cannot be listed.
    pub fn scan<P: AsRef<Path>>(
        directories: impl IntoIterator<Item = P>,
    ) -> Result<Self, InstalledError> {
        Ok(Self::of(&SitePackages::scan(directories)?.dists))
    }

    /// What changed from `earlier` to `self`, one line each: `+ name version` (appeared),
    /// `- name version` (went), sorted by name.
    pub fn changes_since(&self, earlier: &Self) -> Vec<String> {
        let mut changes: Vec<(String, String)> = Vec::new();
        for (directory, name, version) in &earlier.0 {
            if !self.0.iter().any(|(d, ..)| d == directory) {
                changes.push((normalized_name(name), format!("- {name} {version}")));
            }
        }
        for (directory, name, version) in &self.0 {
            if !earlier.0.iter().any(|(d, ..)| d == directory) {
                changes.push((normalized_name(name), format!("+ {name} {version}")));
            }
        }
        changes.sort();
        changes.into_iter().map(|(_, line)| line).collect()
    }
}

/// Options of [`freeze`], mirroring `pip freeze`'s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreezeOptions {
    /// `--all`: do not skip pip (and, on Python < 3.12, setuptools, distribute and wheel).
    pub all: bool,
    /// The environment's Python `(major, minor)`: pip 24.2 skips setuptools, distribute and
    /// wheel only below 3.12.
    pub python_version: (u8, u8),
    /// `--exclude NAME`: more projects to skip (compared PEP 503 normalized).
    pub exclude: Vec<String>,
}

/// `pip freeze` (pip 24.2, `operations/freeze.py`) for `dists`: one entry per project, the
/// first distribution of a project winning, sorted by the lowercased `Name`; skipping
/// `python`, `wsgiref` and `argparse` always, `pip` unless `all`, and `setuptools`,
/// `distribute`, `wheel` too on Python < 3.12 unless `all`. Each entry is
/// [`freeze_requirement`]; an editable one spans two lines.
pub fn freeze(dists: &[InstalledDist], options: &FreezeOptions) -> Vec<String> {
    let mut skip: HashSet<String> = ["python", "wsgiref", "argparse"]
        .into_iter()
        .map(str::to_string)
        .collect();
    if !options.all {
        skip.insert("pip".to_string());
        if options.python_version < (3, 12) {
            for name in ["setuptools", "distribute", "wheel"] {
                skip.insert(name.to_string());
            }
        }
    }
    skip.extend(options.exclude.iter().map(|name| normalized_name(name)));
    let mut seen: HashSet<String> = HashSet::new();
    let mut kept: Vec<&InstalledDist> = dists
        .iter()
        .filter(|dist| seen.insert(dist.normalized_name()))
        .collect();
    kept.sort_by_key(|dist| dist.name.to_lowercase());
    kept.into_iter()
        .filter(|dist| !skip.contains(&dist.normalized_name()))
        .map(freeze_requirement)
        .collect()
}

/// The `pip freeze` line of one distribution: `Name==version` with the version in PEP 440
/// normal form (`1.0.0-beta1` → `1.0.0b1`, local version kept), `Name===version` when it is
/// not a valid PEP 440 version, `Name @ url` for a PEP 610 direct URL (archive, directory or
/// VCS), and for an editable install the two lines
/// `# Editable install with no version control (Name==version)` and `-e /path` (pip names
/// the VCS remote when the project is a checkout; that is not done here).
pub fn freeze_requirement(dist: &InstalledDist) -> String {
    let name_version = match pep440_rs::Version::from_str(&dist.version) {
        Ok(version) => format!("{}=={version}", dist.name),
        Err(_) => format!("{}==={}", dist.name, dist.version),
    };
    match direct_url(&dist.path) {
        Some(DirectUrl::Editable { location }) => {
            format!("# Editable install with no version control ({name_version})\n-e {location}")
        }
        Some(DirectUrl::Reference(url)) => format!("{} @ {url}", dist.name),
        None => name_version,
    }
}

/// A PEP 610 `direct_url.json`, as pip's freeze uses it.
enum DirectUrl {
    /// `dir_info.editable` with a `file:` URL: the project directory.
    Editable { location: String },
    /// The direct reference after `Name @ `.
    Reference(String),
}

fn direct_url(dist_info: &Path) -> Option<DirectUrl> {
    let text = std::fs::read_to_string(dist_info.join("direct_url.json")).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    let url = value.get("url")?.as_str()?;
    let infos = ["archive_info", "dir_info", "vcs_info"]
        .iter()
        .filter(|key| value.get(**key).is_some_and(serde_json::Value::is_object))
        .count();
    if infos != 1 {
        return None;
    }
    let mut fragments: Vec<String> = Vec::new();
    let mut reference = url.to_string();
    if let Some(vcs) = value.get("vcs_info") {
        let kind = vcs.get("vcs")?.as_str()?;
        let commit = vcs.get("commit_id")?.as_str()?;
        reference = format!("{kind}+{url}@{commit}");
    } else if let Some(archive) = value.get("archive_info") {
        if let Some(hash) = archive.get("hash").and_then(serde_json::Value::as_str) {
            hash.split_once('=')?;
            fragments.push(hash.to_string());
        }
    } else if let Some(directory) = value.get("dir_info")
        && directory
            .get("editable")
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false)
    {
        let path = url.strip_prefix("file://")?;
        return Some(DirectUrl::Editable {
            location: percent_decode(path.strip_prefix("localhost").unwrap_or(path)),
        });
    }
    if let Some(subdirectory) = value
        .get("subdirectory")
        .and_then(serde_json::Value::as_str)
    {
        fragments.push(format!("subdirectory={subdirectory}"));
    }
    if !fragments.is_empty() {
        reference.push('#');
        reference.push_str(&fragments.join("&"));
    }
    Some(DirectUrl::Reference(reference))
}

/// `%XX` escapes of a URL path decoded (lossy UTF-8), as pip reads `file://` URLs.
fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dist(name: &str, version: &str) -> InstalledDist {
        InstalledDist {
            name: name.to_string(),
            version: version.to_string(),
            path: PathBuf::from(format!("/nonexistent/{name}-{version}.dist-info")),
            requested: false,
            installer: None,
            requires_dist: Vec::new(),
            requires_python: None,
        }
    }

    #[test]
    fn importlib_groups_entries_by_project_in_listing_order() {
        assert_eq!(importlib_group("Foo.Bar-1.0.dist-info"), "foo_bar");
        assert_eq!(importlib_group("foo__bar-2.dist-info"), "foo_bar");
        assert_eq!(importlib_group("six.egg-info"), "six");
        assert_eq!(
            importlib_group("zope.interface-6.0-py3.11.egg-info"),
            "zope_interface"
        );
        let listing: Vec<PathBuf> = [
            "zz-1.0.dist-info",
            "six-1.16.0.dist-info",
            "Foo_Bar-1.0.dist-info",
            "SIX-0.1.dist-info",
            "foo.bar-2.0.dist-info",
            "aa-1.0.dist-info",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        let names = |paths: Vec<PathBuf>| -> Vec<String> {
            paths.iter().map(|p| p.display().to_string()).collect()
        };
        // Each project where its first entry is, its entries in listing order.
        assert_eq!(
            names(ordered(listing.clone(), ScanOrder::Importlib)),
            [
                "zz-1.0.dist-info",
                "six-1.16.0.dist-info",
                "SIX-0.1.dist-info",
                "Foo_Bar-1.0.dist-info",
                "foo.bar-2.0.dist-info",
                "aa-1.0.dist-info",
            ]
        );
        assert_eq!(
            names(ordered(listing, ScanOrder::Sorted)),
            [
                "Foo_Bar-1.0.dist-info",
                "SIX-0.1.dist-info",
                "aa-1.0.dist-info",
                "foo.bar-2.0.dist-info",
                "six-1.16.0.dist-info",
                "zz-1.0.dist-info",
            ]
        );
    }

    #[test]
    fn installer_is_the_first_line_that_is_not_blank() {
        assert_eq!(first_line("\n  pip  \nuv\n").as_deref(), Some("pip"));
        assert_eq!(first_line(" \n\n"), None);
    }

    #[test]
    fn freeze_sorts_skips_and_normalizes_like_pip() {
        let dists = vec![
            dist("six", "1.16.0"),
            dist("MarkupSafe", "2.1.5"),
            dist("pip", "24.2"),
            dist("setuptools", "70.0"),
            dist("numpy", "1.26.4+ComputeCanada"),
            dist("beta", "1.0.0-beta1"),
            dist("legacy", "not a version"),
            dist("Six", "0.1"),
        ];
        let options = FreezeOptions {
            all: false,
            python_version: (3, 11),
            exclude: vec![],
        };
        assert_eq!(
            freeze(&dists, &options),
            [
                "beta==1.0.0b1",
                "legacy===not a version",
                "MarkupSafe==2.1.5",
                "numpy==1.26.4+computecanada",
                "six==1.16.0"
            ]
        );
        let options = FreezeOptions {
            all: false,
            python_version: (3, 12),
            exclude: vec!["Six".into()],
        };
        let lines = freeze(&dists, &options);
        assert!(lines.contains(&"setuptools==70.0".to_string()));
        assert!(!lines.iter().any(|line| line.starts_with("six")));
        assert!(!lines.iter().any(|line| line.starts_with("pip")));
    }

    #[test]
    fn freeze_direct_urls() {
        let root = tempfile::tempdir().unwrap();
        let write = |name: &str, json: &str| {
            let path = root.path().join(format!("{name}-1.0.dist-info"));
            fs_err::create_dir(&path).unwrap();
            fs_err::write(path.join("direct_url.json"), json).unwrap();
            InstalledDist {
                path,
                ..dist(name, "1.0")
            }
        };
        let archive = write(
            "a",
            r#"{"url": "https://x/a-1.0.tar.gz", "archive_info": {"hash": "sha256=ab"}}"#,
        );
        assert_eq!(
            freeze_requirement(&archive),
            "a @ https://x/a-1.0.tar.gz#sha256=ab"
        );
        let vcs = write(
            "b",
            r#"{"url": "https://g/b.git", "vcs_info": {"vcs": "git", "commit_id": "123"}, "subdirectory": "s"}"#,
        );
        assert_eq!(
            freeze_requirement(&vcs),
            "b @ git+https://g/b.git@123#subdirectory=s"
        );
        let editable = write(
            "c",
            r#"{"url": "file:///home/me/my%20c", "dir_info": {"editable": true}}"#,
        );
        assert_eq!(
            freeze_requirement(&editable),
            "# Editable install with no version control (c==1.0)\n-e /home/me/my c"
        );
        let invalid = write("d", r#"{"url": "x"}"#);
        assert_eq!(freeze_requirement(&invalid), "d==1.0");
    }

    #[test]
    fn requires_txt_sections_become_markers_like_importlib() {
        let text = "six>=1.0\n\n# a comment\n[test]\npytest (>=7)\n[:python_version < \"3.8\"]\n\
                    importlib-metadata\n[docs:sys_platform == \"linux\"]\nsphinx\n\
                    pkg @ https://x/pkg.zip\n";
        assert_eq!(
            requires_from_requires_txt(text),
            [
                "six>=1.0",
                "pytest (>=7); extra == \"test\"",
                "importlib-metadata; python_version < \"3.8\"",
                "sphinx; (sys_platform == \"linux\") and extra == \"docs\"",
                "pkg @ https://x/pkg.zip ; (sys_platform == \"linux\") and extra == \"docs\"",
            ]
        );
    }
}
