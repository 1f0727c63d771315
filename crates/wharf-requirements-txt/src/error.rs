//! Everything that can go wrong reading a requirements file, with a hint for each.

use std::path::{Path, PathBuf};

use crate::options::{FEATURES, HASH_ALGORITHMS, long_option_names};
use crate::{Origin, ShlexError};

/// A requirements file (or `pyproject.toml`) that could not be read.
///
/// Messages name the file and, for a line's problem, the line (`path:line:`), and quote the
/// offending input. [`RequirementsTxtError::hint`] gives the fix to suggest.
#[derive(Debug, thiserror::Error)]
pub enum RequirementsTxtError {
    /// The file named on the command line could not be read.
    #[error("could not read requirements file `{}`", path.display())]
    Read {
        /// The file, as given.
        path: PathBuf,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },

    /// The file is larger than 16 MiB or holds a NUL. Ex) `-r /dev/zero`
    #[error(transparent)]
    NotText(wharf_fs::ReadError),

    /// The file is neither UTF-8 nor UTF-16 with a byte order mark.
    #[error("requirements file `{}` is not UTF-8 text", path.display())]
    Encoding {
        /// The file.
        path: PathBuf,
        /// The decoding error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// A `-r`/`-c` line names a file that could not be read. Ex) `-r missing.txt`
    #[error("{origin}: could not read included file `{}`", path.display())]
    IncludeRead {
        /// The including line.
        origin: Origin,
        /// The included file, joined to the including file's directory.
        path: PathBuf,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },

    /// A `-r`/`-c` line includes a file that is already being read.
    #[error("{origin}: include cycle: {}", chain_text(chain))]
    IncludeCycle {
        /// The line that closes the cycle.
        origin: Origin,
        /// The file included again.
        path: PathBuf,
        /// The files being read, outermost first, ending with `path` again.
        chain: Vec<PathBuf>,
    },

    /// A `-r`/`-c` line names an `http:`/`https:` URL. Ex) `-r https://example.org/req.txt`
    #[error("{origin}: remote requirements file `{url}` is not supported")]
    RemoteInclude {
        /// The including line.
        origin: Origin,
        /// The URL.
        url: String,
    },

    /// An option pip's requirements file parser does not know. Ex) `--upgrade`
    #[error("{origin}: unknown option `{option}`")]
    UnknownOption {
        /// The line.
        origin: Origin,
        /// The option as written, without any `=value`.
        option: String,
    },

    /// A prefix of more than one option. Ex) `--no` (`--no-binary`, `--no-index`)
    #[error(
        "{origin}: ambiguous option `{option}`: could be {}",
        candidates.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
    )]
    AmbiguousOption {
        /// The line.
        origin: Origin,
        /// The prefix as written.
        option: String,
        /// The options it could mean, sorted.
        candidates: Vec<&'static str>,
    },

    /// An option that needs a value ends the line. Ex) `--index-url`
    #[error("{origin}: option `{option}` needs a value")]
    MissingValue {
        /// The line.
        origin: Origin,
        /// The option.
        option: String,
    },

    /// A switch is given a value. Ex) `--pre=yes`
    #[error("{origin}: option `{option}` takes no value, got `{option}={value}`")]
    UnexpectedValue {
        /// The line.
        origin: Origin,
        /// The switch.
        option: String,
        /// The value after `=`.
        value: String,
    },

    /// The options part of a line has unbalanced quotes or a dangling `\`.
    /// Ex) `-r 'my file.txt`
    #[error("{origin}: could not split the options `{options}` into words")]
    Quoting {
        /// The line.
        origin: Origin,
        /// The options part of the line.
        options: String,
        /// What shlex found.
        #[source]
        source: ShlexError,
    },

    /// A `--hash` value without `:`. Ex) `--hash=abcdef`
    #[error("{origin}: `--hash={value}` is not of the form ALGORITHM:DIGEST")]
    MalformedHash {
        /// The line.
        origin: Origin,
        /// The value as written.
        value: String,
    },

    /// A `--hash` with an algorithm pip refuses. Ex) `--hash=md5:abcdef`
    #[error(
        "{origin}: hash algorithm `{algorithm}` in `--hash={value}` is not one of {}",
        HASH_ALGORITHMS.join(", ")
    )]
    UnsupportedHashAlgorithm {
        /// The line.
        origin: Origin,
        /// The algorithm.
        algorithm: String,
        /// The whole value.
        value: String,
    },

    /// A `--config-settings` value without `=`. Ex) `--config-settings debug`
    #[error("{origin}: `{option} {value}` is not of the form KEY=VALUE")]
    InvalidConfigSetting {
        /// The line.
        origin: Origin,
        /// The option as written (`-C` or `--config-settings`).
        option: String,
        /// The value.
        value: String,
    },

    /// A `--use-feature` value pip 24.2 does not know. Ex) `--use-feature=2020-resolver`
    #[error("{origin}: unknown feature `{feature}` in `--use-feature`")]
    UnknownFeature {
        /// The line.
        origin: Origin,
        /// The feature.
        feature: String,
    },

    /// A word after the options that is neither an option nor its value, which pip would
    /// drop without a word. Ex) `--pre numpy`
    #[error("{origin}: `{argument}` follows the options, where it would be ignored")]
    StrayArgument {
        /// The line.
        origin: Origin,
        /// The first such word.
        argument: String,
    },

    /// Two of `-r`, `-c`, `-e` on one line; pip would use the first and drop the other.
    /// Ex) `-r a.txt -r b.txt`
    #[error("{origin}: `{second}` shares a line with `{first}`")]
    SeveralTargets {
        /// The line.
        origin: Origin,
        /// The first, as written. Ex) `-r a.txt`
        first: String,
        /// The second, as written. Ex) `-r b.txt`
        second: String,
    },

    /// An editable requirement in a constraints file. Ex) `-e ./project` under `-c`
    #[error("{origin}: editable requirement `-e {text}` in a constraints file")]
    EditableConstraint {
        /// The line.
        origin: Origin,
        /// The editable's path or URL.
        text: String,
    },

    /// A `pyproject.toml` that is not valid TOML, or whose `[project]` has the wrong shape.
    #[error("could not parse `{}`", path.display())]
    PyprojectToml {
        /// The file.
        path: PathBuf,
        /// The TOML error, with its line and column.
        #[source]
        source: Box<toml::de::Error>,
    },

    /// A `pyproject.toml` without a `[project]` table (PEP 621).
    #[error("`{}` has no `[project]` table", path.display())]
    PyprojectNoProject {
        /// The file.
        path: PathBuf,
    },

    /// A `pyproject.toml` whose `[project].dynamic` lists `dependencies`: only the build
    /// backend knows them.
    #[error("`{}` declares `dependencies` as dynamic", path.display())]
    PyprojectDynamicDependencies {
        /// The file.
        path: PathBuf,
    },

    /// A PEP 735 dependency group that cannot be read (missing, an include cycle, a bad
    /// entry): the message says which.
    #[error("`{}`: {message}", path.display())]
    DependencyGroup {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

fn chain_text(chain: &[PathBuf]) -> String {
    chain
        .iter()
        .map(|path| format!("`{}`", path.display()))
        .collect::<Vec<_>>()
        .join(" → ")
}

/// Options of `pip install` that a requirements file may not carry.
const COMMAND_LINE_ONLY: [&str; 28] = [
    "-U",
    "--upgrade",
    "--upgrade-strategy",
    "--user",
    "--no-deps",
    "-t",
    "--target",
    "--prefix",
    "--root",
    "--force-reinstall",
    "-I",
    "--ignore-installed",
    "--no-build-isolation",
    "--use-pep517",
    "--no-use-pep517",
    "--build-option",
    "--install-option",
    "--no-cache-dir",
    "--cache-dir",
    "--src",
    "--proxy",
    "--timeout",
    "--cert",
    "--client-cert",
    "--isolated",
    "--break-system-packages",
    "--dry-run",
    "--no-compile",
];

fn unknown_option_hint(option: &str) -> String {
    if COMMAND_LINE_ONLY.contains(&option) {
        return format!(
            "`{option}` is an option of the `pip install` command line; a requirements file cannot carry it"
        );
    }
    if option.starts_with("--") {
        let closest = long_option_names()
            .map(|name| (strsim::damerau_levenshtein(option, name), name))
            .min();
        if let Some((distance, name)) = closest
            && distance <= 2
        {
            return format!("did you mean `{name}`?");
        }
    }
    "a requirements file accepts -r, -c, -e, -i, --extra-index-url, --no-index, -f, --pre, \
     --prefer-binary, --only-binary, --no-binary, --trusted-host, --require-hashes, \
     --use-feature; after a requirement: --hash, --config-settings, --global-option"
        .to_owned()
}

fn include_hint(origin: &Origin) -> String {
    let directory = origin.path.parent().unwrap_or(Path::new(""));
    let directory = if directory.as_os_str().is_empty() {
        Path::new(".")
    } else {
        directory
    };
    format!(
        "a relative `-r`/`-c` path is relative to the including file's directory, `{}`",
        directory.display()
    )
}

impl RequirementsTxtError {
    /// The fix to suggest, printed after the error as `hint: …`.
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            Self::Read { .. } | Self::PyprojectToml { .. } => return None,
            Self::NotText(_) => {
                "`-r` and `-c` take a requirements or constraints file (text, one requirement a line)"
                    .to_owned()
            }
            Self::Encoding { .. } => {
                "wharf reads UTF-8 (and UTF-16 with a byte order mark); convert the file with `iconv -t UTF-8`"
                    .to_owned()
            }
            Self::IncludeRead { origin, .. } => include_hint(origin),
            Self::IncludeCycle { .. } => {
                "remove one of the `-r`/`-c` lines that close the cycle".to_owned()
            }
            Self::RemoteInclude { url, .. } => {
                format!("download `{url}` and include the local copy")
            }
            Self::UnknownOption { option, .. } => unknown_option_hint(option),
            Self::AmbiguousOption { candidates, .. } => format!(
                "spell the option out: {}",
                candidates
                    .iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
            Self::MissingValue { option, .. } => {
                if option.starts_with("--") {
                    format!("write `{option}=VALUE` or `{option} VALUE`")
                } else {
                    format!("write `{option} VALUE`")
                }
            }
            Self::UnexpectedValue { option, .. } => {
                format!("`{option}` is a switch: write it alone")
            }
            Self::Quoting { .. } => {
                "close the quote, or escape the quote or backslash with `\\`".to_owned()
            }
            Self::MalformedHash { .. } => {
                "write `--hash=sha256:<hex digest>`; `pip hash FILE` prints one".to_owned()
            }
            Self::UnsupportedHashAlgorithm { .. } => {
                "pip checks only sha256, sha384 and sha512 digests; `pip hash FILE` prints a sha256"
                    .to_owned()
            }
            Self::InvalidConfigSetting { option, .. } => {
                format!("write `{option} KEY=VALUE`")
            }
            Self::UnknownFeature { .. } => {
                format!("pip 24.2 knows the features {}", FEATURES.join(", "))
            }
            Self::StrayArgument { argument, .. } => format!(
                "put each requirement on its own line, before its options: `{argument} --hash=…`"
            ),
            Self::SeveralTargets { .. } => {
                "put each `-r`, `-c` and `-e` on its own line".to_owned()
            }
            Self::EditableConstraint { .. } => {
                "move the `-e` line to a requirements file; a constraint names a version (`name==1.0`)"
                    .to_owned()
            }
            Self::PyprojectNoProject { .. } => {
                "wharf reads the PEP 621 `[project].dependencies`; list the dependencies there or in a requirements file"
                    .to_owned()
            }
            Self::PyprojectDynamicDependencies { .. } => {
                "the build backend computes them; list them in a requirements file instead"
                    .to_owned()
            }
            Self::DependencyGroup { .. } => {
                "`--group NAME` reads `[dependency-groups]` of ./pyproject.toml (`--group PATH:NAME` another file), as pip does (PEP 735)"
                    .to_owned()
            }
        })
    }
}
