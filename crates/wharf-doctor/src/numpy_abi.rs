//! numpy's C-API generation of compiled extensions: the numpy 1.x / 2.x ABI break.
//!
//! An extension module that uses numpy's C API calls `import_array()`, whose code the numpy
//! headers it was compiled with put into the binary. numpy 1.x headers import
//! `numpy.core._multiarray_umath`; numpy 2.x headers import `numpy._core._multiarray_umath`
//! first (and fall back to the old name, so a 2.x build runs on 1.x too). So the detection
//! rule is a byte search in the shared object:
//!
//! - contains `numpy._core._multiarray_umath`: built against numpy 2.x, runs on both;
//! - contains only `numpy.core._multiarray_umath`: built against numpy 1.x; under numpy 2 its
//!   import fails with "A module that was compiled using NumPy 1.x cannot be run in NumPy 2"
//!   and `ImportError: numpy.core.multiarray failed to import`;
//! - neither: does not use numpy's C API.
//!
//! Metadata alone cannot tell: such packages often declare `numpy>=1.21` without an upper
//! bound (pandas 1.5.3), so `pip check` is satisfied. The same byte search over a wheel's
//! extensions ([`wheel_numpy_c_api`]) tells whether the wheelhouse has a build of the package
//! made for numpy 2, which is what [`NumpyAbiRemedy`] offers before `numpy<2`.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use memchr::memmem;
use rayon::prelude::*;
use wharf_install::InstalledDist;

use crate::shell_quote;
use crate::wheelhouse::Offered;

/// Extension members larger than this (uncompressed) are not read by [`wheel_numpy_c_api`]:
/// 256 MiB. Such files are CUDA kernels and bundled libraries (torch's `libtorch_cuda.so`),
/// never a module that imports numpy's C API, and reading them would cost seconds.
pub const WHEEL_MEMBER_LIMIT: u64 = 256 * 1024 * 1024;

/// How many wheels of a package [`NumpyAbiRemedy::find`] looks into, newest first: 3.
pub const WHEELS_CHECKED: usize = 3;

/// The numpy C-API generation an extension was compiled against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumpyCApi {
    /// The extension does not import numpy's C API.
    None,
    /// numpy 1.x headers: fails to import under numpy 2.
    V1,
    /// numpy 2.x headers: works with 1.x and 2.x.
    V2,
}

/// Classifies the bytes of a shared object (see the module docs).
pub fn numpy_c_api(bytes: &[u8]) -> NumpyCApi {
    if memmem::find(bytes, b"numpy._core._multiarray_umath").is_some() {
        NumpyCApi::V2
    } else if memmem::find(bytes, b"numpy.core._multiarray_umath").is_some() {
        NumpyCApi::V1
    } else {
        NumpyCApi::None
    }
}

/// The extension modules (`.so` in `RECORD`) of `dist` compiled against numpy 1.x, sorted.
/// Unreadable files are skipped.
pub fn numpy1_extensions(dist: &InstalledDist) -> Vec<PathBuf> {
    let Ok(files) = dist.files() else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = files
        .into_par_iter()
        .filter(|path| {
            path.extension().is_some_and(|e| e == "so")
                && std::fs::read(path).is_ok_and(|bytes| numpy_c_api(&bytes) == NumpyCApi::V1)
        })
        .collect();
    found.sort();
    found
}

/// Whether `dist` declares a dependency on numpy (any `Requires-Dist: numpy…`).
pub fn requires_numpy(dist: &InstalledDist) -> bool {
    dist.requires_dist.iter().any(|r| {
        let name: String = r
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .collect();
        name.eq_ignore_ascii_case("numpy")
    })
}

/// The numpy C-API generation of the extension modules (`.so` members) of the wheel at
/// `path`: [`NumpyCApi::V1`] when any of them imports numpy 1.x's C API only,
/// [`NumpyCApi::V2`] when some import 2.x's and none only 1.x's, [`NumpyCApi::None`] when none
/// uses it. `None` when the file is not a readable zip. Members over [`WHEEL_MEMBER_LIMIT`]
/// are skipped.
pub fn wheel_numpy_c_api(path: &Path) -> Option<NumpyCApi> {
    let file = std::fs::File::open(path).ok()?;
    let mut archive = zip::ZipArchive::new(std::io::BufReader::new(file)).ok()?;
    let mut found = NumpyCApi::None;
    for index in 0..archive.len() {
        let Ok(mut member) = archive.by_index(index) else {
            return None;
        };
        let extension = member.name().is_ok_and(|name| {
            let base = name.rsplit('/').next().unwrap_or_default();
            base.ends_with(".so") || base.contains(".so.")
        });
        if !extension || member.size() > WHEEL_MEMBER_LIMIT {
            continue;
        }
        let mut bytes = Vec::with_capacity(usize::try_from(member.size()).unwrap_or(0));
        if (&mut member)
            .take(WHEEL_MEMBER_LIMIT)
            .read_to_end(&mut bytes)
            .is_err()
        {
            return None;
        }
        match numpy_c_api(&bytes) {
            NumpyCApi::V1 => return Some(NumpyCApi::V1),
            NumpyCApi::V2 => found = NumpyCApi::V2,
            NumpyCApi::None => {}
        }
    }
    Some(found)
}

/// What the wheelhouse offers a package built against numpy 1.x while numpy ≥ 2 is
/// installed: a build of it made for numpy 2, a numpy 1.x, both, or neither. Every version it
/// names was found in the wheelhouse for the interpreter, and a "build made for numpy 2" was
/// looked into ([`wheel_numpy_c_api`]), not guessed from its version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumpyAbiRemedy {
    /// The package (its distribution name). Ex) `pandas`
    pub package: String,
    /// Its installed version. Ex) `1.5.3`
    pub installed: String,
    /// The newest wheel of the package in the wheelhouse that does not need numpy 1.x (its
    /// extensions import numpy 2's C API, or none of numpy's), other than the installed build.
    pub rebuilt: Option<Offered>,
    /// The wheels looked into and found built against numpy 1.x, newest first.
    pub numpy1_builds: Vec<Offered>,
    /// Whether the wheelhouse has any wheel of the package for the interpreter.
    pub package_offered: bool,
    /// The newest numpy 1.x of the wheelhouse for the interpreter.
    pub numpy1: Option<Offered>,
}

impl NumpyAbiRemedy {
    /// Looks for the remedies of `package` (installed `installed`) among `package_offered`
    /// and `numpy_offered`, the wheelhouse's versions for the interpreter, newest first (see
    /// [`crate::wheelhouse::Wheelhouse::offered`]): up to [`WHEELS_CHECKED`] wheels of the
    /// package are looked into, newest first, the installed version itself skipped.
    pub fn find(
        package: &str,
        installed: &str,
        package_offered: &[Offered],
        numpy_offered: &[Offered],
    ) -> Self {
        let mut rebuilt = None;
        let mut numpy1_builds = Vec::new();
        for offered in package_offered
            .iter()
            .filter(|o| o.version.to_string() != installed)
            .take(WHEELS_CHECKED)
        {
            match wheel_numpy_c_api(&offered.path) {
                Some(NumpyCApi::V2 | NumpyCApi::None) => {
                    rebuilt = Some(offered.clone());
                    break;
                }
                Some(NumpyCApi::V1) => numpy1_builds.push(offered.clone()),
                None => {}
            }
        }
        let numpy1 = numpy_offered
            .iter()
            .find(|o| o.version.release().first().is_some_and(|major| *major < 2))
            .cloned();
        Self {
            package: package.to_string(),
            installed: installed.to_string(),
            rebuilt,
            numpy1_builds,
            package_offered: !package_offered.is_empty(),
            numpy1,
        }
    }

    /// The evidence lines: what the wheelhouse has for Python `python` (`3.11`).
    pub fn evidence(&self, python: &str) -> Vec<String> {
        let mut lines = Vec::new();
        let package = &self.package;
        if let Some(rebuilt) = &self.rebuilt {
            lines.push(format!(
                "the wheelhouse has {package} {} for Python {python}, built against numpy 2 ({})",
                rebuilt.version,
                file_name(&rebuilt.path)
            ));
        } else if !self.numpy1_builds.is_empty() {
            let versions: Vec<String> = self
                .numpy1_builds
                .iter()
                .map(|o| o.version.to_string())
                .collect();
            lines.push(format!(
                "the wheelhouse's {package} {} for Python {python} is built against numpy 1.x too",
                versions.join(", ")
            ));
        } else if !self.package_offered {
            lines.push(format!(
                "the wheelhouse has no other {package} for Python {python}"
            ));
        }
        lines.push(match &self.numpy1 {
            Some(numpy) => format!(
                "the wheelhouse has numpy {} for Python {python}",
                numpy.version
            ),
            None => format!("the wheelhouse has no numpy 1.x for Python {python}"),
        });
        lines
    }

    /// The fix, its commands made by `install` (`wharf install [--python ENV] ARGS`) and
    /// `uninstall`; `note` is appended where the wheelhouse has nothing (why, when it is not
    /// configured: [`crate::wheelhouse::Wheelhouse::unconfigured_note`]).
    pub fn fix(
        &self,
        python: &str,
        install: &dyn Fn(&str) -> String,
        uninstall: &dyn Fn(&str) -> String,
        note: &str,
    ) -> String {
        let package = &self.package;
        let installed = &self.installed;
        let numpy1 = || format!("`{}`", install(&shell_quote("numpy<2")));
        match (&self.rebuilt, &self.numpy1) {
            (Some(rebuilt), numpy) => {
                let public = rebuilt.public_version();
                let same = public == crate::doctor::public_version(installed);
                let args = format!(
                    "{}{}",
                    if same { "--reinstall " } else { "" },
                    shell_quote(&format!("{package}=={public}"))
                );
                let mut fix = format!(
                    "install the wheelhouse's {package} {}, built against numpy 2: `{}`",
                    rebuilt.version,
                    install(&args)
                );
                if let Some(numpy) = numpy {
                    fix.push_str(&format!(
                        "; or keep {package} {installed} and go back to numpy {}: {}",
                        numpy.version,
                        numpy1()
                    ));
                }
                fix
            }
            (None, Some(numpy)) => format!(
                "go back to numpy 1.x, which {package} {installed} was built for: {} (installs numpy {}; the wheelhouse has no {package} built against numpy 2)",
                numpy1(),
                numpy.version
            ),
            (None, None) => format!(
                "the wheelhouse has no {package} built against numpy 2 and no numpy 1.x for Python {python}{note}: remove {package} if nothing needs it (`{}`), or ask your site's staff for a build of {package} against numpy 2 (`wharf avail --explain {package}` lists what exists)",
                uninstall(package)
            ),
        }
    }
}

/// The last component of `path`, for evidence.
fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_by_the_imported_module_name() {
        assert_eq!(
            numpy_c_api(b"\0numpy.core._multiarray_umath\0numpy.core.multiarray failed to import"),
            NumpyCApi::V1
        );
        assert_eq!(
            numpy_c_api(b"numpy._core._multiarray_umath\0numpy.core._multiarray_umath"),
            NumpyCApi::V2
        );
        assert_eq!(numpy_c_api(b"PyInit_foo"), NumpyCApi::None);
    }

    /// A wheel of `name` `version` in `dir` whose extension holds `bytes`.
    fn wheel(dir: &std::path::Path, name: &str, version: &str, bytes: &[u8]) -> Offered {
        let path = dir.join(format!("{name}-{version}-cp311-cp311-linux_x86_64.whl"));
        wharf_test_support::WheelBuilder::new(name, version, false, &["numpy"])
            .file(
                &format!("{name}/_ext.cpython-311-x86_64-linux-gnu.so"),
                bytes,
            )
            .file(&format!("{name}/__init__.py"), b"import numpy")
            .write(&path);
        Offered {
            version: version.parse().unwrap(),
            path,
        }
    }

    const V1: &[u8] = b"\0numpy.core._multiarray_umath\0";
    const V2: &[u8] = b"\0numpy._core._multiarray_umath\0numpy.core._multiarray_umath\0";

    #[test]
    fn wheels_are_classified_by_their_extensions() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            wheel_numpy_c_api(&wheel(dir.path(), "a", "1.0", V1).path),
            Some(NumpyCApi::V1)
        );
        assert_eq!(
            wheel_numpy_c_api(&wheel(dir.path(), "b", "1.0", V2).path),
            Some(NumpyCApi::V2)
        );
        assert_eq!(
            wheel_numpy_c_api(&wheel(dir.path(), "c", "1.0", b"PyInit_c").path),
            Some(NumpyCApi::None)
        );
        let junk = dir.path().join("junk.whl");
        fs_err::write(&junk, b"not a zip").unwrap();
        assert_eq!(wheel_numpy_c_api(&junk), None);
    }

    /// The remedy looks into the package's wheels newest first, skips the installed version,
    /// and takes the first that does not need numpy 1.x; numpy 1.x is the newest below 2.
    #[test]
    fn remedy_finds_a_numpy2_build_and_a_numpy1() {
        let dir = tempfile::tempdir().unwrap();
        let package = [
            wheel(dir.path(), "pandas", "2.2.2+computecanada", V2),
            wheel(dir.path(), "pandas", "1.5.3", V1),
        ];
        let numpy: Vec<Offered> = ["2.0.2", "1.26.4+computecanada", "1.25.0"]
            .iter()
            .map(|v| Offered {
                version: v.parse().unwrap(),
                path: PathBuf::from(format!("/w/numpy-{v}.whl")),
            })
            .collect();
        let remedy = NumpyAbiRemedy::find("pandas", "1.5.3", &package, &numpy);
        assert_eq!(
            remedy.rebuilt.as_ref().map(|o| o.version.to_string()),
            Some("2.2.2+computecanada".to_string())
        );
        assert!(remedy.numpy1_builds.is_empty());
        assert_eq!(
            remedy.numpy1.as_ref().map(|o| o.version.to_string()),
            Some("1.26.4+computecanada".to_string())
        );
        let install = |args: &str| format!("wharf install {args}");
        let uninstall = |args: &str| format!("wharf uninstall {args}");
        assert_eq!(
            remedy.fix("3.11", &install, &uninstall, ""),
            "install the wheelhouse's pandas 2.2.2+computecanada, built against numpy 2: `wharf install pandas==2.2.2`; or keep pandas 1.5.3 and go back to numpy 1.26.4+computecanada: `wharf install 'numpy<2'`"
        );

        // The same version rebuilt by the site (other local label): a reinstall.
        let site = [wheel(dir.path(), "scipy", "1.13.1+computecanada", V2)];
        let remedy = NumpyAbiRemedy::find("scipy", "1.13.1", &site, &numpy[..1]);
        assert_eq!(
            remedy.fix("3.11", &install, &uninstall, ""),
            "install the wheelhouse's scipy 1.13.1+computecanada, built against numpy 2: `wharf install --reinstall scipy==1.13.1`"
        );
        assert_eq!(
            remedy.evidence("3.11")[1],
            "the wheelhouse has no numpy 1.x for Python 3.11"
        );

        // Nothing fits: no install command.
        let old = [wheel(dir.path(), "h5py", "3.8.0", V1)];
        let remedy = NumpyAbiRemedy::find("h5py", "3.7.0", &old, &numpy[..1]);
        assert_eq!(remedy.rebuilt, None);
        assert_eq!(remedy.numpy1_builds.len(), 1);
        let fix = remedy.fix("3.11", &install, &uninstall, "");
        assert!(
            fix.starts_with("the wheelhouse has no h5py built against numpy 2 and no numpy 1.x for Python 3.11: remove h5py if nothing needs it (`wharf uninstall h5py`)"),
            "{fix}"
        );
        assert!(!fix.contains("wharf install"), "{fix}");
    }
}
