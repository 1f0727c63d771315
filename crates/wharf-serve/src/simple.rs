//! The Simple Repository API: content negotiation (PEP 691), the index and project pages in
//! HTML (PEP 503, 592 attributes, PEP 658/714 metadata) and JSON (PEP 691, PEP 700 fields).

use std::fmt::Write as _;

use axum::body::Bytes;
use serde::Serialize;

use crate::state::{FileInfo, Rendered, Snapshot};

/// The API version served (PEP 700 is 1.1).
pub(crate) const API_VERSION: &str = "1.1";
/// PEP 691 JSON.
pub(crate) const JSON: &str = "application/vnd.pypi.simple.v1+json";
/// PEP 691's name for PEP 503 HTML.
pub(crate) const HTML: &str = "application/vnd.pypi.simple.v1+html";
/// Plain HTML (the default, for browsers and old clients).
pub(crate) const TEXT_HTML: &str = "text/html; charset=utf-8";

/// A response format the client accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// `application/vnd.pypi.simple.v1+json`
    Json,
    /// `application/vnd.pypi.simple.v1+html`
    Html,
    /// `text/html`
    TextHtml,
}

impl Format {
    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Format::Json => JSON,
            Format::Html => HTML,
            Format::TextHtml => TEXT_HTML,
        }
    }
}

/// The format for an `Accept` header (PEP 691): the highest `q`, ties broken by the server's
/// preference (JSON, then v1 HTML, then text/html). No header: `text/html`. `None`: nothing
/// acceptable (406).
pub(crate) fn negotiate(accept: Option<&str>) -> Option<Format> {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return Some(Format::TextHtml);
    };
    let mut best: Option<(u16, u8, Format)> = None;
    for part in accept.split(',') {
        let mut pieces = part.split(';');
        let media = pieces
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let mut quality = 1000;
        for parameter in pieces {
            if let Some(value) = parameter.trim().strip_prefix("q=") {
                quality = thousandths(value.trim()).unwrap_or(0);
            }
        }
        if quality == 0 {
            continue;
        }
        let (format, rank) =
            match media.as_str() {
                "application/vnd.pypi.simple.v1+json"
                | "application/vnd.pypi.simple.latest+json" => (Format::Json, 0),
                "application/vnd.pypi.simple.v1+html"
                | "application/vnd.pypi.simple.latest+html" => (Format::Html, 1),
                "text/html" => (Format::TextHtml, 2),
                "text/*" | "*/*" => (Format::TextHtml, 3),
                _ => continue,
            };
        let better = best.is_none_or(|(q, r, _)| quality > q || (quality == q && rank < r));
        if better {
            best = Some((quality, rank, format));
        }
    }
    best.map(|(_, _, format)| format)
}

/// A q-value (RFC 9110: `0`, `1`, `0.5`, `0.001`) in thousandths.
fn thousandths(value: &str) -> Option<u16> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: u16 = whole.parse().ok()?;
    let fraction: u16 = format!("{fraction:0<3}").parse().ok()?;
    let value = whole.checked_mul(1000)?.checked_add(fraction)?;
    (value <= 1000).then_some(value)
}

/// PEP 503 normalization: lowercase, runs of `-`, `_`, `.` become one `-`.
pub(crate) fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut separator = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            separator = true;
            continue;
        }
        if separator && !out.is_empty() {
            out.push('-');
        }
        separator = false;
        out.extend(c.to_lowercase());
    }
    out
}

/// Escapes text for HTML content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[derive(Serialize)]
struct Meta {
    #[serde(rename = "api-version")]
    api_version: &'static str,
}

#[derive(Serialize)]
struct IndexJson<'a> {
    meta: Meta,
    projects: Vec<ProjectRef<'a>>,
}

#[derive(Serialize)]
struct ProjectRef<'a> {
    name: &'a str,
}

/// The `/simple/` index in both formats.
pub(crate) fn render_index<'a>(names: impl Iterator<Item = &'a String> + Clone) -> Rendered {
    let mut html = format!(
        "<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"{API_VERSION}\">\n    <title>Simple index</title>\n  </head>\n  <body>\n"
    );
    for name in names.clone() {
        let name = escape(name);
        let _ = writeln!(html, "    <a href=\"{name}/\">{name}</a>");
    }
    html.push_str("  </body>\n</html>\n");
    let json = IndexJson {
        meta: Meta {
            api_version: API_VERSION,
        },
        projects: names.map(|name| ProjectRef { name }).collect(),
    };
    Rendered {
        html: Bytes::from(html),
        json: Bytes::from(serde_json::to_vec(&json).expect("serializable")),
    }
}

#[derive(Serialize)]
struct Hashes<'a> {
    sha256: &'a str,
}

#[derive(Serialize)]
#[serde(untagged)]
enum CoreMetadata<'a> {
    Hashes(Hashes<'a>),
    Absent(bool),
}

#[derive(Serialize)]
struct FileJson<'a> {
    filename: &'a str,
    url: &'a str,
    hashes: Hashes<'a>,
    #[serde(rename = "requires-python", skip_serializing_if = "Option::is_none")]
    requires_python: Option<&'a str>,
    #[serde(rename = "core-metadata")]
    core_metadata: CoreMetadata<'a>,
    #[serde(rename = "dist-info-metadata")]
    dist_info_metadata: CoreMetadata<'a>,
    size: u64,
    #[serde(rename = "upload-time")]
    upload_time: String,
    yanked: bool,
}

#[derive(Serialize)]
struct ProjectJson<'a> {
    meta: Meta,
    name: &'a str,
    versions: Vec<String>,
    files: Vec<FileJson<'a>>,
}

/// One project page in both formats, from the files' facts (`infos[i]` for
/// `project.files[i]`; files that vanished are `None` and left out).
pub(crate) fn render_project(
    snapshot: &Snapshot,
    name: &str,
    files: &[usize],
    infos: &[Option<FileInfo>],
) -> Rendered {
    let title = escape(name);
    let mut html = format!(
        "<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"{API_VERSION}\">\n    <title>Links for {title}</title>\n  </head>\n  <body>\n    <h1>Links for {title}</h1>\n"
    );
    let mut json_files = Vec::with_capacity(files.len());
    let mut versions = Vec::new();
    for (index, info) in files.iter().zip(infos) {
        let Some(info) = info else { continue };
        let entry = &snapshot.catalogue.entries[*index];
        let Some(url) = snapshot.url_of.get(index) else {
            continue;
        };
        let filename = entry.file_name();
        versions.push(&entry.filename.version);
        let _ = write!(html, "    <a href=\"{url}#sha256={}\"", info.sha256);
        if let Some(requires_python) = &info.requires_python {
            let _ = write!(
                html,
                " data-requires-python=\"{}\"",
                escape(requires_python)
            );
        }
        if let Some(metadata) = &info.metadata_sha256 {
            let _ = write!(
                html,
                " data-dist-info-metadata=\"sha256={metadata}\" data-core-metadata=\"sha256={metadata}\""
            );
        }
        let _ = writeln!(html, ">{}</a><br>", escape(filename));
        let metadata = || {
            info.metadata_sha256
                .as_deref()
                .map_or(CoreMetadata::Absent(false), |sha256| {
                    CoreMetadata::Hashes(Hashes { sha256 })
                })
        };
        json_files.push(FileJson {
            filename,
            url,
            hashes: Hashes {
                sha256: &info.sha256,
            },
            requires_python: info.requires_python.as_deref(),
            core_metadata: metadata(),
            dist_info_metadata: metadata(),
            size: info.size,
            upload_time: crate::time::iso8601(info.mtime),
            yanked: false,
        });
    }
    html.push_str("  </body>\n</html>\n");
    versions.sort();
    versions.dedup();
    let json = ProjectJson {
        meta: Meta {
            api_version: API_VERSION,
        },
        name,
        versions: versions.iter().map(ToString::to_string).collect(),
        files: json_files,
    };
    Rendered {
        html: Bytes::from(html),
        json: Bytes::from(serde_json::to_vec(&json).expect("serializable")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_follows_pep_691() {
        assert_eq!(negotiate(None), Some(Format::TextHtml));
        assert_eq!(negotiate(Some("*/*")), Some(Format::TextHtml));
        // pip 24.2's header.
        assert_eq!(
            negotiate(Some(
                "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01"
            )),
            Some(Format::Json)
        );
        assert_eq!(
            negotiate(Some("application/vnd.pypi.simple.v1+html")),
            Some(Format::Html)
        );
        assert_eq!(
            negotiate(Some(
                "application/vnd.pypi.simple.latest+json;q=0.5, text/html"
            )),
            Some(Format::TextHtml)
        );
        assert_eq!(negotiate(Some("application/json")), None);
        assert_eq!(negotiate(Some("text/html;q=0")), None);
    }

    #[test]
    fn names_normalize_as_pep_503() {
        assert_eq!(normalize("Zope.Interface"), "zope-interface");
        assert_eq!(normalize("a__b-.c"), "a-b-c");
        assert_eq!(normalize("NumPy"), "numpy");
    }

    #[test]
    fn escape_html() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
