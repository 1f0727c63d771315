//! What to tell a user when a project has no acceptable wheel.

use pep508_rs::PackageName;
use wharf_wheel_filename::LanguageTag;

use crate::candidates::{CandidateSet, RejectReason};

/// Lines explaining why `name` has no acceptable wheel for CPython `python` (`(3, 11)`),
/// each with the fix: no wheel at all (an sdist-only project whose sdists could not be used),
/// wheels only for other Pythons (`module load python/X.Y`), or manylinux wheels refused by
/// the site's policy (`--allow-manylinux`). Empty when `name` has candidates.
pub fn explain_unavailable(
    name: &PackageName,
    candidates: &CandidateSet,
    python: (u8, u8),
) -> Vec<String> {
    let mut lines = Vec::new();
    let rejected = candidates.rejected.get(name).map_or(&[][..], Vec::as_slice);
    let (major, minor) = python;
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
    // Wheels for this Python exist but none was acceptable: say which versions there are, as
    // pip's "from versions: …" does (local labels kept).
    let mut versions: Vec<String> = candidates
        .get(name)
        .iter()
        .map(|c| c.filename.version.to_string())
        .collect();
    versions.dedup();
    if !versions.is_empty() {
        let shown: Vec<&str> = versions.iter().take(12).map(String::as_str).collect();
        let more = versions.len().saturating_sub(shown.len());
        lines.push(format!(
            "the wheelhouse has {name} {} for this Python{}",
            shown.join(", "),
            if more > 0 {
                format!(" (and {more} older)")
            } else {
                String::new()
            }
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
        lines.push(format!(
            "{name} {} (`{}`) is a manylinux wheel, refused by the site's policy (the interpreter's `_manylinux` module answers False)",
            newest.filename.version,
            newest.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
        ));
        lines.push("hint: use the site's wheels, or override the policy with `--allow-manylinux` if you know the wheel works here".to_string());
    }
    let mut other_pythons: Vec<((u8, u8), String)> = Vec::new();
    for r in rejected
        .iter()
        .filter(|r| r.reason == RejectReason::IncompatibleTags)
    {
        for tag in &r.filename.python_tags {
            if let Some(v) = LanguageTag::cpython_version(tag) {
                other_pythons.push((v, r.filename.version.to_string()));
            }
        }
    }
    other_pythons.sort();
    other_pythons.dedup_by_key(|(v, _)| *v);
    if !other_pythons.is_empty() && candidates.get(name).is_empty() {
        for ((vmaj, vmin), version) in other_pythons.iter().rev().take(4) {
            lines.push(format!(
                "{name} {version} exists for CPython {vmaj}.{vmin} (`cp{vmaj}{vmin}`); you are using CPython {major}.{minor} (`cp{major}{minor}`)"
            ));
        }
        if let Some(((vmaj, vmin), _)) = other_pythons.last() {
            lines.push(format!("hint: `module load python/{vmaj}.{vmin}` and create the environment with that Python"));
        }
    }
    lines
}
