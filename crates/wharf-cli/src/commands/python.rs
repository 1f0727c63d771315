//! `wharf python list` / `wharf python find`: the interpreters the site offers.

use clap::Subcommand;
use wharf_python::{Installation, PythonEnv, PythonRequest};

use crate::commands::target::CommandError;
use crate::commands::write_stdout;
use crate::{ExitStatus, Printer};

/// `wharf python` subcommands.
#[derive(Debug, Subcommand)]
pub enum PythonCommand {
    /// List the interpreters that run: active venv, loaded module, module trees (PYTHON_DIRS), PATH
    List {
        /// Print a JSON array instead of columns
        #[arg(long)]
        json: bool,
        /// Also list the interpreters that fail to run (shims, hangs, broken installs), with the error
        #[arg(long)]
        all: bool,
    },
    /// Print the path of the interpreter that matches VERSION (3.11, 3.11.5, python3.12, or a path) [default: the `.python-version` pin, else the default interpreter]
    Find {
        /// The request. Ex) 3.12
        request: Option<String>,
        /// Also report the candidates skipped because they failed to run
        #[arg(short, long)]
        verbose: bool,
    },
}

/// Runs `wharf python …`.
pub fn python(command: &PythonCommand, python_env: &PythonEnv, printer: Printer) -> ExitStatus {
    match command {
        PythonCommand::List { json, all } => list(*json, *all, python_env, printer),
        PythonCommand::Find { request, verbose } => {
            let parsed = match request.as_deref().map(PythonRequest::parse).transpose() {
                Ok(r) => r,
                Err(e) => {
                    return CommandError::from_error(&e, e.hint(), ExitStatus::Error)
                        .report(printer);
                }
            };
            let cwd = std::env::current_dir().unwrap_or_default();
            match wharf_python::find_python(parsed.as_ref(), &cwd, python_env) {
                Ok(found) => {
                    if *verbose {
                        for skipped in &found.skipped {
                            printer.warn(format_args!("skipped {skipped}"));
                        }
                    }
                    write_stdout(
                        format!("{}\n", found.installation.executable.display()).as_bytes(),
                    )
                }
                Err(e) => {
                    CommandError::from_error(&e, e.hint(), ExitStatus::Failure).report(printer)
                }
            }
        }
    }
}

fn list(json: bool, all: bool, python_env: &PythonEnv, printer: Printer) -> ExitStatus {
    let listed = wharf_python::list(python_env);
    let mut rows: Vec<(&Installation, Option<String>)> = listed
        .working
        .iter()
        .map(|(installation, _)| (installation, None))
        .collect();
    if all {
        rows.extend(
            listed
                .broken
                .iter()
                .map(|(installation, error)| (installation, Some(error.to_string()))),
        );
    }
    if json {
        let rows: Vec<serde_json::Value> = rows
            .iter()
            .map(|(i, error)| {
                let mut row = serde_json::json!({
                    "version": i.version.as_ref().map(ToString::to_string),
                    "source": i.source.to_string(),
                    "path": i.executable.display().to_string(),
                });
                if let Some(error) = error {
                    row["error"] = serde_json::Value::from(error.as_str());
                }
                row
            })
            .collect();
        let mut s = serde_json::to_string_pretty(&rows).unwrap_or_default();
        s.push('\n');
        return write_stdout(s.as_bytes());
    }
    let mut out = String::new();
    let width = rows
        .iter()
        .map(|(i, _)| i.version.as_ref().map_or(1, |v| v.to_string().len()))
        .max()
        .unwrap_or(0);
    for (i, error) in &rows {
        let version = i
            .version
            .as_ref()
            .map_or_else(|| "?".to_string(), ToString::to_string);
        out.push_str(&format!(
            "{version:<width$}  {:<13}  {}",
            i.source.to_string(),
            i.executable.display()
        ));
        if let Some(error) = error {
            out.push_str(&format!("  (broken: {})", error.replace('\n', " ")));
        }
        out.push('\n');
    }
    if rows.is_empty() {
        if listed.broken.is_empty() {
            printer.warn("no Python interpreter found (venv, module trees, PATH)");
        } else {
            printer.warn(format_args!(
                "no working Python interpreter; {} found fail to run (see `--all`)",
                listed.broken.len()
            ));
        }
        printer.hint("`module load python/3.11`, or set PYTHON_DIRS to the module trees");
        return ExitStatus::Failure;
    }
    write_stdout(out.as_bytes())
}
