//! Wheel validation: what a wheel must be before a byte of it is installed, and its `RECORD`
//! checked against the files in the same pass that unpacks them.
//!
//! # What is refused (each with a message naming the wheel and the member)
//!
//! When the wheel is opened ([`check_archive`], central directory and local headers only):
//!
//! - more than one top-level `.dist-info` directory ([`check_one_dist_info`], before the
//!   project's is looked for): which one describes what is installed would be a guess, and
//!   the others would be installed as stray metadata (pip refuses such wheels too);
//! - a member name that appears twice in the central directory (zip readers disagree on which
//!   copy wins: pip's takes the last, a streaming reader the first);
//! - a symbolic link member (zip mode `S_IFLNK`): it would be written as a regular file
//!   holding the link's target, or, through a linked directory, write outside the tree;
//! - a member that is both a file and the parent directory of another member;
//! - a local file header that disagrees with its central directory entry (name, compression
//!   method, CRC-32 or sizes): the two views of one member must be the same member;
//! - with `RECORD` verification on ([`Verification::record`], the default): a wheel without
//!   `{dist}.dist-info/RECORD`, a `RECORD` that is not CSV, and a member that `RECORD` does
//!   not list, or lists without a `sha256=` hash (`RECORD` itself and its signatures
//!   `RECORD.jws` and `RECORD.p7s` aside, as the specification allows).
//!
//! While unpacking ([`RecordCheck::check`]): a file whose SHA-256 or size differs from its
//! `RECORD` row. The hash is computed on the bytes as they are decompressed and written (no
//! file is read twice); the wheel cache keeps the verdict in its manifest, so a warm install
//! neither rehashes nor reopens the wheel. Absolute paths and `..` components are refused
//! when the wheel is opened (and again by staging).
//!
//! # The site rule: re-tagged wheels
//!
//! Sites re-tag the wheels of their wheelhouse after the build (DESIGN.md): they rename them
//! to a `+computecanada` local version (`.computecanada` appended to an existing local
//! label), rewrite the `.dist-info` directory name, `METADATA` `Version:` and the `RECORD`
//! paths, and patch `.so` files — without updating the `RECORD` hashes of what they rewrote.
//! The rule:
//!
//! > A wheel whose file name carries a local version label that ends in the site's label
//! > ([`Verification::site_label`], default `computecanada`) may differ from its `RECORD`
//! > in the files the site rewrites: those under `{dist}.dist-info/` and shared libraries
//! > (a file name ending in `.so` or containing `.so.`). Such differences are accepted and
//! > reported as notes (`wharf install -v`). Any other difference — a `.py` file, a data
//! > file, any file of a wheel without the site's label — is refused.
//!
//! Why this much and no more: the site's re-tagging only touches those files (the fixture
//! `scripts/build-sci-wheelhouse.py` reproduces it; in its 26 re-tagged wheels exactly one
//! file is stale, `METADATA`), and tampering with the code a user imports is what the check
//! exists to catch. Every other check (name, duplicates, links, headers, members missing
//! from `RECORD`) applies to site wheels unchanged. [`Verification::record`] `= false`
//! (`wharf install --no-verify-record`) turns the `RECORD` checks off altogether, for a
//! wheelhouse whose re-tagging touches more than that.
//!
//! Hash algorithms: only `sha256` (what every tool writes); a `RECORD` row with another
//! algorithm is refused with a message saying so.

use std::collections::{HashMap, HashSet};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use pep440_rs::{LocalSegment, Version};
use zip::{CompressionMethod, ZipArchive};

use crate::record;
use crate::wheel::SharedFile;

/// The site's local version label: wheels re-tagged `+computecanada`.
pub const SITE_LOCAL_LABEL: &str = "computecanada";

/// How wheels are checked before they are installed (module docs of `verify`, and the crate
/// docs "Wheel validation").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Compare every installed file's SHA-256 and size with the wheel's `RECORD`, and refuse
    /// members `RECORD` does not list. Default: `true` (`--no-verify-record` turns it off).
    pub record: bool,
    /// The local version label a site gives the wheels it re-tags, ex) `computecanada`: a
    /// wheel whose file name version's local label ends in it may differ from its `RECORD`
    /// in `.dist-info/` files and shared libraries (`*.so`, `*.so.*`), and its `METADATA`
    /// `Version` may lack the label. `None`: no wheel is treated as re-tagged. Default:
    /// `Some("computecanada")`.
    pub site_label: Option<String>,
}

impl Default for Verification {
    fn default() -> Self {
        Self {
            record: true,
            site_label: Some(SITE_LOCAL_LABEL.to_string()),
        }
    }
}

/// Why a wheel is refused by validation.
#[derive(Debug, thiserror::Error)]
pub enum InvalidWheel {
    /// A file's content differs from its `RECORD` row.
    #[error(
        "wheel `{wheel}` is refused: `{member}` does not match its RECORD entry (RECORD: {expected}; file: {actual})"
    )]
    RecordMismatch {
        /// The wheel file.
        wheel: PathBuf,
        /// The archive member.
        member: String,
        /// `sha256=…, N bytes` from `RECORD`.
        expected: String,
        /// `sha256=…, N bytes` of the content.
        actual: String,
    },
    /// The wheel has no `RECORD`.
    #[error("wheel `{wheel}` is refused: it has no `{member}`")]
    MissingRecord {
        /// The wheel file.
        wheel: PathBuf,
        /// The expected `RECORD` path.
        member: String,
    },
    /// `RECORD` is not valid CSV.
    #[error("wheel `{wheel}` is refused: `{member}` is not a valid RECORD")]
    InvalidRecord {
        /// The wheel file.
        wheel: PathBuf,
        /// The `RECORD` member.
        member: String,
        /// The CSV error.
        #[source]
        source: csv::Error,
    },
    /// A member is not listed in `RECORD`.
    #[error("wheel `{wheel}` is refused: `{member}` is not listed in its RECORD")]
    NotInRecord {
        /// The wheel file.
        wheel: PathBuf,
        /// The archive member.
        member: String,
    },
    /// A member is listed in `RECORD` without a hash, or with another algorithm than sha256.
    #[error("wheel `{wheel}` is refused: `{member}` has {reason} in its RECORD")]
    UnusableHash {
        /// The wheel file.
        wheel: PathBuf,
        /// The archive member.
        member: String,
        /// ex) "no hash", "the hash `md5=…` (only sha256 is accepted)".
        reason: String,
    },
    /// A member name appears more than once in the central directory.
    #[error("wheel `{wheel}` is refused: `{member}` appears {count} times in the archive")]
    DuplicateMember {
        /// The wheel file.
        wheel: PathBuf,
        /// The archive member.
        member: String,
        /// How many times.
        count: usize,
    },
    /// A member is a symbolic link.
    #[error("wheel `{wheel}` is refused: `{member}` is a symbolic link")]
    Symlink {
        /// The wheel file.
        wheel: PathBuf,
        /// The archive member.
        member: String,
    },
    /// A member is a file and also the directory of another member.
    #[error("wheel `{wheel}` is refused: `{member}` is a file, but `{child}` is inside it")]
    FileIsDirectory {
        /// The wheel file.
        wheel: PathBuf,
        /// The file member.
        member: String,
        /// The member below it.
        child: String,
    },
    /// The archive has more than one top-level `.dist-info` directory. Ex) `demo-1.0.dist-info`
    /// and `other-2.0.dist-info` in `demo-1.0-py3-none-any.whl`
    #[error(
        "wheel `{wheel}` is refused: it has {} `.dist-info` directories ({}); a wheel has exactly one, for its project",
        found.len(),
        found.iter().map(|directory| format!("`{directory}`")).collect::<Vec<_>>().join(", ")
    )]
    MultipleDistInfo {
        /// The wheel file.
        wheel: PathBuf,
        /// The top-level `.dist-info` directories, in archive order.
        found: Vec<String>,
    },
    /// A local file header disagrees with the central directory.
    #[error(
        "wheel `{wheel}` is refused: the local header of `{member}` disagrees with the central directory ({field})"
    )]
    HeaderMismatch {
        /// The wheel file.
        wheel: PathBuf,
        /// The archive member (central directory name).
        member: String,
        /// What differs, ex) "CRC-32 0x1234abcd, central 0x0".
        field: String,
    },
}

/// Whether `version`'s local label ends in the site's label (`+computecanada`,
/// `+cu121.computecanada`): the wheel was re-tagged by the site.
pub(crate) fn is_site_retagged(version: &Version, site_label: Option<&str>) -> bool {
    let Some(label) = site_label else {
        return false;
    };
    matches!(version.local().last(), Some(LocalSegment::String(last)) if last.eq_ignore_ascii_case(label))
}

/// Whether the site's re-tagging may leave `member` stale in `RECORD`: `.dist-info` files
/// and shared libraries.
pub(crate) fn site_may_rewrite(member: &str) -> bool {
    let (top, _) = member.split_once('/').unwrap_or((member, ""));
    let file_name = member.rsplit('/').next().unwrap_or(member);
    top.ends_with(".dist-info") || is_shared_library(file_name)
}

/// `x.so`, `libx.so.1`, `libx-0cf96a72.so.3.23` (`.so`, then only `.` and digits).
fn is_shared_library(file_name: &str) -> bool {
    file_name.match_indices(".so").any(|(index, _)| {
        let rest = &file_name[index + 3..];
        rest.is_empty()
            || (rest.starts_with('.')
                && rest[1..]
                    .split('.')
                    .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit())))
    })
}

/// Validates an archive member path: relative, no empty, `.` or `..` components (a
/// directory member's trailing `/` aside).
pub(crate) fn safe_member(member: &str) -> bool {
    let member = member.strip_suffix('/').unwrap_or(member);
    !member.starts_with('/')
        && member
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
}

/// Whether `member` is `RECORD` itself or one of its signatures.
fn is_record_file(member: &str, dist_info: &str) -> bool {
    member
        .strip_prefix(dist_info)
        .and_then(|rest| rest.strip_prefix('/'))
        .is_some_and(|file| matches!(file, "RECORD" | "RECORD.jws" | "RECORD.p7s"))
}

/// One `RECORD` row as expected: the `sha256=` hash and the size when given.
#[derive(Debug, Clone)]
struct Expected {
    hash: String,
    size: Option<u64>,
}

/// A wheel's `RECORD`, ready to check the files unpacked from it.
#[derive(Debug, Clone)]
pub(crate) struct RecordCheck {
    wheel: PathBuf,
    /// The `.dist-info` directory (its `RECORD` signatures need no row).
    dist_info: String,
    /// `None`: verification is off.
    rows: Option<HashMap<String, Expected>>,
    /// The wheel was re-tagged by the site (see the module docs).
    retagged: bool,
}

/// The outcome of checking one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// It matches `RECORD` (or verification is off).
    Match,
    /// It differs, as the site's re-tagging leaves it: accepted, worth a note.
    SiteStale,
}

impl RecordCheck {
    /// No verification (the checks accept everything).
    pub(crate) fn off(wheel: &Path) -> Self {
        Self {
            wheel: wheel.to_path_buf(),
            dist_info: String::new(),
            rows: None,
            retagged: false,
        }
    }

    /// Reads `{dist_info}/RECORD` from `archive` and checks that it lists every member
    /// (`members`: the non-directory member names). With `verification.record` off, returns
    /// a check that accepts everything.
    pub(crate) fn read<R: Read + Seek>(
        archive: &mut ZipArchive<R>,
        wheel: &Path,
        dist_info: &str,
        version: &Version,
        members: &[String],
        verification: &Verification,
    ) -> Result<Self, crate::InstallError> {
        if !verification.record {
            return Ok(Self::off(wheel));
        }
        let member = format!("{dist_info}/RECORD");
        let bytes = match archive.by_name(&member) {
            Ok(mut file) => {
                let mut bytes = Vec::with_capacity(usize::try_from(file.size()).unwrap_or(0));
                file.read_to_end(&mut bytes)
                    .map_err(|source| crate::InstallError::Extract {
                        wheel: wheel.to_path_buf(),
                        member: member.clone(),
                        source,
                    })?;
                bytes
            }
            Err(zip::result::ZipError::FileNotFound) => {
                return Err(InvalidWheel::MissingRecord {
                    wheel: wheel.to_path_buf(),
                    member,
                }
                .into());
            }
            Err(source) => {
                return Err(wharf_metadata::WheelError::Zip {
                    path: wheel.to_path_buf(),
                    source,
                }
                .into());
            }
        };
        let entries =
            record::parse_record(&bytes).map_err(|source| InvalidWheel::InvalidRecord {
                wheel: wheel.to_path_buf(),
                member: member.clone(),
                source,
            })?;
        let mut rows = HashMap::with_capacity(entries.len());
        let mut unusable = HashMap::new();
        for entry in entries {
            match entry.hash.as_deref().map(|hash| hash.split_once('=')) {
                Some(Some(("sha256", digest))) => {
                    rows.insert(
                        entry.path,
                        Expected {
                            hash: format!("sha256={}", digest.trim_end_matches('=')),
                            size: entry.size,
                        },
                    );
                }
                Some(_) => {
                    let hash = entry.hash.unwrap_or_default();
                    unusable.insert(
                        entry.path,
                        format!("the hash `{hash}` (only sha256 is accepted)"),
                    );
                }
                None => {
                    unusable.insert(entry.path, "no hash".to_string());
                }
            }
        }
        for member in members {
            if is_record_file(member, dist_info) || rows.contains_key(member) {
                continue;
            }
            return Err(match unusable.remove(member) {
                Some(reason) => InvalidWheel::UnusableHash {
                    wheel: wheel.to_path_buf(),
                    member: member.clone(),
                    reason,
                },
                None => InvalidWheel::NotInRecord {
                    wheel: wheel.to_path_buf(),
                    member: member.clone(),
                },
            }
            .into());
        }
        Ok(Self {
            wheel: wheel.to_path_buf(),
            dist_info: dist_info.to_string(),
            rows: Some(rows),
            retagged: is_site_retagged(version, verification.site_label.as_deref()),
        })
    }

    /// Whether files are checked (verification is on).
    pub(crate) fn verified(&self) -> bool {
        self.rows.is_some()
    }

    /// Checks a file unpacked from `member` (`hash` as `sha256=…`, `size` in bytes) against
    /// `RECORD`. Errors: [`InvalidWheel::RecordMismatch`], unless the site rule accepts it.
    pub(crate) fn check(
        &self,
        member: &str,
        hash: &str,
        size: u64,
    ) -> Result<Verdict, InvalidWheel> {
        let Some(rows) = &self.rows else {
            return Ok(Verdict::Match);
        };
        if is_record_file(member, &self.dist_info) && !rows.contains_key(member) {
            return Ok(Verdict::Match);
        }
        // `read` made sure every member is listed.
        let Some(expected) = rows.get(member) else {
            return Err(InvalidWheel::NotInRecord {
                wheel: self.wheel.clone(),
                member: member.to_string(),
            });
        };
        if expected.hash == hash && expected.size.is_none_or(|expected| expected == size) {
            return Ok(Verdict::Match);
        }
        if self.retagged && site_may_rewrite(member) {
            return Ok(Verdict::SiteStale);
        }
        let describe = |hash: &str, size: Option<u64>| match size {
            Some(size) => format!("{hash}, {size} bytes"),
            None => hash.to_string(),
        };
        Err(InvalidWheel::RecordMismatch {
            wheel: self.wheel.clone(),
            member: member.to_string(),
            expected: describe(&expected.hash, expected.size),
            actual: describe(hash, Some(size)),
        })
    }
}

/// The note for the members of a re-tagged wheel accepted with stale `RECORD` rows.
pub(crate) fn stale_note(wheel: &Path, members: &[String]) -> String {
    format!(
        "`{}` was re-tagged by the site: RECORD is stale for {} (accepted: `.dist-info` files and shared libraries only)",
        wheel.display(),
        members
            .iter()
            .map(|member| format!("`{member}`"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// Refuses an archive with more than one top-level `.dist-info` directory (module docs),
/// naming them all. Directory entries (`x.dist-info/`) count as members do.
pub(crate) fn check_one_dist_info<R: Read + Seek>(
    archive: &ZipArchive<R>,
    wheel: &Path,
) -> Result<(), InvalidWheel> {
    let mut found: Vec<String> = Vec::new();
    for raw in archive.file_names_raw() {
        let name = String::from_utf8_lossy(raw);
        let Some((top, _)) = name.split_once('/') else {
            continue;
        };
        if top.ends_with(".dist-info") && !found.iter().any(|known| known == top) {
            found.push(top.to_owned());
        }
    }
    if found.len() > 1 {
        return Err(InvalidWheel::MultipleDistInfo {
            wheel: wheel.to_path_buf(),
            found,
        });
    }
    Ok(())
}

/// Checks the archive's structure (module docs): no duplicate member, no symbolic link, no
/// file that is also a directory, local headers that agree with the central directory.
/// `file` reads the same wheel (with `pread`, its own position). Returns the non-directory
/// member names with their zip indexes.
pub(crate) fn check_archive(
    archive: &ZipArchive<SharedFile>,
    mut file: SharedFile,
    wheel: &Path,
) -> Result<Vec<(usize, String)>, crate::InstallError> {
    let zip_error = |source| wharf_metadata::WheelError::Zip {
        path: wheel.to_path_buf(),
        source,
    };
    if archive.has_duplicate_names() {
        let (member, count) = duplicate_name(&mut file, archive.central_directory_start())
            .unwrap_or_else(|| ("?".to_string(), 2));
        return Err(InvalidWheel::DuplicateMember {
            wheel: wheel.to_path_buf(),
            member,
            count,
        }
        .into());
    }
    let mut members = Vec::with_capacity(archive.len());
    let mut headers = Vec::with_capacity(archive.len());
    for index in 0..archive.len() {
        let entry = archive.by_index_data(index).map_err(zip_error)?;
        let name = String::from_utf8_lossy(entry.name_raw()).into_owned();
        if entry.is_symlink() {
            return Err(InvalidWheel::Symlink {
                wheel: wheel.to_path_buf(),
                member: name,
            }
            .into());
        }
        if !safe_member(&name) {
            return Err(crate::InstallError::UnsafePath {
                wheel: wheel.to_path_buf(),
                member: name,
            });
        }
        headers.push(Central {
            name_raw: entry.name_raw().to_vec(),
            header_start: entry.header_start(),
            method: method_code(entry.compression()),
            crc32: entry.crc32(),
            compressed_size: entry.compressed_size(),
            size: entry.size(),
        });
        if !name.ends_with('/') {
            members.push((index, name));
        }
    }
    // A file that is also a directory of another member.
    let files: HashSet<&str> = members.iter().map(|(_, name)| name.as_str()).collect();
    for (_, name) in &members {
        let mut prefix = name.as_str();
        while let Some((parent, _)) = prefix.rsplit_once('/') {
            if files.contains(parent) {
                return Err(InvalidWheel::FileIsDirectory {
                    wheel: wheel.to_path_buf(),
                    member: parent.to_string(),
                    child: name.clone(),
                }
                .into());
            }
            prefix = parent;
        }
    }
    // Local headers, in file order: most of them are in the reader's buffer already.
    headers.sort_unstable_by_key(|header| header.header_start);
    for header in &headers {
        if let Some(field) = header.local_disagreement(&mut file) {
            let member = String::from_utf8_lossy(&header.name_raw).into_owned();
            return Err(InvalidWheel::HeaderMismatch {
                wheel: wheel.to_path_buf(),
                member,
                field,
            }
            .into());
        }
    }
    Ok(members)
}

/// What the central directory says of one member.
struct Central {
    name_raw: Vec<u8>,
    header_start: u64,
    method: Option<u16>,
    crc32: u32,
    compressed_size: u64,
    size: u64,
}

const LOCAL_SIGNATURE: u32 = 0x0403_4b50;
const CENTRAL_SIGNATURE: u32 = 0x0201_4b50;

fn method_code(method: CompressionMethod) -> Option<u16> {
    match method {
        CompressionMethod::Stored => Some(0),
        CompressionMethod::Deflated => Some(8),
        _ => None,
    }
}

fn u16_at(bytes: &[u8], offset: usize) -> u16 {
    u16::from_le_bytes([bytes[offset], bytes[offset + 1]])
}

fn u32_at(bytes: &[u8], offset: usize) -> u32 {
    u32::from_le_bytes([
        bytes[offset],
        bytes[offset + 1],
        bytes[offset + 2],
        bytes[offset + 3],
    ])
}

impl Central {
    /// Reads the local header and says what disagrees, if anything.
    fn local_disagreement(&self, file: &mut SharedFile) -> Option<String> {
        let mut fixed = [0u8; 30];
        let read = file
            .seek(SeekFrom::Start(self.header_start))
            .and_then(|_| file.read_exact(&mut fixed));
        if read.is_err() || u32_at(&fixed, 0) != LOCAL_SIGNATURE {
            return Some("no local header at its offset".to_string());
        }
        let flags = u16_at(&fixed, 6);
        let method = u16_at(&fixed, 8);
        let crc32 = u32_at(&fixed, 14);
        let compressed = u32_at(&fixed, 18);
        let size = u32_at(&fixed, 22);
        let mut name = vec![0u8; usize::from(u16_at(&fixed, 26))];
        if file.read_exact(&mut name).is_err() {
            return Some("truncated local header".to_string());
        }
        if name != self.name_raw {
            return Some(format!(
                "local name `{}`",
                String::from_utf8_lossy(&name).escape_debug()
            ));
        }
        if let Some(central) = self.method
            && central != method
        {
            return Some(format!("compression method {method}, central {central}"));
        }
        // With a data descriptor (flag bit 3) the local fields may be zero.
        let deferred = flags & 0x0008 != 0;
        if crc32 != self.crc32 && !(deferred && crc32 == 0) {
            return Some(format!(
                "CRC-32 {crc32:#010x}, central {:#010x}",
                self.crc32
            ));
        }
        // 0xFFFFFFFF: the size is in the zip64 extra field.
        let size_differs = |local: u32, central: u64| {
            local != u32::MAX && u64::from(local) != central && !(deferred && local == 0)
        };
        if size_differs(compressed, self.compressed_size) {
            return Some(format!(
                "compressed size {compressed}, central {}",
                self.compressed_size
            ));
        }
        if size_differs(size, self.size) {
            return Some(format!("size {size}, central {}", self.size));
        }
        None
    }
}

/// The first name that the central directory at `start` lists more than once, and how often.
fn duplicate_name(file: &mut SharedFile, start: u64) -> Option<(String, usize)> {
    file.seek(SeekFrom::Start(start)).ok()?;
    let mut counts: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut order = Vec::new();
    loop {
        let mut fixed = [0u8; 46];
        if file.read_exact(&mut fixed).is_err() || u32_at(&fixed, 0) != CENTRAL_SIGNATURE {
            break;
        }
        let mut name = vec![0u8; usize::from(u16_at(&fixed, 28))];
        file.read_exact(&mut name).ok()?;
        let skip = i64::from(u16_at(&fixed, 30)) + i64::from(u16_at(&fixed, 32));
        file.seek(SeekFrom::Current(skip)).ok()?;
        let count = counts.entry(name.clone()).or_insert(0);
        *count += 1;
        if *count == 2 {
            order.push(name);
        }
    }
    let name = order.into_iter().next()?;
    let count = counts[&name];
    Some((String::from_utf8_lossy(&name).into_owned(), count))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    /// A zip in memory holding `names` (empty files; a name ending in `/` is a directory).
    fn archive(names: &[&str]) -> ZipArchive<std::io::Cursor<Vec<u8>>> {
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for name in names {
            let options = zip::write::SimpleFileOptions::default();
            if let Some(directory) = name.strip_suffix('/') {
                writer.add_directory(directory, options).unwrap();
            } else {
                writer.start_file(*name, options).unwrap();
            }
        }
        ZipArchive::new(writer.finish().unwrap()).unwrap()
    }

    #[test]
    fn one_dist_info_directory_is_accepted() {
        let wheel = Path::new("demo-1.0-py3-none-any.whl");
        let one = archive(&[
            "demo/__init__.py",
            "demo-1.0.dist-info/",
            "demo-1.0.dist-info/METADATA",
            "demo-1.0.dist-info/RECORD",
            "demo-1.0.data/purelib/x.dist-info.py",
        ]);
        check_one_dist_info(&one, wheel).unwrap();
    }

    #[test]
    fn err_two_dist_info_directories() {
        let wheel = Path::new("/wheels/demo-1.0-py3-none-any.whl");
        // Another project's, and (as a bare directory entry) a second one of the project.
        for (names, found) in [
            (
                &[
                    "demo-1.0.dist-info/METADATA",
                    "demo/__init__.py",
                    "other-2.0.dist-info/METADATA",
                    "demo-1.0.dist-info/RECORD",
                ][..],
                vec!["demo-1.0.dist-info", "other-2.0.dist-info"],
            ),
            (
                &["demo-1.0.dist-info/METADATA", "Demo-1.0.dist-info/"][..],
                vec!["demo-1.0.dist-info", "Demo-1.0.dist-info"],
            ),
        ] {
            let error = check_one_dist_info(&archive(names), wheel).unwrap_err();
            let InvalidWheel::MultipleDistInfo { found: got, .. } = &error else {
                panic!("{error}")
            };
            assert_eq!(got, &found);
        }
        let error = check_one_dist_info(
            &archive(&[
                "demo-1.0.dist-info/METADATA",
                "other-2.0.dist-info/METADATA",
            ]),
            wheel,
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "wheel `/wheels/demo-1.0-py3-none-any.whl` is refused: it has 2 `.dist-info` directories (`demo-1.0.dist-info`, `other-2.0.dist-info`); a wheel has exactly one, for its project"
        );
    }

    #[test]
    fn site_retagged_by_last_local_segment() {
        let label = Some(SITE_LOCAL_LABEL);
        let retagged = |text: &str| is_site_retagged(&Version::from_str(text).unwrap(), label);
        assert!(retagged("1.26.4+computecanada"));
        assert!(retagged("2.1.0+cu121.computecanada"));
        assert!(!retagged("1.26.4"));
        assert!(!retagged("1.0+computecanada.cu121"));
        assert!(!retagged("1.0+other"));
        assert!(!is_site_retagged(
            &Version::from_str("1.0+computecanada").unwrap(),
            None
        ));
    }

    #[test]
    fn site_rewrites_dist_info_and_shared_libraries_only() {
        assert!(site_may_rewrite(
            "numpy-1.26.4+computecanada.dist-info/METADATA"
        ));
        assert!(site_may_rewrite(
            "numpy/core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so"
        ));
        assert!(site_may_rewrite(
            "numpy.libs/libopenblas64_p-r0-0cf96a72.3.23.dev.so"
        ));
        assert!(site_may_rewrite("h5py.libs/libhdf5-a2f1c6b7.so.310.4.0"));
        assert!(!site_may_rewrite("pkg/x.so.py"));
        assert!(!site_may_rewrite("numpy/__init__.py"));
        assert!(!site_may_rewrite("numpy/solver.py"));
        assert!(!site_may_rewrite("pkg/sonic.txt"));
        assert!(!site_may_rewrite("numpy-1.26.4.data/scripts/f2py"));
    }
}
