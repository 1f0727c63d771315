//! Administering the wheel cache: its size, cleaning it, pruning what no environment uses.
//!
//! # Lock
//!
//! `{cache root}/wheels.lock` (created when first needed, never deleted) serializes cleaning
//! against installing, with `flock` (`std::fs::File::lock_shared` / `try_lock`):
//!
//! - an install that uses the cache holds a *shared* lock on it for as long as it reads or
//!   writes the cache (several installs share the cache at once); it waits while a cleaner
//!   holds the lock. A lock file that cannot be created or opened (read-only cache) is
//!   skipped: such a cache cannot be cleaned by this user either;
//! - [`WheelCache::clean`] and [`WheelCache::prune`] take the *exclusive* lock: with
//!   `wait: false` a busy cache is [`CacheError::Busy`] (naming the lock file), with
//!   `wait: true` they wait for the installs to finish.
//!
//! Traps: `flock` is advisory and local to one machine on some network filesystems (NFS
//! without lock forwarding; a parallel filesystem mounted without `flock`): two nodes sharing
//! a cache there are not protected from each other. Versions of wharf before this lock take
//! none. [`WheelCache::size`] takes no lock: it only reads.
//!
//! # What is counted, what is removed
//!
//! Quotas on clusters count inodes as well as bytes, and a cache entry shares its inodes with
//! every environment made from it by hard links. Sizes therefore count each inode once
//! (by device and inode number) and bytes as allocated on disk (`st_blocks`, as `du` does).
//! Removing an entry frees only the inodes no environment links to: [`CleanOutput`] counts
//! those. An entry is removed by renaming it to a `.tmp-…` name first (an install never sees a
//! half-deleted entry; a cleaner killed midway leaves a `.tmp-…` directory that the next
//! [`WheelCache::prune`] removes).

use std::collections::HashSet;
use std::fs::{File, TryLockError};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};

use pep508_rs::PackageName;

use crate::cache::{MANIFEST, TEMPORARY_PREFIX, WheelCache};

/// The lock file, in the cache root.
const LOCK_FILE: &str = "wheels.lock";

/// An error of [`WheelCache::size`], [`WheelCache::clean`] or [`WheelCache::prune`].
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// Another wharf process uses the cache (an install holds the shared lock) and the
    /// caller did not ask to wait.
    #[error(
        "the wheel cache is in use by another wharf process (it holds `{}`); try again when it is done",
        lock.display()
    )]
    Busy {
        /// The lock file, ex) `~/.cache/wharf/wheels.lock`.
        lock: PathBuf,
    },
    /// A file system operation failed (the message names the path).
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// What is under a cache root: [`WheelCache::size`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheSize {
    /// Bytes allocated on disk (`st_blocks` × 512, as `du` counts), each inode once.
    pub bytes: u64,
    /// Files, directories and symlinks below the root (the root itself not counted), each
    /// inode once however many hard links it has.
    pub inodes: u64,
    /// Complete or damaged wheel entries (`wheels-v1/{key}/`; `.tmp-…` directories are not
    /// entries).
    pub entries: u64,
}

/// What [`WheelCache::clean`] or [`WheelCache::prune`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CleanOutput {
    /// Wheel entries removed.
    pub entries: u64,
    /// Leftover `.tmp-…` directories (dead writers, interrupted cleans) removed.
    pub temporary: u64,
    /// Bytes on disk freed: of the removed inodes that no environment links to.
    pub bytes: u64,
    /// Inodes freed: the removed ones that no environment links to.
    pub inodes: u64,
}

impl WheelCache {
    /// The cache root given to [`WheelCache::new`], ex) `~/.cache/wharf`.
    pub fn root(&self) -> &Path {
        self.directory().parent().unwrap_or(self.directory())
    }

    /// The lock file that installs hold shared and cleaners exclusive, ex)
    /// `~/.cache/wharf/wheels.lock` (see the module docs of `cache_admin`).
    pub fn lock_path(&self) -> PathBuf {
        self.root().join(LOCK_FILE)
    }

    /// Takes the shared lock for an install, waiting while a cleaner holds it; `create`
    /// creates the cache root and lock file when missing. `None` when the lock file cannot be
    /// opened (read-only or missing cache): the install then runs unlocked.
    pub(crate) fn lock_shared(&self, create: bool) -> Option<File> {
        let path = self.lock_path();
        let file = if create {
            let _ = std::fs::create_dir_all(self.root());
            std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .or_else(|_| File::open(&path))
        } else {
            File::open(&path)
        }
        .ok()?;
        file.lock_shared().ok()?;
        Some(file)
    }

    /// Takes the exclusive lock, creating the lock file; with `wait: false`, a lock held by
    /// someone else is [`CacheError::Busy`].
    fn lock_exclusive(&self, wait: bool) -> Result<File, CacheError> {
        let path = self.lock_path();
        fs_err::create_dir_all(self.root())?;
        let file = fs_err::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)?
            .into_file();
        let locked = if wait {
            file.lock().map_err(|error| with_path(&error, &path))
        } else {
            match file.try_lock() {
                Ok(()) => Ok(()),
                Err(TryLockError::WouldBlock) => return Err(CacheError::Busy { lock: path }),
                Err(TryLockError::Error(error)) => Err(with_path(&error, &path)),
            }
        };
        locked?;
        Ok(file)
    }

    /// The bytes and inodes of everything below the cache root, each inode counted once, and
    /// the number of wheel entries. A missing root is empty; files that vanish while they are
    /// counted (a concurrent install or clean) are skipped. Takes no lock.
    ///
    /// Errors: [`CacheError::Io`] when a directory cannot be read.
    pub fn size(&self) -> Result<CacheSize, CacheError> {
        let mut size = CacheSize::default();
        let mut seen = HashSet::new();
        measure_children(self.root(), &mut seen, &mut size, false)?;
        size.entries = self
            .children()?
            .iter()
            .filter(|(name, _)| !name.starts_with(TEMPORARY_PREFIX))
            .count() as u64;
        Ok(size)
    }

    /// Removes every wheel entry (and leftover `.tmp-…` directory), or with `package` only
    /// the entries of that project (by the `Name` their manifest records, compared PEP 503
    /// normalized; an entry whose manifest cannot be read is kept, [`WheelCache::prune`] or a
    /// full clean removes it). Environments keep their files (hard links).
    ///
    /// Errors: [`CacheError::Busy`] when an install uses the cache and `wait` is `false`;
    /// [`CacheError::Io`].
    pub fn clean(
        &self,
        package: Option<&PackageName>,
        wait: bool,
    ) -> Result<CleanOutput, CacheError> {
        let _lock = self.lock_exclusive(wait)?;
        let mut output = CleanOutput::default();
        for (name, path) in self.children()? {
            let temporary = name.starts_with(TEMPORARY_PREFIX);
            if let Some(package) = package
                && (temporary || manifest_name(&path).as_ref() != Some(package))
            {
                continue;
            }
            self.remove(&path, temporary, &mut output)?;
        }
        if package.is_none() {
            self.remove_old_buckets(&mut output)?;
        }
        Ok(output)
    }

    /// Removes the buckets of earlier entry formats (`wheels-v1/`, keyed by file path and
    /// mtime): no install reads them again. Environments keep their files.
    fn remove_old_buckets(&self, output: &mut CleanOutput) -> io::Result<()> {
        for bucket in crate::cache::OLD_BUCKETS {
            let path = self.root().join(bucket);
            if !std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) {
                continue;
            }
            let mut freed = CacheSize::default();
            measure(&path, &mut HashSet::new(), &mut freed, true)?;
            output.entries += fs_err::read_dir(&path)?.count() as u64;
            fs_err::remove_dir_all(&path)?;
            output.bytes += freed.bytes;
            output.inodes += freed.inodes;
        }
        Ok(())
    }

    /// Removes the entries no environment links to — every file of the entry has one link,
    /// its own (an environment made by copying, from a cache on another filesystem, does not
    /// count) — every leftover `.tmp-…` directory (no writer is alive while the exclusive
    /// lock is held), and the buckets of earlier entry formats.
    ///
    /// Errors: [`CacheError::Busy`] when an install uses the cache and `wait` is `false`;
    /// [`CacheError::Io`].
    pub fn prune(&self, wait: bool) -> Result<CleanOutput, CacheError> {
        let _lock = self.lock_exclusive(wait)?;
        let mut output = CleanOutput::default();
        for (name, path) in self.children()? {
            let temporary = name.starts_with(TEMPORARY_PREFIX);
            if temporary || !is_linked(&path)? {
                self.remove(&path, temporary, &mut output)?;
            }
        }
        self.remove_old_buckets(&mut output)?;
        Ok(output)
    }

    /// The names and paths in the entries directory, sorted; none when it does not exist.
    fn children(&self) -> io::Result<Vec<(String, PathBuf)>> {
        let entries = match fs_err::read_dir(self.directory()) {
            Ok(entries) => entries,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => return Err(error),
        };
        let mut children = Vec::new();
        for entry in entries {
            let entry = entry?;
            children.push((
                entry.file_name().to_string_lossy().into_owned(),
                entry.path(),
            ));
        }
        children.sort();
        Ok(children)
    }

    /// Removes one entry (renamed to a `.tmp-…` name first) or temporary directory, adding
    /// what it frees to `output`.
    fn remove(&self, path: &Path, temporary: bool, output: &mut CleanOutput) -> io::Result<()> {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let mut freed = CacheSize::default();
        measure(path, &mut HashSet::new(), &mut freed, true)?;
        let doomed = if temporary {
            path.to_path_buf()
        } else {
            let aside = self.directory().join(format!(
                "{TEMPORARY_PREFIX}{}-clean-{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            ));
            fs_err::rename(path, &aside)?;
            aside
        };
        match std::fs::symlink_metadata(&doomed) {
            Ok(metadata) if metadata.is_dir() => fs_err::remove_dir_all(&doomed)?,
            Ok(_) => fs_err::remove_file(&doomed)?,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(with_path(&error, &doomed)),
        }
        if temporary {
            output.temporary += 1;
        } else {
            output.entries += 1;
        }
        output.bytes += freed.bytes;
        output.inodes += freed.inodes;
        Ok(())
    }
}

/// The project of an entry, from the `name` its manifest records.
fn manifest_name(entry: &Path) -> Option<PackageName> {
    let bytes = std::fs::read(entry.join(MANIFEST)).ok()?;
    let manifest: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    PackageName::from_str(manifest.get("name")?.as_str()?).ok()
}

/// Whether a file below `entry` has another link than its own (an environment uses it).
fn is_linked(entry: &Path) -> io::Result<bool> {
    let metadata = match std::fs::symlink_metadata(entry) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(error) => return Err(with_path(&error, entry)),
    };
    if !metadata.is_dir() {
        return Ok(metadata.nlink() > 1);
    }
    for child in fs_err::read_dir(entry)? {
        if is_linked(&child?.path())? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Adds `path` and everything below it to `size`, each inode once; with `unshared`, files
/// with other links (used by an environment) are left out.
fn measure(
    path: &Path,
    seen: &mut HashSet<(u64, u64)>,
    size: &mut CacheSize,
    unshared: bool,
) -> io::Result<()> {
    let metadata = match std::fs::symlink_metadata(path) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(with_path(&error, path)),
    };
    let counted = !(unshared && !metadata.is_dir() && metadata.nlink() > 1);
    if counted && seen.insert((metadata.dev(), metadata.ino())) {
        size.inodes += 1;
        size.bytes += metadata.blocks() * 512;
    }
    if metadata.is_dir() {
        measure_children(path, seen, size, unshared)?;
    }
    Ok(())
}

/// [`measure`] for everything below the directory `directory` (not itself).
fn measure_children(
    directory: &Path,
    seen: &mut HashSet<(u64, u64)>,
    size: &mut CacheSize,
    unshared: bool,
) -> io::Result<()> {
    let entries = match fs_err::read_dir(directory) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error),
    };
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(error) => return Err(error),
        };
        measure(&entry.path(), seen, size, unshared)?;
    }
    Ok(())
}

/// Adds the path to an io error's message, keeping its kind.
fn with_path(error: &io::Error, path: &Path) -> io::Error {
    io::Error::new(error.kind(), format!("`{}`: {error}", path.display()))
}
