//! Extraction: archive members decompressed into the staging area (no cache) or into a new
//! wheel cache entry, hashed while written; the small file writers staging shares.

use std::io::{self, Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use rayon::prelude::*;
use wharf_metadata::WheelError;

use super::plan::{InstallError, InstallOptions, cancelled, with_path};
use crate::cache::{CachedFile, Entry, FileStamp, Identity, WheelCache};
use crate::layout::{Layout, Scheme};
use crate::record;
use crate::scripts;
use crate::verify::{RecordCheck, Verdict};
use crate::wheel::{SharedFile, Wheel};

/// The copy buffer of each worker.
pub(super) const COPY_BUFFER: usize = 256 * 1024;

/// The largest member inflated whole in memory (bytes, uncompressed); a bigger one is
/// streamed through [`COPY_BUFFER`] (a GPU library of a few GB would otherwise be held twice).
const WHOLE_MEMBER_LIMIT: u64 = 256 * 1024 * 1024;

/// A worker's reusable state: the copy buffer of streamed members, and libdeflate's
/// decompressor with the two buffers of a member inflated whole (kept across members).
pub(super) struct Scratch {
    /// Members up to this many bytes are inflated whole ([`WHOLE_MEMBER_LIMIT`]).
    whole_limit: u64,
    buffer: Vec<u8>,
    decompressor: libdeflater::Decompressor,
    compressed: Vec<u8>,
    inflated: Vec<u8>,
}

thread_local! {
    /// Each thread's [`Scratch`], kept for the thread's life: its buffers grow to the largest
    /// member the thread has inflated and are reused, not allocated again (fresh memory costs a
    /// page fault and the kernel's zeroing of each page on first touch: a quarter of a cold
    /// `venv --from` when each rayon split had its own buffers).
    static SCRATCH: std::cell::RefCell<Option<Scratch>> = const { std::cell::RefCell::new(None) };
}

/// Runs `work` with this thread's [`Scratch`] (made on first use); a nested call on the same
/// thread gets a scratch of its own.
pub(super) fn with_scratch<R>(work: impl FnOnce(&mut Scratch) -> R) -> R {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut slot) => work(slot.get_or_insert_with(Scratch::new)),
        Err(_) => work(&mut Scratch::new()),
    })
}

impl Scratch {
    /// A worker's scratch: a [`COPY_BUFFER`] and empty whole-member buffers.
    pub(super) fn new() -> Self {
        Self {
            whole_limit: WHOLE_MEMBER_LIMIT,
            buffer: vec![0u8; COPY_BUFFER],
            decompressor: libdeflater::Decompressor::new(),
            compressed: Vec::new(),
            inflated: Vec::new(),
        }
    }
}

/// One archive member to extract.
pub(super) struct Job {
    pub(super) index: usize,
    pub(super) member: String,
    pub(super) scheme: Scheme,
    /// Path below the scheme directory, `/`-separated.
    pub(super) relative: String,
    pub(super) is_script: bool,
}

/// Whether a zip mode is a regular file with an execute bit (pip `zip_item_is_executable`).
pub(super) fn is_executable(mode: Option<u32>) -> bool {
    mode.is_some_and(|mode| mode & 0o170_000 == 0o100_000 && mode & 0o111 != 0)
}

/// A member extracted into the staging area: its installed `RECORD` hash and size, and
/// whether the site rule accepted it with a stale `RECORD` row.
pub(super) struct Extracted {
    pub(super) hash: String,
    pub(super) size: u64,
    pub(super) stale: bool,
}

/// Extracts the member of `job` to `staged` (no cache), checking it against the wheel's
/// `RECORD` (`record`) on the way.
pub(super) fn extract(
    archive: &mut zip::ZipArchive<SharedFile>,
    scratch: &mut Scratch,
    job: &Job,
    staged: &Path,
    layout: &Layout,
    wheel_path: &Path,
    record: &RecordCheck,
) -> Result<Extracted, InstallError> {
    if !job.is_script {
        let unpacked = write_member(
            archive,
            scratch,
            job.index,
            &job.member,
            staged,
            wheel_path,
            record,
        )
        .map_err(|error| match error {
            MemberError::Read(error) => error,
            MemberError::Write(error) => error.into(),
        })?;
        return Ok(Extracted {
            hash: unpacked.hash,
            size: unpacked.size,
            stale: unpacked.stale,
        });
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
    let verdict = record.check(
        &job.member,
        &record::hash_bytes(&content),
        content.len() as u64,
    )?;
    let content = scripts::fix_script_shebang(&content, &layout.python).unwrap_or(content);
    write_scripts_file(staged, &content, executable)?;
    Ok(Extracted {
        hash: record::hash_bytes(&content),
        size: content.len() as u64,
        stale: verdict == Verdict::SiteStale,
    })
}

/// Why writing a member failed.
pub(super) enum MemberError {
    /// Reading the archive failed (corrupt data, CRC mismatch): the wheel's fault.
    Read(InstallError),
    /// Writing the file failed.
    Write(io::Error),
}

/// A member written by [`write_member`].
pub(super) struct WrittenMember {
    /// `sha256=…` of the content.
    pub(super) hash: String,
    /// The size in bytes.
    pub(super) size: u64,
    /// Whether the member has an execute bit.
    pub(super) executable: bool,
    /// Whether the site rule accepted it with a stale `RECORD` row.
    pub(super) stale: bool,
    /// The written file's inode and mtime (`fstat` after the last write): a cache entry
    /// records them.
    pub(super) stamp: FileStamp,
}

/// Decompresses archive member `index` into the new file `destination` (mode 0o666, or
/// 0o777 plus the execute bits for an executable member), hashing it on the way and checking
/// the hash and size against `record`. A deflated or stored member up to
/// [`WHOLE_MEMBER_LIMIT`] is read once, inflated whole by libdeflate, its CRC-32 checked,
/// hashed and checked against `record` before its file is created, and written with one
/// `write`; a bigger one is streamed (checked once written: the caller discards it on error).
/// The file is `fstat`ed once written (a cache entry records its stamp).
pub(super) fn write_member(
    archive: &mut zip::ZipArchive<SharedFile>,
    scratch: &mut Scratch,
    index: usize,
    member_name: &str,
    destination: &Path,
    wheel_path: &Path,
    record: &RecordCheck,
) -> Result<WrittenMember, MemberError> {
    let zip_error = |source| {
        MemberError::Read(
            WheelError::Zip {
                path: wheel_path.to_path_buf(),
                source,
            }
            .into(),
        )
    };
    let read_error = |source| {
        MemberError::Read(InstallError::Extract {
            wheel: wheel_path.to_path_buf(),
            member: member_name.to_string(),
            source,
        })
    };
    let verify = |hash: &str, size: u64| {
        record
            .check(member_name, hash, size)
            .map(|verdict| verdict == Verdict::SiteStale)
            .map_err(|error| MemberError::Read(error.into()))
    };
    let write_error =
        |error: &io::Error, action| MemberError::Write(with_path(error, action, destination));
    let create = |executable: bool| {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(if executable { 0o777 } else { 0o666 })
            .open(destination)
            .map_err(|error| write_error(&error, "create"))
    };

    let whole = {
        let raw = archive.by_index_raw(index).map_err(zip_error)?;
        let method = raw.compression();
        let whole = raw.size() <= scratch.whole_limit
            && matches!(
                method,
                zip::CompressionMethod::Deflated | zip::CompressionMethod::Stored
            );
        if whole {
            let executable = is_executable(raw.unix_mode());
            let crc = raw.crc32();
            let size = usize::try_from(raw.size()).unwrap_or(usize::MAX);
            inflate_whole(raw, method, size, scratch).map_err(read_error)?;
            let content: &[u8] = if method == zip::CompressionMethod::Stored {
                &scratch.compressed
            } else {
                &scratch.inflated
            };
            let mut checksum = libdeflater::Crc::new();
            checksum.update(content);
            if checksum.sum() != crc {
                return Err(read_error(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "the member's CRC-32 does not match its data",
                )));
            }
            Some((executable, method == zip::CompressionMethod::Stored))
        } else {
            None
        }
    };
    let (hash, size, executable, stale, file) = if let Some((executable, stored)) = whole {
        let content: &[u8] = if stored {
            &scratch.compressed
        } else {
            &scratch.inflated
        };
        let size = content.len();
        let hash = record::hash_bytes(content);
        let stale = verify(&hash, size as u64)?;
        let file = create(executable)?;
        (&file)
            .write_all(content)
            .map_err(|error| write_error(&error, "write"))?;
        (hash, size as u64, executable, stale, file)
    } else {
        let mut member = archive.by_index(index).map_err(zip_error)?;
        let executable = is_executable(member.unix_mode());
        let buffer = &mut scratch.buffer;
        let filled = fill(&mut member, buffer).map_err(read_error)?;
        let file = create(executable)?;
        let mut writer = FullWriter { file: &file };
        let (result, size) = copy_filled(&mut member, &mut writer, buffer, filled);
        match result {
            Ok(hash) => {
                let stale = verify(&hash, size)?;
                (hash, size, executable, stale, file)
            }
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
    let metadata = file
        .metadata()
        .map_err(|error| write_error(&error, "stat"))?;
    let stamp = FileStamp::of(&metadata);
    Ok(WrittenMember {
        hash,
        size,
        executable,
        stale,
        stamp,
    })
}

/// Reads the raw (compressed) bytes of a member into `scratch.compressed` and, when
/// `method` is deflate, inflates them whole into `scratch.inflated` (`size` bytes: the
/// central directory's uncompressed size, which the data must fill exactly); a stored
/// member's data is then `scratch.compressed` and `scratch.inflated` is left empty.
///
/// Errors: the archive cannot be read, or the data is not valid deflate of `size` bytes.
fn inflate_whole(
    mut raw: zip::read::ZipFile<'_, SharedFile>,
    method: zip::CompressionMethod,
    size: usize,
    scratch: &mut Scratch,
) -> io::Result<()> {
    scratch.compressed.clear();
    raw.read_to_end(&mut scratch.compressed)?;
    scratch.inflated.clear();
    if method == zip::CompressionMethod::Stored {
        if scratch.compressed.len() != size {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the stored member's length differs from the archive's directory",
            ));
        }
        return Ok(());
    }
    scratch.inflated.resize(size, 0);
    let corrupt = |what: String| io::Error::new(io::ErrorKind::InvalidData, what);
    match scratch
        .decompressor
        .deflate_decompress(&scratch.compressed, &mut scratch.inflated)
    {
        Ok(written) if written == size => Ok(()),
        Ok(written) => Err(corrupt(format!(
            "the member inflates to {written} bytes, the archive's directory says {size}"
        ))),
        Err(error) => Err(corrupt(format!("invalid deflate data ({error:?})"))),
    }
}

/// Reads from `reader` until `buffer` is full or the end; returns the bytes read.
pub(super) fn fill(reader: &mut impl Read, buffer: &mut [u8]) -> io::Result<usize> {
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
pub(super) enum CopyError {
    Read(io::Error),
    Write(io::Error),
}

pub(super) struct FullWriter<'a> {
    pub(super) file: &'a std::fs::File,
}

/// Copies `reader` to `writer`, filling `buffer` before each write and hashing; the first
/// `prefilled` bytes of `buffer` were already read (a full buffer: there may be more).
/// Returns the `sha256=` hash and the size.
pub(super) fn copy_filled(
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

/// Writes a generated file with `mode` (before the umask); `scripts` adds `0o555` after, as
/// distlib's `set_mode` does for launchers.
pub(super) fn write_generated(
    path: &Path,
    content: &[u8],
    mode: u32,
    script: bool,
) -> io::Result<()> {
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

/// Writes a `.data/scripts` file (its shebang already fixed), adding the execute bits.
pub(super) fn write_scripts_file(
    staged: &Path,
    content: &[u8],
    executable: bool,
) -> io::Result<()> {
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

pub(super) fn add_execute_bits(path: &Path, bits: u32) -> io::Result<()> {
    let mode = fs_err::metadata(path)?.permissions().mode();
    fs_err::set_permissions(path, std::fs::Permissions::from_mode(mode | bits))
}

/// Why unpacking into the cache failed.
pub(super) enum UnpackError {
    /// The wheel's fault (corrupt member) or a cancel: the install fails.
    Install(InstallError),
    /// Writing the cache failed: install without it.
    Cache(io::Error),
}

/// Unpacks every member of `wheel` (but the `RECORD`, `INSTALLER` and `REQUESTED` it may
/// carry) into a new cache entry, hashing each file once and checking it against the wheel's
/// `RECORD` in the same pass, in parallel; publishes it (with the verdict: verified or not,
/// and the members the site rule accepted stale). Each
/// member gets its own file, equal ones too: a file is hard-linked to one installed path per
/// environment, never to two paths of one environment (editing one would change the other).
/// The entry is published only when `wheel`'s open file still has `stamp` (the stamp its
/// digest, the entry's key, was computed or found for): else [`InstallError::WheelChanged`].
pub(super) fn unpack_into_cache(
    wheel: &Wheel,
    identity: &Identity,
    stamp: &wharf_digest::FileStamp,
    cache: &WheelCache,
    replace: bool,
    options: &InstallOptions,
) -> Result<Option<Entry>, UnpackError> {
    let dist_info = wheel.dist_info_facts();
    let skipped: [String; 3] =
        ["RECORD", "INSTALLER", "REQUESTED"].map(|file| format!("{}/{file}", dist_info.directory));
    let members: Vec<&(usize, String)> = wheel
        .members
        .iter()
        .filter(|(_, member)| !skipped.contains(member))
        .collect();
    let pending = cache.begin().map_err(UnpackError::Cache)?;
    pending
        .make_subdirectories(members.len())
        .map_err(UnpackError::Cache)?;
    let files: Vec<CachedFile> = members
        .par_iter()
        .enumerate()
        .with_min_len(4)
        .map_init(
            || wheel.archive.clone(),
            |archive, (position, (index, member))| {
                if cancelled(options) {
                    return Err(UnpackError::Install(InstallError::Cancelled));
                }
                let unpacked = with_scratch(|scratch| {
                    write_member(
                        archive,
                        scratch,
                        *index,
                        member,
                        &pending.file_path(position),
                        &wheel.path,
                        &wheel.record,
                    )
                })
                .map_err(|error| match error {
                    MemberError::Read(error) => UnpackError::Install(error),
                    MemberError::Write(error) => UnpackError::Cache(error),
                })?;
                Ok(CachedFile {
                    member: member.clone(),
                    hash: unpacked.hash,
                    size: unpacked.size,
                    executable: unpacked.executable,
                    file: position,
                    stale: unpacked.stale,
                    stamp: unpacked.stamp,
                })
            },
        )
        .collect::<Result<_, _>>()?;
    // What was unpacked is the digest's content only if the wheel did not change meanwhile.
    let now = wheel.file.metadata().map_err(|source| {
        UnpackError::Install(
            WheelError::Io {
                path: wheel.path.clone(),
                source,
            }
            .into(),
        )
    })?;
    if wharf_digest::FileStamp::of(&now) != *stamp {
        return Err(UnpackError::Install(InstallError::WheelChanged {
            wheel: wheel.path.clone(),
        }));
    }
    pending
        .publish(
            cache,
            identity,
            dist_info,
            files,
            wheel.record.verified(),
            replace,
        )
        .map_err(UnpackError::Cache)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::Verification;

    /// A wheel whose `demo/data.txt` is `content`, deflated, with a correct `RECORD`.
    fn wheel_with(dir: &Path, content: &[u8]) -> Wheel {
        let path = dir.join("demo-1.0-py3-none-any.whl");
        wharf_test_support::WheelBuilder::new("demo", "1.0", true, &[])
            .member("demo/data.txt", content, 0o644, true)
            .write(&path);
        open(&path)
    }

    fn open(path: &Path) -> Wheel {
        let file = std::fs::File::open(path).unwrap();
        Wheel::open_file(path, file, &Verification::default()).unwrap_or_else(|e| panic!("{e}"))
    }

    fn data_member(wheel: &Wheel) -> usize {
        wheel
            .members
            .iter()
            .find(|(_, name)| name == "demo/data.txt")
            .unwrap()
            .0
    }

    /// `content`, a text of `lines` numbered lines (compresses well, but not to nothing).
    fn text(lines: usize) -> Vec<u8> {
        (0..lines)
            .flat_map(|i| format!("line {i} of the member, {}\n", i * 7919 % 1013).into_bytes())
            .collect()
    }

    /// Writes the member whole (libdeflate) and streamed (the zip crate): the same file, hash
    /// and size, both checked against `RECORD`.
    #[test]
    fn whole_and_streamed_members_are_the_same_file() {
        let dir = tempfile::tempdir().unwrap();
        let content = text(40_000); // ~1.3 MB: bigger than the copy buffer
        let mut wheel = wheel_with(dir.path(), &content);
        let index = data_member(&wheel);
        let mut results = Vec::new();
        for limit in [WHOLE_MEMBER_LIMIT, 0] {
            let mut scratch = Scratch::new();
            scratch.whole_limit = limit;
            let destination = dir.path().join(format!("out-{limit}"));
            let written = write_member(
                &mut wheel.archive,
                &mut scratch,
                index,
                "demo/data.txt",
                &destination,
                &wheel.path,
                &wheel.record,
            )
            .unwrap_or_else(|_| panic!("limit {limit}: failed"));
            assert_eq!(std::fs::read(&destination).unwrap(), content);
            assert!(!written.stale && !written.executable);
            results.push((written.hash, written.size));
        }
        assert_eq!(results[0], results[1]);
        assert_eq!(results[0].1, content.len() as u64);
    }

    /// A byte changed inside the deflated data: both ways refuse the member as the wheel's
    /// fault, and the whole way creates no file.
    #[test]
    fn corrupt_deflate_data_is_refused_both_ways() {
        let dir = tempfile::tempdir().unwrap();
        let content = text(40_000);
        let wheel = wheel_with(dir.path(), &content);
        let index = data_member(&wheel);
        let (start, length) = {
            let mut archive = wheel.archive.clone();
            let raw = archive.by_index_raw(index).unwrap();
            (raw.data_start().unwrap(), raw.compressed_size())
        };
        let mut bytes = std::fs::read(&wheel.path).unwrap();
        let at = usize::try_from(start + length / 2).unwrap();
        bytes[at] ^= 0x5a;
        let broken = dir.path().join("broken");
        std::fs::create_dir(&broken).unwrap();
        let path = broken.join("demo-1.0-py3-none-any.whl");
        std::fs::write(&path, bytes).unwrap();
        let mut wheel = open(&path);
        for limit in [WHOLE_MEMBER_LIMIT, 0] {
            let mut scratch = Scratch::new();
            scratch.whole_limit = limit;
            let destination = dir.path().join(format!("out-{limit}"));
            let result = write_member(
                &mut wheel.archive,
                &mut scratch,
                index,
                "demo/data.txt",
                &destination,
                &wheel.path,
                &wheel.record,
            );
            assert!(
                matches!(result, Err(MemberError::Read(_))),
                "limit {limit}: the corrupt member was accepted"
            );
            if limit != 0 {
                assert!(!destination.exists(), "a file was created");
            }
        }
    }
}
