//! pip's requirements file format (as pip 24.2 reads it), and the PEP 621
//! `[project].dependencies` of a `pyproject.toml`.
//!
//! [`RequirementsTxt::parse_file`] follows `-r`/`-c` includes and returns the requirement,
//! constraint and editable lines as their raw text (for `wharf avail`'s wildcard grammar, or
//! `pep508_rs` in `wharf install`), each with the file and line it came from, plus the
//! global options ([`RequirementsOptions`]). Source: pip's "Requirements File Format"
//! documentation and `pip/_internal/req/req_file.py`.
//!
//! Traps of the format, all reproduced here:
//! - `#` starts a comment only at the start of a line or after whitespace: `foo#bar` stays.
//!   Continuations (`\` at the end) are joined *before* comments are cut, so
//!   `foo # note \` swallows the whole next line; a comment line never continues.
//! - Only `${NAME}` with `NAME` in `[A-Z0-9_]+` is expanded; `$NAME`, `${lower}` and unset
//!   or empty variables stay as written. Expansion comes after comments are cut.
//! - The requirement ends at the first *space*-separated word that starts with `-`; a tab
//!   does not separate (`foo\t--hash=…` is all requirement text). Only the options part is
//!   shell-split, so `-e "./my dir"` loses its quotes but a requirement keeps them.
//! - Long options may be abbreviated to any unambiguous prefix (`--extra-index`), and an
//!   option's value is the next word even if it starts with `-`.
//! - A relative `-r`/`-c` path is relative to the including file's directory; a relative
//!   `-f` path is too, but only if it exists there — otherwise it stays as written.
//! - Whether lines are constraints is decided by the option, not the including file:
//!   `-r` inside a constraints file includes *requirements*.
//! - On a requirement line only `--hash`, `--config-settings` and `--global-option` count;
//!   `foo --pre` ignores `--pre`, and a `-r`/`-c` line ignores its other options. Except
//!   `--no-binary`/`--only-binary`, which pip applies while it reads, on any line.
//! - `-i` replaces the index list: extra index URLs seen before it are dropped.
//!
//! Where pip silently drops input, this crate refuses it instead (see
//! [`RequirementsTxtError::StrayArgument`], [`RequirementsTxtError::SeveralTargets`],
//! [`RequirementsTxtError::IncludeCycle`], [`RequirementsTxtError::EditableConstraint`]).
#![deny(missing_docs)]

mod error;
mod lines;
mod options;
mod pyproject;
mod requirements_txt;
mod shlex;

pub use error::RequirementsTxtError;
pub use options::FormatControl;
pub use pyproject::dependency_group;
pub use requirements_txt::{
    FileKind, Origin, RequirementEntry, RequirementsOptions, RequirementsTxt,
};
pub use shlex::ShlexError;

pub(crate) use requirements_txt::is_url_or_path;
