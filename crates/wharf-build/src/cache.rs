//! Built wheels, kept so that the next environment does not rebuild: `ROOT/<key>/<wheel>`.
//!
//! The key is a sha256 over the source's identity and what the build depends on: the sdist's
//! sha256, or a local tree's absolute path and state (each file's relative path, size and
//! mtime; `.git`, `build/`, `dist/`, `*.egg-info`, `__pycache__` and virtual environments
//! left out, since builds and tools write there), the interpreter (its best tag), the kind
//! (wheel or editable), build isolation and the config settings.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use sha2::{Digest, Sha256};

use crate::BuildError;

/// Directories of a source tree that are not its state.
const SKIPPED_DIRS: [&str; 10] = [
    ".git",
    ".hg",
    ".svn",
    "__pycache__",
    "build",
    "dist",
    ".venv",
    ".tox",
    ".nox",
    ".mypy_cache",
];

/// A cache key (sha256, hex).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey(pub String);

impl CacheKey {
    /// The key of `parts` (each already an identity: a hash, a tag, a flag).
    pub fn new(parts: &[&str]) -> Self {
        let mut hasher = Sha256::new();
        for part in parts {
            hasher.update(part.as_bytes());
            hasher.update([0]);
        }
        Self(data_encoding::HEXLOWER.encode(&hasher.finalize()))
    }
}

/// The sha256 (hex) of a file.
///
/// Errors: [`BuildError::Io`].
pub fn file_sha256(path: &Path) -> Result<String, BuildError> {
    let io = |source| BuildError::Io {
        action: "cannot read",
        path: path.to_path_buf(),
        source,
    };
    let mut file = fs_err::File::open(path).map_err(io)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 1 << 16];
    loop {
        let read = file.read(&mut buffer).map_err(io)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(data_encoding::HEXLOWER.encode(&hasher.finalize()))
}

/// The state of a source tree (sha256, hex): every file's relative path, size and mtime in
/// path order, build outputs left out.
///
/// Errors: [`BuildError::Io`] when a directory cannot be read.
pub fn tree_state(root: &Path) -> Result<String, BuildError> {
    let mut entries = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let read = fs_err::read_dir(&dir).map_err(|source| BuildError::Io {
            action: "cannot read",
            path: dir.clone(),
            source,
        })?;
        for entry in read.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let Ok(metadata) = entry.metadata() else {
                continue;
            };
            let path = entry.path();
            if metadata.is_dir() {
                if SKIPPED_DIRS.contains(&name.as_ref())
                    || name.ends_with(".egg-info")
                    || path.join("pyvenv.cfg").is_file()
                {
                    continue;
                }
                stack.push(path);
            } else {
                let mtime = metadata
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_nanos());
                let relative = path
                    .strip_prefix(root)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .into_owned();
                entries.push(format!("{relative}\t{}\t{mtime}", metadata.len()));
            }
        }
    }
    entries.sort();
    let mut hasher = Sha256::new();
    for entry in &entries {
        hasher.update(entry.as_bytes());
        hasher.update(b"\n");
    }
    Ok(data_encoding::HEXLOWER.encode(&hasher.finalize()))
}

/// The built-wheel cache at a root directory. Ex) `~/.cache/wharf/built-v1`
#[derive(Debug, Clone)]
pub struct BuildCache {
    /// The root.
    pub root: PathBuf,
}

impl BuildCache {
    /// The cache at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The wheel cached under `key`, if any.
    pub fn get(&self, key: &CacheKey) -> Option<PathBuf> {
        fs_err::read_dir(self.root.join(&key.0))
            .ok()?
            .flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|e| e == "whl"))
    }

    /// Moves the built `wheel` into the cache under `key` (one rename of its directory, so a
    /// concurrent reader sees all or nothing): its new path.
    ///
    /// Errors: [`BuildError::Io`].
    pub fn put(&self, key: &CacheKey, wheel: &Path) -> Result<PathBuf, BuildError> {
        let io = |action, path: &Path| {
            let path = path.to_path_buf();
            move |source| BuildError::Io {
                action,
                path,
                source,
            }
        };
        fs_err::create_dir_all(&self.root).map_err(io("cannot create", &self.root))?;
        let staging = tempfile::Builder::new()
            .prefix(".tmp-")
            .tempdir_in(&self.root)
            .map_err(io("cannot create a directory in", &self.root))?;
        let name = wheel.file_name().unwrap_or_default();
        let staged = staging.path().join(name);
        if fs_err::rename(wheel, &staged).is_err() {
            fs_err::copy(wheel, &staged).map_err(io("cannot copy", wheel))?;
        }
        let target = self.root.join(&key.0);
        let staging = staging.keep();
        match fs_err::rename(&staging, &target) {
            Ok(()) => Ok(target.join(name)),
            Err(_) if self.get(key).is_some() => {
                let _ = fs_err::remove_dir_all(&staging);
                Ok(self.get(key).unwrap_or_else(|| target.join(name)))
            }
            Err(source) => Err(BuildError::Io {
                action: "cannot store the built wheel in",
                path: target,
                source,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_state_ignores_build_outputs_and_sees_edits() {
        let dir = tempfile::tempdir().unwrap();
        fs_err::write(dir.path().join("pyproject.toml"), "x").unwrap();
        let before = tree_state(dir.path()).unwrap();
        fs_err::create_dir_all(dir.path().join("build/lib")).unwrap();
        fs_err::write(dir.path().join("build/lib/x.py"), "x").unwrap();
        fs_err::create_dir_all(dir.path().join("x.egg-info")).unwrap();
        assert_eq!(tree_state(dir.path()).unwrap(), before);
        fs_err::write(dir.path().join("x.py"), "y").unwrap();
        assert_ne!(tree_state(dir.path()).unwrap(), before);
    }

    #[test]
    fn put_then_get() {
        let dir = tempfile::tempdir().unwrap();
        let cache = BuildCache::new(dir.path().join("built"));
        let key = CacheKey::new(&["a", "b"]);
        assert_eq!(cache.get(&key), None);
        let wheel = dir.path().join("x-1.0-py3-none-any.whl");
        fs_err::write(&wheel, "zip").unwrap();
        let stored = cache.put(&key, &wheel).unwrap();
        assert_eq!(cache.get(&key), Some(stored));
    }
}
