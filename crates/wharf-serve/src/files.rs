//! File downloads: only catalogue files, with `ETag`/`If-None-Match`, `Last-Modified`/
//! `If-Modified-Since`, single `Range` requests (uv reads wheel metadata by range) and
//! `Content-Length`; `HEAD` gets the same headers without the body.

use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};

/// A byte range to send, inclusive start, exclusive end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ByteRange {
    pub start: u64,
    pub end: u64,
}

/// What a `Range` header asks of a file of `size` bytes.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RangeRequest {
    /// No usable range (absent, not bytes, several ranges): the whole file.
    Whole,
    /// One satisfiable range.
    Part(ByteRange),
    /// A range outside the file (416).
    Unsatisfiable,
}

/// Parses `bytes=a-b`, `bytes=a-`, `bytes=-n` (RFC 9110); several ranges get the whole file.
pub(crate) fn parse_range(header: &str, size: u64) -> RangeRequest {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return RangeRequest::Whole;
    };
    if spec.contains(',') {
        return RangeRequest::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeRequest::Whole;
    };
    let (first, last) = (first.trim(), last.trim());
    let range = if first.is_empty() {
        let Ok(suffix) = last.parse::<u64>() else {
            return RangeRequest::Whole;
        };
        if suffix == 0 {
            return RangeRequest::Unsatisfiable;
        }
        ByteRange {
            start: size.saturating_sub(suffix),
            end: size,
        }
    } else {
        let Ok(start) = first.parse::<u64>() else {
            return RangeRequest::Whole;
        };
        let end = if last.is_empty() {
            size
        } else {
            match last.parse::<u64>() {
                Ok(last) if last >= start => last.saturating_add(1).min(size),
                _ => return RangeRequest::Whole,
            }
        };
        ByteRange { start, end }
    };
    if range.start >= size {
        return RangeRequest::Unsatisfiable;
    }
    RangeRequest::Part(range)
}

/// The strong validator of a file: size and mtime in ns.
pub(crate) fn etag(size: u64, mtime: SystemTime) -> String {
    let nanos = mtime.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("\"{size:x}-{nanos:x}\"")
}

fn etag_matches(list: &str, etag: &str) -> bool {
    list.split(',').any(|candidate| {
        let candidate = candidate.trim();
        candidate == "*" || candidate.trim_start_matches("W/") == etag
    })
}

/// Whether `real` (symlinks resolved) is inside one of `roots`.
pub(crate) fn inside(real: &Path, roots: &[PathBuf]) -> bool {
    roots.iter().any(|root| real.starts_with(root))
}

fn status(code: StatusCode) -> Response {
    let reason = code.canonical_reason().unwrap_or_default();
    (
        code,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{} {reason}\n", code.as_u16()),
    )
        .into_response()
}

/// Sends the catalogue file `path` (already looked up), refusing a real path outside `roots`.
pub(crate) async fn send(
    path: &Path,
    roots: &[PathBuf],
    method: &Method,
    headers: &HeaderMap,
) -> Response {
    let Ok(real) = tokio::fs::canonicalize(path).await else {
        return status(StatusCode::NOT_FOUND);
    };
    if !inside(&real, roots) {
        return status(StatusCode::NOT_FOUND);
    }
    let Ok(mut file) = tokio::fs::File::open(&real).await else {
        return status(StatusCode::NOT_FOUND);
    };
    let Ok(metadata) = file.metadata().await else {
        return status(StatusCode::NOT_FOUND);
    };
    if !metadata.is_file() {
        return status(StatusCode::NOT_FOUND);
    }
    let size = metadata.len();
    let mtime = metadata.modified().unwrap_or(UNIX_EPOCH);
    let tag = etag(size, mtime);
    let last_modified = httpdate::fmt_http_date(mtime);
    let mut response = Response::builder()
        .header(header::ETAG, &tag)
        .header(header::LAST_MODIFIED, &last_modified)
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::CACHE_CONTROL, "max-age=0, must-revalidate");
    let header_text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let not_modified = match header_text(header::IF_NONE_MATCH) {
        Some(list) => etag_matches(list, &tag),
        None => header_text(header::IF_MODIFIED_SINCE)
            .and_then(|since| httpdate::parse_http_date(since).ok())
            .is_some_and(|since| {
                let seconds =
                    |t: SystemTime| t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
                seconds(mtime) <= seconds(since)
            }),
    };
    if not_modified {
        return response
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
            .unwrap_or_else(|_| status(StatusCode::INTERNAL_SERVER_ERROR));
    }
    // If-Range: the range only applies to the same version of the file.
    let range_applies = header_text(header::IF_RANGE)
        .is_none_or(|validator| validator == tag || validator == last_modified);
    let range = match header_text(header::RANGE) {
        Some(range) if range_applies => parse_range(range, size),
        _ => RangeRequest::Whole,
    };
    let (code, ByteRange { start, end }) = match range {
        RangeRequest::Whole => (
            StatusCode::OK,
            ByteRange {
                start: 0,
                end: size,
            },
        ),
        RangeRequest::Part(part) => {
            response = response.header(
                header::CONTENT_RANGE,
                format!("bytes {}-{}/{size}", part.start, part.end - 1),
            );
            (StatusCode::PARTIAL_CONTENT, part)
        }
        RangeRequest::Unsatisfiable => {
            return response
                .status(StatusCode::RANGE_NOT_SATISFIABLE)
                .header(header::CONTENT_RANGE, format!("bytes */{size}"))
                .body(Body::empty())
                .unwrap_or_else(|_| status(StatusCode::INTERNAL_SERVER_ERROR));
        }
    };
    let length = end - start;
    response = response
        .status(code)
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .header(header::CONTENT_LENGTH, length);
    let body = if method == Method::HEAD {
        Body::empty()
    } else {
        if start > 0 && file.seek(SeekFrom::Start(start)).await.is_err() {
            return status(StatusCode::INTERNAL_SERVER_ERROR);
        }
        Body::from_stream(tokio_util::io::ReaderStream::with_capacity(
            file.take(length),
            256 * 1024,
        ))
    };
    response
        .body(body)
        .unwrap_or_else(|_| status(StatusCode::INTERNAL_SERVER_ERROR))
}

/// A plain-text error response.
pub(crate) fn error(code: StatusCode) -> Response {
    status(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let part = |start, end| RangeRequest::Part(ByteRange { start, end });
        assert_eq!(parse_range("bytes=0-9", 100), part(0, 10));
        assert_eq!(parse_range("bytes=90-", 100), part(90, 100));
        assert_eq!(parse_range("bytes=-10", 100), part(90, 100));
        assert_eq!(parse_range("bytes=-1000", 100), part(0, 100));
        assert_eq!(parse_range("bytes=95-200", 100), part(95, 100));
        assert_eq!(parse_range("bytes=100-", 100), RangeRequest::Unsatisfiable);
        assert_eq!(parse_range("bytes=-0", 100), RangeRequest::Unsatisfiable);
        assert_eq!(parse_range("bytes=0-1,5-6", 100), RangeRequest::Whole);
        assert_eq!(parse_range("items=0-1", 100), RangeRequest::Whole);
        assert_eq!(parse_range("bytes=5-1", 100), RangeRequest::Whole);
    }

    #[test]
    fn etags_match_lists_and_weak_forms() {
        assert!(etag_matches("\"a\", W/\"b\"", "\"b\""));
        assert!(etag_matches("*", "\"b\""));
        assert!(!etag_matches("\"a\"", "\"b\""));
    }
}
