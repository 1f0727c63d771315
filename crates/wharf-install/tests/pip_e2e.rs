//! End to end against real CPython and real pip (needs `WHARF_TEST_PYTHON`, a Python 3.11
//! with pip 24.2 from `scripts/test-env.sh`; the first run downloads four pinned wheels with
//! pip into `.cache/wheels/`, later runs are offline).
//!
//! Installs six, idna, MarkupSafe (cp311 manylinux: platlib, a C extension) and pyflakes (a
//! console script) with wharf-install into a fresh `venv --without-pip`, then checks that the
//! interpreter imports them, the console script runs, and pip's `list`, `freeze`, `check` and
//! `uninstall` agree with what was recorded.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use sha2::Digest;
use wharf_install::{
    FreezeOptions, InstallOptions, Layout, SitePackages, WheelInstall, freeze, install_wheels,
    uninstall,
};

/// The pinned wheels and their sha256 (as published on PyPI).
const WHEELS: [(&str, &str, &str); 4] = [
    (
        "six==1.16.0",
        "six-1.16.0-py2.py3-none-any.whl",
        "8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254",
    ),
    (
        "idna==3.7",
        "idna-3.7-py3-none-any.whl",
        "82fee1fc78add43492d3a1898bfa6d8a904cc97d8427f683ed8e798d07761aa0",
    ),
    (
        "markupsafe==2.1.5",
        "MarkupSafe-2.1.5-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "b91c037585eba9095565a3556f611e3cbfaa42ca1e865f7b8015fe5c7336d5a5",
    ),
    (
        "pyflakes==3.2.0",
        "pyflakes-3.2.0-py2.py3-none-any.whl",
        "84b5be138a2dfbb40689ca07e2152deb896a65c3a3e24c251c5c62489568074a",
    ),
];

fn test_python() -> Option<PathBuf> {
    wharf_test_support::real_python()
}

/// A command with an explicit environment: only PATH and HOME of ours are passed on (the
/// machine's PIP_* and PYTHON* variables must not change what pip or Python do).
fn command(program: impl AsRef<std::ffi::OsStr>) -> Command {
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

/// pip, run by the test interpreter, with a quiet, non-interactive environment.
fn pip(python: &Path) -> Command {
    let mut command = command(python);
    command
        .args(["-m", "pip"])
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .env("PIP_NO_INPUT", "1");
    command
}

fn run(command: &mut Command) -> Output {
    let output = command.output().expect("spawn");
    assert!(
        output.status.success(),
        "{command:?} failed with {}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn sha256_hex(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    data_encoding::HEXLOWER.encode(&sha2::Sha256::digest(&bytes))
}

/// The pinned wheels, downloaded with pip once into `.cache/wheels/` and checked by sha256.
fn wheels(python: &Path) -> Vec<PathBuf> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap();
    let cache = repo.join(".cache/wheels");
    std::fs::create_dir_all(&cache).unwrap();
    let missing: Vec<&str> = WHEELS
        .iter()
        .filter(|(_, file, _)| !cache.join(file).is_file())
        .map(|(requirement, _, _)| *requirement)
        .collect();
    if !missing.is_empty() {
        let download = tempfile::tempdir_in(&cache).unwrap();
        let mut command = pip(python);
        command
            .args(["download", "--no-deps", "--only-binary=:all:"])
            .args(["--python-version", "3.11", "--implementation", "cp"])
            .args(["--abi", "cp311", "--abi", "none"])
            .args(["--platform", "manylinux_2_17_x86_64"])
            .args(["--platform", "manylinux2014_x86_64", "--platform", "any"])
            .arg("--dest")
            .arg(download.path())
            .args(&missing);
        // What the download needs from our environment: the CA bundle and proxies, if any.
        for variable in [
            "PIP_CERT",
            "SSL_CERT_FILE",
            "HTTPS_PROXY",
            "https_proxy",
            "HTTP_PROXY",
            "http_proxy",
            "NO_PROXY",
            "no_proxy",
        ] {
            if let Some(value) = std::env::var_os(variable) {
                command.env(variable, value);
            }
        }
        run(&mut command);
        for (_, file, _) in WHEELS {
            let downloaded = download.path().join(file);
            if downloaded.is_file() {
                std::fs::rename(&downloaded, cache.join(file)).unwrap();
            }
        }
    }
    WHEELS
        .iter()
        .map(|(_, file, sha256)| {
            let path = cache.join(file);
            assert_eq!(
                sha256_hex(&path),
                *sha256,
                "{} does not have its pinned sha256",
                path.display()
            );
            path
        })
        .collect()
}

fn create_venv(python: &Path, directory: &Path) {
    run(command(python)
        .args(["-m", "venv", "--without-pip"])
        .arg(directory));
}

#[test]
fn real_python_imports_and_real_pip_agrees() {
    let Some(python) = test_python() else {
        return;
    };
    let wheels = wheels(&python);
    let root = tempfile::tempdir().unwrap();

    // Timing run without bytecode compilation, in its own venv.
    let quick = root.path().join("quick");
    create_venv(&python, &quick);
    let quick_layout = Layout::for_venv(&quick, (3, 11));
    let requests: Vec<WheelInstall> = wheels
        .iter()
        .map(|wheel| WheelInstall::new(wheel, true))
        .collect();
    let options = InstallOptions {
        threads: 2,
        ..InstallOptions::default()
    };
    let started = Instant::now();
    install_wheels(&requests, &quick_layout, &options).unwrap();
    let without_compile = started.elapsed();

    // The checked run: with bytecode compilation, as pip does by default.
    let venv = root.path().join("venv");
    create_venv(&python, &venv);
    let venv_python = venv.join("bin/python");
    let probe = run(command(&venv_python).args([
        "-c",
        "import json, sys, sysconfig; p = sysconfig.get_paths(); \
         print(json.dumps([p['purelib'], p['platlib'], p['scripts'], p['data'], list(sys.version_info[:2])]))",
    ]));
    let probe: serde_json::Value = serde_json::from_str(&stdout(&probe)).unwrap();
    let layout = Layout::for_venv(&venv, (3, 11));
    assert_eq!(
        probe[4],
        serde_json::json!([3, 11]),
        "WHARF_TEST_PYTHON must be 3.11"
    );
    for (index, path) in [
        &layout.purelib,
        &layout.platlib,
        &layout.scripts,
        &layout.data,
    ]
    .into_iter()
    .enumerate()
    {
        assert_eq!(
            probe[index].as_str().map(PathBuf::from).as_ref(),
            Some(path),
            "sysconfig disagrees with Layout::for_venv"
        );
    }
    let options = InstallOptions {
        compile: true,
        ..options
    };
    let started = Instant::now();
    let output = install_wheels(&requests, &layout, &options).unwrap();
    let with_compile = started.elapsed();
    eprintln!(
        "installed {} wheels: {without_compile:?} without bytecode, {with_compile:?} with bytecode",
        output.installed.len()
    );
    assert_eq!(output.installed.len(), 4);

    // The interpreter imports everything, MarkupSafe with its C extension.
    let imported = run(command(&venv_python).args([
        "-c",
        "import six, idna, markupsafe, pyflakes; from markupsafe import _speedups; \
         assert str(markupsafe.escape('<a>')) == '&lt;a&gt;'; \
         print(six.__version__, idna.__version__, markupsafe.__version__, pyflakes.__version__, \
         markupsafe.escape.__module__, six.__cached__ is not None)",
    ]));
    assert_eq!(
        stdout(&imported),
        "1.16.0 3.7 2.1.5 3.2.0 markupsafe._speedups True\n"
    );

    // The console script runs, through its shebang.
    let version = run(command(venv.join("bin/pyflakes")).arg("--version"));
    assert!(stdout(&version).contains("3.2.0"), "{}", stdout(&version));
    let source = root.path().join("unused.py");
    std::fs::write(&source, "import os\n").unwrap();
    let flagged = command(venv.join("bin/pyflakes"))
        .arg(&source)
        .output()
        .unwrap();
    assert_eq!(flagged.status.code(), Some(1));
    assert!(stdout(&flagged).contains("'os' imported but unused"));

    // Bytecode is recorded with its real hash.
    let six_dist_info = layout.purelib.join("six-1.16.0.dist-info");
    let record = std::fs::read_to_string(six_dist_info.join("RECORD")).unwrap();
    let pyc_line = record
        .lines()
        .find(|line| line.starts_with("__pycache__/six.cpython-311.pyc,"))
        .unwrap_or_else(|| panic!("no pyc in RECORD:\n{record}"));
    let pyc = std::fs::read(layout.purelib.join("__pycache__/six.cpython-311.pyc")).unwrap();
    assert!(pyc_line.ends_with(&format!(",{}", pyc.len())));

    // pip sees what we recorded.
    let pip_python = |args: &[&str]| {
        let mut command = pip(&python);
        command.arg("--python").arg(&venv_python).args(args);
        stdout(&run(&mut command))
    };
    let listed: serde_json::Value =
        serde_json::from_str(&pip_python(&["list", "--format=json"])).unwrap();
    let mut listed: Vec<(String, String)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            (
                item["name"].as_str().unwrap().to_string(),
                item["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    listed.sort();
    assert_eq!(
        listed,
        [
            ("MarkupSafe".to_string(), "2.1.5".to_string()),
            ("idna".to_string(), "3.7".to_string()),
            ("pyflakes".to_string(), "3.2.0".to_string()),
            ("six".to_string(), "1.16.0".to_string()),
        ]
    );
    let freeze_options = FreezeOptions {
        all: false,
        python_version: (3, 11),
        exclude: vec![],
    };
    let ours = || {
        let installed = SitePackages::scan([&layout.purelib, &layout.platlib]).unwrap();
        assert!(installed.errors.is_empty(), "{:?}", installed.errors);
        let mut lines = freeze(&installed.dists, &freeze_options).join("\n");
        lines.push('\n');
        (installed, lines)
    };
    let (installed, our_freeze) = ours();
    assert_eq!(pip_python(&["freeze"]), our_freeze);
    assert_eq!(
        our_freeze,
        "idna==3.7\nMarkupSafe==2.1.5\npyflakes==3.2.0\nsix==1.16.0\n"
    );
    assert_eq!(pip_python(&["check"]), "No broken requirements found.\n");

    // pip uninstalls what we installed: every file of our RECORD goes, the console script
    // (recorded as `../../../bin/pyflakes`) included.
    let pyflakes_files = installed.get("pyflakes").unwrap().files().unwrap();
    assert!(pyflakes_files.contains(&venv.join("bin/pyflakes")));
    pip_python(&["uninstall", "-y", "pyflakes"]);
    for file in &pyflakes_files {
        assert!(!file.exists(), "pip left {}", file.display());
    }
    assert!(!layout.purelib.join("pyflakes-3.2.0.dist-info").exists());

    // And we uninstall; pip agrees it is gone.
    let six = installed.get("six").unwrap().clone();
    let six_files = six.files().unwrap();
    assert!(six_files.len() >= 6, "{six_files:?}");
    uninstall(&[six], &layout, &options).unwrap();
    for file in &six_files {
        assert!(!file.exists(), "wharf left {}", file.display());
    }
    assert!(!six_dist_info.exists());
    let (_, our_freeze) = ours();
    assert_eq!(pip_python(&["freeze"]), our_freeze);
    assert_eq!(our_freeze, "idna==3.7\nMarkupSafe==2.1.5\n");
    assert_eq!(pip_python(&["check"]), "No broken requirements found.\n");

    // pip installing the same wheels writes the same RECORD rows (apart from INSTALLER,
    // pip's direct_url.json for a wheel given by path, and .pyc contents, which embed times).
    let reference = root.path().join("reference");
    create_venv(&python, &reference);
    run(pip(&python)
        .arg("--python")
        .arg(reference.join("bin/python"))
        .args(["install", "--no-index", "--no-deps"])
        .args(&wheels));
    let reference_layout = Layout::for_venv(&reference, (3, 11));
    let rows = |site: &Path, dist_info: &str| -> Vec<String> {
        let record = std::fs::read_to_string(site.join(dist_info).join("RECORD")).unwrap();
        record
            .split("\r\n")
            .filter(|line| !line.is_empty())
            .filter(|line| !line.contains("/INSTALLER,") && !line.contains("/direct_url.json,"))
            .map(|line| {
                if line.contains(".pyc,") {
                    line.split(',').next().unwrap().to_string()
                } else {
                    line.to_string()
                }
            })
            .collect()
    };
    for dist_info in ["idna-3.7.dist-info", "MarkupSafe-2.1.5.dist-info"] {
        assert_eq!(
            rows(&layout.purelib, dist_info),
            rows(&reference_layout.purelib, dist_info),
            "{dist_info}"
        );
    }
    // The launcher pip wrote and ours run the same way; compare everything but the shebang.
    let launcher = |venv: &Path| {
        let text = std::fs::read_to_string(venv.join("bin/pyflakes")).unwrap();
        text.split_once('\n').unwrap().1.to_string()
    };
    let ours_launcher = std::fs::read_to_string(quick.join("bin/pyflakes")).unwrap();
    assert!(ours_launcher.starts_with(&format!("#!{}\n", quick.join("bin/python").display())));
    assert_eq!(launcher(&quick), launcher(&reference).replace('\'', "\""));
    assert_eq!(
        rows(&quick_layout.purelib, "pyflakes-3.2.0.dist-info")
            .into_iter()
            .filter(|row| !row.starts_with("../../../bin/pyflakes,"))
            .filter(|row| !row.contains("__pycache__/"))
            .collect::<Vec<_>>(),
        rows(&reference_layout.purelib, "pyflakes-3.2.0.dist-info")
            .into_iter()
            .filter(|row| !row.starts_with("../../../bin/pyflakes,"))
            .filter(|row| !row.contains("__pycache__/"))
            .collect::<Vec<_>>(),
    );
}

/// `.egg-info` directories and files are listed with the names, versions and dependencies
/// `importlib.metadata` (what pip 24 reads on Python 3.11) gives them.
#[test]
fn egg_info_listed_like_importlib_metadata() {
    let Some(python) = test_python() else {
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let site = root.path().join("site-packages");
    let egg_dir = site.join("Foo_Bar-1.0-py3.11.egg-info");
    std::fs::create_dir_all(&egg_dir).unwrap();
    std::fs::write(
        egg_dir.join("PKG-INFO"),
        "Metadata-Version: 1.2\nName: Foo-Bar\nVersion: 1.0.post1\n",
    )
    .unwrap();
    std::fs::write(
        egg_dir.join("requires.txt"),
        "six>=1.0\n\n[test]\npytest (>=7)\n[:python_version < \"3.8\"]\nimportlib-metadata\n\
         [docs:sys_platform == \"linux\"]\nsphinx\npkg @ https://x/pkg.zip\n",
    )
    .unwrap();
    std::fs::write(
        site.join("legacy-2.0-py3.11.egg-info"),
        "Metadata-Version: 1.0\nName: legacy\nVersion: 2.0\n",
    )
    .unwrap();
    let with_requires_dist = site.join("both-3.0-py3.11.egg-info");
    std::fs::create_dir_all(&with_requires_dist).unwrap();
    std::fs::write(
        with_requires_dist.join("PKG-INFO"),
        "Metadata-Version: 2.1\nName: both\nVersion: 3.0\nRequires-Dist: idna\n",
    )
    .unwrap();
    std::fs::write(with_requires_dist.join("requires.txt"), "ignored\n").unwrap();

    let listed = run(command(&python)
        .arg("-c")
        .arg(
            "import importlib.metadata as m, json, sys; \
         print(json.dumps(sorted([d.metadata['Name'], d.version, d.requires or []] \
         for d in m.distributions(path=[sys.argv[1]]))))",
        )
        .arg(&site));
    let expected: serde_json::Value = serde_json::from_str(&stdout(&listed)).unwrap();
    let scanned = wharf_install::SitePackages::scan([&site]).unwrap();
    assert!(scanned.errors.is_empty(), "{:?}", scanned.errors);
    let mut ours: Vec<serde_json::Value> = scanned
        .dists
        .iter()
        .map(|dist| serde_json::json!([dist.name, dist.version, dist.requires_dist]))
        .collect();
    ours.sort_by_key(ToString::to_string);
    assert_eq!(serde_json::Value::Array(ours), expected);
}
