//! What the site's wheelhouse offers an interpreter: the facts a hint is checked against
//! before it names a version, a package or an install command.
//!
//! A hint such as `` `wharf install 'numpy<2'` `` is only as good as the wheelhouse: if no
//! numpy 1.x wheel fits the interpreter, the command fails, and the user is worse off than with
//! no hint. So every hint of [`crate::doctor`](mod@crate::doctor) and [`crate::explain`] that names something to
//! install asks [`Wheelhouse::offered`] first, with the interpreter's compatible tags under the
//! site's policy (manylinux refused when `_manylinux.py` says so), and says what exists instead
//! when the answer is no.
//!
//! The wheelhouse is the one `wharf install` reads (the find-links directories of
//! `PIP_FIND_LINKS`, else of the pip config's `[install]` or `[global]` section), scanned once,
//! lazily (a healthy environment never pays for it), through the catalogue index.
//!
//! Traps: pre-releases are never offered (the installer does not choose them without `--pre`);
//! a specifier without a local label matches the site's `+computecanada` builds (PEP 440), so
//! `numpy<2` matches `1.26.4+computecanada`.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::OnceLock;

use pep440_rs::{Version, VersionSpecifiers};
use wharf_site::{Catalogue, FindLinks, PythonVersion};
use wharf_wheel_filename::{AbiTag, PlatformTag, Tags};

/// The site's wheel directories, scanned on first use.
#[derive(Debug)]
pub struct Wheelhouse {
    find_links: FindLinks,
    threads: usize,
    index_dir: Option<PathBuf>,
    catalogue: OnceLock<Catalogue>,
}

/// One version of a project that the wheelhouse has a wheel of for the interpreter asked
/// about: the most preferred such wheel (first find-links directory, then best tag).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offered {
    /// The version, local label included. Ex) `1.26.4+computecanada`
    pub version: Version,
    /// The wheel file. Ex) `/cvmfs/…/x86-64-v3/numpy-1.26.4+computecanada-cp311-cp311-linux_x86_64.whl`
    pub path: PathBuf,
}

impl Offered {
    /// The version without its local label, for a `==` pin that matches it. Ex) `1.26.4`
    pub fn public_version(&self) -> String {
        self.version.clone().without_local().to_string()
    }
}

impl Wheelhouse {
    /// The wheelhouse of `find_links` (in priority order), to be scanned on `threads` threads
    /// with the catalogue index under `index_dir` (`None`: no index) when first asked.
    pub fn new(find_links: FindLinks, threads: usize, index_dir: Option<PathBuf>) -> Self {
        Self {
            find_links,
            threads,
            index_dir,
            catalogue: OnceLock::new(),
        }
    }

    /// The wheelhouse of a catalogue already scanned (tests, callers that have one).
    pub fn from_catalogue(catalogue: Catalogue) -> Self {
        let find_links = catalogue.find_links.clone();
        let cell = OnceLock::new();
        let _ = cell.set(catalogue);
        Self {
            find_links,
            threads: 1,
            index_dir: None,
            catalogue: cell,
        }
    }

    /// Whether any wheel directory is configured (else `wharf install` has no wheel source,
    /// and every install hint would fail).
    pub fn is_configured(&self) -> bool {
        !self.find_links.is_empty()
    }

    fn catalogue(&self) -> &Catalogue {
        self.catalogue.get_or_init(|| {
            Catalogue::scan_with_index(
                self.find_links.clone(),
                self.threads,
                |name| name.ends_with(".whl"),
                self.index_dir.as_deref(),
            )
        })
    }

    /// The versions of `project` (any spelling; normalized as PEP 503 says) with a wheel
    /// compatible with `tags`, newest first, one [`Offered`] per version; pre-releases left
    /// out. Empty when the wheelhouse has none, or is not configured.
    pub fn offered(&self, project: &str, tags: &Tags) -> Vec<Offered> {
        let Ok(name) = pep508_rs::PackageName::from_str(project) else {
            return Vec::new();
        };
        let mut best: Vec<(Version, (usize, usize), PathBuf)> = Vec::new();
        for entry in &self.catalogue().entries {
            if entry.filename.name != name || entry.filename.version.any_prerelease() {
                continue;
            }
            let Some(priority) = entry.filename.compatibility(tags) else {
                continue;
            };
            let rank = (entry.find_link, priority);
            match best.iter_mut().find(|(v, ..)| *v == entry.filename.version) {
                Some(found) if found.1 <= rank => {}
                Some(found) => {
                    found.1 = rank;
                    found.2.clone_from(&entry.path);
                }
                None => best.push((entry.filename.version.clone(), rank, entry.path.clone())),
            }
        }
        best.sort_by(|a, b| b.0.cmp(&a.0));
        best.into_iter()
            .map(|(version, _, path)| Offered { version, path })
            .collect()
    }

    /// Why a hint names nothing to install from the wheelhouse, when it is because there is no
    /// wheelhouse: `" (wharf has no wheel source here: …)"`; empty when one is configured.
    pub fn unconfigured_note(&self) -> &'static str {
        if self.is_configured() {
            ""
        } else {
            " (wharf has no wheel source here: PIP_FIND_LINKS is unset and the pip config has no `find-links`; the site's StdEnv module sets PIP_CONFIG_FILE)"
        }
    }
}

/// The newest of `offered` whose version `specifiers` contain.
pub fn newest_matching<'a>(
    offered: &'a [Offered],
    specifiers: &VersionSpecifiers,
) -> Option<&'a Offered> {
    offered.iter().find(|o| specifiers.contains(&o.version))
}

/// The newest of `offered` whose public version is `version`'s (`1.16.0` finds
/// `1.16.0+computecanada`).
pub fn offered_version<'a>(offered: &'a [Offered], version: &str) -> Option<&'a Offered> {
    let wanted = Version::from_str(version).ok()?.without_local();
    offered
        .iter()
        .find(|o| o.version.clone().without_local() == wanted)
}

/// Up to three versions of `offered`, newest first, for evidence: `2.2.2+computecanada,
/// 2.1.4+computecanada, … (5 versions)`; `none` when empty.
pub fn versions_text(offered: &[Offered]) -> String {
    if offered.is_empty() {
        return "none".to_string();
    }
    let mut text: Vec<String> = offered
        .iter()
        .take(3)
        .map(|o| o.version.to_string())
        .collect();
    if offered.len() > 3 {
        text.push(format!("… ({} versions)", offered.len()));
    }
    text.join(", ")
}

/// `Requires-Python` of the wheel at `path`, from its `*.dist-info/METADATA` (at most 16 MiB
/// read): `Some(None)` when it declares none, `None` when the wheel cannot be read.
pub fn wheel_requires_python(path: &Path) -> Option<Option<String>> {
    use std::io::Read as _;
    let file = std::fs::File::open(path).ok()?;
    let mut archive = zip::ZipArchive::new(std::io::BufReader::new(file)).ok()?;
    let name = archive
        .file_names()
        .filter_map(Result::ok)
        .find(|n| {
            n.split_once('/')
                .is_some_and(|(dir, rest)| dir.ends_with(".dist-info") && rest == "METADATA")
        })?
        .into_owned();
    let mut text = String::new();
    archive
        .by_name(&name)
        .ok()?
        .take(wharf_fs::DEFAULT_TEXT_CAP)
        .read_to_string(&mut text)
        .ok()?;
    Some(
        wharf_metadata::Headers::parse(&text)
            .get("Requires-Python")
            .map(str::to_string),
    )
}

/// The tags of CPython `version` on this machine's Linux platform, for a question about a
/// Python that cannot be run (an environment whose interpreter is gone): its own ABI,
/// `abi3`, pure-Python wheels, and every Linux platform tag (`linux_ARCH` and manylinux up to
/// glibc 2.40) — the platform is not what such a question is about.
pub fn cpython_tags(version: PythonVersion) -> Tags {
    let python = version.tuple();
    let abis: Vec<AbiTag> = Tags::cpython_default_abis(python);
    let platforms: Vec<PlatformTag> =
        PlatformTag::linux_platforms(std::env::consts::ARCH, Some((2, 40)));
    Tags::cpython(python, &abis, &platforms, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A catalogue of empty files named like wheels in a temporary directory.
    fn wheelhouse(dir: &std::path::Path, files: &[&str]) -> Wheelhouse {
        for file in files {
            fs_err::write(dir.join(file), b"").unwrap();
        }
        Wheelhouse::new(FindLinks::from_paths([dir]), 1, None)
    }

    fn tags_311() -> Tags {
        let abis = Tags::cpython_default_abis((3, 11));
        Tags::cpython(
            (3, 11),
            &abis,
            &PlatformTag::linux_platforms("x86_64", None),
            true,
        )
    }

    #[test]
    fn offered_is_newest_first_compatible_and_final() {
        let dir = tempfile::tempdir().unwrap();
        let wheelhouse = wheelhouse(
            dir.path(),
            &[
                "numpy-1.26.4+computecanada-cp311-cp311-linux_x86_64.whl",
                "numpy-2.0.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
                "numpy-2.1.0+computecanada-cp312-cp312-linux_x86_64.whl",
                "numpy-2.2.0rc1+computecanada-cp311-cp311-linux_x86_64.whl",
                "numpy-1.25.0+computecanada-cp311-cp311-linux_x86_64.whl",
                "six-1.16.0+computecanada-py2.py3-none-any.whl",
            ],
        );
        let offered = wheelhouse.offered("NumPy", &tags_311());
        let versions: Vec<String> = offered.iter().map(|o| o.version.to_string()).collect();
        assert_eq!(
            versions,
            ["1.26.4+computecanada", "1.25.0+computecanada"],
            "manylinux (refused by these tags), another Python and a pre-release are left out"
        );
        assert_eq!(offered[0].public_version(), "1.26.4");
        let below_2 = VersionSpecifiers::from_str("<2").unwrap();
        assert_eq!(
            newest_matching(&offered, &below_2).map(|o| o.version.to_string()),
            Some("1.26.4+computecanada".to_string())
        );
        let at_least_2 = VersionSpecifiers::from_str(">=2").unwrap();
        assert_eq!(newest_matching(&offered, &at_least_2), None);
        assert!(offered_version(&offered, "1.25.0").is_some());
        assert!(offered_version(&offered, "1.24.0").is_none());
        assert_eq!(
            versions_text(&offered),
            "1.26.4+computecanada, 1.25.0+computecanada"
        );
        assert!(wheelhouse.offered("pandas", &tags_311()).is_empty());
        assert_eq!(wheelhouse.unconfigured_note(), "");
        let none = Wheelhouse::new(FindLinks::default(), 1, None);
        assert!(!none.is_configured());
        assert!(none.unconfigured_note().contains("PIP_CONFIG_FILE"));
    }

    #[test]
    fn cpython_tags_accept_site_and_manylinux_builds_of_that_python_only() {
        let tags = cpython_tags(PythonVersion {
            major: 3,
            minor: 11,
        });
        let parse = |name: &str| wharf_wheel_filename::WheelFilename::from_str(name).unwrap();
        let arch = std::env::consts::ARCH;
        assert!(parse(&format!("six-1.16.0-cp311-cp311-linux_{arch}.whl")).is_compatible(&tags));
        assert!(
            parse(&format!("six-1.16.0-cp311-cp311-manylinux_2_17_{arch}.whl"))
                .is_compatible(&tags)
        );
        assert!(parse("six-1.16.0-py3-none-any.whl").is_compatible(&tags));
        assert!(!parse(&format!("six-1.16.0-cp312-cp312-linux_{arch}.whl")).is_compatible(&tags));
    }
}
