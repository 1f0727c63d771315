//! A real death (abort, not an unwinding panic) at every step boundary of a transaction,
//! then recovery: the environment is exactly (bytes, modes, every path) the state before
//! the transaction when it died before its commit point, the state after when it died after.
//!
//! The transaction upgrades `demo` 1.0 ▸ 2.0 (scripts, data, headers, platlib; files and
//! directories removed and made), replaces `small`, removes `gone` and adds `fresh`: every
//! kind of journaled operation. Each case re-runs this test binary as the child that
//! installs, with `FAILPOINTS` set (the `failpoints` feature, on for this crate's tests)
//! and a panic hook that aborts.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{WheelBuilder, demo_wheel, paths, snapshot};
use wharf_install::{
    InstallOptions, Layout, Plan, SitePackages, WheelInstall, install, install_wheels, recover,
};

const CHILD: &str = "WHARF_FAILPOINT_CHILD";

/// The warning `.pth` file of a transaction that may have changed the environment.
const IN_PROGRESS_PTH: &str = "00-wharf-transaction-in-progress.pth";

fn layout(prefix: &Path) -> Layout {
    Layout::for_venv(prefix, (3, 11))
}

fn options() -> InstallOptions {
    InstallOptions {
        threads: 2,
        ..InstallOptions::default()
    }
}

fn simple_wheel(directory: &Path, name: &str, version: &str) -> PathBuf {
    WheelBuilder::new(&format!("{name}-{version}.dist-info"), name, version, true)
        .file(&format!("{name}/__init__.py"), version.as_bytes())
        .file(
            &format!("{name}/sub/deep_{}.py", version.replace('.', "_")),
            b"x = 1\n",
        )
        .member(&format!("{name}/tool.sh"), b"#!/bin/sh\n", 0o755, true)
        .write(&directory.join(format!("{name}-{version}-py3-none-any.whl")))
}

/// `root/wheels/` with every wheel; `root/env` with demo 1.0, small 1.0, gone 1.0.
fn set_up(root: &Path) -> Layout {
    let wheels = root.join("wheels");
    std::fs::create_dir_all(&wheels).unwrap();
    demo_wheel(&wheels, "1.0");
    demo_wheel(&wheels, "2.0");
    simple_wheel(&wheels, "small", "1.0");
    simple_wheel(&wheels, "small", "2.0");
    simple_wheel(&wheels, "gone", "1.0");
    simple_wheel(&wheels, "fresh", "1.0");
    let prefix = root.join("env");
    let _ = std::fs::remove_dir_all(&prefix);
    let layout = layout(&prefix);
    std::fs::create_dir_all(&layout.purelib).unwrap();
    std::fs::create_dir_all(&layout.scripts).unwrap();
    let initial: Vec<WheelInstall> = [
        "demo-1.0-py3-none-any.whl",
        "small-1.0-py3-none-any.whl",
        "gone-1.0-py3-none-any.whl",
    ]
    .iter()
    .map(|name| WheelInstall::new(wheels.join(name), true))
    .collect();
    install_wheels(&initial, &layout, &options()).unwrap();
    layout
}

/// The transaction under test.
fn change(root: &Path) {
    let layout = layout(&root.join("env"));
    let wheels = root.join("wheels");
    let gone = SitePackages::scan([&layout.purelib])
        .unwrap()
        .dists
        .into_iter()
        .find(|dist| dist.name == "gone")
        .unwrap();
    let plan = Plan {
        remove: vec![gone],
        install: [
            "demo-2.0-py3-none-any.whl",
            "small-2.0-py3-none-any.whl",
            "fresh-1.0-py3-none-any.whl",
        ]
        .iter()
        .map(|name| WheelInstall::new(wheels.join(name), true))
        .collect(),
    };
    install(&plan, &layout, &options()).unwrap();
}

#[test]
fn failpoint_child() {
    // Only does something when run as the child of a test below.
    let Some(root) = std::env::var_os(CHILD) else {
        return;
    };
    if std::env::var_os("WHARF_FAILPOINT_UNWIND").is_none() {
        std::panic::set_hook(Box::new(|info| {
            eprintln!("dying at {info}");
            std::process::abort();
        }));
    }
    let _scenario = fail::FailScenario::setup();
    let root = PathBuf::from(root);
    if std::env::var_os("WHARF_FAILPOINT_RECOVER").is_some() {
        recover(&layout(&root.join("env"))).unwrap();
    } else {
        change(&root);
    }
}

/// Runs the child with `failpoints` (`FAILPOINTS` syntax); it must die.
fn die_at(root: &Path, failpoints: &str, extra: &[(&str, &str)]) {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "--exact",
            "failpoint_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env_clear()
        .env(CHILD, root)
        .env("FAILPOINTS", failpoints);
    for (name, value) in extra {
        command.env(name, value);
    }
    let output = command.output().unwrap();
    assert!(
        !output.status.success(),
        "the child did not die at `{failpoints}`: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("dying at") || stderr.contains("panicked"),
        "the child did not reach `{failpoints}`: {}\n{stderr}",
        output.status
    );
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Expected {
    Before,
    After,
}

/// Sets up, kills the child at `failpoints`, recovers, and checks the state.
fn case(failpoints: &str, expected: Expected, extra: &[(&str, &str)]) {
    let root = tempfile::tempdir().unwrap();
    let layout = set_up(root.path());
    let prefix = root.path().join("env");
    let before = snapshot(&prefix);
    change(root.path());
    let after = snapshot(&prefix);
    assert_ne!(paths(&before), paths(&after));
    set_up(root.path());
    assert!(before == snapshot(&prefix), "set-up is not reproducible");

    die_at(root.path(), failpoints, extra);
    let leftovers = std::fs::read_dir(&layout.purelib)
        .unwrap()
        .filter(|entry| {
            let entry = entry.as_ref().unwrap();
            entry
                .file_name()
                .to_string_lossy()
                .starts_with(".wharf-txn-")
        })
        .count();
    assert_eq!(
        leftovers, 1,
        "`{failpoints}`: no transaction left by the death"
    );
    // Between the journal and the commit point (and until a rollback ends), Python is warned
    // at every start by a `.pth` file of site-packages; recovery removes it (the snapshot
    // comparison below sees every path).
    let warning = layout.purelib.join(IN_PROGRESS_PTH);
    let warned = !failpoints.starts_with("install::after-stage")
        && !failpoints.starts_with("transaction::during-cleanup");
    assert_eq!(
        warning.exists(),
        warned,
        "`{failpoints}`: {IN_PROGRESS_PTH}"
    );
    if warned {
        let line = std::fs::read_to_string(&warning).unwrap();
        assert!(
            line.starts_with("import sys; ")
                && line.contains("sys.stderr.write('wharf: warning: the environment %s")
                && line.ends_with("% (sys.prefix, sys.prefix)))\n")
                && line.lines().count() == 1,
            "{line}"
        );
    }
    let recovered = recover(&layout).unwrap();
    assert_eq!(recovered.len(), 1, "`{failpoints}`");
    assert_eq!(
        recovered[0].committed,
        expected == Expected::After,
        "`{failpoints}`: {recovered:?}"
    );
    let now = snapshot(&prefix);
    let wanted = match expected {
        Expected::Before => &before,
        Expected::After => &after,
    };
    assert_eq!(paths(wanted), paths(&now), "`{failpoints}`: paths differ");
    assert!(*wanted == now, "`{failpoints}`: contents or modes differ");
    assert!(
        recover(&layout).unwrap().is_empty(),
        "recovery is not final"
    );
}

#[test]
fn death_after_staging_is_rolled_back() {
    case("install::after-stage=panic", Expected::Before, &[]);
}

#[test]
fn death_after_the_journal_is_rolled_back() {
    case("transaction::after-journal=panic", Expected::Before, &[]);
}

#[test]
fn death_after_the_first_removal_is_rolled_back() {
    case("transaction::after-remove=panic", Expected::Before, &[]);
}

#[test]
fn death_after_some_removals_is_rolled_back() {
    case(
        "transaction::after-remove=12*off->panic",
        Expected::Before,
        &[],
    );
}

#[test]
fn death_after_the_first_move_is_rolled_back() {
    case("transaction::after-move=panic", Expected::Before, &[]);
}

#[test]
fn death_after_some_moves_is_rolled_back() {
    case(
        "transaction::after-move=9*off->panic",
        Expected::Before,
        &[],
    );
}

#[test]
fn death_before_the_commit_point_is_rolled_back() {
    case("transaction::before-commit=panic", Expected::Before, &[]);
}

#[test]
fn death_after_the_commit_point_is_rolled_forward() {
    case("transaction::after-commit=panic", Expected::After, &[]);
}

#[test]
fn death_during_cleanup_is_rolled_forward() {
    case("transaction::during-cleanup=panic", Expected::After, &[]);
}

/// A failure in the middle of the moves starts an in-process rollback (the panic unwinds
/// into the transaction's drop); a death in the middle of that rollback (a panic while
/// unwinding aborts) leaves a half-undone environment that recovery must finish without
/// undoing anything twice.
#[test]
fn death_during_a_rollback_is_rolled_back() {
    case(
        "transaction::after-move=6*off->panic;transaction::during-rollback=3*off->panic",
        Expected::Before,
        &[("WHARF_FAILPOINT_UNWIND", "1")],
    );
}

/// A death in the middle of a recovery: the next recovery finishes it.
#[test]
fn death_during_recovery_is_rolled_back_by_the_next_one() {
    let root = tempfile::tempdir().unwrap();
    let layout = set_up(root.path());
    let prefix = root.path().join("env");
    let before = snapshot(&prefix);
    die_at(root.path(), "transaction::after-move=9*off->panic", &[]);
    die_at(
        root.path(),
        "transaction::during-rollback=4*off->panic",
        &[("WHARF_FAILPOINT_RECOVER", "1")],
    );
    assert_ne!(
        paths(&before),
        paths(&snapshot(&prefix)),
        "nothing was undone yet"
    );
    let recovered = recover(&layout).unwrap();
    assert_eq!(recovered.len(), 1);
    assert!(!recovered[0].committed);
    let now = snapshot(&prefix);
    assert_eq!(paths(&before), paths(&now));
    assert!(before == now, "contents or modes differ");
}

/// Two installs into one environment at once are serialized by the lock file: each sees
/// the other's result, both succeed, and the environment holds exactly one version.
#[test]
fn concurrent_installs_are_serialized() {
    let root = tempfile::tempdir().unwrap();
    let layout = set_up(root.path());
    let wheels = root.path().join("wheels");
    let threads: Vec<_> = ["small-2.0-py3-none-any.whl", "small-1.0-py3-none-any.whl"]
        .into_iter()
        .cycle()
        .take(6)
        .map(|wheel| {
            let layout = layout.clone();
            let wheel = wheels.join(wheel);
            std::thread::spawn(move || {
                install_wheels(&[WheelInstall::new(wheel, true)], &layout, &options()).unwrap();
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let smalls: Vec<String> = SitePackages::scan([&layout.purelib])
        .unwrap()
        .dists
        .into_iter()
        .filter(|dist| dist.name == "small")
        .map(|dist| dist.version)
        .collect();
    assert_eq!(smalls.len(), 1, "{smalls:?}");
    let names: Vec<String> = std::fs::read_dir(&layout.purelib)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".wharf-"))
        .collect();
    assert!(names.is_empty(), "{names:?}");
}
