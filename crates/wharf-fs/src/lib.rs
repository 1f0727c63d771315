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
#![deny(missing_docs)]

use std::io::{self, Read};
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

    #[test]
    fn size_text_units() {
        assert_eq!(size_text(DEFAULT_TEXT_CAP), "16 MiB");
        assert_eq!(size_text(2048), "2 KiB");
        assert_eq!(size_text(1000), "1000 bytes");
    }
}
