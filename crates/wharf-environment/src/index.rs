//! Package indexes as a source of candidates: the simple repository API (PEP 503 HTML,
//! PEP 691 JSON) merged with the find-links catalogue, as pip merges `--find-links` and
//! `--index-url` (every file of a project together, best first).
//!
//! - A project page is fetched only when the resolver reaches the project, through an HTTP
//!   cache (`CACHE/index-pages-v1`, `ETag`/`If-None-Match`); `--offline` uses the cache only,
//!   and an unreachable index falls back to it (said in [`PackageIndex::notes`]).
//! - The site's policy applies to an index's wheels as to the wheelhouse's: the target's tags
//!   (manylinux refused unless allowed), `Requires-Python` from the page (`data-requires-python`,
//!   PEP 503; `requires-python`, PEP 691), yanked files (PEP 592) skipped unless the user pins
//!   the project with `==`.
//! - Metadata: PEP 658/714 `{url}.metadata` when the index offers it (cached by the wheel's
//!   sha256 in `CACHE/index-metadata-v1`), else the wheel, downloaded into the cache.
//! - A chosen wheel is downloaded (verified against the index's sha256) into
//!   `CACHE/index-wheels-v1/{sha256}/` before it is installed ([`fetch_chosen`]); a lock made from
//!   an index records the file's `url`, size and hash, and [`fetch_locked`] brings its wheels
//!   back.
//!
//! Not yet: an index's sdists are not candidates (wheels only).

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::str::FromStr;
use std::sync::Mutex;

use pep440_rs::{Operator, Version, VersionSpecifiers};
use pep508_rs::{MarkerEnvironment, PackageName, Requirement, VersionOrUrl};
use rayon::prelude::*;
use wharf_index::{IndexClient, IndexError, PageOrigin, ProjectFile, Url};
use wharf_resolve::{
    Candidate, CandidateSet, CandidateSource, Project, RemoteFile, ResolveError, ResolvedPackage,
    ResolvedSource,
};
use wharf_wheel_filename::{Tags, WheelFilename};

use crate::error::OperationError;

/// Where index wheels are kept: `{root}/{sha256}/{filename}`, or `{root}/url-{sha256 of the
/// URL}/{filename}` when the index states no hash.
const WHEELS_DIR: &str = "index-wheels-v1";
/// Project pages with their `ETag`.
const PAGES_DIR: &str = "index-pages-v1";
/// PEP 658 metadata by the wheel's sha256.
const METADATA_DIR: &str = "index-metadata-v1";

/// The package indexes of a command (`-i/--index-url`, `--extra-index-url`, in lookup order)
/// with the client that reads them and where their answers are cached.
#[derive(Debug)]
pub struct PackageIndex {
    /// The simple index URLs, in lookup order.
    pub indexes: Vec<Url>,
    /// The HTTP client (CA bundle, proxy, retries and timeout already set).
    pub client: IndexClient,
    /// `--offline`: use only what the cache holds.
    pub offline: bool,
    /// wharf's cache root, or a directory that lives as long as this value when caching is off.
    root: PathBuf,
    /// Whether [`PackageIndex::root`] is wharf's cache (pages are then cached across runs).
    persistent: bool,
    _temporary: Option<tempfile::TempDir>,
    /// What the user should know about the pages used (cached, offline, stale).
    notes: Mutex<Vec<String>>,
    /// What the user should be warned of (an unsafe file name offered and skipped).
    warnings: Mutex<Vec<String>>,
}

impl PackageIndex {
    /// The indexes `indexes` read by `client`, cached under `cache_dir` (wharf's cache root;
    /// `None`: a temporary directory, removed with this value, and no `--offline`).
    ///
    /// Errors: the temporary directory cannot be made.
    pub fn new(
        indexes: Vec<Url>,
        client: IndexClient,
        cache_dir: Option<PathBuf>,
        offline: bool,
    ) -> std::io::Result<Self> {
        let (root, persistent, temporary) = if let Some(dir) = cache_dir {
            (dir, true, None)
        } else {
            let dir = tempfile::Builder::new().prefix("wharf-index-").tempdir()?;
            (dir.path().to_path_buf(), false, Some(dir))
        };
        Ok(Self {
            indexes,
            client,
            offline,
            root,
            persistent,
            _temporary: temporary,
            notes: Mutex::default(),
            warnings: Mutex::default(),
        })
    }

    /// The notes gathered since the last call (pages taken from the cache, stale pages).
    pub fn take_notes(&self) -> Vec<String> {
        std::mem::take(
            &mut *self
                .notes
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// The warnings gathered since the last call, ex) a file name that is a path
    /// (`../evil.whl`), skipped.
    pub fn take_warnings(&self) -> Vec<String> {
        std::mem::take(
            &mut *self
                .warnings
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    fn warn(&self, warning: String) {
        let mut warnings = self
            .warnings
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !warnings.contains(&warning) {
            warnings.push(warning);
        }
    }

    fn note(&self, note: String) {
        let mut notes = self
            .notes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !notes.contains(&note) {
            notes.push(note);
        }
    }

    /// Where the wheel `filename` of `url` (with the index's `sha256`) is kept.
    pub fn wheel_path(&self, filename: &str, url: &str, sha256: Option<&str>) -> PathBuf {
        let key = match sha256 {
            Some(sha256) => sha256.to_ascii_lowercase(),
            None => format!("url-{}", sha256_hex(url.as_bytes())),
        };
        self.root.join(WHEELS_DIR).join(key).join(filename)
    }

    /// The page of `name` on `index`, through the cache; `None`: the index has no such
    /// project (HTTP 404).
    fn page(
        &self,
        index: &Url,
        name: &PackageName,
    ) -> Result<Option<Vec<ProjectFile>>, IndexError> {
        if !self.persistent {
            return Ok(self.client.project_page(index, name)?.map(|p| p.files));
        }
        let (page, origin) = self.client.project_page_cached(
            index,
            name,
            &self.root.join(PAGES_DIR),
            self.offline,
        )?;
        match origin {
            PageOrigin::Network | PageOrigin::NotModified => {}
            PageOrigin::Offline => self.note(format!(
                "offline: the pages of `{index}` are taken from the cache, as last fetched"
            )),
            PageOrigin::Stale(error) => self.note(format!(
                "{error}: using the cached page of {name}, which may be out of date"
            )),
        }
        Ok(page.map(|p| p.files))
    }

    /// Every file of `name` on every index, in index order (an index without the project
    /// adds nothing), as `pip index versions` reads them.
    ///
    /// Errors: [`IndexError`] when an index cannot be read.
    pub fn project_files(&self, name: &PackageName) -> Result<Vec<ProjectFile>, IndexError> {
        Ok(self.pages(name)?.into_iter().flatten().flatten().collect())
    }

    /// The pages of `name` on every index, in index order (`None` where it has none).
    fn pages(&self, name: &PackageName) -> Result<Pages, IndexError> {
        self.indexes
            .iter()
            .map(|url| self.page(url, name))
            .collect()
    }
}

/// A project's page on each index, in index order (`None`: that index has no such project).
type Pages = Vec<Option<Vec<ProjectFile>>>;

/// The sha256 of `bytes`, lowercase hex.
fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    data_encoding::HEXLOWER.encode(&sha2::Sha256::digest(bytes))
}

/// The find-links candidates merged with the indexes' wheels, for one resolution: the
/// resolver's [`CandidateSource`] when `-i`/`--extra-index-url` are given.
pub struct IndexSource<'a> {
    index: &'a PackageIndex,
    local: &'a CandidateSet,
    tags: &'a Tags,
    manylinux_tags: Option<&'a Tags>,
    python: &'a Version,
    /// The target's markers, to fetch ahead the pages of the dependencies that apply.
    markers: Option<&'a MarkerEnvironment>,
    /// Projects the user pins with `==`/`===` (their yanked files stay candidates, PEP 592).
    pinned: HashSet<PackageName>,
    /// The index files of each candidate, by URL (for PEP 658 metadata).
    files: RefCell<HashMap<String, ProjectFile>>,
    /// Pages fetched ahead, in parallel (the roots, then the dependencies of each version
    /// read), not yet used.
    prefetched: RefCell<HashMap<PackageName, Result<Pages, IndexError>>>,
    /// What each index offered of each project read (to say what exists when nothing fits).
    listings: RefCell<HashMap<PackageName, Listing>>,
    /// The whole error of a failed request, for the caller (the resolver keeps its text).
    failure: RefCell<Option<IndexError>>,
}

/// What the indexes offered of one project, and why the target can use none of it.
#[derive(Debug, Default)]
struct Listing {
    /// The indexes that have a page of it.
    found_on: Vec<String>,
    /// The indexes searched.
    searched: Vec<String>,
    /// Versions with a wheel the target can install (local labels kept), newest first.
    versions: Vec<Version>,
    /// Wheels left out and why, ex) "`b-2.0-py3-none-any.whl` requires Python >=3.13".
    excluded: Vec<String>,
    /// Wheels for another Python or platform (file names).
    other_tags: Vec<String>,
    /// Source distributions (file names), which `wharf` does not take from an index.
    sdists: Vec<String>,
    /// File names that are paths (`../evil.whl`), skipped.
    unsafe_names: Vec<String>,
}

/// The find-links priority given to the first index: every index comes after every
/// find-links directory among wheels of one version.
const INDEX_PRIORITY: usize = 1 << 20;

impl<'a> IndexSource<'a> {
    /// The source over `local` (the find-links candidates) and `index`, for a target with
    /// `tags` (`manylinux_tags`: the full set when the policy removed manylinux, to tell the
    /// refusals apart) and Python `python`; `requirements` are the user's (their `==` pins).
    pub fn new(
        index: &'a PackageIndex,
        local: &'a CandidateSet,
        tags: &'a Tags,
        manylinux_tags: Option<&'a Tags>,
        python: &'a Version,
        requirements: &[Requirement],
    ) -> Self {
        let pinned = requirements
            .iter()
            .filter(|r| match &r.version_or_url {
                Some(VersionOrUrl::VersionSpecifier(specifiers)) => specifiers
                    .iter()
                    .any(|s| matches!(s.operator(), Operator::Equal | Operator::ExactEqual)),
                _ => false,
            })
            .map(|r| r.name.clone())
            .collect();
        Self {
            index,
            local,
            tags,
            manylinux_tags,
            python,
            markers: None,
            pinned,
            files: RefCell::default(),
            prefetched: RefCell::default(),
            listings: RefCell::default(),
            failure: RefCell::default(),
        }
    }

    /// Fetches the pages of the dependencies that apply to `markers` as soon as a version's
    /// metadata is read, in parallel, before the resolver asks for them one at a time.
    #[must_use]
    pub fn with_prefetch(mut self, markers: &'a MarkerEnvironment) -> Self {
        self.markers = Some(markers);
        self
    }

    /// Fetches the pages of `names` on every index in parallel (rayon's current pool), kept
    /// for when the resolver asks for those projects; names already fetched are skipped.
    pub fn prefetch<'n>(&self, names: impl IntoIterator<Item = &'n PackageName>) {
        let wanted: Vec<PackageName> = {
            let prefetched = self.prefetched.borrow();
            let listings = self.listings.borrow();
            let mut wanted: Vec<PackageName> = names
                .into_iter()
                .filter(|n| !prefetched.contains_key(*n) && !listings.contains_key(*n))
                .cloned()
                .collect();
            wanted.sort();
            wanted.dedup();
            wanted
        };
        if wanted.len() < 2 {
            return;
        }
        let pages: Vec<_> = wanted
            .into_par_iter()
            .map(|name| {
                let pages = self.index.pages(&name);
                (name, pages)
            })
            .collect();
        self.prefetched.borrow_mut().extend(pages);
    }

    /// The error that stopped the resolution, whole (with its hint), if a request failed.
    pub fn take_failure(&self) -> Option<IndexError> {
        self.failure.borrow_mut().take()
    }

    fn fail(&self, name: &str, error: IndexError) -> ResolveError {
        let message = error.to_string();
        *self.failure.borrow_mut() = Some(error);
        ResolveError::Source {
            name: name.to_string(),
            message,
        }
    }

    /// What the indexes offer of `name` and why the target can use none of it, as
    /// [`wharf_resolve::explain_unavailable`] says it of the wheelhouse (lines starting with
    /// `hint: ` are fixes); nothing when the indexes were not asked about `name`.
    pub fn explain(&self, name: &PackageName) -> Vec<String> {
        let listings = self.listings.borrow();
        let Some(listing) = listings.get(name) else {
            return Vec::new();
        };
        let quoted = |urls: &[String]| {
            urls.iter()
                .map(|u| format!("`{u}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut lines = Vec::new();
        if listing.found_on.is_empty() {
            lines.push(format!(
                "no project `{name}` on {} (HTTP 404)",
                quoted(&listing.searched)
            ));
            lines.push("hint: check the name's spelling, or the index (--index-url)".to_string());
            return lines;
        }
        let release = self.python.release();
        let python = format!(
            "{}.{}",
            release.first().copied().unwrap_or(3),
            release.get(1).copied().unwrap_or(0)
        );
        let mut versions: Vec<String> = Vec::new();
        for version in &listing.versions {
            let version = version.to_string();
            if !versions.contains(&version) {
                versions.push(version);
            }
        }
        if !versions.is_empty() {
            lines.push(format!(
                "versions of {name} with a wheel for Python {python} on {}: {}",
                quoted(&listing.found_on),
                versions.join(", ")
            ));
        }
        for excluded in &listing.excluded {
            lines.push(format!("excluded: {excluded}"));
        }
        if let Some(example) = listing.other_tags.first() {
            lines.push(format!(
                "excluded: {} for another Python or platform, ex) `{example}`",
                if listing.other_tags.len() == 1 {
                    "1 wheel".to_string()
                } else {
                    format!("{} wheels", listing.other_tags.len())
                }
            ));
        }
        let no_wheel =
            versions.is_empty() && listing.excluded.is_empty() && listing.other_tags.is_empty();
        if no_wheel
            && !listing.unsafe_names.iter().any(|f| f.ends_with(".whl"))
            && !listing.sdists.is_empty()
        {
            lines.push(format!(
                "{name} has only source distributions on {}, ex) `{}`",
                quoted(&listing.found_on),
                listing.sdists.last().map_or("", String::as_str)
            ));
            lines.push(format!(
                "hint: `{name}` publishes no wheel (only source distributions): ask support to build it for the wheelhouse"
            ));
        } else if no_wheel && !listing.unsafe_names.is_empty() {
            let names: Vec<String> = listing
                .unsafe_names
                .iter()
                .map(|f| format!("`{f}`"))
                .collect();
            lines.push(format!(
                "hint: the index offered only an unsafe file name ({}) for a wheel of `{name}`, which was skipped: report it to the index",
                names.join(", ")
            ));
        } else if no_wheel {
            lines.push(format!(
                "{name} has no file on {}",
                quoted(&listing.found_on)
            ));
        }
        lines
    }

    /// The index's wheels of `name` that the target can install.
    fn index_wheels(&self, name: &PackageName) -> Result<Vec<Candidate>, ResolveError> {
        let prefetched = self.prefetched.borrow_mut().remove(name);
        let pages = match prefetched {
            Some(pages) => pages,
            None => self.index.pages(name),
        }
        .map_err(|e| self.fail(name.as_ref(), e))?;
        let mut listing = Listing {
            searched: self.index.indexes.iter().map(ToString::to_string).collect(),
            ..Listing::default()
        };
        let mut out = Vec::new();
        for (position, (url, files)) in self.index.indexes.iter().zip(pages).enumerate() {
            let Some(files) = files else { continue };
            listing.found_on.push(url.to_string());
            for file in files {
                if !file.has_safe_filename() {
                    // A file name that is a path (`../evil.whl`) is never written.
                    self.index.warn(format!(
                        "the index offered an unsafe file name for `{name}`, `{}` (not a plain file name): skipped",
                        file.filename
                    ));
                    listing.unsafe_names.push(file.filename.clone());
                    continue;
                }
                if !file.filename.ends_with(".whl") {
                    if file.filename.ends_with(".tar.gz") || file.filename.ends_with(".zip") {
                        listing.sdists.push(file.filename.clone());
                    }
                    continue;
                }
                let Ok(filename) = WheelFilename::from_str(&file.filename) else {
                    continue;
                };
                if &filename.name != name {
                    continue;
                }
                if file.yanked && !self.pinned.contains(name) {
                    listing.excluded.push(format!(
                        "`{}` is yanked (PEP 592; pin it with `==` to use it)",
                        file.filename
                    ));
                    continue;
                }
                if let Some(requires) = file
                    .requires_python
                    .as_deref()
                    .and_then(|r| VersionSpecifiers::from_str(r).ok())
                    && !requires.contains(self.python)
                {
                    listing.excluded.push(format!(
                        "{name} {} requires Python {requires}; the target has Python {}",
                        filename.version, self.python
                    ));
                    continue;
                }
                let Some(tag_priority) = filename.compatibility(self.tags) else {
                    if self
                        .manylinux_tags
                        .is_some_and(|t| filename.is_compatible(t))
                    {
                        self.index.note(format!(
                            "`{}` on `{url}` is refused by the site's manylinux policy (--allow-manylinux accepts it)",
                            file.filename
                        ));
                        listing.excluded.push(format!(
                            "`{}` is refused by the site's manylinux policy (--allow-manylinux accepts it)",
                            file.filename
                        ));
                    } else {
                        listing.other_tags.push(file.filename.clone());
                    }
                    continue;
                };
                listing.versions.push(filename.version.clone());
                let path = self.index.wheel_path(
                    &file.filename,
                    file.url.as_str(),
                    file.sha256.as_deref(),
                );
                out.push(Candidate {
                    filename,
                    path,
                    find_link: INDEX_PRIORITY + position,
                    tag_priority,
                    sdist: None,
                    direct: false,
                    remote: Some(RemoteFile {
                        url: file.url.to_string(),
                        sha256: file.sha256.clone(),
                        size: file.size,
                        index: url.to_string(),
                    }),
                });
                self.files.borrow_mut().insert(file.url.to_string(), file);
            }
        }
        listing.versions.sort_by(|a, b| b.cmp(a));
        listing.excluded.dedup();
        self.listings.borrow_mut().insert(name.clone(), listing);
        Ok(out)
    }

    /// Fetches ahead the pages of the dependencies in `metadata` that apply to the target.
    fn prefetch_dependencies(&self, metadata: &wharf_metadata::WheelMetadata) {
        let Some(markers) = self.markers else { return };
        let names: Vec<PackageName> = metadata
            .requires_dist
            .iter()
            .filter_map(|line| Requirement::<pep508_rs::VerbatimUrl>::from_str(line).ok())
            .filter(|r| r.evaluate_markers(markers, &[]))
            .map(|r| r.name)
            .collect();
        self.prefetch(&names);
    }
}

impl CandidateSource for IndexSource<'_> {
    fn label(&self) -> String {
        let indexes = if self.index.indexes.len() == 1 {
            "the index"
        } else {
            "the indexes"
        };
        if self.local.by_name.is_empty()
            && self.local.rejected.is_empty()
            && self.local.sdists.is_empty()
        {
            indexes.to_string()
        } else {
            format!("the wheelhouse and {indexes}")
        }
    }

    fn project(&self, name: &PackageName) -> Result<Rc<Project>, ResolveError> {
        let mut wheels = self.local.get(name).to_vec();
        // A wheel the user named by path is the only candidate of its project.
        if !wheels.iter().any(|c| c.direct) {
            wheels.extend(self.index_wheels(name)?);
            wheels.sort_by(|a, b| {
                b.filename
                    .version
                    .cmp(&a.filename.version)
                    .then(a.find_link.cmp(&b.find_link))
                    .then(a.tag_priority.cmp(&b.tag_priority))
                    .then(b.filename.build_tag.cmp(&a.filename.build_tag))
            });
        }
        Ok(Rc::new(Project {
            wheels,
            sdists: self.local.sdists_of(name).to_vec(),
        }))
    }

    fn metadata(
        &self,
        candidate: &Candidate,
    ) -> Result<wharf_metadata::WheelMetadata, ResolveError> {
        let metadata = self.read_metadata(candidate)?;
        self.prefetch_dependencies(&metadata);
        Ok(metadata)
    }
}

impl IndexSource<'_> {
    fn read_metadata(
        &self,
        candidate: &Candidate,
    ) -> Result<wharf_metadata::WheelMetadata, ResolveError> {
        let Some(remote) = &candidate.remote else {
            return wharf_resolve::read_wheel_metadata(&candidate.path);
        };
        if candidate.path.is_file() {
            return wharf_resolve::read_wheel_metadata(&candidate.path);
        }
        let file = self
            .files
            .borrow()
            .get(&remote.url)
            .cloned()
            .ok_or_else(|| ResolveError::Internal(format!("no index file {}", remote.url)))?;
        let name = file.filename.clone();
        let invalid = |source| ResolveError::Metadata {
            path: PathBuf::from(&remote.url),
            source,
        };
        if file.core_metadata {
            // PEP 658: the METADATA file alone, cached by the wheel's hash.
            let cached = file.sha256.as_ref().map(|sha256| {
                self.index
                    .root
                    .join(METADATA_DIR)
                    .join(format!("{sha256}.metadata"))
            });
            let text = match cached.as_ref().and_then(|p| fs_err::read_to_string(p).ok()) {
                Some(text) => text,
                None if self.index.offline => {
                    return Err(self.fail(
                        &name,
                        IndexError::NotCached {
                            url: file.metadata_url().to_string(),
                        },
                    ));
                }
                None => {
                    let text = self
                        .index
                        .client
                        .metadata(&file)
                        .map_err(|e| self.fail(&name, e))?;
                    if let Some(path) = &cached
                        && let Some(parent) = path.parent()
                        && fs_err::create_dir_all(parent).is_ok()
                    {
                        let _ = fs_err::write(path, &text);
                    }
                    text
                }
            };
            let headers = wharf_metadata::Headers::parse(&text);
            return wharf_metadata::WheelMetadata::from_headers(
                &headers,
                Path::new(&remote.url),
                "METADATA (PEP 658)",
            )
            .map_err(invalid);
        }
        if self.index.offline {
            return Err(self.fail(
                &name,
                IndexError::NotCached {
                    url: remote.url.clone(),
                },
            ));
        }
        download(&self.index.client, &file, &candidate.path).map_err(|e| self.fail(&name, e))?;
        wharf_resolve::read_wheel_metadata(&candidate.path)
    }
}

/// Downloads `file` to `path` (its directory created), verified against the index's sha256.
fn download(client: &IndexClient, file: &ProjectFile, path: &Path) -> Result<(), IndexError> {
    download_counted(client, file, path, &|_| {})
}

/// [`download`], telling `on_bytes` of each chunk received.
fn download_counted(
    client: &IndexClient,
    file: &ProjectFile,
    path: &Path,
    on_bytes: &(dyn Fn(u64) + Sync),
) -> Result<(), IndexError> {
    let directory = path.parent().unwrap_or(Path::new("."));
    fs_err::create_dir_all(directory).map_err(IndexError::Io)?;
    client.download(file, directory, on_bytes)?;
    Ok(())
}

/// The [`ProjectFile`] of a remote candidate, enough to download it.
fn project_file(filename: &str, remote: &RemoteFile) -> Result<ProjectFile, IndexError> {
    let url = Url::parse(&remote.url).map_err(|e| IndexError::BadUrl {
        url: remote.url.clone(),
        message: e.to_string(),
    })?;
    Ok(ProjectFile {
        filename: filename.to_string(),
        url,
        sha256: remote.sha256.clone(),
        requires_python: None,
        yanked: false,
        core_metadata: false,
        core_metadata_sha256: None,
        size: remote.size,
    })
}

/// Downloads, in parallel, the index wheels of `packages` not yet in the cache (each checked
/// against the index's sha256 before it lands there), so the plan installs local files.
/// `only_unhashed`: only those whose index states no sha256 or size (for a lock, which
/// records the index's).
///
/// Errors: [`OperationError::Index`] (nothing half-written is kept).
pub fn fetch_chosen(
    packages: &[ResolvedPackage],
    index: &PackageIndex,
    only_unhashed: bool,
) -> Result<usize, OperationError> {
    fetch_chosen_counted(packages, index, only_unhashed, &|_| {})
}

/// [`fetch_chosen`], telling `on_bytes` of each chunk received (a progress bar), in the
/// current rayon pool.
///
/// Errors: [`OperationError::Index`] (nothing half-written is kept).
pub fn fetch_chosen_counted(
    packages: &[ResolvedPackage],
    index: &PackageIndex,
    only_unhashed: bool,
    on_bytes: &(dyn Fn(u64) + Sync),
) -> Result<usize, OperationError> {
    let wanted: Vec<(&Candidate, &RemoteFile)> = packages
        .iter()
        .filter_map(|p| match &p.source {
            ResolvedSource::Wheel(candidate) => {
                let remote = candidate.remote.as_ref()?;
                let needed = !only_unhashed || remote.sha256.is_none() || remote.size.is_none();
                (needed && !candidate.path.is_file()).then_some((&**candidate, remote))
            }
            ResolvedSource::Installed { .. } => None,
        })
        .collect();
    if index.offline
        && let Some((_, remote)) = wanted.first()
    {
        return Err(IndexError::NotCached {
            url: remote.url.clone(),
        }
        .into());
    }
    wanted
        .par_iter()
        .map(|(candidate, remote)| {
            let filename = candidate
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let file = project_file(&filename, remote)?;
            download_counted(&index.client, &file, &candidate.path, on_bytes)
        })
        .collect::<Result<Vec<()>, IndexError>>()?;
    Ok(wanted.len())
}

/// Brings the wheels of `lock` that are at an `http(s)` URL into the cache (verified by the
/// lock's sha256), and points their `path` there: a lock made from an index syncs like one
/// made from the wheelhouse. Returns how many were downloaded.
///
/// Errors: [`OperationError::Index`].
pub fn fetch_locked(
    lock: &mut crate::lock::Lock,
    index: &PackageIndex,
) -> Result<usize, OperationError> {
    let mut wanted = Vec::new();
    for package in &mut lock.packages {
        for file in std::iter::once(&mut package.wheel)
            .chain(package.wheels.iter_mut())
            .chain(package.sdist.iter_mut())
        {
            if let Some(url) = &file.url {
                file.path = index.wheel_path(&file.filename, url, Some(&file.sha256));
            }
        }
        if let Some(url) = &package.wheel.url
            && !package.wheel.path.is_file()
        {
            wanted.push((
                package.wheel.path.clone(),
                RemoteFile {
                    url: url.clone(),
                    sha256: Some(package.wheel.sha256.clone()),
                    size: (package.wheel.size > 0).then_some(package.wheel.size),
                    index: String::new(),
                },
                package.wheel.filename.clone(),
            ));
        }
    }
    if index.offline
        && let Some((_, remote, _)) = wanted.first()
    {
        return Err(IndexError::NotCached {
            url: remote.url.clone(),
        }
        .into());
    }
    wanted
        .par_iter()
        .map(|(path, remote, filename)| {
            download(&index.client, &project_file(filename, remote)?, path)
        })
        .collect::<Result<Vec<()>, IndexError>>()?;
    Ok(wanted.len())
}
