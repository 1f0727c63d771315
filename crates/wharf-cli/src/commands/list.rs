//! `wharf list`, `wharf freeze`, `wharf check`: what an environment holds, as pip shows it.

use std::path::PathBuf;

use clap::Args;
use wharf_environment::PythonEnvironment;
use wharf_environment::operations;
use wharf_python::PythonEnv;
use wharf_site::SiteEnv;

use crate::ExitStatus;
use crate::commands::outdated::OutdatedArgs;
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
    /// Only distributions installed in the environment (not those on PYTHONPATH; one found there first hides its copy in the environment, as with pip's `--local`)
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

/// `wharf list` arguments: pip 26's `list` options (`--outdated`/`--uptodate` compare with
/// the wheelhouse: [`OutdatedArgs`]).
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Output format
    #[arg(long, value_enum, default_value = "columns")]
    pub format: ListFormat,
    /// List only the packages no other listed package requires (Requires-Dist whose markers hold, extras left out), as pip's `--not-required`
    #[arg(long)]
    pub not_required: bool,
    /// List only editable installs (`install -e`)
    #[arg(short = 'e', long)]
    pub editable: bool,
    /// Leave out editable installs
    #[arg(long, overrides_with = "include_editable")]
    pub exclude_editable: bool,
    /// List editable installs too [default]
    #[arg(long, overrides_with = "exclude_editable")]
    pub include_editable: bool,
    /// List the distributions in this directory (repeatable) instead of those on the interpreter's sys.path, as pip's `--path`
    #[arg(long, value_name = "DIR", conflicts_with = "local")]
    pub path: Vec<PathBuf>,
    /// Refused: wharf lists an environment, not the user site (pip's `--user`)
    #[arg(long)]
    pub user: bool,
    #[command(flatten)]
    pub outdated: OutdatedArgs,
    #[command(flatten)]
    pub env: EnvArgs,
}

/// One listed distribution with what the formats print of it.
struct Listed {
    dist: wharf_install::InstalledDist,
    /// The wheelhouse's newest version, with `--outdated`.
    latest: Option<pep440_rs::Version>,
}

/// The names (normalized) that the distributions `dists` require: each `Requires-Dist` whose
/// markers hold in `markers` with no extra (pip's `iter_dependencies()`); one that does not
/// parse names nothing.
fn required_names(
    dists: &[wharf_install::InstalledDist],
    markers: &pep508_rs::MarkerEnvironment,
) -> std::collections::HashSet<String> {
    dists
        .iter()
        .flat_map(|d| d.requires_dist.iter())
        .filter_map(|text| wharf_metadata::parse_requirement::<pep508_rs::VerbatimUrl>(text).ok())
        .filter(|requirement| requirement.evaluate_markers(markers, &[]))
        .map(|requirement| requirement.name.to_string())
        .collect()
}

/// `path` as Python's `str(pathlib.Path(path))` writes it: no `.` components, no doubled or
/// trailing `/` (pip prints a distribution's location so).
fn pathlib_text(path: &std::path::Path) -> String {
    let components: Vec<std::path::Component<'_>> = path
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect();
    if components.is_empty() {
        return ".".to_string();
    }
    components.iter().collect::<PathBuf>().display().to_string()
}

/// The directory a distribution is installed in (pip's `location`: the parent of its
/// `.dist-info`), ex) `/home/u/env/lib/python3.11/site-packages`.
fn location(dist: &wharf_install::InstalledDist) -> String {
    pathlib_text(dist.site_packages())
}

/// The `Build` header of the distribution's `WHEEL` file (the wheel's build tag), as pip's
/// `list` shows it in a column of its own; `None` without a `WHEEL` (an `.egg-info`).
fn build_tag(dist: &wharf_install::InstalledDist) -> Option<String> {
    let text = std::fs::read_to_string(dist.path.join("WHEEL")).ok()?;
    wharf_metadata::Headers::parse(&text)
        .get("Build")
        .map(str::to_string)
}

/// pip's `tabulate`: each row's cells left-justified to the column's widest cell (in
/// characters), joined by a space, trailing spaces removed; with the header first and a line
/// of `-` (one run per column) under it.
fn columns(header: &[&str], rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([header[i].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &mut dyn Iterator<Item = &str>| -> String {
        let text = cells
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect::<Vec<_>>()
            .join(" ");
        let mut text = text.trim_end().to_string();
        text.push('\n');
        text
    };
    let mut out = line(&mut header.iter().copied());
    out.push_str(
        &widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .join(" "),
    );
    out.push('\n');
    for row in rows {
        out.push_str(&line(&mut row.iter().map(String::as_str)));
    }
    out
}

/// Runs `wharf list`: pip 26's `list`, byte for byte. The distributions of the interpreter's
/// `sys.path` (`--local`: inside the environment; `--path DIR`: in DIR only), first of a name
/// winning; `python`, `wsgiref` and `argparse` left out; `-e` keeps only editable installs,
/// `--exclude-editable` drops them; `--not-required` then keeps those no other listed one
/// requires; `--exclude` drops names; `-o`/`-u` compare with the wheelhouse. Sorted by
/// normalized name. Formats: `columns` (`Package Version`, then `Latest Type` with `-o`,
/// `Build` when a wheel has a build tag, `Editable project location` when one is editable,
/// `Location Installer` with `-v`; nothing at all when nothing is listed), `freeze`
/// (`Name==version`, ` (location)` with `-v`), `json`. A distribution that cannot be read is a
/// warning (stderr); the others are listed.
///
/// Errors (exit 2): `--user`; `--format freeze` with `--outdated`; no wheelhouse for `-o`/`-u`.
pub fn list(
    args: &ListArgs,
    site: &SiteEnv,
    python_env: &PythonEnv,
    printer: Printer,
) -> Result<ExitStatus, Error> {
    if args.outdated.outdated && matches!(args.format, ListFormat::Freeze) {
        return Err(Error::usage(
            "List format 'freeze' cannot be used with the --outdated option.",
            Some("use `--format columns` or `--format json` with `--outdated`".to_string()),
        ));
    }
    let environment = environment(&args.env, site, python_env, printer)?;
    if args.user {
        let (major, minor) = environment.python_version();
        return Err(Error::usage(
            "`--user`: wharf lists an environment (a virtual environment or an interpreter's sys.path), not the user site",
            Some(format!(
                "inside a virtual environment pip's `--user` lists nothing (the user site is not on its sys.path); to list the user site's packages, name its directory: `wharf list --path ~/.local/lib/python{major}.{minor}/site-packages`"
            )),
        ));
    }
    let scan = if args.path.is_empty() {
        environment.scan_sys_path_ordered(args.env.local, environment.pip_order())?
    } else {
        wharf_install::SitePackages::scan_ordered(&args.path, environment.pip_order())
            .map_err(|e| Error::new(e, None, ExitStatus::Error))?
    };
    for error in &scan.errors {
        printer.warn_error(error);
    }
    let include_editable = !args.exclude_editable;
    let mut dists: Vec<wharf_install::InstalledDist> = scan
        .dists
        .into_iter()
        .filter(|d| {
            let editable = d.editable_project_location().is_some();
            (include_editable || !editable)
                && (!args.editable || editable)
                && !["python", "wsgiref", "argparse"].contains(&d.normalized_name().as_str())
        })
        .collect();
    // As pip: what is required is found among the listed distributions, before `--exclude`.
    if args.not_required {
        let required = required_names(&dists, &environment.marker_environment()?);
        dists.retain(|d| !required.contains(&d.normalized_name()));
    }
    let excluded: Vec<String> = args.env.exclude.iter().map(|n| normalized(n)).collect();
    dists.retain(|d| !excluded.contains(&d.normalized_name()));
    let compare = args.outdated.outdated || args.outdated.uptodate;
    let mut listed: Vec<Listed> = if compare {
        let newest = crate::commands::outdated::newest_versions(
            &environment,
            &args.outdated,
            site,
            printer,
        )?;
        dists
            .into_iter()
            .filter_map(|dist| {
                let latest = newest.get(&dist.normalized_name())?.clone();
                crate::commands::outdated::is_listed(&dist.version, &latest, args.outdated.outdated)
                    .then_some(Listed {
                        dist,
                        latest: Some(latest),
                    })
            })
            .collect()
    } else {
        dists
            .into_iter()
            .map(|dist| Listed { dist, latest: None })
            .collect()
    };
    listed.sort_by_key(|l| l.dist.normalized_name());
    let verbose = printer.verbosity() >= 1;
    let outdated = args.outdated.outdated;
    let out = match args.format {
        ListFormat::Freeze => listed.iter().fold(String::new(), |mut out, l| {
            let d = &l.dist;
            let line = match normal_version(&d.version) {
                Some(version) => format!("{}=={version}", d.name),
                None => format!("{}==={}", d.name, d.version),
            };
            if verbose {
                out.push_str(&format!("{line} ({})\n", location(d)));
            } else {
                out.push_str(&line);
                out.push('\n');
            }
            out
        }),
        ListFormat::Columns if listed.is_empty() => String::new(),
        ListFormat::Columns => {
            let mut header = vec!["Package", "Version"];
            if outdated {
                header.extend(["Latest", "Type"]);
            }
            let builds: Vec<Option<String>> = listed.iter().map(|l| build_tag(&l.dist)).collect();
            let has_builds = builds.iter().flatten().any(|b| !b.is_empty());
            if has_builds {
                header.push("Build");
            }
            let editables: Vec<Option<String>> = listed
                .iter()
                .map(|l| l.dist.editable_project_location())
                .collect();
            let has_editables = editables.iter().any(Option::is_some);
            if has_editables {
                header.push("Editable project location");
            }
            if verbose {
                header.extend(["Location", "Installer"]);
            }
            let rows: Vec<Vec<String>> = listed
                .iter()
                .zip(builds)
                .zip(editables)
                .map(|((l, build), editable)| {
                    let mut row = vec![l.dist.name.clone(), l.dist.version.clone()];
                    if outdated {
                        row.push(
                            l.latest
                                .as_ref()
                                .map(ToString::to_string)
                                .unwrap_or_default(),
                        );
                        row.push("wheel".to_string());
                    }
                    if has_builds {
                        row.push(build.unwrap_or_default());
                    }
                    if has_editables {
                        row.push(editable.unwrap_or_default());
                    }
                    if verbose {
                        row.push(location(&l.dist));
                        row.push(l.dist.installer.clone().unwrap_or_default());
                    }
                    row
                })
                .collect();
            columns(&header, &rows)
        }
        ListFormat::Json => {
            let rows: Vec<JsonRow> = listed
                .iter()
                .map(|l| {
                    let d = &l.dist;
                    JsonRow {
                        name: d.name.clone(),
                        version: normal_version(&d.version).unwrap_or_else(|| d.version.clone()),
                        location: verbose.then(|| location(d)),
                        installer: verbose.then(|| d.installer.clone().unwrap_or_default()),
                        latest_version: outdated
                            .then(|| l.latest.as_ref().map(ToString::to_string))
                            .flatten(),
                        latest_filetype: outdated.then(|| "wheel".to_string()),
                        editable_project_location: d.editable_project_location(),
                    }
                })
                .collect();
            let mut s = python_json(&rows);
            s.push('\n');
            s
        }
    };
    Ok(write_stdout(out.as_bytes()))
}

/// One entry of `pip list --format json`, keys in pip's order (`location` and `installer`
/// with `-v`, `latest_*` with `--outdated`, `editable_project_location` for an editable
/// install).
#[derive(serde::Serialize)]
struct JsonRow {
    name: String,
    version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    installer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    latest_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    latest_filetype: Option<String>,
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
    // pip prints the problems in its order of iteration of the distributions.
    let scan = environment.scan_sys_path_ordered(args.env.local, environment.pip_order())?;
    for error in &scan.errors {
        printer.warn_error(error);
    }
    let (dists, unreadable) = (scan.dists, !scan.errors.is_empty());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_as_pips_tabulate() {
        let rows = vec![
            vec!["edit-demo".to_string(), "0.1".to_string(), "/p".to_string()],
            vec!["six".to_string(), "1.16.0".to_string(), String::new()],
        ];
        assert_eq!(
            columns(&["Package", "Version", "Editable project location"], &rows),
            "Package   Version Editable project location\n\
             --------- ------- -------------------------\n\
             edit-demo 0.1     /p\n\
             six       1.16.0\n"
        );
    }

    #[test]
    fn locations_as_pathlib_writes_them() {
        for (path, text) in [
            ("/a/b/", "/a/b"),
            ("./site", "site"),
            ("a//b/./c", "a/b/c"),
            (".", "."),
        ] {
            assert_eq!(pathlib_text(std::path::Path::new(path)), text, "{path}");
        }
    }

    #[test]
    fn required_names_follow_markers_without_extras() {
        let markers = wharf_test_support::linux_cpython_311_markers();
        let dist = wharf_install::InstalledDist {
            name: "a".to_string(),
            version: "1".to_string(),
            path: PathBuf::from("/site/a-1.dist-info"),
            requested: false,
            installer: None,
            requires_dist: [
                "Python_DateUtil>=2",
                "numpy; python_version < '3'",
                "pytz; extra == 'tz'",
                "six; python_version >= '3'",
                "not a requirement ===",
            ]
            .iter()
            .map(ToString::to_string)
            .collect(),
            requires_python: None,
        };
        let mut names: Vec<String> = required_names(&[dist], &markers).into_iter().collect();
        names.sort();
        assert_eq!(names, ["python-dateutil", "six"]);
    }
}
