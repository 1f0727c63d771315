//! `pip` inside a wharf environment (issue 20 §1): the site wiki's job recipe runs unchanged,
//! in an activated environment, and installs into that environment (before, a wharf venv had no
//! `pip`, so `pip install` ran the module's pip and installed into the module's Python).
//!
//! Needs `WHARF_TEST_PYTHON` (`eval "$(scripts/test-env.sh)"`), like `install_e2e.rs`.

#[path = "support/sci.rs"]
mod sci;

use sci::{command, peers, run};

/// The wiki's recipe, word for word after `wharf venv`: activate, upgrade pip, install the
/// requirements with `--no-index`, freeze; the base interpreter is left alone.
#[test]
fn the_site_recipe_runs_unchanged_in_a_wharf_environment() {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let env = dir.path().join("env");
    let created = run(peers
        .wharf()
        .arg("venv")
        .arg(&env)
        .arg("--python")
        .arg(&peers.base_python))
    .success();
    assert!(
        created
            .stderr()
            .contains("pip in this environment is wharf's pip front end"),
        "{}",
        created.transcript()
    );
    for name in ["pip", "pip3", "pip3.11"] {
        assert!(env.join("bin").join(name).is_file(), "bin/{name}");
    }
    std::fs::write(
        dir.path().join("requirements.txt"),
        "six==1.16.0\npython-dateutil\n",
    )
    .unwrap();
    let base_site = run(command(&peers.base_python).args([
        "-c",
        "import sysconfig; print(sysconfig.get_paths()['purelib'])",
    ]))
    .success()
    .stdout()
    .trim()
    .to_string();
    let listing = || {
        let mut names: Vec<String> = std::fs::read_dir(&base_site)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let before = listing();
    let script = format!(
        "set -e\n\
         source {env}/bin/activate\n\
         pip install --no-index --upgrade pip\n\
         pip install --no-index -r requirements.txt\n\
         python -c 'import six, dateutil; print(six.__file__)'\n\
         pip freeze\n\
         pip list --format=json\n",
        env = env.display()
    );
    let recipe = run(peers
        .on_site("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(dir.path())
        // A plain PATH: no pyenv shims (whose `deactivate` is not a venv's).
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("WHARF_CACHE_DIR", dir.path().join("cache")));
    assert_eq!(recipe.code(), Some(0), "{}", recipe.transcript());
    let stdout = recipe.stdout();
    assert!(
        stdout.contains("is wharf's pip front end: nothing to install"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "{}/lib/python3.11/site-packages/six.py",
            env.display()
        )),
        "{stdout}"
    );
    assert!(stdout.contains("six==1.16.0+computecanada"), "{stdout}");
    assert!(
        stdout.contains("{\"name\": \"python-dateutil\", \"version\": "),
        "{stdout}"
    );
    assert_eq!(
        listing(),
        before,
        "the base interpreter's site-packages changed"
    );

    // What wharf cannot honour is refused by name, with the way out; nothing changes.
    let refused = run(peers.on_site(env.join("bin/pip")).args([
        "install",
        "--use-feature",
        "fast-deps",
        "tabulate",
    ]));
    assert_eq!(refused.code(), Some(2), "{}", refused.transcript());
    assert!(
        refused
            .stderr()
            .contains("`pip install --use-feature` is not supported")
            && refused.stderr().contains("wharf venv --seed"),
        "{}",
        refused.transcript()
    );
}

/// Issue 20 §1: `python -m pip` in a wharf environment (no real pip) says what to run
/// instead, exit 2, instead of "No module named pip"; `import pip` still fails as without pip;
/// installing the real pip replaces the answer with pip itself.
#[test]
fn python_dash_m_pip_says_what_to_run_and_gives_way_to_the_real_pip() {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let env = peers.new_venv(dir.path());
    let python = env.join("bin/python");
    let answer = run(command(&python).args(["-m", "pip", "install", "-r", "requirements.txt"]));
    assert_eq!(answer.code(), Some(2), "{}", answer.transcript());
    assert!(
        answer
            .stderr()
            .contains("hint: run `pip install -r requirements.txt`")
            && answer.stderr().contains("wharf venv --seed"),
        "{}",
        answer.transcript()
    );
    let imported = run(command(&python).args(["-c", "import pip"]));
    assert!(
        imported.code() == Some(1)
            && imported
                .stderr()
                .contains("ImportError: pip is not installed"),
        "{}",
        imported.transcript()
    );
    // Not a distribution: nothing lists it.
    let listed = run(peers
        .wharf()
        .args(["list", "--format=freeze", "--python"])
        .arg(&env))
    .success();
    assert!(!listed.stdout().contains("pip"), "{}", listed.transcript());
    // The real pip (the site's wheel) takes its place.
    run(peers
        .wharf()
        .args(["install", "--python"])
        .arg(&env)
        .arg("pip"))
    .success();
    let real = run(command(&python).args(["-m", "pip", "--version"])).success();
    assert!(
        real.stdout().starts_with("pip 24.2"),
        "{}",
        real.transcript()
    );
}

/// Issue 20 §3: with no environment active, `wharf install` finds the `./.venv` that `wharf
/// venv` (without a path) creates, from the project directory or below it, as uv does.
#[test]
fn install_finds_the_dot_venv_of_the_project() {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    run(peers
        .wharf()
        .arg("venv")
        .arg("--python")
        .arg(&peers.base_python)
        .current_dir(dir.path()))
    .success();
    assert!(dir.path().join(".venv/pyvenv.cfg").is_file());
    let below = dir.path().join("src/pkg");
    std::fs::create_dir_all(&below).unwrap();
    run(peers.wharf().args(["install", "six"]).current_dir(&below)).success();
    let out = run(command(dir.path().join(".venv/bin/python"))
        .args(["-c", "import six; print(six.__file__)"]))
    .success()
    .stdout();
    assert!(
        out.contains(".venv/lib/python3.11/site-packages/six.py"),
        "{out}"
    );
}

/// Issue 20 §2: `freeze`, `list --format=freeze` and `list --format=json` print byte for byte
/// what pip 26.3 prints for the same environment (pip's JSON is Python's `json.dumps`: `", "`
/// and `": "`; wharf's was compact).
#[test]
fn outputs_match_pip_26_byte_for_byte() {
    let Some(peers) = peers() else { return };
    let Some(bin) = sci::current_peers() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let venv = peers.new_venv(dir.path());
    run(peers
        .wharf()
        .args(["install", "pandas", "--python"])
        .arg(&venv))
    .success();
    for args in [
        &["freeze"][..],
        &["list", "--format=freeze"][..],
        &["list", "--format=json"][..],
    ] {
        let pip = run(sci::pip_on(command(bin.join("python")), &venv).args(args))
            .success()
            .stdout();
        let wharf = run(command(env!("CARGO_BIN_EXE_wharf"))
            .args(["pip", "--python"])
            .arg(&venv)
            .args(args))
        .success()
        .stdout();
        assert_eq!(wharf, pip, "{args:?}");
    }
}

/// A wheel whose metadata is 2.4 with a `License-Expression` (pip 26's `show` prints it in
/// place of `License`), a homepage only as a `Project-URL`, entry points and files.
fn licensed_wheel(dir: &std::path::Path) -> std::path::PathBuf {
    let info = "licensed_demo-1.0.dist-info";
    let metadata = "Metadata-Version: 2.4\n\
                    Name: licensed-demo\n\
                    Version: 1.0\n\
                    Summary: A wheel with a license expression\n\
                    Author-email: Ada <ada@example.org>\n\
                    License-Expression: MIT OR Apache-2.0\n\
                    License-File: LICENSE\n\
                    Project-URL: Home-Page, https://example.org/demo\n\
                    Project-URL: Source, https://example.org/src\n\
                    Classifier: Programming Language :: Python :: 3\n\
                    Requires-Dist: six>=1.10\n\
                    Requires-Dist: Python-DateUtil; python_version >= \"3\"\n\
                    Requires-Dist: numpy; python_version < \"3\"\n\
                    Requires-Dist: pytz; extra == \"tz\"\n\
                    Provides-Extra: tz\n\n";
    wharf_test_support::WheelBuilder::bare(info)
        .file(&format!("{info}/METADATA"), metadata.as_bytes())
        .file(
            &format!("{info}/WHEEL"),
            b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        .file(
            &format!("{info}/entry_points.txt"),
            b"[console_scripts]\nlicensed-demo = licensed_demo:main\n",
        )
        .file(&format!("{info}/licenses/LICENSE"), b"MIT\n")
        .file("licensed_demo/__init__.py", b"def main():\n    pass\n")
        .file("licensed_demo/data/table.txt", b"1 2 3\n")
        .record(wharf_test_support::RecordMode::Correct)
        .write(&dir.join("licensed_demo-1.0-py3-none-any.whl"))
}

/// Runs the same pip command line through pip 26.3 and `wharf pip` on `venv`: same exit code,
/// same stdout, byte for byte; a difference is added to `differences`.
fn same_as_pip_26(
    bin: &std::path::Path,
    venv: &std::path::Path,
    args: &[&str],
    differences: &mut Vec<String>,
) {
    let pip = run(sci::pip_on(command(bin.join("python")), venv).args(args));
    let wharf = run(command(env!("CARGO_BIN_EXE_wharf"))
        .env("NO_COLOR", "1")
        .args(["pip", "--python"])
        .arg(venv)
        .args(args));
    if (wharf.code(), wharf.stdout()) != (pip.code(), pip.stdout()) {
        differences.push(format!(
            "{args:?}\npip 26:\n{}\nwharf:\n{}",
            pip.transcript(),
            wharf.transcript()
        ));
    }
}

/// Issue 20 §2: `freeze [--all]`, `list --format=freeze|json`, `show [-f|-v]` (with pip 26's
/// `License-Expression`) and `check` (consistent, then a missing and a conflicting dependency)
/// print byte for byte what pip 26.3 prints, with its exit code, on one environment of real
/// wheels.
#[test]
fn show_check_and_freeze_match_pip_26_byte_for_byte() {
    let Some(peers) = peers() else { return };
    let Some(bin) = sci::current_peers() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let venv = peers.new_venv(dir.path());
    let wheel = licensed_wheel(dir.path());
    let mut differences = Vec::new();
    run(peers
        .wharf()
        .args(["install", "pandas", "setuptools", "wheel", "--python"])
        .arg(&venv)
        .arg(&wheel))
    .success();
    for args in [
        &["freeze"][..],
        &["freeze", "--all"][..],
        &["freeze", "--exclude", "six"][..],
        &["list", "--format=freeze"][..],
        &["list", "--format=json"][..],
        &["show", "licensed-demo"][..],
        &["show", "-f", "Licensed_Demo"][..],
        &["show", "-v", "licensed-demo"][..],
        &["show", "pandas", "six", "numpy"][..],
        &["show", "-f", "python-dateutil"][..],
        &["show", "six", "not-installed"][..],
        &["show", "not-installed"][..],
        &["check"][..],
    ] {
        same_as_pip_26(&bin, &venv, args, &mut differences);
    }
    // A dependency missing and one at the wrong version.
    let info = "broken_demo-2.0.dist-info";
    let broken = wharf_test_support::WheelBuilder::bare(info)
        .file(
            &format!("{info}/METADATA"),
            b"Metadata-Version: 2.1\nName: Broken_Demo\nVersion: 2.0\nRequires-Dist: not-there>=1\nRequires-Dist: six>=2\nRequires-Dist: pytz[extra]<2000\n",
        )
        .file(
            &format!("{info}/WHEEL"),
            b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        .record(wharf_test_support::RecordMode::Correct)
        .write(&dir.path().join("broken_demo-2.0-py3-none-any.whl"));
    run(peers
        .wharf()
        .args(["install", "--no-deps", "--python"])
        .arg(&venv)
        .arg(&broken))
    .success();
    same_as_pip_26(&bin, &venv, &["check"], &mut differences);
    same_as_pip_26(
        &bin,
        &venv,
        &["show", "broken-demo", "six"],
        &mut differences,
    );
    assert!(differences.is_empty(), "{}", differences.join("\n\n"));
}

/// Issue 20 §2: `hash` (each algorithm), `index versions` (against a local index: a yanked
/// file, a wheel for another interpreter, an sdist, a pre-release; `--pre`, `--json`) print
/// what pip 26.3 prints; `inspect` reports the same distributions with the same fields.
#[test]
fn hash_index_versions_and_inspect_match_pip_26() {
    let Some(peers) = peers() else { return };
    let Some(bin) = sci::current_peers() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let venv = peers.new_venv(dir.path());
    let wheel = licensed_wheel(dir.path());
    run(peers
        .wharf()
        .args(["install", "six", "--python"])
        .arg(&venv)
        .arg(&wheel))
    .success();
    let mut differences = Vec::new();
    let wheel_text = wheel.to_str().unwrap();
    for args in [
        &["hash", wheel_text][..],
        &["hash", "-a", "sha512", wheel_text, wheel_text][..],
        &["hash", "--algorithm=sha384", wheel_text][..],
    ] {
        same_as_pip_26(&bin, &venv, args, &mut differences);
    }

    let page = "<!DOCTYPE html><html><body>\
        <a href=\"/files/demo-1.0-py3-none-any.whl\">demo-1.0-py3-none-any.whl</a>\
        <a href=\"/files/demo-1.5.tar.gz\">demo-1.5.tar.gz</a>\
        <a href=\"/files/demo-2.0-py3-none-any.whl\">demo-2.0-py3-none-any.whl</a>\
        <a href=\"/files/demo-2.5-py3-none-any.whl\" data-yanked=\"broken\">demo-2.5-py3-none-any.whl</a>\
        <a href=\"/files/demo-2.7-py3-none-any.whl\" data-requires-python=\"&gt;=3.99\">demo-2.7-py3-none-any.whl</a>\
        <a href=\"/files/demo-3.0-cp27-cp27mu-linux_x86_64.whl\">demo-3.0-cp27-cp27mu-linux_x86_64.whl</a>\
        <a href=\"/files/demo-3.1rc1-py3-none-any.whl\">demo-3.1rc1-py3-none-any.whl</a>\
        </body></html>";
    let server = wharf_test_support::http::TestServer::start(move |path| {
        if path.trim_end_matches('/') == "/simple/demo" {
            wharf_test_support::http::Reply::ok("text/html", page)
        } else {
            wharf_test_support::http::Reply::not_found()
        }
    });
    let index = server.url("/simple/");
    for args in [
        &["index", "versions", "demo", "-i", &index][..],
        &["index", "versions", "Demo", "--index-url", &index, "--pre"][..],
        &["index", "versions", "demo", "-i", &index, "--json"][..],
    ] {
        same_as_pip_26(&bin, &venv, args, &mut differences);
    }
    let missing = run(command(env!("CARGO_BIN_EXE_wharf"))
        .args(["pip", "--python"])
        .arg(&venv)
        .args(["index", "versions", "absent", "-i", &index]));
    assert_eq!(missing.code(), Some(1), "{}", missing.transcript());
    assert!(
        missing
            .stderr()
            .contains("No matching distribution found for absent"),
        "{}",
        missing.transcript()
    );

    // inspect: the same report but for `pip_version`.
    let report = |run: sci::Run| -> serde_json::Value {
        let mut value: serde_json::Value = serde_json::from_str(&run.success().stdout()).unwrap();
        value.as_object_mut().unwrap().remove("pip_version");
        let installed = value["installed"].as_array_mut().unwrap();
        installed.sort_by_key(|d| d["metadata"]["name"].as_str().unwrap().to_lowercase());
        value
    };
    let pip = report(run(
        sci::pip_on(command(bin.join("python")), &venv).arg("inspect")
    ));
    let wharf = report(run(command(env!("CARGO_BIN_EXE_wharf"))
        .args(["pip", "--python"])
        .arg(&venv)
        .arg("inspect")));
    assert_eq!(wharf, pip);
    assert!(differences.is_empty(), "{}", differences.join("\n\n"));
}

/// Issue 20 §2: `config list` and `config get` read the pip config file (`PIP_CONFIG_FILE`) as
/// pip 26 does (pip's `:env:` lines and the other files it reads left aside); an unknown key is
/// exit 1 for both.
#[test]
fn config_list_and_get_match_pip_26() {
    let Some(peers) = peers() else { return };
    let Some(bin) = sci::current_peers() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let venv = peers.new_venv(dir.path());
    let home = dir.path().join("home");
    std::fs::create_dir_all(home.join(".config/pip")).unwrap();
    // The user's file: read unless PIP_CONFIG_FILE names a file, or in isolated mode.
    std::fs::write(
        home.join(".config/pip/pip.conf"),
        "[global]\ntimeout = 7\n[list]\nformat = json\n",
    )
    .unwrap();
    let config = dir.path().join("pip.conf");
    std::fs::write(
        &config,
        "[global]\nindex-url = https://example.org/simple\ntimeout = 60\n\n[install]\nfind-links =\n    /a\n    /b\nno_cache_dir = it's\n",
    )
    .unwrap();
    for config_file in [None, Some(&config)] {
        let on = |program: &std::path::Path| {
            let mut command = command(program);
            command
                .env("HOME", &home)
                .env("PIP_FIND_LINKS", "/x /y")
                .env("PIP_NO_CACHE_DIR", "1")
                .env("PIP_DISABLE_PIP_VERSION_CHECK", "1");
            if let Some(config) = config_file {
                command.env("PIP_CONFIG_FILE", config);
            }
            command
        };
        for args in [
            &["config", "list"][..],
            &["--isolated", "config", "list"][..],
            &["config", "get", "global.index-url"][..],
            &["config", "get", "global.timeout"][..],
            &["--isolated", "config", "get", "global.timeout"][..],
            &["config", "get", "install.find-links"][..],
            &["config", "get", ":env:.find-links"][..],
            &["--isolated", "config", "get", ":env:.find-links"][..],
            &["config", "get", "global.absent"][..],
        ] {
            let pip = run(on(&bin.join("python"))
                .args(["-m", "pip", "--python"])
                .arg(venv.join("bin/python"))
                .args(args));
            let wharf = run(on(std::path::Path::new(env!("CARGO_BIN_EXE_wharf")))
                .args(["pip", "--python"])
                .arg(&venv)
                .args(args));
            // Every file pip reads (the machine's /etc/pip.conf too) and the `PIP_*`
            // variables, byte for byte.
            assert_eq!(
                (wharf.code(), wharf.stdout()),
                (pip.code(), pip.stdout()),
                "{config_file:?} {args:?}\n{}\n{}",
                pip.transcript(),
                wharf.transcript()
            );
        }
    }
}
