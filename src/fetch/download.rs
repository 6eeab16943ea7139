//! Parallel, resumable downloads into the cache, the rustup way.
//!
//! Each download streams into its key's `.partial`, hashing as it goes. After
//! an interruption (a dropped connection, or a killed earlier run) the bytes
//! on disk are re-hashed and the rest is asked for with `Range: bytes=N-`
//! from the original URL: 206 appends, 200 or 416 starts over. The size and
//! the expected SHA-256 are checked before the partial is committed to the
//! cache; a mismatch deletes it. A lock file per key keeps two processes from
//! writing the same partial. Retry and rate-limit rules come from `http`;
//! the partial file itself from `partial`.

use super::cache::Cache;
use super::error::FetchError;
use super::http::HttpClient;
use super::partial::{KeyLock, Partial};
use super::report::Reporter;
use futures_util::stream::{self, StreamExt};
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, CONTENT_RANGE, RANGE};
use reqwest::StatusCode;
use std::io;
use std::path::PathBuf;

/// One file to download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadRequest {
    /// Stable identity of the remote file (e.g. asset API URL + id + size +
    /// updated_at); a key downloaded before is served from the cache.
    pub key: String,
    /// Where to GET it (for GitHub assets: the API URL, never the redirect target).
    pub url: String,
    /// The `Accept` header (`application/octet-stream` for GitHub assets).
    pub accept: String,
    /// The size, when known in advance.
    pub expected_size: Option<u64>,
    /// The SHA-256 (hex, optionally prefixed `sha256:` as GitHub's `digest` is).
    pub expected_sha256: Option<String>,
    /// What progress reports call it.
    pub label: String,
}

/// A file in the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downloaded {
    /// Lowercase hex SHA-256.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// The cached blob.
    pub path: PathBuf,
    /// Whether it was already in the cache (no request was made).
    pub from_cache: bool,
}

/// Downloads files into a [`Cache`], several at once.
#[derive(Debug, Clone)]
pub struct Fetcher {
    http: HttpClient,
    cache: Cache,
    jobs: usize,
}

impl Fetcher {
    /// A fetcher running at most `jobs` downloads at once (at least one).
    pub fn new(http: HttpClient, cache: Cache, jobs: usize) -> Fetcher {
        Fetcher {
            http,
            cache,
            jobs: jobs.max(1),
        }
    }

    /// The cache downloads go to.
    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    /// Where progress goes.
    pub fn reporter(&self) -> &dyn Reporter {
        self.http.reporter().as_ref()
    }

    /// Downloads all (at most `jobs` at once), results in input order; cached
    /// keys are not fetched. Stops at the first hard error; partials of
    /// unfinished downloads stay on disk for the next run.
    pub async fn fetch_all(
        &self,
        requests: Vec<DownloadRequest>,
    ) -> Result<Vec<Downloaded>, FetchError> {
        let mut results: Vec<Option<Downloaded>> = vec![None; requests.len()];
        let mut running = stream::iter(requests.iter().enumerate())
            .map(|(index, request)| async move { (index, self.fetch_one(request).await) })
            .buffer_unordered(self.jobs);
        while let Some((index, result)) = running.next().await {
            results[index] = Some(result?);
        }
        Ok(results.into_iter().flatten().collect())
    }

    /// Downloads one file, or finds it in the cache.
    pub async fn fetch_one(&self, request: &DownloadRequest) -> Result<Downloaded, FetchError> {
        let expected_sha256 = request.expected_sha256.as_deref().map(normalize_digest);
        let expected = Expected {
            size: request.expected_size,
            sha256: expected_sha256.as_deref(),
        };
        if let Some(hit) = self.cached(request, &expected).await {
            self.http.reporter().download_finished(&request.label, true);
            return Ok(hit);
        }
        let lock_path = self.cache.lock_path(&request.key);
        let _lock = KeyLock::acquire(lock_path.clone(), &request.label)
            .await
            .map_err(|source| io_error(request, lock_path, source))?;
        // Another process may have finished it while we waited for the lock.
        if let Some(hit) = self.cached(request, &expected).await {
            self.http.reporter().download_finished(&request.label, true);
            return Ok(hit);
        }
        let downloaded = self.download(request, &expected).await?;
        self.http
            .reporter()
            .download_finished(&request.label, false);
        Ok(downloaded)
    }

    /// The cached blob for the request's key, if it still matches what is expected.
    async fn cached(
        &self,
        request: &DownloadRequest,
        expected: &Expected<'_>,
    ) -> Option<Downloaded> {
        let cache = self.cache.clone();
        let key = request.key.clone();
        let blob = tokio::task::spawn_blocking(move || cache.lookup(&key))
            .await
            .ok()
            .flatten()?;
        let size_ok = expected.size.is_none_or(|size| size == blob.size);
        let sha_ok = expected.sha256.is_none_or(|sha| sha == blob.sha256);
        (size_ok && sha_ok).then_some(Downloaded {
            sha256: blob.sha256,
            size: blob.size,
            path: blob.path,
            from_cache: true,
        })
    }

    /// Streams the file into its partial (resuming what is there), checks
    /// it, and commits it to the cache.
    async fn download(
        &self,
        request: &DownloadRequest,
        expected: &Expected<'_>,
    ) -> Result<Downloaded, FetchError> {
        let path = self.cache.partial_path(&request.key);
        let io_err = |source| io_error(request, path.clone(), source);
        let mut partial = Partial::open(&path).await.map_err(io_err)?;
        if expected.size.is_some_and(|size| partial.len() > size) {
            partial.reset().await.map_err(io_err)?;
        }
        let mut tries = self.http.tries(&request.label);
        // Only growth past the furthest point reached resets the retry count:
        // a server that ignores Range and breaks off at the same spot must not
        // keep us busy forever.
        let mut furthest = partial.len();
        while expected.size != Some(partial.len()) || partial.len() == 0 {
            let resumed_from = partial.len();
            let mut response = self
                .http
                .send_get(&request.url, request_headers(request, resumed_from))
                .await
                .map_err(|source| FetchError::Http {
                    label: request.label.clone(),
                    source,
                })?;
            let status = response.status();
            let restart = match status {
                StatusCode::PARTIAL_CONTENT if resumed_from > 0 => {
                    range_start(response.headers()) != Some(resumed_from)
                }
                StatusCode::OK => resumed_from > 0,
                StatusCode::RANGE_NOT_SATISFIABLE if resumed_from > 0 => {
                    tracing::debug!(
                        url = request.url,
                        resumed_from,
                        "range refused; starting over"
                    );
                    partial.reset().await.map_err(io_err)?;
                    continue;
                }
                _ => {
                    return Err(FetchError::UnexpectedStatus {
                        url: request.url.clone(),
                        status,
                    })
                }
            };
            if restart {
                partial.reset().await.map_err(io_err)?;
                if status != StatusCode::OK {
                    // A 206 from the wrong offset: ask again without a Range.
                    continue;
                }
            }
            let resumed_from = partial.len();
            let total = expected
                .size
                .or_else(|| response.content_length().map(|l| l + resumed_from));
            let reporter = self.http.reporter();
            reporter.download_started(&request.label, total, resumed_from);
            let cut = loop {
                match response.chunk().await {
                    Ok(Some(chunk)) => {
                        partial.write(&chunk).await.map_err(io_err)?;
                        reporter.download_progress(&request.label, chunk.len() as u64);
                        if let Some(size) = expected.size.filter(|&size| partial.len() > size) {
                            return Err(self.size_mismatch(request, partial, size).await);
                        }
                    }
                    Ok(None) => break None,
                    Err(error) => break Some(error),
                }
            };
            partial.flush().await.map_err(io_err)?;
            let Some(error) = cut else { break };
            if partial.len() > furthest {
                furthest = partial.len();
                tries.progressed();
            }
            if !tries
                .back_off(&format!("download broke off: {error}"))
                .await
            {
                return Err(FetchError::Interrupted {
                    url: request.url.clone(),
                    partial: path.clone(),
                    attempts: tries.attempts(),
                    source: error,
                });
            }
        }
        self.finish(request, expected, partial).await
    }

    /// Checks size and digest, then commits the partial to the cache.
    async fn finish(
        &self,
        request: &DownloadRequest,
        expected: &Expected<'_>,
        partial: Partial,
    ) -> Result<Downloaded, FetchError> {
        if let Some(size) = expected.size.filter(|&size| size != partial.len()) {
            return Err(self.size_mismatch(request, partial, size).await);
        }
        let path = partial.path().to_path_buf();
        let (sha256, size) = partial
            .finish()
            .await
            .map_err(|source| io_error(request, path.clone(), source))?;
        if let Some(want) = expected.sha256.filter(|&want| want != sha256) {
            discard(&path).await;
            return Err(FetchError::DigestMismatch {
                url: request.url.clone(),
                expected: want.to_string(),
                actual: sha256,
            });
        }
        let cache = self.cache.clone();
        let key = request.key.clone();
        let blob = tokio::task::spawn_blocking(move || cache.commit(&key, &path, &sha256, size))
            .await
            .map_err(|join| {
                io_error(
                    request,
                    self.cache.partial_path(&request.key),
                    io::Error::other(join),
                )
            })?
            .map_err(|source| FetchError::Cache {
                url: request.url.clone(),
                source,
            })?;
        Ok(Downloaded {
            sha256: blob.sha256,
            size: blob.size,
            path: blob.path,
            from_cache: false,
        })
    }

    async fn size_mismatch(
        &self,
        request: &DownloadRequest,
        partial: Partial,
        expected: u64,
    ) -> FetchError {
        let actual = partial.len();
        let path = partial.path().to_path_buf();
        drop(partial);
        discard(&path).await;
        FetchError::SizeMismatch {
            url: request.url.clone(),
            expected,
            actual,
        }
    }
}

/// What the finished file must match.
struct Expected<'a> {
    size: Option<u64>,
    sha256: Option<&'a str>,
}

fn request_headers(request: &DownloadRequest, resume_from: u64) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Ok(accept) = HeaderValue::from_str(&request.accept) {
        headers.insert(ACCEPT, accept);
    }
    if resume_from > 0 {
        if let Ok(range) = HeaderValue::from_str(&format!("bytes={resume_from}-")) {
            headers.insert(RANGE, range);
        }
    }
    headers
}

/// The first byte offset of a `Content-Range: bytes START-END/TOTAL`.
fn range_start(headers: &HeaderMap) -> Option<u64> {
    let value = headers.get(CONTENT_RANGE)?.to_str().ok()?;
    let range = value.trim().strip_prefix("bytes")?.trim_start();
    range.split('-').next()?.trim().parse().ok()
}

/// `sha256:ABC...` -> `abc...`.
fn normalize_digest(digest: &str) -> String {
    let digest = digest.trim();
    digest
        .strip_prefix("sha256:")
        .unwrap_or(digest)
        .to_ascii_lowercase()
}

/// Deletes a partial that failed its checks; a failure to delete only means
/// the next run re-hashes and rejects it again.
async fn discard(path: &std::path::Path) {
    if let Err(error) = tokio::fs::remove_file(path).await {
        tracing::warn!(path = %path.display(), %error, "could not delete a bad partial download");
    }
}

fn io_error(request: &DownloadRequest, path: PathBuf, source: io::Error) -> FetchError {
    FetchError::Io {
        url: request.url.clone(),
        path,
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_start_reads_content_range() {
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_RANGE,
            HeaderValue::from_static("bytes 100-999/1000"),
        );
        assert_eq!(range_start(&headers), Some(100));
        headers.insert(CONTENT_RANGE, HeaderValue::from_static("bytes */1000"));
        assert_eq!(range_start(&headers), None);
    }

    #[test]
    fn digests_are_normalized() {
        assert_eq!(normalize_digest("sha256:ABCD"), "abcd");
        assert_eq!(normalize_digest("abcd"), "abcd");
    }
}
