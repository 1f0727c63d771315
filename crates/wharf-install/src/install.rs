//! Installing wheels (and removing installed distributions) as one transaction.
//!
//! Implements the installation half of the binary distribution format (PEP 427) and the
//! recording installed projects specification; the steps and the transaction's guarantee
//! are described in the crate documentation.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use crate::cache::{CachedFile, DistInfo, Entry, Identity, Linker, Lookup, PlaceError, WheelCache};
use crate::installed::{InstalledDist, InstalledError, normalized_name};
use crate::layout::Layout;
use crate::record::{self, RecordEntry};
use crate::scripts;
use crate::transaction::{self, RecoveredTransaction, Transaction};
use crate::wheel::Wheel;
use wharf_metadata::WheelError;

/// A wheel to install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WheelInstall {
    /// The `.whl` file.
    pub path: PathBuf,
    /// Whether the user asked for it by name (writes an empty `REQUESTED`, PEP 376/627);
    /// `false` for dependencies.
    pub requested: bool,
    /// PEP 610 `direct_url.json` content to record, for wheels installed from a URL or path
    /// given directly by the user; `None` for wheels found in an index or find-links.
    pub direct_url: Option<String>,
}

impl WheelInstall {
    /// A wheel from an index or find-links directory, requested or not.
    pub fn new(path: impl Into<PathBuf>, requested: bool) -> Self {
        Self {
            path: path.into(),
            requested,
            direct_url: None,
        }
    }
}

/// One transaction: distributions to remove and wheels to install, applied all or nothing.
///
/// An installed distribution of the same project as a wheel in `install` (same PEP 503
/// name, in purelib or platlib) is removed too even if not listed, as pip does on upgrade or
/// reinstall.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Installed distributions to remove (found with [`crate::SitePackages::scan`]).
    pub remove: Vec<InstalledDist>,
    /// Wheels to install, in order (a later wheel's file wins over an earlier one's).
    pub install: Vec<WheelInstall>,
}

/// How to install.
#[derive(Debug, Clone)]
pub struct InstallOptions {
    /// Worker threads for unpacking and compiling (the caller derives it from
    /// `SLURM_CPUS_PER_TASK`); at least 1. Default: the available parallelism.
    pub threads: usize,
    /// Byte-compile installed `.py` files with the environment's interpreter and record the
    /// `.pyc` files (pip's default, `--compile`). Default: `false`.
    pub compile: bool,
    /// When set to `true` (by a Ctrl-C handler), the transaction stops at the next file and
    /// rolls back, returning [`InstallError::Cancelled`].
    pub cancel: Option<Arc<AtomicBool>>,
    /// The wheel cache to install from (unpacking missing wheels into it first), or `None`
    /// to unpack every wheel straight into the environment. Default: `None`.
    pub cache: Option<WheelCache>,
}

impl Default for InstallOptions {
    fn default() -> Self {
        Self {
            threads: std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
            compile: false,
            cancel: None,
            cache: None,
        }
    }
}

/// A distribution written by [`install()`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledWheel {
    /// `Name` from `METADATA`, ex) `MarkupSafe`.
    pub name: String,
    /// `Version` from `METADATA`, ex) `2.1.5`.
    pub version: String,
    /// The installed `.dist-info` directory.
    pub dist_info: PathBuf,
    /// The number of files listed in its `RECORD` (`RECORD` included).
    pub files: usize,
}

/// A distribution removed by [`install()`] or [`crate::uninstall`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemovedDist {
    /// `Name` from `METADATA`.
    pub name: String,
    /// `Version` from `METADATA`.
    pub version: String,
    /// The removed `.dist-info` directory.
    pub dist_info: PathBuf,
    /// The number of files and directories removed.
    pub paths: usize,
}

/// What [`install()`] did.
#[derive(Debug, Clone, Default)]
pub struct InstallOutput {
    /// The installed distributions, in plan order.
    pub installed: Vec<InstalledWheel>,
    /// The removed distributions.
    pub removed: Vec<RemovedDist>,
    /// Interrupted earlier transactions that were rolled back first.
    pub recovered: Vec<RecoveredTransaction>,
    /// Non-fatal problems (a `RECORD` path outside the environment left alone, a cleanup
    /// failure after the commit, a wheel cache that could not be written).
    pub warnings: Vec<String>,
    /// How the wheel cache served the install (all zero without one).
    pub cache: CacheStats,
}

/// How the wheel cache ([`InstallOptions::cache`]) served an install.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Wheels installed from an entry that was already in the cache.
    pub hits: usize,
    /// Wheels unpacked into the cache (new or rebuilt entries), then installed from it.
    pub unpacked: usize,
    /// Wheels installed straight from the archive although a cache was given (it could not
    /// be written, or its entry stayed damaged).
    pub bypassed: usize,
    /// Files copied instead of hard-linked (the cache is on another filesystem, …).
    pub copied_files: usize,
}

/// An error of [`install()`] or [`crate::uninstall`]. The environment is unchanged unless
/// the error is [`InstallError::RollbackFailed`].
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// A wheel could not be read (corrupt zip, no `.dist-info`, bad `METADATA` or `WHEEL`).
    #[error(transparent)]
    Wheel(#[from] WheelError),
    /// A member of a wheel failed to decompress (corrupt data, CRC mismatch).
    #[error("failed to extract `{member}` from wheel `{wheel}`")]
    Extract {
        /// The wheel file.
        wheel: PathBuf,
        /// The archive member, ex) `six.py`.
        member: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// A member path is absolute or climbs out of its directory (`..`).
    #[error("wheel `{wheel}` has a member outside its target directory: `{member}`")]
    UnsafePath {
        /// The wheel file.
        wheel: PathBuf,
        /// The archive member.
        member: String,
    },
    /// A `{dist}.data/` member is not under a known scheme key.
    #[error(
        "wheel `{wheel}` has `{member}`: `.data` members must be under purelib, platlib, scripts, headers or data"
    )]
    UnknownScheme {
        /// The wheel file.
        wheel: PathBuf,
        /// The archive member.
        member: String,
    },
    /// An entry point in `entry_points.txt` cannot be turned into a launcher.
    #[error("wheel `{wheel}` has an invalid entry point `{line}`: {reason}")]
    EntryPoint {
        /// The wheel file.
        wheel: PathBuf,
        /// The `name = value` line.
        line: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Two wheels of the plan are of the same project.
    #[error("the plan installs `{name}` twice: `{first}` and `{second}`")]
    DuplicateProject {
        /// The project name (from `METADATA`).
        name: String,
        /// The first wheel.
        first: PathBuf,
        /// The second wheel.
        second: PathBuf,
    },
    /// A file would replace a directory or a directory a file.
    #[error("cannot install `{path}`: {reason}")]
    Conflict {
        /// The path in the environment.
        path: PathBuf,
        /// What is in the way.
        reason: &'static str,
    },
    /// An installed distribution to remove could not be read (no `RECORD`, bad `METADATA`).
    #[error(transparent)]
    Installed(#[from] InstalledError),
    /// The interpreter could not be run for bytecode compilation.
    #[error("failed to byte-compile with `{python}`")]
    Compile {
        /// The interpreter.
        python: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// A file system operation failed (the message names the path).
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The cancel flag was raised; everything was rolled back.
    #[error("the installation was cancelled; the environment is unchanged")]
    Cancelled,
    /// The transaction failed and undoing it failed too: the environment is partly changed.
    /// The transaction directory is kept; the next install or [`crate::recover`] retries.
    #[error(
        "the installation failed and could not be rolled back ({} error(s), first: {}); run it again to finish the rollback from `{}`",
        errors.len(),
        errors.first().map(ToString::to_string).unwrap_or_default(),
        transaction.display()
    )]
    RollbackFailed {
        /// The error that made the transaction fail.
        #[source]
        cause: Box<InstallError>,
        /// The errors of the rollback.
        errors: Vec<io::Error>,
        /// The transaction directory kept for recovery.
        transaction: PathBuf,
    },
}

/// A scheme key of `{dist}.data/` (and of the archive root).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Scheme {
    Purelib,
    Platlib,
    Scripts,
    Headers,
    Data,
}

impl Scheme {
    const ALL: [Scheme; 5] = [
        Scheme::Purelib,
        Scheme::Platlib,
        Scheme::Scripts,
        Scheme::Headers,
        Scheme::Data,
    ];

    fn key(self) -> &'static str {
        match self {
            Scheme::Purelib => "purelib",
            Scheme::Platlib => "platlib",
            Scheme::Scripts => "scripts",
            Scheme::Headers => "headers",
            Scheme::Data => "data",
        }
    }

    fn from_key(key: &str) -> Option<Self> {
        Scheme::ALL.into_iter().find(|scheme| scheme.key() == key)
    }

    fn target(self, layout: &Layout, name: &str) -> PathBuf {
        match self {
            Scheme::Purelib => layout.purelib.clone(),
            Scheme::Platlib => layout.platlib.clone(),
            Scheme::Scripts => layout.scripts.clone(),
            Scheme::Headers => layout.headers.join(name),
            Scheme::Data => layout.data.clone(),
        }
    }
}

/// One archive member to extract.
struct Job {
    index: usize,
    member: String,
    scheme: Scheme,
    /// Path below the scheme directory, `/`-separated.
    relative: String,
    is_script: bool,
}

/// Where one wheel is staged: `{stage}/{index}-{scheme}/` for each scheme it has files in
/// (one directory level per scheme, not two: a cold install pays for every directory).
#[derive(Clone)]
struct StageRoot {
    stage: PathBuf,
    index: usize,
}

impl StageRoot {
    /// The staging directory of `scheme`, ex) `{stage}/3-purelib`.
    fn scheme(&self, scheme: Scheme) -> PathBuf {
        self.stage.join(format!("{}-{}", self.index, scheme.key()))
    }

    /// Removes everything staged for this wheel.
    fn remove(&self) -> io::Result<()> {
        for scheme in Scheme::ALL {
            transaction::remove_any(&self.scheme(scheme))?;
        }
        Ok(())
    }
}

/// A wheel fully staged, `RECORD` not yet written.
struct StagedWheel {
    name: String,
    version: String,
    root: StageRoot,
    lib_scheme: Scheme,
    lib_dir: PathBuf,
    dist_info: String,
    records: Vec<RecordEntry>,
    python_files: Vec<PythonFile>,
}

/// A staged `.py` file to byte-compile.
struct PythonFile {
    staged: PathBuf,
    target_dir: PathBuf,
    record_path: String,
}

/// The copy buffer of each worker.
const COPY_BUFFER: usize = 256 * 1024;

fn cancelled(options: &InstallOptions) -> bool {
    options
        .cancel
        .as_ref()
        .is_some_and(|flag| flag.load(Ordering::Relaxed))
}

/// Installs `wheels` (removing installed versions of the same projects) as one transaction.
/// Shorthand for [`install()`] with a plan that removes nothing explicitly.
pub fn install_wheels(
    wheels: &[WheelInstall],
    layout: &Layout,
    options: &InstallOptions,
) -> Result<InstallOutput, InstallError> {
    install(
        &Plan {
            remove: Vec::new(),
            install: wheels.to_vec(),
        },
        layout,
        options,
    )
}

/// Applies `plan` to the environment described by `layout` as one transaction: removes the
/// distributions in `plan.remove` (and any installed version of a project being installed),
/// then installs the wheels of `plan.install` (PEP 427 installation, `RECORD`, `INSTALLER`,
/// `REQUESTED`, entry point launchers; see the crate docs, "Installing").
///
/// Errors: any [`InstallError`]; the environment is then as it was before the call (see the
/// crate docs, "Guarantee and its limits"), except for
/// [`InstallError::RollbackFailed`].
pub fn install(
    plan: &Plan,
    layout: &Layout,
    options: &InstallOptions,
) -> Result<InstallOutput, InstallError> {
    let layout = layout.absolute()?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads.max(1))
        .build()
        .map_err(|error| io::Error::other(error.to_string()))?;
    let (transaction, recovered) = Transaction::begin(&layout.purelib)?;
    let mut output = InstallOutput {
        recovered,
        ..InstallOutput::default()
    };
    let mut transaction = Some(transaction);
    let result = pool.install(|| {
        run(
            plan,
            &layout,
            options,
            transaction.as_mut().expect("transaction is open"),
            &mut output,
        )
    });
    let transaction = transaction.take().expect("transaction is open");
    match result {
        Ok(()) => {
            output.warnings.extend(transaction.commit()?);
            Ok(output)
        }
        Err(cause) => {
            let directory = transaction.directory().to_path_buf();
            match transaction.rollback() {
                Ok(()) => Err(cause),
                Err(errors) => Err(InstallError::RollbackFailed {
                    cause: Box::new(cause),
                    errors,
                    transaction: directory,
                }),
            }
        }
    }
}

fn run(
    plan: &Plan,
    layout: &Layout,
    options: &InstallOptions,
    transaction: &mut Transaction,
    output: &mut InstallOutput,
) -> Result<(), InstallError> {
    let stage = transaction.stage();
    // 1. Stage every wheel, in parallel (the biggest first, so that none is left alone at
    // the end; each is parallel inside too).
    let session = options
        .cache
        .as_ref()
        .map(|cache| CacheSession::new(cache, &layout.purelib));
    let mut order: Vec<(usize, u64)> = plan
        .install
        .iter()
        .enumerate()
        .map(|(index, wheel)| {
            let size = std::fs::metadata(&wheel.path).map_or(0, |metadata| metadata.len());
            (index, size)
        })
        .collect();
    order.sort_by_key(|&(index, size)| (std::cmp::Reverse(size), index));
    let staged_in_order: Vec<(usize, StagedWheel)> = order
        .par_iter()
        .with_max_len(1)
        .map(|&(index, _)| {
            let wheel = &plan.install[index];
            let root = StageRoot {
                stage: stage.clone(),
                index,
            };
            stage_wheel(wheel, root, layout, options, session.as_ref())
                .map(|staged| (index, staged))
        })
        .collect::<Result<_, _>>()?;
    let mut staged: Vec<Option<StagedWheel>> = (0..plan.install.len()).map(|_| None).collect();
    for (index, wheel) in staged_in_order {
        staged[index] = Some(wheel);
    }
    let mut staged: Vec<StagedWheel> = staged.into_iter().flatten().collect();
    if let Some(session) = &session {
        output.cache = session.stats();
        output.warnings.extend(
            session
                .warnings
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .drain(..),
        );
    }
    let mut projects: HashMap<String, usize> = HashMap::new();
    for (index, wheel) in staged.iter().enumerate() {
        if let Some(&first) = projects.get(&normalized_name(&wheel.name)) {
            return Err(InstallError::DuplicateProject {
                name: wheel.name.clone(),
                first: plan.install[first].path.clone(),
                second: plan.install[index].path.clone(),
            });
        }
        projects.insert(normalized_name(&wheel.name), index);
    }
    if cancelled(options) {
        return Err(InstallError::Cancelled);
    }
    if options.compile {
        compile(&mut staged, layout, options)?;
    }
    for wheel in &mut staged {
        write_record(wheel)?;
    }

    // 2. Decide what to remove, reading every RECORD before anything moves.
    let mut removals: Vec<Removal> = Vec::new();
    let mut seen: HashSet<PathBuf> = HashSet::new();
    for dist in &plan.remove {
        if seen.insert(dist.path.clone()) {
            removals.push(Removal::plan(dist, layout, &mut output.warnings)?);
        }
    }
    let installing: HashSet<String> = staged
        .iter()
        .map(|wheel| normalized_name(&wheel.name))
        .collect();
    let mut lib_dirs = vec![layout.purelib.clone()];
    if layout.platlib != layout.purelib {
        lib_dirs.push(layout.platlib.clone());
    }
    for lib_dir in &lib_dirs {
        for dist_info in installed_dist_infos(lib_dir, &installing)? {
            if seen.insert(dist_info.clone()) {
                let dist = InstalledDist::read(&dist_info)?;
                removals.push(Removal::plan(&dist, layout, &mut output.warnings)?);
            }
        }
    }

    // 3. Commit: remove, then move the staged trees into place.
    for removal in &removals {
        if cancelled(options) {
            return Err(InstallError::Cancelled);
        }
        let paths = removal.apply(transaction, layout)?;
        output.removed.push(RemovedDist {
            name: removal.name.clone(),
            version: removal.version.clone(),
            dist_info: removal.dist_info.clone(),
            paths,
        });
    }
    for wheel in &staged {
        for scheme in Scheme::ALL {
            let source = wheel.root.scheme(scheme);
            if !source.exists() {
                continue;
            }
            let target = scheme.target(layout, &wheel.name);
            transaction.make_directory_all(&target)?;
            merge(transaction, &source, &target, options)?;
        }
        output.installed.push(InstalledWheel {
            name: wheel.name.clone(),
            version: wheel.version.clone(),
            dist_info: wheel.lib_dir.join(&wheel.dist_info),
            files: wheel.records.len(),
        });
    }
    if cancelled(options) {
        return Err(InstallError::Cancelled);
    }
    Ok(())
}

/// `.dist-info` directories in `lib_dir` whose project (from the directory name) is in
/// `names` (normalized).
fn installed_dist_infos(lib_dir: &Path, names: &HashSet<String>) -> io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    if names.is_empty() {
        return Ok(found);
    }
    let entries = match fs_err::read_dir(lib_dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(found),
        Err(error) => return Err(error),
    };
    for entry in entries {
        let entry = entry?;
        let file_name = entry.file_name();
        let Some(stem) = file_name
            .to_str()
            .and_then(|name| name.strip_suffix(".dist-info"))
        else {
            continue;
        };
        let project = stem.split_once('-').map_or(stem, |(name, _)| name);
        if names.contains(&normalized_name(project)) && entry.file_type()?.is_dir() {
            found.push(entry.path());
        }
    }
    found.sort();
    Ok(found)
}

/// Validates an archive member path: relative, no empty, `.` or `..` components.
fn safe_member(member: &str) -> bool {
    !member.starts_with('/')
        && member
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
}

/// Where the files of a wheel come from while it is staged.
enum Source {
    /// The archive: members are decompressed into the staging area.
    Archive(Wheel),
    /// A cache entry: files are hard-linked (or copied) into the staging area.
    Cache(Entry),
}

impl Source {
    fn dist_info(&self) -> DistInfo {
        match self {
            Source::Archive(wheel) => wheel.dist_info_facts(),
            Source::Cache(entry) => entry.dist_info.clone(),
        }
    }

    /// The non-directory members as (index, archive path): zip indexes for an archive,
    /// file indexes for an entry.
    fn members(&self, wheel_path: &Path) -> Result<Vec<(usize, String)>, InstallError> {
        match self {
            Source::Archive(wheel) => archive_members(wheel, wheel_path),
            Source::Cache(entry) => Ok(entry
                .files
                .iter()
                .enumerate()
                .map(|(index, file)| (index, file.member.clone()))
                .collect()),
        }
    }
}

/// The non-directory members of `wheel`'s archive as (zip index, archive path).
fn archive_members(wheel: &Wheel, wheel_path: &Path) -> Result<Vec<(usize, String)>, InstallError> {
    let mut members = Vec::with_capacity(wheel.archive.len());
    for (index, member) in wheel.archive.file_names().enumerate() {
        let member = member.map_err(|source| WheelError::Zip {
            path: wheel_path.to_path_buf(),
            source,
        })?;
        if !member.ends_with('/') {
            members.push((index, member.into_owned()));
        }
    }
    Ok(members)
}

/// Why staging a wheel failed.
enum StageError {
    /// The install fails.
    Install(InstallError),
    /// A file of the cache entry is missing or damaged: rebuild the entry and stage again.
    CacheCorrupt(io::Error),
}

impl From<InstallError> for StageError {
    fn from(error: InstallError) -> Self {
        StageError::Install(error)
    }
}

impl From<io::Error> for StageError {
    fn from(error: io::Error) -> Self {
        StageError::Install(error.into())
    }
}

impl From<WheelError> for StageError {
    fn from(error: WheelError) -> Self {
        StageError::Install(error.into())
    }
}

/// The wheel cache during one install: the cache, its linker, counters and warnings.
struct CacheSession<'a> {
    cache: &'a WheelCache,
    /// Whether missing wheels are unpacked into the cache: only when it is on the
    /// environment's filesystem. Elsewhere every file would be written twice (cache, then a
    /// copy), and on a network home directory each of the thousands of creates is a round
    /// trip: a miss is unpacked straight into the environment instead (a hit is copied).
    fill: bool,
    linker: Linker,
    hits: AtomicUsize,
    unpacked: AtomicUsize,
    bypassed: AtomicUsize,
    /// Set when the cache could not be written: later misses skip it.
    unwritable: AtomicBool,
    warnings: Mutex<Vec<String>>,
}

impl<'a> CacheSession<'a> {
    fn new(cache: &'a WheelCache, purelib: &Path) -> Self {
        use std::os::unix::fs::MetadataExt;
        // The cache directory may not exist yet: its nearest existing ancestor tells.
        let device = |path: &Path| {
            path.ancestors()
                .find_map(|ancestor| std::fs::metadata(ancestor).ok())
                .map(|metadata| metadata.dev())
        };
        let fill = match (device(cache.directory()), device(purelib)) {
            (Some(cache), Some(environment)) => cache == environment,
            _ => true,
        };
        Self {
            cache,
            fill,
            linker: Linker::default(),
            hits: AtomicUsize::new(0),
            unpacked: AtomicUsize::new(0),
            bypassed: AtomicUsize::new(0),
            unwritable: AtomicBool::new(false),
            warnings: Mutex::new(Vec::new()),
        }
    }

    fn warn(&self, warning: String) {
        self.warnings
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(warning);
    }

    fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            unpacked: self.unpacked.load(Ordering::Relaxed),
            bypassed: self.bypassed.load(Ordering::Relaxed),
            copied_files: self.linker.copied.load(Ordering::Relaxed),
        }
    }

    /// Unpacks `wheel` into a new entry (replacing a corrupt one when `replace`); falls back
    /// to the archive itself when the cache is not filled or cannot be written.
    fn unpack(
        &self,
        wheel: Wheel,
        identity: &Identity,
        replace: bool,
        options: &InstallOptions,
    ) -> Result<Source, InstallError> {
        if !self.fill || self.unwritable.load(Ordering::Relaxed) {
            return Ok(Source::Archive(wheel));
        }
        match unpack_into_cache(&wheel, identity, self.cache, replace, options) {
            Ok(Some(entry)) => Ok(Source::Cache(entry)),
            // Another process published the entry first: use it.
            Ok(None) => match self.cache.lookup(identity) {
                Lookup::Hit(entry) => Ok(Source::Cache(entry)),
                Lookup::Missing | Lookup::Corrupt => Ok(Source::Archive(wheel)),
            },
            Err(UnpackError::Install(error)) => Err(error),
            Err(UnpackError::Cache(error)) => {
                if !self.unwritable.swap(true, Ordering::Relaxed) {
                    self.warn(format!(
                        "the wheel cache `{}` cannot be written ({error}); installing without it",
                        self.cache.directory().display()
                    ));
                }
                Ok(Source::Archive(wheel))
            }
        }
    }
}

/// Why unpacking into the cache failed.
enum UnpackError {
    /// The wheel's fault (corrupt member) or a cancel: the install fails.
    Install(InstallError),
    /// Writing the cache failed: install without it.
    Cache(io::Error),
}

/// Unpacks every member of `wheel` (but the `RECORD`, `INSTALLER` and `REQUESTED` it may
/// carry) into a new cache entry, hashing each file once, in parallel; publishes it.
fn unpack_into_cache(
    wheel: &Wheel,
    identity: &Identity,
    cache: &WheelCache,
    replace: bool,
    options: &InstallOptions,
) -> Result<Option<Entry>, UnpackError> {
    let dist_info = wheel.dist_info_facts();
    let skipped: [String; 3] =
        ["RECORD", "INSTALLER", "REQUESTED"].map(|file| format!("{}/{file}", dist_info.directory));
    let members: Vec<(usize, String)> = archive_members(wheel, &wheel.path)
        .map_err(UnpackError::Install)?
        .into_iter()
        .filter(|(_, member)| !skipped.contains(member))
        .collect();
    let pending = cache.begin().map_err(UnpackError::Cache)?;
    pending
        .make_subdirectories(members.len())
        .map_err(UnpackError::Cache)?;
    // Content already written: (hash, executable) → file number.
    let written: Mutex<HashMap<(String, bool), usize>> = Mutex::new(HashMap::new());
    let files: Vec<CachedFile> = members
        .par_iter()
        .enumerate()
        .with_min_len(4)
        .map_init(
            || (wheel.archive.clone(), vec![0u8; COPY_BUFFER]),
            |(archive, buffer), (position, (index, member))| {
                if cancelled(options) {
                    return Err(UnpackError::Install(InstallError::Cancelled));
                }
                let unpacked = write_member(
                    archive,
                    buffer,
                    *index,
                    member,
                    &pending.file_path(position),
                    &wheel.path,
                    Some((&written, position)),
                )
                .map_err(|error| match error {
                    MemberError::Read(error) => UnpackError::Install(error),
                    MemberError::Write(error) => UnpackError::Cache(error),
                })?;
                Ok(CachedFile {
                    member: member.clone(),
                    hash: unpacked.hash,
                    size: unpacked.size,
                    executable: unpacked.executable,
                    file: unpacked.shared_with.unwrap_or(position),
                })
            },
        )
        .collect::<Result<_, _>>()?;
    pending
        .publish(cache, identity, dist_info, files, replace)
        .map_err(UnpackError::Cache)
}

/// Stages one wheel under `root`: from the cache when one is given (unpacking the wheel
/// into it first on a miss), else from the archive.
fn stage_wheel(
    install: &WheelInstall,
    root: StageRoot,
    layout: &Layout,
    options: &InstallOptions,
    cache: Option<&CacheSession<'_>>,
) -> Result<StagedWheel, InstallError> {
    let from_archive = |root: StageRoot| -> Result<StagedWheel, InstallError> {
        let source = Source::Archive(Wheel::open(&install.path)?);
        match stage(&source, install, &root, layout, options, None) {
            Ok(staged) => Ok(staged),
            Err(StageError::Install(error)) => Err(error),
            Err(StageError::CacheCorrupt(error)) => Err(error.into()),
        }
    };
    let Some(session) = cache else {
        return from_archive(root);
    };
    let identity = Identity::of(&install.path).map_err(|source| WheelError::Io {
        path: install.path.clone(),
        source,
    })?;
    let mut hit = false;
    let mut source = match session.cache.lookup(&identity) {
        Lookup::Hit(entry) => {
            hit = true;
            Source::Cache(entry)
        }
        Lookup::Missing => {
            session.unpack(Wheel::open(&install.path)?, &identity, false, options)?
        }
        Lookup::Corrupt => session.unpack(Wheel::open(&install.path)?, &identity, true, options)?,
    };
    for attempt in 0..2 {
        let cached = matches!(source, Source::Cache(_));
        match stage(
            &source,
            install,
            &root,
            layout,
            options,
            Some(&session.linker),
        ) {
            Ok(staged) => {
                let counter = match (cached, hit) {
                    (true, true) => &session.hits,
                    (true, false) => &session.unpacked,
                    (false, _) => &session.bypassed,
                };
                counter.fetch_add(1, Ordering::Relaxed);
                return Ok(staged);
            }
            Err(StageError::Install(error)) => return Err(error),
            Err(StageError::CacheCorrupt(error)) => {
                root.remove()?;
                if attempt == 0 {
                    // Rebuild the entry and stage again.
                    hit = false;
                    source =
                        session.unpack(Wheel::open(&install.path)?, &identity, true, options)?;
                } else {
                    session.warn(format!(
                        "the wheel cache entry of `{}` is damaged ({error}); installed from the wheel",
                        install.path.display()
                    ));
                }
            }
        }
    }
    session.bypassed.fetch_add(1, Ordering::Relaxed);
    from_archive(root)
}

/// Stages the files of `source` under `root` (`{stage}/{n}-{scheme}/…`), writes the
/// launchers and the per-environment `.dist-info` files, and returns the records (`RECORD`
/// not written yet).
fn stage(
    source: &Source,
    install: &WheelInstall,
    root: &StageRoot,
    layout: &Layout,
    options: &InstallOptions,
    linker: Option<&Linker>,
) -> Result<StagedWheel, StageError> {
    let wheel_path = install.path.clone();
    let facts = source.dist_info();
    let (console, gui) = match &facts.entry_points {
        Some(text) => {
            scripts::parse_entry_points(text).map_err(|error| InstallError::EntryPoint {
                wheel: wheel_path.clone(),
                line: error.line,
                reason: error.reason,
            })?
        }
        None => (Vec::new(), Vec::new()),
    };
    let console = scripts::versioned_console_scripts(console, layout.python_version);
    let name = facts.name.clone();
    let lib_scheme = if facts.root_is_purelib {
        Scheme::Purelib
    } else {
        Scheme::Platlib
    };
    let lib_dir = lib_scheme.target(layout, &name);
    let dist_info = facts.directory.clone();
    let generated: [String; 4] = ["RECORD", "INSTALLER", "REQUESTED", "direct_url.json"]
        .map(|file| format!("{dist_info}/{file}"));
    let regenerated = |member: &str| {
        generated[..3].iter().any(|known| known == member)
            || (install.direct_url.is_some() && member == generated[3])
    };
    // Per scheme: its directory in the environment, its staging directory, and the prefix of
    // its files' `RECORD` paths (empty for the directory holding the `.dist-info`).
    let targets: [PathBuf; 5] = Scheme::ALL.map(|scheme| scheme.target(layout, &name));
    let staging: [PathBuf; 5] = Scheme::ALL.map(|scheme| root.scheme(scheme));
    let record_prefixes: [String; 5] = std::array::from_fn(|scheme| {
        if targets[scheme] == lib_dir {
            String::new()
        } else {
            format!(
                "{}/",
                record::relative_record_path(&targets[scheme], &lib_dir)
            )
        }
    });
    let record_path =
        |job: &Job| format!("{}{}", record_prefixes[job.scheme as usize], job.relative);
    let staged_path = |job: &Job| staging[job.scheme as usize].join(&job.relative);

    // Map archive members to scheme paths; a later member for the same target wins.
    let mut jobs: Vec<Job> = Vec::new();
    let mut by_target: HashMap<std::ffi::OsString, usize> = HashMap::new();
    for (index, member) in source.members(&wheel_path)? {
        if !safe_member(&member) {
            return Err(InstallError::UnsafePath {
                wheel: wheel_path.clone(),
                member,
            }
            .into());
        }
        if regenerated(&member) {
            continue;
        }
        let (top, rest) = member.split_once('/').unwrap_or((&member, ""));
        let job = if top.ends_with(".data") && !rest.is_empty() {
            let Some((key, relative)) = rest.split_once('/') else {
                return Err(InstallError::UnknownScheme {
                    wheel: wheel_path.clone(),
                    member,
                }
                .into());
            };
            let Some(scheme) = Scheme::from_key(key) else {
                return Err(InstallError::UnknownScheme {
                    wheel: wheel_path.clone(),
                    member,
                }
                .into());
            };
            let is_script = scheme == Scheme::Scripts;
            if is_script {
                let file_name = relative.rsplit('/').next().unwrap_or(relative);
                if scripts::is_entry_point_wrapper(file_name, &console, &gui) {
                    continue;
                }
            }
            Job {
                index,
                scheme,
                relative: relative.to_string(),
                is_script,
                member,
            }
        } else {
            Job {
                index,
                scheme: lib_scheme,
                relative: member.clone(),
                is_script: false,
                member,
            }
        };
        // Paths are compared as bytes: both parts are normalized (`safe_member`).
        let target = targets[job.scheme as usize]
            .join(&job.relative)
            .into_os_string();
        if let Some(&previous) = by_target.get(&target) {
            jobs[previous] = job;
        } else {
            by_target.insert(target, jobs.len());
            jobs.push(job);
        }
    }

    // Create the staged directory tree once. As bytes, a parent sorts before its children.
    let mut directories: BTreeSet<Vec<u8>> = BTreeSet::new();
    let mut add_with_parents = |directory: &Path| {
        let mut current = Some(directory);
        while let Some(directory) = current {
            if directory == root.stage
                || !directories.insert(directory.as_os_str().as_bytes().to_vec())
            {
                break;
            }
            current = directory.parent();
        }
    };
    add_with_parents(&staging[lib_scheme as usize].join(&dist_info));
    for job in &jobs {
        if let Some(parent) = staged_path(job).parent() {
            add_with_parents(parent);
        }
    }
    if !console.is_empty() || !gui.is_empty() {
        add_with_parents(&staging[Scheme::Scripts as usize]);
    }
    for directory in &directories {
        let directory = Path::new(std::ffi::OsStr::from_bytes(directory));
        match fs_err::create_dir(directory) {
            Err(error) if error.kind() != io::ErrorKind::AlreadyExists => return Err(error.into()),
            _ => {}
        }
    }

    // Put the files in place, in parallel.
    let mut records: Vec<RecordEntry> = match source {
        // One archive clone (shared central directory) per worker.
        Source::Archive(wheel) => jobs
            .par_iter()
            .with_min_len(4)
            .map_init(
                || (wheel.archive.clone(), vec![0u8; COPY_BUFFER]),
                |(archive, buffer), job| {
                    if cancelled(options) {
                        return Err(InstallError::Cancelled);
                    }
                    let (hash, size) =
                        extract(archive, buffer, job, &staged_path(job), layout, &wheel_path)?;
                    Ok(RecordEntry {
                        path: record_path(job),
                        hash: Some(hash),
                        size: Some(size),
                    })
                },
            )
            .collect::<Result<_, InstallError>>()?,
        Source::Cache(entry) => {
            let linker = linker.expect("a cache source comes with a linker");
            jobs.par_iter()
                .with_min_len(16)
                .map(|job| {
                    if cancelled(options) {
                        return Err(StageError::Install(InstallError::Cancelled));
                    }
                    let (hash, size) = place_cached(entry, job, &staged_path(job), layout, linker)?;
                    Ok(RecordEntry {
                        path: record_path(job),
                        hash: Some(hash),
                        size: Some(size),
                    })
                })
                .collect::<Result<_, StageError>>()?
        }
    };

    let mut python_files = Vec::new();
    if options.compile {
        for job in &jobs {
            if matches!(job.scheme, Scheme::Purelib | Scheme::Platlib)
                && Path::new(&job.relative)
                    .extension()
                    .is_some_and(|extension| extension == "py")
            {
                let target = targets[job.scheme as usize].join(&job.relative);
                python_files.push(PythonFile {
                    staged: staged_path(job),
                    target_dir: target.parent().unwrap_or(&target).to_path_buf(),
                    record_path: record_path(job),
                });
            }
        }
    }

    // Entry point launchers (they replace a same-named `.data/scripts` file).
    let scripts_stage = &staging[Scheme::Scripts as usize];
    for entry in console.iter().chain(&gui) {
        let content = scripts::launcher(entry, &layout.python);
        let staged = scripts_stage.join(&entry.name);
        write_generated(&staged, content.as_bytes(), 0o777, true)?;
        let path = format!(
            "{}{}",
            record_prefixes[Scheme::Scripts as usize],
            entry.name
        );
        records.retain(|record| record.path != path);
        records.push(RecordEntry {
            path,
            hash: Some(record::hash_bytes(content.as_bytes())),
            size: Some(content.len() as u64),
        });
    }

    // INSTALLER, REQUESTED, direct_url.json.
    let staged_dist_info = staging[lib_scheme as usize].join(&dist_info);
    let mut generated_files: Vec<(&str, &[u8])> = vec![("INSTALLER", b"wharf\n")];
    if install.requested {
        generated_files.push(("REQUESTED", b""));
    }
    if let Some(direct_url) = &install.direct_url {
        generated_files.push(("direct_url.json", direct_url.as_bytes()));
    }
    for (file, content) in generated_files {
        write_generated(&staged_dist_info.join(file), content, 0o666, false)?;
        records.push(RecordEntry {
            path: format!("{dist_info}/{file}"),
            hash: Some(record::hash_bytes(content)),
            size: Some(content.len() as u64),
        });
    }

    Ok(StagedWheel {
        name,
        version: facts.version.clone(),
        root: root.clone(),
        lib_scheme,
        lib_dir,
        dist_info,
        records,
        python_files,
    })
}

/// Puts the cached file of `job` at `staged`: a hard link (or copy), except `.data/scripts`
/// files, which are read, their `#!python` shebang rewritten, and written. Returns the
/// `RECORD` hash and size.
fn place_cached(
    entry: &Entry,
    job: &Job,
    staged: &Path,
    layout: &Layout,
    linker: &Linker,
) -> Result<(String, u64), StageError> {
    let file = &entry.files[job.index];
    let source = entry.file(job.index);
    if !job.is_script {
        return match linker.place(&source, staged) {
            Ok(()) => Ok((file.hash.clone(), file.size)),
            Err(PlaceError::Corrupt(error)) => Err(StageError::CacheCorrupt(error)),
            Err(PlaceError::Io(error)) => Err(error.into()),
        };
    }
    let content = match std::fs::read(&source) {
        Ok(content) if content.len() as u64 == file.size => content,
        Ok(_) => {
            return Err(StageError::CacheCorrupt(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("cached file `{}` has the wrong size", source.display()),
            )));
        }
        Err(error) => return Err(StageError::CacheCorrupt(with_path(&error, "read", &source))),
    };
    let content = scripts::fix_script_shebang(&content, &layout.python).unwrap_or(content);
    write_scripts_file(staged, &content, file.executable)?;
    Ok((record::hash_bytes(&content), content.len() as u64))
}

/// Writes a `.data/scripts` file (its shebang already fixed), adding the execute bits.
fn write_scripts_file(staged: &Path, content: &[u8], executable: bool) -> io::Result<()> {
    write_generated(
        staged,
        content,
        if executable { 0o777 } else { 0o666 },
        false,
    )?;
    if executable {
        add_execute_bits(staged, 0o111)?;
    }
    Ok(())
}

/// Whether a zip mode is a regular file with an execute bit (pip `zip_item_is_executable`).
fn is_executable(mode: Option<u32>) -> bool {
    mode.is_some_and(|mode| mode & 0o170_000 == 0o100_000 && mode & 0o111 != 0)
}

/// Extracts the member of `job` to `staged` (no cache); returns its `RECORD` hash and size.
fn extract(
    archive: &mut zip::ZipArchive<crate::wheel::SharedFile>,
    buffer: &mut [u8],
    job: &Job,
    staged: &Path,
    layout: &Layout,
    wheel_path: &Path,
) -> Result<(String, u64), InstallError> {
    if !job.is_script {
        let unpacked = write_member(
            archive,
            buffer,
            job.index,
            &job.member,
            staged,
            wheel_path,
            None,
        )
        .map_err(|error| match error {
            MemberError::Read(error) => error,
            MemberError::Write(error) => error.into(),
        })?;
        return Ok((unpacked.hash, unpacked.size));
    }
    let mut member = archive
        .by_index(job.index)
        .map_err(|source| WheelError::Zip {
            path: wheel_path.to_path_buf(),
            source,
        })?;
    let executable = is_executable(member.unix_mode());
    let mut content = Vec::with_capacity(usize::try_from(member.size()).unwrap_or(0));
    member
        .read_to_end(&mut content)
        .map_err(|source| InstallError::Extract {
            wheel: wheel_path.to_path_buf(),
            member: job.member.clone(),
            source,
        })?;
    let content = scripts::fix_script_shebang(&content, &layout.python).unwrap_or(content);
    write_scripts_file(staged, &content, executable)?;
    Ok((record::hash_bytes(&content), content.len() as u64))
}

/// Why writing a member failed.
enum MemberError {
    /// Reading the archive failed (corrupt data, CRC mismatch): the wheel's fault.
    Read(InstallError),
    /// Writing the file failed.
    Write(io::Error),
}

/// A member written by [`write_member`].
struct WrittenMember {
    /// `sha256=…` of the content.
    hash: String,
    /// The size in bytes.
    size: u64,
    /// Whether the member has an execute bit.
    executable: bool,
    /// The file number whose file already holds this content (nothing was written).
    shared_with: Option<usize>,
}

/// Content already written while unpacking one wheel: (hash, executable) → file number.
type Written = Mutex<HashMap<(String, bool), usize>>;

/// Decompresses archive member `index` into the new file `destination` (mode 0o666, or
/// 0o777 plus the execute bits for an executable member), hashing it on the way. With
/// `dedup` = (what was written, this file's number), a member that fits in `buffer` and
/// whose content and mode were already written is not written again.
fn write_member(
    archive: &mut zip::ZipArchive<crate::wheel::SharedFile>,
    buffer: &mut [u8],
    index: usize,
    member_name: &str,
    destination: &Path,
    wheel_path: &Path,
    dedup: Option<(&Written, usize)>,
) -> Result<WrittenMember, MemberError> {
    let mut member = archive.by_index(index).map_err(|source| {
        MemberError::Read(
            WheelError::Zip {
                path: wheel_path.to_path_buf(),
                source,
            }
            .into(),
        )
    })?;
    let executable = is_executable(member.unix_mode());
    let read_error = |source| {
        MemberError::Read(InstallError::Extract {
            wheel: wheel_path.to_path_buf(),
            member: member_name.to_string(),
            source,
        })
    };
    let filled = fill(&mut member, buffer).map_err(read_error)?;
    let whole = filled < buffer.len();
    let mut small_hash = None;
    if whole {
        let hash = record::hash_bytes(&buffer[..filled]);
        if let Some((written, number)) = dedup {
            let mut written = written
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            match written.entry((hash.clone(), executable)) {
                std::collections::hash_map::Entry::Occupied(first) => {
                    return Ok(WrittenMember {
                        hash,
                        size: filled as u64,
                        executable,
                        shared_with: Some(*first.get()),
                    });
                }
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(number);
                }
            }
        }
        small_hash = Some(hash);
    }
    let write_error =
        |error: &io::Error, action| MemberError::Write(with_path(error, action, destination));
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(if executable { 0o777 } else { 0o666 })
        .open(destination)
        .map_err(|error| write_error(&error, "create"))?;
    let (hash, size) = if let Some(hash) = small_hash {
        (&file)
            .write_all(&buffer[..filled])
            .map_err(|error| write_error(&error, "write"))?;
        (hash, filled as u64)
    } else {
        let mut writer = FullWriter { file: &file };
        let (result, size) = copy_filled(&mut member, &mut writer, buffer, filled);
        match result {
            Ok(hash) => (hash, size),
            Err(CopyError::Read(source)) => return Err(read_error(source)),
            Err(CopyError::Write(error)) => return Err(write_error(&error, "write")),
        }
    };
    if executable {
        let chmod = || -> io::Result<()> {
            let mode = file.metadata()?.permissions().mode();
            file.set_permissions(std::fs::Permissions::from_mode(mode | 0o111))
        };
        chmod().map_err(|error| write_error(&error, "chmod"))?;
    }
    Ok(WrittenMember {
        hash,
        size,
        executable,
        shared_with: None,
    })
}

/// Reads from `reader` until `buffer` is full or the end; returns the bytes read.
fn fill(reader: &mut impl Read, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(count) => filled += count,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}

/// Which side of a copy failed.
enum CopyError {
    Read(io::Error),
    Write(io::Error),
}

struct FullWriter<'a> {
    file: &'a std::fs::File,
}

/// Copies `reader` to `writer`, filling `buffer` before each write and hashing; the first
/// `prefilled` bytes of `buffer` were already read (a full buffer: there may be more).
/// Returns the `sha256=` hash and the size.
fn copy_filled(
    reader: &mut impl Read,
    writer: &mut FullWriter<'_>,
    buffer: &mut [u8],
    prefilled: usize,
) -> (Result<String, CopyError>, u64) {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    let mut size = 0u64;
    let mut filled = prefilled;
    loop {
        if filled == 0 {
            break;
        }
        hasher.update(&buffer[..filled]);
        if let Err(error) = writer.file.write_all(&buffer[..filled]) {
            return (Err(CopyError::Write(error)), size);
        }
        size += filled as u64;
        if filled < buffer.len() {
            break;
        }
        filled = match fill(reader, buffer) {
            Ok(filled) => filled,
            Err(error) => return (Err(CopyError::Read(error)), size),
        };
    }
    (Ok(record::format_hash(&hasher.finalize())), size)
}

/// Adds an io error's action and path to its message, keeping its kind.
fn with_path(error: &io::Error, action: &str, path: &Path) -> io::Error {
    io::Error::new(
        error.kind(),
        format!("failed to {action} `{}`: {error}", path.display()),
    )
}

/// Writes a generated file with `mode` (before the umask); `scripts` adds `0o555` after, as
/// distlib's `set_mode` does for launchers.
fn write_generated(path: &Path, content: &[u8], mode: u32, script: bool) -> io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(path)
        .map_err(|error| with_path(&error, "create", path))?;
    file.write_all(content)
        .map_err(|error| with_path(&error, "write", path))?;
    if script {
        let current = file
            .metadata()
            .map_err(|error| with_path(&error, "stat", path))?
            .permissions()
            .mode();
        file.set_permissions(std::fs::Permissions::from_mode((current | 0o555) & 0o7777))
            .map_err(|error| with_path(&error, "chmod", path))?;
    }
    Ok(())
}

fn add_execute_bits(path: &Path, bits: u32) -> io::Result<()> {
    let mode = fs_err::metadata(path)?.permissions().mode();
    fs_err::set_permissions(path, std::fs::Permissions::from_mode(mode | bits))
}

/// The program each compiler process runs: for each JSON line `[source, display directory]`
/// on stdin it compiles the file with `compileall.compile_file` as pip does and answers one
/// JSON line, the `.pyc` file name or `null` when compilation failed.
const COMPILE_PROGRAM: &str = r#"
import compileall, importlib.util, json, os, sys, warnings
warnings.filterwarnings("ignore")
for line in sys.stdin:
    source, directory = json.loads(line)
    try:
        ok = compileall.compile_file(source, ddir=directory, force=True, quiet=2)
    except Exception:
        ok = False
    pyc = importlib.util.cache_from_source(source) if ok else None
    if pyc is not None and not os.path.exists(pyc):
        pyc = None
    sys.stdout.write(json.dumps(None if pyc is None else os.path.basename(pyc)) + "\n")
    sys.stdout.flush()
"#;

/// Compiled files: (wheel, file, `.pyc` name).
type Compiled = Vec<(usize, usize, String)>;

/// Byte-compiles the staged `.py` files with `threads` interpreter processes fed one file at
/// a time (so the load balances), and adds the `.pyc` files to the records (pip `--compile`:
/// files that fail, such as Python 2 syntax, are skipped). The interpreter gets an empty
/// environment and `-I`.
fn compile(
    staged: &mut [StagedWheel],
    layout: &Layout,
    options: &InstallOptions,
) -> Result<(), InstallError> {
    let files: Vec<(usize, usize)> = staged
        .iter()
        .enumerate()
        .flat_map(|(wheel, staged)| (0..staged.python_files.len()).map(move |file| (wheel, file)))
        .collect();
    if files.is_empty() {
        return Ok(());
    }
    let workers = options.threads.max(1).min(files.len());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let staged_ref: &[StagedWheel] = staged;
    let worker = || -> Result<Compiled, InstallError> {
        let compile_error = |source| InstallError::Compile {
            python: layout.python.clone(),
            source,
        };
        let mut child = Command::new(&layout.python)
            .args(["-I", "-c", COMPILE_PROGRAM])
            .env_clear()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(compile_error)?;
        let mut stdin = child.stdin.take().expect("stdin is piped");
        let mut stdout = io::BufReader::new(child.stdout.take().expect("stdout is piped"));
        let mut compiled = Vec::new();
        let mut answer = String::new();
        let result = (|| -> Result<(), InstallError> {
            loop {
                if cancelled(options) {
                    return Err(InstallError::Cancelled);
                }
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(&(wheel, file)) = files.get(index) else {
                    return Ok(());
                };
                let python_file = &staged_ref[wheel].python_files[file];
                let mut request = serde_json::to_string(&[
                    python_file.staged.to_string_lossy(),
                    python_file.target_dir.to_string_lossy(),
                ])
                .expect("strings serialize");
                request.push('\n');
                stdin
                    .write_all(request.as_bytes())
                    .and_then(|()| stdin.flush())
                    .map_err(compile_error)?;
                answer.clear();
                if io::BufRead::read_line(&mut stdout, &mut answer).map_err(compile_error)? == 0 {
                    return Err(compile_error(io::Error::other(
                        "the interpreter exited before compiling every file",
                    )));
                }
                if let Ok(Some(pyc)) = serde_json::from_str::<Option<String>>(&answer) {
                    compiled.push((wheel, file, pyc));
                }
            }
        })();
        drop(stdin);
        let status = child.wait().map_err(compile_error)?;
        result?;
        if !status.success() {
            return Err(compile_error(io::Error::other(format!(
                "the interpreter exited with {status}"
            ))));
        }
        Ok(compiled)
    };
    let results: Vec<Result<Compiled, InstallError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers).map(|_| scope.spawn(worker)).collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("compile worker panicked"))
            .collect()
    });
    for result in results {
        for (wheel, file, pyc) in result? {
            let python_file = &staged[wheel].python_files[file];
            let staged_pyc = python_file
                .staged
                .parent()
                .unwrap_or(Path::new(""))
                .join("__pycache__")
                .join(&pyc);
            let bytes = fs_err::read(&staged_pyc)?;
            let directory = python_file
                .record_path
                .rsplit_once('/')
                .map_or("", |(directory, _)| directory);
            let path = if directory.is_empty() {
                format!("__pycache__/{pyc}")
            } else {
                format!("{directory}/__pycache__/{pyc}")
            };
            let entry = RecordEntry {
                path,
                hash: Some(record::hash_bytes(&bytes)),
                size: Some(bytes.len() as u64),
            };
            staged[wheel].records.push(entry);
        }
    }
    Ok(())
}

/// Writes the staged `RECORD` (with its own row) of a wheel.
fn write_record(wheel: &mut StagedWheel) -> io::Result<()> {
    let record_path = format!("{}/RECORD", wheel.dist_info);
    wheel.records.push(RecordEntry {
        path: record_path.clone(),
        hash: None,
        size: None,
    });
    let bytes = record::write_record(&mut wheel.records);
    let staged = wheel
        .root
        .scheme(wheel.lib_scheme)
        .join(&wheel.dist_info)
        .join("RECORD");
    write_generated(&staged, &bytes, 0o666, false)
}

/// Moves the staged tree `source` into `target`: a missing path is moved with one rename, an
/// existing directory is merged into, an existing file is backed up then replaced.
fn merge(
    transaction: &mut Transaction,
    source: &Path,
    target: &Path,
    options: &InstallOptions,
) -> Result<(), InstallError> {
    let mut entries: Vec<_> = fs_err::read_dir(source)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(fs_err::DirEntry::file_name);
    for entry in entries {
        if cancelled(options) {
            return Err(InstallError::Cancelled);
        }
        let from = entry.path();
        let to = target.join(entry.file_name());
        let source_is_directory = entry.file_type()?.is_dir();
        match std::fs::metadata(&to) {
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                if std::fs::symlink_metadata(&to).is_ok() {
                    // A dangling symlink is in the way: keep it in the backup.
                    transaction.back_up(&to)?;
                }
                transaction.create(&from, &to)?;
            }
            Err(error) => return Err(with_path(&error, "stat", &to).into()),
            Ok(existing) if existing.is_dir() => {
                if source_is_directory {
                    merge(transaction, &from, &to, options)?;
                } else {
                    return Err(InstallError::Conflict {
                        path: to,
                        reason: "a directory is in the way of a file of the wheel",
                    });
                }
            }
            Ok(_) => {
                if source_is_directory {
                    return Err(InstallError::Conflict {
                        path: to,
                        reason: "a file is in the way of a directory of the wheel",
                    });
                }
                transaction.back_up(&to)?;
                transaction.create(&from, &to)?;
            }
        }
    }
    Ok(())
}

/// The paths to remove for one installed distribution, computed before anything moves.
struct Removal {
    name: String,
    version: String,
    dist_info: PathBuf,
    files: Vec<PathBuf>,
}

impl Removal {
    /// Reads the `RECORD` of `dist`; adds each `.py` file's `__pycache__/{stem}.*.pyc` (any
    /// interpreter); skips paths outside the environment's scheme directories (a warning).
    fn plan(
        dist: &InstalledDist,
        layout: &Layout,
        warnings: &mut Vec<String>,
    ) -> Result<Self, InstallError> {
        let mut files: Vec<PathBuf> = Vec::new();
        let mut seen: HashSet<PathBuf> = HashSet::new();
        let mut caches: HashMap<PathBuf, Vec<String>> = HashMap::new();
        for path in dist.files()? {
            if !layout
                .roots()
                .iter()
                .chain([&dist.site_packages()])
                .any(|root| path.starts_with(root))
            {
                warnings.push(format!(
                    "{}: `{}` is outside the environment; left in place",
                    dist.name,
                    path.display()
                ));
                continue;
            }
            if let (Some(stem), Some(parent)) = (
                path.file_name()
                    .and_then(|name| name.to_str())
                    .and_then(|name| name.strip_suffix(".py")),
                path.parent(),
            ) {
                let cache = parent.join("__pycache__");
                let names = caches.entry(cache.clone()).or_insert_with(|| {
                    std::fs::read_dir(&cache)
                        .map(|entries| {
                            entries
                                .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
                                .collect()
                        })
                        .unwrap_or_default()
                });
                let prefix = format!("{stem}.");
                for name in names.iter() {
                    if name.starts_with(&prefix) && name.ends_with(".pyc") {
                        let pyc = cache.join(name);
                        if seen.insert(pyc.clone()) {
                            files.push(pyc);
                        }
                    }
                }
                let legacy = parent.join(format!("{stem}.pyc"));
                if seen.insert(legacy.clone()) {
                    files.push(legacy);
                }
            }
            if seen.insert(path.clone()) {
                files.push(path);
            }
        }
        Ok(Self {
            name: dist.name.clone(),
            version: dist.version.clone(),
            dist_info: dist.path.clone(),
            files,
        })
    }

    /// Moves the files to the backup, then the `.dist-info` directory, then removes the
    /// directories left empty (never a scheme directory or one of its ancestors). Returns
    /// the number of paths removed.
    fn apply(&self, transaction: &mut Transaction, layout: &Layout) -> Result<usize, InstallError> {
        let mut removed = 0;
        let mut parents: BTreeSet<PathBuf> = BTreeSet::new();
        for path in &self.files {
            match std::fs::symlink_metadata(path) {
                Ok(metadata) if !metadata.is_dir() => {
                    transaction.back_up(path)?;
                    removed += 1;
                    if let Some(parent) = path.parent() {
                        parents.insert(parent.to_path_buf());
                    }
                }
                _ => {}
            }
        }
        if std::fs::symlink_metadata(&self.dist_info).is_ok() {
            transaction.back_up(&self.dist_info)?;
            removed += 1;
        }
        let roots = layout.kept_directories();
        let site_packages = self.dist_info.parent().unwrap_or(&self.dist_info);
        let protected = |directory: &Path| {
            roots
                .iter()
                .chain([&site_packages])
                .any(|root| root.starts_with(directory))
        };
        let inside = |directory: &Path| {
            roots
                .iter()
                .chain([&site_packages])
                .any(|root| directory.starts_with(root))
        };
        // Deepest first, so that a parent is looked at after its children.
        let mut pending: BTreeSet<(std::cmp::Reverse<usize>, PathBuf)> = parents
            .into_iter()
            .map(|directory| (std::cmp::Reverse(directory.components().count()), directory))
            .collect();
        while let Some((_, directory)) = pending.pop_first() {
            if protected(&directory) || !inside(&directory) {
                continue;
            }
            let empty = match std::fs::read_dir(&directory) {
                Ok(mut entries) => entries.next().is_none(),
                Err(_) => false,
            };
            if !empty {
                continue;
            }
            transaction.remove_empty_directory(&directory)?;
            removed += 1;
            if let Some(parent) = directory.parent() {
                pending.insert((
                    std::cmp::Reverse(parent.components().count()),
                    parent.to_path_buf(),
                ));
            }
        }
        Ok(removed)
    }
}
