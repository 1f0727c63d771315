//! What to tell a user when a project has no acceptable wheel.

use std::str::FromStr;

use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::PackageName;
use wharf_wheel_filename::LanguageTag;

use crate::candidates::{CandidateSet, RejectReason};

/// How many versions a line lists before "(and N older)".
const SHOWN_VERSIONS: usize = 12;

/// Lines explaining why `name` has no acceptable wheel for the CPython `python` (`3.11.7`),
/// each with the fix: no wheel at all (an sdist-only project whose sdists could not be used),
/// or, as pip's "from versions: …", the versions there are for this Python and each
/// excluded wheel with why (`excluded: …`): its `Requires-Python`, another Python
/// (`module load python/X.Y`), or manylinux refused by the site's policy
/// (`--allow-manylinux`). Local version labels are kept. Lines starting with `hint: ` are fixes.
pub fn explain_unavailable(
    name: &PackageName,
    candidates: &CandidateSet,
    python: &Version,
) -> Vec<String> {
    let mut lines = Vec::new();
    let rejected = candidates.rejected.get(name).map_or(&[][..], Vec::as_slice);
    let release = python.release();
    let part = |i: usize| u8::try_from(release.get(i).copied().unwrap_or(0)).unwrap_or(u8::MAX);
    let (major, minor) = (part(0), part(1));
    if candidates.get(name).is_empty() && rejected.is_empty() {
        if let Some(newest) = candidates.sdists_of(name).first() {
            let file = newest
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            lines.push(format!(
                "{name} has only source distributions in the wheelhouse (newest: `{file}`), and none was usable: building is forbidden (`--only-binary`), or no version matches"
            ));
            lines.push(format!(
                "hint: drop `--only-binary` for {name} to let wharf build it, or ask your site's staff for a wheel of {name}"
            ));
        } else {
            lines.push(format!("no wheel named {name} in the wheelhouse"));
            lines.push(format!(
                "hint: check the name with `wharf avail \"*{name}*\"`"
            ));
        }
        return lines;
    }
    // As pip's "from versions: …": the versions for this Python (local labels kept); those
    // whose `Requires-Python` excludes the interpreter are listed apart, with it.
    let mut versions: Vec<String> = Vec::new();
    let mut requires_python: Vec<(String, String)> = Vec::new();
    for candidate in candidates.get(name) {
        let version = candidate.filename.version.to_string();
        if versions.contains(&version) || requires_python.iter().any(|(v, _)| *v == version) {
            continue;
        }
        match excluding_requires_python(&candidate.path, python) {
            Some(requires) => requires_python.push((version, requires)),
            None => versions.push(version),
        }
    }
    lines.push(format!(
        "versions of {name} for CPython {major}.{minor} in the wheelhouse: {}",
        listed(&versions)
    ));
    for (version, requires) in &requires_python {
        lines.push(format!(
            "excluded: {name} {version} requires Python {requires}; the environment has Python {python}"
        ));
    }
    let manylinux: Vec<_> = rejected
        .iter()
        .filter(|r| r.reason == RejectReason::ManylinuxRefused)
        .collect();
    if let Some(newest) = manylinux
        .iter()
        .max_by(|a, b| a.filename.version.cmp(&b.filename.version))
    {
        let mut refused: Vec<String> = manylinux
            .iter()
            .map(|r| r.filename.version.to_string())
            .collect();
        refused.sort();
        refused.dedup();
        let others = if refused.len() > 1 {
            format!(" (also {} more manylinux versions)", refused.len() - 1)
        } else {
            String::new()
        };
        lines.push(format!(
            "excluded: {name} {} (`{}`) is a manylinux wheel, refused by the site's policy (the interpreter's `_manylinux` module answers False){others}",
            newest.filename.version,
            newest.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
        ));
        lines.push("hint: use the site's wheels, or override the policy with `--allow-manylinux` if you know the wheel works here".to_string());
    }
    // Other Pythons: the newest version for each, when this Python has no wheel of it.
    let mut other_pythons: Vec<((u8, u8), Version)> = Vec::new();
    for r in rejected
        .iter()
        .filter(|r| r.reason == RejectReason::IncompatibleTags)
    {
        let here = candidates
            .get(name)
            .iter()
            .any(|c| c.filename.version == r.filename.version);
        for tag in &r.filename.python_tags {
            if let Some(v) = LanguageTag::cpython_version(tag)
                && !here
            {
                other_pythons.push((v, r.filename.version.clone()));
            }
        }
    }
    other_pythons.sort();
    other_pythons.reverse();
    other_pythons.dedup_by_key(|(v, _)| *v);
    for ((vmaj, vmin), version) in other_pythons.iter().take(4) {
        lines.push(format!(
            "excluded: {name} {version} exists for CPython {vmaj}.{vmin} (`cp{vmaj}{vmin}`); you are using CPython {major}.{minor} (`cp{major}{minor}`)"
        ));
    }
    if candidates.get(name).is_empty()
        && let Some(((vmaj, vmin), _)) = other_pythons.first()
    {
        lines.push(format!(
            "hint: `module load python/{vmaj}.{vmin}` and create the environment with that Python"
        ));
    }
    lines
}

/// `a, b, c`, at most [`SHOWN_VERSIONS`] then "(and N older)"; `none` when empty.
fn listed(versions: &[String]) -> String {
    if versions.is_empty() {
        return "none".to_string();
    }
    let shown: Vec<&str> = versions
        .iter()
        .take(SHOWN_VERSIONS)
        .map(String::as_str)
        .collect();
    let more = versions.len() - shown.len();
    if more > 0 {
        format!("{} (and {more} older)", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// The wheel's `Requires-Python` when it excludes `python` (an unreadable wheel or
/// specifier excludes nothing here: the resolver reports it).
fn excluding_requires_python(wheel: &std::path::Path, python: &Version) -> Option<String> {
    let metadata = wharf_metadata::read_metadata(wheel).ok()?;
    let requires = metadata.requires_python?;
    let specifiers = VersionSpecifiers::from_str(&requires).ok()?;
    (!specifiers.contains(python)).then_some(requires)
}
