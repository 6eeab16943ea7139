//! The typed errors the engine returns: [`HttpError`] for requests and
//! [`FetchError`] for downloads. Each carries the URL (and status, path or
//! hashes) and says what to do next; causes stay in `#[source]`.
//! Cache errors live with the cache.

use super::cache::CacheError;
use reqwest::StatusCode;
use std::io;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

/// Why a request failed for good.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The TLS/HTTP client could not be set up.
    #[error("could not set up the HTTP client")]
    Client(#[source] reqwest::Error),
    /// The `--ca-cert` file could not be read or holds no certificate.
    #[error(transparent)]
    CaCert(#[from] crate::tls::CaFileError),
    /// The server's TLS certificate did not verify.
    #[error("the TLS certificate of {url} is not trusted: {reason}. If the server uses a private CA (GitHub Enterprise, a site mirror), pass that CA with --ca-cert FILE or set SSL_CERT_FILE to a PEM file holding it; ferry never skips the check")]
    Untrusted {
        /// The URL.
        url: String,
        /// What is wrong with the certificate.
        reason: String,
    },
    /// The server refused the TLS handshake.
    #[error("the server of {url} refused the TLS handshake ({alert}); check that the URL is the right one and whether the server requires a client certificate")]
    TlsRefused {
        /// The URL.
        url: String,
        /// The server's alert, in words.
        alert: String,
    },
    /// The request could not be built (usually a malformed URL).
    #[error("could not build a request for {url}; check the URL")]
    Request {
        /// The URL.
        url: String,
        /// The cause.
        #[source]
        source: reqwest::Error,
    },
    /// The connection failed or broke off on every attempt.
    #[error("GET {url} failed {attempts} times; check the network connection and the address (for GitHub: --github-api or FERRY_GITHUB_API), then try again")]
    Transport {
        /// The URL.
        url: String,
        /// Attempts made.
        attempts: u32,
        /// The last cause.
        #[source]
        source: reqwest::Error,
    },
    /// The server answered 5xx (or 429) on every attempt.
    #[error(
        "GET {url} answered {status} {attempts} times; the server is in trouble, try again later"
    )]
    Server {
        /// The URL.
        url: String,
        /// The last status.
        status: StatusCode,
        /// Attempts made.
        attempts: u32,
    },
    /// 401: the token is missing, wrong or expired.
    #[error(
        "GET {url} answered {status}: {message}; set GITHUB_TOKEN (or GH_TOKEN) to a valid token"
    )]
    Unauthorized {
        /// The URL.
        url: String,
        /// The status.
        status: StatusCode,
        /// GitHub's message.
        message: String,
    },
    /// Any other refusal (404, bare 403, 422, ...).
    #[error("GET {url} answered {status}: {message}")]
    Status {
        /// The URL.
        url: String,
        /// The status.
        status: StatusCode,
        /// GitHub's message (or the status reason).
        message: String,
    },
    /// The rate limit resets later than ferry is willing to wait.
    #[error(
        "GitHub rate-limited GET {url} until {}, longer than the {} ferry waits; \
         try again then, or set GITHUB_TOKEN for a higher limit",
        humantime::format_rfc3339_seconds(*resets_at),
        humantime::format_duration(*max_wait)
    )]
    RateLimitTooLong {
        /// The URL.
        url: String,
        /// The status (403 or 429).
        status: StatusCode,
        /// When the limit resets.
        resets_at: SystemTime,
        /// The configured maximum wait.
        max_wait: Duration,
    },
    /// The server rate-limited the same request again and again.
    #[error(
        "GitHub rate-limited GET {url} {waits} times in a row; wait a while, or set GITHUB_TOKEN"
    )]
    RateLimitPersists {
        /// The URL.
        url: String,
        /// The last status.
        status: StatusCode,
        /// Waits made.
        waits: u32,
    },
    /// The body is not the JSON expected.
    #[error("the JSON from {url} does not have the expected shape; is this a GitHub API URL?")]
    Decode {
        /// The URL.
        url: String,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// A `Link: rel="next"` header points back to a page already read.
    #[error("the pages of {url} link back to {next}; the server's pagination is broken")]
    PaginationLoop {
        /// The page holding the link.
        url: String,
        /// The repeated page.
        next: String,
    },
}

/// The innermost cause of an error, as one line ("Connection refused (os
/// error 111)" rather than reqwest's "error sending request for url ...").
pub fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

impl HttpError {
    /// The URL the error is about, when there is one.
    pub fn url(&self) -> Option<&str> {
        match self {
            HttpError::Client(_) | HttpError::CaCert(_) => None,
            HttpError::Request { url, .. }
            | HttpError::Untrusted { url, .. }
            | HttpError::TlsRefused { url, .. }
            | HttpError::Transport { url, .. }
            | HttpError::Server { url, .. }
            | HttpError::Unauthorized { url, .. }
            | HttpError::Status { url, .. }
            | HttpError::RateLimitTooLong { url, .. }
            | HttpError::RateLimitPersists { url, .. }
            | HttpError::Decode { url, .. }
            | HttpError::PaginationLoop { url, .. } => Some(url),
        }
    }

    /// The HTTP status the server last answered, when it answered one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            HttpError::Server { status, .. }
            | HttpError::Unauthorized { status, .. }
            | HttpError::Status { status, .. }
            | HttpError::RateLimitTooLong { status, .. }
            | HttpError::RateLimitPersists { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// Why a download failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The request failed for good (see the cause for status and URL).
    #[error("could not download {label}")]
    Http {
        /// The request's label.
        label: String,
        /// The cause.
        #[source]
        source: HttpError,
    },
    /// The body broke off on every attempt.
    #[error("the download of {url} broke off {attempts} times; {} is kept, run again to resume", partial.display())]
    Interrupted {
        /// The URL.
        url: String,
        /// The partial file kept for the next run.
        partial: PathBuf,
        /// Attempts since the last progress.
        attempts: u32,
        /// The last cause.
        #[source]
        source: reqwest::Error,
    },
    /// A success status other than 200 or 206, or a 416 without a `Range`.
    #[error("{url} answered {status} to a download request; expected 200 or 206")]
    UnexpectedStatus {
        /// The URL.
        url: String,
        /// The status.
        status: StatusCode,
    },
    /// The body had another size than announced.
    #[error("{url} delivered {actual} bytes, but {expected} were expected; the partial download was deleted, run again")]
    SizeMismatch {
        /// The URL.
        url: String,
        /// The expected size.
        expected: u64,
        /// The size received (so far).
        actual: u64,
    },
    /// The content does not have the expected SHA-256.
    #[error("{url} has SHA-256 {actual}, but {expected} was expected: the download is corrupt or the release changed; the partial download was deleted, run again")]
    DigestMismatch {
        /// The URL.
        url: String,
        /// The expected digest.
        expected: String,
        /// The digest of what arrived.
        actual: String,
    },
    /// The partial file could not be read or written.
    #[error("could not write the download of {url} to {}; check free space and permissions", path.display())]
    Io {
        /// The URL.
        url: String,
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The finished download could not be stored in the cache.
    #[error("could not store the download of {url} in the cache")]
    Cache {
        /// The URL.
        url: String,
        /// The cause.
        #[source]
        source: CacheError,
    },
}
