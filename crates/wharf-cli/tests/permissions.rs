//! Unreadable paths, as an unprivileged user: the wharf binary runs under
//! `setpriv --reuid=65534 --regid=65534 --clear-groups` (user `nobody`) on environments and
//! wheelhouses where a directory cannot be listed or traversed into. Regression tests of the
//! "unreadable paths" items of the validation issue:
//!
//! - an unreadable find-links directory gave only "no wheel named X", no warning;
//! - `uninstall` of a package whose directory cannot be entered exited 0, removed the
//!   `.dist-info` and orphaned the files;
//! - `list` / `freeze` / `check` silently skipped an unreadable `.dist-info`.
//!
//! Skipped (with the reason on stderr) when not run as root (no other user to switch to), or
//! when `setpriv` or a system `python3` that `nobody` can run is missing. Environments use the
//! system interpreter (`/usr/bin/python3`): the test interpreter lives under `/root`.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use wharf_test_support::WheelBuilder;

const NOBODY: u32 = 65_534;

/// What every test needs: a directory tree `nobody` may use, the interpreter, the wheels.
struct Setup {
    _root: tempfile::TempDir,
    /// `nobody`'s home and working directory (owned by `nobody`).
    home: PathBuf,
    /// A wheelhouse `nobody` can read, holding `demo 1.0`.
    wheelhouse: PathBuf,
    python: PathBuf,
}

fn setup() -> Option<Setup> {
    // SAFETY-free: `geteuid` through the `id` command keeps this crate free of libc.
    let euid = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&euid.stdout).trim() != "0" {
        wharf_test_support::skip(
            "not root, so there is no unprivileged user to switch to with setpriv",
        );
        return None;
    }
    if Command::new("setpriv").arg("--version").output().is_err() {
        wharf_test_support::skip("`setpriv` (util-linux) is not installed");
        return None;
    }
    let python = PathBuf::from("/usr/bin/python3");
    let runs = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(&python)
        .arg("-V")
        .output();
    if !runs.is_ok_and(|output| output.status.success()) {
        wharf_test_support::skip(&format!("`nobody` cannot run {}", python.display()));
        return None;
    }
    let root = tempfile::tempdir().unwrap();
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let home = root.path().join("home");
    std::fs::create_dir(&home).unwrap();
    std::os::unix::fs::chown(&home, Some(NOBODY), Some(NOBODY)).unwrap();
    let wheelhouse = root.path().join("wheelhouse");
    std::fs::create_dir(&wheelhouse).unwrap();
    std::fs::set_permissions(&wheelhouse, std::fs::Permissions::from_mode(0o755)).unwrap();
    let wheel = WheelBuilder::new("demo", "1.0", true, &[])
        .file("demo/__init__.py", b"VALUE = 1\n")
        .file("demo/core.py", b"x = 2\n")
        .write(&wheelhouse.join("demo-1.0-py3-none-any.whl"));
    std::fs::set_permissions(&wheel, std::fs::Permissions::from_mode(0o644)).unwrap();
    Some(Setup {
        _root: root,
        home,
        wheelhouse,
        python,
    })
}

impl Setup {
    /// `wharf ARGS` as `nobody`, in `home`, with a clean environment.
    fn wharf(&self, args: &[&str]) -> Output {
        let mut command = Command::new("setpriv");
        command
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(env!("CARGO_BIN_EXE_wharf"))
            .args(args)
            .current_dir(&self.home)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", &self.home)
            .env("WHARF_NO_CACHE", "1")
            .env("NO_COLOR", "1");
        command.output().unwrap()
    }

    fn env(&self) -> PathBuf {
        self.home.join("env")
    }

    /// `wharf venv env` then `wharf install demo` from the readable wheelhouse, as `nobody`.
    fn environment_with_demo(&self) -> PathBuf {
        let env = self.env();
        let venv = self.wharf(&[
            "venv",
            env.to_str().unwrap(),
            "--python",
            self.python.to_str().unwrap(),
        ]);
        assert!(venv.status.success(), "{}", transcript(&venv));
        let install = self.wharf(&[
            "install",
            "--python",
            env.to_str().unwrap(),
            "-f",
            self.wheelhouse.to_str().unwrap(),
            "demo",
        ]);
        assert!(install.status.success(), "{}", transcript(&install));
        env
    }
}

fn transcript(output: &Output) -> String {
    format!(
        "exit: {:?}\n--- stdout\n{}--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn site_packages(env: &Path) -> PathBuf {
    let lib = env.join("lib");
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

/// Every path below `root` with its mode and content (read as root).
fn tree(root: &Path) -> Vec<(PathBuf, u32, Vec<u8>)> {
    let mut out = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(directory) = pending.pop() {
        for entry in std::fs::read_dir(&directory).unwrap() {
            let path = entry.unwrap().path();
            let metadata = std::fs::symlink_metadata(&path).unwrap();
            let content = if metadata.is_file() {
                std::fs::read(&path).unwrap()
            } else {
                Vec::new()
            };
            if metadata.is_dir() {
                pending.push(path.clone());
            }
            out.push((path, metadata.permissions().mode(), content));
        }
    }
    out.sort();
    out
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn install_warns_about_an_unreadable_find_links_directory() {
    let Some(setup) = setup() else { return };
    let env = setup.env();
    let venv = setup.wharf(&[
        "venv",
        env.to_str().unwrap(),
        "--python",
        setup.python.to_str().unwrap(),
    ]);
    assert!(venv.status.success(), "{}", transcript(&venv));
    // Owned by root, mode 0o700: `nobody` cannot list it.
    chmod(&setup.wheelhouse, 0o700);
    let install = setup.wharf(&[
        "install",
        "--python",
        env.to_str().unwrap(),
        "-f",
        setup.wheelhouse.to_str().unwrap(),
        "demo",
    ]);
    let stderr = String::from_utf8_lossy(&install.stderr);
    assert_eq!(install.status.code(), Some(1), "{}", transcript(&install));
    assert!(
        stderr.contains(&format!(
            "warning: cannot read directory `{}`; skipped",
            setup.wheelhouse.display()
        )),
        "{}",
        transcript(&install)
    );
    assert!(
        stderr.contains("Permission denied (os error 13)"),
        "{}",
        transcript(&install)
    );
}

#[test]
fn uninstall_that_cannot_remove_a_file_fails_and_changes_nothing() {
    let Some(setup) = setup() else { return };
    let env = setup.environment_with_demo();
    let package = site_packages(&env).join("demo");
    // `nobody` owns it but cannot enter it: its files can be neither seen nor removed.
    chmod(&package, 0o600);
    let before = tree(&env);
    let uninstall = setup.wharf(&["uninstall", "--python", env.to_str().unwrap(), "demo"]);
    let stderr = String::from_utf8_lossy(&uninstall.stderr);
    assert_eq!(
        uninstall.status.code(),
        Some(1),
        "{}",
        transcript(&uninstall)
    );
    assert!(
        stderr.contains(&format!("`{}", package.display())),
        "the error names the path: {}",
        transcript(&uninstall)
    );
    assert!(
        stderr.contains("Permission denied"),
        "{}",
        transcript(&uninstall)
    );
    assert_eq!(tree(&env), before, "the environment changed");
    chmod(&package, 0o755);
    assert!(
        site_packages(&env)
            .join("demo-1.0.dist-info/RECORD")
            .is_file()
    );
}

#[test]
fn list_and_freeze_warn_and_check_fails_on_an_unreadable_dist_info() {
    let Some(setup) = setup() else { return };
    let env = setup.environment_with_demo();
    let dist_info = site_packages(&env).join("demo-1.0.dist-info");
    chmod(&dist_info, 0o000);
    let python = env.to_str().unwrap();
    for command in [
        vec!["list", "--python", python],
        vec!["freeze", "--python", python],
    ] {
        let output = setup.wharf(&command);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{}", transcript(&output));
        assert!(
            stderr.contains(&format!(
                "warning: cannot read `{}/METADATA`",
                dist_info.display()
            )),
            "{}",
            transcript(&output)
        );
        assert!(
            stderr.contains("Permission denied"),
            "{}",
            transcript(&output)
        );
        assert!(
            !String::from_utf8_lossy(&output.stdout).contains("demo"),
            "{}",
            transcript(&output)
        );
    }
    let check = setup.wharf(&["check", "--python", python]);
    assert_eq!(check.status.code(), Some(1), "{}", transcript(&check));
    assert!(
        String::from_utf8_lossy(&check.stderr).contains(&format!("`{}", dist_info.display())),
        "{}",
        transcript(&check)
    );
    chmod(&dist_info, 0o755);
}
