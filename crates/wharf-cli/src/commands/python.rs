//! `wharf python list | find | pin`: the interpreters the site offers, and the project's pin.

use clap::Subcommand;
use wharf_python::{Installation, PythonEnv, PythonRequest};

use crate::commands::write_stdout;
use crate::error::Error;
use crate::settings::GlobalArgs;
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
        #[command(flatten)]
        global: GlobalArgs,
    },
    /// Print the path of the interpreter that matches VERSION (3.11, 3.11.5, python3.12, or a path) [default: the `.python-version` pin, else the default interpreter]; `-v` lists the candidates skipped because they failed to run
    Find {
        /// The request. Ex) 3.12
        request: Option<String>,
        #[command(flatten)]
        global: GlobalArgs,
    },
    /// Pin the project's Python: write VERSION to `.python-version` (read by wharf, uv and pyenv), or print the pin in effect
    Pin {
        /// The version to pin. Ex) 3.12 [default: print the current pin]
        version: Option<String>,
        #[command(flatten)]
        global: GlobalArgs,
    },
}

impl PythonCommand {
    /// The command's global options.
    pub fn global(&self) -> &GlobalArgs {
        match self {
            Self::List { global, .. } | Self::Find { global, .. } | Self::Pin { global, .. } => {
                global
            }
        }
    }
}

/// Runs `wharf python …`.
pub fn python(
    command: &PythonCommand,
    python_env: &PythonEnv,
    printer: Printer,
) -> Result<ExitStatus, Error> {
    let cwd = std::env::current_dir().unwrap_or_default();
    if matches!(
        command,
        PythonCommand::List { .. } | PythonCommand::Find { .. }
    ) {
        warn_misplaced_python_dirs(python_env, printer);
    }
    match command {
        PythonCommand::List { json, all, .. } => Ok(list(*json, *all, python_env, printer)),
        PythonCommand::Find { request, .. } => {
            let parsed = request.as_deref().map(PythonRequest::parse).transpose()?;
            let found = wharf_python::find_python(parsed.as_ref(), &cwd, python_env)?;
            for skipped in &found.skipped {
                printer.verbose(format_args!("skipped {skipped}"));
            }
            Ok(write_stdout(
                format!("{}\n", found.installation.executable.display()).as_bytes(),
            ))
        }
        PythonCommand::Pin { version: None, .. } => {
            match wharf_python::try_read_pin(&cwd)
                .map_err(|e| Error::new(e, None, ExitStatus::Error))?
            {
                Some((path, request)) => {
                    printer.verbose(format_args!("pinned by `{}`", path.display()));
                    Ok(write_stdout(format!("{request}\n").as_bytes()))
                }
                None => Err(Error::failure(
                    format!("no `.python-version` in `{}` or its parents", cwd.display()),
                    Some("pin one with `wharf python pin 3.11`".to_string()),
                )),
            }
        }
        PythonCommand::Pin {
            version: Some(text),
            ..
        } => {
            let request = PythonRequest::parse(text)?;
            // The pin must name an interpreter that exists here (a module or PATH), so that
            // `venv` and `install` can honour it; the error names the `module load` to run.
            let found = wharf_python::find(&request, python_env)?;
            let path = wharf_python::write_pin(&cwd, &request)
                .map_err(|e| Error::new(e, None, ExitStatus::Error))?;
            printer.info(format_args!(
                "Pinned `{}` to {request} ({})",
                path.display(),
                found.executable.display()
            ));
            Ok(ExitStatus::Success)
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

/// Warns about each `PYTHON_DIRS` entry that is an installation itself instead of the
/// directory above the installations (it then finds nothing), naming the directory to use.
pub fn warn_misplaced_python_dirs(python_env: &PythonEnv, printer: Printer) {
    let globs = python_env.module_tree_globs();
    for (dir, parent) in wharf_site::misplaced_python_dirs(globs.iter().map(String::as_str)) {
        printer.warn(format_args!(
            "PYTHON_DIRS names `{}`, a Python installation (it has bin/python3): PYTHON_DIRS names the directory above the version directories (EasyBuild's layout: python/3.11.5/bin/python3.11), so it finds no interpreter there",
            dir.display()
        ));
        printer.hint(format_args!(
            "PYTHON_DIRS={} (colon-separated globs; each matching directory's `3.X.Y` children are the interpreters)",
            parent.display()
        ));
    }
}
