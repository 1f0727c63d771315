//! SHA-256 of files, and a cache of them validated by `stat` (the idea of git's index): a file
//! whose device, inode, size, mtime and ctime are what they were when it was hashed has the
//! same bytes, so it is not read again. `wharf lock` hashes the wheelhouse's wheels through it
//! (the wheelhouse does not change between two locks) and `wharf check --files` every file of
//! an environment's `RECORD`s (an environment changes rarely, and a change moves the ctime).
//!
//! Why the stamp is trustworthy: every write to a file, and every `chmod`/`touch`/rename onto
//! it, sets its ctime to the current time, and no unprivileged call sets a ctime to a chosen
//! value; a file replaced by another has another inode. The one hole is the timestamp tick:
//! a file written twice within one tick (a few ms on coarse clocks) keeps one ctime. So, as
//! git does with its "racy" entries, a digest is only remembered for a file whose mtime and
//! ctime are at least [`RACY_SECONDS`] older than the moment it was hashed.
//!
//! The cache file (`CACHE_DIR/digests-v1/SCOPE.tsv`) holds one line per file: sha256 (hex),
//! size, mtime and ctime (ns), inode, device, path. It is rewritten whole (temporary file
//! and rename) by [`DigestCache::save`]; a damaged line is skipped, a damaged or missing file
//! is an empty cache. Concurrent writers lose entries, never correctness: an entry is only
//! used when the file's stamp matches it.
//!
//! Only regular files are hashed ([`open_regular`]): a path that names a FIFO would block the
//! open until a writer comes, a device such as `/dev/zero` never ends.

use std::collections::HashMap;
use std::fs::{File, Metadata};
use std::io::{Read, Write as _};
use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest as _, Sha256};

/// The first line of a cache file; another first line means another format (ignored).
const HEADER: &str = "wharf-digests-v1";

/// A file changed less than this many seconds before it was hashed is not remembered.
pub const RACY_SECONDS: i64 = 2;

/// Cache files larger than this (bytes) are ignored (about 400 000 entries).
const MAX_CACHE_BYTES: u64 = 64 << 20;

/// A digest computed by this process is used again by the same process only when the file
/// last changed at least this long (nanoseconds) before it was hashed: a write in the same
/// timestamp tick as the hash (the kernel's clock is coarse, a few milliseconds) would keep
/// the stamp, so such a file is hashed again when asked again.
const SESSION_MARGIN_NS: i128 = 50_000_000;

/// Numbers the temporary files of [`DigestCache::save`] within one process.
static TEMPORARIES: AtomicU64 = AtomicU64::new(0);

/// The block size of [`sha256_file`] reads, bytes.
const BLOCK: usize = 256 * 1024;

/// What `stat` says of a file that changes whenever its bytes can have changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileStamp {
    /// `st_dev`.
    pub dev: u64,
    /// `st_ino`.
    pub ino: u64,
    /// `st_size`, bytes.
    pub size: u64,
    /// `st_mtime`, nanoseconds since the Unix epoch.
    pub mtime_ns: i128,
    /// `st_ctime`, nanoseconds since the Unix epoch.
    pub ctime_ns: i128,
}

impl FileStamp {
    /// The stamp of `metadata` (from `std::fs::metadata`, which follows symlinks).
    pub fn of(metadata: &Metadata) -> Self {
        Self {
            dev: metadata.dev(),
            ino: metadata.ino(),
            size: metadata.len(),
            mtime_ns: i128::from(metadata.mtime()) * 1_000_000_000
                + i128::from(metadata.mtime_nsec()),
            ctime_ns: i128::from(metadata.ctime()) * 1_000_000_000
                + i128::from(metadata.ctime_nsec()),
        }
    }
}

impl FileStamp {
    /// Whether the file last changed at least [`RACY_SECONDS`] ago: only then is a digest
    /// taken now trustworthy for as long as the stamp stays the same (a write within the same
    /// timestamp tick as the hash would keep the stamp).
    pub fn settled(&self) -> bool {
        settled(self)
    }
}

/// The SHA-256 of one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileDigest {
    /// The 32 bytes of the digest.
    pub sha256: [u8; 32],
    /// The file's size, bytes.
    pub size: u64,
    /// Whether it came from the cache (the file was not read).
    pub cached: bool,
}

impl FileDigest {
    /// The digest in lowercase hex (PEP 751 `hashes.sha256`, pip's `--hash=sha256:`).
    pub fn hex(&self) -> String {
        data_encoding::HEXLOWER.encode(&self.sha256)
    }

    /// The digest as `RECORD` writes it: `sha256=` and URL-safe base64 without padding
    /// (PEP 376, the binary distribution format's `RECORD`).
    pub fn record_hash(&self) -> String {
        format!(
            "sha256={}",
            data_encoding::BASE64URL_NOPAD.encode(&self.sha256)
        )
    }
}

/// A path that names something other than a regular file: a FIFO, a device, a directory, a
/// socket. Ex) `` `/dev/zero` is not a regular file but a character device ``
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotRegularFile {
    /// The path.
    pub path: PathBuf,
    /// What it is instead, with its article. Ex) `a FIFO`
    pub kind: &'static str,
}

impl std::fmt::Display for NotRegularFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` is not a regular file but {}",
            self.path.display(),
            self.kind
        )
    }
}

impl std::error::Error for NotRegularFile {}

impl NotRegularFile {
    /// The [`NotRegularFile`] inside an error of [`open_regular`] or [`sha256_file`], if that
    /// is what it is.
    pub fn of(error: &std::io::Error) -> Option<&Self> {
        error.get_ref()?.downcast_ref()
    }

    /// What a file of `metadata` is, when it is not a regular file. Ex) `a FIFO`
    pub fn kind(metadata: &Metadata) -> Option<&'static str> {
        let file_type = metadata.file_type();
        Some(if file_type.is_file() {
            return None;
        } else if file_type.is_fifo() {
            "a FIFO"
        } else if file_type.is_char_device() {
            "a character device"
        } else if file_type.is_block_device() {
            "a block device"
        } else if file_type.is_socket() {
            "a socket"
        } else if file_type.is_dir() {
            "a directory"
        } else {
            "not a file"
        })
    }

    fn check(path: &Path, metadata: &Metadata) -> std::io::Result<()> {
        match Self::kind(metadata) {
            None => Ok(()),
            Some(kind) => Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                Self {
                    path: path.to_path_buf(),
                    kind,
                },
            )),
        }
    }
}

/// Opens `path` (symlinks followed) for reading, only if it is a regular file, and returns it
/// with its metadata (`fstat` of the opened file).
///
/// The path is stat'ed first, so a device is never opened (opening some has effects); then it
/// is opened with `O_NONBLOCK`, so that a FIFO put in its place meanwhile does not block the
/// open until a writer comes, and the opened file is checked again. (`O_NONBLOCK` changes
/// nothing for a regular file's reads.)
///
/// Errors: the path cannot be stat'ed or opened; anything but a regular file is an error of
/// kind `InvalidInput` holding a [`NotRegularFile`] ([`NotRegularFile::of`]).
pub fn open_regular(path: &Path) -> std::io::Result<(File, Metadata)> {
    NotRegularFile::check(path, &std::fs::metadata(path)?)?;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    let metadata = file.metadata()?;
    NotRegularFile::check(path, &metadata)?;
    Ok((file, metadata))
}

/// The SHA-256 of everything `reader` gives and its size, read in 256 KiB blocks (bound it
/// with [`Read::take`]).
///
/// Errors: a read fails (`Interrupted` is retried).
pub fn sha256_reader(mut reader: impl Read) -> std::io::Result<([u8; 32], u64)> {
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; BLOCK];
    let mut size = 0u64;
    loop {
        let n = match reader.read(&mut buffer) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        size += n as u64;
    }
    Ok((hasher.finalize().into(), size))
}

/// The SHA-256 of the regular file at `path` and its size, read in 256 KiB blocks.
///
/// Errors: as [`open_regular`] (a FIFO or a device is refused, not read), or a read fails.
pub fn sha256_file(path: &Path) -> std::io::Result<([u8; 32], u64)> {
    let (file, _) = open_regular(path)?;
    sha256_reader(file)
}

/// The SHA-256 and size of the open file `file`, read with positioned reads from offset 0
/// (the file's own offset does not move, so a caller that reads it elsewhere, the
/// installer's zip reader, is not disturbed), and at most `limit` bytes: a file that grows
/// past it while it is read stops there (the size returned then tells).
///
/// Errors: `file` is not a regular file (`InvalidInput` holding a [`NotRegularFile`], `path`
/// naming it), or a read fails.
pub fn sha256_open_file(path: &Path, file: &File, limit: u64) -> std::io::Result<([u8; 32], u64)> {
    NotRegularFile::check(path, &file.metadata()?)?;
    sha256_reader(PositionedReader { file, offset: 0 }.take(limit))
}

/// Reads `file` from `offset` on with positioned reads (`pread`): the file's own offset, which
/// other readers of the same handle use, does not move.
struct PositionedReader<'a> {
    file: &'a File,
    offset: u64,
}

impl Read for PositionedReader<'_> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        use std::os::unix::fs::FileExt as _;
        let n = self.file.read_at(buffer, self.offset)?;
        self.offset += n as u64;
        Ok(n)
    }
}

/// One remembered digest.
#[derive(Clone, Copy, Debug)]
struct Entry {
    stamp: FileStamp,
    sha256: [u8; 32],
}

/// Digests of files, remembered by [`FileStamp`] in one cache file per scope (see the crate
/// docs). Shared between threads: lookups need no lock, new digests go to a mutex.
#[derive(Debug, Default)]
pub struct DigestCache {
    /// The cache file; `None`: nothing is read or written (caching is off).
    file: Option<PathBuf>,
    known: HashMap<PathBuf, Entry>,
    fresh: Mutex<Vec<(PathBuf, Entry)>>,
    /// Digests computed by this process (also for files too young to be saved, see
    /// [`SESSION_MARGIN_NS`]): `wharf sync` verifies each locked wheel, then the installer asks
    /// for the digest of the file it opened, and gets it from here when the stamp is the same.
    session: Mutex<HashMap<PathBuf, Entry>>,
    hits: AtomicU64,
}

impl DigestCache {
    /// A cache that remembers nothing: every digest reads its file.
    pub fn disabled() -> Self {
        Self::default()
    }

    /// The cache of `scope` (a file-name-safe word, e.g. `wheels`, or [`scope_of`] a
    /// directory) under `cache_dir` (wharf's cache root; `None` when caching is off). A
    /// missing, unreadable or damaged cache file is an empty cache.
    pub fn open(cache_dir: Option<&Path>, scope: &str) -> Self {
        let Some(cache_dir) = cache_dir else {
            return Self::disabled();
        };
        let file = cache_dir.join("digests-v1").join(format!("{scope}.tsv"));
        let known = read_cache(&file).unwrap_or_default();
        Self {
            file: Some(file),
            known,
            fresh: Mutex::default(),
            session: Mutex::default(),
            hits: AtomicU64::new(0),
        }
    }

    /// The digest of the file at `path` (symlinks followed).
    ///
    /// Errors: the file cannot be stat'ed, opened or read.
    pub fn sha256(&self, path: &Path) -> std::io::Result<FileDigest> {
        let metadata = std::fs::metadata(path)?;
        self.sha256_of(path, &metadata)
    }

    /// The digest of the file at `path`, whose `metadata` the caller has just read: from the
    /// cache when its stamp matches, else read (and remembered unless it changed in the last
    /// [`RACY_SECONDS`], or changed while it was read).
    ///
    /// Errors: the file cannot be opened or read, or is not a regular file
    /// (`InvalidInput`: a FIFO or a device would never end).
    pub fn sha256_of(&self, path: &Path, metadata: &Metadata) -> std::io::Result<FileDigest> {
        let stamp = FileStamp::of(metadata);
        if let Some(digest) = self.remembered(path, &stamp) {
            return Ok(digest);
        }
        if let Some(kind) = NotRegularFile::kind(metadata) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                NotRegularFile {
                    path: path.to_path_buf(),
                    kind,
                },
            ));
        }
        let (file, _) = open_regular(path)?;
        let (digest, _) = self.hash_open_file(path, &file, stamp)?;
        Ok(digest)
    }

    /// The digest of the bytes of `file`, opened from `path`: from the cache when the open
    /// file's stamp (`fstat`) is one remembered for `path`, else read through `file` itself
    /// (positioned reads; the file's offset is not moved). Returns the digest and the stamp
    /// it holds for: a caller that reads `file` afterwards checks the stamp again when done
    /// (an unchanged stamp means the bytes it read are the ones hashed). A file replaced at
    /// `path` after it was opened does not matter: what is hashed is what `file` reads.
    ///
    /// Errors: `file` cannot be read, is not a regular file (`InvalidInput`), or changed while
    /// it was read (`InvalidData`).
    pub fn sha256_of_file(
        &self,
        path: &Path,
        file: &std::fs::File,
    ) -> std::io::Result<(FileDigest, FileStamp)> {
        let stamp = FileStamp::of(&file.metadata()?);
        if let Some(digest) = self.remembered(path, &stamp) {
            return Ok((digest, stamp));
        }
        self.hash_open_file(path, file, stamp)
    }

    /// A digest remembered for `path` at `stamp`: saved by an earlier run, or computed by this
    /// process.
    fn remembered(&self, path: &Path, stamp: &FileStamp) -> Option<FileDigest> {
        let sha256 = match self.known.get(path) {
            Some(entry) if entry.stamp == *stamp => entry.sha256,
            _ => {
                let session = self
                    .session
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let entry = session.get(path).filter(|entry| entry.stamp == *stamp)?;
                entry.sha256
            }
        };
        self.hits.fetch_add(1, Ordering::Relaxed);
        Some(FileDigest {
            sha256,
            size: stamp.size,
            cached: true,
        })
    }

    /// Hashes the open `file` (whose stamp before reading is `stamp`) and remembers the
    /// digest: in this process when the file was not changed within [`SESSION_MARGIN_NS`] of
    /// the hash, and in the cache file when it was not within [`RACY_SECONDS`].
    fn hash_open_file(
        &self,
        path: &Path,
        file: &std::fs::File,
        stamp: FileStamp,
    ) -> std::io::Result<(FileDigest, FileStamp)> {
        let started = now_ns();
        let (sha256, size) = sha256_open_file(path, file, stamp.size.saturating_add(1))?;
        let after = FileStamp::of(&file.metadata()?);
        if after != stamp || size != stamp.size {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("`{}` changed while it was hashed", path.display()),
            ));
        }
        let entry = Entry { stamp, sha256 };
        if settled_before(&stamp, started - SESSION_MARGIN_NS) {
            self.session
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(path.to_path_buf(), entry);
        }
        if self.file.is_some() && settled(&stamp) {
            self.fresh
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push((path.to_path_buf(), entry));
        }
        Ok((
            FileDigest {
                sha256,
                size,
                cached: false,
            },
            stamp,
        ))
    }

    /// How many digests came from the cache so far.
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// Writes the cache file when new digests were computed (temporary file, then rename).
    /// Returns whether it wrote.
    ///
    /// Errors: the cache directory or file cannot be written (callers usually ignore them:
    /// a cache that cannot be kept only costs time).
    pub fn save(&self) -> std::io::Result<bool> {
        let Some(file) = &self.file else {
            return Ok(false);
        };
        let fresh = std::mem::take(
            &mut *self
                .fresh
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        if fresh.is_empty() {
            return Ok(false);
        }
        let mut entries: Vec<(&Path, &Entry)> = Vec::with_capacity(self.known.len() + fresh.len());
        let replaced: std::collections::HashSet<&Path> =
            fresh.iter().map(|(path, _)| path.as_path()).collect();
        entries.extend(
            self.known
                .iter()
                .filter(|(path, _)| !replaced.contains(path.as_path()))
                .map(|(path, entry)| (path.as_path(), entry)),
        );
        entries.extend(fresh.iter().map(|(path, entry)| (path.as_path(), entry)));
        entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut text = String::with_capacity(entries.len() * 160);
        text.push_str(HEADER);
        text.push('\n');
        for (path, entry) in entries {
            let Some(path) = path.to_str().filter(|p| !p.contains(['\t', '\n', '\r'])) else {
                continue;
            };
            let s = entry.stamp;
            text.push_str(&data_encoding::HEXLOWER.encode(&entry.sha256));
            text.push_str(&format!(
                "\t{}\t{}\t{}\t{}\t{}\t{path}\n",
                s.size, s.mtime_ns, s.ctime_ns, s.ino, s.dev
            ));
        }
        let dir = file.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        let temporary = dir.join(format!(
            ".{}.{}.{}",
            file.file_name().unwrap_or_default().to_string_lossy(),
            std::process::id(),
            TEMPORARIES.fetch_add(1, Ordering::Relaxed)
        ));
        let result = (|| {
            let mut out = std::fs::File::create(&temporary)?;
            out.write_all(text.as_bytes())?;
            std::fs::rename(&temporary, file)
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&temporary);
        }
        result.map(|()| true)
    }
}

/// A cache scope for the files under `dir`: 16 hex digits of the SHA-256 of its absolute
/// path (one cache file per environment).
pub fn scope_of(dir: &Path) -> String {
    let absolute = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let digest = Sha256::digest(absolute.as_os_str().as_encoded_bytes());
    data_encoding::HEXLOWER.encode(&digest[..8])
}

/// Whether a file with `stamp` last changed at least [`RACY_SECONDS`] ago.
fn settled(stamp: &FileStamp) -> bool {
    settled_before(stamp, now_ns() - i128::from(RACY_SECONDS) * 1_000_000_000)
}

/// Whether a file with `stamp` last changed before `limit` (nanoseconds since the epoch).
fn settled_before(stamp: &FileStamp, limit: i128) -> bool {
    stamp.mtime_ns < limit && stamp.ctime_ns < limit
}

/// The current time in nanoseconds since the Unix epoch (0 before it).
fn now_ns() -> i128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |now| i128::try_from(now.as_nanos()).unwrap_or(i128::MAX))
}

/// The entries of a cache file; `None` when it is missing, too big or of another format.
fn read_cache(file: &Path) -> Option<HashMap<PathBuf, Entry>> {
    let (handle, metadata) = open_regular(file).ok()?;
    if metadata.len() > MAX_CACHE_BYTES {
        return None;
    }
    let mut text = String::new();
    handle
        .take(MAX_CACHE_BYTES)
        .read_to_string(&mut text)
        .ok()?;
    let mut lines = text.lines();
    if lines.next()? != HEADER {
        return None;
    }
    let mut known = HashMap::new();
    for line in lines {
        if let Some((path, entry)) = parse_line(line) {
            known.insert(path, entry);
        }
    }
    Some(known)
}

/// One cache line: `sha256 size mtime ctime ino dev path`, tab-separated.
fn parse_line(line: &str) -> Option<(PathBuf, Entry)> {
    let mut fields = line.splitn(7, '\t');
    let hex = fields.next()?;
    let size = fields.next()?.parse().ok()?;
    let mtime_ns = fields.next()?.parse().ok()?;
    let ctime_ns = fields.next()?.parse().ok()?;
    let ino = fields.next()?.parse().ok()?;
    let dev = fields.next()?.parse().ok()?;
    let path = fields.next().filter(|p| !p.is_empty())?;
    let bytes = data_encoding::HEXLOWER.decode(hex.as_bytes()).ok()?;
    let sha256: [u8; 32] = bytes.try_into().ok()?;
    Some((
        PathBuf::from(path),
        Entry {
            stamp: FileStamp {
                dev,
                ino,
                size,
                mtime_ns,
                ctime_ns,
            },
            sha256,
        },
    ))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// Sets a file's mtime into the past; its ctime stays "now" (so it is still racy).
    fn age(path: &Path, seconds: u64) {
        let file = std::fs::File::options().write(true).open(path).unwrap();
        file.set_modified(SystemTime::now() - Duration::from_secs(seconds))
            .unwrap();
    }

    #[test]
    fn digest_matches_known_vector() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("abc");
        std::fs::write(&path, b"abc").unwrap();
        let digest = DigestCache::disabled().sha256(&path).unwrap();
        assert_eq!(
            digest.hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            digest.record_hash(),
            "sha256=ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
        );
        assert_eq!(digest.size, 3);
        assert!(!digest.cached);
    }

    #[test]
    fn racy_files_are_not_remembered() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new");
        std::fs::write(&path, b"fresh").unwrap();
        age(&path, 60);
        let cache = DigestCache::open(Some(dir.path()), "t");
        cache.sha256(&path).unwrap();
        // The ctime is now: not settled, so nothing to save.
        assert!(!cache.save().unwrap());
        let again = DigestCache::open(Some(dir.path()), "t");
        assert!(!again.sha256(&path).unwrap().cached);
    }

    #[test]
    fn settled_files_are_remembered_and_a_change_is_seen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old");
        std::fs::write(&path, b"one").unwrap();
        // A file written just now is racy; the same stamp 10 s older is settled.
        let mut stamp = FileStamp::of(&std::fs::metadata(&path).unwrap());
        assert!(!settled(&stamp));
        stamp.mtime_ns -= 10_000_000_000;
        stamp.ctime_ns -= 10_000_000_000;
        assert!(settled(&stamp));

        // A real file's ctime cannot be set back, so the cache is filled through a line as
        // `save` writes it.
        let real = FileStamp::of(&std::fs::metadata(&path).unwrap());
        let (sha256, _) = sha256_file(&path).unwrap();
        let tsv = dir.path().join("digests-v1/t.tsv");
        std::fs::create_dir_all(tsv.parent().unwrap()).unwrap();
        std::fs::write(
            &tsv,
            format!(
                "{HEADER}\n{}\t{}\t{}\t{}\t{}\t{}\t{}\nnot a line\n",
                data_encoding::HEXLOWER.encode(&sha256),
                real.size,
                real.mtime_ns,
                real.ctime_ns,
                real.ino,
                real.dev,
                path.display()
            ),
        )
        .unwrap();
        let cache = DigestCache::open(Some(dir.path()), "t");
        let digest = cache.sha256(&path).unwrap();
        assert!(digest.cached);
        assert_eq!(digest.sha256, sha256);
        assert_eq!(cache.hits(), 1);

        // Same size, new bytes: the ctime moves, the entry no longer matches.
        std::thread::sleep(Duration::from_millis(20));
        std::fs::write(&path, b"two").unwrap();
        let cache = DigestCache::open(Some(dir.path()), "t");
        let digest = cache.sha256(&path).unwrap();
        assert!(!digest.cached);
        assert_eq!(digest.sha256, sha256_file(&path).unwrap().0);
    }

    #[test]
    fn save_round_trips_and_merges() {
        let dir = tempfile::tempdir().unwrap();
        let cache = DigestCache::open(Some(dir.path()), "t");
        let stamp = FileStamp {
            dev: 1,
            ino: 2,
            size: 3,
            mtime_ns: 4,
            ctime_ns: 5,
        };
        cache.fresh.lock().unwrap().push((
            PathBuf::from("/x/a b"),
            Entry {
                stamp,
                sha256: [7; 32],
            },
        ));
        cache.fresh.lock().unwrap().push((
            PathBuf::from("/x/tab\there"),
            Entry {
                stamp,
                sha256: [8; 32],
            },
        ));
        assert!(cache.save().unwrap());
        let read = DigestCache::open(Some(dir.path()), "t");
        assert_eq!(read.known.len(), 1, "paths with a tab are not kept");
        let entry = read.known[Path::new("/x/a b")];
        assert_eq!(entry.stamp, stamp);
        assert_eq!(entry.sha256, [7; 32]);
    }

    #[test]
    fn damaged_or_foreign_cache_files_are_empty_caches() {
        let dir = tempfile::tempdir().unwrap();
        let tsv = dir.path().join("digests-v1/t.tsv");
        std::fs::create_dir_all(tsv.parent().unwrap()).unwrap();
        std::fs::write(&tsv, "something else\nzz\t1\t2\t3\t4\t5\t/p\n").unwrap();
        assert!(DigestCache::open(Some(dir.path()), "t").known.is_empty());
        std::fs::write(&tsv, [0xff, 0xfe, 0x00]).unwrap();
        assert!(DigestCache::open(Some(dir.path()), "t").known.is_empty());
        assert!(
            DigestCache::open(None, "t")
                .save()
                .is_ok_and(|wrote| !wrote)
        );
    }

    /// Regression ("no input is unbounded"): a FIFO blocked the open, `/dev/zero` never
    /// ended. Both are refused at once, saying what they are.
    #[test]
    fn only_regular_files_are_hashed() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("six-1.16.0-py3-none-any.whl");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let start = std::time::Instant::now();
        for (path, kind) in [
            (fifo.as_path(), "a FIFO"),
            (Path::new("/dev/zero"), "a character device"),
            (dir.path(), "a directory"),
        ] {
            let error = sha256_file(path).unwrap_err();
            assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
            let not = NotRegularFile::of(&error).unwrap();
            assert_eq!((not.path.as_path(), not.kind), (path, kind));
            assert_eq!(
                error.to_string(),
                format!("`{}` is not a regular file but {kind}", path.display())
            );
            let error = DigestCache::disabled().sha256(path).unwrap_err();
            assert!(NotRegularFile::of(&error).is_some(), "{error}");
        }
        assert!(start.elapsed() < Duration::from_secs(2));
        // A symlink to a regular file is followed.
        let real = dir.path().join("real");
        std::fs::write(&real, b"abc").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        assert_eq!(sha256_file(&link).unwrap(), sha256_file(&real).unwrap());
        assert!(NotRegularFile::of(&std::io::Error::other("x")).is_none());
    }

    #[test]
    fn scopes_differ_by_directory() {
        assert_ne!(scope_of(Path::new("/a")), scope_of(Path::new("/b")));
        assert_eq!(scope_of(Path::new("/a")).len(), 16);
    }
}
