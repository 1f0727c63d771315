//! Which distribution provides `import X`: an index of the wheelhouse's wheels by the
//! top-level import names they install (`sklearn` → `scikit-learn`, `cv2` → `opencv-python`,
//! `yaml` → `PyYAML`).
//!
//! The names come from each wheel's zip central directory (the first path component of every
//! member, `.data/purelib|platlib/` looked through), which is exact for every build backend;
//! `top_level.txt` is setuptools-only and may be stale. Reading a central directory costs one
//! seek and one read per wheel, so the index is built once and cached as
//! `CACHE/import-names-v1.json`, keyed by each wheel's path, size and mtime: a later query
//! reads only the wheels that are new or changed.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use wharf_site::Catalogue;

use crate::doctor::import_name_of;

/// Import names a few popular projects install, for when the wheelhouse has no wheel of them.
pub const WELL_KNOWN: &[(&str, &str)] = &[
    ("sklearn", "scikit-learn"),
    ("cv2", "opencv-python"),
    ("yaml", "PyYAML"),
    ("PIL", "pillow"),
    ("skimage", "scikit-image"),
    ("bs4", "beautifulsoup4"),
    ("dateutil", "python-dateutil"),
    ("Bio", "biopython"),
    ("attr", "attrs"),
    ("google.protobuf", "protobuf"),
    ("mpl_toolkits", "matplotlib"),
];

#[derive(Debug, Default, Serialize, Deserialize)]
struct CacheFile {
    /// Wheel path ▸ entry.
    wheels: BTreeMap<PathBuf, CachedWheel>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct CachedWheel {
    size: u64,
    mtime: (i64, i64),
    project: String,
    version: String,
    names: Vec<String>,
}

/// Import name ▸ the `(project, version)` of every wheel that installs it, newest first.
#[derive(Debug, Default)]
pub struct ImportIndex {
    names: BTreeMap<String, BTreeSet<(String, String)>>,
    /// Wheels indexed.
    pub wheels: usize,
    /// Wheels read now (not answered by the cache).
    pub read: usize,
}

impl ImportIndex {
    /// Indexes every wheel of `catalogue`, using and refreshing the cache under `cache_dir`.
    pub fn build(catalogue: &Catalogue, cache_dir: Option<&Path>) -> Self {
        let cache_path = cache_dir.map(|d| d.join("import-names-v1.json"));
        let cache: CacheFile = cache_path
            .as_ref()
            .and_then(|p| std::fs::read(p).ok())
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        let results: Vec<(PathBuf, Option<CachedWheel>, bool)> = catalogue
            .entries
            .par_iter()
            .map(|entry| {
                let Ok(metadata) = std::fs::metadata(&entry.path) else {
                    return (entry.path.clone(), None, false);
                };
                let key = (metadata.size(), (metadata.mtime(), metadata.mtime_nsec()));
                if let Some(hit) = cache.wheels.get(&entry.path)
                    && (hit.size, hit.mtime) == key
                {
                    return (entry.path.clone(), Some(hit.clone()), false);
                }
                let names = wheel_import_names(&entry.path).unwrap_or_default();
                let wheel = CachedWheel {
                    size: key.0,
                    mtime: key.1,
                    project: entry.filename.name.to_string(),
                    version: entry.filename.version.to_string(),
                    names,
                };
                (entry.path.clone(), Some(wheel), true)
            })
            .collect();
        let mut index = Self::default();
        let mut fresh = CacheFile::default();
        for (path, wheel, read) in results {
            let Some(wheel) = wheel else { continue };
            index.wheels += 1;
            index.read += usize::from(read);
            for name in &wheel.names {
                index
                    .names
                    .entry(name.clone())
                    .or_default()
                    .insert((wheel.project.clone(), wheel.version.clone()));
            }
            fresh.wheels.insert(path, wheel);
        }
        if index.read > 0
            && let Some(path) = cache_path
            && let Ok(bytes) = serde_json::to_vec(&fresh)
        {
            let _ = std::fs::create_dir_all(path.parent().unwrap_or(Path::new(".")));
            let tmp = path.with_extension(format!("tmp{}", std::process::id()));
            if std::fs::write(&tmp, bytes).is_ok() {
                let _ = std::fs::rename(&tmp, &path);
            }
        }
        index
    }

    /// The projects whose wheels install top-level `import_name`, each once, in name order.
    pub fn providers(&self, import_name: &str) -> Vec<String> {
        let mut projects: Vec<String> = self
            .names
            .get(import_name)
            .map(|set| set.iter().map(|(p, _)| p.clone()).collect())
            .unwrap_or_default();
        projects.dedup();
        projects
    }
}

/// The top-level import names a wheel installs, from its central directory.
pub fn wheel_import_names(path: &Path) -> Option<Vec<String>> {
    let file = std::fs::File::open(path).ok()?;
    let archive = zip::ZipArchive::new(std::io::BufReader::new(file)).ok()?;
    let mut names = BTreeSet::new();
    for member in archive.file_names() {
        let Ok(member) = member else { continue };
        let member: &str = &member;
        let mut parts = member.split('/');
        let mut first = parts.next().unwrap_or_default();
        if first.ends_with(".data") {
            match parts.next() {
                Some("purelib" | "platlib") => first = parts.next().unwrap_or_default(),
                _ => continue,
            }
        }
        // A bare file at the top needs its extension to be a module; a directory needs a
        // member below it.
        let is_directory = member.len() > first.len() + 1 || member.ends_with('/');
        if !(is_directory || first.ends_with(".py") || first.ends_with(".so")) {
            continue;
        }
        if let Some(name) = import_name_of(first) {
            names.insert(name.to_string());
        }
    }
    Some(names.into_iter().collect())
}
