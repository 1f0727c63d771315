//! `wharf show [-f] PKG...` (pip's fields, in pip's order) and `wharf tree [--reverse]` (the
//! dependency tree of an environment, as `uv pip tree` draws it). Both read the environment's
//! `sys.path` as pip does; a dependency counts when its markers hold for the environment's
//! interpreter (no extras), which is pip's `iter_dependencies()`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use clap::Args;
use pep508_rs::{MarkerEnvironment, Requirement};
use wharf_environment::PythonEnvironment;
use wharf_install::InstalledDist;
use wharf_metadata::Headers;
use wharf_python::PythonEnv;
use wharf_site::SiteEnv;

use crate::commands::write_stdout;
use crate::error::Error;
use crate::settings::GlobalArgs;
use crate::{ExitStatus, Printer};

/// `wharf show` arguments.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Installed packages to show (names in any spelling: `Scikit_Learn` is scikit-learn)
    #[arg(value_name = "PACKAGE", required = true)]
    pub packages: Vec<String>,
    /// List each package's installed files (from RECORD), as `pip show -f`
    #[arg(short, long)]
    pub files: bool,
    /// The environment: a venv directory or its python [default: $VIRTUAL_ENV]
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,
    #[command(flatten)]
    pub global: GlobalArgs,
}

/// `wharf tree` arguments.
#[derive(Debug, Args)]
pub struct TreeArgs {
    /// Show who requires each package (roots are the packages that require nothing)
    #[arg(long, alias = "invert")]
    pub reverse: bool,
    /// Only the trees rooted at these packages
    #[arg(long = "package", value_name = "PACKAGE")]
    pub packages: Vec<String>,
    /// Print each edge's version specifier (`[required: >=1.2]`, `[requires: x>=1.2]` with --reverse)
    #[arg(long)]
    pub show_version_specifiers: bool,
    /// Maximum depth drawn (0: the roots only) [default: unlimited]
    #[arg(short, long, value_name = "N")]
    pub depth: Option<usize>,
    /// The environment: a venv directory or its python [default: $VIRTUAL_ENV]
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,
    #[command(flatten)]
    pub global: GlobalArgs,
}

fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut dash = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            dash = true;
        } else {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// The requirements of `dist` that hold in `markers` (pip's `iter_dependencies()`), raw names.
fn dependencies(dist: &InstalledDist, markers: &MarkerEnvironment) -> Vec<Requirement> {
    dist.requires_dist
        .iter()
        .filter_map(|text| wharf_metadata::parse_requirement(text).ok())
        .filter(|r| r.evaluate_markers(markers, &[]))
        .collect()
}

fn metadata_headers(dist: &InstalledDist) -> Headers {
    let file = if dist.path.is_dir() {
        if dist.path.extension().is_some_and(|e| e == "egg-info") {
            dist.path.join("PKG-INFO")
        } else {
            dist.path.join("METADATA")
        }
    } else {
        dist.path.clone()
    };
    let text = std::fs::read(&file)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    Headers::parse(&text)
}

/// A folded header value as `importlib.metadata` gives it to pip: `textwrap.dedent(" " * 8 +
/// value)` (the continuation lines lose their common indentation; blank lines become empty).
pub(crate) fn redent(value: &str) -> String {
    if !value.contains('\n') {
        return value.to_string();
    }
    let text = format!("        {value}");
    let lines: Vec<&str> = text.split('\n').collect();
    let mut margin: Option<&str> = None;
    for line in &lines {
        if line.trim().is_empty() {
            continue;
        }
        let indent = &line[..line.len() - line.trim_start_matches([' ', '\t']).len()];
        margin = Some(match margin {
            None => indent,
            Some(m) => {
                let common = m
                    .bytes()
                    .zip(indent.bytes())
                    .take_while(|(a, b)| a == b)
                    .count();
                &m[..common]
            }
        });
    }
    let margin = margin.unwrap_or("");
    lines
        .iter()
        .map(|line| {
            if line.trim().is_empty() {
                ""
            } else {
                line.strip_prefix(margin).unwrap_or(line)
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A RECORD path as `pathlib.Path` prints it (`./a//b/` → `a/b`).
fn pathlib(path: &str) -> String {
    let absolute = path.starts_with('/');
    let parts: Vec<&str> = path
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    let joined = parts.join("/");
    match (absolute, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

fn environment(
    python: Option<&std::path::Path>,
    site: &SiteEnv,
    python_env: &PythonEnv,
) -> Result<PythonEnvironment, Error> {
    Ok(PythonEnvironment::find(
        python,
        site.virtual_env.as_deref(),
        python_env,
    )?)
}

/// Runs `wharf show`: pip's fields; exit 1 when none of the packages is installed (pip's
/// status), a warning for each one missing.
pub fn show(
    args: &ShowArgs,
    site: &SiteEnv,
    python_env: &PythonEnv,
    printer: Printer,
) -> Result<ExitStatus, Error> {
    let environment = environment(args.python.as_deref(), site, python_env)?;
    let markers = environment.marker_environment()?;
    let dists = environment.installed_on_sys_path(false)?;
    let by_name: HashMap<String, &InstalledDist> =
        dists.iter().map(|d| (d.normalized_name(), d)).collect();
    let mut missing: Vec<&str> = args
        .packages
        .iter()
        .filter(|p| !by_name.contains_key(&normalize(p)))
        .map(String::as_str)
        .collect();
    missing.sort_unstable();
    if !missing.is_empty() {
        printer.warn(format_args!("Package(s) not found: {}", missing.join(", ")));
    }
    let requirements: Vec<(&InstalledDist, BTreeSet<String>)> = dists
        .iter()
        .map(|d| {
            let names = dependencies(d, &markers)
                .iter()
                .map(|r| r.name.to_string())
                .collect();
            (d, names)
        })
        .collect();
    let mut out = String::new();
    let mut shown = 0;
    for query in &args.packages {
        let Some(dist) = by_name.get(&normalize(query)) else {
            continue;
        };
        if shown > 0 {
            out.push_str("---\n");
        }
        shown += 1;
        let headers = metadata_headers(dist);
        let field = |key: &str| redent(headers.get(key).unwrap_or_default());
        let mut homepage = field("Home-page");
        if homepage.is_empty() {
            for url in headers.get_all("Project-URL") {
                if let Some((label, value)) = url.split_once(',') {
                    let label: String = label
                        .to_lowercase()
                        .chars()
                        .filter(|c| !matches!(c, '-' | '_'))
                        .collect();
                    if label.trim() == "homepage" {
                        homepage = value.trim().to_string();
                        break;
                    }
                }
            }
        }
        let mut requires: Vec<String> = dependencies(dist, &markers)
            .into_iter()
            .map(|r| {
                // pip prints the name as the requirement spells it.
                dist.requires_dist
                    .iter()
                    .find_map(|t| {
                        let raw: String = t
                            .trim_start()
                            .chars()
                            .take_while(|c| {
                                c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
                            })
                            .collect();
                        (normalize(&raw) == r.name.to_string()).then_some(raw)
                    })
                    .unwrap_or_else(|| r.name.to_string())
            })
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        requires.sort_by_key(|n| n.to_lowercase());
        let me = dist.normalized_name();
        let mut required_by: Vec<String> = requirements
            .iter()
            .filter(|(_, names)| names.contains(&me))
            .map(|(d, _)| d.name.clone())
            .collect();
        required_by.sort_by_key(|n| n.to_lowercase());
        out.push_str(&format!("Name: {}\n", dist.name));
        out.push_str(&format!("Version: {}\n", dist.version));
        out.push_str(&format!("Summary: {}\n", field("Summary")));
        out.push_str(&format!("Home-page: {homepage}\n"));
        out.push_str(&format!("Author: {}\n", field("Author")));
        out.push_str(&format!("Author-email: {}\n", field("Author-email")));
        // pip 26 prints `License-Expression` in place of `License` from metadata 2.4 on.
        let metadata_version: Vec<u32> = field("Metadata-Version")
            .split('.')
            .map_while(|part| part.trim().parse().ok())
            .collect();
        let expression = field("License-Expression");
        if metadata_version >= vec![2, 4] && !expression.is_empty() {
            out.push_str(&format!("License-Expression: {expression}\n"));
        } else {
            out.push_str(&format!("License: {}\n", field("License")));
        }
        out.push_str(&format!("Location: {}\n", dist.site_packages().display()));
        if let Some(project) = dist.editable_project_location() {
            out.push_str(&format!("Editable project location: {project}\n"));
        }
        out.push_str(&format!("Requires: {}\n", requires.join(", ")));
        out.push_str(&format!("Required-by: {}\n", required_by.join(", ")));
        if printer.verbosity() > 0 {
            out.push_str(&format!(
                "Metadata-Version: {}\n",
                field("Metadata-Version")
            ));
            out.push_str(&format!(
                "Installer: {}\n",
                dist.installer.as_deref().unwrap_or_default()
            ));
            out.push_str("Classifiers:\n");
            for classifier in headers.get_all("Classifier") {
                out.push_str(&format!("  {classifier}\n"));
            }
            out.push_str("Entry-points:\n");
            if let Ok(text) = std::fs::read_to_string(dist.path.join("entry_points.txt")) {
                for line in text.lines() {
                    out.push_str(&format!("  {}\n", line.trim()));
                }
            }
            out.push_str("Project-URLs:\n");
            for url in headers.get_all("Project-URL") {
                out.push_str(&format!("  {url}\n"));
            }
        }
        if args.files {
            out.push_str("Files:\n");
            match dist.record() {
                Ok(entries) => {
                    let mut files: Vec<String> = entries.iter().map(|e| pathlib(&e.path)).collect();
                    files.sort();
                    for file in files {
                        out.push_str(&format!("  {}\n", file.trim()));
                    }
                }
                Err(_) => out.push_str("Cannot locate RECORD or installed-files.txt\n"),
            }
        }
    }
    let status = write_stdout(out.as_bytes());
    if shown == 0 {
        return Ok(ExitStatus::Failure);
    }
    Ok(status)
}

/// Runs `wharf tree`.
pub fn tree(args: &TreeArgs, site: &SiteEnv, python_env: &PythonEnv) -> Result<ExitStatus, Error> {
    let environment = environment(args.python.as_deref(), site, python_env)?;
    let markers = environment.marker_environment()?;
    let dists = environment.installed_on_sys_path(false)?;
    let versions: BTreeMap<String, String> = dists
        .iter()
        .map(|d| (d.normalized_name(), d.version.clone()))
        .collect();
    // name ▸ (dependency name, its specifier text), in Requires-Dist order.
    let mut edges: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for dist in &dists {
        let mut seen = BTreeSet::new();
        let list = edges.entry(dist.normalized_name()).or_default();
        for requirement in dependencies(dist, &markers) {
            let name = requirement.name.to_string();
            if seen.insert(name.clone()) {
                let spec = match &requirement.version_or_url {
                    Some(pep508_rs::VersionOrUrl::VersionSpecifier(s)) => s.to_string(),
                    Some(pep508_rs::VersionOrUrl::Url(u)) => format!("@ {u}"),
                    None => String::new(),
                };
                list.push((name, spec));
            }
        }
    }
    let graph: BTreeMap<String, Vec<(String, String)>> = if args.reverse {
        let mut reverse: BTreeMap<String, Vec<(String, String)>> =
            versions.keys().map(|n| (n.clone(), Vec::new())).collect();
        for (parent, children) in &edges {
            for (child, spec) in children {
                if versions.contains_key(child) {
                    reverse
                        .entry(child.clone())
                        .or_default()
                        .push((parent.clone(), spec.clone()));
                }
            }
        }
        for children in reverse.values_mut() {
            children.sort();
        }
        reverse
    } else {
        edges
    };
    let pointed: BTreeSet<&String> = graph
        .values()
        .flat_map(|c| c.iter().map(|(n, _)| n))
        .filter(|n| versions.contains_key(*n))
        .collect();
    let roots: Vec<String> = if args.packages.is_empty() {
        let mut roots: Vec<String> = versions
            .keys()
            .filter(|n| !pointed.contains(n))
            .cloned()
            .collect();
        if roots.is_empty() {
            // Everything is in a cycle: start anywhere.
            roots = versions.keys().take(1).cloned().collect();
        }
        roots
    } else {
        args.packages.iter().map(|p| normalize(p)).collect()
    };
    let mut out = String::new();
    let mut expanded = BTreeSet::new();
    for root in &roots {
        let Some(version) = versions.get(root) else {
            return Err(Error::failure(
                format!("package `{root}` is not installed"),
                Some("`wharf list` shows what is".to_string()),
            ));
        };
        out.push_str(&format!("{root} v{version}\n"));
        let mut path = vec![root.clone()];
        let style = Style {
            max_depth: args.depth,
            reverse: args.reverse,
            specifiers: args.show_version_specifiers,
        };
        draw(
            &graph,
            &versions,
            root,
            "",
            1,
            style,
            &mut path,
            &mut expanded,
            &mut out,
        );
        expanded.insert(root.clone());
    }
    Ok(write_stdout(out.as_bytes()))
}

/// How `wharf tree` draws.
#[derive(Debug, Clone, Copy)]
struct Style {
    max_depth: Option<usize>,
    reverse: bool,
    specifiers: bool,
}

/// Draws the children of `name` below `prefix`; a subtree already drawn is `(*)`.
#[allow(clippy::too_many_arguments)]
fn draw(
    graph: &BTreeMap<String, Vec<(String, String)>>,
    versions: &BTreeMap<String, String>,
    name: &str,
    prefix: &str,
    depth: usize,
    style: Style,
    path: &mut Vec<String>,
    expanded: &mut BTreeSet<String>,
    out: &mut String,
) {
    if style.max_depth.is_some_and(|max| depth > max) {
        return;
    }
    let children = graph.get(name).map_or(&[][..], Vec::as_slice);
    for (i, (child, spec)) in children.iter().enumerate() {
        let last = i + 1 == children.len();
        let (branch, indent) = if last {
            ("└── ", "    ")
        } else {
            ("├── ", "│   ")
        };
        let label = match versions.get(child) {
            Some(version) if style.specifiers && style.reverse => {
                format!("{child} v{version} [requires: {name}{spec}]")
            }
            Some(version) if style.specifiers && !spec.is_empty() => {
                format!("{child} v{version} [required: {spec}]")
            }
            Some(version) => format!("{child} v{version}"),
            None => format!(
                "{child} [required: {}, not installed]",
                if spec.is_empty() { "*" } else { spec }
            ),
        };
        let seen = expanded.contains(child) || path.contains(child);
        let has_children = graph.get(child).is_some_and(|c| !c.is_empty());
        if seen && has_children {
            out.push_str(&format!("{prefix}{branch}{label} (*)\n"));
            continue;
        }
        out.push_str(&format!("{prefix}{branch}{label}\n"));
        if versions.contains_key(child) {
            path.push(child.clone());
            draw(
                graph,
                versions,
                child,
                &format!("{prefix}{indent}"),
                depth + 1,
                style,
                path,
                expanded,
                out,
            );
            path.pop();
            expanded.insert(child.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pathlib_normalization() {
        assert_eq!(pathlib("./a//b/"), "a/b");
        assert_eq!(pathlib("../../../bin/x"), "../../../bin/x");
        assert_eq!(normalize("Scikit_Learn"), "scikit-learn");
        assert_eq!(normalize("zope.interface"), "zope-interface");
        assert_eq!(
            redent("BSD\n        \n        Copy\n          x"),
            "BSD\n\nCopy\n  x"
        );
        assert_eq!(redent("one line"), "one line");
    }
}
