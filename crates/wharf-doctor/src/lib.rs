//! Diagnostics: the site's troubleshooting catalogue as code.
//!
//! - [`doctor`](mod@doctor): checks a virtual environment and the shell it runs in, one [`Finding`] per
//!   problem (what, evidence, the fix as a command): a vanished or changed base interpreter,
//!   files listed in `RECORD` that are gone or changed (the scratch purge), a Python module
//!   loaded after activation, `PATH`/`PYTHONPATH` changed by hand, a module's or `~/.local`'s
//!   packages shadowing the environment's, extensions built against numpy 1.x under numpy 2,
//!   packages for another Python, broken dependencies, manylinux wheels against the site's
//!   policy.
//! - [`shell`]: outside any environment, the shell around `python3` on `PATH`: which Python
//!   module is loaded (Lmod's `LOADEDMODULES`, `_LMFILES_`), `PYTHONPATH` set by hand or
//!   shadowing, `~/.local` user packages, numpy 1.x/2.x between modules and `--user` installs.
//! - [`wheelhouse`]: what the site's wheelhouse offers an interpreter; every fix of
//!   [`doctor`](mod@doctor), [`shell`] and [`explain`] that installs something is checked against it.
//! - [`files`]: `RECORD` verification (`wharf check --files`), parallel.
//! - [`explain`]: an error message or traceback mapped to the catalogue entry and this
//!   environment's fix (`wharf explain`); [`import_names`] answers "which distribution
//!   provides `import X`" from the wheelhouse.
//!
//! Traps: a re-tagged site wheel installed by pip carries stale `RECORD` hashes (see
//! [`files`]); a re-tagged binary wheel keeps manylinux `Tag:` lines in `WHEEL` (only its file
//! name says `linux_x86_64`), so "installed from a manylinux wheel" also needs a version
//! without the site's `computecanada` label; a venv without `--system-site-packages` never
//! sees `~/.local`; one with it sees `~/.local` after its own site-packages but before the
//! base Python's (so `--user` packages fill in what the venv lacks, silently).

#![deny(missing_docs)]

pub mod doctor;
pub mod explain;
pub mod files;
pub mod import_names;
pub mod numpy_abi;
pub mod shell;
pub mod wheelhouse;

use serde::Serialize;

pub use doctor::{DoctorInput, DoctorReport, doctor};
pub use files::{FileDamage, FileProblem, FilesReport, VerifyMode, verify_files};

/// One problem found: what, why, the evidence, and the fix as a command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The catalogue entry, stable for tools. Ex) `base-interpreter-missing`
    pub check: &'static str,
    /// What is wrong, one line. Ex) "the base interpreter of `/home/me/env` is gone"
    pub what: String,
    /// Why it happens, one line.
    pub cause: String,
    /// The facts that show it (paths, versions), one per line.
    pub evidence: Vec<String>,
    /// The fix: a command to run, or a sentence with one.
    pub fix: Option<String>,
}

impl Finding {
    fn new(check: &'static str, what: impl Into<String>, cause: impl Into<String>) -> Self {
        Self {
            check,
            what: what.into(),
            cause: cause.into(),
            evidence: Vec::new(),
            fix: None,
        }
    }

    fn evidence(mut self, line: impl Into<String>) -> Self {
        self.evidence.push(line.into());
        self
    }

    fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }
}

/// Quotes a path or argument for a shell command line when needed.
pub(crate) fn shell_quote(text: &str) -> String {
    if !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+=:,@%".contains(&b))
    {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}
