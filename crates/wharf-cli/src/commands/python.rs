//! `wharf python list` / `wharf python find`: the interpreters the site offers.

use clap::Subcommand;
use wharf_python::{PythonEnv, PythonRequest};

use crate::commands::target::CommandError;
use crate::commands::write_stdout;
use crate::{ExitStatus, Printer};

/// `wharf python` subcommands.
#[derive(Debug, Subcommand)]
pub enum PythonCommand {
    /// List the interpreters found: active venv, loaded module, module trees (PYTHON_DIRS), PATH
    List {
        /// Print a JSON array instead of columns
        #[arg(long)]
        json: bool,
    },
    /// Print the path of the interpreter that matches VERSION (3.11, 3.11.5, python3.12, or a path)
    Find {
        /// The request. Ex) 3.12
        request: String,
    },
}

/// Runs `wharf python …`.
pub fn python(command: &PythonCommand, python_env: &PythonEnv, printer: Printer) -> ExitStatus {
    match command {
        PythonCommand::List { json } => {
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
                return write_stdout(s.as_bytes());
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
                return ExitStatus::Failure;
            }
            write_stdout(out.as_bytes())
        }
        PythonCommand::Find { request } => {
            let parsed = match PythonRequest::parse(request) {
                Ok(r) => r,
                Err(e) => {
                    return CommandError::from_error(&e, e.hint(), ExitStatus::Error)
                        .report(printer);
                }
            };
            match wharf_python::find(&parsed, python_env) {
                Ok(found) => write_stdout(format!("{}\n", found.executable.display()).as_bytes()),
                Err(e) => {
                    CommandError::from_error(&e, e.hint(), ExitStatus::Failure).report(printer)
                }
            }
        }
    }
}
