//! `.python-version` pins, the file uv (`uv python pin`) and pyenv (`pyenv local`) both read.
//!
//! The pin is the first line that is neither blank nor a `#` comment, trimmed; pyenv may list
//! more versions on later lines, which are ignored. Accepted: a version (`3.11`, `3.11.5`,
//! `python3.12`), uv's `cpython@3.12` / `cpython-3.12`, pyenv's `system` (any interpreter), or a
//! path (relative to the file's directory). The file is searched in the starting directory,
//! then each parent.

use std::path::{Path, PathBuf};

use crate::discovery::PythonRequest;

/// The file name of a pin.
pub const PIN_FILE: &str = ".python-version";

/// Why a `.python-version` file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum PinError {
    /// The file exists but cannot be read.
    #[error("cannot read `{}`", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The failure.
        #[source]
        source: std::io::Error,
    },
    /// The first line is not a request. Ex) `pyhton3.11`
    #[error("`{}` holds `{text}`, which is neither a Python version nor a path", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Its first non-comment line.
        text: String,
    },
}

/// The nearest pin from `start_dir` upwards: the file and its request; `None` when there is no
/// pin, or the nearest one cannot be read or parsed (see [`try_read_pin`] for why).
pub fn read_pin(start_dir: &Path) -> Option<(PathBuf, PythonRequest)> {
    try_read_pin(start_dir).ok().flatten()
}

/// [`read_pin`], telling why the nearest pin is unusable.
pub fn try_read_pin(start_dir: &Path) -> Result<Option<(PathBuf, PythonRequest)>, PinError> {
    let start = std::path::absolute(start_dir).unwrap_or_else(|_| start_dir.to_owned());
    for dir in start.ancestors() {
        let path = dir.join(PIN_FILE);
        if !path.is_file() {
            continue;
        }
        let text = fs_err::read_to_string(&path).map_err(|source| PinError::Io {
            path: path.clone(),
            source,
        })?;
        let Some(line) = text
            .lines()
            .map(str::trim)
            .find(|line| !line.is_empty() && !line.starts_with('#'))
        else {
            // An empty pin pins nothing; keep looking upwards.
            continue;
        };
        let request = parse_pin(line, dir).ok_or_else(|| PinError::Invalid {
            path: path.clone(),
            text: line.to_owned(),
        })?;
        return Ok(Some((path, request)));
    }
    Ok(None)
}

fn parse_pin(line: &str, dir: &Path) -> Option<PythonRequest> {
    if line == "system" {
        return Some(PythonRequest::Any);
    }
    let line = line
        .strip_prefix("cpython@")
        .or_else(|| line.strip_prefix("cpython-"))
        .unwrap_or(line);
    match PythonRequest::parse(line).ok()? {
        PythonRequest::Path(path) if path.is_relative() && !line.starts_with('~') => {
            Some(PythonRequest::Path(dir.join(path)))
        }
        request => Some(request),
    }
}

/// Writes `dir/.python-version` holding `request` (one line), and returns its path.
pub fn write_pin(dir: &Path, request: &PythonRequest) -> std::io::Result<PathBuf> {
    let path = dir.join(PIN_FILE);
    let line = match request {
        PythonRequest::Any => "system".to_owned(),
        request => request.to_string(),
    };
    fs_err::write(&path, format!("{line}\n"))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::version::PartialVersion;

    #[test]
    fn nearest_pin_wins_and_parents_are_searched() {
        let root = tempfile::tempdir().unwrap();
        let deep = root.path().join("project/src/pkg");
        fs_err::create_dir_all(&deep).unwrap();
        assert_eq!(read_pin(&deep), None);

        fs_err::write(
            root.path().join(PIN_FILE),
            "# pinned by pyenv\n\n  3.11  \n3.10\n",
        )
        .unwrap();
        let (path, request) = read_pin(&deep).unwrap();
        assert_eq!(path, root.path().join(PIN_FILE));
        assert_eq!(
            request,
            PythonRequest::Version("3.11".parse::<PartialVersion>().unwrap())
        );

        let written = write_pin(
            &root.path().join("project"),
            &PythonRequest::Version("3.12.4".parse().unwrap()),
        )
        .unwrap();
        assert_eq!(fs_err::read_to_string(&written).unwrap(), "3.12.4\n");
        let (path, request) = read_pin(&deep).unwrap();
        assert_eq!(path, written);
        assert_eq!(request.to_string(), "3.12.4");
    }

    #[test]
    fn uv_and_pyenv_spellings() {
        let dir = Path::new("/p");
        assert_eq!(parse_pin("cpython@3.12", dir).unwrap().to_string(), "3.12");
        assert_eq!(parse_pin("cpython-3.12", dir).unwrap().to_string(), "3.12");
        assert_eq!(parse_pin("system", dir), Some(PythonRequest::Any));
        assert_eq!(
            parse_pin("./env", dir),
            Some(PythonRequest::Path("/p/./env".into()))
        );
    }

    #[test]
    fn err_invalid_pin() {
        let root = tempfile::tempdir().unwrap();
        fs_err::write(root.path().join(PIN_FILE), "pyhton3.11\n").unwrap();
        let error = try_read_pin(root.path()).unwrap_err();
        let message = error
            .to_string()
            .replace(&root.path().display().to_string(), "[TEMP]");
        insta::assert_snapshot!(message, @"`[TEMP]/.python-version` holds `pyhton3.11`, which is neither a Python version nor a path");
        assert_eq!(read_pin(root.path()), None);
    }
}
