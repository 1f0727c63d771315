//! The `wharf` binary (also installed as `avail_wheels`): all logic lives in the library.

fn main() -> std::process::ExitCode {
    wharf_cli::main()
}
