//! The `wharf` command line: argument parsing (clap, syntax only), the settings layer that
//! merges CLI ▸ environment ▸ pip config ▸ defaults, and one function per command.
//!
//! Exit status is a contract: 0 ok, 1 the request cannot be satisfied, 2 usage or
//! internal error; a broken pipe on stdout ends the program quietly.

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

pub mod commands;
pub mod printer;
pub mod progress;

pub use printer::Printer;
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
    /// Remove packages from a virtual environment
    Uninstall(commands::install::UninstallArgs),
    /// List the installed packages
    List {
        /// Output format
        #[arg(long, value_enum, default_value = "columns")]
        format: commands::install::ListFormat,
        #[command(flatten)]
        env: commands::install::EnvArgs,
    },
    /// Print the installed packages in requirements format (exactly `pip freeze`)
    Freeze(commands::install::EnvArgs),
    /// Verify installed packages have compatible dependencies (like `pip check`)
    Check(commands::install::EnvArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions {
        /// The shell. Ex) bash
        shell: clap_complete::Shell,
    },
}

/// Runs wharf with the process's arguments and environment.
pub fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    let env = SiteEnv::from_process();
    let python_env = PythonEnv::from_env();
    run(args, &env, &python_env).into()
}

fn invoked_as_avail_wheels(args: &[OsString]) -> bool {
    args.first()
        .and_then(|a| std::path::Path::new(a).file_name())
        .is_some_and(|n| n == "avail_wheels")
}

/// Runs wharf with explicit arguments (`args[0]` is the program name; `avail_wheels`
/// selects the drop-in mode) and environment.
pub fn run(args: Vec<OsString>, env: &SiteEnv, python_env: &PythonEnv) -> ExitStatus {
    let printer = Printer::new(env.no_color, false);
    if invoked_as_avail_wheels(&args) {
        let command = commands::avail::avail_wheels_command();
        let matches = match command.try_get_matches_from(args) {
            Ok(m) => m,
            Err(e) => return clap_exit(&e),
        };
        let parsed = match commands::avail::AvailArgs::from_arg_matches(&matches) {
            Ok(a) => a,
            Err(e) => return clap_exit(&e),
        };
        return commands::avail::avail(parsed, env, printer);
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => return clap_exit(&e),
    };
    match cli.command {
        Command::Avail(args) => commands::avail::avail(*args, env, printer),
        Command::Python(command) => commands::python::python(&command, python_env, printer),
        Command::Venv(args) => commands::venv::venv(&args, env, python_env, printer),
        Command::Install(args) => commands::install::install(&args, env, python_env, printer),
        Command::Uninstall(args) => commands::install::uninstall(&args, env, python_env, printer),
        Command::List { format, env: args } => {
            commands::install::list(&args, format, env, python_env, printer)
        }
        Command::Freeze(args) => commands::install::freeze(&args, env, python_env, printer),
        Command::Check(args) => commands::install::check(&args, env, python_env, printer),
        Command::Completions { shell } => {
            let mut command = Cli::command();
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut command, "wharf", &mut out);
            commands::write_stdout(&out)
        }
    }
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
