//! `wharf list --outdated` / `--uptodate`: installed packages against the site's wheelhouse
//! (pip compares with an index; on the cluster the wheelhouse is what can be installed). The
//! newest version counted is the newest the environment can install: a wheel compatible with
//! its interpreter under the site's rules (manylinux refused when the site refuses it),
//! pre-releases only with `--pre`. The listing itself (filters, formats) is
//! [`crate::commands::list`]'s.

use std::collections::HashMap;
use std::path::PathBuf;
use std::str::FromStr;

use clap::Args;
use pep440_rs::Version;
use wharf_environment::PythonEnvironment;
use wharf_site::SiteEnv;

use crate::Printer;
use crate::error::Error;
use crate::settings::{InstallFlags, InstallSettings, pip_config};

/// `wharf list` flags that compare with the wheelhouse.
#[derive(Debug, Clone, Default, Args)]
pub struct OutdatedArgs {
    /// List the installed packages the wheelhouse has a newer version of (Package Version Latest Type)
    #[arg(short = 'o', long, conflicts_with = "uptodate")]
    pub outdated: bool,
    /// List the installed packages whose version is the wheelhouse's newest
    #[arg(short = 'u', long)]
    pub uptodate: bool,
    /// Count pre-release versions of the wheelhouse as newer
    #[arg(long)]
    pub pre: bool,
    /// With -o/-u: also compare with the wheels in this directory (repeatable), after the configured wheelhouse, as pip's `--find-links`
    #[arg(short = 'f', long, value_name = "DIR")]
    pub find_links: Vec<PathBuf>,
    /// Accepted for pip's sake: wharf's `list` compares with the wheelhouse only, never an index
    #[arg(long)]
    pub no_index: bool,
}

/// The newest version of each project (normalized name) that the wheelhouse (the configured
/// find-links, then `flags.find_links`) offers `environment`: wheels compatible with its
/// interpreter under the site's rules; pre-releases only with `--pre`.
///
/// Errors: no wheel sources configured or given (exit 2, with the hint to pass `-f DIR`).
pub fn newest_versions(
    environment: &PythonEnvironment,
    flags: &OutdatedArgs,
    site: &SiteEnv,
    printer: Printer,
) -> Result<HashMap<String, Version>, Error> {
    let config = pip_config(site, printer);
    let install_flags = InstallFlags {
        find_links: flags.find_links.clone(),
        ..InstallFlags::default()
    };
    let settings = InstallSettings::resolve(&install_flags, site, config.as_ref())?;
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
    Ok(newest)
}

/// Whether the installed `version` is kept by `--outdated` (`outdated`) or `--uptodate` against
/// the wheelhouse's newest `latest`: older than it for `--outdated`, the same for `--uptodate`
/// (pip's `>` and `==`), local labels (`+computecanada`) left out of the comparison as the
/// site's wheels carry them. A version that is not PEP 440 is neither.
pub fn is_listed(version: &str, latest: &Version, outdated: bool) -> bool {
    let Ok(installed) = Version::from_str(version) else {
        return false;
    };
    let latest = latest.clone().without_local();
    let installed = installed.without_local();
    if outdated {
        latest > installed
    } else {
        latest == installed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outdated_and_uptodate_as_pip_compares_without_local_labels() {
        let v = |text: &str| Version::from_str(text).unwrap();
        assert!(is_listed("1.0", &v("2.0"), true));
        assert!(!is_listed("1.0", &v("2.0"), false));
        assert!(is_listed("2.0", &v("2.0"), false));
        assert!(is_listed("2.0.0+computecanada", &v("2.0"), false));
        assert!(!is_listed("2.0", &v("2.0+computecanada"), true));
        // Newer than the wheelhouse: neither outdated nor up to date (pip's `==`).
        assert!(!is_listed("3.0", &v("2.0"), true));
        assert!(!is_listed("3.0", &v("2.0"), false));
        assert!(!is_listed("not a version", &v("2.0"), false));
    }
}
