//! Python versions: the shared `major.minor` [`PythonVersion`] (from `wharf-site`, so the
//! module trees `avail` lists and the interpreters discovery finds agree), and the
//! [`PartialVersion`] of requests and of names that tell only part of it.
//!
//! This module depends on nothing else in the crate: discovery and the probe both use it.

use std::fmt;
use std::str::FromStr;

pub use wharf_site::PythonVersion;

/// A Python version as far as it is known or asked: `3`, `3.11` or `3.11.5`.
///
/// A request (`wharf python find 3.11`) and what a candidate's name tells (`python3.11` says
/// `3.11`, `python3` only `3`). Ordering is numeric, and an unknown component sorts below any
/// known one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartialVersion {
    /// Ex) `3`
    pub major: u8,
    /// Ex) `11` in `3.11`
    pub minor: Option<u8>,
    /// Ex) `5` in `3.11.5`
    pub patch: Option<u16>,
}

impl PartialVersion {
    /// A full `major.minor.patch` version.
    pub fn new(major: u8, minor: u8, patch: u16) -> Self {
        Self {
            major,
            minor: Some(minor),
            patch: Some(patch),
        }
    }

    /// `major.minor`, when the minor is known. Ex) `3.11` for `3.11.5`
    pub fn major_minor(&self) -> Option<PythonVersion> {
        Some(PythonVersion {
            major: self.major,
            minor: self.minor?,
        })
    }

    /// Whether `self`, taken as a request, is met by `candidate`: `Some(true|false)` when the
    /// candidate's known components decide it, `None` when the candidate is too vague (a request
    /// for `3.11.5` and a `python3.11` on `PATH`).
    pub fn matched_by(&self, candidate: &PartialVersion) -> Option<bool> {
        if self.major != candidate.major {
            return Some(false);
        }
        if let (Some(wanted), Some(have)) = (self.minor, candidate.minor)
            && wanted != have
        {
            return Some(false);
        }
        match (self.minor, candidate.minor) {
            (None, _) => return Some(true),
            (Some(_), None) => return None,
            _ => {}
        }
        match (self.patch, candidate.patch) {
            (None, _) => Some(true),
            (Some(_), None) => None,
            (Some(wanted), Some(have)) => Some(wanted == have),
        }
    }
}

impl From<PythonVersion> for PartialVersion {
    fn from(version: PythonVersion) -> Self {
        Self {
            major: version.major,
            minor: Some(version.minor),
            patch: None,
        }
    }
}

impl fmt::Display for PartialVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.major)?;
        if let Some(minor) = self.minor {
            write!(f, ".{minor}")?;
            if let Some(patch) = self.patch {
                write!(f, ".{patch}")?;
            }
        }
        Ok(())
    }
}

/// The error for a string that is not `3`, `3.11` or `3.11.5`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a Python version like `3.11` or `3.11.5`")]
pub struct PartialVersionParseError(String);

impl FromStr for PartialVersion {
    type Err = PartialVersionParseError;

    /// Parses `3`, `3.11`, `3.11.5` (digits only; no pre-release suffix).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || PartialVersionParseError(text.to_owned());
        let mut parts = text.split('.');
        let major = digits(parts.next(), error)?
            .ok_or_else(error)?
            .parse()
            .map_err(|_| error())?;
        let minor = digits(parts.next(), error)?
            .map(str::parse)
            .transpose()
            .map_err(|_| error())?;
        let patch = digits(parts.next(), error)?
            .map(str::parse)
            .transpose()
            .map_err(|_| error())?;
        if parts.next().is_some() {
            return Err(error());
        }
        Ok(Self {
            major,
            minor,
            patch,
        })
    }
}

/// `Some(part)` when it is all ASCII digits, `None` when absent, else the error.
fn digits(
    part: Option<&str>,
    error: impl Fn() -> PartialVersionParseError,
) -> Result<Option<&str>, PartialVersionParseError> {
    match part {
        None => Ok(None),
        Some(part) if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) => {
            Ok(Some(part))
        }
        Some(_) => Err(error()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_matching() {
        let v = |text: &str| text.parse::<PartialVersion>().unwrap();
        assert_eq!(v("3.11").matched_by(&v("3.11.5")), Some(true));
        assert_eq!(v("3.11").matched_by(&v("3.12.1")), Some(false));
        assert_eq!(v("3.11.5").matched_by(&v("3.11")), None);
        assert_eq!(v("3.11.5").matched_by(&v("3.11.4")), Some(false));
        assert_eq!(v("3.11").matched_by(&v("3")), None);
        assert_eq!(v("3").matched_by(&v("2.7.18")), Some(false));
        assert!(v("3.11.10") > v("3.11.9"));
        assert!(v("3.11.0") > v("3.11"));
        assert_eq!(v("3.11.5").to_string(), "3.11.5");
        assert_eq!(
            v("3.11.5").major_minor(),
            Some(PythonVersion {
                major: 3,
                minor: 11
            })
        );
        assert_eq!(v("3").major_minor(), None);
    }

    #[test]
    fn err_not_a_version() {
        for text in ["3.x", "3.11.5.1", "", "3.300", "3.11rc1"] {
            assert!(text.parse::<PartialVersion>().is_err(), "{text}");
        }
        insta::assert_snapshot!("3.x".parse::<PartialVersion>().unwrap_err(), @"`3.x` is not a Python version like `3.11` or `3.11.5`");
    }
}
