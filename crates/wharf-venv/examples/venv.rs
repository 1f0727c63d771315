//! What `wharf venv` does, for timing until the CLI wires it: find the interpreter, probe it
//! (cached), create the venv.
//!
//! Usage: `cargo run --release -p wharf-venv --example venv -- [--python REQUEST] [--clear] DIR`

use std::path::PathBuf;
use std::process::ExitCode;

use wharf_python::{PythonEnv, PythonRequest, find, probe};
use wharf_venv::{VenvOptions, create_venv};

fn main() -> ExitCode {
    let mut request = "3".to_owned();
    let mut options = VenvOptions::default();
    let mut dir = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--python" => request = args.next().unwrap_or_default(),
            "--clear" => options.clear = true,
            "--system-site-packages" => options.system_site_packages = true,
            "--copies" => options.symlinks = false,
            _ => dir = Some(PathBuf::from(arg)),
        }
    }
    let Some(dir) = dir else {
        eprintln!("usage: venv [--python REQUEST] [--clear] DIR");
        return ExitCode::from(2);
    };
    let env = PythonEnv::from_env(&wharf_env::Env::from_process());
    let result = PythonRequest::parse(&request)
        .and_then(|request| find(&request, &env))
        .map_err(|error| (error.to_string(), error.hint()))
        .and_then(|found| {
            probe(&found.executable, &env).map_err(|error| (error.to_string(), error.hint()))
        })
        .and_then(|info| {
            create_venv(&dir, &info, &options).map_err(|error| (error.to_string(), error.hint()))
        });
    match result {
        Ok(layout) => {
            eprintln!("created {}", layout.root.display());
            ExitCode::SUCCESS
        }
        Err((error, hint)) => {
            eprintln!("error: {error}");
            if let Some(hint) = hint {
                eprintln!("\nhint: {hint}");
            }
            ExitCode::from(1)
        }
    }
}
