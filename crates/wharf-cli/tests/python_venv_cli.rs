//! `wharf python list/find` on a module tree of fake interpreters, and `wharf venv` with the
//! real CPython.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

fn wharf(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_wharf"));
    c.env_clear()
        .env("HOME", home)
        .env("WHARF_CACHE_DIR", home.join("cache"));
    c
}

/// A module tree `ROOT/modules/python/3.X.Y/bin/python3.X` of shell scripts that print a
/// version when asked, as interpreters found by name (no probe needed).
fn module_tree(root: &Path, versions: &[&str]) -> PathBuf {
    let tree = root.join("modules/python");
    for v in versions {
        let minor = v.rsplit_once('.').unwrap().0;
        let bin = tree.join(v).join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let exe = bin.join(format!("python{minor}"));
        std::fs::write(&exe, "#!/bin/sh\nexit 1\n").unwrap();
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    tree
}

#[test]
fn python_list_shows_module_interpreters() {
    let root = tempfile::tempdir().unwrap();
    let tree = module_tree(root.path(), &["3.11.5", "3.12.4"]);
    let out = wharf(root.path())
        .env("PYTHON_DIRS", &tree)
        .env("PATH", root.path().join("empty"))
        .args(["python", "list", "--json", "--all"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let versions: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["version"].as_str().unwrap())
        .collect();
    assert!(
        versions.contains(&"3.11.5") && versions.contains(&"3.12.4"),
        "{list}"
    );
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|i| i["source"] == "module"),
        "{list}"
    );

    let out = wharf(root.path())
        .env("PYTHON_DIRS", &tree)
        .env("PATH", root.path().join("empty"))
        .args(["python", "find", "3.12"])
        .output()
        .unwrap();
    // The fake interpreters exit 1: a version request runs its match before choosing it, so
    // none is chosen and the error names what was skipped.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(
        stderr.contains("skipped (failed to run)") && stderr.contains("3.12.4/bin/python3.12"),
        "{stderr}"
    );
}

/// The fake interpreters exit 1: without `--all` they are not listed (they do not run).
#[test]
fn python_list_hides_interpreters_that_fail_to_run() {
    let root = tempfile::tempdir().unwrap();
    let tree = module_tree(root.path(), &["3.11.5"]);
    let out = wharf(root.path())
        .env("PYTHON_DIRS", &tree)
        .env("PATH", root.path().join("empty"))
        .args(["python", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no working Python interpreter; 1 found fail to run (see `--all`)"),
        "{stderr}"
    );
    let out = wharf(root.path())
        .env("PYTHON_DIRS", &tree)
        .env("PATH", root.path().join("empty"))
        .args(["python", "list", "--all"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("3.11.5  module") && stdout.contains("(broken: "),
        "{stdout}"
    );
}

#[test]
fn python_find_without_match_names_what_exists() {
    let root = tempfile::tempdir().unwrap();
    let tree = module_tree(root.path(), &["3.11.5"]);
    let out = wharf(root.path())
        .env("PYTHON_DIRS", &tree)
        .env("PATH", root.path().join("empty"))
        .args(["python", "find", "3.14"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("3.14") && stderr.contains("3.11.5"),
        "{stderr}"
    );
    assert!(stderr.contains("hint:"), "{stderr}");
}

fn base_python() -> Option<PathBuf> {
    let python = wharf_test_support::real_python()?;
    Some(wharf_test_support::base_python(&python))
}

#[test]
fn venv_is_a_real_pep405_environment() {
    let Some(base) = base_python() else { return };
    let root = tempfile::tempdir().unwrap();
    let env = root.path().join("env");
    let out = wharf(root.path())
        .env("PATH", "/usr/bin:/bin")
        .args(["venv"])
        .arg(&env)
        .arg("--python")
        .arg(&base)
        .args(["--prompt", "demo"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty(), "stdout carries only data");
    let cfg = std::fs::read_to_string(env.join("pyvenv.cfg")).unwrap();
    assert!(
        cfg.contains("include-system-site-packages = false"),
        "{cfg}"
    );
    assert!(
        cfg.contains("prompt = 'demo'") || cfg.contains("prompt = demo"),
        "{cfg}"
    );
    let out = Command::new(env.join("bin/python"))
        .env_clear()
        .args([
            "-c",
            "import sys; print(sys.prefix != sys.base_prefix, sys.prefix)",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("True "), "{text}");
    // A second `wharf venv` on a non-venv directory with files is refused with a hint.
    let other = root.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("notes.txt"), "keep me").unwrap();
    let out = wharf(root.path())
        .env("PATH", "/usr/bin:/bin")
        .arg("venv")
        .arg(&other)
        .arg("--python")
        .arg(&base)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("hint:"));
    assert_eq!(
        std::fs::read_to_string(other.join("notes.txt")).unwrap(),
        "keep me"
    );
}

#[test]
fn top_level_help_lists_the_commands() {
    let out = Command::new(env!("CARGO_BIN_EXE_wharf"))
        .env_clear()
        .env("COLUMNS", "100")
        .arg("--help")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!(String::from_utf8_lossy(&out.stdout));
}

/// Issue 20 §4: `wharf venv ENV` over an environment whose packages the new one would not see
/// (made with another Python: they live under `lib/python3.X`) refused to go on silently
/// emptying it: it names them and wants `--clear`; the same Python again keeps them.
#[test]
fn venv_over_another_pythons_packages_is_refused_without_clear() {
    let Some(python) = base_python() else { return };
    let home = tempfile::tempdir().unwrap();
    let env = home.path().join("env");
    let made = wharf(home.path())
        .args(["venv", "-q", "--python"])
        .arg(&python)
        .arg(&env)
        .output()
        .unwrap();
    assert!(made.status.success(), "{made:?}");
    // Packages of another Python's environment at the same path.
    let other = env.join("lib/python3.99/site-packages/foo-1.0.dist-info");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(
        other.join("METADATA"),
        "Metadata-Version: 2.1\nName: foo\nVersion: 1.0\n",
    )
    .unwrap();
    let refused = wharf(home.path())
        .args(["venv", "--python"])
        .arg(&python)
        .arg(&env)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("with 1 package under `lib/python3.99` (foo 1.0)")
            && stderr.contains("hint: `wharf venv --clear"),
        "{stderr}"
    );
    assert!(other.is_dir(), "nothing removed");
    let cleared = wharf(home.path())
        .args(["venv", "-q", "--clear", "--python"])
        .arg(&python)
        .arg(&env)
        .output()
        .unwrap();
    assert!(cleared.status.success(), "{cleared:?}");
    assert!(!other.exists());
}

/// `PYTHON_DIRS` naming a version directory (`…/python/3.11.5`) instead of the tree above it
/// finds nothing there: `python list` says so and names the directory to use.
#[test]
fn python_dirs_naming_a_version_directory_is_explained() {
    let root = tempfile::tempdir().unwrap();
    let tree = module_tree(root.path(), &["3.11.5"]);
    let install = tree.join("3.11.5");
    std::os::unix::fs::symlink("python3.11", install.join("bin/python3")).unwrap();
    let out = wharf(root.path())
        .env("PYTHON_DIRS", &install)
        .env("PATH", root.path().join("empty"))
        .env("NO_COLOR", "1")
        .args(["python", "list", "--all"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Nothing else on this PATH: no interpreter at all, exit 1.
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "warning: PYTHON_DIRS names `{}`, a Python installation",
            install.display()
        )) && stderr.contains(&format!("hint: PYTHON_DIRS={} (", tree.display())),
        "{stderr}"
    );
    // The right value: no warning, the interpreter listed.
    let out = wharf(root.path())
        .env("PYTHON_DIRS", &tree)
        .env("PATH", root.path().join("empty"))
        .env("NO_COLOR", "1")
        .args(["python", "list", "--all"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("PYTHON_DIRS names"), "{stderr}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("3.11.5"),
        "{stderr}"
    );
}
