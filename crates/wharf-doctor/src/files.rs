//! `RECORD` verification: every file an installed distribution lists still exists, with the
//! size and sha256 it was installed with (`wharf check --files`, and the quick form `wharf
//! doctor` uses).
//!
//! Traps:
//! - pip copies the hashes of a wheel's own `RECORD` into the installed `RECORD` for files it
//!   does not modify. The site re-tags wheels (`+computecanada`) and rewrites `METADATA` (and
//!   patches `.so` files) without updating the wheel's `RECORD`, so a pip-installed site wheel
//!   lists stale hashes from day one. A mismatch in such a distribution (version with
//!   `computecanada`, installer not wharf) is reported as [`FileProblem::stale_record`]: a
//!   note, not damage. wharf hashes what it writes, so its `RECORD`s are exact.
//! - Entries without a hash (`RECORD` itself, some `.pyc`) are not checked: a missing
//!   bytecode file is rebuilt by Python.
//! - [`VerifyMode::Quick`] trusts a file whose size matches and whose mtime is not newer than
//!   `RECORD`'s (installed files keep the wheel's or the cache's older mtime), and hashes the
//!   rest: a deleted file (the scratch purge) or an edited one is still found, at the cost of
//!   one `stat` per file.

use std::os::unix::fs::MetadataExt as _;
use std::path::{Component, Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;
use wharf_digest::DigestCache;
use wharf_install::{InstalledDist, RecordEntry};

/// How thoroughly [`verify_files`] checks each file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyMode {
    /// Size and sha256 of every hashed entry (`wharf check --files`).
    Full,
    /// Existence and size of every entry; sha256 only when the file is newer than `RECORD`
    /// (`wharf doctor`).
    Quick,
}

/// What is wrong with one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum FileDamage {
    /// The file does not exist.
    Missing,
    /// The size differs. Ex) `expected 34549, found 0`
    Size {
        /// The size in `RECORD`.
        expected: u64,
        /// The size on disk.
        found: u64,
    },
    /// The sha256 differs (same size).
    Hash {
        /// The hash in `RECORD`, `sha256=…`.
        expected: String,
        /// The hash of the file, `sha256=…`.
        found: String,
    },
    /// The file exists but cannot be read. Ex) `Permission denied (os error 13)`
    Unreadable {
        /// The IO error.
        error: String,
    },
}

impl std::fmt::Display for FileDamage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Missing => f.write_str("missing"),
            Self::Size { expected, found } => {
                write!(f, "size changed (RECORD {expected} bytes, file {found})")
            }
            Self::Hash { expected, found } => {
                write!(f, "content changed (RECORD {expected}, file {found})")
            }
            Self::Unreadable { error } => write!(f, "unreadable ({error})"),
        }
    }
}

/// One file of one distribution that is not as `RECORD` says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileProblem {
    /// The distribution's name, as in `METADATA`.
    pub dist: String,
    /// Its version.
    pub version: String,
    /// The path as written in `RECORD`, ex) `numpy/__init__.py`.
    pub record_path: String,
    /// The absolute path.
    pub path: PathBuf,
    /// What is wrong.
    pub damage: FileDamage,
    /// A changed hash or size in a distribution whose `RECORD` came from a re-tagged site
    /// wheel through pip (see the module docs): most likely not damage.
    pub stale_record: bool,
    /// How many other hard links the changed file has (`st_nlink - 1`): an installed file
    /// linked from the wheel cache shares its inode with the cache entry and with every
    /// environment made from it, so an edit in place is seen there too. 0 for a missing or
    /// unshared file.
    pub other_links: u64,
}

impl FileProblem {
    /// The note for a changed file shared through hard links, ex) ` (2 other hard links
    /// share this change: the wheel cache and environments made from it)`; empty otherwise.
    pub fn shared_note(&self) -> String {
        match self.other_links {
            0 => String::new(),
            1 => " (1 other hard link shares this change: the wheel cache or an environment made from it)".to_string(),
            n => format!(
                " ({n} other hard links share this change: the wheel cache and environments made from it)"
            ),
        }
    }
}

/// The hint for changed files shared through hard links: which environments see the edit and
/// how to repair them. `None` when no changed file is shared.
pub fn shared_hint(report: &FilesReport) -> Option<String> {
    let shared = report.damage().filter(|p| p.other_links > 0).count();
    (shared > 0).then(|| {
        format!(
            "{shared} changed files are hard links shared with the wheel cache and every environment made from it: \
             new environments get the wheel's bytes (wharf checks cache entries before linking), \
             but existing ones see the edit too; run `wharf check --files --python ENV` in each and \
             `wharf install --reinstall NAME==VERSION --python ENV` where it reports; \
             `--link-mode clone` (XFS, Btrfs) or `copy` gives environments files of their own"
        )
    })
}

/// The result of [`verify_files`].
#[derive(Debug, Clone, Default, Serialize)]
pub struct FilesReport {
    /// Distributions whose `RECORD` was read.
    pub dists: usize,
    /// Files checked.
    pub files: usize,
    /// Bytes hashed.
    pub bytes_hashed: u64,
    /// The files that are not as recorded, in distribution then `RECORD` order.
    pub problems: Vec<FileProblem>,
    /// Distributions whose `RECORD` could not be read: `(name, error)`.
    pub unreadable: Vec<(String, String)>,
}

impl FilesReport {
    /// The problems that are damage (not [`FileProblem::stale_record`]).
    pub fn damage(&self) -> impl Iterator<Item = &FileProblem> {
        self.problems.iter().filter(|p| !p.stale_record)
    }
}

/// Whether `RECORD` mismatches of `dist` are expected (see the module docs).
fn record_may_be_stale(dist: &InstalledDist) -> bool {
    dist.version.contains("computecanada") && dist.installer.as_deref() != Some("wharf")
}

/// A distribution's `RECORD` rows and `RECORD`'s mtime, or why they cannot be read.
type Record = Result<(Vec<RecordEntry>, (i64, i64)), String>;

/// Verifies the `RECORD` of every distribution of `dists`, file by file, in parallel on the
/// current rayon pool. `.egg-info` distributions (no `RECORD`) are skipped. Files are hashed
/// through `digests`: a file hashed by an earlier run and unchanged since (same device, inode,
/// size, mtime and ctime) is not read again ([`wharf_digest::DigestCache::disabled`] reads
/// every file).
pub fn verify_files(
    dists: &[InstalledDist],
    mode: VerifyMode,
    digests: &DigestCache,
) -> FilesReport {
    struct Job {
        dist: usize,
        entry: RecordEntry,
        path: PathBuf,
        record_mtime: (i64, i64),
    }
    let mut report = FilesReport::default();
    let records: Vec<(usize, Record)> = dists
        .par_iter()
        .enumerate()
        .filter(|(_, d)| d.path.is_dir())
        .map(|(i, dist)| {
            let record = dist.record().map_err(|e| e.to_string()).map(|entries| {
                let mtime = std::fs::metadata(dist.path.join("RECORD"))
                    .map_or((i64::MAX, 0), |m| (m.mtime(), m.mtime_nsec()));
                (entries, mtime)
            });
            (i, record)
        })
        .collect();
    let mut jobs = Vec::new();
    for (i, record) in records {
        match record {
            Ok((entries, record_mtime)) => {
                report.dists += 1;
                let base = dists[i].site_packages();
                for entry in entries {
                    if entry.hash.is_none() {
                        continue;
                    }
                    jobs.push(Job {
                        dist: i,
                        path: normalize(&base.join(&entry.path)),
                        entry,
                        record_mtime,
                    });
                }
            }
            Err(error) => report.unreadable.push((dists[i].name.clone(), error)),
        }
    }
    report.files = jobs.len();
    let results: Vec<((Option<FileDamage>, u64), u64)> = jobs
        .par_iter()
        .with_min_len(8)
        .map(|job| check_one(&job.path, &job.entry, job.record_mtime, mode, digests))
        .collect();
    for (job, ((damage, other_links), hashed)) in jobs.into_iter().zip(results) {
        report.bytes_hashed += hashed;
        if let Some(damage) = damage {
            let dist = &dists[job.dist];
            let stale_record = matches!(damage, FileDamage::Size { .. } | FileDamage::Hash { .. })
                && record_may_be_stale(dist);
            report.problems.push(FileProblem {
                dist: dist.name.clone(),
                version: dist.version.clone(),
                record_path: job.entry.path,
                path: job.path,
                damage,
                stale_record,
                other_links,
            });
        }
    }
    report
}

/// Checks one file; returns the damage, if any, with the file's other hard links, and the
/// bytes read to hash it.
fn check_one(
    path: &Path,
    entry: &RecordEntry,
    record_mtime: (i64, i64),
    mode: VerifyMode,
    digests: &DigestCache,
) -> ((Option<FileDamage>, u64), u64) {
    let (damage, read) = check_contents(path, entry, record_mtime, mode, digests);
    // Only a changed file pays the extra `lstat`.
    let links = match damage {
        Some(FileDamage::Size { .. } | FileDamage::Hash { .. }) => {
            std::fs::symlink_metadata(path).map_or(0, |m| m.nlink().saturating_sub(1))
        }
        _ => 0,
    };
    ((damage, links), read)
}

/// Checks one file's existence, size and hash; returns the damage, if any, and the bytes read
/// to hash it.
fn check_contents(
    path: &Path,
    entry: &RecordEntry,
    record_mtime: (i64, i64),
    mode: VerifyMode,
    digests: &DigestCache,
) -> (Option<FileDamage>, u64) {
    let metadata = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return (Some(FileDamage::Missing), 0);
        }
        Err(e) => {
            return (
                Some(FileDamage::Unreadable {
                    error: e.to_string(),
                }),
                0,
            );
        }
    };
    if let Some(expected) = entry.size
        && expected != metadata.len()
    {
        return (
            Some(FileDamage::Size {
                expected,
                found: metadata.len(),
            }),
            0,
        );
    }
    let newer = (metadata.mtime(), metadata.mtime_nsec()) > record_mtime;
    if mode == VerifyMode::Quick && !newer {
        return (None, 0);
    }
    let Some(expected) = entry.hash.as_deref() else {
        return (None, 0);
    };
    let Some(expected_digest) = expected
        .strip_prefix("sha256=")
        .and_then(|d| data_encoding::BASE64URL_NOPAD.decode(d.as_bytes()).ok())
    else {
        // Another algorithm (sha384…) or a malformed hash: nothing to compare with.
        return (None, 0);
    };
    match digests.sha256_of(path, &metadata) {
        Ok(digest) => {
            let read = if digest.cached { 0 } else { digest.size };
            if digest.sha256.as_slice() == expected_digest.as_slice() {
                (None, read)
            } else {
                let damage = FileDamage::Hash {
                    expected: expected.to_string(),
                    found: digest.record_hash(),
                };
                (Some(damage), read)
            }
        }
        Err(e) => (
            Some(FileDamage::Unreadable {
                error: e.to_string(),
            }),
            0,
        ),
    }
}

/// Lexical normalization (`..` pops), like `os.path.normpath`.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dist(dir: &Path, files: &[(&str, &[u8])]) -> InstalledDist {
        let info = dir.join("demo-1.0.dist-info");
        std::fs::create_dir_all(&info).unwrap();
        std::fs::write(info.join("METADATA"), "Name: demo\nVersion: 1.0\n").unwrap();
        let mut record = String::new();
        for (name, content) in files {
            std::fs::write(dir.join(name), content).unwrap();
            let digest = DigestCache::disabled().sha256(&dir.join(name)).unwrap();
            record.push_str(&format!(
                "{name},{},{}\n",
                digest.record_hash(),
                content.len()
            ));
        }
        record.push_str("demo-1.0.dist-info/RECORD,,\n");
        std::fs::write(info.join("RECORD"), record).unwrap();
        InstalledDist::read(&info).unwrap()
    }

    #[test]
    fn finds_missing_resized_and_edited_files() {
        let dir = tempfile::tempdir().unwrap();
        let d = dist(
            dir.path(),
            &[("a.py", b"aaa"), ("b.py", b"bbb"), ("c.py", b"ccc")],
        );
        let clean = verify_files(
            std::slice::from_ref(&d),
            VerifyMode::Full,
            &DigestCache::disabled(),
        );
        assert_eq!((clean.dists, clean.files, clean.problems.len()), (1, 3, 0));
        std::fs::remove_file(dir.path().join("a.py")).unwrap();
        std::fs::write(dir.path().join("b.py"), b"bbbb").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(dir.path().join("c.py"), b"CCC").unwrap();
        for mode in [VerifyMode::Full, VerifyMode::Quick] {
            let report = verify_files(std::slice::from_ref(&d), mode, &DigestCache::disabled());
            let kinds: Vec<String> = report
                .problems
                .iter()
                .map(|p| format!("{} {}", p.record_path, p.damage))
                .collect();
            assert_eq!(kinds.len(), 3, "{kinds:?}");
            assert!(kinds[0].starts_with("a.py missing"), "{kinds:?}");
            assert!(kinds[1].starts_with("b.py size changed"), "{kinds:?}");
            assert!(kinds[2].starts_with("c.py content changed"), "{kinds:?}");
        }
    }
}
