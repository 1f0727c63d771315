//! End to end: `wharf venv`, `install`, `freeze` and `check` against the real CPython 3.11,
//! real pip 24.2 and a site-like wheelhouse of real scientific wheels.
//!
//! The fixture is built once per test binary by `scripts/build-sci-wheelhouse.py` from the
//! wheels pinned in `tests/data/sci-wheels.lock`: numpy, scipy, pandas, matplotlib,
//! scikit-learn, h5py, netCDF4 and all their runtime dependencies, re-tagged as the site does
//! (`+computecanada`, `linux_x86_64`) into `gentoo2023/x86-64-v3`, `gentoo2023/generic` and
//! `generic`; numpy 2.0.2 manylinux unmodified; the site's `pip.conf`, its policy module
//! `_manylinux.py` and a module-like PYTHONPATH dir holding six. The first run downloads about
//! 150 MB from PyPI into `.cache/wheels/pypi/`; later runs reuse `.cache/sci-wheelhouse/`.
//!
//! Needs `WHARF_TEST_PYTHON` (`eval "$(scripts/test-env.sh)"`); without it the tests are
//! skipped, or fail when `WHARF_TEST_REQUIRE_PEERS` is set. Every process spawned here gets an
//! explicit environment: PATH, HOME, and the site variables the test means (`PIP_CONFIG_FILE`,
//! `PYTHONPATH`, `VIRTUAL_ENV`); the machine's own `PIP_*` settings never leak in.
//!
//! On failure each assertion prints the whole transcript (command, exit, stdout, stderr).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The pinned wheels: `FILENAME SHA256 LAYER` lines.
const LOCK: &str = include_str!("data/sci-wheels.lock");

#[path = "support/sci.rs"]
mod sci;

#[allow(clippy::wildcard_imports)]
use sci::*;

/// Imports the seven top-level projects, uses each a little (so their C extensions and
/// bundled libraries load), and prints `DIST VERSION` for each.
const SMOKE: &str = r#"
import importlib.metadata as metadata, io
import numpy, scipy, scipy.linalg, pandas, matplotlib, sklearn, h5py, netCDF4
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from sklearn.linear_model import LinearRegression
a = numpy.array([[2.0, 1.0], [1.0, 3.0]])
assert abs(scipy.linalg.det(a) - 5.0) < 1e-9
frame = pandas.DataFrame({"x": [1.0, 2.0, 3.0], "y": [2.0, 4.0, 6.0]})
assert abs(LinearRegression().fit(frame[["x"]], frame["y"]).coef_[0] - 2.0) < 1e-9
figure, axes = plt.subplots()
axes.plot(frame.x, frame.y)
figure.savefig(io.BytesIO(), format="png")
with h5py.File("memory.h5", "w", driver="core", backing_store=False) as h5:
    h5["a"] = a
    assert h5["a"][1, 1] == 3.0
with netCDF4.Dataset("memory.nc", "w", diskless=True, format="NETCDF3_CLASSIC") as nc:
    nc.createDimension("t", 3)
    variable = nc.createVariable("v", "f8", ("t",))
    variable[:] = [1.0, 2.0, 3.0]
    assert float(variable[:].sum()) == 6.0
for dist in ["numpy", "scipy", "pandas", "matplotlib", "scikit-learn", "h5py", "netCDF4"]:
    print(dist, metadata.version(dist))
"#;

/// Corrupts a copy of a wheel: `truncate` keeps its first half (no central directory, so
/// not even METADATA can be read); `damage` zeroes 4 KiB in the middle of its largest
/// member, so METADATA still reads but unpacking fails part-way.
const CORRUPT: &str = r#"
import sys, zipfile
source, destination, mode = sys.argv[1:4]
data = bytearray(open(source, "rb").read())
if mode == "truncate":
    data = data[: len(data) // 2]
else:
    with zipfile.ZipFile(source) as archive:
        member = max(archive.infolist(), key=lambda info: info.compress_size)
    header = member.header_offset
    name_length = int.from_bytes(data[header + 26 : header + 28], "little")
    extra_length = int.from_bytes(data[header + 28 : header + 30], "little")
    middle = header + 30 + name_length + extra_length + member.compress_size // 2
    data[middle : middle + 4096] = bytes(4096)
open(destination, "wb").write(bytes(data))
if mode != "truncate":
    with zipfile.ZipFile(destination) as archive:
        assert any(n.endswith(".dist-info/METADATA") for n in archive.namelist())
        assert archive.testzip() == member.filename, "the damage was not detected"
"#;

/// PEP 503 normalized name.
fn normalize(name: &str) -> String {
    let mut normalized = String::new();
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !normalized.ends_with('-') {
                normalized.push('-');
            }
        } else {
            normalized.push(c.to_ascii_lowercase());
        }
    }
    normalized
}

/// What `pip freeze` must list after installing the seven top-level projects: every locked
/// wheel but the seed wheels and the unmodified manylinux numpy, as `normalized name` →
/// `version+computecanada`.
fn expected_stack() -> BTreeMap<String, String> {
    LOCK.lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|line| line.split_whitespace().collect::<Vec<_>>())
        .filter(|fields| fields[2] != "generic:unmodified")
        .map(|fields| {
            let mut parts = fields[0].split('-');
            let name = normalize(parts.next().unwrap());
            let version = format!("{}+computecanada", parts.next().unwrap());
            (name, version)
        })
        .filter(|(name, _)| !matches!(name.as_str(), "pip" | "setuptools" | "wheel"))
        .collect()
}

/// `pip freeze` lines as `normalized name` → version.
fn parse_freeze(freeze: &str) -> BTreeMap<String, String> {
    freeze
        .lines()
        .map(|line| {
            let (name, version) = line
                .split_once("==")
                .unwrap_or_else(|| panic!("not a `name==version` line: {line:?}"));
            (normalize(name), version.to_owned())
        })
        .collect()
}

/// The paths a RECORD lists (first CSV field; quoted when it holds a comma).
fn record_paths(record: &str) -> Vec<String> {
    record
        .lines()
        .filter(|line| !line.is_empty())
        .map(|line| {
            let mut fields = line.rsplitn(3, ',');
            let (_size, _hash) = (fields.next(), fields.next());
            let path = fields.next().unwrap_or(line);
            path.trim_matches('"').replace("\"\"", "\"")
        })
        .collect()
}

/// Every file under `dir` (relative to `root`), skipping `__pycache__`.
fn files_under(root: &Path, dir: &Path, out: &mut BTreeSet<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != "__pycache__" {
                files_under(root, &path, out);
            }
        } else {
            out.insert(path.strip_prefix(root).unwrap().to_owned());
        }
    }
}

/// One entry of a tree snapshot: directories by path only; files by size and mtime.
#[derive(Debug, PartialEq, Eq)]
enum Entry {
    Directory,
    File { size: u64, modified: SystemTime },
    Symlink(PathBuf),
}

fn snapshot(root: &Path) -> BTreeMap<PathBuf, Entry> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Entry>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let metadata = std::fs::symlink_metadata(&path).unwrap();
            let relative = path.strip_prefix(root).unwrap().to_owned();
            if metadata.is_symlink() {
                out.insert(relative, Entry::Symlink(std::fs::read_link(&path).unwrap()));
            } else if metadata.is_dir() {
                out.insert(relative, Entry::Directory);
                walk(root, &path, out);
            } else {
                let modified = metadata.modified().unwrap();
                let size = metadata.len();
                out.insert(relative, Entry::File { size, modified });
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// The differences between two snapshots, at most 30 lines.
fn snapshot_diff(before: &BTreeMap<PathBuf, Entry>, after: &BTreeMap<PathBuf, Entry>) -> String {
    let mut lines = Vec::new();
    for (path, entry) in before {
        match after.get(path) {
            None => lines.push(format!("removed {}", path.display())),
            Some(now) if now != entry => {
                lines.push(format!("changed {}: {entry:?} -> {now:?}", path.display()));
            }
            Some(_) => {}
        }
    }
    for path in after.keys().filter(|path| !before.contains_key(*path)) {
        lines.push(format!("added {}", path.display()));
    }
    let total = lines.len();
    lines.truncate(30);
    if total > 30 {
        lines.push(format!("… {} more", total - 30));
    }
    lines.join("\n")
}

/// a) `wharf venv` + `wharf install -r requirements.txt` (the activated-venv way:
/// `VIRTUAL_ENV`, no `--python`) installs exactly the locked stack; it imports and works;
/// `pip check` and `wharf check` are clean; `wharf freeze` is `pip freeze` byte for byte;
/// `pip uninstall` removes every file the RECORD wharf wrote lists.
#[test]
fn install_scientific_stack_like_pip() {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let venv = peers.new_venv(dir.path());

    let mut path = vec![venv.join("bin")];
    path.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    run(peers
        .wharf()
        .env("VIRTUAL_ENV", &venv)
        .env("PATH", std::env::join_paths(path).unwrap())
        .arg("install")
        .arg("-r")
        .arg(peers.fixture.join("requirements.txt")))
    .success();

    // The seven projects import, work, and are the site's `+computecanada` builds.
    let mplconfig = dir.path().join("mplconfig");
    let smoke = run(peers
        .on_site(venv.join("bin/python"))
        .env("MPLCONFIGDIR", &mplconfig)
        .current_dir(dir.path())
        .args(["-c", SMOKE]))
    .success();
    let expected = expected_stack();
    let versions: Vec<(String, String)> = smoke
        .stdout()
        .lines()
        .map(|line| {
            let (dist, version) = line.split_once(' ').unwrap();
            (normalize(dist), version.to_owned())
        })
        .collect();
    assert_eq!(versions.len(), 7, "{}", smoke.transcript());
    for (dist, version) in &versions {
        assert_eq!(
            Some(version),
            expected.get(dist),
            "{dist}: not the locked +computecanada build\n{}",
            smoke.transcript()
        );
    }

    // Exactly the locked set: no manylinux numpy 2.0.2, nothing missing, nothing extra.
    // pip's `freeze`/`check` run without PYTHONPATH: pip 24's `check` also tests each installed
    // wheel's WHEEL `Tag:` lines, and the site's re-tagged wheels keep their manylinux tags,
    // which `_manylinux.py` refuses ("not supported on this platform").
    let pip_freeze = run(peers.pip(&venv).arg("freeze")).success();
    assert_eq!(
        parse_freeze(&pip_freeze.stdout()),
        expected,
        "the venv does not hold exactly the locked stack:\n{}",
        pip_freeze.transcript()
    );
    let pip_check = run(peers.pip(&venv).arg("check")).success();
    assert_eq!(
        pip_check.stdout(),
        "No broken requirements found.\n",
        "{}",
        pip_check.transcript()
    );
    let mut wharf_check = peers.wharf();
    wharf_check.env_remove("PYTHONPATH");
    run(wharf_check.arg("check").arg("--python").arg(&venv)).success();

    let mut wharf_freeze = peers.wharf();
    wharf_freeze.env_remove("PYTHONPATH");
    let wharf_freeze = run(wharf_freeze.arg("freeze").arg("--python").arg(&venv)).success();
    assert!(
        wharf_freeze.stdout() == pip_freeze.stdout(),
        "`wharf freeze` differs from `pip freeze`:\n{}\n{}",
        wharf_freeze.transcript(),
        pip_freeze.transcript()
    );

    // The RECORD wharf wrote for scikit-learn lists every file it put down (bytecode aside)…
    let site_packages = site_packages(&venv);
    let dist_info = site_packages.join("scikit_learn-1.5.0+computecanada.dist-info");
    let record = std::fs::read_to_string(dist_info.join("RECORD"))
        .unwrap_or_else(|error| panic!("{}/RECORD: {error}", dist_info.display()));
    let listed: BTreeSet<PathBuf> = record_paths(&record)
        .into_iter()
        .map(PathBuf::from)
        .collect();
    assert!(
        listed.len() > 500,
        "RECORD lists only {} files",
        listed.len()
    );
    let mut on_disk = BTreeSet::new();
    for top in [
        "sklearn",
        "scikit_learn.libs",
        "scikit_learn-1.5.0+computecanada.dist-info",
    ] {
        files_under(&site_packages, &site_packages.join(top), &mut on_disk);
    }
    let unlisted: Vec<_> = on_disk.difference(&listed).collect();
    assert!(
        unlisted.is_empty(),
        "installed but not in RECORD: {unlisted:?}"
    );
    let missing: Vec<_> = listed
        .iter()
        .filter(|path| !site_packages.join(path).exists())
        .collect();
    assert!(
        missing.is_empty(),
        "in RECORD but not installed: {missing:?}"
    );

    // …so pip's uninstall removes all of it.
    run(peers.pip(&venv).args(["uninstall", "-y", "scikit-learn"])).success();
    let left: Vec<_> = listed
        .iter()
        .filter(|path| site_packages.join(path).exists())
        .collect();
    assert!(left.is_empty(), "left after `pip uninstall`: {left:?}");
    for top in [
        "sklearn",
        "scikit_learn.libs",
        "scikit_learn-1.5.0+computecanada.dist-info",
    ] {
        assert!(
            !site_packages.join(top).exists(),
            "{top} is left after `pip uninstall`"
        );
    }
    let pip_freeze = run(peers.pip(&venv).arg("freeze")).success();
    let mut wharf_freeze = peers.wharf();
    wharf_freeze.env_remove("PYTHONPATH");
    let wharf_freeze = run(wharf_freeze.arg("freeze").arg("--python").arg(&venv)).success();
    assert!(!pip_freeze.stdout().contains("scikit-learn"));
    assert!(
        wharf_freeze.stdout() == pip_freeze.stdout(),
        "after `pip uninstall scikit-learn`, `wharf freeze` differs from `pip freeze`:\n{}\n{}",
        wharf_freeze.transcript(),
        pip_freeze.transcript()
    );
}

/// b) With `_manylinux.py` on PYTHONPATH, the newer manylinux numpy 2.0.2 is refused: plain
/// `numpy` gets the site's 1.26.4 build; `numpy>=2` fails (exit 1) naming the policy and its
/// override; `--allow-manylinux` installs 2.0.2.
#[test]
fn manylinux_refused_by_site_policy() {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let venv = peers.new_venv(dir.path());
    let freeze = || run(peers.pip(&venv).arg("freeze")).success().stdout();

    run(peers
        .wharf()
        .args(["install", "--python"])
        .arg(&venv)
        .arg("numpy"))
    .success();
    assert_eq!(freeze(), "numpy==1.26.4+computecanada\n");
    assert!(
        site_packages(&venv)
            .join("numpy-1.26.4+computecanada.dist-info")
            .is_dir()
    );

    let refused = run(peers
        .wharf()
        .args(["install", "--python"])
        .arg(&venv)
        .arg("numpy>=2"))
    .exit_code(1);
    let stderr = refused.stderr().to_lowercase();
    for needle in ["manylinux", "policy", "--allow-manylinux"] {
        assert!(
            stderr.contains(needle),
            "stderr does not mention {needle:?}:\n{}",
            refused.transcript()
        );
    }
    assert_eq!(
        freeze(),
        "numpy==1.26.4+computecanada\n",
        "a refused install changed the venv"
    );

    run(peers
        .wharf()
        .args(["install", "--allow-manylinux", "--python"])
        .arg(&venv)
        .arg("numpy>=2"))
    .success();
    assert_eq!(freeze(), "numpy==2.0.2\n");
    let imported = run(peers
        .on_site(venv.join("bin/python"))
        .args(["-c", "import numpy; print(numpy.__version__)"]))
    .success();
    assert_eq!(imported.stdout(), "2.0.2\n", "{}", imported.transcript());
}

/// c) A package a module puts on PYTHONPATH (six) satisfies a dependency, as pip sees it:
/// `wharf install python-dateutil` does not install six into the venv.
#[test]
fn pythonpath_package_satisfies_dependency() {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let venv = peers.new_venv(dir.path());
    let pythonpath = peers.pythonpath(&[peers.modules_pythonpath()]);

    run(peers
        .wharf()
        .env("PYTHONPATH", &pythonpath)
        .args(["install", "--python"])
        .arg(venv.join("bin/python"))
        .arg("python-dateutil"))
    .success();

    let site_packages = site_packages(&venv);
    let names: Vec<String> = std::fs::read_dir(&site_packages)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("python_dateutil-2.9.0.post0+computecanada.dist-info")),
        "python-dateutil is not installed: {names:?}"
    );
    assert!(
        !names.iter().any(|n| n == "six.py" || n.starts_with("six-")),
        "six was installed although PYTHONPATH provides it: {names:?}"
    );
    let imported = run(peers
        .on_site(venv.join("bin/python"))
        .env("PYTHONPATH", &pythonpath)
        .args(["-c", "import dateutil.tz, six; print(six.__file__)"]))
    .success();
    assert!(
        Path::new(imported.stdout().trim()).starts_with(peers.modules_pythonpath()),
        "{}",
        imported.transcript()
    );
}

/// c') `wharf freeze` is `pip freeze` also when PYTHONPATH holds a package (pip lists every
/// distribution on the interpreter's sys.path, six from the module dir included).
#[test]
fn freeze_with_pythonpath_package_is_pip_freeze() {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let venv = peers.new_venv(dir.path());
    let pythonpath = peers.pythonpath(&[peers.modules_pythonpath()]);
    run(peers
        .wharf()
        .env("PYTHONPATH", &pythonpath)
        .args(["install", "--python"])
        .arg(&venv)
        .arg("python-dateutil"))
    .success();

    let pip_freeze = run(peers
        .pip(&venv)
        .env("PYTHONPATH", &pythonpath)
        .arg("freeze"))
    .success();
    assert!(
        pip_freeze.stdout().contains("six==1.16.0+computecanada\n"),
        "{}",
        pip_freeze.transcript()
    );
    let wharf_freeze = run(peers
        .wharf()
        .env("PYTHONPATH", &pythonpath)
        .args(["freeze", "--python"])
        .arg(&venv))
    .success();
    assert!(
        wharf_freeze.stdout() == pip_freeze.stdout(),
        "`wharf freeze` differs from `pip freeze`:\n{}\n{}",
        wharf_freeze.transcript(),
        pip_freeze.transcript()
    );
}

/// d) An install that fails leaves the venv as it was (every path; files' sizes and mtimes):
/// once with a wheel damaged in the middle (its METADATA reads, unpacking fails part-way,
/// after its dependencies could be unpacked), once with a truncated wheel. The same install
/// from intact wheels then succeeds, so the failures were the corruption's.
#[test]
fn failed_install_leaves_environment_unchanged() {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let venv = peers.new_venv(dir.path());
    run(peers
        .wharf()
        .args(["install", "--python"])
        .arg(&venv)
        .arg("packaging"))
    .success();

    let pandas = peers.wheel("pandas-2.2.2+computecanada-");
    let find_links = |name: &str, corruption: Option<&str>| -> PathBuf {
        let links = dir.path().join(name);
        std::fs::create_dir(&links).unwrap();
        for dependency in [
            "numpy-1.26.4+",
            "python_dateutil-",
            "six-1.16.0+",
            "pytz-",
            "tzdata-",
        ] {
            let wheel = peers.wheel(dependency);
            std::fs::copy(&wheel, links.join(wheel.file_name().unwrap())).unwrap();
        }
        let copy = links.join(pandas.file_name().unwrap());
        match corruption {
            None => {
                std::fs::copy(&pandas, &copy).unwrap();
            }
            Some(mode) => {
                run(command(&peers.test_python)
                    .args(["-c", CORRUPT])
                    .arg(&pandas)
                    .arg(&copy)
                    .arg(mode))
                .success();
            }
        }
        links
    };

    // The wheels are copies in temporary directories: their cache entries go with them.
    let cache = dir.path().join("cache");
    let before = snapshot(&venv);
    for mode in ["damage", "truncate"] {
        let links = find_links(mode, Some(mode));
        // Only these wheels: `-f` adds to the site's find-links, which hold an intact pandas.
        let failed = run(peers
            .wharf_with_cache(&cache)
            .env("PIP_CONFIG_FILE", "/dev/null")
            .args(["install", "--python"])
            .arg(&venv)
            .arg("-f")
            .arg(&links)
            .arg("pandas"));
        assert!(
            failed.code().is_some_and(|code| code != 0),
            "installing a {mode}d pandas wheel did not fail:\n{}",
            failed.transcript()
        );
        let after = snapshot(&venv);
        assert!(
            before == after,
            "a failed install ({mode}d pandas wheel) changed the venv:\n{}\n{}",
            snapshot_diff(&before, &after),
            failed.transcript()
        );
    }

    let links = find_links("intact", None);
    run(peers
        .wharf_with_cache(&cache)
        .env("PIP_CONFIG_FILE", "/dev/null")
        .args(["install", "--python"])
        .arg(&venv)
        .arg("-f")
        .arg(&links)
        .arg("pandas"))
    .success();
    run(peers
        .on_site(venv.join("bin/python"))
        .args(["-c", "import pandas"]))
    .success();
}

/// d') The wheel cache: a second install of the stack into a fresh venv hard-links every
/// file from the cache (same inodes as the first venv's, which came from the cache too),
/// imports and works; `pip uninstall` in one venv leaves the other intact; `--no-cache`
/// writes private copies.
#[test]
fn second_install_links_from_the_wheel_cache() {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let install = |venv: &Path, extra: &[&str]| {
        run(peers
            .wharf_with_cache(&cache)
            .args(["install", "--python"])
            .arg(venv)
            .args(extra)
            .arg("-r")
            .arg(peers.fixture.join("requirements.txt")))
        .success()
    };
    let packages = expected_stack().len();
    let first_dir = dir.path().join("first");
    std::fs::create_dir(&first_dir).unwrap();
    let first = peers.new_venv(&first_dir);
    let cold = install(&first, &[]);
    assert!(
        cold.stderr().contains(&format!(
            "(0 from the wheel cache, {packages} unpacked into it)"
        )),
        "{}",
        cold.transcript()
    );
    let second_dir = dir.path().join("second");
    std::fs::create_dir(&second_dir).unwrap();
    let second = peers.new_venv(&second_dir);
    let warm = install(&second, &[]);
    assert!(
        warm.stderr().contains(&format!(
            "({packages} from the wheel cache, 0 unpacked into it)"
        )),
        "{}",
        warm.transcript()
    );

    // Shared inodes: cache + first + second.
    let (first_site, second_site) = (site_packages(&first), site_packages(&second));
    for file in [
        "numpy/__init__.py",
        "numpy/core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so",
        "scipy/linalg/__init__.py",
        "sklearn/__init__.py",
        "pandas-2.2.2+computecanada.dist-info/METADATA",
    ] {
        use std::os::unix::fs::MetadataExt;
        let (a, b) = (
            std::fs::metadata(first_site.join(file)).unwrap(),
            std::fs::metadata(second_site.join(file)).unwrap(),
        );
        assert_eq!(a.ino(), b.ino(), "{file} is not shared");
        assert!(b.nlink() >= 3, "{file} has {} links", b.nlink());
    }

    // The linked venv imports and works, with the locked builds.
    let smoke = run(peers
        .on_site(second.join("bin/python"))
        .env("MPLCONFIGDIR", dir.path().join("mplconfig"))
        .current_dir(dir.path())
        .args(["-c", SMOKE]))
    .success();
    assert_eq!(smoke.stdout().lines().count(), 7, "{}", smoke.transcript());
    let pip_check = run(peers.pip(&second).arg("check")).success();
    assert_eq!(pip_check.stdout(), "No broken requirements found.\n");

    // Uninstalling from one venv unlinks its files only.
    run(peers.pip(&second).args(["uninstall", "-y", "numpy"])).success();
    assert!(!second_site.join("numpy/__init__.py").exists());
    let numpy = run(peers
        .on_site(first.join("bin/python"))
        .args(["-c", "import numpy; print(numpy.__version__)"]))
    .success();
    assert_eq!(numpy.stdout(), "1.26.4\n", "{}", numpy.transcript());

    // --no-cache: private copies.
    let third_dir = dir.path().join("third");
    std::fs::create_dir(&third_dir).unwrap();
    let third = peers.new_venv(&third_dir);
    let copied = install(&third, &["--no-cache"]);
    assert!(
        !copied.stderr().contains("wheel cache"),
        "{}",
        copied.transcript()
    );
    {
        use std::os::unix::fs::MetadataExt;
        let metadata = std::fs::metadata(site_packages(&third).join("numpy/__init__.py")).unwrap();
        assert_eq!(metadata.nlink(), 1);
    }
}

/// d'') A wheel with two `.dist-info` directories (its project's and another's, every file in
/// its RECORD): pip refuses it ("multiple .dist-info directories found"), and so does wharf,
/// naming both, exit 1, with and without the wheel cache; the venv is unchanged.
#[test]
fn wheel_with_two_dist_info_directories_is_refused_like_pip() {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let venv = peers.new_venv(dir.path());
    let links = dir.path().join("links");
    std::fs::create_dir(&links).unwrap();
    let wheel = wharf_test_support::WheelBuilder::new("twoinfo", "1.0", true, &[])
        .file("twoinfo/__init__.py", b"x = 1\n")
        .file(
            "other-2.0.dist-info/METADATA",
            b"Metadata-Version: 2.1\nName: other\nVersion: 2.0\n",
        )
        .write(&links.join("twoinfo-1.0-py3-none-any.whl"));

    let pip = run(command(&peers.test_python)
        .args([
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--no-index",
            "--no-deps",
        ])
        .arg(&wheel))
    .exit_code(1);
    assert!(
        pip.stderr()
            .contains("multiple .dist-info directories found"),
        "{}",
        pip.transcript()
    );

    let before = snapshot(&venv);
    for no_cache in [false, true] {
        let mut install = peers.wharf_with_cache(&dir.path().join("cache"));
        install
            .args(["install", "--python"])
            .arg(&venv)
            .arg("-f")
            .arg(&links);
        if no_cache {
            install.arg("--no-cache");
        }
        let refused = run(install.arg("twoinfo")).exit_code(1);
        let stderr = refused.stderr();
        assert!(
            stderr.contains(&format!(
                "error: wheel `{}` is refused: it has 2 `.dist-info` directories (`twoinfo-1.0.dist-info`, `other-2.0.dist-info`)",
                wheel.display()
            )) && stderr.contains("hint: the wheel is malformed (pip refuses it too)"),
            "{}",
            refused.transcript()
        );
        assert!(
            before == snapshot(&venv),
            "{}",
            snapshot_diff(&before, &snapshot(&venv))
        );
    }
}

/// e) `wharf install` with no target (no `VIRTUAL_ENV`, no `--python`) is a usage error
/// (exit 2) with a hint, and installs nothing anywhere.
#[test]
fn install_outside_a_venv_is_a_usage_error() {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    // No interpreter on PATH either: a wharf that went looking for one must not find the
    // machine's Python (and install into it).
    let empty_bin = dir.path().join("bin");
    std::fs::create_dir(&empty_bin).unwrap();
    let refused = run(peers
        .wharf()
        .env("PATH", &empty_bin)
        .current_dir(dir.path())
        .args(["install", "six"]))
    .exit_code(2);
    assert_eq!(refused.stdout(), "", "{}", refused.transcript());
    let stderr = refused.stderr();
    assert!(
        stderr.contains("hint"),
        "no hint:\n{}",
        refused.transcript()
    );
    assert!(
        ["--python", "VIRTUAL_ENV", "wharf venv"]
            .iter()
            .any(|way| stderr.contains(way)),
        "the hint names no way to choose an environment:\n{}",
        refused.transcript()
    );
}

/// `wharf venv --seed` installs pip, setuptools and wheel from the wheelhouse (the
/// fixture's `+computecanada` copies), and the seeded pip works in the new environment.
#[test]
fn venv_seed_installs_pip_from_the_wheelhouse() {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let venv = dir.path().join("seeded");
    run(peers
        .wharf()
        .arg("venv")
        .arg(&venv)
        .arg("--python")
        .arg(&peers.base_python)
        .arg("--seed"))
    .success();
    let version = run(command(venv.join("bin/python")).args(["-m", "pip", "--version"])).success();
    assert!(
        version.stdout().starts_with("pip 24.2 from "),
        "{}",
        version.transcript()
    );
    let installed: Vec<String> = std::fs::read_dir(site_packages(&venv))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".dist-info"))
        .collect();
    for project in [
        "pip-24.2+computecanada",
        "setuptools-70.0.0+computecanada",
        "wheel-0.43.0+computecanada",
    ] {
        assert!(
            installed.iter().any(|n| n.starts_with(project)),
            "{project} not seeded: {installed:?}"
        );
    }
}

/// Issue 17 §6: an install that fails on a full disk keeps the cache entries it made there;
/// the hint says how to free them. The environment and its cache sit on a 24 MB tmpfs (root
/// mounts it; elsewhere the test says why it skips, or fails under WHARF_TEST_REQUIRE_PEERS).
#[test]
fn a_full_disk_fails_with_the_cache_hint_and_changes_nothing() {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let small = dir.path().join("small");
    std::fs::create_dir(&small).unwrap();
    let mounted = run(command("mount")
        .args(["-t", "tmpfs", "-o", "size=24m", "tmpfs"])
        .arg(&small))
    .code()
        == Some(0);
    if !mounted {
        let reason = "a_full_disk_fails…: cannot mount a small tmpfs (not root)";
        wharf_test_support::skip(reason);
        return;
    }
    let venv = peers.new_venv(&small);
    let before = snapshot(&venv);
    let failed = run(peers
        .wharf_with_cache(&small.join("cache"))
        .args(["install", "--python"])
        .arg(&venv)
        .args(["pandas", "scipy"]));
    let after = snapshot(&venv);
    run(command("umount").arg(&small)).success();
    assert_eq!(failed.code(), Some(1), "{}", failed.transcript());
    let stderr = failed.stderr();
    assert!(
        stderr.contains("No space left on device") && stderr.contains("wharf cache prune"),
        "{}",
        failed.transcript()
    );
    assert!(
        before == after,
        "{}\n{}",
        snapshot_diff(&before, &after),
        failed.transcript()
    );
}

/// Writes a tiny wheel `file` (its name decides its tags) into `dir`.
fn tiny_wheel(dir: &Path, file: &str, requires: &[&str], requires_python: Option<&str>) {
    std::fs::create_dir_all(dir).unwrap();
    let parts: Vec<&str> = file.trim_end_matches(".whl").split('-').collect();
    let mut builder = wharf_test_support::WheelBuilder::new(parts[0], parts[1], true, requires);
    if let Some(requires_python) = requires_python {
        builder = builder.metadata_line(&format!("Requires-Python: {requires_python}"));
    }
    builder
        .file(&format!("{}/__init__.py", parts[0]), b"")
        .write(&dir.join(file));
}

/// Regression (issue 18 §3): a version that does not exist is answered as pip's "from
/// versions: …" (the versions for this Python, each excluded wheel and why, local labels
/// kept), and conflicts in plain words: today's report said "your request depends on numpy
/// 1.23.0+computecanada", "your request is forbidden", and no excluded wheel.
#[test]
fn missing_version_and_conflict_reports_say_what_exists() {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let venv = peers.new_venv(dir.path());
    let links = dir.path().join("links");
    tiny_wheel(
        &links,
        "numpy-1.26.4+computecanada-py3-none-any.whl",
        &[],
        None,
    );
    tiny_wheel(
        &links,
        "numpy-1.25.0+computecanada-py3-none-any.whl",
        &[],
        Some(">=3.99"),
    );
    tiny_wheel(
        &links,
        "numpy-2.1.1+computecanada-cp27-cp27mu-linux_x86_64.whl",
        &[],
        None,
    );
    tiny_wheel(
        &links,
        "pydantic-2.5.0-py3-none-any.whl",
        &["pydantic-core==2.14.5"],
        None,
    );
    tiny_wheel(&links, "pydantic_core-2.14.6-py3-none-any.whl", &[], None);
    let install = |requirement: &str| {
        run(peers
            .wharf_with_cache(&dir.path().join("cache"))
            .env("PIP_CONFIG_FILE", "/dev/null")
            .args(["install", "--dry-run", "--python"])
            .arg(&venv)
            .arg("-f")
            .arg(&links)
            .arg(requirement))
        .exit_code(1)
    };
    let refused = install("numpy==1.23.0+computecanada");
    let stderr = refused.stderr();
    for expected in [
        "the user requested numpy==1.23.0+computecanada",
        "in the wheelhouse: 1.26.4+computecanada\n",
        "excluded: numpy 1.25.0+computecanada requires Python >=3.99; the environment has Python 3.",
        "excluded: numpy 2.1.1+computecanada exists for CPython 2.7 (`cp27`)",
    ] {
        assert!(
            stderr.contains(expected),
            "{expected}:\n{}",
            refused.transcript()
        );
    }
    let refused = install("pydantic");
    let stderr = refused.stderr();
    assert!(
        stderr.contains("Because the wheelhouse has no usable wheel of pydantic-core==2.14.5 and pydantic==2.5.0 depends on pydantic-core==2.14.5, pydantic==2.5.0 cannot be installed.")
            && stderr.contains("versions of pydantic-core for CPython 3.")
            && stderr.contains("in the wheelhouse: 2.14.6"),
        "{}",
        refused.transcript()
    );
    for jargon in ["your request", "request 0", "is forbidden", " *"] {
        assert!(
            !stderr.contains(jargon),
            "{jargon}:\n{}",
            refused.transcript()
        );
    }
}

/// Regression (issue 18 §3): "no wheel named X" said nothing of where wharf looked. Now it
/// names each directory and where it was configured (the pip config's `[install]`, `-f`, a
/// requirements file's `--find-links`, `PIP_FIND_LINKS`), the similar names, and a
/// configured directory that does not exist is one warning naming its origin.
#[test]
fn no_wheel_named_says_where_wharf_looked() {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let venv = peers.new_venv(dir.path());
    let links = dir.path().join("links");
    let more = dir.path().join("more");
    let missing = dir.path().join("missing");
    let typo = dir.path().join("typo");
    tiny_wheel(
        &links,
        "numpy-1.26.4+computecanada-py3-none-any.whl",
        &[],
        None,
    );
    tiny_wheel(
        &more,
        "scipy-1.14.1+computecanada-py3-none-any.whl",
        &[],
        None,
    );
    let config = dir.path().join("pip.conf");
    std::fs::write(
        &config,
        format!(
            "[install]\nfind-links = {} {}\n",
            links.display(),
            missing.display()
        ),
    )
    .unwrap();
    let requirements = dir.path().join("requirements.txt");
    std::fs::write(
        &requirements,
        format!("--find-links {}\nnunpy\n", more.display()),
    )
    .unwrap();
    let refused = run(peers
        .wharf_with_cache(&dir.path().join("cache"))
        .env("PIP_CONFIG_FILE", &config)
        .args(["install", "--dry-run", "--python"])
        .arg(&venv)
        .arg("-f")
        .arg(&typo)
        .arg("-r")
        .arg(&requirements))
    .exit_code(1);
    let stderr = refused.stderr();
    let from_config = format!("[install] find-links in `{}`", config.display());
    for expected in [
        format!(
            "warning: wheel directory `{}` (from {from_config}) does not exist; skipped",
            missing.display()
        ),
        format!(
            "warning: wheel directory `{}` (from `-f` on the command line) does not exist; skipped",
            typo.display()
        ),
        "no wheel named nunpy in the wheelhouse".to_string(),
        "similar names in the wheelhouse: numpy".to_string(),
        "searched 4 directories:".to_string(),
        format!("    {} (from {from_config})", links.display()),
        format!(
            "    {} (from {from_config}, does not exist)",
            missing.display()
        ),
        format!(
            "    {} (from `-f` on the command line, does not exist)",
            typo.display()
        ),
        format!(
            "    {} (from a requirements file's `--find-links`)",
            more.display()
        ),
    ] {
        assert_eq!(
            stderr.matches(&expected).count(),
            1,
            "{expected}:\n{}",
            refused.transcript()
        );
    }

    let refused = run(peers
        .wharf_with_cache(&dir.path().join("cache"))
        .env("PIP_CONFIG_FILE", "/dev/null")
        .env("PIP_FIND_LINKS", &links)
        .args(["install", "--dry-run", "--python"])
        .arg(&venv)
        .arg("zzz"))
    .exit_code(1);
    assert!(
        refused.stderr().contains(&format!(
            "searched 1 directory:\n    {} (from PIP_FIND_LINKS)",
            links.display()
        )),
        "{}",
        refused.transcript()
    );
}
