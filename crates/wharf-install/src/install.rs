//! Installing wheels (and removing installed distributions) as one transaction.
//!
//! Implements the installation half of the binary distribution format (PEP 427) and the
//! recording installed projects specification; the steps and the transaction's guarantee
//! are described in the crate documentation.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::{self, Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use crate::installed::{InstalledDist, InstalledError};
use crate::layout::Layout;
use crate::metadata::normalize_name;
use crate::record::{self, RecordEntry};
use crate::scripts;
use crate::transaction::{RecoveredTransaction, Transaction};
use crate::wheel::{Wheel, WheelError};

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
}

impl Default for InstallOptions {
    fn default() -> Self {
        Self {
            threads: std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
            compile: false,
            cancel: None,
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
    /// failure after the commit).
    pub warnings: Vec<String>,
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

/// A wheel fully staged, `RECORD` not yet written.
struct StagedWheel {
    name: String,
    version: String,
    root: PathBuf,
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
    // 1. Stage every wheel, in parallel.
    let mut staged: Vec<StagedWheel> = plan
        .install
        .par_iter()
        .enumerate()
        .map(|(index, wheel)| stage_wheel(wheel, &stage.join(index.to_string()), layout, options))
        .collect::<Result<_, _>>()?;
    let mut projects: HashMap<String, usize> = HashMap::new();
    for (index, wheel) in staged.iter().enumerate() {
        if let Some(&first) = projects.get(&normalize_name(&wheel.name)) {
            return Err(InstallError::DuplicateProject {
                name: wheel.name.clone(),
                first: plan.install[first].path.clone(),
                second: plan.install[index].path.clone(),
            });
        }
        projects.insert(normalize_name(&wheel.name), index);
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
        .map(|wheel| normalize_name(&wheel.name))
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
            let source = wheel.root.join(scheme.key());
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
        if names.contains(&normalize_name(project)) && entry.file_type()?.is_dir() {
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

fn stage_wheel(
    install: &WheelInstall,
    root: &Path,
    layout: &Layout,
    options: &InstallOptions,
) -> Result<StagedWheel, InstallError> {
    let wheel = Wheel::open(&install.path)?;
    let wheel_path = wheel.path.clone();
    let (console, gui) = match &wheel.entry_points {
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
    let name = wheel.metadata.name.clone();
    let lib_scheme = if wheel.info.root_is_purelib {
        Scheme::Purelib
    } else {
        Scheme::Platlib
    };
    let lib_dir = lib_scheme.target(layout, &name);
    let dist_info = wheel.dist_info.clone();
    let generated: [String; 4] = ["RECORD", "INSTALLER", "REQUESTED", "direct_url.json"]
        .map(|file| format!("{dist_info}/{file}"));
    let regenerated = |member: &str| {
        generated[..3].iter().any(|known| known == member)
            || (install.direct_url.is_some() && member == generated[3])
    };

    // Map archive members to scheme paths; a later member for the same target wins.
    let mut jobs: Vec<Job> = Vec::new();
    let mut by_target: HashMap<PathBuf, usize> = HashMap::new();
    for (index, member) in wheel.archive.file_names().enumerate() {
        let member = member.map_err(|source| WheelError::Zip {
            path: wheel_path.clone(),
            source,
        })?;
        if member.ends_with('/') {
            continue;
        }
        let member = member.into_owned();
        if !safe_member(&member) {
            return Err(InstallError::UnsafePath {
                wheel: wheel_path.clone(),
                member,
            });
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
                });
            };
            let Some(scheme) = Scheme::from_key(key) else {
                return Err(InstallError::UnknownScheme {
                    wheel: wheel_path.clone(),
                    member,
                });
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
        let target = scheme_path(layout, &name, job.scheme, &job.relative);
        if let Some(&previous) = by_target.get(&target) {
            jobs[previous] = job;
        } else {
            by_target.insert(target, jobs.len());
            jobs.push(job);
        }
    }

    // Create the staged directory tree once, parents first.
    let mut directories: BTreeSet<PathBuf> = BTreeSet::new();
    directories.insert(root.join(lib_scheme.key()));
    directories.insert(root.join(lib_scheme.key()).join(&dist_info));
    for job in &jobs {
        let staged = root.join(job.scheme.key()).join(&job.relative);
        let mut parent = staged.parent();
        while let Some(directory) = parent {
            if directory == root || !directories.insert(directory.to_path_buf()) {
                break;
            }
            parent = directory.parent();
        }
    }
    if !console.is_empty() || !gui.is_empty() {
        directories.insert(root.join(Scheme::Scripts.key()));
    }
    fs_err::create_dir(root)?;
    for directory in &directories {
        match fs_err::create_dir(directory) {
            Err(error) if error.kind() != io::ErrorKind::AlreadyExists => return Err(error.into()),
            _ => {}
        }
    }

    // Extract in parallel: one archive clone (shared central directory) per worker.
    let extracted: Vec<RecordEntry> = jobs
        .par_iter()
        .with_min_len(4)
        .map_init(
            || (wheel.archive.clone(), vec![0u8; COPY_BUFFER]),
            |(archive, buffer), job| {
                if cancelled(options) {
                    return Err(InstallError::Cancelled);
                }
                extract(
                    archive,
                    buffer,
                    job,
                    root,
                    layout,
                    &name,
                    &lib_dir,
                    &wheel_path,
                )
            },
        )
        .collect::<Result<_, _>>()?;
    let mut records = extracted;

    let mut python_files = Vec::new();
    for job in &jobs {
        if matches!(job.scheme, Scheme::Purelib | Scheme::Platlib)
            && std::path::Path::new(&job.relative)
                .extension()
                .is_some_and(|extension| extension == "py")
        {
            let target = scheme_path(layout, &name, job.scheme, &job.relative);
            python_files.push(PythonFile {
                staged: root.join(job.scheme.key()).join(&job.relative),
                target_dir: target.parent().unwrap_or(&target).to_path_buf(),
                record_path: record_path(&target, &lib_dir),
            });
        }
    }

    // Entry point launchers (they replace a same-named `.data/scripts` file).
    let scripts_stage = root.join(Scheme::Scripts.key());
    for entry in console.iter().chain(&gui) {
        let content = scripts::launcher(entry, &layout.python);
        let staged = scripts_stage.join(&entry.name);
        write_generated(&staged, content.as_bytes(), 0o777, true)?;
        let target = layout.scripts.join(&entry.name);
        let path = record_path(&target, &lib_dir);
        records.retain(|record| record.path != path);
        records.push(RecordEntry {
            path,
            hash: Some(record::hash_bytes(content.as_bytes())),
            size: Some(content.len() as u64),
        });
    }

    // INSTALLER, REQUESTED, direct_url.json.
    let staged_dist_info = root.join(lib_scheme.key()).join(&dist_info);
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
        version: wheel.metadata.version.clone(),
        root: root.to_path_buf(),
        lib_scheme,
        lib_dir,
        dist_info,
        records,
        python_files,
    })
}

/// The final path of `relative` in `scheme`.
fn scheme_path(layout: &Layout, name: &str, scheme: Scheme, relative: &str) -> PathBuf {
    scheme.target(layout, name).join(relative)
}

/// The `RECORD` path of `target`: relative to `lib_dir`, `/`-separated.
fn record_path(target: &Path, lib_dir: &Path) -> String {
    match target.strip_prefix(lib_dir) {
        Ok(inside) => inside.to_string_lossy().into_owned(),
        Err(_) => record::relative_record_path(target, lib_dir),
    }
}

/// Whether a zip mode is a regular file with an execute bit (pip `zip_item_is_executable`).
fn is_executable(mode: Option<u32>) -> bool {
    mode.is_some_and(|mode| mode & 0o170_000 == 0o100_000 && mode & 0o111 != 0)
}

#[allow(clippy::too_many_arguments)]
fn extract(
    archive: &mut zip::ZipArchive<crate::wheel::SharedFile>,
    buffer: &mut [u8],
    job: &Job,
    root: &Path,
    layout: &Layout,
    name: &str,
    lib_dir: &Path,
    wheel_path: &Path,
) -> Result<RecordEntry, InstallError> {
    let extract_error = |source: io::Error| InstallError::Extract {
        wheel: wheel_path.to_path_buf(),
        member: job.member.clone(),
        source,
    };
    let mut member = archive
        .by_index(job.index)
        .map_err(|source| WheelError::Zip {
            path: wheel_path.to_path_buf(),
            source,
        })?;
    let executable = is_executable(member.unix_mode());
    let staged = root.join(job.scheme.key()).join(&job.relative);
    let target = scheme_path(layout, name, job.scheme, &job.relative);
    let (hash, size) = if job.is_script {
        let mut content = Vec::with_capacity(usize::try_from(member.size()).unwrap_or(0));
        member.read_to_end(&mut content).map_err(extract_error)?;
        if let Some(fixed) = scripts::fix_script_shebang(&content, &layout.python) {
            content = fixed;
        }
        write_generated(
            &staged,
            &content,
            if executable { 0o777 } else { 0o666 },
            false,
        )?;
        if executable {
            add_execute_bits(&staged, 0o111)?;
        }
        (record::hash_bytes(&content), content.len() as u64)
    } else {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(if executable { 0o777 } else { 0o666 })
            .open(&staged)
            .map_err(|error| with_path(&error, "create", &staged))?;
        let mut writer = FullWriter { file: &file };
        let (result, size) = copy_filled(&mut member, &mut writer, buffer);
        let hash = match result {
            Ok(hash) => hash,
            Err(CopyError::Read(error)) => return Err(extract_error(error)),
            Err(CopyError::Write(error)) => return Err(with_path(&error, "write", &staged).into()),
        };
        if executable {
            let mode = file
                .metadata()
                .map_err(|error| with_path(&error, "stat", &staged))?
                .permissions()
                .mode();
            file.set_permissions(std::fs::Permissions::from_mode(mode | 0o111))
                .map_err(|error| with_path(&error, "chmod", &staged))?;
        }
        (hash, size)
    };
    Ok(RecordEntry {
        path: record_path(&target, lib_dir),
        hash: Some(hash),
        size: Some(size),
    })
}

/// Which side of a copy failed.
enum CopyError {
    Read(io::Error),
    Write(io::Error),
}

struct FullWriter<'a> {
    file: &'a std::fs::File,
}

/// Copies `reader` to `writer`, filling `buffer` before each write and hashing; returns the
/// `sha256=` hash and the size.
fn copy_filled(
    reader: &mut impl Read,
    writer: &mut FullWriter<'_>,
    buffer: &mut [u8],
) -> (Result<String, CopyError>, u64) {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    let mut size = 0u64;
    loop {
        let mut filled = 0;
        while filled < buffer.len() {
            match reader.read(&mut buffer[filled..]) {
                Ok(0) => break,
                Ok(count) => filled += count,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return (Err(CopyError::Read(error)), size),
            }
        }
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
        .join(wheel.lib_scheme.key())
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
