//! `wharf python list` / `wharf python find`: the interpreters the site offers.

use clap::Subcommand;
use wharf_python::{PythonEnv, PythonRequest};

use crate::commands::write_stdout;
use crate::error::Error;
use crate::settings::GlobalArgs;
use crate::{ExitStatus, Printer};

/// `wharf python` subcommands.
#[derive(Debug, Subcommand)]
pub enum PythonCommand {
    /// List the interpreters found: active venv, loaded module, module trees (PYTHON_DIRS), PATH
    List {
        /// Print a JSON array instead of columns
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        global: GlobalArgs,
    },
    /// Print the path of the interpreter that matches VERSION (3.11, 3.11.5, python3.12, or a path)
    Find {
        /// The request. Ex) 3.12
        request: String,
        #[command(flatten)]
        global: GlobalArgs,
    },
}

/// Runs `wharf python …`.
pub fn python(
    command: &PythonCommand,
    python_env: &PythonEnv,
    printer: Printer,
) -> Result<ExitStatus, Error> {
    match command {
        PythonCommand::List { json, .. } => {
            let found = wharf_python::discover(python_env);
            if *json {
                let rows: Vec<serde_json::Value> = found
                    .iter()
                    .map(|i| {
                        serde_json::json!({
                            "version": i.version.as_ref().map(ToString::to_string),
                            "source": i.source.to_string(),
                            "path": i.executable.display().to_string(),
                        })
                    })
                    .collect();
                let mut s = serde_json::to_string_pretty(&rows).unwrap_or_default();
                s.push('\n');
                return Ok(write_stdout(s.as_bytes()));
            }
            let mut out = String::new();
            let width = found
                .iter()
                .map(|i| i.version.as_ref().map_or(1, |v| v.to_string().len()))
                .max()
                .unwrap_or(0);
            for i in &found {
                let version = i
                    .version
                    .as_ref()
                    .map_or_else(|| "?".to_string(), ToString::to_string);
                out.push_str(&format!(
                    "{version:<width$}  {:<13}  {}\n",
                    i.source.to_string(),
                    i.executable.display()
                ));
            }
            if found.is_empty() {
                printer.warn("no Python interpreter found (venv, module trees, PATH)");
                printer.hint("`module load python/3.11`, or set PYTHON_DIRS to the module trees");
                return Ok(ExitStatus::Failure);
            }
            Ok(write_stdout(out.as_bytes()))
        }
        PythonCommand::Find { request, .. } => {
            let parsed = PythonRequest::parse(request)?;
            let found = wharf_python::find(&parsed, python_env)?;
            Ok(write_stdout(
                format!("{}\n", found.executable.display()).as_bytes(),
            ))
        }
    }
}

impl PythonCommand {
    /// The command's global options.
    pub fn global(&self) -> &GlobalArgs {
        match self {
            Self::List { global, .. } | Self::Find { global, .. } => global,
        }
    }
}
