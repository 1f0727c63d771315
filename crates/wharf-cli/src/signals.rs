//! SIGINT and SIGTERM during a change to an environment: roll back, then exit 130 / 143.
//!
//! Handlers are installed once, the first time a command is about to change an
//! environment. Outside a [`Transaction`] guard a signal has its default action (the
//! process ends at once: nothing is being changed). Inside, it raises the installer's
//! cancel flag ([`wharf_install::InstallOptions::cancel`]): the transaction stops at the
//! next file, rolls back, and the command exits `128 + signal`. SIGKILL cannot be caught:
//! the next wharf command on the environment rolls the transaction back instead.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use signal_hook::consts::{SIGINT, SIGTERM};

struct Flags {
    /// Raised by SIGINT/SIGTERM inside a transaction.
    cancel: Arc<AtomicBool>,
    /// The last such signal's number.
    signal: Arc<AtomicUsize>,
    /// `true` outside a transaction: the signal's default action runs.
    outside: Arc<AtomicBool>,
}

fn flags() -> &'static Flags {
    static FLAGS: OnceLock<Flags> = OnceLock::new();
    FLAGS.get_or_init(|| {
        let flags = Flags {
            cancel: Arc::new(AtomicBool::new(false)),
            signal: Arc::new(AtomicUsize::new(0)),
            outside: Arc::new(AtomicBool::new(true)),
        };
        for signal in [SIGINT, SIGTERM] {
            // Registration only fails for forbidden signals (SIGKILL, …): not these.
            let _ = signal_hook::flag::register_conditional_default(signal, flags.outside.clone());
            let _ = signal_hook::flag::register_usize(
                signal,
                flags.signal.clone(),
                usize::try_from(signal).unwrap_or(0),
            );
            let _ = signal_hook::flag::register(signal, flags.cancel.clone());
        }
        flags
    })
}

/// While alive, SIGINT/SIGTERM cancel the transaction instead of ending the process.
pub struct Transaction(());

impl Transaction {
    /// Starts catching SIGINT/SIGTERM (installing the handlers on first use).
    pub fn begin() -> Self {
        let flags = flags();
        flags.cancel.store(false, Ordering::SeqCst);
        flags.signal.store(0, Ordering::SeqCst);
        flags.outside.store(false, Ordering::SeqCst);
        Self(())
    }

    /// The flag to pass as [`wharf_install::InstallOptions::cancel`].
    pub fn cancel(&self) -> Arc<AtomicBool> {
        flags().cancel.clone()
    }

    /// The signal that cancelled the transaction, if one did: `2` (SIGINT), `15` (SIGTERM).
    pub fn signal(&self) -> Option<u8> {
        match flags().signal.load(Ordering::SeqCst) {
            0 => None,
            signal => u8::try_from(signal).ok(),
        }
    }

    /// The name of [`Transaction::signal`], ex) `SIGINT`.
    pub fn signal_name(signal: u8) -> &'static str {
        signal_hook::low_level::signal_name(i32::from(signal)).unwrap_or("a signal")
    }
}

impl Drop for Transaction {
    fn drop(&mut self) {
        flags().outside.store(true, Ordering::SeqCst);
    }
}
