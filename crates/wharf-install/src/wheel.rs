//! Opening a wheel for installation: its `WHEEL` and `entry_points.txt`, and the archive
//! shared by the extraction workers (`METADATA` and the `.dist-info` lookup are
//! `wharf_metadata`'s).
//!
//! Implements the reading half of the [binary distribution format] (PEP 427): the archive is
//! opened through its zip central directory only, the `{name}-{version}.dist-info` directory is
//! found by the PEP 503 normalized project name of the file name, and only the members asked
//! for are decompressed.
//!
//! Opening validates the wheel before anything is unpacked (`crate::verify`): one
//! `.dist-info` directory only, `METADATA` `Name`/`Version` against the file name, the
//! archive's structure (duplicates, symbolic
//! links, local headers), and `RECORD` listing every member; the files' hashes are checked
//! against `RECORD` while they are unpacked.
//!
//! Site rule: re-tagged wheels may carry `WHEEL` `Tag:` lines and `RECORD` hashes that no
//! longer match the file (it was renamed, `.so` files were patched). The file name is trusted:
//! `Tag:` lines are never compared with it, and stale `RECORD` rows are accepted only where
//! the site's re-tagging leaves them (`crate::verify`, "The site rule"). The installer writes
//! a new `RECORD` from what it actually wrote.
//!
//! [binary distribution format]: https://packaging.python.org/en/latest/specifications/binary-distribution-format/

use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use std::str::FromStr;

use wharf_metadata::{
    Headers, WheelError, WheelMetadata, check_consistency, find_dist_info, parse_filename,
    read_member, read_member_optional,
};
use zip::ZipArchive;

use crate::cache::DistInfo;
use crate::install::InstallError;
use crate::verify::{RecordCheck, Verification, check_archive, check_one_dist_info};

/// The `WHEEL` file of a wheel (PEP 427 "The .dist-info directory").
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WheelInfo {
    /// `Root-Is-Purelib`: the archive root goes to purelib (`true`) or platlib.
    pub(crate) root_is_purelib: bool,
}

impl WheelInfo {
    /// Parses `WHEEL`. `Tag:` lines are ignored (site rule: trust the file name).
    pub(crate) fn parse(text: &str, path: &Path, member: &str) -> Result<Self, WheelError> {
        let headers = Headers::parse(text);
        if let Some(version) = headers.get("Wheel-Version") {
            let major = version.split('.').next().unwrap_or("").trim();
            if major != "1" {
                return Err(WheelError::UnsupportedWheelVersion {
                    path: path.to_path_buf(),
                    version: version.to_string(),
                });
            }
        } else {
            return Err(WheelError::InvalidMetadata {
                path: path.to_path_buf(),
                member: member.to_string(),
                reason: "missing `Wheel-Version`".to_string(),
            });
        }
        let root_is_purelib = headers
            .get("Root-Is-Purelib")
            .is_some_and(|value| value.eq_ignore_ascii_case("true"));
        Ok(Self { root_is_purelib })
    }
}

/// A wheel opened (and validated) for installation: archive, `.dist-info` name, `METADATA`,
/// `WHEEL`, `entry_points.txt`, and its `RECORD` to check the files against.
pub(crate) struct Wheel {
    pub(crate) path: PathBuf,
    /// The open wheel file every read goes through (`fstat`ed again after unpacking).
    pub(crate) file: Arc<std::fs::File>,
    pub(crate) archive: ZipArchive<SharedFile>,
    /// The non-directory members as (zip index, archive path), archive order.
    pub(crate) members: Vec<(usize, String)>,
    pub(crate) record: RecordCheck,
    pub(crate) dist_info: String,
    pub(crate) metadata: WheelMetadata,
    pub(crate) info: WheelInfo,
    pub(crate) entry_points: Option<String>,
}

/// Opens the wheel at `path` for reading, when `stat` says it is a regular file (a FIFO would
/// block the open, a device never end).
///
/// Errors: [`WheelError::Io`] naming the path.
pub(crate) fn open_wheel_file(path: &Path) -> Result<std::fs::File, WheelError> {
    let io_error = |source| WheelError::Io {
        path: path.to_path_buf(),
        source,
    };
    wharf_digest::open_regular(path)
        .map(|(file, _)| file)
        .map_err(io_error)
}

impl Wheel {
    /// Reads the wheel from `file`, already opened from `path` (every later read goes through
    /// this handle: a file replaced at `path` meanwhile does not matter), and validates it.
    pub(crate) fn open_file(
        path: &Path,
        file: std::fs::File,
        verification: &Verification,
    ) -> Result<Self, InstallError> {
        let io_error = |source| WheelError::Io {
            path: path.to_path_buf(),
            source,
        };
        let (name, version) = parse_filename(path)?;
        let length = file.metadata().map_err(io_error)?.len();
        let file = Arc::new(file);
        let shared = SharedFile::new(Arc::clone(&file), length);
        let mut archive = ZipArchive::new(shared.clone()).map_err(|source| WheelError::Zip {
            path: path.to_path_buf(),
            source,
        })?;
        check_one_dist_info(&archive, path)?;
        let dist_info = find_dist_info(&archive, path, &name)?;
        let metadata_member = format!("{dist_info}/METADATA");
        let metadata = WheelMetadata::from_headers(
            &Headers::parse(&read_member(&mut archive, path, &metadata_member)?),
            path,
            &metadata_member,
        )?;
        check_consistency(
            path,
            &metadata_member,
            &metadata,
            verification.site_label.as_deref(),
        )?;
        let wheel_member = format!("{dist_info}/WHEEL");
        let info = WheelInfo::parse(
            &read_member(&mut archive, path, &wheel_member)?,
            path,
            &wheel_member,
        )?;
        let entry_points =
            read_member_optional(&mut archive, path, &format!("{dist_info}/entry_points.txt"))?;
        let members = check_archive(&archive, shared, path)?;
        let record = match pep440_rs::Version::from_str(&version) {
            Ok(version) => {
                let names: Vec<String> = members.iter().map(|(_, name)| name.clone()).collect();
                RecordCheck::read(
                    &mut archive,
                    path,
                    &dist_info,
                    &version,
                    &names,
                    verification,
                )?
            }
            Err(_) => {
                return Err(WheelError::InvalidFilename {
                    path: path.to_path_buf(),
                    reason: "its version is not a PEP 440 version",
                }
                .into());
            }
        };
        Ok(Self {
            path: path.to_path_buf(),
            file,
            archive,
            members,
            record,
            dist_info,
            metadata,
            info,
            entry_points,
        })
    }
}

impl Wheel {
    /// The `.dist-info` facts an install needs (also what a cache entry keeps).
    pub(crate) fn dist_info_facts(&self) -> DistInfo {
        DistInfo {
            directory: self.dist_info.clone(),
            name: self.metadata.name.clone(),
            version: self.metadata.version.clone(),
            root_is_purelib: self.info.root_is_purelib,
            entry_points: self.entry_points.clone(),
        }
    }
}

/// A cheaply clonable, buffered reader over one open file, reading with `pread` so that
/// clones on other threads never share a file position. One zip central directory parse
/// serves every thread through `ZipArchive::clone`.
pub(crate) struct SharedFile {
    file: Arc<std::fs::File>,
    length: u64,
    position: u64,
    buffer: Vec<u8>,
    buffer_start: u64,
    buffer_len: usize,
}

/// Reads at least this large bypass the internal buffer.
const SHARED_FILE_BUFFER: usize = 64 * 1024;

impl SharedFile {
    pub(crate) fn new(file: Arc<std::fs::File>, length: u64) -> Self {
        Self {
            file,
            length,
            position: 0,
            buffer: Vec::new(),
            buffer_start: 0,
            buffer_len: 0,
        }
    }
}

impl Clone for SharedFile {
    fn clone(&self) -> Self {
        Self::new(Arc::clone(&self.file), self.length)
    }
}

impl Read for SharedFile {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let buffer_end = self.buffer_start + self.buffer_len as u64;
        if self.position >= self.buffer_start && self.position < buffer_end {
            let offset = usize::try_from(self.position - self.buffer_start).unwrap_or(0);
            let available = &self.buffer[offset..self.buffer_len];
            let count = available.len().min(out.len());
            out[..count].copy_from_slice(&available[..count]);
            self.position += count as u64;
            return Ok(count);
        }
        if out.len() >= SHARED_FILE_BUFFER {
            let count = self.file.read_at(out, self.position)?;
            self.position += count as u64;
            return Ok(count);
        }
        if self.buffer.is_empty() {
            self.buffer = vec![0; SHARED_FILE_BUFFER];
        }
        let count = self.file.read_at(&mut self.buffer, self.position)?;
        self.buffer_start = self.position;
        self.buffer_len = count;
        let served = count.min(out.len());
        out[..served].copy_from_slice(&self.buffer[..served]);
        self.position += served as u64;
        Ok(served)
    }
}

impl Seek for SharedFile {
    fn seek(&mut self, position: SeekFrom) -> io::Result<u64> {
        let target = match position {
            SeekFrom::Start(offset) => Some(offset),
            SeekFrom::End(delta) => self.length.checked_add_signed(delta),
            SeekFrom::Current(delta) => self.position.checked_add_signed(delta),
        };
        let target = target.ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "seek to a negative position")
        })?;
        self.position = target;
        Ok(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wheel_info_ignores_tags_and_checks_major_version() {
        let path = Path::new("x-1-py3-none-any.whl");
        let info = WheelInfo::parse(
            "Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: cp311-cp311-manylinux_2_17_x86_64\n",
            path,
            "x-1.dist-info/WHEEL",
        )
        .unwrap();
        assert!(!info.root_is_purelib);
        let error =
            WheelInfo::parse("Wheel-Version: 2.0\n", path, "x-1.dist-info/WHEEL").unwrap_err();
        assert!(matches!(error, WheelError::UnsupportedWheelVersion { .. }));
    }
}
