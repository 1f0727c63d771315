//! `wharf install` of paths — wheel files, project directories (PEP 517), `-e` (PEP 660),
//! sdists — end to end against pip 24.2 as the peer: the same inputs installed into two fresh
//! environments, one by pip and one by wharf, give the same `pip freeze`, the same files in
//! site-packages, the same `direct_url.json`, and `pip uninstall` works on wharf's installs.
//! The backends are real, pinned wheels from PyPI (`scripts/fetch-build-backends.py`, cached
//! in `.cache/build-backends`): setuptools 75.1.0, flit_core 3.9.0, hatchling 1.25.0.
//!
//! Needs `WHARF_TEST_PYTHON` (`eval "$(scripts/test-env.sh)"`) and, the first time, PyPI.

#[path = "support/sci.rs"]
mod sci;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use sci::{Peers, Run, command, peers, run, site_packages};

/// The backends' wheelhouse (fetched once per test binary).
fn backends(peers: &Peers) -> &'static Path {
    &fetched(peers).0
}

/// The pinned real sdists (`docopt-0.6.2.tar.gz`), in a directory of their own.
fn real_sdists(peers: &Peers) -> &'static Path {
    &fetched(peers).1
}

fn fetched(peers: &Peers) -> &'static (PathBuf, PathBuf) {
    sci::build_backends_and_sdists(peers)
}

fn write(path: &Path, text: &str) {
    fs_err::create_dir_all(path.parent().unwrap()).unwrap();
    fs_err::write(path, text).unwrap();
}

/// A project of `backend` (`setuptools`, `legacy` setup.py, `flit`, `hatch`) named `name`
/// (module of the same name), version 0.1, depending on `packaging`.
fn project(root: &Path, backend: &str, name: &str) -> PathBuf {
    let dir = root.join(name);
    let project = format!(
        "[project]\nname = \"{name}\"\nversion = \"0.1\"\ndescription = \"x\"\ndependencies = [\"packaging\"]\n"
    );
    match backend {
        "setuptools" => write(
            &dir.join("pyproject.toml"),
            &format!(
                "[build-system]\nrequires = [\"setuptools>=64\"]\nbuild-backend = \"setuptools.build_meta\"\n\n{project}"
            ),
        ),
        "legacy" => write(
            &dir.join("setup.py"),
            &format!(
                "from setuptools import setup\nsetup(name=\"{name}\", version=\"0.1\", packages=[\"{name}\"], install_requires=[\"packaging\"])\n"
            ),
        ),
        "flit" => write(
            &dir.join("pyproject.toml"),
            &format!(
                "[build-system]\nrequires = [\"flit_core>=3.4,<4\"]\nbuild-backend = \"flit_core.buildapi\"\n\n{project}"
            ),
        ),
        "hatch" => write(
            &dir.join("pyproject.toml"),
            &format!(
                "[build-system]\nrequires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"\n\n{project}"
            ),
        ),
        other => panic!("no backend {other}"),
    }
    write(&dir.join(name).join("__init__.py"), "VALUE = 1\n");
    dir
}

/// wharf with the same sources as [`pip_install`]: only the `-f` directories (`-f` adds to
/// a configured wheelhouse, as pip's does, so the site's pip config is left out).
fn wharf_install(peers: &Peers, venv: &Path, cwd: &Path, args: &[&str]) -> Run {
    run(peers
        .wharf()
        .env("PIP_CONFIG_FILE", "/dev/null")
        .current_dir(cwd)
        .arg("install")
        .arg("--python")
        .arg(venv)
        .arg("-f")
        .arg(backends(peers))
        .args(args))
}

fn pip_install(peers: &Peers, venv: &Path, cwd: &Path, args: &[&str]) -> Run {
    run(peers
        .pip(venv)
        .current_dir(cwd)
        .args(["install", "--quiet", "--no-index", "-f"])
        .arg(backends(peers))
        .args(args))
}

fn freeze(peers: &Peers, venv: &Path) -> String {
    run(peers.pip(venv).arg("freeze")).success().stdout()
}

/// The files of site-packages, without bytecode and the installer's name.
fn files(venv: &Path) -> BTreeSet<String> {
    let root = site_packages(venv);
    let mut out = BTreeSet::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in fs_err::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let relative = path
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if relative.contains("__pycache__") || relative.ends_with("INSTALLER") {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else {
                out.insert(relative);
            }
        }
    }
    out
}

fn direct_url(venv: &Path, dist_info: &str) -> serde_json::Value {
    let text = fs_err::read_to_string(site_packages(venv).join(dist_info).join("direct_url.json"))
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

/// pip and wharf install the same `args` into fresh venvs: the same freeze, files and
/// `direct_url.json` of `dist_info`; `pip uninstall name` then works on wharf's venv.
fn same_as_pip(peers: &Peers, cwd: &Path, args: &[&str], dist_info: &str, name: &str) -> PathBuf {
    let by_pip = peers.new_venv(&cwd.join("by-pip"));
    let by_wharf = peers.new_venv(&cwd.join("by-wharf"));
    wharf_install(peers, &by_wharf, cwd, args).success();
    pip_install(peers, &by_pip, cwd, args).success();
    assert_eq!(
        freeze(peers, &by_wharf),
        freeze(peers, &by_pip),
        "freeze of {args:?}"
    );
    assert_eq!(
        files(&by_wharf),
        files(&by_pip),
        "site-packages of {args:?}"
    );
    assert_eq!(
        direct_url(&by_wharf, dist_info),
        direct_url(&by_pip, dist_info)
    );
    let import = format!("import {name}; print({name}.VALUE)");
    run(command(by_wharf.join("bin/python")).args(["-c", &import])).success();
    run(peers.pip(&by_wharf).args(["uninstall", "-y", name])).success();
    assert!(
        !freeze(peers, &by_wharf).contains(name),
        "pip uninstall left {name}"
    );
    by_wharf
}

#[test]
fn local_wheel_and_name_at_file_url_match_pip() {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let wheel = backends(peers).join("pluggy-1.5.0-py3-none-any.whl");
    let copy = dir.path().join("pluggy-1.5.0-py3-none-any.whl");
    fs_err::copy(&wheel, &copy).unwrap();
    // A wheel path in a requirements file, mixed with a name.
    write(
        &dir.path().join("req.txt"),
        "./pluggy-1.5.0-py3-none-any.whl\npackaging\n",
    );
    let venv = dir.path().join("a");
    fs_err::create_dir_all(&venv).unwrap();
    let by_pip = peers.new_venv(&venv.join("pip"));
    let by_wharf = peers.new_venv(&venv.join("wharf"));
    wharf_install(peers, &by_wharf, dir.path(), &["-r", "req.txt"]).success();
    pip_install(peers, &by_pip, dir.path(), &["-r", "req.txt"]).success();
    assert_eq!(freeze(peers, &by_wharf), freeze(peers, &by_pip));
    assert_eq!(files(&by_wharf), files(&by_pip));
    assert_eq!(
        direct_url(&by_wharf, "pluggy-1.5.0.dist-info"),
        direct_url(&by_pip, "pluggy-1.5.0.dist-info")
    );
    run(peers.pip(&by_wharf).args(["uninstall", "-y", "pluggy"])).success();

    // `name @ file:///…` as an argument.
    let url = format!("pluggy @ file://{}", copy.display());
    let b = dir.path().join("b");
    fs_err::create_dir_all(&b).unwrap();
    same_as_pip_url(peers, &b, &url);
}

fn same_as_pip_url(peers: &Peers, cwd: &Path, url: &str) {
    let by_pip = peers.new_venv(&cwd.join("pip"));
    let by_wharf = peers.new_venv(&cwd.join("wharf"));
    wharf_install(peers, &by_wharf, cwd, &[url]).success();
    pip_install(peers, &by_pip, cwd, &[url]).success();
    assert_eq!(freeze(peers, &by_wharf), freeze(peers, &by_pip));
    assert_eq!(
        direct_url(&by_wharf, "pluggy-1.5.0.dist-info"),
        direct_url(&by_pip, "pluggy-1.5.0.dist-info")
    );
}

#[test]
fn project_directories_match_pip_for_each_backend() {
    let Some(peers) = peers() else { return };
    for (backend, name) in [
        ("setuptools", "st_demo"),
        ("legacy", "legacy_demo"),
        ("flit", "flit_demo"),
        ("hatch", "hatch_demo"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = project(dir.path(), backend, name);
        let relative = format!("./{}", path.file_name().unwrap().to_string_lossy());
        same_as_pip(
            peers,
            dir.path(),
            &[&relative],
            &format!("{name}-0.1.dist-info"),
            name,
        );
    }
}

#[test]
fn editable_installs_match_pip_and_see_edits() {
    let Some(peers) = peers() else { return };
    for (backend, name) in [
        ("setuptools", "st_edit"),
        ("flit", "flit_edit"),
        ("hatch", "hatch_edit"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = project(dir.path(), backend, name);
        let relative = format!("./{name}");
        let venv = same_as_pip(
            peers,
            dir.path(),
            &["-e", &relative],
            &format!("{name}-0.1.dist-info"),
            name,
        );
        // Reinstalled by wharf, then edited: the edit is seen without reinstalling.
        wharf_install(peers, &venv, dir.path(), &["-e", &relative]).success();
        assert!(freeze(peers, &venv).contains(&format!("-e {}", path.display())));
        write(&path.join(name).join("__init__.py"), "VALUE = 2\n");
        let out = run(command(venv.join("bin/python"))
            .args(["-c", &format!("import {name}; print({name}.VALUE)")]))
        .success();
        assert_eq!(out.stdout().trim(), "2", "{backend}: the edit is not seen");
    }
}

#[test]
fn built_wheels_are_cached_for_the_next_environment() {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    project(dir.path(), "flit", "cached_demo");
    let first = peers.new_venv(&dir.path().join("1"));
    let second = peers.new_venv(&dir.path().join("2"));
    let built = wharf_install(peers, &first, dir.path(), &["./cached_demo"]).success();
    assert!(
        built.stderr().contains("Building a wheel for"),
        "{}",
        built.transcript()
    );
    let again = wharf_install(peers, &second, dir.path(), &["./cached_demo"]).success();
    assert!(
        !again.stderr().contains("Building"),
        "{}",
        again.transcript()
    );
    // A change of the source tree is a new build.
    write(
        &dir.path().join("cached_demo/cached_demo/extra.py"),
        "X = 1\n",
    );
    let changed = wharf_install(peers, &second, dir.path(), &["./cached_demo"]).success();
    assert!(
        changed.stderr().contains("Building a wheel for"),
        "{}",
        changed.transcript()
    );
    assert!(
        site_packages(&second)
            .join("cached_demo/extra.py")
            .is_file()
    );
}

/// A failed request: exit 1, the message, a hint, and the environment unchanged.
fn fails(peers: &Peers, cwd: &Path, args: &[&str], wants: &[&str]) -> Run {
    let venv = cwd.join("env");
    let venv = if venv.exists() {
        venv
    } else {
        peers.new_venv(cwd)
    };
    let before = freeze(peers, &venv);
    let out = wharf_install(peers, &venv, cwd, args).exit_code(1);
    let stderr = out.stderr();
    assert!(stderr.contains("hint: "), "{}", out.transcript());
    for want in wants {
        assert!(
            stderr.contains(want),
            "missing {want:?}:\n{}",
            out.transcript()
        );
    }
    assert_eq!(freeze(peers, &venv), before, "the environment changed");
    out
}

#[test]
fn bad_paths_and_projects_are_explained() {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    fails(
        peers,
        cwd,
        &["./missing"],
        &["`./missing`", "does not exist"],
    );
    fs_err::create_dir_all(cwd.join("empty")).unwrap();
    fails(
        peers,
        cwd,
        &["./empty"],
        &["is not a Python project", "pyproject.toml"],
    );
    write(
        &cwd.join("broken/pyproject.toml"),
        "[build-system]\nrequires = \"setuptools\"\n",
    );
    fails(
        peers,
        cwd,
        &["./broken"],
        &["line 2", "`build-system.requires` must be a list"],
    );
    write(&cwd.join("badtoml/pyproject.toml"), "[project\nname = 1\n");
    fails(peers, cwd, &["./badtoml"], &["line 1", "invalid TOML"]);
    write(
        &cwd.join("nobackend/pyproject.toml"),
        "[build-system]\nrequires = [\"poetry-core>=1\"]\nbuild-backend = \"poetry.core.masonry.api\"\n",
    );
    fails(
        peers,
        cwd,
        &["./nobackend"],
        &["`poetry-core` must be added to the wheelhouse"],
    );
    let failing = project(cwd, "legacy", "failing_demo");
    write(
        &failing.join("setup.py"),
        "raise SystemExit('this build fails on purpose')\n",
    );
    let out = fails(
        peers,
        cwd,
        &["./failing_demo", "packaging"],
        &["this build fails on purpose", "build output is in"],
    );
    let log = out
        .stderr()
        .split("build output is in `")
        .nth(1)
        .unwrap()
        .split('`')
        .next()
        .unwrap()
        .to_string();
    assert!(
        fs_err::read_to_string(log)
            .unwrap()
            .contains("this build fails on purpose")
    );
    fails(peers, cwd, &["-e", "./missing"], &["does not exist"]);
}

#[test]
fn no_build_isolation_uses_the_target_environment() {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    project(dir.path(), "flit", "noiso_demo");
    let venv = peers.new_venv(dir.path());
    // Without flit_core in the environment the build fails; with it, it works.
    fails(
        peers,
        dir.path(),
        &["--no-build-isolation", "./noiso_demo"],
        &["flit_core"],
    );
    wharf_install(peers, &venv, dir.path(), &["flit_core", "packaging"]).success();
    wharf_install(
        peers,
        &venv,
        dir.path(),
        &["--no-build-isolation", "./noiso_demo"],
    )
    .success();
    assert!(freeze(peers, &venv).contains("noiso_demo @ file://"));
}

/// `wharf venv VENV --python BASE --from LOCK`, no pip config, the backends as find-links
/// (what a locked sdist or project is built with).
fn venv_from(peers: &Peers, venv: &Path, lock: &Path) -> Run {
    run(peers
        .wharf()
        .env("PIP_CONFIG_FILE", "/dev/null")
        .env("PIP_FIND_LINKS", backends(peers))
        .arg("venv")
        .arg(venv)
        .arg("--python")
        .arg(&peers.base_python)
        .arg("--from")
        .arg(lock))
}

/// An sdist `{name}-0.2.tar.gz` of a flit project in `dir`.
fn sdist(peers: &Peers, dir: &Path, name: &str) -> PathBuf {
    let src = dir.join("src");
    let tree = project(&src, "flit", name);
    let versioned = src.join(format!("{name}-0.2"));
    fs_err::rename(&tree, &versioned).unwrap();
    let pyproject = fs_err::read_to_string(versioned.join("pyproject.toml")).unwrap();
    write(
        &versioned.join("pyproject.toml"),
        &pyproject.replace("version = \"0.1\"", "version = \"0.2\""),
    );
    write(
        &versioned.join("PKG-INFO"),
        &format!("Metadata-Version: 2.1\nName: {name}\nVersion: 0.2\n"),
    );
    let archive = dir.join(format!("{name}-0.2.tar.gz"));
    run(command(&peers.test_python).args([
        "-c",
        "import sys, tarfile; t = tarfile.open(sys.argv[1], 'w:gz'); t.add(sys.argv[2], arcname=sys.argv[3]); t.close()",
    ]).arg(&archive).arg(&versioned).arg(format!("{name}-0.2")))
    .success();
    archive
}

#[test]
fn sdist_in_find_links_is_built_only_without_a_wheel() {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let links = dir.path().join("links");
    fs_err::create_dir_all(&links).unwrap();
    sdist(peers, &links, "sdist_demo");
    let links_text = links.to_string_lossy().into_owned();
    let by_pip = peers.new_venv(&dir.path().join("pip"));
    let by_wharf = peers.new_venv(&dir.path().join("wharf"));
    // Issue 18: `--only-binary` (of the project, or `:all:`) forbids the build, as pip's does.
    for only in ["sdist_demo", ":all:"] {
        let refused = wharf_install(
            peers,
            &by_wharf,
            dir.path(),
            &["-f", &links_text, "--only-binary", only, "sdist_demo"],
        )
        .exit_code(1);
        assert!(
            !refused.stderr().contains("Building"),
            "{}",
            refused.transcript()
        );
        let pip_refused = pip_install(
            peers,
            &by_pip,
            dir.path(),
            &["-f", &links_text, "--only-binary", only, "sdist_demo"],
        );
        assert_ne!(pip_refused.code(), Some(0), "{}", pip_refused.transcript());
    }
    let out = wharf_install(
        peers,
        &by_wharf,
        dir.path(),
        &["-f", &links_text, "sdist_demo"],
    )
    .success();
    let stderr = out.stderr();
    let announced: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("Building"))
        .map(str::trim)
        .collect::<Vec<_>>();
    assert_eq!(
        announced,
        ["Building sdist_demo-0.2.tar.gz (a source distribution of the wheelhouse)"],
        "{}",
        out.transcript()
    );
    pip_install(
        peers,
        &by_pip,
        dir.path(),
        &["-f", &links_text, "sdist_demo"],
    )
    .success();
    assert_eq!(freeze(peers, &by_wharf), freeze(peers, &by_pip));
    assert_eq!(files(&by_wharf), files(&by_pip));
    // The next environment takes the built wheel from the cache.
    let next = peers.new_venv(&dir.path().join("next"));
    let again =
        wharf_install(peers, &next, dir.path(), &["-f", &links_text, "sdist_demo"]).success();
    assert!(
        !again.stderr().contains("Building"),
        "{}",
        again.transcript()
    );
    // A project with a wheel in the wheelhouse: no build.
    let flit = peers.new_venv(&dir.path().join("flit"));
    let with_wheel = wharf_install(peers, &flit, dir.path(), &["flit_core"]).success();
    assert!(
        !with_wheel.stderr().contains("Building"),
        "{}",
        with_wheel.transcript()
    );
}

/// Issue 18 §1: an sdist is a candidate at every version, not only when a project has no
/// wheel at all. The newer wheel of `older_sdist` requires a Python that does not exist, so
/// its older sdist is built, by wharf as by pip and uv (0.13, when present); `wharf lock`
/// locks the sdist (PEP 751 `sdist` with its sha256 and size) and `venv --from` builds it,
/// after checking that hash: a replaced sdist is refused before anything is built.
#[test]
fn an_older_sdist_is_built_locked_and_synced_when_newer_wheels_are_ruled_out() {
    use sha2::Digest;
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let links = dir.path().join("links");
    fs_err::create_dir_all(&links).unwrap();
    let archive = sdist(peers, &links, "older_sdist");
    wharf_test_support::WheelBuilder::new("older_sdist", "0.3", true, &[])
        .metadata_line("Requires-Python: >=3.99")
        .file("older_sdist/__init__.py", b"VALUE = 3\n")
        .write(&links.join("older_sdist-0.3-py3-none-any.whl"));
    let links_text = links.to_string_lossy().into_owned();
    let by_wharf = peers.new_venv(&dir.path().join("wharf"));
    wharf_install(
        peers,
        &by_wharf,
        dir.path(),
        &["-f", &links_text, "older_sdist"],
    )
    .success();
    let by_pip = peers.new_venv(&dir.path().join("pip"));
    pip_install(
        peers,
        &by_pip,
        dir.path(),
        &["-f", &links_text, "older_sdist"],
    )
    .success();
    let wharf_freeze = freeze(peers, &by_wharf);
    assert!(wharf_freeze.contains("older_sdist==0.2"), "{wharf_freeze}");
    assert_eq!(wharf_freeze, freeze(peers, &by_pip));
    if let Some(bin) = sci::current_peers() {
        let by_uv = dir.path().join("uv");
        let cache = dir.path().join("uv-cache");
        run(command(bin.join("uv"))
            .args(["venv", "--no-config", "-q", "--python"])
            .arg(&peers.base_python)
            .arg(&by_uv)
            .env("UV_CACHE_DIR", &cache))
        .success();
        run(command(bin.join("uv"))
            .args([
                "pip",
                "install",
                "--no-config",
                "-q",
                "--no-index",
                "--python",
            ])
            .arg(&by_uv)
            .args(["-f", &links_text, "-f"])
            .arg(backends(peers))
            .arg("older_sdist")
            .env("UV_CACHE_DIR", &cache))
        .success();
        assert_eq!(wharf_freeze, freeze(peers, &by_uv));
    }

    // The lock names the sdist, with its hash and size, and no wheel of it.
    let lock = dir.path().join("pylock.toml");
    let locked = run(peers
        .wharf()
        .env("PIP_CONFIG_FILE", "/dev/null")
        .current_dir(dir.path())
        .args(["lock", "--python"])
        .arg(&peers.base_python)
        .args(["-f", &links_text, "-f"])
        .arg(backends(peers))
        .arg("older_sdist")
        .arg("-o")
        .arg(&lock))
    .success();
    let text = fs_err::read_to_string(&lock).unwrap();
    let bytes = fs_err::read(&archive).unwrap();
    let sha256 = data_encoding::HEXLOWER.encode(&sha2::Sha256::digest(&bytes));
    let package = text
        .split("[[packages]]")
        .find(|p| p.contains("name = \"older-sdist\""))
        .unwrap_or_else(|| panic!("{text}\n{}", locked.transcript()));
    assert!(
        package.contains("[packages.sdist]")
            && package.contains("name = \"older_sdist-0.2.tar.gz\"")
            && package.contains(&format!("size = {}", bytes.len()))
            && package.contains(&sha256)
            && !package.contains("wheels"),
        "{text}"
    );

    // The job environment from the lock builds the sdist (the build cache may have it) and
    // imports it; the wheelhouse's build backends come from the configured find-links.
    let job = dir.path().join("job");
    venv_from(peers, &job, &lock).success();
    let imported = run(command(job.join("bin/python"))
        .args(["-c", "import older_sdist; print(older_sdist.VALUE)"]))
    .success();
    assert_eq!(imported.stdout().trim(), "1");

    // Another sdist under the locked name: refused by its hash, nothing built or made.
    let original = fs_err::read(&archive).unwrap();
    let mut tampered = original.clone();
    tampered.extend_from_slice(b"\0");
    fs_err::write(&archive, &tampered).unwrap();
    let refused = venv_from(peers, &dir.path().join("job2"), &lock).exit_code(1);
    assert!(
        refused.stderr().contains("older_sdist-0.2.tar.gz")
            && !refused.stderr().contains("Building"),
        "{}",
        refused.transcript()
    );
    assert!(
        !dir.path().join("job2").exists(),
        "{}",
        refused.transcript()
    );
}

/// Issue 18 §1 on a real sdist (docopt 0.6.2: only an sdist on PyPI, a legacy `setup.py`):
/// `wharf lock` locks it (it refused: "wharf installs wheels only"), the job environment made
/// from the lock builds it and imports it, and the result is pip's.
#[test]
fn a_real_sdist_only_project_is_locked_and_built_from_the_lock() {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let sdists = real_sdists(peers).to_string_lossy().into_owned();
    let lock = dir.path().join("pylock.toml");
    let locked = run(peers
        .wharf()
        .env("PIP_CONFIG_FILE", "/dev/null")
        .env("PIP_FIND_LINKS", backends(peers))
        .args(["lock", "--python"])
        .arg(&peers.base_python)
        .args(["-f", &sdists, "docopt==0.6.2", "-o"])
        .arg(&lock))
    .success();
    let text = fs_err::read_to_string(&lock).unwrap();
    assert!(
        text.contains("name = \"docopt-0.6.2.tar.gz\"")
            && text.contains("49b3a825280bd66b3aa83585ef59c4a8c82f2c8a522dbe754a8bc8d08c85c491")
            && text.contains("size = 25901"),
        "{text}\n{}",
        locked.transcript()
    );
    let job = dir.path().join("job");
    venv_from(peers, &job, &lock).success();
    run(command(job.join("bin/python")).args([
        "-c",
        "import docopt; assert docopt.docopt('usage: x [--v]', ['--v']) == {'--v': True}",
    ]))
    .success();
    let by_pip = peers.new_venv(&dir.path().join("pip"));
    pip_install(
        peers,
        &by_pip,
        dir.path(),
        &["-f", &sdists, "docopt==0.6.2"],
    )
    .success();
    assert_eq!(freeze(peers, &job), freeze(peers, &by_pip));
    assert_eq!(files(&job), files(&by_pip));
}

/// pip's `--no-binary` and `--prefer-binary` (issue 18 §1), against pip (and uv 0.13 for
/// `--no-binary`, when present): `binopt` has a wheel 0.1 and an sdist 0.2.
#[test]
fn no_binary_and_prefer_binary_choose_as_pip_does() {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let links = dir.path().join("links");
    fs_err::create_dir_all(&links).unwrap();
    sdist(peers, &links, "binopt");
    wharf_test_support::WheelBuilder::new("binopt", "0.1", true, &[])
        .file("binopt/__init__.py", b"VALUE = 0\n")
        .write(&links.join("binopt-0.1-py3-none-any.whl"));
    let links_text = links.to_string_lossy().into_owned();
    let cases: [(&str, &[&str]); 4] = [
        ("default", &["binopt"]),
        ("prefer", &["--prefer-binary", "binopt"]),
        ("only", &["--only-binary", ":all:", "binopt"]),
        (
            "no-binary",
            &[
                "--no-binary",
                ":all:",
                "--only-binary",
                "flit_core,packaging",
                "binopt",
            ],
        ),
    ];
    for (label, args) in cases {
        let mut wharf_args = vec!["-f", links_text.as_str()];
        wharf_args.extend_from_slice(args);
        let by_wharf = peers.new_venv(&dir.path().join(format!("wharf-{label}")));
        let out = wharf_install(peers, &by_wharf, dir.path(), &wharf_args).success();
        let by_pip = peers.new_venv(&dir.path().join(format!("pip-{label}")));
        pip_install(peers, &by_pip, dir.path(), &wharf_args).success();
        assert_eq!(
            freeze(peers, &by_wharf),
            freeze(peers, &by_pip),
            "{label}: {}",
            out.transcript()
        );
        // The wheel 0.1 holds VALUE = 0; a build of the sdist (any version) VALUE = 1.
        let value =
            run(command(by_wharf.join("bin/python"))
                .args(["-c", "import binopt; print(binopt.VALUE)"]))
            .success()
            .stdout();
        let expected = if matches!(label, "default" | "no-binary") {
            "1"
        } else {
            "0"
        };
        assert_eq!(value.trim(), expected, "{label}: {}", out.transcript());
    }
    // `--no-binary binopt` with `==0.1`: only a wheel has that version; both refuse.
    let args = [
        "-f",
        links_text.as_str(),
        "--no-binary",
        "binopt",
        "binopt==0.1",
    ];
    let refused = peers.new_venv(&dir.path().join("refused"));
    wharf_install(peers, &refused, dir.path(), &args).exit_code(1);
    assert_ne!(
        pip_install(peers, &refused, dir.path(), &args).code(),
        Some(0)
    );
}

#[test]
fn sdist_path_matches_pip() {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    sdist(peers, dir.path(), "sdist_path_demo");
    same_as_pip(
        peers,
        dir.path(),
        &["./sdist_path_demo-0.2.tar.gz"],
        "sdist_path_demo-0.2.dist-info",
        "sdist_path_demo",
    );
}

/// A setuptools project with a C extension, compiled by the machine's gcc in the isolated
/// build environment; the module imports and runs.
#[test]
fn c_extension_builds_with_gcc() {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("cext_demo");
    write(
        &root.join("pyproject.toml"),
        "[build-system]\nrequires = [\"setuptools>=64\"]\nbuild-backend = \"setuptools.build_meta\"\n\n[project]\nname = \"cext_demo\"\nversion = \"0.1\"\n",
    );
    write(
        &root.join("setup.py"),
        "from setuptools import Extension, setup\nsetup(ext_modules=[Extension(\"cext_demo\", [\"cext_demo.c\"])])\n",
    );
    write(
        &root.join("cext_demo.c"),
        r#"#define PY_SSIZE_T_CLEAN
#include <Python.h>
static PyObject *add(PyObject *self, PyObject *args) {
    long a, b;
    if (!PyArg_ParseTuple(args, "ll", &a, &b)) return NULL;
    return PyLong_FromLong(a + b);
}
static PyMethodDef methods[] = {{"add", add, METH_VARARGS, "a + b"}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "cext_demo", NULL, -1, methods};
PyMODINIT_FUNC PyInit_cext_demo(void) { return PyModule_Create(&module); }
"#,
    );
    let by_pip = peers.new_venv(&dir.path().join("pip"));
    let by_wharf = peers.new_venv(&dir.path().join("wharf"));
    wharf_install(peers, &by_wharf, dir.path(), &["./cext_demo"]).success();
    let out = run(command(by_wharf.join("bin/python"))
        .args(["-c", "import cext_demo; print(cext_demo.add(2, 40))"]))
    .success();
    assert_eq!(out.stdout().trim(), "42");
    pip_install(peers, &by_pip, dir.path(), &["./cext_demo"]).success();
    assert_eq!(freeze(peers, &by_wharf), freeze(peers, &by_pip));
    assert_eq!(files(&by_wharf), files(&by_pip));
    run(peers.pip(&by_wharf).args(["uninstall", "-y", "cext_demo"])).success();
}
