//! One module per command: `commands::<verb>(args, settings…, printer) -> Result<ExitStatus, Error>`.

use std::io::Write;

use crate::ExitStatus;

pub mod avail;
pub mod cache;
pub mod install;
pub mod list;
pub mod lock;
pub mod python;
pub mod serve;
pub mod sync;
pub mod uninstall;
pub mod venv;

/// Writes data to stdout; a closed pipe (`| head`) is a quiet success.
pub fn write_stdout(bytes: &[u8]) -> ExitStatus {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => ExitStatus::Success,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitStatus::Success,
        Err(_) => ExitStatus::Error,
    }
}
