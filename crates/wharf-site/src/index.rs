//! A persistent index of each find-links directory tree's file names, so that a listing
//! does not `readdir` tens of thousands of entries on every call.
//!
//! One text file per tree under the index directory (`$WHARF_CACHE_DIR/catalogue-v1/…`):
//! the tree's root, the time it was written, every directory walked with its mtime, and
//! every file name. It is valid while every recorded directory still has the recorded mtime
//! (adding, removing or renaming an entry changes its directory's mtime, on ext4, XFS, NFS and
//! CVMFS alike). Like git's index, it is not written for a directory modified within the last
//! [`RACY_SECONDS`] (a change in the same clock tick would go unseen), nor when the walk met
//! an unreadable directory (its warning must show again). Any problem reading or writing it
//! only costs a walk.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::catalogue::Listing;

/// The header line of the format.
const MAGIC: &str = "wharf-catalogue-v1";
/// A directory modified this recently is not indexed.
pub const RACY_SECONDS: u64 = 2;

fn nanos(time: SystemTime) -> Option<u128> {
    time.duration_since(UNIX_EPOCH).ok().map(|d| d.as_nanos())
}

/// FNV-1a of the root path: the file name of its index (the root is checked inside).
fn file_for(index_dir: &Path, root: &Path) -> PathBuf {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in root.as_os_str().as_encoded_bytes() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    index_dir.join(format!("{hash:016x}"))
}

/// The listing of `root` from its index, if the index exists and is still valid, holding
/// only the file names `keep` accepts (the others are never copied out of the index).
pub(crate) fn load(
    index_dir: &Path,
    root: &Path,
    keep: &(dyn Fn(&str) -> bool + Sync),
) -> Option<Listing> {
    let text = std::fs::read_to_string(file_for(index_dir, root)).ok()?;
    let mut lines = text.split('\n');
    if lines.next()? != MAGIC {
        return None;
    }
    if lines.next()?.strip_prefix("root\t")? != root.to_str()? {
        return None;
    }
    let mut listing = Listing {
        root: root.to_path_buf(),
        ..Listing::default()
    };
    listing.files.reserve(text.len() / 48);
    for line in lines {
        if let Some(name) = line.strip_prefix("F\t") {
            let (dir, name) = name.split_once('\t')?;
            if keep(name) {
                listing.files.push((dir.parse().ok()?, name.to_string()));
            }
        } else if let Some(rest) = line.strip_prefix("D\t") {
            let (mtime, relative) = rest.split_once('\t')?;
            let dir = if relative.is_empty() {
                root.to_path_buf()
            } else {
                root.join(relative)
            };
            let actual = std::fs::metadata(&dir).and_then(|m| m.modified()).ok()?;
            if nanos(actual)? != mtime.parse::<u128>().ok()? {
                return None;
            }
            listing.dirs.push((relative.to_string(), Some(actual)));
        } else if !line.is_empty() {
            return None;
        }
    }
    Some(listing)
}

/// Writes the index of `listing` (atomically: a temporary file renamed into place), unless
/// the walk had problems or a directory changed too recently.
pub(crate) fn store(index_dir: &Path, root: &Path, listing: &Listing) {
    if !listing.warnings.is_empty() {
        return;
    }
    let Some(root_text) = root.to_str() else {
        return;
    };
    let Some(horizon) = SystemTime::now().checked_sub(Duration::from_secs(RACY_SECONDS)) else {
        return;
    };
    let mut text = format!("{MAGIC}\nroot\t{root_text}\n");
    for (relative, mtime) in &listing.dirs {
        let Some(mtime) = *mtime else { return };
        if mtime > horizon || relative.contains(['\t', '\n']) {
            return;
        }
        let Some(n) = nanos(mtime) else { return };
        let _ = writeln!(text, "D\t{n}\t{relative}");
    }
    for (dir, name) in &listing.files {
        if name.contains(['\t', '\n']) {
            return;
        }
        let _ = writeln!(text, "F\t{dir}\t{name}");
    }
    if std::fs::create_dir_all(index_dir).is_err() {
        return;
    }
    let target = file_for(index_dir, root);
    let temporary = target.with_extension(format!("tmp{}", std::process::id()));
    if std::fs::write(&temporary, text).is_ok() && std::fs::rename(&temporary, &target).is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Catalogue, FindLinks};

    fn age(path: &Path) {
        let old = SystemTime::now() - Duration::from_mins(1);
        std::fs::File::open(path)
            .unwrap()
            .set_modified(old)
            .unwrap();
    }

    fn names(c: &Catalogue) -> Vec<String> {
        let mut v: Vec<String> = c
            .entries
            .iter()
            .map(|e| e.file_name().to_string())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn index_is_written_used_and_invalidated() {
        let root = tempfile::tempdir().unwrap();
        let index = root.path().join("index");
        let wh = root.path().join("wh");
        std::fs::create_dir_all(wh.join("sub")).unwrap();
        std::fs::write(wh.join("six-1.16.0-py3-none-any.whl"), "").unwrap();
        std::fs::write(wh.join("sub/idna-3.7-py3-none-any.whl"), "").unwrap();
        age(&wh.join("sub"));
        age(&wh);
        let links = || FindLinks::from_paths([wh.clone()]);
        let first = Catalogue::scan_with_index(links(), 1, |_| true, Some(&index));
        assert_eq!(
            names(&first),
            ["idna-3.7-py3-none-any.whl", "six-1.16.0-py3-none-any.whl"]
        );
        assert!(
            load(&index, &wh, &|_| true).is_some(),
            "an aged tree is indexed"
        );

        // A valid index is used: a file hidden from readdir would not be seen, so change
        // the index itself to prove it is read.
        let file = file_for(&index, &wh);
        let text = std::fs::read_to_string(&file)
            .unwrap()
            .replace("six-1.16.0", "six-1.17.0");
        std::fs::write(&file, text).unwrap();
        let second = Catalogue::scan_with_index(links(), 1, |_| true, Some(&index));
        assert!(names(&second).contains(&"six-1.17.0-py3-none-any.whl".to_string()));

        // Adding a file changes the directory's mtime: the index is stale and rebuilt.
        std::fs::write(wh.join("sub/numpy-2.0.0-cp311-cp311-linux_x86_64.whl"), "").unwrap();
        let third = Catalogue::scan_with_index(links(), 1, |_| true, Some(&index));
        assert_eq!(
            names(&third),
            [
                "idna-3.7-py3-none-any.whl",
                "numpy-2.0.0-cp311-cp311-linux_x86_64.whl",
                "six-1.16.0-py3-none-any.whl"
            ]
        );
        assert!(
            load(&index, &wh, &|_| true).is_none(),
            "a just-modified tree is not indexed (racy)"
        );
    }

    #[test]
    fn corrupt_or_foreign_index_is_ignored() {
        let root = tempfile::tempdir().unwrap();
        let index = root.path().join("index");
        let wh = root.path().join("wh");
        std::fs::create_dir_all(&wh).unwrap();
        std::fs::write(wh.join("six-1.16.0-py3-none-any.whl"), "").unwrap();
        std::fs::create_dir_all(&index).unwrap();
        std::fs::write(file_for(&index, &wh), "garbage\n").unwrap();
        let c = Catalogue::scan_with_index(
            FindLinks::from_paths([wh.clone()]),
            1,
            |_| true,
            Some(&index),
        );
        assert_eq!(c.entries.len(), 1);
        std::fs::write(
            file_for(&index, &wh),
            format!("{MAGIC}\nroot\t/elsewhere\n"),
        )
        .unwrap();
        assert!(load(&index, &wh, &|_| true).is_none());
    }

    #[test]
    fn unreadable_tree_is_not_indexed() {
        let root = tempfile::tempdir().unwrap();
        let index = root.path().join("index");
        let missing = root.path().join("missing");
        let c = Catalogue::scan_with_index(
            FindLinks::from_paths([missing.clone()]),
            1,
            |_| true,
            Some(&index),
        );
        assert_eq!(c.warnings.len(), 1);
        assert!(load(&index, &missing, &|_| true).is_none());
    }
}
