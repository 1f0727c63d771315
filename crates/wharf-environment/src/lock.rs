//! Locks: PEP 751 `pylock.toml` (and pip's hashed requirements format), written from a
//! resolution and read back for `sync`.
//!
//! What wharf writes (PEP 751, "lock file" specification, `lock-version = "1.0"`):
//!
//! ```toml
//! lock-version = "1.0"
//! environments = ["python_version == '3.11' and implementation_name == 'cpython' and platform_system == 'Linux' and platform_machine == 'x86_64'"]
//! requires-python = "==3.11.*"
//! created-by = "wharf"
//!
//! [[packages]]
//! name = "numpy"
//! version = "1.26.4+computecanada"
//!
//! [[packages.wheels]]
//! name = "numpy-1.26.4+computecanada-cp311-cp311-linux_x86_64.whl"
//! url = "file:///cvmfs/…/gentoo2023/x86-64-v3/numpy-1.26.4+computecanada-cp311-cp311-linux_x86_64.whl"
//! path = "/cvmfs/…/gentoo2023/x86-64-v3/numpy-1.26.4+computecanada-cp311-cp311-linux_x86_64.whl"
//! size = 18330124
//!
//! [packages.wheels.hashes]
//! sha256 = "…"
//! ```
//!
//! One wheel per package: the one the site's rules chose (most specific arch directory, best
//! tag). Packages in name order, so the same resolution gives byte-identical files. Traps:
//! the local label is part of the version (`+computecanada`); `path` is the wheelhouse file
//! (absolute: a lock is rebuilt on every node from the same CVMFS tree; relative to the lock's
//! directory for a file under it, as PEP 751 resolves relative paths, so `-f ./wheels` locks
//! stay usable from anywhere); `url` is the same file, for readers that take only `url` (pdm).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use pep440_rs::Version;
use pep508_rs::PackageName;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// The `lock-version` wharf writes; it reads every `1.x`.
pub const LOCK_VERSION: &str = "1.0";

/// A lock: what to install, exactly, for one interpreter.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Lock {
    /// PEP 508 marker expressions the lock is valid for (the interpreter's Python version and
    /// platform), ex) `python_full_version == '3.11.7' and …`.
    pub environments: Vec<String>,
    /// `requires-python`, ex) `==3.11.*`.
    pub requires_python: Option<String>,
    /// The packages, in name order.
    pub packages: Vec<LockedPackage>,
    /// What the reader noticed and the caller should say (a newer `lock-version` 1.x).
    pub warnings: Vec<String>,
    /// PEP 751 `default-groups`: the dependency groups installed when none is asked for.
    pub default_groups: Vec<String>,
}

/// The extras and dependency groups a sync installs from a lock (PEP 751 markers
/// `'x' in extras`, `'g' in dependency_groups`): `--extra`, `--group`; no group asked means the
/// lock's `default-groups`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LockSelection {
    /// `--extra` names.
    pub extras: Vec<String>,
    /// `--group` names; empty: the lock's `default-groups`.
    pub groups: Vec<String>,
}

/// `marker` with PEP 751's set-valued markers decided: each `'NAME' in extras`,
/// `'NAME' not in extras`, and the same with `dependency_groups`, becomes an expression that is
/// always true or always false for `extras` and `groups`, so that a PEP 508 parser that does not
/// know those two names reads the rest. Ex) `'dev' in dependency_groups` with no group:
/// `python_version < '0'`.
pub fn decide_set_markers(marker: &str, extras: &[String], groups: &[String]) -> String {
    static SET_MARKER: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let pattern = SET_MARKER.get_or_init(|| {
        regex::Regex::new(
            r#"(?:'([^']*)'|"([^"]*)")\s+(not\s+in|in)\s+(extras|dependency_groups)\b"#,
        )
        .expect("a valid pattern")
    });
    pattern
        .replace_all(marker, |captures: &regex::Captures<'_>| {
            let name = captures
                .get(1)
                .or_else(|| captures.get(2))
                .map_or("", |m| m.as_str());
            let set = if &captures[4] == "extras" {
                extras
            } else {
                groups
            };
            let normalized = |text: &str| text.to_ascii_lowercase().replace(['_', '.'], "-");
            let member = set.iter().any(|item| normalized(item) == normalized(name));
            let holds = member != captures[3].starts_with("not");
            if holds {
                "python_version >= '0'".to_string()
            } else {
                "python_version < '0'".to_string()
            }
        })
        .into_owned()
}

/// One package of a [`Lock`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedPackage {
    /// Its name (PEP 503 normalized).
    pub name: PackageName,
    /// Its version, local label kept, ex) `2.4.6+computecanada`.
    pub version: Version,
    /// The wheel to install: the first of [`Self::wheels`] as read, the best for the target
    /// interpreter once [`crate::sync::select_for_environment`] chose.
    pub wheel: LockedWheel,
    /// Every wheel the lock offers (several for a lock made for many platforms).
    pub wheels: Vec<LockedWheel>,
    /// PEP 751 `marker`: the package is installed only where it holds, ex)
    /// `sys_platform == 'linux'`.
    pub marker: Option<String>,
    /// PEP 751 `requires-python` of the package.
    pub requires_python: Option<String>,
    /// PEP 751 `sdist`: the source distribution (file name, path, size, sha256), built by
    /// `sync` when no wheel of the package fits the interpreter ([`LockedPackage::builds`]).
    pub sdist: Option<LockedWheel>,
    /// PEP 751 `directory`: a local project, built by `sync` (PEP 517, or PEP 660 when
    /// editable) as `wharf install DIR` builds it; its [`LockedPackage::wheel`] is the
    /// directory until then.
    pub directory: Option<LockedDirectory>,
}

/// A PEP 751 `[packages.directory]`: a project on the local file system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedDirectory {
    /// The project's directory (relative paths resolved against the lock's directory).
    pub path: PathBuf,
    /// `editable = true`: installed as PEP 660 has it (the source tree stays live).
    pub editable: bool,
    /// Whether the lock gave the package's `version` (a project's version is often dynamic:
    /// then the built wheel's is taken).
    pub version_given: bool,
}

impl LockedPackage {
    /// Whether the file chosen ([`LockedPackage::wheel`]) is the package's sdist or project
    /// directory, to be built ([`crate::sync::build_locked_sdists`]) once verified.
    pub fn builds(&self) -> bool {
        !self.wheel.filename.ends_with(".whl")
    }
}

/// A file of a [`LockedPackage`]: one of its wheels, or its sdist (the same fields).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LockedWheel {
    /// The file name, ex) `six-1.16.0+computecanada-py2.py3-none-any.whl` (an sdist's:
    /// `pysam-0.22.1.tar.gz`).
    pub filename: String,
    /// Where it is: absolute, or relative to the lock file's directory when read. For a file
    /// at a [`LockedWheel::url`], where it is downloaded to (set by
    /// [`crate::index::fetch_locked`]).
    pub path: PathBuf,
    /// PEP 751 `url`: the file on a package index (`http(s):`), for a lock made from one.
    pub url: Option<String>,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256, lowercase hex; empty when the lock gives only stronger hashes, until
    /// [`Lock::verify`] computed it from the verified bytes (what the installer then checks).
    pub sha256: String,
    /// PEP 751's other hashes wharf checks as well: `sha384`, `sha512` → lowercase hex.
    pub extra_hashes: BTreeMap<String, String>,
}

/// Why a lock cannot be read or used.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// The file could not be read.
    #[error("cannot read the lock `{}`", path.display())]
    Io {
        /// The lock.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Larger than any lock should be (16 MiB) or not UTF-8 text.
    #[error("`{}` is not a lock file: {reason}", path.display())]
    NotText {
        /// The file.
        path: PathBuf,
        /// Too big, or not UTF-8.
        reason: String,
    },
    /// Not TOML, or not the PEP 751 shape (the message names line and field).
    #[error("`{}` is not a valid PEP 751 lock: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The TOML parser's message (line, column, field).
        message: String,
    },
    /// A `lock-version` this wharf does not read.
    #[error("`{}` has lock-version {version}; wharf reads lock-version 1.x", path.display())]
    UnsupportedVersion {
        /// The file.
        path: PathBuf,
        /// Its version.
        version: String,
    },
    /// A package entry wharf cannot install (no wheel, a URL, a bad name or version).
    #[error("`{}`: package `{package}`: {reason}", path.display())]
    Package {
        /// The file.
        path: PathBuf,
        /// The package name as written.
        package: String,
        /// What is wrong.
        reason: String,
    },
    /// A locked wheel is missing or is not the file that was locked.
    #[error("the locked wheel of {name} {version} {problem}: `{}`", path.display())]
    WheelChanged {
        /// The package.
        name: PackageName,
        /// Its version.
        version: Version,
        /// The wheel file.
        path: PathBuf,
        /// `is gone`, `changed size (…)`, `changed content (sha256 …)`.
        problem: String,
    },
    /// A locked wheel's path names a FIFO, a device or a directory: it is not opened (a FIFO
    /// would wait for a writer, `/dev/zero` never ends).
    #[error("`{}`: the locked wheel of {name} {version} is not a regular file but {kind}: `{}`", lock.display(), path.display())]
    NotRegularFile {
        /// The lock.
        lock: PathBuf,
        /// The package.
        name: PackageName,
        /// Its version.
        version: Version,
        /// The wheel's path.
        path: PathBuf,
        /// What it is instead. Ex) `a FIFO`
        kind: &'static str,
    },
}

impl LockError {
    /// How to fix it.
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::WheelChanged { name, .. } => Some(format!(
                "the wheelhouse changed since the lock was made: re-lock with `wharf lock --upgrade-package {name}` (or `wharf lock` again) on a login node and commit the new lock"
            )),
            Self::NotRegularFile { name, .. } => Some(format!(
                "a lock names wheel files: point the `path` of {name} in the lock at its `.whl` file, or re-lock with `wharf lock`"
            )),
            Self::UnsupportedVersion { .. } => {
                Some("re-create the lock with this wharf: `wharf lock`".to_string())
            }
            Self::Invalid { .. } | Self::NotText { .. } => Some(
                "pass a `pylock.toml` written by `wharf lock` or `uv pip compile --format pylock.toml`, or a requirements file with `--hash` on every line".to_string(),
            ),
            Self::Package { .. } | Self::Io { .. } => None,
        }
    }
}

impl LockedPackage {
    /// Opens its wheel for reading, only if it is a regular file
    /// ([`wharf_digest::open_regular`]: a FIFO or a device is not opened). `lock` is the lock
    /// file, for the messages.
    ///
    /// Errors: [`LockError::NotRegularFile`]; [`LockError::WheelChanged`] when it is gone or
    /// cannot be opened.
    pub fn open_wheel(&self, lock: &Path) -> Result<(std::fs::File, std::fs::Metadata), LockError> {
        wharf_digest::open_regular(&self.wheel.path).map_err(|e| {
            if let Some(not) = wharf_digest::NotRegularFile::of(&e) {
                LockError::NotRegularFile {
                    lock: lock.to_path_buf(),
                    name: self.name.clone(),
                    version: self.version.clone(),
                    path: self.wheel.path.clone(),
                    kind: not.kind,
                }
            } else if e.kind() == std::io::ErrorKind::NotFound {
                self.changed("is gone".to_string())
            } else {
                self.changed(format!("cannot be read ({e})"))
            }
        })
    }

    /// [`LockError::WheelChanged`] of its wheel with `problem`.
    fn changed(&self, problem: String) -> LockError {
        LockError::WheelChanged {
            name: self.name.clone(),
            version: self.version.clone(),
            path: self.wheel.path.clone(),
            problem,
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct PyLockToml {
    lock_version: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    environments: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    requires_python: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    created_by: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    default_groups: Vec<String>,
    #[serde(default)]
    packages: Vec<PyLockPackage>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct PyLockPackage {
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    marker: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    requires_python: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    wheels: Vec<PyLockWheel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sdist: Option<PyLockWheel>,
    // Other PEP 751 fields (index, dependencies, tool…) are read leniently; `vcs` is
    // refused by name.
    #[serde(default, skip_serializing)]
    vcs: Option<toml::Value>,
    #[serde(default, skip_serializing)]
    directory: Option<PyLockDirectory>,
    #[serde(default, skip_serializing)]
    archive: Option<PyLockArchive>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct PyLockDirectory {
    path: String,
    #[serde(default)]
    editable: bool,
    #[serde(default)]
    subdirectory: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct PyLockArchive {
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default)]
    hashes: BTreeMap<String, String>,
    #[serde(default)]
    subdirectory: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct PyLockWheel {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    size: Option<u64>,
    #[serde(default)]
    hashes: BTreeMap<String, String>,
}

impl PyLockWheel {
    /// The entry of a locked file, as wharf writes it for a lock in `lock_dir`: name, `path`
    /// (relative to `lock_dir` when the file is under it, as PEP 751 reads a relative path;
    /// else absolute), the same file as a `file:` `url` (pdm reads only `url`, uv and pip
    /// either), size, sha256. A file locked from an index is written as the index's `url`
    /// alone.
    fn of(file: &LockedWheel, lock_dir: &Path) -> Self {
        let (url, path) = if let Some(url) = &file.url {
            (Some(url.clone()), None)
        } else {
            let absolute = std::path::absolute(&file.path).unwrap_or_else(|_| file.path.clone());
            let lock_dir = std::path::absolute(lock_dir).unwrap_or_else(|_| lock_dir.to_path_buf());
            let path = absolute
                .strip_prefix(&lock_dir)
                .map_or_else(|_| absolute.clone(), Path::to_path_buf);
            (
                url::Url::from_file_path(&absolute).ok().map(String::from),
                Some(path.display().to_string()),
            )
        };
        Self {
            name: Some(file.filename.clone()),
            url,
            path,
            size: Some(file.size),
            hashes: BTreeMap::from([("sha256".to_string(), file.sha256.clone())]),
        }
    }
}

/// The largest lock read (16 MiB): anything bigger is not a lock.
const MAX_LOCK_BYTES: u64 = 16 * 1024 * 1024;

/// Reads `path` as text, at most [`MAX_LOCK_BYTES`].
fn read_text(path: &Path) -> Result<String, LockError> {
    let io = |source| LockError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = fs_err::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(MAX_LOCK_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_LOCK_BYTES {
        return Err(LockError::NotText {
            path: path.to_path_buf(),
            reason: "larger than 16 MiB".to_string(),
        });
    }
    String::from_utf8(bytes).map_err(|_| LockError::NotText {
        path: path.to_path_buf(),
        reason: "not UTF-8 text".to_string(),
    })
}

/// SHA-256 of a file, lowercase hex, and its size.
///
/// Errors: the file cannot be read.
pub fn sha256_file(path: &Path) -> std::io::Result<(String, u64)> {
    let (digest, size) = wharf_digest::sha256_file(path)?;
    Ok((data_encoding::HEXLOWER.encode(&digest), size))
}

impl Lock {
    /// The lock of `packages` (name, version, wheel file), hashing every wheel in parallel
    /// (through `digests`: a wheel hashed before and unchanged since is not read again).
    ///
    /// Errors: a wheel cannot be read.
    pub fn from_wheels(
        packages: Vec<(PackageName, Version, PathBuf)>,
        environments: Vec<String>,
        requires_python: Option<String>,
        digests: &wharf_digest::DigestCache,
    ) -> std::io::Result<Self> {
        let mut locked: Vec<LockedPackage> = packages
            .into_par_iter()
            .map(|(name, version, path)| {
                let digest = digests.sha256(&path)?;
                let (sha256, size) = (digest.hex(), digest.size);
                let filename = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let is_wheel = filename.ends_with(".whl");
                let file = LockedWheel {
                    filename,
                    path,
                    url: None,
                    size,
                    sha256,
                    extra_hashes: BTreeMap::new(),
                };
                Ok(LockedPackage {
                    name,
                    version,
                    wheels: if is_wheel {
                        vec![file.clone()]
                    } else {
                        Vec::new()
                    },
                    sdist: (!is_wheel).then(|| file.clone()),
                    directory: None,
                    wheel: file,
                    marker: None,
                    requires_python: None,
                })
            })
            .collect::<std::io::Result<_>>()?;
        locked.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Self {
            environments,
            requires_python,
            packages: locked,
            warnings: Vec::new(),
            default_groups: Vec::new(),
        })
    }

    /// The `pylock.toml` text for a lock written into `lock_dir` (file paths relative to it
    /// where they are under it): deterministic (name order, no timestamps).
    pub fn to_toml(&self, lock_dir: &Path) -> String {
        let document = PyLockToml {
            lock_version: LOCK_VERSION.to_string(),
            environments: self.environments.clone(),
            requires_python: self.requires_python.clone(),
            created_by: Some("wharf".to_string()),
            default_groups: self.default_groups.clone(),
            packages: self
                .packages
                .iter()
                .map(|p| PyLockPackage {
                    name: p.name.to_string(),
                    version: Some(p.version.to_string()),
                    marker: p.marker.clone(),
                    requires_python: None,
                    // Every wheel of the package (one per Python of a multi-Python lock).
                    wheels: if p.wheels.is_empty() && !p.builds() {
                        vec![PyLockWheel::of(&p.wheel, lock_dir)]
                    } else {
                        p.wheels
                            .iter()
                            .map(|w| PyLockWheel::of(w, lock_dir))
                            .collect()
                    },
                    sdist: p.sdist.as_ref().map(|s| PyLockWheel::of(s, lock_dir)),
                    vcs: None,
                    directory: None,
                    archive: None,
                })
                .collect(),
        };
        toml::to_string(&document).unwrap_or_default()
    }

    /// pip's hashed requirements format: `name==version --hash=sha256:…` per package, which
    /// `pip install --no-index --require-hashes -f WHEELHOUSE -r` accepts.
    pub fn to_requirements_txt(&self) -> String {
        let mut out = String::from(
            "# Generated by wharf lock: every package pinned with its wheel's hash.\n",
        );
        for p in &self.packages {
            let marker = p
                .marker
                .as_deref()
                .map(|marker| format!(" ; {marker}"))
                .unwrap_or_default();
            out.push_str(&format!("{}=={}{marker}", p.name, p.version));
            // Every file the lock offers (one per Python of a multi-Python lock): pip accepts
            // any listed hash.
            let mut hashes: Vec<&str> = p
                .wheels
                .iter()
                .chain(p.sdist.as_ref())
                .map(|file| file.sha256.as_str())
                .collect();
            if hashes.is_empty() {
                hashes.push(&p.wheel.sha256);
            }
            hashes.dedup();
            for hash in hashes {
                out.push_str(&format!(" \\\n    --hash=sha256:{hash}"));
            }
            out.push('\n');
        }
        out
    }

    /// One lock for several Pythons (`wharf lock --python 3.11 --python 3.12`) from the lock
    /// of each (`X.Y`, its lock): a package at the same version for all of them is one entry
    /// with every Python's wheels (a reader takes the best for its tags); one that differs or
    /// is missing somewhere gets PEP 751's `marker` (`python_version == 'X.Y' or …`). The
    /// `environments` are each lock's (any of them holds); `requires-python` spans them.
    pub fn merge_pythons(locks: Vec<(String, Lock)>) -> Lock {
        if locks.len() == 1 {
            return locks
                .into_iter()
                .next()
                .map(|(_, lock)| lock)
                .unwrap_or_default();
        }
        let count = locks.len();
        let mut merged: BTreeMap<(PackageName, Version), (Vec<String>, LockedPackage)> =
            BTreeMap::new();
        let mut environments = Vec::new();
        let mut pythons: Vec<Version> = Vec::new();
        for (python, lock) in locks {
            environments.extend(lock.environments);
            pythons.extend(Version::from_str(&python).ok());
            for package in lock.packages {
                let key = (package.name.clone(), package.version.clone());
                match merged.get_mut(&key) {
                    Some((seen, first)) => {
                        seen.push(python.clone());
                        for wheel in package.wheels {
                            if !first.wheels.iter().any(|w| w.filename == wheel.filename) {
                                first.wheels.push(wheel);
                            }
                        }
                        if first.sdist.is_none() {
                            first.sdist = package.sdist;
                        }
                    }
                    None => {
                        merged.insert(key, (vec![python.clone()], package));
                    }
                }
            }
        }
        let packages = merged
            .into_values()
            .map(|(seen, mut package)| {
                if seen.len() < count {
                    package.marker = Some(
                        seen.iter()
                            .map(|python| format!("python_version == '{python}'"))
                            .collect::<Vec<_>>()
                            .join(" or "),
                    );
                }
                package
            })
            .collect();
        pythons.sort();
        let requires_python = match (pythons.first(), pythons.last()) {
            (Some(low), Some(high)) => {
                let (major, minor) = (
                    high.release()[0],
                    high.release().get(1).copied().unwrap_or(0),
                );
                Some(format!(">={low}, <{major}.{}", minor + 1))
            }
            _ => None,
        };
        Lock {
            environments,
            requires_python,
            packages,
            warnings: Vec::new(),
            default_groups: Vec::new(),
        }
    }

    /// Reads a `pylock.toml`. Relative wheel paths are relative to the lock's directory.
    ///
    /// Errors: [`LockError`] naming the file and, for TOML errors, line and field.
    pub fn read(path: &Path) -> Result<Self, LockError> {
        let text = read_text(path)?;
        Self::parse(path, &text)
    }

    /// Parses `pylock.toml` text read from `path`.
    ///
    /// Errors: as [`Lock::read`].
    pub fn parse(path: &Path, text: &str) -> Result<Self, LockError> {
        let document: PyLockToml = toml::from_str(text).map_err(|e| LockError::Invalid {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().replace('\n', "\n  "),
        })?;
        let mut warnings = Vec::new();
        let mut version_parts = document.lock_version.split('.');
        match (version_parts.next(), version_parts.next()) {
            (Some("1"), Some("0") | None) => {}
            (Some("1"), Some(_)) => warnings.push(format!(
                "`{}` has lock-version {}; wharf writes 1.0 and reads what it knows of 1.x",
                path.display(),
                document.lock_version
            )),
            _ => {
                return Err(LockError::UnsupportedVersion {
                    path: path.to_path_buf(),
                    version: document.lock_version,
                });
            }
        }
        // Markers are parsed strictly: a lock that cannot say where it applies is refused.
        let invalid = |what: String| LockError::Invalid {
            path: path.to_path_buf(),
            message: what,
        };
        for environment in &document.environments {
            wharf_metadata::parse_marker(&decide_set_markers(environment, &[], &[]))
                .map_err(|e| invalid(format!("`environments` entry `{environment}`: {e}")))?;
        }
        if let Some(text) = &document.requires_python {
            pep440_rs::VersionSpecifiers::from_str(text)
                .map_err(|e| invalid(format!("`requires-python = \"{text}\"`: {e}")))?;
        }
        let base = path.parent().unwrap_or(Path::new("."));
        let mut packages = Vec::new();
        for mut package in document.packages {
            let package_name = package.name.clone();
            let bad = |reason: String| LockError::Package {
                path: path.to_path_buf(),
                package: package_name.clone(),
                reason,
            };
            let name = PackageName::from_str(&package.name)
                .map_err(|e| bad(format!("invalid name: {e}")))?;
            if let Some(marker) = &package.marker {
                wharf_metadata::parse_marker(&decide_set_markers(marker, &[], &[]))
                    .map_err(|e| bad(format!("invalid marker `{marker}`: {e}")))?;
            }
            if let Some(text) = &package.requires_python {
                pep440_rs::VersionSpecifiers::from_str(text)
                    .map_err(|e| bad(format!("invalid requires-python `{text}`: {e}")))?;
            }
            // The source first: a VCS entry has no version to complain about.
            if package.vcs.is_some() {
                return Err(bad("has a VCS source (`vcs`); wharf installs from files and directories: build a wheel of it (or check it out and lock the directory) and lock that".to_string()));
            }
            if let Some(directory) = &package.directory {
                let mut dir = base.join(&directory.path);
                if let Some(sub) = &directory.subdirectory {
                    dir = dir.join(sub);
                }
                // Absolute: `direct_url.json` records it, and builds run elsewhere.
                let dir = std::path::absolute(&dir).unwrap_or(dir);
                let version = match &package.version {
                    Some(text) => Version::from_str(text)
                        .map_err(|e| bad(format!("invalid version `{text}`: {e}")))?,
                    None => Version::new([0]),
                };
                packages.push(LockedPackage {
                    name,
                    version,
                    wheel: LockedWheel {
                        filename: dir
                            .file_name()
                            .map_or_else(|| ".".to_string(), |n| n.to_string_lossy().into_owned()),
                        path: dir.clone(),
                        ..LockedWheel::default()
                    },
                    wheels: Vec::new(),
                    sdist: None,
                    directory: Some(LockedDirectory {
                        path: dir,
                        editable: directory.editable,
                        version_given: package.version.is_some(),
                    }),
                    marker: package.marker.clone(),
                    requires_python: package.requires_python.clone(),
                });
                continue;
            }
            if package.wheels.is_empty() && package.sdist.is_none() && package.archive.is_none() {
                return Err(bad("has no wheel, sdist, archive or directory".to_string()));
            }
            if package
                .archive
                .as_ref()
                .is_some_and(|a| a.subdirectory.is_some())
            {
                return Err(bad("its archive names a `subdirectory`, which wharf does not build: lock the project directory instead".to_string()));
            }
            // An archive is a wheel or an sdist by its file name, checked as those are.
            let archive = package.archive.as_ref().map(|a| PyLockWheel {
                name: None,
                url: a.url.clone(),
                path: a.path.clone(),
                size: a.size,
                hashes: a.hashes.clone(),
            });
            let archive_is_wheel = archive.as_ref().is_some_and(|a| {
                a.path
                    .as_deref()
                    .or(a.url.as_deref())
                    .is_some_and(|p| p.ends_with(".whl"))
            });
            if let Some(archive) = archive {
                if archive_is_wheel {
                    package.wheels.push(archive);
                } else if package.sdist.is_none() {
                    package.sdist = Some(archive);
                }
            }
            // One file entry (a wheel's, or the sdist's) as a path, with its sha256.
            let file_of = |entry: &PyLockWheel, what: &str| -> Result<LockedWheel, LockError> {
                let mut remote = None;
                let file_path = match (&entry.path, &entry.url) {
                    (Some(file_path), _) => base.join(file_path),
                    // A file on an index: downloaded by `sync` (`crate::index::fetch_locked`),
                    // checked against the sha256 below.
                    (None, Some(url))
                        if url.starts_with("https://") || url.starts_with("http://") =>
                    {
                        remote = Some(url.clone());
                        let name = url.rsplit('/').next().unwrap_or_default();
                        PathBuf::from(
                            percent_encoding::percent_decode_str(name)
                                .decode_utf8_lossy()
                                .into_owned(),
                        )
                    }
                    (None, Some(url)) => match url::Url::parse(url) {
                        // PEP 751 allows a `file:` URL; pip writes `+` as `%2B`.
                        Ok(parsed) if parsed.scheme() == "file" => {
                            parsed.to_file_path().map_err(|()| {
                                bad(format!("its {what} URL `{url}` is not a local path"))
                            })?
                        }
                        _ => {
                            return Err(bad(format!(
                                "its {what} is at `{url}`: wharf takes files by `path`, or a `file:`, `http:` or `https:` URL"
                            )));
                        }
                    },
                    (None, None) => {
                        return Err(bad(format!("its {what} has no `path` or `url`")));
                    }
                };
                let filename = entry.name.clone().unwrap_or_else(|| {
                    file_path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default()
                });
                // Every hash wharf can check is checked; at least one is needed.
                let known = |algorithm: &str| {
                    entry
                        .hashes
                        .iter()
                        .find(|(name, _)| name.eq_ignore_ascii_case(algorithm))
                        .map(|(_, hex)| hex.to_ascii_lowercase())
                };
                let sha256 = known("sha256").unwrap_or_default();
                let extra_hashes: BTreeMap<String, String> = ["sha384", "sha512"]
                    .into_iter()
                    .filter_map(|algorithm| Some((algorithm.to_string(), known(algorithm)?)))
                    .collect();
                if sha256.is_empty() && extra_hashes.is_empty() {
                    let given: Vec<&str> = entry.hashes.keys().map(String::as_str).collect();
                    return Err(bad(format!(
                        "its {what} `{filename}` has no hash wharf checks (sha256, sha384 or sha512){}",
                        if given.is_empty() {
                            String::new()
                        } else {
                            format!("; it has {}", given.join(", "))
                        }
                    )));
                }
                Ok(LockedWheel {
                    filename,
                    path: file_path,
                    url: remote,
                    size: entry.size.unwrap_or(0),
                    sha256,
                    extra_hashes,
                })
            };
            let mut wheels = Vec::new();
            for wheel in &package.wheels {
                wheels.push(file_of(wheel, "wheel")?);
            }
            let sdist = package
                .sdist
                .as_ref()
                .map(|entry| file_of(entry, "sdist"))
                .transpose()?;
            // The version: as written, else the wheels'; each wheel must be of this package
            // and version (a swapped name would install another project under this one).
            let mut version = match &package.version {
                Some(text) => Some(
                    Version::from_str(text)
                        .map_err(|e| bad(format!("invalid version `{text}`: {e}")))?,
                ),
                None => None,
            };
            for wheel in &wheels {
                let parsed = wharf_wheel_filename::WheelFilename::from_str(&wheel.filename)
                    .map_err(|e| {
                        bad(format!("invalid wheel file name `{}`: {e}", wheel.filename))
                    })?;
                if parsed.name != name {
                    return Err(bad(format!(
                        "its wheel `{}` is of {}, not {name}",
                        wheel.filename, parsed.name
                    )));
                }
                match &version {
                    Some(version) if *version != parsed.version => {
                        return Err(bad(format!(
                            "its wheel `{}` is version {}, the package {version}",
                            wheel.filename, parsed.version
                        )));
                    }
                    Some(_) => {}
                    None => version = Some(parsed.version.clone()),
                }
            }
            if let Some(sdist) = &sdist {
                let parsed = wharf_resolve::SdistCandidate::from_path(
                    Path::new(&sdist.filename),
                    0,
                )
                .ok_or_else(|| {
                    bad(format!(
                        "its sdist `{}` is not named `{{name}}-{{version}}.tar.gz` (or `.zip`)",
                        sdist.filename
                    ))
                })?;
                if parsed.name != name {
                    return Err(bad(format!(
                        "its sdist `{}` is of {}, not {name}",
                        sdist.filename, parsed.name
                    )));
                }
                match &version {
                    Some(version) if *version != parsed.version => {
                        return Err(bad(format!(
                            "its sdist `{}` is version {}, the package {version}",
                            sdist.filename, parsed.version
                        )));
                    }
                    Some(_) => {}
                    None => version = Some(parsed.version),
                }
            }
            let version = version.ok_or_else(|| bad("no `version`".to_string()))?;
            let Some(first) = wheels.first().or(sdist.as_ref()).cloned() else {
                return Err(bad("no wheel and no sdist".to_string()));
            };
            packages.push(LockedPackage {
                name,
                version,
                wheel: first,
                sdist,
                directory: None,
                wheels,
                marker: package.marker.clone(),
                requires_python: package.requires_python.clone(),
            });
        }
        packages.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Self {
            environments: document.environments,
            requires_python: document.requires_python,
            packages,
            warnings,
            default_groups: document.default_groups,
        })
    }

    /// Checks every locked wheel against the file on disk (size, then sha384/sha512 when the
    /// lock gives them, and sha256, filled in from the verified bytes when the lock has only
    /// the stronger ones), in parallel,
    /// before anything changes. `lock` is the lock file, for the messages. Digests go
    /// through `digests` (a wheel unchanged since it was last hashed is not read again, and
    /// the installer finds there the digest of the file it opens).
    ///
    /// Only a regular file is opened ([`wharf_digest::open_regular`]), and at most its size
    /// and one byte more is read (a file that grows or changes while it is read has changed).
    ///
    /// Errors: [`LockError::NotRegularFile`] or [`LockError::WheelChanged`] for the first
    /// package (in name order) whose wheel is not a regular file, is gone or differs.
    pub fn verify(
        &mut self,
        lock: &Path,
        digests: &wharf_digest::DigestCache,
    ) -> Result<(), LockError> {
        self.verify_except(lock, digests, &std::collections::HashSet::new())
    }

    /// [`Lock::verify`], but the sha256 of each wheel at a path in `installer_checks` is not
    /// read here: the installer reads it as it installs that wheel (with the lock's sha256 as
    /// its [`wharf_install::WheelInstall::sha256`]) and refuses other bytes before anything is
    /// committed, so the hashing runs in the installer's parallel pipeline instead of a pass
    /// of its own before it. The file is still opened and its size checked here; a wheel with
    /// sha384/sha512 in the lock, or without a sha256, is read here as in [`Lock::verify`].
    ///
    /// Errors: as [`Lock::verify`].
    pub fn verify_except(
        &mut self,
        lock: &Path,
        digests: &wharf_digest::DigestCache,
        installer_checks: &std::collections::HashSet<PathBuf>,
    ) -> Result<(), LockError> {
        let problems: Vec<Option<LockError>> = self
            .packages
            .par_iter_mut()
            .map(|p| {
                // A project directory has no hash (PEP 751): it is built as it is now.
                if p.directory.is_some() {
                    return None;
                }
                let changed = |problem: String| Some(p.changed(problem));
                let (file, metadata) = match p.open_wheel(lock) {
                    Ok(opened) => opened,
                    Err(e) => return Some(e),
                };
                let size = metadata.len();
                if p.wheel.size != 0 && size != p.wheel.size {
                    return changed(format!(
                        "changed size ({size} bytes, locked {})",
                        p.wheel.size
                    ));
                }
                if installer_checks.contains(&p.wheel.path)
                    && !p.wheel.sha256.is_empty()
                    && p.wheel.extra_hashes.is_empty()
                {
                    return None;
                }
                // sha384/sha512 (and the sha256 the installer will check, when the lock has
                // none) from one read of the opened file.
                let mut filled = None;
                if !p.wheel.extra_hashes.is_empty() {
                    let computed = match stronger_digests(&file, size) {
                        Ok(computed) => computed,
                        Err(e) => return changed(format!("cannot be read ({e})")),
                    };
                    for (algorithm, locked) in &p.wheel.extra_hashes {
                        let actual = &computed[algorithm.as_str()];
                        if actual != locked {
                            return changed(format!(
                                "changed content ({algorithm} {actual}, locked {locked})"
                            ));
                        }
                    }
                    if p.wheel.sha256.is_empty() {
                        filled = Some(computed["sha256"].clone());
                    }
                }
                let expected = filled.clone().unwrap_or_else(|| p.wheel.sha256.clone());
                let problem = match digests.sha256_of_file(&p.wheel.path, &file) {
                    Ok((digest, _)) if digest.hex() == expected => None,
                    Ok((digest, _)) => changed(format!(
                        "changed content (sha256 {}, locked {expected})",
                        digest.hex(),
                    )),
                    Err(e) => changed(format!("cannot be read ({e})")),
                };
                if let (None, Some(sha256)) = (&problem, filled) {
                    p.wheel.sha256 = sha256;
                }
                problem
            })
            .collect();
        match problems.into_iter().flatten().next() {
            Some(problem) => Err(problem),
            None => Ok(()),
        }
    }
}

/// sha256, sha384 and sha512 (lowercase hex, by name) of the `size` bytes of `file`, read
/// from its start in one pass; a file longer than `size` has changed.
fn stronger_digests(
    file: &std::fs::File,
    size: u64,
) -> std::io::Result<BTreeMap<&'static str, String>> {
    use sha2::Digest as _;
    use std::io::{Seek as _, SeekFrom};
    let mut file = file;
    file.seek(SeekFrom::Start(0))?;
    let (mut a, mut b, mut c) = (
        sha2::Sha256::new(),
        sha2::Sha384::new(),
        sha2::Sha512::new(),
    );
    let mut reader = file.take(size + 1);
    let mut buffer = vec![0; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = reader.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        total += n as u64;
        a.update(&buffer[..n]);
        b.update(&buffer[..n]);
        c.update(&buffer[..n]);
    }
    if total != size {
        return Err(std::io::Error::other(format!(
            "{total} bytes read, {size} expected"
        )));
    }
    file.seek(SeekFrom::Start(0))?;
    let hex = |bytes: &[u8]| data_encoding::HEXLOWER.encode(bytes);
    Ok(BTreeMap::from([
        ("sha256", hex(&a.finalize())),
        ("sha384", hex(&b.finalize())),
        ("sha512", hex(&c.finalize())),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lock(dir: &Path) -> Lock {
        let a = dir.join("six-1.16.0+computecanada-py2.py3-none-any.whl");
        let b = dir.join("abc-2.0-py3-none-any.whl");
        std::fs::write(&a, b"six").unwrap();
        std::fs::write(&b, b"abc").unwrap();
        Lock::from_wheels(
            vec![
                (
                    PackageName::from_str("six").unwrap(),
                    Version::from_str("1.16.0+computecanada").unwrap(),
                    a,
                ),
                (
                    PackageName::from_str("abc").unwrap(),
                    Version::from_str("2.0").unwrap(),
                    b,
                ),
            ],
            vec!["python_full_version == '3.11.7'".to_string()],
            Some("==3.11.*".to_string()),
            &wharf_digest::DigestCache::disabled(),
        )
        .unwrap()
    }

    /// Issue 19 §2: a file under the lock's directory is written relative to it (PEP 751
    /// resolves a relative `path` from the lock file), so the lock is read back to the same
    /// files from any current directory; `url` is absolute.
    #[test]
    fn paths_under_the_lock_directory_are_relative() {
        let dir = tempfile::tempdir().unwrap();
        let lock = lock(dir.path());
        let text = lock.to_toml(dir.path());
        assert!(
            text.contains("path = \"abc-2.0-py3-none-any.whl\""),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "url = \"file://{}/abc-2.0-py3-none-any.whl\"",
                dir.path().display()
            )),
            "{text}"
        );
        let read = Lock::parse(&dir.path().join("pylock.toml"), &text).unwrap();
        assert_eq!(
            read.packages[0].wheel.path,
            dir.path().join("abc-2.0-py3-none-any.whl")
        );
    }

    /// Issue 19 §2: `sha384`/`sha512` are checked as sha256 is (a lock with only those is
    /// verified, and the installer then gets the sha256 of the verified bytes); a lock with no
    /// hash wharf can check is refused, naming what it has.
    #[test]
    fn sha384_and_sha512_are_checked() {
        use sha2::Digest as _;
        let dir = tempfile::tempdir().unwrap();
        let wheel = dir.path().join("abc-2.0-py3-none-any.whl");
        std::fs::write(&wheel, b"abc").unwrap();
        let sha512 = data_encoding::HEXLOWER.encode(&sha2::Sha512::digest(b"abc"));
        let sha384 = data_encoding::HEXLOWER.encode(&sha2::Sha384::digest(b"abc"));
        let text = |hashes: &str| {
            format!(
                "lock-version = \"1.0\"\n[[packages]]\nname = \"abc\"\nversion = \"2.0\"\n[[packages.wheels]]\npath = \"abc-2.0-py3-none-any.whl\"\nhashes = {{ {hashes} }}\n"
            )
        };
        let lock_path = dir.path().join("pylock.toml");
        let digests = wharf_digest::DigestCache::disabled();
        let mut lock = Lock::parse(
            &lock_path,
            &text(&format!("sha512 = \"{sha512}\", sha384 = \"{sha384}\"")),
        )
        .unwrap();
        assert!(lock.packages[0].wheel.sha256.is_empty());
        lock.verify(&lock_path, &digests).unwrap();
        assert_eq!(
            lock.packages[0].wheel.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        // One wrong hash among good ones is a change.
        let wrong = format!("{}0", &sha512[..sha512.len() - 1]);
        let mut lock = Lock::parse(
            &lock_path,
            &text(&format!("sha512 = \"{wrong}\", sha384 = \"{sha384}\"")),
        )
        .unwrap();
        let err = lock.verify(&lock_path, &digests).unwrap_err();
        assert!(
            err.to_string()
                .contains(&format!("sha512 {sha512}, locked {wrong}")),
            "{err}"
        );
        let err = Lock::parse(
            &lock_path,
            &text("md5 = \"900150983cd24fb0d6963f7d28e17f72\""),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .ends_with("has no hash wharf checks (sha256, sha384 or sha512); it has md5"),
            "{err}"
        );
    }

    /// Issue 19 §3: the multi-Python merge (the e2e test needs a second CPython).
    #[test]
    fn locks_of_two_pythons_merge_with_markers() {
        let dir = tempfile::tempdir().unwrap();
        let file = |name: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, name).unwrap();
            path
        };
        let one = |python: &str, packages: &[(&str, &str, &str)]| {
            let mut lock = Lock::from_wheels(
                packages
                    .iter()
                    .map(|(n, v, f)| {
                        (
                            PackageName::from_str(n).unwrap(),
                            Version::from_str(v).unwrap(),
                            file(f),
                        )
                    })
                    .collect(),
                vec![format!("python_version == '{python}'")],
                Some(format!("=={python}.*")),
                &wharf_digest::DigestCache::disabled(),
            )
            .unwrap();
            lock.warnings.clear();
            (python.to_string(), lock)
        };
        let merged = Lock::merge_pythons(vec![
            one(
                "3.11",
                &[
                    ("a", "1", "a-1-cp311-none-any.whl"),
                    ("b", "1", "b-1-py3-none-any.whl"),
                ],
            ),
            one(
                "3.12",
                &[
                    ("a", "1", "a-1-cp312-none-any.whl"),
                    ("b", "2", "b-2-py3-none-any.whl"),
                ],
            ),
        ]);
        assert_eq!(merged.environments.len(), 2);
        assert_eq!(merged.requires_python.as_deref(), Some(">=3.11, <3.13"));
        let summary: Vec<(String, String, Option<String>, usize)> = merged
            .packages
            .iter()
            .map(|p| {
                (
                    p.name.to_string(),
                    p.version.to_string(),
                    p.marker.clone(),
                    p.wheels.len(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("a".to_string(), "1".to_string(), None, 2),
                (
                    "b".to_string(),
                    "1".to_string(),
                    Some("python_version == '3.11'".to_string()),
                    1
                ),
                (
                    "b".to_string(),
                    "2".to_string(),
                    Some("python_version == '3.12'".to_string()),
                    1
                ),
            ]
        );
        let text = merged.to_toml(dir.path());
        assert!(
            text.contains("a-1-cp311-none-any.whl") && text.contains("a-1-cp312-none-any.whl"),
            "{text}"
        );
        assert!(Lock::parse(&dir.path().join("pylock.toml"), &text).is_ok());
    }

    #[test]
    fn round_trip_and_order() {
        let dir = tempfile::tempdir().unwrap();
        let lock = lock(dir.path());
        let text = lock.to_toml(Path::new("/elsewhere"));
        let root = dir.path().display().to_string();
        insta::assert_snapshot!(text.replace(&root, "[DIR]"), @r#"
        lock-version = "1.0"
        environments = ["python_full_version == '3.11.7'"]
        requires-python = "==3.11.*"
        created-by = "wharf"

        [[packages]]
        name = "abc"
        version = "2.0"

        [[packages.wheels]]
        name = "abc-2.0-py3-none-any.whl"
        url = "file://[DIR]/abc-2.0-py3-none-any.whl"
        path = "[DIR]/abc-2.0-py3-none-any.whl"
        size = 3

        [packages.wheels.hashes]
        sha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

        [[packages]]
        name = "six"
        version = "1.16.0+computecanada"

        [[packages.wheels]]
        name = "six-1.16.0+computecanada-py2.py3-none-any.whl"
        url = "file://[DIR]/six-1.16.0+computecanada-py2.py3-none-any.whl"
        path = "[DIR]/six-1.16.0+computecanada-py2.py3-none-any.whl"
        size = 3

        [packages.wheels.hashes]
        sha256 = "44778d82365e4af681c40d5f0eef5cf6f5899d3f0ac335050a7ed6779cf3f674"
        "#);
        let mut read = Lock::parse(&dir.path().join("pylock.toml"), &text).unwrap();
        assert_eq!(read, lock);
        assert!(
            read.verify(
                &dir.path().join("pylock.toml"),
                &wharf_digest::DigestCache::disabled()
            )
            .is_ok()
        );
    }

    #[test]
    fn err_changed_wheel_names_package_and_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut lock = lock(dir.path());
        std::fs::write(
            dir.path()
                .join("six-1.16.0+computecanada-py2.py3-none-any.whl"),
            b"SIX",
        )
        .unwrap();
        let err = lock
            .verify(
                &dir.path().join("pylock.toml"),
                &wharf_digest::DigestCache::disabled(),
            )
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("the locked wheel of six 1.16.0+computecanada changed content"),
            "{err}"
        );
        assert!(err.hint().unwrap().contains("--upgrade-package six"));
        std::fs::remove_file(dir.path().join("abc-2.0-py3-none-any.whl")).unwrap();
        let err = lock
            .verify(
                &dir.path().join("pylock.toml"),
                &wharf_digest::DigestCache::disabled(),
            )
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("the locked wheel of abc 2.0 is gone"),
            "{err}"
        );
    }

    /// Regression ("no input is unbounded"): a locked wheel that is a FIFO blocked `verify`
    /// in `open`, one that is `/dev/zero` never ended (a lock without `size`).
    #[test]
    fn err_not_a_regular_file_names_lock_package_and_path() {
        let dir = tempfile::tempdir().unwrap();
        let mut lock = lock(dir.path());
        let fifo = dir.path().join("fifo.whl");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let pylock = dir.path().join("pylock.toml");
        for (path, kind) in [
            (fifo, "a FIFO"),
            (PathBuf::from("/dev/zero"), "a character device"),
        ] {
            lock.packages[0].wheel.path = path.clone();
            lock.packages[0].wheel.size = 0;
            let start = std::time::Instant::now();
            let err = lock
                .verify(&pylock, &wharf_digest::DigestCache::disabled())
                .unwrap_err();
            assert!(start.elapsed() < std::time::Duration::from_secs(2));
            assert_eq!(
                err.to_string(),
                format!(
                    "`{}`: the locked wheel of abc 2.0 is not a regular file but {kind}: `{}`",
                    pylock.display(),
                    path.display()
                )
            );
            assert!(err.hint().unwrap().starts_with("a lock names wheel files"));
        }
    }

    #[test]
    fn err_bad_documents() {
        let path = Path::new("/x/pylock.toml");
        let err = Lock::parse(path, "lock-version = \"2.0\"\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "`/x/pylock.toml` has lock-version 2.0; wharf reads lock-version 1.x"
        );
        // An sdist needs a place and a sha256, and must be of its package and version.
        let sdist = |fields: &str| {
            Lock::parse(
                path,
                &format!(
                    "lock-version = \"1.0\"\n[[packages]]\nname = \"a\"\nversion = \"1\"\n[packages.sdist]\n{fields}\n"
                ),
            )
        };
        let err = sdist("name = \"a-1.tar.gz\"").unwrap_err();
        assert_eq!(
            err.to_string(),
            "`/x/pylock.toml`: package `a`: its sdist has no `path` or `url`"
        );
        let err = sdist("name = \"a-1.tar.gz\"\npath = \"a-1.tar.gz\"").unwrap_err();
        assert_eq!(
            err.to_string(),
            "`/x/pylock.toml`: package `a`: its sdist `a-1.tar.gz` has no hash wharf checks (sha256, sha384 or sha512)"
        );
        let hashed = format!("path = \"b-1.tar.gz\"\nhashes = {{ sha256 = \"{HASH}\" }}");
        let err = sdist(&hashed).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`/x/pylock.toml`: package `a`: its sdist `b-1.tar.gz` is of b, not a"
        );
        let lock = sdist(&hashed.replace("b-1", "a-1")).unwrap();
        let package = &lock.packages[0];
        assert!(package.builds() && package.wheels.is_empty());
        assert_eq!(package.wheel.path, PathBuf::from("/x/a-1.tar.gz"));
        assert_eq!(package.sdist.as_ref(), Some(&package.wheel));
        let err = sdist(&hashed.replace("b-1", "a-2")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`/x/pylock.toml`: package `a`: its sdist `a-2.tar.gz` is version 2, the package 1"
        );
        let err = Lock::parse(path, "lock-version = \"1.0\"\n[[packages]\n").unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
        let err = Lock::parse(path, "[[packages]]\nname = \"a\"\n").unwrap_err();
        assert!(err.to_string().contains("lock-version"), "{err}");
    }

    const HASH: &str = "44778d82365e4af681c40d5f0eef5cf6f5899d3f0ac335050a7ed6779cf3f674";

    /// A one-package lock with `fields` (TOML lines of the package) and `wheel` (of the wheel).
    fn one(fields: &str, wheel: &str) -> String {
        format!(
            "lock-version = \"1.0\"\n[[packages]]\nname = \"six\"\n{fields}\n[[packages.wheels]]\n{wheel}\n[packages.wheels.hashes]\nsha256 = \"{HASH}\"\n"
        )
    }

    /// Issue 19 §2: what pip and uv write, read exactly.
    #[test]
    fn file_urls_are_percent_decoded_paths() {
        let path = Path::new("/locks/pylock.toml");
        let lock = Lock::parse(
            path,
            &one(
                "version = \"1.16.0+computecanada\"",
                "url = \"file:///wh/six-1.16.0%2Bcomputecanada-py2.py3-none-any.whl\"",
            ),
        )
        .unwrap();
        assert_eq!(
            lock.packages[0].wheel.path,
            PathBuf::from("/wh/six-1.16.0+computecanada-py2.py3-none-any.whl")
        );
        assert_eq!(
            lock.packages[0].wheel.filename,
            "six-1.16.0+computecanada-py2.py3-none-any.whl"
        );
        // No version: the wheel's.
        let lock = Lock::parse(path, &one("", "path = \"six-1.16.0-py3-none-any.whl\"")).unwrap();
        assert_eq!(lock.packages[0].version.to_string(), "1.16.0");
        assert_eq!(
            lock.packages[0].wheel.path,
            PathBuf::from("/locks/six-1.16.0-py3-none-any.whl")
        );
    }

    /// Issue 19 §2: one error per rule, naming the package.
    #[test]
    fn err_locks_that_cannot_be_honoured_are_refused_by_name() {
        let path = Path::new("/locks/pylock.toml");
        let cases = [
            // Six's wheel under another name installed as that name.
            (
                one(
                    "version = \"1.16.0\"",
                    "path = \"tabulate-1.16.0-py3-none-any.whl\"",
                ),
                "is of tabulate, not six",
            ),
            (
                one("version = \"1.15.0\"", "path = \"six-1.16.0-py3-none-any.whl\""),
                "is version 1.16.0, the package 1.15.0",
            ),
            (
                one("version = \"1.16.0\"", "url = \"ftp://files.example/six-1.16.0-py3-none-any.whl\""),
                "wharf takes files by `path`",
            ),
            (
                one("marker = \"(((\"", "path = \"six-1.16.0-py3-none-any.whl\""),
                "invalid marker `(((`",
            ),
            (
                "lock-version = \"1.0\"\n[[packages]]\nname = \"six\"\nvcs = { type = \"git\", url = \"https://example/six\", commit-id = \"abc\" }\n"
                    .to_string(),
                "has a VCS source",
            ),
            (
                "lock-version = \"1.0\"\nenvironments = [\"(((\"]\n".to_string(),
                "`environments` entry `(((`",
            ),
            ("lock-version = \"2.0\"\n".to_string(), "wharf reads lock-version 1.x"),
        ];
        for (text, message) in cases {
            let err = Lock::parse(path, &text).unwrap_err();
            assert!(err.to_string().contains(message), "{message}: {err}");
        }
        // A lock made from an index (`wharf lock -i`): the URL is kept, for `sync` to fetch.
        let remote = Lock::parse(
            path,
            &one(
                "version = \"1.16.0\"",
                "url = \"https://files.example/six-1.16.0-py3-none-any.whl\"",
            ),
        )
        .unwrap();
        assert_eq!(
            remote.packages[0].wheel.url.as_deref(),
            Some("https://files.example/six-1.16.0-py3-none-any.whl")
        );
        let newer = Lock::parse(path, "lock-version = \"1.1\"\n").unwrap();
        assert_eq!(newer.warnings.len(), 1);
    }

    #[test]
    fn set_markers_are_decided_by_the_selection() {
        let groups = vec!["dev".to_string()];
        let extras = vec!["Big_Data".to_string()];
        assert_eq!(
            decide_set_markers("'dev' in dependency_groups", &[], &groups),
            "python_version >= '0'"
        );
        assert_eq!(
            decide_set_markers("\"dev\" not in dependency_groups", &[], &groups),
            "python_version < '0'"
        );
        assert_eq!(
            decide_set_markers(
                "sys_platform == 'linux' and 'big-data' in extras",
                &extras,
                &[]
            ),
            "sys_platform == 'linux' and python_version >= '0'"
        );
        assert_eq!(
            decide_set_markers("'docs' in dependency_groups", &[], &groups),
            "python_version < '0'"
        );
    }
}
