//! `wharf avail --explain NAME`: why a project has no compatible wheel, and the fix.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use wharf_site::{Catalogue, CatalogueEntry, PythonVersion};

use crate::query::AvailRequirement;
use crate::select::avail_tags;

/// The answer to `--explain`: human-readable lines (data, printed on stdout) and whether a
/// compatible wheel exists under the current selection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    /// Whether at least one wheel matches the name, the specifiers, one of the selected
    /// Pythons and a searched directory.
    pub available: bool,
    /// The explanation, one line each.
    pub lines: Vec<String>,
}

/// Explains what exists for `requirement`.
///
/// - `searched` is the catalogue of the directories the user's configuration searches
///   (their StdEnv's find-links, filtered by `--arch`);
/// - `everywhere` is a catalogue of every directory of the wheelhouse (all layers and
///   archs), used to say where else the project exists;
/// - `pythons` are the selected Python versions; `module_pythons` those the module system
///   offers (the candidates for a `module load python/X.Y` hint).
pub fn explain(
    requirement: &AvailRequirement,
    searched: &Catalogue,
    everywhere: &Catalogue,
    pythons: &[PythonVersion],
    module_pythons: &[PythonVersion],
) -> Explanation {
    fn named<'c>(requirement: &AvailRequirement, c: &'c Catalogue) -> Vec<&'c CatalogueEntry> {
        let mut v: Vec<&CatalogueEntry> = c
            .entries
            .iter()
            .filter(|e| requirement.matches_name(e.filename.name.as_ref()))
            .collect();
        v.sort_by(|a, b| b.filename.version.cmp(&a.filename.version));
        v
    }
    let public = |e: &CatalogueEntry| e.filename.version.clone().without_local().to_string();
    let in_searched = named(requirement, searched);
    let in_wheelhouse = named(requirement, everywhere);
    let selected_tags: Vec<_> = pythons.iter().map(|p| (*p, avail_tags(*p))).collect();
    let python_list = pythons
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let mut lines = Vec::new();

    let compatible: Vec<&&CatalogueEntry> = in_searched
        .iter()
        .filter(|e| requirement.specifiers.contains(&public(e)))
        .filter(|e| {
            selected_tags
                .iter()
                .any(|(_, t)| e.filename.is_compatible(t))
        })
        .collect();
    if let Some(best) = compatible.first() {
        let arch = &searched.find_links.0[best.find_link].arch;
        lines.push(format!(
            "{} {} is available for Python {python_list} (arch {arch}): {}",
            best.filename.name,
            best.filename.version,
            best.path.display()
        ));
        return Explanation {
            available: true,
            lines,
        };
    }

    if in_searched.is_empty() && in_wheelhouse.is_empty() {
        let mut line = format!(
            "no wheel named `{}` in the {} searched directories",
            requirement.name,
            searched.find_links.len().max(everywhere.find_links.len())
        );
        let similar = wharf_site::similar_names(
            &requirement.pattern,
            everywhere
                .entries
                .iter()
                .chain(&searched.entries)
                .map(|e| e.filename.name.as_ref()),
        );
        if !similar.is_empty() {
            let _ = write!(line, "; similar names: {}", similar.join(", "));
        }
        lines.push(line);
        lines.push("hint: wharf installs only what the wheelhouse holds; ask your site's staff to add a wheel for it".to_string());
        return Explanation {
            available: false,
            lines,
        };
    }

    // Versions: wheels exist, none satisfies the specifiers.
    if !requirement.specifiers.is_empty() {
        let matching = in_searched
            .iter()
            .any(|e| requirement.specifiers.contains(&public(e)));
        if !matching {
            let mut versions: Vec<String> = in_searched.iter().map(|e| public(e)).collect();
            versions.dedup();
            lines.push(format!(
                "no version of {} matches `{}`; versions in the wheelhouse: {}",
                requirement.name,
                requirement
                    .specifiers
                    .0
                    .iter()
                    .map(|s| match s {
                        crate::AnySpecifier::Pep440(s) => s.to_string(),
                        crate::AnySpecifier::Legacy { operator, version } =>
                            format!("{operator}{version}"),
                    })
                    .collect::<Vec<_>>()
                    .join(","),
                if versions.is_empty() {
                    "none".to_string()
                } else {
                    versions.join(", ")
                }
            ));
        }
    }

    // Pythons: which Python would see the newest matching wheel.
    let mut candidates: Vec<PythonVersion> = module_pythons.to_vec();
    for minor in 6..=14 {
        let p = PythonVersion { major: 3, minor };
        if !candidates.contains(&p) {
            candidates.push(p);
        }
    }
    candidates.sort();
    let mut by_python: BTreeMap<PythonVersion, &CatalogueEntry> = BTreeMap::new();
    for entry in in_searched
        .iter()
        .filter(|e| requirement.specifiers.contains(&public(e)))
    {
        for python in &candidates {
            if entry.filename.is_compatible(&avail_tags(*python)) {
                by_python.entry(*python).or_insert(entry);
            }
        }
    }
    if !by_python.is_empty() {
        let selected = if pythons.is_empty() {
            "no Python is selected (no python module is loaded and none was found in the module tree)".to_string()
        } else {
            format!("you selected Python {python_list}")
        };
        for (python, entry) in by_python.iter().rev() {
            lines.push(format!(
                "{} {} exists for Python {python} ({}); {selected}",
                entry.filename.name,
                entry.filename.version,
                entry
                    .filename
                    .python_tags
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(".")
            ));
        }
        let best = by_python
            .keys()
            .rev()
            .find(|p| module_pythons.contains(p))
            .or_else(|| by_python.keys().next_back());
        if let Some(best) = best {
            lines.push(format!(
                "hint: `module load python/{best}` (then `wharf avail {}`)",
                requirement.name
            ));
        }
    }

    // Archs: wheels only in directories the configuration does not search.
    let searched_dirs: Vec<_> = searched.find_links.iter().map(|l| l.path.clone()).collect();
    let mut elsewhere: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for entry in &in_wheelhouse {
        let link = &everywhere.find_links.0[entry.find_link];
        if searched_dirs.contains(&link.path) {
            continue;
        }
        let compatible = selected_tags
            .iter()
            .any(|(_, t)| entry.filename.is_compatible(t));
        if compatible && requirement.specifiers.contains(&public(entry)) {
            elsewhere
                .entry(link.path.display().to_string())
                .or_default()
                .push(entry.filename.version.to_string());
        }
    }
    for (dir, mut versions) in elsewhere {
        versions.dedup();
        lines.push(format!(
            "{} {} exists in `{dir}`, which your configuration does not search",
            requirement.name,
            versions.join(", ")
        ));
        lines.push("hint: that directory is another CPU arch or StdEnv; load the StdEnv (or run on a node) whose pip config lists it, or pass `--all-archs`".to_string());
    }
    if lines.is_empty() {
        lines.push(format!(
            "{} has wheels, but none for Python {python_list} on `linux_x86_64`",
            requirement.name
        ));
    }
    Explanation {
        available: false,
        lines,
    }
}
