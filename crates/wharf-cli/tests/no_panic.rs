//! Regression tests for the no-panic issue: requirements pep508_rs 0.9.2 panicked on (exit
//! 101), and devices given as requirements or constraints files (endless reads, unbounded
//! memory). Each must end at once with exit 2 and a message that names the input.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn wharf(home: &Path) -> Command {
    let mut command = wharf_test_support::clean_command(env!("CARGO_BIN_EXE_wharf"), Some(home));
    command.current_dir(home);
    command
}

/// (exit code, stderr, elapsed).
fn run(command: &mut Command) -> (Option<i32>, String, Duration) {
    let start = Instant::now();
    let output = command.output().unwrap();
    let elapsed = start.elapsed();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        elapsed,
    )
}

#[test]
fn regression_no_panic_endless_devices_end_within_a_second() {
    let home = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str); 3] = [
        (&["install", "-r", "/dev/zero"], "/dev/zero"),
        (&["install", "-c", "/dev/urandom", "numpy"], "/dev/urandom"),
        (&["avail", "-r", "/dev/urandom"], "/dev/urandom"),
    ];
    for (args, device) in cases {
        let (code, stderr, elapsed) = run(wharf(home.path()).args(args));
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.starts_with(&format!(
                "error: `{device}` is larger than 16 MiB and is not read\n"
            )),
            "{args:?}: {stderr}"
        );
        assert!(elapsed < Duration::from_secs(2), "{args:?}: {elapsed:?}");
    }
}

#[test]
fn regression_no_panic_binary_requirements_file_is_not_text() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("r.txt");
    std::fs::write(&file, b"numpy\n\0\x01\x02").unwrap();
    let (code, stderr, _) = run(wharf(home.path()).arg("install").arg("-r").arg(&file));
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("r.txt` is not text: a NUL character at offset 6"),
        "{stderr}"
    );
}

/// From the command line, `-r`, `-c` and `pyproject.toml`: each is an invalid requirement.
#[test]
fn regression_no_panic_invalid_names() {
    let home = tempfile::tempdir().unwrap();
    let texts = ["a_;", "a_[", "a-é", "numpy_é", "a[b_]"];
    for text in texts {
        std::fs::write(home.path().join("r.txt"), format!("{text}\n")).unwrap();
        std::fs::write(
            home.path().join("pyproject.toml"),
            format!("[project]\nname = \"p\"\ndependencies = [\"{text}\"]\n"),
        )
        .unwrap();
        let invocations: [&[&str]; 4] = [
            &["install", text],
            &["install", "-r", "r.txt"],
            &["install", "numpy", "-c", "r.txt"],
            &["install", "-r", "pyproject.toml"],
        ];
        for args in invocations {
            let (code, stderr, _) = run(wharf(home.path()).args(args));
            assert_eq!(code, Some(2), "{args:?}: {stderr}");
            assert!(
                stderr.starts_with(&format!("error: invalid requirement `{text}`")),
                "{args:?}: {stderr}"
            );
            assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        }
    }
}

/// `wharf check` on an installed distribution whose `Requires-Dist` pep508_rs panicked on:
/// the requirement is skipped (pip warns and skips), no crash.
#[test]
fn regression_no_panic_check_installed_requires_dist() {
    let Some(test_python) = wharf_test_support::real_python() else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let venv = home.path().join("env");
    let base = wharf_test_support::base_python(&test_python);
    let (code, stderr, _) = run(wharf(home.path())
        .arg("venv")
        .arg(&venv)
        .arg("--python")
        .arg(&base));
    assert_eq!(code, Some(0), "{stderr}");
    let site_packages = glob::glob(&format!("{}/lib/python3*/site-packages", venv.display()))
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    let dist_info = site_packages.join("broken-1.0.dist-info");
    std::fs::create_dir(&dist_info).unwrap();
    std::fs::write(
        dist_info.join("METADATA"),
        "Metadata-Version: 2.1\nName: broken\nVersion: 1.0\nRequires-Dist: a_;\nRequires-Dist: numpy_é\nRequires-Dist: b ; 'x' ~= sys_platform\n",
    )
    .unwrap();
    std::fs::write(dist_info.join("RECORD"), "").unwrap();
    let (code, stderr, _) = run(wharf(home.path()).arg("check").arg("--python").arg(&venv));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
