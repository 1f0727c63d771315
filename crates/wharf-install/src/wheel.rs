//! Reading a wheel: its `.dist-info` directory, `METADATA`, `WHEEL` and `entry_points.txt`.
//!
//! Implements the reading half of the [binary distribution format] (PEP 427): the archive is
//! opened through its zip central directory only, the `{name}-{version}.dist-info` directory is
//! found by the PEP 503 normalized project name of the file name, and only the members asked
//! for are decompressed.
//!
//! Site rule: re-tagged wheels may carry `WHEEL` `Tag:` lines and `RECORD` hashes that no
//! longer match the file (it was renamed, `.so` files were patched). The file name is trusted:
//! `Tag:` lines are never compared with it, and the wheel's own `RECORD` is never read (the
//! installer writes a new one from what it actually wrote).
//!
//! [binary distribution format]: https://packaging.python.org/en/latest/specifications/binary-distribution-format/

use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use zip::ZipArchive;
use zip::result::ZipError;

use crate::cache::DistInfo;
use crate::metadata::{Headers, normalize_name};

/// An error while reading a wheel file.
#[derive(Debug, thiserror::Error)]
pub enum WheelError {
    /// The wheel file could not be opened or read.
    #[error("failed to read wheel `{path}`")]
    Io {
        /// The wheel file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The file is not a readable zip archive (truncated, corrupt, unsupported compression).
    #[error("wheel `{path}` is not a valid zip archive")]
    Zip {
        /// The wheel file.
        path: PathBuf,
        /// The zip error.
        #[source]
        source: ZipError,
    },
    /// The file name is not `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`.
    #[error("`{path}` is not a wheel file name: {reason}")]
    InvalidFilename {
        /// The wheel file.
        path: PathBuf,
        /// What is wrong with the name.
        reason: &'static str,
    },
    /// No `.dist-info` directory matches the project name of the file name.
    #[error(
        "wheel `{path}` has no `.dist-info` directory for `{name}` (found: {})",
        if found.is_empty() { "none".to_string() } else { found.join(", ") }
    )]
    DistInfoNotFound {
        /// The wheel file.
        path: PathBuf,
        /// The project name from the file name.
        name: String,
        /// The top-level `.dist-info` directories that do exist.
        found: Vec<String>,
    },
    /// More than one `.dist-info` directory matches the project name.
    #[error("wheel `{path}` has several `.dist-info` directories for its project: {}", found.join(", "))]
    MultipleDistInfo {
        /// The wheel file.
        path: PathBuf,
        /// The matching directories.
        found: Vec<String>,
    },
    /// A required member (`METADATA` or `WHEEL`) is missing from the `.dist-info` directory.
    #[error("wheel `{path}` has no `{member}`")]
    MissingMember {
        /// The wheel file.
        path: PathBuf,
        /// The archive path of the missing member, ex) `six-1.16.0.dist-info/METADATA`.
        member: String,
    },
    /// A `.dist-info` file lacks a required field or has an invalid one.
    #[error("invalid `{member}` in wheel `{path}`: {reason}")]
    InvalidMetadata {
        /// The wheel file.
        path: PathBuf,
        /// The archive path of the member.
        member: String,
        /// What is wrong.
        reason: String,
    },
    /// The `WHEEL` file declares a `Wheel-Version` whose major version is not 1.
    #[error("wheel `{path}` has `Wheel-Version: {version}`, only major version 1 is supported")]
    UnsupportedWheelVersion {
        /// The wheel file.
        path: PathBuf,
        /// The declared version, ex) `2.0`.
        version: String,
    },
}

/// The core metadata of a wheel: the fields of its `METADATA` file that installers and
/// resolvers use (core metadata specification; PEP 566 multiple-use fields).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WheelMetadata {
    /// `Metadata-Version`, ex) `2.1`.
    pub metadata_version: Option<String>,
    /// `Name`, spelled as in the file, ex) `MarkupSafe`.
    pub name: String,
    /// `Version`, as written (local version kept), ex) `1.26.4+computecanada`.
    pub version: String,
    /// Every `Requires-Dist` value (PEP 508 strings, unparsed), in file order.
    pub requires_dist: Vec<String>,
    /// `Requires-Python` (a PEP 440 specifier set, unparsed), ex) `>=3.9`.
    pub requires_python: Option<String>,
    /// Every `Provides-Extra` value, in file order.
    pub provides_extra: Vec<String>,
}

impl WheelMetadata {
    /// Builds the metadata from parsed headers; `member` and `path` are for the error.
    pub(crate) fn from_headers(
        headers: &Headers,
        path: &Path,
        member: &str,
    ) -> Result<Self, WheelError> {
        let field = |key: &str| {
            headers
                .get(key)
                .filter(|value| !value.is_empty())
                .map(str::to_string)
                .ok_or_else(|| WheelError::InvalidMetadata {
                    path: path.to_path_buf(),
                    member: member.to_string(),
                    reason: format!("missing `{key}`"),
                })
        };
        Ok(Self {
            metadata_version: headers.get("Metadata-Version").map(str::to_string),
            name: field("Name")?,
            version: field("Version")?,
            requires_dist: headers.get_all("Requires-Dist"),
            requires_python: headers.get("Requires-Python").map(str::to_string),
            provides_extra: headers.get_all("Provides-Extra"),
        })
    }
}

/// Reads the core metadata of the wheel at `path`, decompressing only its `METADATA` member.
///
/// The project name is taken from the file name (`{name}-{version}-…whl`) and the
/// `.dist-info` directory is matched by its PEP 503 normalized name, so `MarkupSafe`,
/// `markupsafe` and `Markup_Safe` all match; the version part of the directory name is not
/// compared (local versions such as `+computecanada` may be absent from it). `WHEEL` and
/// `RECORD` are not read (see the crate docs on re-tagged site wheels).
///
/// Errors: [`WheelError::Io`] when the file cannot be read, [`WheelError::Zip`] for a corrupt
/// archive, [`WheelError::InvalidFilename`], [`WheelError::DistInfoNotFound`],
/// [`WheelError::MultipleDistInfo`], [`WheelError::MissingMember`] and
/// [`WheelError::InvalidMetadata`] (no `Name` or `Version`).
pub fn read_metadata(path: &Path) -> Result<WheelMetadata, WheelError> {
    let file = fs_err::File::open(path).map_err(|source| WheelError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let reader = io::BufReader::with_capacity(64 * 1024, file.into_file());
    let mut archive = ZipArchive::new(reader).map_err(|source| WheelError::Zip {
        path: path.to_path_buf(),
        source,
    })?;
    let (name, _version) = parse_filename(path)?;
    let dist_info = find_dist_info(&archive, path, &name)?;
    let member = format!("{dist_info}/METADATA");
    let text = read_member(&mut archive, path, &member)?;
    WheelMetadata::from_headers(&Headers::parse(&text), path, &member)
}

/// The project name and version of a wheel file name (PEP 427 "File name convention").
///
/// Only the first two `-`-separated fields are taken; tags are the business of the
/// compatibility layer, never checked here.
pub(crate) fn parse_filename(path: &Path) -> Result<(String, String), WheelError> {
    let invalid = |reason| WheelError::InvalidFilename {
        path: path.to_path_buf(),
        reason,
    };
    let file_name = path
        .file_name()
        .and_then(|name| name.to_str())
        .ok_or_else(|| invalid("not a UTF-8 file name"))?;
    let stem = file_name
        .strip_suffix(".whl")
        .ok_or_else(|| invalid("it does not end with `.whl`"))?;
    let parts: Vec<&str> = stem.split('-').collect();
    if !(5..=6).contains(&parts.len()) {
        return Err(invalid(
            "expected `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`",
        ));
    }
    if parts[0].is_empty() || parts[1].is_empty() {
        return Err(invalid("empty name or version"));
    }
    Ok((parts[0].to_string(), parts[1].to_string()))
}

/// Finds the top-level `.dist-info` directory (without trailing `/`) of project `name`.
///
/// Rule (pip's, made tolerant): the normalized directory stem must equal the normalized name
/// or start with it followed by `-`. When several match, the error lists them.
pub(crate) fn find_dist_info<R: Read + Seek>(
    archive: &ZipArchive<R>,
    path: &Path,
    name: &str,
) -> Result<String, WheelError> {
    let mut found: Vec<String> = Vec::new();
    for raw in archive.file_names_raw() {
        let Ok(entry) = std::str::from_utf8(raw) else {
            continue;
        };
        let Some((top, _)) = entry.split_once('/') else {
            continue;
        };
        if top.ends_with(".dist-info") && !found.iter().any(|known| known == top) {
            found.push(top.to_string());
        }
    }
    let normalized = normalize_name(name);
    let matching: Vec<&String> = found
        .iter()
        .filter(|directory| {
            let stem = normalize_name(directory.trim_end_matches(".dist-info"));
            stem == normalized
                || stem
                    .strip_prefix(&normalized)
                    .is_some_and(|rest| rest.starts_with('-'))
        })
        .collect();
    match matching.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(WheelError::DistInfoNotFound {
            path: path.to_path_buf(),
            name: name.to_string(),
            found,
        }),
        many => Err(WheelError::MultipleDistInfo {
            path: path.to_path_buf(),
            found: many.iter().map(|directory| (*directory).clone()).collect(),
        }),
    }
}

/// Reads one member of the archive as text (lossy UTF-8).
pub(crate) fn read_member<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    path: &Path,
    member: &str,
) -> Result<String, WheelError> {
    match read_member_optional(archive, path, member)? {
        Some(text) => Ok(text),
        None => Err(WheelError::MissingMember {
            path: path.to_path_buf(),
            member: member.to_string(),
        }),
    }
}

/// Reads one member of the archive as text (lossy UTF-8), `None` when it is absent.
pub(crate) fn read_member_optional<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    path: &Path,
    member: &str,
) -> Result<Option<String>, WheelError> {
    let zip_error = |source| WheelError::Zip {
        path: path.to_path_buf(),
        source,
    };
    let mut file = match archive.by_name(member) {
        Ok(file) => file,
        Err(ZipError::FileNotFound) => return Ok(None),
        Err(source) => return Err(zip_error(source)),
    };
    let mut bytes = Vec::with_capacity(usize::try_from(file.size()).unwrap_or(0));
    file.read_to_end(&mut bytes)
        .map_err(|source| zip_error(ZipError::Io(source)))?;
    Ok(Some(match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => String::from_utf8_lossy(error.as_bytes()).into_owned(),
    }))
}

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

/// A wheel opened for installation: archive, `.dist-info` name, `METADATA`, `WHEEL` and
/// `entry_points.txt`.
pub(crate) struct Wheel {
    pub(crate) path: PathBuf,
    pub(crate) archive: ZipArchive<SharedFile>,
    pub(crate) dist_info: String,
    pub(crate) metadata: WheelMetadata,
    pub(crate) info: WheelInfo,
    pub(crate) entry_points: Option<String>,
}

impl Wheel {
    /// Opens `path` and reads its `.dist-info` files.
    pub(crate) fn open(path: &Path) -> Result<Self, WheelError> {
        let io_error = |source| WheelError::Io {
            path: path.to_path_buf(),
            source,
        };
        let (name, _version) = parse_filename(path)?;
        let file = fs_err::File::open(path).map_err(io_error)?.into_file();
        let length = file.metadata().map_err(io_error)?.len();
        let mut archive =
            ZipArchive::new(SharedFile::new(Arc::new(file), length)).map_err(|source| {
                WheelError::Zip {
                    path: path.to_path_buf(),
                    source,
                }
            })?;
        let dist_info = find_dist_info(&archive, path, &name)?;
        let metadata_member = format!("{dist_info}/METADATA");
        let metadata = WheelMetadata::from_headers(
            &Headers::parse(&read_member(&mut archive, path, &metadata_member)?),
            path,
            &metadata_member,
        )?;
        let wheel_member = format!("{dist_info}/WHEEL");
        let info = WheelInfo::parse(
            &read_member(&mut archive, path, &wheel_member)?,
            path,
            &wheel_member,
        )?;
        let entry_points =
            read_member_optional(&mut archive, path, &format!("{dist_info}/entry_points.txt"))?;
        Ok(Self {
            path: path.to_path_buf(),
            archive,
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
    fn filename_name_and_version() {
        let (name, version) = parse_filename(Path::new(
            "/w/numpy-1.26.4+computecanada-cp311-cp311-linux_x86_64.whl",
        ))
        .unwrap();
        assert_eq!(
            (name.as_str(), version.as_str()),
            ("numpy", "1.26.4+computecanada")
        );
        let (name, _) = parse_filename(Path::new("Foo_Bar-1.0-1-py3-none-any.whl")).unwrap();
        assert_eq!(name, "Foo_Bar");
    }

    #[test]
    fn err_filename_not_a_wheel() {
        let error = parse_filename(Path::new("six-1.16.0.tar.gz")).unwrap_err();
        assert_eq!(
            error.to_string(),
            "`six-1.16.0.tar.gz` is not a wheel file name: it does not end with `.whl`"
        );
        let error = parse_filename(Path::new("six-1.16.0-py3.whl")).unwrap_err();
        assert_eq!(
            error.to_string(),
            "`six-1.16.0-py3.whl` is not a wheel file name: expected `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`"
        );
    }

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
