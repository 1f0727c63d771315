//! Test-only helpers shared by wharf's crates (a dev-dependency, never published).
//!
//! - [`real_python`]: the gate of every test that needs a real interpreter or peer (pip, uv,
//!   virtualenv): `WHARF_TEST_PYTHON` (set by `eval "$(scripts/test-env.sh)"`), one rule for
//!   empty values (unset), and a hard failure instead of a skip under
//!   `WHARF_TEST_REQUIRE_PEERS` (CI), so a missing peer can never make a test pass silently.
//! - [`clean_command`]: a `Command` with an empty environment but `PATH` and `HOME`; these
//!   machines export `PIP_FIND_LINKS`, `PIP_CONFIG_FILE` and more, and every test must set
//!   the environment it means to test. [`NETWORK_VARIABLES`] are the ones a download needs.
//! - [`http::TestServer`]: an HTTP server on 127.0.0.1 whose replies a test writes (an
//!   endless body, a trickle, a lying `Content-Length`, a redirect anywhere).
//! - [`WheelBuilder`]: tiny synthetic wheels (valid zips, `METADATA`, `WHEEL`, and a correct
//!   `RECORD` unless told otherwise) for unit tests; end-to-end tests use real wheels.

pub mod http;

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::Digest;
use zip::write::SimpleFileOptions;

/// The variable naming the test interpreter (a venv with the pinned peers).
pub const TEST_PYTHON: &str = "WHARF_TEST_PYTHON";
/// Set in CI: a test that needs a peer fails instead of skipping.
pub const REQUIRE_PEERS: &str = "WHARF_TEST_REQUIRE_PEERS";

/// What a download needs from the caller's environment (CA bundle, proxies), passed through
/// to pip or wharf when a test really downloads.
pub const NETWORK_VARIABLES: [&str; 9] = [
    "PIP_CERT",
    "SSL_CERT_FILE",
    "REQUESTS_CA_BUNDLE",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "NO_PROXY",
    "no_proxy",
];

fn var(name: &str) -> Option<OsString> {
    std::env::var_os(name).filter(|v| !v.is_empty())
}

/// The test interpreter from `WHARF_TEST_PYTHON` (empty = unset); `None` (with a "skipped"
/// line on stderr) when it is unset.
///
/// # Panics
/// When it is unset but `WHARF_TEST_REQUIRE_PEERS` is set (CI must not skip).
pub fn real_python() -> Option<PathBuf> {
    if let Some(python) = var(TEST_PYTHON) {
        return Some(PathBuf::from(python));
    }
    assert!(
        var(REQUIRE_PEERS).is_none(),
        "{REQUIRE_PEERS} is set but {TEST_PYTHON} is not: run `eval \"$(scripts/test-env.sh)\"`"
    );
    eprintln!("skipped: {TEST_PYTHON} is not set (run `eval \"$(scripts/test-env.sh)\"`)");
    None
}

/// The markers of CPython 3.11.7 on x86_64 Linux (PEP 508 "Environment Markers"), the test
/// interpreter's, for unit tests that evaluate markers without running a Python.
///
/// # Panics
/// Never: the values are valid.
pub fn linux_cpython_311_markers() -> pep508_rs::MarkerEnvironment {
    pep508_rs::MarkerEnvironment::try_from(pep508_rs::MarkerEnvironmentBuilder {
        implementation_name: "cpython",
        implementation_version: "3.11.7",
        os_name: "posix",
        platform_machine: "x86_64",
        platform_python_implementation: "CPython",
        platform_release: "6.1",
        platform_system: "Linux",
        platform_version: "#1",
        python_full_version: "3.11.7",
        python_version: "3.11",
        sys_platform: "linux",
    })
    .expect("valid markers")
}

/// A test that cannot run here: prints `skipped: REASON` on stderr, for the caller to return.
///
/// # Panics
/// Under `WHARF_TEST_REQUIRE_PEERS` (set by `scripts/test-env.sh`, so in `scripts/test.sh` and
/// CI): a test that cannot run then fails with the reason instead of counting as passed; tests
/// whose prerequisite no CI machine has are `#[ignore]`d with the reason instead.
#[track_caller]
pub fn skip(reason: &str) {
    assert!(
        var(REQUIRE_PEERS).is_none(),
        "{reason} (and {REQUIRE_PEERS} is set: a test that cannot run must not pass)"
    );
    eprintln!("skipped: {reason}");
}

/// The real CPython behind the test interpreter (`sys._base_executable`), the base of every
/// venv a test makes.
pub fn base_python(test_python: &Path) -> PathBuf {
    let out = Command::new(test_python)
        .env_clear()
        .args(["-c", "import sys; print(sys._base_executable)"])
        .output()
        .expect("the test interpreter runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8(out.stdout).expect("utf-8 path").trim())
}

/// `program` with an empty environment but `PATH` and `HOME` (`home`, else the caller's).
pub fn clean_command(program: impl AsRef<std::ffi::OsStr>, home: Option<&Path>) -> Command {
    let mut command = Command::new(program);
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    match home {
        Some(home) => command.env("HOME", home),
        None => command.env("HOME", std::env::var_os("HOME").unwrap_or_default()),
    };
    command
}

/// Adds the [`NETWORK_VARIABLES`] the caller has to `command`.
pub fn with_network(command: &mut Command) -> &mut Command {
    for name in NETWORK_VARIABLES {
        if let Some(value) = var(name) {
            command.env(name, value);
        }
    }
    command
}

/// Builds a synthetic wheel file member by member: `METADATA` and `WHEEL` first, then the
/// members added, then (by default) a `RECORD` with every member's real sha256 and size.
#[derive(Debug, Clone)]
pub struct WheelBuilder {
    dist_info: String,
    members: Vec<Member>,
    record: RecordMode,
}

#[derive(Debug, Clone)]
struct Member {
    name: String,
    content: Vec<u8>,
    mode: u32,
    deflate: bool,
}

/// How [`WheelBuilder`] writes `RECORD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordMode {
    /// Every member with its real hash and size (a valid wheel).
    Correct,
    /// No `RECORD` member (an invalid wheel).
    Missing,
}

impl WheelBuilder {
    /// A wheel of `name` `version` whose `.dist-info` is `{name}-{version}.dist-info` (name
    /// with `-` as `_`), `Root-Is-Purelib` as given, `Requires-Dist` lines as given, and a
    /// `Provides-Extra` for each extra their markers name (`extra == 'x'`).
    pub fn new(name: &str, version: &str, purelib: bool, requires_dist: &[&str]) -> Self {
        let dist_info = format!("{}-{version}.dist-info", name.replace('-', "_"));
        let mut metadata = format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n");
        // Each extra a requirement's marker names is declared, as every build backend does
        // (`Provides-Extra`): pip ignores an extra a distribution does not declare.
        let mut extras: Vec<String> = Vec::new();
        for requirement in requires_dist {
            let mut rest = *requirement;
            while let Some(at) = rest.find("extra") {
                rest = &rest[at + "extra".len()..];
                let after = rest.trim_start();
                if let Some(quoted) = after.strip_prefix("==").map(str::trim_start)
                    && let Some(quote) = quoted.chars().next().filter(|c| *c == '\'' || *c == '"')
                    && let Some(end) = quoted[1..].find(quote)
                {
                    let extra = quoted[1..=end].to_string();
                    if !extras.contains(&extra) {
                        extras.push(extra);
                    }
                }
            }
        }
        for extra in &extras {
            metadata.push_str(&format!("Provides-Extra: {extra}\n"));
        }
        for requirement in requires_dist {
            metadata.push_str(&format!("Requires-Dist: {requirement}\n"));
        }
        let builder = Self {
            dist_info: dist_info.clone(),
            members: Vec::new(),
            record: RecordMode::Correct,
        };
        builder
            .file(&format!("{dist_info}/METADATA"), metadata.as_bytes())
            .file(
                &format!("{dist_info}/WHEEL"),
                format!(
                    "Wheel-Version: 1.0\nGenerator: wharf-test-support\nRoot-Is-Purelib: {purelib}\nTag: py3-none-any\n"
                )
                .as_bytes(),
            )
    }

    /// A wheel with no member at all and no `RECORD` (the caller adds every member itself,
    /// `METADATA` and `WHEEL` included, and may switch [`RecordMode::Correct`] on with
    /// [`WheelBuilder::record`]); `dist_info` names the `.dist-info` directory for `RECORD`.
    pub fn bare(dist_info: &str) -> Self {
        Self {
            dist_info: dist_info.to_string(),
            members: Vec::new(),
            record: RecordMode::Missing,
        }
    }

    /// Appends a header line to `METADATA` (ex) `Requires-Python: >=3.10`).
    ///
    /// # Panics
    /// When the wheel has no `METADATA` member yet.
    pub fn metadata_line(mut self, line: &str) -> Self {
        let name = format!("{}/METADATA", self.dist_info);
        let member = self
            .members
            .iter_mut()
            .find(|m| m.name == name)
            .expect("METADATA member");
        member.content.extend_from_slice(line.as_bytes());
        member.content.push(b'\n');
        self
    }

    /// The `.dist-info` directory name.
    pub fn dist_info(&self) -> &str {
        &self.dist_info
    }

    /// Adds a regular file (mode 0o644, deflated).
    pub fn file(self, name: &str, content: &[u8]) -> Self {
        self.member(name, content, 0o644, true)
    }

    /// Adds a member with a Unix mode; `deflate: false` stores it uncompressed.
    pub fn member(mut self, name: &str, content: &[u8], mode: u32, deflate: bool) -> Self {
        self.members.push(Member {
            name: name.to_string(),
            content: content.to_vec(),
            mode,
            deflate,
        });
        self
    }

    /// How to write `RECORD`.
    pub fn record(mut self, mode: RecordMode) -> Self {
        self.record = mode;
        self
    }

    /// Writes the wheel to `path` and returns it.
    ///
    /// # Panics
    /// On any IO error (tests only).
    pub fn write(&self, path: &Path) -> PathBuf {
        let file = std::fs::File::create(path).expect("create the wheel");
        let mut writer = zip::ZipWriter::new(file);
        let mut record = String::new();
        for member in &self.members {
            let options = SimpleFileOptions::default()
                .compression_method(if member.deflate {
                    zip::CompressionMethod::Deflated
                } else {
                    zip::CompressionMethod::Stored
                })
                .unix_permissions(member.mode);
            writer
                .start_file(member.name.as_str(), options)
                .expect("zip member");
            writer.write_all(&member.content).expect("zip write");
            let digest = sha2::Sha256::digest(&member.content);
            record.push_str(&format!(
                "{},sha256={},{}\n",
                member.name,
                data_encoding::BASE64URL_NOPAD.encode(&digest),
                member.content.len()
            ));
        }
        if self.record == RecordMode::Correct {
            let name = format!("{}/RECORD", self.dist_info);
            record.push_str(&format!("{name},,\n"));
            writer
                .start_file(name.as_str(), SimpleFileOptions::default())
                .expect("zip member");
            writer.write_all(record.as_bytes()).expect("zip write");
        }
        writer.finish().expect("zip finish");
        path.to_path_buf()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wheel_has_a_correct_record() {
        let dir = std::env::temp_dir().join(format!("wharf-test-support-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = WheelBuilder::new("demo-pkg", "1.0", true, &["six>=1"])
            .file("demo_pkg/__init__.py", b"x = 1\n")
            .write(&dir.join("demo_pkg-1.0-py3-none-any.whl"));
        let mut archive = zip::ZipArchive::new(std::fs::File::open(&path).unwrap()).unwrap();
        let mut record = String::new();
        std::io::Read::read_to_string(
            &mut archive.by_name("demo_pkg-1.0.dist-info/RECORD").unwrap(),
            &mut record,
        )
        .unwrap();
        assert!(record.contains("demo_pkg/__init__.py,sha256="), "{record}");
        assert!(record.ends_with("demo_pkg-1.0.dist-info/RECORD,,\n"));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
