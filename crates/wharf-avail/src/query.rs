//! What `avail_wheels` accepts as a requirement: a PEP 508 requirement whose name may hold
//! `*` wildcards (`*cdf*`, `torch*==2.1.*`), with any `+local` part dropped.
//!
//! The name grammar is `avail_wheels`' (its `wild_requirements` module): optional leading
//! `*`s, letters/digits, then `-_.*` runs, then `-_.` and letter/digit runs — so
//! `*na*e*` is rejected. Specifiers that are not PEP 440 but have the legacy form
//! (`==1.2*`) are accepted and compared as packaging 21.3's `LegacySpecifier` does (they
//! match no PEP 440 version for `==`), with a warning.

use std::str::FromStr;
use std::sync::LazyLock;

use pep440_rs::{VersionSpecifier, VersionSpecifiers};
use regex::Regex;

use crate::loose_version::{LooseVersion, legacy_key};

/// An invalid requirement. The message quotes the text given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AvailRequirementError {
    /// The text does not start with a (wildcard) project name.
    #[error(
        "invalid requirement `{text}`: expected a project name (letters, digits, `-_.`, `*` wildcards)"
    )]
    InvalidName {
        /// The requirement as given.
        text: String,
    },
    /// Something follows the name that is not extras, a version specifier or a marker.
    #[error("invalid requirement `{text}`: unexpected `{rest}` after the name")]
    Unexpected {
        /// The requirement as given.
        text: String,
        /// The unparsed rest.
        rest: String,
    },
    /// A specifier is neither PEP 440 nor legacy (`==`, `!=`, `<=`, `>=`, `<`, `>` and a
    /// version).
    #[error("invalid requirement `{text}`: `{specifier}` is not a version specifier")]
    InvalidSpecifier {
        /// The requirement as given.
        text: String,
        /// The bad specifier.
        specifier: String,
    },
    /// The environment marker after `;` does not parse (PEP 508).
    #[error("invalid requirement `{text}`: invalid marker `{marker}`")]
    InvalidMarker {
        /// The requirement as given.
        text: String,
        /// The marker text.
        marker: String,
    },
}

/// One specifier of a set: PEP 440, or the legacy form packaging 21.3 fell back to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnySpecifier {
    /// Ex) `>=1.22`, `==1.2.*`
    Pep440(VersionSpecifier),
    /// Ex) `==1.2*`: an operator and any text.
    Legacy {
        /// `==`, `!=`, `<=`, `>=`, `<` or `>`.
        operator: String,
        /// The text after the operator.
        version: String,
    },
}

/// A comma-separated set of specifiers, matched the way packaging 21.3's `SpecifierSet`
/// matches a version string: pre-releases only when a specifier names one; legacy
/// (non-PEP 440) versions only by legacy specifiers or an empty set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AvailSpecifiers(pub Vec<AnySpecifier>);

impl AvailSpecifiers {
    /// Parses `>=1.0, <2` (empty → matches everything).
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut specs = Vec::new();
        for piece in text.split(',') {
            let piece = piece.trim();
            if piece.is_empty() {
                if text.trim().is_empty() {
                    continue;
                }
                return Err(piece.to_string());
            }
            if let Ok(spec) = VersionSpecifier::from_str(piece) {
                specs.push(AnySpecifier::Pep440(spec));
            } else if let Some(c) = LEGACY_SPECIFIER.captures(piece) {
                specs.push(AnySpecifier::Legacy {
                    operator: c[1].to_string(),
                    version: c[2].to_string(),
                });
            } else {
                return Err(piece.to_string());
            }
        }
        Ok(Self(specs))
    }

    /// `==VERSION` as `avail_wheels -v VERSION` builds it.
    pub fn equal_to(version: &str) -> Result<Self, String> {
        Self::parse(&format!("=={version}"))
    }

    /// Whether any specifier is in legacy form (worth a warning: it likely matches nothing).
    pub fn has_legacy(&self) -> bool {
        self.0
            .iter()
            .any(|s| matches!(s, AnySpecifier::Legacy { .. }))
    }

    fn allows_prereleases(&self) -> bool {
        self.0.iter().any(|spec| match spec {
            AnySpecifier::Pep440(spec) => {
                use pep440_rs::Operator::{
                    Equal, EqualStar, ExactEqual, GreaterThanEqual, LessThanEqual, TildeEqual,
                };
                matches!(
                    spec.operator(),
                    Equal | EqualStar | ExactEqual | GreaterThanEqual | LessThanEqual | TildeEqual
                ) && spec.version().any_prerelease()
            }
            AnySpecifier::Legacy { .. } => false,
        })
    }

    /// Whether the public version string `version` (no local part) is in the set.
    pub fn contains(&self, version: &str) -> bool {
        let item = LooseVersion::parse(version);
        if item.is_prerelease() && !self.allows_prereleases() {
            return false;
        }
        self.0.iter().all(|spec| match (spec, &item) {
            (AnySpecifier::Pep440(spec), LooseVersion::Pep440(v)) => spec.contains(v),
            (AnySpecifier::Pep440(_), LooseVersion::Legacy(_)) => false,
            (
                AnySpecifier::Legacy {
                    operator,
                    version: spec_version,
                },
                _,
            ) => {
                let item_key = match &item {
                    LooseVersion::Pep440(v) => legacy_key(&v.to_string()),
                    LooseVersion::Legacy(key) => key.clone(),
                };
                let spec_key = legacy_key(spec_version);
                match operator.as_str() {
                    "==" => item_key == spec_key,
                    "!=" => item_key != spec_key,
                    "<=" => item_key <= spec_key,
                    ">=" => item_key >= spec_key,
                    "<" => item_key < spec_key,
                    ">" => item_key > spec_key,
                    _ => false,
                }
            }
        })
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<VersionSpecifiers> for AvailSpecifiers {
    fn from(specifiers: VersionSpecifiers) -> Self {
        Self(
            specifiers
                .iter()
                .cloned()
                .map(AnySpecifier::Pep440)
                .collect(),
        )
    }
}

static NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\**[A-Za-z0-9]+[-_.*]*(?:[-_.]*[A-Za-z0-9]+)*").expect("valid regex")
});
static LEGACY_SPECIFIER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(==|!=|<=|>=|<|>)\s*([^,;\s)]*)$").expect("valid regex"));

/// A requirement as `avail_wheels` takes it: `NAME[extras] SPECIFIERS ; marker` where NAME
/// may contain `*`. Extras and markers are accepted and ignored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AvailRequirement {
    /// The name pattern as written (after dropping `+local`). Ex) `*cdf*`, `scikit-learn`
    pub name: String,
    /// The PEP 503-normalized pattern (lowercase, `-_.` runs → `-`), `*` kept.
    pub pattern: String,
    /// The version specifiers.
    pub specifiers: AvailSpecifiers,
}

impl AvailRequirement {
    /// Parses `text`, first dropping everything from the first `+` (a local version such
    /// as `jaxlib==0.4.20+cuda12.computecanada`), as `avail_wheels` does.
    pub fn parse(text: &str) -> Result<Self, AvailRequirementError> {
        let original = text;
        let text = text.split('+').next().unwrap_or_default().trim_start();
        let Some(name_match) = NAME.find(text) else {
            return Err(AvailRequirementError::InvalidName {
                text: original.to_string(),
            });
        };
        let name = name_match.as_str().to_string();
        let mut rest = text[name_match.end()..].trim_start();
        if let Some(after) = rest.strip_prefix('[') {
            let Some(end) = after.find(']') else {
                return Err(AvailRequirementError::Unexpected {
                    text: original.to_string(),
                    rest: rest.to_string(),
                });
            };
            rest = after[end + 1..].trim_start();
        }
        let (spec_part, marker) = match rest.split_once(';') {
            Some((spec, marker)) => (spec, Some(marker.trim())),
            None => (rest, None),
        };
        let spec_part = spec_part.trim();
        let specifiers = if spec_part.starts_with('@') {
            AvailSpecifiers::default()
        } else {
            let inner = spec_part
                .strip_prefix('(')
                .and_then(|s| s.strip_suffix(')'))
                .unwrap_or(spec_part);
            if !inner.is_empty() && !inner.starts_with(['=', '!', '<', '>', '~']) {
                return Err(AvailRequirementError::Unexpected {
                    text: original.to_string(),
                    rest: spec_part.to_string(),
                });
            }
            AvailSpecifiers::parse(inner).map_err(|specifier| {
                AvailRequirementError::InvalidSpecifier {
                    text: original.to_string(),
                    specifier,
                }
            })?
        };
        if let Some(marker) = marker
            && wharf_metadata::parse_marker(marker).is_err()
        {
            return Err(AvailRequirementError::InvalidMarker {
                text: original.to_string(),
                marker: marker.to_string(),
            });
        }
        Ok(Self {
            pattern: normalize_pattern(&name),
            name,
            specifiers,
        })
    }

    /// The key `avail_wheels` files this requirement under and prints for names not
    /// available: `-` replaced by `_`, lowercased. Ex) `Scikit-Learn` → `scikit_learn`
    pub fn display_key(&self) -> String {
        self.name.replace('-', "_").to_lowercase()
    }

    /// Whether the pattern has a `*` wildcard.
    pub fn is_wildcard(&self) -> bool {
        self.pattern.contains('*')
    }

    /// Whether a normalized project name matches the pattern.
    pub fn matches_name(&self, normalized_name: &str) -> bool {
        wildcard_match(self.pattern.as_bytes(), normalized_name.as_bytes())
    }
}

/// PEP 503 normalization that keeps `*`: lowercase, runs of `-`, `_`, `.` → `-`.
pub fn normalize_pattern(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_separator = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_separator {
                out.push('-');
            }
            in_separator = true;
        } else {
            out.push(c.to_ascii_lowercase());
            in_separator = false;
        }
    }
    out
}

/// `*` matches any run of characters (the only wildcard the grammar allows).
fn wildcard_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while t < text.len() {
        if p < pattern.len() && pattern[p] != b'*' && pattern[p] == text[t] {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some(p);
            p += 1;
            mark = t;
        } else if let Some(s) = star {
            p = s + 1;
            mark += 1;
            t = mark;
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(s: &str) -> AvailRequirement {
        AvailRequirement::parse(s).unwrap()
    }

    #[test]
    fn names_and_wildcards() {
        assert_eq!(req("*cdf*").pattern, "*cdf*");
        assert!(req("*cdf*").matches_name("netcdf4"));
        assert!(req("*cdf*").matches_name("h5netcdf"));
        assert!(!req("*cdf*").matches_name("numpy"));
        assert!(req("Scikit_Learn").matches_name("scikit-learn"));
        assert!(req("torch*").matches_name("torch-scatter"));
        assert_eq!(req("scikit-learn").display_key(), "scikit_learn");
    }

    #[test]
    fn specifiers_and_local_dropped() {
        let r = req("jaxlib==0.4.20+cuda12.cudnn89.computecanada");
        assert!(r.specifiers.contains("0.4.20"));
        assert!(!r.specifiers.contains("0.4.21"));
        let r = req("numpy>=1.22, <1.23");
        assert!(r.specifiers.contains("1.22.2"));
        assert!(!r.specifiers.contains("1.23.0"));
        let r = req("numpy (>=1.22)");
        assert!(r.specifiers.contains("1.22.2"));
        assert!(
            req("numpy[extra]>=1 ; python_version > '3'")
                .specifiers
                .contains("1.5")
        );
        assert!(
            req("pkg @ https://example.org/pkg.whl")
                .specifiers
                .is_empty()
        );
    }

    #[test]
    fn prereleases_excluded_unless_named() {
        assert!(!req("numpy").specifiers.contains("2.0.0rc1"));
        assert!(req("numpy>=2.0.0rc1").specifiers.contains("2.0.0rc1"));
        assert!(!req("numpy>=1").specifiers.contains("2.0.0rc1"));
    }

    #[test]
    fn legacy_specifier_matches_no_pep440_version() {
        let specs = AvailSpecifiers::equal_to("1.2*").unwrap();
        assert!(specs.has_legacy());
        assert!(!specs.contains("1.23.0"));
        assert!(AvailSpecifiers::parse("!=1.2*").unwrap().contains("1.23.0"));
    }

    #[test]
    fn wildcard_versions() {
        assert!(req("numpy==1.22.*").specifiers.contains("1.22.2"));
        assert!(req("numpy~=1.22.0").specifiers.contains("1.22.2"));
        assert!(!req("numpy~=1.22.0").specifiers.contains("1.23.0"));
    }

    #[test]
    fn err_invalid_name() {
        insta::assert_snapshot!(AvailRequirement::parse("==1.0").unwrap_err(), @"invalid requirement `==1.0`: expected a project name (letters, digits, `-_.`, `*` wildcards)");
    }

    #[test]
    fn err_wildcard_after_second_word() {
        insta::assert_snapshot!(AvailRequirement::parse("*na*e*").unwrap_err(), @"invalid requirement `*na*e*`: unexpected `*` after the name");
    }

    #[test]
    fn err_unclosed_extras() {
        insta::assert_snapshot!(AvailRequirement::parse("numpy[foo").unwrap_err(), @"invalid requirement `numpy[foo`: unexpected `[foo` after the name");
    }

    #[test]
    fn err_invalid_specifier() {
        insta::assert_snapshot!(AvailRequirement::parse("numpy>=1.0,").unwrap_err(), @"invalid requirement `numpy>=1.0,`: `` is not a version specifier");
        insta::assert_snapshot!(AvailRequirement::parse("numpy~=").unwrap_err(), @"invalid requirement `numpy~=`: `~=` is not a version specifier");
    }

    #[test]
    fn err_invalid_marker() {
        insta::assert_snapshot!(AvailRequirement::parse("numpy; python_version >>> '3'").unwrap_err(), @"invalid requirement `numpy; python_version >>> '3'`: invalid marker `python_version >>> '3'`");
    }
}
