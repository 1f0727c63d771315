//! Versions ordered the way `avail_wheels` orders them: `packaging.version.parse` of
//! packaging 21.3, where any string that is not PEP 440 becomes a `LegacyVersion`.
//!
//! `avail_wheels` sorts every displayed column with this key (`cp310` > `cp39`,
//! `py3` > `py2,py3`), so reproducing its row order byte for byte needs it. Source:
//! packaging 21.3 `version.py` (`LegacyVersion`, `_legacy_cmpkey`): a legacy version sorts
//! before every PEP 440 version; legacy versions compare by their split parts, numbers
//! zero-padded to 8 digits, words prefixed with `*`, `*final` appended.

use std::cmp::Ordering;
use std::str::FromStr;

use pep440_rs::Version;

/// A version string that may or may not be PEP 440.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LooseVersion {
    /// A valid PEP 440 version. Ex) `1.26.4+computecanada`
    Pep440(Version),
    /// Anything else, with its comparison key. Ex) `cp310`, `py2,py3`, ``
    Legacy(Vec<String>),
}

impl LooseVersion {
    /// Parses like `packaging.version.parse` (packaging 21.3): PEP 440 when valid, else
    /// legacy. Never fails.
    pub fn parse(s: &str) -> Self {
        match Version::from_str(s) {
            Ok(version) => Self::Pep440(version),
            Err(_) => Self::Legacy(legacy_key(s)),
        }
    }

    /// Whether this is a pre-release or dev-release (legacy versions never are).
    pub fn is_prerelease(&self) -> bool {
        match self {
            Self::Pep440(v) => v.any_prerelease(),
            Self::Legacy(_) => false,
        }
    }
}

impl Ord for LooseVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Self::Pep440(a), Self::Pep440(b)) => a.cmp(b),
            (Self::Legacy(a), Self::Legacy(b)) => a.cmp(b),
            (Self::Legacy(_), Self::Pep440(_)) => Ordering::Less,
            (Self::Pep440(_), Self::Legacy(_)) => Ordering::Greater,
        }
    }
}

impl PartialOrd for LooseVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// packaging 21.3 `_legacy_cmpkey` (the epoch, always -1, is implied).
pub(crate) fn legacy_key(version: &str) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    for part in legacy_parts(&version.to_lowercase()) {
        if part.starts_with('*') {
            if part.as_str() < "*final" {
                while parts.last().is_some_and(|p| p == "*final-") {
                    parts.pop();
                }
            }
            while parts.last().is_some_and(|p| p == "00000000") {
                parts.pop();
            }
        }
        parts.push(part);
    }
    parts
}

/// packaging 21.3 `_parse_version_parts`: split on runs of digits, runs of letters, `.`
/// and `-` (keeping the text between matches), map `pre`/`preview`/`rc` → `c`,
/// `dev` → `@`, `-` → `final-`; drop empty parts and dots; pad numbers; end with `*final`.
fn legacy_parts(s: &str) -> Vec<String> {
    #[derive(PartialEq, Clone, Copy)]
    enum Class {
        Digit,
        Alpha,
        Other,
    }
    let class = |c: char| {
        if c.is_ascii_digit() {
            Class::Digit
        } else if c.is_ascii_lowercase() {
            Class::Alpha
        } else {
            Class::Other
        }
    };
    let mut tokens: Vec<&str> = Vec::new();
    let mut pending_other_start: Option<usize> = None;
    let mut chars = s.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        match class(c) {
            Class::Digit | Class::Alpha => {
                if let Some(o) = pending_other_start.take() {
                    tokens.push(&s[o..start]);
                }
                let kind = class(c);
                let mut end = start + c.len_utf8();
                while let Some(&(i, next)) = chars.peek() {
                    if class(next) == kind {
                        end = i + next.len_utf8();
                        chars.next();
                    } else {
                        break;
                    }
                }
                tokens.push(&s[start..end]);
            }
            Class::Other if c == '.' || c == '-' => {
                if let Some(o) = pending_other_start.take() {
                    tokens.push(&s[o..start]);
                }
                tokens.push(&s[start..=start]);
            }
            Class::Other => {
                if pending_other_start.is_none() {
                    pending_other_start = Some(start);
                }
            }
        }
    }
    if let Some(o) = pending_other_start {
        tokens.push(&s[o..]);
    }
    let mut out = Vec::with_capacity(tokens.len() + 1);
    for token in tokens {
        let token = match token {
            "pre" | "preview" | "rc" => "c",
            "-" => "final-",
            "dev" => "@",
            other => other,
        };
        if token.is_empty() || token == "." {
            continue;
        }
        if token.as_bytes()[0].is_ascii_digit() {
            out.push(format!("{token:0>8}"));
        } else {
            out.push(format!("*{token}"));
        }
    }
    out.push("*final".to_string());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted_desc(values: &[&str]) -> Vec<String> {
        let mut v: Vec<&str> = values.to_vec();
        v.sort_by(|a, b| LooseVersion::parse(b).cmp(&LooseVersion::parse(a)));
        v.into_iter().map(String::from).collect()
    }

    #[test]
    fn python_tags_sort_numerically() {
        assert_eq!(
            sorted_desc(&["cp38", "cp310", "cp39"]),
            ["cp310", "cp39", "cp38"]
        );
    }

    #[test]
    fn compressed_sets_sort_after_single_tags() {
        assert_eq!(sorted_desc(&["py2,py3", "py3"]), ["py3", "py2,py3"]);
    }

    #[test]
    fn legacy_sorts_before_pep440() {
        assert_eq!(sorted_desc(&["", "1"]), ["1", ""]);
        assert_eq!(sorted_desc(&["cp36", "1.0"]), ["1.0", "cp36"]);
    }

    #[test]
    fn legacy_key_matches_packaging() {
        // packaging 21.3: LegacyVersion("py2,py3")._key[1]
        assert_eq!(
            legacy_key("py2,py3"),
            ["*py", "00000002", "*,", "*py", "00000003", "*final"]
        );
        assert_eq!(legacy_key("1.0-dev"), ["00000001", "*@", "*final"]);
        assert_eq!(legacy_key(""), ["*final"]);
    }

    #[test]
    fn local_versions_compare_as_pep440() {
        assert_eq!(
            sorted_desc(&[
                "2.1.2+torch210.computecanada",
                "2.1.2+torch29.computecanada"
            ]),
            [
                "2.1.2+torch29.computecanada",
                "2.1.2+torch210.computecanada"
            ]
        );
    }
}
