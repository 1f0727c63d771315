//! `wharf avail` behaviour beyond the recorded runs: bad input, junk in the wheelhouse,
//! the environment, `--json`, `--explain`, and the places where wharf follows the standard
//! instead of `avail_wheels` (each listed in the README).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

struct Site {
    root: tempfile::TempDir,
}

impl Site {
    /// A small site: Gentoo 2023 layout, pip config, Pythons 3.10–3.12 as modules.
    fn new(files: &[&str]) -> Self {
        let root = tempfile::tempdir().unwrap();
        for rel in files {
            let path = root.path().join("wh").join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "").unwrap();
        }
        for dir in ["gentoo2023/x86-64-v3", "gentoo2023/generic", "generic"] {
            std::fs::create_dir_all(root.path().join("wh").join(dir)).unwrap();
        }
        for v in ["3.10.13", "3.11.5", "3.12.4"] {
            std::fs::create_dir_all(root.path().join("py").join(v)).unwrap();
        }
        let wh = root.path().join("wh");
        std::fs::write(
            root.path().join("pip.conf"),
            format!(
                "[wheel]\nfind-links = {0}/gentoo2023/x86-64-v3 {0}/gentoo2023/generic {0}/generic\n",
                wh.display()
            ),
        )
        .unwrap();
        Self { root }
    }

    fn path(&self) -> &Path {
        self.root.path()
    }

    fn command(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_wharf"));
        c.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.path())
            .env("WHEELHOUSE", self.path().join("wh"))
            .env("PYTHON_DIRS", self.path().join("py"))
            .env("PIP_CONFIG_FILE", self.path().join("pip.conf"))
            .env("EBVERSIONGENTOO", "2023")
            .arg("avail");
        c
    }

    /// `exit N`, stdout and stderr, with the temp root shown as `[ROOT]`.
    fn transcript(&self, command: &mut Command) -> String {
        let output = command.output().unwrap();
        let root = self.path().display().to_string();
        format!(
            "exit: {}\n--- stdout\n{}--- stderr\n{}",
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stdout).replace(&root, "[ROOT]"),
            String::from_utf8_lossy(&output.stderr).replace(&root, "[ROOT]")
        )
    }
}

const BASIC: &[&str] = &[
    "gentoo2023/generic/numpy-1.26.4+computecanada-cp311-cp311-linux_x86_64.whl",
    "gentoo2023/generic/numpy-2.1.1+computecanada-cp312-cp312-linux_x86_64.whl",
    "gentoo2023/x86-64-v3/scipy-1.14.1+computecanada-cp311-cp311-linux_x86_64.whl",
    "generic/six-1.16.0+computecanada-py2.py3-none-any.whl",
    "generic/numpy-2.2.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    "gentoo2020/avx512/mpi4py-3.1.6+computecanada-cp311-cp311-linux_x86_64.whl",
];

#[test]
fn err_invalid_requirement_is_usage_error() {
    let site = Site::new(BASIC);
    insta::assert_snapshot!(site.transcript(site.command().arg("*na*e*")), @r#"
    exit: 2
    --- stdout
    --- stderr
    error: invalid requirement `*na*e*`: unexpected `*` after the name
    hint: quote requirements with `<`, `>` or `*` in the shell, e.g. "numpy>=1.22"
    "#);
}

#[test]
fn err_unknown_python_names_choices() {
    let site = Site::new(BASIC);
    insta::assert_snapshot!(site.transcript(site.command().args(["numpy", "-p", "2.7"])), @r"
    exit: 2
    --- stdout
    --- stderr
    error: invalid value '2.7' for '--python': choose from '3.10', '3.11', '3.12'
    hint: the choices are the Python versions installed as modules (PYTHON_DIRS)
    ");
}

#[test]
fn err_unknown_arch_names_choices() {
    let site = Site::new(BASIC);
    let t = site.transcript(site.command().args(["-a", "avx2"]));
    assert!(t.starts_with("exit: 2\n--- stdout\n--- stderr\nerror: invalid value 'avx2' for '--arch': choose from 'generic', 'x86-64-v3', 'x86-64-v4'"), "{t}");
}

#[test]
fn err_bad_option_and_missing_value() {
    let site = Site::new(BASIC);
    for args in [
        &["--version"][..],
        &["--format", "nope"],
        &["--column", "size"],
        &["-v", "1", "--all-versions"],
    ] {
        let out = site.command().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("error:"),
            "{args:?}"
        );
    }
}

#[test]
fn err_missing_requirements_file() {
    let site = Site::new(BASIC);
    let out = site
        .command()
        .args(["-r", "/nonexistent/req.txt"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("/nonexistent/req.txt"), "{stderr}");
    assert!(stderr.contains("hint:"), "{stderr}");
}

#[test]
fn junk_files_and_bad_names_are_reported_and_skipped() {
    let mut files = BASIC.to_vec();
    files.extend([
        "generic/dulwich-0.24.2-7968.log",
        "generic/mpi4py-3.1.6.tar.gz",
        "generic/broken-name.whl",
    ]);
    let site = Site::new(&files);
    insta::assert_snapshot!(site.transcript(site.command().args(["--all-pythons"])), @"
    exit: 0
    --- stdout
    name    version    python    arch
    ------  ---------  --------  ---------
    numpy   2.1.1      cp312     generic
    scipy   1.14.1     cp311     x86-64-v3
    six     1.16.0     py2,py3   generic
    --- stderr
    warning: `[ROOT]/wh/generic/dulwich-0.24.2-7968.log` is not a wheel; skipped
    warning: `[ROOT]/wh/generic/mpi4py-3.1.6.tar.gz` is not a wheel; skipped
    warning: skipped `[ROOT]/wh/generic/broken-name.whl`
      Caused by: `broken-name.whl` is not a valid wheel filename: expected `name-version(-build)?-python-abi-platform.whl`, found 2 `-`-separated parts
    ");
}

#[test]
fn missing_directory_and_broken_config_do_not_stop_the_listing() {
    let site = Site::new(BASIC);
    std::fs::write(
        site.path().join("broken.conf"),
        "[global]\nfind-links = /x\n",
    )
    .unwrap();
    let t = site.transcript(
        site.command()
            .env("PIP_CONFIG_FILE", site.path().join("broken.conf"))
            .args(["numpy", "--all-pythons"]),
    );
    insta::assert_snapshot!(t, @r"
    exit: 0
    --- stdout
    name    version    python    arch
    ------  ---------  --------  -------
    numpy   2.1.1      cp312     generic
    --- stderr
    warning: pip config `[ROOT]/broken.conf` has no `find-links` in section `[wheel]`
    hint: listing every directory two levels below the wheelhouse `[ROOT]/wh` instead
    ");
    std::fs::remove_dir_all(site.path().join("wh/gentoo2023/x86-64-v3")).unwrap();
    let t = site.transcript(site.command().args(["scipy", "six", "--all-pythons"]));
    assert!(t.contains("six     1.16.0"), "{t}");
    assert!(
        t.contains(
            "warning: wheel directory `[ROOT]/wh/gentoo2023/x86-64-v3` does not exist; skipped"
        ),
        "{t}"
    );
}

#[test]
fn unreadable_directory_is_reported_and_skipped() {
    let site = Site::new(BASIC);
    let dir = site.path().join("wh/gentoo2023/x86-64-v3");
    let locked = dir.join("locked");
    std::fs::create_dir_all(&locked).unwrap();
    std::fs::write(locked.join("scipy-9.0-cp311-cp311-linux_x86_64.whl"), "").unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let readable = std::fs::read_dir(&locked).is_ok(); // root ignores permissions
    let t = site.transcript(site.command().args(["scipy", "--all-pythons"]));
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert!(t.starts_with("exit: 0"), "{t}");
    if !readable {
        assert!(t.contains("scipy   1.14.1"), "{t}");
        assert!(
            t.contains("cannot read directory `[ROOT]/wh/gentoo2023/x86-64-v3/locked`; skipped"),
            "{t}"
        );
    }
}

#[test]
fn names_follow_pep503_where_avail_wheels_does_not() {
    // avail_wheels looks for `zope.interface-*.whl` and misses the escaped `zope_interface`;
    // PEP 503 says they are one project.
    let site = Site::new(&[
        "generic/zope_interface-6.4+computecanada-cp311-cp311-linux_x86_64.whl",
        "generic/ruamel.yaml-0.18.6+computecanada-py3-none-any.whl",
    ]);
    let t =
        site.transcript(
            site.command()
                .args(["zope.interface", "ruamel-yaml", "--all-pythons"]),
        );
    insta::assert_snapshot!(t, @r"
    exit: 0
    --- stdout
    name            version    python    arch
    --------------  ---------  --------  -------
    ruamel.yaml     0.18.6     py3       generic
    zope_interface  6.4        cp311     generic
    --- stderr
    ");
}

#[test]
fn virtual_env_python_comes_from_pyvenv_cfg() {
    let site = Site::new(BASIC);
    let venv = site.path().join("venv");
    std::fs::create_dir_all(&venv).unwrap();
    std::fs::write(
        venv.join("pyvenv.cfg"),
        "home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.12.4\n",
    )
    .unwrap();
    let t = site.transcript(
        site.command()
            .env("VIRTUAL_ENV", &venv)
            .env("EBVERSIONPYTHON", "3.11.5")
            .arg("numpy"),
    );
    assert!(t.contains("numpy   2.1.1      cp312"), "{t}");
    let t = site.transcript(site.command().env("EBVERSIONPYTHON", "3.11.5").arg("numpy"));
    assert!(
        t.contains("numpy   1.26.4     cp311"),
        "the manylinux 2.2.0 is never listed: {t}"
    );
}

#[test]
fn json_output_one_object_per_wheel() {
    let site = Site::new(BASIC);
    let out = site
        .command()
        .args([
            "numpy",
            "nothere",
            "--all-versions",
            "--all-pythons",
            "--json",
            "--not-available",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let items = value.as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["name"], "nothere");
    assert_eq!(items[0]["available"], false);
    assert_eq!(items[1]["version"], "2.1.1");
    assert_eq!(items[1]["local_version"], "computecanada");
    assert_eq!(items[1]["tags"][0], "cp312-cp312-linux_x86_64");
    assert_eq!(items[1]["arch"], "generic");
    assert!(
        items[2]["path"].as_str().unwrap().ends_with(
            "gentoo2023/generic/numpy-1.26.4+computecanada-cp311-cp311-linux_x86_64.whl"
        )
    );
}

#[test]
fn explain_names_the_module_to_load() {
    let site = Site::new(BASIC);
    let t = site.transcript(
        site.command()
            .env("EBVERSIONPYTHON", "3.10.13")
            .args(["--explain", "numpy"]),
    );
    insta::assert_snapshot!(t, @r"
    exit: 1
    --- stdout
    numpy 2.1.1+computecanada exists for Python 3.12 (cp312); you selected Python 3.10
    numpy 1.26.4+computecanada exists for Python 3.11 (cp311); you selected Python 3.10
    hint: `module load python/3.12` (then `wharf avail numpy`)
    --- stderr
    ");
}

#[test]
fn explain_finds_other_archs_and_typos() {
    let site = Site::new(BASIC);
    let t = site.transcript(
        site.command()
            .env("EBVERSIONPYTHON", "3.11.5")
            .args(["--explain", "mpi4py"]),
    );
    assert!(t.starts_with("exit: 1"), "{t}");
    assert!(t.contains("mpi4py 3.1.6+computecanada exists in `[ROOT]/wh/gentoo2020/avx512`, which your configuration does not search"), "{t}");
    let t = site.transcript(site.command().args(["--explain", "numpi"]));
    assert!(t.contains("no wheel named `numpi`"), "{t}");
    assert!(t.contains("similar names: numpy"), "{t}");
    let t = site.transcript(
        site.command()
            .env("EBVERSIONPYTHON", "3.11.5")
            .args(["--explain", "numpy"]),
    );
    assert!(t.starts_with("exit: 0"), "{t}");
}

/// A misspelt name is answered with the similar names of the directories searched, also when
/// the wheelhouse root is not there (a user's own find-links: only pip.conf names them); the
/// same for `wharf explain` of pip's message. With no Python selected at all (no module
/// loaded, no module tree), the explanation says so instead of an empty list.
#[test]
fn explain_offers_similar_names_from_find_links_alone() {
    let site = Site::new(BASIC);
    let gone = site.path().join("no-wheelhouse");
    let t = site.transcript(
        site.command()
            .env("WHEELHOUSE", &gone)
            .args(["--explain", "numpi"]),
    );
    assert!(t.starts_with("exit: 1"), "{t}");
    assert!(
        t.contains("no wheel named `numpi` in the 3 searched directories; similar names: numpy"),
        "{t}"
    );
    let t = site.transcript(
        site.command()
            .env("WHEELHOUSE", &gone)
            .env("PYTHON_DIRS", site.path().join("no-py"))
            .args(["--explain", "numpy"]),
    );
    assert!(
        t.contains("numpy 1.26.4+computecanada exists for Python 3.11 (cp311); no Python is selected (no python module is loaded and none was found in the module tree)"),
        "{t}"
    );
    let mut explain = Command::new(env!("CARGO_BIN_EXE_wharf"));
    explain
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", site.path())
        .env("WHEELHOUSE", &gone)
        .env("PYTHON_DIRS", site.path().join("py"))
        .env("PIP_CONFIG_FILE", site.path().join("pip.conf"))
        .arg("explain")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    let mut child = explain.spawn().unwrap();
    std::io::Write::write_all(
        child.stdin.as_mut().unwrap(),
        b"ERROR: No matching distribution found for scipi==1.14\n",
    )
    .unwrap();
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("no wheel named `scipi` in the 3 searched directories"),
        "{stdout}"
    );
    assert!(stdout.contains("similar names: scipy"), "{stdout}");
}

#[test]
fn all_warns_and_ignores_filters() {
    let site = Site::new(BASIC);
    let t = site.transcript(site.command().args(["numpy", "--all", "-p", "3.10"]));
    assert!(t.contains("numpy   2.1.1"), "{t}");
    assert!(t.contains("numpy   1.26.4"), "{t}");
    assert!(
        t.contains("warning: ignoring --arch, --version and --python since --all is set"),
        "{t}"
    );
}

#[test]
fn broken_pipe_exits_quietly() {
    let files: Vec<String> = (0..3000)
        .map(|i| format!("generic/pkg{i}-1.0-py3-none-any.whl"))
        .collect();
    let refs: Vec<&str> = files.iter().map(String::as_str).collect();
    let site = Site::new(&refs);
    let mut child = site
        .command()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // reader goes away before wharf writes
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn invoked_as_avail_wheels_shows_its_version() {
    let dir = tempfile::tempdir().unwrap();
    let link: PathBuf = dir.path().join("avail_wheels");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_wharf"), &link).unwrap();
    let out = Command::new(&link).arg("-V").env_clear().output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "avail_wheels 2.1.3\n");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn help_reads_like_avail_wheels() {
    let dir = tempfile::tempdir().unwrap();
    let link: PathBuf = dir.path().join("avail_wheels");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_wharf"), &link).unwrap();
    let out = Command::new(&link)
        .arg("--help")
        .env_clear()
        .env("COLUMNS", "100")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!(String::from_utf8_lossy(&out.stdout));
}

/// Regression (issue 7, defect 5): an empty variable is unset. `VIRTUAL_ENV=` (left by a
/// half-unloaded environment) used to be read as the venv `""`, so `avail` warned that
/// `pyvenv.cfg` could not be read; and `PIP_CONFIG_FILE=` is "no config", not a file.
#[test]
fn empty_variables_are_unset() {
    let site = Site::new(BASIC);
    let with_empty = site
        .command()
        .env("VIRTUAL_ENV", "")
        .env("EBVERSIONPYTHON", "3.11.5")
        .arg("numpy")
        .output()
        .unwrap();
    let without = site
        .command()
        .env("EBVERSIONPYTHON", "3.11.5")
        .arg("numpy")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&with_empty.stderr), "");
    assert_eq!(with_empty.stdout, without.stdout);
    assert!(String::from_utf8_lossy(&with_empty.stdout).contains("1.26.4"));
}

/// Regression (issue 7, defect 5): `VIRTUAL_ENV=` means no environment for `install`, with the
/// usual hint, not an attempt at the path `""`.
#[test]
fn install_with_empty_virtual_env_names_the_fix() {
    let site = Site::new(BASIC);
    let mut command = Command::new(env!("CARGO_BIN_EXE_wharf"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", site.path())
        .env("VIRTUAL_ENV", "")
        .env("PIP_FIND_LINKS", site.path().join("wh/generic"))
        .args(["install", "six"]);
    insta::assert_snapshot!(site.transcript(&mut command), @r"
    exit: 2
    --- stdout
    --- stderr
    error: no virtual environment to act on: `--python` is not given, VIRTUAL_ENV is not set, and there is no .venv here or above
    hint: create one with `wharf venv` (it makes `./.venv`, which wharf then finds) or `wharf venv ENV` and `source ENV/bin/activate`, or pass `--python ENV`; wharf never installs into the system or `~/.local`
    ");
}
