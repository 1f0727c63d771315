//! `wharf explain`: an error message or traceback (stdin or a file) mapped to the site's
//! catalogue with this environment's fix. The catalogue is `wharf_doctor::explain`; this file
//! gathers what the environment and the wheelhouse say, and renders.
//!
//! The input is bounded: only its last [`EXPLAIN_TAIL_BYTES`] are explained (a traceback is at
//! the end of a job's log), and a stream is read for at most [`EXPLAIN_STREAM_LIMIT`]
//! (`wharf explain < /dev/zero` ends). Bytes that are not UTF-8 are replaced, not refused.

use std::cell::OnceCell;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};

use clap::Args;
use pep440_rs::Version;
use wharf_doctor::explain::{ExplainContext, ExplainReport};
use wharf_doctor::import_names::ImportIndex;
use wharf_doctor::wheelhouse::{Offered, Wheelhouse};
use wharf_environment::PythonEnvironment;
use wharf_install::InstalledDist;
use wharf_python::PythonEnv;
use wharf_site::{Catalogue, FindLinks, PipConfig, PythonVersion, SiteEnv};
use wharf_wheel_filename::Tags;

use crate::commands::write_stdout;
use crate::error::Error;
use crate::settings::GlobalArgs;
use crate::{ExitStatus, Printer};

/// How much of its input `wharf explain` explains: the last 4 MiB (tens of thousands of lines
/// of a log before its traceback).
pub const EXPLAIN_TAIL_BYTES: usize = 4 * 1024 * 1024;

/// How much of a stream (stdin from a pipe, a FIFO, a device) `wharf explain` reads before it
/// gives up on reaching its end: 256 MiB. A regular file is not read through: its end is read.
pub const EXPLAIN_STREAM_LIMIT: u64 = 256 * 1024 * 1024;

/// `wharf explain` arguments.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A file holding the error message or traceback; only its last 4 MiB are read [default: stdin]
    pub file: Option<PathBuf>,
    /// The environment the error happened in: a venv directory or its python [default: $VIRTUAL_ENV]
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,
    /// One JSON object on stdout (explanations with entry, matched line, what, cause, evidence, fix)
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub global: GlobalArgs,
}

struct Context<'a> {
    site: &'a SiteEnv,
    environment: Option<PythonEnvironment>,
    active: bool,
    installed: Vec<InstalledDist>,
    module_pythons: Vec<PythonVersion>,
    index: OnceCell<ImportIndex>,
    /// What `wharf install` reads, for the fixes that install something.
    wheelhouse: Wheelhouse,
    /// The environment's tags under the site's policy, once asked for.
    tags: OnceCell<Option<Tags>>,
}

impl Context<'_> {
    /// The pip config's find-links of `section`, else every directory of the wheelhouse.
    fn find_links(&self, section: &str) -> FindLinks {
        if let Some(path) = &self.site.pip_config_file
            && let Ok(links) = PipConfig::read(path).and_then(|c| c.find_links(section))
            && !links.is_empty()
        {
            return FindLinks::from_paths(links);
        }
        FindLinks::walk_wheelhouse(&self.site.wheelhouse(), &mut Vec::new())
    }
}

impl ExplainContext for Context<'_> {
    fn python_version(&self) -> Option<Version> {
        self.environment
            .as_ref()
            .map(PythonEnvironment::python_full_version)
    }

    fn tags(&self) -> Option<(Tags, Option<Tags>)> {
        self.environment.as_ref().map(|e| e.tags(false))
    }

    fn installed(&self) -> &[InstalledDist] {
        &self.installed
    }

    fn providers(&self, import_name: &str) -> Vec<String> {
        self.index
            .get_or_init(|| {
                let catalogue = Catalogue::scan_with_index(
                    self.find_links("install"),
                    self.site.threads(),
                    |_| true,
                    self.site.catalogue_index_dir().as_deref(),
                );
                ImportIndex::build(&catalogue, self.site.cache_dir.as_deref())
            })
            .providers(import_name)
    }

    fn unavailable(&self, name: &str) -> Vec<String> {
        let Ok(requirement) = wharf_avail::AvailRequirement::parse(name) else {
            return Vec::new();
        };
        let pythons: Vec<PythonVersion> = match &self.environment {
            Some(e) => {
                let (major, minor) = e.python_version();
                vec![PythonVersion { major, minor }]
            }
            None => self.module_pythons.clone(),
        };
        crate::commands::avail::explain_requirement(
            &requirement,
            &self.find_links("wheel"),
            self.site,
            &pythons,
            &self.module_pythons,
        )
        .lines
    }

    fn module_pythons(&self) -> Vec<PythonVersion> {
        self.module_pythons.clone()
    }

    fn wharf(&self, verb: &str, args: &str) -> String {
        match &self.environment {
            Some(e) if !self.active => format!("wharf {verb} --python {} {args}", e.root.display()),
            _ => format!("wharf {verb} {args}"),
        }
    }

    fn offered(&self, project: &str) -> Option<Vec<Offered>> {
        let tags = self
            .tags
            .get_or_init(|| self.environment.as_ref().map(|e| e.tags(false).0))
            .as_ref()?;
        Some(self.wheelhouse.offered(project, tags))
    }

    fn unconfigured_note(&self) -> &'static str {
        self.wheelhouse.unconfigured_note()
    }
}

/// Runs `wharf explain`: exit 0 when the text matched the catalogue, 1 when it did not.
pub fn explain(
    args: &ExplainArgs,
    site: &SiteEnv,
    python_env: &PythonEnv,
    printer: Printer,
) -> Result<ExitStatus, Error> {
    let text = read_input(args.file.as_deref(), printer)?;
    let environment = PythonEnvironment::find(
        args.python.as_deref(),
        site.virtual_env.as_deref(),
        python_env,
    )
    .ok();
    let active = args.python.is_none() && environment.is_some();
    let installed = environment
        .as_ref()
        .and_then(|e| e.installed_on_sys_path(false).ok())
        .unwrap_or_default();
    if environment.is_none() {
        printer.verbose(
            "no environment (`--python` or VIRTUAL_ENV): explaining without its versions and tags",
        );
    }
    let context = Context {
        site,
        environment,
        active,
        installed,
        module_pythons: wharf_site::available_pythons(site.python_dirs()),
        index: OnceCell::new(),
        wheelhouse: crate::commands::doctor::wheelhouse(site, printer),
        tags: OnceCell::new(),
    };
    let report = wharf_doctor::explain::explain(&text, &context);
    let matched = !report.explanations.is_empty();
    let status = if args.json {
        let mut value = serde_json::to_value(&report).unwrap_or_default();
        value["matched"] = serde_json::Value::Bool(matched);
        let mut out = serde_json::to_string_pretty(&value).unwrap_or_default();
        out.push('\n');
        write_stdout(out.as_bytes())
    } else {
        let color = printer.color() && std::io::stdout().is_terminal();
        write_stdout(render(&report, color).as_bytes())
    };
    Ok(match status {
        ExitStatus::Success if !matched => ExitStatus::Failure,
        other => other,
    })
}

/// The text to explain: the last [`EXPLAIN_TAIL_BYTES`] of `file` (`None` or `-`: stdin),
/// decoded lossily, with one warning line when bytes were skipped.
///
/// Errors: the file cannot be opened or read (exit 2, naming it).
fn read_input(file: Option<&Path>, printer: Printer) -> Result<String, Error> {
    let (tail, name) = match file {
        Some(path) if path.as_os_str() != "-" => {
            let mut file = fs_err::File::open(path).map_err(|e| {
                Error::usage(
                    e.to_string(),
                    Some("give a readable file, or pipe the text on stdin".into()),
                )
            })?;
            let tail =
                wharf_fs::read_tail(file.file_mut(), EXPLAIN_TAIL_BYTES, EXPLAIN_STREAM_LIMIT)
                    .map_err(|e| {
                        Error::usage(
                            format!("cannot read `{}`: {e}", path.display()),
                            Some("give a readable file, or pipe the text on stdin".into()),
                        )
                    })?;
            (tail, format!("`{}`", path.display()))
        }
        _ => {
            let read = stdin_file().and_then(|mut stdin| {
                wharf_fs::read_tail(&mut stdin, EXPLAIN_TAIL_BYTES, EXPLAIN_STREAM_LIMIT)
            });
            let tail = read.map_err(|e| Error::usage(format!("cannot read stdin: {e}"), None))?;
            (tail, "stdin".to_string())
        }
    };
    if tail.stopped {
        printer.warn(format_args!(
            "stopped reading {name} after {} MiB (it may never end): explaining only the last {} MiB read",
            EXPLAIN_STREAM_LIMIT >> 20,
            EXPLAIN_TAIL_BYTES >> 20
        ));
    } else if tail.skipped > 0 {
        printer.warn(format_args!(
            "{name} is larger than {} MiB: explaining only its last {} MiB (the traceback is at the end); skipped its first {} bytes",
            EXPLAIN_TAIL_BYTES >> 20,
            EXPLAIN_TAIL_BYTES >> 20,
            tail.skipped
        ));
    }
    Ok(String::from_utf8_lossy(&tail.bytes).into_owned())
}

/// Stdin as a `File` (a duplicate of descriptor 0, same offset), so that a regular file
/// redirected to it is seeked to its end rather than read through.
fn stdin_file() -> std::io::Result<std::fs::File> {
    use std::os::fd::AsFd as _;
    Ok(std::fs::File::from(
        std::io::stdin().as_fd().try_clone_to_owned()?,
    ))
}

fn render(report: &ExplainReport, color: bool) -> String {
    use crate::commands::doctor::{Diagnosis, paint_label, render_diagnosis};
    let mut out = String::new();
    for e in &report.explanations {
        render_diagnosis(
            &Diagnosis {
                what: &e.what,
                tag: e.entry,
                cause: &e.cause,
                matched: Some(&e.matched),
                evidence: &e.evidence,
                fix: e.fix.as_deref(),
            },
            color,
            &mut out,
        );
        out.push('\n');
    }
    if report.explanations.is_empty() {
        out.push_str(&format!(
            "No entry of the catalogue matches this text.\nChecked: {}.\n{}: `wharf doctor` checks the environment itself; send the whole traceback to support\n",
            report.checked.join(", "),
            paint_label("hint", color)
        ));
    }
    out
}
