//! `wharf explain`: an error message or traceback (stdin or a file) mapped to the site's
//! catalogue with this environment's fix. The catalogue is `wharf_doctor::explain`; this file
//! gathers what the environment and the wheelhouse say, and renders.

use std::cell::OnceCell;
use std::io::{IsTerminal as _, Read as _};
use std::path::PathBuf;

use clap::Args;
use pep440_rs::Version;
use wharf_doctor::explain::{ExplainContext, ExplainReport};
use wharf_doctor::import_names::ImportIndex;
use wharf_environment::PythonEnvironment;
use wharf_install::InstalledDist;
use wharf_python::PythonEnv;
use wharf_site::{Catalogue, FindLinks, PipConfig, PythonVersion, SiteEnv};
use wharf_wheel_filename::Tags;

use crate::commands::write_stdout;
use crate::error::Error;
use crate::settings::GlobalArgs;
use crate::{ExitStatus, Printer};

/// `wharf explain` arguments.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A file holding the error message or traceback [default: stdin]
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
}

/// Runs `wharf explain`: exit 0 when the text matched the catalogue, 1 when it did not.
pub fn explain(
    args: &ExplainArgs,
    site: &SiteEnv,
    python_env: &PythonEnv,
    printer: Printer,
) -> Result<ExitStatus, Error> {
    let text = match &args.file {
        Some(path) if path.as_os_str() != "-" => fs_err::read_to_string(path).map_err(|e| {
            Error::usage(
                e.to_string(),
                Some("give a readable file, or pipe the text on stdin".into()),
            )
        })?,
        _ => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| Error::usage(format!("cannot read stdin: {e}"), None))?;
            text
        }
    };
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
