//! The catalogue: every wheel file of the find-links directories, its name parsed once.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use wharf_wheel_filename::{WheelFilename, WheelFilenameError, WheelFilenameParser};

use crate::find_links::FindLinks;

/// Something skipped while scanning; reported to the user, never fatal to a listing.
#[derive(Debug, thiserror::Error)]
pub enum ScanWarning {
    /// A find-links directory does not exist.
    #[error("wheel directory `{}` does not exist; skipped", path.display())]
    MissingDirectory {
        /// The directory.
        path: PathBuf,
    },
    /// A directory could not be listed (permissions, IO error).
    #[error("cannot read directory `{}`; skipped", path.display())]
    UnreadableDirectory {
        /// The directory.
        path: PathBuf,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },
    /// A file that is not a wheel (an sdist, a log) sits among the wheels.
    #[error("`{}` is not a wheel; skipped", path.display())]
    NotAWheel {
        /// The file.
        path: PathBuf,
    },
    /// A `.whl` file whose name does not follow PEP 427.
    #[error("skipped `{}`", path.display())]
    InvalidWheelFilename {
        /// The file.
        path: PathBuf,
        /// What is wrong with its name.
        #[source]
        source: WheelFilenameError,
    },
}

/// One wheel file of the catalogue.
#[derive(Clone, Debug)]
pub struct CatalogueEntry {
    /// The parsed filename.
    pub filename: WheelFilename,
    /// Index of the find-links directory it was found under (its priority; 0 is best).
    pub find_link: usize,
    /// Full path of the file.
    pub path: PathBuf,
}

impl CatalogueEntry {
    /// The file name as on disk. Ex) `numpy-1.26.4+computecanada-cp311-cp311-linux_x86_64.whl`
    pub fn file_name(&self) -> &str {
        // The path was built from a directory and a UTF-8 name: the bytes after the last
        // `/` (cheaper than `Path::file_name`'s component parsing, on a hot path).
        let bytes = self.path.as_os_str().as_encoded_bytes();
        let start = bytes.iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1);
        std::str::from_utf8(&bytes[start..]).unwrap_or_default()
    }
}

/// Every wheel found under an ordered set of find-links directories.
///
/// Entries are grouped by directory in priority order, in each directory's own listing
/// order (the order `os.walk` sees).
#[derive(Debug, Default)]
pub struct Catalogue {
    /// The directories scanned, in priority order.
    pub find_links: FindLinks,
    /// The wheels: grouped by directory in priority order, in listing order within one.
    pub entries: Vec<CatalogueEntry>,
    /// What was skipped, in the same order.
    pub warnings: Vec<ScanWarning>,
    /// Every directory walked (or read from a valid index) with the mtime it had then: the
    /// catalogue still describes the trees while each keeps it ([`Catalogue::is_current`]).
    pub directories: Vec<(PathBuf, Option<std::time::SystemTime>)>,
}

impl Catalogue {
    /// Scans every directory of `find_links` recursively (symlinked directories are not
    /// followed, as `os.walk` does), on up to `threads` threads. `keep` is called with each
    /// file name before it is parsed; files it rejects are neither parsed nor reported, which
    /// makes name queries cheap. No index is used.
    pub fn scan<F>(find_links: FindLinks, threads: usize, keep: F) -> Self
    where
        F: Fn(&str) -> bool + Sync,
    {
        Self::scan_with_index(find_links, threads, keep, None)
    }

    /// Whether every directory scanned still has the mtime it had when scanned (the catalogue
    /// index's validity rule): adding, removing or renaming a wheel makes this false. A
    /// find-links directory that was missing and still is counts as unchanged; one that appeared
    /// does not.
    pub fn is_current(&self) -> bool {
        self.directories
            .iter()
            .all(|(dir, mtime)| std::fs::metadata(dir).and_then(|m| m.modified()).ok() == *mtime)
            && self.find_links.0.iter().all(|link| {
                self.directories.iter().any(|(dir, _)| dir == &link.path) || !link.path.exists()
            })
    }

    /// [`Catalogue::scan`], reading each directory tree's file names from an index under
    /// `index_dir` when the index is still valid (see [`crate::index`]), and writing the
    /// index after a real walk. An unusable index directory only costs the walk.
    pub fn scan_with_index<F>(
        find_links: FindLinks,
        threads: usize,
        keep: F,
        index_dir: Option<&Path>,
    ) -> Self
    where
        F: Fn(&str) -> bool + Sync,
    {
        // One thread: everything on the calling thread, no pool (starting and waking pool
        // threads costs more than a 30 000-file listing takes on one). Otherwise every
        // parallel step runs in a pool of `threads` threads (the caller's, when it already
        // runs in one), so no more than that many threads work.
        let threads = threads.max(1);
        let in_pool =
            rayon::current_thread_index().is_some() && rayon::current_num_threads() <= threads;
        let pool = if threads == 1 && !in_pool {
            Err(None)
        } else if in_pool {
            Ok(None)
        } else {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .map(Some)
                .map_err(Some)
        };
        let parallel = threads > 1 && (in_pool || matches!(pool, Ok(Some(_))));
        let scan_one = |(index, link): (usize, &crate::FindLink)| {
            let cached = index_dir.and_then(|d| crate::index::load(d, &link.path, &keep));
            let listing = cached.unwrap_or_else(|| {
                let listing = Listing::walk(&link.path);
                if let Some(dir) = index_dir {
                    crate::index::store(dir, &link.path, &listing);
                }
                listing
            });
            listing.parse(index, &keep, parallel)
        };
        let results: Vec<Scanned> = match pool {
            Ok(Some(pool)) => {
                pool.install(|| find_links.0.par_iter().enumerate().map(scan_one).collect())
            }
            Ok(None) if parallel => find_links.0.par_iter().enumerate().map(scan_one).collect(),
            Ok(None) | Err(_) => find_links.0.iter().enumerate().map(scan_one).collect(),
        };
        let mut catalogue = Catalogue {
            find_links,
            ..Catalogue::default()
        };
        catalogue
            .entries
            .reserve_exact(results.iter().map(|(e, _, _)| e.len()).sum());
        for (entries, mut warnings, directories) in results {
            catalogue.entries.extend(entries);
            catalogue.directories.extend(directories);
            // Few in number: reported in a stable order (by text), unlike the entries.
            warnings.sort_by_cached_key(ToString::to_string);
            catalogue.warnings.extend(warnings);
        }
        catalogue
    }
}

/// One tree's scan: its wheels, what was skipped, its directories with their mtimes.
type Scanned = (
    Vec<CatalogueEntry>,
    Vec<ScanWarning>,
    Vec<(PathBuf, Option<std::time::SystemTime>)>,
);

/// The raw file names of one find-links directory tree, in walk order.
#[derive(Debug, Default)]
pub(crate) struct Listing {
    /// The tree's root.
    pub(crate) root: PathBuf,
    /// Directories walked: path relative to the root (`""` for the root) and mtime.
    pub(crate) dirs: Vec<(String, Option<std::time::SystemTime>)>,
    /// Files: index into `dirs` and file name.
    pub(crate) files: Vec<(u32, String)>,
    /// Problems met while walking (an index is not written when there are any).
    pub(crate) warnings: Vec<ScanWarning>,
}

impl Listing {
    /// Walks `root` as `os.walk` does (top-down, symlinked directories not followed).
    pub(crate) fn walk(root: &Path) -> Self {
        let mut listing = Listing {
            root: root.to_path_buf(),
            ..Listing::default()
        };
        if !root.exists() {
            listing.warnings.push(ScanWarning::MissingDirectory {
                path: root.to_path_buf(),
            });
            return listing;
        }
        listing.walk_dir("");
        listing
    }

    fn walk_dir(&mut self, relative: &str) {
        let dir = if relative.is_empty() {
            self.root.clone()
        } else {
            self.root.join(relative)
        };
        let mtime = std::fs::metadata(&dir).and_then(|m| m.modified()).ok();
        let reader = match std::fs::read_dir(&dir) {
            Ok(reader) => reader,
            Err(source) => {
                self.warnings
                    .push(ScanWarning::UnreadableDirectory { path: dir, source });
                return;
            }
        };
        let dir_index = u32::try_from(self.dirs.len()).unwrap_or(u32::MAX);
        self.dirs.push((relative.to_string(), mtime));
        let mut subdirs = Vec::new();
        for entry in reader {
            let Ok(entry) = entry else { continue };
            let Ok(file_type) = entry.file_type() else {
                continue;
            };
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if file_type.is_dir() {
                subdirs.push(name.to_string());
                continue;
            }
            if file_type.is_symlink() && entry.path().is_dir() {
                // os.walk lists it among the directories and does not descend.
                continue;
            }
            self.files.push((dir_index, name.to_string()));
        }
        subdirs.sort();
        for subdir in subdirs {
            let child = if relative.is_empty() {
                subdir
            } else {
                format!("{relative}/{subdir}")
            };
            self.walk_dir(&child);
        }
    }

    /// Parses the names `keep` accepts (in parallel chunks when `parallel`, in the current
    /// pool), directory order kept (as `os.walk` gives it to avail_wheels, whose stable
    /// sorts keep it for ties). Repeated names, versions and tag sets are parsed once.
    fn parse<F>(self, find_link: usize, keep: &F, parallel: bool) -> Scanned
    where
        F: Fn(&str) -> bool + Sync,
    {
        let dir_paths: Vec<&str> = self
            .dirs
            .iter()
            .map(|(relative, _)| relative.as_str())
            .collect();
        let root = self.root.to_str();
        // `root/relative/name`, as `Path::join` builds it, without its component parsing
        // (names from a directory listing hold no `/`). A root that is not UTF-8 (its
        // names are, see `walk_dir`) takes `Path::join`.
        let path_of = |dir: u32, name: &str| -> PathBuf {
            let relative = dir_paths[dir as usize];
            let Some(root) = root else {
                return self.root.join(relative).join(name);
            };
            let mut path = String::with_capacity(root.len() + relative.len() + name.len() + 2);
            path.push_str(root);
            for part in [relative, name] {
                if part.is_empty() {
                    continue;
                }
                if !path.is_empty() && !path.ends_with('/') {
                    path.push('/');
                }
                path.push_str(part);
            }
            PathBuf::from(path)
        };
        let parse_one = |parser: &mut WheelFilenameParser, (dir, name): &&(u32, String)| {
            let path = path_of(*dir, name);
            if !name.ends_with(".whl") {
                return Err(ScanWarning::NotAWheel { path });
            }
            match parser.parse(name) {
                Ok(filename) => Ok(CatalogueEntry {
                    filename,
                    find_link,
                    path,
                }),
                Err(source) => Err(ScanWarning::InvalidWheelFilename { path, source }),
            }
        };
        // Filtering first keeps the parallel step indexed, so its output is allocated once at
        // its final size (growing large vectors costs fresh, kernel-zeroed pages each time).
        let kept: Vec<&(u32, String)> = self.files.iter().filter(|(_, name)| keep(name)).collect();
        let parsed: Vec<Result<CatalogueEntry, ScanWarning>> = if parallel {
            kept.par_iter()
                .with_min_len(1024)
                .map_init(WheelFilenameParser::default, parse_one)
                .collect()
        } else {
            let mut parser = WheelFilenameParser::default();
            kept.iter()
                .map(|file| parse_one(&mut parser, file))
                .collect()
        };
        let mut entries = Vec::with_capacity(parsed.len());
        let mut warnings = Vec::new();
        for result in parsed {
            match result {
                Ok(entry) => entries.push(entry),
                Err(warning) => warnings.push(warning),
            }
        }
        let directories = self
            .dirs
            .iter()
            .map(|(relative, mtime)| {
                let dir = if relative.is_empty() {
                    self.root.clone()
                } else {
                    self.root.join(relative)
                };
                (dir, *mtime)
            })
            .collect();
        let mut all = self.warnings;
        all.append(&mut warnings);
        (entries, all, directories)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(root: &Path, rel: &str) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "").unwrap();
    }

    #[test]
    fn scan_parses_reports_and_skips() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        touch(
            r,
            "v3/numpy-2.0.0+computecanada-cp311-cp311-linux_x86_64.whl",
        );
        touch(r, "v3/sub/scipy-1.14.0-cp311-cp311-linux_x86_64.whl");
        touch(r, "generic/numpy-1.0.tar.gz");
        touch(r, "generic/bad-name.whl");
        touch(r, "generic/six-1.16.0-py2.py3-none-any.whl");
        let links = FindLinks::from_paths([r.join("v3"), r.join("generic"), r.join("missing")]);
        let catalogue = Catalogue::scan(links, 2, |_| true);
        let mut names: Vec<_> = catalogue
            .entries
            .iter()
            .map(|e| (e.filename.name.to_string(), e.find_link))
            .collect();
        names.sort();
        assert_eq!(
            names,
            [("numpy".into(), 0), ("scipy".into(), 0), ("six".into(), 1)]
        );
        let mut warnings: Vec<_> = catalogue
            .warnings
            .iter()
            .map(|w| w.to_string().replace(&r.display().to_string(), "ROOT"))
            .collect();
        warnings.sort();
        assert_eq!(
            warnings,
            [
                "`ROOT/generic/numpy-1.0.tar.gz` is not a wheel; skipped",
                "skipped `ROOT/generic/bad-name.whl`",
                "wheel directory `ROOT/missing` does not exist; skipped",
            ]
        );
    }

    #[test]
    fn keep_filter_skips_before_parsing() {
        let root = tempfile::tempdir().unwrap();
        touch(root.path(), "d/junk.txt");
        touch(root.path(), "d/six-1.16.0-py2.py3-none-any.whl");
        let links = FindLinks::from_paths([root.path().join("d")]);
        let catalogue = Catalogue::scan(links, 1, |name| name.starts_with("six-"));
        assert_eq!(catalogue.entries.len(), 1);
        assert!(catalogue.warnings.is_empty());
    }
}
