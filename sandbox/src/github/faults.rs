//! Injected failures and GitHub's rate limits: which request gets a 502, a
//! cut body, a 403 or a 429. Pure bookkeeping over request keys and the
//! clock; the HTTP side (`gate.rs`, `body.rs`) turns verdicts into responses.

use std::collections::HashSet;

/// Failures to inject; each fires deterministically so a client that retries
/// correctly converges on the same bytes as a clean run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Faults {
    /// The first request to each distinct path answers 502 (storage paths
    /// are compared without their signed query, API paths with their query).
    pub server_errors: bool,
    /// The first full-body answer of each storage download and of each API
    /// list page sends about half its bytes, then drops the connection.
    pub cut_connections: bool,
    /// The first API request gets 403 "API rate limit exceeded" with
    /// `X-RateLimit-Remaining: 0`, and so does every API request until the
    /// advertised reset, about two seconds later.
    pub primary_rate_limit: bool,
    /// The third API request gets 429 with `Retry-After: 1`, once.
    pub secondary_rate_limit: bool,
}

impl Faults {
    /// Every fault at once.
    pub fn all() -> Faults {
        Faults {
            server_errors: true,
            cut_connections: true,
            primary_rate_limit: true,
            secondary_rate_limit: true,
        }
    }
}

/// What a request was, from the simulator's point of view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestKind {
    /// A REST call answered with JSON (releases, tags, branches, asset metadata).
    Api,
    /// `GET .../releases/assets/{id}` with `Accept: application/octet-stream` (302).
    AssetRedirect,
    /// A download from the signed storage URL.
    Storage,
    /// The contents API (`/repos/{o}/{r}/contents/...`).
    Contents,
    /// The `download_url` of a contents entry (raw file, no API quota).
    Raw,
    /// `GET /rate_limit` (never faulted, never counted).
    RateLimit,
}

impl RequestKind {
    /// True for requests that count against the REST API quota.
    pub fn is_api(self) -> bool {
        matches!(
            self,
            RequestKind::Api | RequestKind::AssetRedirect | RequestKind::Contents
        )
    }

    /// Classifies a request by its path and `Accept` header.
    pub(crate) fn classify(path: &str, accept: Option<&str>) -> RequestKind {
        let path = path.strip_prefix("/api/v3").unwrap_or(path);
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        match segments.as_slice() {
            ["rate_limit"] => RequestKind::RateLimit,
            ["_storage", ..] => RequestKind::Storage,
            ["_raw", ..] => RequestKind::Raw,
            ["repos", _, _, "contents", ..] => RequestKind::Contents,
            ["repos", _, _, "releases", "assets", _]
                if accept.is_some_and(|a| a.contains("application/octet-stream")) =>
            {
                RequestKind::AssetRedirect
            }
            _ => RequestKind::Api,
        }
    }
}

/// One request as the simulator saw it.
#[derive(Clone, Debug)]
pub struct RequestRecord {
    /// HTTP method.
    pub method: String,
    /// Path with query.
    pub path: String,
    /// The `Range` header, if sent.
    pub range: Option<String>,
    /// The `Accept` header, if sent.
    pub accept: Option<String>,
    /// Status of the answer (200 even when the body was then cut).
    pub status: u16,
    /// Whether an `Authorization` header was sent.
    pub authorization: bool,
    /// What the request was.
    pub kind: RequestKind,
}

/// The decision on one request before it reaches a handler.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Serve it.
    Pass,
    /// 403, primary rate limit, until unix second `reset`.
    PrimaryLimited {
        /// When the limit lifts (unix seconds).
        reset: u64,
    },
    /// 429, secondary rate limit.
    SecondaryLimited,
    /// 502.
    ServerError,
}

/// Which faults already fired since the last `set_faults`.
#[derive(Debug, Default)]
pub(crate) struct FaultState {
    errored: HashSet<String>,
    cut: HashSet<String>,
    primary_fired: bool,
    primary_reset: Option<u64>,
    api_seen: u64,
    secondary_fired: bool,
}

impl FaultState {
    /// Decides the fate of a request with fault key `key` at unix second `now`.
    pub(crate) fn judge(
        &mut self,
        faults: &Faults,
        kind: RequestKind,
        key: &str,
        now: u64,
    ) -> Verdict {
        if kind == RequestKind::RateLimit {
            return Verdict::Pass;
        }
        if kind.is_api() && faults.primary_rate_limit {
            match self.primary_reset {
                None if !self.primary_fired => {
                    self.primary_fired = true;
                    self.primary_reset = Some(now + 2);
                    return Verdict::PrimaryLimited { reset: now + 2 };
                }
                Some(reset) if now < reset => return Verdict::PrimaryLimited { reset },
                _ => self.primary_reset = None,
            }
        }
        if kind.is_api() && faults.secondary_rate_limit && !self.secondary_fired {
            self.api_seen += 1;
            if self.api_seen == 3 {
                self.secondary_fired = true;
                return Verdict::SecondaryLimited;
            }
        }
        if faults.server_errors && self.errored.insert(key.to_string()) {
            return Verdict::ServerError;
        }
        Verdict::Pass
    }

    /// True when the full-body answer identified by `key` must be cut
    /// (the first one per key while `cut_connections` is on).
    pub(crate) fn take_cut(&mut self, faults: &Faults, key: &str) -> bool {
        faults.cut_connections && self.cut.insert(key.to_string())
    }
}

/// GitHub's primary quota: 5000 requests per hour window.
#[derive(Debug)]
pub(crate) struct RateWindow {
    /// Requests allowed per window.
    pub(crate) limit: u64,
    /// Requests used in this window.
    pub(crate) used: u64,
    /// End of the window (unix seconds).
    pub(crate) reset: u64,
}

impl RateWindow {
    /// A fresh window starting at `now`.
    pub(crate) fn new(now: u64) -> RateWindow {
        RateWindow {
            limit: 5000,
            used: 0,
            reset: now + 3600,
        }
    }

    /// Starts a new window when the old one ended.
    pub(crate) fn roll(&mut self, now: u64) {
        if now >= self.reset {
            *self = RateWindow::new(now);
        }
    }

    /// Requests left in this window.
    pub(crate) fn remaining(&self) -> u64 {
        self.limit.saturating_sub(self.used)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_paths() {
        let octet = Some("application/octet-stream");
        assert_eq!(
            RequestKind::classify("/rate_limit", None),
            RequestKind::RateLimit
        );
        assert_eq!(
            RequestKind::classify("/_storage/1/a.yaml", None),
            RequestKind::Storage
        );
        assert_eq!(
            RequestKind::classify("/repos/o/r/contents/docs", None),
            RequestKind::Contents
        );
        assert_eq!(
            RequestKind::classify("/repos/o/r/releases/assets/7", octet),
            RequestKind::AssetRedirect
        );
        assert_eq!(
            RequestKind::classify("/repos/o/r/releases/assets/7", None),
            RequestKind::Api
        );
        assert_eq!(
            RequestKind::classify("/repos/o/r/releases", octet),
            RequestKind::Api
        );
    }

    #[test]
    fn primary_limit_holds_until_reset_then_lifts() {
        let faults = Faults {
            primary_rate_limit: true,
            ..Faults::default()
        };
        let mut state = FaultState::default();
        assert_eq!(
            state.judge(&faults, RequestKind::Api, "/a", 100),
            Verdict::PrimaryLimited { reset: 102 }
        );
        assert_eq!(
            state.judge(&faults, RequestKind::Contents, "/b", 101),
            Verdict::PrimaryLimited { reset: 102 }
        );
        assert_eq!(
            state.judge(&faults, RequestKind::Storage, "/s", 101),
            Verdict::Pass
        );
        assert_eq!(
            state.judge(&faults, RequestKind::Api, "/a", 102),
            Verdict::Pass
        );
        assert_eq!(
            state.judge(&faults, RequestKind::Api, "/a", 103),
            Verdict::Pass
        );
    }
}
