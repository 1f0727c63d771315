//! The `wharf` command line: argument parsing (clap, syntax only), the settings layer that
//! merges CLI ▸ environment ▸ pip config ▸ defaults, and one function per command.
//!
//! Exit status is a contract: 0 ok, 1 the request cannot be satisfied, 2 usage or
//! internal error; a broken pipe on stdout ends the program quietly.

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

pub mod commands;
pub mod error;
pub mod printer;
pub mod progress;
pub mod settings;

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
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        match status {
            ExitStatus::Success => ExitCode::SUCCESS,
            ExitStatus::Failure => ExitCode::from(1),
            ExitStatus::Error => ExitCode::from(2),
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
    /// Serve the wheelhouse as a package index for pip and uv (Simple API) and a browsable page
    Serve(Box<commands::serve::ServeArgs>),
    /// Remove packages from a virtual environment
    Uninstall(commands::uninstall::UninstallArgs),
    /// List the installed packages
    List {
        /// Output format
        #[arg(long, value_enum, default_value = "columns")]
        format: commands::list::ListFormat,
        #[command(flatten)]
        env: commands::list::EnvArgs,
    },
    /// Print the installed packages in requirements format (exactly `pip freeze`)
    Freeze(commands::list::EnvArgs),
    /// Verify installed packages have compatible dependencies (like `pip check`)
    Check(commands::list::EnvArgs),
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
            Self::Venv(args) => Some(&args.global),
            Self::Install(args) => Some(&args.global),
            Self::Lock(args) => Some(&args.global),
            Self::Sync(args) => Some(&args.global),
            Self::Serve(args) => Some(&args.global),
            Self::Uninstall(args) => Some(&args.global),
            Self::List { env, .. } => Some(&env.global),
            Self::Freeze(args) | Self::Check(args) => Some(&args.global),
        }
    }
}

/// Runs wharf with the process's arguments and environment (the one read of both).
pub fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    run(args, &Env::from_process()).into()
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
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => return clap_exit(&e),
    };
    let global = GlobalSettings::resolve(&cli.global, cli.command.global());
    let printer = global.printer(&site);
    let result = match cli.command {
        Command::Avail(args) => Ok(commands::avail::avail(*args, &site, printer)),
        Command::Python(command) => commands::python::python(&command, &python_env, printer),
        Command::Venv(args) => commands::venv::venv(&args, &site, &python_env, printer),
        Command::Install(args) => commands::install::install(&args, &site, &python_env, printer),
        Command::Lock(args) => commands::lock::lock(&args, &site, &python_env, printer),
        Command::Sync(args) => commands::sync::sync(&args, &site, &python_env, printer),
        Command::Serve(args) => commands::serve::serve(&args, &site, printer),
        Command::Uninstall(args) => {
            commands::uninstall::uninstall(&args, &site, &python_env, printer)
        }
        Command::List { format, env: args } => {
            commands::list::list(&args, format, &site, &python_env)
        }
        Command::Freeze(args) => commands::list::list(
            &args,
            commands::list::ListFormat::Freeze,
            &site,
            &python_env,
        ),
        Command::Check(args) => commands::list::check(&args, &site, &python_env),
        Command::Cache(command) => commands::cache::cache(&command, &site, printer),
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
