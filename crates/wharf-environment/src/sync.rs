//! `lock` and `sync` over the pipeline: a resolution becomes a [`Lock`]; a lock becomes the
//! [`Resolution`] that [`crate::operations::InstallPlan::from_resolution`] plans exactly.

use std::path::PathBuf;
use std::str::FromStr;

use pep440_rs::Version;
use pep508_rs::PackageName;
use wharf_python::InterpreterInfo;
use wharf_resolve::{Candidate, ResolvedPackage, ResolvedSource};
use wharf_wheel_filename::WheelFilename;

use crate::environment::PythonEnvironment;
use crate::lock::{Lock, LockError};
use crate::operations::{Resolution, TargetResolution};

/// Why a lock cannot be made or synced.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The lock itself.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// The lock was made for another interpreter or platform.
    #[error("the lock `{}` is for {expected}, but the environment has Python {actual} on {platform}", lock.display())]
    OtherEnvironment {
        /// The lock file.
        lock: PathBuf,
        /// Its `environments` markers.
        expected: String,
        /// The environment's Python version.
        actual: String,
        /// The environment's platform (`linux x86_64`).
        platform: String,
    },
    /// A locked wheel does not fit the environment's interpreter (its tags).
    #[error(
        "the locked wheel of {name} (`{filename}`) is not compatible with the environment's Python {python}"
    )]
    IncompatibleWheel {
        /// The package.
        name: PackageName,
        /// The wheel's file name.
        filename: String,
        /// The environment's Python version.
        python: String,
    },
    /// The lock's or a package's `requires-python` excludes the environment's Python.
    #[error("the lock `{}` {what} requires Python {requires_python}, but the environment has Python {actual}", lock.display())]
    RequiresPython {
        /// The lock file.
        lock: PathBuf,
        /// `` ``, or `package NAME`.
        what: String,
        /// The specifiers.
        requires_python: String,
        /// The environment's Python version.
        actual: String,
    },
    /// Two entries of one package apply to the environment (no marker tells them apart).
    #[error("the lock `{}` lists {name} twice for this environment ({first} and {second}); their markers do not tell them apart", lock.display())]
    Duplicate {
        /// The lock file.
        lock: PathBuf,
        /// The package.
        name: PackageName,
        /// The first version.
        first: Version,
        /// The second version.
        second: Version,
    },
    /// A wheel of the wheelhouse could not be hashed while locking (the cause names it).
    #[error("cannot hash a wheel of the wheelhouse")]
    Hash(#[source] std::io::Error),
    /// A resolved version has no wheel among the candidates (an installed version that the
    /// wheelhouse no longer has, with `--from-env`).
    #[error("{name} {version} is installed but the wheelhouse has no compatible wheel of it")]
    NoWheel {
        /// The package.
        name: PackageName,
        /// The version.
        version: Version,
    },
    /// A locked sdist built a wheel of another version than the lock's.
    #[error("the sdist of {name} {locked} built a wheel of version {built}")]
    BuiltVersion {
        /// The package.
        name: PackageName,
        /// The version the lock names.
        locked: Version,
        /// The version the build made.
        built: Version,
    },
}

impl SyncError {
    /// How to fix it.
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::Lock(error) => error.hint(),
            Self::OtherEnvironment { .. } => Some("create the environment with the Python the lock was made for (`wharf venv DIR --python X.Y --from LOCK`; on the cluster `module load python/X.Y`), or re-lock for this one with `wharf lock --python ENV`".to_string()),
            Self::IncompatibleWheel { .. } => Some("re-lock for this interpreter: `wharf lock --python ENV`".to_string()),
            Self::RequiresPython { .. } => Some("use a Python the lock allows (`module load python/X.Y`, `--python`), or re-lock for this one".to_string()),
            Self::Duplicate { .. } => Some("the lock is inconsistent: write it again with the tool that made it".to_string()),
            Self::Hash(_) => None,
            Self::BuiltVersion { .. } => Some("the sdist's build backend computes another version (a dynamic version from a VCS?): ask for a wheel of it, or re-lock".to_string()),
            Self::NoWheel { name, .. } => Some(format!("`wharf install --upgrade {name}` to move to a version the wheelhouse has, then lock again")),
        }
    }
}

/// The `environments` markers of a lock for `info`: what its wheels depend on, the Python
/// `X.Y` (not the patch level: a module update from 3.11.7 to 3.11.9 keeps every lock valid),
/// the implementation and the platform. The platform is `platform_system` and
/// `platform_machine`, one expression each: the only spelling pdm reads (it refuses
/// `sys_platform`), and uv and pip read it too.
pub fn lock_environments(info: &InterpreterInfo) -> Vec<String> {
    let (major, minor) = info.major_minor();
    vec![format!(
        "python_version == '{major}.{minor}' and implementation_name == '{}' and platform_system == '{}' and platform_machine == '{}'",
        info.markers.implementation_name,
        info.markers.platform_system,
        info.markers.platform_machine
    )]
}

/// The `requires-python` of a lock for `info`, ex) `==3.11.*`.
pub fn lock_requires_python(info: &InterpreterInfo) -> String {
    let (major, minor) = info.major_minor();
    format!("=={major}.{minor}.*")
}

/// The best candidate (first find-links directory, best tag) of `name` at `version`; for a
/// version without a local label (a module's `numpy 1.26.4`), the best of its local versions
/// (`1.26.4+computecanada`), as `==1.26.4` would choose.
fn wheel_of<'a>(
    resolution: &'a TargetResolution,
    name: &PackageName,
    version: &Version,
) -> Option<&'a Candidate> {
    let candidates = resolution.candidates.get(name);
    candidates
        .iter()
        .find(|c| &c.filename.version == version)
        .or_else(|| {
            candidates
                .iter()
                .find(|c| same_release(&c.filename.version, version))
        })
}

/// Whether `a` and `b` are one release as PEP 440's `==` without a label has it: equal, or
/// equal public versions where one of them has no local label.
fn same_release(a: &Version, b: &Version) -> bool {
    a == b
        || ((a.local().is_empty() || b.local().is_empty())
            && a.clone().without_local() == b.clone().without_local())
}

/// The lock of a resolution for `info`: every package with its wheel (packages kept from an
/// earlier lock or installation are mapped back to their wheel), hashed in parallel.
///
/// Errors: [`SyncError::NoWheel`], [`SyncError::Hash`].
pub fn lock_from_resolution(
    resolution: &TargetResolution,
    info: &InterpreterInfo,
    digests: &wharf_digest::DigestCache,
) -> Result<Lock, SyncError> {
    let mut wheels = Vec::new();
    let mut remote = Vec::new();
    for package in &resolution.packages {
        // A wheel of a package index: its URL, with the index's hash and size (or the
        // downloaded file's, [`crate::index::fetch_chosen`]).
        if let ResolvedSource::Wheel(candidate) = &package.source
            && let Some(file) = &candidate.remote
        {
            let (sha256, size) = match (&file.sha256, file.size) {
                (Some(sha256), Some(size)) => (sha256.clone(), size),
                _ => crate::lock::sha256_file(&candidate.path).map_err(SyncError::Hash)?,
            };
            let wheel = crate::lock::LockedWheel {
                filename: candidate
                    .path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                path: candidate.path.clone(),
                url: Some(file.url.clone()),
                size,
                sha256,
                extra_hashes: std::collections::BTreeMap::new(),
            };
            remote.push(crate::lock::LockedPackage {
                name: package.name.clone(),
                version: package.version.clone(),
                wheels: vec![wheel.clone()],
                wheel,
                directory: None,
                marker: None,
                requires_python: None,
                sdist: None,
            });
            continue;
        }
        // The version locked is the wheel's own (a module's `1.26.4` is locked as the
        // wheelhouse's `1.26.4+computecanada`, which `sync` finds the module provides).
        let (version, path) = match &package.source {
            // A wheel built from the wheelhouse's sdist: the lock names the sdist.
            ResolvedSource::Wheel(candidate) => (
                package.version.clone(),
                candidate
                    .sdist
                    .clone()
                    .unwrap_or_else(|| candidate.path.clone()),
            ),
            ResolvedSource::Installed { .. } => {
                wheel_of(resolution, &package.name, &package.version)
                    .map(|c| (c.filename.version.clone(), c.path.clone()))
                    .ok_or_else(|| SyncError::NoWheel {
                        name: package.name.clone(),
                        version: package.version.clone(),
                    })?
            }
        };
        wheels.push((package.name.clone(), version, path));
    }
    let mut lock = Lock::from_wheels(
        wheels,
        lock_environments(info),
        Some(lock_requires_python(info)),
        digests,
    )
    .map_err(SyncError::Hash)?;
    lock.packages.extend(remote);
    lock.packages.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(lock)
}

/// The part of `lock` that applies to `environment`, as PEP 751 has a reader choose: the
/// lock's `environments` must hold (parsed strictly when read), its `requires-python` and each
/// applying package's must admit the interpreter, packages whose `marker` is false are left
/// out, and of several wheels the one with the best tags for the interpreter is chosen (the
/// site's policy applied unless `allow_manylinux`). PEP 751's `'x' in extras` and
/// `'g' in dependency_groups` are decided by `selection` (no group asked: the lock's
/// `default-groups`). `lock_path` is named in errors.
///
/// Errors: [`SyncError::OtherEnvironment`], [`SyncError::RequiresPython`],
/// [`SyncError::IncompatibleWheel`], [`SyncError::Duplicate`].
pub fn select_for_environment(
    lock: &Lock,
    lock_path: &std::path::Path,
    environment: &PythonEnvironment,
    allow_manylinux: bool,
    selection: &crate::lock::LockSelection,
) -> Result<Lock, crate::OperationError> {
    let sync = |error: SyncError| crate::OperationError::Sync(error);
    let markers = environment.marker_environment()?;
    let groups = if selection.groups.is_empty() {
        &lock.default_groups
    } else {
        &selection.groups
    };
    let holds = |text: &str| {
        let decided = crate::lock::decide_set_markers(text, &selection.extras, groups);
        wharf_metadata::parse_marker(&decided).is_ok_and(|tree| tree.evaluate(&markers, &[]))
    };
    if !lock.environments.is_empty() && !lock.environments.iter().any(|text| holds(text)) {
        return Err(sync(SyncError::OtherEnvironment {
            lock: lock_path.to_path_buf(),
            expected: lock.environments.join(" or "),
            actual: environment.info.version().to_string(),
            platform: format!(
                "{} {}",
                environment.info.markers.sys_platform, environment.info.markers.platform_machine
            ),
        }));
    }
    let python = environment.python_full_version();
    let admits = |text: &str| {
        pep440_rs::VersionSpecifiers::from_str(text).is_ok_and(|s| s.contains(&python))
    };
    if let Some(text) = &lock.requires_python
        && !admits(text)
    {
        return Err(sync(SyncError::RequiresPython {
            lock: lock_path.to_path_buf(),
            what: String::new(),
            requires_python: text.clone(),
            actual: python.to_string(),
        }));
    }
    let (tags, _) = environment.tags(allow_manylinux);
    let mut selected = Lock {
        environments: lock.environments.clone(),
        requires_python: lock.requires_python.clone(),
        packages: Vec::new(),
        warnings: lock.warnings.clone(),
        default_groups: lock.default_groups.clone(),
    };
    for package in &lock.packages {
        if package
            .marker
            .as_deref()
            .is_some_and(|marker| !holds(marker))
        {
            continue;
        }
        if let Some(text) = &package.requires_python
            && !admits(text)
        {
            return Err(sync(SyncError::RequiresPython {
                lock: lock_path.to_path_buf(),
                what: format!("package {}", package.name),
                requires_python: text.clone(),
                actual: python.to_string(),
            }));
        }
        let best = package
            .wheels
            .iter()
            .filter_map(|wheel| {
                let priority = WheelFilename::from_str(&wheel.filename)
                    .ok()?
                    .compatibility(&tags)?;
                Some((priority, wheel))
            })
            .min_by_key(|(priority, _)| *priority)
            .map(|(_, wheel)| wheel.clone())
            // No wheel fits: the sdist, built once verified (`build_locked_sdists`); a project
            // directory is built too.
            .or_else(|| package.sdist.clone())
            .or_else(|| package.directory.as_ref().map(|_| package.wheel.clone()));
        let Some(wheel) = best else {
            return Err(sync(SyncError::IncompatibleWheel {
                name: package.name.clone(),
                filename: package
                    .wheels
                    .iter()
                    .map(|w| w.filename.clone())
                    .collect::<Vec<_>>()
                    .join("`, `"),
                python: environment.info.version().to_string(),
            }));
        };
        if let Some(first) = selected.packages.iter().find(|p| p.name == package.name) {
            return Err(sync(SyncError::Duplicate {
                lock: lock_path.to_path_buf(),
                name: package.name.clone(),
                first: first.version.clone(),
                second: package.version.clone(),
            }));
        }
        let mut chosen = package.clone();
        chosen.wheel = wheel;
        selected.packages.push(chosen);
    }
    Ok(selected)
}

/// Points every file of `lock` locked at an `http(s)` URL (a lock made from PyPI or another
/// index) to the wheelhouse file of the same name and sha256, when `catalogue` has one: an
/// offline cluster syncs such a lock from the wheelhouse, downloading only what it lacks
/// ([`crate::index::fetch_locked`]). Returns how many were found.
pub fn use_wheelhouse_copies(
    lock: &mut Lock,
    catalogue: &wharf_site::Catalogue,
    digests: &wharf_digest::DigestCache,
) -> usize {
    let by_name: std::collections::HashMap<&std::ffi::OsStr, &std::path::Path> = catalogue
        .entries
        .iter()
        .filter_map(|e| Some((e.path.file_name()?, e.path.as_path())))
        .collect();
    let mut found = 0;
    for package in &mut lock.packages {
        for file in std::iter::once(&mut package.wheel)
            .chain(package.wheels.iter_mut())
            .chain(package.sdist.iter_mut())
        {
            if file.url.is_none() || file.sha256.is_empty() {
                continue;
            }
            let Some(path) = by_name.get(std::ffi::OsStr::new(&file.filename)) else {
                continue;
            };
            if digests
                .sha256(path)
                .is_ok_and(|digest| digest.hex() == file.sha256)
            {
                file.path = path.to_path_buf();
                file.url = None;
                found += 1;
            }
        }
    }
    found
}

/// Builds the sdist of every package of `lock` (already [`select_for_environment`]ed and
/// verified: the sdist's sha256 is the lock's) that has no wheel for the interpreter, and
/// every project directory, through `builder` (its isolated build environment and the build
/// cache); each such package's [`LockedPackage::wheel`](crate::lock::LockedPackage::wheel)
/// becomes the built wheel, with that wheel's own sha256 (what the installer then checks).
/// Returns the projects' wheels, whose `direct_url.json` the plan records
/// ([`crate::operations::InstallPlan::from_resolution_with`]).
///
/// Errors: the build's ([`crate::OperationError::Build`] and the others of
/// [`crate::build::Builder::sdist_wheel`]); the built wheel unreadable.
pub fn build_locked_sdists(
    lock: &mut Lock,
    builder: &crate::build::Builder<'_>,
) -> Result<Vec<crate::direct::LocalWheel>, crate::OperationError> {
    let mut projects = Vec::new();
    for package in lock.packages.iter_mut().filter(|p| p.builds()) {
        let built = match &package.directory {
            // A project directory: built as `wharf install [-e] DIR` builds it, its
            // `direct_url.json` kept for the plan.
            Some(directory) => {
                let reference = crate::direct::DirectRequirement {
                    source: crate::direct::DirectSource::Project(directory.path.clone()),
                    name: Some(package.name.clone()),
                    extras: Vec::new(),
                    marker: None,
                    editable: directory.editable,
                    text: directory.path.display().to_string(),
                    origin: "the lock".to_string(),
                };
                let wheel = builder.local_wheel(&reference)?;
                if !directory.version_given {
                    package.version = wheel.filename.version.clone();
                }
                projects.push(wheel.clone());
                wheel
            }
            None => builder.sdist_wheel(&package.wheel.path)?,
        };
        if built.filename.version != package.version {
            return Err(crate::OperationError::Sync(SyncError::BuiltVersion {
                name: package.name.clone(),
                locked: package.version.clone(),
                built: built.filename.version.clone(),
            }));
        }
        let (sha256, size) = crate::lock::sha256_file(&built.path)
            .map_err(|source| crate::OperationError::Sync(SyncError::Hash(source)))?;
        package.wheel = crate::lock::LockedWheel {
            filename: built
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            path: built.path,
            size,
            sha256,
            ..crate::lock::LockedWheel::default()
        };
    }
    Ok(projects)
}

/// The resolution a lock asks for in `environment`: every locked wheel (of a lock already
/// [`select_for_environment`]ed), except packages that a module provides on `sys.path` outside
/// the environment at the locked release (present, as pip sees them). `lock_path` is named in
/// errors.
///
/// Errors: [`SyncError::IncompatibleWheel`].
pub fn resolution_from_lock(
    lock: &Lock,
    lock_path: &std::path::Path,
    environment: &PythonEnvironment,
    allow_manylinux: bool,
) -> Result<Resolution, crate::OperationError> {
    let _ = lock_path;
    let (tags, _) = environment.tags(allow_manylinux);
    let outside = environment.installed_outside()?;
    let in_env = environment.installed()?;
    let mut packages = Vec::new();
    for locked in &lock.packages {
        // A module's `numpy 1.26.4` provides the locked `1.26.4+computecanada` (the lock
        // pinned the module's release; the module does not carry the site's label).
        let provided = outside.iter().any(|d| {
            PackageName::from_str(&d.name).ok().as_ref() == Some(&locked.name)
                && Version::from_str(&d.version)
                    .is_ok_and(|version| same_release(&version, &locked.version))
        });
        if provided {
            packages.push(ResolvedPackage {
                name: locked.name.clone(),
                version: locked.version.clone(),
                source: ResolvedSource::Installed { in_target: false },
                requested: true,
                requires_dist: None,
            });
            continue;
        }
        let incompatible = || {
            crate::OperationError::Sync(SyncError::IncompatibleWheel {
                name: locked.name.clone(),
                filename: locked.wheel.filename.clone(),
                python: environment.info.version().to_string(),
            })
        };
        let filename =
            WheelFilename::from_str(&locked.wheel.filename).map_err(|_| incompatible())?;
        let tag_priority = filename.compatibility(&tags).ok_or_else(incompatible)?;
        packages.push(ResolvedPackage {
            name: locked.name.clone(),
            version: locked.version.clone(),
            source: ResolvedSource::Wheel(Box::new(Candidate {
                filename,
                path: locked.wheel.path.clone(),
                find_link: 0,
                tag_priority,
                sdist: None,
                direct: false,
                remote: None,
            })),
            requested: true,
            requires_dist: None,
        });
    }
    Ok(Resolution {
        packages,
        installed: in_env,
    })
}

/// The lock that a hashed requirements file (`name==version --hash=sha256:…` on every line,
/// as `wharf lock --format requirements.txt` and `pip-compile --generate-hashes` write)
/// stands for: each line's wheel is the file of the `catalogue` with that name and version
/// whose sha256 is one of the line's hashes.
///
/// Errors: [`crate::OperationError::RequirementsFile`], [`crate::OperationError::Sync`] with
/// [`LockError::Package`] for a line that is not pinned, has no sha256 hash, or whose hash
/// no wheel of the wheelhouse has. Wheels are hashed through `digests`.
pub fn lock_from_hashed_requirements(
    path: &std::path::Path,
    catalogue: &wharf_site::Catalogue,
    lookup: &dyn Fn(&str) -> Option<String>,
    digests: &wharf_digest::DigestCache,
) -> Result<Lock, crate::OperationError> {
    let file = wharf_requirements_txt::RequirementsTxt::parse_file(path, lookup)?;
    let mut wheels = Vec::new();
    for entry in &file.requirements {
        let bad = |reason: String| {
            crate::OperationError::Sync(SyncError::Lock(LockError::Package {
                path: path.to_path_buf(),
                package: entry.text.clone(),
                reason,
            }))
        };
        let requirement =
            crate::operations::parse_requirement(&entry.text, &entry.origin.to_string())?;
        let version = match &requirement.version_or_url {
            Some(pep508_rs::VersionOrUrl::VersionSpecifier(specifiers))
                if specifiers.len() == 1
                    && matches!(
                        specifiers
                            .iter()
                            .next()
                            .map(pep440_rs::VersionSpecifier::operator),
                        Some(pep440_rs::Operator::Equal | pep440_rs::Operator::ExactEqual)
                    ) =>
            {
                specifiers.iter().next().map(|s| s.version().clone())
            }
            _ => None,
        }
        .ok_or_else(|| bad("not pinned with `==`; a lock pins every package".to_string()))?;
        let hashes: Vec<String> = entry
            .hashes
            .iter()
            .filter_map(|h| h.strip_prefix("sha256:").map(str::to_ascii_lowercase))
            .collect();
        if hashes.is_empty() {
            return Err(bad("has no `--hash=sha256:…`".to_string()));
        }
        let mut found = None;
        for candidate in catalogue
            .entries
            .iter()
            .filter(|e| e.filename.name == requirement.name && e.filename.version == version)
        {
            let sha256 = digests
                .sha256(&candidate.path)
                .map_err(|e| crate::OperationError::Sync(SyncError::Hash(e)))?
                .hex();
            if hashes.contains(&sha256) {
                found = Some(candidate.path.clone());
                break;
            }
        }
        let wheel = found.ok_or_else(|| {
            bad(format!(
                "no wheel of {} {version} in the wheelhouse has the locked hash",
                requirement.name
            ))
        })?;
        wheels.push((requirement.name.clone(), version, wheel));
    }
    Lock::from_wheels(wheels, Vec::new(), None, digests)
        .map_err(|e| crate::OperationError::Sync(SyncError::Hash(e)))
}

/// The versions of an existing lock to keep when re-locking (`--upgrade-package`): every
/// package but those in `upgrade`, as preferences the resolver keeps unless a requirement
/// forbids them, each with its `Requires-Dist` read from the locked wheel (so that its
/// dependencies stay in the lock).
///
/// Errors: [`SyncError::Lock`] when a locked wheel's metadata cannot be read (gone: the fix
/// is a fresh lock), or its path is not a regular file (`lock_path` names the lock).
pub fn preferences_from_lock(
    lock: &Lock,
    lock_path: &std::path::Path,
    upgrade: &[PackageName],
) -> Result<Vec<wharf_resolve::Installed>, SyncError> {
    lock.packages
        .iter()
        .filter(|p| !upgrade.contains(&p.name))
        .map(|p| {
            // A FIFO would block the zip reader's open, a device never end.
            p.open_wheel(lock_path)?;
            let metadata = wharf_metadata::read_metadata(&p.wheel.path).map_err(|e| {
                SyncError::Lock(LockError::WheelChanged {
                    name: p.name.clone(),
                    version: p.version.clone(),
                    path: p.wheel.path.clone(),
                    problem: format!("cannot be read ({e})"),
                })
            })?;
            Ok(wharf_resolve::Installed {
                name: p.name.clone(),
                version: p.version.clone(),
                requires_dist: metadata.requires_dist,
                in_target: true,
            })
        })
        .collect()
}
