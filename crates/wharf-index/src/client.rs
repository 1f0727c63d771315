//! The HTTP side: one `ureq` agent (rustls; the CA bundle and proxy given by the caller, never
//! read from the environment here), retries with exponential backoff on transport errors,
//! 429 and 5xx, and downloads that are hashed while they stream and only land under their
//! name once the hash matches.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use data_encoding::HEXLOWER;
use pep508_rs::PackageName;
use sha2::{Digest, Sha256};
use ureq::Agent;
use ureq::http::Response;
use url::Url;

use crate::error::IndexError;
use crate::page::{ProjectFile, ProjectPage, parse_html, parse_json};

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
    /// Connect and read timeout (pip's `--timeout`, default 15 s).
    pub timeout: Duration,
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

    /// GET with retries: transport errors, 429 and 5xx are retried after a backoff that
    /// doubles; any other status is returned (the caller judges it).
    fn get(&self, url: &Url, accept: &str) -> Result<Response<ureq::Body>, IndexError> {
        let attempts = self.options.retries + 1;
        let mut delay = self.options.backoff;
        let mut attempt = 1;
        loop {
            let result = self
                .agent_for(url)
                .get(url.as_str())
                .header("Accept", accept)
                .call();
            let retry = match &result {
                Ok(response) => {
                    let status = response.status().as_u16();
                    status == 429 || status >= 500
                }
                Err(_) => true,
            };
            if !retry {
                return result.map_err(|source| IndexError::Unreachable {
                    url: url.to_string(),
                    attempts: attempt,
                    source: Box::new(source),
                });
            }
            if attempt >= attempts {
                return match result {
                    Ok(response) => Err(IndexError::Status {
                        url: url.to_string(),
                        status: response.status().as_u16(),
                        attempts: attempt,
                    }),
                    Err(source) => Err(IndexError::Unreachable {
                        url: url.to_string(),
                        attempts: attempt,
                        source: Box::new(source),
                    }),
                };
            }
            std::thread::sleep(delay);
            delay = delay.saturating_mul(2);
            attempt += 1;
        }
    }

    /// The project page of `name` on the simple index `index` (`{index}/{name}/`), JSON when
    /// the index speaks PEP 691, else HTML. `Ok(None)` when the index answers 404 (it has no
    /// such project).
    pub fn project_page(
        &self,
        index: &Url,
        name: &PackageName,
    ) -> Result<Option<ProjectPage>, IndexError> {
        let mut index = index.clone();
        if !index.path().ends_with('/') {
            index.set_path(&format!("{}/", index.path()));
        }
        let url = index
            .join(&format!("{name}/"))
            .map_err(|e| IndexError::BadUrl {
                url: format!("{index}{name}/"),
                message: e.to_string(),
            })?;
        let mut response = self.get(&url, ACCEPT)?;
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
        let text = response
            .body_mut()
            .with_config()
            .limit(256 * 1024 * 1024)
            .read_to_string()
            .map_err(|source| IndexError::Unreachable {
                url: url.to_string(),
                attempts: 1,
                source: Box::new(source),
            })?;
        if content_type.starts_with(JSON) {
            parse_json(&url, &text)
                .map(Some)
                .map_err(|message| IndexError::BadPage {
                    url: url.to_string(),
                    message,
                })
        } else {
            Ok(Some(parse_html(&url, &text)))
        }
    }

    /// The PEP 658 metadata of `file` (`{url}.metadata`), checked against the hash the index
    /// states for it.
    pub fn metadata(&self, file: &ProjectFile) -> Result<String, IndexError> {
        let url = file.metadata_url();
        let mut response = self.get(&url, "*/*")?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(IndexError::Status {
                url: url.to_string(),
                status,
                attempts: 1,
            });
        }
        let bytes = response
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_vec()
            .map_err(|source| IndexError::Unreachable {
                url: url.to_string(),
                attempts: 1,
                source: Box::new(source),
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
    /// Transport errors and 5xx during the transfer are retried like any request.
    pub fn download(
        &self,
        file: &ProjectFile,
        directory: &Path,
        on_bytes: &(dyn Fn(u64) + Sync),
    ) -> Result<DownloadedFile, IndexError> {
        let mut attempt = 0;
        loop {
            match self.download_once(file, directory, on_bytes) {
                Err(IndexError::Unreachable { .. }) if attempt < self.options.retries => {
                    std::thread::sleep(self.options.backoff.saturating_mul(2u32.pow(attempt)));
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    fn download_once(
        &self,
        file: &ProjectFile,
        directory: &Path,
        on_bytes: &(dyn Fn(u64) + Sync),
    ) -> Result<DownloadedFile, IndexError> {
        let mut response = self.get(&file.url, "*/*")?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(IndexError::Status {
                url: file.url.to_string(),
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
        let mut reader = response.body_mut().with_config().limit(u64::MAX).reader();
        let mut buffer = vec![0u8; 64 * 1024];
        let mut size = 0u64;
        loop {
            let n = match reader.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(IndexError::Unreachable {
                        url: file.url.to_string(),
                        attempts: 1,
                        source: Box::new(ureq::Error::Io(e)),
                    });
                }
            };
            hasher.update(&buffer[..n]);
            temp.write_all(&buffer[..n]).map_err(IndexError::Io)?;
            size += n as u64;
            on_bytes(n as u64);
        }
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
    use super::*;

    #[test]
    fn no_proxy_matches_host_and_subdomains() {
        assert!(host_matches("pypi.org", "pypi.org"));
        assert!(host_matches("files.pypi.org", ".pypi.org"));
        assert!(!host_matches("notpypi.org", "pypi.org"));
        assert!(host_matches("anything", "*"));
    }
}
