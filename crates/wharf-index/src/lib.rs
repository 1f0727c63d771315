//! A client of Python package indexes: the simple repository API.
//!
//! - PEP 691 JSON pages are asked for first (`Accept` negotiation); an index that answers
//!   HTML (PEP 503: anchors, `#sha256=` fragments, `data-requires-python`,
//!   `data-dist-info-metadata`/`data-core-metadata`, `data-yanked`) is read as such. A static
//!   directory tree served by any web server is an index.
//! - PEP 658/714: a file's core metadata at `{url}.metadata`, checked against its stated hash.
//! - Downloads stream into a temporary file beside the destination while hashed; the file
//!   appears under its name only when the sha256 matches the index's.
//! - Transport errors, 429, 5xx and bodies too slow or cut short are retried with a doubling
//!   backoff; 404 on a project page means "no such project".
//! - Nothing an index sends is unbounded: a body stops at its declared size (PEP 700 `size`,
//!   else `Content-Length`, else [`MAX_UNDECLARED_FILE_BYTES`]), each attempt at a body ends
//!   within [`deadline`], redirects go only to `http(s):` URLs, and a file name that is a path
//!   (`../evil.whl`) is never written.
//!
//! Traps: relative hrefs are relative to the page URL *with* its trailing slash (or a
//! `<base href>`); `data-yanked=""` (empty) still means yanked; PyPI's JSON spells the
//! metadata key `core-metadata` (older: `dist-info-metadata`), either `true` or a hash map.
//! Nothing here reads the process environment: the CA bundle and proxy come from the caller.

#![deny(missing_docs)]

mod client;
mod error;
mod page;

pub use client::{
    ClientOptions, DownloadedFile, IndexClient, MAX_REDIRECTS, MAX_UNDECLARED_FILE_BYTES,
    PageOrigin, deadline,
};
pub use error::{DeclaredBy, IndexError};
pub use page::{ProjectFile, ProjectPage, is_safe_filename, parse_html, parse_json};
pub use url::Url;

/// PyPI's simple index, pip's default `--index-url`.
pub const PYPI_SIMPLE: &str = "https://pypi.org/simple";
