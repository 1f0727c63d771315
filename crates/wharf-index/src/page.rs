//! A project's page on a simple index: PEP 691 JSON, or PEP 503 HTML (anchors with
//! `#sha256=` fragments and `data-*` attributes).

use serde::Deserialize;
use url::Url;

/// One file a project page lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectFile {
    /// The file name. Ex) `six-1.16.0-py2.py3-none-any.whl`
    pub filename: String,
    /// The absolute URL (fragment removed).
    pub url: Url,
    /// The sha256 the index states, lowercase hex, if it states one.
    pub sha256: Option<String>,
    /// `requires-python` / `data-requires-python`. Ex) `>=3.9`
    pub requires_python: Option<String>,
    /// Whether the file is yanked (PEP 592).
    pub yanked: bool,
    /// PEP 658/714: the index serves the core metadata at `{url}.metadata`.
    pub core_metadata: bool,
    /// The sha256 the index states for that metadata file, if any.
    pub core_metadata_sha256: Option<String>,
    /// The file size the index states (PEP 700), in bytes.
    pub size: Option<u64>,
}

/// Whether `filename` is a plain file name, safe to write in a directory: not empty, without
/// `/`, `\` or NUL, and not starting with `.` (so neither `.` nor `..`, nor hidden). An index
/// chooses it: `../evil-1.0-py3-none-any.whl` (a JSON `filename`, or `..%2F` in an href) would
/// be written outside the directory.
pub fn is_safe_filename(filename: &str) -> bool {
    !filename.is_empty() && !filename.starts_with('.') && !filename.contains(['/', '\\', '\0'])
}

impl ProjectFile {
    /// Whether its file name is safe to write ([`is_safe_filename`]).
    pub fn has_safe_filename(&self) -> bool {
        is_safe_filename(&self.filename)
    }

    /// The URL of its PEP 658 metadata file, `{url}.metadata`.
    pub fn metadata_url(&self) -> Url {
        let mut url = self.url.clone();
        url.set_path(&format!("{}.metadata", self.url.path()));
        url
    }
}

/// The files of one project on one index, in the index's order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectPage {
    /// The page's URL (after redirects).
    pub url: Option<Url>,
    /// The files.
    pub files: Vec<ProjectFile>,
}

#[derive(Deserialize)]
struct JsonPage {
    files: Vec<JsonFile>,
}

#[derive(Deserialize)]
struct JsonFile {
    filename: String,
    url: String,
    #[serde(default)]
    hashes: std::collections::BTreeMap<String, String>,
    #[serde(rename = "requires-python", default)]
    requires_python: Option<String>,
    #[serde(default)]
    yanked: serde_json::Value,
    #[serde(rename = "core-metadata", default)]
    core_metadata: Option<serde_json::Value>,
    #[serde(rename = "dist-info-metadata", default)]
    dist_info_metadata: Option<serde_json::Value>,
    #[serde(default)]
    size: Option<u64>,
}

/// `(served, sha256)` of a JSON `core-metadata` value (`true` or a hash map).
fn metadata_flag(value: Option<&serde_json::Value>) -> (bool, Option<String>) {
    match value {
        Some(serde_json::Value::Bool(true)) => (true, None),
        Some(serde_json::Value::Object(hashes)) => (
            true,
            hashes
                .get("sha256")
                .and_then(|h| h.as_str())
                .map(str::to_ascii_lowercase),
        ),
        _ => (false, None),
    }
}

/// Parses a PEP 691 JSON page; relative URLs are resolved against `base`.
pub fn parse_json(base: &Url, text: &str) -> Result<ProjectPage, String> {
    let page: JsonPage = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let mut files = Vec::with_capacity(page.files.len());
    for file in page.files {
        let Ok(mut url) = base.join(&file.url) else {
            continue;
        };
        url.set_fragment(None);
        let yanked = match &file.yanked {
            serde_json::Value::Bool(b) => *b,
            serde_json::Value::String(_) => true,
            _ => false,
        };
        let (core_metadata, core_metadata_sha256) = metadata_flag(
            file.core_metadata
                .as_ref()
                .or(file.dist_info_metadata.as_ref()),
        );
        files.push(ProjectFile {
            filename: file.filename,
            url,
            sha256: file.hashes.get("sha256").map(|h| h.to_ascii_lowercase()),
            requires_python: file.requires_python.filter(|s| !s.trim().is_empty()),
            yanked,
            core_metadata,
            core_metadata_sha256,
            size: file.size,
        });
    }
    Ok(ProjectPage {
        url: Some(base.clone()),
        files,
    })
}

/// Decodes the HTML entities an index writes in attributes (`&amp;` `&lt;` `&gt;`
/// `&quot;` `&#39;` and numeric ones).
fn unescape(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(end) = rest.find(';').filter(|&e| e <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        if let Some(c) = decoded {
            out.push(c);
            rest = &rest[end + 1..];
        } else {
            out.push('&');
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    out
}

/// The attributes of one start tag's inside (`a href="x" data-yanked`), names lowercased.
fn attributes(tag: &str) -> Vec<(String, Option<String>)> {
    let mut attrs = Vec::new();
    let bytes = tag.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'=' {
            i += 1;
        }
        if start == i {
            i += 1;
            continue;
        }
        let name = tag[start..i].to_ascii_lowercase();
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i < bytes.len() && bytes[i] == b'=' {
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            let value = if i < bytes.len() && (bytes[i] == b'"' || bytes[i] == b'\'') {
                let quote = bytes[i];
                let from = i + 1;
                let to = tag[from..]
                    .bytes()
                    .position(|b| b == quote)
                    .map_or(tag.len(), |p| from + p);
                i = to + 1;
                &tag[from..to.min(tag.len())]
            } else {
                let from = i;
                while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
                    i += 1;
                }
                &tag[from..i]
            };
            attrs.push((name, Some(unescape(value))));
        } else {
            attrs.push((name, None));
        }
    }
    attrs
}

/// Parses a PEP 503 HTML page; relative hrefs are resolved against `base` (or the page's
/// `<base href>`).
pub fn parse_html(base: &Url, text: &str) -> ProjectPage {
    let mut base = base.clone();
    let mut files = Vec::new();
    let lower = text.to_ascii_lowercase();
    let mut at = 0;
    while let Some(found) = lower[at..].find('<') {
        let open = at + found + 1;
        let Some(close) = lower[open..].find('>').map(|c| open + c) else {
            break;
        };
        at = close + 1;
        let inside = &text[open..close];
        let (tag_name, rest) = inside
            .split_once(|c: char| c.is_ascii_whitespace())
            .unwrap_or((inside, ""));
        let tag_name = tag_name.to_ascii_lowercase();
        if tag_name == "base" {
            if let Some(href) = attributes(rest)
                .into_iter()
                .find(|(n, _)| n == "href")
                .and_then(|(_, v)| v)
                && let Ok(url) = base.join(&href)
            {
                base = url;
            }
            continue;
        }
        if tag_name != "a" {
            continue;
        }
        let attrs = attributes(rest.trim_end_matches('/'));
        let get = |name: &str| attrs.iter().find(|(n, _)| n == name).map(|(_, v)| v);
        let Some(Some(href)) = get("href") else {
            continue;
        };
        let Ok(mut url) = base.join(href) else {
            continue;
        };
        let sha256 = url.fragment().and_then(|fragment| {
            fragment
                .strip_prefix("sha256=")
                .map(str::to_ascii_lowercase)
        });
        url.set_fragment(None);
        // The file name is the link's last path segment (the anchor text may differ).
        let Some(filename) = url
            .path_segments()
            .and_then(|mut segments| segments.next_back())
            .map(|s| {
                url::form_urlencoded::parse(format!("x={s}").as_bytes())
                    .next()
                    .map_or_else(|| s.to_string(), |(_, v)| v.into_owned())
            })
            .filter(|s| !s.is_empty())
        else {
            continue;
        };
        let metadata = get("data-core-metadata").or_else(|| get("data-dist-info-metadata"));
        let (core_metadata, core_metadata_sha256) = match metadata {
            None => (false, None),
            Some(None) => (true, None),
            Some(Some(value)) if value == "true" => (true, None),
            Some(Some(value)) => match value.strip_prefix("sha256=") {
                Some(hash) => (true, Some(hash.to_ascii_lowercase())),
                None => (false, None),
            },
        };
        files.push(ProjectFile {
            filename,
            url,
            sha256,
            requires_python: get("data-requires-python")
                .cloned()
                .flatten()
                .filter(|s| !s.trim().is_empty()),
            yanked: get("data-yanked").is_some(),
            core_metadata,
            core_metadata_sha256,
            size: None,
        });
    }
    ProjectPage {
        url: Some(base),
        files,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://example.org/simple/six/").unwrap()
    }

    #[test]
    fn html_anchor_with_hash_requires_python_and_metadata() {
        let page = parse_html(
            &base(),
            r#"<!DOCTYPE html><html><body>
            <a href="../../files/six-1.16.0-py2.py3-none-any.whl#sha256=ABCD" data-requires-python="&gt;=2.7, !=3.0.*" data-dist-info-metadata="sha256=ef01">six-1.16.0-py2.py3-none-any.whl</a><br/>
            <A HREF='six-1.15.0.tar.gz' data-yanked="">six-1.15.0.tar.gz</A>
            <a>no href</a>
            </body></html>"#,
        );
        assert_eq!(page.files.len(), 2);
        let wheel = &page.files[0];
        assert_eq!(wheel.filename, "six-1.16.0-py2.py3-none-any.whl");
        assert_eq!(
            wheel.url.as_str(),
            "https://example.org/files/six-1.16.0-py2.py3-none-any.whl"
        );
        assert_eq!(wheel.sha256.as_deref(), Some("abcd"));
        assert_eq!(wheel.requires_python.as_deref(), Some(">=2.7, !=3.0.*"));
        assert!(wheel.core_metadata);
        assert_eq!(wheel.core_metadata_sha256.as_deref(), Some("ef01"));
        assert!(!wheel.yanked);
        assert_eq!(
            wheel.metadata_url().as_str(),
            "https://example.org/files/six-1.16.0-py2.py3-none-any.whl.metadata"
        );
        let sdist = &page.files[1];
        assert!(sdist.yanked);
        assert_eq!(
            sdist.url.as_str(),
            "https://example.org/simple/six/six-1.15.0.tar.gz"
        );
        assert_eq!(sdist.sha256, None);
    }

    #[test]
    fn json_page() {
        let page = parse_json(
            &base(),
            r#"{"meta": {"api-version": "1.1"}, "name": "six", "files": [
              {"filename": "six-1.16.0-py2.py3-none-any.whl", "url": "https://files.example.org/six-1.16.0-py2.py3-none-any.whl",
               "hashes": {"sha256": "AA"}, "requires-python": ">=2.7", "yanked": false, "core-metadata": {"sha256": "bb"}, "size": 11053},
              {"filename": "six-1.0.tar.gz", "url": "six-1.0.tar.gz", "hashes": {}, "yanked": "broken", "dist-info-metadata": true}
            ]}"#,
        )
        .unwrap();
        assert_eq!(page.files[0].sha256.as_deref(), Some("aa"));
        assert_eq!(page.files[0].core_metadata_sha256.as_deref(), Some("bb"));
        assert_eq!(page.files[0].size, Some(11053));
        assert!(page.files[1].yanked);
        assert!(page.files[1].core_metadata);
        assert_eq!(page.files[1].core_metadata_sha256, None);
        assert_eq!(
            page.files[1].url.as_str(),
            "https://example.org/simple/six/six-1.0.tar.gz"
        );
    }

    #[test]
    fn err_json_not_a_page() {
        let err = parse_json(&base(), "{\"nope\": 1}").unwrap_err();
        insta::assert_snapshot!(err, @"missing field `files` at line 1 column 11");
    }

    #[test]
    fn unsafe_file_names() {
        for name in ["six-1.16.0-py2.py3-none-any.whl", "a..b.whl"] {
            assert!(is_safe_filename(name), "{name}");
        }
        for name in [
            "",
            ".",
            "..",
            "../evil-1.0-py3-none-any.whl",
            "a/b.whl",
            "a\\b.whl",
            ".hidden.whl",
            "a\0.whl",
        ] {
            assert!(!is_safe_filename(name), "{name:?}");
        }
        // A percent-encoded slash in an href decodes to a path.
        let page = parse_html(&base(), r#"<a href="..%2Fevil-1.0-py3-none-any.whl">x</a>"#);
        assert_eq!(page.files[0].filename, "../evil-1.0-py3-none-any.whl");
        assert!(!page.files[0].has_safe_filename());
    }

    #[test]
    fn entities() {
        assert_eq!(unescape("a&amp;b&lt;&#62;&#x3D;&bogus"), "a&b<>=&bogus");
    }
}
