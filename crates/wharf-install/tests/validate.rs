//! Wheel validation: one test per refusal (each asserting that the message names the wheel
//! and the member, and that the environment and the cache are left unchanged), and both
//! sides of the site rule for re-tagged wheels (synthetic, and a real fixture wheel).

mod common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use common::{RawMember, RecordMode, WheelBuilder, raw_zip, record_of, snapshot};
use wharf_install::{
    InstallError, InstallOptions, InvalidWheel, Layout, Verification, WheelCache, WheelError,
    WheelInstall, install_wheels,
};

struct Environment {
    root: tempfile::TempDir,
    prefix: PathBuf,
    wheels: PathBuf,
    layout: Layout,
}

fn environment() -> Environment {
    let root = tempfile::tempdir().unwrap();
    let wheels = root.path().join("wheels");
    std::fs::create_dir_all(&wheels).unwrap();
    let prefix = root.path().join("env");
    let layout = Layout::for_venv(&prefix, (3, 11));
    std::fs::create_dir_all(&layout.purelib).unwrap();
    std::fs::create_dir_all(&layout.scripts).unwrap();
    Environment {
        root,
        prefix,
        wheels,
        layout,
    }
}

impl Environment {
    fn cache(&self) -> WheelCache {
        WheelCache::new(self.root.path().join("cache"))
    }

    /// Installs `wheel` without and with the wheel cache, expecting a refusal each time;
    /// checks the environment and the cache are unchanged, returns the message.
    fn refused(&self, wheel: &Path) -> (InstallError, String) {
        let before = snapshot(&self.prefix);
        let mut messages = Vec::new();
        let mut first = None;
        for cache in [None, Some(self.cache())] {
            let options = InstallOptions {
                threads: 2,
                cache,
                ..InstallOptions::default()
            };
            let error = install_wheels(&[WheelInstall::new(wheel, true)], &self.layout, &options)
                .expect_err("the wheel is refused");
            messages.push(error.to_string());
            first.get_or_insert(error);
            assert_eq!(snapshot(&self.prefix), before, "environment changed");
        }
        assert_eq!(
            messages[0], messages[1],
            "same refusal with and without cache"
        );
        let entries = self
            .cache()
            .directory()
            .read_dir()
            .map_or(0, Iterator::count);
        assert_eq!(entries, 0, "a refused wheel leaves no cache entry");
        (first.unwrap(), messages.remove(0))
    }

    fn installs(&self, wheel: &Path, options: &InstallOptions) -> wharf_install::InstallOutput {
        install_wheels(&[WheelInstall::new(wheel, true)], &self.layout, options).unwrap()
    }
}

fn assert_names(message: &str, wheel: &Path, member: &str) {
    let file_name = wheel.file_name().unwrap().to_string_lossy();
    assert!(message.contains(&*file_name), "no wheel in: {message}");
    assert!(
        message.contains(&format!("`{member}`")),
        "no `{member}` in: {message}"
    );
}

const DIST_INFO: &str = "demo-1.0.dist-info";

/// `METADATA` and `WHEEL` of `demo 1.0` as raw members.
fn dist_info_members() -> Vec<RawMember> {
    vec![
        RawMember::file(
            &format!("{DIST_INFO}/METADATA"),
            b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n",
        ),
        RawMember::file(
            &format!("{DIST_INFO}/WHEEL"),
            b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        ),
    ]
}

/// A raw wheel `demo-1.0-py3-none-any.whl` of `members` (after `METADATA` and `WHEEL`)
/// and a `RECORD` listing `listed` of them correctly (all when `None`).
fn raw_wheel(directory: &Path, members: Vec<RawMember>, listed: Option<&[&str]>) -> PathBuf {
    let mut all = dist_info_members();
    all.extend(members);
    let in_record: Vec<RawMember> = all
        .iter()
        .filter(|member| {
            member.name.starts_with(DIST_INFO)
                || listed.is_none_or(|listed| listed.contains(&member.name.as_str()))
        })
        .cloned()
        .collect();
    all.push(RawMember::file(
        &format!("{DIST_INFO}/RECORD"),
        &record_of(DIST_INFO, &in_record),
    ));
    let path = directory.join("demo-1.0-py3-none-any.whl");
    std::fs::write(&path, raw_zip(&all)).unwrap();
    path
}

/// A built wheel whose `RECORD` was made for other content of `demo/core.py`.
fn tampered_wheel(directory: &Path, file_name: &str, version: &str, tampered: &str) -> PathBuf {
    let dist_info = format!("demo-{version}.dist-info");
    let original: Vec<RawMember> = [
        ("demo/__init__.py", &b"from .core import x\n"[..]),
        ("demo/core.py", b"x = 1\n"),
        (
            "demo/_speed.cpython-311-x86_64-linux-gnu.so",
            b"\x7fELF original",
        ),
    ]
    .iter()
    .map(|(name, content)| RawMember::file(name, content))
    .collect();
    let metadata = format!("Metadata-Version: 2.1\nName: demo\nVersion: {version}\n");
    let mut members = vec![
        RawMember::file(&format!("{dist_info}/METADATA"), metadata.as_bytes()),
        RawMember::file(
            &format!("{dist_info}/WHEEL"),
            b"Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: cp311-cp311-linux_x86_64\n",
        ),
    ];
    members.extend(original);
    let record = record_of(&dist_info, &members);
    for member in &mut members {
        if member.name == tampered || (tampered.ends_with('/') && member.name.starts_with(tampered))
        {
            member
                .content
                .extend_from_slice(b"# changed after RECORD\n");
        }
    }
    members.push(RawMember::file(&format!("{dist_info}/RECORD"), &record));
    let path = directory.join(file_name);
    std::fs::write(&path, raw_zip(&members)).unwrap();
    path
}

#[test]
fn err_file_differs_from_record() {
    let env = environment();
    let wheel = tampered_wheel(
        &env.wheels,
        "demo-1.0-cp311-cp311-linux_x86_64.whl",
        "1.0",
        "demo/core.py",
    );
    let (error, message) = env.refused(&wheel);
    assert!(matches!(
        error,
        InstallError::Invalid(InvalidWheel::RecordMismatch { .. })
    ));
    assert_names(&message, &wheel, "demo/core.py");
    assert!(
        message.contains("does not match its RECORD entry"),
        "{message}"
    );
    assert!(message.contains(", 6 bytes; file: sha256="), "{message}");
}

#[test]
fn err_record_size_differs() {
    let env = environment();
    let mut members = vec![RawMember::file("demo/__init__.py", b"x = 1\n")];
    let mut record = record_of(DIST_INFO, &[dist_info_members(), members.clone()].concat());
    // Right hash, wrong size.
    let text = String::from_utf8(record).unwrap().replace(",6\n", ",7\n");
    record = text.into_bytes();
    let mut all = dist_info_members();
    all.append(&mut members);
    all.push(RawMember::file(&format!("{DIST_INFO}/RECORD"), &record));
    let wheel = env.wheels.join("demo-1.0-py3-none-any.whl");
    std::fs::write(&wheel, raw_zip(&all)).unwrap();
    let (_, message) = env.refused(&wheel);
    assert_names(&message, &wheel, "demo/__init__.py");
    assert!(message.contains("7 bytes; file:"), "{message}");
}

#[test]
fn err_duplicate_member() {
    let env = environment();
    let wheel = raw_wheel(
        &env.wheels,
        vec![
            RawMember::file("demo/__init__.py", b"x = 1\n"),
            RawMember::file("demo/__init__.py", b"import os; os.system('boom')\n"),
        ],
        None,
    );
    let (error, message) = env.refused(&wheel);
    assert!(matches!(
        error,
        InstallError::Invalid(InvalidWheel::DuplicateMember { count: 2, .. })
    ));
    assert_names(&message, &wheel, "demo/__init__.py");
    assert!(message.contains("appears 2 times"), "{message}");
}

#[test]
fn err_member_not_in_record() {
    let env = environment();
    let wheel = raw_wheel(
        &env.wheels,
        vec![
            RawMember::file("demo/__init__.py", b"x = 1\n"),
            RawMember::file("demo/extra.py", b"y = 2\n"),
        ],
        Some(&["demo/__init__.py"]),
    );
    let (_, message) = env.refused(&wheel);
    assert_names(&message, &wheel, "demo/extra.py");
    assert!(message.contains("is not listed in its RECORD"), "{message}");
}

#[test]
fn record_signatures_need_no_row() {
    let env = environment();
    let wheel = raw_wheel(
        &env.wheels,
        vec![
            RawMember::file("demo/__init__.py", b"x = 1\n"),
            RawMember::file(&format!("{DIST_INFO}/RECORD.jws"), b"{}"),
        ],
        None,
    );
    // `raw_wheel` lists `.dist-info` members: rebuild without the signature's row.
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&wheel).unwrap()).unwrap();
    let mut record = String::new();
    archive
        .by_name(&format!("{DIST_INFO}/RECORD"))
        .unwrap()
        .read_to_string(&mut record)
        .unwrap();
    assert!(record.contains("RECORD.jws"));
    let without: String = record
        .lines()
        .filter(|line| !line.contains("RECORD.jws"))
        .fold(String::new(), |mut out, line| {
            out.push_str(line);
            out.push('\n');
            out
        });
    let mut members = dist_info_members();
    members.push(RawMember::file("demo/__init__.py", b"x = 1\n"));
    members.push(RawMember::file(&format!("{DIST_INFO}/RECORD.jws"), b"{}"));
    members.push(RawMember::file(
        &format!("{DIST_INFO}/RECORD"),
        without.as_bytes(),
    ));
    std::fs::write(&wheel, raw_zip(&members)).unwrap();
    env.installs(&wheel, &InstallOptions::default());
}

#[test]
fn err_no_record() {
    let env = environment();
    let wheel = WheelBuilder::new(DIST_INFO, "demo", "1.0", true)
        .file("demo/__init__.py", b"")
        .record(RecordMode::Missing)
        .write(&env.wheels.join("demo-1.0-py3-none-any.whl"));
    let (_, message) = env.refused(&wheel);
    assert_names(&message, &wheel, "demo-1.0.dist-info/RECORD");
    assert!(message.contains("it has no"), "{message}");
}

#[test]
fn err_symlink_member() {
    let env = environment();
    let mut link = RawMember::file("demo/passwd", b"/etc/passwd");
    link.mode = 0o120_777;
    let wheel = raw_wheel(&env.wheels, vec![link], None);
    let (error, message) = env.refused(&wheel);
    assert!(matches!(
        error,
        InstallError::Invalid(InvalidWheel::Symlink { .. })
    ));
    assert_names(&message, &wheel, "demo/passwd");
    assert!(message.contains("is a symbolic link"), "{message}");
}

#[test]
fn err_symlinked_directory_then_a_file_through_it() {
    let env = environment();
    let outside = env.root.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    let mut link = RawMember::file("demo/escape", outside.to_str().unwrap().as_bytes());
    link.mode = 0o120_777;
    let wheel = raw_wheel(
        &env.wheels,
        vec![link, RawMember::file("demo/escape/planted.py", b"x = 1\n")],
        None,
    );
    let (_, message) = env.refused(&wheel);
    assert_names(&message, &wheel, "demo/escape");
    assert!(message.contains("is a symbolic link"), "{message}");
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
}

#[test]
fn err_file_is_also_a_directory() {
    let env = environment();
    let wheel = raw_wheel(
        &env.wheels,
        vec![
            RawMember::file("demo/escape", b"not a directory"),
            RawMember::file("demo/escape/planted.py", b"x = 1\n"),
        ],
        None,
    );
    let (_, message) = env.refused(&wheel);
    assert_names(&message, &wheel, "demo/escape");
    assert!(
        message.contains("is a file, but `demo/escape/planted.py` is inside it"),
        "{message}"
    );
}

#[test]
fn err_local_header_name_disagrees() {
    let env = environment();
    let mut member = RawMember::file("demo/__init__.py", b"x = 1\n");
    member.local_name = Some("demo/__init__.pz".to_string());
    let wheel = raw_wheel(&env.wheels, vec![member], None);
    let (error, message) = env.refused(&wheel);
    assert!(matches!(
        error,
        InstallError::Invalid(InvalidWheel::HeaderMismatch { .. })
    ));
    assert_names(&message, &wheel, "demo/__init__.py");
    assert!(
        message.contains("disagrees with the central directory (local name `demo/__init__.pz`)"),
        "{message}"
    );
}

#[test]
fn err_local_header_crc_disagrees() {
    let env = environment();
    let mut member = RawMember::file("demo/__init__.py", b"x = 1\n");
    member.local_crc32 = Some(0x1234_5678);
    let wheel = raw_wheel(&env.wheels, vec![member], None);
    let (_, message) = env.refused(&wheel);
    assert_names(&message, &wheel, "demo/__init__.py");
    assert!(
        message.contains("(CRC-32 0x12345678, central 0x"),
        "{message}"
    );
}

#[test]
fn err_traversal_and_absolute_paths() {
    for member in ["../evil.py", "demo/../../evil.py", "/tmp/evil.py"] {
        let env = environment();
        let wheel = raw_wheel(&env.wheels, vec![RawMember::file(member, b"x = 1\n")], None);
        let (error, message) = env.refused(&wheel);
        assert!(
            matches!(error, InstallError::UnsafePath { .. }),
            "{member}: {error:?}"
        );
        assert_names(&message, &wheel, member);
    }
}

#[test]
fn err_metadata_name_differs_from_filename() {
    let env = environment();
    let wheel = WheelBuilder::new(DIST_INFO, "other", "1.0", true)
        .file("demo/__init__.py", b"")
        .write(&env.wheels.join("demo-1.0-py3-none-any.whl"));
    let (error, message) = env.refused(&wheel);
    assert!(matches!(
        error,
        InstallError::Wheel(WheelError::InconsistentMetadata { ref inconsistency, .. })
            if inconsistency.field == "name"
    ));
    assert_names(&message, &wheel, "demo-1.0.dist-info/METADATA");
    assert!(
        message.contains("has inconsistent name: the file name says `demo`"),
        "{message}"
    );
}

#[test]
fn err_metadata_version_differs_from_filename() {
    let env = environment();
    let wheel = WheelBuilder::new(DIST_INFO, "demo", "1.1", true)
        .file("demo/__init__.py", b"")
        .write(&env.wheels.join("demo-1.0-py3-none-any.whl"));
    let (_, message) = env.refused(&wheel);
    assert_names(&message, &wheel, "demo-1.0.dist-info/METADATA");
    assert!(
        message.contains("has inconsistent version: the file name says `1.0`"),
        "{message}"
    );
}

#[test]
fn metadata_compared_as_normalized_name_and_version() {
    let env = environment();
    let wheel = WheelBuilder::new("Demo_Pkg-1.0.0.dist-info", "demo.pkg", "1.0.0", true)
        .file("demo_pkg/__init__.py", b"")
        .write(&env.wheels.join("Demo_Pkg-1.0-py3-none-any.whl"));
    env.installs(&wheel, &InstallOptions::default());
}

/// A re-tagged site wheel with stale `METADATA` (rewritten `Version:`) and a patched `.so`:
/// accepted, with a note naming both; with or without the cache.
#[test]
fn site_retagged_wheel_accepts_stale_dist_info_and_shared_libraries() {
    for cache in [false, true] {
        let env = environment();
        let wheel = tampered_wheel(
            &env.wheels,
            "demo-1.0+computecanada-cp311-cp311-linux_x86_64.whl",
            "1.0+computecanada",
            "demo/_speed.cpython-311-x86_64-linux-gnu.so",
        );
        let options = InstallOptions {
            cache: cache.then(|| env.cache()),
            ..InstallOptions::default()
        };
        for _ in 0..2 {
            // The second time from the cache entry (a hit): the note is kept.
            let output = env.installs(&wheel, &options);
            assert_eq!(output.notes.len(), 1, "{:?}", output.notes);
            assert!(
                output.notes[0].contains("`demo/_speed.cpython-311-x86_64-linux-gnu.so`"),
                "{}",
                output.notes[0]
            );
            assert!(output.notes[0].contains("re-tagged by the site"));
        }
        // The installed RECORD has the real hash of the patched file.
        let record = std::fs::read_to_string(
            env.layout
                .platlib
                .join("demo-1.0+computecanada.dist-info/RECORD"),
        )
        .unwrap();
        assert!(record.contains("demo/_speed.cpython-311-x86_64-linux-gnu.so,sha256="));
    }
}

/// The same wheel with a `.py` file changed is refused, the site label notwithstanding;
/// a stale `.so` in a wheel without the label is refused too.
#[test]
fn err_site_rule_covers_only_what_the_site_rewrites() {
    let env = environment();
    let wheel = tampered_wheel(
        &env.wheels,
        "demo-1.0+computecanada-cp311-cp311-linux_x86_64.whl",
        "1.0+computecanada",
        "demo/core.py",
    );
    let (_, message) = env.refused(&wheel);
    assert_names(&message, &wheel, "demo/core.py");

    let env = environment();
    let wheel = tampered_wheel(
        &env.wheels,
        "demo-1.0-cp311-cp311-linux_x86_64.whl",
        "1.0",
        "demo/_speed.cpython-311-x86_64-linux-gnu.so",
    );
    let (_, message) = env.refused(&wheel);
    assert_names(
        &message,
        &wheel,
        "demo/_speed.cpython-311-x86_64-linux-gnu.so",
    );

    // Another site label: `+computecanada` is just a local version there.
    let env = environment();
    let wheel = tampered_wheel(
        &env.wheels,
        "demo-1.0+computecanada-cp311-cp311-linux_x86_64.whl",
        "1.0+computecanada",
        "demo-1.0+computecanada.dist-info/",
    );
    let options = InstallOptions {
        verification: Verification {
            site_label: Some("othersite".to_string()),
            ..Verification::default()
        },
        ..InstallOptions::default()
    };
    let error = install_wheels(&[WheelInstall::new(&wheel, true)], &env.layout, &options)
        .unwrap_err()
        .to_string();
    assert_names(&error, &wheel, "demo-1.0+computecanada.dist-info/METADATA");
}

/// `--no-verify-record`: a tampered wheel installs; a cache entry made so is not trusted by
/// a later install that verifies (it is unpacked and checked again, and refused).
#[test]
fn no_verify_record_installs_and_its_cache_entry_is_checked_again() {
    let env = environment();
    let wheel = tampered_wheel(
        &env.wheels,
        "demo-1.0-cp311-cp311-linux_x86_64.whl",
        "1.0",
        "demo/core.py",
    );
    let unverified = InstallOptions {
        cache: Some(env.cache()),
        verification: Verification {
            record: false,
            ..Verification::default()
        },
        ..InstallOptions::default()
    };
    env.installs(&wheel, &unverified);
    let other = environment();
    let verified = InstallOptions {
        cache: Some(env.cache()),
        ..InstallOptions::default()
    };
    let error =
        install_wheels(&[WheelInstall::new(&wheel, true)], &other.layout, &verified).unwrap_err();
    assert_names(&error.to_string(), &wheel, "demo/core.py");
}

fn fixture_wheel(name: &str) -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.cache/sci-wheelhouse/wh");
    let path = ["generic", "gentoo2023/generic", "gentoo2023/x86-64-v3"]
        .iter()
        .map(|layer| root.join(layer).join(name))
        .find(|path| path.is_file());
    if path.is_none() {
        eprintln!(
            "skipped: {name} is not in .cache/sci-wheelhouse (scripts/build-sci-wheelhouse.py)"
        );
    }
    path
}

/// The real re-tagged `six` of the fixture (stale `RECORD` row for its rewritten `METADATA`)
/// installs with a note; the same wheel with `six.py` changed is refused.
#[test]
fn site_fixture_wheel_installs_and_its_tampered_copy_is_refused() {
    let name = "six-1.16.0+computecanada-py2.py3-none-any.whl";
    let Some(fixture) = fixture_wheel(name) else {
        return;
    };
    let env = environment();
    let output = env.installs(&fixture, &InstallOptions::default());
    assert_eq!(output.installed[0].version, "1.16.0+computecanada");
    assert_eq!(output.notes.len(), 1);
    assert!(
        output.notes[0].contains("`six-1.16.0+computecanada.dist-info/METADATA`"),
        "{}",
        output.notes[0]
    );

    // Copy the wheel, changing `six.py` (same member order and names).
    let env = environment();
    let tampered = env.wheels.join(name);
    let mut source = zip::ZipArchive::new(std::fs::File::open(&fixture).unwrap()).unwrap();
    let mut writer = zip::ZipWriter::new(std::fs::File::create(&tampered).unwrap());
    for index in 0..source.len() {
        let mut member = source.by_index(index).unwrap();
        let name = member.name().unwrap().into_owned();
        let mut content = Vec::new();
        member.read_to_end(&mut content).unwrap();
        if name == "six.py" {
            content.extend_from_slice(b"\nimport os  # planted\n");
        }
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        writer.start_file(name, options).unwrap();
        writer.write_all(&content).unwrap();
    }
    writer.finish().unwrap();
    let (_, message) = env.refused(&tampered);
    assert_names(&message, &tampered, "six.py");
}

/// A wheel of `demo` that also carries another project's `.dist-info` (listed in its RECORD,
/// every hash right): pip refuses it; so does wharf, naming both directories, with and
/// without the cache, changing nothing.
#[test]
fn err_two_dist_info_directories() {
    let env = environment();
    let wheel = raw_wheel(
        &env.wheels,
        vec![
            RawMember::file("demo/__init__.py", b"x = 1\n"),
            RawMember::file(
                "other-2.0.dist-info/METADATA",
                b"Metadata-Version: 2.1\nName: other\nVersion: 2.0\n",
            ),
        ],
        None,
    );
    let (error, message) = env.refused(&wheel);
    assert!(
        matches!(
            &error,
            InstallError::Invalid(InvalidWheel::MultipleDistInfo { found, .. })
                if found == &["demo-1.0.dist-info", "other-2.0.dist-info"]
        ),
        "{error:?}"
    );
    assert!(message.contains("demo-1.0-py3-none-any.whl"), "{message}");
    assert!(
        message.contains(
            "it has 2 `.dist-info` directories (`demo-1.0.dist-info`, `other-2.0.dist-info`)"
        ),
        "{message}"
    );
}
