//! `wharf serve`: a read-only package index over the site's wheelhouse catalogue.
//!
//! The same [`Catalogue`](wharf_site::Catalogue) `wharf avail` lists (find-links order, arch
//! directories, junk skipped, the catalogue index under `WHARF_CACHE_DIR`) is served as:
//!
//! - the Simple Repository API at `/simple/`: PEP 503 HTML and PEP 691 JSON chosen by the
//!   `Accept` header, PEP 503 names (other spellings are redirected), `data-requires-python`,
//!   `#sha256=` hashes, PEP 658/714 `.metadata` files with `data-core-metadata`, PEP 700
//!   `versions`, `size` and `upload-time`;
//! - the files at `/files/<find-link>/<path>`, with `ETag`, `Last-Modified`, `Range`;
//! - the "Available Python wheels" page at `/`.
//!
//! Traps of the domain:
//! - uv ignores PEP 600's `_manylinux` module, so a site whose policy refuses manylinux wheels
//!   must not list them at all, or uv installs them. They are hidden unless `allow_manylinux`.
//! - The same file name can sit in several find-links directories: only the first (the most
//!   specific arch) is listed, as pip's find-links order would pick it.
//! - Hashes cost a read of every byte: each file is hashed once, on the first request of its
//!   project, and the result kept next to the catalogue index (valid while size and mtime
//!   match). The catalogue is re-read when a directory's mtime changes (checked at most every
//!   [`CHECK_INTERVAL`]), so new wheels appear without a restart.
//! - Only files of the catalogue are served: a URL is looked up, never joined to a path, and a
//!   file whose real path (symlinks resolved) leaves the find-links directories is refused.
//!   Such a file is not listed either: not on its project's page, and a project with no other
//!   file is not in `/simple/` (checked when the catalogue snapshot is built: one `lstat` per
//!   file; the server notes each at start).

#![deny(missing_docs)]

mod files;
mod page;
mod server;
mod simple;
mod state;
mod time;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub use server::serve;
use wharf_site::{FindLinks, PythonVersion};

/// How often, at most, the wheelhouse directories are checked for changes.
pub const CHECK_INTERVAL: Duration = Duration::from_millis(250);

/// Everything the server needs, resolved by the command line.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// The address to listen on. Ex) `127.0.0.1:8000`
    pub bind: SocketAddr,
    /// The find-links directories, in priority order (already filtered by `--arch`).
    pub find_links: FindLinks,
    /// Serve only wheels compatible with one of these Pythons; empty: every wheel.
    pub pythons: Vec<PythonVersion>,
    /// The Python choices of the page (the site's module Pythons); empty: derived from the
    /// wheels' `cpXY` tags.
    pub page_pythons: Vec<PythonVersion>,
    /// List manylinux wheels too (the site's `_manylinux` policy refuses them).
    pub allow_manylinux: bool,
    /// Where the catalogue index and the hash cache live; `None`: no cache.
    pub index_dir: Option<PathBuf>,
    /// Worker threads.
    pub threads: usize,
    /// Log requests as JSON lines instead of text.
    pub json_log: bool,
    /// A client must send a request's headers within this time, or is disconnected.
    pub header_timeout: Duration,
}

/// Why the server could not run.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The address cannot be bound (in use, not local, no permission).
    #[error("cannot listen on `{address}`")]
    Bind {
        /// The address.
        address: SocketAddr,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The async runtime cannot start.
    #[error("cannot start the server's runtime")]
    Runtime(#[source] std::io::Error),
}
