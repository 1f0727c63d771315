//! Resolution policy: which wheel of the wheelhouse to install for each project.
//!
//! PubGrub (the `pubgrub` crate) runs over the catalogue's candidates; dependency metadata is
//! read from each candidate's `*.dist-info/METADATA` inside the zip, only for the versions the
//! solver asks about. The site's rules:
//!
//! - Local versions as PEP 440 has them, in the requirements of every package (not only the
//!   user's): `==1.2` matches `1.2+computecanada`, `<=1.2` too; `==1.2+computecanada` (as
//!   `pip freeze` writes) matches that label only ([`specifiers_contain`]).
//! - Among wheels of one version, the most specific arch directory (the first find-links
//!   entry) wins, then the best tag, then the highest build tag.
//! - manylinux wheels are refused when the interpreter's `_manylinux` module says so (the
//!   site's policy), unless the caller allows them; such refusals are explained.
//! - A distribution already importable from the target (installed in the environment, or put
//!   on `PYTHONPATH` by a module) satisfies a requirement it matches, as pip counts it.
//! - `Requires-Python` is honoured; markers and extras are evaluated for the target.
//! - The wheelhouse's sdists are candidates at every version, after the wheel of the same
//!   version (pip's and uv's order), built only when chosen ([`SdistBuilder`]); pip's
//!   `--only-binary`, `--no-binary` and `--prefer-binary` ([`BinaryPolicy`]) apply.
//! - Pre-releases are used only when a specifier names one, `--pre` is given, or no final
//!   release matches (packaging's `SpecifierSet.filter` rule).

#![deny(missing_docs)]

mod candidates;
mod conflicts;
mod explain;
mod report;
mod resolver;

pub use candidates::{
    Candidate, CandidateSet, CandidateSource, Project, RejectReason, Rejected, RemoteFile,
    SdistCandidate, read_wheel_metadata,
};
pub use explain::explain_unavailable;
pub use resolver::{
    BinaryPolicy, Installed, ResolveError, ResolveOptions, ResolvedPackage, ResolvedSource,
    ResolverEnv, SdistBuilder, resolve, specifiers_contain,
};
