//! A process killed with SIGKILL in the middle of the commit leaves a journal; the next
//! transaction (here [`recover`]) rolls it back to the byte-identical tree.
//! (Failpoint deaths at every step boundary: `failpoints.rs`.)
//!
//! The test re-runs its own binary as the child that installs (selected by an environment
//! variable), and kills it as soon as the journal has lines.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{WheelBuilder, paths, snapshot};
use wharf_install::{InstallOptions, Layout, WheelInstall, install_wheels, recover};

const CHILD: &str = "WHARF_INSTALL_CRASH_CHILD";

fn layout(prefix: &Path) -> Layout {
    Layout::for_venv(prefix, (3, 11))
}

/// Many top-level files make the commit long enough (one journaled rename each) to be
/// killed in the middle.
fn many_files_wheel(directory: &Path) -> PathBuf {
    let mut builder = WheelBuilder::new("many-1.0.dist-info", "many", "1.0", true);
    for index in 0..4_000 {
        builder = builder.member(&format!("m{index}.py"), b"x = 1\n", 0o644, false);
    }
    builder.write(&directory.join("many-1.0-py3-none-any.whl"))
}

fn small_wheel(directory: &Path, version: &str) -> PathBuf {
    WheelBuilder::new(
        &format!("small-{version}.dist-info"),
        "small",
        version,
        true,
    )
    .file("small/__init__.py", version.as_bytes())
    .file(&format!("small/only_{}.py", version.replace('.', "_")), b"")
    .write(&directory.join(format!("small-{version}-py3-none-any.whl")))
}

#[test]
fn crash_child() {
    // Only does something when run as the child of `sigkill_mid_commit_is_rolled_back`.
    let Some(root) = std::env::var_os(CHILD) else {
        return;
    };
    let root = PathBuf::from(root);
    let wheels = [
        WheelInstall::new(root.join("wheels/small-2.0-py3-none-any.whl"), true),
        WheelInstall::new(root.join("wheels/many-1.0-py3-none-any.whl"), true),
    ];
    let options = InstallOptions {
        threads: 1,
        ..InstallOptions::default()
    };
    install_wheels(&wheels, &layout(&root.join("env")), &options).unwrap();
}

#[test]
fn sigkill_mid_commit_is_rolled_back() {
    let root = tempfile::tempdir().unwrap();
    let wheels = root.path().join("wheels");
    std::fs::create_dir(&wheels).unwrap();
    let prefix = root.path().join("env");
    let layout = layout(&prefix);
    std::fs::create_dir_all(&layout.purelib).unwrap();
    std::fs::create_dir_all(&layout.scripts).unwrap();
    let options = InstallOptions {
        threads: 1,
        ..InstallOptions::default()
    };
    install_wheels(
        &[WheelInstall::new(small_wheel(&wheels, "1.0"), true)],
        &layout,
        &options,
    )
    .unwrap();
    small_wheel(&wheels, "2.0");
    many_files_wheel(&wheels);
    let before = snapshot(&prefix);

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
        .env_clear()
        .env(CHILD, root.path())
        .spawn()
        .unwrap();
    // Wait for the commit to be under way: the journal (the whole plan) is written and
    // some of the 4 000 files are already moved in.
    let started = Instant::now();
    let journal = loop {
        let found = std::fs::read_dir(&layout.purelib)
            .unwrap()
            .filter_map(Result::ok)
            .find(|entry| {
                entry
                    .file_name()
                    .to_string_lossy()
                    .starts_with(".wharf-txn-")
            })
            .map(|entry| entry.path().join("journal"));
        if let Some(journal) = found
            && journal.exists()
            && layout.purelib.join("m1.py").exists()
        {
            break journal;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the child finished before it could be killed"
        );
        assert!(started.elapsed() < Duration::from_mins(1), "no commit seen");
        std::thread::sleep(Duration::from_micros(200));
    };
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success(), "the child was not killed: {status}");
    assert!(std::fs::metadata(&journal).unwrap().len() > 0);
    assert_ne!(
        paths(&before),
        paths(&snapshot(&prefix)),
        "nothing was changed"
    );

    let recovered = recover(&layout).unwrap();
    assert_eq!(recovered.len(), 1);
    assert!(!recovered[0].committed);
    let after = snapshot(&prefix);
    assert_eq!(paths(&before), paths(&after));
    assert!(before == after, "contents or modes differ after recovery");
}
