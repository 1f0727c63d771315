//! The installable wheels of each project, best first, and the ones refused (with why).

use std::collections::HashMap;
use std::path::PathBuf;
use std::str::FromStr;

use pep508_rs::PackageName;
use wharf_site::{Catalogue, ScanWarning};
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
    /// Source distributions seen among the wheels (`name` normalized → files): wharf installs
    /// wheels only, and says so.
    pub sdists: HashMap<String, Vec<PathBuf>>,
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
                let file = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default();
                for suffix in [".tar.gz", ".zip", ".tar.bz2"] {
                    // An sdist whose name is no valid project name can never be asked
                    // for: it is left out of the explanations.
                    if let Some(stem) = file.strip_suffix(suffix)
                        && let Some((name, _version)) = stem.rsplit_once('-')
                        && let Ok(name) = PackageName::from_str(name)
                    {
                        set.sdists
                            .entry(name.to_string())
                            .or_default()
                            .push(path.clone());
                    }
                }
            }
        }
        set
    }

    /// The candidates of `name`, best first.
    pub fn get(&self, name: &PackageName) -> &[Candidate] {
        self.by_name.get(name).map_or(&[], Vec::as_slice)
    }
}
