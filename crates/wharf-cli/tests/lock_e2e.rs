//! `wharf lock`, `wharf sync`, `wharf venv --from` end to end on real wheels (the pinned
//! scientific set re-tagged as the site does), a real CPython, and the peers that must agree:
//! `uv pip sync pylock.toml` installs exactly what `wharf lock` wrote, and pip accepts the
//! hashed requirements format with `--require-hashes`.
//!
//! Needs `WHARF_TEST_PYTHON` (`eval "$(scripts/test-env.sh)"`), like `install_e2e.rs`.

#[path = "support/sci.rs"]
mod sci;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use sci::{Peers, command, peers, run};

/// `wharf lock ARGS --python BASE -o OUT`, checked.
fn lock(peers: &Peers, out: &Path, args: &[&str]) -> String {
    run(peers
        .wharf()
        .arg("lock")
        .args(args)
        .arg("--python")
        .arg(&peers.base_python)
        .arg("-o")
        .arg(out))
    .success();
    std::fs::read_to_string(out).unwrap()
}

/// `wharf venv VENV --python BASE --from LOCK` with no pip config, and `env` added.
fn venv_from(peers: &Peers, venv: &Path, lock: &Path, env: &[(&str, &OsStr)]) -> sci::Run {
    let mut command = peers.wharf();
    command.env("PIP_CONFIG_FILE", "/dev/null");
    for (name, value) in env {
        command.env(name, value);
    }
    run(command
        .arg("venv")
        .arg(venv)
        .arg("--python")
        .arg(&peers.base_python)
        .arg("--from")
        .arg(lock))
}

/// `name==version` of every distribution in the venv, sorted (via the real interpreter).
fn installed(venv: &Path) -> Vec<String> {
    let out = run(command(venv.join("bin/python")).args([
        "-c",
        "import importlib.metadata as m; print('\\n'.join(sorted(f\"{d.metadata['Name'].lower()}=={d.version}\" for d in m.distributions())))",
    ]))
    .success();
    out.stdout().lines().map(str::to_string).collect()
}

fn locked_names(lock_text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut name = None;
    for line in lock_text.lines() {
        if let Some(v) = line
            .strip_prefix("name = \"")
            .and_then(|v| v.strip_suffix('"'))
            && !v.ends_with(".whl")
        {
            name = Some(v.to_string());
        }
        if let (Some(n), Some(v)) = (
            name.as_ref(),
            line.strip_prefix("version = \"")
                .and_then(|v| v.strip_suffix('"')),
        ) {
            names.push(format!("{n}=={v}"));
            name = None;
        }
    }
    names.sort();
    names
}

#[test]
fn lock_is_deterministic_and_venv_from_it_imports() {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let first = lock(peers, &dir.path().join("a.toml"), &["pandas", "scipy"]);
    let second = lock(peers, &dir.path().join("b.toml"), &["pandas", "scipy"]);
    assert_eq!(
        first, second,
        "the same inputs must give byte-identical locks"
    );
    assert!(first.starts_with("lock-version = \"1.0\"\n"), "{first}");
    assert!(
        first.contains("version = \"2.2.2+computecanada\""),
        "{first}"
    );
    assert!(first.contains("requires-python = \"==3.11.*\""), "{first}");
    // numpy comes from the most specific arch directory, as the pip config orders them.
    assert!(
        first.contains("/wh/gentoo2023/x86-64-v3/numpy-1.26.4+computecanada"),
        "{first}"
    );

    let venv = dir.path().join("env");
    let created = run(peers
        .wharf()
        .arg("venv")
        .arg(&venv)
        .arg("--from")
        .arg(dir.path().join("a.toml")))
    .success();
    assert!(
        created.stderr().contains("Synced"),
        "{}",
        created.transcript()
    );
    run(command(venv.join("bin/python")).args([
        "-c",
        "import pandas, scipy.linalg; print(pandas.__version__)",
    ]))
    .success();
    assert_eq!(installed(&venv), locked_names(&first));

    // In sync already: nothing changes. An extra package is removed by the next sync.
    let again = run(peers
        .wharf()
        .args(["sync", "--python"])
        .arg(&venv)
        .arg(dir.path().join("a.toml")))
    .success();
    assert!(
        again.stderr().contains("already the lock"),
        "{}",
        again.transcript()
    );
    run(peers
        .wharf()
        .args(["install", "--python"])
        .arg(&venv)
        .arg("certifi"))
    .success();
    assert!(installed(&venv).iter().any(|d| d.starts_with("certifi==")));
    let synced = run(peers
        .wharf()
        .args(["sync", "--python"])
        .arg(&venv)
        .arg(dir.path().join("a.toml")))
    .success();
    assert!(
        synced.stderr().contains(" - certifi=="),
        "{}",
        synced.transcript()
    );
    assert_eq!(installed(&venv), locked_names(&first));
}

#[test]
fn uv_pip_sync_installs_exactly_the_lock() {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let text = lock(
        peers,
        &dir.path().join("pylock.toml"),
        &["pandas", "netCDF4"],
    );
    let uv = peers.test_python.parent().unwrap().join("uv");
    let venv = dir.path().join("uv-env");
    run(command(&uv)
        .args(["venv", "-q"])
        .arg(&venv)
        .arg("--python")
        .arg(&peers.base_python)
        .env("UV_CACHE_DIR", dir.path().join("uv-cache")))
    .success();
    run(command(&uv)
        .args(["pip", "sync", "--preview"])
        .arg(dir.path().join("pylock.toml"))
        .env("VIRTUAL_ENV", &venv)
        .env("UV_CACHE_DIR", dir.path().join("uv-cache")))
    .success();
    assert_eq!(installed(&venv), locked_names(&text));
    run(command(venv.join("bin/python")).args(["-c", "import pandas, netCDF4"])).success();
}

#[test]
fn pip_accepts_the_hashed_requirements_and_wharf_syncs_them() {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("requirements.txt");
    run(peers
        .wharf()
        .args(["lock", "pandas", "--format", "requirements.txt", "--python"])
        .arg(&peers.base_python)
        .arg("-o")
        .arg(&out))
    .success();
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.contains("pandas==2.2.2+computecanada \\\n    --hash=sha256:"),
        "{text}"
    );
    // Real pip, offline, every hash required; find-links in the site's order.
    let venv = peers.new_venv(dir.path());
    let mut pip = peers.pip(&venv);
    pip.args(["install", "--no-index", "--require-hashes", "-r"])
        .arg(&out);
    for layer in sci::LAYERS {
        pip.arg("-f").arg(peers.layer(layer));
    }
    run(&mut pip).success();
    let by_pip = installed(&venv);
    // wharf syncs the same file into another environment, to the same set.
    let other = dir.path().join("other");
    run(peers
        .wharf()
        .arg("venv")
        .arg(&other)
        .arg("--python")
        .arg(&peers.base_python))
    .success();
    run(peers
        .wharf()
        .args(["sync", "--python"])
        .arg(&other)
        .arg(&out))
    .success();
    let mut by_wharf = installed(&other);
    by_wharf.retain(|d| !d.starts_with("pip=="));
    let mut by_pip = by_pip;
    by_pip.retain(|d| !d.starts_with("pip=="));
    assert_eq!(by_wharf, by_pip);
}

#[test]
fn lock_from_env_locks_what_the_environment_holds() {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let venv = peers.new_venv(dir.path());
    run(peers
        .wharf()
        .args(["install", "--python"])
        .arg(&venv)
        .args(["pandas", "six"]))
    .success();
    let from_env = dir.path().join("from-env.toml");
    run(peers
        .wharf()
        .args(["lock", "--from-env"])
        .arg(&venv)
        .arg("-o")
        .arg(&from_env))
    .success();
    let text = std::fs::read_to_string(&from_env).unwrap();
    assert_eq!(locked_names(&text), installed(&venv));
    // The same as locking the requirements directly.
    let direct = lock(peers, &dir.path().join("direct.toml"), &["pandas", "six"]);
    assert_eq!(text, direct);
}

#[test]
fn upgrade_package_keeps_the_other_versions() {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pylock.toml");
    let numpy = |text: &str| -> Vec<String> {
        locked_names(text)
            .into_iter()
            .filter(|n| n.starts_with("numpy=="))
            .collect()
    };
    // numpy 1.26.4 (the site's build) locked under a constraint; the wheelhouse also has a
    // manylinux numpy 2.0.2, acceptable with --allow-manylinux.
    let constraints = dir.path().join("c.txt");
    std::fs::write(&constraints, "numpy<2\n").unwrap();
    let first = lock(
        peers,
        &out,
        &["pandas", "-c", constraints.to_str().unwrap()],
    );
    assert_eq!(numpy(&first), ["numpy==1.26.4+computecanada"]);
    // Re-locking pandas only keeps numpy, although a fresh lock would take 2.0.2.
    let kept = lock(
        peers,
        &out,
        &["pandas", "--allow-manylinux", "--upgrade-package", "pandas"],
    );
    assert_eq!(numpy(&kept), ["numpy==1.26.4+computecanada"]);
    let fresh = lock(
        peers,
        &dir.path().join("fresh.toml"),
        &["pandas", "--allow-manylinux"],
    );
    assert_eq!(numpy(&fresh), ["numpy==2.0.2"]);
    // Naming numpy re-locks it.
    let upgraded = lock(
        peers,
        &out,
        &["pandas", "--allow-manylinux", "--upgrade-package", "numpy"],
    );
    assert_eq!(numpy(&upgraded), ["numpy==2.0.2"]);
}

/// The wheelhouse changed under the lock: sync stops before changing anything, names the
/// package and the file, and gives the fix; a malformed lock is a usage error (exit 2).
#[test]
fn sync_refuses_a_changed_wheel_and_a_bad_lock() {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    // A private copy of the wheelhouse's six, so that it can be changed.
    let private = dir.path().join("wh");
    std::fs::create_dir_all(&private).unwrap();
    let six = peers.wheel("six-1.16.0+");
    let copy = private.join(six.file_name().unwrap());
    std::fs::copy(&six, &copy).unwrap();
    let out = dir.path().join("pylock.toml");
    // Only the private copy: `-f` adds to the site's find-links, which hold the same six.
    run(peers
        .wharf()
        .env("PIP_CONFIG_FILE", "/dev/null")
        .args(["lock", "six", "-f"])
        .arg(&private)
        .arg("--python")
        .arg(&peers.base_python)
        .arg("-o")
        .arg(&out))
    .success();
    let venv = peers.new_venv(dir.path());
    let before = installed(&venv);
    let mut bytes = std::fs::read(&copy).unwrap();
    bytes.push(0);
    std::fs::write(&copy, bytes).unwrap();
    let refused = run(peers
        .wharf()
        .args(["sync", "--python"])
        .arg(&venv)
        .arg(&out))
    .exit_code(1);
    let stderr = refused.stderr();
    assert!(
        stderr.contains("the locked wheel of six 1.16.0+computecanada changed size"),
        "{stderr}"
    );
    assert!(stderr.contains(&copy.display().to_string()), "{stderr}");
    assert!(
        stderr.contains("hint: the wheelhouse changed since the lock was made"),
        "{stderr}"
    );
    assert_eq!(installed(&venv), before);
    // Gone altogether.
    std::fs::remove_file(&copy).unwrap();
    let gone = run(peers
        .wharf()
        .args(["sync", "--python"])
        .arg(&venv)
        .arg(&out))
    .exit_code(1);
    assert!(gone.stderr().contains("is gone"), "{}", gone.transcript());
    // Truncated TOML: line and field, exit 2.
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "lock-version = \"1.0\"\n[[packages]]\nname = \"six\"\nversion = \n",
    )
    .unwrap();
    let invalid = run(peers
        .wharf()
        .args(["sync", "--python"])
        .arg(&venv)
        .arg(&bad))
    .exit_code(2);
    assert!(
        invalid.stderr().contains("is not a valid PEP 751 lock"),
        "{}",
        invalid.transcript()
    );
    assert!(
        invalid.stderr().contains("line 4"),
        "{}",
        invalid.transcript()
    );
    // A lock for another Python: which, and what to do.
    let other = dir.path().join("other.toml");
    let text = std::fs::read_to_string(&out)
        .unwrap()
        .replace("python_version == '3.11'", "python_version == '3.12'");
    std::fs::write(&other, text).unwrap();
    std::fs::copy(&six, &copy).unwrap();
    let mismatch = run(peers
        .wharf()
        .args(["sync", "--python"])
        .arg(&venv)
        .arg(&other))
    .exit_code(1);
    assert!(
        mismatch
            .stderr()
            .contains("is for python_version == '3.12'"),
        "{}",
        mismatch.transcript()
    );
    assert!(
        mismatch.stderr().contains("hint:"),
        "{}",
        mismatch.transcript()
    );
    assert_eq!(installed(&venv), before);
}

/// `venv --from` that fails leaves no environment behind.
#[test]
fn venv_from_a_bad_lock_leaves_nothing() {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("pylock.toml");
    std::fs::write(&bad, "lock-version = \"1.0\"\nrequires-python = \"==3.11.*\"\n[[packages]]\nname = \"six\"\nversion = \"1.16.0\"\n[[packages.wheels]]\npath = \"/nonexistent/six-1.16.0-py2.py3-none-any.whl\"\nsize = 1\nhashes = { sha256 = \"00\" }\n").unwrap();
    let venv: PathBuf = dir.path().join("env");
    run(peers.wharf().arg("venv").arg(&venv).arg("--from").arg(&bad)).exit_code(1);
    assert!(
        !venv.exists(),
        "a failed `venv --from` must not leave {}",
        venv.display()
    );
    // A lock that cannot be read at all is refused before anything is made: exit 2, the line,
    // and no "Created virtual environment".
    let truncated = dir.path().join("truncated.toml");
    std::fs::write(
        &truncated,
        "lock-version = \"1.0\"\n[[packages]]\nname = \"six\"\nversion = \"",
    )
    .unwrap();
    let refused = run(peers
        .wharf()
        .arg("venv")
        .arg(&venv)
        .arg("--from")
        .arg(&truncated))
    .exit_code(2);
    let stderr = refused.stderr();
    assert!(
        stderr.contains("is not a valid PEP 751 lock") && stderr.contains("line 4"),
        "{}",
        refused.transcript()
    );
    assert!(
        !stderr.contains("Created virtual environment"),
        "{}",
        refused.transcript()
    );
    assert!(!venv.exists());
}

/// Differential: `uv pip compile --format pylock.toml` on the same wheelhouse picks the same
/// versions as `wharf lock` where the site's policy does not separate them (uv ignores the
/// `_manylinux` policy, so wharf locks with `--allow-manylinux` here), and the full set of
/// the scientific stack's requirements.
#[test]
fn uv_pip_compile_agrees_on_the_resolution() {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let requirements = peers.fixture.join("requirements.txt");
    let ours = lock(
        peers,
        &dir.path().join("wharf.toml"),
        &["-r", requirements.to_str().unwrap(), "--allow-manylinux"],
    );
    let uv = peers.test_python.parent().unwrap().join("uv");
    let mut compile = command(&uv);
    compile
        .args(["pip", "compile", "--format", "pylock.toml", "--no-index"])
        .args([
            "--python-version",
            "3.11",
            "--python-platform",
            "x86_64-manylinux_2_36",
        ])
        .arg(&requirements)
        .arg("-o")
        .arg(dir.path().join("pylock.uv.toml"))
        .env("UV_CACHE_DIR", dir.path().join("uv-cache"));
    for layer in sci::LAYERS {
        compile.arg("-f").arg(peers.layer(layer));
    }
    run(&mut compile).success();
    let theirs = std::fs::read_to_string(dir.path().join("pylock.uv.toml")).unwrap();
    assert_eq!(locked_names(&ours), locked_names(&theirs));
}

/// `wharf lock` remembers each wheel's sha256 by its stamp (device, inode, size, mtime,
/// ctime): a second lock reads no wheel, and a wheel rebuilt in place with the same size and
/// mtime (only its ctime moves) gets its new hash in the next lock, which `wharf sync` then
/// accepts.
#[test]
fn lock_digest_cache_sees_a_rebuilt_wheel() {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let private = dir.path().join("wh");
    std::fs::create_dir_all(&private).unwrap();
    let six = peers.wheel("six-1.16.0+");
    let copy = private.join(six.file_name().unwrap());
    std::fs::copy(&six, &copy).unwrap();
    // Digests are kept only for files that changed more than 2 s before they were hashed.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let out = dir.path().join("pylock.toml");
    let lock_six = || {
        let mut command = peers.wharf_with_cache(&cache);
        command
            .env("PIP_CONFIG_FILE", "/dev/null")
            .args(["lock", "six", "-f"])
            .arg(&private)
            .arg("--python")
            .arg(&peers.base_python)
            .arg("-o")
            .arg(&out);
        run(&mut command).success();
        std::fs::read_to_string(&out).unwrap()
    };
    let first = lock_six();
    let digests = cache.join("digests-v1/wheels.tsv");
    let remembered = std::fs::read_to_string(&digests).unwrap();
    let sha256 = sha2_hex(&std::fs::read(&copy).unwrap());
    assert!(first.contains(&sha256), "{first}");
    assert!(
        remembered.contains(&format!("{sha256}\t"))
            && remembered.contains(&*copy.to_string_lossy()),
        "{remembered}"
    );
    assert_eq!(lock_six(), first);

    // Rebuilt in place with the same size: the first central directory header's "version
    // made by" byte changed (zip readers ignore it), the mtime set back.
    let mut bytes = std::fs::read(&copy).unwrap();
    let end = bytes.len() - 22;
    assert_eq!(
        &bytes[end..end + 4],
        b"PK\x05\x06",
        "no comment after the end record"
    );
    let central = u32::from_le_bytes(bytes[end + 16..end + 20].try_into().unwrap()) as usize;
    assert_eq!(&bytes[central..central + 4], b"PK\x01\x02");
    bytes[central + 4] ^= 0x01;
    sci::rewrite_in_place(&copy, &bytes);
    let rebuilt = sha2_hex(&bytes);
    assert_ne!(rebuilt, sha256);
    let second = lock_six();
    assert!(second.contains(&rebuilt), "{second}");
    assert!(!second.contains(&sha256), "{second}");
    // The lock still installs: the wheel's own check agrees with it.
    let venv = peers.new_venv(dir.path());
    run(peers
        .wharf()
        .args(["sync", "--python"])
        .arg(&venv)
        .arg(&out))
    .success();
    run(command(venv.join("bin/python")).args(["-c", "import six"])).success();
}

/// sha256 of `bytes`, lowercase hex (through the test interpreter's hashlib: an independent
/// implementation).
fn sha2_hex(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("f");
    std::fs::write(&file, bytes).unwrap();
    let python = std::env::var_os("WHARF_TEST_PYTHON").expect("WHARF_TEST_PYTHON");
    let out = run(command(python).arg("-c").arg(
        "import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], 'rb').read()).hexdigest())",
    ).arg(&file))
    .success();
    out.stdout().trim().to_string()
}

/// A wheel `swap` 1.0 (one stored module, `x = VALUE`) at `path`: two values of one length
/// give two wheels of the same size.
fn swap_wheel(path: &Path, value: u8) {
    wharf_test_support::WheelBuilder::new("swap", "1.0", true, &[])
        .member(
            "swap/__init__.py",
            format!("x = {value}\n").as_bytes(),
            0o644,
            false,
        )
        .write(path);
}

/// `python -c 'import swap; print(swap.x)'` in `venv`.
fn swap_value(venv: &Path) -> String {
    run(command(venv.join("bin/python")).args(["-c", "import swap; print(swap.x)"]))
        .success()
        .stdout()
        .trim()
        .to_string()
}

/// Issue 17 §1: a wheel replaced in the wheelhouse with the same size and mtime (`cp -p`) was
/// installed from the old wheel's cache entry by `venv --from`, right after the new wheel's
/// sha256 was checked against the lock; `check --files` then passed. §2: a cache file
/// rewritten in place reached new environments.
#[test]
fn venv_from_installs_the_verified_bytes_of_a_replaced_wheel() {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let private = dir.path().join("wh");
    std::fs::create_dir_all(&private).unwrap();
    let wheel = private.join("swap-1.0-py3-none-any.whl");
    swap_wheel(&wheel, 1);
    let lock_to = |out: &Path| {
        run(peers
            .wharf_with_cache(&cache)
            .args(["lock", "swap", "-f"])
            .arg(&private)
            .arg("--python")
            .arg(&peers.base_python)
            .arg("-o")
            .arg(out))
        .success();
    };
    let venv_from = |venv: &Path, lock: &Path| {
        run(peers
            .wharf_with_cache(&cache)
            .arg("venv")
            .arg(venv)
            .arg("--python")
            .arg(&peers.base_python)
            .arg("--from")
            .arg(lock))
    };
    let first_lock = dir.path().join("first.toml");
    lock_to(&first_lock);
    venv_from(&dir.path().join("a"), &first_lock).success();
    assert_eq!(swap_value(&dir.path().join("a")), "1");

    // `cp -p`: other bytes, the same size and mtime.
    let old = std::fs::metadata(&wheel).unwrap();
    let other = dir.path().join("swap-1.0-py3-none-any.whl");
    // The first value whose wheel has the old size (its RECORD is deflated).
    let value = (2..=9)
        .find(|value| {
            swap_wheel(&other, *value);
            std::fs::metadata(&other).unwrap().len() == old.len()
        })
        .expect("a wheel of the same size");
    std::fs::copy(&other, &wheel).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&wheel)
        .unwrap()
        .set_modified(old.modified().unwrap())
        .unwrap();
    assert_eq!(std::fs::metadata(&wheel).unwrap().len(), old.len());

    // The old lock is refused; a new lock gives the new bytes, checked by RECORD.
    let refused = venv_from(&dir.path().join("b"), &first_lock).exit_code(1);
    assert!(
        refused.stderr().contains("changed content"),
        "{}",
        refused.transcript()
    );
    assert!(!dir.path().join("b").exists(), "{}", refused.transcript());
    let second_lock = dir.path().join("second.toml");
    lock_to(&second_lock);
    let venv = dir.path().join("c");
    venv_from(&venv, &second_lock).success();
    assert_eq!(swap_value(&venv), value.to_string());
    run(peers
        .wharf_with_cache(&cache)
        .args(["check", "--files", "--python"])
        .arg(&venv))
    .success();

    // A cache file rewritten in place (same size): the next environment gets the wheel's
    // bytes, with one warning naming the cached file.
    let installed = venv.join("lib/python3.11/site-packages/swap/__init__.py");
    let edited = std::fs::read(&installed).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(&installed, b"x = 0\n").unwrap();
    assert_eq!(edited.len(), 6);
    // `check --files` names the edit and says it is shared through the cache's hard link.
    let checked = run(peers
        .wharf_with_cache(&cache)
        .args(["check", "--files", "--python"])
        .arg(&venv))
    .exit_code(1);
    assert!(
        checked.stdout().contains("other hard link") && checked.stderr().contains("--reinstall"),
        "{}",
        checked.transcript()
    );
    // `install --reinstall` repairs it from the wheel's bytes.
    run(peers
        .wharf_with_cache(&cache)
        .args(["install", "--reinstall", "swap", "-f"])
        .arg(&private)
        .arg("--python")
        .arg(&venv))
    .success();
    assert_eq!(swap_value(&venv), value.to_string());
    std::fs::write(&installed, b"x = 0\n").unwrap();
    let venv = dir.path().join("d");
    let made = venv_from(&venv, &second_lock).success();
    assert!(
        made.stderr().contains("was changed or damaged") && made.stderr().contains("modified"),
        "{}",
        made.transcript()
    );
    assert_eq!(swap_value(&venv), value.to_string());
}

/// Regression ("no input is unbounded"): a locked wheel `path` that is a FIFO or a device
/// hung `wharf sync` and `wharf venv --from` (opening a FIFO waits for a writer, `/dev/zero`
/// never ends; a lock without `size` skipped the size check). Now each is refused promptly,
/// naming the lock, the package and the path, and the environment is unchanged. No wheelhouse
/// is needed: the lock is written by hand.
#[test]
fn regression_unbounded_sync_refuses_a_fifo_or_device_as_wheel() {
    let Some(test_python) = sci::test_python() else {
        return;
    };
    let base = wharf_test_support::base_python(&test_python);
    let dir = tempfile::tempdir().unwrap();
    let wharf = || {
        let mut command = command(env!("CARGO_BIN_EXE_wharf"));
        command.env("NO_COLOR", "1").env("WHARF_NO_CACHE", "1");
        command
    };
    let venv = dir.path().join("env");
    run(wharf().arg("venv").arg(&venv).arg("--python").arg(&base)).success();
    let before = installed(&venv);
    let fifo = dir.path().join("six-1.16.0-py2.py3-none-any.whl");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success(), "mkfifo {}", fifo.display());
    let cases = [
        ("fifo.toml", fifo.display().to_string(), None, "a FIFO"),
        (
            "zero.toml",
            "/dev/zero".to_string(),
            None,
            "a character device",
        ),
        // With a size the old code said "changed size (0 bytes, locked 1000)": misleading.
        (
            "zero-sized.toml",
            "/dev/zero".to_string(),
            Some(1000),
            "a character device",
        ),
    ];
    let deadline = std::time::Duration::from_secs(30);
    for (lock_name, path, size, kind) in cases {
        let lock = dir.path().join(lock_name);
        let size = size.map(|s| format!("size = {s}\n")).unwrap_or_default();
        std::fs::write(
            &lock,
            format!(
                "lock-version = \"1.0\"\ncreated-by = \"hand\"\n\n[[packages]]\nname = \"six\"\nversion = \"1.16.0\"\n\n[[packages.wheels]]\nname = \"six-1.16.0-py2.py3-none-any.whl\"\npath = \"{path}\"\n{size}\n[packages.wheels.hashes]\nsha256 = \"{}\"\n",
                "0".repeat(64)
            ),
        )
        .unwrap();
        let start = std::time::Instant::now();
        let refused = sci::run_within(
            wharf().args(["sync", "--python"]).arg(&venv).arg(&lock),
            deadline,
        )
        .exit_code(1);
        let stderr = refused.stderr();
        assert!(
            stderr.contains(&format!(
                "error: `{}`: the locked wheel of six 1.16.0 is not a regular file but {kind}: `{path}`\n",
                lock.display()
            )),
            "{}",
            refused.transcript()
        );
        assert!(
            stderr.contains("hint: a lock names wheel files"),
            "{}",
            refused.transcript()
        );
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "{lock_name}: {:?}",
            start.elapsed()
        );
        assert_eq!(installed(&venv), before, "{lock_name}");

        // `venv --from` the same lock: refused as promptly, and no environment left behind.
        let other = dir.path().join("from-env");
        let refused = sci::run_within(
            wharf()
                .arg("venv")
                .arg(&other)
                .arg("--python")
                .arg(&base)
                .arg("--from")
                .arg(&lock),
            deadline,
        )
        .exit_code(1);
        assert!(
            refused.stderr().contains("is not a regular file but"),
            "{}",
            refused.transcript()
        );
        assert!(!other.exists(), "{lock_name}: {}", refused.transcript());
    }
}

/// Issue 18 §1, modules' packages in locks: with `module load scipy-stack` (a real numpy
/// 1.26.4 from PyPI on PYTHONPATH) and a wheelhouse that also has numpy 2.0.2, `wharf lock
/// pandas` locked numpy 2.0.2 (`install` would have kept the module's). Now the lock pins the
/// module's release; a job with the module finds numpy there (nothing installed), one without
/// installs the wheelhouse's 1.26.4; both import pandas. `lock --from-env` of an environment made
/// under the module locks numpy too.
#[test]
fn a_module_numpy_is_locked_at_its_release_and_jobs_import_with_and_without_it() {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    // The module: numpy 1.26.4 from PyPI, installed with pip --target.
    let module = dir.path().join("scipy-stack");
    let pypi_numpy = sci::repo_root()
        .join(".cache/wheels/pypi/numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl");
    run(command(&peers.test_python)
        .args([
            "-m",
            "pip",
            "install",
            "-q",
            "--no-index",
            "--no-deps",
            "--target",
        ])
        .arg(&module)
        .arg(&pypi_numpy)
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1"))
    .success();
    // A newer numpy in the wheelhouse (re-tagged as the site does).
    let extra = dir.path().join("extra");
    std::fs::create_dir(&extra).unwrap();
    std::fs::copy(
        peers.wheel("numpy-2.0.2-"),
        extra.join("numpy-2.0.2+computecanada-cp311-cp311-linux_x86_64.whl"),
    )
    .unwrap();
    let with_module = peers.pythonpath(std::slice::from_ref(&module));
    let without_module = peers.pythonpath(&[]);
    let wharf = |pythonpath: &std::ffi::OsString| {
        let mut command = peers.wharf_with_cache(&cache);
        command.env("PYTHONPATH", pythonpath);
        command
    };
    let lock = dir.path().join("pylock.toml");
    run(wharf(&with_module)
        .args(["lock", "pandas", "-f"])
        .arg(&extra)
        .arg("--python")
        .arg(&peers.base_python)
        .arg("-o")
        .arg(&lock))
    .success();
    let text = std::fs::read_to_string(&lock).unwrap();
    assert!(
        text.contains("name = \"numpy\"\nversion = \"1.26.4+computecanada\""),
        "{text}"
    );
    // Without the module the same request takes the newest numpy: the module made the difference.
    let unpinned = dir.path().join("unpinned.toml");
    run(wharf(&without_module)
        .args(["lock", "pandas", "-f"])
        .arg(&extra)
        .arg("--python")
        .arg(&peers.base_python)
        .arg("-o")
        .arg(&unpinned))
    .success();
    assert!(
        std::fs::read_to_string(&unpinned)
            .unwrap()
            .contains("version = \"2.0.2+computecanada\""),
    );
    let import = |venv: &Path, pythonpath: &std::ffi::OsString| {
        run(command(venv.join("bin/python"))
            .args([
                "-c",
                "import numpy, pandas; print(numpy.__version__, numpy.__file__)",
            ])
            .env("PYTHONPATH", pythonpath))
        .success()
        .stdout()
    };
    // The job with the module: numpy comes from the module, not installed.
    let job = dir.path().join("job-module");
    run(wharf(&with_module)
        .arg("venv")
        .arg(&job)
        .arg("--python")
        .arg(&peers.base_python)
        .arg("--from")
        .arg(&lock))
    .success();
    let out = import(&job, &with_module);
    assert!(
        out.starts_with("1.26.4 ") && out.contains("scipy-stack"),
        "{out}"
    );
    assert!(!job.join("lib/python3.11/site-packages/numpy").exists());
    // The job without it: the wheelhouse's numpy 1.26.4 is installed.
    let bare = dir.path().join("job-bare");
    run(wharf(&without_module)
        .arg("venv")
        .arg(&bare)
        .arg("--python")
        .arg(&peers.base_python)
        .arg("--from")
        .arg(&lock))
    .success();
    let out = import(&bare, &without_module);
    assert!(
        out.starts_with("1.26.4 ") && out.contains("job-bare"),
        "{out}"
    );
    // `lock --from-env` of the module job's environment locks the numpy it relies on.
    let from_env = dir.path().join("from-env.toml");
    run(wharf(&with_module)
        .args(["lock", "--from-env"])
        .arg(&job)
        .arg("-o")
        .arg(&from_env))
    .success();
    let text = std::fs::read_to_string(&from_env).unwrap();
    assert!(text.contains("name = \"numpy\""), "{text}");
    assert!(text.contains("name = \"pandas\""), "{text}");
}

/// Issue 19 §1: a requirements file whose `--hash` does not match installed with exit 0 (pip
/// refuses it), and `--require-hashes` was an unknown option. Now any `--hash` turns on pip's
/// hash-checking mode: every requirement pinned and hashed, every wheel checked before anything
/// changes; pip 26 agrees on each case.
#[test]
fn hash_checking_mode_refuses_a_wrong_hash_like_pip() {
    let Some(peers) = peers() else { return };
    let current = std::env::var_os("WHARF_TEST_CURRENT_PEERS").map(PathBuf::from);
    let dir = tempfile::tempdir().unwrap();
    let six = peers.wheel("six-1.16.0+");
    let links = dir.path().join("links");
    std::fs::create_dir(&links).unwrap();
    std::fs::copy(&six, links.join(six.file_name().unwrap())).unwrap();
    let sha256 = sha2_hex(&std::fs::read(&six).unwrap());
    let sha512 = {
        let out = run(command(&peers.test_python).arg("-c").arg(
            "import hashlib, sys; print(hashlib.sha512(open(sys.argv[1], 'rb').read()).hexdigest())",
        ).arg(&six))
        .success();
        out.stdout().trim().to_string()
    };
    let wrong = "0".repeat(64);
    let case =
        |name: &str, text: String, extra: &[&str]| -> (sci::Run, Vec<String>, Option<sci::Run>) {
            let file = dir.path().join(format!("{name}.txt"));
            std::fs::write(&file, text).unwrap();
            let venv = peers.new_venv(&dir.path().join(name));
            let before = installed(&venv);
            let result = run(command(env!("CARGO_BIN_EXE_wharf"))
                .args(["install", "--python"])
                .arg(&venv)
                .arg("-r")
                .arg(&file)
                .args(extra)
                .env("PIP_CONFIG_FILE", "/dev/null")
                .env("WHARF_CACHE_DIR", dir.path().join("cache")));
            if !result.output.status.success() {
                assert_eq!(installed(&venv), before, "{name}: {}", result.transcript());
            }
            let pip = current.as_ref().map(|bin| {
                let pip_env = dir.path().join(format!("{name}-pip"));
                run(command(&peers.base_python)
                    .args(["-m", "venv", "--without-pip"])
                    .arg(&pip_env))
                .success();
                run(sci::pip_on(command(bin.join("python")), &pip_env)
                    .args(["install", "--no-index", "-r"])
                    .arg(&file)
                    .args(extra)
                    .env("PIP_CONFIG_FILE", "/dev/null"))
            });
            (result, installed(&venv), pip)
        };
    let links_line = format!("--find-links {}\n", links.display());
    // A wrong hash: refused by both, naming the file, the expected and the actual hash.
    let (wharf, _, pip) = case(
        "wrong",
        format!("{links_line}six==1.16.0 --hash=sha256:{wrong}\n"),
        &[],
    );
    assert_eq!(wharf.code(), Some(1), "{}", wharf.transcript());
    let stderr = wharf.stderr();
    assert!(
        stderr.contains(&six.file_name().unwrap().to_string_lossy().to_string())
            && stderr.contains(&format!("sha256:{wrong}"))
            && stderr.contains(&format!("sha256:{sha256}"))
            && stderr.contains("wrong.txt:2"),
        "{}",
        wharf.transcript()
    );
    if let Some(pip) = pip {
        assert_ne!(pip.code(), Some(0), "{}", pip.transcript());
    }
    // The right hash (among others, sha512 too): installed by both.
    for (name, hashes) in [
        (
            "right",
            format!("--hash=sha256:{wrong} --hash=sha256:{sha256}"),
        ),
        ("sha512", format!("--hash=sha512:{sha512}")),
    ] {
        let (wharf, now, pip) = case(name, format!("{links_line}six==1.16.0 {hashes}\n"), &[]);
        assert_eq!(wharf.code(), Some(0), "{}", wharf.transcript());
        assert!(now.iter().any(|d| d.starts_with("six==1.16.0")), "{now:?}");
        if let Some(pip) = pip {
            assert_eq!(pip.code(), Some(0), "{}", pip.transcript());
        }
    }
    // Not pinned but hashed: the hash pins the file (pip 26 installs it too).
    let (wharf, now, pip) = case(
        "unpinned",
        format!("{links_line}six>=1.0 --hash=sha256:{sha256}\n"),
        &[],
    );
    assert_eq!(wharf.code(), Some(0), "{}", wharf.transcript());
    assert!(now.iter().any(|d| d.starts_with("six==1.16.0")), "{now:?}");
    if let Some(pip) = pip {
        assert_eq!(pip.code(), Some(0), "{}", pip.transcript());
    }
    // No hash under --require-hashes: refused by both.
    let (wharf, _, pip) = case(
        "required",
        format!("{links_line}six==1.16.0\n"),
        &["--require-hashes"],
    );
    assert_ne!(wharf.code(), Some(0), "{}", wharf.transcript());
    assert!(
        wharf.stderr().contains("needs a `--hash`"),
        "{}",
        wharf.transcript()
    );
    if let Some(pip) = pip {
        assert_ne!(pip.code(), Some(0), "{}", pip.transcript());
    }
}

/// Issue 19 §2: wharf reads the locks that uv 0.13 (`uv pip compile --format pylock.toml`)
/// and pip 26 (`pip lock`) write of the same wheelhouse (`file://` URLs, pip's `%2B`, uv's
/// markers), installs exactly their packages, and the environment imports them.
#[test]
fn locks_of_uv_and_pip_install_exactly_what_they_list() {
    let Some(peers) = peers() else { return };
    let Some(bin) = sci::current_peers() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("requirements.in");
    std::fs::write(&input, "pandas\n").unwrap();
    let links: Vec<PathBuf> = ["gentoo2023/x86-64-v3", "gentoo2023/generic", "generic"]
        .iter()
        .map(|layer| peers.layer(layer))
        .collect();
    let mut find_links = Vec::new();
    for link in &links {
        find_links.push("-f".into());
        find_links.push(link.clone().into_os_string());
    }
    // uv (which does not see the site's manylinux policy: its numpy is a manylinux wheel, so
    // the sync allows them) and pip (which does, through PYTHONPATH).
    let uv_lock = dir.path().join("pylock.uv.toml");
    run(command(bin.join("uv"))
        .args([
            "pip",
            "compile",
            "--no-config",
            "--no-index",
            "-q",
            "--format",
            "pylock.toml",
        ])
        .args(&find_links)
        .arg(&input)
        .arg("--python")
        .arg(&peers.base_python)
        .arg("-o")
        .arg(&uv_lock)
        .env("UV_CACHE_DIR", dir.path().join("uv-cache")))
    .success();
    let pip_lock = dir.path().join("pylock.pip.toml");
    run(peers
        .on_site(bin.join("python"))
        .args(["-m", "pip", "lock", "--isolated", "--no-index", "-q"])
        .args(&find_links)
        .arg("-r")
        .arg(&input)
        .arg("-o")
        .arg(&pip_lock))
    .success();
    for (name, lock, extra) in [
        ("uv", &uv_lock, &["--allow-manylinux"][..]),
        ("pip", &pip_lock, &[][..]),
    ] {
        let text = std::fs::read_to_string(lock).unwrap();
        let venv = peers.new_venv(&dir.path().join(name));
        let synced = run(peers
            .wharf()
            .args(["sync", "--python"])
            .arg(&venv)
            .args(extra)
            .arg(lock));
        assert_eq!(
            synced.code(),
            Some(0),
            "{name}:\n{text}\n{}",
            synced.transcript()
        );
        let mut expected = locked_names(&text);
        expected.sort();
        let now: Vec<String> = installed(&venv)
            .into_iter()
            .filter(|d| {
                !d.starts_with("pip==")
                    && !d.starts_with("setuptools==")
                    && !d.starts_with("wheel==")
            })
            .collect();
        assert_eq!(now, expected, "{name}:\n{text}");
        run(peers
            .on_site(venv.join("bin/python"))
            .args(["-c", "import pandas"]))
        .success();
    }
}

/// Issue 19: wharf's own `pylock.toml` is read by pip 26 (`pip install -r pylock.toml`), which
/// installs exactly what it lists (uv's `pip sync` is checked by `uv_pip_sync_installs_exactly_the_lock`).
#[test]
fn pip_26_installs_exactly_what_wharf_locked() {
    let Some(peers) = peers() else { return };
    let Some(bin) = sci::current_peers() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let lock_path = dir.path().join("pylock.toml");
    let text = lock(peers, &lock_path, &["pandas"]);
    let venv = dir.path().join("pip-env");
    run(command(&peers.base_python)
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv))
    .success();
    run(sci::pip_on(peers.on_site(bin.join("python")), &venv)
        .args(["install", "--no-index", "-r"])
        .arg(&lock_path))
    .success();
    let mut expected = locked_names(&text);
    expected.sort();
    assert_eq!(installed(&venv), expected, "{text}");
}

/// Issue 19 §2 on hand-made locks: a false marker leaves its package out, of two wheels the
/// compatible one is installed, a lock for Python >=3.13 is refused by name.
#[test]
fn hand_made_locks_markers_wheels_and_requires_python() {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let six = peers.wheel("six-1.16.0+");
    let sha = sha2_hex(&std::fs::read(&six).unwrap());
    let numpy = peers.wheel("numpy-1.26.4+");
    let numpy_sha = sha2_hex(&std::fs::read(&numpy).unwrap());
    let lock = dir.path().join("pylock.toml");
    std::fs::write(
        &lock,
        format!(
            "lock-version = \"1.0\"\nrequires-python = \">=3.9\"\n\
             [[packages]]\nname = \"six\"\nversion = \"1.16.0+computecanada\"\n\
             wheels = [{{ url = \"file://{six}\", hashes = {{ sha256 = \"{sha}\" }} }}]\n\
             [[packages]]\nname = \"numpy\"\nversion = \"1.26.4+computecanada\"\nmarker = \"sys_platform == 'win32'\"\n\
             wheels = [{{ path = \"{numpy}\", hashes = {{ sha256 = \"{numpy_sha}\" }} }}]\n",
            six = six.display().to_string().replace('+', "%2B"),
            numpy = numpy.display(),
        ),
    )
    .unwrap();
    let venv = peers.new_venv(dir.path());
    run(peers
        .wharf()
        .args(["sync", "--python"])
        .arg(&venv)
        .arg(&lock))
    .success();
    let now = installed(&venv);
    assert!(now.iter().any(|d| d.starts_with("six==")), "{now:?}");
    assert!(!now.iter().any(|d| d.starts_with("numpy==")), "{now:?}");
    // Two wheels of six: an incompatible one (cp313 only) first, the real one second.
    let two = dir.path().join("two.toml");
    std::fs::write(
        &two,
        format!(
            "lock-version = \"1.0\"\n[[packages]]\nname = \"six\"\nversion = \"1.16.0+computecanada\"\n\
             [[packages.wheels]]\nname = \"six-1.16.0+computecanada-cp313-cp313-linux_x86_64.whl\"\npath = \"/nonexistent/six-1.16.0+computecanada-cp313-cp313-linux_x86_64.whl\"\nhashes = {{ sha256 = \"{}\" }}\n\
             [[packages.wheels]]\npath = \"{}\"\nhashes = {{ sha256 = \"{sha}\" }}\n",
            "0".repeat(64),
            six.display()
        ),
    )
    .unwrap();
    let other = peers.new_venv(&dir.path().join("two"));
    run(peers
        .wharf()
        .args(["sync", "--python"])
        .arg(&other)
        .arg(&two))
    .success();
    assert!(installed(&other).iter().any(|d| d.starts_with("six==")));
    // A lock for Python >= 3.13.
    let newer = dir.path().join("newer.toml");
    std::fs::write(
        &newer,
        std::fs::read_to_string(&lock).unwrap().replace(
            "requires-python = \">=3.9\"",
            "requires-python = \">=3.13\"",
        ),
    )
    .unwrap();
    let refused = run(peers
        .wharf()
        .args(["sync", "--python"])
        .arg(&other)
        .arg(&newer))
    .exit_code(1);
    assert!(
        refused.stderr().contains("requires Python >=3.13"),
        "{}",
        refused.transcript()
    );
}

/// Issue 19 §3: `-o x.txt` without `--format` wrote TOML into a `.txt`; the format now follows
/// the name, and a TOML lock named otherwise than `pylock.toml`/`pylock.NAME.toml` (which uv and
/// pip require) gets a warning.
#[test]
fn lock_format_follows_the_output_name() {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let lock_to = |name: &str| {
        let out = dir.path().join(name);
        let ran = run(peers
            .wharf()
            .args(["lock", "six", "--python"])
            .arg(&peers.base_python)
            .arg("-o")
            .arg(&out))
        .success();
        (std::fs::read_to_string(&out).unwrap(), ran.stderr())
    };
    let (text, stderr) = lock_to("requirements.txt");
    assert!(
        text.contains("six==1.16.0+computecanada \\\n    --hash=sha256:"),
        "{text}"
    );
    assert!(!stderr.contains("not a PEP 751"), "{stderr}");
    let (text, stderr) = lock_to("pylock.dev.toml");
    assert!(text.starts_with("lock-version = \"1.0\""), "{text}");
    assert!(!stderr.contains("not a PEP 751"), "{stderr}");
    let (_, stderr) = lock_to("mylock.toml");
    assert!(
        stderr.contains("`mylock.toml` is not a PEP 751 lock file name"),
        "{stderr}"
    );
}

/// Issue 19 §4: with a python module loaded whose Python the lock excludes, `venv --from` took
/// another Python from the module trees without a word; now it refuses and names the module to
/// load (`--python` still chooses).
#[test]
fn venv_from_refuses_a_loaded_module_the_lock_excludes() {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let six = peers.wheel("six-1.16.0+");
    let lock = dir.path().join("pylock.toml");
    std::fs::write(
        &lock,
        format!(
            "lock-version = \"1.0\"\nrequires-python = \"==3.12.*\"\n[[packages]]\nname = \"six\"\nversion = \"1.16.0+computecanada\"\n[[packages.wheels]]\npath = \"{}\"\nhashes = {{ sha256 = \"{}\" }}\n",
            six.display(),
            sha2_hex(&std::fs::read(&six).unwrap())
        ),
    )
    .unwrap();
    // The loaded "module" is the test's CPython 3.11 tree.
    let root = peers.base_python.parent().unwrap().parent().unwrap();
    let venv = dir.path().join("env");
    let refused = run(peers
        .wharf()
        .env("EBROOTPYTHON", root)
        .arg("venv")
        .arg(&venv)
        .arg("--from")
        .arg(&lock))
    .exit_code(2);
    assert!(
        refused.stderr().contains("requires Python ==3.12.*")
            && refused.stderr().contains("`module load python/3.12`"),
        "{}",
        refused.transcript()
    );
    assert!(!venv.exists());
}

/// Issue 19 §2: PEP 751's `'x' in extras` and `'g' in dependency_groups` markers (uv writes them
/// for projects with groups) were a parse error; now `--extra` and `--group` (and the lock's
/// `default-groups`) decide them.
#[test]
fn lock_extras_and_dependency_groups_are_selected() {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let entry = |prefix: &str, name: &str, marker: Option<&str>| {
        let wheel = peers.wheel(prefix);
        let version = wheel
            .file_name()
            .unwrap()
            .to_string_lossy()
            .split('-')
            .nth(1)
            .unwrap()
            .to_string();
        format!(
            "[[packages]]\nname = \"{name}\"\nversion = \"{version}\"\n{}\n[[packages.wheels]]\npath = \"{}\"\nhashes = {{ sha256 = \"{}\" }}\n",
            marker.map_or(String::new(), |m| format!("marker = \"{m}\"")),
            wheel.display(),
            sha2_hex(&std::fs::read(&wheel).unwrap())
        )
    };
    let body = format!(
        "{}{}{}",
        entry("pytz-", "pytz", None),
        entry("six-1.16.0+", "six", Some("'dev' in dependency_groups")),
        entry("tzdata-", "tzdata", Some("'tz' in extras")),
    );
    let write = |name: &str, head: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, format!("lock-version = \"1.0\"\n{head}{body}")).unwrap();
        path
    };
    let plain = write("pylock.toml", "");
    let defaults = write("pylock.defaults.toml", "default-groups = [\"dev\"]\n");
    let names = |venv: &Path| -> Vec<String> {
        installed(venv)
            .into_iter()
            .filter_map(|d| d.split("==").next().map(str::to_string))
            .filter(|n| ["pytz", "six", "tzdata"].contains(&n.as_str()))
            .collect()
    };
    for (index, (lock, args, expected)) in [
        (&plain, &[][..], &["pytz"][..]),
        (&plain, &["--group", "dev"][..], &["pytz", "six"][..]),
        (&plain, &["--extra", "tz"][..], &["pytz", "tzdata"][..]),
        (&defaults, &[][..], &["pytz", "six"][..]),
    ]
    .into_iter()
    .enumerate()
    {
        let venv = peers.new_venv(&dir.path().join(format!("case{index}")));
        run(peers
            .wharf()
            .args(["sync", "--python"])
            .arg(&venv)
            .args(args)
            .arg(lock))
        .success();
        assert_eq!(names(&venv), expected, "{args:?} {}", lock.display());
    }
}

/// The pinned real build-backend wheels (`scripts/fetch-build-backends.py`, cached in
/// `.cache/build-backends`): a small wheelhouse of pure wheels the lock matrix shares.
fn backend_wheels(peers: &Peers) -> PathBuf {
    let dir = sci::repo_root().join(".cache/build-backends");
    let mut fetch = command(&peers.test_python);
    fetch
        .arg(sci::repo_root().join("scripts/fetch-build-backends.py"))
        .arg(&dir);
    for variable in wharf_test_support::NETWORK_VARIABLES {
        if let Some(value) = std::env::var_os(variable) {
            fetch.env(variable, value);
        }
    }
    run(&mut fetch).success();
    dir
}

/// pdm 2.29 (`WHARF_TEST_CURRENT_PEERS/pdm`) in `project`, on the interpreter `python`, with
/// nothing of the machine's pip or pdm settings.
fn pdm(bin: &Path, project: &Path, python: &Path) -> std::process::Command {
    let mut command = command(bin.join("pdm"));
    command
        .current_dir(project)
        .env("PDM_HOME", project.join(".pdm-home"))
        .env("PDM_CHECK_UPDATE", "false")
        .env("PDM_IGNORE_SAVED_PYTHON", "1")
        .env("PDM_PYTHON", python)
        .env("PDM_CACHE_DIR", project.join(".pdm-cache"))
        .env("PDM_CONFIG_FILE", project.join(".pdm-config.toml"));
    command
}

/// Issue 19 "What it must show": the lock matrix with the real tools, pinned. One wheelhouse
/// (real PyPI wheels), one project with a dependency and a PEP 735 group:
/// - uv 0.13 `uv export --format pylock.toml` (from `uv lock` of the project, the group
///   included as uv exports it) and pdm 2.29 `pdm export -f pylock -G dev` each write a lock
///   that `wharf venv --from` installs exactly (the set compared with the lock, imports run);
/// - wharf's own lock is installed exactly by pdm (`pdm sync -L`): pdm refused wharf's earlier
///   `environments` (`sys_platform`), and reads `platform_system` (uv and pip read both; their
///   side of the matrix is `uv_pip_sync_installs_exactly_the_lock` and
///   `pip_26_installs_exactly_what_wharf_locked`).
#[test]
fn lock_matrix_uv_export_and_pdm_both_ways() {
    let Some(peers) = peers() else { return };
    let Some(bin) = sci::current_peers() else {
        return;
    };
    let wheels = backend_wheels(peers);
    let wheels_url = format!("file://{}", wheels.display());
    let dir = tempfile::tempdir().unwrap();
    let project = |name: &str, tool: &str| {
        let root = dir.path().join(name);
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(
            root.join("pyproject.toml"),
            format!(
                "[project]\nname = \"demo\"\nversion = \"0.1\"\nrequires-python = \">=3.11\"\ndependencies = [\"pluggy\", \"packaging\"]\n\n[dependency-groups]\ndev = [\"pathspec\"]\n\n{tool}"
            ),
        )
        .unwrap();
        root
    };
    let expected = ["packaging==24.1", "pathspec==0.12.1", "pluggy==1.5.0"];

    let uv_project = project("uv", "[tool.uv]\npackage = false\n");
    let uv = |args: &[&str]| {
        run(command(bin.join("uv"))
            .current_dir(&uv_project)
            .args(args)
            .args(["--no-config", "--no-index", "-q", "--find-links"])
            .arg(&wheels)
            .env("UV_CACHE_DIR", dir.path().join("uv-cache"))
            .env("UV_PYTHON", &peers.base_python))
        .success()
    };
    uv(&["lock"]);
    uv(&["export", "--format", "pylock.toml", "-o", "pylock.toml"]);

    let pdm_project = project(
        "pdm",
        &format!(
            "[[tool.pdm.source]]\nname = \"pypi\"\nurl = \"{wheels_url}\"\ntype = \"find_links\"\n\n[tool.pdm]\ndistribution = false\n"
        ),
    );
    run(pdm(&bin, &pdm_project, &peers.base_python).args(["lock", "-G", "dev"])).success();
    run(pdm(&bin, &pdm_project, &peers.base_python).args([
        "export",
        "-f",
        "pylock",
        "-G",
        "dev",
        "-o",
        "pylock.toml",
    ]))
    .success();

    for (tool, lock) in [
        ("uv", uv_project.join("pylock.toml")),
        ("pdm", pdm_project.join("pylock.toml")),
    ] {
        let text = std::fs::read_to_string(&lock).unwrap();
        assert_eq!(locked_names(&text), expected, "{tool}:\n{text}");
        let venv = dir.path().join(format!("from-{tool}"));
        let made = venv_from(peers, &venv, &lock, &[]);
        assert_eq!(
            made.code(),
            Some(0),
            "{tool}:\n{text}\n{}",
            made.transcript()
        );
        assert_eq!(installed(&venv), expected, "{tool}:\n{text}");
        run(command(venv.join("bin/python")).args(["-c", "import pluggy, packaging, pathspec"]))
            .success();
    }

    // wharf's lock, installed by pdm exactly.
    let wharf_lock = pdm_project.join("pylock.wharf.toml");
    run(peers
        .wharf()
        .env("PIP_CONFIG_FILE", "/dev/null")
        .args(["lock", "--python"])
        .arg(&peers.base_python)
        .arg("-f")
        .arg(&wheels)
        .args(["pluggy", "packaging", "pathspec", "-o"])
        .arg(&wharf_lock))
    .success();
    let text = std::fs::read_to_string(&wharf_lock).unwrap();
    run(pdm(&bin, &pdm_project, &peers.base_python).args(["sync", "-L", "pylock.wharf.toml"]))
        .success();
    let pdm_venv = pdm_project.join(".venv");
    let now: Vec<String> = installed(&pdm_venv)
        .into_iter()
        .filter(|d| !d.starts_with("pip==") && !d.starts_with("setuptools=="))
        .collect();
    assert_eq!(now, expected, "{text}");
}

/// Issue 19 §2: a lock made from an index (`https://` wheel URLs, as uv and pip write them
/// from PyPI) syncs on an offline cluster from the wheelhouse's file of the same name and
/// sha256, without touching the network; a file the wheelhouse does not have at that hash is
/// fetched from its URL (here: a host that does not exist), and the failure names it.
#[test]
fn https_locks_use_the_wheelhouse_copy_of_the_same_hash() {
    let Some(peers) = peers() else { return };
    let wheels = backend_wheels(peers);
    let dir = tempfile::tempdir().unwrap();
    let pluggy = "pluggy-1.5.0-py3-none-any.whl";
    let sha256 = sha2_hex(&std::fs::read(wheels.join(pluggy)).unwrap());
    let lock_text = |sha256: &str| {
        format!(
            "lock-version = \"1.0\"\ncreated-by = \"uv\"\n[[packages]]\nname = \"pluggy\"\nversion = \"1.5.0\"\nwheels = [{{ url = \"https://files.example.invalid/packages/{pluggy}\", hashes = {{ sha256 = \"{sha256}\" }} }}]\n"
        )
    };
    let lock = dir.path().join("pylock.toml");
    std::fs::write(&lock, lock_text(&sha256)).unwrap();
    let venv = dir.path().join("env");
    let made = venv_from(
        peers,
        &venv,
        &lock,
        &[("PIP_FIND_LINKS", wheels.as_os_str())],
    );
    assert_eq!(made.code(), Some(0), "{}", made.transcript());
    assert_eq!(installed(&venv), ["pluggy==1.5.0"]);
    run(command(venv.join("bin/python")).args(["-c", "import pluggy"])).success();

    // Another hash: not the wheelhouse's file, so it must come from the URL, which fails.
    let other = "0".repeat(64);
    std::fs::write(&lock, lock_text(&other)).unwrap();
    let refused = run(peers
        .wharf_with_cache(&dir.path().join("empty-cache"))
        .env("PIP_CONFIG_FILE", "/dev/null")
        .env("PIP_FIND_LINKS", &wheels)
        .arg("venv")
        .arg(dir.path().join("env2"))
        .arg("--python")
        .arg(&peers.base_python)
        .arg("--from")
        .arg(&lock));
    assert_ne!(refused.code(), Some(0), "{}", refused.transcript());
    assert!(
        refused.stderr().contains("files.example.invalid"),
        "{}",
        refused.transcript()
    );
    assert!(
        !dir.path().join("env2").exists(),
        "{}",
        refused.transcript()
    );
}

/// Issue 19 §3: `wharf lock --python 3.11 --python 3.12` writes one lock for both: a package
/// the same for both is one entry with each Python's wheel; one only one Python needs gets a
/// `python_version` marker. `venv --from` on each Python installs its own set and imports it.
#[test]
#[ignore = "needs a second CPython (3.12) beside the test one (CI machines have only 3.11): run with `cargo test -- --ignored` where `python3.12` is on PATH or WHARF_TEST_PYTHON_312 names one"]
fn one_lock_serves_two_pythons() {
    let Some(peers) = peers() else { return };
    let python312 = std::env::var_os("WHARF_TEST_PYTHON_312")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("PATH").and_then(|path| {
                std::env::split_paths(&path)
                    .map(|dir| dir.join("python3.12"))
                    .find(|candidate| candidate.is_file())
            })
        })
        .expect("no python3.12 on PATH and WHARF_TEST_PYTHON_312 is not set");
    let dir = tempfile::tempdir().unwrap();
    let links = dir.path().join("links");
    std::fs::create_dir_all(&links).unwrap();
    for (file, requires) in [
        (
            "demo-1.0-py3-none-any.whl",
            &["tagged", "old_only; python_version < '3.12'"][..],
        ),
        ("tagged-1.0-cp311-none-any.whl", &[][..]),
        ("tagged-1.0-cp312-none-any.whl", &[][..]),
        ("old_only-1.0-py3-none-any.whl", &[][..]),
    ] {
        let name = file.split('-').next().unwrap();
        wharf_test_support::WheelBuilder::new(name, "1.0", true, requires)
            .file(&format!("{name}/__init__.py"), b"")
            .write(&links.join(file));
    }
    let lock_path = dir.path().join("pylock.toml");
    let locked = run(peers
        .wharf()
        .env("PIP_CONFIG_FILE", "/dev/null")
        .args(["lock", "--python"])
        .arg(&peers.base_python)
        .arg("--python")
        .arg(&python312)
        .arg("-f")
        .arg(&links)
        .args(["demo", "-o"])
        .arg(&lock_path))
    .success();
    let text = std::fs::read_to_string(&lock_path).unwrap();
    assert!(
        text.contains("python_version == '3.11' and")
            && text.contains("python_version == '3.12' and")
            && text.contains("tagged-1.0-cp311-none-any.whl")
            && text.contains("tagged-1.0-cp312-none-any.whl")
            && text.contains("marker = \"python_version == '3.11'\""),
        "{text}\n{}",
        locked.transcript()
    );
    for (label, python, expected) in [
        (
            "311",
            peers.base_python.clone(),
            &["demo==1.0", "old_only==1.0", "tagged==1.0"][..],
        ),
        ("312", python312.clone(), &["demo==1.0", "tagged==1.0"][..]),
    ] {
        let venv = dir.path().join(label);
        let made = run(peers
            .wharf()
            .env("PIP_CONFIG_FILE", "/dev/null")
            .arg("venv")
            .arg(&venv)
            .arg("--python")
            .arg(&python)
            .arg("--from")
            .arg(&lock_path));
        assert_eq!(made.code(), Some(0), "{label}: {}", made.transcript());
        let now: Vec<String> = installed(&venv)
            .into_iter()
            .filter(|d| !d.starts_with("pip==") && !d.starts_with("setuptools=="))
            .collect();
        assert_eq!(now, expected, "{label}:\n{text}");
        run(command(venv.join("bin/python")).args(["-c", "import demo, tagged"])).success();
    }
}

/// Issue 19 §2: PEP 751 `directory` and `archive` entries are built and installed as
/// `wharf install` does: uv 0.13's export of a project (the project itself as an editable
/// `directory`, version left out) gives an environment where the project is an editable
/// install (`direct_url.json` as pip writes it; an edit is seen at once); an `archive` that is
/// a wheel is checked by its hash and installed; a `vcs` entry is refused by name.
#[test]
fn directory_and_archive_entries_are_built_and_installed() {
    let Some(peers) = peers() else { return };
    let Some(bin) = sci::current_peers() else {
        return;
    };
    let wheels = backend_wheels(peers);
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("proj");
    std::fs::create_dir_all(project.join("demo_proj")).unwrap();
    std::fs::write(
        project.join("pyproject.toml"),
        "[build-system]\nrequires = [\"flit_core>=3.4,<4\"]\nbuild-backend = \"flit_core.buildapi\"\n\n[project]\nname = \"demo_proj\"\nversion = \"0.3\"\ndescription = \"x\"\nrequires-python = \">=3.11\"\ndependencies = [\"pluggy\"]\n",
    )
    .unwrap();
    std::fs::write(project.join("demo_proj/__init__.py"), "VALUE = 1\n").unwrap();
    let uv = |args: &[&str]| {
        run(command(bin.join("uv"))
            .current_dir(&project)
            .args(args)
            .args(["--no-config", "--no-index", "-q", "--find-links"])
            .arg(&wheels)
            .env("UV_CACHE_DIR", dir.path().join("uv-cache"))
            .env("UV_PYTHON", &peers.base_python))
        .success()
    };
    uv(&["lock"]);
    uv(&["export", "--format", "pylock.toml", "-o", "pylock.toml"]);
    let lock = project.join("pylock.toml");
    let text = std::fs::read_to_string(&lock).unwrap();
    assert!(
        text.contains("directory = { path = \".\", editable = true }"),
        "{text}"
    );
    let venv = dir.path().join("env");
    let made = venv_from(
        peers,
        &venv,
        &lock,
        &[("PIP_FIND_LINKS", wheels.as_os_str())],
    );
    assert_eq!(made.code(), Some(0), "{text}\n{}", made.transcript());
    assert_eq!(installed(&venv), ["demo_proj==0.3", "pluggy==1.5.0"]);
    let direct_url: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            site_packages_of(&venv).join("demo_proj-0.3.dist-info/direct_url.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(direct_url["dir_info"]["editable"], true, "{direct_url}");
    assert_eq!(
        direct_url["url"],
        format!("file://{}", project.display()),
        "{direct_url}"
    );
    std::fs::write(project.join("demo_proj/__init__.py"), "VALUE = 2\n").unwrap();
    let value =
        run(command(venv.join("bin/python"))
            .args(["-c", "import demo_proj; print(demo_proj.VALUE)"]))
        .success()
        .stdout();
    assert_eq!(value.trim(), "2");

    // An archive that is a wheel: checked by its hash, installed.
    let pluggy = wheels.join("pluggy-1.5.0-py3-none-any.whl");
    let sha256 = sha2_hex(&std::fs::read(&pluggy).unwrap());
    let archive_lock = dir.path().join("pylock.archive.toml");
    let archive = |sha256: &str| {
        format!(
            "lock-version = \"1.0\"\n[[packages]]\nname = \"pluggy\"\nversion = \"1.5.0\"\narchive = {{ path = \"{}\", hashes = {{ sha256 = \"{sha256}\" }} }}\n",
            pluggy.display()
        )
    };
    std::fs::write(&archive_lock, archive(&sha256)).unwrap();
    let venv2 = dir.path().join("env2");
    venv_from(peers, &venv2, &archive_lock, &[]).success();
    assert_eq!(installed(&venv2), ["pluggy==1.5.0"]);
    std::fs::write(&archive_lock, archive(&"0".repeat(64))).unwrap();
    let refused = run(peers
        .wharf()
        .env("PIP_CONFIG_FILE", "/dev/null")
        .arg("venv")
        .arg(dir.path().join("env3"))
        .arg("--python")
        .arg(&peers.base_python)
        .arg("--from")
        .arg(&archive_lock))
    .exit_code(1);
    assert!(
        refused.stderr().contains("changed content"),
        "{}",
        refused.transcript()
    );

    // A VCS entry: refused by name.
    std::fs::write(
        &archive_lock,
        "lock-version = \"1.0\"\n[[packages]]\nname = \"pluggy\"\nvcs = { type = \"git\", url = \"https://example.invalid/pluggy\", commit-id = \"abc\" }\n",
    )
    .unwrap();
    let refused = run(peers
        .wharf()
        .env("PIP_CONFIG_FILE", "/dev/null")
        .args(["sync", "--python"])
        .arg(&venv2)
        .arg(&archive_lock));
    assert_eq!(refused.code(), Some(2), "{}", refused.transcript());
    assert!(
        refused
            .stderr()
            .contains("package `pluggy`: has a VCS source"),
        "{}",
        refused.transcript()
    );
}

/// `lib/pythonX.Y/site-packages` of `venv`.
fn site_packages_of(venv: &Path) -> PathBuf {
    let lib = venv.join("lib");
    let version = std::fs::read_dir(&lib)
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().starts_with("python"))
        .unwrap()
        .file_name();
    lib.join(version).join("site-packages")
}
