//! Wheel filenames (PEP 427) and platform compatibility tags (PEP 425, PEP 600, abi3).
//!
//! A wheel's filename is its identity: `{distribution}-{version}(-{build tag})?-{python
//! tag}-{abi tag}-{platform tag}.whl`. The traps this crate handles:
//!
//! - The distribution part is escaped (`-` becomes `_`), so `scikit_learn` is the project
//!   `scikit-learn`; compare names only after PEP 503 normalization ([`PackageName`]).
//! - Each tag part may be a *compressed tag set*: `py2.py3` or `cp35.cp36.cp37` expands to
//!   the cartesian product of its parts.
//! - The optional build tag must start with a digit and sorts as `(int prefix, rest)`.
//! - Tags are case-insensitive; they are stored lowercased, as `packaging.tags` does.
//! - Site wheels are re-tagged (`linux_x86_64` in the filename while the `WHEEL` file inside
//!   still says manylinux): the filename is the truth, as pip treats it.

#![deny(missing_docs)]

mod filename;
mod tags;

pub use filename::{BuildTag, WheelFilename, WheelFilenameError, WheelFilenameParser};
pub use pep440_rs::Version;
pub use pep508_rs::PackageName;
pub use tags::{AbiTag, LanguageTag, PlatformTag, Tag, TagError, Tags};
