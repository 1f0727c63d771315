//! Progress display on long work: shown only when stderr is a terminal.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// A spinner with `message`, hidden when stderr is not a terminal or `quiet` is set.
pub fn spinner(message: String, quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(message);
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

/// The install progress bar: wheels staged out of all, with their bytes, then the
/// compile and commit steps; hidden when stderr is not a terminal or `-q` is given. Waiting
/// for the environment lock, or breaking a stale one, is said on a line of its own.
pub fn install_bar(printer: crate::Printer) -> (ProgressBar, wharf_install::ProgressSink) {
    use wharf_install::{InstallEvent, LockEvent};
    let quiet = printer.is_quiet();
    let bar = if quiet || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {msg:12} [{bar:30}] {binary_bytes}/{binary_total_bytes} {elapsed}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.enable_steady_tick(Duration::from_millis(100));
        bar
    };
    let staged = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let total = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let sink_bar = bar.clone();
    let sink = wharf_install::ProgressSink(std::sync::Arc::new(move |event| {
        match event {
        InstallEvent::Started { wheels, bytes } => {
            total.store(wheels, std::sync::atomic::Ordering::Relaxed);
            sink_bar.set_length(bytes);
            sink_bar.set_message(format!("0/{wheels} wheels"));
        }
        InstallEvent::WheelStaged { bytes } => {
            let done = staged.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            let wheels = total.load(std::sync::atomic::Ordering::Relaxed);
            sink_bar.inc(bytes);
            sink_bar.set_message(format!("{done}/{wheels} wheels"));
        }
        InstallEvent::Compiling => sink_bar.set_message("compiling"),
        InstallEvent::Committing => sink_bar.set_message("committing"),
        InstallEvent::Lock(LockEvent::Waiting(holder)) => sink_bar.suspend(|| {
            printer.info(format_args!(
                "Waiting for the environment lock held by {holder} (another wharf install or uninstall)"
            ));
        }),
        InstallEvent::Lock(LockEvent::Broken(holder)) => sink_bar.suspend(|| {
            printer.warn(format_args!(
                "removed the stale environment lock of {holder} (it died or stopped responding)"
            ));
        }),
    }
    }));
    (bar, sink)
}
