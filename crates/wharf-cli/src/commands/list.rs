//! `wharf list`, `wharf freeze`, `wharf check`: what an environment holds, as pip shows it.

use std::path::PathBuf;

use clap::Args;
use wharf_environment::PythonEnvironment;
use wharf_environment::operations;
use wharf_python::PythonEnv;
use wharf_site::SiteEnv;

use crate::ExitStatus;
use crate::commands::{report_recovery, write_stdout};
use crate::error::Error;
use crate::printer::Printer;
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

/// `wharf freeze` arguments.
#[derive(Debug, Args)]
pub struct FreezeArgs {
    /// Do not skip pip (nor, on Python < 3.12, setuptools, distribute and wheel), as pip's `--all`
    #[arg(long)]
    pub all: bool,
    /// Leave out editable installs, as pip's `--exclude-editable`
    #[arg(long)]
    pub exclude_editable: bool,
    #[command(flatten)]
    pub env: EnvArgs,
}

/// `wharf check` arguments.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Also verify every file listed in every RECORD (size and sha256, in parallel)
    #[arg(long)]
    pub files: bool,
    /// With --files: hash every file again, ignoring the digests of earlier runs (kept for files whose inode, size, mtime and ctime are unchanged)
    #[arg(long, alias = "no-cache-dir")]
    pub no_cache: bool,
    #[command(flatten)]
    pub env: EnvArgs,
}

fn environment(
    args: &EnvArgs,
    site: &SiteEnv,
    python_env: &PythonEnv,
    printer: Printer,
) -> Result<PythonEnvironment, Error> {
    let environment = PythonEnvironment::find(
        args.python.as_deref(),
        site.virtual_env.as_deref(),
        python_env,
    )?;
    report_recovery(&environment, printer);
    Ok(environment)
}

/// The installed distributions; each one that cannot be read (an unreadable `.dist-info`,
/// no `METADATA`) is a warning naming it. Returns the distributions and whether any was
/// unreadable.
fn installed(
    environment: &PythonEnvironment,
    local: bool,
    printer: Printer,
) -> Result<(Vec<wharf_install::InstalledDist>, bool), Error> {
    let scan = environment.scan_sys_path(local)?;
    for error in &scan.errors {
        printer.warn_error(error);
    }
    Ok((scan.dists, !scan.errors.is_empty()))
}

/// Runs `wharf freeze`: `pip freeze`'s lines (direct URLs, editables) for the environment.
pub fn freeze(
    args: &FreezeArgs,
    site: &SiteEnv,
    python_env: &PythonEnv,
    printer: Printer,
) -> Result<ExitStatus, Error> {
    let environment = environment(&args.env, site, python_env, printer)?;
    let (mut dists, _) = installed(&environment, args.env.local, printer)?;
    if args.exclude_editable {
        dists.retain(|d| d.editable_project_location().is_none());
    }
    let lines = wharf_install::freeze(
        &dists,
        &wharf_install::FreezeOptions {
            all: args.all,
            python_version: environment.python_version(),
            exclude: args.env.exclude.clone(),
        },
    );
    let out = lines.iter().fold(String::new(), |mut out, l| {
        out.push_str(l);
        out.push('\n');
        out
    });
    Ok(write_stdout(out.as_bytes()))
}

/// `version` as pip 26's `list` prints it in the freeze and JSON formats (`str(Version)`: PEP
/// 440 normal form, `1.0-beta1` → `1.0b1`), as written when it is not a valid version.
fn normal_version(version: &str) -> Option<String> {
    <pep440_rs::Version as std::str::FromStr>::from_str(version)
        .ok()
        .map(|v| v.to_string())
}

/// Runs `wharf list`: pip 26's `list` formats, every distribution sorted by normalized name
/// (`--format freeze` is `Name==version` for each, a direct URL or editable install included:
/// `wharf freeze` writes those as pip's `freeze` does). A distribution that cannot be read is
/// a warning (stderr); the others are listed.
pub fn list(
    args: &EnvArgs,
    format: ListFormat,
    site: &SiteEnv,
    python_env: &PythonEnv,
    printer: Printer,
) -> Result<ExitStatus, Error> {
    let environment = environment(args, site, python_env, printer)?;
    let (mut dists, _) = installed(&environment, args.local, printer)?;
    let excluded: Vec<String> = args.exclude.iter().map(|n| normalized(n)).collect();
    dists.retain(|d| {
        !excluded.contains(&d.normalized_name())
            && !["python", "wsgiref", "argparse"].contains(&d.normalized_name().as_str())
    });
    dists.sort_by_key(wharf_install::InstalledDist::normalized_name);
    let out = match format {
        ListFormat::Freeze => dists.iter().fold(String::new(), |mut out, d| {
            match normal_version(&d.version) {
                Some(version) => out.push_str(&format!("{}=={version}\n", d.name)),
                None => out.push_str(&format!("{}==={}\n", d.name, d.version)),
            }
            out
        }),
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
            let rows: Vec<JsonRow> = dists
                .iter()
                .map(|d| JsonRow {
                    name: d.name.clone(),
                    version: normal_version(&d.version).unwrap_or_else(|| d.version.clone()),
                    editable_project_location: d.editable_project_location(),
                })
                .collect();
            let mut s = python_json(&rows);
            s.push('\n');
            s
        }
    };
    Ok(write_stdout(out.as_bytes()))
}

/// One entry of `pip list --format json`, keys in pip's order.
#[derive(serde::Serialize)]
struct JsonRow {
    name: String,
    version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    editable_project_location: Option<String>,
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
/// is installed at a matching version; with `--files`, every file of every `RECORD` has its
/// recorded size and sha256. Exit 1 when something is wrong.
pub fn check(
    args: &CheckArgs,
    site: &SiteEnv,
    python_env: &PythonEnv,
    printer: crate::Printer,
) -> Result<ExitStatus, Error> {
    let environment = environment(&args.env, site, python_env, printer)?;
    let (dists, unreadable) = installed(&environment, args.env.local, printer)?;
    let markers = environment.marker_environment()?;
    let problems = operations::check(&dists, &markers);
    let mut out = String::new();
    if problems.is_empty() {
        out.push_str("No broken requirements found.\n");
    }
    for problem in &problems {
        out.push_str(&problem.to_string());
        out.push('\n');
    }
    let mut damaged = false;
    let mut shared_hint = None;
    if args.files {
        let own = environment.installed()?;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(site.threads())
            .build()
            .ok();
        let cache_dir = if args.no_cache {
            None
        } else {
            site.vars.cache_dir()
        };
        let digests = wharf_digest::DigestCache::open(
            cache_dir.as_deref(),
            &wharf_digest::scope_of(&environment.root),
        );
        let verify = || wharf_doctor::verify_files(&own, wharf_doctor::VerifyMode::Full, &digests);
        let report = match &pool {
            Some(pool) => pool.install(verify),
            None => verify(),
        };
        if let Err(e) = digests.save() {
            printer.verbose(format_args!("the file digest cache was not kept: {e}"));
        }
        printer.verbose(format_args!(
            "{} MB hashed; {} of {} files unchanged since an earlier check (not read)",
            report.bytes_hashed / 1_000_000,
            digests.hits(),
            report.files
        ));
        for problem in &report.problems {
            let note = if problem.stale_record {
                " (RECORD copied by pip from a re-tagged site wheel: expected)"
            } else {
                ""
            };
            out.push_str(&format!(
                "{} {}: {}: {}{note}{}\n",
                problem.dist,
                problem.version,
                problem.path.display(),
                problem.damage,
                problem.shared_note()
            ));
        }
        for (name, error) in &report.unreadable {
            out.push_str(&format!("{name}: cannot read RECORD: {error}\n"));
        }
        let bad = report.damage().count();
        damaged = bad > 0 || !report.unreadable.is_empty();
        shared_hint = wharf_doctor::files::shared_hint(&report);
        if bad == 0 {
            out.push_str(&format!(
                "All {} files of {} distributions match their RECORD.\n",
                report.files, report.dists
            ));
        } else {
            out.push_str(&format!(
                "{bad} of {} files of {} distributions do not match their RECORD.\n",
                report.files, report.dists
            ));
        }
    }
    let status = write_stdout(out.as_bytes());
    if damaged {
        printer.hint(
            "reinstall each damaged distribution: `wharf install --reinstall NAME==VERSION`; `wharf doctor` names them",
        );
    }
    if let Some(hint) = shared_hint {
        printer.hint(hint);
    }
    if problems.is_empty() && !damaged && !unreadable {
        Ok(status)
    } else {
        Ok(ExitStatus::Failure)
    }
}

/// `value` as Python's `json.dumps` writes it by default (`", "` between items, `": "` after
/// keys, non-ASCII escaped), which is what `pip list --format=json` prints: wharf's output is
/// then byte for byte pip's.
pub fn python_json(value: &impl serde::Serialize) -> String {
    /// `", "` before every item but the first, as Python's default `item_separator`.
    fn separator<W: ?Sized + std::io::Write>(writer: &mut W, first: bool) -> std::io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }
    struct PythonFormatter;
    impl serde_json::ser::Formatter for PythonFormatter {
        fn begin_array_value<W: ?Sized + std::io::Write>(
            &mut self,
            writer: &mut W,
            first: bool,
        ) -> std::io::Result<()> {
            separator(writer, first)
        }
        fn begin_object_key<W: ?Sized + std::io::Write>(
            &mut self,
            writer: &mut W,
            first: bool,
        ) -> std::io::Result<()> {
            separator(writer, first)
        }
        fn begin_object_value<W: ?Sized + std::io::Write>(
            &mut self,
            writer: &mut W,
        ) -> std::io::Result<()> {
            writer.write_all(b": ")
        }
        fn write_string_fragment<W: ?Sized + std::io::Write>(
            &mut self,
            writer: &mut W,
            fragment: &str,
        ) -> std::io::Result<()> {
            // `ensure_ascii=True`: every character outside ASCII as `\uXXXX` (UTF-16 units).
            for c in fragment.chars() {
                if c.is_ascii() {
                    writer.write_all(&[c as u8])?;
                } else {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        write!(writer, "\\u{unit:04x}")?;
                    }
                }
            }
            Ok(())
        }
    }
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, PythonFormatter);
    if value.serialize(&mut serializer).is_err() {
        return String::new();
    }
    String::from_utf8(out).unwrap_or_default()
}
