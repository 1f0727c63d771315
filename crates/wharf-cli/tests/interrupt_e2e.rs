//! Regression test for "An interrupted change to an existing environment breaks it": a real
//! `wharf install --reinstall` of real wheels (numpy and pure-Python wheels of the fixture
//! wheelhouse, see `install_e2e.rs`) is SIGKILLed at random moments; after each kill the next
//! command (`wharf list`, or a no-op `wharf install`) must recover the environment to exactly
//! the state before the command or exactly the state it asked for (bytes and modes of every
//! file), leave no `.wharf-txn-*` nor lock file, and `import numpy` must work.
//!
//! Also: SIGINT and SIGTERM during a real install roll back and exit 130 / 143.
//!
//! The delays are drawn from a seeded generator: the seed is printed, and `WHARF_KILL_SEED`
//! replays a run; `WHARF_KILL_TRIALS` changes the number of trials (default 24).
//!
//! Needs `WHARF_TEST_PYTHON` (`eval "$(scripts/test-env.sh)"`) and the fixture of
//! `scripts/build-sci-wheelhouse.py` (built on first use).

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::hash::{Hash, Hasher};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// Installed first.
const BEFORE: [&str; 4] = ["numpy", "six", "pytz", "python-dateutil"];
/// Then `install --reinstall` of these: every installed one replaced, two added.
const ASKED: [&str; 6] = [
    "numpy",
    "six",
    "pytz",
    "python-dateutil",
    "packaging",
    "pyparsing",
];

struct Peers {
    base_python: PathBuf,
    fixture: PathBuf,
}

fn peers() -> Option<Peers> {
    let test_python = wharf_test_support::real_python()?;
    let base_python = wharf_test_support::base_python(&test_python);
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap();
    let fixture = repo.join(".cache/sci-wheelhouse");
    let mut build = clean(&test_python);
    build
        .arg(repo.join("scripts/build-sci-wheelhouse.py"))
        .arg(&fixture);
    for variable in wharf_test_support::NETWORK_VARIABLES {
        if let Some(value) = std::env::var_os(variable) {
            build.env(variable, value);
        }
    }
    let built = build.output().unwrap();
    assert!(built.status.success(), "{}", transcript(&built));
    Some(Peers {
        base_python,
        fixture,
    })
}

fn clean(program: impl AsRef<OsStr>) -> Command {
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

fn transcript(output: &Output) -> String {
    format!(
        "{}\n--- stdout\n{}--- stderr\n{}---",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[track_caller]
fn success(command: &mut Command) -> Output {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{command:?}\n{}",
        transcript(&output)
    );
    output
}

impl Peers {
    /// wharf on the site (pip config, policy module), a shared wheel cache, no colour.
    fn wharf(&self) -> Command {
        let mut command = clean(env!("CARGO_BIN_EXE_wharf"));
        command
            .env("PIP_CONFIG_FILE", self.fixture.join("pip.conf"))
            .env("PYTHONPATH", self.fixture.join("site-python"))
            .env("NO_COLOR", "1")
            .env(
                "WHARF_CACHE_DIR",
                Path::new(env!("CARGO_TARGET_TMPDIR")).join("interrupt-e2e-cache"),
            );
        command
    }

    fn new_venv(&self, dir: &Path) -> PathBuf {
        let venv = dir.join("env");
        success(
            self.wharf()
                .arg("venv")
                .arg(&venv)
                .arg("--python")
                .arg(&self.base_python),
        );
        venv
    }

    fn install(&self, venv: &Path, args: &[&str]) -> Command {
        let mut command = self.wharf();
        command.args(["install", "--python"]).arg(venv).args(args);
        command
    }

    fn imports_numpy(venv: &Path) -> Output {
        clean(venv.join("bin/python"))
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .args([
                "-c",
                "import numpy, six, pytz, dateutil; numpy.ones(3).sum()",
            ])
            .output()
            .unwrap()
    }
}

/// Every path under `root` with its kind, mode and a hash of its content.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, (char, u32, u64)> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, (char, u32, u64)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let metadata = std::fs::symlink_metadata(&path).unwrap();
            let mode = metadata.permissions().mode();
            let relative = path.strip_prefix(root).unwrap().to_owned();
            let mut hasher = std::hash::DefaultHasher::new();
            if metadata.is_symlink() {
                std::fs::read_link(&path).unwrap().hash(&mut hasher);
                out.insert(relative, ('l', mode, hasher.finish()));
            } else if metadata.is_dir() {
                out.insert(relative, ('d', mode, 0));
                walk(root, &path, out);
            } else {
                std::fs::read(&path).unwrap().hash(&mut hasher);
                out.insert(relative, ('f', mode, hasher.finish()));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn diff(
    a: &BTreeMap<PathBuf, (char, u32, u64)>,
    b: &BTreeMap<PathBuf, (char, u32, u64)>,
) -> String {
    let mut lines: Vec<String> = Vec::new();
    for (path, entry) in a {
        match b.get(path) {
            None => lines.push(format!("- {}", path.display())),
            Some(other) if other != entry => lines.push(format!("~ {}", path.display())),
            Some(_) => {}
        }
    }
    for path in b.keys().filter(|path| !a.contains_key(*path)) {
        lines.push(format!("+ {}", path.display()));
    }
    let total = lines.len();
    lines.truncate(20);
    format!("{total} differences:\n{}", lines.join("\n"))
}

/// Leftovers of a transaction in site-packages: `.wharf-txn-*`, `.wharf-lock*`.
fn leftovers(site_packages: &Path) -> Vec<String> {
    std::fs::read_dir(site_packages)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".wharf-"))
        .collect()
}

fn site_packages(venv: &Path) -> PathBuf {
    let lib = venv.join("lib");
    let python = std::fs::read_dir(&lib)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| {
            path.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("python")
        })
        .unwrap();
    python.join("site-packages")
}

/// splitmix64: a tiny seeded generator (no dependency).
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[test]
fn sigkill_during_reinstall_is_recovered_by_the_next_command() {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let venv = peers.new_venv(dir.path());
    let site = site_packages(&venv);
    // `--no-compile` is the default: the environment holds only what the wheels hold.
    success(&mut peers.install(&venv, &BEFORE));
    let before = snapshot(&venv);

    // One uninterrupted run: its duration bounds the delays, its result is "after".
    let mut reinstall_args = vec!["--reinstall"];
    reinstall_args.extend(ASKED);
    let started = Instant::now();
    success(&mut peers.install(&venv, &reinstall_args));
    let duration = started.elapsed();
    let after = snapshot(&venv);
    assert_ne!(before, after);
    success(
        peers
            .wharf()
            .args(["uninstall", "--python"])
            .arg(&venv)
            .args(["packaging", "pyparsing"]),
    );
    assert!(
        before == snapshot(&venv),
        "{}",
        diff(&before, &snapshot(&venv))
    );

    let seed = std::env::var("WHARF_KILL_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
                .into()
        });
    let trials: usize = std::env::var("WHARF_KILL_TRIALS")
        .ok()
        .and_then(|trials| trials.parse().ok())
        .unwrap_or(24);
    eprintln!(
        "seed {seed} (WHARF_KILL_SEED={seed} replays), {trials} trials, a full run takes {} ms",
        duration.as_millis()
    );
    let mut random = Random(seed);
    let (mut found_before, mut found_after) = (0, 0);
    for trial in 0..trials {
        // Half the delays anywhere in the run, half in its second half (the commit).
        let span = u64::try_from(duration.as_micros()).unwrap_or(u64::MAX / 2);
        let delay = Duration::from_micros(if trial % 4 < 2 {
            random.next() % (span * 11 / 10).max(1)
        } else {
            span / 2 + random.next() % (span / 2).max(1)
        });
        let mut child = peers.install(&venv, &reinstall_args).spawn().unwrap();
        std::thread::sleep(delay);
        child.kill().unwrap();
        let status = child.wait().unwrap();
        let left = leftovers(&site);

        // The next command: `wharf list` or a no-op `wharf install`, each must recover.
        let next = if trial % 2 == 0 {
            success(peers.wharf().args(["list", "--python"]).arg(&venv))
        } else {
            success(&mut peers.install(&venv, &["six"]))
        };
        let now = snapshot(&venv);
        let state = if now == before {
            found_before += 1;
            "before"
        } else if now == after {
            found_after += 1;
            "after"
        } else {
            panic!(
                "trial {trial} (seed {seed}, kill after {delay:?}, {status}, left {left:?}): \
                 the environment is neither before nor after\nbefore → now: {}\nafter → now: {}\n{}",
                diff(&before, &now),
                diff(&after, &now),
                transcript(&next)
            );
        };
        eprintln!(
            "trial {trial}: killed after {delay:?} ({status}), left {left:?} → {state}: {}",
            String::from_utf8_lossy(&next.stderr)
                .lines()
                .collect::<Vec<_>>()
                .join(" | ")
        );
        if left.iter().any(|name| name.starts_with(".wharf-txn-")) {
            let said = String::from_utf8_lossy(&next.stderr);
            assert!(
                said.contains(&format!(
                    "Recovered an interrupted install in {}: ",
                    venv.display()
                )),
                "trial {trial}: the recovery was not reported:\n{said}"
            );
        }
        assert_eq!(leftovers(&site), Vec::<String>::new(), "trial {trial}");
        let import = Peers::imports_numpy(&venv);
        assert!(
            import.status.success(),
            "trial {trial}: {}",
            transcript(&import)
        );
        if state == "after" {
            success(
                peers
                    .wharf()
                    .args(["uninstall", "--python"])
                    .arg(&venv)
                    .args(["packaging", "pyparsing"]),
            );
            assert!(
                before == snapshot(&venv),
                "trial {trial}: uninstall did not restore"
            );
        }
    }
    eprintln!("{trials} trials: {found_before} rolled back or untouched, {found_after} completed");
}

/// SIGINT (Ctrl-C) and SIGTERM (a batch system's `scancel`) during a real reinstall: the
/// transaction rolls back, says so, and wharf exits 130 / 143; the environment is exactly
/// as before and nothing is left in site-packages.
#[test]
fn sigint_and_sigterm_roll_back_and_exit_128_plus_signal() {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let venv = peers.new_venv(dir.path());
    let site = site_packages(&venv);
    success(&mut peers.install(&venv, &BEFORE));
    let before = snapshot(&venv);
    let mut reinstall_args = vec!["--reinstall"];
    reinstall_args.extend(ASKED);
    for (signal, code) in [("INT", 130), ("TERM", 143)] {
        let mut child = peers
            .install(&venv, &reinstall_args)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // The transaction has begun (its directory exists): the handlers are armed.
        let started = Instant::now();
        while leftovers(&site)
            .iter()
            .all(|name| !name.starts_with(".wharf-txn-"))
        {
            assert!(
                child.try_wait().unwrap().is_none(),
                "finished before the signal"
            );
            assert!(started.elapsed() < Duration::from_mins(1));
            std::thread::sleep(Duration::from_millis(2));
        }
        success(
            Command::new("kill")
                .arg(format!("-{signal}"))
                .arg(child.id().to_string()),
        );
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(code),
            "SIG{signal}: {}",
            transcript(&output)
        );
        assert!(
            stderr.contains(&format!(
                "interrupted by SIG{signal}: nothing was changed, the environment is as it was"
            )),
            "{stderr}"
        );
        assert_eq!(leftovers(&site), Vec::<String>::new());
        let now = snapshot(&venv);
        assert!(before == now, "SIG{signal}: {}", diff(&before, &now));
    }
}

/// Outside a transaction (here: while the interpreter is probed and requirements
/// resolved, before anything is staged) SIGINT keeps its default action.
#[test]
fn sigint_outside_a_transaction_ends_wharf_at_once() {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let venv = peers.new_venv(dir.path());
    let mut child = peers
        .wharf()
        .args(["list", "--python"])
        .arg(&venv)
        .spawn()
        .unwrap();
    success(Command::new("kill").arg("-INT").arg(child.id().to_string()));
    let status = child.wait().unwrap();
    assert!(
        status.signal() == Some(2) || status.success(),
        "SIGINT outside a transaction: {status}"
    );
}

/// Two writers, one environment: `wharf install python-dateutil` resolves (python-dateutil
/// and six), then waits for the environment lock (held here, as another node's wharf would
/// hold it); meanwhile real pip installs six into the environment. When the lock is free,
/// wharf finds the environment changed since its plan, changes nothing of that plan, plans
/// again and installs only python-dateutil: pip's six is kept (its INSTALLER stays `pip`), as
/// if the two had run one after the other. Without the check under the lock, wharf would have
/// replaced pip's six with the one of its stale plan.
#[test]
fn an_install_plans_again_when_another_writer_changed_the_environment() {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let venv = peers.new_venv(dir.path());
    let site = site_packages(&venv);
    let lock = site.join(".wharf-lock");
    // Held by a live process of another host (its heartbeat is this test): waited for.
    std::fs::write(&lock, "other-node 4242 1 1\n").unwrap();
    let log = dir.path().join("wharf.log");
    let mut child = peers
        .install(&venv, &["python-dateutil"])
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let waiting = "Waiting for the environment lock held by process 4242 on host other-node";
    let deadline = Instant::now() + Duration::from_mins(2);
    while !std::fs::read_to_string(&log).unwrap().contains(waiting) {
        assert!(
            Instant::now() < deadline && child.try_wait().unwrap().is_none(),
            "wharf did not wait for the lock:\n{}",
            std::fs::read_to_string(&log).unwrap()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // The other writer: real pip, from the same wheelhouse, while wharf waits.
    let test_python = wharf_test_support::real_python().unwrap();
    success(
        clean(&test_python)
            .env("PIP_CONFIG_FILE", peers.fixture.join("pip.conf"))
            .env("PIP_NO_INDEX", "1")
            .args(["-m", "pip", "--python"])
            .arg(venv.join("bin/python"))
            .args(["install", "--no-deps", "--no-compile", "six"]),
    );
    let six = site.join("six-1.16.0+computecanada.dist-info");
    assert_eq!(
        std::fs::read_to_string(six.join("INSTALLER")).unwrap(),
        "pip\n"
    );
    std::fs::remove_file(&lock).unwrap();
    let status = child.wait().unwrap();
    let stderr = std::fs::read_to_string(&log).unwrap();
    assert!(status.success(), "{status}\n{stderr}");
    assert!(
        stderr.contains(
            "the environment changed while this command was planning (+ six 1.16.0+computecanada): another install or uninstall ran; planning again"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains(" + python-dateutil==2.9.0.post0+computecanada"),
        "{stderr}"
    );
    assert!(
        !stderr.contains(" + six=="),
        "six was installed again:\n{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(six.join("INSTALLER")).unwrap(),
        "pip\n",
        "pip's six was replaced:\n{stderr}"
    );
    let imported = clean(venv.join("bin/python"))
        .args(["-c", "import dateutil, six; print(six.__file__)"])
        .output()
        .unwrap();
    assert!(imported.status.success(), "{}", transcript(&imported));
    assert!(String::from_utf8_lossy(&imported.stdout).starts_with(&*site.to_string_lossy()));
    assert!(leftovers(&site).is_empty(), "{:?}", leftovers(&site));
}
