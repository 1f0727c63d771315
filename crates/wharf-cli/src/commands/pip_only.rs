//! pip's commands that have no wharf command of their own, run by `wharf pip` with pip's output:
//! `hash`, `index versions`, `inspect` and `config list|get`. Each prints what pip 26 prints
//! (`inspect`'s JSON differs from pip's in `pip_version` only); what pip would do and wharf
//! cannot is refused by [`crate::commands::pip::translate`] before anything runs.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::Path;
use std::str::FromStr;

use pep440_rs::Version;
use pep508_rs::PackageName;
use wharf_environment::PythonEnvironment;
use wharf_python::PythonEnv;
use wharf_site::SiteEnv;

use crate::commands::list::python_json;
use crate::commands::write_stdout;
use crate::error::Error;
use crate::settings::{NetworkFlags, NetworkSettings, pip_config};
use crate::{ExitStatus, Printer};
use wharf_environment::operations::python_repr;

/// A pip command run by `wharf pip` itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PipCommand {
    /// `pip hash [-a ALGORITHM] FILE...`
    Hash {
        /// The files, as given.
        files: Vec<OsString>,
        /// `sha256` (pip's default), `sha384` or `sha512`.
        algorithm: String,
    },
    /// `pip index versions PACKAGE [-i URL] [--extra-index-url URL] [--pre] [--json]`
    IndexVersions {
        /// The project, as given (pip prints it so).
        package: String,
        /// `-i/--index-url`.
        index_url: Option<String>,
        /// `--extra-index-url`, in order.
        extra_index_url: Vec<String>,
        /// `--pre`.
        pre: bool,
        /// `--json`.
        json: bool,
    },
    /// `pip inspect [--local]`
    Inspect {
        /// `--local`: leave out what is on `PYTHONPATH`.
        local: bool,
    },
    /// `pip config list`
    ConfigList,
    /// `pip config get KEY`
    ConfigGet {
        /// `section.key`, ex) `global.index-url`.
        key: String,
    },
}

/// Runs `command` on the environment `environment` (a venv directory).
pub fn run(
    command: &PipCommand,
    environment: &Path,
    site: &SiteEnv,
    python_env: &PythonEnv,
    printer: Printer,
) -> Result<ExitStatus, Error> {
    match command {
        PipCommand::Hash { files, algorithm } => hash(files, algorithm),
        PipCommand::IndexVersions {
            package,
            index_url,
            extra_index_url,
            pre,
            json,
        } => {
            let flags = NetworkFlags {
                index_url: index_url.clone(),
                extra_index_url: extra_index_url.clone(),
                ..NetworkFlags::default()
            };
            index_versions(
                package,
                &flags,
                *pre,
                *json,
                environment,
                site,
                python_env,
                printer,
            )
        }
        PipCommand::Inspect { local } => inspect(*local, environment, python_env),
        PipCommand::ConfigList => {
            let out = config_entries(site, printer).into_iter().fold(
                String::new(),
                |mut out, (key, value)| {
                    out.push_str(&format!("{key}={}\n", python_repr(&value)));
                    out
                },
            );
            Ok(write_stdout(out.as_bytes()))
        }
        PipCommand::ConfigGet { key } => {
            let value = config_entries(site, printer)
                .into_iter()
                .rev()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v);
            match value {
                Some(value) => Ok(write_stdout(format!("{value}\n").as_bytes())),
                None => Err(Error::failure(
                    format!("No such key - {key}"),
                    Some("`wharf pip config list` shows the keys pip's configuration files and `PIP_*` variables set".to_string()),
                )),
            }
        }
    }
}

/// pip's configuration as `pip config list` shows it: the files' `section.key` entries, then
/// each `PIP_NAME` variable as `:env:.name` (lower case, `_` as `-`; pip leaves out
/// `PIP_VERSION` and `PIP_HELP`), sorted by key; no variables in isolated mode
/// (`PIP_ISOLATED_MODE`, `--isolated`), as pip's `Configuration.load` does.
fn config_entries(site: &SiteEnv, printer: crate::Printer) -> Vec<(String, String)> {
    let mut entries = pip_config(site, printer).map_or_else(Vec::new, |config| config.entries());
    let isolated = site
        .vars
        .flag("PIP_ISOLATED_MODE")
        .ok()
        .flatten()
        .unwrap_or(false);
    if !isolated {
        let mut variables: Vec<(String, String)> = site
            .vars
            .with_prefix("PIP_")
            .into_iter()
            .filter_map(|(name, value)| {
                let name = name["PIP_".len()..].to_lowercase();
                (name != "version" && name != "help").then(|| {
                    let name = name.replace('_', "-");
                    let name = name.strip_prefix("--").unwrap_or(&name);
                    (format!(":env:.{name}"), value)
                })
            })
            .collect();
        variables.sort();
        entries.extend(variables);
    }
    entries
}

/// `pip hash`: `FILE:\n--hash=ALGORITHM:HEX` for each file.
fn hash(files: &[OsString], algorithm: &str) -> Result<ExitStatus, Error> {
    use sha2::Digest as _;
    let mut out = String::new();
    for file in files {
        let bytes = fs_err::read(file).map_err(|e| {
            Error::usage(
                e.to_string(),
                Some("name files that exist, ex) `wharf pip hash dist/*.whl`".to_string()),
            )
        })?;
        let digest = match algorithm {
            "sha384" => data_encoding::HEXLOWER.encode(&sha2::Sha384::digest(&bytes)),
            "sha512" => data_encoding::HEXLOWER.encode(&sha2::Sha512::digest(&bytes)),
            _ => data_encoding::HEXLOWER.encode(&sha2::Sha256::digest(&bytes)),
        };
        out.push_str(&format!(
            "{}:\n--hash={algorithm}:{digest}\n",
            file.to_string_lossy()
        ));
    }
    Ok(write_stdout(out.as_bytes()))
}

/// The version of a project file (a wheel or an sdist) that the environment can use: not
/// yanked, its `Requires-Python` holds, a wheel's tags are the interpreter's.
fn usable_version(
    file: &wharf_index::ProjectFile,
    name: &PackageName,
    tags: &wharf_wheel_filename::Tags,
    python: &Version,
) -> Option<Version> {
    if file.yanked {
        return None;
    }
    if let Some(requires) = &file.requires_python
        && let Ok(specifiers) = pep440_rs::VersionSpecifiers::from_str(requires)
        && !specifiers.contains(python)
    {
        return None;
    }
    if let Ok(wheel) = wharf_wheel_filename::WheelFilename::from_str(&file.filename) {
        if !wheel.is_compatible(tags) {
            return None;
        }
        return Version::from_str(&wheel.version.to_string()).ok();
    }
    let stem = [".tar.gz", ".zip", ".tar.bz2", ".tgz"]
        .iter()
        .find_map(|ext| file.filename.strip_suffix(ext))?;
    let (project, version) = stem.rsplit_once('-')?;
    (PackageName::from_str(project).ok()? == *name)
        .then(|| Version::from_str(version).ok())
        .flatten()
}

/// `pip index versions`: the versions the indexes offer this environment, newest first.
#[allow(clippy::too_many_arguments)]
fn index_versions(
    package: &str,
    flags: &NetworkFlags,
    pre: bool,
    json: bool,
    environment: &Path,
    site: &SiteEnv,
    python_env: &PythonEnv,
    printer: Printer,
) -> Result<ExitStatus, Error> {
    let name = PackageName::from_str(package).map_err(|e| {
        Error::usage(
            format!("`{package}` is not a project name: {e}"),
            Some("name one project, ex) `wharf pip index versions numpy`".to_string()),
        )
    })?;
    let environment = PythonEnvironment::find(Some(environment), None, python_env)?;
    let config = pip_config(site, printer);
    // pip's defaults: PIP_INDEX_URL, the pip config's `index-url`, else PyPI (as `download`).
    let network = NetworkSettings::resolve(flags, site, config.as_ref(), "index", true)?;
    let index = wharf_environment::index::PackageIndex::new(
        network.indexes.clone(),
        network.client()?,
        site.vars.cache_dir(),
        false,
    )
    .map_err(|e| Error::new(e, None, ExitStatus::Error))?;
    let files = index
        .project_files(&name)
        .map_err(|e| Error::new(e, None, ExitStatus::Error))?;
    let (tags, _) = environment.tags(true);
    let python = environment.python_full_version();
    let versions: BTreeSet<Version> = files
        .iter()
        .filter_map(|file| usable_version(file, &name, &tags, &python))
        .filter(|version| pre || !(version.any_prerelease()))
        .collect();
    let Some(latest) = versions.last().cloned() else {
        return Err(Error::failure(
            format!("No matching distribution found for {package}"),
            Some(format!(
                "the indexes searched: {}",
                network
                    .indexes
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        ));
    };
    let formatted: Vec<String> = versions.iter().rev().map(ToString::to_string).collect();
    let installed = environment
        .installed_on_sys_path(false)?
        .into_iter()
        .find(|d| d.normalized_name() == name.to_string())
        .map(|d| Version::from_str(&d.version).map_or(d.version, |v| v.to_string()));
    let out = if json {
        #[derive(serde::Serialize)]
        #[allow(clippy::struct_field_names)]
        struct Versions<'a> {
            name: &'a str,
            versions: &'a [String],
            latest: String,
            #[serde(skip_serializing_if = "Option::is_none")]
            installed_version: Option<String>,
        }
        let mut text = python_json(&Versions {
            name: package,
            versions: &formatted,
            latest: latest.to_string(),
            installed_version: installed,
        });
        text.push('\n');
        text
    } else {
        let mut text = format!(
            "{package} ({latest})\nAvailable versions: {}\n",
            formatted.join(", ")
        );
        if let Some(installed) = installed {
            text.push_str(&format!("  INSTALLED: {installed}\n"));
            if latest.any_prerelease() && latest.pre().is_some() {
                text.push_str(&format!(
                    "  LATEST:    {latest} (pre-release; install with `pip install --pre`)\n"
                ));
            } else {
                text.push_str(&format!("  LATEST:    {latest}\n"));
            }
        }
        text
    };
    Ok(write_stdout(out.as_bytes()))
}

/// pip's core metadata fields, in its order, and whether each may appear more than once.
const METADATA_FIELDS: &[(&str, bool)] = &[
    ("Metadata-Version", false),
    ("Name", false),
    ("Version", false),
    ("Dynamic", true),
    ("Platform", true),
    ("Supported-Platform", true),
    ("Summary", false),
    ("Description", false),
    ("Description-Content-Type", false),
    ("Keywords", false),
    ("Home-page", false),
    ("Download-URL", false),
    ("Author", false),
    ("Author-email", false),
    ("Maintainer", false),
    ("Maintainer-email", false),
    ("License", false),
    ("License-Expression", false),
    ("License-File", true),
    ("Classifier", true),
    ("Requires-Dist", true),
    ("Requires-Python", false),
    ("Requires-External", true),
    ("Project-URL", true),
    ("Provides-Extra", true),
    ("Provides-Dist", true),
    ("Obsoletes-Dist", true),
];

/// A `METADATA` file as pip's `metadata_dict` (the core metadata JSON form: keys lower case
/// with `_`, multiple-use fields as lists, `keywords` split, the body as `description`).
pub(crate) fn metadata_json(text: &str) -> serde_json::Map<String, serde_json::Value> {
    let headers = wharf_metadata::Headers::parse(text);
    let mut out = serde_json::Map::new();
    for (field, multiple) in METADATA_FIELDS {
        let values = headers.get_all(field);
        if values.is_empty() {
            continue;
        }
        let key = field.to_lowercase().replace('-', "_");
        let value = if *multiple {
            serde_json::Value::from(
                values
                    .iter()
                    .map(|v| crate::commands::show::redent(v))
                    .collect::<Vec<_>>(),
            )
        } else {
            let value = crate::commands::show::redent(&values[0]);
            if key == "keywords" {
                let words: Vec<String> = if value.contains(',') {
                    value.split(',').map(|w| w.trim().to_string()).collect()
                } else {
                    value.split_whitespace().map(str::to_string).collect()
                };
                serde_json::Value::from(words)
            } else {
                serde_json::Value::from(value)
            }
        };
        out.insert(key, value);
    }
    let text = text.replace("\r\n", "\n");
    if let Some((_, body)) = text.split_once("\n\n")
        && !body.is_empty()
    {
        out.insert("description".into(), body.into());
    }
    out
}

/// `pip inspect`: pip's report (version "1") of the environment's distributions and markers.
fn inspect(local: bool, environment: &Path, python_env: &PythonEnv) -> Result<ExitStatus, Error> {
    let environment = PythonEnvironment::find(Some(environment), None, python_env)?;
    let markers = environment.marker_environment()?;
    let dists = environment.installed_on_sys_path(local)?;
    let mut installed = Vec::new();
    for dist in &dists {
        let file = if dist.path.is_dir() {
            if dist.path.extension().is_some_and(|e| e == "egg-info") {
                dist.path.join("PKG-INFO")
            } else {
                dist.path.join("METADATA")
            }
        } else {
            dist.path.clone()
        };
        let text = fs_err::read(&file)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        let mut entry = serde_json::Map::new();
        entry.insert("metadata".into(), metadata_json(&text).into());
        entry.insert(
            "metadata_location".into(),
            dist.path.display().to_string().into(),
        );
        if let Some(direct_url) = fs_err::read_to_string(dist.path.join("direct_url.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        {
            entry.insert("direct_url".into(), direct_url);
        }
        if let Some(installer) = dist.installer.as_deref().filter(|i| !i.is_empty()) {
            entry.insert("installer".into(), installer.into());
        }
        if dist.path.extension().is_some_and(|e| e == "dist-info") {
            entry.insert("requested".into(), dist.requested.into());
        }
        installed.push(serde_json::Value::Object(entry));
    }
    let report = serde_json::json!({
        "version": "1",
        "pip_version": format!("wharf {}", env!("CARGO_PKG_VERSION")),
        "installed": installed,
        "environment": marker_json(&markers),
    });
    let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
    text.push('\n');
    Ok(write_stdout(text.as_bytes()))
}

/// The marker values as pip's reports write them (`environment`).
pub(crate) fn marker_json(markers: &pep508_rs::MarkerEnvironment) -> serde_json::Value {
    serde_json::json!({
        "implementation_name": markers.implementation_name(),
        "implementation_version": markers.implementation_version().to_string(),
        "os_name": markers.os_name(),
        "platform_machine": markers.platform_machine(),
        "platform_release": markers.platform_release(),
        "platform_system": markers.platform_system(),
        "platform_version": markers.platform_version(),
        "python_full_version": markers.python_full_version().to_string(),
        "platform_python_implementation": markers.platform_python_implementation(),
        "python_version": markers.python_version().to_string(),
        "sys_platform": markers.sys_platform(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repr_quotes_as_python() {
        assert_eq!(python_repr("https://x/simple"), "'https://x/simple'");
        assert_eq!(python_repr("it's"), "\"it's\"");
        assert_eq!(python_repr("a\\b"), "'a\\\\b'");
    }

    #[test]
    fn metadata_as_pip_json() {
        let json = metadata_json(
            "Metadata-Version: 2.1\nName: x\nVersion: 1\nKeywords: a, b\nRequires-Dist: six\nRequires-Dist: y\n\nLong text\n",
        );
        assert_eq!(
            serde_json::Value::Object(json),
            serde_json::json!({
                "metadata_version": "2.1", "name": "x", "version": "1",
                "keywords": ["a", "b"], "requires_dist": ["six", "y"],
                "description": "Long text\n"
            })
        );
    }
}
