//! The wheel cache: each wheel is unpacked once, then installed by links (reflinks or hard
//! links, [`LinkMode`]).
//!
//! # Layout
//!
//! Under the cache root given to [`WheelCache::new`] (the CLI passes `$WHARF_CACHE_DIR`, else
//! `$XDG_CACHE_HOME/wharf`, else `~/.cache/wharf`):
//!
//! ```text
//! wheels-v2/
//!   {sha256}/             one unpacked wheel (an "entry"), named by the wheel's SHA-256
//!     manifest.json       what the entry holds, see below
//!     0  1  …  255        the wheel's files, named by number
//!     d1/256 … d1/511     files 256 to 511 (and so on: `d{n / 256}/{n}`)
//!   .tmp-{pid}-{n}/       an entry being written (or the remains of a killed writer)
//! digests-v1/wheels.tsv   wheel digests by `stat` stamp (wharf-digest), shared with `lock`
//! ```
//!
//! # Keys: the wheel's content
//!
//! An entry is named by the SHA-256 of the wheel's bytes. The installer opens the wheel once
//! and takes its digest through that handle, or finds it in the digest cache by the handle's
//! `stat` stamp (device, inode, size, mtime, ctime: a `cp -p` or `rsync -t` replacement keeps
//! size and mtime but not inode and ctime, and no unprivileged call sets a ctime back), so a
//! warm install still reads no wheel. Everything unpacked on a miss is read through the same
//! handle, and the entry is published only if the handle's stamp did not move meanwhile.
//! `sync` and `venv --from` pass the digest they checked against the lock
//! ([`crate::WheelInstall::sha256`]): other bytes are refused, and a hit links the entry of
//! exactly that digest.
//!
//! # Trust: checked before every link
//!
//! `manifest.json` repeats the digest and size, then holds what an install needs without
//! opening the wheel: the `.dist-info` directory name, `Name` and `Version` from `METADATA`,
//! `Root-Is-Purelib` from `WHEEL`, the text of `entry_points.txt`, whether the files were
//! checked against the wheel's `RECORD` (`crate::verify`) while unpacked, and for each member
//! (archive order; directories and the wheel's own `RECORD`, `INSTALLER` and `REQUESTED` left
//! out) its archive path, `sha256=` hash and size computed while unpacking, whether it is
//! executable, the number of its file (its position: file `n` holds member `n`, so a cached
//! file is linked to one path per environment), whether the site rule accepted it stale, and
//! the inode and mtime its file had when written. The manifest is validated as strictly as a
//! wheel's member names (a `.dist-info` or member path that is absolute or climbs with `..`
//! makes the entry corrupt: a group's shared cache cannot make one user write outside their
//! environment), and each file is checked with one `lstat` before it is linked: a regular
//! file (not a symlink, FIFO or device) with the recorded size, inode and mtime. An installed
//! file edited in place through a hard link moves the shared inode's mtime, so the entry is
//! found changed at its next use: discarded, unpacked again from the wheel, with one warning
//! naming the file. The cost is one `lstat` per file on a warm install (measured in
//! BENCHMARKS.md). Not seen: an edit whose mtime is then set back by hand; `install
//! --reinstall` unpacks its wheels afresh in any case ([`crate::WheelInstall::refresh_cache`]).
//!
//! # Writing, concurrency, invalidation
//!
//! An entry is unpacked into a fresh `.tmp-…` directory, its manifest written last, and the
//! directory renamed to `{sha256}` — an entry is complete or absent, never partial. Two
//! processes that miss the same wheel both unpack it; the first `rename` wins and the loser
//! drops its copy and uses the winner's (no lock, so a cache on NFS works too). An entry that
//! is corrupt or changed is moved aside, unpacked again and replaced; if that fails too the
//! wheel is installed straight from the archive. A cache that cannot be written (read-only,
//! full) never fails an install: the wheel is unpacked into the environment directly and a
//! warning says so.
//!
//! Deleting the whole `wheels-v2/` directory (or `.tmp-*` remains) is always safe when no
//! wharf process is running; installed environments keep their files. [`WheelCache::clean`]
//! and [`WheelCache::prune`] do it safely while other wharf processes run: installs hold a
//! shared lock on `{cache root}/wheels.lock`, cleaners the exclusive one (module
//! `cache_admin`); both also remove the `wheels-v1/` bucket of earlier versions.
//!
//! # Linking
//!
//! By [`LinkMode`]: `auto` (the default) clones (`FICLONE`, a reflink) where the filesystem
//! can (XFS, Btrfs: the environment's files share blocks but not inodes with the cache, so an
//! edit in place stays in that environment) and hard-links elsewhere (ext4, tmpfs, Lustre,
//! GPFS, NFS: one failed clone switches the install to links); `clone` copies where it cannot
//! clone; `hardlink`; `copy`. When a hard link is impossible (another filesystem: `EXDEV`,
//! then every later file is copied at once; too many links; `protected_hardlinks`) the file
//! is copied. A cache found on another filesystem than the environment (by `st_dev`) is only
//! read: misses are not unpacked into it. Per-environment files are always written, never
//! linked: `RECORD`, `INSTALLER`, `REQUESTED`, `direct_url.json`, entry point launchers and
//! `{dist}.data/scripts/` files (their `#!python` shebang is rewritten, after their content is
//! checked against the recorded hash).
//!
//! Trap: with hard links a file is shared by the cache and every environment made from it
//! (never by two paths of one environment). An installed file edited *in place* changes in
//! the other environments too (the cache itself is protected by the check above); `wharf
//! check --files` and `wharf doctor` say so. Use `--link-mode copy` (or `clone` on XFS/Btrfs)
//! for environments whose files you patch.

use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use serde_json::{Value, json};

use crate::verify::safe_member;

/// The entry format; a new format gets a new bucket directory.
const FORMAT: u64 = 2;
/// The directory of entries under the cache root.
const BUCKET: &str = "wheels-v2";
/// Buckets of earlier formats (never read; removed by `clean` and `prune`).
pub(crate) const OLD_BUCKETS: [&str; 1] = ["wheels-v1"];
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

/// A cache of unpacked wheels that installs link from (summary in the crate docs, "Wheel
/// cache").
///
/// # Layout
///
/// ```text
/// {cache root}/wheels-v2/
///   {sha256}/             one unpacked wheel (an "entry"), named by the wheel's SHA-256
///     manifest.json       what the entry holds, see below
///     0  1  …  255        the wheel's files, named by number
///     d1/256 … d1/511     files 256 to 511 (and so on: `d{n / 256}/{n}`)
///   .tmp-{pid}-{n}/       an entry being written (or the remains of a killed writer)
/// ```
///
/// An entry is keyed by the *content* of its wheel (the 64 hex digits of its SHA-256), so a
/// wheel replaced in the wheelhouse by another of the same size and mtime (`cp -p`,
/// `rsync -t`) never meets the old one's entry, and `sync` links the entry of the very digest
/// it checked against the lock. `manifest.json` repeats the digest and size, then holds the
/// `.dist-info` directory name, `Name` and `Version`, `Root-Is-Purelib`, the text of
/// `entry_points.txt`, and for each member (archive order; directories and the wheel's own
/// `RECORD`, `INSTALLER` and `REQUESTED` left out) `[archive path, "sha256=…", size,
/// executable, file number, stale, inode, mtime in ns]`. File `n` holds member `n`: one
/// cached file is linked to at most one path of each environment.
///
/// # Trust
///
/// Every field of a manifest is checked as strictly as a wheel's member names (a
/// `.dist-info` name or member path that is absolute or climbs with `..` makes the entry
/// corrupt), and every file is checked with one `lstat` before it is linked: a regular file
/// with the size, inode and mtime recorded when the entry was made. An in-place edit of an
/// installed (hard-linked) file moves its mtime, so the entry is found changed at its next
/// use, discarded and unpacked again from the wheel (one warning naming the file). Not caught:
/// an edit whose mtime is then set back by hand (`touch -d`), which only the file's owner can do.
///
/// # Invalidation
///
/// Entries are never updated: another wheel has another key. An entry with a missing,
/// unreadable, foreign-format, malformed or foreign-digest manifest, or with a file missing or
/// changed when it is linked, is moved aside and rebuilt. Old entries are not collected by
/// installs: [`WheelCache::prune`] removes the entries no environment links to,
/// [`WheelCache::clean`] all of them or one project's, [`WheelCache::size`] counts bytes and
/// inodes (each once). Installed environments keep their files.
///
/// # Lock
///
/// An install holds a shared `flock` on `{cache root}/wheels.lock` while it uses the cache;
/// `clean` and `prune` take it exclusively (waiting, or [`crate::CacheError::Busy`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WheelCache {
    /// `{cache root}/wheels-v2`.
    directory: PathBuf,
}

impl WheelCache {
    /// The wheel cache under wharf's cache root `cache_dir` (entries go in
    /// `{cache_dir}/wheels-v2/`, created when first needed).
    pub fn new(cache_dir: impl Into<PathBuf>) -> Self {
        Self {
            directory: cache_dir.into().join(BUCKET),
        }
    }

    /// The directory holding the entries, ex) `~/.cache/wharf/wheels-v2`.
    pub fn directory(&self) -> &Path {
        &self.directory
    }

    /// The entry directory of a wheel, complete or not, ex)
    /// `~/.cache/wharf/wheels-v2/0f3c…` (the wheel is read to hash it). `None` when the wheel
    /// cannot be read.
    pub fn entry_directory(&self, wheel: &Path) -> Option<PathBuf> {
        let (sha256, _) = wharf_digest::sha256_file(wheel).ok()?;
        Some(self.directory.join(data_encoding::HEXLOWER.encode(&sha256)))
    }

    /// Finds the entry of `identity`.
    pub(crate) fn lookup(&self, identity: &Identity) -> Lookup {
        let directory = self.directory.join(identity.key());
        let manifest = directory.join(MANIFEST);
        match std::fs::symlink_metadata(&manifest) {
            // Only a regular file is read (a FIFO would block), and only so much of it.
            Ok(metadata) if metadata.is_file() => {
                match wharf_fs::read_capped(&manifest, MAX_MANIFEST_BYTES) {
                    Ok(bytes) => match Entry::parse(&bytes, directory, identity) {
                        Some(entry) => Lookup::Hit(entry),
                        None => Lookup::Corrupt,
                    },
                    Err(_) => Lookup::Corrupt,
                }
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                if std::fs::symlink_metadata(&directory).is_ok() {
                    Lookup::Corrupt
                } else {
                    Lookup::Missing
                }
            }
            _ => Lookup::Corrupt,
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

    /// Moves the entry of `identity` out of the way (it is corrupt, or its files were
    /// changed) and deletes it. Another process may have done it already: a missing entry is
    /// no error.
    pub(crate) fn discard(&self, identity: &Identity) -> io::Result<()> {
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

/// A manifest larger than this (bytes) is corrupt: about 200 000 members.
const MAX_MANIFEST_BYTES: u64 = 64 << 20;

/// The outcome of [`WheelCache::lookup`].
pub(crate) enum Lookup {
    /// A complete entry.
    Hit(Entry),
    /// No entry.
    Missing,
    /// An entry that cannot be used (see the module docs).
    Corrupt,
}

/// What identifies a wheel in the cache: the SHA-256 of its bytes (and their size), and the
/// file it was read from (named in the manifest and in messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Identity {
    /// The wheel file, absolute.
    pub(crate) path: PathBuf,
    /// The SHA-256 of its bytes, 64 lowercase hex digits.
    pub(crate) sha256: String,
    /// Its size in bytes.
    pub(crate) size: u64,
}

impl Identity {
    /// The entry's directory name: the wheel's SHA-256 in hex.
    pub(crate) fn key(&self) -> &str {
        &self.sha256
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
    /// The number of the file holding the content: the member's own position.
    pub(crate) file: usize,
    /// Whether its content differs from the wheel's `RECORD` and the site rule accepted it
    /// (`crate::verify`).
    pub(crate) stale: bool,
    /// The cached file's inode and mtime (ns) when it was written: checked before every link.
    pub(crate) stamp: FileStamp,
}

/// What `lstat` must say of a cached file besides its size: its inode and its mtime in
/// nanoseconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct FileStamp {
    /// `st_ino`.
    pub(crate) ino: u64,
    /// `st_mtime` in nanoseconds.
    pub(crate) mtime_ns: i64,
}

impl FileStamp {
    /// The stamp of `metadata`.
    pub(crate) fn of(metadata: &std::fs::Metadata) -> Self {
        Self {
            ino: metadata.ino(),
            mtime_ns: metadata
                .mtime()
                .saturating_mul(1_000_000_000)
                .saturating_add(metadata.mtime_nsec()),
        }
    }
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
    /// `{cache}/wheels-v2/{sha256}`.
    pub(crate) directory: PathBuf,
    pub(crate) dist_info: DistInfo,
    /// The members, in archive order.
    pub(crate) files: Vec<CachedFile>,
    /// Whether the files were checked against the wheel's `RECORD` while unpacked (entries
    /// unpacked with `--no-verify-record` were not).
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
                json!([
                    file.member,
                    file.hash,
                    file.size,
                    file.executable,
                    file.file,
                    file.stale,
                    file.stamp.ino,
                    file.stamp.mtime_ns
                ])
            })
            .collect();
        let manifest = json!({
            "format": FORMAT,
            "sha256": identity.sha256,
            "size": identity.size,
            "wheel": identity.path_text(),
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

    /// Parses and validates a manifest; `None` when it is not one of `identity` in this
    /// format, or any field is malformed: a `.dist-info` name that is not one plain path
    /// component ending in `.dist-info`, a member path that is absolute, empty or climbs
    /// (`..`), a member below another `.dist-info`, a hash that is not `sha256=` and 43
    /// URL-safe base64 digits, a file number that is not the member's position.
    fn parse(bytes: &[u8], directory: PathBuf, identity: &Identity) -> Option<Self> {
        let manifest: Value = serde_json::from_slice(bytes).ok()?;
        let text = |key: &str| manifest.get(key)?.as_str().map(str::to_string);
        if manifest.get("format")?.as_u64()? != FORMAT
            || text("sha256")? != identity.sha256
            || manifest.get("size")?.as_u64()? != identity.size
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
        if !plain_component(&dist_info.directory)
            || !dist_info.directory.ends_with(".dist-info")
            || !plain_text(&dist_info.name)
            || !plain_text(&dist_info.version)
        {
            return None;
        }
        let files = manifest
            .get("files")?
            .as_array()?
            .iter()
            .enumerate()
            .map(|(position, file)| {
                let [member, hash, size, executable, file, stale, ino, mtime_ns] =
                    file.as_array()?.as_slice()
                else {
                    return None;
                };
                let member = member.as_str()?.to_string();
                let hash = hash.as_str()?.to_string();
                let file = usize::try_from(file.as_u64()?).ok()?;
                let valid = safe_member(&member)
                    && !member.ends_with('/')
                    && !member.contains('\0')
                    && file == position
                    && valid_record_hash(&hash)
                    && foreign_dist_info(&member, &dist_info.directory).is_none();
                valid.then_some(())?;
                Some(CachedFile {
                    member,
                    hash,
                    size: size.as_u64()?,
                    executable: executable.as_bool()?,
                    file,
                    stale: stale.as_bool()?,
                    stamp: FileStamp {
                        ino: ino.as_u64()?,
                        mtime_ns: mtime_ns.as_i64()?,
                    },
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Self {
            directory,
            dist_info,
            files,
            verified: manifest.get("record_verified")?.as_bool()?,
        })
    }
}

/// Whether `text` is one path component a file may be named: not empty, `.` or `..`, without
/// `/`, NUL or other control characters.
fn plain_component(text: &str) -> bool {
    plain_text(text) && !text.contains('/') && text != "." && text != ".."
}

/// Whether `text` is non-empty and free of `/` and control characters (a `Name` or `Version`).
fn plain_text(text: &str) -> bool {
    !text.is_empty() && !text.contains('/') && !text.chars().any(char::is_control)
}

/// Whether `hash` is a `RECORD` SHA-256: `sha256=` and 43 URL-safe base64 digits.
fn valid_record_hash(hash: &str) -> bool {
    hash.strip_prefix("sha256=").is_some_and(|digits| {
        digits.len() == 43
            && digits
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
    })
}

/// The top directory of `member` when it is a `.dist-info` directory other than `own`.
fn foreign_dist_info<'a>(member: &'a str, own: &str) -> Option<&'a str> {
    let (top, _) = member.split_once('/')?;
    (top.ends_with(".dist-info") && top != own).then_some(top)
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

/// How files go from the wheel cache into an environment (`--link-mode`,
/// `WHARF_LINK_MODE`; the names uv uses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LinkMode {
    /// Reflinks (copy-on-write clones) where the filesystem has them (XFS, Btrfs, bcachefs,
    /// ZFS 2.2+), hard links otherwise (ext4, tmpfs, Lustre, GPFS, NFS). The default: a
    /// clone shares the blocks but not the inode, so an installed file edited in place changes
    /// only that environment, at the cost of a hard link.
    #[default]
    Auto,
    /// Ex) `clone`: reflinks, and copies where the filesystem has none (never a shared inode).
    Clone,
    /// Ex) `hardlink`: hard links (one inode shared by the cache and every environment: an
    /// installed file edited in place changes all of them), copies where impossible.
    Hardlink,
    /// Ex) `copy`: every file copied (`copy_file_range`), no sharing at all.
    Copy,
}

impl std::str::FromStr for LinkMode {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "auto" => Ok(Self::Auto),
            "clone" | "reflink" => Ok(Self::Clone),
            "hardlink" => Ok(Self::Hardlink),
            "copy" => Ok(Self::Copy),
            other => Err(format!(
                "unknown link mode `{other}` (expected clone, hardlink, copy or auto)"
            )),
        }
    }
}

impl std::fmt::Display for LinkMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Auto => "auto",
            Self::Clone => "clone",
            Self::Hardlink => "hardlink",
            Self::Copy => "copy",
        })
    }
}

/// Why a cached file could not be put in place.
#[derive(Debug)]
pub(crate) enum PlaceError {
    /// The cached file is missing or is not what the manifest recorded (not a regular file,
    /// another size, inode or mtime): the entry is corrupt or was edited.
    Corrupt(io::Error),
    /// Another error (the target side: permissions, disk full).
    Io(io::Error),
}

/// Puts cached files into the staging area by [`LinkMode`], after checking each with one
/// `lstat`; remembers that the filesystem cannot clone or link (then falls back at once).
#[derive(Debug, Default)]
pub(crate) struct Linker {
    mode: LinkMode,
    /// Set after a failed clone: later files are linked (auto) or copied (clone).
    no_clone: AtomicBool,
    /// Set after a cross-device link: later files are copied.
    copy_only: AtomicBool,
    /// Files copied because a link was impossible, or by [`LinkMode::Copy`].
    pub(crate) copied: AtomicUsize,
    /// Files cloned (reflinks).
    pub(crate) cloned: AtomicUsize,
}

impl Linker {
    /// A linker of `mode`.
    pub(crate) fn new(mode: LinkMode) -> Self {
        Self {
            mode,
            ..Self::default()
        }
    }

    /// Puts cached file `source`, recorded as `expected`, at `target` by the link mode. A
    /// `source` that is missing or not as recorded is [`PlaceError::Corrupt`] and nothing is
    /// created.
    pub(crate) fn place(
        &self,
        source: &Path,
        expected: &CachedFile,
        target: &Path,
    ) -> Result<(), PlaceError> {
        check_cached(source, expected)?;
        let clone = matches!(self.mode, LinkMode::Auto | LinkMode::Clone)
            && !self.no_clone.load(Ordering::Relaxed);
        if clone {
            let file = std::fs::File::open(source)
                .map_err(|error| PlaceError::Corrupt(with_path(&error, "open", source)))?;
            match reflink_copy::reflink_file_to_path(&file, target) {
                Ok(()) => {
                    self.cloned.fetch_add(1, Ordering::Relaxed);
                    return Ok(());
                }
                // No reflinks here (ext4, tmpfs: `EOPNOTSUPP`), or across filesystems: fall
                // back for this and every later file.
                Err(_) => self.no_clone.store(true, Ordering::Relaxed),
            }
        }
        let link = match self.mode {
            LinkMode::Auto | LinkMode::Hardlink => !self.copy_only.load(Ordering::Relaxed),
            LinkMode::Clone | LinkMode::Copy => false,
        };
        if link {
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
    fn copy(&self, source: &Path, target: &Path) -> Result<(), PlaceError> {
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

/// Checks cached file `source` with one `lstat` against what its manifest recorded: a regular
/// file (not a symlink, FIFO or device) of the recorded size, inode and mtime.
///
/// Errors: [`PlaceError::Corrupt`], its message naming the file and what differs.
pub(crate) fn check_cached(source: &Path, expected: &CachedFile) -> Result<(), PlaceError> {
    let metadata = std::fs::symlink_metadata(source)
        .map_err(|error| PlaceError::Corrupt(with_path(&error, "stat", source)))?;
    let problem = if !metadata.is_file() {
        Some("is not a regular file".to_string())
    } else if metadata.len() != expected.size {
        Some(format!(
            "has {} bytes, {} when cached",
            metadata.len(),
            expected.size
        ))
    } else if FileStamp::of(&metadata) != expected.stamp {
        Some("was modified or replaced after it was cached".to_string())
    } else {
        None
    };
    match problem {
        None => Ok(()),
        Some(problem) => Err(PlaceError::Corrupt(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "cached file `{}` (`{}`) {problem}",
                source.display(),
                expected.member
            ),
        ))),
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

    const SHA: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    const HASH: &str = "sha256=ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0";

    fn identity(size: u64) -> Identity {
        Identity {
            path: PathBuf::from("/wh/demo-1.0-py3-none-any.whl"),
            sha256: SHA.into(),
            size,
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

    fn files() -> Vec<CachedFile> {
        vec![
            CachedFile {
                member: "demo/a,b \"c\".py".into(),
                hash: HASH.into(),
                size: 3,
                executable: true,
                file: 0,
                stale: false,
                stamp: FileStamp {
                    ino: 7,
                    mtime_ns: 1_700_000_000_123_456_789,
                },
            },
            CachedFile {
                member: "demo-1.0.dist-info/METADATA".into(),
                hash: HASH.into(),
                size: 4,
                executable: false,
                file: 1,
                stale: true,
                stamp: FileStamp::default(),
            },
        ]
    }

    fn parse(bytes: &[u8]) -> Option<Entry> {
        Entry::parse(bytes, PathBuf::from("/c/k"), &identity(10))
    }

    #[test]
    fn manifest_round_trips_and_checks_identity() {
        let bytes = Entry::manifest(&identity(10), &dist_info(), &files(), true);
        let entry = parse(&bytes).unwrap();
        assert_eq!(entry.files, files());
        assert!(entry.verified);
        assert_eq!(entry.dist_info, dist_info());
        assert_eq!(entry.file(1), PathBuf::from("/c/k/1"));
        assert_eq!(
            file_path(Path::new("/c/k"), 300),
            PathBuf::from("/c/k/d1/300")
        );
        // Another size or digest: not this entry.
        assert!(Entry::parse(&bytes, PathBuf::from("/c/k"), &identity(11)).is_none());
        let mut other = identity(10);
        other.sha256 = SHA.replace('0', "f");
        assert!(Entry::parse(&bytes, PathBuf::from("/c/k"), &other).is_none());
        assert!(parse(b"{\"format\": 2").is_none());
    }

    /// Issue 17: a manifest is validated as strictly as a wheel's member names (a `dist_info`
    /// of `../x` or `/etc` would have made RECORD, INSTALLER and REQUESTED land outside the
    /// environment).
    #[test]
    fn err_manifest_fields_outside_the_entry_are_corrupt() {
        let with_dist_info = |directory: &str| {
            let mut facts = dist_info();
            facts.directory = directory.into();
            Entry::manifest(&identity(10), &facts, &files(), true)
        };
        for bad in [
            "../demo-1.0.dist-info",
            "/etc/demo-1.0.dist-info",
            "a/demo-1.0.dist-info",
            "..",
            "demo-1.0",
            "demo\n1.0.dist-info",
            "",
        ] {
            assert!(parse(&with_dist_info(bad)).is_none(), "{bad:?}");
        }
        let with_member = |member: &str, file: usize, hash: &str| {
            let mut files = files();
            files[0].member = member.into();
            files[0].file = file;
            files[0].hash = hash.into();
            Entry::manifest(&identity(10), &dist_info(), &files, true)
        };
        for (member, file, hash) in [
            ("../evil.py", 0, HASH),
            ("/etc/passwd", 0, HASH),
            ("demo/../../x", 0, HASH),
            ("demo/", 0, HASH),
            ("other-1.0.dist-info/RECORD", 0, HASH),
            ("demo/a.py", 1, HASH),
            ("demo/a.py", 0, "sha256=short"),
            (
                "demo/a.py",
                0,
                "md5=ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0",
            ),
        ] {
            assert!(
                parse(&with_member(member, file, hash)).is_none(),
                "{member} {file} {hash}"
            );
        }
        assert!(parse(&with_member("demo/a.py", 0, HASH)).is_some());
        let mut name = dist_info();
        name.name = "../x".into();
        assert!(parse(&Entry::manifest(&identity(10), &name, &files(), true)).is_none());
    }

    #[test]
    fn link_modes_round_trip() {
        for mode in [
            LinkMode::Auto,
            LinkMode::Clone,
            LinkMode::Hardlink,
            LinkMode::Copy,
        ] {
            assert_eq!(mode.to_string().parse::<LinkMode>(), Ok(mode));
        }
        assert!("symlink".parse::<LinkMode>().is_err());
    }

    /// Issue 17: a cached file is checked with `lstat` before it is linked.
    #[test]
    fn err_changed_cached_files_are_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("0");
        std::fs::write(&source, b"abc").unwrap();
        let recorded = |path: &Path| {
            let metadata = std::fs::symlink_metadata(path).unwrap();
            CachedFile {
                member: "demo/a.py".into(),
                hash: HASH.into(),
                size: metadata.len(),
                executable: false,
                file: 0,
                stale: false,
                stamp: FileStamp::of(&metadata),
            }
        };
        let expected = recorded(&source);
        let linker = Linker::new(LinkMode::Hardlink);
        linker
            .place(&source, &expected, &dir.path().join("ok"))
            .unwrap();
        // Rewritten in place with the same size: the mtime moved.
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&source, b"xyz").unwrap();
        let error = linker
            .place(&source, &expected, &dir.path().join("t1"))
            .unwrap_err();
        assert!(
            matches!(&error, PlaceError::Corrupt(e) if e.to_string().contains("modified or replaced")),
            "{error:?}"
        );
        assert!(!dir.path().join("t1").exists());
        // A symlink in its place.
        std::fs::remove_file(&source).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", &source).unwrap();
        let error = linker
            .place(&source, &expected, &dir.path().join("t2"))
            .unwrap_err();
        assert!(
            matches!(&error, PlaceError::Corrupt(e) if e.to_string().contains("not a regular file")),
            "{error:?}"
        );
        assert!(!dir.path().join("t2").exists());
    }
}
