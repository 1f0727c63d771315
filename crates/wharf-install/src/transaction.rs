//! The transaction that makes an install or uninstall all-or-nothing, and its recovery.
//!
//! A transaction lives in one directory, `{purelib}/.wharf-txn-{pid}-{n}/`, on the same
//! filesystem as the environment:
//!
//! - `stage/` holds everything extracted and generated before the environment is touched;
//! - `backup/` holds every file or directory that the commit moved out of the way (removed by
//!   an upgrade, or replaced): nothing of the environment is deleted before the commit point;
//! - `journal` is the write-ahead log: the *whole* plan — every rename into the backup,
//!   every rename from the stage, every directory made or removed (with its mode) — written
//!   to `journal.tmp`, `fsync`ed, renamed to `journal` and the directory `fsync`ed, before
//!   the first change to the environment;
//! - `committed` is `journal` renamed: that one rename is the commit point.
//!
//! Undoing is decided by the state of the filesystem, not by how far the process got, so it
//! is idempotent and can itself be interrupted and run again: a staged path that is back in
//! `stage/` (or was never moved) needs nothing, else it is renamed back there; a backup still
//! in `backup/` is renamed back to its place; a made directory is removed if empty; a removed
//! directory is created again with its mode. Every undo step is a rename or a directory
//! creation or removal: it cannot run out of space.
//!
//! Recovery ([`recover`], and every [`Transaction::begin`]) takes the environment lock
//! (`crate::lock`), then for each transaction directory: with `committed`, rolls forward
//! (the changes are all made: it deletes the backups and the stage); with `journal`, rolls
//! back; with neither (the process died while staging), deletes it. A transaction directory
//! is only ever touched by the lock holder, so a live transaction is never recovered.
//!
//! While the environment may be half changed — from just before the journal is in place
//! until the commit point or the end of a rollback — site-packages holds
//! [`IN_PROGRESS_PTH`], `00-wharf-transaction-in-progress.pth`: `site` runs its `import`
//! line at every interpreter start, before any other `.pth` file of the directory (they are
//! processed in sorted order, and `0` sorts before letters and `_`), and it prints one line
//! to stderr naming the environment and the fix (any wharf command on it recovers it), once
//! per process (a venv's `lib64 -> lib` link makes `site` read the directory twice).
//! So a process killed in its commit leaves an environment that Python still imports, but
//! loudly. It is removed right after the commit point, after a rollback, and by the recovery
//! of a killed transaction (or found alone, without a transaction, by any [`recover`]). It is
//! written directly into site-packages, never staged, so no `RECORD` lists it.
//!
//! Limits of that warning: a Python started with `-S` (no `site`) or that does not import
//! the environment's site-packages does not print it; a Python started while a live
//! transaction commits prints it too (the line says "interrupted, or is under way"); only a
//! file with exactly wharf's text is removed, so a wheel that ships a file of that name
//! keeps it (and its own content is what runs).
//!
//! Failpoints (cargo feature `failpoints`, for tests; `FAILPOINTS=name=panic`): `install::
//! after-stage`, `transaction::after-journal`, `transaction::after-remove` (each rename into
//! the backup, each directory removed), `transaction::after-move` (each rename from the
//! stage, each directory made), `transaction::before-commit`, `transaction::after-commit`,
//! `transaction::during-cleanup`, `transaction::during-rollback` (each undo step).

use std::collections::HashMap;
use std::io::{self, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::layout::Layout;
use crate::lock::{EnvironmentLock, LockEvent};

/// A failpoint (see the module docs): nothing unless the `failpoints` feature is on.
macro_rules! failpoint {
    ($name:literal) => {
        #[cfg(feature = "failpoints")]
        fail::fail_point!($name);
    };
}
pub(crate) use failpoint;

/// Name prefix of transaction directories inside purelib.
pub(crate) const TRANSACTION_PREFIX: &str = ".wharf-txn-";
const JOURNAL: &str = "journal";
const JOURNAL_TMP: &str = "journal.tmp";
const COMMITTED: &str = "committed";
const HEADER: &[u8] = b"wharf-journal 2\n";

/// The `.pth` file that warns while the environment may be half changed (see the module
/// docs), in purelib.
pub(crate) const IN_PROGRESS_PTH: &str = "00-wharf-transaction-in-progress.pth";

/// Its content: one `import` line, which `site` executes at interpreter start.
const IN_PROGRESS_LINE: &str = concat!(
    "import sys; hasattr(sys, '_wharf_transaction_warned') or (setattr(sys, '_wharf_transaction_warned', True), ",
    "sys.stderr.write('wharf: warning: the environment %s may be half changed (an install or uninstall into it was interrupted, or is under way): ",
    "unless a wharf command runs on it now, run any wharf command on it to finish or undo the change, e.g. `wharf check --python %s`\\n' % (sys.prefix, sys.prefix)))\n",
);

/// Writes [`IN_PROGRESS_PTH`] into `purelib`.
fn write_in_progress(purelib: &Path) -> io::Result<()> {
    fs_err::write(purelib.join(IN_PROGRESS_PTH), IN_PROGRESS_LINE)
}

/// Removes [`IN_PROGRESS_PTH`] from `purelib` if it is there with wharf's text.
fn remove_in_progress(purelib: &Path) -> io::Result<()> {
    let path = purelib.join(IN_PROGRESS_PTH);
    match std::fs::read(&path) {
        Ok(content) if content == IN_PROGRESS_LINE.as_bytes() => fs_err::remove_file(&path),
        Ok(_) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(_) => Err(fs_err::read(&path).unwrap_err()),
    }
}

/// One planned change to the environment, as journaled.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Operation {
    /// `source` (in `stage/`) is renamed to `target`, which does not exist.
    /// Undo: if `source` is gone and `target` exists, rename `target` back to `source`.
    Create { target: PathBuf, source: PathBuf },
    /// `target` is renamed to `backup/{name}`. Undo: if the backup exists, rename it back.
    BackUp { target: PathBuf, name: String },
    /// An empty directory is created. Undo: remove it if it exists and is empty.
    MakeDirectory(PathBuf),
    /// An empty directory (of this mode) is removed. Undo: create it if it is missing.
    RemoveDirectory { path: PathBuf, mode: u32 },
}

/// What a planned path will be once the planned operations ran.
#[derive(Debug, Clone)]
enum Overlay {
    Removed,
    Created(PathBuf),
    Made,
}

/// Where the content a path will have lives now, while planning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Planned {
    /// Nothing will be there.
    Absent,
    /// A directory this transaction makes (empty but for what it plans into it).
    MadeDirectory,
    /// Whatever is (or is not) at this path now: in the environment or in the stage.
    At(PathBuf),
}

/// An open transaction; dropping it without [`Transaction::commit`] rolls it back.
pub(crate) struct Transaction {
    /// purelib, which holds the transaction directory.
    parent: PathBuf,
    directory: PathBuf,
    operations: Vec<Operation>,
    overlay: HashMap<PathBuf, Overlay>,
    journaled: bool,
    finished: bool,
    _lock: EnvironmentLock,
}

/// What happened to an interrupted transaction found by [`recover`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveredTransaction {
    /// The transaction directory (now deleted).
    pub directory: PathBuf,
    /// `true` when it had reached the commit point: it was rolled forward (its backups and
    /// stage deleted); `false` when it was rolled back.
    pub committed: bool,
    /// Rolled back: how many changes to the environment were undone (0 when it died before
    /// changing anything). Rolled forward: how many changes its journal held.
    pub changes: usize,
}

static TRANSACTION_COUNTER: AtomicUsize = AtomicUsize::new(0);

fn exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// `fsync`s a directory (its entries: renames, creations); ignored where unsupported.
fn sync_directory(directory: &Path) {
    if let Ok(handle) = std::fs::File::open(directory) {
        let _ = handle.sync_all();
    }
}

impl Transaction {
    /// Takes the environment lock on `parent` (purelib; waiting while a live process holds
    /// it, `report` hears of it), recovers interrupted transactions in it, and creates a new
    /// transaction directory with `stage/` and `backup/`.
    pub(crate) fn begin(
        parent: &Path,
        cancel: Option<&AtomicBool>,
        report: &dyn Fn(LockEvent),
    ) -> io::Result<(Self, Vec<RecoveredTransaction>)> {
        fs_err::create_dir_all(parent)?;
        let lock = EnvironmentLock::acquire(parent, true, cancel, report)?
            .ok_or_else(|| io::Error::other("the environment lock was not taken"))?;
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
            fs_err::create_dir(directory.join("backup"))
        })();
        if let Err(error) = created {
            let _ = std::fs::remove_dir_all(&directory);
            return Err(error);
        }
        Ok((
            Self {
                parent: parent.to_path_buf(),
                directory,
                operations: Vec::new(),
                overlay: HashMap::new(),
                journaled: false,
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

    /// The transaction directory.
    pub(crate) fn directory(&self) -> &Path {
        &self.directory
    }

    /// Where the content that `path` will have (after the operations planned so far) is now.
    pub(crate) fn planned(&self, path: &Path) -> Planned {
        let mut ancestor = Some(path);
        while let Some(current) = ancestor {
            match self.overlay.get(current) {
                Some(Overlay::Made) if current == path => return Planned::MadeDirectory,
                // Removed, or below a made (so far empty) directory.
                Some(Overlay::Removed | Overlay::Made) => return Planned::Absent,
                Some(Overlay::Created(source)) => {
                    let rest = path.strip_prefix(current).unwrap_or(Path::new(""));
                    return if rest.as_os_str().is_empty() {
                        Planned::At(source.clone())
                    } else {
                        Planned::At(source.join(rest))
                    };
                }
                None => ancestor = current.parent(),
            }
        }
        Planned::At(path.to_path_buf())
    }

    /// Whether `path` will exist (symlinks not followed).
    pub(crate) fn planned_exists(&self, path: &Path) -> bool {
        match self.planned(path) {
            Planned::Absent => false,
            Planned::MadeDirectory => true,
            Planned::At(now) => exists(&now),
        }
    }

    /// Whether the directory `directory` (in the environment) will be empty.
    pub(crate) fn planned_empty(&self, directory: &Path) -> bool {
        let Planned::At(now) = self.planned(directory) else {
            return false;
        };
        if now != directory {
            return false;
        }
        let Ok(entries) = std::fs::read_dir(directory) else {
            return false;
        };
        for entry in entries {
            let Ok(entry) = entry else { return false };
            if self.planned_exists(&directory.join(entry.file_name())) {
                return false;
            }
        }
        !self.overlay.iter().any(|(path, overlay)| {
            !matches!(overlay, Overlay::Removed) && path.parent() == Some(directory)
        })
    }

    /// Plans moving `source` (in the stage) to `target`, which will not exist then.
    pub(crate) fn create(&mut self, source: &Path, target: &Path) {
        self.operations.push(Operation::Create {
            target: target.to_path_buf(),
            source: source.to_path_buf(),
        });
        self.overlay
            .insert(target.to_path_buf(), Overlay::Created(source.to_path_buf()));
    }

    /// Plans moving the existing `target` into the backup directory.
    pub(crate) fn back_up(&mut self, target: &Path) {
        let name = self.operations.len().to_string();
        self.operations.push(Operation::BackUp {
            target: target.to_path_buf(),
            name,
        });
        self.overlay.insert(target.to_path_buf(), Overlay::Removed);
    }

    /// Plans creating `directory` and its missing ancestors.
    pub(crate) fn make_directory_all(&mut self, directory: &Path) {
        let mut missing = Vec::new();
        let mut current = directory;
        while !self.planned_exists(current) {
            missing.push(current.to_path_buf());
            match current.parent() {
                Some(parent) => current = parent,
                None => break,
            }
        }
        for directory in missing.into_iter().rev() {
            self.operations
                .push(Operation::MakeDirectory(directory.clone()));
            self.overlay.insert(directory, Overlay::Made);
        }
    }

    /// Plans removing the directory `directory`, which will be empty then.
    pub(crate) fn remove_empty_directory(&mut self, directory: &Path) -> io::Result<()> {
        let mode = fs_err::symlink_metadata(directory)?.permissions().mode() & 0o7777;
        self.operations.push(Operation::RemoveDirectory {
            path: directory.to_path_buf(),
            mode,
        });
        self.overlay
            .insert(directory.to_path_buf(), Overlay::Removed);
        Ok(())
    }

    /// Writes the plan to the journal and makes it durable (`journal.tmp`, `fsync`, rename,
    /// `fsync` of the directory), before anything of the environment is touched; with a
    /// change to make, [`IN_PROGRESS_PTH`] is written first.
    pub(crate) fn write_journal(&mut self) -> io::Result<()> {
        let mut bytes = HEADER.to_vec();
        for operation in &self.operations {
            journal_line(operation, &mut bytes);
        }
        let temporary = self.directory.join(JOURNAL_TMP);
        let mut file = fs_err::File::create(&temporary)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        drop(file);
        if !self.operations.is_empty() {
            write_in_progress(&self.parent)?;
        }
        fs_err::rename(&temporary, self.directory.join(JOURNAL))?;
        sync_directory(&self.directory);
        self.journaled = true;
        failpoint!("transaction::after-journal");
        Ok(())
    }

    /// Runs the journaled plan in order; stops with `Interrupted` when `cancel` is raised.
    pub(crate) fn apply(&mut self, cancel: Option<&AtomicBool>) -> io::Result<()> {
        assert!(self.journaled, "the journal is written before any change");
        let backup = self.directory.join("backup");
        for operation in &self.operations {
            if cancel.is_some_and(|flag| flag.load(Ordering::Relaxed)) {
                return Err(io::Error::new(io::ErrorKind::Interrupted, "cancelled"));
            }
            match operation {
                Operation::Create { target, source } => {
                    move_path(source, target)?;
                    failpoint!("transaction::after-move");
                }
                Operation::BackUp { target, name } => {
                    move_path(target, &backup.join(name))?;
                    failpoint!("transaction::after-remove");
                }
                Operation::MakeDirectory(path) => {
                    fs_err::create_dir(path)?;
                    failpoint!("transaction::after-move");
                }
                Operation::RemoveDirectory { path, .. } => {
                    fs_err::remove_dir(path)?;
                    failpoint!("transaction::after-remove");
                }
            }
        }
        Ok(())
    }

    /// The commit point (`journal` renamed to `committed`, made durable), then the backups
    /// and the stage are deleted. Errors of the deletion are returned as warnings: the
    /// environment is already final.
    pub(crate) fn commit(mut self) -> io::Result<Vec<String>> {
        failpoint!("transaction::before-commit");
        if !self.journaled {
            self.write_journal()?;
        }
        fs_err::rename(self.directory.join(JOURNAL), self.directory.join(COMMITTED))?;
        sync_directory(&self.directory);
        self.finished = true;
        failpoint!("transaction::after-commit");
        let mut warnings = Vec::new();
        if let Err(error) = remove_in_progress(&self.parent) {
            warnings.push(format!(
                "could not remove the warning `{IN_PROGRESS_PTH}` (Python will print it until a wharf command removes it): {error}"
            ));
        }
        if let Err(error) = clean_up_committed(&self.directory) {
            warnings.push(format!("could not clean up the transaction: {error}"));
        }
        Ok(warnings)
    }

    /// Undoes every change (state-driven, in reverse order), then deletes the directory. On
    /// failure the directory is kept so that the next transaction (or [`recover`]) retries.
    pub(crate) fn rollback(mut self) -> Result<(), Vec<io::Error>> {
        self.finished = true;
        let (_, errors) = undo(&self.operations, &self.directory);
        if errors.is_empty() {
            remove_in_progress(&self.parent)
                .and_then(|()| clean_up_rolled_back(&self.directory))
                .map_err(|error| vec![error])
        } else {
            Err(errors)
        }
    }
}

impl Drop for Transaction {
    fn drop(&mut self) {
        if !self.finished {
            let (_, errors) = undo(&self.operations, &self.directory);
            if errors.is_empty() {
                let _ = remove_in_progress(&self.parent);
                let _ = clean_up_rolled_back(&self.directory);
            }
        }
    }
}

/// After a rollback: the journal goes first (nothing is left to undo; with it gone, a
/// later recovery must not "undo" the restored files again), then the rest.
fn clean_up_rolled_back(directory: &Path) -> io::Result<()> {
    for name in [JOURNAL, JOURNAL_TMP] {
        match std::fs::remove_file(directory.join(name)) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => {
                return Err(fs_err::remove_file(directory.join(name)).unwrap_err());
            }
            _ => {}
        }
    }
    sync_directory(directory);
    remove_any(directory)
}

/// After the commit point: backups and stage first, `committed` last, so that a recovery
/// interrupted here still knows it rolls forward.
fn clean_up_committed(directory: &Path) -> io::Result<()> {
    remove_any(&directory.join("backup"))?;
    failpoint!("transaction::during-cleanup");
    remove_any(&directory.join("stage"))?;
    remove_any(directory)
}

/// Undoes `operations` in reverse order, each decided by what is on disk (idempotent).
/// Returns how many changes were undone and the errors.
fn undo(operations: &[Operation], directory: &Path) -> (usize, Vec<io::Error>) {
    let backup = directory.join("backup");
    let mut undone = 0;
    let mut errors = Vec::new();
    for (index, operation) in operations.iter().enumerate().rev() {
        let result = match operation {
            Operation::Create { target, source } => {
                if exists(source) || !exists(target) {
                    Ok(false)
                } else {
                    move_path(target, source).map(|()| true)
                }
            }
            Operation::BackUp { target, name } => {
                let saved = backup.join(name);
                if !exists(&saved) {
                    Ok(false)
                } else {
                    // Only a failed earlier undo leaves something at `target`: keep it aside.
                    let displaced = directory.join(format!("displaced-{index}"));
                    let cleared = if exists(target) {
                        move_path(target, &displaced)
                    } else {
                        Ok(())
                    };
                    cleared.and_then(|()| move_path(&saved, target).map(|()| true))
                }
            }
            Operation::MakeDirectory(path) => match std::fs::remove_dir(path) {
                Ok(()) => Ok(true),
                Err(error)
                    if matches!(
                        error.kind(),
                        io::ErrorKind::NotFound | io::ErrorKind::DirectoryNotEmpty
                    ) =>
                {
                    Ok(false)
                }
                Err(_) => Err(fs_err::remove_dir(path).unwrap_err()),
            },
            Operation::RemoveDirectory { path, mode } => {
                if exists(path) {
                    Ok(false)
                } else {
                    fs_err::create_dir(path)
                        .and_then(|()| {
                            fs_err::set_permissions(path, std::fs::Permissions::from_mode(*mode))
                        })
                        .map(|()| true)
                }
            }
        };
        match result {
            Ok(true) => {
                undone += 1;
                failpoint!("transaction::during-rollback");
            }
            Ok(false) => {}
            Err(error) => errors.push(error),
        }
    }
    (undone, errors)
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

fn journal_line(operation: &Operation, line: &mut Vec<u8>) {
    match operation {
        Operation::Create { target, source } => {
            line.extend_from_slice(b"C ");
            escape_into(target.as_os_str().as_bytes(), line);
            line.push(b' ');
            escape_into(source.as_os_str().as_bytes(), line);
        }
        Operation::BackUp { target, name } => {
            line.extend_from_slice(b"B ");
            escape_into(target.as_os_str().as_bytes(), line);
            line.push(b' ');
            escape_into(name.as_bytes(), line);
        }
        Operation::MakeDirectory(path) => {
            line.extend_from_slice(b"M ");
            escape_into(path.as_os_str().as_bytes(), line);
        }
        Operation::RemoveDirectory { path, mode } => {
            line.extend_from_slice(b"R ");
            escape_into(path.as_os_str().as_bytes(), line);
            line.extend_from_slice(format!(" {mode:o}").as_bytes());
        }
    }
    line.push(b'\n');
}

/// The operations of a journal; `None` when it is not one (a foreign or damaged file).
fn parse_journal(bytes: &[u8]) -> Option<Vec<Operation>> {
    let body = bytes.strip_prefix(HEADER)?;
    let mut operations = Vec::new();
    for line in body.split(|&byte| byte == b'\n') {
        if line.is_empty() {
            continue;
        }
        let mut fields = line.split(|&byte| byte == b' ');
        let tag = fields.next()?;
        let first = unescape(fields.next()?)?;
        let path = PathBuf::from(std::ffi::OsString::from_vec(first));
        let mut second = || fields.next().and_then(unescape);
        let operation = match tag {
            b"C" => Operation::Create {
                target: path,
                source: PathBuf::from(std::ffi::OsString::from_vec(second()?)),
            },
            b"B" => Operation::BackUp {
                target: path,
                name: String::from_utf8(second()?).ok()?,
            },
            b"M" => Operation::MakeDirectory(path),
            b"R" => Operation::RemoveDirectory {
                path,
                mode: u32::from_str_radix(std::str::from_utf8(&second()?).ok()?, 8).ok()?,
            },
            _ => return None,
        };
        operations.push(operation);
    }
    Some(operations)
}

/// Finishes every interrupted transaction of the environment: rolls it back when it had
/// not reached its commit point, forward (deletes its backups and stage) when it had, and
/// deletes its directory. Every command that opens an environment calls it first; every
/// install and uninstall does it again under the lock.
///
/// Takes the environment lock without waiting: a transaction whose process is alive (it
/// holds the lock) is not interrupted and is left alone (the result is then empty). Reads
/// only (no lock file is created) when there is no transaction directory nor lock file.
///
/// Errors: the lock or a directory listing failing, a damaged journal, or an undo step
/// failing (the transaction directory is then kept for a later retry).
pub fn recover(layout: &Layout) -> io::Result<Vec<RecoveredTransaction>> {
    recover_with(layout, &|_| {})
}

/// [`recover`], telling `report` when a stale lock is broken.
pub fn recover_with(
    layout: &Layout,
    report: &dyn Fn(LockEvent),
) -> io::Result<Vec<RecoveredTransaction>> {
    let purelib = &layout.purelib;
    crate::lock::remove_dead_temporaries(purelib)?;
    if transaction_directories(purelib)?.is_empty()
        && !purelib.join(crate::lock::LOCK_NAME).exists()
    {
        // The warning alone is stale (a live transaction holds the lock file): nothing to
        // warn about. An environment this user cannot write keeps it.
        if purelib.join(IN_PROGRESS_PTH).exists() {
            let _ = remove_in_progress(purelib);
        }
        return Ok(Vec::new());
    }
    // A lock file alone (its holder died before creating its transaction directory) is
    // broken here too when stale.
    match EnvironmentLock::acquire(purelib, false, None, report)? {
        Some(_lock) => recover_locked(purelib),
        None => Ok(Vec::new()),
    }
}

fn transaction_directories(purelib: &Path) -> io::Result<Vec<PathBuf>> {
    let entries = match fs_err::read_dir(purelib) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error),
    };
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry?;
        if entry
            .file_name()
            .as_bytes()
            .starts_with(TRANSACTION_PREFIX.as_bytes())
        {
            found.push(entry.path());
        }
    }
    found.sort();
    Ok(found)
}

fn read_optional(path: &Path) -> io::Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(_) => Err(fs_err::read(path).unwrap_err()),
    }
}

fn damaged(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "`{}` is not a wharf journal; the interrupted transaction cannot be recovered automatically",
            path.display()
        ),
    )
}

fn recover_locked(purelib: &Path) -> io::Result<Vec<RecoveredTransaction>> {
    let mut recovered = Vec::new();
    for directory in transaction_directories(purelib)? {
        let committed = directory.join(COMMITTED);
        let journal = directory.join(JOURNAL);
        if let Some(bytes) = read_optional(&committed)? {
            let changes = parse_journal(&bytes).map_or(0, |operations| operations.len());
            clean_up_committed(&directory)?;
            recovered.push(RecoveredTransaction {
                directory,
                committed: true,
                changes,
            });
        } else if let Some(bytes) = read_optional(&journal)? {
            let operations = parse_journal(&bytes).ok_or_else(|| damaged(&journal))?;
            let (undone, errors) = undo(&operations, &directory);
            if let Some(error) = errors.into_iter().next() {
                return Err(error);
            }
            clean_up_rolled_back(&directory)?;
            recovered.push(RecoveredTransaction {
                directory,
                committed: false,
                changes: undone,
            });
        } else {
            // Died before its journal was durable: the environment was not touched.
            remove_any(&directory)?;
            recovered.push(RecoveredTransaction {
                directory,
                committed: false,
                changes: 0,
            });
        }
    }
    // Every transaction is finished: the environment is whole again.
    remove_in_progress(purelib)?;
    Ok(recovered)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_round_trips_odd_paths() {
        let operations = vec![
            Operation::Create {
                target: "/a b/100%\n".into(),
                source: "/s/\u{e9}".into(),
            },
            Operation::MakeDirectory("/x/\u{e9}".into()),
            Operation::BackUp {
                target: "/t".into(),
                name: "3".into(),
            },
            Operation::RemoveDirectory {
                path: "/d".into(),
                mode: 0o2755,
            },
        ];
        let mut bytes = HEADER.to_vec();
        for operation in &operations {
            journal_line(operation, &mut bytes);
        }
        assert_eq!(parse_journal(&bytes), Some(operations));
        assert_eq!(parse_journal(b"C /a /b\n"), None, "no header");
        assert_eq!(parse_journal(b"wharf-journal 2\nX /a\n"), None);
    }

    fn names(directory: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs_err::read_dir(directory)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    fn begin(site: &Path) -> Transaction {
        Transaction::begin(site, None, &|_| {}).unwrap().0
    }

    #[test]
    fn recover_undoes_a_dead_transaction_and_is_idempotent() {
        let root = tempfile::tempdir().unwrap();
        let site = root.path();
        let layout = Layout::for_venv(site, (3, 11));
        let site = &layout.purelib;
        fs_err::create_dir_all(site).unwrap();
        fs_err::write(site.join("old.py"), "old").unwrap();
        let mut transaction = begin(site);
        transaction.back_up(&site.join("old.py"));
        let staged = transaction.stage().join("old.py");
        fs_err::write(&staged, "new").unwrap();
        transaction.create(&staged, &site.join("old.py"));
        transaction.make_directory_all(&site.join("pkg"));
        transaction.write_journal().unwrap();
        transaction.apply(None).unwrap();
        assert_eq!(fs_err::read_to_string(site.join("old.py")).unwrap(), "new");
        // Simulate the death of the process: nothing runs at drop, the lock is left behind.
        transaction.finished = true;
        let directory = transaction.directory().to_path_buf();
        std::mem::forget(transaction);
        // Half a rollback, as if the process died in the middle of it: only the new file
        // went back to the stage. Running the undo again must not touch `old.py` twice.
        let journal = parse_journal(&fs_err::read(directory.join(JOURNAL)).unwrap()).unwrap();
        let (undone, errors) = undo(&journal, &directory);
        assert!(errors.is_empty());
        assert_eq!(undone, 3);
        fs_err::remove_file(site.join(crate::lock::LOCK_NAME)).unwrap();
        let recovered = recover(&layout).unwrap();
        assert_eq!(recovered.len(), 1);
        assert!(!recovered[0].committed);
        assert_eq!(recovered[0].changes, 0, "already undone");
        assert_eq!(names(site), ["old.py"]);
        assert_eq!(fs_err::read_to_string(site.join("old.py")).unwrap(), "old");
    }

    #[test]
    fn planning_sees_removals_and_creations() {
        let root = tempfile::tempdir().unwrap();
        let site = root.path();
        fs_err::create_dir_all(site.join("pkg/sub")).unwrap();
        fs_err::write(site.join("pkg/sub/a.py"), "").unwrap();
        let mut transaction = begin(site);
        assert!(!transaction.planned_empty(&site.join("pkg/sub")));
        transaction.back_up(&site.join("pkg/sub/a.py"));
        assert!(transaction.planned_empty(&site.join("pkg/sub")));
        transaction
            .remove_empty_directory(&site.join("pkg/sub"))
            .unwrap();
        assert!(transaction.planned_empty(&site.join("pkg")));
        let staged = transaction.stage().join("sub");
        fs_err::create_dir_all(staged.join("inner")).unwrap();
        transaction.create(&staged, &site.join("pkg/sub"));
        assert!(!transaction.planned_empty(&site.join("pkg")));
        assert_eq!(
            transaction.planned(&site.join("pkg/sub/inner")),
            Planned::At(staged.join("inner"))
        );
        assert!(!transaction.planned_exists(&site.join("pkg/sub/a.py")));
        transaction.make_directory_all(&site.join("new/deeper"));
        assert_eq!(
            transaction.planned(&site.join("new/deeper")),
            Planned::MadeDirectory
        );
        transaction.write_journal().unwrap();
        transaction.apply(None).unwrap();
        assert!(site.join("pkg/sub/inner").is_dir());
        assert!(site.join("new/deeper").is_dir());
        transaction.rollback().unwrap();
        assert_eq!(names(site), ["pkg"]);
        assert!(site.join("pkg/sub/a.py").is_file());
    }
}
