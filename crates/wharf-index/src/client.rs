//! The HTTP side: one `ureq` agent (rustls; the CA bundle and proxy given by the caller, never
//! read from the environment here), retries with exponential backoff on transport errors,
//! 429, 5xx and bodies too slow or cut short, and downloads that are hashed while they stream
//! and only land under their name once the hash matches.
//!
//! Every body is bounded in size and in time:
//! - size: a file stops at the size the index declares (PEP 700 `size`), else its
//!   `Content-Length`, else [`MAX_UNDECLARED_FILE_BYTES`]; one byte more is an error and
//!   nothing is kept. Pages and metadata are kept in memory and capped whatever they declare.
//! - time: besides the connect and per-read timeouts, each attempt must end within
//!   [`deadline`]: one `timeout` plus one per MiB of the body (a server that sends one byte a
//!   second never trips a per-read timeout).
//! - redirects are followed by hand, only to `http:` and `https:` URLs (`file:///etc/passwd`
//!   is refused, not resolved as a path on the same host), at most [`MAX_REDIRECTS`].

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use data_encoding::HEXLOWER;
use pep508_rs::PackageName;
use sha2::{Digest, Sha256};
use ureq::Agent;
use ureq::http::Response;
use url::Url;

use crate::error::{DeclaredBy, IndexError};
use crate::page::{ProjectFile, ProjectPage, parse_html, parse_json};

/// The largest file [`IndexClient::download`] accepts when neither the index (PEP 700 `size`)
/// nor the server (`Content-Length`) declares its size: 16 GiB, several times the largest
/// wheels on PyPI (CUDA builds of a few GiB).
pub const MAX_UNDECLARED_FILE_BYTES: u64 = 16 << 30;

/// The largest project page read (it is kept in memory): 256 MiB.
const MAX_PAGE_BYTES: u64 = 256 << 20;

/// The largest PEP 658 metadata file read (it is kept in memory): 64 MiB.
const MAX_METADATA_BYTES: u64 = 64 << 20;

/// The redirects followed for one request (ureq's default).
pub const MAX_REDIRECTS: u32 = 10;

/// The size of each read of a body, bytes.
const CHUNK: usize = 64 * 1024;

/// How long one attempt at a body of `size` bytes may take, from the request to its last
/// byte: one `timeout` for the answer and one more per MiB started. At pip's 15 s that is an
/// average of at least 1 MiB per 15 s (68 KiB/s); a slower link needs a larger `--timeout`.
/// Ex) `deadline(15 s, 1000 bytes)` = 30 s; `deadline(15 s, 2 GiB)` = about 8.5 h.
pub fn deadline(timeout: Duration, size: u64) -> Duration {
    let per_mib = size.div_ceil(1 << 20).saturating_add(1);
    timeout.saturating_mul(u32::try_from(per_mib).unwrap_or(u32::MAX))
}

/// How large a body may be.
#[derive(Debug, Clone, Copy)]
struct BodyLimits {
    /// The size the index states (PEP 700), if any.
    declared: Option<u64>,
    /// The most bytes accepted when neither the index nor `Content-Length` declares a size.
    cap: u64,
    /// Whether `cap` also bounds a declared size (a body kept in memory).
    cap_always: bool,
}

/// PEP 691 content negotiation: JSON first, HTML as the fallback.
const ACCEPT: &str = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01";
const JSON: &str = "application/vnd.pypi.simple.v1+json";

/// How the client reaches indexes.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Retries after the first attempt (pip's `--retries`, default 5).
    pub retries: u32,
    /// The first backoff; doubled after each failed attempt (pip: 0.25 s).
    pub backoff: Duration,
    /// Connect and per-read timeout (pip's `--timeout`, default 15 s), and the pace of every
    /// transfer: an attempt at a body must end within [`deadline`] of it.
    pub timeout: Duration,
    /// The largest file downloaded when nobody declares its size (neither the index's PEP 700
    /// `size` nor `Content-Length`); default [`MAX_UNDECLARED_FILE_BYTES`].
    pub max_file_size: u64,
    /// A PEM bundle of trusted CAs (pip's `--cert`, `PIP_CERT`, `SSL_CERT_FILE`); `None`: the
    /// Mozilla roots built in (`webpki-roots`).
    pub ca_bundle: Option<PathBuf>,
    /// An HTTP(S) proxy URL. Ex) `http://proxy.example:3128`
    pub proxy: Option<String>,
    /// Hosts (and their subdomains) reached without the proxy (`NO_PROXY`).
    pub no_proxy: Vec<String>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            retries: 5,
            backoff: Duration::from_millis(250),
            timeout: Duration::from_secs(15),
            max_file_size: MAX_UNDECLARED_FILE_BYTES,
            ca_bundle: None,
            proxy: None,
            no_proxy: Vec::new(),
        }
    }
}

/// A client of simple indexes (cheap to share between threads).
#[derive(Debug, Clone)]
pub struct IndexClient {
    agent: Agent,
    direct: Agent,
    options: ClientOptions,
}

/// Resolves each host once per client and shares the answer between threads: parallel
/// transfers would otherwise look the same host up at once, and a resolver that drops one of
/// many simultaneous queries costs its 5 s timeout (measured: 3 runs in 16 stalled 5 s).
#[derive(Debug, Clone, Default)]
struct CachingResolver {
    cache: std::sync::Arc<
        std::sync::Mutex<
            std::collections::HashMap<String, ureq::unversioned::resolver::ResolvedSocketAddrs>,
        >,
    >,
    inner: std::sync::Arc<ureq::unversioned::resolver::DefaultResolver>,
}

impl ureq::unversioned::resolver::Resolver for CachingResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: ureq::unversioned::transport::NextTimeout,
    ) -> Result<ureq::unversioned::resolver::ResolvedSocketAddrs, ureq::Error> {
        let key = format!(
            "{}://{}",
            uri.scheme_str().unwrap_or_default(),
            uri.authority().map(ToString::to_string).unwrap_or_default()
        );
        // One lookup at a time: the threads that wait then find the answer cached.
        let mut cache = self
            .cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(found) = cache.get(&key) {
            return Ok(found.clone());
        }
        let found = self.inner.resolve(uri, config, timeout)?;
        cache.insert(key, found.clone());
        Ok(found)
    }
}

fn agent(
    options: &ClientOptions,
    proxy: Option<ureq::Proxy>,
    resolver: &CachingResolver,
) -> Result<Agent, IndexError> {
    let mut tls = ureq::tls::TlsConfig::builder();
    if let Some(bundle) = &options.ca_bundle {
        let pem = fs_err::read(bundle).map_err(IndexError::Io)?;
        let mut certs = Vec::new();
        for item in ureq::tls::parse_pem(&pem) {
            if let Ok(ureq::tls::PemItem::Certificate(cert)) = item {
                certs.push(cert);
            }
        }
        if certs.is_empty() {
            return Err(IndexError::NoCertificates {
                path: bundle.clone(),
            });
        }
        tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&certs));
    }
    let config = Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(options.timeout))
        .timeout_recv_response(Some(options.timeout))
        .timeout_recv_body(None)
        .timeout_per_read(Some(options.timeout))
        // Redirects are followed by `IndexClient::get_once`, which checks where they lead.
        .max_redirects(0)
        .max_redirects_will_error(false)
        .user_agent(concat!("wharf/", env!("CARGO_PKG_VERSION")))
        .tls_config(tls.build())
        .proxy(proxy)
        .build();
    Ok(Agent::with_parts(
        config,
        ureq::unversioned::transport::DefaultConnector::new(),
        resolver.clone(),
    ))
}

fn host_matches(host: &str, pattern: &str) -> bool {
    let pattern = pattern.trim().trim_start_matches('.');
    pattern == "*"
        || host.eq_ignore_ascii_case(pattern)
        || host
            .to_ascii_lowercase()
            .ends_with(&format!(".{}", pattern.to_ascii_lowercase()))
}

fn sha256_hex(bytes: &[u8]) -> String {
    HEXLOWER.encode(&Sha256::digest(bytes))
}

impl IndexClient {
    /// A client with `options`.
    ///
    /// Errors: the CA bundle cannot be read or holds no certificate; the proxy URL is bad.
    pub fn new(options: ClientOptions) -> Result<Self, IndexError> {
        let proxy = match &options.proxy {
            Some(url) => Some(
                ureq::Proxy::new(url).map_err(|source| IndexError::BadProxy {
                    proxy: url.clone(),
                    source: Box::new(source),
                })?,
            ),
            None => None,
        };
        let resolver = CachingResolver::default();
        let direct = agent(&options, None, &resolver)?;
        let agent = if proxy.is_some() {
            agent(&options, proxy, &resolver)?
        } else {
            direct.clone()
        };
        Ok(Self {
            agent,
            direct,
            options,
        })
    }

    fn agent_for(&self, url: &Url) -> &Agent {
        let host = url.host_str().unwrap_or_default();
        if self.options.no_proxy.iter().any(|p| host_matches(host, p)) {
            &self.direct
        } else {
            &self.agent
        }
    }

    /// One GET of `url`, redirects followed by hand: only to `http:`/`https:` URLs, at most
    /// [`MAX_REDIRECTS`]. Returns the final URL and its response (any status but a redirect).
    ///
    /// Errors: [`IndexError::Unreachable`] (one attempt), [`IndexError::RedirectRefused`],
    /// [`IndexError::TooManyRedirects`], [`IndexError::BadUrl`] (a `Location` that is no URL).
    fn get_once(
        &self,
        url: &Url,
        accept: &str,
        etag: Option<&str>,
    ) -> Result<(Url, Response<ureq::Body>), IndexError> {
        let mut current = url.clone();
        for _ in 0..=MAX_REDIRECTS {
            let mut request = self
                .agent_for(&current)
                .get(current.as_str())
                .header("Accept", accept);
            if let Some(etag) = etag {
                request = request.header("If-None-Match", etag);
            }
            let response = request.call().map_err(|source| IndexError::Unreachable {
                url: current.to_string(),
                attempts: 1,
                source: Box::new(source),
            })?;
            let redirect = matches!(response.status().as_u16(), 301 | 302 | 303 | 307 | 308);
            let location = response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let (true, Some(location)) = (redirect, location) else {
                return Ok((current, response));
            };
            let next = current.join(&location).map_err(|e| IndexError::BadUrl {
                url: location.clone(),
                message: e.to_string(),
            })?;
            if !matches!(next.scheme(), "http" | "https") {
                return Err(IndexError::RedirectRefused {
                    url: current.to_string(),
                    location: next.to_string(),
                });
            }
            current = next;
        }
        Err(IndexError::TooManyRedirects {
            url: url.to_string(),
            location: current.to_string(),
        })
    }

    /// GET `url` and hand the final URL, the response and the attempt's start to `read`; the
    /// whole is retried on a transient failure ([`IndexError::is_transient`]: transport
    /// errors, 429 and 5xx, a body too slow or cut short) after a backoff that doubles, at
    /// most `retries` times. Any other status goes to `read`, which judges it. The error of
    /// the last attempt says how many there were.
    fn request<T>(
        &self,
        url: &Url,
        accept: &str,
        read: impl Fn(&Url, Response<ureq::Body>, Instant) -> Result<T, IndexError>,
    ) -> Result<T, IndexError> {
        self.request_with(url, accept, None, read)
    }

    /// [`IndexClient::request`] with an `If-None-Match: etag` header (HTTP conditional GET).
    fn request_with<T>(
        &self,
        url: &Url,
        accept: &str,
        etag: Option<&str>,
        read: impl Fn(&Url, Response<ureq::Body>, Instant) -> Result<T, IndexError>,
    ) -> Result<T, IndexError> {
        let attempts = self.options.retries.saturating_add(1);
        let mut delay = self.options.backoff;
        let mut attempt = 1;
        loop {
            let start = Instant::now();
            let result = self
                .get_once(url, accept, etag)
                .and_then(|(url, response)| {
                    let status = response.status().as_u16();
                    if status == 429 || status >= 500 {
                        return Err(IndexError::Status {
                            url: url.to_string(),
                            status,
                            attempts: 1,
                        });
                    }
                    read(&url, response, start)
                });
            match result {
                Err(error) if error.is_transient() && attempt < attempts => {
                    std::thread::sleep(delay);
                    delay = delay.saturating_mul(2);
                    attempt += 1;
                }
                other => return other.map_err(|error| error.with_attempts(attempt)),
            }
        }
    }

    /// Streams the body of `response` (from `url`) into `sink` in 64 KiB chunks, and returns
    /// its size. It may have at most the size the index declares, else its `Content-Length`,
    /// else `limits.cap` bytes: one byte more is [`IndexError::TooLarge`], and that byte is
    /// not given to `sink`. Less than the index declares is [`IndexError::Truncated`]. The
    /// attempt, begun at `start`, must end within [`deadline`] of the declared size (or of
    /// the bytes received so far): [`IndexError::TooSlow`].
    fn transfer(
        &self,
        url: &Url,
        response: &mut Response<ureq::Body>,
        limits: BodyLimits,
        start: Instant,
        sink: &mut dyn FnMut(&[u8]) -> Result<(), IndexError>,
    ) -> Result<u64, IndexError> {
        let content_length = response
            .headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let size = limits.declared.or(content_length);
        let (mut max, mut by) = match (limits.declared, content_length) {
            (Some(declared), _) => (declared, DeclaredBy::Index),
            (None, Some(length)) => (length, DeclaredBy::ContentLength),
            (None, None) => (limits.cap, DeclaredBy::Limit),
        };
        if limits.cap_always && limits.cap < max {
            (max, by) = (limits.cap, DeclaredBy::Limit);
        }
        let mut reader = response.body_mut().with_config().limit(u64::MAX).reader();
        let mut buffer = vec![0u8; CHUNK];
        let mut received = 0u64;
        loop {
            // At most one byte past the limit: enough to know that the body is too long.
            let want = usize::try_from((max - received).saturating_add(1))
                .unwrap_or(CHUNK)
                .min(CHUNK);
            let n = match reader.read(&mut buffer[..want]) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(IndexError::Unreachable {
                        url: url.to_string(),
                        attempts: 1,
                        source: Box::new(ureq::Error::Io(e)),
                    });
                }
            };
            received += n as u64;
            if received > max {
                return Err(IndexError::TooLarge {
                    url: url.to_string(),
                    declared: max,
                    by,
                    received,
                });
            }
            sink(&buffer[..n])?;
            let allowed = deadline(self.options.timeout, size.unwrap_or(received));
            let elapsed = start.elapsed();
            if elapsed > allowed {
                return Err(IndexError::TooSlow {
                    url: url.to_string(),
                    received,
                    size,
                    elapsed,
                    deadline: allowed,
                    attempts: 1,
                });
            }
        }
        if let Some(declared) = limits.declared
            && received < declared
        {
            return Err(IndexError::Truncated {
                url: url.to_string(),
                declared,
                received,
                attempts: 1,
            });
        }
        Ok(received)
    }

    /// The URL of `name`'s project page on the simple index `index` (`{index}/{name}/`).
    fn page_url(index: &Url, name: &PackageName) -> Result<Url, IndexError> {
        let mut index = index.clone();
        if !index.path().ends_with('/') {
            index.set_path(&format!("{}/", index.path()));
        }
        index
            .join(&format!("{name}/"))
            .map_err(|e| IndexError::BadUrl {
                url: format!("{index}{name}/"),
                message: e.to_string(),
            })
    }

    /// The project page of `name` on the simple index `index` (`{index}/{name}/`), JSON when
    /// the index speaks PEP 691, else HTML; relative links are resolved against the page's
    /// URL after redirects. `Ok(None)` when the index answers 404 (it has no such project).
    pub fn project_page(
        &self,
        index: &Url,
        name: &PackageName,
    ) -> Result<Option<ProjectPage>, IndexError> {
        let url = Self::page_url(index, name)?;
        let fetched = self.request(&url, ACCEPT, |url, response, start| {
            self.read_page(url, response, start)
        })?;
        fetched.map(|body| body.parse()).transpose()
    }

    /// [`IndexClient::project_page`] through an HTTP cache in `cache` (one file per page URL:
    /// its body, its `ETag`): a cached page is asked for again with `If-None-Match`, and
    /// taken from the cache on `304 Not Modified`. `offline`: no request at all, the cached
    /// page or [`IndexError::NotCached`]. When the index cannot be reached, the cached page
    /// is used ([`PageOrigin::Stale`]). A 404 is cached too (offline, "no such project").
    pub fn project_page_cached(
        &self,
        index: &Url,
        name: &PackageName,
        cache: &Path,
        offline: bool,
    ) -> Result<(Option<ProjectPage>, PageOrigin), IndexError> {
        let url = Self::page_url(index, name)?;
        let file = cache.join(format!("{}.json", sha256_hex(url.as_str().as_bytes())));
        let cached: Option<CachedPage> = fs_err::read(&file)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .filter(|entry: &CachedPage| entry.url == url.as_str());
        if offline {
            return match cached {
                Some(entry) => Ok((entry.page()?, PageOrigin::Offline)),
                None => Err(IndexError::NotCached {
                    url: url.to_string(),
                }),
            };
        }
        let etag = cached.as_ref().and_then(|c| c.etag.clone());
        let result = self.request_with(
            &url,
            ACCEPT,
            etag.as_deref(),
            |final_url, response, start| {
                if response.status().as_u16() == 304 {
                    return Ok(None);
                }
                let etag = response
                    .headers()
                    .get("etag")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                Ok(Some((self.read_page(final_url, response, start)?, etag)))
            },
        );
        match (result, cached) {
            (Ok(None), Some(entry)) => Ok((entry.page()?, PageOrigin::NotModified)),
            (Ok(None), None) => Err(IndexError::Status {
                url: url.to_string(),
                status: 304,
                attempts: 1,
            }),
            (Ok(Some((body, etag))), _) => {
                let entry = CachedPage {
                    url: url.to_string(),
                    final_url: body.as_ref().map(|b| b.url.to_string()),
                    etag,
                    json: body.as_ref().is_some_and(|b| b.json),
                    body: body.as_ref().map(|b| b.text.clone()),
                };
                // A cache that cannot be written costs the next run a download, nothing more.
                if fs_err::create_dir_all(cache).is_ok()
                    && let Ok(bytes) = serde_json::to_vec(&entry)
                    && let Ok(mut temp) = tempfile::NamedTempFile::new_in(cache)
                    && temp.write_all(&bytes).is_ok()
                {
                    let _ = temp.persist(&file);
                }
                Ok((body.map(|b| b.parse()).transpose()?, PageOrigin::Network))
            }
            (
                Err(error @ (IndexError::Unreachable { .. } | IndexError::Status { .. })),
                Some(entry),
            ) if error.is_transient() => Ok((entry.page()?, PageOrigin::Stale(error.to_string()))),
            (Err(error), _) => Err(error),
        }
    }

    /// One answer to a project page request: `None` on 404, else its text.
    fn read_page(
        &self,
        url: &Url,
        mut response: Response<ureq::Body>,
        start: Instant,
    ) -> Result<Option<PageBody>, IndexError> {
        let status = response.status().as_u16();
        if status == 404 {
            return Ok(None);
        }
        if status != 200 {
            return Err(IndexError::Status {
                url: url.to_string(),
                status,
                attempts: 1,
            });
        }
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let mut bytes = Vec::new();
        let limits = BodyLimits {
            declared: None,
            cap: MAX_PAGE_BYTES,
            cap_always: true,
        };
        self.transfer(url, &mut response, limits, start, &mut |chunk| {
            bytes.extend_from_slice(chunk);
            Ok(())
        })?;
        Ok(Some(PageBody {
            url: url.clone(),
            json: content_type.starts_with(JSON),
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }))
    }

    /// The PEP 658 metadata of `file` (`{url}.metadata`), checked against the hash the index
    /// states for it.
    pub fn metadata(&self, file: &ProjectFile) -> Result<String, IndexError> {
        let url = file.metadata_url();
        let bytes = self.request(&url, "*/*", |url, mut response, start| {
            let status = response.status().as_u16();
            if status != 200 {
                return Err(IndexError::Status {
                    url: url.to_string(),
                    status,
                    attempts: 1,
                });
            }
            let mut bytes = Vec::new();
            let limits = BodyLimits {
                declared: None,
                cap: MAX_METADATA_BYTES,
                cap_always: true,
            };
            self.transfer(url, &mut response, limits, start, &mut |chunk| {
                bytes.extend_from_slice(chunk);
                Ok(())
            })?;
            Ok(bytes)
        })?;
        if let Some(expected) = &file.core_metadata_sha256 {
            let actual = sha256_hex(&bytes);
            if &actual != expected {
                return Err(IndexError::HashMismatch {
                    url: url.to_string(),
                    filename: format!("{}.metadata", file.filename),
                    expected: expected.clone(),
                    actual,
                });
            }
        }
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Downloads `file` into `directory` under its file name: streamed into a temporary file
    /// beside it while hashed, then renamed into place only when the sha256 matches the
    /// index's (a mismatch leaves nothing behind). `on_bytes` is told of each chunk.
    ///
    /// Bounded ([`IndexClient::transfer`]): at most the size the index declares (PEP 700),
    /// else the `Content-Length`, else [`ClientOptions::max_file_size`]; each attempt within
    /// [`deadline`]. Transport errors, 429, 5xx, a body cut short or too slow are retried
    /// like any request; a failed attempt leaves no file.
    ///
    /// Errors: [`IndexError::UnsafeFilename`] before any request when the file name is a
    /// path (`../evil.whl`); the errors of a request; [`IndexError::TooLarge`],
    /// [`IndexError::HashMismatch`].
    pub fn download(
        &self,
        file: &ProjectFile,
        directory: &Path,
        on_bytes: &(dyn Fn(u64) + Sync),
    ) -> Result<DownloadedFile, IndexError> {
        if !file.has_safe_filename() {
            return Err(IndexError::UnsafeFilename {
                url: file.url.to_string(),
                filename: file.filename.clone(),
            });
        }
        self.request(&file.url, "*/*", |url, response, start| {
            self.save(file, url, response, start, directory, on_bytes)
        })
    }

    /// One attempt of [`IndexClient::download`] after the answer: the body into a temporary
    /// file in `directory` (removed on any error), checked, renamed into place.
    fn save(
        &self,
        file: &ProjectFile,
        url: &Url,
        mut response: Response<ureq::Body>,
        start: Instant,
        directory: &Path,
        on_bytes: &(dyn Fn(u64) + Sync),
    ) -> Result<DownloadedFile, IndexError> {
        let status = response.status().as_u16();
        if status != 200 {
            return Err(IndexError::Status {
                url: url.to_string(),
                status,
                attempts: 1,
            });
        }
        let mut temp = tempfile::Builder::new()
            .prefix(".wharf-download-")
            .tempfile_in(directory)
            .map_err(|e| {
                IndexError::Io(std::io::Error::new(
                    e.kind(),
                    format!(
                        "failed to create a temporary file in `{}`: {e}",
                        directory.display()
                    ),
                ))
            })?;
        let mut hasher = Sha256::new();
        let limits = BodyLimits {
            declared: file.size,
            cap: self.options.max_file_size,
            cap_always: false,
        };
        let size = self.transfer(url, &mut response, limits, start, &mut |chunk| {
            hasher.update(chunk);
            temp.write_all(chunk).map_err(IndexError::Io)?;
            on_bytes(chunk.len() as u64);
            Ok(())
        })?;
        let actual = HEXLOWER.encode(&hasher.finalize());
        if let Some(expected) = &file.sha256
            && &actual != expected
        {
            return Err(IndexError::HashMismatch {
                url: file.url.to_string(),
                filename: file.filename.clone(),
                expected: expected.clone(),
                actual,
            });
        }
        // A temporary file is private (0600); a downloaded file is not.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            temp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o644))
                .map_err(IndexError::Io)?;
        }
        let path = directory.join(&file.filename);
        temp.persist(&path).map_err(|e| IndexError::Io(e.error))?;
        Ok(DownloadedFile {
            path,
            sha256: actual,
            size,
        })
    }
}

/// Where [`IndexClient::project_page_cached`] took a page from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageOrigin {
    /// Fetched now (and cached).
    Network,
    /// The index answered `304 Not Modified` to the cached `ETag`: the cached page.
    NotModified,
    /// `--offline`: the cached page, not checked with the index.
    Offline,
    /// The index could not be reached (the error's text): the cached page, maybe out of date.
    Stale(String),
}

/// A project page as received: its final URL, whether it is PEP 691 JSON, its text.
struct PageBody {
    url: Url,
    json: bool,
    text: String,
}

impl PageBody {
    fn parse(&self) -> Result<ProjectPage, IndexError> {
        if self.json {
            parse_json(&self.url, &self.text).map_err(|message| IndexError::BadPage {
                url: self.url.to_string(),
                message,
            })
        } else {
            Ok(parse_html(&self.url, &self.text))
        }
    }
}

/// A cache entry of a project page (`CACHE/index-pages-v1/{sha256 of the URL}.json`).
#[derive(serde::Serialize, serde::Deserialize)]
struct CachedPage {
    /// The page URL asked for.
    url: String,
    /// The URL after redirects (relative links resolve against it); `None` for a 404.
    final_url: Option<String>,
    /// The `ETag` the index sent, if any.
    etag: Option<String>,
    /// PEP 691 JSON, else HTML.
    json: bool,
    /// The text; `None`: the index answered 404.
    body: Option<String>,
}

impl CachedPage {
    fn page(&self) -> Result<Option<ProjectPage>, IndexError> {
        let (Some(body), Some(final_url)) = (&self.body, &self.final_url) else {
            return Ok(None);
        };
        let url = Url::parse(final_url).map_err(|e| IndexError::BadUrl {
            url: final_url.clone(),
            message: e.to_string(),
        })?;
        PageBody {
            url,
            json: self.json,
            text: body.clone(),
        }
        .parse()
        .map(Some)
    }
}

/// A file downloaded and verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadedFile {
    /// Where it is.
    pub path: PathBuf,
    /// Its sha256 (lowercase hex), equal to the index's when the index stated one.
    pub sha256: String,
    /// Its size in bytes.
    pub size: u64,
}

#[cfg(test)]
mod tests {
    use std::str::FromStr as _;

    use wharf_test_support::http::{Reply, TestServer};

    use super::*;

    fn client(max_file_size: u64) -> IndexClient {
        IndexClient::new(ClientOptions {
            retries: 1,
            backoff: Duration::from_millis(10),
            timeout: Duration::from_millis(500),
            max_file_size,
            ..ClientOptions::default()
        })
        .unwrap()
    }

    fn file(server: &TestServer, name: &str, size: Option<u64>) -> ProjectFile {
        ProjectFile {
            filename: name.to_string(),
            url: Url::parse(&server.url(&format!("files/{name}"))).unwrap(),
            sha256: None,
            requires_python: None,
            yanked: false,
            core_metadata: false,
            core_metadata_sha256: None,
            size,
        }
    }

    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    fn server() -> TestServer {
        TestServer::start(|path| match path {
            "/files/endless.whl" => Reply::Endless,
            "/files/short.whl" => Reply::Body {
                status: 200,
                content_type: "application/octet-stream".to_string(),
                content_length: None,
                body: vec![b'x'; 10],
            },
            "/files/trickle.whl" => Reply::Trickle {
                length: 100,
                interval: Duration::from_millis(300),
            },
            "/files/away.whl" => Reply::Redirect("file:///etc/passwd".to_string()),
            "/files/loop.whl" => Reply::Redirect("/files/loop.whl".to_string()),
            "/files/moved.whl" => Reply::Redirect("/files/ok.whl".to_string()),
            "/files/ok.whl" => Reply::ok("application/octet-stream", b"wheel".to_vec()),
            "/simple/moved/" => Reply::Redirect("/elsewhere/moved/".to_string()),
            "/elsewhere/moved/" => Reply::ok("text/html", "<a href=\"f/moved-1.0.tar.gz\">x</a>"),
            _ => Reply::not_found(),
        })
    }

    /// Regression ("no input is unbounded"): a body without a declared size that never ends
    /// stops at the client's cap, one byte past it, and leaves no file.
    #[test]
    fn err_endless_body_stops_at_the_cap() {
        let server = server();
        let dir = tempfile::tempdir().unwrap();
        let err = client(100_000)
            .download(&file(&server, "endless.whl", None), dir.path(), &|_| {})
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "`{}` sent more than the 100000 bytes wharf accepts for it: stopped after 100001 bytes; nothing was kept",
                server.url("files/endless.whl")
            )
        );
        assert!(!err.is_transient());
        assert!(listing(dir.path()).is_empty());
        // With a PEP 700 size, that size is the limit.
        let err = client(100_000)
            .download(&file(&server, "endless.whl", Some(10)), dir.path(), &|_| {})
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("sent more than the 10 bytes the index declared (PEP 700 `size`): stopped after 11 bytes"),
            "{err}"
        );
        assert!(listing(dir.path()).is_empty());
    }

    #[test]
    fn err_shorter_than_declared_is_retried_then_reported() {
        let server = server();
        let dir = tempfile::tempdir().unwrap();
        let err = client(1000)
            .download(&file(&server, "short.whl", Some(20)), dir.path(), &|_| {})
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "`{}` ended after 10 of the 20 bytes the index declared (after 2 attempt(s))",
                server.url("files/short.whl")
            )
        );
        assert!(listing(dir.path()).is_empty());
        assert_eq!(server.requests().len(), 2);
    }

    /// Regression ("no input is unbounded"): a trickle never tripped the per-read timeout.
    /// 100 bytes get deadline(0.5 s, 100) = 1 s an attempt.
    #[test]
    fn err_trickle_past_the_deadline() {
        let server = server();
        let dir = tempfile::tempdir().unwrap();
        let start = Instant::now();
        let err = client(1000)
            .download(&file(&server, "trickle.whl", None), dir.path(), &|_| {})
            .unwrap_err();
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
        let text = err.to_string();
        assert!(
            text.starts_with(&format!(
                "`{}` is too slow: ",
                server.url("files/trickle.whl")
            )) && text.contains(" of 100 bytes in ")
                && text.ends_with(", past the 1.0s an attempt may take (after 2 attempt(s))"),
            "{text}"
        );
        assert!(listing(dir.path()).is_empty());
    }

    #[test]
    fn redirects_only_to_http_and_not_in_a_loop() {
        let server = server();
        let dir = tempfile::tempdir().unwrap();
        let client = client(1000);
        let err = client
            .download(&file(&server, "away.whl", None), dir.path(), &|_| {})
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "`{}` redirects to `file:///etc/passwd`, which is not an HTTP(S) URL: refused",
                server.url("files/away.whl")
            )
        );
        let err = client
            .download(&file(&server, "loop.whl", None), dir.path(), &|_| {})
            .unwrap_err();
        let url = server.url("files/loop.whl");
        assert_eq!(
            err.to_string(),
            format!("`{url}` redirects more than 10 times (the last to `{url}`)")
        );
        assert!(listing(dir.path()).is_empty());
        // An HTTP redirect is followed; a page's links are relative to where it landed.
        let got = client
            .download(&file(&server, "moved.whl", Some(5)), dir.path(), &|_| {})
            .unwrap();
        assert_eq!(
            (got.size, listing(dir.path())),
            (5, vec!["moved.whl".to_string()])
        );
        let index = Url::parse(&server.url("simple")).unwrap();
        let page = client
            .project_page(&index, &PackageName::from_str("moved").unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(
            page.files[0].url.as_str(),
            server.url("elsewhere/moved/f/moved-1.0.tar.gz")
        );
    }

    #[test]
    fn err_unsafe_file_name_is_not_requested() {
        let server = server();
        let dir = tempfile::tempdir().unwrap();
        let mut evil = file(&server, "ok.whl", None);
        evil.filename = "../evil-1.0-py3-none-any.whl".to_string();
        let err = client(1000)
            .download(&evil, dir.path(), &|_| {})
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "the index offered an unsafe file name `../evil-1.0-py3-none-any.whl` (for `{}`): refused",
                server.url("files/ok.whl")
            )
        );
        assert!(server.requests().is_empty());
        assert!(listing(dir.path()).is_empty());
        assert!(
            !dir.path()
                .parent()
                .unwrap()
                .join("evil-1.0-py3-none-any.whl")
                .exists()
        );
    }

    #[test]
    fn deadline_grows_with_size() {
        let t = Duration::from_secs(15);
        assert_eq!(deadline(t, 0), t);
        assert_eq!(deadline(t, 1000), 2 * t);
        assert_eq!(deadline(t, 1 << 20), 2 * t);
        assert_eq!(deadline(t, (1 << 20) + 1), 3 * t);
        assert_eq!(deadline(t, u64::MAX), t.saturating_mul(u32::MAX));
    }

    #[test]
    fn no_proxy_matches_host_and_subdomains() {
        assert!(host_matches("pypi.org", "pypi.org"));
        assert!(host_matches("files.pypi.org", ".pypi.org"));
        assert!(!host_matches("notpypi.org", "pypi.org"));
        assert!(host_matches("anything", "*"));
    }
}
