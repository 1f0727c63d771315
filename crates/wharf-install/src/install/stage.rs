//! Staging: each wheel's files put under the transaction's `stage/` directory (hard-linked
//! from the wheel cache, or extracted from the archive), launchers and per-environment
//! `.dist-info` files written, `RECORD` last. The environment is not touched.

use std::collections::{BTreeSet, HashMap};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;
use wharf_metadata::WheelError;

use super::extract::{
    Job, UnpackError, extract, unpack_into_cache, with_scratch, write_generated, write_scripts_file,
};
use super::plan::{CacheStats, InstallError, InstallOptions, WheelInstall, cancelled};
use crate::cache::{
    DistInfo, Entry, Identity, Linker, Lookup, PlaceError, WheelCache, check_cached,
};
use crate::layout::{Layout, Scheme};
use crate::record::{self, RecordEntry};
use crate::scripts;
use crate::transaction;
use crate::verify::{Verification, is_site_retagged, safe_member};
use crate::wheel::{Wheel, open_wheel_file};
use wharf_digest::{DigestCache, FileStamp};

/// Where one wheel is staged: `{stage}/{index}-{scheme}/` for each scheme it has files in
/// (one directory level per scheme, not two: a cold install pays for every directory).
#[derive(Clone)]
pub(super) struct StageRoot {
    pub(super) stage: PathBuf,
    pub(super) index: usize,
}

impl StageRoot {
    /// The staging directory of `scheme`, ex) `{stage}/3-purelib`.
    pub(super) fn scheme(&self, scheme: Scheme) -> PathBuf {
        self.stage.join(format!("{}-{}", self.index, scheme.key()))
    }

    /// Removes everything staged for this wheel.
    pub(super) fn remove(&self) -> io::Result<()> {
        for scheme in Scheme::ALL {
            transaction::remove_any(&self.scheme(scheme))?;
        }
        Ok(())
    }
}

/// A wheel fully staged, `RECORD` not yet written.
pub(super) struct StagedWheel {
    pub(super) name: String,
    pub(super) version: String,
    pub(super) root: StageRoot,
    pub(super) lib_scheme: Scheme,
    pub(super) lib_dir: PathBuf,
    pub(super) dist_info: String,
    pub(super) records: Vec<RecordEntry>,
    pub(super) python_files: Vec<PythonFile>,
    /// Members whose content differs from the wheel's `RECORD`, accepted by the site rule.
    pub(super) stale: Vec<String>,
}

/// A staged `.py` file to byte-compile.
pub(super) struct PythonFile {
    pub(super) staged: PathBuf,
    pub(super) target_dir: PathBuf,
    pub(super) record_path: String,
}

/// Where the files of a wheel come from while it is staged.
pub(super) enum Source {
    /// The archive: members are decompressed into the staging area.
    Archive(Box<Wheel>),
    /// A cache entry: files are hard-linked (or copied) into the staging area.
    Cache(Entry),
}

impl Source {
    pub(super) fn dist_info(&self) -> DistInfo {
        match self {
            Source::Archive(wheel) => wheel.dist_info_facts(),
            Source::Cache(entry) => entry.dist_info.clone(),
        }
    }

    /// The non-directory members as (index, archive path): zip indexes for an archive,
    /// file indexes for an entry.
    pub(super) fn members(&self) -> Vec<(usize, String)> {
        match self {
            Source::Archive(wheel) => wheel.members.clone(),
            Source::Cache(entry) => entry
                .files
                .iter()
                .enumerate()
                .map(|(index, file)| (index, file.member.clone()))
                .collect(),
        }
    }
}

/// Why staging a wheel failed.
pub(super) enum StageError {
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
pub(super) struct CacheSession<'a> {
    pub(super) cache: &'a WheelCache,
    /// Whether missing wheels are unpacked into the cache: only when it is on the
    /// environment's filesystem. Elsewhere every file would be written twice (cache, then a
    /// copy), and on a network home directory each of the thousands of creates is a round
    /// trip: a miss is unpacked straight into the environment instead (a hit is copied).
    pub(super) fill: bool,
    pub(super) linker: Linker,
    pub(super) hits: AtomicUsize,
    pub(super) unpacked: AtomicUsize,
    pub(super) bypassed: AtomicUsize,
    /// Set when the cache could not be written: later misses skip it.
    pub(super) unwritable: AtomicBool,
    pub(super) warnings: Mutex<Vec<String>>,
    /// Entries found changed or damaged and unpacked again.
    pub(super) refreshed: AtomicUsize,
    /// Wheel digests by `stat` stamp (the caller's, else the cache root's `wheels` scope).
    pub(super) digests: Arc<DigestCache>,
    /// The shared lock on the cache (`WheelCache::lock_path`), held while the session
    /// lives, so that `clean` and `prune` never remove an entry this install uses.
    _lock: Option<std::fs::File>,
}

impl<'a> CacheSession<'a> {
    pub(super) fn new(cache: &'a WheelCache, purelib: &Path, options: &InstallOptions) -> Self {
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
        let lock = cache.lock_shared(fill);
        let digests = options
            .digests
            .clone()
            .unwrap_or_else(|| Arc::new(DigestCache::open(Some(cache.root()), WHEEL_DIGESTS)));
        Self {
            cache,
            fill,
            linker: Linker::new(options.link_mode),
            refreshed: AtomicUsize::new(0),
            digests,
            hits: AtomicUsize::new(0),
            unpacked: AtomicUsize::new(0),
            bypassed: AtomicUsize::new(0),
            unwritable: AtomicBool::new(false),
            warnings: Mutex::new(Vec::new()),
            _lock: lock,
        }
    }

    pub(super) fn warn(&self, warning: String) {
        self.warnings
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(warning);
    }

    pub(super) fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            unpacked: self.unpacked.load(Ordering::Relaxed),
            bypassed: self.bypassed.load(Ordering::Relaxed),
            copied_files: self.linker.copied.load(Ordering::Relaxed),
            cloned_files: self.linker.cloned.load(Ordering::Relaxed),
            refreshed: self.refreshed.load(Ordering::Relaxed),
        }
    }

    /// Unpacks `wheel` (whose open file had `stamp` when its digest was taken) into a new
    /// entry (replacing a corrupt one when `replace`); falls back to the archive itself when
    /// the cache is not filled or cannot be written.
    pub(super) fn unpack(
        &self,
        wheel: Wheel,
        identity: &Identity,
        stamp: &FileStamp,
        replace: bool,
        options: &InstallOptions,
    ) -> Result<Source, InstallError> {
        if !self.fill || self.unwritable.load(Ordering::Relaxed) {
            return Ok(Source::Archive(Box::new(wheel)));
        }
        match unpack_into_cache(&wheel, identity, stamp, self.cache, replace, options) {
            Ok(Some(entry)) => Ok(Source::Cache(entry)),
            // Another process published the entry first: use it.
            Ok(None) => match self.cache.lookup(identity) {
                Lookup::Hit(entry) => Ok(Source::Cache(entry)),
                Lookup::Missing | Lookup::Corrupt => Ok(Source::Archive(Box::new(wheel))),
            },
            Err(UnpackError::Install(error)) => Err(error),
            Err(UnpackError::Cache(error)) => {
                if !self.unwritable.swap(true, Ordering::Relaxed) {
                    self.warn(format!(
                        "the wheel cache `{}` cannot be written ({error}); installing without it",
                        self.cache.directory().display()
                    ));
                }
                Ok(Source::Archive(Box::new(wheel)))
            }
        }
    }
}

/// The digest scope of wheel files (`{cache root}/digests-v1/wheels.tsv`), shared with
/// `wharf lock`.
pub(crate) const WHEEL_DIGESTS: &str = "wheels";

/// Stages one wheel under `root`: from the cache when one is given (unpacking the wheel
/// into it first on a miss), else from the archive.
///
/// The wheel file is opened once and every read goes through that handle. Its SHA-256 (read
/// through it, or known for its `stat` stamp) keys the cache entry and is checked against
/// [`WheelInstall::sha256`]; after staging from the archive, the handle's stamp must be
/// unchanged ([`InstallError::WheelChanged`]).
pub(super) fn stage_wheel(
    install: &WheelInstall,
    root: StageRoot,
    layout: &Layout,
    options: &InstallOptions,
    cache: Option<&CacheSession<'_>>,
) -> Result<StagedWheel, InstallError> {
    let verification = &options.verification;
    let file = open_wheel_file(&install.path)?;
    let io_error = |source| WheelError::Io {
        path: install.path.clone(),
        source,
    };
    let digested =
        if cache.is_some() || install.sha256.is_some() || !install.accepted_sha256.is_empty() {
            let local;
            let digests = match (cache, &options.digests) {
                (Some(session), _) => &session.digests,
                (None, Some(digests)) => digests,
                (None, None) => {
                    local = Arc::new(DigestCache::disabled());
                    &local
                }
            };
            let (digest, stamp) = digests
                .sha256_of_file(&install.path, &file)
                .map_err(io_error)?;
            let actual = digest.hex();
            if let Some(expected) = &install.sha256
                && !expected.eq_ignore_ascii_case(&actual)
            {
                return Err(InstallError::HashMismatch {
                    wheel: install.path.clone(),
                    expected: expected.to_ascii_lowercase(),
                    actual,
                });
            }
            if !install.accepted_sha256.is_empty()
                && !install
                    .accepted_sha256
                    .iter()
                    .any(|accepted| accepted.eq_ignore_ascii_case(&actual))
            {
                return Err(InstallError::HashMismatch {
                    wheel: install.path.clone(),
                    expected: install.accepted_sha256.join(" or "),
                    actual,
                });
            }
            let path = std::path::absolute(&install.path).map_err(io_error)?;
            Some((
                Identity {
                    path: crate::record::normalize_path(&path),
                    sha256: actual,
                    size: digest.size,
                },
                stamp,
            ))
        } else {
            None
        };
    let reopen = || -> Result<Wheel, InstallError> {
        let handle = file.try_clone().map_err(io_error)?;
        Wheel::open_file(&install.path, handle, verification)
    };
    // Staged from the archive: the handle must not have changed while it was read.
    let unchanged = |staged: StagedWheel| -> Result<StagedWheel, InstallError> {
        if let Some((_, stamp)) = &digested {
            let now = file.metadata().map_err(io_error)?;
            if FileStamp::of(&now) != *stamp {
                return Err(InstallError::WheelChanged {
                    wheel: install.path.clone(),
                });
            }
        }
        Ok(staged)
    };
    let from_archive = |root: StageRoot| -> Result<StagedWheel, InstallError> {
        let source = Source::Archive(Box::new(reopen()?));
        match stage(&source, install, &root, layout, options, None) {
            Ok(staged) => unchanged(staged),
            Err(StageError::Install(error)) => Err(error),
            Err(StageError::CacheCorrupt(error)) => Err(error.into()),
        }
    };
    let (Some(session), Some((identity, stamp))) = (cache, &digested) else {
        return from_archive(root);
    };
    let mut hit = false;
    let lookup = if install.refresh_cache {
        Lookup::Corrupt
    } else {
        session.cache.lookup(identity)
    };
    let mut source = match lookup {
        Lookup::Hit(entry) if entry_satisfies(&entry, &install.path, verification) => {
            hit = true;
            Source::Cache(entry)
        }
        // Unpacked without the checks this install asks for: unpack (and check) again.
        Lookup::Hit(_) | Lookup::Corrupt => {
            session.unpack(reopen()?, identity, stamp, true, options)?
        }
        Lookup::Missing => session.unpack(reopen()?, identity, stamp, false, options)?,
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
                return if cached {
                    Ok(staged)
                } else {
                    unchanged(staged)
                };
            }
            Err(StageError::Install(error)) => return Err(error),
            Err(StageError::CacheCorrupt(error)) => {
                root.remove()?;
                if attempt == 0 {
                    // A changed or damaged entry: say so, rebuild it and stage again.
                    session.refreshed.fetch_add(1, Ordering::Relaxed);
                    session.warn(format!(
                        "the wheel cache entry of `{}` was changed or damaged ({error}); it is unpacked again from the wheel",
                        install.path.display()
                    ));
                    hit = false;
                    source = session.unpack(reopen()?, identity, stamp, true, options)?;
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

/// Whether a cache entry was checked as `verification` asks: verified against `RECORD` when
/// verification is on, and stale members only in a wheel the site rule still calls
/// re-tagged.
fn entry_satisfies(entry: &Entry, wheel: &Path, verification: &Verification) -> bool {
    if !verification.record {
        return true;
    }
    let retagged = || {
        wharf_metadata::parse_filename(wheel)
            .ok()
            .and_then(|(_, version)| version.parse::<pep440_rs::Version>().ok())
            .is_some_and(|version| is_site_retagged(&version, verification.site_label.as_deref()))
    };
    entry.verified && (!entry.files.iter().any(|file| file.stale) || retagged())
}

/// Stages the files of `source` under `root` (`{stage}/{n}-{scheme}/…`), writes the
/// launchers and the per-environment `.dist-info` files, and returns the records (`RECORD`
/// not written yet).
pub(super) fn stage(
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
    for (index, member) in source.members() {
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
    let mut stale: Vec<String> = Vec::new();
    let mut records: Vec<RecordEntry> = match source {
        // One archive clone (shared central directory) per worker.
        Source::Archive(wheel) => {
            let extracted: Vec<(RecordEntry, bool)> = jobs
                .par_iter()
                .with_min_len(4)
                .map_init(
                    || wheel.archive.clone(),
                    |archive, job| {
                        if cancelled(options) {
                            return Err(InstallError::Cancelled);
                        }
                        let extracted = with_scratch(|scratch| {
                            extract(
                                archive,
                                scratch,
                                job,
                                &staged_path(job),
                                layout,
                                &wheel_path,
                                &wheel.record,
                            )
                        })?;
                        Ok((
                            RecordEntry {
                                path: record_path(job),
                                hash: Some(extracted.hash),
                                size: Some(extracted.size),
                            },
                            extracted.stale,
                        ))
                    },
                )
                .collect::<Result<_, InstallError>>()?;
            stale.extend(
                jobs.iter()
                    .zip(&extracted)
                    .filter(|(_, (_, stale))| *stale)
                    .map(|(job, _)| job.member.clone()),
            );
            extracted.into_iter().map(|(record, _)| record).collect()
        }
        Source::Cache(entry) => {
            stale.extend(
                jobs.iter()
                    .filter(|job| entry.files[job.index].stale)
                    .map(|job| job.member.clone()),
            );
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
        stale,
    })
}

/// Puts the cached file of `job` at `staged` by the linker's mode, after checking it against
/// the manifest (`lstat`), except `.data/scripts` files, which are read, checked against
/// their hash, their `#!python` shebang rewritten, and written. Returns the `RECORD` hash and
/// size.
pub(super) fn place_cached(
    entry: &Entry,
    job: &Job,
    staged: &Path,
    layout: &Layout,
    linker: &Linker,
) -> Result<(String, u64), StageError> {
    let file = &entry.files[job.index];
    let source = entry.file(job.index);
    let corrupt = |error: PlaceError| match error {
        PlaceError::Corrupt(error) => StageError::CacheCorrupt(error),
        PlaceError::Io(error) => error.into(),
    };
    if !job.is_script {
        linker.place(&source, file, staged).map_err(corrupt)?;
        return Ok((file.hash.clone(), file.size));
    }
    check_cached(&source, file).map_err(corrupt)?;
    let content = match wharf_fs::read_capped(&source, file.size) {
        Ok(content) if record::hash_bytes(&content) == file.hash => content,
        Ok(_) => {
            return Err(StageError::CacheCorrupt(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "cached file `{}` does not have the hash recorded for it",
                    source.display()
                ),
            )));
        }
        Err(error) => {
            return Err(StageError::CacheCorrupt(io::Error::new(
                io::ErrorKind::InvalidData,
                error.to_string(),
            )));
        }
    };
    let content = scripts::fix_script_shebang(&content, &layout.python).unwrap_or(content);
    write_scripts_file(staged, &content, file.executable)?;
    Ok((record::hash_bytes(&content), content.len() as u64))
}

/// Writes the staged `RECORD` (with its own row) of a wheel.
pub(super) fn write_record(wheel: &mut StagedWheel) -> io::Result<()> {
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
