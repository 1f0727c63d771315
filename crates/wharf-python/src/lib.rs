//! Find the Python interpreters of an HPC site and learn what they are.
//!
//! - [`discovery`](mod@discovery): where interpreters live (the active venv, the loaded
//!   module, the module trees of `PYTHON_DIRS`, `PATH`) and which one a request such as
//!   `3.11` means.
//! - [`probe`](mod@probe): run an interpreter once with an embedded script and get an
//!   [`InterpreterInfo`]: version, paths, PEP 508 markers, glibc, and the PEP 600 `_manylinux`
//!   policy; cached.
//! - [`env`](mod@env): the one struct, [`PythonEnv`], through which every environment variable
//!   is read.
//!
//! Traps this crate exists to get right:
//! - A venv's `bin/python` is a symlink to its base interpreter: the same file, another
//!   environment. Discovery keys venvs by their directory, the probe cache by the path as run.
//! - `PYTHONPATH` changes the answer. The site ships `_manylinux.py` there, refusing every
//!   manylinux wheel; modules put packages there. So the probe keeps site and `PYTHONPATH`
//!   (as pip does), and the cache is keyed by `PYTHONPATH`.
//! - `python3` on `PATH` does not say its version; `3.11.5/bin/python3.11` does. Discovery
//!   reads names only and never runs anything; [`find`] probes only when a name is too vague.
//! - The machine's `PIP_*` and `PYTHON*` variables must not leak into a probe: the subprocess
//!   environment is cleared and rebuilt from [`PythonEnv`].
#![deny(missing_docs)]

pub mod discovery;
pub mod env;
pub mod probe;

pub use discovery::{
    FindError, Installation, PythonRequest, PythonVersion, PythonVersionParseError, Source,
    discover, find,
};
pub use env::PythonEnv;
pub use probe::{
    CacheStatus, InterpreterInfo, ManylinuxPolicy, MarkerValues, ProbeError, SchemePaths, probe,
    probe_with_cache_status,
};
