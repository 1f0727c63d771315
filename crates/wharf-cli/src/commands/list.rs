//! `wharf list`, `wharf freeze`, `wharf check`: what an environment holds, as pip shows it.

use std::path::PathBuf;

use clap::Args;
use wharf_environment::PythonEnvironment;
use wharf_environment::operations;
use wharf_python::PythonEnv;
use wharf_site::SiteEnv;

use crate::ExitStatus;
use crate::commands::write_stdout;
use crate::error::Error;
use crate::settings::GlobalArgs;

/// `wharf list` output formats.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ListFormat {
    /// `Package Version` columns, as `pip list`
    Columns,
    /// `name==version` lines, as `pip freeze`
    Freeze,
    /// A JSON array of `{"name", "version"}`
    Json,
}

/// `wharf list` / `wharf freeze` / `wharf check` arguments.
#[derive(Debug, Args)]
pub struct EnvArgs {
    /// The environment: a venv directory or its python [default: $VIRTUAL_ENV]
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,
    /// Only distributions installed in the environment (not those on PYTHONPATH)
    #[arg(short, long)]
    pub local: bool,
    /// Leave out this package (repeatable), as pip's `--exclude`
    #[arg(long, value_name = "PACKAGE")]
    pub exclude: Vec<String>,
    #[command(flatten)]
    pub global: GlobalArgs,
}

fn environment(
    args: &EnvArgs,
    site: &SiteEnv,
    python_env: &PythonEnv,
) -> Result<PythonEnvironment, Error> {
    Ok(PythonEnvironment::find(
        args.python.as_deref(),
        site.virtual_env.as_deref(),
        python_env,
    )?)
}

/// Runs `wharf list` (and `wharf freeze`, which is `--format freeze`).
pub fn list(
    args: &EnvArgs,
    format: ListFormat,
    site: &SiteEnv,
    python_env: &PythonEnv,
) -> Result<ExitStatus, Error> {
    let environment = environment(args, site, python_env)?;
    let mut dists = environment.installed_on_sys_path(args.local)?;
    let excluded: Vec<String> = args.exclude.iter().map(|n| normalized(n)).collect();
    dists.retain(|d| !excluded.contains(&d.normalized_name()));
    let out = match format {
        ListFormat::Freeze => {
            let lines = wharf_install::freeze(
                &dists,
                &wharf_install::FreezeOptions {
                    all: false,
                    python_version: environment.python_version(),
                    exclude: args.exclude.clone(),
                },
            );
            lines.iter().fold(String::new(), |mut out, l| {
                out.push_str(l);
                out.push('\n');
                out
            })
        }
        ListFormat::Columns => {
            let mut rows: Vec<(String, String)> = dists
                .iter()
                .map(|d| (d.name.clone(), d.version.clone()))
                .collect();
            rows.sort_by_key(|(n, _)| n.to_lowercase());
            let w0 = rows
                .iter()
                .map(|r| r.0.chars().count())
                .max()
                .unwrap_or(0)
                .max(7);
            let w1 = rows
                .iter()
                .map(|r| r.1.chars().count())
                .max()
                .unwrap_or(0)
                .max(7);
            let mut out = format!(
                "{:<w0$} {:<w1$}\n{} {}\n",
                "Package",
                "Version",
                "-".repeat(w0),
                "-".repeat(w1)
            );
            for (name, version) in rows {
                out.push_str(format!("{name:<w0$} {version:<w1$}").trim_end());
                out.push('\n');
            }
            out
        }
        ListFormat::Json => {
            let mut rows: Vec<serde_json::Value> = dists
                .iter()
                .map(|d| serde_json::json!({"name": d.name, "version": d.version}))
                .collect();
            rows.sort_by_key(|v| v["name"].as_str().unwrap_or_default().to_lowercase());
            let mut s = serde_json::to_string(&rows).unwrap_or_default();
            s.push('\n');
            s
        }
    };
    Ok(write_stdout(out.as_bytes()))
}

/// The PEP 503 normalized form of a name.
fn normalized(name: &str) -> String {
    name.split(['-', '_', '.'])
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-")
        .to_lowercase()
}

/// Runs `wharf check` (like `pip check`): every requirement of every installed distribution
/// is installed at a matching version. Exit 1 when one is not.
pub fn check(args: &EnvArgs, site: &SiteEnv, python_env: &PythonEnv) -> Result<ExitStatus, Error> {
    let environment = environment(args, site, python_env)?;
    let dists = environment.installed_on_sys_path(args.local)?;
    let markers = environment.marker_environment()?;
    let problems = operations::check(&dists, &markers);
    if problems.is_empty() {
        return Ok(write_stdout(b"No broken requirements found.\n"));
    }
    let out = problems.iter().fold(String::new(), |mut out, p| {
        out.push_str(&p.to_string());
        out.push('\n');
        out
    });
    let _ = write_stdout(out.as_bytes());
    Ok(ExitStatus::Failure)
}
