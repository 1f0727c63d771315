//! Find the Python interpreters of an HPC site and learn what they are.
//!
//! - [`version`](mod@version): [`PythonVersion`] (`major.minor`, shared with `wharf-site`) and
//!   [`PartialVersion`] (`3`, `3.11`, `3.11.5`: requests and what names tell).
//! - [`pyvenv`](mod@pyvenv): the one `pyvenv.cfg` reader, [`PyvenvCfg`].
//! - [`probe`](mod@probe): run an interpreter once with an embedded script (with a timeout) and
//!   get an [`InterpreterInfo`]: version, paths, PEP 508 markers, glibc, the PEP 600
//!   `_manylinux` policy, and from them its compatible [`Tags`](wharf_wheel_filename::Tags);
//!   cached.
//! - [`discovery`](mod@discovery): where interpreters live (the active venv, the loaded
//!   module, the module trees of `PYTHON_DIRS`, `PATH`) and which one a request such as
//!   `3.11` means; the default interpreter is one that runs.
//! - [`pin`](mod@pin): `.python-version` files (uv, pyenv).
//! - [`env`](mod@env): the one struct, [`PythonEnv`], through which every environment variable
//!   is read.
//!
//! Module dependencies go one way: `version`, `pyvenv` ◂ `probe` ◂ `discovery` ◂ `pin`.
//!
//! Traps this crate exists to get right:
//! - A venv's `bin/python` is a symlink to its base interpreter: the same file, another
//!   environment. Discovery keys venvs by their directory, the probe cache by the path as run.
//! - `PYTHONPATH` changes the answer. The site ships `_manylinux.py` there, refusing every
//!   manylinux wheel; modules put packages there. So the probe keeps site and `PYTHONPATH`
//!   (as pip does), and the cache is keyed by `PYTHONPATH`.
//! - `python3` on `PATH` does not say its version; `3.11.5/bin/python3.11` does. Discovery
//!   reads names only; [`find`] probes only when a name is too vague, or to check that the
//!   default interpreter runs (a pyenv shim on `PATH` may exit 127, an interpreter may hang).
//! - A free-threaded 3.13 (`python3.13t`) has its own ABI (`cp313t`, no `abi3`) and its own
//!   `lib/python3.13t`: both come from the probe, never from the version alone.
//! - The machine's `PIP_*` and `PYTHON*` variables must not leak into a probe: the subprocess
//!   environment is cleared and rebuilt from [`PythonEnv`].
#![deny(missing_docs)]

pub mod discovery;
pub mod env;
pub mod pin;
pub mod probe;
pub mod pyvenv;
pub mod version;

pub use discovery::{
    FindError, FoundPython, Installation, PythonList, PythonRequest, Skipped, Source,
    default_candidates, discover, find, find_python, find_reporting, list,
};
pub use env::PythonEnv;
pub use pin::{PinError, read_pin, try_read_pin, write_pin};
pub use probe::{
    CacheStatus, InterpreterInfo, ManylinuxPolicy, MarkerValues, ProbeError, SchemePaths, probe,
    probe_uncached, probe_with_cache_status, remember,
};
pub use pyvenv::{PyvenvCfg, PyvenvCfgError};
pub use version::{PartialVersion, PartialVersionParseError, PythonVersion};
