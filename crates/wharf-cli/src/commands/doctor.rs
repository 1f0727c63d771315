//! `wharf doctor`: what is wrong with an environment and the shell around it, with the fix.
//! The checks are `wharf_doctor::doctor`; this file resolves the environment and renders.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};

use clap::Args;
use owo_colors::OwoColorize as _;
use wharf_doctor::{DoctorInput, DoctorReport, Finding};
use wharf_environment::EnvironmentError;
use wharf_python::PythonEnv;
use wharf_site::SiteEnv;

use crate::commands::write_stdout;
use crate::error::Error;
use crate::settings::GlobalArgs;
use crate::{ExitStatus, Printer};

/// `wharf doctor` arguments.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// The environment: a venv directory or its python [default: $VIRTUAL_ENV]
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,
    /// One JSON object on stdout (findings with check, what, cause, evidence, fix)
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub global: GlobalArgs,
}

/// The root of the environment named by `--python` (a directory, or `ENV/bin/python`), else
/// `$VIRTUAL_ENV`.
pub fn environment_root(python: Option<&Path>, site: &SiteEnv) -> Result<PathBuf, Error> {
    let Some(given) = python.or(site.virtual_env.as_deref()) else {
        return Err(EnvironmentError::NoEnvironment.into());
    };
    if given.is_dir() {
        return Ok(std::path::absolute(given).unwrap_or_else(|_| given.to_path_buf()));
    }
    let absolute = std::path::absolute(given).unwrap_or_else(|_| given.to_path_buf());
    match absolute.parent().and_then(Path::parent) {
        Some(root) if root.join("pyvenv.cfg").exists() => Ok(root.to_path_buf()),
        _ => Err(EnvironmentError::NoInterpreter {
            given: given.to_path_buf(),
            executable: absolute,
        }
        .into()),
    }
}

/// Runs `wharf doctor`: exit 0 when healthy, 1 when anything is wrong.
pub fn doctor(
    args: &DoctorArgs,
    site: &SiteEnv,
    python_env: &PythonEnv,
    printer: Printer,
) -> Result<ExitStatus, Error> {
    let root = environment_root(args.python.as_deref(), site)?;
    let input = DoctorInput {
        root,
        env: &site.vars,
        python_env,
        module_pythons: wharf_site::available_pythons(site.python_dirs()),
    };
    let report = wharf_doctor::doctor(&input);
    let status = if args.json {
        let mut value = serde_json::to_value(&report).unwrap_or_default();
        value["healthy"] = serde_json::Value::Bool(report.is_healthy());
        let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
        text.push('\n');
        write_stdout(text.as_bytes())
    } else {
        let color = printer.color() && std::io::stdout().is_terminal();
        write_stdout(render(&report, color).as_bytes())
    };
    Ok(match status {
        ExitStatus::Success if !report.is_healthy() => ExitStatus::Failure,
        other => other,
    })
}

/// One diagnosis as `doctor` and `explain` print it (house style): `error: what [tag]`, its
/// cause, the text it matched (explain), each piece of evidence, then `hint: fix`.
pub struct Diagnosis<'a> {
    /// What is wrong, one line.
    pub what: &'a str,
    /// The catalogue entry or check, ex) `numpy-abi`.
    pub tag: &'a str,
    /// Why.
    pub cause: &'a str,
    /// The line of the user's text it matched (`explain` only).
    pub matched: Option<&'a str>,
    /// What was found, one line each.
    pub evidence: &'a [String],
    /// The command that fixes it.
    pub fix: Option<&'a str>,
}

/// Appends `diagnosis` to `out`, the labels coloured when `color`.
pub fn render_diagnosis(diagnosis: &Diagnosis<'_>, color: bool, out: &mut String) {
    out.push_str(&format!(
        "{}: {} [{}]\n",
        paint_label("error", color),
        diagnosis.what,
        diagnosis.tag
    ));
    out.push_str(&format!("  Caused by: {}\n", diagnosis.cause));
    if let Some(matched) = diagnosis.matched {
        out.push_str(&format!("  matched: {matched}\n"));
    }
    for line in diagnosis.evidence {
        out.push_str(&format!("  evidence: {line}\n"));
    }
    if let Some(fix) = diagnosis.fix {
        out.push_str(&format!("{}: {fix}\n", paint_label("hint", color)));
    }
}

/// `error` (red) or `hint` (cyan), bold, when `color`; plain otherwise.
pub fn paint_label(label: &str, color: bool) -> String {
    match (color, label) {
        (false, _) => label.to_string(),
        (true, "error") => label.red().bold().to_string(),
        (true, _) => label.cyan().bold().to_string(),
    }
}

/// One finding in the house style: `error: what`, its cause and evidence indented, `hint: fix`.
pub fn render_finding(finding: &Finding, color: bool, out: &mut String) {
    render_diagnosis(
        &Diagnosis {
            what: &finding.what,
            tag: finding.check,
            cause: &finding.cause,
            matched: None,
            evidence: &finding.evidence,
            fix: finding.fix.as_deref(),
        },
        color,
        out,
    );
}

fn render(report: &DoctorReport, color: bool) -> String {
    let mut out = String::new();
    for finding in &report.findings {
        render_finding(finding, color, &mut out);
        out.push('\n');
    }
    for note in &report.notes {
        out.push_str(&format!("note: {note}\n"));
    }
    let python = report.python.as_deref().map_or_else(
        || "interpreter does not run".to_string(),
        |v| format!("Python {v}"),
    );
    let summary = format!(
        "{} ({python}; {}, {} checked; checks: {})",
        report.environment.display(),
        crate::printer::plural(report.distributions, "distribution"),
        crate::printer::plural(report.files, "file"),
        report.checked.join(", ")
    );
    match report.findings.len() {
        0 => out.push_str(&format!("No problems found in {summary}\n")),
        1 => out.push_str(&format!("1 problem found in {summary}\n")),
        n => out.push_str(&format!("{n} problems found in {summary}\n")),
    }
    out
}
