//! `wharf avail`: what the site's wheelhouse offers, listed exactly as the Alliance's
//! `avail_wheels` 2.1.3 lists it, and explained when a name is missing.
//!
//! Traps reproduced on purpose (for byte-identical output): only the newest version is
//! shown unless versions are asked for; pre-releases are hidden when a name is given;
//! manylinux wheels never appear; sort orders use packaging 21.3's legacy version key.
//! Deliberate differences (PEP 503 names, strict PEP 427 filenames) are listed in the
//! README.

#![deny(missing_docs)]

mod explain;
mod loose_version;
mod query;
mod select;

pub use explain::{Explanation, explain};
pub use loose_version::LooseVersion;
pub use query::{
    AnySpecifier, AvailRequirement, AvailRequirementError, AvailSpecifiers, normalize_pattern,
};
pub use select::{AvailQuery, Column, Group, NotAvailable, avail_tags, rows, select};
