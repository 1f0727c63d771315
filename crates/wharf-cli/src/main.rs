//! The `wharf` binary (also installed as `avail_wheels`): all logic lives in the library.

/// mimalloc: listing a 30 000-wheel wheelhouse makes ~10 small allocations per wheel; the
/// system allocator spent a quarter of `wharf avail --all` growing and zeroing its heap.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    wharf_cli::main()
}
