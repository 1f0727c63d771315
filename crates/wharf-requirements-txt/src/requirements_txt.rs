//! The requirements file parser: lines ▸ requirement text / options ▸ includes.

use std::fmt;
use std::path::{Component, Path, PathBuf};

use crate::lines::{logical_lines, python_strip};
use crate::options::{self, FormatControl, LineOptions, Target};
use crate::{RequirementsTxtError, pyproject, shlex};

/// Where a line came from: the file (as joined from the include chain, like pip's
/// `comes_from`) and the number of its first physical line, from 1.
///
/// Displays as `path:line`. Ex) `requirements/base.txt:12`
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Origin {
    /// The file. Ex) `requirements/../common.txt`
    pub path: PathBuf,
    /// The line, from 1. For a continued line, the line it starts on.
    pub line: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.path.display(), self.line)
    }
}

/// One requirement, constraint or editable line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequirementEntry {
    /// The requirement as written, options removed, surrounding whitespace trimmed, `${VAR}`
    /// expanded. For an editable, the path or URL after `-e`, unquoted.
    /// Ex) `numpy>=1.26; python_version >= "3.10"`, `./src/mypkg`
    pub text: String,
    /// `--hash` values in the order given, as `ALGORITHM:DIGEST`. Ex) `sha256:2cf2…`
    pub hashes: Vec<String>,
    /// The file and line.
    pub origin: Origin,
    /// The requirement names a URL, a path or an archive instead of (or as well as) a
    /// version: `https://…/x.whl`, `name @ url`, `git+https://…`, `./dir`, `foo-1.0.tar.gz`.
    pub is_url_or_path: bool,
    /// From a `-e`/`--editable` line.
    pub editable: bool,
    /// `--config-settings`/`-C` values in order, as `(KEY, VALUE)`.
    pub config_settings: Vec<(String, String)>,
    /// `--global-option` values in order (recorded; wharf does not run `setup.py`).
    pub global_options: Vec<String>,
}

/// The global options of the files read: what pip would set on its package finder.
///
/// Later lines override earlier ones, across files, in reading order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequirementsOptions {
    /// The last `-i`/`--index-url` (`--pypi-url`): replaces the command line's index list.
    pub index_url: Option<String>,
    /// `--extra-index-url` values since the last `--index-url`, in order.
    pub extra_index_urls: Vec<String>,
    /// `--no-index`: no index at all, whatever the other index options say.
    pub no_index: bool,
    /// `-f`/`--find-links` values in order. A relative path that exists relative to the
    /// file's directory is joined to it (absolute); any other value stays as written.
    pub find_links: Vec<String>,
    /// `--pre`: allow pre-releases.
    pub pre: bool,
    /// `--prefer-binary`: prefer an older wheel to a newer sdist.
    pub prefer_binary: bool,
    /// `--no-binary`/`--only-binary`, applied in order.
    pub format_control: FormatControl,
    /// `--trusted-host` values in order, without repeats. Ex) `pypi.example.org:8080`
    pub trusted_hosts: Vec<String>,
    /// `--require-hashes`: every requirement must carry a `--hash`.
    pub require_hashes: bool,
    /// `--use-feature` values, without repeats. Ex) `fast-deps`
    pub features_enabled: Vec<String>,
}

/// How the lines of a file count, as pip's `-r FILE` or `-c FILE`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FileKind {
    /// Lines are requirements to install. Ex) `-r requirements.txt`
    #[default]
    Requirements,
    /// Lines only constrain versions of what gets installed. Ex) `-c constraints.txt`
    Constraints,
}

/// The requirements, constraints, editables and options of one or more requirements files.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequirementsTxt {
    /// Requirement lines of files read as [`FileKind::Requirements`], in reading order.
    pub requirements: Vec<RequirementEntry>,
    /// Requirement lines of files read as [`FileKind::Constraints`], in reading order.
    pub constraints: Vec<RequirementEntry>,
    /// `-e` lines, in reading order.
    pub editables: Vec<RequirementEntry>,
    /// The global options lines.
    pub options: RequirementsOptions,
}

/// A variable lookup, `${NAME}` ▸ value. The caller decides what the environment is.
type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

impl RequirementsTxt {
    /// Read a requirements file, as `pip install -r PATH`, following its includes.
    ///
    /// A file named `pyproject.toml` is read for its `[project].dependencies` instead.
    /// `env` looks up `${NAME}` variables; pass `&|name| std::env::var(name).ok()` for
    /// pip's behaviour, or `&|_| None` for none.
    pub fn parse_file(path: impl AsRef<Path>, env: Env<'_>) -> Result<Self, RequirementsTxtError> {
        let mut requirements = Self::default();
        requirements.add_file(path, FileKind::Requirements, env)?;
        Ok(requirements)
    }

    /// Read requirements file text as if it were the file `origin_path`: includes are
    /// relative to its directory, and a `pyproject.toml` name means TOML.
    pub fn parse_str(
        text: &str,
        origin_path: impl AsRef<Path>,
        env: Env<'_>,
    ) -> Result<Self, RequirementsTxtError> {
        let mut requirements = Self::default();
        requirements.add_str(text, origin_path, FileKind::Requirements, env)?;
        Ok(requirements)
    }

    /// Read one more file into this set, as `-r PATH` or `-c PATH` on the command line.
    /// Options accumulate in order, as pip's do across files. On an error, what was read
    /// before it stays added.
    pub fn add_file(
        &mut self,
        path: impl AsRef<Path>,
        kind: FileKind,
        env: Env<'_>,
    ) -> Result<(), RequirementsTxtError> {
        let path = path.as_ref();
        let bytes = read_capped(path, |source| RequirementsTxtError::Read {
            path: path.to_owned(),
            source,
        })?;
        let text = decode(&bytes, path)?;
        let mut stack = vec![(path.to_owned(), identity(path))];
        self.add_text(&text, path, kind, env, &mut stack)
    }

    /// Read one more text into this set, as if it were the file `origin_path`.
    pub fn add_str(
        &mut self,
        text: &str,
        origin_path: impl AsRef<Path>,
        kind: FileKind,
        env: Env<'_>,
    ) -> Result<(), RequirementsTxtError> {
        let path = origin_path.as_ref();
        let mut stack = vec![(path.to_owned(), identity(path))];
        self.add_text(text, path, kind, env, &mut stack)
    }

    /// `stack`: the files being read, as (path as joined, identity), to detect cycles.
    fn add_text(
        &mut self,
        text: &str,
        path: &Path,
        kind: FileKind,
        env: Env<'_>,
        stack: &mut Vec<(PathBuf, PathBuf)>,
    ) -> Result<(), RequirementsTxtError> {
        if path
            .file_name()
            .is_some_and(|name| name == "pyproject.toml")
        {
            let entries = pyproject::dependencies(text, path)?;
            self.entries_mut(kind).extend(entries);
            return Ok(());
        }
        for (line_number, line) in logical_lines(text, env) {
            let origin = Origin {
                path: path.to_owned(),
                line: line_number,
            };
            let (requirement, options_text) = break_args_options(&line);
            let words =
                shlex::split(&options_text).map_err(|source| RequirementsTxtError::Quoting {
                    origin: origin.clone(),
                    options: options_text.clone(),
                    source,
                })?;
            let options = options::parse(words, &origin, &mut self.options.format_control)?;
            if let Some(argument) = options.positional.first() {
                return Err(RequirementsTxtError::StrayArgument {
                    origin,
                    argument: argument.clone(),
                });
            }
            if !requirement.is_empty() {
                let text = python_strip(&requirement).to_owned();
                let entry = entry(text, origin, false, options);
                self.entries_mut(kind).push(entry);
                continue;
            }
            if let [(_, first, first_value), (_, second, second_value), ..] =
                options.targets.as_slice()
            {
                return Err(RequirementsTxtError::SeveralTargets {
                    origin,
                    first: format!("{first} {first_value}"),
                    second: format!("{second} {second_value}"),
                });
            }
            match options.targets.first().cloned() {
                Some((Target::Editable, _, value)) => {
                    if kind == FileKind::Constraints {
                        return Err(RequirementsTxtError::EditableConstraint {
                            origin,
                            text: value,
                        });
                    }
                    let entry = entry(value, origin, true, options);
                    self.editables.push(entry);
                }
                Some((target, _, value)) => {
                    let nested_kind = if target == Target::Constraint {
                        FileKind::Constraints
                    } else {
                        FileKind::Requirements
                    };
                    self.include(&value, &origin, nested_kind, env, stack)?;
                }
                None => self.options.apply(options, path),
            }
        }
        Ok(())
    }

    fn include(
        &mut self,
        target: &str,
        origin: &Origin,
        kind: FileKind,
        env: Env<'_>,
        stack: &mut Vec<(PathBuf, PathBuf)>,
    ) -> Result<(), RequirementsTxtError> {
        let path = match url_scheme(target).map(str::to_ascii_lowercase).as_deref() {
            Some("http" | "https") => {
                return Err(RequirementsTxtError::RemoteInclude {
                    origin: origin.clone(),
                    url: target.to_owned(),
                });
            }
            Some("file") => {
                file_url_to_path(target).ok_or_else(|| RequirementsTxtError::RemoteInclude {
                    origin: origin.clone(),
                    url: target.to_owned(),
                })?
            }
            _ => origin.path.parent().unwrap_or(Path::new("")).join(target),
        };
        let read_error = |source| RequirementsTxtError::IncludeRead {
            origin: origin.clone(),
            path: path.clone(),
            source,
        };
        let bytes = read_capped(&path, read_error)?;
        let identity = std::fs::canonicalize(&path).map_err(read_error)?;
        if let Some(start) = stack.iter().position(|(_, open)| *open == identity) {
            let chain = stack[start..]
                .iter()
                .map(|(open, _)| open.clone())
                .chain([path.clone()])
                .collect();
            return Err(RequirementsTxtError::IncludeCycle {
                origin: origin.clone(),
                path,
                chain,
            });
        }
        let text = decode(&bytes, &path)?;
        stack.push((path.clone(), identity));
        let result = self.add_text(&text, &path, kind, env, stack);
        stack.pop();
        result
    }

    fn entries_mut(&mut self, kind: FileKind) -> &mut Vec<RequirementEntry> {
        match kind {
            FileKind::Requirements => &mut self.requirements,
            FileKind::Constraints => &mut self.constraints,
        }
    }
}

impl RequirementsOptions {
    /// pip's `handle_option_line`, recording instead of configuring a finder.
    fn apply(&mut self, line: LineOptions, file: &Path) {
        if line.no_index {
            self.no_index = true;
        }
        if let Some(index_url) = line.index_url.filter(|url| !url.is_empty()) {
            self.index_url = Some(index_url);
            self.extra_index_urls.clear();
        }
        self.extra_index_urls.extend(line.extra_index_urls);
        for link in line.find_links {
            self.find_links.push(resolve_find_link(file, link));
        }
        self.pre |= line.pre;
        self.prefer_binary |= line.prefer_binary;
        self.require_hashes |= line.require_hashes;
        for host in line.trusted_hosts {
            if !self.trusted_hosts.contains(&host) {
                self.trusted_hosts.push(host);
            }
        }
        for feature in line.features {
            if !self.features_enabled.contains(&feature) {
                self.features_enabled.push(feature);
            }
        }
        // A `--hash` on an options line applies to nothing; pip warns and ignores it.
    }
}

fn entry(text: String, origin: Origin, editable: bool, options: LineOptions) -> RequirementEntry {
    RequirementEntry {
        is_url_or_path: is_url_or_path(&text),
        text,
        // pip passes only `--config-settings` on to an editable.
        hashes: if editable { Vec::new() } else { options.hashes },
        origin,
        editable,
        config_settings: options.config_settings,
        global_options: if editable {
            Vec::new()
        } else {
            options.global_options
        },
    }
}

/// pip's `break_args_options`: the requirement is every space-separated word before the
/// first one that starts with `-`; the rest is options.
fn break_args_options(line: &str) -> (String, String) {
    let words: Vec<&str> = line.split(' ').collect();
    let first_option = words
        .iter()
        .position(|word| word.starts_with('-'))
        .unwrap_or(words.len());
    (
        words[..first_option].join(" "),
        words[first_option..].join(" "),
    )
}

/// The scheme of `text` if it starts like a URL (`scheme:`), as `urllib.parse.urlsplit`.
fn url_scheme(text: &str) -> Option<&str> {
    let (scheme, _) = text.split_once(':')?;
    let mut chars = scheme.chars();
    (chars.next()?.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then_some(scheme)
}

/// pip's archive extensions (`utils/filetypes.py`).
const ARCHIVE_EXTENSIONS: [&str; 12] = [
    ".zip",
    ".whl",
    ".tar.bz2",
    ".tbz",
    ".tar.xz",
    ".txz",
    ".tlz",
    ".tar.lz",
    ".tar.lzma",
    ".tar.gz",
    ".tgz",
    ".tar",
];

/// Whether a requirement names a URL, path or archive rather than just a project, judged
/// by appearance as pip does: a URL scheme pip knows (`https:`, `file:`, `git+…`), a PEP 508
/// `@`, a `/` or `\`, a leading `.`, or an archive extension — all before any `;` marker.
pub(crate) fn is_url_or_path(text: &str) -> bool {
    let head = python_strip(text.split(';').next().unwrap_or(text));
    if let Some(scheme) = url_scheme(head) {
        let scheme = scheme.to_ascii_lowercase();
        if matches!(
            scheme.as_str(),
            "http" | "https" | "file" | "ftp" | "git" | "svn"
        ) || ["git+", "hg+", "svn+", "bzr+"]
            .iter()
            .any(|vcs| scheme.starts_with(vcs))
        {
            return true;
        }
    }
    if head.contains(['@', '/', '\\']) || head.starts_with('.') {
        return true;
    }
    let lower = head.to_ascii_lowercase();
    let without_extras = match lower.strip_suffix(']').and_then(|h| h.rsplit_once('[')) {
        Some((before, _)) => before,
        None => &lower,
    };
    ARCHIVE_EXTENSIONS
        .iter()
        .any(|extension| without_extras.ends_with(extension))
}

/// A local `file:` URL as a path (pip's `url_to_path`); `None` for another host.
fn file_url_to_path(url: &str) -> Option<PathBuf> {
    let rest = &url["file:".len()..];
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let path = match rest.strip_prefix("//") {
        Some(authority_and_path) => {
            let (host, path) = match authority_and_path.find('/') {
                Some(slash) => authority_and_path.split_at(slash),
                None => (authority_and_path, ""),
            };
            if !host.is_empty() && !host.eq_ignore_ascii_case("localhost") {
                return None;
            }
            path
        }
        None => rest,
    };
    Some(PathBuf::from(percent_decode(path)))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%'
            && let Some(hex) = text.get(index + 1..index + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            decoded.push(byte);
            index += 3;
            continue;
        }
        decoded.push(bytes[index]);
        index += 1;
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

/// pip: `os.path.join(dirname(abspath(file)), value)` if that exists, else `value`.
fn resolve_find_link(file: &Path, value: String) -> String {
    let Ok(absolute) = std::path::absolute(file) else {
        return value;
    };
    let absolute = normalize(&absolute);
    let Some(directory) = absolute.parent() else {
        return value;
    };
    let candidate = directory.join(&value);
    if candidate.exists() {
        candidate.to_string_lossy().into_owned()
    } else {
        value
    }
}

/// Lexical normalization, as Python's `os.path.normpath`: drop `.`, resolve `..`.
fn normalize(path: &Path) -> PathBuf {
    let mut normalized = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !normalized.pop() {
                    normalized.push(component);
                }
            }
            _ => normalized.push(component),
        }
    }
    normalized
}

/// What makes two paths the same file, for cycle detection: the canonical path if the file
/// exists, else the absolute path.
fn identity(path: &Path) -> PathBuf {
    std::fs::canonicalize(path)
        .or_else(|_| std::path::absolute(path).map(|p| normalize(&p)))
        .unwrap_or_else(|_| path.to_owned())
}

/// The text of a file: UTF-8 (a BOM is dropped), or UTF-16 with a BOM.
/// Reads at most 16 MiB ([`wharf_fs::DEFAULT_TEXT_CAP`]) of `path`: `-r /dev/zero` is an
/// error after 16 MiB, not an endless read. `io_error` builds the error for an IO failure.
fn read_capped(
    path: &Path,
    io_error: impl FnOnce(std::io::Error) -> RequirementsTxtError,
) -> Result<Vec<u8>, RequirementsTxtError> {
    wharf_fs::read_capped(path, wharf_fs::DEFAULT_TEXT_CAP).map_err(|error| match error {
        wharf_fs::ReadError::Io { source, .. } => io_error(source),
        other => RequirementsTxtError::NotText(other),
    })
}

/// The text of a requirements file: UTF-8, or UTF-16 with a byte order mark; no NUL.
fn decode(bytes: &[u8], path: &Path) -> Result<String, RequirementsTxtError> {
    let text = decode_unicode(bytes, path)?;
    if let Some(offset) = text.find('\0') {
        return Err(RequirementsTxtError::NotText(
            wharf_fs::ReadError::NotText {
                path: path.to_owned(),
                reason: format!("a NUL character at offset {offset}"),
            },
        ));
    }
    Ok(text)
}

fn decode_unicode(bytes: &[u8], path: &Path) -> Result<String, RequirementsTxtError> {
    let encoding_error =
        |source: Box<dyn std::error::Error + Send + Sync>| RequirementsTxtError::Encoding {
            path: path.to_owned(),
            source,
        };
    let utf16 = |rest: &[u8], from_bytes: fn([u8; 2]) -> u16| {
        let (units, remainder) = rest.as_chunks::<2>();
        if !remainder.is_empty() {
            return Err(encoding_error(
                "UTF-16 text with an odd number of bytes".into(),
            ));
        }
        let units: Vec<u16> = units.iter().map(|pair| from_bytes(*pair)).collect();
        String::from_utf16(&units).map_err(|source| encoding_error(Box::new(source)))
    };
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return std::str::from_utf8(rest)
            .map(str::to_owned)
            .map_err(|source| encoding_error(Box::new(source)));
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return utf16(rest, u16::from_le_bytes);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return utf16(rest, u16::from_be_bytes);
    }
    std::str::from_utf8(bytes)
        .map(str::to_owned)
        .map_err(|source| encoding_error(Box::new(source)))
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;
    use std::fmt::Write as _;

    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn parse(text: &str) -> RequirementsTxt {
        RequirementsTxt::parse_str(text, "requirements.txt", &no_env).unwrap()
    }

    fn parse_err(text: &str) -> RequirementsTxtError {
        RequirementsTxt::parse_str(text, "requirements.txt", &no_env).unwrap_err()
    }

    fn texts(entries: &[RequirementEntry]) -> Vec<&str> {
        entries.iter().map(|entry| entry.text.as_str()).collect()
    }

    fn origins(entries: &[RequirementEntry]) -> Vec<String> {
        entries
            .iter()
            .map(|entry| entry.origin.to_string())
            .collect()
    }

    /// The error as the CLI shows it: message, causes, hint.
    fn report(error: &RequirementsTxtError) -> String {
        let mut text = error.to_string();
        let mut source = error.source();
        while let Some(cause) = source {
            let _ = write!(text, "\n  Caused by: {cause}");
            source = cause.source();
        }
        if let Some(hint) = error.hint() {
            let _ = write!(text, "\n\nhint: {hint}");
        }
        text
    }

    /// A temp dir with `files` written in it (parents created).
    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, content) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, content).unwrap();
        }
        dir
    }

    fn report_in(error: &RequirementsTxtError, dir: &Path) -> String {
        report(error).replace(&dir.display().to_string(), "[TEMP]")
    }

    #[test]
    fn requirement_lines_keep_their_raw_text_and_origin() {
        let parsed = parse(
            "# pinned\n\
             numpy==1.26.4\n\
             \n\
             scipy >=1.11, <2   # comment\n\
             Django[argon2]>=4.2; python_version >= \"3.10\"\n\
             foo  --hash=sha256:abcd\n",
        );
        assert_eq!(
            texts(&parsed.requirements),
            [
                "numpy==1.26.4",
                "scipy >=1.11, <2",
                "Django[argon2]>=4.2; python_version >= \"3.10\"",
                "foo",
            ]
        );
        assert_eq!(
            origins(&parsed.requirements),
            [
                "requirements.txt:2",
                "requirements.txt:4",
                "requirements.txt:5",
                "requirements.txt:6"
            ]
        );
        assert!(parsed.constraints.is_empty() && parsed.editables.is_empty());
        assert!(
            parsed
                .requirements
                .iter()
                .all(|entry| !entry.is_url_or_path)
        );
    }

    #[test]
    fn a_tab_does_not_start_options() {
        let parsed = parse("foo\t--hash=sha256:ab");
        assert_eq!(texts(&parsed.requirements), ["foo\t--hash=sha256:ab"]);
        assert!(parsed.requirements[0].hashes.is_empty());
    }

    #[test]
    fn hashes_across_continuation_lines() {
        let parsed = parse(
            "a\n\
             requests==2.32.3 \\\n    --hash=sha256:aaaa \\\n    --hash sha512:bbbb\n\
             six==1.16.0 --hash='sha384:cccc'\n",
        );
        assert_eq!(
            texts(&parsed.requirements),
            ["a", "requests==2.32.3", "six==1.16.0"]
        );
        assert_eq!(
            parsed.requirements[1].hashes,
            ["sha256:aaaa", "sha512:bbbb"]
        );
        assert_eq!(parsed.requirements[1].origin.line, 2);
        assert_eq!(parsed.requirements[2].hashes, ["sha384:cccc"]);
        assert_eq!(parsed.requirements[2].origin.line, 5);
    }

    #[test]
    fn per_requirement_options_are_recorded() {
        let parsed = parse(
            "foo --config-settings=editable_mode=compat -C build=1 --global-option=--quiet\n",
        );
        let entry = &parsed.requirements[0];
        assert_eq!(entry.text, "foo");
        assert_eq!(
            entry.config_settings,
            [
                ("editable_mode".to_owned(), "compat".to_owned()),
                ("build".to_owned(), "1".to_owned())
            ]
        );
        assert_eq!(entry.global_options, ["--quiet"]);
    }

    #[test]
    fn env_variables_are_looked_up_with_the_given_closure() {
        let env = |name: &str| match name {
            "TORCH_VERSION" => Some("2.3.1".to_owned()),
            "EXTRA" => Some("cuda".to_owned()),
            _ => None,
        };
        let parsed = RequirementsTxt::parse_str(
            "torch[${EXTRA}]==${TORCH_VERSION}\n${MISSING}\n-i https://${HOST}/simple\n",
            "requirements.txt",
            &env,
        )
        .unwrap();
        assert_eq!(
            texts(&parsed.requirements),
            ["torch[cuda]==2.3.1", "${MISSING}"]
        );
        assert_eq!(
            parsed.options.index_url.as_deref(),
            Some("https://${HOST}/simple")
        );
    }

    #[test]
    fn url_and_path_requirements_are_kept_and_flagged() {
        let parsed = parse(
            "https://example.org/pkgs/foo-1.0-py3-none-any.whl\n\
             bar @ https://example.org/bar-2.0.tar.gz ; python_version > \"3.8\"\n\
             git+https://github.com/org/baz.git@v1.0#egg=baz\n\
             ./vendor/qux\n\
             ../sibling\n\
             quux-1.0.tar.gz\n\
             file:///opt/wheels/x-1.0-py3-none-any.whl\n\
             plain>=1; sys_platform == 'linux/x'\n\
             zope.interface\n",
        );
        let flags: Vec<bool> = parsed
            .requirements
            .iter()
            .map(|e| e.is_url_or_path)
            .collect();
        assert_eq!(
            flags,
            [true, true, true, true, true, true, true, false, false]
        );
        assert_eq!(
            parsed.requirements[1].text,
            "bar @ https://example.org/bar-2.0.tar.gz ; python_version > \"3.8\""
        );
    }

    #[test]
    fn editables_are_recorded_and_flagged() {
        let parsed = parse(
            "-e ./proj\n\
             --editable=git+https://github.com/org/tool.git#egg=tool\n\
             -e \"./with space\" --config-settings k=v\n\
             -e. --hash=sha256:ignored\n",
        );
        assert!(parsed.requirements.is_empty());
        assert_eq!(
            texts(&parsed.editables),
            [
                "./proj",
                "git+https://github.com/org/tool.git#egg=tool",
                "./with space",
                "."
            ]
        );
        assert!(
            parsed
                .editables
                .iter()
                .all(|e| e.editable && e.is_url_or_path)
        );
        assert_eq!(
            parsed.editables[2].config_settings,
            [("k".to_owned(), "v".to_owned())]
        );
        assert!(parsed.editables[3].hashes.is_empty());
    }

    #[test]
    fn global_options_lines_are_recorded() {
        let parsed = parse(
            "--index-url https://pypi.example.org/simple\n\
             --extra-index-url=https://extra.example.org/simple\n\
             --find-links https://example.org/links\n\
             --pre\n\
             --prefer-binary\n\
             --only-binary=numpy,SciPy --no-binary :none:\n\
             --no-binary Pillow\n\
             --trusted-host pypi.example.org:8080\n\
             --require-hashes\n\
             --use-feature=fast-deps\n\
             --use-feature fast-deps\n",
        );
        let options = &parsed.options;
        assert_eq!(
            options.index_url.as_deref(),
            Some("https://pypi.example.org/simple")
        );
        assert_eq!(
            options.extra_index_urls,
            ["https://extra.example.org/simple"]
        );
        assert!(!options.no_index);
        assert_eq!(options.find_links, ["https://example.org/links"]);
        assert!(options.pre && options.prefer_binary && options.require_hashes);
        assert_eq!(
            options
                .format_control
                .only_binary
                .iter()
                .collect::<Vec<_>>(),
            ["numpy", "scipy"]
        );
        assert_eq!(
            options.format_control.no_binary.iter().collect::<Vec<_>>(),
            ["pillow"]
        );
        assert_eq!(options.trusted_hosts, ["pypi.example.org:8080"]);
        assert_eq!(options.features_enabled, ["fast-deps"]);
        assert!(parsed.requirements.is_empty());
    }

    #[test]
    fn no_index_is_recorded() {
        assert!(parse("--no-index\n").options.no_index);
    }

    #[test]
    fn index_url_drops_earlier_extra_index_urls() {
        let options = parse(
            "--extra-index-url https://a/simple\n\
             -i https://b/simple --extra-index-url https://c/simple\n\
             --extra-index-url https://d/simple\n",
        )
        .options;
        assert_eq!(options.index_url.as_deref(), Some("https://b/simple"));
        assert_eq!(
            options.extra_index_urls,
            ["https://c/simple", "https://d/simple"]
        );
    }

    #[test]
    fn options_on_a_requirement_line_are_ignored_but_binary_controls_apply() {
        let parsed = parse("foo==1 --pre --index-url https://x --no-binary bar\n");
        assert_eq!(texts(&parsed.requirements), ["foo==1"]);
        assert!(!parsed.options.pre);
        assert_eq!(parsed.options.index_url, None);
        assert!(parsed.options.format_control.no_binary.contains("bar"));
    }

    #[test]
    fn hash_on_an_options_line_is_ignored() {
        let parsed = parse("--hash=sha256:abcd\n");
        assert!(parsed.requirements.is_empty());
        assert_eq!(parsed.options, RequirementsOptions::default());
    }

    #[test]
    fn find_links_resolve_against_the_file_directory_when_they_exist() {
        let dir = tree(&[("reqs/wheels/.keep", ""), ("reqs/r.txt", "")]);
        let parsed = RequirementsTxt::parse_str(
            "-f ./wheels\n-f missing\n-f /abs/elsewhere\n--find-links=https://x/links\n",
            dir.path().join("reqs/r.txt"),
            &no_env,
        )
        .unwrap();
        let root = dir.path().display().to_string();
        assert_eq!(
            parsed.options.find_links,
            [
                format!("{root}/reqs/./wheels"),
                "missing".to_owned(),
                "/abs/elsewhere".to_owned(),
                "https://x/links".to_owned()
            ]
        );
    }

    #[test]
    fn includes_are_relative_to_the_including_file() {
        let dir = tree(&[
            (
                "main.txt",
                "first\n-r sub/base.txt\n--constraint=c.txt\nlast\n",
            ),
            (
                "sub/base.txt",
                "base-a\n--requirement=../shared/common.txt\n",
            ),
            ("shared/common.txt", "common\n"),
            ("c.txt", "pinned==1.0\n-r extra.txt\n-c more-c.txt\n"),
            ("extra.txt", "from-r-inside-c\n"),
            ("more-c.txt", "also-pinned<2\n"),
        ]);
        let parsed = RequirementsTxt::parse_file(dir.path().join("main.txt"), &no_env).unwrap();
        assert_eq!(
            texts(&parsed.requirements),
            ["first", "base-a", "common", "from-r-inside-c", "last"]
        );
        assert_eq!(texts(&parsed.constraints), ["pinned==1.0", "also-pinned<2"]);
        let root = dir.path().display().to_string();
        let relative: Vec<String> = origins(&parsed.requirements)
            .into_iter()
            .map(|origin| origin.replace(&root, "[TEMP]"))
            .collect();
        assert_eq!(
            relative,
            [
                "[TEMP]/main.txt:1",
                "[TEMP]/sub/base.txt:1",
                "[TEMP]/sub/../shared/common.txt:1",
                "[TEMP]/extra.txt:1",
                "[TEMP]/main.txt:4"
            ]
        );
    }

    #[test]
    fn include_paths_may_use_env_variables_quotes_and_file_urls() {
        let dir = tree(&[
            ("dir one/a.txt", "a\n"),
            ("b.txt", "b\n"),
            ("c d.txt", "c\n"),
        ]);
        let root = dir.path().display().to_string();
        let env = |name: &str| (name == "SUB").then(|| "dir one".to_owned());
        let text =
            format!("-r \"${{SUB}}/a.txt\"\n-r file://{root}/b.txt\n-r file://{root}/c%20d.txt\n");
        let parsed = RequirementsTxt::parse_str(&text, dir.path().join("top.txt"), &env).unwrap();
        assert_eq!(texts(&parsed.requirements), ["a", "b", "c"]);
    }

    #[test]
    fn the_same_file_may_be_included_twice_without_a_cycle() {
        let dir = tree(&[
            ("main.txt", "-r a.txt\n-r b.txt\n"),
            ("a.txt", "-r common.txt\n"),
            ("b.txt", "-r common.txt\n"),
            ("common.txt", "shared\n"),
        ]);
        let parsed = RequirementsTxt::parse_file(dir.path().join("main.txt"), &no_env).unwrap();
        assert_eq!(texts(&parsed.requirements), ["shared", "shared"]);
    }

    #[test]
    fn top_level_constraints_files_and_accumulated_options() {
        let dir = tree(&[
            ("r.txt", "--pre\nfoo\n-e ./src\n"),
            ("c.txt", "--extra-index-url https://a\nfoo<2\n"),
        ]);
        let mut parsed = RequirementsTxt::default();
        parsed
            .add_file(dir.path().join("r.txt"), FileKind::Requirements, &no_env)
            .unwrap();
        parsed
            .add_file(dir.path().join("c.txt"), FileKind::Constraints, &no_env)
            .unwrap();
        assert_eq!(texts(&parsed.requirements), ["foo"]);
        assert_eq!(texts(&parsed.constraints), ["foo<2"]);
        assert_eq!(texts(&parsed.editables), ["./src"]);
        assert!(parsed.options.pre);
        assert_eq!(parsed.options.extra_index_urls, ["https://a"]);
    }

    #[test]
    fn utf8_bom_and_utf16_files_are_decoded() {
        let dir = tempfile::tempdir().unwrap();
        let bom = dir.path().join("bom.txt");
        std::fs::write(&bom, b"\xEF\xBB\xBFfoo==1\r\n").unwrap();
        assert_eq!(
            texts(
                &RequirementsTxt::parse_file(&bom, &no_env)
                    .unwrap()
                    .requirements
            ),
            ["foo==1"]
        );
        let utf16 = dir.path().join("utf16.txt");
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend("bar==2\r\n".encode_utf16().flat_map(u16::to_le_bytes));
        std::fs::write(&utf16, bytes).unwrap();
        assert_eq!(
            texts(
                &RequirementsTxt::parse_file(&utf16, &no_env)
                    .unwrap()
                    .requirements
            ),
            ["bar==2"]
        );
    }

    #[test]
    fn pyproject_dependencies_with_their_lines() {
        let text = "[build-system]\nrequires = [\"setuptools\"]\n\n[project]\nname = \"demo\"\n\
                    dependencies = [\n  \"numpy>=1.26\",\n  \"  mylib @ file:///opt/mylib  \",\n]\n";
        let parsed = RequirementsTxt::parse_str(text, "proj/pyproject.toml", &no_env).unwrap();
        assert_eq!(
            texts(&parsed.requirements),
            ["numpy>=1.26", "mylib @ file:///opt/mylib"]
        );
        assert_eq!(
            origins(&parsed.requirements),
            ["proj/pyproject.toml:7", "proj/pyproject.toml:8"]
        );
        assert_eq!(
            parsed
                .requirements
                .iter()
                .map(|e| e.is_url_or_path)
                .collect::<Vec<_>>(),
            [false, true]
        );
    }

    #[test]
    fn pyproject_without_dependencies_has_none() {
        let parsed =
            RequirementsTxt::parse_str("[project]\nname = \"x\"\n", "pyproject.toml", &no_env)
                .unwrap();
        assert!(parsed.requirements.is_empty());
    }

    #[test]
    fn pyproject_may_be_included_and_constrain() {
        let dir = tree(&[
            ("r.txt", "-r app/pyproject.toml\n-c app/pyproject.toml\n"),
            (
                "app/pyproject.toml",
                "[project]\ndependencies = [\"attrs\"]\n",
            ),
        ]);
        let parsed = RequirementsTxt::parse_file(dir.path().join("r.txt"), &no_env).unwrap();
        assert_eq!(texts(&parsed.requirements), ["attrs"]);
        assert_eq!(texts(&parsed.constraints), ["attrs"]);
    }

    // One test per failure mode, with the message as the user sees it.

    #[test]
    fn err_read() {
        let dir = tempfile::tempdir().unwrap();
        let error = RequirementsTxt::parse_file(dir.path().join("nope.txt"), &no_env).unwrap_err();
        insta::assert_snapshot!(report_in(&error, dir.path()), @r"
        could not read requirements file `[TEMP]/nope.txt`
          Caused by: No such file or directory (os error 2)
        ");
    }

    #[test]
    fn err_encoding() {
        let dir = tree(&[("latin1.txt", "")]);
        let path = dir.path().join("latin1.txt");
        std::fs::write(&path, b"caf\xE9\n").unwrap();
        let error = RequirementsTxt::parse_file(&path, &no_env).unwrap_err();
        insta::assert_snapshot!(report_in(&error, dir.path()), @"
        requirements file `[TEMP]/latin1.txt` is not UTF-8 text
          Caused by: invalid utf-8 sequence of 1 bytes from index 3

        hint: wharf reads UTF-8 (and UTF-16 with a byte order mark); convert the file with `iconv -t UTF-8`
        ");
    }

    #[test]
    fn err_include_read() {
        let error = parse_err("ok\n-r sub/missing.txt\n");
        insta::assert_snapshot!(report(&error), @"
        requirements.txt:2: could not read included file `sub/missing.txt`
          Caused by: No such file or directory (os error 2)

        hint: a relative `-r`/`-c` path is relative to the including file's directory, `.`
        ");
    }

    #[test]
    fn err_include_cycle() {
        let dir = tree(&[
            ("a.txt", "x\n-r sub/b.txt\n"),
            ("sub/b.txt", "-c ../a.txt\n"),
        ]);
        let error = RequirementsTxt::parse_file(dir.path().join("a.txt"), &no_env).unwrap_err();
        insta::assert_snapshot!(report_in(&error, dir.path()), @"
        [TEMP]/sub/b.txt:1: include cycle: `[TEMP]/a.txt` → `[TEMP]/sub/b.txt` → `[TEMP]/sub/../a.txt`

        hint: remove one of the `-r`/`-c` lines that close the cycle
        ");
    }

    #[test]
    fn err_include_cycle_self() {
        let dir = tree(&[("a.txt", "-r ./a.txt\n")]);
        let error = RequirementsTxt::parse_file(dir.path().join("a.txt"), &no_env).unwrap_err();
        insta::assert_snapshot!(report_in(&error, dir.path()), @"
        [TEMP]/a.txt:1: include cycle: `[TEMP]/a.txt` → `[TEMP]/./a.txt`

        hint: remove one of the `-r`/`-c` lines that close the cycle
        ");
    }

    #[test]
    fn err_remote_include() {
        let error = parse_err("-r https://example.org/requirements.txt\n");
        insta::assert_snapshot!(report(&error), @"
        requirements.txt:1: remote requirements file `https://example.org/requirements.txt` is not supported

        hint: download `https://example.org/requirements.txt` and include the local copy
        ");
    }

    #[test]
    fn err_remote_file_url() {
        let error = parse_err("-c file://fileserver/share/c.txt\n");
        insta::assert_snapshot!(report(&error), @"
        requirements.txt:1: remote requirements file `file://fileserver/share/c.txt` is not supported

        hint: download `file://fileserver/share/c.txt` and include the local copy
        ");
    }

    #[test]
    fn err_unknown_option_of_the_command_line() {
        let error = parse_err("numpy\n--upgrade\n");
        insta::assert_snapshot!(report(&error), @"
        requirements.txt:2: unknown option `--upgrade`

        hint: `--upgrade` is an option of the `pip install` command line; a requirements file cannot carry it
        ");
    }

    #[test]
    fn err_unknown_option_typo() {
        let error = parse_err("--extra-idnex-url https://x/simple\n");
        insta::assert_snapshot!(report(&error), @"
        requirements.txt:1: unknown option `--extra-idnex-url`

        hint: did you mean `--extra-index-url`?
        ");
    }

    #[test]
    fn err_unknown_option_after_a_requirement() {
        let error = parse_err("foo==1.0 --hash=sha256:ab --verbose\n");
        insta::assert_snapshot!(report(&error), @"
        requirements.txt:1: unknown option `--verbose`

        hint: a requirements file accepts -r, -c, -e, -i, --extra-index-url, --no-index, -f, --pre, --prefer-binary, --only-binary, --no-binary, --trusted-host, --require-hashes, --use-feature; after a requirement: --hash, --config-settings, --global-option
        ");
    }

    #[test]
    fn err_unknown_short_option() {
        let error = parse_err("-x foo\n");
        insta::assert_snapshot!(report(&error), @"
        requirements.txt:1: unknown option `-x`

        hint: a requirements file accepts -r, -c, -e, -i, --extra-index-url, --no-index, -f, --pre, --prefer-binary, --only-binary, --no-binary, --trusted-host, --require-hashes, --use-feature; after a requirement: --hash, --config-settings, --global-option
        ");
    }

    #[test]
    fn err_ambiguous_option() {
        let error = parse_err("--pr\n");
        insta::assert_snapshot!(report(&error), @"
        requirements.txt:1: ambiguous option `--pr`: could be `--pre`, `--prefer-binary`

        hint: spell the option out: `--pre` or `--prefer-binary`
        ");
    }

    #[test]
    fn err_missing_value() {
        let error = parse_err("--index-url\n");
        insta::assert_snapshot!(report(&error), @"
        requirements.txt:1: option `--index-url` needs a value

        hint: write `--index-url=VALUE` or `--index-url VALUE`
        ");
    }

    #[test]
    fn err_missing_value_short() {
        let error = parse_err("\n-r\n");
        insta::assert_snapshot!(report(&error), @"
        requirements.txt:2: option `-r` needs a value

        hint: write `-r VALUE`
        ");
    }

    #[test]
    fn err_missing_binary_value() {
        let error = parse_err("--no-binary --pre\n");
        insta::assert_snapshot!(report(&error), @"
        requirements.txt:1: option `--no-binary` needs a value

        hint: write `--no-binary=VALUE` or `--no-binary VALUE`
        ");
    }

    #[test]
    fn err_unexpected_value() {
        let error = parse_err("--pre=yes\n");
        insta::assert_snapshot!(report(&error), @"
        requirements.txt:1: option `--pre` takes no value, got `--pre=yes`

        hint: `--pre` is a switch: write it alone
        ");
    }

    #[test]
    fn err_quoting() {
        let error = parse_err("-r 'my file.txt\n");
        insta::assert_snapshot!(report(&error), @r"
        requirements.txt:1: could not split the options `-r 'my file.txt` into words
          Caused by: no closing quotation

        hint: close the quote, or escape the quote or backslash with `\`
        ");
    }

    #[test]
    fn err_malformed_hash() {
        let error = parse_err("foo==1 \\\n  --hash=abcdef\n");
        insta::assert_snapshot!(report(&error), @"
        requirements.txt:1: `--hash=abcdef` is not of the form ALGORITHM:DIGEST

        hint: write `--hash=sha256:<hex digest>`; `pip hash FILE` prints one
        ");
    }

    #[test]
    fn err_unsupported_hash_algorithm() {
        let error = parse_err("foo==1 --hash=md5:abcdef\n");
        insta::assert_snapshot!(report(&error), @"
        requirements.txt:1: hash algorithm `md5` in `--hash=md5:abcdef` is not one of sha256, sha384, sha512

        hint: pip checks only sha256, sha384 and sha512 digests; `pip hash FILE` prints a sha256
        ");
    }

    #[test]
    fn err_invalid_config_setting() {
        let error = parse_err("foo -C debug\n");
        insta::assert_snapshot!(report(&error), @"
        requirements.txt:1: `-C debug` is not of the form KEY=VALUE

        hint: write `-C KEY=VALUE`
        ");
    }

    #[test]
    fn err_unknown_feature() {
        let error = parse_err("--use-feature=2020-resolver\n");
        insta::assert_snapshot!(report(&error), @"
        requirements.txt:1: unknown feature `2020-resolver` in `--use-feature`

        hint: pip 24.2 knows the features fast-deps, truststore, no-binary-enable-wheel-cache
        ");
    }

    #[test]
    fn err_stray_argument() {
        let error = parse_err("--pre numpy\n");
        insta::assert_snapshot!(report(&error), @"
        requirements.txt:1: `numpy` follows the options, where it would be ignored

        hint: put each requirement on its own line, before its options: `numpy --hash=…`
        ");
    }

    #[test]
    fn err_stray_argument_after_a_requirement_option() {
        let error = parse_err("foo==1 --hash=sha256:ab bar==2\n");
        insta::assert_snapshot!(report(&error), @"
        requirements.txt:1: `bar==2` follows the options, where it would be ignored

        hint: put each requirement on its own line, before its options: `bar==2 --hash=…`
        ");
    }

    #[test]
    fn err_several_targets() {
        let error = parse_err("-r a.txt --constraint=b.txt\n");
        insta::assert_snapshot!(report(&error), @"
        requirements.txt:1: `--constraint b.txt` shares a line with `-r a.txt`

        hint: put each `-r`, `-c` and `-e` on its own line
        ");
    }

    #[test]
    fn err_editable_constraint() {
        let dir = tree(&[("c.txt", "foo<2\n-e ./src\n")]);
        let mut parsed = RequirementsTxt::default();
        let error = parsed
            .add_file(dir.path().join("c.txt"), FileKind::Constraints, &no_env)
            .unwrap_err();
        insta::assert_snapshot!(report_in(&error, dir.path()), @"
        [TEMP]/c.txt:2: editable requirement `-e ./src` in a constraints file

        hint: move the `-e` line to a requirements file; a constraint names a version (`name==1.0`)
        ");
    }

    #[test]
    fn err_pyproject_toml() {
        let error = RequirementsTxt::parse_str(
            "[project]\ndependencies = \"numpy\"\n",
            "pyproject.toml",
            &no_env,
        )
        .unwrap_err();
        insta::assert_snapshot!(report(&error), @r#"
        could not parse `pyproject.toml`
          Caused by: TOML parse error at line 2, column 16
          |
        2 | dependencies = "numpy"
          |                ^^^^^^^
        invalid type: string "numpy", expected a sequence
        "#);
    }

    #[test]
    fn err_pyproject_no_project() {
        let error = RequirementsTxt::parse_str(
            "[tool.poetry.dependencies]\npython = \"^3.11\"\n",
            "pyproject.toml",
            &no_env,
        )
        .unwrap_err();
        insta::assert_snapshot!(report(&error), @"
        `pyproject.toml` has no `[project]` table

        hint: wharf reads the PEP 621 `[project].dependencies`; list the dependencies there or in a requirements file
        ");
    }

    #[test]
    fn err_pyproject_dynamic_dependencies() {
        let error = RequirementsTxt::parse_str(
            "[project]\nname = \"x\"\ndynamic = [\"version\", \"dependencies\"]\n",
            "pyproject.toml",
            &no_env,
        )
        .unwrap_err();
        insta::assert_snapshot!(report(&error), @"
        `pyproject.toml` declares `dependencies` as dynamic

        hint: the build backend computes them; list them in a requirements file instead
        ");
    }
}

/// Property tests (no-panic issue): any requirements, constraints or `pyproject.toml` text
/// never panics the parser.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn line() -> impl Strategy<Value = String> {
        prop_oneof![
            "[A-Za-z0-9_.é-]{0,8}(\\[[a-z,]{0,5}\\]?)?([<>=!~]{1,3}[0-9.*]{0,5})?( ?;[^\\n]{0,10})?",
            "(-r|-c|-e|--hash|--find-links|-f|--index-url|-i|--no-index|--only-binary|--pre|--requirement|-Z|--constraint|--extra-index-url)( |=)?[a-z:/.${}=]{0,10}",
            "[^\\n]{0,12}",
            "[a-z]{1,4} +#[^\\n]{0,6}",
            "[a-z]{0,4}\\\\",
            "'[a-z ]{0,4}|\"[a-z]{0,3}",
        ]
    }

    fn file() -> impl Strategy<Value = String> {
        (proptest::collection::vec(line(), 0..8), "(\\n|\\r\\n|\\r)")
            .prop_map(|(lines, end)| lines.join(&end))
    }

    proptest! {
        // 256 cases each (all property tests together < 30 s in debug on 2 cores);
        // `PROPTEST_CASES=10000 cargo test` for a longer local run.
        #![proptest_config(ProptestConfig::with_cases(
            std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256)
        ))]

        #[test]
        fn arbitrary_requirements_txt_never_panics(text in any::<String>()) {
            let _ = RequirementsTxt::parse_str(&text, "requirements.txt", &no_env);
        }

        #[test]
        fn near_grammar_requirements_txt_never_panics(text in file()) {
            let mut parsed = RequirementsTxt::default();
            let _ = parsed.add_str(&text, "requirements.txt", FileKind::Requirements, &no_env);
            let _ = parsed.add_str(&text, "constraints.txt", FileKind::Constraints, &no_env);
        }

        #[test]
        fn arbitrary_pyproject_never_panics(
            text in "(\\[project\\]\\n)?(dependencies = \\[(\"[^\"\\n]{0,8}\",? ?){0,3}\\]?\\n)?[^\\n]{0,10}"
        ) {
            let _ = RequirementsTxt::parse_str(&text, "pyproject.toml", &no_env);
        }
    }
}
