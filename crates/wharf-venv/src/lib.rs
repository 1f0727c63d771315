//! PEP 405 virtual environments, made without running Python: the replacement for
//! `virtualenv --no-download` and `python -m venv --without-pip`.
//!
//! [`create_venv`] writes, for an interpreter already probed by `wharf-python`:
//! - `pyvenv.cfg`, with the keys `python -m venv` (3.11+) writes, in its order: `home`,
//!   `include-system-site-packages`, `version`, `prompt` (if given), `executable`, `command`;
//! - `bin/<base name>` linked to the base interpreter, and `bin/python`, `bin/python3`,
//!   `bin/python3.X` linked to that (symlinks by default, copies on request), as venv does on
//!   Linux;
//! - the interpreter's `venv` scheme directories (`lib/python3.X/site-packages`,
//!   `include/python3.X`), and `lib64 -> lib` on 64-bit Linux;
//! - activation scripts of wharf's own ([`activation`]): `bin/activate`, `activate.fish`,
//!   `activate.csh`.
//!
//! Traps:
//! - An interpreter that itself runs in a venv is not the base: the new venv links to
//!   `sys._base_executable`, and `home` is that file's directory (not resolved), as venv does.
//! - The environment is built in a sibling staging directory and renamed into place, so a
//!   failure half-way leaves nothing behind. An existing venv is updated in place (its
//!   packages kept) unless `clear`; a non-empty directory that is not a venv is refused.
//! - Nothing here runs Python: creation costs a few file writes.
//! - A venv that gets its packages after its creation (`wharf venv DIR --from LOCK`) is made
//!   with [`create_unfinished_venv`]: marked incomplete (`DIR/.wharf-incomplete`) and
//!   without any `bin/python*` until [`UnfinishedVenv::finish`], so that a process killed in
//!   between never leaves a bare venv that passes for the one asked for ([`incomplete`]
//!   tells, the activation scripts refuse it; see the `unfinished` module).
#![deny(missing_docs)]

pub mod activation;
mod unfinished;

pub use unfinished::{
    Creator, Discarded, INCOMPLETE_MARKER, Incomplete, UNFINISHED_PYTHON, UnfinishedVenv,
    incomplete,
};

use std::fmt::{self, Write as _};
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use wharf_python::InterpreterInfo;

/// How to create a virtual environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VenvOptions {
    /// The prompt shown while active, without parentheses; `.` means the current directory's
    /// name. Default: the venv directory's name (and no `prompt` key in `pyvenv.cfg`).
    pub prompt: Option<String>,
    /// Let the venv see the base interpreter's site-packages
    /// (`include-system-site-packages = true`). Default: false.
    pub system_site_packages: bool,
    /// Empty an existing directory first. Default: false.
    pub clear: bool,
    /// Symlink the interpreter (true, the default on Linux) or copy it (false).
    pub symlinks: bool,
    /// The `command` line recorded in `pyvenv.cfg`. Default: the equivalent `wharf venv` call.
    pub command: Option<String>,
}

impl Default for VenvOptions {
    fn default() -> Self {
        Self {
            prompt: None,
            system_site_packages: false,
            clear: false,
            symlinks: true,
            command: None,
        }
    }
}

/// Where things are in a virtual environment: what an installer needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VenvLayout {
    /// The venv directory, absolute. Ex) `/scratch/env`
    pub root: PathBuf,
    /// The venv's interpreter. Ex) `/scratch/env/bin/python`
    pub python: PathBuf,
    /// `pyvenv.cfg`.
    pub pyvenv_cfg: PathBuf,
    /// Pure-Python packages. Ex) `/scratch/env/lib/python3.11/site-packages`
    pub purelib: PathBuf,
    /// Platform-specific packages (the same directory as `purelib` on CPython).
    pub platlib: PathBuf,
    /// Console scripts and the interpreter links. Ex) `/scratch/env/bin`
    pub scripts: PathBuf,
    /// Headers of packages that install C headers. Ex) `/scratch/env/include/python3.11`
    pub include: PathBuf,
    /// The root of a wheel's `.data/data/` files: the venv root.
    pub data: PathBuf,
}

impl VenvLayout {
    /// The layout of a venv at `root` (absolute) for `interpreter`, from its `venv` scheme.
    pub fn new(root: &Path, interpreter: &InterpreterInfo) -> Self {
        let paths = interpreter.venv_paths(root);
        Self {
            root: root.to_owned(),
            python: paths.scripts.join("python"),
            pyvenv_cfg: root.join("pyvenv.cfg"),
            purelib: paths.purelib,
            platlib: paths.platlib,
            scripts: paths.scripts,
            include: paths.include,
            data: paths.data,
        }
    }
}

/// Why a virtual environment could not be created.
#[derive(Debug, thiserror::Error)]
pub enum VenvError {
    /// The path cannot hold a venv. Ex) it contains `:`, which would split `PATH`
    #[error("cannot create a venv at `{}`: {reason}", path.display())]
    InvalidPath {
        /// The path as given.
        path: PathBuf,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The path exists and is not a directory.
    #[error("cannot create a venv at `{}`: it exists and is not a directory", path.display())]
    NotADirectory {
        /// The path.
        path: PathBuf,
    },
    /// The directory exists, holds files, and is not a venv (no `pyvenv.cfg`).
    #[error(
        "refusing to create a venv in `{}`: the directory is not empty and is not a venv (no `pyvenv.cfg`)",
        path.display()
    )]
    NotEmpty {
        /// The directory.
        path: PathBuf,
    },
    /// `clear` would delete the interpreter the venv is made from.
    #[error(
        "refusing to clear `{}`: it contains the interpreter `{}` the venv would be made from",
        path.display(),
        interpreter.display()
    )]
    ClearWouldRemoveInterpreter {
        /// The directory.
        path: PathBuf,
        /// The base interpreter.
        interpreter: PathBuf,
    },
    /// The base interpreter is gone since it was probed.
    #[error("the base interpreter `{}` does not exist", path.display())]
    InterpreterMissing {
        /// The base interpreter.
        path: PathBuf,
        /// The failure of `stat`.
        #[source]
        source: io::Error,
    },
    /// The directory is a venv whose creation by `wharf venv --from` was interrupted (or is
    /// under way): only that command, run again, or `clear` may touch it.
    #[error(transparent)]
    Incomplete(Incomplete),
    /// A filesystem operation failed (the error names the file).
    #[error("cannot {action} the venv at `{}`", path.display())]
    Io {
        /// What was being done. Ex) `create`, `clear`
        action: &'static str,
        /// The venv directory.
        path: PathBuf,
        /// The failure, with the file it concerns.
        #[source]
        source: io::Error,
    },
}

impl VenvError {
    /// The fix to suggest, printed after the error as `hint: …`.
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::InvalidPath { .. } => {
                Some("choose a directory name without `:` or newlines".to_owned())
            }
            Self::NotADirectory { .. } => Some("choose another path for the venv".to_owned()),
            Self::NotEmpty { path } => Some(format!(
                "use `--clear` to delete its contents first, or choose a new directory such as `{}`",
                path.join("venv").display()
            )),
            Self::ClearWouldRemoveInterpreter { .. } => {
                Some("choose an interpreter outside the directory, e.g. `--python 3.11`".to_owned())
            }
            Self::InterpreterMissing { .. } => Some(
                "the module that provided it may be unloaded: `module load python`, then retry"
                    .to_owned(),
            ),
            Self::Incomplete(incomplete) => {
                Some(format!("{}; `--clear` starts it afresh", incomplete.hint()))
            }
            Self::Io { .. } => None,
        }
    }
}

/// Creates (or updates) a virtual environment at `path` for `interpreter` (see the crate docs).
///
/// `interpreter` may come from a venv's python: the new venv is made from its base.
///
/// Errors: every [`VenvError`]; [`VenvError::Incomplete`] for an incomplete venv at `path`
/// (unless `clear`).
pub fn create_venv(
    path: &Path,
    interpreter: &InterpreterInfo,
    options: &VenvOptions,
) -> Result<VenvLayout, VenvError> {
    create(path, interpreter, options, None).map(|venv| venv.layout)
}

/// Creates a virtual environment that stays incomplete until [`UnfinishedVenv::finish`]: the
/// marker [`INCOMPLETE_MARKER`] (holding this process and `rerun`, the command that finishes
/// it) and the interpreter as `.wharf-bin/python` only, no `bin/python*` (see the
/// `unfinished` module). For a venv that gets its packages before anyone may use it.
///
/// - A path that is absent or empty (or emptied by `clear`) gets an unfinished venv.
/// - An incomplete venv (a killed run of the same command) is taken over: updated in place,
///   still unfinished, the marker naming this process, its packages kept for the install to
///   recover and complete. When another process of this host is still creating it, nothing
///   is done: [`VenvError::Incomplete`] (with [`Incomplete::is_being_created_here`]) lets the
///   caller wait and call again.
/// - A complete venv is updated in place as by [`create_venv`] and stays complete.
pub fn create_unfinished_venv(
    path: &Path,
    interpreter: &InterpreterInfo,
    options: &VenvOptions,
    rerun: &str,
) -> Result<UnfinishedVenv, VenvError> {
    create(path, interpreter, options, Some(rerun))
}

/// [`create_venv`], unfinished when `rerun` is given (see [`create_unfinished_venv`]).
fn create(
    path: &Path,
    interpreter: &InterpreterInfo,
    options: &VenvOptions,
    rerun: Option<&str>,
) -> Result<UnfinishedVenv, VenvError> {
    let root = absolute_normalized(path).map_err(|source| VenvError::Io {
        action: "locate",
        path: path.to_owned(),
        source,
    })?;
    let Some(root_text) = root.to_str() else {
        return Err(VenvError::InvalidPath {
            path: root,
            reason: "the path is not UTF-8",
        });
    };
    if root_text.contains(':') {
        return Err(VenvError::InvalidPath {
            path: root,
            reason: "it contains `:`, the PATH separator",
        });
    }
    if root_text.contains('\n') || root_text.contains('\r') {
        return Err(VenvError::InvalidPath {
            path: root,
            reason: "it contains a line break",
        });
    }
    let (Some(parent), Some(name)) = (root.parent(), root.file_name()) else {
        return Err(VenvError::InvalidPath {
            path: root,
            reason: "it is the filesystem root",
        });
    };

    let base = interpreter.base_interpreter();
    let executable =
        fs_err::canonicalize(base).map_err(|source| VenvError::InterpreterMissing {
            path: base.to_owned(),
            source,
        })?;

    let io_error = |action| {
        let root = root.clone();
        move |source| VenvError::Io {
            action,
            path: root,
            source,
        }
    };

    let target = Target::inspect(&root).map_err(io_error("inspect"))?;
    let target = match target {
        Target::NotADirectory => return Err(VenvError::NotADirectory { path: root }),
        Target::NonEmpty if !options.clear => return Err(VenvError::NotEmpty { path: root }),
        Target::NonEmpty | Target::Venv | Target::Incomplete(_) if options.clear => {
            let canonical_root = fs_err::canonicalize(&root).map_err(io_error("clear"))?;
            if executable.starts_with(&canonical_root) {
                return Err(VenvError::ClearWouldRemoveInterpreter {
                    path: root,
                    interpreter: executable,
                });
            }
            clear_directory(&root).map_err(io_error("clear"))?;
            Target::Empty
        }
        Target::Incomplete(incomplete) if rerun.is_none() || incomplete.is_being_created_here() => {
            return Err(VenvError::Incomplete(incomplete));
        }
        target => target,
    };
    // A complete venv stays complete; anything else is made unfinished when asked.
    let unfinished = rerun.filter(|_| !matches!(target, Target::Venv));
    let origin = match target {
        Target::Absent => unfinished::Origin::Made,
        Target::Empty => unfinished::Origin::Empty,
        _ => unfinished::Origin::Existing,
    };

    let layout = VenvLayout::new(&root, interpreter);
    let prompt = match options.prompt.as_deref() {
        Some(".") => std::env::current_dir().ok().and_then(|dir| {
            dir.file_name()
                .map(|name| name.to_string_lossy().into_owned())
        }),
        Some(prompt) => Some(prompt.to_owned()),
        None => None,
    };

    fs_err::create_dir_all(parent).map_err(io_error("create"))?;
    let staging = Staging::new(parent, name).map_err(io_error("create"))?;
    let creator = unfinished::Creator::current();
    let files = VenvFiles {
        root: &root,
        root_text,
        layout: &layout,
        interpreter,
        base,
        executable: &executable,
        prompt: prompt.as_deref(),
        options,
        unfinished: unfinished.map(|rerun| unfinished::marker_text(&creator, rerun)),
    };
    files.write(staging.path()).map_err(io_error("create"))?;
    let renamed = staging.commit(&root, &target).map_err(io_error("create"))?;
    Ok(UnfinishedVenv {
        unfinished: unfinished.is_some(),
        // Another process made the directory between the inspection and the rename: it is
        // not this call's to remove.
        origin: if origin == unfinished::Origin::Made && !renamed {
            unfinished::Origin::Existing
        } else {
            origin
        },
        base_name: files.base_name(),
        other_names: files.other_names(),
        copy_of: (!options.symlinks).then(|| executable.clone()),
        layout,
    })
}

/// What is at the venv path now.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Absent,
    Empty,
    Venv,
    /// A venv marked incomplete, without `bin/python`.
    Incomplete(Incomplete),
    NonEmpty,
    NotADirectory,
}

impl Target {
    fn inspect(root: &Path) -> io::Result<Self> {
        let metadata = match fs_err::metadata(root) {
            Ok(metadata) => metadata,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Self::Absent),
            Err(error) => return Err(error),
        };
        if !metadata.is_dir() {
            return Ok(Self::NotADirectory);
        }
        if let Some(incomplete) = incomplete(root) {
            return Ok(Self::Incomplete(incomplete));
        }
        if root.join("pyvenv.cfg").is_file() {
            return Ok(Self::Venv);
        }
        if fs_err::read_dir(root)?.next().is_none() {
            Ok(Self::Empty)
        } else {
            Ok(Self::NonEmpty)
        }
    }
}

/// Deletes everything inside `dir`, keeping `dir` itself (its permissions, a mount point).
fn clear_directory(dir: &Path) -> io::Result<()> {
    clear_directory_except(dir, "")
}

/// [`clear_directory`], keeping the entry `keep` (`""`: none).
fn clear_directory_except(dir: &Path, keep: &str) -> io::Result<()> {
    for entry in fs_err::read_dir(dir)? {
        let entry = entry?;
        if !keep.is_empty() && entry.file_name() == keep {
            continue;
        }
        if entry.file_type()?.is_dir() {
            fs_err::remove_dir_all(entry.path())?;
        } else {
            fs_err::remove_file(entry.path())?;
        }
    }
    Ok(())
}

/// `std::path::absolute`, with `.` and `..` resolved lexically (as `os.path.abspath` does).
fn absolute_normalized(path: &Path) -> io::Result<PathBuf> {
    let absolute = std::path::absolute(path)?;
    let mut normalized = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::ParentDir => {
                normalized.pop();
            }
            Component::CurDir => {}
            other => normalized.push(other),
        }
    }
    Ok(normalized)
}

/// A sibling directory the venv is built in; removed on drop unless committed.
struct Staging {
    path: PathBuf,
    committed: bool,
}

/// A free name beside `root`: `.{name}.wharf-{tag}-{pid}-{n}`.
fn sibling(root: &Path, tag: &str) -> io::Result<PathBuf> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let (Some(parent), Some(name)) = (root.parent(), root.file_name()) else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("`{}` has no parent directory", root.display()),
        ));
    };
    for _ in 0..100 {
        let mut sibling = std::ffi::OsString::from(".");
        sibling.push(name);
        sibling.push(format!(
            ".wharf-{tag}{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let path = parent.join(sibling);
        if fs_err::symlink_metadata(&path).is_err() {
            return Ok(path);
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!("no free name beside `{}`", root.display()),
    ))
}

/// How old (last changed) a leftover staging directory must be before it is removed: on a
/// shared filesystem a creator on another host, whose process cannot be seen from here, may
/// still be writing it.
const STALE_STAGING: std::time::Duration = std::time::Duration::from_hours(1);

/// Removes what killed creators of `root` left beside it (`.{name}.wharf-{tag}{pid}-{n}`):
/// directories whose process is not alive on this host and that were last changed more than
/// [`STALE_STAGING`] ago. Best effort: a leftover that cannot be read or removed stays.
fn remove_stale_siblings(root: &Path) -> usize {
    let (Some(parent), Some(name)) = (root.parent(), root.file_name()) else {
        return 0;
    };
    let mut prefix = std::ffi::OsString::from(".");
    prefix.push(name);
    prefix.push(".wharf-");
    let Some(prefix) = prefix.to_str().map(str::to_owned) else {
        return 0;
    };
    let Ok(entries) = std::fs::read_dir(if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    }) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(rest) = file_name.to_str().and_then(|n| n.strip_prefix(&prefix)) else {
            continue;
        };
        let Some(pid) = rest
            .rsplit_once('-')
            .and_then(|(head, _)| head.rsplit('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        let alive = pid == std::process::id() || wharf_fs::process_start_time(pid).is_some();
        let old = entry
            .metadata()
            .ok()
            .filter(std::fs::Metadata::is_dir)
            .and_then(|m| m.modified().ok())
            .and_then(|modified| modified.elapsed().ok())
            .is_some_and(|age| age > STALE_STAGING);
        if !alive && old && std::fs::remove_dir_all(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

impl Staging {
    fn new(parent: &Path, name: &std::ffi::OsStr) -> io::Result<Self> {
        let root = parent.join(name);
        // What a killed creator of this environment left beside it.
        remove_stale_siblings(&root);
        let mut attempt = 0;
        loop {
            let path = sibling(&root, "")?;
            match fs_err::create_dir(&path) {
                Ok(()) => {
                    return Ok(Self {
                        path,
                        committed: false,
                    });
                }
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => {
                    attempt += 1;
                }
                Err(error) => return Err(error),
            }
        }
    }

    fn path(&self) -> &Path {
        &self.path
    }

    /// Moves the staged tree to `root`: one rename when `root` is absent or empty, else a
    /// merge that replaces files one by one and keeps everything else (an existing venv's
    /// packages). Returns whether it was the one rename.
    fn commit(mut self, root: &Path, target: &Target) -> io::Result<bool> {
        let renamed = match target {
            Target::Absent | Target::Empty => fs_err::rename(&self.path, root).is_ok(),
            _ => false,
        };
        if !renamed {
            merge_into(&self.path, root)?;
            fs_err::remove_dir_all(&self.path)?;
        }
        self.committed = true;
        Ok(renamed)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// Moves every entry of `from` into `to`: missing entries by rename, files and links by
/// replacing rename, directories by recursion. An existing directory where a link is staged
/// (a real `lib64`) is kept.
fn merge_into(from: &Path, to: &Path) -> io::Result<()> {
    if !to.exists() {
        fs_err::create_dir_all(to)?;
    }
    for entry in fs_err::read_dir(from)? {
        let entry = entry?;
        let source = entry.path();
        let destination = to.join(entry.file_name());
        let staged_dir = entry.file_type()?.is_dir();
        match fs_err::symlink_metadata(&destination) {
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                fs_err::rename(&source, &destination)?;
            }
            Err(error) => return Err(error),
            Ok(existing) if existing.is_dir() => {
                if staged_dir {
                    merge_into(&source, &destination)?;
                }
            }
            Ok(_) if staged_dir => {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!(
                        "`{}` is a file where the venv needs a directory",
                        destination.display()
                    ),
                ));
            }
            Ok(_) => fs_err::rename(&source, &destination)?,
        }
    }
    Ok(())
}

/// Everything written into the staging directory.
struct VenvFiles<'a> {
    root: &'a Path,
    root_text: &'a str,
    layout: &'a VenvLayout,
    interpreter: &'a InterpreterInfo,
    base: &'a Path,
    executable: &'a Path,
    prompt: Option<&'a str>,
    options: &'a VenvOptions,
    /// The marker's text, for an unfinished venv (no `bin/python*`).
    unfinished: Option<String>,
}

impl VenvFiles<'_> {
    /// Where a final path is staged.
    fn staged(&self, staging: &Path, path: &Path) -> PathBuf {
        staging.join(path.strip_prefix(self.root).unwrap_or(path))
    }

    fn write(&self, staging: &Path) -> io::Result<()> {
        let layout = self.layout;
        let scripts = self.staged(staging, &layout.scripts);
        if let Some(marker) = &self.unfinished {
            fs_err::write(staging.join(INCOMPLETE_MARKER), marker)?;
        }
        for dir in [
            &layout.scripts,
            &layout.purelib,
            &layout.platlib,
            &layout.include,
        ] {
            fs_err::create_dir_all(self.staged(staging, dir))?;
        }
        // Issue 21197 of CPython: 64-bit POSIX (not macOS) venvs get `lib64 -> lib`.
        let markers = &self.interpreter.markers;
        if self.interpreter.pointer_size == 64
            && markers.os_name == "posix"
            && markers.sys_platform != "darwin"
            && staging.join("lib").is_dir()
        {
            std::os::unix::fs::symlink("lib", staging.join("lib64"))?;
        }

        self.link_interpreter(staging, &scripts)?;
        fs_err::write(staging.join("pyvenv.cfg"), self.pyvenv_cfg())?;

        let bin = layout
            .scripts
            .strip_prefix(self.root)
            .unwrap_or(&layout.scripts)
            .to_string_lossy();
        let prompt = match self.prompt {
            Some(prompt) => prompt.to_owned(),
            None => self
                .root
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default(),
        };
        let context = activation::Activation {
            root: self.root_text,
            bin: &bin,
            prompt: &prompt,
        };
        fs_err::write(scripts.join("activate"), activation::posix(&context))?;
        fs_err::write(scripts.join("activate.fish"), activation::fish(&context))?;
        fs_err::write(scripts.join("activate.csh"), activation::csh(&context))?;
        fs_err::write(
            staging.join(".gitignore"),
            "# A virtual environment, created by wharf: keep it out of version control.\n*\n",
        )?;
        Ok(())
    }

    /// The base interpreter's name in `bin/`. Ex) `python3.11`
    fn base_name(&self) -> std::ffi::OsString {
        self.base
            .file_name()
            .map_or_else(|| "python3".into(), std::ffi::OsStr::to_os_string)
    }

    /// `python3.X`, `python3`, `python` but the base name, `python` last.
    fn other_names(&self) -> Vec<String> {
        let (major, minor) = self.interpreter.major_minor();
        let base_name = self.base_name();
        [
            format!("python{major}.{minor}"),
            format!("python{major}"),
            "python".to_owned(),
        ]
        .into_iter()
        .filter(|name| base_name != name.as_str())
        .collect()
    }

    /// `bin/<base name>` -> the base interpreter; `python`, `python3`, `python3.X` -> that
    /// name (relative), unless they are the same name; copies instead of links on request.
    /// Unfinished: only `.wharf-bin/python` -> the base interpreter.
    fn link_interpreter(&self, staging: &Path, scripts: &Path) -> io::Result<()> {
        use std::os::unix::fs::{PermissionsExt as _, symlink};
        let base_name = self.base_name();
        let primary = if self.unfinished.is_some() {
            let primary = staging.join(UNFINISHED_PYTHON);
            if let Some(directory) = primary.parent() {
                fs_err::create_dir_all(directory)?;
            }
            primary
        } else {
            scripts.join(&base_name)
        };
        let copy = |destination: &Path| -> io::Result<()> {
            fs_err::copy(self.executable, destination)?;
            fs_err::set_permissions(destination, std::fs::Permissions::from_mode(0o755))
        };
        if self.options.symlinks {
            let absolute_base = absolute_normalized(self.base)?;
            symlink(&absolute_base, &primary)?;
        } else {
            copy(&primary)?;
        }
        if self.unfinished.is_some() {
            return Ok(());
        }
        for name in self.other_names() {
            let link = scripts.join(&name);
            if link.symlink_metadata().is_ok() {
                continue;
            }
            if self.options.symlinks {
                symlink(&base_name, &link)?;
            } else {
                copy(&link)?;
            }
        }
        Ok(())
    }

    /// The `pyvenv.cfg` text, keys in `python -m venv`'s order.
    fn pyvenv_cfg(&self) -> String {
        let home = self.base.parent().unwrap_or(Path::new("/"));
        let home = absolute_normalized(home).unwrap_or_else(|_| home.to_owned());
        let mut text = format!(
            "home = {}\ninclude-system-site-packages = {}\nversion = {}\n",
            home.display(),
            self.options.system_site_packages,
            self.interpreter.version(),
        );
        if let Some(prompt) = self.prompt {
            let _ = writeln!(text, "prompt = {}", python_repr(prompt));
        }
        let _ = write!(
            text,
            "executable = {}\ncommand = {}\n",
            self.executable.display(),
            self.command()
        );
        text
    }

    /// The `command` key: the caller's, else the `wharf venv` call that recreates this venv.
    fn command(&self) -> String {
        if let Some(command) = &self.options.command {
            return command.clone();
        }
        let mut words = vec![
            "wharf".to_owned(),
            "venv".to_owned(),
            "--python".to_owned(),
            shell_word(&self.base.to_string_lossy()),
        ];
        if self.options.system_site_packages {
            words.push("--system-site-packages".to_owned());
        }
        if self.options.clear {
            words.push("--clear".to_owned());
        }
        if !self.options.symlinks {
            words.push("--copies".to_owned());
        }
        if let Some(prompt) = &self.options.prompt {
            words.push("--prompt".to_owned());
            words.push(shell_word(prompt));
        }
        words.push(shell_word(self.root_text));
        words.join(" ")
    }
}

/// A word for a POSIX shell: as is when plain, else single-quoted. Ex) `'/scratch/my env'`
pub fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+=,@%".contains(&b));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Python's `repr()` of a string, as `python -m venv` writes the prompt.
fn python_repr(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for character in text.chars() {
        match character {
            '\\' => out.push_str(r"\\"),
            '\n' => out.push_str(r"\n"),
            '\r' => out.push_str(r"\r"),
            '\t' => out.push_str(r"\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

impl fmt::Display for VenvLayout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.root.display())
    }
}

#[cfg(test)]
mod tests;
