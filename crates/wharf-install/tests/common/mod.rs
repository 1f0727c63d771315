//! Test helpers: tiny synthetic wheels and snapshots of directory trees.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// A wheel file built member by member on the shared builder (`wharf-test-support`), with
/// this crate's fixture `METADATA` (a `Requires-Dist`, an extra, a body with a decoy header)
/// and a manylinux `WHEEL` tag; no `RECORD` unless the test adds one (the installer writes
/// its own).
pub struct WheelBuilder(wharf_test_support::WheelBuilder);

impl WheelBuilder {
    /// A wheel with `METADATA` and `WHEEL` for `name` `version` in `{dist_info}`.
    pub fn new(dist_info: &str, name: &str, version: &str, purelib: bool) -> Self {
        Self(wharf_test_support::WheelBuilder::bare(dist_info))
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
/// every scheme, a `#!python` script, and a stale `RECORD` with wrong hashes.
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
        .file(
            &format!("{dist_info}/RECORD"),
            b"demo/__init__.py,sha256=stale,1\n",
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
