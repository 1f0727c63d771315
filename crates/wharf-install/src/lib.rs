//! Install, record, list and uninstall wheels in a Python environment, staged and atomic.
//!
//! The installer behind `wharf install / uninstall / list / freeze`. It implements:
//!
//! - reading wheels ([`read_metadata`]): PEP 427 binary distribution format, core metadata;
//! - installing them ([`install()`], [`Plan`], [`Layout`]): PEP 427 installation, entry point
//!   launchers, `RECORD` / `INSTALLER` / `REQUESTED` / `direct_url.json` (recording installed
//!   projects, PEP 376, 610, 627), optional bytecode compilation, all in one transaction that
//!   is rolled back on any error and recovered after a crash ([`recover`]);
//! - reading installed distributions ([`SitePackages`], [`InstalledDist`]), uninstalling
//!   them ([`uninstall`]) and formatting `pip freeze` ([`freeze`]).
//!
//! # Traps of the domain
//!
//! - Site wheels are re-tagged and patched after build: their `WHEEL` `Tag:` lines and their
//!   `RECORD` hashes may not match the file. The file name is trusted; the wheel's `RECORD`
//!   is never checked, and the installed `RECORD` is written from the bytes actually written.
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

mod install;
mod installed;
mod layout;
mod metadata;
mod record;
mod scripts;
mod transaction;
mod wheel;

pub use install::{
    InstallError, InstallOptions, InstallOutput, InstalledWheel, Plan, RemovedDist, WheelInstall,
    install, install_wheels,
};
pub use installed::{
    FreezeOptions, InstalledDist, InstalledError, SitePackages, freeze, freeze_requirement,
    uninstall,
};
pub use layout::Layout;
pub use metadata::normalize_name;
pub use record::RecordEntry;
pub use transaction::{RecoveredTransaction, recover};
pub use wheel::{WheelError, WheelMetadata, read_metadata};
