//! The site model: where the wheels are and what the environment says.
//!
//! Data flows `SiteEnv` (every environment variable, read once) ▸ [`FindLinks`] (ordered
//! wheel directories from `PIP_CONFIG_FILE`, or a walk of the wheelhouse) ▸ [`Catalogue`]
//! (every wheel file, its name parsed once, labelled with the arch of the directory it was
//! found under).
//!
//! Traps of the model site (Digital Research Alliance of Canada):
//! - `find-links` is one space-separated line and its order is priority: most specific
//!   arch first, `generic` last. The arch of a wheel is the basename of the find-links
//!   directory it was found under, even when found in a subdirectory.
//! - With no pip config, the search paths are every directory exactly two levels below the
//!   wheelhouse (`gentoo2023/x86-64-v3`, `generic/…`), not the files in `generic/` itself.
//! - Junk sits in the wheelhouse (sdists, logs, misnamed wheels): reported, never fatal.

#![deny(missing_docs)]

mod catalogue;
pub mod env_vars;
mod find_links;
pub mod index;
mod pip_config;
mod pythons;

pub use catalogue::{Catalogue, CatalogueEntry, ScanWarning};
pub use env_vars::SiteEnv;
pub use find_links::{FindLink, FindLinkOrigin, FindLinks, similar_names};
pub use pip_config::{PipConfig, PipConfigError, pip_config_paths};
pub use pythons::{
    ModulePython, PythonVersion, available_pythons, misplaced_python_dirs, scan_module_trees,
};
