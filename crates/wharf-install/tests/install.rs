//! Installing, upgrading and uninstalling small synthetic wheels in a venv-shaped tree.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use common::{WheelBuilder, demo_wheel, paths, snapshot};
use sha2::Digest;
use wharf_install::{
    FreezeOptions, InstallError, InstallOptions, InstalledSnapshot, Layout, Plan, SitePackages,
    WheelError, WheelInstall, freeze, install, install_wheels, uninstall,
};
use wharf_metadata::read_metadata;

struct Environment {
    _root: tempfile::TempDir,
    prefix: PathBuf,
    wheels: PathBuf,
    layout: Layout,
}

fn environment() -> Environment {
    let root = tempfile::tempdir().unwrap();
    let prefix = root.path().join("env");
    let wheels = root.path().join("wheels");
    std::fs::create_dir_all(&wheels).unwrap();
    let layout = Layout::for_venv(&prefix, (3, 11));
    std::fs::create_dir_all(&layout.purelib).unwrap();
    std::fs::create_dir_all(&layout.scripts).unwrap();
    Environment {
        _root: root,
        prefix,
        wheels,
        layout,
    }
}

fn options() -> InstallOptions {
    InstallOptions {
        threads: 2,
        ..InstallOptions::default()
    }
}

fn sha256(bytes: &[u8]) -> String {
    format!(
        "sha256={}",
        data_encoding::BASE64URL_NOPAD.encode(&sha2::Sha256::digest(bytes))
    )
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn installs_every_scheme_with_scripts_and_record() {
    let env = environment();
    let wheel = demo_wheel(&env.wheels, "1.0");
    let output =
        install_wheels(&[WheelInstall::new(&wheel, true)], &env.layout, &options()).unwrap();
    assert_eq!(output.installed.len(), 1);
    assert_eq!(output.installed[0].name, "Demo");
    let site = &env.layout.purelib;
    let dist_info = site.join("demo-1.0.dist-info");
    assert_eq!(output.installed[0].dist_info, dist_info);

    // Files in their schemes.
    assert_eq!(
        std::fs::read_to_string(site.join("demo/__init__.py")).unwrap(),
        "VERSION = '1.0'\n"
    );
    assert!(site.join("demo_native.py").is_file());
    assert_eq!(
        std::fs::read_to_string(env.prefix.join("share/demo/readme.txt")).unwrap(),
        "data\n"
    );
    assert!(
        env.prefix
            .join("include/site/python3.11/Demo/demo.h")
            .is_file()
    );

    // Modes: the executable bit of the archive is kept, launchers are executable.
    assert_eq!(mode(&site.join("demo/bin/helper.sh")) & 0o111, 0o111);
    assert_eq!(mode(&site.join("demo/cli.py")) & 0o111, 0);
    let python = env.layout.python.to_string_lossy().into_owned();
    let tool = env.prefix.join("bin/tool");
    assert_eq!(
        std::fs::read_to_string(&tool).unwrap(),
        format!("#!{python}\nprint('tool')\n")
    );
    assert_eq!(mode(&tool) & 0o111, 0o111);
    let launcher = std::fs::read_to_string(env.prefix.join("bin/demo")).unwrap();
    assert!(launcher.starts_with(&format!("#!{python}\n")), "{launcher}");
    assert!(launcher.contains("from demo.cli import main\n"));
    assert!(launcher.contains("sys.exit(main())"));
    assert_eq!(mode(&env.prefix.join("bin/demo")) & 0o555, 0o555);
    assert!(env.prefix.join("bin/Demo-Upper").is_file());
    assert!(env.prefix.join("bin/demo-gui").is_file());

    // INSTALLER, REQUESTED.
    assert_eq!(
        std::fs::read_to_string(dist_info.join("INSTALLER")).unwrap(),
        "wharf\n"
    );
    assert!(dist_info.join("REQUESTED").is_file());

    // RECORD: every installed file, real hashes, sorted, CRLF, relative to site-packages.
    let record = std::fs::read_to_string(dist_info.join("RECORD")).unwrap();
    assert!(record.ends_with("\r\n"));
    let mut listed: Vec<String> = Vec::new();
    for line in record.split("\r\n").filter(|line| !line.is_empty()) {
        let fields: Vec<&str> = line.split(',').collect();
        let path = fields[0];
        listed.push(path.to_string());
        if path == "demo-1.0.dist-info/RECORD" {
            assert_eq!(&fields[1..], ["", ""]);
            continue;
        }
        let bytes = std::fs::read(site.join(path)).unwrap();
        assert_eq!(fields[1], sha256(&bytes), "{path}");
        assert_eq!(fields[2], bytes.len().to_string(), "{path}");
    }
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(listed, sorted);
    let expected = [
        "../../../bin/Demo-Upper",
        "../../../bin/demo",
        "../../../bin/demo-gui",
        "../../../bin/tool",
        "../../../include/site/python3.11/Demo/demo.h",
        "../../../share/demo/readme.txt",
        "demo-1.0.dist-info/INSTALLER",
        "demo-1.0.dist-info/METADATA",
        "demo-1.0.dist-info/RECORD",
        "demo-1.0.dist-info/REQUESTED",
        "demo-1.0.dist-info/WHEEL",
        "demo-1.0.dist-info/entry_points.txt",
        "demo/__init__.py",
        "demo/bin/helper.sh",
        "demo/cli.py",
        "demo/only_in_1_0.py",
        "demo_native.py",
    ];
    assert_eq!(listed, expected);

    // Nothing else was left behind (no staging directory).
    let site_entries: Vec<String> = std::fs::read_dir(site)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let mut site_entries = site_entries;
    site_entries.sort();
    assert_eq!(
        site_entries,
        ["demo", "demo-1.0.dist-info", "demo_native.py"]
    );

    // Listing and freeze see it.
    let installed = SitePackages::scan([site]).unwrap();
    assert!(installed.errors.is_empty());
    let dist = installed.get("DEMO").unwrap();
    assert_eq!(dist.version, "1.0");
    assert!(dist.requested);
    assert_eq!(dist.installer.as_deref(), Some("wharf"));
    assert_eq!(dist.requires_dist, ["six (>=1.0)"]);
    let frozen = freeze(
        &installed.dists,
        &FreezeOptions {
            all: false,
            python_version: (3, 11),
            exclude: vec![],
        },
    );
    assert_eq!(frozen, ["Demo==1.0"]);
}

#[test]
fn platlib_root_and_separate_lib_dirs() {
    let env = environment();
    let mut layout = env.layout.clone();
    layout.platlib = env.prefix.join("lib64/python3.11/site-packages");
    let wheel = WheelBuilder::new("native-2.0.dist-info", "native", "2.0", false)
        .file("native/_speedups.so", b"\x7fELF")
        .file("native-2.0.data/purelib/native_pure.py", b"")
        .write(&env.wheels.join("native-2.0-cp311-cp311-linux_x86_64.whl"));
    let url =
        r#"{"url": "file:///wheels/native-2.0-cp311-cp311-linux_x86_64.whl", "archive_info": {}}"#;
    let request = WheelInstall {
        direct_url: Some(url.to_string()),
        ..WheelInstall::new(&wheel, false)
    };
    install_wheels(&[request], &layout, &options()).unwrap();
    let dist_info = layout.platlib.join("native-2.0.dist-info");
    assert_eq!(
        std::fs::read_to_string(dist_info.join("direct_url.json")).unwrap(),
        url
    );
    let installed = SitePackages::scan([&layout.purelib, &layout.platlib]).unwrap();
    assert_eq!(
        wharf_install::freeze_requirement(installed.get("native").unwrap()),
        "native @ file:///wheels/native-2.0-cp311-cp311-linux_x86_64.whl"
    );
    assert!(layout.platlib.join("native/_speedups.so").is_file());
    assert!(layout.purelib.join("native_pure.py").is_file());
    assert!(!dist_info.join("REQUESTED").exists());
    let record = std::fs::read_to_string(dist_info.join("RECORD")).unwrap();
    assert!(
        record.contains("../../../lib/python3.11/site-packages/native_pure.py,"),
        "{record}"
    );
    assert!(record.contains("native/_speedups.so,"));
    assert!(record.contains("native-2.0.dist-info/direct_url.json,"));
}

#[test]
fn err_same_project_twice_in_a_plan() {
    let env = environment();
    let before = snapshot(&env.prefix);
    let v1 = demo_wheel(&env.wheels, "1.0");
    let v2 = demo_wheel(&env.wheels, "2.0");
    let error = install_wheels(
        &[WheelInstall::new(&v1, true), WheelInstall::new(&v2, true)],
        &env.layout,
        &options(),
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "the plan installs `Demo` twice: `{}` and `{}`",
            v1.display(),
            v2.display()
        )
    );
    assert!(before == snapshot(&env.prefix));
}

#[test]
fn reinstall_replaces_the_installed_version() {
    let env = environment();
    let v1 = demo_wheel(&env.wheels, "1.0");
    let v2 = demo_wheel(&env.wheels, "2.0");
    install_wheels(&[WheelInstall::new(&v1, true)], &env.layout, &options()).unwrap();
    // Plan does not list the old version: it is found and removed anyway.
    let output = install_wheels(&[WheelInstall::new(&v2, true)], &env.layout, &options()).unwrap();
    assert_eq!(output.removed.len(), 1);
    assert_eq!(output.removed[0].version, "1.0");
    let site = &env.layout.purelib;
    assert!(!site.join("demo-1.0.dist-info").exists());
    assert!(!site.join("demo/only_in_1_0.py").exists());
    assert!(site.join("demo/only_in_2_0.py").exists());
    let installed = SitePackages::scan([site]).unwrap();
    assert_eq!(installed.dists.len(), 1);
    assert_eq!(installed.dists[0].version, "2.0");
}

#[test]
fn corrupt_wheel_in_staging_leaves_the_tree_byte_identical() {
    let env = environment();
    let v1 = demo_wheel(&env.wheels, "1.0");
    install_wheels(&[WheelInstall::new(&v1, true)], &env.layout, &options()).unwrap();
    let before = snapshot(&env.prefix);

    // A valid zip whose stored member fails its CRC check when extracted.
    let corrupt = env.wheels.join("broken-1.0-py3-none-any.whl");
    WheelBuilder::new("broken-1.0.dist-info", "broken", "1.0", true)
        .member("broken/data.txt", b"CORRUPT-ME-PAYLOAD", 0o644, false)
        .write(&corrupt);
    let mut bytes = std::fs::read(&corrupt).unwrap();
    let at = bytes
        .windows(18)
        .position(|window| window == b"CORRUPT-ME-PAYLOAD")
        .unwrap();
    bytes[at] = b'X';
    std::fs::write(&corrupt, bytes).unwrap();

    let v2 = demo_wheel(&env.wheels, "2.0");
    let error = install_wheels(
        &[
            WheelInstall::new(&v2, true),
            WheelInstall::new(&corrupt, true),
        ],
        &env.layout,
        &options(),
    )
    .unwrap_err();
    assert!(
        matches!(&error, InstallError::Extract { member, .. } if member == "broken/data.txt"),
        "{error:?}"
    );
    let after = snapshot(&env.prefix);
    assert_eq!(paths(&before), paths(&after));
    assert!(before == after, "contents or modes changed");
}

#[test]
fn conflict_during_commit_rolls_back_removals_and_moves() {
    let env = environment();
    let v1 = demo_wheel(&env.wheels, "1.0");
    install_wheels(&[WheelInstall::new(&v1, true)], &env.layout, &options()).unwrap();
    // A directory where a later wheel of the plan has a file.
    std::fs::create_dir_all(env.layout.purelib.join("zz_conflict.py/inner")).unwrap();
    std::fs::write(env.layout.purelib.join("zz_conflict.py/inner/x"), b"keep").unwrap();
    let before = snapshot(&env.prefix);

    let v2 = demo_wheel(&env.wheels, "2.0");
    let conflicting = WheelBuilder::new("zz-1.0.dist-info", "zz", "1.0", true)
        .file("zz_conflict.py", b"")
        .write(&env.wheels.join("zz-1.0-py3-none-any.whl"));
    let installed = SitePackages::scan([&env.layout.purelib]).unwrap();
    let plan = Plan {
        remove: installed.dists.clone(),
        install: vec![
            WheelInstall::new(&v2, true),
            WheelInstall::new(&conflicting, true),
        ],
    };
    let error = install(&plan, &env.layout, &options()).unwrap_err();
    assert!(matches!(error, InstallError::Conflict { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        format!(
            "cannot install `{}`: a directory is in the way of a file of the wheel",
            env.layout.purelib.join("zz_conflict.py").display()
        )
    );
    let after = snapshot(&env.prefix);
    assert_eq!(paths(&before), paths(&after));
    assert!(before == after, "contents or modes changed");
}

#[test]
fn cancel_rolls_back() {
    let env = environment();
    let before = snapshot(&env.prefix);
    let wheel = demo_wheel(&env.wheels, "1.0");
    let options = InstallOptions {
        cancel: Some(Arc::new(AtomicBool::new(true))),
        ..options()
    };
    let error =
        install_wheels(&[WheelInstall::new(&wheel, true)], &env.layout, &options).unwrap_err();
    assert!(matches!(error, InstallError::Cancelled), "{error:?}");
    assert!(before == snapshot(&env.prefix));
}

#[test]
fn uninstall_removes_every_recorded_file_and_emptied_directories() {
    let env = environment();
    let before = snapshot(&env.prefix);
    let wheel = demo_wheel(&env.wheels, "1.0");
    install_wheels(&[WheelInstall::new(&wheel, true)], &env.layout, &options()).unwrap();
    // A bytecode file written later by the interpreter, not in RECORD.
    let cache = env.layout.purelib.join("demo/__pycache__");
    std::fs::create_dir(&cache).unwrap();
    std::fs::write(cache.join("cli.cpython-311.pyc"), b"pyc").unwrap();
    std::fs::write(cache.join("cli.cpython-312.opt-1.pyc"), b"pyc").unwrap();

    let installed = SitePackages::scan([&env.layout.purelib]).unwrap();
    let dist = installed.get("demo").unwrap();
    let files = dist.files().unwrap();
    assert_eq!(files.len(), 17);
    let output = uninstall(std::slice::from_ref(dist), &env.layout, &options()).unwrap();
    assert_eq!(output.removed.len(), 1);
    for file in files {
        assert!(!file.exists(), "{} still exists", file.display());
    }
    // The environment is back to its empty skeleton: `bin` and site-packages stay, `share`,
    // `include` and the package directories are gone.
    assert_eq!(paths(&before), paths(&snapshot(&env.prefix)));
}

#[test]
fn read_metadata_matches_dist_info_by_normalized_name() {
    let env = environment();
    let wheel = WheelBuilder::new(
        "foo.bar-1.0.dist-info",
        "Foo.Bar",
        "1.0+computecanada",
        true,
    )
    .file("foo_bar/__init__.py", b"")
    .write(
        &env.wheels
            .join("Foo_Bar-1.0+computecanada-py3-none-any.whl"),
    );
    let metadata = read_metadata(&wheel).unwrap();
    assert_eq!(metadata.name, "Foo.Bar");
    assert_eq!(metadata.version, "1.0+computecanada");
    assert_eq!(metadata.requires_dist, ["six (>=1.0)"]);
    assert_eq!(metadata.requires_python.as_deref(), Some(">=3.8"));
    assert_eq!(metadata.provides_extra, ["test"]);
}

#[test]
fn err_read_metadata_without_dist_info() {
    let env = environment();
    let wheel = WheelBuilder::new("other-1.0.dist-info", "other", "1.0", true)
        .write(&env.wheels.join("foo-1.0-py3-none-any.whl"));
    let error = read_metadata(&wheel).unwrap_err();
    assert!(matches!(error, WheelError::DistInfoNotFound { .. }));
    assert_eq!(
        error.to_string(),
        format!(
            "wheel `{}` has no `.dist-info` directory for `foo` (found: other-1.0.dist-info)",
            wheel.display()
        )
    );
}

#[test]
fn err_read_metadata_not_a_zip() {
    let env = environment();
    let wheel = env.wheels.join("foo-1.0-py3-none-any.whl");
    std::fs::write(&wheel, b"not a zip").unwrap();
    let error = read_metadata(&wheel).unwrap_err();
    assert!(matches!(error, WheelError::Zip { .. }), "{error:?}");
}

#[test]
fn err_unsafe_member_path() {
    let env = environment();
    let before = snapshot(&env.prefix);
    let wheel = WheelBuilder::new("evil-1.0.dist-info", "evil", "1.0", true)
        .file("evil-1.0.data/data/../../outside", b"")
        .write(&env.wheels.join("evil-1.0-py3-none-any.whl"));
    let error =
        install_wheels(&[WheelInstall::new(&wheel, true)], &env.layout, &options()).unwrap_err();
    assert!(
        matches!(error, InstallError::UnsafePath { .. }),
        "{error:?}"
    );
    assert!(before == snapshot(&env.prefix));
}

#[test]
fn data_only_wheel() {
    let env = environment();
    let wheel = WheelBuilder::new("dataonly-1.0.dist-info", "dataonly", "1.0", true)
        .file("dataonly-1.0.data/data/share/dataonly/x", b"x")
        .write(&env.wheels.join("dataonly-1.0-py3-none-any.whl"));
    install_wheels(&[WheelInstall::new(&wheel, true)], &env.layout, &options()).unwrap();
    assert!(env.prefix.join("share/dataonly/x").is_file());
    let record =
        std::fs::read_to_string(env.layout.purelib.join("dataonly-1.0.dist-info/RECORD")).unwrap();
    assert!(record.starts_with("../../../share/dataonly/x,"), "{record}");
}

/// Regression (restructuring issue): distributions installed as `.egg-info` (a directory
/// with `PKG-INFO` and `requires.txt`, or a single `PKG-INFO` file) are listed like pip
/// lists them.
#[test]
fn scan_lists_egg_info_directories_and_files() {
    let root = tempfile::tempdir().unwrap();
    let site = root.path().join("site-packages");
    let egg_dir = site.join("Foo_Bar-1.0-py3.11.egg-info");
    std::fs::create_dir_all(&egg_dir).unwrap();
    std::fs::write(
        egg_dir.join("PKG-INFO"),
        "Metadata-Version: 1.2\nName: Foo-Bar\nVersion: 1.0\nRequires-Python: >=3.6\n",
    )
    .unwrap();
    std::fs::write(
        egg_dir.join("requires.txt"),
        "six\n[test]\npytest\n[:python_version < \"3.8\"]\nimportlib-metadata\n",
    )
    .unwrap();
    std::fs::write(
        site.join("legacy-2.0-py3.11.egg-info"),
        "Metadata-Version: 1.0\nName: legacy\nVersion: 2.0\nSummary: distutils\n",
    )
    .unwrap();
    std::fs::create_dir_all(site.join("broken-1.0-py3.11.egg-info")).unwrap();
    let dist_info = site.join("modern-3.0.dist-info");
    std::fs::create_dir_all(&dist_info).unwrap();
    std::fs::write(dist_info.join("METADATA"), "Name: modern\nVersion: 3.0\n").unwrap();

    let scanned = SitePackages::scan([&site]).unwrap();
    let listed: Vec<(&str, &str)> = scanned
        .dists
        .iter()
        .map(|dist| (dist.name.as_str(), dist.version.as_str()))
        .collect();
    assert_eq!(
        listed,
        [("Foo-Bar", "1.0"), ("legacy", "2.0"), ("modern", "3.0")]
    );
    let foo = scanned.get("foo_bar").unwrap();
    assert_eq!(foo.path, egg_dir);
    assert_eq!(
        foo.requires_dist,
        [
            "six",
            "pytest; extra == \"test\"",
            "importlib-metadata; python_version < \"3.8\""
        ]
    );
    assert_eq!(foo.requires_python.as_deref(), Some(">=3.6"));
    assert!(scanned.get("legacy").unwrap().requires_dist.is_empty());
    // No `PKG-INFO`: reported, the others still listed.
    assert_eq!(scanned.errors.len(), 1);
    assert_eq!(
        scanned.errors[0].to_string(),
        format!(
            "`{}` is not a readable `.egg-info`: no `PKG-INFO`",
            site.join("broken-1.0-py3.11.egg-info").display()
        )
    );
    // Listed by freeze; not uninstallable (no `RECORD`), as pip says for distutils projects.
    let lines = freeze(
        &scanned.dists,
        &FreezeOptions {
            all: false,
            python_version: (3, 11),
            exclude: vec![],
        },
    );
    assert_eq!(lines, ["Foo-Bar==1.0", "legacy==2.0", "modern==3.0"]);
    for dist in &scanned.dists[..2] {
        assert!(matches!(
            dist.record(),
            Err(wharf_install::InstalledError::MissingRecord { .. })
        ));
    }
}

/// A plan made against one state of the environment is not applied to another: between the
/// plan and the transaction's lock another process replaced demo 1.0 by demo 2.0; the
/// installer changes nothing and says what changed; the same plan made anew applies.
#[test]
fn a_plan_is_not_applied_to_an_environment_that_changed_since() {
    let env = environment();
    let old = demo_wheel(&env.wheels, "1.0");
    let new_dir = env.wheels.join("new");
    std::fs::create_dir_all(&new_dir).unwrap();
    let new = demo_wheel(&new_dir, "2.0");
    let extra = WheelBuilder::new("extra-1.0.dist-info", "extra", "1.0", true)
        .file("extra.py", b"X = 1\n")
        .write(&env.wheels.join("extra-1.0-py3-none-any.whl"));
    install_wheels(&[WheelInstall::new(&old, true)], &env.layout, &options()).unwrap();
    let sites = [&env.layout.purelib, &env.layout.platlib];
    let basis = InstalledSnapshot::scan(sites).unwrap();
    // Another process upgrades demo meanwhile.
    install_wheels(&[WheelInstall::new(&new, true)], &env.layout, &options()).unwrap();
    let before = snapshot(&env.prefix);
    let stale = InstallOptions {
        expected: Some(basis.clone()),
        ..options()
    };
    let plan = Plan {
        remove: Vec::new(),
        install: vec![WheelInstall::new(&extra, true)],
    };
    let error = install(&plan, &env.layout, &stale).unwrap_err();
    match &error {
        InstallError::EnvironmentChanged { changes } => {
            assert_eq!(changes, &["+ Demo 2.0", "- Demo 1.0"]);
        }
        other => panic!("expected EnvironmentChanged, got {other:?}"),
    }
    assert_eq!(
        error.to_string(),
        "the environment changed while this command was planning (+ Demo 2.0, - Demo 1.0): another install or uninstall ran"
    );
    assert_eq!(snapshot(&env.prefix), before, "nothing may change");
    // Planned again against the environment as it is now, it applies.
    let fresh = InstallOptions {
        expected: Some(InstalledSnapshot::scan(sites).unwrap()),
        ..options()
    };
    install(&plan, &env.layout, &fresh).unwrap();
    assert!(env.layout.purelib.join("extra.py").is_file());
    assert_ne!(InstalledSnapshot::scan(sites).unwrap(), basis);
}
