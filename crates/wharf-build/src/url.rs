//! `file:` URLs and PEP 610 `direct_url.json`, written as pip 24 writes them.

use std::path::Path;

/// The `file:` URL of an absolute path, percent-quoted as Python's `pathname2url` does
/// (letters, digits, `_.-~/` kept). Ex) `/tmp/a b.whl` ▸ `file:///tmp/a%20b.whl`
pub fn file_url(path: &Path) -> String {
    let mut out = String::from("file://");
    for byte in path.to_string_lossy().bytes() {
        if byte.is_ascii_alphanumeric() || b"_.-~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// What a PEP 610 `direct_url.json` records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirectUrl {
    /// A wheel or sdist file. Ex) `{"archive_info": {"hash": "sha256=…", "hashes": {…}}, "url": "file:///x.whl"}`
    Archive {
        /// The file.
        url: String,
        /// Its sha256, hex.
        sha256: String,
    },
    /// A project directory. Ex) `{"dir_info": {}, "url": "file:///src/proj"}`
    Directory {
        /// The directory.
        url: String,
        /// Installed in editable mode (PEP 660).
        editable: bool,
    },
}

impl DirectUrl {
    /// The JSON text, keys sorted as pip's `json.dumps(…, sort_keys=True)` writes them.
    pub fn to_json(&self) -> String {
        match self {
            Self::Archive { url, sha256 } => format!(
                r#"{{"archive_info": {{"hash": "sha256={sha256}", "hashes": {{"sha256": "{sha256}"}}}}, "url": {}}}"#,
                json_string(url)
            ),
            Self::Directory { url, editable } => {
                let info = if *editable {
                    r#"{"editable": true}"#
                } else {
                    "{}"
                };
                format!(r#"{{"dir_info": {info}, "url": {}}}"#, json_string(url))
            }
        }
    }
}

fn json_string(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_url_quotes_like_pathname2url() {
        assert_eq!(
            file_url(Path::new("/tmp/a b+c/x-1.0.whl")),
            "file:///tmp/a%20b%2Bc/x-1.0.whl"
        );
    }

    #[test]
    fn direct_url_json_matches_pip() {
        let archive = DirectUrl::Archive {
            url: "file:///tmp/x.whl".into(),
            sha256: "ab".into(),
        };
        assert_eq!(
            archive.to_json(),
            r#"{"archive_info": {"hash": "sha256=ab", "hashes": {"sha256": "ab"}}, "url": "file:///tmp/x.whl"}"#
        );
        let editable = DirectUrl::Directory {
            url: "file:///src".into(),
            editable: true,
        };
        assert_eq!(
            editable.to_json(),
            r#"{"dir_info": {"editable": true}, "url": "file:///src"}"#
        );
    }
}
