//! `wharf doctor`: what is wrong with an environment and the shell around it, with the fix.
//! The checks are `wharf_doctor::doctor` (an environment) and `wharf_doctor::shell` (the shell,
//! when there is no environment); this file finds which, gives them the wheelhouse their
//! fixes are checked against, and renders.
//!
//! Which environment: `--python` ▸ `$VIRTUAL_ENV` ▸ the nearest `./.venv` (the current
//! directory or an ancestor, as `wharf install` finds it) ▸ none: then the shell is checked,
//! for users of the module's Python (`python3` on PATH).

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};

use clap::Args;
use owo_colors::OwoColorize as _;
use wharf_doctor::shell::{ShellInput, ShellReport};
use wharf_doctor::wheelhouse::Wheelhouse;
use wharf_doctor::{DoctorInput, DoctorReport, Finding};
use wharf_environment::EnvironmentError;
use wharf_python::PythonEnv;
use wharf_site::{FindLink, FindLinks, SiteEnv};

use crate::commands::write_stdout;
use crate::error::Error;
use crate::settings::GlobalArgs;
use crate::{ExitStatus, Printer};

/// `wharf doctor` arguments.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// The environment: a venv directory or its python [default: $VIRTUAL_ENV, else ./.venv here or above, else the shell: python3 on PATH]
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,
    /// One JSON object on stdout (findings with check, what, cause, evidence, fix)
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub global: GlobalArgs,
}

/// The root of the environment named by `--python` (a directory, or `ENV/bin/python`), else
/// `$VIRTUAL_ENV`, else the nearest `./.venv` (as `wharf install` finds it); `None` when there
/// is none (the shell is then what `wharf doctor` checks).
///
/// Errors: `--python` or `$VIRTUAL_ENV` names a file that is not a venv's interpreter
/// ([`EnvironmentError::NoInterpreter`], exit 2).
pub fn environment_root(python: Option<&Path>, site: &SiteEnv) -> Result<Option<PathBuf>, Error> {
    let Some(given) = python.or(site.virtual_env.as_deref()) else {
        return Ok(wharf_environment::environment::dot_venv());
    };
    if given.is_dir() {
        return Ok(Some(
            std::path::absolute(given).unwrap_or_else(|_| given.to_path_buf()),
        ));
    }
    let absolute = std::path::absolute(given).unwrap_or_else(|_| given.to_path_buf());
    match absolute.parent().and_then(Path::parent) {
        Some(root) if root.join("pyvenv.cfg").exists() => Ok(Some(root.to_path_buf())),
        _ => Err(EnvironmentError::NoInterpreter {
            given: given.to_path_buf(),
            executable: absolute,
        }
        .into()),
    }
}

/// The wheelhouse `wharf install` would read (its find-links: `PIP_FIND_LINKS`, else the pip
/// config's `[install]` or `[global]` `find-links`), which doctor's and explain's fixes are
/// checked against; scanned only when a fix asks. A `PIP_*` setting install would refuse does
/// not stop a diagnosis: the wheelhouse is then the pip config's.
pub fn wheelhouse(site: &SiteEnv, printer: Printer) -> Wheelhouse {
    let config = crate::settings::pip_config(site, printer);
    let flags = crate::settings::InstallFlags::default();
    let find_links = crate::settings::InstallSettings::resolve(&flags, site, config.as_ref())
        .map_or_else(
            |_| {
                config
                    .as_ref()
                    .and_then(|c| c.find_links("install").ok())
                    .map(|links| links.into_iter().map(PathBuf::from).collect())
                    .unwrap_or_default()
            },
            |settings| settings.find_links,
        );
    Wheelhouse::new(
        FindLinks(find_links.into_iter().map(FindLink::new).collect()),
        site.threads(),
        site.catalogue_index_dir(),
    )
}

/// Runs `wharf doctor`: exit 0 when healthy, 1 when anything is wrong, 2 when there is nothing
/// to diagnose (no environment and no `python3` on PATH).
pub fn doctor(
    args: &DoctorArgs,
    site: &SiteEnv,
    python_env: &PythonEnv,
    printer: Printer,
) -> Result<ExitStatus, Error> {
    let wheelhouse = wheelhouse(site, printer);
    let Some(root) = environment_root(args.python.as_deref(), site)? else {
        return shell(args, site, python_env, &wheelhouse, printer);
    };
    let input = DoctorInput {
        root,
        env: &site.vars,
        python_env,
        module_pythons: wharf_site::available_pythons(site.python_dirs()),
        wheelhouse: Some(&wheelhouse),
    };
    let report = wharf_doctor::doctor(&input);
    Ok(emit(
        args.json,
        &report,
        report.is_healthy(),
        |color| render(&report, color),
        printer,
    ))
}

/// `wharf doctor` with no environment: the shell's checks for `python3` on PATH.
fn shell(
    args: &DoctorArgs,
    site: &SiteEnv,
    python_env: &PythonEnv,
    wheelhouse: &Wheelhouse,
    printer: Printer,
) -> Result<ExitStatus, Error> {
    let input = ShellInput {
        env: &site.vars,
        python_env,
        wheelhouse: Some(wheelhouse),
    };
    let report = wharf_doctor::shell::doctor_shell(&input).map_err(|error| {
        let hint = error.hint();
        Error::new(error, Some(hint), ExitStatus::Error)
    })?;
    printer.verbose(
        "no environment (`--python`, VIRTUAL_ENV, ./.venv): checking the shell around `python3`",
    );
    Ok(emit(
        args.json,
        &report,
        report.is_healthy(),
        |color| render_shell(&report, color),
        printer,
    ))
}

/// Writes a report on stdout, as JSON with `healthy` added when `json`, else as `render`
/// draws it (coloured on a terminal); exit 1 when the report is not healthy.
fn emit(
    json: bool,
    report: &impl serde::Serialize,
    healthy: bool,
    render: impl FnOnce(bool) -> String,
    printer: Printer,
) -> ExitStatus {
    let status = if json {
        let mut value = serde_json::to_value(report).unwrap_or_default();
        value["healthy"] = serde_json::Value::Bool(healthy);
        let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
        text.push('\n');
        write_stdout(text.as_bytes())
    } else {
        let color = printer.color() && std::io::stdout().is_terminal();
        write_stdout(render(color).as_bytes())
    };
    match status {
        ExitStatus::Success if !healthy => ExitStatus::Failure,
        other => other,
    }
}

/// The shell's report in the house style, ending with the summary line: `No problems found in
/// the shell (python3 → /usr/bin/python3.11, Python 3.11.2; checks: …)`.
fn render_shell(report: &ShellReport, color: bool) -> String {
    render_report(
        &report.findings,
        &report.notes,
        report.python.as_deref(),
        color,
        |python| {
            format!(
                "the shell ({} → {}, {python}; checks: {})",
                report.interpreter.command,
                report.interpreter.path.display(),
                report.checked.join(", ")
            )
        },
    )
}

/// A report in the house style: each finding, the notes, then `No problems found in …`,
/// `1 problem found in …` or `N problems found in …` with `summary` (given the interpreter's
/// `Python X.Y.Z`, or that it does not run).
fn render_report(
    findings: &[Finding],
    notes: &[String],
    python: Option<&str>,
    color: bool,
    summary: impl FnOnce(&str) -> String,
) -> String {
    let mut out = String::new();
    for finding in findings {
        render_finding(finding, color, &mut out);
        out.push('\n');
    }
    for note in notes {
        out.push_str(&format!("note: {note}\n"));
    }
    let python = python.map_or_else(
        || "interpreter does not run".to_string(),
        |v| format!("Python {v}"),
    );
    let summary = summary(&python);
    match findings.len() {
        0 => out.push_str(&format!("No problems found in {summary}\n")),
        1 => out.push_str(&format!("1 problem found in {summary}\n")),
        n => out.push_str(&format!("{n} problems found in {summary}\n")),
    }
    out
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
    render_report(
        &report.findings,
        &report.notes,
        report.python.as_deref(),
        color,
        |python| {
            format!(
                "{} ({python}; {}, {} checked; checks: {})",
                report.environment.display(),
                crate::printer::plural(report.distributions, "distribution"),
                crate::printer::plural(report.files, "file"),
                report.checked.join(", ")
            )
        },
    )
}
