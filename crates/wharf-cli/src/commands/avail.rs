//! `wharf avail` / `avail_wheels`: list the wheelhouse, byte-identical to `avail_wheels`
//! 2.1.3, plus `--json` and `--explain`.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::{Args, builder::PossibleValuesParser};
use serde::Serialize;
use wharf_avail::{AvailQuery, AvailRequirement, AvailSpecifiers, Column, Group, NotAvailable};
use wharf_requirements_txt::RequirementsTxt;
use wharf_site::{Catalogue, FindLinks, PipConfig, PythonVersion, SiteEnv, available_pythons};
use wharf_tabulate::TableFormat;

use crate::commands::write_stdout;
use crate::{ExitStatus, Printer};

/// The description `--help` shows (the defaults `avail_wheels` documents).
pub const LONG_ABOUT: &str = "List currently available wheels patterns from the wheelhouse. By default, it will:
    - only show you the latest version of a specific package (unless versions are given);
    - only show you versions that are compatible with the python module (if one loaded) or virtual environment (if activated), otherwise all python versions will be shown;
    - only show you versions that are compatible with the CPU architecture and software environment (StdEnv) that you are currently running on.";

/// Usage examples shown after `--help`.
pub const EXAMPLES: &str = "Examples:
    avail_wheels \"*cdf*\"
    avail_wheels numpy -v \"1.21.*\"
    avail_wheels numpy --all-versions
    avail_wheels numpy==1.21
    avail_wheels \"numpy>=1.21\"
    avail_wheels numpy --python 3.8 3.10
    avail_wheels -r requirements.txt
    avail_wheels 'dgl-cpu<0.6.0' -r requirements.txt
    wharf avail numpy --json
    wharf avail --explain numpy";

fn column_names() -> Vec<&'static str> {
    Column::ALL.iter().map(|c| c.as_str()).collect()
}

fn format_names() -> Vec<&'static str> {
    TableFormat::ALL.iter().map(|f| f.as_str()).collect()
}

/// The arguments of `avail_wheels` 2.1.3, same names and meanings, plus `--json` and
/// `--explain`. Syntax only: values are checked in the settings step.
#[derive(Debug, Args)]
#[command(disable_version_flag = true, infer_long_args = true)]
pub struct AvailArgs {
    /// Print the avail_wheels version this is compatible with
    #[arg(short = 'V', action = clap::ArgAction::Version)]
    pub show_version: Option<bool>,

    /// Specify the name to look for (case insensitive; `*` globs; PEP 440 specifiers, e.g. "numpy>=1.22")
    #[arg(value_name = "wheel")]
    pub wheel: Vec<String>,

    /// Specify the name to look for (case insensitive)
    #[arg(short = 'n', long = "name", num_args = 1.., value_name = "NAME")]
    pub name: Vec<String>,

    /// Same as: --all-versions --all-pythons --all-archs
    #[arg(long)]
    pub all: bool,

    /// Read requirements from the given files (pip requirements format, or pyproject.toml [project].dependencies); can be used multiple times
    #[arg(short = 'r', long = "requirement", num_args = 1.., value_name = "file")]
    pub requirements: Vec<PathBuf>,

    /// Specify the version to look for (as `==VERSION`; `1.21.*` wildcards allowed)
    #[arg(
        short = 'v',
        long = "version",
        value_name = "version",
        help_heading = "Version",
        conflicts_with = "all_versions"
    )]
    pub specifier: Option<String>,

    /// Show all versions of each wheel [default: only the latest]
    #[arg(
        long = "all-versions",
        visible_alias = "all_versions",
        help_heading = "Version"
    )]
    pub all_versions: bool,

    /// Specify the python versions to look for [default: the loaded python module or active virtual environment, else all]
    #[arg(short = 'p', long = "python", num_args = 1.., value_name = "python", help_heading = "Python", conflicts_with = "all_pythons")]
    pub python: Vec<String>,

    /// Show all pythons of each wheel
    #[arg(
        long = "all-pythons",
        visible_alias = "all_pythons",
        help_heading = "Python"
    )]
    pub all_pythons: bool,

    /// Specify the architectures to look for, among the directories of $PIP_CONFIG_FILE
    #[arg(short = 'a', long = "arch", num_args = 1.., value_name = "arch", help_heading = "Architecture", conflicts_with = "all_archs")]
    pub arch: Vec<String>,

    /// Show all architectures of each wheel, among the directories of $PIP_CONFIG_FILE
    #[arg(
        long = "all-archs",
        visible_alias = "all_archs",
        help_heading = "Architecture"
    )]
    pub all_archs: bool,

    /// Print a mediawiki table
    #[arg(long, help_heading = "Display")]
    pub mediawiki: bool,

    /// Print the table in the given format
    #[arg(long, default_value = "simple", value_parser = PossibleValuesParser::new(format_names()), help_heading = "Display")]
    pub format: String,

    /// Print raw file names; has precedence over the other display options
    #[arg(long, help_heading = "Display")]
    pub raw: bool,

    /// Specify and order the columns to display [default: name version python arch]
    #[arg(long, num_args = 1.., value_parser = PossibleValuesParser::new(column_names()), help_heading = "Display")]
    pub column: Vec<String>,

    /// Condense wheel information into one line per project
    #[arg(long, help_heading = "Display")]
    pub condense: bool,

    /// Also display the requested names that are not available
    #[arg(long = "not-available", help_heading = "Display")]
    pub not_available: bool,

    /// Display only the requested names that are not available
    #[arg(long = "not-available-only", help_heading = "Display")]
    pub not_available_only: bool,

    /// Print one JSON object per wheel (name, version, local version, build, tags, arch, path) instead of a table
    #[arg(long, help_heading = "Display")]
    pub json: bool,

    /// Explain why NAME has no compatible wheel: what exists for other Pythons, archs and versions, and the `module load` that would see it
    #[arg(long, value_name = "NAME", help_heading = "Display")]
    pub explain: Option<String>,
}

/// The `avail_wheels` command, for the binary invoked under that name.
pub fn avail_wheels_command() -> clap::Command {
    AvailArgs::augment_args(
        clap::Command::new("avail_wheels")
            .version("2.1.3")
            .disable_version_flag(true)
            .infer_long_args(true),
    )
    .about(LONG_ABOUT.lines().next().unwrap_or_default())
    .long_about(LONG_ABOUT)
    .after_help(EXAMPLES)
}

/// Usage errors found after parsing (bad choices, bad requirements): exit 2.
fn usage_error(printer: Printer, message: &str, hint: Option<&str>) -> ExitStatus {
    printer.error_message(message);
    if let Some(hint) = hint {
        printer.hint(hint);
    }
    ExitStatus::Error
}

/// The Python `major.minor` of the environment: the active venv's `pyvenv.cfg` (read, not
/// run), else the loaded module's `EBVERSIONPYTHON`.
fn current_python(env: &SiteEnv, printer: Printer) -> Option<PythonVersion> {
    if let Some(venv) = &env.virtual_env {
        let cfg = venv.join("pyvenv.cfg");
        match wharf_python::PyvenvCfg::read(&cfg) {
            Ok(parsed) => {
                if let Some(v) = parsed.version_text().and_then(|v| v.parse().ok()) {
                    return Some(v);
                }
                printer.warn(format_args!(
                    "`{}` has no `version`; ignoring VIRTUAL_ENV",
                    cfg.display()
                ));
            }
            Err(e) => printer.warn(format_args!(
                "cannot read `{}` ({}); ignoring VIRTUAL_ENV",
                cfg.display(),
                e.io_error()
                    .map_or_else(|| e.to_string(), ToString::to_string)
            )),
        }
    }
    env.ebversionpython.as_deref().and_then(|v| v.parse().ok())
}

/// The search paths: `[wheel] find-links` of `PIP_CONFIG_FILE`, or, when it is unset,
/// empty or unusable (reported), every directory two levels below the wheelhouse.
pub(crate) fn search_paths(env: &SiteEnv, printer: Printer) -> FindLinks {
    let mut warnings = Vec::new();
    if let Some(config) = env
        .pip_config_file
        .as_deref()
        .filter(|p| !p.as_os_str().is_empty())
    {
        match PipConfig::read(config).and_then(|c| c.find_links("wheel")) {
            Ok(paths) => return FindLinks::from_paths(paths),
            Err(e) => {
                printer.warn(format_args!("{e}"));
                printer.hint(format_args!(
                    "listing every directory two levels below the wheelhouse `{}` instead",
                    env.wheelhouse().display()
                ));
            }
        }
    }
    let links = FindLinks::walk_wheelhouse(&env.wheelhouse(), &mut warnings);
    for w in warnings {
        printer.warn(format_args!("{w}"));
    }
    links
}

/// Reads requirement texts from `-r` files; editable lines are reported and skipped.
fn requirement_file_texts(
    files: &[PathBuf],
    env: &SiteEnv,
    printer: Printer,
) -> Result<Vec<String>, String> {
    let mut texts = Vec::new();
    for file in files {
        let parsed =
            RequirementsTxt::parse_file(file, &|name: &str| env.lookup(name)).map_err(|e| {
                let mut message = e.to_string();
                let mut source = std::error::Error::source(&e);
                while let Some(cause) = source {
                    let _ = write!(message, "\n  Caused by: {cause}");
                    source = cause.source();
                }
                message
            })?;
        for entry in parsed.editables {
            printer.warn(format_args!(
                "{}: editable requirement `{}` skipped",
                entry.origin, entry.text
            ));
        }
        texts.extend(
            parsed
                .requirements
                .into_iter()
                .chain(parsed.constraints)
                .map(|e| e.text),
        );
    }
    Ok(texts)
}

#[derive(Serialize)]
struct JsonWheel<'a> {
    name: String,
    available: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    filename: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    local_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    build: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    arch: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<String>,
}

fn json_output(groups: &[Group<'_>], catalogue: &Catalogue) -> Vec<u8> {
    let mut out = b"[".to_vec();
    let mut first = true;
    for group in groups {
        let items: Vec<JsonWheel<'_>> = match group {
            Group::NotAvailable(key) => vec![JsonWheel {
                name: wharf_avail::normalize_pattern(key),
                available: false,
                filename: None,
                version: None,
                local_version: None,
                build: None,
                tags: Vec::new(),
                arch: None,
                path: None,
            }],
            Group::Wheels(wheels) => wheels
                .iter()
                .map(|w| {
                    let f = &w.filename;
                    let mut tags = Vec::new();
                    for p in &f.python_tags {
                        for a in &f.abi_tags {
                            for pl in &f.platform_tags {
                                tags.push(format!("{p}-{a}-{pl}"));
                            }
                        }
                    }
                    JsonWheel {
                        name: f.name.to_string(),
                        available: true,
                        filename: Some(w.file_name()),
                        version: Some(f.version.clone().without_local().to_string()),
                        local_version: Column::LocalVersion.value(w, catalogue),
                        build: f.build_tag.as_ref().map(ToString::to_string),
                        tags,
                        arch: Some(&catalogue.find_links.0[w.find_link].arch),
                        path: Some(w.path.display().to_string()),
                    }
                })
                .collect(),
        };
        for item in items {
            out.extend_from_slice(if first { b"\n" } else { b",\n" });
            first = false;
            serde_json::to_writer(&mut out, &item).expect("serializable");
        }
    }
    out.extend_from_slice(b"\n]\n");
    out
}

/// Runs `wharf avail` / `avail_wheels` on the calling thread: a 30 000-wheel listing takes
/// ~30 ms on one, and pool threads woken after an idle moment cost more than they save
/// (BENCHMARKS.md, "one thread").
pub fn avail(args: AvailArgs, env: &SiteEnv, printer: Printer) -> ExitStatus {
    list(args, env, printer)
}

fn list(mut args: AvailArgs, env: &SiteEnv, printer: Printer) -> ExitStatus {
    if args.all {
        if !args.arch.is_empty() || args.specifier.is_some() || !args.python.is_empty() {
            printer.warn("ignoring --arch, --version and --python since --all is set");
        }
        args.all_archs = true;
        args.all_versions = true;
        args.all_pythons = true;
        args.arch.clear();
        args.python.clear();
        args.specifier = None;
    }

    // Pythons.
    let module_pythons = available_pythons(env.python_dirs());
    let mut pythons = Vec::new();
    for p in &args.python {
        match p.parse::<PythonVersion>() {
            Ok(v) if module_pythons.contains(&v) => pythons.push(v),
            _ => {
                let choices = module_pythons
                    .iter()
                    .map(|v| format!("'{v}'"))
                    .collect::<Vec<_>>()
                    .join(", ");
                return usage_error(
                    printer,
                    &format!("invalid value '{p}' for '--python': choose from {choices}"),
                    Some("the choices are the Python versions installed as modules (PYTHON_DIRS)"),
                );
            }
        }
    }
    if args.all_pythons {
        pythons.clone_from(&module_pythons);
    } else if pythons.is_empty() {
        pythons = match current_python(env, printer) {
            Some(v) => vec![v],
            None => module_pythons.clone(),
        };
    }

    // Archs.
    let archs = env.available_archs();
    for a in &args.arch {
        if !archs.contains(&a.as_str()) {
            let choices = archs
                .iter()
                .map(|v| format!("'{v}'"))
                .collect::<Vec<_>>()
                .join(", ");
            return usage_error(
                printer,
                &format!("invalid value '{a}' for '--arch': choose from {choices}"),
                Some(
                    "the choices follow EBVERSIONGENTOO (2023 and later: x86-64-v3, x86-64-v4, generic)",
                ),
            );
        }
    }

    // Requirements: files first, then the command line (which wins on the same name).
    let file_texts = match requirement_file_texts(&args.requirements, env, printer) {
        Ok(t) => t,
        Err(message) => {
            return usage_error(
                printer,
                &message,
                Some("fix or remove the requirements file given with -r"),
            );
        }
    };
    let version_override = match args.specifier.as_deref().map(AvailSpecifiers::equal_to) {
        None => None,
        Some(Ok(s)) => Some(s),
        Some(Err(bad)) => {
            return usage_error(
                printer,
                &format!(
                    "invalid version `{}` for '--version' (`{bad}` is not a specifier)",
                    args.specifier.unwrap_or_default()
                ),
                Some("give a PEP 440 version, e.g. `-v 1.21.*` or `-v 1.21.2`"),
            );
        }
    };
    let mut requirements: Vec<AvailRequirement> = Vec::new();
    let cli_texts = args.wheel.iter().chain(&args.name);
    for (text, from_cli) in file_texts
        .iter()
        .map(|t| (t, false))
        .chain(cli_texts.map(|t| (t, true)))
    {
        let mut requirement = match AvailRequirement::parse(text) {
            Ok(r) => r,
            Err(e) => {
                return usage_error(
                    printer,
                    &e.to_string(),
                    Some(
                        "quote requirements with `<`, `>` or `*` in the shell, e.g. \"numpy>=1.22\"",
                    ),
                );
            }
        };
        if from_cli && let Some(spec) = &version_override {
            requirement.specifiers = spec.clone();
        }
        if requirement.specifiers.has_legacy() {
            printer.warn(format_args!(
                "`{text}`: a specifier that is not PEP 440 matches no version; use `1.2.*` rather than `1.2*`"
            ));
        }
        if let Some(pos) = requirements
            .iter()
            .position(|r| r.display_key() == requirement.display_key())
        {
            requirements[pos] = requirement;
        } else {
            requirements.push(requirement);
        }
    }
    if let Some(spec) = &version_override
        && spec.has_legacy()
        && requirements.is_empty()
    {
        printer.warn(
            "a --version that is not PEP 440 matches no version; use `1.2.*` rather than `1.2*`",
        );
    }

    // Search paths.
    let all_links = search_paths(env, printer);
    let links = if args.arch.is_empty() {
        all_links
    } else {
        all_links.filter_archs(&args.arch)
    };

    if let Some(name) = &args.explain {
        return explain(name, &links, &module_pythons, &pythons, env, printer);
    }

    let query = AvailQuery {
        requirements: (!requirements.is_empty()).then_some(requirements),
        pythons,
        latest: !args.all_versions && args.specifier.is_none(),
    };
    let catalogue = Catalogue::scan_with_index(
        links,
        1,
        query.file_name_filter(),
        env.catalogue_index_dir().as_deref(),
    );
    for warning in &catalogue.warnings {
        printer.warn(format_args!("{warning}"));
        if let Some(source) = std::error::Error::source(warning) {
            eprintln!("  Caused by: {source}");
        }
    }
    let not_available = if args.not_available_only {
        NotAvailable::Only
    } else if args.not_available {
        NotAvailable::Also
    } else {
        NotAvailable::Hide
    };
    let groups = wharf_avail::select(&catalogue, &query, not_available);

    if args.json {
        return write_stdout(&json_output(&groups, &catalogue));
    }
    if args.raw {
        let mut out = String::new();
        for group in &groups {
            match group {
                Group::NotAvailable(key) => {
                    out.push_str(key);
                    out.push('\n');
                }
                Group::Wheels(wheels) => {
                    for w in wheels {
                        out.push_str(w.file_name());
                        out.push('\n');
                    }
                }
            }
        }
        return write_stdout(out.as_bytes());
    }
    let columns: Vec<Column> = if args.column.is_empty() {
        Column::DEFAULT.to_vec()
    } else {
        args.column.iter().filter_map(|c| c.parse().ok()).collect()
    };
    let rows = wharf_avail::rows(&groups, &columns, &catalogue, args.condense);
    let headers: Vec<&str> = columns.iter().map(|c| c.as_str()).collect();
    let format = if args.mediawiki {
        TableFormat::Mediawiki
    } else {
        args.format.parse().unwrap_or(TableFormat::Simple)
    };
    let row_slices: Vec<&[Option<std::borrow::Cow<'_, str>>]> =
        rows.chunks(columns.len().max(1)).collect();
    let mut table = wharf_tabulate::tabulate(&headers, &row_slices, format);
    table.push('\n');
    let status = write_stdout(table.as_bytes());
    // The process ends next: freeing ~100 000 small allocations one by one would cost
    // more than a tenth of a large listing.
    std::mem::forget(row_slices);
    std::mem::forget(rows);
    std::mem::forget(groups);
    std::mem::forget(catalogue);
    std::mem::forget(table);
    status
}

fn explain(
    name: &str,
    links: &FindLinks,
    module_pythons: &[PythonVersion],
    pythons: &[PythonVersion],
    env: &SiteEnv,
    printer: Printer,
) -> ExitStatus {
    let requirement = match AvailRequirement::parse(name) {
        Ok(r) => r,
        Err(e) => return usage_error(printer, &e.to_string(), None),
    };
    let explanation = explain_requirement(&requirement, links, env, pythons, module_pythons);
    let mut out = explanation.lines.join("\n");
    out.push('\n');
    match write_stdout(out.as_bytes()) {
        ExitStatus::Success if !explanation.available => ExitStatus::Failure,
        status => status,
    }
}

/// [`wharf_avail::explain`] of `requirement` over the directories `searched` (the user's
/// find-links) and the whole wheelhouse of `env`, on the calling thread. Both are read for
/// the requirement's name only; when neither holds a wheel of that name, both are read whole,
/// so that a misspelt name (`scikitlearn`) is answered with the similar names that exist.
/// `pythons`: the selected Python versions; `module_pythons`: those modules offer.
pub fn explain_requirement(
    requirement: &AvailRequirement,
    searched: &FindLinks,
    env: &SiteEnv,
    pythons: &[PythonVersion],
    module_pythons: &[PythonVersion],
) -> wharf_avail::Explanation {
    let index = env.catalogue_index_dir();
    let everywhere = FindLinks::walk_wheelhouse(&env.wheelhouse(), &mut Vec::new());
    let scan = |links: &FindLinks, named_only: bool| {
        let keep = |file: &str| {
            let distribution = file.split('-').next().unwrap_or_default();
            !named_only || requirement.matches_name(&wharf_avail::normalize_pattern(distribution))
        };
        Catalogue::scan_with_index(links.clone(), 1, keep, index.as_deref())
    };
    let mut in_searched = scan(searched, true);
    let mut in_wheelhouse = scan(&everywhere, true);
    if in_searched.entries.is_empty() && in_wheelhouse.entries.is_empty() {
        in_searched = scan(searched, false);
        in_wheelhouse = scan(&everywhere, false);
    }
    wharf_avail::explain(
        requirement,
        &in_searched,
        &in_wheelhouse,
        pythons,
        module_pythons,
    )
}

/// `--help` text, for snapshot tests.
pub fn help_text() -> String {
    avail_wheels_command().render_long_help().to_string()
}
