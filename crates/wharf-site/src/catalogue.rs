//! The catalogue: every wheel file of the find-links directories, its name parsed once.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use wharf_wheel_filename::{WheelFilename, WheelFilenameError};

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
        self.path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
    }
}

/// Every wheel found under an ordered set of find-links directories.
#[derive(Debug, Default)]
pub struct Catalogue {
    /// The directories scanned, in priority order.
    pub find_links: FindLinks,
    /// The wheels: grouped by directory in priority order, sorted by path within one.
    pub entries: Vec<CatalogueEntry>,
    /// What was skipped, in the same order.
    pub warnings: Vec<ScanWarning>,
}

impl Catalogue {
    /// Scans every directory of `find_links` recursively (symlinked directories are not
    /// followed, as `os.walk` does), on up to `threads` threads, one directory tree per
    /// task. `keep` is called with each file name before it is parsed; files it rejects
    /// are neither parsed nor reported, which makes name queries cheap.
    pub fn scan<F>(find_links: FindLinks, threads: usize, keep: F) -> Self
    where
        F: Fn(&str) -> bool + Sync,
    {
        let scan_one = |(index, link): (usize, &crate::FindLink)| {
            let mut entries = Vec::new();
            let mut warnings = Vec::new();
            if !link.path.exists() {
                warnings.push(ScanWarning::MissingDirectory {
                    path: link.path.clone(),
                });
            } else {
                walk(&link.path, index, &keep, &mut entries, &mut warnings);
            }
            (entries, warnings)
        };
        // Every parallel step runs in this pool, so no more than `threads` threads work.
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.max(1))
            .build();
        let results: Vec<(Vec<CatalogueEntry>, Vec<ScanWarning>)> = match pool {
            Ok(pool) => {
                pool.install(|| find_links.0.par_iter().enumerate().map(scan_one).collect())
            }
            Err(_) => find_links.0.iter().enumerate().map(scan_one).collect(),
        };
        let mut catalogue = Catalogue {
            find_links,
            ..Catalogue::default()
        };
        for (entries, mut warnings) in results {
            catalogue.entries.extend(entries);
            // Few in number: reported in a stable order (by text), unlike the entries.
            warnings.sort_by_cached_key(ToString::to_string);
            catalogue.warnings.extend(warnings);
        }
        catalogue
    }
}

fn walk<F>(
    dir: &Path,
    find_link: usize,
    keep: &F,
    entries: &mut Vec<CatalogueEntry>,
    warnings: &mut Vec<ScanWarning>,
) where
    F: Fn(&str) -> bool,
{
    let listing = match std::fs::read_dir(dir) {
        Ok(listing) => listing,
        Err(source) => {
            warnings.push(ScanWarning::UnreadableDirectory {
                path: dir.to_path_buf(),
                source,
            });
            return;
        }
    };
    let mut files = Vec::new();
    let mut subdirs = Vec::new();
    for entry in listing {
        let Ok(entry) = entry else { continue };
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        if file_type.is_dir() {
            subdirs.push(entry.path());
            continue;
        }
        if file_type.is_symlink() && entry.path().is_dir() {
            // os.walk lists it among the directories and does not descend.
            continue;
        }
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if keep(name) {
            files.push(entry.path());
        }
    }
    // Directory order is kept (as `os.walk` gives it to avail_wheels, whose stable sorts
    // keep it for ties); names are parsed in parallel chunks.
    let parsed: Vec<Result<CatalogueEntry, ScanWarning>> = files
        .into_par_iter()
        .with_min_len(1024)
        .map(|path| {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if !name.ends_with(".whl") {
                return Err(ScanWarning::NotAWheel { path });
            }
            match name.parse::<WheelFilename>() {
                Ok(filename) => Ok(CatalogueEntry {
                    filename,
                    find_link,
                    path,
                }),
                Err(source) => Err(ScanWarning::InvalidWheelFilename { path, source }),
            }
        })
        .collect();
    for result in parsed {
        match result {
            Ok(entry) => entries.push(entry),
            Err(warning) => warnings.push(warning),
        }
    }
    subdirs.sort();
    for subdir in subdirs {
        walk(&subdir, find_link, keep, entries, warnings);
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
