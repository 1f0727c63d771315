//! PEP 425 compatibility tags and an interpreter's ordered compatible set.
//!
//! Source: <https://packaging.python.org/en/latest/specifications/platform-compatibility-tags/>
//! and the reference implementation `packaging.tags` (`cpython_tags`, `compatible_tags`,
//! `_manylinux.platform_tags`), whose orders are reproduced here.

use std::fmt;
use std::str::FromStr;

use rustc_hash::FxHashMap as HashMap;

/// An invalid tag component.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagError {
    /// The tag is the empty string (`py3--any`).
    #[error("empty {kind} tag")]
    Empty {
        /// Which part: `python`, `abi` or `platform`.
        kind: &'static str,
    },
    /// The tag holds a character outside `[A-Za-z0-9_]` (compressed sets are split on `.`
    /// before a tag is built, so a `.` here is also invalid).
    #[error("invalid character `{character}` in {kind} tag `{tag}`")]
    InvalidCharacter {
        /// Which part: `python`, `abi` or `platform`.
        kind: &'static str,
        /// The tag as written.
        tag: String,
        /// The first offending character.
        character: char,
    },
}

fn validate(kind: &'static str, tag: &str) -> Result<Box<str>, TagError> {
    if tag.is_empty() {
        return Err(TagError::Empty { kind });
    }
    if let Some(character) = tag
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
    {
        return Err(TagError::InvalidCharacter {
            kind,
            tag: tag.to_string(),
            character,
        });
    }
    Ok(tag.to_ascii_lowercase().into_boxed_str())
}

macro_rules! tag_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Box<str>);

        impl $name {
            /// The tag, lowercased (tags compare case-insensitively).
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = TagError;
            fn from_str(s: &str) -> Result<Self, TagError> {
                validate($kind, s).map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

tag_type!(
    /// A PEP 425 python tag: implementation and version.
    ///
    /// Ex) `cp311` (CPython 3.11), `py3` (any Python 3), `py2`, `pp39` (PyPy 3.9)
    LanguageTag,
    "python"
);
tag_type!(
    /// A PEP 425 ABI tag.
    ///
    /// Ex) `cp311` (CPython 3.11's ABI), `abi3` (the stable ABI), `none`, `cp36m` (pymalloc)
    AbiTag,
    "abi"
);
tag_type!(
    /// A PEP 425 platform tag.
    ///
    /// Ex) `linux_x86_64`, `manylinux_2_17_x86_64` (PEP 600), `manylinux2014_x86_64`, `any`
    PlatformTag,
    "platform"
);

impl LanguageTag {
    /// The CPython version of a `cpXY` tag: `cp311` → `(3, 11)`; `None` for other tags.
    pub fn cpython_version(&self) -> Option<(u8, u8)> {
        let digits = self.0.strip_prefix("cp")?;
        let (major, minor) = digits.split_at_checked(1)?;
        Some((major.parse().ok()?, minor.parse().ok()?))
    }

    fn new_unchecked(s: String) -> Self {
        Self(s.into_boxed_str())
    }
}

impl AbiTag {
    fn new_unchecked(s: &str) -> Self {
        Self(s.into())
    }

    /// Whether this is the ABI of a free-threaded CPython (PEP 703): a `cpXY` tag whose flags
    /// hold `t`. Ex) `cp313t`, `cp313td`
    pub fn is_free_threaded(&self) -> bool {
        self.0
            .strip_prefix("cp")
            .map(|rest| rest.trim_start_matches(|c: char| c.is_ascii_digit()))
            .is_some_and(|flags| flags.contains('t'))
    }
}

impl PlatformTag {
    /// `any`: a pure-Python wheel.
    pub fn any() -> Self {
        Self("any".into())
    }

    /// Whether this is a manylinux tag (`manylinux1_*`, `manylinux2010_*`,
    /// `manylinux2014_*` or PEP 600 `manylinux_X_Y_*`), which the site's policy refuses.
    pub fn is_manylinux(&self) -> bool {
        self.0.starts_with("manylinux")
    }

    /// The platform tags a Linux interpreter accepts, best first, as pip computes them
    /// (`packaging.tags.platform_tags`): PEP 600 `manylinux_2_Y_ARCH` from the running
    /// glibc down to the oldest one defined for `arch`, each followed by its legacy alias
    /// (`manylinux2014` = 2.17, `manylinux2010` = 2.12, `manylinux1` = 2.5), then
    /// `linux_ARCH`. With `glibc = None` (musl, unknown, or manylinux refused by the site's
    /// `_manylinux` module) only `linux_ARCH` is returned.
    pub fn linux_platforms(arch: &str, glibc: Option<(u16, u16)>) -> Vec<PlatformTag> {
        let mut platforms = Vec::new();
        if let Some((2, current_minor)) = glibc {
            let oldest_minor = if matches!(arch, "x86_64" | "i686") {
                5
            } else {
                17
            };
            for minor in (oldest_minor..=current_minor).rev() {
                platforms.push(Self(format!("manylinux_2_{minor}_{arch}").into()));
                let alias = match minor {
                    17 => Some("manylinux2014"),
                    12 => Some("manylinux2010"),
                    5 => Some("manylinux1"),
                    _ => None,
                };
                if let Some(alias) = alias {
                    platforms.push(Self(format!("{alias}_{arch}").into()));
                }
            }
        }
        platforms.push(Self(format!("linux_{arch}").into()));
        platforms
    }
}

/// One PEP 425 tag triple: `{python}-{abi}-{platform}`. Ex) `cp311-cp311-linux_x86_64`
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag {
    /// The python tag. Ex) `cp311`
    pub python: LanguageTag,
    /// The ABI tag. Ex) `abi3`
    pub abi: AbiTag,
    /// The platform tag. Ex) `linux_x86_64`
    pub platform: PlatformTag,
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{}", self.python, self.abi, self.platform)
    }
}

/// Tag priorities indexed python ▸ abi ▸ platform, so lookups by `&str` need no allocation.
type TagIndex = HashMap<Box<str>, HashMap<Box<str>, HashMap<Box<str>, usize>>>;

/// An interpreter's compatible tags, in priority order (index 0 is the most preferred),
/// as `packaging.tags.sys_tags()` yields them for CPython.
///
/// Shape: an ordered list plus an index for O(1) lookups. Built by [`Tags::cpython`].
#[derive(Clone, Debug, Default)]
pub struct Tags {
    ordered: Vec<Tag>,
    priority: TagIndex,
}

impl Tags {
    /// The tags of CPython `major.minor` with the given ABIs (best first, e.g. `["cp311"]`)
    /// on the given platforms (best first), in `packaging.tags` order:
    /// `cpython_tags` (ABIs, then `abi3`, `none`, then older `cpXY-abi3`), then
    /// `compatible_tags` (`pyXY-none-PLATFORM`…, `cpXY-none-any` when
    /// `interpreter_any` is true, then `pyXY-none-any`…).
    ///
    /// `abi3` applies from 3.2 on, except to a free-threaded ABI (`cp313t`), as in
    /// `packaging.tags._abi3_applies`.
    ///
    /// pip's `sys_tags()` passes `interpreter_any = true`; the Alliance's `avail_wheels`
    /// calls `compatible_tags` without an interpreter, i.e. `interpreter_any = false`.
    pub fn cpython(
        python_version: (u8, u8),
        abis: &[AbiTag],
        platforms: &[PlatformTag],
        interpreter_any: bool,
    ) -> Self {
        let (major, minor) = python_version;
        let interpreter = LanguageTag::new_unchecked(format!("cp{major}{minor}"));
        let none = AbiTag::new_unchecked("none");
        let abi3 = AbiTag::new_unchecked("abi3");
        let abi3_applies = python_version >= (3, 2) && !abis.iter().any(AbiTag::is_free_threaded);
        let mut tags = Tags::default();
        for abi in abis
            .iter()
            .filter(|abi| !matches!(abi.as_str(), "abi3" | "none"))
        {
            for platform in platforms {
                tags.push(&interpreter, abi, platform);
            }
        }
        if abi3_applies {
            for platform in platforms {
                tags.push(&interpreter, &abi3, platform);
            }
        }
        for platform in platforms {
            tags.push(&interpreter, &none, platform);
        }
        if abi3_applies {
            for older in (2..minor).rev() {
                let older = LanguageTag::new_unchecked(format!("cp{major}{older}"));
                for platform in platforms {
                    tags.push(&older, &abi3, platform);
                }
            }
        }
        // compatible_tags: pyXY, pyX, then pyX(Y-1)… down to pyX0.
        let mut py_range = vec![LanguageTag::new_unchecked(format!("py{major}{minor}"))];
        py_range.push(LanguageTag::new_unchecked(format!("py{major}")));
        for older in (0..minor).rev() {
            py_range.push(LanguageTag::new_unchecked(format!("py{major}{older}")));
        }
        for python in &py_range {
            for platform in platforms {
                tags.push(python, &none, platform);
            }
        }
        let any = PlatformTag::any();
        if interpreter_any {
            tags.push(&interpreter, &none, &any);
        }
        for python in &py_range {
            tags.push(python, &none, &any);
        }
        tags
    }

    /// The ABI list `packaging` 21.3 derives for a CPython version on a regular
    /// (non-debug, pymalloc, UCS-4) build: `cp38`+ → `cpXY`; 3.3–3.7 → `cpXYm`;
    /// older → `cpXYmu`.
    pub fn cpython_default_abis(python_version: (u8, u8)) -> Vec<AbiTag> {
        let (major, minor) = python_version;
        let suffix = if python_version >= (3, 8) {
            ""
        } else if python_version >= (3, 3) {
            "m"
        } else {
            "mu"
        };
        vec![AbiTag(format!("cp{major}{minor}{suffix}").into())]
    }

    /// The ABI list `packaging` (`tags._cpython_abis`) derives for a CPython build, best
    /// first: `cpXY` plus `t` for a free-threaded build (`Py_GIL_DISABLED`, 3.13+), `d` for a
    /// debug build (`Py_DEBUG`), and before 3.8 `m` (pymalloc) and before 3.3 `u` (UCS-4). A
    /// debug build 3.8+ also loads the non-debug ABI, listed second.
    ///
    /// Ex) 3.13 free-threaded → `["cp313t"]`; 3.12 debug → `["cp312d", "cp312"]`
    pub fn cpython_abis(python_version: (u8, u8), debug: bool, free_threaded: bool) -> Vec<AbiTag> {
        let (major, minor) = python_version;
        let version = format!("cp{major}{minor}");
        let threading = if free_threaded && python_version >= (3, 13) {
            "t"
        } else {
            ""
        };
        let debug_flag = if debug { "d" } else { "" };
        let (pymalloc, ucs4) = if python_version >= (3, 8) {
            ("", "")
        } else if python_version >= (3, 3) {
            ("m", "")
        } else {
            ("m", "u")
        };
        let mut abis = vec![AbiTag(
            format!("{version}{threading}{debug_flag}{pymalloc}{ucs4}").into(),
        )];
        if debug && python_version >= (3, 8) {
            abis.push(AbiTag(format!("{version}{threading}").into()));
        }
        abis
    }

    fn push(&mut self, python: &LanguageTag, abi: &AbiTag, platform: &PlatformTag) {
        let next = self.ordered.len();
        let slot = self
            .priority
            .entry(python.0.clone())
            .or_default()
            .entry(abi.0.clone())
            .or_default()
            .entry(platform.0.clone());
        if matches!(slot, std::collections::hash_map::Entry::Occupied(_)) {
            return;
        }
        slot.or_insert(next);
        self.ordered.push(Tag {
            python: python.clone(),
            abi: abi.clone(),
            platform: platform.clone(),
        });
    }

    /// The priority of one tag triple (0 = best), or `None` when it is not compatible.
    pub fn priority(&self, python: &str, abi: &str, platform: &str) -> Option<usize> {
        self.priority.get(python)?.get(abi)?.get(platform).copied()
    }

    /// The tags in priority order.
    pub fn iter(&self) -> impl Iterator<Item = &Tag> {
        self.ordered.iter()
    }

    /// Number of tags.
    pub fn len(&self) -> usize {
        self.ordered.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.ordered.is_empty()
    }

    /// The union of several sets (`self`'s tags first, then each of `others`' new ones, in
    /// order): a wheel is compatible with the union iff it is with one of the sets.
    pub fn union<'a>(sets: impl IntoIterator<Item = &'a Tags>) -> Tags {
        let mut union = Tags::default();
        for set in sets {
            for tag in &set.ordered {
                union.push(&tag.python, &tag.abi, &tag.platform);
            }
        }
        union
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(tags: &Tags) -> Vec<String> {
        tags.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn cpython_310_generic_platform_order() {
        let tags = Tags::cpython(
            (3, 10),
            &Tags::cpython_default_abis((3, 10)),
            &["linux_x86_64".parse().unwrap()],
            true,
        );
        let s = strings(&tags);
        assert_eq!(s[0], "cp310-cp310-linux_x86_64");
        assert_eq!(s[1], "cp310-abi3-linux_x86_64");
        assert_eq!(s[2], "cp310-none-linux_x86_64");
        assert_eq!(s[3], "cp39-abi3-linux_x86_64");
        assert!(s.contains(&"cp32-abi3-linux_x86_64".to_string()));
        assert!(!s.contains(&"cp31-abi3-linux_x86_64".to_string()));
        assert!(s.contains(&"cp310-none-any".to_string()));
        assert_eq!(s.last().unwrap(), "py30-none-any");
        assert_eq!(
            tags.priority("py3", "none", "any"),
            s.iter().position(|t| t == "py3-none-any")
        );
    }

    #[test]
    fn avail_wheels_set_has_no_interpreter_any() {
        let tags = Tags::cpython(
            (3, 11),
            &Tags::cpython_default_abis((3, 11)),
            &["linux_x86_64".parse().unwrap()],
            false,
        );
        assert!(tags.priority("cp311", "none", "any").is_none());
        assert!(tags.priority("py2", "none", "any").is_none());
    }

    #[test]
    fn union_accepts_what_any_member_accepts() {
        let linux: PlatformTag = "linux_x86_64".parse().unwrap();
        let a = Tags::cpython(
            (3, 10),
            &Tags::cpython_default_abis((3, 10)),
            std::slice::from_ref(&linux),
            false,
        );
        let b = Tags::cpython(
            (3, 12),
            &Tags::cpython_default_abis((3, 12)),
            std::slice::from_ref(&linux),
            false,
        );
        let both = Tags::union([&a, &b]);
        assert!(both.priority("cp310", "cp310", "linux_x86_64").is_some());
        assert!(both.priority("cp312", "cp312", "linux_x86_64").is_some());
        assert!(both.priority("cp311", "cp311", "linux_x86_64").is_none());
    }

    #[test]
    fn default_abis() {
        assert_eq!(Tags::cpython_default_abis((2, 7))[0].as_str(), "cp27mu");
        assert_eq!(Tags::cpython_default_abis((3, 6))[0].as_str(), "cp36m");
        assert_eq!(Tags::cpython_default_abis((3, 12))[0].as_str(), "cp312");
    }

    #[test]
    fn manylinux_platforms_pep600_order() {
        let p: Vec<String> = PlatformTag::linux_platforms("x86_64", Some((2, 17)))
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(p[0], "manylinux_2_17_x86_64");
        assert_eq!(p[1], "manylinux2014_x86_64");
        assert!(p.contains(&"manylinux2010_x86_64".to_string()));
        assert_eq!(p[p.len() - 2], "manylinux1_x86_64");
        assert_eq!(p.last().unwrap(), "linux_x86_64");
        assert_eq!(
            PlatformTag::linux_platforms("x86_64", None),
            vec!["linux_x86_64".parse::<PlatformTag>().unwrap()]
        );
    }

    #[test]
    fn cpython_version_of_tag() {
        assert_eq!(
            "cp311".parse::<LanguageTag>().unwrap().cpython_version(),
            Some((3, 11))
        );
        assert_eq!(
            "py3".parse::<LanguageTag>().unwrap().cpython_version(),
            None
        );
    }

    #[test]
    fn err_empty_tag() {
        let err = "".parse::<AbiTag>().unwrap_err();
        insta::assert_snapshot!(err, @"empty abi tag");
    }

    #[test]
    fn err_invalid_character() {
        let err = "linux-x86".parse::<PlatformTag>().unwrap_err();
        insta::assert_snapshot!(err, @"invalid character `-` in platform tag `linux-x86`");
    }

    #[test]
    fn tags_are_lowercased() {
        assert_eq!("CP311".parse::<LanguageTag>().unwrap().as_str(), "cp311");
    }

    #[test]
    fn cpython_abis_follow_build_flags() {
        let abis = |version, debug, free_threaded| -> Vec<String> {
            Tags::cpython_abis(version, debug, free_threaded)
                .iter()
                .map(ToString::to_string)
                .collect()
        };
        assert_eq!(abis((3, 13), false, true), ["cp313t"]);
        assert_eq!(abis((3, 13), true, true), ["cp313td", "cp313t"]);
        assert_eq!(abis((3, 12), true, false), ["cp312d", "cp312"]);
        assert_eq!(abis((3, 7), false, false), ["cp37m"]);
        // `Py_GIL_DISABLED` means nothing before 3.13.
        assert_eq!(abis((3, 12), false, true), ["cp312"]);
        for version in [(3, 6), (3, 11), (3, 13)] {
            assert_eq!(
                Tags::cpython_abis(version, false, false),
                Tags::cpython_default_abis(version)
            );
        }
    }

    #[test]
    fn free_threaded_tags_have_no_abi3() {
        let abis = Tags::cpython_abis((3, 13), false, true);
        assert!(abis[0].is_free_threaded());
        assert!(!"cp313".parse::<AbiTag>().unwrap().is_free_threaded());
        assert!(!"abi3".parse::<AbiTag>().unwrap().is_free_threaded());
        let tags = Tags::cpython(
            (3, 13),
            &abis,
            &PlatformTag::linux_platforms("x86_64", None),
            true,
        );
        let tags = strings(&tags);
        assert_eq!(tags[0], "cp313-cp313t-linux_x86_64");
        assert!(!tags.iter().any(|tag| tag.contains("abi3")), "{tags:?}");
        assert!(!tags.iter().any(|tag| tag.contains("-cp313-")), "{tags:?}");
        assert!(tags.contains(&"cp313-none-linux_x86_64".to_owned()));
    }
}
