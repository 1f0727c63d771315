//! Installs wheels into an existing venv and prints the time taken; for benchmarks.
//!
//! Usage: `install_wheels VENV MAJOR.MINOR THREADS [--compile] [--cache DIR] WHEEL...`, or
//! `install_wheels --metadata WHEEL...` to time `read_metadata`.
#![allow(clippy::print_stderr)]

use std::path::PathBuf;
use std::time::Instant;

use wharf_install::{InstallOptions, Layout, WheelCache, WheelInstall, install_wheels};

fn main() {
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().is_some_and(|arg| arg == "--metadata") {
        let wheels: Vec<PathBuf> = args.skip(1).map(PathBuf::from).collect();
        let started = Instant::now();
        for wheel in &wheels {
            if let Err(error) = wharf_metadata::read_metadata(wheel) {
                eprintln!("error: {error}");
            }
        }
        eprintln!(
            "read the METADATA of {} wheels in {:?}",
            wheels.len(),
            started.elapsed()
        );
        return;
    }
    let usage = "usage: install_wheels VENV MAJOR.MINOR THREADS [--compile] [--cache DIR] WHEEL...";
    let venv = PathBuf::from(args.next().expect(usage));
    let version = args.next().expect(usage);
    let (major, minor) = version.split_once('.').expect(usage);
    let threads: usize = args.next().expect(usage).parse().expect(usage);
    let mut compile = false;
    let mut cache = None;
    let mut wheels = Vec::new();
    while let Some(arg) = args.next() {
        if arg == "--compile" {
            compile = true;
        } else if arg == "--cache" {
            cache = Some(WheelCache::new(args.next().expect(usage)));
        } else {
            wheels.push(WheelInstall::new(arg, true));
        }
    }
    let layout = Layout::for_venv(&venv, (major.parse().unwrap(), minor.parse().unwrap()));
    let options = InstallOptions {
        threads,
        compile,
        cache,
        ..InstallOptions::default()
    };
    let started = Instant::now();
    match install_wheels(&wheels, &layout, &options) {
        Ok(output) => eprintln!(
            "installed {} wheels in {:?} ({:?})",
            output.installed.len(),
            started.elapsed(),
            output.cache
        ),
        Err(error) => {
            eprintln!("error: {error}");
            std::process::exit(1);
        }
    }
}
