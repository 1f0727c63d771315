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
    same_as_pip_26_with(bin, venv, args, &[], differences);
}

/// [`same_as_pip_26`] with the variables `vars` set for both (ex) `PYTHONPATH`).
fn same_as_pip_26_with(
    bin: &std::path::Path,
    venv: &std::path::Path,
    args: &[&str],
    vars: &[(&str, &std::ffi::OsStr)],
    differences: &mut Vec<String>,
) {
    let mut pip = sci::pip_on(command(bin.join("python")), venv);
    let mut wharf = command(env!("CARGO_BIN_EXE_wharf"));
    for (name, value) in vars {
        pip.env(name, value);
        wharf.env(name, value);
    }
    let pip = run(pip.args(args));
    let wharf = run(wharf
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

/// A wheel of `name` `version` (file and `.dist-info` named with `_`) requiring `requires`;
/// with `build`, a build tag in its file name and its `WHEEL` (`Build: 7`, which pip's `list`
/// shows in a column of its own).
fn demo_wheel(
    dir: &std::path::Path,
    name: &str,
    version: &str,
    requires: &[&str],
    build: Option<&str>,
) -> std::path::PathBuf {
    let stem = name.replace('-', "_");
    let info = format!("{stem}-{version}.dist-info");
    let mut metadata = format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n");
    for requirement in requires {
        metadata.push_str(&format!("Requires-Dist: {requirement}\n"));
    }
    let build_line = build.map_or_else(String::new, |b| format!("Build: {b}\n"));
    let file = match build {
        Some(b) => format!("{stem}-{version}-{b}-py3-none-any.whl"),
        None => format!("{stem}-{version}-py3-none-any.whl"),
    };
    wharf_test_support::WheelBuilder::bare(&info)
        .file(&format!("{info}/METADATA"), metadata.as_bytes())
        .file(
            &format!("{info}/WHEEL"),
            format!("Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n{build_line}Tag: py3-none-any\n")
                .as_bytes(),
        )
        .file(&format!("{stem}/__init__.py"), b"")
        .record(wharf_test_support::RecordMode::Correct)
        .write(&dir.join(file))
}

/// Writes an installed distribution by hand into `dir` (a directory put on `PYTHONPATH`):
/// `METADATA`, `WHEEL` with a build tag, an `INSTALLER` whose first line is blank.
fn hand_installed(dir: &std::path::Path, name: &str, version: &str, requires: &[&str]) {
    let info = dir.join(format!("{}-{version}.dist-info", name.replace('-', "_")));
    std::fs::create_dir_all(&info).unwrap();
    let mut metadata = format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n");
    for requirement in requires {
        metadata.push_str(&format!("Requires-Dist: {requirement}\n"));
    }
    std::fs::write(info.join("METADATA"), metadata).unwrap();
    std::fs::write(
        info.join("WHEEL"),
        "Wheel-Version: 1.0\nBuild: 12b\nTag: py3-none-any\n",
    )
    .unwrap();
    std::fs::write(info.join("INSTALLER"), "\n  pip  \n").unwrap();
}

/// Issue 20 §2: `list --not-required`, `-e/--editable`, `--exclude-editable`,
/// `--include-editable`, `-v` (`Location`, `Installer`), the `Build` and `Editable project
/// location` columns, `--local` and `--path`, alone and combined, print byte for byte what pip
/// 26.3 prints (same exit code) for one environment: pandas from the site's wheelhouse, an
/// editable project (PEP 660, flit_core) requiring six, a wheel with a build tag requiring a
/// project only through an extra, a project on `PYTHONPATH` that hides the environment's copy
/// of it, and one there with a build tag and an `INSTALLER` whose first line is blank.
#[test]
fn list_options_match_pip_26_byte_for_byte() {
    let Some(peers) = peers() else { return };
    let Some(bin) = sci::current_peers() else {
        return;
    };
    let backends = &sci::build_backends_and_sdists(peers).0;
    let dir = tempfile::tempdir().unwrap();
    let venv = peers.new_venv(dir.path());
    let project = dir.path().join("edit_demo");
    std::fs::create_dir_all(project.join("edit_demo")).unwrap();
    std::fs::write(
        project.join("pyproject.toml"),
        "[build-system]\nrequires = [\"flit_core>=3.4,<4\"]\nbuild-backend = \"flit_core.buildapi\"\n\n[project]\nname = \"edit-demo\"\nversion = \"0.1\"\ndescription = \"x\"\ndependencies = [\"six\"]\n",
    )
    .unwrap();
    std::fs::write(project.join("edit_demo/__init__.py"), "VALUE = 1\n").unwrap();
    run(peers
        .wharf()
        .args(["install", "pandas", "--python"])
        .arg(&venv)
        .arg("-f")
        .arg(backends)
        .arg("-e")
        .arg(&project))
    .success();
    let wheels = dir.path().join("wheels");
    std::fs::create_dir_all(&wheels).unwrap();
    let built = demo_wheel(
        &wheels,
        "Built_Demo",
        "1.0",
        &[
            "lonely-demo; extra == \"x\"",
            "six; python_version >= \"3\"",
        ],
        Some("7"),
    );
    let lonely = demo_wheel(&wheels, "lonely-demo", "1.0", &[], None);
    let shadowed = demo_wheel(&wheels, "shadowed-demo", "1.0", &[], None);
    run(peers
        .wharf()
        .args(["install", "--no-deps", "--python"])
        .arg(&venv)
        .args([&built, &lonely, &shadowed]))
    .success();
    let outside = dir.path().join("outside");
    hand_installed(&outside, "shadowed-demo", "2.0", &["pytz"]);
    hand_installed(&outside, "Outside.Demo", "4.0", &["pandas"]);
    let site = sci::site_packages(&venv);
    let site = site.to_str().unwrap();
    let outside_text = outside.to_str().unwrap();
    let pythonpath = [("PYTHONPATH", outside.as_os_str())];
    let mut differences = Vec::new();
    for args in [
        &["list"][..],
        &["list", "-v"][..],
        &["list", "--format=json", "-v"][..],
        &["list", "--format", "freeze", "--verbose"][..],
        &["list", "--not-required"][..],
        &["list", "--not-required", "--format=json"][..],
        &["list", "--not-required", "-v"][..],
        &["list", "--not-required", "--local"][..],
        &["list", "--local"][..],
        &["list", "-l", "--format=json"][..],
        &["list", "-e"][..],
        &["list", "-e", "-v"][..],
        &["list", "-e", "--format=json"][..],
        &["list", "--editable", "--format=freeze"][..],
        &["list", "--exclude-editable"][..],
        &["list", "--exclude-editable", "--format=json", "-v"][..],
        &["list", "--exclude-editable", "--include-editable"][..],
        &["list", "--include-editable", "--exclude-editable"][..],
        &["list", "-e", "--exclude-editable"][..],
        &["list", "-e", "--exclude-editable", "--format=json"][..],
        &["list", "--not-required", "--exclude-editable"][..],
        &["list", "--not-required", "--exclude", "pandas"][..],
        &["list", "--path", site, "-v"][..],
        &["list", "--path", outside_text, "--format=json", "-v"][..],
        &[
            "list",
            "--path",
            outside_text,
            "--path",
            site,
            "--not-required",
        ][..],
        &["freeze", "--local"][..],
    ] {
        same_as_pip_26_with(&bin, &venv, args, &pythonpath, &mut differences);
    }
    assert!(differences.is_empty(), "{}", differences.join("\n\n"));
    // The environment has what the comparisons are about (else they prove little).
    let listed = run(command(env!("CARGO_BIN_EXE_wharf"))
        .env("PYTHONPATH", &outside)
        .args(["pip", "--python"])
        .arg(&venv)
        .args(["list", "-v"]))
    .success()
    .stdout();
    for column in [
        "Build",
        "Editable project location",
        "Location",
        "Installer",
    ] {
        assert!(listed.contains(column), "{column}:\n{listed}");
    }
    assert!(
        listed.lines().any(|l| l.starts_with("shadowed-demo ")
            && l.contains(" 2.0 ")
            && l.contains(outside_text)),
        "the copy on PYTHONPATH hides the environment's:\n{listed}"
    );
}

/// Issue 20 §2: `list -o`/`-u` (against `--find-links`, no index) alone and with
/// `--not-required`, `--exclude`, `--pre`, `-v` and each format print what pip 26.3 prints:
/// an older version installed (outdated), the newest (up to date), a newer one (neither), one
/// required by another (left out by `--not-required`).
#[test]
fn list_outdated_and_uptodate_with_filters_match_pip_26() {
    let Some(peers) = peers() else { return };
    let Some(bin) = sci::current_peers() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let venv = peers.new_venv(dir.path());
    let installed = dir.path().join("installed");
    let links = dir.path().join("links");
    std::fs::create_dir_all(&installed).unwrap();
    std::fs::create_dir_all(&links).unwrap();
    let wheels = [
        demo_wheel(&installed, "old_demo", "1.0", &[], None),
        demo_wheel(&installed, "same-demo", "1.0", &["Old.Demo>=1"], None),
        demo_wheel(&installed, "new_demo", "3.0", &[], None),
    ];
    run(peers
        .wharf()
        .args(["install", "--no-deps", "--python"])
        .arg(&venv)
        .args(&wheels))
    .success();
    demo_wheel(&links, "old_demo", "1.0", &[], None);
    demo_wheel(&links, "old_demo", "2.0", &[], None);
    demo_wheel(&links, "old_demo", "2.1rc1", &[], None);
    demo_wheel(&links, "same-demo", "1.0", &["Old.Demo>=1"], None);
    demo_wheel(&links, "new_demo", "2.0", &[], None);
    let links = links.to_str().unwrap();
    let mut differences = Vec::new();
    for args in [
        &["list", "-o"][..],
        &["list", "-u"][..],
        &["list", "--outdated", "--format=json"][..],
        &["list", "--uptodate", "--format=freeze"][..],
        &["list", "-u", "--format=json", "-v"][..],
        &["list", "-o", "--not-required"][..],
        &["list", "-u", "--not-required", "--format=json"][..],
        &["list", "-o", "-v"][..],
        &["list", "-o", "--pre"][..],
        &["list", "-o", "--exclude", "old-demo"][..],
        &["list", "-o", "-e"][..],
    ] {
        let mut args = args.to_vec();
        args.extend(["--no-index", "-f", links]);
        same_as_pip_26(&bin, &venv, &args, &mut differences);
    }
    assert!(differences.is_empty(), "{}", differences.join("\n\n"));
}

/// Issue 20 §2: what pip's `list` refuses (`--outdated` with `--format freeze`, with
/// `--uptodate`; `--path` with `--local`) prints nothing on stdout from either; pip exits 1
/// (its `CommandError`), wharf 2 (a usage error, its contract) with pip's words or clap's.
/// `--user` lists nothing for pip in a virtual environment (the user site is not on its
/// `sys.path`); wharf refuses it (exit 2) and names the directory to list instead.
#[test]
fn list_refusals_are_usage_errors() {
    let Some(peers) = peers() else { return };
    let Some(bin) = sci::current_peers() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let venv = peers.new_venv(dir.path());
    for (args, pip_code, message) in [
        (
            &["list", "-o", "--format=freeze", "--no-index"][..],
            1,
            "List format 'freeze' cannot be used with the --outdated option.",
        ),
        (
            &["list", "-o", "-u", "--no-index"][..],
            1,
            "cannot be used with",
        ),
        (
            &["list", "--path", "/tmp", "--local"][..],
            1,
            "cannot be used with",
        ),
        (
            &["list", "--user"][..],
            0,
            "hint: inside a virtual environment pip's `--user` lists nothing",
        ),
    ] {
        let pip = run(sci::pip_on(command(bin.join("python")), &venv).args(args));
        let wharf = run(command(env!("CARGO_BIN_EXE_wharf"))
            .env("NO_COLOR", "1")
            .args(["pip", "--python"])
            .arg(&venv)
            .args(args));
        assert_eq!(pip.code(), Some(pip_code), "{}", pip.transcript());
        assert_eq!(
            (wharf.code(), wharf.stdout(), pip.stdout()),
            (Some(2), String::new(), String::new()),
            "{}\n{}",
            pip.transcript(),
            wharf.transcript()
        );
        assert!(wharf.stderr().contains(message), "{}", wharf.transcript());
    }
}

/// Issue 20 §2: `check` with four broken projects (missing requirements, wrong versions,
/// both, a requirement missing twice, a marker and a multi-specifier requirement) prints pip
/// 26.3's lines in pip's order, byte for byte, exit 1, both through `wharf pip check` and
/// `wharf check`. pip's order is its iteration of the installed distributions
/// (`check_package_set` walks a dict filled in that order): all missing requirements, then
/// all conflicts, each group project by project in the order `importlib.metadata` lists
/// site-packages on Python ≥ 3.11 (the directory's `readdir` order, which depends on the file
/// system: a hash order on ext4, the reverse of creation on tmpfs), within a project sorted by
/// pip's tuple text. The test cannot choose that order; it uses the same directory for both,
/// and four projects make it unlikely that directory order and name order agree by chance
/// (the unit tests of `ScanOrder` and `operations::check` pin the logic itself).
#[test]
fn check_prints_several_broken_projects_in_pips_order() {
    let Some(peers) = peers() else { return };
    let Some(bin) = sci::current_peers() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let venv = peers.new_venv(dir.path());
    run(peers
        .wharf()
        .args(["install", "python-dateutil", "pytz", "--python"])
        .arg(&venv))
    .success();
    let wheels = dir.path().join("wheels");
    std::fs::create_dir_all(&wheels).unwrap();
    let broken = [
        demo_wheel(
            &wheels,
            "zeta_broken",
            "1.0",
            &[
                "not-there-z>=1",
                "six>=2",
                "Python_DateUtil (>=3, <4) ; python_version >= '3'",
            ],
            None,
        ),
        demo_wheel(
            &wheels,
            "alpha-broken",
            "2.0",
            &[
                "six<1",
                "Missing_One",
                "missing-one[x]>1",
                "pytz[extra]<2000",
            ],
            None,
        ),
        demo_wheel(
            &wheels,
            "Mid.Broken",
            "3.0b1",
            &["absent", "tzdata==1; extra == 'test'", "python-dateutil<2"],
            None,
        ),
        demo_wheel(
            &wheels,
            "kappa_broken",
            "0.5",
            &[
                "absent-too; sys_platform == 'linux'",
                "not-on-linux; sys_platform == 'win32'",
            ],
            None,
        ),
    ];
    run(peers
        .wharf()
        .args(["install", "--no-deps", "--python"])
        .arg(&venv)
        .args(&broken))
    .success();
    let mut differences = Vec::new();
    same_as_pip_26(&bin, &venv, &["check"], &mut differences);
    assert!(differences.is_empty(), "{}", differences.join("\n\n"));
    let pip = run(sci::pip_on(command(bin.join("python")), &venv).arg("check"));
    let wharf = run(command(env!("CARGO_BIN_EXE_wharf"))
        .env("NO_COLOR", "1")
        .args(["check", "--python"])
        .arg(&venv));
    assert_eq!(
        (wharf.code(), wharf.stdout()),
        (pip.code(), pip.stdout()),
        "{}\n{}",
        pip.transcript(),
        wharf.transcript()
    );
    let stdout = pip.stdout();
    for project in ["zeta-broken", "alpha-broken", "mid-broken", "kappa-broken"] {
        assert!(stdout.contains(project), "{project}:\n{stdout}");
    }
    let order: Vec<&str> = stdout
        .lines()
        .filter_map(|line| line.split(' ').next())
        .collect();
    let mut sorted = order.clone();
    sorted.sort_unstable();
    if order == sorted {
        eprintln!(
            "note: this file system listed the projects in name order: the order is checked, not exercised"
        );
    }
}

/// Issue 20 §2: `uninstall -y -r FILE` (names with specifiers and markers, one not installed)
/// leaves the environment as pip 26.3's does on a twin environment: the same exit code and the
/// same `pip freeze` after; `wharf uninstall -r` is the same command.
#[test]
fn uninstall_from_a_requirements_file_matches_pip_26() {
    let Some(peers) = peers() else { return };
    let Some(bin) = sci::current_peers() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let twins: Vec<std::path::PathBuf> = ["pip", "wharf"]
        .iter()
        .map(|name| {
            let root = dir.path().join(name);
            std::fs::create_dir(&root).unwrap();
            let venv = peers.new_venv(&root);
            run(peers
                .wharf()
                .args(["install", "pandas", "--python"])
                .arg(&venv))
            .success();
            venv
        })
        .collect();
    let requirements = dir.path().join("remove.txt");
    std::fs::write(
        &requirements,
        "six>=1\npytz ; python_version > \"3\"\nnot-installed-here\n# a comment\n--no-index\n",
    )
    .unwrap();
    let pip = run(sci::pip_on(command(bin.join("python")), &twins[0])
        .args(["uninstall", "-y", "-r"])
        .arg(&requirements));
    let wharf = run(command(env!("CARGO_BIN_EXE_wharf"))
        .env("NO_COLOR", "1")
        .args(["pip", "--python"])
        .arg(&twins[1])
        .args(["uninstall", "-y", "-r"])
        .arg(&requirements));
    assert_eq!(
        wharf.code(),
        pip.code(),
        "{}\n{}",
        pip.transcript(),
        wharf.transcript()
    );
    let freeze = |venv: &std::path::Path| {
        run(sci::pip_on(command(bin.join("python")), venv).arg("freeze"))
            .success()
            .stdout()
    };
    let after = freeze(&twins[1]);
    assert_eq!(after, freeze(&twins[0]), "{}", wharf.transcript());
    assert!(
        !after.contains("six==") && !after.contains("pytz==") && after.contains("pandas=="),
        "{after}"
    );
}
