//! Unfinished venvs: created for `wharf venv DIR --from LOCK`, invisible as an interpreter
//! until their packages are installed.
//!
//! A job script tests `DIR/bin/python` (or just runs it): a venv killed between its creation
//! and the end of its install must not pass for a ready one. So
//! [`create_unfinished_venv`](crate::create_unfinished_venv) makes the directory appear (one
//! rename of its staging directory) with:
//!
//! - the marker [`INCOMPLETE_MARKER`] (`DIR/.wharf-incomplete`): who creates it ([`Creator`]:
//!   host, pid, process start time) and the command that finishes it;
//! - the interpreter only as `.wharf-bin/python` ([`UNFINISHED_PYTHON`]): CPython finds
//!   `pyvenv.cfg` in the parent of its directory as from `bin/python`, so the creating process
//!   probes and installs through it, and the probe's answer is `bin/python`'s but for
//!   `sys.executable` (same base name, so same `sys._base_executable`); no `bin/python*`
//!   exists;
//! - everything else of a venv (`pyvenv.cfg`, the activation scripts, which refuse to
//!   activate an incomplete venv).
//!
//! [`UnfinishedVenv::finish`] then links `bin/python`, `bin/python3`, `bin/python3.X` to the
//! base name (dangling for an instant) and renames the hidden interpreter to the base name
//! (`.wharf-bin/python` ▸ `bin/python3.11`): one rename makes every name work at once. The
//! empty `.wharf-bin` and the marker go last.
//!
//! [`incomplete`] tells whether a directory is such a venv: the marker is there and
//! `bin/python` does not resolve. (A marker beside a working `bin/python` is the leftover of
//! a process killed between its last two steps: the venv is complete.) Commands that open an
//! environment refuse an incomplete one unless this very process is creating it
//! ([`Incomplete::is_ours`]); `wharf venv DIR --from LOCK` run again takes it over (an
//! update in place that keeps it unfinished) and finishes it.
//!
//! Traps and limits:
//! - Copies instead of symlinks (`VenvOptions::symlinks` false) cannot dangle: the names then
//!   appear one after the other, `bin/python` last.
//! - Two processes creating the same directory on one host: the second waits while the
//!   first runs ([`Creator::is_running`]); on another host liveness cannot be told, so the
//!   second takes the venv over at once (the usual case is a job killed on one node and run
//!   again on another); if the first still runs, its next open of the venv is refused (the
//!   marker names the second).
//! - A process killed while it stages the venv leaves the staging directory
//!   (`.DIR.wharf-PID-N`, beside `DIR`), never `DIR` itself; the next creation of `DIR`
//!   removes it once its process is gone from this host and it is an hour old (on a shared
//!   filesystem, a creator on another host may still be writing it).
//! - Nothing is `fsync`ed: this is about processes killed (SIGKILL, out-of-memory, time
//!   limit), not power loss.

use std::fmt;
use std::io::{self, Read as _};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::{VenvError, VenvLayout};

/// The marker of an unfinished venv, in its root. Ex) `/scratch/env/.wharf-incomplete`
pub const INCOMPLETE_MARKER: &str = ".wharf-incomplete";

/// The interpreter of an unfinished venv, relative to its root.
pub const UNFINISHED_PYTHON: &str = ".wharf-bin/python";

/// First line of the marker (format version).
const MARKER_HEADER: &str = "wharf-incomplete 1";

/// The process creating an unfinished venv, as its marker records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Creator {
    /// Host name. Ex) `node0123`
    pub host: String,
    /// Process id on that host.
    pub pid: u32,
    /// The process's start time (`/proc/{pid}/stat` field 22), so that a reused pid is not
    /// taken for the creator; 0 when unknown.
    pub start: u64,
}

impl Creator {
    /// This process.
    pub fn current() -> Self {
        static CURRENT: OnceLock<Creator> = OnceLock::new();
        CURRENT
            .get_or_init(|| {
                let pid = std::process::id();
                Self {
                    host: host_name(),
                    pid,
                    start: wharf_fs::process_start_time(pid).unwrap_or(0),
                }
            })
            .clone()
    }

    /// Whether it is this process.
    pub fn is_current(&self) -> bool {
        *self == Self::current()
    }

    /// Whether it still runs: known on this host only (`None` on another host).
    pub fn is_running(&self) -> Option<bool> {
        if self.host != host_name() {
            return None;
        }
        Some(match wharf_fs::process_start_time(self.pid) {
            None => false,
            Some(now) => self.start == 0 || now == 0 || now == self.start,
        })
    }

    fn parse(line: &str) -> Option<Self> {
        let mut fields = line.split_whitespace();
        let host = fields.next()?.to_owned();
        let pid = fields.next()?.parse().ok()?;
        let start = fields.next()?.parse().ok()?;
        Some(Self { host, pid, start })
    }
}

impl fmt::Display for Creator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "process {} on host {}", self.pid, self.host)
    }
}

/// The host name (`/proc/sys/kernel/hostname`), `localhost` when it cannot be read.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty() && !name.contains(char::is_whitespace))
        .unwrap_or_else(|| "localhost".to_owned())
}

/// The marker's text: format, creator, the command that finishes the venv, and a note for
/// whoever finds it.
pub(crate) fn marker_text(creator: &Creator, rerun: &str) -> String {
    format!(
        "{MARKER_HEADER}\ncreator {} {} {}\nrerun {}\n\
         # `wharf venv --from` is creating this virtual environment, or was interrupted while\n\
         # it did: it gets `bin/python` only once its packages are installed. To finish it, run\n\
         # the command of the `rerun` line again; or remove the directory.\n",
        creator.host,
        creator.pid,
        creator.start,
        rerun.replace('\n', " ")
    )
}

/// A venv whose creation was interrupted or is under way (see the module docs): the marker
/// is in its root and its `bin/python` does not resolve.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the virtual environment `{}` is incomplete: {}", root.display(), self.state())]
pub struct Incomplete {
    /// The venv's root.
    pub root: PathBuf,
    /// Who creates it, from the marker (`None`: unreadable).
    pub creator: Option<Creator>,
    /// The command that finishes it, from the marker. Ex) `wharf venv /scratch/env --from
    /// pylock.toml`
    pub rerun: Option<String>,
}

impl Incomplete {
    /// What happened to it, as the error says it.
    fn state(&self) -> String {
        match &self.creator {
            Some(creator) if creator.is_current() => "this process is creating it".to_owned(),
            Some(creator) => match creator.is_running() {
                Some(true) => format!(
                    "{creator} is still creating it (`wharf venv --from`); it has no `bin/python` until its packages are installed"
                ),
                Some(false) => format!(
                    "its creation (`wharf venv --from`, {creator}) was interrupted before its packages were installed; it has no `bin/python`"
                ),
                None => format!(
                    "its creation (`wharf venv --from`, {creator}) was interrupted before its packages were installed, or is still under way there; it has no `bin/python`"
                ),
            },
            None => "its creation (`wharf venv --from`) was interrupted before its packages were installed; it has no `bin/python`".to_owned(),
        }
    }

    /// How to fix it: the command of the marker again, or removing the directory.
    pub fn hint(&self) -> String {
        let root = crate::shell_word(&self.root.to_string_lossy());
        let rerun = self
            .rerun
            .clone()
            .unwrap_or_else(|| format!("wharf venv {root} --from LOCK"));
        format!(
            "run `{rerun}` again to finish it (the install the kill interrupted is recovered first), or remove it: `rm -rf {root}`"
        )
    }

    /// Whether this process is creating it (then it may open it, through
    /// [`Incomplete::interpreter`]).
    pub fn is_ours(&self) -> bool {
        self.creator.as_ref().is_some_and(Creator::is_current)
    }

    /// Whether another process of this host is creating it now.
    pub fn is_being_created_here(&self) -> bool {
        self.creator
            .as_ref()
            .is_some_and(|creator| !creator.is_current() && creator.is_running() == Some(true))
    }

    /// The interpreter to run until it is finished: `.wharf-bin/python`.
    pub fn interpreter(&self) -> PathBuf {
        self.root.join(UNFINISHED_PYTHON)
    }
}

/// Whether `root` is an incomplete venv (its marker is there and `bin/python` does not
/// resolve), and what its marker says.
pub fn incomplete(root: &Path) -> Option<Incomplete> {
    let marker = root.join(INCOMPLETE_MARKER);
    let mut text = String::new();
    match std::fs::File::open(&marker) {
        Ok(file) => {
            // A few lines; anything longer is not ours (and not read whole).
            let _ = file.take(4096).read_to_string(&mut text);
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => return None,
        Err(_) => {}
    }
    if std::fs::metadata(root.join("bin").join("python")).is_ok() {
        return None;
    }
    let mut lines = text.lines();
    let versioned = lines.next() == Some(MARKER_HEADER);
    let (mut creator, mut rerun) = (None, None);
    for line in lines.filter(|_| versioned) {
        if let Some(rest) = line.strip_prefix("creator ") {
            creator = Creator::parse(rest);
        } else if let Some(rest) = line.strip_prefix("rerun ") {
            rerun = Some(rest.to_owned());
        }
    }
    Some(Incomplete {
        root: root.to_owned(),
        creator,
        rerun,
    })
}

/// What was at the venv path before [`crate::create_unfinished_venv`]: what
/// [`UnfinishedVenv::discard`] goes back to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Nothing: this call made the directory.
    Made,
    /// An empty directory (or one that `clear` emptied).
    Empty,
    /// A venv, complete or incomplete, updated in place.
    Existing,
}

/// A venv made by [`crate::create_unfinished_venv`]: the caller installs into it through
/// [`UnfinishedVenv::python`], then calls [`UnfinishedVenv::finish`], or
/// [`UnfinishedVenv::discard`] when that failed.
///
/// When the path held a complete venv already, it was updated in place as by
/// [`crate::create_venv`]: it stays complete, `finish` has nothing to do.
#[derive(Debug)]
#[must_use = "an unfinished venv has no `bin/python` until `finish`"]
pub struct UnfinishedVenv {
    /// Where things are (`layout.python` is the final `bin/python`).
    pub layout: VenvLayout,
    pub(crate) unfinished: bool,
    pub(crate) origin: Origin,
    /// The base interpreter's name in `bin/`. Ex) `python3.11`
    pub(crate) base_name: std::ffi::OsString,
    /// The other names, `python` last. Ex) `python3`, `python`
    pub(crate) other_names: Vec<String>,
    /// Copies instead of symlinks: the file copied.
    pub(crate) copy_of: Option<PathBuf>,
}

impl UnfinishedVenv {
    /// Whether it has no `bin/python` yet (false when a complete venv was updated).
    pub fn is_unfinished(&self) -> bool {
        self.unfinished
    }

    /// The interpreter to run until [`UnfinishedVenv::finish`]: `.wharf-bin/python`, or
    /// `bin/python` when the venv is complete already.
    pub fn python(&self) -> PathBuf {
        if self.unfinished {
            self.layout.root.join(UNFINISHED_PYTHON)
        } else {
            self.layout.python.clone()
        }
    }

    /// Gives the venv its interpreter names (see the module docs) and removes the marker.
    /// Idempotent: a venv another process finished meanwhile is left as it is.
    ///
    /// Errors: [`VenvError::Io`] (action `finish`).
    pub fn finish(self) -> Result<VenvLayout, VenvError> {
        if !self.unfinished {
            return Ok(self.layout);
        }
        let root = self.layout.root.clone();
        let io_error = |source| VenvError::Io {
            action: "finish",
            path: root.clone(),
            source,
        };
        let scripts = &self.layout.scripts;
        let hidden = root.join(UNFINISHED_PYTHON);
        let base = scripts.join(&self.base_name);
        let reveal_base = || match std::fs::rename(&hidden, &base) {
            // Finished by another process meanwhile.
            Err(error) if error.kind() == io::ErrorKind::NotFound && base.exists() => Ok(()),
            Err(_) => fs_err::rename(&hidden, &base),
            Ok(()) => Ok(()),
        };
        match &self.copy_of {
            None => {
                // Relative links to the base name dangle until its rename: every name
                // starts to work at the same instant.
                for name in &self.other_names {
                    replace(&scripts.join(name), |temporary| {
                        std::os::unix::fs::symlink(&self.base_name, temporary)
                    })
                    .map_err(io_error)?;
                }
                reveal_base().map_err(io_error)?;
            }
            Some(executable) => {
                reveal_base().map_err(io_error)?;
                for name in &self.other_names {
                    replace(&scripts.join(name), |temporary| {
                        use std::os::unix::fs::PermissionsExt as _;
                        fs_err::copy(executable, temporary)?;
                        fs_err::set_permissions(temporary, std::fs::Permissions::from_mode(0o755))
                    })
                    .map_err(io_error)?;
                }
            }
        }
        if let Some(directory) = hidden.parent() {
            match fs_err::remove_dir(directory) {
                Err(error) if error.kind() != io::ErrorKind::NotFound => {
                    return Err(io_error(error));
                }
                _ => {}
            }
        }
        match fs_err::remove_file(root.join(INCOMPLETE_MARKER)) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => return Err(io_error(error)),
            _ => {}
        }
        Ok(self.layout)
    }

    /// Undoes the creation after a failed install: removes the directory this call made
    /// (renamed aside first, so that a kill while deleting leaves nothing at the path),
    /// empties a directory that was empty. A venv that existed (complete, or incomplete and
    /// taken over) is left as it is: the failed install changed nothing in it, and an
    /// incomplete one stays marked so.
    ///
    /// Errors: [`VenvError::Io`] (action `remove`).
    pub fn discard(self) -> Result<Discarded, VenvError> {
        let root = &self.layout.root;
        let io_error = |source| VenvError::Io {
            action: "remove",
            path: root.clone(),
            source,
        };
        match self.origin {
            Origin::Existing if self.unfinished => Ok(Discarded::KeptIncomplete),
            Origin::Existing => Ok(Discarded::Kept),
            Origin::Made => {
                let aside = crate::sibling(root, "removing-").map_err(io_error)?;
                fs_err::rename(root, &aside).map_err(io_error)?;
                fs_err::remove_dir_all(&aside).map_err(io_error)?;
                Ok(Discarded::Removed)
            }
            Origin::Empty => {
                // The marker last: until the directory is empty it stays marked incomplete.
                crate::clear_directory_except(root, INCOMPLETE_MARKER).map_err(io_error)?;
                match fs_err::remove_file(root.join(INCOMPLETE_MARKER)) {
                    Err(error) if error.kind() != io::ErrorKind::NotFound => Err(io_error(error)),
                    _ => Ok(Discarded::Emptied),
                }
            }
        }
    }
}

/// What [`UnfinishedVenv::discard`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Discarded {
    /// The directory this call made is gone.
    Removed,
    /// The directory, empty before, is empty again.
    Emptied,
    /// A complete venv, updated in place, is kept (the failed install changed nothing).
    Kept,
    /// An incomplete venv taken over is kept, still incomplete (as it was before).
    KeptIncomplete,
}

/// Puts a new file at `path` atomically: `make` writes it at a temporary name beside it,
/// then it is renamed over whatever is at `path`.
fn replace(path: &Path, make: impl Fn(&Path) -> io::Result<()>) -> io::Result<()> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let mut name = std::ffi::OsString::from(".");
    name.push(path.file_name().unwrap_or_default());
    name.push(format!(
        ".wharf-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let temporary = path.with_file_name(name);
    let _ = std::fs::remove_file(&temporary);
    let result = make(&temporary).and_then(|()| fs_err::rename(&temporary, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}
