//! Install, record, list and uninstall wheels in a Python environment, staged and atomic.
//!
//! The installer behind `wharf install / uninstall / list / freeze`. It implements:
//!
//! - reading wheels for installation (PEP 427 binary distribution format; their core
//!   metadata is read by `wharf_metadata`);
//! - installing them ([`install()`], [`Plan`], [`Layout`]): PEP 427 installation, entry point
//!   launchers, `RECORD` / `INSTALLER` / `REQUESTED` / `direct_url.json` (recording installed
//!   projects, PEP 376, 610, 627), optional bytecode compilation, all in one transaction that
//!   is rolled back on any error and recovered after a crash ([`recover`]);
//! - reading installed distributions ([`SitePackages`], [`InstalledDist`]), uninstalling
//!   them ([`uninstall`]) and formatting `pip freeze` ([`freeze`]).
//!
//! # Installing
//!
//! [`install()`] implements the installation half of the [binary distribution format]
//! (PEP 427) the way pip 24 does it, and the [recording installed projects] specification:
//!
//! 1. **Stage** (parallel over wheels, the biggest first, and over the members of each;
//!    environment untouched): with a [wheel cache](#wheel-cache), each wheel's files are
//!    hard-linked from its cache entry (the wheel is unpacked into the cache first if it is
//!    not there yet) into `{purelib}/.wharf-txn-…/stage/{n}-{scheme}/…`; without one, its
//!    members are streamed from the zip central directory straight there, hashed while
//!    written. Either way the staging area is on the environment's filesystem, so the commit
//!    below only renames: no byte is written twice. The archive root
//!    goes to purelib or platlib per `Root-Is-Purelib`; `{dist}.data/{purelib,platlib,
//!    scripts,headers,data}/` go to their scheme directory; executable bits are kept;
//!    `#!python` shebangs in `.data/scripts` are rewritten to the environment's interpreter;
//!    `console_scripts` and `gui_scripts` entry points get launchers; `INSTALLER` (`wharf`),
//!    `REQUESTED` (for requested wheels) and `direct_url.json` (when given) are written.
//!    Optionally `.py` files are byte-compiled by the environment's interpreter. Finally
//!    `RECORD` lists every file with its real hash and size.
//! 2. **Commit** (sequential, journaled, see "Transaction" below): planned whole first, the
//!    plan journaled and `fsync`ed, then applied: the files of the distributions being
//!    removed are moved to the transaction's backup directory (and the directories they
//!    leave empty are removed), then each staged tree is moved into place — a directory that
//!    does not exist yet is moved with one `rename`, an existing one is merged into, an
//!    existing file is moved to the backup before being replaced.
//! 3. **Finish**: the commit point (`journal` renamed to `committed`), then the transaction
//!    directory (backups included) is deleted. On any error or cancel before that point every
//!    change is undone in reverse order.
//!
//! # Guarantee and its limits
//!
//! If `install` returns an error, the environment's files are as they were before the call
//! (names, contents, modes; directory modification times are not restored). If the process
//! dies (SIGKILL, out-of-memory kill, node failure) the next [`recover`] — which every
//! command that opens the environment runs, and every install and uninstall runs again
//! under the lock — rolls the interrupted transaction back, or forward when it had passed
//! its commit point. Limits: the journal is `fsync`ed before any change, but the renames
//! are not each made durable, so a power loss or kernel crash can lose some of them (the
//! rollback then finds those paths where they were); a rollback that itself fails (disk
//! removed, permissions changed under us) is reported as [`InstallError::RollbackFailed`]
//! and the transaction directory is kept for [`recover`]; the environment lock is a lock
//! file created with `O_EXCL`, which NFSv2 does not make atomic; a scheme directory on
//! another filesystem than purelib is committed by copy instead of rename, which is not
//! atomic per file; a purelib directory that does not exist yet is created before the
//! transaction starts and is left in place; other tools (pip, uv) do not take wharf's lock.
//! A plan is made before the lock is taken (resolution may be long); with
//! [`InstallOptions::expected`] the transaction first checks, under the lock, that the
//! environment still holds what the plan was made against ([`InstalledSnapshot`]), and
//! otherwise changes nothing and returns [`InstallError::EnvironmentChanged`] for the caller to
//! plan again (a change by pip or uv that has *finished* is seen; one still running is not).
//! A caller that handles Ctrl-C itself sets [`InstallOptions::cancel`] and gets
//! [`InstallError::Cancelled`] after a rollback.
//!
//! # Wheel cache
//!
//! With [`InstallOptions::cache`] set to a [`WheelCache`] (the CLI's default, under
//! `$WHARF_CACHE_DIR`, else `$XDG_CACHE_HOME/wharf`, else `~/.cache/wharf`; `wharf install
//! --no-cache` to bypass it), every wheel is unpacked once into
//! `{cache}/wheels-v2/{sha256}/` and installs link its files from there: a warm install
//! writes no file data. Details, from the [`WheelCache`] docs:
//!
//! - **Key**: the SHA-256 of the wheel's bytes, taken through the handle the install reads
//!   (or found by its `stat` stamp in `digests-v1/wheels.tsv`, so a hit reads no wheel); a
//!   wheel replaced with the same size and mtime has another entry. [`WheelInstall::sha256`]
//!   (from a lock) must match.
//! - **Entry**: the wheel's files stored by number (`0`…`255`, then `d1/256`…), one file per
//!   member, and `manifest.json` (the `.dist-info` facts an install needs, and per member:
//!   archive path, `RECORD` hash and size computed once while unpacking, executable bit, file
//!   number, and the file's inode and mtime). Warm installs neither rehash nor open the zip.
//! - **Trust**: the manifest is validated field by field and every file is `lstat`ed before
//!   it is linked (regular, recorded size, inode, mtime); a changed entry is unpacked again
//!   with a warning ([`CacheStats::refreshed`]).
//! - **Writing**: unpacked in parallel into `.tmp-{pid}-{n}/`, manifest last, then renamed
//!   into place; concurrent writers of one wheel race on that rename and the loser uses the
//!   winner's entry. A cache that cannot be written is skipped with a warning.
//! - **Per-environment files** are always written: `RECORD`, `INSTALLER`, `REQUESTED`,
//!   `direct_url.json`, entry point launchers, and `.data/scripts` files (shebang rewritten).
//! - **Links** ([`LinkMode`]): reflinks where the filesystem has them, else hard links (the
//!   default); `clone`, `hardlink`, `copy` on request. A cache on *another filesystem* than
//!   the environment is only read: hits are copied, misses are unpacked straight into the
//!   environment and not cached. Uninstalling (pip's too) just unlinks.
//! - **Administration** (for `wharf cache`): [`WheelCache::size`] (bytes and inodes, each
//!   inode once: users have inode quotas), [`WheelCache::clean`] (all entries, or one
//!   project's), [`WheelCache::prune`] (entries no environment links to, leftovers of dead
//!   writers, older buckets). Installs hold a shared lock on `{cache}/wheels.lock`; clean and
//!   prune take it exclusively and wait or fail with [`CacheError::Busy`]. Trap: with hard
//!   links, an installed file edited *in place* changes in every environment linked to it
//!   (the cache's own check catches it before the next link); use `--link-mode copy` for
//!   environments whose files you patch.
//!
//! [binary distribution format]: https://packaging.python.org/en/latest/specifications/binary-distribution-format/
//! [recording installed projects]: https://packaging.python.org/en/latest/specifications/recording-installed-packages/
//!
//! # Wheel validation
//!
//! A wheel is checked before and while it is unpacked ([`InstallOptions::verification`];
//! refusals are [`InstallError::Invalid`] and name the wheel and the member):
//!
//! - `METADATA` `Name`/`Version` must be the file name's (PEP 503 names, PEP 440 versions;
//!   pip's "inconsistent name/version");
//! - no duplicate member, no symbolic link member, no file that is also a directory, no
//!   local header that disagrees with the central directory, no absolute or `..` path;
//! - `RECORD` must exist and list every member (its signatures aside) with a `sha256=`
//!   hash, and every file's SHA-256 and size must match it. The hash is computed while the
//!   member is decompressed and written (into the environment or into the wheel cache, whose
//!   manifest keeps the verdict), so no file is read twice.
//!
//! **Site rule.** The site re-tags its wheels (`+computecanada` local version, rewritten
//! `.dist-info` and `METADATA` `Version:`, patched `.so` files) and leaves their `RECORD`
//! hashes stale. A wheel whose file name's local label ends in the site's label
//! ([`Verification::site_label`], default `computecanada`) may differ from its `RECORD` in
//! `.dist-info/` files and shared libraries (`*.so`, `*.so.N`) only: those are accepted and
//! listed in [`InstallOutput::notes`] (`wharf install -v`); any other difference is refused.
//! Its `METADATA` may also give the version without the site's label. `--no-verify-record`
//! ([`Verification::record`] `= false`) turns the `RECORD` checks off.
//!
//! # Transaction
//!
//! A transaction lives in one directory, `{purelib}/.wharf-txn-{pid}-{n}/`, on the same
//! filesystem as the environment: `stage/` (everything extracted and generated before the
//! environment is touched), `backup/` (every file or directory the commit moves out of the
//! way), and `journal`: the whole plan (renames into the backup, renames from the stage,
//! directories made or removed with their modes), written and `fsync`ed before the first
//! change. The plan is computed against the environment as the planned steps will leave it.
//! The commit point is one rename, `journal` ▸ `committed`; then the backups and the stage
//! are deleted. Undoing is decided by the filesystem's state, step by step in reverse (a
//! staged path not in `stage/` is renamed back there, a backup still in `backup/` is renamed
//! back), so it is idempotent and survives its own interruption. The environment is locked
//! for the whole transaction by `{purelib}/.wharf-lock` (see [`LockHolder`]); transaction
//! directories are only recovered by the lock holder, so a live transaction is never touched.
//! Details and failpoints: the `transaction` module.
//!
//! # Traps of the domain
//!
//! - Site wheels are re-tagged and patched after build: their `WHEEL` `Tag:` lines and their
//!   `RECORD` hashes may not match the file. The file name is trusted (`Tag:` lines are not
//!   compared with it); stale `RECORD` rows are accepted only under the site rule below; the
//!   installed `RECORD` is written from the bytes actually written.
//! - The `.dist-info` directory name need not match the file name exactly (case, `-`/`_`/`.`,
//!   local version): it is matched by PEP 503 normalized project name.
//! - `entry_points.txt` keys are case-sensitive and split at the first `=` only.
//! - `RECORD` paths are relative to the directory holding the `.dist-info` (purelib or
//!   platlib per `Root-Is-Purelib`); scripts are written as `../../../bin/x`. pip writes the
//!   file with `\r\n` line ends and sorted rows; so does this crate.
//! - `pip freeze` prints the PEP 440 *normalized* version, the `METADATA` `Name` spelling,
//!   and skips setuptools/wheel/distribute only on Python < 3.12 (pip 24.2).
//! - Every subprocess (the bytecode compiler) gets an explicit, cleared environment:
//!   `PIP_*` and `PYTHON*` variables of the caller must not leak into it.
#![deny(missing_docs)]
// Archive member and file names are matched exactly as the specifications spell them
// (`.data`, `.dist-info`, `.pyc`), never case-insensitively.
#![allow(clippy::case_sensitive_file_extension_comparisons)]

mod cache;
mod cache_admin;
mod install;
mod installed;
mod layout;
mod lock;
mod record;
mod scripts;
mod transaction;
mod verify;
mod wheel;

pub use cache::{LinkMode, WheelCache};
pub use cache_admin::{CacheError, CacheSize, CleanOutput};
pub use install::{
    CacheStats, InstallError, InstallEvent, InstallOptions, InstallOutput, InstalledWheel, Plan,
    ProgressSink, RemovedDist, WheelInstall, install, install_wheels, uninstall,
};
pub use installed::{
    FreezeOptions, InstalledDist, InstalledError, InstalledSnapshot, ScanOrder, SitePackages,
    freeze, freeze_requirement,
};
pub use layout::Layout;
pub use lock::{LockEvent, LockHolder};
pub use record::RecordEntry;
pub use transaction::{RecoveredTransaction, recover, recover_with};
pub use verify::{InvalidWheel, SITE_LOCAL_LABEL, Verification};
pub use wharf_metadata::WheelError;
