//! Test helpers: tiny synthetic wheels and snapshots of directory trees.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// A wheel file built member by member on the shared builder (`wharf-test-support`), with
/// this crate's fixture `METADATA` (a `Requires-Dist`, an extra, a body with a decoy header)
/// and a manylinux `WHEEL` tag; a correct `RECORD` (the installer verifies it, then writes its
/// own) unless the test asks for [`RecordMode::Missing`] and adds its own.
pub struct WheelBuilder(wharf_test_support::WheelBuilder);

pub use wharf_test_support::RecordMode;

impl WheelBuilder {
    /// A wheel with `METADATA` and `WHEEL` for `name` `version` in `{dist_info}`.
    pub fn new(dist_info: &str, name: &str, version: &str, purelib: bool) -> Self {
        Self(wharf_test_support::WheelBuilder::bare(dist_info).record(RecordMode::Correct))
            .file(
                &format!("{dist_info}/METADATA"),
                format!(
                    "Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nRequires-Python: >=3.8\n\
                     Requires-Dist: six (>=1.0)\nProvides-Extra: test\n\nLong description\nName: not-this\n"
                )
                .as_bytes(),
            )
            .file(
                &format!("{dist_info}/WHEEL"),
                format!(
                    "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: {purelib}\n\
                     Tag: cp39-cp39-manylinux_2_17_x86_64\n"
                )
                .as_bytes(),
            )
    }

    /// Adds a regular file (mode 0o644, deflated).
    pub fn file(self, name: &str, content: &[u8]) -> Self {
        self.member(name, content, 0o644, true)
    }

    /// Adds a member with a mode; `deflate: false` stores it uncompressed.
    pub fn member(self, name: &str, content: &[u8], mode: u32, deflate: bool) -> Self {
        Self(self.0.member(name, content, mode, deflate))
    }

    /// How to write `RECORD`.
    pub fn record(self, mode: RecordMode) -> Self {
        Self(self.0.record(mode))
    }

    /// Writes the wheel to `path`.
    pub fn write(&self, path: &Path) -> PathBuf {
        self.0.write(path)
    }
}

/// One entry of a tree snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A directory and its mode.
    Directory(u32),
    /// A file, its mode and content.
    File(u32, Vec<u8>),
    /// A symlink and its target.
    Symlink(PathBuf),
}

/// Every path below `root` (relative), with kind, mode and content.
pub fn snapshot(root: &Path) -> BTreeMap<PathBuf, Node> {
    let mut nodes = BTreeMap::new();
    walk(root, root, &mut nodes);
    nodes
}

fn walk(root: &Path, directory: &Path, nodes: &mut BTreeMap<PathBuf, Node>) {
    for entry in std::fs::read_dir(directory).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        let relative = path.strip_prefix(root).unwrap().to_path_buf();
        let metadata = std::fs::symlink_metadata(&path).unwrap();
        let mode = metadata.permissions().mode();
        if metadata.file_type().is_symlink() {
            nodes.insert(relative, Node::Symlink(std::fs::read_link(&path).unwrap()));
        } else if metadata.is_dir() {
            nodes.insert(relative, Node::Directory(mode));
            walk(root, &path, nodes);
        } else {
            nodes.insert(relative, Node::File(mode, std::fs::read(&path).unwrap()));
        }
    }
}

/// Paths of a snapshot, for readable assertion failures.
pub fn paths(nodes: &BTreeMap<PathBuf, Node>) -> Vec<String> {
    nodes
        .keys()
        .map(|path| path.to_string_lossy().into_owned())
        .collect()
}

/// `demo` version `version`: a package, a console and a gui entry point, `.data` files of
/// every scheme, a `#!python` script, and a correct `RECORD`.
pub fn demo_wheel(directory: &Path, version: &str) -> PathBuf {
    let dist_info = format!("demo-{version}.dist-info");
    WheelBuilder::new(&dist_info, "Demo", version, true)
        .file(
            "demo/__init__.py",
            format!("VERSION = '{version}'\n").as_bytes(),
        )
        .file("demo/cli.py", b"def main():\n    return 0\n")
        .file(
            &format!("demo/only_in_{}.py", version.replace('.', "_")),
            b"",
        )
        .member("demo/bin/helper.sh", b"#!/bin/sh\necho hi\n", 0o755, true)
        .file(
            &format!("{dist_info}/entry_points.txt"),
            b"[console_scripts]\ndemo = demo.cli:main\nDemo-Upper = demo.cli:main [extra]\n\
              [gui_scripts]\ndemo-gui = demo.cli:main\n",
        )
        .member(
            &format!("demo-{version}.data/scripts/tool"),
            b"#!python\nprint('tool')\n",
            0o755,
            true,
        )
        .file(
            &format!("demo-{version}.data/scripts/demo"),
            b"setuptools wrapper, skipped",
        )
        .file(
            &format!("demo-{version}.data/data/share/demo/readme.txt"),
            b"data\n",
        )
        .file(
            &format!("demo-{version}.data/headers/demo.h"),
            b"int demo;\n",
        )
        .file(
            &format!("demo-{version}.data/platlib/demo_native.py"),
            b"x = 1\n",
        )
        .write(&directory.join(format!("demo-{version}-py3-none-any.whl")))
}

/// One member of a zip written byte by byte by [`raw_zip`] (stored, no compression), with
/// the faults a real zip writer refuses to make.
#[derive(Debug, Clone)]
pub struct RawMember {
    pub name: String,
    pub content: Vec<u8>,
    /// The Unix mode (`0o100644`, `0o120777` for a symlink).
    pub mode: u32,
    /// A different name in the local header than in the central directory.
    pub local_name: Option<String>,
    /// A different CRC-32 in the local header.
    pub local_crc32: Option<u32>,
}

impl RawMember {
    pub fn file(name: &str, content: &[u8]) -> Self {
        Self {
            name: name.to_string(),
            content: content.to_vec(),
            mode: 0o100_644,
            local_name: None,
            local_crc32: None,
        }
    }
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A zip archive of stored members, byte by byte (duplicates allowed).
pub fn raw_zip(members: &[RawMember]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for member in members {
        let offset = u32::try_from(out.len()).unwrap();
        let crc = crc32(&member.content);
        let size = u32::try_from(member.content.len()).unwrap();
        let local_name = member.local_name.as_deref().unwrap_or(&member.name);
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&20u16.to_le_bytes()); // version needed
        out.extend_from_slice(&0u16.to_le_bytes()); // flags
        out.extend_from_slice(&0u16.to_le_bytes()); // stored
        out.extend_from_slice(&0u32.to_le_bytes()); // time, date
        out.extend_from_slice(&member.local_crc32.unwrap_or(crc).to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&u16::try_from(local_name.len()).unwrap().to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(local_name.as_bytes());
        out.extend_from_slice(&member.content);

        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&0x0314u16.to_le_bytes()); // made by: Unix
        central.extend_from_slice(&20u16.to_le_bytes());
        central.extend_from_slice(&0u16.to_le_bytes());
        central.extend_from_slice(&0u16.to_le_bytes());
        central.extend_from_slice(&0u32.to_le_bytes());
        central.extend_from_slice(&crc.to_le_bytes());
        central.extend_from_slice(&size.to_le_bytes());
        central.extend_from_slice(&size.to_le_bytes());
        central.extend_from_slice(&u16::try_from(member.name.len()).unwrap().to_le_bytes());
        central.extend_from_slice(&[0; 8]); // extra, comment, disk, internal attributes
        central.extend_from_slice(&(member.mode << 16).to_le_bytes());
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(member.name.as_bytes());
    }
    let start = u32::try_from(out.len()).unwrap();
    let count = u16::try_from(members.len()).unwrap();
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&u32::try_from(central.len()).unwrap().to_le_bytes());
    out.extend_from_slice(&start.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// `RECORD` content listing `members` with their real hashes and sizes, then itself.
pub fn record_of(dist_info: &str, members: &[RawMember]) -> Vec<u8> {
    use sha2::Digest;
    let mut record = String::new();
    for member in members {
        let digest = sha2::Sha256::digest(&member.content);
        record.push_str(&format!(
            "{},sha256={},{}\n",
            member.name,
            data_encoding::BASE64URL_NOPAD.encode(&digest),
            member.content.len()
        ));
    }
    record.push_str(&format!("{dist_info}/RECORD,,\n"));
    record.into_bytes()
}
