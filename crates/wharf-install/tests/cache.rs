//! The wheel cache: a miss unpacks, a hit hard-links, and both give the very tree an install
//! without cache gives; corrupt or partial entries are rebuilt; concurrent writers share one
//! entry; a cache that cannot be written or sits on another filesystem still installs; and
//! the transaction's guarantee (a failure changes nothing) holds with a cache.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Barrier};

use common::{Node, WheelBuilder, demo_wheel, paths, snapshot};
use sha2::Digest;
use wharf_install::{
    CacheError, CacheSize, CacheStats, CleanOutput, InstallError, InstallOptions, Layout, Plan,
    SitePackages, WheelCache, WheelInstall, install, install_wheels, uninstall,
};

struct Setup {
    _root: tempfile::TempDir,
    root: PathBuf,
    wheels: PathBuf,
    cache: WheelCache,
}

fn setup() -> Setup {
    let root = tempfile::tempdir().unwrap();
    let wheels = root.path().join("wheels");
    std::fs::create_dir_all(&wheels).unwrap();
    Setup {
        root: root.path().to_path_buf(),
        cache: WheelCache::new(root.path().join("cache")),
        wheels,
        _root: root,
    }
}

/// A fresh venv-shaped tree at `prefix` (an old one is removed first).
fn fresh_env(prefix: &Path) -> Layout {
    if prefix.exists() {
        std::fs::remove_dir_all(prefix).unwrap();
    }
    let layout = Layout::for_venv(prefix, (3, 11));
    std::fs::create_dir_all(&layout.purelib).unwrap();
    std::fs::create_dir_all(&layout.scripts).unwrap();
    layout
}

fn options(cache: Option<&WheelCache>) -> InstallOptions {
    InstallOptions {
        threads: 2,
        cache: cache.cloned(),
        ..InstallOptions::default()
    }
}

fn stats(hits: usize, unpacked: usize, bypassed: usize) -> CacheStats {
    CacheStats {
        hits,
        unpacked,
        bypassed,
        ..CacheStats::default()
    }
}

/// Installs `wheels` into a fresh tree at `prefix`; returns the cache statistics.
fn install_fresh(
    prefix: &Path,
    wheels: &[&Path],
    cache: Option<&WheelCache>,
) -> (Layout, wharf_install::InstallOutput) {
    let layout = fresh_env(prefix);
    let wheels: Vec<WheelInstall> = wheels
        .iter()
        .map(|wheel| WheelInstall::new(*wheel, true))
        .collect();
    let output = install_wheels(&wheels, &layout, &options(cache)).unwrap();
    (layout, output)
}

/// Names in the cache's entry directory (entries and temporary directories).
fn cache_names(cache: &WheelCache) -> BTreeSet<String> {
    match std::fs::read_dir(cache.directory()) {
        Ok(entries) => entries
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => BTreeSet::new(),
    }
}

/// The inodes of the files of a cache entry.
fn entry_inodes(entry: &Path) -> BTreeSet<u64> {
    std::fs::read_dir(entry)
        .unwrap()
        .map(|file| file.unwrap().metadata().unwrap().ino())
        .collect()
}

fn sha256(bytes: &[u8]) -> String {
    format!(
        "sha256={}",
        data_encoding::BASE64URL_NOPAD.encode(&sha2::Sha256::digest(bytes))
    )
}

/// Checks every `RECORD` row of `dist_info` against the file on disk.
fn check_record(site: &Path, dist_info: &str) {
    let record = std::fs::read_to_string(site.join(dist_info).join("RECORD")).unwrap();
    for line in record.split("\r\n").filter(|line| !line.is_empty()) {
        let fields: Vec<&str> = line.split(',').collect();
        if fields[0].ends_with("/RECORD") {
            continue;
        }
        let bytes = std::fs::read(site.join(fields[0])).unwrap();
        assert_eq!(fields[1], sha256(&bytes), "{}", fields[0]);
        assert_eq!(fields[2], bytes.len().to_string(), "{}", fields[0]);
    }
}

/// A wheel of `files` small modules (enough members for several workers to race).
fn many_files_wheel(directory: &Path, files: usize) -> PathBuf {
    let mut builder = WheelBuilder::new("many-1.0.dist-info", "many", "1.0", true);
    for index in 0..files {
        builder = builder.file(
            &format!("many/sub{}/m{index}.py", index % 7),
            format!("x = {index}\n").as_bytes(),
        );
    }
    builder.write(&directory.join("many-1.0-py3-none-any.whl"))
}

#[test]
fn miss_then_hit_install_the_same_tree_as_no_cache() {
    let setup = setup();
    let wheel = demo_wheel(&setup.wheels, "1.0");
    let prefix = setup.root.join("env");

    let (_, output) = install_fresh(&prefix, &[&wheel], None);
    assert_eq!(output.cache, CacheStats::default());
    let without_cache = snapshot(&prefix);
    assert!(
        cache_names(&setup.cache).is_empty(),
        "no cache given, none written"
    );

    let (_, output) = install_fresh(&prefix, &[&wheel], Some(&setup.cache));
    assert_eq!(output.cache, stats(0, 1, 0));
    let cold = snapshot(&prefix);
    assert_eq!(paths(&without_cache), paths(&cold));
    assert!(
        without_cache == cold,
        "a miss installs other contents or modes"
    );

    let (layout, output) = install_fresh(&prefix, &[&wheel], Some(&setup.cache));
    assert_eq!(output.cache, stats(1, 0, 0));
    let warm = snapshot(&prefix);
    assert!(
        without_cache == warm,
        "a hit installs other contents or modes"
    );
    check_record(&layout.purelib, "demo-1.0.dist-info");

    // One complete entry, nothing temporary left.
    let entry = setup.cache.entry_directory(&wheel).unwrap();
    let key = entry.file_name().unwrap().to_string_lossy().into_owned();
    assert_eq!(cache_names(&setup.cache), BTreeSet::from([key]));
    assert!(entry.join("manifest.json").is_file());

    // Package files are hard links to the entry; per-environment files are not.
    let inodes = entry_inodes(&entry);
    let site = &layout.purelib;
    for linked in [
        site.join("demo/__init__.py"),
        site.join("demo/bin/helper.sh"),
        site.join("demo-1.0.dist-info/METADATA"),
        prefix.join("share/demo/readme.txt"),
    ] {
        let metadata = std::fs::metadata(&linked).unwrap();
        assert!(
            inodes.contains(&metadata.ino()),
            "{} is not linked",
            linked.display()
        );
        assert!(metadata.nlink() >= 2);
    }
    for written in [
        prefix.join("bin/tool"),
        prefix.join("bin/demo"),
        site.join("demo-1.0.dist-info/RECORD"),
        site.join("demo-1.0.dist-info/INSTALLER"),
        site.join("demo-1.0.dist-info/REQUESTED"),
    ] {
        let metadata = std::fs::metadata(&written).unwrap();
        assert!(
            !inodes.contains(&metadata.ino()),
            "{} is linked",
            written.display()
        );
        assert_eq!(metadata.nlink(), 1, "{}", written.display());
    }
    // The `#!python` script was rewritten for this environment, not the cached bytes.
    let tool = std::fs::read_to_string(prefix.join("bin/tool")).unwrap();
    assert!(
        tool.starts_with(&format!("#!{}\n", layout.python.display())),
        "{tool}"
    );
}

#[test]
fn corrupt_or_partial_entries_are_rebuilt() {
    type Damage = fn(&Path);
    let damages: [(&str, Damage); 6] = [
        ("manifest removed (partial entry)", |entry| {
            std::fs::remove_file(entry.join("manifest.json")).unwrap();
        }),
        ("manifest garbage", |entry| {
            std::fs::write(entry.join("manifest.json"), b"{\"format\": 1, \"files\"").unwrap();
        }),
        ("manifest of another format", |entry| {
            let text = std::fs::read_to_string(entry.join("manifest.json")).unwrap();
            let text = text.replacen("\"format\":2", "\"format\":99", 1);
            std::fs::write(entry.join("manifest.json"), text).unwrap();
        }),
        ("entry is empty", |entry| {
            std::fs::remove_dir_all(entry).unwrap();
            std::fs::create_dir(entry).unwrap();
        }),
        ("file removed", |entry| {
            std::fs::remove_file(entry.join("0")).unwrap();
        }),
        ("file replaced by a directory", |entry| {
            std::fs::remove_file(entry.join("0")).unwrap();
            std::fs::create_dir(entry.join("0")).unwrap();
        }),
    ];
    for (what, damage) in damages {
        let setup = setup();
        let wheel = demo_wheel(&setup.wheels, "1.0");
        let prefix = setup.root.join("env");
        install_fresh(&prefix, &[&wheel], None);
        let expected = snapshot(&prefix);
        install_fresh(&prefix, &[&wheel], Some(&setup.cache));
        let entry = setup.cache.entry_directory(&wheel).unwrap();
        damage(&entry);

        let (layout, output) = install_fresh(&prefix, &[&wheel], Some(&setup.cache));
        let damaged_file = what.starts_with("file");
        assert_eq!(
            output.cache,
            CacheStats {
                refreshed: usize::from(damaged_file),
                ..stats(0, 1, 0)
            },
            "{what}"
        );
        // A file found changed while linking is named in one warning; a manifest that cannot
        // be read is rebuilt silently (nothing of it was used).
        if damaged_file {
            assert_eq!(output.warnings.len(), 1, "{what}: {:?}", output.warnings);
            assert!(
                output.warnings[0].contains(&entry.join("0").display().to_string()),
                "{what}: {:?}",
                output.warnings
            );
        } else {
            assert!(output.warnings.is_empty(), "{what}: {:?}", output.warnings);
        }
        assert!(expected == snapshot(&prefix), "{what}: wrong tree");
        check_record(&layout.purelib, "demo-1.0.dist-info");
        // The entry is whole again, and alone.
        let (_, output) = install_fresh(&prefix, &[&wheel], Some(&setup.cache));
        assert_eq!(output.cache, stats(1, 0, 0), "{what}: not rebuilt");
        assert_eq!(cache_names(&setup.cache).len(), 1, "{what}");
    }
}

#[test]
fn leftover_temporary_directories_are_ignored() {
    let setup = setup();
    let wheel = demo_wheel(&setup.wheels, "1.0");
    // What a writer killed in the middle leaves behind.
    let leftover = setup.cache.directory().join(".tmp-4194304-0");
    std::fs::create_dir_all(&leftover).unwrap();
    std::fs::write(leftover.join("0"), b"half").unwrap();
    let prefix = setup.root.join("env");
    let (layout, output) = install_fresh(&prefix, &[&wheel], Some(&setup.cache));
    assert_eq!(output.cache, stats(0, 1, 0));
    check_record(&layout.purelib, "demo-1.0.dist-info");
    let (_, output) = install_fresh(&prefix, &[&wheel], Some(&setup.cache));
    assert_eq!(output.cache, stats(1, 0, 0));
}

#[test]
fn concurrent_writers_share_one_entry() {
    let setup = setup();
    let demo = demo_wheel(&setup.wheels, "1.0");
    let many = many_files_wheel(&setup.wheels, 400);
    let writers = 4;
    let barrier = Barrier::new(writers);
    let outputs: Vec<CacheStats> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..writers)
            .map(|writer| {
                let (setup, barrier, demo, many) = (&setup, &barrier, &demo, &many);
                scope.spawn(move || {
                    let layout = fresh_env(&setup.root.join(format!("env{writer}")));
                    let wheels = [WheelInstall::new(many, true), WheelInstall::new(demo, true)];
                    barrier.wait();
                    let output =
                        install_wheels(&wheels, &layout, &options(Some(&setup.cache))).unwrap();
                    assert!(output.warnings.is_empty(), "{:?}", output.warnings);
                    check_record(&layout.purelib, "demo-1.0.dist-info");
                    check_record(&layout.purelib, "many-1.0.dist-info");
                    output.cache
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap())
            .collect()
    });
    for output in &outputs {
        assert_eq!(output.hits + output.unpacked, 2, "{outputs:?}");
        assert_eq!(output.bypassed, 0, "{outputs:?}");
    }
    // Exactly the two entries: losers dropped their copies.
    let expected: BTreeSet<String> = [&demo, &many]
        .iter()
        .map(|wheel| {
            let entry = setup.cache.entry_directory(wheel).unwrap();
            entry.file_name().unwrap().to_string_lossy().into_owned()
        })
        .collect();
    assert_eq!(cache_names(&setup.cache), expected);
    // Every environment links the published entry.
    let entry = setup.cache.entry_directory(&many).unwrap();
    let inodes = entry_inodes(&entry);
    for writer in 0..writers {
        let file = Layout::for_venv(&setup.root.join(format!("env{writer}")), (3, 11))
            .purelib
            .join("many/sub3/m10.py");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "x = 10\n");
        assert!(inodes.contains(&std::fs::metadata(&file).unwrap().ino()));
    }
}

#[test]
fn wheel_changed_in_place_is_a_miss() {
    let setup = setup();
    let wheel = demo_wheel(&setup.wheels, "1.0");
    let prefix = setup.root.join("env");
    install_fresh(&prefix, &[&wheel], Some(&setup.cache));
    let old_entry = setup.cache.entry_directory(&wheel).unwrap();

    // Rebuilt under the same name, with other content (and so another size and mtime).
    WheelBuilder::new("demo-1.0.dist-info", "Demo", "1.0", true)
        .file("demo/__init__.py", b"REBUILT = True\n")
        .write(&wheel);
    let (layout, output) = install_fresh(&prefix, &[&wheel], Some(&setup.cache));
    assert_eq!(output.cache, stats(0, 1, 0));
    assert_ne!(setup.cache.entry_directory(&wheel).unwrap(), old_entry);
    assert_eq!(
        std::fs::read_to_string(layout.purelib.join("demo/__init__.py")).unwrap(),
        "REBUILT = True\n"
    );
    assert!(!layout.purelib.join("demo/cli.py").exists());
}

#[test]
fn unwritable_cache_installs_without_it() {
    let setup = setup();
    let wheel = demo_wheel(&setup.wheels, "1.0");
    let prefix = setup.root.join("env");
    install_fresh(&prefix, &[&wheel], None);
    let expected = snapshot(&prefix);
    // The cache root is a file: nothing can be created below it.
    let blocked = setup.root.join("blocked");
    std::fs::write(&blocked, b"not a directory").unwrap();
    let cache = WheelCache::new(&blocked);
    let (_, output) = install_fresh(&prefix, &[&wheel], Some(&cache));
    assert_eq!(output.cache, stats(0, 0, 1));
    assert_eq!(output.warnings.len(), 1, "{:?}", output.warnings);
    assert!(
        output.warnings[0].contains("cannot be written"),
        "{:?}",
        output.warnings
    );
    assert!(expected == snapshot(&prefix));
}

#[test]
fn cache_on_another_filesystem_is_copied_from_never_filled() {
    // /dev/shm is a tmpfs on Linux, the temporary directory usually is not.
    let Ok(shm) = tempfile::tempdir_in("/dev/shm") else {
        eprintln!("skipped: no /dev/shm");
        return;
    };
    let setup = setup();
    if std::fs::metadata(shm.path()).unwrap().dev() == std::fs::metadata(&setup.root).unwrap().dev()
    {
        eprintln!("skipped: /dev/shm is on the same filesystem as the temporary directory");
        return;
    }
    let cache = WheelCache::new(shm.path().join("cache"));
    let wheel = demo_wheel(&setup.wheels, "1.0");
    let prefix = setup.root.join("env");
    install_fresh(&prefix, &[&wheel], None);
    let expected = snapshot(&prefix);

    // A miss is unpacked straight into the environment: the cache stays empty.
    let (_, output) = install_fresh(&prefix, &[&wheel], Some(&cache));
    assert_eq!(output.cache, stats(0, 0, 1));
    assert!(expected == snapshot(&prefix));
    assert!(cache_names(&cache).is_empty(), "{:?}", cache_names(&cache));

    // An entry made by an install on the cache's filesystem is copied from.
    install_fresh(&shm.path().join("env"), &[&wheel], Some(&cache));
    let (layout, output) = install_fresh(&prefix, &[&wheel], Some(&cache));
    assert_eq!(output.cache.hits, 1, "{:?}", output.cache);
    assert!(output.cache.copied_files > 0, "{:?}", output.cache);
    assert!(expected == snapshot(&prefix));
    let metadata = std::fs::metadata(layout.purelib.join("demo/__init__.py")).unwrap();
    assert_eq!(metadata.nlink(), 1);
}

#[test]
fn failures_with_a_cache_change_nothing() {
    let setup = setup();
    let prefix = setup.root.join("env");
    let v1 = demo_wheel(&setup.wheels, "1.0");
    let (layout, _) = install_fresh(&prefix, &[&v1], Some(&setup.cache));
    let before = snapshot(&prefix);
    let cached_v1 = snapshot(&setup.cache.entry_directory(&v1).unwrap());

    // 1. A member fails its CRC check while the wheel is unpacked into the cache.
    let corrupt = setup.wheels.join("broken-1.0-py3-none-any.whl");
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
    let v2 = demo_wheel(&setup.wheels, "2.0");
    let error = install_wheels(
        &[
            WheelInstall::new(&v2, true),
            WheelInstall::new(&corrupt, true),
        ],
        &layout,
        &options(Some(&setup.cache)),
    )
    .unwrap_err();
    assert!(matches!(error, InstallError::Extract { .. }), "{error:?}");
    assert!(
        before == snapshot(&prefix),
        "a failed install changed the tree"
    );
    // No entry for the broken wheel, nothing temporary left.
    assert!(!setup.cache.entry_directory(&corrupt).unwrap().exists());
    assert!(
        cache_names(&setup.cache)
            .iter()
            .all(|name| !name.starts_with('.')),
        "{:?}",
        cache_names(&setup.cache)
    );

    // 2. A conflict during the commit, after linking from the cache (v2 is cached now or
    // is unpacked again).
    std::fs::create_dir_all(layout.purelib.join("zz_conflict.py/inner")).unwrap();
    let before = snapshot(&prefix);
    let conflicting = WheelBuilder::new("zz-1.0.dist-info", "zz", "1.0", true)
        .file("zz_conflict.py", b"")
        .write(&setup.wheels.join("zz-1.0-py3-none-any.whl"));
    let installed = SitePackages::scan([&layout.purelib]).unwrap();
    let plan = Plan {
        remove: installed.dists.clone(),
        install: vec![
            WheelInstall::new(&v2, true),
            WheelInstall::new(&conflicting, true),
        ],
    };
    let error = install(&plan, &layout, &options(Some(&setup.cache))).unwrap_err();
    assert!(matches!(error, InstallError::Conflict { .. }), "{error:?}");
    assert!(
        before == snapshot(&prefix),
        "a rolled back install changed the tree"
    );

    // 3. Cancelled.
    let cancelled = InstallOptions {
        cancel: Some(Arc::new(AtomicBool::new(true))),
        ..options(Some(&setup.cache))
    };
    let error = install_wheels(&[WheelInstall::new(&v2, true)], &layout, &cancelled).unwrap_err();
    assert!(matches!(error, InstallError::Cancelled), "{error:?}");
    assert!(before == snapshot(&prefix));

    // The cached files were not touched by any of it.
    assert!(cached_v1 == snapshot(&setup.cache.entry_directory(&v1).unwrap()));
}

#[test]
fn uninstalling_linked_files_keeps_the_cache_and_other_environments() {
    let setup = setup();
    let wheel = demo_wheel(&setup.wheels, "1.0");
    let (first, _) = install_fresh(&setup.root.join("a"), &[&wheel], Some(&setup.cache));
    let (second, _) = install_fresh(&setup.root.join("b"), &[&wheel], Some(&setup.cache));
    let second_before = snapshot(&setup.root.join("b"));
    let entry = setup.cache.entry_directory(&wheel).unwrap();
    let entry_before = snapshot(&entry);

    let installed = SitePackages::scan([&first.purelib]).unwrap();
    uninstall(&installed.dists, &first, &options(None)).unwrap();
    let left: BTreeMap<PathBuf, Node> = snapshot(&setup.root.join("a"));
    assert!(
        left.keys()
            .all(|path| !path.to_string_lossy().contains("demo")),
        "{:?}",
        paths(&left)
    );
    assert!(second_before == snapshot(&setup.root.join("b")));
    assert!(entry_before == snapshot(&entry));
    check_record(&second.purelib, "demo-1.0.dist-info");
    let (_, output) = install_fresh(&setup.root.join("c"), &[&wheel], Some(&setup.cache));
    assert_eq!(output.cache, stats(1, 0, 0));
}

/// Regression (restructuring issue, cache defect): equal members of one wheel (empty
/// `__init__.py` files, time zone aliases) were stored once in the cache and hard-linked to
/// every installed path, so editing one installed file changed its twins.
#[test]
fn equal_members_never_share_an_inode() {
    let setup = setup();
    let big = vec![7u8; 300 * 1024];
    let wheel = WheelBuilder::new("twins-1.0.dist-info", "twins", "1.0", true)
        .file("twins/__init__.py", b"")
        .file("twins/a/__init__.py", b"")
        .file("twins/zone/Paris", b"CET-1CEST")
        .file("twins/zone/Monaco", b"CET-1CEST")
        .member("twins/run.sh", b"CET-1CEST", 0o755, true)
        .file("twins/big1.bin", &big)
        .file("twins/big2.bin", &big)
        .write(&setup.wheels.join("twins-1.0-py3-none-any.whl"));
    let prefix = setup.root.join("env");
    install_fresh(&prefix, &[&wheel], None);
    let expected = snapshot(&prefix);
    let entry = setup.cache.entry_directory(&wheel).unwrap();
    // The second install finds the entry changed by the first round's in-place edits (the
    // hard-link trap) and unpacks it again.
    let refreshed = CacheStats {
        refreshed: 1,
        ..stats(0, 1, 0)
    };
    for expected_stats in [stats(0, 1, 0), refreshed] {
        let (layout, output) = install_fresh(&prefix, &[&wheel], Some(&setup.cache));
        assert_eq!(output.cache, expected_stats);
        assert!(expected == snapshot(&prefix));
        check_record(&layout.purelib, "twins-1.0.dist-info");
        let site = &layout.purelib;
        let inode = |path: &str| std::fs::metadata(site.join(path)).unwrap().ino();
        for (one, twin) in [
            ("twins/__init__.py", "twins/a/__init__.py"),
            ("twins/zone/Paris", "twins/zone/Monaco"),
            ("twins/zone/Paris", "twins/run.sh"),
            ("twins/big1.bin", "twins/big2.bin"),
        ] {
            assert_ne!(inode(one), inode(twin), "{one} and {twin} share an inode");
        }
        // Editing one installed file in place leaves its twin alone.
        std::fs::write(site.join("twins/__init__.py"), b"edited = True\n").unwrap();
        assert_eq!(
            std::fs::read(site.join("twins/a/__init__.py")).unwrap(),
            b""
        );
        std::fs::write(site.join("twins/zone/Paris"), b"edited").unwrap();
        assert_eq!(
            std::fs::read(site.join("twins/zone/Monaco")).unwrap(),
            b"CET-1CEST"
        );
    }
    // 9 members (METADATA, WHEEL and 7 package files) in 9 files, and the manifest.
    assert_eq!(std::fs::read_dir(&entry).unwrap().count(), 9 + 1);
}

/// Entries written before the fix stored equal members in one file (the manifest gave them
/// one file number). Such a manifest is no longer valid (file `n` holds member `n`): the
/// entry is rebuilt, and no two installed paths share an inode.
#[test]
fn entries_with_shared_files_are_rebuilt() {
    let setup = setup();
    let wheel = WheelBuilder::new("twins-1.0.dist-info", "twins", "1.0", true)
        .file("twins/__init__.py", b"")
        .file("twins/a/__init__.py", b"")
        .write(&setup.wheels.join("twins-1.0-py3-none-any.whl"));
    let prefix = setup.root.join("env");
    install_fresh(&prefix, &[&wheel], Some(&setup.cache));
    // Rewrite the manifest the way the old writer made it: member 3 in member 2's file.
    let entry = setup.cache.entry_directory(&wheel).unwrap();
    let manifest_path = entry.join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest_path).unwrap()).unwrap();
    let files = manifest["files"].as_array_mut().unwrap();
    let position = |files: &Vec<serde_json::Value>, member: &str| {
        files.iter().position(|file| file[0] == member).unwrap()
    };
    let first = position(files, "twins/__init__.py");
    let second = position(files, "twins/a/__init__.py");
    let shared = files[first][4].clone();
    files[second][4] = shared;
    std::fs::write(&manifest_path, serde_json::to_vec(&manifest).unwrap()).unwrap();

    let (layout, output) = install_fresh(&prefix, &[&wheel], Some(&setup.cache));
    assert_eq!(output.cache, stats(0, 1, 0));
    let site = &layout.purelib;
    let inode = |path: &str| std::fs::metadata(site.join(path)).unwrap().ino();
    assert_ne!(inode("twins/__init__.py"), inode("twins/a/__init__.py"));
    check_record(&layout.purelib, "twins-1.0.dist-info");
}

/// A wheel `name` 1.0 with one module, in `directory`.
fn named_wheel(directory: &Path, name: &str) -> PathBuf {
    WheelBuilder::new(&format!("{name}-1.0.dist-info"), name, "1.0", true)
        .file(
            &format!("{name}/__init__.py"),
            format!("NAME = '{name}'\n").as_bytes(),
        )
        .write(&directory.join(format!("{name}-1.0-py3-none-any.whl")))
}

fn package(name: &str) -> pep508_rs::PackageName {
    name.parse().unwrap()
}

#[test]
fn size_counts_hard_linked_files_once() {
    let setup = setup();
    assert_eq!(setup.cache.size().unwrap(), CacheSize::default());
    let entry = setup.cache.directory().join("0123");
    std::fs::create_dir_all(&entry).unwrap();
    std::fs::write(entry.join("0"), vec![1u8; 10_000]).unwrap();
    std::fs::hard_link(entry.join("0"), entry.join("1")).unwrap();
    std::fs::hard_link(entry.join("0"), setup.root.join("cache/outside-link")).unwrap();
    std::fs::create_dir_all(setup.cache.directory().join(".tmp-1-0")).unwrap();
    let size = setup.cache.size().unwrap();
    // wheels-v1, the entry, its file (3 links, 1 inode), the temporary directory.
    assert_eq!(size.inodes, 4);
    assert_eq!(size.entries, 1);
    let block = |path: &Path| std::fs::metadata(path).unwrap().blocks() * 512;
    let expected = block(setup.cache.directory())
        + block(&entry)
        + block(&entry.join("0"))
        + block(&setup.cache.directory().join(".tmp-1-0"));
    assert_eq!(size.bytes, expected);
    assert!(size.bytes >= 10_000);
}

#[test]
fn prune_keeps_linked_entries_and_removes_unlinked_ones() {
    let setup = setup();
    let kept = named_wheel(&setup.wheels, "kept");
    let dropped = named_wheel(&setup.wheels, "dropped");
    install_fresh(&setup.root.join("a"), &[&kept], Some(&setup.cache));
    install_fresh(&setup.root.join("b"), &[&dropped], Some(&setup.cache));
    std::fs::remove_dir_all(setup.root.join("b")).unwrap();
    let leftover = setup.cache.directory().join(".tmp-99999-0");
    std::fs::create_dir_all(&leftover).unwrap();
    std::fs::write(leftover.join("0"), b"half written").unwrap();
    let kept_entry = setup.cache.entry_directory(&kept).unwrap();
    let dropped_entry = setup.cache.entry_directory(&dropped).unwrap();
    let before = setup.cache.size().unwrap();

    let output = setup.cache.prune(false).unwrap();
    assert_eq!((output.entries, output.temporary), (1, 1));
    assert!(kept_entry.is_dir());
    assert!(!dropped_entry.exists());
    assert!(!leftover.exists());
    let after = setup.cache.size().unwrap();
    assert_eq!(after.entries, 1);
    assert_eq!(before.inodes - after.inodes, output.inodes);
    assert_eq!(before.bytes - after.bytes, output.bytes);
    // Nothing else to prune; the kept entry still serves installs.
    assert_eq!(setup.cache.prune(false).unwrap(), CleanOutput::default());
    let (_, output) = install_fresh(&setup.root.join("c"), &[&kept], Some(&setup.cache));
    assert_eq!(output.cache, stats(1, 0, 0));
}

#[test]
fn clean_of_one_package_leaves_the_others() {
    let setup = setup();
    let one = named_wheel(&setup.wheels, "one");
    let two = named_wheel(&setup.wheels, "two_pkg");
    let (layout, _) = install_fresh(&setup.root.join("a"), &[&one, &two], Some(&setup.cache));
    let output = setup.cache.clean(Some(&package("Two.Pkg")), false).unwrap();
    assert_eq!((output.entries, output.temporary), (1, 0));
    // The environment links every file but the manifest: only that inode is freed.
    assert_eq!(output.inodes, 2);
    assert!(setup.cache.entry_directory(&one).unwrap().is_dir());
    assert!(!setup.cache.entry_directory(&two).unwrap().exists());
    // The environment keeps its files.
    check_record(&layout.purelib, "two_pkg-1.0.dist-info");
    let output = setup.cache.clean(None, false).unwrap();
    assert_eq!(output.entries, 1);
    assert_eq!(setup.cache.size().unwrap().entries, 0);
}

#[test]
fn clean_while_an_install_holds_the_lock_is_busy() {
    let setup = setup();
    let wheel = named_wheel(&setup.wheels, "one");
    install_fresh(&setup.root.join("a"), &[&wheel], Some(&setup.cache));
    // What an install holds while it uses the cache.
    let lock = std::fs::File::open(setup.cache.lock_path()).unwrap();
    lock.lock_shared().unwrap();
    for result in [setup.cache.clean(None, false), setup.cache.prune(false)] {
        let error = result.unwrap_err();
        assert!(matches!(&error, CacheError::Busy { lock } if *lock == setup.cache.lock_path()));
        assert_eq!(
            error.to_string(),
            format!(
                "the wheel cache is in use by another wharf process (it holds `{}`); try again when it is done",
                setup.cache.lock_path().display()
            )
        );
    }
    assert!(setup.cache.entry_directory(&wheel).unwrap().is_dir());
    // Installs share the lock.
    let (_, output) = install_fresh(&setup.root.join("b"), &[&wheel], Some(&setup.cache));
    assert_eq!(output.cache, stats(1, 0, 0));
    // `wait` waits for the install to let go.
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(200));
        drop(lock);
    });
    assert_eq!(setup.cache.clean(None, true).unwrap().entries, 1);
    releaser.join().unwrap();
}

/// A one-module wheel `swap` 1.0 whose module holds `x = {value}` (stored, not deflated: two
/// values of one length give two wheels of the same size).
fn swap_wheel(path: &Path, value: u8) -> PathBuf {
    WheelBuilder::new("swap-1.0.dist-info", "swap", "1.0", true)
        .member(
            "swap/__init__.py",
            format!("x = {value}\n").as_bytes(),
            0o644,
            false,
        )
        .write(path)
}

/// The SHA-256 of a file, hex.
fn file_sha256(path: &Path) -> String {
    data_encoding::HEXLOWER.encode(&sha2::Sha256::digest(std::fs::read(path).unwrap()))
}

/// Issue 17 §1: a wheel replaced in the wheelhouse by another of the same size and mtime
/// (`cp -p`, `rsync -t`) was installed from the old wheel's cache entry (keyed by path, size
/// and mtime) into every new environment.
#[test]
fn a_replaced_wheel_with_the_same_size_and_mtime_is_installed_from_its_own_bytes() {
    let setup = setup();
    let wheel = setup.wheels.join("swap-1.0-py3-none-any.whl");
    swap_wheel(&wheel, 1);
    let (layout, _) = install_fresh(&setup.root.join("a"), &[&wheel], Some(&setup.cache));
    assert_eq!(
        std::fs::read_to_string(layout.purelib.join("swap/__init__.py")).unwrap(),
        "x = 1\n"
    );
    // `cp -p`: another wheel of the same size takes the file's place with the old mtime.
    let old = std::fs::metadata(&wheel).unwrap();
    let other = swap_wheel(&setup.root.join("swap-1.0-py3-none-any.whl"), 2);
    std::fs::copy(&other, &wheel).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&wheel)
        .unwrap()
        .set_modified(old.modified().unwrap())
        .unwrap();
    let new = std::fs::metadata(&wheel).unwrap();
    assert_eq!(
        (new.len(), new.modified().unwrap()),
        (old.len(), old.modified().unwrap())
    );

    let (layout, output) = install_fresh(&setup.root.join("b"), &[&wheel], Some(&setup.cache));
    assert_eq!(output.cache, stats(0, 1, 0));
    assert_eq!(
        std::fs::read_to_string(layout.purelib.join("swap/__init__.py")).unwrap(),
        "x = 2\n"
    );
    check_record(&layout.purelib, "swap-1.0.dist-info");
    // Each content has its own entry.
    assert_eq!(cache_names(&setup.cache).len(), 2);

    // A caller that checked the old digest (a lock) gets a refusal, and nothing changes.
    let before = snapshot(&setup.root.join("a"));
    let old_digest = file_sha256(&swap_wheel(&setup.root.join("old.whl"), 1));
    let mut request = WheelInstall::new(&wheel, true);
    request.sha256 = Some(old_digest.clone());
    let layout_a = Layout::for_venv(&setup.root.join("a"), (3, 11));
    let error = install_wheels(&[request], &layout_a, &options(Some(&setup.cache))).unwrap_err();
    assert!(
        matches!(&error, InstallError::HashMismatch { expected, actual, .. }
            if *expected == old_digest && *actual == file_sha256(&wheel)),
        "{error}"
    );
    assert!(before == snapshot(&setup.root.join("a")));
    // With the digest it checked, the caller gets exactly those bytes from the cache.
    let mut request = WheelInstall::new(&wheel, true);
    request.sha256 = Some(file_sha256(&wheel).to_uppercase());
    let layout = fresh_env(&setup.root.join("c"));
    let output = install_wheels(&[request], &layout, &options(Some(&setup.cache))).unwrap();
    assert_eq!(output.cache, stats(1, 0, 0));
    assert_eq!(
        std::fs::read_to_string(layout.purelib.join("swap/__init__.py")).unwrap(),
        "x = 2\n"
    );
}

/// Issue 17 §2: a cache entry's files were trusted, so a file rewritten in the cache, a
/// symlink to `/etc/passwd` or a FIFO in its place reached a fresh environment with exit 0.
#[test]
fn tampered_cache_files_are_refused_and_unpacked_again() {
    type Tamper = fn(&Path);
    let tampers: [(&str, Tamper); 4] = [
        ("rewritten in place, same size", |file| {
            let size = std::fs::metadata(file).unwrap().len();
            std::thread::sleep(std::time::Duration::from_millis(20));
            let mut bytes = vec![b'#'; usize::try_from(size).unwrap()];
            bytes[0] = b'#';
            std::fs::write(file, bytes).unwrap();
        }),
        ("a symlink to /etc/passwd", |file| {
            std::fs::remove_file(file).unwrap();
            std::os::unix::fs::symlink("/etc/passwd", file).unwrap();
        }),
        ("a FIFO", |file| {
            std::fs::remove_file(file).unwrap();
            let status = std::process::Command::new("mkfifo")
                .arg(file)
                .status()
                .unwrap();
            assert!(status.success());
        }),
        ("replaced by another file (rename)", |file| {
            let other = file.with_extension("new");
            std::fs::copy(file, &other).unwrap();
            std::fs::rename(&other, file).unwrap();
        }),
    ];
    for (what, tamper) in tampers {
        let setup = setup();
        let wheel = demo_wheel(&setup.wheels, "1.0");
        let prefix = setup.root.join("env");
        install_fresh(&prefix, &[&wheel], None);
        let expected = snapshot(&prefix);
        install_fresh(&prefix, &[&wheel], Some(&setup.cache));
        let entry = setup.cache.entry_directory(&wheel).unwrap();
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(entry.join("manifest.json")).unwrap()).unwrap();
        let number = manifest["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|file| file[0] == "demo/cli.py")
            .unwrap()[4]
            .as_u64()
            .unwrap();
        let target = entry.join(number.to_string());
        tamper(&target);

        let (layout, output) = install_fresh(&prefix, &[&wheel], Some(&setup.cache));
        assert_eq!(output.cache.refreshed, 1, "{what}");
        assert_eq!(output.warnings.len(), 1, "{what}: {:?}", output.warnings);
        assert!(
            output.warnings[0].contains(&target.display().to_string()),
            "{what}: {:?}",
            output.warnings
        );
        // The environment holds the wheel's bytes, not the tampered ones.
        assert!(expected == snapshot(&prefix), "{what}: wrong tree");
        check_record(&layout.purelib, "demo-1.0.dist-info");
        let installed = std::fs::symlink_metadata(layout.purelib.join("demo/cli.py")).unwrap();
        assert!(installed.is_file(), "{what}");
        // The next install uses the fresh entry.
        let (_, output) = install_fresh(&prefix, &[&wheel], Some(&setup.cache));
        assert_eq!(output.cache, stats(1, 0, 0), "{what}");
    }
}

/// Issue 17 §2: a manifest's `dist_info` of `../…` or an absolute path made `RECORD`,
/// `INSTALLER` and `REQUESTED` land outside the environment (in a cache shared by a group,
/// one user writing into another's files).
#[test]
fn a_manifest_pointing_outside_the_environment_is_corrupt() {
    for outside in [
        "../../../../victim-1.0.dist-info",
        "/tmp/victim-1.0.dist-info",
    ] {
        let setup = setup();
        let wheel = demo_wheel(&setup.wheels, "1.0");
        let prefix = setup.root.join("env");
        install_fresh(&prefix, &[&wheel], Some(&setup.cache));
        let entry = setup.cache.entry_directory(&wheel).unwrap();
        let manifest_path = entry.join("manifest.json");
        let mut manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&manifest_path).unwrap()).unwrap();
        let outside = if outside.starts_with('/') {
            setup.root.join(outside.trim_start_matches("/tmp/"))
        } else {
            PathBuf::from(outside)
        };
        manifest["dist_info"] = serde_json::Value::from(outside.to_string_lossy().into_owned());
        std::fs::write(&manifest_path, serde_json::to_vec(&manifest).unwrap()).unwrap();

        let (layout, output) = install_fresh(&prefix, &[&wheel], Some(&setup.cache));
        assert_eq!(output.cache, stats(0, 1, 0));
        check_record(&layout.purelib, "demo-1.0.dist-info");
        // Nothing was written outside the environment.
        let escaped = layout.purelib.join(&outside);
        assert!(!escaped.exists(), "{}", escaped.display());
        assert!(!setup.root.join("victim-1.0.dist-info").exists());
    }
}

/// Issue 17 §3: an installed file edited in place (`>>`, Python's `open('w')`, `cp`) went
/// through the hard link into the cache and every environment made from it afterwards; the
/// repair (`install --reinstall`) linked the edited file again.
#[test]
fn an_installed_file_edited_in_place_does_not_reach_new_environments() {
    type Edit<'a> = &'a dyn Fn(&Path, &Path);
    let edits: [(&str, Edit); 3] = [
        (">>", &|file, _| {
            let status = std::process::Command::new("sh")
                .arg("-c")
                .arg("echo 'import os; os.system(\"evil\")' >> \"$1\"")
                .arg("sh")
                .arg(file)
                .status()
                .unwrap();
            assert!(status.success());
        }),
        ("python open('w')", &|file, _| {
            // What Python's open(path, 'w') does: truncate and write the same inode.
            let status = std::process::Command::new("python3")
                .arg("-c")
                .arg("import sys; open(sys.argv[1], 'w').write('edited\\n')")
                .arg(file)
                .status()
                .expect("python3 runs (CPython is on every machine that runs the tests)");
            assert!(status.success());
        }),
        ("cp", &|file, scratch| {
            let other = scratch.join("other.py");
            std::fs::write(&other, b"print('patched')\n").unwrap();
            let status = std::process::Command::new("cp")
                .arg(&other)
                .arg(file)
                .status()
                .unwrap();
            assert!(status.success());
        }),
    ];
    for (how, edit) in edits {
        let setup = setup();
        let wheel = demo_wheel(&setup.wheels, "1.0");
        let pristine = {
            install_fresh(&setup.root.join("b"), &[&wheel], None);
            snapshot(&setup.root.join("b"))
        };
        let (first, _) = install_fresh(&setup.root.join("a"), &[&wheel], Some(&setup.cache));
        let edited = first.purelib.join("demo/cli.py");
        std::thread::sleep(std::time::Duration::from_millis(20));
        edit(&edited, &setup.root);
        let edited_bytes = std::fs::read(&edited).unwrap();
        assert_ne!(edited_bytes, b"def main():\n    return 0\n", "{how}");

        // A new environment gets the wheel's bytes.
        let (second, output) = install_fresh(&setup.root.join("b"), &[&wheel], Some(&setup.cache));
        assert_eq!(output.cache.refreshed, 1, "{how}");
        assert!(
            pristine == snapshot(&setup.root.join("b")),
            "{how}: new env has the edit"
        );
        check_record(&second.purelib, "demo-1.0.dist-info");
        // Reinstalling in the edited environment repairs it from the wheel's bytes.
        let output = install_wheels(
            &[WheelInstall::new(&wheel, true)],
            &first,
            &options(Some(&setup.cache)),
        )
        .unwrap();
        assert_eq!(output.cache.hits, 1, "{how}");
        assert_eq!(
            std::fs::read(&edited).unwrap(),
            b"def main():\n    return 0\n",
            "{how}"
        );
        check_record(&first.purelib, "demo-1.0.dist-info");
        assert!(pristine == snapshot(&setup.root.join("b")), "{how}");
    }
}

/// Issue 17 §3: `--link-mode copy` shares nothing with the cache; `clone` never shares an
/// inode either (a reflink where the filesystem has them, else a copy).
#[test]
fn link_modes_copy_and_clone_share_no_inode_with_the_cache() {
    for mode in [
        wharf_install::LinkMode::Copy,
        wharf_install::LinkMode::Clone,
    ] {
        let setup = setup();
        let wheel = demo_wheel(&setup.wheels, "1.0");
        install_fresh(&setup.root.join("a"), &[&wheel], Some(&setup.cache));
        let layout = fresh_env(&setup.root.join("b"));
        let options = InstallOptions {
            link_mode: mode,
            ..options(Some(&setup.cache))
        };
        let output = install_wheels(&[WheelInstall::new(&wheel, true)], &layout, &options).unwrap();
        assert_eq!(output.cache.hits, 1, "{mode}");
        assert!(
            output.cache.copied_files + output.cache.cloned_files > 0,
            "{mode}"
        );
        let entry = setup.cache.entry_directory(&wheel).unwrap();
        let inodes = entry_inodes(&entry);
        let installed = std::fs::metadata(layout.purelib.join("demo/cli.py")).unwrap();
        assert!(!inodes.contains(&installed.ino()), "{mode}");
        assert_eq!(installed.nlink(), 1, "{mode}");
        check_record(&layout.purelib, "demo-1.0.dist-info");
    }
}

/// Issue 17 §3: the repair of an edited file (`--reinstall`, [`WheelInstall::refresh_cache`])
/// unpacks the wheel afresh even when the edit hid itself (mtime set back by hand, which the
/// `lstat` check cannot see).
#[test]
fn refresh_cache_repairs_an_edit_with_its_mtime_set_back() {
    let setup = setup();
    let wheel = demo_wheel(&setup.wheels, "1.0");
    let (layout, _) = install_fresh(&setup.root.join("a"), &[&wheel], Some(&setup.cache));
    let edited = layout.purelib.join("demo/cli.py");
    let before = std::fs::metadata(&edited).unwrap();
    std::fs::write(&edited, b"def main():\n    return 1\n").unwrap();
    std::fs::File::options()
        .write(true)
        .open(&edited)
        .unwrap()
        .set_modified(before.modified().unwrap())
        .unwrap();
    // Unseen by the check: a plain install links the edited file.
    let (other, output) = install_fresh(&setup.root.join("b"), &[&wheel], Some(&setup.cache));
    assert_eq!(output.cache, stats(1, 0, 0));
    assert_eq!(
        std::fs::read(other.purelib.join("demo/cli.py")).unwrap(),
        b"def main():\n    return 1\n"
    );
    // The repair unpacks afresh.
    let mut request = WheelInstall::new(&wheel, true);
    request.refresh_cache = true;
    let output = install_wheels(&[request], &layout, &options(Some(&setup.cache))).unwrap();
    assert_eq!(output.cache, stats(0, 1, 0));
    assert_eq!(
        std::fs::read(&edited).unwrap(),
        b"def main():\n    return 0\n"
    );
    check_record(&layout.purelib, "demo-1.0.dist-info");
}
