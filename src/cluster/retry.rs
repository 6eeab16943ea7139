//! Retrying Kubernetes API calls: which failures are transient (5xx, 429,
//! timeouts, broken connections) and a small exponential backoff around one
//! call. Conflicts (409) are retried only as often as the caller allows.
//!
//! What a call means, and how an error is reported, is left to the callers.

use std::future::Future;
use std::time::Duration;

/// How often and how patiently to retry one API call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Attempts in total for transient failures (at least 1).
    pub attempts: u32,
    /// Extra attempts after a 409 Conflict.
    pub conflicts: u32,
    /// Delay before the second attempt; doubles up to `max_delay`.
    pub first_delay: Duration,
    /// Longest delay between attempts.
    pub max_delay: Duration,
}

impl Retry {
    /// 5 attempts, 100 ms doubling to 2 s, no retry on conflicts.
    pub const DEFAULT: Retry = Retry {
        attempts: 5,
        conflicts: 0,
        first_delay: Duration::from_millis(100),
        max_delay: Duration::from_secs(2),
    };

    /// The same policy, retrying a 409 Conflict `n` times.
    pub fn with_conflicts(self, n: u32) -> Retry {
        Retry {
            conflicts: n,
            ..self
        }
    }

    /// Runs `call` until it succeeds, fails for good, or attempts run out;
    /// returns the last result.
    pub async fn run<T, F, Fut>(&self, mut call: F) -> Result<T, kube::Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, kube::Error>>,
    {
        let mut delay = self.first_delay;
        let mut transient_left = self.attempts.saturating_sub(1);
        let mut conflicts_left = self.conflicts;
        loop {
            let err = match call().await {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            let again = if is_conflict(&err) {
                conflicts_left.checked_sub(1).map(|n| conflicts_left = n)
            } else if is_transient(&err) {
                transient_left.checked_sub(1).map(|n| transient_left = n)
            } else {
                None
            };
            if again.is_none() {
                return Err(err);
            }
            tracing::debug!("retrying a Kubernetes API call in {delay:?} after: {err}");
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(self.max_delay);
        }
    }
}

impl Default for Retry {
    fn default() -> Self {
        Retry::DEFAULT
    }
}

/// The HTTP status of an API error, if the server answered.
pub fn status_code(err: &kube::Error) -> Option<u16> {
    match err {
        kube::Error::Api(status) => Some(status.code),
        _ => None,
    }
}

/// True for 409 Conflict.
pub fn is_conflict(err: &kube::Error) -> bool {
    status_code(err) == Some(409)
}

/// True for 404 Not Found.
pub fn is_not_found(err: &kube::Error) -> bool {
    status_code(err) == Some(404)
}

/// True when trying again may help: 5xx, 429, and transport failures
/// (timeouts, refused or reset connections, broken streams), but not a
/// failed TLS handshake (an untrusted certificate stays untrusted).
pub fn is_transient(err: &kube::Error) -> bool {
    if crate::tls::failure(err).is_some() {
        return false;
    }
    match err {
        kube::Error::Api(status) => status.code >= 500 || status.code == 429,
        kube::Error::HyperError(_) | kube::Error::Service(_) | kube::Error::ReadEvents(_) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn api_error(code: u16) -> kube::Error {
        kube::Error::Api(Box::new(
            kube::core::Status::failure("injected", "Test").with_code(code),
        ))
    }

    fn fast() -> Retry {
        Retry {
            first_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
            ..Retry::DEFAULT
        }
    }

    async fn count_calls(policy: Retry, fail_with: u16, failures: u32) -> (Result<u32, u16>, u32) {
        let calls = AtomicU32::new(0);
        let result = policy
            .run(|| async {
                let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
                if n <= failures {
                    Err(api_error(fail_with))
                } else {
                    Ok(n)
                }
            })
            .await
            .map_err(|e| status_code(&e).unwrap_or(0));
        (result, calls.load(Ordering::SeqCst))
    }

    #[tokio::test]
    async fn transient_errors_are_retried_until_attempts_run_out() {
        assert_eq!(count_calls(fast(), 500, 4).await, (Ok(5), 5));
        assert_eq!(count_calls(fast(), 503, 9).await, (Err(503), 5));
        assert_eq!(count_calls(fast(), 429, 1).await, (Ok(2), 2));
    }

    #[tokio::test]
    async fn client_errors_are_not_retried_and_conflicts_only_when_allowed() {
        assert_eq!(count_calls(fast(), 404, 1).await, (Err(404), 1));
        assert_eq!(count_calls(fast(), 409, 1).await, (Err(409), 1));
        assert_eq!(
            count_calls(fast().with_conflicts(1), 409, 1).await,
            (Ok(2), 2)
        );
        assert_eq!(
            count_calls(fast().with_conflicts(1), 409, 2).await,
            (Err(409), 2)
        );
    }
}
