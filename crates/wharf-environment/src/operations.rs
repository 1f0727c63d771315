//! The pipeline every environment command runs: requirements ▸ candidates ▸ resolution ▸
//! plan ▸ transaction, and `check` (the model is uv's `commands/pip/operations.rs`).
//!
//! `install`, `venv --seed`, and the commands built on them (`lock`, `sync`, `venv --from`,
//! build isolation, `doctor`) are short compositions of these functions:
//!
//! ```text
//! read_requirements ─▶ Requirements ─┐
//! Sources::catalogue ─▶ Catalogue ───┼─▶ resolve ─▶ Resolution ─▶ InstallPlan::from_resolution
//! PythonEnvironment ─────────────────┘                                   └─▶ execute ─▶ InstallOutput
//! ```

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::{MarkerEnvironment, PackageName, Requirement, VersionOrUrl};
use rayon::prelude::*;
use wharf_install::{
    InstallOptions, InstallOutput, InstalledDist, InstalledSnapshot, Plan, WheelCache, WheelInstall,
};
use wharf_requirements_txt::{FileKind, RequirementsTxt};
use wharf_resolve::{CandidateSet, ResolveError, ResolveOptions, ResolvedPackage, ResolverEnv};
use wharf_site::{Catalogue, FindLink, FindLinks, ScanWarning};

use crate::build::Builder;
use crate::direct::{self, DirectRequirement, LocalWheel};
use crate::environment::PythonEnvironment;
use crate::error::{Diagnostic, OperationError};
use crate::index::IndexSource;

/// What the user asked for: requirements, constraints, and the extra `--find-links` that
/// requirements files named (`-f DIR` lines).
#[derive(Debug, Clone, Default)]
pub struct Requirements {
    /// Requirements, in order: command line first, then files.
    pub requirements: Vec<Requirement>,
    /// Constraints (`-c` files, the pip config's `constraint`).
    pub constraints: Vec<Requirement>,
    /// `--find-links` lines of the files read.
    pub find_links: Vec<PathBuf>,
    /// Requirements that name a file or directory (wheel, project, sdist, `-e DIR`), to be
    /// turned into [`Requirements::local_wheels`] by [`prepare_direct`].
    pub direct: Vec<DirectRequirement>,
    /// The wheels that stand for the direct references: each is the only candidate of its
    /// project in the resolution.
    pub local_wheels: Vec<LocalWheel>,
    /// The `--hash` values of each requirement that has some (`ALGORITHM:DIGEST`), with the
    /// line they came from, for pip's hash-checking mode ([`check_hashes`]).
    pub hashes: Vec<HashedRequirement>,
    /// A `--require-hashes` line in a file read.
    pub require_hashes: bool,
    /// pip's `--only-binary`/`--no-binary` (from the files read, then the command line):
    /// projects never built from their sdist, or never installed from a wheel (`:all:` for
    /// every one).
    pub format_control: wharf_requirements_txt::FormatControl,
    /// pip's `--prefer-binary` (a file's line, or the command line): any wheel before an sdist.
    pub prefer_binary: bool,
    /// Package indexes (PEP 503/691) searched with the find-links directories (`-i`,
    /// `--extra-index-url`): their wheels are candidates too ([`crate::index::IndexSource`]).
    pub index: Option<std::sync::Arc<crate::index::PackageIndex>>,
}

impl Requirements {
    /// The resolver's view of [`Requirements::format_control`] and
    /// [`Requirements::prefer_binary`].
    pub fn binary_policy(&self) -> wharf_resolve::BinaryPolicy {
        wharf_resolve::BinaryPolicy {
            no_binary: self.format_control.no_binary.clone(),
            only_binary: self.format_control.only_binary.clone(),
            prefer_binary: self.prefer_binary,
        }
    }
}

/// A requirement of a file and its `--hash` values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashedRequirement {
    /// The requirement.
    pub requirement: Requirement,
    /// `ALGORITHM:DIGEST` values, ex) `sha256:2cf2…`.
    pub hashes: Vec<String>,
    /// The file and line, ex) `requirements.txt:3`.
    pub origin: String,
}

impl Requirements {
    /// Whether pip's hash-checking mode is on: `--require-hashes` (`explicit`, from the
    /// command line or `PIP_REQUIRE_HASHES`, or a line of a file), or any `--hash` at all.
    pub fn hash_checking(&self, explicit: bool) -> bool {
        explicit || self.require_hashes || !self.hashes.is_empty()
    }
}

/// pip's hash-checking mode over a plan (pip's "Secure installs"): every wheel the plan
/// installs must be of a requirement with `--hash` values, and its bytes must have one of them
/// (sha256, sha384 or sha512, read through `digests`). As pip 26, a requirement with hashes
/// need not be pinned with `==`: the hash pins the file. Each checked wheel's sha256 is then set on the plan, so
/// the installer refuses other bytes than the ones checked here. Nothing is changed before.
///
/// Errors: [`OperationError::HashMissing`] (exit 2: the request is incomplete), [`OperationError::HashMismatch`] (exit 1: the file is not the one
/// the requirements name).
pub fn check_hashes(
    requirements: &Requirements,
    plan: &mut InstallPlan,
    digests: &wharf_digest::DigestCache,
) -> Result<(), OperationError> {
    let mut missing = Vec::new();
    let mut checks = Vec::new();
    for (install, change) in
        plan.plan
            .install
            .iter()
            .zip(plan.changes.iter().filter_map(|c| match c {
                Change::Install { name, .. } => Some(name),
                Change::Remove { .. } => None,
            }))
    {
        match requirements
            .hashes
            .iter()
            .find(|h| &h.requirement.name == change)
        {
            Some(hashed) => checks.push((install.path.clone(), hashed)),
            None => missing.push(change.to_string()),
        }
    }
    if !missing.is_empty() {
        return Err(OperationError::HashMissing { names: missing });
    }
    // A requirement with `sha256` values is checked by the installer on the digest it takes
    // while reading the wheel to unpack it (one read, before anything is committed); only
    // one with sha384/sha512 values alone is read here first.
    let (deferred, checks): (Vec<_>, Vec<_>) = checks
        .into_iter()
        .partition(|(_, hashed)| hashed.hashes.iter().any(|h| h.starts_with("sha256:")));
    for (path, hashed) in deferred {
        plan.hash_origins.insert(path, (*hashed).clone());
    }
    for install in &mut plan.plan.install {
        if let Some(hashed) = plan.hash_origins.get(&install.path) {
            install.accepted_sha256 = hashed
                .hashes
                .iter()
                .filter_map(|h| h.strip_prefix("sha256:"))
                .map(str::to_ascii_lowercase)
                .collect();
        }
    }
    let digests_of: Vec<Result<String, OperationError>> = checks
        .par_iter()
        .map(|(path, hashed)| {
            let io = |source: std::io::Error| OperationError::HashRead {
                wheel: path.clone(),
                source,
            };
            let mut found = Vec::new();
            let mut sha256 = String::new();
            for algorithm in ["sha256", "sha384", "sha512"] {
                let wanted: Vec<&str> = hashed
                    .hashes
                    .iter()
                    .filter_map(|h| h.strip_prefix(algorithm)?.strip_prefix(':'))
                    .collect();
                if wanted.is_empty() && algorithm != "sha256" {
                    continue;
                }
                let actual = if algorithm == "sha256" {
                    let digest = digests.sha256(path).map_err(io)?;
                    sha256 = digest.hex();
                    digest.hex()
                } else {
                    file_digest(path, algorithm).map_err(io)?
                };
                if wanted.iter().any(|w| w.eq_ignore_ascii_case(&actual)) {
                    return sha256_or(&sha256, path, digests).map_err(io);
                }
                found.push(format!("{algorithm}:{actual}"));
            }
            Err(OperationError::HashMismatch {
                wheel: path.clone(),
                origin: hashed.origin.clone(),
                expected: hashed.hashes.clone(),
                actual: found,
            })
        })
        .collect();
    let mut verified = HashMap::new();
    for ((path, _), digest) in checks.iter().zip(digests_of) {
        verified.insert(path.clone(), digest?);
    }
    for install in &mut plan.plan.install {
        if let Some(sha256) = verified.get(&install.path) {
            install.sha256 = Some(sha256.clone());
        }
    }
    Ok(())
}

/// The sha256 already taken (`known`), else the file's.
fn sha256_or(
    known: &str,
    path: &Path,
    digests: &wharf_digest::DigestCache,
) -> std::io::Result<String> {
    if known.is_empty() {
        Ok(digests.sha256(path)?.hex())
    } else {
        Ok(known.to_string())
    }
}

/// The `algorithm` (`sha384` or `sha512`) digest of the regular file at `path`, hex.
fn file_digest(path: &Path, algorithm: &str) -> std::io::Result<String> {
    use sha2::Digest as _;
    use std::io::Read as _;
    fn feed(file: &mut std::fs::File, mut update: impl FnMut(&[u8])) -> std::io::Result<()> {
        let mut buffer = vec![0u8; 256 * 1024];
        loop {
            match file.read(&mut buffer) {
                Ok(0) => return Ok(()),
                Ok(n) => update(&buffer[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
    let (mut file, _) = wharf_digest::open_regular(path)?;
    Ok(if algorithm == "sha384" {
        let mut hasher = sha2::Sha384::new();
        feed(&mut file, |bytes| hasher.update(bytes))?;
        data_encoding::HEXLOWER.encode(&hasher.finalize())
    } else {
        let mut hasher = sha2::Sha512::new();
        feed(&mut file, |bytes| hasher.update(bytes))?;
        data_encoding::HEXLOWER.encode(&hasher.finalize())
    })
}

/// Where requirements come from.
#[derive(Debug, Clone, Copy)]
pub struct RequirementSources<'a> {
    /// Requirement texts given as arguments, ex) `numpy>=1.26`.
    pub packages: &'a [String],
    /// `-r` files (pip's format; a `pyproject.toml` is read for `[project].dependencies`).
    pub requirement_files: &'a [PathBuf],
    /// `-c` files.
    pub constraint_files: &'a [PathBuf],
    /// `-e DIR` arguments: projects installed in editable mode (PEP 660).
    pub editables: &'a [String],
}

/// Parses one PEP 508 requirement, naming its origin in the error.
///
/// Errors: [`OperationError::InvalidRequirement`].
pub fn parse_requirement(text: &str, origin: &str) -> Result<Requirement, OperationError> {
    wharf_metadata::parse_requirement(text).map_err(|e| OperationError::InvalidRequirement {
        text: text.to_string(),
        origin: origin.to_string(),
        message: e.to_string(),
    })
}

/// The standard input as requirements text, at most 16 MiB (a file that large is no
/// requirements file).
fn read_stdin() -> Result<String, OperationError> {
    use std::io::Read as _;
    const MAX_STDIN_BYTES: u64 = 16 * 1024 * 1024;
    let mut bytes = Vec::new();
    let read = std::io::stdin()
        .lock()
        .take(MAX_STDIN_BYTES + 1)
        .read_to_end(&mut bytes);
    let invalid = |message: String| OperationError::InvalidRequirement {
        text: "-".to_string(),
        origin: "the standard input".to_string(),
        message,
    };
    read.map_err(|e| invalid(format!("cannot read it: {e}")))?;
    if bytes.len() as u64 > MAX_STDIN_BYTES {
        return Err(invalid("larger than 16 MiB".to_string()));
    }
    String::from_utf8(bytes).map_err(|_| invalid("not UTF-8 text".to_string()))
}

/// Reads requirements and constraints from arguments and files (`-` for the standard input;
/// `${VAR}` references looked up with `lookup`, pip's rule).
///
/// Paths, `name @ file:///…` and `-e DIR` go to [`Requirements::direct`] (relative paths
/// against the current directory, as pip does).
///
/// Errors: [`OperationError::RequirementsFile`], [`OperationError::InvalidRequirement`],
/// [`OperationError::Direct`].
pub fn read_requirements(
    sources: RequirementSources<'_>,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Requirements, OperationError> {
    let mut files = RequirementsTxt::default();
    for file in sources.requirement_files {
        // `-r -`: the standard input (uv's `pip compile -`), its includes relative to the
        // current directory.
        if file.as_os_str() == "-" {
            files.add_str(&read_stdin()?, file, FileKind::Requirements, lookup)?;
        } else {
            files.add_file(file, FileKind::Requirements, lookup)?;
        }
    }
    for file in sources.constraint_files {
        files.add_file(file, FileKind::Constraints, lookup)?;
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut out = Requirements::default();
    for text in sources.editables {
        out.direct
            .push(direct::parse_direct(text, true, "command line", &cwd)?);
    }
    for entry in &files.editables {
        out.direct.push(direct::parse_direct(
            &entry.text,
            true,
            &entry.origin.to_string(),
            &cwd,
        )?);
    }
    for text in sources.packages {
        if direct::is_direct(text) {
            out.direct
                .push(direct::parse_direct(text, false, "command line", &cwd)?);
        } else {
            out.requirements
                .push(parse_requirement(text, "command line")?);
        }
    }
    for entry in &files.requirements {
        if !entry.hashes.is_empty() && !entry.is_url_or_path {
            out.hashes.push(HashedRequirement {
                requirement: parse_requirement(&entry.text, &entry.origin.to_string())?,
                hashes: entry.hashes.clone(),
                origin: entry.origin.to_string(),
            });
        }
        if entry.is_url_or_path {
            out.direct.push(direct::parse_direct(
                &entry.text,
                false,
                &entry.origin.to_string(),
                &cwd,
            )?);
        } else {
            out.requirements
                .push(parse_requirement(&entry.text, &entry.origin.to_string())?);
        }
    }
    for entry in &files.constraints {
        out.constraints
            .push(parse_requirement(&entry.text, &entry.origin.to_string())?);
    }
    out.find_links = files.options.find_links.iter().map(PathBuf::from).collect();
    out.require_hashes = files.options.require_hashes;
    out.format_control = files.options.format_control.clone();
    out.prefer_binary = files.options.prefer_binary;
    Ok(out)
}

/// Turns every direct reference of `requirements` (whose marker holds for the environment)
/// into a local wheel — the wheel file, or the wheel `builder` builds — and a requirement
/// by name for the resolver.
///
/// Errors: [`OperationError::Direct`], [`OperationError::Build`],
/// [`OperationError::BuildDependencies`].
pub fn prepare_direct(
    requirements: &mut Requirements,
    builder: &Builder<'_>,
    markers: &MarkerEnvironment,
) -> Result<(), OperationError> {
    for reference in std::mem::take(&mut requirements.direct) {
        if !reference.applies(markers) {
            continue;
        }
        let wheel = builder.local_wheel(&reference)?;
        requirements
            .requirements
            .push(reference.named_requirement(&wheel.name));
        requirements.local_wheels.push(wheel);
    }
    Ok(())
}

/// The wheel sources: find-links directories in priority order.
#[derive(Debug, Clone)]
pub struct Sources {
    /// The directories, most specific first.
    pub find_links: FindLinks,
    /// Threads for the scan.
    pub threads: usize,
    /// Where the catalogue index is cached (`None`: no cache).
    pub index_dir: Option<PathBuf>,
}

impl Sources {
    /// The same sources with `extra` directories appended (lowest priority), ex) `-f` lines of
    /// requirements files.
    pub fn with_extra(mut self, extra: &[PathBuf]) -> Self {
        for dir in extra {
            self.find_links.0.push(FindLink::with_origin(
                dir,
                wharf_site::FindLinkOrigin::RequirementsFile,
            ));
        }
        self
    }

    /// Scans every source into one catalogue (junk files and unreadable directories are
    /// reported in [`Catalogue::warnings`], never fatal).
    pub fn catalogue(&self) -> Catalogue {
        Catalogue::scan_with_index(
            self.find_links.clone(),
            self.threads,
            |_| true,
            self.index_dir.as_deref(),
        )
    }
}

/// The warnings of a catalogue scan worth showing: every one but plain non-wheel files.
pub fn notable_warnings(catalogue: &Catalogue) -> impl Iterator<Item = &ScanWarning> {
    catalogue
        .warnings
        .iter()
        .filter(|w| !matches!(w, ScanWarning::NotAWheel { .. }))
}

/// How to resolve.
#[derive(Debug, Clone, Copy, Default)]
pub struct ResolvePolicy {
    /// `--upgrade`: prefer the newest versions over installed ones.
    pub upgrade: bool,
    /// `--upgrade-strategy eager`: with `upgrade`, for the dependencies too.
    pub upgrade_eager: bool,
    /// `--reinstall`: requested packages are installed again even when present.
    pub reinstall: bool,
    /// `--no-deps`: only the requested packages.
    pub no_deps: bool,
    /// `--pre`: allow pre-releases.
    pub prerelease: bool,
    /// `--allow-manylinux`: accept manylinux wheels the site's `_manylinux` policy refuses.
    pub allow_manylinux: bool,
}

/// A resolution for an environment: every package of the solution, and what the
/// environment held when it was computed (for planning).
#[derive(Debug)]
pub struct Resolution {
    /// The packages, in name order, requested ones flagged.
    pub packages: Vec<ResolvedPackage>,
    /// Distributions installed in the environment when resolving.
    pub installed: Vec<InstalledDist>,
}

/// The extras that `requirements` ask of a resolved wheel whose `METADATA` has no such
/// `Provides-Extra`, as pip and uv warn: ex) `six 1.16.0+computecanada does not provide the
/// extra `foo``. Installed (kept) distributions are not read.
pub fn missing_extras(requirements: &Requirements, packages: &[ResolvedPackage]) -> Vec<String> {
    let normalized = |text: &str| text.to_ascii_lowercase().replace(['_', '.'], "-");
    let mut warnings = Vec::new();
    for requirement in &requirements.requirements {
        if requirement.extras.is_empty() {
            continue;
        }
        let Some(package) = packages.iter().find(|p| p.name == requirement.name) else {
            continue;
        };
        let wharf_resolve::ResolvedSource::Wheel(candidate) = &package.source else {
            continue;
        };
        let Ok(metadata) = wharf_metadata::read_metadata(&candidate.path) else {
            continue;
        };
        for extra in &requirement.extras {
            if !metadata
                .provides_extra
                .iter()
                .any(|provided| normalized(provided) == normalized(extra.as_ref()))
            {
                warnings.push(format!(
                    "{} {} does not provide the extra `{extra}`",
                    package.name, package.version
                ));
            }
        }
    }
    warnings
}

/// What a resolution is computed for: an interpreter's tags under the site's policy, its
/// markers and version (`wharf lock` resolves for an interpreter, `install` for a venv's).
#[derive(Debug, Clone)]
pub struct ResolveTarget {
    /// Compatible tags, the site's policy applied.
    pub tags: wharf_wheel_filename::Tags,
    /// The full set when the policy removed manylinux tags (to explain refusals).
    pub manylinux_tags: Option<wharf_wheel_filename::Tags>,
    /// PEP 508 marker values.
    pub markers: MarkerEnvironment,
    /// `3.11.7` as a PEP 440 version.
    pub python_full_version: Version,
    /// `(3, 11)`.
    pub python_version: (u8, u8),
}

impl ResolveTarget {
    /// The target of an interpreter's probe.
    ///
    /// Errors: [`OperationError::Environment`] when the probe's markers are invalid.
    pub fn from_info(
        info: &wharf_python::InterpreterInfo,
        allow_manylinux: bool,
    ) -> Result<Self, OperationError> {
        let (tags, manylinux_tags) = info.tags(allow_manylinux);
        let (major, minor) = info.major_minor();
        Ok(Self {
            tags,
            manylinux_tags,
            markers: info
                .marker_environment()
                .map_err(|e| OperationError::Environment(e.into()))?,
            python_full_version: Version::from_str(info.version())
                .unwrap_or_else(|_| Version::new([3])),
            python_version: (
                u8::try_from(major).unwrap_or(3),
                u8::try_from(minor).unwrap_or(0),
            ),
        })
    }
}

/// Another target than an interpreter's own, as `pip download` describes one
/// (`--python-version`, `--platform`, `--abi`): each field left empty keeps the interpreter's.
#[derive(Debug, Clone, Default)]
pub struct TargetOverrides {
    /// `--python-version`, ex) `(3, 12)`: CPython tags and markers of that version.
    pub python_version: Option<(u8, u8)>,
    /// `--platform`, ex) `manylinux_2_17_x86_64`, best first.
    pub platforms: Vec<wharf_wheel_filename::PlatformTag>,
    /// `--abi`, ex) `cp312`, best first (`abi3` and `none` are always accepted).
    pub abis: Vec<wharf_wheel_filename::AbiTag>,
}

impl TargetOverrides {
    /// Whether any field is set (the target is then not the interpreter's).
    pub fn is_empty(&self) -> bool {
        self.python_version.is_none() && self.platforms.is_empty() && self.abis.is_empty()
    }
}

impl ResolveTarget {
    /// The target of an interpreter's probe with `overrides` (manylinux always accepted: the
    /// files are for another machine, or for the site to review): CPython tags of the
    /// version, ABIs and platforms given (else the interpreter's), and its markers with
    /// `python_version`/`python_full_version` of the version given.
    ///
    /// Errors: [`OperationError::Environment`] when the probe's markers are invalid.
    pub fn with_overrides(
        info: &wharf_python::InterpreterInfo,
        overrides: &TargetOverrides,
    ) -> Result<Self, OperationError> {
        let mut target = Self::from_info(info, true)?;
        if overrides.is_empty() {
            return Ok(target);
        }
        let version = overrides.python_version.unwrap_or(target.python_version);
        let abis = if !overrides.abis.is_empty() {
            overrides.abis.clone()
        } else if overrides.python_version.is_some() {
            wharf_wheel_filename::Tags::cpython_default_abis(version)
        } else {
            info.abi_tags()
        };
        let platforms = if overrides.platforms.is_empty() {
            let glibc = info
                .glibc()
                .and_then(|(a, b)| Some((u16::try_from(a).ok()?, u16::try_from(b).ok()?)));
            wharf_wheel_filename::PlatformTag::linux_platforms(
                &info.markers.platform_machine,
                glibc,
            )
        } else {
            overrides.platforms.clone()
        };
        target.tags = wharf_wheel_filename::Tags::cpython(version, &abis, &platforms, true);
        target.manylinux_tags = None;
        if overrides.python_version.is_some() {
            let short = format!("{}.{}", version.0, version.1);
            let mut info = info.clone();
            info.markers.python_version.clone_from(&short);
            info.markers.python_full_version = short;
            target.markers = info
                .marker_environment()
                .map_err(|e| OperationError::Environment(e.into()))?;
            target.python_full_version = Version::new([u64::from(version.0), u64::from(version.1)]);
            target.python_version = version;
        }
        Ok(target)
    }
}

/// A resolution for a target, with the candidates it chose from (to find the wheel of a
/// version kept from an earlier lock or installation).
#[derive(Debug)]
pub struct TargetResolution {
    /// The packages, in name order.
    pub packages: Vec<ResolvedPackage>,
    /// The acceptable wheels of every project.
    pub candidates: CandidateSet,
}

/// Resolves `requirements` against the `catalogue` for `target`, counting `installed`
/// distributions (kept unless `--upgrade`; `in_target: false` ones are provided on
/// `sys.path` by modules). With a `builder`, the wheelhouse's sdists are candidates too (built
/// only when chosen); without one, wheels only.
///
/// Errors: [`OperationError::NoSolution`] with the derivation and, for each package without
/// an acceptable wheel, what exists instead and the fix; [`OperationError::Resolve`].
pub fn resolve_for(
    requirements: &Requirements,
    target: &ResolveTarget,
    installed: &[wharf_resolve::Installed],
    catalogue: &Catalogue,
    policy: &ResolvePolicy,
    builder: Option<&Builder<'_>>,
) -> Result<TargetResolution, OperationError> {
    let mut candidates = CandidateSet::new(catalogue, &target.tags, target.manylinux_tags.as_ref());
    // A local wheel is the only candidate of its project; an installed distribution of it is
    // kept only when it is the same version and the wheel is the user's file (pip's rule).
    let mut installed = installed.to_vec();
    for wheel in &requirements.local_wheels {
        candidates.by_name.insert(
            wheel.name.clone(),
            vec![wharf_resolve::Candidate {
                filename: wheel.filename.clone(),
                path: wheel.path.clone(),
                find_link: 0,
                tag_priority: wheel.tag_priority,
                sdist: None,
                direct: true,
                remote: None,
            }],
        );
        candidates.rejected.remove(&wheel.name);
        installed.retain(|i| {
            i.name != wheel.name
                || (i.in_target && !wheel.always_reinstall && i.version == wheel.filename.version)
        });
    }
    let installed = installed.as_slice();
    let env = ResolverEnv {
        python_full_version: target.python_full_version.clone(),
        markers: target.markers.clone(),
    };
    let options = ResolveOptions {
        upgrade: policy.upgrade,
        upgrade_eager: policy.upgrade_eager,
        reinstall: policy.reinstall,
        no_deps: policy.no_deps,
        prerelease: policy.prerelease,
        binary: requirements.binary_policy(),
    };
    let sdists = builder.map(|builder| SdistBuilds {
        builder,
        failure: RefCell::new(None),
    });
    // With package indexes, their wheels join the find-links candidates (one source).
    let index_source = requirements.index.as_deref().map(|index| {
        crate::index::IndexSource::new(
            index,
            &candidates,
            &target.tags,
            target.manylinux_tags.as_ref(),
            &target.python_full_version,
            &requirements.requirements,
        )
    });
    // The roots' pages are fetched together (then each version's dependencies, as read).
    let index_source = index_source.map(|source| {
        let source = source.with_prefetch(&target.markers);
        source.prefetch(
            requirements
                .requirements
                .iter()
                .filter(|r| r.evaluate_markers(&target.markers, &[]))
                .map(|r| &r.name),
        );
        source
    });
    let source: &dyn wharf_resolve::CandidateSource = match &index_source {
        Some(index_source) => index_source,
        None => &candidates,
    };
    let resolved = wharf_resolve::resolve(
        &requirements.requirements,
        &requirements.constraints,
        source,
        installed,
        &env,
        &options,
        sdists
            .as_ref()
            .map(|s| s as &dyn wharf_resolve::SdistBuilder),
    );
    // The index's own error (its URL, its hint), not the resolver's summary of it.
    if let Some(failure) = index_source.as_ref().and_then(IndexSource::take_failure)
        && matches!(resolved, Err(ResolveError::Source { .. }))
    {
        return Err(OperationError::Index(failure));
    }
    match resolved {
        Ok(packages) => Ok(TargetResolution {
            packages,
            candidates,
        }),
        Err(ResolveError::NoSolution {
            report,
            unavailable,
            requires_python,
        }) => {
            let mut diagnostics = Vec::new();
            for name in &unavailable {
                let from_index = index_source
                    .as_ref()
                    .map(|s| s.explain(name))
                    .unwrap_or_default();
                let in_wheelhouse = !candidates.get(name).is_empty()
                    || candidates.rejected.contains_key(name)
                    || !candidates.sdists_of(name).is_empty();
                // A project only an index has: what the index offers, not "no wheel named
                // … in the wheelhouse".
                let local = if in_wheelhouse
                    || from_index.is_empty()
                    || !catalogue.find_links.is_empty()
                        && from_index
                            .first()
                            .is_some_and(|l| l.starts_with("no project "))
                {
                    wharf_resolve::explain_unavailable(
                        name,
                        &candidates,
                        &target.python_full_version,
                    )
                } else {
                    Vec::new()
                };
                for line in local {
                    let not_named = line.starts_with("no wheel named ");
                    diagnostics.push(match line.strip_prefix("hint: ") {
                        Some(hint) => Diagnostic::Hint(hint.to_string()),
                        None => Diagnostic::Detail(line),
                    });
                    if not_named {
                        diagnostics.extend(where_wharf_looked(name, catalogue));
                    }
                }
                for line in from_index {
                    diagnostics.push(match line.strip_prefix("hint: ") {
                        Some(hint) => Diagnostic::Hint(hint.to_string()),
                        None => Diagnostic::Detail(line),
                    });
                }
            }
            // Those of projects without a usable wheel are among their `excluded:` lines.
            for (name, version, requires) in requires_python
                .iter()
                .filter(|(n, ..)| !unavailable.contains(n))
            {
                diagnostics.push(Diagnostic::Detail(format!(
                    "{name} {version} requires Python {requires}; the environment has Python {}",
                    target.python_full_version
                )));
            }
            if !requires_python.is_empty()
                || diagnostics.iter().any(|d| {
                    matches!(d, Diagnostic::Detail(line) if line.starts_with("excluded: ") && line.contains(" requires Python "))
                })
            {
                diagnostics.push(Diagnostic::Hint(
                    "create the environment with a Python that satisfies it (`wharf python list`, `module load python/X.Y`), or pin an older version".to_string(),
                ));
            }
            Err(OperationError::NoSolution {
                report,
                diagnostics,
            })
        }
        // The build's own error (its log, its hint), not the resolver's summary of it.
        Err(e @ ResolveError::Build { .. }) => Err(sdists
            .and_then(|s| s.failure.into_inner())
            .unwrap_or(OperationError::Resolve(e))),
        Err(e) => Err(OperationError::Resolve(e)),
    }
}

/// For a project the catalogue has no file of: the names like it (a typo, as `wharf avail
/// --explain` finds them) and every directory searched with where it was configured.
fn where_wharf_looked(name: &PackageName, catalogue: &Catalogue) -> Vec<Diagnostic> {
    let mut lines = Vec::new();
    let similar = wharf_site::similar_names(
        name.as_ref(),
        catalogue.entries.iter().map(|e| e.filename.name.as_ref()),
    );
    if !similar.is_empty() {
        lines.push(Diagnostic::Detail(format!(
            "similar names in the wheelhouse: {}",
            similar.join(", ")
        )));
    }
    let count = catalogue.find_links.len();
    lines.push(Diagnostic::Detail(format!(
        "searched {count} {}:",
        if count == 1 {
            "directory"
        } else {
            "directories"
        }
    )));
    for link in catalogue.find_links.iter() {
        let missing = if link.path.is_dir() {
            ""
        } else {
            ", does not exist"
        };
        lines.push(Diagnostic::Detail(match &link.origin {
            Some(origin) => format!("  {} (from {origin}{missing})", link.path.display()),
            None if missing.is_empty() => format!("  {}", link.path.display()),
            None => format!("  {} (does not exist)", link.path.display()),
        }));
    }
    lines
}

/// The resolver's [`wharf_resolve::SdistBuilder`] over a [`Builder`]: a build's error is kept
/// whole for the caller.
struct SdistBuilds<'b, 'e> {
    builder: &'b Builder<'e>,
    failure: RefCell<Option<OperationError>>,
}

impl wharf_resolve::SdistBuilder for SdistBuilds<'_, '_> {
    fn build(
        &self,
        sdist: &wharf_resolve::SdistCandidate,
    ) -> Result<wharf_resolve::Candidate, ResolveError> {
        match self.builder.sdist_wheel(&sdist.path) {
            Ok(wheel) => Ok(wharf_resolve::Candidate {
                filename: wheel.filename,
                path: wheel.path,
                find_link: sdist.find_link,
                tag_priority: wheel.tag_priority,
                sdist: Some(sdist.path.clone()),
                direct: false,
                remote: None,
            }),
            Err(error) => {
                let message = error.to_string();
                *self.failure.borrow_mut() = Some(error);
                Err(ResolveError::Build {
                    sdist: sdist.path.clone(),
                    message,
                })
            }
        }
    }
}

/// [`resolve`] with the wheelhouse's sdists as candidates at every version, each built by
/// `builder` (one line each through its report) only when the resolver chooses it.
///
/// Errors: as [`resolve`], and the build's.
pub fn resolve_with_builds(
    requirements: &Requirements,
    environment: &PythonEnvironment,
    catalogue: &Catalogue,
    policy: &ResolvePolicy,
    builder: &Builder<'_>,
) -> Result<Resolution, OperationError> {
    resolve_in(requirements, environment, catalogue, *policy, Some(builder))
}

/// Resolves `requirements` against the `catalogue` for `environment` under the site's
/// policy, counting what the environment (and `sys.path` outside it) already has.
///
/// Errors: as [`resolve_for`], and [`OperationError::Environment`].
pub fn resolve(
    requirements: &Requirements,
    environment: &PythonEnvironment,
    catalogue: &Catalogue,
    policy: &ResolvePolicy,
) -> Result<Resolution, OperationError> {
    resolve_in(requirements, environment, catalogue, *policy, None)
}

fn resolve_in(
    requirements: &Requirements,
    environment: &PythonEnvironment,
    catalogue: &Catalogue,
    policy: ResolvePolicy,
    builder: Option<&Builder<'_>>,
) -> Result<Resolution, OperationError> {
    let target = ResolveTarget::from_info(&environment.info, policy.allow_manylinux)?;
    let in_env = environment.installed()?;
    let installed = environment.installed_for_resolver(&in_env)?;
    let resolution = resolve_for(
        requirements,
        &target,
        &installed,
        catalogue,
        &policy,
        builder,
    )?;
    Ok(Resolution {
        packages: resolution.packages,
        installed: in_env,
    })
}

/// One change of a plan, for the summary (` - old==1`, ` + new==2`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A distribution removed (replaced, or not wanted by an exact plan).
    Remove {
        /// Its name as installed.
        name: String,
        /// Its version as installed.
        version: String,
    },
    /// A wheel installed.
    Install {
        /// The project.
        name: PackageName,
        /// The version.
        version: Version,
        /// The wheel file.
        path: PathBuf,
    },
}

/// How to turn a resolution into a plan.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlanOptions {
    /// Install requested packages again even when the same version is there.
    pub reinstall: bool,
    /// Make the environment exactly the resolution: remove installed distributions it does
    /// not list (`sync`).
    pub exact: bool,
}

/// What a transaction will do: the installer's [`Plan`] and the changes in summary order.
#[derive(Debug, Clone, Default)]
pub struct InstallPlan {
    /// For the installer.
    pub plan: Plan,
    /// For the user, in order.
    pub changes: Vec<Change>,
    /// What the environment held when the plan was made ([`Resolution::installed`]): the
    /// transaction applies the plan only while the environment still holds exactly that
    /// ([`wharf_install::InstallOptions::expected`]). `None`: not checked.
    pub basis: Option<InstalledSnapshot>,
    /// The `Requires-Dist` of the planned wheels the resolver read, by wheel path
    /// ([`check_plan`] reads the others from the wheels).
    pub requires_dist: HashMap<PathBuf, Vec<String>>,
    /// Hash-checking mode: the requirement (file and line, `--hash` values) each wheel is
    /// checked against while installed ([`check_hashes`]), to name it when one differs.
    pub hash_origins: HashMap<PathBuf, HashedRequirement>,
    /// A lock's wheels whose sha256 the installer checks as it reads them (their
    /// [`wharf_install::WheelInstall::sha256`] set from the lock), by wheel path: the package
    /// each one is locked for, to report a mismatch as the lock's
    /// [`crate::lock::LockError::WheelChanged`].
    pub locked: HashMap<PathBuf, (PackageName, Version)>,
}

impl InstallPlan {
    /// The plan that brings the environment (`resolution.installed`) to `resolution`: keep
    /// what is there at the resolved version, install the rest (a different version replaces
    /// the installed one), and with [`PlanOptions::exact`] remove what the resolution does not
    /// list.
    pub fn from_resolution(resolution: &Resolution, options: PlanOptions) -> Self {
        Self::from_resolution_with(resolution, options, &[])
    }

    /// [`InstallPlan::from_resolution`] where `local_wheels` (direct references) record their
    /// `direct_url.json`, and built ones are installed again even at the same version.
    pub fn from_resolution_with(
        resolution: &Resolution,
        options: PlanOptions,
        local_wheels: &[LocalWheel],
    ) -> Self {
        let installed: HashMap<PackageName, &InstalledDist> = resolution
            .installed
            .iter()
            .filter_map(|d| Some((PackageName::from_str(&d.name).ok()?, d)))
            .collect();
        let mut out = Self {
            basis: Some(InstalledSnapshot::of(&resolution.installed)),
            ..Self::default()
        };
        let mut wanted = BTreeSet::new();
        for package in &resolution.packages {
            wanted.insert(package.name.clone());
            let wharf_resolve::ResolvedSource::Wheel(candidate) = &package.source else {
                continue;
            };
            let current = installed.get(&package.name);
            let same = current.is_some_and(|d| {
                Version::from_str(&d.version).ok().as_ref() == Some(&package.version)
            });
            let local = local_wheels
                .iter()
                .find(|w| w.name == package.name && w.path == candidate.path);
            if same
                && !(options.reinstall && package.requested)
                && !local.is_some_and(|w| w.always_reinstall)
            {
                continue;
            }
            if let Some(old) = current {
                out.changes.push(Change::Remove {
                    name: old.name.clone(),
                    version: old.version.clone(),
                });
            }
            out.changes.push(Change::Install {
                name: package.name.clone(),
                version: package.version.clone(),
                path: candidate.path.clone(),
            });
            if let Some(requires) = &package.requires_dist {
                out.requires_dist
                    .insert(candidate.path.clone(), requires.clone());
            }
            let mut install = WheelInstall::new(candidate.path.clone(), package.requested);
            install.direct_url = local.map(|w| w.direct_url.clone());
            // `--reinstall` is the repair of an edited installed file: fresh bytes from the
            // wheel, not the cache entry the edit may have reached through a hard link.
            install.refresh_cache = same && options.reinstall && package.requested;
            out.plan.install.push(install);
        }
        if options.exact {
            let mut extraneous: Vec<&InstalledDist> = resolution
                .installed
                .iter()
                .filter(|d| PackageName::from_str(&d.name).is_ok_and(|n| !wanted.contains(&n)))
                .collect();
            extraneous.sort_by_key(|d| d.normalized_name());
            for dist in extraneous {
                out.changes.push(Change::Remove {
                    name: dist.name.clone(),
                    version: dist.version.clone(),
                });
                out.plan.remove.push(dist.clone());
            }
        }
        out
    }

    /// Whether the plan changes nothing.
    pub fn is_empty(&self) -> bool {
        self.plan.install.is_empty() && self.plan.remove.is_empty()
    }
}

/// How to execute a plan.
#[derive(Debug, Clone, Default)]
pub struct ExecuteOptions {
    /// Worker threads (from `SLURM_CPUS_PER_TASK`).
    pub threads: usize,
    /// Byte-compile installed `.py` files.
    pub compile: bool,
    /// The wheel cache root (`None`: unpack straight into the environment).
    pub cache_dir: Option<PathBuf>,
    /// Progress callback (a progress bar), from the installer's worker threads.
    pub progress: Option<wharf_install::ProgressSink>,
    /// Raised (by a SIGINT/SIGTERM handler) to stop and roll back:
    /// [`wharf_install::InstallError::Cancelled`].
    pub cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    /// Wheel validation (`RECORD` hashes, the site rule for re-tagged wheels).
    pub verification: wharf_install::Verification,
    /// How cached files are put into the environment.
    pub link_mode: wharf_install::LinkMode,
    /// Wheel digests the caller already took (see [`InstallOptions::digests`]).
    pub digests: Option<std::sync::Arc<wharf_digest::DigestCache>>,
    /// Check, before the transaction, that the planned set satisfies every requirement of
    /// what it installs ([`check_plan`]); off for `--no-deps`.
    pub check_requirements: bool,
}

/// Runs `plan` in `environment` as one transaction (all or nothing).
///
/// Errors: [`OperationError::Install`]; the environment is then as it was.
pub fn execute(
    plan: &InstallPlan,
    environment: &PythonEnvironment,
    options: &ExecuteOptions,
) -> Result<InstallOutput, OperationError> {
    if options.check_requirements {
        check_plan(plan, environment, true)?;
    }
    wharf_install::install(
        &plan.plan,
        &environment.layout,
        &InstallOptions {
            threads: options.threads.max(1),
            compile: options.compile,
            cancel: options.cancel.clone(),
            cache: options.cache_dir.clone().map(WheelCache::new),
            progress: options.progress.clone(),
            verification: options.verification.clone(),
            expected: plan.basis.clone(),
            link_mode: options.link_mode,
            digests: options.digests.clone(),
        },
    )
    .map_err(|error| match error {
        // Hash-checking mode: the requirement the wheel failed, as pip names it.
        wharf_install::InstallError::HashMismatch { wheel, actual, .. }
            if plan.hash_origins.contains_key(&wheel) =>
        {
            let hashed = &plan.hash_origins[&wheel];
            OperationError::HashMismatch {
                wheel,
                origin: hashed.origin.clone(),
                expected: hashed.hashes.clone(),
                actual: vec![format!("sha256:{actual}")],
            }
        }
        // A locked wheel whose bytes are not the lock's: the lock's error, as `sync` reports
        // the other changes of a locked file.
        wharf_install::InstallError::HashMismatch {
            wheel,
            expected,
            actual,
        } if plan.locked.contains_key(&wheel) => {
            let (name, version) = plan.locked[&wheel].clone();
            OperationError::Sync(crate::sync::SyncError::Lock(
                crate::lock::LockError::WheelChanged {
                    name,
                    version,
                    path: wheel,
                    problem: format!("changed content (sha256 {actual}, locked {expected})"),
                },
            ))
        }
        other => OperationError::Install(other),
    })
}

/// Removes the distributions named `names` from `environment` as one transaction. Names
/// not installed are returned (the caller warns), never fatal. `cancel` as in
/// [`ExecuteOptions::cancel`].
///
/// Errors: [`OperationError::Uninstall`] (nothing removed), [`OperationError::Environment`].
pub fn uninstall(
    names: &[String],
    environment: &PythonEnvironment,
    threads: usize,
    cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
) -> Result<(Option<InstallOutput>, Vec<String>), OperationError> {
    let installed = environment.installed()?;
    let mut remove = Vec::new();
    let mut missing = Vec::new();
    for name in names {
        let wanted = PackageName::from_str(name).ok();
        match installed
            .iter()
            .find(|d| wanted.is_some() && PackageName::from_str(&d.name).ok() == wanted)
        {
            Some(d) => remove.push(d.clone()),
            None => missing.push(name.clone()),
        }
    }
    if remove.is_empty() {
        return Ok((None, missing));
    }
    let options = InstallOptions {
        threads: threads.max(1),
        cancel,
        expected: Some(InstalledSnapshot::of(&installed)),
        ..InstallOptions::default()
    };
    let output = wharf_install::uninstall(&remove, &environment.layout, &options)
        .map_err(OperationError::Uninstall)?;
    Ok((Some(output), missing))
}

/// A broken requirement of an installed distribution, worded as `pip check` words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckProblem {
    /// `numpy 2.0 requires x, which is not installed.`
    Missing {
        /// The distribution (normalized name).
        dist: String,
        /// Its version.
        version: String,
        /// The missing requirement's name.
        requirement: PackageName,
    },
    /// `pandas 2.2 has requirement numpy>=1.26, but you have numpy 1.0.`
    Conflict {
        /// The distribution (normalized name).
        dist: String,
        /// Its version.
        version: String,
        /// The requirement.
        requirement: String,
        /// The installed dependency (normalized name).
        dependency: String,
        /// Its version.
        dependency_version: String,
    },
}

impl std::fmt::Display for CheckProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Missing {
                dist,
                version,
                requirement,
            } => write!(
                f,
                "{dist} {version} requires {requirement}, which is not installed."
            ),
            Self::Conflict {
                dist,
                version,
                requirement,
                dependency,
                dependency_version,
            } => write!(
                f,
                "{dist} {version} has requirement {requirement}, but you have {dependency} {dependency_version}."
            ),
        }
    }
}

/// `pip check` (pip 26's `check_package_set`): every requirement of every distribution in
/// `dists` whose markers hold in `markers` (with no extra) is installed at a matching version
/// (a local label is ignored, as PEP 440 says; pre-releases match). The first distribution of
/// a name counts, as in pip.
///
/// Problems in pip 26's order: every missing requirement first, then every conflict; each
/// group in the order of `dists` (pip's order of iteration: see
/// [`PythonEnvironment::pip_order`]; sort `dists` by name for a stable order), and within
/// one distribution as pip sorts its set of them: by the text of Python's tuple
/// (`('six', <Requirement('six>=2')>)`), each one once. Versions are in PEP 440 normal form
/// (pip prints `str(Version)`), requirements as packaging writes them
/// ([`wharf_metadata::packaging_requirement`]).
pub fn check(dists: &[InstalledDist], markers: &MarkerEnvironment) -> Vec<CheckProblem> {
    let mut by_name: HashMap<String, &InstalledDist> = HashMap::new();
    let mut unique: Vec<&InstalledDist> = Vec::new();
    for dist in dists {
        if let std::collections::hash_map::Entry::Vacant(slot) =
            by_name.entry(dist.normalized_name())
        {
            slot.insert(dist);
            unique.push(dist);
        }
    }
    let mut missing = Vec::new();
    let mut conflicting = Vec::new();
    for dist in unique {
        let dist_name = dist.normalized_name();
        let mut own_missing: Vec<(String, CheckProblem)> = Vec::new();
        let mut own_conflicting: Vec<(String, CheckProblem)> = Vec::new();
        for text in &dist.requires_dist {
            let Ok(requirement) = wharf_metadata::parse_requirement::<pep508_rs::VerbatimUrl>(text)
            else {
                continue;
            };
            if !requirement.evaluate_markers(markers, &[]) {
                continue;
            }
            let written = wharf_metadata::packaging_requirement(text)
                .unwrap_or_else(|| requirement.to_string());
            let name = requirement.name.to_string();
            match by_name.get(&name) {
                None => own_missing.push((
                    format!("('{name}', <Requirement({})>)", python_repr(&written)),
                    CheckProblem::Missing {
                        dist: dist_name.clone(),
                        version: normal_version(&dist.version),
                        requirement: requirement.name.clone(),
                    },
                )),
                Some(dep) => {
                    if let Some(VersionOrUrl::VersionSpecifier(specifiers)) =
                        &requirement.version_or_url
                        && !version_matches(specifiers, &dep.version)
                    {
                        let dependency_version = normal_version(&dep.version);
                        own_conflicting.push((
                            format!(
                                "('{name}', <Version('{dependency_version}')>, <Requirement({})>)",
                                python_repr(&written)
                            ),
                            CheckProblem::Conflict {
                                dist: dist_name.clone(),
                                version: normal_version(&dist.version),
                                requirement: written,
                                dependency: name,
                                dependency_version,
                            },
                        ));
                    }
                }
            }
        }
        for (own, all) in [
            (own_missing, &mut missing),
            (own_conflicting, &mut conflicting),
        ] {
            let mut own = own;
            own.sort_by(|a, b| a.0.cmp(&b.0));
            own.dedup_by(|a, b| a.0 == b.0);
            all.extend(own.into_iter().map(|(_, problem)| problem));
        }
    }
    missing.extend(conflicting);
    missing
}

/// `text` as Python's `repr` of a `str` writes it (`'x'`; `"x"` when it holds `'` and no `"`;
/// `\\`, `\n`, `\t`, `\r` and the quote escaped): pip sorts a distribution's problems by the
/// text of tuples that hold such reprs, and `pip config list` prints values so.
pub fn python_repr(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::from(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// `version` in PEP 440 normal form (`1.0-beta1` → `1.0b1`), as written when it is not valid.
fn normal_version(version: &str) -> String {
    Version::from_str(version).map_or_else(|_| version.to_string(), |v| v.to_string())
}

fn version_matches(specifiers: &VersionSpecifiers, version: &str) -> bool {
    Version::from_str(version).is_ok_and(|v| wharf_resolve::specifiers_contain(specifiers, &v))
}

/// The last line of defence before a transaction: the distributions the environment will
/// hold once `plan` is applied (what stays, the planned wheels' `METADATA`, and what modules
/// provide outside the environment) must satisfy every requirement of every distribution the
/// plan installs, and every requirement on them; a problem that does not involve the plan (an
/// environment already broken) is left to `wharf check`. `missing` also counts requirements
/// that nothing provides (off for `--no-deps`).
///
/// Errors: [`OperationError::Inconsistent`] with the offending pairs (pip check's words).
pub fn check_plan(
    plan: &InstallPlan,
    environment: &PythonEnvironment,
    missing: bool,
) -> Result<(), OperationError> {
    if plan.plan.install.is_empty() {
        return Ok(());
    }
    let mut planned: Vec<InstalledDist> = Vec::new();
    let known: HashMap<&Path, (&PackageName, &Version)> = plan
        .changes
        .iter()
        .filter_map(|change| match change {
            Change::Install {
                name,
                version,
                path,
            } => Some((path.as_path(), (name, version))),
            Change::Remove { .. } => None,
        })
        .collect();
    for install in &plan.plan.install {
        // What the resolver read is not read again (a warm install opens no wheel).
        if let (Some(requires), Some((name, version))) = (
            plan.requires_dist.get(&install.path),
            known.get(install.path.as_path()),
        ) {
            planned.push(InstalledDist {
                name: name.to_string(),
                version: version.to_string(),
                path: install.path.clone(),
                requested: install.requested,
                installer: None,
                requires_dist: requires.clone(),
                requires_python: None,
            });
            continue;
        }
        let metadata = wharf_metadata::read_metadata(&install.path).map_err(|source| {
            OperationError::Resolve(wharf_resolve::ResolveError::Metadata {
                path: install.path.clone(),
                source,
            })
        })?;
        planned.push(InstalledDist {
            name: metadata.name.clone(),
            version: metadata.version.clone(),
            path: install.path.clone(),
            requested: install.requested,
            installer: None,
            requires_dist: metadata.requires_dist.clone(),
            requires_python: metadata.requires_python.clone(),
        });
    }
    let new: HashSet<String> = planned.iter().map(InstalledDist::normalized_name).collect();
    let removed: HashSet<&Path> = plan.plan.remove.iter().map(|d| d.path.as_path()).collect();
    let mut after: Vec<InstalledDist> = environment
        .installed()?
        .into_iter()
        .filter(|d| !removed.contains(d.path.as_path()) && !new.contains(&d.normalized_name()))
        .collect();
    let inside: HashSet<String> = after
        .iter()
        .chain(&planned)
        .map(InstalledDist::normalized_name)
        .collect();
    after.extend(planned);
    // A module's package counts where the environment has none of that name (sys.path order).
    after.extend(
        environment
            .installed_outside()?
            .into_iter()
            .filter(|d| !inside.contains(&d.normalized_name())),
    );
    let markers = environment.marker_environment()?;
    after.sort_by_key(InstalledDist::normalized_name);
    let problems: Vec<CheckProblem> = check(&after, &markers)
        .into_iter()
        .filter(|problem| match problem {
            CheckProblem::Missing { dist, .. } => missing && new.contains(dist),
            CheckProblem::Conflict {
                dist, dependency, ..
            } => new.contains(dist) || new.contains(dependency),
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(OperationError::Inconsistent {
            problems: problems.iter().map(ToString::to_string).collect(),
        })
    }
}

/// The names of `wanted` that the catalogue has wheels of (for `venv --seed`, which installs
/// pip, setuptools and wheel only where the wheelhouse has them).
pub fn available_names<'a>(catalogue: &Catalogue, wanted: &[&'a str]) -> Vec<&'a str> {
    wanted
        .iter()
        .copied()
        .filter(|n| {
            catalogue
                .entries
                .iter()
                .any(|e| e.filename.name.as_ref() == *n)
        })
        .collect()
}

/// `true` when `path` holds a virtual environment (`pyvenv.cfg`).
pub fn is_venv_dir(path: &Path) -> bool {
    path.join("pyvenv.cfg").is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn markers() -> MarkerEnvironment {
        wharf_test_support::linux_cpython_311_markers()
    }

    fn dist(name: &str, version: &str, requires: &[&str]) -> InstalledDist {
        InstalledDist {
            name: name.to_string(),
            version: version.to_string(),
            path: PathBuf::from(format!("/site/{name}-{version}.dist-info")),
            requested: false,
            installer: None,
            requires_dist: requires.iter().map(ToString::to_string).collect(),
            requires_python: None,
        }
    }

    fn lines(dists: &[InstalledDist]) -> Vec<String> {
        check(dists, &markers())
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// pip 26.3's `check_package_set` on these distributions, in this order of iteration,
    /// prints these lines (checked with pip's own function): the order of `dists`, not the
    /// names'; a distribution's own problems sorted by pip's tuple text; `missing-one` three
    /// times (three requirements); the second `six` never counts.
    #[test]
    fn problems_in_pips_order_and_words() {
        let dists = [
            dist("six", "1.16.0+computecanada", &[]),
            dist(
                "zeta_broken",
                "1.0",
                &[
                    "not-there-z>=1",
                    "six>=2",
                    "Six (>=3, <4) ; python_version >= '3'",
                ],
            ),
            dist(
                "Mid.Broken",
                "3.0-beta1",
                &[
                    "absent",
                    "tzdata==1; extra == 'test'",
                    "six<2; python_version < '3'",
                ],
            ),
            dist(
                "alpha_broken",
                "2.0",
                &["six<1", "Missing_One", "missing-one[x]>1", "missing-one>1"],
            ),
            dist("six", "0.1", &["never-read"]),
        ];
        assert_eq!(
            lines(&dists),
            [
                "zeta-broken 1.0 requires not-there-z, which is not installed.",
                "mid-broken 3.0b1 requires absent, which is not installed.",
                "alpha-broken 2.0 requires missing-one, which is not installed.",
                "alpha-broken 2.0 requires missing-one, which is not installed.",
                "alpha-broken 2.0 requires missing-one, which is not installed.",
                "zeta-broken 1.0 has requirement Six<4,>=3; python_version >= \"3\", but you have six 1.16.0+computecanada.",
                "zeta-broken 1.0 has requirement six>=2, but you have six 1.16.0+computecanada.",
                "alpha-broken 2.0 has requirement six<1, but you have six 1.16.0+computecanada.",
            ]
        );
    }

    #[test]
    fn a_consistent_set_has_no_problem() {
        let dists = [
            dist(
                "a",
                "1.0",
                &["b>=2.0rc1", "c; python_version < '3'", "d; extra == 'x'"],
            ),
            dist("b", "2.0rc2", &[]),
        ];
        assert!(lines(&dists).is_empty());
    }
}
