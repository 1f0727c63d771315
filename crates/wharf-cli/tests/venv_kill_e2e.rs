//! Regression tests for "a killed `wharf venv DIR --from pylock.toml` leaves a bare venv": a job
//! script that tests `DIR/bin/python` then ran without its packages. After any SIGKILL the
//! directory must be absent, complete (every locked package imports through `DIR/bin/python`),
//! or without `bin/python`, marked incomplete, refused by the other commands and by
//! `activate`, and finished by the same `wharf venv DIR --from LOCK` run again.
//!
//! Also: an install killed in the middle of its commit leaves a `.pth` file that makes every
//! `DIR/bin/python` say so on stderr until a wharf command recovers the environment.
//!
//! The wheelhouse is synthetic (twelve small pure-Python projects, a chain of dependencies,
//! a console script) and locked by `wharf lock`; the venvs use the real CPython. The kill
//! delays come from a seeded generator: the seed is printed, `WHARF_KILL_SEED` replays a run,
//! `WHARF_KILL_TRIALS` changes the number of trials (default 20).
//!
//! Needs `WHARF_TEST_PYTHON` (`eval "$(scripts/test-env.sh)"`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use wharf_test_support::{WheelBuilder, base_python, clean_command, real_python};

/// Projects of the wheelhouse: `pkg00` … `pkg11`, each requiring the one before.
const PROJECTS: usize = 12;

struct Setup {
    dir: tempfile::TempDir,
    base_python: PathBuf,
    wheelhouse: PathBuf,
    lock: PathBuf,
}

fn project(index: usize) -> String {
    format!("pkg{index:02}")
}

/// The wheelhouse, its lock, the real base interpreter; `None` without a test Python.
fn setup() -> Option<Setup> {
    let test_python = real_python()?;
    let dir = tempfile::tempdir().unwrap();
    let wheelhouse = dir.path().join("wheelhouse");
    std::fs::create_dir(&wheelhouse).unwrap();
    for index in 0..PROJECTS {
        let name = project(index);
        let requires = if index == 0 {
            Vec::new()
        } else {
            vec![project(index - 1)]
        };
        let requires: Vec<&str> = requires.iter().map(String::as_str).collect();
        let mut wheel = WheelBuilder::new(&name, "1.0", true, &requires).file(
            &format!("{name}/__init__.py"),
            format!("VALUE = {index}\n\ndef main():\n    print('{name}', VALUE)\n").as_bytes(),
        );
        for module in 0..40 {
            wheel = wheel.file(
                &format!("{name}/module{module:02}.py"),
                format!("# {name}.module{module:02}\n{}", "X = 1\n".repeat(300)).as_bytes(),
            );
        }
        let dist_info = wheel.dist_info().to_owned();
        wheel = wheel.file(
            &format!("{dist_info}/entry_points.txt"),
            format!("[console_scripts]\n{name}-tool = {name}:main\n").as_bytes(),
        );
        wheel.write(&wheelhouse.join(format!("{name}-1.0-py3-none-any.whl")));
    }
    let setup = Setup {
        base_python: base_python(&test_python),
        lock: dir.path().join("pylock.toml"),
        wheelhouse,
        dir,
    };
    success(
        setup
            .wharf()
            .args(["lock", "--python"])
            .arg(&setup.base_python)
            .arg(project(PROJECTS - 1))
            .arg("-o")
            .arg(&setup.lock),
    );
    Some(setup)
}

impl Setup {
    fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// wharf with the environment this test means: the wheelhouse as the only find-links,
    /// its own cache and home, no colour.
    fn wharf(&self) -> Command {
        let home = self.path("home");
        let mut command = clean_command(env!("CARGO_BIN_EXE_wharf"), Some(&home));
        command
            .env("PIP_FIND_LINKS", &self.wheelhouse)
            .env("WHARF_CACHE_DIR", self.path("cache"))
            .env("NO_COLOR", "1");
        command
    }

    /// `wharf venv DIR --from pylock.toml --python BASE`.
    fn venv_from(&self, venv: &Path) -> Command {
        let mut command = self.wharf();
        command
            .arg("venv")
            .arg(venv)
            .arg("--from")
            .arg(&self.lock)
            .arg("--python")
            .arg(&self.base_python);
        command
    }
}

/// Whether every locked package imports through `DIR/bin/python`, and the console
/// script of the first one runs (its shebang names `DIR/bin/python`).
fn check_complete(venv: &Path) -> Result<(), String> {
    let imports = (0..PROJECTS).map(project).collect::<Vec<_>>().join(", ");
    let checked = clean_command(venv.join("bin/python"), None)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .args([
            "-c",
            &format!(
                "import {imports}; assert {} == {}",
                project(PROJECTS - 1) + ".VALUE",
                PROJECTS - 1
            ),
        ])
        .output()
        .unwrap();
    if !checked.status.success() || !checked.stderr.is_empty() {
        return Err(transcript(&checked));
    }
    let tool = clean_command(venv.join("bin").join("pkg00-tool"), None)
        .output()
        .unwrap();
    if !tool.status.success() || tool.stdout != b"pkg00 0\n" {
        return Err(transcript(&tool));
    }
    Ok(())
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

/// The transcript with the temp dir, pids and host names replaced, for snapshots.
fn filtered(setup: &Setup, output: &Output) -> String {
    let text = format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
    .replace(&setup.base_python.display().to_string(), "[PYTHON]")
    .replace(&setup.dir.path().display().to_string(), "[TEMP]");
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find("process ") {
        out.push_str(&rest[..start]);
        let after = &rest[start + "process ".len()..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        if let Some(host) = after[digits..].strip_prefix(" on host ") {
            let name = host
                .bytes()
                .take_while(|b| !b.is_ascii_whitespace() && *b != b')')
                .count();
            out.push_str("process [PID] on host [HOST]");
            rest = &host[name..];
        } else {
            out.push_str("process ");
            rest = after;
        }
    }
    out.push_str(rest);
    out
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

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
}

/// Kills `wharf venv DIR --from LOCK` at random moments of a normal run; after each kill the
/// directory is absent, complete, or incomplete (no `bin/python`, marked) and finished by the
/// same command run again.
#[test]
fn sigkill_during_venv_from_never_leaves_a_bare_environment() {
    let Some(setup) = setup() else { return };
    let venv = setup.path("work/env");
    std::fs::create_dir_all(venv.parent().unwrap()).unwrap();
    // One uninterrupted run (the cache is warm afterwards, as in the trials): its duration
    // bounds the delays.
    success(&mut setup.venv_from(&venv));
    std::fs::remove_dir_all(&venv).unwrap();
    let started = Instant::now();
    success(&mut setup.venv_from(&venv));
    let duration = started.elapsed();
    check_complete(&venv).unwrap();

    let seed = env_number("WHARF_KILL_SEED").unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
            .into()
    });
    let trials = env_number("WHARF_KILL_TRIALS").unwrap_or(20);
    eprintln!(
        "seed {seed} (WHARF_KILL_SEED={seed} replays), {trials} trials, a full run takes {} ms",
        duration.as_millis()
    );
    let mut random = Random(seed);
    let (mut absent, mut complete, mut incomplete) = (0, 0, 0);
    for trial in 0..trials {
        if venv.exists() {
            std::fs::remove_dir_all(&venv).unwrap();
        }
        let span = u64::try_from(duration.as_micros()).unwrap_or(u64::MAX / 2);
        let delay = Duration::from_micros(random.next() % span.max(1));
        let mut child = setup
            .venv_from(&venv)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        child.kill().unwrap();
        let status = child.wait().unwrap();
        let context = format!("trial {trial} (seed {seed}, killed after {delay:?}, {status})");
        let state = if !venv.exists() {
            absent += 1;
            "absent"
        } else if venv.join("bin/python").exists() {
            if let Err(why) = check_complete(&venv) {
                panic!(
                    "{context}: `bin/python` exists but the environment is not complete:\n{why}"
                );
            }
            complete += 1;
            "complete"
        } else {
            assert!(
                venv.join(".wharf-incomplete").is_file(),
                "{context}: no `bin/python` and no marker"
            );
            // Nothing else opens it; activation refuses it.
            let listed = setup
                .wharf()
                .args(["list", "--python"])
                .arg(&venv)
                .output()
                .unwrap();
            assert_eq!(
                listed.status.code(),
                Some(2),
                "{context}: {}",
                transcript(&listed)
            );
            assert!(
                String::from_utf8_lossy(&listed.stderr).contains("is incomplete"),
                "{context}: {}",
                transcript(&listed)
            );
            let activated = clean_command("bash", None)
                .arg("-c")
                .arg(format!("source '{}/bin/activate'", venv.display()))
                .output()
                .unwrap();
            assert_eq!(
                activated.status.code(),
                Some(1),
                "{context}: {}",
                transcript(&activated)
            );
            // The same command, run again, finishes it.
            success(&mut setup.venv_from(&venv));
            check_complete(&venv).unwrap_or_else(|why| panic!("{context}: {why}"));
            assert!(!venv.join(".wharf-incomplete").exists(), "{context}");
            incomplete += 1;
            "incomplete, finished by the next run"
        };
        eprintln!("{context}: {state}");
    }
    eprintln!(
        "{trials} trials: {absent} absent, {complete} complete, {incomplete} incomplete then finished"
    );
}

/// Kills `wharf venv DIR --from LOCK` as soon as the directory appears: the environment is
/// incomplete; every other command refuses it with the fix, `activate` refuses it, and the
/// same command run again finishes it.
#[test]
fn incomplete_environment_is_refused_then_finished() {
    let Some(setup) = setup() else { return };
    let venv = setup.path("env");
    let mut child = setup
        .venv_from(&venv)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !venv.join(".wharf-incomplete").exists() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "finished before it could be killed: no incomplete environment was ever seen"
        );
        assert!(
            started.elapsed() < Duration::from_mins(1),
            "no environment appeared"
        );
        std::thread::sleep(Duration::from_micros(200));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!venv.join("bin/python").exists());
    assert!(!venv.join("bin/python3").exists());

    let listed = setup
        .wharf()
        .args(["list", "--python"])
        .arg(&venv)
        .output()
        .unwrap();
    insta::assert_snapshot!(filtered(&setup, &listed), @"
    exit Some(2)
    --- stdout
    --- stderr
    error: the virtual environment `[TEMP]/env` is incomplete: its creation (`wharf venv --from`, process [PID] on host [HOST]) was interrupted before its packages were installed; it has no `bin/python`
    hint: run `wharf venv [TEMP]/env --from [TEMP]/pylock.toml --python [PYTHON]` again to finish it (the install the kill interrupted is recovered first), or remove it: `rm -rf [TEMP]/env`
    ");
    let diagnosed = setup
        .wharf()
        .args(["doctor", "--python"])
        .arg(&venv)
        .output()
        .unwrap();
    assert_eq!(
        diagnosed.status.code(),
        Some(1),
        "{}",
        transcript(&diagnosed)
    );
    assert!(
        String::from_utf8_lossy(&diagnosed.stdout).contains("[environment-incomplete]"),
        "{}",
        transcript(&diagnosed)
    );
    let installed = setup
        .wharf()
        .args(["install", "--python"])
        .arg(venv.join("bin/python"))
        .arg("pkg00")
        .output()
        .unwrap();
    assert_eq!(
        installed.status.code(),
        Some(2),
        "{}",
        transcript(&installed)
    );
    assert!(String::from_utf8_lossy(&installed.stderr).contains("is incomplete"));
    let plain = setup
        .wharf()
        .arg("venv")
        .arg(&venv)
        .arg("--python")
        .arg(&setup.base_python)
        .output()
        .unwrap();
    assert_eq!(plain.status.code(), Some(2), "{}", transcript(&plain));
    assert!(
        String::from_utf8_lossy(&plain.stderr).contains("`--clear` starts it afresh"),
        "{}",
        transcript(&plain)
    );
    assert!(
        !venv.join("bin/python").exists(),
        "`wharf venv` without --from made it look ready"
    );
    let activated = clean_command("bash", None)
        .arg("-c")
        .arg(format!(
            "source '{}/bin/activate'; echo \"status $? [${{VIRTUAL_ENV-}}]\"",
            venv.display()
        ))
        .output()
        .unwrap();
    insta::assert_snapshot!(filtered(&setup, &activated), @"
    exit Some(0)
    --- stdout
    status 1 []
    --- stderr
    error: the virtual environment `[TEMP]/env` is incomplete: `wharf venv --from` was interrupted before its packages were installed, or is still installing them; it is not activated
    hint: run that `wharf venv [TEMP]/env --from LOCK` again to finish it (`cat [TEMP]/env/.wharf-incomplete` shows the command), or remove the directory
    ");

    success(&mut setup.venv_from(&venv));
    check_complete(&venv).unwrap();
    assert!(!venv.join(".wharf-incomplete").exists());
    assert!(!venv.join(".wharf-bin").exists());
    // The probe through `.wharf-bin/python` is remembered as `bin/python`'s (the next command
    // does not run the interpreter); nothing is cached under the hidden name.
    let cached: Vec<String> = std::fs::read_dir(setup.path("cache/interpreters"))
        .unwrap()
        .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap())
        .collect();
    let python = serde_json::to_string(&venv.join("bin/python")).unwrap();
    assert!(
        cached
            .iter()
            .any(|entry| entry.contains(&format!("\"executable\":{python}"))),
        "{cached:#?}"
    );
    assert!(
        !cached.iter().any(|entry| entry.contains(".wharf-bin")),
        "{cached:#?}"
    );
    let activated = clean_command("bash", None)
        .arg("-c")
        .arg(format!(
            "source '{}/bin/activate' && command -v python",
            venv.display()
        ))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&activated.stdout).trim(),
        venv.join("bin/python").display().to_string(),
        "{}",
        transcript(&activated)
    );
}

/// Leftovers of a transaction in site-packages.
fn transaction_directory(site_packages: &Path) -> Option<PathBuf> {
    std::fs::read_dir(site_packages)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| {
            path.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(".wharf-txn-")
        })
}

/// An install SIGKILLed in the middle of its commit: until a wharf command recovers the
/// environment, every start of `DIR/bin/python` says on stderr that it may be half changed
/// and how to fix it; `wharf check` recovers it and the warning is gone.
#[test]
fn sigkill_mid_commit_warns_every_python_until_recovered() {
    let Some(setup) = setup() else { return };
    // Many top-level modules make the commit long enough (one journaled rename each) to be
    // killed in the middle.
    let mut many = WheelBuilder::new("many", "1.0", true, &[]);
    for index in 0..4000 {
        many = many.member(&format!("many_{index}.py"), b"x = 1\n", 0o644, false);
    }
    many.write(&setup.wheelhouse.join("many-1.0-py3-none-any.whl"));
    let venv = setup.path("env");
    success(
        setup
            .wharf()
            .arg("venv")
            .arg(&venv)
            .arg("--python")
            .arg(&setup.base_python),
    );
    let site_packages = venv.join("lib/python3.11/site-packages");
    let site_packages = if site_packages.is_dir() {
        site_packages
    } else {
        std::fs::read_dir(venv.join("lib"))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path()
            .join("site-packages")
    };
    let warning = site_packages.join("00-wharf-transaction-in-progress.pth");
    let python = || {
        clean_command(venv.join("bin/python"), None)
            .args(["-c", "pass"])
            .output()
            .unwrap()
    };
    assert!(python().stderr.is_empty());

    let mut killed_mid_commit = false;
    for attempt in 0..5 {
        let mut child = setup
            .wharf()
            .args(["install", "--no-cache", "--python"])
            .arg(&venv)
            .arg("many")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        let finished = loop {
            if let Some(transaction) = transaction_directory(&site_packages)
                && transaction.join("journal").exists()
                && site_packages.join("many_1.py").exists()
            {
                break false;
            }
            if child.try_wait().unwrap().is_some() {
                break true;
            }
            assert!(started.elapsed() < Duration::from_mins(1), "no commit seen");
            std::thread::sleep(Duration::from_micros(200));
        };
        child.kill().unwrap();
        child.wait().unwrap();
        if !finished && transaction_directory(&site_packages).is_some() {
            killed_mid_commit = true;
            break;
        }
        eprintln!("attempt {attempt}: the install finished before it could be killed");
        success(
            setup
                .wharf()
                .args(["uninstall", "--python"])
                .arg(&venv)
                .arg("many"),
        );
    }
    assert!(
        killed_mid_commit,
        "never killed in the middle of the commit"
    );
    assert!(warning.is_file());

    let warned = python();
    assert!(warned.status.success(), "{}", transcript(&warned));
    insta::assert_snapshot!(filtered(&setup, &warned), @"
    exit Some(0)
    --- stdout
    --- stderr
    wharf: warning: the environment [TEMP]/env may be half changed (an install or uninstall into it was interrupted, or is under way): unless a wharf command runs on it now, run any wharf command on it to finish or undo the change, e.g. `wharf check --python [TEMP]/env`
    ");

    let checked = success(setup.wharf().args(["check", "--python"]).arg(&venv));
    assert!(
        String::from_utf8_lossy(&checked.stderr).contains(&format!(
            "Recovered an interrupted install in {}",
            venv.display()
        )),
        "{}",
        transcript(&checked)
    );
    assert!(!warning.exists());
    assert!(transaction_directory(&site_packages).is_none());
    let quiet = python();
    assert!(
        quiet.status.success() && quiet.stderr.is_empty(),
        "{}",
        transcript(&quiet)
    );
    // No RECORD names the warning: the rolled-back install left no distribution, and a
    // complete install of `many` does not list it either.
    success(
        setup
            .wharf()
            .args(["install", "--python"])
            .arg(&venv)
            .arg("many"),
    );
    let record = std::fs::read_to_string(site_packages.join("many-1.0.dist-info/RECORD")).unwrap();
    assert!(!record.contains("wharf-transaction"), "{record}");
    assert!(!warning.exists());
    assert!(python().stderr.is_empty());
}
