//! Progress reporting for the download engine.
//!
//! Owns the [`Reporter`] trait the engine calls as it works. Drawing bars,
//! logging or recording is left to the implementors: the CLI (indicatif) and
//! the tests (a recorder). Every method has an empty default.

use std::time::Duration;

/// Progress sink; the CLI implements it with progress bars, tests with a recorder.
pub trait Reporter: Send + Sync {
    /// A download began (or resumed from `resumed_from` bytes already on disk).
    fn download_started(&self, label: &str, total: Option<u64>, resumed_from: u64) {
        let _ = (label, total, resumed_from);
    }
    /// `delta` more bytes of `label` arrived.
    fn download_progress(&self, label: &str, delta: u64) {
        let _ = (label, delta);
    }
    /// `label` is complete, either downloaded or found in the cache.
    fn download_finished(&self, label: &str, from_cache: bool) {
        let _ = (label, from_cache);
    }
    /// A push step for `label` finished: `how` is `uploaded`, `mounted` or
    /// `tagged`; a progress bar of `label` ends.
    fn pushed(&self, label: &str, how: &str) {
        let _ = (label, how);
    }
    /// Packing the bundle: `done` of `total` payload bytes are compressed or copied.
    fn packing(&self, done: u64, total: u64) {
        let _ = (done, total);
    }
    /// A transient failure of `what`: attempt `attempt` follows after `wait`.
    fn retrying(&self, what: &str, attempt: u32, wait: Duration, reason: &str) {
        let _ = (what, attempt, wait, reason);
    }
    /// GitHub rate-limited a request; the engine waits `wait` before trying again.
    fn rate_limited(&self, kind: RateLimitKind, wait: Duration) {
        let _ = (kind, wait);
    }
}

/// Which of GitHub's rate limits was hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateLimitKind {
    /// The hourly request quota is used up (`X-RateLimit-Remaining: 0`).
    Primary,
    /// Too many requests too fast (`Retry-After`, or GitHub's "secondary rate limit").
    Secondary,
}

/// A reporter that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoReport;

impl Reporter for NoReport {}
