//! The wheel cache: each wheel is unpacked once, then installed by hard links.
//!
//! # Layout
//!
//! Under the cache root given to [`WheelCache::new`] (the CLI passes `$WHARF_CACHE_DIR`, else
//! `$XDG_CACHE_HOME/wharf`, else `~/.cache/wharf`):
//!
//! ```text
//! wheels-v1/
//!   {key}/                one unpacked wheel (an "entry")
//!     manifest.json       what the entry holds, see below
//!     0  1  …  255        the wheel's files, named by number
//!     d1/256 … d1/511     files 256 to 511 (and so on: `d{n / 256}/{n}`)
//!   .tmp-{pid}-{n}/       an entry being written (or the remains of a killed writer)
//! ```
//!
//! `{key}` is the first 32 hex digits of the SHA-256 of the wheel's *file identity*: its
//! absolute path, size and modification time (nanoseconds). It costs one `stat`, so a hit never
//! reads the wheel. `manifest.json` repeats that identity, then holds what an install needs
//! without opening the wheel: the `.dist-info` directory name, `Name` and `Version` from
//! `METADATA`, `Root-Is-Purelib` from `WHEEL`, the text of `entry_points.txt`, and for each
//! member (archive order; directories and the wheel's own `RECORD`, `INSTALLER` and
//! `REQUESTED` left out) its archive path, its `sha256=` hash and size as computed while it
//! was unpacked, whether it is executable, the number of its file, and (only when true)
//! that its content differs from the wheel's `RECORD` as the site's re-tagging leaves it.
//! `record_verified` says whether the files were checked against the wheel's `RECORD` in
//! that same pass (`crate::verify`): a wheel that fails the check never gets an entry, and an
//! unverified entry (an older wharf's, or `--no-verify-record`'s) is rebuilt, hence
//! verified, by an install that verifies. Every member has its
//! own file, equal members too (a wheel's empty `__init__.py` files, time zone aliases):
//! a cached file is linked to one path per environment, so editing an installed file never
//! changes another file of the same environment. (Entries written by earlier versions, whose
//! equal members share a file number, are still read: the second and later members sharing
//! a file are copied, not linked.) Files are stored by number, not as the
//! wheel's tree, so that an entry costs one directory per 256 files instead of one per
//! directory of the wheel (the tree is built in the environment): inode allocations are
//! what a cold install pays most for on a local disk, and metadata operations on a
//! parallel filesystem.
//!
//! # Writing, concurrency, invalidation
//!
//! An entry is unpacked into a fresh `.tmp-…` directory, its manifest written last, and the
//! directory renamed to `{key}` — an entry is complete or absent, never partial. Two
//! processes that miss the same wheel both unpack it; the first `rename` wins and the loser
//! drops its copy and uses the winner's (no lock, so a cache on NFS works too).
//!
//! A wheel replaced or touched in place gets a new key (its size or mtime changed); the old
//! entry is simply never used again. An entry whose manifest is missing, unreadable, of
//! another format or of another identity, or one of whose files is missing when it is
//! linked, is *corrupt*: it is moved aside, unpacked again and replaced; if that fails too
//! the wheel is installed straight from the archive. The *contents* of the files of a
//! complete entry are trusted, as uv trusts its cache: they are not re-read or `stat`ed on a
//! hit (that would cost as much as the links). Delete an entry (or use `--no-cache`) if its
//! files were edited. A cache that cannot be
//! written (read-only, full) never fails an install: the wheel is unpacked into the
//! environment directly and a warning says so.
//!
//! Deleting the whole `wheels-v1/` directory (or `.tmp-*` remains) is always safe when no
//! wharf process is running; installed environments keep their files (hard links).
//! [`WheelCache::clean`] and [`WheelCache::prune`] do it safely while other wharf processes
//! run: installs hold a shared lock on `{cache root}/wheels.lock`, cleaners the exclusive
//! one (module `cache_admin`).
//!
//! # Linking
//!
//! Files are hard-linked from the entry into the transaction's staging area, then renamed into
//! the environment: a warm install writes no file data. When a hard link is impossible
//! (another filesystem: `EXDEV`, then every later file is copied at once; too many links;
//! a filesystem without links; `protected_hardlinks` refusing another user's file) the file
//! is copied with `std::fs::copy`, which on Linux uses `copy_file_range` and so shares the
//! extents (a reflink) where the filesystem can. A cache found on another filesystem than the
//! environment (by `st_dev`) is only read: misses are not unpacked into it. Per-environment files are always written,
//! never linked: `RECORD`, `INSTALLER`, `REQUESTED`, `direct_url.json`, entry point launchers
//! and `{dist}.data/scripts/` files (their `#!python` shebang is rewritten).
//!
//! Trap: a hard-linked file is shared by the cache and every environment made from it
//! (never by two paths of one environment).
//! Editing an installed file *in place* (not replacing it) changes it everywhere; tools that
//! patch installed files should run on environments made with `--no-cache`.

use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::UNIX_EPOCH;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The entry format; a new format gets a new bucket directory.
const FORMAT: u64 = 1;
/// The directory of entries under the cache root.
const BUCKET: &str = "wheels-v1";
/// The manifest of an entry.
pub(crate) const MANIFEST: &str = "manifest.json";
/// Names of entries being written (and of corrupt entries moved aside).
pub(crate) const TEMPORARY_PREFIX: &str = ".tmp-";
/// Files `0` to `FILES_PER_DIRECTORY - 1` sit in the entry directory, file `n` beyond them
/// in subdirectory `d{n / FILES_PER_DIRECTORY}`: the workers that unpack different parts
/// of a big wheel then create files in different directories and do not queue on one
/// directory's lock (a create holds it while the filesystem allocates the inode).
const FILES_PER_DIRECTORY: usize = 256;

/// The path of file `file` in the entry (or pending entry) `directory`.
pub(crate) fn file_path(directory: &Path, file: usize) -> PathBuf {
    let name = file.to_string();
    match file / FILES_PER_DIRECTORY {
        0 => directory.join(name),
        subdirectory => directory.join(format!("d{subdirectory}")).join(name),
    }
}

/// A cache of unpacked wheels that installs hard-link from (summary in the crate docs,
/// "Wheel cache").
///
/// # Layout
///
/// ```text
/// {cache root}/wheels-v1/
///   {key}/                one unpacked wheel (an "entry")
///     manifest.json       what the entry holds, see below
///     0  1  …  255        the wheel's files, named by number
///     d1/256 … d1/511     files 256 to 511 (and so on: `d{n / 256}/{n}`)
///   .tmp-{pid}-{n}/       an entry being written (or the remains of a killed writer)
/// ```
///
/// `{key}` is the first 32 hex digits of the SHA-256 of the wheel's file identity (absolute
/// path, size, modification time in nanoseconds). `manifest.json` repeats that identity, then
/// holds the `.dist-info` directory name, `Name` and `Version`, `Root-Is-Purelib`, the text of
/// `entry_points.txt`, and for each member (archive order; directories and the wheel's own
/// `RECORD`, `INSTALLER` and `REQUESTED` left out) `[archive path, "sha256=…", size,
/// executable, file number]`. Each member has a file of its own, so that one cached file is
/// linked to at most one path of each environment (sharing is across environments only).
///
/// # Invalidation
///
/// Entries are never updated: a changed wheel has another key. An entry with a missing,
/// unreadable, foreign-format or foreign-identity manifest, or with a file missing when it is
/// linked, is moved aside and rebuilt. File contents are trusted (not re-read, not
/// `stat`ed). Old entries are not collected by installs: [`WheelCache::prune`] removes the
/// entries no environment links to, [`WheelCache::clean`] all of them or one project's,
/// [`WheelCache::size`] counts bytes and inodes (each once). Installed environments keep
/// their files.
///
/// # Lock
///
/// An install holds a shared `flock` on `{cache root}/wheels.lock` while it uses the cache;
/// `clean` and `prune` take it exclusively (waiting, or [`crate::CacheError::Busy`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WheelCache {
    /// `{cache root}/wheels-v1`.
    directory: PathBuf,
}

impl WheelCache {
    /// The wheel cache under wharf's cache root `cache_dir` (entries go in
    /// `{cache_dir}/wheels-v1/`, created when first needed).
    pub fn new(cache_dir: impl Into<PathBuf>) -> Self {
        Self {
            directory: cache_dir.into().join(BUCKET),
        }
    }

    /// The directory holding the entries, ex) `~/.cache/wharf/wheels-v1`.
    pub fn directory(&self) -> &Path {
        &self.directory
    }

    /// The entry directory of a wheel, complete or not, ex)
    /// `~/.cache/wharf/wheels-v1/0f3c…`. `None` when the wheel cannot be `stat`ed.
    pub fn entry_directory(&self, wheel: &Path) -> Option<PathBuf> {
        let identity = Identity::of(wheel).ok()?;
        Some(self.directory.join(identity.key()))
    }

    /// Finds the entry of `identity`.
    pub(crate) fn lookup(&self, identity: &Identity) -> Lookup {
        let directory = self.directory.join(identity.key());
        match std::fs::read(directory.join(MANIFEST)) {
            Ok(bytes) => match Entry::parse(&bytes, directory, identity) {
                Some(entry) => Lookup::Hit(entry),
                None => Lookup::Corrupt,
            },
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                if std::fs::symlink_metadata(&directory).is_ok() {
                    Lookup::Corrupt
                } else {
                    Lookup::Missing
                }
            }
            Err(_) => Lookup::Corrupt,
        }
    }

    /// Creates a fresh temporary entry directory to unpack into (removed again when the
    /// returned value is dropped unpublished).
    pub(crate) fn begin(&self) -> io::Result<Pending> {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        fs_err::create_dir_all(&self.directory)?;
        loop {
            let directory = self.directory.join(format!(
                "{TEMPORARY_PREFIX}{}-{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            ));
            match std::fs::create_dir(&directory) {
                Ok(()) => {
                    return Ok(Pending {
                        directory,
                        published: false,
                    });
                }
                // The remains of a killed process with our pid: try the next name.
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
                Err(error) => return Err(with_path(&error, "create", &directory)),
            }
        }
    }

    /// Moves the entry of `identity` out of the way (it is corrupt) and deletes it. Another
    /// process may have done it already: a missing entry is no error.
    fn discard(&self, identity: &Identity) -> io::Result<()> {
        let directory = self.directory.join(identity.key());
        let aside = self.begin()?;
        // `begin` made an empty directory: renaming a directory onto it replaces it.
        let result = match std::fs::rename(&directory, &aside.directory) {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(error) => Err(with_path(&error, "move aside", &directory)),
        };
        drop(aside);
        result
    }
}

/// The outcome of [`WheelCache::lookup`].
pub(crate) enum Lookup {
    /// A complete entry.
    Hit(Entry),
    /// No entry.
    Missing,
    /// An entry that cannot be used (see the module docs).
    Corrupt,
}

/// What identifies a wheel file in the cache: absolute path, size, mtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Identity {
    path: PathBuf,
    size: u64,
    mtime_ns: i64,
}

impl Identity {
    /// `stat`s `path` (made absolute, lexically).
    pub(crate) fn of(path: &Path) -> io::Result<Self> {
        let path = crate::record::normalize_path(&std::path::absolute(path)?);
        let metadata = fs_err::metadata(&path)?;
        let modified = metadata.modified()?;
        let mtime_ns = match modified.duration_since(UNIX_EPOCH) {
            Ok(after) => i64::try_from(after.as_nanos()).unwrap_or(i64::MAX),
            Err(before) => -i64::try_from(before.duration().as_nanos()).unwrap_or(i64::MAX),
        };
        Ok(Self {
            path,
            size: metadata.len(),
            mtime_ns,
        })
    }

    /// The entry's directory name: 32 hex digits of SHA-256 over the identity.
    pub(crate) fn key(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(format!("wharf wheel cache {FORMAT}\0").as_bytes());
        hasher.update(self.path.as_os_str().as_bytes());
        hasher.update(format!("\0{}\0{}", self.size, self.mtime_ns).as_bytes());
        let mut key = data_encoding::HEXLOWER.encode(&hasher.finalize());
        key.truncate(32);
        key
    }

    fn path_text(&self) -> String {
        self.path.to_string_lossy().into_owned()
    }
}

/// One file of an entry: the archive member it was unpacked from and its `RECORD` data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CachedFile {
    /// The archive path, ex) `numpy/__init__.py`.
    pub(crate) member: String,
    /// `sha256=…` of its content.
    pub(crate) hash: String,
    /// Its size in bytes.
    pub(crate) size: u64,
    /// Whether the member had an execute bit (the cached file has them too).
    pub(crate) executable: bool,
    /// The number of the file holding the content: the member's own position in entries
    /// written now; entries of earlier versions gave equal members one number.
    pub(crate) file: usize,
    /// Whether its content differs from the wheel's `RECORD` and the site rule accepted it
    /// (`crate::verify`).
    pub(crate) stale: bool,
}

/// The `.dist-info` facts an install needs, from `METADATA`, `WHEEL`, `entry_points.txt`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DistInfo {
    /// The `.dist-info` directory, ex) `numpy-1.26.4.dist-info`.
    pub(crate) directory: String,
    /// `Name` from `METADATA`.
    pub(crate) name: String,
    /// `Version` from `METADATA`.
    pub(crate) version: String,
    /// `Root-Is-Purelib` from `WHEEL`.
    pub(crate) root_is_purelib: bool,
    /// The text of `entry_points.txt`.
    pub(crate) entry_points: Option<String>,
}

/// A complete entry of the cache.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// `{cache}/wheels-v1/{key}`.
    pub(crate) directory: PathBuf,
    pub(crate) dist_info: DistInfo,
    /// The members, in archive order.
    pub(crate) files: Vec<CachedFile>,
    /// Whether the files were checked against the wheel's `RECORD` while unpacked (entries
    /// of earlier versions, or unpacked with `--no-verify-record`, were not).
    pub(crate) verified: bool,
}

impl Entry {
    /// The path of the file holding member `index`.
    pub(crate) fn file(&self, index: usize) -> PathBuf {
        file_path(&self.directory, self.files[index].file)
    }

    /// The manifest of an entry.
    pub(crate) fn manifest(
        identity: &Identity,
        dist_info: &DistInfo,
        files: &[CachedFile],
        verified: bool,
    ) -> Vec<u8> {
        let files: Vec<Value> = files
            .iter()
            .map(|file| {
                if file.stale {
                    json!([
                        file.member,
                        file.hash,
                        file.size,
                        file.executable,
                        file.file,
                        true
                    ])
                } else {
                    json!([
                        file.member,
                        file.hash,
                        file.size,
                        file.executable,
                        file.file
                    ])
                }
            })
            .collect();
        let manifest = json!({
            "format": FORMAT,
            "wheel": identity.path_text(),
            "size": identity.size,
            "mtime_ns": identity.mtime_ns,
            "dist_info": dist_info.directory,
            "name": dist_info.name,
            "version": dist_info.version,
            "root_is_purelib": dist_info.root_is_purelib,
            "entry_points": dist_info.entry_points,
            "record_verified": verified,
            "files": files,
        });
        let mut bytes = serde_json::to_vec(&manifest).expect("JSON values serialize");
        bytes.push(b'\n');
        bytes
    }

    /// Parses a manifest; `None` when it is not one of `identity` in this format.
    fn parse(bytes: &[u8], directory: PathBuf, identity: &Identity) -> Option<Self> {
        let manifest: Value = serde_json::from_slice(bytes).ok()?;
        let text = |key: &str| manifest.get(key)?.as_str().map(str::to_string);
        if manifest.get("format")?.as_u64()? != FORMAT
            || text("wheel")? != identity.path_text()
            || manifest.get("size")?.as_u64()? != identity.size
            || manifest.get("mtime_ns")?.as_i64()? != identity.mtime_ns
        {
            return None;
        }
        let dist_info = DistInfo {
            directory: text("dist_info")?,
            name: text("name")?,
            version: text("version")?,
            root_is_purelib: manifest.get("root_is_purelib")?.as_bool()?,
            entry_points: match manifest.get("entry_points")? {
                Value::Null => None,
                Value::String(text) => Some(text.clone()),
                _ => return None,
            },
        };
        let files = manifest
            .get("files")?
            .as_array()?
            .iter()
            .map(|file| {
                let (member, hash, size, executable, file, stale) =
                    match file.as_array()?.as_slice() {
                        [member, hash, size, executable, file] => {
                            (member, hash, size, executable, file, false)
                        }
                        [member, hash, size, executable, file, stale] => {
                            (member, hash, size, executable, file, stale.as_bool()?)
                        }
                        _ => return None,
                    };
                Some(CachedFile {
                    member: member.as_str()?.to_string(),
                    hash: hash.as_str()?.to_string(),
                    size: size.as_u64()?,
                    executable: executable.as_bool()?,
                    file: usize::try_from(file.as_u64()?).ok()?,
                    stale,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Self {
            directory,
            dist_info,
            files,
            verified: manifest
                .get("record_verified")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        })
    }
}

/// An entry being written: a `.tmp-…` directory, removed on drop unless published.
pub(crate) struct Pending {
    directory: PathBuf,
    published: bool,
}

impl Pending {
    /// Creates the subdirectories for `files` files (see [`file_path`]).
    pub(crate) fn make_subdirectories(&self, files: usize) -> io::Result<()> {
        for subdirectory in 1..files.div_ceil(FILES_PER_DIRECTORY) {
            fs_err::create_dir(self.directory.join(format!("d{subdirectory}")))?;
        }
        Ok(())
    }

    /// The path of file `file` of the pending entry.
    pub(crate) fn file_path(&self, file: usize) -> PathBuf {
        file_path(&self.directory, file)
    }

    /// Writes the manifest and renames the directory to the entry of `identity`, replacing a
    /// corrupt entry when `replace`. Returns the entry, or `None` when another process
    /// published one first (the caller then looks it up).
    pub(crate) fn publish(
        mut self,
        cache: &WheelCache,
        identity: &Identity,
        dist_info: DistInfo,
        files: Vec<CachedFile>,
        verified: bool,
        replace: bool,
    ) -> io::Result<Option<Entry>> {
        let manifest = Entry::manifest(identity, &dist_info, &files, verified);
        fs_err::write(self.directory.join(MANIFEST), manifest)?;
        if replace {
            cache.discard(identity)?;
        }
        let target = cache.directory.join(identity.key());
        match std::fs::rename(&self.directory, &target) {
            Ok(()) => {
                self.published = true;
                Ok(Some(Entry {
                    directory: target,
                    dist_info,
                    files,
                    verified,
                }))
            }
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::DirectoryNotEmpty | io::ErrorKind::AlreadyExists
                ) =>
            {
                Ok(None)
            }
            Err(error) => Err(with_path(&error, "publish", &target)),
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if !self.published {
            let _ = std::fs::remove_dir_all(&self.directory);
        }
    }
}

/// Why a cached file could not be put in place.
#[derive(Debug)]
pub(crate) enum PlaceError {
    /// The cached file is missing: the entry is corrupt.
    Corrupt(io::Error),
    /// Another error (the target side: permissions, disk full).
    Io(io::Error),
}

/// Hard-links (or copies) cached files into the staging area; remembers a cross-device
/// failure so that later files are copied at once.
#[derive(Debug, Default)]
pub(crate) struct Linker {
    copy_only: AtomicBool,
    /// Files copied because a link was impossible.
    pub(crate) copied: AtomicUsize,
}

impl Linker {
    /// Puts cached file `source` at `target`: a hard link, or a copy when linking is
    /// impossible. A missing `source` is [`PlaceError::Corrupt`]; its content is trusted
    /// (checking each file's size would cost a `stat` per file, as much as the link).
    pub(crate) fn place(&self, source: &Path, target: &Path) -> Result<(), PlaceError> {
        if !self.copy_only.load(Ordering::Relaxed) {
            match std::fs::hard_link(source, target) {
                Ok(()) => return Ok(()),
                Err(error) if error.kind() == io::ErrorKind::NotFound => {
                    return Err(PlaceError::Corrupt(with_path(&error, "link", source)));
                }
                Err(error) if error.kind() == io::ErrorKind::CrossesDevices => {
                    self.copy_only.store(true, Ordering::Relaxed);
                }
                // Too many links, no hard links on this filesystem, `protected_hardlinks`:
                // a copy may still work; its error is the one reported.
                Err(_) => {}
            }
        }
        self.copy(source, target)
    }

    /// Copies cached file `source` to `target` (`copy_file_range`: a reflink where the
    /// filesystem can). Errors as [`Self::place`].
    pub(crate) fn copy(&self, source: &Path, target: &Path) -> Result<(), PlaceError> {
        match std::fs::copy(source, target) {
            Ok(_) => {
                self.copied.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            // The cached file is gone or is no file (the entry was tampered with).
            Err(error) if !std::fs::symlink_metadata(source).is_ok_and(|m| m.is_file()) => {
                Err(PlaceError::Corrupt(with_path(&error, "copy", source)))
            }
            Err(error) => Err(PlaceError::Io(with_path(&error, "copy to", target))),
        }
    }
}

/// Adds an io error's action and path to its message, keeping its kind.
fn with_path(error: &io::Error, action: &str, path: &Path) -> io::Error {
    io::Error::new(
        error.kind(),
        format!("failed to {action} `{}`: {error}", path.display()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(size: u64) -> Identity {
        Identity {
            path: PathBuf::from("/wh/demo-1.0-py3-none-any.whl"),
            size,
            mtime_ns: 1_700_000_000_123_456_789,
        }
    }

    fn dist_info() -> DistInfo {
        DistInfo {
            directory: "demo-1.0.dist-info".into(),
            name: "Demo".into(),
            version: "1.0".into(),
            root_is_purelib: true,
            entry_points: Some("[console_scripts]\ndemo = demo:main\n".into()),
        }
    }

    #[test]
    fn manifest_round_trips_and_checks_identity() {
        let files = vec![
            CachedFile {
                member: "demo/a,b \"c\".py".into(),
                hash: "sha256=abc".into(),
                size: 3,
                executable: true,
                file: 300,
                stale: false,
            },
            CachedFile {
                member: "demo-1.0.dist-info/METADATA".into(),
                hash: "sha256=def".into(),
                size: 4,
                executable: false,
                file: 1,
                stale: true,
            },
        ];
        let bytes = Entry::manifest(&identity(10), &dist_info(), &files, true);
        let entry = Entry::parse(&bytes, PathBuf::from("/c/k"), &identity(10)).unwrap();
        assert_eq!(entry.files, files);
        assert!(entry.verified);
        assert_eq!(entry.dist_info, dist_info());
        assert_eq!(entry.file(0), PathBuf::from("/c/k/d1/300"));
        assert_eq!(file_path(Path::new("/c/k"), 255), PathBuf::from("/c/k/255"));
        // Another size (the wheel changed in place): not this entry.
        assert!(Entry::parse(&bytes, PathBuf::from("/c/k"), &identity(11)).is_none());
        assert!(Entry::parse(b"{\"format\": 1", PathBuf::from("/c/k"), &identity(10)).is_none());
    }

    #[test]
    fn key_depends_on_every_part_of_the_identity() {
        let base = identity(10);
        let mut other_path = base.clone();
        other_path.path = PathBuf::from("/wh2/demo-1.0-py3-none-any.whl");
        let mut other_mtime = base.clone();
        other_mtime.mtime_ns += 1;
        let keys = [
            base.key(),
            identity(11).key(),
            other_path.key(),
            other_mtime.key(),
        ];
        for (index, key) in keys.iter().enumerate() {
            assert_eq!(key.len(), 32);
            assert!(!keys[index + 1..].contains(key));
        }
    }
}
