//! `wharf tool install | run | list | uninstall`: a command-line tool from the wheelhouse in
//! its own environment (like `uv tool` and pipx), its executables linked into `~/.local/bin`.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use clap::{Args, Subcommand};
use pep508_rs::PackageName;
use wharf_environment::PythonEnvironment;
use wharf_environment::operations::RequirementSources;
use wharf_python::{PythonEnv, PythonRequest};
use wharf_site::SiteEnv;
use wharf_venv::VenvOptions;

use crate::commands::write_stdout;
use crate::error::Error;
use crate::settings::{GlobalArgs, InstallFlags, InstallSettings, pip_config};
use crate::{ExitStatus, Printer};

/// `wharf tool` subcommands.
#[derive(Debug, Subcommand)]
pub enum ToolCommand {
    /// Install a tool (a package with console scripts) into its own environment and link its executables
    Install(ToolInstallArgs),
    /// Run a tool's executable, installing the tool first if needed
    Run(ToolRunArgs),
    /// List the installed tools and their executables
    List(ToolArgs),
    /// Remove a tool: its environment and its links
    Uninstall(ToolUninstallArgs),
}

/// Options of every `wharf tool` subcommand.
#[derive(Debug, Args)]
pub struct ToolArgs {
    /// Where the executables are linked [default: $WHARF_TOOL_BIN_DIR, else ~/.local/bin]
    #[arg(long, value_name = "DIR")]
    pub bin_dir: Option<PathBuf>,
    #[command(flatten)]
    pub global: GlobalArgs,
}

/// `wharf tool install` arguments.
#[derive(Debug, Args)]
pub struct ToolInstallArgs {
    /// The tool: a PEP 508 requirement, ex) "black==24.*"
    #[arg(value_name = "PACKAGE")]
    pub package: String,
    /// The interpreter: a version (3.11) or a path [default: .python-version, the loaded module, python3]
    #[arg(long)]
    pub python: Option<String>,
    /// Look for wheels in DIR (repeatable) [default: PIP_FIND_LINKS, else find-links of $PIP_CONFIG_FILE]
    #[arg(short = 'f', long = "find-links", value_name = "DIR")]
    pub find_links: Vec<PathBuf>,
    /// Replace the tool's environment if it exists
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub tool: ToolArgs,
}

/// `wharf tool run` arguments.
#[derive(Debug, Args)]
pub struct ToolRunArgs {
    /// The package that provides COMMAND, when it has another name (before COMMAND)
    #[arg(long, value_name = "PACKAGE")]
    pub from: Option<String>,
    /// The executable (and the package, when they share the name), then its arguments: every
    /// word after COMMAND goes to the tool, ex) `black --check .`
    #[arg(
        value_name = "COMMAND",
        required = true,
        num_args = 1..,
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub command: Vec<String>,
    #[command(flatten)]
    pub tool: ToolArgs,
}

/// `wharf tool uninstall` arguments.
#[derive(Debug, Args)]
pub struct ToolUninstallArgs {
    /// The tool's package name
    #[arg(value_name = "PACKAGE")]
    pub package: String,
    #[command(flatten)]
    pub tool: ToolArgs,
}

impl ToolCommand {
    /// The command's global options.
    pub fn global(&self) -> &GlobalArgs {
        match self {
            Self::Install(args) => &args.tool.global,
            Self::Run(args) => &args.tool.global,
            Self::List(args) => &args.global,
            Self::Uninstall(args) => &args.tool.global,
        }
    }
}

fn tool_dir(site: &SiteEnv) -> Result<PathBuf, Error> {
    site.vars.tool_dir().ok_or_else(|| {
        Error::usage(
            "no directory for tools: none of WHARF_TOOL_DIR, XDG_DATA_HOME, HOME is set",
            Some("set WHARF_TOOL_DIR".to_string()),
        )
    })
}

fn bin_dir(args: &ToolArgs, site: &SiteEnv) -> Result<PathBuf, Error> {
    args.bin_dir
        .clone()
        .or_else(|| site.vars.tool_bin_dir())
        .ok_or_else(|| {
            Error::usage(
                "no directory for tool executables",
                Some("pass `--bin-dir DIR`".to_string()),
            )
        })
}

fn package_name(text: &str) -> Result<PackageName, Error> {
    let requirement = wharf_environment::operations::parse_requirement(text, "command line")?;
    Ok(requirement.name)
}

/// Runs `wharf tool …`.
pub fn tool(
    command: &ToolCommand,
    site: &SiteEnv,
    python_env: &PythonEnv,
    printer: Printer,
) -> Result<ExitStatus, Error> {
    match command {
        ToolCommand::Install(args) => {
            let name = package_name(&args.package)?;
            let root = tool_dir(site)?.join(name.as_ref());
            if root.exists() && !args.force {
                printer.info(format_args!(
                    "{name} is already installed in `{}` (`--force` to replace it)",
                    root.display()
                ));
                return Ok(ExitStatus::Success);
            }
            let executables = install_tool(
                &args.package,
                &root,
                args.python.as_deref(),
                &args.find_links,
                site,
                python_env,
                printer,
            )?;
            link_executables(&executables, &bin_dir(&args.tool, site)?, site, printer)?;
            Ok(ExitStatus::Success)
        }
        ToolCommand::Run(args) => {
            let (command, tool_args) = args
                .command
                .split_first()
                .ok_or_else(|| Error::usage("no command to run", None))?;
            let package = args.from.clone().unwrap_or_else(|| command.clone());
            let name = package_name(&package)?;
            let root = tool_dir(site)?.join(name.as_ref());
            if !root.join("bin").join(command).exists() {
                install_tool(&package, &root, None, &[], site, python_env, printer)?;
            }
            let executable = root.join("bin").join(command);
            if !executable.exists() {
                return Err(Error::failure(
                    format!("{name} has no executable named `{command}`"),
                    Some(format!(
                        "`wharf tool list` shows what it provides; `--from PACKAGE` names the package of `{command}`"
                    )),
                ));
            }
            let status = std::process::Command::new(&executable)
                .args(tool_args)
                .status()
                .map_err(|e| Error::new(e, None, ExitStatus::Error))?;
            Ok(if status.success() {
                ExitStatus::Success
            } else {
                ExitStatus::Failure
            })
        }
        ToolCommand::List(args) => {
            let dir = tool_dir(site)?;
            let bin = bin_dir(args, site)?;
            let mut out = String::new();
            let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
                .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
                .unwrap_or_default();
            names.sort();
            for root in names.iter().filter(|r| r.join("pyvenv.cfg").is_file()) {
                let environment = PythonEnvironment::from_root(root, python_env)?;
                let tool_name = root
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let version = environment
                    .installed()?
                    .into_iter()
                    .find(|d| PackageName::from_str(&d.name).is_ok_and(|n| n.as_ref() == tool_name))
                    .map(|d| d.version)
                    .unwrap_or_default();
                out.push_str(&format!("{tool_name} {version}\n"));
                for executable in tool_executables(&environment, &tool_name)? {
                    let file = executable
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    out.push_str(&format!(
                        "- {file}{}\n",
                        if bin.join(&file).exists() {
                            ""
                        } else {
                            " (not linked)"
                        }
                    ));
                }
            }
            Ok(write_stdout(out.as_bytes()))
        }
        ToolCommand::Uninstall(args) => {
            let name = package_name(&args.package)?;
            let root = tool_dir(site)?.join(name.as_ref());
            if !root.join("pyvenv.cfg").is_file() {
                return Err(Error::failure(
                    format!("{name} is not installed as a tool"),
                    Some("`wharf tool list` shows the installed tools".to_string()),
                ));
            }
            let bin = bin_dir(&args.tool, site)?;
            // Only links that point into this tool's environment are removed.
            if let Ok(entries) = std::fs::read_dir(&bin) {
                for entry in entries.flatten() {
                    if std::fs::read_link(entry.path())
                        .is_ok_and(|target| target.starts_with(&root))
                    {
                        fs_err::remove_file(entry.path())
                            .map_err(|e| Error::new(e, None, ExitStatus::Error))?;
                    }
                }
            }
            fs_err::remove_dir_all(&root).map_err(|e| Error::new(e, None, ExitStatus::Error))?;
            printer.info(format_args!("Uninstalled {name}"));
            Ok(ExitStatus::Success)
        }
    }
}

/// Creates the tool's environment at `root` and installs `package` into it from the
/// wheelhouse; returns the executables the tool's own distribution put into `bin/`.
fn install_tool(
    package: &str,
    root: &Path,
    python: Option<&str>,
    find_links: &[PathBuf],
    site: &SiteEnv,
    python_env: &PythonEnv,
    printer: Printer,
) -> Result<Vec<PathBuf>, Error> {
    let request = python.map(PythonRequest::parse).transpose()?;
    let cwd = std::env::current_dir().unwrap_or_default();
    let found = wharf_python::find_python(request.as_ref(), &cwd, python_env)?;
    let info = wharf_python::probe(&found.installation.executable, python_env)?;
    let existed = root.exists();
    let options = VenvOptions {
        clear: true,
        ..VenvOptions::default()
    };
    if let Some(parent) = root.parent() {
        fs_err::create_dir_all(parent).map_err(|e| Error::new(e, None, ExitStatus::Error))?;
    }
    wharf_venv::create_venv(root, &info, &options)?;
    let config = pip_config(site, printer);
    let flags = InstallFlags {
        python: Some(root.to_path_buf()),
        find_links: find_links.to_vec(),
        ..InstallFlags::default()
    };
    let result = (|| {
        let settings = InstallSettings::resolve(&flags, site, config.as_ref())?;
        crate::commands::install::install_with(
            RequirementSources {
                packages: &[package.to_string()],
                requirement_files: &[],
                constraint_files: &settings.constraint_files,
                editables: &[],
            },
            &settings,
            &crate::commands::install::BuildSettings::default(),
            site,
            python_env,
            printer,
        )?;
        let environment = PythonEnvironment::from_root(root, python_env)?;
        let name = package_name(package)?;
        let executables = tool_executables(&environment, name.as_ref())?;
        if executables.is_empty() {
            return Err(Error::failure(
                format!("{name} provides no executable (no console scripts)"),
                Some(format!(
                    "install it into a virtual environment instead: `wharf install {name}`"
                )),
            ));
        }
        Ok(executables)
    })();
    if result.is_err() && !existed {
        let _ = fs_err::remove_dir_all(root);
    }
    result
}

/// The files the tool's own distribution installed into the environment's `bin/`.
fn tool_executables(environment: &PythonEnvironment, name: &str) -> Result<Vec<PathBuf>, Error> {
    let Some(dist) = environment
        .installed()?
        .into_iter()
        .find(|d| PackageName::from_str(&d.name).is_ok_and(|n| n.as_ref() == name))
    else {
        return Ok(Vec::new());
    };
    let scripts = &environment.layout.scripts;
    let mut files: Vec<PathBuf> = dist
        .files()
        .map_err(|e| Error::new(e, None, ExitStatus::Error))?
        .into_iter()
        .filter(|f| f.parent() == Some(scripts.as_path()))
        .collect();
    files.sort();
    Ok(files)
}

/// Links each executable into `bin`, replacing only links that already point into a tool
/// environment; says so when `bin` is not on `PATH`.
fn link_executables(
    executables: &[PathBuf],
    bin: &Path,
    site: &SiteEnv,
    printer: Printer,
) -> Result<(), Error> {
    fs_err::create_dir_all(bin).map_err(|e| Error::new(e, None, ExitStatus::Error))?;
    for executable in executables {
        let Some(file) = executable.file_name() else {
            continue;
        };
        let link = bin.join(file);
        if std::fs::symlink_metadata(&link).is_ok() {
            let ours = std::fs::read_link(&link)
                .is_ok_and(|t| site.vars.tool_dir().is_some_and(|d| t.starts_with(d)));
            if !ours {
                printer.warn(format_args!(
                    "`{}` exists and is not a wharf tool link; not replaced",
                    link.display()
                ));
                continue;
            }
            fs_err::remove_file(&link).map_err(|e| Error::new(e, None, ExitStatus::Error))?;
        }
        std::os::unix::fs::symlink(executable, &link)
            .map_err(|e| Error::new(e, None, ExitStatus::Error))?;
        printer.info(format_args!(
            "Linked {} -> {}",
            link.display(),
            executable.display()
        ));
    }
    let on_path = site
        .path
        .as_ref()
        .is_some_and(|p| std::env::split_paths(p).any(|d| d == bin));
    if !on_path {
        printer.warn(format_args!("`{}` is not on PATH", bin.display()));
        printer.hint(format_args!(
            "add it: `export PATH=\"{}:$PATH\"` (in ~/.bashrc)",
            bin.display()
        ));
    }
    Ok(())
}
