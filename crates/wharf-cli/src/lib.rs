//! The `wharf` command line: argument parsing (clap, syntax only), the settings layer that
//! merges CLI ▸ environment ▸ pip config ▸ defaults, and one function per command.
//!
//! Exit status is a contract: 0 ok, 1 the request cannot be satisfied, 2 usage or
//! internal error, 130 / 143 a change interrupted by SIGINT / SIGTERM and rolled back; a
//! broken pipe on stdout ends the program quietly.

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

pub mod commands;
pub mod error;
pub mod printer;
pub mod progress;
pub mod settings;
pub mod signals;

pub use error::Error;
pub use printer::Printer;
use settings::{GlobalArgs, GlobalSettings};
use wharf_env::Env;
use wharf_python::PythonEnv;
use wharf_site::SiteEnv;

/// How a command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: done.
    Success,
    /// 1: the request cannot be satisfied (nothing matches, a conflict).
    Failure,
    /// 2: bad usage or an internal error.
    Error,
    /// 128 + the signal: a change was interrupted by SIGINT (130) or SIGTERM (143) and
    /// rolled back.
    Interrupted(u8),
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        match status {
            ExitStatus::Success => ExitCode::SUCCESS,
            ExitStatus::Failure => ExitCode::from(1),
            ExitStatus::Error => ExitCode::from(2),
            ExitStatus::Interrupted(signal) => ExitCode::from(128_u8.saturating_add(signal)),
        }
    }
}

/// wharf: the Python software environment of an HPC cluster.
#[derive(Debug, Parser)]
#[command(
    name = "wharf",
    version,
    about = "The Python software environment of an HPC cluster: the site's wheelhouse, its interpreters, and virtual environments",
    after_help = "Run `wharf COMMAND --help` for a command's options.\nInstalled under the name `avail_wheels`, wharf behaves as `wharf avail`."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// wharf's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the wheels the site's wheelhouse offers (a drop-in for `avail_wheels`)
    #[command(
        disable_version_flag = true,
        version = "2.1.3",
        long_about = commands::avail::LONG_ABOUT,
        after_help = commands::avail::EXAMPLES
    )]
    Avail(Box<commands::avail::AvailArgs>),
    /// Find the Python interpreters the site offers (modules, PATH, venvs)
    #[command(subcommand)]
    Python(commands::python::PythonCommand),
    /// Create a virtual environment (like `virtualenv --no-download`)
    Venv(commands::venv::VenvArgs),
    /// Install packages from the wheelhouse into a virtual environment (like `pip install --no-index`)
    Install(Box<commands::install::InstallArgs>),
    /// Resolve requirements for an interpreter and write a PEP 751 lock (pylock.toml), exact and hashed
    Lock(Box<commands::lock::LockArgs>),
    /// Make an environment exactly a lock (pylock.toml or hashed requirements), every wheel verified
    Sync(commands::sync::SyncArgs),
    /// Download wheels from a package index (PyPI by default), verified, in parallel (like `pip download`)
    Download(Box<commands::download::DownloadArgs>),
    /// Serve the wheelhouse as a package index for pip and uv (Simple API) and a browsable page
    Serve(Box<commands::serve::ServeArgs>),
    /// Remove packages from a virtual environment
    Uninstall(commands::uninstall::UninstallArgs),
    /// List the installed packages
    ///
    /// pip 26's `pip list`, byte for byte; `-v` adds its `Location` and `Installer` columns.
    List(commands::list::ListArgs),
    /// Print the installed packages in requirements format (exactly `pip freeze`)
    Freeze(commands::list::FreezeArgs),
    /// Show installed packages' metadata, requirements and files (like `pip show`)
    Show(commands::show::ShowArgs),
    /// Draw the environment's dependency tree (like `uv pip tree`)
    Tree(commands::show::TreeArgs),
    /// Verify installed packages have compatible dependencies (like `pip check`); `--files`: every RECORD hash and size
    Check(commands::list::CheckArgs),
    /// Diagnose an environment and the shell around it: one finding per problem, with the fix
    Doctor(commands::doctor::DoctorArgs),
    /// Map an error message or traceback (stdin or a file) to its cause and this environment's fix
    Explain(commands::explain::ExplainArgs),
    /// Install and run command-line tools from the wheelhouse, each in its own environment (like `uv tool`, pipx)
    #[command(subcommand)]
    Tool(commands::tool::ToolCommand),
    /// Show or shrink wharf's cache (unpacked wheels, catalogue index, interpreter probes)
    #[command(subcommand)]
    Cache(commands::cache::CacheCommand),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions {
        /// The shell. Ex) bash
        shell: clap_complete::Shell,
    },
}

impl Command {
    /// The global options given after the command name (`avail` and `completions` have none).
    fn global(&self) -> Option<&GlobalArgs> {
        match self {
            Self::Avail(_) | Self::Completions { .. } => None,
            Self::Python(command) => Some(command.global()),
            Self::Cache(command) => Some(command.global()),
            Self::Tool(command) => Some(command.global()),
            Self::Venv(args) => Some(&args.global),
            Self::Install(args) => Some(&args.global),
            Self::Lock(args) => Some(&args.global),
            Self::Sync(args) => Some(&args.global),
            Self::Download(args) => Some(&args.global),
            Self::Show(args) => Some(&args.global),
            Self::Tree(args) => Some(&args.global),
            Self::Serve(args) => Some(&args.global),
            Self::Uninstall(args) => Some(&args.global),
            Self::List(args) => Some(&args.env.global),
            Self::Freeze(args) => Some(&args.env.global),
            Self::Check(args) => Some(&args.env.global),
            Self::Doctor(args) => Some(&args.global),
            Self::Explain(args) => Some(&args.global),
        }
    }
}

/// Runs wharf with the process's arguments and environment (the one read of both).
pub fn main() -> ExitCode {
    install_panic_hook();
    let args: Vec<OsString> = std::env::args_os().collect();
    run_catching(|| run(args, &Env::from_process())).into()
}

/// Runs `body`; a panic (a bug) ends it with [`ExitStatus::Error`] (2) instead of Rust's 101.
/// The panic unwinds first, so every `Drop` runs: an install transaction in progress rolls
/// back and leaves the environment as it was (`panic = "abort"` would skip that).
pub fn run_catching(body: impl FnOnce() -> ExitStatus) -> ExitStatus {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)).unwrap_or(ExitStatus::Error)
}

/// Replaces Rust's panic message (and its `RUST_BACKTRACE` note) with [`crash_report`], once
/// per process; silent for panics that `wharf_metadata::parse_requirement` catches itself.
pub fn install_panic_hook() {
    static REPORTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    std::panic::set_hook(Box::new(|info| {
        if wharf_metadata::panic_is_guarded()
            || REPORTED.swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            return;
        }
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("(no message)");
        let report = crash_report(message, info.location());
        let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), report.as_bytes());
    }));
}

/// The two lines printed for a panic. Ex)
/// `error: wharf crashed (a bug): index out of bounds at src/x.rs:3:5`
pub fn crash_report(message: &str, location: Option<&std::panic::Location<'_>>) -> String {
    let location = location.map_or_else(String::new, |l| {
        format!(" at {}:{}:{}", l.file(), l.line(), l.column())
    });
    let message = message.lines().next().unwrap_or_default();
    format!(
        "error: wharf crashed (a bug): {message}{location}\n\nhint: please report it with the command you ran\n"
    )
}

fn invoked_as_avail_wheels(args: &[OsString]) -> bool {
    args.first()
        .and_then(|a| std::path::Path::new(a).file_name())
        .is_some_and(|n| n == "avail_wheels")
}

/// Runs wharf with explicit arguments (`args[0]` is the program name; `avail_wheels`
/// selects the drop-in mode) and environment. Errors are reported here, once.
pub fn run(args: Vec<OsString>, env: &Env) -> ExitStatus {
    let site = SiteEnv::from_env(env);
    let python_env = PythonEnv::from_env(env);
    if invoked_as_avail_wheels(&args) {
        let printer = Printer::new(site.no_color, false);
        let command = commands::avail::avail_wheels_command();
        let matches = match command.try_get_matches_from(args) {
            Ok(m) => m,
            Err(e) => return clap_exit(&e),
        };
        let parsed = match commands::avail::AvailArgs::from_arg_matches(&matches) {
            Ok(a) => a,
            Err(e) => return clap_exit(&e),
        };
        return commands::avail::avail(parsed, &site, printer);
    }
    // `wharf pip …` (and the `bin/pip` of wharf's environments): pip's command line,
    // translated to wharf's commands.
    if args.get(1).is_some_and(|a| a == "pip") {
        return commands::pip::run(&args[2..], env);
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => return clap_exit(&e),
    };
    // The parallel steps that run on rayon's global pool (scanning installed distributions,
    // hashing wheels and RECORD files, doctor's checks) get SLURM_CPUS_PER_TASK threads, as the
    // installer's own pool does; left alone, rayon would start one per CPU of the node. `avail`
    // starts no thread at all (see `commands::avail`), so it is left out.
    if !matches!(cli.command, Command::Avail(_)) {
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(site.threads())
            .build_global();
    }
    let global = GlobalSettings::resolve(&cli.global, cli.command.global());
    let printer = global.printer(&site);
    let result = match cli.command {
        Command::Avail(args) => Ok(commands::avail::avail(*args, &site, printer)),
        Command::Python(command) => commands::python::python(&command, &python_env, printer),
        Command::Venv(args) => commands::venv::venv(&args, &site, &python_env, printer),
        Command::Install(args) => commands::install::install(&args, &site, &python_env, printer),
        Command::Lock(args) => commands::lock::lock(&args, &site, &python_env, printer),
        Command::Sync(args) => commands::sync::sync(&args, &site, &python_env, printer),
        Command::Download(args) => commands::download::download(&args, &site, &python_env, printer),
        Command::Serve(args) => commands::serve::serve(&args, &site, printer),
        Command::Uninstall(args) => {
            commands::uninstall::uninstall(&args, &site, &python_env, printer)
        }
        Command::List(args) => commands::list::list(&args, &site, &python_env, printer),
        Command::Freeze(args) => commands::list::freeze(&args, &site, &python_env, printer),
        Command::Show(args) => commands::show::show(&args, &site, &python_env, printer),
        Command::Tree(args) => commands::show::tree(&args, &site, &python_env),
        Command::Check(args) => commands::list::check(&args, &site, &python_env, printer),
        Command::Doctor(args) => commands::doctor::doctor(&args, &site, &python_env, printer),
        Command::Explain(args) => commands::explain::explain(&args, &site, &python_env, printer),
        Command::Cache(command) => commands::cache::cache(&command, &site, printer),
        Command::Tool(command) => commands::tool::tool(&command, &site, &python_env, printer),
        Command::Completions { shell } => {
            let mut command = Cli::command();
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut command, "wharf", &mut out);
            Ok(commands::write_stdout(&out))
        }
    };
    result.unwrap_or_else(|error| printer.report(&error))
}

/// Prints a clap error or help/version and maps it to wharf's exit status.
fn clap_exit(error: &clap::Error) -> ExitStatus {
    let _ = error.print();
    if error.use_stderr() {
        ExitStatus::Error
    } else {
        ExitStatus::Success
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crash_report_is_two_short_lines() {
        let location = std::panic::Location::caller();
        let report = crash_report("boom\nsecond line", Some(location));
        let expected = format!(
            "error: wharf crashed (a bug): boom at {}:{}:{}\n\nhint: please report it with the command you ran\n",
            location.file(),
            location.line(),
            location.column()
        );
        assert_eq!(report, expected);
        insta::assert_snapshot!(crash_report("boom", None), @r"
        error: wharf crashed (a bug): boom

        hint: please report it with the command you ran
        ");
    }

    /// A panic exits 2, after unwinding (`Drop` ran: a transaction would roll back).
    #[test]
    fn a_panic_exits_2_after_unwinding() {
        struct Rollback<'a>(&'a std::cell::Cell<bool>);
        impl Drop for Rollback<'_> {
            fn drop(&mut self) {
                self.0.set(true);
            }
        }
        let rolled_back = std::cell::Cell::new(false);
        let status = run_catching(|| {
            let _transaction = Rollback(&rolled_back);
            panic!("a bug");
        });
        assert_eq!(status, ExitStatus::Error);
        assert_eq!(ExitCode::from(status), ExitCode::from(2));
        assert!(rolled_back.get());
        assert_eq!(run_catching(|| ExitStatus::Failure), ExitStatus::Failure);
    }
}
