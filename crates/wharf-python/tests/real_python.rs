//! Tests against the machine's real CPython (`WHARF_TEST_PYTHON`, a venv made by
//! `scripts/test-env.sh` with `packaging` in it). Without it they print a skip note, unless
//! `WHARF_TEST_REQUIRE_PEERS` is set, when they fail.
//!
//! Every subprocess gets an explicit environment: the machine exports `PIP_*` variables.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use wharf_python::{
    CacheStatus, InterpreterInfo, PythonEnv, PythonRequest, Source, discovery, probe,
    probe_with_cache_status,
};

fn test_python() -> Option<PathBuf> {
    wharf_test_support::real_python()
}

/// A clean environment: system PATH, a temp HOME and cache, and an optional PYTHONPATH.
fn clean_env(temp: &Path, pythonpath: Option<&Path>) -> PythonEnv {
    PythonEnv {
        path: Some("/usr/local/bin:/usr/bin:/bin".into()),
        home: Some(temp.join("home")),
        wharf_cache_dir: Some(temp.join("cache")),
        pythonpath: pythonpath.map(|path| path.as_os_str().to_owned()),
        python_dirs: Some(String::new()),
        ..PythonEnv::default()
    }
}

/// Runs `python -c script` in `env`'s explicit environment and parses its JSON output.
fn python_json(python: &Path, env: &PythonEnv, script: &str) -> Value {
    let output = Command::new(python)
        .arg("-c")
        .arg(script)
        .env_clear()
        .envs(env.subprocess_env())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// What the interpreter says about itself, with `packaging`'s marker environment as the
/// independent reference for PEP 508 markers.
const TRUTH: &str = r#"
import json, platform, sys, sysconfig
from packaging.markers import default_environment
from packaging import tags
path = sys.path[1:] if sys.path and sys.path[0] == "" else sys.path
print(json.dumps({
    "version": platform.python_version(),
    "prefix": sys.prefix,
    "base_prefix": sys.base_prefix,
    "executable": sys.executable,
    "sys_path": path,
    "paths": sysconfig.get_paths(),
    "soabi": sysconfig.get_config_var("SOABI"),
    "cache_tag": sys.implementation.cache_tag,
    "markers": default_environment(),
    "manylinux_tags": sum(1 for tag in tags.sys_tags() if "manylinux" in tag.platform),
}))
"#;

fn path_of(value: &Value) -> PathBuf {
    PathBuf::from(value.as_str().unwrap())
}

#[test]
fn probe_matches_what_python_reports() {
    let Some(python) = test_python() else { return };
    let temp = tempfile::tempdir().unwrap();
    let env = clean_env(temp.path(), None);
    let info = probe(&python, &env).unwrap();
    let truth = python_json(&python, &env, TRUTH);

    assert_eq!(info.version(), truth["version"].as_str().unwrap());
    assert_eq!(info.implementation_name, "cpython");
    assert_eq!(info.cache_tag.as_deref(), truth["cache_tag"].as_str());
    assert_eq!(info.soabi.as_deref(), truth["soabi"].as_str());
    assert_eq!(info.prefix, path_of(&truth["prefix"]));
    assert_eq!(info.base_prefix, path_of(&truth["base_prefix"]));
    assert_eq!(info.executable, path_of(&truth["executable"]));
    let sys_path: Vec<PathBuf> = truth["sys_path"]
        .as_array()
        .unwrap()
        .iter()
        .map(path_of)
        .collect();
    assert_eq!(info.sys_path, sys_path);
    for (key, value) in [
        ("purelib", &info.paths.purelib),
        ("platlib", &info.paths.platlib),
        ("scripts", &info.paths.scripts),
        ("data", &info.paths.data),
        ("include", &info.paths.include),
    ] {
        assert_eq!(value, &path_of(&truth["paths"][key]), "{key}");
    }

    // Markers: every PEP 508 variable as `packaging` computes it.
    let markers = serde_json::to_value(&info.markers).unwrap();
    let reference = truth["markers"].as_object().unwrap();
    assert_eq!(markers.as_object().unwrap().len(), reference.len());
    for (key, value) in reference {
        assert_eq!(&markers[key], value, "marker {key}");
    }
    let environment = info.marker_environment().unwrap();
    let (major, minor) = info.major_minor();
    let requirement: pep508_rs::Requirement =
        format!("x; python_version == '{major}.{minor}' and os_name == 'posix'")
            .parse()
            .unwrap();
    assert!(requirement.evaluate_markers(&environment, &[]));

    // WHARF_TEST_PYTHON is a venv's python: its base is elsewhere and exists.
    assert!(info.is_venv());
    let base = info.base_interpreter();
    assert!(base.is_file(), "{}", base.display());
    assert!(!base.starts_with(&info.prefix));
    assert!(info.glibc().is_some());
    assert_eq!(info.pointer_size, 64);
}

#[test]
fn base_interpreter_probes_as_itself() {
    let Some(python) = test_python() else { return };
    let temp = tempfile::tempdir().unwrap();
    let env = clean_env(temp.path(), None);
    let venv_info = probe(&python, &env).unwrap();
    let base_info = probe(venv_info.base_interpreter(), &env).unwrap();
    assert!(!base_info.is_venv());
    assert_eq!(base_info.prefix, venv_info.base_prefix);
    assert_eq!(base_info.version(), venv_info.version());
    assert_ne!(base_info.paths.purelib, venv_info.paths.purelib);
}

/// Writes a `_manylinux.py` into a fresh directory and returns the directory.
fn manylinux_module(temp: &Path, name: &str, body: &str) -> PathBuf {
    let dir = temp.join(name);
    fs_err::create_dir_all(&dir).unwrap();
    fs_err::write(dir.join("_manylinux.py"), body).unwrap();
    dir
}

#[test]
fn manylinux_refused_by_site_module_on_pythonpath() {
    let Some(python) = test_python() else { return };
    let temp = tempfile::tempdir().unwrap();

    // Without `_manylinux`: manylinux allowed (glibc permitting), as packaging says.
    let env = clean_env(temp.path(), None);
    let info = probe(&python, &env).unwrap();
    assert_eq!(info.manylinux.module, None);
    assert!(info.manylinux_compatible(2, 17));
    assert!(!info.manylinux_refused_by_policy());
    assert!(python_json(&python, &env, TRUTH)["manylinux_tags"].as_u64() > Some(0));

    // The site's module on PYTHONPATH: every manylinux tag refused, as packaging says.
    let site = manylinux_module(
        temp.path(),
        "site",
        "def manylinux_compatible(major, minor, arch):\n    return False\n",
    );
    let env = clean_env(temp.path(), Some(&site));
    let info = probe(&python, &env).unwrap();
    assert_eq!(info.manylinux.module, Some(site.join("_manylinux.py")));
    assert!(info.sys_path.contains(&site));
    assert!(info.manylinux_refused_by_policy());
    let (_, glibc_minor) = info.glibc().unwrap();
    for minor in 5..=glibc_minor {
        assert!(!info.manylinux_compatible(2, minor), "manylinux_2_{minor}");
    }
    assert_eq!(
        python_json(&python, &env, TRUTH)["manylinux_tags"].as_u64(),
        Some(0)
    );

    // A legacy PEP 599 attribute vetoes manylinux2014 only.
    let legacy = manylinux_module(temp.path(), "legacy", "manylinux2014_compatible = False\n");
    let info = probe(&python, &clean_env(temp.path(), Some(&legacy))).unwrap();
    assert_eq!(info.manylinux.manylinux2014_compatible, Some(false));
    assert!(!info.manylinux_compatible(2, 17));
    assert!(info.manylinux_compatible(2, 28));
}

#[test]
fn real_probe_is_cached_per_pythonpath() {
    let Some(python) = test_python() else { return };
    let temp = tempfile::tempdir().unwrap();
    let env = clean_env(temp.path(), None);
    let (first, status) = probe_with_cache_status(&python, &env).unwrap();
    assert_eq!(status, CacheStatus::Miss);
    let (second, status) = probe_with_cache_status(&python, &env).unwrap();
    assert_eq!(status, CacheStatus::Hit);
    assert_eq!(first, second);
    let other = clean_env(temp.path(), Some(&temp.path().join("elsewhere")));
    let (_, status) = probe_with_cache_status(&python, &other).unwrap();
    assert_eq!(status, CacheStatus::Stale);
}

#[test]
fn find_real_interpreters() {
    let Some(python) = test_python() else { return };
    let temp = tempfile::tempdir().unwrap();
    let info: InterpreterInfo = probe(&python, &clean_env(temp.path(), None)).unwrap();
    let base = info.base_interpreter().to_owned();
    let (major, minor) = info.major_minor();
    let full = info.version().to_owned();

    // A module tree holding the real interpreter, named by its full version.
    let tree = temp.path().join("tree");
    let executable = tree
        .join(&full)
        .join("bin")
        .join(format!("python{major}.{minor}"));
    fs_err::create_dir_all(executable.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&base, &executable).unwrap();

    let venv = info.prefix.clone();
    let env = PythonEnv {
        virtual_env: Some(venv.clone()),
        python_dirs: Some(format!("{}", tree.display())),
        path: Some(base.parent().unwrap().as_os_str().to_owned()),
        ..clean_env(temp.path(), None)
    };
    let found = wharf_python::discover(&env);
    assert_eq!(found[0].source, Source::ActiveVenv);
    assert_eq!(found[0].executable, venv.join("bin/python"));
    assert!(found.iter().any(|found| found.source == Source::ModuleTree));

    // The active venv wins for its own version...
    let request = PythonRequest::parse(&format!("{major}.{minor}")).unwrap();
    let chosen = wharf_python::find(&request, &env).unwrap();
    assert_eq!(chosen.source, Source::ActiveVenv);
    // ...the module tree for an exact patch when no venv is active...
    let env = PythonEnv {
        virtual_env: None,
        ..env
    };
    let request = PythonRequest::parse(&full).unwrap();
    let chosen = wharf_python::find(&request, &env).unwrap();
    assert_eq!(
        (chosen.source, &chosen.executable),
        (Source::ModuleTree, &executable)
    );
    // ...and PATH's `python3`, whose version only a probe tells, when there are no trees.
    let env = PythonEnv {
        python_dirs: Some(String::new()),
        ..env
    };
    let chosen = wharf_python::find(&request, &env).unwrap();
    assert_eq!(chosen.source, Source::SearchPath);
    assert_eq!(probe(&chosen.executable, &env).unwrap().version(), full);

    // A request nothing meets names what exists.
    let request = PythonRequest::parse("3.99").unwrap();
    let error = discovery::find(&request, &env).unwrap_err();
    assert!(error.to_string().contains("(PATH)"), "{error}");
}
