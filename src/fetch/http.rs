//! The HTTP client: GitHub headers, the token, and the one retry loop every
//! request goes through (backoff for transient failures, waits for rate
//! limits, clear errors for everything else).
//!
//! The decisions live in `policy`; streaming big bodies to disk is left to
//! `download`, which uses [`HttpClient::send_get`] and [`Tries`].

use super::error::{root_cause, HttpError};
use super::policy::{self, Verdict};
use super::report::{RateLimitKind, Reporter};
use crate::tls::TlsFailure;
use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, LINK};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// The `Accept` header for GitHub's JSON API.
pub(crate) const GITHUB_JSON: &str = "application/vnd.github+json";

/// Error bodies are read only this far (enough for GitHub's `message`).
const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// A request that keeps hitting rate limits gives up after this many waits.
const MAX_RATE_LIMIT_WAITS: u32 = 10;

/// How the client talks to GitHub.
#[derive(Clone)]
pub struct HttpConfig {
    /// GitHub token, sent as `Authorization: Bearer` when set.
    pub token: Option<String>,
    /// The `User-Agent` header (GitHub rejects requests without one).
    pub user_agent: String,
    /// Retries after a transient failure (connection error, timeout, 5xx, 429, cut body).
    pub max_retries: u32,
    /// Wait before the first retry; doubles for each further retry.
    pub initial_backoff: Duration,
    /// The longest wait between retries.
    pub max_backoff: Duration,
    /// The longest wait for a rate limit to reset before failing instead.
    pub max_rate_limit_wait: Duration,
    /// Connect and read-inactivity timeout (not a limit on a whole download).
    pub timeout: Duration,
    /// A PEM file of extra CA certificates to trust next to the system's
    /// (`--ca-cert`: GitHub Enterprise with a private CA).
    pub ca_cert: Option<PathBuf>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            token: None,
            user_agent: concat!("ferry/", env!("CARGO_PKG_VERSION")).to_string(),
            max_retries: 6,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
            max_rate_limit_wait: Duration::from_secs(3600),
            timeout: Duration::from_secs(30),
            ca_cert: None,
        }
    }
}

impl fmt::Debug for HttpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpConfig")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("user_agent", &self.user_agent)
            .field("max_retries", &self.max_retries)
            .field("initial_backoff", &self.initial_backoff)
            .field("max_backoff", &self.max_backoff)
            .field("max_rate_limit_wait", &self.max_rate_limit_wait)
            .field("timeout", &self.timeout)
            .field("ca_cert", &self.ca_cert)
            .finish()
    }
}

/// The HTTP client; cheap to clone (one connection pool shared by all clones).
#[derive(Clone)]
pub struct HttpClient {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    config: HttpConfig,
    reporter: Arc<dyn Reporter>,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl HttpClient {
    /// Builds a client (rustls with the ring provider; the platform's root
    /// certificates, or those of `SSL_CERT_FILE` / `SSL_CERT_DIR` when set,
    /// plus the CAs of [`HttpConfig::ca_cert`]).
    pub fn new(config: HttpConfig, reporter: Arc<dyn Reporter>) -> Result<HttpClient, HttpError> {
        // Another part of the program may have installed a provider already: fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-github-api-version",
            HeaderValue::from_static("2022-11-28"),
        );
        let extra_roots = match &config.ca_cert {
            Some(path) => read_ca_file(path)?,
            None => Vec::new(),
        };
        let client = reqwest::Client::builder()
            .tls_certs_merge(extra_roots)
            .user_agent(config.user_agent.clone())
            .default_headers(headers)
            .connect_timeout(config.timeout)
            .read_timeout(config.timeout)
            .build()
            .map_err(HttpError::Client)?;
        Ok(HttpClient {
            inner: Arc::new(Inner {
                client,
                config,
                reporter,
            }),
        })
    }

    /// The reporter this client tells about retries and rate limits.
    pub fn reporter(&self) -> &Arc<dyn Reporter> {
        &self.inner.reporter
    }

    /// The configuration the client was built with.
    pub fn config(&self) -> &HttpConfig {
        &self.inner.config
    }

    /// GET JSON, retrying transient failures and waiting out rate limits.
    pub async fn get_json<T: DeserializeOwned>(&self, url: &str) -> Result<T, HttpError> {
        let (_, body) = self.get_json_body(url).await?;
        decode(url, &body)
    }

    /// GET every page of a paginated JSON array, following `Link: <..>; rel="next"`.
    pub async fn get_json_pages<T: DeserializeOwned>(
        &self,
        first_url: &str,
    ) -> Result<Vec<T>, HttpError> {
        let mut items = Vec::new();
        let mut seen = HashSet::new();
        let mut next = Some(first_url.to_string());
        while let Some(url) = next.take() {
            seen.insert(url.clone());
            let (headers, body) = self.get_json_body(&url).await?;
            items.extend(decode::<Vec<T>>(&url, &body)?);
            let link = headers.get(LINK).and_then(|v| v.to_str().ok());
            if let Some(target) = link.and_then(policy::next_link) {
                let target = resolve(&url, target);
                if seen.contains(&target) {
                    return Err(HttpError::PaginationLoop { url, next: target });
                }
                next = Some(target);
            }
        }
        Ok(items)
    }

    /// GET a body with an `Accept` header; `Ok(None)` on 404.
    pub async fn get_bytes(&self, url: &str, accept: &str) -> Result<Option<Bytes>, HttpError> {
        Ok(self
            .get_body(url, accept, true)
            .await?
            .map(|(_, body)| body))
    }

    /// Sends one GET with extra headers, applying the retry and rate-limit
    /// policy to the response status (not to the body): for the downloader.
    /// Returns the response on 2xx, and on 416 (a `Range` the server cannot
    /// satisfy) so the caller can start over; any other status is an error.
    pub async fn send_get(
        &self,
        url: &str,
        headers: HeaderMap,
    ) -> Result<reqwest::Response, HttpError> {
        let mut tries = self.tries(url);
        self.send_checked(url, &headers, &mut tries, |s| {
            s == StatusCode::RANGE_NOT_SATISFIABLE
        })
        .await
    }

    /// A fresh retry budget for `what` (a URL or a download label).
    pub(crate) fn tries<'a>(&'a self, what: &'a str) -> Tries<'a> {
        Tries {
            inner: &self.inner,
            what,
            failures: 0,
            rate_waits: 0,
        }
    }

    /// GETs a JSON body (a 404 is an error like any other 4xx).
    async fn get_json_body(&self, url: &str) -> Result<(HeaderMap, Bytes), HttpError> {
        // With `allow_404 == false` a 404 is already an error; `None` cannot come back.
        self.get_body(url, GITHUB_JSON, false)
            .await?
            .ok_or_else(|| HttpError::Status {
                url: url.to_string(),
                status: StatusCode::NOT_FOUND,
                message: "Not Found".to_string(),
            })
    }

    /// GETs a whole body, retrying when the body breaks off. `None` on 404
    /// when `allow_404`.
    async fn get_body(
        &self,
        url: &str,
        accept: &str,
        allow_404: bool,
    ) -> Result<Option<(HeaderMap, Bytes)>, HttpError> {
        let mut headers = HeaderMap::new();
        headers.insert(
            ACCEPT,
            HeaderValue::from_str(accept).unwrap_or(HeaderValue::from_static("*/*")),
        );
        let mut tries = self.tries(url);
        loop {
            let response = self
                .send_checked(url, &headers, &mut tries, |s| {
                    allow_404 && s == StatusCode::NOT_FOUND
                })
                .await?;
            if response.status() == StatusCode::NOT_FOUND {
                return Ok(None);
            }
            let response_headers = response.headers().clone();
            match response.bytes().await {
                Ok(body) => return Ok(Some((response_headers, body))),
                Err(source) => {
                    if !tries.back_off(&root_cause(&source)).await {
                        return Err(tries.transport_error(source));
                    }
                }
            }
        }
    }

    /// Sends GETs until one answers 2xx or a status `pass` accepts, backing
    /// off after transient failures and waiting out rate limits.
    async fn send_checked(
        &self,
        url: &str,
        headers: &HeaderMap,
        tries: &mut Tries<'_>,
        pass: impl Fn(StatusCode) -> bool,
    ) -> Result<reqwest::Response, HttpError> {
        loop {
            let mut request = self.inner.client.get(url).headers(headers.clone());
            if let Some(token) = &self.inner.config.token {
                request = request.bearer_auth(token);
            }
            let response = match request.send().await {
                Ok(response) => response,
                Err(source) if crate::tls::failure(&source).is_some() => {
                    return Err(tls_error(url, &source));
                }
                Err(source) if !policy::is_transient(&source) => {
                    return Err(HttpError::Request {
                        url: url.to_string(),
                        source,
                    })
                }
                Err(source) => {
                    if tries.back_off(&root_cause(&source)).await {
                        continue;
                    }
                    return Err(tries.transport_error(source));
                }
            };
            let status = response.status();
            if status.is_success() || pass(status) {
                return Ok(response);
            }
            let response_headers = response.headers().clone();
            let body = read_capped(response).await;
            let message = policy::github_message(&body)
                .unwrap_or_else(|| status.canonical_reason().unwrap_or("").to_string());
            match policy::classify(status, &response_headers, &message, SystemTime::now()) {
                Verdict::Retry => {
                    if !tries.back_off(&format!("server answered {status}")).await {
                        return Err(HttpError::Server {
                            url: url.to_string(),
                            status,
                            attempts: tries.attempts(),
                        });
                    }
                }
                Verdict::RateLimited { kind, wait } => tries.rate_wait(kind, wait, status).await?,
                Verdict::Fail if status == StatusCode::UNAUTHORIZED => {
                    return Err(HttpError::Unauthorized {
                        url: url.to_string(),
                        status,
                        message,
                    })
                }
                Verdict::Fail => {
                    return Err(HttpError::Status {
                        url: url.to_string(),
                        status,
                        message,
                    })
                }
            }
        }
    }
}

/// The retry budget of one logical request: transient failures count,
/// rate-limit waits do not (they have their own cap).
pub(crate) struct Tries<'a> {
    inner: &'a Inner,
    what: &'a str,
    failures: u32,
    rate_waits: u32,
}

impl Tries<'_> {
    /// Reports and sleeps before the next attempt; `false` when the retries
    /// are used up.
    pub(crate) async fn back_off(&mut self, reason: &str) -> bool {
        let config = &self.inner.config;
        if self.failures >= config.max_retries {
            return false;
        }
        self.failures += 1;
        let wait = policy::backoff(config.initial_backoff, config.max_backoff, self.failures);
        tracing::debug!(
            what = self.what,
            retry = self.failures,
            ?wait,
            reason,
            "retrying"
        );
        self.inner
            .reporter
            .retrying(self.what, self.failures, wait, reason);
        tokio::time::sleep(wait).await;
        true
    }

    /// Progress was made: the next failure starts a fresh count.
    pub(crate) fn progressed(&mut self) {
        self.failures = 0;
    }

    /// Attempts made so far (the first one plus the retries).
    pub(crate) fn attempts(&self) -> u32 {
        self.failures + 1
    }

    fn transport_error(&self, source: reqwest::Error) -> HttpError {
        HttpError::Transport {
            url: self.what.to_string(),
            attempts: self.attempts(),
            source,
        }
    }

    async fn rate_wait(
        &mut self,
        kind: RateLimitKind,
        wait: Duration,
        status: StatusCode,
    ) -> Result<(), HttpError> {
        let max_wait = self.inner.config.max_rate_limit_wait;
        if wait > max_wait {
            return Err(HttpError::RateLimitTooLong {
                url: self.what.to_string(),
                status,
                resets_at: SystemTime::now() + wait,
                max_wait,
            });
        }
        self.rate_waits += 1;
        if self.rate_waits > MAX_RATE_LIMIT_WAITS {
            return Err(HttpError::RateLimitPersists {
                url: self.what.to_string(),
                status,
                waits: MAX_RATE_LIMIT_WAITS,
            });
        }
        tracing::info!(url = self.what, ?kind, ?wait, "rate limited");
        self.inner.reporter.rate_limited(kind, wait);
        tokio::time::sleep(wait).await;
        Ok(())
    }
}

/// The CA certificates of a PEM file (one or more `CERTIFICATE` blocks).
fn read_ca_file(path: &Path) -> Result<Vec<reqwest::Certificate>, HttpError> {
    crate::tls::read_ca_file(path)?
        .iter()
        .map(|der| {
            reqwest::Certificate::from_der(der).map_err(|e| {
                HttpError::CaCert(crate::tls::CaFileError {
                    path: path.to_path_buf(),
                    problem: e.to_string(),
                })
            })
        })
        .collect()
}

/// A handshake failure as the error that says what to do (never retried:
/// trying again does not make a certificate trusted).
fn tls_error(url: &str, source: &reqwest::Error) -> HttpError {
    match crate::tls::failure(source) {
        Some(TlsFailure::UntrustedCertificate { reason }) => HttpError::Untrusted {
            url: url.to_string(),
            reason,
        },
        Some(TlsFailure::Refused { alert }) => HttpError::TlsRefused {
            url: url.to_string(),
            alert,
        },
        None => HttpError::Untrusted {
            url: url.to_string(),
            reason: root_cause(source),
        },
    }
}

/// Reads at most [`ERROR_BODY_LIMIT`] bytes of an error body; a broken body
/// reads as what arrived.
async fn read_capped(mut response: reqwest::Response) -> Vec<u8> {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        body.extend_from_slice(&chunk);
        if body.len() >= ERROR_BODY_LIMIT {
            break;
        }
    }
    body
}

fn decode<T: DeserializeOwned>(url: &str, body: &[u8]) -> Result<T, HttpError> {
    serde_json::from_slice(body).map_err(|source| HttpError::Decode {
        url: url.to_string(),
        source,
    })
}

/// Resolves a `Link` target against the page it came from.
fn resolve(base: &str, target: &str) -> String {
    url::Url::parse(base)
        .and_then(|base| base.join(target))
        .map(String::from)
        .unwrap_or_else(|_| target.to_string())
}
