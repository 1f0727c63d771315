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
//! bound (pandas 1.5.3), so `pip check` is satisfied.

use std::path::PathBuf;

use memchr::memmem;
use rayon::prelude::*;
use wharf_install::InstalledDist;

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
}
