//! The options part of a line, read the way pip's `optparse` parser reads it.
//!
//! optparse accepts any unambiguous prefix of a long option (`--extra-index` is
//! `--extra-index-url`), takes the next word as a value even when it starts with `-`,
//! glues short values (`-rbase.txt`), and stops at `--`.

use std::collections::{BTreeSet, VecDeque};

use crate::{Origin, RequirementsTxtError};

/// The hash algorithms pip accepts in `--hash` (`STRONG_HASHES`).
pub(crate) const HASH_ALGORITHMS: [&str; 3] = ["sha256", "sha384", "sha512"];

/// The values pip 24.2 accepts for `--use-feature`.
pub(crate) const FEATURES: [&str; 3] = ["fast-deps", "truststore", "no-binary-enable-wheel-cache"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OptionId {
    IndexUrl,
    ExtraIndexUrl,
    NoIndex,
    Constraint,
    Requirement,
    Editable,
    FindLinks,
    NoBinary,
    OnlyBinary,
    PreferBinary,
    RequireHashes,
    Pre,
    TrustedHost,
    UseFeature,
    GlobalOption,
    Hash,
    ConfigSettings,
}

impl OptionId {
    fn takes_value(self) -> bool {
        !matches!(
            self,
            Self::NoIndex | Self::PreferBinary | Self::RequireHashes | Self::Pre
        )
    }
}

/// pip's line parser's long options, in its order (`SUPPORTED_OPTIONS` + `SUPPORTED_OPTIONS_REQ`).
const LONG_OPTIONS: [(&str, OptionId); 18] = [
    ("--index-url", OptionId::IndexUrl),
    ("--pypi-url", OptionId::IndexUrl),
    ("--extra-index-url", OptionId::ExtraIndexUrl),
    ("--no-index", OptionId::NoIndex),
    ("--constraint", OptionId::Constraint),
    ("--requirement", OptionId::Requirement),
    ("--editable", OptionId::Editable),
    ("--find-links", OptionId::FindLinks),
    ("--no-binary", OptionId::NoBinary),
    ("--only-binary", OptionId::OnlyBinary),
    ("--prefer-binary", OptionId::PreferBinary),
    ("--require-hashes", OptionId::RequireHashes),
    ("--pre", OptionId::Pre),
    ("--trusted-host", OptionId::TrustedHost),
    ("--use-feature", OptionId::UseFeature),
    ("--global-option", OptionId::GlobalOption),
    ("--hash", OptionId::Hash),
    ("--config-settings", OptionId::ConfigSettings),
];

const SHORT_OPTIONS: [(char, OptionId); 6] = [
    ('i', OptionId::IndexUrl),
    ('c', OptionId::Constraint),
    ('r', OptionId::Requirement),
    ('e', OptionId::Editable),
    ('f', OptionId::FindLinks),
    ('C', OptionId::ConfigSettings),
];

/// Every long option a requirements file accepts.
pub(crate) fn long_option_names() -> impl Iterator<Item = &'static str> {
    LONG_OPTIONS.iter().map(|(name, _)| *name)
}

/// pip's `FormatControl`: the packages for which wheels (`--no-binary`) or source
/// distributions (`--only-binary`) must not be used.
///
/// Names are normalized (`SciPy` → `scipy`); `:all:` stands for every package. A name in
/// both sets is impossible: adding to one removes from the other.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FormatControl {
    /// Packages never installed from a wheel. Ex) `{":all:"}`, `{"numpy"}`
    pub no_binary: BTreeSet<String>,
    /// Packages never built from source. Ex) `{"scipy"}`
    pub only_binary: BTreeSet<String>,
}

impl FormatControl {
    /// Apply one `--no-binary` value: comma-separated names, `:all:` or `:none:`.
    pub fn add_no_binary(&mut self, value: &str) {
        Self::handle_mutual_excludes(value, &mut self.no_binary, &mut self.only_binary);
    }

    /// Apply one `--only-binary` value: comma-separated names, `:all:` or `:none:`.
    pub fn add_only_binary(&mut self, value: &str) {
        Self::handle_mutual_excludes(value, &mut self.only_binary, &mut self.no_binary);
    }

    /// pip's `FormatControl.handle_mutual_excludes`: `:all:` clears both sets and stands
    /// alone unless a later `:none:` follows; `:none:` clears the target; names move
    /// from the other set to the target.
    fn handle_mutual_excludes(
        value: &str,
        target: &mut BTreeSet<String>,
        other: &mut BTreeSet<String>,
    ) {
        let mut names: Vec<&str> = value.split(',').collect();
        while let Some(all) = names.iter().position(|name| *name == ":all:") {
            other.clear();
            target.clear();
            target.insert(":all:".to_owned());
            names.drain(..=all);
            if !names.contains(&":none:") {
                return;
            }
        }
        for name in names {
            if name == ":none:" {
                target.clear();
                continue;
            }
            let name = canonicalize_name(name);
            other.remove(&name);
            target.insert(name);
        }
    }
}

/// PEP 503 normalization, as `packaging.utils.canonicalize_name`: runs of `-_.` become `-`,
/// lower case.
fn canonicalize_name(name: &str) -> String {
    let mut normalized = String::with_capacity(name.len());
    let mut in_separator = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_separator {
                normalized.push('-');
            }
            in_separator = true;
        } else {
            normalized.extend(c.to_lowercase());
            in_separator = false;
        }
    }
    normalized
}

/// What the options part of one line says.
#[derive(Debug, Default)]
pub(crate) struct LineOptions {
    pub(crate) index_url: Option<String>,
    pub(crate) extra_index_urls: Vec<String>,
    pub(crate) no_index: bool,
    /// `-r`, `-c` and `-e` in the order given: (spelling as given, value).
    pub(crate) targets: Vec<(Target, String, String)>,
    pub(crate) find_links: Vec<String>,
    pub(crate) pre: bool,
    pub(crate) prefer_binary: bool,
    pub(crate) require_hashes: bool,
    pub(crate) trusted_hosts: Vec<String>,
    pub(crate) features: Vec<String>,
    pub(crate) global_options: Vec<String>,
    pub(crate) hashes: Vec<String>,
    pub(crate) config_settings: Vec<(String, String)>,
    /// Words that are not options nor option values.
    pub(crate) positional: Vec<String>,
}

/// The options that name another file or an editable project.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    Requirement,
    Constraint,
    Editable,
}

/// Resolve a long option or a prefix of exactly one.
fn match_long(
    name: &str,
    origin: &Origin,
) -> Result<(&'static str, OptionId), RequirementsTxtError> {
    if let Some(&(long, id)) = LONG_OPTIONS.iter().find(|(long, _)| *long == name) {
        return Ok((long, id));
    }
    let mut candidates: Vec<(&'static str, OptionId)> = LONG_OPTIONS
        .iter()
        .filter(|(long, _)| long.starts_with(name))
        .copied()
        .collect();
    match candidates.len() {
        0 => Err(RequirementsTxtError::UnknownOption {
            origin: origin.clone(),
            option: name.to_owned(),
        }),
        1 => Ok(candidates.remove(0)),
        _ => {
            let mut names: Vec<&'static str> = candidates.iter().map(|(long, _)| *long).collect();
            names.sort_unstable();
            Err(RequirementsTxtError::AmbiguousOption {
                origin: origin.clone(),
                option: name.to_owned(),
                candidates: names,
            })
        }
    }
}

/// Parse the words after the requirement. `--no-binary`/`--only-binary` act on
/// `format_control` at once, as pip's callbacks do, whatever kind of line this is.
pub(crate) fn parse(
    words: Vec<String>,
    origin: &Origin,
    format_control: &mut FormatControl,
) -> Result<LineOptions, RequirementsTxtError> {
    let mut options = LineOptions::default();
    let mut rest: VecDeque<String> = words.into();
    while let Some(word) = rest.pop_front() {
        if word == "--" {
            options.positional.extend(rest.drain(..));
            break;
        }
        if word.starts_with("--") {
            let (name, explicit) = match word.split_once('=') {
                Some((name, value)) => (name, Some(value.to_owned())),
                None => (word.as_str(), None),
            };
            let (long, id) = match_long(name, origin)?;
            if id.takes_value() {
                let value = match explicit {
                    Some(value) => value,
                    None => rest
                        .pop_front()
                        .ok_or_else(|| missing_value(origin, long))?,
                };
                apply_value(&mut options, id, long, value, origin, format_control)?;
            } else if let Some(value) = explicit {
                return Err(RequirementsTxtError::UnexpectedValue {
                    origin: origin.clone(),
                    option: long.to_owned(),
                    value,
                });
            } else {
                apply_flag(&mut options, id);
            }
        } else if word.len() > 1 && word.starts_with('-') {
            let letters: Vec<char> = word.chars().skip(1).collect();
            for (index, &letter) in letters.iter().enumerate() {
                let spelled = format!("-{letter}");
                let Some(&(_, id)) = SHORT_OPTIONS.iter().find(|(short, _)| *short == letter)
                else {
                    return Err(RequirementsTxtError::UnknownOption {
                        origin: origin.clone(),
                        option: spelled,
                    });
                };
                if id.takes_value() {
                    let value = if index + 1 < letters.len() {
                        letters[index + 1..].iter().collect()
                    } else {
                        rest.pop_front()
                            .ok_or_else(|| missing_value(origin, &spelled))?
                    };
                    apply_value(&mut options, id, &spelled, value, origin, format_control)?;
                    break;
                }
                apply_flag(&mut options, id);
            }
        } else {
            options.positional.push(word);
        }
    }
    Ok(options)
}

fn missing_value(origin: &Origin, option: &str) -> RequirementsTxtError {
    RequirementsTxtError::MissingValue {
        origin: origin.clone(),
        option: option.to_owned(),
    }
}

fn apply_flag(options: &mut LineOptions, id: OptionId) {
    match id {
        OptionId::NoIndex => options.no_index = true,
        OptionId::PreferBinary => options.prefer_binary = true,
        OptionId::RequireHashes => options.require_hashes = true,
        OptionId::Pre => options.pre = true,
        _ => unreachable!("{id:?} takes a value"),
    }
}

fn apply_value(
    options: &mut LineOptions,
    id: OptionId,
    spelled: &str,
    value: String,
    origin: &Origin,
    format_control: &mut FormatControl,
) -> Result<(), RequirementsTxtError> {
    match id {
        OptionId::IndexUrl => options.index_url = Some(value),
        OptionId::ExtraIndexUrl => options.extra_index_urls.push(value),
        OptionId::Requirement => {
            options
                .targets
                .push((Target::Requirement, spelled.to_owned(), value));
        }
        OptionId::Constraint => {
            options
                .targets
                .push((Target::Constraint, spelled.to_owned(), value));
        }
        OptionId::Editable => {
            options
                .targets
                .push((Target::Editable, spelled.to_owned(), value));
        }
        OptionId::FindLinks => options.find_links.push(value),
        OptionId::NoBinary | OptionId::OnlyBinary => {
            // pip: "--no-binary / --only-binary option requires 1 argument."
            if value.starts_with('-') {
                return Err(missing_value(origin, spelled));
            }
            if id == OptionId::NoBinary {
                format_control.add_no_binary(&value);
            } else {
                format_control.add_only_binary(&value);
            }
        }
        OptionId::TrustedHost => options.trusted_hosts.push(value),
        OptionId::UseFeature => {
            if !FEATURES.contains(&value.as_str()) {
                return Err(RequirementsTxtError::UnknownFeature {
                    origin: origin.clone(),
                    feature: value,
                });
            }
            options.features.push(value);
        }
        OptionId::GlobalOption => options.global_options.push(value),
        OptionId::Hash => {
            let Some((algorithm, _digest)) = value.split_once(':') else {
                return Err(RequirementsTxtError::MalformedHash {
                    origin: origin.clone(),
                    value,
                });
            };
            if !HASH_ALGORITHMS.contains(&algorithm) {
                return Err(RequirementsTxtError::UnsupportedHashAlgorithm {
                    origin: origin.clone(),
                    algorithm: algorithm.to_owned(),
                    value,
                });
            }
            options.hashes.push(value);
        }
        OptionId::ConfigSettings => {
            let Some((key, setting)) = value.split_once('=') else {
                return Err(RequirementsTxtError::InvalidConfigSetting {
                    origin: origin.clone(),
                    option: spelled.to_owned(),
                    value,
                });
            };
            options
                .config_settings
                .push((key.to_owned(), setting.to_owned()));
        }
        OptionId::NoIndex | OptionId::PreferBinary | OptionId::RequireHashes | OptionId::Pre => {
            unreachable!("{id:?} is a switch")
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> Origin {
        Origin {
            path: "r.txt".into(),
            line: 1,
        }
    }

    fn parse_words(words: &[&str]) -> LineOptions {
        let mut format_control = FormatControl::default();
        parse(
            words.iter().map(|w| (*w).to_owned()).collect(),
            &origin(),
            &mut format_control,
        )
        .unwrap()
    }

    #[test]
    fn long_options_with_equals_or_next_word() {
        let options = parse_words(&["--index-url=https://a", "--extra-index-url", "https://b"]);
        assert_eq!(options.index_url.as_deref(), Some("https://a"));
        assert_eq!(options.extra_index_urls, ["https://b"]);
    }

    #[test]
    fn unambiguous_prefixes_are_accepted() {
        let options = parse_words(&["--extra-index=https://b", "--find", "x", "--pre", "--no-i"]);
        assert_eq!(options.extra_index_urls, ["https://b"]);
        assert_eq!(options.find_links, ["x"]);
        assert!(options.pre && options.no_index);
    }

    #[test]
    fn pypi_url_is_an_alias_of_index_url() {
        assert_eq!(
            parse_words(&["--pypi-url", "https://a"])
                .index_url
                .as_deref(),
            Some("https://a")
        );
    }

    #[test]
    fn short_options_glue_or_take_the_next_word() {
        let options = parse_words(&[
            "-rbase.txt",
            "-c",
            "c.txt",
            "-e.",
            "-ihttps://a",
            "-C",
            "k=v",
        ]);
        assert_eq!(
            options
                .targets
                .iter()
                .map(|(target, spelled, value)| (*target, spelled.as_str(), value.as_str()))
                .collect::<Vec<_>>(),
            [
                (Target::Requirement, "-r", "base.txt"),
                (Target::Constraint, "-c", "c.txt"),
                (Target::Editable, "-e", ".")
            ]
        );
        assert_eq!(options.index_url.as_deref(), Some("https://a"));
        assert_eq!(options.config_settings, [("k".to_owned(), "v".to_owned())]);
    }

    #[test]
    fn a_value_may_start_with_a_dash() {
        assert_eq!(
            parse_words(&["--global-option", "--verbose"]).global_options,
            ["--verbose"]
        );
    }

    #[test]
    fn double_dash_ends_options() {
        let options = parse_words(&["--pre", "--", "--no-index", "x"]);
        assert!(!options.no_index);
        assert_eq!(options.positional, ["--no-index", "x"]);
        assert_eq!(parse_words(&["-"]).positional, ["-"]);
    }

    #[test]
    fn hashes_and_features() {
        let options = parse_words(&[
            "--hash=sha256:aa",
            "--hash",
            "sha512:bb",
            "--use-feature=fast-deps",
        ]);
        assert_eq!(options.hashes, ["sha256:aa", "sha512:bb"]);
        assert_eq!(options.features, ["fast-deps"]);
    }

    #[test]
    fn format_control_follows_pip() {
        let mut control = FormatControl::default();
        control.add_no_binary("Foo_Bar,baz");
        control.add_only_binary("baz");
        assert_eq!(control.no_binary, BTreeSet::from(["foo-bar".to_owned()]));
        assert_eq!(control.only_binary, BTreeSet::from(["baz".to_owned()]));
        control.add_only_binary(":all:");
        assert!(control.no_binary.is_empty());
        assert_eq!(control.only_binary, BTreeSet::from([":all:".to_owned()]));
        control.add_no_binary(":all:,x,:none:,y");
        assert!(control.only_binary.is_empty());
        assert_eq!(control.no_binary, BTreeSet::from(["y".to_owned()]));
        control.add_no_binary(":none:");
        assert!(control.no_binary.is_empty());
    }

    #[test]
    fn canonical_names() {
        assert_eq!(canonicalize_name("Foo.-_Bar__baz"), "foo-bar-baz");
    }
}
