//! Bounded reads of the small text files wharf parses: requirements and constraints files,
//! `pyproject.toml`, `pip.conf`, `pyvenv.cfg`, and the `METADATA` and `RECORD` of installed
//! distributions.
//!
//! # Traps of the domain
//!
//! - A path on the command line may name a device or a pipe: `-r /dev/zero` never ends and
//!   `std::fs::read` grows its buffer until memory runs out. Every read here stops at
//!   `cap + 1` bytes ([`Read::take`]), so an oversized input is an error after at most
//!   `cap + 1` bytes, whatever the file's size claims to be (a device says 0, a zip member's
//!   declared size can lie).
//! - Text means UTF-8 without NUL bytes: a NUL is the surest sign of a binary file
//!   (`/dev/urandom`, a wheel given as `-r`), and no format read here allows one.
//! - A log is read for its end ([`read_tail`]): the traceback is at the bottom of a job's
//!   output, which may be gigabytes, a pipe that never closes, or `/dev/zero`. A regular file
//!   is seeked to its last bytes; a stream is read through in chunks, only its last bytes
//!   kept, and abandoned after a limit (an endless stream has no end to keep).
#![deny(missing_docs)]

use std::io::{self, Read, Seek as _, SeekFrom};
use std::path::{Path, PathBuf};

/// The default cap: 16 MiB, far above any real requirements file, config or `RECORD`
/// (`RECORD` of a large wheel such as TensorFlow is about 1 MiB).
pub const DEFAULT_TEXT_CAP: u64 = 16 * 1024 * 1024;

/// A bounded read that failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be opened or read. Ex) a missing file.
    #[error("cannot read `{}`", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The failure.
        #[source]
        source: io::Error,
    },
    /// The file holds more than `cap` bytes. Ex) `-r /dev/zero`
    #[error("`{}` is larger than {} and is not read", path.display(), size_text(*cap))]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The cap, in bytes.
        cap: u64,
    },
    /// The file is not UTF-8 text or holds a NUL byte. Ex) `-c /dev/urandom`
    #[error("`{}` is not text: {reason}", path.display())]
    NotText {
        /// The file.
        path: PathBuf,
        /// What gave it away, ex) `a NUL byte at offset 12`.
        reason: String,
    },
}

impl ReadError {
    /// The IO error, when that is the cause (to tell a missing file apart).
    pub fn io_error(&self) -> Option<&io::Error> {
        match self {
            Self::Io { source, .. } => Some(source),
            Self::TooLarge { .. } | Self::NotText { .. } => None,
        }
    }

    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            Self::Io { path, .. } | Self::TooLarge { path, .. } | Self::NotText { path, .. } => {
                path
            }
        }
    }
}

/// `cap` for messages: whole MiB or KiB when exact, else bytes. Ex) `16 MiB`
fn size_text(cap: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if cap >= MIB && cap.is_multiple_of(MIB) {
        format!("{} MiB", cap / MIB)
    } else if cap >= 1024 && cap.is_multiple_of(1024) {
        format!("{} KiB", cap / 1024)
    } else {
        format!("{cap} bytes")
    }
}

/// Reads at most `cap` bytes of `path`.
///
/// Errors: [`ReadError::Io`], [`ReadError::TooLarge`] (after reading `cap + 1` bytes).
pub fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>, ReadError> {
    let io = |source| ReadError::Io {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    read_capped_from(file, path, cap)
}

/// Reads at most `cap` bytes from `reader`; `path` names it in errors (for a zip member,
/// `wheel.whl/six-1.16.0.dist-info/METADATA`).
///
/// Errors: [`ReadError::Io`], [`ReadError::TooLarge`].
pub fn read_capped_from(reader: impl Read, path: &Path, cap: u64) -> Result<Vec<u8>, ReadError> {
    let mut bytes = Vec::new();
    reader
        .take(cap.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|source| ReadError::Io {
            path: path.to_owned(),
            source,
        })?;
    if bytes.len() as u64 > cap {
        return Err(ReadError::TooLarge {
            path: path.to_owned(),
            cap,
        });
    }
    Ok(bytes)
}

/// Reads `path` as UTF-8 text of at most `cap` bytes ([`DEFAULT_TEXT_CAP`] is the usual cap).
///
/// Errors: [`ReadError::Io`], [`ReadError::TooLarge`], [`ReadError::NotText`] (invalid
/// UTF-8 or a NUL byte).
pub fn read_text_capped(path: &Path, cap: u64) -> Result<String, ReadError> {
    text(read_capped(path, cap)?, path)
}

/// [`read_text_capped`] over any reader; `path` names it in errors.
///
/// Errors: as [`read_text_capped`].
pub fn read_text_capped_from(
    reader: impl Read,
    path: &Path,
    cap: u64,
) -> Result<String, ReadError> {
    text(read_capped_from(reader, path, cap)?, path)
}

/// `bytes` as text: UTF-8 without a NUL byte.
///
/// Errors: [`ReadError::NotText`].
pub fn text(bytes: Vec<u8>, path: &Path) -> Result<String, ReadError> {
    let not_text = |reason| ReadError::NotText {
        path: path.to_owned(),
        reason,
    };
    if let Some(offset) = bytes.iter().position(|&byte| byte == 0) {
        return Err(not_text(format!("a NUL byte at offset {offset}")));
    }
    String::from_utf8(bytes).map_err(|error| {
        not_text(format!(
            "invalid UTF-8 at offset {}",
            error.utf8_error().valid_up_to()
        ))
    })
}

/// The end of a log, as [`read_tail`] keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tail {
    /// The last bytes: at most the cap, and when bytes were skipped, starting at a line's start
    /// (the partial first line is dropped).
    pub bytes: Vec<u8>,
    /// How many bytes before [`Tail::bytes`] were skipped (seeked over or read and dropped);
    /// 0 when the input is whole.
    pub skipped: u64,
    /// Whether reading stopped at the read limit while the input still had bytes (an endless
    /// stream: `/dev/zero`, a FIFO whose writer never stops).
    pub stopped: bool,
}

/// The size of each read of [`read_tail`], bytes.
const TAIL_CHUNK: usize = 64 * 1024;

/// The last `cap` bytes of `file` (a regular file, a FIFO, a device, stdin), reading at most
/// `max_read` bytes (at least `cap + 1` are read whatever `max_read` says).
///
/// A regular file is seeked to its last `cap + 1` bytes (a 10 GiB log costs one read of
/// `cap`); anything else is read through in 64 KiB chunks keeping the last bytes in a buffer
/// of at most `2 × cap + 64 KiB`, until its end or `max_read` bytes ([`Tail::stopped`]).
/// When bytes were skipped, the partial line they cut is dropped too.
///
/// Errors: a failed read (`Interrupted` is retried).
pub fn read_tail(file: &mut std::fs::File, cap: usize, max_read: u64) -> io::Result<Tail> {
    let cap64 = cap as u64;
    let mut skipped = 0;
    if let Ok(metadata) = file.metadata()
        && metadata.is_file()
        && metadata.len() > cap64 + 1
    {
        // One byte before the tail, to tell whether it starts a line. Never backwards: the
        // bytes before the current offset (stdin shared with a previous reader) are not ours.
        let from = metadata.len() - cap64 - 1;
        let position = file.stream_position().unwrap_or(0);
        if position < from {
            skipped = file.seek(SeekFrom::Start(from))?;
        }
    }
    tail_of_stream(file, cap, max_read.max(cap64 + 1), skipped)
}

/// [`read_tail`]'s loop over any reader, `skipped` bytes already skipped before it.
fn tail_of_stream(
    reader: &mut impl Read,
    cap: usize,
    max_read: u64,
    mut skipped: u64,
) -> io::Result<Tail> {
    let mut kept: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; TAIL_CHUNK];
    let mut read = 0u64;
    // The last byte dropped from the front, to know whether `kept` starts a line.
    let mut before: Option<u8> = None;
    let mut drop_front = |kept: &mut Vec<u8>, skipped: &mut u64, keep: usize| {
        if kept.len() > keep {
            let drop = kept.len() - keep;
            before = Some(kept[drop - 1]);
            kept.drain(..drop);
            *skipped += drop as u64;
        }
    };
    let mut stopped = false;
    loop {
        let want = usize::try_from((max_read - read).min(TAIL_CHUNK as u64)).unwrap_or(TAIL_CHUNK);
        if want == 0 {
            // At the limit: stopped only if the input has more.
            let mut probe = [0u8; 1];
            stopped = loop {
                match reader.read(&mut probe) {
                    Ok(n) => break n > 0,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            };
            break;
        }
        let n = match reader.read(&mut chunk[..want]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        read += n as u64;
        kept.extend_from_slice(&chunk[..n]);
        if kept.len() >= 2 * cap {
            drop_front(&mut kept, &mut skipped, cap);
        }
    }
    drop_front(&mut kept, &mut skipped, cap);
    if skipped > 0 && before != Some(b'\n') {
        let line = kept
            .iter()
            .position(|&b| b == b'\n')
            .map_or(kept.len(), |i| i + 1);
        kept.drain(..line);
        skipped += line as u64;
    }
    Ok(Tail {
        bytes: kept,
        skipped,
        stopped,
    })
}

/// An error and its [`source`](std::error::Error::source) chain on one line, `a: b: c`, each
/// message's lines trimmed and joined by a space (a probe's stderr, a build log's tail), for a
/// one-line report: a `doctor` finding's evidence, a `--per-node` line, a discovery skip.
///
/// Ex) `cannot run `/env/bin/python`: Exec format error (os error 8)`.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The start time of process `pid` on this host (field 22 of `/proc/{pid}/stat`, in clock
/// ticks since boot): `None` when no such process runs, `Some(0)` when `/proc` cannot tell (the
/// process is then assumed alive). With the pid, it tells a live holder of a lock or marker
/// from a dead one whose pid was reused.
pub fn process_start_time(pid: u32) -> Option<u64> {
    if !Path::new("/proc/self/stat").exists() {
        return Some(0);
    }
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name
        .split_whitespace()
        .nth(19)
        .and_then(|field| field.parse().ok())
        .or(Some(0))
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    #[test]
    fn error_chain_one_line() {
        let error = ReadError::Io {
            path: PathBuf::from("/x/pip.conf"),
            source: io::Error::other("first line\n  second line\n"),
        };
        assert_eq!(
            error_chain(&error),
            "cannot read `/x/pip.conf`: first line second line"
        );
    }

    #[test]
    fn reads_text() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.txt");
        std::fs::write(&path, "numpy\n").unwrap();
        assert_eq!(read_text_capped(&path, 6).unwrap(), "numpy\n");
    }

    #[test]
    fn err_too_large() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.txt");
        std::fs::write(&path, "numpy\n").unwrap();
        let error = read_text_capped(&path, 5).unwrap_err();
        assert!(matches!(error, ReadError::TooLarge { cap: 5, .. }));
        assert!(
            error
                .to_string()
                .ends_with("r.txt` is larger than 5 bytes and is not read")
        );
    }

    #[test]
    fn err_not_text() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.txt");
        std::fs::write(&path, b"ab\0c").unwrap();
        let error = read_text_capped(&path, 100).unwrap_err();
        assert!(
            error
                .to_string()
                .ends_with("r.txt` is not text: a NUL byte at offset 2")
        );
        std::fs::write(&path, b"ab\xffc").unwrap();
        let error = read_text_capped(&path, 100).unwrap_err();
        assert!(
            error
                .to_string()
                .ends_with("r.txt` is not text: invalid UTF-8 at offset 2")
        );
    }

    #[test]
    fn err_io_names_the_file() {
        let error = read_text_capped(Path::new("/no/such/file"), 100).unwrap_err();
        assert_eq!(error.to_string(), "cannot read `/no/such/file`");
        assert_eq!(error.io_error().unwrap().kind(), io::ErrorKind::NotFound);
    }

    /// Regression (no-panic issue): `-r /dev/zero` grew without bound.
    #[test]
    fn endless_devices_stop_at_the_cap() {
        for device in ["/dev/zero", "/dev/urandom"] {
            let start = Instant::now();
            let error = read_text_capped(Path::new(device), DEFAULT_TEXT_CAP).unwrap_err();
            assert_eq!(
                error.to_string(),
                format!("`{device}` is larger than 16 MiB and is not read")
            );
            assert!(start.elapsed() < Duration::from_secs(2));
        }
    }

    /// A log of `lines` numbered lines, `line 0\n`…
    fn numbered(lines: usize) -> Vec<u8> {
        (0..lines)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect()
    }

    #[test]
    fn tail_of_a_small_file_is_all_of_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        std::fs::write(&path, numbered(3)).unwrap();
        let tail = read_tail(&mut std::fs::File::open(&path).unwrap(), 100, 1000).unwrap();
        assert_eq!(tail.bytes, numbered(3));
        assert_eq!((tail.skipped, tail.stopped), (0, false));
    }

    #[test]
    fn tail_of_a_large_file_is_seeked_and_starts_a_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let log = numbered(10_000);
        std::fs::write(&path, &log).unwrap();
        // max_read below the file's size: a regular file is seeked, not read through.
        let tail = read_tail(&mut std::fs::File::open(&path).unwrap(), 1000, 10).unwrap();
        assert!(tail.bytes.len() <= 1000 && tail.bytes.len() > 990);
        assert!(log.ends_with(&tail.bytes));
        let skipped = usize::try_from(tail.skipped).unwrap();
        assert_eq!(skipped + tail.bytes.len(), log.len());
        assert_eq!(log[skipped - 1], b'\n');
        assert!(tail.bytes.starts_with(b"line "));
        assert!(!tail.stopped);
    }

    #[test]
    fn tail_of_a_stream_matches_the_tail_of_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let log = numbered(100_000);
        std::fs::write(&path, &log).unwrap();
        let seeked = read_tail(&mut std::fs::File::open(&path).unwrap(), 5000, u64::MAX).unwrap();
        let streamed = tail_of_stream(&mut log.as_slice(), 5000, u64::MAX, 0).unwrap();
        assert_eq!(seeked, streamed);
        // A tail that starts exactly at a line loses no line.
        let exact = tail_of_stream(&mut &b"aaaa\nbb\ncc\n"[..], 6, u64::MAX, 0).unwrap();
        assert_eq!(
            (exact.bytes.as_slice(), exact.skipped),
            (&b"bb\ncc\n"[..], 5)
        );
        // No line end at all in the tail: nothing is kept.
        let none = tail_of_stream(&mut &b"aaaaaaaaaaaa"[..], 4, u64::MAX, 0).unwrap();
        assert_eq!((none.bytes.len(), none.skipped), (0, 12));
    }

    #[test]
    fn endless_streams_stop_at_the_limit() {
        let start = Instant::now();
        let mut zero = std::fs::File::open("/dev/zero").unwrap();
        let tail = read_tail(&mut zero, 4096, 1 << 20).unwrap();
        assert!(tail.stopped);
        assert!(tail.bytes.is_empty(), "no line end in /dev/zero");
        assert_eq!(tail.skipped, 1 << 20);
        assert!(start.elapsed() < Duration::from_secs(2));
        // Exactly at the limit and then the end: not stopped.
        let whole = tail_of_stream(&mut &b"ab\ncd\n"[..], 100, 6, 0).unwrap();
        assert_eq!((whole.bytes.len(), whole.stopped), (6, false));
    }

    #[test]
    fn size_text_units() {
        assert_eq!(size_text(DEFAULT_TEXT_CAP), "16 MiB");
        assert_eq!(size_text(2048), "2 KiB");
        assert_eq!(size_text(1000), "1000 bytes");
    }
}
