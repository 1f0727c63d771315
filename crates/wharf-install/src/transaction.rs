//! The transaction that makes an install or uninstall all-or-nothing.
//!
//! A transaction lives in one directory, `{purelib}/.wharf-txn-{pid}-{n}/`, on the same
//! filesystem as the environment:
//!
//! - `stage/` holds everything extracted and generated before the environment is touched;
//! - `backup/` holds every file or directory that the commit moved out of the way (removed by
//!   an upgrade, or replaced);
//! - `journal` is a write-ahead log: each change to the environment is appended (one `write`
//!   per line, so it survives the death of the process) *before* it is made.
//!
//! Changes are only renames and directory creations or removals, so undoing them is cheap and
//! cannot run out of space: a created path is removed, a backed-up path is renamed back, a
//! created directory is removed, a removed (empty) directory is created again. A `COMMIT` line
//! marks the point of no return; the directory is then deleted.
//!
//! The environment is locked for the whole transaction with `flock` on the purelib directory
//! itself (no lock file is left behind). A transaction directory found while holding that
//! lock belongs to a process that died (Ctrl-C, SIGKILL, OOM killer, node failure): it is
//! rolled back (or only deleted if it reached `COMMIT`) before anything else happens.

use std::io::{self, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Name prefix of transaction directories inside purelib.
pub(crate) const TRANSACTION_PREFIX: &str = ".wharf-txn-";

/// One change to the environment, as journaled.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Operation {
    /// A path (file or directory tree) that did not exist was created. Undo: remove it.
    Created(PathBuf),
    /// A path was moved to `backup/{name}`. Undo: move it back.
    BackedUp(PathBuf, String),
    /// An empty directory was created. Undo: remove it.
    MadeDirectory(PathBuf),
    /// An empty directory was removed. Undo: create it.
    RemovedDirectory(PathBuf),
}

/// An open transaction; dropping it without [`Transaction::commit`] rolls it back.
pub(crate) struct Transaction {
    directory: PathBuf,
    journal: std::fs::File,
    operations: Vec<Operation>,
    next_backup: usize,
    finished: bool,
    _lock: Option<std::fs::File>,
}

/// What happened to a stale transaction found by [`recover`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveredTransaction {
    /// The transaction directory (now deleted).
    pub directory: PathBuf,
    /// `true` when it had reached `COMMIT` (only cleaned up), `false` when rolled back.
    pub committed: bool,
    /// How many journaled changes were undone.
    pub undone: usize,
}

static TRANSACTION_COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Locks `directory` exclusively (blocking). `None` where the filesystem has no `flock`
/// (some parallel filesystems): the transaction then runs unlocked.
fn lock_directory(directory: &Path) -> io::Result<Option<std::fs::File>> {
    let handle = fs_err::File::open(directory)?.into_file();
    match handle.lock() {
        Ok(()) => Ok(Some(handle)),
        Err(_) => Ok(None),
    }
}

impl Transaction {
    /// Locks `parent` (purelib), recovers stale transactions in it, and creates a new
    /// transaction directory with `stage/` and `backup/`.
    pub(crate) fn begin(parent: &Path) -> io::Result<(Self, Vec<RecoveredTransaction>)> {
        fs_err::create_dir_all(parent)?;
        let lock = lock_directory(parent)?;
        let recovered = recover_locked(parent)?;
        let directory = loop {
            let candidate = parent.join(format!(
                "{TRANSACTION_PREFIX}{}-{}",
                std::process::id(),
                TRANSACTION_COUNTER.fetch_add(1, Ordering::Relaxed)
            ));
            match std::fs::create_dir(&candidate) {
                Ok(()) => break candidate,
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
                Err(error) => return Err(error),
            }
        };
        let created = (|| {
            fs_err::create_dir(directory.join("stage"))?;
            fs_err::create_dir(directory.join("backup"))?;
            fs_err::OpenOptions::new()
                .create_new(true)
                .append(true)
                .open(directory.join("journal"))
        })();
        let journal = match created {
            Ok(journal) => journal.into_file(),
            Err(error) => {
                let _ = std::fs::remove_dir_all(&directory);
                return Err(error);
            }
        };
        Ok((
            Self {
                directory,
                journal,
                operations: Vec::new(),
                next_backup: 0,
                finished: false,
                _lock: lock,
            },
            recovered,
        ))
    }

    /// The staging directory: everything is extracted here before the commit.
    pub(crate) fn stage(&self) -> PathBuf {
        self.directory.join("stage")
    }

    fn log(&mut self, operation: Operation) -> io::Result<()> {
        let mut line = Vec::with_capacity(128);
        match &operation {
            Operation::Created(path) => {
                line.extend_from_slice(b"C ");
                escape_into(path.as_os_str().as_bytes(), &mut line);
            }
            Operation::BackedUp(path, name) => {
                line.extend_from_slice(b"B ");
                escape_into(path.as_os_str().as_bytes(), &mut line);
                line.push(b' ');
                escape_into(name.as_bytes(), &mut line);
            }
            Operation::MadeDirectory(path) => {
                line.extend_from_slice(b"M ");
                escape_into(path.as_os_str().as_bytes(), &mut line);
            }
            Operation::RemovedDirectory(path) => {
                line.extend_from_slice(b"R ");
                escape_into(path.as_os_str().as_bytes(), &mut line);
            }
        }
        line.push(b'\n');
        self.journal.write_all(&line)?;
        self.operations.push(operation);
        Ok(())
    }

    /// Moves `staged` to `target`, which must not exist (journaled as created).
    pub(crate) fn create(&mut self, staged: &Path, target: &Path) -> io::Result<()> {
        self.log(Operation::Created(target.to_path_buf()))?;
        move_path(staged, target)
    }

    /// Moves the existing `target` into the backup directory (journaled).
    pub(crate) fn back_up(&mut self, target: &Path) -> io::Result<()> {
        let name = self.next_backup.to_string();
        self.next_backup += 1;
        self.log(Operation::BackedUp(target.to_path_buf(), name.clone()))?;
        move_path(target, &self.directory.join("backup").join(name))
    }

    /// Creates the missing directory `directory` (its parent must exist; journaled).
    pub(crate) fn make_directory(&mut self, directory: &Path) -> io::Result<()> {
        self.log(Operation::MadeDirectory(directory.to_path_buf()))?;
        fs_err::create_dir(directory)
    }

    /// Creates `directory` and its missing ancestors, each journaled.
    pub(crate) fn make_directory_all(&mut self, directory: &Path) -> io::Result<()> {
        let mut missing = Vec::new();
        let mut current = directory;
        while std::fs::symlink_metadata(current).is_err() {
            missing.push(current.to_path_buf());
            match current.parent() {
                Some(parent) => current = parent,
                None => break,
            }
        }
        for directory in missing.iter().rev() {
            self.make_directory(directory)?;
        }
        Ok(())
    }

    /// Removes the empty directory `directory` (journaled).
    pub(crate) fn remove_empty_directory(&mut self, directory: &Path) -> io::Result<()> {
        self.log(Operation::RemovedDirectory(directory.to_path_buf()))?;
        fs_err::remove_dir(directory)
    }

    /// Marks the transaction committed, then deletes its directory (backups included).
    /// Errors of the deletion are returned as warnings: the environment is already final.
    pub(crate) fn commit(mut self) -> io::Result<Vec<String>> {
        self.journal.write_all(b"COMMIT\n")?;
        self.finished = true;
        let mut warnings = Vec::new();
        if let Err(error) = fs_err::remove_dir_all(&self.directory) {
            warnings.push(format!("could not clean up the transaction: {error}"));
        }
        Ok(warnings)
    }

    /// Undoes every journaled change in reverse order, then deletes the directory. On failure
    /// the directory is kept so that the next transaction (or [`recover`]) can retry.
    pub(crate) fn rollback(mut self) -> Result<(), Vec<io::Error>> {
        self.finished = true;
        let operations = std::mem::take(&mut self.operations);
        let errors = undo(&operations, &self.directory.join("backup"));
        if errors.is_empty() {
            let _ = std::fs::remove_dir_all(&self.directory);
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// The transaction directory.
    pub(crate) fn directory(&self) -> &Path {
        &self.directory
    }
}

impl Drop for Transaction {
    fn drop(&mut self) {
        if !self.finished {
            let operations = std::mem::take(&mut self.operations);
            if undo(&operations, &self.directory.join("backup")).is_empty() {
                let _ = std::fs::remove_dir_all(&self.directory);
            }
        }
    }
}

/// Undoes `operations` in reverse order; returns the errors (an absent path is no error).
fn undo(operations: &[Operation], backup: &Path) -> Vec<io::Error> {
    let mut errors = Vec::new();
    for operation in operations.iter().rev() {
        let result = match operation {
            Operation::Created(path) => remove_any(path),
            Operation::BackedUp(path, name) => {
                let saved = backup.join(name);
                if std::fs::symlink_metadata(&saved).is_ok() {
                    remove_any(path).and_then(|()| move_path(&saved, path))
                } else {
                    Ok(())
                }
            }
            Operation::MadeDirectory(path) => match std::fs::remove_dir(path) {
                Err(error) if error.kind() != io::ErrorKind::NotFound => {
                    Err(fs_err::remove_dir(path).unwrap_err())
                }
                _ => Ok(()),
            },
            Operation::RemovedDirectory(path) => match std::fs::create_dir(path) {
                Err(error) if error.kind() != io::ErrorKind::AlreadyExists => {
                    Err(fs_err::create_dir(path).unwrap_err())
                }
                _ => Ok(()),
            },
        };
        if let Err(error) = result {
            errors.push(error);
        }
    }
    errors
}

/// Removes a file, symlink or directory tree; an absent path is fine.
pub(crate) fn remove_any(path: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(error),
        Ok(metadata) if metadata.is_dir() => fs_err::remove_dir_all(path),
        Ok(_) => fs_err::remove_file(path),
    }
}

/// Renames `from` to `to`; across filesystems (`EXDEV`), copies then removes.
pub(crate) fn move_path(from: &Path, to: &Path) -> io::Result<()> {
    match fs_err::rename(from, to) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::CrossesDevices => {
            copy_recursive(from, to)?;
            remove_any(from)
        }
        Err(error) => Err(error),
    }
}

fn copy_recursive(from: &Path, to: &Path) -> io::Result<()> {
    let metadata = fs_err::symlink_metadata(from)?;
    if metadata.is_dir() {
        fs_err::create_dir(to)?;
        for entry in fs_err::read_dir(from)? {
            let entry = entry?;
            copy_recursive(&entry.path(), &to.join(entry.file_name()))?;
        }
        fs_err::set_permissions(to, metadata.permissions())
    } else if metadata.file_type().is_symlink() {
        std::os::unix::fs::symlink(fs_err::read_link(from)?, to)
    } else {
        fs_err::copy(from, to).map(|_| ())
    }
}

/// Escapes bytes that would break a journal line (space, newline, `%`, non-printables).
fn escape_into(bytes: &[u8], out: &mut Vec<u8>) {
    for &byte in bytes {
        if byte.is_ascii_graphic() && byte != b'%' {
            out.push(byte);
        } else {
            out.extend_from_slice(format!("%{byte:02X}").as_bytes());
        }
    }
}

fn unescape(text: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    let mut index = 0;
    while index < text.len() {
        if text[index] == b'%' {
            let hex = std::str::from_utf8(text.get(index + 1..index + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            index += 3;
        } else {
            out.push(text[index]);
            index += 1;
        }
    }
    Some(out)
}

fn parse_journal(bytes: &[u8]) -> (Vec<Operation>, bool) {
    let mut operations = Vec::new();
    let mut committed = false;
    // A torn last line (no `\n`) was never acted upon: it is ignored.
    let complete = match bytes.iter().rposition(|&byte| byte == b'\n') {
        Some(end) => &bytes[..=end],
        None => &[],
    };
    for line in complete.split(|&byte| byte == b'\n') {
        if line == b"COMMIT" {
            committed = true;
            continue;
        }
        let mut fields = line.split(|&byte| byte == b' ');
        let (Some(tag), Some(first)) = (fields.next(), fields.next()) else {
            continue;
        };
        let Some(path) =
            unescape(first).map(|bytes| PathBuf::from(std::ffi::OsString::from_vec(bytes)))
        else {
            continue;
        };
        let operation = match tag {
            b"C" => Operation::Created(path),
            b"M" => Operation::MadeDirectory(path),
            b"R" => Operation::RemovedDirectory(path),
            b"B" => {
                let Some(name) = fields
                    .next()
                    .and_then(unescape)
                    .and_then(|bytes| String::from_utf8(bytes).ok())
                else {
                    continue;
                };
                Operation::BackedUp(path, name)
            }
            _ => continue,
        };
        operations.push(operation);
    }
    (operations, committed)
}

/// Rolls back (or, past `COMMIT`, deletes) every stale transaction in `purelib`, taking the
/// environment lock first. Call it to repair an environment after a crash; every install
/// and uninstall also does it first.
///
/// Errors: the lock or the directory listing failing, or an undo step failing (the
/// transaction directory is then kept for a later retry).
pub fn recover(purelib: &Path) -> io::Result<Vec<RecoveredTransaction>> {
    let _lock = lock_directory(purelib)?;
    recover_locked(purelib)
}

fn recover_locked(purelib: &Path) -> io::Result<Vec<RecoveredTransaction>> {
    let mut recovered = Vec::new();
    for entry in fs_err::read_dir(purelib)? {
        let entry = entry?;
        if !entry
            .file_name()
            .as_bytes()
            .starts_with(TRANSACTION_PREFIX.as_bytes())
        {
            continue;
        }
        let directory = entry.path();
        let journal = match std::fs::read(directory.join("journal")) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(error) => return Err(error),
        };
        let (operations, committed) = parse_journal(&journal);
        let undone = if committed {
            0
        } else {
            let errors = undo(&operations, &directory.join("backup"));
            if let Some(error) = errors.into_iter().next() {
                return Err(error);
            }
            operations.len()
        };
        fs_err::remove_dir_all(&directory)?;
        recovered.push(RecoveredTransaction {
            directory,
            committed,
            undone,
        });
    }
    Ok(recovered)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_round_trips_odd_paths() {
        let mut bytes = Vec::new();
        for (tag, path) in [("C ", "/a b/100%\n"), ("M ", "/x/\u{e9}")] {
            bytes.extend_from_slice(tag.as_bytes());
            escape_into(path.as_bytes(), &mut bytes);
            bytes.push(b'\n');
        }
        bytes.extend_from_slice(b"B /t 3\nR /torn");
        let (operations, committed) = parse_journal(&bytes);
        assert!(!committed);
        assert_eq!(
            operations,
            vec![
                Operation::Created("/a b/100%\n".into()),
                Operation::MadeDirectory("/x/\u{e9}".into()),
                Operation::BackedUp("/t".into(), "3".into()),
            ]
        );
    }

    #[test]
    fn recover_undoes_a_dead_transaction() {
        let root = tempfile::tempdir().unwrap();
        let site = root.path();
        fs_err::write(site.join("old.py"), "old").unwrap();
        let (mut transaction, _) = Transaction::begin(site).unwrap();
        transaction.back_up(&site.join("old.py")).unwrap();
        let staged = transaction.stage().join("new.py");
        fs_err::write(&staged, "new").unwrap();
        transaction.create(&staged, &site.join("new.py")).unwrap();
        transaction.make_directory(&site.join("pkg")).unwrap();
        // Simulate the death of the process: nothing runs at drop.
        transaction.finished = true;
        drop(transaction);
        let recovered = recover(site).unwrap();
        assert_eq!(recovered.len(), 1);
        assert_eq!(recovered[0].undone, 3);
        let mut names: Vec<String> = fs_err::read_dir(site)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["old.py"]);
        assert_eq!(fs_err::read_to_string(site.join("old.py")).unwrap(), "old");
    }
}
