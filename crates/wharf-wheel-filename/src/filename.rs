//! PEP 427 wheel filenames.
//!
//! Source: <https://packaging.python.org/en/latest/specifications/binary-distribution-format/#file-name-convention>

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use pep440_rs::Version;
use pep508_rs::PackageName;
use rustc_hash::FxHashMap;

use crate::tags::{AbiTag, LanguageTag, PlatformTag, TagError, Tags};

/// A wheel filename that does not follow PEP 427. Each message quotes the filename.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WheelFilenameError {
    /// The name does not end in `.whl`.
    #[error("`{filename}` is not a wheel: the name does not end in `.whl`")]
    NotAWheel {
        /// The filename as given.
        filename: String,
    },
    /// The stem does not split into 5 or 6 `-`-separated parts.
    #[error(
        "`{filename}` is not a valid wheel filename: expected `name-version(-build)?-python-abi-platform.whl`, found {parts} `-`-separated parts"
    )]
    WrongPartCount {
        /// The filename as given.
        filename: String,
        /// How many parts were found.
        parts: usize,
    },
    /// The distribution name is not a valid (escaped) project name.
    #[error("`{filename}` has an invalid distribution name `{name}`")]
    InvalidName {
        /// The filename as given.
        filename: String,
        /// The distribution part.
        name: String,
    },
    /// The version is not a PEP 440 version.
    #[error("`{filename}` has an invalid version `{version}`")]
    InvalidVersion {
        /// The filename as given.
        filename: String,
        /// The version part.
        version: String,
        /// Why the version did not parse.
        #[source]
        source: pep440_rs::VersionParseError,
    },
    /// The build tag does not start with a digit.
    #[error("`{filename}` has an invalid build tag `{build}`: a build tag must start with a digit")]
    InvalidBuildTag {
        /// The filename as given.
        filename: String,
        /// The build part.
        build: String,
    },
    /// One of the three tag parts is invalid.
    #[error("`{filename}` has an invalid tag")]
    InvalidTag {
        /// The filename as given.
        filename: String,
        /// The tag problem.
        #[source]
        source: TagError,
    },
}

/// A PEP 427 build tag: a number, optionally followed by a string, e.g. `1` or `2abc`.
/// Sorts as the tuple `(number, rest)`, as the spec says.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BuildTag {
    number: u64,
    rest: Box<str>,
    raw: Box<str>,
}

impl BuildTag {
    /// The build tag as written in the filename. Ex) `1`, `5.15.0`
    pub fn as_str(&self) -> &str {
        &self.raw
    }
}

impl Ord for BuildTag {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.number, &self.rest).cmp(&(other.number, &other.rest))
    }
}

impl PartialOrd for BuildTag {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for BuildTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// A parsed wheel filename:
/// `{distribution}-{version}(-{build tag})?-{python tag}-{abi tag}-{platform tag}.whl`.
///
/// Each tag part may be a compressed set (`py2.py3`); the tag triples a wheel supports are
/// the cartesian product of the three lists. `FromStr` and `Display` round-trip on valid
/// names (tags come out lowercased).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct WheelFilename {
    /// The distribution name as written (escaped). Ex) `scikit_learn`, `PyYAML`
    pub distribution: Box<str>,
    /// The PEP 503 normalized project name. Ex) `scikit-learn`, `pyyaml`
    pub name: PackageName,
    /// The version, local part included. Ex) `1.26.4+computecanada`
    pub version: Version,
    /// The optional build tag. Ex) `1`
    pub build_tag: Option<BuildTag>,
    /// The python tags. Ex) `[py2, py3]`
    pub python_tags: Vec<LanguageTag>,
    /// The ABI tags. Ex) `[cp311]`
    pub abi_tags: Vec<AbiTag>,
    /// The platform tags. Ex) `[linux_x86_64]`
    pub platform_tags: Vec<PlatformTag>,
}

fn valid_distribution(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.'))
}

fn parse_tag_set<T: FromStr<Err = TagError>>(part: &str) -> Result<Vec<T>, TagError> {
    part.split('.').map(str::parse).collect()
}

impl FromStr for WheelFilename {
    type Err = WheelFilenameError;

    fn from_str(filename: &str) -> Result<Self, Self::Err> {
        parse(filename, None)
    }
}

/// Parses many wheel filenames, parsing each distinct distribution name, version and tag
/// set once: a wheelhouse repeats them (30 000 site wheels have ~3 000 names, ~8 000
/// versions and ~20 tag sets). The result is exactly what [`WheelFilename::from_str`] gives.
#[derive(Debug, Default)]
pub struct WheelFilenameParser {
    names: FxHashMap<Box<str>, PackageName>,
    versions: FxHashMap<Box<str>, Version>,
    python_tags: FxHashMap<Box<str>, Vec<LanguageTag>>,
    abi_tags: FxHashMap<Box<str>, Vec<AbiTag>>,
    platform_tags: FxHashMap<Box<str>, Vec<PlatformTag>>,
}

impl WheelFilenameParser {
    /// Parses `filename` as [`WheelFilename::from_str`] does (same value, same error).
    pub fn parse(&mut self, filename: &str) -> Result<WheelFilename, WheelFilenameError> {
        parse(filename, Some(self))
    }
}

/// `compute()`, or its earlier value for `key` in `memo` (errors are not remembered).
fn memoized<T: Clone, E>(
    memo: Option<&mut FxHashMap<Box<str>, T>>,
    key: &str,
    compute: impl FnOnce() -> Result<T, E>,
) -> Result<T, E> {
    let Some(memo) = memo else {
        return compute();
    };
    if let Some(value) = memo.get(key) {
        return Ok(value.clone());
    }
    let value = compute()?;
    memo.insert(key.into(), value.clone());
    Ok(value)
}

fn parse(
    filename: &str,
    mut memo: Option<&mut WheelFilenameParser>,
) -> Result<WheelFilename, WheelFilenameError> {
    let Some(stem) = filename.strip_suffix(".whl") else {
        return Err(WheelFilenameError::NotAWheel {
            filename: filename.to_string(),
        });
    };
    let mut parts = [""; 6];
    let mut count = 0;
    for part in stem.split('-') {
        if let Some(slot) = parts.get_mut(count) {
            *slot = part;
        }
        count += 1;
    }
    let (distribution, version, build, python, abi, platform) = match (count, parts) {
        (5, [name, version, python, abi, platform, _]) => {
            (name, version, None, python, abi, platform)
        }
        (6, [name, version, build, python, abi, platform]) => {
            (name, version, Some(build), python, abi, platform)
        }
        _ => {
            return Err(WheelFilenameError::WrongPartCount {
                filename: filename.to_string(),
                parts: count,
            });
        }
    };
    let name = memoized(
        memo.as_deref_mut().map(|m| &mut m.names),
        distribution,
        || {
            if valid_distribution(distribution) {
                PackageName::from_str(distribution).map_err(|_| ())
            } else {
                Err(())
            }
        },
    )
    .map_err(|()| WheelFilenameError::InvalidName {
        filename: filename.to_string(),
        name: distribution.to_string(),
    })?;
    let parsed_version = memoized(
        memo.as_deref_mut().map(|m| &mut m.versions),
        version,
        || Version::from_str(version),
    )
    .map_err(|source| WheelFilenameError::InvalidVersion {
        filename: filename.to_string(),
        version: version.to_string(),
        source,
    })?;
    let build_tag = match build {
        None => None,
        Some(raw) => {
            let digits = raw.bytes().take_while(u8::is_ascii_digit).count();
            let number =
                raw[..digits]
                    .parse::<u64>()
                    .map_err(|_| WheelFilenameError::InvalidBuildTag {
                        filename: filename.to_string(),
                        build: raw.to_string(),
                    })?;
            Some(BuildTag {
                number,
                rest: raw[digits..].into(),
                raw: raw.into(),
            })
        }
    };
    let tag_error = |source| WheelFilenameError::InvalidTag {
        filename: filename.to_string(),
        source,
    };
    let python_tags = memoized(
        memo.as_deref_mut().map(|m| &mut m.python_tags),
        python,
        || parse_tag_set(python),
    )
    .map_err(tag_error)?;
    let abi_tags = memoized(memo.as_deref_mut().map(|m| &mut m.abi_tags), abi, || {
        parse_tag_set(abi)
    })
    .map_err(tag_error)?;
    let platform_tags = memoized(memo.map(|m| &mut m.platform_tags), platform, || {
        parse_tag_set(platform)
    })
    .map_err(tag_error)?;
    Ok(WheelFilename {
        distribution: distribution.into(),
        name,
        version: parsed_version,
        build_tag,
        python_tags,
        abi_tags,
        platform_tags,
    })
}

impl fmt::Display for WheelFilename {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn join<T: fmt::Display>(items: &[T]) -> String {
            items
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(".")
        }
        write!(f, "{}-{}", self.distribution, self.version)?;
        if let Some(build) = &self.build_tag {
            write!(f, "-{build}")?;
        }
        write!(
            f,
            "-{}-{}-{}.whl",
            join(&self.python_tags),
            join(&self.abi_tags),
            join(&self.platform_tags)
        )
    }
}

impl WheelFilename {
    /// The best (lowest) priority among this wheel's tag triples in `tags`, or `None`
    /// when no triple is compatible.
    pub fn compatibility(&self, tags: &Tags) -> Option<usize> {
        let mut best: Option<usize> = None;
        for python in &self.python_tags {
            for abi in &self.abi_tags {
                for platform in &self.platform_tags {
                    if let Some(p) = tags.priority(python.as_str(), abi.as_str(), platform.as_str())
                    {
                        best = Some(best.map_or(p, |b| b.min(p)));
                    }
                }
            }
        }
        best
    }

    /// Whether any tag triple is in `tags`.
    pub fn is_compatible(&self, tags: &Tags) -> bool {
        self.compatibility(tags).is_some()
    }

    /// Whether every platform tag is a manylinux tag (the site refuses such wheels).
    pub fn is_manylinux_only(&self) -> bool {
        self.platform_tags.iter().all(PlatformTag::is_manylinux)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> WheelFilename {
        s.parse().unwrap()
    }

    #[test]
    fn site_wheel_with_local_version() {
        let w = parse("numpy-1.26.4+computecanada-cp311-cp311-linux_x86_64.whl");
        assert_eq!(w.name.as_ref(), "numpy");
        assert_eq!(w.version.to_string(), "1.26.4+computecanada");
        assert!(w.build_tag.is_none());
        assert_eq!(w.python_tags[0].as_str(), "cp311");
    }

    #[test]
    fn escaped_and_mixed_case_names_normalize() {
        assert_eq!(
            parse("scikit_learn-1.1.1-cp310-cp310-linux_x86_64.whl")
                .name
                .as_ref(),
            "scikit-learn"
        );
        assert_eq!(
            parse("PyYAML-6.0-cp310-cp310-linux_x86_64.whl")
                .name
                .as_ref(),
            "pyyaml"
        );
        assert_eq!(
            parse("path.py-12.5.0-py3-none-any.whl").name.as_ref(),
            "path-py"
        );
    }

    #[test]
    fn build_tag_and_compressed_tag_sets() {
        let w = parse("shiboken2-5.15.0-5.15.0-cp35.cp36.cp37.cp38-abi3-linux_x86_64.whl");
        assert_eq!(w.build_tag.as_ref().unwrap().as_str(), "5.15.0");
        assert_eq!(w.python_tags.len(), 4);
        let w = parse("pydicom-1.1.0-1-py2.py3-none-any.whl");
        assert_eq!(w.build_tag.as_ref().unwrap().as_str(), "1");
        assert_eq!(
            w.to_string(),
            "pydicom-1.1.0-1-py2.py3-none-any.whl",
            "Display round-trips"
        );
    }

    #[test]
    fn build_tags_sort_numerically() {
        let a = parse("x-1.0-2-py3-none-any.whl").build_tag.unwrap();
        let b = parse("x-1.0-10-py3-none-any.whl").build_tag.unwrap();
        assert!(a < b);
    }

    #[test]
    fn compatibility_with_tags() {
        let tags = Tags::cpython(
            (3, 11),
            &Tags::cpython_default_abis((3, 11)),
            &PlatformTag::linux_platforms("x86_64", Some((2, 28))),
            true,
        );
        let native = parse("numpy-2.0.0-cp311-cp311-linux_x86_64.whl");
        let manylinux =
            parse("numpy-2.0.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl");
        let pure = parse("six-1.16.0-py2.py3-none-any.whl");
        let other = parse("numpy-2.0.0-cp312-cp312-linux_x86_64.whl");
        assert!(manylinux.compatibility(&tags).unwrap() < native.compatibility(&tags).unwrap());
        assert!(pure.is_compatible(&tags));
        assert!(!other.is_compatible(&tags));
        assert!(manylinux.is_manylinux_only());
        assert!(!native.is_manylinux_only());
    }

    #[test]
    fn err_not_a_wheel() {
        let err = "numpy-1.0.tar.gz".parse::<WheelFilename>().unwrap_err();
        insta::assert_snapshot!(err, @"`numpy-1.0.tar.gz` is not a wheel: the name does not end in `.whl`");
    }

    #[test]
    fn err_wrong_part_count() {
        let err = "numpy-1.0-py3-none.whl"
            .parse::<WheelFilename>()
            .unwrap_err();
        insta::assert_snapshot!(err, @"`numpy-1.0-py3-none.whl` is not a valid wheel filename: expected `name-version(-build)?-python-abi-platform.whl`, found 4 `-`-separated parts");
        let err = "a-b-c-1.0-1-py3-none-any.whl"
            .parse::<WheelFilename>()
            .unwrap_err();
        assert!(matches!(
            err,
            WheelFilenameError::WrongPartCount { parts: 8, .. }
        ));
    }

    #[test]
    fn err_invalid_name() {
        let err = "_bad-1.0-py3-none-any.whl"
            .parse::<WheelFilename>()
            .unwrap_err();
        insta::assert_snapshot!(err, @"`_bad-1.0-py3-none-any.whl` has an invalid distribution name `_bad`");
    }

    #[test]
    fn err_invalid_version() {
        let err = "foo-bar-py3-none-any.whl"
            .parse::<WheelFilename>()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`foo-bar-py3-none-any.whl` has an invalid version `bar`"
        );
        assert!(std::error::Error::source(&err).is_some());
    }

    #[test]
    fn err_invalid_build_tag() {
        let err = "foo-1.0-abc-py3-none-any.whl"
            .parse::<WheelFilename>()
            .unwrap_err();
        insta::assert_snapshot!(err, @"`foo-1.0-abc-py3-none-any.whl` has an invalid build tag `abc`: a build tag must start with a digit");
    }

    #[test]
    fn err_invalid_tag() {
        let err = "foo-1.0-py3-none-.whl"
            .parse::<WheelFilename>()
            .unwrap_err();
        insta::assert_snapshot!(err, @"`foo-1.0-py3-none-.whl` has an invalid tag");
        let source = std::error::Error::source(&err).unwrap().to_string();
        assert_eq!(source, "empty platform tag");
    }
}

/// Property tests (no-panic issue): any text never panics the parser, and a parsed wheel
/// file name prints back to a name that parses to the same value.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    fn near_grammar() -> impl Strategy<Value = String> {
        (
            "[A-Za-z0-9][A-Za-z0-9._-]{0,6}[A-Za-z0-9_é.-]?",
            "[0-9]{1,3}(\\.[0-9]{1,3}){0,2}(rc1|\\.post2|\\+local)?",
            proptest::option::of("[0-9]{1,2}[a-z_]{0,3}"),
            "(py3|cp312|cp313t|py2\\.py3|pp310)",
            "(none|abi3|cp312|cp313t)",
            "(any|linux_x86_64|manylinux_2_17_x86_64\\.manylinux2014_x86_64|musllinux_1_1_aarch64|macosx_11_0_arm64)",
            "(\\.whl|\\.WHL|\\.zip|)",
        )
            .prop_map(|(name, version, build, python, abi, platform, extension)| {
                let build = build.map(|b| format!("-{b}")).unwrap_or_default();
                format!("{name}-{version}{build}-{python}-{abi}-{platform}{extension}")
            })
    }

    fn check(text: &str) -> Result<(), TestCaseError> {
        let Ok(filename) = text.parse::<WheelFilename>() else {
            return Ok(());
        };
        let printed = filename.to_string();
        let reparsed = printed.parse::<WheelFilename>();
        prop_assert!(reparsed.is_ok(), "{printed:?} from {text:?}");
        let reparsed = reparsed.unwrap();
        prop_assert_eq!(&reparsed, &filename);
        prop_assert_eq!(reparsed.to_string(), printed);
        Ok(())
    }

    proptest! {
        // 256 cases each (all property tests together < 30 s in debug on 2 cores);
        // `PROPTEST_CASES=10000 cargo test` for a longer local run.
        #![proptest_config(ProptestConfig::with_cases(
            std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256)
        ))]

        #[test]
        fn arbitrary_filename_never_panics(text in any::<String>()) {
            check(&text)?;
        }

        #[test]
        fn near_grammar_filename_round_trips(text in near_grammar()) {
            check(&text)?;
        }
    }
}
