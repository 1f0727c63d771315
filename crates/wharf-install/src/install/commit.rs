//! The commit's plan: installed distributions removed (their files moved to the
//! transaction's backup), staged trees moved into the environment. Everything is planned
//! first (against the environment as the plan so far will leave it), journaled whole by
//! `crate::transaction`, then applied, so that any interruption can be undone.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};

use super::plan::{InstallError, InstallOptions, cancelled, with_path};
use crate::installed::{InstalledDist, normalized_name};
use crate::layout::Layout;
use crate::transaction::{Planned, Transaction};

/// `.dist-info` directories in `lib_dir` whose project (from the directory name) is in
/// `names` (normalized).
pub(super) fn installed_dist_infos(
    lib_dir: &Path,
    names: &HashSet<String>,
) -> io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    if names.is_empty() {
        return Ok(found);
    }
    let entries = match fs_err::read_dir(lib_dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(found),
        Err(error) => return Err(error),
    };
    for entry in entries {
        let entry = entry?;
        let file_name = entry.file_name();
        let Some(stem) = file_name
            .to_str()
            .and_then(|name| name.strip_suffix(".dist-info"))
        else {
            continue;
        };
        let project = stem.split_once('-').map_or(stem, |(name, _)| name);
        if names.contains(&normalized_name(project)) && entry.file_type()?.is_dir() {
            found.push(entry.path());
        }
    }
    found.sort();
    Ok(found)
}

/// Plans moving the staged tree `source` into `target`: a path that will be missing is
/// moved with one rename, an existing directory is merged into, an existing file is backed
/// up then replaced. "Existing" is as planned so far (after the removals and the wheels
/// before this one), not as on disk now: the plan is journaled whole before any change.
pub(super) fn merge(
    transaction: &mut Transaction,
    source: &Path,
    target: &Path,
    options: &InstallOptions,
) -> Result<(), InstallError> {
    let mut entries: Vec<_> = fs_err::read_dir(source)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(fs_err::DirEntry::file_name);
    for entry in entries {
        if cancelled(options) {
            return Err(InstallError::Cancelled);
        }
        let from = entry.path();
        let to = target.join(entry.file_name());
        let source_is_directory = entry.file_type()?.is_dir();
        let existing_is_directory = match transaction.planned(&to) {
            Planned::Absent => None,
            Planned::MadeDirectory => Some(true),
            Planned::At(now) => match std::fs::metadata(&now) {
                Err(error) if error.kind() == io::ErrorKind::NotFound => {
                    if std::fs::symlink_metadata(&now).is_ok() {
                        // A dangling symlink is in the way: keep it in the backup.
                        transaction.back_up(&to);
                    }
                    None
                }
                Err(error) => return Err(with_path(&error, "stat", &now).into()),
                Ok(existing) => Some(existing.is_dir()),
            },
        };
        match existing_is_directory {
            None => transaction.create(&from, &to),
            Some(true) if source_is_directory => merge(transaction, &from, &to, options)?,
            Some(true) => {
                return Err(InstallError::Conflict {
                    path: to,
                    reason: "a directory is in the way of a file of the wheel",
                });
            }
            Some(false) if source_is_directory => {
                return Err(InstallError::Conflict {
                    path: to,
                    reason: "a file is in the way of a directory of the wheel",
                });
            }
            Some(false) => {
                transaction.back_up(&to);
                transaction.create(&from, &to);
            }
        }
    }
    Ok(())
}

/// The paths to remove for one installed distribution, computed before anything moves.
pub(super) struct Removal {
    pub(super) name: String,
    pub(super) version: String,
    pub(super) dist_info: PathBuf,
    pub(super) files: Vec<PathBuf>,
}

impl Removal {
    /// Reads the `RECORD` of `dist`; adds each `.py` file's `__pycache__/{stem}.*.pyc` (any
    /// interpreter); skips paths outside the environment's scheme directories (a warning).
    pub(super) fn plan(
        dist: &InstalledDist,
        layout: &Layout,
        warnings: &mut Vec<String>,
    ) -> Result<Self, InstallError> {
        let mut files: Vec<PathBuf> = Vec::new();
        let mut seen: HashSet<PathBuf> = HashSet::new();
        let mut caches: HashMap<PathBuf, Vec<String>> = HashMap::new();
        for path in dist.files()? {
            if !layout
                .roots()
                .iter()
                .chain([&dist.site_packages()])
                .any(|root| path.starts_with(root))
            {
                warnings.push(format!(
                    "{}: `{}` is outside the environment; left in place",
                    dist.name,
                    path.display()
                ));
                continue;
            }
            if let (Some(stem), Some(parent)) = (
                path.file_name()
                    .and_then(|name| name.to_str())
                    .and_then(|name| name.strip_suffix(".py")),
                path.parent(),
            ) {
                let cache = parent.join("__pycache__");
                let names = match caches.entry(cache.clone()) {
                    std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
                    std::collections::hash_map::Entry::Vacant(entry) => {
                        entry.insert(bytecode_names(&cache)?)
                    }
                };
                let prefix = format!("{stem}.");
                for name in names.iter() {
                    if name.starts_with(&prefix) && name.ends_with(".pyc") {
                        let pyc = cache.join(name);
                        if seen.insert(pyc.clone()) {
                            files.push(pyc);
                        }
                    }
                }
                let legacy = parent.join(format!("{stem}.pyc"));
                if seen.insert(legacy.clone()) {
                    files.push(legacy);
                }
            }
            if seen.insert(path.clone()) {
                files.push(path);
            }
        }
        Ok(Self {
            name: dist.name.clone(),
            version: dist.version.clone(),
            dist_info: dist.path.clone(),
            files,
        })
    }

    /// Plans moving the files to the backup, then the `.dist-info` directory, then removing
    /// the directories left empty (never a scheme directory or one of its ancestors).
    /// Returns the number of paths to remove.
    pub(super) fn plan_into(
        &self,
        transaction: &mut Transaction,
        layout: &Layout,
    ) -> Result<usize, InstallError> {
        let mut removed = 0;
        let mut parents: BTreeSet<PathBuf> = BTreeSet::new();
        for path in &self.files {
            if transaction.planned(path) != Planned::At(path.clone()) {
                continue;
            }
            match fs_err::symlink_metadata(path) {
                Ok(metadata) if !metadata.is_dir() => {
                    transaction.back_up(path);
                    removed += 1;
                    if let Some(parent) = path.parent() {
                        parents.insert(parent.to_path_buf());
                    }
                }
                Ok(_) => {}
                // Already gone: nothing to remove.
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                // Permission denied on its directory, …: the file cannot be removed, so the
                // uninstall fails (and is rolled back) instead of orphaning it.
                Err(error) => return Err(error.into()),
            }
        }
        if transaction.planned_exists(&self.dist_info) {
            transaction.back_up(&self.dist_info);
            removed += 1;
        }
        let roots = layout.kept_directories();
        let site_packages = self.dist_info.parent().unwrap_or(&self.dist_info);
        let protected = |directory: &Path| {
            roots
                .iter()
                .chain([&site_packages])
                .any(|root| root.starts_with(directory))
        };
        let inside = |directory: &Path| {
            roots
                .iter()
                .chain([&site_packages])
                .any(|root| directory.starts_with(root))
        };
        // Deepest first, so that a parent is looked at after its children.
        let mut pending: BTreeSet<(std::cmp::Reverse<usize>, PathBuf)> = parents
            .into_iter()
            .map(|directory| (std::cmp::Reverse(directory.components().count()), directory))
            .collect();
        while let Some((_, directory)) = pending.pop_first() {
            if protected(&directory) || !inside(&directory) {
                continue;
            }
            if !transaction.planned_empty(&directory) {
                continue;
            }
            transaction.remove_empty_directory(&directory)?;
            removed += 1;
            if let Some(parent) = directory.parent() {
                pending.insert((
                    std::cmp::Reverse(parent.components().count()),
                    parent.to_path_buf(),
                ));
            }
        }
        Ok(removed)
    }
}

/// The file names in a `__pycache__` directory; none when it does not exist. Any other error
/// (permission denied) fails the removal: its `.pyc` files would be orphaned.
fn bytecode_names(cache: &Path) -> std::io::Result<Vec<String>> {
    match fs_err::read_dir(cache) {
        Ok(entries) => {
            let mut names = Vec::new();
            for entry in entries {
                if let Ok(name) = entry?.file_name().into_string() {
                    names.push(name);
                }
            }
            Ok(names)
        }
        Err(error)
            if matches!(
                error.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
            ) =>
        {
            Ok(Vec::new())
        }
        Err(error) => Err(error),
    }
}
