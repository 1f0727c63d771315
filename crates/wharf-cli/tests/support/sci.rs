//! The real-wheel fixture shared by the end-to-end tests: the pinned scientific wheels of
//! `data/sci-wheels.lock`, re-tagged as the site does, built once by
//! `scripts/build-sci-wheelhouse.py` into `.cache/sci-wheelhouse` (PyPI the first time); the
//! test interpreter (`WHARF_TEST_PYTHON`) and its base CPython; commands with an explicit
//! environment (the machine's `PIP_*` never leak in) and transcripts on failure.
#![allow(dead_code)]

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use wharf_test_support::NETWORK_VARIABLES;

/// The layers of the fixture's wheelhouse, in the pip config's priority order.
pub const LAYERS: [&str; 3] = ["gentoo2023/x86-64-v3", "gentoo2023/generic", "generic"];

/// The interpreters and the fixture every test uses.
pub struct Peers {
    /// The test interpreter: a venv with pip 24.2, uv and virtualenv.
    pub test_python: PathBuf,
    /// The real CPython behind it: the base of every venv made here.
    pub base_python: PathBuf,
    /// The built fixture (OUT_DIR of `scripts/build-sci-wheelhouse.py`).
    pub fixture: PathBuf,
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

pub fn test_python() -> Option<PathBuf> {
    wharf_test_support::real_python()
}

/// The peers, with the fixture built (once per test binary).
pub fn peers() -> Option<&'static Peers> {
    static PEERS: OnceLock<Peers> = OnceLock::new();
    let test_python = test_python()?;
    Some(PEERS.get_or_init(|| {
        let base = run(command(&test_python).args([
            "-c",
            "import sys; print(getattr(sys, '_base_executable', '') or sys.executable)",
        ]))
        .success();
        let base_python = PathBuf::from(base.stdout().trim());
        assert!(
            base_python.is_file(),
            "no base interpreter:\n{}",
            base.transcript()
        );

        let repo = repo_root();
        let fixture = repo.join(".cache/sci-wheelhouse");
        let mut build = command(&test_python);
        build
            .arg(repo.join("scripts/build-sci-wheelhouse.py"))
            .arg(&fixture);
        for variable in NETWORK_VARIABLES {
            if let Some(value) = std::env::var_os(variable) {
                build.env(variable, value);
            }
        }
        run(&mut build).success();
        Peers {
            test_python,
            base_python,
            fixture,
        }
    }))
}

/// A command with an explicit environment: PATH and HOME only; callers add what they mean.
pub fn command(program: impl AsRef<OsStr>) -> Command {
    let mut command = Command::new(program);
    command
        .env_clear()
        .env(
            "PATH",
            std::env::var_os("PATH").unwrap_or_else(|| OsString::from("/usr/bin:/bin")),
        )
        .env(
            "HOME",
            std::env::var_os("HOME").unwrap_or_else(|| OsString::from("/")),
        );
    command
}

/// One finished command, kept with how it was run for the transcript.
pub struct Run {
    pub shown: String,
    pub output: Output,
}

pub fn run(command: &mut Command) -> Run {
    let shown = format!("{command:?}");
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("cannot run {shown}: {error}"));
    Run { shown, output }
}

impl Run {
    pub fn code(&self) -> Option<i32> {
        self.output.status.code()
    }

    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    pub fn transcript(&self) -> String {
        format!(
            "$ {}\n{}\n--- stdout\n{}--- stderr\n{}---",
            self.shown,
            self.output.status,
            self.stdout(),
            self.stderr()
        )
    }

    /// Asserts that stdout holds every one of `needles`; the transcript on failure.
    #[track_caller]
    pub fn assert_stdout_has<S: AsRef<str>>(&self, needles: impl IntoIterator<Item = S>) {
        let stdout = self.stdout();
        for needle in needles {
            let needle = needle.as_ref();
            assert!(
                stdout.contains(needle),
                "no {needle:?}:\n{}",
                self.transcript()
            );
        }
    }

    #[track_caller]
    pub fn success(self) -> Self {
        assert!(
            self.output.status.success(),
            "expected success:\n{}",
            self.transcript()
        );
        self
    }

    #[track_caller]
    pub fn exit_code(self, code: i32) -> Self {
        assert_eq!(
            self.code(),
            Some(code),
            "expected exit {code}:\n{}",
            self.transcript()
        );
        self
    }
}

impl Peers {
    pub fn layer(&self, layer: &str) -> PathBuf {
        self.fixture.join("wh").join(layer)
    }

    pub fn site_python(&self) -> PathBuf {
        self.fixture.join("site-python")
    }

    pub fn modules_pythonpath(&self) -> PathBuf {
        self.fixture.join("modules-pythonpath")
    }

    /// PYTHONPATH with the site's policy module first, then `extra`.
    pub fn pythonpath(&self, extra: &[PathBuf]) -> OsString {
        let mut paths = vec![self.site_python()];
        paths.extend_from_slice(extra);
        std::env::join_paths(paths).unwrap()
    }

    /// A program with the site's environment: `PIP_CONFIG_FILE` names the fixture's pip
    /// config and the policy module `_manylinux.py` is on PYTHONPATH.
    pub fn on_site(&self, program: impl AsRef<OsStr>) -> Command {
        let mut command = command(program);
        command
            .env("PIP_CONFIG_FILE", self.fixture.join("pip.conf"))
            .env("PYTHONPATH", self.pythonpath(&[]));
        command
    }

    /// wharf with the site's environment and the tests' shared cache (wheel cache, probe
    /// cache) in the target directory, never the user's `~/.cache/wharf`. The fixture's
    /// wheels keep their paths, so their cache entries are reused from run to run.
    pub fn wharf(&self) -> Command {
        self.wharf_with_cache(&Path::new(env!("CARGO_TARGET_TMPDIR")).join("install-e2e-cache"))
    }

    /// wharf with the site's environment and its cache in `cache_dir` (`WHARF_CACHE_DIR`).
    pub fn wharf_with_cache(&self, cache_dir: &Path) -> Command {
        let mut command = self.on_site(env!("CARGO_BIN_EXE_wharf"));
        command
            .env("NO_COLOR", "1")
            .env("WHARF_CACHE_DIR", cache_dir);
        command
    }

    /// pip 24.2 (from the test interpreter) acting on `venv` through `--python`, with a
    /// clean environment: no site variables unless the caller adds them.
    pub fn pip(&self, venv: &Path) -> Command {
        let mut command = command(&self.test_python);
        command
            .args(["-m", "pip", "--python"])
            .arg(venv.join("bin/python"))
            .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
            .env("PIP_NO_INPUT", "1");
        command
    }

    /// `wharf venv DIR/env --python BASE`, checked.
    pub fn new_venv(&self, dir: &Path) -> PathBuf {
        let venv = dir.join("env");
        let created = run(self
            .wharf()
            .arg("venv")
            .arg(&venv)
            .arg("--python")
            .arg(&self.base_python))
        .success();
        assert!(
            venv.join("pyvenv.cfg").is_file() && venv.join("bin/python").exists(),
            "no venv at {}:\n{}",
            venv.display(),
            created.transcript()
        );
        venv
    }

    /// The copy of a fixture wheel, found by its file name's start (`pandas-2.2.2+`).
    pub fn wheel(&self, prefix: &str) -> PathBuf {
        LAYERS
            .iter()
            .filter_map(|layer| std::fs::read_dir(self.layer(layer)).ok())
            .flatten()
            .map(|entry| entry.unwrap().path())
            .find(|path| {
                let name = path.file_name().unwrap().to_string_lossy();
                name.starts_with(prefix) && name.ends_with(".whl")
            })
            .unwrap_or_else(|| panic!("no wheel {prefix}* in {}", self.fixture.display()))
    }
}

/// The venv's `purelib` directory, as its interpreter reports it.
pub fn site_packages(venv: &Path) -> PathBuf {
    let output = run(command(venv.join("bin/python")).args([
        "-c",
        "import sysconfig; print(sysconfig.get_path('purelib'))",
    ]))
    .success();
    PathBuf::from(output.stdout().trim())
}

/// Writes `bytes` into the file at `path` in place (same inode) and sets its mtime back to
/// what it was: only its ctime tells that it changed.
pub fn rewrite_in_place(path: &Path, bytes: &[u8]) {
    let mtime = std::fs::metadata(path).unwrap().modified().unwrap();
    std::fs::write(path, bytes).unwrap();
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
}

/// Runs `command`, killing it and failing the test when it takes longer than `deadline` (a
/// command that never ends, a regression that hangs, fails the test instead of stalling the
/// suite).
pub fn run_within(command: &mut Command, deadline: std::time::Duration) -> Run {
    let shown = format!("{command:?}");
    let start = std::time::Instant::now();
    let mut child = command
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("cannot run {shown}: {error}"));
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stdout, &mut bytes);
        bytes
    });
    let err = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stderr, &mut bytes);
        bytes
    });
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{shown} did not finish within {deadline:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    Run {
        shown,
        output: Output {
            status,
            stdout: out.join().unwrap(),
            stderr: err.join().unwrap(),
        },
    }
}

/// The bin directory of the peers' current releases (pip 26.3, uv 0.13.10, from
/// `scripts/test-env.sh`'s `WHARF_TEST_CURRENT_PEERS`), or `None`: the test then says why and
/// skips, or fails under `WHARF_TEST_REQUIRE_PEERS`.
pub fn current_peers() -> Option<PathBuf> {
    if let Some(bin) = std::env::var_os("WHARF_TEST_CURRENT_PEERS") {
        return Some(PathBuf::from(bin));
    }
    assert!(
        std::env::var_os("WHARF_TEST_REQUIRE_PEERS").is_none(),
        "WHARF_TEST_CURRENT_PEERS is not set: run `eval \"$(scripts/test-env.sh)\"`"
    );
    eprintln!("skipped: WHARF_TEST_CURRENT_PEERS is not set (pip 26, uv 0.13)");
    None
}

/// `start` (a Python: the current peers' `bin/python`, clean or on site) running pip on the
/// environment `venv` through `--python`, isolated from pip's config files and version check.
pub fn pip_on(mut start: Command, venv: &Path) -> Command {
    start
        .args([
            "-m",
            "pip",
            "--isolated",
            "--disable-pip-version-check",
            "--python",
        ])
        .arg(venv.join("bin/python"));
    start
}

/// The pinned PEP 517 build backends' wheelhouse (`.cache/build-backends`: setuptools, flit_core,
/// hatchling and theirs) and the pinned real sdists (`.cache/real-sdists`), fetched once per
/// test binary by `scripts/fetch-build-backends.py` (PyPI the first time).
pub fn build_backends_and_sdists(peers: &Peers) -> &'static (PathBuf, PathBuf) {
    static DIRS: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    DIRS.get_or_init(|| {
        let dir = repo_root().join(".cache/build-backends");
        let sdists = repo_root().join(".cache/real-sdists");
        let mut fetch = command(&peers.test_python);
        fetch
            .arg(repo_root().join("scripts/fetch-build-backends.py"))
            .arg(&dir)
            .arg(&sdists);
        for variable in NETWORK_VARIABLES {
            if let Some(value) = std::env::var_os(variable) {
                fetch.env(variable, value);
            }
        }
        run(&mut fetch).success();
        (dir, sdists)
    })
}
