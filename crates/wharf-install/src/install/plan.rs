//! What to install and how: the plan, its options, what an install did, and its errors.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use wharf_metadata::WheelError;

use crate::cache::{LinkMode, WheelCache};
use crate::installed::{InstalledDist, InstalledError};
use crate::transaction::RecoveredTransaction;
use crate::verify::{InvalidWheel, Verification};

/// A wheel to install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WheelInstall {
    /// The `.whl` file.
    pub path: PathBuf,
    /// Whether the user asked for it by name (writes an empty `REQUESTED`, PEP 376/627);
    /// `false` for dependencies.
    pub requested: bool,
    /// PEP 610 `direct_url.json` content to record, for wheels installed from a URL or path
    /// given directly by the user; `None` for wheels found in an index or find-links.
    pub direct_url: Option<String>,
    /// The SHA-256 (64 hex digits) the caller checked the wheel against (a lock's
    /// `hashes.sha256`, a `--hash`): the install reads the file once more through the handle
    /// it unpacks from (or finds its stamp's digest in [`InstallOptions::digests`]) and
    /// refuses other bytes ([`InstallError::HashMismatch`]); a cache hit links the entry of
    /// exactly this digest. `None`: the digest is still computed when a cache is used (entries
    /// are keyed by it).
    pub sha256: Option<String>,
    /// pip's hash-checking mode: the sha256 digests (hex) of which the wheel must have one
    /// (a requirement's `--hash=sha256:` values, one per file it may be), checked on the
    /// digest the install takes through the handle it unpacks from, before anything is
    /// committed ([`InstallError::HashMismatch`]): one read of the wheel, not a separate
    /// verification pass. Empty: not checked this way.
    pub accepted_sha256: Vec<String>,
    /// Discard the wheel's cache entry and unpack it again (`--reinstall`: the repair of an
    /// installed file edited in place, which a hard link shares with the entry).
    pub refresh_cache: bool,
}

impl WheelInstall {
    /// A wheel from an index or find-links directory, requested or not.
    pub fn new(path: impl Into<PathBuf>, requested: bool) -> Self {
        Self {
            path: path.into(),
            requested,
            direct_url: None,
            sha256: None,
            accepted_sha256: Vec::new(),
            refresh_cache: false,
        }
    }
}

/// One transaction: distributions to remove and wheels to install, applied all or nothing.
///
/// An installed distribution of the same project as a wheel in `install` (same PEP 503
/// name, in purelib or platlib) is removed too even if not listed, as pip does on upgrade or
/// reinstall.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Installed distributions to remove (found with [`crate::SitePackages::scan`]).
    pub remove: Vec<InstalledDist>,
    /// Wheels to install, in order (a later wheel's file wins over an earlier one's).
    pub install: Vec<WheelInstall>,
}

/// How to install.
#[derive(Debug, Clone)]
pub struct InstallOptions {
    /// Worker threads for unpacking and compiling (the caller derives it from
    /// `SLURM_CPUS_PER_TASK`); at least 1. Default: the available parallelism.
    pub threads: usize,
    /// Byte-compile installed `.py` files with the environment's interpreter and record the
    /// `.pyc` files (pip's default, `--compile`). Default: `false`.
    pub compile: bool,
    /// When set to `true` (by a Ctrl-C handler), the transaction stops at the next file and
    /// rolls back, returning [`InstallError::Cancelled`].
    pub cancel: Option<Arc<AtomicBool>>,
    /// The wheel cache to install from (unpacking missing wheels into it first), or `None`
    /// to unpack every wheel straight into the environment. Default: `None`.
    pub cache: Option<WheelCache>,
    /// Called (from worker threads) as the transaction advances, for a progress bar.
    /// Default: `None`.
    pub progress: Option<ProgressSink>,
    /// How wheels are validated before they are installed (`RECORD` hashes, the site rule
    /// for re-tagged wheels). Default: verification on, site label `computecanada`.
    pub verification: Verification,
    /// The distributions the plan was made against: once the transaction holds the
    /// environment lock, the environment must still hold exactly these, else nothing is changed
    /// and [`InstallError::EnvironmentChanged`] says what changed (another install, an
    /// uninstall or pip ran between the plan and the lock). `None`: not checked. Default: `None`.
    pub expected: Option<crate::InstalledSnapshot>,
    /// How cached files are put into the environment. Default: [`LinkMode::Auto`] (reflinks
    /// where the filesystem has them, else hard links).
    pub link_mode: LinkMode,
    /// The digests of wheel files known by their `stat` stamp (shared with the caller, which
    /// may have hashed the wheels already, as `sync` does to check them against the lock).
    /// `None`: the cache root's `digests-v1/wheels.tsv` is used when a cache is, and saved.
    /// Default: `None`.
    pub digests: Option<Arc<wharf_digest::DigestCache>>,
}

/// A step of [`crate::install()`], reported to [`InstallOptions::progress`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstallEvent {
    /// Staging starts: `wheels` wheel files of `bytes` bytes in all (compressed sizes).
    Started {
        /// Wheels to stage.
        wheels: usize,
        /// Their total size in bytes.
        bytes: u64,
    },
    /// One wheel is staged (unpacked or linked from the cache); `bytes` is its file size.
    WheelStaged {
        /// Its size in bytes.
        bytes: u64,
    },
    /// Byte-compiling starts (`--compile`).
    Compiling,
    /// The commit starts (renames into place).
    Committing,
    /// The environment lock: waiting for a live holder, or a stale lock broken.
    Lock(crate::LockEvent),
}

/// A progress callback, shared by the worker threads.
#[derive(Clone)]
pub struct ProgressSink(pub std::sync::Arc<dyn Fn(InstallEvent) + Send + Sync>);

impl std::fmt::Debug for ProgressSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressSink")
    }
}

impl ProgressSink {
    /// Reports `event`.
    pub fn emit(&self, event: InstallEvent) {
        (self.0)(event);
    }
}

impl Default for InstallOptions {
    fn default() -> Self {
        Self {
            threads: std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
            compile: false,
            cancel: None,
            cache: None,
            progress: None,
            verification: Verification::default(),
            expected: None,
            link_mode: LinkMode::default(),
            digests: None,
        }
    }
}

/// A distribution written by [`crate::install()`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledWheel {
    /// `Name` from `METADATA`, ex) `MarkupSafe`.
    pub name: String,
    /// `Version` from `METADATA`, ex) `2.1.5`.
    pub version: String,
    /// The installed `.dist-info` directory.
    pub dist_info: PathBuf,
    /// The number of files listed in its `RECORD` (`RECORD` included).
    pub files: usize,
}

/// A distribution removed by [`crate::install()`] or [`crate::uninstall`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemovedDist {
    /// `Name` from `METADATA`.
    pub name: String,
    /// `Version` from `METADATA`.
    pub version: String,
    /// The removed `.dist-info` directory.
    pub dist_info: PathBuf,
    /// The number of files and directories removed.
    pub paths: usize,
}

/// What [`crate::install()`] did.
#[derive(Debug, Clone, Default)]
pub struct InstallOutput {
    /// The installed distributions, in plan order.
    pub installed: Vec<InstalledWheel>,
    /// The removed distributions.
    pub removed: Vec<RemovedDist>,
    /// Interrupted earlier transactions that were rolled back first.
    pub recovered: Vec<RecoveredTransaction>,
    /// Non-fatal problems (a `RECORD` path outside the environment left alone, a cleanup
    /// failure after the commit, a wheel cache that could not be written).
    pub warnings: Vec<String>,
    /// Details worth showing with `-v`: re-tagged site wheels installed with stale `RECORD`
    /// rows that the site rule accepts (one line per wheel).
    pub notes: Vec<String>,
    /// How the wheel cache served the install (all zero without one).
    pub cache: CacheStats,
}

/// How the wheel cache ([`InstallOptions::cache`]) served an install.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Wheels installed from an entry that was already in the cache.
    pub hits: usize,
    /// Wheels unpacked into the cache (new or rebuilt entries), then installed from it.
    pub unpacked: usize,
    /// Wheels installed straight from the archive although a cache was given (it could not
    /// be written, or its entry stayed damaged).
    pub bypassed: usize,
    /// Files copied instead of linked (the cache is on another filesystem, `--link-mode
    /// copy`, …).
    pub copied_files: usize,
    /// Files cloned (reflinks, [`LinkMode::Auto`] or [`LinkMode::Clone`] on XFS, Btrfs, …).
    pub cloned_files: usize,
    /// Entries found changed or damaged (a cached file edited in place, replaced, a manifest
    /// tampered with) and unpacked again from their wheel.
    pub refreshed: usize,
}

/// An error of [`crate::install()`] or [`crate::uninstall`]. The environment is unchanged unless
/// the error is [`InstallError::RollbackFailed`].
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// A wheel could not be read (corrupt zip, no `.dist-info`, bad `METADATA` or `WHEEL`).
    #[error(transparent)]
    Wheel(#[from] WheelError),
    /// A member of a wheel failed to decompress (corrupt data, CRC mismatch).
    #[error("failed to extract `{member}` from wheel `{wheel}`")]
    Extract {
        /// The wheel file.
        wheel: PathBuf,
        /// The archive member, ex) `six.py`.
        member: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// A wheel failed validation (`RECORD` mismatch, duplicate or symlink member, header
    /// disagreement, …): the message names the wheel and the member.
    #[error(transparent)]
    Invalid(#[from] InvalidWheel),
    /// The wheel's bytes are not the ones the caller checked ([`WheelInstall::sha256`], or
    /// none of [`WheelInstall::accepted_sha256`]):
    /// it was replaced or changed after the lock or `--hash` was checked.
    #[error(
        "wheel `{wheel}` changed after it was checked: its sha256 is now {actual}, expected {expected}"
    )]
    HashMismatch {
        /// The wheel file.
        wheel: PathBuf,
        /// The checked digest (hex).
        expected: String,
        /// The digest of the file as read now (hex).
        actual: String,
    },
    /// The wheel file changed (its `stat` stamp moved) while it was being unpacked: what was
    /// unpacked may mix two versions of it, so nothing of it is used.
    #[error("wheel `{wheel}` changed while it was being installed")]
    WheelChanged {
        /// The wheel file.
        wheel: PathBuf,
    },
    /// A member path is absolute or climbs out of its directory (`..`).
    #[error("wheel `{wheel}` has a member outside its target directory: `{member}`")]
    UnsafePath {
        /// The wheel file.
        wheel: PathBuf,
        /// The archive member.
        member: String,
    },
    /// A `{dist}.data/` member is not under a known scheme key.
    #[error(
        "wheel `{wheel}` has `{member}`: `.data` members must be under purelib, platlib, scripts, headers or data"
    )]
    UnknownScheme {
        /// The wheel file.
        wheel: PathBuf,
        /// The archive member.
        member: String,
    },
    /// An entry point in `entry_points.txt` cannot be turned into a launcher.
    #[error("wheel `{wheel}` has an invalid entry point `{line}`: {reason}")]
    EntryPoint {
        /// The wheel file.
        wheel: PathBuf,
        /// The `name = value` line.
        line: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Two wheels of the plan are of the same project.
    #[error("the plan installs `{name}` twice: `{first}` and `{second}`")]
    DuplicateProject {
        /// The project name (from `METADATA`).
        name: String,
        /// The first wheel.
        first: PathBuf,
        /// The second wheel.
        second: PathBuf,
    },
    /// A file would replace a directory or a directory a file.
    #[error("cannot install `{path}`: {reason}")]
    Conflict {
        /// The path in the environment.
        path: PathBuf,
        /// What is in the way.
        reason: &'static str,
    },
    /// An installed distribution to remove could not be read (no `RECORD`, bad `METADATA`).
    #[error(transparent)]
    Installed(#[from] InstalledError),
    /// The interpreter could not be run for bytecode compilation.
    #[error("failed to byte-compile with `{python}`")]
    Compile {
        /// The interpreter.
        python: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// A file system operation failed (the message names the path).
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The environment no longer holds what the plan was made against
    /// ([`InstallOptions::expected`]): another process changed it between the plan and the
    /// lock. Nothing was changed; the caller plans again. `changes`: `+ name version` for a
    /// distribution that appeared, `- name version` for one that went.
    #[error(
        "the environment changed while this command was planning ({}): another install or uninstall ran",
        changes.join(", ")
    )]
    EnvironmentChanged {
        /// What changed, ex) `+ six 1.15.0`, `- six 1.16.0`.
        changes: Vec<String>,
    },
    /// The cancel flag was raised (a signal); everything was rolled back.
    #[error("interrupted: nothing was changed, the environment is as it was")]
    Cancelled,
    /// The transaction failed and undoing it failed too: the environment is partly changed.
    /// The transaction directory is kept; the next install or [`crate::recover`] retries.
    #[error(
        "the installation failed and could not be rolled back ({} error(s), first: {}); run it again to finish the rollback from `{}`",
        errors.len(),
        errors.first().map(ToString::to_string).unwrap_or_default(),
        transaction.display()
    )]
    RollbackFailed {
        /// The error that made the transaction fail.
        #[source]
        cause: Box<InstallError>,
        /// The errors of the rollback.
        errors: Vec<io::Error>,
        /// The transaction directory kept for recovery.
        transaction: PathBuf,
    },
}

pub(super) fn cancelled(options: &InstallOptions) -> bool {
    options
        .cancel
        .as_ref()
        .is_some_and(|flag| flag.load(Ordering::Relaxed))
}

/// Adds an io error's action and path to its message, keeping its kind.
pub(super) fn with_path(error: &io::Error, action: &str, path: &Path) -> io::Error {
    io::Error::new(
        error.kind(),
        format!("failed to {action} `{}`: {error}", path.display()),
    )
}
