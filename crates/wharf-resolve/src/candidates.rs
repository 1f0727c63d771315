//! The installable wheels of each project, best first, and the ones refused (with why).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::str::FromStr;

use pep440_rs::Version;
use pep508_rs::PackageName;
use wharf_metadata::WheelMetadata;
use wharf_site::{Catalogue, ScanWarning};

use crate::resolver::ResolveError;
use wharf_wheel_filename::{Tags, WheelFilename};

/// A wheel the target can install.
#[derive(Clone, Debug)]
pub struct Candidate {
    /// The parsed filename (version with its local part).
    pub filename: WheelFilename,
    /// The file.
    pub path: PathBuf,
    /// Index of its find-links directory (0 = most specific, preferred).
    pub find_link: usize,
    /// Its best tag's priority for the target (0 = best).
    pub tag_priority: usize,
    /// The wheelhouse sdist this wheel was built from (by [`crate::SdistBuilder`]), when it
    /// was: a lock records the sdist, not the built wheel.
    pub sdist: Option<PathBuf>,
    /// A wheel the user named by path (or built from a path they named): the only candidate
    /// of its project, which `--no-binary` does not remove.
    pub direct: bool,
    /// Where the wheel is downloaded from when it comes from a package index (PEP 503/691):
    /// `None` for a file of the wheelhouse. Then [`Candidate::path`] is where the download
    /// goes (wharf's cache), and the file is there only once fetched.
    pub remote: Option<RemoteFile>,
}

/// A wheel offered by a simple repository (PEP 503 HTML or PEP 691 JSON project page).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteFile {
    /// Its URL, ex) `https://pypi.org/packages/…/six-1.16.0-py2.py3-none-any.whl`.
    pub url: String,
    /// The sha256 the index states (lowercase hex), checked when the file is downloaded.
    pub sha256: Option<String>,
    /// The size the index states (PEP 700), in bytes.
    pub size: Option<u64>,
    /// The index it was listed by (its `--index-url`/`--extra-index-url`).
    pub index: String,
}

/// What one source offers of a project: its wheels for the target, best first (the order of
/// [`CandidateSet`]), and its source distributions, newest first.
#[derive(Clone, Debug, Default)]
pub struct Project {
    /// Installable wheels, best first.
    pub wheels: Vec<Candidate>,
    /// Source distributions (built only when chosen), newest first.
    pub sdists: Vec<SdistCandidate>,
}

/// Where the resolver takes candidates from: the one interface over every source (the
/// find-links catalogue, a Simple API index (PEP 503/691), both merged), as uv's
/// `ResolverProvider`. The resolver asks for a project the first time it needs it, and for
/// the core metadata (`METADATA`, PEP 566) of a candidate only when it considers that version.
pub trait CandidateSource {
    /// The candidates of `name` (PEP 503 normalized); an unknown project has none.
    ///
    /// Errors: the source cannot be read (an index unreachable); the resolution stops.
    fn project(&self, name: &PackageName) -> Result<Rc<Project>, ResolveError>;

    /// The core metadata of `candidate` (read from the wheel, or PEP 658 metadata of an index).
    ///
    /// Errors: [`ResolveError::Metadata`], or the source's.
    fn metadata(&self, candidate: &Candidate) -> Result<WheelMetadata, ResolveError>;

    /// Where the candidates come from, in a sentence of a conflict report: "the wheelhouse"
    /// (the default), "the index", "the wheelhouse and the indexes".
    fn label(&self) -> String {
        "the wheelhouse".to_string()
    }
}

impl CandidateSource for CandidateSet {
    fn project(&self, name: &PackageName) -> Result<Rc<Project>, ResolveError> {
        Ok(Rc::new(Project {
            wheels: self.get(name).to_vec(),
            sdists: self.sdists_of(name).to_vec(),
        }))
    }

    fn metadata(&self, candidate: &Candidate) -> Result<WheelMetadata, ResolveError> {
        read_wheel_metadata(&candidate.path)
    }
}

/// The core metadata of the wheel file at `path` ([`wharf_metadata::read_metadata`]).
///
/// Errors: [`ResolveError::Metadata`].
pub fn read_wheel_metadata(path: &Path) -> Result<WheelMetadata, ResolveError> {
    wharf_metadata::read_metadata(path).map_err(|source| ResolveError::Metadata {
        path: path.to_path_buf(),
        source,
    })
}

/// A source distribution of the wheelhouse (`name-1.0.tar.gz`, `name-1.0.zip`, the sdist
/// file name of the "Source distribution format" specification): a candidate at its version,
/// built into a wheel only when the resolver chooses it.
#[derive(Clone, Debug)]
pub struct SdistCandidate {
    /// Its project (from the file name, PEP 503 normalized).
    pub name: PackageName,
    /// Its version (from the file name).
    pub version: Version,
    /// The file.
    pub path: PathBuf,
    /// Index of its find-links directory (0 = most specific, preferred).
    pub find_link: usize,
}

impl SdistCandidate {
    /// The sdist named by `path`'s file name (`{name}-{version}.tar.gz` or `.zip`), found
    /// under find-links directory `find_link`; `None` for any other file.
    pub fn from_path(path: &Path, find_link: usize) -> Option<Self> {
        let file = path.file_name()?.to_str()?;
        let stem = file
            .strip_suffix(".tar.gz")
            .or_else(|| file.strip_suffix(".zip"))?;
        let (name, version) = stem.rsplit_once('-')?;
        Some(Self {
            name: PackageName::from_str(name).ok()?,
            version: Version::from_str(version).ok()?,
            path: path.to_path_buf(),
            find_link,
        })
    }
}

/// Why a wheel of the catalogue is not a candidate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RejectReason {
    /// No tag triple matches the target (another Python, ABI or platform).
    IncompatibleTags,
    /// Compatible only through manylinux platform tags, which the site's policy refuses.
    ManylinuxRefused,
}

/// A wheel that was not accepted, kept to explain failures.
#[derive(Clone, Debug)]
pub struct Rejected {
    /// The parsed filename.
    pub filename: WheelFilename,
    /// The file.
    pub path: PathBuf,
    /// Why.
    pub reason: RejectReason,
}

/// Candidates per project (PEP 503 name), sorted best first: version descending (local part
/// included), then find-links order, then tag priority, then build tag descending.
#[derive(Clone, Debug, Default)]
pub struct CandidateSet {
    /// Accepted wheels.
    pub by_name: HashMap<PackageName, Vec<Candidate>>,
    /// Refused wheels.
    pub rejected: HashMap<PackageName, Vec<Rejected>>,
    /// Source distributions of the wheelhouse per project, sorted as the wheels are (version
    /// descending, then find-links order).
    pub sdists: HashMap<PackageName, Vec<SdistCandidate>>,
}

impl CandidateSet {
    /// Sorts the catalogue's wheels into candidates for `tags` (the target's accepted tags)
    /// and rejections. `manylinux_tags`, when given, is the target's full tag set including
    /// manylinux platforms that policy refuses: wheels compatible only through those are
    /// rejected as [`RejectReason::ManylinuxRefused`] rather than incompatible.
    pub fn new(catalogue: &Catalogue, tags: &Tags, manylinux_tags: Option<&Tags>) -> Self {
        let mut set = Self::default();
        for entry in &catalogue.entries {
            let name = entry.filename.name.clone();
            if let Some(tag_priority) = entry.filename.compatibility(tags) {
                set.by_name.entry(name).or_default().push(Candidate {
                    filename: entry.filename.clone(),
                    path: entry.path.clone(),
                    find_link: entry.find_link,
                    tag_priority,
                    sdist: None,
                    direct: false,
                    remote: None,
                });
            } else {
                let reason = if manylinux_tags.is_some_and(|t| entry.filename.is_compatible(t)) {
                    RejectReason::ManylinuxRefused
                } else {
                    RejectReason::IncompatibleTags
                };
                set.rejected.entry(name).or_default().push(Rejected {
                    filename: entry.filename.clone(),
                    path: entry.path.clone(),
                    reason,
                });
            }
        }
        for candidates in set.by_name.values_mut() {
            candidates.sort_by(|a, b| {
                b.filename
                    .version
                    .cmp(&a.filename.version)
                    .then(a.find_link.cmp(&b.find_link))
                    .then(a.tag_priority.cmp(&b.tag_priority))
                    .then(b.filename.build_tag.cmp(&a.filename.build_tag))
            });
        }
        for warning in &catalogue.warnings {
            if let ScanWarning::NotAWheel { path } = warning {
                // The find-links directory the file was found under (its priority).
                let find_link = catalogue
                    .find_links
                    .0
                    .iter()
                    .position(|link| path.starts_with(&link.path))
                    .unwrap_or(usize::MAX);
                if let Some(sdist) = SdistCandidate::from_path(path, find_link) {
                    set.sdists
                        .entry(sdist.name.clone())
                        .or_default()
                        .push(sdist);
                }
            }
        }
        for sdists in set.sdists.values_mut() {
            sdists.sort_by(|a, b| {
                b.version
                    .cmp(&a.version)
                    .then(a.find_link.cmp(&b.find_link))
            });
        }
        set
    }

    /// The candidates of `name`, best first.
    pub fn get(&self, name: &PackageName) -> &[Candidate] {
        self.by_name.get(name).map_or(&[], Vec::as_slice)
    }

    /// The sdists of `name`, newest first.
    pub fn sdists_of(&self, name: &PackageName) -> &[SdistCandidate] {
        self.sdists.get(name).map_or(&[], Vec::as_slice)
    }
}
