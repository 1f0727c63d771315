//! The installation scheme of an environment: where each wheel scheme key goes.

use std::path::{Path, PathBuf};

/// The directories of an environment that wheel files are installed into (the install
/// "scheme" of PEP 427 / `sysconfig`: `purelib`, `platlib`, `scripts`, `headers`, `data`), and
/// the interpreter that scripts are written for.
///
/// Paths should be absolute; [`crate::install()`] makes relative ones absolute against the
/// current directory (never resolving symlinks: `bin/python` of a venv must stay that path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Pure Python libraries, ex) `/env/lib/python3.11/site-packages`.
    pub purelib: PathBuf,
    /// Platform libraries, ex) `/env/lib/python3.11/site-packages` (the same in a venv).
    pub platlib: PathBuf,
    /// Scripts and entry point launchers, ex) `/env/bin`.
    pub scripts: PathBuf,
    /// `{dist}.data/data/` files, ex) `/env` (the prefix).
    pub data: PathBuf,
    /// Base of C headers: `{dist}.data/headers/x.h` goes to `{headers}/{Name}/x.h` with `Name`
    /// as in `METADATA`, as pip does, ex) `/env/include/site/python3.11`.
    pub headers: PathBuf,
    /// The interpreter written into script shebangs and run for bytecode compilation,
    /// ex) `/env/bin/python`.
    pub python: PathBuf,
    /// The interpreter's `(major, minor)` version, for pip's versioned `pip3.11` launchers.
    pub python_version: (u8, u8),
}

impl Layout {
    /// The POSIX layout of a virtual environment (PEP 405) rooted at `root` for CPython
    /// `major.minor`: `lib/pythonX.Y/site-packages`, `bin`, `include/site/pythonX.Y`, and
    /// `bin/python` as the interpreter.
    pub fn for_venv(root: &Path, python_version: (u8, u8)) -> Self {
        let (major, minor) = python_version;
        let site_packages = root
            .join("lib")
            .join(format!("python{major}.{minor}"))
            .join("site-packages");
        Self {
            purelib: site_packages.clone(),
            platlib: site_packages,
            scripts: root.join("bin"),
            data: root.to_path_buf(),
            headers: root
                .join("include")
                .join("site")
                .join(format!("python{major}.{minor}")),
            python: root.join("bin").join("python"),
            python_version,
        }
    }

    /// The same layout with every path made absolute (lexically, no symlink resolution).
    pub(crate) fn absolute(&self) -> std::io::Result<Self> {
        let absolute = |path: &Path| -> std::io::Result<PathBuf> {
            Ok(crate::record::normalize_path(&std::path::absolute(path)?))
        };
        Ok(Self {
            purelib: absolute(&self.purelib)?,
            platlib: absolute(&self.platlib)?,
            scripts: absolute(&self.scripts)?,
            data: absolute(&self.data)?,
            headers: absolute(&self.headers)?,
            python: absolute(&self.python)?,
            python_version: self.python_version,
        })
    }

    /// The scheme directories: files of a `RECORD` outside them are never removed.
    pub(crate) fn roots(&self) -> [&Path; 5] {
        [
            &self.purelib,
            &self.platlib,
            &self.scripts,
            &self.data,
            &self.headers,
        ]
    }

    /// Directories that are never removed when an uninstall empties them (nor are their
    /// ancestors). The headers base is not one: like `share/…`, it goes when emptied.
    pub(crate) fn kept_directories(&self) -> [&Path; 4] {
        [&self.purelib, &self.platlib, &self.scripts, &self.data]
    }
}

/// A scheme key of `{dist}.data/` (and of the archive root).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Scheme {
    Purelib,
    Platlib,
    Scripts,
    Headers,
    Data,
}

impl Scheme {
    pub(crate) const ALL: [Scheme; 5] = [
        Scheme::Purelib,
        Scheme::Platlib,
        Scheme::Scripts,
        Scheme::Headers,
        Scheme::Data,
    ];

    pub(crate) fn key(self) -> &'static str {
        match self {
            Scheme::Purelib => "purelib",
            Scheme::Platlib => "platlib",
            Scheme::Scripts => "scripts",
            Scheme::Headers => "headers",
            Scheme::Data => "data",
        }
    }

    pub(crate) fn from_key(key: &str) -> Option<Self> {
        Scheme::ALL.into_iter().find(|scheme| scheme.key() == key)
    }

    pub(crate) fn target(self, layout: &Layout, name: &str) -> PathBuf {
        match self {
            Scheme::Purelib => layout.purelib.clone(),
            Scheme::Platlib => layout.platlib.clone(),
            Scheme::Scripts => layout.scripts.clone(),
            Scheme::Headers => layout.headers.join(name),
            Scheme::Data => layout.data.clone(),
        }
    }
}
