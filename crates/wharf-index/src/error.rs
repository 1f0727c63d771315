//! What can go wrong talking to an index.

use std::path::PathBuf;

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
    /// A local file error (the path is in the message).
    #[error(transparent)]
    Io(std::io::Error),
}

impl IndexError {
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
            Self::BadUrl { .. } | Self::BadProxy { .. } | Self::Io(_) => None,
        }
    }
}
