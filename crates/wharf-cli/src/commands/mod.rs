//! One module per command: `commands::<verb>(args, settings…, printer) -> Result<ExitStatus, Error>`.

use std::io::Write;

use crate::ExitStatus;

pub mod avail;
pub mod cache;
pub mod doctor;
pub mod download;
pub mod explain;
pub mod install;
pub mod list;
pub mod lock;
pub mod outdated;
pub mod per_node;
pub mod pip;
pub mod pip_habits;
pub mod pip_only;
pub mod python;
pub mod serve;
pub mod show;
pub mod sync;
pub mod tool;
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

/// One line per interrupted transaction that opening the environment finished, and per
/// stale lock it broke.
pub fn report_recovery(
    environment: &wharf_environment::PythonEnvironment,
    printer: crate::Printer,
) {
    for holder in &environment.broken_locks {
        printer.warn(format_args!(
            "removed the stale lock of {holder} on `{}`",
            environment.root.display()
        ));
    }
    report_recovered(&environment.recovered, &environment.root, printer);
}

/// `Recovered an interrupted install in ENV: …`, one line per transaction.
pub fn report_recovered(
    recovered: &[wharf_install::RecoveredTransaction],
    root: &std::path::Path,
    printer: crate::Printer,
) {
    for transaction in recovered {
        let what = match (transaction.committed, transaction.changes) {
            (true, changes) => {
                format!(
                    "it had committed; finished it ({} kept)",
                    crate::printer::plural(changes, "change")
                )
            }
            (false, 0) => "nothing had been changed yet; removed its staging directory".to_string(),
            (false, 1) => "rolled back 1 change".to_string(),
            (false, changes) => format!("rolled back {changes} changes"),
        };
        printer.info(format_args!(
            "Recovered an interrupted install in {}: {what}",
            root.display()
        ));
    }
}

/// Reports a transaction cancelled by SIGINT/SIGTERM (rolled back) and gives its exit
/// status (130 / 143); any other result is passed on.
pub fn interrupted<T>(
    result: Result<T, wharf_environment::OperationError>,
    guard: &crate::signals::Transaction,
    printer: crate::Printer,
) -> Result<Result<T, ExitStatus>, crate::Error> {
    use wharf_environment::OperationError;
    use wharf_install::InstallError;
    match result {
        Err(
            OperationError::Install(InstallError::Cancelled)
            | OperationError::Uninstall(InstallError::Cancelled),
        ) => {
            let signal = guard.signal().unwrap_or(2);
            printer.error_message(format_args!(
                "interrupted by {}: nothing was changed, the environment is as it was",
                crate::signals::Transaction::signal_name(signal)
            ));
            Ok(Err(ExitStatus::Interrupted(signal)))
        }
        Err(error) => Err(error.into()),
        Ok(value) => Ok(Ok(value)),
    }
}

/// How many times a command plans and tries its transaction when other processes keep
/// changing the environment in between.
const PLAN_ATTEMPTS: usize = 3;

/// Runs `attempt` (read, resolve, plan, execute) again when another process changed the
/// environment between its plan and its transaction: the installer then changed nothing
/// ([`wharf_install::InstallError::EnvironmentChanged`]), and the new plan starts from what
/// the other process left, as if the two commands had run one after the other. Says so each
/// time; after [`PLAN_ATTEMPTS`] the error is returned (exit 1, with its hint).
pub fn replanning<T>(
    printer: crate::Printer,
    mut attempt: impl FnMut() -> Result<T, crate::Error>,
) -> Result<T, crate::Error> {
    let mut attempts = 1;
    loop {
        match attempt() {
            Err(error) if attempts < PLAN_ATTEMPTS && error.is_environment_changed() => {
                printer.info(format_args!(
                    "{}; planning again",
                    wharf_fs::error_chain(&*error.error)
                ));
                attempts += 1;
            }
            other => return other,
        }
    }
}

/// Executes `plan` in `environment` as one transaction, with the settings' threads, compile,
/// cache and RECORD verification, a progress bar, and SIGINT/SIGTERM rolling it back: the
/// installer's output, or the exit status of an interrupt (130/143, already reported), and
/// the recovered transactions reported. `digests`: the wheel digests the caller already took
/// (`sync`), else the installer uses the cache root's.
pub fn execute_plan(
    plan: &wharf_environment::operations::InstallPlan,
    environment: &wharf_environment::PythonEnvironment,
    settings: &crate::settings::InstallSettings,
    digests: Option<std::sync::Arc<wharf_digest::DigestCache>>,
    printer: crate::Printer,
) -> Result<Result<wharf_install::InstallOutput, ExitStatus>, crate::Error> {
    let (progress, sink) = crate::progress::install_bar(printer);
    let signals = crate::signals::Transaction::begin();
    let result = wharf_environment::operations::execute(
        plan,
        environment,
        &wharf_environment::operations::ExecuteOptions {
            threads: settings.threads,
            compile: settings.compile,
            cache_dir: settings.cache_dir.clone(),
            progress: Some(sink),
            cancel: Some(signals.cancel()),
            verification: wharf_install::Verification {
                record: !settings.no_verify_record,
                ..wharf_install::Verification::default()
            },
            link_mode: settings.link_mode,
            digests,
            check_requirements: !settings.no_deps,
        },
    );
    progress.finish_and_clear();
    let output = match interrupted(result, &signals, printer)? {
        Ok(output) => output,
        Err(status) => return Ok(Err(status)),
    };
    drop(signals);
    report_recovered(&output.recovered, &environment.root, printer);
    Ok(Ok(output))
}
