//! The floor of installing wheels (issue 21): how long the two halves of unpacking take with
//! nothing else around them, on this machine and filesystem.
//!
//! ```sh
//! cargo run --release -p wharf-install --example floor -- OUT_DIR WHEEL...
//! ```
//!
//! Reads every wheel into memory first (not timed), then times, in parallel on rayon's pool
//! (one thread per CPU, or `RAYON_NUM_THREADS`):
//! 1. `inflate`: every member decompressed into memory with libdeflate (the installer's
//!    inflater), nothing hashed or written;
//! 2. `create`: the same files (the wheels' member paths, under `OUT_DIR/<wheel>/`) created on
//!    `OUT_DIR`'s filesystem from memory, one `write` each, their directories made first.
//!
//! Prints `inflate_ms`, `create_ms`, the bytes and the files, tab-separated on one line.
//! `OUT_DIR` must not exist (it is created; the caller removes it).

use std::io::{Cursor, Read as _, Write as _};
use std::path::PathBuf;
use std::time::Instant;

use rayon::prelude::*;

/// One member: its path in the wheel and its compressed bytes (stored ones as they are).
struct Member {
    path: String,
    deflated: bool,
    size: usize,
    raw: Vec<u8>,
}

fn main() {
    let mut args = std::env::args_os().skip(1);
    let out = PathBuf::from(args.next().expect("usage: floor OUT_DIR WHEEL..."));
    let wheels: Vec<PathBuf> = args.map(PathBuf::from).collect();
    assert!(!out.exists(), "{} exists", out.display());
    let members: Vec<(usize, Member)> = wheels
        .iter()
        .enumerate()
        .flat_map(|(number, wheel)| {
            let bytes = std::fs::read(wheel).expect("read the wheel");
            let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip");
            (0..archive.len())
                .filter_map(|index| {
                    let mut raw = archive.by_index_raw(index).expect("a member");
                    if raw.is_dir() {
                        return None;
                    }
                    let member = Member {
                        path: raw.name().expect("a member name").to_string(),
                        deflated: raw.compression() == zip::CompressionMethod::Deflated,
                        size: usize::try_from(raw.size()).expect("size"),
                        raw: {
                            let mut data = Vec::new();
                            raw.read_to_end(&mut data).expect("member data");
                            data
                        },
                    };
                    Some((number, member))
                })
                .collect::<Vec<_>>()
        })
        .collect();

    let started = Instant::now();
    let contents: Vec<Vec<u8>> = members
        .par_iter()
        .map_init(
            libdeflater::Decompressor::new,
            |decompressor, (_, member)| {
                if !member.deflated {
                    return member.raw.clone();
                }
                let mut content = vec![0u8; member.size];
                let written = decompressor
                    .deflate_decompress(&member.raw, &mut content)
                    .expect("valid deflate");
                assert_eq!(written, member.size);
                content
            },
        )
        .collect();
    let inflate = started.elapsed();

    let path_of = |number: usize, member: &Member| out.join(number.to_string()).join(&member.path);
    let started = Instant::now();
    let mut directories: Vec<PathBuf> = members
        .iter()
        .filter_map(|(number, member)| path_of(*number, member).parent().map(PathBuf::from))
        .collect();
    directories.sort();
    directories.dedup();
    for directory in &directories {
        std::fs::create_dir_all(directory).expect("create a directory");
    }
    members
        .par_iter()
        .zip(contents.par_iter())
        .for_each(|((number, member), content)| {
            let mut file =
                std::fs::File::create_new(path_of(*number, member)).expect("create a file");
            file.write_all(content).expect("write a file");
        });
    let create = started.elapsed();
    let bytes: usize = contents.iter().map(Vec::len).sum();
    println!(
        "inflate_ms\t{:.1}\tcreate_ms\t{:.1}\tbytes\t{bytes}\tfiles\t{}",
        inflate.as_secs_f64() * 1000.0,
        create.as_secs_f64() * 1000.0,
        members.len()
    );
}
