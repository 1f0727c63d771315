//! What can go wrong talking to an index.

use std::path::PathBuf;
use std::time::Duration;

/// Who set the size a body must not exceed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeclaredBy {
    /// The index's PEP 700 `size` of the file. Ex) `"size": 1000` in a JSON page
    Index,
    /// The response's `Content-Length`.
    ContentLength,
    /// Nobody: wharf's own limit. Ex) 16 GiB for a file of undeclared size
    Limit,
}

impl std::fmt::Display for DeclaredBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Index => "the index declared (PEP 700 `size`)",
            Self::ContentLength => "its `Content-Length` declared",
            Self::Limit => "wharf accepts for it",
        })
    }
}

/// `received of size bytes` (or `received bytes` when no size is known).
fn progress(received: u64, size: Option<u64>) -> String {
    match size {
        Some(size) => format!("{received} of {size} bytes"),
        None => format!("{received} bytes"),
    }
}

/// An index request that failed.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// No answer (DNS, connection refused, TLS, timeout), after every retry.
    /// Ex) `connection refused` from `http://127.0.0.1:9/simple/six/`
    #[error("cannot reach `{url}` (after {attempts} attempt(s))")]
    Unreachable {
        /// The URL.
        url: String,
        /// How many attempts were made.
        attempts: u32,
        /// The transport error.
        #[source]
        source: Box<ureq::Error>,
    },
    /// An HTTP error status, after every retry for 429 and 5xx. Ex) `500`
    #[error("`{url}` answered HTTP {status} (after {attempts} attempt(s))")]
    Status {
        /// The URL.
        url: String,
        /// The status code.
        status: u16,
        /// How many attempts were made.
        attempts: u32,
    },
    /// `--offline` and the page was never fetched into the cache.
    /// Ex) `https://pypi.org/simple/six/`
    #[error("`{url}` is not in the cache, and wharf is offline (--offline)")]
    NotCached {
        /// The page URL.
        url: String,
    },
    /// A PEP 691 page that is not valid JSON of the right shape.
    #[error("`{url}` is not a valid PEP 691 project page: {message}")]
    BadPage {
        /// The URL.
        url: String,
        /// What is wrong.
        message: String,
    },
    /// An index URL that cannot be joined with a project name.
    #[error("`{url}` is not a valid URL: {message}")]
    BadUrl {
        /// The URL.
        url: String,
        /// What is wrong.
        message: String,
    },
    /// A proxy URL that `ureq` refuses. Ex) `ftp://proxy`
    #[error("`{proxy}` is not a usable proxy URL")]
    BadProxy {
        /// The proxy URL.
        proxy: String,
        /// Why.
        #[source]
        source: Box<ureq::Error>,
    },
    /// A CA bundle without a single PEM certificate.
    #[error("`{}` holds no PEM certificate", path.display())]
    NoCertificates {
        /// The bundle.
        path: PathBuf,
    },
    /// The downloaded bytes do not have the sha256 the index states.
    #[error(
        "the sha256 of `{filename}` does not match the index: expected {expected}, got {actual} (from `{url}`)"
    )]
    HashMismatch {
        /// The URL.
        url: String,
        /// The file name.
        filename: String,
        /// The index's hash.
        expected: String,
        /// The hash of what was received.
        actual: String,
    },
    /// A body longer than its declared size (or than the limit when none is declared): the
    /// transfer stopped one byte past it, and nothing was kept. Ex) a body that never ends
    #[error(
        "`{url}` sent more than the {declared} bytes {by}: stopped after {received} bytes; nothing was kept"
    )]
    TooLarge {
        /// The URL.
        url: String,
        /// The size it may have, bytes.
        declared: u64,
        /// Who declared it.
        by: DeclaredBy,
        /// How many bytes were received (one more than `declared`).
        received: u64,
    },
    /// A body shorter than the size the index declares (PEP 700): the transfer was cut,
    /// after every retry.
    #[error(
        "`{url}` ended after {received} of the {declared} bytes the index declared (after {attempts} attempt(s))"
    )]
    Truncated {
        /// The URL.
        url: String,
        /// The index's size, bytes.
        declared: u64,
        /// The bytes received.
        received: u64,
        /// How many attempts were made.
        attempts: u32,
    },
    /// An attempt past its deadline ([`crate::deadline`]), after every retry. Ex) a server
    /// that sends one byte a second
    #[error(
        "`{url}` is too slow: {} in {elapsed:.2?}, past the {deadline:.1?} an attempt may take (after {attempts} attempt(s))",
        progress(*.received, *.size)
    )]
    TooSlow {
        /// The URL.
        url: String,
        /// The bytes received in the last attempt.
        received: u64,
        /// The declared size, if any.
        size: Option<u64>,
        /// How long the last attempt ran.
        elapsed: Duration,
        /// How long it could run.
        deadline: Duration,
        /// How many attempts were made.
        attempts: u32,
    },
    /// A redirect to a URL that is not `http:` or `https:`: refused, not followed.
    /// Ex) `file:///etc/passwd`
    #[error("`{url}` redirects to `{location}`, which is not an HTTP(S) URL: refused")]
    RedirectRefused {
        /// The URL that redirected.
        url: String,
        /// Where to.
        location: String,
    },
    /// More than [`crate::MAX_REDIRECTS`] redirects (a loop).
    #[error(
        "`{url}` redirects more than {} times (the last to `{location}`)",
        crate::MAX_REDIRECTS
    )]
    TooManyRedirects {
        /// The URL asked for.
        url: String,
        /// The last redirect's target.
        location: String,
    },
    /// A file name from an index page that is not a plain file name: it is not written.
    /// Ex) `../evil-1.0-py3-none-any.whl`
    #[error("the index offered an unsafe file name `{filename}` (for `{url}`): refused")]
    UnsafeFilename {
        /// The file's URL.
        url: String,
        /// The file name as the index gave it.
        filename: String,
    },
    /// A local file error (the path is in the message).
    #[error(transparent)]
    Io(std::io::Error),
}

impl IndexError {
    /// Whether another attempt may succeed: a transport error, 429 or 5xx, a body too slow
    /// or cut short. Such errors are retried ([`crate::ClientOptions::retries`]).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Unreachable { .. } | Self::TooSlow { .. } | Self::Truncated { .. } => true,
            Self::Status { status, .. } => *status == 429 || *status >= 500,
            _ => false,
        }
    }

    /// The error with `n` as its number of attempts (for the variants that count them).
    pub fn with_attempts(mut self, n: u32) -> Self {
        match &mut self {
            Self::Unreachable { attempts, .. }
            | Self::Status { attempts, .. }
            | Self::Truncated { attempts, .. }
            | Self::TooSlow { attempts, .. } => *attempts = n,
            _ => {}
        }
        self
    }

    /// How to fix it.
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::Unreachable { .. } => Some(
                "check the network from this node (compute nodes often have none: download on a login node), the index URL (--index-url), and the proxy (HTTPS_PROXY) and CA bundle (--cert, PIP_CERT, SSL_CERT_FILE)".to_string(),
            ),
            Self::Status { status, .. } if *status >= 500 || *status == 429 => Some(
                "the index is failing or rate-limiting: try again later, or another index with --index-url".to_string(),
            ),
            Self::Status { .. } => Some("check the index URL (--index-url) and its credentials".to_string()),
            Self::BadPage { .. } => Some("check that --index-url points at a simple index (PEP 503/691), ex) https://pypi.org/simple".to_string()),
            Self::HashMismatch { .. } => Some(
                "the file was corrupted in transit or changed on the index; nothing was kept: try again, and report it to the index if it persists".to_string(),
            ),
            Self::NoCertificates { .. } => Some("point --cert (PIP_CERT, SSL_CERT_FILE) at a PEM bundle".to_string()),
            Self::TooLarge { by: DeclaredBy::Limit, .. } => Some(
                "nobody declared this file's size and it is larger than any wheel should be; if it is really meant, download it with curl".to_string(),
            ),
            Self::TooLarge { .. } => Some(
                "the server sends something other than the file the index lists (a broken mirror, a proxy's page): report it to the index".to_string(),
            ),
            Self::Truncated { .. } => Some(
                "the transfer was cut short: try again; if it persists, the index lists a size its server does not send".to_string(),
            ),
            Self::TooSlow { .. } => Some(
                "the index or the network is too slow: try again later, or raise --timeout (an attempt at a file may take one --timeout, plus one per MiB of the file)".to_string(),
            ),
            Self::RedirectRefused { .. } => Some(
                "an index may redirect only to http:// or https:// URLs: report it to the index, or use another (--index-url)".to_string(),
            ),
            Self::TooManyRedirects { .. } => Some("the index redirects in a loop: check the index URL (--index-url)".to_string()),
            Self::UnsafeFilename { .. } => Some(
                "the index's page names a path, not a file name; nothing was written: report it to the index".to_string(),
            ),
            Self::NotCached { .. } => Some(
                "run the same command once with the network (on a login node) to fill the cache, or drop --offline".to_string(),
            ),
            Self::BadUrl { .. } | Self::BadProxy { .. } | Self::Io(_) => None,
        }
    }
}
