//! The PEP 517 / PEP 660 build frontend: wharf builds wheels of local projects and sdists
//! by calling the project's build backend, offline.
//!
//! - [`SourceTree`]: a project directory and its `[build-system]` (PEP 518): `requires`,
//!   `build-backend`, `backend-path`; a tree with only `setup.py` (or no `[build-system]`)
//!   gets pip's legacy default, `setuptools>=40.8.0` with `setuptools.build_meta:__legacy__`.
//! - [`Hooks`]: the backend's hooks (`get_requires_for_build_wheel`, `build_wheel`,
//!   `build_editable`, …) called through a small Python shim run by the build environment's
//!   interpreter in the source directory; the hook's result comes back as JSON in a file, the
//!   backend's output goes to the build log.
//! - [`BuildCache`]: built wheels kept by key — the sdist's sha256, or a local tree's state
//!   (every file's path, size and mtime) — with the interpreter and the build kind.
//! - [`file_url`] and [`DirectUrl`]: PEP 610 `direct_url.json` as pip writes it.
//!
//! Traps: backends print to stdout (never parse it: results travel in a file); `backend-path`
//! entries are relative to the source tree and must come first on `sys.path`; an editable
//! wheel names the source tree's absolute path, so it is cached per path; a build leaves
//! `build/` and `*.egg-info` behind in the tree, which are left out of the tree's state.

#![deny(missing_docs)]

mod cache;
mod error;
mod hooks;
mod project;
mod url;

pub use cache::{BuildCache, CacheKey, file_sha256, tree_state};
pub use error::BuildError;
pub use hooks::{BuildKind, Hooks};
pub use project::{BuildSystem, SourceTree};
pub use url::{DirectUrl, file_url};
