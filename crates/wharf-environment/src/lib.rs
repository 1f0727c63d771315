//! The Python environment wharf acts on, and the one pipeline over it.
//!
//! - [`PythonEnvironment`]: a virtual environment found from `--python` or `$VIRTUAL_ENV`,
//!   its interpreter probed once (tags, markers, `sys.path`, the site's `_manylinux` policy),
//!   its install layout from the probe's `sysconfig` venv scheme, and its installed
//!   distributions (in the environment, and on `sys.path` outside it: modules' packages).
//! - [`operations`]: requirements ▸ candidates ▸ resolution ▸ plan ▸ transaction, and
//!   `check` — library verbs that `install`, `uninstall`, `venv --seed` (and `lock`, `sync`,
//!   `venv --from`, builds, `doctor`) compose.
//!
//! Traps: a module's `PYTHONPATH` packages count as installed (pip sees them) but are never
//! removed or replaced; a local version label (`+computecanada`) is part of the version when
//! comparing what is installed with what is resolved.

#![deny(missing_docs)]

pub mod build;
pub mod direct;
pub mod environment;
pub mod error;
pub mod index;
pub mod lock;
pub mod operations;
pub mod sync;

pub use environment::PythonEnvironment;
pub use error::{Diagnostic, EnvironmentError, OperationError};
