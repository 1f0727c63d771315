//! `wharf list --outdated` / `--uptodate`: installed packages against the site's wheelhouse
//! (pip compares with an index; on the cluster the wheelhouse is what can be installed). The
//! newest version counted is the newest the environment can install: a wheel compatible with
//! its interpreter under the site's rules (manylinux refused when the site refuses it),
//! pre-releases only with `--pre`.

use std::collections::HashMap;
use std::str::FromStr;

use clap::Args;
use pep440_rs::Version;
use wharf_environment::PythonEnvironment;
use wharf_python::PythonEnv;
use wharf_site::SiteEnv;

use crate::commands::list::EnvArgs;
use crate::commands::write_stdout;
use crate::error::Error;
use crate::settings::{InstallFlags, InstallSettings, pip_config};
use crate::{ExitStatus, Printer};

/// `wharf list` flags that compare with the wheelhouse.
#[derive(Debug, Clone, Default, Args)]
pub struct OutdatedArgs {
    /// List the installed packages the wheelhouse has a newer version of (Package Version Latest Type)
    #[arg(short = 'o', long, conflicts_with = "uptodate")]
    pub outdated: bool,
    /// List the installed packages that are the wheelhouse's newest
    #[arg(short = 'u', long)]
    pub uptodate: bool,
    /// Count pre-release versions of the wheelhouse as newer
    #[arg(long)]
    pub pre: bool,
}

/// Runs `wharf list --outdated|--uptodate`.
pub fn list(
    args: &EnvArgs,
    flags: &OutdatedArgs,
    site: &SiteEnv,
    python_env: &PythonEnv,
    printer: Printer,
) -> Result<ExitStatus, Error> {
    let environment = PythonEnvironment::find(
        args.python.as_deref(),
        site.virtual_env.as_deref(),
        python_env,
    )?;
    let config = pip_config(site, printer);
    let settings = InstallSettings::resolve(&InstallFlags::default(), site, config.as_ref())?;
    let catalogue = settings.sources()?.catalogue();
    let (tags, _) = environment.tags(false);
    let mut newest: HashMap<String, Version> = HashMap::new();
    for entry in &catalogue.entries {
        let wheel = &entry.filename;
        if !wheel.is_compatible(&tags) || (!flags.pre && wheel.version.any_prerelease()) {
            continue;
        }
        let slot = newest
            .entry(wheel.name.to_string())
            .or_insert_with(|| wheel.version.clone());
        if wheel.version > *slot {
            *slot = wheel.version.clone();
        }
    }
    let mut dists = environment.installed_on_sys_path(args.local)?;
    dists.sort_by_key(|d| d.name.to_lowercase());
    let mut rows: Vec<[String; 4]> = Vec::new();
    for dist in &dists {
        let Some(latest) = newest.get(&dist.normalized_name()) else {
            continue;
        };
        let Ok(installed) = Version::from_str(&dist.version) else {
            continue;
        };
        // Local labels (`+computecanada`) do not make a version newer.
        let newer = latest.clone().without_local() > installed.clone().without_local();
        if newer == flags.outdated {
            rows.push([
                dist.name.clone(),
                dist.version.clone(),
                latest.to_string(),
                "wheel".to_string(),
            ]);
        }
    }
    let header: [&str; 4] = if flags.outdated {
        ["Package", "Version", "Latest", "Type"]
    } else {
        ["Package", "Version", "", ""]
    };
    let columns = if flags.outdated { 4 } else { 2 };
    let widths: Vec<usize> = (0..columns)
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    if !rows.is_empty() {
        let line = |cells: Vec<&str>| {
            let mut text = cells
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect::<Vec<_>>()
                .join(" ");
            text.truncate(text.trim_end().len());
            text.push('\n');
            text
        };
        out.push_str(&line(header[..columns].to_vec()));
        out.push_str(&line(
            widths
                .iter()
                .map(|w| "-".repeat(*w))
                .collect::<Vec<_>>()
                .iter()
                .map(String::as_str)
                .collect(),
        ));
        for row in &rows {
            out.push_str(&line(row[..columns].iter().map(String::as_str).collect()));
        }
    }
    Ok(write_stdout(out.as_bytes()))
}
