//! Selecting, grouping and ordering catalogue wheels as `avail_wheels` does.

use rustc_hash::FxHashMap as HashMap;
use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use wharf_site::{Catalogue, CatalogueEntry, PythonVersion};
use wharf_wheel_filename::{PlatformTag, Tags};

use crate::loose_version::LooseVersion;
use crate::query::AvailRequirement;

/// The tags `avail_wheels` accepts for a Python version: packaging 21.3's `cpython_tags`
/// and `compatible_tags` (without `cpXY-none-any`) on the generic platform
/// `linux_x86_64` only — manylinux wheels are never listed, as the site refuses them.
pub fn avail_tags(python: PythonVersion) -> Tags {
    Tags::cpython(
        python.tuple(),
        &Tags::cpython_default_abis(python.tuple()),
        &["linux_x86_64".parse::<PlatformTag>().expect("valid tag")],
        false,
    )
}

/// What to list.
#[derive(Clone, Debug, Default)]
pub struct AvailQuery {
    /// The requirements (deduplicated by [`AvailRequirement::display_key`], last one wins,
    /// first position kept), or `None` to list every wheel.
    pub requirements: Option<Vec<AvailRequirement>>,
    /// Python versions a wheel must be compatible with (any of them).
    pub pythons: Vec<PythonVersion>,
    /// Keep only the newest version (local part included) of each project.
    pub latest: bool,
}

impl AvailQuery {
    /// A filter on raw file names for [`Catalogue::scan`]: with requirements, keeps only
    /// files whose distribution part matches one of the name patterns, so the rest of the
    /// wheelhouse is never parsed.
    pub fn file_name_filter(&self) -> impl Fn(&str) -> bool + Sync + '_ {
        move |file_name: &str| match &self.requirements {
            None => true,
            Some(requirements) => {
                let distribution = file_name.split('-').next().unwrap_or_default();
                let first = distribution.bytes().next().map(|b| b.to_ascii_lowercase());
                // Cheap rejection before normalizing: a pattern without a leading `*` must
                // share the name's first character.
                let possible = requirements.iter().any(|r| {
                    let p = r.pattern.as_bytes().first().copied();
                    p == Some(b'*') || p == first
                });
                possible && {
                    let normalized = crate::query::normalize_pattern(distribution);
                    requirements.iter().any(|r| r.matches_name(&normalized))
                }
            }
        }
    }
}

/// One project's rows: its wheels, or a requirement that matched nothing.
#[derive(Clone, Debug)]
pub enum Group<'a> {
    /// Wheels of one project (PEP 503 name), best first.
    Wheels(Vec<&'a CatalogueEntry>),
    /// A requested name with no wheel (shown by `--not-available`).
    NotAvailable(String),
}

impl Group<'_> {
    fn sort_key(&self) -> String {
        match self {
            Group::Wheels(wheels) => wheels
                .first()
                .map(|w| w.filename.distribution.to_lowercase())
                .unwrap_or_default(),
            Group::NotAvailable(key) => key.to_lowercase(),
        }
    }
}

/// Not-available handling (`--not-available`, `--not-available-only`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NotAvailable {
    /// Only wheels found.
    #[default]
    Hide,
    /// Wheels found, plus requested names that matched nothing.
    Also,
    /// Only requested names that matched nothing.
    Only,
}

/// Selects the catalogue wheels that satisfy `query`, grouped by project and ordered as
/// `avail_wheels` prints them: projects by lowercase name; within one, by version
/// (descending, local part included), then arch (descending), then python column
/// (descending, packaging 21.3 order), ties in catalogue order.
pub fn select<'a>(
    catalogue: &'a Catalogue,
    query: &AvailQuery,
    not_available: NotAvailable,
) -> Vec<Group<'a>> {
    let per_python: Vec<Tags> = query.pythons.iter().map(|p| avail_tags(*p)).collect();
    let tags = Tags::union(&per_python);
    let filter = query.file_name_filter();
    // One thread: for a 30 000-wheel listing the whole selection takes a few milliseconds,
    // less than waking pool threads after an idle moment costs (see BENCHMARKS.md).
    let selected: Vec<&CatalogueEntry> = catalogue
        .entries
        .iter()
        .filter(|entry| {
            let filename = &entry.filename;
            if !filter(&filename.distribution) {
                return false;
            }
            let name = filename.name.as_ref();
            let wanted = match &query.requirements {
                None => true,
                Some(requirements) => {
                    let public = public_version(&filename.version);
                    if let Some(exact) = requirements
                        .iter()
                        .rev()
                        .find(|r| !r.is_wildcard() && r.pattern == name)
                    {
                        exact.specifiers.contains(&public)
                    } else {
                        requirements
                            .iter()
                            .any(|r| r.matches_name(name) && r.specifiers.contains(&public))
                    }
                }
            };
            wanted && filename.is_compatible(&tags)
        })
        .collect();
    let mut by_name: HashMap<&str, Vec<&CatalogueEntry>> = HashMap::default();
    let mut order: Vec<&str> = Vec::new();
    for entry in selected {
        let name = entry.filename.name.as_ref();
        by_name
            .entry(name)
            .or_insert_with(|| {
                order.push(name);
                Vec::new()
            })
            .push(entry);
    }
    let mut groups: Vec<Group<'a>> = Vec::new();
    if not_available != NotAvailable::Only {
        let mut lists: Vec<Vec<&CatalogueEntry>> = order
            .iter()
            .map(|name| by_name.remove(name).unwrap_or_default())
            .collect();
        // The python column's sort keys, computed once per distinct value.
        let mut python_keys: PythonKeys<'a> = HashMap::default();
        for wheel in lists.iter().flatten() {
            if let Some(python) = Column::Python.cell(wheel, catalogue) {
                python_keys
                    .entry(python)
                    .or_insert_with_key(|p| LooseVersion::parse(p));
            }
        }
        for wheels in &mut lists {
            if query.latest
                && let Some(max) = wheels.iter().map(|w| &w.filename.version).max().cloned()
            {
                wheels.retain(|w| w.filename.version == max);
            }
            sort_wheels(wheels, catalogue, &python_keys);
        }
        groups.extend(lists.into_iter().map(Group::Wheels));
    }
    if not_available != NotAvailable::Hide
        && let Some(requirements) = &query.requirements
    {
        for requirement in requirements {
            if !order.iter().any(|name| requirement.matches_name(name)) {
                groups.push(Group::NotAvailable(requirement.display_key()));
            }
        }
    }
    groups.sort_by_cached_key(Group::sort_key);
    groups
}

/// The public version of a catalogue entry, borrowed from its file name when the name
/// already spells it canonically (plain dot-separated numbers without leading zeros, the
/// common case), else formatted. Ex) `1.26.4`
fn public_cell(entry: &CatalogueEntry) -> Cow<'_, str> {
    let name = entry.file_name();
    let bytes = name.as_bytes();
    // The version part: after the first `-`, up to the next `-` or the local part's `+`
    // (positions of ASCII bytes, so slicing the text there is sound).
    let start = bytes
        .iter()
        .position(|&b| b == b'-')
        .map_or(bytes.len(), |i| i + 1);
    let end = bytes[start..]
        .iter()
        .position(|&b| b == b'-' || b == b'+')
        .map_or(bytes.len(), |i| start + i);
    let public = &bytes[start..end];
    let mut canonical = !public.is_empty();
    let mut part_start = true;
    for (i, &b) in public.iter().enumerate() {
        canonical &= match b {
            b'.' => !part_start,
            b'0' if part_start => public.get(i + 1).is_none_or(|&next| next == b'.'),
            b'0'..=b'9' => true,
            _ => false,
        };
        part_start = b == b'.';
    }
    if canonical && !part_start {
        Cow::Borrowed(&name[start..end])
    } else {
        Cow::Owned(public_version(&entry.filename.version))
    }
}

/// `Version.public` of packaging: the version without its local part. Ex) `1.26.4`
fn public_version(version: &pep440_rs::Version) -> String {
    let mut text = version.to_string();
    if let Some(plus) = text.find('+') {
        text.truncate(plus);
    }
    text
}

/// Sort keys of the python column, computed once per distinct value (a wheelhouse has few:
/// `cp311`, `py3`, `py2,py3`…).
type PythonKeys<'c> = HashMap<Cow<'c, str>, LooseVersion>;

fn sort_wheels<'c>(
    wheels: &mut [&'c CatalogueEntry],
    catalogue: &'c Catalogue,
    python_keys: &PythonKeys<'c>,
) {
    if wheels.len() < 2 {
        return;
    }
    let fallback = LooseVersion::parse("");
    wheels.sort_by_cached_key(|w| {
        let key = Column::Python
            .cell(w, catalogue)
            .and_then(|p| python_keys.get(&p))
            .unwrap_or(&fallback);
        std::cmp::Reverse((w.filename.version.clone(), arch_of(w, catalogue), key))
    });
}

fn arch_of<'c>(entry: &CatalogueEntry, catalogue: &'c Catalogue) -> &'c str {
    catalogue
        .find_links
        .0
        .get(entry.find_link)
        .map_or("", |l| l.arch.as_str())
}

/// A column `avail_wheels --column` can show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    /// The distribution name as written in the filename. Ex) `scikit_learn`
    Name,
    /// The public version. Ex) `1.23.0`
    Version,
    /// The local version label. Ex) `computecanada`
    LocalVersion,
    /// The build tag. Ex) `1`
    Build,
    /// Sorted, comma-joined python tags. Ex) `py2,py3`
    Python,
    /// Sorted, comma-joined ABI tags. Ex) `cp310`
    Abi,
    /// Sorted, comma-joined platform tags. Ex) `linux_x86_64`
    Platform,
    /// The arch label of the find-links directory. Ex) `x86-64-v3`
    Arch,
}

impl Column {
    /// Every column, in `avail_wheels`' order.
    pub const ALL: [Column; 8] = [
        Column::Name,
        Column::Version,
        Column::LocalVersion,
        Column::Build,
        Column::Python,
        Column::Abi,
        Column::Platform,
        Column::Arch,
    ];

    /// The default columns: name, version, python, arch.
    pub const DEFAULT: [Column; 4] = [Column::Name, Column::Version, Column::Python, Column::Arch];

    /// The column's header / command-line name. Ex) `localversion`
    pub fn as_str(self) -> &'static str {
        match self {
            Column::Name => "name",
            Column::Version => "version",
            Column::LocalVersion => "localversion",
            Column::Build => "build",
            Column::Python => "python",
            Column::Abi => "abi",
            Column::Platform => "platform",
            Column::Arch => "arch",
        }
    }

    /// The cell for `entry` (`None` = missing, shown empty).
    pub fn value(self, entry: &CatalogueEntry, catalogue: &Catalogue) -> Option<String> {
        self.cell(entry, catalogue).map(Cow::into_owned)
    }

    /// [`Column::value`], borrowing from the catalogue where the cell is a name as written.
    pub fn cell<'c>(
        self,
        entry: &'c CatalogueEntry,
        catalogue: &'c Catalogue,
    ) -> Option<Cow<'c, str>> {
        fn joined<T: fmt::Display + AsRef<str>>(items: &[T]) -> Cow<'_, str> {
            if let [one] = items {
                return Cow::Borrowed(one.as_ref());
            }
            let mut values: Vec<String> = items.iter().map(ToString::to_string).collect();
            values.sort();
            values.dedup();
            Cow::Owned(values.join(","))
        }
        let filename = &entry.filename;
        Some(match self {
            Column::Name => Cow::Borrowed(&*filename.distribution),
            Column::Version => public_cell(entry),
            Column::LocalVersion => {
                let local = filename.version.local();
                if local.is_empty() {
                    return None;
                }
                Cow::Owned(
                    local
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("."),
                )
            }
            Column::Build => Cow::Borrowed(filename.build_tag.as_ref().map_or("", |b| b.as_str())),
            Column::Python => joined(&filename.python_tags),
            Column::Abi => joined(&filename.abi_tags),
            Column::Platform => joined(&filename.platform_tags),
            Column::Arch => Cow::Borrowed(arch_of(entry, catalogue)),
        })
    }
}

impl FromStr for Column {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Column::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("unknown column `{s}`"))
    }
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The table cells for `groups`, row-major, `columns.len()` per row: one row per wheel, or
/// with `condense` one row per project where each cell joins the distinct values with `, `
/// (sorted descending in packaging 21.3 order). A not-available name fills the `name` cell
/// only. Cells borrow from the catalogue where they can.
pub fn rows<'c>(
    groups: &[Group<'c>],
    columns: &[Column],
    catalogue: &'c Catalogue,
    condense: bool,
) -> Vec<Option<Cow<'c, str>>> {
    let group_cells = |group: &Group<'c>, out: &mut Vec<Option<Cow<'c, str>>>| match group {
        Group::NotAvailable(key) => out.extend(columns.iter().map(|c| match c {
            Column::Name => Some(Cow::Owned(key.clone())),
            Column::LocalVersion => None,
            _ => Some(Cow::Borrowed("")),
        })),
        Group::Wheels(wheels) if condense => out.extend(columns.iter().map(|c| {
            let mut values: Vec<String> = wheels
                .iter()
                .map(|w| c.value(w, catalogue).unwrap_or_default())
                .collect();
            values.sort();
            values.dedup();
            values.sort_by_cached_key(|v| std::cmp::Reverse(LooseVersion::parse(v)));
            Some(Cow::Owned(values.join(", ")))
        })),
        Group::Wheels(wheels) => {
            for wheel in wheels {
                out.extend(columns.iter().map(|c| c.cell(wheel, catalogue)));
            }
        }
    };
    let rows_of = |group: &Group<'_>| match group {
        Group::Wheels(w) if !condense => w.len(),
        _ => 1,
    };
    let mut out = Vec::with_capacity(groups.iter().map(rows_of).sum::<usize>() * columns.len());
    for group in groups {
        group_cells(group, &mut out);
    }
    out
}
