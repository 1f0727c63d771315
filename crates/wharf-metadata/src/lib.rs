//! Core metadata of wheels: the `METADATA` file of a wheel's `.dist-info` directory.
//!
//! Implements the reading side of two standards:
//!
//! - the [core metadata specification] (packaging.python.org; PEP 241, 314, 345, 566, 643):
//!   the RFC 822 style `Key: value` headers of `METADATA` ([`Headers`]) and the fields
//!   installers and resolvers use ([`WheelMetadata`]: `Name`, `Version`, `Requires-Dist`,
//!   `Requires-Python`, `Provides-Extra`);
//! - the [binary distribution format] (PEP 427): the wheel file name
//!   (`{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`) and the
//!   `{name}-{version}.dist-info/` directory inside the zip, read through the central
//!   directory only, decompressing just `METADATA` ([`read_metadata`]).
//!
//! # Traps of the domain
//!
//! - `METADATA` is parsed the way pip parses it, with Python's `email` parser: it never fails,
//!   continuation lines start with a space or a tab, the body (long description) after the
//!   first empty line is not headers. Multiple-use fields (`Requires-Dist`) keep file order.
//! - The `.dist-info` directory name need not match the file name exactly (case, `-`/`_`/`.`,
//!   a local version such as `+computecanada` missing from it): it is matched by PEP 503
//!   normalized project name ([`pep508_rs::PackageName`]). A file name whose project part is
//!   not a valid project name is rejected, as `packaging.utils.parse_wheel_filename` does.
//! - Site wheels are re-tagged after build: `WHEEL` `Tag:` lines and `RECORD` hashes may not
//!   match the file. Neither is read here; the file name is trusted (the installer checks
//!   `RECORD` under the site rule of `wharf-install`'s `verify` module).
//! - `METADATA` `Name`/`Version` must be the file name's ([`check_consistency`], pip's
//!   "inconsistent name/version"), as PEP 503 names and PEP 440 versions; a re-tagged site
//!   wheel (`1.26.4+computecanada`) may carry `METADATA` `Version: 1.26.4`.
//!
//! [core metadata specification]: https://packaging.python.org/en/latest/specifications/core-metadata/
//! [binary distribution format]: https://packaging.python.org/en/latest/specifications/binary-distribution-format/
#![deny(missing_docs)]

mod headers;
mod packaging_str;
mod requirement;

use std::io::{self, Read, Seek};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use pep508_rs::PackageName;
use zip::ZipArchive;
use zip::result::ZipError;

pub use headers::Headers;
pub use packaging_str::packaging_requirement;
pub use requirement::{
    RequirementError, first_invalid_identifier, panic_is_guarded, parse_marker, parse_requirement,
};

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
    /// A `.dist-info` member is larger than the cap (16 MiB), whatever its declared size.
    #[error("`{member}` in wheel `{path}` is larger than {cap} bytes and is not read")]
    MemberTooLarge {
        /// The wheel file.
        path: PathBuf,
        /// The archive path of the member.
        member: String,
        /// The cap, in bytes.
        cap: u64,
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
    /// `METADATA` `Name` or `Version` is not the file name's (pip: "inconsistent
    /// name/version"), compared as PEP 503 names and PEP 440 versions.
    #[error(
        "wheel `{path}` has inconsistent {}: the file name says `{}`, `{}` says `{}`",
        inconsistency.field, inconsistency.filename, inconsistency.member, inconsistency.metadata
    )]
    InconsistentMetadata {
        /// The wheel file.
        path: PathBuf,
        /// What differs (boxed: keeps `WheelError` small).
        inconsistency: Box<Inconsistency>,
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

/// What [`WheelError::InconsistentMetadata`] found different.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inconsistency {
    /// The `METADATA` member, ex) `numpy-1.26.4+computecanada.dist-info/METADATA`.
    pub member: String,
    /// `name` or `version`.
    pub field: &'static str,
    /// The value in the file name, ex) `1.26.4+computecanada`.
    pub filename: String,
    /// The value in `METADATA`, ex) `1.26.3`.
    pub metadata: String,
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
    /// Builds the metadata from parsed `METADATA` headers; `path` (the wheel) and `member`
    /// (ex) `six-1.16.0.dist-info/METADATA`) are for the error.
    ///
    /// Errors: [`WheelError::InvalidMetadata`] when `Name` or `Version` is missing or empty.
    pub fn from_headers(headers: &Headers, path: &Path, member: &str) -> Result<Self, WheelError> {
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

/// Checks that `METADATA`'s `Name` and `Version` are the file name's (pip's "inconsistent
/// name/version" check): names compared after PEP 503 normalization, versions as PEP 440
/// versions (`1.0` = `1.0.0`, `1.0.POST1` = `1.0.post1`).
///
/// Site rule: when the file name's version ends in the local label `site_label` (ex)
/// `computecanada`: `1.26.4+computecanada`, `2.1+cu121.computecanada`), `METADATA` may
/// also give the version without that label (`1.26.4`, `2.1+cu121`): the site re-tags the
/// file name and may leave `METADATA` as built. A version that is no PEP 440 version on
/// either side must be spelled the same on both.
///
/// Errors: [`WheelError::InconsistentMetadata`].
pub fn check_consistency(
    path: &Path,
    member: &str,
    metadata: &WheelMetadata,
    site_label: Option<&str>,
) -> Result<(), WheelError> {
    use pep508_rs::pep440_rs::{LocalSegment, Version};
    let (name, version) = parse_filename(path)?;
    let inconsistent = |field, filename: &str, metadata: &str| WheelError::InconsistentMetadata {
        path: path.to_path_buf(),
        inconsistency: Box::new(Inconsistency {
            member: member.to_string(),
            field,
            filename: filename.to_string(),
            metadata: metadata.to_string(),
        }),
    };
    let same_name = match (
        PackageName::from_str(&name),
        PackageName::from_str(&metadata.name),
    ) {
        (Ok(left), Ok(right)) => left == right,
        _ => name == metadata.name,
    };
    if !same_name {
        return Err(inconsistent("name", &name, &metadata.name));
    }
    let same_version = match (Version::from_str(&version), Version::from_str(&metadata.version)) {
        (Ok(file), Ok(declared)) => {
            file == declared
                || site_label.is_some_and(|label| {
                    let local = file.local();
                    matches!(local.last(), Some(LocalSegment::String(last)) if last.eq_ignore_ascii_case(label))
                        && file.clone().with_local(local[..local.len() - 1].to_vec()) == declared
                })
        }
        _ => version == metadata.version,
    };
    if !same_version {
        return Err(inconsistent("version", &version, &metadata.version));
    }
    Ok(())
}

/// The `METADATA` file of the wheel at `path`, byte for byte (what an index serves as the
/// wheel's PEP 658 `.metadata` file), found as [`read_metadata`] finds it.
///
/// Errors: as [`read_metadata`], but the contents are not parsed.
pub fn read_metadata_bytes(path: &Path) -> Result<Vec<u8>, WheelError> {
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
    let member = format!("{}/METADATA", find_dist_info(&archive, path, &name)?);
    read_member_bytes(&mut archive, path, &member)?.ok_or(WheelError::MissingMember {
        path: path.to_path_buf(),
        member,
    })
}

/// The project name and version of a wheel file name (PEP 427 "File name convention").
///
/// Only the first two `-`-separated fields are taken; tags are the business of the
/// compatibility layer, never checked here. The name must be a valid project name
/// (`packaging.utils.parse_wheel_filename` rejects others too); it is returned as spelled.
///
/// Errors: [`WheelError::InvalidFilename`].
pub fn parse_filename(path: &Path) -> Result<(String, String), WheelError> {
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
    if PackageName::from_str(parts[0]).is_err() {
        return Err(invalid("its project name is not a valid name (PEP 508)"));
    }
    Ok((parts[0].to_string(), parts[1].to_string()))
}

/// Finds the top-level `.dist-info` directory (without trailing `/`) of project `name`.
///
/// Rule (pip's, made tolerant): the directory stem, or a part of it that ends before a `-`,
/// `_` or `.`, must be the project name once both are PEP 503 normalized. When several
/// match, the error lists them.
///
/// Errors: [`WheelError::InvalidFilename`] when `name` is not a valid project name,
/// [`WheelError::DistInfoNotFound`], [`WheelError::MultipleDistInfo`].
pub fn find_dist_info<R: Read + Seek>(
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
    let Ok(normalized) = PackageName::from_str(name) else {
        return Err(WheelError::InvalidFilename {
            path: path.to_path_buf(),
            reason: "its project name is not a valid name (PEP 508)",
        });
    };
    let matching: Vec<&String> = found
        .iter()
        .filter(|directory| stem_is_project(directory.trim_end_matches(".dist-info"), &normalized))
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

/// Whether `stem` (a `.dist-info` directory name without the suffix, ex) `Markup_Safe-2.1.5`)
/// is `name` or starts with it followed by a separator, comparing normalized names.
fn stem_is_project(stem: &str, name: &PackageName) -> bool {
    stem.char_indices()
        .filter(|&(_, character)| matches!(character, '-' | '_' | '.'))
        .map(|(index, _)| &stem[..index])
        .chain([stem])
        .any(|prefix| PackageName::from_str(prefix).is_ok_and(|prefix| &prefix == name))
}

/// Reads one member of the archive as text (lossy UTF-8).
pub fn read_member<R: Read + Seek>(
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
pub fn read_member_optional<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    path: &Path,
    member: &str,
) -> Result<Option<String>, WheelError> {
    Ok(
        read_member_bytes(archive, path, member)?.map(|bytes| match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(error) => String::from_utf8_lossy(error.as_bytes()).into_owned(),
        }),
    )
}

/// Reads one member of the archive as bytes, `None` when it is absent. The declared size can
/// lie: at most the cap (16 MiB) is allocated and read.
///
/// Errors: [`WheelError::Zip`], [`WheelError::MemberTooLarge`].
pub fn read_member_bytes<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    path: &Path,
    member: &str,
) -> Result<Option<Vec<u8>>, WheelError> {
    let zip_error = |source| WheelError::Zip {
        path: path.to_path_buf(),
        source,
    };
    let mut file = match archive.by_name(member) {
        Ok(file) => file,
        Err(ZipError::FileNotFound) => return Ok(None),
        Err(source) => return Err(zip_error(source)),
    };
    let cap = wharf_fs::DEFAULT_TEXT_CAP;
    let mut bytes = Vec::with_capacity(usize::try_from(file.size().min(cap)).unwrap_or(0));
    (&mut file)
        .take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| zip_error(ZipError::Io(source)))?;
    if bytes.len() as u64 > cap {
        return Err(WheelError::MemberTooLarge {
            path: path.to_path_buf(),
            member: member.to_string(),
            cap,
        });
    }
    Ok(Some(bytes))
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

    fn metadata(name: &str, version: &str) -> WheelMetadata {
        WheelMetadata {
            name: name.to_string(),
            version: version.to_string(),
            ..WheelMetadata::default()
        }
    }

    #[test]
    fn consistency_compares_normalized_names_and_versions() {
        let path = Path::new("/w/Foo_Bar-1.0.post1+computecanada-py3-none-any.whl");
        let member = "foo_bar-1.0.post1+computecanada.dist-info/METADATA";
        let label = Some("computecanada");
        for (name, version) in [
            ("foo-bar", "1.0.POST1+ComputeCanada"),
            ("FOO.bar", "1.0.0.post1+computecanada"),
            // The site re-tags the file name and may leave METADATA as built.
            ("foo_bar", "1.0.post1"),
        ] {
            check_consistency(path, member, &metadata(name, version), label).unwrap();
        }
        let path = Path::new("/w/torch-2.1.0+cu121.computecanada-cp311-cp311-linux_x86_64.whl");
        check_consistency(path, "m", &metadata("torch", "2.1.0+cu121"), label).unwrap();
        check_consistency(
            path,
            "m",
            &metadata("torch", "2.1.0+cu121.computecanada"),
            label,
        )
        .unwrap();
    }

    #[test]
    fn err_consistency_name_or_version() {
        let path = Path::new("/w/numpy-1.26.4+computecanada-cp311-cp311-linux_x86_64.whl");
        let member = "numpy-1.26.4+computecanada.dist-info/METADATA";
        let error = check_consistency(
            path,
            member,
            &metadata("numpie", "1.26.4"),
            Some("computecanada"),
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "wheel `/w/numpy-1.26.4+computecanada-cp311-cp311-linux_x86_64.whl` has inconsistent name: the file name says `numpy`, `numpy-1.26.4+computecanada.dist-info/METADATA` says `numpie`"
        );
        let error = check_consistency(
            path,
            member,
            &metadata("numpy", "1.26.3"),
            Some("computecanada"),
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "wheel `/w/numpy-1.26.4+computecanada-cp311-cp311-linux_x86_64.whl` has inconsistent version: the file name says `1.26.4+computecanada`, `numpy-1.26.4+computecanada.dist-info/METADATA` says `1.26.3`"
        );
        // Without the site rule the label must be in METADATA too.
        assert!(check_consistency(path, member, &metadata("numpy", "1.26.4"), None).is_err());
        // Only the site's label may be missing.
        let path = Path::new("/w/x-1.0+cu121-py3-none-any.whl");
        assert!(
            check_consistency(path, "m", &metadata("x", "1.0"), Some("computecanada")).is_err()
        );
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

    fn archive(members: &[&str]) -> ZipArchive<io::Cursor<Vec<u8>>> {
        let mut writer = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
        for member in members {
            writer
                .start_file(*member, zip::write::SimpleFileOptions::default())
                .unwrap();
        }
        ZipArchive::new(writer.finish().unwrap()).unwrap()
    }

    #[test]
    fn dist_info_matched_by_normalized_name() {
        let path = Path::new("w.whl");
        let zip = archive(&[
            "foo_bar/__init__.py",
            "Foo.Bar-1.0+cc.dist-info/METADATA",
            "foobarbaz-1.0.dist-info/METADATA",
        ]);
        assert_eq!(
            find_dist_info(&zip, path, "foo_bar").unwrap(),
            "Foo.Bar-1.0+cc.dist-info"
        );
        assert_eq!(
            find_dist_info(&zip, path, "FooBarBaz").unwrap(),
            "foobarbaz-1.0.dist-info"
        );
        let zip = archive(&["foo-1.0.dist-info/METADATA", "foo-2.0.dist-info/METADATA"]);
        assert!(matches!(
            find_dist_info(&zip, path, "foo"),
            Err(WheelError::MultipleDistInfo { .. })
        ));
    }

    #[test]
    fn err_dist_info_not_found() {
        let zip = archive(&["foobar-1.0.dist-info/METADATA"]);
        let error = find_dist_info(&zip, Path::new("foo-1.0-py3-none-any.whl"), "foo").unwrap_err();
        assert_eq!(
            error.to_string(),
            "wheel `foo-1.0-py3-none-any.whl` has no `.dist-info` directory for `foo` (found: foobar-1.0.dist-info)"
        );
    }

    #[test]
    fn err_filename_invalid_project_name() {
        let error = parse_filename(Path::new("foo_-1.0-py3-none-any.whl")).unwrap_err();
        assert_eq!(
            error.to_string(),
            "`foo_-1.0-py3-none-any.whl` is not a wheel file name: its project name is not a valid name (PEP 508)"
        );
        let zip = archive(&["foo-1.0.dist-info/METADATA"]);
        assert!(matches!(
            find_dist_info(&zip, Path::new("w.whl"), "foo+"),
            Err(WheelError::InvalidFilename { .. })
        ));
    }
}
