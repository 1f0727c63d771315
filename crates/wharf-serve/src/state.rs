//! What the server serves: a snapshot of the catalogue (rebuilt when the wheelhouse changes),
//! the projects and file URLs derived from it, and the per-file facts (sha256, size, mtime,
//! METADATA hash, `Requires-Python`) cached next to the catalogue index.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha2::{Digest, Sha256};
use wharf_digest::FileStamp;
use wharf_site::{Catalogue, CatalogueEntry, FindLinks, PythonVersion};
use wharf_wheel_filename::{PlatformTag, Tags};

use crate::ServeOptions;

/// Characters kept as they are in a file URL segment (RFC 3986 unreserved).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The hash cache's file name, inside the catalogue index directory. (`hashes-v1`, keyed by
/// size and mtime only, outlived a wheel replaced with both kept: it is no longer read.)
const HASHES_FILE: &str = "hashes-v2";

/// What is known about one wheel file, valid while its `stat` stamp (device, inode, size,
/// mtime, ctime) stays: a file replaced by another (new inode) or written in place (new
/// ctime, which no unprivileged call can set back) is hashed again.
#[derive(Clone, Debug)]
pub(crate) struct FileInfo {
    /// Bytes.
    pub size: u64,
    /// Modification time.
    pub mtime: SystemTime,
    /// The stamp the digests were taken at.
    stamp: FileStamp,
    /// sha256 of the file, lowercase hex.
    pub sha256: String,
    /// sha256 of its `METADATA` (PEP 658), when it can be read.
    pub metadata_sha256: Option<String>,
    /// `Requires-Python` of its `METADATA`.
    pub requires_python: Option<String>,
}

fn hex(digest: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(digest.len() * 2);
    for byte in digest {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// sha256 and METADATA facts of files, in memory and in `INDEX_DIR/hashes-v2` (one line per
/// file: sha256, METADATA sha256 or `-`, size, mtime and ctime in ns, inode, device,
/// Requires-Python, path). Only files that last changed at least
/// [`wharf_digest::RACY_SECONDS`] before they were hashed are remembered.
#[derive(Debug, Default)]
pub(crate) struct HashCache {
    file: Option<PathBuf>,
    known: Mutex<HashMap<PathBuf, FileInfo>>,
}

impl HashCache {
    pub(crate) fn load(index_dir: Option<&Path>) -> Self {
        let file = index_dir.map(|dir| dir.join(HASHES_FILE));
        let mut known = HashMap::new();
        if let Some(text) = file.as_ref().and_then(|f| std::fs::read_to_string(f).ok()) {
            for line in text.lines() {
                if let Some((path, info)) = parse_line(line) {
                    known.insert(path, info);
                }
            }
        }
        Self {
            file,
            known: Mutex::new(known),
        }
    }

    /// The facts of `path`: from the cache when its stamp matches, else computed (every
    /// byte read once) and remembered when the file has settled.
    pub(crate) fn info(&self, path: &Path) -> std::io::Result<FileInfo> {
        let metadata = std::fs::metadata(path)?;
        let stamp = FileStamp::of(&metadata);
        if let Some(info) = self.known.lock().expect("not poisoned").get(path)
            && info.stamp == stamp
        {
            return Ok(info.clone());
        }
        let (file, _) = wharf_digest::open_regular(path)?;
        let (sha256, _) =
            wharf_digest::sha256_open_file(path, &file, stamp.size.saturating_add(1))?;
        let (metadata_sha256, requires_python) = match wharf_metadata::read_metadata_bytes(path) {
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes);
                let headers = wharf_metadata::Headers::parse(&text);
                (
                    Some(hex(&Sha256::digest(&bytes))),
                    headers
                        .get("Requires-Python")
                        .map(|v| v.trim().to_string())
                        .filter(|v| !v.is_empty()),
                )
            }
            Err(_) => (None, None),
        };
        let info = FileInfo {
            size: stamp.size,
            mtime: metadata.modified()?,
            stamp,
            sha256: hex(&sha256),
            metadata_sha256,
            requires_python,
        };
        // Remembered only when nothing moved while it was read, and the file had settled.
        if FileStamp::of(&file.metadata()?) == stamp
            && FileStamp::of(&std::fs::metadata(path)?) == stamp
            && stamp.settled()
        {
            self.persist(path, &info);
            self.known
                .lock()
                .expect("not poisoned")
                .insert(path.to_path_buf(), info.clone());
        }
        Ok(info)
    }

    fn persist(&self, path: &Path, info: &FileInfo) {
        let (Some(file), Some(path_text)) = (&self.file, path.to_str()) else {
            return;
        };
        let requires_python = info.requires_python.as_deref().unwrap_or_default();
        if path_text.contains(['\t', '\n']) || requires_python.contains(['\t', '\n']) {
            return;
        }
        let s = info.stamp;
        let line = format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{requires_python}\t{path_text}\n",
            info.sha256,
            info.metadata_sha256.as_deref().unwrap_or("-"),
            s.size,
            s.mtime_ns,
            s.ctime_ns,
            s.ino,
            s.dev,
        );
        if let Some(parent) = file.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        // One write of one short line in append mode: concurrent servers do not interleave.
        if let Ok(mut out) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(file)
        {
            let _ = out.write_all(line.as_bytes());
        }
    }
}

/// One line of the hash cache (see [`HashCache`]); `None` when malformed.
fn parse_line(line: &str) -> Option<(PathBuf, FileInfo)> {
    let fields: Vec<&str> = line.splitn(9, '\t').collect();
    let [
        sha256,
        metadata,
        size,
        mtime_ns,
        ctime_ns,
        ino,
        dev,
        requires_python,
        path,
    ] = fields[..]
    else {
        return None;
    };
    let stamp = FileStamp {
        dev: dev.parse().ok()?,
        ino: ino.parse().ok()?,
        size: size.parse().ok()?,
        mtime_ns: mtime_ns.parse().ok()?,
        ctime_ns: ctime_ns.parse().ok()?,
    };
    let mtime_ns = u64::try_from(stamp.mtime_ns).ok()?;
    Some((
        PathBuf::from(path),
        FileInfo {
            size: stamp.size,
            mtime: UNIX_EPOCH + std::time::Duration::from_nanos(mtime_ns),
            stamp,
            sha256: sha256.to_string(),
            metadata_sha256: (metadata != "-").then(|| metadata.to_string()),
            requires_python: (!requires_python.is_empty()).then(|| requires_python.to_string()),
        },
    ))
}

/// One project of the index: its normalized name and its listed files.
#[derive(Debug)]
pub(crate) struct Project {
    /// Indices into the catalogue's entries, in catalogue (find-links) order.
    pub files: Vec<usize>,
}

/// A rendered project page, in both formats.
#[derive(Clone, Debug)]
pub(crate) struct Rendered {
    pub html: Bytes,
    pub json: Bytes,
}

/// The catalogue at one moment and everything derived from it.
#[derive(Debug)]
pub(crate) struct Snapshot {
    pub catalogue: Catalogue,
    /// Normalized name ▸ project, in name order.
    pub projects: BTreeMap<String, Project>,
    /// `FIND_LINK/RELATIVE/PATH` (decoded) ▸ entry index: the only files served.
    pub urls: HashMap<String, usize>,
    /// Entry index ▸ its URL path (`/files/…`, encoded), for listed entries.
    pub url_of: HashMap<usize, String>,
    /// File name ▸ entry index of the listed copy.
    pub by_name: HashMap<String, usize>,
    /// The find-links directories with symlinks resolved (a served file must be inside one).
    pub roots: Vec<PathBuf>,
    /// Rendered project pages.
    pub pages: Mutex<HashMap<String, Rendered>>,
    /// Rendered `/simple/` index: HTML, JSON.
    pub index: Rendered,
    /// Per-arch catalogues for the page, built on first use.
    pub arch_catalogues: Mutex<HashMap<String, Arc<Catalogue>>>,
    /// The Pythons offered on the page.
    pub page_pythons: Vec<PythonVersion>,
}

/// Whether the catalogue file at `path` is served: its real path is inside one of `roots`
/// (the find-links directories, symlinks resolved). The catalogue does not descend into
/// symlinked directories, so only a file that is itself a symbolic link can leave them: one
/// `lstat` per file, and a `realpath` for the links only. The request handlers check the real
/// path again when they read the file (it may change after the snapshot).
fn servable(path: &Path, roots: &[PathBuf]) -> bool {
    match std::fs::symlink_metadata(path) {
        Ok(metadata) if metadata.file_type().is_symlink() => {
            std::fs::canonicalize(path).is_ok_and(|real| crate::files::inside(&real, roots))
        }
        Ok(_) => true,
        Err(_) => false,
    }
}

/// Whether the site's policy lists `entry`.
fn listed(entry: &CatalogueEntry, python_tags: Option<&Tags>, allow_manylinux: bool) -> bool {
    if !allow_manylinux && entry.filename.is_manylinux_only() {
        return false;
    }
    python_tags.is_none_or(|tags| entry.filename.is_compatible(tags))
}

/// The tags of the `--python` filter: any platform of an x86_64 Linux (manylinux is the
/// policy's business, not the filter's), pure wheels included.
fn python_filter(pythons: &[PythonVersion]) -> Option<Tags> {
    if pythons.is_empty() {
        return None;
    }
    let mut platforms = PlatformTag::linux_platforms("x86_64", Some((2, 99)));
    platforms.extend(PlatformTag::linux_platforms("aarch64", Some((2, 99))));
    let sets: Vec<Tags> = pythons
        .iter()
        .map(|p| {
            Tags::cpython(
                p.tuple(),
                &Tags::cpython_default_abis(p.tuple()),
                &platforms,
                true,
            )
        })
        .collect();
    Some(Tags::union(&sets))
}

impl Snapshot {
    pub(crate) fn build(options: &ServeOptions, report: bool) -> Self {
        let catalogue = Catalogue::scan_with_index(
            options.find_links.clone(),
            options.threads,
            |_| true,
            options.index_dir.as_deref(),
        );
        if report {
            for warning in &catalogue.warnings {
                crate::server::note(&format!("warning: {warning}"));
            }
        }
        let tags = python_filter(&options.pythons);
        let roots: Vec<PathBuf> = catalogue
            .find_links
            .0
            .iter()
            .filter_map(|link| std::fs::canonicalize(&link.path).ok())
            .collect();
        let mut projects: BTreeMap<String, Project> = BTreeMap::new();
        let mut urls = HashMap::new();
        let mut url_of = HashMap::new();
        let mut by_name = HashMap::new();
        let mut seen: HashSet<&str> = HashSet::new();
        for (index, entry) in catalogue.entries.iter().enumerate() {
            if !listed(entry, tags.as_ref(), options.allow_manylinux) {
                continue;
            }
            // A file that would be refused is not listed either (nor is its project, when it
            // has no other file); a later copy of the same name may be.
            if !servable(&entry.path, &roots) {
                if report {
                    crate::server::note(&format!(
                        "warning: `{}` is a symbolic link that leaves the find-links directories: not served",
                        entry.path.display()
                    ));
                }
                continue;
            }
            let name = entry.file_name();
            if !seen.insert(name) {
                continue;
            }
            let root = &catalogue.find_links.0[entry.find_link].path;
            let Some(relative) = entry.path.strip_prefix(root).ok().and_then(|r| r.to_str()) else {
                continue;
            };
            let key = format!("{}/{relative}", entry.find_link);
            let mut url = format!("/files/{}", entry.find_link);
            for segment in relative.split('/') {
                url.push('/');
                url.extend(utf8_percent_encode(segment, SEGMENT));
            }
            urls.insert(key, index);
            url_of.insert(index, url);
            by_name.insert(name.to_string(), index);
            projects
                .entry(entry.filename.name.to_string())
                .or_insert_with(|| Project { files: Vec::new() })
                .files
                .push(index);
        }
        let page_pythons = if options.page_pythons.is_empty() {
            let mut found: Vec<PythonVersion> = catalogue
                .entries
                .iter()
                .flat_map(|e| e.filename.python_tags.iter())
                .filter_map(wharf_wheel_filename::LanguageTag::cpython_version)
                .filter(|(major, _)| *major == 3)
                .collect::<HashSet<_>>()
                .into_iter()
                .filter_map(|(major, minor)| format!("{major}.{minor}").parse().ok())
                .collect();
            found.sort();
            found
        } else {
            options.page_pythons.clone()
        };
        let index = crate::simple::render_index(projects.keys());
        Self {
            catalogue,
            projects,
            urls,
            url_of,
            by_name,
            roots,
            pages: Mutex::new(HashMap::new()),
            index,
            arch_catalogues: Mutex::new(HashMap::new()),
            page_pythons,
        }
    }

    /// The catalogue of one arch label (for the page), shared.
    pub(crate) fn arch_catalogue(&self, arch: &str) -> Option<Arc<Catalogue>> {
        if !self.catalogue.find_links.0.iter().any(|l| l.arch == arch) {
            return None;
        }
        let mut cache = self.arch_catalogues.lock().expect("not poisoned");
        Some(
            cache
                .entry(arch.to_string())
                .or_insert_with(|| {
                    let keep: Vec<bool> = self
                        .catalogue
                        .find_links
                        .0
                        .iter()
                        .map(|l| l.arch == arch)
                        .collect();
                    Arc::new(Catalogue {
                        find_links: FindLinks(self.catalogue.find_links.0.clone()),
                        entries: self
                            .catalogue
                            .entries
                            .iter()
                            .filter(|e| keep[e.find_link])
                            .cloned()
                            .collect(),
                        warnings: Vec::new(),
                        directories: Vec::new(),
                    })
                })
                .clone(),
        )
    }
}

/// The server's shared state.
#[derive(Debug)]
pub(crate) struct Site {
    pub options: ServeOptions,
    snapshot: RwLock<Arc<Snapshot>>,
    pub hashes: HashCache,
    started: Instant,
    /// Milliseconds since `started` of the last freshness check.
    last_check: AtomicU64,
    refreshing: Mutex<()>,
}

impl Site {
    pub(crate) fn new(options: ServeOptions) -> Self {
        let snapshot = Snapshot::build(&options, true);
        let hashes = HashCache::load(options.index_dir.as_deref());
        Self {
            options,
            snapshot: RwLock::new(Arc::new(snapshot)),
            hashes,
            started: Instant::now(),
            last_check: AtomicU64::new(0),
            refreshing: Mutex::new(()),
        }
    }

    /// The current snapshot; at most every [`crate::CHECK_INTERVAL`], one caller checks the
    /// directories' mtimes and rebuilds it when the wheelhouse changed.
    pub(crate) fn snapshot(&self) -> Arc<Snapshot> {
        let current = self.snapshot.read().expect("not poisoned").clone();
        let now = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let last = self.last_check.load(Ordering::Relaxed);
        let interval = u64::try_from(crate::CHECK_INTERVAL.as_millis()).unwrap_or(250);
        if now.saturating_sub(last) < interval {
            return current;
        }
        let Ok(_guard) = self.refreshing.try_lock() else {
            return current;
        };
        self.last_check.store(now, Ordering::Relaxed);
        if current.catalogue.is_current() {
            return current;
        }
        let fresh = Arc::new(Snapshot::build(&self.options, false));
        crate::server::note(&format!(
            "the wheelhouse changed: {} wheels of {} projects listed",
            fresh.url_of.len(),
            fresh.projects.len()
        ));
        *self.snapshot.write().expect("not poisoned") = fresh.clone();
        fresh
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 17 §1: the hash cache was keyed by size and mtime, so a wheel replaced by another
    /// of the same size with the old mtime kept (`cp -p`, `rsync -t`) was served with the old
    /// file's sha256.
    #[test]
    fn a_replaced_file_with_the_same_size_and_mtime_is_hashed_again() {
        let dir = tempfile::tempdir().unwrap();
        let wheel = dir.path().join("demo-1.0-py3-none-any.whl");
        std::fs::write(&wheel, b"first").unwrap();
        let old = std::fs::metadata(&wheel).unwrap().modified().unwrap();
        let cache = HashCache::load(Some(dir.path()));
        let first = cache.info(&wheel).unwrap();
        assert_eq!(first.sha256, hex(&Sha256::digest(b"first")));
        let other = dir.path().join("other");
        std::fs::write(&other, b"other").unwrap();
        std::fs::File::options()
            .write(true)
            .open(&other)
            .unwrap()
            .set_modified(old)
            .unwrap();
        std::fs::rename(&other, &wheel).unwrap();
        let second = cache.info(&wheel).unwrap();
        assert_eq!(second.sha256, hex(&Sha256::digest(b"other")));
        // Neither was remembered on disk: both had changed in the last seconds.
        assert!(!dir.path().join(HASHES_FILE).exists());
    }

    #[test]
    fn lines_round_trip() {
        let stamp = FileStamp {
            dev: 1,
            ino: 2,
            size: 3,
            mtime_ns: 4,
            ctime_ns: 5,
        };
        let line = format!("{}\t-\t3\t4\t5\t2\t1\t>=3.9\t/w/a b.whl", "ab".repeat(32));
        let (path, info) = parse_line(&line).unwrap();
        assert_eq!(path, PathBuf::from("/w/a b.whl"));
        assert_eq!(info.stamp, stamp);
        assert_eq!(info.requires_python.as_deref(), Some(">=3.9"));
        assert!(parse_line("short\tline").is_none());
    }

    /// A wheelhouse `wh/` whose `evil` wheel and one of `mixed`'s are symbolic links to files
    /// outside it, and `inner` a link to a file inside it.
    fn wheelhouse(root: &Path) -> ServeOptions {
        let wheels = root.join("wh");
        let outside = root.join("outside");
        std::fs::create_dir_all(&wheels).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        for name in [
            "good-1.0-py3-none-any.whl",
            "mixed-2.0-py3-none-any.whl",
            "target-1.0-py3-none-any.whl",
        ] {
            std::fs::write(wheels.join(name), name).unwrap();
        }
        std::fs::write(outside.join("secret"), "secret").unwrap();
        for name in ["evil-1.0-py3-none-any.whl", "mixed-1.0-py3-none-any.whl"] {
            std::os::unix::fs::symlink(outside.join("secret"), wheels.join(name)).unwrap();
        }
        std::os::unix::fs::symlink(
            "target-1.0-py3-none-any.whl",
            wheels.join("inner-1.0-py3-none-any.whl"),
        )
        .unwrap();
        ServeOptions {
            bind: "127.0.0.1:0".parse().unwrap(),
            find_links: FindLinks::from_paths([wheels]),
            pythons: Vec::new(),
            page_pythons: Vec::new(),
            allow_manylinux: true,
            index_dir: None,
            threads: 1,
            json_log: false,
            header_timeout: std::time::Duration::from_secs(1),
        }
    }

    #[test]
    fn files_leaving_the_wheelhouse_are_not_listed() {
        let root = tempfile::tempdir().unwrap();
        let snapshot = Snapshot::build(&wheelhouse(root.path()), false);
        let projects: Vec<&str> = snapshot.projects.keys().map(String::as_str).collect();
        assert_eq!(projects, ["good", "inner", "mixed", "target"]);
        let mixed: Vec<&str> = snapshot.projects["mixed"]
            .files
            .iter()
            .map(|&index| snapshot.catalogue.entries[index].file_name())
            .collect();
        assert_eq!(mixed, ["mixed-2.0-py3-none-any.whl"]);
        let index = String::from_utf8_lossy(&snapshot.index.html).into_owned();
        assert!(!index.contains("evil"), "{index}");
        assert!(
            String::from_utf8_lossy(&snapshot.index.json).contains("\"mixed\""),
            "{index}"
        );
        for name in ["evil-1.0-py3-none-any.whl", "mixed-1.0-py3-none-any.whl"] {
            assert!(!snapshot.by_name.contains_key(name), "{name}");
            assert!(!snapshot.urls.contains_key(&format!("0/{name}")), "{name}");
        }
        assert!(snapshot.urls.contains_key("0/inner-1.0-py3-none-any.whl"));
    }
}
